# make grid: install what the default grid needs, then run it.
# make test: install that and the test extras (JAX, PyTorch, Keras 2, Ray, dev tools), then test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Where nvidia-smi answers, TensorFlow also gets its CUDA libraries (the gpu extra):
# without them TensorFlow sees no GPU and the grid silently runs on the CPU.
GPU := $(shell nvidia-smi -L >/dev/null 2>&1 && echo gpu)
BASE_EXTRAS := $(if $(GPU),[gpu],)
comma := ,
TEST_EXTRAS := [dev,jax,torch,legacy,ray$(if $(GPU),$(comma)gpu,)]

.PHONY: install install-test grid test lint docs samples bench clean

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Each reinstalls only when pyproject.toml changes (or the venv is gone).
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	@if [ -n "$(GPU)" ]; then echo "make install: nvidia-smi shows a GPU: installing the gpu extra (TensorFlow's CUDA libraries)"; fi
	$(BIN)/python -m pip install -e '.$(BASE_EXTRAS)'
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install -e '.$(TEST_EXTRAS)'
	touch $@

grid: install
	$(BIN)/cheatgrid grid configs/default.yaml

# Two test processes (pytest-xdist), a test file each at a time (its module fixtures, grid
# runs, are built once): most tests wait on TensorFlow start-up and tracing,
# not on both cores. TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= 2
test: install-test
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# ruff, and the import layers of runner/ (pyproject.toml's import-linter contracts)
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# Rewrite the sections of docs/ that are generated from the code.
docs: install
	$(BIN)/python scripts/docs.py

# The committed sample runs (results/samples/), their claims and snippets, the sections
# of docs/ generated from them, and the facts of them that the package ships for
# `cheatgrid check` (runner/check/samples/): run after a change of behaviour, then commit
# what changed. The releases run builds its environments with uv the first time (a few GB
# of wheels from PyPI; then seconds each, from uv's cache).
samples: install-test
	$(BIN)/cheatgrid grid configs/default.yaml --out results/samples/default --force --no-progress
	$(BIN)/cheatgrid grid configs/frameworks.yaml --out results/samples/frameworks --force --no-progress
	$(BIN)/cheatgrid grid configs/users.yaml --out results/samples/users --force --no-progress
	$(BIN)/cheatgrid snippets --out results/samples/default/snippets.md
	cp results/samples/default/snippets.md results/samples/default/snippets.json results/samples/frameworks/
	cp results/samples/default/snippets.md docs/snippets.md
	$(BIN)/cheatgrid table results/samples/default --claims --readme docs/claims.md
	$(BIN)/cheatgrid table results/samples/frameworks --claims --readme docs/frameworks.md
	$(BIN)/cheatgrid grid configs/releases.yaml --out results/samples/releases --force --no-progress
	$(BIN)/cheatgrid table results/samples/releases --claims --readme docs/releases.md
	$(BIN)/python scripts/sample_facts.py
	rm -f results/samples/*/results.*.jsonl.bak results/samples/*/compare_samples.md
	rm -rf results/samples/*/predictions.*.bak

clean:
	rm -rf $(VENV) build *.egg-info

# Speed and memory targets, measured in one run (6 to 13 minutes on 2 CPU cores).
bench: install
	$(BIN)/python scripts/bench.py --readme docs/speed.md
