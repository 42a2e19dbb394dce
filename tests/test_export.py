"""`python -m colorize_lib export`: a trained colorizer as ONNX (+ JSON) for the in-browser page.

Small convolutional colorizers (the colorizer's interface, a second to convert) keep this fast;
the book build exports the real U-Net and GAN (notebooks/06_colorize_your_photo.ipynb) and the browser
test in test_book.py runs them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from colorize_lib import cli, export
from colorize_lib.data import files

SIZE = 32


def _colorizer(path: Path, width: int = 64) -> Path:
    """A small colorizer ``L_norm [B,32,32,1] -> ab_norm [B,32,32,2]`` whose weights dominate
    its file (so float16 shows), saved as .keras."""
    import keras

    L = keras.Input((SIZE, SIZE, 1), name="L_norm")
    x = keras.layers.Conv2D(width, 3, padding="same", activation="relu")(L)
    x = keras.layers.Conv2D(width, 3, padding="same", activation="relu")(x)
    ab = keras.layers.Conv2D(2, 3, padding="same", activation="tanh")(x)
    files.save_model(keras.Model(L, ab), path)
    return path


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    return _colorizer(tmp_path_factory.mktemp("model") / "small.keras")


def _onnx_vs_keras(model_file: Path, onnx_file: Path) -> float:
    import keras
    import onnxruntime as ort

    L_norm = np.random.default_rng(1).uniform(-1, 1, (3, SIZE, SIZE, 1)).astype(np.float32)
    session = ort.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: L_norm})  # batch 3: batch is free
    want = np.asarray(keras.models.load_model(model_file)(L_norm))
    return float(np.abs(got - want).max())


def test_the_command_writes_onnx_and_json_that_match_keras(model_file, tmp_path, capsys):
    from colorize_lib.training import cards

    card = {"learned_from": "pictures in the folder photos", "pictures": 18, "size": SIZE}
    cards.write(model_file, card)  # the model's card travels into the page's JSON
    assert cli.main(["export", "--model", str(model_file), "--out", str(tmp_path / "web")]) == 0
    assert "wrote small.onnx:" in capsys.readouterr().out
    onnx_file, json_file = tmp_path / "web" / "small.onnx", tmp_path / "web" / "small.json"
    info = json.loads(json_file.read_text())
    assert info["working_size"] == SIZE and info["input"] == "L_norm" and not info["float16"]
    assert info["L_scale"] == 50 and info["ab_scale"] == 110
    assert info["keras_sha256"] == files.sha256(model_file) and info["card"] == card
    assert info["bytes"] == onnx_file.stat().st_size
    assert info["max_abs_diff"] < 1e-5  # measured by the export itself
    assert _onnx_vs_keras(model_file, onnx_file) < 1e-5  # and again, independently
    assert not list((tmp_path / "web").glob(".*"))  # no temporary file left behind


def test_float16_halves_the_file_and_stays_close(model_file, tmp_path):
    full = export.export(model_file, tmp_path, name="f32")
    half = export.export(model_file, tmp_path, name="f16", float16=True)
    assert half.info["float16"] and half.info["bytes"] < 0.6 * full.info["bytes"]
    diff = _onnx_vs_keras(model_file, half.onnx)
    assert diff * 110 < 0.5, f"float16 moved ab by {diff * 110:.3f} Lab units"
    print(
        f"\nfloat32 {full.info['bytes']:,} B, float16 {half.info['bytes']:,} B; max diff {diff:.2e}"
    )


def test_a_gan_checkpoint_exports_its_generator(model_file, tmp_path):
    import keras

    from colorize_lib import gan, models

    generator = keras.models.load_model(model_file)
    checkpoint = tmp_path / "gan.keras"
    files.save_model(gan.ColorizationGAN(generator, models.build_discriminator(SIZE)), checkpoint)
    done = export.export(checkpoint, tmp_path / "web")
    assert done.onnx.name == "gan.onnx" and _onnx_vs_keras(model_file, done.onnx) < 1e-5


def test_outputs_are_refused_before_any_work(model_file, tmp_path, capsys):
    out = tmp_path / "web"
    out.mkdir()
    (out / "small.json").write_text("{}")
    argv = ["export", "--model", str(model_file), "--out", str(out)]
    assert cli.main(argv) == 2
    said = capsys.readouterr().out
    assert said.startswith("error: ") and "--overwrite" in said and said.count("\n") == 1
    assert (out / "small.json").read_text() == "{}" and not (out / "small.onnx").exists()
    # the model itself is never an output (a model file named like one of them)
    odd = tmp_path / "m.json"
    odd.write_bytes(model_file.read_bytes())
    with pytest.raises(export.ExportError, match="is the model itself"):
        export.outputs(odd, tmp_path, overwrite=True)
    assert cli.main(["export", "--model", str(tmp_path / "none.keras"), "--out", str(out)]) == 2
    assert "No model at" in capsys.readouterr().out


def test_a_missing_converter_names_the_extra(model_file, tmp_path, monkeypatch, capsys):
    real = export.importlib.util.find_spec
    monkeypatch.setattr(
        export.importlib.util, "find_spec", lambda name: None if name == "tf2onnx" else real(name)
    )
    assert cli.main(["export", "--model", str(model_file), "--out", str(tmp_path)]) == 2
    said = capsys.readouterr().out
    assert "needs tf2onnx" in said and "colorize-lib[export]" in said


def test_export_zip_is_one_file_the_page_and_bundle_read(model_file, tmp_path, capsys):
    from colorize_lib import bundle

    out = tmp_path / "web"
    argv = ["export", "--model", str(model_file), "--out", str(out), "--zip", "--label", "Mine"]
    assert cli.main(argv) == 0
    assert "wrote " in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["small.zip"]  # nothing else left there
    (model,) = bundle.read(out / "small.zip")
    assert model.label == "Mine" and model.info["sha256"] == hashlib.sha256(model.onnx).hexdigest()
    assert model.info["format"] == export.FORMAT and model.info["card_lines"]
    assert cli.main(argv) == 2  # its own earlier zip: only with --overwrite
    assert "already exists" in capsys.readouterr().out
    assert cli.main([*argv, "--overwrite"]) == 0


def test_web_models_trains_with_the_profile_s_settings_and_refuses_before_work(tmp_path, capsys):
    import argparse

    from colorize_lib import profiles
    from colorize_lib.cli import webmodels

    args = argparse.Namespace(data="photos", out=str(tmp_path), n=None, weights="none", seed=3)
    P = profiles.get_profile("cpu")
    train, gan = webmodels.steps(args, P)
    parsed = cli.build_parser().parse_args(train)  # what the two commands will run, as typed
    assert (parsed.size, parsed.epochs, parsed.encoder) == (P.image_size, P.unet_epochs, P.encoder)
    assert (parsed.batch_size, parsed.seed, parsed.weights) == (P.batch_size, 3, "none")
    parsed = cli.build_parser().parse_args(gan)
    assert (parsed.epochs, parsed.l1_weight, parsed.d_warmup_epochs) == (
        P.gan_epochs, P.gan_l1_weight, P.gan_warmup_epochs
    )  # fmt: skip
    assert parsed.init == str(tmp_path / "unet-photos.keras")
    (tmp_path / "web-models.zip").write_bytes(b"someone's file")
    assert cli.main(["web-models", "--data", "photos", "--out", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().out
    assert (tmp_path / "web-models.zip").read_bytes() == b"someone's file"
