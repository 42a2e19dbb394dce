"""The colorize path: full resolution, gray and 16-bit inputs, batches, no retracing, files."""

import logging
import warnings

import numpy as np
import pytest
from PIL import Image

keras = pytest.importorskip("keras")

from colorize_lib import color, infer, models  # noqa: E402
from colorize_lib.cli import jobs  # noqa: E402
from colorize_lib.data import pictures  # noqa: E402


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    return models.build_unet(32, "MobileNetV2-0.35", weights=None)


def _photo(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A colourful picture with sharp edges: stripes and noise."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (h, w, 3)).astype(np.uint8)
    img[:, ::7] = [250, 30, 20]  # saturated red columns: sharp edges
    return img


def test_full_resolution_output_keeps_size_and_lightness(model):
    img = _photo(203, 317)  # not square, not a multiple of 32, larger than the working size
    out = infer.colorize(model, img)
    assert out.shape == img.shape and out.dtype == np.uint8
    L_in = color.rgb_to_lab_np(img)[..., 0]
    L_out = color.rgb_to_lab_np(out)[..., 0]
    assert np.abs(L_out - L_in).max() < 1.0  # the ORIGINAL lightness: edges stay sharp
    assert np.abs(color.rgb_to_lab_np(out)[..., 1:]).max() > 0.5  # and it has colours


@pytest.mark.parametrize("kind", ["2d_uint8", "1ch_float", "2d_uint16"])
def test_gray_inputs(model, kind):
    rng = np.random.default_rng(1)
    gray01 = rng.random((90, 70)).astype(np.float32)
    img = {
        "2d_uint8": np.round(gray01 * 255).astype(np.uint8),
        "1ch_float": gray01[..., None],
        "2d_uint16": np.round(gray01 * 65535).astype(np.uint16),
    }[kind]
    out = infer.colorize(model, img)
    assert out.shape == (90, 70, 3)
    rgb_gray = np.repeat(np.asarray(img, np.float64).reshape(90, 70, 1), 3, axis=-1)
    rgb_gray /= {"2d_uint8": 255.0, "1ch_float": 1.0, "2d_uint16": 65535.0}[kind]
    L_in = color.rgb_to_lab_np(rgb_gray)[..., 0]
    assert np.abs(color.rgb_to_lab_np(out)[..., 0] - L_in).max() < 1.0


def test_lightness_is_labs_L(model):
    img = _photo(40, 50, seed=3)
    np.testing.assert_allclose(infer.lightness(img), color.rgb_to_lab_np(img)[..., 0], atol=1e-3)


def test_colorize_batch_equals_colorize_picture_by_picture(model):
    sizes = [(20, 30), (40, 40), (50, 33), (64, 64), (33, 70)]
    pics = [_photo(h, w, seed=i) for i, (h, w) in enumerate(sizes)]
    batched = infer.colorize_batch(model, pics, batch_size=2)  # a list in: a list out
    assert isinstance(batched, list) and [b.shape[:2] for b in batched] == sizes
    for b, p in zip(batched, pics, strict=True):
        assert np.abs(b.astype(int) - infer.colorize(model, p)).max() <= 1
    stack = np.stack([_photo(48, 48, seed=i) for i in range(5)])  # an array in: an array out
    out = infer.colorize_batch(model, stack, batch_size=4)
    assert isinstance(out, np.ndarray) and out.shape == stack.shape and out.dtype == np.uint8
    assert np.abs(out[4].astype(int) - infer.colorize(model, stack[4])).max() <= 1
    assert infer.colorize_batch(model, stack[:0]).shape == (0, 48, 48, 3)


def _tiny_model(size: int = 32):
    """A small Keras colorizer [B, size, size, 1] -> [B, size, size, 2] (quick to build)."""
    inp = keras.Input((size, size, 1))
    return keras.Model(inp, keras.layers.Conv2D(2, 3, padding="same", activation="tanh")(inp))


def test_prediction_is_traced_once_per_model(model):
    """Eight pictures of different sizes, seven models, any batch size: one trace per model.

    Seven models matter: TensorFlow warns about "retracing" when five traces of the same Python
    code come close together, which is what per-model closures (and ``model.predict``) do.
    """
    others = [_tiny_model() for _ in range(6)]
    sizes = [(20, 30), (40, 40), (50, 33), (64, 64), (33, 70), (90, 20), (45, 45), (100, 80)]
    pics = [_photo(h, w, seed=i) for i, (h, w) in enumerate(sizes)]
    logged: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record):
            logged.append(record.getMessage())

    handler = Catch()
    logging.getLogger("tensorflow").addHandler(handler)  # where TF's retracing warning goes
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for p in pics:
                infer.colorize(model, p)
            for m in [model, *others]:
                infer.colorize_batch(m, pics, batch_size=3)  # batches of 3, 3 and 2
            for p in pics[:2]:
                infer.colorize(others[0], p)
    finally:
        logging.getLogger("tensorflow").removeHandler(handler)
    said = logged + [str(w.message) for w in caught]
    assert not [m for m in said if "retrac" in m], said
    for m in [model, *others]:
        assert infer.predictor(m, 32).experimental_get_tracing_count() == 1
    assert infer.predictor(model, 32) is not infer.predictor(others[0], 32)


def test_colorize_files_writes_full_size_pngs_and_reports_failures(model, tmp_path):
    Image.fromarray(_photo(70, 100)).save(tmp_path / "in.jpg")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    plan = jobs.plan([tmp_path / "in.jpg", tmp_path / "broken.png"], tmp_path / "out")
    written, failed = infer.colorize_files(model, plan.jobs, progress=False)
    assert written == [tmp_path / "out" / "in.png"]
    assert Image.open(written[0]).size == (100, 70)
    assert [src.name for src, _ in failed] == ["broken.png"] and "ImageReadError" in failed[0][1]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["in.png"]  # no temp files


def test_inputs_are_found_with_the_one_extension_list(tmp_path):
    for name in ["in/a.jpe", "in/b.PNG", "in/c.txt", "in/sub/d.webp"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    plan = jobs.plan([tmp_path / "in"], tmp_path / "out")
    found = {dst.relative_to(tmp_path / "out").as_posix() for _, dst in plan.jobs}
    assert found == {"a.png", "b.png", "sub/d.png"}
    assert ".jpe" in pictures.IMAGE_EXTENSIONS


def test_bad_pictures_are_explained(model):
    with pytest.raises(ValueError, match="Expected a picture"):
        infer.colorize(model, np.zeros((4, 4, 5), np.uint8))
    with pytest.raises(ValueError, match="NaN"):
        infer.colorize(model, np.full((8, 8), np.nan, np.float32))
