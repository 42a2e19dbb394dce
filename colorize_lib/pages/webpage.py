"""Chapter 6's in-browser colorizer: the HTML the page shows, and the files it loads.

``page_html({"U-Net": exported, "GAN": exported})`` gives the markup of the page's colorizer: a
file input and drop zone, a status line, the four views (gray, each model, original), the same
before/after wipe as ``viz.wipe`` (two stacked pictures, the top one clipped by a range input),
and download links. It loads the vendored onnxruntime-web (``RUNTIME_FILES``) and the page's
script (``PAGE_SCRIPT``, ``book/_static/colorize_photo/colorize_photo.js``, which repeats
``infer.colorize``'s steps in JavaScript) from the book's ``_static`` folder, and the models
that ``export.export`` wrote from ``_static/models/``. Nothing is loaded from another host.
"""

from __future__ import annotations

from colorize_lib.export import Exported

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
</style>
<div class="cyp-drop">Drop a photo here, or choose one:
  <input class="cyp-file" type="file" accept="image/*" aria-label="photo to colorize"></div>
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
</div>
<script src="{static}{runtime}"></script>
<script src="{static}{script}"></script>
<script>ColorizePhoto.mount("{uid}", {config});</script>
</div>
"""


def page_html(exported: dict[str, Exported], static: str = "../_static/", uid: str = "cyp") -> str:
    """The in-browser colorizer's HTML for ``{label: Exported}`` whose files the book serves
    under ``static`` + ``models/`` (gray / models / original, a wipe, downloads)."""
    import html
    import json

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

    config = json.dumps({"models": models, "runtime": static})
    return _PAGE.format(
        uid=uid,
        static=static,
        runtime=RUNTIME_FILES[0],
        script=PAGE_SCRIPT,
        config=config,
        before=options("gray"),
        after=options(views[-2]),
    )
