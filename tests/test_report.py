"""Chapter 5's report tools: the naive upscale, hue turning, failure notes, the benchmark page."""

import json

import numpy as np
from skimage.color import rgb2lab

from colorize_lib import metrics
from colorize_lib.pages import report


def _constant_model(size, ab_norm=(0.2, -0.1)):
    """A Keras model [B, size, size, 1] -> [B, size, size, 2] that predicts one constant ab."""
    import keras

    inp = keras.Input((size, size, 1))
    out = keras.layers.Conv2D(
        2,
        1,
        kernel_initializer="zeros",
        bias_initializer=keras.initializers.Constant(list(ab_norm)),
    )(inp)
    return keras.Model(inp, out)


def test_colorize_batch_keeps_full_resolution_lightness_and_naive_upscale_blurs():
    from colorize_lib import infer

    rng = np.random.default_rng(2)
    # smooth mid-gray pictures with a sharp edge, so the colour stays in gamut
    pics = np.full((2, 16, 16, 3), 110, np.uint8)
    pics[:, :, 8:] = 150
    pics += rng.integers(0, 5, size=pics.shape, dtype=np.uint8)
    model = _constant_model(8)
    out = infer.colorize_batch(model, pics)
    assert out.shape == pics.shape and out.dtype == np.uint8
    lab_in, lab_out = rgb2lab(pics), rgb2lab(out)
    np.testing.assert_allclose(lab_out[..., 0], lab_in[..., 0], atol=0.6)  # the photo's own L
    np.testing.assert_allclose(lab_out[..., 1:].mean(axis=(0, 1, 2)), [22.0, -11.0], atol=1.0)
    # enlarging the low-resolution colour picture blurs the edge: its L drifts from the photo's
    naive = report.naive_upscale(model, pics)
    assert naive.shape == pics.shape and naive.dtype == np.uint8
    np.testing.assert_allclose(rgb2lab(naive)[..., 1:].mean(axis=(0, 1, 2)), [22, -11], atol=2)
    err_naive = np.abs(rgb2lab(naive)[..., 0] - lab_in[..., 0]).mean()
    err_recombined = np.abs(lab_out[..., 0] - lab_in[..., 0]).mean()
    assert err_naive > 2 * err_recombined


def test_rotate_hue_keeps_lightness_and_chroma_and_turns_the_hue():
    rng = np.random.default_rng(3)
    pics = rng.integers(100, 160, size=(2, 8, 8, 3), dtype=np.uint8)
    turned = report.rotate_hue(pics, 90)
    lab, lab_t = rgb2lab(pics), rgb2lab(turned)
    np.testing.assert_allclose(lab_t[..., 0], lab[..., 0], atol=0.6)
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    np.testing.assert_allclose(np.hypot(lab_t[..., 1], lab_t[..., 2]), chroma, atol=1.0)
    # a turn by 90 degrees: (a, b) -> (-b, a)
    np.testing.assert_allclose(lab_t[..., 1], -lab[..., 2], atol=1.0)
    np.testing.assert_allclose(lab_t[..., 2], lab[..., 1], atol=1.0)
    np.testing.assert_array_equal(report.rotate_hue(pics, 0), pics)


def test_failure_pattern_names_the_failure():
    rng = np.random.default_rng(4)
    truth = rng.integers(60, 200, size=(16, 16, 3), dtype=np.uint8)
    truth[..., 2] = 40  # yellowish, vivid
    assert "washed out" in report.failure_pattern(metrics.gray_baseline(truth), truth)
    assert "wrong hue" in report.failure_pattern(report.rotate_hue(truth, 180), truth)
    shuffled = truth.reshape(-1, 3)[rng.permutation(256)].reshape(truth.shape)
    assert "wrong places" in report.failure_pattern(shuffled, truth)
    lines = [report.failure_pattern(x, truth) for x in (shuffled, metrics.gray_baseline(truth))]
    assert report.pattern_counts(lines) == "1 washed out, 1 wrong places"
    assert report.pattern_counts([]) == "none"


def test_benchmark_page_renders_results_and_missing_files(tmp_path):
    record = {
        "name": "color",
        "measured": "2026-01-01 10:00",
        "command": "python benchmarks/bench_color.py --n 8",
        "machine": {"device": "CPU", "processor": "Test CPU", "cores": 2, "python": "3.11"},
        "figures": {
            "tensorflow_pictures_per_s": 1234.5,
            "speed": {"unet": 3.5},
            "table": [{"name": "gray", "psnr": 20.1}, {"name": "U-Net", "psnr": 22.3}],
        },
    }
    results = tmp_path / "benchmarks" / "results"
    results.mkdir(parents=True)
    (results / "color.json").write_text(json.dumps(record))
    (results / "broken.json").write_text("{not json")
    (results / "bench_gan.json").write_text(json.dumps({**record, "name": "bench_gan"}))
    assert report.find_results_dir(tmp_path / "benchmarks") == results
    records = report.load_benchmark_results(results)
    assert "error" in records["broken"]
    page = report.benchmark_html(records)
    assert "Test CPU" in page and "2 cores" in page
    assert "python benchmarks/bench_color.py --n 8" in page
    assert "<td>tensorflow pictures per s</td><td>1,234</td>" in page
    assert "<td>U-Net</td><td>22.3</td>" in page
    # a benchmark without its file says which command makes it
    assert "No results yet" in page and "bench_unet.py" in page
    # a file named after its script counts for that benchmark, with its name shown
    assert "GAN training (bench_gan)" in page and "bench_gan.py" not in page
    assert page.index("Colour conversion") < page.index("GAN training") < page.index("broken")
    assert "could not read broken.json" in page
    assert report.load_benchmark_results(tmp_path / "nowhere") == {}


def test_the_benchmark_page_names_files_but_not_the_measuring_machine_s_folders():
    from colorize_lib.data import sources

    p = sources.public_path
    assert p("/root/.cache/colorize-book/cpu/unet-ab12/model.keras") == ".../unet-ab12/model.keras"
    cmd = "bench_quality.py --folder /home/me/photos --models /tmp/b/unet.keras"
    assert p(cmd) == "bench_quality.py --folder .../me/photos --models .../b/unet.keras"
    kept = ["benchmarks/results/x.json", "https://example.org/a/b.zip", "1.5/2", "64x64"]
    kept += ["export --name ../../x", "+/-", "(/32)", "~/data", "../shared/photos"]
    for text in kept:  # relative paths, addresses and other slashes stay as they are
        assert p(text) == text
    html = report.benchmark_html(
        {"quality": {"measured": "today", "command": "bench --folder /home/me/photos",
                     "machine": {"cores": 2}, "figures": {"data": "/home/me/photos", "n": 3}}}
    )  # fmt: skip
    assert "/home/me" not in html and ".../me/photos" in html
