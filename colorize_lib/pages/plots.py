"""Training curves: the figures of chapters 3 and 4 that plot how a run went."""

from __future__ import annotations

import numpy as np

from colorize_lib.gan import LOG2


def plot_gan_history(history, smooth: int = 10, axes=None):
    """Two panels: the adversarial game (d_loss against log 2, g_adv) and the L1 error.

    ``history``: ``zoo.gan(...).history`` (``{"epochs", "steps"}``) or ``fitting.train_gan``'s
    History. Per-step losses are drawn faint with a running mean of ``smooth`` steps on top;
    epoch means are the dots. Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    if hasattr(history, "history"):
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
