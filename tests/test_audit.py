"""The command line under a hostile audit (issue 22's cases): a file the tool did not write is
never replaced, values that make no sense are refused in one line, one odd file or damaged cache
entry does not stop the work, archives are capped as a whole, run folders fail in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorize_lib import data
from colorize_lib.cli import jobs
from colorize_lib.data import archives, sources

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "colorize_lib", *args],
        cwd=cwd,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _fake_model(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:  # passes the cheap checks; never loaded below
        z.writestr("config.json", "{}")
    return path


def _photo(path: Path, value: int = 90) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((24, 32, 3), value, np.uint8)).save(path)
    return path


# ----------------------------------------------------------------------------------------------
# Never replace a file the tool did not write
# ----------------------------------------------------------------------------------------------


def test_overwrite_never_replaces_another_photo_at_an_output_s_place(tmp_path):
    """The audit: `colorize e/photo.jpg --out e --overwrite` replaced e/photo.png, an original."""
    _photo(tmp_path / "e" / "photo.jpg")
    other = _photo(tmp_path / "e" / "photo.png", 200)  # another original photo
    before = other.read_bytes()
    _fake_model(tmp_path / "m.keras")
    for extra in ([], ["--overwrite"]):
        r = _cli(
            "colorize", "e/photo.jpg", "--model", "m.keras", "--out", "e", *extra, cwd=tmp_path
        )
        assert r.returncode == 2, r.stdout + r.stderr
        assert r.stdout.startswith("error: e/photo.png is already there and was not written by")
        assert other.read_bytes() == before and "Traceback" not in r.stderr


def test_generate_replaces_its_own_pictures_only(tmp_path):
    r = _cli("generate", "--out", "g", "--n", "2", "--size", "16", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    again = _cli("generate", "--out", "g", "--n", "2", "--size", "16", cwd=tmp_path)
    assert again.returncode == 0  # its own outputs: replaced
    mine = _photo(tmp_path / "g" / "landscape_s0_1.png", 7)
    before = mine.read_bytes()
    r = _cli("generate", "--out", "g", "--n", "2", "--size", "16", cwd=tmp_path)
    assert r.returncode == 2 and "was not written by generate" in r.stdout, r.stdout
    assert mine.read_bytes() == before


def test_export_writes_inside_out_only(tmp_path):
    _fake_model(tmp_path / "m.keras")
    for name in ("../../x", "a/b", "..", ".hidden"):
        r = _cli("export", "--model", "m.keras", "--out", "web", "--name", name, cwd=tmp_path)
        assert r.returncode == 2 and "plain file name" in r.stdout, (name, r.stdout, r.stderr)
    assert not (tmp_path.parent / "x.onnx").exists() and not (tmp_path / "web").exists()


# ----------------------------------------------------------------------------------------------
# Values that make no sense, and runs that went wrong
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["train", "--data", "offline", "--learning-rate", "0"],
        ["train", "--data", "offline", "--learning-rate", "nan"],
        ["train", "--data", "offline", "--seed", "-1"],
        ["train", "--data", "offline", "--freeze-epochs", "-1"],
        ["train", "--data", "offline", "--val-fraction", "1.5"],
        ["train", "--data", "offline", "--epochs", "0"],
        ["generate", "--out", "g", "--seed", "-3"],
        ["generate", "--out", "g", "--size", "5"],
    ],
)
def test_values_that_make_no_sense_are_one_line(tmp_path, args):
    r = _cli(*args, cwd=tmp_path)
    assert r.returncode == 2 and r.stdout.startswith("error: "), r.stdout + r.stderr
    assert len(r.stdout.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_a_run_whose_loss_only_grew_did_not_learn():
    from colorize_lib.cli.train import loss_only_grew

    assert loss_only_grew([0.54, 0.72, 0.79])  # the audit's run at a negative rate
    assert not loss_only_grew([0.54, 0.50, 0.52]) and not loss_only_grew([0.9])


def test_a_damaged_run_folder_is_one_error_that_names_the_fix(tmp_path):
    from colorize_lib.training import fitting

    (tmp_path / "state.json").write_text('{"epoch": 2, "checkp')  # a kill while writing
    with pytest.raises(fitting.RunDamaged, match="--no-resume"):
        fitting.read_state(tmp_path)
    (tmp_path / "state.json").write_text(json.dumps({"epoch": 2, "checkpoint": "epoch-002.keras"}))
    with pytest.raises(fitting.RunDamaged, match="missing.*--no-resume"):
        fitting.read_state(tmp_path)


# ----------------------------------------------------------------------------------------------
# One odd file or cache entry does not stop the work
# ----------------------------------------------------------------------------------------------


def test_a_symlink_loop_is_a_counted_skip(tmp_path):
    _photo(tmp_path / "in" / "a.png")
    os.symlink("loop.png", tmp_path / "in" / "loop.png")  # points to itself
    plan = jobs.plan([tmp_path / "in"], tmp_path / "out")
    assert [f.name for f, _ in plan.jobs] == ["a.png"]
    assert [(f.name, why) for f, why in plan.unreadable] == [
        ("loop.png", "a symbolic link that loops or cannot be followed")
    ]


def test_a_file_name_that_is_not_utf8_does_not_stop_training_data(tmp_path, capsys):
    folder = tmp_path / "photos"
    for i in range(10):
        _photo(folder / f"p{i}.png", 20 * i)
    bad = os.fsencode(folder) + b"/caf\xe9.png"  # Latin-1, not UTF-8
    Image.fromarray(np.full((24, 32, 3), 50, np.uint8)).save(os.fsdecode(bad))
    (folder / "broken.png").write_bytes(b"not a picture")
    split = data.load_split(str(folder), 16, n_train=8, n_val=3, progress=False)
    assert len(split.train) + len(split.val) == 11  # the odd name is read like any other
    assert os.fsdecode(b"caf\xe9.png") in split.train_names + split.val_names
    assert "broken.png" in capsys.readouterr().out  # the skip report prints, odd name or not
    assert sources.shown(os.fsdecode(b"caf\xe9.png")) == "caf\\xe9.png"


def test_a_damaged_decoding_cache_entry_is_dropped_and_rebuilt(tmp_path, capsys):
    folder = tmp_path / "photos"
    for i in range(6):
        _photo(folder / f"p{i}.png", 30 * i)
    first = data.load_split(str(folder), 16, n_train=4, n_val=2, progress=False)
    cache = sorted((Path(os.environ["COLORIZE_CACHE"]) / "arrays").glob("*.json"))
    assert cache
    for meta in cache:
        meta.write_text(meta.read_text()[:20])  # truncated
    again = data.load_split(str(folder), 16, n_train=4, n_val=2, progress=False)
    np.testing.assert_array_equal(again.train, first.train)
    assert "a damaged cache entry" in capsys.readouterr().out
    for npy in (Path(os.environ["COLORIZE_CACHE"]) / "arrays").glob("*.npy"):
        npy.write_bytes(npy.read_bytes()[:100])  # a truncated array
    third = data.load_split(str(folder), 16, n_train=4, n_val=2, progress=False)
    np.testing.assert_array_equal(third.val, first.val)


def test_a_file_whose_permissions_changed_is_read_again(tmp_path, monkeypatch):
    folder = tmp_path / "photos"
    for i in range(6):
        _photo(folder / f"p{i}.png", 30 * i)
    data.load_split(str(folder), 16, n_train=4, n_val=2, progress=False)
    calls = []
    real = sources.load_images
    monkeypatch.setattr(sources, "load_images", lambda *a, **k: calls.append(1) or real(*a, **k))
    data.load_split(str(folder), 16, n_train=4, n_val=2, progress=False)
    assert calls == []  # cached
    os.chmod(folder / "p0.png", 0o600)  # e.g. a file that was unreadable, then fixed
    data.load_split(str(folder), 16, n_train=4, n_val=2, progress=False)
    assert calls, "the file's new permissions must decode it again, not replay the old result"


# ----------------------------------------------------------------------------------------------
# Archives: capped as a whole
# ----------------------------------------------------------------------------------------------


def test_many_small_members_that_expand_far_are_refused_as_a_whole(tmp_path):
    archive = tmp_path / "bomb.zip"
    chunk = 10 * 2**20  # each under RATIO_FREE_BYTES (16 MiB); 30 MiB together
    assert chunk < archives.RATIO_FREE_BYTES < 3 * chunk
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for k in range(3):
            z.writestr(f"pic{k}.png", b"\0" * chunk)
    with pytest.raises(sources.UnsafeArchive, match="members together"):
        archives.safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob("out*"))


def test_a_full_disk_while_checkpointing_is_one_line_and_no_model(tmp_path, capsys):
    from colorize_lib.cli.train import train_and_save

    def train():
        raise OSError(28, "No space left on device", str(tmp_path / "u.run" / "epoch-002.keras"))

    code = train_and_save(train, None, tmp_path / "u.keras", tmp_path / "u.run")
    out = capsys.readouterr().out
    assert code == 1 and out.startswith("error: could not write ") and "No space left" in out
    assert "run the same command again" in out and not (tmp_path / "u.keras").exists()


def test_anything_unforeseen_is_one_line_unless_debug(monkeypatch, capsys):
    from colorize_lib.cli import program as cli_main

    def boom(args):
        raise KeyError("something no command foresaw")

    monkeypatch.setitem(cli_main.COMMANDS, "generate", (*cli_main.COMMANDS["generate"][:2], boom))
    assert cli_main.main(["generate", "--out", "x"]) == 1
    out = capsys.readouterr().out
    assert (
        out.startswith("error: generate stopped on something unexpected: KeyError")
        and "--debug" in out
    )
    with pytest.raises(KeyError):
        cli_main.main(["--debug", "generate", "--out", "x"])


def test_a_name_that_is_not_utf8_prints_on_a_strict_terminal(tmp_path):
    for folder in ("in", "o"):  # a photo named a\xff.png, and another one where its output goes
        (tmp_path / folder).mkdir()
        name = os.fsdecode(os.fsencode(tmp_path / folder) + b"/a\xff.png")
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(name, format="PNG")
    _fake_model(tmp_path / "m.keras")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "colorize_lib",
            "colorize",
            "in",
            "--model",
            "m.keras",
            "--out",
            "o",
        ],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8:strict"),
        capture_output=True,
        timeout=120,
    )
    out = r.stdout.decode("utf-8")
    assert r.returncode == 2 and "a\\udcff.png is already there" in out, out + r.stderr.decode()


def test_generate_into_a_file_is_one_line(tmp_path):
    (tmp_path / "taken").write_text("a file, not a folder")
    r = _cli("generate", "--out", "taken", "--n", "1", "--size", "16", cwd=tmp_path)
    assert r.returncode == 2 and r.stdout.startswith("error: cannot write to taken"), r.stdout


def test_a_stopped_epoch_is_saved_a_diverged_one_is_not(tmp_path):
    import keras

    from colorize_lib.training import fitting

    class StopAfter2(keras.callbacks.Callback):  # e.g. EarlyStopping
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    L = keras.Input((16, 16, 1))
    model = keras.Model(L, keras.layers.Conv2D(2, 3, padding="same", activation="tanh")(L))
    x = np.random.default_rng(0).uniform(-1, 1, (8, 16, 16, 1)).astype("float32")
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, x.repeat(2, -1) * 0.5)).batch(4)
    stages = [(4, lambda m: m.compile("adam", "mae"))]
    fitting.fit(model, ds, None, stages, tmp_path, extra=[StopAfter2()], verbose=0)
    assert json.loads((tmp_path / "state.json").read_text())["epoch"] == 2
