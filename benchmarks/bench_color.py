"""Colour conversion throughput: the pipeline's TensorFlow Lab against scikit-image, same pictures.

    python benchmarks/bench_color.py [--folder DIR] [--n 512] [--size 128] [--batch 64]

Three ways to turn the same RGB pictures into Lab:

- ``tensorflow``: ``color.rgb_to_lab`` on batches inside a ``tf.function`` (what ``data`` runs
  in the ``tf.data`` pipeline; on a GPU this runs on the GPU);
- ``tensorflow_xla``: the same function compiled by XLA (``jit_compile=True``), which fuses its
  dozen element-wise steps into one pass over the pixels;
- ``numpy``: ``color.rgb_to_lab_np`` on the same batches;
- ``skimage``: ``skimage.color.rgb2lab`` one picture at a time (what a plain loop would do).

It prints pictures/s for each and the largest difference from scikit-image (they must agree),
and writes ``benchmarks/results/color.json``. Pictures come from ``--folder`` (PNG/JPEG files,
resized to ``--size``) or, by default, seeded random pixels: the conversion costs the same
whatever the pixels show.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import write_result  # noqa: E402

from colorize_lib import color  # noqa: E402


def load_pictures(folder: str | None, n: int, size: int, seed: int = 0) -> tuple[np.ndarray, str]:
    """``n`` uint8 pictures ``[n, size, size, 3]`` from ``folder`` or seeded random pixels."""
    if not folder:
        rng = np.random.default_rng(seed)
        return rng.integers(0, 256, size=(n, size, size, 3), dtype=np.uint8), "random pixels"
    from colorize_lib.data import pictures, sources

    files = sorted(sources.FolderSource(folder).paths())
    if len(files) < n:
        raise SystemExit(f"{folder} holds {len(files)} pictures, fewer than --n {n}: lower --n.")
    pics = [pictures.read_square(f, size)[0] for f in files[:n]]  # the book's decoding rules
    return np.stack(pics), f"{n} pictures from {folder}"


def timed(fn, repeats: int) -> float:
    """Best wall-clock seconds of ``repeats`` calls of ``fn``."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", help="pictures to convert (default: seeded random pixels)")
    parser.add_argument("--n", type=int, default=512, help="number of pictures")
    parser.add_argument("--size", type=int, default=128, help="side in pixels")
    parser.add_argument("--batch", type=int, default=64, help="batch size for TF and NumPy")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    args = parser.parse_args(argv)

    import tensorflow as tf
    from skimage.color import rgb2lab

    pics, origin = load_pictures(args.folder, args.n, args.size)
    floats = pics.astype(np.float32) / 255.0  # [N, H, W, 3]
    batches = [floats[i : i + args.batch] for i in range(0, len(floats), args.batch)]
    print(f"{len(pics)} pictures {args.size}x{args.size} ({origin}), batches of {args.batch}")

    to_lab = tf.function(color.rgb_to_lab)
    tf_batches = [tf.constant(b) for b in batches]
    to_lab(tf_batches[0]).numpy()  # trace once (and again for a last, smaller batch)
    to_lab(tf_batches[-1]).numpy()

    to_lab_xla = tf.function(color.rgb_to_lab, jit_compile=True)  # fused by XLA
    to_lab_xla(tf_batches[0]).numpy()
    to_lab_xla(tf_batches[-1]).numpy()

    def run_tf():
        for b in tf_batches:
            to_lab(b).numpy()  # .numpy() waits for the result (a GPU runs asynchronously)

    def run_tf_xla():
        for b in tf_batches:
            to_lab_xla(b).numpy()

    def run_np():
        for b in batches:
            color.rgb_to_lab_np(b)

    def run_skimage():
        for p in floats:
            rgb2lab(p)

    seconds = {
        "tensorflow": timed(run_tf, args.repeats),
        "tensorflow_xla": timed(run_tf_xla, args.repeats),
        "numpy": timed(run_np, args.repeats),
        "skimage": timed(run_skimage, args.repeats),
    }
    reference = np.stack([rgb2lab(p) for p in floats[:32]])
    diff_tf = float(np.abs(to_lab(tf.constant(floats[:32])).numpy() - reference).max())
    diff_np = float(np.abs(color.rgb_to_lab_np(floats[:32]) - reference).max())
    device = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"

    figures = {
        "pictures": len(pics),
        "size": args.size,
        "batch": args.batch,
        "input": origin,
        "tf_device": device,
        "precision": "float32",
        **{f"{k}_pictures_per_s": round(len(pics) / s, 1) for k, s in seconds.items()},
        "tensorflow_speedup_vs_skimage": round(seconds["skimage"] / seconds["tensorflow"], 2),
        "tensorflow_xla_speedup_vs_skimage": round(
            seconds["skimage"] / seconds["tensorflow_xla"], 2
        ),
        "max_abs_diff_tensorflow_vs_skimage": round(diff_tf, 5),
        "max_abs_diff_numpy_vs_skimage": round(diff_np, 5),
    }
    command = "python benchmarks/bench_color.py " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    write_result("color", figures, command.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
