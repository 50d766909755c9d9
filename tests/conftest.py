"""Shared fixtures and helpers: config documents, config files written into tmp_path, and
real grid runs through the CLI."""

from __future__ import annotations

import copy
import os
import pathlib

import pandas as pd
import pytest
import yaml

from runner import cli

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# A valid config small enough to train in seconds: every test starts from it.
TINY = {
    "name": "tiny",
    "backbone": {"name": "vgg16", "weights": "random", "input_size": 32},
    "training": {"epochs": 2, "batch_size": 64, "learning_rate": 0.001, "seed": 42},
    "datasets": [{"name": "mnist", "source": "embedded", "max_train_samples": 256,
                  "max_test_samples": 128}],
    "grid": {"encoding": ["integer", "onehot"], "activation": ["none", "sigmoid", "softmax"],
             "loss": ["binary_crossentropy", "categorical_crossentropy",
                      "sparse_categorical_crossentropy"],
             "from_logits": [True, False],
             "metric": ["accuracy", "binary_accuracy", "categorical_accuracy",
                        "sparse_categorical_accuracy"]},
}

# A grid of a few dozen embedded images that trains in seconds per cell: the executor
# tests (supervisor, Ray) run it.
SMALL = {"name": "small",
         "training": {"epochs": 2, "batch_size": 32, "learning_rate": 0.01, "seeds": [1, 2]},
         "datasets": [{"name": "mnist_binary", "max_train_samples": 64,
                       "max_test_samples": 32}],
         "grid": {"encoding": ["integer", "onehot"], "activation": ["sigmoid", "softmax"],
                  "loss": ["binary_crossentropy", "sparse_categorical_crossentropy"],
                  "from_logits": [False], "metric": ["accuracy", "binary_accuracy"]}}
CELLS = 2 * 2 * 2 * 1 * 2  # SMALL's cells per seed


@pytest.fixture(autouse=True, scope="session")
def _private_feature_cache(tmp_path_factory):
    """Tests never read or fill the user's ~/.cache/cheatgrid."""
    os.environ["CHEATGRID_CACHE_DIR"] = str(tmp_path_factory.mktemp("feature-cache"))


@pytest.fixture
def tiny_doc() -> dict:
    """A fresh, mutable copy of the tiny config document."""
    return copy.deepcopy(TINY)


@pytest.fixture
def write_config(tmp_path: pathlib.Path):
    """Write a document (dict) or raw text to a YAML file and return its path."""
    def write(content, name: str = "grid.yaml") -> pathlib.Path:
        path = tmp_path / name
        text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path
    return write


def run_grid(root: pathlib.Path, doc: dict, *flags: str) -> tuple[pathlib.Path, pd.DataFrame]:
    """Run `cheatgrid grid` on `doc` (written to root) into root/run; its results table."""
    config = root / f"{doc['name']}.yaml"
    config.write_text(yaml.safe_dump(doc), encoding="utf-8")
    out = root / "run"
    assert cli.main(["grid", str(config), "--out", str(out), "--no-progress", *flags]) == 0
    return out, pd.read_csv(out / "results.csv")


def select(df: pd.DataFrame, **where) -> pd.DataFrame:
    """The rows of `df` whose columns equal every given value."""
    mask = pd.Series(True, index=df.index)
    for key, value in where.items():
        mask &= df[key] == value
    return df[mask]
