"""Chapter 5's exercises: the starting answers in the chapter FAIL with a hint, the solutions
(the collapsed one and the cell that runs it) PASS, and each usual slip gets its own hint."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from colorize_lib import metrics
from colorize_lib.pages import exercises

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "notebooks" / "05_evaluation.ipynb"
CHECKERS = ["check_colorfulness", "check_psnr"]


def _run(source: str, namespace: dict):
    """Execute a cell like a kernel: the value of its last line if it is an expression."""
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<cell>", "exec"), namespace)
    if last is not None:
        return eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
    return None


def _exercise(checker: str) -> tuple[str, str, str]:
    """(the starting cell, the collapsed solution's code, the cell that runs the solution)."""
    cells = nbformat.read(CHAPTER, as_version=4).cells
    calls = [i for i, c in enumerate(cells) if c.cell_type == "code" and f"{checker}(" in c.source]
    assert len(calls) == 2, f"expected 2 cells calling exercises.{checker}, found {len(calls)}"
    start, check = calls
    between = [c.source for c in cells[start + 1 : check] if c.cell_type == "markdown"]
    solutions = [s for s in between if ":::{admonition} Solution" in s and ":class: dropdown" in s]
    assert len(solutions) == 1, f"no collapsed solution between the two {checker} cells"
    code = re.search(r"```python\n(.*?)```", solutions[0], re.S)
    assert code, "the solution has no ```python block"
    return cells[start].source, code.group(1), cells[check].source


def _namespace() -> dict:
    return {"np": np, "exercises": exercises, "metrics": metrics}


@pytest.mark.parametrize("checker", CHECKERS)
def test_the_starting_answer_fails_with_a_hint(checker):
    start, _, _ = _exercise(checker)
    result = _run(start, _namespace())
    assert isinstance(result, exercises.Check), f"the cell's last line must call {checker}"
    assert not result and str(result).startswith("FAIL: ")
    assert len(str(result)) > 80, f"a failure must say what to fix: {result}"
    assert max(map(len, str(result).splitlines())) <= 80, "the hint wraps inside the column"


@pytest.mark.parametrize("checker", CHECKERS)
def test_the_solutions_pass(checker):
    _, solution, check = _exercise(checker)
    namespace = _namespace()
    exec(solution, namespace)
    function = next(v for k, v in namespace.items() if k.startswith("my_"))
    assert getattr(exercises, checker)(function), "the collapsed solution does not pass"
    assert check.startswith(solution.rstrip()), "the checked cell must run the collapsed solution"
    result = _run(check, _namespace())
    assert result and str(result).startswith("PASS: ")


def test_the_library_passes_its_own_checkers():
    assert exercises.check_colorfulness(metrics.colorfulness)
    assert exercises.check_psnr(metrics.psnr)


def _hasler(rgb, halve=0.5, scale=1.0, spread=None, weight=0.3, wrap=False):
    """Hasler & Suesstrunk with one slip switched on."""
    x = rgb if wrap else rgb.astype(np.float64) / scale
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    rg, yb = r - g, halve * (r + g) - b
    sigma = spread(rg, yb) if spread else np.sqrt(rg.std() ** 2 + yb.std() ** 2)
    return sigma + weight * np.sqrt(rg.mean() ** 2 + yb.mean() ** 2)


@pytest.mark.parametrize(
    "slip, hint",
    [
        (lambda x: _hasler(x, weight=0.0), "The mean term is missing"),
        (lambda x: _hasler(x, spread=lambda rg, yb: 0.0), "The spread term is missing"),
        (lambda x: _hasler(x, weight=1.0), "the weight 0.3"),
        (lambda x: _hasler(x, spread=lambda rg, yb: rg.std() + yb.std()), "not std(rg) + std(yb)"),
        (lambda x: _hasler(x, halve=1.0), "the half is missing"),
        (lambda x: _hasler(x, wrap=True), "uint8 arithmetic wraps around"),
        (lambda x: _hasler(x, scale=255.0), "do not divide by 255"),
    ],
)
def test_each_colorfulness_slip_gets_its_hint(slip, hint):
    result = exercises.check_colorfulness(slip)
    assert not result and hint in result.message, str(result)


def _psnr(pred, truth, scale=255.0, factor=10.0, power=2, log=np.log10, wrap=False):
    err = (pred - truth) / scale if wrap else pred / scale - truth / scale
    return factor * log(1 / np.mean(np.abs(err) ** power))


@pytest.mark.parametrize(
    "slip, hint",
    [
        (lambda p, t: _psnr(p, t, wrap=True), "uint8 arithmetic wraps around"),
        (lambda p, t: _psnr(p, t, scale=1.0), "Scale to 0..1 first"),
        (lambda p, t: _psnr(p, t, factor=20.0), "the factor is 10, not 20"),
        (lambda p, t: _psnr(p, t, power=1), "Square the errors"),
        (lambda p, t: _psnr(p, t, log=np.log), "base 10"),
        (lambda p, t: -_psnr(p, t), "not 10 log10(MSE)"),
    ],
)
def test_each_psnr_slip_gets_its_hint(slip, hint):
    result = exercises.check_psnr(slip)
    assert not result and hint in result.message, str(result)


@pytest.mark.parametrize("checker", CHECKERS)
def test_answers_that_are_not_one_number_fail_clearly(checker):
    check = getattr(exercises, checker)
    assert "raised ZeroDivisionError" in str(check(lambda *pictures: 1 / 0))
    assert "return one number per picture" in str(check(lambda *pictures: pictures[0]))
    assert not check(lambda *pictures: float("nan"))
    assert "gives" in str(check(lambda *pictures: 7.0))  # a wrong number: what was expected
