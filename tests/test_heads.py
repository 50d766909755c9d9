"""The fast path (heads trained together) gives the reference path's numbers."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from runner.config import TrainingConfig
from runner.grid import Cell
from runner.heads import train_together
from runner.train import Features, train_group

# 'accuracy' always evaluates; binary_accuracy fails on 10-class integer labels.
METRICS = ["accuracy", "binary_accuracy"]
LOSSES = ["binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy"]


def _unshaped(texts: list[str]) -> set[str]:
    return {re.sub(r"\((None|\d+), ", "(batch, ", t) for t in texts}


def _features(num_classes: int, n_train: int = 150, n_test: int = 70) -> Features:
    rng = np.random.default_rng(1)
    centres = rng.normal(0, 2, (num_classes, 12)).astype(np.float32)

    def split(n):
        labels = np.arange(n) % num_classes
        return centres[labels] + rng.normal(0, 1, (n, 12)).astype(np.float32), labels
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
])
def test_fast_path_matches_reference_path(encoding, num_classes, units, shuffle):
    training = TrainingConfig(epochs=3, batch_size=32, learning_rate=0.01, seeds=(5,),
                              shuffle=shuffle)
    groups = _groups(encoding, num_classes, units, training)
    features = _features(num_classes)
    fast = train_together(groups, features, seed=5)
    together = 0
    for group, result in zip(groups, fast, strict=True):
        reference = train_group(group, features, seed=5)
        assert (result.logits is None) == (reference.logits is None)
        if reference.logits is not None:
            np.testing.assert_allclose(result.logits, reference.logits, atol=1e-5)
        for got, want in zip(result.rows, reference.rows, strict=True):
            together += got.get("heads_trained_together", 1) > 1
            for key in ("status", "phase", "error_type", "error_message", "metric_resolved",
                        "verdict", "constant_predictions"):
                assert got.get(key) == want.get(key), (key, group[0].name)
            # the same warnings; a shape in them may show the batch size or None
            assert _unshaped(got["warnings"]) == _unshaped(want["warnings"])
            for key in ("test_metric", "test_loss", "reference_accuracy"):
                assert got.get(key) == pytest.approx(want.get(key), abs=1e-5), key
            if want.get("history_loss"):
                np.testing.assert_allclose(got["history_loss"], want["history_loss"],
                                           rtol=1e-5)
                np.testing.assert_allclose(got.get("history_test_metric") or [],
                                           want.get("history_test_metric") or [], atol=1e-5)
    assert together > 0, "the fast path trained nothing together"
