"""A framework axis: Keras 3 on TensorFlow, JAX and PyTorch, and Keras 2, side by side."""

from __future__ import annotations

import numpy as np
import pytest

from runner.cli import main as cli
from runner.config import parse_config
from runner.grid import expand
from runner.store import results as store
from tests.support import run_grid

pytestmark = pytest.mark.slow  # real fits, fuzzing or subprocess runs

FRAMEWORKS = ["tensorflow", "jax", "torch", "tf_keras"]
DOC = {"name": "frameworks",
       "training": {"epochs": 2, "batch_size": 32, "learning_rate": 0.01, "seed": 1},
       "datasets": [{"name": "mnist", "max_train_samples": 128, "max_test_samples": 64}],
       "grid": {"encoding": ["integer"], "activation": ["sigmoid", "softmax"],
                "loss": ["sparse_categorical_crossentropy", "binary_crossentropy"],
                "from_logits": [False], "metric": ["accuracy", "binary_accuracy"],
                "framework": FRAMEWORKS}}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return run_grid(tmp_path_factory.mktemp("frameworks"), DOC)


def test_every_framework_produced_every_cell(run):
    _, df = run
    per_framework = len(expand(parse_config(DOC))) // len(FRAMEWORKS)
    assert per_framework == 8
    assert df.groupby("framework").size().to_dict() == dict.fromkeys(FRAMEWORKS, 8)
    assert df["base_id"].nunique() == 8 and df["cell_id"].nunique() == 32


def test_rows_name_their_keras(run):
    _, df = run
    versions = df.groupby("framework")[["keras_version", "backend"]].first()
    assert versions.loc["tf_keras", "keras_version"].startswith("2.")
    assert versions.loc["tf_keras", "backend"] == "tensorflow"
    for name in ("tensorflow", "jax", "torch"):
        assert versions.loc[name, "keras_version"].startswith("3.")
        assert versions.loc[name, "backend"] == name


def _sparse_logits(out, df, name):
    rows = df[(df["framework"] == name) & (df["loss"] == "sparse_categorical_crossentropy")
              & (df["metric"] == "accuracy")].set_index("activation")
    return {act: store.load_logits(out, rows.loc[act, "head_id"], 1)
            for act in ("sigmoid", "softmax")}


def test_tensorflow_recovers_logits_and_jax_does_not(run):
    out, df = run
    tf = _sparse_logits(out, df, "tensorflow")
    np.testing.assert_array_equal(tf["sigmoid"], tf["softmax"])  # trained identically
    jax = _sparse_logits(out, df, "jax")
    assert np.max(np.abs(jax["sigmoid"] - jax["softmax"])) > 1e-3  # trained differently


def test_tables_have_a_section_per_framework_and_their_disagreements(run):
    out, _ = run
    text = (out / "cheat_table.md").read_text()
    for name in FRAMEWORKS:
        assert f"## mnist · {name}" in text
        assert (out / f"heatmap_mnist_{name}.svg").is_file()
    assert "## Where the frameworks disagree" in text


def test_compare_matches_cells_across_frameworks(run, tmp_path, capsys):
    out, df = run
    rows = store.read_rows(out / "results.jsonl")
    for name in ("tensorflow", "jax"):
        (tmp_path / name).mkdir()
        store.append_rows(tmp_path / name / "results.jsonl",
                          [r for r in rows if r["framework"] == name])
    assert cli.main(["compare", str(tmp_path / "tensorflow"), str(tmp_path / "jax")]) == 0
    text = capsys.readouterr().out
    assert "8 cells in both runs" in text and "The runs differ in: framework" in text
