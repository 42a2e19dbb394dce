"""Shared test settings: every test runs in the tiny profile with its own cache folder.

Also the session-wide book build (`book_build`, `book`): the suite's only execution of the
notebooks. `test_book.py` checks its HTML pages, `test_notebooks.py` the executed notebooks.
"""

from __future__ import annotations

import dataclasses
import json
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


BOOK_FILES = ("tests/test_book.py", "tests/test_notebooks.py")  # the tests that read the build


def pytest_collection_modifyitems(items):
    """The book's tests first: with several workers its build starts at once, beside the rest."""
    items.sort(key=lambda item: not item.nodeid.startswith(BOOK_FILES))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """With pytest-xdist (``make test``: two workers): every test file goes to one worker as a
    whole (like ``--dist loadfile``), and the two files that read the book build count as one,
    so a single worker builds the book and runs all its tests. (``--dist loadgroup`` would do
    this with markers, but pytest-xdist 3.8 cannot group under pytest 9.2.)"""
    from xdist.scheduler import LoadScopeScheduling

    class BookTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "the book" if path in BOOK_FILES else path

    return BookTogether(config, log)


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

    def as_json(self) -> dict:
        return {
            k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(self).items()
        }

    @classmethod
    def from_json(cls, saved: dict) -> BookBuild:
        paths = {"html", "executed", "cache"}
        return cls(**{k: Path(v) if k in paths else v for k, v in saved.items()})


@pytest.fixture(scope="session")
def book_build(tmp_path_factory) -> BookBuild:
    """Build the whole book once per session (tiny profile, empty cache).

    The notebooks run in the build's order (chapter 3 saves the U-Net that chapters 4 and 5
    load, as in `make book`). Their kernels import this checkout's colorize_lib: the
    repository's root goes first on PYTHONPATH, which kernels inherit.

    With several pytest workers (`make test` runs two), the book's tests share one worker
    (`pytest_xdist_make_scheduler` above), and a lock in the run's shared temporary folder makes
    sure that the book is built once even if another worker asks for it: the first builds, the
    others read what it recorded.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # one process: no one to share with
        return _build_book(tmp_path_factory.mktemp("book"), tmp_path_factory.mktemp("book-cache"))
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp().parent  # the same folder for every worker
    record = shared / "book-build.json"
    with FileLock(str(shared / "book-build.lock")):
        if not record.exists():
            try:
                build = _build_book(shared / "book", shared / "book-cache")
                record.write_text(json.dumps({"ok": True, **build.as_json()}))
            except BaseException as err:  # the build failed: the other workers fail at once
                record.write_text(json.dumps({"ok": False, "why": str(err)[-6000:]}))
                raise
    saved = json.loads(record.read_text())
    if not saved.pop("ok"):
        pytest.fail(f"the book build failed in another worker:\n{saved['why']}", pytrace=False)
    return BookBuild.from_json(saved)


def _build_book(out: Path, cache: Path) -> BookBuild:
    out.mkdir(parents=True, exist_ok=True)
    cache.mkdir(parents=True, exist_ok=True)
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
