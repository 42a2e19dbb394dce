"""Chapter 5: colourfulness and PSNR by hand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from colorize_lib.pages.exercises.check import Check
from colorize_lib.pages.exercises.gray import sample_pictures


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
    from colorize_lib import metrics, synth

    ramp = np.repeat(np.arange(256), 3).reshape(1, 256, 3)  # [1, 256, 3], R = G = B
    flat = np.full((8, 8, 3), (230, 120, 30))  # [8, 8, 3], one orange
    four = [[[200, 100, 150], [100, 200, 150]], [[150, 150, 250], [150, 150, 50]]]  # [2, 2, 3]
    cases = [
        ("a gray ramp", ramp, "R = G = B: rg = yb = 0 everywhere, so 0."),
        ("one flat orange", flat, "No spread (sigma = 0): only 0.3 * mu counts here."),
        ("four colours whose rg and yb average 0", four, "mu = 0 here: only sigma counts."),
        *((what, rgb, "") for what, rgb in sample_pictures()[1:]),
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
    from colorize_lib import metrics

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
