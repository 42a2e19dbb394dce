"""Pictures with no download: procedural landscapes and the photos bundled with two packages.

- ``ProceduralSource``: landscapes drawn by ``synth`` on this machine, picture ``i`` of the set
  ``seed``; it answers the same ``sources.Source`` interface as a folder of photos. Its held-out
  pictures are the set's pictures ``VAL_START``, ``VAL_START + 1``... (never trained on).
- ``bundled_photos``: the photos shipped inside scikit-learn and scikit-image wheels.
"""

from __future__ import annotations

import numpy as np

from colorize_lib.data.sources import Listing, SkipReport, Source

VAL_START = 1_000_000  # held-out procedural pictures are synth pictures VAL_START, VAL_START+1...


class ProceduralSource(Source):
    """``n`` landscapes from ``synth`` (made here, no files), picture ``i`` of the set ``seed``."""

    def __init__(self, n: int = 1000, seed: int = 0):
        self.n, self.seed = n, seed

    def describe(self) -> str:
        return (
            f"procedural landscapes drawn by colorize_lib.synth (set {self.seed}; no licence "
            f"needed; held out: the set's pictures from {VAL_START:,} on)"
        )

    def _list(self) -> Listing:
        return Listing(list(range(self.n)), [])

    def order(self, seed: int, n_val: int) -> list[int]:
        """The held-out pictures ``VAL_START...`` first, then the set's pictures ``0...``
        (``seed`` is the set's, chosen when the source was opened)."""
        return [VAL_START + k for k in range(n_val)] + self.listing().items

    def decode(self, items, size: int, progress: bool = True):
        from colorize_lib import synth

        items = [int(i) for i in items]
        parts, start = [], 0
        while start < len(items):  # runs of consecutive indices, one synth call each
            end = start + 1
            while end < len(items) and items[end] == items[end - 1] + 1:
                end += 1
            show = progress and end - start >= 500
            parts.append(
                synth.generate(end - start, size, self.seed, start=items[start], progress=show)
            )
            start = end
        images = np.concatenate(parts) if parts else np.zeros((0, size, size, 3), np.uint8)
        names = [f"synth:{self.seed}:{i}" for i in items]
        return images, names, SkipReport(loaded=len(items))


# name -> (package, loader, kind, what it shows). "outdoor" photos are in the book's domain
# (landscapes); "out-of-domain" ones test what a landscape colorizer does with other scenes.
BUNDLED: dict[str, tuple[str, str, str, str]] = {
    "china": ("scikit-learn", "china.jpg", "outdoor", "a temple above a lake, trees, hazy sky"),
    "rocket": ("scikit-image", "rocket", "outdoor", "a rocket on its launch pad at dusk"),
    "flower": ("scikit-learn", "flower.jpg", "out-of-domain", "a dahlia close up, leaves behind"),
    "astronaut": ("scikit-image", "astronaut", "out-of-domain", "a portrait (Eileen Collins)"),
    "chelsea": ("scikit-image", "chelsea", "out-of-domain", "a cat's face"),
    "coffee": ("scikit-image", "coffee", "out-of-domain", "a cup of coffee on a table, indoors"),
    "motorcycle": ("scikit-image", "motorcycle", "out-of-domain", "a red motorcycle in a garage"),
}
BUNDLED_LICENCES: dict[str, str] = {  # as the packages state them
    "china": "CC BY 2.0, danielbuechele on Flickr (sklearn/datasets/images/README.txt)",
    "flower": "CC BY 2.0, vultilion on Flickr (sklearn/datasets/images/README.txt)",
    "rocket": "public domain, SpaceX (skimage.data.rocket)",
    "astronaut": "public domain, NASA (skimage.data.astronaut)",
    "chelsea": "CC0, Stefan van der Walt (skimage.data.chelsea)",
    "coffee": "CC0, Rachel Michetti (skimage.data.coffee)",
    "motorcycle": "Middlebury stereo data set 2014: see vision.middlebury.edu/stereo/data",
}
BUNDLED_LICENCE = "; ".join(f"{k}: {v}" for k, v in BUNDLED_LICENCES.items())


def _load_bundled(name: str) -> np.ndarray:
    package, loader, _, _ = BUNDLED[name]
    if package == "scikit-learn":
        from sklearn.datasets import load_sample_image

        img = load_sample_image(loader)
    elif loader == "motorcycle":
        import skimage.data

        img = skimage.data.stereo_motorcycle()[0]
    else:
        import skimage.data

        img = getattr(skimage.data, loader)()
    return np.ascontiguousarray(np.asarray(img, dtype=np.uint8)[..., :3])  # [H, W, 3]


def bundled_photos(kind: str | None = None) -> dict[str, np.ndarray]:
    """Photos shipped inside scikit-learn and scikit-image wheels (no download), as uint8 RGB.

    ``kind``: ``"outdoor"`` (in the book's domain: landscapes), ``"out-of-domain"`` (portrait,
    cat, indoor scenes) or ``None`` for all. A photo whose package is missing is left out.
    See ``BUNDLED`` for what each one shows and ``BUNDLED_LICENCE``.
    """
    if kind not in (None, "outdoor", "out-of-domain"):
        raise ValueError(f"kind must be None, 'outdoor' or 'out-of-domain', got {kind!r}")
    photos: dict[str, np.ndarray] = {}
    for name, (_, _, k, _) in BUNDLED.items():
        if kind is not None and k != kind:
            continue
        try:
            photos[name] = _load_bundled(name)  # [H, W, 3] uint8
        except (ImportError, OSError, ValueError, AttributeError):
            continue  # package (or its file) missing: leave that photo out
    return photos
