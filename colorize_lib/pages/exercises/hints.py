"""Chapter 7's exercises: a hint as the network reads it, and where one hint helps most."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from colorize_lib import hints
from colorize_lib.pages.exercises.check import Check


def check_hint_maps(fn: Callable[..., Any]) -> Check:
    """Does ``fn(points, size)`` give ``hints.maps``'s ``(hint_ab [S, S, 2], hint_mask [S, S,
    1])`` for points ``[(y, x, a_norm, b_norm)]``: ``PATCH``-wide squares, cut at the border,
    the mean colour where two overlap?"""
    cases = [
        ("one hint in the middle", [(8, 8, 0.4, -0.4)], 16),
        ("a hint in the top left corner", [(0, 0, -0.3, 0.3)], 16),
        ("two hints that overlap", [(5, 5, 0.4, 0.0), (6, 6, 0.0, 0.4)], 16),
        ("a hint in the bottom right corner", [(15, 15, 0.2, 0.5)], 16),
        ("no hint at all", [], 8),
    ]
    for what, points, size in cases:
        want_ab, want_mask = hints.maps(points, size)
        try:
            got_ab, got_mask = (np.asarray(x, np.float64) for x in fn(list(points), size))
        except Exception as e:  # the reader's code: report any error as a failure
            return Check(False, f"with {what}, your function raised {type(e).__name__}: {e}.")
        if got_ab.shape != want_ab.shape or got_mask.shape != want_mask.shape:
            return Check(
                False,
                f"with {what}, you returned shapes {got_ab.shape} and {got_mask.shape}; the "
                f"network reads {want_ab.shape} and {want_mask.shape} (a trailing channel on "
                "the mask too).",
            )
        if not np.allclose(got_mask, want_mask):
            return Check(
                False,
                f"with {what}, your mask covers {int(got_mask.sum())} pixels where it should "
                f"cover {int(want_mask.sum())}. Hint: a hint is a {hints.PATCH}x{hints.PATCH} "
                "square around its point, cut where it meets the border.",
            )
        if not np.allclose(got_ab, want_ab, atol=1e-5):
            return Check(
                False,
                f"with {what}, your colours differ by up to "
                f"{np.abs(got_ab - want_ab).max():.3f} (ab_norm). Hint: outside the hints the "
                "colour is 0; where two squares overlap, take their mean.",
            )
    return Check(
        True,
        f"your maps are the library's: {hints.PATCH}x{hints.PATCH} squares of one colour, a "
        "mask of ones under them, zeros elsewhere.",
    )


def check_worst_place(fn: Callable[..., Any]) -> Check:
    """Does ``fn(predicted_ab, truth_ab)`` (ab_norm ``[S, S, 2]`` each) give ``(y, x)``, the
    pixel where the prediction is furthest from the truth (the length of the ab difference)?"""
    rng = np.random.default_rng(7)
    for trial in range(3):
        truth = rng.uniform(-0.5, 0.5, (12, 12, 2))
        pred = truth + rng.normal(0, 0.01, truth.shape)
        y, x = rng.integers(0, 12, 2)
        if trial % 2 == 0:  # the worst 0.49 away (0.35 each); a decoy larger in one channel
            pred[y, x] += (0.35, -0.35)
            pred[(y + 5) % 12, x, 0] += 0.42
        else:  # the worst 0.5 away in one channel; a decoy larger as |da| + |db| (0.6)
            pred[y, x, 1] += 0.5
            pred[(y + 5) % 12, x] += (0.3, 0.3)
        try:
            got = tuple(int(v) for v in fn(pred.copy(), truth.copy()))
        except Exception as e:
            return Check(False, f"your function raised {type(e).__name__}: {e}.")
        if got != (y, x):
            return Check(
                False,
                f"on test {trial + 1} the worst pixel is (y, x) = ({y}, {x}), you gave {got}. "
                "Hint: measure each pixel's error as the length of its ab difference, "
                "sqrt(da^2 + db^2), not one channel alone; np.unravel_index turns the flat "
                "index of np.argmax into (y, x).",
            )
    return Check(True, "you found the worst pixel each time: where a first hint helps most.")
