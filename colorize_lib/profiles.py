"""Run sizes, chosen in one place; the only module that reads the environment.

Every notebook, script and test asks this module how big a run should be; none hard-codes
epochs or image counts. Three named profiles:

- ``tiny``: seconds per notebook, for the test suite;
- ``cpu``:  sized so that the whole book builds in under 20 minutes on a 2-core laptop;
- ``gpu``:  the real study on Colab's GPU (about 20,000 photos at 128x128).

The profile is picked from the hardware (a GPU or TPU present -> ``gpu``, else ``cpu``) and
overridden by the environment variable ``COLORIZE_PROFILE`` (``tiny``, ``cpu`` or ``gpu``).
Where the run's files go (trained models, downloads) is ``COLORIZE_CACHE``, by default
``~/.cache/colorize-book``; each profile has its own sub-folder, so a tiny test run never
overwrites the model a real run trained. ``COLORIZE_SEED`` (an integer, default 0) seeds every
run of a build (new weights, shuffling, flips): a build with another seed trains other models
from the same pictures, which is how the book checks that its conclusions do not hang on one
lucky run.

``COLORIZE_DATA`` replaces the profile's pictures with your own: a folder of photos, an archive,
or anything else ``data.open_source`` accepts (``make book COLORIZE_DATA=path/to/photos``).
``get_profile`` puts it in the profile's ``data`` field; ``data.profile_split`` then reads those
photos, with no fallback: a path that does not exist is an error.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

ENV_PROFILE = "COLORIZE_PROFILE"
ENV_CACHE = "COLORIZE_CACHE"
ENV_SEED = "COLORIZE_SEED"
ENV_DATA = "COLORIZE_DATA"  # your own photos instead of the profile's source
ENV_WEB_MODELS = "COLORIZE_WEB_MODELS"  # more models for chapter 6's page (bundle.gather)
ENV_TPU = ("COLAB_TPU_ADDR", "TPU_NAME")  # set by Colab's and Cloud's TPU runtimes


@dataclasses.dataclass(frozen=True)
class Profile:
    """How big every run is. Fields are read by the modules that need them."""

    name: str
    # data
    source: str  # "offline" (procedural + bundled photos) or "kaggle" (real photos, online)
    image_size: int  # working size in pixels (square), for training and evaluation
    n_train: int  # training pictures
    n_val: int  # held-out pictures (validation and evaluation)
    batch_size: int
    # U-Net (chapter 3)
    encoder: str  # Keras application used as the pretrained encoder
    unet_epochs: int
    freeze_epochs: int  # epochs with the encoder frozen, before fine-tuning it all
    # GAN (chapter 4)
    gan_epochs: int
    # λ, the weight of L1 against the adversarial loss. pix2pix's 100 suits a long fine-tune; in
    # a few hundred steps its adversarial push barely moves the colours, so short runs use less
    gan_l1_weight: float
    gan_warmup_epochs: int  # discriminator-only epochs before the GAN's (DeOldify's "NoGAN")
    # hint U-Net (chapter 7): epochs of learning the hints, from chapter 3's U-Net
    hint_epochs: int
    # evaluation (chapter 5)
    n_eval: int  # held-out pictures scored in chapter 5
    n_quiz: int  # pairs in the "which one is real?" quiz
    resolution_sizes: tuple[int, ...]  # sizes compared in the resolution study
    resolution_epochs: int  # epochs per model in the resolution study
    seed: int = 0  # seeds the runs (``runtime.setup``); from ``COLORIZE_SEED``
    # your own photos (``$COLORIZE_DATA``: a folder, an archive...), used instead of ``source``
    data: str | None = None

    def describe(self) -> str:
        """One line for the top of a notebook: which profile and what it implies."""
        origin = f"{ENV_DATA}={self.data}" if self.data else f"'{self.source}'"
        return (
            f"profile '{self.name}': {self.n_train} training + {self.n_val} validation pictures "
            f"at {self.image_size}x{self.image_size} from {origin}, batch {self.batch_size}, "
            f"U-Net {self.unet_epochs} epochs, GAN {self.gan_epochs} epochs (λ = "
            f"{self.gan_l1_weight:g}), seed {self.seed} "
            f"(set {ENV_PROFILE}=tiny|cpu|gpu to change)"
        )


PROFILES: dict[str, Profile] = {
    "tiny": Profile(
        name="tiny",
        source="offline",
        image_size=32,
        n_train=32,
        n_val=8,
        batch_size=8,
        encoder="MobileNetV2-0.35",
        unet_epochs=1,
        freeze_epochs=0,
        gan_epochs=1,
        gan_l1_weight=100.0,  # a few steps on a few pictures: L1 keeps them sane
        gan_warmup_epochs=1,
        hint_epochs=1,
        n_eval=8,
        n_quiz=3,
        resolution_sizes=(32, 64),  # multiples of 32 (the encoder halves 5 times)
        resolution_epochs=1,
    ),
    "cpu": Profile(
        name="cpu",
        source="offline",
        image_size=64,
        n_train=1200,
        n_val=160,
        batch_size=16,
        # a 0.35-wide MobileNetV2: 2.7x faster on 2 cores, and offline it starts random anyway
        encoder="MobileNetV2-0.35",
        # 10 epochs: the U-Net learns what context decides, so what is left of its colour gap
        # is mostly the hedge where context cannot decide (chapters 3 and 4 measure both)
        unet_epochs=10,
        freeze_epochs=1,
        # chapter 4 about 5 minutes on 2 cores. λ = 10 and 8 epochs: on the procedural pictures
        # the GAN gave back most of the chroma the U-Net's hedge lost (bench_gan_levers.py), and
        # benchmarks/bench_seeds.py measures what it closes of the colourfulness gap, per seed
        gan_epochs=8,
        gan_l1_weight=10.0,
        gan_warmup_epochs=1,
        hint_epochs=10,
        n_eval=160,
        n_quiz=8,
        resolution_sizes=(32, 64),
        resolution_epochs=1,  # two short runs in chapter 5 (about 2 minutes on 2 cores)
    ),
    "gpu": Profile(
        name="gpu",
        source="kaggle",
        image_size=128,
        n_train=20000,
        n_val=1000,
        batch_size=64,
        encoder="MobileNetV2",
        unet_epochs=20,
        freeze_epochs=2,
        gan_epochs=10,
        gan_l1_weight=100.0,
        gan_warmup_epochs=1,
        hint_epochs=10,
        n_eval=1000,
        n_quiz=12,
        resolution_sizes=(64, 128),
        resolution_epochs=10,
    ),
}


def tpu_announced() -> bool:
    """True when the runtime announces a TPU (Colab and Cloud set one of ``ENV_TPU``)."""
    return any(os.environ.get(name) for name in ENV_TPU)


def _accelerator_present() -> bool:
    """True when TensorFlow sees a GPU or a TPU (imports TensorFlow, only when asked)."""
    if tpu_announced():
        return True
    try:
        import tensorflow as tf
    except ImportError:
        return False
    return bool(tf.config.list_physical_devices("GPU"))


def get_profile(name: str | None = None) -> Profile:
    """The profile to use: ``name`` if given, else ``$COLORIZE_PROFILE``, else from the hardware;
    its ``data`` is ``$COLORIZE_DATA`` when that is set (and not empty), its ``seed``
    ``$COLORIZE_SEED`` when set."""
    name = name or os.environ.get(ENV_PROFILE) or ("gpu" if _accelerator_present() else "cpu")
    key = name.strip().lower()
    if key not in PROFILES:
        raise ValueError(
            f"Unknown profile {name!r} (from {ENV_PROFILE} or the argument). "
            f"Choose one of: {', '.join(PROFILES)}."
        )
    profile = PROFILES[key]
    data = (os.environ.get(ENV_DATA) or "").strip()
    if data:
        profile = dataclasses.replace(profile, data=data)
    seed = os.environ.get(ENV_SEED, "").strip()
    if not seed:
        return profile
    try:
        return dataclasses.replace(profile, seed=int(seed))
    except ValueError:
        raise ValueError(f"{ENV_SEED}={seed!r}: give a whole number such as 0, 1 or 2.") from None


def cache_dir(profile: Profile | str | None = None) -> Path:
    """Folder for a profile's files (models, histories); created on first use.

    ``cache_dir()`` alone is the shared root (downloads live there, shared by all profiles).
    """
    root = Path(os.environ.get(ENV_CACHE) or Path.home() / ".cache" / "colorize-book").expanduser()
    if profile is not None:
        root = root / (profile if isinstance(profile, str) else profile.name)
    root.mkdir(parents=True, exist_ok=True)
    return root


def web_models() -> str | None:
    """``$COLORIZE_WEB_MODELS``: models the book's page shows beside its own (a folder, a .zip
    or its address with ``#sha256=``; ``bundle.gather``), or ``None``; it outranks the pinned
    entry of ``book/web-models.txt``."""
    return (os.environ.get(ENV_WEB_MODELS) or "").strip() or None


def on_colab() -> bool:
    """Whether this runs in a Colab notebook (its ``google.colab`` module is loaded)."""
    import sys

    return "google.colab" in sys.modules


def keras_weights_dir() -> Path:
    """Where Keras keeps downloaded weights (``$KERAS_HOME/models``, default ``~/.keras/models``)."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser() / "models"


def https_proxy() -> str | None:
    """The proxy downloads go through (``HTTPS_PROXY``), if one is set."""
    return os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy") or None


def quiet_tensorflow_logs() -> None:
    """Keep TensorFlow's C++ log lines below fatal off the terminal (``TF_CPP_MIN_LOG_LEVEL=3``
    unless set): the command line calls it first. Set ``TF_CPP_MIN_LOG_LEVEL=0`` to see them."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
