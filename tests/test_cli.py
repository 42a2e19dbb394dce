"""The command line: train on a folder of PNGs, colorize a folder with a corrupt file in it."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "colorize_lib", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_help_explains_every_option(tmp_path):
    train_help = _run("train", "--help", cwd=tmp_path)
    assert train_help.returncode == 0
    for option in [
        "--data",
        "--size",
        "--epochs",
        "--out",
        "--batch-size",
        "--encoder",
        "--val-fraction",
        "--n",
        "--freeze-epochs",
        "--no-resume",
        "--seed",
    ]:
        assert option in train_help.stdout, option
    colorize_help = _run("colorize", "--help", cwd=tmp_path)
    assert colorize_help.returncode == 0
    assert "--model" in colorize_help.stdout and "--out" in colorize_help.stdout


def test_missing_data_gives_a_clear_error_not_a_traceback(tmp_path):
    (tmp_path / "empty").mkdir()
    for data in ["no_such_folder", "empty"]:
        r = _run("train", "--data", data, "--epochs", "1", cwd=tmp_path)
        assert r.returncode == 2, r.stdout + r.stderr
        assert r.stdout.startswith("error:") and "Traceback" not in r.stderr
    r = _run("colorize", "x.png", "--model", "missing.keras", cwd=tmp_path)
    assert r.returncode == 2 and "Train one first" in r.stdout


@pytest.mark.slow
def test_train_then_colorize_a_folder_with_a_corrupt_file(tmp_path):
    from colorize_lib import synth

    photos = tmp_path / "photos"
    (photos / "sub").mkdir(parents=True)
    for i, img in enumerate(synth.generate(20, 48, seed=3, progress=False)):
        Image.fromarray(img).save(photos / ("sub" if i % 2 else ".") / f"p{i:02d}.png")
    (photos / "broken.png").write_bytes(b"this is not a picture")

    r = _run(
        "train", "--data", "photos", "--size", "32", "--epochs", "1", "--batch-size", "8",
        "--encoder", "MobileNetV2-0.35", "--weights", "none", "--out", "unet.keras",
        cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]
    assert "broken.png" in r.stdout + r.stderr  # the skipped file is reported
    assert (tmp_path / "unet.keras").is_file()
    assert (tmp_path / "unet.run" / "state.json").is_file()

    big = tmp_path / "album"
    big.mkdir()
    Image.fromarray(np.full((150, 200, 3), 120, np.uint8)).save(big / "wide.jpg")
    r = _run("colorize", "photos", "album", "--model", "unet.keras", "--out", "out", cwd=tmp_path)
    assert r.returncode == 1  # one input failed ...
    assert "broken.png" in r.stdout and "colorized 21 of 22" in r.stdout
    written = sorted(
        p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.png")
    )
    assert (
        len(written) == 21 and "sub/p01.png" in written and "wide.png" in written
    )  # ... all others done
    assert Image.open(tmp_path / "out" / "wide.png").size == (200, 150)  # full resolution
