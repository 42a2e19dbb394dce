"""From decoded pictures to what the network eats: ``(L_norm, ab_norm)`` batches in ``tf.data``.

``make_dataset`` turns an array ``uint8 [N, S, S, 3]`` into a pipeline of
``(L_norm [B, S, S, 1], ab_norm [B, S, S, 2])`` float32 batches: indices -> shuffle (seeded) ->
batch -> gather + random horizontal flip + RGB->Lab in the graph -> prefetch.

Why shuffle indices rather than pictures, and convert whole batches? Shuffling an index costs
8 bytes of buffer where shuffling a picture costs its 49 KB (1 GB for a full buffer of 20,000),
and one vectorised Lab conversion per batch is several times faster than one per picture. A
``cache()`` would add nothing: the arrays are already in memory. A path-based pipeline
(``tf.io.decode_image`` each epoch) would re-decode every JPEG every epoch and could only find
a bad file in the middle of training; decoding once (``split``) is both faster and safer.
"""

from __future__ import annotations

import numpy as np

from colorize_lib import color


def to_model_batch(rgb_uint8, flip=None):
    """uint8 RGB [B, S, S, 3] -> (L_norm [B, S, S, 1], ab_norm [B, S, S, 2]) float32, TF ops.

    ``flip``: optional bool [B]; those pictures are mirrored left-right first.
    """
    import tensorflow as tf

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


def make_datasets(split, batch_size: int, seed: int = 0, replicas: int = 1):
    """``(train_ds, val_ds)`` of a split. The training set is shuffled and flipped (seeded);
    with several replicas it drops its last, smaller batch, so every device gets a slice."""
    train_ds = make_dataset(
        split.train, batch_size, training=True, seed=seed, drop_remainder=replicas > 1
    )
    return train_ds, make_dataset(split.val, batch_size, training=False)
