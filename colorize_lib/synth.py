"""Procedural landscapes: a seeded generator of colour pictures of skies, mountains, water and land.

Why make pictures? So that the book builds and teaches with no internet: the colorizer learns on
scenes whose colours are genuinely ambiguous in gray (a blue sky and green grass can have the same
lightness) yet predictable from context (sky above, ground below, snow on peaks, water mirroring
the sky).

Every picture is drawn from its own random stream ``numpy.random.default_rng([seed, i])``, so
picture ``i`` is the same whatever ``n`` is, and (because all noise lives on grids of a fixed
size, interpolated to the output) the same scene at any ``size``.

A scene, drawn from back to front (``y`` = 0 at the top, 1 at the bottom):

1. sky: a vertical gradient for the time of day (day, golden hour, dusk, overcast), a sun with
   its glow, clouds from 2-D fractal noise;
2. up to two ridges of mountains from 1-D fractal noise, hazier with distance, snow above a line;
3. optionally a lake or the sea below the horizon, mirroring what is above it, with ripples;
4. land in front: a meadow, forest, sand, a wheat field or scrub, with a treeline sometimes;
5. fog that thickens towards the horizon, the light of the time of day, and a little grain.

**Where gray cannot decide.** Three elements take their colour from several hues of the *same*
Lab lightness and the same texture, each equally likely (``CHOICES``): a meadow is green or
lavender, a forest (and a treeline) in summer or autumn colours, a lake blue, green or brown.
Nothing in the gray picture says which: a network trained with a per-pixel loss can only hedge
there. The options leave the picture about equally colourful, so the hue is what is unknown,
not the vividness. Everything else is decided by context (a day sky is blue above, snow is white on the
peaks, the sea mirrors the sky, sand and wheat have one colour each). These choices are drawn
from their own random stream, so ``generate_one(i, size, choices={"meadow": "lavender"})`` is
the same scene with another meadow; ``element_map`` says which pixels are which element and
which of them are ambiguous.

Command line: ``python -m colorize_lib generate --n 500 --size 128 --seed 0 --out DIR``.
"""

from __future__ import annotations

import functools

import numpy as np

TIMES_OF_DAY = ("day", "golden hour", "dusk", "overcast")
GROUNDS = ("grass", "forest", "sand", "field", "scrub")

# time of day -> (zenith RGB, horizon RGB, sun RGB or None, light tint on the land, brightness)
_SKIES: dict[str, tuple] = {
    "day": ((0.16, 0.38, 0.78), (0.66, 0.80, 0.95), (1.0, 0.98, 0.90), (1.00, 1.00, 0.97), 1.00),
    "golden hour": (
        (0.28, 0.42, 0.70),
        (1.00, 0.76, 0.42),
        (1.0, 0.85, 0.50),
        (1.10, 0.92, 0.70),
        0.90,
    ),
    "dusk": ((0.10, 0.09, 0.28), (0.95, 0.45, 0.32), (1.0, 0.55, 0.30), (0.85, 0.62, 0.68), 0.55),
    "overcast": ((0.52, 0.56, 0.62), (0.78, 0.80, 0.82), None, (0.92, 0.94, 0.98), 0.80),
}
# element -> {option: Lab colour}: equally likely hues of one lightness (so one gray), opposite
# enough in ab that the average of the options is a colour none of them has (dull for meadows
# and lakes; an olive for forests, whose options are both yellowish). The chromas are set so
# that swapping one option for another leaves the picture's colourfulness
# (``metrics.colorfulness``) unchanged on average over the scenes (one scene may lean either
# way), so a model that commits to any one option matches the truth's colourfulness on average.
CHOICES: dict[str, dict[str, tuple[float, float, float]]] = {
    "meadow": {"green": (52.0, -35.0, 38.0), "lavender": (52.0, 42.0, -42.0)},
    "forest": {"summer": (32.0, -38.0, 36.0), "autumn": (32.0, 24.5, 21.5)},
    "lake": {
        "blue": (40.0, -4.0, -28.0),
        "green": (40.0, -26.0, 12.0),
        "brown": (40.0, 14.0, 26.0),
    },
}
# element labels of ``element_map``
SKY, MOUNTAIN, WATER, GROUND, TREES = range(5)
ELEMENTS = ("sky", "mountain", "water", "ground", "trees")


@functools.cache
def _lab_to_rgb(lab: tuple[float, float, float]) -> np.ndarray:
    from skimage.color import lab2rgb

    return np.clip(lab2rgb(np.asarray([[lab]], np.float64)), 0, 1).astype(np.float32).ravel()


# ground -> base RGB (in full daylight); grass and forest are replaced by the scene's choice
_GROUND_RGB: dict[str, tuple[float, float, float]] = {
    "grass": (0.30, 0.55, 0.18),
    "forest": (0.10, 0.28, 0.10),
    "sand": (0.85, 0.72, 0.50),
    "field": (0.82, 0.68, 0.28),
    "scrub": (0.45, 0.42, 0.25),
}
_ROCK_RGB = ((0.45, 0.42, 0.40), (0.50, 0.40, 0.32), (0.35, 0.36, 0.40), (0.55, 0.50, 0.44))


# ----------------------------------------------------------------------------------------------
# Noise: value noise on fixed grids, smoothly interpolated (resolution independent)
# ----------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _interp_matrix(n: int, k: int) -> np.ndarray:
    """[n, k] weights that resample k grid values to n pixels with smoothstep interpolation."""
    pos = (np.arange(n, dtype=np.float64) + 0.5) / n * (k - 1)  # [n] in grid units
    i0 = np.clip(np.floor(pos).astype(int), 0, k - 2)
    t = pos - i0
    t = t * t * (3 - 2 * t)  # smoothstep
    m = np.zeros((n, k), np.float32)
    m[np.arange(n), i0] = 1 - t
    m[np.arange(n), i0 + 1] = t
    return m


def _fbm1d(rng: np.random.Generator, n: int, octaves: int = 6, base: int = 3) -> np.ndarray:
    """Fractal 1-D noise, [n], scaled to [0, 1]. Draws the same numbers whatever n is."""
    out = np.zeros(n, np.float32)
    amp = 1.0
    for o in range(octaves):
        k = base * 2**o + 1
        out += amp * (_interp_matrix(n, k) @ rng.standard_normal(k).astype(np.float32))
        amp *= 0.5
    lo, hi = out.min(), out.max()
    return (out - lo) / (hi - lo + 1e-6)


def _fbm2d(
    rng: np.random.Generator, h: int, w: int, octaves: int = 4, ky: int = 3, kx: int = 3
) -> np.ndarray:
    """Fractal 2-D noise, [h, w], roughly in [-1, 1]; ``ky``/``kx`` set the coarsest grid."""
    out = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        gy, gx = ky * 2**o + 1, kx * 2**o + 1
        grid = rng.uniform(-1, 1, (gy, gx)).astype(np.float32)
        out += amp * (_interp_matrix(h, gy) @ grid @ _interp_matrix(w, gx).T)  # [h, w]
        total += amp
        amp *= 0.5
    return out / total * 1.6


def _jitter(rng: np.random.Generator, rgb, amount: float) -> np.ndarray:
    return np.clip(np.asarray(rgb, np.float32) + rng.uniform(-amount, amount, 3), 0, 1).astype(
        np.float32
    )


def _lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    return a + (b - a) * t


# ----------------------------------------------------------------------------------------------
# One scene
# ----------------------------------------------------------------------------------------------


def scene_params(index: int, seed: int = 0) -> dict:
    """The choices behind picture ``index`` (time of day, ground, water, ..., and in
    ``"choices"`` the colour of each ambiguous element), for captions."""
    p = _draw_params(np.random.default_rng([seed, index]))
    p["choices"] = _draw_choices(seed, index)
    return p


def _draw_choices(seed: int, index: int, override: dict[str, str] | None = None) -> dict:
    """The hue of each ambiguous element, from the picture's own stream ``[seed, index, 2]``
    (so the rest of the scene does not depend on it); ``override`` fixes some."""
    rng = np.random.default_rng([seed, index, 2])
    picked = {name: list(opts)[rng.integers(len(opts))] for name, opts in CHOICES.items()}
    for name, option in (override or {}).items():
        if name not in CHOICES or option not in CHOICES[name]:
            known = "; ".join(f"{k}: {', '.join(v)}" for k, v in CHOICES.items())
            raise ValueError(f"unknown choice {name}={option!r}; known: {known}")
        picked[name] = option
    return picked


def _draw_params(rng: np.random.Generator) -> dict:
    # The land fills half the picture or more, and is mostly a meadow or a forest, with lakes
    # and treelines often: about half of all pixels take one of ``CHOICES``' hues, so a network
    # that hedges there visibly loses colour (chapters 3 and 4 measure it).
    time = TIMES_OF_DAY[rng.choice(4, p=[0.5, 0.2, 0.15, 0.15])]
    water = rng.uniform() < 0.5
    return {
        "time": time,
        "horizon": float(rng.uniform(0.25, 0.5)),
        "sun": time != "overcast" and rng.uniform() < 0.7,
        "clouds": float(rng.uniform(0.0, 1.0) if rng.uniform() < 0.75 else 0.0),
        "mountains": int(rng.choice(3, p=[0.35, 0.4, 0.25])),
        "water": bool(water),
        "sea": bool(water and rng.uniform() < 0.2),
        "ground": GROUNDS[rng.choice(5, p=[0.5, 0.3, 0.07, 0.07, 0.06])],
        "treeline": bool(rng.uniform() < 0.5),
        "fog": float(rng.uniform(0.2, 0.8) if rng.uniform() < 0.15 else rng.uniform(0.0, 0.1)),
    }


def _one_blas_thread():
    """Run BLAS on one thread inside the block (many tiny matrix products: threads only slow
    them down, by 10-40x on a busy 2-core machine). A no-op when threadpoolctl is missing."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def generate_one(
    index: int, size: int, seed: int = 0, choices: dict[str, str] | None = None
) -> np.ndarray:
    """Picture ``index`` of the set ``seed`` at ``size`` x ``size``: uint8 [size, size, 3].
    ``choices`` (e.g. ``{"meadow": "lavender"}``) repaints an ambiguous element."""
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels, got {size}")
    with _one_blas_thread():
        return _render(index, size, seed, choices)[0]


def element_map(index: int, size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Which element each pixel of picture ``index`` shows, uint8 [size, size] (``SKY`` ..
    ``TREES``, see ``ELEMENTS``), and where its colour is ambiguous, bool [size, size]: a
    meadow, a forest or treeline, a lake (their hue is one of ``CHOICES``, not seen in gray)."""
    with _one_blas_thread():
        _, labels, ambiguous = _render(index, size, seed, None)
    return labels, ambiguous


def _parse(name: str) -> tuple[int, int]:
    """``(seed, index)`` of a procedural picture named as splits name it (``"synth:SEED:INDEX"``,
    see ``data.Split``); ``ValueError`` for any other name (a photo)."""
    kind, _, rest = name.partition(":")
    seed, _, index = rest.partition(":")
    if kind != "synth" or not seed.isdigit() or not index.isdigit():
        raise ValueError(f"{name!r} is not a procedural picture: no map of its elements")
    return int(seed), int(index)


def element_maps(names: list[str], size: int) -> tuple[np.ndarray, np.ndarray]:
    """``element_map`` of each procedural picture named as splits name them: labels uint8
    [N, size, size] and where the colour is ambiguous, bool [N, size, size]. Raises
    ``ValueError`` for any other name: a photo has no such map."""
    labels = np.zeros((len(names), size, size), np.uint8)  # [N, S, S]
    masks = np.zeros((len(names), size, size), bool)  # [N, S, S]
    for k, name in enumerate(names):
        seed, index = _parse(name)
        labels[k], masks[k] = element_map(index, size, seed)
    return labels, masks


def ambiguous_masks(names: list[str], size: int) -> np.ndarray:
    """Where the colour is ambiguous, bool [N, size, size] (``element_maps``' second half)."""
    return element_maps(names, size)[1]


def picture_of(name: str, size: int) -> np.ndarray:
    """The procedural picture a split names ``"synth:SEED:INDEX"``, drawn at ``size`` (the same
    scene at any size): uint8 [size, size, 3]."""
    seed, index = _parse(name)
    return generate_one(index, size, seed)


def _render(index: int, size: int, seed: int, choices: dict[str, str] | None):
    """(uint8 [S, S, 3] picture, uint8 [S, S] element labels, bool [S, S] ambiguous)."""
    rng = np.random.default_rng([seed, index])
    p = _draw_params(rng)
    pick = _draw_choices(seed, index, choices)
    hue = {name: _lab_to_rgb(CHOICES[name][option]) for name, option in pick.items()}
    S = size
    y = ((np.arange(S, dtype=np.float32) + 0.5) / S)[:, None, None]  # [S, 1, 1]
    x = ((np.arange(S, dtype=np.float32) + 0.5) / S)[None, :, None]  # [1, S, 1]
    h0 = p["horizon"]
    zen, hor, sun_rgb, tint, bright = _SKIES[p["time"]]
    zen, hor = _jitter(rng, zen, 0.06), _jitter(rng, hor, 0.06)
    tint = np.asarray(tint, np.float32) * bright

    # 1. sky: gradient, sun glow, clouds --------------------------------------------------------
    t = np.clip(y / h0, 0, 1) ** rng.uniform(0.6, 1.6)  # [S, 1, 1] 0 at the top, 1 at horizon
    img = np.broadcast_to(_lerp(zen, hor, t), (S, S, 3)).copy()  # [S, S, 3]
    sx, sy = rng.uniform(0.1, 0.9), h0 * rng.uniform(0.25, 0.95)
    if p["time"] != "day":
        sy = h0 * rng.uniform(0.7, 1.0)  # low sun
    if p["sun"]:
        d2 = (x - sx) ** 2 + (y - sy) ** 2  # [S, S, 1]
        r = rng.uniform(0.025, 0.05)
        glow = 0.55 * np.exp(-d2 / (2 * (r * 4) ** 2)) + np.clip((r - np.sqrt(d2)) * S * 0.7, 0, 1)
        img = _lerp(img, np.asarray(sun_rgb, np.float32), np.clip(glow, 0, 1) * (y < h0))
    cloud_noise = _fbm2d(rng, S, S, octaves=5, ky=2, kx=1 + int(rng.integers(1, 4)))  # [S, S]
    if p["clouds"] > 0:
        dens = np.clip((cloud_noise - (0.7 - p["clouds"] * 0.9)) * 2.2, 0, 1)[..., None]
        dens *= np.clip((h0 - y) / (0.2 * h0), 0, 1) * 0.9  # thin out at the horizon
        lit = {"day": (0.96, 0.96, 0.97), "golden hour": (1.0, 0.86, 0.66)}.get(
            p["time"], (0.85, 0.55, 0.55) if p["time"] == "dusk" else (0.70, 0.71, 0.73)
        )
        shade = 0.78 + 0.22 * np.clip(1 - dens * 1.2, 0, 1)  # denser = darker underside
        img = _lerp(img, np.asarray(lit, np.float32) * shade, dens)

    labels = np.full((S, S), SKY, np.uint8)  # [S, S] which element each pixel shows
    # 2. mountains: far (hazy, snowy) then near (darker, greener) --------------------------------
    aa = float(S)  # anti-aliasing slope: one pixel of soft edge
    for layer in range(p["mountains"]):
        far = layer == 0 and p["mountains"] == 2
        amp = rng.uniform(0.15, 0.42) * (1.0 if far or p["mountains"] == 1 else 0.55) * h0 / 0.5
        ridge = h0 - amp * (0.15 + 0.85 * _fbm1d(rng, S, octaves=7, base=int(rng.integers(2, 5))))
        mask = np.clip((y - ridge[None, :, None]) * aa, 0, 1) * (y < h0 + 2 / S)  # [S, S, 1]
        rock = _jitter(rng, _ROCK_RGB[rng.integers(len(_ROCK_RGB))], 0.05)
        if not far and rng.uniform() < 0.5:
            rock = _jitter(rng, (0.22, 0.38, 0.16), 0.06)  # green hills
        tex = _fbm2d(rng, S, S, octaves=4, ky=4, kx=6)[..., None]  # [S, S, 1]
        # lit side vs shaded side: the slope of a smoothed ridge, fading down the flank
        smooth = _interp_matrix(S, 9) @ (_interp_matrix(S, 9).T @ ridge) / (S / 8)  # [S]
        slope = np.gradient(smooth)[None, :, None] * S * (1 if sx > 0.5 else -1)
        fade = np.clip(1 - (y - ridge[None, :, None]) / (amp + 1e-6), 0.3, 1)
        col = rock * (0.85 + 0.22 * tex + 0.3 * np.tanh(2 * slope) * fade)
        height = (h0 - y) / (amp + 1e-6)  # [S, 1, 1] 0 at the horizon, 1 at the highest peak
        snow_line = rng.uniform(0.3, 0.7) if (far or rng.uniform() < 0.5) else 9.0
        snow = np.clip((height - snow_line + 0.15 * tex) * 12, 0, 1)
        col = _lerp(col, np.float32([0.94, 0.95, 0.98]) * (0.92 + 0.1 * tex), snow)
        haze = (0.45 if far else 0.2) * rng.uniform(0.5, 1.2)
        col = _lerp(col * tint, hor, haze)
        img = _lerp(img, col, mask)
        labels[mask[..., 0] > 0.5] = MOUNTAIN

    # 3. water: mirrors the scene above the horizon, darker, with ripples ------------------------
    rows = np.arange(S)
    h0_px = h0 * S
    land_top = np.full(S, h0, np.float32)  # [S] where the land starts, per column
    if p["water"]:
        mirror = np.clip((2 * h0_px - rows - 1).astype(int), 0, S - 1)  # [S]
        refl = img[mirror]  # [S, S, 3]
        ripple = _fbm2d(rng, S, S, octaves=3, ky=24, kx=3)[..., None]
        cols = np.clip((rows[None, :] + ripple[..., 0] * S * 0.015).astype(int), 0, S - 1)
        refl = refl[rows[:, None], cols]  # [S, S, 3] mirrored, shifted sideways by the ripples
        water_tint = _jitter(rng, (0.12, 0.30, 0.38), 0.05)
        mix = rng.uniform(0.15, 0.4)
        if not p["sea"]:  # a lake shows its own colour (blue, green or brown) more than the sky
            water_tint, mix = hue["lake"], mix + 0.45
        water = _lerp(refl * 0.82, water_tint * tint, mix) * (1 + 0.06 * ripple)
        shore = 1.1 if p["sea"] else h0 + rng.uniform(0.08, 0.3)
        wmask = ((y >= h0) & (y < shore)).astype(np.float32)
        img = _lerp(img, water, wmask)
        labels[np.broadcast_to(wmask[..., 0] > 0.5, (S, S))] = WATER
        land_top = min(shore, 1.2) - 0.02 + 0.05 * (_fbm1d(rng, S, 5, 2) - 0.5)
        if p["sea"]:  # a beach at the bottom, sometimes
            land_top = 1 - rng.uniform(0.0, 0.18) + 0.04 * (_fbm1d(rng, S, 5, 2) - 0.5)

    # 4. land in front: treeline, then the ground ------------------------------------------------
    gname = "sand" if p["sea"] else p["ground"]
    own = {"grass": hue["meadow"], "forest": hue["forest"]}.get(gname)
    if own is None:
        base = _jitter(rng, _GROUND_RGB[gname], 0.05)
    else:  # brighter or darker by a factor, so that the options keep one gray
        base = own * np.float32(rng.uniform(0.92, 1.08))
    tex = _fbm2d(rng, S, S, octaves=5, ky=6, kx=4)[..., None]
    fine = _fbm2d(rng, S, S, octaves=2, ky=40, kx=40)[..., None]
    depth = np.clip((y - h0) / (1 - h0 + 1e-6), 0, 1)  # [S, 1, 1] 0 at the horizon, 1 in front
    rough = 0.35 if gname == "forest" else 0.15
    ground = base * (0.75 + 0.25 * depth + 0.2 * tex + rough * fine)
    if gname == "field":  # rows of a field converge to the horizon
        stripes = np.sin(((x - 0.5) / (depth + 0.08)) * rng.uniform(40, 80))
        ground = ground * (1 + 0.08 * stripes * depth)
    trees_here = np.zeros((S, S), bool)  # [S, S] pixels with any share of the treeline
    if p["treeline"] and not p["sea"]:
        top = land_top - rng.uniform(0.04, 0.12) * (0.4 + 0.6 * _fbm1d(rng, S, 4, 24))
        tmask = np.clip((y - top[None, :, None]) * aa, 0, 1)
        trees = hue["forest"] * (0.8 + 0.4 * fine + 0.2 * tex)
        tmask = tmask * (y < land_top[None, :, None])
        img = _lerp(img, _lerp(trees * tint, hor, 0.15), tmask)
        labels[tmask[..., 0] > 0.5] = TREES
        trees_here = tmask[..., 0] > 0.02
    gmask = np.clip((y - land_top[None, :, None]) * aa, 0, 1)
    img = _lerp(img, ground * tint, gmask)
    labels[gmask[..., 0] > 0.5] = GROUND
    # ambiguous: any pixel whose colour depends on a drawn hue, even by a share of its area
    g = gmask[..., 0]  # [S, S]
    ambiguous = trees_here & (g < 0.98)
    if own is not None:
        ambiguous |= g > 0.02
    if p["water"] and not p["sea"]:
        ambiguous |= np.broadcast_to(wmask[..., 0] > 0.5, (S, S)) & (g < 0.98)

    # 5. fog, then grain ------------------------------------------------------------------------
    if p["fog"] > 0:
        fog_col = np.clip(hor * 0.6 + 0.4 * np.float32(0.85), 0, 1)
        fog = p["fog"] * np.exp(-np.abs(y - h0) / rng.uniform(0.08, 0.25)) * (y > h0 - 0.3 * h0)
        img = _lerp(img, fog_col, np.clip(fog * (1 + 0.3 * tex), 0, 1))
    grain = np.random.default_rng([seed, index, 1]).standard_normal((S, S, 1), np.float32)
    img = img + 0.012 * grain
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8), labels, ambiguous


# ----------------------------------------------------------------------------------------------
# Many scenes
# ----------------------------------------------------------------------------------------------


def _chunk(args: tuple[int, int, int, int]) -> np.ndarray:
    start, stop, size, seed = args
    with _one_blas_thread():
        return np.stack([_render(i, size, seed, None)[0] for i in range(start, stop)])


def generate(
    n: int, size: int, seed: int = 0, start: int = 0, workers: int = 1, progress: bool = False
) -> np.ndarray:
    """``n`` landscapes ``start .. start+n-1`` of the set ``seed``: uint8 [n, size, size, 3].

    Deterministic: picture ``i`` depends only on ``(seed, i)`` (and, through resolution only, on
    ``size``). ``workers > 1`` draws chunks in that many processes (same pictures, faster).
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if size < 8:  # before anything is allocated: a huge n with a bad size fails at once
        raise ValueError(f"size must be at least 8 pixels, got {size}")
    out = np.empty((n, size, size, 3), np.uint8)  # [N, S, S, 3]
    from tqdm import tqdm  # a text bar on a terminal, none in a notebook or a log

    bar = tqdm(total=n, desc="landscapes", unit="pic", disable=None if progress else True)
    if workers <= 1 or n < 64:
        with _one_blas_thread():
            for k in range(n):
                out[k] = _render(start + k, size, seed, None)[0]
                bar.update(1)
    else:
        import multiprocessing as mp

        step = max(16, n // (workers * 8))
        jobs = [(start + a, start + min(a + step, n), size, seed) for a in range(0, n, step)]
        with mp.get_context("spawn").Pool(workers) as pool:
            for (a, b, _, _), block in zip(jobs, pool.imap(_chunk, jobs), strict=True):
                out[a - start : b - start] = block
                bar.update(b - a)
    bar.close()
    return out
