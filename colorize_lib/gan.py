"""The GAN of chapter 4: the U-Net as generator, a PatchGAN as discriminator, one ``train_step``.

A U-Net trained with L1 alone hedges: when a meadow could be green or golden it predicts the
average, a dull olive. A GAN adds a second network, the **discriminator**
(``models.build_discriminator``), that learns to tell real colourings from the generator's; the
generator (our U-Net) is trained to fool it, which pushes it towards colours that look real
rather than colours that are "on average right".

``ColorizationGAN`` is a ``keras.Model`` in the shape of keras-io's GAN examples: ``compile``
takes the two optimizers and the loss weights, ``train_step`` runs one adversarial step, and
``metrics`` lists the trackers ``fit`` reports and resets. So ``fit`` gives progress, callbacks,
checkpoints and resumption exactly as for the U-Net (``fitting.fit``). Chapter 4 writes this
class in its cells (all but the saving methods at the end) with these losses, and checks that one
training step of its class and of this one give the same weights (so does
``tests/test_exercises_ch4.py``): change the two together.

Losses (each averaged over every patch of every picture):

- ``d_loss = ½ [BCE(1, D(L, ab_real)) + BCE(0, D(L, ab_fake))]``: halved so that a
  discriminator that cannot tell reads log 2 = 0.693;
- ``g_adv = BCE(1, D(L, ab_fake))``: "make the discriminator say real";
- ``g_l1 = mean |ab_real - ab_fake|``, weighted by ``l1_weight`` (pix2pix: 100), which keeps the
  colours anchored to the truth.

Under ``tf.distribute`` each replica sees a slice of the batch; its losses are divided by the
number of replicas before the gradients (which the strategy sums), exactly as Keras' own
``compute_loss`` does, so one step on two devices equals one step on one device when the batch
splits evenly and batch normalisation runs per picture (``tests/two_devices.py`` checks it);
an empty slice of a last, smaller batch counts as a loss of 0, not NaN.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf

LOG2 = math.log(2.0)  # d_loss (and g_adv) of a discriminator that cannot tell real from generated


def _mean(x):
    """The mean of every element, and 0 (not NaN) for none: under ``tf.distribute`` a replica
    can get an empty slice of the last, smaller batch (Keras' own losses do the same)."""
    x = tf.cast(x, "float32")
    return tf.math.divide_no_nan(tf.reduce_sum(x), tf.cast(tf.size(x), "float32"))


def _bce(target, logits):
    """Binary cross-entropy on logits, averaged over every patch of every picture."""
    logits = tf.cast(logits, "float32")
    return _mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=logits))


def discriminator_loss(real_logits, fake_logits, label_smoothing: float = 0.0):
    """Real patches should say 1 (or ``1 - label_smoothing``), generated patches 0."""
    real_target = tf.fill(tf.shape(real_logits), 1.0 - label_smoothing)
    return 0.5 * (_bce(real_target, real_logits) + _bce(tf.zeros_like(fake_logits), fake_logits))


def generator_losses(fake_logits, ab_real, ab_fake):
    """``(g_adv, g_l1)``: fool the discriminator; stay close to the true colours."""
    g_adv = _bce(tf.ones_like(fake_logits), fake_logits)
    g_l1 = _mean(tf.abs(ab_real - tf.cast(ab_fake, ab_real.dtype)))
    return g_adv, g_l1


def _per_replica(loss):
    """Divide by the replicas: the strategy sums their gradients into the whole batch's mean."""
    return loss / tf.distribute.get_strategy().num_replicas_in_sync


@keras.saving.register_keras_serializable(package="colorize_lib")
class ColorizationGAN(keras.Model):
    """Generator (``L_norm [B,H,W,1]`` -> ``ab_norm [B,H,W,2]``) and discriminator, for ``fit``.

    ``fit`` on ``(L_norm, ab_norm)`` batches runs ``train_step``; ``evaluate`` (and ``fit``'s
    validation) runs ``test_step``, the generator's L1 error (``val_l1`` in the logs). Calling
    the model (or ``predict``) runs the generator. ``model.optimizer`` is the generator's.
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_adv_tracker = keras.metrics.Mean(name="g_adv")
        self.g_l1_tracker = keras.metrics.Mean(name="g_l1")
        self.d_real_tracker = keras.metrics.Mean(name="d_real_acc")  # real patches called real
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake_acc")  # generated called generated
        self.l1_tracker = keras.metrics.Mean(name="l1")  # validation
        self.built = True  # both networks are built Functional models

    def call(self, L_norm, training: bool = False):
        return self.generator(L_norm, training=training)  # [B, H, W, 2]

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        # listed so that Keras resets them at the start of every epoch and of evaluate()
        return [
            self.d_loss_tracker,
            self.g_adv_tracker,
            self.g_l1_tracker,
            self.d_real_tracker,
            self.d_fake_tracker,
            self.l1_tracker,
        ]

    def compile(
        self, g_optimizer=None, d_optimizer=None, l1_weight=100.0, label_smoothing=0.0, **kwargs
    ):
        """Two optimizers (pix2pix: ``Adam(2e-4, beta_1=0.5)`` each) and the loss weights.

        ``label_smoothing``: the discriminator is asked for ``1 - label_smoothing`` instead of 1
        on real pictures (e.g. 0.1), which keeps it from becoming over-confident. Under
        ``mixed_float16`` both optimizers scale the loss (``keras.optimizers.LossScaleOptimizer``).
        """
        super().compile(optimizer=g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5), **kwargs)
        d_optimizer = d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        if self.dtype_policy.name == "mixed_float16" and not isinstance(
            d_optimizer, keras.optimizers.LossScaleOptimizer
        ):
            d_optimizer = keras.optimizers.LossScaleOptimizer(d_optimizer)
        self.d_optimizer = d_optimizer
        self.l1_weight = float(l1_weight)
        self.label_smoothing = float(label_smoothing)
        # Each optimizer holds state for its own network only (Keras would otherwise build
        # ``model.optimizer`` on every trainable variable, the discriminator's included).
        self.optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)

    def train_step(self, data):
        L, ab_real = data[0], data[1]  # [B, H, W, 1], [B, H, W, 2]
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            ab_fake = self.generator(L, training=True)  # [B, H, W, 2]
            real_logits = self.discriminator([L, ab_real], training=True)  # [B, h, w, 1]
            fake_logits = self.discriminator([L, ab_fake], training=True)  # [B, h, w, 1]
            d_loss = discriminator_loss(real_logits, fake_logits, self.label_smoothing)
            g_adv, g_l1 = generator_losses(fake_logits, ab_real, ab_fake)
            g_loss = g_adv + self.l1_weight * g_l1
            g_scaled = self.optimizer.scale_loss(_per_replica(g_loss))  # loss scaling: fp16 only
            d_scaled = self.d_optimizer.scale_loss(_per_replica(d_loss))
        g_vars = self.generator.trainable_variables
        d_vars = self.discriminator.trainable_variables
        self.optimizer.apply(g_tape.gradient(g_scaled, g_vars), g_vars)
        self.d_optimizer.apply(d_tape.gradient(d_scaled, d_vars), d_vars)

        self.d_loss_tracker.update_state(d_loss)
        self.g_adv_tracker.update_state(g_adv)
        self.g_l1_tracker.update_state(g_l1)
        self.d_real_tracker.update_state(_mean(tf.cast(real_logits > 0, "float32")))
        self.d_fake_tracker.update_state(_mean(tf.cast(fake_logits < 0, "float32")))
        trained = (
            self.d_loss_tracker,
            self.g_adv_tracker,
            self.g_l1_tracker,
            self.d_real_tracker,
            self.d_fake_tracker,
        )
        return {m.name: m.result() for m in trained}  # by name: the order of metrics is free

    def test_step(self, data):
        L, ab_real = data[0], data[1]  # [B, H, W, 1], [B, H, W, 2]
        ab_fake = self.generator(L, training=False)  # [B, H, W, 2]
        self.l1_tracker.update_state(_mean(tf.abs(ab_real - tf.cast(ab_fake, "float32"))))
        return {"l1": self.l1_tracker.result()}

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
        if not getattr(self, "compiled", False) or not hasattr(self, "d_optimizer"):
            return {}
        return {
            "g_optimizer": keras.saving.serialize_keras_object(self.optimizer),
            "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer),
            "l1_weight": self.l1_weight,
            "label_smoothing": self.label_smoothing,
        }

    def compile_from_config(self, config: dict) -> None:
        if config:
            self.compile(
                g_optimizer=keras.saving.deserialize_keras_object(config["g_optimizer"]),
                d_optimizer=keras.saving.deserialize_keras_object(config["d_optimizer"]),
                l1_weight=config["l1_weight"],
                label_smoothing=config["label_smoothing"],
            )
