# Routine tasks. `make book` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PIP    := $(PY) -m pip --disable-pip-version-check -q
EXTRAS ?= cpu,book,test,dev,kaggle,export
# The book is built with the CPU profile by default; `make book COLORIZE_PROFILE=tiny` for a quick look.
export COLORIZE_PROFILE ?= cpu

.PHONY: help setup browser book test lint format strip bench bench-book bench-quality bench-seeds clean

help:
	@echo "make book    build the whole book into _build/html (executes every chapter)"
	@echo "             COLORIZE_DATA=path/to/photos: on your photos instead of the procedural set"
	@echo "make test    run the test suite (installs what is missing first)"
	@echo "make lint    ruff check + format check"
	@echo "make format  ruff format + fix, and strip notebook outputs"
	@echo "make bench   speed and memory benchmarks (figures to benchmarks/results/)"
	@echo "make bench-quality  quality on real photos (PHOTOS=folder, default ../shared/landscapes-128)"
	@echo "make bench-book     the book from an empty cache, chapter by chapter (the chapters' times)"
	@echo "make bench-seeds    chapters 3 and 4 with seeds 0, 1 and 2: the GAN's effect build after build"
	@echo "make clean   remove the build, caches and the virtual environment"

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -e ".[$(EXTRAS)]"
	@touch $@

# Debian's chromium for the browser test (playwright drives it; never `playwright install`).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing: run 'sudo apt-get install chromium' (the browser test needs it)"; fi; }

# Any error in a chapter fails the build (execute.raise_on_error in _config.yml).
# A kernel's stderr is shown in the pages, TensorFlow's C++ log lines included. Level 3 keeps
# all but fatal ones out (the CPU-feature note, "oneDNN supports DT_INT32 only ..."). The note
# "oneDNN custom operations are on" is logged while TensorFlow loads, before it reads that level
# (tensorflow issue 100442): each chapter's setup cell, where TensorFlow loads, is tagged
# `remove-stderr`, so the page drops it (turning oneDNN off would cost 1.5x in CPU training).
# The Pages workflow runs this target: the same environment.
# `make book COLORIZE_DATA=path/to/photos` builds every chapter on your photos (a folder or an
# archive; also kaggle:OWNER/NAME or an archive's URL) instead of the procedural set. A path is
# made absolute here (the chapters run in notebooks/); one that does not exist stops the build.
DATA     = $(strip $(COLORIZE_DATA))
DATA_ABS = $(or $(realpath $(wildcard $(DATA))),$(DATA))
# `make book COLORIZE_WEB_MODELS=web-models/web-models.zip`: chapter 6's page also shows those
# models (a folder, a .zip, or its address with #sha256=; outranks book/web-models.txt's pin).
WEB      = $(strip $(COLORIZE_WEB_MODELS))
WEB_ABS  = $(or $(realpath $(wildcard $(WEB))),$(WEB))
book: export TF_CPP_MIN_LOG_LEVEL := 3
book: setup
	$(if $(DATA),$(if $(or $(wildcard $(DATA)),$(findstring :,$(DATA))),,$(error COLORIZE_DATA=$(DATA): no such folder or archive (relative paths start at $(CURDIR)))))
	$(if $(WEB),$(if $(or $(wildcard $(WEB)),$(findstring ://,$(WEB))),,$(error COLORIZE_WEB_MODELS=$(WEB): no such folder or .zip (relative paths start at $(CURDIR)))))
	$(if $(DATA),COLORIZE_DATA="$(DATA_ABS)") $(if $(WEB),COLORIZE_WEB_MODELS="$(WEB_ABS)") $(VENV)/bin/jupyter-book build . --all
	@echo "The book: _build/html/index.html"

# Two pytest workers: the book build (one worker, with every test that reads it; see
# tests/conftest.py) runs beside the rest of the suite. `make test WORKERS=0`: one process.
WORKERS ?= 2
test: setup browser
	COLORIZE_PROFILE=tiny $(PY) -m pytest $(if $(filter-out 0,$(WORKERS)),-n $(WORKERS))

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/nbstripout notebooks/*.ipynb book/*.ipynb

strip: setup
	$(VENV)/bin/nbstripout notebooks/*.ipynb book/*.ipynb

# Speed and memory figures (minutes on a CPU); results go to benchmarks/results/*.json.
bench: setup browser
	$(PY) benchmarks/bench_color.py
	$(PY) benchmarks/bench_data.py
	$(PY) benchmarks/bench_unet.py
	$(PY) benchmarks/bench_gan.py --skip-quality
	$(PY) benchmarks/bench_infer.py
	$(PY) benchmarks/bench_reliability.py
	$(PY) benchmarks/bench_browser.py

# The whole book from an empty model cache, chapter by chapter (about 10 minutes on 2 cores):
# results/book_cpu.json and the times the chapters show (colorize_lib/pages/book_times.json).
bench-book: setup
	$(PY) benchmarks/bench_book.py

# Quality on real photos (trains with the command line; about an hour on 2 cores).
PHOTOS ?= ../shared/landscapes-128
bench-quality: setup
	$(PY) benchmarks/bench_unet.py --quality
	$(PY) benchmarks/bench_gan.py --skip-speed
	$(PY) benchmarks/bench_quality.py --folder $(PHOTOS) --val-split --models /tmp/bench_unet/unet.keras

# Chapters 3 and 4 trained with seeds 0, 1 and 2 and scored as chapter 4 scores them (about
# 20 minutes on 2 cores from an empty cache); the models stay in the book's cache for `make book`.
bench-seeds: setup
	$(PY) benchmarks/bench_seeds.py --seeds 0 1 2

clean:
	rm -rf _build .pytest_cache .ruff_cache $(VENV) .jupyter_cache
	rm -f book/_static/exported/models/*.onnx book/_static/exported/models/*.json book/_static/exported/figures/*.png
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
