"""The input pipeline: pictures -> deterministic train/validation split -> (L, ab) batches.

Two steps, on purpose:

1. ``load_split`` decodes every picture **once**, before training, into ``uint8`` arrays
   ``[N, S, S, 3]`` (centre crop + resize, see ``sources``). Unreadable files are skipped and
   reported here, so nothing can crash in the middle of an epoch, and later epochs never pay
   for JPEG decoding again. 20,000 photos at 128x128 take 1 GB; decoded arrays of file sources
   are kept in the cache folder, so chapters 3-5 decode them only once.
2. ``make_dataset`` turns such an array into a ``tf.data`` pipeline of
   ``(L_norm [B, S, S, 1], ab_norm [B, S, S, 2])`` float32 batches: indices -> shuffle (seeded)
   -> batch -> gather + random horizontal flip + RGB->Lab in the graph -> prefetch.

Why shuffle indices rather than pictures, and convert whole batches? Shuffling an index costs
8 bytes of buffer where shuffling a picture costs its 49 KB (1 GB for a full buffer of 20,000),
and one vectorised Lab conversion per batch is several times faster than one per picture. A
``cache()`` would add nothing: the arrays are already in memory. A path-based pipeline
(``tf.io.decode_image`` each epoch) would re-decode every JPEG every epoch and could only find
a bad file in the middle of training; decoding once is both faster and safer.

The split is deterministic and does not depend on how many pictures are asked for:

- procedural: training picture ``i`` is ``synth`` picture ``i`` of the set ``seed``;
  validation pictures come from the same set starting at index ``VAL_START`` (disjoint);
- files: each file's place in a seeded order is the SHA-1 of its name (folder + file name),
  whatever the machine or the listing order; unreadable files are skipped *before* the split,
  and the first ``n_val`` readable files of that order are held out. So the held-out photos are
  the same for any ``n_train`` (a benchmark can score exactly the photos a run never saw), and
  change only when files are added, removed or become unreadable.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
from pathlib import Path

import numpy as np

from . import files, pictures, profiles, sources

VAL_START = 1_000_000  # procedural validation pictures are synth pictures VAL_START, VAL_START+1...


@dataclasses.dataclass
class Split:
    """Decoded pictures for one run: ``train`` and ``val`` are uint8 [N, S, S, 3]."""

    train: np.ndarray  # [N_train, S, S, 3] uint8
    val: np.ndarray  # [N_val, S, S, 3] uint8
    train_names: list[str]
    val_names: list[str]
    report: sources.SkipReport
    source_description: str
    real: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)  # bundled outdoor photos

    @functools.cached_property
    def key(self) -> str:
        """``split_hash(self)``, computed once (it reads every picture: about 1 s per GB)."""
        return split_hash(self)

    def describe(self) -> str:
        size = self.train.shape[1] if len(self.train) else self.val.shape[1]
        real = f", plus {len(self.real)} bundled real photos" if self.real else ""
        return (
            f"{len(self.train)} training + {len(self.val)} validation pictures at "
            f"{size}x{size}{real}, from:\n{self.source_description}"
        )


def real_photos(size: int | None = None, kind: str = "outdoor") -> dict[str, np.ndarray]:
    """The photos bundled with scikit-learn / scikit-image (``sources.bundled_photos``),
    centre-cropped and resized to ``size`` (full size when ``None``)."""
    photos = sources.bundled_photos(kind)
    if size is None:
        return photos
    return {name: pictures.center_crop(img, size) for name, img in photos.items()}


def _file_key(path: Path) -> str:
    """The name that decides a file's place in the split: its folder and file name."""
    return f"{path.parent.name}/{path.name}"


def _order(paths: list[Path], seed: int) -> list[Path]:
    """Files in a fixed pseudo-random order: by SHA-1 of (seed, folder/name)."""
    return sorted(paths, key=lambda p: hashlib.sha1(f"{seed}:{_file_key(p)}".encode()).hexdigest())


def _decode_cached(
    paths: list[Path], size: int, progress: bool, root: Path | None
) -> tuple[np.ndarray, list[str], sources.SkipReport]:
    """``sources.load_images`` with its result kept in ``cache_dir()/arrays`` (keyed by the
    files, their sizes, ``size`` and ``root``, which names are relative to): a second run of any
    chapter decodes nothing."""
    sig = hashlib.sha1(f"{size}|{root}".encode())
    for p in paths:
        try:
            st = p.stat()
            sig.update(f"{p}|{st.st_size}|{st.st_mtime_ns}\n".encode())
        except OSError:
            sig.update(f"{p}|missing\n".encode())
    folder = profiles.cache_dir() / "arrays"
    stem = folder / f"decoded-{size}-{sig.hexdigest()[:16]}"
    npy, meta = stem.with_suffix(".npy"), stem.with_suffix(".json")
    if npy.exists() and meta.exists():  # meta.json is written last: it marks a whole pair
        info = json.loads(meta.read_text())
        report = sources.SkipReport(
            skipped=[tuple(x) for x in info["skipped"]], upscaled=info["upscaled"]
        )
        report.loaded = len(info["names"])
        return np.load(npy), info["names"], report
    images, names, report = sources.load_images(paths, size, root=root, progress=progress)
    files.atomic_write(npy, lambda tmp: np.save(tmp, images))
    files.write_json(meta, {"names": names, "skipped": report.skipped, "upscaled": report.upscaled})
    return images, names, report


def load_split(
    source="offline",
    size: int = 64,
    n_train: int = 100,
    n_val: int = 20,
    seed: int = 0,
    progress: bool = True,
    fallback: bool = False,
) -> Split:
    """Decode the pictures of one run once, split deterministically into train and validation.

    ``source`` is anything ``sources.open_source`` accepts. With ``fallback``, a source that
    cannot be reached (no network) prints a note and falls back to the offline set instead of
    failing (``profile_split`` does this for a profile's default source).
    """
    src = sources.open_source(source, n=n_train, seed=seed)
    if not isinstance(src, sources.ProceduralSource):
        try:
            return _file_split(src, size, n_train, n_val, seed, progress)
        except sources.SourceUnavailable as e:
            if not fallback:
                raise
            print(f"Note: {e}\n-> Falling back to the offline set (procedural + bundled photos).")
    train = _procedural(n_train, size, seed, 0, progress)
    val = _procedural(n_val, size, seed, VAL_START, progress)
    desc = (
        f"- {sources.ProceduralSource(n_train, seed).describe()}\n"
        f"- validation: {n_val} further procedural landscapes (indices from {VAL_START})\n"
        "- real photos bundled with scikit-learn / scikit-image: "
        + "; ".join(
            f"{k} ({sources.BUNDLED_LICENCES[k]})"
            for k, v in sources.BUNDLED.items()
            if v[2] == "outdoor"
        )
    )
    return Split(
        train=train,
        val=val,
        train_names=[f"synth:{seed}:{i}" for i in range(n_train)],
        val_names=[f"synth:{seed}:{VAL_START + i}" for i in range(n_val)],
        report=sources.SkipReport(loaded=n_train + n_val),
        source_description=desc,
        real=real_photos(size, "outdoor"),
    )


def _procedural(n: int, size: int, seed: int, start: int, progress: bool) -> np.ndarray:
    from . import synth

    return synth.generate(n, size, seed, start=start, progress=progress and n >= 500)


def _file_split(src, size: int, n_train: int, n_val: int, seed: int, progress: bool) -> Split:
    """Decode files in their seeded order, skipping unreadable ones, until ``n_val + n_train``
    pictures are readable; the first ``n_val`` readable ones are held out. Skips happen before
    the split, so one bad file never empties the validation set, and the split stays the same
    for the same readable files."""
    paths = _order(src.paths(), seed)  # raises NoImagesFound / SourceUnavailable
    root = Path(os.path.commonpath([p.parent for p in paths])) if paths else None  # for names
    want = n_val + n_train
    parts, names, report = [], [], sources.SkipReport()
    for chunk in (paths[:n_val], paths[n_val:want]):  # decoded (and cached) apart, as before
        if chunk:
            images, chunk_names, chunk_report = _decode_cached(chunk, size, progress, root)
            parts.append(images)
            names += chunk_names
            report.merge(chunk_report)
    start = want
    while sum(map(len, parts)) < want and start < len(paths):  # replace the unreadable ones
        chunk = paths[start : start + want - sum(map(len, parts))]
        images, chunk_names, chunk_report = _decode_cached(chunk, size, progress, root)
        parts.append(images)
        names += chunk_names
        report.merge(chunk_report)
        start += len(chunk)
    pictures = np.concatenate(parts) if parts else np.zeros((0, size, size, 3), np.uint8)
    report.skipped += getattr(src, "unused", [])  # other files, folders that cannot be listed
    report.report()  # one warning, once, before any training
    if len(pictures) <= n_val:
        raise sources.NoImagesFound(
            f"{len(pictures)} readable pictures among {len(paths)} picture files: not enough for "
            f"{n_val} validation pictures plus training ones. Add pictures or hold out fewer."
            f"\n{report.summary()}"
        )
    if len(pictures) < want:
        print(
            f"Note: {len(pictures)} readable pictures: training on {len(pictures) - n_val} "
            f"instead of {n_train} ({n_val} are held out for validation)."
        )
    return Split(
        train=pictures[n_val:],
        val=pictures[:n_val],
        train_names=names[n_val:],
        val_names=names[:n_val],
        report=report,
        source_description=src.describe(),
        real=real_photos(size, "outdoor"),
    )


def holdout_split(data_spec: str, size: int, n: int | None, val_fraction: float, seed: int):
    """``val_fraction`` of (at most ``n``) pictures held out, decoded: the command line's split.

    ``train`` and ``train-gan`` both use it, so the same ``--data``, ``--n``, ``--val-fraction``
    and ``--seed`` always hold out the same photos (a folder's files are ordered by a seeded hash
    of their names), and a benchmark can score a model on exactly the photos it never saw.
    """
    src = sources.open_source(data_spec, n=n or 1000, seed=seed)
    if isinstance(src, sources.ProceduralSource):
        total = n or 1000
    else:
        total = len(src.paths())  # raises NoImagesFound / SourceUnavailable with the reason
        total = min(total, n) if n else total
    if total < 2:
        raise sources.NoImagesFound(f"{data_spec}: {total} picture(s); need at least 2.")
    n_val = min(total - 1, max(1, round(total * val_fraction)))
    return load_split(
        source=src,
        size=size,
        n_train=total - n_val,
        n_val=n_val,
        seed=seed,
        fallback=False,
    )


def split_hash(split: Split) -> str:
    """A hash of a split's decoded pictures and their names: what a model trained on it saw."""
    h = hashlib.blake2b(digest_size=8)
    for arr in (split.train, split.val):
        h.update(str(arr.shape).encode())
        h.update(memoryview(np.ascontiguousarray(arr)).cast("B"))
    h.update("\n".join(split.train_names + split.val_names).encode())
    return h.hexdigest()


def profile_split(
    profile: profiles.Profile, size: int | None = None, progress: bool = True
) -> Split:
    """``load_split`` with everything from the profile: its counts, its size (unless ``size`` is
    given) and its pictures: ``profile.data`` (``$COLORIZE_DATA``, your photos) when set, with
    no fallback; else its source, falling back to the offline set when that cannot be reached.

    With fewer of your photos than the profile's ``n_train + n_val``, the same share is held out
    (``own_split_sizes``) and a note says so; below ``MIN_OWN_PHOTOS`` it is an error.
    """
    P = profile
    size = size or P.image_size
    if not P.data:
        return load_split(P.source, size, P.n_train, P.n_val, progress=progress, fallback=True)
    src = _own_source(P.data)
    if isinstance(src, sources.ProceduralSource):  # COLORIZE_DATA=offline: the procedural set
        return load_split(src, size, P.n_train, P.n_val, progress=progress)
    try:
        available = len(src.paths())  # downloads first, for an address or a Kaggle id
    except sources.SourceError as e:
        raise type(e)(f"{profiles.ENV_DATA}={P.data}: {e}") from None
    n_train, n_val = own_split_sizes(available, P.n_train, P.n_val, f"{profiles.ENV_DATA}={P.data}")
    if (n_train, n_val) != (P.n_train, P.n_val):
        print(
            f"Note: {profiles.ENV_DATA}={P.data} holds {available} pictures, fewer than the "
            f"'{P.name}' profile's {P.n_train} + {P.n_val}: training on {n_train} and holding out "
            f"{n_val} (the profile's share)."
        )
    return load_split(src, size, n_train, n_val, progress=progress, fallback=False)


MIN_OWN_VAL = 8  # held-out pictures the chapters need at least (they show up to 6 of them)
MIN_OWN_PHOTOS = 40  # the tiny profile's 32 + 8: fewer photos than this cannot teach anything


def own_split_sizes(available: int, n_train: int, n_val: int, what: str = "") -> tuple[int, int]:
    """``(n_train, n_val)`` for ``available`` pictures of your own: the profile's counts when
    there are enough (extra photos are left unused), else the profile's share held out (at least
    ``MIN_OWN_VAL``) and the rest trained on. Fewer than ``MIN_OWN_PHOTOS``: ``NoImagesFound``."""
    if available >= n_train + n_val:
        return n_train, n_val
    if available < MIN_OWN_PHOTOS:
        raise sources.NoImagesFound(
            f"{what or 'your photos'}: {available} picture files, fewer than the "
            f"{MIN_OWN_PHOTOS} a run needs at least; add photos, or unset {profiles.ENV_DATA}."
        )
    held_out = max(MIN_OWN_VAL, round(available * n_val / (n_train + n_val)))
    return available - held_out, held_out


def _own_source(spec: str):
    """``sources.open_source(spec)``, with a missing path as one line naming ``COLORIZE_DATA``."""
    try:
        return sources.open_source(spec)
    except sources.NoImagesFound:
        raise sources.NoImagesFound(
            f"{profiles.ENV_DATA}={spec}: no such folder or archive (relative paths start at "
            f"{Path.cwd()}); point it at a folder of photos or an archive, or unset it."
        ) from None


# ----------------------------------------------------------------------------------------------
# tf.data
# ----------------------------------------------------------------------------------------------


def to_model_batch(rgb_uint8, flip=None):
    """uint8 RGB [B, S, S, 3] -> (L_norm [B, S, S, 1], ab_norm [B, S, S, 2]) float32, TF ops.

    ``flip``: optional bool [B]; those pictures are mirrored left-right first.
    """
    import tensorflow as tf

    from . import color

    x = tf.cast(rgb_uint8, tf.float32) / 255.0  # [B, S, S, 3]
    if flip is not None:
        x = tf.where(flip[:, None, None, None], tf.reverse(x, axis=[2]), x)
    return color.split_lab(color.rgb_to_lab(x))  # [B, S, S, 1], [B, S, S, 2]


def make_dataset(
    images_uint8: np.ndarray,
    batch_size: int,
    training: bool,
    seed: int = 0,
    drop_remainder: bool = False,
):
    """A ``tf.data.Dataset`` of ``(L_norm [B, S, S, 1], ab_norm [B, S, S, 2])`` float32.

    ``training``: reshuffled every epoch (seeded) and randomly mirrored left-right; otherwise
    in order and unchanged. Deterministic for a given ``seed``.
    """
    import tensorflow as tf

    images = np.asarray(images_uint8)
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"make_dataset expects uint8 pictures [N, S, S, 3], got {images.dtype} {images.shape}"
        )
    if len(images) == 0:
        raise ValueError("make_dataset got no pictures (an empty array).")
    table = tf.constant(images)  # [N, S, S, 3] uint8, held once in memory
    ds = tf.data.Dataset.range(len(images))
    if training:
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder).enumerate()

    def to_model(step, idx):
        batch = tf.gather(table, idx)  # [B, S, S, 3] uint8
        flip = None
        if training:
            u = tf.random.stateless_uniform(
                tf.shape(idx), seed=tf.stack([tf.constant(seed, tf.int64), step])
            )
            flip = u < 0.5  # [B]
        return to_model_batch(batch, flip)

    ds = ds.map(to_model, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.prefetch(tf.data.AUTOTUNE)


def make_datasets(split: Split, batch_size: int, seed: int = 0, replicas: int = 1):
    """``(train_ds, val_ds)`` of a split. The training set is shuffled and flipped (seeded);
    with several replicas it drops its last, smaller batch, so every device gets a slice."""
    train_ds = make_dataset(
        split.train, batch_size, training=True, seed=seed, drop_remainder=replicas > 1
    )
    return train_ds, make_dataset(split.val, batch_size, training=False)
