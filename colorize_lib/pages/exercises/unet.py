"""Chapter 3: the U-Net's decoder block, its parameters, and why L1 hedges less than L2."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from colorize_lib import color
from colorize_lib.pages.exercises.check import Check


def _layer_rows(model: Any, prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
    """One row per layer of a Keras model, sub-models opened: (path, what defines the layer).

    What defines a layer: its class, its configuration (without its name), the layers it reads
    (inbound), its output shape(s) and its parameter count. Keras names input layers it creates
    itself ``input_layer_7``, with a counter that differs between two builds: those names read
    ``input_layer``.
    """
    import json
    import re

    def same_inputs(obj: Any) -> Any:  # JSON-like: tuples become lists, inputs lose counters
        text = json.dumps(obj, sort_keys=True, default=repr)
        return json.loads(re.sub(r'"input_layer_\d+"', '"input_layer"', text))

    inbound = {spec["name"]: spec.get("inbound_nodes") for spec in model.get_config()["layers"]}
    rows = []
    for layer in model.layers:
        config = layer.get_config()
        for key in ("name", "layers", "input_layers", "output_layers"):  # sub-models: rows below
            config.pop(key, None)
        name = "input_layer" if re.fullmatch(r"input_layer_\d+", layer.name) else layer.name
        shapes = [
            list(t.shape)
            for t in (layer.output if isinstance(layer.output, list) else [layer.output])
        ]
        row = {
            "class": type(layer).__name__,
            "config": same_inputs(config),
            "inbound": same_inputs(inbound[layer.name]),
            "output shape": shapes,
            "parameters": layer.count_params(),
        }
        rows.append((prefix + name, row))
        if getattr(layer, "layers", None):  # a sub-model (the encoder): its layers too
            rows.extend(_layer_rows(layer, f"{prefix}{name}/"))
    return rows


def check_same_layers(
    model: Any, reference: Any, reference_name: str = "colorize_lib.models.build_unet"
) -> Check:
    """Is ``model`` built exactly like ``reference``, layer by layer (sub-models opened)?

    Compares, in order, each layer's name, class, configuration, inputs, output shape and
    parameter count, and names the first layer that differs. Chapter 3 uses it to prove that
    the U-Net it writes in cells is the library's (and fails the book build if they drift).
    """
    mine, theirs = _layer_rows(model), _layer_rows(reference)
    pairs = zip(mine, theirs, strict=False)  # different lengths: reported after the loop
    for i, ((name, row), (ref_name, ref_row)) in enumerate(pairs):
        if name != ref_name:
            return Check(
                False,
                f"layer {i} is {name!r} ({row['class']}) in your model but {ref_name!r} "
                f"({ref_row['class']}) in {reference_name}: a layer is missing, extra or "
                "named differently.",
            )
        for key, value in row.items():
            if value != ref_row[key]:
                want = ref_row[key]
                if key == "config":  # only the settings that differ
                    diff = sorted(k for k in {*value, *want} if value.get(k) != want.get(k))
                    value = {k: value.get(k) for k in diff}
                    want = {k: want.get(k) for k in diff}
                return Check(
                    False,
                    f"layer {i} {name!r} ({row['class']}): its {key} is {value} in your model, "
                    f"{want} in {reference_name}.",
                )
    if len(mine) != len(theirs):
        return Check(
            False,
            f"your model has {len(mine)} layers, {reference_name} has {len(theirs)}; the first "
            f"{min(len(mine), len(theirs))} agree.",
        )
    params = sum(row["parameters"] for name, row in mine if "/" not in name)
    return Check(
        True,
        f"same layers, shapes and {params:,} parameters as {reference_name} "
        f"({len(mine)} layers, the encoder's included).",
    )


def _block_cases() -> list[tuple[int, int, int]]:
    # (channels of x, channels of the skip, filters): a /16 block of MobileNetV2-0.35, the last
    # block (its skip is L: 1 channel), and a small odd one
    return [(112, 192, 96), (16, 1, 16), (3, 5, 7)]


def check_block_params(fn: Callable[[int, int, int], Any]) -> Check:
    """Does ``fn(c_in, c_skip, filters)`` count the parameters of ``models.up_block``?

    The reference is what Keras counts on the library's block, built on symbolic inputs ``x``
    ``[2, 2, c_in]`` and ``skip`` ``[4, 4, c_skip]``: trained and not trained (batch norm's
    running statistics) together. On a failure the hint names what the count left out or added.
    """
    import keras  # here, not at the top: chapters 1 and 2 use this module without TensorFlow

    from colorize_lib import models

    def keras_count(c_in: int, c_skip: int, filters: int) -> int:
        x, skip = keras.Input((2, 2, c_in)), keras.Input((4, 4, c_skip))
        return keras.Model([x, skip], models.up_block(x, skip, filters, "block")).count_params()

    def formula(c_in, c_skip, f, skip=True, bn=4, bias=0):  # the count, or a wrong variant
        c = c_in + c_skip if skip else c_in  # channels the first convolution reads
        return 9 * c * f + 9 * f * f + 2 * bias * f + 2 * bn * f  # 2 convolutions, 2 batch norms

    hints = {
        "skip": "the first convolution reads the concatenation: c_in + c_skip channels, not c_in",
        "bn0": "each batch norm has 4 numbers per channel: gamma and beta (trained), the running "
        "mean and variance (not trained, but parameters all the same)",
        "bn2": "you counted batch norm's gamma and beta; it also keeps a running mean and "
        "variance per channel (not trained, still counted)",
        "bias": "the convolutions have no bias (use_bias=False): batch norm's beta does that job",
    }
    for c_in, c_skip, f in _block_cases():
        want = keras_count(c_in, c_skip, f)
        try:
            got = fn(c_in, c_skip, f)
        except Exception as e:  # the reader's code: report any error as a failure
            return Check(False, f"your function raised {type(e).__name__}: {e}.")
        if got == want:
            continue
        wrong = [  # which mistakes, together, give exactly the reader's number
            [k for k, bad in (("skip", not s), (f"bn{bn}", bn != 4), ("bias", bias)) if bad]
            for s in (True, False)
            for bn in (4, 2, 0)
            for bias in (0, 1)
            if formula(c_in, c_skip, f, s, bn, bias) == got
        ]
        hint = (
            "; ".join(hints[k] for k in wrong[0])
            if wrong
            else (
                "count each layer: a 3x3 convolution from C to F channels without bias has 9*C*F "
                "weights, a batch norm 4 per channel, upsampling, concatenation and ReLU none"
            )
        )
        return Check(
            False,
            f"for c_in={c_in}, c_skip={c_skip}, filters={f} you counted {got}, Keras counts "
            f"{want}. Hint: {hint}.",
        )
    c_in, c_skip, f = _block_cases()[0]
    conv1, conv2, bn = 9 * (c_in + c_skip) * f, 9 * f * f, 2 * 4 * f
    return Check(
        True,
        f"for c_in={c_in}, c_skip={c_skip}, filters={f}: conv1 {conv1:,} + conv2 {conv2:,} + "
        f"two batch norms {bn:,} = {conv1 + conv2 + bn:,}, as Keras counts; the skip's "
        f"channels make up {9 * c_skip * f / (conv1 + conv2 + bn):.0%} of the block.",
    )


RED_RGB = (200, 60, 50)  # a brick red ...
GREEN_RGB = (60, 125, 45)  # ... and a meadow green of about the same lightness (L ~ 46)


def ambiguous_pixel(n_green: int = 7, n_red: int = 3) -> np.ndarray:
    """The true ab of one pixel over ``n_green + n_red`` photos: green in some, red in others.

    Returns ``float64`` ``[n_green + n_red, 2]`` (a, b), the greens first.
    """
    ab = color.rgb_to_lab_np(np.array([GREEN_RGB, RED_RGB], np.uint8))[:, 1:]  # [2, 2]
    return np.repeat(ab, [n_green, n_red], axis=0)


def _l1(guess: np.ndarray, ab: np.ndarray) -> float:
    return float(np.abs(ab - guess).mean())  # mean absolute error over samples and channels


def _l2(guess: np.ndarray, ab: np.ndarray) -> float:
    return float(((ab - guess) ** 2).mean())  # mean squared error


def check_best_guesses(l1_guess: Callable[[np.ndarray], Any], l2_guess: Callable) -> Check:
    """Do ``l1_guess(ab)`` and ``l2_guess(ab)`` return the one (a, b) with the least L1 / L2 error?

    ``ab`` is ``[N, 2]``: the true colours of one pixel in N photos. Answers are judged by their
    error (any minimiser passes, within 0.1%), on pixels green 7 times in 10, red 7 times in 10
    and a noisy mixture.
    """
    rng = np.random.default_rng(0)
    noisy = np.concatenate([ambiguous_pixel(60, 0), ambiguous_pixel(0, 40)])  # [100, 2]
    noisy = noisy + rng.normal(0, 8, noisy.shape)
    cases = [
        ("green in 7 photos of 10, red in 3", ambiguous_pixel(7, 3)),
        ("green in 3 photos of 10, red in 7", ambiguous_pixel(3, 7)),
        ("a noisy green 60 times and a noisy red 40 times", noisy),
    ]
    pulls = {  # how a small step of the guess changes each sample's error
        "L1": "For L1 every sample pulls the guess with the same force, near or far: where do "
        "the pulls balance?",
        "L2": "For L2 every sample pulls the guess in proportion to its distance: where do the "
        "pulls balance?",
    }
    answers = (  # (loss, the reader's guess, its error, the best guess, L2's / L1's best guess)
        ("L1", l1_guess, _l1, np.median, (np.mean, "the mean")),
        ("L2", l2_guess, _l2, np.mean, (np.median, "the median")),
    )
    for what, ab in cases:
        for loss_name, fn, loss, best_fn, (other_fn, other) in answers:
            try:
                got = np.asarray(fn(ab.copy()), dtype=np.float64)
            except Exception as e:  # the reader's code: report any error as a failure
                return Check(False, f"your {loss_name} guess raised {type(e).__name__}: {e}.")
            if got.shape != (2,):
                return Check(
                    False,
                    f"your {loss_name} guess returned shape {got.shape}; give one (a, b), shape "
                    "(2,): reduce over the samples (axis 0), keep the two channels.",
                )
            best = best_fn(ab, axis=0)
            if loss(got, ab) > loss(best, ab) * 1.001 + 0.05:  # a grid search passes too
                mixed_up = np.allclose(got, other_fn(ab, axis=0))
                return Check(
                    False,
                    f"on a pixel {what}, your {loss_name} guess (a, b) = {np.round(got, 1)} has "
                    f"{loss_name} error {loss(got, ab):.1f}, but {np.round(best, 1)} has "
                    f"{loss(best, ab):.1f}. Hint: "
                    + (f"that is {other}, the best guess for the other loss. " if mixed_up else "")
                    + pulls[loss_name],
                )
    ab = ambiguous_pixel(7, 3)
    green, l1, l2 = ab[0], np.asarray(l1_guess(ab), float), np.asarray(l2_guess(ab), float)
    return Check(
        True,
        f"on a pixel green in 7 photos of 10 and red in 3, the L1 guess is the green itself "
        f"(a, b) = {np.round(l1, 1)}; the L2 guess {np.round(l2, 1)} is a colour in none of the "
        f"photos, {np.hypot(*l2) / np.hypot(*green):.0%} as saturated as the green.",
    )
