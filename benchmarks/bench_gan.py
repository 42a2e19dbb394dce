"""Chapter 4's figures: GAN fine-tuning speed, and what the GAN does to colour and PSNR.

1. Speed: pictures per second of ``ColorizationGAN.fit`` (U-Net generator with the CPU profile's
   MobileNetV2-0.35 encoder and with the full MobileNetV2, + 70x70 PatchGAN, batch 16) at 64
   and 128 px on this machine (random data; the first epoch, which traces the
   graph, is not timed).
2. Quality on real photos (``/work/shared/landscapes-128``, used as a user's folder): a U-Net
   trained with ``python -m colorize_lib train`` (by default the one ``bench_unet.py`` saved,
   else one trained here), then fine-tuned with ``python -m colorize_lib train-gan``. Both are
   scored on the same held-out photos (the CLI's split: ``--val-fraction 0.1 --seed 0``):
   PSNR, and the colourfulness gap to the truth, ``|CF(output) - CF(truth)|`` averaged over
   pictures (Hasler and Suesstrunk 2003).

Run: ``python benchmarks/bench_gan.py`` (about 7 minutes on 2 cores with the U-Net of
``bench_unet.py --quality`` present; ``--skip-speed`` or
``--skip-quality`` for one half). Figures go to ``benchmarks/results/bench_gan.json``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import peak_memory_mb, write_result  # noqa: E402

LANDSCAPES = Path("/work/shared/landscapes-128")
UNET_FROM_BENCH_UNET = Path("/tmp/bench_unet/unet.keras")


def speed(size: int, encoder: str, batch: int = 16, steps: int = 8, xla: bool = False) -> float:
    """Pictures per second of one GAN training epoch of ``steps`` batches at ``size`` px;
    ``xla``: the train step compiled with XLA (``jit_compile=True``)."""
    import tensorflow as tf

    from colorize_lib import gan, models
    from colorize_lib.training import runtime

    runtime.setup(seed=0)  # the precision for this machine, and the seed
    generator = models.build_unet(size, encoder, weights=None)
    model = gan.ColorizationGAN(generator, models.build_discriminator(size))
    model.compile(jit_compile=xla)
    rng = np.random.default_rng(0)
    n = batch * steps
    L = rng.uniform(-1, 1, (n, size, size, 1)).astype("float32")
    ab = rng.uniform(-0.3, 0.3, (n, size, size, 2)).astype("float32")
    ds = tf.data.Dataset.from_tensor_slices((L, ab)).batch(batch).cache()
    model.fit(ds, epochs=1, verbose=0, shuffle=False)  # traces the train step
    start = time.perf_counter()
    model.fit(ds, epochs=1, verbose=0, shuffle=False)
    return n / (time.perf_counter() - start)


def cli(*args: str, log: Path) -> None:
    """Run ``python -m colorize_lib ARGS``, its output appended to ``log``; fail loudly."""
    cmd = [sys.executable, "-m", "colorize_lib", *args]
    print("$", " ".join(cmd), flush=True)
    with open(log, "a") as f:
        f.write("$ " + " ".join(cmd) + "\n")
        f.flush()
        code = subprocess.call(
            cmd, stdout=f, stderr=subprocess.STDOUT, cwd=Path(__file__).parents[1]
        )
    if code != 0:
        raise SystemExit(f"command failed ({code}); see {log}")


def held_out(size: int, seed: int, val_fraction: float) -> np.ndarray:
    """The landscapes the command line held out (its own split), ``uint8 [N, S, S, 3]``."""
    from colorize_lib import data

    return np.asarray(data.holdout_split(str(LANDSCAPES), size, None, val_fraction, seed).val)


def score(model, truth: np.ndarray) -> dict[str, float]:
    """PSNR and colourfulness gap of a loaded model on held-out pictures ``truth``."""
    from colorize_lib import infer, metrics

    # the chapters' colorize path and gamut rule (out-of-gamut colours lose saturation)
    pred = infer.colorize_batch(model, truth).astype("float32") / 255.0  # [N, S, S, 3]
    truth01 = truth.astype("float32") / 255.0
    gap = metrics.colorfulness_gap(pred, truth01, per_image=True)  # [N], signed
    return {
        "n_pictures": int(len(truth)),
        "psnr_db": round(float(metrics.psnr(pred, truth01)), 3),
        "colourfulness": round(float(metrics.colorfulness(pred)), 2),
        "colourfulness_truth": round(float(metrics.colorfulness(truth01)), 2),
        "colourfulness_gap_abs": round(metrics.abs_gap(pred, truth01), 2),  # chapter 4's
        "colourfulness_gap_signed": round(float(gap.mean()), 2),
        "ab_error": round(float(metrics.ab_error(pred, truth01)), 2),
    }


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--skip-speed", action="store_true")
    p.add_argument("--skip-quality", action="store_true")
    p.add_argument(
        "--unet",
        type=Path,
        default=None,
        help=f"U-Net to start from (default: {UNET_FROM_BENCH_UNET} if present, "
        "else one trained here)",
    )
    p.add_argument(
        "--encoders",
        nargs="+",
        default=["MobileNetV2-0.35", "MobileNetV2"],
        help="U-Net encoders for the speed part (the CPU profile's first)",
    )
    p.add_argument("--size", type=int, default=64, help="working size for the quality part")
    p.add_argument("--unet-epochs", type=int, default=6, help="only when training a U-Net here")
    p.add_argument("--epochs", type=int, default=3, help="GAN fine-tuning epochs")
    p.add_argument("--l1-weight", type=float, default=100.0)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--d-lr", type=float, default=None)
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument("--d-warmup-epochs", type=int, default=0)
    p.add_argument("--d-downsamples", type=int, default=None, help="default: the CLI's")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--val-fraction", type=float, default=0.1)
    p.add_argument("--work", type=Path, default=Path("/tmp/bench_gan"))
    args = p.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    figures: dict = {}
    previous = Path(__file__).resolve().parent / "results" / "bench_gan.json"
    if (args.skip_speed or args.skip_quality) and previous.exists():
        import json

        figures = json.loads(previous.read_text()).get("figures", {})  # keep the other half

    if not args.skip_speed:
        for key in [k for k in figures if k.startswith("gan_train_pictures_per_s")]:
            del figures[key]  # a previous run's speeds (its encoders may not be these)
        for encoder in args.encoders:
            for size in (64, 128):
                ips = speed(size, encoder)
                figures[f"gan_train_pictures_per_s_{encoder}_{size}px"] = round(ips, 2)
                print(f"GAN fine-tuning, {encoder}, {size}px: {ips:.2f} pictures/s", flush=True)
        # XLA: Keras' jit_compile="auto" leaves it off on a CPU and on for one GPU; measured here
        for key in [k for k in figures if k.startswith("gan_xla_")]:
            del figures[key]
        for xla in (False, True):
            ips = speed(64, args.encoders[0], xla=xla)
            figures[f"gan_xla_{'on' if xla else 'off'}_pictures_per_s_{args.encoders[0]}_64px"] = (
                round(ips, 2)
            )
            print(f"GAN step, 64px, XLA {'on' if xla else 'off'}: {ips:.2f} pictures/s", flush=True)
        figures["peak_memory_mb_speed"] = round(peak_memory_mb())

    if not args.skip_quality:
        if not LANDSCAPES.is_dir():
            print(f"{LANDSCAPES} is missing: skipping the quality part")
        else:
            log = args.work / "bench_gan.log"
            unet = args.unet or (UNET_FROM_BENCH_UNET if UNET_FROM_BENCH_UNET.exists() else None)
            if unet is None:
                unet = args.work / "unet.keras"
                if not unet.exists():
                    t = time.time()
                    cli(
                        "train",
                        "--data",
                        str(LANDSCAPES),
                        "--size",
                        str(args.size),
                        "--epochs",
                        str(args.unet_epochs),
                        "--batch-size",
                        str(args.batch_size),
                        "--val-fraction",
                        str(args.val_fraction),
                        "--seed",
                        str(args.seed),
                        "--out",
                        str(unet),
                        log=log,
                    )
                    figures["unet_trained_here_s"] = round(time.time() - t)
                figures["unet_epochs"] = args.unet_epochs
            figures["unet_model"] = str(unet)
            out = args.work / f"gan_l1w{args.l1_weight:g}_lr{args.lr:g}_e{args.epochs}.keras"
            t = time.time()
            gan_args = [
                "train-gan",
                "--init",
                str(unet),
                "--data",
                str(LANDSCAPES),
                "--epochs",
                str(args.epochs),
                "--batch-size",
                str(args.batch_size),
                "--l1-weight",
                str(args.l1_weight),
                "--lr",
                str(args.lr),
                "--val-fraction",
                str(args.val_fraction),
                "--seed",
                str(args.seed),
                "--out",
                str(out),
            ]
            if args.d_lr:
                gan_args += ["--d-lr", str(args.d_lr)]
            gan_args += ["--label-smoothing", str(args.label_smoothing)]
            gan_args += ["--d-warmup-epochs", str(args.d_warmup_epochs)]
            if args.d_downsamples:
                gan_args += ["--d-downsamples", str(args.d_downsamples)]
            cli(*gan_args, log=log)
            figures["gan_fine_tuning_s"] = round(time.time() - t)
            figures["gan_settings"] = {
                "epochs": args.epochs,
                "l1_weight": args.l1_weight,
                "lr": args.lr,
                "d_lr": args.d_lr or args.lr,
                "label_smoothing": args.label_smoothing,
                "d_warmup_epochs": args.d_warmup_epochs,
                "d_downsamples": args.d_downsamples or "the CLI's default for the size",
                "batch_size": args.batch_size,
            }
            import keras

            unet_model = keras.models.load_model(unet, compile=False)
            size = unet_model.input_shape[1]
            truth = held_out(size, args.seed, args.val_fraction)  # decoded once, for both
            u = score(unet_model, truth)
            g = score(keras.models.load_model(out, compile=False), truth)
            figures["size"] = size
            figures["unet"] = u
            figures["gan"] = g
            closed = 1 - g["colourfulness_gap_abs"] / u["colourfulness_gap_abs"]
            figures["colourfulness_gap_closed_fraction"] = round(closed, 3)
            figures["psnr_change_db"] = round(g["psnr_db"] - u["psnr_db"], 3)
            # issue 13's target on real photos: 40 % of the gap closed for at most 0.5 dB
            figures["target_met"] = bool(closed >= 0.4 and g["psnr_db"] >= u["psnr_db"] - 0.5)

    command = "python benchmarks/bench_gan.py " + " ".join(sys.argv[1:])
    if not args.skip_speed:
        figures["speed_command"] = command.strip()
    if not args.skip_quality:
        figures["quality_command"] = command.strip()
    write_result("bench_gan", figures, command.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
