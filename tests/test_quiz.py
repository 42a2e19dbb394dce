"""The classroom quiz: its HTML, its answer key, and (in a real browser) its running score."""

import base64
import io
import re
import shutil

import numpy as np
import pytest
from PIL import Image

from colorize_lib.pages import quiz


def _pictures(n=5, size=12, seed=0):
    rng = np.random.default_rng(seed)
    real = rng.integers(0, 256, size=(n, size, size, 3), dtype=np.uint8)
    fake = rng.integers(0, 256, size=(n, size, size, 3), dtype=np.uint8)
    return real, fake


def _decode(uri: str) -> np.ndarray:
    assert uri.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))


def _shown(q: quiz.Quiz, pair: int, side: str) -> np.ndarray:
    m = re.search(
        rf'id="{q.quiz_id}-{pair}-{side}"[^>]*>\s*<img src="(data:image/png;base64,[^"]+)"', q.html
    )
    assert m, f"no {side} picture for pair {pair}"
    return _decode(m.group(1))


def test_each_pair_shows_the_real_photo_on_the_recorded_side():
    real, fake = _pictures()
    q = quiz.make_quiz(real, fake, n=4, seed=3)
    assert q.n_pairs == 4
    assert len(re.findall(r'class="cq-pair"', q.html)) == 4
    assert len(re.findall(r"<img ", q.html)) == 8
    for i, side in enumerate(q.real_side):
        other = "right" if side == "left" else "left"
        np.testing.assert_array_equal(_shown(q, i, side), real[i])
        np.testing.assert_array_equal(_shown(q, i, other), fake[i])
    # nothing is loaded from elsewhere: every picture is inline
    assert not re.search(r'src="(?!data:)', q.html)
    assert "http" not in q.html


def test_answer_key_follows_the_seed():
    real, fake = _pictures(n=5)
    q = quiz.make_quiz(real, fake, seed=7)
    assert q.real_side == quiz.balanced_sides(5, seed=7)
    key = re.search(r"var key = \[([01,]*)\]", q.html).group(1)
    assert key == ",".join("0" if s == "left" else "1" for s in q.real_side)
    # the same seed gives the same order, other seeds other orders
    assert quiz.make_quiz(real, fake, seed=7).real_side == q.real_side
    assert len({quiz.balanced_sides(8, seed=s) for s in range(10)}) > 5
    # balanced: as many real photos left as right (one apart for an odd count)
    for n, seed in [(5, 7), (8, 0), (8, 1), (1, 3)]:
        sides = quiz.balanced_sides(n, seed)
        assert len(sides) == n and abs(sides.count("left") - sides.count("right")) == n % 2


def test_ids_are_unique_across_quizzes():
    real, fake = _pictures(n=2)
    a, b = quiz.make_quiz(real, fake), quiz.make_quiz(real, fake)
    assert a.quiz_id != b.quiz_id
    ids = re.findall(r'id="([^"]+)"', a.html + b.html)
    assert len(ids) == len(set(ids))
    assert a._repr_html_() == a.html


def test_float_pictures_and_bad_inputs():
    real, fake = _pictures(n=2)
    q = quiz.make_quiz(real / 255.0, fake / 255.0, seed=1)
    np.testing.assert_array_equal(_shown(q, 0, q.real_side[0]), real[0])
    with pytest.raises(ValueError, match="same shape"):
        quiz.make_quiz(real, fake[:1])
    with pytest.raises(ValueError, match="between 1 and"):
        quiz.make_quiz(real, fake, n=3)


@pytest.mark.browser
def test_clicking_updates_the_score_in_a_real_browser():
    if shutil.which("chromium") is None and not shutil.which("/usr/bin/chromium"):
        pytest.skip("Debian's chromium is missing: run `make browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    real, fake = _pictures(n=4)
    q = quiz.make_quiz(real, fake, seed=5)
    other = {"left": "right", "right": "left"}
    score = f"#{q.quiz_id}-score"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        # two quizzes on one page (as in a notebook run twice): they must not interfere
        page.set_content(
            "<html><body>" + q.html + quiz.make_quiz(real, fake).html + "</body></html>"
        )
        assert page.inner_text(score) == quiz.score_text(0, 0, 4)

        page.click(f"#{q.quiz_id}-0-{q.real_side[0]}")  # right
        assert page.inner_text(score) == quiz.score_text(0, 1, 4)
        assert "real photo" in page.inner_text(f"#{q.quiz_id}-0-verdict")
        page.click(f"#{q.quiz_id}-1-{other[q.real_side[1]]}")  # fooled
        assert page.inner_text(score) == quiz.score_text(1, 2, 4)
        assert "Fooled" in page.inner_text(f"#{q.quiz_id}-1-verdict")
        # a pair is answered once: clicking again changes nothing
        assert page.is_disabled(f"#{q.quiz_id}-1-{q.real_side[1]}")
        page.click(f"#{q.quiz_id}-1-{q.real_side[1]}", force=True)
        assert page.inner_text(score) == quiz.score_text(1, 2, 4)
        page.click(f"#{q.quiz_id}-2-{other[q.real_side[2]]}")  # fooled
        page.click(f"#{q.quiz_id}-3-{q.real_side[3]}")  # right
        assert page.inner_text(score) == quiz.score_text(2, 4, 4)
        assert "fooled you 2 of 4 times" in page.inner_text(score)
        # the real photo gets the green frame
        cls = page.get_attribute(f"#{q.quiz_id}-3-{q.real_side[3]}", "class")
        assert "cq-real" in cls
        page.click(f"#{q.quiz_id}-reset")
        assert page.inner_text(score) == quiz.score_text(0, 0, 4)
        assert not page.is_disabled(f"#{q.quiz_id}-0-left")
        browser.close()
    assert errors == []
    assert all(u.startswith(("data:", "about:")) for u in requests), requests
