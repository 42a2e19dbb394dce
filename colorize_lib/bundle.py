"""Exported models as one file, and the models a book's page is given.

``export`` writes a model as two files, ``NAME.onnx`` and ``NAME.json`` (what the page needs to
run it, and the model's card). This module moves such models around:

- ``write(exported, path)``: one ``.zip`` of several exported models (each ``.onnx`` beside its
  ``.json``), the file chapter 6 offers as a download on Colab and a reader drops on the page;
- ``read(path)``: the models of a folder or of such a ``.zip``, each checked (the JSON says what
  the page needs, the ``.onnx`` has the size and SHA-256 the JSON gives), or ``BundleError`` with
  one line that says what is wrong;
- ``gather(spec, dest)``: the models named when the book is built (``COLORIZE_WEB_MODELS``, or
  the pinned entry of ``book/web-models.txt``): a folder, a ``.zip``, or the address of one with
  ``#sha256=`` (downloaded once into the cache and verified), copied into the page's folder.

The page (``book/_static/colorize_photo/colorize_photo.js``) makes the same checks on a model a
reader drops, in the browser.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import zipfile
from pathlib import Path

from colorize_lib.data import files
from colorize_lib.export import Exported
from colorize_lib.training import cards

NEEDS = ("working_size", "input", "output", "L_scale", "ab_scale", "bytes")  # in every JSON
MAX_MODEL_BYTES = 200_000_000  # a colorizer of this book is under 30 MB; refuse far larger


class BundleError(ValueError):
    """A model file or bundle that cannot be used (one line: what, and what to do)."""


class Unreachable(BundleError):
    """The address of a bundle does not answer (offline): a book builds without its models."""


@dataclasses.dataclass(frozen=True)
class Model:
    """One exported model as read: its name, its ONNX bytes and its JSON."""

    name: str
    onnx: bytes
    info: dict

    @property
    def label(self) -> str:
        """How the page names it: the label given at export, else the file name."""
        return str(self.info.get("label") or self.name)


def check(name: str, info: object, onnx: bytes | None) -> dict:
    """``info`` (a parsed JSON) if it describes the ONNX bytes ``onnx`` as ``export`` wrote it."""
    if not isinstance(info, dict) or any(key not in info for key in NEEDS):
        raise BundleError(
            f"{name}.json is not a model description written by the book's export "
            f"(it needs {', '.join(NEEDS)}): export the model again"
        )
    if not isinstance(info["bytes"], int) or not isinstance(info["working_size"], int):
        raise BundleError(f"{name}.json is damaged (its sizes are not numbers): export it again")
    if onnx is None:
        raise BundleError(f"{name}.json has no {name}.onnx beside it: give both files")
    if len(onnx) != info["bytes"]:
        raise BundleError(
            f"{name}.onnx has {len(onnx):,} bytes where {name}.json says {info['bytes']:,}: "
            "the file is damaged or not the one exported with it; export the model again"
        )
    if info.get("sha256") and hashlib.sha256(onnx).hexdigest() != info["sha256"]:
        raise BundleError(
            f"{name}.onnx does not have the SHA-256 its JSON gives: the file is damaged; "
            "download or export it again"
        )
    return info


def _ignored(name: str) -> bool:
    """Files a zip or a folder may hold beside models: a Mac's ``__MACOSX/`` and ``._NAME``
    copies, hidden files, model cards (``NAME.card.json``)."""
    parts = name.split("/")
    return "__MACOSX" in parts or parts[-1].startswith(".") or name.endswith(cards.SUFFIX)


def _pairs(names: list[str], read) -> list[Model]:
    """Models from a listing of file names and a function reading one of them (bytes): each
    ``PATH/NAME.json`` with its ``PATH/NAME.onnx``; two models of one NAME are refused."""
    names = [n for n in names if not _ignored(n)]
    jsons = [n for n in names if n.endswith(".json")]  # in the order given (a zip's: written)
    if not jsons:
        raise BundleError("no exported model in it (no NAME.json beside a NAME.onnx)")
    onnx_names = set(n for n in names if n.endswith(".onnx"))
    found = []
    for json_name in jsons:
        stem = json_name[: -len(".json")]
        name = Path(stem).name
        if any(m.name == name for m in found):
            raise BundleError(f"two models are named {name}: give each model its own name")
        try:
            info = json.loads(read(json_name))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BundleError(f"{name}.json is not JSON: export the model again") from None
        onnx = read(stem + ".onnx") if stem + ".onnx" in onnx_names else None
        info = check(name, info, onnx)
        found.append(Model(name, onnx, info))
    return found


def read(path: str | Path) -> list[Model]:
    """The exported models of a folder or a ``.zip`` (``write``'s or one made by hand)."""
    path = Path(path)
    if path.is_dir():
        names = sorted(p.name for p in path.iterdir() if p.is_file())
        return _pairs(names, lambda n: (path / n).read_bytes())
    if not path.is_file():
        raise BundleError(f"{path}: no such folder or file (give a folder or a .zip of models)")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            if sum(i.file_size for i in infos) > MAX_MODEL_BYTES:
                raise BundleError(f"{path.name} unpacks to over {MAX_MODEL_BYTES // 10**6} MB: "
                                  "not a bundle of this book's models")  # fmt: skip
            return _pairs([i.filename for i in infos], zf.read)
    except NotImplementedError:  # a compression zipfile cannot read
        raise BundleError(f"{path.name} is compressed in a way Python cannot read: "
                          "zip the .onnx and .json again (stored or deflated)") from None  # fmt: skip
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError) as err:  # RuntimeError: encrypted
        raise BundleError(
            f"{path.name} is not a readable .zip ({err}): download it again"
        ) from None


def write(exported: list[Exported], path: str | Path, overwrite: bool = False) -> Path:
    """One ``.zip`` holding each exported model's ``.onnx`` and ``.json`` (stored as they are:
    float16 weights barely compress), all or nothing; an existing file only with ``overwrite``."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise BundleError(
            f"{path} already exists: pass overwrite=True (--overwrite) or another name"
        )
    with files.atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
        for done in exported:
            zf.write(done.onnx, done.onnx.name)
            zf.write(done.json, done.json.name)
    return path


RESERVED = ("gray", "original")  # the page's other views


def unique_label(label: str, taken) -> str:
    """``label``, or ``label (2)``, ``label (3)``... whichever is not in ``taken`` (nor a view
    of the page's); the page does the same with a model a reader drops."""
    taken = set(taken) | set(RESERVED)
    if label not in taken:
        return label
    k = 2
    while f"{label} ({k})" in taken:
        k += 1
    return f"{label} ({k})"


def gather(
    spec: str, dest: str | Path, cache: str | Path | None = None, taken=()
) -> dict[str, Exported]:
    """The models of ``spec`` (a folder, a ``.zip``, or ``https://...zip#sha256=HEX``) copied
    into ``dest`` as ``web-NAME.onnx`` + ``.json`` (earlier ``web-*`` files there are removed):
    ``{label: Exported}``, each label unique among themselves and ``taken`` (the labels of the
    page's other models). Raises
    ``BundleError`` (``Unreachable`` when the address does not answer) and ``data``'s
    ``ChecksumMismatch`` for a download that is not the pinned file."""
    from colorize_lib import profiles

    spec = spec.strip()
    if spec.startswith(("http://", "https://")):
        from colorize_lib.data import remote

        url, sha256 = remote.split_checksum(spec, None)
        if sha256 is None:
            raise BundleError(f"{url}: pin the file with {url}#sha256=<64 hex digits>")
        from colorize_lib.data.sources import SourceUnavailable

        cache = Path(cache or profiles.cache_dir() / "web-models")
        try:
            where = remote.download(url, cache / f"{sha256[:16]}-{Path(url).name}", sha256,
                                    progress=False)  # fmt: skip
        except SourceUnavailable as err:
            raise Unreachable(str(err)) from None
    else:
        where = Path(spec).expanduser()
    models = read(where)  # all checked before anything is copied
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("web-*"):  # an earlier build's: this module's prefix
        old.unlink()
    given: dict[str, Exported] = {}
    for model in models:
        label = unique_label(model.label, [*taken, *given])
        info = {**model.info, "label": label, "file": f"web-{model.name}.onnx"}
        onnx_path = files.write_bytes(dest / info["file"], model.onnx)
        json_path = files.write_json(dest / f"web-{model.name}.json", info)
        given[label] = Exported(onnx_path, json_path, info)
    return given


def pinned(pin_file: str | Path) -> str | None:
    """The entry of a pin file (``book/web-models.txt``): its one line that is not blank or a
    ``#`` comment, an address with ``#sha256=``; ``None`` when there is none."""
    path = Path(pin_file)
    if not path.exists():
        return None
    lines = [line.strip() for line in path.read_text().splitlines()]
    entries = [line for line in lines if line and not line.startswith("#")]
    if len(entries) > 1:
        raise BundleError(f"{path.name} pins {len(entries)} entries: keep one (a .zip's address)")
    return entries[0] if entries else None
