"""Chapter 4: the PatchGAN's receptive field and the discriminator's loss."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from colorize_lib.pages.exercises.check import Check


def _bce_np(target: float, logits: np.ndarray) -> float:
    """Binary cross-entropy of logits against one target, averaged (NumPy, for the hints)."""
    z = logits.astype(np.float64)
    return float(np.mean(np.maximum(z, 0) - z * target + np.log1p(np.exp(-np.abs(z)))))


def _bce_probabilities_np(target: float, p: np.ndarray) -> float:
    """Cross-entropy of values taken as probabilities, clipped as Keras' ``from_logits=False``."""
    p = np.clip(p.astype(np.float32), np.float32(1e-7), np.float32(1 - 1e-7))  # float32 as Keras
    return float(np.mean(-(target * np.log(p) + (1 - target) * np.log(1 - p))))


def _discriminator_loss_mistakes(real: np.ndarray, fake: np.ndarray, s: float):
    """(value, hint) of the usual wrong discriminator losses, for ``check_discriminator_loss``."""
    bce = _bce_np
    return [
        (
            bce(1 - s, real) + bce(0, fake),
            "It looks like the sum of the two terms: halve it, so that a discriminator that "
            "cannot tell real from generated reads log 2 = 0.693.",
        ),
        (
            0.5 * (bce(0, real) + bce(1 - s, fake)),
            "Real and generated look swapped: real patches should be called real (target "
            "1 - label_smoothing), generated ones fake (target 0).",
        ),
        (
            0.5 * (bce(1, real) + bce(0, fake)),
            "It looks like label_smoothing is ignored: the target of the real patches is "
            "1 - label_smoothing.",
        ),
        (
            0.5 * (bce(1 - s / 2, real) + bce(s / 2, fake)),
            "Both targets moved towards 0.5, as Keras' BinaryCrossentropy(label_smoothing=...) "
            "does; here only the real target moves, to 1 - label_smoothing, and 0 stays 0.",
        ),
        (
            0.5 * (bce(1, real) + bce(s, fake)),
            "The smoothing went to the generated patches: it belongs to the real ones (target "
            "1 - label_smoothing); the generated ones keep target 0.",
        ),
        (
            0.5 * (_bce_probabilities_np(1 - s, real) + _bce_probabilities_np(0, fake)),
            "The discriminator outputs logits (any real number), not probabilities: use "
            "from_logits=True (or tf.nn.sigmoid_cross_entropy_with_logits).",
        ),
    ]


def check_discriminator_loss(fn: Callable[..., Any]) -> Check:
    """Chapter 4: does ``fn(real_logits, fake_logits, label_smoothing)`` give the PatchGAN's loss?

    ``½ [BCE(1 - label_smoothing, real_logits) + BCE(0, fake_logits)]``, one number averaged
    over every patch of every picture, as ``gan.discriminator_loss``. Tried on random logits
    ``[2, 6, 6, 1]`` (float32 tensors), without and then with label smoothing.
    """
    import tensorflow as tf

    from colorize_lib import gan

    rng = np.random.default_rng(4)
    real = rng.normal(1.0, 2.0, (2, 6, 6, 1)).astype(np.float32)  # [B, h, w, 1] logits
    fake = rng.normal(-0.5, 2.0, (2, 6, 6, 1)).astype(np.float32)
    for s in (0.0, 0.1):
        try:
            out = fn(tf.constant(real), tf.constant(fake), s)
        except Exception as e:  # the reader's code: report any error as a failure
            return Check(False, f"your function raised {type(e).__name__}: {e}.")
        try:
            got = np.asarray(out, dtype=np.float64)
        except (TypeError, ValueError):
            got = np.asarray(np.nan)
        if out is None or not np.all(np.isfinite(got)):
            return Check(False, f"it returned {out!r}; return the loss, one finite number.")
        if got.size != 1:
            return Check(
                False,
                f"it returned an array of shape {got.shape}; the loss is one number, the mean "
                "over every patch of every picture (tf.reduce_mean).",
            )
        got = float(got.reshape(()))
        want = float(gan.discriminator_loss(real, fake, s))
        if abs(got - want) > 1e-4:
            hints = [
                h
                for v, h in _discriminator_loss_mistakes(real, fake, s)
                if abs(got - v) < 1e-3 * max(1.0, abs(v))
            ]
            return Check(
                False,
                f"with label_smoothing={s} it gave {got:.4f}; "
                f"½ [BCE(1 - {s}, real) + BCE(0, fake)] is {want:.4f}. "
                + (hints[0] if hints else "Compare your function with the formula above."),
            )
    return Check(
        True,
        "your loss equals gan.discriminator_loss, with and without label smoothing "
        f"(e.g. {want:.4f} on the test logits with label_smoothing=0.1).",
    )


def _receptive_field_mistakes(n_down: int):
    """(value, hint) of the usual wrong receptive fields, for ``check_receptive_field``."""

    def walk(r: int, steps: list[tuple[int, int]]) -> int:  # steps: (kernel, stride), from the end
        for k, s in steps:
            r = s * (r - 1) + k
        return r

    down = [(4, 2)] * n_down
    return [
        (
            walk(1, down),
            "You left out the two 4x4 convolutions with stride 1 after the downsample blocks: "
            "walking back from a logit they come first (1 -> 4 -> 7 pixels).",
        ),
        (
            walk(1, [(4, 1)] + down),
            "There are two 4x4 convolutions with stride 1 after the downsample blocks, not one.",
        ),
        (
            walk(1, down + [(4, 1), (4, 1)]),
            "The order matters: walking back from a logit, the two stride-1 convolutions at the "
            "end of the network come first, then the downsample blocks.",
        ),
        (
            7 * 2**n_down,
            "A stride-2 convolution does not simply double the window: r outputs are 2 pixels "
            "apart and the last one sees a whole 4x4 kernel, so they see 2 (r - 1) + 4 inputs.",
        ),
        (
            7 * 2**n_down + 4,
            "Apply s (r - 1) + k at every stride-2 block, not once at the end.",
        ),
    ]


def check_receptive_field(fn: Callable[[int], Any]) -> Check:
    """Chapter 4: does ``fn(n_down)`` give the width of the patch one PatchGAN logit sees?

    Compared with ``shapes.receptive_field`` for ``n_down`` = 1..4 (16, 34, 70, 142 pixels).
    """
    from colorize_lib import shapes

    for n_down in (3, 1, 2, 4):
        want = shapes.receptive_field(n_down)
        try:
            got = fn(n_down)
        except Exception as e:  # the reader's code: report any error as a failure
            return Check(False, f"your function raised {type(e).__name__}: {e} (n_down={n_down}).")
        if not isinstance(got, int | np.integer) or isinstance(got, bool):
            return Check(False, f"n_down={n_down} gave {got!r}; a width in pixels is an int.")
        if got != want:
            hints = [h for v, h in _receptive_field_mistakes(n_down) if got == v]
            return Check(
                False,
                f"for n_down={n_down} it gave {got} pixels; one logit of that discriminator "
                f"sees {want}. "
                + (
                    hints[0]
                    if hints
                    else "Walk back from one logit: a k x k convolution with stride s turns r "
                    "pixels of its output into s (r - 1) + k pixels of its input."
                ),
            )
    widths = ", ".join(str(shapes.receptive_field(n)) for n in (1, 2, 3, 4))
    return Check(True, f"{widths} pixels for n_down = 1, 2, 3, 4, as shapes.receptive_field.")
