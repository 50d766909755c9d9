"""What each cell means: reference accuracy, verdicts, identical cells, seed aggregates.

Pure NumPy/pandas: it judges a cell from its raw test outputs and labels,
independently of any Keras metric, and compares cells with each other. Labels are
class indices (N,) for single-label data and 0/1 rows (N, L) for multi-label data;
the functions tell the two apart by that shape.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from runner.multilabel import majority_label_set

MISLEADING_TOLERANCE = 0.02  # |metric - reference| above this: the metric misreports accuracy
DEGENERATE_MARGIN = 0.02  # reference accuracy must beat the majority rate by more than this
EQUIVALENCE_TOLERANCE = 1e-6  # max |logit difference| for "the same trained head"
VERDICTS = ("error", "degenerate", "misleading", "ok")  # precedence: first applicable wins

# The combinations the tutorial recommends, per task and encoding:
# (activation, loss, from_logits, metric).
_RECOMMENDED = {
    ("binary", "integer"): {
        ("sigmoid", "binary_crossentropy", False, "binary_accuracy"),
        ("none", "binary_crossentropy", True, "binary_accuracy")},
    ("binary", "onehot"): {
        ("none", "binary_crossentropy", True, "categorical_accuracy"),
        ("sigmoid", "binary_crossentropy", False, "categorical_accuracy")},
    ("multiclass", "integer"): {
        ("sigmoid", "sparse_categorical_crossentropy", False, "sparse_categorical_accuracy"),
        ("softmax", "sparse_categorical_crossentropy", False, "sparse_categorical_accuracy"),
        ("none", "sparse_categorical_crossentropy", True, "sparse_categorical_accuracy")},
    ("multiclass", "onehot"): {
        ("none", "categorical_crossentropy", True, "categorical_accuracy"),
        ("sigmoid", "categorical_crossentropy", False, "categorical_accuracy"),
        ("softmax", "categorical_crossentropy", False, "categorical_accuracy")},
    # Independent labels: one sigmoid per label with binary cross-entropy (seeds 000, 004),
    # scored per label as the tutorial scores 0./1. labels.
    ("multilabel", "multihot"): {
        ("sigmoid", "binary_crossentropy", False, "binary_accuracy"),
        ("none", "binary_crossentropy", True, "binary_accuracy")},
}


def predicted_classes(outputs: np.ndarray, activation: str) -> np.ndarray:
    """Class predictions from raw model outputs.

    2+ units: the argmax. 1 unit: class 1 where the output exceeds 0.5 for a
    sigmoid/softmax output, 0 for a linear one (a logit), else class 0.
    """
    outputs = np.asarray(outputs)
    if outputs.ndim == 1:
        outputs = outputs[:, None]
    if outputs.shape[1] >= 2:
        return outputs.argmax(axis=1)
    threshold = 0.0 if activation == "none" else 0.5
    return (outputs[:, 0] > threshold).astype(np.int64)


def predicted_label_sets(outputs: np.ndarray, activation: str) -> np.ndarray:
    """Multi-label predictions from raw model outputs: each output on its own, above 0.5
    for a sigmoid/softmax output, above 0 for a linear one (a logit). Returns bool (N, L)."""
    return np.asarray(outputs) > (0.0 if activation == "none" else 0.5)


def _predictions(outputs: np.ndarray, labels: np.ndarray, activation: str) -> np.ndarray:
    if np.asarray(labels).ndim == 2:
        return predicted_label_sets(outputs, activation)
    return predicted_classes(outputs, activation)


def reference_accuracy(outputs: np.ndarray, labels: np.ndarray, activation: str) -> float:
    """Share of test images predicted right: the true class (labels: class indices), or
    for multi-label data (labels: 0/1 rows) every label right, the exact-match ratio."""
    labels = np.asarray(labels)
    if labels.ndim == 2:
        right = predicted_label_sets(outputs, activation) == (labels == 1)
        return float(np.mean(right.all(axis=1)))
    return float(np.mean(predicted_classes(outputs, activation) == labels))


def hamming_accuracy(outputs: np.ndarray, labels: np.ndarray, activation: str,
                     ) -> float | None:
    """Share of single labels predicted right, over every image and label (multi-label
    data only; None for class indices)."""
    labels = np.asarray(labels)
    if labels.ndim != 2:
        return None
    return float(np.mean(predicted_label_sets(outputs, activation) == (labels == 1)))


def majority_rate(labels: np.ndarray) -> float:
    """Accuracy of always predicting the most common class, or for multi-label data the
    exact-match accuracy of always predicting the most common label set."""
    labels = np.asarray(labels)
    if labels.ndim == 2:
        return majority_label_set(labels)[1]
    counts = np.bincount(labels.astype(np.int64))
    return float(counts.max() / counts.sum())


def is_constant(outputs: np.ndarray, labels: np.ndarray, activation: str) -> bool:
    """Whether the model predicts the same class (or label set) for every test image."""
    return bool(len(np.unique(_predictions(outputs, labels, activation), axis=0)) <= 1)


def judge(outputs: np.ndarray, labels: np.ndarray, activation: str) -> dict[str, Any]:
    """The result columns that judge a head by its test outputs alone.

    Returns:
        `reference_accuracy`, `hamming_accuracy` (None for single-label data),
        `majority_rate` and `constant_predictions`.
    """
    return {"reference_accuracy": reference_accuracy(outputs, labels, activation),
            "hamming_accuracy": hamming_accuracy(outputs, labels, activation),
            "majority_rate": majority_rate(labels),
            "constant_predictions": is_constant(outputs, labels, activation)}


def verdict(row: dict[str, Any], tolerance: float = MISLEADING_TOLERANCE) -> str:
    """`error`, `degenerate`, `misleading` or `ok`, in that precedence.

    error: the cell failed. degenerate: constant predictions, or a reference
    accuracy not above the majority rate by more than `DEGENERATE_MARGIN`.
    misleading: |test_metric - reference_accuracy| > `tolerance`.
    """
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


def _number(value: Any) -> bool:
    return isinstance(value, (int, float, np.floating)) and not isinstance(value, bool) \
        and math.isfinite(value)


def recommended(num_classes: int, encoding: str, activation: str, loss: str,
                from_logits: bool, metric: str) -> bool:
    """Whether the tutorial recommends this combination for this task and encoding
    (multi-hot labels are a multi-label task, whatever the number of labels)."""
    task = ("multilabel" if encoding == "multihot"
            else "binary" if num_classes == 2 else "multiclass")
    return (activation, loss, bool(from_logits), metric) in _RECOMMENDED.get((task, encoding),
                                                                            set())


def resolved_metric_name(metric_object: Any) -> str:
    """The snake_case name of the metric class Keras built, e.g. 'sparse_categorical_accuracy'
    for the string 'accuracy' with integer labels."""
    name = type(metric_object).__name__
    if name == "MeanMetricWrapper":
        fn = getattr(metric_object, "_fn", None)
        return getattr(fn, "__name__", name)
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def equivalence_groups(heads: Iterable[tuple[str, np.ndarray]],
                       tolerance: float = EQUIVALENCE_TOLERANCE) -> dict[str, str]:
    """Group heads whose outputs agree everywhere to `tolerance`.

    Args:
        heads: (head id, logits) in display order; logits of one dataset, all
            seeds stacked, so "identical" means identical for every seed.

    Returns:
        head id -> the id of the first head of its group (itself when it leads).
    """
    leaders: list[tuple[str, np.ndarray]] = []
    group: dict[str, str] = {}
    for head_id, logits in heads:
        for leader_id, leader in leaders:
            if leader.shape == logits.shape and np.all(np.abs(leader - logits) <= tolerance):
                group[head_id] = leader_id
                break
        else:
            leaders.append((head_id, logits))
            group[head_id] = head_id
    return group


_CELL_KEYS = ["cell_id", "name", "dataset", "encoding", "units", "activation", "loss",
              "from_logits", "metric"]


def aggregate_seeds(df: pd.DataFrame) -> pd.DataFrame:
    """One row per cell over its seeds, in the order cells first appear in `df`.

    Returns:
        The cell columns plus `n_seeds`, `n_ok`, `test_metric_mean`, `test_metric_std`,
        `reference_accuracy_mean`, `reference_accuracy_std`, `majority_rate`, and
        `verdict`: the first of error, degenerate, misleading, ok that any seed
        got (a cell is only ok when it is ok under every seed). Other columns keep
        their first seed's value.
    """
    keys = [k for k in _CELL_KEYS if k in df]
    # Positions into plain lists and arrays, not a DataFrame per cell: thousands of
    # cells aggregate in well under a second.
    records = df.to_dict("records")
    ok = (df["status"] == "ok").to_numpy()
    verdicts = (df["verdict"].tolist() if "verdict" in df
                else [verdict(r) for r in records])
    scores = {c: df[c].to_numpy(dtype=float) if c in df else None
              for c in ("test_metric", "reference_accuracy")}
    positions = df.groupby("cell_id", sort=False).indices
    rows = []
    for cell_id in pd.unique(df["cell_id"]):
        part = positions[cell_id]
        first = records[part[0]]
        row = {k: first[k] for k in keys}
        row.update({k: v for k, v in first.items() if k not in row})
        passed = part[ok[part]]
        row.update(n_seeds=len(part), n_ok=len(passed))
        for column, values in scores.items():
            kept = values[passed] if values is not None else np.array([])
            kept = kept[~np.isnan(kept)]
            row[f"{column}_mean"] = float(np.mean(kept)) if len(kept) else float("nan")
            # sample standard deviation (ddof=1); 0 for a single seed
            row[f"{column}_std"] = float(np.std(kept, ddof=1)) if len(kept) > 1 else 0.0
        row["verdict"] = min((verdicts[i] for i in part), key=VERDICTS.index)
        rows.append(row)
    return pd.DataFrame(rows)


def disagreements(df: pd.DataFrame, tolerance: float = MISLEADING_TOLERANCE) -> pd.DataFrame:
    """Cells whose outcome depends on the framework.

    Args:
        df: result rows (one per cell and seed) with `framework` and `base_id` (the
            cell's id on the default framework).
        tolerance: accuracies (means over seeds) further apart than this differ.

    Returns:
        One row per cell (base_id) run by 2+ frameworks whose status, verdict or
        accuracy differ: `name` (the default framework's), `differs` (what), and
        per framework the entry text.
    """
    if "framework" not in df or df["framework"].nunique() < 2 or "base_id" not in df:
        return pd.DataFrame()
    cells = aggregate_seeds(df)
    frameworks = list(dict.fromkeys(cells["framework"]))
    # One groupby for every cell's tallies; rows only for the cells that differ.
    by_cell = cells.groupby("base_id", sort=False)
    tallies = by_cell.agg(frameworks=("framework", "nunique"), statuses=("status", "nunique"),
                          verdicts=("verdict", "nunique"),
                          accuracies=("test_metric_mean", "count"),
                          best=("test_metric_mean", "max"), worst=("test_metric_mean", "min"))
    positions = by_cell.indices
    records = cells.to_dict("records")
    rows = []
    for base_id, t in zip(tallies.index, tallies.itertuples(index=False), strict=True):
        if t.frameworks < 2:
            continue
        differs = [what for what, changed in (
            ("status", t.statuses > 1),
            ("verdict", t.verdicts > 1),
            ("accuracy", t.accuracies > 1 and t.best - t.worst > tolerance),
        ) if changed]
        if not differs:
            continue
        same = [records[i] for i in positions[base_id]]
        row = {"name": same[0]["name"].split(":", 1)[-1], "differs": ", ".join(differs)}
        for record in same:
            row[record["framework"]] = (
                f"error: {record['error_type']}" if record["status"] == "error"
                else f"{record['test_metric_mean']:.4f} {record['verdict']}")
        rows.append(row)
    return pd.DataFrame(rows, columns=["name", "differs", *frameworks])
