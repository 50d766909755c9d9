"""The head's own verdict on hand-made labels, heads and probe results (no Keras)."""

from __future__ import annotations

import numpy as np
import pytest

from runner.check import evidence, fixes, head
from runner.check.inspect import read_labels
from tests.check.test_rules import BINARY, CLASSES, MULTI, ONEHOT, probe
from tests.check.test_rules import head as make_head

SCCE = "sparse_categorical_crossentropy"


@pytest.mark.parametrize("task, encoding, classes, expected", [
    ("binary", "integer", 2, (1, "sigmoid", "binary_crossentropy")),
    ("binary", "onehot", 2, (2, "softmax", "categorical_crossentropy")),
    ("multiclass", "integer", 10, (10, "softmax", SCCE)),
    ("multiclass", "onehot", 4, (4, "softmax", "categorical_crossentropy")),
    ("multilabel", "multihot", 5, (5, "sigmoid", "binary_crossentropy")),
])
def test_the_textbook_head_for_each_kind_of_labels(task, encoding, classes, expected):
    assert fixes.textbook(task, encoding, classes) == expected


def test_the_textbook_head_as_code():
    assert fixes.textbook_code(read_labels(CLASSES)) == (
        "head, loss = keras.layers.Dense(4, activation='softmax'), "
        "keras.losses.SparseCategoricalCrossentropy()")


@pytest.mark.parametrize("labels, units, activation, loss, logits, seen, verdict, certainty, "
                         "says", [
    (BINARY, 1, "softmax", "mean_squared_error", False, {"constant_outputs": True},
     "degenerate", "certain", "a softmax over one unit is 1.0"),
    # three classes on one output: classes 0 and 1 only
    (np.arange(9) % 3, 1, "sigmoid", "mean_squared_error", False, {}, "impaired", "certain",
     "at most 66.7% of these rows"),
    # ... and binary cross-entropy reads index 2 as a target above 1: targets averaging 1
    # leave the head splitting class 0 from the rest (measured: keras #2172 in the corpus);
    # averaging above 1 (four classes: 1.5) they push every output to class 1
    (np.arange(9) % 3, 1, "sigmoid", "binary_crossentropy", False, {}, "impaired", "certain",
     "at most 66.7% of these rows"),
    (CLASSES, 1, "sigmoid", "binary_crossentropy", False, {}, "degenerate", "expected",
     "averaging 1.50"),
    # two outputs for four classes: classes 0 and 1 only
    (CLASSES, 2, "softmax", "categorical_crossentropy", False, {}, "impaired", "certain",
     "at most 50.0%"),
    (CLASSES, 4, "none", SCCE, False, {}, "impaired", "expected", "a linear output"),
    (ONEHOT, 4, "softmax", "mean_absolute_error", False, {}, "impaired", "expected", "median"),
    (CLASSES, 4, "none", SCCE, True, {}, "ok", "expected", "training decides"),
    (ONEHOT, 4, "softmax", "categorical_crossentropy", False, {}, "ok", "expected", "decides"),
    (MULTI, 3, "sigmoid", "binary_crossentropy", False, {}, "ok", "expected", "decides"),
    # a softmax on multi-hot rows: the rows with two labels are never right (the corpus:
    # the Planet PR, 0.09 where the textbook head gets 0.38)
    (MULTI, 3, "softmax", "categorical_crossentropy", False, {}, "impaired", "certain",
     "the 50.0% of rows with two labels or more"),
    (BINARY, 1, "elu", "binary_crossentropy", False, {}, "ok", "expected", "not one check"),
])
def test_head_verdicts(labels, units, activation, loss, logits, seen, verdict, certainty, says):
    found = head.judge_head(read_labels(labels), make_head(units, activation, loss, logits),
                            probe(**seen), [], evidence.DEFAULT_RUN, None)
    assert (found.verdict, found.certainty) == (verdict, certainty), found.why
    assert says in found.why
    assert (found.fix is None) == (verdict == "ok")
    assert found.textbook.startswith("head, loss = keras.layers.Dense(")


def test_keras_raising_in_fit_is_the_heads_error():
    error = {"status": "error", "phase": "fit", "error_type": "InvalidArgumentError",
             "error_message": "Received a label value of 3 which is outside the valid range"}
    seen = probe()
    seen.fit_error = error
    found = head.judge_head(read_labels(CLASSES), make_head(3, "softmax", SCCE), seen, [],
                            evidence.DEFAULT_RUN, None)
    assert (found.verdict, found.certainty) == ("error", "certain")
    assert found.why.startswith("Keras raises in fit: InvalidArgumentError: Received a label")


def test_an_impaired_head_cites_its_cell_and_the_best_head_there():
    key = evidence.key("multiclass", "integer", 4, 4, "none", SCCE, False)
    rows = evidence.cells(key, evidence.DEFAULT_RUN, "tensorflow")
    found = head.judge_head(read_labels(CLASSES), make_head(4, "none", SCCE), probe(), rows,
                            evidence.DEFAULT_RUN, None)
    [line] = found.evidence
    assert line.startswith("results/samples/default/results.csv, tensorflow:mnist/integer/none/"
                           "sparse_categorical_crossentropy/logits=false/")
    assert "the best head of mnist, integer labels there: " in line


@pytest.mark.parametrize("before, columns, verdict", [
    ("ok", {"reference_accuracy": 0.5, "majority_rate": 0.5, "constant_predictions": True},
     "degenerate"),
    ("ok", {"reference_accuracy": 0.9, "majority_rate": 0.5, "constant_predictions": False},
     "ok"),
    ("impaired", {"reference_accuracy": 0.6, "majority_rate": 0.5,
                  "constant_predictions": False}, "impaired"),
])
def test_on_outputs_the_grids_rule_decides_degenerate(before, columns, verdict):
    report = head.Judgement(before, "why", None if before == "ok" else "fix", "expected",
                             "textbook")
    found = head.measured(report, {"hamming_accuracy": None, **columns})
    assert found.verdict == verdict
    assert found.why.startswith("on these outputs a reference accuracy of ")
