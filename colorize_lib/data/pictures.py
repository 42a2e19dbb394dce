"""Pictures: files to arrays and back, with one set of rules for the whole book.

Reading (``read``, ``read_square``):

- **files**: the extensions in ``IMAGE_EXTENSIONS`` (JPEG, PNG, WebP, BMP, TIFF, GIF); anything
  PIL opens is tried when a file is named explicitly.
- **orientation**: the EXIF orientation is applied, so a phone's portrait photo comes out upright.
- **bit depth**: 8- and 16-bit. 16-bit gray keeps its 16 bits when the caller asks for gray
  (``keep_gray=True``: ``float32 [H, W]`` in [0, 1]); as RGB it is scaled to 8 bits (v / 257,
  rounded), never clipped.
- **modes**: gray, palette, CMYK (PIL inverts Adobe CMYK JPEGs), YCbCr ... become RGB ``uint8
  [H, W, 3]``; with ``keep_gray=True`` gray files stay gray ``float32 [H, W]``.
- **alpha** (one rule): transparent pixels are **composited on white**, for every mode that has
  transparency (RGBA, LA, PA, or a transparency key), as a page shows a logo.
- **bad files** (empty, truncated, not a picture, over ``MAX_PIXELS``) raise ``ImageReadError``
  with the reason, so a caller can skip them and say why.

Shaping: ``center_crop`` (the largest centred square, optionally resized: Lanczos when
shrinking, bicubic when enlarging) and ``resize`` (``uint8`` pictures or ``float32`` planes).

Writing: ``as_uint8`` (any picture to ``uint8``), ``to_png_bytes``, ``to_data_uri`` (an ``<img>``
that needs no file) and ``write_png`` (atomic: a crash never leaves half a PNG under the name).
"""

from __future__ import annotations

import base64
import io
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from colorize_lib.data import files

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif"}
)
MAX_PIXELS = 200_000_000  # larger pictures are refused (decompression-bomb guard)

_WIDE_GRAY = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")  # 16/32-bit integer and float gray
_GRAY = ("1", "L", "LA", "La")
_ALPHA = ("RGBA", "RGBa", "LA", "La", "PA")


class ImageReadError(ValueError):
    """One file cannot be used as a picture (the reason is the message)."""


# ----------------------------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------------------------


def _open(path: str | os.PathLike, min_side: int, draft: int | None = None):
    """The decoded, upright PIL image of ``path``; ``ImageReadError`` says why it cannot be.

    ``draft``: for JPEGs, decode at 1/2, 1/4 or 1/8 scale when that still gives at least
    ``draft`` pixels a side (an 8000x6000 photo then never exists in memory at full size).
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    try:
        if path.stat().st_size == 0:
            raise ImageReadError("empty file (0 bytes)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path)
        with im:
            w, h = im.size
            if w * h > MAX_PIXELS:
                raise ImageReadError(f"{w}x{h} is over {MAX_PIXELS:,} pixels (skipped)")
            if min(w, h) < min_side:
                raise ImageReadError(f"{w}x{h} is smaller than {min_side} pixels")
            if draft is not None and im.format == "JPEG":
                im.draft(None, (draft, draft))
            im.load()
            return ImageOps.exif_transpose(im)  # a copy, upright; the file can close
    except ImageReadError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError) as e:
        raise ImageReadError(f"not a readable picture ({type(e).__name__})") from None
    except (OSError, ValueError, SyntaxError, EOFError) as e:  # truncated, corrupt data
        raise ImageReadError(
            f"corrupt or truncated ({str(e) or type(e).__name__}); re-export or re-download it"
        ) from None


def _to_array(im, keep_gray: bool) -> np.ndarray:
    """PIL image -> ``uint8 [H, W, 3]``, or ``float32 [H, W]`` in [0, 1] for gray if asked."""
    from PIL import Image

    mode = im.mode
    if mode in _WIDE_GRAY:
        gray = np.asarray(im, dtype=np.float32)  # [H, W]
        top = gray.max(initial=0.0)
        if mode == "F":
            scale = 1.0 if top <= 1.0 else 255.0  # floats in [0, 1], or 0..255
        else:
            scale = 65535.0 if mode.startswith("I;16") or top > 255 else 255.0
        gray = np.clip(gray / scale, 0.0, 1.0)
        if keep_gray:
            return gray
        g8 = np.floor(gray * 255.0 + 0.5).astype(np.uint8)  # 16 -> 8 bits, rounded
        return np.repeat(g8[..., None], 3, axis=-1)  # [H, W, 3]
    if mode in _ALPHA or "transparency" in im.info:  # the alpha rule: composite on white
        rgba = im.convert("RGBA")
        im = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    if keep_gray and mode in _GRAY:
        return np.asarray(im.convert("L"), dtype=np.float32) / 255.0  # [H, W]
    return np.asarray(im.convert("RGB"), dtype=np.uint8)  # [H, W, 3]


def read(path: str | os.PathLike, keep_gray: bool = False, min_side: int = 1) -> np.ndarray:
    """A picture file at its own size: ``uint8 [H, W, 3]``.

    With ``keep_gray=True`` a gray file comes back as ``float32 [H, W]`` in [0, 1] instead (16-bit
    scans keep their precision). Raises ``ImageReadError`` (see the module docstring's rules).
    """
    return _to_array(_open(path, min_side), keep_gray)


def read_square(path: str | os.PathLike, size: int, min_side: int = 1) -> tuple[np.ndarray, bool]:
    """A picture file centre-cropped and resized to ``uint8 [size, size, 3]``.

    Returns ``(picture, upscaled)``: ``upscaled`` is True when the square was smaller than
    ``size`` and had to be enlarged. Large JPEGs are decoded at a reduced scale first.
    """
    img = _to_array(_open(path, min_side, draft=size), keep_gray=False)  # [H, W, 3]
    return center_crop(img, size), min(img.shape[:2]) < size


# ----------------------------------------------------------------------------------------------
# Cropping and resizing
# ----------------------------------------------------------------------------------------------


def resize(img: Any, width: int, height: int, method: str = "lanczos") -> np.ndarray:
    """Resize a picture to ``[height, width, ...]`` with PIL.

    ``img``: ``uint8 [H, W]``, ``[H, W, 3]`` or ``[H, W, 4]`` (resized as a whole), or floats
    ``[H, W]`` / ``[H, W, C]`` (each channel as a ``float32`` plane, e.g. Lab's L or ab).
    ``method``: ``"lanczos"`` (antialiased: for shrinking) or ``"bicubic"`` (for enlarging).
    """
    from PIL import Image

    methods = {"lanczos": Image.Resampling.LANCZOS, "bicubic": Image.Resampling.BICUBIC}
    if method not in methods:
        raise ValueError(f"method must be 'lanczos' or 'bicubic', got {method!r}.")
    arr, size = np.asarray(img), (int(width), int(height))
    if arr.dtype == np.uint8 and (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[-1] in (3, 4))):
        return np.asarray(Image.fromarray(arr).resize(size, methods[method]))
    planes = arr[..., None] if arr.ndim == 2 else arr  # [H, W, C]
    out = np.empty((size[1], size[0], planes.shape[-1]), np.float32)  # [h, w, C]
    for c in range(planes.shape[-1]):
        plane = Image.fromarray(np.ascontiguousarray(planes[..., c], dtype=np.float32))
        out[..., c] = np.asarray(plane.resize(size, methods[method]), dtype=np.float32)
    return out[..., 0] if arr.ndim == 2 else out


def center_crop(img: Any, size: int | None = None) -> np.ndarray:
    """The largest centred square of ``img [H, W, ...]``, resized to ``size`` if given.

    The rule every source and chapter follows: crop, then resize with Lanczos when shrinking,
    bicubic when enlarging. Without ``size`` (or when it is the square's side): the crop itself.
    """
    img = np.asarray(img)
    h, w = img.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    crop = img[top : top + side, left : left + side]  # [side, side, ...]
    if size is None or size == side:
        return crop
    return resize(crop, size, size, "bicubic" if side < size else "lanczos")


# ----------------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------------


def as_uint8(img: Any) -> np.ndarray:
    """A picture as ``uint8``: ``[H, W, 3]`` RGB, ``[H, W, 4]`` RGBA or ``[H, W]`` gray.

    Accepts ``uint8`` as is, floats in [0, 1] (scaled by 255 and rounded; a little outside is
    clipped), ``[H, W, 1]`` (squeezed to gray), and TensorFlow tensors (``.numpy()``).
    """
    if hasattr(img, "numpy") and not isinstance(img, np.ndarray):
        img = img.numpy()
    arr = np.asarray(img)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[-1] not in (3, 4)):
        raise ValueError(
            f"Expected a picture [H, W], [H, W, 1], [H, W, 3] or [H, W, 4], got shape {arr.shape}."
        )
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == bool:
        return arr.astype(np.uint8) * 255
    if np.issubdtype(arr.dtype, np.integer):
        if arr.min() < 0 or arr.max() > 255:
            raise ValueError(f"Integer pictures must hold 0..255, got {arr.min()}..{arr.max()}.")
        return arr.astype(np.uint8)
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise ValueError("The picture holds NaN or infinite values; nothing sensible to show.")
    if arr.min() < -0.01 or arr.max() > 1.01:
        raise ValueError(
            f"Float pictures must lie in [0, 1], got values in [{arr.min():.3g}, {arr.max():.3g}]. "
            "Divide 0..255 values by 255, or convert Lab to RGB first (color.lab_to_rgb_np)."
        )
    return np.round(np.clip(arr, 0, 1) * 255).astype(np.uint8)


def to_png_bytes(img: Any) -> bytes:
    """A picture (anything ``as_uint8`` accepts) encoded as PNG bytes."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(as_uint8(img)).save(buf, format="PNG")
    return buf.getvalue()


def to_data_uri(img: Any) -> str:
    """``data:image/png;base64,...``: a picture for an ``<img src=...>`` that needs no file."""
    return "data:image/png;base64," + base64.b64encode(to_png_bytes(img)).decode("ascii")


def write_png(path: str | os.PathLike, img: Any, mark: str | None = None) -> Path:
    """Write a picture as a PNG file, all or nothing (``files.atomic_write``); returns the path.

    A crash or a full disk leaves either the old file or the new one under ``path``, never
    half a PNG. ``mark``: a text stored in the PNG (its ``Software`` chunk), so that a later run
    can tell its own outputs from anyone else's files (``png_mark``).
    """
    from PIL import Image, PngImagePlugin

    arr = as_uint8(img)  # bad input fails here, before anything is written
    info = None
    if mark is not None:
        info = PngImagePlugin.PngInfo()
        info.add_text("Software", mark)
    return files.atomic_write(
        path, lambda tmp: Image.fromarray(arr).save(tmp, format="PNG", pnginfo=info)
    )


def png_mark(path: str | os.PathLike) -> str | None:
    """The ``Software`` text of a PNG file that ``write_png`` marked; ``None`` for any other
    file (another PNG, another format, unreadable). Reads the chunks before the pixels only
    (``write_png`` puts its mark there)."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            return im.info.get("Software") if im.format == "PNG" else None
    except Exception:  # not a picture, truncated, unreadable: not ours
        return None
