# The two commands of the README. Each creates or reuses .venv and installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

## demo: generate a small city, load it, scan it, export the top case (embedded store)
demo: $(STAMP)
	$(BIN)/graphscan demo

## test: the whole suite; installs Chromium and a local Neo4j (GDS + APOC) when missing
test: $(STAMP)
	bash .ci/setup-test-env
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python .ci/lint_imports.py --no-logo
	. .ci/test-env.sh && $(BIN)/python -m pytest -q -ra

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
