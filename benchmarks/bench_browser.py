"""The book's models in a browser: seconds for a 2048x1536 photo in headless Chromium, page weight.

    python benchmarks/bench_browser.py [--unet U.keras --gan G.keras] [--size 64] [--encoder E]

The page of chapter 6 (``webpage.page_html``, ``book/_static/colorize_photo/colorize_photo.js``,
onnxruntime-web's WebAssembly) is served on 127.0.0.1 from a temporary folder, every other
address blocked, and Debian's Chromium (playwright, ``executable_path``) colorizes one 2048x1536
photo (a procedural landscape, enlarged) with the U-Net and the GAN: the first time, which loads
and compiles the runtime and the networks (``cold``), then the same photo again (``warm``). The
same photo goes through ``infer.colorize`` in Python on the same machine (first call, then
warm), and the mean ab difference between the two results is measured.

Without ``--unet``/``--gan`` both are a freshly built, untrained ``models.build_unet(--size,
--encoder, weights=None)`` (the cpu profile's 64 px MobileNetV2-0.35 by default): random weights
cost the same time as trained ones, so the timings hold, and the difference still checks that
the page computes what Python computes. The models go to the page in float16, as the book does.

It also exports a U-Net per encoder (MobileNetV2-0.35 and MobileNetV2, 128 px) in float32 and
float16 and reports the file sizes and float16's largest difference from Keras (Lab units, on
random input). Results go to ``benchmarks/results/browser.json``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from _common import write_result  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]  # fmt: skip
STATIC = ROOT / "book" / "_static"


def sizes_per_encoder(work: Path) -> list[dict]:
    """File sizes of a 128-px U-Net per encoder, float32 and float16, and float16's cost."""
    from colorize_lib import export, models
    from colorize_lib.data import files

    rows = []
    for encoder in ("MobileNetV2-0.35", "MobileNetV2"):
        path = files.save_model(models.build_unet(128, encoder, weights=None), work / "e.keras")
        f32 = export.export(path, work / "sizes", name="f32", overwrite=True)
        f16 = export.export(path, work / "sizes", name="f16", float16=True, overwrite=True)
        rows.append({
            "encoder": encoder,
            "parameters": f32.info["parameters"],
            "float32_MB": round(f32.info["bytes"] / 1e6, 2),
            "float16_MB": round(f16.info["bytes"] / 1e6, 2),
            "float32_max_diff_lab": f32.info["max_abs_diff"] * 110,
            "float16_max_diff_lab": f16.info["max_abs_diff"] * 110,
        })  # fmt: skip
        print(rows[-1])
    return rows


def serve(folder: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)
    return proc, f"http://127.0.0.1:{port}"


def in_browser(url: str, photo_file: Path) -> tuple[list[dict], dict]:
    """Colorize ``photo_file`` twice in the page at ``url``: (timings per run, {view: PNG})."""
    from playwright.sync_api import sync_playwright

    blocked = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.route(
            "**/*",
            lambda r: (
                r.continue_()
                if r.request.url.startswith("http://127.0.0.1")
                else (blocked.append(r.request.url), r.abort())
            ),
        )
        page.goto(url)
        page.wait_for_selector(".colorize-photo[data-state=ready]")
        runs = []
        for _ in range(2):
            page.evaluate("document.querySelector('.colorize-photo').dataset.state = 'again'")
            page.set_input_files(".cyp-file", str(photo_file))
            state = "again"
            for _ in range(1200):  # poll (the page times itself): at most 10 minutes
                time.sleep(0.5)
                state = page.evaluate("document.querySelector('.colorize-photo').dataset.state")
                if state in ("done", "error"):
                    break
            print(f"run {len(runs) + 1}: {page.inner_text('.cyp-status')}")
            if state != "done":
                raise RuntimeError(page.inner_text(".cyp-status"))
            runs.append(page.evaluate("document.querySelector('.colorize-photo').colorizeTimings"))
        views = page.evaluate(
            "Object.fromEntries(Array.from(document.querySelectorAll('canvas[data-view]'),"
            " c => [c.dataset.view, c.toDataURL('image/png')]))"
        )
        browser.close()
    if blocked:
        raise RuntimeError(f"the page tried to reach other hosts: {blocked}")
    return runs, views


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unet", type=Path, default=None, help="a trained U-Net (.keras)")
    parser.add_argument("--gan", type=Path, default=None, help="a trained GAN generator (.keras)")
    parser.add_argument("--size", type=int, default=64, help="working size of untrained models")
    parser.add_argument("--encoder", default="MobileNetV2-0.35", help="encoder of untrained ones")
    parser.add_argument("--no-sizes", action="store_true", help="skip the sizes per encoder")
    args = parser.parse_args(argv)

    import base64
    import io

    from PIL import Image

    from colorize_lib import color, export, infer, models, synth
    from colorize_lib.data import files, pictures
    from colorize_lib.pages import webpage
    from colorize_lib.training import runtime

    runtime.setup(precision="float32")
    work = Path(tempfile.mkdtemp(prefix="bench_browser-"))
    site = work / "site"
    (site / "models").mkdir(parents=True)
    trained = bool(args.unet and args.gan)
    if trained:
        paths = {"U-Net": args.unet, "GAN": args.gan}
        what = "trained models " + ", ".join(
            f"{p.parent.name}/{p.name}" for p in (args.unet, args.gan)
        )
    else:
        paths = {}
        for label in ("U-Net", "GAN"):
            model = models.build_unet(args.size, args.encoder, weights=None)
            paths[label] = files.save_model(model, work / f"{label.lower().replace('-', '')}.keras")
        what = f"untrained {args.encoder} U-Nets at {args.size} px (timing only)"
    exported = {
        label: export.export(path, site / "models", name=label.lower().replace("-", ""),
                             float16=True)
        for label, path in paths.items()
    }  # fmt: skip
    for name in (*webpage.RUNTIME_FILES, webpage.PAGE_SCRIPT):
        folder = STATIC / ("colorize_photo" if name == webpage.PAGE_SCRIPT else "ort")
        shutil.copy(folder / name, site / name)
    page = f"<!doctype html><meta charset=utf-8><body>{webpage.page_html(exported, './')}</body>"
    (site / "index.html").write_text(page)
    runtime_bytes = sum((site / n).stat().st_size for n in webpage.RUNTIME_FILES)
    page_bytes = (site / webpage.PAGE_SCRIPT).stat().st_size
    model_bytes = sum(e.info["bytes"] for e in exported.values())

    big = pictures.resize(synth.generate_one(0, 512, seed=0), 2048, 1536, "bicubic")
    photo_file = work / "photo.png"
    Image.fromarray(big).save(photo_file)
    server, url = serve(site)
    try:
        runs, views = in_browser(f"{url}/index.html", photo_file)
    finally:
        server.terminate()

    per_model = []
    for label, path in paths.items():
        model = infer.load_model(path)
        t = time.perf_counter()
        in_python = infer.colorize(model, big)
        python_first = time.perf_counter() - t
        t = time.perf_counter()
        infer.colorize(model, big)
        python_warm = time.perf_counter() - t
        raw = base64.b64decode(views[label].split(",", 1)[1])
        in_browser_rgb = np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"))
        lab_b, lab_p = color.rgb_to_lab_np(in_browser_rgb), color.rgb_to_lab_np(in_python)
        diff = float(np.linalg.norm(lab_b[..., 1:] - lab_p[..., 1:], axis=-1).mean())
        per_model.append({
            "model": label,
            "browser_cold_s": round(runs[0][label]["total"], 2),
            "browser_cold_load_s": round(runs[0][label]["load"], 2),
            "browser_warm_s": round(runs[1][label]["total"], 2),
            "browser_warm_network_s": round(runs[1][label]["network"], 3),
            "python_first_s": round(python_first, 2),
            "python_warm_s": round(python_warm, 2),
            "mean_ab_diff": round(diff, 3),
        })  # fmt: skip
        print(per_model[-1])
    figures = {
        "photo": "2048x1536",
        "models": what,
        "working_size": exported["U-Net"].info["working_size"],
        "browser_first_photo_s": round(runs[0]["total"], 2),
        "browser_again_s": round(runs[1]["total"], 2),
        "page_weight_MB": round((runtime_bytes + page_bytes + model_bytes) / 1e6, 2),
        "runtime_MB": round(runtime_bytes / 1e6, 2),
        "models_MB": round(model_bytes / 1e6, 2),
        "per_model": per_model,
    }
    if not args.no_sizes:
        figures["sizes_per_encoder"] = sizes_per_encoder(work)
    command = "python benchmarks/bench_browser.py" + (" " + " ".join(argv or sys.argv[1:])).rstrip()
    write_result("browser", figures, command)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
