"""The model cache: trained once, reused while recipe, data and code are the same, retrained
when any of them changes or when asked."""

import dataclasses

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from colorize_lib import data, gan, models, profiles, shapes  # noqa: E402
from colorize_lib.training import runtime, zoo  # noqa: E402

SMALL = dataclasses.replace(profiles.get_profile("tiny"), n_train=8, n_val=4)  # 1 step an epoch


@pytest.fixture(scope="module")
def run():
    return runtime.setup(SMALL)


@pytest.fixture(scope="module")
def split():
    return data.profile_split(SMALL, progress=False)


def test_trains_once_then_reuses_and_retrains_on_request(run, split, capsys):
    assert zoo.to_train(run, split) == ["unet", "gan"]  # what chapter 6 says it will train
    first = zoo.unet(run, split, samples=False)
    assert not first.reused and len(first.history["loss"]) == run.profile.unet_epochs
    assert zoo.to_train(run, split) == ["gan"]
    assert (first.folder / "model.keras").is_file() and first.folder.name == f"unet-{first.key}"
    again = zoo.unet(run, split)
    assert again.reused and again.key == first.key
    assert "this U-Net recipe was trained before" in capsys.readouterr().out
    x = np.zeros((1, 32, 32, 1), "float32")
    np.testing.assert_allclose(again.model(x), first.model(x), atol=1e-6)
    # chapter 5's resolution study: a U-Net for another size, starting from this one's weights
    bigger = zoo.unet(run, data.profile_split(run.profile, size=64, progress=False), epochs=1,
                      start_from=first, samples=False)  # fmt: skip
    assert bigger.model.input_shape == (None, 64, 64, 1) and bigger.key != first.key
    moved = np.abs(bigger.model.weights[0].numpy() - first.model.weights[0].numpy()).max()
    assert moved < 0.01  # it started from the given weights and took a few small steps
    other = zoo.Trained(models.build_unet(32, "MobileNetV2-0.5", weights=None), {}, None, "x", 1)
    with pytest.raises(ValueError, match="encoder"):
        zoo.unet(run, split, start_from=other, samples=False)

    # the reader's own network (chapter 3): the cached weights go into that very object...
    mine = models.build_unet(32, run.profile.encoder)
    loaded = zoo.unet(run, split, model=mine)
    assert loaded.reused and loaded.model is mine
    assert "its weights go into your network" in capsys.readouterr().out
    np.testing.assert_allclose(mine(x), first.model(x), atol=1e-6)
    # ...and with retrain=True that object is what trains
    yours = models.build_unet(32, run.profile.encoder)
    fresh = zoo.unet(run, split, retrain=True, samples=False, model=yours)
    assert not fresh.reused and fresh.key == first.key and fresh.model is yours

    class YourGAN(gan.ColorizationGAN):  # chapter 4 passes the class it wrote
        made = 0

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            YourGAN.made += 1

    critic = models.build_discriminator(32, n_down=shapes.patch_downsamples(32))
    g = zoo.gan(run, split, first, samples=False, gan_class=YourGAN, discriminator=critic)
    epochs = run.profile.gan_warmup_epochs + run.profile.gan_epochs  # warm-up, then the game
    assert not g.reused and len(g.history["steps"]["d_loss"]) == len(split.train) // 8 * epochs
    assert zoo.to_train(run, split) == []
    assert YourGAN.made == 1
    assert zoo.gan(run, split, again).reused  # the same U-Net key: the same GAN
    with pytest.raises(ValueError, match="grid of verdicts"):
        zoo.gan(
            run, split, first, retrain=True, discriminator=models.build_discriminator(32, n_down=2)
        )


def test_changed_data_recipe_or_start_gives_another_key(run, split):
    key = zoo.unet_recipe(run, split)
    other_pictures = dataclasses.replace(split, train=split.train[::-1].copy())
    assert data.split_hash(other_pictures) != data.split_hash(split)
    assert zoo.unet_recipe(run, other_pictures)["data"] != key["data"]
    longer = dataclasses.replace(run, profile=dataclasses.replace(run.profile, unet_epochs=2))
    assert zoo.unet_recipe(longer, split)["epochs"] == 2
    seeded = dataclasses.replace(run, seed=1)
    assert zoo.unet_recipe(seeded, split)["seed"] == 1
    online = zoo.unet_recipe(run, split, pretrained=True)  # ImageNet weights loaded: another model
    assert online["pretrained"] and online["freeze_epochs"] == run.profile.freeze_epochs
    assert not key["pretrained"] and key["freeze_epochs"] == 0
    start_a = zoo.Trained(None, {}, None, "aaa", True)
    start_b = zoo.Trained(None, {}, None, "bbb", True)
    assert (
        zoo.gan_recipe(run, split, start_a)["unet"] != zoo.gan_recipe(run, split, start_b)["unet"]
    )
    # every difference above is a different key, and so a different folder
    recipes = [key, online, zoo.unet_recipe(run, other_pictures), zoo.unet_recipe(longer, split),
               zoo.unet_recipe(seeded, split), zoo.gan_recipe(run, split, start_a),
               zoo.gan_recipe(run, split, start_b)]  # fmt: skip
    assert len({zoo._key(r) for r in recipes}) == len(recipes)


def test_code_hash_follows_the_code_not_the_comments():
    code = "def f(x):\n    return 2 * x\n"
    assert zoo.source_hash([code]) == zoo.source_hash(["# a note\ndef f(x):\n    return 2*x\n"])
    assert zoo.source_hash([code]) != zoo.source_hash([code.replace("2", "3")])
    assert len(zoo.code_hash()) == 16
    assert zoo.code_hash(("models",)) != zoo.code_hash(("gan",))
