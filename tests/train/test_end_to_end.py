"""The tutorial's way (VGG16 in the loop) gives the cached path's numbers; --verify."""

from __future__ import annotations

import numpy as np
import pytest

from runner.cli import main as cli
from runner.config import parse_config
from runner.execute.prepare import prepare, run_cells
from runner.grid import expand

pytestmark = pytest.mark.slow  # real fits, fuzzing or subprocess runs

DOC = {"name": "e2e", "training": {"epochs": 2, "batch_size": 16, "learning_rate": 0.01,
                                   "seed": 3, "shuffle": True},
       "datasets": [{"name": "mnist", "max_train_samples": 48, "max_test_samples": 24}],
       "grid": {"encoding": ["onehot"], "activation": ["softmax", "none"],
                "loss": ["categorical_crossentropy"], "from_logits": [False],
                "metric": ["categorical_accuracy"]}}


def _run(doc: dict) -> tuple[list[dict], list]:
    config = parse_config(doc)
    cells = expand(config)
    outcomes = []
    rows = run_cells(config, cells, prepare(config, cells),
                     on_rows=lambda rows, outcome: outcomes.append(outcome))
    return rows, outcomes


@pytest.fixture(scope="module")
def cached():
    return _run(DOC)


def test_end_to_end_gives_the_cached_predictions(cached):
    rows, outcomes = _run({**DOC, "training": {**DOC["training"], "feature_cache": False}})
    cached_rows, cached_outcomes = cached
    assert [r["mode"] for r in rows] == ["end-to-end"] * 2
    assert [r["mode"] for r in cached_rows] == ["cached"] * 2
    for got, want in zip(outcomes, cached_outcomes, strict=True):
        np.testing.assert_allclose(got.logits, want.logits, atol=1e-5)
    for got, want in zip(rows, cached_rows, strict=True):
        assert got["test_metric"] == pytest.approx(want["test_metric"], abs=1e-6)
        assert got["test_loss"] == pytest.approx(want["test_loss"], abs=1e-5)
        np.testing.assert_allclose(got["history_loss"], want["history_loss"], rtol=1e-5)


def test_fine_tuning_changes_the_features(cached):
    doc = {**DOC, "backbone": {"trainable": True},
           "grid": {**DOC["grid"], "activation": ["softmax"]}}
    [row], [outcome] = _run(doc)
    assert row["mode"] == "fine-tune" and row["status"] == "ok"
    assert not np.allclose(outcome.logits, cached[1][0].logits, atol=1e-3)


def test_cell_verify_composes_the_tutorial_model(capsys):
    code = cli.main(["cell", "--encoding", "integer", "--activation", "none", "--loss",
                     "sparse_categorical_crossentropy", "--from-logits", "--metric",
                     "sparse_categorical_accuracy", "--epochs", "1",
                     "--max-train-samples", "128", "--max-test-samples", "24", "--verify"])
    out = capsys.readouterr().out
    assert code == 0
    lines = [line for line in out.splitlines() if line.startswith("verify:")]
    assert len(lines) == 3 and all(line.startswith("verify: ok:") for line in lines)


def test_verify_of_a_failed_cell_says_so(capsys):
    code = cli.main(["cell", "--encoding", "integer", "--activation", "none", "--loss",
                     "binary_crossentropy", "--metric", "accuracy", "--epochs", "1",
                     "--max-train-samples", "48", "--max-test-samples", "24", "--verify"])
    assert code == 0
    assert "verify: nothing to compose: the cell failed in fit" in capsys.readouterr().out


def test_too_few_images_for_one_batch_is_a_cell_error():
    doc = {**DOC, "training": {**DOC["training"], "batch_size": 64, "drop_remainder": True}}
    rows, _ = _run(doc)
    assert {(r["status"], r["phase"]) for r in rows} == {("error", "fit")}
    assert "Expected at least one training batch" in rows[0]["error_message"]
