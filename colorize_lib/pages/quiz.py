"""The "which one is real?" quiz for the classroom.

Each round shows a real photo and its colorized twin side by side, in a random (seeded) order;
the reader clicks the one they believe is real, the quiz reveals the answer and keeps a running
score: "the model fooled you k of n times".

The quiz is one self-contained piece of HTML with inline JavaScript and the pictures inlined as
base64 PNG ``data:`` URIs. It needs no kernel, no widget library and no network, so it works the
same in the static book, in a live Jupyter, in VS Code and on Colab. ``make_quiz`` builds it;
a notebook shows it by leaving the returned ``Quiz`` as the last expression of a cell (or with
``IPython.display.display(quiz)``).
"""

from __future__ import annotations

import dataclasses
import html
import uuid
from typing import Any

import numpy as np

from colorize_lib.data import pictures

SIDES = ("left", "right")


@dataclasses.dataclass(frozen=True)
class Quiz:
    """A built quiz: its HTML, where the real photo sits in each pair, and its unique id."""

    html: str
    real_side: tuple[str, ...]  # "left" or "right" for each pair, in order
    quiz_id: str

    @property
    def n_pairs(self) -> int:
        return len(self.real_side)

    def _repr_html_(self) -> str:  # Jupyter, myst-nb and Colab display this
        return self.html


def make_quiz(
    real: Any,
    fake: Any,
    n: int | None = None,
    seed: int = 0,
    title: str = "Which one is the real photo?",
    display_px: int = 192,
) -> Quiz:
    """Build the quiz from ``real`` and ``fake`` pictures ``[N, H, W, 3]`` (pair ``i`` = ``real[i]``,
    ``fake[i]``), using the first ``n`` pairs (all by default). ``seed`` fixes which side the real
    photo takes in each pair (``balanced_sides``); ``display_px`` is the width each picture is
    shown at.
    """
    real, fake = np.asarray(real), np.asarray(fake)
    if real.ndim != 4 or real.shape[-1] != 3 or fake.shape != real.shape:
        raise ValueError(
            "real and fake must be two batches of RGB pictures with the same shape [N, H, W, 3], "
            f"got {real.shape} and {fake.shape}."
        )
    n = real.shape[0] if n is None else int(n)
    if not 1 <= n <= real.shape[0]:
        raise ValueError(f"n must be between 1 and the {real.shape[0]} pairs given, got {n}.")
    real_side = balanced_sides(n, seed)
    quiz_id = "cq-" + uuid.uuid4().hex[:12]

    rounds = []
    for i, side in enumerate(real_side):
        uris = {side: pictures.to_data_uri(real[i]), _other(side): pictures.to_data_uri(fake[i])}
        buttons = "".join(
            f'<button type="button" class="cq-pick" id="{quiz_id}-{i}-{s}" data-pair="{i}" '
            f'data-side="{s}" title="Pick the {s} picture">'
            f'<img src="{uris[s]}" alt="pair {i + 1}, {s} picture" width="{display_px}" '
            f'style="width:{display_px}px;height:auto;display:block"></button>'
            for s in SIDES
        )
        rounds.append(
            f'<div class="cq-pair" id="{quiz_id}-{i}"><div class="cq-label">Pair {i + 1}</div>'
            f'<div class="cq-row">{buttons}</div>'
            f'<div class="cq-verdict" id="{quiz_id}-{i}-verdict">&nbsp;</div></div>'
        )
    # the answer key, as 0 (left) / 1 (right) per pair
    key = ",".join("0" if s == "left" else "1" for s in real_side)
    html_text = _TEMPLATE.format(
        qid=quiz_id,
        title=html.escape(title),
        n=n,
        rounds="".join(rounds),
        key=key,
        score=html.escape(score_text(0, 0, n)),
    )
    return Quiz(html=html_text, real_side=real_side, quiz_id=quiz_id)


def balanced_sides(n: int, seed: int = 0) -> tuple[str, ...]:
    """Where the real photo sits in each of ``n`` pairs: half "left", half "right", shuffled.

    Balanced rather than coin flips, so a reader who always clicks the same side is fooled
    exactly half the time (an odd pair out gets a random side).
    """
    rng = np.random.default_rng(seed)
    sides = [0] * (n // 2) + [1] * (n // 2) + ([int(rng.integers(0, 2))] if n % 2 else [])
    return tuple(SIDES[int(i)] for i in rng.permutation(sides))


def score_text(fooled: int, answered: int, n: int) -> str:
    """The running score line: the page starts with ``score_text(0, 0, n)``; its JavaScript
    writes the same words after every answer (the browser test compares the two)."""
    text = f"The model fooled you {fooled} of {answered} times"
    if answered < n:
        return text + f" ({n - answered} of {n} pairs left)."
    return text + f". Guessing at random would be fooled about {n / 2:g} times."


def _other(side: str) -> str:
    return "right" if side == "left" else "left"


# The page fragment. Double braces are literal braces for str.format.
_TEMPLATE = """
<div class="colorize-quiz" id="{qid}">
<style>
#{qid} {{ font-family: sans-serif; max-width: 100%; }}
#{qid} .cq-pair {{ display: inline-block; vertical-align: top; margin: 0 1.5em 1em 0; }}
#{qid} .cq-label {{ font-weight: bold; margin-bottom: 0.2em; }}
#{qid} .cq-row {{ display: flex; gap: 6px; }}
#{qid} .cq-pick {{ padding: 0; border: 4px solid #bbb; background: none; cursor: pointer; }}
#{qid} .cq-pick:hover {{ border-color: #555; }}
#{qid} .cq-pick.cq-real {{ border-color: #1a9850; }}
#{qid} .cq-pick.cq-fake {{ border-color: #d73027; }}
#{qid} .cq-pick:disabled {{ cursor: default; }}
#{qid} .cq-score {{ font-size: 1.1em; font-weight: bold; margin: 0.5em 0; }}
</style>
<p><b>{title}</b> Click the picture you believe is the real photo in each pair; the other one
was colorized by the model from the gray version. The green frame marks the real photo.</p>
{rounds}
<div class="cq-score" id="{qid}-score">{score}</div>
<button type="button" class="cq-reset" id="{qid}-reset">Start again</button>
<script>
(function () {{
  var root = document.getElementById("{qid}");
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "1";
  var key = [{key}], sides = ["left", "right"], n = key.length;
  var answers = [];
  function render() {{
    var answered = 0, fooled = 0;
    for (var i = 0; i < n; i++) {{
      if (answers[i] === undefined) continue;
      answered++;
      if (answers[i] !== key[i]) fooled++;
    }}
    var text = "The model fooled you " + fooled + " of " + answered + " times";
    if (answered < n) text += " (" + (n - answered) + " of " + n + " pairs left).";
    else text += ". Guessing at random would be fooled about " + (n / 2) + " times.";
    document.getElementById("{qid}-score").textContent = text;
  }}
  function pick(i, side) {{
    if (answers[i] !== undefined) return;
    answers[i] = side;
    for (var s = 0; s < 2; s++) {{
      var b = document.getElementById("{qid}-" + i + "-" + sides[s]);
      b.classList.add(s === key[i] ? "cq-real" : "cq-fake");
      b.disabled = true;
    }}
    document.getElementById("{qid}-" + i + "-verdict").textContent =
      side === key[i] ? "Right: you found the real photo."
                      : "Fooled! The real photo is the " + sides[key[i]] + " one.";
    render();
  }}
  root.querySelectorAll(".cq-pick").forEach(function (b) {{
    b.addEventListener("click", function () {{
      pick(parseInt(b.dataset.pair, 10), b.dataset.side === "left" ? 0 : 1);
    }});
  }});
  document.getElementById("{qid}-reset").addEventListener("click", function () {{
    answers = [];
    root.querySelectorAll(".cq-pick").forEach(function (b) {{
      b.classList.remove("cq-real", "cq-fake");
      b.disabled = false;
    }});
    root.querySelectorAll(".cq-verdict").forEach(function (v) {{ v.innerHTML = "&nbsp;"; }});
    render();
  }});
}})();
</script>
</div>
"""
