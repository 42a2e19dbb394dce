"""Setting up a run: the one call that touches global TensorFlow and Keras state.

Everything the library trains or predicts runs inside what ``setup`` returns; nothing deeper in
the library sets a precision policy, a strategy or a seed. A chapter's setup cell and every
command of the command line call it once, visibly::

    from colorize_lib import profiles

    from colorize_lib.training import runtime

    run = runtime.setup(profiles.get_profile())
    print(run.describe())  # profile, devices, strategy, precision

What it decides, from the hardware (and the arguments, which win):

- **strategy**: a TPU announced by the runtime -> ``TPUStrategy``; several GPUs ->
  ``MirroredStrategy`` (each GPU gets a slice of every batch, gradients are summed); else the
  default strategy (one device). Build models inside ``with run.strategy.scope():``.
- **precision**: ``mixed_float16`` on a GPU, ``mixed_bfloat16`` on a TPU, ``float32`` on a CPU
  (where half precision only slows things down). The policy is set here, globally, *before*
  any model is built; the U-Net's output layer and the PatchGAN's logits stay float32.
- **seed**: ``keras.utils.set_random_seed`` (Python, NumPy, TensorFlow), so new weights and the
  data order are the same on every run.
"""

from __future__ import annotations

import dataclasses

import keras
import tensorflow as tf

from colorize_lib import profiles

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


@dataclasses.dataclass(frozen=True)
class Run:
    """What ``setup`` decided: pass it to whatever trains or predicts."""

    profile: profiles.Profile
    strategy: tf.distribute.Strategy
    precision: str  # the global Keras dtype policy: one of PRECISIONS
    devices: str  # what the strategy runs on, in words
    seed: int

    @property
    def replicas(self) -> int:
        """How many devices share each batch (1 without distribution)."""
        return self.strategy.num_replicas_in_sync

    def describe(self) -> str:
        return (
            f"{self.profile.describe()}\n"
            f"running on {self.devices} ({type(self.strategy).__name__}, "
            f"{self.replicas} replica(s)), precision {self.precision}, seed {self.seed}"
        )


def choose_strategy() -> tuple[tf.distribute.Strategy, str]:
    """The distribution strategy for what is present, and the devices in words."""
    if profiles.tpu_announced():
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
            strategy = tf.distribute.TPUStrategy(resolver)
            return strategy, f"a TPU with {strategy.num_replicas_in_sync} cores"
        except (ValueError, RuntimeError, tf.errors.OpError) as err:
            print(f"warning: a TPU was announced but could not be reached ({err}); not using it")
    gpus = tf.config.list_physical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy(), f"{len(gpus)} GPUs"
    return tf.distribute.get_strategy(), "1 GPU" if gpus else "the CPU"


def default_precision(strategy: tf.distribute.Strategy) -> str:
    """``mixed_bfloat16`` on a TPU, ``mixed_float16`` on a GPU, ``float32`` on a CPU."""
    if isinstance(strategy, tf.distribute.TPUStrategy):
        return "mixed_bfloat16"
    return "mixed_float16" if tf.config.list_physical_devices("GPU") else "float32"


def setup(
    profile: profiles.Profile | None = None,
    precision: str = "auto",
    seed: int | None = None,
    strategy: tf.distribute.Strategy | None = None,
) -> Run:
    """Choose the strategy and the precision, set the precision policy and the seed; call once.

    Args:
        profile: the run sizes (default: ``profiles.get_profile()``, from the environment).
        precision: ``"auto"`` (from the hardware, see the module docstring) or one of
            ``PRECISIONS``, e.g. ``"mixed_float16"`` to try it on a CPU.
        seed: for ``keras.utils.set_random_seed`` (default: the profile's, ``COLORIZE_SEED``).
        strategy: a ``tf.distribute`` strategy to use instead of the one picked from the
            hardware (the tests pass a ``MirroredStrategy`` over two logical CPUs).
    """
    profile = profile or profiles.get_profile()
    seed = profile.seed if seed is None else seed
    if strategy is None:
        strategy, devices = choose_strategy()
    else:
        devices = ", ".join(strategy.extended.worker_devices)
    precision = default_precision(strategy) if precision == "auto" else precision
    if precision not in PRECISIONS:
        raise ValueError(f"precision={precision!r}: choose 'auto' or one of {PRECISIONS}")
    keras.mixed_precision.set_global_policy(precision)
    keras.utils.set_random_seed(seed)
    return Run(profile, strategy, precision, devices, seed)
