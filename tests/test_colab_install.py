"""What the chapters install on Colab resolves against Colab's own packages without changing one.

`tests/colab/constraints-gpu.txt` lists the package versions of Colab's GPU runtime (Python
3.13, tensorflow 2.20.0, keras 3.13.2, protobuf 5.29.6, numpy 2.1.3, ipywidgets 7.7.1, ...; from
Colab's published list, refreshed when Colab changes). Each chapter's setup cell installs
`colorize-lib[export]` with every installed package pinned to its version
(tests/test_setup_cell.py); here pip resolves the same requirements against that list, for
Python 3.13 wheels, as Colab's pip would: a requirement that only a newer protobuf, numpy or
TensorFlow satisfies (onnx 1.23 needs protobuf >= 6.31) makes the resolution fail, and so this
test. It asks the package index (PyPI answers the machines that run `make test`).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = ROOT / "tests" / "colab" / "constraints-gpu.txt"
EXTRA = "export"  # the setup cell installs colorize-lib[export]


def _name(spec: str) -> str:
    return re.sub(r"[-_.]+", "-", Requirement(spec).name).lower()


def _colab_versions() -> dict[str, str]:
    pins = {}
    for line in CONSTRAINTS.read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            pins[_name(name)] = version.strip()
    return pins


def _requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project["dependencies"] + project["optional-dependencies"][EXTRA]


def _resolve(tmp_path: Path, requirements: list[str]) -> subprocess.CompletedProcess:
    """pip's resolution of ``requirements`` for Colab's Python 3.13 with Colab's packages as
    constraints (a dry run: nothing is installed); the report goes to tmp_path/report.json."""
    command = [
        sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
        "--disable-pip-version-check", "--report", str(tmp_path / "report.json"),
        "--target", str(tmp_path / "t"), "--python-version", "3.13", "--implementation", "cp",
        "--only-binary=:all:", "--platform", "manylinux_2_28_x86_64",
        "--platform", "manylinux_2_17_x86_64", "--platform", "manylinux2014_x86_64",
        "-c", str(CONSTRAINTS), *requirements,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if done.returncode and re.search(r"connection|Could not fetch|NewConnectionError", done.stderr):
        pytest.skip(f"the package index cannot be reached: {done.stderr.strip()[-200:]}")
    return done


def test_the_colab_install_keeps_every_package_colab_ships(tmp_path):
    colab = _colab_versions()
    assert colab["protobuf"].startswith("5.") and colab["tensorflow"] == "2.20.0"
    done = _resolve(tmp_path, _requirements())
    assert done.returncode == 0, (
        "the chapters' install cannot be resolved against Colab's packages without changing "
        f"one of them:\n{done.stderr[-3000:]}"
    )
    installed = {
        _name(item["metadata"]["name"]): item["metadata"]["version"]
        for item in json.loads((tmp_path / "report.json").read_text())["install"]
    }
    added = sorted(set(installed) - set(colab))
    print(f"\nadded on Colab: {', '.join(f'{k} {installed[k]}' for k in added)}")
    export_needs = {_name(s) for s in tomllib.loads((ROOT / "pyproject.toml").read_text())[
        "project"]["optional-dependencies"][EXTRA]}  # fmt: skip
    assert export_needs <= set(installed), (
        f"export's packages missing: {export_needs - set(installed)}"
    )


def test_a_requirement_that_would_change_colab_s_protobuf_fails_the_resolution(tmp_path):
    """The check has teeth: onnx 1.23 needs protobuf >= 6.31, which Colab's 5.29 is not."""
    done = _resolve(tmp_path, [*_requirements(), "onnx>=1.23"])
    assert done.returncode != 0 and "protobuf" in done.stderr.lower() + done.stdout.lower()
