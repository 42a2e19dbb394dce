"""The commands that use a model or make pictures: ``generate``, ``colorize``, ``export``.

Each checks its arguments and paths first (one line starting with ``error:``, exit 2), then loads
TensorFlow (``common.load_tensorflow``), then calls the library.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from colorize_lib.cli.common import load_tensorflow

GENERATE_MARK = "colorize_lib generate"  # in every PNG generate writes: it may replace those only


def add_generate(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n", type=int, default=100, help="how many pictures")
    p.add_argument("--size", type=int, default=128, help="side in pixels")
    p.add_argument("--seed", type=int, default=0, help="which set of scenes")
    p.add_argument("--start", type=int, default=0, help="index of the first picture")
    p.add_argument("--out", type=Path, required=True, help="folder to write PNG files into")


def run_generate(args) -> int:
    from tqdm import tqdm  # a text bar on a terminal, none in a notebook or a log

    from colorize_lib import synth
    from colorize_lib.data import pictures

    if args.n < 1 or not 8 <= args.size <= 4096 or args.start < 0 or args.seed < 0:
        print(
            f"error: --n must be >= 1, --size from 8 to 4096, --start and --seed >= 0 (got --n "
            f"{args.n} --size {args.size} --start {args.start} --seed {args.seed})"
        )
        return 2
    from colorize_lib.cli import jobs

    try:
        jobs.check_writable(Path(args.out))
    except jobs.OutputRefused as err:
        print(f"error: {err}")
        return 2
    width = len(str(args.start + args.n - 1))
    targets = {
        i: Path(args.out) / f"landscape_s{args.seed}_{i:0{width}d}.png"
        for i in range(args.start, args.start + args.n)
    }
    foreign = [
        t for t in targets.values()
        if (t.exists() or t.is_symlink()) and pictures.png_mark(t) != GENERATE_MARK
    ]  # fmt: skip
    if foreign:
        print(
            f"error: {foreign[0]} is already there and was not written by generate "
            f"({len(foreign)} such file(s)): it is never replaced. Choose another --out."
        )
        return 2
    for i in tqdm(targets, desc="writing", unit="pic", disable=None):
        img = synth.generate_one(i, args.size, args.seed)
        pictures.write_png(targets[i], img, mark=GENERATE_MARK)
    print(f"wrote {args.n} pictures of {args.size}x{args.size} to {args.out}")
    return 0


def add_colorize(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Colorize photos at their full resolution with a trained U-Net. Writes one PNG per "
        "input (same name, .png) to --out; folders are searched recursively and their "
        "sub-folders kept. Inputs are never written over; two inputs that would give the same "
        "output name are both written, the second under a numbered name (listed at the end); "
        "earlier results of colorize in --out are replaced only with --overwrite, and files it did not write never are. Unreadable inputs are "
        "reported at the end; the others are still done."
    )
    p.add_argument("inputs", nargs="*", metavar="INPUT", help="picture files or folders")
    p.add_argument("--model", default="unet.keras", help="the trained model (from 'train')")
    p.add_argument("--out", default="colorized", help="folder for the colorized PNGs")
    p.add_argument(
        "--size",
        type=int,
        default=None,
        help="working size of the network; default: the size it was trained at",
    )
    p.add_argument(
        "--card",
        action="store_true",
        help="print what the model learned from (its card) first; alone, only that",
    )
    p.add_argument(
        "--hints",
        default=None,
        metavar="FILE",
        help="colour hints for the one INPUT, with a hint U-Net (from 'train-hints'): a JSON "
        'file {"hints": [{"x": 120, "y": 80, "color": "#b07cd8"}, ...]}, x and y in pixels of '
        "the picture (0, 0 at the top left)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace earlier results of colorize in --out (files it did not write are never "
        "replaced)",
    )


def run_colorize(args) -> int:
    from colorize_lib import infer
    from colorize_lib.cli import jobs
    from colorize_lib.data import sources

    try:
        if args.size is not None:
            from colorize_lib import shapes

            shapes.check_size(args.size)
        infer.check_model_file(args.model)
        if args.card:
            from colorize_lib.training import cards

            print(
                f"{args.model}:",
                *(f"  {line}" for line in cards.lines(cards.read(args.model))),
                sep="\n",
            )
            if not args.inputs:
                return 0
        if not args.inputs:
            raise ValueError(
                "give the pictures or folders to colorize (or --card alone)"
            )  # a missing or damaged model: said before TensorFlow
        points = None
        if args.hints is not None:
            points = _hint_points(args)  # the file checked against the picture's size
        plan = jobs.plan(args.inputs, args.out)
        if plan.existing_foreign:
            raise jobs.OutputRefused(
                f"{plan.existing_foreign[0]} is already there and was not written by colorize "
                f"(or by a version before its outputs carried a mark, or it is a link; "
                f"{len(plan.existing_foreign)} such file(s)): it is never replaced, even with "
                "--overwrite. Choose another --out, or move those files away."
            )
        if plan.existing and not args.overwrite:
            raise jobs.OutputRefused(
                f"{len(plan.existing)} of the outputs already exist in {args.out} (e.g. "
                f"{plan.existing[0]}); pass --overwrite to replace them, or choose another --out"
            )
        if not plan.jobs:
            raise FileNotFoundError(f"no pictures found in {', '.join(args.inputs)}")
        load_tensorflow()
        from colorize_lib.training import runtime

        runtime.setup(precision="float32")  # inference: no distribution, full precision
        model = infer.load_model(args.model)
        if points is not None and not infer.takes_hints(model):
            raise ValueError(
                f"--hints: {args.model} takes no hints; give a hint U-Net (python -m "
                "colorize_lib train-hints --init UNET.keras --data DIR)"
            )
        built = infer.working_size(model) if model.inputs[0].shape[1] else None
        if args.size is not None and built is not None and args.size != built:
            raise ValueError(
                f"--size {args.size}: {args.model} was built for {built}x{built} pictures; "
                f"leave --size out or pass --size {built}"
            )
        jobs.check_writable(plan.out_dir)  # creates it: only once everything else is right
    except (ValueError, FileNotFoundError) as err:  # OutputRefused is a ValueError
        print(f"error: {err}")
        return 2
    for src, dst in plan.renamed:
        print(f"note: {src} is written as {dst} (its usual name is taken by another input)")
    for src in plan.duplicates:
        print(f"note: {src} was given more than once; colorized once")
    if points is not None:  # from the picture's pixels to the working size's grid
        from colorize_lib import hints

        points = hints.on_grid(*points, infer.working_size(model, args.size))
    written, failed = infer.colorize_files(model, plan.jobs, size=args.size, hints=points)
    failed = plan.unreadable + failed
    replaced = len(set(plan.existing) & set(written))
    print(
        f"colorized {len(written)} of {len(plan.jobs)} pictures into {args.out}/"
        + (f" ({replaced} existing files replaced)" if replaced else "")
    )
    if failed:
        print(f"{len(failed)} could not be colorized:")
        for src, why in failed:
            print(f"  {sources.shown(str(src))}: {why}")
        return 1
    return 0


def _hint_points(args) -> tuple[list[tuple], int, int]:
    """The hints of ``--hints`` for the one input, checked before TensorFlow loads: ``(points
    in the picture's pixels, width, height)``."""
    from colorize_lib import hints
    from colorize_lib.data import pictures

    if len(args.inputs) != 1 or not Path(args.inputs[0]).is_file():
        raise ValueError("--hints: give one picture file (the hints are in its pixels)")
    try:
        height, width = pictures.read(args.inputs[0]).shape[:2]
    except (OSError, ValueError) as err:
        raise ValueError(f"{args.inputs[0]} cannot be read ({err}): give a JPEG or PNG") from None
    return hints.read_file(args.hints, width, height), width, height


def add_export(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Export a trained model (from 'train' or 'train-gan') for a web page: OUT/NAME.onnx "
        "plus OUT/NAME.json (working size, input/output names, scaling, sizes)."
    )
    p.add_argument("--model", required=True, help="the trained model (.keras)")
    p.add_argument("--out", required=True, help="folder for NAME.onnx and NAME.json")
    p.add_argument("--name", default=None, help="file name without suffix (default: the model's)")
    p.add_argument("--float16", action="store_true", help="store the weights in half precision")
    p.add_argument("--label", default=None, help="how the page names the model (default: NAME)")
    p.add_argument(
        "--zip",
        action="store_true",
        help="write one OUT/NAME.zip holding both files (what a reader drops on the page)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")


def run_export(args) -> int:
    import tempfile

    from colorize_lib import bundle, export, infer

    try:
        onnx_path, _ = export.outputs(args.model, args.out, args.name, args.overwrite or args.zip)
        zipped = onnx_path.with_suffix(".zip")
        if args.zip and zipped.exists() and not args.overwrite:
            raise ValueError(f"{zipped} already exists: pass --overwrite to replace it")
        export.check_installed(args.float16)  # all of it before TensorFlow loads
        infer.check_model_file(args.model)
        load_tensorflow()
        from colorize_lib.training import runtime

        runtime.setup(precision="float32")
        if args.zip:
            Path(args.out).mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(prefix="colorize-export-") as tmp:
                done = export.export(
                    args.model, tmp, onnx_path.stem, args.float16, model=None, label=args.label
                )
                bundle.write([done], zipped, overwrite=True)
            print(f"wrote {zipped} ({export.describe(done)}, with its JSON)")
            return 0
        done = export.export(
            args.model, args.out, args.name, args.float16, args.overwrite, label=args.label
        )
    except (ValueError, FileNotFoundError) as err:  # ExportError is a ValueError
        print(f"error: {err}")
        return 2
    except OSError as err:  # a folder that cannot be written, a full disk
        where = err.filename or args.out
        print(f"error: cannot write {where}: {err.strerror or err}. Choose another --out.")
        return 1
    print(f"wrote {export.describe(done)} and {done.json.name} to {args.out}/")
    return 0
