# PM Ladder: `make run` to try it, `make test` to check it.
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# Test processes, each with its own database (pytest-xdist); 0 runs everything in one.
TEST_WORKERS ?= 2

.PHONY: install run test test-browser lint format bench clean

$(BIN)/python:
	@python=$$(./scripts/find-python) && "$$python" -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed

## run: install, migrate, load the default ladder and demo data, serve on $(HOST):$(PORT)
run: $(VENV)/.installed
	DEBUG=1 $(BIN)/python manage.py migrate --no-input
	DEBUG=1 $(BIN)/python manage.py load_default_ladder
	DEBUG=1 $(BIN)/python manage.py seed_demo
	@echo "PM Ladder is at http://$(HOST):$(PORT)/"
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

## test: install and run the whole suite (SQLite, or PostgreSQL when DATABASE_URL is set)
test: $(VENV)/.installed
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

## test-browser: only the browser tests (Debian's chromium package)
test-browser: $(VENV)/.installed
	$(BIN)/python -m pytest tests/browser $(PYTEST_ARGS)

## lint: ruff, formatting and migrations in step with the models
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench: time the main pages on a large generated ladder
bench: $(VENV)/.installed
	DEBUG=1 $(BIN)/python scripts/bench.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
