"""Metrics: known values, baselines, the ab-accuracy curve, the evaluation table."""

import numpy as np
import pytest
from skimage.color import rgb2lab

from colorize_lib import metrics


@pytest.fixture
def pictures():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(4, 16, 16, 3), dtype=np.uint8)


def test_identical_pictures_score_perfectly(pictures):
    assert metrics.psnr(pictures, pictures) == metrics.PSNR_CAP
    assert metrics.ssim(pictures, pictures) == pytest.approx(1.0)
    assert metrics.ab_error(pictures, pictures) == pytest.approx(0.0, abs=1e-9)
    assert metrics.ab_auc(pictures, pictures) == pytest.approx(1.0)
    assert metrics.colorfulness_gap(pictures, pictures) == pytest.approx(0.0)


def test_psnr_matches_its_formula(pictures):
    noisy = np.clip(pictures.astype(int) + 10, 0, 255).astype(np.uint8)
    mse = np.mean((noisy / 255.0 - pictures / 255.0) ** 2, axis=(1, 2, 3))
    expected = 10 * np.log10(1 / mse)
    np.testing.assert_allclose(metrics.psnr(noisy, pictures, per_image=True), expected)
    assert metrics.psnr(noisy, pictures) == pytest.approx(expected.mean())
    # a single picture gives a float, a batch with per_image one value per picture
    assert isinstance(metrics.psnr(noisy[0], pictures[0]), float)
    assert metrics.ssim(noisy, pictures, per_image=True).shape == (4,)
    assert metrics.ssim(noisy, pictures) < 1.0


def test_uint8_and_float_inputs_agree(pictures):
    other = pictures[::-1]
    as_float = (pictures / 255.0).astype(np.float32), (other / 255.0).astype(np.float32)
    assert metrics.ab_error(pictures, other) == pytest.approx(metrics.ab_error(*as_float), rel=1e-4)
    assert metrics.psnr(pictures, other) == pytest.approx(metrics.psnr(*as_float), rel=1e-5)


def test_ab_error_is_the_mean_euclidean_ab_distance(pictures):
    other = pictures[::-1]
    ab_p = rgb2lab(pictures)[..., 1:]
    ab_t = rgb2lab(other)[..., 1:]
    expected = np.sqrt(((ab_p - ab_t) ** 2).sum(-1)).mean()
    assert metrics.ab_error(pictures, other) == pytest.approx(expected, rel=1e-4)


def test_gray_picture_has_no_colorfulness():
    gray = np.repeat(np.linspace(0, 255, 64).astype(np.uint8).reshape(8, 8, 1), 3, axis=-1)
    assert metrics.colorfulness(gray) == pytest.approx(0.0)


def test_colorfulness_by_hand():
    # two pixels: pure red and pure green (0..255)
    img = np.array([[[255, 0, 0], [0, 255, 0]]], dtype=np.uint8)
    # rg = [255, -255]: mean 0, std 255; yb = [127.5, 127.5]: mean 127.5, std 0
    expected = np.sqrt(255.0**2 + 0.0) + 0.3 * np.sqrt(0.0 + 127.5**2)
    assert metrics.colorfulness(img) == pytest.approx(expected)
    assert metrics.colorfulness(img) == pytest.approx(293.25)


def test_gray_baseline_error_is_the_truths_chroma(pictures):
    gray = metrics.gray_baseline(pictures)
    assert gray.shape == pictures.shape
    # the baseline keeps lightness and has no colour at all
    np.testing.assert_allclose(rgb2lab(gray)[..., 0], rgb2lab(pictures)[..., 0], atol=0.05)
    assert metrics.colorfulness(gray) == pytest.approx(0.0, abs=1e-3)
    chroma = np.sqrt((rgb2lab(pictures)[..., 1:] ** 2).sum(-1)).mean()
    assert metrics.ab_error(gray, pictures) == pytest.approx(chroma, rel=1e-3)


def test_mean_color_baseline_paints_one_colour():
    rng = np.random.default_rng(1)
    # mid-lightness pictures, so the constant colour stays in gamut
    pictures = rng.integers(90, 170, size=(2, 8, 8, 3), dtype=np.uint8)
    ab = metrics.mean_ab(pictures)
    assert ab.shape == (2,)
    painted = metrics.mean_color_baseline(pictures, ab)
    np.testing.assert_allclose(
        rgb2lab(painted)[..., 1:].reshape(-1, 2), np.tile(ab, (128, 1)), atol=0.1
    )
    with pytest.raises(ValueError, match="two numbers"):
        metrics.mean_color_baseline(pictures, [1.0, 2.0, 3.0])


def test_accuracy_curve_is_monotone_and_reaches_one(pictures):
    other = pictures[::-1]
    t, share = metrics.ab_accuracy_curve(other, pictures)
    assert t[0] == 0 and t[-1] == 150 and len(t) == 151
    assert np.all(np.diff(share) >= 0)
    # random colours can be further apart than 150: a wider sweep reaches every pixel
    _, wide = metrics.ab_accuracy_curve(other, pictures, thresholds=range(0, 301))
    assert wide[-1] == pytest.approx(1.0) and wide[150] == pytest.approx(share[-1])
    d = np.sqrt(((rgb2lab(other)[..., 1:] - rgb2lab(pictures)[..., 1:]) ** 2).sum(-1))
    assert share[0] == pytest.approx(np.mean(d <= 1e-9))
    assert share[20] == pytest.approx(np.mean(d <= 20), abs=1e-3)
    auc = metrics.ab_auc(other, pictures)
    assert 0 < auc < 1
    # a worse prediction (gray) has a smaller area than a perfect one, larger errors lower it
    assert metrics.ab_auc(metrics.gray_baseline(pictures), pictures) < 1.0


def test_bad_inputs_say_what_to_do(pictures):
    with pytest.raises(ValueError, match="same shape"):
        metrics.psnr(pictures, pictures[:2])
    with pytest.raises(ValueError, match="RGB"):
        metrics.colorfulness(np.zeros((4, 4)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        metrics.ab_error(pictures * 2.0, pictures * 2.0)
    with pytest.raises(ValueError, match="increasing"):
        metrics.ab_accuracy_curve(pictures, pictures, thresholds=[5, 1])


def test_evaluate_and_format_table(pictures):
    gray = metrics.gray_baseline(pictures)
    rows = metrics.evaluate({"gray": gray, "same": pictures}, pictures)
    assert [r["name"] for r in rows] == ["gray", "same", "truth"]
    assert set(metrics.COLUMNS) <= set(rows[0])
    assert rows[1]["ab_error"] == pytest.approx(0.0, abs=1e-9)
    assert rows[0]["ab_error"] > 1.0
    assert rows[0]["abs_gap"] == pytest.approx(metrics.colorfulness(pictures))  # gray: 0 each
    assert rows[1]["abs_gap"] == pytest.approx(0.0, abs=1e-9)
    text = metrics.format_table(rows)
    lines = text.splitlines()
    assert "PSNR dB" in lines[0] and "ab error" in lines[0]
    assert len(lines) == 2 + 3
    assert lines[2].startswith("gray") and f"{rows[0]['ab_error']:.2f}" in lines[2]


def test_compare_gives_signed_and_relative_changes():
    rows = [
        {"name": "gray", "psnr": 20.0, "ssim": 0.80, "ab_error": 30.0, "abs_gap": 60.0},
        {"name": "net", "psnr": 25.0, "ssim": 0.84, "ab_error": 15.0, "abs_gap": 8.0},
    ]
    line = metrics.compare(rows, "gray", "net")
    assert line.startswith("from gray to net: ")
    assert "PSNR dB +5.00 (+25%)" in line
    assert "SSIM +0.040 (+5%)" in line
    assert "ab error -15.00 (-50%)" in line
    assert "|gap| -52.0 (-87%)" in line  # the colourfulness gap shrank by 87%
    assert "AUC" not in line  # columns missing from the rows are left out
    with pytest.raises(KeyError, match="no row named 'GAN'"):
        metrics.compare(rows, "gray", "GAN")


def test_the_gap_a_gan_closes_is_measured_per_picture(pictures):
    """abs_gap averages |CF(pred) - CF(truth)| over pictures, so a picture too dull and one too
    loud do not cancel; gap_closed is the share of `before`'s gap that `after` closed."""
    gray = metrics.gray_baseline(pictures)
    cf = metrics.colorfulness(pictures, per_image=True)
    assert metrics.abs_gap(gray, pictures) == pytest.approx(cf.mean(), rel=1e-3)
    assert metrics.abs_gap(pictures, pictures) == pytest.approx(0.0)
    # two pictures' errors of opposite sign: the mean gap is 0, the mean |gap| is not
    swapped = pictures[[1, 0, 3, 2]]
    signed = metrics.colorfulness_gap(swapped, pictures, per_image=True)
    assert metrics.abs_gap(swapped, pictures) == pytest.approx(np.abs(signed).mean())
    assert metrics.abs_gap(swapped, pictures) > abs(signed.mean())

    done = metrics.gap_closed(pictures, before=gray, after=pictures)  # the whole gap closed
    assert done["closed"] == pytest.approx(1.0) and done["psnr_change"] > 0
    assert done["gap_before"] == pytest.approx(cf.mean(), rel=1e-3) and done["gap_after"] == 0
    undone = metrics.gap_closed(pictures, before=pictures, after=gray)  # no gap to close
    assert undone["closed"] == 0.0 and undone["psnr_change"] < 0
    half = metrics.gap_closed(pictures, before=gray, after=(gray + pictures / 255.0) / 2)
    assert 0.2 < half["closed"] < 0.8  # half-way colours close part of the gap
    worse = metrics.gap_closed(pictures, before=(gray + pictures / 255.0) / 2, after=gray)
    assert worse["closed"] < 0  # a duller `after` widens it
