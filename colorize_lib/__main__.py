"""Command line: ``python -m colorize_lib COMMAND --help``.

Each command lives in the module that does the work; that module defines
``add_arguments(parser)`` and ``main(args) -> int``. Only the chosen command's module is
imported, so ``python -m colorize_lib --help`` answers at once.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# command -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("colorize_lib.train", "train the U-Net colorizer on a folder or a named source"),
    "train-gan": ("colorize_lib.gan", "fine-tune a trained U-Net as the generator of a GAN"),
    "colorize": ("colorize_lib.infer", "colorize photos (files or folders) at full resolution"),
    "generate": ("colorize_lib.synth", "write procedural landscape pictures to a folder"),
}


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m colorize_lib",
        description="Colorize photos with a U-Net (and a GAN): train, fine-tune, colorize.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == selected:
            importlib.import_module(module_name).add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    selected = next((a for a in argv if a in COMMANDS), None)
    parser = build_parser(selected)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    module = importlib.import_module(COMMANDS[args.command][0])
    return int(module.main(args) or 0)


if __name__ == "__main__":
    # A command line shows its own progress; TensorFlow's start-up notes (oneDNN, CPU features)
    # only bury it. Set TF_CPP_MIN_LOG_LEVEL=0 to see them again.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main())
