"""The command line: ``python -m colorize_lib COMMAND --help`` (or the ``colorize`` script).

==============  ==============================================================================
``program``     the parser, ``COMMANDS`` and ``main``
``commands``    ``generate``, ``colorize``, ``export``: their options and runs
``train``       ``train`` and ``train-gan``: their options and runs
``jobs``        what ``colorize`` reads and writes, decided before any work
``common``      loading TensorFlow quietly, after the arguments were checked
==============  ==============================================================================
"""

from colorize_lib.cli.program import COMMANDS, build_parser, main

__all__ = ["COMMANDS", "build_parser", "main"]
