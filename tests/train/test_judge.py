"""Reference accuracy, majority rate and verdicts on hand-made numbers."""

from __future__ import annotations

import numpy as np
import pytest

from runner.train import judge
from tests.support import row


@pytest.mark.parametrize("outputs, activation, labels, expected", [
    # 1 unit, linear output: threshold 0 (a logit)
    ([[-1.0], [0.5], [2.0], [0.0]], "none", [0, 1, 0, 0], 0.75),
    # 1 unit, sigmoid output: threshold 0.5; exactly 0.5 is class 0
    ([[0.2], [0.7], [0.5], [0.9]], "sigmoid", [0, 1, 1, 1], 0.75),
    # 1 unit, softmax output: always 1.0, so always class 1
    ([[1.0], [1.0], [1.0], [1.0]], "softmax", [0, 1, 0, 1], 0.5),
    # 2+ units: argmax; a tie goes to the first class
    ([[0.1, 0.9], [0.6, 0.4], [0.5, 0.5]], "softmax", [1, 0, 1], 2 / 3),
    ([[1, 5, 2], [9, 0, 0], [0, 0, 3], [2, 2, 1]], "none", [1, 0, 2, 1], 0.75),
])
def test_reference_accuracy(outputs, activation, labels, expected):
    value = judge.reference_accuracy(np.array(outputs, float), np.array(labels), activation)
    assert value == pytest.approx(expected)


MULTI_HOT = [[1, 0, 0], [0, 1, 1], [1, 0, 1], [0, 0, 1]]


@pytest.mark.parametrize("outputs, activation, exact, hamming", [
    # probabilities (sigmoid): threshold 0.5, exactly 0.5 is "absent"; all right
    ([[0.9, 0.1, 0.2], [0.1, 0.8, 0.7], [0.6, 0.4, 0.9], [0.2, 0.3, 0.51]], "sigmoid", 1, 1),
    # the same values as logits (no activation): threshold 0, so every 0.1..0.4 is "present"
    ([[0.9, 0.1, 0.2], [0.1, 0.8, 0.7], [0.6, 0.4, 0.9], [0.2, 0.3, 0.51]], "none", 0, 6 / 12),
    # logits: negative absent, positive present, 0 absent; all right
    ([[2.0, -1.0, -3.0], [-0.5, 4.0, 0.1], [1.0, 0.0, 3.0], [-2.0, -1.0, 5.0]], "none", 1, 1),
    # every label right but one on each image: no label set right, 8 of 12 labels
    ([[0.9, 0.9, 0.2], [0.1, 0.1, 0.7], [0.6, 0.6, 0.9], [0.7, 0.3, 0.6]], "sigmoid", 0, 8 / 12),
    # one label wrong on one image only: 3 of 4 sets, 11 of 12 labels
    ([[0.9, 0.1, 0.2], [0.1, 0.8, 0.7], [0.6, 0.4, 0.4], [0.2, 0.3, 0.9]], "sigmoid", 0.75,
     11 / 12),
    # softmax: at most one output above 0.5, so a two-label image is never right
    ([[0.8, 0.1, 0.1], [0.1, 0.45, 0.45], [0.3, 0.1, 0.6], [0.1, 0.1, 0.8]], "softmax", 0.5,
     9 / 12),
])
def test_exact_match_and_hamming_references(outputs, activation, exact, hamming):
    outputs, labels = np.array(outputs), np.array(MULTI_HOT)
    assert judge.reference_accuracy(outputs, labels, activation) == pytest.approx(exact)
    assert judge.hamming_accuracy(outputs, labels, activation) == pytest.approx(hamming)


def test_multi_label_majority_rate_and_constant_predictions():
    labels = np.array([[1, 0], [1, 0], [0, 1], [1, 1], [1, 0]])
    assert judge.majority_rate(labels) == pytest.approx(0.6)  # {0} on 3 of 5 images
    # the same label set for every image, whatever the outputs' values
    assert judge.is_constant(np.array([[0.9, 0.2], [0.6, 0.4]]), labels[:2], "sigmoid")
    assert not judge.is_constant(np.array([[0.9, 0.2], [0.6, 0.7]]), labels[:2], "sigmoid")
    judged = judge.judge(np.array([[3.0, -1.0], [-2.0, 1.0]]), np.array([[1, 0], [0, 1]]),
                            "none")
    assert judged == {"reference_accuracy": 1.0, "hamming_accuracy": 1.0, "majority_rate": 0.5,
                      "constant_predictions": False}
    assert judge.judge(np.array([[0.2, 0.8]]), np.array([1]), "softmax")[
        "hamming_accuracy"] is None  # single-label data: no Hamming accuracy


def test_majority_rate_and_constant_predictions():
    assert judge.majority_rate(np.array([0, 1, 1, 2, 1])) == pytest.approx(0.6)
    assert judge.is_constant(np.array([[1.0], [1.0]]), np.array([0, 1]), "softmax")
    assert not judge.is_constant(np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([0, 1]),
                                    "softmax")


def _row(**values):
    """A row whose verdict inputs are set by `values` (by default an ok cell)."""
    return row(**{"reference_accuracy": 0.9, "metric_gap": 0.0, **values})


@pytest.mark.parametrize("row, expected", [
    (_row(status="error"), "error"),
    (_row(status="error", constant_predictions=True), "error"),  # precedence
    (_row(constant_predictions=True, metric_gap=0.4), "degenerate"),
    (_row(reference_accuracy=0.51), "degenerate"),  # not clearly above 0.5
    (_row(reference_accuracy=0.53, metric_gap=0.3), "misleading"),
    (_row(metric_gap=-0.021), "misleading"),
    (_row(metric_gap=0.02), "ok"),  # the tolerance itself is ok
    (_row(), "ok"),
])
def test_verdict_rules(row, expected):
    assert judge.verdict(row) == expected


def _multi_label_row(test_metric, reference, hamming, constant=False):
    """A multi-label cell: exact-match reference, most common label set on 7% of images."""
    return _row(reference_accuracy=reference, hamming_accuracy=hamming, majority_rate=0.07,
                constant_predictions=constant, metric_gap=test_metric - reference)


@pytest.mark.parametrize("row, expected", [
    # per-label accuracy 0.85 from predicting no label at all: no label set right
    (_multi_label_row(0.85, 0.0, 0.85, constant=True), "degenerate"),
    (_multi_label_row(0.85, 0.08, 0.85), "degenerate"),  # not clearly above 0.07
    # binary_accuracy (per label) 0.91 for a model right on 37% of images
    (_multi_label_row(0.91, 0.37, 0.91), "misleading"),
    (_multi_label_row(0.38, 0.37, 0.91), "ok"),  # a metric that tracks the exact match
])
def test_multi_label_verdicts(row, expected):
    assert judge.verdict(row) == expected


@pytest.mark.parametrize("name, expected", [
    ("SparseCategoricalAccuracy", "sparse_categorical_accuracy"),
    ("BinaryAccuracy", "binary_accuracy"), ("Accuracy", "accuracy"), ("AUC", "auc"),
    ("SparseTopKCategoricalAccuracy", "sparse_top_k_categorical_accuracy")])
def test_resolved_metric_name(name, expected):
    assert judge.resolved_metric_name(type(name, (), {})()) == expected


@pytest.mark.parametrize("outputs, labels, k, expected", [
    ([[3, 2, 1, 0], [0, 1, 2, 3], [1, 1, 1, 1]], [1, 0, 2], 2, 2 / 3),  # ties count as in
    ([[3, 2, 1, 0], [0, 1, 2, 3]], [3, 0], 3, 0.0),
    ([[3, 2, 1, 0], [0, 1, 2, 3]], [3, 0], 4, 1.0),
    ([[0.2, 0.8]], [0], 5, 1.0),  # fewer outputs than k: every class is in the top k
    ([[0.7], [0.1]], [0, 1], 5, 1.0),  # one unit ranks its two classes
])
def test_top_k_accuracy(outputs, labels, k, expected):
    got = judge.top_k_accuracy(np.array(outputs, float), np.array(labels), k)
    assert got == pytest.approx(expected)


def test_metric_references_by_kind():
    outputs, labels = np.array([[2.0, 1.0, 0.0]] * 2), np.array([1, 2])
    assert judge.metric_reference("accuracy", outputs, labels, "none", 0.25) == 0.25
    assert judge.metric_reference("top_k", outputs, labels, "none", 0.0) == 1.0  # 3 < k
    assert judge.metric_reference(None, outputs, labels, "none", 0.5) is None
    assert judge.top_k_accuracy(outputs, np.eye(3)[labels]) is None  # multi-label rows


def test_a_metric_without_a_reference_is_never_misleading():
    assert judge.verdict(row(value=0.95, reference=0.6, metric_gap=None)) == "ok"
    assert judge.verdict(row(value=0.95, reference=0.6)) == "misleading"


@pytest.mark.parametrize("activation, loss, from_logits, expected", [
    ("none", None, False, 0.0),  # the grid's reading: a linear output is a logit
    ("none", "binary_crossentropy", True, 0.0),
    ("none", "hinge", False, 0.0),  # a margin score
    ("none", "binary_crossentropy", False, 0.5),  # the loss reads it as a probability
    ("none", "mse", False, 0.5),  # pulled towards its 0/1 target
    ("none", "my_own_loss", False, 0.0),  # a loss the registry does not know
    ("sigmoid", "binary_crossentropy", True, 0.5),
    ("tanh", "hinge", False, 0.5),
])
def test_threshold_by_how_the_loss_reads_an_output(activation, loss, from_logits, expected):
    assert judge.threshold(activation, loss, from_logits) == expected


def test_a_linear_regression_head_is_read_at_one_half():
    outputs, labels = np.array([[0.3], [0.8], [0.6], [0.1]]), np.array([0, 1, 1, 0])
    assert judge.reference_accuracy(outputs, labels, "none") == 0.5  # all above 0
    assert judge.reference_accuracy(outputs, labels, "none", "mean_squared_error") == 1.0
    found = judge.judge(outputs, labels, "none", "mean_squared_error")
    assert not found["constant_predictions"]


@pytest.mark.parametrize("reference, best, expected", [
    (0.80, 0.90, True), (0.86, 0.90, False), (0.95, 0.90, False)])
def test_impaired_is_clearly_below_the_best_head(reference, best, expected):
    assert judge.impaired(reference, best) is expected


@pytest.mark.parametrize("verdicts, expected", [
    (["ok", "misleading"], "misleading"), (["impaired", "misleading"], "impaired"),
    (["ok", "error", "degenerate"], "error"), ([], "ok")])
def test_worst_follows_the_outcomes_precedence(verdicts, expected):
    assert judge.worst(verdicts) == expected
