"""Writing files all-or-nothing: a reader (or a crash) never sees half a file.

Every file the library writes (models, checkpoints, JSON records, PNGs) goes through
``atomic_write``: the content goes to a temporary file in the same folder, is flushed to disk,
then ``os.replace`` puts it under its final name in one step (atomic on one file system). A kill
at any moment leaves either the old file or the new one, never a truncated one, and the
temporary file is removed when the write fails.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path to write; on success it replaces ``path`` in one step.

    ``with atomic_path("m.keras") as tmp: model.save(tmp)``. The temporary file keeps the
    suffix (Keras and PIL choose the format by it) and starts with a dot (hidden while written).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """Call ``write(tmp_path)``, then move the result to ``path`` atomically; returns ``path``."""
    with atomic_path(path) as tmp:
        write(tmp)
    return Path(path)


def remove_temporaries(path: str | Path) -> list[Path]:
    """Delete the temporary files that ``atomic_path`` left beside ``path`` when a kill
    interrupted a write (``.STEM-XXXXXXXX.SUFFIX``); returns them. ``path`` may be a glob
    pattern (``run/epoch-*.keras``) for files written under many names."""
    path = Path(path)
    left = [p for p in path.parent.glob(f".{path.stem}-*{path.suffix}") if p.is_file()]
    for p in left:
        p.unlink(missing_ok=True)
    return left


def write_bytes(path: str | Path, data: bytes) -> Path:
    """``path.write_bytes(data)``, all or nothing."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def write_json(path: str | Path, data: Any) -> Path:
    """JSON (indented), all or nothing."""
    return atomic_write(path, lambda tmp: tmp.write_text(json.dumps(data, indent=1)))


def save_model(model, path: str | Path) -> Path:
    """``model.save(path)`` as a ``.keras`` file, all or nothing."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"{path}: a model file must end in .keras")
    return atomic_write(path, model.save)


def sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """The SHA-256 of a file's bytes, as hex (read in chunks: any size)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()
