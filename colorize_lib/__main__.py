"""``python -m colorize_lib COMMAND``: the command line (see ``colorize_lib.cli``)."""

import os
import sys

if __name__ == "__main__":
    # A command line shows its own progress; TensorFlow's start-up notes (oneDNN, CPU features)
    # only bury it. Set TF_CPP_MIN_LOG_LEVEL=0 to see them again. (Before TensorFlow loads.)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from colorize_lib.cli import main

    sys.exit(main())
