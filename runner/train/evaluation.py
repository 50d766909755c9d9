"""Trained heads' metrics, all of a head's metrics in one traced pass over its test outputs.

Which metric Keras builds for a name (`'accuracy'` resolves by the shapes of labels and
outputs) and whether it fails are properties of the heads' shape, found once per worker
process: each metric is compiled onto a model of that shape and tried on one batch; a
failing one gets its error from the reference path (`reference.evaluate_metric`), once per
shape. The working metrics are then compiled together onto one model, and each head's test
outputs update them batch by batch, as `evaluate` does (some metrics depend on the
batching: `categorical_accuracy` on class indices takes an argmax over the batch), through
the model's own `compute_metrics`, in one call traced once per shape
(`programs.<module>.metric_loop`).
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from typing import Any

import numpy as np

from runner.data.pipeline import feature_pipeline
from runner.grid import Cell
from runner.train import backends, judge
from runner.train.heads import build_head, keras_loss, keras_metric
from runner.train.programs import for_framework
from runner.train.reference import evaluate_metric, metric_history


@dataclasses.dataclass
class Metrics:
    """The metrics of heads of one shape: those that work, compiled together, and the
    errors of those that fail."""

    names: list[str]  # the working metrics, in the order they are compiled
    resolved: dict[str, str]  # metric -> the name of the metric Keras built for it
    errors: dict[str, dict[str, Any]]  # metric -> its error columns
    loop: Any = None  # (labels, outputs) -> the working metrics' values, batch by batch
    model: Any = None


_METRICS: dict[tuple, Metrics] = {}  # per worker process


def metrics_for(cells: list[Cell], x_test: np.ndarray, y_test: np.ndarray,
                outputs: np.ndarray) -> Metrics:
    """The metrics of heads shaped like `cells[0]` (cached per process by shape).

    Args:
        cells: cells of heads of one shape; their metrics are the ones compiled.
        outputs: one head's test outputs, to try each metric on a batch.
    """
    cell = cells[0]
    names = tuple(dict.fromkeys(c.metric for c in cells))
    key = (backends.current(), names, cell.units, y_test.dtype.name, y_test.shape[1:],
           cell.training.batch_size)
    if key not in _METRICS:
        _METRICS[key] = _compile(cells, names, x_test, y_test, outputs)
    return _METRICS[key]


def _compile(cells: list[Cell], names: tuple[str, ...], x_test: np.ndarray,
             y_test: np.ndarray, outputs: np.ndarray) -> Metrics:
    cell = cells[0]
    batch = cell.training.batch_size
    by_name = {c.metric: c for c in cells}
    metrics = Metrics([], {}, {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a head's warnings come from its training
        for name in names:
            model = build_head(by_name[name], x_test.shape[1], seed=0)
            try:
                model.compile(loss=keras_loss(cell), metrics=[keras_metric(by_name[name])])
                model.compute_metrics(*_tensors(x_test[:batch], y_test[:batch],
                                                outputs[:batch]), sample_weight=None)
                [built] = backends.compiled_metrics(model)
                metrics.resolved[name] = judge.resolved_metric_name(built)
                metrics.names.append(name)
            except Exception:  # its authentic error, as the reference path's evaluate raises
                test_ds = feature_pipeline(x_test, y_test, batch)
                result = evaluate_metric(model, by_name[name], test_ds, y_test, [outputs])
                if result.get("status") == "error":
                    metrics.errors[name] = result
                else:  # failed here only: it works as `evaluate` runs it
                    metrics.resolved[name] = result["metric_resolved"]
                    metrics.names.append(name)
        if metrics.names:
            metrics.model = build_head(cell, x_test.shape[1], seed=0)
            metrics.model.compile(loss=keras_loss(cell),
                                  metrics=[keras_metric(by_name[n]) for n in metrics.names])
            metrics.model.compute_metrics(*_tensors(x_test[:batch], y_test[:batch],
                                                    outputs[:batch]),
                                          sample_weight=None)  # builds them
            metrics.loop = for_framework().metric_loop(metrics.model, batch)
    return metrics


def _tensors(*arrays: np.ndarray) -> list[Any]:
    return [backends.to_tensor(a) for a in arrays]


def evaluate(metrics: Metrics, cells: list[Cell], y_test: np.ndarray, outputs: np.ndarray,
             per_epoch: list[np.ndarray], test_loss: float) -> dict[str, dict[str, Any]]:
    """The evaluation columns of a trained head's cells, as `reference.evaluate_metric`'s.

    Args:
        cells: the head's cells (one per metric).
        outputs: the head's test outputs after its activation.
        per_epoch: the head's test outputs after each epoch.
        test_loss: the head's test loss, as `evaluate` reports it.

    Returns:
        metric -> the columns of its cell.
    """
    start = time.perf_counter()
    values: dict[str, float] = {}
    if metrics.names:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            metrics.model.reset_metrics()
            results = metrics.loop(y_test, outputs)
        values = {n: float(backends.to_numpy(v))
                  for n, v in zip(metrics.names, results, strict=True)}
    seconds = round((time.perf_counter() - start) / max(len(values), 1), 3)
    columns = {}
    for cell in cells:
        name = cell.metric
        if name in metrics.errors:
            # the probe model's warnings came from another head's loss: a head's own are
            # those its training recorded
            columns[name] = {**metrics.errors[name], "eval_warnings": []}
            continue
        resolved = metrics.resolved[name]
        columns[name] = {
            "test_metric": values[name], "test_loss": test_loss, "metric_resolved": resolved,
            "history_test_metric": metric_history(resolved, y_test, per_epoch, name),
            "eval_seconds": seconds, "eval_warnings": []}
    return columns
