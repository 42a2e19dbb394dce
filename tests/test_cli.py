"""The command line: train on a folder of PNGs, colorize a folder with a corrupt file in it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


TF_NOTES = ("oneDNN", "cpu_feature_guard", "absl::", "UserWarning", "I0000 ", "rebuild TensorFlow")


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the command line's own default
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


def test_the_colorize_console_script_runs(tmp_path):
    """``pyproject.toml``'s ``colorize`` script: the function it names exists and runs."""
    from importlib.metadata import entry_points

    (script,) = entry_points(group="console_scripts", name="colorize")
    assert script.value == "colorize_lib.cli:main"
    with pytest.raises(SystemExit) as done:
        script.load()(["--help"])
    assert done.value.code == 0
    installed = Path(sys.executable).with_name("colorize")
    if installed.exists():  # the virtual environment's script, as a user runs it
        r = subprocess.run([str(installed), "generate", "--help"], capture_output=True, text=True)
        assert r.returncode == 0 and "--out" in r.stdout, r.stderr


ANSWER_BEFORE_TENSORFLOW = """
import sys
from colorize_lib.cli import main
code = main(sys.argv[1:])
print("exit", code, "tensorflow loaded:", "tensorflow" in sys.modules)
"""


@pytest.mark.parametrize(
    "args",
    [
        ["train", "--data", "no_such_folder"],
        ["train", "--data", "offline", "--learning-rate", "-0.001"],
        ["train", "--data", "offline", "--size", "50"],
        ["train-gan", "--init", "missing.keras", "--data", "offline"],
        ["train-gan", "--init", "bogus.keras", "--data", "offline"],
        ["train-gan", "--init", "bogus.keras", "--data", "offline", "--lr", "0"],
        ["colorize", "x.png", "--model", "missing.keras"],
        ["colorize", "x.png", "--model", "bogus.keras"],
        ["export", "--model", "missing.keras", "--out", "web"],
        ["generate", "--out", "pics", "--start", "-5"],
    ],
)
def test_argument_and_path_errors_come_before_tensorflow_loads(tmp_path, args):
    (tmp_path / "bogus.keras").write_text("not a model")
    r = subprocess.run(
        [sys.executable, "-c", ANSWER_BEFORE_TENSORFLOW, *args],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = r.stdout.splitlines()
    assert lines[-1] == "exit 2 tensorflow loaded: False", r.stdout + r.stderr
    assert len(lines) == 2 and lines[0].startswith("error: "), r.stdout
    assert r.stderr == ""


def test_only_tensorflow_s_start_up_notes_are_held_back():
    from colorize_lib.cli.common import START_UP_NOTE

    notes = [
        "I0000 00:00:1796616383.481844    8750 port.cc:153] oneDNN custom operations are on. You",
        "W0000 00:00:17966 cpu_feature_guard.cc:210] This TensorFlow binary is optimized to use",
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
        "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow "
        "with the appropriate compiler flags.",
        "2026-01-30 22:44:42.456316: I tensorflow/core/util/port.cc:153] oneDNN custom operations "
        "are on.",
        "E0000 00:00:17966 cuda_dnn.cc:8310] Unable to register cuDNN factory: Attempting to",
    ]
    kept = [
        "F0000 00:00:17966 cpu_feature_guard.cc:95] The TensorFlow library was compiled to use AVX",
        "E0000 00:00:17966 gpu_device.cc:2344] Cannot dlopen some GPU libraries.",
        "ImportError: libcudart.so.12: cannot open shared object file",
    ]
    assert all(START_UP_NOTE.search(line) for line in notes)
    assert not any(START_UP_NOTE.search(line) for line in kept)


def test_missing_data_gives_a_clear_error_not_a_traceback(tmp_path):
    (tmp_path / "empty").mkdir()
    for data in ["no_such_folder", "empty"]:
        r = _run("train", "--data", data, "--epochs", "1", cwd=tmp_path)
        assert r.returncode == 2, r.stdout + r.stderr
        assert r.stdout.startswith("error:") and "Traceback" not in r.stderr
    (tmp_path / "a_file").write_text("a file, not a folder")  # an output folder we cannot write
    r = _run("train", "--data", "offline", "--out", "a_file/unet.keras", cwd=tmp_path)
    assert r.returncode == 2 and "cannot write to a_file" in r.stdout, r.stdout + r.stderr[-2000:]
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "x.png")
    r = _run("colorize", "x.png", "--model", "missing.keras", "--out", "out", cwd=tmp_path)
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
    assert "1 files skipped:\n  broken.png: " in r.stdout  # reported once, as plain lines
    assert not [note for note in TF_NOTES if note in r.stdout + r.stderr], r.stderr[-3000:]
    assert (tmp_path / "unet.keras").is_file()
    assert (tmp_path / "unet.run" / "state.json").is_file()
    card = json.loads((tmp_path / "unet.card.json").read_text())  # what it learned, beside it
    assert card["learned_from"] == "pictures in the folder photos" and card["pictures"] == 18
    assert card["size"] == 32 and card["epochs"] == 1 and card["imagenet_weights"] is False
    assert card["held_out_pictures"] == 2 and card["gray_colourfulness_gap"] > 0
    shown = _run("colorize", "--model", "unet.keras", "--card", cwd=tmp_path)
    assert shown.returncode == 0 and "learned from: pictures in the folder photos" in shown.stdout

    big = tmp_path / "album"
    big.mkdir()
    Image.fromarray(np.full((150, 200, 3), 120, np.uint8)).save(big / "wide.jpg")
    r = _run("colorize", "photos", "album", "--model", "unet.keras", "--out", "out", cwd=tmp_path)
    assert not [note for note in TF_NOTES if note in r.stdout + r.stderr], r.stderr[-3000:]
    assert r.returncode == 1  # one input failed ...
    assert "broken.png" in r.stdout and "colorized 21 of 22" in r.stdout
    written = sorted(
        p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.png")
    )
    assert (
        len(written) == 21 and "sub/p01.png" in written and "wide.png" in written
    )  # ... all others done
    assert Image.open(tmp_path / "out" / "wide.png").size == (200, 150)  # full resolution


def _small_colorizer(path: Path, size: int = 32) -> Path:
    """A tiny model with the colorizer's interface, saved as .keras (no training needed)."""
    import keras

    L = keras.Input((size, size, 1))
    ab = keras.layers.Conv2D(2, 3, padding="same", activation="tanh")(L)
    keras.Model(L, ab).save(path)
    return path


def test_colorize_never_loses_a_file(tmp_path):
    for folder, value in (("A", 60), ("B", 200)):
        (tmp_path / folder).mkdir()
        Image.fromarray(np.full((20, 30, 3), value, np.uint8)).save(tmp_path / folder / "pic.png")
    original = (tmp_path / "A" / "pic.png").read_bytes()
    model = _small_colorizer(tmp_path / "m.keras")

    r = _run("colorize", "A", "--model", str(model), "--out", "A", cwd=tmp_path)
    assert r.returncode == 2 and "inside the input folder" in r.stdout, r.stdout + r.stderr
    assert (tmp_path / "A" / "pic.png").read_bytes() == original  # the photo is untouched

    r = _run("colorize", "A", "B", "--model", str(model), "--out", "out", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "colorized 2 of 2 pictures" in r.stdout and "out/pic_2.png" in r.stdout
    a, b = (np.asarray(Image.open(tmp_path / "out" / n)) for n in ("pic.png", "pic_2.png"))
    assert a.mean() < 100 < b.mean()  # each input has its own output (A is dark, B is light)

    r = _run("colorize", "A", "--model", str(model), "--out", "out", cwd=tmp_path)
    assert r.returncode == 2 and "already exist" in r.stdout and "--overwrite" in r.stdout
    r = _run("colorize", "A", "--model", str(model), "--out", "out", "--overwrite", cwd=tmp_path)
    assert r.returncode == 0 and "(1 existing files replaced)" in r.stdout, r.stdout

    (tmp_path / "cut.keras").write_bytes(model.read_bytes()[:500])  # a truncated download
    r = _run("colorize", "A", "--model", "cut.keras", "--out", "o2", cwd=tmp_path)
    assert r.returncode == 2 and "cut.keras is not a Keras model file" in r.stdout, r.stdout
    assert "Traceback" not in r.stderr and not (tmp_path / "o2").exists()
