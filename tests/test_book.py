"""The whole book builds (tiny profile), and its pages work offline in a real browser.

One session-wide build of the repository with `jupyter-book build` (the `book` fixture of
conftest.py, shared with test_notebooks.py: every notebook executed once; an execution error
fails the build). Then:
- every page of `_toc.yml` exists, chapter pages carry a Colab launch button for the repository
  of `_config.yml`, and nothing a page loads comes from another host (widget JS, MathJax, fonts);
- Debian's headless Chromium (driven by playwright with `executable_path`, never
  `playwright install`) opens chapters 1 and 2 served on 127.0.0.1 with every other address
  blocked, moves a comparison slider with the keyboard and checks that the picture shown changed;
- no page shows the machine that built it (`page_leaks`: its folders, object reprs, raw warnings
  and log lines, tracebacks, progress bars, a training log split over several output blocks).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from html import escape as html_escape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BROWSER_PAGES = ["notebooks/01_grayscale", "notebooks/02_ambiguous_colors"]
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# Errors every Jupyter Book 1 page raises and that break nothing (see ../shared/NOTES.md).
HARMLESS_ERRORS = ("Identifier 'THEBE_JS_URL' has already been declared", "Got invalid theme mode")

pytestmark = pytest.mark.slow


def _config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def _toc_files() -> list[str]:
    """Every page of _toc.yml (root first), as paths without extension."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


def _source(page: str) -> Path | None:
    for ext in (".ipynb", ".md"):
        if (ROOT / f"{page}{ext}").exists():
            return ROOT / f"{page}{ext}"
    return None


class _Loads(HTMLParser):
    """What a browser would fetch from a page: script/img/iframe src, stylesheet/preload href."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "audio", "video", "source", "embed") and a.get("src"):
            self.urls.append(a["src"])
            if tag == "script":
                self.scripts.append(a["src"])
        if tag == "link" and a.get("href"):
            rel = (a.get("rel") or "").lower()
            if any(
                r in rel for r in ("stylesheet", "preload", "icon", "modulepreload", "prefetch")
            ):
                self.urls.append(a["href"])


def _loads(html: str) -> _Loads:
    parser = _Loads()
    parser.feed(html)
    return parser


def test_every_page_of_the_toc_is_built(book):
    missing_sources = [p for p in _toc_files() if _source(p) is None]
    assert not missing_sources, f"_toc.yml lists pages with no source file: {missing_sources}"
    missing = [p for p in _toc_files() if not (book / f"{p}.html").exists()]
    assert not missing, f"pages not built: {missing}"


def test_chapter_pages_have_a_colab_launch_button(book):
    config = _config()
    repo = urlparse(config["repository"]["url"]).path.strip("/")  # owner/name
    branch = config["repository"].get("branch", "main")
    prefix = (config["repository"].get("path_to_book") or "").strip("/")
    notebooks = [p for p in _toc_files() if (ROOT / f"{p}.ipynb").exists()]
    assert notebooks, "no notebook page in _toc.yml"
    for page in notebooks:
        path = f"{prefix}/{page}.ipynb" if prefix else f"{page}.ipynb"
        expected = f"https://colab.research.google.com/github/{repo}/blob/{branch}/{path}"
        html = (book / f"{page}.html").read_text(encoding="utf-8")
        assert f'href="{expected}"' in html, f"{page}: no Colab launch button to {expected}"


def test_no_page_loads_anything_from_another_host(book):
    pages = sorted(book.rglob("*.html"))
    assert pages
    for page in pages:
        loads = _loads(page.read_text(encoding="utf-8"))
        remote = [
            u for u in loads.urls if urlparse(u).scheme in ("http", "https") or u.startswith("//")
        ]
        assert not remote, f"{page.relative_to(book)} loads {remote}"


def test_widget_javascript_is_served_by_the_book(book):
    vendored = ROOT / "book" / "_static" / "widgets" / "embed.js"
    served = book / "_static" / "embed.js"
    assert served.read_bytes() == vendored.read_bytes()
    for page in BROWSER_PAGES:
        html = (book / f"{page}.html").read_text(encoding="utf-8")
        assert "application/vnd.jupyter.widget-state+json" in html, f"{page}: no widget state"
        scripts = _loads(html).scripts
        widget_js = [s for s in scripts if "embed" in s or "require" in s]
        assert [s.split("?")[0] for s in widget_js] == ["../_static/embed.js"], widget_js
        for cdn in ("cdn.jsdelivr", "unpkg.com/@jupyter-widgets", "requirejs", "embed-amd"):
            assert not any(cdn in s for s in scripts), f"{page} loads {cdn}"
    # The font files embed.js asks for (relative to itself) are next to it.
    text = vendored.read_text(encoding="utf-8")
    for font in (ROOT / "book" / "_static" / "widgets" / "fonts").glob("*.woff2"):
        assert f'"{font.name}"' in text, f"{font.name} is not used by embed.js"
        assert (book / "_static" / font.name).exists(), f"{font.name} not served"


def _stacks(html: str) -> dict[str, tuple[str, int]]:
    """sha256 of every Image in a Stack of the page's widget state -> (stack id, child index)."""
    start = html.index('<script type="application/vnd.jupyter.widget-state+json">')
    start = html.index(">", start) + 1
    state = json.loads(html[start : html.index("</script>", start)])["state"]
    digests: dict[str, str] = {}
    for model_id, model in state.items():
        if model["model_name"] == "ImageModel":
            for buf in model.get("buffers", []):
                if buf.get("path") == ["value"]:
                    raw = base64.b64decode(buf["data"])
                    digests[model_id] = hashlib.sha256(raw).hexdigest()
    where: dict[str, tuple[str, int]] = {}
    for model_id, model in state.items():
        if model["model_name"] == "StackModel":
            for i, child in enumerate(model["state"].get("children", [])):
                child_id = child.removeprefix("IPY_MODEL_")
                if child_id in digests:
                    where[digests[child_id]] = (model_id, i)
    return where


@pytest.fixture(scope="module")
def server(book):
    """`python -m http.server` on 127.0.0.1 serving the built book."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
        cwd=book,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base}/index.html", timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.terminate()
        pytest.fail("python -m http.server did not start")
    yield base
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: install Debian's chromium (`make browser` does it as "
            "root) or set CHROMIUM=/path/to/chromium",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# In the page: sha256 (hex) of every widget picture that is shown, per output cell holding a
# slider. A hidden Stack child has offsetParent === null (or is not rendered at all).
_SHOWN_JS = """
async (container) => {
  const shown = [];
  for (const img of container.querySelectorAll('img')) {
    if (img.offsetParent === null || !img.src) continue;
    const buf = await (await fetch(img.src)).arrayBuffer();
    const d = new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
    shown.push(Array.from(d, b => b.toString(16).padStart(2, '0')).join(''));
  }
  return shown;
}
"""


class _OfflinePage:
    """A browser tab that lets only 127.0.0.1 through and records what else the page tried."""

    def __init__(self, browser):
        self.blocked: list[str] = []  # requests to any other host (aborted)
        self.failed: list[str] = []  # local files that answered an HTTP error
        self.errors: list[str] = []  # uncaught exceptions and console errors
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.page.route("**/*", self._only_localhost)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on(
            "console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}")
        )
        self.page.on(
            "response",
            lambda r: (
                r.status >= 400
                and not r.url.endswith("favicon.ico")
                and self.failed.append(f"{r.status} {r.url}")
            ),
        )

    def _only_localhost(self, route):
        url = route.request.url
        if urlparse(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def open(self, url: str) -> None:
        self.page.goto(url, wait_until="load")
        if self.page.query_selector(".math"):  # MathJax is served by the book too, and renders
            self.page.wait_for_selector("mjx-container", timeout=30_000)
        if self.page.query_selector('script[type="application/vnd.jupyter.widget-view+json"]'):
            self.page.wait_for_selector(".jupyter-widgets", timeout=30_000)
        self.page.wait_for_timeout(300)  # late requests (fonts) after the load event

    def check(self, name: str) -> None:
        """Fail if anything left 127.0.0.1, a local file was missing, or the page raised."""
        assert not self.blocked, f"{name} tried to load from other hosts: {self.blocked}"
        assert not self.failed, f"{name}: local files missing (HTTP errors): {self.failed}"
        real = [
            e
            for e in self.errors
            if not any(h in e for h in HARMLESS_ERRORS) and "net::ERR_FAILED" not in e
        ]
        assert not real, f"{name}: errors in the page: {real}"

    def close(self) -> None:
        self.context.close()


@pytest.mark.browser
@pytest.mark.parametrize("page_name", _toc_files())
def test_every_page_works_offline(page_name, book, server, browser):
    tab = _OfflinePage(browser)
    try:
        tab.open(f"{server}/{page_name}.html")
    finally:
        tab.close()
    tab.check(page_name)


@pytest.mark.browser
@pytest.mark.parametrize("page_name", BROWSER_PAGES)
def test_slider_changes_the_picture_offline(page_name, book, server, browser):
    html = (book / f"{page_name}.html").read_text(encoding="utf-8")
    stack_pictures = _stacks(html)
    assert stack_pictures, f"{page_name}: no Stack of Image widgets in the page's widget state"

    tab = _OfflinePage(browser)
    page = tab.page
    try:
        tab.open(f"{server}/{page_name}.html")
        page.wait_for_selector(".cell_output .noUi-handle", timeout=30_000)

        # The first output cell whose slider drives a Stack of pictures.
        target = None
        for container in page.query_selector_all(".cell_output:has(.noUi-handle)"):
            shown = page.evaluate(_SHOWN_JS, container)
            if any(h in stack_pictures for h in shown):
                target, before = container, shown
                break
        assert target is not None, f"{page_name}: no slider next to a Stack picture"
        (stack_id, index_before) = next(stack_pictures[h] for h in before if h in stack_pictures)

        handle = target.query_selector(".noUi-handle")
        at_end = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
        key = "ArrowLeft" if at_end else "ArrowRight"
        handle.focus()
        page.keyboard.press(key)
        after = before
        for _ in range(50):
            after = page.evaluate(_SHOWN_JS, target)
            if after != before:
                break
            page.wait_for_timeout(100)
        now = [stack_pictures[h] for h in after if h in stack_pictures]
        print(
            f"\n{page_name}: Stack {stack_id[:8]} showed child {index_before} "
            f"(sha256 {before[0][:12]}); after {key}: {[i for _, i in now]} "
            f"(sha256 {after[0][:12] if after else None}); requests blocked: {tab.blocked}"
        )
        assert after != before, f"{page_name}: the picture did not change when the slider moved"
        assert any(s == stack_id and i != index_before for s, i in now), (
            f"{page_name}: after moving the slider the Stack shows {now}, "
            f"expected another child of {stack_id} than {index_before}"
        )
    finally:
        tab.close()
    tab.check(page_name)


PHOTO_PAGE = "notebooks/06_colorize_your_photo"
# The page's canvases as PNG data URIs: {view: data URI} (gray, U-Net, GAN, original).
_VIEWS_JS = """
(root) => Object.fromEntries(Array.from(root.querySelectorAll('canvas[data-view]'),
                                        c => [c.dataset.view, c.toDataURL('image/png')]))
"""


def _keras_model(book_build, json_file: Path):
    """The .keras file of the build's cache that the page's model was exported from."""
    from colorize_lib import infer
    from colorize_lib.data import files

    want = json.loads(json_file.read_text())["keras_sha256"]
    found = [p for p in book_build.cache.rglob("model.keras") if files.sha256(p) == want]
    assert found, f"no model in {book_build.cache} has the sha256 of {json_file.name}"
    return infer.load_model(found[0])


@pytest.mark.browser
def test_colorize_your_photo_in_the_browser_as_python_does(book_build, server, browser, tmp_path):
    """The page colorizes a photo offline with both models as infer.colorize does (mean ab
    difference under 2 Lab units), offers the results for download, and explains a file that
    is not a picture."""
    from PIL import Image

    from colorize_lib import color, infer, synth

    photo = synth.generate_one(3, 256, seed=0)[40:190, :240]  # 240x150: not square
    Image.fromarray(photo).save(tmp_path / "photo.png")
    (tmp_path / "notes.txt").write_text("not a picture")

    models = book_build.html / "_static" / "models"
    tab = _OfflinePage(browser)
    page = tab.page
    try:
        tab.open(f"{server}/{PHOTO_PAGE}.html")
        root = page.wait_for_selector(".colorize-photo[data-state=ready]", timeout=30_000)
        page.set_input_files(".colorize-photo .cyp-file", str(tmp_path / "photo.png"))
        in_python = {  # while the browser works: the same photo through infer.colorize
            label: infer.colorize(_keras_model(book_build, models / f"{name}.json"), photo)
            for label, name in (("U-Net", "unet"), ("GAN", "gan"))
        }
        page.wait_for_selector(".colorize-photo:is([data-state=done], [data-state=error])")
        status = root.query_selector(".cyp-status").inner_text()
        assert root.get_attribute("data-state") == "done", status
        views = page.evaluate(_VIEWS_JS, root)
        page.wait_for_function(
            "document.querySelectorAll('.cyp-downloads a[download]').length == 2"
        )
        links = [a.get_attribute("href") for a in root.query_selector_all(".cyp-downloads a")]
        page.set_input_files(".colorize-photo .cyp-file", str(tmp_path / "notes.txt"))
        page.wait_for_selector(".colorize-photo[data-state=error]")
        refusal = root.query_selector(".cyp-status").inner_text()
        cards = [c.inner_text() for c in root.query_selector_all(".cyp-card")]
        expect = root.query_selector(".cyp-expect").inner_text()
        root.query_selector(".cyp-sample").click()  # a picture of the models' own world
        page.wait_for_selector(".colorize-photo:is([data-state=done], [data-state=error])")
        after_sample = root.query_selector(".cyp-status").inner_text()
        kept = root.query_selector(".cyp-previous").inner_text()
        kept_views = len(root.query_selector_all(".cyp-previous canvas"))
    finally:
        tab.close()
    tab.check(PHOTO_PAGE)
    assert all(link.startswith("blob:") for link in links), links
    assert "notes.txt is not a picture" in refusal, refusal
    # each model's card says what it learned from; the reader's photo stays next to the sample
    assert len(cards) == 2 and all("learned from: procedural landscapes" in c for c in cards)
    assert all("pictures of" in c and "epochs" in c for c in cards), cards
    assert "only seen the procedural landscapes" in expect, expect
    assert "colorized in" in after_sample, after_sample
    assert "Before: photo" in kept and kept_views == 4, (kept, kept_views)

    def pixels(uri: str) -> np.ndarray:
        raw = base64.b64decode(uri.split(",", 1)[1])
        return np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"))

    assert np.array_equal(pixels(views["original"]), photo)
    lab_python = {}
    for label, python_rgb in in_python.items():
        in_browser = pixels(views[label])
        assert in_browser.shape == photo.shape
        lab_b, lab_p = color.rgb_to_lab_np(in_browser), color.rgb_to_lab_np(python_rgb)
        ab_diff = float(np.linalg.norm(lab_b[..., 1:] - lab_p[..., 1:], axis=-1).mean())
        L_diff = float(np.abs(lab_b[..., 0] - lab_p[..., 0]).mean())
        print(f"\n{label}: browser vs infer.colorize, mean ab {ab_diff:.3f}, mean L {L_diff:.3f}")
        assert ab_diff < 2.0, f"{label}: the page's colours differ from Python's by {ab_diff:.2f}"
        lab_python[label] = lab_p
    gray = color.rgb_to_lab_np(pixels(views["gray"]))
    assert np.abs(gray[..., 1:]).max() < 1.5  # gray is gray, with the photo's L
    assert np.abs(gray[..., 0] - lab_python["U-Net"][..., 0]).mean() < 0.5


def _model_from_elsewhere(folder: Path):
    """A U-Net trained on other pictures than the book's (reddish noise), exported as export
    --zip does, with its card; and the Keras model."""
    import keras

    from colorize_lib import bundle, export, models
    from colorize_lib.data import files, pipeline
    from colorize_lib.training import cards

    rng = np.random.default_rng(0)
    pics = np.stack(
        [rng.integers(150, 256, (16, 32, 32)), rng.integers(0, 90, (16, 32, 32)),
         rng.integers(20, 110, (16, 32, 32))], axis=-1,
    ).astype(np.uint8)  # fmt: skip
    keras.utils.set_random_seed(0)
    model = models.build_unet(32, "MobileNetV2-0.35", weights=None)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mae")
    L, ab = pipeline.to_model_batch(pics)
    model.fit(L, ab, epochs=4, batch_size=8, verbose=0)
    files.save_model(model, folder / "red.keras")
    cards.write(folder / "red.keras", {
        "learned_from": "16 reddish test pictures", "pictures": 16, "size": 32, "epochs": 4,
        "encoder": "MobileNetV2-0.35", "imagenet_weights": False, "training_minutes": 0.1,
    })  # fmt: skip
    done = export.export(folder / "red.keras", folder / "out", "red", label="Red", model=model)
    return model, done, bundle.write([done], folder / "red.zip")


@pytest.mark.browser
def test_a_reader_drops_a_model_trained_elsewhere_onto_the_page(
    book_build, server, browser, tmp_path
):
    """A model exported elsewhere (one .zip) joins the page's models with its card and colorizes
    as infer.colorize does; a damaged pair and a lone .onnx get one line each."""
    from PIL import Image

    from colorize_lib import color, infer, synth

    model, done, zipped = _model_from_elsewhere(tmp_path)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "red.json").write_bytes(done.json.read_bytes())
    (bad / "red.onnx").write_bytes(done.onnx.read_bytes()[:5000])  # cut short
    photo = synth.generate_one(5, 256, seed=0)[:160, :200]
    Image.fromarray(photo).save(tmp_path / "photo.png")
    tab = _OfflinePage(browser)
    page = tab.page
    state = ".colorize-photo:is([data-state=ready], [data-state=done], [data-state=error])"
    try:
        tab.open(f"{server}/{PHOTO_PAGE}.html")
        root = page.wait_for_selector(".colorize-photo[data-state=ready]", timeout=30_000)
        messages = []
        by_hand = tmp_path / "by hand.zip"  # deflated, in a folder, with a Mac's debris
        with zipfile.ZipFile(by_hand, "w", zipfile.ZIP_DEFLATED) as zf:
            for p in (done.onnx, done.json):
                zf.write(p, f"my models/{p.name}")
                zf.writestr(f"__MACOSX/my models/._{p.name}", b"\0\5\x16\7")
        for given in ([bad / "red.onnx", bad / "red.json"], [done.onnx], [by_hand], [zipped]):
            page.set_input_files(".colorize-photo .cyp-file", [str(p) for p in given])
            page.wait_for_function(
                "document.querySelector('.colorize-photo').dataset.state != 'working'"
            )
            page.wait_for_selector(state)
            messages.append(
                (root.get_attribute("data-state"), root.query_selector(".cyp-status").inner_text())
            )
        cards = {
            c.get_attribute("data-label"): c.inner_text()
            for c in root.query_selector_all(".cyp-card[data-label]")
        }
        page.set_input_files(".colorize-photo .cyp-file", str(tmp_path / "photo.png"))
        in_python = infer.colorize(model, photo)
        page.wait_for_selector(".colorize-photo:is([data-state=done], [data-state=error])")
        status = root.query_selector(".cyp-status").inner_text()
        views = page.evaluate(_VIEWS_JS, root)
        options = page.eval_on_selector_all(
            ".cyp-pick-after option", "os => os.map(o => o.textContent)"
        )
    finally:
        tab.close()
    tab.check(PHOTO_PAGE)
    print(f"\ndropped: {messages}")
    (s1, m1), (s2, m2), (s3, m3), (s4, m4) = messages
    assert s1 == "error" and "red.onnx has 5000 bytes where red.json says" in m1, m1
    assert s2 == "error" and "red.onnx came without its red.json" in m2, m2
    assert s3 == "ready" and m3.startswith("Added Red:"), m3
    assert s4 == "ready" and m4.startswith("Added Red (2):"), m4  # the same model again
    assert "16 reddish test pictures" in cards["Red"] and "(your model)" in cards["Red"], cards
    assert "colorized in" in status and "Red" in status, status
    assert options == ["gray", "U-Net", "GAN", "Red", "Red (2)", "original"], options
    raw = base64.b64decode(views["Red"].split(",", 1)[1])
    in_browser = np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"))
    lab_b, lab_p = color.rgb_to_lab_np(in_browser), color.rgb_to_lab_np(in_python)
    ab_diff = float(np.linalg.norm(lab_b[..., 1:] - lab_p[..., 1:], axis=-1).mean())
    print(f"dropped model: browser vs infer.colorize, mean ab {ab_diff:.3f}")
    assert ab_diff < 2.0, f"the dropped model's colours differ from Python's by {ab_diff:.2f}"


HINT_PAGE = "notebooks/07_hints"


def _hue_chroma(rgb: np.ndarray, where: np.ndarray) -> tuple[float, float]:
    """Mean hue (degrees, of the mean ab) and mean chroma of ``rgb`` uint8 over ``where``."""
    from colorize_lib import color

    ab = color.rgb_to_lab_np(rgb)[..., 1:][where]  # [n, 2]
    a, b = ab.mean(0)
    return float(np.degrees(np.arctan2(b, a))), float(np.hypot(ab[:, 0], ab[:, 1]).mean())


@pytest.mark.browser
def test_a_lavender_hint_turns_the_meadow_lavender_as_the_command_line_does(
    book_build, server, browser, tmp_path
):
    """Chapter 7's page as a person uses it: pick the meadow's true lavender, click in the
    meadow; the page recolorizes, saves the hint where it was clicked, its colours equal
    `colorize --hints` with the hints the page saved (mean ab difference under 2), and a click
    outside the picture and a bad hints file get one line each."""
    from PIL import Image
    from scipy import ndimage

    from colorize_lib import cli, color, hints
    from colorize_lib.data import files

    _, picture, meadow = hints.lavender_meadow(256)
    Image.fromarray(picture).save(tmp_path / "meadow.png")
    lab = color.rgb_to_lab_np(picture)
    want_hue, want_chroma = _hue_chroma(picture, meadow)
    rgb = color.lab_to_rgb_keep_L(lab[meadow].mean(0)[None, None])[0, 0]
    lavender = "#" + "".join(f"{v:02x}" for v in rgb)
    y, x = np.unravel_index(
        int(np.argmax(ndimage.distance_transform_edt(np.pad(meadow, 1))[1:-1, 1:-1])), meadow.shape
    )
    (tmp_path / "bad.json").write_text('{"hints": [{"x": 1, "y": 1, "color": "purple"}]}')
    tab = _OfflinePage(browser)
    page = tab.page
    ready = "(r) => r.dataset.state === 'ready' && r.hintPage.hints().length === {n}"
    try:
        tab.open(f"{server}/{HINT_PAGE}.html")
        root = page.wait_for_selector(".hint-page[data-state=ready]", timeout=60_000)
        before = np.asarray(page.evaluate("(r) => Array.from(r.lastRgba)", root), np.uint8)
        page.fill(".hint-page .hp-color", lavender)
        canvas = root.query_selector(".hp-canvas")
        canvas.scroll_into_view_if_needed()  # a click lands where the reader sees the picture
        box = canvas.bounding_box()
        page.mouse.click(box["x"] + (x + 0.5) * box["width"] / 256,
                         box["y"] + (y + 0.5) * box["height"] / 256)  # fmt: skip
        page.wait_for_function(ready.format(n=1), arg=root)
        after = np.asarray(page.evaluate("(r) => Array.from(r.lastRgba)", root), np.uint8)
        status = root.query_selector(".hp-status").inner_text()
        with page.expect_download() as saved:
            root.query_selector(".hp-save").click()
        saved.value.save_as(tmp_path / "hints.json")
        page.evaluate("(r) => r.hintPage.add(300, 10)", root)
        outside = root.query_selector(".hp-status").inner_text()
        page.set_input_files(".hint-page .hp-load", str(tmp_path / "bad.json"))
        page.wait_for_function("(r) => r.querySelector('.hp-status.hp-error') !== null", arg=root)
        refusal = root.query_selector(".hp-status").inner_text()
        timings = page.evaluate("(r) => r.hintTimings", root)
    finally:
        tab.close()
    tab.check(HINT_PAGE)
    before = before.reshape(256, 256, 4)[..., :3]
    after = after.reshape(256, 256, 4)[..., :3]
    hue_before, chroma_before = _hue_chroma(before, meadow)
    hue_after, chroma_after = _hue_chroma(after, meadow)
    print(f"\nmeadow: truth hue {want_hue:.0f} deg, chroma {want_chroma:.1f}; no hint: hue "
          f"{hue_before:.0f}, chroma {chroma_before:.1f}; one lavender hint: hue {hue_after:.0f},"
          f" chroma {chroma_after:.1f}; updates (ms): {[round(t) for t in timings]}")  # fmt: skip
    # (whether the meadow turns lavender is the trained network's doing: the tiny build's hint
    # U-Net, one epoch on 32 pictures, has not learned it; benchmarks/bench_hints_page.py
    # --model measures it with the cpu profile's network, in the same page)
    assert after.tolist() != before.tolist(), "the click changed nothing on the page"
    assert "1 hint: colorized 256x256" in status, status
    assert "(300, 10) is outside the 256x256 picture" in outside, outside
    assert "bad.json is not a hints file" in refusal, refusal
    # the command line, with the hints the page saved, colours the meadow the same way
    saved_hints = json.loads((tmp_path / "hints.json").read_text())["hints"]
    assert len(saved_hints) == 1 and saved_hints[0]["color"] == lavender
    assert abs(saved_hints[0]["x"] - (x + 0.5)) < 1 and abs(saved_hints[0]["y"] - (y + 0.5)) < 1
    want = json.loads((book_build.html / "_static" / "models" / "hints.json").read_text())
    (model,) = [p for p in book_build.cache.rglob("model.keras")
                if files.sha256(p) == want["keras_sha256"]]  # fmt: skip
    argv = ["colorize", str(tmp_path / "meadow.png"), "--model", str(model), "--hints",
            str(tmp_path / "hints.json"), "--out", str(tmp_path / "out")]  # fmt: skip
    assert cli.main(argv) == 0
    in_python = np.asarray(Image.open(tmp_path / "out" / "meadow.png").convert("RGB"))
    diff = np.linalg.norm(color.rgb_to_lab_np(after)[..., 1:]
                          - color.rgb_to_lab_np(in_python)[..., 1:], axis=-1).mean()  # fmt: skip
    print(f"page vs colorize --hints: mean ab difference {diff:.3f}")
    assert diff < 2.0, f"the page's colours differ from the command line's by {diff:.2f}"


@pytest.mark.browser
def test_the_hint_page_builds_python_s_hint_maps(browser):
    """hints_page.js's hint maps (HintPage.hintMaps, with ColorizeMath.hexToAb) are
    hints.maps(hints.on_grid(...)) on a 300x200 picture: hints at the borders, two that
    overlap, fractional clicks, x along the width and y along the height."""
    from colorize_lib import hints

    clicks = [(0.0, 0.0, "#b07cd8"), (299.9, 199.9, "#20a040"), (150.4, 10.2, "#c08030"),
              (152.0, 12.0, "#3050d0"), (7.5, 190.0, "#ffffff")]  # fmt: skip
    w, h, s = 300, 200, 64
    want_ab, want_mask = hints.maps(
        hints.on_grid([(x, y, *hints.ab_of_hex(c)) for x, y, c in clicks], w, h, s), s
    )
    folder = ROOT / "book" / "_static" / "colorize_photo"
    page = browser.new_page()
    try:
        for name in ("colorize_photo.js", "hints_page.js"):
            page.add_script_tag(content=(folder / name).read_text(encoding="utf-8"))
        got = page.evaluate(
            """([clicks, w, h, s]) => {
                 const hints = clicks.map(([x, y, color]) => ({x, y, color}));
                 const m = HintPage.hintMaps(hints, w, h, s, 110, ColorizeMath.hexToAb);
                 return {ab: Array.from(m.hintAb), mask: Array.from(m.mask)};
               }""",
            [clicks, w, h, s],
        )
    finally:
        page.close()
    got_ab = np.asarray(got["ab"], np.float32).reshape(s, s, 2)
    got_mask = np.asarray(got["mask"], np.float32).reshape(s, s, 1)
    np.testing.assert_array_equal(got_mask, want_mask)
    np.testing.assert_allclose(got_ab, want_ab, atol=1e-6)


_MATH_JS = """
async ({rgba, ab, w, h, s}) => {
  const M = window.ColorizeMath;
  const abNorm = Float32Array.from(ab, (v) => v / 110);
  const out = await M.colorize(Uint8Array.from(rgba), w, h, s, async () => abNorm);
  const small = M.resize(M.lightness(Uint8Array.from(rgba), w * h), w, h, s, s, "lanczos");
  return {rgba: Array.from(out.rgba), L: Array.from(out.L), small: Array.from(small)};
}
"""


@pytest.mark.browser
def test_the_pages_colour_maths_is_pythons(browser):
    """The page's JavaScript (colorize_photo.js) around the network gives infer.colorize's
    numbers: L, Pillow's Lanczos shrink, bicubic enlargement and the gamut rule, on random
    colours and random ab, most of them outside sRGB."""
    from colorize_lib import infer
    from colorize_lib.data import pictures

    rng = np.random.default_rng(0)
    h, w, s = 37, 53, 16
    rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    ab_small = rng.uniform(-100, 100, (s, s, 2)).astype(np.float32)
    rgba = np.concatenate([rgb, np.full((h, w, 1), 255, np.uint8)], axis=-1)
    page = browser.new_page()
    try:
        page.add_script_tag(
            path=str(ROOT / "book" / "_static" / "colorize_photo" / "colorize_photo.js")
        )
        got = page.evaluate(
            _MATH_JS,
            {
                "rgba": rgba.ravel().tolist(),
                "ab": ab_small.ravel().tolist(),
                "w": w,
                "h": h,
                "s": s,
            },
        )
    finally:
        page.close()
    L = infer.lightness(rgb)
    np.testing.assert_allclose(np.reshape(got["L"], (h, w)), L, atol=1e-4)
    small = pictures.resize(L, s, s, "lanczos")
    np.testing.assert_allclose(np.reshape(got["small"], (s, s)), small, atol=1e-4)
    want = infer._recombine(L, ab_small)  # [h, w, 3] uint8: enlarge ab, keep L, gamut rule
    diff = np.abs(np.reshape(got["rgba"], (h, w, 4))[..., :3] - want.astype(int))
    assert diff.max() <= 1 and (diff > 0).mean() < 0.01, f"{(diff > 0).sum()} values differ"


# --- No page shows the machine that built it -------------------------------------------------
# A page shows the chapter's own output, never the machine that built it: no folder of that
# machine, no object repr with a memory address, no raw warning or log line, no traceback, no
# progress bar, and the epoch lines of a cell's training in one output area (a callback that
# updates its output in place), not one block per print: more than one block of a cell output
# with "epoch N/..." lines is a finding.
#
# `page_leaks` reads a page as a reader sees it: the prose (cell inputs included), the blocks of
# every `div.cell_output` (its direct children: a stream, a result, a picture, a widget view) and
# the text of the embedded widget state. Never <script>/<style> code nor the article header's
# launch (Colab), source and download buttons.
#
# Where: absolute paths of a machine (/root/, /home/<user>, /tmp/, /work/, /Users/, C:\) and the
# build's own folders (`forbidden_paths`: its COLORIZE_CACHE, the repository) are flagged
# everywhere, prose included; object reprs with an address too. `~/.cache` and `site-packages`
# are flagged in outputs only: the prose may document a default, as "Running the book" names
# ~/.cache/colorize-book (the rule is about the build machine's own folders, which only an output
# can show), and may name site-packages as a word (a path through it is flagged). Warnings, log
# lines, tracebacks, progress bars and the other reprs (`<Figure size ...>`) are looked for in
# outputs only: the prose may quote them to explain them.

_VOID_TAGS = frozenset(
    "area base br col embed hr img input link meta param source track wbr".split()
)
_BLOCK_TAGS = frozenset(
    "p div pre li tr td th h1 h2 h3 h4 h5 h6 section dt dd table ul ol blockquote figure "
    "figcaption caption title".split()
)
_HIDDEN_TAGS = frozenset({"script", "style", "template", "noscript"})
_HEADER_CLASSES = frozenset({"bd-header-article"})  # launch, source and download buttons
_WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

_PATH_REST = r"[^\s'\"<>(),;`]*"  # the rest of a path: up to a space, a quote or a bracket
# A machine's absolute paths, not after a host name or a word (https://host/tmp/x is no path).
_MACHINE_PATH = re.compile(
    rf"(?<![\w.~-])(?:(?:/root|/tmp|/work|/Users|/private/var)/|/home/[\w.-]+){_PATH_REST}"
    rf"|(?<!\w)[A-Za-z]:\\{_PATH_REST}"
)
_HOME_CACHE = re.compile(rf"(?:~|\$HOME|%USERPROFILE%)[/\\]\.cache{_PATH_REST}")
_TOKEN_START = r"(?<![^\s'\"<>(),;`])"  # after a space, a quote, a bracket, or at the start
_SITE_PACKAGES = re.compile(rf"{_TOKEN_START}{_PATH_REST}?(?:site|dist)-packages{_PATH_REST}")
_SITE_PACKAGES_PATH = re.compile(
    rf"{_TOKEN_START}{_PATH_REST}?(?:[/\\](?:site|dist)-packages|(?:site|dist)-packages[/\\])"
    + _PATH_REST
)
_ADDRESS_REPR = re.compile(r"<[^<>\n]{1,200}? at 0x[0-9a-fA-F]+>|\bat 0x[0-9a-fA-F]{6,}\b")
_OTHER_REPR = re.compile(
    r"<(?:Figure|Axes|AxesSubplot)\b[^<>\n]*>|<matplotlib\.[\w.]+[^<>\n]*>"
    r"|^\s*(?:Text|Line2D)\(.*\)\s*$",
    re.M,
)
_LINE_RULES: tuple[tuple[str, re.Pattern], ...] = (
    ("warning line", re.compile(r"^\s*(?:warning|Warning|WARNING)\s*[:|]")),
    (
        "python warning",
        re.compile(
            r"(?:\.pyx?|>):\d+: \w*Warning\b|^\s*warnings\.warn\("
            r"|^\s*\w*(?:UserWarning|DeprecationWarning|FutureWarning|RuntimeWarning)\s*:"
        ),
    ),
    (
        "tensorflow/absl log",
        re.compile(
            r"^\s*[IWEF]\d{4} \d\d:\d\d:\d\d|oneDNN|cpu_feature_guard|absl::|"
            r"This TensorFlow binary|TF_ENABLE_ONEDNN_OPTS|\b\w+\.cc:\d+\]|"
            r"^\s*(?:INFO|ERROR|DEBUG|CRITICAL):[\w.]*:"
        ),
    ),
    (
        "traceback",
        re.compile(
            r"Traceback \(most recent call last\)|^\s*File \"[^\"]+\", line \d+"
            r"|^\s*\w+(?:Error|Exception)\s+Traceback\b"
        ),
    ),
    (
        "progress bar",  # tqdm (100%|███| 5/5 [00:01<00:00, 3.2it/s]), Keras 2 and 3
        re.compile(
            r"\d+%\|[^|\n]*\||\d(?:\.\d+)?\s*(?:it/s|s/it)\]|\[\d\d:\d\d<|━━━"
            r"|\d+/\d+ \[[=>.]+\]|\b\d+m?s/step\b"
        ),
    ),
)
_EPOCH_LINE = re.compile(r"^\s*epoch (\d+)/(\d+)", re.I | re.M)
_PROGRESS_MODELS = frozenset({"FloatProgressModel", "IntProgressModel"})


def _snippet(text: str, start: int, end: int, width: int = 90) -> str:
    """The match with some context around it, on one line, at most `width` characters."""
    pad = max(0, (width - (end - start)) // 2)
    return " ".join(text[max(0, start - pad) : end + pad].split())[:width]


class _ReadersText(HTMLParser):
    """A page's text as a reader sees it.

    `prose`: the text outside cell outputs; `outputs`: per `div.cell_output`, the text of each
    of its blocks (direct children); `widget_states`: the JSON of the embedded widget state.
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.prose: list[str] = []
        self.outputs: list[list[list[str]]] = []
        self.widget_states: list[str] = []
        self._stack: list[tuple[str, str]] = []  # open (tag, role): "", hidden, state, cell
        self._hidden = 0  # open elements whose text no reader sees
        self._in_state = False
        self._cell_depth: int | None = None  # len(self._stack) inside the open cell output

    def _target(self) -> list[str] | None:
        if self._hidden:
            return None
        if self._cell_depth is None:
            return self.prose
        return self.outputs[-1][-1] if self.outputs[-1] else None

    def _newline(self) -> None:
        target = self._target()
        if target is not None:
            target.append("\n")

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self._cell_depth == len(self._stack) and not self._hidden:
            self.outputs[-1].append([])  # a direct child of the cell output: a new block
        if tag in _VOID_TAGS:
            if tag == "br":
                self._newline()
            return
        role = ""
        if tag in _HIDDEN_TAGS:
            role = "state" if a.get("type") == _WIDGET_STATE else "hidden"
        elif set((a.get("class") or "").split()) & _HEADER_CLASSES:
            role = "hidden"
        elif "cell_output" in (a.get("class") or "").split() and self._cell_depth is None:
            role = "cell"
        if tag in _BLOCK_TAGS:
            self._newline()
        self._stack.append((tag, role))
        if role in ("hidden", "state"):
            self._hidden += 1
            self._in_state = role == "state"
        elif role == "cell" and not self._hidden:
            self.outputs.append([])
            self._cell_depth = len(self._stack)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in _VOID_TAGS or all(open_tag != tag for open_tag, _ in self._stack):
            return  # a stray end tag
        while self._stack:
            open_tag, role = self._stack.pop()
            if role in ("hidden", "state"):
                self._hidden -= 1
                self._in_state = False
            elif role == "cell" and self._cell_depth == len(self._stack) + 1:
                self._cell_depth = None
            if open_tag in _BLOCK_TAGS:
                self._newline()
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self._in_state:
            self.widget_states.append(data)
            return
        if self._hidden:
            return
        if self._cell_depth == len(self._stack):
            if not data.strip():
                return
            self.outputs[-1].append([])  # loose text in the cell output: a block of its own
        target = self._target()
        if target is not None:
            target.append(data)


def _spans(patterns, text: str) -> list[tuple[re.Pattern, int, int]]:
    """Every match of the patterns in text, in the patterns' order, without overlaps."""
    taken: list[tuple[re.Pattern, int, int]] = []
    for pattern in patterns:
        for m in pattern.finditer(text):
            if m.end() > m.start() and not any(m.start() < e and s < m.end() for _, s, e in taken):
                taken.append((pattern, m.start(), m.end()))
    return taken


def _path_findings(text: str, forbidden_paths: list[str], *, output: bool) -> list[str]:
    own = [
        re.compile(re.escape(p) + _PATH_REST)
        for p in sorted({str(p).rstrip("/\\") for p in forbidden_paths}, key=len, reverse=True)
        if p
    ]
    rules = {p: "build folder" for p in own}
    rules[_MACHINE_PATH] = "absolute path"
    if output:
        rules[_HOME_CACHE] = "home cache folder"
        rules[_SITE_PACKAGES] = "site-packages"
    else:
        rules[_SITE_PACKAGES_PATH] = "site-packages"
    where = "output" if output else "prose"
    return [
        f"{rules[pattern]} in {where}: {_snippet(text, start, end)}"
        for pattern, start, end in sorted(_spans(rules, text), key=lambda span: span[1])
    ]


def _output_findings(text: str) -> list[str]:
    """Object reprs, warnings, log lines, tracebacks and progress bars in an output's text."""
    found = [
        f"object repr: {_snippet(text, start, end)}"
        for _, start, end in _spans((_ADDRESS_REPR, _OTHER_REPR), text)
    ]
    for line in text.replace("\r", "\n").splitlines():
        for what, pattern in _LINE_RULES:
            if pattern.search(line):
                found.append(f"{what}: {' '.join(line.split())[:90]}")
                break
    return found


def _widget_findings(state_json: str, forbidden_paths: list[str]) -> list[str]:
    """Progress bars (tqdm's HBox of HTML, FloatProgress, HTML) in the embedded widget state, and
    leaks in the text its widgets show (labels, HTML, options, Output widgets' outputs)."""
    try:
        state = json.loads(state_json)["state"]
    except (ValueError, KeyError, TypeError):
        return ["widget state: not readable as JSON"]
    in_hbox = {
        child.removeprefix("IPY_MODEL_")
        for model in state.values()
        if model.get("model_name") == "HBoxModel"
        for child in model.get("state", {}).get("children", [])
    }
    found, texts = [], []

    def collect(value):
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, list):
            for item in value:
                collect(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                if not key.startswith(("_model_", "_view_")) and key not in ("layout", "style"):
                    collect(item)

    for model_id, model in state.items():
        fields = model.get("state", {})
        if model.get("model_name") in _PROGRESS_MODELS:
            how = "in an HBox, as tqdm makes it" if model_id in in_hbox else "alone"
            found.append(
                f"progress widget: {model['model_name']} at {fields.get('value')}/"
                f"{fields.get('max')} ({how})"
            )
        collect(fields)
    for text in texts:
        if not text.startswith("IPY_MODEL_"):
            found += [f"{f} (widget)" for f in _path_findings(text, forbidden_paths, output=True)]
            found += [f"{f} (widget)" for f in _output_findings(text)]
    return found


def _split_training_logs(blocks: list[str]) -> list[str]:
    """Epoch lines ("epoch 2/5 ...") in more than one block of a cell output.

    A training shows its epochs in one output area, updated in place, not one block per print
    or per figure. A cell that trains twice shows both runs in that one area too (as chapter 5
    does): in the tiny profile every run has a single epoch, so a count of blocks is the only way
    to tell a training log that is split from one that is not.
    """
    firsts = [" ".join(m.group(0).split()) for b in blocks if (m := _EPOCH_LINE.search(b))]
    if len(firsts) <= 1:
        return []
    shown = ", ".join(firsts[:5]) + (", ..." if len(firsts) > 5 else "")
    return [f"epoch lines in {len(firsts)} output blocks of one cell: {shown}"]


def page_leaks(html_text: str, forbidden_paths: list[str]) -> list[str]:
    """What a built page shows of the machine that built it: short findings ("what: snippet",
    at most 120 characters each), [] for a clean page. `forbidden_paths`: folders of the build
    that no page may name (its COLORIZE_CACHE, the repository). What and where: see above."""
    page = _ReadersText()
    page.feed(html_text)
    page.close()
    prose = "".join(page.prose)
    found = _path_findings(prose, forbidden_paths, output=False)
    found += [
        f"object repr in prose: {_snippet(prose, start, end)}"
        for _, start, end in _spans((_ADDRESS_REPR,), prose)
    ]
    for cell in page.outputs:
        blocks = ["".join(block) for block in cell]
        for text in blocks:
            found += _path_findings(text, forbidden_paths, output=True)
            found += _output_findings(text)
        found += _split_training_logs(blocks)
    for state_json in page.widget_states:
        found += _widget_findings(state_json, forbidden_paths)
    return [f[:120] for f in found]


def test_no_page_shows_the_machine_that_built_it(book, book_build):
    forbidden = {
        str(path)
        for folder in (book_build.cache, ROOT, book_build.html.parents[1], Path.home())
        for path in (folder, folder.resolve())
        if len(path.parts) > 1
    }
    report = []
    for page in _toc_files():
        findings = page_leaks(
            (book / f"{page}.html").read_text(encoding="utf-8"), sorted(forbidden)
        )
        if findings:
            counts: dict[str, int] = {}
            for finding in findings:
                counts[finding] = counts.get(finding, 0) + 1
            shown = [f"  {f}" + (f" (x{n})" if n > 1 else "") for f, n in counts.items()]
            report.append(f"{page} ({len(findings)}):\n" + "\n".join(shown[:20]))
            if len(shown) > 20:
                report.append(f"  ... and {len(shown) - 20} more")
    assert not report, "pages show the machine that built them:\n" + "\n".join(report)


# Unit tests of page_leaks on hand-written pages (no build needed).
_BUILD = ["/srv/ci/build-cache", "/srv/ci/checkout"]


def _page(prose: str = "", *outputs: str, state: dict | None = None) -> str:
    """A page as Jupyter Book 1 writes it: head, header buttons, prose, cells, widget state.
    Each output is the inner HTML of one div.cell_output, or the text of a stream."""
    cells = "".join(
        '<div class="cell docutils container"><div class="cell_input docutils container">'
        '<div class="highlight-ipython3 notranslate"><div class="highlight"><pre><span></span>'
        'train()</pre></div></div></div><div class="cell_output docutils container">\n'
        + (out if out.startswith(("<div", "<img", "<script")) else _stream(out))
        + "\n</div></div>"
        for out in outputs
    )
    widget_state = (
        f'<script type="{_WIDGET_STATE}">{json.dumps({"state": state, "version_major": 2})}'
        "</script>"
        if state
        else ""
    )
    return (
        "<!DOCTYPE html><html><head><title>Chapter</title>"
        '<link rel="stylesheet" href="../_static/styles/theme.css?v=1" />'
        '<script>var DOCUMENTATION_OPTIONS = {path: "/tmp/build/", x: "<Foo at 0x7f00aa>"};</script>'
        "<style>.a { background: url(/home/alice/a.png) }</style></head><body>"
        '<div class="bd-header-article d-print-none"><ul class="dropdown-menu"><li><a '
        'href="https://colab.research.google.com/github/o/r/blob/main/notebooks/03.ipynb">'
        '<img alt="Colab logo" src="../_static/images/logo_colab.png">'
        '<span class="btn__text-container">Colab /tmp/not-read/</span></a></li></ul></div>'
        f'<main><article class="bd-article"><section><h1>Chapter</h1><p>{prose}</p>{cells}'
        f"</section></article></main>{widget_state}</body></html>"
    )


def _stream(text: str) -> str:
    return (
        '<div class="output stream highlight-myst-ansi notranslate"><div class="highlight">'
        f"<pre><span></span>{html_escape(text)}</pre></div></div>"
    )


def test_page_leaks_passes_a_clean_page():
    page = _page(
        "Models are cached in <code class='docutils literal notranslate'><span class='pre'>"
        "~/.cache/colorize-book/&lt;profile&gt;/</span></code> (set COLORIZE_CACHE); pip puts "
        "packages in site-packages; see https://example.org/tmp/work/x and <em>C</em>: ok.",
        "epoch 1/3  loss 0.5\nepoch 2/3  loss 0.4\nepoch 3/3  loss 0.3\n",
        "training at 32x32\nepoch 1/1  loss 0.3\ntraining at 64x64\nepoch 1/1  loss 0.2\n",
        _stream("epoch 1/2  loss 0.3\nepoch 2/2  loss 0.2")
        + '<img alt="x" src="../_images/x.png" />',
        "PSNR 21.3 dB, 87% of pixels within 10 units; 5/5 pictures; cached model reused\n",
        '<div class="output text_plain highlight-myst-ansi notranslate"><div class="highlight">'
        "<pre><span></span>(8, 32, 32, 2)</pre></div></div>",
    )
    assert page_leaks(page, _BUILD) == []


@pytest.mark.parametrize(
    ("output", "kind"),
    [
        ("saved to /root/.cache/colorize-book/tiny/unet-1/model.keras", "absolute path"),
        ("reading /home/alice/photos/a.jpg", "absolute path"),
        ("wrote /tmp/tmpab12/x.png", "absolute path"),
        ("data in /work/shared/landscapes-128", "absolute path"),
        ("/Users/bob/Library/Caches/x", "absolute path"),
        ("C:\\Users\\bob\\model.keras", "absolute path"),
        ("models live in ~/.cache/colorize-book", "home cache folder"),
        ("keras/src/ops.py in .venv/lib/python3.12/site-packages/keras", "site-packages"),
        ("cached in /srv/ci/build-cache/tiny/unet-0666a366c07e", "build folder"),
        ("notebook /srv/ci/checkout/notebooks/03_unet.ipynb", "build folder"),
        ("<matplotlib.legend.Legend at 0x7f5bcb506690>", "object repr"),
        ("<Figure size 640x480 with 1 Axes>", "object repr"),
        ("<keras.src.callbacks.history.History at 0x7f1e2c0>", "object repr"),
        ("[<matplotlib.lines.Line2D object at 0x7f00>]", "object repr"),
        ("Text(0.5, 1.0, 'gray')", "object repr"),
        ("warning: could not load imagenet weights", "warning line"),
        ("Warning: the cache is stale", "warning line"),
        ("WARNING:absl:Compiled the loaded model, but the compiled metrics", "warning line"),
        ("ops.py:12: UserWarning: the input is empty", "python warning"),
        ("x.py:3: DeprecationWarning: use y", "python warning"),
        ("<ipython-input-3>:1: FutureWarning: a change", "python warning"),
        ("  warnings.warn(", "python warning"),
        ("I0000 00:00:1733 12345 port.cc:153] oneDNN custom operations are on", "tensorflow"),
        ("W0000 00:00:1733.5 1 cpu_feature_guard.cc:210] This TensorFlow binary", "tensorflow"),
        ("2025-01-01 oneDNN custom operations are on", "tensorflow"),
        ("Traceback (most recent call last):", "traceback"),
        ('  File "/x/y.py", line 3, in f', "traceback"),
        ("100%|██████████| 5/5 [00:01<00:00,  3.20it/s]", "progress bar"),
        (" 40%|####      | 2/5 [00:00<00:01, 2.1it/s]", "progress bar"),
        ("4/4 ━━━━━━━━━━━━━━━━━━━━ 0s 12ms/step", "progress bar"),
        ("4/4 [==============================] - 1s 5ms/step", "progress bar"),
    ],
)
def test_page_leaks_catches_in_an_output(output, kind):
    findings = page_leaks(_page("A chapter.", output), _BUILD)
    assert findings, f"nothing found in {output!r}"
    assert findings[0].startswith(kind), findings
    assert all(len(f) <= 120 for f in findings)


@pytest.mark.parametrize(
    ("prose", "kind"),
    [
        ("the model is in /root/.cache/colorize-book/tiny", "absolute path in prose"),
        ("run it from /home/alice/colorize", "absolute path in prose"),
        ("see /tmp/leaks/x", "absolute path in prose"),
        ("built in /srv/ci/checkout", "build folder in prose"),
        ("from /usr/lib/python3/site-packages/keras", "site-packages in prose"),
        ("the callback &lt;Callback at 0x7f0011aa&gt; is", "object repr in prose"),
    ],
)
def test_page_leaks_catches_in_the_prose(prose, kind):
    findings = page_leaks(_page(prose), _BUILD)
    assert [f.split(":")[0] for f in findings] == [kind], findings


def test_page_leaks_catches_a_path_in_an_html_output_and_a_widget():
    table = (
        '<div class="output text_html"><table><tr><td>model</td>'
        "<td>/tmp/bench_unet/unet.keras</td></tr></table></div>"
    )
    assert page_leaks(_page("", table), _BUILD) == [
        "absolute path in output: model /tmp/bench_unet/unet.keras"
    ]
    state = {"a1": {"model_name": "LabelModel", "state": {"value": "saved to /work/x.png"}}}
    assert page_leaks(_page("", state=state), _BUILD) == [
        "absolute path in output: saved to /work/x.png (widget)"
    ]


def test_page_leaks_catches_a_tqdm_widget():
    def model(name, **state):
        return {"model_name": name, "model_module": "@jupyter-widgets/controls", "state": state}

    state = {
        "bar": model("FloatProgressModel", value=5, max=5, layout="IPY_MODEL_l"),
        "pre": model("HTMLModel", value="100%"),
        "post": model("HTMLModel", value=" 5/5 [00:01&lt;00:00,  3.20it/s]"),
        "box": model("HBoxModel", children=["IPY_MODEL_pre", "IPY_MODEL_bar", "IPY_MODEL_post"]),
        "l": model("LayoutModel"),
    }
    view = '<script type="application/vnd.jupyter.widget-view+json">{"model_id": "box"}</script>'
    findings = page_leaks(_page("", view, state=state), _BUILD)
    assert "progress widget: FloatProgressModel at 5/5 (in an HBox, as tqdm makes it)" in findings
    assert any(f.startswith("progress bar:") for f in findings), findings


def test_page_leaks_catches_one_training_in_several_output_blocks():
    figure = '<img alt="strip.png" src="../_images/strip.png" />'
    split = _stream("epoch 1/3  loss 0.5") + figure + _stream("epoch 2/3  loss 0.4\nepoch 3/3")
    assert page_leaks(_page("", split), _BUILD) == [
        "epoch lines in 2 output blocks of one cell: epoch 1/3, epoch 2/3"
    ]
    one_per_print = "".join(_stream(f"epoch {n}/3  loss 0.{n}") for n in (1, 2, 3))
    assert page_leaks(_page("", one_per_print), _BUILD) == [
        "epoch lines in 3 output blocks of one cell: epoch 1/3, epoch 2/3, epoch 3/3"
    ]
    two_runs = _stream("at 32x32\nepoch 1/1  loss 0.3") + _stream("at 64x64\nepoch 1/1  loss 0.2")
    assert page_leaks(_page("", two_runs), _BUILD) == [
        "epoch lines in 2 output blocks of one cell: epoch 1/1, epoch 1/1"
    ]
    # the lines in one output area, or in the outputs of two cells: no finding
    assert page_leaks(_page("", _stream("epoch 1/3\nepoch 2/3\nepoch 3/3")), _BUILD) == []
    assert page_leaks(_page("", "epoch 1/2", "epoch 2/2"), _BUILD) == []
