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
# Chapter 3
# ----------------------------------------------------------------------------------------------


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

    from . import models

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


# Chapter 4
# ----------------------------------------------------------------------------------------------


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

    from . import gan

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

    Compared with ``models.receptive_field`` for ``n_down`` = 1..4 (16, 34, 70, 142 pixels).
    """
    from . import models

    for n_down in (3, 1, 2, 4):
        want = models.receptive_field(n_down)
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
    widths = ", ".join(str(models.receptive_field(n)) for n in (1, 2, 3, 4))
    return Check(True, f"{widths} pixels for n_down = 1, 2, 3, 4, as models.receptive_field.")
