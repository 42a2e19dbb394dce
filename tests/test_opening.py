"""A chapter's opening line of time and chapter 6's model cards: read from what was measured."""

from __future__ import annotations

from colorize_lib.pages import opening, webpage
from colorize_lib.training import cards

TIMES = {
    "cpu": {
        "chapters": {
            "03_unet": {"seconds": 178.4, "trains": True},
            "01_grayscale": {"seconds": 4.6, "trains": False},
        }
    },
}


def test_the_time_line_reads_the_measured_times():
    line = opening.time_text("03_unet", TIMES)
    assert line.startswith("**Time:** about 3 minutes on a 2-core laptop with its training")
    assert "on a Colab GPU (`gpu` profile): not measured yet" in line
    assert "under a minute on a 2-core laptop (`cpu` profile)" in opening.time_text(
        "01_grayscale", TIMES
    )
    assert "not measured yet" in opening.time_text("02_ambiguous_colors", TIMES)
    gpu = {**TIMES, "gpu": {"chapters": {"03_unet": {"seconds": 61, "trains": True}}}}
    assert "about 1 minute on a Colab GPU with its training" in opening.time_text("03_unet", gpu)


def test_the_shipped_times_are_what_the_chapters_can_read():
    import json

    times = json.loads(opening.TIMES.read_text())  # written by benchmarks/bench_book.py
    for chapter in times["cpu"]["chapters"]:
        assert "not measured" not in opening.time_text(chapter).split(";")[0], chapter


CARD = {
    "learned_from": "procedural landscapes drawn by colorize_lib.synth (set 0; no licence needed)",
    "pictures": 1200,
    "size": 64,
    "epochs": 10,
    "encoder": "MobileNetV2-0.35",
    "imagenet_weights": False,
    "training_minutes": 2.5,
}


def test_a_model_card_says_what_the_model_learned_from():
    lines = cards.lines(CARD)
    assert lines[0].startswith("learned from: procedural landscapes")
    assert lines[1] == "1,200 pictures of 64x64, 10 epochs, 2.5 minutes of training"
    assert lines[2] == "encoder: MobileNetV2-0.35, started from random weights"
    assert cards.lines({}) == ["what it learned from was not recorded"]
    assert "only seen the procedural landscapes" in webpage.expectation({"U-Net": CARD})
    photos = {**CARD, "learned_from": "pictures in the folder photos"}
    assert "learned from photos" in webpage.expectation({"U-Net": photos})


def test_the_page_shows_the_cards_and_offers_a_picture_of_the_models_world(tmp_path):
    import json
    from pathlib import Path

    from colorize_lib.export import Exported

    info = {
        "working_size": 64,
        "input": "L_norm",
        "output": "ab_norm",
        "L_scale": [50, -1],
        "ab_scale": 110,
    }
    e = Exported(Path("unet.onnx"), Path("unet.json"), info)
    html = webpage.page_html(
        {"U-Net": e}, cards={"U-Net": CARD}, sample=("landscape.png", b"\x89PNG")
    )
    assert "1,200 pictures of 64x64" in html and "only seen the procedural landscapes" in html
    assert 'class="cyp-sample"' in html
    config = json.loads(html.split('ColorizePhoto.mount("cyp", ')[1].split(");</script>")[0])
    assert config["sample"]["url"].startswith("data:image/png;base64,")
    plain = webpage.page_html({"U-Net": e})
    assert (
        "cyp-card" not in plain.split("</style>")[1]
        and "cyp-sample" not in plain.split("</style>")[1]
    )


def test_a_card_travels_with_a_command_line_model_and_a_damaged_one_is_no_card(tmp_path):
    model = tmp_path / "unet.keras"
    cards.write(model, CARD)
    assert cards.read(model) == CARD and (tmp_path / "unet.card.json").is_file()
    (tmp_path / "unet.card.json").write_text('{"learned_fr')
    assert cards.read(model) == {} and cards.lines({})[0].startswith("what it learned")
    folder = tmp_path / "unet-abc"  # a chapter's model: card.json in its cache folder
    folder.mkdir()
    (folder / "card.json").write_text('{"pictures": 3}')
    assert cards.read(folder / "model.keras") == {"pictures": 3}


def test_a_chapter_says_what_it_will_train_and_how_long_it_took():
    times = {"cpu": {"machine": "2 cores", "chapters": {"03_unet": {"seconds": 160},
                                                         "04_gan": {"seconds": 250}}}}  # fmt: skip
    note = opening.training_note(["unet", "gan"], "cpu", times)
    assert "chapter 3's U-Net and chapter 4's GAN train first" in note
    assert "about 7 minutes in this profile (2 cores)" in note
    note = opening.training_note(["gan"], "gpu", times)  # the gpu profile never measured
    assert "chapter 4's GAN" in note and "about 4 minutes in the `cpu` profile" in note
    assert "not timed" in opening.training_note(["gan"], "gpu", {})


def test_the_expectation_names_which_models_saw_photos():
    photos = {**CARD, "learned_from": "pictures in the folder photos"}
    text = webpage.expectation({"U-Net": CARD, "U-Net (photos)": photos})
    assert (
        text.startswith("U-Net has only seen the procedural") and "U-Net (photos) learned" in text
    )
