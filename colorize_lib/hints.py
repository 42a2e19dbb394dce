"""Colour hints (chapter 7): a person settles what the gray cannot.

The hint-conditioned U-Net reads three inputs (Zhang et al. 2017, "Real-Time User-Guided Image
Colorization with Learned Deep Priors"): the gray ``L_norm [B, S, S, 1]``, the hint colours
``hint_ab [B, S, S, 2]`` (``ab_norm``, zero where there is no hint) and the hint mask
``hint_mask [B, S, S, 1]`` (1 inside a hint). A hint is a small square patch of one colour.

- ``sample_hints``: training hints drawn from the true colours, in TensorFlow. As the paper:
  how many from a geometric distribution (p = 1/8), and each hint the truth's mean ab over its
  patch. This book's choices for small pictures: where, uniformly; how large, a side of 1, 3 or
  5 pixels; and a quarter of the pictures with none (the geometric alone gives an eighth), so
  that with no hint the network keeps colorizing as chapter 3's U-Net.
- ``maps``: hints given as points (working-size pixels, ab_norm colours) -> the two maps, the
  same patches (``PATCH`` pixels wide) the page and ``colorize --hints`` place.
- ``place``: where to put k hints on held-out pictures, at random or where the colorizer without
  hints is most wrong (the chapter's measurements), with the truth's colour there.
- ``read_file``: a hints file of the command line (``HINTS_FORMAT``), checked line by line.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from colorize_lib import color

PATCH = 3  # side of a hint's square, in working-size pixels (the page and the command line)
MAX_HINTS = 32  # at most this many hints per training picture
GEOMETRIC_P = 1 / 8  # how many hints: P(k) = p (1 - p)^k, k = 0, 1, ... (Zhang et al.)
NO_HINTS = 0.25  # share of training pictures without hints (the geometric alone gives 1/8)
SIDES = (1, 3, 5)  # a training hint's side, drawn uniformly
CHANNELS = (1, 2, 1)  # of the hint U-Net's inputs, in order: L_norm, hint_ab, hint_mask
LEARNING_RATE = 1e-3  # Adam's first step when a U-Net learns hints (chapter 7, train-hints)

HINTS_FORMAT = (
    'a JSON file {"hints": [{"x": 120, "y": 80, "color": "#b07cd8"}, ...]}: x and y in pixels of '
    "the picture (0, 0 at the top left), color as #rrggbb"
)


class HintError(ValueError):
    """A hints file or a hint that cannot be used (one line: what, and what to do)."""


def sample_hints(ab_norm, seed):
    """Training hints drawn from the truth: ``ab_norm [B, S, S, 2]`` -> ``(hint_ab [B, S, S,
    2], hint_mask [B, S, S, 1])``, float32, stateless (``seed``: int32 [2])."""
    import tensorflow as tf

    shape = tf.shape(ab_norm)
    B, S = shape[0], shape[1]
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 5)
    # how many: geometric on 0, 1, ... (inverse CDF), capped; then some pictures get none
    u = tf.random.stateless_uniform([B], seeds[0], 1e-6, 1.0)
    k = tf.minimum(tf.floor(tf.math.log(u) / np.log(1 - GEOMETRIC_P)), MAX_HINTS)  # [B]
    extra = (NO_HINTS - GEOMETRIC_P) / (1 - GEOMETRIC_P)  # P(none) = NO_HINTS in all
    k = tf.where(tf.random.stateless_uniform([B], seeds[4]) < extra, 0.0, k)
    active = tf.range(MAX_HINTS, dtype=tf.float32)[None, :] < k[:, None]  # [B, K]
    # where, and how large: centres uniform, half-sides from SIDES
    cy = tf.random.stateless_uniform([B, MAX_HINTS], seeds[1], 0, S, tf.int32)
    cx = tf.random.stateless_uniform([B, MAX_HINTS], seeds[2], 0, S, tf.int32)
    half = tf.gather(
        tf.constant([s // 2 for s in SIDES]),
        tf.random.stateless_uniform([B, MAX_HINTS], seeds[3], 0, len(SIDES), tf.int32),
    )  # [B, K]
    grid = tf.range(S)
    inside_y = tf.abs(grid[None, None, :] - cy[..., None]) <= half[..., None]  # [B, K, S]
    inside_x = tf.abs(grid[None, None, :] - cx[..., None]) <= half[..., None]  # [B, K, S]
    patch = tf.cast(inside_y[..., :, None] & inside_x[..., None, :], tf.float32)  # [B, K, S, S]
    patch *= tf.cast(active, tf.float32)[..., None, None]
    # each hint's colour: the truth's mean ab over its patch
    area = tf.maximum(tf.reduce_sum(patch, [2, 3]), 1.0)  # [B, K]
    mean_ab = tf.einsum("bkyx,byxc->bkc", patch, ab_norm) / area[..., None]  # [B, K, 2]
    cover = tf.reduce_sum(patch, 1)  # [B, S, S]: hints over each pixel
    hint_ab = tf.einsum("bkyx,bkc->byxc", patch, mean_ab) / tf.maximum(cover, 1.0)[..., None]
    mask = tf.cast(cover > 0, tf.float32)[..., None]  # [B, S, S, 1]
    return hint_ab, mask


def with_hints(dataset, seed: int = 0):
    """``(L_norm, ab_norm)`` batches -> ``((L_norm, hint_ab, hint_mask), ab_norm)``, each batch
    with its own hints (seeded by the batch's position and ``seed``: the same run, the same
    hints)."""
    import tensorflow as tf

    def add(step, batch):
        L, ab = batch
        hint_ab, mask = sample_hints(ab, tf.stack([tf.constant(seed, tf.int64), step]))
        return (L, hint_ab, mask), ab

    return dataset.enumerate().map(add)  # in order: one call at a time


def maps(points, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Hints as the network reads them: ``points`` = ``[(y, x, a_norm, b_norm), ...]`` in
    working-size pixels -> ``(hint_ab float32 [S, S, 2], hint_mask float32 [S, S, 1])``, each a
    ``PATCH``-wide square (cut at the border; where two overlap, their mean)."""
    total = np.zeros((size, size, 2), np.float64)
    cover = np.zeros((size, size), np.float64)
    r = PATCH // 2
    for y, x, a, b in points:
        y, x = int(y), int(x)
        if not (0 <= y < size and 0 <= x < size):
            raise HintError(f"a hint at ({x}, {y}) is outside the {size}x{size} picture")
        sl = np.s_[max(y - r, 0) : y + r + 1, max(x - r, 0) : x + r + 1]
        total[sl] += (a, b)
        cover[sl] += 1
    hint_ab = total / np.maximum(cover, 1)[..., None]
    return hint_ab.astype(np.float32), (cover > 0).astype(np.float32)[..., None]


def place(truth_ab, k: int, where: str = "random", predicted_ab=None, seed: int = 0):
    """``k`` hints for one picture at ``where`` = ``"random"`` or ``"worst"`` (where
    ``predicted_ab`` is furthest from ``truth_ab``, each next one at least 2 patches from the
    others), coloured with the truth's mean ab over the patch: ``[(y, x, a_norm, b_norm)]``.
    ``truth_ab``, ``predicted_ab``: ab_norm [S, S, 2]."""
    truth_ab = np.asarray(truth_ab, np.float32)
    S = truth_ab.shape[0]
    if where == "random":
        rng = np.random.default_rng(seed)
        centres = [tuple(c) for c in rng.integers(0, S, (k, 2))]
    elif where == "worst":
        error = np.linalg.norm(np.asarray(predicted_ab) - truth_ab, axis=-1)  # [S, S]
        centres, taken = [], np.zeros((S, S), bool)
        for flat in np.argsort(error, axis=None)[::-1]:
            if len(centres) == k:
                break
            y, x = divmod(int(flat), S)
            if not taken[y, x]:
                centres.append((y, x))
                d = 2 * PATCH
                taken[max(y - d, 0) : y + d + 1, max(x - d, 0) : x + d + 1] = True
    else:
        raise ValueError(f"where={where!r}: choose 'random' or 'worst'")
    r = PATCH // 2
    out = []
    for y, x in centres:
        a, b = truth_ab[max(y - r, 0) : y + r + 1, max(x - r, 0) : x + r + 1].mean((0, 1))
        out.append((int(y), int(x), float(a), float(b)))
    return out


def ab_of_hex(text: str) -> tuple[float, float]:
    """``#rrggbb`` -> its ``(a_norm, b_norm)`` (``color.py``'s Lab, D65; the lightness is the
    picture's own)."""
    text = str(text).strip()
    if len(text) != 7 or text[0] != "#":
        raise HintError(f"colour {text!r}: give it as #rrggbb, e.g. #b07cd8")
    try:
        rgb = np.array([[[int(text[i : i + 2], 16) for i in (1, 3, 5)]]], np.uint8)
    except ValueError:
        raise HintError(f"colour {text!r}: give it as #rrggbb, e.g. #b07cd8") from None
    lab = color.rgb_to_lab_np(rgb)[0, 0]
    return float(lab[1] / color.AB_SCALE), float(lab[2] / color.AB_SCALE)


def on_grid(points, width: int, height: int, size: int) -> list[tuple]:
    """Hints at points of a ``width`` x ``height`` picture, ``[(x, y, a_norm, b_norm)]`` ->
    ``[(y, x, a_norm, b_norm)]`` on the working size's grid (the page does the same sum)."""
    return [(int(y * size // height), int(x * size // width), a, b) for x, y, a, b in points]


def read_file(path: str | Path, width: int, height: int) -> list[tuple]:
    """The hints of a hints file (``HINTS_FORMAT``) for a ``width`` x ``height`` picture:
    ``[(x, y, a_norm, b_norm)]`` in its pixels (``on_grid`` puts them on the network's grid).
    Raises ``HintError`` (one line: which hint, what is wrong, what to write)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HintError(f"{path}: no such hints file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise HintError(
            f"{path} is not readable JSON ({type(err).__name__}): {HINTS_FORMAT}"
        ) from None
    hints = data.get("hints") if isinstance(data, dict) else None
    if not isinstance(hints, list):
        raise HintError(f"{path} has no list of hints: {HINTS_FORMAT}")
    out = []
    for i, h in enumerate(hints, 1):
        try:
            x, y = float(h["x"]), float(h["y"])
            a, b = ab_of_hex(h["color"])
        except (KeyError, TypeError, ValueError) as err:
            why = err if isinstance(err, HintError) else "it needs x, y and color"
            raise HintError(f"{path}, hint {i}: {why}") from None
        if not (0 <= x < width and 0 <= y < height):
            raise HintError(
                f"{path}, hint {i}: ({x:g}, {y:g}) is outside the {width}x{height} picture"
            )
        out.append((x, y, a, b))
    return out


# ---- What the chapter measures and shows ------------------------------------------------------


def truth_ab(pictures) -> np.ndarray:
    """``ab_norm`` of uint8 pictures ``[N, S, S, 3]`` (or one ``[S, S, 3]``): float32."""
    return (color.rgb_to_lab_np(np.asarray(pictures))[..., 1:] / color.AB_SCALE).astype(np.float32)


def one_per_element(labels, ambiguous, ab) -> list[tuple]:
    """One hint per ambiguous element of a procedural picture (``synth.element_map``'s
    ``labels`` and ``ambiguous`` at the working size): at the element's deepest pixel (furthest
    from its border), coloured with the truth ``ab`` (ab_norm [S, S, 2]) there."""
    from scipy import ndimage

    points = []
    for label in np.unique(labels[ambiguous]):
        region = (labels == label) & ambiguous
        depth = ndimage.distance_transform_edt(np.pad(region, 1))[1:-1, 1:-1]
        y, x = np.unravel_index(int(np.argmax(depth)), depth.shape)
        r = PATCH // 2
        a, b = ab[max(y - r, 0) : y + r + 1, max(x - r, 0) : x + r + 1].mean((0, 1))
        points.append((int(y), int(x), float(a), float(b)))
    return points


def marked(picture, points, size: int) -> np.ndarray:
    """``picture`` (uint8 [H, W, 3]) in gray with each hint drawn as a square of its colour
    and a white rim, where the network reads it (points at working size ``size``)."""
    gray = np.round(color.to_gray(np.asarray(picture), "bt601") * 255).astype(np.uint8)
    out = np.repeat(gray[..., None], 3, -1)  # [H, W, 3]
    H, W = out.shape[:2]
    for y, x, a, b in points:
        lab = np.array([[[60.0, a * color.AB_SCALE, b * color.AB_SCALE]]])
        rgb = np.asarray(color.lab_to_rgb_keep_L(lab))[0, 0]
        cy, cx = (y + 0.5) * H / size, (x + 0.5) * W / size
        half = max(2.0, PATCH * W / size / 2)
        y0, y1 = int(max(cy - half - 1, 0)), int(min(cy + half + 1, H))
        x0, x1 = int(max(cx - half - 1, 0)), int(min(cx + half + 1, W))
        out[y0:y1, x0:x1] = 255
        out[y0 + 1 : y1 - 1, x0 + 1 : x1 - 1] = rgb
    return out


def lavender_meadow(size: int = 256, seed: int = 0, min_share: float = 0.3):
    """The first procedural scene whose meadow covers ``min_share`` of the picture, painted
    lavender (whatever its draw): ``(index, picture uint8 [size, size, 3], meadow bool [size,
    size])``. The page's first picture and its browser test: the gray says meadow, only a hint
    can say lavender."""
    from colorize_lib import synth

    for index in range(1000):
        if synth.scene_params(index, seed)["ground"] != "grass":
            continue
        labels, ambiguous = synth.element_map(index, size, seed)
        meadow = (labels == synth.GROUND) & ambiguous
        if meadow.mean() >= min_share:
            picture = synth.generate_one(index, size, seed, choices={"meadow": "lavender"})
            return index, picture, meadow
    raise ValueError(f"no meadow covers {min_share:.0%} of a picture in the first 1000 scenes")
