"""Where pictures come from and how they reach the network.

The route, one way for every source: ``open_source(spec)`` -> a source (``sources.Source``:
a folder, an archive, an address, a Kaggle dataset, or the procedural landscapes), listed once
-> ``load_split`` / ``profile_split`` / ``holdout_split``: decoded pictures held out
deterministically (``Split``) -> ``make_datasets``: ``tf.data`` batches of ``(L_norm, ab_norm)``.

=================  ===========================================================================
``sources``        the ``Source`` interface, folders, the skip report, the decoding cache
``offline``        procedural landscapes and the photos bundled with scikit-learn/-image
``archives``       zip/tar archives unpacked safely
``remote``         downloads (resumable, checksummed) and Kaggle datasets
``specs``          ``open_source``: a string -> a source
``split``          the deterministic train/validation split (``Split``)
``pipeline``       ``tf.data``: pictures -> (L, ab) batches
``pictures``       decoding one file (EXIF, modes, bit depths), crops, PNG writes
``files``          writing files all or nothing
=================  ===========================================================================

A chapter needs only ``from colorize_lib import data``; the names below are the route.
"""

from colorize_lib.data.offline import BUNDLED, BUNDLED_LICENCE, bundled_photos
from colorize_lib.data.pipeline import make_dataset, make_datasets, to_model_batch
from colorize_lib.data.specs import open_source
from colorize_lib.data.split import (
    Split,
    holdout_split,
    load_split,
    own_split_sizes,
    profile_split,
    real_photos,
    split_hash,
    split_source,
)

__all__ = [
    "BUNDLED",
    "BUNDLED_LICENCE",
    "Split",
    "bundled_photos",
    "holdout_split",
    "load_split",
    "make_dataset",
    "make_datasets",
    "open_source",
    "own_split_sizes",
    "profile_split",
    "real_photos",
    "split_hash",
    "split_source",
    "to_model_batch",
]
