"""One route for the data: a source, opened and listed once -> a deterministic train/validation
split of decoded pictures (``Split``).

Two steps, on purpose:

1. ``load_split`` decodes every picture **once**, before training, into ``uint8`` arrays
   ``[N, S, S, 3]`` (centre crop + resize, see ``sources``). Unreadable files are skipped and
   reported here, so nothing can crash in the middle of an epoch, and later epochs never pay
   for JPEG decoding again. 20,000 photos at 128x128 take 1 GB; decoded arrays of file sources
   are kept in the cache folder, so chapters 3-5 decode them only once.
2. ``pipeline.make_dataset`` turns such an array into ``tf.data`` batches of (L, ab).

Every source answers the same interface (``sources.Source``): the split asks it for its items
in split order (``order``), decodes them (``decode``) until enough are readable, and holds out the
first ``n_val`` readable ones. The split is deterministic and does not depend on how many
pictures are asked for:

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
from pathlib import Path

import numpy as np

from colorize_lib import profiles
from colorize_lib.data import offline, pictures, sources
from colorize_lib.data.specs import open_source

MIN_OWN_VAL = 8  # held-out pictures the chapters need at least (they show up to 6 of them)
MIN_OWN_PHOTOS = 40  # the tiny profile's 32 + 8: fewer photos than this cannot teach anything


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
    """The photos bundled with scikit-learn / scikit-image (``offline.bundled_photos``),
    centre-cropped and resized to ``size`` (full size when ``None``)."""
    photos = offline.bundled_photos(kind)
    if size is None:
        return photos
    return {name: pictures.center_crop(img, size) for name, img in photos.items()}


def split_source(
    src: sources.Source, size: int, n_train: int, n_val: int, seed: int = 0, progress: bool = True
) -> Split:
    """Split an opened source: its items in split order are decoded, skipping unreadable ones,
    until ``n_val + n_train`` pictures are readable; the first ``n_val`` readable ones are held
    out. Skips happen before the split, so one bad file never empties the validation set, and
    the split stays the same for the same readable files. What was skipped (listing and
    decoding) is reported once, as plain lines, before any training."""
    order = src.order(seed, n_val)  # lists the source (once): NoImagesFound, SourceUnavailable
    want = n_val + n_train
    parts, names, report = [], [], sources.SkipReport()

    def decode(chunk) -> None:
        images, chunk_names, chunk_report = src.decode(chunk, size, progress)
        parts.append(images)
        names.extend(chunk_names)
        report.merge(chunk_report)

    for chunk in (order[:n_val], order[n_val:want]):  # decoded (and cached) apart
        if chunk:
            decode(chunk)
    start = want
    while len(names) < want and start < len(order):  # replace the unreadable ones
        chunk = order[start : start + want - len(names)]
        decode(chunk)
        start += len(chunk)
    images = np.concatenate(parts) if parts else np.zeros((0, size, size, 3), np.uint8)
    report.skipped += src.listing().skipped  # other files, folders that cannot be listed
    report.report()
    if len(images) <= n_val:
        raise sources.NoImagesFound(
            f"{len(images)} readable pictures among {len(order)}: not enough for {n_val} "
            f"validation pictures plus training ones. Add pictures or hold out fewer."
            f"\n{report.summary()}"
        )
    if len(images) < want:
        print(
            f"Note: {len(images)} readable pictures: training on {len(images) - n_val} "
            f"instead of {n_train} ({n_val} are held out for validation)."
        )
    licences = "; ".join(
        f"{k} ({offline.BUNDLED_LICENCES[k]})"
        for k, v in offline.BUNDLED.items()
        if v[2] == "outdoor"
    )
    return Split(
        train=images[n_val:],
        val=images[:n_val],
        train_names=names[n_val:],
        val_names=names[:n_val],
        report=report,
        source_description=f"{src.describe()}\nreal photos bundled with scikit-learn / "
        f"scikit-image, to look at: {licences}",
        real=real_photos(size, "outdoor"),
    )


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

    ``source`` is anything ``open_source`` accepts (an opened source is used as it is, its
    listing included). With ``fallback``, a source that cannot be reached (no network) prints a
    note and falls back to the procedural set instead of failing (``profile_split`` does this
    for a profile's default source).
    """
    src = open_source(source, n=n_train, seed=seed)
    try:
        return split_source(src, size, n_train, n_val, seed, progress)
    except sources.SourceUnavailable as e:
        if not fallback:
            raise
        print(f"Note: {e}\n-> Falling back to the offline set (procedural + bundled photos).")
    return split_source(
        offline.ProceduralSource(n_train, seed), size, n_train, n_val, seed, progress
    )


def holdout_split(data_spec: str, size: int, n: int | None, val_fraction: float, seed: int):
    """``val_fraction`` of (at most ``n``) pictures held out, decoded: the command line's split.

    ``train`` and ``train-gan`` both use it, so the same ``--data``, ``--n``, ``--val-fraction``
    and ``--seed`` always hold out the same photos (a folder's files are ordered by a seeded hash
    of their names), and a benchmark can score a model on exactly the photos it never saw.
    """
    src = open_source(data_spec, n=n or 1000, seed=seed)
    total = len(src.listing().items)  # NoImagesFound / SourceUnavailable with the reason
    total = min(total, n) if n else total
    if total < 2:
        raise sources.NoImagesFound(f"{src.describe()}: {total} picture(s); need at least 2.")
    n_val = min(total - 1, max(1, round(total * val_fraction)))
    return split_source(src, size, total - n_val, n_val, seed)


def split_hash(split: Split) -> str:
    """A hash of a split's decoded pictures and their names: what a model trained on it saw."""
    h = hashlib.blake2b(digest_size=8)
    for arr in (split.train, split.val):
        h.update(str(arr.shape).encode())
        h.update(memoryview(np.ascontiguousarray(arr)).cast("B"))
    h.update("\n".join(split.train_names + split.val_names).encode("utf-8", "surrogateescape"))
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
    what = f"{profiles.ENV_DATA}={P.data}"
    try:
        src = open_source(P.data, n=P.n_train + P.n_val)  # the procedural set: enough
        available = len(src.listing().items)  # downloads first, for an address or a Kaggle id
    except sources.NoImagesFound as e:
        if Path(P.data).expanduser().exists() or ":" in P.data:
            raise type(e)(f"{what}: {e}") from None
        raise sources.NoImagesFound(
            f"{what}: no such folder or archive (relative paths start at {Path.cwd()}); point it "
            "at a folder of photos or an archive, or unset it."
        ) from None
    except sources.SourceError as e:
        raise type(e)(f"{what}: {e}") from None
    n_train, n_val = own_split_sizes(available, P.n_train, P.n_val, what)
    if (n_train, n_val) != (P.n_train, P.n_val):
        print(
            f"Note: {what} holds {available} pictures, fewer than the '{P.name}' profile's "
            f"{P.n_train} + {P.n_val}: training on {n_train} and holding out {n_val} (the "
            "profile's share)."
        )
    return split_source(src, size, n_train, n_val, progress=progress)


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
