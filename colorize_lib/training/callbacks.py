"""The callbacks every training run uses, the U-Net's and the GAN's alike (``fitting.fit``).

- ``EpochCheckpoint``: after every finished epoch, the whole model (weights and optimizer state)
  as ``epoch-NNN.keras``, then ``state.json`` (epochs done, history, what determines the run),
  both written atomically: a kill at any moment leaves ``state.json`` pointing to a whole file.
- ``DivergenceGuard``: stops a run whose losses turn non-finite, whose weights explode or whose
  loss only climbs, puts back the weights of the last good epoch and keeps a message that says
  what to do.
- ``EpochLine``: one compact line per epoch (losses, seconds); for notebooks and log files,
  where Keras' interactive progress bar would be stored as hundreds of lines.
- ``SampleStrip``: a strip of sample colorizations after every epoch, updated in place in a
  notebook, one PNG per epoch elsewhere.
- ``DiscriminatorMonitor`` and ``StepLosses``: the GAN's "discriminator wins outright" report
  and its per-step losses (Keras' batch logs are running means).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import keras
import numpy as np

from colorize_lib import color
from colorize_lib.data import files, pictures
from colorize_lib.gan import LOG2

STATE_FILE = "state.json"
STEPS_FILE = "steps.json"


def in_notebook() -> bool:
    """True inside a Jupyter or Colab kernel."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and ("IPKernelApp" in shell.config or "google.colab" in str(shell))


def _non_finite(logs: dict | None) -> dict[str, float]:
    """The entries of ``logs`` that are not finite numbers."""
    return {k: float(v) for k, v in (logs or {}).items() if not math.isfinite(float(v))}


class EpochCheckpoint(keras.callbacks.Callback):
    """After each finished epoch: ``epoch-NNN.keras`` (atomic), then ``state.json`` (atomic).

    ``state.json`` is the commit record: it is replaced only once the model file is complete,
    and older checkpoints are deleted only after that. ``history`` holds the epochs done before
    this run (when resuming), so the saved history is continuous; ``info`` (what determines the
    run, see ``fitting.fit``) is stored with it.
    """

    def __init__(self, run_dir: str | Path, history: dict | None = None, info: dict | None = None):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.history: dict[str, list[float]] = {k: list(v) for k, v in (history or {}).items()}
        self.info = dict(info or {})

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if _non_finite(logs) or getattr(self.model, "diverged", False):
            return  # a diverged epoch is never saved (the guard says why); a stopped one is
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        name = f"epoch-{epoch + 1:03d}.keras"
        files.save_model(self.model, self.run_dir / name)
        state = {"epoch": epoch + 1, "checkpoint": name, "history": self.history, **self.info}
        files.write_json(self.run_dir / STATE_FILE, state)
        for old in self.run_dir.glob("epoch-*.keras"):
            if old.name != name:
                old.unlink(missing_ok=True)


class DivergenceGuard(keras.callbacks.Callback):
    """Stop a run that diverged and put back the weights of the last good epoch.

    Diverged means: a logged loss became NaN or infinite (checked after every batch); or, at an
    epoch's end, a trainable weight is non-finite or larger than ``weight_limit`` in size
    (trained colorizers stay below 100; a learning rate far too large sends them to 1e30), or
    the loss ``watch`` (``loss`` for the U-Net, ``g_l1`` for the GAN, whose adversarial losses
    may rise) is more than ``loss_rise`` times its value on the first batch of this ``fit``
    (of this stage: a stage changes what trains, e.g. the GAN's warm-up leaves the generator
    frozen, batch norm in inference mode). ``message`` then says what happened and what to do.
    """

    def __init__(self, weight_limit=1e4, loss_rise=3.0, watch: str = "loss") -> None:
        super().__init__()
        self.weight_limit, self.loss_rise, self.watch = weight_limit, loss_rise, watch
        self.good_weights: list[np.ndarray] | None = None
        self.good_epoch = 0
        self.message: str | None = None
        self._epoch = 0
        self._first_loss: float | None = None

    def on_train_begin(self, logs=None) -> None:
        self.good_weights = self.model.get_weights()
        self.good_epoch = None  # the first epoch of this fit: 0, or where a resumed run starts
        self.message = None
        self.model.diverged = False
        self._first_loss = None  # measured again on this fit's first batch

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._epoch = epoch
        if self.good_epoch is None:
            self.good_epoch = epoch

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        bad = _non_finite(logs)
        if self._first_loss is None and self.watch in (logs or {}) and not bad:
            self._first_loss = float(logs[self.watch])
        if bad and self.message is None:
            values = ", ".join(f"{k} = {v}" for k, v in bad.items())
            where = f"epoch {self._epoch + 1}, batch {batch + 1}"
            self._trip(f"{', '.join(bad)} became non-finite ({values}) at {where}")

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if self.message is not None:
            return
        bad = _non_finite(logs)
        largest = max(float(np.max(np.abs(np.asarray(w)))) for w in self.model.trainable_weights)
        loss, first = (logs or {}).get(self.watch), self._first_loss
        if bad:
            self._trip(f"{', '.join(bad)} became non-finite at the end of epoch {epoch + 1}")
        elif not np.isfinite(largest) or largest > self.weight_limit:
            self._trip(
                f"the weights exploded in epoch {epoch + 1} (largest |w| = {largest:.3g}, "
                f"limit {self.weight_limit:g})"
            )
        elif loss is not None and first and float(loss) > self.loss_rise * first:
            self._trip(
                f"{self.watch} rose from {first:.4g} (first batch) to {float(loss):.4g} "
                f"(epoch {epoch + 1})"
            )
        else:
            self.good_weights = self.model.get_weights()
            self.good_epoch = epoch + 1

    def _trip(self, what: str) -> None:
        self.model.stop_training = True
        self.model.diverged = True  # the checkpoint and the steps skip this epoch
        if self.good_weights is not None:
            self.model.set_weights(self.good_weights)
        kept = (
            f"the weights after epoch {self.good_epoch}, whose checkpoint is kept"
            if self.good_epoch
            else "its starting weights (no epoch ended well)"
        )
        self.message = (
            f"Training stopped: {what}. The model holds {kept}. Lower the learning rate and "
            "start afresh (--no-resume), or check the data for NaN values."
        )


class EpochLine(keras.callbacks.Callback):
    """One line per epoch: ``epoch 3/6  loss 0.0821  val_loss 0.0790  (12 s)``."""

    def __init__(self, epochs: int, printer=print):
        super().__init__()
        self.epochs = epochs
        self.printer = printer
        self._start = 0.0

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        values = "  ".join(f"{k} {float(v):.4g}" for k, v in (logs or {}).items())
        seconds = time.perf_counter() - self._start
        self.printer(f"epoch {epoch + 1}/{self.epochs}  {values}  ({seconds:.0f} s)")


class SampleStrip(keras.callbacks.Callback):
    """How a few pictures are colorized after every epoch: rows gray / model / truth.

    In a notebook one picture is updated in place; elsewhere ``samples-epoch-NNN.png`` is
    written to ``out_dir`` (atomically). The model is called on ``L_norm`` (a U-Net, or a GAN,
    whose call runs its generator).
    """

    def __init__(self, L_norm, ab_norm=None, out_dir: str | Path | None = None, scale: int = 2):
        super().__init__()
        self.L = np.asarray(L_norm, np.float32)  # [N, S, S, 1]
        self.ab = None if ab_norm is None else np.asarray(ab_norm, np.float32)  # [N, S, S, 2]
        self.out_dir = None if out_dir is None else Path(out_dir)
        self.notebook = in_notebook()
        self.scale = scale
        self._handles = None
        self.paths: list[Path] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        pred = np.asarray(self.model(self.L, training=False), np.float32)  # [N, S, S, 2]
        png = sample_strip_png(self.L, pred, self.ab, scale=self.scale)
        if self.notebook:
            from IPython.display import Image, Markdown, display

            rows = "gray / model" + (" / truth" if self.ab is not None else "")
            caption = Markdown(f"*Sample colorizations after epoch {epoch + 1}: rows {rows}*")
            if self._handles is None:
                self._handles = (
                    display(Image(png), display_id=True),
                    display(caption, display_id=True),
                )
            else:
                self._handles[0].update(Image(png))
                self._handles[1].update(caption)
        elif self.out_dir is not None:
            path = files.write_bytes(self.out_dir / f"samples-epoch-{epoch + 1:03d}.png", png)
            self.paths.append(path)


def sample_strip_png(L_norm, ab_pred, ab_true=None, scale: int = 2) -> bytes:
    """A PNG with one column per picture; rows: gray, predicted colours, (truth). Colours go
    through the book's one gamut rule (``color.lab_to_rgb_keep_L``), as in ``infer``."""
    L_norm = np.asarray(L_norm, np.float32)  # [N, S, S, 1]
    rows = [np.repeat(np.uint8(np.clip((L_norm + 1) * 127.5, 0, 255)), 3, axis=-1)]  # gray
    for ab in (ab_pred, ab_true):
        if ab is not None:
            lab = color.merge_lab(L_norm, np.asarray(ab, np.float32))  # [N, S, S, 3]
            rows.append(color.lab_to_rgb_keep_L(lab))  # [N, S, S, 3] uint8
    grid = np.concatenate([np.concatenate(list(r), axis=1) for r in rows], axis=0)
    return pictures.to_png_bytes(grid.repeat(scale, axis=0).repeat(scale, axis=1))


class DiscriminatorMonitor(keras.callbacks.Callback):
    """Reports a discriminator that wins outright for ``patience`` epochs in a row.

    "Winning outright": ``d_loss`` below ``d_loss_below`` (log 2 = 0.693 is "cannot tell"), or
    at least ``acc_above`` of both real and generated patches classified right, or the
    generator's adversarial loss above ``g_adv_above``. The generator then gets almost no
    useful gradient. The report is printed once and kept in ``reports``; training stops only
    if ``stop``.
    """

    def __init__(self, d_loss_below=0.05, acc_above=0.99, g_adv_above=10.0, patience=2, stop=False):
        super().__init__()
        self.d_loss_below, self.acc_above, self.g_adv_above = d_loss_below, acc_above, g_adv_above
        self.patience, self.stop = patience, stop
        self.streak = 0
        self.reports: list[str] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if "d_loss" not in logs:
            return
        d_loss, g_adv = float(logs["d_loss"]), float(logs.get("g_adv", 0.0))
        real, fake = float(logs.get("d_real_acc", 0.0)), float(logs.get("d_fake_acc", 0.0))
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
    ``run_dir/steps.json`` after every epoch (atomically), so a resumed run keeps them.
    """

    def __init__(self, keys, run_dir: str | Path | None = None, keep_before_epoch: int = 0):
        super().__init__()
        self.keys = tuple(keys)
        self.path = None if run_dir is None else Path(run_dir) / STEPS_FILE
        self.steps: dict[str, list[float]] = {k: [] for k in ("epoch", *self.keys)}
        if self.path is not None and self.path.exists() and keep_before_epoch > 0:
            old = json.loads(self.path.read_text())  # a damaged file: ValueError (fitting says)
            keep = [i for i, e in enumerate(old.get("epoch", [])) if e < keep_before_epoch]
            self.steps = {k: [old.get(k, [])[i] for i in keep] for k in self.steps}
        self._epoch = 0
        self._prev: dict[str, float] = {}

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._epoch, self._prev = epoch, {}

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        logs, k = logs or {}, batch + 1
        self.steps["epoch"].append(self._epoch)
        for key in self.keys:
            mean = float(logs.get(key, float("nan")))
            self.steps[key].append(k * mean - (k - 1) * self._prev.get(key, 0.0))
            self._prev[key] = mean

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if self.path is not None and not getattr(self.model, "diverged", False):
            files.write_json(self.path, self.steps)
