"""The fast path: a unit's heads trained by one compiled program (`programs`) to the reference
path's numbers, each head's metrics in one pass; what fails falls back to the reference path."""

from __future__ import annotations

import contextlib
import dataclasses
import time
import warnings
from typing import Any

import numpy as np

from runner import vocab
from runner.data.pipeline import feature_pipeline
from runner.errors import CheatgridWarning
from runner.features.cache import Features
from runner.grid import Cell
from runner.train import backends, judge, reference
from runner.train.outcomes import GroupResult, error_summary, finish_head, warning_texts
from runner.train.programs import Kind, Shape, activate, for_framework, metric_loop, test_logits
from runner.train.reference import encode_splits, steps_per_epoch, train_group

_TRACED: dict[tuple, Any] = {}  # (framework, kind, shape, static) -> Traced or Failure
_PROGRAMS: dict[tuple, Any] = {}  # (framework, shape, fingerprints) -> Program
_FAILED: dict[tuple, GroupResult] = {}  # a failure's key -> the reference path's result
_WARNED: dict[tuple, list[str]] = {}  # (framework, kind, shape, batch size) -> warnings
_METRICS: dict[tuple, Any] = {}  # (framework, metrics, label shape, batch size) -> Metrics


class Failure:
    """A head kind that raised while traced or run, and the warnings it gave before."""

    def __init__(self, error: BaseException, caught: list[str]):
        self.signature = (type(error).__name__, error_summary(error))
        self.warnings = caught


def _recorded(call) -> tuple[Any, list[str]]:
    """`call()`'s result (or what it raised) and the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call()
        except Exception as e:
            result = e
    return result, warning_texts(caught)


def _traced(kind: Kind, shape: Shape):
    """A head kind traced for a shape (cached per process), or its `Failure`."""
    key = (backends.current(), kind, shape)
    if key not in _TRACED:
        traced, caught = _recorded(lambda: for_framework().trace(kind, shape))
        _TRACED[key] = Failure(traced, caught) if isinstance(traced, Exception) else \
            dataclasses.replace(traced, warnings=caught)
    return _TRACED[key]


def train_together(groups: list[list[Cell]], features: Features, seed: int,
                   ) -> list[GroupResult]:
    """`reference.train_group`'s result for each of a unit's heads; one that fails to trace or
    run is trained by the reference path for Keras's error (once per distinct failure)."""
    cell = groups[0][0]
    try:
        y_train, y_test = encode_splits(cell, features.train_labels, features.test_labels)
    except Exception:  # the reference path records the error per cell
        return [train_group(g, features, seed) for g in groups]
    shape = Shape.of(cell, features.train_x.shape[1], y_train)
    initializer = backends.keras().initializers.GlorotUniform(seed=seed)  # as `Dense` draws it
    kernel = np.asarray(backends.to_numpy(initializer((shape.feature_dim, cell.units))),
                        np.float32)  # every head of the unit starts from it
    traced = {id(g): _traced(Kind.of(g[0]), shape) for g in groups}
    results = {id(g): _failed(g, traced[id(g)], shape, features, seed) for g in groups
               if isinstance(traced[id(g)], Failure)}
    heads = [(g, traced[id(g)]) for g in groups if id(g) not in results]
    try:
        results.update(_train(heads, shape, kernel, features, y_train, y_test, seed)
                       if heads else {})
    except Exception as e:  # an error Keras raises only when it runs: find its heads
        probed = {id(g): _probe(t, shape, features.train_x, y_train, kernel) for g, t in heads}
        results.update({id(g): _failed(g, probed[id(g)], shape, features, seed)
                        for g, _ in heads if probed[id(g)] is not None})
        running = [(g, t) for g, t in heads if id(g) not in results]
        try:
            if len(running) == len(heads):
                raise e
            results.update(_train(running, shape, kernel, features, y_train, y_test, seed)
                           if running else {})
        except Exception as again:  # not foreseen: train them one by one
            warnings.warn(f"{cell.dataset}: the fast path failed ({error_summary(again)}); "
                          "training these heads on the reference path instead, one model "
                          "each", CheatgridWarning, stacklevel=2)
            results.update({id(g): train_group(g, features, seed) for g, _ in running})
    return [results[id(g)] for g in groups]


def _probe(traced, shape: Shape, x: np.ndarray, y: np.ndarray,
           kernel: np.ndarray) -> Failure | None:
    """What a traced head raises on some training batch, or None (errors Keras raises only
    when it runs, e.g. a class index out of range in some batch)."""
    bias = np.zeros(kernel.shape[1], np.float32)
    try:
        for rows in shape.batches(len(x)):
            for_framework().probe(traced, x[rows], y[rows], kernel, bias)
    except Exception as e:
        return Failure(e, traced.warnings)
    return None


def _failed(group: list[Cell], failure: Failure, shape: Shape, features: Features,
            seed: int) -> GroupResult:
    """A failing head's rows: the reference path's, once per distinct failure."""
    key = (backends.current(), shape, failure.signature)
    if key not in _FAILED or _FAILED[key].logits is not None:
        _FAILED[key] = train_group(group, features, seed)
        return _FAILED[key]
    return GroupResult([{**_FAILED[key].rows[0], "head_id": group[0].head_id,
                         "warnings": failure.warnings} for _ in group], None)


def _train(heads: list[tuple[list[Cell], Any]], shape: Shape, kernel: np.ndarray,
           features: Features, y_train: np.ndarray, y_test: np.ndarray,
           seed: int) -> dict[int, GroupResult]:
    """Train the distinct heads in one program; every head's rows."""
    distinct = {traced.fingerprint: traced for _, traced in heads}  # identical heads once
    key = (backends.current(), shape, tuple(distinct))
    if key not in _PROGRAMS:
        _PROGRAMS[key] = for_framework().Program(shape, list(distinct.values()))
    program, training = _PROGRAMS[key], heads[0][0][0].training
    start = time.perf_counter()
    result = program.train(kernel, features.train_x, y_train,
                           _order(heads[0][0][0], len(y_train), seed),
                           training.epochs, training.learning_rate)
    test_loss = program.test_loss(features.test_x, y_test)
    seconds = round((time.perf_counter() - start) / len(heads), 3)
    logits = test_logits(features.test_x, result["kernels"], result["biases"])
    batch = shape.batch_size  # the sizes a head meets besides it: training's last, the test's
    sizes = ([] if shape.static_batch else [len(y_train) % batch]) + [
        min(batch, len(y_test)), len(y_test) % batch]
    sizes = [s for s in dict.fromkeys(sizes) if s and s != batch]
    metrics, rows, index = None, {}, {f: k for k, f in enumerate(distinct)}
    for group, traced in heads:
        k = index[traced.fingerprint]
        per_epoch = [activate(Kind.of(group[0]), z) for z in logits[:, k]]
        weights = [result["kernels"][-1][k], result["biases"][-1][k]]
        metrics = metrics or _metrics_for([c for g, _ in heads for c in g], features.test_x,
                                          y_test, per_epoch[-1])
        columns = _evaluate(metrics, group, y_test, per_epoch, float(test_loss[k]))
        warned = [w for size in sizes for w in _warnings_at(traced, group[0], shape, size)]
        shared = {"head_id": group[0].head_id, "heads_trained_together": len(heads),
                  "train_seconds": seconds,
                  "warnings": list(dict.fromkeys(traced.warnings + warned))}
        rows[id(group)] = finish_head(
            group, shared, result["losses"][:, k], per_epoch, weights, features.test_x,
            features.test_labels, lambda c, columns=columns: columns[c.metric])
    return rows


def _warnings_at(traced, cell: Cell, shape: Shape, size: int) -> list[str]:
    """What Keras warns when the head runs on a batch of `size` (its warnings can name the
    batch's shape), where the array library runs or traces each size anew."""
    key = (backends.current(), Kind.of(cell), shape, size)
    if key not in _WARNED:  # the batch's own errors surface elsewhere
        _WARNED[key] = _recorded(lambda: for_framework().run_at(traced, shape, size))[1]
    return _WARNED[key]


def _order(cell: Cell, n: int, seed: int) -> np.ndarray:
    """Each epoch's order of the training images (empty unless shuffled), recorded from a `fit`
    on the reference path's pipeline: how often Keras iterates it is Keras's own business."""
    training = cell.training
    if not training.shuffle:
        return np.zeros((0, 0), np.int32)
    keras = backends.keras()
    seen: list[np.ndarray] = []

    class Recorder(keras.layers.Layer):  # eagerly (run_eagerly): sees every batch fed
        def call(self, x):
            with contextlib.suppress(Exception):  # not a symbolic call while Keras builds
                seen.append(np.asarray(backends.to_numpy(x))[:, 0].astype(np.int32))
            return x

    drop = training.drops_remainder(cell.encoding)
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((1,))
    model = keras.Model(inputs, Recorder()(inputs))
    model.compile(loss="mse", run_eagerly=True, steps_per_execution=backends.execution_steps(
        steps_per_epoch(n, training.batch_size, drop)))
    indices = np.arange(n, dtype=np.float32)[:, None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # it has no weights to train, on purpose
        model.fit(feature_pipeline(indices, indices, training.batch_size,
                                   shuffle_seed=seed, drop_remainder=drop),
                  epochs=training.epochs, verbose=0, shuffle=False)
    return np.concatenate(seen).reshape(training.epochs, -1)


@dataclasses.dataclass
class Metrics:
    """Heads' metrics: the working ones compiled together, and the errors of the others."""

    resolved: dict[str, str]  # working metric -> Keras's metric's name, in compile order
    errors: dict[str, dict[str, Any]]  # metric -> its error columns
    loop: Any = None  # (labels, outputs) -> the working metrics' values, batch by batch
    model: Any = None


def _metrics_for(cells: list[Cell], x_test: np.ndarray, y_test: np.ndarray,
                 outputs: np.ndarray) -> Metrics:
    """The metrics of `cells`, heads of one shape (cached per process by shape), each tried
    on a batch of one head's test `outputs`."""
    cell, batch = cells[0], cells[0].training.batch_size
    by_name = {c.metric: c for c in cells}
    key = (backends.current(), tuple(by_name), cell.units, y_test.dtype.name, y_test.shape[1:],
           batch)
    if key in _METRICS:
        return _METRICS[key]
    metrics = Metrics({}, {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a head's warnings come from its training
        first = [backends.to_tensor(a[:batch]) for a in (x_test, y_test, outputs)]
        for name in by_name:
            model = reference.build_head(by_name[name], x_test.shape[1], seed=0)
            try:
                model.compile(loss=reference.keras_loss(cell),
                              metrics=[vocab.metric(name).build(backends.keras())])
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
        if metrics.resolved:
            metrics.model = reference.build_head(cell, x_test.shape[1], seed=0)
            metrics.model.compile(loss=reference.keras_loss(cell), metrics=[
                vocab.metric(n).build(backends.keras()) for n in metrics.resolved])
            metrics.model.compute_metrics(*first, sample_weight=None)  # builds them
            metrics.loop = getattr(for_framework(), "metric_loop", metric_loop)(metrics.model,
                                                                                batch)
    _METRICS[key] = metrics
    return metrics


def _evaluate(metrics: Metrics, cells: list[Cell], y_test: np.ndarray,
              per_epoch: list[np.ndarray], test_loss: float) -> dict[str, dict[str, Any]]:
    """metric -> the columns of a trained head's cell, as `reference.evaluate_metric`'s,
    from the head's test outputs after each epoch and its test loss."""
    start = time.perf_counter()
    values: dict[str, float] = {}
    if metrics.resolved:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            metrics.model.reset_metrics()
            results = metrics.loop(y_test, per_epoch[-1])
        values = {n: float(backends.to_numpy(v))
                  for n, v in zip(metrics.resolved, results, strict=True)}
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
