"""``train-hints``: chapter 7's hint U-Net, from a trained U-Net, on your photos.

It starts from ``--init`` (a U-Net of ``train``: ``models.from_unet``, so with no hint it
colorizes as that U-Net does) and learns to follow colour hints drawn from the true colours
(``hints.with_hints``). ``colorize --hints FILE`` then uses it. The data options, resuming and
saving are ``train``'s.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from colorize_lib.cli.common import load_tensorflow
from colorize_lib.cli.train import (
    add_data_options,
    check_common,
    model_card,
    model_path,
    open_data,
    prepare,
    train_and_save,
)


def add_train_hints(p: argparse.ArgumentParser) -> None:
    from colorize_lib import hints

    p.description = (
        "Teach a trained U-Net (from 'train') to follow colour hints (chapter 7). The result, "
        "--out, is what 'colorize --hints FILE' needs. Run the same command again to resume."
    )
    p.add_argument("--init", required=True, help="the trained U-Net to start from (a .keras file)")
    add_data_options(p)
    p.add_argument("--out", default="hints.keras", help="where to save the hint U-Net")
    p.add_argument("--epochs", type=int, default=10, help="number of passes over the data")
    p.add_argument(
        "--learning-rate",
        type=float,
        default=hints.LEARNING_RATE,
        help="Adam's step size at the start; it decays along a half cosine",
    )


def run_train_hints(args) -> int:
    from colorize_lib import infer
    from colorize_lib.cli import jobs
    from colorize_lib.data import files, sources

    out = model_path(args.out)
    try:
        if Path(args.init).resolve() == out.resolve():
            raise ValueError(f"--out {out} is the --init model: choose another --out")
        infer.check_model_file(args.init)
        check_common(args)
        if not 0 < args.learning_rate < math.inf:
            raise ValueError(f"--learning-rate must be > 0 (got {args.learning_rate:g})")
        jobs.check_writable(out.parent)
        src = open_data(args)
        load_tensorflow()
        unet = infer.load_model(args.init)
        if infer.takes_hints(unet):
            raise ValueError(f"--init {args.init} is a hint U-Net already: give a U-Net of 'train'")
        size = infer.working_size(unet)
        run, train_ds, val_ds, _, split = prepare(args, src, size)
    except (ValueError, FileNotFoundError, sources.SourceError) as err:
        print(f"error: {err}")
        return 2
    from colorize_lib import hints, models
    from colorize_lib.training import cards, fitting

    init_card = cards.read(args.init)
    encoder = models.encoder_name(unet)
    if encoder is None:
        print(f"error: {args.init} is not a U-Net of 'train' (its encoder is not one of ours): "
              "give a model that 'python -m colorize_lib train' wrote")  # fmt: skip
        return 2
    with run.strategy.scope():
        model = models.from_unet(models.build_hint_unet(size, encoder, weights=None), unet)
    run_dir = out.with_name(out.stem + ".run")
    recipe = {"init": files.sha256(Path(args.init))[:16], "data": split.key,
              "batch_size": args.batch_size, "seed": args.seed}  # fmt: skip
    return train_and_save(
        lambda: fitting.train_unet(
            model,
            hints.with_hints(train_ds, args.seed),
            hints.with_hints(val_ds, args.seed + 1),
            args.epochs,
            run_dir,
            learning_rate=args.learning_rate,
            resume=args.resume,
            strategy=run.strategy,
            recipe=recipe,
        ).history["loss"],
        model,
        out,
        run_dir,
        card=lambda seconds: model_card(
            split,
            model,
            args,
            encoder,
            bool(init_card.get("imagenet_weights")),
            seconds,
            fine_tunes=f"{Path(args.init).name}, with colour hints",
        ),  # fmt: skip
    )
