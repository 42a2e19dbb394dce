"""Archives of pictures unpacked safely: a zip or tar (.gz/.bz2/.xz), downloaded or on your disk.

- ``safe_extract(archive, dest)`` reads the archive's own listing before writing anything, and
  refuses the whole archive (``UnsafeArchive``, with the numbers) when

  - a member would land outside ``dest`` (absolute paths, ``..``, links pointing outside), or is
    not a plain file, folder or link inside (a device, a pipe, a zip symbolic link);
  - it has more than ``MAX_MEMBERS`` (200,000) members, or would expand to more than
    ``MAX_TOTAL_BYTES`` (20 GB);
  - a member, or the whole archive, would expand more than ``MAX_RATIO`` (100) times and to
    more than ``RATIO_FREE_BYTES`` (16 MiB): a likely decompression bomb (photos hardly
    compress). A tar lists no packed sizes, so for a tar the ratio is that of the whole archive.

  The counts and sizes are counted again while writing, so a listing that lies does not get past
  the caps. A damaged archive (a bad CRC found while extracting, a truncated file, not an archive
  at all) raises ``DamagedArchive``. Extraction goes to ``dest.tmp``, renamed when complete and
  removed on any failure: a refused or damaged archive leaves nothing behind.
- ``extract_once``: extract unless the same archive (by SHA-256) was already extracted there.
- ``LocalArchiveSource``: an archive on your disk (``--data photos.zip``), extracted into the
  cache under its content hash (a changed archive is extracted again). Your archive is only read:
  never changed, moved or deleted, even when it is damaged.
"""

from __future__ import annotations

import lzma
import os
import shutil
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path

from colorize_lib import profiles
from colorize_lib.data import files
from colorize_lib.data.sources import FileSource, SourceError, UnsafeArchive

MAX_TOTAL_BYTES = 20 * 10**9  # everything the archive holds, once extracted
MAX_MEMBERS = 200_000  # files, folders and links
MAX_RATIO = 100  # extracted size / packed size of one member (of the whole archive for a tar)...
RATIO_FREE_BYTES = 16 * 2**20  # ...checked only for what expands to more than this
SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")


class DamagedArchive(SourceError):
    """An archive that cannot be read to its end: bad CRC, truncated, or not an archive."""


def is_archive_name(path: str | os.PathLike) -> bool:
    """Whether a file name ends like an archive ``safe_extract`` reads (``.zip``, ``.tar.gz``...)."""
    return os.fspath(path).lower().endswith(SUFFIXES)


def _size(n: int) -> str:
    if n >= 10**6:
        return f"{n / 1e9:,.1f} GB" if n >= 10**9 else f"{n / 1e6:,.1f} MB"
    return f"{n:,} bytes"


def _inside(root: Path, target: Path) -> bool:
    try:
        target.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def _bad_name(name: str) -> bool:
    return (
        name.startswith(("/", "\\"))
        or (len(name) > 1 and name[1] == ":")
        or ".." in Path(name.replace("\\", "/")).parts
    )


def _listing(archive: Path, root: Path, is_zip: bool):
    """(members that would land outside ``root``, with why; every member as (name, size, packed
    size or None)): read from the archive's listing, nothing written."""
    bad: list[str] = []
    sizes: list[tuple[str, int, int | None]] = []
    if is_zip:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                sizes.append((info.filename, info.file_size, info.compress_size))
                if _bad_name(info.filename) or not _inside(root, root / info.filename):
                    bad.append(f"{info.filename} (outside the folder)")
                elif stat.S_ISLNK(info.external_attr >> 16):
                    bad.append(f"{info.filename} (a symbolic link)")
        return bad, sizes
    with tarfile.open(archive) as tf:
        for m in tf.getmembers():
            sizes.append((m.name, m.size if m.isfile() else 0, None))
            target = root / m.name
            if _bad_name(m.name) or not _inside(root, target):
                bad.append(f"{m.name} (outside the folder)")
            elif m.issym() or m.islnk():
                base = target.parent if m.issym() else root  # hard links are archive-relative
                if _bad_name(m.linkname) or not _inside(root, base / m.linkname):
                    bad.append(f"{m.name} -> {m.linkname} (a link pointing outside)")
            elif not (m.isfile() or m.isdir()):
                bad.append(f"{m.name} (a device or pipe)")
    return bad, sizes


def _refuse(archive: Path, why: str, when: str = "Nothing was extracted") -> UnsafeArchive:
    return UnsafeArchive(
        f"Refused to extract {archive.name}: {why}. {when} (limits: MAX_MEMBERS, "
        "MAX_TOTAL_BYTES and MAX_RATIO in colorize_lib.data.archives). If you trust the archive, "
        "unpack it yourself and pass the folder."
    )


def _check_caps(archive: Path, sizes: list[tuple[str, int, int | None]]) -> None:
    """Refuse, from the listing alone, an archive above ``MAX_MEMBERS`` / ``MAX_TOTAL_BYTES`` /
    ``MAX_RATIO``."""
    total = sum(size for _, size, _ in sizes)
    if len(sizes) > MAX_MEMBERS:
        raise _refuse(
            archive, f"it has {len(sizes):,} members, more than the {MAX_MEMBERS:,} allowed"
        )
    if total > MAX_TOTAL_BYTES:
        raise _refuse(
            archive,
            f"it would expand to {_size(total)}, more than the {_size(MAX_TOTAL_BYTES)} allowed",
        )
    if all(packed is None for *_, packed in sizes):  # a tar: the ratio of the whole archive
        sizes = [(archive.name, total, archive.stat().st_size)]
    # the whole archive too: many members that each stay under the free size add up
    whole = [(f"its {len(sizes):,} members together", total, archive.stat().st_size)]
    for name, size, packed in [*sizes, *whole]:
        if size > RATIO_FREE_BYTES and size > MAX_RATIO * max(packed or 0, 1):
            raise _refuse(
                archive,
                f"{name} would expand from {_size(packed or 0)} to {_size(size)} (more than "
                f"{MAX_RATIO} times: a likely decompression bomb)",
            )


class _Counter:
    """Counts members and bytes while writing; past a cap it refuses (``UnsafeArchive``)."""

    def __init__(self, archive: Path):
        self.archive, self.members, self.total = archive, 0, 0

    def member(self) -> None:
        self.members += 1
        if self.members > MAX_MEMBERS:
            raise self._past(f"{MAX_MEMBERS:,} members")

    def add(self, n: int) -> None:
        self.total += n
        if self.total > MAX_TOTAL_BYTES:
            raise self._past(_size(MAX_TOTAL_BYTES))

    def _past(self, what: str) -> UnsafeArchive:
        when = "What was extracted so far was removed"
        return _refuse(
            self.archive, f"it went past {what} while extracting (its listing said less)", when
        )


def _extract_zip(archive: Path, tmp: Path, count: _Counter) -> None:
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            count.member()
            target = tmp / info.filename
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as dst:  # the CRC is checked at the end
                while block := src.read(1 << 20):
                    count.add(len(block))
                    dst.write(block)


def _extract_tar(archive: Path, tmp: Path, count: _Counter) -> None:
    def counted(tf: tarfile.TarFile):
        for m in tf:  # a tar member's header size is the number of bytes written for it
            count.member()
            count.add(m.size if m.isfile() else 0)
            yield m

    with tarfile.open(archive) as tf:
        if hasattr(tarfile, "data_filter"):
            tf.extractall(tmp, members=counted(tf), filter="data")
        else:  # pragma: no cover - Python < 3.11.4; members were checked before
            tf.extractall(tmp, members=counted(tf))


_DAMAGE = (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, lzma.LZMAError)


def _is_damage(e: BaseException) -> bool:
    """A read error of the archive itself (gzip and bz2 raise OSErrors without errno)."""
    return isinstance(e, _DAMAGE) or (isinstance(e, OSError) and e.errno is None)


def _damaged(archive: Path, e: BaseException | None = None) -> DamagedArchive:
    if e is None:
        what = "is neither a zip nor a tar archive (or is too damaged to tell)"
    else:
        what = f"is damaged or incomplete ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})"
    return DamagedArchive(f"The archive {archive} {what}; nothing was extracted.")


def safe_extract(archive: str | os.PathLike, dest: str | os.PathLike) -> Path:
    """Extract a zip or tar(.gz/.bz2/.xz) into ``dest``: refused whole when unsafe or too big
    (``UnsafeArchive``), ``DamagedArchive`` when it cannot be read; see the module docstring.
    Tar members are also extracted with tarfile's ``data`` filter. Returns ``dest``."""
    archive, dest = Path(archive), Path(dest)
    try:
        is_zip = zipfile.is_zipfile(archive)
        if not (is_zip or tarfile.is_tarfile(archive)):
            raise _damaged(archive)
        bad, sizes = _listing(archive, dest, is_zip)
    except BaseException as e:
        if _is_damage(e):
            raise _damaged(archive, e) from None
        raise
    if bad:
        raise UnsafeArchive(
            f"Refused to extract {archive.name}: {len(bad)} members would be written outside the "
            f"extraction folder: {'; '.join(bad[:5])}. Nothing was extracted. Use a trusted archive."
        )
    _check_caps(archive, sizes)
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        (_extract_zip if is_zip else _extract_tar)(archive, tmp, _Counter(archive))
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if _is_damage(e):
            raise _damaged(archive, e) from None
        if is_zip and isinstance(e, NotImplementedError | RuntimeError):  # encrypted, zstd...
            raise SourceError(
                f"Cannot extract {archive.name}: {e}. Pack it again as a plain zip or tar."
            ) from None
        if isinstance(e, OSError):
            raise SourceError(
                f"Could not extract {archive.name} into {dest.parent} ({e.strerror or e}). Free "
                "some disk space, or set COLORIZE_CACHE to a folder on a bigger disk."
            ) from None
        raise
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)
    return dest


def extract_once(archive: Path, folder: Path, key: str) -> Path:
    """``safe_extract(archive, folder)`` unless ``folder`` holds a complete extraction of
    ``key`` (the archive's SHA-256, kept in ``folder/.complete``). Returns ``folder``."""
    marker = folder / ".complete"
    if marker.exists() and marker.read_text().strip() == key:
        return folder
    safe_extract(archive, folder)
    files.write_bytes(marker, (key + "\n").encode())
    return folder


class LocalArchiveSource(FileSource):
    """A zip or tar of pictures on this machine, read as a folder once extracted into the cache."""

    def __init__(self, path: str | os.PathLike, cache_dir: str | os.PathLike | None = None):
        self.path = Path(path).expanduser()
        if cache_dir is None:
            cache_dir = profiles.cache_dir() / "archives"
        self.cache_dir = Path(cache_dir)
        self._hashed: tuple[tuple[int, int], str] | None = None  # ((size, mtime), SHA-256)

    def describe(self) -> str:
        return f"pictures from the archive {self.path} (unpacked into the cache; left as it is)"

    def fetch(self, progress: bool = True) -> Path:
        """Extract (once per content) and return the folder with the pictures."""
        st = self.path.stat()
        if self._hashed is None or self._hashed[0] != (st.st_size, st.st_mtime_ns):
            self._hashed = ((st.st_size, st.st_mtime_ns), files.sha256(self.path))
        digest = self._hashed[1]
        stem = self.path.name.split(".")[0] or "archive"
        try:
            return extract_once(self.path, self.cache_dir / f"{digest[:16]}-{stem}", digest)
        except DamagedArchive as e:
            raise DamagedArchive(
                f"{e} Your archive was left as it is: make it again, or get a fresh copy."
            ) from None

    def folder(self) -> Path:
        return self.fetch()
