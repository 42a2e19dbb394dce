"""Fine-tuning the U-Net as the generator of a GAN: a conditional PatchGAN and its ``train_step``.

A U-Net trained with L1 alone hedges: when a wall could be red or blue it predicts the average,
a grayish brown. A GAN adds a second network, the **discriminator**, that learns to tell real
colourings from the generator's; the generator (our U-Net) is trained to fool it, which pushes
it towards colours that look real rather than colours that are "on average right".

- ``build_discriminator``: a **conditional PatchGAN** (Isola et al. 2017, pix2pix). It sees the
  gray ``L`` together with an ``ab`` colouring (real or generated), and outputs one logit per
  overlapping patch (``receptive_field`` pixels wide: 70 for ``n_down=3``), "does this patch's
  colouring look real *for this gray picture*?".
- ``ColorizationGAN``: a ``keras.Model`` holding both networks, with its own ``train_step`` (two
  ``GradientTape``s, two optimizers) so ``fit`` gives progress bars, callbacks, checkpoints and
  resumption exactly as in chapter 3. Losses: ``d_loss`` (binary cross-entropy on real vs.
  generated patches, halved so that "cannot tell" reads log 2 = 0.693), ``g_adv`` (the
  generator's "fool the discriminator" loss) and ``g_l1`` (distance to the true colours, weighted
  by ``l1_weight``, 100 in pix2pix, which keeps the colours anchored to the truth).
- Guards: ``GANNaNGuard`` stops at the first non-finite loss with the last good weights (it is
  chapter 3's ``train.NaNGuard`` watching every GAN loss); ``DiscriminatorWinsMonitor`` reports a
  discriminator that wins outright (the generator then learns nothing from it).
- ``fine_tune`` (checkpoints every epoch through ``train.EpochCheckpoint``, resumes),
  ``load_or_train_gan(profile)`` (chapter 4's model from the cache, or trained now),
  ``plot_gan_history``, and the command line ``python -m colorize_lib train-gan``.

The saved result is the generator alone, a plain U-Net ``.keras`` file: ``colorize --model
gan.keras`` uses it like any U-Net.
"""

from __future__ import annotations

import argparse
import json
import math
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from colorize_lib import profiles, train

GAN_FILE = "gan.keras"
GAN_HISTORY_FILE = "gan_history.json"
STEPS_FILE = "steps.json"
LOG2 = math.log(2.0)  # d_loss of a discriminator that cannot tell real from generated

# ----------------------------------------------------------------------------------------------
# The discriminator: a conditional PatchGAN
# ----------------------------------------------------------------------------------------------


def receptive_field(n_down: int = 3) -> int:
    """Width in pixels of the input patch that one output logit of ``build_discriminator`` sees.

    Walk back from one output pixel: the two stride-1 4x4 convolutions see 4, then 7 pixels;
    each stride-2 4x4 convolution maps r pixels to ``2 (r - 1) + 4``. ``n_down=3`` gives 70 (the
    "70x70 PatchGAN" of pix2pix), 2 gives 34, 1 gives 16.
    """
    r = 1
    for _ in range(2):  # the two stride-1 convolutions at the end
        r += 3
    for _ in range(n_down):
        r = 2 * (r - 1) + 4
    return r


def patch_grid(image_size: int, n_down: int = 3) -> int:
    """Side of the grid of logits for a square input: ``image_size / 2**n_down - 2``."""
    return image_size // 2**n_down - 2


def build_discriminator(
    image_size: int | None = None,
    base_filters: int = 64,
    n_down: int = 3,
    norm: str | None = "instance",
    name: str = "patchgan",
) -> keras.Model:
    """A conditional PatchGAN: ``[L_norm [B,H,W,1], ab_norm [B,H,W,2]]`` -> logits ``[B,h,w,1]``.

    As in the TensorFlow pix2pix tutorial: ``n_down`` 4x4 stride-2 convolutions (64, 128, 256, ...
    filters, at most 512), then two 4x4 stride-1 convolutions without padding, the last one to a
    single channel. Each output is a logit (> 0: "real") for one overlapping patch of
    ``receptive_field(n_down)`` pixels; ``h = w = H / 2**n_down - 2`` (``patch_grid``).

    Args:
        image_size: square input size, or None for any size (at least ``3 * 2**n_down``).
        base_filters: filters of the first convolution; doubled at each step down.
        n_down: number of stride-2 convolutions (3: 70-pixel patches; 2: 34-pixel patches).
        norm: ``"instance"`` (each picture normalised on its own, so a batch of real pictures
            and a batch of generated ones are judged alike), ``"batch"`` (pix2pix; equal to
            instance norm at pix2pix's batch size of 1) or None.
    """
    if n_down < 1:
        raise ValueError(f"n_down={n_down}: the discriminator needs at least one step down")
    if image_size is not None and patch_grid(image_size, n_down) < 1:
        raise ValueError(
            f"image_size={image_size} is too small for n_down={n_down}: the input must be at "
            f"least {3 * 2**n_down} pixels wide. Use a smaller n_down or larger pictures."
        )
    if norm not in ("instance", "batch", None):
        raise ValueError(f"norm={norm!r}: choose 'instance', 'batch' or None")
    init = keras.initializers.RandomNormal(0.0, 0.02)  # the DCGAN / pix2pix initialisation

    def normalize(x, filters: int, layer_name: str):
        if norm == "instance":  # one group per channel = instance normalisation
            return layers.GroupNormalization(groups=filters, name=layer_name)(x)
        if norm == "batch":
            return layers.BatchNormalization(name=layer_name)(x)
        return x

    L = keras.Input((image_size, image_size, 1), name="L_norm")  # [B, H, W, 1]
    ab = keras.Input((image_size, image_size, 2), name="ab_norm")  # [B, H, W, 2]
    x = layers.Concatenate(name="L_ab")([L, ab])  # [B, H, W, 3]: the colouring, given the gray
    for i in range(n_down):
        filters = min(base_filters * 2**i, 512)
        first = i == 0  # no normalisation on the first layer (as in pix2pix), and no bias:
        # with one, TensorFlow's graph optimiser logs an error (harmless) when it tries to fuse
        # convolution + bias + LeakyReLU under a GradientTape.
        x = layers.Conv2D(
            filters,
            4,
            strides=2,
            padding="same",
            use_bias=norm is None and not first,
            kernel_initializer=init,
            name=f"down{i + 1}",
        )(x)  # [B, H / 2**(i+1), W / 2**(i+1), filters]
        if not first:
            x = normalize(x, filters, f"down{i + 1}_norm")
        x = layers.LeakyReLU(0.2, name=f"down{i + 1}_lrelu")(x)
    filters = min(base_filters * 2**n_down, 512)
    x = layers.ZeroPadding2D(name="pad1")(x)  # [B, h + 4, w + 4, C] with h = H / 2**n_down - 2
    x = layers.Conv2D(filters, 4, use_bias=norm is None, kernel_initializer=init, name="conv")(
        x
    )  # [B, h + 1, w + 1, filters]
    x = normalize(x, filters, "conv_norm")
    x = layers.LeakyReLU(0.2, name="conv_lrelu")(x)
    x = layers.ZeroPadding2D(name="pad2")(x)  # [B, h + 3, w + 3, filters]
    logits = layers.Conv2D(1, 4, kernel_initializer=init, dtype="float32", name="patch_logits")(
        x
    )  # [B, h, w, 1]: one "real?" logit per patch
    return keras.Model([L, ab], logits, name=name)


# ----------------------------------------------------------------------------------------------
# The GAN: a keras.Model with its own train_step
# ----------------------------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="colorize_lib")
class ColorizationGAN(keras.Model):
    """Generator (a U-Net: ``L_norm`` -> ``ab_norm``) and discriminator, trained with ``fit``.

    ``fit`` on a dataset of ``(L_norm [B,H,W,1], ab_norm [B,H,W,2])`` batches runs
    ``train_step`` once per batch; ``evaluate`` (and ``fit``'s validation) runs ``test_step``,
    which reports the generator's L1 error (``val_l1`` in ``fit``'s logs). Calling the model
    (or ``predict``) runs the generator.
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_adv_tracker = keras.metrics.Mean(name="g_adv")
        self.g_l1_tracker = keras.metrics.Mean(name="g_l1")
        self.d_real_tracker = keras.metrics.Mean(name="d_real_acc")
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake_acc")
        self.val_l1_tracker = keras.metrics.Mean(name="l1")
        self.built = True  # both networks are built Functional models

    def call(self, L_norm, training: bool = False):
        return self.generator(L_norm, training=training)  # [B, H, W, 2]

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        # Listed here so that Keras resets them at the start of every epoch and of evaluate().
        return [
            self.d_loss_tracker,
            self.g_adv_tracker,
            self.g_l1_tracker,
            self.d_real_tracker,
            self.d_fake_tracker,
            self.val_l1_tracker,
        ]

    def compile(
        self,
        g_optimizer: keras.optimizers.Optimizer | None = None,
        d_optimizer: keras.optimizers.Optimizer | None = None,
        l1_weight: float = 100.0,
        label_smoothing: float = 0.0,
        **kwargs,
    ) -> None:
        """Two optimizers (Adam(2e-4, beta_1=0.5) each by default, as in pix2pix) and the weights.

        ``l1_weight``: how much the L1 distance to the true colours counts against the
        adversarial loss (pix2pix: 100). ``label_smoothing``: the discriminator is asked for
        ``1 - label_smoothing`` instead of 1 on real pictures (e.g. 0.1), which keeps it from
        becoming over-confident.
        """
        kwargs.setdefault("jit_compile", False)
        super().compile(**kwargs)
        self.optimizer = None  # the two below do the work; none is built on all the variables
        g_optimizer = g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        d_optimizer = d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        if keras.mixed_precision.global_policy().name == "mixed_float16":
            g_optimizer = _loss_scaled(g_optimizer)
            d_optimizer = _loss_scaled(d_optimizer)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        self.l1_weight = float(l1_weight)
        self.label_smoothing = float(label_smoothing)

    def build_optimizers(self) -> None:
        """Create the optimizers' variables now (needed before loading a checkpoint into them)."""
        if not self.g_optimizer.built:
            self.g_optimizer.build(self.generator.trainable_variables)
        if not self.d_optimizer.built:
            self.d_optimizer.build(self.discriminator.trainable_variables)

    def train_step(self, data):
        L, ab_real = data[0], data[1]  # [B, H, W, 1], [B, H, W, 2]
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            ab_fake = self.generator(L, training=True)  # [B, H, W, 2]
            real_logits = self.discriminator([L, ab_real], training=True)  # [B, h, w, 1]
            fake_logits = self.discriminator([L, ab_fake], training=True)  # [B, h, w, 1]
            # Discriminator: real patches -> 1 (or 1 - smoothing), generated patches -> 0.
            real_target = tf.fill(tf.shape(real_logits), 1.0 - self.label_smoothing)
            d_loss = 0.5 * (
                _bce(real_target, real_logits) + _bce(tf.zeros_like(fake_logits), fake_logits)
            )
            # Generator: make the discriminator say "real" on generated patches, stay close
            # to the true colours.
            g_adv = _bce(tf.ones_like(fake_logits), fake_logits)
            g_l1 = tf.reduce_mean(tf.abs(ab_real - tf.cast(ab_fake, ab_real.dtype)))
            g_loss = g_adv + self.l1_weight * g_l1
            g_scaled = self.g_optimizer.scale_loss(g_loss)  # identity unless mixed_float16
            d_scaled = self.d_optimizer.scale_loss(d_loss)
        g_vars = self.generator.trainable_variables
        d_vars = self.discriminator.trainable_variables
        self.g_optimizer.apply(g_tape.gradient(g_scaled, g_vars), g_vars)
        self.d_optimizer.apply(d_tape.gradient(d_scaled, d_vars), d_vars)

        self.d_loss_tracker.update_state(d_loss)
        self.g_adv_tracker.update_state(g_adv)
        self.g_l1_tracker.update_state(g_l1)
        self.d_real_tracker.update_state(tf.reduce_mean(tf.cast(real_logits > 0, "float32")))
        self.d_fake_tracker.update_state(tf.reduce_mean(tf.cast(fake_logits < 0, "float32")))
        return {m.name: m.result() for m in self.metrics[:5]}

    def test_step(self, data):
        L, ab_real = data[0], data[1]  # [B, H, W, 1], [B, H, W, 2]
        ab_fake = self.generator(L, training=False)  # [B, H, W, 2]
        self.val_l1_tracker.update_state(
            tf.reduce_mean(tf.abs(ab_real - tf.cast(ab_fake, ab_real.dtype)))
        )
        return {"l1": self.val_l1_tracker.result()}

    # --- saving: the whole GAN (both networks and both optimizers) in one .keras file ---------

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
        }

    @classmethod
    def from_config(cls, config: dict) -> ColorizationGAN:
        config = dict(config)
        generator = keras.saving.deserialize_keras_object(config.pop("generator"))
        discriminator = keras.saving.deserialize_keras_object(config.pop("discriminator"))
        return cls(generator, discriminator, **config)

    def get_compile_config(self) -> dict:
        if not getattr(self, "compiled", False) or not hasattr(self, "g_optimizer"):
            return {}
        return {
            "g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer),
            "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer),
            "l1_weight": self.l1_weight,
            "label_smoothing": self.label_smoothing,
        }

    def compile_from_config(self, config: dict) -> None:
        if not config:
            return
        self.compile(
            g_optimizer=keras.saving.deserialize_keras_object(config["g_optimizer"]),
            d_optimizer=keras.saving.deserialize_keras_object(config["d_optimizer"]),
            l1_weight=config["l1_weight"],
            label_smoothing=config["label_smoothing"],
        )
        self.build_optimizers()


def _bce(target, logits):
    """Binary cross-entropy on logits, averaged over every patch of every picture."""
    logits = tf.cast(logits, "float32")
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=logits))


def _loss_scaled(optimizer: keras.optimizers.Optimizer) -> keras.optimizers.Optimizer:
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer
    return keras.optimizers.LossScaleOptimizer(optimizer)


# ----------------------------------------------------------------------------------------------
# Callbacks: the NaN guard, the "discriminator wins" report, per-step losses
# ----------------------------------------------------------------------------------------------


class GANNaNGuard(train.NaNGuard):
    """Chapter 3's NaN guard, watching every GAN loss (there is no single ``loss`` here)."""

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        bad = [k for k, v in (logs or {}).items() if not math.isfinite(float(v))]
        if bad and self.message is None:
            self._trip(
                f"{', '.join(bad)} became non-finite at epoch {self._epoch + 1}, batch {batch + 1}"
            )


class DiscriminatorWinsMonitor(keras.callbacks.Callback):
    """Reports a discriminator that wins outright for ``patience`` epochs in a row.

    "Winning outright" means any of: ``d_loss`` below ``d_loss_below`` (log 2 = 0.693 is "cannot
    tell"); it classifies at least ``acc_above`` of both real and generated patches correctly;
    or the generator's adversarial loss ``g_adv`` above ``g_adv_above`` (the discriminator is
    sure every generated patch is fake). The generator then gets almost no useful gradient from
    it. The report is printed once, kept in ``reports``, and training stops only if ``stop``.
    """

    def __init__(
        self,
        d_loss_below: float = 0.05,
        acc_above: float = 0.99,
        g_adv_above: float = 10.0,
        patience: int = 2,
        stop: bool = False,
    ):
        super().__init__()
        self.d_loss_below = d_loss_below
        self.acc_above = acc_above
        self.g_adv_above = g_adv_above
        self.patience = patience
        self.stop = stop
        self.streak = 0
        self.reports: list[str] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if "d_loss" not in logs:
            return
        d_loss = float(logs["d_loss"])
        real, fake = float(logs.get("d_real_acc", 0.0)), float(logs.get("d_fake_acc", 0.0))
        g_adv = float(logs.get("g_adv", 0.0))
        signs = []
        if d_loss < self.d_loss_below:
            signs.append(f"d_loss {d_loss:.3f} (log 2 = {LOG2:.3f} would mean it cannot tell)")
        if real >= self.acc_above and fake >= self.acc_above:
            signs.append(f"it labels {real:.0%} of real and {fake:.0%} of generated patches right")
        if g_adv > self.g_adv_above:
            signs.append(f"the generator's adversarial loss g_adv is {g_adv:.1f}")
        self.streak = self.streak + 1 if signs else 0
        if self.streak == self.patience:
            message = (
                f"The discriminator is winning outright ({self.patience} epoch(s) in a row, up to "
                f"epoch {epoch + 1}): {'; '.join(signs)}. The generator learns little from it now. "
                "Try a smaller discriminator learning rate (--d-lr), label smoothing "
                "(--label-smoothing 0.1), a larger --l1-weight, or keep the generator of an "
                "earlier epoch."
            )
            self.reports.append(message)
            print(f"\nwarning: {message}")
            if self.stop:
                self.model.stop_training = True


class StepLosses(keras.callbacks.Callback):
    """Records the losses of every training step (Keras' batch logs are running means).

    A ``Mean`` tracker updated once per step shows ``m_k = (x_1 + ... + x_k) / k`` after step
    k, so the step's own value is ``x_k = k m_k - (k - 1) m_{k-1}``. The steps are written to
    ``out_dir/steps.json`` after every epoch (atomically), so a resumed run keeps them.
    """

    KEYS = ("d_loss", "g_adv", "g_l1", "d_real_acc", "d_fake_acc")

    def __init__(self, out_dir: str | Path | None = None, keep_before_epoch: int = 0):
        super().__init__()
        self.path = None if out_dir is None else Path(out_dir) / STEPS_FILE
        self.steps: dict[str, list[float]] = {k: [] for k in ("epoch", *self.KEYS)}
        if self.path is not None and self.path.exists():
            old = json.loads(self.path.read_text())
            keep = [i for i, e in enumerate(old.get("epoch", [])) if e < keep_before_epoch]
            self.steps = {k: [old.get(k, [])[i] for i in keep] for k in self.steps}
        self._epoch = 0
        self._prev: dict[str, float] = {}

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._epoch = epoch
        self._prev = {}

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        logs = logs or {}
        k = batch + 1
        self.steps["epoch"].append(self._epoch)
        for key in self.KEYS:
            mean = float(logs.get(key, float("nan")))
            self.steps[key].append(k * mean - (k - 1) * self._prev.get(key, 0.0))
            self._prev[key] = mean

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if self.path is not None and not self.model.stop_training:
            train.atomic_write_json(self.steps, self.path)


# ----------------------------------------------------------------------------------------------
# Fine-tuning
# ----------------------------------------------------------------------------------------------


def fine_tune(
    generator: keras.Model,
    train_ds: tf.data.Dataset,
    val_ds: tf.data.Dataset | None,
    epochs: int,
    out_dir: str | Path,
    discriminator: keras.Model | None = None,
    l1_weight: float = 100.0,
    g_learning_rate: float = 2e-4,
    d_learning_rate: float | None = None,
    label_smoothing: float = 0.0,
    resume: bool = True,
    samples: tuple[np.ndarray, np.ndarray] | None = None,
    monitor: DiscriminatorWinsMonitor | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: Any = "auto",
) -> keras.callbacks.History:
    """Fine-tune ``generator`` (in place) against a PatchGAN for ``epochs`` epochs in total.

    - After every epoch the whole GAN (both networks, both optimizers) is checkpointed to
      ``out_dir`` with ``train.EpochCheckpoint`` (atomic ``.keras`` file + ``state.json``). With
      ``resume`` and a state in ``out_dir``, training continues after its last saved epoch.
    - A non-finite loss stops training, puts back the last good weights and raises
      ``train.TrainingDiverged``. A discriminator that wins outright is reported (``monitor``).
    - ``samples=(L_norm, ab_norm)`` shows sample colorizations after every epoch.

    Returns the History of all epochs (``history.history``), with ``history.steps`` (per-step
    losses, see ``StepLosses``), ``history.reports`` (the monitor's messages) and
    ``history.gan`` (the ColorizationGAN, discriminator included).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    size = generator.input_shape[1]
    info = {
        "model": "colorization_gan",
        "generator": generator.name,
        "input_shape": list(generator.input_shape),
        "epochs": epochs,
        "l1_weight": l1_weight,
    }
    state = train.read_state(out_dir) if resume else None
    if state is not None and (state.get("model"), state.get("input_shape")) != (
        info["model"],
        info["input_shape"],
    ):
        raise ValueError(
            f"{out_dir} holds checkpoints of another model ({state.get('model')}, input "
            f"{state.get('input_shape')}), not of a GAN on {info['input_shape']}. Use another "
            "output folder, or resume=False (--no-resume) to overwrite it."
        )
    if not resume:
        for old in [
            *out_dir.glob("epoch-*.keras"),
            out_dir / train.STATE_FILE,
            out_dir / STEPS_FILE,
        ]:
            old.unlink(missing_ok=True)
    done = state["epoch"] if state else 0

    discriminator = discriminator or build_discriminator(size)
    gan = ColorizationGAN(generator, discriminator, name="colorization_gan")
    gan.compile(
        g_optimizer=keras.optimizers.Adam(g_learning_rate, beta_1=0.5),
        d_optimizer=keras.optimizers.Adam(d_learning_rate or g_learning_rate, beta_1=0.5),
        l1_weight=l1_weight,
        label_smoothing=label_smoothing,
    )
    if state:
        gan.build_optimizers()
        gan.load_weights(out_dir / state["checkpoint"])
        train._say(
            verbose, f"resuming from {out_dir / state['checkpoint']} (epoch {done} of {epochs})"
        )

    checkpoint = train.EpochCheckpoint(out_dir, dict(state["history"]) if state else {}, info)
    guard = GANNaNGuard()
    monitor = monitor or DiscriminatorWinsMonitor()
    steps = StepLosses(out_dir, keep_before_epoch=done)
    extra = list(callbacks)
    if samples is not None:
        extra.append(train.SampleColorizations(samples[0], samples[1], out_dir=out_dir))
    if done < epochs:
        gan.fit(
            train_ds,
            validation_data=val_ds,
            initial_epoch=done,
            epochs=epochs,
            callbacks=[guard, checkpoint, monitor, steps, *extra],
            shuffle=False,  # the dataset shuffles itself (data.make_dataset)
            verbose=verbose,
        )
        if guard.message:
            raise train.TrainingDiverged(guard.message)
    result = keras.callbacks.History()
    result.set_model(gan)
    result.history = checkpoint.history
    result.epoch = list(range(len(next(iter(result.history.values()), []))))
    result.steps = steps.steps
    result.reports = monitor.reports
    result.gan = gan
    return result


def copy_model(model: keras.Model) -> keras.Model:
    """An independent copy (same architecture and weights), so fine-tuning leaves ``model`` be."""
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


def check_generator(model: keras.Model) -> None:
    """Raise a clear error unless ``model`` maps ``[B, H, W, 1]`` to ``[B, H, W, 2]``."""
    shape_in, shape_out = tuple(model.input_shape), tuple(model.output_shape)
    if len(shape_in) != 4 or shape_in[-1] != 1 or len(shape_out) != 4 or shape_out[-1] != 2:
        raise ValueError(
            f"{model.name}: expected a colorizer L_norm [B, H, W, 1] -> ab_norm [B, H, W, 2], "
            f"got {shape_in} -> {shape_out}. Start from a U-Net trained with "
            "'python -m colorize_lib train' (or models.build_unet)."
        )


# ----------------------------------------------------------------------------------------------
# Chapter 4's model, for chapters 4 and 5
# ----------------------------------------------------------------------------------------------


def gan_path(profile: profiles.Profile | str | None = None) -> Path:
    """Where a profile's fine-tuned generator lives: ``cache_dir(profile) / "gan.keras"``."""
    return profiles.cache_dir(train._profile(profile)) / GAN_FILE


def load_history(profile: profiles.Profile | str | None = None) -> dict:
    """``{"epochs": {...}, "steps": {...}}`` saved with a profile's GAN ({} when there is none)."""
    path = profiles.cache_dir(train._profile(profile)) / GAN_HISTORY_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def load_or_train_gan(
    profile: profiles.Profile | str | None = None,
    source: str | None = None,
    retrain: bool = False,
    samples: bool = True,
    verbose: Any = "auto",
) -> keras.Model:
    """The profile's GAN-fine-tuned generator from ``cache_dir(profile)/gan.keras``, or train it.

    Training starts from a copy of chapter 3's U-Net (``train.load_or_train_unet``, which trains
    one when ``unet.keras`` is absent, as on a fresh Colab runtime), fine-tunes it for
    ``profile.gan_epochs`` epochs on the profile's data, checkpointing to
    ``cache_dir(profile)/gan_run`` (an interrupted run resumes there), then saves the generator
    and the loss history (``load_history``).
    """
    profile = train._profile(profile)
    path = gan_path(profile)
    unet_file = train.unet_path(profile)
    if path.exists() and unet_file.exists() and unet_file.stat().st_mtime > path.stat().st_mtime:
        train._say(verbose, f"{unet_file} is newer than {path}: fine-tuning the new U-Net")
        retrain = True
    if path.exists() and not retrain:
        train._say(verbose, f"loaded the GAN-fine-tuned U-Net from {path}")
        return keras.models.load_model(path)
    run_dir = profiles.cache_dir(profile) / "gan_run"
    if retrain:  # start over once; an interrupted retraining then resumes like any run
        path.unlink(missing_ok=True)
        for old in [
            *run_dir.glob("epoch-*.keras"),
            run_dir / train.STATE_FILE,
            run_dir / STEPS_FILE,
        ]:
            old.unlink(missing_ok=True)
    from colorize_lib import data

    unet = train.load_or_train_unet(profile, source=source, samples=False, verbose=verbose)
    if tf.config.list_physical_devices("GPU"):
        train.use_mixed_precision()
    train_ds, val_ds, _split = data.make_datasets(profile, source=source)
    generator = copy_model(unet)
    history = fine_tune(
        generator,
        train_ds,
        val_ds,
        epochs=profile.gan_epochs,
        out_dir=run_dir,
        samples=train.samples_from(val_ds) if samples else None,
        verbose=verbose,
    )
    save_generator(generator, path)
    train.atomic_write_json(
        {"epochs": history.history, "steps": history.steps, "reports": history.reports},
        path.parent / GAN_HISTORY_FILE,
    )
    train._say(verbose, f"saved the GAN-fine-tuned U-Net to {path}")
    return generator


def save_generator(generator: keras.Model, path: str | Path) -> Path:
    """Save the generator alone as a plain U-Net ``.keras`` file (atomically).

    ``keras.models.load_model`` gives back a U-Net like ``unet.keras`` (without the GAN's
    optimizer state: compile it to train it further), and ``colorize --model gan.keras`` uses it.
    """
    return train.atomic_save_model(generator, path)


# ----------------------------------------------------------------------------------------------
# Plotting
# ----------------------------------------------------------------------------------------------


def plot_gan_history(history: dict | keras.callbacks.History, smooth: int = 10, axes=None):
    """Two panels: the adversarial game (d_loss against log 2, g_adv) and the L1 error.

    ``history``: what ``load_history`` returns, or ``fine_tune``'s History. Per-step losses
    (when recorded) are drawn faint with a running mean of ``smooth`` steps on top; epoch means
    are the dots. Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    if isinstance(history, keras.callbacks.History):
        epochs, steps = history.history, getattr(history, "steps", {})
    else:
        epochs, steps = history.get("epochs", history), history.get("steps", {})
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    else:
        fig = axes[0].figure
    n_steps = len(steps.get("d_loss", []))
    n_epochs = len(epochs.get("d_loss", []))
    per_epoch = n_steps / n_epochs if n_epochs and n_steps else 1.0
    x_epochs = (np.arange(n_epochs) + 1) * per_epoch  # epoch means drawn at each epoch's end

    ax = axes[0]
    for key, colour, label in (
        ("d_loss", "tab:red", "discriminator loss"),
        ("g_adv", "tab:blue", "generator adversarial loss"),
    ):
        if n_steps:
            y = np.asarray(steps[key], float)
            ax.plot(np.arange(1, n_steps + 1), y, color=colour, alpha=0.2, lw=0.8)
            ax.plot(np.arange(1, n_steps + 1), _running_mean(y, smooth), color=colour, label=label)
        if n_epochs:
            ax.plot(x_epochs, epochs[key], "o", color=colour, label=None if n_steps else label)
    ax.axhline(LOG2, color="gray", ls="--", lw=1)
    ax.annotate(
        "log 2: cannot tell",
        (0.99, LOG2),
        xycoords=("axes fraction", "data"),
        ha="right",
        va="bottom",
        color="gray",
        fontsize=8,
    )
    ax.set_xlabel("training step" if n_steps else "epoch")
    ax.set_ylabel("binary cross-entropy")
    ax.set_title("The adversarial game")
    ax.legend(fontsize=8)

    ax = axes[1]
    if n_steps:
        y = np.asarray(steps["g_l1"], float)
        ax.plot(np.arange(1, n_steps + 1), y, color="tab:green", alpha=0.2, lw=0.8)
        ax.plot(
            np.arange(1, n_steps + 1),
            _running_mean(y, smooth),
            color="tab:green",
            label="training L1",
        )
    if "val_l1" in epochs:
        ax.plot(x_epochs, epochs["val_l1"], "s-", color="black", label="validation L1")
    ax.set_xlabel("training step" if n_steps else "epoch")
    ax.set_ylabel("mean |ab error| (ab / 110)")
    ax.set_title("Distance to the true colours")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _running_mean(y: np.ndarray, n: int) -> np.ndarray:
    n = max(1, min(n, len(y)))
    c = np.cumsum(np.insert(y, 0, 0.0))
    out = np.empty_like(y)
    out[n - 1 :] = (c[n:] - c[:-n]) / n
    out[: n - 1] = c[1:n] / np.arange(1, n)  # shorter windows at the start
    return out


# ----------------------------------------------------------------------------------------------
# Command line: python -m colorize_lib train-gan
# ----------------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m colorize_lib train-gan``."""
    parser.formatter_class = argparse.ArgumentDefaultsHelpFormatter
    parser.description = (
        "Fine-tune a trained U-Net (from 'python -m colorize_lib train') as the generator of a "
        "GAN with a conditional PatchGAN discriminator, on your photos or a named source. The "
        "result, --out, is a plain U-Net .keras file for 'python -m colorize_lib colorize'. "
        "Checkpoints (both networks and optimizers) go to OUT without .keras plus '.run'; run "
        "the same command again to resume after an interruption."
    )
    parser.add_argument(
        "--init", required=True, help="the trained U-Net to start from (a .keras file)"
    )
    parser.add_argument(
        "--data",
        required=True,
        help="a folder of photos, an archive (.zip/.tar) path or URL, or a named source "
        "such as 'offline' (procedural pictures + bundled photos) or 'kaggle:OWNER/DATASET'",
    )
    parser.add_argument("--out", default="gan.keras", help="where to save the fine-tuned U-Net")
    parser.add_argument("--epochs", type=int, default=5, help="number of passes over the data")
    parser.add_argument(
        "--size",
        type=int,
        default=None,
        help="working size in pixels (a multiple of 32); default: the --init model's size, "
        "or 128 if it accepts any size",
    )
    parser.add_argument("--batch-size", type=int, default=16, help="pictures per step")
    parser.add_argument(
        "--l1-weight",
        type=float,
        default=100.0,
        help="weight of the L1 distance to the true colours against the adversarial loss "
        "(pix2pix: 100; smaller gives bolder but less faithful colours)",
    )
    parser.add_argument("--lr", type=float, default=2e-4, help="generator's Adam step size")
    parser.add_argument(
        "--d-lr", type=float, default=None, help="discriminator's Adam step size (default: --lr)"
    )
    parser.add_argument(
        "--label-smoothing",
        type=float,
        default=0.0,
        help="ask the discriminator for 1 - S instead of 1 on real pictures (e.g. 0.1) so it "
        "does not become over-confident",
    )
    parser.add_argument(
        "--val-fraction",
        type=float,
        default=0.1,
        help="fraction of the pictures held out for validation (never trained on); use the "
        "same value and --seed as for 'train' to keep the same held-out pictures",
    )
    parser.add_argument(
        "--n", type=int, default=None, help="use at most N pictures (default: all there are)"
    )
    parser.add_argument(
        "--resume",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="continue an interrupted run from its last saved epoch",
    )
    train.add_seed_argument(parser)


def main(args: argparse.Namespace) -> int:
    """Run ``python -m colorize_lib train-gan``; returns the exit code."""
    from colorize_lib import data, models, sources

    out = Path(args.out)
    if out.suffix != ".keras":
        out = out.with_suffix(".keras")
    init = Path(args.init)
    try:
        if not init.exists():
            raise FileNotFoundError(
                f"--init {init}: no such file. Train a U-Net first: python -m colorize_lib "
                f"train --data ... --out {init}"
            )
        generator = keras.models.load_model(init, compile=False)
        check_generator(generator)
        model_size = generator.input_shape[1]
        size = args.size or model_size or 128
        if model_size is not None and size != model_size:
            raise ValueError(
                f"--size {size}: {init} was built for {model_size}x{model_size} pictures; "
                f"leave --size out or pass --size {model_size}"
            )
        models._check_size(size)
        if not 0 < args.val_fraction < 1:
            raise ValueError(f"--val-fraction {args.val_fraction}: give a number between 0 and 1")
        if args.epochs < 1 or args.batch_size < 1:
            raise ValueError("--epochs and --batch-size must be at least 1")
        if args.l1_weight < 0 or not 0 <= args.label_smoothing < 1:
            raise ValueError("--l1-weight must be >= 0 and --label-smoothing in [0, 1)")
        split = train.cli_split(args.data, size, args.n, args.val_fraction, args.seed)
    except (ValueError, FileNotFoundError, OSError, sources.SourceError) as err:
        print(f"error: {err}")
        return 2
    print(
        f"data: {split.source_description}: {len(split.train)} training + {len(split.val)} "
        f"validation pictures at {size}x{size}"
    )
    if getattr(split, "report", None):
        print(split.report)
    if tf.config.list_physical_devices("GPU"):
        print(f"precision policy: {train.use_mixed_precision()}")
    keras.utils.set_random_seed(args.seed)  # new weights, dropout: the same run every time
    train_ds = data.make_dataset(split.train, args.batch_size, training=True, seed=args.seed)
    val_ds = data.make_dataset(split.val, args.batch_size, training=False, seed=args.seed)
    run_dir = out.with_name(out.stem + ".run")
    start = time.time()
    try:
        history = fine_tune(
            generator,
            train_ds,
            val_ds,
            epochs=args.epochs,
            out_dir=run_dir,
            l1_weight=args.l1_weight,
            g_learning_rate=args.lr,
            d_learning_rate=args.d_lr,
            label_smoothing=args.label_smoothing,
            resume=args.resume,
            samples=train.samples_from(val_ds),
        )
    except (train.TrainingDiverged, ValueError, FileNotFoundError) as err:
        print(f"error: {err}")
        return 1
    except KeyboardInterrupt:
        print(f"\ninterrupted: run the same command again to resume from {run_dir}")
        return 130
    save_generator(generator, out)
    train.atomic_write_json(
        {"epochs": history.history, "steps": history.steps, "reports": history.reports},
        run_dir / GAN_HISTORY_FILE,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        last = {k: round(v[-1], 4) for k, v in history.history.items() if v}
    print(f"last epoch: {last}")
    print(f"saved {out} after {time.time() - start:.0f} s (checkpoints and samples in {run_dir})")
    return 0
