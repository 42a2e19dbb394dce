"""U-Net figures on this machine: training speed, full-resolution inference, quality on real photos.

    python benchmarks/bench_unet.py            # speed: training pictures/s at 64 and 128 px,
                                               # inference time + peak memory for 2048x1536
    python benchmarks/bench_unet.py --quality  # train WITH THE COMMAND LINE on a folder of real
                                               # photos, score the held-out part (many minutes)

The quality mode treats ``--data`` (default ``/work/shared/landscapes-128``, 3,000 photos at
128x128) as a user's folder: ``python -m colorize_lib train`` holds out ``--val-fraction`` of it
(a deterministic split by file name), trains, and saves the model to ``--out`` (default
``/tmp/bench_unet/unet.keras``, outside the repository). The script then colorizes the held-out
photos at their own 128x128 resolution with ``infer.colorize`` and reports PSNR, SSIM and the
mean ab error against the gray baseline (the photo left gray) and the mean-colour baseline.
Results go to ``benchmarks/results/unet_speed.json`` and ``unet_quality.json``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from _common import peak_memory_mb, write_result  # noqa: E402


def speed(encoders: list[str], batch: int = 16, steps: int = 12) -> dict:
    import keras

    from colorize_lib import infer, models
    from colorize_lib.training import fitting

    figures: dict = {"batch_size": batch, "weights": "random (offline)"}
    rng = np.random.default_rng(0)

    # inference first, so the peak memory is that of inference, not of training
    model = models.build_unet(64, encoders[0], weights=None)
    photo = rng.integers(0, 256, (1536, 2048, 3), dtype=np.uint8)  # [H, W, 3], 3.1 Mpixel
    infer.colorize(model, photo[:256, :256])  # warm up (traces predict)
    before = peak_memory_mb()
    t = time.perf_counter()
    out = infer.colorize(model, photo)
    figures["infer_encoder"] = encoders[0]
    figures["infer_2048x1536_s"] = round(time.perf_counter() - t, 2)
    assert out.shape == photo.shape
    figures["infer_2048x1536_peak_rss_mb"] = round(peak_memory_mb(), 1)
    figures["infer_2048x1536_peak_rss_growth_mb"] = round(peak_memory_mb() - before, 1)
    keras.backend.clear_session()

    for encoder in encoders:
        for size in (64, 128):
            model = fitting.compile_unet(models.build_unet(size, encoder, weights=None))
            x = rng.uniform(-1, 1, (batch * steps, size, size, 1)).astype("float32")
            y = rng.uniform(-0.3, 0.3, (batch * steps, size, size, 2)).astype("float32")
            model.fit(x[: 2 * batch], y[: 2 * batch], batch_size=batch, verbose=0)  # trace once
            t = time.perf_counter()
            model.fit(x, y, batch_size=batch, verbose=0)
            rate = len(x) / (time.perf_counter() - t)
            figures[f"train_pictures_per_s_{encoder}_{size}px"] = round(rate, 1)
            keras.backend.clear_session()
    return figures


def quality(args: argparse.Namespace) -> dict:
    from colorize_lib import data, infer, metrics

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable, "-m", "colorize_lib", "train", "--data", args.data,
        "--size", str(args.size), "--epochs", str(args.epochs), "--batch-size", str(args.batch),
        "--encoder", args.encoder, "--val-fraction", str(args.val_fraction),
        "--seed", "0", "--out", str(out),
    ]  # fmt: skip
    print("$", " ".join(cmd[1:]), flush=True)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    train_s = time.perf_counter() - t

    # the same deterministic hold-out as the command line (by file name), at full 128 px

    n_files = len(data.open_source(args.data).listing().items)
    n_val = max(1, round(n_files * args.val_fraction))
    held_out = data.load_split(
        source=args.data, size=128, n_train=1, n_val=n_val, seed=0, fallback=False
    ).val  # [N, 128, 128, 3] uint8
    model = infer.load_model(out)
    pred = np.stack([infer.colorize(model, img) for img in held_out])  # predicted at --size
    train_split = data.load_split(
        source=args.data, size=64, n_train=n_files - n_val, n_val=n_val, seed=0, fallback=False
    )
    rows = metrics.evaluate(
        {
            "U-Net": pred,
            "gray (no colour)": metrics.gray_baseline(held_out),
            "mean colour": metrics.mean_color_baseline(
                held_out, metrics.mean_ab(train_split.train)
            ),
        },
        held_out,
    )
    print(metrics.format_table(rows))
    by = {r["name"]: r for r in rows}
    unet, gray = by["U-Net"], by["gray (no colour)"]
    return {
        "data": f"{args.data} ({n_files} photos, {n_files - n_val} train / {n_val} held out)",
        "command": " ".join(["python", *cmd[1:]]).replace(sys.executable, "python"),
        "encoder": f"{args.encoder} (random init: no ImageNet weights offline)",
        "train_size_px": args.size,
        "epochs": args.epochs,
        "train_wall_s": round(train_s, 1),
        "eval_size_px": 128,
        "model_path": str(out),
        **{
            f"{k}_{m}": round(float(by[k][m]), 4)
            for k in ("U-Net", "gray (no colour)", "mean colour")
            for m in ("psnr", "ssim", "ab_error")
        },  # fmt: skip
        "psnr_gain_over_gray_db": round(unet["psnr"] - gray["psnr"], 3),
        "ssim_gain_over_gray": round(unet["ssim"] - gray["ssim"], 4),
        "ab_error_reduction_vs_gray": round(gray["ab_error"] - unet["ab_error"], 3),
        "beats_gray": bool(unet["psnr"] > gray["psnr"] and unet["ab_error"] < gray["ab_error"]),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quality", action="store_true", help="train on real photos and score them")
    p.add_argument("--encoder", default="MobileNetV2-0.35")
    p.add_argument("--data", default="/work/shared/landscapes-128")
    p.add_argument("--out", default="/tmp/bench_unet/unet.keras")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--val-fraction", type=float, default=0.1)
    args = p.parse_args()
    command = "python benchmarks/bench_unet.py" + (" --quality" if args.quality else "")
    if args.quality:
        write_result("unet_quality", quality(args), command)
    else:
        write_result("unet_speed", speed([args.encoder, "MobileNetV2"]), command)


if __name__ == "__main__":
    main()
