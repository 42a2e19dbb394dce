"""The GAN of chapter 4: PatchGAN shapes, one fit epoch, saving, resumption, the guards."""

from __future__ import annotations

import json
import math
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from colorize_lib import cli, gan, models, shapes
from colorize_lib.data import files
from colorize_lib.pages import plots
from colorize_lib.training import callbacks, fitting

SIZE = 32


def tiny_generator(size: int = SIZE) -> keras.Model:
    """A small colorizer with the U-Net's interface: L_norm [B,S,S,1] -> ab_norm [B,S,S,2]."""
    L = keras.Input((size, size, 1), name="L_norm")
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(L)
    x = layers.BatchNormalization()(x)
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    ab = layers.Conv2D(2, 3, padding="same", activation="tanh", name="ab_norm")(x)
    return keras.Model(L, ab, name="tiny_generator")


def tiny_data(n: int = 16, size: int = SIZE, batch: int = 4, seed: int = 0):
    """(L_norm, ab_norm) batches where the colour depends on the gray (something to learn)."""
    rng = np.random.default_rng(seed)
    L = rng.uniform(-1, 1, (n, size, size, 1)).astype("float32")  # [N, S, S, 1]
    ab = np.concatenate([0.5 * L, -0.3 * L], axis=-1).astype("float32")  # [N, S, S, 2]
    return tf.data.Dataset.from_tensor_slices((L, ab)).batch(batch)


def small_discriminator(size: int = SIZE) -> keras.Model:
    return models.build_discriminator(size, base_filters=8, n_down=2)


def _weights(model: keras.Model) -> list[np.ndarray]:
    return [np.array(w) for w in model.get_weights()]


def _changed(before: list[np.ndarray], model: keras.Model) -> bool:
    return any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


# ----------------------------------------------------------------------------------------------
# The discriminator
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "n_down", "grid"), [(32, 3, 2), (64, 3, 6), (64, 2, 14)])
def test_discriminator_gives_one_logit_per_patch(size, n_down, grid):
    d = models.build_discriminator(size, base_filters=8, n_down=n_down)
    L = np.zeros((2, size, size, 1), "float32")
    ab = np.zeros((2, size, size, 2), "float32")
    out = d([L, ab])
    assert tuple(out.shape) == (2, grid, grid, 1)
    assert shapes.patch_grid(size, n_down) == grid


def test_discriminator_any_size_and_receptive_field():
    d = models.build_discriminator(None, base_filters=8, n_down=3)
    out = d([np.zeros((1, 48, 80, 1), "float32"), np.zeros((1, 48, 80, 2), "float32")])
    assert tuple(out.shape) == (1, 48 // 8 - 2, 80 // 8 - 2, 1)
    assert shapes.receptive_field(3) == 70  # pix2pix's 70x70 PatchGAN
    assert shapes.receptive_field(2) == 34


def test_discriminator_receptive_field_is_what_it_sees():
    """Changing a pixel farther than the receptive field from a patch leaves its logit alone."""
    n_down, size = 2, 64
    rf = shapes.receptive_field(n_down)  # 34
    d = models.build_discriminator(size, base_filters=8, n_down=n_down, norm=None)
    L = np.zeros((1, size, size, 1), "float32")
    ab = np.zeros((1, size, size, 2), "float32")
    ab2 = ab.copy()
    ab2[0, -1, -1] = 1.0  # bottom-right pixel
    delta = np.abs(np.asarray(d([L, ab2])) - np.asarray(d([L, ab])))[0, ..., 0]
    assert delta[0, 0] == 0.0  # the top-left patch (pixels < rf) cannot see it
    assert delta[-1, -1] > 0.0
    assert rf < size


def test_discriminator_too_small_input_is_a_clear_error():
    with pytest.raises(ValueError, match="too small"):
        models.build_discriminator(16, n_down=3)


# ----------------------------------------------------------------------------------------------
# Training with fit
# ----------------------------------------------------------------------------------------------


def test_one_fit_epoch_changes_both_networks(tmp_path):
    g, d = tiny_generator(), small_discriminator()
    g0, d0 = _weights(g), _weights(d)
    history = fitting.train_gan(
        g, tiny_data(), tiny_data(8), 1, tmp_path, discriminator=d, verbose=0
    )
    assert _changed(g0, g), "the generator's weights did not move"
    assert _changed(d0, d), "the discriminator's weights did not move"
    for key in ("d_loss", "g_adv", "g_l1", "d_real_acc", "d_fake_acc", "val_l1"):
        assert len(history.history[key]) == 1 and math.isfinite(history.history[key][0])
    assert len(history.steps["d_loss"]) == 4  # 16 pictures / batch 4
    state = json.loads((tmp_path / callbacks.STATE_FILE).read_text())
    assert state["epoch"] == 1 and (tmp_path / state["checkpoint"]).exists()


def test_train_step_reports_each_loss_by_its_name_whatever_the_order_of_metrics():
    class Reordered(gan.ColorizationGAN):
        @property
        def metrics(self):
            return super().metrics[::-1]  # Keras resets them all; the order is free

    g, d = tiny_generator(), small_discriminator()
    model = Reordered(models.copy_model(g), models.copy_model(d))
    model.compile(keras.optimizers.SGD(0.0), keras.optimizers.SGD(0.0))  # nothing moves
    L, ab = next(iter(tiny_data()))
    logs = model.train_step((L, ab))
    assert list(logs) == ["d_loss", "g_adv", "g_l1", "d_real_acc", "d_fake_acc"]
    real, fake = d([L, ab], training=True), d([L, g(L, training=True)], training=True)
    assert float(logs["d_loss"]) == pytest.approx(float(gan.discriminator_loss(real, fake)), 1e-5)


def test_step_losses_match_the_epoch_means(tmp_path):
    history = fitting.train_gan(
        tiny_generator(),
        tiny_data(),
        None,
        1,
        tmp_path,
        discriminator=small_discriminator(),
        verbose=0,
    )
    for key in ("d_loss", "g_adv", "g_l1"):
        assert np.mean(history.steps[key]) == pytest.approx(history.history[key][0], rel=1e-4)


def test_saved_generator_loads_and_colorizes(tmp_path):
    from colorize_lib import infer

    g = tiny_generator()
    fitting.train_gan(
        g, tiny_data(), None, 1, tmp_path / "run", discriminator=small_discriminator(), verbose=0
    )
    path = files.save_model(g, tmp_path / "gan.keras")
    loaded = keras.models.load_model(path)
    L = np.asarray(next(iter(tiny_data()))[0])
    np.testing.assert_allclose(loaded.predict(L, verbose=0), g.predict(L, verbose=0), atol=1e-6)
    assert loaded.input_shape == (None, SIZE, SIZE, 1) and loaded.output_shape[-1] == 2

    photo = np.random.default_rng(1).integers(0, 256, (45, 70, 3), dtype=np.uint8)
    rgb = infer.colorize(loaded, photo)
    assert rgb.shape == (45, 70, 3) and rgb.dtype == np.uint8

    from PIL import Image

    Image.fromarray(photo).save(tmp_path / "photo.png")
    code = cli.main(
        [
            "colorize",
            str(tmp_path / "photo.png"),
            "--model",
            str(path),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert code == 0
    assert Image.open(tmp_path / "out" / "photo.png").size == (70, 45)


def test_whole_gan_checkpoint_round_trips(tmp_path):
    g, d = tiny_generator(), small_discriminator()
    history = fitting.train_gan(
        g, tiny_data(), None, 1, tmp_path, discriminator=d, l1_weight=7.0, verbose=0
    )
    state = fitting.read_state(tmp_path)
    restored = keras.models.load_model(tmp_path / state["checkpoint"])
    assert isinstance(restored, gan.ColorizationGAN)
    assert restored.l1_weight == 7.0
    assert int(restored.optimizer.iterations) == int(history.gan.optimizer.iterations) == 4
    for a, b in zip(restored.discriminator.get_weights(), d.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


class _StopAfterEpoch(keras.callbacks.Callback):
    """Simulates a lost runtime: raises right after ``epoch`` epochs were checkpointed."""

    def __init__(self, epoch: int):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


class _EpochRecorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs: list[int] = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)


def test_resume_continues_from_the_saved_epoch(tmp_path):
    g = tiny_generator()
    with pytest.raises(KeyboardInterrupt):
        fitting.train_gan(
            g,
            tiny_data(),
            tiny_data(8),
            3,
            tmp_path,
            discriminator=small_discriminator(),
            extra=[_StopAfterEpoch(1)],
            verbose=0,
        )
    state = fitting.read_state(tmp_path)
    assert state["epoch"] == 1
    first_epoch = dict(state["history"])
    saved = keras.models.load_model(tmp_path / state["checkpoint"])

    # A fresh session: new networks, built from the same starting point.
    g2, recorder = tiny_generator(), _EpochRecorder()
    history = fitting.train_gan(
        g2,
        tiny_data(),
        tiny_data(8),
        3,
        tmp_path,
        discriminator=small_discriminator(),
        extra=[recorder],
        verbose=0,
    )
    assert recorder.epochs == [1, 2], "training did not continue after the saved epoch"
    assert len(history.history["d_loss"]) == 3
    for key, values in first_epoch.items():
        assert history.history[key][0] == pytest.approx(values[0])
    assert int(history.gan.optimizer.iterations) == 12  # 3 epochs x 4 steps: the Adam state too
    assert int(history.gan.d_optimizer.iterations) == 12
    assert sorted(set(history.steps["epoch"])) == [0, 1, 2] and len(history.steps["epoch"]) == 12
    # the resumed run started from the checkpoint, not from g2's fresh weights
    assert not np.array_equal(saved.generator.get_weights()[0], tiny_generator().get_weights()[0])
    assert fitting.read_state(tmp_path)["epoch"] == 3

    # a finished run returns at once with the finished weights
    g3, recorder3 = tiny_generator(), _EpochRecorder()
    fitting.train_gan(
        g3,
        tiny_data(),
        None,
        3,
        tmp_path,
        discriminator=small_discriminator(),
        extra=[recorder3],
        verbose=0,
    )
    assert recorder3.epochs == []
    for a, b in zip(g3.get_weights(), g2.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_resume_refuses_another_models_checkpoints(tmp_path):
    fitting.train_gan(
        tiny_generator(),
        tiny_data(),
        None,
        1,
        tmp_path,
        discriminator=small_discriminator(),
        verbose=0,
    )
    other = tiny_generator(64)
    with pytest.raises(fitting.RunMismatch, match="another recipe"):
        fitting.train_gan(other, tiny_data(size=64), None, 2, tmp_path, verbose=0)


class _PoisonGenerator(keras.callbacks.Callback):
    """Puts a NaN into the generator's weights at a given epoch and batch."""

    def __init__(self, epoch: int, batch: int):
        super().__init__()
        self.at = (epoch, batch)
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if (self._epoch, batch) == self.at:
            w = self.model.generator.trainable_weights[-2]  # the output layer's kernel
            w.assign(np.full(w.shape, np.nan, "float32"))


def test_nan_stops_cleanly_with_the_last_good_weights(tmp_path):
    g, d = tiny_generator(), small_discriminator()
    recorder = _EpochRecorder()
    with pytest.raises(fitting.TrainingDiverged, match="non-finite"):
        fitting.train_gan(
            g,
            tiny_data(),
            None,
            3,
            tmp_path,
            discriminator=d,
            extra=[_PoisonGenerator(1, 2), recorder],
            verbose=0,
        )
    assert recorder.epochs == [0, 1], "training went on after the NaN"
    assert all(np.isfinite(w).all() for w in g.get_weights() + d.get_weights())
    state = fitting.read_state(tmp_path)
    assert state["epoch"] == 1  # the diverged epoch was not checkpointed
    good = keras.models.load_model(tmp_path / state["checkpoint"])
    for a, b in zip(good.generator.get_weights(), g.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # the model holds epoch 1's weights


def test_winning_discriminator_is_reported_from_the_logs(capsys):
    monitor = callbacks.DiscriminatorMonitor(patience=2)
    balanced = {"d_loss": 0.69, "g_adv": 0.7, "d_real_acc": 0.55, "d_fake_acc": 0.5}
    winning = {"d_loss": 0.01, "g_adv": 6.0, "d_real_acc": 1.0, "d_fake_acc": 1.0}
    monitor.on_epoch_end(0, winning)
    monitor.on_epoch_end(1, balanced)  # not K epochs in a row yet
    assert monitor.reports == []
    monitor.on_epoch_end(2, winning)
    monitor.on_epoch_end(3, winning)
    assert len(monitor.reports) == 1 and "winning outright" in monitor.reports[0]
    assert "winning outright" in capsys.readouterr().out
    monitor.on_epoch_end(4, winning)
    assert len(monitor.reports) == 1  # reported once


def test_winning_discriminator_is_reported_in_a_rigged_run(tmp_path):
    """A generator that cannot learn (learning rate 0, always gray) loses to the discriminator."""
    L_in = keras.Input((SIZE, SIZE, 1))
    frozen_gray = keras.Model(
        L_in, layers.Conv2D(2, 1, kernel_initializer="zeros", activation="tanh")(L_in)
    )  # always ab = 0
    rng = np.random.default_rng(0)
    L = rng.uniform(-1, 1, (16, SIZE, SIZE, 1)).astype("float32")
    ab = np.broadcast_to(np.array([0.6, -0.6], "float32"), (16, SIZE, SIZE, 2)).copy()
    ds = tf.data.Dataset.from_tensor_slices((L, ab)).batch(8)
    history = fitting.train_gan(
        frozen_gray,
        ds,
        None,
        6,
        tmp_path,
        discriminator=small_discriminator(),
        g_learning_rate=0.0,
        d_learning_rate=1e-2,
        monitor=callbacks.DiscriminatorMonitor(patience=2),
        verbose=0,
    )
    assert history.history["d_loss"][-1] < 0.05
    assert len(history.reports) == 1 and "winning outright" in history.reports[0]


# ----------------------------------------------------------------------------------------------
# Plot and command line
# ----------------------------------------------------------------------------------------------


def test_plot_gan_history_draws_both_panels(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    history = fitting.train_gan(
        tiny_generator(),
        tiny_data(),
        tiny_data(8),
        1,
        tmp_path,
        discriminator=small_discriminator(),
        verbose=0,
    )
    fig = plots.plot_gan_history(history)
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) >= 3
    labels = [line.get_label() for line in fig.axes[1].lines]
    assert "validation L1" in labels


def test_cli_help_explains_every_option(capsys):

    with pytest.raises(SystemExit):
        cli.main(["train-gan", "--help"])
    text = capsys.readouterr().out
    for option in (
        "--init",
        "--data",
        "--epochs",
        "--out",
        "--size",
        "--batch-size",
        "--l1-weight",
        "--lr",
        "--resume",
        "--seed",
    ):
        assert option in text


def test_cli_missing_init_is_a_clear_error(tmp_path, capsys):

    code = cli.main(
        [
            "train-gan",
            "--init",
            str(tmp_path / "nope.keras"),
            "--data",
            "offline",
            "--out",
            str(tmp_path / "gan.keras"),
        ]
    )
    assert code == 2
    assert "Train one first" in capsys.readouterr().out


def test_cli_train_gan_on_a_folder_then_resume(tmp_path, capsys):
    from PIL import Image

    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    for i in range(12):
        sky = np.zeros((40, 40, 3), np.uint8)
        sky[:20] = (80, 140, 230)  # blue above
        sky[20:] = (60, 150, 60)  # green below
        noisy = np.clip(sky + rng.integers(-20, 20, sky.shape), 0, 255).astype(np.uint8)
        Image.fromarray(noisy).save(photos / f"p{i:02d}.png")
    init = tmp_path / "unet.keras"
    tiny_generator().save(init)
    out = tmp_path / "gan.keras"
    args = [
        "train-gan",
        "--init",
        str(init),
        "--data",
        str(photos),
        "--out",
        str(out),
        "--batch-size",
        "4",
        "--val-fraction",
        "0.25",
    ]
    assert cli.main([*args, "--epochs", "1"]) == 0
    text = capsys.readouterr().out
    assert "9 training + 3 validation" in text
    model = keras.models.load_model(out)
    assert model.output_shape == (None, SIZE, SIZE, 2)
    assert fitting.read_state(tmp_path / "gan.run")["epoch"] == 1

    assert cli.main([*args, "--epochs", "2"]) == 0  # the same command, more epochs: resumes
    assert "resuming from" in capsys.readouterr().out
    state = fitting.read_state(tmp_path / "gan.run")
    assert state["epoch"] == 2
    n_down = shapes.patch_downsamples(SIZE)  # the default depth for 32-pixel pictures
    expected = models.build_discriminator(SIZE, n_down=n_down).get_config()
    assert state["recipe"]["discriminator"] == json.loads(json.dumps(expected))

    # a depth the pictures are too small for: one line, before any training
    deep = [
        "train-gan",
        "--init",
        str(init),
        "--data",
        str(photos),
        "--out",
        str(tmp_path / "d.keras"),
    ]
    assert cli.main([*deep, "--d-downsamples", "4"]) == 2
    assert "too small for n_down=4" in capsys.readouterr().out
    assert not (tmp_path / "d.run").exists()


@pytest.mark.parametrize(
    ("size", "n_down", "patch"),
    [(32, 1, 16), (64, 1, 16), (128, 2, 34), (256, 3, 70), (1024, 4, 142)],
)
def test_the_patch_is_about_a_quarter_of_the_picture(size, n_down, patch):
    assert shapes.patch_downsamples(size) == n_down
    assert shapes.receptive_field(n_down) == patch


def test_standard_keras_callbacks_see_the_generators_optimizer(tmp_path):
    """``model.optimizer`` is the generator's: Keras' own callbacks that read it just work."""
    halve = keras.callbacks.LearningRateScheduler(lambda epoch, lr: 2e-4 / 2**epoch)
    history = fitting.train_gan(
        tiny_generator(),
        tiny_data(),
        None,
        2,
        tmp_path,
        discriminator=small_discriminator(),
        extra=[halve],
        verbose=0,
    )
    model = history.gan
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-4)  # epoch 2: halved
    assert float(model.d_optimizer.learning_rate) == pytest.approx(2e-4)  # its own, untouched
    # each optimizer holds state for its own network only (Adam: 2 slots per weight + counters)
    n_g, n_d = (
        len(model.generator.trainable_variables),
        len(model.discriminator.trainable_variables),
    )
    assert len(model.optimizer.variables) == 2 * n_g + 2
    assert len(model.d_optimizer.variables) == 2 * n_d + 2


def test_a_gan_checkpoint_colorizes_through_its_generator_and_init_is_never_overwritten(
    tmp_path, capsys
):
    from colorize_lib import infer

    g = tiny_generator()
    fitting.train_gan(
        g, tiny_data(), None, 1, tmp_path / "run", discriminator=small_discriminator(), verbose=0
    )
    loaded = infer.load_model(tmp_path / "run" / "epoch-001.keras")  # the whole GAN's file
    assert loaded.output_shape == (None, SIZE, SIZE, 2)
    L = np.asarray(next(iter(tiny_data()))[0])
    np.testing.assert_allclose(loaded.predict(L, verbose=0), g.predict(L, verbose=0), atol=1e-6)

    init = tmp_path / "unet.keras"
    tiny_generator().save(init)
    before = init.read_bytes()
    code = cli.main(["train-gan", "--init", str(init), "--data", "offline", "--out", str(init)])
    assert code == 2 and "is the --init model" in capsys.readouterr().out
    assert init.read_bytes() == before


def test_an_empty_slice_of_a_batch_gives_zero_losses_not_nan():
    """Under tf.distribute a replica can get no picture of a last, smaller batch (on a GPU; the
    training sets drop that batch when there are several replicas, see test_data)."""
    empty_logits = tf.zeros((0, 2, 2, 1))
    empty_ab = tf.zeros((0, SIZE, SIZE, 2))
    assert float(gan.discriminator_loss(empty_logits, empty_logits, 0.1)) == 0.0
    assert [float(x) for x in gan.generator_losses(empty_logits, empty_ab, empty_ab)] == [0.0, 0.0]
    full = tf.fill((2, 2, 2, 1), 3.0)
    assert float(gan.discriminator_loss(full, -full)) == pytest.approx(
        0.5 * 2 * float(tf.math.softplus(-3.0)), rel=1e-5
    )  # and a real batch still gives the mean


def test_the_discriminator_warms_up_alone_then_both_train(tmp_path):
    g, d = tiny_generator(), small_discriminator()
    g0, d0 = _weights(g), _weights(d)  # batch norm's moving statistics included

    class Snapshot(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:  # the end of the warm-up epoch
                self.g, self.d = _weights(g), _weights(d)

    snap = Snapshot()
    history = fitting.train_gan(
        g,
        tiny_data(),
        None,
        1,
        tmp_path,
        discriminator=d,
        d_warmup_epochs=1,
        verbose=0,
        extra=[snap],
    )
    assert len(history.history["d_loss"]) == 2, "one warm-up epoch, then one GAN epoch"
    assert not any(not np.array_equal(a, b) for a, b in zip(g0, snap.g, strict=True)), (
        "the generator (weights and batch-norm statistics) must not move while D warms up"
    )
    assert any(not np.array_equal(a, b) for a, b in zip(d0, snap.d, strict=True))
    assert _changed(snap.g, g), "after the warm-up the generator trains"
    assert g.trainable and all(layer.trainable for layer in g.layers)
    assert fitting.read_state(tmp_path)["recipe"]["d_warmup_epochs"] == 1


def test_an_epoch_s_steps_are_on_disk_before_its_state(tmp_path, monkeypatch):
    """state.json marks an epoch done: written last, so a kill right after it cannot leave a
    resumed run's steps.json without that epoch's steps (the audit's kill)."""
    written = []
    real = files.write_json
    monkeypatch.setattr(
        files, "write_json", lambda path, obj: written.append(Path(path).name) or real(path, obj)
    )
    fitting.train_gan(
        tiny_generator(),
        tiny_data(),
        None,
        2,
        tmp_path,
        discriminator=small_discriminator(),
        verbose=0,
    )
    order = [n for n in written if n in (callbacks.STATE_FILE, callbacks.STEPS_FILE)]
    assert order == [callbacks.STEPS_FILE, callbacks.STATE_FILE] * 2, order


def test_a_damaged_steps_file_names_the_fix_and_the_fix_works(tmp_path):
    g, d, data = tiny_generator(), small_discriminator(), tiny_data()
    fitting.train_gan(g, data, None, 1, tmp_path, discriminator=d, verbose=0)
    (tmp_path / callbacks.STEPS_FILE).write_text('{"epoch": [0, 0')  # a kill while writing
    with pytest.raises(fitting.RunDamaged, match="--no-resume"):
        fitting.train_gan(
            tiny_generator(),
            data,
            None,
            2,
            tmp_path,
            discriminator=small_discriminator(),
            verbose=0,
        )
    history = fitting.train_gan(
        tiny_generator(),
        data,
        None,
        1,
        tmp_path,
        discriminator=small_discriminator(),
        resume=False,
        verbose=0,
    )
    assert len(history.steps["d_loss"]) == 4  # started afresh: one epoch of 4 steps
