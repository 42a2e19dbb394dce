"""Chapters 1 and 2: gray rules by hand, two colours that share a gray."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from colorize_lib import color
from colorize_lib.pages.exercises.check import Check


def sample_pictures(seed: int = 0) -> list[tuple[str, np.ndarray]]:
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
    for what, rgb in sample_pictures():
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
