"""What every chapter shows, read from the notebooks as the book build executed them.

The session-wide book build (`book_build` in conftest.py, tiny profile, empty cache) is the
suite's only execution of the notebooks: myst-nb writes each executed notebook, outputs and
widget state included, to `<path-output>/_build/jupyter_execute/<page>.ipynb`, and these tests
read those copies. The list comes from a glob of notebooks/*.ipynb and book/*.ipynb, so a new
chapter gets the generic checks as soon as it lands (it is in _toc.yml and was executed, ran
in the tiny profile, has no error output, its widgets are saved with the page and its sliders
switch pictures without a kernel, it prints no TensorFlow log lines). What each chapter shows
in particular (figures, sliders, rows of its tables, HTML) is the table `SHOWS` below.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "book").glob("*.ipynb"))
PAGES = [p.relative_to(ROOT).with_suffix("").as_posix() for p in NOTEBOOKS]  # as in _toc.yml
CHAPTERS = [p for p in PAGES if p.startswith("notebooks/")]  # those print their profile

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# A number as the tables print it: 16.45, -76.5, +0.0, 111,649, 4%.
NUMBER = r"[-+]?\d[\d,]*(?:\.\d+)?%?"
# TensorFlow/absl log lines that must not reach a page (TF_CPP_MIN_LOG_LEVEL only silences C++).
TF_LOG = re.compile(r"WARNING:tensorflow|retracing|^[EWIF]\d{4} \d\d:\d\d:\d\d", re.MULTILINE)
# Chapters that print TensorFlow log lines today (another issue removes them): their
# test_no_tensorflow_log_lines is an expected failure, see there.
TF_LOG_KNOWN: dict[str, str] = {}  # page -> the log line it still prints, while a fix is pending


def hedge_row(label: str) -> str:
    """A line of ``ambiguity.format_hedge``'s table: chroma and share of the truth's, twice."""
    share = r"[\d.]+ \(\s*\d+% of truth\)"
    return rf"^{re.escape(label)}\s+{share}\s+{share}$"


def row(label: str, numbers: int) -> str:
    """A line of a printed table: the row's label, then at least `numbers` numbers."""
    return rf"^\s*{re.escape(label)}(?:\s+{NUMBER}){{{numbers},}}\s*$"


@dataclasses.dataclass(frozen=True)
class Shows:
    """What a page shows, at least (all optional)."""

    figures: int = 0  # image/png outputs (matplotlib figures, IPython images)
    # The sliders, in the order of the page: the labels each one offers (the start of a label
    # is enough, e.g. "gray 8 (" for "gray 8 (1,803 colours)").
    sliders: tuple[tuple[str, ...], ...] = ()
    text: tuple[str, ...] = ()  # regexes, each matching a whole line of the printed text
    html: tuple[str, ...] = ()  # regexes, each found in one of its HTML outputs


# What each page shows. Adjust it here when a chapter's printed text or pictures change.
SHOWS: dict[str, Shows] = {
    "notebooks/01_grayscale": Shows(
        figures=6,
        sliders=(("colour", "BT.601 luma", "BT.709 luma", "average", "CIE L*"),),
        text=(
            *(row(c, 6) for c in ("red", "green", "blue", "yellow", "cyan", "magenta")),
            row("mid gray", 6),  # gray of named colours under the 6 rules
            r"^encoded 0\.5 is 0\.\d+ of the light; half the light encodes as .*",
            r"^FAIL: .*",  # the exercise as given (the plain average)
            r"^PASS: .*BT\.601.*",  # and its solution
        ),
        html=(r'<input[^>]*type="range"',),  # the gray/colour wipe
    ),
    "notebooks/02_ambiguous_colors": Shows(
        figures=9,
        sliders=(("gray 8 (", "gray 136 (", "gray 248 ("), ("L = 10", "L = 50", "L = 90")),
        text=(
            r"^16,777,216 colours counted in [\d.]+ s$",
            r"^busiest level: \d+ with [\d,]+ colours$",
            *(rf"^pair {k}: RGB \(.*\) and \(.*\): both gray \d+, .*" for k in (1, 2, 3, 4)),
            r"^L in \[\d+, \d+\], a in \[-?\d+, -?\d+\], b in \[-?\d+, -?\d+\]$",
            r"^share of the ab square inside the gamut, L = 10\.\.90: \[.*\]$",
            # the procedural landscapes' ambiguous elements: options with one gray
            *(
                rf"^{e} \({o}\): largest difference in L between them [\d.]+; "
                rf"colourfulness [\d.]+(, [\d.]+)+$"
                for e, o in (
                    ("meadow", "green, lavender"),
                    ("forest", "summer, autumn"),
                    ("lake", "blue, green, brown"),
                )
            ),
            r"^of the \d+ landscapes above, \d+% have a meadow, forest or lake; \d+% of all their "
            r"pixels are such places$",
            *(  # each option's mean colourfulness over the landscapes that show the element
                rf"^{e} \({o}\): in \d+ of the \d+ landscapes(, mean colourfulness [\d.]+(, [\d.]+)+)?$"
                for e, o in (
                    ("meadow", "green, lavender"),
                    ("forest", "summer, autumn"),
                    ("lake", "blue, green, brown"),
                )
            ),
            r"^FAIL: their gray levels differ.*",
            r"^PASS: both are gray level \d+.*",
        ),
    ),
    "notebooks/03_unet": Shows(
        figures=4,  # the L1 / L2 guesses, the training samples, the loss curves, the hedge
        sliders=(("gray", "U-Net", "truth"), ("gray", "U-Net", "truth")),
        text=(
            r"^input  L_norm : \(\d+, \d+, \d+, 1\) .*",
            r"^target ab_norm: \(\d+, \d+, \d+, 2\) .*",
            r"^MobileNetV2[\w.-]*: \d+ layers\.$",
            r"^(Its weights come from ImageNet\.|ImageNet's weights could not be downloaded here, .*)$",
            *(rf"^ *{s}  \w+ +-> \(\d+, \d+, \d+, \d+\)$" for s in ("/2", "/16", "/32")),  # taps
            r"^bottleneck \(\d+, \d+, \d+, \d+\) \+ skip /16 \(.*\) -> \(\d+, \d+, \d+, \d+\)$",
            r"^unet_\w+: [\d,]+ parameters \([\d,]+ trainable\)$",
            r"^dec2_relu2 +-> \(None, \d+, \d+, \d+\)$",
            r"^on L_batch: \(\d+, \d+, \d+, 2\) in \[-?[\d.]+, -?[\d.]+\]$",
            # the chapter's U-Net, compared with the library's layer by layer
            r"^same layers, shapes and [\d,]+ parameters as colorize_lib\.models\.build_unet .*",
            r"^FAIL: for c_in=\d+, c_skip=\d+, filters=\d+ you counted .*",  # exercise as given
            r"^PASS: for c_in=\d+.*",  # and its solution (the checker wraps its lines)
            r"^FAIL: on a pixel green in 7 photos of 10, red in 3, your L1 guess .*",
            r"^PASS: on a pixel green in 7 photos of 10 and red in 3, the L1 guess is the green.*",
            # one line an epoch, with the cosine schedule's learning rate (its peak first)
            r"^epoch 1/\d+  loss [\d.e-]+  val_loss [\d.e-]+  learning_rate 0\.001  \(\d+ s\)$",
            r"^\s*PSNR dB\s+SSIM\s+ab error$",  # the metrics table
            row("U-Net", 3),
            row("gray (no colour)", 3),
            row("mean colour", 3),
            # the hedge: chroma where the colour is ambiguous and where context decides
            r"^\s*chroma where ambiguous\s+chroma where context decides$",
            *(hedge_row(name) for name in ("truth", "U-Net")),
            r"^where context decides the U-Net keeps \d+% of the truth's chroma, where it cannot "
            r"only \d+%: it hedges$",
            r"^usage: .*colorize.*",  # the command line's help
        ),
    ),
    "notebooks/04_gan": Shows(
        figures=2,  # the training samples, the loss history
        sliders=(("gray", "U-Net", "GAN", "truth"), ("gray", "U-Net", "GAN", "truth")),
        text=(
            r"^downsample: \(4, \d+, \d+, 3\) -> \(4, \d+, \d+, 64\) -> \(4, \d+, \d+, 128\)$",
            r"^output: \(None, \d+, \d+, 1\): a \d+x\d+ grid of logits, one per patch$",
            # the chapter's discriminator and GAN are the library's (the cells raise otherwise)
            r"^same \d+ layers and [\d,]+ parameters as colorize_lib\.models\.build_discriminator$",
            r"^one step of the chapter's GAN and of gan\.ColorizationGAN from the same weights: "
            r"largest weight difference [\d.e-]+ \(the step moved weights by up to [\d.e-]+\);.*",
            r"^FAIL: for n_down=3 it gave 22 pixels; .*",  # exercise 1 as given (wrapped:)
            r"^  You left out the two 4x4 convolutions .*",
            r"^PASS: 16, 34, 70, 142 pixels .*",  # and its solution
            r"^each logit of D sees a 70x70-pixel patch$",
            r"^FAIL: with label_smoothing=0\.0 it gave .*",  # exercise 2 as given
            r"^  .*halve it.*",
            r"^PASS: your loss equals gan\.discriminator_loss, .*",  # and its solution
            r"^epoch 1/\d+  .*d_loss [\d.e-]+  .*val_l1 [\d.e-]+  \(\d+ s\)$",  # one line an epoch
            r"^discriminator: n_down = \d, \d+-pixel patches on \d+-pixel pictures$",
            r"^GAN fine-tuning: \d+ warm-up epoch\(s\) of the discriminator alone, then \d+ GAN "
            r"epoch\(s\) with λ = [\d.]+; last epoch: \{.*\}$",
            r"^\d+ held-out pictures; colourfulness of the truth: [\d.]+$",
            r"^\s*PSNR dB\s+colourful\s+\|gap\| to truth$",
            row("gray", 3),
            row("U-Net", 3),
            row("GAN", 3),
            r"^the GAN (closed|widened) \d+% of the U-Net's colourfulness gap; PSNR [-+][\d.]+ dB$",
            *(hedge_row(name) for name in ("truth", "U-Net", "GAN")),
            r"^where the colour is ambiguous the GAN brought back -?\d+% of the chroma the "
            r"U-Net's hedge had lost$",
        ),
    ),
    "notebooks/05_evaluation": Shows(
        figures=6,
        text=(
            r"^\d+ held-out pictures \d+x\d+; mean training colour a=-?[\d.]+, b=-?[\d.]+$",
            r"^\s*PSNR dB\s+SSIM\s+ab error\s+colourful\s+\|gap\|\s+AUC 0-150$",
            r"^the models learned from: .*",
            *(row(name, 6) for name in ("gray", "mean colour", "U-Net", "GAN")),
            r"^from gray to U-Net: PSNR dB .*",
            r"^over all \d+ held-out pictures: gray PSNR [\d.]+ dB, hue-turned PSNR .*",
            r"^mean ab error, outdoor: [\d.]+$",
            r"^mean ab error, out-of-domain: [\d.]+$",
            r"^training at \d+x\d+ for \d+ epoch\(s\), from chapter 3's weights$",
            r"^trained at \d+px(\s+" + NUMBER + r"){6}$",  # the resolution table
            r"^photo \d+x\d+, model working size \d+$",
            r"^picture \d+: ab error [\d.]+, .*",  # the failure patterns, counted
            r"^the \d+ worst pictures: \d+ (washed out|wrong hue|wrong places).*",
            r"^best PSNR: .* \([\d.]+ dB\)$",  # the resolution study
            r"^FAIL: on one flat orange .*",  # the exercises as given (the hints wrap)
            r"^PASS: your function agrees with Hasler & Suesstrunk's formula .*",  # and solved
            r"^FAIL: on a prediction 10 too low .*",
            r"^PASS: your function agrees with metrics\.psnr .*",
        ),
        html=(r"Which one is the real photo\?", r'alt="pair 1, left picture"'),  # the quiz
    ),
    "notebooks/06_colorize_your_photo": Shows(
        text=(
            *(
                rf"^{label}: {name}\.onnx: [\d.]+ MB \(float16 weights, \d+x\d+, "
                r"max \|ONNX - Keras\| [\d.e+-]+ Lab units\)$"
                for label, name in (("U-Net", "unet"), ("GAN", "gan"))
            ),
            r"^page weight: [\d.]+ MB = runtime [\d.]+ MB \(onnxruntime-web, .*\) \+ models .*",
            # the book's own models, and those pinned in book/web-models.txt if any
            r"^the page's models: U-Net, GAN(, .+| \(the book's own; no others were named for "
            r"this build\))$",
            r"^colorize-models\.zip \([\d.]+ MB\): the U-Net and the GAN, for the page$",
        ),
        # the in-browser colorizer: its file input, the vendored runtime, the page's script
        html=(
            r'class="cyp-file"',
            r'src="\.\./_static/ort\.wasm\.min\.js"',
            r'class="cyp-card"',  # what each model learned from
            r'class="cyp-sample"',  # a picture of the models' own world
        ),
    ),
    "notebooks/07_hints": Shows(
        figures=2,  # training hints; PSNR against hints
        sliders=(("0 hints", "1 hint", "2 hints", "5 hints", "10 hints", "20 hints"),),
        text=(
            r"^same layers, shapes and [\d,]+ parameters as colorize_lib\.models\.build_hint_unet",
            r"^with no hint, \|hint U-Net - U-Net\| is at most 0\.0e\+00 \(ab_norm\)$",
            r"^hints  PSNR, random  PSNR, worst  ab error, random  ab error, worst$",
            r"^10 hints where it is most wrong: [+-]\d+\.\d\d dB$",
            r"^per hint, placed where most wrong: the first [+-]\d+\.\d\d dB, each of the last "
            r"ten [+-]\d+\.\d\d dB$",
            r"^how many: geometric, p = 0\.125, at most \d+; none for \d+% of the pictures",
            r"^chroma kept where ambiguous: U-Net \d+%, with one hint per element \d+% of the "
            r"truth's$",
            r"^ab error where ambiguous: U-Net [\d.]+, one hint per element [\d.]+$",
            r"^hint U-Net: hints\.onnx: [\d.]+ MB \(float16 weights",
        ),
        # the clickable page: its canvas, the vendored runtime, the chapter's script
        html=(r'class="hint-page"', r'src="\.\./_static/hints_page\.js"', r'class="hp-canvas"'),
    ),
    # in a clone, as in the book build, the results table (outside one a line: test_colab.py)
    "book/benchmarks": Shows(html=(r"<table",)),
}


@pytest.fixture(scope="session")
def executed(book_build):
    """page -> the notebook as the book build executed it (read once per session)."""
    cache: dict[str, nbformat.NotebookNode] = {}

    def read(page: str) -> nbformat.NotebookNode:
        if page not in cache:
            path = book_build.notebook(page)
            if not path.exists():
                found = sorted(
                    p.relative_to(book_build.executed).as_posix()
                    for p in book_build.executed.rglob("*.ipynb")
                )
                pytest.fail(
                    f"{page}.ipynb was not executed by the book build (no {path}); is it in "
                    f"_toc.yml? Executed notebooks: {found}",
                    pytrace=False,
                )
            cache[page] = nbformat.read(path, as_version=4)
        return cache[page]

    return read


def _outputs(nb) -> list[tuple[int, dict]]:
    """(cell index, output) of every code cell, in order, as the page shows them: a cell tagged
    ``remove-stderr`` (a chapter's setup cell, where TensorFlow loads) shows no stderr."""
    return [
        (i, out)
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if not (out.get("name") == "stderr" and "remove-stderr" in cell.metadata.get("tags", []))
    ]


def _printed(nb) -> str:
    """The text a reader sees: printed streams and plain-text results (no figure reprs)."""
    parts = []
    for _, out in _outputs(nb):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif set(out.get("data", {})) == {"text/plain"}:
            parts.append(out["data"]["text/plain"] + "\n")
    return "".join(parts)


def _tail(text: str, n: int = 3000) -> str:
    return text if len(text) <= n else "...\n" + text[-n:]


def _widget_state(nb) -> dict:
    return nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})


def _ref(value) -> str | None:
    return value.removeprefix("IPY_MODEL_") if isinstance(value, str) else None


@dataclasses.dataclass
class _Slider:
    cell: int
    model_id: str
    labels: list[str]
    stack: str | None  # the Stack its value is jslinked to (switches pictures with no kernel)
    pictures: int  # children of that Stack


def _sliders(nb) -> tuple[list[_Slider], list[str]]:
    """Sliders of the widget views the page shows, in order; and the views with no saved state."""
    state = _widget_state(nb)
    links = []  # (model, trait, model, trait) of every jslink
    for m in state.values():
        if m["model_name"] in ("LinkModel", "DirectionalLinkModel"):
            (a, a_key), (b, b_key) = m["state"]["source"], m["state"]["target"]
            links.append((_ref(a), a_key, _ref(b), b_key))
    sliders, unsaved = [], []
    for i, out in _outputs(nb):
        view = out.get("data", {}).get(WIDGET_VIEW)
        if not view:
            continue
        if view["model_id"] not in state:
            unsaved.append(f"cell {i}: {view['model_id']}")
            continue
        todo, seen = [view["model_id"]], set()
        while todo:  # the view's widget and everything inside it
            mid = todo.pop(0)
            if mid in seen or mid not in state:
                continue
            seen.add(mid)
            model = state[mid]
            todo += [_ref(c) for c in model["state"].get("children", [])]
            if not model["model_name"].endswith("SliderModel"):
                continue
            s = model["state"]
            labels = s.get("_options_labels") or [
                str(v) for v in range(s.get("min", 0), s.get("max", -1) + 1)
            ]
            stack = next(
                (
                    other
                    for a, a_key, b, b_key in links
                    for me, other, key in ((a, b, b_key), (b, a, a_key))
                    if me == mid
                    and key == "selected_index"
                    and state.get(other, {}).get("model_name") == "StackModel"
                ),
                None,
            )
            pictures = len(state[stack]["state"].get("children", [])) if stack else 0
            sliders.append(_Slider(i, mid, labels, stack, pictures))
    return sliders, unsaved


def test_the_expectations_name_existing_pages():
    stale = sorted(set(SHOWS) - set(PAGES))
    assert not stale, f"SHOWS lists pages that are not notebooks any more: {stale}"


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_every_cell_was_executed(page, executed):
    nb = executed(page)
    skipped = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and cell.source.strip() and cell.get("execution_count") is None
    ]
    assert not skipped, f"{page}: code cells not executed by the build: {skipped}"


@pytest.mark.slow
@pytest.mark.parametrize("page", CHAPTERS)
def test_it_ran_in_the_tiny_profile(page, executed):
    printed = _printed(executed(page))
    assert "profile 'tiny'" in printed, (
        f"{page} did not print its profile; its second cell should be "
        f"`P = profiles.get_profile(); run = runtime.setup(P); print(run.describe())`. It "
        f"printed:\n{_tail(printed, 1500)}"
    )


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_no_error_output(page, executed):
    errors = [
        f"cell {i}: {out.get('ename')}: {out.get('evalue')}"
        for i, out in _outputs(executed(page))
        if out.get("output_type") == "error"
    ]
    assert not errors, f"{page} shows errors: {errors}"


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_figures(page, executed):
    expected = SHOWS.get(page, Shows()).figures
    cells = [i for i, out in _outputs(executed(page)) if "image/png" in out.get("data", {})]
    assert len(cells) >= expected, (
        f"{page} shows {len(cells)} figures (image/png outputs, in cells {cells}); "
        f"expected at least {expected} (SHOWS in {Path(__file__).name})"
    )


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_widgets_are_saved_and_sliders_work_without_a_kernel(page, executed):
    """Every widget shown has its state in the notebook (else a blank space in the page), and
    every slider is jslinked to a Stack with one picture per position (so it switches pictures in
    the static page)."""
    nb = executed(page)
    views = [i for i, out in _outputs(nb) if WIDGET_VIEW in out.get("data", {})]
    if views:
        assert _widget_state(nb), (
            f"{page} shows widgets (cells {views}) but the notebook has no saved widget state "
            f"(metadata.widgets[{WIDGET_STATE!r}])"
        )
    sliders, unsaved = _sliders(nb)
    assert not unsaved, f"{page}: widget views with no saved state: {unsaved}"
    for s in sliders:
        where = f"{page}, cell {s.cell}: slider {s.labels}"
        assert s.stack, f"{where} is not jslinked to the selected_index of a Stack"
        assert s.pictures == len(s.labels), (
            f"{where} has {len(s.labels)} positions but its Stack holds {s.pictures} pictures"
        )


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_sliders(page, executed):
    expected = SHOWS.get(page, Shows()).sliders
    sliders, _ = _sliders(executed(page))
    found = [s.labels for s in sliders]
    assert len(found) >= len(expected), (
        f"{page} shows {len(found)} sliders, expected at least {len(expected)}: {found}"
    )
    for k, (labels, want) in enumerate(zip(found, expected, strict=False)):
        missing = [w for w in want if not any(label.startswith(w) for label in labels)]
        assert not missing, (
            f"{page}: slider {k + 1} (cell {sliders[k].cell}) offers {labels}, "
            f"missing {missing} (SHOWS in {Path(__file__).name})"
        )


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_printed_text(page, executed):
    printed = _printed(executed(page))
    missing = [
        pattern
        for pattern in SHOWS.get(page, Shows()).text
        if not re.search(pattern, printed, re.MULTILINE)
    ]
    assert not missing, (
        f"{page} printed no line matching {missing} (SHOWS in {Path(__file__).name}); "
        f"it printed:\n{_tail(printed)}"
    )


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_html_outputs(page, executed):
    html = [
        out["data"]["text/html"]
        for _, out in _outputs(executed(page))
        if "text/html" in out.get("data", {})
    ]
    missing = [p for p in SHOWS.get(page, Shows()).html if not any(re.search(p, h) for h in html)]
    assert not missing, (
        f"{page}: none of its {len(html)} HTML outputs matches {missing} "
        f"(SHOWS in {Path(__file__).name})"
    )


def _tf_log_param(page: str):
    if page in TF_LOG_KNOWN:
        reason = f"prints TensorFlow log lines today ({TF_LOG_KNOWN[page]}); fixed by another issue"
        return pytest.param(page, marks=pytest.mark.xfail(reason=reason, strict=False))
    return page


@pytest.mark.slow
@pytest.mark.parametrize("page", [_tf_log_param(p) for p in PAGES])
def test_no_tensorflow_log_lines(page, executed):
    """No TensorFlow warning or log line (WARNING:tensorflow, retracing, E0000/W0000/I0000 ...)
    in what the page shows."""
    found = []
    for i, out in _outputs(executed(page)):
        text = out.get("text", "") + out.get("data", {}).get("text/plain", "")
        found += [f"cell {i}: {line[:200]}" for line in text.splitlines() if TF_LOG.search(line)]
    assert not found, f"{page} shows TensorFlow log lines:\n" + "\n".join(found)


@pytest.mark.slow
def test_only_the_cell_where_tensorflow_loads_hides_its_stderr(executed):
    """``remove-stderr`` hides TensorFlow's load-time notes (logged before it reads
    TF_CPP_MIN_LOG_LEVEL); any other cell's warnings stay visible."""
    for page in PAGES:
        nb = executed(page)
        tagged = [
            i for i, c in enumerate(nb.cells) if "remove-stderr" in c.metadata.get("tags", [])
        ]
        for i in tagged:
            source = nb.cells[i].source
            assert "runtime" in source and "import" in source, (
                f"{page}: cell {i} hides its stderr but is not the setup cell that loads TensorFlow"
            )
        assert len(tagged) <= 1, (
            f"{page}: cells {tagged} hide their stderr; only the setup cell may"
        )
