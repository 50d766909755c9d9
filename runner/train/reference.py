"""The reference path: one Keras model per head, exactly as the tutorial writes it.

Cells that differ only in metric share one trained head (metrics do not change
training); each metric is then compiled and evaluated on its own, so a metric
that fails fails only its own cell. The fast path (`fused`) is held to these
numbers by the tests.
"""

from __future__ import annotations

import functools
import time
import warnings
from typing import Any

import numpy as np

from runner import vocab
from runner.data.pipeline import feature_pipeline
from runner.features.cache import Features
from runner.grid import Cell
from runner.train import backends, judge
from runner.train.heads import build_head, encode_splits, keras_loss, keras_metric, steps_per_epoch
from runner.train.outcomes import (
    GroupResult,
    Phase,
    TestOutputs,
    error_fields,
    finish_head,
    run_phases,
    warning_texts,
)


def train_group(cells: list[Cell], features: Features, seed: int) -> GroupResult:
    """Train one head for cells that differ only in metric, then evaluate each metric.

    The reference path: one Keras model per head, exactly as the tutorial writes
    it. `fused.train_together` trains several heads at once with the same numbers.

    Args:
        cells: cells sharing `Cell.head_id` (asserted), hence training settings.
        features: the dataset's cached features and integer labels.
        seed: seeds Keras and the head's kernel initializer.

    Returns:
        The rows (never raising for a failing cell) and the head's test logits.
    """
    keras = backends.keras()

    assert cells and len({c.head_id for c in cells}) == 1, "cells must share a head"
    cell = cells[0]
    training = cell.training
    shared = {"head_id": cell.head_id, "heads_trained_together": 1}

    def train(phase: Phase):
        y_train, y_test = encode_splits(cell, features.train_labels, features.test_labels)
        phase.name = "build"
        keras.utils.set_random_seed(seed)
        model = build_head(cell, features.train_x.shape[1], seed)
        phase.name = "fit"
        drop = training.drops_remainder(cell.encoding)
        steps = steps_per_epoch(len(y_train), training.batch_size, drop)
        phase.name = "compile"
        model.compile(optimizer=keras.optimizers.Adam(training.learning_rate),
                      loss=keras_loss(cell), steps_per_execution=backends.execution_steps(steps))
        phase.name = "fit"
        train_ds = feature_pipeline(features.train_x, y_train, training.batch_size,
                                    shuffle_seed=seed if training.shuffle else None,
                                    drop_remainder=drop)
        outputs = TestOutputs(features.test_x)
        start = time.perf_counter()
        history = model.fit(train_ds, epochs=training.epochs, verbose=0, shuffle=False,
                            callbacks=[outputs.callback])
        shared["train_seconds"] = round(time.perf_counter() - start, 3)
        return model, y_test, history, outputs

    trained, failure, caught = run_phases(cells, shared, train)
    if failure is not None:
        return failure
    model, y_test, history, outputs = trained
    test_ds = feature_pipeline(features.test_x, y_test, training.batch_size)
    per_epoch = outputs.head(0)
    return finish_head(
        cells, {**shared, "warnings": caught}, history.history["loss"],
        per_epoch, model.layers[-1].get_weights(), features.test_x, features.test_labels,
        lambda c: evaluate_metric(model, c, test_ds, y_test, per_epoch))


def metric_history(resolved: str, y_test: np.ndarray, per_epoch: list[np.ndarray],
                   metric: str | None = None) -> list[float] | None:
    """The resolved Keras metric on the test split after each epoch, in one call over
    all epochs stacked (its per-image values, averaged per epoch); None if it cannot
    be computed that way.

    Args:
        metric: the cell's metric; its entry's arguments (a threshold) are passed on.
    """
    keras = backends.keras()
    entry = vocab.metric(metric) if metric else None
    arguments = dict(entry.arguments) if entry else {}
    function = getattr(keras.metrics, resolved, None)
    if arguments and callable(function):
        function = functools.partial(function, **arguments)
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
            model.compile(loss=keras_loss(cell), metrics=[keras_metric(cell)])
            phase = "evaluate"
            start = time.perf_counter()
            scores = model.evaluate(test_ds, verbose=0, return_dict=True)
            eval_seconds = round(time.perf_counter() - start, 3)
        except Exception as e:
            return {**error_fields(phase, e), "eval_warnings": warning_texts(caught)}
    metric_keys = [k for k in scores if k != "loss"]
    assert len(metric_keys) == 1, f"expected one metric, got {sorted(scores)}"
    [metric_object] = backends.compiled_metrics(model)
    resolved = judge.resolved_metric_name(metric_object)
    return {"test_metric": float(scores[metric_keys[0]]), "test_loss": float(scores["loss"]),
            "metric_resolved": resolved,
            "history_test_metric": metric_history(resolved, y_test, per_epoch, cell.metric),
            "eval_seconds": eval_seconds, "eval_warnings": warning_texts(caught)}
