"""colorize_lib.pages.viz: figures, the comparison slider (both mechanisms) and the HTML wipe."""

import io
import re

import ipywidgets as widgets
import matplotlib
import numpy as np
import pytest
from PIL import Image

from colorize_lib.data.pictures import as_uint8, to_png_bytes
from colorize_lib.pages import viz

matplotlib.use("Agg")


def _decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


@pytest.fixture
def pictures():
    rng = np.random.default_rng(0)
    color = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    gray = color.mean(-1) / 255.0  # [H, W] float
    noise = rng.random((20, 30, 3))  # float in [0, 1]
    return {"gray": gray, "noise": noise, "truth": color}


def test_upscale_is_nearest_neighbour_by_a_whole_factor(pictures):
    big = viz.upscale(pictures["truth"], 100)
    assert big.shape == (80, 120, 3)  # x4 nearest neighbour
    np.testing.assert_array_equal(big[::4, ::4], pictures["truth"])
    assert viz.upscale(pictures["truth"], 10) is pictures["truth"]


def test_compare_slider_stack_and_jslink(pictures, monkeypatch):
    monkeypatch.setattr(viz, "slider_mechanism", lambda: "stack")
    box = viz.compare_slider(pictures, description="version", width=60)
    slider, stack = box.children
    assert isinstance(slider, widgets.SelectionSlider) and isinstance(stack, widgets.Stack)
    assert [lab for lab, _ in slider.options] == ["gray", "noise", "truth"]
    assert all(isinstance(c, widgets.Image) for c in stack.children)
    assert len(stack.children) == 3
    for child, pic in zip(stack.children, pictures.values(), strict=True):
        shown = _decode(child.value)
        want = viz.upscale(as_uint8(pic), 60)
        np.testing.assert_array_equal(shown, want)
    # the browser does the switching: a jslink from the slider's index to selected_index
    links = [
        w
        for w in widgets.Widget.widgets.values()
        if isinstance(w, widgets.widget_link.Link) and w.source[0] is slider
    ]
    assert len(links) == 1
    assert links[0].source == (slider, "index")
    assert links[0].target == (stack, "selected_index")
    assert stack.selected_index == 0


def test_compare_slider_callback_path_swaps_picture(pictures, monkeypatch):
    monkeypatch.setattr(viz, "slider_mechanism", lambda: "callback")
    box = viz.compare_slider(pictures, width=30)
    slider, image = box.children
    assert isinstance(image, widgets.Image) and not isinstance(image, widgets.Stack)
    pngs = [to_png_bytes(viz.upscale(as_uint8(p), 30)) for p in pictures.values()]
    assert image.value == pngs[0]
    slider.index = 2  # what dragging the slider does on Colab
    assert image.value == pngs[2]
    assert slider.label == "truth"
    slider.index = 1
    assert image.value == pngs[1]


def test_slider_mechanism_follows_installed_version(monkeypatch):
    assert viz.slider_mechanism() == "stack"  # ipywidgets 8 here
    monkeypatch.setattr(widgets, "__version__", "7.7.1")
    assert viz.slider_mechanism() == "callback"


def test_compare_slider_list_of_dicts_and_many_entries(monkeypatch):
    monkeypatch.setattr(viz, "slider_mechanism", lambda: "stack")
    a = {"x": np.zeros((8, 8, 3)), "y": np.ones((8, 8, 3))}
    b = {"x": np.zeros((8, 8, 3)), "y": np.ones((8, 8, 3))}
    _, stack = viz.compare_slider([a, b], width=8).children
    assert _decode(stack.children[0].value).shape == (8, 20, 3)  # two pictures + 4 px gap
    many = {f"level {i}": np.full((4, 4), i / 20) for i in range(20)}
    _, stack = viz.compare_slider(many, width=4).children
    assert len(stack.children) == 20
    with pytest.raises(ValueError, match="same labels"):
        viz.compare_slider([a, {"y": a["y"], "x": a["x"]}])


def test_wipe_html(pictures):
    h1 = viz.wipe(pictures["gray"], pictures["truth"], labels=("gray", "colour"), width=90)
    h2 = viz.wipe(pictures["gray"], pictures["truth"])
    markup = h1.data
    srcs = re.findall(r'<img [^>]*src="(data:image/png;base64,[^"]+)"', markup)
    assert len(srcs) == 2
    assert re.search(r'<input [^>]*type="range"', markup)
    assert "oninput=" in markup and "clipPath" in markup
    ids1 = set(re.findall(r'id="([^"]+)"', markup))
    ids2 = set(re.findall(r'id="([^"]+)"', h2.data))
    assert len(ids1) == 4 and not ids1 & ids2
    # the script addresses this call's own picture
    target = re.search(r"getElementById\('([^']+)'\)", markup).group(1)
    assert target in ids1 and target.endswith("-before")
    assert "http" not in markup  # nothing fetched from the network
    with pytest.raises(ValueError, match="same size"):
        viz.wipe(np.zeros((4, 4)), np.zeros((5, 4)))


def test_show_images_and_grid(pictures):
    import matplotlib.pyplot as plt

    fig = viz.show_images(list(pictures.values()), titles=list(pictures))
    assert len(fig.axes) == 3
    assert [ax.get_title() for ax in fig.axes] == list(pictures)
    plt.close(fig)
    fig = viz.show_images(pictures, ncols=2)
    assert len(fig.axes) == 3  # 2x2 with the empty one removed
    plt.close(fig)
    fig = viz.show_grid(
        [list(pictures.values())] * 2, row_titles=["a", "b"], col_titles=list(pictures)
    )
    assert len(fig.axes) == 6
    plt.close(fig)
    with pytest.raises(ValueError, match="titles"):
        viz.show_images([pictures["gray"]], titles=["a", "b"])


def test_swatch_grid():
    colors = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255]], np.uint8)
    grid = viz.swatch_grid(colors, ncols=2, patch=4, gap=1)
    assert grid.shape == (11, 11, 3)
    np.testing.assert_array_equal(grid[1, 1], [255, 0, 0])
    np.testing.assert_array_equal(grid[1, 6], [0, 255, 0])
    np.testing.assert_array_equal(grid[6, 1], [0, 0, 255])


def test_show_maps_and_plot_lines():
    import matplotlib.pyplot as plt

    fig = viz.show_maps({"a": np.zeros((4, 5)), "b": np.ones((4, 5))}, cmap=["magma", "RdBu"])
    assert len(fig.axes) == 4  # two maps, two colour bars
    plt.close(fig)
    with pytest.raises(ValueError, match="2-D"):
        viz.show_maps({"a": np.zeros((4, 5, 3))})
    x = np.arange(10)
    fig = viz.plot_lines(x, {"one": x, "two": x**2}, strip=np.random.default_rng(0).random((10, 3)))
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 2
    plt.close(fig)
    fig = viz.plot_lines(x, {"one": x})
    assert len(fig.axes) == 1
    plt.close(fig)


def test_thumbnail():
    img = np.random.default_rng(0).integers(0, 256, (40, 80, 3), dtype=np.uint8)
    assert viz.thumbnail(img, 20).shape == (10, 20, 3)
    assert viz.thumbnail(img[..., 0], 20).shape == (10, 20)
    assert viz.thumbnail(img, 100) is img  # small enough already
