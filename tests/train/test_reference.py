"""One training group on synthetic features: errors per phase, per-metric isolation, seeds."""

from __future__ import annotations

import numpy as np
import pytest

from runner.config import TrainingConfig
from runner.features.cache import Features
from runner.grid import Cell
from runner.train.outcomes import error_summary
from runner.train.reference import train_group

TRAINING = TrainingConfig(epochs=3, batch_size=32, learning_rate=0.01, seeds=(7,))
SEED = 7


def _clusters(num_classes: int, n_train: int = 200, n_test: int = 100) -> Features:
    """Well-separated Gaussian clusters: any working head learns them in a few epochs."""
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 3, size=(num_classes, 16)).astype(np.float32)

    def split(n):
        labels = np.arange(n) % num_classes
        return centres[labels] + rng.normal(0, 0.5, (n, 16)).astype(np.float32), labels
    train_x, train_labels = split(n_train)
    test_x, test_labels = split(n_test)
    return Features(train_x, train_labels, test_x, test_labels)


def _group(encoding, activation, loss, from_logits, metrics, units=10, num_classes=10,
           training=TRAINING):
    return [Cell("synthetic", encoding, activation, loss, from_logits, m, units, num_classes,
                 training=training) for m in metrics]


def test_working_cell_learns_and_records_history():
    cells = _group("integer", "softmax", "sparse_categorical_crossentropy", False,
                   ["sparse_categorical_accuracy"])
    [row] = train_group(cells, _clusters(10), SEED).rows
    assert row["status"] == "ok" and row["phase"] is None
    assert row["test_metric"] > 0.8
    assert len(row["history_loss"]) == 3 and row["history_loss"][-1] < row["history_loss"][0]


def test_shape_error_fails_every_metric_of_the_group_in_fit():
    cells = _group("integer", "sigmoid", "binary_crossentropy", False,
                   ["accuracy", "binary_accuracy"])
    rows = train_group(cells, _clusters(10), SEED).rows
    assert [r["status"] for r in rows] == ["error", "error"]
    assert {r["phase"] for r in rows} == {"fit"}
    assert rows[0]["error_type"] == "ValueError"
    assert "must have the same rank" in rows[0]["error_message"]
    assert "output.shape=(32, 10)" in rows[0]["error_message"]  # static: drop_remainder


def test_a_failing_metric_fails_only_its_own_cell():
    cells = _group("integer", "none", "sparse_categorical_crossentropy", True,
                   ["sparse_categorical_accuracy", "binary_accuracy"])
    ok, failed = train_group(cells, _clusters(10), SEED).rows
    assert ok["status"] == "ok" and ok["test_metric"] > 0.8
    assert (failed["status"], failed["phase"]) == ("error", "evaluate")
    assert failed["error_message"].startswith("Incompatible shapes")
    assert "(in binary_accuracy)" in failed["error_message"]
    assert ok["train_seconds"] == failed["train_seconds"]  # one training, shared


def test_same_seed_same_numbers():
    cells = _group("onehot", "none", "categorical_crossentropy", True, ["categorical_accuracy"])
    first, second = (train_group(cells, _clusters(10), SEED).rows[0] for _ in range(2))
    assert first["history_loss"] == second["history_loss"]
    assert first["test_loss"] == second["test_loss"]


GRAPH_ERROR = """Graph execution error:

Detected at node Equal defined at (most recent call last):
  File "/x/keras/src/metrics/accuracy_metrics.py", line 69, in binary_accuracy

  File "/x/keras/src/ops/numpy.py", line 3392, in equal

Incompatible shapes: [8] vs. [8,10]
\t [[{{node Equal}}]] [Op:__inference_multi_step_on_iterator_330]"""


@pytest.mark.parametrize("error, summary", [
    (ValueError("first line\nsecond line"), "first line"),
    (RuntimeError(GRAPH_ERROR), "Incompatible shapes: [8] vs. [8,10] (in binary_accuracy)"),
    (KeyError(), ""),
])
def test_error_summary(error, summary):
    assert error_summary(error) == summary


def test_analysis_fields_of_a_working_cell():
    cells = _group("onehot", "softmax", "categorical_crossentropy", False,
                   ["accuracy", "binary_accuracy", "categorical_accuracy"])
    result = train_group(cells, _clusters(10), SEED)
    accuracy, binary, categorical = result.rows
    assert result.logits.shape == (100, 10)
    # 'accuracy' with one-hot labels is categorical accuracy in Keras 3
    assert accuracy["metric_resolved"] == "categorical_accuracy"
    assert accuracy["test_metric"] == pytest.approx(categorical["test_metric"])
    assert accuracy["test_metric"] == pytest.approx(accuracy["reference_accuracy"], abs=1e-6)
    assert accuracy["majority_rate"] == pytest.approx(0.1)
    assert accuracy["verdict"] == "ok" and accuracy["metric_gap"] == pytest.approx(0, abs=1e-6)
    # per-label binary accuracy of a 10-way one-hot task flatters any model
    assert binary["metric_resolved"] == "binary_accuracy"
    assert binary["metric_gap"] > 0.02 or binary["reference_accuracy"] > 0.98
    for row in result.rows:
        assert len(row["history_test_metric"]) == len(row["history_loss"]) == 3
        assert len(row["history_reference_accuracy"]) == 3
    assert accuracy["history_test_metric"][-1] == pytest.approx(accuracy["test_metric"],
                                                               abs=1e-6)


def test_keras_warnings_are_captured_per_cell():
    cells = _group("onehot", "softmax", "categorical_crossentropy", True, ["accuracy"])
    [row] = train_group(cells, _clusters(10), SEED).rows
    assert any("from_logits=True" in w and "Softmax" in w for w in row["warnings"])


def test_one_unit_softmax_is_degenerate():
    cells = _group("integer", "softmax", "binary_crossentropy", False, ["binary_accuracy"],
                   units=1, num_classes=2)
    [row] = train_group(cells, _clusters(2), SEED).rows
    assert row["constant_predictions"] and row["verdict"] == "degenerate"


def test_a_diverging_loss_is_recorded_not_a_crash():
    exploding = TrainingConfig(epochs=3, batch_size=32, learning_rate=1e30, seeds=(7,))
    cells = _group("onehot", "none", "categorical_crossentropy", True,
                   ["categorical_accuracy"], training=exploding)
    features = _clusters(10)
    features = Features(features.train_x * 1e6, features.train_labels, features.test_x,
                        features.test_labels)
    [row] = train_group(cells, features, SEED).rows
    assert row["status"] == "ok" and row["diverged"] is True
    assert not all(np.isfinite(row["history_loss"]))
