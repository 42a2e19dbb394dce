"""Picture sources: folders of every format, bad files, URL archives on a local server, Kaggle.

(The decoding rules themselves are tested in test_pictures.py.)
"""

from __future__ import annotations

import hashlib
import http.server
import io
import socket
import struct
import sys
import tarfile
import threading
import types
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorize_lib import data, profiles

# ----------------------------------------------------------------------------------------------
from colorize_lib.data import archives, offline, remote, sources

# helpers: files the tests write
# ----------------------------------------------------------------------------------------------


def _png16(path: Path, arr: np.ndarray) -> None:
    """Write a 16-bit PNG (gray [H, W] or RGB [H, W, 3] uint16) by hand (PIL cannot write RGB16)."""
    h, w = arr.shape[:2]
    color_type = 2 if arr.ndim == 3 else 0
    raw = b"".join(b"\x00" + arr[y].astype(">u2").tobytes() for y in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _solid(color, size=(40, 40), mode="RGB") -> Image.Image:
    return Image.new(mode, size, color)


@pytest.fixture
def mixed_folder(tmp_path: Path) -> Path:
    """A folder with one picture of every kind and a handful of bad files."""
    d = tmp_path / "photos"
    (d / "sub" / "deeper").mkdir(parents=True)
    _solid((200, 30, 30)).save(d / "a_red.jpg", quality=95)
    _solid((30, 200, 30)).save(d / "b_green.png")
    _solid((30, 30, 200)).save(d / "sub" / "c_blue.webp", lossless=True)
    _solid((200, 200, 30)).save(d / "sub" / "d_yellow.bmp")
    _solid(128, mode="L").save(d / "e_gray.png")
    rgba = Image.new("RGBA", (40, 40), (0, 0, 255, 255))
    rgba.paste((0, 0, 0, 0), (0, 0, 20, 40))  # left half fully transparent
    rgba.save(d / "f_rgba.png")
    _solid((255, 0, 0, 0), mode="CMYK").save(d / "g_cmyk.jpg", quality=95)  # pure cyan ink
    pal = _solid((10, 120, 240)).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    pal.save(d / "sub" / "deeper" / "h_palette.png")
    _png16(d / "i_gray16.png", np.full((40, 40), 32896, np.uint16))  # 32896 / 257 = 128
    rgb16 = np.zeros((40, 40, 3), np.uint16)
    rgb16[..., 0] = 65535
    rgb16[..., 2] = 257 * 100
    _png16(d / "j_rgb16.png", rgb16)
    # bad files
    (d / "k_empty.jpg").write_bytes(b"")
    (d / "l_notes.jpg").write_text("this is not a picture")
    good = io.BytesIO()
    _solid((1, 2, 3), size=(200, 200)).save(good, "JPEG")
    (d / "sub" / "m_truncated.jpg").write_bytes(good.getvalue()[: len(good.getvalue()) // 3])
    (d / "n_corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 20)
    (d / "readme.txt").write_text("notes")
    return d


GOOD = {
    "a_red.jpg",
    "b_green.png",
    "sub/c_blue.webp",
    "sub/d_yellow.bmp",
    "e_gray.png",
    "f_rgba.png",
    "g_cmyk.jpg",
    "sub/deeper/h_palette.png",
    "i_gray16.png",
    "j_rgb16.png",
}
BAD = {"k_empty.jpg", "l_notes.jpg", "sub/m_truncated.jpg", "n_corrupt.png", "readme.txt"}


# ----------------------------------------------------------------------------------------------
# folder source
# ----------------------------------------------------------------------------------------------


def test_folder_reads_every_format_and_mode(mixed_folder):
    images, names, report = sources.FolderSource(mixed_folder).load(32, progress=False)
    assert set(names) == GOOD
    assert images.shape == (len(GOOD), 32, 32, 3) and images.dtype == np.uint8
    px = {n: images[i, 16, 16].astype(int) for i, n in enumerate(names)}
    assert np.abs(px["a_red.jpg"] - [200, 30, 30]).max() < 8
    assert np.abs(px["sub/c_blue.webp"] - [30, 30, 200]).max() <= 1
    assert np.abs(px["sub/d_yellow.bmp"] - [200, 200, 30]).max() <= 1
    assert np.abs(px["e_gray.png"] - [128, 128, 128]).max() <= 1
    assert np.abs(px["sub/deeper/h_palette.png"] - [10, 120, 240]).max() <= 2
    assert np.abs(px["i_gray16.png"] - [128, 128, 128]).max() <= 1, (
        "16-bit must be scaled, not clipped"
    )
    assert np.abs(px["j_rgb16.png"] - [255, 0, 100]).max() <= 1
    cyan = px["g_cmyk.jpg"]
    assert cyan[0] < 40 and cyan[1] > 200 and cyan[2] > 200, f"CMYK cyan became {cyan}"
    rgba = images[names.index("f_rgba.png")]
    assert (rgba[16, 2] >= 250).all(), "transparent pixels are composited on white"
    assert np.abs(rgba[16, 30].astype(int) - [0, 0, 255]).max() <= 1
    assert {n for n, _ in report.skipped} == BAD
    assert report.loaded == len(GOOD)


def test_skips_are_reported_once(mixed_folder):
    _, _, report = sources.FolderSource(mixed_folder).load(32, progress=False)
    lines = []
    report.report(lines.append)
    assert len(lines) == 1 and "5 files skipped" in lines[0]
    assert "k_empty.jpg" in lines[0] and "empty" in lines[0]
    report.report(lines.append)  # a second time: silent
    assert len(lines) == 1
    reasons = dict(report.skipped)
    assert (
        "truncated" in reasons["sub/m_truncated.jpg"] or "corrupt" in reasons["sub/m_truncated.jpg"]
    )
    assert "not a picture file type" in reasons["readme.txt"]


def test_small_pictures_upscaled_and_counted_tiny_ones_skipped(tmp_path):
    _solid((50, 100, 150), size=(24, 24)).save(tmp_path / "small.png")
    _solid((50, 100, 150), size=(10, 10)).save(tmp_path / "tiny.png")
    images, names, report = sources.FolderSource(tmp_path).load(32, progress=False)
    assert names == ["small.png"] and images.shape == (1, 32, 32, 3)
    assert report.upscaled == ["small.png"]
    assert dict(report.skipped)["tiny.png"].startswith("10x10 is smaller than")


def test_missing_and_empty_folders_say_where(tmp_path):
    with pytest.raises(sources.NoImagesFound, match="No such folder") as e:
        sources.FolderSource(tmp_path / "nope").load(32)
    assert str(tmp_path / "nope") in str(e.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(sources.NoImagesFound, match=r"No pictures in .*empty.*found nothing"):
        sources.FolderSource(tmp_path / "empty").load(32)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.jpg").write_bytes(b"")
    (bad / "y.png").write_text("nope")
    with pytest.raises(sources.NoImagesFound, match="None of the 2 picture files") as e:
        sources.FolderSource(bad).load(32, progress=False)
    assert "x.jpg" in str(e.value) and "Offline alternatives" in str(e.value)


def test_bundled_photos_ship_with_the_packages():
    out = data.bundled_photos("outdoor")
    assert {"china", "rocket"} <= set(out)
    ood = data.bundled_photos("out-of-domain")
    assert {"astronaut", "chelsea", "coffee"} <= set(ood) and not set(ood) & set(out)
    for img in [*out.values(), *ood.values()]:
        assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
    with pytest.raises(ValueError):
        data.bundled_photos("portraits")


def test_open_source_parses_specs(tmp_path):
    assert isinstance(data.open_source("offline"), offline.ProceduralSource)
    assert isinstance(data.open_source("procedural"), offline.ProceduralSource)
    assert isinstance(data.open_source(str(tmp_path)), sources.FolderSource)
    assert isinstance(data.open_source("https://example.org/x.tar.gz"), remote.UrlArchiveSource)
    k = data.open_source("kaggle:someone/some-set")
    assert isinstance(k, remote.KaggleSource) and k.dataset_id == "someone/some-set"
    assert isinstance(data.open_source("kaggle"), sources.MultiSource)
    with pytest.raises(sources.NoImagesFound, match="Unknown source"):
        data.open_source(str(tmp_path / "missing"))


# ----------------------------------------------------------------------------------------------
# URL archives on a local HTTP server
# ----------------------------------------------------------------------------------------------


class _Server:
    """Serves ``files`` (name -> bytes) on 127.0.0.1 with HTTP Range; ``drop_first`` names are
    cut off halfway the first time they are asked for."""

    def __init__(self, files: dict[str, bytes], drop_first: set[str] = frozenset()):
        self.files, self.drop, self.requests = files, set(drop_first), []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                name = self.path.lstrip("/")
                rng = self.headers.get("Range")
                outer.requests.append((name, rng))
                if name not in outer.files:
                    self.send_error(404)
                    return
                data, start = outer.files[name], 0
                if rng:
                    start = int(rng.split("=")[1].split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if name in outer.drop:
                    outer.drop.discard(name)
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _photo_bytes(color, fmt="PNG") -> bytes:
    buf = io.BytesIO()
    _solid(color, size=(48, 48)).save(buf, fmt)
    return buf.getvalue()


def _zip_bytes() -> bytes:
    """Three noisy PNGs (about 360 KB in all, so that half a download spans several blocks).
    The same bytes on every call: each member has a fixed date (``writestr`` with a bare name
    stamps the current time, and a part file cut from another second's zip is another file)."""
    buf = io.BytesIO()
    rng = np.random.default_rng(0)

    def member(name: str) -> zipfile.ZipInfo:
        return zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))

    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(3):
            png = io.BytesIO()
            Image.fromarray(rng.integers(0, 256, (200, 200, 3), dtype=np.uint8)).save(png, "PNG")
            zf.writestr(member(f"pics/p{i}.png"), png.getvalue())
        zf.writestr(member("pics/notes.md"), "hello")
    return buf.getvalue()


def _tar_bytes(members: list[tuple[tarfile.TarInfo, bytes | None]] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        if members is None:
            members = []
            for i in range(4):
                data = _photo_bytes((200, 40 * i, 50), "JPEG")
                info = tarfile.TarInfo(f"set/img{i}.jpg")
                info.size = len(data)
                members.append((info, data))
        for info, data in members:
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


@pytest.fixture
def server():
    zipped, tarred = _zip_bytes(), _tar_bytes()
    s = _Server({"photos.zip": zipped, "photos.tar.gz": tarred, "flaky.zip": zipped}, {"flaky.zip"})
    s.sha = {"zip": hashlib.sha256(zipped).hexdigest(), "tar": hashlib.sha256(tarred).hexdigest()}
    yield s
    s.close()


def test_zip_and_tar_archives_download_once_and_load(server, tmp_path):
    z = remote.UrlArchiveSource(f"{server.url}/photos.zip", server.sha["zip"], cache_dir=tmp_path)
    images, names, report = z.load(24, progress=False)
    assert images.shape == (3, 24, 24, 3) and sorted(names) == [f"pics/p{i}.png" for i in range(3)]
    assert dict(report.skipped) == {"pics/notes.md": "not a picture file type (.md)"}
    t = remote.UrlArchiveSource(
        f"{server.url}/photos.tar.gz", server.sha["tar"], cache_dir=tmp_path
    )
    images, names, _ = t.load(24, progress=False)
    assert images.shape == (4, 24, 24, 3) and images[:, 12, 12, 0].min() > 180
    n_requests = len(server.requests)
    z.load(24, progress=False)
    t.load(24, progress=False)
    assert len(server.requests) == n_requests, "a second load must not download again"
    assert not list(tmp_path.glob("*.part"))


def test_checksum_mismatch_removes_the_file(server, tmp_path):
    src = remote.UrlArchiveSource(f"{server.url}/photos.zip", "0" * 64, cache_dir=tmp_path)
    with pytest.raises(sources.ChecksumMismatch, match="removed") as e:
        src.load(24, progress=False)
    assert server.sha["zip"] in str(e.value)
    assert not any(p.is_file() for p in tmp_path.rglob("*")), "nothing of the bad file is left"


def test_interrupted_download_resumes_with_range(server, tmp_path):
    src = remote.UrlArchiveSource(f"{server.url}/flaky.zip", server.sha["zip"], cache_dir=tmp_path)
    images, _, _ = src.load(24, progress=False)
    assert len(images) == 3
    asked = [r for name, r in server.requests if name == "flaky.zip"]
    assert asked[0] is None and asked[1] is not None and asked[1].startswith("bytes="), asked
    assert int(asked[1].split("=")[1].rstrip("-")) > 0, "resumed from the bytes already there"
    assert src.file.exists() and not src.file.with_name(src.file.name + ".part").exists()


def test_stale_part_is_never_taken_as_complete(server, tmp_path):
    src = remote.UrlArchiveSource(f"{server.url}/photos.zip", server.sha["zip"], cache_dir=tmp_path)
    part = src.file.with_name(src.file.name + ".part")
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(_zip_bytes()[:100])  # a half file from an earlier, killed run
    images, _, _ = src.load(24, progress=False)
    assert len(images) == 3 and not part.exists()


def test_no_network_names_offline_alternatives(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends
    src = remote.UrlArchiveSource(f"http://127.0.0.1:{port}/photos.zip", cache_dir=tmp_path)
    with pytest.raises(sources.SourceUnavailable) as e:
        src.load(24, progress=False)
    msg = str(e.value)
    assert "Cannot reach" in msg and "Offline alternatives" in msg and "procedural" in msg
    assert e.value.__cause__ is None, "no chained traceback wall"
    assert e.value.__context__ is None or e.value.__suppress_context__


def test_http_error_is_clear(server, tmp_path):
    src = remote.UrlArchiveSource(f"{server.url}/missing.zip", cache_dir=tmp_path)
    with pytest.raises(sources.SourceUnavailable, match="answered 404"):
        src.load(24, progress=False)


# ----------------------------------------------------------------------------------------------
# malicious archives
# ----------------------------------------------------------------------------------------------


def _member(name: str, data: bytes = b"evil", kind=tarfile.REGTYPE, link: str = ""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, data if kind == tarfile.REGTYPE else None


@pytest.mark.parametrize(
    "members",
    [
        [_member("ok.txt", b"fine"), _member("../evil.txt")],
        [_member("ok.txt", b"fine"), _member("ABSOLUTE/evil.txt")],
        [_member("link", kind=tarfile.SYMTYPE, link="../../outside")],
        [_member("ok.txt", b"fine"), _member("hard", kind=tarfile.LNKTYPE, link="../evil.txt")],
        [_member("link", kind=tarfile.SYMTYPE, link="/etc/passwd")],
    ],
    ids=["dotdot", "absolute", "symlink-out", "hardlink-out", "symlink-absolute"],
)
def test_malicious_tar_is_refused(tmp_path, members):
    box = tmp_path / "box"
    box.mkdir()
    fixed = []
    for info, payload in members:
        if info.name.startswith("ABSOLUTE"):
            info.name = str(tmp_path / "abs_evil.txt")
        fixed.append((info, payload))
    archive = box / "bad.tar.gz"
    archive.write_bytes(_tar_bytes(fixed))
    before = {p for p in tmp_path.rglob("*")}
    with pytest.raises(sources.UnsafeArchive, match="Nothing was extracted"):
        archives.safe_extract(archive, box / "out")
    after = {p for p in tmp_path.rglob("*")}
    assert after == before, f"written: {after - before}"


def test_malicious_zip_is_refused(tmp_path):
    for evil in ["../evil.txt", str(tmp_path / "abs_evil.txt"), "a/../../evil.txt"]:
        archive = tmp_path / "bad.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr("fine.txt", "ok")
            zf.writestr(zipfile.ZipInfo(evil), "evil")
        before = {p for p in tmp_path.rglob("*")}
        with pytest.raises(sources.UnsafeArchive):
            archives.safe_extract(archive, tmp_path / "box" / "out")
        assert {p for p in tmp_path.rglob("*")} == before
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("link")
        info.external_attr = 0o120777 << 16  # a symbolic link
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(sources.UnsafeArchive, match="symbolic link"):
        archives.safe_extract(archive, tmp_path / "box" / "out")


def test_safe_links_inside_are_allowed(tmp_path):
    archive = tmp_path / "ok.tar.gz"
    archive.write_bytes(
        _tar_bytes(
            [_member("d/a.txt", b"hello"), _member("d/b.txt", kind=tarfile.SYMTYPE, link="a.txt")]
        )
    )
    out = archives.safe_extract(archive, tmp_path / "out")
    assert (out / "d" / "b.txt").read_text() == "hello"


# ----------------------------------------------------------------------------------------------
# Kaggle (kagglehub replaced by a stand-in that serves a folder the test makes)
# ----------------------------------------------------------------------------------------------


def _fake_kagglehub(
    monkeypatch, root: Path | dict[str, Path] | None = None, error: Exception | None = None
):
    """kagglehub with a ``dataset_download`` that serves ``root`` (or ``root[handle]``)."""
    calls = []

    def dataset_download(handle, *args, **kwargs):
        calls.append(handle)
        if error is not None:
            raise error
        return str(root[handle] if isinstance(root, dict) else root)

    monkeypatch.setitem(
        sys.modules, "kagglehub", types.SimpleNamespace(dataset_download=dataset_download)
    )
    return calls


def test_kaggle_source_keeps_the_chosen_subfolders(tmp_path, monkeypatch):
    root = tmp_path / "intel"
    for split in ("seg_train/seg_train", "seg_test/seg_test"):
        for cls, color in [
            ("forest", (20, 120, 30)),
            ("mountain", (120, 110, 100)),
            ("street", (90, 90, 90)),
        ]:
            (root / split / cls).mkdir(parents=True)
            _solid(color).save(root / split / cls / f"{cls}1.jpg")
    calls = _fake_kagglehub(monkeypatch, root)
    src = remote.KaggleSource("puneet6060/intel-image-classification", ("forest", "mountain"))
    images, names, _ = src.load(16, progress=False)
    assert calls == ["puneet6060/intel-image-classification"]
    assert len(images) == 4 and not any("street" in n for n in names)
    assert "puneet6060/intel-image-classification" in src.describe()


def test_kaggle_offline_and_missing_package_are_clear(monkeypatch):
    _fake_kagglehub(monkeypatch, error=ConnectionError("Failed to resolve 'www.kaggle.com'"))
    with pytest.raises(sources.SourceUnavailable, match="need the internet") as e:
        remote.KaggleSource("arnaud58/landscape-pictures").load(16)
    assert "Offline alternatives" in str(e.value) and "kaggle.com" in str(e.value)
    monkeypatch.setitem(sys.modules, "kagglehub", None)  # import fails
    with pytest.raises(sources.SourceUnavailable, match="pip install kagglehub"):
        remote.KaggleSource("arnaud58/landscape-pictures").load(16)


def test_kaggle_default_states_licences_and_reaches_the_studys_size():
    text = remote.kaggle_default().describe()
    for dataset_id, _, licence, n in remote.KAGGLE_DEFAULT:
        assert dataset_id in text and licence in text and f"about {n:,} photos" in text
    total = sum(n for *_, n in remote.KAGGLE_DEFAULT)
    gpu = profiles.PROFILES["gpu"]
    assert total >= 20_000 and total >= gpu.n_train + gpu.n_val, "the gpu profile's split fits"


def test_kaggle_default_reads_each_set_as_it_is_laid_out(tmp_path, monkeypatch):
    """The three sets, each in the layout of its archive (made here), through a fake kagglehub."""
    roots = {
        dataset_id: tmp_path / dataset_id.split("/")[0] for dataset_id, *_ in remote.KAGGLE_DEFAULT
    }
    layout = {  # dataset id -> picture files (relative) it holds, and the other files
        "arnaud58/landscape-pictures": (["00000000.jpg", "00000001_(2).jpg"], []),
        "puneet6060/intel-image-classification": (
            [
                f"{split}/{split}/{cls}/{i}.jpg"
                for split in ("seg_train", "seg_test")
                for i, cls in enumerate(
                    ("forest", "glacier", "mountain", "sea", "buildings", "street")
                )
            ]
            + ["seg_pred/seg_pred/5.jpg"],  # unlabelled: in no class folder, so not read
            [],
        ),
        "utkarshsaxenadn/landscape-recognition-image-dataset-12k-images": (
            [
                f"Landscape Classification/Landscape Classification/{part}/{cls}/{cls}-1.jpeg"
                for part in ("Training Data", "Validation Data", "Testing Data")
                for cls in ("Coast", "Desert", "Forest", "Glacier", "Mountain")
            ],
            ["Landscape Classification/Landscape Classification/TFRecords/train.tfrecord"],
        ),
    }
    for dataset_id, (pictures, others) in layout.items():
        for name in pictures:
            (roots[dataset_id] / name).parent.mkdir(parents=True, exist_ok=True)
            _solid((40, 120, 200)).save(roots[dataset_id] / name)
        for name in others:
            (roots[dataset_id] / name).parent.mkdir(parents=True, exist_ok=True)
            (roots[dataset_id] / name).write_bytes(b"not a picture")
    calls = _fake_kagglehub(monkeypatch, roots)
    src = data.open_source("kaggle")
    images, names, report = src.load(16, progress=False)
    assert calls == [dataset_id for dataset_id, *_ in remote.KAGGLE_DEFAULT]
    per_set = [sum(n.startswith(f"{k}:") for n in names) for k in range(3)]
    assert per_set == [2, 8, 15], (
        "all of arnaud58, four Intel classes (train + test), all of utkarsh"
    )
    assert not any(cls in n for n in names for cls in ("buildings", "street", "seg_pred"))
    assert images.shape == (25, 16, 16, 3)
    assert len(src.paths()) == 25
    assert [why for _, why in src.listing().skipped] == ["not a picture file type (.tfrecord)"]


def test_several_folders_split_as_one_decode_once_each_in_the_split_s_order(tmp_path, monkeypatch):
    folders = []
    for k, n in enumerate((10, 30, 40)):
        folder = tmp_path / f"set{k}"
        folder.mkdir()
        for i in range(n):
            _solid((10 * k, 4 * i, 100)).save(folder / f"p{i:02d}.png")
        folders.append(sources.FolderSource(folder))
    calls = []
    real = sources.load_images
    monkeypatch.setattr(
        sources,
        "load_images",
        lambda paths, *a, **k: calls.append(len(paths)) or real(paths, *a, **k),
    )
    src = sources.MultiSource(folders)
    split = data.split_source(src, 16, n_train=60, n_val=20, seed=1, progress=False)
    assert len(split.train) == 60 and len(split.val) == 20
    assert len(calls) <= 6, f"{len(calls)} decodes: one per source and chunk, not per run of files"
    order = [p for p in src.order(1, 20)][:80]
    expected = [f"{src._owner[p]}:{p.name}" for p in order]
    assert split.val_names + split.train_names == expected  # the split's order, kept
    for name, img in zip(split.val_names, split.val, strict=True):  # each picture its own file
        k, file = name.split(":")
        i = int(file[1:3])
        assert tuple(img[8, 8]) == (10 * int(k), 4 * i, 100)


def test_a_folder_that_cannot_be_listed_is_reported_not_skipped_silently(tmp_path, monkeypatch):
    from PIL import Image

    for name in ("a.png", "locked/b.png"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        Image.fromarray(np.zeros((20, 20, 3), np.uint8)).save(tmp_path / name)
    real_walk = sources.os.walk

    def walk(top, onerror=None, **kw):  # as if "locked" had no read permission (root ignores chmod)
        for root, dirs, names in real_walk(top, **kw):
            if Path(root).name == "locked":
                onerror(PermissionError(13, "Permission denied", root))
                continue
            yield root, dirs, names

    monkeypatch.setattr(sources.os, "walk", walk)
    src = sources.FolderSource(tmp_path)
    assert [p.name for p in src.paths()] == ["a.png"]
    _, _, report = src.load(16, progress=False)
    assert ("locked/", "cannot list this folder (Permission denied)") in report.skipped
