"""Scores for colorized pictures: PSNR, SSIM, ab error, colourfulness, the ab-accuracy curve.

Every function takes RGB pictures as the rest of the library stores them (``uint8`` or float in
``[0, 1]``), one picture ``[H, W, 3]`` or a batch ``[N, H, W, 3]``, and the prediction and the
truth must have the same shape. A batch gives the mean over its pictures; ``per_image=True``
gives one number per picture ``[N]`` instead (for galleries of the worst cases).

What each number means:

- ``psnr``: peak signal-to-noise ratio on the RGB values in [0, 1], in dB (higher is better).
  Identical pictures have no noise at all; their PSNR is capped at ``PSNR_CAP`` = 100 dB so that
  averages stay finite.
- ``ssim``: structural similarity (Wang et al. 2004) on RGB, ``skimage.metrics.
  structural_similarity`` with ``channel_axis``; 1 for identical pictures.
- ``ab_error``: the Euclidean distance between predicted and true colour in the ab plane of Lab,
  ``sqrt(da^2 + db^2)`` per pixel, averaged over pixels (Lab units; about 2.3 is a "just
  noticeable difference"). Lightness is ignored: the network does not predict it.
- ``colorfulness``: Hasler & Suesstrunk (2003) on 0..255 values: with ``rg = R - G`` and
  ``yb = (R + G) / 2 - B``, ``sqrt(std_rg^2 + std_yb^2) + 0.3 sqrt(mean_rg^2 + mean_yb^2)``;
  0 for a gray picture, about 33 "moderately", 59 "quite" and 82 "highly" colourful.
- ``colorfulness_gap``: colourfulness of the prediction minus that of the truth, per picture
  (negative: duller than reality, the usual failure of a network trained on a mean loss).
- ``abs_gap``, **the colourfulness gap** of the book's tables (chapters 4 and 5 and the
  Benchmarks page): ``|colourfulness(prediction) - colourfulness(truth)|`` per picture,
  averaged over the pictures (lower is better, 0 at best). Per picture, so a set that is too dull
  in some pictures and too loud in others does not average out to "right".
- ``ab_accuracy_curve`` / ``ab_auc``: the share of pixels whose ab distance is at most ``t``,
  for ``t`` = 0..150, and the area under that curve divided by its width, in [0, 1] (Zhang,
  Isola & Efros 2016, "Colorful Image Colorization", section 3.1).

Baselines for the table: ``gray_baseline`` (keep L, set ab = 0: the photo as it came) and
``mean_color_baseline`` (keep L, paint every pixel the same mean ab). ``evaluate`` scores several
predictions against the same truth, ``format_table`` prints the result and ``compare`` says
how far each score moved between two rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from colorize_lib import color

PSNR_CAP = 100.0  # dB given to identical pictures (their MSE is 0)
AUC_THRESHOLDS = tuple(range(0, 151))  # Zhang et al. 2016: thresholds 0..150 in ab units

# the columns of ``evaluate``'s rows, with the header and format ``format_table`` uses
COLUMNS: dict[str, tuple[str, str]] = {
    "psnr": ("PSNR dB", "{:.2f}"),
    "ssim": ("SSIM", "{:.3f}"),
    "ab_error": ("ab error", "{:.2f}"),
    "colorfulness": ("colourful", "{:.1f}"),
    "abs_gap": ("|gap|", "{:.1f}"),
    "ab_auc": ("AUC 0-150", "{:.3f}"),
}


# ----------------------------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------------------------


def _batch(img: Any, name: str = "picture") -> tuple[np.ndarray, bool]:
    """RGB -> (float [N, H, W, 3] in [0, 1], was_single)."""
    x = np.asarray(img)
    if x.ndim not in (3, 4) or x.shape[-1] != 3:
        raise ValueError(
            f"The {name} must be RGB [H, W, 3] or a batch [N, H, W, 3], got shape {x.shape}. "
            "Drop an alpha channel with img[..., :3]; stack pictures with np.stack."
        )
    single = x.ndim == 3
    x = color.as_float_rgb(x)  # checks dtype and range
    return (x[None] if single else x), single


def _pair(pred: Any, truth: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    p, single = _batch(pred, "prediction")
    t, _ = _batch(truth, "truth")
    if p.shape != t.shape:
        raise ValueError(
            f"Prediction and truth must have the same shape, got {p.shape} and {t.shape}. "
            "Resize the prediction to the truth's size first."
        )
    return p, t, single


def _reduce(values: np.ndarray, single: bool, per_image: bool) -> float | np.ndarray:
    if per_image:
        return values
    return float(values[0]) if single else float(np.mean(values))


def _ab(x: np.ndarray) -> np.ndarray:
    """float RGB [N, H, W, 3] -> ab [N, H, W, 2]."""
    return color.rgb_to_lab_np(x.astype(np.float32))[..., 1:]


def ab_distance(pred: Any, truth: Any) -> np.ndarray:
    """Per-pixel Euclidean ab distance ``sqrt(da^2 + db^2)``, shape ``[N, H, W]`` (or ``[H, W]``)."""
    p, t, single = _pair(pred, truth)
    d = np.sqrt(np.sum((_ab(p) - _ab(t)) ** 2, axis=-1))  # [N, H, W]
    return d[0] if single else d


# ----------------------------------------------------------------------------------------------
# Metrics
# ----------------------------------------------------------------------------------------------


def psnr(pred: Any, truth: Any, per_image: bool = False) -> float | np.ndarray:
    """PSNR in dB on RGB in [0, 1]; identical pictures get ``PSNR_CAP`` (100 dB)."""
    p, t, single = _pair(pred, truth)
    mse = np.mean((p.astype(np.float64) - t) ** 2, axis=(1, 2, 3))  # [N]
    values = np.where(mse > 0, 10 * np.log10(1.0 / np.maximum(mse, 1e-300)), PSNR_CAP)
    return _reduce(np.minimum(values, PSNR_CAP), single, per_image)


def ssim(pred: Any, truth: Any, per_image: bool = False) -> float | np.ndarray:
    """Structural similarity on RGB (scikit-image, 7x7 window or the picture's size if smaller)."""
    from skimage.metrics import structural_similarity

    p, t, single = _pair(pred, truth)
    side = min(p.shape[1], p.shape[2])
    win = min(7, side if side % 2 else side - 1)
    if win < 3:
        raise ValueError(f"SSIM needs pictures of at least 3x3 pixels, got {p.shape[1:3]}.")
    values = np.array(
        [
            structural_similarity(a, b, channel_axis=-1, data_range=1.0, win_size=win)
            for a, b in zip(p.astype(np.float64), t.astype(np.float64), strict=True)
        ]
    )
    return _reduce(values, single, per_image)


def ab_error(pred: Any, truth: Any, per_image: bool = False) -> float | np.ndarray:
    """Mean Euclidean distance in the ab plane (Lab units) between prediction and truth."""
    p, t, single = _pair(pred, truth)
    d = np.sqrt(np.sum((_ab(p) - _ab(t)) ** 2, axis=-1))  # [N, H, W]
    return _reduce(d.mean(axis=(1, 2)), single, per_image)


def colorfulness(img: Any, per_image: bool = False) -> float | np.ndarray:
    """Hasler & Suesstrunk (2003) colourfulness on 0..255 values (0 for a gray picture)."""
    x, single = _batch(img)
    x = x.astype(np.float64) * 255.0
    r, g, b = x[..., 0], x[..., 1], x[..., 2]  # [N, H, W] each
    rg = r - g
    yb = 0.5 * (r + g) - b
    std = np.sqrt(rg.std(axis=(1, 2)) ** 2 + yb.std(axis=(1, 2)) ** 2)  # [N]
    mean = np.sqrt(rg.mean(axis=(1, 2)) ** 2 + yb.mean(axis=(1, 2)) ** 2)  # [N]
    return _reduce(std + 0.3 * mean, single, per_image)


def colorfulness_gap(pred: Any, truth: Any, per_image: bool = False) -> float | np.ndarray:
    """Colourfulness of the prediction minus that of the truth (negative: duller than reality)."""
    p, t, single = _pair(pred, truth)
    gap = colorfulness(p, per_image=True) - colorfulness(t, per_image=True)
    return _reduce(gap, single, per_image)


def abs_gap(pred: Any, truth: Any) -> float:
    """``|colourfulness(pred) - colourfulness(truth)|`` averaged over pictures: how far from each
    real photo's own vividness the prediction is, too dull or too loud (chapter 4's measure)."""
    return float(np.abs(colorfulness_gap(pred, truth, per_image=True)).mean())


def gap_closed(truth: Any, before: Any, after: Any) -> dict[str, float]:
    """What ``after`` (the GAN) changed against ``before`` (the U-Net) on the same pictures:
    ``closed``, the share of ``before``'s ``abs_gap`` that ``after`` closed (negative: it widened
    it), and ``psnr_change`` in dB (negative: further from the truth pixel by pixel)."""
    gap_before, gap_after = abs_gap(before, truth), abs_gap(after, truth)
    return {
        "gap_before": gap_before,
        "gap_after": gap_after,
        "closed": 1.0 - gap_after / gap_before if gap_before > 0 else 0.0,
        "psnr_change": psnr(after, truth) - psnr(before, truth),
    }


def ab_accuracy_curve(
    pred: Any, truth: Any, thresholds: Iterable[float] = AUC_THRESHOLDS
) -> tuple[np.ndarray, np.ndarray]:
    """``(thresholds, share)``: the share of all pixels whose ab distance is ``<= t``, per ``t``.

    The share rises from the exact-match share at ``t = 0`` to 1 once ``t`` exceeds the largest
    error. Zhang et al. stop at 150: natural photos rarely differ by more, though sRGB's most
    opposite colours (green and magenta) are about 250 apart.
    """
    thresholds = np.asarray(list(thresholds), dtype=np.float64)
    if thresholds.ndim != 1 or thresholds.size < 2 or np.any(np.diff(thresholds) <= 0):
        raise ValueError("thresholds must be at least two increasing numbers, e.g. range(0, 151).")
    d = np.sort(np.ravel(ab_distance(pred, truth)))
    share = np.searchsorted(d, thresholds, side="right") / d.size  # [T]
    return thresholds, share


def ab_auc(pred: Any, truth: Any, thresholds: Iterable[float] = AUC_THRESHOLDS) -> float:
    """Area under ``ab_accuracy_curve``, divided by the threshold range: 1 for a perfect match."""
    t, share = ab_accuracy_curve(pred, truth, thresholds)
    area = np.sum((share[1:] + share[:-1]) / 2 * np.diff(t))  # trapezoid rule
    return float(area / (t[-1] - t[0]))


# ----------------------------------------------------------------------------------------------
# Baselines
# ----------------------------------------------------------------------------------------------


def gray_baseline(truth: Any) -> np.ndarray:
    """The truth's lightness with no colour (ab = 0): float32 RGB in [0, 1], same shape."""
    lab = color.rgb_to_lab_np(color.as_float_rgb(np.asarray(truth)).astype(np.float32))
    lab[..., 1:] = 0.0
    rgb = color.lab_to_rgb_np(lab)  # [..., 3], R = G = B up to rounding
    return np.repeat(rgb.mean(axis=-1, keepdims=True), 3, axis=-1).astype(np.float32)


def mean_ab(images: Any) -> np.ndarray:
    """Mean ab ``[2]`` over all pixels of some (training) pictures: the mean colour's baseline."""
    x, _ = _batch(images)
    return _ab(x).reshape(-1, 2).mean(axis=0)


def mean_color_baseline(truth: Any, mean_ab_value: Sequence[float]) -> np.ndarray:
    """The truth's lightness painted with one constant ab ``[2]`` everywhere: float32 RGB."""
    ab = np.asarray(mean_ab_value, dtype=np.float32)
    if ab.shape != (2,):
        raise ValueError(f"mean_ab_value must be two numbers (a, b), got shape {ab.shape}.")
    lab = color.rgb_to_lab_np(color.as_float_rgb(np.asarray(truth)).astype(np.float32))
    lab[..., 1:] = ab
    return color.lab_to_rgb_np(lab).astype(np.float32)


# ----------------------------------------------------------------------------------------------
# Tables
# ----------------------------------------------------------------------------------------------


def score(pred: Any, truth: Any) -> dict[str, float]:
    """Every metric of one prediction (a batch) against the truth, as a dict (``COLUMNS``' keys)."""
    return {
        "psnr": psnr(pred, truth),
        "ssim": ssim(pred, truth),
        "ab_error": ab_error(pred, truth),
        "colorfulness": colorfulness(pred),
        "abs_gap": abs_gap(pred, truth),
        "ab_auc": ab_auc(pred, truth),
    }


def evaluate(predictions: dict[str, Any], truth: Any) -> list[dict[str, Any]]:
    """Score several predictions ``{name: [N, H, W, 3]}`` against one truth: one row per name.

    Each row is ``{"name": ..., "psnr": ..., "ssim": ..., "ab_error": ..., "colorfulness": ...,
    "abs_gap": ..., "ab_auc": ...}``; a last row ``"truth"`` gives the truth's own
    colourfulness (and the perfect scores) for reference.
    """
    if not predictions:
        raise ValueError("evaluate needs at least one prediction: {'name': pictures}.")
    rows = [{"name": name, **score(pred, truth)} for name, pred in predictions.items()]
    rows.append({"name": "truth", **score(truth, truth)})
    return rows


def format_table(rows: list[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    """``evaluate``'s rows as a fixed-width text table (print it)."""
    columns = list(columns or COLUMNS)
    headers = ["", *(COLUMNS[c][0] if c in COLUMNS else c for c in columns)]
    body = [[str(r["name"]), *(_fmt(c, r.get(c)) for c in columns)] for r in rows]
    widths = [max(len(line[i]) for line in [headers, *body]) for i in range(len(headers))]
    lines = [
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w)
            for i, (h, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in [headers, *body]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def compare(rows: list[dict[str, Any]], base: str, other: str) -> str:
    """One line on how far each score moved from row ``base`` to row ``other`` of ``evaluate``.

    Each score's change is given as it is and relative to ``base`` (``+31%``), so that scores on
    different scales can be compared: a method that changes only colour moves the ab error and
    the AUC a lot, SSIM (which compares local structure, mostly lightness) little.
    """
    by_name = {r["name"]: r for r in rows}
    for name in (base, other):
        if name not in by_name:
            raise KeyError(f"no row named {name!r}; the rows are {list(by_name)}")
    parts = []
    for column, (header, fmt) in COLUMNS.items():
        a, b = by_name[base].get(column), by_name[other].get(column)
        if a is None or b is None:
            continue
        change = b - a
        sign = "+" if change >= 0 else "-"
        text = f"{header} {sign}{fmt.format(abs(change)).lstrip('+')}"  # "{:+.1f}" adds a "+"
        if abs(a) > 1e-9:
            text += f" ({change / abs(a):+.0%})"
        parts.append(text)
    return f"from {base} to {other}: " + ", ".join(parts)


def _fmt(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and column in COLUMNS:
        return COLUMNS[column][1].format(value)
    return str(value)
