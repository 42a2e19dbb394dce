"""Data throughput: the landscape generator, the tf.data pipeline, decoding a folder of photos.

    python benchmarks/bench_data.py [--n 2000] [--size 128] [--batch 64] [--folder DIR]

Prints pictures/s for

- ``generator``: ``synth.generate`` (one process, then two worker processes);
- ``pipeline``: ``data.make_dataset(..., training=True)`` iterated alone after a warm-up epoch
  (shuffle, flips, RGB->Lab, split, batch, prefetch): what ``fit`` pulls from every epoch;
- ``folder``: decoding and resizing a folder of photos once (``sources.load_images``),
  by default ``../shared/landscapes-128`` when it exists;

and peak memory, next to the fastest U-Net training step at 128x128 that ``bench_unet.py``
measured on this machine (``results/unet_speed.json``; run it first, or the figure of NOTES.md,
8.5 images/s, stands in): the pipeline must be far faster than training.
Writes ``benchmarks/results/data.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import peak_memory_mb, write_result  # noqa: E402

from colorize_lib import data, synth  # noqa: E402
from colorize_lib.data import sources

TRAIN_STEP_IMG_S = 8.5  # U-Net (MobileNetV2) fit at 128x128 on 2 cores, batch 16 (NOTES.md)
UNET_SPEED = Path(__file__).resolve().parent / "results" / "unet_speed.json"


def training_step_reference(size: int = 128) -> tuple[float, str]:
    """(pictures/s, where from): the fastest U-Net training rate at ``size`` px measured here."""
    if UNET_SPEED.exists():
        figures = json.loads(UNET_SPEED.read_text()).get("figures", {})
        rates = {
            k: v
            for k, v in figures.items()
            if k.startswith("train_pictures_per_s_") and k.endswith(f"_{size}px")
        }
        if rates:
            key = max(rates, key=rates.get)
            return float(rates[key]), f"{UNET_SPEED.name}: {key}"
    return TRAIN_STEP_IMG_S, "NOTES.md (MobileNetV2 U-Net, 128 px, batch 16)"


DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "shared" / "landscapes-128"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="pictures to generate / feed")
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--folder", default=str(DEFAULT_FOLDER) if DEFAULT_FOLDER.exists() else "")
    args = ap.parse_args()
    fig: dict = {"size": args.size, "n": args.n, "batch": args.batch}

    t, c = time.perf_counter(), time.process_time()
    imgs = synth.generate(args.n, args.size, seed=0)
    fig["generator_pics_per_s_1_process"] = round(args.n / (time.perf_counter() - t), 1)
    # per second of this process's own CPU time: what an idle core would give
    fig["generator_pics_per_cpu_s"] = round(args.n / (time.process_time() - c), 1)
    t = time.perf_counter()
    imgs2 = synth.generate(args.n, args.size, seed=0, workers=2)
    fig["generator_pics_per_s_2_processes"] = round(args.n / (time.perf_counter() - t), 1)
    assert (imgs == imgs2).all(), "workers must not change the pictures"
    del imgs2

    ds = data.make_dataset(imgs, args.batch, training=True, seed=0)
    for _ in ds:  # warm-up epoch: traces the graph, fills the prefetch buffer
        pass
    t, c, seen, epochs = time.perf_counter(), time.process_time(), 0, 3
    for _ in range(epochs):
        for L, _ab in ds:
            seen += int(L.shape[0])
    fig["pipeline_pics_per_s"] = round(seen / (time.perf_counter() - t), 1)
    fig["pipeline_pics_per_cpu_s"] = round(seen / (time.process_time() - c), 1)
    step, step_from = training_step_reference(args.size)
    fig["training_step_pics_per_s"] = step
    fig["training_step_from"] = step_from
    fig["pipeline_vs_training_step"] = round(fig["pipeline_pics_per_s"] / step, 1)

    if args.folder:
        paths = sorted(Path(args.folder).glob("*.png"))[: args.n]
        t = time.perf_counter()
        pics, _, report = sources.load_images(paths, args.size, progress=False)
        fig["folder"] = args.folder
        fig["folder_decode_pics_per_s"] = round(len(pics) / (time.perf_counter() - t), 1)
        fig["folder_skipped"] = len(report.skipped)
        t = time.perf_counter()
        sources.load_images(paths, 64, progress=False)
        fig["folder_decode_pics_per_s_to_64"] = round(len(paths) / (time.perf_counter() - t), 1)

    fig["peak_memory_mb"] = round(peak_memory_mb(), 1)
    fig["load_average_1min"] = round(os.getloadavg()[0], 2)
    fig["note"] = (
        "per_s = wall clock on a 2-core CPU shared with other jobs (a lower bound); "
        "per_cpu_s = per second of CPU time used by this process (all its threads)"
    )
    write_result("data", fig, "python benchmarks/bench_data.py " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
