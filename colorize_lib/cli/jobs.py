"""What the ``colorize`` command reads and writes, decided before any work starts.

A user's photos are sacred, so ``plan`` settles every output name first and refuses, with one
line that says what to do, anything that could lose a file:

- **never write over an input**: an output folder that is an input folder (or inside one) is
  refused, and so is any output that would land on an input file;
- **folders keep their sub-folders**: ``photos/2019/a.jpg`` becomes ``OUT/2019/a.png``;
- **collisions get distinct names**: two inputs that would give the same output name
  (``A/pic.png`` and ``B/pic.png`` given as two folders, ``photo.jpg`` and ``photo.png``) are both
  written, the second as ``pic_2.png`` (the next free number), and the summary lists each such
  rename; the same file given twice is colorized once;
- **existing files in the output folder** are listed and left alone unless the caller allows
  replacing them (``--overwrite``), and the summary says how many were replaced. Only files
  this tool wrote can be replaced: every PNG ``colorize`` writes carries a mark
  (``infer.OUTPUT_MARK`` in its ``Software`` text chunk); any other file at an output's place
  (``existing_foreign``: a photo, a PNG from elsewhere) is never replaced, whatever the flags;
- folders that cannot be listed and files that cannot be read are reported one line each.

Outputs are written atomically (``pictures.write_png``): a kill leaves no half-written PNG.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from colorize_lib import infer
from colorize_lib.data import pictures


class OutputRefused(ValueError):
    """The outputs would overwrite an input, or the output folder cannot be written."""


@dataclasses.dataclass
class Plan:
    """Every ``(input file, output path)`` pair, and what the summary must tell the user."""

    jobs: list[tuple[Path, Path]]
    out_dir: Path
    renamed: list[tuple[Path, Path]] = dataclasses.field(default_factory=list)  # input, output
    duplicates: list[Path] = dataclasses.field(default_factory=list)  # given again: done once
    unreadable: list[tuple[Path, str]] = dataclasses.field(default_factory=list)  # folders
    existing: list[Path] = dataclasses.field(default_factory=list)  # earlier outputs of ours
    existing_foreign: list[Path] = dataclasses.field(default_factory=list)  # someone else's


def _pictures_in(folder: Path, unreadable: list) -> list[Path]:
    """Picture files below ``folder`` (sorted); folders that cannot be listed are recorded."""
    found = []
    for root, dirs, names in os.walk(folder, onerror=lambda e: unreadable.append(
            (Path(e.filename), f"cannot list this folder: {e.strerror}"))):  # fmt: skip
        dirs.sort()
        found += [
            Path(root) / n for n in names if Path(n).suffix.lower() in pictures.IMAGE_EXTENSIONS
        ]
    return sorted(found)


def _real(p: Path) -> Path | None:
    """Where ``p`` really is, or ``None`` for a link that loops or cannot be followed."""
    try:
        return p.resolve()
    except (OSError, RuntimeError):  # RuntimeError: "Symlink loop" (Python before 3.13)
        return None


def _free_name(rel: Path, taken: set[Path]) -> Path:
    k = 2
    while (new := rel.with_name(f"{rel.stem}_{k}{rel.suffix}")) in taken:
        k += 1
    return new


def plan(inputs: Iterable[str | os.PathLike], out_dir: str | os.PathLike) -> Plan:
    """Decide every output of colorizing ``inputs`` (files and folders) into ``out_dir``.

    Raises ``OutputRefused`` when an output would land on an input; ``FileNotFoundError`` for an
    input that does not exist.
    """
    out = Path(out_dir)
    out_real = out.resolve()
    result = Plan([], out)
    candidates: list[tuple[Path, Path]] = []  # (input, output name relative to out)
    seen: set[Path] = set()
    for item in inputs:
        p = Path(item)
        if not p.exists():
            raise FileNotFoundError(f"{p}: no such file or folder")
        if p.is_dir():
            root = p.resolve()
            if out_real == root or root in out_real.parents:
                raise OutputRefused(
                    f"--out {out} is inside the input folder {p}: the colorized copies would "
                    "mix with your photos (and be read again next time). Choose a folder "
                    "outside it."
                )
            files = [
                (f, f.relative_to(p).with_suffix(".png"))
                for f in _pictures_in(p, result.unreadable)
            ]
        else:
            files = [(p, Path(p.stem + ".png"))]
        for f, rel in files:
            real = _real(f)
            if real is None:
                result.unreadable.append((f, "a symbolic link that loops or cannot be followed"))
            elif real in seen:
                result.duplicates.append(f)
            else:
                seen.add(real)
                candidates.append((f, rel))
    taken = {rel for _, rel in candidates}
    names: set[Path] = set()
    for f, rel in candidates:
        if rel in names:
            new = _free_name(rel, taken)
            taken.add(new)
            result.renamed.append((f, out / new))
            rel = new
        names.add(rel)
        target = out / rel
        if _real(target) in seen:
            raise OutputRefused(
                f"colorizing {f} would write over the input {target}. Choose another --out."
            )
        if target.exists() or target.is_symlink():
            ours = not target.is_symlink() and pictures.png_mark(target) == infer.OUTPUT_MARK
            (result.existing if ours else result.existing_foreign).append(target)
        result.jobs.append((f, target))
    return result


def check_writable(folder: str | os.PathLike) -> None:
    """Create ``folder`` and write a test file there, or raise ``OutputRefused`` saying why."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise OutputRefused(
            f"cannot write to {folder}: {err.strerror or err}. Choose an output folder you can "
            "write to (--out)."
        ) from None
