"""What a head's training yields: its cells' rows (a failure is a row naming its phase, not
a crash), its test outputs per epoch, its warnings."""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Any

import numpy as np

from runner import vocab
from runner.grid import Cell
from runner.train import judge

MAX_MESSAGE_CHARS = 300  # the first line of a TF error can carry a whole graph dump


def error_summary(error: BaseException) -> str:
    """One informative line from an exception: its first, or for TensorFlow's "Graph
    execution error:" the message after the last frame, with the Keras function it came
    from (e.g. "Incompatible shapes: [64] vs. [64,10] (in compute_loss)")."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    if not lines:
        return ""
    if not lines[0].startswith("Graph execution error"):
        return lines[0]
    frames = [i for i, line in enumerate(lines) if line.startswith("File ")]
    detail = [line for line in lines[frames[-1] + 1:] if not line.startswith("[[")] \
        if frames else []
    origin = [line.rsplit(" in ", 1)[-1] for line in lines if line.startswith("File ")
              and "/keras/src/" in line and "/backend/" not in line and "/ops/" not in line]
    message = " ".join(detail) or lines[0]
    return f"{message} (in {origin[-1]})" if origin else message


def error_fields(phase: str, error: BaseException) -> dict[str, Any]:
    """The `status`/`phase`/`error_*` columns of a failed cell."""
    message = error_summary(error)
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[:MAX_MESSAGE_CHARS - 3] + "..."
    return {"status": "error", "phase": phase, "error_type": type(error).__name__,
            "error_message": message}


@dataclasses.dataclass
class GroupResult:
    """What one training run of a head yields."""

    rows: list[dict[str, Any]]  # one result dict per cell, in the order of the cells
    logits: np.ndarray | None  # pre-activation test outputs (N, units); None if it failed
    weights: list[np.ndarray] | None = None  # the trained [kernel, bias]; None if it failed

    @classmethod
    def failed(cls, cells: list[Cell], fields: dict[str, Any]) -> GroupResult:
        """Every cell of a head that could not be trained gets the same error fields."""
        return cls([dict(fields) for _ in cells], None)


def warning_texts(caught: list[warnings.WarningMessage]) -> list[str]:
    """Distinct first lines of captured warnings, in order."""
    texts = [str(w.message).strip().splitlines()[0][:MAX_MESSAGE_CHARS] for w in caught
             if str(w.message).strip()]
    return list(dict.fromkeys(texts))


def finish_head(cells: list[Cell], shared: dict[str, Any], losses: list[float],
                per_epoch: list[np.ndarray], weights: list[np.ndarray], test_x: np.ndarray,
                labels: np.ndarray, evaluate: Any) -> GroupResult:
    """Rows of a trained head: the judgement of its test outputs after each epoch and each
    cell's evaluation (`evaluate`: cell -> `evaluate_metric`'s columns)."""
    losses = [float(v) for v in losses]
    final = per_epoch[-1]
    activation = cells[0].activation
    shared = {
        "status": "ok", "phase": None, "error_type": None, "error_message": None, **shared,
        "history_loss": losses, "diverged": not all(math.isfinite(v) for v in losses),
        **judge.judge(final, labels, activation),
        "history_reference_accuracy": [judge.reference_accuracy(o, labels, activation)
                                       for o in per_epoch]}
    rows = []
    for c in cells:
        row = {**shared, **evaluate(c)}
        row["warnings"] = list(dict.fromkeys(shared["warnings"] + row.pop("eval_warnings")))
        row["metric_reference"] = judge.metric_reference(
            vocab.metric(c.metric).reference, final, labels, activation,
            shared["reference_accuracy"])
        row["metric_gap"] = (row["test_metric"] - row["metric_reference"]
                             if row["status"] == "ok" and row["metric_reference"] is not None
                             else None)
        row["verdict"] = judge.verdict(row)
        rows.append(row)
    kernel, bias = weights
    return GroupResult(rows, test_x @ kernel + bias, weights)
