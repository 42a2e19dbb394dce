"""What fits what, with no Keras: the encoders a U-Net can use, the picture sizes it takes, and
the PatchGAN's patches. The command line checks its options with these before TensorFlow loads;
``models`` builds the networks from them.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any


@dataclasses.dataclass(frozen=True)
class EncoderSpec:
    """How to use one Keras application as a U-Net encoder."""

    constructor: str  # name in keras.applications
    skips: tuple[str, str, str, str]  # layer outputs at /2, /4, /8, /16 of the input size
    bottleneck: str  # layer output at /32
    scale: float  # L repeated to 3 channels, then x * scale + offset (the encoder's preprocessing)
    offset: float | tuple[float, float, float]
    kwargs: tuple[tuple[str, Any], ...] = ()  # extra constructor arguments (e.g. alpha)
    decoder_filters: tuple[int, int, int, int, int] = (256, 128, 64, 32, 16)  # /16 ... /1


_MOBILENET_SKIPS = (
    "block_1_expand_relu",  # [H/2,  W/2,  96*alpha]
    "block_3_expand_relu",  # [H/4,  W/4, 144*alpha]
    "block_6_expand_relu",  # [H/8,  W/8, 192*alpha]
    "block_13_expand_relu",  # [H/16, W/16, 576*alpha]
)

# Name -> how to build it. The skip layers are the last layer at each resolution.
ENCODERS: dict[str, EncoderSpec] = {
    # MobileNetV2 expects x in [-1, 1]: L_norm already is.
    "MobileNetV2": EncoderSpec("MobileNetV2", _MOBILENET_SKIPS, "block_16_project", 1.0, 0.0),
    "MobileNetV2-0.5": EncoderSpec(
        "MobileNetV2",
        _MOBILENET_SKIPS,
        "block_16_project",
        1.0,
        0.0,
        (("alpha", 0.5),),
        (128, 64, 48, 32, 16),
    ),
    "MobileNetV2-0.35": EncoderSpec(
        "MobileNetV2",
        _MOBILENET_SKIPS,
        "block_16_project",
        1.0,
        0.0,
        (("alpha", 0.35),),
        (96, 64, 32, 24, 16),
    ),
    # ResNet50 ("caffe" preprocessing): 0..255, BGR, minus the ImageNet channel means.
    "ResNet50": EncoderSpec(
        "ResNet50",
        ("conv1_relu", "conv2_block3_out", "conv3_block4_out", "conv4_block6_out"),
        "conv5_block3_out",
        127.5,
        (127.5 - 103.939, 127.5 - 116.779, 127.5 - 123.68),
    ),
    # EfficientNetB0 rescales and normalises inside the model: it wants 0..255.
    "EfficientNetB0": EncoderSpec(
        "EfficientNetB0",
        (
            "block2a_expand_activation",
            "block3a_expand_activation",
            "block4a_expand_activation",
            "block6a_expand_activation",
        ),
        "top_activation",
        127.5,
        127.5,
    ),
}


def encoder_spec(encoder: str) -> EncoderSpec:
    """The ``ENCODERS`` entry of ``encoder``, or a clear error naming the choices."""
    if encoder not in ENCODERS:
        raise ValueError(f"Unknown encoder {encoder!r}. Choose one of: {', '.join(ENCODERS)}.")
    return ENCODERS[encoder]


LARGEST_SIZE = 1024  # working sizes above this need more memory than a laptop or Colab has


def check_size(image_size: int | None) -> int | None:
    """``image_size`` as an int, or a clear error unless it is a multiple of 32 between 32 and
    ``LARGEST_SIZE`` (or None: any size)."""
    if image_size is None:
        return None
    if int(image_size) != image_size or not 32 <= image_size <= LARGEST_SIZE or image_size % 32:
        raise ValueError(
            f"size {image_size!r}: the encoder halves the picture 5 times, so the size must be a "
            f"multiple of 32 from 32 to {LARGEST_SIZE} (32, 64, 96, 128, ...)."
        )
    return int(image_size)


def receptive_field(n_down: int = 3) -> int:
    """Width in pixels of the input patch that one output logit of ``build_discriminator`` sees.

    Walk back from one output pixel: the two stride-1 4x4 convolutions see 4, then 7 pixels;
    each stride-2 4x4 convolution maps r pixels to ``2 (r - 1) + 4``. ``n_down=3`` gives 70 (the
    "70x70 PatchGAN" of pix2pix), 2 gives 34, 1 gives 16.
    """
    r = 1
    for _ in range(2):  # the two stride-1 convolutions at the end
        r += 3
    for _ in range(n_down):
        r = 2 * (r - 1) + 4
    return r


def patch_grid(image_size: int, n_down: int = 3) -> int:
    """Side of the grid of logits for a square input: ``image_size / 2**n_down - 2``."""
    return image_size // 2**n_down - 2


def check_patch_depth(image_size: int | None, n_down: int) -> None:
    """Raise ``ValueError`` (saying what to change) when a PatchGAN of ``n_down`` steps cannot
    judge ``image_size``-pixel pictures (None: any size)."""
    if n_down < 1:
        raise ValueError(f"n_down={n_down}: the discriminator needs at least one step down")
    if image_size is not None and patch_grid(image_size, n_down) < 1:
        raise ValueError(
            f"image_size={image_size} is too small for n_down={n_down}: the input must be at "
            f"least {3 * 2**n_down} pixels wide. Use a smaller n_down or larger pictures."
        )


def patch_downsamples(image_size: int) -> int:
    """The PatchGAN depth whose patch is about a quarter of the picture's width: pix2pix's
    70-pixel patches on 256-pixel pictures (``n_down=3``), 34 on 128 (2), 16 on 64 (1), 142 on
    512 and larger (4). A patch as wide as the picture judges the whole scene, which L1 already
    gets right; a local one judges what L1 hedges on, the colour and texture of a patch."""
    return min(max(round(math.log2(max(image_size, 64) / 64)) + 1, 1), 4)
