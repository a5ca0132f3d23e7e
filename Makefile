# Every target bootstraps .venv when needed, so each works as the first command on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app community
PYTEST_ARGS ?=
# Test processes (pytest-xdist): one per core; each test file stays in one process, so its
# module-scoped servers start once. `make test PYTEST_WORKERS=0` runs in this process.
PYTEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

.PHONY: run demo test test-fast lint format bench setup migrate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

migrate: setup
	$(FLASK) db upgrade
	$(FLASK) seed

run: migrate  ## serve on http://127.0.0.1:5000 (HOST/PORT to change)
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

demo: migrate  ## load the demo network into a fresh database, then serve it
	$(FLASK) demo load
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: $(VENV)/.installed-dev  ## the whole suite
	$(PYTEST) $(PYTEST_ARGS)

test-fast: $(VENV)/.installed-dev  ## everything not marked slow
	$(PYTEST) -m "not slow" $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed-dev  ## benchmarks; figures go to bench/RESULTS.md
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
