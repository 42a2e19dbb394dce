"""The input pipeline: deterministic split, decode-once cache, Lab batches, fallback offline."""

from __future__ import annotations

import dataclasses
import sys
import types

import numpy as np
import pytest
from PIL import Image
from skimage.color import rgb2lab

from colorize_lib import color, data, profiles, synth
from colorize_lib.data import offline, sources


@pytest.fixture
def photo_folder(tmp_path):
    d = tmp_path / "photos"
    for k in range(3):
        (d / f"group{k}").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(30):
        img = rng.integers(0, 256, (20 + i % 5, 24, 3), dtype=np.uint8)
        Image.fromarray(img).save(d / f"group{i % 3}" / f"p{i:02d}.png")
    (d / "group0" / "broken.jpg").write_bytes(b"not a jpeg")
    return d


def test_offline_split_matches_the_generator():
    s = data.load_split(size=24, n_train=6, n_val=3, progress=False)
    assert s.train.shape == (6, 24, 24, 3) and s.val.shape == (3, 24, 24, 3)
    np.testing.assert_array_equal(s.train, synth.generate(6, 24))
    np.testing.assert_array_equal(s.val[1], synth.generate_one(offline.VAL_START + 1, 24))
    bigger = data.load_split(size=24, n_train=9, n_val=3, progress=False)
    np.testing.assert_array_equal(bigger.train[:6], s.train)
    np.testing.assert_array_equal(bigger.val, s.val)
    assert {"china", "rocket"} <= set(s.real) and s.real["china"].shape == (24, 24, 3)
    assert "procedural" in s.source_description


def test_profile_split_uses_the_profile():
    P = profiles.get_profile("tiny")
    s = data.profile_split(profiles.get_profile("tiny"), progress=False)
    assert s.train.shape == (P.n_train, P.image_size, P.image_size, 3)
    assert len(s.val) == P.n_val


def test_colorize_data_is_read_into_the_profile(monkeypatch, tmp_path):
    assert profiles.get_profile("cpu").data is None
    monkeypatch.setenv(profiles.ENV_DATA, str(tmp_path))
    P = profiles.get_profile("cpu")
    assert P.data == str(tmp_path) and P.n_train == profiles.PROFILES["cpu"].n_train
    assert f"from {profiles.ENV_DATA}={tmp_path}," in P.describe()
    monkeypatch.setenv(profiles.ENV_DATA, "  ")  # `make book COLORIZE_DATA=` sets it empty
    assert profiles.get_profile("cpu").data is None


def _own_photos(folder, n):
    folder.mkdir(parents=True)
    for i, img in enumerate(synth.generate(n, 40, seed=3, progress=False)):
        Image.fromarray(img).save(folder / f"photo{i:03d}.png")
    return folder


def test_the_seed_of_a_build_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("COLORIZE_SEED", raising=False)
    assert profiles.get_profile("tiny").seed == 0
    monkeypatch.setenv("COLORIZE_SEED", "2")
    P = profiles.get_profile("tiny")
    assert P.seed == 2 and "seed 2" in P.describe()
    assert profiles.PROFILES["tiny"].seed == 0, "the table itself is left alone"
    monkeypatch.setenv("COLORIZE_SEED", "two")
    with pytest.raises(ValueError, match="COLORIZE_SEED='two': give a whole number"):
        profiles.get_profile("tiny")


def test_profile_split_reads_colorize_data(tmp_path, monkeypatch):
    folder = _own_photos(tmp_path / "my photos", 45)
    monkeypatch.setenv(profiles.ENV_DATA, str(folder))
    P = profiles.get_profile("tiny")  # 32 + 8 of the 45
    s = data.profile_split(P, progress=False)
    assert s.train.shape == (32, 32, 32, 3) and s.val.shape == (8, 32, 32, 3)
    assert set(s.train_names + s.val_names) <= {f"photo{i:03d}.png" for i in range(45)}
    assert not set(s.train_names) & set(s.val_names)
    assert str(folder) in s.describe(), "the chapter prints where its pictures came from"
    again = data.profile_split(P, size=16, progress=False)  # chapter 5's other size
    assert again.val_names == s.val_names and again.train_names == s.train_names


def test_fewer_own_photos_hold_out_the_profiles_share(tmp_path, monkeypatch, capsys):
    folder = _own_photos(tmp_path / "few", 120)
    monkeypatch.setenv(profiles.ENV_DATA, str(folder))
    P = profiles.get_profile("cpu")  # wants 1200 + 160
    assert data.own_split_sizes(120, P.n_train, P.n_val) == (106, 14)  # 160/1360 of 120
    s = data.profile_split(dataclasses.replace(P, image_size=16), progress=False)
    assert (len(s.train), len(s.val)) == (106, 14)
    assert (
        "holds 120 pictures, fewer than the 'cpu' profile's 1200 + 160" in capsys.readouterr().out
    )
    assert data.own_split_sizes(40, 1200, 160) == (32, 8)  # never fewer than 8 held out
    with pytest.raises(sources.NoImagesFound, match=r"^COLORIZE_DATA=x: 39 picture files"):
        data.own_split_sizes(39, 1200, 160, "COLORIZE_DATA=x")


def test_a_missing_colorize_data_is_one_clear_line_not_a_fallback(tmp_path, monkeypatch):
    missing = tmp_path / "no-such-folder"
    monkeypatch.setenv(profiles.ENV_DATA, str(missing))
    with pytest.raises(sources.NoImagesFound) as e:
        data.profile_split(profiles.get_profile("tiny"), progress=False)
    message = str(e.value)
    assert message.startswith(f"COLORIZE_DATA={missing}: no such folder or archive")
    assert "\n" not in message
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv(profiles.ENV_DATA, str(tmp_path / "empty"))
    with pytest.raises(sources.NoImagesFound, match=r"^COLORIZE_DATA=.*empty: No pictures in"):
        data.profile_split(profiles.get_profile("tiny"), progress=False)


def test_file_split_is_deterministic_and_independent_of_n(photo_folder):
    a = data.load_split(str(photo_folder), size=16, n_train=10, n_val=5, progress=False)
    b = data.load_split(str(photo_folder), size=16, n_train=20, n_val=5, progress=False)
    assert a.val_names == b.val_names and b.train_names[: len(a.train_names)] == a.train_names
    assert not set(a.val_names) & set(b.train_names)
    assert a.val.shape == (5, 16, 16, 3)
    # the unreadable file among the first 15 is skipped and replaced by the next readable one
    assert len(a.train) == 10 and len(a.report.skipped) == 1
    c = data.load_split(str(photo_folder), size=16, n_train=10, n_val=5, seed=1, progress=False)
    assert c.val_names != a.val_names, "another seed gives another split"


def test_an_unreadable_file_where_a_validation_picture_would_be_is_replaced(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i, img in enumerate(synth.generate(12, 24, seed=2, progress=False)):
        Image.fromarray(img).save(folder / f"good{i:02d}.png")
    (folder / "broken.png").write_bytes(b"not a picture")
    src = sources.FolderSource(folder)
    seed = next(s for s in range(500) if src.order(s, 1)[0].name == "broken.png")
    split = data.holdout_split(str(folder), 16, None, 0.1, seed)  # 1 held out: the broken slot
    assert len(split.val) == 1 and len(split.train) == 11
    assert split.report.skipped == [("broken.png", split.report.skipped[0][1])]
    assert "broken.png" not in split.val_names + split.train_names


def test_decoded_arrays_are_cached(photo_folder, monkeypatch):
    first = data.load_split(str(photo_folder), size=16, n_train=25, n_val=4, progress=False)
    assert "group0/broken.jpg" in dict(first.report.skipped)

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded again")

    monkeypatch.setattr(sources, "load_images", no_decoding)
    again = data.load_split(str(photo_folder), size=16, n_train=25, n_val=4, progress=False)
    np.testing.assert_array_equal(again.train, first.train)
    assert again.report.skipped == first.report.skipped


def test_skips_are_reported_once_as_plain_lines_before_training(photo_folder, capsys, recwarn):
    data.load_split(str(photo_folder), size=16, n_train=40, n_val=4, progress=False)
    out = capsys.readouterr().out
    assert out.count("1 files skipped:") == 1 and "group0/broken.jpg" in out
    assert "Warning" not in out and not [w for w in recwarn if "skipped" in str(w.message)]


def test_unreachable_profile_source_falls_back_offline(monkeypatch, capsys):
    def offline(*a, **k):
        raise ConnectionError("no route to www.kaggle.com")

    monkeypatch.setitem(sys.modules, "kagglehub", types.SimpleNamespace(dataset_download=offline))
    P = dataclasses.replace(profiles.get_profile("tiny"), source="kaggle", n_train=4, n_val=2)
    s = data.profile_split(P, progress=False)
    assert "Falling back to the offline set" in capsys.readouterr().out
    np.testing.assert_array_equal(s.train, synth.generate(4, P.image_size))
    with pytest.raises(sources.SourceUnavailable):
        data.load_split("kaggle", P.image_size, 4, 2, progress=False)  # asked for explicitly


def test_pipeline_lab_matches_color_module_and_skimage():
    imgs = synth.generate(10, 16, seed=4)
    ds = data.make_dataset(imgs, batch_size=4, training=False)
    batches = list(ds.as_numpy_iterator())
    assert [b[0].shape[0] for b in batches] == [4, 4, 2]
    L = np.concatenate([b[0] for b in batches])
    ab = np.concatenate([b[1] for b in batches])
    assert L.shape == (10, 16, 16, 1) and ab.shape == (10, 16, 16, 2)
    assert L.dtype == np.float32 and ab.dtype == np.float32
    assert L.min() >= -1.0001 and L.max() <= 1.0001 and np.abs(ab).max() <= 1.0
    lab = color.rgb_to_lab_np(imgs)
    np.testing.assert_allclose(L[..., 0], lab[..., 0] / 50 - 1, atol=2e-3)
    np.testing.assert_allclose(ab, lab[..., 1:] / 110, atol=2e-3)
    ref = rgb2lab(imgs)
    np.testing.assert_allclose((L[..., 0] + 1) * 50, ref[..., 0], atol=0.1)
    np.testing.assert_allclose(ab * 110, ref[..., 1:], atol=0.2)


def _lab_model(imgs):
    lab = color.rgb_to_lab_np(imgs)
    return lab[..., :1] / 50 - 1


def test_training_pipeline_shuffles_flips_and_is_deterministic():
    imgs = synth.generate(12, 16, seed=5)
    L_ref = _lab_model(imgs)  # [12, 16, 16, 1]

    def epoch(ds):
        return np.concatenate([L for L, _ in ds.as_numpy_iterator()])

    ds = data.make_dataset(imgs, 5, training=True, seed=3)
    e1, e2 = epoch(ds), epoch(ds)
    assert e1.shape == (12, 16, 16, 1)
    found, flipped = [], 0
    for x in e1:  # every output is one input, as is or mirrored; each input exactly once
        d = np.abs(L_ref - x).max(axis=(1, 2, 3))
        d_flip = np.abs(L_ref[:, :, ::-1] - x).max(axis=(1, 2, 3))
        k = int(np.argmin(np.minimum(d, d_flip)))
        assert min(d[k], d_flip[k]) < 2e-3
        found.append(k)
        flipped += d_flip[k] < d[k]
    assert sorted(found) == list(range(12)), "each picture once per epoch"
    assert found != list(range(12)), "shuffled"
    assert 0 < flipped < 12, "some mirrored, some not"
    assert not np.array_equal(e1, e2), "reshuffled each epoch"
    again = data.make_dataset(imgs, 5, training=True, seed=3)
    np.testing.assert_array_equal(epoch(again), e1)


def test_several_replicas_get_only_full_training_batches():
    split = data.load_split("offline", 16, n_train=10, n_val=3, progress=False)
    one, _ = data.make_datasets(split, 4)
    two, val = data.make_datasets(split, 4, replicas=2)  # no empty slice for a device
    assert [len(L) for L, _ in one] == [4, 4, 2]
    assert [len(L) for L, _ in two] == [4, 4]
    assert sum(len(L) for L, _ in val) == 3  # validation keeps every picture


def test_make_dataset_rejects_bad_input():
    with pytest.raises(ValueError, match="uint8"):
        data.make_dataset(np.zeros((2, 8, 8, 3), np.float32), 2, training=False)
    with pytest.raises(ValueError, match="no pictures"):
        data.make_dataset(np.zeros((0, 8, 8, 3), np.uint8), 2, training=False)


def test_make_datasets_for_a_profile():
    P = profiles.get_profile("tiny")
    split = data.profile_split(P, progress=False)
    train_ds, val_ds = data.make_datasets(split, P.batch_size)
    L, ab = next(iter(train_ds))
    assert tuple(L.shape) == (P.batch_size, P.image_size, P.image_size, 1)
    assert tuple(ab.shape) == (P.batch_size, P.image_size, P.image_size, 2)
    assert sum(int(L.shape[0]) for L, _ in val_ds) == len(split.val) == P.n_val
