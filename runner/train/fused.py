"""Train many heads at once: the fast path, with the reference path's numbers.

Once features are cached, per-cell overhead dominates: every `fit` traces a
graph and dispatches every step from Python. Heads of one dataset, label
encoding and training settings are trained here as independent outputs of one
Keras model: no parameter is shared, the total loss is the sum of the heads'
losses (so each head's gradient is its own loss's gradient), and Adam updates
each parameter from that parameter's gradient alone, so every head follows the
trajectory it would follow alone. A whole epoch runs per call
(`steps_per_execution`), and all heads' metrics are evaluated in one call.

Anything that would make one head fail stays out of the shared model: a head
whose loss fails on a probe batch, or a metric that fails on a probe batch, is
run through the reference path (`reference.train_group` / `reference.evaluate_metric`)
so that its error is the one Keras raises there. If the shared model fails
anyway, every head falls back to the reference path.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

from runner.data.pipeline import feature_pipeline
from runner.features.cache import Features
from runner.grid import Cell
from runner.train import backends, judge
from runner.train.common import (
    GroupResult,
    TestOutputs,
    encode_splits,
    finish_head,
    head_layer,
    keras_loss,
    keras_metric,
    steps_per_epoch,
    warning_texts,
)
from runner.train.reference import evaluate_metric, metric_history, train_group


def _signature(error: Exception) -> tuple[str, str]:
    return type(error).__name__, str(error)


def _probe_loss(cell: Cell, x: np.ndarray, y: np.ndarray, seed: int,
                ) -> tuple[tuple[str, str] | None, list[str]]:
    """The loss's error on one batch (None if it computes) and the warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            keras_loss(cell)(y, head_layer(cell, seed)(x))
        except Exception as e:
            return _signature(e), warning_texts(caught)
    return None, warning_texts(caught)


def _probe_metric(model, output: str, cell: Cell, x: np.ndarray, y: np.ndarray,
                  ) -> tuple[str, str] | None:
    """The error of `cell.metric` on one batch of one head's output (None if it works)."""
    keras = backends.keras()

    probe = keras.Model(model.input, model.get_layer(output).output)
    try:
        probe.compile(loss=keras_loss(cell), metrics=[keras_metric(cell)], run_eagerly=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            probe.evaluate(x, y, batch_size=len(x), verbose=0)
    except Exception as e:
        return _signature(e)
    return None


def _reused(result: GroupResult, group: list[Cell], head_warnings: list[str]) -> GroupResult:
    """Another head's error result, as this head's: same error, its own id and warnings."""
    rows = [{**row, "head_id": group[0].head_id, "warnings": head_warnings}
            for row in result.rows[:1] for _ in group]
    return GroupResult(rows, None)


def train_together(groups: list[list[Cell]], features: Features, seed: int,
                   ) -> list[GroupResult]:
    """Train several heads (each a group of cells differing only in metric) at once.

    Heads whose loss fails on the probe batch run the reference path, once per
    distinct failure (same error and warnings on the probe: same failure in
    `fit`); the others share one model.

    Args:
        groups: groups whose cells share `together_key` (asserted).
        features: the dataset's cached features and integer labels.
        seed: as in `reference.train_group`.

    Returns:
        One `GroupResult` per group, in order, equal to `reference.train_group`'s.
    """
    assert len({g[0].together_key for g in groups}) == 1, "groups must train together"
    cell = groups[0][0]
    try:
        y_train, y_test = encode_splits(cell, features.train_labels, features.test_labels)
    except Exception:  # the reference path records the error per cell
        return [train_group(g, features, seed) for g in groups]
    batch = cell.training.batch_size
    probes = [_probe_loss(g[0], features.train_x[:batch], y_train[:batch], seed)
              for g in groups]
    results: dict[int, GroupResult] = {}
    failures: dict[tuple, GroupResult] = {}
    for group, (error, caught) in zip(groups, probes, strict=True):
        if error is None:
            continue
        key = (error, tuple(caught))
        if key in failures and failures[key].logits is None:
            results[id(group)] = _reused(failures[key], group, caught)
        else:
            results[id(group)] = failures[key] = train_group(group, features, seed)
    shared = [(g, caught) for g, (error, caught) in zip(groups, probes, strict=True)
              if error is None]
    if len(shared) > 1:
        try:
            trained = _fit_shared([g for g, _ in shared], [c for _, c in shared], features,
                                  y_train, y_test, seed)
            results.update({id(g): r for (g, _), r in zip(shared, trained, strict=True)})
        except Exception:  # rare: a failure the probes did not foresee
            pass
    return [results.get(id(g)) or train_group(g, features, seed) for g in groups]


def _fit_shared(groups: list[list[Cell]], head_warnings: list[list[str]],
                features: Features, y_train: np.ndarray, y_test: np.ndarray,
                seed: int) -> list[GroupResult]:
    """Fit the heads as outputs of one model, then evaluate all their metrics at once."""
    keras = backends.keras()

    cell = groups[0][0]
    training = cell.training
    names = [f"head_{k}" for k in range(len(groups))]
    drop = training.drops_remainder(cell.encoding)
    # Warnings of the shared model cannot be told apart by head; each head keeps those
    # its own loss raised on the probe batch, which are the ones it raises alone.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        keras.utils.set_random_seed(seed)
        inputs = keras.Input((features.train_x.shape[1],))
        outputs = [head_layer(g[0], seed, name)(inputs) for g, name in zip(groups, names,
                                                                          strict=True)]
        model = keras.Model(inputs, outputs)
        losses = {n: keras_loss(g[0]) for n, g in zip(names, groups, strict=True)}
        model.compile(optimizer=keras.optimizers.Adam(training.learning_rate), loss=losses,
                      metrics={n: [_epoch_loss(loss)] for n, loss in losses.items()},
                      steps_per_execution=backends.execution_steps(
                          steps_per_epoch(len(y_train), training.batch_size, drop)))
        train_ds = feature_pipeline(features.train_x, y_train, training.batch_size,
                                    shuffle_seed=seed if training.shuffle else None,
                                    drop_remainder=drop)
        train_ds = train_ds.map(lambda x, y: (x, {n: y for n in names}))
        batch = training.batch_size
        backends.build_before_fit(model, features.train_x[:batch],
                                   {n: y_train[:batch] for n in names})
        recorder = TestOutputs(features.test_x)
        start = time.perf_counter()
        history = model.fit(train_ds, epochs=training.epochs, verbose=0, shuffle=False,
                            callbacks=[recorder.callback])
        seconds = round((time.perf_counter() - start) / len(groups), 3)
    evaluations = _evaluate_shared(model, names, groups, features, y_test, recorder)
    results = []
    for k, (group, name) in enumerate(zip(groups, names, strict=True)):
        shared = {"head_id": group[0].head_id, "heads_trained_together": len(groups),
                  "train_seconds": seconds,
                  "warnings": head_warnings[k]}
        results.append(finish_head(group, shared, history.history[f"{name}_epoch_loss"],
                                   recorder.head(k), model.get_layer(name).get_weights(),
                                   features.test_x, features.test_labels,
                                   lambda c, k=k: evaluations[(k, c.metric)]))
    return results


def _epoch_loss(loss):
    """A head's training loss per epoch, averaged per image as a single-output model
    reports it (batch means weighted by batch size).

    Keras's own per-output loss of a multi-output model weights batches by their
    static size, unknown for a last partial batch, and then averages batches
    unweighted. This metric averages the loss's per-image values instead: the
    same quantity, up to float rounding.
    """
    keras = backends.keras()

    return keras.metrics.MeanMetricWrapper(loss.call, name="epoch_loss")


def _evaluate_shared(model, names: list[str], groups: list[list[Cell]], features: Features,
                     y_test: np.ndarray, recorder: TestOutputs,
                     ) -> dict[tuple[int, str], dict[str, Any]]:
    """Each (head, metric) evaluation, as `reference.evaluate_metric` returns it."""
    keras = backends.keras()

    batch = groups[0][0].training.batch_size
    x, y = features.test_x[:batch], y_test[:batch]
    errors: dict[str, tuple[str, str] | None] = {}
    for group, name in zip(groups, names, strict=True):
        for c in group:  # whether a metric works depends on shapes alone: probe it once
            if c.metric not in errors:
                errors[c.metric] = _probe_metric(model, name, c, x, y)
    works = {metric: error is None for metric, error in errors.items()}
    test_ds = feature_pipeline(features.test_x, y_test, batch)
    evaluations: dict[tuple[int, str], dict[str, Any]] = {}
    authentic: dict[str, dict[str, Any]] = {}
    for k, (group, name) in enumerate(zip(groups, names, strict=True)):
        for c in group:
            if works[c.metric]:
                continue
            if c.metric in authentic:  # the same metric on the same shapes: the same error
                evaluations[(k, c.metric)] = {**authentic[c.metric], "eval_warnings": []}
            else:  # its authentic error, from the reference path, once per metric
                single = keras.Model(model.input, model.get_layer(name).output)
                evaluations[(k, c.metric)] = authentic[c.metric] = evaluate_metric(
                    single, c, test_ds, y_test, recorder.head(k))
    metrics = {n: [c for c in g if works[c.metric]] for n, g in zip(names, groups,
                                                                    strict=True)}
    if any(metrics.values()):
        evaluations.update(_evaluate_eagerly(model, names, groups, metrics, test_ds, y_test,
                                             recorder))
    return evaluations


def _evaluate_eagerly(model, names: list[str], groups: list[list[Cell]],
                      metrics: dict[str, list[Cell]], test_ds, y_test: np.ndarray,
                      recorder: TestOutputs) -> dict[tuple[int, str], dict[str, Any]]:
    """What `evaluate` computes, batch by batch in eager mode: no graph to trace.

    Metrics go through Keras's own `compute_metrics` (the code `evaluate` runs per
    batch), so names resolve and values accumulate exactly as there. Each head's
    loss is averaged as a single-output `evaluate` does it: batch means weighted by
    batch size, in float32. (Keras's per-output losses of a multi-output model
    weight batches by their static size, unknown for a last partial batch, and
    then average batches unweighted.)
    """
    losses = {n: keras_loss(g[0]) for n, g in zip(names, groups, strict=True)}
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the heads' own warnings come from their probes
        model.compile(loss=losses, metrics={n: [keras_metric(c) for c in cells]
                                            for n, cells in metrics.items()})
        totals = {n: np.float32(0.0) for n in names}
        count = np.float32(0.0)
        for x, y in test_ds:
            outputs = model(x, training=False)
            model.compute_metrics(x, {n: y for n in names}, outputs, sample_weight=None)
            size = np.float32(len(x))
            for name, output in zip(names, outputs, strict=True):
                totals[name] += np.float32(backends.to_numpy(losses[name](y, output))) * size
            count += size
        scores = {k: float(v) for k, v in model.get_metrics_result().items()}
    seconds = round((time.perf_counter() - start) / len(names), 3)
    resolved = _resolved_metrics(model, [f"{n}_{c.metric}" for n in names
                                         for c in metrics[n]])
    evaluations = {}
    for k, (group, name) in enumerate(zip(groups, names, strict=True)):
        for c in group:
            if c in metrics[name]:
                kind = resolved[f"{name}_{c.metric}"]
                evaluations[(k, c.metric)] = {
                    "test_metric": scores[f"{name}_{c.metric}"],
                    "test_loss": float(totals[name] / count), "metric_resolved": kind,
                    "history_test_metric": metric_history(kind, y_test, recorder.head(k),
                                                          c.metric),
                    "eval_seconds": seconds, "eval_warnings": []}
    return evaluations


def _resolved_metrics(model, keys: list[str]) -> dict[str, str]:
    """'head_3_accuracy' -> what Keras built for it.

    Keras keeps the built metric objects in output order, each output's in the
    order given, under their bare names; `keys` lists them in that order.
    """
    built = backends.compiled_metrics(model)
    assert len(built) == len(keys), (len(built), keys)
    return {key: judge.resolved_metric_name(m) for key, m in zip(keys, built, strict=True)}
