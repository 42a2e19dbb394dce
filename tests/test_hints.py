"""Colour hints (chapter 7): training hints drawn from the truth, the maps the network reads,
where hints are placed, hints files, the hint U-Net that starts as the U-Net, and the command
line's `train-hints` and `colorize --hints`."""

from __future__ import annotations

import json

import numpy as np
import pytest

from colorize_lib import cli, hints


def test_training_hints_follow_the_paper_s_draws_and_the_truth_s_colours():
    import tensorflow as tf

    rng = np.random.default_rng(0)
    ab = rng.uniform(-0.6, 0.6, (512, 32, 32, 2)).astype(np.float32)
    hint_ab, mask = (x.numpy() for x in hints.sample_hints(tf.constant(ab), tf.constant([0, 1])))
    assert hint_ab.shape == (512, 32, 32, 2) and mask.shape == (512, 32, 32, 1)
    none = float((mask.sum((1, 2, 3)) == 0).mean())
    assert 0.19 < none < 0.31, f"{none:.2f} of the pictures got no hint, not a quarter"
    assert set(np.unique(mask)) <= {0.0, 1.0}
    assert np.all(hint_ab[mask[..., 0] == 0] == 0), "colours only under the mask"
    # a picture of one colour: every hint has that colour
    flat = np.broadcast_to(np.array([0.3, -0.2], np.float32), (64, 32, 32, 2))
    h, m = (x.numpy() for x in hints.sample_hints(tf.constant(flat), tf.constant([0, 2])))
    assert np.allclose(h[m[..., 0] > 0], [0.3, -0.2], atol=1e-6)
    again = hints.sample_hints(tf.constant(ab), tf.constant([0, 1]))[1].numpy()
    assert np.array_equal(again, mask), "the same seed gives the same hints"


def test_maps_are_squares_cut_at_the_border_and_averaged_where_they_overlap():
    hint_ab, mask = hints.maps([(0, 0, 0.5, 0.1), (1, 1, -0.5, 0.1)], 8)
    assert mask[..., 0].sum() == 4 + 9 - 4  # two squares, one cut by the corner, overlapping
    assert np.allclose(hint_ab[0, 0], (0.0, 0.1)) and np.allclose(hint_ab[2, 2], (-0.5, 0.1))
    with pytest.raises(hints.HintError, match="outside"):
        hints.maps([(8, 0, 0, 0)], 8)


def test_worst_placement_picks_the_largest_errors_far_apart():
    truth = np.zeros((32, 32, 2), np.float32)
    guess = truth.copy()
    guess[5, 5] = guess[6, 6] = (0.9, 0.0)  # two neighbours: one hint, not two
    guess[20, 25] = (0.0, 0.5)
    points = hints.place(truth, 2, "worst", guess)
    assert [(y, x) for y, x, _, _ in points] in ([(5, 5), (20, 25)], [(6, 6), (20, 25)])
    assert hints.place(truth, 3, "random", seed=1) == hints.place(truth, 3, "random", seed=1)


def test_a_hints_file_is_checked_hint_by_hint(tmp_path):
    good = tmp_path / "h.json"
    good.write_text(json.dumps({"hints": [{"x": 10.5, "y": 3, "color": "#B07CD8"}]}))
    ((x, y, a, b),) = hints.read_file(good, 64, 32)
    assert (x, y) == (10.5, 3) and a > 0.3 and b < -0.3  # lavender: red-blue
    assert hints.on_grid([(x, y, a, b)], 64, 32, 16) == [(1, 2, a, b)]
    for content, message in [
        ("{not json", "not readable JSON"),
        ('{"points": []}', "no list of hints"),
        ('{"hints": [{"x": 1, "y": 1}]}', "hint 1: it needs x, y and color"),
        ('{"hints": [{"x": 1, "y": 1, "color": "lavender"}]}', "give it as #rrggbb"),
        ('{"hints": [{"x": 64, "y": 1, "color": "#000000"}]}', r"\(64, 1\) is outside the 64x32"),
    ]:
        bad = tmp_path / "bad.json"
        bad.write_text(content)
        with pytest.raises(hints.HintError, match=message) as err:
            hints.read_file(bad, 64, 32)
        assert "\n" not in str(err.value)


def test_the_hint_unet_starts_as_the_unet_and_hints_reach_every_size():
    from colorize_lib import models

    unet = models.build_unet(32, "MobileNetV2-0.35", weights=None)
    rng = np.random.default_rng(0)
    for w in unet.weights:  # weights that are not zeros, so the test can see a difference
        w.assign(rng.normal(0, 0.05, w.shape).astype("float32"))
    model = models.from_unet(models.build_hint_unet(32, "MobileNetV2-0.35", weights=None), unet)
    L = rng.uniform(-1, 1, (2, 32, 32, 1)).astype("float32")
    zeros = [np.zeros((2, 32, 32, 2), "float32"), np.zeros((2, 32, 32, 1), "float32")]
    np.testing.assert_array_equal(model([L, *zeros]), unet(L))
    for level in (16, 8, 4, 2):  # the hints join each decoder size's skip, after it
        assert model.get_layer(f"dec{level}_hints").input[1].shape[-1] == 3
    assert model.get_layer("dec1_hints").output.shape[-1] == 4


def test_colorize_hints_errors_come_before_tensorflow(tmp_path):
    import subprocess
    import sys

    from PIL import Image

    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(tmp_path / "a.png")
    (tmp_path / "m.keras").write_bytes(b"PK\x05\x06" + b"\0" * 18)  # an empty zip
    (tmp_path / "h.json").write_text('{"hints": [{"x": 40, "y": 1, "color": "#ffffff"}]}')
    code = (
        "import sys; from colorize_lib import cli; r = cli.main(sys.argv[1:]); "
        "print('tensorflow' in sys.modules); sys.exit(r)"
    )
    args = ["colorize", "a.png", "--model", "m.keras", "--hints", "h.json"]
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "error: h.json, hint 1: (40, 1) is outside the 30x20 picture" in done.stdout
    assert done.stdout.strip().endswith("False"), "TensorFlow loaded before the error"
    done = subprocess.run([sys.executable, "-c", code, "colorize", "a.png", "a.png", "--model",
                           "m.keras", "--hints", "h.json"], cwd=tmp_path, capture_output=True,
                          text=True)  # fmt: skip
    assert "--hints: give one picture file" in done.stdout


def test_train_hints_then_colorize_with_a_hints_file(tmp_path, capsys):
    """The command line's whole path: train a U-Net, teach it hints, colorize with a file;
    a U-Net without hints is refused for --hints."""
    from PIL import Image

    from colorize_lib import infer, synth

    folder = tmp_path / "pics"
    folder.mkdir()
    for i in range(20):
        Image.fromarray(synth.generate_one(i, 64)).save(folder / f"p{i}.png")
    common = ["--data", str(folder), "--epochs", "1", "--batch-size", "8"]
    unet, model = tmp_path / "unet.keras", tmp_path / "hints.keras"
    assert cli.main(["train", *common, "--size", "32", "--encoder", "MobileNetV2-0.35",
                     "--weights", "none", "--out", str(unet)]) == 0  # fmt: skip
    assert cli.main(["train-hints", *common, "--init", str(unet), "--out", str(model)]) == 0
    out = capsys.readouterr().out
    assert "saved" in out and "its card" in out and "hints.card.json" in out
    (tmp_path / "h.json").write_text('{"hints": [{"x": 10, "y": 50, "color": "#b07cd8"}]}')
    photo = folder / "p0.png"
    argv = ["colorize", str(photo), "--model", str(model), "--out", str(tmp_path / "out"),
            "--hints", str(tmp_path / "h.json")]  # fmt: skip
    assert cli.main(argv) == 0
    assert "colorized 1 of 1" in capsys.readouterr().out
    got = np.asarray(Image.open(tmp_path / "out" / "p0.png").convert("RGB"))
    loaded = infer.load_model(model)
    a, b = hints.ab_of_hex("#b07cd8")
    want = infer.colorize(loaded, np.asarray(Image.open(photo).convert("RGB")),
                          hints=[(int(50 * 32 // 64), int(10 * 32 // 64), a, b)])  # fmt: skip
    assert np.array_equal(got, want), "the command line colours as infer.colorize with hints"
    argv[3] = str(unet)
    assert cli.main([*argv[:5], str(tmp_path / "out2"), *argv[6:]]) == 2
    assert "takes no hints" in capsys.readouterr().out
