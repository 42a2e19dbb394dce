"""colorize_lib.ambiguity: exact counts of the colours behind each gray level, and the ab plane."""

import numpy as np
import pytest

from colorize_lib import ambiguity, color


# Rules that are ratios of integers on 8-bit input: gray = num / den exactly, so the level
# floor(gray * (levels - 1) + 1/2) is computed in integers, ties included.
def _exact_fraction(rgb, rule):
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    if rule == "bt601":
        return 299 * r + 587 * g + 114 * b, 255_000
    if rule == "bt709":
        return 2126 * r + 7152 * g + 722 * b, 2_550_000
    if rule == "average":
        return r + g + b, 765
    if rule == "lightness":
        return np.maximum(np.maximum(r, g), b) + np.minimum(np.minimum(r, g), b), 510
    return None


def _reference_levels(rgb_u8, rule, levels):
    """Independent reference: exact integers where the rule allows, else the direct formula."""
    frac = _exact_fraction(rgb_u8, rule)
    if frac is not None:
        num, den = frac
        return (2 * num * (levels - 1) + den) // (2 * den)
    x = rgb_u8.astype(np.float64) / 255.0
    lin = np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)
    if rule == "linear_luminance":
        y = lin @ np.array([0.2126, 0.7152, 0.0722])
        gray = np.where(y <= 0.0031308, 12.92 * y, 1.055 * y ** (1 / 2.4) - 0.055)
    else:  # cie_lstar
        y = lin @ np.array([0.212671, 0.715160, 0.072169])
        gray = (
            np.where(y > 0.008856, 116 * np.cbrt(y) - 16, 116 * (7.787 * y + 16 / 116) - 16) / 100
        )
    return np.floor(np.clip(gray, 0, 1) * (levels - 1) + 0.5).astype(np.int64)


@pytest.mark.parametrize("rule", list(color.GRAY_RULES))
def test_counts_exact_for_small_bit_depth(rule):
    # 4 bits per channel: 4,096 colours, enumerated one by one
    vals = [round(i * 255 / 15) for i in range(16)]
    colours = np.array([[r, g, b] for r in vals for g in vals for b in vals], np.uint8)
    want = np.zeros(32, int)
    for lv in _reference_levels(colours, rule, 32):
        want[lv] += 1
    np.testing.assert_array_equal(ambiguity.gray_level_counts(rule, levels=32, bits=4), want)


@pytest.mark.parametrize("rule", list(color.GRAY_RULES))
def test_counts_8bit_sum_and_subsample(rule):
    counts = ambiguity.gray_level_counts(rule)
    assert counts.shape == (256,) and counts.sum() == 2**24
    assert counts[0] >= 1 and counts[255] >= 1  # black and white
    # every colour's level in the full table equals the reference, on a random subsample
    rng = np.random.default_rng(9)
    sample = rng.integers(0, 256, (200_000, 3), dtype=np.uint8)
    table = ambiguity.gray_levels_of_all_colors(rule)
    idx = (sample[:, 0].astype(int) << 16) | (sample[:, 1].astype(int) << 8) | sample[:, 2]
    np.testing.assert_array_equal(table[idx], _reference_levels(sample, rule, 256))
    # and the counts agree with the subsample's histogram (the sample is drawn uniformly)
    hist = np.bincount(table[idx], minlength=256)
    expected = counts / 2**24 * len(sample)
    z = (hist - expected) / np.sqrt(expected + 1)
    assert np.abs(z).max() < 6


@pytest.mark.parametrize("rule", ["bt601", "lightness"])
def test_counts_full_brute_force_in_integers(rule):
    # all 2^24 colours at once in exact integer arithmetic; lightness has millions of exact ties
    v = np.arange(256, dtype=np.uint8)
    rgb = np.stack(np.meshgrid(v, v, v, indexing="ij"), axis=-1).reshape(-1, 3)  # [2^24, 3]
    want = np.bincount(_reference_levels(rgb, rule, 256), minlength=256)
    np.testing.assert_array_equal(ambiguity.gray_level_counts(rule), want)


def test_colors_with_gray():
    level = 100
    all_at = ambiguity.colors_with_gray(level, "bt601")
    assert len(all_at) == ambiguity.gray_level_counts("bt601")[level]
    assert all_at.dtype == np.uint8 and all_at.shape[1] == 3
    np.testing.assert_array_equal(color.quantize(color.to_gray(all_at, "bt601")), level)
    some = ambiguity.colors_with_gray(level, "bt601", max_colors=50, seed=1)
    assert len(some) == 50 and len(np.unique(some, axis=0)) == 50
    np.testing.assert_array_equal(color.quantize(color.to_gray(some, "bt601")), level)
    np.testing.assert_array_equal(
        some, ambiguity.colors_with_gray(level, "bt601", max_colors=50, seed=1)
    )
    with pytest.raises(ValueError, match="level"):
        ambiguity.colors_with_gray(256)


def test_ab_plane():
    rgb, inside = ambiguity.ab_plane(60, n=41)
    assert rgb.shape == (41, 41, 3) and inside.shape == (41, 41)
    assert inside[20, 20]  # a = b = 0: a gray
    assert 0.05 < inside.mean() < 0.6
    # inside the gamut the colours really have L = 60 and the grid's (a, b)
    lab = color.rgb_to_lab_np(rgb)
    np.testing.assert_allclose(lab[inside][:, 0], 60, atol=1e-6)
    grid = np.linspace(-110, 110, 41)
    a_grid, b_grid = np.meshgrid(grid, grid[::-1])  # row 0 is b = +110 (yellow up)
    np.testing.assert_allclose(lab[inside][:, 1], a_grid[inside], atol=1e-6)
    np.testing.assert_allclose(lab[inside][:, 2], b_grid[inside], atol=1e-6)


def test_hedge_measures_chroma_where_ambiguous_and_elsewhere():
    truth = np.zeros((2, 8, 8, 3), np.uint8)
    truth[:, :4] = (40, 160, 40)  # green where the colour is ambiguous (top half)
    truth[:, 4:] = (60, 90, 200)  # blue where context decides
    ambiguous = np.zeros((2, 8, 8), bool)
    ambiguous[:, :4] = True
    hedged = truth.copy()
    hedged[:, :4] = (100, 100, 100)  # a gray compromise where it cannot know
    rows = ambiguity.hedge({"net": hedged, "truth again": truth}, truth, ambiguous)
    assert [r["name"] for r in rows] == ["truth", "net", "truth again"]
    assert rows[0]["ambiguous"] > 40 and rows[0]["decided"] > 40
    assert rows[1]["ambiguous"] < 1 and rows[1]["amb_share"] < 0.02
    assert rows[1]["det_share"] == pytest.approx(1.0)
    assert rows[2]["amb_share"] == pytest.approx(1.0)
    table = ambiguity.format_hedge(rows)
    assert "net" in table and "(  1% of truth)" not in table.splitlines()[1]
    assert np.isnan(ambiguity.chroma(truth, np.zeros((2, 8, 8), bool)))
    assert ambiguity.chroma(hedged[:, :4]) < 1
