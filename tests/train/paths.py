"""The fast path held to the reference path, in the process's framework: shared by
test_fused.py (Keras 3 on TensorFlow, in-process) and, as a script, by its subprocess
tests of the other frameworks (a Keras backend is fixed when Keras is first imported).

    python -m tests.train.paths FRAMEWORK   ->   one JSON line: the disagreements found
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from typing import Any

import numpy as np

from runner.config import TrainingConfig
from runner.features.cache import Features
from runner.grid import Cell

METRICS = ["accuracy", "binary_accuracy"]  # 'accuracy' always evaluates; binary fails on 10
LOSSES = ["binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy"]
NEW_LOSSES = ["binary_focal_crossentropy", "categorical_focal_crossentropy", "hinge",
              "categorical_hinge", "sparse_categorical_crossentropy"]
NEW_METRICS = ["binary_accuracy_logits", "top_k_categorical_accuracy",
               "sparse_top_k_categorical_accuracy", "auc"]
# (encoding, classes, units, shuffle): every kind of labels, both batchings, a reshuffle
CASES = [("integer", 10, 10, False),  # drop_remainder (tutorial) + BCE/CCE errors
         ("onehot", 10, 10, True),  # shuffled; SCCE errors
         ("integer", 2, 1, False),  # one unit, float labels; SCCE fails only when it runs
         ("multihot", 10, 10, False)]  # multi-label: SCCE errors, exact match and Hamming


def features(num_classes: int, multi_hot: bool = False, n_train: int = 100,
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


def training(shuffle: bool = False) -> TrainingConfig:
    return TrainingConfig(epochs=2, batch_size=32, learning_rate=0.01, seeds=(5,),
                          shuffle=shuffle)


def groups(encoding: str, num_classes: int, units: int, shuffle: bool) -> list[list[Cell]]:
    """Every activation x loss x from_logits head, each with the two metrics."""
    return [[Cell("synthetic", encoding, act, loss, logits, metric, units, num_classes,
                  training=training(shuffle)) for metric in METRICS]
            for act, loss, logits in itertools.product(["none", "sigmoid", "softmax"], LOSSES,
                                                       [True, False])]


def new_groups(encoding: str, num_classes: int, units: int) -> list[list[Cell]]:
    """The losses and metrics beyond the tutorial's, label smoothing included."""
    heads = [("none", loss, logits, 0.0) for loss in NEW_LOSSES for logits in (True, False)]
    heads += [("sigmoid", "binary_focal_crossentropy", False, 0.0),
              ("none", "categorical_focal_crossentropy", True, 0.1),
              ("none", "sparse_categorical_crossentropy", True, 0.1)]
    return [[Cell("synthetic", encoding, act, loss, logits, metric, units, num_classes,
                  label_smoothing=smoothing, training=training()) for metric in NEW_METRICS]
            for act, loss, logits, smoothing in heads]


def _unshaped(texts: list[str]) -> set[str]:
    """Warnings without the shapes they print: the batch size, None, or a torch.Size."""
    return {re.sub(r"\((None|\d+), |torch\.Size\(\[\d+, ", "(batch, ", t) for t in texts
            if "__array__ implementation" not in t}  # the reference's data pipeline's


def _unnamed(message: str | None) -> str | None:
    """A graph error without its node's inputs, which name the model's layers."""
    return None if message is None else re.sub(r"\]\([^)]*\)", "](...)", message)


def disagreements(groups: list[list[Cell]], data: Features, exact: bool = True,
                  ) -> tuple[list[str], Any]:
    """Train the groups both ways; what differs, and the fast path's results.

    Args:
        exact: logits, histories, metrics and losses bit for bit; else logits to 1e-5 and
            the rest to one test image (what JAX's compiled programs allow).
    """
    from runner.train.fused import train_together
    from runner.train.reference import train_group

    fast, found, together = train_together(groups, data, seed=5), [], 0
    for group, result in zip(groups, fast, strict=True):
        reference = train_group(group, data, seed=5)
        name = group[0].name
        if (result.logits is None) != (reference.logits is None):
            found.append(f"{name}: trained on one path only")
            continue
        if reference.logits is not None and not (
                np.array_equal(result.logits, reference.logits) if exact else
                np.allclose(result.logits, reference.logits, atol=1e-5)):
            found.append(f"{name}: logits")
        for got, want in zip(result.rows, reference.rows, strict=True):
            cell = f"{name}/{got.get('metric', '')}"
            together += got.get("heads_trained_together", 1) > 1
            for key in ("status", "phase", "error_type", "metric_resolved", "verdict",
                        "metric_reference", "constant_predictions", "reference_accuracy",
                        "hamming_accuracy", "majority_rate"):
                if got.get(key) != want.get(key):
                    found.append(f"{cell}: {key} {got.get(key)!r} != {want.get(key)!r}")
            # A TensorFlow run-time error names whichever failing op reported first, which
            # can change from one run to the next; errors raised while tracing do not.
            if want.get("error_type") != "InvalidArgumentError" and \
                    _unnamed(got.get("error_message")) != _unnamed(want.get("error_message")):
                found.append(f"{cell}: error_message")
            if _unshaped(got["warnings"]) != _unshaped(want["warnings"]):
                found.append(f"{cell}: warnings {got['warnings']} != {want['warnings']}")
            for key in ("test_metric", "test_loss", "history_loss", "history_test_metric"):
                a, b = got.get(key), want.get(key)
                same = a == b if exact or a is None or b is None else \
                    np.allclose(a, b, rtol=1e-5, atol=1.0 / len(data.test_labels))
                if not same:
                    found.append(f"{cell}: {key} {a} != {b}")
    if not together:
        found.append("the fast path trained nothing together")
    return found, fast


def main(framework: str) -> None:
    from runner.train import backends

    backends.activate(framework)
    backends.import_tensorflow(verbose=False)
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    exact = framework != "jax"
    found = []
    for encoding, classes, units, shuffle in CASES:
        data = features(classes, multi_hot=encoding == "multihot")
        found += disagreements(groups(encoding, classes, units, shuffle), data, exact)[0]
    # Beyond the tutorial's losses the fused program may order some float operations
    # otherwise than one model per head (a focal loss's own sigmoid): within tolerance
    found += disagreements(new_groups("onehot", 10, 10), features(10), exact=False)[0]
    print(json.dumps({"framework": framework, "disagreements": found}))


if __name__ == "__main__":
    main(sys.argv[1])
