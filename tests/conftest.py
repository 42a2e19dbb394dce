"""Shared test settings: every test runs in the tiny profile with its own cache folder.

Also the session-wide book build (`book_build`, `book`): the suite's only execution of the
notebooks. `test_book.py` checks its HTML pages, `test_notebooks.py` the executed notebooks.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["COLORIZE_PROFILE"] = "tiny"
os.environ.pop("COLORIZE_DATA", None)  # the tests make their own pictures (a test sets it)

ROOT = Path(__file__).resolve().parents[1]
BUILD_TIMEOUT_S = 1800
# Folder myst-nb writes the executed notebooks to: <path-output>/_build/jupyter_execute/<page>.ipynb
# (myst_nb.sphinx_ext.OUTPUT_FOLDER, next to the builder's html/ folder).
EXECUTED_FOLDER = "jupyter_execute"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Models and downloads of a test go to a fresh folder, never to ~/.cache."""
    monkeypatch.setenv("COLORIZE_CACHE", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("COLORIZE_PROFILE", "tiny")
    monkeypatch.delenv("COLORIZE_DATA", raising=False)


@dataclasses.dataclass(frozen=True)
class BookBuild:
    """One `jupyter-book build` of the repository (tiny profile, every notebook executed)."""

    html: Path  # the HTML pages: <out>/_build/html
    executed: Path  # the notebooks as executed: <out>/_build/jupyter_execute/<page>.ipynb
    log: str  # stdout + stderr of the build (also in <out>/build.log)
    seconds: float
    cache: Path  # the build's model cache (COLORIZE_CACHE): chapters 3 and 4's .keras files

    def notebook(self, page: str) -> Path:
        """The executed copy of a page of _toc.yml, e.g. "notebooks/01_grayscale"."""
        return self.executed / f"{page}.ipynb"


@pytest.fixture(scope="session")
def book_build(tmp_path_factory) -> BookBuild:
    """Build the whole book once per session (tiny profile, empty cache).

    The notebooks run in the build's order (chapter 3 saves the U-Net that chapters 4 and 5
    load, as in `make book`). Their kernels import this checkout's colorize_lib: the
    repository's root goes first on PYTHONPATH, which kernels inherit.
    """
    out = tmp_path_factory.mktemp("book")
    cache = tmp_path_factory.mktemp("book-cache")
    pythonpath = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {
        **os.environ,
        "COLORIZE_PROFILE": "tiny",
        "COLORIZE_CACHE": str(cache),
        "TF_CPP_MIN_LOG_LEVEL": "3",  # as `make book`
        "PYTHONPATH": os.pathsep.join(dict.fromkeys(pythonpath)),
    }
    env.pop("COLAB_RELEASE_TAG", None)  # never take the Colab branch of a setup cell
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book), "build", str(ROOT), "--path-output", str(out)]
    start = time.perf_counter()
    proc = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False
    )
    seconds = time.perf_counter() - start
    log = proc.stdout + proc.stderr
    (out / "build.log").write_text(log, encoding="utf-8")
    timings = ", ".join(  # myst-nb logs "<path>.ipynb: Executed notebook in 38.05 seconds"
        f"{Path(path).stem} {float(s):.0f} s"
        for path, s in re.findall(r"(\S+\.ipynb): Executed notebook in ([\d.]+) seconds", log)
    )
    print(f"\njupyter-book build (tiny profile): {seconds:.0f} s ({timings or 'no timings'})")
    if proc.returncode != 0:
        pytest.fail(f"the book build failed ({proc.returncode}):\n{log[-6000:]}", pytrace=False)
    # raise_on_error makes a failing cell stop the build; check that no failure slipped through.
    for marker in ("Execution Failed", "CellExecutionError", "ExecutionError"):
        assert marker not in log, f"the build reported {marker!r}:\n{log[-6000:]}"
    html = out / "_build" / "html"
    assert (html / "index.html").exists(), log[-3000:]
    executed = out / "_build" / EXECUTED_FOLDER
    assert executed.is_dir(), f"no executed notebooks in {executed}:\n{log[-3000:]}"
    return BookBuild(html=html, executed=executed, log=log, seconds=seconds, cache=cache)


@pytest.fixture(scope="session")
def book(book_build) -> Path:
    """The folder of the built HTML pages."""
    return book_build.html
