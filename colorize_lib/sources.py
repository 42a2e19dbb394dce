"""Where pictures come from: bundled photos, a folder, an archive (on disk or at a URL), Kaggle.

Every source has the same small interface (``Source``): ``describe()`` says in one paragraph
what it is (and its licence), ``paths()`` lists its picture files (downloading them first if
needed), and ``load(size)`` decodes them once into ``uint8 [N, size, size, 3]`` with a
``SkipReport`` of what could not be used. ``open_source(spec)`` turns a string into a source:

=====================================  =============================================
``"path/to/folder"``                   ``FolderSource`` (recursive)
``"photos.zip"`` (or .tar, .tar.gz...)  ``archives.LocalArchiveSource`` (unpacked into the cache)
``"https://host/photos.zip"`` (or tar)  ``remote.UrlArchiveSource`` (cached, resumable, ``#sha256=``)
``"kaggle:owner/name"``                ``remote.KaggleSource`` through ``kagglehub``
``"kaggle"``                           the Colab default: ``remote.KAGGLE_DEFAULT``, no account
``"offline"`` / ``"procedural"``       ``ProceduralSource`` (plus ``bundled_photos()``)
=====================================  =============================================

Every file is read by ``pictures.read_square`` (the book's one set of decoding rules: EXIF
orientation, 8/16-bit, CMYK and palette, **transparent pixels composited on white**; see
``pictures``):

- size: **centre crop to a square, then resize** to the working size (Lanczos). Huge JPEGs are
  reduced while decoding (1/2, 1/4 or 1/8 scale), so an 8000x6000 photo never exists in memory
  at full size; pictures above ``pictures.MAX_PIXELS`` are skipped as likely decompression
  bombs. **Small pictures** (shorter side below the working size) are upscaled (bicubic) and
  counted in the report; pictures under ``MIN_SIDE`` pixels are skipped.
- bad files (corrupt, truncated, zero bytes, not a picture) are **skipped, counted and reported
  once** (``SkipReport``) while decoding, before any training starts: never a crash mid-epoch.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from colorize_lib import pictures

MIN_SIDE = 16  # pictures whose shorter side is below this are skipped (too little to learn)

OFFLINE_HINT = (
    "Offline alternatives: the procedural landscapes and the photos bundled with scikit-learn "
    "and scikit-image (source 'offline', the default of the 'cpu' and 'tiny' profiles: set "
    "COLORIZE_PROFILE=cpu), or a folder of your own photos (source '/path/to/photos')."
)


# ----------------------------------------------------------------------------------------------
# Errors and the skip report
# ----------------------------------------------------------------------------------------------


class SourceError(Exception):
    """A source cannot deliver pictures; the message says why and what to do."""


class SourceUnavailable(SourceError):
    """The source needs the network (or a package) that is not there."""


class NoImagesFound(SourceError, FileNotFoundError):
    """A path is missing, or holds no readable picture."""


class ChecksumMismatch(SourceError):
    """A downloaded file does not have the expected SHA-256 (the file has been removed)."""


class UnsafeArchive(SourceError):
    """An archive has members that would land outside its folder, or is too big (``archives``)."""


@dataclass
class SkipReport:
    """Files that could not be used (and pictures that were upscaled), reported once."""

    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    upscaled: list[str] = field(default_factory=list)  # smaller than the working size
    loaded: int = 0
    _reported: bool = field(default=False, repr=False)

    def merge(self, other: SkipReport) -> SkipReport:
        self.skipped += other.skipped
        self.upscaled += other.upscaled
        self.loaded += other.loaded
        return self

    def summary(self, max_names: int = 5) -> str:
        """A few lines: how many were loaded, skipped (which, why) and upscaled."""
        lines = [f"{self.loaded} pictures loaded"]
        if self.skipped:
            lines.append(f"{len(self.skipped)} files skipped:")
            lines += [f"  {name}: {why}" for name, why in self.skipped[:max_names]]
            if len(self.skipped) > max_names:
                lines.append(f"  ... and {len(self.skipped) - max_names} more")
        if self.upscaled:
            names = ", ".join(self.upscaled[:max_names])
            extra = len(self.upscaled) - max_names
            more = f" and {extra} more" if extra > 0 else ""
            lines.append(
                f"{len(self.upscaled)} pictures smaller than the working size were upscaled "
                f"(bicubic): {names}{more}"
            )
        return "\n".join(lines)

    def report(self) -> None:
        """Warn once (a single ``UserWarning``) if anything was skipped or upscaled."""
        if self._reported or not (self.skipped or self.upscaled):
            return
        self._reported = True
        warnings.warn(self.summary(), UserWarning, stacklevel=2)

    def __str__(self) -> str:
        return self.summary()


# ----------------------------------------------------------------------------------------------
# Decoding many pictures
# ----------------------------------------------------------------------------------------------


def load_images(
    paths: Sequence[Path],
    size: int,
    root: Path | None = None,
    progress: bool = True,
    workers: int = 0,
) -> tuple[np.ndarray, list[str], SkipReport]:
    """Decode many files to uint8 [N, size, size, 3]; bad ones are skipped into the report.

    Decoding runs in a thread pool (PIL releases the GIL while decoding and resizing).
    Returns ``(pictures, names, report)``; ``names`` are paths relative to ``root``.
    """
    from tqdm.auto import tqdm

    def name_of(p: Path) -> str:
        try:
            return p.relative_to(root).as_posix() if root else p.as_posix()
        except ValueError:
            return p.as_posix()

    def one(p: Path):
        try:
            return pictures.read_square(p, size, min_side=MIN_SIDE)
        except pictures.ImageReadError as e:
            return e

    report = SkipReport()
    out = np.empty((len(paths), size, size, 3), np.uint8)  # [N, S, S, 3]
    names: list[str] = []
    workers = workers or min(8, (os.cpu_count() or 2) + 2)
    with ThreadPoolExecutor(workers) as pool:
        results = pool.map(one, paths)
        bar = tqdm(results, total=len(paths), desc="decoding", unit="pic", disable=not progress)
        for p, r in zip(paths, bar, strict=True):
            if isinstance(r, pictures.ImageReadError):
                report.skipped.append((name_of(p), str(r)))
                continue
            img, upscaled = r
            out[len(names)] = img
            names.append(name_of(p))
            if upscaled:
                report.upscaled.append(name_of(p))
    report.loaded = len(names)
    return out[: len(names)], names, report


# ----------------------------------------------------------------------------------------------
# The interface and the sources
# ----------------------------------------------------------------------------------------------


class Source(Protocol):
    def describe(self) -> str: ...

    def paths(self) -> list[Path]: ...

    def load(
        self, size: int, limit: int | None = None, progress: bool = True
    ) -> tuple[np.ndarray, list[str], SkipReport]: ...


def _list_pictures(
    root: Path, subfolders: Iterable[str] | None = None
) -> tuple[list[Path], list[tuple[str, str]]]:
    """Picture files under ``root`` (recursive, sorted by name), and ``(name, reason)`` for every
    other file and every folder that cannot be listed (reported, never skipped silently)."""
    wanted = {s.lower() for s in subfolders} if subfolders else None
    found, unused = [], []

    def cannot_list(err: OSError) -> None:
        unused.append(
            (
                Path(err.filename).relative_to(root).as_posix() + "/",
                f"cannot list this folder ({err.strerror})",
            )
        )

    for dirpath, dirnames, filenames in os.walk(root, onerror=cannot_list):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for f in sorted(filenames):
            p = Path(dirpath) / f
            parts = {part.lower() for part in p.relative_to(root).parts[:-1]}
            if f.startswith(".") or (wanted is not None and not parts & wanted):
                continue
            if p.suffix.lower() in pictures.IMAGE_EXTENSIONS:
                found.append(p)
            else:
                unused.append(
                    (
                        p.relative_to(root).as_posix(),
                        f"not a picture file type ({p.suffix or 'no extension'})",
                    )
                )
    return found, unused


class FolderSource:
    """Every picture under a folder (recursive); files of other types are reported as skipped."""

    def __init__(
        self, path: str | os.PathLike, subfolders: Iterable[str] | None = None, name: str = ""
    ):
        self.root = Path(path).expanduser()
        self.subfolders = list(subfolders) if subfolders else None
        self.name = name or str(self.root)
        self.unused: list[tuple[str, str]] = []  # (name, reason): reported with the skips

    def describe(self) -> str:
        only = f" (only the sub-folders {', '.join(self.subfolders)})" if self.subfolders else ""
        return f"pictures in the folder {self.name}{only}"

    def paths(self) -> list[Path]:
        if not self.root.exists():
            raise NoImagesFound(
                f"No such folder: {self.root}. Looked for pictures "
                f"({', '.join(sorted(pictures.IMAGE_EXTENSIONS))}) there. Check the path. {OFFLINE_HINT}"
            )
        if self.root.is_file():
            return [self.root]
        files, self.unused = _list_pictures(self.root, self.subfolders)
        if not files:
            found = f"only {len(self.unused)} other entries" if self.unused else "nothing"
            raise NoImagesFound(
                f"No pictures in {self.root}{' under ' + ', '.join(self.subfolders) if self.subfolders else ''}: "
                f"looked recursively for {', '.join(sorted(pictures.IMAGE_EXTENSIONS))} and found {found}. "
                f"Put photos there or choose another source. {OFFLINE_HINT}"
            )
        return files

    def load(
        self, size: int, limit: int | None = None, progress: bool = True
    ) -> tuple[np.ndarray, list[str], SkipReport]:
        """Decode (up to ``limit``) pictures at ``size``; raises ``NoImagesFound`` if none is readable."""
        paths = self.paths()[:limit] if limit else self.paths()
        root = self.root if self.root.is_dir() else self.root.parent
        images, names, report = load_images(paths, size, root=root, progress=progress)
        report.skipped += self.unused
        if not names:
            raise NoImagesFound(
                f"None of the {len(paths)} picture files in {self.root} could be read.\n"
                f"{report.summary()}\n{OFFLINE_HINT}"
            )
        return images, names, report


class MultiSource:
    """Several sources read as one (names are prefixed with the source's index)."""

    def __init__(self, sources: Sequence[Source]):
        self.sources = list(sources)

    def describe(self) -> str:
        return "\n".join(f"- {s.describe()}" for s in self.sources)

    def paths(self) -> list[Path]:
        found = [p for s in self.sources for p in s.paths()]
        self.unused = [
            (f"{k}:{n}", why)
            for k, s in enumerate(self.sources)
            for n, why in getattr(s, "unused", [])
        ]
        return found

    def load(self, size: int, limit: int | None = None, progress: bool = True):
        parts, names, report = [], [], SkipReport()
        for k, s in enumerate(self.sources):
            imgs, n, r = s.load(size, None, progress)
            parts.append(imgs)
            names += [f"{k}:{x}" for x in n]
            report.merge(r)
        images = np.concatenate(parts)
        if limit:
            images, names = images[:limit], names[:limit]
        return images, names, report


# ----------------------------------------------------------------------------------------------
# Offline: procedural landscapes and bundled photos
# ----------------------------------------------------------------------------------------------


class ProceduralSource:
    """Landscapes from ``synth`` (made here, no files): picture ``i`` of the set ``seed``."""

    def __init__(self, n: int = 1000, seed: int = 0, start: int = 0):
        self.n, self.seed, self.start = n, seed, start

    def describe(self) -> str:
        return (
            f"{self.n} procedural landscapes (colorize_lib.synth, seed {self.seed}), made on this "
            "machine; no licence needed"
        )

    def paths(self) -> list[Path]:
        return []  # nothing on disk

    def load(self, size: int, limit: int | None = None, progress: bool = True):
        from . import synth

        n = min(self.n, limit) if limit else self.n
        images = synth.generate(n, size, self.seed, start=self.start, progress=progress)
        names = [f"synth:{self.seed}:{self.start + i}" for i in range(n)]
        return images, names, SkipReport(loaded=n)


# name -> (package, loader, kind, what it shows). "outdoor" photos are in the book's domain
# (landscapes); "out-of-domain" ones test what a landscape colorizer does with other scenes.
BUNDLED: dict[str, tuple[str, str, str, str]] = {
    "china": ("scikit-learn", "china.jpg", "outdoor", "a temple above a lake, trees, hazy sky"),
    "rocket": ("scikit-image", "rocket", "outdoor", "a rocket on its launch pad at dusk"),
    "flower": ("scikit-learn", "flower.jpg", "out-of-domain", "a dahlia close up, leaves behind"),
    "astronaut": ("scikit-image", "astronaut", "out-of-domain", "a portrait (Eileen Collins)"),
    "chelsea": ("scikit-image", "chelsea", "out-of-domain", "a cat's face"),
    "coffee": ("scikit-image", "coffee", "out-of-domain", "a cup of coffee on a table, indoors"),
    "motorcycle": ("scikit-image", "motorcycle", "out-of-domain", "a red motorcycle in a garage"),
}
BUNDLED_LICENCES: dict[str, str] = {  # as the packages state them
    "china": "CC BY 2.0, danielbuechele on Flickr (sklearn/datasets/images/README.txt)",
    "flower": "CC BY 2.0, vultilion on Flickr (sklearn/datasets/images/README.txt)",
    "rocket": "public domain, SpaceX (skimage.data.rocket)",
    "astronaut": "public domain, NASA (skimage.data.astronaut)",
    "chelsea": "CC0, Stefan van der Walt (skimage.data.chelsea)",
    "coffee": "CC0, Rachel Michetti (skimage.data.coffee)",
    "motorcycle": "Middlebury stereo data set 2014: see vision.middlebury.edu/stereo/data",
}
BUNDLED_LICENCE = "; ".join(f"{k}: {v}" for k, v in BUNDLED_LICENCES.items())


def _load_bundled(name: str) -> np.ndarray:
    package, loader, _, _ = BUNDLED[name]
    if package == "scikit-learn":
        from sklearn.datasets import load_sample_image

        img = load_sample_image(loader)
    elif loader == "motorcycle":
        import skimage.data

        img = skimage.data.stereo_motorcycle()[0]
    else:
        import skimage.data

        img = getattr(skimage.data, loader)()
    return np.ascontiguousarray(np.asarray(img, dtype=np.uint8)[..., :3])  # [H, W, 3]


def bundled_photos(kind: str | None = None) -> dict[str, np.ndarray]:
    """Photos shipped inside scikit-learn and scikit-image wheels (no download), as uint8 RGB.

    ``kind``: ``"outdoor"`` (in the book's domain: landscapes), ``"out-of-domain"`` (portrait,
    cat, indoor scenes) or ``None`` for all. A photo whose package is missing is left out.
    See ``BUNDLED`` for what each one shows and ``BUNDLED_LICENCE``.
    """
    if kind not in (None, "outdoor", "out-of-domain"):
        raise ValueError(f"kind must be None, 'outdoor' or 'out-of-domain', got {kind!r}")
    photos: dict[str, np.ndarray] = {}
    for name, (_, _, k, _) in BUNDLED.items():
        if kind is not None and k != kind:
            continue
        try:
            photos[name] = _load_bundled(name)  # [H, W, 3] uint8
        except (ImportError, OSError, ValueError, AttributeError):
            continue  # package (or its file) missing: leave that photo out
    return photos


# ----------------------------------------------------------------------------------------------
# open_source
# ----------------------------------------------------------------------------------------------


def open_source(spec: str | os.PathLike | Source, n: int = 1000, seed: int = 0) -> Source:
    """A source from a string (see the module docstring); a ``Source`` is returned as is.

    ``n`` and ``seed`` size the procedural set for ``"offline"`` / ``"procedural"``.
    """
    from colorize_lib import archives, remote  # imported only when asked (requests, kagglehub)

    if not isinstance(spec, str | os.PathLike):
        return spec
    s = os.fspath(spec).strip()
    low = s.lower()
    if low in ("offline", "procedural", "synth"):
        return ProceduralSource(n, seed)
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
        return FolderSource(path)
    raise NoImagesFound(
        f"Unknown source {s!r}: no file or folder by that name exists, and it is not 'offline', "
        "'procedural', 'kaggle', 'kaggle:owner/name' or an http(s) address of a zip/tar archive. "
        f"{OFFLINE_HINT}"
    )
