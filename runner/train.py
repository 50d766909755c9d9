"""One cell: build the Dense head, compile, fit on cached features, evaluate.

Cells that differ only in metric share one trained head (metrics do not change
training); each metric is then compiled and evaluated on its own, so a metric
that fails fails only its own cell. Every exception becomes a result row that
names the phase it happened in.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from runner.data import encode_labels, feature_pipeline
from runner.grid import Cell

PHASES = ("labels", "build", "compile", "fit", "evaluate")
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
    import keras

    classes = {
        "binary_crossentropy": keras.losses.BinaryCrossentropy,
        "categorical_crossentropy": keras.losses.CategoricalCrossentropy,
        "sparse_categorical_crossentropy": keras.losses.SparseCategoricalCrossentropy,
    }
    return classes[cell.loss](from_logits=cell.from_logits)


def build_head(cell: Cell, feature_dim: int, seed: int):
    """The tutorial's last layer on top of cached features: Dense(units, activation)."""
    import keras

    inputs = keras.Input((feature_dim,))
    outputs = keras.layers.Dense(
        cell.units, activation=None if cell.activation == "none" else cell.activation,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed))(inputs)
    return keras.Model(inputs, outputs, name="head")


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


def train_group(cells: list[Cell], features: Features, seed: int) -> list[dict[str, Any]]:
    """Train one head for cells that differ only in metric, then evaluate each metric.

    Args:
        cells: cells sharing `Cell.training_key` (asserted), hence training settings.
        features: the dataset's cached features and integer labels.
        seed: seeds Keras and the head's kernel initializer.

    Returns:
        One result dict per cell, in the order of `cells`; never raises for a
        failing cell.
    """
    import keras

    assert cells and len({c.training_key for c in cells}) == 1, "cells must share a head"
    cell = cells[0]
    training = cell.training
    shared: dict[str, Any] = {"status": "ok", "phase": None, "error_type": None,
                              "error_message": None}
    phase = "labels"
    try:
        y_train = encode_labels(features.train_labels, cell.encoding, cell.num_classes,
                                cell.units)
        y_test = encode_labels(features.test_labels, cell.encoding, cell.num_classes,
                               cell.units)
        phase = "build"
        keras.utils.set_random_seed(seed)
        model = build_head(cell, features.train_x.shape[1], seed)
        phase = "compile"
        model.compile(optimizer=keras.optimizers.Adam(training.learning_rate),
                      loss=keras_loss(cell))
        phase = "fit"
        train_ds = feature_pipeline(
            features.train_x, y_train, training.batch_size,
            shuffle_seed=seed if training.shuffle else None,
            drop_remainder=training.drops_remainder(cell.encoding))
        start = time.perf_counter()
        history = model.fit(train_ds, epochs=training.epochs, verbose=0, shuffle=False)
        shared["train_seconds"] = round(time.perf_counter() - start, 3)
        shared["history_loss"] = [float(v) for v in history.history["loss"]]
    except Exception as e:  # a failing cell is a result, not a crash
        return [{**shared, **error_fields(phase, e)} for _ in cells]

    test_ds = feature_pipeline(features.test_x, y_test, training.batch_size)
    return [{**shared, **_evaluate(model, c, test_ds)} for c in cells]


def _evaluate(model, cell: Cell, test_ds) -> dict[str, Any]:
    """Compile `cell.metric` onto the trained head and evaluate it on the test split."""
    phase = "compile"
    try:
        # Recompiling keeps the trained weights; the metric is passed as the
        # string users write, so Keras resolves it ('accuracy') its own way.
        model.compile(loss=keras_loss(cell), metrics=[cell.metric])
        phase = "evaluate"
        start = time.perf_counter()
        scores = model.evaluate(test_ds, verbose=0, return_dict=True)
        eval_seconds = round(time.perf_counter() - start, 3)
    except Exception as e:
        return error_fields(phase, e)
    metric_keys = [k for k in scores if k != "loss"]
    assert len(metric_keys) == 1, f"expected one metric, got {sorted(scores)}"
    return {"test_metric": float(scores[metric_keys[0]]), "test_loss": float(scores["loss"]),
            "eval_seconds": eval_seconds}
