"""What every command shares: TensorFlow loaded once the arguments were checked, quietly."""

from __future__ import annotations

import os
import re
import sys
import tempfile

# Notes TensorFlow writes to stderr while it loads, before it reads TF_CPP_MIN_LOG_LEVEL
# (tensorflow issue 100442): information (I) and warnings (W) for its developers, not for a user
# of this tool, in absl's form (``I0000 00:00:...``) or the older timestamped one
# (``2026-01-30 22:44:42.456316: I tensorflow/...``). Other errors (E) and fatal lines (F)
# always pass; the one E line held back is the known "Unable to register cuDNN/cuFFT/cuBLAS
# factory" of GPU builds (tensorflow issue 62075), which says nothing is wrong.
_LEVEL = r"(?:{L}\d{{4}} |\d{{4}}-\d\d-\d\d [\d:.]+: {L} )"
START_UP_NOTE = re.compile(
    "^" + _LEVEL.format(L="[IW]") + r".*(oneDNN custom operations are on"
    r"|This TensorFlow binary is optimized|cpu_feature_guard|computation placer already "
    r"registered|TF-TRT Warning)"
    "|^" + _LEVEL.format(L="[IWE]") + r".*Unable to register cu(DNN|FFT|BLAS) factory"
    r"|^WARNING: All log messages before absl::InitializeLog\(\) is called"
    r"|^To enable the following instructions: .*rebuild TensorFlow"  # cpu_feature_guard's 2nd line
)


def load_tensorflow() -> None:
    """Import TensorFlow (and Keras) with their start-up notes kept off the terminal.

    File descriptor 2 points to a temporary file while the import runs and is restored right
    after; every line there that is not a ``START_UP_NOTE`` is passed on to stderr, also when
    the import fails.
    """
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            import keras  # noqa: F401
            import tensorflow  # noqa: F401
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            for line in caught.read().decode(errors="replace").splitlines():
                if line.strip() and not START_UP_NOTE.search(line):
                    print(line, file=sys.stderr)
