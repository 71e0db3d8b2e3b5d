# Quick start: `make run` (set up + run the pipeline on the demo data), `make test` (set up + run the tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME := $(CURDIR)

.PHONY: run test dev setup demo-snapshot clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/lmi run

test: $(STAMP)
	$(BIN)/pytest

dev: $(STAMP)
	$(BIN)/dg dev

demo-snapshot: $(STAMP)
	$(BIN)/lmi demo-snapshot

clean:
	rm -rf data/work data/snapshot data/lmi.duckdb .dagster
