"""Training the U-Net with ``fit``: callbacks, checkpoints, resumption, a NaN guard.

The pieces, each usable on its own (chapter 4's GAN reuses them):

- ``compile_unet``: Adam and the L1 loss (mean absolute error) on ``ab_norm``.
- ``choose_strategy`` / ``use_mixed_precision``: a ``tf.distribute`` strategy from the hardware
  (TPU -> ``TPUStrategy``, several GPUs -> ``MirroredStrategy``, else the default) and the
  mixed-precision policy, set only when asked and only on an accelerator.
- ``SampleColorizations``: shows a strip of colorized samples after every epoch (updated in
  place in a notebook, one PNG per epoch elsewhere).
- ``EpochCheckpoint``: after every epoch, writes the whole model (weights and optimizer) as a
  ``.keras`` file **atomically**, then ``state.json`` (epochs done, history) that points to it.
  A kill at any moment leaves ``state.json`` pointing to a complete file.
- ``NaNGuard``: stops at the first non-finite loss, puts back the last good weights and makes
  ``train_unet`` raise ``TrainingDiverged`` with a message that says what to do.
- ``train_unet``: the loop (optional frozen-encoder epochs first), resuming from ``out_dir``.
- ``load_or_train_unet(profile)``: chapter 3's model from the cache, or trained on the spot.
- ``add_arguments`` / ``main``: ``python -m colorize_lib train ...``.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from colorize_lib import color, models, profiles

STATE_FILE = "state.json"
UNET_FILE = "unet.keras"
UNET_HISTORY_FILE = "unet_history.json"


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the model holds the last good weights."""


# ----------------------------------------------------------------------------------------------
# Hardware: strategy and precision (explicit calls, never at import)
# ----------------------------------------------------------------------------------------------


def choose_strategy(verbose: bool = True) -> tf.distribute.Strategy:
    """The distribution strategy for what is present: TPU, several GPUs, or the default."""
    if os.environ.get("COLAB_TPU_ADDR") or os.environ.get("TPU_NAME"):
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
            strategy: tf.distribute.Strategy = tf.distribute.TPUStrategy(resolver)
            _say(verbose, f"training on a TPU with {strategy.num_replicas_in_sync} cores")
            return strategy
        except (ValueError, RuntimeError, tf.errors.OpError) as err:
            _say(verbose, f"a TPU was announced but could not be reached ({err}); not using it")
    gpus = tf.config.list_physical_devices("GPU")
    if len(gpus) > 1:
        strategy = tf.distribute.MirroredStrategy()
        _say(verbose, f"training on {len(gpus)} GPUs (MirroredStrategy)")
        return strategy
    _say(verbose, "training on " + ("1 GPU" if gpus else "the CPU"))
    return tf.distribute.get_strategy()


def use_mixed_precision(strategy: tf.distribute.Strategy | None = None) -> str:
    """Switch Keras to mixed precision on a GPU (float16) or TPU (bfloat16); else do nothing.

    Call it BEFORE building the model. Returns the global policy's name. The U-Net's output
    layer is float32 in any case (``models.build_unet``), and ``compile`` wraps the optimizer
    in loss scaling under ``mixed_float16``.
    """
    if isinstance(strategy, tf.distribute.TPUStrategy):
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    elif tf.config.list_physical_devices("GPU"):
        keras.mixed_precision.set_global_policy("mixed_float16")
    return keras.mixed_precision.global_policy().name


def compile_unet(model: keras.Model, learning_rate: float = 1e-3) -> keras.Model:
    """Adam + L1 loss on ``ab_norm`` (the mean absolute error; it blurs less than L2)."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.MeanAbsoluteError(name="l1"),
    )
    return model


# ----------------------------------------------------------------------------------------------
# Files: atomic writes
# ----------------------------------------------------------------------------------------------


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_save_model(model: keras.Model, path: str | Path) -> Path:
    """Save ``model`` as ``.keras`` so that ``path`` is always either the old or the new file.

    Writes a temporary file in the same folder, flushes it to disk, then ``os.replace`` (atomic
    on one file system). A crash while saving leaves the previous file untouched.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"{path}: a model file must end in .keras")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".keras", dir=path.parent)
    os.close(fd)
    try:
        model.save(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_json(data: Any, path: str | Path) -> Path:
    """Write JSON the same all-or-nothing way as ``atomic_save_model``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_state(out_dir: str | Path) -> dict | None:
    """The training state in ``out_dir`` (``epoch`` done, ``history``, ``checkpoint``), or None."""
    path = Path(out_dir) / STATE_FILE
    if not path.exists():
        return None
    state = json.loads(path.read_text())
    if not (Path(out_dir) / state["checkpoint"]).exists():
        raise FileNotFoundError(
            f"{path} points to {state['checkpoint']}, which is missing. Delete {out_dir} "
            "(or pass resume=False / --no-resume) to start over."
        )
    return state


# ----------------------------------------------------------------------------------------------
# Callbacks
# ----------------------------------------------------------------------------------------------


class EpochCheckpoint(keras.callbacks.Callback):
    """After each finished epoch: ``epoch-NNN.keras`` (atomic), then ``state.json``.

    ``state.json`` is the commit record: it is replaced only once the model file is complete,
    and older checkpoint files are deleted only after that. ``history`` holds the epochs done
    before this run (when resuming) so the saved history is continuous.
    """

    def __init__(self, out_dir: str | Path, history: dict[str, list] | None = None, info=None):
        super().__init__()
        self.out_dir = Path(out_dir)
        self.history: dict[str, list] = {k: list(v) for k, v in (history or {}).items()}
        self.info = dict(info or {})

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if not all(math.isfinite(float(v)) for v in logs.values()) or self.model.stop_training:
            return  # a diverged epoch is never saved (the NaN guard says why)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))
        name = f"epoch-{epoch + 1:03d}.keras"
        atomic_save_model(self.model, self.out_dir / name)
        state = {"epoch": epoch + 1, "checkpoint": name, "history": self.history, **self.info}
        atomic_write_json(state, self.out_dir / STATE_FILE)
        for old in self.out_dir.glob("epoch-*.keras"):
            if old.name != name:
                old.unlink(missing_ok=True)


class NaNGuard(keras.callbacks.Callback):
    """Stop at the first NaN/inf loss and put back the weights of the last good epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.good_weights: list[np.ndarray] | None = None
        self.message: str | None = None
        self._epoch = 0

    def on_train_begin(self, logs=None) -> None:
        self.good_weights = self.model.get_weights()
        self.message = None

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self._trip(
                f"the training loss became {float(loss)} at epoch {self._epoch + 1}, "
                f"batch {batch + 1}"
            )

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        bad = {k: v for k, v in (logs or {}).items() if not math.isfinite(float(v))}
        if bad and self.message is None:
            self._trip(f"{', '.join(bad)} became non-finite at the end of epoch {epoch + 1}")
        elif self.message is None:
            self.good_weights = self.model.get_weights()

    def _trip(self, what: str) -> None:
        self.model.stop_training = True
        if self.good_weights is not None:
            self.model.set_weights(self.good_weights)
        self.message = (
            f"Training stopped: {what}. The model holds the weights of the last good epoch "
            f"(epoch {self._epoch}; 0 = the starting weights) and its checkpoint is kept. "
            "Lower the learning rate, check the data for NaN values, or resume from the checkpoint."
        )


class SampleColorizations(keras.callbacks.Callback):
    """Shows how a few pictures are colorized after every epoch.

    Rows: gray input, the model's colours, the truth. In a notebook the same picture is
    updated in place; elsewhere a PNG ``samples-epoch-NNN.png`` is written to ``out_dir``.
    """

    def __init__(
        self,
        L_norm: np.ndarray,
        ab_norm: np.ndarray | None = None,
        out_dir: str | Path | None = None,
        in_notebook: bool | None = None,
        scale: int = 2,
    ):
        super().__init__()
        self.L = np.asarray(L_norm, np.float32)  # [N, S, S, 1]
        self.ab = None if ab_norm is None else np.asarray(ab_norm, np.float32)  # [N, S, S, 2]
        self.out_dir = None if out_dir is None else Path(out_dir)
        self.in_notebook = _in_notebook() if in_notebook is None else in_notebook
        self.scale = scale
        self._handle = None
        self.paths: list[Path] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        pred = self.model.predict(self.L, verbose=0)  # [N, S, S, 2]
        png = sample_strip_png(self.L, pred, self.ab, scale=self.scale)
        if self.in_notebook:
            from IPython.display import Image, display

            loss = (logs or {}).get("val_loss", (logs or {}).get("loss"))
            title = f"after epoch {epoch + 1}" + (f" (loss {loss:.4f})" if loss else "")
            if self._handle is None:
                self._handle = display(Image(png), display_id=True)
                self._title = display(_markdown(title), display_id=True)
            else:
                self._handle.update(Image(png))
                self._title.update(_markdown(title))
        elif self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            path = self.out_dir / f"samples-epoch-{epoch + 1:03d}.png"
            path.write_bytes(png)
            self.paths.append(path)


def _markdown(text: str):
    from IPython.display import Markdown

    return Markdown(f"*Sample colorizations {text}: rows gray / U-Net / truth*")


def sample_strip_png(
    L_norm: np.ndarray, ab_pred: np.ndarray, ab_true: np.ndarray | None = None, scale: int = 2
) -> bytes:
    """A PNG with one column per picture; rows: gray, predicted colours, (truth)."""
    from PIL import Image

    L_norm = np.asarray(L_norm, np.float32)
    rows = [np.repeat(np.uint8(np.clip((L_norm + 1) * 127.5, 0, 255)), 3, axis=-1)]  # gray
    for ab in (ab_pred, ab_true):
        if ab is not None:
            rgb = np.asarray(color.model_to_rgb(L_norm, np.asarray(ab, np.float32)))
            rows.append(np.uint8(np.round(rgb * 255)))  # [N, S, S, 3]
    grid = np.concatenate([np.concatenate(list(r), axis=1) for r in rows], axis=0)
    grid = grid.repeat(scale, axis=0).repeat(scale, axis=1)
    buf = io.BytesIO()
    Image.fromarray(grid).save(buf, format="PNG")
    return buf.getvalue()


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and ("IPKernelApp" in shell.config or "google.colab" in str(shell))


def _say(verbose: Any, text: str) -> None:
    if verbose:
        print(text)


# ----------------------------------------------------------------------------------------------
# The training loop
# ----------------------------------------------------------------------------------------------


def train_unet(
    model: keras.Model,
    train_ds: tf.data.Dataset,
    val_ds: tf.data.Dataset | None,
    epochs: int,
    out_dir: str | Path,
    freeze_epochs: int = 0,
    samples: tuple[np.ndarray, np.ndarray] | None = None,
    learning_rate: float = 1e-3,
    resume: bool = True,
    strategy: tf.distribute.Strategy | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: Any = "auto",
) -> keras.callbacks.History:
    """Train ``model`` in place for ``epochs`` epochs; returns the History of ALL epochs.

    - The first ``freeze_epochs`` epochs train the decoder only (encoder frozen), then all.
    - After every epoch a checkpoint and ``state.json`` go to ``out_dir``. With ``resume`` and a
      state in ``out_dir``, training continues after the last saved epoch (weights, optimizer
      and history restored); a finished run returns at once.
    - ``samples=(L_norm [N,S,S,1], ab_norm [N,S,S,2])`` shows colorizations after each epoch.
    - A NaN/inf loss stops training, restores the last good weights, raises TrainingDiverged.
    - ``callbacks`` are added to ``fit`` (e.g. one that interrupts, in the tests).
    - ``verbose="auto"``: Keras' progress bar on a terminal, one line per epoch in a notebook.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    strategy = strategy or tf.distribute.get_strategy()
    if verbose == "auto" and _in_notebook():
        # one line per epoch: the sample strip is the live view, and a per-step bar would be
        # stored as hundreds of outputs in an executed notebook (the static book)
        verbose = 2
    info = {"model": model.name, "input_shape": list(model.input_shape), "epochs": epochs}
    state = read_state(out_dir) if resume else None
    if state is not None and (state.get("model"), state.get("input_shape")) != (
        info["model"],
        info["input_shape"],
    ):
        raise ValueError(
            f"{out_dir} holds checkpoints of another model ({state.get('model')}, input "
            f"{state.get('input_shape')}), not of {info['model']} {info['input_shape']}. Use "
            "another output folder, or resume=False (--no-resume) to overwrite it."
        )
    if not resume:
        for old in [*out_dir.glob("epoch-*.keras"), out_dir / STATE_FILE]:
            old.unlink(missing_ok=True)
    done = state["epoch"] if state else 0
    history = dict(state["history"]) if state else {}
    if state:
        _say(verbose, f"resuming from {out_dir / state['checkpoint']} (epoch {done} of {epochs})")

    freeze_epochs = max(0, min(freeze_epochs, epochs))
    stages = [(0, freeze_epochs, False), (freeze_epochs, epochs, True)]
    checkpoint = EpochCheckpoint(out_dir, history, info)
    guard = NaNGuard()
    extra = list(callbacks)
    if samples is not None:
        extra.append(SampleColorizations(samples[0], samples[1], out_dir=out_dir))
    loaded = state is None
    for start, end, encoder_trainable in stages:
        if end <= start or done >= end:
            continue
        with strategy.scope():
            models.set_encoder_trainable(model, encoder_trainable)
            compile_unet(model, learning_rate)
            if not loaded:
                if done > start:  # resuming inside this stage: the optimizer state matches
                    model.optimizer.build(model.trainable_variables)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # a new stage starts with a fresh optimizer
                    model.load_weights(out_dir / state["checkpoint"])
                loaded = True
        if start == 0 and end == freeze_epochs:
            _say(verbose, f"epochs 1-{end}: encoder frozen, training the decoder")
        elif freeze_epochs:
            _say(verbose, f"epochs {start + 1}-{end}: training encoder and decoder")
        model.fit(
            train_ds,
            validation_data=val_ds,
            initial_epoch=max(start, done),
            shuffle=False,  # the tf.data pipeline shuffles
            epochs=end,
            callbacks=[guard, checkpoint, *extra],
            verbose=verbose,
        )
        if guard.message:
            raise TrainingDiverged(guard.message)
        done = end
    if not loaded:  # nothing left to train: bring back the finished weights
        model.load_weights(out_dir / state["checkpoint"])
    result = keras.callbacks.History()
    result.set_model(model)
    result.history = checkpoint.history
    result.epoch = list(range(len(next(iter(result.history.values()), []))))
    return result


def samples_from(dataset: tf.data.Dataset, n: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n`` pictures of a batched ``(L_norm, ab_norm)`` dataset, as NumPy arrays."""
    Ls, abs_ = [], []
    for L, ab in dataset:
        Ls.append(np.asarray(L))
        abs_.append(np.asarray(ab))
        if sum(len(x) for x in Ls) >= n:
            break
    return np.concatenate(Ls)[:n], np.concatenate(abs_)[:n]


# ----------------------------------------------------------------------------------------------
# Chapter 3's model, for chapters 4 and 5
# ----------------------------------------------------------------------------------------------


def unet_path(profile: profiles.Profile | str | None = None) -> Path:
    """Where a profile's trained U-Net lives: ``cache_dir(profile) / "unet.keras"``."""
    return profiles.cache_dir(_profile(profile)) / UNET_FILE


def load_history(profile: profiles.Profile | str | None = None) -> dict[str, list[float]]:
    """The loss history saved with a profile's U-Net ({} when there is none)."""
    path = profiles.cache_dir(_profile(profile)) / UNET_HISTORY_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def load_or_train_unet(
    profile: profiles.Profile | str | None = None,
    source: str | None = None,
    retrain: bool = False,
    samples: bool = True,
    verbose: Any = "auto",
) -> keras.Model:
    """The profile's trained U-Net from ``cache_dir(profile)/unet.keras``, or train it now.

    Training uses the profile's data, encoder and epochs, checkpoints to
    ``cache_dir(profile)/unet_run`` (an interrupted run resumes there), then saves the model and
    its loss history (``load_history``).
    """
    profile = _profile(profile)
    path = unet_path(profile)
    if path.exists() and not retrain:
        _say(verbose, f"loaded the trained U-Net from {path}")
        return keras.models.load_model(path)
    from colorize_lib import data

    strategy = choose_strategy(verbose=bool(verbose))
    if strategy.num_replicas_in_sync > 1 or tf.config.list_physical_devices("GPU"):
        use_mixed_precision(strategy)
    train_ds, val_ds, _split = data.make_datasets(profile, source=source)
    with strategy.scope():
        model = models.build_unet(profile.image_size, profile.encoder)
    freeze = profile.freeze_epochs if model.pretrained else 0
    if profile.freeze_epochs and not model.pretrained:
        _say(verbose, "no pretrained encoder, so no frozen-encoder epochs (nothing to protect)")
    history = train_unet(
        model,
        train_ds,
        val_ds,
        epochs=profile.unet_epochs,
        out_dir=profiles.cache_dir(profile) / "unet_run",
        freeze_epochs=freeze,
        samples=samples_from(val_ds) if samples else None,
        strategy=strategy,
        verbose=verbose,
    )
    save_unet(model, history, profile)
    _say(verbose, f"saved the trained U-Net to {path}")
    return model


def save_unet(
    model: keras.Model,
    history: keras.callbacks.History | dict | None,
    profile: profiles.Profile | str | None = None,
) -> Path:
    """Save a trained U-Net (and its loss history) where ``load_or_train_unet`` finds it."""
    path = atomic_save_model(model, unet_path(profile))
    hist = history.history if isinstance(history, keras.callbacks.History) else history
    atomic_write_json(hist or {}, path.parent / UNET_HISTORY_FILE)
    return path


def _profile(profile: profiles.Profile | str | None) -> profiles.Profile:
    return profile if isinstance(profile, profiles.Profile) else profiles.get_profile(profile)


# ----------------------------------------------------------------------------------------------
# Command line: python -m colorize_lib train
# ----------------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m colorize_lib train``."""
    parser.formatter_class = argparse.ArgumentDefaultsHelpFormatter
    parser.description = (
        "Train the U-Net colorizer on your own photos (a folder, searched recursively, or an "
        "archive) or on a named source. Checkpoints go to a folder next to --out "
        "(OUT without .keras, plus '.run'); run the same command again to resume after an "
        "interruption."
    )
    parser.add_argument(
        "--data",
        required=True,
        help="a folder of photos, an archive (.zip/.tar) path or URL, or a named source "
        "such as 'offline' (procedural pictures + bundled photos) or 'kaggle:OWNER/DATASET'",
    )
    parser.add_argument("--out", default="unet.keras", help="where to save the trained model")
    parser.add_argument(
        "--size", type=int, default=128, help="working size in pixels (a multiple of 32)"
    )
    parser.add_argument("--epochs", type=int, default=10, help="number of passes over the data")
    parser.add_argument("--batch-size", type=int, default=32, help="pictures per step")
    parser.add_argument(
        "--encoder",
        default="MobileNetV2",
        choices=sorted(models.ENCODERS),
        help="pretrained encoder (ImageNet weights when they can be downloaded)",
    )
    parser.add_argument(
        "--weights",
        default="imagenet",
        choices=["imagenet", "none"],
        help="start the encoder from ImageNet weights or from random ones",
    )
    parser.add_argument(
        "--val-fraction",
        type=float,
        default=0.1,
        help="fraction of the pictures held out for validation (never trained on)",
    )
    parser.add_argument(
        "--n", type=int, default=None, help="use at most N pictures (default: all there are)"
    )
    parser.add_argument(
        "--freeze-epochs",
        type=int,
        default=1,
        help="first epochs train only the decoder (encoder frozen); ignored without "
        "pretrained weights",
    )
    parser.add_argument("--learning-rate", type=float, default=1e-3, help="Adam's step size")
    parser.add_argument(
        "--resume",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="continue an interrupted run from its last saved epoch",
    )
    add_seed_argument(parser)


def main(args: argparse.Namespace) -> int:
    """Run ``python -m colorize_lib train``; returns the exit code."""
    from colorize_lib import data, sources

    out = Path(args.out)
    if out.suffix != ".keras":
        out = out.with_suffix(".keras")
    try:
        models._check_size(args.size)
        if not 0 < args.val_fraction < 1:
            raise ValueError(f"--val-fraction {args.val_fraction}: give a number between 0 and 1")
        if args.epochs < 1 or args.batch_size < 1 or (args.n is not None and args.n < 2):
            raise ValueError("--epochs and --batch-size must be at least 1, --n at least 2")
        split = cli_split(args.data, args.size, args.n, args.val_fraction, args.seed)
    except (ValueError, FileNotFoundError, sources.SourceError) as err:
        print(f"error: {err}")
        return 2
    print(
        f"data: {split.source_description}\n-> {len(split.train)} training + {len(split.val)} "
        f"validation pictures at {args.size}x{args.size}"
    )
    if split.report.skipped:
        print(f"{len(split.report.skipped)} files skipped (listed above)")
    strategy = choose_strategy()
    if strategy.num_replicas_in_sync > 1 or tf.config.list_physical_devices("GPU"):
        print(f"precision policy: {use_mixed_precision(strategy)}")
    keras.utils.set_random_seed(args.seed)  # new weights, dropout: the same run every time
    train_ds = data.make_dataset(split.train, args.batch_size, training=True, seed=args.seed)
    val_ds = data.make_dataset(split.val, args.batch_size, training=False, seed=args.seed)
    with strategy.scope():
        model = models.build_unet(
            args.size, args.encoder, weights=None if args.weights == "none" else args.weights
        )
    freeze = args.freeze_epochs if model.pretrained else 0
    run_dir = out.with_name(out.stem + ".run")
    start = time.time()
    try:
        train_unet(
            model,
            train_ds,
            val_ds,
            epochs=args.epochs,
            out_dir=run_dir,
            freeze_epochs=freeze,
            samples=samples_from(val_ds),
            learning_rate=args.learning_rate,
            resume=args.resume,
            strategy=strategy,
        )
    except (TrainingDiverged, ValueError, FileNotFoundError) as err:
        print(f"error: {err}")
        return 1
    except KeyboardInterrupt:
        print(f"\ninterrupted: run the same command again to resume from {run_dir}")
        return 130
    atomic_save_model(model, out)
    print(f"saved {out} after {time.time() - start:.0f} s (checkpoints and samples in {run_dir})")
    return 0


def add_seed_argument(parser: argparse.ArgumentParser) -> None:
    """``--seed``, shared by ``train`` and ``train-gan`` (the same seed holds out the same photos)."""
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the split, the shuffling and the new weights (the same command gives "
        "the same run, up to the last bits of floating-point sums)",
    )


def cli_split(data_spec: str, size: int, n: int | None, val_fraction: float, seed: int):
    """The command line's split: ``val_fraction`` of (at most ``n``) pictures held out, decoded.

    ``train`` and ``train-gan`` both use it, so the same ``--data``, ``--n``, ``--val-fraction``
    and ``--seed`` always hold out the same photos (a folder's files are ordered by a seeded hash
    of their names), and a benchmark can score a model on exactly the photos it never saw.
    """
    from colorize_lib import data, sources

    src = sources.open_source(data_spec, n=n or 1000, seed=seed)
    if isinstance(src, sources.ProceduralSource):
        total = n or 1000
    else:
        total = len(src.paths())  # raises NoImagesFound / SourceUnavailable with the reason
        total = min(total, n) if n else total
    if total < 2:
        raise sources.NoImagesFound(f"{data_spec}: {total} picture(s); need at least 2.")
    n_val = min(total - 1, max(1, round(total * val_fraction)))
    return data.load_split(
        source=src,
        size=size,
        n_train=total - n_val,
        n_val=n_val,
        seed=seed,
        fallback=False,
    )
