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
                        "constant_predictions", *(() if racy else ("error_message",))):
                assert got.get(key) == want.get(key), (key, group[0].name)
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
    if encoding == "multihot":  # the multi-label analysis ran on both paths
        assert any(r.get("hamming_accuracy") for result in fast for r in result.rows)
