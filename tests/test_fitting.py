"""The one fit loop: the loss goes down, runs resume (only the same run), checkpoints are atomic,
divergence is caught; the model cache retrains exactly when the recipe, data or code changed."""

import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from colorize_lib import color, models  # noqa: E402
from colorize_lib.data import files  # noqa: E402
from colorize_lib.training import fitting, runtime  # noqa: E402

SIZE = 32


def _pictures(n: int, seed: int = 0) -> np.ndarray:
    """Learnable toy scenes: a blue sky above a green-brown ground, with noise."""
    rng = np.random.default_rng(seed)
    rows = np.linspace(0, 1, SIZE)[None, :, None, None]  # [1, S, 1, 1]
    horizon = rng.uniform(0.3, 0.7, (n, 1, 1, 1))
    sky = np.array([0.35, 0.55, 0.9]) * rng.uniform(0.7, 1.0, (n, 1, 1, 1))
    ground = np.array([0.3, 0.5, 0.15]) * rng.uniform(0.5, 1.0, (n, 1, 1, 1))
    img = np.where(rows < horizon, sky, ground) + rng.normal(0, 0.03, (n, SIZE, SIZE, 3))
    return np.clip(img, 0, 1).astype("float32")  # [n, S, S, 3]


def _dataset(pictures: np.ndarray, batch: int = 8, nan_batch: int | None = None):
    L, ab = (np.asarray(t) for t in color.rgb_to_model(pictures))
    if nan_batch is not None:
        L = L.copy()
        L[nan_batch * batch : (nan_batch + 1) * batch] = np.nan
    return tf.data.Dataset.from_tensor_slices((L, ab)).batch(batch)


def _model(seed: int = 0):
    """A small U-Net with the real one's interface (an ``encoder`` sub-model, a skip, a tanh
    head), so that each test trains in a second; the real U-Net trains in ``test_zoo``."""
    keras.utils.set_random_seed(seed)
    layers = keras.layers
    x = keras.Input((SIZE, SIZE, 3))
    f = layers.Conv2D(8, 3, strides=2, padding="same", activation="tanh")(x)  # NaN stays NaN
    f = layers.BatchNormalization()(f)  # [B, S/2, S/2, 8]
    encoder = keras.Model(x, f, name=models.ENCODER_NAME)
    L = keras.Input((SIZE, SIZE, 1), name="L_norm")
    h = layers.UpSampling2D(2)(encoder(layers.Concatenate()([L, L, L])))  # [B, S, S, 8]
    h = layers.Conv2D(8, 3, padding="same", activation="tanh")(layers.Concatenate()([h, L]))
    ab = layers.Conv2D(2, 1, activation="tanh", name="ab_norm")(h)  # [B, S, S, 2]
    return keras.Model(L, ab, name="small_unet")


def test_the_small_unet_has_the_real_ones_interface():
    real = models.build_unet(SIZE, "MobileNetV2-0.35", weights=None)
    small = _model()
    assert small.input_shape == real.input_shape and small.output_shape == real.output_shape
    models.set_encoder_trainable(small, False)  # what train_unet's frozen stage does
    assert not models.encoder_of(small).trainable


class _EpochsSeen(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs, self.start_weights, self.learning_rates = [], None, []

    def on_train_begin(self, logs=None):
        if self.start_weights is None:
            self.start_weights = self.model.get_weights()

    def on_epoch_begin(self, epoch, logs=None):  # after train_unet's learning-rate schedule
        self.epochs.append(epoch)
        self.learning_rates.append(float(self.model.optimizer.learning_rate))


class _InterruptAfter(keras.callbacks.Callback):
    def __init__(self, epoch: int):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):  # in the next epoch: epoch `self.epoch` is saved
        if epoch == self.epoch:
            raise KeyboardInterrupt


def test_training_lowers_the_loss_and_shows_samples(tmp_path):
    data = _dataset(_pictures(32))
    samples = fitting.samples_from(data, n=3)
    assert samples[0].shape == (3, SIZE, SIZE, 1) and samples[1].shape == (3, SIZE, SIZE, 2)
    history = fitting.train_unet(
        _model(),
        data,
        None,
        epochs=5,
        run_dir=tmp_path,
        samples=samples,
        learning_rate=1e-2,
        verbose=0,
    )
    loss = history.history["loss"]
    assert len(loss) == 5
    assert loss[-1] < 0.6 * loss[0], loss
    strips = sorted(p.name for p in tmp_path.glob("samples-epoch-*.png"))
    assert strips == [f"samples-epoch-00{i}.png" for i in range(1, 6)]
    from PIL import Image

    assert Image.open(tmp_path / strips[0]).size == (3 * SIZE * 2, 3 * SIZE * 2)  # 3 rows x 3


def test_interrupted_run_resumes_from_the_saved_epoch(tmp_path):
    data, val = _dataset(_pictures(24)), _dataset(_pictures(8, seed=1))
    model = _model()
    with pytest.raises(KeyboardInterrupt):
        fitting.train_unet(model, data, val, 3, tmp_path, extra=[_InterruptAfter(1)], verbose=0)
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["epoch"] == 1 and len(state["history"]["loss"]) == 1
    first_loss = state["history"]["loss"][0]
    weights_after_epoch_1 = model.get_weights()

    fresh = _model(seed=123)  # different starting weights: they must be replaced by the checkpoint
    seen = _EpochsSeen()
    history = fitting.train_unet(fresh, data, val, 3, tmp_path, extra=[seen], verbose=0)
    assert seen.epochs == [1, 2]  # epoch 0 is not repeated
    # the learning rate goes on down its half cosine from where the interrupted run stopped
    np.testing.assert_allclose(seen.learning_rates, [0.75e-3, 0.25e-3], rtol=1e-6)
    for a, b in zip(weights_after_epoch_1, seen.start_weights, strict=True):
        np.testing.assert_array_equal(a, b)
    assert len(history.history["loss"]) == 3 and history.history["loss"][0] == first_loss
    assert len(history.history["val_loss"]) == 3
    assert int(fresh.optimizer.iterations) == 3 * 3  # optimizer state was restored too
    assert [p.name for p in tmp_path.glob("epoch-*.keras")] == ["epoch-003.keras"]

    again = _EpochsSeen()  # a finished run: nothing more to train
    fitting.train_unet(_model(seed=5), data, val, 3, tmp_path, extra=[again], verbose=0)
    assert again.epochs == []

    over = _EpochsSeen()  # --no-resume: starts over from epoch 0
    history = fitting.train_unet(_model(), data, None, 1, tmp_path, resume=False, extra=[over])
    assert over.epochs == [0] and len(history.history["loss"]) == 1
    np.testing.assert_allclose(over.learning_rates, [1e-3], rtol=1e-6)  # the peak first


def test_frozen_encoder_epochs_then_fine_tuning(tmp_path):
    data = _dataset(_pictures(16))
    model = _model()
    enc_before = [w.copy() for w in models.encoder_of(model).get_weights()]
    after = {}

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            after[epoch] = [w.copy() for w in models.encoder_of(self.model).get_weights()]

    fitting.train_unet(model, data, None, 2, tmp_path, freeze_epochs=1, extra=[Record()])
    same = [np.array_equal(a, b) for a, b in zip(enc_before, after[0], strict=True)]
    assert all(same)  # epoch 1: encoder frozen (weights and batch-norm statistics)
    assert not all(np.array_equal(a, b) for a, b in zip(enc_before, after[1], strict=True))


def test_atomic_checkpoint_survives_a_failed_save(tmp_path, monkeypatch):
    path = tmp_path / "unet.keras"
    model = _model()
    files.save_model(model, path)
    x = np.zeros((1, SIZE, SIZE, 1), "float32")
    expected = model.predict(x, verbose=0)

    other = _model(seed=9)

    def crash_while_writing(filepath, *args, **kwargs):
        with open(filepath, "wb") as f:
            f.write(b"PK\x03\x04 half a zip file")  # partial output, then the process "dies"
        raise OSError("disk full")

    monkeypatch.setattr(other, "save", crash_while_writing)
    with pytest.raises(OSError, match="disk full"):
        files.save_model(other, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["unet.keras"]  # no temp file left
    np.testing.assert_array_equal(keras.models.load_model(path).predict(x, verbose=0), expected)


def test_nan_loss_stops_with_a_message_and_keeps_the_last_good_weights(tmp_path):
    # 3 batches per epoch; in the SECOND pass over the data the third batch is NaN.
    good = _dataset(_pictures(24))
    bad = _dataset(_pictures(24), nan_batch=2)
    passes = {"n": 0}

    def batches():
        passes["n"] += 1
        yield from (good if passes["n"] == 1 else bad).as_numpy_iterator()

    spec = tuple(tf.TensorSpec(t.shape, t.dtype) for t in good.element_spec)
    data = tf.data.Dataset.from_generator(batches, output_signature=spec)
    model = _model()
    weights_after = {}

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            weights_after[epoch] = self.model.get_weights()

    with pytest.raises(
        fitting.TrainingDiverged, match=r"nan.*weights after epoch 1,.*learning rate"
    ):
        fitting.train_unet(model, data, None, 3, tmp_path, extra=[Record()], verbose=0)
    assert list(weights_after) == [0, 1]  # stopped in epoch 2, did not go on to epoch 3
    for a, b in zip(weights_after[0], model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert json.loads((tmp_path / "state.json").read_text())["epoch"] == 1
    assert [p.name for p in tmp_path.glob("epoch-*.keras")] == ["epoch-001.keras"]


def _no_accelerator(monkeypatch):
    """As on a machine with no GPU or TPU, whatever this one has."""
    real = tf.config.list_physical_devices
    monkeypatch.setattr(
        tf.config, "list_physical_devices", lambda kind=None: [] if kind == "GPU" else real(kind)
    )
    monkeypatch.setattr(runtime.profiles, "tpu_announced", lambda: False)


def test_strategy_without_an_accelerator_is_the_default(monkeypatch):
    _no_accelerator(monkeypatch)
    strategy, devices = runtime.choose_strategy()
    assert strategy.num_replicas_in_sync == 1 and devices == "the CPU"
    assert runtime.default_precision(strategy) == "float32"


def test_resume_refuses_a_changed_recipe_and_says_what_changed(tmp_path):
    data = _dataset(_pictures(8))
    fitting.train_unet(_model(), data, None, 1, tmp_path, recipe={"data": "A"}, verbose=0)
    with pytest.raises(
        fitting.RunMismatch, match=r"data: 'A' -> 'B'.*learning_rate: 0.001 -> 0.01"
    ):
        fitting.train_unet(
            _model(), data, None, 1, tmp_path, learning_rate=1e-2, recipe={"data": "B"}, verbose=0
        )
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["epoch"] == 1 and state["recipe"]["data"] == "A"  # nothing was overwritten
    seen = _EpochsSeen()  # the same run asked for again: finished, nothing trains
    fitting.train_unet(_model(), data, None, 1, tmp_path, recipe={"data": "A"}, extra=[seen])
    assert seen.epochs == []


def test_a_finished_unet_run_is_not_extended_with_a_jump_in_the_learning_rate(tmp_path):
    """The rate decays over the epochs asked for: 2 epochs after a finished run of 2 would
    restart near half the peak rate. Such a run is refused and the message says why."""
    data = _dataset(_pictures(8))
    fitting.train_unet(_model(), data, None, 2, tmp_path, recipe={"data": "A"}, verbose=0)
    with pytest.raises(
        fitting.RunMismatch, match=r"cosine over 2 epochs' -> 'cosine over 4.*decays"
    ):
        fitting.train_unet(_model(), data, None, 4, tmp_path, recipe={"data": "A"}, verbose=0)
    assert json.loads((tmp_path / "state.json").read_text())["epoch"] == 2


def test_one_line_per_epoch_when_not_on_a_terminal(tmp_path, capsys):
    data = _dataset(_pictures(8))
    fitting.train_unet(_model(), data, data, 2, tmp_path)  # pytest captures: not a terminal
    lines = [x for x in capsys.readouterr().out.splitlines() if x.startswith("epoch ")]
    assert len(lines) == 2 and lines[0].startswith("epoch 1/2  ") and "val_loss" in lines[1]


def test_setup_sets_precision_and_seed_explicitly(monkeypatch):
    from colorize_lib import profiles

    _no_accelerator(monkeypatch)
    try:
        run = runtime.setup(profiles.get_profile("tiny"), precision="mixed_float16", seed=3)
        assert keras.mixed_precision.global_policy().name == "mixed_float16"
        assert run.precision == "mixed_float16" and run.replicas == 1
        a = np.random.rand()  # noqa: NPY002 (the global generator that setup seeds)
        runtime.setup(profiles.get_profile("tiny"), seed=3)
        assert np.random.rand() == a  # noqa: NPY002 (the same seed, the same numbers)
        assert keras.mixed_precision.global_policy().name == "float32"  # auto on a CPU
    finally:
        keras.mixed_precision.set_global_policy("float32")
    with pytest.raises(ValueError, match="precision"):
        runtime.setup(profiles.get_profile("tiny"), precision="float8")


def test_a_learning_rate_far_too_large_stops_the_run_with_the_starting_weights(tmp_path):
    data = _dataset(_pictures(16))
    model = _model()
    start = model.get_weights()
    with pytest.raises(fitting.TrainingDiverged, match=r"weights exploded.*starting weights"):
        fitting.train_unet(model, data, None, 3, tmp_path, learning_rate=1e6, verbose=0)
    for a, b in zip(start, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # put back, not left at 1e30
    assert not (tmp_path / "state.json").exists()  # nothing diverged was checkpointed


def test_a_loss_that_only_climbs_stops_the_run():
    guard = fitting.cb.DivergenceGuard(weight_limit=1e4, loss_rise=3.0)
    guard.set_model(_model())
    guard.on_train_begin()
    guard.on_epoch_begin(0)
    guard.on_train_batch_end(0, {"loss": 0.2})
    guard.on_epoch_end(0, {"loss": 0.5})  # higher, but within 3x: fine
    assert guard.message is None and guard.good_epoch == 1
    guard.on_epoch_begin(1)
    guard.on_epoch_end(1, {"loss": 0.9})  # 4.5x the first batch: diverged
    assert "loss rose from 0.2" in guard.message and guard.model.stop_training


def test_temporaries_of_a_killed_save_are_removed_and_nothing_else(tmp_path):
    """A kill during a save leaves ``.NAME-XXXXXXXX.keras`` (never a final name): cleaned up."""
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / ".epoch-002-a1b2c3d4.keras").write_bytes(b"PK half")
    (tmp_path / "run" / ".keep").write_text("a file of the user's: left alone")
    fitting.train_unet(_model(), _dataset(_pictures(8)), None, 1, tmp_path / "run", verbose=0)
    left = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert left == [".keep", "epoch-001.keras", "state.json"]

    for name in (
        ".unet-x1y2z3w4.keras",
        ".unet.keras.notes",
        ".other-x1y2z3w4.keras",
        "unet.keras",
    ):
        (tmp_path / name).write_bytes(b"")
    removed = files.remove_temporaries(tmp_path / "unet.keras")
    assert [p.name for p in removed] == [".unet-x1y2z3w4.keras"]
    assert (
        not (tmp_path / ".unet-x1y2z3w4.keras").exists()
        and (tmp_path / ".other-x1y2z3w4.keras").exists()
    )
