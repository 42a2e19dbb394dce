"""Sources on the network: a zip/tar archive at an http(s) address and public Kaggle datasets.

- ``download``: once into the cache, resumable (HTTP Range), checksum verified, atomic.
- ``safe_extract``: unpacks an archive, refusing members that would land outside its folder
  (absolute paths, ``..``, links) or that are not plain files and folders.
- ``UrlArchiveSource``, ``KaggleSource``, ``kaggle_default()``: sources with the interface of
  ``sources.Source``; ``sources.open_source`` picks them from a string.

No account and no credentials: everything here reads public data, and fails with
``SourceUnavailable`` and a message that says what to do when the network is not there.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlparse

from colorize_lib import files
from colorize_lib.sources import (
    OFFLINE_HINT,
    ChecksumMismatch,
    FolderSource,
    MultiSource,
    SourceError,
    SourceUnavailable,
    UnsafeArchive,
)

# ----------------------------------------------------------------------------------------------
# Downloads: resumable, checksum verified, atomic
# ----------------------------------------------------------------------------------------------


def download(
    url: str,
    dest: Path,
    sha256: str | None = None,
    retries: int = 3,
    timeout: float = 30.0,
    progress: bool = True,
) -> Path:
    """Download ``url`` to ``dest`` once: into ``dest.part``, resumed with HTTP Range after an
    interruption, checked against ``sha256``, then renamed (so a half file is never ``dest``).

    Raises ``SourceUnavailable`` (no network), ``ChecksumMismatch`` (file removed).
    """
    import requests
    from tqdm.auto import tqdm

    dest = Path(dest)
    if dest.exists():
        if sha256 is None or files.sha256(dest) == sha256.lower():
            return dest
        dest.unlink()  # a stale or damaged copy: fetch it again
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    broken = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
    done, last_error = False, None
    for _attempt in range(retries + 1):
        have = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        try:
            with requests.get(url, headers=headers, stream=True, timeout=timeout) as r:
                if r.status_code == 416:  # the part is already whole (or wrong): start again
                    part.unlink(missing_ok=True)
                    continue
                r.raise_for_status()
                if have and r.status_code != 206:  # the server ignores Range: restart from zero
                    have = 0
                length = r.headers.get("Content-Length")
                total = have + int(length) if length else None
                with (
                    open(part, "ab" if have else "wb") as f,
                    tqdm(
                        total=total,
                        initial=have,
                        unit="B",
                        unit_scale=True,
                        desc=f"downloading {dest.name}",
                        disable=not progress,
                    ) as bar,
                ):
                    for block in r.iter_content(1 << 16):
                        f.write(block)
                        bar.update(len(block))
            if total is not None and part.stat().st_size < total:
                raise _Interrupted(
                    f"connection closed after {part.stat().st_size} of {total} bytes"
                )
            done = True
            break
        except requests.HTTPError as e:
            raise SourceUnavailable(
                f"Could not download {url}: the server answered {e.response.status_code}. "
                f"Check the address. {OFFLINE_HINT}"
            ) from None
        except (*broken, _Interrupted) as e:
            last_error = e
            arrived = part.exists() and part.stat().st_size > 0
            if not arrived and not isinstance(e, requests.exceptions.ChunkedEncodingError):
                break  # nothing arrived at all: no network, or the host is down
            # else: something arrived; resume from where it stopped
    if not done:
        if part.exists() and part.stat().st_size > 0:
            raise SourceUnavailable(
                f"The download of {url} was interrupted {retries + 1} times; the part downloaded "
                f"so far is kept in {part} and the next try resumes it. {OFFLINE_HINT}"
            )
        part.unlink(missing_ok=True)
        raise SourceUnavailable(
            f"Cannot reach {url} (no network, or the host is down: "
            f"{type(last_error).__name__}). {OFFLINE_HINT}"
        )
    if sha256 is not None:
        got = files.sha256(part)
        if got != sha256.lower():
            part.unlink(missing_ok=True)
            raise ChecksumMismatch(
                f"Checksum mismatch for {url}: expected SHA-256 {sha256.lower()}, got {got}. "
                "The downloaded file was removed; the archive changed or the download was "
                "damaged. Try again, or check the checksum you passed."
            )
    os.replace(part, dest)  # atomic: dest exists only when whole and verified
    return dest


class _Interrupted(Exception):
    """The connection closed before Content-Length bytes arrived."""


# ----------------------------------------------------------------------------------------------
# Safe extraction
# ----------------------------------------------------------------------------------------------


def _inside(root: Path, target: Path) -> bool:
    root = root.resolve()
    try:
        target.resolve().relative_to(root)
        return True
    except ValueError:
        return False


def _bad_name(name: str) -> bool:
    return (
        name.startswith(("/", "\\"))
        or (len(name) > 1 and name[1] == ":")
        or ".." in Path(name.replace("\\", "/")).parts
    )


def _unsafe_members(archive: Path, root: Path) -> list[str]:
    """Members of a zip or tar that would land outside ``root`` (checked before writing)."""
    bad: list[str] = []
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                if _bad_name(info.filename) or not _inside(root, root / info.filename):
                    bad.append(f"{info.filename} (outside the folder)")
                elif stat.S_ISLNK(info.external_attr >> 16):
                    bad.append(f"{info.filename} (a symbolic link)")
        return bad
    with tarfile.open(archive) as tf:
        for m in tf.getmembers():
            target = root / m.name
            if _bad_name(m.name) or not _inside(root, target):
                bad.append(f"{m.name} (outside the folder)")
            elif m.issym() or m.islnk():
                base = target.parent if m.issym() else root  # hard links are archive-relative
                if _bad_name(m.linkname) or not _inside(root, base / m.linkname):
                    bad.append(f"{m.name} -> {m.linkname} (a link pointing outside)")
            elif not (m.isfile() or m.isdir()):
                bad.append(f"{m.name} (a device or pipe)")
    return bad


def safe_extract(archive: Path, dest: Path) -> Path:
    """Extract a zip or tar(.gz/.bz2/.xz) into ``dest``, refusing members that would land outside.

    Every member is checked before anything is written: absolute paths, ``..``, links (symbolic
    or hard) pointing outside, and devices make the whole archive refused (``UnsafeArchive``).
    Tar members are then extracted with tarfile's ``data`` filter as well. Extraction goes to
    ``dest.tmp`` and is renamed when complete, so a half-extracted folder is never used.
    """
    archive, dest = Path(archive), Path(dest)
    try:
        if not (zipfile.is_zipfile(archive) or tarfile.is_tarfile(archive)):
            raise SourceError(
                f"{archive.name} is neither a zip nor a tar archive. Give the address of a "
                ".zip, .tar, .tar.gz (.tgz) file, or a folder of pictures."
            )
        bad = _unsafe_members(archive, dest)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as e:
        raise SourceError(
            f"The archive {archive} is damaged ({e}); delete it and try again."
        ) from None
    if bad:
        raise UnsafeArchive(
            f"Refused to extract {archive.name}: {len(bad)} members would be written outside the "
            f"extraction folder: {'; '.join(bad[:5])}. Nothing was extracted. Use a trusted archive."
        )
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(tmp)
        else:
            with tarfile.open(archive) as tf:
                if hasattr(tarfile, "data_filter"):
                    tf.extractall(tmp, filter="data")
                else:  # pragma: no cover - Python < 3.11.4; members were checked above
                    tf.extractall(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)
    return dest


class UrlArchiveSource:
    """A zip or tar archive of pictures at an http(s) address, downloaded once into the cache."""

    def __init__(
        self,
        url: str,
        sha256: str | None = None,
        cache_dir: str | os.PathLike | None = None,
        licence: str = "see where the archive comes from",
    ):
        self.url, self.sha256, self.licence = url, sha256, licence
        if cache_dir is None:
            from . import profiles

            cache_dir = profiles.cache_dir() / "downloads"
        self.cache_dir = Path(cache_dir)
        name = Path(urlparse(url).path).name or "archive"
        digest = hashlib.sha256(url.encode()).hexdigest()[:10]
        self.file = self.cache_dir / f"{digest}-{name}"
        stem = name.split(".")[0] or "archive"
        self.folder = self.cache_dir / f"{digest}-{stem}"

    def describe(self) -> str:
        check = "checksum verified" if self.sha256 else "no checksum given"
        return f"pictures from the archive {self.url} ({check}; licence: {self.licence})"

    def fetch(self, progress: bool = True) -> Path:
        """Download (once) and extract (once); the folder with the pictures."""
        marker = self.folder / ".complete"
        if marker.exists():
            return self.folder
        archive = download(self.url, self.file, self.sha256, progress=progress)
        safe_extract(archive, self.folder)
        marker.write_text(self.url + "\n")
        return self.folder

    def paths(self) -> list[Path]:
        return FolderSource(self.fetch()).paths()

    def load(self, size: int, limit: int | None = None, progress: bool = True):
        return FolderSource(self.fetch(progress), name=self.url).load(size, limit, progress)


# ----------------------------------------------------------------------------------------------
# Kaggle
# ----------------------------------------------------------------------------------------------

# (dataset id, sub-folders to keep or None for all, licence as the dataset page states it, photos)
KAGGLE_DEFAULT: list[tuple[str, tuple[str, ...] | None, str, int]] = [
    ("arnaud58/landscape-pictures", None, "see the dataset page", 4319),
    (
        "puneet6060/intel-image-classification",
        ("forest", "glacier", "mountain", "sea"),
        "see the dataset page (Intel Scene Classification Challenge data)",
        11523,  # train + test of the four landscape classes, 150x150
    ),
]


class KaggleSource:
    """A public Kaggle dataset through ``kagglehub.dataset_download`` (no account needed)."""

    def __init__(
        self,
        dataset_id: str,
        subfolders: Iterable[str] | None = None,
        licence: str = "see the dataset page",
        n_photos: int | None = None,
    ):
        if dataset_id.count("/") != 1:
            raise ValueError(f"A Kaggle dataset id looks like 'owner/name', got {dataset_id!r}")
        self.dataset_id, self.licence, self.n_photos = dataset_id, licence, n_photos
        self.subfolders = tuple(subfolders) if subfolders else None

    def describe(self) -> str:
        what = f" (sub-folders {', '.join(self.subfolders)})" if self.subfolders else ""
        n = f"about {self.n_photos:,} photos, " if self.n_photos else ""
        return (
            f"Kaggle dataset {self.dataset_id}{what}: {n}licence: {self.licence} "
            f"(https://www.kaggle.com/datasets/{self.dataset_id})"
        )

    def fetch(self) -> Path:
        try:
            import kagglehub
        except ImportError:
            raise SourceUnavailable(
                f"The Kaggle source {self.dataset_id} needs the package kagglehub, which is not "
                f"installed (Colab has it): pip install kagglehub. {OFFLINE_HINT}"
            ) from None
        try:
            return Path(kagglehub.dataset_download(self.dataset_id))
        except Exception as e:  # kagglehub raises many types (HTTP, connection, auth)
            raise SourceUnavailable(
                f"Could not download the Kaggle dataset {self.dataset_id}: "
                f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}. Public datasets "
                f"need no account but do need the internet. {OFFLINE_HINT}"
            ) from None

    def folder(self) -> FolderSource:
        return FolderSource(self.fetch(), self.subfolders, name=f"kaggle:{self.dataset_id}")

    def paths(self) -> list[Path]:
        return self.folder().paths()

    def load(self, size: int, limit: int | None = None, progress: bool = True):
        return self.folder().load(size, limit, progress)


def kaggle_default() -> MultiSource:
    """The Colab default: about 16,000 real landscape photos from public Kaggle datasets."""
    return MultiSource([KaggleSource(i, sub, lic, n) for i, sub, lic, n in KAGGLE_DEFAULT])
