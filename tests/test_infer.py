"""Full-resolution colorizing: size and lightness of the input kept, gray and 16-bit inputs, EXIF."""

import numpy as np
import pytest
from PIL import Image

keras = pytest.importorskip("keras")

from colorize_lib import color, infer, models  # noqa: E402


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    return models.build_unet(32, "MobileNetV2-0.35", weights=None)


def _photo(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A colourful picture with sharp edges: stripes and noise."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (h, w, 3)).astype(np.uint8)
    img[:, ::7] = [250, 30, 20]  # saturated red columns: sharp edges
    return img


def test_full_resolution_output_keeps_size_and_lightness(model):
    img = _photo(203, 317)  # not square, not a multiple of 32, larger than the working size
    out = infer.colorize(model, img)
    assert out.shape == img.shape and out.dtype == np.uint8
    L_in = color.rgb_to_lab_np(img)[..., 0]
    L_out = color.rgb_to_lab_np(out)[..., 0]
    assert np.abs(L_out - L_in).max() < 1.0  # the ORIGINAL lightness: edges stay sharp
    assert np.abs(color.rgb_to_lab_np(out)[..., 1:]).max() > 0.5  # and it has colours


@pytest.mark.parametrize("kind", ["2d_uint8", "1ch_float", "2d_uint16"])
def test_gray_inputs(model, kind):
    rng = np.random.default_rng(1)
    gray01 = rng.random((90, 70)).astype(np.float32)
    img = {
        "2d_uint8": np.round(gray01 * 255).astype(np.uint8),
        "1ch_float": gray01[..., None],
        "2d_uint16": np.round(gray01 * 65535).astype(np.uint16),
    }[kind]
    out = infer.colorize(model, img)
    assert out.shape == (90, 70, 3)
    rgb_gray = np.repeat(np.asarray(img, np.float64).reshape(90, 70, 1), 3, axis=-1)
    rgb_gray /= {"2d_uint8": 255.0, "1ch_float": 1.0, "2d_uint16": 65535.0}[kind]
    L_in = color.rgb_to_lab_np(rgb_gray)[..., 0]
    assert np.abs(color.rgb_to_lab_np(out)[..., 0] - L_in).max() < 1.0


def test_out_of_gamut_colours_lose_saturation_not_lightness():
    L = np.linspace(5, 95, 200, dtype=np.float32)[None, :].repeat(4, 0)  # [4, 200]
    a = np.array([110, -110, 80, -60], np.float32)[:, None] * np.ones_like(L)
    b = np.array([110, -110, -100, 90], np.float32)[:, None] * np.ones_like(L)
    out = infer.lab_to_rgb_keep_L(L, a, b)
    assert np.abs(color.rgb_to_lab_np(out)[..., 0] - L).max() < 0.7
    naive = color.lab_to_rgb_np(np.stack([L, a, b], -1))  # plain clipping changes L a lot
    assert np.abs(color.rgb_to_lab_np(naive)[..., 0] - L).max() > 5


def test_exif_orientation_and_16_bit_files(tmp_path):
    img = np.zeros((20, 40, 3), np.uint8)
    img[:, :20] = 255  # left half white
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    Image.fromarray(img).save(tmp_path / "phone.jpg", exif=exif, quality=95)
    upright = infer.read_image(tmp_path / "phone.jpg")
    assert upright.shape == (40, 20, 3)
    assert upright[:20].mean() > 200 and upright[20:].mean() < 50  # white half is now on top

    ramp = np.linspace(0, 65535, 64 * 48).astype(np.uint16).reshape(48, 64)
    Image.fromarray(ramp).save(tmp_path / "scan16.png")
    gray = infer.read_image(tmp_path / "scan16.png")
    assert gray.shape == (48, 64) and gray.dtype == np.float32
    assert len(np.unique(gray)) > 256  # 16 bits kept, not squeezed to 8


def test_colorize_file_writes_a_full_size_png(model, tmp_path):
    Image.fromarray(_photo(70, 100)).save(tmp_path / "in.jpg")
    out = infer.colorize_file(model, tmp_path / "in.jpg", tmp_path / "out" / "in.png")
    assert Image.open(out).size == (100, 70)


def test_bad_pictures_are_explained(model):
    with pytest.raises(ValueError, match="Expected a picture"):
        infer.colorize(model, np.zeros((4, 4, 5), np.uint8))
    with pytest.raises(ValueError, match="NaN"):
        infer.colorize(model, np.full((8, 8), np.nan, np.float32))
