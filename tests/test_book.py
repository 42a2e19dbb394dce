"""The whole book builds (tiny profile), and its pages work offline in a real browser.

One session-wide build of the repository with `jupyter-book build` (the `book` fixture of
conftest.py, shared with test_notebooks.py: every notebook executed once; an execution error
fails the build). Then:
- every page of `_toc.yml` exists, chapter pages carry a Colab launch button for the repository
  of `_config.yml`, and nothing a page loads comes from another host (widget JS, MathJax, fonts);
- Debian's headless Chromium (driven by playwright with `executable_path`, never
  `playwright install`) opens chapters 1 and 2 served on 127.0.0.1 with every other address
  blocked, moves a comparison slider with the keyboard and checks that the picture shown changed.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
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
    finally:
        tab.close()
    tab.check(PHOTO_PAGE)
    assert all(link.startswith("blob:") for link in links), links
    assert "notes.txt is not a picture" in refusal, refusal

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
