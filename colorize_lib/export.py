"""Exporting a trained colorizer for a web page: ONNX, run in the reader's browser.

``export(model_path, out_dir)`` writes two files:

- ``<name>.onnx``: the network ``L_norm [B, s, s, 1] -> ab_norm [B, s, s, 2]``, converted by
  Keras 3's own ``model.export(path, format="onnx")`` (TensorFlow -> ``tf2onnx``). The page runs
  it with ``onnxruntime-web`` (WebAssembly), so nothing is sent anywhere.
- ``<name>.json``: what the page needs to use it the way ``infer.colorize`` does: the working
  size, the input and output names, the scaling (``L_norm = L / 50 - 1``, ``ab = ab_norm * 110``),
  whether the weights are float16, the file sizes and the SHA-256 of the ``.keras`` file it came
  from, and how far the ONNX network's output is from Keras' on a random batch.

``float16=True`` stores the weights in half precision (``onnxconverter-common``): half the bytes
to download; the input and output stay float32, so the page is the same. The JSON records the
difference that costs (``max_abs_diff``, in ``ab_norm`` units: multiply by 110 for Lab units).

Both files are written all or nothing (``files.atomic_path``); the ``.keras`` file is never
written over, and existing outputs only with ``overwrite=True``. A GAN checkpoint of
``train-gan`` exports its generator, as ``infer.load_model`` reads it.

Command line: ``python -m colorize_lib export --model unet.keras --out DIR [--float16]``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import io
import logging
import os
from pathlib import Path

import numpy as np

from colorize_lib import color, infer
from colorize_lib.data import files
from colorize_lib.training import cards

NEEDS = ("tf2onnx", "onnx")  # the `export` extra of pyproject.toml (with onnxconverter-common)
FORMAT = "colorize-book web model 1"  # the JSON's first key: what wrote it
INSTALL_HINT = "pip install 'colorize-lib[export]' (tf2onnx, onnx, onnxconverter-common)"


class ExportError(ValueError):
    """The export cannot be done as asked (missing package, refused output)."""


@dataclasses.dataclass(frozen=True)
class Exported:
    """What ``export`` wrote, and its record (the JSON's content)."""

    onnx: Path
    json: Path
    info: dict


def check_installed(float16: bool = False) -> None:
    """Raise ``ExportError`` naming the extra to install when a converter package is missing."""
    needed = NEEDS + (("onnxconverter_common",) if float16 else ())
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if missing:
        raise ExportError(f"exporting to ONNX needs {', '.join(missing)}: {INSTALL_HINT}")


def outputs(
    model_path: str | Path, out_dir: str | Path, name: str | None = None, overwrite: bool = False
) -> tuple[Path, Path]:
    """The two files ``export`` writes, ``out_dir/<name>.onnx`` and ``.json`` (``name``: the
    model file's stem by default), checked before any work: never the model itself, and files
    that exist only with ``overwrite``. Raises ``ExportError``."""
    model_path, out_dir = Path(model_path), Path(out_dir)
    name = name or model_path.stem
    if Path(name).name != name or name in ("", ".", "..") or "\\" in name or name.startswith("."):
        raise ExportError(
            f"--name {name!r}: give a plain file name without folders (the files go into --out)"
        )
    targets = out_dir / f"{name}.onnx", out_dir / f"{name}.json"
    for target in targets:
        if target.resolve() == model_path.resolve():
            raise ExportError(f"{target} is the model itself: choose another --out or --name")
    existing = [str(t) for t in targets if t.exists()]
    if existing and not overwrite:
        raise ExportError(
            f"{', '.join(existing)} already exist(s): pass --overwrite to replace, or choose "
            "another --out"
        )
    return targets


@contextlib.contextmanager
def _quiet():
    """tf2onnx logs every step of its conversion (and Keras prints a line): keep them out of a
    notebook's output. Errors still raise."""
    logger = logging.getLogger("tf2onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        logger.setLevel(level)


def to_onnx(model, path: Path, size: int) -> None:
    """Write ``model`` (a float32 Keras colorizer) to ``path`` as ONNX, batch size free."""
    import tensorflow as tf

    zeros = [np.zeros((1, size, size, c), np.float32) for c in infer.channels(model)]
    model(zeros if len(zeros) > 1 else zeros[0], training=False)  # export needs a called model
    names = [i.name for i in model.inputs] if getattr(model, "inputs", None) else ["L_norm"]
    signature = [
        tf.TensorSpec([None, size, size, c], tf.float32, name=name)
        for c, name in zip(infer.channels(model), names, strict=True)
    ]
    with _quiet():
        # one argument: the picture, or (a hint U-Net) the list of its three inputs
        signature = signature if len(signature) == 1 else [signature]
        model.export(str(path), format="onnx", input_signature=signature, verbose=False)


def to_float16(path: Path) -> None:
    """Store the weights of the ONNX file at ``path`` as float16, in place; inputs and outputs
    stay float32 (``keep_io_types``), so the page feeds and reads the same arrays."""
    import warnings

    import onnx
    from onnxconverter_common import float16

    with warnings.catch_warnings():  # "the float32 number 1e-8 will be truncated to 1e-7"
        warnings.simplefilter("ignore", UserWarning)
        model = float16.convert_float_to_float16(onnx.load(str(path)), keep_io_types=True)
    onnx.save(model, str(path))


def max_difference(model, path: Path, size: int, n: int = 2, seed: int = 0) -> float | None:
    """Largest ``|ONNX - Keras|`` on ``n`` random ``L_norm`` pictures (ab_norm units), or None
    when ``onnxruntime`` is not installed."""
    if importlib.util.find_spec("onnxruntime") is None:
        return None
    import onnxruntime as ort

    rng = np.random.default_rng(seed)
    x = [rng.uniform(-1, 1, (n, size, size, c)).astype(np.float32) for c in infer.channels(model)]
    if len(x) == 3:  # hints: a mask of 0 and 1, colours only where it is 1
        x[2] = (x[2] > 0.8).astype(np.float32)
        x[1] *= x[2]
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {i.name: v for i, v in zip(session.get_inputs(), x, strict=True)})
    want = np.asarray(model(x if len(x) > 1 else x[0], training=False), np.float32)
    return float(np.abs(got - want).max())


def _as_float32(model):
    """``model`` if it computes in float32, else a float32 copy (ONNX export needs float32; a
    U-Net trained on a GPU in mixed precision computes in float16)."""
    if all(layer.dtype_policy.name == "float32" for layer in model.layers):
        return model
    from colorize_lib import models

    return models.copy_model(model, dtype="float32")


def export(
    model_path: str | Path,
    out_dir: str | Path,
    name: str | None = None,
    float16: bool = False,
    overwrite: bool = False,
    model=None,
    label: str | None = None,
) -> Exported:
    """Export the ``.keras`` colorizer at ``model_path`` to ``out_dir/<name>.onnx`` + ``.json``.

    ``name`` defaults to the model file's stem, ``label`` (how the page names the model) to
    ``name``. ``model``: the file's model when the caller has
    it loaded already (zoo's models: saves reading it again). Raises ``ExportError`` (a
    ``ValueError``) for a missing converter package or a refused output, and
    ``infer.load_model``'s errors for a file that is not a colorizer.
    """
    model_path = Path(model_path)
    onnx_path, json_path = outputs(model_path, out_dir, name, overwrite)
    name = onnx_path.stem
    check_installed(float16)
    if model is None:
        model = infer.load_model(model_path)  # a GAN checkpoint gives its generator
    model = _as_float32(model)
    size = infer.working_size(model)
    with files.atomic_path(onnx_path) as tmp:
        to_onnx(model, tmp, size)
        if float16:
            to_float16(tmp)
        diff = max_difference(model, tmp, size)
    import onnx

    graph = onnx.load(str(onnx_path), load_external_data=False).graph
    card = cards.read(model_path)  # what it learned from ({} when none was recorded)
    info = {
        "format": FORMAT,
        "name": name,
        "label": label or name,
        "file": onnx_path.name,
        "working_size": size,
        "input": graph.input[0].name,
        "inputs": [i.name for i in graph.input],  # a hint U-Net: L, hint colours, hint mask
        "output": graph.output[0].name,
        "L_scale": color.L_SCALE,  # L_norm = L / L_scale - 1
        "ab_scale": color.AB_SCALE,  # ab = ab_norm * ab_scale
        "float16": bool(float16),
        "bytes": os.path.getsize(onnx_path),
        "sha256": files.sha256(onnx_path),
        "parameters": int(model.count_params()),
        "max_abs_diff": diff,  # |ONNX - Keras| in ab_norm units, on random input
        "keras_file": model_path.name,
        "keras_sha256": files.sha256(model_path),
        "keras_bytes": os.path.getsize(model_path),
        "card": card,
        "card_lines": cards.lines(card),  # the card as the page shows it
    }
    files.write_json(json_path, info)
    return Exported(onnx_path, json_path, info)


def describe(exported: Exported) -> str:
    """One line: the file, its size, float16 or not, and the difference to Keras in Lab units."""
    info = exported.info
    diff = info["max_abs_diff"]
    agree = "" if diff is None else f", max |ONNX - Keras| {diff * color.AB_SCALE:.2g} Lab units"
    return (
        f"{exported.onnx.name}: {info['bytes'] / 1e6:.2f} MB "
        f"({'float16' if info['float16'] else 'float32'} weights, "
        f"{info['working_size']}x{info['working_size']}{agree})"
    )
