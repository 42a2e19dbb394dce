"""One gray, many colours (chapter 2): the ambiguity a colorizer has to resolve from context.

A gray picture keeps one number per pixel; the colour had three.

- ``gray_level_counts`` counts exactly, for a gray rule of ``color.GRAY_RULES``, how many of the
  2^24 8-bit RGB colours round to each gray level; ``colors_with_gray`` lists (or samples) the
  colours behind one level; ``all_colors`` enumerates them.
- ``ab_plane`` shows every colour one Lab lightness allows, and which of them sRGB can show.
- ``hedge`` measures what a colorizer does where context cannot decide (``synth``'s meadows,
  forests and lakes, whose hue is one of several with the same gray): how vivid its colours are
  there (``chroma``), against the truth, and against the pixels where context decides.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from colorize_lib import color


def all_colors(bits: int = 8, r_values: Any = None) -> np.ndarray:
    """Every RGB colour with ``bits`` bits per channel, as ``uint8`` ``[N, 3]`` in 0..255.

    Ordered by (R, G, B), so colour ``(r, g, b)`` sits at index ``(r << 2*bits) | (g << bits) | b``
    (indices of the ``bits``-bit values). ``r_values`` restricts R to those indices.
    """
    n = 1 << bits
    values = np.round(np.arange(n) * 255.0 / (n - 1)).astype(np.uint8)  # [n] 8-bit values
    r_idx = np.arange(n) if r_values is None else np.asarray(r_values)
    r, g, b = np.meshgrid(values[r_idx], values, values, indexing="ij")  # [nr, n, n] each
    return np.stack([r.ravel(), g.ravel(), b.ravel()], axis=-1)  # [nr*n*n, 3]


@functools.lru_cache(maxsize=4)
def _levels_of_all_colors(rule: str, levels: int, bits: int) -> np.ndarray:
    n = 1 << bits
    out = np.empty(n**3, dtype=np.uint16)  # [n^3] gray level of every colour
    chunk = max(1, (1 << 20) // (n * n))  # about a million colours at a time
    for r0 in range(0, n, chunk):
        r_idx = np.arange(r0, min(n, r0 + chunk))
        rgb = all_colors(bits, r_idx)  # [chunk*n*n, 3] uint8
        out[r0 * n * n : (r0 + len(r_idx)) * n * n] = color.quantize(
            color.to_gray(rgb, rule), levels
        )
    out.flags.writeable = False
    return out


def gray_levels_of_all_colors(rule: str = "bt601", levels: int = 256, bits: int = 8) -> np.ndarray:
    """Gray level of every colour, in ``all_colors(bits)`` order: ``uint16`` ``[2^(3*bits)]``.

    Computed in chunks of about a million colours (a second or two for 2^24) and cached.
    """
    if rule not in color.GRAY_RULES:
        raise ValueError(
            f"Unknown gray rule {rule!r}. Choose one of: {', '.join(color.GRAY_RULES)}."
        )
    if not 1 <= bits <= 8 or levels < 2:
        raise ValueError(f"Need 1 <= bits <= 8 and levels >= 2, got bits={bits}, levels={levels}.")
    return _levels_of_all_colors(rule, int(levels), int(bits))


def gray_level_counts(rule: str = "bt601", levels: int = 256, bits: int = 8) -> np.ndarray:
    """Exact number of colours that map to each gray level: ``int64`` ``[levels]``.

    With the defaults: how many of the 2^24 8-bit RGB colours round to each 8-bit gray under
    ``rule`` (the counts sum to 16,777,216).
    """
    lv = gray_levels_of_all_colors(rule, levels, bits)
    return np.bincount(lv, minlength=levels).astype(np.int64)


def colors_with_gray(
    level: int,
    rule: str = "bt601",
    max_colors: int | None = None,
    seed: int = 0,
    levels: int = 256,
    bits: int = 8,
) -> np.ndarray:
    """The colours whose gray (under ``rule``) rounds to ``level``: ``uint8`` ``[N, 3]``.

    All of them by default (ordered by R, G, B); with ``max_colors`` a random sample of that
    many (seeded, without replacement), sorted by hue so that a patch grid reads well.
    """
    if not 0 <= level < levels:
        raise ValueError(f"level must be in 0..{levels - 1}, got {level}.")
    idx = np.flatnonzero(gray_levels_of_all_colors(rule, levels, bits) == level)  # [N]
    if max_colors is not None and len(idx) > max_colors:
        rng = np.random.default_rng(seed)
        idx = np.sort(rng.choice(idx, size=max_colors, replace=False))
    n = 1 << bits
    values = np.round(np.arange(n) * 255.0 / (n - 1)).astype(np.uint8)
    rgb = np.stack([values[idx // (n * n)], values[(idx // n) % n], values[idx % n]], axis=-1)
    if max_colors is not None:
        rgb = rgb[np.argsort(_hue(rgb), kind="stable")]
    return rgb


def _hue(rgb: np.ndarray) -> np.ndarray:
    """Hue angle in the ab plane (for sorting colour patches)."""
    lab = color.rgb_to_lab_np(rgb)
    return np.arctan2(lab[..., 2], lab[..., 1])


def ab_plane(L: float, n: int = 201, ab_max: float = 110.0) -> tuple[np.ndarray, np.ndarray]:
    """Every colour of lightness ``L`` on an ``n`` x ``n`` grid of (a, b) in ``[-ab_max, ab_max]``.

    Returns ``(rgb [n, n, 3] float in [0, 1], in_gamut [n, n] bool)``; row 0 is ``b = +ab_max``
    (yellow up), column 0 is ``a = -ab_max`` (green left), as the ab plane is usually drawn.
    """
    ab = np.linspace(-ab_max, ab_max, n)
    a, b = np.meshgrid(ab, ab[::-1])  # [n, n] each
    lab = np.stack([np.full_like(a, L), a, b], axis=-1)  # [n, n, 3]
    return color.lab_to_rgb_np(lab), color.lab_in_gamut(lab)


def chroma(images: Any, where: Any = None) -> float:
    """Mean Lab chroma, sqrt(a^2 + b^2) (0 for gray), of uint8 pictures [N, H, W, 3] over the
    pixels ``where`` (bool [N, H, W]; default: all). NaN when ``where`` selects nothing."""
    lab = color.rgb_to_lab_np(np.asarray(images))  # [N, H, W, 3]
    c = np.hypot(lab[..., 1], lab[..., 2])  # [N, H, W]
    if where is None:
        return float(c.mean())
    where = np.asarray(where, bool)
    return float(c[where].mean()) if where.any() else float("nan")


def hedge(outputs: dict[str, Any], truth: Any, ambiguous: Any) -> list[dict[str, Any]]:
    """For each colorizer's output (uint8 [N, H, W, 3], same pictures as ``truth``): its chroma
    where the colour is ``ambiguous`` (bool [N, H, W]) and elsewhere, and each as a share of the
    truth's chroma there. An L1-trained network keeps most of the truth's chroma where context
    decides and loses much of it where it cannot: the hedge."""
    amb = np.asarray(ambiguous, bool)
    t_amb, t_det = chroma(truth, amb), chroma(truth, ~amb)
    rows = [
        {"name": "truth", "ambiguous": t_amb, "decided": t_det, "amb_share": 1.0, "det_share": 1.0}
    ]
    for name, out in outputs.items():
        c_amb, c_det = chroma(out, amb), chroma(out, ~amb)
        rows.append(
            {
                "name": name,
                "ambiguous": c_amb,
                "decided": c_det,
                "amb_share": c_amb / t_amb,
                "det_share": c_det / t_det,
            }
        )
    return rows


def format_hedge(rows: list[dict[str, Any]]) -> str:
    """``hedge``'s rows as a table: chroma where ambiguous / decided, and share of the truth's."""
    lines = [f"{'':8s} {'chroma where ambiguous':>24s} {'chroma where context decides':>30s}"]
    for r in rows:
        lines.append(
            f"{r['name']:8s} {r['ambiguous']:8.1f} ({r['amb_share']:4.0%} of truth)"
            f" {r['decided']:14.1f} ({r['det_share']:4.0%} of truth)"
        )
    return "\n".join(lines)
