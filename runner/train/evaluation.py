"""Trained heads' metrics, each head's in one traced pass over its test outputs: which metric
Keras builds for a name, and whether it fails, found once per shape and process (a failing
one gets the reference path's error); the working ones compiled together onto one model and
updated batch by batch through its `compute_metrics`, as `evaluate` does."""

from __future__ import annotations

import dataclasses
import time
import warnings
from typing import Any

import numpy as np

from runner.data.pipeline import feature_pipeline
from runner.grid import Cell
from runner.train import backends, judge, reference
from runner.train.programs import for_framework


@dataclasses.dataclass
class Metrics:
    """The metrics of heads of one shape: the working ones compiled together, and the
    errors of those that fail."""

    names: list[str]  # the working metrics, in the order they are compiled
    resolved: dict[str, str]  # metric -> the name of the metric Keras built for it
    errors: dict[str, dict[str, Any]]  # metric -> its error columns
    loop: Any = None  # (labels, outputs) -> the working metrics' values, batch by batch
    model: Any = None


_METRICS: dict[tuple, Metrics] = {}  # per worker process


def metrics_for(cells: list[Cell], x_test: np.ndarray, y_test: np.ndarray,
                outputs: np.ndarray) -> Metrics:
    """The metrics of `cells`, heads of one shape (cached per process by shape), each tried
    on a batch of one head's test `outputs`."""
    cell = cells[0]
    names = tuple(dict.fromkeys(c.metric for c in cells))
    key = (backends.current(), names, cell.units, y_test.dtype.name, y_test.shape[1:],
           cell.training.batch_size)
    if key not in _METRICS:
        _METRICS[key] = _compile(cells, names, x_test, y_test, outputs)
    return _METRICS[key]


def _compile(cells: list[Cell], names: tuple[str, ...], x_test: np.ndarray,
             y_test: np.ndarray, outputs: np.ndarray) -> Metrics:
    cell, batch = cells[0], cells[0].training.batch_size
    by_name = {c.metric: c for c in cells}
    metrics = Metrics([], {}, {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a head's warnings come from its training
        first = [backends.to_tensor(a[:batch]) for a in (x_test, y_test, outputs)]
        for name in names:
            model = reference.build_head(by_name[name], x_test.shape[1], seed=0)
            try:
                model.compile(loss=reference.keras_loss(cell),
                              metrics=[reference.keras_metric(by_name[name])])
                model.compute_metrics(*first, sample_weight=None)
                built = backends.compiled_metrics(model)[0]
                metrics.resolved[name] = judge.resolved_metric_name(built)
            except Exception:  # its authentic error, as the reference path's evaluate raises
                test_ds = feature_pipeline(x_test, y_test, batch)
                result = reference.evaluate_metric(model, by_name[name], test_ds, y_test,
                                                   [outputs])
                if result.get("status") == "error":
                    metrics.errors[name] = result
                    continue
                metrics.resolved[name] = result["metric_resolved"]  # works as `evaluate` runs
            metrics.names.append(name)
        if metrics.names:
            metrics.model = reference.build_head(cell, x_test.shape[1], seed=0)
            metrics.model.compile(loss=reference.keras_loss(cell), metrics=[
                reference.keras_metric(by_name[n]) for n in metrics.names])
            metrics.model.compute_metrics(*first, sample_weight=None)  # builds them
            metrics.loop = for_framework().metric_loop(metrics.model, batch)
    return metrics


def evaluate(metrics: Metrics, cells: list[Cell], y_test: np.ndarray,
             per_epoch: list[np.ndarray], test_loss: float) -> dict[str, dict[str, Any]]:
    """metric -> the columns of a trained head's cell, as `reference.evaluate_metric`'s,
    from the head's test outputs after each epoch and its test loss."""
    start = time.perf_counter()
    values: dict[str, float] = {}
    if metrics.names:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            metrics.model.reset_metrics()
            results = metrics.loop(y_test, per_epoch[-1])
        values = {n: float(backends.to_numpy(v))
                  for n, v in zip(metrics.names, results, strict=True)}
    seconds = round((time.perf_counter() - start) / max(len(values), 1), 3)
    columns = {}
    for name in (cell.metric for cell in cells):
        if name in metrics.errors:  # a head's own warnings are those its training recorded
            columns[name] = {**metrics.errors[name], "eval_warnings": []}
            continue
        resolved = metrics.resolved[name]
        columns[name] = {
            "test_metric": values[name], "test_loss": test_loss, "metric_resolved": resolved,
            "history_test_metric": reference.metric_history(resolved, y_test, per_epoch, name),
            "eval_seconds": seconds, "eval_warnings": []}
    return columns
