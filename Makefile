# PM Ladder: `make run` to try it, `make test` to check it.
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The address in the links the app emails: where `make run` serves, unless set.
SITE_URL ?= http://$(HOST):$(PORT)
# DEMO=0: `make run` loads the default ladder but no demo organisation.
DEMO ?= 1
PYTEST_ARGS ?=
# Test processes, each with its own database (pytest-xdist); 0 runs everything in one.
TEST_WORKERS ?= 2

.PHONY: install run test test-browser lint format bench bench-smoke clean load

$(BIN)/python:
	@python=$$(./scripts/find-python) && "$$python" -m venv $(VENV)

# Serving needs only the runtime requirements; tests and tools add requirements-dev.txt
# (the test runner, the browser driver, ruff). Each set has its own stamp.
$(VENV)/.installed-runtime: $(BIN)/python requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-runtime requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed-dev

## run: install what serving needs, migrate, load the default ladder and the demo
## organisation (not with DEMO=0), serve on $(HOST):$(PORT) with a task worker beside it
run: $(VENV)/.installed-runtime
	DEBUG=1 $(BIN)/python manage.py migrate --no-input --verbosity 0
	DEBUG=1 $(BIN)/python manage.py load_default_ladder
ifneq ($(DEMO),0)
	DEBUG=1 SITE_URL="$(SITE_URL)" $(BIN)/python manage.py seed_demo
endif
	@echo "PM Ladder is at http://$(HOST):$(PORT)/"
	@# The worker runs imports and exports (background tasks); it stops with the server.
	DEBUG=1 SITE_URL="$(SITE_URL)" $(BIN)/python manage.py db_worker --no-reload & \
	worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=1 SITE_URL="$(SITE_URL)" $(BIN)/python manage.py runserver $(HOST):$(PORT)

## test: install and run the whole suite (SQLite, or PostgreSQL when DATABASE_URL is set)
test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

## test-browser: only the browser tests (Debian's chromium package)
test-browser: $(VENV)/.installed-dev
	$(BIN)/python -m pytest tests/browser $(PYTEST_ARGS)

## lint: ruff, formatting and migrations in step with the models
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench: every page, imports and the tree on generated organisations of BENCH_SIZES people
## (PostgreSQL when DATABASE_URL is set); fails when a speed target is missed
BENCH_SIZES ?= 1000,10000,100000
BENCH_ARGS ?=
bench: $(VENV)/.installed-dev
	DEBUG=1 $(BIN)/python scripts/bench.py --sizes $(BENCH_SIZES) $(BENCH_ARGS)

## bench-smoke: the bench on 60 and 100 people: every page opens, query counts hold
bench-smoke: $(VENV)/.installed-dev
	DEBUG=1 $(BIN)/python scripts/bench.py --smoke $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache

# The load test's tools (locust) on top of the runtime, with a stamp of their own.
$(VENV)/.installed-load: $(VENV)/.installed-runtime requirements-load.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-load.txt
	@touch $@

## load: 50 signed-in people on gunicorn against a generated organisation (LOAD_PEOPLE,
## default 10,000; PostgreSQL beside DATABASE_URL when set), with and without think time
load: $(VENV)/.installed-load
	$(BIN)/python scripts/load.py
