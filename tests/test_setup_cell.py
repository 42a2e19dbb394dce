"""The Colab setup cell: identical in every chapter and every book page with code, a no-op
outside Colab, installs the repository named in `_config.yml` on Colab, and nothing in any
notebook upgrades what Colab ships.
"""

from __future__ import annotations

import re
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest
import yaml
from packaging.requirements import Requirement

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ALL_NOTEBOOKS = CHAPTERS + sorted((ROOT / "book").glob("*.ipynb"))  # chapters + book pages

# The setup cell, verbatim (CONTRIBUTING.md); {url} is repository.url from _config.yml.
SETUP_CELL = """\
# Setup: on Colab, install this book's library from its repository. Elsewhere this does nothing.
import sys

REPO_URL = "{url}"  # = repository.url in _config.yml
if "google.colab" in sys.modules:
    import subprocess

    # Colab's own packages stay as they are: pip may only add what is missing (no restart)
    freeze = [sys.executable, "-m", "pip", "freeze"]
    installed = subprocess.run(freeze, capture_output=True, text=True, check=True).stdout
    with open("/tmp/colab-installed.txt", "w") as pins:
        pins.write("\\n".join(p for p in installed.splitlines() if "==" in p and "@" not in p))
    target = f"colorize-lib[export] @ git+{{REPO_URL}}"  # [export]: chapter 6's ONNX export
    pip = [sys.executable, "-m", "pip", "install", "-q", "-c", "/tmp/colab-installed.txt"]
    subprocess.run([*pip, target], check=True)
"""
# What `pip freeze` prints on a runtime, in the test of the cell on "Colab"
FROZEN = "numpy==2.1.3\nprotobuf==5.29.6\ncolorize-lib @ git+https://x/y\n-e /content/z\n"

# Packages Colab already ships and a notebook must never (re)install: a TensorFlow install
# replaces Colab's GPU build, an ipywidgets upgrade breaks every widget in Colab's front end.
PROTECTED = re.compile(r"\b(tensorflow[\w\-\[\]]*|keras|ipywidgets|jupyter|ipykernel)\b", re.I)


def _config_url() -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return config["repository"]["url"]


def _code_cells(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


def _ids(paths: list[Path]) -> list[str]:
    return [p.relative_to(ROOT).as_posix() for p in paths]


# Every notebook with code has the setup cell: each chapter, and each book page that runs code
# (a Colab launch button opens any of them; without the cell, `import colorize_lib` fails there).
WITH_CODE = [p for p in ALL_NOTEBOOKS if _code_cells(p)]


def test_there_are_chapters():
    assert CHAPTERS, "no notebooks found in notebooks/"
    assert set(CHAPTERS) < set(WITH_CODE), "every chapter must have code (and the setup cell)"
    assert ROOT / "book" / "benchmarks.ipynb" in WITH_CODE, "the benchmarks page runs code"


def test_config_url_is_a_github_repository():
    url = _config_url()
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url), url


@pytest.mark.parametrize("path", WITH_CODE, ids=_ids(WITH_CODE))
def test_first_code_cell_is_the_setup_cell(path):
    cells = _code_cells(path)
    assert cells, f"{path.name} has no code cell"
    expected = SETUP_CELL.format(url=_config_url())
    got = "\n".join(line.rstrip() for line in cells[0].strip().splitlines())
    assert got == expected.strip(), (
        f"The first code cell of {path.name} is not the setup cell of CONTRIBUTING.md "
        f"(with repository.url from _config.yml):\n{cells[0]}"
    )


def _run_setup_cell(path: Path, monkeypatch, on_colab: bool) -> tuple[list, dict]:
    """Execute the notebook's first code cell; return the subprocess.run calls and its globals."""
    calls: list = []

    def fake_run(*args, **kwargs):
        calls.append((args, kwargs))
        command = args[0] if args else kwargs.get("args")
        return subprocess.CompletedProcess(command, 0, stdout=FROZEN if "freeze" in command else "")

    def no_popen(*args, **kwargs):
        raise AssertionError(f"the setup cell started a process directly: {args}")

    monkeypatch.setattr(subprocess, "run", fake_run)
    monkeypatch.setattr(subprocess, "Popen", no_popen)
    monkeypatch.setattr(subprocess, "call", no_popen)
    monkeypatch.setattr(subprocess, "check_call", no_popen)
    if on_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    namespace: dict = {"__name__": "__main__"}
    exec(compile(_code_cells(path)[0], f"{path.name}:setup", "exec"), namespace)
    return calls, namespace


@pytest.mark.parametrize("path", WITH_CODE, ids=_ids(WITH_CODE))
def test_setup_cell_does_nothing_outside_colab(path, monkeypatch):
    modules_before = set(sys.modules)
    calls, namespace = _run_setup_cell(path, monkeypatch, on_colab=False)
    assert calls == [], f"the setup cell ran {calls} outside Colab"
    assert "subprocess" not in namespace, "the setup cell imported subprocess outside Colab"
    assert set(sys.modules) - modules_before == set(), "the setup cell imported new modules"


@pytest.mark.parametrize("path", WITH_CODE, ids=_ids(WITH_CODE))
def test_setup_cell_installs_the_configured_repository_on_colab(path, monkeypatch):
    url = _config_url()
    calls, namespace = _run_setup_cell(path, monkeypatch, on_colab=True)
    assert namespace["REPO_URL"] == url
    assert len(calls) == 2, f"expected pip freeze, then one pip install on Colab, got {calls}"
    assert list(calls[0][0][0]) == [sys.executable, "-m", "pip", "freeze"], calls[0]
    (args, kwargs) = calls[1]
    command = list(args[0])
    assert command[:4] == [sys.executable, "-m", "pip", "install"], command
    # every package the runtime has, pinned to its version: pip cannot change one of them
    pins = command[command.index("-c") + 1]
    assert Path(pins).read_text().splitlines() == ["numpy==2.1.3", "protobuf==5.29.6"]
    targets = [a for a in command[4:] if not a.startswith("-") and a != pins]
    want = f"colorize-lib[export] @ git+{url}"
    assert targets == [want], f"installs {targets}, expected only {want}"
    assert kwargs.get("check") is True, "a failed install must stop the notebook (check=True)"


def _install_lines(source: str) -> list[str]:
    """Lines of a cell that install packages (pip, %pip, !pip, conda, subprocess lists)."""
    joined = source.replace("\\\n", " ")
    return [
        line
        for line in joined.splitlines()
        if re.search(r"\b(pip|pip3|conda|mamba|uv)\b.*\binstall\b", line)
        or re.search(r"[\"']install[\"']", line)
    ]


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=_ids(ALL_NOTEBOOKS))
def test_no_notebook_reinstalls_what_colab_ships(path):
    for source in _code_cells(path):
        for line in _install_lines(source):
            assert not PROTECTED.search(line), (
                f"{path.name} installs a package Colab already ships (TensorFlow/Keras/"
                f"ipywidgets/Jupyter): {line.strip()!r}. Colab's own versions must be kept."
            )


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=_ids(ALL_NOTEBOOKS))
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert cell.get("outputs") == [], f"{path.name} cell {i} has outputs: run `make strip`"
        assert cell.get("execution_count") is None, f"{path.name} cell {i} has an execution count"
    assert "widgets" not in nb.metadata, f"{path.name} stores widget state: run `make strip`"


def test_install_line_detector_sees_installs():
    """The detector above must catch the usual spellings, or the test before it proves nothing."""
    for line in [
        "!pip install -q tensorflow==2.15",
        "%pip install ipywidgets>=8",
        'subprocess.run([sys.executable, "-m", "pip", "install", "keras"])',
    ]:
        assert _install_lines(line) and PROTECTED.search(line), line
    assert not _install_lines("import tensorflow as tf")


def test_runtime_requirements_accept_what_colab_ships():
    """`pip install git+URL` on Colab must not upgrade ipywidgets 7.7.1 nor reinstall TensorFlow."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for spec in project["dependencies"]:
        req = Requirement(spec)
        name = req.name.lower().replace("_", "-")
        assert not name.startswith("tensorflow"), f"runtime requirement {spec!r} reinstalls TF"
        assert name not in {"keras", "tf-keras"}, f"runtime requirement {spec!r} reinstalls Keras"
        if name == "ipywidgets":
            assert req.specifier.contains("7.7.1"), (
                f"{spec!r} rejects Colab's ipywidgets 7.7.1: pip would upgrade it and break widgets"
            )
