"""Why a `misleading` cell's metric misreports its head's accuracy (what it computes on these
outputs and labels), and the metric of the reference accuracy (or the nearest Keras has)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from runner.vocab import keras_changes


def _number(cell: Mapping[str, Any], key: str) -> float | None:
    for name in (f"{key}_mean", key):
        value = cell.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) \
                and math.isfinite(value):
            return float(value)
    return None


def right_metric(encoding: str, units: int, activation: str, keras_version: str = "") -> str:
    """The Keras metric whose value is the reference accuracy of such a head (for
    multi-label data: the per-label rate, the closest Keras has), as code that runs on
    `keras_version` (empty: the newest)."""
    logits = activation == "none"
    if (encoding == "multihot" or units == 1) and logits and not keras_changes.holds(
            keras_changes.THRESHOLD_ZERO, keras_version):
        return ("a sigmoid head with `BinaryAccuracy()` (`BinaryAccuracy(threshold=0.0)` "
                f"from Keras {keras_changes.THRESHOLD_ZERO.since})")
    if encoding == "multihot" or units == 1:
        return "`BinaryAccuracy(threshold=0.0)`" if logits else "`BinaryAccuracy()`"
    return "`SparseCategoricalAccuracy()`" if encoding == "integer" else \
        "`CategoricalAccuracy()`"


def _reason(built: str, cell: Mapping[str, Any]) -> tuple[str, str]:
    encoding, units = cell["encoding"], int(cell["units"])
    logits = cell["activation"] == "none"
    version = cell.get("keras_version")
    fix = "use " + right_metric(encoding, units, cell["activation"],
                                version if isinstance(version, str) else "")
    per_label = f"{fix} for the per-label rate (Keras has no exact-match metric)"
    if built == "binary_accuracy":
        if encoding == "multihot":
            hamming = _number(cell, "hamming_accuracy")
            shown = "" if hamming is None else f" ({hamming:.4f})"
            reason = f"it counts single labels right{shown}, not images with every label right"
            if logits:
                return ("it thresholds logits at 0.5 (a logit's threshold is 0), and " + reason,
                        per_label)
            return reason, ("read it as the per-label rate, and the reference accuracy as the "
                            "exact match (Keras has no exact-match metric)")
        if units == 1 and logits:
            return "it thresholds the logit at 0.5 (a logit's threshold is 0)", fix
        if units > 1:
            threshold = " (and thresholds logits at 0.5)" if logits else ""
            return (f"it scores each of the {units} outputs against its 0./1. label{threshold},"
                    " not the predicted class", fix)
    if built in ("categorical_accuracy", "sparse_categorical_accuracy"):
        if units == 1:
            return "it picks a class by argmax, which a 1-unit head cannot express", fix
        if built == "categorical_accuracy" and encoding == "integer":
            return "it expects one-hot labels, and these are class indices", fix
        if encoding == "multihot":
            return ("it checks only whether the top output is one of the image's labels, "
                    "not every label", per_label)
    if built == "accuracy":
        return "it counts outputs exactly equal to their labels", fix
    return "it does not compute the share of images predicted right", fix


def note(cell: Mapping[str, Any]) -> str | None:
    """One line on a `misleading` result row or cell record (`test_metric` or
    `test_metric_mean`, ...): what its metric showed against the reference accuracy (exact
    match for multi-label data), why it misreports, and what to do instead; else None."""
    shows, reference = _number(cell, "test_metric"), _number(cell, "reference_accuracy")
    if cell.get("verdict") != "misleading" or shows is None or reference is None:
        return None
    resolved = cell.get("metric_resolved")
    built = resolved if isinstance(resolved, str) and resolved else cell["metric"]
    reason, fix = _reason(built, cell)
    if built != cell["metric"]:
        reason = f"`{cell['metric']}` was built as `{built}`, and {reason}"
    kind = " (exact match)" if cell["encoding"] == "multihot" else ""
    return (f"`{cell['metric']}` shows {shows:.4f} where the reference accuracy{kind} is "
            f"{reference:.4f}: {reason}; {fix}")
