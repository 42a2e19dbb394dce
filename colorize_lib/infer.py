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
``b`` scaled towards 0) until it fits: the lightness is never changed to make a colour fit
(``color.lab_to_rgb_keep_L``, the book's one gamut rule).

This is the book's one colorize path: ``colorize`` (one picture), ``colorize_batch`` (many: the
small ``L``'s are predicted in batches) and ``colorize_files`` (the command line's work) all go
through ``colorize_batch``. Prediction is one ``tf.function`` per (model, working size) with the
input signature ``[None, s, s, 1]``: traced once, then reused for every picture and batch size.

Command line: ``python -m colorize_lib colorize INPUT... --model unet.keras --out DIR``.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from colorize_lib import color
from colorize_lib.data import pictures

DEFAULT_WORKING_SIZE = 256  # for models built without a fixed size
OUTPUT_MARK = "colorize_lib colorize"  # in every PNG colorize_files writes: its own outputs
_BAND = 256  # rows converted to RGB at a time

# model -> {working size: tf.function}. Weak keys: a model that is gone takes its function along.
_PREDICTORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


# ----------------------------------------------------------------------------------------------
# Lightness
# ----------------------------------------------------------------------------------------------


def lightness(image: Any) -> np.ndarray:
    """CIE ``L`` in [0, 100] of a picture, ``float32 [H, W]``.

    Colour: ``uint8``/``uint16``/float ``[H, W, 3]`` (the L of its Lab colour; a 4th, alpha
    channel is ignored). Gray: ``[H, W]`` or ``[H, W, 1]``, read as the sRGB gray R = G = B, so a
    colour photo and its gray version have the same L.
    """
    img = np.asarray(image)
    if img.ndim == 3 and img.shape[-1] in (1, 4):
        img = img[..., 0] if img.shape[-1] == 1 else img[..., :3]
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
        out[r : r + _BAND] = color.L_from_Y(y)
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


# ----------------------------------------------------------------------------------------------
# Predicting ab
# ----------------------------------------------------------------------------------------------


def working_size(model, size: int | None = None) -> int:
    """``size`` if given, else the size the model was built for, else ``DEFAULT_WORKING_SIZE``."""
    if size:
        return int(size)
    built = model.inputs[0].shape[1] if takes_hints(model) else model.input_shape[1]
    return int(built) if built else DEFAULT_WORKING_SIZE


def takes_hints(model) -> bool:
    """Whether ``model`` is a hint U-Net (``models.build_hint_unet``: L, hint colours, mask)."""
    return len(getattr(model, "inputs", None) or ()) == 3


def channels(model) -> tuple[int, ...]:
    """The channels of each input: ``(1,)`` for a colorizer, ``hints.CHANNELS`` for a hint U-Net."""
    from colorize_lib import hints

    return hints.CHANNELS if takes_hints(model) else (1,)


class _Predict:
    """``model(L_norm)`` as float32, holding the model weakly (the cache must not keep it alive).

    A callable object rather than a closure: TensorFlow counts traces per Python function code,
    so closures made for six models look like one function retraced six times and trigger its
    "excessive retracing" warning; each ``_Predict`` counts on its own.
    """

    def __init__(self, model):
        self.model = weakref.ref(model)

    def __call__(self, *inputs):  # L_norm [B, s, s, 1] (+ hint maps) -> [B, s, s, 2]
        import tensorflow as tf

        x = list(inputs) if len(inputs) > 1 else inputs[0]
        return tf.cast(self.model()(x, training=False), tf.float32)


def predictor(model, size: int):
    """The model's prediction ``L_norm [B, s, s, 1] -> ab_norm [B, s, s, 2]`` as a ``tf.function``.

    Made once per (model, working size) and cached; its input signature ``[None, s, s, 1]`` makes
    TensorFlow trace it once, whatever the batch size (``model.predict`` pays its set-up cost on
    every call). ``predictor(...).experimental_get_tracing_count()`` says how often it was traced.
    """
    import tensorflow as tf

    per_model = _PREDICTORS.setdefault(model, {})
    if size not in per_model:
        signature = [tf.TensorSpec([None, size, size, c], tf.float32) for c in channels(model)]
        per_model[size] = tf.function(_Predict(model), input_signature=signature)
    return per_model[size]


def _predict_ab(model, L_small: np.ndarray, batch_size: int, hint_maps=None) -> np.ndarray:
    """``ab`` (Lab units) for small lightness pictures ``L_small [N, s, s]``: ``[N, s, s, 2]``.
    A hint U-Net also reads ``hint_maps`` = ``(hint_ab [N, s, s, 2], hint_mask [N, s, s, 1])``
    (``hints.maps``; none: no hints)."""
    N, s = L_small.shape[:2]
    predict = predictor(model, s)
    L_norm = (L_small / color.L_SCALE - 1.0)[..., None].astype(np.float32)  # [N, s, s, 1]
    inputs = [L_norm]
    if takes_hints(model):
        hint_maps = hint_maps or (np.zeros((N, s, s, 2), np.float32), np.zeros((N, s, s, 1)))
        inputs += [np.asarray(m, np.float32) for m in hint_maps]
    ab_norm = [
        predict(*(x[i : i + batch_size] for x in inputs)).numpy()
        for i in range(0, len(L_norm), batch_size)
    ]
    return np.concatenate(ab_norm) * color.AB_SCALE  # [N, s, s, 2]


# ----------------------------------------------------------------------------------------------
# Colorizing
# ----------------------------------------------------------------------------------------------


def _recombine(L: np.ndarray, ab_small: np.ndarray) -> np.ndarray:
    """Full-size ``L [H, W]`` + small ``ab [s, s, 2]`` (enlarged, bicubic) -> ``uint8 [H, W, 3]``."""
    H, W = L.shape
    ab = pictures.resize(ab_small, W, H, "bicubic")  # [H, W, 2]
    out = np.empty((H, W, 3), np.uint8)
    for r in range(0, H, _BAND):  # convert in bands of rows: small temporaries
        lab = np.concatenate([L[r : r + _BAND, :, None], ab[r : r + _BAND]], axis=-1)
        out[r : r + _BAND] = color.lab_to_rgb_keep_L(lab)  # [band, W, 3]
    return out


def colorize_batch(
    model, images: Sequence[Any], size: int | None = None, batch_size: int = 32, hints=None
) -> np.ndarray | list[np.ndarray]:
    """Colorize many pictures, each at its own resolution: ``uint8 [H, W, 3]`` each.

    ``images``: an array ``[N, H, W, 3]`` / ``[N, H, W]`` (then an array ``[N, H, W, 3]`` comes
    back) or a list of pictures of any sizes (then a list). Each picture as in ``colorize``. The
    small ``L``'s are predicted ``batch_size`` at a time; the result equals ``colorize`` picture
    by picture. ``hints`` (a hint U-Net only): one list of hints per picture, as ``colorize``
    takes them.
    """
    if hints is not None and not takes_hints(model):
        raise ValueError(f"{model.name} takes no hints: give a hint U-Net (models.build_hint_unet)")
    s = working_size(model, size)
    out: list[np.ndarray] = []
    for start in range(0, len(images), batch_size):
        Ls = [lightness(img) for img in images[start : start + batch_size]]  # [H, W] each
        L_small = np.stack([pictures.resize(L, s, s, "lanczos") for L in Ls])  # [B, s, s]
        maps = None
        if hints is not None:  # [B, s, s, 2] colours and [B, s, s, 1] masks
            from colorize_lib import hints as hint_maps

            per_picture = [hint_maps.maps(h, s) for h in hints[start : start + batch_size]]
            maps = tuple(np.stack(m) for m in zip(*per_picture, strict=True))
        ab_small = _predict_ab(model, L_small, batch_size, maps)  # [B, s, s, 2]
        out += [_recombine(L, ab) for L, ab in zip(Ls, ab_small, strict=True)]
    if not isinstance(images, np.ndarray):
        return out
    return np.stack(out) if out else np.zeros((0, *np.shape(images)[1:3], 3), np.uint8)


def colorize(model, image: Any, size: int | None = None, hints=None) -> np.ndarray:
    """Colorize a picture at its own resolution: ``uint8 [H, W, 3]`` RGB.

    ``image``: colour ``[H, W, 3]`` (made gray first) or gray ``[H, W]`` / ``[H, W, 1]``, as
    ``uint8``, ``uint16`` or float in [0, 1]. ``size``: working size (default: the model's).
    ``hints`` (a hint U-Net only): ``[(y, x, a_norm, b_norm)]`` on the working size's grid
    (``hints.place``, or a hints file's points through ``hints.on_grid``).
    """
    per_picture = None if hints is None else [hints]
    return colorize_batch(model, [image], size=size, batch_size=1, hints=per_picture)[0]


def colorize_with_hints(model, truth, k: int, where: str, seed: int = 0):
    """Each held-out picture of ``truth`` (uint8 [N, S, S, 3], at the working size) colorized
    with ``k`` hints placed by ``hints.place`` (``where``: random, or where the model without hints
    is most wrong), coloured as the truth: ``(outputs uint8 [N, S, S, 3], hints per picture)``."""
    from colorize_lib import hints

    truth = np.asarray(truth)
    ab = hints.truth_ab(truth)
    guess = (
        hints.truth_ab(colorize_batch(model, truth)) if where == "worst" else [None] * len(truth)
    )
    placed = [
        hints.place(ab[i], k, where, guess[i], seed=seed + i) if k else []
        for i in range(len(truth))
    ]
    return colorize_batch(model, truth, hints=placed), placed


def colorize_files(
    model,
    jobs: Iterable[tuple[Path, Path]],
    size: int | None = None,
    progress: bool = True,
    hints=None,
) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Colorize picture files into PNGs: ``jobs`` are ``(input file, output path)`` pairs
    (``jobs.plan`` decides them so that nothing is overwritten by mistake).

    Each file is read with ``pictures.read`` (EXIF orientation, 16-bit gray kept), colorized at
    its full resolution and written atomically (``pictures.write_png``). A file that cannot be
    read or written is recorded, not fatal. ``hints``: for a hint U-Net, as ``colorize`` takes
    them (the same for every file: ``colorize --hints`` gives one). Returns ``(written, [(file, reason), ...])``.
    """
    jobs = list(jobs)
    written: list[Path] = []
    failed: list[tuple[Path, str]] = []
    if progress:
        from tqdm import tqdm  # a text bar on a terminal, none in a notebook or a log

        jobs = tqdm(jobs, unit="photo", desc="colorizing", disable=None)
    for src, dst in jobs:
        try:
            rgb = colorize(model, pictures.read(src, keep_gray=True), size=size, hints=hints)
        except (OSError, ValueError) as err:  # pictures.ImageReadError is a ValueError
            failed.append((Path(src), f"{type(err).__name__}: {err}"))
            continue
        try:
            written.append(pictures.write_png(dst, rgb, mark=OUTPUT_MARK))
        except OSError as err:
            failed.append((Path(src), f"could not write {dst}: {err.strerror or err}"))
    return written, failed


def check_model_file(path: str | Path) -> Path:
    """``path`` if it can be a ``.keras`` model file (it exists and is a zip archive), else a
    clear error: the cheap checks of ``load_model``, made before Keras is imported."""
    import zipfile

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"No model at {path}. Train one first: python -m colorize_lib train --data DIR "
            f"--out {path}"
        )
    if not zipfile.is_zipfile(path):  # a .keras file is a zip archive
        raise ValueError(
            f"{path} is not a Keras model file (a .keras file is a zip archive; this one is "
            "truncated, damaged or of another kind). Train or copy the model again."
        )
    return path


def load_model(path: str | Path):
    """A trained ``.keras`` colorizer, refused once, up front, with the file and the reason
    when it is missing, damaged, or not a colorizer (``L_norm [B,H,W,1] -> ab_norm [B,H,W,2]``)."""
    path = check_model_file(path)
    import keras  # after the cheap checks: importing it takes seconds

    from colorize_lib import gan, models  # gan: a GAN checkpoint names its class

    try:
        model = keras.models.load_model(path, compile=False)
    except Exception as err:  # a damaged archive or a foreign model: say which file and why
        reason = str(err).strip().splitlines()[0][:200] if str(err).strip() else type(err).__name__
        raise ValueError(f"Could not read the model {path}: {reason}") from None
    if isinstance(model, gan.ColorizationGAN):  # a checkpoint of train-gan: its generator
        model = model.generator
    try:
        models.check_colorizer(model)
    except ValueError as err:
        raise ValueError(f"{path} is not a colorizer: {err}") from None
    return model
