"""Chapter 4's thesis, build after build: what chapters 3 and 4 train and print, for several seeds.

For each ``--seeds S`` this does what a book build with ``COLORIZE_SEED=S`` does in chapters 3
and 4 (the profile's split, ``zoo.unet``, ``zoo.gan``) and scores what chapter 4 scores, with the
same functions: on the profile's held-out pictures, PSNR, colourfulness and the mean
|colourfulness gap| to the truth of gray, the U-Net and the GAN; the share of the U-Net's gap
the GAN closed and what it cost in PSNR (``metrics.gap_closed``); and, on the procedural
pictures, the chroma where the colour is ambiguous and where context decides
(``ambiguity.hedge``), and how much of the gap closes when the U-Net's colours get, in every
ambiguous place, the truth's option or an option drawn at random (the most a GAN that knows
no more than the gray can hope for).

The models go to the book's cache (``COLORIZE_CACHE``), under the keys the chapters use, so a
``make book`` with the same seed afterwards reuses them instead of training again.

Issue 13's target for every CPU build: the GAN closes at least 30 % of the U-Net's gap for at
most 1 dB of PSNR. Run: ``python benchmarks/bench_seeds.py [--seeds 0 1 2] [--profile cpu]``
(7 to 8 minutes a seed on 2 cores from an empty cache: the U-Net 150 s, the GAN 243-300 s).
Figures go to ``benchmarks/results/seeds.json``, read by chapter 4 and the Benchmarks page.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import RESULTS, write_result  # noqa: E402

TARGET = {"closed_at_least": 0.30, "psnr_change_at_least_db": -1.0}


def one_seed(profile, split, seed: int) -> dict:
    """Train (or reuse) chapter 3's U-Net and chapter 4's GAN for ``seed``; chapter 4's scores."""
    import numpy as np

    from colorize_lib import ambiguity, infer, metrics, synth
    from colorize_lib.training import runtime, zoo

    run = runtime.setup(dataclasses.replace(profile, seed=seed))
    start = time.time()
    unet = zoo.unet(run, split, samples=False)
    gan = zoo.gan(run, split, unet, samples=False)
    truth = np.asarray(split.val[: profile.n_eval])  # chapter 4's held-out pictures
    preds = {
        "gray": metrics.gray_baseline(truth),
        "U-Net": infer.colorize_batch(unet.model, truth),
        "GAN": infer.colorize_batch(gan.model, truth),
    }
    row = {
        "seed": seed,
        "models": {"U-Net": unet.key, "GAN": gan.key},  # their folders in the book's cache
        "trained_now": [name for name, t in (("U-Net", unet), ("GAN", gan)) if not t.reused],
        "seconds": round(time.time() - start),  # this run's: a few when both were cached
        "colourfulness_truth": round(metrics.colorfulness(truth), 2),
        **{
            name: {
                "psnr_db": round(metrics.psnr(p, truth), 3),
                "colourfulness": round(metrics.colorfulness(p), 2),
                "abs_gap": round(metrics.abs_gap(p, truth), 2),
            }
            for name, p in preds.items()
        },
    }
    effect = metrics.gap_closed(truth, preds["U-Net"], preds["GAN"])
    row["closed"] = round(effect["closed"], 3)
    row["psnr_change_db"] = round(effect["psnr_change"], 3)
    row["target_met"] = bool(
        effect["closed"] >= TARGET["closed_at_least"]
        and effect["psnr_change"] >= TARGET["psnr_change_at_least_db"]
    )
    try:
        ambiguous = synth.ambiguous_masks(split.val_names[: len(truth)], profile.image_size)
    except ValueError:  # photos: no map of ambiguous places
        ambiguous = None
    if ambiguous is not None:
        hedge = ambiguity.hedge({k: preds[k] for k in ("U-Net", "GAN")}, truth, ambiguous)
        row["chroma_share_where_ambiguous"] = {r["name"]: round(r["amb_share"], 3) for r in hedge}
        row["chroma_share_where_decided"] = {r["name"]: round(r["det_share"], 3) for r in hedge}
        # How far the gap can close at all: the U-Net's colours with every ambiguous place
        # painted in the truth's option (the best any model can do there) or in an option drawn
        # at random (a plausible answer that knows no more than the gray, as a GAN's does)
        names = split.val_names[: len(truth)]
        drawn = [_with_drawn_options(name, profile.image_size, seed) for name in names]
        ceiling = {}
        for label, source in (("the truth's option", truth), ("a drawn option", np.stack(drawn))):
            painted = _paint(preds["U-Net"], source, ambiguous)
            ceiling[label] = round(metrics.gap_closed(truth, preds["U-Net"], painted)["closed"], 3)
        row["closed_if_ambiguous_places_had"] = ceiling
    return row


def _recorded_rows() -> list[dict]:
    """The rows of the last recorded run (``results/seeds.json``), or none."""
    import json

    try:
        return json.loads((RESULTS / "seeds.json").read_text())["figures"]["seeds"]
    except (OSError, ValueError, KeyError):
        return []


def _training_seconds(row: dict, recorded: list[dict]) -> int | None:
    """How long this row's models took to train: this run's time if it trained both, else that
    of the recorded row with these very models, if any."""
    if row["trained_now"] == ["U-Net", "GAN"]:
        return row["seconds"]
    same = [r for r in recorded if r.get("models") == row["models"]]
    return same[0].get("training_seconds") if same else None


def _with_drawn_options(name: str, size: int, seed: int):
    """Procedural picture ``name`` ("synth:SET:INDEX") with its ambiguous options drawn anew."""
    import numpy as np

    from colorize_lib import synth

    _, picture_set, index = name.split(":")
    rng = np.random.default_rng([seed, int(index)])
    choices = {element: rng.choice(list(opts)) for element, opts in synth.CHOICES.items()}
    return synth.generate_one(int(index), size, int(picture_set), choices)


def _paint(pred, source, mask):
    """``pred`` [N, S, S, 3] with the ab of ``source`` where ``mask`` [N, S, S] (L kept), back
    to uint8 RGB with the book's gamut rule, as the U-Net's own colours were."""
    from colorize_lib import color

    lab = color.rgb_to_lab_np(pred)  # [N, S, S, 3]
    lab[mask, 1:] = color.rgb_to_lab_np(source)[mask, 1:]
    return color.lab_to_rgb_keep_L(lab)


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--profile", default="cpu", help="tiny, cpu or gpu (default: cpu)")
    args = p.parse_args()

    from colorize_lib import data, profiles

    profile = profiles.get_profile(args.profile)  # COLORIZE_DATA applies, as in a build
    split = data.profile_split(profile)  # the same pictures for every seed
    recorded = _recorded_rows()  # before this run writes over them
    rows = []
    for seed in args.seeds:
        print(f"== seed {seed}", flush=True)
        row = one_seed(profile, split, seed)
        row["training_seconds"] = _training_seconds(row, recorded)
        rows.append(row)
        print(
            f"seed {seed}: U-Net {row['U-Net']['psnr_db']:.2f} dB, |gap| {row['U-Net']['abs_gap']:.1f}"
            f"; GAN {row['GAN']['psnr_db']:.2f} dB, |gap| {row['GAN']['abs_gap']:.1f}: "
            f"{row['closed']:.0%} of the gap closed, PSNR {row['psnr_change_db']:+.2f} dB "
            f"(target {'met' if row['target_met'] else 'NOT met'})",
            flush=True,
        )
        for label, closed in row.get("closed_if_ambiguous_places_had", {}).items():
            print(f"  the U-Net with {label} in every ambiguous place: {closed:.0%} closed")
    figures = {
        "profile": profile.describe(),
        "data": profile.data or profile.source,
        "n_eval": min(profile.n_eval, len(split.val)),
        "target": TARGET,
        "seeds": rows,
        "target_met_in_every_seed": all(r["target_met"] for r in rows),
    }
    command = "python benchmarks/bench_seeds.py " + " ".join(sys.argv[1:])
    write_result("seeds", figures, command.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
