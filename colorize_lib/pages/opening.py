"""A chapter's line of time, read from what a book build measured (``book_times.json``).

``benchmarks/bench_book.py`` builds the whole book with an empty model cache and records how
long each chapter took (``book_times.json`` beside this module, shipped with the package so a
chapter on Colab reads it too). A chapter shows ``time_line("03_unet")`` under its opening:
the measured time on a laptop's CPU and, once measured, on a Colab GPU. Nothing is typed.
"""

from __future__ import annotations

import json
from pathlib import Path

TIMES = Path(__file__).with_name("book_times.json")


def _duration(seconds: float) -> str:
    if seconds < 60:
        return "under a minute"
    minutes = round(seconds / 60)
    return f"about {minutes} minute{'s' if minutes != 1 else ''}"


def time_text(chapter: str, times: dict | None = None) -> str:
    """One line: how long ``chapter`` (e.g. ``"03_unet"``) took in the measured book builds."""
    if times is None:
        try:
            times = json.loads(TIMES.read_text()) if TIMES.exists() else {}
        except (OSError, ValueError):  # a damaged file: nothing measured, never a failed chapter
            times = {}
    parts = []
    for profile, where in (("cpu", "on a 2-core laptop"), ("gpu", "on a Colab GPU")):
        try:  # a profile, or a chapter, never measured (or a damaged entry): not measured yet
            run = times[profile]["chapters"][chapter]
            duration = _duration(float(run["seconds"]))
        except (KeyError, TypeError, ValueError):
            parts.append(f"{where} (`{profile}` profile): not measured yet")
            continue
        trains = " with its training" if run.get("trains") else ""
        parts.append(f"{duration} {where}{trains} (`{profile}` profile)")
    return "**Time:** " + "; ".join(parts) + "."


def training_note(kinds: list[str], profile: str, times: dict | None = None) -> str:
    """What a chapter will train before it goes on (``zoo.to_train``), and how long that took
    in the chapters that train it, as measured (``book_times.json``)."""
    if times is None:
        try:
            times = json.loads(TIMES.read_text()) if TIMES.exists() else {}
        except (OSError, ValueError):
            times = {}
    what = {"unet": ("chapter 3's U-Net", "03_unet"), "gan": ("chapter 4's GAN", "04_gan")}
    names = [what[k][0] for k in kinds]
    measured = []
    for where, key in ((profile, "this"), ("cpu", "the `cpu`")):
        try:
            seconds = sum(float(times[where]["chapters"][what[k][1]]["seconds"]) for k in kinds)
        except (KeyError, TypeError, ValueError):
            continue
        machine = times[where].get("machine", "")
        measured.append(f"{_duration(seconds)} in {key} profile ({machine})")
        break
    how_long = (
        f"; their chapters took {measured[0]}" if measured else "; not timed in this profile yet"
    )
    return (
        f"Not trained on this runtime yet: {' and '.join(names)} train first, as in their "
        f"chapters{how_long}."
    )


def time_line(chapter: str):
    """``time_text`` as Markdown, for a chapter's first output."""
    from IPython.display import Markdown

    return Markdown(time_text(chapter))
