"""The U-Net builder: shapes, output range, encoders, freezing, offline weights."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from colorize_lib import models  # noqa: E402


@pytest.fixture(scope="module")
def small_unet():
    return models.build_unet(32, "MobileNetV2-0.35", weights=None)


def test_shapes_and_output_range(small_unet):
    assert small_unet.input_shape == (None, 32, 32, 1)
    assert small_unet.output_shape == (None, 32, 32, 2)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (3, 32, 32, 1)).astype("float32")
    y = small_unet.predict(x * 50, verbose=0)  # far outside [-1, 1]: tanh still bounds it
    assert y.shape == (3, 32, 32, 2)
    assert y.dtype == np.float32
    assert np.all(np.abs(y) <= 1.0)
    assert small_unet.get_layer("ab_norm").dtype_policy.compute_dtype == "float32"


def test_any_size_model_accepts_several_sizes():
    model = models.build_unet(None, "MobileNetV2-0.35", weights=None)
    for h, w in [(32, 32), (64, 96)]:
        y = model.predict(np.zeros((1, h, w, 1), "float32"), verbose=0)
        assert y.shape == (1, h, w, 2)


@pytest.mark.parametrize("encoder", ["MobileNetV2", "ResNet50", "EfficientNetB0"])
def test_every_encoder_builds_with_its_skip_table(encoder):
    model = models.build_unet(64, encoder, weights=None)
    enc = models.encoder_of(model)
    sizes = [t.shape[1] for t in enc.outputs]
    assert sizes == [32, 16, 8, 4, 2]  # /2, /4, /8, /16, /32 of 64
    assert model.output_shape == (None, 64, 64, 2)


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="multiple of 32"):
        models.build_unet(50, weights=None)
    with pytest.raises(ValueError, match="Choose one of"):
        models.build_unet(32, "VGG99", weights=None)


def test_freezing_the_encoder_keeps_its_weights():
    model = models.build_unet(32, "MobileNetV2-0.35", weights=None, freeze_encoder=True)
    enc = models.encoder_of(model)
    assert enc.trainable_weights == []
    n_frozen = len(model.trainable_weights)
    before = [w.copy() for w in enc.get_weights()]
    model.compile("adam", "mae")
    x = np.random.default_rng(1).uniform(-1, 1, (8, 32, 32, 1)).astype("float32")
    model.fit(x, np.zeros((8, 32, 32, 2), "float32"), epochs=1, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, enc.get_weights(), strict=True))
    models.set_encoder_trainable(model, True)
    assert len(model.trainable_weights) > n_frozen


def test_saved_model_loads_without_custom_objects(tmp_path, small_unet):
    path = tmp_path / "m.keras"
    small_unet.save(path)
    loaded = keras.models.load_model(path)
    x = np.linspace(-1, 1, 32 * 32, dtype="float32").reshape(1, 32, 32, 1)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), small_unet.predict(x, verbose=0), atol=1e-6
    )


def test_weights_that_cannot_load_start_random_and_say_why_without_printing(monkeypatch, capsys):
    calls = []

    def failing_download(*args, **kwargs):
        calls.append(args)
        raise Exception("URL fetch failure on https://example: None -- [Errno -2] no network")

    monkeypatch.setattr("keras.src.utils.file_utils.get_file", failing_download)
    monkeypatch.setattr(models, "_weights_unreachable", lambda spec: None)  # the host answers
    model = models.build_unet(32, "MobileNetV2-0.35", weights="imagenet")
    assert calls, "the ImageNet download was never attempted"
    assert model.pretrained is False and "[Errno -2] no network" in model.weights_note
    assert "random weights" in model.weights_note
    assert model.output_shape == (None, 32, 32, 2)

    monkeypatch.setattr(models, "_weights_unreachable", lambda spec: "no route to the host")
    calls.clear()
    model = models.build_unet(32, "MobileNetV2-0.35", weights="imagenet")  # unreachable
    assert not calls and model.pretrained is False  # no download tried
    assert "(no route to the host)" in model.weights_note
    assert capsys.readouterr().out == ""  # the caller decides what to tell (a chapter, the CLI)
    assert models.build_unet(32, "MobileNetV2-0.35", weights=None).weights_note is None


def test_weights_in_keras_cache_count_as_reachable_offline(tmp_path, monkeypatch):
    """Keras names MobileNetV2's file mobilenet_v2_weights_...: found offline, no probe."""
    from colorize_lib import profiles, shapes

    (tmp_path / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5").write_bytes(
        b""
    )
    monkeypatch.setattr(profiles, "keras_weights_dir", lambda: tmp_path)
    monkeypatch.setattr(models.socket, "create_connection", lambda *a, **k: 1 / 0)  # no probe
    monkeypatch.setattr(profiles, "https_proxy", lambda: None)
    assert models._weights_unreachable(shapes.encoder_spec("MobileNetV2-0.35")) is None
    resnet = models._weights_unreachable
    monkeypatch.setattr(
        models.socket,
        "create_connection",
        lambda *a, **k: (_ for _ in ()).throw(OSError(101, "Network is unreachable")),
    )
    assert resnet(shapes.encoder_spec("ResNet50")) == "Network is unreachable"


def test_loading_an_encoder_leaves_the_process_s_settings_alone(monkeypatch):
    """No process-wide socket timeout and no redirected stdout while the weights load: other
    threads (a notebook's kernel, a download) keep theirs."""
    import socket
    import sys

    import keras

    seen = []
    real = keras.applications.MobileNetV2

    def recording(*args, **kwargs):
        seen.append((socket.getdefaulttimeout(), sys.stdout))
        return real(*args, **{**kwargs, "weights": None})

    monkeypatch.setattr(keras.applications, "MobileNetV2", recording)
    monkeypatch.setattr(models, "_weights_unreachable", lambda spec: None)
    before = (socket.getdefaulttimeout(), sys.stdout)
    models.build_encoder(32, "MobileNetV2-0.35", weights="imagenet")
    assert seen == [before]


def test_a_float32_copy_leaves_the_global_precision_policy_alone(monkeypatch):
    """``export`` needs float32: it copies a mixed-precision U-Net layer by layer, without
    switching the process's policy (which would change every model built meanwhile)."""
    import keras

    from colorize_lib import export

    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        mixed = models.build_unet(32, "MobileNetV2-0.35", weights=None)
    finally:
        keras.mixed_precision.set_global_policy("float32")

    def refuse(policy):
        raise AssertionError(f"the global policy was set to {policy}")

    monkeypatch.setattr(keras.mixed_precision, "set_global_policy", refuse)
    copy = export._as_float32(mixed)
    computing = [layer for layer in models._all_layers(copy) if layer.weights]
    assert computing and all(layer.dtype_policy.name == "float32" for layer in computing)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 1)).astype("float32")
    np.testing.assert_allclose(copy(x), np.asarray(mixed(x), np.float32), atol=2e-2)


def test_random_encoder_gets_fast_batch_norm_averages(small_unet):
    # MobileNetV2's own momentum (0.999) keeps random-init statistics near 0/1 for thousands of
    # steps, so inference-mode predictions would be wrong after a short CPU run.
    bns = [
        layer
        for layer in models._all_layers(small_unet)
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert len(bns) > 40
    assert {bn.momentum for bn in bns} == {models.RANDOM_INIT_BN_MOMENTUM}
