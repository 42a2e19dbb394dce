"""One training step on two devices equals the same step on one device; mixed precision runs.

Run by ``test_distributed.py`` in a fresh process (TensorFlow's devices can be split into
logical devices only before it first uses them). Prints one JSON line with what it measured.

Two logical CPUs stand in for two GPUs: ``MirroredStrategy`` gives each a half of every batch
and sums their gradients. So each replica must divide its loss by the number of replicas
(Keras' ``compute_loss`` does it for a compiled model; ``ColorizationGAN.train_step`` must do it
itself). Two details make the comparison exact:

- the optimizers are plain SGD: Adam's first step, ``lr * g / |g|``, is the same for a gradient
  twice too large, so it would hide a missing division;
- batch normalisation runs in inference mode (its layers frozen): in training mode each replica
  normalises with the statistics of its own half-batch, a real (and expected) difference
  between one device and two that has nothing to do with the loss scaling tested here.
"""

from __future__ import annotations

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)

from colorize_lib import gan, models, profiles  # noqa: E402
from colorize_lib.training import runtime  # noqa: E402

SIZE, BATCH = 32, 8


def batch() -> tf.data.Dataset:
    rng = np.random.default_rng(0)
    L = rng.uniform(-1, 1, (BATCH, SIZE, SIZE, 1)).astype("float32")  # [B, S, S, 1]
    ab = np.concatenate([0.5 * L, -0.3 * L], axis=-1).astype("float32")  # [B, S, S, 2]
    return tf.data.Dataset.from_tensor_slices((L, ab)).batch(BATCH)  # one batch, both halves


def unet(strategy, weights=None):
    with strategy.scope():
        model = models.build_unet(SIZE, "MobileNetV2-0.35", weights=None)
        for layer in models._all_layers(model):
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False  # inference mode: per-picture, see the docstring
        if weights is not None:
            model.set_weights(weights)
    return model


def unet_step(strategy, weights):  # Keras' own train_step: eagerly, to save tracing time
    model = unet(strategy, weights)
    with strategy.scope():
        model.compile(keras.optimizers.SGD(0.5), keras.losses.MeanAbsoluteError(), run_eagerly=True)
    model.fit(batch(), epochs=1, verbose=0)  # graph mode, one step
    return model.get_weights()


def gan_step(strategy, g_weights, d_weights, eager=False):  # ours: traced, as in training
    generator = unet(strategy, g_weights)
    with strategy.scope():
        disc = models.build_discriminator(SIZE, base_filters=8, n_down=2)
        disc.set_weights(d_weights)
        model = gan.ColorizationGAN(generator, disc)
        model.compile(keras.optimizers.SGD(0.5), keras.optimizers.SGD(0.5), run_eagerly=eager)
    model.fit(batch(), epochs=1, verbose=0)
    return generator.get_weights() + disc.get_weights()


def max_diff(a, b) -> float:
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b, strict=True))


def main() -> dict:
    one = tf.distribute.OneDeviceStrategy("/cpu:0")
    two = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    run = runtime.setup(profiles.get_profile("tiny"), strategy=two)
    out = {"replicas": run.replicas, "precision": run.precision}

    w0 = unet(one).get_weights()
    d0 = models.build_discriminator(SIZE, base_filters=8, n_down=2).get_weights()
    u1, u2 = unet_step(one, w0), unet_step(two, w0)
    out["unet_step_change"] = max_diff(u1, w0)
    out["unet_max_diff"] = max_diff(u1, u2)
    g1, g2 = gan_step(one, w0, d0), gan_step(two, w0, d0)
    out["gan_step_change"] = max_diff(g1, w0 + d0)
    out["gan_max_diff"] = max_diff(g1, g2)
    # The control: without the division by the replicas, two devices take a larger step.
    real = gan._per_replica
    gan._per_replica = lambda loss: loss
    try:
        out["gan_unscaled_max_diff"] = max_diff(g1, gan_step(two, w0, d0, eager=True))
    finally:
        gan._per_replica = real

    # Mixed precision: float16 inside, float32 where it matters, finite losses.
    runtime.setup(profiles.get_profile("tiny"), precision="mixed_float16")
    generator = models.build_unet(SIZE, "MobileNetV2-0.35", weights=None)
    out.update(
        policy=keras.mixed_precision.global_policy().name,
        generator_compute=generator.get_layer("dec1_conv1").compute_dtype,
        generator_output=generator.output.dtype,
    )
    disc = models.build_discriminator(SIZE, base_filters=8, n_down=2)
    model = gan.ColorizationGAN(generator, disc)
    model.compile(run_eagerly=True)  # a dtype check, not a speed one: no tracing
    history = model.fit(batch(), epochs=1, verbose=0)
    out.update(
        discriminator_output=disc.output.dtype,
        optimizer=type(model.optimizer).__name__,
        d_optimizer=type(model.d_optimizer).__name__,
        losses_finite=all(np.isfinite(v[-1]) for v in history.history.values()),
        prediction_dtype=str(np.asarray(model.predict(next(iter(batch()))[0], verbose=0)).dtype),
    )
    return out


if __name__ == "__main__":
    print(json.dumps(main()))
