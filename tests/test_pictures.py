"""colorize_lib.data.pictures: the decoding rules, crop and resize, PNG encoding, the atomic write."""

import base64
import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorize_lib.data import pictures


def _decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


# ----------------------------------------------------------------------------------------------
# decoding
# ----------------------------------------------------------------------------------------------


def test_exif_orientation_is_applied(tmp_path):
    img = np.zeros((20, 40, 3), np.uint8)  # stored landscape: left red, right blue
    img[:, :20] = (255, 0, 0)
    img[:, 20:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6  # display rotated 90 degrees clockwise
    Image.fromarray(img).save(tmp_path / "rot.jpg", exif=exif, quality=95)
    out = pictures.read(tmp_path / "rot.jpg")
    assert out.shape == (40, 20, 3) and out.dtype == np.uint8, "portrait after rotation"
    assert out[5, 10, 0] > 200 and out[5, 10, 2] < 60, "the stored left (red) is now on top"
    assert out[35, 10, 2] > 200 and out[35, 10, 0] < 60
    square, _ = pictures.read_square(tmp_path / "rot.jpg", 20)  # the crop sees it upright too
    assert square[2, 10, 0] > 200 and square[17, 10, 2] > 200  # red on top, blue below


def test_16_bit_gray_keeps_16_bits_as_gray_and_is_scaled_as_rgb(tmp_path):
    ramp = np.linspace(0, 65535, 64 * 48).astype(np.uint16).reshape(48, 64)
    Image.fromarray(ramp).save(tmp_path / "scan16.png")
    gray = pictures.read(tmp_path / "scan16.png", keep_gray=True)
    assert gray.shape == (48, 64) and gray.dtype == np.float32
    assert len(np.unique(gray)) > 256  # 16 bits kept, not squeezed to 8
    np.testing.assert_allclose(gray, ramp / 65535.0, atol=1e-6)
    rgb = pictures.read(tmp_path / "scan16.png")
    assert rgb.shape == (48, 64, 3) and rgb.dtype == np.uint8
    np.testing.assert_array_equal(rgb[..., 1], np.floor(ramp / 257 + 0.5).astype(np.uint8))


def test_8_bit_gray_stays_gray_only_when_asked(tmp_path):
    Image.new("L", (30, 20), 77).save(tmp_path / "g.png")
    gray = pictures.read(tmp_path / "g.png", keep_gray=True)
    assert gray.shape == (20, 30) and gray.dtype == np.float32
    np.testing.assert_allclose(gray, 77 / 255)
    assert (pictures.read(tmp_path / "g.png") == 77).all()  # [20, 30, 3], R = G = B


def test_palette_and_cmyk_become_rgb(tmp_path):
    pal = Image.new("RGB", (30, 30), (10, 120, 240))
    pal.convert("P", palette=Image.Palette.ADAPTIVE, colors=4).save(tmp_path / "pal.png")
    assert np.abs(pictures.read(tmp_path / "pal.png")[5, 5].astype(int) - [10, 120, 240]).max() <= 2
    Image.new("CMYK", (30, 30), (255, 0, 0, 0)).save(tmp_path / "cyan.jpg", quality=95)
    cyan = pictures.read(tmp_path / "cyan.jpg")[15, 15]
    assert cyan[0] < 40 and cyan[1] > 200 and cyan[2] > 200, f"CMYK cyan became {cyan}"


@pytest.mark.parametrize("keep_gray", [False, True])
def test_alpha_is_composited_on_white(tmp_path, keep_gray):
    rgba = Image.new("RGBA", (40, 40), (0, 0, 255, 255))
    rgba.paste((0, 0, 0, 0), (0, 0, 20, 40))  # left half fully transparent (and black)
    rgba.paste((0, 0, 0, 128), (0, 0, 20, 10))  # a half-transparent black strip
    rgba.save(tmp_path / "rgba.png")
    out = pictures.read(tmp_path / "rgba.png").astype(int)
    assert (out[20, 2] >= 254).all(), "transparent pixels are composited on white"
    assert np.abs(out[20, 30] - [0, 0, 255]).max() <= 1, "opaque pixels stay"
    assert np.abs(out[5, 2] - 127).max() <= 1, "half-transparent black on white: mid gray"
    la = Image.new("LA", (40, 40), (0, 0))  # gray with alpha: the same rule
    la.paste((200, 255), (20, 0, 40, 40))
    la.save(tmp_path / "la.png")
    g = pictures.read(tmp_path / "la.png", keep_gray=keep_gray)
    if keep_gray:
        assert g.shape == (40, 40)
        assert g[5, 5] == 1.0 and abs(g[5, 30] - 200 / 255) < 1e-6
    else:
        assert (g[5, 5] == 255).all() and (g[5, 30] == 200).all()


def test_bad_files_raise_a_clear_error(tmp_path):
    good = io.BytesIO()
    Image.new("RGB", (200, 200), (1, 2, 3)).save(good, "JPEG")
    (tmp_path / "cut.jpg").write_bytes(good.getvalue()[: len(good.getvalue()) // 3])
    with pytest.raises(pictures.ImageReadError, match="truncated"):
        pictures.read(tmp_path / "cut.jpg")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(pictures.ImageReadError, match="empty"):
        pictures.read(tmp_path / "empty.png")
    (tmp_path / "notes.jpg").write_text("not a picture")
    with pytest.raises(pictures.ImageReadError, match="not a readable picture"):
        pictures.read(tmp_path / "notes.jpg")
    Image.new("RGB", (10, 10)).save(tmp_path / "tiny.png")
    with pytest.raises(pictures.ImageReadError, match="smaller than 16"):
        pictures.read(tmp_path / "tiny.png", min_side=16)
    assert issubclass(pictures.ImageReadError, ValueError)


def test_read_square_crops_the_centre_then_resizes(tmp_path):
    img = np.zeros((30, 90, 3), np.uint8)  # wide: left third red, middle green, right blue
    img[:, :30] = (255, 0, 0)
    img[:, 30:60] = (0, 255, 0)
    img[:, 60:] = (0, 0, 255)
    Image.fromarray(img).save(tmp_path / "wide.png")
    out, upscaled = pictures.read_square(tmp_path / "wide.png", 20)
    assert out.shape == (20, 20, 3) and upscaled is False
    assert (np.abs(out.astype(int) - [0, 255, 0]).max(axis=-1) <= 3).all(), "only the centre square"
    big, upscaled = pictures.read_square(tmp_path / "wide.png", 64)
    assert big.shape == (64, 64, 3) and upscaled is True


def test_huge_jpeg_is_decoded_without_full_size_memory(tmp_path):
    """An 8000x6000 JPEG (144 MB decoded) is read to 64x64 with a small rise in peak memory."""
    path = tmp_path / "huge.jpg"
    make = "from PIL import Image; Image.new('RGB', (8000, 6000), (90, 140, 200)).save(r'%s', quality=80)"
    subprocess.run([sys.executable, "-c", make % path], check=True)
    probe = textwrap.dedent(
        f"""
        import resource
        from colorize_lib.data import pictures
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out, up = pictures.read_square(r'{path}', 64)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        assert out.shape == (64, 64, 3) and not up, out.shape
        assert abs(int(out[32, 32, 2]) - 200) < 6, out[32, 32]
        print((after - before) / 1024)
        """
    )
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    growth_mb = float(res.stdout.strip().splitlines()[-1])
    assert growth_mb < 40, f"peak memory grew by {growth_mb:.0f} MB (a full decode is 144 MB)"


# ----------------------------------------------------------------------------------------------
# crop and resize
# ----------------------------------------------------------------------------------------------


def test_center_crop():
    img = np.arange(5 * 8 * 3, dtype=np.uint8).reshape(5, 8, 3)
    np.testing.assert_array_equal(pictures.center_crop(img), img[:, 1:6])  # (8 - 5) // 2 = 1
    np.testing.assert_array_equal(pictures.center_crop(img, 5), img[:, 1:6])  # no resampling
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (60, 100, 3), dtype=np.uint8)
    small = pictures.center_crop(photo, 20)  # shrinking: Lanczos, as PIL does it
    want = Image.fromarray(photo[:, 20:80]).resize((20, 20), Image.Resampling.LANCZOS)
    np.testing.assert_array_equal(small, np.asarray(want))
    big = pictures.center_crop(photo, 90)  # enlarging: bicubic
    want = Image.fromarray(photo[:, 20:80]).resize((90, 90), Image.Resampling.BICUBIC)
    np.testing.assert_array_equal(big, np.asarray(want))


def test_resize_float_planes_and_uint8():
    plane = np.linspace(0, 100, 12 * 16, dtype=np.float32).reshape(12, 16)  # e.g. Lab's L
    out = pictures.resize(plane, 8, 6)
    assert out.shape == (6, 8) and out.dtype == np.float32
    assert 0 <= out.min() and out.max() <= 100 and abs(out.mean() - 50) < 2
    ab = np.stack([plane, -plane], axis=-1)  # [12, 16, 2]
    both = pictures.resize(ab, 32, 24, "bicubic")
    assert both.shape == (24, 32, 2)
    np.testing.assert_allclose(both[..., 1], -both[..., 0], atol=1e-4)
    rgb = np.zeros((10, 10, 3), np.uint8)
    assert pictures.resize(rgb, 5, 4).shape == (4, 5, 3)
    with pytest.raises(ValueError, match="lanczos"):
        pictures.resize(rgb, 5, 5, "nearest")


# ----------------------------------------------------------------------------------------------
# encoding and writing
# ----------------------------------------------------------------------------------------------


def test_png_bytes_and_data_uri_round_trip():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    np.testing.assert_array_equal(_decode(pictures.to_png_bytes(rgb)), rgb)
    gray = rgb.mean(-1) / 255.0  # [H, W] float
    np.testing.assert_array_equal(
        _decode(pictures.to_png_bytes(gray)), np.round(gray * 255).astype(np.uint8)
    )
    uri = pictures.to_data_uri(rgb)
    assert uri.startswith("data:image/png;base64,")
    np.testing.assert_array_equal(_decode(base64.b64decode(uri.split(",", 1)[1])), rgb)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        pictures.to_png_bytes(np.full((4, 4, 3), 200.0))
    with pytest.raises(ValueError, match="shape"):
        pictures.to_png_bytes(np.zeros((4, 4, 5)))


def test_write_png(tmp_path):
    rgb = np.random.default_rng(1).integers(0, 256, (12, 16, 3), dtype=np.uint8)
    path = pictures.write_png(tmp_path / "sub" / "out.png", rgb)
    assert path == tmp_path / "sub" / "out.png"
    np.testing.assert_array_equal(np.asarray(Image.open(path)), rgb)
    assert os.listdir(tmp_path / "sub") == ["out.png"]


def test_a_failure_mid_write_leaves_no_file_under_the_final_name(tmp_path, monkeypatch):
    rgb = np.zeros((64, 64, 3), np.uint8)

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)  # fails after the bytes are written
    with pytest.raises(OSError, match="No space"):
        pictures.write_png(tmp_path / "new.png", rgb)
    assert list(tmp_path.iterdir()) == []  # neither the PNG nor its temporary file

    # an existing file keeps its old content when the new write fails
    monkeypatch.undo()
    old = pictures.write_png(tmp_path / "old.png", np.full((8, 8, 3), 7, np.uint8))
    before = old.read_bytes()

    class Broken(Exception):
        pass

    def half_written(self, fp, format=None, **kw):
        Path(fp).write_bytes(b"\x89PNG\r\n\x1a\n half a picture")  # the temporary file
        raise Broken("the process died here")

    monkeypatch.setattr(Image.Image, "save", half_written)
    with pytest.raises(Broken):
        pictures.write_png(old, rgb)
    assert old.read_bytes() == before
    assert sorted(p.name for p in Path(tmp_path).iterdir()) == ["old.png"]
