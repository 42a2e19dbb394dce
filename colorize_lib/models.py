"""The networks: the U-Net colorizer (chapter 3) and the PatchGAN discriminator (chapter 4).

The network reads ``L_norm`` ``[H, W, 1]`` (in [-1, 1]) and predicts ``ab_norm`` ``[H, W, 2]``
through ``tanh``, so every prediction lies in the ab range (``ab = 110 * ab_norm``).

- The **encoder** is a Keras application (``ENCODERS``: MobileNetV2 in three widths, ResNet50,
  EfficientNetB0) without its classifier. It halves the picture five times (``/2 ... /32``) and
  turns pixels into features ("sky", "leaves", "water") that say which colours are likely.
- The gray input meets the 3-channel encoder by **repeating L three times** and scaling it the
  way the encoder was trained on ImageNet (``[-1, 1]`` for MobileNetV2, ``0..255`` minus the
  channel means for ResNet50, ``0..255`` for EfficientNet, which normalises internally). A gray
  photo is a colour photo with R = G = B, so the pretrained filters apply unchanged.
- The **decoder** doubles the size five times; at each size it concatenates the encoder's
  features of the same size (the **skip connections**), which carry the fine positions of edges
  that the coarse ``/32`` features have lost. The last skip is the full-resolution L itself.

``build_unet`` loads ImageNet weights when they can be downloaded or are in Keras' cache
(``~/.keras/models``); offline it prints one line and starts from random weights.

``build_discriminator`` is pix2pix's **conditional PatchGAN**: it sees the gray ``L`` together
with an ``ab`` colouring (real or generated) and gives one "real?" logit per overlapping patch
(``receptive_field`` pixels wide: 70 for ``n_down=3``).
"""

from __future__ import annotations

import socket
import warnings
from collections.abc import Callable

import keras
import numpy as np
from keras import layers

from colorize_lib import profiles, shapes

ENCODER_NAME = "encoder"  # name of the encoder sub-model inside a U-Net
RANDOM_INIT_BN_MOMENTUM = 0.9  # batch-norm averaging when the encoder starts from random weights


WEIGHTS_HOST = ("storage.googleapis.com", 443)  # where keras.applications download weights from


def _weights_unreachable(spec: shapes.EncoderSpec) -> str | None:
    """Why pretrained weights cannot be had now (``None`` when they can): they are in Keras'
    cache (``mobilenet_v2_weights_...h5`` for ``MobileNetV2``), a proxy is set (the download
    goes through it), or their host answers within 10 s. A connection of its own with its own
    timeout: nothing process-wide (socket timeout, stdout) is changed."""
    cache = profiles.keras_weights_dir()
    stem = spec.constructor.lower()
    if cache.is_dir() and any(
        f.name.lower().replace("_", "").startswith(stem) for f in cache.iterdir()
    ):
        return None
    if profiles.https_proxy():
        return None
    try:
        socket.create_connection(WEIGHTS_HOST, timeout=10).close()
    except OSError as err:
        return err.strerror or type(err).__name__
    return None


def _load_application(
    spec: shapes.EncoderSpec, input_shape: tuple, weights: str | None
) -> tuple[keras.Model, str | None]:
    """The Keras application without its classifier, and ``None`` when the weights asked for
    loaded, else a sentence that says why not (the caller decides whether to tell anyone).

    Offline (no cached weights, no answer from their host) it starts from random weights; a
    download that fails later does the same. Nothing is printed.
    """
    constructor: Callable[..., keras.Model] = getattr(keras.applications, spec.constructor)
    kwargs = dict(spec.kwargs, input_shape=input_shape, include_top=False)
    if weights is None:
        return constructor(weights=None, **kwargs), None
    reason = _weights_unreachable(spec) if weights == "imagenet" else None
    if reason is None:
        try:
            with warnings.catch_warnings():  # "weights for input shape (224, 224) will be loaded"
                warnings.simplefilter("ignore")
                return constructor(weights=weights, **kwargs), None
        except Exception as err:  # a failed download: urllib raises Exception("URL fetch failure")
            reason = (str(err).split(" -- ")[-1].strip() or type(err).__name__)[:80]
    note = (
        f"{weights} weights for {spec.constructor} could not be loaded ({reason}): the encoder "
        "starts from random weights (online, e.g. on Colab, they download by themselves)"
    )
    return constructor(weights=None, **kwargs), note


def build_encoder(
    image_size: int | None = None, encoder: str = "MobileNetV2", weights: str | None = "imagenet"
) -> tuple[keras.Model, bool]:
    """The encoder sub-model: RGB-like ``[H, W, 3]`` -> 4 skip tensors + the ``/32`` bottleneck.

    Returns ``(encoder_model, pretrained)``; when weights were asked for and did not load, the
    model's ``weights_note`` says why (else it is ``None``). ``image_size`` must be a multiple of
    32 (or None for any multiple of 32 at run time).
    """
    spec = shapes.encoder_spec(encoder)
    size = shapes.check_size(image_size)
    base, note = _load_application(spec, (size, size, 3), weights)
    outputs = [base.get_layer(name).output for name in (*spec.skips, spec.bottleneck)]
    enc = keras.Model(base.input, outputs, name=ENCODER_NAME)
    enc.weights_note = note
    return enc, weights is not None and note is None


def build_unet(
    image_size: int | None = None,
    encoder: str = "MobileNetV2",
    weights: str | None = "imagenet",
    freeze_encoder: bool = False,
) -> keras.Model:
    """A U-Net: ``L_norm [H, W, 1]`` -> ``ab_norm [H, W, 2]`` in [-1, 1].

    Args:
        image_size: square working size (a multiple of 32), or None for any size.
        encoder: a key of ``ENCODERS`` (``MobileNetV2``, ``MobileNetV2-0.5``,
            ``MobileNetV2-0.35``, ``ResNet50``, ``EfficientNetB0``).
        weights: ``"imagenet"`` (falls back to random offline: see ``weights_note``) or None.
        freeze_encoder: start with the encoder frozen (see ``set_encoder_trainable``).

    The returned model has an attribute ``pretrained`` (True when ImageNet weights loaded) and
    ``weights_note`` (why the weights asked for did not load, else ``None``).
    Under a mixed-precision policy the output layer stays float32. Chapter 3 writes this function
    and ``up_block`` in cells and fails unless they build the same layers: change both together.
    """
    spec = shapes.encoder_spec(encoder)
    size = shapes.check_size(image_size)
    enc, pretrained = build_encoder(size, encoder, weights)

    L = keras.Input((size, size, 1), name="L_norm")  # [B, H, W, 1] in [-1, 1]
    # gray -> the 3-channel picture the encoder was trained on
    rgb = layers.Concatenate(name="repeat_L")([L, L, L])  # [B, H, W, 3]
    rgb = layers.Rescaling(spec.scale, spec.offset, name="encoder_preprocess")(rgb)
    *skips, x = enc(rgb)  # skips [B, H/2..H/16, W/.., C_i]; x [B, H/32, W/32, C]

    f16, f8, f4, f2, f1 = spec.decoder_filters
    for skip, filters, level in zip(skips[::-1], (f16, f8, f4, f2), (16, 8, 4, 2), strict=True):
        x = up_block(x, skip, filters, f"dec{level}")  # [B, H/level, W/level, filters]
    x = up_block(x, L, f1, "dec1")  # [B, H, W, f1]: the last skip is the full-res L itself
    ab = layers.Conv2D(2, 1, name="ab_logits")(x)  # [B, H, W, 2]
    ab = layers.Activation("tanh", dtype="float32", name="ab_norm")(ab)  # [B, H, W, 2] in [-1, 1]

    model = keras.Model(L, ab, name=_unet_name(encoder))
    model.pretrained, model.weights_note = pretrained, enc.weights_note
    if not pretrained:
        # Keras' MobileNetV2 averages batch-norm statistics with momentum 0.999: right for its
        # pretrained statistics, far too slow for random ones (after 500 steps the averages are
        # still 60% the initial 0 and 1, and validation predictions come out wrong).
        for layer in _all_layers(model):
            if isinstance(layer, layers.BatchNormalization):
                layer.momentum = RANDOM_INIT_BN_MOMENTUM
    if freeze_encoder:
        set_encoder_trainable(model, False)
    return model


@keras.saving.register_keras_serializable(package="colorize_lib")
class HintPool(layers.Layer):
    """Hints ``[B, H, W, 3]`` (``hint_ab``, ``hint_mask``) -> ``[B, H/k, W/k, 3]``: in each
    ``k`` x ``k`` cell, the mean colour of the hints in it (0 where there is none) and 1 where
    there is one. A plain average would shrink a 3-pixel hint to 1/30 of its colour in a 16x16
    cell; this keeps it whole at every size."""  # 9/256 of it for a 3x3 hint in 16x16

    def __init__(self, size: int, **kwargs):
        super().__init__(**kwargs)
        self.size = int(size)

    def call(self, hints):  # [B, H, W, 3]
        ops = keras.ops
        ab, mask = hints[..., :2], hints[..., 2:]  # ab is 0 outside the hints
        total = ops.average_pool(ab, self.size, self.size)  # [B, H/k, W/k, 2]
        cover = ops.average_pool(mask, self.size, self.size)  # share of the cell under hints
        mean_ab = total / ops.maximum(cover, 1e-6)  # the hints' mean colour (0 / eps = 0)
        present = ops.max_pool(mask, self.size, self.size)  # [B, H/k, W/k, 1]
        return ops.concatenate([mean_ab, present], axis=-1)

    def get_config(self):
        return {**super().get_config(), "size": self.size}


def build_hint_unet(
    image_size: int | None = None, encoder: str = "MobileNetV2", weights: str | None = "imagenet"
) -> keras.Model:
    """Chapter 7's hint U-Net: ``[L_norm [H,W,1], hint_ab [H,W,2], hint_mask [H,W,1]]`` ->
    ``ab_norm [H, W, 2]``. ``build_unet``'s network, with the hints (colours and mask) brought
    down to each decoder size (``HintPool``) and concatenated to that size's skip, after the
    encoder's features: a click reaches the coarse levels that spread colour over a whole region, and the
    encoder (ImageNet's, when it loads) still sees a gray picture. ``from_unet`` starts it from a
    trained U-Net: with no hint it then computes exactly what that U-Net does."""
    spec = shapes.encoder_spec(encoder)
    size = shapes.check_size(image_size)
    enc, pretrained = build_encoder(size, encoder, weights)
    L = keras.Input((size, size, 1), name="L_norm")  # [B, H, W, 1] in [-1, 1]
    hint_ab = keras.Input((size, size, 2), name="hint_ab")  # [B, H, W, 2], 0 where no hint
    hint_mask = keras.Input((size, size, 1), name="hint_mask")  # [B, H, W, 1], 1 in a hint
    hints = layers.Concatenate(name="hints")([hint_ab, hint_mask])  # [B, H, W, 3]
    rgb = layers.Concatenate(name="repeat_L")([L, L, L])  # [B, H, W, 3]
    rgb = layers.Rescaling(spec.scale, spec.offset, name="encoder_preprocess")(rgb)
    *skips, x = enc(rgb)

    f16, f8, f4, f2, f1 = spec.decoder_filters
    for skip, filters, level in zip(skips[::-1], (f16, f8, f4, f2), (16, 8, 4, 2), strict=True):
        pooled = HintPool(level, name=f"hints{level}")(hints)  # [B, H/l, W/l, 3]
        skip = layers.Concatenate(name=f"dec{level}_hints")([skip, pooled])
        x = up_block(x, skip, filters, f"dec{level}")  # [B, H/level, W/level, filters]
    full = layers.Concatenate(name="dec1_hints")([L, hints])  # [B, H, W, 4]
    x = up_block(x, full, f1, "dec1")  # [B, H, W, f1]
    ab = layers.Conv2D(2, 1, name="ab_logits")(x)
    ab = layers.Activation("tanh", dtype="float32", name="ab_norm")(ab)  # [B, H, W, 2]
    model = keras.Model([L, hint_ab, hint_mask], ab, name="hint_unet")
    model.pretrained, model.weights_note = pretrained, enc.weights_note
    if not pretrained:
        for layer in _all_layers(model):
            if isinstance(layer, layers.BatchNormalization):
                layer.momentum = RANDOM_INIT_BN_MOMENTUM
    return model


def from_unet(hint_model: keras.Model, unet: keras.Model) -> keras.Model:
    """Start ``hint_model`` from a trained ``unet`` of the same encoder and size: every weight
    copied; the first convolution after each skip gets zeros for its hint channels (they come
    last), so with no hint the two networks compute the same."""
    theirs = {layer.name: layer for layer in unet.layers}
    for layer in hint_model.layers:
        if layer.name not in theirs or not layer.weights:
            continue
        for mine, w in zip(layer.weights, theirs[layer.name].get_weights(), strict=True):
            if tuple(mine.shape) == w.shape:
                mine.assign(w)
            else:  # a 3x3 kernel [3, 3, C + hints, F]: the U-Net's C first, zeros for hints
                grown = np.zeros(tuple(mine.shape), w.dtype)
                grown[:, :, : w.shape[2], :] = w
                mine.assign(grown)
    norms = {layer.name: layer for layer in _all_layers(unet)}
    for mine in _all_layers(hint_model):  # pretrained or not: batch norms average as the U-Net's
        if isinstance(mine, layers.BatchNormalization) and mine.name in norms:
            mine.momentum = norms[mine.name].momentum
    return hint_model


def up_block(x, skip, filters: int, name: str):
    """The decoder block: ``x [B, h, w, C]``, ``skip [B, 2h, 2w, Cs]`` -> ``[B, 2h, 2w, filters]``.

    Double the size of ``x``, concatenate the skip of that size (its sharp edges), then two 3x3
    convolutions, each followed by batch normalization and ReLU. The convolutions have no bias:
    batch norm's learned offset (beta) plays that role. Chapter 3 writes this block in a cell.
    """
    # nearest (not bilinear): works for any input size; the 3x3 convolutions smooth it
    x = layers.UpSampling2D(2, name=f"{name}_up")(x)  # [B, 2h, 2w, C]
    x = layers.Concatenate(name=f"{name}_skip")([x, skip])  # [B, 2h, 2w, C + Cs]
    for i in (1, 2):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{i}")(x)
        x = layers.BatchNormalization(name=f"{name}_bn{i}")(x)
        x = layers.ReLU(name=f"{name}_relu{i}")(x)  # [B, 2h, 2w, filters]
    return x


def _all_layers(model: keras.Model):
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer)


def encoder_of(model: keras.Model) -> keras.Model:
    """The encoder sub-model of a U-Net built by ``build_unet``."""
    try:
        return model.get_layer(ENCODER_NAME)
    except ValueError as err:
        raise ValueError(
            f"Model {model.name!r} has no layer named {ENCODER_NAME!r}: build it with "
            "models.build_unet."
        ) from err


def set_encoder_trainable(model: keras.Model, trainable: bool) -> None:
    """Freeze (False) or unfreeze (True) the encoder. Recompile the model afterwards.

    A frozen encoder also keeps its batch-norm statistics (Keras runs frozen BatchNorm layers
    in inference mode), so the pretrained features are not disturbed while the randomly
    initialised decoder learns its first steps.
    """
    encoder_of(model).trainable = trainable


def count_params(model: keras.Model) -> dict[str, int]:
    """Trainable and total parameter counts (for the chapter's table)."""
    trainable = sum(int(keras.ops.size(w)) for w in model.trainable_weights)
    total = sum(int(keras.ops.size(w)) for w in model.weights)
    return {"trainable": trainable, "total": total}


def check_colorizer(model: keras.Model) -> None:
    """Raise a clear error unless ``model`` maps ``L_norm [B, H, W, 1]`` to ``ab_norm [B, H, W, 2]``."""
    inputs = getattr(model, "inputs", None) or ()
    if len(inputs) == 3:  # a hint U-Net (chapter 7): its first input is the gray picture
        shape_in = tuple(inputs[0].shape)
    else:
        shape_in = tuple(getattr(model, "input_shape", None) or ())  # subclassed: none
    shape_out = tuple(getattr(model, "output_shape", None) or ())
    if len(shape_in) != 4 or shape_in[-1] != 1 or len(shape_out) != 4 or shape_out[-1] != 2:
        raise ValueError(
            f"{model.name}: expected a colorizer L_norm [B, H, W, 1] -> ab_norm [B, H, W, 2], "
            f"got {shape_in or 'no fixed input'} -> {shape_out or 'no fixed output'}. Start from "
            "a U-Net trained with 'python -m colorize_lib train' (or models.build_unet)."
        )


def copy_model(model: keras.Model, dtype: str | None = None) -> keras.Model:
    """An independent copy with the same weights; fine-tuning it leaves ``model`` be.

    The copy computes under the current precision policy (a U-Net trained on a GPU in float16
    becomes float32 on a CPU, and the other way round), or in ``dtype`` (e.g. ``"float32"`` for
    an ONNX export) when given: every layer is rebuilt with that policy, and the global policy
    is left as it is.
    """
    if dtype is not None:

        def rebuild(layer):  # nested models (the encoder) are cloned with the same rule
            return layer.__class__.from_config({**layer.get_config(), "dtype": dtype})

        clone = keras.models.clone_model(model, clone_function=rebuild, recursive=True)
    else:
        encoder = encoder_name(model)
        if encoder is not None:  # one of ours: build it afresh, so its layers take today's policy
            clone = build_unet(model.input_shape[1], encoder, weights=None)
        else:
            clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    for mine, theirs in zip(_all_layers(clone), _all_layers(model), strict=True):
        if isinstance(mine, layers.BatchNormalization):
            mine.momentum = theirs.momentum  # pretrained or not: keep how it was trained
    return clone


def encoder_name(model: keras.Model) -> str | None:
    """Which of ``shapes.ENCODERS`` a U-Net of ``build_unet`` was built with (its name says),
    or ``None`` for another model."""
    return next((e for e in shapes.ENCODERS if model.name == _unet_name(e)), None)


def _unet_name(encoder: str) -> str:
    return f"unet_{encoder.replace('.', '').replace('-', '_')}"


# ----------------------------------------------------------------------------------------------
# The discriminator of chapter 4: a conditional PatchGAN
# ----------------------------------------------------------------------------------------------


def build_discriminator(
    image_size: int | None = None,
    base_filters: int = 64,
    n_down: int = 3,
    norm: str | None = "instance",
    name: str = "patchgan",
) -> keras.Model:
    """A conditional PatchGAN: ``[L_norm [B,H,W,1], ab_norm [B,H,W,2]]`` -> logits ``[B,h,w,1]``.

    As in the TensorFlow pix2pix tutorial: ``n_down`` 4x4 stride-2 convolutions (64, 128, 256, ...
    filters, at most 512), then two 4x4 stride-1 convolutions without padding, the last one to a
    single channel. Each output is a logit (> 0: "real") for one overlapping patch of
    ``receptive_field(n_down)`` pixels; ``h = w = H / 2**n_down - 2`` (``patch_grid``).

    Args:
        image_size: square input size, or None for any size (at least ``3 * 2**n_down``).
        base_filters: filters of the first convolution; doubled at each step down.
        n_down: number of stride-2 convolutions (3: 70-pixel patches; 2: 34-pixel patches).
        norm: ``"instance"`` (each picture normalised on its own, so a batch of real pictures
            and a batch of generated ones are judged alike), ``"batch"`` (pix2pix; equal to
            instance norm at pix2pix's batch size of 1) or None.
    """
    shapes.check_patch_depth(image_size, n_down)
    if norm not in ("instance", "batch", None):
        raise ValueError(f"norm={norm!r}: choose 'instance', 'batch' or None")
    init = keras.initializers.RandomNormal(0.0, 0.02)  # the DCGAN / pix2pix initialisation

    def normalize(x, filters: int, layer_name: str):
        if norm == "instance":  # one group per channel = instance normalisation
            return layers.GroupNormalization(groups=filters, name=layer_name)(x)
        if norm == "batch":
            return layers.BatchNormalization(name=layer_name)(x)
        return x

    L = keras.Input((image_size, image_size, 1), name="L_norm")  # [B, H, W, 1]
    ab = keras.Input((image_size, image_size, 2), name="ab_norm")  # [B, H, W, 2]
    x = layers.Concatenate(name="L_ab")([L, ab])  # [B, H, W, 3]: the colouring, given the gray
    for i in range(n_down):
        filters = min(base_filters * 2**i, 512)
        first = i == 0  # no normalisation on the first layer (as in pix2pix), and no bias:
        # with one, TensorFlow's graph optimiser logs an error (harmless) when it tries to fuse
        # convolution + bias + LeakyReLU under a GradientTape.
        x = layers.Conv2D(
            filters,
            4,
            strides=2,
            padding="same",
            use_bias=norm is None and not first,
            kernel_initializer=init,
            name=f"down{i + 1}",
        )(x)  # [B, H / 2**(i+1), W / 2**(i+1), filters]
        if not first:
            x = normalize(x, filters, f"down{i + 1}_norm")
        x = layers.LeakyReLU(0.2, name=f"down{i + 1}_lrelu")(x)
    filters = min(base_filters * 2**n_down, 512)
    x = layers.ZeroPadding2D(name="pad1")(x)  # [B, h + 4, w + 4, C] with h = H / 2**n_down - 2
    x = layers.Conv2D(filters, 4, use_bias=norm is None, kernel_initializer=init, name="conv")(
        x
    )  # [B, h + 1, w + 1, filters]
    x = normalize(x, filters, "conv_norm")
    x = layers.LeakyReLU(0.2, name="conv_lrelu")(x)
    x = layers.ZeroPadding2D(name="pad2")(x)  # [B, h + 3, w + 3, filters]
    logits = layers.Conv2D(1, 4, kernel_initializer=init, dtype="float32", name="patch_logits")(
        x
    )  # [B, h, w, 1]: one "real?" logit per patch
    return keras.Model([L, ab], logits, name=name)
