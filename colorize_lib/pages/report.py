"""Chapter 5's tools: what a colorization gets wrong, and the figures of the evaluation.

(Colorizing itself is ``infer.colorize_batch``; cropping is ``pictures.center_crop``.)

- ``naive_upscale``: the model's low-resolution colour picture simply enlarged (what one gets
  without ``infer``'s full-resolution recombination: blurred edges).
- ``rotate_hue``, ``failure_pattern``: a vivid-but-wrong colorization, and one computed
  sentence on what went wrong in a picture.
- ``picture_grid``, ``plot_ab_curves``, ``plot_metric_bars``: the figures of chapter 5.
- ``benchmark_html``: the book's benchmark page from ``benchmarks/results/*.json``.

Plots return the ``matplotlib`` figure and change no global settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from colorize_lib import color, infer

# ----------------------------------------------------------------------------------------------
from colorize_lib.data import pictures, sources

# What goes wrong
# ----------------------------------------------------------------------------------------------


def naive_upscale(model, rgb: Any, batch_size: int = 32) -> np.ndarray:
    """The model's colour picture made at its working size, then enlarged as a whole (bicubic).

    ``rgb``: pictures ``[N, H, W, 3]``. The contrast to ``infer.colorize_batch``: here the
    lightness is the shrunk one, so the enlarged picture is blurred; there the full-resolution
    ``L`` keeps every edge.
    """
    rgb = np.asarray(rgb)
    H, W, s = rgb.shape[1], rgb.shape[2], infer.working_size(model)
    small = np.stack([pictures.resize(img, s, s, "lanczos") for img in rgb])  # [N, s, s, 3]
    small = infer.colorize_batch(model, small, batch_size=batch_size)  # [N, s, s, 3]
    return np.stack([pictures.resize(img, W, H, "bicubic") for img in small])  # [N, H, W, 3]


def rotate_hue(rgb: Any, degrees: float) -> np.ndarray:
    """The same picture with every colour turned by ``degrees`` around the ab plane (uint8).

    Lightness and chroma stay; only the hue changes (sky blue -> green, leaves -> purple): a
    colorization that is as vivid as the truth and wrong everywhere.
    """
    lab = color.rgb_to_lab_np(color.as_float_rgb(np.asarray(rgb)).astype(np.float32))
    t = np.deg2rad(degrees)
    a = lab[..., 1] * np.cos(t) - lab[..., 2] * np.sin(t)
    b = lab[..., 1] * np.sin(t) + lab[..., 2] * np.cos(t)
    return color.lab_to_rgb_keep_L(np.stack([lab[..., 0], a, b], axis=-1))


PATTERNS = ("washed out", "wrong hue", "wrong places")  # what ``failure_pattern`` can say


def pattern_counts(lines: Sequence[str]) -> str:
    """How many of ``failure_pattern``'s lines show each pattern: ``"4 washed out, 1 wrong hue"``."""
    counts = {name: sum(name in line for line in lines) for name in PATTERNS}
    return ", ".join(f"{n} {name}" for name, n in counts.items() if n) or "none"


def failure_pattern(pred: Any, truth: Any) -> str:
    """One sentence on what went wrong in one colorized picture ``[H, W, 3]``.

    The rules: a prediction far less colourful than the truth is *washed out*; a prediction
    whose mean colour points another way in the ab plane has the *wrong hue*; otherwise the
    colours are about right overall but *in the wrong places*.
    """
    from colorize_lib import metrics

    cf_p, cf_t = metrics.colorfulness(pred), metrics.colorfulness(truth)
    ab_p = metrics.mean_ab(pred)
    ab_t = metrics.mean_ab(truth)
    err = metrics.ab_error(pred, truth)
    angle = np.degrees(np.arctan2(ab_p[1], ab_p[0]) - np.arctan2(ab_t[1], ab_t[0]))
    angle = abs((angle + 180) % 360 - 180)
    chroma_t = float(np.hypot(*ab_t))
    head = f"ab error {err:.1f}, colourfulness {cf_p:.0f} vs {cf_t:.0f} in the truth: "
    if cf_p < 0.5 * cf_t:
        return head + "washed out. The model hedged with a dull average where the truth is vivid."
    if chroma_t > 5 and angle > 45:
        return head + (
            f"wrong hue. The mean colour points {angle:.0f} degrees away from the truth's "
            "(the gray allowed both; the model chose another one than the photo had)."
        )
    return head + (
        "colours about right overall but in the wrong places (bleeding across edges, or a "
        "region the model read as something else)."
    )


# ----------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------


def picture_grid(
    rows: Sequence[Sequence[Any]],
    col_titles: Sequence[str] | None = None,
    row_titles: Sequence[str] | None = None,
    cell_titles: Sequence[Sequence[str]] | None = None,
    size: float = 2.2,
):
    """A grid of pictures ``rows[r][c]`` (RGB) with optional column, row and per-cell titles."""
    import matplotlib.pyplot as plt

    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    lines = 1 + max((t.count("\n") + 1 for r in cell_titles or [] for t in r if t), default=0)
    fig, axes = plt.subplots(
        n_rows, n_cols, figsize=(size * n_cols, (size + 0.18 * lines) * n_rows), squeeze=False
    )
    for r, row in enumerate(rows):
        for c in range(n_cols):
            ax = axes[r][c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c >= len(row) or row[c] is None:
                ax.axis("off")
                continue
            ax.imshow(np.asarray(row[c]), interpolation="lanczos")
            title = ""
            if r == 0 and col_titles is not None:
                title = col_titles[c]
            if cell_titles is not None and cell_titles[r][c]:
                title = f"{title}\n{cell_titles[r][c]}" if title else cell_titles[r][c]
            if title:
                ax.set_title(title, fontsize=9)
            if c == 0 and row_titles is not None:
                ax.set_ylabel(row_titles[r], fontsize=9)
    fig.tight_layout()
    return fig


def plot_ab_curves(curves: dict[str, tuple[np.ndarray, np.ndarray]], ax=None):
    """Share of pixels with ab error <= t against t, one line per method (AUC in the legend)."""
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(6.5, 4))
    else:
        fig = ax.figure
    for name, (t, share) in curves.items():
        auc = float(np.sum((share[1:] + share[:-1]) / 2 * np.diff(t)) / (t[-1] - t[0]))
        ax.plot(t, share, label=f"{name} (AUC {auc:.3f})")
    ax.set_xlabel("threshold t on the ab error (Lab units)")
    ax.set_ylabel("share of pixels with error <= t")
    ax.set_ylim(0, 1.01)
    ax.set_xlim(t[0], t[-1])
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def plot_metric_bars(rows: Sequence[dict[str, Any]], keys: Sequence[str] | None = None):
    """One small bar chart per metric of ``metrics.evaluate``'s rows (methods side by side)."""
    import matplotlib.pyplot as plt

    from colorize_lib import metrics

    keys = list(keys or metrics.COLUMNS)
    names = [str(r["name"]) for r in rows]
    ncols = min(3, len(keys))  # three charts a row: readable in the book's column
    nrows = -(-len(keys) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(7.0, 2.6 * nrows), squeeze=False)
    for ax in axes.flat[len(keys) :]:
        ax.set_visible(False)
    for ax, key in zip(axes.flat, keys, strict=False):
        values = [float(r[key]) for r in rows]
        shown = [min(v, 60.0) if key == "psnr" else v for v in values]  # identical -> capped
        ax.bar(range(len(names)), shown, color=[f"C{i}" for i in range(len(names))])
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=9)
        ax.set_title(metrics.COLUMNS[key][0], fontsize=10)
        ax.axhline(0, color="k", lw=0.5)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------------------------
# The book's benchmark page: benchmarks/results/*.json as Markdown
# ----------------------------------------------------------------------------------------------

BENCHMARKS = {  # results/<name>.json -> title, in the order the page shows them
    "book": "The whole book from an empty model cache, chapter by chapter (the chapters' times)",
    "color": "Colour conversion: TensorFlow Lab against scikit-image",
    "data": "Input pipeline",
    "unet": "U-Net training and full-resolution inference",
    "infer": "Colorizing speed: batched, one by one, one large photo",
    "gan": "GAN training",
    "seeds": "Chapters 3 and 4 with other seeds: the GAN's effect build after build",
    "browser": "The book's models in a browser: a 2048x1536 photo, page weight",
    "quality": "Quality on held-out photos",
    "reliability": "The command line under bad input and kills",
}


def find_results_dir(start: str | Path | None = None) -> Path | None:
    """``benchmarks/results`` of the repository holding ``start`` (default: the working folder)."""
    here = Path(start or Path.cwd()).resolve()
    for folder in [here, *here.parents]:
        candidate = folder / "benchmarks" / "results"
        if candidate.is_dir():
            return candidate
    return None


def load_benchmark_results(results_dir: str | Path | None) -> dict[str, dict]:
    """Every ``*.json`` record in ``results_dir`` by name; unreadable files give an ``error``."""
    import json

    records: dict[str, dict] = {}
    if results_dir is None or not Path(results_dir).is_dir():
        return records
    for path in sorted(Path(results_dir).glob("*.json")):
        try:
            records[path.stem] = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            records[path.stem] = {"error": f"could not read {path.name}: {err}"}
    return records


def benchmark_html(records: dict[str, dict]) -> str:
    """The benchmark page's body as HTML: one section per benchmark, with machine and command.

    Benchmarks with no results file get a note that says which command produces it. (HTML, not
    Markdown: the book renders notebook outputs as CommonMark, which has no tables.)
    """
    from html import escape

    keys = list(BENCHMARKS)

    def key_of(name: str) -> str | None:  # "bench_gan" and "gan_quality" belong to "gan"
        return next((k for k in keys if k == name or k in name.split("_")), None)

    found = sorted(records, key=lambda n: (keys.index(key_of(n)) if key_of(n) else len(keys), n))
    missing = [k for k in keys if not any(key_of(n) == k for n in records)]
    names = sorted(
        [*found, *missing], key=lambda n: keys.index(key_of(n)) if key_of(n) else len(keys)
    )
    parts = []
    for name in names:
        key = key_of(name)
        title = BENCHMARKS[key] if key else name
        if key and name != key:
            title += f" ({name})"
        parts.append(f"<h3>{escape(title)}</h3>")
        record = records.get(name)
        if record is None:
            parts.append(
                f"<p><em>No results yet:</em> run <code>python benchmarks/bench_{name}.py</code> "
                f"(see <code>benchmarks/README.md</code>); it writes "
                f"<code>benchmarks/results/{name}.json</code>, which this page shows when the "
                "book is built.</p>"
            )
            continue
        if "error" in record:
            parts.append(f"<p><em>{escape(record['error'])}</em></p>")
            continue
        m = record.get("machine", {})
        machine = ", ".join(
            str(x)
            for x in [
                m.get("device"),
                m.get("processor"),
                f"{m['cores']} cores" if m.get("cores") else None,
                f"{m['memory_gib']} GiB" if m.get("memory_gib") else None,
                f"TensorFlow {m['tensorflow']}" if m.get("tensorflow") else None,
                f"Python {m['python']}" if m.get("python") else None,
            ]
            if x
        )
        parts.append(
            f"<p>Measured {escape(str(record.get('measured', '?')))} on: "
            f"<strong>{escape(machine or 'an unknown machine')}</strong>.<br>"
            f"Command: <code>{escape(sources.public_path(str(record.get('command', '?'))))}</code></p>"
        )
        parts.append(_figures_html(record.get("figures", {})))
    return "\n".join(parts)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    from html import escape

    head = "".join(f"<th>{escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_cell(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f'<table class="table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _figures_html(figures: dict) -> str:
    """Scalars as a two-column table; dicts and lists of dicts (a results table) as their own."""
    from html import escape

    scalars = [
        [k.replace("_", " "), v] for k, v in figures.items() if not isinstance(v, (list, dict))
    ]
    parts = [_table(["figure", "value"], scalars)] if scalars else []
    for key, value in figures.items():
        label = f"<p><strong>{escape(key.replace('_', ' '))}</strong></p>"
        if isinstance(value, dict) and value:
            parts += [label, _table(["", "value"], [[k, v] for k, v in value.items()])]
        elif isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
            cols = list(dict.fromkeys(k for r in value for k in r))
            parts += [label, _table(cols, [[r.get(c, "") for c in cols] for r in value])]
        elif isinstance(value, list):
            parts.append(f"{label}<p>{escape(', '.join(_cell(v) for v in value))}</p>")
    return "\n".join(parts)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_cell(v)}" for k, v in value.items())
    return sources.public_path(str(value))
