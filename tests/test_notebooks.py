"""Every notebook runs top to bottom in the tiny profile, in a fresh kernel, without an error.

The list comes from a glob, so a new chapter is tested as soon as it lands in notebooks/.
Each notebook runs with its own folder as the working directory (as in the book build and in
Jupyter) and its own empty COLORIZE_CACHE (nothing trained by another test is reused).
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "book").glob("*.ipynb"))
CELL_TIMEOUT_S = 900  # per cell; the tiny profile needs seconds


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.relative_to(ROOT).as_posix() for p in NOTEBOOKS])
def test_notebook_runs_in_tiny_profile(path, tmp_path, monkeypatch):
    # The kernel is a child process: it inherits this environment.
    monkeypatch.setenv("COLORIZE_PROFILE", "tiny")
    monkeypatch.setenv("COLORIZE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as err:
        pytest.fail(f"{path.name} failed in the tiny profile:\n{err}", pytrace=False)
    seconds = time.perf_counter() - start
    print(f"\n{path.relative_to(ROOT)}: {seconds:.1f} s in the tiny profile")

    # It ran in the profile we asked for: the profile cell prints it.
    printed = "".join(
        out.get("text", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream"
    )
    if path.parent.name == "notebooks":
        assert "profile 'tiny'" in printed, (
            f"{path.name} did not print its profile; its second cell should be "
            "`P = profiles.get_profile(); print(P.describe())`"
        )
