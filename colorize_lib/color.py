"""Colour: RGB to gray rules, RGB <-> Lab (TensorFlow and NumPy), and Lab scaled for the network.

Four groups of tools, all on RGB pictures as the rest of the library stores them
(``uint8`` ``[..., 3]`` or float in ``[0, 1]``):

- **Gray rules** (chapter 1): ``GRAY_RULES``, ``RULE_INFO``, ``to_gray``, ``quantize``. (How many
  colours share each gray level, chapter 2, is counted in ``ambiguity.gray_level_counts``.)
- **Lab** (D65 white, sRGB primaries, the same numbers as ``skimage.color.rgb2lab``):
  ``rgb_to_lab`` / ``lab_to_rgb`` in TensorFlow ops (batched, float32, differentiable, usable in
  ``tf.data`` and ``tf.function``) and ``rgb_to_lab_np`` / ``lab_to_rgb_np`` in pure NumPy.
- **The gamut rule** for colorized pictures: ``lab_to_rgb_keep_L``. A predicted colour that sRGB
  cannot show loses saturation, never lightness. (``lab_to_rgb_np`` and ``lab_to_rgb`` clip
  each channel, as scikit-image does: right for figures, wrong for a colorization, whose
  lightness is the photo's own.)
- **What the network sees**: ``L_norm = L / 50 - 1`` in ``[-1, 1]`` (``[..., 1]``) and
  ``ab_norm = ab / 110`` (``[..., 2]``): ``split_lab``, ``merge_lab``, ``rgb_to_model``,
  ``model_to_rgb``.

TensorFlow is imported only when a TensorFlow function is first called, so the NumPy half of
this module (all that chapters 1 and 2 need) loads in milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

# ----------------------------------------------------------------------------------------------
# Constants (the same as scikit-image's, so that our Lab equals skimage.color.rgb2lab)
# ----------------------------------------------------------------------------------------------

# sRGB (linear) -> CIE XYZ, rows X, Y, Z (IEC 61966-2-1, as in scikit-image)
XYZ_FROM_RGB = np.array(
    [
        [0.412453, 0.357580, 0.180423],
        [0.212671, 0.715160, 0.072169],
        [0.019334, 0.119193, 0.950227],
    ]
)
RGB_FROM_XYZ = np.linalg.inv(XYZ_FROM_RGB)
WHITE_D65 = np.array([0.95047, 1.0, 1.08883])  # reference white, 2 degree observer

# Lab's cube-root curve and its linear toe (CIE 15: 2004; the constants scikit-image uses)
_LAB_EPS = 0.008856  # (6/29)^3
_LAB_KAPPA = 7.787  # (29/6)^2 / 3
_LAB_DELTA = 0.2068966  # 6/29

# Scaling for the network (see CONTRIBUTING.md): L_norm = L / L_SCALE - 1, ab_norm = ab / AB_SCALE
L_SCALE = 50.0
AB_SCALE = 110.0


def _tf():
    """TensorFlow, imported on first use (keeps ``from colorize_lib import color`` fast)."""
    import tensorflow as tf

    return tf


# ----------------------------------------------------------------------------------------------
# NumPy helpers
# ----------------------------------------------------------------------------------------------


def as_float_rgb(rgb: Any) -> np.ndarray:
    """RGB as floats in [0, 1]: ``uint8`` is divided by 255, floats are kept (float32 stays float32).

    Raises ``ValueError`` when the last axis is not 3 or floats fall outside [0, 1].
    """
    arr = np.asarray(rgb)
    if arr.ndim < 1 or arr.shape[-1] != 3:
        raise ValueError(
            f"Expected an RGB array with 3 channels in the last axis, got shape {arr.shape}. "
            "Pass a [..., 3] array (drop an alpha channel with img[..., :3])."
        )
    if arr.dtype == np.uint8:
        return arr.astype(np.float64) / 255.0
    if np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool:
        raise ValueError(
            f"Integer RGB must be uint8 (0..255), got {arr.dtype}. "
            "Convert with img.astype(np.uint8) or to floats in [0, 1]."
        )
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    if arr.size and (np.nanmin(arr) < -1e-6 or np.nanmax(arr) > 1 + 1e-6):
        raise ValueError(
            f"Float RGB must lie in [0, 1], got values in [{arr.min():.3g}, {arr.max():.3g}]. "
            "Divide 0..255 values by 255 first."
        )
    return arr


def srgb_to_linear(c: Any) -> np.ndarray:
    """Decode sRGB values in [0, 1] (gamma-encoded, as stored in files) to linear light."""
    c = np.asarray(c, dtype=np.result_type(np.asarray(c).dtype, np.float32))
    return np.where(c > 0.04045, ((np.maximum(c, 0.04045) + 0.055) / 1.055) ** 2.4, c / 12.92)


def linear_to_srgb(c: Any) -> np.ndarray:
    """Encode linear light in [0, 1] to sRGB values (the inverse of ``srgb_to_linear``)."""
    c = np.asarray(c, dtype=np.result_type(np.asarray(c).dtype, np.float32))
    return np.where(c > 0.0031308, 1.055 * np.maximum(c, 0.0031308) ** (1 / 2.4) - 0.055, 12.92 * c)


def _lab_f(t: np.ndarray) -> np.ndarray:
    """CIE Lab's compressive curve: cube root above (6/29)^3, a straight line below."""
    return np.where(t > _LAB_EPS, np.cbrt(t), _LAB_KAPPA * t + 16.0 / 116.0)


def _lab_f_inv(t: np.ndarray) -> np.ndarray:
    return np.where(t > _LAB_DELTA, t**3, (t - 16.0 / 116.0) / _LAB_KAPPA)


def L_from_Y(y: Any) -> np.ndarray:
    """CIE lightness ``L`` in [0, 100] from relative luminance ``Y`` (white = 1), any shape."""
    return 116.0 * _lab_f(np.asarray(y)) - 16.0


# ----------------------------------------------------------------------------------------------
# Gray rules (NumPy): RGB [..., 3] -> gray [...] in [0, 1]
# ----------------------------------------------------------------------------------------------


def _weighted(rgb: np.ndarray, w: tuple[float, float, float]) -> np.ndarray:
    return rgb[..., 0] * w[0] + rgb[..., 1] * w[1] + rgb[..., 2] * w[2]


def gray_bt601(rgb: Any) -> np.ndarray:
    """ITU-R BT.601 luma: 0.299 R' + 0.587 G' + 0.114 B' on the gamma-encoded values."""
    return _weighted(as_float_rgb(rgb), (0.299, 0.587, 0.114))


def gray_bt709(rgb: Any) -> np.ndarray:
    """ITU-R BT.709 luma: 0.2126 R' + 0.7152 G' + 0.0722 B' on the gamma-encoded values."""
    return _weighted(as_float_rgb(rgb), (0.2126, 0.7152, 0.0722))


def gray_average(rgb: Any) -> np.ndarray:
    """Plain average (R' + G' + B') / 3: every channel counts the same."""
    return as_float_rgb(rgb).mean(axis=-1)


def gray_lightness(rgb: Any) -> np.ndarray:
    """HSL lightness (max + min) / 2 of the encoded values."""
    x = as_float_rgb(rgb)
    return (x.max(axis=-1) + x.min(axis=-1)) / 2


def gray_linear_luminance(rgb: Any) -> np.ndarray:
    """Relative luminance Y in linear light (BT.709 weights), re-encoded to sRGB for display."""
    x = as_float_rgb(rgb)
    y = _weighted(srgb_to_linear(x), (0.2126, 0.7152, 0.0722))
    return linear_to_srgb(y)


def gray_cie_lstar(rgb: Any) -> np.ndarray:
    """CIE L* / 100 (perceived lightness; exactly Lab's L channel divided by 100)."""
    x = as_float_rgb(rgb)
    y = _weighted(srgb_to_linear(x), tuple(XYZ_FROM_RGB[1]))  # Y, white = 1
    return L_from_Y(y) / 100.0


GRAY_RULES: dict[str, Callable[[Any], np.ndarray]] = {
    "bt601": gray_bt601,
    "bt709": gray_bt709,
    "average": gray_average,
    "lightness": gray_lightness,
    "linear_luminance": gray_linear_luminance,
    "cie_lstar": gray_cie_lstar,
}

RULE_INFO: dict[str, dict[str, str]] = {
    "bt601": {
        "title": "BT.601 luma",
        "formula": "0.299 R' + 0.587 G' + 0.114 B'",
        "about": "Standard-definition TV (1982) and what PIL's convert('L') and OpenCV use. "
        "Weighted sum of the gamma-encoded values: green counts most, as the eye is most "
        "sensitive to it.",
    },
    "bt709": {
        "title": "BT.709 luma",
        "formula": "0.2126 R' + 0.7152 G' + 0.0722 B'",
        "about": "HDTV weights (from the sRGB/HDTV primaries) applied to encoded values: even "
        "more green, less blue than BT.601.",
    },
    "average": {
        "title": "average",
        "formula": "(R' + G' + B') / 3",
        "about": "Every channel counts the same: pure blue looks as bright as pure green, "
        "which no eye agrees with.",
    },
    "lightness": {
        "title": "HSL lightness",
        "formula": "(max(R',G',B') + min(R',G',B')) / 2",
        "about": "The L of HSL: every fully saturated colour becomes the same mid gray.",
    },
    "linear_luminance": {
        "title": "luminance (linear light)",
        "formula": "sRGB(0.2126 R + 0.7152 G + 0.0722 B), R G B linear",
        "about": "Decode the gamma first, weight the light itself (physical luminance Y), then "
        "encode again for display. Saturated colours come out darker than with luma.",
    },
    "cie_lstar": {
        "title": "CIE L*",
        "formula": "(116 f(Y) - 16) / 100, f = cube root",
        "about": "Perceived lightness from luminance Y (CIE 1976): Lab's L channel, the gray "
        "the network of this book sees.",
    },
}


def to_gray(rgb: Any, rule: str = "bt601") -> np.ndarray:
    """Gray in [0, 1] of RGB ``[..., 3]`` (``uint8`` or float in [0, 1]) by a named rule.

    Returns ``[...]`` (the channel axis dropped); float32 in gives float32 out, else float64.
    """
    if rule not in GRAY_RULES:
        raise ValueError(f"Unknown gray rule {rule!r}. Choose one of: {', '.join(GRAY_RULES)}.")
    gray = GRAY_RULES[rule](rgb)
    return np.clip(gray, 0.0, 1.0)


# Exact ties are common (HSL lightness of (0, 0, 1) is 127.5/255; BT.601 has 16,782 colours at
# x.5): a nudge far above float error (1e-13) and far below the gaps between real values rounds
# every tie up, as exact arithmetic would.
_TIE_NUDGE = 1e-9


def quantize(gray: Any, levels: int = 256) -> np.ndarray:
    """Gray in [0, 1] -> integer level in ``0 .. levels-1`` (round half up), ``[...]`` int64."""
    g = np.asarray(gray, dtype=np.float64)
    q = np.floor(g * (levels - 1) + 0.5 + _TIE_NUDGE)
    return np.clip(q, 0, levels - 1).astype(np.int64)


# ----------------------------------------------------------------------------------------------
# Lab in NumPy
# ----------------------------------------------------------------------------------------------


def rgb_to_lab_np(rgb: Any) -> np.ndarray:
    """sRGB ``[..., 3]`` (``uint8`` or float in [0, 1]) -> Lab ``[..., 3]`` (L in [0, 100]).

    Same numbers as ``skimage.color.rgb2lab`` (D65, 2 degree observer). Float32 in gives
    float32 out, else float64.
    """
    x = as_float_rgb(rgb)
    dtype = np.float32 if x.dtype == np.float32 else np.float64
    lin = srgb_to_linear(x.astype(np.float64))  # [..., 3]
    xyz = lin @ XYZ_FROM_RGB.T / WHITE_D65  # [..., 3] relative to white
    f = _lab_f(xyz)
    L = 116.0 * f[..., 1] - 16.0
    a = 500.0 * (f[..., 0] - f[..., 1])
    b = 200.0 * (f[..., 1] - f[..., 2])
    return np.stack([L, a, b], axis=-1).astype(dtype)


def _lab_to_linear_np(lab: np.ndarray) -> np.ndarray:
    """Lab [..., 3] float -> linear RGB [..., 3] of the same dtype, unclipped (may leave [0, 1])."""
    fy = (lab[..., 0] + 16.0) / 116.0
    fx = fy + lab[..., 1] / 500.0
    fz = np.maximum(fy - lab[..., 2] / 200.0, 0.0)  # skimage sets negative z to 0
    xyz = _lab_f_inv(np.stack([fx, fy, fz], axis=-1)) * WHITE_D65.astype(lab.dtype)  # [..., 3]
    return xyz @ RGB_FROM_XYZ.T.astype(lab.dtype)


def _check_lab(lab: Any) -> np.ndarray:
    lab = np.asarray(lab)
    if lab.ndim < 1 or lab.shape[-1] != 3:
        raise ValueError(f"Expected Lab with 3 channels in the last axis, got shape {lab.shape}.")
    return lab


def lab_to_rgb_np(lab: Any) -> np.ndarray:
    """Lab ``[..., 3]`` -> sRGB floats in [0, 1]; out-of-gamut colours are clipped (as skimage)."""
    lab = _check_lab(lab)
    dtype = np.float32 if lab.dtype == np.float32 else np.float64
    lin = _lab_to_linear_np(lab.astype(np.float64))
    return np.clip(linear_to_srgb(lin), 0.0, 1.0).astype(dtype)


def lab_in_gamut(lab: Any, tol: float = 1e-6) -> np.ndarray:
    """True where a Lab colour ``[..., 3]`` is a real sRGB colour (no clipping needed): ``[...]``."""
    lab = _check_lab(lab).astype(np.float64)
    return _fits(lab, _lab_to_linear_np(lab), tol)


def _fits(lab: np.ndarray, lin: np.ndarray, tol: float) -> np.ndarray:
    """``[...]`` True where Lab ``[..., 3]`` (with its linear RGB ``lin``) is inside sRGB."""
    fz = (lab[..., 0] + 16.0) / 116.0 - lab[..., 2] / 200.0  # below 0: no real colour
    return np.all((lin >= -tol) & (lin <= 1 + tol), axis=-1) & (fz >= 0)


def lab_to_rgb_keep_L(lab: Any, steps: int = 10, tol: float = 1e-4) -> np.ndarray:
    """Lab ``[..., 3]`` -> sRGB ``uint8 [..., 3]``: out-of-gamut colours lose saturation, never L.

    The book's one gamut rule for colorized pictures. Gray (a = b = 0) always fits, so for each
    colour that does not, a bisection of ``steps`` halvings finds the largest ``t`` in [0, 1] for
    which ``(L, t*a, t*b)`` fits. Computed in float32.
    """
    lab = _check_lab(lab).astype(np.float32)
    lin = _lab_to_linear_np(lab)  # [..., 3]
    bad = ~_fits(lab, lin, tol)  # [...]
    if bad.any():
        lab_bad = lab[bad]  # [n, 3]
        lo, hi = np.zeros(len(lab_bad), np.float32), np.ones(len(lab_bad), np.float32)  # [n]
        for _ in range(steps):
            mid = (lo + hi) / 2
            scaled = lab_bad * np.stack([np.ones_like(mid), mid, mid], axis=-1)  # [n, 3]
            ok = _fits(scaled, _lab_to_linear_np(scaled), tol)
            lo, hi = np.where(ok, mid, lo), np.where(ok, hi, mid)
        lin[bad] = _lab_to_linear_np(lab_bad * np.stack([np.ones_like(lo), lo, lo], axis=-1))
    srgb = linear_to_srgb(np.clip(lin, 0.0, 1.0))
    return np.round(srgb * 255.0).astype(np.uint8)


# ----------------------------------------------------------------------------------------------
# Lab in TensorFlow (float32, batched, differentiable)
# ----------------------------------------------------------------------------------------------


def _pow_tf(x, k: float):
    """``x ** k`` for ``x > 0`` as ``exp(k log x)``.

    The same value to float32 precision, but about twice as fast on a CPU: TensorFlow's ``exp``
    and ``log`` kernels are vectorised, its ``pow`` kernel is not (``bench_color.py`` measures it).
    Callers clamp ``x`` away from 0 first, so the gradient ``k x**k / x`` stays finite.
    """
    tf = _tf()
    return tf.exp(k * tf.math.log(x))


def srgb_to_linear_tf(c):
    """TensorFlow ``srgb_to_linear``; the unused branch is kept finite so gradients stay finite."""
    tf = _tf()
    c = tf.convert_to_tensor(c, dtype=tf.float32)
    high = _pow_tf((tf.maximum(c, 0.04045) + 0.055) / 1.055, 2.4)
    return tf.where(c > 0.04045, high, c / 12.92)


def linear_to_srgb_tf(c):
    """TensorFlow ``linear_to_srgb`` (finite gradients everywhere)."""
    tf = _tf()
    c = tf.convert_to_tensor(c, dtype=tf.float32)
    high = 1.055 * _pow_tf(tf.maximum(c, 0.0031308), 1.0 / 2.4) - 0.055
    return tf.where(c > 0.0031308, high, 12.92 * c)


def _matmul_last(x, m: np.ndarray):
    """``x @ m.T`` over the last axis of a ``[..., 3]`` tensor."""
    tf = _tf()
    return tf.tensordot(x, tf.constant(m.T, dtype=tf.float32), axes=[[-1], [0]])


def rgb_to_lab(rgb):
    """sRGB float ``[..., 3]`` in [0, 1] -> Lab ``[..., 3]`` float32, in TensorFlow ops.

    Matches ``skimage.color.rgb2lab`` (to float32 precision); works on any batch shape, inside
    ``tf.data.Dataset.map`` and ``tf.function``, and has finite gradients.
    """
    tf = _tf()
    rgb = tf.convert_to_tensor(rgb)
    if rgb.dtype == tf.uint8:
        rgb = tf.cast(rgb, tf.float32) / 255.0
    rgb = tf.cast(rgb, tf.float32)
    xyz = _matmul_last(srgb_to_linear_tf(rgb), XYZ_FROM_RGB)  # [..., 3]
    xyz = xyz / tf.constant(WHITE_D65, dtype=tf.float32)
    cube = _pow_tf(tf.maximum(xyz, _LAB_EPS), 1.0 / 3.0)  # cube root
    f = tf.where(xyz > _LAB_EPS, cube, _LAB_KAPPA * xyz + 16.0 / 116.0)  # [..., 3]
    fx, fy, fz = tf.unstack(f, axis=-1)
    return tf.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], axis=-1)


def lab_to_rgb(lab):
    """Lab ``[..., 3]`` -> sRGB ``[..., 3]`` float32 in [0, 1], in TensorFlow ops.

    Out-of-gamut colours are clipped into [0, 1] on the way out, as ``skimage.color.lab2rgb``.
    """
    tf = _tf()
    lab = tf.cast(tf.convert_to_tensor(lab), tf.float32)
    L, a, b = tf.unstack(lab, axis=-1)
    fy = (L + 16.0) / 116.0
    fx = fy + a / 500.0
    fz = tf.maximum(fy - b / 200.0, 0.0)  # skimage sets negative z to 0
    f = tf.stack([fx, fy, fz], axis=-1)  # [..., 3]
    xyz = tf.where(f > _LAB_DELTA, f * f * f, (f - 16.0 / 116.0) / _LAB_KAPPA)
    xyz = xyz * tf.constant(WHITE_D65, dtype=tf.float32)
    lin = _matmul_last(xyz, RGB_FROM_XYZ)
    return tf.clip_by_value(linear_to_srgb_tf(lin), 0.0, 1.0)


# ----------------------------------------------------------------------------------------------
# What the network sees: L_norm [..., 1] in [-1, 1] and ab_norm [..., 2]
# ----------------------------------------------------------------------------------------------


def _is_numpy(*xs) -> bool:
    return all(isinstance(x, (np.ndarray, np.generic, float, int)) for x in xs)


def split_lab(lab):
    """Lab ``[..., 3]`` -> ``(L_norm [..., 1] = L/50 - 1, ab_norm [..., 2] = ab/110)``.

    NumPy in gives NumPy out; anything else (tensors) gives TensorFlow tensors.
    """
    if _is_numpy(lab):
        lab = np.asarray(lab)
        return lab[..., :1] / L_SCALE - 1.0, lab[..., 1:] / AB_SCALE
    tf = _tf()
    lab = tf.cast(tf.convert_to_tensor(lab), tf.float32)
    return lab[..., :1] / L_SCALE - 1.0, lab[..., 1:] / AB_SCALE


def merge_lab(L_norm, ab_norm):
    """Inverse of ``split_lab``: ``[..., 1]`` and ``[..., 2]`` -> Lab ``[..., 3]``."""
    if _is_numpy(L_norm, ab_norm):
        L_norm, ab_norm = np.asarray(L_norm), np.asarray(ab_norm)
        return np.concatenate([(L_norm + 1.0) * L_SCALE, ab_norm * AB_SCALE], axis=-1)
    tf = _tf()
    L_norm = tf.cast(tf.convert_to_tensor(L_norm), tf.float32)
    ab_norm = tf.cast(tf.convert_to_tensor(ab_norm), tf.float32)
    return tf.concat([(L_norm + 1.0) * L_SCALE, ab_norm * AB_SCALE], axis=-1)


def rgb_to_model(rgb):
    """RGB ``[..., 3]`` (float in [0, 1] or uint8) -> ``(L_norm [..., 1], ab_norm [..., 2])``, TF."""
    tf = _tf()
    return split_lab(rgb_to_lab(tf.convert_to_tensor(rgb)))


def model_to_rgb(L_norm, ab_norm):
    """``(L_norm [..., 1], ab_norm [..., 2])`` -> RGB ``[..., 3]`` float32 in [0, 1], TF."""
    tf = _tf()
    return lab_to_rgb(merge_lab(tf.convert_to_tensor(L_norm), tf.convert_to_tensor(ab_norm)))
