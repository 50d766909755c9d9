"""The verdict rules on hand-made labels, heads and probe results (no Keras)."""

from __future__ import annotations

import numpy as np
import pytest

from runner.check import findings, fixes, rules
from runner.check.inspect import Head, read_labels
from runner.check.probe import MetricProbe, Probe

BINARY = np.array([0.0, 1.0] * 4)  # float 0./1., 2 classes
CLASSES = np.arange(8) % 4  # class indices, 4 classes
ONEHOT = np.eye(4)[CLASSES]
PAIRS = np.eye(2)[[0, 1] * 4]  # one-hot, 2 classes
MULTI = np.array([[1, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 1]])  # half the rows 2 labels


def head(units, activation, loss, from_logits=False, trains_below=False, keras_version=""):
    # the grid's head by default: one Dense on frozen features, the newest Keras
    return Head(units, activation, None, loss, loss, from_logits, (), (), trains_below,
                keras_version)


def probe(constant_outputs=False, constant_loss=False, weights_moved=True, label_free=False,
          diverged=False):
    return Probe(None, weights_moved, constant_outputs, constant_loss, label_free, [],
                 [], diverged)


def metric(resolved, threshold=None, error=None):
    return MetricProbe(resolved, resolved, resolved, threshold, error)


BCE, CCE, SCCE = ("binary_crossentropy", "categorical_crossentropy",
                  "sparse_categorical_crossentropy")


@pytest.mark.parametrize("labels, units, activation, loss, logits, resolved, threshold, "
                         "verdict, certainty", [
    # one unit, binary labels: binary_accuracy reads the output as the reference does
    (BINARY, 1, "sigmoid", BCE, False, "binary_accuracy", 0.5, "ok", "certain"),
    (BINARY, 1, "none", BCE, True, "binary_accuracy", 0.0, "ok", "certain"),
    # a threshold off the loss's own misreads the outputs in between, the head's least sure:
    # a logit read at 0.5 (a probability of 0.62) moves the metric by at most 0.25 of their
    # share once trained; a probability read at 0, or a logit at 2 (0.88), more
    (BINARY, 1, "none", BCE, True, "binary_accuracy", 0.5, "ok", "expected"),
    (BINARY, 1, "sigmoid", BCE, False, "binary_accuracy", 0.6, "ok", "expected"),
    (BINARY, 1, "none", BCE, True, "binary_accuracy", 2.0, "misleading", "expected"),
    (BINARY, 1, "sigmoid", BCE, False, "binary_accuracy", 0.0, "misleading", "expected"),
    (BINARY, 1, "none", "mean_squared_error", False, "binary_accuracy", 0.0, "misleading",
     "expected"),
    (BINARY, 1, "sigmoid", BCE, False, "categorical_accuracy", None, "misleading", "certain"),
    (BINARY, 1, "sigmoid", BCE, False, "sparse_categorical_accuracy", None, "misleading",
     "certain"),
    # class indices: the sparse metric is the reference; categorical reads indices as rows
    (CLASSES, 4, "softmax", SCCE, False, "sparse_categorical_accuracy", None, "ok", "certain"),
    (CLASSES, 4, "softmax", SCCE, False, "categorical_accuracy", None, "misleading", "certain"),
    # one-hot rows: per-output accuracy equals the argmax only for two softmax outputs
    (ONEHOT, 4, "softmax", CCE, False, "categorical_accuracy", None, "ok", "certain"),
    (ONEHOT, 4, "softmax", CCE, False, "binary_accuracy", 0.5, "misleading", "expected"),
    (PAIRS, 2, "softmax", CCE, False, "binary_accuracy", 0.5, "ok", "certain"),
    (PAIRS, 2, "sigmoid", BCE, False, "binary_accuracy", 0.5, "ok", "expected"),
    (PAIRS, 2, "sigmoid", CCE, False, "binary_accuracy", 0.5, "misleading", "expected"),
    (PAIRS, 2, "none", BCE, True, "binary_accuracy", 0.5, "misleading", "expected"),
    # multi-hot rows: the reference is exact match, which no built-in metric reports
    (MULTI, 3, "sigmoid", BCE, False, "binary_accuracy", 0.5, "misleading", "expected"),
    (MULTI, 3, "sigmoid", BCE, False, "categorical_accuracy", None, "misleading", "expected"),
    # keras.metrics.Accuracy compares values; other metrics are not judged
    (ONEHOT, 4, "softmax", CCE, False, "accuracy", None, "misleading", "expected"),
    (ONEHOT, 4, "softmax", CCE, False, "auc", None, "ok", None),
])
def test_metric_verdicts(labels, units, activation, loss, logits, resolved, threshold, verdict,
                         certainty):
    found = rules.metric_judgement(read_labels(labels), head(units, activation, loss, logits),
                                   metric(resolved, threshold))
    assert (found.verdict, found.certainty) == (verdict, certainty), found.why
    assert (found.fix is None) == (verdict == "ok")


def test_before_training_ok_and_misleading_are_only_expected():
    # the metric reads the output as the reference does, for any weights: but the head may
    # still not learn, which makes the grid's verdict degenerate
    found = rules.verdict(read_labels(BINARY), head(1, "sigmoid", BCE), probe(),
                          metric("binary_accuracy", 0.5))
    assert (found.verdict, found.certainty) == ("ok", "expected")
    assert found.why.endswith("this holds whatever the weights, if the head learns at all")


@pytest.mark.parametrize("labels, units, activation, loss, logits, seen, verdict, certainty, "
                         "says", [
    (BINARY, 1, "softmax", BCE, False, {"constant_outputs": True}, "degenerate", "certain",
     "a softmax over one unit is 1.0"),
    (BINARY, 1, "sigmoid", CCE, False, {"constant_loss": True}, "degenerate", "certain",
     "compares the output with itself"),
    (BINARY, 1, "none", CCE, True, {"constant_loss": True}, "degenerate", "certain",
     "its gradient here is not zero"),
    (BINARY, 1, "none", BCE, False, {}, "degenerate", "expected", "Keras clips it"),
    (ONEHOT, 4, "none", CCE, False, {}, "degenerate", "expected", "divides it by the sum"),
    (CLASSES, 4, "none", SCCE, False, {}, "ok", "expected", "argmax"),  # poor, not degenerate
    (MULTI, 3, "sigmoid", CCE, False, {}, "degenerate", "expected", "never their level"),
    (MULTI, 3, "none", CCE, True, {}, "degenerate", "expected", "never their level"),
    (MULTI, 3, "softmax", CCE, False, {}, "misleading", "expected", "exact"),
    # every row two labels: a softmax (at most one above 0.5) gets none right
    (np.array([[1, 1, 0], [0, 1, 1]] * 3), 3, "softmax", BCE, False, {}, "degenerate",
     "certain", "only the 0.0% of images"),
    # one-hot rows of 2 against one sigmoid output: both classes ask the same of it
    (PAIRS, 1, "sigmoid", BCE, False, {"label_free": True}, "degenerate", "certain",
     "label rows of 2 columns against 1 output(s)"),
    # class indices beyond what one output can name, most rows in class 5
    (np.array([0, 1] + [5] * 10), 1, "sigmoid", BCE, False, {}, "degenerate", "certain",
     "only the 16.7% of rows"),
    (ONEHOT, 4, "relu", CCE, False, {}, "degenerate", "expected", "0 / 0 is NaN"),
    (BINARY, 1, "sigmoid", BCE, False, {"diverged": True}, "degenerate", "expected", "NaN"),
    (BINARY, 1, "tanh", BCE, False, {}, "degenerate", "expected", "a tanh output fed to"),
    (BINARY, 1, "tanh", "hinge", False, {}, "ok", "expected", "threshold"),
    (ONEHOT, 4, "relu", "mean_squared_error", False, {}, "degenerate", "expected",
     "outputs die"),  # on frozen features
    (ONEHOT, 4, "sigmoid", "mean_absolute_error", False, {}, "degenerate", "expected",
     "median"),
    (PAIRS, 2, "sigmoid", "mean_absolute_error", False, {}, "ok", "expected", "argmax"),
    # one column of class indices against two outputs of a mean squared error
    (BINARY, 2, "sigmoid", "mean_squared_error", False, {}, "degenerate", "expected",
     "every output with the same index"),
])
def test_head_verdicts(labels, units, activation, loss, logits, seen, verdict, certainty, says):
    resolved = "sparse_categorical_accuracy" if labels.ndim == 1 and units > 1 else \
        "categorical_accuracy" if units > 1 else "binary_accuracy"
    found = rules.verdict(read_labels(labels), head(units, activation, loss, logits),
                          probe(**seen), metric(resolved))
    assert (found.verdict, found.certainty) == (verdict, certainty), found.why
    assert says in found.why


def test_layers_that_train_below_can_bring_an_unbounded_output_into_range():
    # measured on the corpus: a linear output into BCE(from_logits=False) on a trainable
    # body learns about as well as the textbook head
    found = rules.verdict(read_labels(BINARY), head(1, "none", BCE, trains_below=True),
                          probe(), metric("binary_accuracy", 0.5))
    # and the loss makes it a probability: read at 0.5, as binary_accuracy reads it
    assert (found.verdict, found.certainty) == ("ok", "expected")


def test_an_error_keras_raises_comes_first():
    error = {"status": "error", "phase": "evaluate", "error_type": "ValueError",
             "error_message": "Incompatible shapes: [64] vs. [64,4]"}
    found = rules.verdict(read_labels(CLASSES), head(4, "softmax", SCCE),
                          probe(constant_outputs=True), metric("binary_accuracy", error=error))
    assert (found.verdict, found.certainty) == ("error", "certain")
    assert found.why == ("Keras raises in evaluate: ValueError: Incompatible shapes: [64] vs. "
                         "[64,4]")
    assert found.fix == "metrics=['sparse_categorical_accuracy']"


@pytest.mark.parametrize("labels, units, activation, logits, keras_version, fix", [
    (BINARY, 1, "sigmoid", False, "3.4.1", "metrics=['binary_accuracy']"),
    (BINARY, 1, "none", True, "3.5.0", "metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)]"),
    (BINARY, 1, "none", True, "", "metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)]"),
    (BINARY, 1, "none", True, "3.4.1", fixes.LOGIT_ACCURACY),  # threshold=0.0 raises before 3.5
    (BINARY, 1, "none", True, "3.0.5", fixes.LOGIT_ACCURACY),
    (BINARY, 1, "none", False, "3.0.5", "metrics=['binary_accuracy']"),  # reads a probability
    (CLASSES, 4, "softmax", False, "3.0.5", "metrics=['sparse_categorical_accuracy']"),
    (ONEHOT, 4, "none", True, "3.15.1", "metrics=['categorical_accuracy']"),
])
def test_right_metric(labels, units, activation, logits, keras_version, fix):
    found = fixes.right_metric(read_labels(labels),
                               head(units, activation, BCE, logits, keras_version=keras_version))
    assert found == fix


@pytest.mark.parametrize("keras_version", ["3.0.5", "3.4.1", "3.5.0", ""])
def test_every_fix_is_a_line_of_python_that_runs_here(keras_version):
    """On this Keras every fix runs (the old releases' own: tests/check/test_releases.py);
    the fixes for 3.0 to 3.4 run everywhere."""
    import keras

    lines = {fixes.right_metric(read_labels(labels), head(units, activation, loss, logits,
                                                          keras_version=keras_version))
             for labels in (BINARY, CLASSES, ONEHOT, MULTI)
             for units, activation in ((1, "none"), (1, "sigmoid"), (4, "softmax"))
             for loss in (BCE, CCE) for logits in (False, True)}
    lines |= {fixes.right_head(read_labels(labels), head(1, activation, CCE))
              for labels in (BINARY, CLASSES, PAIRS, MULTI) for activation in
              ("none", "sigmoid", "softmax")}
    lines |= {findings.portable_head(head(4, activation, loss)) for activation in
              ("sigmoid", "softmax") for loss in (BCE, CCE, SCCE)}
    lines |= {fixes.textbook_code(read_labels(labels)) for labels in (BINARY, CLASSES, MULTI)}
    for fix in lines:
        assert "\n" not in fix
        exec(compile(fix, "<fix>", "exec"), {"keras": keras})


@pytest.mark.parametrize("labels, activation, fix", [
    # the tutorial's recommendation for the labels, keeping the activation where it allows
    (BINARY, "softmax", "head, loss = keras.layers.Dense(1, activation='sigmoid'), "
                        "keras.losses.BinaryCrossentropy()"),
    (BINARY, "none", "head, loss = keras.layers.Dense(1), "
                     "keras.losses.BinaryCrossentropy(from_logits=True)"),
    (CLASSES, "softmax", "head, loss = keras.layers.Dense(4, activation='softmax'), "
                         "keras.losses.SparseCategoricalCrossentropy()"),
    (MULTI, "sigmoid", "head, loss = keras.layers.Dense(3, activation='sigmoid'), "
                       "keras.losses.BinaryCrossentropy()"),
])
def test_right_head(labels, activation, fix):
    assert fixes.right_head(read_labels(labels), head(1, activation, CCE)) == fix


@pytest.mark.parametrize("activation, loss, logits, recovers", [
    ("sigmoid", BCE, False, False),  # the activation the loss expects: the same everywhere
    ("softmax", CCE, False, False),
    ("none", CCE, True, False),
    ("sigmoid", BCE, True, True),  # from_logits=True on probabilities
    ("softmax", SCCE, True, True),
    ("sigmoid", SCCE, False, True),  # another activation than the loss expects
    ("softmax", BCE, False, True),
])
def test_logit_recovery(activation, loss, logits, recovers):
    assert (findings.logit_recovery(head(4, activation, loss, logits), "tensorflow")
            is not None) == recovers
