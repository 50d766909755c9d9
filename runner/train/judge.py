"""What a trained head's outputs mean, in NumPy, apart from any Keras metric: reference accuracy,
majority rate, verdicts. Labels: class indices (N,), or 0/1 rows (N, L) for multi-label data."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from runner.data.multilabel import majority_label_set
from runner.features import keras_internals
from runner.vocab import LOSSES, TOP_K

MISLEADING_TOLERANCE = 0.02  # |metric - reference| above this: the metric misreports accuracy
DEGENERATE_MARGIN = 0.02  # reference accuracy must beat the majority rate by more than this
# A head this far below the best head for its labels is `impaired`: several times the noise
# of an accuracy on a few hundred test images, below the gap between the tutorial's good heads
IMPAIRED_MARGIN = 0.05
EQUIVALENCE_TOLERANCE = 1e-6  # max |logit difference| for "the same trained head"
VERDICTS = ("error", "degenerate", "misleading", "ok")  # precedence: first applicable wins
HEAD_VERDICTS = ("error", "degenerate", "impaired", "ok")  # a head on its own (check's)
OUTCOMES = ("error", "degenerate", "impaired", "misleading", "ok")  # a set-up: head and metrics


def threshold(activation: str, loss: str | None = None, from_logits: bool = False) -> float:
    """Where one output is cut into class 0 and 1: 0 on a logit, 0.5 on a probability. A
    linear output is a logit without a loss (as the grid judges), else as its loss reads it:
    a logit or margin (from_logits, a hinge), or a probability or 0/1 target (otherwise)."""
    if activation != "none":
        return 0.5
    entry = LOSSES.get(loss)  # None for no loss: a logit
    reads_logits = entry is None or entry.compares == "margin" or bool(from_logits)
    return 0.0 if reads_logits else 0.5


def _predictions(outputs: np.ndarray, labels: np.ndarray, activation: str,
                 loss: str | None = None, from_logits: bool = False) -> np.ndarray:
    """Multi-label: each output above `threshold`, bool (N, L). Else classes: the argmax of
    2+ units; of one unit, 1 above `threshold`."""
    outputs, cut = np.asarray(outputs), threshold(activation, loss, from_logits)
    if np.asarray(labels).ndim == 2:
        return outputs > cut
    outputs = outputs[:, None] if outputs.ndim == 1 else outputs
    return outputs.argmax(axis=1) if outputs.shape[1] >= 2 else \
        (outputs[:, 0] > cut).astype(np.int64)


def reference_accuracy(outputs: np.ndarray, labels: np.ndarray, activation: str,
                       loss: str | None = None, from_logits: bool = False) -> float:
    """Share of test images predicted right: the true class, or for multi-label data every
    label (the exact-match ratio)."""
    labels = np.asarray(labels)
    multi = labels.ndim == 2
    right = _predictions(outputs, labels, activation, loss, from_logits) == (
        labels == 1 if multi else labels)
    return float(np.mean(right.all(axis=1) if multi else right))


def hamming_accuracy(outputs: np.ndarray, labels: np.ndarray, activation: str,
                     loss: str | None = None, from_logits: bool = False) -> float | None:
    """Share of single labels predicted right, over every image and label (multi-label
    data only; None for class indices)."""
    labels = np.asarray(labels)
    if labels.ndim != 2:
        return None
    return float(np.mean(_predictions(outputs, labels, activation, loss, from_logits)
                         == (labels == 1)))


def majority_rate(labels: np.ndarray) -> float:
    """Accuracy of always predicting the most common class, or for multi-label data the
    exact-match accuracy of always predicting the most common label set."""
    labels = np.asarray(labels)
    if labels.ndim == 2:
        return majority_label_set(labels)[1]
    counts = np.bincount(labels.astype(np.int64))
    return float(counts.max() / counts.sum())


def is_constant(outputs: np.ndarray, labels: np.ndarray, activation: str,
                loss: str | None = None, from_logits: bool = False) -> bool:
    """Whether the model predicts the same class (or label set) for every test image."""
    predicted = _predictions(outputs, labels, activation, loss, from_logits)
    return bool(len(np.unique(predicted, axis=0)) <= 1)


def top_k_accuracy(outputs: np.ndarray, labels: np.ndarray, k: int = TOP_K) -> float | None:
    """Share of images whose true class is among the k highest outputs (ties count as in, as
    `tf.math.in_top_k`); None for multi-label data; a 1-unit head's 2 classes: all for k >= 2."""
    labels, outputs = np.asarray(labels), np.asarray(outputs)
    if labels.ndim == 2:
        return None
    if outputs.ndim == 1 or outputs.shape[1] == 1:
        return 1.0 if k >= 2 else None  # k = 1 would be `reference_accuracy`
    true_scores = outputs[np.arange(len(labels)), labels.astype(np.int64)]
    higher = (outputs > true_scores[:, None]).sum(axis=1)
    return float(np.mean(higher < k))


def metric_reference(kind: str | None, outputs: np.ndarray, labels: np.ndarray,
                     activation: str, accuracy: float) -> float | None:
    """What a metric of this reference kind (its entry's `reference`: 'accuracy', 'top_k' or
    None) should report from the raw test outputs, or None: no `misleading` verdict."""
    if kind == "accuracy":
        return accuracy  # the head's `reference_accuracy`
    return top_k_accuracy(outputs, labels) if kind == "top_k" else None


def judge(outputs: np.ndarray, labels: np.ndarray, activation: str,
          loss: str | None = None, from_logits: bool = False) -> dict[str, Any]:
    """The columns that judge a head by its test outputs alone (the loss sets `threshold`;
    the grid passes none and reads a linear output at 0)."""
    read = (activation, loss, from_logits)
    return {"reference_accuracy": reference_accuracy(outputs, labels, *read),
            "hamming_accuracy": hamming_accuracy(outputs, labels, *read),
            "majority_rate": majority_rate(labels),
            "constant_predictions": is_constant(outputs, labels, *read)}


def verdict(row: dict[str, Any], tolerance: float = MISLEADING_TOLERANCE) -> str:
    """`error` (the cell failed), `degenerate` (constant predictions, or a reference accuracy
    not above the majority rate by more than `DEGENERATE_MARGIN`), `misleading` (|metric_gap|
    above `tolerance`; a metric without a reference has no gap) or `ok`, in that precedence."""
    if row.get("status") != "ok":
        return "error"
    reference, majority = row.get("reference_accuracy"), row.get("majority_rate")
    if row.get("constant_predictions") or (
            _number(reference) and _number(majority) and
            reference <= majority + DEGENERATE_MARGIN):
        return "degenerate"
    gap = row.get("metric_gap")
    if _number(gap) and abs(gap) > tolerance:
        return "misleading"
    return "ok"


def impaired(reference: float, best: float) -> bool:
    """Whether a reference accuracy is more than `IMPAIRED_MARGIN` under the best for its labels."""
    return reference < best - IMPAIRED_MARGIN


def worst(verdicts: list[str]) -> str:
    """The first of `OUTCOMES` among verdicts (`ok` for none): what a set-up comes to."""
    return next((v for v in OUTCOMES if v in verdicts), "ok")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float, np.floating)) and not isinstance(value, bool) \
        and math.isfinite(value)


def resolved_metric_name(metric_object: Any) -> str:
    """The snake_case name of the metric class Keras built, e.g. 'sparse_categorical_accuracy'
    for the string 'accuracy' with integer labels."""
    name = type(metric_object).__name__
    if name == "MeanMetricWrapper":
        return getattr(keras_internals.metric_function(metric_object), "__name__", name)
    # 'AUC' -> 'auc', 'SparseTopKCategoricalAccuracy' -> 'sparse_top_k_categorical_accuracy'
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()
