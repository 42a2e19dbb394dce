"""Colorizing photos at any resolution.

The network works at a small size (its training size, e.g. 128x128), but a photo is often
4000x3000. The trick (used by most colorization work): colour varies slowly, detail lives in
the lightness. So

1. take the photo's own lightness ``L`` at full resolution (colour photos are made gray first);
2. shrink ``L`` to the working size (with antialiasing) and predict ``ab`` there;
3. enlarge ``ab`` back to the photo's size (bicubic) and put it next to the ORIGINAL ``L``.

The result has the photo's size and its exact lightness, so every edge stays as sharp as in the
input. Only ``L`` is ever full-size in float; ``ab`` stays small until the last step, and the
conversion back to RGB runs in bands of rows, so a 2048x1536 photo needs little memory.

Where a predicted colour lies outside what sRGB can show, its saturation is reduced (``a`` and
``b`` scaled towards 0) until it fits: the lightness is never changed to make a colour fit.

Command line: ``python -m colorize_lib colorize INPUT... --model unet.keras --out DIR``.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from colorize_lib import color

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif"}
DEFAULT_WORKING_SIZE = 256  # for models built without a fixed size
_BAND = 256  # rows converted to RGB at a time


# ----------------------------------------------------------------------------------------------
# Reading pictures
# ----------------------------------------------------------------------------------------------


def read_image(path: str | Path) -> np.ndarray:
    """A picture file as ``uint8 [H, W, 3]`` (colour) or ``float32 [H, W]`` in [0, 1] (gray).

    EXIF orientation is applied (a portrait photo from a phone comes out upright); 16-bit gray
    files keep their 16 bits; palette, alpha and CMYK pictures become RGB.
    """
    with Image.open(path) as im:
        im = ImageOps.exif_transpose(im)
        if im.mode in ("I;16", "I;16B", "I;16L", "I"):
            arr = np.asarray(im).astype(np.float32)
            top = 65535.0 if im.mode != "I" or arr.max() > 255 else 255.0
            return np.clip(arr / top, 0.0, 1.0)  # [H, W]
        if im.mode in ("L", "LA", "1"):
            return np.asarray(im.convert("L"), dtype=np.float32) / 255.0  # [H, W]
        if im.mode == "F":
            return np.clip(np.asarray(im, dtype=np.float32), 0.0, 1.0)
        return np.asarray(im.convert("RGB"))  # [H, W, 3] uint8


def lightness(image: Any) -> np.ndarray:
    """CIE ``L`` in [0, 100] of a picture, ``float32 [H, W]``.

    Colour: ``uint8``/``uint16``/float ``[H, W, 3]`` (the L of its Lab colour). Gray: ``[H, W]`` or
    ``[H, W, 1]``, read as the sRGB gray R = G = B, so a colour photo and its gray version have
    the same L.
    """
    img = np.asarray(image)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    if img.ndim == 3 and img.shape[-1] == 4:
        img = img[..., :3]
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[-1] != 3):
        raise ValueError(
            f"Expected a picture [H, W], [H, W, 1] or [H, W, 3], got shape {img.shape}."
        )
    if img.size == 0:
        raise ValueError("The picture is empty.")
    img = _to_unit_float(img)
    out = np.empty(img.shape[:2], np.float32)  # [H, W]
    w = color.XYZ_FROM_RGB[1].astype(np.float32)  # the Y row (white Y = 1)
    for r in range(0, img.shape[0], _BAND):
        band = color.srgb_to_linear(img[r : r + _BAND])
        y = band @ w if band.ndim == 3 else band  # [b, W] relative luminance
        out[r : r + _BAND] = _L_from_Y(y)
    return out


def _to_unit_float(img: np.ndarray) -> np.ndarray:
    if img.dtype == np.uint8:
        return img.astype(np.float32) / 255.0
    if img.dtype == np.uint16:
        return img.astype(np.float32) / 65535.0
    if np.issubdtype(img.dtype, np.floating):
        if not np.isfinite(img).all():
            raise ValueError("The picture contains NaN or infinite values.")
        return np.clip(img.astype(np.float32), 0.0, 1.0)
    raise ValueError(
        f"Unsupported picture dtype {img.dtype}: use uint8, uint16 or float in [0, 1]."
    )


def _L_from_Y(y: np.ndarray) -> np.ndarray:
    eps, kappa = 0.008856, 903.3
    return np.where(y > eps, 116.0 * np.cbrt(np.maximum(y, eps)) - 16.0, kappa * y).astype(
        np.float32
    )


# ----------------------------------------------------------------------------------------------
# Colorizing
# ----------------------------------------------------------------------------------------------


def working_size(model) -> int:
    """The size the model was trained at (its input size), or ``DEFAULT_WORKING_SIZE``."""
    size = model.input_shape[1]
    return int(size) if size else DEFAULT_WORKING_SIZE


def _resize(channel: np.ndarray, width: int, height: int, resample) -> np.ndarray:
    """Resize one float32 channel ``[h, w]`` with PIL (antialiased when shrinking)."""
    im = Image.fromarray(np.ascontiguousarray(channel, dtype=np.float32), mode="F")
    return np.asarray(im.resize((width, height), resample=resample), dtype=np.float32)


def predict_ab(model, L: np.ndarray, size: int | None = None) -> np.ndarray:
    """``ab`` (Lab units) predicted at the working size for a full-size ``L [H, W]``: ``[s, s, 2]``."""
    size = size or working_size(model)
    L_small = _resize(L, size, size, Image.Resampling.LANCZOS)  # [s, s] antialiased
    L_norm = (L_small / color.L_SCALE - 1.0)[None, ..., None]  # [1, s, s, 1]
    ab_norm = np.asarray(model.predict(L_norm, verbose=0), np.float32)[0]  # [s, s, 2]
    return ab_norm * color.AB_SCALE


def lab_to_rgb_keep_L(L: np.ndarray, a: np.ndarray, b: np.ndarray, steps: int = 10) -> np.ndarray:
    """Lab -> RGB ``uint8``; out-of-gamut colours lose saturation, never lightness.

    ``L, a, b``: ``float32 [h, w]``. Gray (a = b = 0) always fits, so for each pixel that does
    not fit, a bisection finds the largest factor ``t`` in [0, 1] for which ``L, t*a, t*b`` fits.
    """
    t = np.ones_like(L)  # [h, w]
    lin = _lab_to_linear(L, a, b)  # [h, w, 3]
    bad = ~_fits(lin)
    if bad.any():
        lo = np.zeros(int(bad.sum()), np.float32)
        hi = np.ones_like(lo)
        Lb, ab_, bb = L[bad], a[bad], b[bad]
        for _ in range(steps):
            mid = (lo + hi) / 2
            ok = _fits(_lab_to_linear(Lb, mid * ab_, mid * bb))
            lo = np.where(ok, mid, lo)
            hi = np.where(ok, hi, mid)
        t[bad] = lo
        lin[bad] = _lab_to_linear(Lb, lo * ab_, lo * bb)
    srgb = color.linear_to_srgb(np.clip(lin, 0.0, 1.0))
    return np.round(srgb * 255.0).astype(np.uint8)  # [h, w, 3]


def _fits(lin: np.ndarray, tol: float = 1e-4) -> np.ndarray:
    return ((lin >= -tol) & (lin <= 1.0 + tol)).all(axis=-1)


def _lab_to_linear(L: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Lab -> linear RGB ``[..., 3]`` (not clipped), float32."""
    fy = (L + 16.0) / 116.0
    f = np.stack([fy + a / 500.0, fy, fy - b / 200.0], axis=-1)  # [..., 3]
    xyz = np.where(f > 6.0 / 29.0, f**3, (f - 16.0 / 116.0) * (3 * (6.0 / 29.0) ** 2))
    xyz = xyz * color.WHITE_D65.astype(np.float32)
    return (xyz @ color.RGB_FROM_XYZ.T.astype(np.float32)).astype(np.float32)


def colorize(model, image: Any, size: int | None = None) -> np.ndarray:
    """Colorize a picture at its own resolution: ``uint8 [H, W, 3]`` RGB.

    ``image``: colour ``[H, W, 3]`` (made gray first) or gray ``[H, W]`` / ``[H, W, 1]``, as
    ``uint8``, ``uint16`` or float in [0, 1]. ``size``: working size (default: the model's).
    """
    L = lightness(image)  # [H, W] full resolution, the only full-size float array
    H, W = L.shape
    ab_small = predict_ab(model, L, size)  # [s, s, 2]
    out = np.empty((H, W, 3), np.uint8)
    a_full = _resize(ab_small[..., 0], W, H, Image.Resampling.BICUBIC)  # [H, W]
    b_full = _resize(ab_small[..., 1], W, H, Image.Resampling.BICUBIC)  # [H, W]
    for r in range(0, H, _BAND):  # convert in bands of rows: small temporaries
        rows = slice(r, r + _BAND)
        out[rows] = lab_to_rgb_keep_L(L[rows], a_full[rows], b_full[rows])
    return out


def colorize_file(model, path: str | Path, out_path: str | Path) -> Path:
    """Read ``path`` (EXIF orientation honoured), colorize it, write a PNG to ``out_path``."""
    rgb = colorize(model, read_image(path))
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(out_path, format="PNG")
    return out_path


def load_model(path: str | Path):
    """A trained ``.keras`` colorizer, with a clear error when it is missing or unreadable."""
    import keras

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"No model at {path}. Train one first: python -m colorize_lib train --data DIR "
            f"--out {path}"
        )
    try:
        return keras.models.load_model(path)
    except Exception as err:  # a truncated or foreign file: say which file
        raise ValueError(f"Could not read the model {path}: {err}") from err


# ----------------------------------------------------------------------------------------------
# Command line: python -m colorize_lib colorize
# ----------------------------------------------------------------------------------------------


def find_inputs(inputs: Iterable[str | Path]) -> list[tuple[Path, Path]]:
    """``(file, relative output name)`` for files and (recursively) folders of pictures.

    A file named explicitly is always tried; in folders, files with a picture suffix are taken
    and their sub-folders are kept in the output name, so equal names never collide.
    """
    found: list[tuple[Path, Path]] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            files = sorted(
                f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES
            )
            found += [(f, f.relative_to(p).with_suffix(".png")) for f in files]
        else:
            found.append((p, Path(p.stem + ".png")))
    return found


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m colorize_lib colorize``."""
    parser.formatter_class = argparse.ArgumentDefaultsHelpFormatter
    parser.description = (
        "Colorize photos at their full resolution with a trained U-Net. Writes one PNG per "
        "input (same name, .png) to --out; folders are searched recursively and their "
        "sub-folders kept. Unreadable inputs are reported at the end; the others are still done."
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="picture files or folders")
    parser.add_argument(
        "--model", default="unet.keras", help="the trained model (from 'train' or a chapter)"
    )
    parser.add_argument("--out", default="colorized", help="folder for the colorized PNGs")
    parser.add_argument(
        "--size",
        type=int,
        default=None,
        help="working size of the network; None means the size it was trained at",
    )


def main(args: argparse.Namespace) -> int:
    """Run ``python -m colorize_lib colorize``; exit code 1 if any input failed."""
    jobs = find_inputs(args.inputs)
    if not jobs:
        print(f"error: no pictures found in {', '.join(args.inputs)}")
        return 2
    try:
        model = load_model(args.model)
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}")
        return 2
    out_dir = Path(args.out)
    failed: list[tuple[Path, str]] = []
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        tqdm = None  # noqa: N806
    progress = tqdm(jobs, unit="photo", desc="colorizing") if tqdm else jobs
    for src, rel in progress:
        try:
            rgb = colorize(model, read_image(src), size=args.size)
        except (OSError, ValueError, Image.DecompressionBombError) as err:
            failed.append((src, f"{type(err).__name__}: {err}"))
            continue
        dst = out_dir / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rgb).save(dst, format="PNG")
    done = len(jobs) - len(failed)
    print(f"colorized {done} of {len(jobs)} pictures into {out_dir}/")
    if failed:
        print(f"{len(failed)} could not be colorized:")
        for src, why in failed:
            print(f"  {src}: {why}")
        return 1
    return 0
