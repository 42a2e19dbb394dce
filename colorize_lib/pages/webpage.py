"""Chapter 6's in-browser colorizer: the HTML the page shows, and the files it loads.

``page_html({"U-Net": exported, "GAN": exported})`` gives the markup of the page's colorizer: a
file input and drop zone, a status line, the four views (gray, each model, original), the same
before/after wipe as ``viz.wipe`` (two stacked pictures, the top one clipped by a range input),
and download links; beside the models, their cards (``training.cards.lines``: what each learned from) and
what to expect on a photo from elsewhere (``expectation``), and a button that colorizes a
picture from the models' own world (``sample``), kept next to the reader's photo. It loads the vendored onnxruntime-web (``RUNTIME_FILES``) and the page's
script (``PAGE_SCRIPT``, ``book/_static/colorize_photo/colorize_photo.js``, which repeats
``infer.colorize``'s steps in JavaScript) from the book's ``_static`` folder, and the models
that ``export.export`` wrote from ``_static/models/``. Nothing is loaded from another host.
"""

from __future__ import annotations

from colorize_lib.export import Exported
from colorize_lib.training import cards as model_cards

# The runtime's files and the page's script, as the book serves them (_config.yml lists them).
RUNTIME_FILES = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
PAGE_SCRIPT = "colorize_photo.js"

_PAGE = """
<div id="{uid}" class="colorize-photo" style="font:14px sans-serif;max-width:820px;">
<style>
#{uid} .cyp-drop {{border:2px dashed #999;border-radius:6px;padding:18px;text-align:center;}}
#{uid} .cyp-drop.cyp-over {{background:#eef;}}
#{uid} .cyp-error {{color:#b00;font-weight:bold;}}
#{uid} .cyp-views {{display:flex;gap:6px;}}
#{uid} figure {{margin:0;flex:1;text-align:center;}}
#{uid} canvas {{width:100%;height:auto;display:block;}}
#{uid} .cyp-wipe {{position:relative;line-height:0;margin-top:10px;}}
#{uid} .cyp-wipe-before {{position:absolute;top:0;left:0;clip-path:inset(0 50% 0 0);}}
#{uid} .cyp-cards {{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:8px;}}
#{uid} .cyp-card {{flex:1;min-width:240px;border:1px solid #ccc;border-radius:6px;padding:6px 10px;}}
#{uid} .cyp-card ul {{margin:4px 0;padding-left:18px;}}
#{uid} .cyp-previous .cyp-views {{opacity:0.9;}}
</style>
{cards}
<div class="cyp-drop">Drop a photo here, or choose one:
  <input class="cyp-file" type="file" multiple accept="image/*,.onnx,.json,.zip"
         aria-label="photo to colorize, or models to add">
  <br><small>or drop models exported by the book (NAME.onnx with NAME.json, or one .zip of
  them): they join the ones below, in your browser only.</small></div>
{sample_button}
<p class="cyp-status" role="status">This needs JavaScript (the published book, not a kernel).</p>
<div class="cyp-results" hidden>
  <div class="cyp-views"></div>
  <div class="cyp-wipe"><canvas class="cyp-wipe-after"></canvas>
    <canvas class="cyp-wipe-before"></canvas></div>
  <input class="cyp-range" type="range" min="0" max="100" value="50" aria-label="wipe"
         style="width:100%;margin:4px 0;">
  <div style="display:flex;justify-content:space-between;">
    <label>&larr; <select class="cyp-pick-before">{before}</select></label>
    <label><select class="cyp-pick-after">{after}</select> &rarr;</label></div>
  <p class="cyp-downloads"></p>
  <div class="cyp-previous"></div>
</div>
<script src="{static}{runtime}"></script>
<script src="{static}{script}"></script>
<script>ColorizePhoto.mount("{uid}", {config});</script>
</div>
"""


def _data_url(png: bytes) -> str:
    """A PNG inside the page (the picture of the models' world): nothing to fetch elsewhere."""
    import base64

    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _script_json(config: dict) -> str:
    """``config`` as JSON for a ``<script>``: no ``</script>`` can close it early."""
    import json

    return json.dumps(config).replace("<", "\\u003c")


def expectation(cards: dict[str, dict]) -> str:
    """What to expect on a photo from elsewhere, from what the models learned."""
    procedural = [k for k, c in cards.items() if "procedural" in c.get("learned_from", "").lower()]
    photos = [k for k, c in cards.items() if c and k not in procedural]
    if procedural and photos:
        return (
            f"{' and '.join(procedural)} {'has' if len(procedural) == 1 else 'have'} only seen "
            "the procedural landscapes of the book's "
            f"generator: on a real photo expect their colours in the wrong places. "
            f"{' and '.join(photos)} learned from photos: expect plausible but muted colours on "
            "scenes like theirs. Compare them on your photo, and on the picture of the "
            "procedural world below."
        )
    if procedural:
        return (
            "These models have only seen the procedural landscapes of the book's generator. On a "
            "real photo, expect their colours in the wrong places: green on rocks, lavender or "
            "blue where a field or a pool should be. Models trained on real photos (the gpu "
            "profile does it on Colab) do far better; try the button below to see the models' "
            "own world."
        )
    return (
        "These models learned from photos: expect plausible but muted colours on scenes like "
        "the ones they learned from, and poor ones on people, animals or indoor scenes."
    )


def page_html(
    exported: dict[str, Exported],
    static: str = "../_static/",
    uid: str = "cyp",
    cards: dict[str, dict] | None = None,
    sample: tuple[str, bytes] | None = None,
) -> str:
    """The in-browser colorizer's HTML for ``{label: Exported}`` whose files the book serves
    under ``static`` + ``models/`` (gray / models / original, a wipe, downloads).

    ``cards``: ``{label: model card}`` shown beside the models, with ``expectation``;
    ``sample``: ``(name, PNG bytes)`` of a picture from the models' own world, colorized on one
    click and kept next to the reader's photo."""
    import html

    models = [
        {
            "label": label,
            "url": f"{static}models/{e.onnx.name}",
            "size": e.info["working_size"],
            "input": e.info["input"],
            "output": e.info["output"],
            "scales": {"L": e.info["L_scale"], "ab": e.info["ab_scale"]},
        }
        for label, e in exported.items()
    ]
    views = ["gray", *exported, "original"]

    def options(chosen: str) -> str:
        return "".join(
            f"<option{' selected' if v == chosen else ''}>{html.escape(v)}</option>" for v in views
        )

    card_html = ""
    if cards is not None:
        boxes = "".join(
            f'<div class="cyp-card"><b>{html.escape(label)}</b><ul>'
            + "".join(
                f"<li>{html.escape(line)}</li>" for line in model_cards.lines(cards.get(label, {}))
            )
            + "</ul></div>"
            for label in exported
        )
        card_html = (
            f'<div class="cyp-cards">{boxes}</div>'
            f'<p class="cyp-expect">{html.escape(expectation(cards))}</p>'
        )
    config = {"models": models, "runtime": static}
    button = ""
    if sample is not None:
        name, png = sample
        config["sample"] = {
            "name": name,
            "url": _data_url(png),
        }
        button = (
            '<p><button class="cyp-sample" type="button">Colorize a picture from the models\' '
            f"own world</button> ({html.escape(name)})</p>"
        )
    return _PAGE.format(
        uid=uid,
        static=static,
        runtime=RUNTIME_FILES[0],
        script=PAGE_SCRIPT,
        config=_script_json(config),
        before=options("gray"),
        after=options(views[-2]),
        cards=card_html,
        sample_button=button,
    )


# ---- Chapter 7: the hint page (book/_static/colorize_photo/hints_page.js) ---------------------
HINT_SCRIPT = "hints_page.js"

_HINT_PAGE = """
<div id="{uid}" class="hint-page" style="font:14px sans-serif;max-width:640px;">
<style>
#{uid} .hp-error {{color:#b00;font-weight:bold;}}
#{uid} canvas {{width:100%;height:auto;display:block;cursor:crosshair;touch-action:none;}}
#{uid} .hp-tools {{display:flex;gap:10px;flex-wrap:wrap;align-items:center;margin:6px 0;}}
</style>
<div class="hp-tools">
  <label>hint colour <input class="hp-color" type="color" value="{color}"></label>
  <button class="hp-clear" type="button">remove all hints</button>
  <button class="hp-sample" type="button">the picture of the models' world</button>
  <label>your photo <input class="hp-file" type="file" accept="image/*"></label>
</div>
<p class="hp-status" role="status">This needs JavaScript (the published book, not a kernel).</p>
<canvas class="hp-canvas" aria-label="the colorization: click to add a hint"></canvas>
<ol class="hp-list"></ol>
<div class="hp-tools"><button class="hp-save" type="button" hidden>save the hints</button>
  <label>load hints <input class="hp-load" type="file" accept=".json,application/json"></label>
</div>
<script src="{static}{runtime}"></script>
<script src="{static}{script}"></script>
<script src="{static}{hint_script}"></script>
<script>HintPage.mount("{uid}", {config});</script>
</div>
"""


def hint_page_html(
    exported: Exported,
    sample: tuple[str, bytes],
    static: str = "../_static/",
    uid: str = "hp",
    color: str = "#b07cd8",
) -> str:
    """Chapter 7's clickable page for the exported hint U-Net (``export.export`` of a
    ``models.build_hint_unet`` model, served under ``static`` + ``models/``): the picture
    ``sample`` = ``(name, PNG bytes)`` first, the reader's photo on request; a click adds a hint
    of the chosen colour, a drag moves one, a button removes one; hints save to (and load from)
    the file ``colorize --hints`` reads."""

    info = exported.info
    name, png = sample
    config = {
        "model": {
            "url": f"{static}models/{exported.onnx.name}",
            "size": info["working_size"],
            "inputs": info["inputs"],
            "output": info["output"],
            "scales": {"L": info["L_scale"], "ab": info["ab_scale"]},
        },
        "runtime": static,
        "sample": {"name": name, "url": _data_url(png)},
    }
    return _HINT_PAGE.format(
        uid=uid,
        static=static,
        runtime=RUNTIME_FILES[0],
        script=PAGE_SCRIPT,
        hint_script=HINT_SCRIPT,
        color=color,
        config=_script_json(config),
    )
