"""What a head's training yields: its cells' rows, its failures, its warnings.

Every exception while preparing labels, building, compiling or fitting becomes a
result row naming the phase it happened in (`run_phases`); `finish_head` turns a
trained head into its cells' rows.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from runner import vocab
from runner.grid import Cell
from runner.train import backends, judge

MAX_MESSAGE_CHARS = 300  # the first line of a TF error can carry a whole graph dump
T = TypeVar("T")


def error_summary(error: BaseException) -> str:
    """One informative line from an exception.

    Usually its first line. TensorFlow's graph errors open with "Graph execution
    error:" and a stack of frames; their real message is the text after the last
    frame (e.g. "Incompatible shapes: [64] vs. [64,10]"), followed here by the
    Keras function it came from.
    """
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
    """What one training run of a head yields.

    Attributes:
        rows: one result dict per cell, in the order of the cells.
        logits: the head's pre-activation test outputs (N, units), None if training failed.
        weights: the trained head's [kernel, bias], None if training failed.
    """

    rows: list[dict[str, Any]]
    logits: np.ndarray | None
    weights: list[np.ndarray] | None = None

    @classmethod
    def failed(cls, cells: list[Cell], fields: dict[str, Any]) -> GroupResult:
        """Every cell of a head that could not be trained gets the same error fields."""
        return cls([dict(fields) for _ in cells], None)


class TestOutputs:
    """Collects a model's test-split outputs after every epoch (for learning curves).

    `per_epoch[e][k]` is output k (a head) after epoch e.
    """

    def __init__(self, test_x: np.ndarray):
        keras = backends.keras()

        outer = self

        class Callback(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                outputs = self.model(test_x, training=False)
                outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
                outer.per_epoch.append([backends.to_numpy(o) for o in outputs])

        self.per_epoch: list[list[np.ndarray]] = []
        self.callback = Callback()

    def head(self, k: int) -> list[np.ndarray]:
        return [outputs[k] for outputs in self.per_epoch]


def warning_texts(caught: list[warnings.WarningMessage]) -> list[str]:
    """Distinct first lines of captured warnings, in order."""
    texts = [str(w.message).strip().splitlines()[0][:MAX_MESSAGE_CHARS] for w in caught
             if str(w.message).strip()]
    return list(dict.fromkeys(texts))


@dataclasses.dataclass


class Phase:
    """The phase a head's training is in: what a failure's row names."""

    name: str = "labels"


def run_phases(cells: list[Cell], shared: dict[str, Any], body: Callable[[Phase], T],
               ) -> tuple[T | None, GroupResult | None, list[str]]:
    """Run `body` (which moves `phase.name` along as it goes) with warnings recorded.

    Returns:
        (what `body` returned, None, its warnings), or when it raised (None, the cells'
        error result naming the phase, []): a failing cell is a result, not a crash.
    """
    phase = Phase()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = body(phase)
        except Exception as e:
            return None, GroupResult.failed(cells, {**shared, **error_fields(phase.name, e),
                                                    "warnings": warning_texts(caught)}), []
    return value, None, warning_texts(caught)


def finish_head(cells: list[Cell], shared: dict[str, Any], losses: list[float],
                per_epoch: list[np.ndarray], weights: list[np.ndarray], test_x: np.ndarray,
                labels: np.ndarray, evaluate: Any) -> GroupResult:
    """Rows of a trained head: the analysis of its outputs and each cell's evaluation.

    Args:
        losses: training loss per epoch.
        per_epoch: the head's test outputs after each epoch.
        weights: the head's [kernel, bias].
        test_x: the test features the head reads; labels: their integer labels.
        evaluate: cell -> the dict of `evaluate_metric` for that cell's metric.
    """
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
        entry = vocab.metric(c.metric)
        row["metric_reference"] = judge.metric_reference(
            entry.reference, final, labels, activation, shared["reference_accuracy"])
        row["metric_gap"] = (row["test_metric"] - row["metric_reference"]
                             if row["status"] == "ok" and row["metric_reference"] is not None
                             else None)
        row["verdict"] = judge.verdict(row)
        rows.append(row)
    kernel, bias = weights
    return GroupResult(rows, test_x @ kernel + bias, weights)
