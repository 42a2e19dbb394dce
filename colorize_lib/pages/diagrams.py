"""Drawings of the book's two networks, read from the Keras models themselves.

- ``draw_unet``: chapter 3's U-Net as the classic U: the encoder going down, the ``/32``
  bottleneck, the decoder coming back up, the skip connections across, the output head.
- ``draw_patchgan``: chapter 4's conditional PatchGAN: its stack of blocks, and on a picture
  the grid of its verdicts and what one verdict sees (its receptive field).

Every shape, channel count, kernel and connection is read from the model (its layers' output
shapes, the encoder's outputs, which tensor each concatenation takes), never typed in, so a
drawing cannot drift from the code. Figures are 7 inches wide (the book's 688-pixel column at
100 dpi), text 9 points or more; no global matplotlib setting is changed.
"""

from __future__ import annotations

import numpy as np

from colorize_lib import color, shapes

WIDTH = 7.0  # inches: the book's 688-pixel column at 100 dpi
FONT = 9  # points: the smallest text the drawings use
COLOURS = {"input": "#e0e0e0", "encoder": "#cfe2f3", "bottom": "#d9d2e9", "decoder": "#fce5cd"}
SKIP = "#1f77b4"  # the skip connections, and the PatchGAN's receptive field
WORDS = {"BatchNormalization": "batch norm", "GroupNormalization": "instance norm"}


def _shape_text(shape, level: int = 1) -> str:
    """``(None, 64, 64, 16)`` -> ``"64x64x16"``; an any-size model's ``(None, None, None, 16)``
    -> ``"H/4 x W/4 x 16"`` (``level`` 4)."""
    h, w, c = shape[1:]
    if h is None or w is None:
        return f"H x W x {c}" if level == 1 else f"H/{level} x W/{level} x {c}"
    return f"{h}x{w}x{c}"


def _words(layer) -> str:
    """What a layer does, in the book's words: ``"3x3 conv"``, ``"batch norm"``, ``"ReLU"``."""
    if hasattr(layer, "kernel_size"):
        return f"{layer.kernel_size[0]}x{layer.kernel_size[1]} conv"
    if hasattr(layer, "groups") and layer.groups not in (-1, layer.output.shape[-1]):
        return "group norm"  # instance norm has one group per channel
    return WORDS.get(type(layer).__name__, type(layer).__name__)


def _made_by(tensor):
    """``(layer, output index)`` that made a symbolic tensor of a functional model (Keras
    records it on every tensor: how ``model.summary`` finds a layer's inputs)."""
    history = tensor._keras_history
    return history.operation, history.tensor_index


def _new_axes(fig, rect, width, height):
    """Axes without frame whose data units are inches (``width`` x ``height``)."""
    ax = fig.add_axes(rect)
    ax.set(xlim=(0, width), ylim=(0, height))
    ax.axis("off")
    return ax


def _box(ax, x, y, text, colour, gid, w=1.3, h=0.44):
    """A rounded box centred on ``(x, y)`` (inches) with centred text; ``gid`` names the text."""
    from matplotlib.patches import FancyBboxPatch

    corner = (x - w / 2 + 0.05, y - h / 2 + 0.05)
    style = dict(boxstyle="round,pad=0.05", facecolor=colour, edgecolor="#555555", lw=0.8)
    ax.add_patch(FancyBboxPatch(corner, w - 0.1, h - 0.1, **style))
    ax.text(x, y, text, ha="center", va="center", fontsize=FONT, gid=gid, linespacing=1.3)


def _arrow(ax, start, end, gid=None, colour="#333333"):
    from matplotlib.patches import FancyArrowPatch

    style = dict(arrowstyle="-|>", mutation_scale=10, lw=1.1, color=colour)
    ax.add_patch(FancyArrowPatch(start, end, gid=gid, **style))


# ----------------------------------------------------------------------------------------------
# The U-Net (chapter 3)
# ----------------------------------------------------------------------------------------------


def _decoder_blocks(model) -> list[dict]:
    """The decoder blocks in order (``dec16`` ... ``dec1``), found by their concatenations:
    each block's name, the encoder output it concatenates (``None``: L itself), its layers,
    the shape after the concatenation and the block's output shape (its last layer's)."""
    encoder = model.get_layer("encoder")
    blocks = []
    for layer in model.layers:
        if layer.name.endswith("_skip"):
            name = layer.name.removesuffix("_skip")
            source, index = _made_by(layer.input[1])  # input [0]: the upsampled x, [1]: the skip
            parts = [other for other in model.layers if other.name.startswith(f"{name}_")]
            blocks.append(dict(name=name, tap=index if source is encoder else None, parts=parts))
            blocks[-1].update(concat=layer.output.shape, output=parts[-1].output.shape)
    return blocks


def _recipe(block) -> str:
    """One decoder block in words, from its layers: ``"upsample ×2, concatenate the skip,
    2 × (3x3 conv, batch norm, ReLU)"``."""
    up, _, *rest = block["parts"]  # UpSampling2D, Concatenate, then conv steps
    steps = [_words(layer) for layer in rest]  # e.g. [conv, norm, ReLU, conv, norm, ReLU]
    n = sum(word.endswith(" conv") for word in steps)
    step = steps[: len(steps) // n]
    body = f"{n} × ({', '.join(step)})" if step * n == steps else ", ".join(steps)
    return f"each decoder block: upsample ×{up.size[0]}, concatenate the skip, {body}"


def draw_unet(model):
    """The U-Net of ``models.build_unet`` as a U; returns the matplotlib ``Figure``.

    Left arm, going down: the input L and the encoder's four taps (``/2 ... /16``); at the
    bottom the ``/32`` bottleneck; right arm, going up: the decoder blocks, each doubling the
    size. Horizontal arrows are the skip connections (encoder level -> the block that
    concatenates it; the last one is L itself), and the head on top (1x1 conv -> tanh) gives
    ``ab_norm``. Every label is read from ``model``.
    """
    import matplotlib.pyplot as plt

    taps = [t.shape for t in model.get_layer("encoder").outputs]  # [B, H/2, W/2, C] ... /32
    blocks = _decoder_blocks(model)
    L_shape = model.get_layer("L_norm").output.shape  # [B, H, W, 1]
    rgb_shape = model.get_layer("repeat_L").output.shape  # [B, H, W, 3]
    logits, head = model.get_layer("ab_logits"), model.get_layer("ab_norm")

    dy, slant = 0.78, 0.26  # inches between rows; the arms step inwards as they go down
    height = dy * (len(taps) + 2) + 0.55  # a row for the head, full size, one per encoder output
    fig = plt.figure(figsize=(WIDTH, height))
    ax = _new_axes(fig, (0, 0, 1, 1), WIDTH, height)

    def row_y(k):  # row k holds the pictures 2**k times smaller than the input
        return height - 1.25 - dy * k

    def left_x(k):
        return 0.8 + slant * k

    def right_x(k):
        return WIDTH - 0.8 - slant * k

    def level(shape, k):  # how many times smaller than the input: read from the shapes
        return L_shape[1] // shape[1] if L_shape[1] and shape[1] else 2**k

    ax.text(0.1, height - 0.2, model.name, fontsize=FONT + 2, va="top", weight="bold")
    # the left arm: L, then the encoder's outputs (the last one is the bottleneck)
    _box(ax, left_x(0), row_y(0), f"input L\n{_shape_text(L_shape)}", COLOURS["input"], "L")
    repeat = f"repeat L ×{rgb_shape[-1] // L_shape[-1]}, rescale: {_shape_text(rgb_shape)}"
    ax.text(left_x(0.5) + 0.12, row_y(0.5), repeat, fontsize=FONT, va="center", color="#1f4e79")
    for k, shape in enumerate(taps, start=1):
        text = f"/{level(shape, k)}\n{_shape_text(shape, level(shape, k))}"
        if k < len(taps):
            x, label, colour = left_x(k), f"encoder {text}", COLOURS["encoder"]
        else:
            x, label, colour = WIDTH / 2, f"bottleneck {text}", COLOURS["bottom"]
        _box(ax, x, row_y(k), label, colour, f"encoder{k}")
        _arrow(ax, (left_x(k - 1), row_y(k - 1) - 0.22), (x, row_y(k) + 0.22))
    # the right arm: each decoder block on the row of the skip it concatenates
    below = (WIDTH / 2, row_y(len(taps)) + 0.22)  # the bottleneck's top
    for block in blocks:
        name = block["name"]
        k = 0 if block["tap"] is None else block["tap"] + 1  # L, or encoder output k
        x, y, lvl = right_x(k), row_y(k), level(block["output"], k)
        _box(ax, x, y, f"{name}\n{_shape_text(block['output'], lvl)}", COLOURS["decoder"], name)
        _arrow(ax, below, (x, y - 0.22))
        below = (x, y + 0.22)
        start, end = left_x(k) + 0.65, x - 0.65
        _arrow(ax, (start, y), (end, y), gid=f"skip:{name}", colour=SKIP)
        concat = f"concat: {_shape_text(block['concat'], lvl)}"
        ax.text((start + end) / 2, y + 0.05, concat, ha="center", va="bottom", fontsize=FONT,
                color=SKIP, gid=f"concat:{name}")  # fmt: skip
    # the head on top of the last block
    k, y_head = logits.kernel_size[0], row_y(-1)
    conv = f"{k}x{k} conv → {head.activation.__name__}"
    head_text = f"{conv}\n{head.name} {_shape_text(head.output.shape)}"
    _box(ax, right_x(0) - 0.2, y_head, head_text, COLOURS["input"], "head", w=1.7)
    _arrow(ax, below, (below[0], y_head - 0.22))
    ax.text(WIDTH / 2, 0.12, _recipe(blocks[0]), ha="center", fontsize=FONT, color="#555555")
    return fig


# ----------------------------------------------------------------------------------------------
# The PatchGAN (chapter 4)
# ----------------------------------------------------------------------------------------------


def _patch_box(model, i: int, j: int) -> tuple[int, int, int]:
    """``(top, left, width)`` in input pixels of what logit ``(i, j)`` of the PatchGAN sees.

    Walk back from one logit, ``s = 2**n_down`` (one per stride-2 conv): ``patch_logits``
    (4x4, no padding) sees rows ``t .. t+3`` of ``pad2``'s output, so ``t-1 .. t+2`` of
    ``conv``'s (pad2 adds 1 row on top); ``conv`` (4x4 after ``pad1``'s 1 row) sees ``t-2 ..
    t+4`` of the last ``down`` block. A 4x4 stride-2 "same" conv on an even size pads 1 row
    on top, so its output rows ``a .. b`` see input rows ``2a-1 .. 2b+2``; ``n_down`` of them
    give ``s*(t-2) - (s-1) .. s*(t+4) + 2*(s-1)``: start ``s*(t-3) + 1``, width ``9*s - 2``
    (``shapes.receptive_field``). Rows outside the picture are zero padding. This is the
    convolutions' field: instance norm adds whole-picture statistics (brightness, contrast).
    """
    n_down = _n_down(model)
    s = 2**n_down
    return s * (i - 3) + 1, s * (j - 3) + 1, shapes.receptive_field(n_down)


def _n_down(model) -> int:
    """How many stride-2 convolutions the PatchGAN has: its grid steps ``2**n_down`` pixels."""
    return sum(getattr(layer, "strides", (1,))[0] == 2 for layer in model.layers)


def _patchgan_rows(model) -> list[list[str]]:
    """``[gid, label, shape text]`` top to bottom: the stacked input, the convolutions (with
    the normalisation and activation that follow them) and the zero borders."""
    rows = []
    for layer in model.layers:
        kind, shape = type(layer).__name__, _shape_text(layer.output.shape)
        if kind == "Concatenate":
            rows.append([layer.name, "L and ab stacked", shape])
        elif kind == "ZeroPadding2D":
            rows.append([layer.name, f"{layer.name}: zero border", shape])
        elif kind == "Conv2D":
            stride = f", stride {layer.strides[0]}" if layer.strides[0] > 1 else ""
            rows.append([layer.name, f"{layer.name}: {_words(layer)}{stride}", shape])
        elif kind != "InputLayer":  # normalisation, activation: part of the conv's block
            rows[-1][1] += (", " if "\n" in rows[-1][1] else "\n+ ") + _words(layer)
    return rows


def draw_patchgan(model, L=None, ab=None, patch_index=None):
    """The PatchGAN of ``models.build_discriminator``; returns the matplotlib ``Figure``.

    Left: its blocks top to bottom with their output shapes (read from ``model``). Right:
    given a picture (``L`` = ``L_norm [S, S, 1]``, ``ab`` = ``ab_norm [S, S, 2]``, NumPy), the
    picture in colour under the grid of the model's verdicts (sigmoid of each logit, one tile
    per patch, centred on what that logit sees), with one patch's receptive field outlined
    (``patch_index`` ``(i, j)``, the middle one by default); without a picture, the grid alone.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    rows = _patchgan_rows(model)
    L_shape, ab_shape = (t.shape for t in model.inputs)  # [B, S, S, 1], [B, S, S, 2]
    if L is not None:
        L, ab = np.asarray(L, np.float32), np.asarray(ab, np.float32)
        L, ab = L.reshape(*L.shape[-3:-1], 1), ab.reshape(*L.shape[-3:-1], 2)  # [S, S, 1|2]
    size = L_shape[1] if L is None else L.shape[0]
    s = 2 ** _n_down(model)  # pixels between two patches
    if size is None or size % s:
        raise ValueError(
            f"draw_patchgan needs a picture (L and ab) whose size is a multiple of {s} "
            f"(for a model of any size, always a picture); got {size}."
        )
    if L is not None:
        logits = np.asarray(model([L[None], ab[None]], training=False), np.float32)[0, ..., 0]
    else:
        logits = np.zeros(model.output.shape[1:3], np.float32)  # only its size is used
    h, w = logits.shape  # [h, w]: one logit per patch
    i, j = patch_index if patch_index is not None else (h // 2, w // 2)

    dy = 0.6
    height = max(dy * (len(rows) + 1) + 0.6, 4.7)
    fig = plt.figure(figsize=(WIDTH, height))
    ax = _new_axes(fig, (0, 0, 0.56, 1), 0.56 * WIDTH, height)
    ax.text(0.1, height - 0.15, model.name, fontsize=FONT + 2, va="top", weight="bold")
    y = height - 0.75
    _box(ax, 1.3, y, "L_norm (gray)\n+ ab_norm (colours)", COLOURS["input"], "inputs", w=2.3)
    inputs = f"{_shape_text(L_shape)}\n+ {_shape_text(ab_shape)}"
    ax.text(2.55, y, inputs, fontsize=FONT, va="center", linespacing=1.3, gid="shape:inputs")
    for gid, label, shape in rows:
        y -= dy
        _arrow(ax, (1.3, y + dy - 0.22), (1.3, y + 0.22))
        kind = "input" if gid in ("L_ab", "patch_logits") else "encoder"
        _box(ax, 1.3, y, label, COLOURS[kind], gid, w=2.3)
        ax.text(2.55, y, shape, fontsize=FONT, va="center", gid=f"shape:{gid}")

    side, panel_top = 2.6, height - 0.55  # the picture's square, in inches
    ax = fig.add_axes((4.25 / WIDTH, (panel_top - side) / height, side / WIDTH, side / height))
    if L is not None:
        ax.imshow(color.lab_to_rgb_np(color.merge_lab(L, ab)))  # [S, S, 3] in [0, 1]
        p_real = 1.0 / (1.0 + np.exp(-np.clip(logits, -60, 60)))  # [h, w]: sigmoid of each logit
        # tile (i, j) spans pixels s*(1+i) .. s*(2+i): centred on what logit (i, j) sees
        extent = (s - 0.5, size - s - 0.5, size - s - 0.5, s - 0.5)
        image = ax.imshow(p_real, cmap="RdYlGn", vmin=0, vmax=1, alpha=0.5, extent=extent)
        image.set_gid("patch_verdicts")
        cax = fig.add_axes(
            (4.4 / WIDTH, (panel_top - side - 0.95) / height, 2.3 / WIDTH, 0.12 / height)
        )
        fig.colorbar(image, cax=cax, orientation="horizontal")
        cax.set_xlabel("P(real) of each patch", fontsize=FONT)
        cax.tick_params(labelsize=FONT)
        verdict = f"\nits verdict: P(real) = {p_real[i, j]:.2f}"
    else:
        ax.imshow(np.full((size, size), 0.92), cmap="gray", vmin=0, vmax=1)
        edges = s + s * np.arange(h + 1) - 0.5  # tile borders: s .. size - s
        ax.vlines(edges, edges[0], edges[-1], color="#888888", lw=0.5, gid="patch_grid")
        ax.hlines(edges, edges[0], edges[-1], color="#888888", lw=0.5, gid="patch_grid")
        verdict = ""
    top, left, width = _patch_box(model, i, j)
    field = Rectangle((left - 0.5, top - 0.5), width, width, fill=False, ec=SKIP, lw=2)
    field.set_gid("receptive_field")
    ax.add_patch(field)
    tile = Rectangle((s * (1 + j) - 0.5, s * (1 + i) - 0.5), s, s, fill=False, ec="black", lw=1.5)
    ax.add_patch(tile)
    ax.set(xlim=(-0.5, size - 0.5), ylim=(size - 0.5, -0.5), xticks=[], yticks=[])
    ax.set_title(f"{h}x{w} patches of a {size}x{size} picture", fontsize=FONT + 1)
    sees = f"patch ({i}, {j}) (black square) sees\nthe {width}x{width} pixels in blue{verdict}"
    ax.set_xlabel(sees, fontsize=FONT)
    return fig
