"""Pictures for the book: side-by-side figures, a comparison slider, a before/after wipe.

- ``show_images`` / ``show_grid`` / ``show_maps`` / ``plot_lines``: matplotlib figures (returned,
  never shown by force).
- ``compare_slider``: a slider that switches between several pictures. It works in three places:
  the static book (ipywidgets 8: a ``Stack`` of ``Image`` widgets whose ``selected_index`` is
  ``jslink``-ed to the slider, so the browser switches pictures with no kernel), a live Jupyter
  (the same), and Colab, whose runtime ships ipywidgets 7.7.1 with no ``Stack`` (and a broken
  ``jslink``): there a kernel-side callback swaps one ``Image``'s bytes. ``slider_mechanism``
  picks which, from the installed ipywidgets.
- ``wipe``: a before/after wipe in plain HTML (two stacked pictures, the top one clipped by an
  ``<input type=range>``); it needs no widget library, so it works anywhere HTML does.
- ``upscale``, ``thumbnail``, ``swatch_grid``: small helpers for the above (PNG encoding and
  ``as_uint8`` are in ``pictures``).
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from colorize_lib.data import pictures

# ----------------------------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------------------------


def upscale(img: np.ndarray, min_size: int) -> np.ndarray:
    """Nearest-neighbour upscale by a whole factor until the longer side is >= ``min_size``.

    Small pictures (32x32) stay sharp instead of being blurred by the browser.
    """
    h, w = img.shape[:2]
    k = max(1, int(np.ceil(min_size / max(h, w))))
    return img if k == 1 else np.repeat(np.repeat(img, k, axis=0), k, axis=1)


def thumbnail(img: Any, max_side: int) -> np.ndarray:
    """Shrink a picture (Lanczos) so its longer side is at most ``max_side``: ``uint8``.

    Keeps pages light: a slider embeds every picture it switches between in the page.
    """
    arr = pictures.as_uint8(img)
    h, w = arr.shape[:2]
    if max(h, w) <= max_side:
        return arr
    scale = max_side / max(h, w)
    return pictures.resize(arr, max(1, round(w * scale)), max(1, round(h * scale)), "lanczos")


def hstack(images: Sequence[Any], gap: int = 4, background: int = 255) -> np.ndarray:
    """Pictures side by side in one ``uint8`` RGB array (heights padded to the tallest)."""
    arrs = [pictures.as_uint8(im) for im in images]
    arrs = [np.repeat(a[..., None], 3, -1) if a.ndim == 2 else a[..., :3] for a in arrs]
    h = max(a.shape[0] for a in arrs)
    out = []
    for i, a in enumerate(arrs):
        pad = np.full((h, a.shape[1], 3), background, np.uint8)
        pad[: a.shape[0]] = a
        out.append(pad)
        if i < len(arrs) - 1:
            out.append(np.full((h, gap, 3), background, np.uint8))
    return np.concatenate(out, axis=1)  # [H, sum(W) + gaps, 3]


def swatch_grid(colors: Any, ncols: int = 16, patch: int = 12, gap: int = 2) -> np.ndarray:
    """Colour patches ``[N, 3]`` (``uint8``) laid out in a grid: ``uint8`` ``[H, W, 3]``."""
    colors = pictures.as_uint8(np.asarray(colors).reshape(1, -1, 3))[0]  # [N, 3]
    n = len(colors)
    if n == 0:
        raise ValueError("No colours to draw.")
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    step = patch + gap
    out = np.full((nrows * step + gap, ncols * step + gap, 3), 255, np.uint8)
    for i, c in enumerate(colors):
        r, q = divmod(i, ncols)
        out[gap + r * step : gap + r * step + patch, gap + q * step : gap + q * step + patch] = c
    return out


# ----------------------------------------------------------------------------------------------
# Matplotlib figures
# ----------------------------------------------------------------------------------------------


def _imshow(ax, img: Any, title: str | None = None) -> None:
    arr = pictures.as_uint8(img)
    if arr.ndim == 2:
        ax.imshow(arr, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    else:
        ax.imshow(arr, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=10)


def show_images(
    images: Sequence[Any] | Mapping[str, Any],
    titles: Sequence[str] | None = None,
    ncols: int | None = None,
    size: float = 3.0,
    suptitle: str | None = None,
):
    """Pictures side by side (wrapping after ``ncols``); returns the matplotlib ``Figure``.

    ``images`` is a list (with optional ``titles``) or a dict title -> picture. Pictures may be
    ``uint8``, floats in [0, 1] or 2-D gray (drawn on a fixed 0..1 gray scale, not stretched).
    """
    import matplotlib.pyplot as plt

    if isinstance(images, Mapping):
        titles = list(images) if titles is None else titles
        images = list(images.values())
    images = list(images)
    if not images:
        raise ValueError("show_images got no pictures.")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"{len(images)} pictures but {len(titles)} titles.")
    ncols = min(ncols or len(images), len(images))
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        if i < len(images):
            _imshow(ax, images[i], titles[i] if titles else None)
        else:
            ax.remove()
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def show_grid(
    rows: Sequence[Sequence[Any]],
    row_titles: Sequence[str] | None = None,
    col_titles: Sequence[str] | None = None,
    size: float = 2.5,
    suptitle: str | None = None,
):
    """A grid of pictures, one list per row, with row titles on the left and column titles on top."""
    import matplotlib.pyplot as plt

    rows = [list(r) for r in rows]
    if not rows or not rows[0]:
        raise ValueError("show_grid got no pictures.")
    ncols = max(len(r) for r in rows)
    fig, axes = plt.subplots(
        len(rows), ncols, figsize=(size * ncols, size * len(rows)), squeeze=False
    )
    for i, row in enumerate(rows):
        for j in range(ncols):
            ax = axes[i, j]
            if j >= len(row):
                ax.remove()
                continue
            _imshow(ax, row[j], col_titles[j] if (col_titles and i == 0) else None)
            if row_titles and j == 0:
                ax.set_ylabel(row_titles[i], fontsize=10)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def show_maps(
    maps: Mapping[str, Any],
    cmap: str | Sequence[str] = "magma",
    vmin: float | Sequence[float | None] | None = None,
    vmax: float | Sequence[float | None] | None = None,
    size: float = 3.0,
    suptitle: str | None = None,
):
    """2-D maps (differences, channels) side by side, each with its colour bar; returns the figure.

    ``cmap``, ``vmin``, ``vmax`` are one value for all maps or one per map.
    """
    import matplotlib.pyplot as plt

    n = len(maps)
    if n == 0:
        raise ValueError("show_maps got no maps.")

    def per_map(v):
        return list(v) if isinstance(v, (list, tuple)) else [v] * n

    cmaps, lows, highs = per_map(cmap), per_map(vmin), per_map(vmax)
    fig, axes = plt.subplots(1, n, figsize=(size * n * 1.15, size), squeeze=False)
    for ax, (title, m), cm, lo, hi in zip(axes[0], maps.items(), cmaps, lows, highs, strict=True):
        arr = np.asarray(m.numpy() if hasattr(m, "numpy") else m, dtype=np.float64)
        if arr.ndim != 2:
            raise ValueError(f"Map {title!r} must be 2-D [H, W], got shape {arr.shape}.")
        im = ax.imshow(arr, cmap=cm, vmin=lo, vmax=hi)
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_lines(
    x: Any,
    ys: Mapping[str, Any],
    xlabel: str = "",
    ylabel: str = "",
    title: str | None = None,
    strip: Any = None,
    strip_label: str = "",
    logy: bool = False,
    size: tuple[float, float] = (7.0, 3.6),
):
    """Curves ``label -> y`` over ``x``, with an optional colour strip ``[len(x), 3]`` under them.

    The strip shows what each x is (the hue, the gray level, the mean colour of an image row).
    Returns the figure.
    """
    import matplotlib.pyplot as plt

    x = np.asarray(x)
    if strip is None:
        fig, ax = plt.subplots(figsize=size, layout="constrained")
    else:
        fig, (ax, sax) = plt.subplots(
            2, 1, figsize=size, sharex=True, height_ratios=[8, 1], layout="constrained"
        )
    for label, y in ys.items():
        ax.plot(x, np.asarray(y), label=label, lw=1.6)
    if logy:
        ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if len(ys) > 1:
        ax.legend(fontsize=8, ncols=2 if len(ys) > 3 else 1)
    ax.grid(alpha=0.3)
    if strip is None:
        ax.set_xlabel(xlabel)
    else:
        colors = pictures.as_uint8(np.asarray(strip).reshape(1, -1, 3))  # [1, N, 3]
        step = (x[-1] - x[0]) / max(len(x) - 1, 1)
        sax.imshow(colors, aspect="auto", extent=(x[0] - step / 2, x[-1] + step / 2, 0, 1))
        sax.set_yticks([])
        sax.set_xlabel(xlabel)
        if strip_label:
            sax.set_ylabel(strip_label, rotation=0, ha="right", va="center", fontsize=8)
    return fig


# ----------------------------------------------------------------------------------------------
# The comparison slider
# ----------------------------------------------------------------------------------------------


def slider_mechanism() -> str:
    """How ``compare_slider`` switches pictures with the installed ipywidgets.

    ``"stack"``: ipywidgets 8 (a ``Stack`` + ``jslink``; works with no kernel in the static book).
    ``"callback"``: ipywidgets 7 (Colab's 7.7.1 has no ``Stack``): a kernel-side ``observe``.
    """
    import ipywidgets as widgets

    major = int(str(widgets.__version__).split(".")[0])
    return "stack" if major >= 8 and hasattr(widgets, "Stack") else "callback"


def _frames(images: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """Normalise the input to label -> one picture (a list of dicts becomes strips)."""
    if isinstance(images, Mapping):
        frames = {str(k): pictures.as_uint8(v) for k, v in images.items()}
    else:
        dicts = list(images)
        if not dicts or not all(isinstance(d, Mapping) for d in dicts):
            raise TypeError(
                "compare_slider takes a dict label -> picture, or a list of such dicts."
            )
        keys = list(dicts[0])
        if any(list(d) != keys for d in dicts):
            raise ValueError("Every dict in the list must have the same labels in the same order.")
        frames = {str(k): hstack([d[k] for d in dicts]) for k in keys}
    if len(frames) < 1:
        raise ValueError("compare_slider needs at least one picture.")
    return frames


def compare_slider(
    images: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    description: str = "",
    width: int = 384,
):
    """A slider that switches between pictures; returns the widget (display it, or end a cell).

    ``images``: a dict label -> picture (``{"gray": g, "U-Net": u, "truth": t}``; as many as you
    like, e.g. one per gray level), or a list of such dicts with the same labels: then each
    slider position shows that label's pictures of every dict side by side. The slider's
    readout shows the current label. ``width``: displayed width in pixels (small pictures are
    upscaled without blurring).
    """
    import ipywidgets as widgets

    frames = _frames(images)
    labels = list(frames)
    pngs = [pictures.to_png_bytes(upscale(pictures.as_uint8(im), width)) for im in frames.values()]
    mechanism = slider_mechanism()
    slider = widgets.SelectionSlider(
        options=[(lab, i) for i, lab in enumerate(labels)],
        value=0,
        description=description,
        continuous_update=True,
        readout=True,
        layout=widgets.Layout(width=f"{max(width, 300)}px"),
        style={"description_width": "initial"},
    )
    img_layout = {"width": f"{width}px", "height": "auto"}
    if mechanism == "stack":
        # Everything happens in the browser: no kernel needed once the state is embedded.
        stack = widgets.Stack(
            [widgets.Image(value=p, format="png", layout=dict(img_layout)) for p in pngs],
            selected_index=0,
        )
        link = widgets.jslink((slider, "index"), (stack, "selected_index"))
        box = widgets.VBox([slider, stack])
        box._compare_link = link  # keep a reference (and let tests inspect it)
        return box
    # ipywidgets 7 (Colab): one Image whose bytes a kernel-side callback swaps.
    image = widgets.Image(value=pngs[0], format="png", layout=dict(img_layout))

    def _show(change: dict) -> None:
        i = change["new"]
        if i is not None:
            image.value = pngs[i]

    slider.observe(_show, names="index")
    return widgets.VBox([slider, image])


# ----------------------------------------------------------------------------------------------
# The before/after wipe (plain HTML)
# ----------------------------------------------------------------------------------------------


def wipe(before: Any, after: Any, labels: tuple[str, str] = ("gray", "colour"), width: int = 384):
    """A before/after wipe as ``IPython.display.HTML``: drag the bar to uncover ``after``.

    Two stacked ``<img>`` (PNG data URIs, so no files), the top one (``before``) clipped by an
    ``<input type=range>`` through a one-line ``oninput``. It needs no widget JavaScript and no
    network, so it works in the static book, in Jupyter and on Colab. Ids are unique per call.
    """
    from IPython.display import HTML

    a, b = pictures.as_uint8(before), pictures.as_uint8(after)
    if a.shape[:2] != b.shape[:2]:
        raise ValueError(f"wipe needs pictures of the same size, got {a.shape} and {b.shape}.")
    uid = "wipe-" + uuid.uuid4().hex[:12]
    left, right = (html.escape(str(s)) for s in labels)
    src_before, src_after = (pictures.to_data_uri(upscale(x, width)) for x in (a, b))
    img_style = f"display:block;width:{width}px;height:auto;image-rendering:auto;"
    markup = f"""
<div id="{uid}" class="colorize-wipe" style="width:{width}px;font:13px sans-serif;">
  <div style="position:relative;width:{width}px;line-height:0;">
    <img id="{uid}-after" alt="{right}" src="{src_after}" style="{img_style}">
    <img id="{uid}-before" alt="{left}" src="{src_before}"
         style="{img_style}position:absolute;top:0;left:0;clip-path:inset(0 50% 0 0);">
  </div>
  <input id="{uid}-range" type="range" min="0" max="100" value="50" aria-label="wipe"
         style="width:{width}px;margin:4px 0;"
         oninput="document.getElementById('{uid}-before').style.clipPath='inset(0 '+(100-this.value)+'% 0 0)';">
  <div style="display:flex;justify-content:space-between;"><span>&larr; {left}</span>
    <span>{right} &rarr;</span></div>
</div>"""
    return HTML(markup)
