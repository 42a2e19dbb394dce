"""The real-photo recipe: one U-Net + GAN run of the command line, timed and scored.

    python benchmarks/bench_recipe.py --name NAME --folder ../shared/landscapes-128 \
        [--train "--size 64 --epochs 16"] [--gan "--epochs 3 --l1-weight 100"] [--no-gan]

Runs ``python -m colorize_lib train`` and then ``train-gan`` on ``--folder`` with the given
arguments (on top of ``--weights none`` here, where ImageNet's weights cannot be downloaded),
times both, and scores both models on the folder's held-out split (the pictures neither run
trained on: ``--val-fraction``'s share, ``data.load_split``'s order) at the photos' own size,
``--score-size`` (ab predicted at the model's working size, put on the photo's L, as
``colorize`` does). The targets of the recipe (issue 21): within 20 minutes for both networks
on 2 cores, U-Net ab error <= 15.5 and PSNR >= gray + 2 dB; the GAN closes >= 25 % of the U-Net's
colourfulness gap for <= 0.5 dB of PSNR.

Each run is one entry (by ``--name``) of ``results/recipe.json``; the table of every run goes to
``benchmarks/RECIPE.md`` (``--table`` rewrites it alone). Models go to ``--work`` (outside the
project: trained on photos whose licence is not ours to publish).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import RESULTS, machine_info  # noqa: E402

TABLE = Path(__file__).resolve().parent / "RECIPE.md"
BUDGET_S = 20 * 60


def run_cli(args: list[str]) -> float:
    """Run ``python -m colorize_lib ARGS``; its seconds. Stops on a failed run."""
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "colorize_lib", *args])
    if done.returncode:
        raise SystemExit(f"colorize_lib {' '.join(args)} failed (exit {done.returncode})")
    return time.perf_counter() - t0


def score(folder: str, models: dict[str, Path], size: int, n_val: int, seed: int) -> dict:
    """Gray and each model on the held-out split of ``folder`` at ``size`` (metrics.evaluate)."""
    import numpy as np

    from colorize_lib import data, infer, metrics

    split = data.load_split(source=folder, size=size, n_train=n_val, n_val=n_val, seed=seed)
    truth = np.asarray(split.val)
    predictions = {"gray": metrics.gray_baseline(truth)}
    for label, path in models.items():
        predictions[label] = infer.colorize_batch(infer.load_model(path), truth)
    rows = {r["name"]: r for r in metrics.evaluate(predictions, truth)}
    return {"pictures": len(truth), "rows": rows}


def verdict(rows: dict, seconds: float) -> dict:
    """The issue's targets, each True or False."""
    gray, unet = rows["gray"], rows["unet"]
    out = {
        "within 20 min": seconds <= BUDGET_S,
        "U-Net ab error <= 15.5": unet["ab_error"] <= 15.5,
        "U-Net PSNR >= gray + 2 dB": unet["psnr"] >= gray["psnr"] + 2,
    }
    if "gan" in rows:
        gap_u, gap_g = abs(unet["abs_gap"]), abs(rows["gan"]["abs_gap"])
        out["GAN closes >= 25 % of the gap"] = gap_u > 0 and (gap_u - gap_g) / gap_u >= 0.25
        out["GAN costs <= 0.5 dB"] = unet["psnr"] - rows["gan"]["psnr"] <= 0.5
    return out


def table_md(runs: list[dict]) -> str:
    """The recipe table: one row per run, the chosen one marked."""
    head = (
        "| run | U-Net arguments | GAN arguments | minutes (U-Net + GAN) | gray PSNR | U-Net "
        "PSNR | U-Net ab error | GAN PSNR | GAN ab error | gap closed by the GAN | targets met |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
    )
    lines = []
    for r in runs:
        rows, t = r["rows"], r["seconds"]
        gan = rows.get("gan")
        closed = "–"
        if gan:
            gu, gg = abs(rows["unet"]["abs_gap"]), abs(gan["abs_gap"])
            closed = f"{(gu - gg) / gu:.0%}"
        met = sum(r["targets"].values())
        lines.append(
            f"| {r['name']}{' (chosen)' if r.get('chosen') else ''}{' *' if r.get('note') else ''}"
            f" | `{r['train']}` | "
            f"`{r['gan'] or '–'}` | {t['unet'] / 60:.1f} + {t.get('gan', 0) / 60:.1f} | "
            f"{rows['gray']['psnr']:.2f} | {rows['unet']['psnr']:.2f} | "
            f"{rows['unet']['ab_error']:.2f} | "
            + (f"{gan['psnr']:.2f} | {gan['ab_error']:.2f} | " if gan else "– | – | ")
            + f"{closed} | {met}/{len(r['targets'])} |"
        )
    notes = "".join(f"\n\\* {r['name']}: {r['note']}." for r in runs if r.get("note"))
    return head + "\n".join(lines) + "\n" + notes + ("\n" if notes else "")


def write_table(runs: list[dict]) -> None:
    intro = (
        "# The real-photo recipe (issue 21)\n\n"
        "Each row: `python -m colorize_lib train` then `train-gan` on the 3,000 photos of "
        "`../shared/landscapes-128` (10 % held out; `--weights none`: no ImageNet weights on "
        "this machine), on 2 cores, timed; scored on the held-out photos at 128x128 by "
        "`benchmarks/bench_recipe.py` (PSNR in dB, ab error in Lab units, `metrics.evaluate`). "
        "Targets: both networks within 20 minutes, U-Net ab error <= 15.5 and PSNR >= gray + 2 "
        "dB, the GAN closes >= 25 % of the U-Net's colourfulness gap for <= 0.5 dB.\n\n"
    )
    TABLE.write_text(intro + table_md(runs))


def load_runs() -> list[dict]:
    path = RESULTS / "recipe.json"
    return json.loads(path.read_text())["figures"]["runs"] if path.exists() else []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", help="the run's name in results/recipe.json")
    parser.add_argument("--folder", default="../shared/landscapes-128")
    parser.add_argument("--train", default="--size 64 --epochs 16", help="train's arguments")
    parser.add_argument("--gan", default="--epochs 3", help="train-gan's arguments")
    parser.add_argument("--no-gan", action="store_true", help="the U-Net only")
    parser.add_argument("--unet-from", help="reuse the U-Net of this earlier run (GAN levers)")
    parser.add_argument(
        "--score-only",
        metavar="UNET_S,GAN_S",
        help="score the models of an earlier run of --name, timed then (seconds as its log gave)",
    )
    parser.add_argument("--work", default="/tmp/colorize-recipe", help="where models go")
    parser.add_argument("--score-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chosen", action="store_true", help="mark as the defaults' run")
    parser.add_argument("--table", action="store_true", help="only rewrite RECIPE.md")
    args = parser.parse_args(argv)
    runs = load_runs()
    if args.table:
        write_table(runs)
        return 0
    if not args.name:
        parser.error("--name is required for a run")
    work = Path(args.work) / args.name
    work.mkdir(parents=True, exist_ok=True)
    unet, gan = work / "unet.keras", work / "gan.keras"
    common = ["--data", args.folder, "--seed", str(args.seed), "--no-resume"]
    if args.score_only:
        seconds = dict(zip(("unet", "gan"), map(float, args.score_only.split(",")), strict=False))
    elif args.unet_from:  # the same U-Net, another GAN: its time and arguments come along
        earlier = next(r for r in runs if r["name"] == args.unet_from)
        unet = Path(args.work) / args.unet_from / "unet.keras"
        args.train, seconds = earlier["train"], {"unet": earlier["seconds"]["unet"]}
    else:
        seconds = {
            "unet": run_cli(
                [
                    "train",
                    *common,
                    "--weights",
                    "none",
                    "--out",
                    str(unet),
                    *shlex.split(args.train),
                ]
            )
        }
    models = {"unet": unet}
    if not args.no_gan and not args.score_only:
        seconds["gan"] = run_cli(
            ["train-gan", *common, "--init", str(unet), "--out", str(gan), *shlex.split(args.gan)]
        )
    if not args.no_gan:
        models["gan"] = gan
    n_val = round(0.1 * sum(1 for _ in Path(args.folder).iterdir()))
    scored = score(args.folder, models, args.score_size, n_val, args.seed)
    rows = {
        k: {m: round(v, 3) for m, v in r.items() if isinstance(v, float)}
        for k, r in scored["rows"].items()
    }
    run = {
        "name": args.name,
        "train": args.train,
        "gan": None if args.no_gan else args.gan,
        "seconds": {k: round(v) for k, v in seconds.items()},
        "timed": "training only, as its log gave" if args.score_only else "whole commands",
        "held_out": scored["pictures"],
        "rows": rows,
        "targets": verdict(rows, sum(seconds.values())),
        "chosen": args.chosen,
    }
    print(json.dumps(run, indent=1))
    runs = [r for r in runs if r["name"] != args.name] + [run]
    record = {
        "name": "recipe",
        "measured": time.strftime("%Y-%m-%d %H:%M"),
        "command": "python benchmarks/bench_recipe.py (one entry per --name)",
        "machine": machine_info(),
        "figures": {"runs": runs},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "recipe.json").write_text(json.dumps(record, indent=2) + "\n")
    write_table(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
