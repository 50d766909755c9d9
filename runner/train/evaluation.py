"""A trained head's metrics, computed once over its whole test output.

Which metric Keras builds for a name (`'accuracy'` resolves by the shapes of labels and
outputs) and whether it fails are properties of the head's shape, found once per worker
process by compiling the metric onto a model of that shape; a failing metric gets its error
from the reference path (`reference.evaluate_metric`), once per shape. A working metric is
then updated with the head's test outputs batch by batch, as `evaluate` updates it (some
metrics depend on the batching: `categorical_accuracy` on class indices takes an argmax
over the batch), through the model's own `compute_metrics`, in one call traced once per
shape where the array library traces (`programs.<module>.metric_loop`).
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
from runner.train.common import build_head, keras_loss, keras_metric
from runner.train.programs import for_framework
from runner.train.reference import evaluate_metric, metric_history


@dataclasses.dataclass
class _Compiled:
    """A metric compiled for a head's shape: the model that updates it, or its error."""

    model: Any
    loop: Any = None  # (labels, outputs) -> the metric's results, updated batch by batch
    resolved: str | None = None
    error: dict[str, Any] | None = None
    by_reference: bool = False  # it failed here but not in `evaluate`: evaluate each head so


_COMPILED: dict[tuple, _Compiled] = {}  # per worker process, by `_key`


def _key(cell: Cell, y_test: np.ndarray) -> tuple:
    return (backends.current(), cell.metric, cell.units, cell.activation, cell.loss,
            cell.from_logits, cell.label_smoothing, y_test.dtype.name, y_test.shape[1:],
            cell.training.batch_size)


def _metric_key(results: dict[str, Any]) -> str:
    [key] = [k for k in results if k not in ("loss", "compile_metrics")]
    return key


def _compile(cell: Cell, x_test: np.ndarray, y_test: np.ndarray,
             per_epoch: list[np.ndarray]) -> _Compiled:
    """Compile the cell's metric onto a model of the head's shape; try it on one batch."""
    key = _key(cell, y_test)
    if key in _COMPILED:
        return _COMPILED[key]
    batch = cell.training.batch_size
    model = build_head(cell, x_test.shape[1], seed=0)
    compiled = _Compiled(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a head's warnings come from its training
        try:
            model.compile(loss=keras_loss(cell), metrics=[keras_metric(cell)])
            model.compute_metrics(x_test[:batch], y_test[:batch], per_epoch[-1][:batch],
                                  sample_weight=None)
            [built] = backends.compiled_metrics(model)
            compiled.resolved = judge.resolved_metric_name(built)
            compiled.loop = for_framework().metric_loop(model, batch)
        except Exception:  # its authentic error, as the reference path's evaluate raises it
            test_ds = feature_pipeline(x_test, y_test, batch)
            result = evaluate_metric(model, cell, test_ds, y_test, per_epoch)
            compiled.error = result if result.get("status") == "error" else None
            compiled.by_reference = compiled.error is None
    _COMPILED[key] = compiled
    return compiled


def evaluate(cell: Cell, x_test: np.ndarray, y_test: np.ndarray, outputs: np.ndarray,
             per_epoch: list[np.ndarray], test_loss: float,
             weights: list[np.ndarray]) -> dict[str, Any]:
    """The evaluation columns of a trained head's cell, as `reference.evaluate_metric`'s.

    Args:
        outputs: the head's test outputs after its activation, as `evaluate` sees them.
        per_epoch: the head's test outputs after each epoch.
        test_loss: the head's test loss, as `evaluate` reports it.
        weights: the head's trained [kernel, bias].
    """
    compiled = _compile(cell, x_test, y_test, per_epoch)
    if compiled.error is not None:
        return {**compiled.error, "eval_warnings": []}
    if compiled.by_reference:
        model = build_head(cell, x_test.shape[1], seed=0)
        model.set_weights(weights)
        test_ds = feature_pipeline(x_test, y_test, cell.training.batch_size)
        return evaluate_metric(model, cell, test_ds, y_test, per_epoch)
    start = time.perf_counter()
    model = compiled.model
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.reset_metrics()
        results = compiled.loop(y_test, outputs)
        value = float(backends.to_numpy(results[_metric_key(results)]))
    return {"test_metric": value, "test_loss": test_loss, "metric_resolved": compiled.resolved,
            "history_test_metric": metric_history(compiled.resolved, y_test, per_epoch,
                                                  cell.metric),
            "eval_seconds": round(time.perf_counter() - start, 3), "eval_warnings": []}
