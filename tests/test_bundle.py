"""Exported models as one file, and the models a book's page is given (colorize_lib.bundle):
read and checked from a folder or a zip, written as one zip, gathered from a folder, a zip or a
pinned address on 127.0.0.1, and the pin file."""

from __future__ import annotations

import hashlib
import io
import json
import socket
import zipfile
from pathlib import Path

import pytest
from test_sources import _Server

from colorize_lib import bundle
from colorize_lib.data import sources
from colorize_lib.export import Exported


def _model(
    folder: Path, name: str, label: str | None = None, onnx: bytes = b"\x08\x07onnx"
) -> Exported:
    """A model as export writes it (the ONNX bytes are stand-ins: bundle never runs them)."""
    folder.mkdir(parents=True, exist_ok=True)
    info = {
        "format": "colorize-book web model 1", "name": name, "label": label or name,
        "file": f"{name}.onnx", "working_size": 32, "input": "L_norm", "output": "ab",
        "L_scale": 50.0, "ab_scale": 110.0, "bytes": len(onnx),
        "sha256": hashlib.sha256(onnx).hexdigest(),
        "card": {"learned_from": "red test pictures"}, "card_lines": ["learned from: red"],
    }  # fmt: skip
    (folder / f"{name}.onnx").write_bytes(onnx)
    (folder / f"{name}.json").write_text(json.dumps(info))
    return Exported(folder / f"{name}.onnx", folder / f"{name}.json", info)


def test_a_zip_written_reads_back_as_its_models(tmp_path):
    made = [_model(tmp_path / "m", "unet", "U-Net (photos)"), _model(tmp_path / "m", "gan")]
    zipped = bundle.write(made, tmp_path / "models.zip")
    read = bundle.read(zipped)
    assert [(m.name, m.label) for m in read] == [("unet", "U-Net (photos)"), ("gan", "gan")]
    assert read[0].onnx == made[0].onnx.read_bytes() and read[0].info == made[0].info
    assert [m.name for m in bundle.read(tmp_path / "m")] == ["gan", "unet"]  # a folder too
    with pytest.raises(bundle.BundleError, match="already exists"):
        bundle.write(made, zipped)  # never over a file without overwrite
    assert bundle.read(bundle.write(made[:1], zipped, overwrite=True))[0].name == "unet"


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda d: (d / "unet.onnx").write_bytes(b"\x08\x07onnx" + b"x"), "has 7 bytes where"),
        (lambda d: (d / "unet.onnx").write_bytes(b"\x08\x07ONNX"), "does not have the SHA-256"),
        (lambda d: (d / "unet.onnx").unlink(), "has no unet.onnx beside it"),
        (lambda d: (d / "unet.json").write_text("{not json"), "unet.json is not JSON"),
        (lambda d: (d / "unet.json").write_text('{"name": "x"}'), "not a model description"),
        (lambda d: [p.unlink() for p in d.glob("*.json")], "no exported model in it"),
    ],
)
def test_a_damaged_or_foreign_model_gets_one_line(tmp_path, damage, message):
    _model(tmp_path / "m", "unet")
    damage(tmp_path / "m")
    with pytest.raises(bundle.BundleError, match=message) as err:
        bundle.read(tmp_path / "m")
    assert "\n" not in str(err.value)


def test_not_a_zip_and_a_zip_bomb_are_refused(tmp_path):
    (tmp_path / "x.zip").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(bundle.BundleError, match="not a readable .zip"):
        bundle.read(tmp_path / "x.zip")
    with zipfile.ZipFile(tmp_path / "big.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.onnx", b"\0" * (bundle.MAX_MODEL_BYTES + 1))
    with pytest.raises(bundle.BundleError, match="unpacks to over"):
        bundle.read(tmp_path / "big.zip")
    with pytest.raises(bundle.BundleError, match="no such folder or file"):
        bundle.read(tmp_path / "missing")


def test_gather_copies_the_models_beside_the_book_s_with_unique_labels(tmp_path):
    _model(tmp_path / "a", "unet", "U-Net")
    _model(tmp_path / "a", "unet2", "U-Net")  # the same label twice
    given = bundle.gather(str(tmp_path / "a"), tmp_path / "web")
    assert list(given) == ["U-Net", "U-Net (2)"]
    assert sorted(p.name for p in (tmp_path / "web").iterdir()) == [
        "web-unet.json", "web-unet.onnx", "web-unet2.json", "web-unet2.onnx"
    ]  # fmt: skip
    assert given["U-Net (2)"].info["file"] == "web-unet2.onnx"
    assert json.loads((tmp_path / "web" / "web-unet2.json").read_text())["label"] == "U-Net (2)"


def test_gather_downloads_a_pinned_zip_once_and_checks_it(tmp_path):
    made = [_model(tmp_path / "m", "unet", "U-Net (photos)")]
    data = bundle.write(made, tmp_path / "web-models.zip").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    server = _Server({"web-models.zip": data})
    try:
        url = f"{server.url}/web-models.zip"
        given = bundle.gather(f"{url}#sha256={digest}", tmp_path / "web", cache=tmp_path / "c")
        assert list(given) == ["U-Net (photos)"]
        bundle.gather(f"{url}#sha256={digest}", tmp_path / "web2", cache=tmp_path / "c")
        assert len(server.requests) == 1, "downloaded once, then read from the cache"
        with pytest.raises(sources.ChecksumMismatch):
            bundle.gather(f"{url}#sha256={'0' * 64}", tmp_path / "w3", cache=tmp_path / "c")
        with pytest.raises(bundle.BundleError, match="pin the file"):
            bundle.gather(url, tmp_path / "w4", cache=tmp_path / "c")
    finally:
        server.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: offline
    with pytest.raises(bundle.Unreachable):
        bundle.gather(f"http://127.0.0.1:{port}/m.zip#sha256={digest}", tmp_path / "w5",
                      cache=tmp_path / "c")  # fmt: skip


def test_the_pin_file_gives_its_one_entry(tmp_path):
    pin = tmp_path / "web-models.txt"
    assert bundle.pinned(pin) is None
    pin.write_text("# a comment\n\n")
    assert bundle.pinned(pin) is None
    pin.write_text("# models\nhttps://h/web-models.zip#sha256=ab\n")
    assert bundle.pinned(pin) == "https://h/web-models.zip#sha256=ab"
    pin.write_text("https://h/a.zip\nhttps://h/b.zip\n")
    with pytest.raises(bundle.BundleError, match="pins 2 entries"):
        bundle.pinned(pin)
    root = Path(__file__).resolve().parents[1]
    entry = bundle.pinned(root / "book" / "web-models.txt")  # the repository's: one or none
    assert entry is None or "#sha256=" in entry


def test_deflated_zip_made_by_hand_reads_too(tmp_path):
    _model(tmp_path / "m", "unet")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in (tmp_path / "m").iterdir():
            zf.write(p, f"my models/{p.name}")
    (tmp_path / "hand.zip").write_bytes(buf.getvalue())
    assert [m.name for m in bundle.read(tmp_path / "hand.zip")] == ["unet"]


def test_mac_debris_is_skipped_and_two_models_of_one_name_refused(tmp_path):
    _model(tmp_path / "m", "unet")
    with zipfile.ZipFile(tmp_path / "mac.zip", "w") as zf:
        for p in (tmp_path / "m").iterdir():
            zf.write(p, f"models/{p.name}")
            zf.writestr(f"__MACOSX/models/._{p.name}", b"\0\5\x16\7 resource fork")
        zf.writestr("models/.DS_Store", b"\0")
        zf.writestr("models/unet.card.json", "{}")
    assert [m.name for m in bundle.read(tmp_path / "mac.zip")] == ["unet"]
    with zipfile.ZipFile(tmp_path / "two.zip", "w") as zf:
        for folder in ("a", "b"):
            for p in (tmp_path / "m").iterdir():
                zf.write(p, f"{folder}/{p.name}")
    with pytest.raises(bundle.BundleError, match="two models are named unet"):
        bundle.read(tmp_path / "two.zip")


def test_labels_stay_unique_beside_the_page_s_own_models_and_views(tmp_path):
    assert bundle.unique_label("U-Net", ["U-Net", "U-Net (2)"]) == "U-Net (3)"
    assert bundle.unique_label("gray", []) == "gray (2)"  # the page's own views are taken
    _model(tmp_path / "a", "unet", "U-Net")
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "web-old.onnx").write_bytes(b"an earlier build's")
    given = bundle.gather(str(tmp_path / "a"), tmp_path / "web", taken=["U-Net", "GAN"])
    assert list(given) == ["U-Net (2)"]
    assert not (tmp_path / "web" / "web-old.onnx").exists()


def test_sizes_that_are_not_numbers_are_one_line(tmp_path):
    made = _model(tmp_path / "m", "unet")
    made.json.write_text(json.dumps({**made.info, "bytes": "7"}))
    with pytest.raises(bundle.BundleError, match="sizes are not numbers"):
        bundle.read(tmp_path / "m")
