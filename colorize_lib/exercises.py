"""Checkers for the chapters' exercises: call one with your answer, read PASS or what is wrong.

Each checker returns a ``Check`` (true when passed) whose text says what was tested and, on a
failure, one example where the answer went wrong, so a reader can fix it without a debugger.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from . import color


@dataclasses.dataclass(frozen=True)
class Check:
    """The outcome of a checker: ``passed`` and a message for the reader."""

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return ("PASS: " if self.passed else "FAIL: ") + self.message

    __repr__ = __str__


def _test_pictures(seed: int = 0) -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    corners = np.array(
        [[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255], [128, 128, 128]],
        np.uint8,
    )
    return [
        ("black, white, the primaries and mid gray, shape [1, 6, 3]", corners[None]),
        ("a random uint8 picture, shape [16, 24, 3]", rng.integers(0, 256, (16, 24, 3), np.uint8)),
    ]


def check_gray_rule(fn: Callable[[np.ndarray], Any], rule: str = "bt601") -> Check:
    """Does ``fn(rgb_uint8 [H, W, 3]) -> gray [H, W]`` follow ``rule`` (see ``color.RULE_INFO``)?

    ``fn`` may return floats in [0, 1] or values in 0..255 (either is accepted); it must keep
    the picture's height and width and be within half a gray level of the rule everywhere.
    """
    info = color.RULE_INFO[rule]
    for what, rgb in _test_pictures():
        try:
            got = np.asarray(fn(rgb.copy()), dtype=np.float64)
        except Exception as e:  # the reader's code: report any error as a failure
            return Check(False, f"your function raised {type(e).__name__}: {e} (input: {what}).")
        if got.shape != rgb.shape[:2]:
            return Check(
                False,
                f"on {what} it returned shape {got.shape}; expected {rgb.shape[:2]} "
                "(one gray value per pixel: reduce the last axis).",
            )
        want = color.to_gray(rgb, rule)  # [H, W] in [0, 1]
        scale = 255.0 if got.max() > 1.5 else 1.0
        err = np.abs(got / scale - want)
        if not np.all(err <= 0.5 / 255 + 1e-9):
            i = np.unravel_index(np.argmax(err), err.shape)
            hint = ""
            if np.allclose(got / scale, rgb.mean(-1) / 255, atol=0.5 / 255):
                hint = " It looks like the plain average: the channels need different weights."
            return Check(
                False,
                f"pixel {tuple(int(v) for v in rgb[i])} gave {got[i] / scale:.4f}, the rule "
                f"{info['formula']} gives {want[i]:.4f}.{hint}",
            )
    return Check(True, f"your function matches {info['title']} ({info['formula']}) everywhere.")


def check_bt601(fn: Callable[[np.ndarray], Any]) -> Check:
    """Chapter 1: does ``fn`` compute BT.601 luma, 0.299 R' + 0.587 G' + 0.114 B'?"""
    return check_gray_rule(fn, "bt601")


def check_same_gray_pair(
    color1: Any, color2: Any, rule: str = "bt601", min_distance: float = 60.0
) -> Check:
    """Chapter 2: two 8-bit colours with the same gray level but far apart in the ab plane?

    Passes when both round to the same 8-bit gray under ``rule`` and their (a, b) distance is at
    least ``min_distance`` (about the distance from a grass green to a brick red).
    """
    pair = np.asarray([color1, color2])
    if pair.shape != (2, 3) or pair.min() < 0 or pair.max() > 255:
        return Check(False, "give two colours as (R, G, B) with values 0..255, e.g. (200, 40, 60).")
    pair = pair.astype(np.uint8)
    levels = color.quantize(color.to_gray(pair, rule))
    lab = color.rgb_to_lab_np(pair)
    dist = float(np.hypot(*(lab[0, 1:] - lab[1, 1:])))
    if levels[0] != levels[1]:
        return Check(False, f"their gray levels differ: {levels[0]} and {levels[1]} ({rule}).")
    if dist < min_distance:
        return Check(
            False,
            f"same gray ({levels[0]}), but their colours are only {dist:.0f} apart in the ab "
            f"plane; find a pair at least {min_distance:.0f} apart (try opposite hues).",
        )
    return Check(True, f"both are gray level {levels[0]}, and {dist:.0f} apart in the ab plane.")


# ----------------------------------------------------------------------------------------------
# Chapter 5
# ----------------------------------------------------------------------------------------------


def _number(fn: Callable[..., Any], args: tuple[np.ndarray, ...]) -> float | str:
    """``fn(*args)`` as a float, or a sentence saying why the reader's answer is not one."""
    try:
        got = np.asarray(fn(*(a.copy() for a in args)), dtype=np.float64)
    except Exception as e:  # the reader's code: report any error as a failure
        return f"your function raised {type(e).__name__}: {e}"
    if got.size != 1:
        return f"your function returned shape {got.shape}: return one number per picture"
    return float(got)


def _matches(got: float, want: float) -> bool:
    return bool(np.isfinite(got) and abs(got - want) <= 1e-3 * max(1.0, abs(want)))


def _against(fn, cases, reference, slips, formula: str) -> Check:
    """Run ``fn`` on each (what, args, why) case against ``reference``; on the first mismatch,
    say what the case tests (``why``) and name the slip whose value the answer matches."""
    for what, args, why in cases:
        got, want = _number(fn, args), float(reference(*args))
        if isinstance(got, str):
            return Check(False, f"{got} (input: {what}).")
        if not _matches(got, want):
            named = [hint for hint, value in slips(*args).items() if _matches(got, value)]
            hint = " ".join([why, *named[:1]]).strip()
            return Check(False, f"on {what} you gave {got:.2f}, {formula} gives {want:.2f}. {hint}")
    return Check(True, f"your function agrees with {formula} on all {len(cases)} test pictures.")


def _hasler(rgb: np.ndarray, halve: float = 0.5) -> tuple[float, float, float, float]:
    """std(rg), std(yb), mean(rg), mean(yb) of an RGB picture, in its own dtype's arithmetic."""
    r, g, b = np.moveaxis(rgb, -1, 0)  # [H, W] each
    rg, yb = r - g, halve * (r + g) - b
    return float(rg.std()), float(yb.std()), float(rg.mean()), float(yb.mean())


def _sigma_mu(terms: tuple[float, float, float, float]) -> tuple[float, float]:
    s_rg, s_yb, m_rg, m_yb = terms
    return float(np.hypot(s_rg, s_yb)), float(np.hypot(m_rg, m_yb))


def _colorfulness_slips(rgb: np.ndarray) -> dict[str, float]:
    """Hint -> what a function with that slip returns on ``rgb`` (uint8 [H, W, 3])."""
    terms = _hasler(rgb.astype(np.float64))
    (sigma, mu), s_rg, s_yb = _sigma_mu(terms), terms[0], terms[1]
    wrapped = _sigma_mu(_hasler(rgb))  # uint8 arithmetic: 100 - 200 wraps around to 156
    unhalved = _sigma_mu(_hasler(rgb.astype(np.float64), halve=1.0))
    return {
        "The mean term is missing: add 0.3 * sqrt(mean(rg)**2 + mean(yb)**2).": sigma,
        "The spread term is missing: add sqrt(std(rg)**2 + std(yb)**2).": 0.3 * mu,
        "The mean term has the weight 0.3: sigma + 0.3 * mu.": sigma + mu,
        "sigma is sqrt(std(rg)**2 + std(yb)**2), not std(rg) + std(yb).": s_rg + s_yb + 0.3 * mu,
        "yb is (R + G) / 2 - B: the half is missing.": unhalved[0] + 0.3 * unhalved[1],
        "uint8 arithmetic wraps around (100 - 200 is 156 in uint8): convert the picture with "
        "rgb.astype(np.float64) first.": wrapped[0] + 0.3 * wrapped[1],
        "The formula works on values 0..255: do not divide by 255.": (sigma + 0.3 * mu) / 255,
    }


def check_colorfulness(fn: Callable[[np.ndarray], Any]) -> Check:
    """Chapter 5: does ``fn(rgb_uint8 [H, W, 3]) -> float`` compute Hasler & Suesstrunk's
    colourfulness as ``metrics.colorfulness`` does?

    The pictures come easiest first, each isolating one part of the formula: a gray ramp (0), one
    flat colour (no spread: only the mean term), four colours whose rg and yb average 0 (only the
    spread term), then a random picture and two procedural landscapes.
    """
    from . import metrics, synth

    ramp = np.repeat(np.arange(256), 3).reshape(1, 256, 3)  # [1, 256, 3], R = G = B
    flat = np.full((8, 8, 3), (230, 120, 30))  # [8, 8, 3], one orange
    four = [[[200, 100, 150], [100, 200, 150]], [[150, 150, 250], [150, 150, 50]]]  # [2, 2, 3]
    cases = [
        ("a gray ramp", ramp, "R = G = B: rg = yb = 0 everywhere, so 0."),
        ("one flat orange", flat, "No spread (sigma = 0): only 0.3 * mu counts here."),
        ("four colours whose rg and yb average 0", four, "mu = 0 here: only sigma counts."),
        *((what, rgb, "") for what, rgb in _test_pictures()[1:]),
        *((f"procedural landscape {i}", rgb, "") for i, rgb in enumerate(synth.generate(2, 32))),
    ]
    cases = [(what, (np.asarray(rgb, np.uint8),), why) for what, rgb, why in cases]
    return _against(
        fn, cases, metrics.colorfulness, _colorfulness_slips, "Hasler & Suesstrunk's formula"
    )


def _psnr_slips(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Hint -> what a PSNR with that slip returns on the pair (uint8 [H, W, 3] each)."""
    err = pred / 255.0 - truth / 255.0  # [H, W, 3] on 0..1
    mse, mae = np.mean(err**2), np.mean(np.abs(err))
    return {
        "Scale to 0..1 first (divide by 255): PSNR = 10 log10(1 / MSE).": -10
        * np.log10(mse * 255**2),
        "With the MSE (a square) the factor is 10, not 20.": -20 * np.log10(mse),
        "Square the errors: the MSE is the mean of (pred - truth)**2.": -10 * np.log10(mae),
        "The logarithm is base 10 (np.log10).": -10 * np.log(mse),
        "It is 10 log10(1 / MSE), not 10 log10(MSE): the closer, the higher.": 10 * np.log10(mse),
    }


def check_psnr(fn: Callable[[np.ndarray, np.ndarray], Any]) -> Check:
    """Chapter 5: does ``fn(pred, truth) -> float`` (uint8 [H, W, 3] each) compute the PSNR in
    dB of values scaled to 0..1, as ``metrics.psnr`` does?

    First every value 10 too high, then every value 10 too low (the same error with the other
    sign: a function that passes the first and fails the second subtracts in uint8), then a
    random picture and a noisy copy.
    """
    from . import metrics

    truth = np.full((8, 8, 3), 128, np.uint8)
    rng = np.random.default_rng(0)
    picture = rng.integers(0, 256, (16, 24, 3), np.uint8)
    noisy = np.clip(picture + rng.normal(0, 12, picture.shape), 0, 255).astype(np.uint8)
    cases = [
        ("a prediction 10 too high everywhere (138 for 128)", (truth + 10, truth), ""),
        (
            "a prediction 10 too low everywhere (118 for 128)",
            (truth - 10, truth),
            "Only the sign of the error changed since the first test: uint8 arithmetic wraps "
            "around (118 - 128 is 246 in uint8). Convert to floats before subtracting.",
        ),
        ("a random picture and a noisy copy", (noisy, picture), ""),
    ]
    return _against(fn, cases, metrics.psnr, _psnr_slips, "metrics.psnr")
