"""``python -m colorize_lib COMMAND``: the command line (see ``colorize_lib.cli``)."""

import os
import sys

if __name__ == "__main__":
    # A command line shows its own progress; TensorFlow's C++ notes (oneDNN, CPU features, the
    # "oneDNN supports DT_INT32 only" fallback) only bury it, and real failures arrive as Python
    # errors. Set TF_CPP_MIN_LOG_LEVEL=0 to see them again. (Before TensorFlow loads.)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from colorize_lib.cli import main

    sys.exit(main())
