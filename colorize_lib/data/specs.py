"""A string -> a source: ``open_source(spec)``.

=====================================  =============================================
``"path/to/folder"``                   ``sources.FolderSource`` (recursive)
``"photos.zip"`` (or .tar, .tar.gz...)  ``archives.LocalArchiveSource`` (unpacked into the cache)
``"https://host/photos.zip"`` (or tar)  ``remote.UrlArchiveSource`` (cached, resumable, ``#sha256=``)
``"kaggle:owner/name"``                ``remote.KaggleSource`` through ``kagglehub``
``"kaggle"``                           the Colab default: ``remote.KAGGLE_DEFAULT``, no account
``"offline"`` / ``"procedural"``       ``offline.ProceduralSource``
=====================================  =============================================

Opening lists nothing and downloads nothing: that happens once, at the source's first
``listing()``.
"""

from __future__ import annotations

import os
from pathlib import Path

from colorize_lib.data import archives, offline, remote, sources
from colorize_lib.data.sources import Source


def open_source(spec: str | os.PathLike | Source, n: int = 1000, seed: int = 0) -> Source:
    """A source from a string (see the module docstring); a ``Source`` is returned as is.

    ``n`` and ``seed`` size the procedural set for ``"offline"`` / ``"procedural"``.
    """
    if isinstance(spec, Source):
        return spec
    if not isinstance(spec, str | os.PathLike):
        raise TypeError(f"a source is a string, a path or a Source, got {type(spec).__name__}")
    s = os.fspath(spec).strip()
    low = s.lower()
    if low in ("offline", "procedural", "synth"):
        return offline.ProceduralSource(n, seed)
    if low == "kaggle":
        return remote.kaggle_default()
    if low.startswith("kaggle:"):
        return remote.KaggleSource(s.split(":", 1)[1].strip())
    if low.startswith(("http://", "https://")):
        return remote.UrlArchiveSource(s)
    path = Path(s).expanduser()
    if path.is_file() and archives.is_archive_name(path):
        return archives.LocalArchiveSource(path)
    if path.exists():
        return sources.FolderSource(path)
    raise sources.NoImagesFound(
        f"Unknown source {s!r}: no file or folder by that name exists, and it is not 'offline', "
        "'procedural', 'kaggle', 'kaggle:owner/name' or an http(s) address of a zip/tar archive. "
        f"{sources.OFFLINE_HINT}"
    )
