"""``python -m colorize_lib COMMAND``: the command line (see ``colorize_lib.cli``)."""

import sys

from colorize_lib.cli import main

if __name__ == "__main__":
    sys.exit(main())
