# make grid: install, then run the default grid.  make test: install, then run the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install grid test lint docs bench clean

install: $(STAMP)

# Reinstalls only when pyproject.toml changes (or the venv is gone).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[dev,jax,torch,legacy,ray]'
	touch $(STAMP)

grid: install
	$(BIN)/cheatgrid grid configs/default.yaml

test: install
	$(BIN)/python -m pytest

# ruff, and the import layers of runner/ (pyproject.toml's import-linter contracts)
lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# Rewrite the sections of docs/ that are generated from the code.
docs: install
	$(BIN)/python scripts/docs.py

clean:
	rm -rf $(VENV) build *.egg-info

# Speed and memory targets, measured in one run (about 20 minutes on 2 CPU cores).
bench: install
	$(BIN)/python scripts/bench.py
