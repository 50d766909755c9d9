"""The reference path: one Keras model per head, exactly as the tutorial writes it (`fused` is
held to its numbers); each metric compiled and evaluated alone: a failing one fails its cell."""

from __future__ import annotations

import functools
import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from runner import vocab
from runner.data.pipeline import encode_labels, feature_pipeline
from runner.features.cache import Features
from runner.grid import Cell
from runner.train import backends, judge
from runner.train.outcomes import GroupResult, error_fields, finish_head, warning_texts


def keras_loss(cell: Cell):
    """The cell's Keras loss object, e.g. `CategoricalCrossentropy(from_logits=True)`."""
    return vocab.LOSSES[cell.loss].build(backends.keras(), cell.from_logits,
                                         cell.label_smoothing)


def head_layer(cell: Cell, seed: int):
    """The tutorial's last layer: Dense(units, activation, GlorotUniform(seed))."""
    keras = backends.keras()
    return keras.layers.Dense(
        cell.units, activation=vocab.ACTIVATIONS[cell.activation].keras,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed))


def build_head(cell: Cell, feature_dim: int, seed: int):
    """The head on top of cached features, as a model of its own."""
    inputs = backends.keras().Input((feature_dim,))
    return backends.keras().Model(inputs, head_layer(cell, seed)(inputs), name="head")


def steps_per_epoch(n_train: int, batch_size: int, drop_remainder: bool) -> int:
    """Batches per epoch; also `steps_per_execution` (one call per epoch: far less dispatch).
    Raises ValueError for none (Keras would silently train nothing)."""
    steps = n_train // batch_size if drop_remainder else math.ceil(n_train / batch_size)
    if steps < 1:
        raise ValueError(f"Expected at least one training batch. Received: {n_train} "
                         f"training images, batch_size={batch_size}, "
                         f"drop_remainder={drop_remainder}")
    return steps


def encode_splits(cell: Cell, train_labels: np.ndarray,
                  test_labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both splits' integer labels in the cell's encoding (raises as `encode_labels`)."""
    return tuple(encode_labels(labels, cell.encoding, cell.num_classes, cell.units)
                 for labels in (train_labels, test_labels))


def fit_head(cells: list[Cell], labels: tuple[np.ndarray, np.ndarray], seed: int,
             shared: dict[str, Any], build: Callable, pipeline: Callable, test_inputs: Callable,
             test_pipeline: Callable, test_features: Callable | None = None,
             callbacks: tuple = ()) -> GroupResult:
    """Encode, `build()`, compile and fit (on `pipeline(y_train, drop_remainder)`) a head's
    model the tutorial's way, its outputs on `test_inputs()` recorded after each epoch, then
    evaluate each metric on `test_pipeline(y_test)`: the cells' rows (the head's inputs:
    `test_features(model, test inputs)`, or the test inputs)."""
    keras = backends.keras()
    cell, training = cells[0], cells[0].training
    per_epoch: list[np.ndarray] = []

    class Recorder(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            per_epoch.append(backends.to_numpy(self.model(x_test, training=False)))

    phase = "labels"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            y_train, y_test = encode_splits(cell, *labels)
            phase = "build"
            keras.utils.set_random_seed(seed)
            model = build()
            phase = "fit"
            drop = training.drops_remainder(cell.encoding)
            steps = steps_per_epoch(len(y_train), training.batch_size, drop)
            phase = "compile"
            model.compile(optimizer=keras.optimizers.Adam(training.learning_rate),
                          loss=keras_loss(cell),
                          steps_per_execution=backends.execution_steps(steps))
            phase = "fit"
            train_ds, x_test = pipeline(y_train, drop), test_inputs()
            start = time.perf_counter()
            history = model.fit(train_ds, epochs=training.epochs, verbose=0, shuffle=False,
                                callbacks=[Recorder(), *callbacks])
            shared["train_seconds"] = round(time.perf_counter() - start, 3)
        except Exception as e:
            return GroupResult.failed(cells, {**shared, **error_fields(phase, e),
                                              "warnings": warning_texts(caught)})
    test_ds = test_pipeline(y_test)
    return finish_head(
        cells, {**shared, "warnings": warning_texts(caught)}, history.history["loss"],
        per_epoch, model.layers[-1].get_weights(),
        test_features(model, x_test) if test_features else x_test, labels[1],
        lambda c: evaluate_metric(model, c, test_ds, y_test, per_epoch))


def train_group(cells: list[Cell], features: Features, seed: int) -> GroupResult:
    """Train one head for cells sharing `head_id` (they differ only in metric) on cached
    features, then evaluate each metric: their rows, never raising for a failing cell."""
    cell, training = cells[0], cells[0].training
    return fit_head(
        cells, (features.train_labels, features.test_labels), seed,
        {"head_id": cell.head_id, "heads_trained_together": 1},
        lambda: build_head(cell, features.train_x.shape[1], seed),
        lambda y, drop: feature_pipeline(features.train_x, y, training.batch_size,
                                         shuffle_seed=seed if training.shuffle else None,
                                         drop_remainder=drop),
        lambda: features.test_x,
        lambda y: feature_pipeline(features.test_x, y, training.batch_size))


def metric_history(resolved: str, y_test: np.ndarray, per_epoch: list[np.ndarray],
                   metric: str) -> list[float] | None:
    """The resolved Keras metric (with its arguments) on the test split after each epoch, from
    one call's per-image values over all epochs stacked; None if it cannot be done that way."""
    function = getattr(backends.keras().metrics, resolved, None)
    if not callable(function) or not per_epoch:
        return None
    function = functools.partial(function, **vocab.metric(metric).arguments)
    stacked = np.concatenate(per_epoch)
    tiled = np.concatenate([y_test] * len(per_epoch))
    # Keras 2's compiled metrics give rank-1 labels a trailing axis; Keras 3's do not
    for labels in [tiled] + ([tiled[:, None]] if tiled.ndim == 1 else []):
        try:
            values = np.asarray(function(labels, stacked), dtype=np.float64)
        except Exception:
            continue
        if values.ndim and values.shape[0] == len(tiled):  # per image (and label, maybe)
            return values.reshape(len(per_epoch), -1).mean(axis=1).tolist()
    return None


def evaluate_metric(model, cell: Cell, test_ds, y_test: np.ndarray,
                    per_epoch: list[np.ndarray]) -> dict[str, Any]:
    """Compile `cell.metric` onto a trained model and evaluate it: its columns, with the
    metric Keras built for the name (`metric_resolved`) and its value per epoch."""
    phase = "compile"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            # Recompiling keeps the trained weights; the metric is passed as the
            # string users write, so Keras resolves it ('accuracy') its own way.
            model.compile(loss=keras_loss(cell),
                          metrics=[vocab.metric(cell.metric).build(backends.keras())])
            phase = "evaluate"
            start = time.perf_counter()
            scores = model.evaluate(test_ds, verbose=0, return_dict=True)
            eval_seconds = round(time.perf_counter() - start, 3)
        except Exception as e:
            return {**error_fields(phase, e), "eval_warnings": warning_texts(caught)}
    [metric] = [k for k in scores if k != "loss"]
    resolved = judge.resolved_metric_name(backends.compiled_metrics(model)[0])
    return {"test_metric": float(scores[metric]), "test_loss": float(scores["loss"]),
            "metric_resolved": resolved,
            "history_test_metric": metric_history(resolved, y_test, per_epoch, cell.metric),
            "eval_seconds": eval_seconds, "eval_warnings": warning_texts(caught)}
