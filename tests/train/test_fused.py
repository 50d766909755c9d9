"""The fast path (heads trained together) gives the reference path's numbers."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from runner.config import TrainingConfig
from runner.features.cache import Features
from runner.grid import Cell
from runner.train.fused import train_together
from runner.train.reference import train_group

pytestmark = pytest.mark.slow  # real fits, fuzzing or subprocess runs

# 'accuracy' always evaluates; binary_accuracy fails on 10-class integer labels.
METRICS = ["accuracy", "binary_accuracy"]
LOSSES = ["binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy"]


def _unshaped(texts: list[str]) -> set[str]:
    return {re.sub(r"\((None|\d+), ", "(batch, ", t) for t in texts}


def _unnamed(message: str | None) -> str | None:
    """A graph error without its node's inputs, which name the model's layers (one model
    per head on one path, one for all heads on the other)."""
    return None if message is None else re.sub(r"\]\([^)]*\)", "](...)", message)


def _features(num_classes: int, multi_hot: bool = False, n_train: int = 100,
              n_test: int = 70) -> Features:
    """Noisy class centres; multi-hot: each image the sum of one or two labels' centres."""
    rng = np.random.default_rng(1)
    centres = rng.normal(0, 2, (num_classes, 12)).astype(np.float32)

    def split(n):
        labels = np.arange(n) % num_classes
        if multi_hot:
            labels = np.eye(num_classes, dtype=np.int64)[labels]
            labels[::2, 0] = 1  # every other image also carries label 0
        return (labels @ centres if multi_hot else centres[labels]) + rng.normal(
            0, 1, (n, 12)).astype(np.float32), labels
    return Features(*split(n_train), *split(n_test))


def _groups(encoding, num_classes, units, training):
    return [[Cell("synthetic", encoding, act, loss, logits, metric, units, num_classes,
                  training=training) for metric in METRICS]
            for act, loss, logits in itertools.product(["none", "sigmoid", "softmax"], LOSSES,
                                                       [True, False])]


@pytest.mark.parametrize("encoding, num_classes, units, shuffle", [
    ("integer", 10, 10, False),  # drop_remainder (tutorial) + BCE/CCE errors
    ("onehot", 10, 10, True),  # shuffled; SCCE errors
    ("integer", 2, 1, False),  # one unit, float labels
    ("multihot", 10, 10, False),  # multi-label: SCCE errors, exact match and Hamming
])
def test_fast_path_matches_reference_path(encoding, num_classes, units, shuffle):
    training = TrainingConfig(epochs=2, batch_size=32, learning_rate=0.01, seeds=(5,),
                              shuffle=shuffle)
    groups = _groups(encoding, num_classes, units, training)
    features = _features(num_classes, multi_hot=encoding == "multihot")
    fast = _assert_paths_agree(groups, features)
    if encoding == "multihot":  # the multi-label analysis ran on both paths
        assert any(r.get("hamming_accuracy") for result in fast for r in result.rows)


def _assert_paths_agree(groups, features):
    """Train the groups both ways; every row and logit the same. Returns the fast results."""
    fast = train_together(groups, features, seed=5)
    together = 0
    for group, result in zip(groups, fast, strict=True):
        reference = train_group(group, features, seed=5)
        assert (result.logits is None) == (reference.logits is None)
        if reference.logits is not None:
            np.testing.assert_allclose(result.logits, reference.logits, atol=1e-5)
        for got, want in zip(result.rows, reference.rows, strict=True):
            together += got.get("heads_trained_together", 1) > 1
            # A TensorFlow runtime error names whichever failing op reported first, which
            # can change from one run to the next (README: `error_message`); its type and
            # phase do not. Errors Keras raises while tracing are compared word for word.
            racy = want.get("error_type") == "InvalidArgumentError"
            for key in ("status", "phase", "error_type", "metric_resolved", "verdict",
                        "metric_reference", "constant_predictions"):
                assert got.get(key) == want.get(key), (key, group[0].name)
            if not racy:
                assert _unnamed(got.get("error_message")) == _unnamed(
                    want.get("error_message")), group[0].name
            # the same warnings; a shape in them may show the batch size or None
            assert _unshaped(got["warnings"]) == _unshaped(want["warnings"])
            for key in ("test_metric", "test_loss", "reference_accuracy", "hamming_accuracy",
                        "majority_rate"):
                if want.get(key) is None:
                    assert got.get(key) is None, key
                else:
                    assert got.get(key) == pytest.approx(want[key], abs=1e-5), key
            if want.get("history_loss"):
                np.testing.assert_allclose(got["history_loss"], want["history_loss"],
                                           rtol=1e-5)
                np.testing.assert_allclose(got.get("history_test_metric") or [],
                                           want.get("history_test_metric") or [], atol=1e-5)
    assert together > 0, "the fast path trained nothing together"
    return fast


NEW_LOSSES = ["binary_focal_crossentropy", "categorical_focal_crossentropy", "hinge",
              "categorical_hinge", "sparse_categorical_crossentropy"]
NEW_METRICS = ["binary_accuracy_logits", "top_k_categorical_accuracy",
               "sparse_top_k_categorical_accuracy", "auc"]


@pytest.mark.parametrize("encoding, num_classes, units", [
    ("onehot", 10, 10),  # sparse top-k and SCCE fail; hinge and focal losses train
    ("integer", 2, 1),  # one unit: the logit threshold, top-k of two classes
])
def test_new_losses_and_metrics_agree_on_both_paths(encoding, num_classes, units):
    training = TrainingConfig(epochs=2, batch_size=32, learning_rate=0.01, seeds=(5,))
    heads = [("none", loss, logits, 0.0) for loss in NEW_LOSSES for logits in (True, False)]
    heads += [("sigmoid", "binary_focal_crossentropy", False, 0.0),
              ("none", "categorical_focal_crossentropy", True, 0.1),
              ("none", "sparse_categorical_crossentropy", True, 0.1)]
    groups = [[Cell("synthetic", encoding, act, loss, logits, metric, units, num_classes,
                    label_smoothing=smoothing, training=training) for metric in NEW_METRICS]
              for act, loss, logits, smoothing in heads]
    fast = _assert_paths_agree(groups, _features(num_classes))
    rows = {(c.name): r for g, result in zip(groups, fast, strict=True)
            for c, r in zip(g, result.rows, strict=True)}
    # Keras's own errors are the results: a hinge has no from_logits, SCCE no smoothing
    assert rows["synthetic/" + encoding + "/none/hinge/logits=true/auc"]["error_message"] == \
        "Hinge.__init__() got an unexpected keyword argument 'from_logits'"
    smoothed = rows[f"synthetic/{encoding}/none/sparse_categorical_crossentropy/logits=true/"
                    "label_smoothing=0.1/auc"]
    assert (smoothed["phase"], smoothed["error_type"]) == ("compile", "TypeError")
    for name, row in rows.items():
        if row["status"] == "ok" and name.endswith("/auc"):
            assert row["metric_reference"] is None and row["verdict"] != "misleading"
    if units == 1:  # a logit head read at 0: what the reference accuracy reads
        logit = rows["synthetic/integer/none/hinge/logits=false/binary_accuracy_logits"]
        assert logit["status"] == "ok" and logit["verdict"] in ("ok", "degenerate")
        assert logit["test_metric"] == pytest.approx(logit["reference_accuracy"], abs=1e-6)
