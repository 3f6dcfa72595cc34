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

## test: the whole suite; installs Chromium and a local Neo4j (GDS + APOC) when missing.
## A local Neo4j (.neo4j, ~2 GB) that this run started is stopped at the end, pass or fail;
## one that was already running is left running, and the last line says how to stop it.
NEO4J_RUNNING = test -f .neo4j/neo4j.pid && kill -0 "$$(cat .neo4j/neo4j.pid)" 2>/dev/null
test: $(STAMP)
	@if $(NEO4J_RUNNING); then before=running; else before=stopped; fi; \
	status=0; \
	{ bash .ci/setup-test-env && $(BIN)/ruff check . && $(BIN)/ruff format --check . \
	  && . .ci/test-env.sh && $(BIN)/python -m pytest -q -ra; } || status=$$?; \
	if [ "$$before" = stopped ] && $(NEO4J_RUNNING); then \
	  echo "make test: stopping the local Neo4j this run started (.neo4j)"; \
	  $(BIN)/graphscan neo4j stop --workspace .neo4j; \
	elif [ "$$before" = running ]; then \
	  echo "make test: the local Neo4j (.neo4j) was running before and still is;" \
	    "stop it with: $(BIN)/graphscan neo4j stop --workspace .neo4j"; \
	fi; \
	exit $$status

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
