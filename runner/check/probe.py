"""Asking Keras: the grid's head, `Dense(units, activation)` on random features, compiled with
a copy of the model's loss and metrics and run on the user's labels (one epoch of `fit`, then
`evaluate`). The user's model is never trained; no global random state is touched."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np

from runner.check.inspect import Head, Labels, metric_label, metric_threshold
from runner.train import backends, judge
from runner.train.outcomes import error_fields, warning_texts

PROBE_FEATURES = 16  # the probe head's random inputs: few, so that its one epoch takes a moment
PROBE_ROWS = 256  # labels kept from the user's (plus the first row of every class)
MIN_PROBE_ROWS = 128  # fewer labels are repeated up to this: at least two batches
BATCH_SIZE = 64  # the grid's; changed when it equals the units (broadcasting hides errors)
LEARNING_RATE = 0.01  # Adam's, for the one epoch that shows whether the loss moves the weights


@dataclasses.dataclass
class MetricProbe:
    """One metric as written, the class Keras built for it and its threshold, or the error."""

    label: str
    metric: Any
    resolved: str | None = None
    threshold: float | None = None
    error: dict[str, Any] | None = None


@dataclasses.dataclass
class Probe:
    """What running the probe showed (None: it could not be found out)."""

    fit_error: dict[str, Any] | None  # where compiling or fitting the loss raised
    weights_moved: bool | None  # whether one epoch of Adam changed any weight
    constant_outputs: bool  # the same outputs for every input
    constant_loss: bool | None  # the same loss for two differently initialised heads' outputs
    # the same loss, for both heads, with every label moved one row on: it does not read them
    label_free: bool | None
    metrics: list[MetricProbe]
    warnings: list[str]  # Keras's, while compiling, fitting and evaluating
    diverged: bool | None = None  # whether one epoch of Adam left a weight NaN or infinite


def probe_labels(labels: Labels) -> np.ndarray:
    """The first `PROBE_ROWS` labels and the first row of every class, up to `MIN_PROBE_ROWS`."""
    judged = labels.judged
    firsts = ([int(np.argmax(judged[:, k])) for k in range(judged.shape[1]) if judged[:, k].any()]
              if judged.ndim == 2 else np.unique(judged, return_index=True)[1].tolist())
    values = labels.values[sorted(set(range(min(labels.rows, PROBE_ROWS))) | set(firsts))]
    repeats = -(-MIN_PROBE_ROWS // len(values))
    return np.concatenate([values] * repeats) if repeats > 1 else values


def batch_size(units: int, width: int) -> int:
    """`BATCH_SIZE`, or less where a batch of it would broadcast against the outputs."""
    size = BATCH_SIZE
    while size in (units, width, 1):
        size -= 8
    return size


def _copy(obj: Any) -> Any:
    """A fresh loss or metric object of the same config: the user's metric state stays."""
    if isinstance(obj, (str, type)) or not hasattr(obj, "get_config"):
        return obj
    try:
        return type(obj).from_config(obj.get_config())
    except Exception:
        return obj


def _head(head: Head, seed: int = 0):
    keras = backends.keras()
    inputs = keras.Input((PROBE_FEATURES,))
    layer = keras.layers.Dense(head.units, activation=head.activation_fn,
                               kernel_initializer=keras.initializers.GlorotUniform(seed=seed))
    return keras.Model(inputs, layer(inputs), name="cheatgrid_probe")


def run_probe(labels: Labels, head: Head) -> Probe:
    """Compile, fit and evaluate the probe head with the model's loss and each metric."""
    keras = backends.keras()
    y = probe_labels(labels)
    size = batch_size(head.units, y.shape[1] if y.ndim == 2 else 1)
    x = np.random.default_rng(0).normal(0.0, 0.5, (len(y), PROBE_FEATURES)).astype(np.float32)
    fit_error, moved, diverged = None, None, None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = _head(head)
        outputs = backends.to_numpy(model(x, training=False))
        constant = bool(np.all(outputs == outputs[:1]))
        first, second = model(x), _head(head, seed=1)(x)
        same_loss = _same_loss(head, y, y, first, second)
        shifted = np.roll(y, 1, axis=0)  # every row's label moved one row on
        label_free = None
        if len(np.unique(y, axis=0)) >= 2:
            found = [_same_loss(head, y, shifted, out, out) for out in (first, second)]
            label_free = None if None in found else all(found)
        phase = "compile"
        try:
            model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss=_copy(head.loss))
            before = [w.copy() for w in model.get_weights()]
            phase = "fit"
            model.fit(x, y, batch_size=size, epochs=1, verbose=0, shuffle=False)
            after = model.get_weights()
            moved = any(not np.array_equal(a, b) for a, b in zip(before, after, strict=True))
            diverged = not all(np.isfinite(w).all() for w in after)
        except Exception as e:  # the grid's cells of a head that cannot train
            fit_error = error_fields(phase, e)
            metrics = [MetricProbe(metric_label(m), m, error=fit_error) for m in head.metrics]
        else:
            metrics = _evaluate(model, head.loss, list(head.metrics), x, y, size) \
                if head.metrics else []
    return Probe(fit_error, moved, constant, same_loss, label_free, metrics,
                 warning_texts(caught), diverged)


def _same_loss(head: Head, y: np.ndarray, y_other: np.ndarray, first: Any,
               second: Any) -> bool | None:
    """Whether the loss has the same value for (y, first) as for (y_other, second)."""
    keras = backends.keras()
    loss = keras.losses.get(head.loss) if isinstance(head.loss, str) else _copy(head.loss)
    if not hasattr(loss, "get_config"):
        # a loss function, as `compile` gets it: compile wraps it so that class indices
        # (N,) meet outputs (N, units) as (N, 1), which the function alone does not
        y, y_other = (v[:, None] if v.ndim == 1 else v for v in (y, y_other))
    try:
        values = [backends.to_numpy(loss(labels, outputs))
                  for labels, outputs in ((y, first), (y_other, second))]
    except Exception:  # Keras raises on these labels: fit shows it
        return None
    return bool(np.array_equal(*values))


def _evaluate(model, loss: Any, metrics: list[Any], x: np.ndarray, y: np.ndarray,
              size: int) -> list[MetricProbe]:
    """Every metric at once; where that raises, each on its own: a failure fails only itself."""
    phase = "compile"
    try:
        model.compile(loss=_copy(loss), metrics=[_copy(m) for m in metrics])
        phase = "evaluate"
        model.evaluate(x, y, batch_size=size, verbose=0)
    except Exception as e:
        if len(metrics) > 1:
            return [p for m in metrics for p in _evaluate(model, loss, [m], x, y, size)]
        return [MetricProbe(metric_label(m), m, error=error_fields(phase, e)) for m in metrics]
    return [MetricProbe(metric_label(m), m, judge.resolved_metric_name(b), metric_threshold(b))
            for m, b in zip(metrics, backends.compiled_metrics(model), strict=True)]


def metric_values(head: Head, labels: Labels, outputs: np.ndarray,
                  metrics: list[MetricProbe]) -> dict[str, float]:
    """Each metric's value on a model's own outputs, as `evaluate` batches and averages it
    (through an identity model); none for one that raised on the probe."""
    keras = backends.keras()
    inputs = keras.Input((head.units,))
    identity = keras.Model(inputs, keras.layers.Identity()(inputs))
    size = batch_size(head.units, labels.values.shape[1] if labels.values.ndim == 2 else 1)
    fine = [probe for probe in metrics if probe.error is None]

    def evaluated(probes: list[MetricProbe]) -> list[float]:
        identity.compile(loss=_copy(head.loss), metrics=[_copy(p.metric) for p in probes])
        identity.evaluate(outputs, labels.values, batch_size=size, verbose=0)
        return [float(backends.to_numpy(m.result())) for m in backends.compiled_metrics(identity)]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:  # all at once, one trace; one by one where Keras refuses the set
            found = evaluated(fine) if fine else []
        except Exception:
            found = [evaluated([p])[0] for p in fine]
    return dict(zip((p.label for p in fine), found, strict=True))
