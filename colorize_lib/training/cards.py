"""A model card: what a trained model learned from and how it scores, kept beside the model.

Every way of training writes one: the chapters' models (``zoo``: ``card.json`` in the model's
cache folder) and the command line's (``train`` and ``train-gan``: ``NAME.card.json`` beside
``NAME.keras``). ``export`` carries it into the web page's JSON, chapter 6 shows it beside each
model, and ``colorize --card`` prints it. The card says where the pictures came from (no path of
the machine that trained), how many and how large, the epochs, the encoder and whether
ImageNet's weights loaded, the minutes of training, and, when measured, the held-out scores of
the model against leaving the pictures gray (``scores``: PSNR, ab error, the colourfulness
gap).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from colorize_lib.data import files, sources

NAME = "card.json"  # in a zoo model's folder
SUFFIX = ".card.json"  # beside a command line model: unet.keras -> unet.card.json


def learned_from(split) -> str:
    """Every source of a split in one line (the gpu profile's three Kaggle sets included), with
    no absolute path, and without the bundled photos the chapters only look at."""
    return "; ".join(
        sources.public_path(line.lstrip("- "))
        for line in split.source_description.splitlines()
        if not line.startswith("real photos bundled")
    )


def make(split, epochs: int, encoder: str, pretrained: bool, seconds: float, **more) -> dict:
    """A card for a model trained on ``split``; ``more`` (profile, seed, scores...) is added."""
    return {
        "learned_from": learned_from(split),
        "pictures": len(split.train),
        "size": int(split.train.shape[1]),
        "epochs": int(epochs),
        "encoder": encoder,
        "imagenet_weights": bool(pretrained),
        "training_minutes": round(seconds / 60, 1),
        **more,
    }


def scores(model, pictures: np.ndarray, limit: int = 200) -> dict:
    """Held-out scores of ``model`` on (at most ``limit``) ``pictures`` uint8 [N, S, S, 3], and
    of the gray pictures, as chapter 5 defines them."""
    from colorize_lib import infer, metrics

    truth = np.asarray(pictures[:limit])
    out = infer.colorize_batch(model, truth)
    gray = metrics.gray_baseline(truth)
    return {
        "held_out_pictures": len(truth),
        "psnr_db": round(metrics.psnr(out, truth), 2),
        "gray_psnr_db": round(metrics.psnr(gray, truth), 2),
        "ab_error": round(metrics.ab_error(out, truth), 2),
        "gray_ab_error": round(metrics.ab_error(gray, truth), 2),
        "colourfulness_gap": round(metrics.abs_gap(out, truth), 2),
        "gray_colourfulness_gap": round(metrics.abs_gap(gray, truth), 2),
    }


def path_for(model_path: str | Path) -> Path:
    """Where the card of the model file ``model_path`` is: ``card.json`` in a zoo folder, else
    ``NAME.card.json`` beside ``NAME.keras``."""
    model_path = Path(model_path)
    beside = model_path.with_name(model_path.stem + SUFFIX)
    in_folder = model_path.with_name(NAME)
    return in_folder if in_folder.exists() and not beside.exists() else beside


def write(model_path: str | Path, card: dict) -> Path:
    """Write the card beside a command line's model, all or nothing."""
    model_path = Path(model_path)
    return files.write_json(model_path.with_name(model_path.stem + SUFFIX), card)


def read(model_path: str | Path) -> dict:
    """The card of the model file ``model_path``, or ``{}`` when there is none (or it is
    damaged: a card is information, never a reason to stop)."""
    try:
        card = json.loads(path_for(model_path).read_text())
    except (OSError, ValueError):
        return {}
    return card if isinstance(card, dict) else {}


def lines(card: dict) -> list[str]:
    """A card as a few lines for a reader (the page's cards and ``colorize --card``)."""
    if not card:
        return ["what it learned from was not recorded"]
    weights = "ImageNet's weights" if card.get("imagenet_weights") else "random weights"
    out = [
        f"learned from: {card.get('learned_from', '?')}",
        f"{card.get('pictures', 0):,} pictures of {card.get('size')}x{card.get('size')}, "
        f"{card.get('epochs')} epochs, {card.get('training_minutes', 0):g} minutes of training",
        f"encoder: {card.get('encoder')}, started from {weights}",
    ]
    if card.get("fine_tunes"):
        out.append(f"fine-tunes {card['fine_tunes']}")
    if "psnr_db" in card:
        out.append(
            f"on {card['held_out_pictures']} held-out pictures: PSNR {card['psnr_db']} dB "
            f"(gray {card['gray_psnr_db']}), ab error {card['ab_error']} (gray "
            f"{card['gray_ab_error']}), colourfulness gap {card['colourfulness_gap']} (gray "
            f"{card['gray_colourfulness_gap']})"
        )
    return out
