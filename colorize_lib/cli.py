"""The command line: ``python -m colorize_lib COMMAND --help``.

Every command's options are defined here or, for the two training commands, in ``cli_train``;
each command is a thin call into the library (the same calls the chapters make). Heavy modules (TensorFlow) are imported only by the
command that runs, so ``--help`` answers at once. Errors are one line starting with ``error:``
and a non-zero exit code: 2 for bad arguments or input, 1 when the work itself failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from colorize_lib.cli_train import add_train, add_train_gan, run_train, run_train_gan


def add_generate(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n", type=int, default=100, help="how many pictures")
    p.add_argument("--size", type=int, default=128, help="side in pixels")
    p.add_argument("--seed", type=int, default=0, help="which set of scenes")
    p.add_argument("--start", type=int, default=0, help="index of the first picture")
    p.add_argument("--out", type=Path, required=True, help="folder to write PNG files into")


def run_generate(args) -> int:
    from tqdm.auto import tqdm

    from colorize_lib import pictures, synth

    if args.n < 1 or not 8 <= args.size <= 4096:
        print(
            f"error: --n must be >= 1 and --size from 8 to 4096 (got --n {args.n} --size {args.size})"
        )
        return 2
    width = len(str(args.start + args.n - 1))
    for i in tqdm(range(args.start, args.start + args.n), desc="writing", unit="pic"):
        img = synth.generate_one(i, args.size, args.seed)
        pictures.write_png(Path(args.out) / f"landscape_s{args.seed}_{i:0{width}d}.png", img)
    print(f"wrote {args.n} pictures of {args.size}x{args.size} to {args.out}")
    return 0


def add_colorize(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Colorize photos at their full resolution with a trained U-Net. Writes one PNG per "
        "input (same name, .png) to --out; folders are searched recursively and their "
        "sub-folders kept. Inputs are never written over; two inputs that would give the same "
        "output name are both written, the second under a numbered name (listed at the end); "
        "files already in --out are replaced only with --overwrite. Unreadable inputs are "
        "reported at the end; the others are still done."
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="picture files or folders")
    p.add_argument("--model", default="unet.keras", help="the trained model (from 'train')")
    p.add_argument("--out", default="colorized", help="folder for the colorized PNGs")
    p.add_argument(
        "--size",
        type=int,
        default=None,
        help="working size of the network; default: the size it was trained at",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace files that already exist in --out (earlier results)",
    )


def run_colorize(args) -> int:
    from colorize_lib import infer, jobs

    try:
        if args.size is not None:
            from colorize_lib import models

            models.check_size(args.size)
        plan = jobs.plan(args.inputs, args.out)
        if plan.existing and not args.overwrite:
            raise jobs.OutputRefused(
                f"{len(plan.existing)} of the outputs already exist in {args.out} (e.g. "
                f"{plan.existing[0]}); pass --overwrite to replace them, or choose another --out"
            )
        if not plan.jobs:
            raise FileNotFoundError(f"no pictures found in {', '.join(args.inputs)}")
        from colorize_lib import runtime

        runtime.setup(precision="float32")  # inference: no distribution, full precision
        model = infer.load_model(args.model)
        jobs.check_writable(plan.out_dir)  # creates it: only once everything else is right
    except (ValueError, FileNotFoundError) as err:  # OutputRefused is a ValueError
        print(f"error: {err}")
        return 2
    for src, dst in plan.renamed:
        print(f"note: {src} is written as {dst} (its usual name is taken by another input)")
    for src in plan.duplicates:
        print(f"note: {src} was given more than once; colorized once")
    written, failed = infer.colorize_files(model, plan.jobs, size=args.size)
    failed = plan.unreadable + failed
    replaced = len(set(plan.existing) & set(written))
    print(
        f"colorized {len(written)} of {len(plan.jobs)} pictures into {args.out}/"
        + (f" ({replaced} existing files replaced)" if replaced else "")
    )
    if failed:
        print(f"{len(failed)} could not be colorized:")
        for src, why in failed:
            print(f"  {src}: {why}")
        return 1
    return 0


def add_export(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Export a trained model (from 'train' or 'train-gan') for a web page: OUT/NAME.onnx "
        "plus OUT/NAME.json (working size, input/output names, scaling, sizes)."
    )
    p.add_argument("--model", required=True, help="the trained model (.keras)")
    p.add_argument("--out", required=True, help="folder for NAME.onnx and NAME.json")
    p.add_argument("--name", default=None, help="file name without suffix (default: the model's)")
    p.add_argument("--float16", action="store_true", help="store the weights in half precision")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")


def run_export(args) -> int:
    from colorize_lib import export

    try:
        export.outputs(args.model, args.out, args.name, args.overwrite)  # before TensorFlow
        export.check_installed(args.float16)
        from colorize_lib import runtime

        runtime.setup(precision="float32")
        done = export.export(args.model, args.out, args.name, args.float16, args.overwrite)
    except (ValueError, FileNotFoundError) as err:  # ExportError is a ValueError
        print(f"error: {err}")
        return 2
    print(f"wrote {export.describe(done)} and {done.json.name} to {args.out}/")
    return 0


# command -> (one-line help, add its options, run it)
COMMANDS = {
    "train": ("train the U-Net colorizer on a folder or a named source", add_train, run_train),
    "train-gan": (
        "fine-tune a trained U-Net as the generator of a GAN",
        add_train_gan,
        run_train_gan,
    ),
    "colorize": (
        "colorize photos (files or folders) at full resolution",
        add_colorize,
        run_colorize,
    ),
    "generate": ("write procedural landscape pictures to a folder", add_generate, run_generate),
    "export": ("export a trained model to ONNX for a web page", add_export, run_export),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m colorize_lib",
        description="Colorize photos with a U-Net (and a GAN): train, fine-tune, colorize.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, add, _) in COMMANDS.items():
        p = sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        )
        add(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.command is None:
        parser.print_help()
        return 2
    return int(COMMANDS[args.command][2](args) or 0)
