"""The book's trained models, cached by what determines them.

Chapter 3 trains a U-Net, chapter 4 fine-tunes it as a GAN, chapter 5 studies both. Training
takes minutes, so a trained model is kept in the cache folder and reused, but only when it is
certain to be the model the chapter would train now. The cache key is a hash of

- the **recipe**: the profile's sizes (epochs, batch, encoder), learning rates, seed, precision;
- the **data**: the decoded pictures themselves (train and validation arrays) and their names;
- the **code** that builds and trains it: the syntax trees of the modules below, so a change
  of a layer, a loss or the data pipeline retrains, and a comment does not;
- for the GAN, the key of the U-Net it starts from.

Each model lives in ``cache_dir(profile)/<kind>-<key>/`` with ``model.keras``, ``history.json``,
``recipe.json`` (what went into the key, to read) and ``run/`` (the checkpoints of its training,
so an interrupted training resumes). ``retrain=True`` trains again whatever is cached.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import importlib.util
import json
import shutil
import time
from pathlib import Path

import keras

from colorize_lib import data, hints, models, profiles, shapes
from colorize_lib import gan as gan_module
from colorize_lib.data import files
from colorize_lib.training import cards, fitting
from colorize_lib.training.runtime import Run

CODE = (  # the modules whose code decides a trained model (their syntax trees)
    "color",
    "synth",
    "models",
    "gan",
    "data.sources",
    "data.offline",
    "data.split",
    "data.pipeline",
    "training.callbacks",
    "training.fitting",
    "training.zoo",
)
UNET_RECIPE = {"learning_rate": 1e-3}
HINT_RECIPE = {  # chapter 7: the hint U-Net starts from chapter 3's and learns the hints
    "learning_rate": hints.LEARNING_RATE,
    "hints": f"geometric p={hints.GEOMETRIC_P:.3f}, none {hints.NO_HINTS}, sides {hints.SIDES}, "
    f"at most {hints.MAX_HINTS}",
}
GAN_RECIPE = {  # λ and the discriminator's warm-up come from the profile (run length)
    "g_learning_rate": 2e-4,
    "d_learning_rate": 2e-4,
    "label_smoothing": 0.0,
}


@dataclasses.dataclass
class Trained:
    """A trained model, its loss history and where it is cached."""

    model: keras.Model
    history: dict  # U-Net: {"loss": [...], ...}; GAN: {"epochs": {...}, "steps": {...}, ...}
    folder: Path
    key: str
    reused: bool  # True when loaded from the cache, False when trained now

    @property
    def card(self) -> dict:
        """What the model learned from (``card.json`` in its folder; see ``training.cards``)."""
        return cards.read(self.folder / "model.keras") if self.folder else {}


def model_card(run: Run, split: data.Split, epochs: int, pretrained: bool, seconds: float) -> dict:
    """The card of a chapter's model (``cards.make`` with the profile and the seed)."""
    return cards.make(
        split, epochs, run.profile.encoder, pretrained, seconds, profile=run.profile.name,
        seed=run.seed,
    )  # fmt: skip


def source_hash(sources) -> str:
    """A hash of Python source texts that ignores comments and formatting (their syntax trees)."""
    h = hashlib.sha256()
    for source in sources:
        h.update(ast.dump(ast.parse(source)).encode())
    return h.hexdigest()[:16]


def code_hash(modules=CODE) -> str:
    """``source_hash`` of ``colorize_lib``'s ``modules``: the code that builds and trains."""
    paths = [importlib.util.find_spec(f"colorize_lib.{name}").origin for name in modules]
    return source_hash(Path(p).read_text() for p in paths)


def _key(recipe: dict) -> str:
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]


def _cached(kind: str, run: Run, recipe: dict, retrain: bool) -> tuple[Path, str, bool]:
    key = _key(recipe)
    folder = profiles.cache_dir(run.profile) / f"{kind}-{key}"
    if retrain and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files.write_json(folder / "recipe.json", recipe)
    done = all((folder / name).exists() for name in ("model.keras", "history.json", cards.NAME))
    return folder, key, done


def _save(folder: Path, key: str, model: keras.Model, history: dict, card: dict) -> Trained:
    """A model trained now, into its cache folder: history and card first, the model last (its
    file marks the folder complete, ``_cached``)."""
    files.write_json(folder / "history.json", history)
    files.write_json(folder / cards.NAME, card)
    files.save_model(model, folder / "model.keras")
    return Trained(model, history, folder, key, False)


def _load(folder: Path, key: str, what: str, model: keras.Model | None = None) -> Trained:
    """The cached model; with ``model`` (the reader's own network), its weights loaded into it."""
    if model is None:
        print(
            f"this {what} recipe was trained before (same recipe, data and code): loading it "
            "(retrain=True trains it again)"
        )
        model = keras.models.load_model(folder / "model.keras")
    else:
        print(
            f"this {what} recipe was trained before (same recipe, data and code): its weights "
            "go into your network (RETRAIN = True trains your network itself)"
        )
        model.load_weights(folder / "model.keras")
    return Trained(model, json.loads((folder / "history.json").read_text()), folder, key, True)


def to_train(run: Run, split: data.Split) -> list[str]:
    """Which of chapter 3's U-Net (``"unet"``) and chapter 4's GAN (``"gan"``) the cache does not
    hold yet for this run and split (same profile, data, seed, code, precision, encoder and
    size; whether ImageNet's weights load is known only once the U-Net is built, so a note, not
    a key): what a chapter that needs them will train first."""
    P, code = run.profile, code_hash()
    have = set()
    for recipe_file in profiles.cache_dir(P).glob("*-*/recipe.json"):
        try:
            recipe = json.loads(recipe_file.read_text())
        except (OSError, ValueError):
            continue
        kind = recipe.get("kind")
        epochs = {"unet": P.unet_epochs, "gan": P.gan_epochs}.get(kind)
        if (
            epochs == recipe.get("epochs")
            and recipe.get("start_from") is None
            and recipe.get("precision") == run.precision
            and (kind == "gan" or recipe.get("encoder") == P.encoder)
            and (kind == "gan" or recipe.get("size") == split.train.shape[1])
            and (recipe.get("data"), recipe.get("seed"), recipe.get("code"))
            == (split.key, run.seed, code)
            and (recipe_file.parent / "model.keras").exists()
        ):
            have.add(recipe["kind"])
    return [kind for kind in ("unet", "gan") if kind not in have]


def unet_recipe(run: Run, split: data.Split, epochs=None, start_from=None, pretrained=False):
    """What determines chapter 3's U-Net (its cache key is a hash of this). ``pretrained``:
    whether ImageNet weights loaded (offline they do not, and the model is another one)."""
    P = run.profile
    return {
        "kind": "unet",
        "size": split.train.shape[1],
        "encoder": P.encoder,
        "pretrained": bool(pretrained and start_from is None),
        "epochs": P.unet_epochs if epochs is None else epochs,
        "freeze_epochs": P.freeze_epochs if pretrained and start_from is None else 0,
        "batch_size": P.batch_size,
        "seed": run.seed,
        "precision": run.precision,
        "data": split.key,
        "code": code_hash(),
        "start_from": start_from.key if start_from else None,
        **UNET_RECIPE,
    }


def unet(
    run: Run,
    split: data.Split,
    retrain: bool = False,
    epochs: int | None = None,
    start_from: Trained | None = None,
    samples: bool = True,
    model: keras.Model | None = None,
) -> Trained:
    """The profile's U-Net trained on ``split`` (at its picture size), from the cache or now.

    ``model``: the U-Net to train, built under ``run.strategy.scope()`` (chapter 3 passes the
    network its own ``build_unet`` returned, proven equal to ``models.build_unet``); by default
    ``models.build_unet`` builds it. From the cache, the cached weights are loaded into it.
    ``epochs`` (default: the profile's ``unet_epochs``) and ``start_from`` (a trained U-Net of
    the same encoder at any size, whose weights to start from, as chapter 5's resolution study
    does) are part of the recipe. The U-Net is built first (a second or two), because whether
    its encoder got ImageNet weights decides which model this is.
    """
    P = run.profile
    size = split.train.shape[1]
    given = model is not None
    if model is None:
        with run.strategy.scope():
            model = models.build_unet(size, P.encoder, weights=None if start_from else "imagenet")
    elif model.input_shape[1] != size:
        raise ValueError(
            f"model {model.name} takes {model.input_shape[1]}-pixel pictures, not {size}"
        )
    pretrained = bool(getattr(model, "pretrained", False))
    recipe = unet_recipe(run, split, epochs, start_from, pretrained)
    folder, key, cached = _cached("unet", run, recipe, retrain)
    if cached:
        return _load(folder, key, "U-Net", model if given else None)
    if start_from is not None:
        if [w.shape[1:] for w in model.weights] != [w.shape[1:] for w in start_from.model.weights]:
            raise ValueError(
                f"start_from ({start_from.model.name}) is not a U-Net with the encoder "
                f"{P.encoder!r}: train it again for this profile (zoo.unet(run, split, retrain=True))"
            )
        model.set_weights(start_from.model.get_weights())  # convolutions: any size fits
    train_ds, val_ds = data.make_datasets(split, P.batch_size, run.seed, run.replicas)
    started = time.perf_counter()
    history = fitting.train_unet(
        model,
        train_ds,
        val_ds,
        recipe["epochs"],
        folder / "run",
        freeze_epochs=recipe["freeze_epochs"],
        learning_rate=UNET_RECIPE["learning_rate"],
        strategy=run.strategy,
        samples=fitting.samples_from(val_ds) if samples else None,
        recipe={"key": key},
    )
    card = model_card(run, split, recipe["epochs"], pretrained, time.perf_counter() - started)
    return _save(folder, key, model, history.history, card)


def gan_recipe(run: Run, split: data.Split, start: Trained) -> dict:
    """What determines chapter 4's GAN: ``start``'s key (chapter 3's U-Net) among the rest."""
    P = run.profile
    return {
        "kind": "gan",
        "unet": start.key,
        "epochs": P.gan_epochs,
        "batch_size": P.batch_size,
        "seed": run.seed,
        "precision": run.precision,
        "data": split.key,
        "code": code_hash(),
        "l1_weight": P.gan_l1_weight,
        "d_warmup_epochs": P.gan_warmup_epochs,
        "d_downsamples": shapes.patch_downsamples(split.train.shape[1]),
        **GAN_RECIPE,
    }


def gan(
    run: Run,
    split: data.Split,
    start: Trained,
    retrain: bool = False,
    samples: bool = True,
    gan_class: type[keras.Model] = gan_module.ColorizationGAN,
    discriminator: keras.Model | None = None,
) -> Trained:
    """Chapter 4's GAN-fine-tuned generator: ``start`` (chapter 3's U-Net) fine-tuned for the
    profile's ``gan_epochs`` on ``split``, from the cache or now. ``history`` holds
    ``epochs`` (epoch means), ``steps`` (every step's losses) and ``reports``.

    ``gan_class`` and ``discriminator``: the GAN model class and the discriminator to train
    (chapter 4 passes the ones it wrote, proven equal to ``gan.ColorizationGAN`` and
    ``models.build_discriminator``); by default the library's. The discriminator must have the
    recipe's depth (``shapes.patch_downsamples`` of the picture size)."""
    P = run.profile
    recipe = gan_recipe(run, split, start)
    size, n_down = split.train.shape[1], recipe["d_downsamples"]
    if discriminator is not None and discriminator.output_shape[1] != shapes.patch_grid(
        size, n_down
    ):
        raise ValueError(
            f"the discriminator gives a {discriminator.output_shape[1]}-wide grid of verdicts; "
            f"the recipe's has n_down = {n_down} ({shapes.patch_grid(size, n_down)} wide)"
        )
    folder, key, cached = _cached("gan", run, recipe, retrain)
    with run.strategy.scope():
        generator = models.copy_model(start.model)  # fine-tuning leaves chapter 3's model be
        if cached:
            return _load(folder, key, "GAN", generator)
        if discriminator is None:
            discriminator = models.build_discriminator(size, n_down=n_down)
    train_ds, val_ds = data.make_datasets(split, P.batch_size, run.seed, run.replicas)
    started = time.perf_counter()
    history = fitting.train_gan(
        generator,
        train_ds,
        val_ds,
        P.gan_epochs,
        folder / "run",
        discriminator=discriminator,
        gan_class=gan_class,
        samples=fitting.samples_from(val_ds) if samples else None,
        strategy=run.strategy,
        recipe={"key": key},
        l1_weight=P.gan_l1_weight,
        d_warmup_epochs=P.gan_warmup_epochs,
        **GAN_RECIPE,
    )
    record = {"epochs": history.history, "steps": history.steps, "reports": history.reports}
    card = model_card(
        run, split, P.gan_warmup_epochs + P.gan_epochs, start.card.get("imagenet_weights", False),
        time.perf_counter() - started,
    )  # fmt: skip
    card["fine_tunes"] = "the U-Net above, as a GAN's generator"
    return _save(folder, key, generator, record, card)  # a plain U-Net file: colorize uses it


def hint_recipe(run: Run, split: data.Split, start: Trained) -> dict:
    """What determines chapter 7's hint U-Net: ``start``'s key (chapter 3's U-Net) among the
    rest, and the code of ``hints`` (how training hints are drawn)."""
    P = run.profile
    return {
        "kind": "hints",
        "unet": start.key,
        "epochs": P.hint_epochs,
        "batch_size": P.batch_size,
        "seed": run.seed,
        "precision": run.precision,
        "data": split.key,
        "code": code_hash(),
        "hints_code": code_hash(("hints",)),
        **HINT_RECIPE,
    }


def hint_unet(
    run: Run,
    split: data.Split,
    start: Trained,
    retrain: bool = False,
    model: keras.Model | None = None,
) -> Trained:
    """Chapter 7's hint U-Net (``models.build_hint_unet``), started from ``start`` (chapter 3's
    U-Net: ``models.from_unet``) and trained for the profile's ``hint_epochs`` on ``split`` with
    hints drawn from the true colours (``hints.with_hints``), from the cache or now. ``model``:
    the network to train (chapter 7 passes the one it built), by default the library's."""
    P = run.profile
    size = split.train.shape[1]
    recipe = hint_recipe(run, split, start)
    folder, key, cached = _cached("hints", run, recipe, retrain)
    given = model is not None
    if model is None:
        with run.strategy.scope():
            model = models.build_hint_unet(size, P.encoder, weights=None)
    if cached:
        return _load(folder, key, "hint U-Net", model if given else None)
    models.from_unet(model, start.model)  # with no hint, chapter 3's U-Net to begin with
    train_ds, val_ds = data.make_datasets(split, P.batch_size, run.seed, run.replicas)
    started = time.perf_counter()
    history = fitting.train_unet(
        model,
        hints.with_hints(train_ds, run.seed),
        hints.with_hints(val_ds, run.seed + 1),  # the same validation hints every epoch
        P.hint_epochs,
        folder / "run",
        learning_rate=HINT_RECIPE["learning_rate"],
        strategy=run.strategy,
        recipe={"key": key},
    )
    card = model_card(
        run, split, P.hint_epochs, start.card.get("imagenet_weights", False),
        time.perf_counter() - started,
    )  # fmt: skip
    card["fine_tunes"] = "chapter 3's U-Net, with colour hints"
    return _save(folder, key, model, history.history, card)
