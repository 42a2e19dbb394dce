# Routine tasks. `make book` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PIP    := $(PY) -m pip --disable-pip-version-check -q
EXTRAS ?= cpu,book,test,dev,kaggle
# The book is built with the CPU profile by default; `make book COLORIZE_PROFILE=tiny` for a quick look.
export COLORIZE_PROFILE ?= cpu

.PHONY: help setup browser book test lint format strip bench clean

help:
	@echo "make book    build the whole book into _build/html (executes every chapter)"
	@echo "make test    run the test suite (installs what is missing first)"
	@echo "make lint    ruff check + format check"
	@echo "make format  ruff format + fix, and strip notebook outputs"
	@echo "make bench   run every benchmark script (figures to benchmarks/results/)"
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
book: setup
	$(VENV)/bin/jupyter-book build . --all
	@echo "The book: _build/html/index.html"

test: setup browser
	COLORIZE_PROFILE=tiny $(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/nbstripout notebooks/*.ipynb book/*.ipynb

strip: setup
	$(VENV)/bin/nbstripout notebooks/*.ipynb book/*.ipynb

bench: setup
	@for s in benchmarks/bench_*.py; do echo "== $$s"; $(PY) $$s || exit 1; done

clean:
	rm -rf _build .pytest_cache .ruff_cache $(VENV) .jupyter_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
