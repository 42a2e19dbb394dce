"""Chapter 7's clickable page: milliseconds for one update after a click, in headless Chromium.

    python benchmarks/bench_hints_page.py [--model HINTS.keras] [--size 64] [--encoder E] [--n 20]

The page (``webpage.hint_page_html``, ``book/_static/colorize_photo/hints_page.js`` on top of
``colorize_photo.js`` and onnxruntime-web's WebAssembly) is served on 127.0.0.1 from a temporary
folder with the hint U-Net exported as the book exports it (float16), and Debian's Chromium opens
it on the book's 256x256 lavender meadow. Then ``--n`` hints are added one by one, as clicks do
(``hintPage.add``), and each update is timed by the page itself (hint maps, the network at its
working size, the colour enlarged to 256x256, Lab to RGB): the first update (the network's
first run) and the warm ones (median, slowest). The target: a warm update under 100 ms.

Without ``--model`` the network is a freshly built, untrained ``models.build_hint_unet(--size,
--encoder)`` (the cpu profile's by default): random weights cost the same time as trained ones.
Results go to ``benchmarks/results/hints_page.json``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from _common import write_result  # noqa: E402
from bench_browser import ARGS, CHROMIUM, STATIC, serve  # noqa: E402


def _hue_chroma(rgb, where) -> tuple[float, float]:
    from colorize_lib import color

    ab = color.rgb_to_lab_np(rgb)[..., 1:][where]
    a, b = ab.mean(0)
    return round(float(np.degrees(np.arctan2(b, a))), 1), round(float(np.hypot(*ab.T).mean()), 1)


def lavender_hint(page, root) -> dict:
    """The browser test's check on a trained network: one hint of the meadow's true colour at
    its deepest pixel; the meadow's mean hue and chroma before and after, against the truth's."""
    from scipy import ndimage

    from colorize_lib import color, hints

    _, picture, meadow = hints.lavender_meadow(256)
    lab = color.rgb_to_lab_np(picture)
    rgb = color.lab_to_rgb_keep_L(lab[meadow].mean(0)[None, None])[0, 0]
    hex_colour = "#" + "".join(f"{v:02x}" for v in rgb)
    y, x = np.unravel_index(
        int(np.argmax(ndimage.distance_transform_edt(np.pad(meadow, 1))[1:-1, 1:-1])), meadow.shape
    )
    page.evaluate("(r) => r.hintPage.clear()", root)
    page.wait_for_function(
        "(r) => r.dataset.state === 'ready' && !r.hintPage.hints().length", arg=root
    )
    before = np.asarray(page.evaluate("(r) => Array.from(r.lastRgba)", root), np.uint8)
    page.evaluate(f"(r) => r.hintPage.add({x + 0.5}, {y + 0.5}, '{hex_colour}')", root)
    page.wait_for_function(
        "(r) => r.dataset.state === 'ready' && r.hintPage.hints().length === 1", arg=root
    )
    after = np.asarray(page.evaluate("(r) => Array.from(r.lastRgba)", root), np.uint8)
    before, after = (v.reshape(256, 256, 4)[..., :3] for v in (before, after))
    truth, none, one = (_hue_chroma(v, meadow) for v in (picture, before, after))
    return {"hint": {"x": float(x) + 0.5, "y": float(y) + 0.5, "color": hex_colour},
            "truth_hue_chroma": truth, "no_hint_hue_chroma": none, "one_hint_hue_chroma": one,
            "hue_off_deg": round(abs((one[0] - truth[0] + 180) % 360 - 180), 1),
            "_after": after}  # fmt: skip


def page_vs_python(path, check: dict) -> float:
    """Mean ab difference between the page's meadow with the hint and ``infer.colorize``'s."""
    from colorize_lib import color, hints, infer

    model = infer.load_model(path)
    _, picture, _ = hints.lavender_meadow(256)
    h = check["hint"]
    a, b = hints.ab_of_hex(h["color"])
    size = infer.working_size(model)
    points = hints.on_grid([(h["x"], h["y"], a, b)], 256, 256, size)
    want = infer.colorize(model, picture, hints=points)
    got = check.pop("_after")
    diff = color.rgb_to_lab_np(got)[..., 1:] - color.rgb_to_lab_np(want)[..., 1:]
    return round(float(np.linalg.norm(diff, axis=-1).mean()), 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a trained hint U-Net (.keras)")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--encoder", default="MobileNetV2-0.35")
    parser.add_argument("--n", type=int, default=20, help="hints added, one update each")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from colorize_lib import export, hints, models
    from colorize_lib.data import files, pictures
    from colorize_lib.pages import webpage

    work = Path(tempfile.mkdtemp(prefix="bench-hints-"))
    site = work / "site"
    (site / "models").mkdir(parents=True)
    path = args.model
    if path is None:
        model = models.build_hint_unet(args.size, args.encoder, weights=None)
        path = files.save_model(model, work / "hints.keras")
    exported = export.export(path, site / "models", "hints", float16=True)
    for name in webpage.RUNTIME_FILES:
        shutil.copy(STATIC / "ort" / name, site / name)
    for name in (webpage.PAGE_SCRIPT, webpage.HINT_SCRIPT):
        shutil.copy(STATIC / "colorize_photo" / name, site / name)
    _, meadow, _ = hints.lavender_meadow(256)
    sample = ("lavender meadow.png", pictures.to_png_bytes(meadow))
    page_html = webpage.hint_page_html(exported, sample, static="./")
    (site / "index.html").write_text(f"<!doctype html><meta charset=utf-8><body>{page_html}")
    server, url = serve(site)
    rng = np.random.default_rng(0)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page()
            page.route(
                "**/*", lambda r: r.continue_() if "127.0.0.1" in r.request.url else r.abort()
            )
            page.goto(f"{url}/index.html")
            root = page.wait_for_selector(".hint-page[data-state=ready]", timeout=120_000)
            for k in range(args.n):
                x, y = rng.uniform(0, 256, 2)
                page.evaluate(f"(r) => r.hintPage.add({x}, {y}, '#b07cd8')", root)
                page.wait_for_function(
                    f"(r) => r.dataset.state === 'ready' && r.hintTimings.length >= {k + 2}",
                    arg=root,
                )
            timings = page.evaluate("(r) => r.hintTimings", root)
            meadow_check = lavender_hint(page, root) if args.model else None
            browser.close()
    finally:
        server.terminate()
        shutil.rmtree(work, ignore_errors=True)
    warm = np.array(timings[2:])  # after the first picture and the first hint
    figures = {
        "network": f"{'a trained' if args.model else 'an untrained'} hint U-Net, "
        f"{args.encoder}, {exported.info['working_size']} px, float16",
        "picture": "256x256",
        "first_update_ms": round(timings[0]),
        "warm_updates": len(warm),
        "warm_median_ms": round(float(np.median(warm)), 1),
        "warm_slowest_ms": round(float(warm.max()), 1),
        "target_ms": 100,
    }
    if meadow_check:
        figures["lavender_meadow"] = meadow_check
        figures["lavender_meadow"]["page_vs_python_mean_ab"] = page_vs_python(path, meadow_check)
        command = "python benchmarks/bench_hints_page.py " + " ".join(argv or sys.argv[1:])
    write_result("hints_page", figures, command.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
