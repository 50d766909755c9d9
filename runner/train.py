"""One cell: build the Dense head, compile, fit on cached features, evaluate.

Cells that differ only in metric share one trained head (metrics do not change
training); each metric is then compiled and evaluated on its own, so a metric
that fails fails only its own cell. Every exception becomes a result row that
names the phase it happened in.
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from typing import Any

import numpy as np

from runner import analysis, framework
from runner.data import encode_labels, feature_pipeline
from runner.grid import Cell

MAX_MESSAGE_CHARS = 300  # the first line of a TF error can carry a whole graph dump


@dataclasses.dataclass(frozen=True)
class Features:
    """Frozen-backbone features and integer labels of one dataset, both splits."""

    train_x: np.ndarray
    train_labels: np.ndarray
    test_x: np.ndarray
    test_labels: np.ndarray


def keras_loss(cell: Cell):
    """The Keras loss object of a cell, e.g. `CategoricalCrossentropy(from_logits=True)`."""
    keras = framework.keras()

    classes = {
        "binary_crossentropy": keras.losses.BinaryCrossentropy,
        "categorical_crossentropy": keras.losses.CategoricalCrossentropy,
        "sparse_categorical_crossentropy": keras.losses.SparseCategoricalCrossentropy,
    }
    return classes[cell.loss](from_logits=cell.from_logits)


def head_layer(cell: Cell, seed: int, name: str | None = None):
    """The tutorial's last layer: Dense(units, activation, GlorotUniform(seed))."""
    keras = framework.keras()

    return keras.layers.Dense(
        cell.units, activation=None if cell.activation == "none" else cell.activation,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed), name=name)


def build_head(cell: Cell, feature_dim: int, seed: int):
    """The head on top of cached features, as a model of its own."""
    keras = framework.keras()

    inputs = keras.Input((feature_dim,))
    return keras.Model(inputs, head_layer(cell, seed)(inputs), name="head")


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
        keras = framework.keras()

        outer = self

        class Callback(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                outputs = self.model(test_x, training=False)
                outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
                outer.per_epoch.append([framework.to_numpy(o) for o in outputs])

        self.per_epoch: list[list[np.ndarray]] = []
        self.callback = Callback()

    def head(self, k: int) -> list[np.ndarray]:
        return [outputs[k] for outputs in self.per_epoch]


def warning_texts(caught: list[warnings.WarningMessage]) -> list[str]:
    """Distinct first lines of captured warnings, in order."""
    texts = [str(w.message).strip().splitlines()[0][:MAX_MESSAGE_CHARS] for w in caught
             if str(w.message).strip()]
    return list(dict.fromkeys(texts))


def steps_per_epoch(n_train: int, batch_size: int, drop_remainder: bool) -> int:
    """Batches per epoch; also Keras's `steps_per_execution`, so that one call to the
    compiled train function runs a whole epoch (same math, far less dispatch).

    Raises:
        ValueError: not a single batch (Keras would silently train nothing).
    """
    steps = n_train // batch_size if drop_remainder else math.ceil(n_train / batch_size)
    if steps < 1:
        raise ValueError(f"Expected at least one training batch. Received: {n_train} "
                         f"training images, batch_size={batch_size}, "
                         f"drop_remainder={drop_remainder}")
    return steps


def train_group(cells: list[Cell], features: Features, seed: int) -> GroupResult:
    """Train one head for cells that differ only in metric, then evaluate each metric.

    The reference path: one Keras model per head, exactly as the tutorial writes
    it. `heads.train_together` trains several heads at once with the same numbers.

    Args:
        cells: cells sharing `Cell.training_key` (asserted), hence training settings.
        features: the dataset's cached features and integer labels.
        seed: seeds Keras and the head's kernel initializer.

    Returns:
        The rows (never raising for a failing cell) and the head's test logits.
    """
    keras = framework.keras()

    assert cells and len({c.training_key for c in cells}) == 1, "cells must share a head"
    cell = cells[0]
    training = cell.training
    shared = {"head_id": cell.head_id, "heads_trained_together": 1}
    phase = "labels"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            y_train, y_test = encode_splits(cell, features.train_labels, features.test_labels)
            phase = "build"
            keras.utils.set_random_seed(seed)
            model = build_head(cell, features.train_x.shape[1], seed)
            phase = "fit"
            drop = training.drops_remainder(cell.encoding)
            steps = steps_per_epoch(len(y_train), training.batch_size, drop)
            phase = "compile"
            model.compile(optimizer=keras.optimizers.Adam(training.learning_rate),
                          loss=keras_loss(cell),
                          steps_per_execution=framework.execution_steps(steps))
            phase = "fit"
            train_ds = feature_pipeline(features.train_x, y_train, training.batch_size,
                                        shuffle_seed=seed if training.shuffle else None,
                                        drop_remainder=drop)
            outputs = TestOutputs(features.test_x)
            start = time.perf_counter()
            history = model.fit(train_ds, epochs=training.epochs, verbose=0, shuffle=False,
                                callbacks=[outputs.callback])
            shared["train_seconds"] = round(time.perf_counter() - start, 3)
        except Exception as e:  # a failing cell is a result, not a crash
            return GroupResult.failed(cells, {**shared, **error_fields(phase, e),
                                              "warnings": warning_texts(caught)})
    test_ds = feature_pipeline(features.test_x, y_test, training.batch_size)
    per_epoch = outputs.head(0)
    return finish_head(
        cells, {**shared, "warnings": warning_texts(caught)}, history.history["loss"],
        per_epoch, model.layers[-1].get_weights(), features.test_x, features.test_labels,
        lambda c: evaluate_metric(model, c, test_ds, y_test, per_epoch))


def encode_splits(cell: Cell, train_labels: np.ndarray,
                  test_labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both splits' integer labels in the cell's encoding (raises as `encode_labels`)."""
    return tuple(encode_labels(labels, cell.encoding, cell.num_classes, cell.units)
                 for labels in (train_labels, test_labels))


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
        **analysis.judge(final, labels, activation),
        "history_reference_accuracy": [analysis.reference_accuracy(o, labels, activation)
                                       for o in per_epoch]}
    rows = []
    for c in cells:
        row = {**shared, **evaluate(c)}
        row["warnings"] = list(dict.fromkeys(shared["warnings"] + row.pop("eval_warnings")))
        row["metric_gap"] = (row["test_metric"] - row["reference_accuracy"]
                             if row["status"] == "ok" else None)
        row["verdict"] = analysis.verdict(row)
        rows.append(row)
    kernel, bias = weights
    return GroupResult(rows, test_x @ kernel + bias, weights)


def metric_history(resolved: str, y_test: np.ndarray,
                   per_epoch: list[np.ndarray]) -> list[float] | None:
    """The resolved Keras metric on the test split after each epoch, in one call over
    all epochs stacked (its per-image values, averaged per epoch); None if it cannot
    be computed that way."""
    keras = framework.keras()
    function = getattr(keras.metrics, resolved, None)
    if not callable(function) or not per_epoch:
        return None
    stacked = np.concatenate(per_epoch)
    tiled = np.concatenate([y_test] * len(per_epoch))
    # Keras 2's compiled metrics give rank-1 labels a trailing axis; Keras 3's do not
    candidates = [tiled] + ([tiled[:, None]] if tiled.ndim == 1 else [])
    for labels in candidates:
        try:
            values = np.asarray(function(labels, stacked), dtype=np.float64)
        except Exception:
            continue
        if values.ndim and values.shape[0] == len(tiled):  # per image (and label, maybe)
            return values.reshape(len(per_epoch), -1).mean(axis=1).tolist()
    return None


def evaluate_metric(model, cell: Cell, test_ds, y_test: np.ndarray,
                    per_epoch: list[np.ndarray]) -> dict[str, Any]:
    """Compile `cell.metric` onto a trained single-output model and evaluate it.

    Also records which metric Keras built for the name (`metric_resolved`) and
    that metric per epoch on the test split (`history_test_metric`).
    """
    phase = "compile"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            # Recompiling keeps the trained weights; the metric is passed as the
            # string users write, so Keras resolves it ('accuracy') its own way.
            model.compile(loss=keras_loss(cell), metrics=[cell.metric])
            phase = "evaluate"
            start = time.perf_counter()
            scores = model.evaluate(test_ds, verbose=0, return_dict=True)
            eval_seconds = round(time.perf_counter() - start, 3)
        except Exception as e:
            return {**error_fields(phase, e), "eval_warnings": warning_texts(caught)}
    metric_keys = [k for k in scores if k != "loss"]
    assert len(metric_keys) == 1, f"expected one metric, got {sorted(scores)}"
    [metric_object] = framework.compiled_metrics(model)
    resolved = analysis.resolved_metric_name(metric_object)
    return {"test_metric": float(scores[metric_keys[0]]), "test_loss": float(scores["loss"]),
            "metric_resolved": resolved,
            "history_test_metric": metric_history(resolved, y_test, per_epoch),
            "eval_seconds": eval_seconds, "eval_warnings": warning_texts(caught)}
