"""The colorize command's plan: never write over an input, distinct names for collisions,
existing outputs listed, unwritable or unreadable folders reported."""

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorize_lib.cli import jobs


def _png(path: Path, value: int = 100) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((6, 8, 3), value, np.uint8)).save(path)
    return path


def _names(plan, out):
    return [dst.relative_to(out).as_posix() for _, dst in plan.jobs]


def test_an_output_folder_in_or_equal_to_an_input_folder_is_refused(tmp_path):
    _png(tmp_path / "photos" / "a.png")
    for out in (tmp_path / "photos", tmp_path / "photos" / "colorized"):
        with pytest.raises(jobs.OutputRefused, match="inside the input folder"):
            jobs.plan([tmp_path / "photos"], out)


def test_an_output_on_an_input_file_is_refused(tmp_path):
    given = _png(tmp_path / "out" / "pic.png")  # a photo that lives in the output folder
    with pytest.raises(jobs.OutputRefused, match="write over the input"):
        jobs.plan([given], tmp_path / "out")


def test_collisions_get_distinct_names_and_duplicates_are_done_once(tmp_path):
    a, b = _png(tmp_path / "A" / "pic.png"), _png(tmp_path / "B" / "pic.png")
    jpg = _png(tmp_path / "A" / "sub" / "photo.jpg")
    png = _png(tmp_path / "A" / "sub" / "photo.png")
    out = tmp_path / "out"
    plan = jobs.plan([tmp_path / "A", tmp_path / "B", a], out)  # a given twice
    assert _names(plan, out) == ["pic.png", "sub/photo.png", "sub/photo_2.png", "pic_2.png"]
    assert [src for src, _ in plan.jobs] == [a, jpg, png, b]
    assert plan.renamed == [(png, out / "sub" / "photo_2.png"), (b, out / "pic_2.png")]
    assert plan.duplicates == [a] and plan.existing == []


def test_a_numbered_name_never_takes_another_inputs_name(tmp_path):
    _png(tmp_path / "A" / "pic.png"), _png(tmp_path / "B" / "pic.png")
    _png(tmp_path / "C" / "pic_2.png")  # the name a collision would have taken
    plan = jobs.plan([tmp_path / "A", tmp_path / "B", tmp_path / "C"], tmp_path / "out")
    assert sorted(_names(plan, tmp_path / "out")) == ["pic.png", "pic_2.png", "pic_3.png"]


def test_existing_outputs_are_listed_as_ours_or_someone_else_s(tmp_path):
    from colorize_lib import infer
    from colorize_lib.data import pictures

    _png(tmp_path / "in" / "a.png")
    _png(tmp_path / "in" / "b.png")
    mine = pictures.write_png(
        tmp_path / "out" / "a.png", np.zeros((4, 4, 3)), mark=infer.OUTPUT_MARK
    )
    other = _png(tmp_path / "out" / "b.png")  # not written by colorize
    plan = jobs.plan([tmp_path / "in"], tmp_path / "out")
    assert plan.existing == [mine] and plan.existing_foreign == [other]
    assert pictures.png_mark(mine) == infer.OUTPUT_MARK and pictures.png_mark(other) is None
    (tmp_path / "notes.txt").write_text("not a picture")
    assert pictures.png_mark(tmp_path / "notes.txt") is None


def test_missing_inputs_and_unwritable_outputs_are_one_clear_error(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        jobs.plan([tmp_path / "nope.jpg"], tmp_path / "out")
    (tmp_path / "a_file").write_text("not a folder")
    with pytest.raises(jobs.OutputRefused, match="cannot write to"):
        jobs.check_writable(tmp_path / "a_file" / "out")

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(jobs.tempfile, "TemporaryFile", read_only)  # root ignores chmod
    with pytest.raises(jobs.OutputRefused, match="Permission denied"):
        jobs.check_writable(tmp_path / "out")


def test_a_folder_that_cannot_be_listed_is_reported(tmp_path, monkeypatch):
    _png(tmp_path / "in" / "a.png")
    _png(tmp_path / "in" / "locked" / "b.png")
    real_walk = os.walk

    def walk(top, onerror=None):  # as if "locked" had no read permission (root ignores chmod)
        for root, dirs, names in real_walk(top):
            if Path(root).name == "locked":
                onerror(PermissionError(13, "Permission denied", root))
                continue
            yield root, dirs, names

    monkeypatch.setattr(jobs.os, "walk", walk)
    plan = jobs.plan([tmp_path / "in"], tmp_path / "out")
    assert _names(plan, tmp_path / "out") == ["a.png"]
    assert plan.unreadable == [
        (tmp_path / "in" / "locked", "cannot list this folder: Permission denied")
    ]
