# Quick start: `make run` (set up + run the pipeline on the demo data), `make test` (set up + run the tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME := $(CURDIR)

.PHONY: run test dev refresh setup demo-snapshot clean

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

# The nightly refresh, once, for cron: live data unless LMI_SOURCE says otherwise.
refresh: $(STAMP)
	LMI_SOURCE=$${LMI_SOURCE:-live} $(BIN)/lmi refresh

demo-snapshot: $(STAMP)
	$(BIN)/lmi demo-snapshot

clean:
	rm -rf data/work data/snapshot data/lmi.duckdb .dagster
