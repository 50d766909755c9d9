"""Why a misleading cell's metric misreports, and what to use instead."""

from __future__ import annotations

import pytest

from runner.report.misreport import note, right_metric


def _cell(encoding="integer", units=1, activation="none", metric="binary_accuracy",
          shows=0.855, reference=0.88, verdict="misleading", **extra):
    return {"encoding": encoding, "units": units, "activation": activation, "metric": metric,
            "test_metric_mean": shows, "reference_accuracy_mean": reference,
            "verdict": verdict, **extra}


@pytest.mark.parametrize("cell, reason, fix", [
    (_cell(), "thresholds the logit at 0.5", "use `BinaryAccuracy(threshold=0.0)`"),
    (_cell(encoding="onehot", units=2, activation="sigmoid", shows=0.64, reference=0.86),
     "scores each of the 2 outputs", "use `CategoricalAccuracy()`"),
    (_cell(units=1, activation="sigmoid", metric="sparse_categorical_accuracy", shows=0.5),
     "a 1-unit head cannot express", "use `BinaryAccuracy()`"),
    (_cell(units=10, activation="softmax", metric="categorical_accuracy", shows=0.1,
           reference=0.9), "these are class indices", "use `SparseCategoricalAccuracy()`"),
    (_cell(encoding="multihot", units=10, activation="sigmoid", shows=0.915, reference=0.37,
           hamming_accuracy=0.915), "counts single labels right (0.9150)",
     "read it as the per-label rate"),
    (_cell(encoding="multihot", units=10, shows=0.906, reference=0.37,
           hamming_accuracy=0.915), "thresholds logits at 0.5",
     "use `BinaryAccuracy(threshold=0.0)` for the per-label rate"),
])
def test_reason_and_fix(cell, reason, fix):
    found = note(cell)
    assert found.startswith(f"`{cell['metric']}` shows {cell['test_metric_mean']:.4f}")
    assert reason in found.split("; ")[0] and f"; {fix}" in found


def test_accuracy_names_what_keras_built():
    found = note(_cell(metric="accuracy", metric_resolved="binary_accuracy"))
    assert ": `accuracy` was built as `binary_accuracy`, and it thresholds the logit" in found


@pytest.mark.parametrize("cell", [_cell(verdict="ok"), _cell(verdict="degenerate"),
                                  _cell(shows=float("nan")), _cell(reference=None)])
def test_only_misleading_cells_with_numbers(cell):
    assert note(cell) is None


def test_rows_read_like_cells():
    row = {k: v for k, v in _cell().items() if not k.endswith("_mean")}
    row.update(test_metric=0.855, reference_accuracy=0.88)
    assert note(row) == note(_cell())


@pytest.mark.parametrize("encoding, units, activation, keras_version, expected", [
    ("integer", 1, "sigmoid", "", "`BinaryAccuracy()`"),
    ("integer", 1, "none", "", "`BinaryAccuracy(threshold=0.0)`"),
    ("integer", 1, "none", "2.12.0", "`BinaryAccuracy(threshold=0.0)`"),  # Keras 2 takes it
    ("integer", 1, "none", "3.4.1", "a sigmoid head with `BinaryAccuracy()`"),
    ("integer", 10, "none", "3.4.1", "`SparseCategoricalAccuracy()`"),
    ("onehot", 2, "softmax", "", "`CategoricalAccuracy()`"),
    ("multihot", 10, "none", "", "`BinaryAccuracy(threshold=0.0)`"),
])
def test_right_metric(encoding, units, activation, keras_version, expected):
    assert right_metric(encoding, units, activation, keras_version).startswith(expected)
