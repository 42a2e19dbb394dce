"""Chapter 4's exercises and the code it writes in its cells, read from the notebook itself.

The checkers (``exercises.check_discriminator_loss``, ``exercises.check_receptive_field``) pass
the right answers and fail the usual wrong ones with the hint that fits. The chapter's own cells
are read from ``notebooks/04_gan.ipynb`` (no execution of the notebook: only their ``import``,
``def`` and ``class`` statements and assignments of Keras objects), so these tests
also fail when the notebook's starting answer stops failing, its solution stops passing, or its
discriminator or GAN class drifts from the library's.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from colorize_lib import gan, models, shapes
from colorize_lib.pages import exercises

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "04_gan.ipynb"


def _cells(kind: str) -> list[str]:
    import nbformat

    return [c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == kind]


def _definitions(source: str, namespace: dict) -> dict:
    """Run a cell's imports, ``def``s, ``class``es and assignments of Keras objects (``init``);
    nothing that loads data, trains or sets global state."""
    for node in ast.parse(source).body:
        keep = isinstance(node, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.ClassDef) or (
            isinstance(node, ast.Assign) and ast.unparse(node.value).startswith("keras.")
        )
        if keep:
            exec(compile(ast.Module([node], []), str(NOTEBOOK), "exec"), namespace)
    return namespace


def _namespace() -> dict:
    return {"keras": keras, "layers": layers, "np": np, "tf": tf, "exercises": exercises}


def _chapter() -> dict:
    """Everything the chapter's code cells define, in the order of the chapter."""
    namespace = _namespace()
    for source in _cells("code"):
        _definitions(source, namespace)
    return namespace


def _exercise(checker: str, answer: str) -> tuple[object, object, object]:
    """(starting answer, answer of the solution cell, answer of the collapsed solution)."""
    cells = [s for s in _cells("code") if f"exercises.{checker}(" in s]
    assert len(cells) >= 2, f"the chapter should call exercises.{checker} twice (try, solution)"
    solutions = [
        m.group(1)
        for s in _cells("markdown")
        if "{admonition} Solution" in s and f"def {answer}(" in s
        for m in [re.search(r"```python\n(.*?)```", s, re.DOTALL)]
        if m
    ]
    assert len(solutions) == 1, f"one collapsed solution defining {answer}"
    chapter = _chapter()  # what the cells before use (bce, ...)
    start = _definitions(cells[0], dict(chapter))[answer]
    solved = re.search(rf"exercises\.{checker}\((\w+)\)", cells[-1]).group(1)
    return start, chapter[solved], _definitions(solutions[0], dict(chapter))[answer]


# ----------------------------------------------------------------------------------------------
# Exercise: the discriminator's loss
# ----------------------------------------------------------------------------------------------


def _bce(target, logits):
    return gan._bce(target, logits)


def _smoothed(logits, s):
    return tf.fill(tf.shape(logits), 1.0 - s)


WRONG_D_LOSSES = {
    "halve it": lambda r, f, s: _bce(_smoothed(r, s), r) + _bce(tf.zeros_like(f), f),
    "look swapped": lambda r, f, s: 0.5 * (_bce(tf.zeros_like(r), r) + _bce(_smoothed(f, s), f)),
    "label_smoothing is ignored": lambda r, f, s: (
        0.5 * (_bce(tf.ones_like(r), r) + _bce(tf.zeros_like(f), f))
    ),
    "Both targets moved": lambda r, f, s: (
        0.5
        * (
            keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=s)(tf.ones_like(r), r)
            + keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=s)(
                tf.zeros_like(f), f
            )
        )
    ),
    "went to the generated": lambda r, f, s: (
        0.5 * (_bce(tf.ones_like(r), r) + _bce(tf.fill(tf.shape(f), s), f))
    ),
    "not probabilities": lambda r, f, s: (
        0.5
        * (
            keras.losses.BinaryCrossentropy()(_smoothed(r, s), r)
            + keras.losses.BinaryCrossentropy()(tf.zeros_like(f), f)
        )
    ),
    "one number": lambda r, f, s: tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.ones_like(r), logits=r
    ),
    "raised ZeroDivisionError": lambda r, f, s: 1 / 0,
    "returned None": lambda r, f, s: None,
}


def test_discriminator_loss_passes_the_right_answers():
    assert exercises.check_discriminator_loss(gan.discriminator_loss)

    def with_keras(real_logits, fake_logits, label_smoothing=0.0):
        bce = keras.losses.BinaryCrossentropy(from_logits=True)
        real = bce(tf.ones_like(real_logits) * (1 - label_smoothing), real_logits)
        return 0.5 * (real + bce(tf.zeros_like(fake_logits), fake_logits))

    check = exercises.check_discriminator_loss(with_keras)
    assert check and str(check).startswith("PASS: ")


@pytest.mark.parametrize("hint", WRONG_D_LOSSES)
def test_discriminator_loss_fails_a_wrong_answer_with_its_hint(hint):
    check = exercises.check_discriminator_loss(WRONG_D_LOSSES[hint])
    assert not check and str(check).startswith("FAIL: ")
    assert hint in check.message, check.message


def test_chapter_discriminator_loss_exercise():
    start, solved, collapsed = _exercise("check_discriminator_loss", "my_discriminator_loss")
    check = exercises.check_discriminator_loss(start)
    assert not check and "halve it" in check.message  # the starting answer teaches something
    assert exercises.check_discriminator_loss(solved)
    assert exercises.check_discriminator_loss(collapsed)


# ----------------------------------------------------------------------------------------------
# Exercise: the receptive field
# ----------------------------------------------------------------------------------------------


def _walk(n_down, steps_first=((4, 1), (4, 1)), steps_last=()):
    r = 1
    for k, s in (*steps_first, *[(4, 2)] * n_down, *steps_last):
        r = s * (r - 1) + k
    return r


WRONG_FIELDS = {
    "left out the two 4x4": lambda n: _walk(n, steps_first=()),
    "not one": lambda n: _walk(n, steps_first=((4, 1),)),
    "order matters": lambda n: _walk(n, steps_first=(), steps_last=((4, 1), (4, 1))),
    "simply double": lambda n: 7 * 2**n,
    "is an int": lambda n: float(shapes.receptive_field(n)),
    "raised KeyError": lambda n: {}[n],
    "s (r - 1) + k": lambda n: 70,  # right for n_down=3 only
}


def test_receptive_field_passes_the_right_answers():
    assert exercises.check_receptive_field(shapes.receptive_field)
    assert exercises.check_receptive_field(_walk)
    assert exercises.check_receptive_field(lambda n: np.int64(shapes.receptive_field(n)))


@pytest.mark.parametrize("hint", WRONG_FIELDS)
def test_receptive_field_fails_a_wrong_answer_with_its_hint(hint):
    check = exercises.check_receptive_field(WRONG_FIELDS[hint])
    assert not check and str(check).startswith("FAIL: ")
    assert hint in check.message, check.message


def test_chapter_receptive_field_exercise():
    start, solved, collapsed = _exercise("check_receptive_field", "my_receptive_field")
    check = exercises.check_receptive_field(start)
    assert not check and "left out" in check.message
    assert exercises.check_receptive_field(solved)
    assert exercises.check_receptive_field(collapsed)


# ----------------------------------------------------------------------------------------------
# The chapter's networks are the library's
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "base_filters", "n_down"), [(64, 64, 3), (32, 8, 2)])
def test_chapter_discriminator_is_the_library_s(size, base_filters, n_down):
    ours = _chapter()["build_discriminator"](size, base_filters=base_filters, n_down=n_down)
    library = models.build_discriminator(size, base_filters=base_filters, n_down=n_down)
    assert ours.get_config() == library.get_config()  # every layer's settings and the wiring
    assert ours.count_params() == library.count_params()


def _tiny_generator(size: int = 32) -> keras.Model:
    L = keras.Input((size, size, 1), name="L_norm")  # [B, S, S, 1]
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(L)
    x = layers.BatchNormalization()(x)
    ab = layers.Conv2D(2, 3, padding="same", activation="tanh", name="ab_norm")(x)
    return keras.Model(L, ab)  # [B, S, S, 2]


def _one_step(cls, generator, discriminator, batch, **compile_args):
    model = cls(models.copy_model(generator), models.copy_model(discriminator))
    model.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1), **compile_args)
    logs = {k: float(v) for k, v in model.train_step(batch).items()}
    logs["val_l1"] = float(model.test_step(batch)["l1"])
    return model.generator.get_weights() + model.discriminator.get_weights(), logs


def test_chapter_losses_are_the_library_s_on_an_empty_slice_too():
    """Spread over several devices, one can get an empty slice of the last batch: the library's
    losses give 0 there, and so must the chapter's (tf.reduce_mean would give NaN)."""
    chapter = _chapter()
    empty = tf.zeros((0, 4, 4, 1))
    ours = [
        chapter["discriminator_loss"](empty, empty),
        *chapter["generator_losses"](empty, empty, empty),
    ]
    library = [gan.discriminator_loss(empty, empty), *gan.generator_losses(empty, empty, empty)]
    assert [float(x) for x in ours] == [float(x) for x in library] == [0.0, 0.0, 0.0]


def test_chapter_gan_step_is_the_library_s():
    chapter = _chapter()
    rng = np.random.default_rng(0)
    L = rng.uniform(-1, 1, (4, 32, 32, 1)).astype("float32")  # [B, S, S, 1]
    batch = (tf.constant(L), tf.constant(np.concatenate([0.5 * L, -0.3 * L], axis=-1)))  # as fit
    generator = _tiny_generator()
    disc = models.build_discriminator(32, base_filters=8, n_down=2)
    start = generator.get_weights() + disc.get_weights()

    ours, our_logs = _one_step(chapter["ColorizationGAN"], generator, disc, batch)
    library, library_logs = _one_step(gan.ColorizationGAN, generator, disc, batch)
    assert max(np.abs(a - s).max() for a, s in zip(ours, start, strict=True)) > 1e-3  # it moved
    assert max(np.abs(a - b).max() for a, b in zip(ours, library, strict=True)) < 1e-6
    assert our_logs == pytest.approx(library_logs, abs=1e-6)

    # the control: a GAN that differs in anything that matters lands elsewhere
    other, _ = _one_step(gan.ColorizationGAN, generator, disc, batch, label_smoothing=0.1)
    assert max(np.abs(a - b).max() for a, b in zip(ours, other, strict=True)) > 1e-4
