"""``web-models``: the book's real-photo colorizers from a folder (or any source) of photos.

One command does what a teacher needs to put models trained on photos into the published book:
``train`` a U-Net and ``train-gan`` its GAN on ``--data`` with the settings of a profile (its
working size, encoder, epochs, batch, λ and warm-up: ``profiles``), ``export`` both for the page
(float16, each with its card) and put them in one ``OUT/web-models.zip``. It prints the zip's
SHA-256 and the line to pin in ``book/web-models.txt`` once the zip is on a web server; a build
then downloads, verifies and shows them beside the book's own models (``bundle.gather``).

Each step is the command line's own (the same checks, checkpoints and resume): run the same
command again after an interruption and it goes on where it stopped (a model already written is
not trained again; remove it to retrain it).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from colorize_lib.cli.train import DATA_HELP

NAMES = (("unet-photos", "U-Net (photos)"), ("gan-photos", "GAN (photos)"))
ZIP = "web-models.zip"


def add_web_models(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Train a U-Net and its GAN on your photos with a profile's settings, export both for "
        "the book's page and bundle them as OUT/web-models.zip (prints the line to pin in "
        "book/web-models.txt). Run it again to resume."
    )
    p.add_argument("--data", required=True, help=DATA_HELP)
    p.add_argument("--out", default="web-models", help="folder for the models and the zip")
    p.add_argument(
        "--profile",
        default=None,
        choices=["tiny", "cpu", "gpu"],
        help="whose settings (default: COLORIZE_PROFILE, else gpu with a GPU and cpu without)",
    )
    p.add_argument("--n", type=int, default=None, help="use at most N pictures (default: all)")
    p.add_argument(
        "--weights",
        default="imagenet",
        choices=["imagenet", "none"],
        help="start the encoder from ImageNet weights or from random ones",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the split and the runs")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier web-models.zip")


def steps(args, profile) -> list[list[str]]:
    """The ``train`` and ``train-gan`` command lines that make the two models."""
    out = Path(args.out)
    unet, gan = (str(out / f"{name}.keras") for name, _ in NAMES)
    common = [
        "--data",
        args.data,
        "--seed",
        str(args.seed),
        "--batch-size",
        str(profile.batch_size),
    ]
    common += ["--n", str(args.n)] if args.n else []
    return [
        ["train", *common, "--out", unet, "--size", str(profile.image_size),
         "--epochs", str(profile.unet_epochs), "--encoder", profile.encoder,
         "--freeze-epochs", str(profile.freeze_epochs), "--weights", args.weights],
        ["train-gan", *common, "--init", unet, "--out", gan, "--epochs", str(profile.gan_epochs),
         "--l1-weight", f"{profile.gan_l1_weight:g}",
         "--d-warmup-epochs", str(profile.gan_warmup_epochs)],
    ]  # fmt: skip


def run_web_models(args) -> int:
    from colorize_lib import bundle, export, profiles
    from colorize_lib.cli import jobs
    from colorize_lib.cli.program import COMMANDS, build_parser
    from colorize_lib.data import files

    out = Path(args.out)
    zipped = out / ZIP
    try:
        profile = profiles.get_profile(args.profile)
        if zipped.exists() and not args.overwrite:
            raise ValueError(f"{zipped} already exists: pass --overwrite to replace it")
        export.check_installed(float16=True)  # before an hour of training, not after
        out.mkdir(parents=True, exist_ok=True)
        jobs.check_writable(out)
    except (ValueError, OSError) as err:
        print(f"error: {err}")
        return 2
    parser = build_parser()
    for argv in steps(args, profile):
        done_model = Path(argv[argv.index("--out") + 1])
        if done_model.exists():  # train and train-gan write their model only when finished
            print(f"\n== {argv[0]}: {done_model.name} is trained (remove it to train it again) ==")
            continue
        print(f"\n== {argv[0]} ({profile.name} profile's settings) ==")
        code = COMMANDS[argv[0]][2](parser.parse_args(argv))
        if code:
            return code
    from colorize_lib.training import runtime

    runtime.setup(precision="float32")
    done = []
    for name, label in NAMES:
        done.append(
            export.export(out / f"{name}.keras", out, name, float16=True, overwrite=True,
                          label=label)
        )  # fmt: skip
        print(export.describe(done[-1]))
    bundle.write(done, zipped, overwrite=True)
    digest = files.sha256(zipped)
    print(
        f"\nwrote {zipped} ({zipped.stat().st_size / 1e6:.1f} MB), SHA-256 {digest}\n"
        f"Put it on a web server and pin it: one line in book/web-models.txt,\n"
        f"  https://YOUR.HOST/PATH/{ZIP}#sha256={digest}\n"
        f"(or build once with COLORIZE_WEB_MODELS={zipped})."
    )
    return 0
