"""The training commands of the command line: ``train`` and ``train-gan``.

Their options (``add_train``, ``add_train_gan``) and what runs them (``run_train``,
``run_train_gan``); ``cli`` puts them beside the other commands. Both share the data options
(the same values hold out the same photos), a run set up by ``runtime.setup`` and a save that
happens only when training finished.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

from colorize_lib.cli.common import load_tensorflow

DATA_HELP = (
    "a folder of photos (searched recursively), a .zip/.tar(.gz) archive path, or the URL of one "
    "(add '#sha256=HEX' to check the download), or a named source such as 'offline' (procedural "
    "pictures + bundled photos) or 'kaggle:OWNER/DATASET'"
)


def add_data_options(p: argparse.ArgumentParser) -> None:
    """Options ``train`` and ``train-gan`` share (the same values hold out the same photos)."""
    p.add_argument("--data", required=True, help=DATA_HELP)
    p.add_argument("--batch-size", type=int, default=16, help="pictures per step")
    p.add_argument(
        "--val-fraction",
        type=float,
        default=0.1,
        help="fraction of the pictures held out for validation (never trained on); "
        "use the same value and --seed for 'train' and 'train-gan'",
    )
    p.add_argument("--n", type=int, default=None, help="use at most N pictures (default: all)")
    p.add_argument(
        "--resume",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="continue an interrupted run from its last saved epoch",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the split, the shuffling and the new weights (the same command "
        "gives the same run, up to the last bits of floating-point sums)",
    )


def add_train(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Train the U-Net colorizer on your own photos or a named source. Checkpoints go to OUT "
        "without .keras plus '.run'; run the same command again to resume after an interruption."
    )
    add_data_options(p)
    p.add_argument("--out", default="unet.keras", help="where to save the trained model")
    p.add_argument(
        "--size", type=int, default=128, help="working size in pixels (a multiple of 32)"
    )
    p.add_argument("--epochs", type=int, default=10, help="number of passes over the data")
    p.add_argument(
        "--encoder",
        default="MobileNetV2",
        help="pretrained encoder: MobileNetV2, MobileNetV2-0.5, MobileNetV2-0.35, "
        "ResNet50 or EfficientNetB0",
    )
    p.add_argument(
        "--weights",
        default="imagenet",
        choices=["imagenet", "none"],
        help="start the encoder from ImageNet weights or from random ones",
    )
    p.add_argument(
        "--freeze-epochs",
        type=int,
        default=1,
        help="first epochs train only the decoder (encoder frozen); ignored without "
        "pretrained weights",
    )
    p.add_argument(
        "--learning-rate",
        type=float,
        default=1e-3,
        help="Adam's step size at the start; it decays along a half cosine",
    )


def add_train_gan(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Fine-tune a trained U-Net (from 'train') as the generator of a GAN with a conditional "
        "PatchGAN discriminator. The result, --out, is a plain U-Net .keras file for 'colorize'. "
        "Checkpoints (both networks and optimizers) go to OUT without .keras plus '.run'; run "
        "the same command again to resume after an interruption."
    )
    p.add_argument("--init", required=True, help="the trained U-Net to start from (a .keras file)")
    add_data_options(p)
    p.add_argument("--out", default="gan.keras", help="where to save the fine-tuned U-Net")
    p.add_argument("--epochs", type=int, default=5, help="number of passes over the data")
    p.add_argument(
        "--size",
        type=int,
        default=None,
        help="working size in pixels; default: the --init model's size",
    )
    p.add_argument(
        "--l1-weight",
        type=float,
        default=100.0,
        help="weight of the L1 distance to the true colours against the adversarial "
        "loss (pix2pix: 100; smaller gives bolder but less faithful colours)",
    )
    p.add_argument("--lr", type=float, default=2e-4, help="generator's Adam step size")
    p.add_argument(
        "--d-lr", type=float, default=None, help="discriminator's Adam step size (default: --lr)"
    )
    p.add_argument(
        "--label-smoothing",
        type=float,
        default=0.0,
        help="ask the discriminator for 1 - S instead of 1 on real pictures (e.g. "
        "0.1) so it does not become over-confident",
    )
    p.add_argument(
        "--d-downsamples",
        type=int,
        default=None,
        help="the discriminator's stride-2 steps (1: 16-pixel patches, 2: 34, 3: 70); "
        "default: patches about a quarter of the picture wide",
    )
    p.add_argument(
        "--d-warmup-epochs",
        type=int,
        default=0,
        help="epochs in which only the discriminator trains, before the GAN epochs",
    )


def model_path(out: str) -> Path:
    path = Path(out)
    return path if path.suffix == ".keras" else path.with_suffix(".keras")


def check_common(args) -> None:
    """The options both commands share, checked before anything loads."""
    if not 0 < args.val_fraction < 1:
        raise ValueError(f"--val-fraction {args.val_fraction}: give a number between 0 and 1")
    if args.epochs < 1 or args.batch_size < 1 or (args.n is not None and args.n < 2):
        raise ValueError("--epochs and --batch-size must be at least 1, --n at least 2")
    if args.seed < 0:
        raise ValueError(f"--seed {args.seed}: give a number >= 0")


def open_data(args):
    """The source of ``--data``, opened and listed once (a missing folder, an empty one or an
    unreachable address is said here, before TensorFlow loads)."""
    from colorize_lib import data

    src = data.open_source(args.data, n=args.n or 1000, seed=args.seed)
    src.listing()
    return src


def prepare(args, src, size: int):
    """The run (strategy, precision, seed) and the datasets, after the split was reported."""
    from colorize_lib import data
    from colorize_lib.training import fitting, runtime

    split = data.holdout_split(src, size, args.n, args.val_fraction, args.seed)
    print(
        f"data: {split.source_description}\n-> {len(split.train)} training + "
        f"{len(split.val)} validation pictures at {size}x{size}"
    )
    run = runtime.setup(seed=args.seed)
    print(f"running on {run.devices}, precision {run.precision}")
    train_ds, val_ds = data.make_datasets(split, args.batch_size, args.seed, run.replicas)
    return run, train_ds, val_ds, fitting.samples_from(val_ds), split


def loss_only_grew(losses) -> bool:
    """Whether a run's epoch losses rose at every epoch, three epochs at least (one rise of two
    epochs can be noise, or the encoder unfrozen): the run did not learn."""
    losses = [float(x) for x in losses]
    return len(losses) >= 3 and all(b > a for a, b in zip(losses, losses[1:], strict=False))


def train_and_save(train, model, out: Path, run_dir: Path, card=None) -> int:
    """Run ``train()``; save ``model`` to ``out`` only when it finished and learned something
    (``train`` returns the epoch losses to check, or ``None``); then its card beside it
    (``card(seconds)`` gives it, held-out scores included)."""
    from colorize_lib.data import files
    from colorize_lib.training import fitting

    files.remove_temporaries(out)  # of a save to --out that a kill interrupted
    start = time.time()
    try:
        losses = train()
    except (fitting.TrainingDiverged, fitting.RunMismatch, fitting.RunDamaged) as err:
        print(f"error: {err}")
        return 1
    except OSError as err:  # a full disk or a folder gone while checkpointing
        where = f" ({err.filename})" if err.filename else ""
        print(
            f"error: could not write{where}: {err.strerror or err}. Make room (or fix the "
            f"folder) and run the same command again: it resumes from {run_dir}."
        )
        return 1
    except KeyboardInterrupt:
        print(f"\ninterrupted: run the same command again to resume from {run_dir}")
        return 130
    if losses is not None and loss_only_grew(losses):
        print(
            f"error: the loss grew at every epoch ({', '.join(f'{x:.4g}' for x in losses)}): "
            f"the run did not learn, so {out} was not written. Try a smaller --learning-rate, "
            f"or start afresh with --no-resume (its checkpoints are in {run_dir})."
        )
        return 1
    seconds = time.time() - start
    files.save_model(model, out)
    print(f"saved {out} after {seconds:.0f} s (checkpoints and samples in {run_dir})")
    if card is not None:
        from colorize_lib.training import cards

        written = cards.write(out, card(seconds))
        print(f"its card, {written.name}: {cards.lines(cards.read(out))[-1]}")
    return 0


def model_card(split, model, args, encoder: str, pretrained: bool, seconds: float, **more) -> dict:
    """The command line's model card: what it learned from, its run, its held-out scores."""
    from colorize_lib.training import cards

    return cards.make(
        split, args.epochs, encoder, pretrained, seconds, seed=args.seed,
        **more, **cards.scores(model, split.val),
    )  # fmt: skip


def run_train(args) -> int:
    from colorize_lib import shapes
    from colorize_lib.cli import jobs
    from colorize_lib.data import sources

    out = model_path(args.out)
    try:
        shapes.check_size(args.size)
        shapes.encoder_spec(args.encoder)
        check_common(args)
        if not 0 < args.learning_rate < math.inf or args.freeze_epochs < 0:
            raise ValueError(
                f"--learning-rate must be > 0 and --freeze-epochs >= 0 (got "
                f"{args.learning_rate:g} and {args.freeze_epochs})"
            )
        jobs.check_writable(out.parent)  # before minutes of training, not after
        src = open_data(args)
        load_tensorflow()
        run, train_ds, val_ds, samples, split = prepare(args, src, args.size)
    except (ValueError, FileNotFoundError, sources.SourceError) as err:
        print(f"error: {err}")
        return 2
    from colorize_lib import models
    from colorize_lib.training import fitting

    with run.strategy.scope():
        weights = None if args.weights == "none" else args.weights
        model = models.build_unet(args.size, args.encoder, weights=weights)
    if model.weights_note:
        print(f"note: {model.weights_note}")
    run_dir = out.with_name(out.stem + ".run")
    recipe = {
        "data": split.key,
        "batch_size": args.batch_size,
        "seed": args.seed,
        "weights": args.weights,
        "encoder": args.encoder,
    }
    return train_and_save(
        lambda: fitting.train_unet(
            model,
            train_ds,
            val_ds,
            args.epochs,
            run_dir,
            freeze_epochs=args.freeze_epochs if model.pretrained else 0,
            learning_rate=args.learning_rate,
            samples=samples,
            resume=args.resume,
            strategy=run.strategy,
            recipe=recipe,
        ).history["loss"],
        model,
        out,
        run_dir,
        card=lambda seconds: model_card(
            split, model, args, args.encoder, model.pretrained, seconds
        ),
    )


def run_train_gan(args) -> int:
    from colorize_lib import infer, shapes
    from colorize_lib.cli import jobs
    from colorize_lib.data import files, sources

    out = model_path(args.out)
    try:
        if Path(args.init).resolve() == out.resolve():
            raise ValueError(f"--out {out} is the --init model: choose another --out")
        infer.check_model_file(args.init)
        if args.size is not None:
            shapes.check_size(args.size)
        check_common(args)
        if (
            not 0 <= args.l1_weight < math.inf
            or not 0 <= args.label_smoothing < 1
            or args.d_warmup_epochs < 0
        ):
            raise ValueError(
                "--l1-weight and --d-warmup-epochs must be >= 0, --label-smoothing in [0, 1)"
            )
        if not 0 < args.lr < math.inf or (args.d_lr is not None and not 0 < args.d_lr < math.inf):
            raise ValueError(f"--lr and --d-lr must be > 0 (got {args.lr:g} and {args.d_lr})")
        if args.d_downsamples is not None:
            shapes.check_patch_depth(args.size, args.d_downsamples)
        jobs.check_writable(out.parent)
        src = open_data(args)
        load_tensorflow()
        from colorize_lib import models

        generator = infer.load_model(args.init)
        model_size = generator.input_shape[1]
        size = args.size or model_size or 128
        if model_size is not None and size != model_size:
            raise ValueError(
                f"--size {size}: {args.init} was built for {model_size}x{model_size} "
                f"pictures; leave --size out or pass --size {model_size}"
            )
        n_down = args.d_downsamples or shapes.patch_downsamples(size)
        shapes.check_patch_depth(size, n_down)  # a depth too large for the size: say so now
        run, train_ds, val_ds, samples, split = prepare(args, src, size)
    except (ValueError, FileNotFoundError, sources.SourceError) as err:
        print(f"error: {err}")
        return 2
    from colorize_lib.training import fitting

    with run.strategy.scope():
        generator = models.copy_model(generator)  # its variables under the run's strategy
        discriminator = models.build_discriminator(size, n_down=n_down)
    run_dir = out.with_name(out.stem + ".run")
    recipe = {
        "init": files.sha256(Path(args.init))[:16],
        "data": split.key,
        "batch_size": args.batch_size,
        "seed": args.seed,
    }

    def train():
        history = fitting.train_gan(
            generator,
            train_ds,
            val_ds,
            args.epochs,
            run_dir,
            discriminator=discriminator,
            l1_weight=args.l1_weight,
            g_learning_rate=args.lr,
            d_learning_rate=args.d_lr,
            label_smoothing=args.label_smoothing,
            d_warmup_epochs=args.d_warmup_epochs,
            samples=samples,
            resume=args.resume,
            strategy=run.strategy,
            recipe=recipe,
        )
        record = {"epochs": history.history, "steps": history.steps, "reports": history.reports}
        files.write_json(run_dir / "gan_history.json", record)
        last = {k: round(v[-1], 4) for k, v in history.history.items() if v}
        print(f"last epoch: {last}")

    from colorize_lib.training import cards

    init_card = cards.read(args.init)  # the U-Net's card, when it has one

    def card(seconds: float) -> dict:
        return model_card(
            split, generator, args, init_card.get("encoder", "?"),
            bool(init_card.get("imagenet_weights")), seconds,
            fine_tunes=f"{Path(args.init).name}, as a GAN's generator",
        )  # fmt: skip

    return train_and_save(train, generator, out, run_dir, card=card)
