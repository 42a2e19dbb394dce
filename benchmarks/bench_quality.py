"""Quality on a folder of held-out photos: gray, a constant mean colour, and every model given.

    python benchmarks/bench_quality.py --folder DIR [--models a.keras b.keras] [--size 64]
                                       [--n 300] [--val-split] [--name quality]

Each photo is cropped to its centred square and resized to ``--size``; every model colorizes
it from its lightness (``infer.colorize_batch``: ab predicted at the model's working size and
put on the photo's own L). The table gives PSNR, SSIM, mean ab error, colourfulness, its gap to
the truth and the AUC of the ab-accuracy curve (``colorize_lib.metrics``), and goes with the
machine and the pictures/s of each model to ``benchmarks/results/<name>.json``.

``--val-split`` keeps only photos the training pipeline holds out for validation
(``data.load_split``'s deterministic order, same ``--seed`` as training), so a model trained on
the same folder is scored on pictures it never saw; the mean colour then comes from the
training part. Without it, give a folder the models never saw.
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

from _common import peak_memory_mb, write_result  # noqa: E402

from colorize_lib import infer, metrics  # noqa: E402
from colorize_lib.data import pictures


def list_pictures(folder: str | Path) -> list[Path]:
    """The picture files of ``folder`` and its sub-folders (``sources.FolderSource``), sorted."""
    from colorize_lib.data import sources

    if not Path(folder).is_dir():
        raise SystemExit(f"--folder {folder} is not a folder: give a folder of photos.")
    try:
        return sorted(sources.FolderSource(folder).paths())
    except sources.NoImagesFound as err:
        raise SystemExit(str(err)) from None


def validation_split(args) -> tuple[np.ndarray, np.ndarray]:
    """(held-out pictures, training pictures) of the folder, in ``colorize_lib.data``'s split.

    ``data.load_split`` orders a folder's files by a hash of their names and holds out the first
    ones; the first ``--n`` of that order are therefore validation pictures of every training
    run on this folder that held out at least ``--n`` pictures.
    """
    from colorize_lib import data

    split = data.load_split(
        source=args.folder, size=args.size, n_train=args.n, n_val=args.n, seed=args.seed
    )
    return np.asarray(split.val), np.asarray(split.train)


def load_pictures(files: list[Path], size: int, n: int) -> tuple[np.ndarray, int]:
    """Up to ``n`` pictures as ``uint8 [n, size, size, 3]``; unreadable files are skipped, counted."""
    pics, skipped = [], 0
    for path in files:
        if len(pics) == n:
            break
        try:
            pics.append(pictures.read_square(path, size)[0])  # the sources' decoding rules
        except pictures.ImageReadError:
            skipped += 1
    if not pics:
        raise SystemExit("None of the pictures could be read.")
    return np.stack(pics), skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", required=True, help="folder of held-out photos")
    parser.add_argument("--models", nargs="*", default=[], help=".keras colorizers to score")
    parser.add_argument("--size", type=int, default=64, help="side the photos are resized to")
    parser.add_argument("--n", type=int, default=300, help="at most this many photos")
    parser.add_argument("--val-split", action="store_true", help="only the validation split")
    parser.add_argument("--seed", type=int, default=0, help="as given to train (the split)")
    parser.add_argument("--name", default="quality", help="results/<name>.json")
    args = parser.parse_args(argv)

    skipped = 0
    if args.val_split:
        truth, rest = validation_split(args)
        where = f"the validation split of {args.folder}"
    else:
        files = list_pictures(args.folder)
        truth, skipped = load_pictures(files, args.size, args.n)
        # the mean colour comes from the folder's other photos when there are any (no peeking)
        others = files[len(truth) + skipped :]
        rest = load_pictures(others, args.size, args.n)[0] if others else truth
        where = str(args.folder)
    print(f"{len(truth)} photos at {args.size}x{args.size} from {where}", end="")
    print(f" ({skipped} unreadable files skipped)" if skipped else "")

    predictions = {
        "gray": metrics.gray_baseline(truth),
        "mean colour": metrics.mean_color_baseline(truth, metrics.mean_ab(rest)),
    }
    speed, precision = {}, {}
    for path in args.models:
        model = infer.load_model(path)
        infer.colorize_batch(model, truth[:2])  # warm up (traces the prediction once)
        t0 = time.perf_counter()
        predictions[Path(path).stem] = infer.colorize_batch(model, truth)
        speed[Path(path).stem] = round(len(truth) / (time.perf_counter() - t0), 1)
        precision[Path(path).stem] = getattr(model.dtype_policy, "name", str(model.dtype_policy))

    rows = metrics.evaluate(predictions, truth)
    print(metrics.format_table(rows))
    figures = {
        "photos": len(truth),
        "size": args.size,
        "folder": str(args.folder),
        "val_split": args.val_split,
        "skipped_files": skipped,
        "table": [
            {k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()} for r in rows
        ],
        "mean_colour_from": "training split"
        if args.val_split
        else ("other photos of the folder" if rest is not truth else "the scored photos"),
        "colorize_pictures_per_s": speed,
        "precision": precision,
        "peak_memory_mb": round(peak_memory_mb(), 1),
    }
    command = "python benchmarks/bench_quality.py " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    write_result(args.name, figures, command.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
