"""Sources on the network: a zip/tar archive at an http(s) address and public Kaggle datasets.

- ``download``: once into the cache, resumable (HTTP Range), checksum verified, atomic, and
  within a deadline: ``DOWNLOAD_BASE_S`` (2 minutes) plus one second per ``DOWNLOAD_MIN_SPEED``
  bytes (50 KB) still to come when the server states the size, ``DOWNLOAD_UNKNOWN_SIZE_S``
  (3 hours) when it does not. A server that trickles bytes cannot hold a run forever; the part
  downloaded so far is kept and the next try resumes it.
- ``UrlArchiveSource``, ``KaggleSource``, ``kaggle_default()``: sources with the interface of
  ``sources.Source``; ``data.open_source`` picks them from a string. An address may carry
  the archive's checksum: ``https://host/photos.zip#sha256=<64 hex digits>``. The archive is
  unpacked by ``archives.safe_extract`` (refusing unsafe or oversized archives); a downloaded
  archive found damaged is removed from the cache, so the next try downloads it again.

No account and no credentials: everything here reads public data, and fails with
``SourceUnavailable`` and a message that says what to do when the network is not there.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urldefrag, urlparse

from colorize_lib import profiles
from colorize_lib.data import files
from colorize_lib.data.archives import DamagedArchive, extract_once
from colorize_lib.data.sources import (
    OFFLINE_HINT,
    ChecksumMismatch,
    FileSource,
    MultiSource,
    SourceError,
    SourceUnavailable,
)

DOWNLOAD_BASE_S = 120.0  # every download may take this long...
DOWNLOAD_MIN_SPEED = 50_000  # ...plus 1 s per this many bytes (a stated size at 50 KB/s)
DOWNLOAD_UNKNOWN_SIZE_S = 3 * 3600.0  # the whole deadline when the server states no size

# ----------------------------------------------------------------------------------------------
# Downloads: resumable, checksum verified, atomic, within a deadline
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

    ``timeout`` bounds the connection and each read; the whole download (retries included) has
    the deadline of the module docstring. Raises ``SourceUnavailable`` (no network, too slow:
    the part is kept), ``ChecksumMismatch`` (the file is removed).
    """
    import requests
    import urllib3
    from tqdm import tqdm  # a text bar on a terminal, none in a notebook or a log

    dest = Path(dest)
    if dest.exists():
        if sha256 is None or files.sha256(dest) == sha256.lower():
            return dest
        dest.unlink()  # a stale or damaged copy: fetch it again
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    broken = (
        requests.ConnectionError,
        requests.Timeout,
        requests.exceptions.ChunkedEncodingError,
        urllib3.exceptions.ProtocolError,  # read straight from r.raw: urllib3's own errors
        urllib3.exceptions.ReadTimeoutError,
    )
    start = time.monotonic()
    limit, sized = DOWNLOAD_UNKNOWN_SIZE_S, False
    done, last_error = False, None
    for _attempt in range(retries + 1):
        have = part.stat().st_size if part.exists() else 0
        headers = {"Accept-Encoding": "identity"}  # byte ranges of the file itself
        if have:
            headers["Range"] = f"bytes={have}-"
        try:
            left = start + limit - time.monotonic()
            if left <= 0:
                raise _Late
            with requests.get(
                url, headers=headers, stream=True, timeout=(timeout, min(timeout, left))
            ) as r:
                if r.status_code == 416:  # the part is already whole (or wrong): start again
                    part.unlink(missing_ok=True)
                    continue
                r.raise_for_status()
                if have and r.status_code != 206:  # the server ignores Range: restart from zero
                    have = 0
                length = r.headers.get("Content-Length")
                total = have + int(length) if length else None
                if total is not None and not sized:  # the deadline scales with what is to come
                    limit, sized = DOWNLOAD_BASE_S + (total - have) / DOWNLOAD_MIN_SPEED, True
                with (
                    open(part, "ab" if have else "wb") as f,
                    tqdm(
                        total=total,
                        initial=have,
                        unit="B",
                        unit_scale=True,
                        desc=f"downloading {dest.name}",
                        disable=None if progress else True,
                    ) as bar,
                ):
                    # read1: whatever has arrived, so a trickle cannot block past the deadline
                    while block := r.raw.read1(1 << 16, decode_content=True):
                        f.write(block)
                        bar.update(len(block))
                        if time.monotonic() > start + limit:
                            raise _Late
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
        except _Late:
            got = part.stat().st_size if part.exists() else 0
            raise SourceUnavailable(
                f"The download of {url} did not finish within its deadline of {limit:.0f} s "
                f"({DOWNLOAD_BASE_S:.0f} s plus 1 s per {DOWNLOAD_MIN_SPEED:,} bytes of a stated "
                f"size, {DOWNLOAD_UNKNOWN_SIZE_S:.0f} s when the server states none): the server "
                f"is too slow or stalled. The {got:,} bytes downloaded so far are kept in {part} "
                f"and the next try resumes them. {OFFLINE_HINT}"
            ) from None
        except (*broken, _Interrupted) as e:
            last_error = e
            arrived = part.exists() and part.stat().st_size > 0
            resumable = isinstance(
                e, requests.exceptions.ChunkedEncodingError | urllib3.exceptions.HTTPError
            )
            if not arrived and not resumable:
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


class _Late(Exception):
    """The download's deadline passed."""


# ----------------------------------------------------------------------------------------------
# An archive at an address
# ----------------------------------------------------------------------------------------------


def split_checksum(url: str, sha256: str | None) -> tuple[str, str | None]:
    """(the address without ``#sha256=...``, the checksum it or ``sha256`` gives, lower case)."""
    url, fragment = urldefrag(url)
    if fragment:
        key, _, value = fragment.partition("=")
        if key.strip().lower() != "sha256":
            raise SourceError(
                f"{url}#{fragment}: after '#' an address may only carry the archive's checksum, "
                f"as {url}#sha256=<64 hex digits> (what sha256sum prints)."
            )
        if sha256 is not None and sha256.lower() != value.strip().lower():
            raise SourceError(f"{url}: two different checksums given ({sha256} and {value}).")
        sha256 = value.strip()
    if sha256 is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", sha256):
        raise SourceError(
            f"{sha256!r} is not a SHA-256 checksum: it has 64 hex digits (0-9, a-f), as "
            f"sha256sum prints them; write {url}#sha256=<64 hex digits>, or leave it out."
        )
    return url, sha256.lower() if sha256 else None


class UrlArchiveSource(FileSource):
    """A zip or tar archive of pictures at an http(s) address, downloaded once into the cache.

    ``url`` may end in ``#sha256=<64 hex digits>`` (the same as passing ``sha256``).
    """

    def __init__(
        self,
        url: str,
        sha256: str | None = None,
        cache_dir: str | os.PathLike | None = None,
        licence: str = "see where the archive comes from",
    ):
        url, self.sha256 = split_checksum(url, sha256)
        self.url, self.licence = url, licence
        if cache_dir is None:
            cache_dir = profiles.cache_dir() / "downloads"
        self.cache_dir = Path(cache_dir)
        name = Path(urlparse(url).path).name or "archive"
        digest = hashlib.sha256(url.encode()).hexdigest()[:10]
        self.file = self.cache_dir / f"{digest}-{name}"
        stem = name.split(".")[0] or "archive"
        self.unpacked = self.cache_dir / f"{digest}-{stem}"

    def describe(self) -> str:
        check = "checksum verified" if self.sha256 else "no checksum given"
        return f"pictures from the archive {self.url} ({check}; licence: {self.licence})"

    def fetch(self, progress: bool = True) -> Path:
        """Download (once) and extract (once); the folder with the pictures.

        A damaged download is removed from the cache, so the next try downloads it again.
        """
        marker = self.unpacked / ".complete"  # holds the SHA-256 of the archive extracted there
        if marker.exists() and self.sha256 in (None, marker.read_text().strip()):
            return self.unpacked
        archive = download(self.url, self.file, self.sha256, progress=progress)
        try:
            return extract_once(archive, self.unpacked, self.sha256 or files.sha256(archive))
        except DamagedArchive as e:
            archive.unlink(missing_ok=True)
            raise DamagedArchive(
                f"{e} The downloaded copy was removed from the cache, so the next try "
                "downloads it again."
            ) from None

    def folder(self) -> Path:
        return self.fetch()


# ----------------------------------------------------------------------------------------------
# Kaggle
# ----------------------------------------------------------------------------------------------

# (dataset id, sub-folders to keep or None for all, licence as the dataset page states it, photos)
#
# Licences: no copy of these Kaggle pages could be found in the stores searched for this book
# (kaggle.com renders them with JavaScript), so none is quoted: "see the dataset page". Check it
# there before you publish anything made from these photos.
# Counts, with where they come from (none from a stored Kaggle page):
# - arnaud58/landscape-pictures: 4,319 photos of mixed sizes (the count in this project's notes;
#   READMEs of projects that use it say "~4k", github.com/istepka/im-outpainting, or 4,300 of
#   landscapes, mountains, deserts, seas, beaches, islands and Japan). Read recursively, so its
#   layout (one folder or several) does not matter.
# - puneet6060/intel-image-classification: 150x150 scenes of 6 classes (about 25,000 with the
#   unlabelled seg_pred); the forest, glacier, mountain and sea classes of seg_train + seg_test
#   are 11,523 (buildings and street are left out).
# - utkarshsaxenadn/landscape-recognition-image-dataset-12k-images: 12,000 photos in 5 classes
#   (coast, desert, forest, glacier, mountain): 10,000 training + 1,500 validation + 500 test,
#   as the dataset's title says and READMEs that use it describe it (e.g.
#   github.com/istepka/im-outpainting: "~12k images"), at 224x224 where the Intel set is 150x150
#   (github.com/osman-sultan/TerraSculpt, which uses both). Whether some of its photos are also
#   in the other two sets is not known. Its archive also holds TFRecords files: those are listed
#   as skipped, not read.
# Left out: theblackmamba31/landscape-image-colorization (7,129 colour + gray pairs at 150x150 of
# streets, buildings, mountains, glaciers, trees, as READMEs that use it describe it): its size
# and classes are the Intel set's, so it would mostly count the same photos twice.
KAGGLE_DEFAULT: list[tuple[str, tuple[str, ...] | None, str, int]] = [
    ("arnaud58/landscape-pictures", None, "see the dataset page", 4319),
    (
        "puneet6060/intel-image-classification",
        ("forest", "glacier", "mountain", "sea"),
        "see the dataset page (Intel Scene Classification Challenge data)",
        11523,  # train + test of the four landscape classes, 150x150
    ),
    (
        "utkarshsaxenadn/landscape-recognition-image-dataset-12k-images",
        None,  # all five classes are landscapes
        "see the dataset page",
        12000,  # 10,000 training + 1,500 validation + 500 test
    ),
]


class KaggleSource(FileSource):
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

    def folder(self) -> Path:
        return self.fetch()


def kaggle_default() -> MultiSource:
    """The Colab default: about 27,800 real landscape photos from three public Kaggle datasets
    (``KAGGLE_DEFAULT``), downloaded with no account."""
    return MultiSource([KaggleSource(i, sub, lic, n) for i, sub, lic, n in KAGGLE_DEFAULT])
