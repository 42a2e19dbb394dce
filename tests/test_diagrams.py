"""colorize_lib.pages.diagrams: the drawings of the two networks say what the models are."""

import matplotlib
import numpy as np
import pytest

pytest.importorskip("keras")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, Rectangle  # noqa: E402
from matplotlib.path import Path  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from colorize_lib import models, shapes  # noqa: E402
from colorize_lib.pages import diagrams  # noqa: E402

matplotlib.use("Agg")


def _shape(tensor) -> str:
    return "x".join(str(d) for d in tensor.shape[1:])  # (None, 8, 8, 48) -> "8x8x48"


def _texts(fig) -> dict[str, str]:
    return {t.get_gid(): t.get_text() for t in fig.findobj(Text) if t.get_gid()}


def _assert_readable(fig):
    """The book's column (about 7 inches), text of 9 points or more, inside the figure and never
    on top of other text."""
    assert fig.get_figwidth() == pytest.approx(7.0, abs=0.2)
    renderer = fig.canvas.get_renderer()
    fig.canvas.draw()
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    boxes = []
    for t in texts:
        assert t.get_fontsize() >= 9, t.get_text()
        box = t.get_window_extent(renderer)
        assert fig.bbox.x0 - 1 <= box.x0 and box.x1 <= fig.bbox.x1 + 1, t.get_text()
        assert fig.bbox.y0 - 1 <= box.y0 and box.y1 <= fig.bbox.y1 + 1, t.get_text()
        boxes.append((t.get_text(), box))
    for n, (text, box) in enumerate(boxes):
        for other, obox in boxes[n + 1 :]:
            overlap_x = min(box.x1, obox.x1) - max(box.x0, obox.x0)
            overlap_y = min(box.y1, obox.y1) - max(box.y0, obox.y0)
            assert overlap_x <= 1 or overlap_y <= 1, f"{text!r} overlaps {other!r}"


@pytest.fixture(scope="module")
def unets():
    return {
        e: models.build_unet(32, e, weights=None) for e in ("MobileNetV2-0.35", "MobileNetV2-0.5")
    }


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _decoder_blocks(model) -> list[str]:
    return [ly.name[: -len("_skip")] for ly in model.layers if ly.name.endswith("_skip")]


def test_unet_labels_are_the_models_shapes(unets):
    model = unets["MobileNetV2-0.35"]
    texts = _texts(diagrams.draw_unet(model))
    blocks = _decoder_blocks(model)
    assert blocks == ["dec16", "dec8", "dec4", "dec2", "dec1"]
    for name in blocks:
        assert texts[name].splitlines() == [name, _shape(model.get_layer(f"{name}_relu2").output)]
        assert texts[f"concat:{name}"].endswith(_shape(model.get_layer(f"{name}_skip").output))
    for k, out in enumerate(model.get_layer("encoder").outputs, start=1):
        assert texts[f"encoder{k}"].splitlines()[1] == _shape(out)  # "8x8x48"
        assert texts[f"encoder{k}"].endswith(f"/{2**k}\n{_shape(out)}")
    assert texts["L"].endswith(_shape(model.get_layer("L_norm").output))
    assert texts["head"] == f"1x1 conv → tanh\nab_norm {_shape(model.output)}"


def test_unet_skips_join_each_level_to_the_block_that_concatenates_it(unets):
    model = unets["MobileNetV2-0.35"]
    fig = diagrams.draw_unet(model)
    fig.canvas.draw()
    arrows = [a for a in fig.findobj(FancyArrowPatch) if (a.get_gid() or "").startswith("skip:")]
    blocks = _decoder_blocks(model)
    assert len(arrows) == len(blocks) == 5
    x_of = {t.get_gid(): t.get_position()[0] for t in fig.findobj(Text) if t.get_gid()}
    y_of = {t.get_gid(): t.get_position()[1] for t in fig.findobj(Text) if t.get_gid()}
    sources = {
        o.shape[1]: f"encoder{k}" for k, o in enumerate(model.get_layer("encoder").outputs, 1)
    }
    sources[model.input.shape[1]] = "L"  # the last skip is L itself
    for arrow in arrows:
        name = arrow.get_gid().removeprefix("skip:")
        path = arrow.get_path()  # in inches: the line and its head
        xy = path.vertices[path.codes != Path.CLOSEPOLY]  # [n, 2]
        source = sources[model.get_layer(f"{name}_relu2").output.shape[1]]
        assert np.ptp(xy[:, 1]) < 0.2  # horizontal (the head is a few points high)
        y = np.median(xy[:, 1])
        assert y == pytest.approx(y_of[name], abs=0.02)  # at the block's height...
        assert y == pytest.approx(y_of[source], abs=0.02)  # ...and its source's
        assert x_of[source] < xy[:, 0].min() < xy[:, 0].max() < x_of[name]


def test_another_encoder_changes_the_channel_labels(unets):
    labels = {}
    for encoder, model in unets.items():
        texts = _texts(diagrams.draw_unet(model))
        labels[encoder] = [texts[f"encoder{k}"] for k in range(1, 6)]
        channels = [o.shape[-1] for o in model.get_layer("encoder").outputs]
        assert [int(t.rsplit("x", 1)[1]) for t in labels[encoder]] == channels
    assert labels["MobileNetV2-0.35"] != labels["MobileNetV2-0.5"]


def test_unet_drawing_is_readable(unets):
    _assert_readable(diagrams.draw_unet(unets["MobileNetV2-0.35"]))


def _picture(size: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    L = rng.uniform(-1, 1, (size, size, 1)).astype("float32")  # [S, S, 1]
    ab = rng.uniform(-0.5, 0.5, (size, size, 2)).astype("float32")  # [S, S, 2]
    return L, ab


def _field(fig) -> Rectangle:
    (field,) = [p for p in fig.findobj(Rectangle) if p.get_gid() == "receptive_field"]
    return field


@pytest.mark.parametrize("n_down", [1, 2])
def test_patchgan_stack_and_grid_are_the_models(n_down):
    model = models.build_discriminator(64, n_down=n_down)
    fig = diagrams.draw_patchgan(model)
    texts = _texts(fig)
    for name in ["L_ab", *(f"down{i + 1}" for i in range(n_down)), "pad1", "conv", "pad2"]:
        assert texts[f"shape:{name}"] == _shape(model.get_layer(name).output)
    assert texts["shape:patch_logits"] == _shape(model.output)
    assert texts["L_ab"] == "L and ab stacked"
    side = shapes.patch_grid(64, n_down)
    assert model.output.shape[1:3] == (side, side)
    grid = [c for c in fig.findobj() if c.get_gid() == "patch_grid"]
    assert [len(c.get_segments()) for c in grid] == [side + 1, side + 1]  # tile borders
    assert _field(fig).get_width() == _field(fig).get_height() == shapes.receptive_field(n_down)
    _assert_readable(fig)


def test_patchgan_verdicts_are_the_models_on_the_picture():
    n_down = shapes.patch_downsamples(128)
    model = models.build_discriminator(128, n_down=n_down)
    L, ab = _picture(128)
    fig = diagrams.draw_patchgan(model, L, ab, patch_index=(2, 5))
    (image,) = [im for im in fig.findobj() if im.get_gid() == "patch_verdicts"]
    logits = np.asarray(model([L[None], ab[None]], training=False))[0, ..., 0]  # [h, w]
    np.testing.assert_allclose(image.get_array(), 1 / (1 + np.exp(-logits)), atol=1e-6)
    assert image.get_array().shape == model.output.shape[1:3]
    s = 2**n_down  # tile (i, j) covers pixels s * (1 + i) .. s * (2 + i)
    assert image.get_extent() == pytest.approx((s - 0.5, 128 - s - 0.5, 128 - s - 0.5, s - 0.5))
    assert _field(fig).get_width() == shapes.receptive_field(n_down)
    _assert_readable(fig)


@pytest.mark.parametrize(("n_down", "cell"), [(1, (3, 20)), (2, (3, 8)), (2, (0, 0)), (3, (1, 2))])
def test_outlined_patch_is_what_its_logit_sees(n_down, cell):
    """Pixels outside the outline never change logit ``cell``; its corner pixels (where the
    picture has them) do. Without normalisation: instance norm's statistics span the picture."""
    size = 64
    model = models.build_discriminator(size, n_down=n_down, norm=None)
    weights = np.random.default_rng(0)  # weights far from DCGAN's tiny start: clear effects
    model.set_weights(
        [weights.normal(0, 0.3, w.shape).astype("float32") for w in model.get_weights()]
    )
    L, ab = _picture(size)
    field = _field(diagrams.draw_patchgan(model, L, ab, patch_index=cell))
    left, top = round(field.get_x() + 0.5), round(field.get_y() + 0.5)  # pixel centres at 0, 1..
    width = round(field.get_width())
    inside = np.zeros((size, size), bool)
    inside[max(top, 0) : top + width, max(left, 0) : left + width] = True
    rng = np.random.default_rng(1)
    batch_L, batch_ab = [L], [ab]
    outside_L, outside_ab = L.copy(), ab.copy()
    outside_L[~inside] = rng.uniform(-1, 1, outside_L[~inside].shape)
    outside_ab[~inside] = rng.uniform(-1, 1, outside_ab[~inside].shape)
    batch_L.append(outside_L), batch_ab.append(outside_ab)
    rows, cols = np.nonzero(inside)
    for r, c in [(rows.min(), cols.min()), (rows.max(), cols.max())]:  # two opposite corners
        for which in (0, 1):  # through L, then through ab
            one_L, one_ab = L.copy(), ab.copy()
            (one_L, one_ab)[which][r, c] += 0.9
            batch_L.append(one_L), batch_ab.append(one_ab)
    logits = np.asarray(model([np.stack(batch_L), np.stack(batch_ab)], training=False))
    chosen = logits[:, cell[0], cell[1], 0]  # [1 + 1 + 4]
    scale = 1 + abs(chosen[0])
    assert abs(chosen[1] - chosen[0]) <= 1e-5 * scale  # everything outside: no change
    assert np.all(np.abs(chosen[2:] - chosen[0]) > 1e-4 * scale)  # one corner pixel: a change
    others = np.abs(logits[1] - logits[0])[..., 0]  # other patches did see the outside
    assert others.max() > 1e-3 * scale
