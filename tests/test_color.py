"""colorize_lib.color: gray rules, Lab against scikit-image, the gamut rule, network scaling."""

import numpy as np
import pytest
from skimage.color import lab2rgb, rgb2lab

from colorize_lib import color

# Tolerances. NumPy works in float64: it must equal skimage to rounding error.
# TensorFlow works in float32: a colour difference (Euclidean, Delta E 1976) below 2e-3 is far
# under what anyone can see (1.0 is a just-noticeable difference).
NP_TOL = 1e-9
TF_LAB_TOL = 2e-3  # Delta E
TF_RGB_TOL = 1e-4  # in [0, 1] units

PRIMARIES = np.array(
    [
        [0, 0, 0],
        [1, 1, 1],
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
        [0, 1, 1],
        [1, 0, 1],
        [1, 1, 0],
        [0.5, 0.5, 0.5],
        [0.2, 0.2, 0.2],
        [0.04045, 0.04045, 0.04045],  # the sRGB curve's knee
        [0.01, 0.02, 0.03],  # the linear toe of both curves
    ]
)


@pytest.fixture(scope="module")
def random_rgb():
    return np.random.default_rng(0).random((100_000, 3))  # [N, 3] float64


@pytest.fixture(scope="module")
def tf():
    import tensorflow as tf

    return tf


# ------------------------------------------------------------------------------------ gray rules


def test_gray_rules_match_their_defining_formulas(random_rgb):
    x = random_rgb
    r, g, b = x[:, 0], x[:, 1], x[:, 2]

    def lin(c):
        return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)

    def enc(c):
        return np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)

    y = 0.212671 * lin(r) + 0.715160 * lin(g) + 0.072169 * lin(b)
    lstar = np.where(y > (6 / 29) ** 3, 116 * np.cbrt(y) - 16, 903.3 * y) / 100
    expected = {
        "bt601": 0.299 * r + 0.587 * g + 0.114 * b,
        "bt709": 0.2126 * r + 0.7152 * g + 0.0722 * b,
        "average": (r + g + b) / 3,
        "lightness": (x.max(1) + x.min(1)) / 2,
        "linear_luminance": enc(0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)),
        "cie_lstar": lstar,
    }
    assert set(expected) == set(color.GRAY_RULES) == set(color.RULE_INFO)
    for rule, want in expected.items():
        got = color.to_gray(x, rule)
        assert got.shape == (len(x),)
        tol = 2e-4 if rule == "cie_lstar" else 1e-12  # 903.3 vs skimage's 7.787*116 in the toe
        np.testing.assert_allclose(got, want, atol=tol, err_msg=rule)


def test_cie_lstar_is_lab_lightness(random_rgb):
    np.testing.assert_allclose(
        color.to_gray(random_rgb, "cie_lstar"), rgb2lab(random_rgb)[:, 0] / 100, atol=1e-12
    )


@pytest.mark.parametrize("rule", list(color.GRAY_RULES))
def test_gray_rules_known_values(rule):
    white = np.array([255, 255, 255], np.uint8)
    black = np.array([0, 0, 0], np.uint8)
    assert color.to_gray(white, rule) == pytest.approx(1.0, abs=1e-12)
    assert color.to_gray(black, rule) == pytest.approx(0.0, abs=1e-12)
    # uint8 and float give the same gray
    u8 = np.random.default_rng(1).integers(0, 256, (50, 3), dtype=np.uint8)
    np.testing.assert_allclose(color.to_gray(u8, rule), color.to_gray(u8 / 255.0, rule))
    # image shape: [H, W, 3] -> [H, W]
    assert color.to_gray(np.zeros((4, 5, 3), np.uint8), rule).shape == (4, 5)


def test_pure_green_per_rule():
    green = np.array([0.0, 1.0, 0.0])
    want = {
        "bt601": 0.587,
        "bt709": 0.7152,
        "average": 1 / 3,
        "lightness": 0.5,
        "linear_luminance": 1.055 * 0.7152 ** (1 / 2.4) - 0.055,
        "cie_lstar": (116 * 0.715160 ** (1 / 3) - 16) / 100,
    }
    for rule, value in want.items():
        assert color.to_gray(green, rule) == pytest.approx(value, abs=1e-9), rule


def test_gray_rules_reject_bad_input():
    with pytest.raises(ValueError, match="Unknown gray rule"):
        color.to_gray(np.zeros(3), "nope")
    with pytest.raises(ValueError, match="3 channels"):
        color.to_gray(np.zeros((4, 4)), "bt601")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        color.to_gray(np.full(3, 200.0), "bt601")
    with pytest.raises(ValueError, match="uint8"):
        color.to_gray(np.full(3, 200, np.int32), "bt601")


def test_srgb_linear_round_trip(random_rgb):
    np.testing.assert_allclose(color.linear_to_srgb(color.srgb_to_linear(random_rgb)), random_rgb)
    assert color.srgb_to_linear(0.5) == pytest.approx(((0.5 + 0.055) / 1.055) ** 2.4)


# ------------------------------------------------------------------------------------ Lab, NumPy


def test_rgb_to_lab_np_matches_skimage(random_rgb):
    for x in (random_rgb, PRIMARIES):
        np.testing.assert_allclose(color.rgb_to_lab_np(x), rgb2lab(x), atol=NP_TOL)
    u8 = np.random.default_rng(2).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    np.testing.assert_allclose(color.rgb_to_lab_np(u8), rgb2lab(u8), atol=NP_TOL)
    white = color.rgb_to_lab_np(np.ones(3))
    np.testing.assert_allclose(white, [100, 0, 0], atol=1e-2)  # the matrix is rounded to 6 digits


def test_lab_to_rgb_np_matches_skimage_and_clips(random_rgb):
    lab = rgb2lab(random_rgb)
    np.testing.assert_allclose(color.lab_to_rgb_np(lab), random_rgb, atol=1e-9)
    # out of gamut: random Lab anywhere in the box, most of which no sRGB colour reaches
    rng = np.random.default_rng(3)
    wild = np.stack(
        [
            rng.uniform(0, 100, 20_000),
            rng.uniform(-128, 128, 20_000),
            rng.uniform(-128, 128, 20_000),
        ],
        axis=-1,
    )
    with pytest.warns(UserWarning):  # skimage warns about negative Z; we clip silently
        ref = lab2rgb(wild)
    got = color.lab_to_rgb_np(wild)
    assert got.min() >= 0 and got.max() <= 1
    np.testing.assert_allclose(got, ref, atol=NP_TOL)


# ------------------------------------------------------------------------------------ Lab, TF


def _delta_e(a, b):
    return np.sqrt(((np.asarray(a, np.float64) - b) ** 2).sum(-1))


def test_rgb_to_lab_tf_matches_skimage(tf, random_rgb):
    for x in (random_rgb, PRIMARIES):
        got = color.rgb_to_lab(x.astype(np.float32)).numpy()
        assert got.dtype == np.float32
        assert _delta_e(got, rgb2lab(x)).max() < TF_LAB_TOL
    # batched images [B, H, W, 3] and uint8
    u8 = np.random.default_rng(4).integers(0, 256, (2, 8, 8, 3), dtype=np.uint8)
    got = color.rgb_to_lab(u8).numpy()
    assert got.shape == (2, 8, 8, 3)
    assert _delta_e(got, rgb2lab(u8)).max() < TF_LAB_TOL


def test_lab_to_rgb_tf_matches_skimage_and_clips(tf, random_rgb):
    lab = rgb2lab(random_rgb)
    got = color.lab_to_rgb(lab.astype(np.float32)).numpy()
    assert np.abs(got - random_rgb).max() < TF_RGB_TOL
    rng = np.random.default_rng(5)
    wild = np.stack(
        [
            rng.uniform(0, 100, 20_000),
            rng.uniform(-128, 128, 20_000),
            rng.uniform(-128, 128, 20_000),
        ],
        axis=-1,
    )
    wild = np.concatenate([wild, [[0, 0, 0], [100, 0, 0], [50, 127, -127], [100, -128, 127]]])
    with pytest.warns(UserWarning):
        ref = lab2rgb(wild)
    got = color.lab_to_rgb(wild.astype(np.float32)).numpy()
    assert got.min() >= 0 and got.max() <= 1
    assert np.abs(got - ref).max() < TF_RGB_TOL


def test_lab_tf_in_tf_function_and_tf_data(tf):
    x = np.random.default_rng(6).random((6, 4, 4, 3)).astype(np.float32)
    round_trip = tf.function(lambda t: color.lab_to_rgb(color.rgb_to_lab(t)))
    np.testing.assert_allclose(round_trip(x).numpy(), x, atol=TF_RGB_TOL)

    ds = tf.data.Dataset.from_tensor_slices(x).map(color.rgb_to_model).batch(3)
    batches = list(ds)
    assert len(batches) == 2
    L, ab = batches[0]
    assert L.shape == (3, 4, 4, 1) and ab.shape == (3, 4, 4, 2)
    np.testing.assert_allclose(L.numpy()[..., 0], rgb2lab(x[:3])[..., 0] / 50 - 1, atol=1e-4)
    np.testing.assert_allclose(ab.numpy(), rgb2lab(x[:3])[..., 1:] / 110, atol=1e-4)


def test_lab_tf_gradients_are_finite(tf):
    # includes black, white, the knees of both curves and values outside the gamut
    x = tf.constant(np.concatenate([PRIMARIES, [[0.0, 0.0, 1e-7]]]).astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(color.rgb_to_lab(x))
    g = tape.gradient(y, x).numpy()
    assert np.isfinite(g).all() and np.abs(g).sum() > 0

    lab = tf.constant(
        [[0.0, 0.0, 0.0], [50.0, 120.0, -120.0], [100.0, 0.0, 0.0], [5.0, -3.0, 90.0]]
    )
    with tf.GradientTape() as tape:
        tape.watch(lab)
        y = tf.reduce_sum(color.lab_to_rgb(lab))
    g = tape.gradient(y, lab).numpy()
    assert np.isfinite(g).all() and np.abs(g).sum() > 0


# ------------------------------------------------------------------------------------ scaling


def test_split_merge_round_trip_numpy_and_tf(tf):
    lab = rgb2lab(np.random.default_rng(7).random((5, 6, 3)))
    L, ab = color.split_lab(lab)
    assert isinstance(L, np.ndarray) and L.shape == (5, 6, 1) and ab.shape == (5, 6, 2)
    np.testing.assert_allclose(L[..., 0], lab[..., 0] / 50 - 1)
    np.testing.assert_allclose(ab, lab[..., 1:] / 110)
    assert L.min() >= -1 and L.max() <= 1
    np.testing.assert_allclose(color.merge_lab(L, ab), lab)

    Lt, abt = color.split_lab(tf.constant(lab, tf.float32))
    assert isinstance(Lt, tf.Tensor)
    np.testing.assert_allclose(color.merge_lab(Lt, abt).numpy(), lab, atol=1e-4)
    assert color.L_SCALE == 50 and color.AB_SCALE == 110


def test_model_round_trip(tf):
    x = np.random.default_rng(8).random((2, 5, 5, 3)).astype(np.float32)
    L, ab = color.rgb_to_model(x)
    np.testing.assert_allclose(color.model_to_rgb(L, ab).numpy(), x, atol=TF_RGB_TOL)


# ------------------------------------------------------------------------------------ exercises


def test_exercise_checkers():
    from colorize_lib.pages import exercises

    def good(rgb):
        x = rgb.astype(float)
        return 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]  # 0..255 is accepted

    assert exercises.check_bt601(good)
    assert exercises.check_bt601(lambda rgb: color.to_gray(rgb, "bt601"))
    avg = exercises.check_bt601(lambda rgb: rgb.mean(-1))
    assert not avg and "average" in str(avg) and str(avg).startswith("FAIL")
    assert not exercises.check_bt601(lambda rgb: color.to_gray(rgb, "bt709"))
    assert "shape" in str(exercises.check_bt601(lambda rgb: rgb))
    assert "raised" in str(exercises.check_bt601(lambda rgb: 1 / 0))
    # same-gray pairs: green and magenta of the same luma
    assert exercises.check_same_gray_pair((0, 160, 0), (200, 9, 255))
    assert not exercises.check_same_gray_pair((0, 160, 0), (0, 0, 0))
    assert not exercises.check_same_gray_pair((100, 100, 100), (101, 100, 99))


def test_lab_in_gamut():
    x = np.random.default_rng(10).random((5000, 3))
    assert color.lab_in_gamut(color.rgb_to_lab_np(x)).all()
    assert not color.lab_in_gamut(np.array([50.0, 110.0, 110.0]))  # far too saturated
    assert not color.lab_in_gamut(np.array([100.0, 60.0, 0.0]))  # white can't be pink


# ------------------------------------------------------------------------------- the gamut rule


def test_out_of_gamut_colours_lose_saturation_not_lightness():
    L = np.linspace(5, 95, 200, dtype=np.float32)[None, :].repeat(4, 0)  # [4, 200]
    a = np.array([110, -110, 80, -60], np.float32)[:, None] * np.ones_like(L)
    b = np.array([110, -110, -100, 90], np.float32)[:, None] * np.ones_like(L)
    lab = np.stack([L, a, b], -1)  # [4, 200, 3], mostly outside sRGB
    out = color.lab_to_rgb_keep_L(lab)
    assert out.shape == (4, 200, 3) and out.dtype == np.uint8
    got = color.rgb_to_lab_np(out)
    assert np.abs(got[..., 0] - L).max() < 0.7  # the lightness stays
    naive = color.lab_to_rgb_np(lab)  # plain clipping changes L a lot
    assert np.abs(color.rgb_to_lab_np(naive)[..., 0] - L).max() > 5
    # the hue stays too (only the saturation is reduced), and some saturation is left
    hue_in, hue_out = np.arctan2(b, a), np.arctan2(got[..., 2], got[..., 1])
    chroma_out = np.hypot(got[..., 1], got[..., 2])
    turn = np.abs((hue_out - hue_in + np.pi) % (2 * np.pi) - np.pi)[chroma_out > 10]
    assert np.median(turn) < 0.1 and chroma_out.mean() > 20


def test_gamut_rule_leaves_colours_inside_the_gamut_alone():
    x = np.random.default_rng(11).integers(0, 256, (64, 3), dtype=np.uint8)
    lab = color.rgb_to_lab_np(x).astype(np.float32)
    assert np.abs(color.lab_to_rgb_keep_L(lab).astype(int) - x).max() <= 1
