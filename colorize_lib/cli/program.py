"""``python -m colorize_lib COMMAND`` (or ``colorize COMMAND``): the parser and ``main``.

Every command's options are in ``commands`` or, for the two training commands, in ``train``;
each command is a thin call into the library (the same calls the chapters make). Arguments and
paths are checked before TensorFlow loads, so a wrong path answers at once; TensorFlow's start-up
notes stay off the terminal. Errors are one line starting with ``error:`` and a non-zero exit
code: 2 for bad arguments or input, 1 when the work itself failed.
"""

from __future__ import annotations

import argparse
import sys

from colorize_lib import profiles
from colorize_lib.cli.commands import (
    add_colorize,
    add_export,
    add_generate,
    run_colorize,
    run_export,
    run_generate,
)
from colorize_lib.cli.hints import add_train_hints, run_train_hints
from colorize_lib.cli.train import add_train, add_train_gan, run_train, run_train_gan
from colorize_lib.cli.webmodels import add_web_models, run_web_models

# command -> (one-line help, add its options, run it)
COMMANDS = {
    "train": ("train the U-Net colorizer on a folder or a named source", add_train, run_train),
    "train-gan": (
        "fine-tune a trained U-Net as the generator of a GAN",
        add_train_gan,
        run_train_gan,
    ),
    "train-hints": (
        "teach a trained U-Net to follow colour hints (chapter 7)",
        add_train_hints,
        run_train_hints,
    ),
    "colorize": (
        "colorize photos (files or folders) at full resolution",
        add_colorize,
        run_colorize,
    ),
    "generate": ("write procedural landscape pictures to a folder", add_generate, run_generate),
    "export": ("export a trained model to ONNX for a web page", add_export, run_export),
    "web-models": (
        "train, export and bundle the book page's models from your photos",
        add_web_models,
        run_web_models,
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m colorize_lib",
        description="Colorize photos with a U-Net (and a GAN): train, fine-tune, colorize.",
    )
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an unexpected error"
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
    """Run one command; returns its exit code (``colorize`` and ``python -m colorize_lib``)."""
    profiles.quiet_tensorflow_logs()  # before TensorFlow loads, if it does
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 prints as \xff
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(COMMANDS[args.command][2](args) or 0)
    except KeyboardInterrupt:
        print("\ninterrupted")
        return 130
    except Exception as err:  # what no command foresaw: one line, never a traceback
        if args.debug:
            raise
        reason = str(err).strip().splitlines()[0][:200] if str(err).strip() else ""
        print(
            f"error: {args.command} stopped on something unexpected: {type(err).__name__}: "
            f"{reason} (run with --debug before the command to see where)"
        )
        return 1
