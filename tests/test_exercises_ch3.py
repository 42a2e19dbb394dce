"""Chapter 3's exercises and its proof that the U-Net written in cells is the library's.

Each checker passes the chapter's solution and fails the chapter's starting answer (and other
typical mistakes) with a hint. The chapter's own `up_block` and `build_unet` cells are run here
too, outside the book build, and compared with `models.build_unet`.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import layers

from colorize_lib import models, shapes
from colorize_lib.pages import exercises

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "notebooks" / "03_unet.ipynb"


# ------------------------------------------------------------------ the chapter's U-Net = library's


def chapter_cells(*starts: str) -> dict:
    """Run the chapter's code cells that begin with `starts` (in order); their namespace."""
    cells = json.loads(CHAPTER.read_text())["cells"]
    namespace = {"models": models, "shapes": shapes, "keras": keras, "layers": layers, "np": np}
    for start in starts:
        found = [
            "".join(c["source"])
            for c in cells
            if c["cell_type"] == "code" and start in "".join(c["source"])
        ]
        assert len(found) == 1, f"expected one code cell of chapter 3 with {start!r}"
        source = found[0]
        # only the definitions: the cell's demo runs on the chapter's batch
        source = source[source.index(start) :].split("\n\n\n")[0]
        exec(compile(source, str(CHAPTER), "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def chapter():
    return chapter_cells("def up_block(", "def build_unet(")


@pytest.mark.parametrize("encoder", ["MobileNetV2-0.35", "ResNet50"])
def test_the_chapters_unet_is_the_librarys(chapter, encoder):
    reference = models.build_unet(32, encoder, weights=None)
    check = exercises.check_same_layers(chapter["build_unet"](32, encoder, weights=None), reference)
    assert check, check.message
    total = reference.count_params()
    assert f"same layers, shapes and {total:,} parameters" in check.message


def test_a_changed_layer_is_named():
    reference = models.build_unet(32, "MobileNetV2-0.35", weights=None)
    wider = models.build_unet(32, "MobileNetV2-0.5", weights=None)
    check = exercises.check_same_layers(wider, reference)
    assert not check
    assert "layer" in check.message and "MobileNetV2-0.5" not in check.message


def test_a_missing_skip_or_a_swapped_concatenation_fails(chapter):
    reference = models.build_unet(32, "MobileNetV2-0.35", weights=None)

    def no_skip_block(x, skip, filters, name):  # exercise 2 of the chapter's list
        x = layers.UpSampling2D(2, name=f"{name}_up")(x)
        for i in (1, 2):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{i}")(x)
            x = layers.BatchNormalization(name=f"{name}_bn{i}")(x)
            x = layers.ReLU(name=f"{name}_relu{i}")(x)
        return x

    def swapped_block(x, skip, filters, name):  # same shapes, other order of channels
        x = layers.UpSampling2D(2, name=f"{name}_up")(x)
        x = layers.Concatenate(name=f"{name}_skip")([skip, x])
        for i in (1, 2):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{i}")(x)
            x = layers.BatchNormalization(name=f"{name}_bn{i}")(x)
            x = layers.ReLU(name=f"{name}_relu{i}")(x)
        return x

    chapters_block = chapter["up_block"]
    for block, says in ((no_skip_block, "dec16_skip"), (swapped_block, "inbound")):
        chapter["up_block"] = block
        try:
            check = exercises.check_same_layers(
                chapter["build_unet"](32, "MobileNetV2-0.35", weights=None), reference
            )
        finally:
            chapter["up_block"] = chapters_block
        assert not check and says in check.message, check.message


def test_the_random_start_batch_norm_momentum_is_compared():
    reference = models.build_unet(32, "MobileNetV2-0.35", weights=None)
    slow = models.build_unet(32, "MobileNetV2-0.35", weights=None)
    slow.get_layer("dec1_bn2").momentum = 0.99
    check = exercises.check_same_layers(slow, reference)
    assert not check and "momentum" in check.message, check.message


# ------------------------------------------------------------------------ counting parameters


def solution_block_params(c_in, c_skip, filters):
    conv1 = 3 * 3 * (c_in + c_skip) * filters
    conv2 = 3 * 3 * filters * filters
    batch_norms = 2 * 4 * filters
    return conv1 + conv2 + batch_norms


def test_block_params_solution_passes_and_explains():
    check = exercises.check_block_params(solution_block_params)
    assert check, check.message
    assert "as Keras counts" in check.message


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (lambda c, s, f: 9 * c * f + 9 * f * f, "c_in + c_skip"),  # the chapter's start
        (lambda c, s, f: 9 * c * f + 9 * f * f + 8 * f, "c_in + c_skip"),
        (lambda c, s, f: 9 * (c + s) * f + 9 * f * f, "4 numbers per channel"),
        (lambda c, s, f: 9 * (c + s) * f + 9 * f * f + 4 * f, "running mean"),
        (lambda c, s, f: solution_block_params(c, s, f) + 2 * f, "no bias"),
        (lambda c, s, f: 1, "9*C*F"),
        (lambda c, s, f: 1 / 0, "raised ZeroDivisionError"),
    ],
)
def test_block_params_mistakes_fail_with_their_hint(answer, hint):
    check = exercises.check_block_params(answer)
    assert not check
    assert hint in check.message, check.message


def test_the_starting_answer_gets_both_hints():
    check = exercises.check_block_params(lambda c, s, f: 9 * c * f + 9 * f * f)
    assert "c_in + c_skip" in check.message and "4 numbers per channel" in check.message


# ----------------------------------------------------------------------- why L1: best guesses


def median(ab):
    return np.median(ab, axis=0)


def mean(ab):
    return ab.mean(axis=0)


def test_best_guesses_solution_passes_with_computed_numbers():
    check = exercises.check_best_guesses(median, mean)
    assert check, check.message
    ab = exercises.ambiguous_pixel(7, 3)
    assert f"{np.hypot(*mean(ab)) / np.hypot(*ab[0]):.0%} as saturated" in check.message


def test_any_minimiser_passes():
    def l1_by_search(ab):  # a brute-force answer (a grid search) is as good as the median
        grid = np.arange(-80.0, 80.0, 0.05)
        return np.array([grid[np.abs(ab[:, k, None] - grid).mean(0).argmin()] for k in (0, 1)])

    assert exercises.check_best_guesses(l1_by_search, mean)


@pytest.mark.parametrize(
    ("l1", "l2", "hint"),
    [
        (mean, mean, "that is the mean"),  # the chapter's starting answer
        (median, median, "that is the median"),
        (lambda ab: np.zeros(2), mean, "L1 error"),  # gray
        (lambda ab: ab.mean(), mean, "shape ()"),
        (median, lambda ab: ab[0] / 0, "L2"),
    ],
)
def test_best_guess_mistakes_fail_with_their_hint(l1, l2, hint):
    with np.errstate(all="ignore"):
        check = exercises.check_best_guesses(l1, l2)
    assert not check
    assert hint in check.message, check.message


def test_the_ambiguous_pixel_is_red_or_green_of_one_lightness():
    from colorize_lib import color

    lab = color.rgb_to_lab_np(np.array([exercises.GREEN_RGB, exercises.RED_RGB], np.uint8))
    assert abs(lab[0, 0] - lab[1, 0]) < 2  # one gray, two colours
    assert lab[0, 1] < -20 < 20 < lab[1, 1]  # green (a < 0) and red (a > 0)
    ab = exercises.ambiguous_pixel(2, 1)
    assert ab.shape == (3, 2) and np.allclose(ab[0], ab[1]) and not np.allclose(ab[0], ab[2])


# ------------------------------------------------------------- the chapter's exercise cells


def run_cell(source: str):
    """Execute a code cell of the chapter; return the value of its last line (what it shows)."""
    import ast

    from colorize_lib import color
    from colorize_lib.pages import viz

    namespace = {"exercises": exercises, "np": np, "color": color, "viz": viz}
    tree = ast.parse(source)
    *body, last = tree.body
    exec(compile(ast.Module(body, type_ignores=[]), str(CHAPTER), "exec"), namespace)
    return eval(compile(ast.Expression(last.value), str(CHAPTER), "eval"), namespace)


@pytest.mark.parametrize("checker", ["check_block_params", "check_best_guesses"])
def test_each_exercise_starts_failing_and_its_solution_passes(checker):
    import matplotlib

    matplotlib.use("Agg")
    cells = json.loads(CHAPTER.read_text())["cells"]
    sources = [
        "".join(c["source"])
        for c in cells
        if c["cell_type"] == "code" and f"exercises.{checker}(" in "".join(c["source"])
    ]
    assert len(sources) == 2, f"chapter 3 should try {checker} twice: as given, then solved"
    as_given, solved = (run_cell(s) for s in sources)
    assert not as_given and str(as_given).startswith("FAIL: ")
    assert solved and str(solved).startswith("PASS: ")


def test_the_solutions_shown_in_the_dropdowns_pass():
    cells = json.loads(CHAPTER.read_text())["cells"]
    shown = [
        "".join(c["source"]).split("```python\n")[1].split("```")[0]
        for c in cells
        if c["cell_type"] == "markdown" and "{admonition} Solution" in "".join(c["source"])
    ]
    assert len(shown) == 2
    checks = {
        "block_params": lambda ns: exercises.check_block_params(ns["block_params"]),
        "l1_guess": lambda ns: exercises.check_best_guesses(ns["l1_guess"], ns["l2_guess"]),
    }
    for code in shown:
        namespace = {"np": np}
        exec(compile(code, str(CHAPTER), "exec"), namespace)
        (name,) = [n for n in checks if n in namespace]
        check = checks[name](namespace)
        assert check, check.message
