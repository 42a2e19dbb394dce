"""Archives under bad input and faults: local archives, damaged ones, size caps, slow servers,
checksums in the address; one command-line run per case where it matters.

(Serving, zip and tar helpers come from test_sources.py.)
"""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from pathlib import Path

import pytest
from test_sources import _Server, _solid, _tar_bytes, _zip_bytes

from colorize_lib import data
from colorize_lib.data import archives, remote, sources

ROOT = Path(__file__).resolve().parents[1]


def _cli_train(data: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "colorize_lib", "train", "--data", data, "--epochs", "1",
         "--size", "32", "--batch-size", "4", "--encoder", "MobileNetV2-0.35",
         "--weights", "none", "--out", "unet.keras"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def _one_error_line(r: subprocess.CompletedProcess) -> str:
    """The command failed with exit code 2 and exactly one ``error:`` line, no traceback."""
    assert r.returncode == 2, r.stdout + r.stderr[-3000:]
    errors = [line for line in r.stdout.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in r.stdout + r.stderr, r.stdout + r.stderr
    return errors[0]


def _photos_zip(n: int, stored: bool = False) -> bytes:
    """``n`` small photos in a zip (stored uncompressed when ``stored``, to damage them by hand)."""
    buf = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buf, "w", method) as zf:
        for i in range(n):
            png = io.BytesIO()
            _solid((30 * i % 256, 120, 200 - 20 * i), size=(40, 40)).save(png, "PNG")
            zf.writestr(f"photos/p{i}.png", png.getvalue())
    return buf.getvalue()


def _bad_crc_zip() -> bytes:
    """A zip whose listing is fine but whose first member's bytes were changed (bad CRC)."""
    data = bytearray(_photos_zip(3, stored=True))
    png = io.BytesIO()
    _solid((0, 120, 200), size=(40, 40)).save(png, "PNG")
    at = bytes(data).find(png.getvalue())
    assert at > 0
    data[at + len(png.getvalue()) // 2] ^= 0xFF
    return bytes(data)


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


# ----------------------------------------------------------------------------------------------
# 5. a local archive is read as a folder, and left as it is
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_local_archive_is_extracted_into_the_cache_and_left_alone(tmp_path, kind, monkeypatch):
    archive = tmp_path / f"photos.{kind}"
    archive.write_bytes(_photos_zip(3) if kind == "zip" else _tar_bytes())
    before = (archive.read_bytes(), archive.stat().st_mtime_ns)
    src = data.open_source(str(archive))
    assert isinstance(src, archives.LocalArchiveSource)
    images, names, _ = src.load(24, progress=False)
    assert len(images) == (3 if kind == "zip" else 4) and len(names) == len(images)
    assert (archive.read_bytes(), archive.stat().st_mtime_ns) == before, "the archive is untouched"
    assert sorted(tmp_path.iterdir()) == [archive], "nothing written beside the archive"

    extracted = []
    real = archives.safe_extract
    monkeypatch.setattr(archives, "safe_extract", lambda a, d: extracted.append(a) or real(a, d))
    data.open_source(str(archive)).paths()
    assert extracted == [], "the same archive is extracted once"
    if kind == "zip":  # a changed archive is extracted again, into a folder of its own
        archive.write_bytes(_photos_zip(5))
        assert len(data.open_source(str(archive)).paths()) == 5 and extracted == [archive]


@pytest.mark.slow
def test_cli_trains_on_a_local_zip(tmp_path):
    archive = tmp_path / "photos.zip"
    archive.write_bytes(_photos_zip(8))
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    r = _cli_train("photos.zip", tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]
    assert "7 training + 1 validation" in r.stdout and (tmp_path / "unet.keras").is_file()
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == digest


# ----------------------------------------------------------------------------------------------
# 6. damaged archives: one clear line; a damaged download is removed, the user's archive never
# ----------------------------------------------------------------------------------------------

DAMAGED = {
    "bad-crc.zip": (_bad_crc_zip, "BadZipFile: Bad CRC-32"),
    "truncated.zip": (lambda: _photos_zip(3)[:-200], "neither a zip nor a tar"),
    "truncated.tar.gz": (lambda: _tar_bytes()[: len(_tar_bytes()) * 2 // 3], "damaged"),
    "text.zip": (lambda: b"<html>Not found</html>\n" * 20, "neither a zip nor a tar"),
}


@pytest.mark.parametrize("name", DAMAGED)
def test_damaged_local_archive_is_one_clear_line_and_kept(tmp_path, name):
    make, why = DAMAGED[name]
    archive = tmp_path / name
    archive.write_bytes(make())
    before = archive.read_bytes()
    cache = tmp_path / "cache"
    with pytest.raises(archives.DamagedArchive) as e:
        archives.LocalArchiveSource(archive, cache_dir=cache).load(24, progress=False)
    msg = str(e.value)
    assert why in msg and "left as it is" in msg and "\n" not in msg, msg
    assert e.value.__cause__ is None and e.value.__suppress_context__
    assert archive.read_bytes() == before, "the user's archive is never changed or deleted"
    assert not cache.exists() or not _files(cache), "no half-extracted folder is left"


def test_damaged_download_is_removed_and_the_retry_downloads_it_again(tmp_path):
    server = _Server({"photos.zip": _bad_crc_zip()})
    try:
        src = remote.UrlArchiveSource(f"{server.url}/photos.zip", cache_dir=tmp_path)
        with pytest.raises(archives.DamagedArchive) as e:
            src.load(24, progress=False)
        msg = str(e.value)
        assert (
            "Bad CRC-32" in msg and "removed from the cache" in msg and "downloads it again" in msg
        )
        assert "\n" not in msg and not _files(tmp_path), "the bad download is gone"
        server.files["photos.zip"] = _photos_zip(3)  # the server is fixed (or the line is)
        images, _, _ = src.load(24, progress=False)
        assert len(images) == 3 and len(server.requests) == 2
    finally:
        server.close()


def test_cli_damaged_archive_is_one_line_and_kept(tmp_path):
    archive = tmp_path / "photos.zip"
    archive.write_bytes(_bad_crc_zip())
    before = archive.read_bytes()
    line = _one_error_line(_cli_train("photos.zip", tmp_path))
    assert "Bad CRC-32" in line and "left as it is" in line
    assert archive.read_bytes() == before


# ----------------------------------------------------------------------------------------------
# 6. caps on members, total size and compression ratio
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_caps_refuse_an_archive_before_extracting(tmp_path, monkeypatch, kind):
    archive = tmp_path / f"a.{kind}"
    archive.write_bytes(_photos_zip(4) if kind == "zip" else _tar_bytes())  # 4 files each
    listing = _files(tmp_path)
    monkeypatch.setattr(archives, "MAX_MEMBERS", 3)
    with pytest.raises(sources.UnsafeArchive, match=r"4 members, more than the 3 allowed"):
        archives.safe_extract(archive, tmp_path / "out")
    monkeypatch.setattr(archives, "MAX_MEMBERS", 10)
    monkeypatch.setattr(archives, "MAX_TOTAL_BYTES", 100)
    with pytest.raises(
        sources.UnsafeArchive,
        match=r"expand to [\d,]+ bytes, more than the 100 bytes .*Nothing was",
    ):
        archives.safe_extract(archive, tmp_path / "out")
    assert _files(tmp_path) == listing and not (tmp_path / "out.tmp").exists()


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_a_highly_compressed_member_is_refused(tmp_path, monkeypatch, kind):
    monkeypatch.setattr(archives, "RATIO_FREE_BYTES", 1 << 20)
    archive = tmp_path / f"bomb.{kind}"
    zeros = bytes(4 << 20)  # 4 MiB of zeros pack into a few KB
    if kind == "zip":
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("ok.png", b"x" * 100)
            zf.writestr("zeros.bin", zeros)
    else:
        info = tarfile.TarInfo("zeros.bin")
        info.size = len(zeros)
        archive.write_bytes(_tar_bytes([(info, zeros)]))
    with pytest.raises(sources.UnsafeArchive, match="more than 100 times.*Nothing was extracted"):
        archives.safe_extract(archive, tmp_path / "out")
    assert _files(tmp_path) == {archive}
    monkeypatch.setattr(archives, "MAX_RATIO", 100_000)  # the same archive under a looser cap
    assert (archives.safe_extract(archive, tmp_path / "out") / "zeros.bin").stat().st_size == len(
        zeros
    )


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_caps_hold_while_extracting_when_the_listing_lies(tmp_path, monkeypatch, kind):
    """The listing check is switched off (as if the headers lied): writing still stops."""
    archive = tmp_path / f"a.{kind}"
    archive.write_bytes(_zip_bytes() if kind == "zip" else _tar_bytes())
    monkeypatch.setattr(archives, "_check_caps", lambda *a: None)
    monkeypatch.setattr(archives, "MAX_TOTAL_BYTES", 1000)
    with pytest.raises(sources.UnsafeArchive, match="past 1,000 bytes while extracting.*removed"):
        archives.safe_extract(archive, tmp_path / "out")
    monkeypatch.setattr(archives, "MAX_TOTAL_BYTES", 10**9)
    monkeypatch.setattr(archives, "MAX_MEMBERS", 2)
    with pytest.raises(sources.UnsafeArchive, match="past 2 members while extracting"):
        archives.safe_extract(archive, tmp_path / "out")
    assert _files(tmp_path) == {archive}, "the partial output was removed"


# ----------------------------------------------------------------------------------------------
# 10. a deadline for the whole download; the checksum in the address
# ----------------------------------------------------------------------------------------------


class _Trickle:
    """Sends one byte every 50 ms for at most 3 s (Content-Length stated or not), then stops."""

    def __init__(self, sized: bool):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(200)
                if sized:
                    self.send_header("Content-Length", "100000")
                else:
                    self.send_header("Connection", "close")
                self.end_headers()
                for _ in range(60):
                    try:
                        self.wfile.write(b"x")
                        self.wfile.flush()
                    except OSError:
                        return  # the client gave up
                    time.sleep(0.05)
                self.close_connection = True

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/slow.zip"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.parametrize("sized", [True, False], ids=["size-stated", "no-size"])
def test_a_trickling_server_hits_the_deadline_and_the_part_is_kept(tmp_path, monkeypatch, sized):
    monkeypatch.setattr(remote, "DOWNLOAD_BASE_S", 1.0)
    monkeypatch.setattr(remote, "DOWNLOAD_MIN_SPEED", 10**9)  # 100 KB add nothing to 1 s
    monkeypatch.setattr(remote, "DOWNLOAD_UNKNOWN_SIZE_S", 1.5)
    server = _Trickle(sized)
    try:
        t0 = time.monotonic()
        with pytest.raises(sources.SourceUnavailable, match="did not finish within") as e:
            remote.download(server.url, tmp_path / "slow.zip", progress=False)
        took = time.monotonic() - t0
    finally:
        server.close()
    assert took < 2.5, f"the deadline ({'1' if sized else '1.5'} s) was not kept: {took:.1f} s"
    part = tmp_path / "slow.zip.part"
    assert part.stat().st_size > 0 and str(part) in str(e.value) and "resumes" in str(e.value)
    assert not (tmp_path / "slow.zip").exists()


@pytest.fixture
def photos_server():
    data = _photos_zip(3)
    s = _Server({"photos.zip": data})
    s.sha = hashlib.sha256(data).hexdigest()
    yield s
    s.close()


def test_checksum_in_the_address_is_used(photos_server, tmp_path):
    url = f"{photos_server.url}/photos.zip"
    good = data.open_source(f"{url}#sha256={photos_server.sha.upper()}")
    assert good.sha256 == photos_server.sha and good.url == url
    assert len(good.load(24, progress=False)[0]) == 3 and "checksum verified" in good.describe()

    # the same address (so the same cache) with a wrong checksum: not taken from the cache
    bad = data.open_source(f"{url}#sha256={'0' * 64}")
    with pytest.raises(sources.ChecksumMismatch, match=photos_server.sha):
        bad.load(24, progress=False)

    for spec, why in [
        (f"{url}#sha256=abc123", "is not a SHA-256 checksum"),
        (f"{url}#md5={'0' * 32}", "may only carry the archive's checksum"),
    ]:
        with pytest.raises(sources.SourceError, match=why):
            data.open_source(spec)
    with pytest.raises(sources.SourceError, match="two different checksums"):
        remote.UrlArchiveSource(f"{url}#sha256={'1' * 64}", sha256="2" * 64)


def test_cli_checksum_in_the_address_is_checked(photos_server, tmp_path):
    line = _one_error_line(
        _cli_train(f"{photos_server.url}/photos.zip#sha256={'0' * 64}", tmp_path)
    )
    assert "Checksum mismatch" in line and photos_server.sha in line
