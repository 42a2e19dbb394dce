"""Where pictures come from, and the one interface every source answers.

A **source** is opened once (``data.open_source(spec)`` turns a string into one) and answers:

- ``describe()``: one paragraph on what it is (and its licence);
- ``listing()``: what it holds, **listed once** (a download or an extraction happens here, the
  first time): ``Listing.items`` (picture files, or procedural indices) and ``Listing.skipped``,
  ``(name, reason)`` for every entry it cannot use (other file types, folders it cannot list);
- ``order(seed, n_val)``: its items in the split's order, the held-out ones first;
- ``decode(items, size)``: ``uint8 [N, size, size, 3]``, their names and a ``SkipReport`` of
  what could not be read;
- ``load(size)``: all of it decoded (``listing`` + ``decode``).

The sources: ``FolderSource`` (recursive), ``MultiSource`` (several as one), and, in their own
modules, ``archives.LocalArchiveSource``, ``remote.UrlArchiveSource``, ``remote.KaggleSource``
and ``offline.ProceduralSource``. File sources share ``FileSource``: a seeded order by file
name, and decoded arrays kept in the cache folder, so a second run decodes nothing.

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

import hashlib
import json
import os
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from colorize_lib import profiles
from colorize_lib.data import files, pictures

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


def shown(name: str) -> str:
    """A file name as it can be printed: bytes that are not UTF-8 (kept by Python as
    surrogates) are shown as ``\\xff``."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~])/[^\s,;:'\"()/]+/[^\s,;:'\"()]+")


def public_path(text: str) -> str:
    """``text`` with every absolute path cut to its last two parts: ``/root/.cache/colorize-book/
    cpu/unet-ab12/model.keras`` -> ``.../unet-ab12/model.keras``. What a page shows names the
    file, not how the folders of the machine that measured or trained are laid out."""
    return _ABSOLUTE_PATH.sub(
        lambda m: ".../" + "/".join(m.group(0).rstrip("/").split("/")[-2:]), text
    )


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
            lines += [f"  {shown(name)}: {why}" for name, why in self.skipped[:max_names]]
            if len(self.skipped) > max_names:
                lines.append(f"  ... and {len(self.skipped) - max_names} more")
        if self.upscaled:
            names = ", ".join(shown(n) for n in self.upscaled[:max_names])
            extra = len(self.upscaled) - max_names
            more = f" and {extra} more" if extra > 0 else ""
            lines.append(
                f"{len(self.upscaled)} pictures smaller than the working size were upscaled "
                f"(bicubic): {names}{more}"
            )
        return "\n".join(lines)

    def report(self, printer=print) -> None:
        """Print the summary once, as plain lines, if anything was skipped or upscaled."""
        if self._reported or not (self.skipped or self.upscaled):
            return
        self._reported = True
        printer(self.summary())

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
    from tqdm import tqdm  # a text bar on a terminal, none in a notebook or a log

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
        bar = tqdm(
            results,
            total=len(paths),
            desc="decoding",
            unit="pic",
            disable=None if progress else True,
        )
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
# The interface
# ----------------------------------------------------------------------------------------------


@dataclass
class Listing:
    """What a source holds: ``items`` it can decode, and ``(name, reason)`` for what it cannot."""

    items: list  # Paths of picture files, or procedural indices
    skipped: list[tuple[str, str]] = field(default_factory=list)
    root: Path | None = None  # files: names are relative to this folder


class Source:
    """The interface of every source (see the module docstring). Subclasses give ``describe``,
    ``_list``, ``order`` and ``decode``; ``listing`` lists once per source object."""

    _listing: Listing | None = None

    def describe(self) -> str:
        raise NotImplementedError

    def _list(self) -> Listing:
        raise NotImplementedError

    def listing(self) -> Listing:
        """What the source holds, listed (downloaded, extracted) the first time only."""
        if self._listing is None:
            self._listing = self._list()
        return self._listing

    def order(self, seed: int, n_val: int) -> list:
        raise NotImplementedError

    def decode(
        self, items: Sequence, size: int, progress: bool = True
    ) -> tuple[np.ndarray, list[str], SkipReport]:
        raise NotImplementedError

    def load(
        self, size: int, limit: int | None = None, progress: bool = True
    ) -> tuple[np.ndarray, list[str], SkipReport]:
        """Every item (or the first ``limit``) decoded at ``size``, with what was skipped
        (listing and decoding); ``NoImagesFound`` when none is readable."""
        listing = self.listing()
        items = listing.items[:limit] if limit else listing.items
        images, names, report = self.decode(items, size, progress)
        report.skipped += listing.skipped
        if not names:
            raise NoImagesFound(
                f"None of the {len(items)} picture files of {self.describe()} could be read.\n"
                f"{report.summary()}\n{OFFLINE_HINT}"
            )
        return images, names, report


# ----------------------------------------------------------------------------------------------
# Files: a folder, several folders (archives and downloads are folders once unpacked)
# ----------------------------------------------------------------------------------------------


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


def file_key(path: Path) -> str:
    """The name that decides a file's place in the split: its folder and file name."""
    return f"{path.parent.name}/{path.name}"


def decode_cached(
    paths: list[Path], size: int, progress: bool, root: Path | None
) -> tuple[np.ndarray, list[str], SkipReport]:
    """``load_images`` with its result kept in ``cache_dir()/arrays`` (keyed by the files, their
    sizes, ``size`` and ``root``, which names are relative to): a second run decodes nothing."""
    sig = hashlib.sha1(f"{size}|".encode() + os.fsencode(str(root)))
    for p in paths:  # any name (not valid UTF-8 included); a changed mode (chmod) decodes again
        try:
            st = p.stat()
            sig.update(os.fsencode(p) + f"|{st.st_size}|{st.st_mtime_ns}|{st.st_mode}\n".encode())
        except OSError:
            sig.update(os.fsencode(p) + b"|missing\n")
    folder = profiles.cache_dir() / "arrays"
    stem = folder / f"decoded-{size}-{sig.hexdigest()[:16]}"
    npy, meta = stem.with_suffix(".npy"), stem.with_suffix(".json")
    if npy.exists() and meta.exists():  # meta.json is written last: it marks a whole pair
        try:
            info = json.loads(meta.read_text())
            images = np.load(npy)
            if len(images) != len(info["names"]):
                raise ValueError("pictures and names disagree")
            report = SkipReport(
                skipped=[tuple(x) for x in info["skipped"]], upscaled=info["upscaled"]
            )
            report.loaded = len(info["names"])
            return images, info["names"], report
        except (OSError, ValueError, KeyError, TypeError, EOFError) as err:
            print(f"note: a damaged cache entry ({npy.name}: {err}) was dropped; decoding again")
            npy.unlink(missing_ok=True)
            meta.unlink(missing_ok=True)
    images, names, report = load_images(paths, size, root=root, progress=progress)
    files.atomic_write(npy, lambda tmp: np.save(tmp, images))
    files.write_json(meta, {"names": names, "skipped": report.skipped, "upscaled": report.upscaled})
    return images, names, report


class FileSource(Source):
    """A source of picture files: listed from ``folder()``, ordered by a seeded hash of each
    file's folder and name (the same split on any machine), decoded through the cache."""

    subfolders: list[str] | None = None

    def folder(self) -> Path:
        """The folder (or single file) with the pictures, fetched first where needed."""
        raise NotImplementedError

    def _list(self) -> Listing:
        root = self.folder()
        if not root.exists():
            raise NoImagesFound(
                f"No such folder: {root}. Looked for pictures "
                f"({', '.join(sorted(pictures.IMAGE_EXTENSIONS))}) there. Check the path. {OFFLINE_HINT}"
            )
        if root.is_file():
            return Listing([root], [], root.parent)
        found, unused = _list_pictures(root, self.subfolders)
        if not found:
            what = f"only {len(unused)} other entries" if unused else "nothing"
            only = f" under {', '.join(self.subfolders)}" if self.subfolders else ""
            raise NoImagesFound(
                f"No pictures in {root}{only}: looked recursively for "
                f"{', '.join(sorted(pictures.IMAGE_EXTENSIONS))} and found {what}. "
                f"Put photos there or choose another source. {OFFLINE_HINT}"
            )
        return Listing(found, unused, root)

    def paths(self) -> list[Path]:
        """The picture files (``listing().items``)."""
        return list(self.listing().items)

    def order(self, seed: int, n_val: int) -> list[Path]:
        """Files by SHA-1 of (seed, folder/name): whatever the machine or the listing order."""
        key = lambda p: hashlib.sha1(  # noqa: E731 - a name that is not UTF-8 keeps its bytes
            f"{seed}:{file_key(p)}".encode("utf-8", "surrogateescape")
        ).hexdigest()
        return sorted(self.listing().items, key=key)

    def decode(self, items, size: int, progress: bool = True):
        """Names are relative to the source's folder (``pics/a.png``)."""
        items = list(items)
        return decode_cached(items, size, progress, self.listing().root) if items else _none(size)


def _none(size: int) -> tuple[np.ndarray, list[str], SkipReport]:
    return np.zeros((0, size, size, 3), np.uint8), [], SkipReport()


class FolderSource(FileSource):
    """Every picture under a folder (recursive); files of other types are reported as skipped."""

    def __init__(
        self, path: str | os.PathLike, subfolders: Iterable[str] | None = None, name: str = ""
    ):
        self.root = Path(path).expanduser()
        self.subfolders = list(subfolders) if subfolders else None
        self.name = name or str(self.root)

    def describe(self) -> str:
        only = f" (only the sub-folders {', '.join(self.subfolders)})" if self.subfolders else ""
        return f"pictures in the folder {self.name}{only}"

    def folder(self) -> Path:
        return self.root


class MultiSource(FileSource):
    """Several file sources read as one: their files listed together (what each skipped is
    named with the source's index), ordered and split as one set."""

    def __init__(self, sources: Sequence[FileSource]):
        self.sources = list(sources)

    def describe(self) -> str:
        return "\n".join(f"- {s.describe()}" for s in self.sources)

    def _list(self) -> Listing:
        listings = [s.listing() for s in self.sources]
        skipped = [(f"{k}:{n}", why) for k, ls in enumerate(listings) for n, why in ls.skipped]
        self._owner = {p: k for k, ls in enumerate(listings) for p in ls.items}
        return Listing([p for ls in listings for p in ls.items], skipped)

    def decode(self, items, size: int, progress: bool = True):
        """Each source decodes its own items at once (one cache entry each); the pictures come
        back in the order of ``items``, names prefixed with the source's index."""
        self.listing()
        items = list(items)
        mine: dict[int, list[Path]] = {}
        for p in items:
            mine.setdefault(self._owner[p], []).append(p)
        decoded, report = {}, SkipReport()
        for k, paths in mine.items():
            images, names, r = self.sources[k].decode(paths, size, progress)
            root = self.sources[k].listing().root
            by_name = dict(zip(names, images, strict=True))
            for p in paths:  # the readable ones, by the name the source gave them
                name = p.relative_to(root).as_posix() if root else p.as_posix()
                if name in by_name:
                    decoded[p] = (f"{k}:{name}", by_name[name])
            r.skipped = [(f"{k}:{x}", why) for x, why in r.skipped]
            r.upscaled = [f"{k}:{x}" for x in r.upscaled]
            report.merge(r)
        kept = [decoded[p] for p in items if p in decoded]
        report.loaded = len(kept)
        images = np.stack([img for _, img in kept]) if kept else _none(size)[0]
        return images, [name for name, _ in kept], report
