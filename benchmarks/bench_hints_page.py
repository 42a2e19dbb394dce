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
            browser.close()
    finally:
        server.terminate()
        shutil.rmtree(work, ignore_errors=True)
    warm = np.array(timings[2:])  # after the first picture and the first hint
    figures = {
        "network": f"{'trained ' + path.name if args.model else 'untrained'} hint U-Net, "
        f"{args.encoder}, {exported.info['working_size']} px, float16",
        "picture": "256x256",
        "first_update_ms": round(timings[0]),
        "warm_updates": len(warm),
        "warm_median_ms": round(float(np.median(warm)), 1),
        "warm_slowest_ms": round(float(warm.max()), 1),
        "target_ms": 100,
    }
    command = "python benchmarks/bench_hints_page.py " + " ".join(argv or sys.argv[1:])
    write_result("hints_page", figures, command.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
