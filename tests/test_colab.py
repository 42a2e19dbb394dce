"""What a reader who opens a page on Colab gets: a GPU runtime for every chapter, and a
benchmarks page that says where its figures are instead of failing.

Colab reads the notebook-level metadata of a notebook it opens: ``"accelerator": "GPU"`` with
``"colab": {"gpuType": "T4"}`` starts it on a T4 GPU runtime, with no *Runtime > Change runtime
type* needed (the ``gpu`` profile, chosen from the hardware).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("*.ipynb"))
BENCHMARKS_PAGE = ROOT / "book" / "benchmarks.ipynb"


def _colab_problems(metadata: dict) -> list[str]:
    """What is missing from a notebook's metadata for Colab to open it on a GPU runtime."""
    problems = []
    if metadata.get("accelerator") != "GPU":
        problems.append(f'"accelerator" is {metadata.get("accelerator")!r}, not "GPU"')
    colab = metadata.get("colab")
    if not isinstance(colab, dict):
        return [*problems, 'no "colab" object']
    if colab.get("gpuType") != "T4":
        problems.append(
            f'"colab.gpuType" is {colab.get("gpuType")!r}, not "T4" (Colab\'s free GPU)'
        )
    if not isinstance(colab.get("provenance"), list):
        problems.append('"colab.provenance" is not a list')
    return problems


def test_there_are_chapters():
    assert CHAPTERS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.name for p in CHAPTERS])
def test_every_chapter_opens_on_a_gpu_runtime(path):
    metadata = nbformat.read(path, as_version=4).metadata
    problems = _colab_problems(metadata)
    assert not problems, (
        f"{path.name}: Colab would not start it on a GPU ({'; '.join(problems)}). Its notebook "
        'metadata needs "accelerator": "GPU" and "colab": {"gpuType": "T4", "provenance": []}.'
    )


def test_the_metadata_check_can_fail():
    assert _colab_problems({}) == ['"accelerator" is None, not "GPU"', 'no "colab" object']
    assert _colab_problems({"accelerator": "GPU", "colab": {"provenance": []}})
    good = {"accelerator": "GPU", "colab": {"gpuType": "T4", "provenance": []}}
    assert _colab_problems(good) == []


# ---------------------------------------------------------------- the benchmarks page on Colab


def _run_page(path: Path, cwd: Path, monkeypatch) -> tuple[str, list]:
    """Execute a page's code cells in ``cwd`` (not on Colab); return its stdout and what it
    displayed."""
    import IPython.display

    shown: list = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: shown.extend(objs))
    monkeypatch.chdir(cwd)
    namespace: dict = {"__name__": "__main__"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                exec(compile(cell.source, f"{path.name}:{cell.id}", "exec"), namespace)
    return out.getvalue(), shown


def test_benchmarks_page_in_a_clone_shows_the_results(monkeypatch):
    printed, shown = _run_page(BENCHMARKS_PAGE, ROOT / "book", monkeypatch)
    html = [obj.data for obj in shown if hasattr(obj, "data")]
    assert printed == "" and html, f"printed {printed!r}, displayed {shown}"
    assert "<table" in html[0]


def test_benchmarks_page_without_a_clone_says_where_the_figures_are(tmp_path, monkeypatch):
    """As on Colab: the library is installed, but no benchmarks/results folder is anywhere."""
    from colorize_lib.pages import report

    monkeypatch.setattr(report, "find_results_dir", lambda start=None: None)
    assert not os.path.exists(tmp_path / "benchmarks")
    printed, shown = _run_page(BENCHMARKS_PAGE, tmp_path, monkeypatch)  # raises nothing
    url = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["repository"]["url"]
    lines = printed.splitlines()
    assert len(lines) == 1, f"expected one line, printed:\n{printed}"
    assert re.search(r"benchmarks/results.*published book.*" + re.escape(url), lines[0]), lines[0]
    assert shown == [], "nothing else is shown (no empty table)"
