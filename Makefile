# Two entry points: `make run` (open the app) and `make test` (whole suite, headless).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := build/demo-shoot

.PHONY: run test check lint typecheck install install-test install-dev demo benchmark clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamps make re-runs instant; they are rebuilt when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -e '.[test,cluster]'
	touch $@

# The cluster extra too: mypy checks the Ray engine against Ray's own types.
$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -e '.[test,dev,cluster]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
install-dev: $(VENV)/.installed-dev

$(DEMO): | $(VENV)/.installed
	$(BIN)/phototriage demo $(DEMO)

demo: $(DEMO)

# FOLDER=/path/to/shoot opens that shoot; without it the bundled demo shoot opens.
run: $(VENV)/.installed
	@if [ -z "$(FOLDER)" ]; then $(MAKE) --no-print-directory demo; fi
	$(BIN)/phototriage $(or $(FOLDER),$(DEMO))

test: $(VENV)/.installed-test
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

# Static checks: ruff (lint, import order, formatting) and mypy (strict on ranker/, basic on the GUI),
# configured in pyproject.toml. Every step runs; the target fails if any of them found something.
check: $(VENV)/.installed-dev
	@status=0; \
	$(BIN)/ruff check . || status=1; \
	$(BIN)/ruff format --check . || status=1; \
	$(BIN)/mypy || status=1; \
	exit $$status

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

benchmark: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks.ranking --quick
	$(BIN)/python -m benchmarks.speed --quick

clean:
	rm -rf build
