"""One resumable training loop for the U-Net and the GAN: ``fit``.

``fit`` is Keras' ``model.fit`` plus what a long run needs (callbacks in ``callbacks``):

- **checkpoints** every epoch in ``run_dir`` (atomic ``epoch-NNN.keras`` + ``state.json``);
- **resume**: with a state in ``run_dir``, training continues after its last saved epoch
  (weights, optimizer state and history restored), but only when what determines the run
  (the ``recipe``: data, sizes, learning rates, ...) is unchanged; otherwise ``RunMismatch``
  says what changed. A finished run returns at once. Asking for more epochs continues it
  where the learning rate does not depend on the run's length (the GAN); the U-Net's rate
  decays over the epochs asked for, so its length is part of its recipe and a longer run is
  another run (``RunMismatch`` says so);
- **a divergence guard**: a non-finite loss, exploding weights or a loss that only climbs
  stop training with the last good weights and raise ``TrainingDiverged`` with a message that
  says what to do (``callbacks.DivergenceGuard``);
- **progress**: Keras' progress bar on a terminal; one line per epoch in a notebook or a log;
  optional sample colorizations after every epoch;
- **stages**: e.g. the U-Net's first epochs with the encoder frozen, then all of it. Each stage
  is ``(last_epoch, prepare)``; ``prepare(model)`` sets what trains and compiles.

``train_unet`` and ``train_gan`` are ``fit`` with the U-Net's and the GAN's stages, callbacks
and recipes. Call them inside nothing special: models are built, compiled and trained under
``strategy.scope()`` here (``runtime.setup`` chose the strategy and the precision).
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from colorize_lib import gan, models
from colorize_lib.data import files
from colorize_lib.training import callbacks as cb

Stage = tuple[int, Callable[[keras.Model], None]]  # (last epoch of the stage, prepare(model))
EAGER_STEPS = 30  # runs of at most this many steps run eagerly (tracing would take longer)
GAN_STEP_KEYS = ("d_loss", "g_adv", "g_l1", "d_real_acc", "d_fake_acc")


class TrainingDiverged(RuntimeError):
    """A run diverged (non-finite loss, exploding weights, a climbing loss); the model holds the
    last good weights."""


class RunMismatch(ValueError):
    """``run_dir`` holds checkpoints of a run with another recipe."""


class RunDamaged(ValueError):
    """``run_dir``'s state or checkpoint cannot be read (a kill or a full disk long ago)."""


def _damaged(what: Path, err: BaseException, run_dir: Path) -> RunDamaged:
    reason = str(err).strip().splitlines()[0][:160] if str(err).strip() else type(err).__name__
    return RunDamaged(
        f"{what} cannot be read ({reason}). Start afresh with --no-resume (resume=False), "
        f"which clears the run's checkpoints in {run_dir}."
    )


def read_state(run_dir: str | Path) -> dict | None:
    """The saved state of ``run_dir`` (``epoch`` done, ``checkpoint``, ``history``, ``recipe``)."""
    path = Path(run_dir) / cb.STATE_FILE
    if not path.exists():
        return None
    try:
        state = json.loads(path.read_text())
        state["checkpoint"], state["epoch"]  # noqa: B018 - both must be there
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise _damaged(path, err, Path(run_dir)) from None
    if not (Path(run_dir) / state["checkpoint"]).exists():
        raise RunDamaged(
            f"{path} points to {state['checkpoint']}, which is missing. Start afresh with "
            f"--no-resume (resume=False), which clears the run's checkpoints in {run_dir}."
        )
    return state


def _restore(model: keras.Model, run_dir: Path, state: dict) -> None:
    """The weights (and optimizer state) of the run's last checkpoint, or ``RunDamaged``."""
    try:
        model.load_weights(run_dir / state["checkpoint"])
    except Exception as err:  # truncated, or not this model's
        raise _damaged(run_dir / state["checkpoint"], err, run_dir) from None


def _changes(old: dict, new: dict) -> list[str]:
    return [
        f"{k}: {old.get(k)!r} -> {new.get(k)!r}"
        for k in sorted({*old, *new})
        if old.get(k) != new.get(k)
    ]


def clear_run(run_dir: str | Path) -> None:
    """Delete a run's checkpoints and records (its sample PNGs stay)."""
    run_dir = Path(run_dir)
    for old in [*run_dir.glob("epoch-*.keras"), run_dir / cb.STATE_FILE, run_dir / cb.STEPS_FILE]:
        old.unlink(missing_ok=True)


RUN_FILES = ("epoch-*.keras", cb.STATE_FILE, cb.STEPS_FILE, "samples-epoch-*.png")  # a run's own


def _progress(verbose) -> tuple[int, bool]:
    """(Keras' verbose, one line per epoch?) for ``verbose`` = "auto", True/False or 0/1/2."""
    if verbose == "auto":
        terminal = sys.stdout.isatty() and not cb.in_notebook()
        return (1, False) if terminal else (0, True)
    return (0, bool(verbose)) if verbose in (True, False) else (int(verbose), False)


def fit(
    model: keras.Model,
    train_ds: tf.data.Dataset,
    val_ds: tf.data.Dataset | None,
    stages: Sequence[Stage],
    run_dir: str | Path,
    recipe: dict | None = None,
    strategy: tf.distribute.Strategy | None = None,
    resume: bool = True,
    extra: Sequence[keras.callbacks.Callback] = (),
    verbose="auto",
    watch: str = "loss",
) -> keras.callbacks.History:
    """Train ``model`` in place through ``stages``; returns the History of ALL epochs (resumed
    ones included). See the module docstring; ``extra`` callbacks are added to ``fit``;
    ``watch``: the logged loss whose climb the divergence guard watches."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    strategy = strategy or tf.distribute.get_strategy()
    recipe = json.loads(json.dumps({"model": model.name, **(recipe or {})}))  # as read back
    for name in RUN_FILES:  # temporaries of saves a kill interrupted: never a checkpoint
        files.remove_temporaries(run_dir / name)
    if not resume:
        clear_run(run_dir)
    state = read_state(run_dir)
    if state is not None and state.get("recipe") != recipe:
        changes = _changes(state.get("recipe") or {}, recipe)
        old_s, new_s = ((state.get("recipe") or {}).get("schedule"), recipe.get("schedule"))
        longer = all(str(x).startswith("cosine over ") for x in (old_s, new_s)) and old_s != new_s
        why = (
            " The learning rate decays over the epochs of the run, so a run of another length "
            "is another run, not a continuation."
            if longer
            else ""
        )
        raise RunMismatch(
            f"{run_dir} holds a run with another recipe ({'; '.join(changes)}).{why} "
            "Use another output, or start afresh with resume=False (--no-resume)."
        )
    done = state["epoch"] if state else 0
    epochs = stages[-1][0]
    if done > epochs:
        raise RunMismatch(
            f"{run_dir} holds a run of {done} epochs, more than the {epochs} asked for: ask for "
            f"{done} or more, or start afresh with resume=False (--no-resume)."
        )
    keras_verbose, one_line = _progress(verbose)
    if state:
        print(f"resuming from {run_dir / state['checkpoint']} (epoch {done} of {epochs})")
    checkpoint = cb.EpochCheckpoint(run_dir, state["history"] if state else {}, {"recipe": recipe})
    guard = cb.DivergenceGuard(watch=watch)
    # the state (state.json) is written last: what the others write of an epoch (steps.json)
    # is on disk before the epoch counts as done, so a kill between them loses nothing
    calls = [guard, *extra, checkpoint] + ([cb.EpochLine(epochs)] if one_line else [])
    loaded = state is None
    start = 0
    for end, prepare in stages:
        if end > start and done < end:
            with strategy.scope():
                prepare(model)
                if not loaded:  # resume: the checkpoint's weights (and optimizer state)
                    if done > start and not model.optimizer.built:  # same stage: same optimizer
                        model.optimizer.build(model.trainable_variables)
                    with warnings.catch_warnings():  # a new stage starts a fresh optimizer
                        warnings.filterwarnings("ignore", "Skipping variable loading for optim")
                        _restore(model, run_dir, state)
                    loaded = True
            steps = int(train_ds.cardinality()) * (end - max(start, done))
            eagerly = model.run_eagerly
            model.run_eagerly = 0 < steps <= EAGER_STEPS  # tracing a U-Net costs ~20 s on a CPU
            model.fit(
                train_ds,
                validation_data=val_ds,
                initial_epoch=max(start, done),
                epochs=end,
                callbacks=calls,
                verbose=keras_verbose,
                shuffle=False,
            )
            model.run_eagerly = eagerly
            if guard.message:
                raise TrainingDiverged(guard.message)
            done = end
        start = end
    if not loaded:  # nothing was left to train: bring back the finished weights
        _restore(model, run_dir, state)
    history = keras.callbacks.History()
    history.set_model(model)
    history.history = checkpoint.history
    history.epoch = list(range(len(next(iter(history.history.values()), []))))
    return history


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
# The U-Net (chapter 3) and the GAN (chapter 4)
# ----------------------------------------------------------------------------------------------


def compile_unet(model: keras.Model, learning_rate: float = 1e-3) -> keras.Model:
    """Adam + the L1 loss (mean absolute error) on ``ab_norm``: it blurs less than L2."""
    model.compile(keras.optimizers.Adam(learning_rate), keras.losses.MeanAbsoluteError(name="l1"))
    return model


def cosine_decay(peak: float, epochs: int) -> keras.callbacks.LearningRateScheduler:
    """Epoch ``e`` (0-based) of ``epochs`` trains at ``peak * (1 + cos(pi * e / epochs)) / 2``:
    big steps first, then ever smaller ones, so the weights settle where the loss is low
    instead of ending wherever the last big step left them (two seeds then give two similar
    models). The epoch counts from the start of the run, so a resumed run continues the curve."""
    return keras.callbacks.LearningRateScheduler(
        lambda epoch, lr: peak * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))
    )


def train_unet(
    model,
    train_ds,
    val_ds,
    epochs: int,
    run_dir,
    freeze_epochs: int = 0,
    learning_rate: float = 1e-3,
    samples=None,
    **kwargs,
) -> keras.callbacks.History:
    """Train a U-Net (``models.build_unet``) with the L1 loss; ``fit``'s other arguments apply.

    The first ``freeze_epochs`` epochs train the decoder only (the pretrained encoder frozen,
    so the random decoder's first large gradients do not wreck it), then everything. The
    learning rate falls from ``learning_rate`` along a half cosine over the epochs
    (``cosine_decay``). ``samples=(L_norm [N,S,S,1], ab_norm [N,S,S,2])`` shows
    colorizations after every epoch.
    """
    freeze_epochs = max(0, min(freeze_epochs, epochs))

    def stage(trainable: bool):
        def prepare(m):
            models.set_encoder_trainable(m, trainable)
            compile_unet(m, learning_rate)

        return prepare

    stages = [(freeze_epochs, stage(False)), (epochs, stage(True))]
    recipe = {
        "input_shape": list(model.input_shape),
        "learning_rate": learning_rate,
        "freeze_epochs": freeze_epochs,
        "schedule": f"cosine over {epochs} epochs",  # its length decides every epoch's rate
        **kwargs.pop("recipe", {}),
    }
    extra = [cosine_decay(learning_rate, epochs), *kwargs.pop("extra", ())]
    if samples is not None:
        extra.append(cb.SampleStrip(*samples, out_dir=run_dir))
    return fit(model, train_ds, val_ds, stages, run_dir, recipe=recipe, extra=extra, **kwargs)


def train_gan(
    generator,
    train_ds,
    val_ds,
    epochs: int,
    run_dir,
    discriminator=None,
    gan_class: type[keras.Model] = gan.ColorizationGAN,
    l1_weight: float = 100.0,
    g_learning_rate: float = 2e-4,
    d_learning_rate: float | None = None,
    label_smoothing: float = 0.0,
    d_warmup_epochs: int = 0,
    samples=None,
    monitor: cb.DiscriminatorMonitor | None = None,
    strategy: tf.distribute.Strategy | None = None,
    **kwargs,
):
    """Fine-tune ``generator`` (in place) against a PatchGAN; ``fit``'s other arguments apply.

    ``gan_class``: the ``keras.Model`` that holds both networks and runs the adversarial
    ``train_step`` (``gan.ColorizationGAN``, or chapter 4's own copy of it).

    ``d_warmup_epochs``: epochs first in which only the discriminator trains, against the
    generator's colours as they are (the generator frozen, batch norm included), so that the
    generator's first GAN step already gets a critic's informed verdict (as DeOldify's "NoGAN"
    pretrains its critic); ``epochs`` GAN epochs follow.

    The checkpoints hold the whole GAN (both networks, both optimizers). Returns the History
    of all epochs with ``.steps`` (per-step losses, ``callbacks.StepLosses``), ``.reports``
    (``callbacks.DiscriminatorMonitor``'s messages) and ``.gan`` (discriminator included).
    """
    strategy = strategy or tf.distribute.get_strategy()
    d_learning_rate = d_learning_rate or g_learning_rate
    with strategy.scope():
        discriminator = discriminator or models.build_discriminator(generator.input_shape[1])
        model = gan_class(generator, discriminator, name="colorization_gan")

    def prepare(m, generator_trains=True):
        m.generator.trainable = generator_trains
        m.compile(
            g_optimizer=keras.optimizers.Adam(g_learning_rate, beta_1=0.5),
            d_optimizer=keras.optimizers.Adam(d_learning_rate, beta_1=0.5),
            l1_weight=l1_weight,
            label_smoothing=label_smoothing,
        )

    recipe = {
        "generator": generator.name,
        "input_shape": list(generator.input_shape),
        "discriminator": discriminator.get_config(),
        "l1_weight": l1_weight,
        "g_learning_rate": g_learning_rate,
        "d_learning_rate": d_learning_rate,
        "label_smoothing": label_smoothing,
        "d_warmup_epochs": d_warmup_epochs,
        **kwargs.pop("recipe", {}),
    }
    done = (read_state(run_dir) or {}).get("epoch", 0) if kwargs.get("resume", True) else 0
    monitor = monitor or cb.DiscriminatorMonitor()
    try:
        steps = cb.StepLosses(GAN_STEP_KEYS, run_dir, keep_before_epoch=done)
    except (OSError, ValueError, TypeError, AttributeError) as err:
        raise _damaged(Path(run_dir) / cb.STEPS_FILE, err, Path(run_dir)) from None
    extra = [monitor, steps, *kwargs.pop("extra", ())]
    if samples is not None:
        extra.append(cb.SampleStrip(*samples, out_dir=run_dir))
    history = fit(
        model,
        train_ds,
        val_ds,
        [(d_warmup_epochs, lambda m: prepare(m, False)), (d_warmup_epochs + epochs, prepare)],
        run_dir,
        recipe=recipe,
        strategy=strategy,
        extra=extra,
        watch="g_l1",  # the adversarial losses may rise; L1 must not
        **kwargs,
    )
    history.steps, history.reports, history.gan = steps.steps, monitor.reports, model
    return history
