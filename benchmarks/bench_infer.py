"""Colorizing speed: pictures/s at 128 px (batched and one by one) and one 2048x1536 photo.

    python benchmarks/bench_infer.py [--n 64] [--before OLD_RESULTS.json]

A U-Net with the CPU profile's encoder (``models.build_unet(128, "MobileNetV2-0.35",
weights=None)``; random weights predict colours as fast as trained ones) colorizes

- ``--n`` procedural landscapes at 128x128 with ``infer.colorize_batch`` (the chapters' and
  benchmarks' path) and with ``infer.colorize`` one picture at a time (the command line's);
- one 2048x1536 photo with ``infer.colorize`` (full-resolution L, ab predicted at 128 px).

Every figure is the best of 3 runs after one warm-up run. The TensorFlow "retracing" warnings
seen during the whole run are counted too (the run ends with six more small models colorizing
one picture each, as a chapter that uses several models does). ``--before`` copies the figures of an earlier run
(e.g. of the code before a change) into this record as ``before_*``. Results go to
``benchmarks/results/infer.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from _common import peak_memory_mb, write_result  # noqa: E402


def best_of(fn, runs: int = 3) -> float:
    """Seconds of the fastest of ``runs`` calls of ``fn``, after one warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


class _CountRetracing(logging.Handler):
    """Counts TensorFlow's "... triggered tf.function retracing" warnings."""

    count = 0

    def emit(self, record):
        self.count += "retracing" in record.getMessage()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=64, help="pictures at 128 px")
    parser.add_argument("--before", type=Path, default=None, help="an earlier infer.json")
    args = parser.parse_args(argv)

    import keras

    from colorize_lib import infer, models, synth
    from colorize_lib.training import runtime

    retracing = _CountRetracing()
    logging.getLogger("tensorflow").addHandler(retracing)
    runtime.setup(seed=0)  # the precision for this machine, and the seed
    model = models.build_unet(128, "MobileNetV2-0.35", weights=None)
    pics = synth.generate(args.n, 128, seed=0, progress=False)  # [n, 128, 128, 3] uint8
    photo = np.random.default_rng(0).integers(0, 256, (1536, 2048, 3), dtype=np.uint8)

    batched = best_of(lambda: infer.colorize_batch(model, pics))
    one_by_one = best_of(lambda: [infer.colorize(model, p) for p in pics])
    big = best_of(lambda: infer.colorize(model, photo))
    # a chapter uses several models (U-Net, GAN, the resolution study's): six more, one picture each
    for _ in range(6):
        inp = keras.Input((128, 128, 1))
        other = keras.Model(inp, keras.layers.Conv2D(2, 3, padding="same")(inp))
        infer.colorize(other, pics[0])
    figures = {
        "encoder": "MobileNetV2-0.35 (random weights)",
        "pictures": args.n,
        "colorize_batch_pictures_per_s_128px": round(args.n / batched, 1),
        "colorize_one_by_one_pictures_per_s_128px": round(args.n / one_by_one, 1),
        "colorize_2048x1536_s": round(big, 3),
        "retracing_warnings": retracing.count,
        "peak_memory_mb": round(peak_memory_mb(), 1),
    }
    if args.before is not None:
        before = json.loads(args.before.read_text())
        figures |= {f"before_{k}": v for k, v in before["figures"].items() if k != "encoder"}
    command = "python benchmarks/bench_infer.py " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    write_result("infer", figures, command.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
