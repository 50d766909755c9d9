"""What `check` reads: the label encoding in the labels, and the head and compile of a model.

Labels are read by their values, as the grid writes them (`vocab.ENCODINGS`):
class indices (N,) or (N, 1), float 0./1. for a binary head, one-hot rows or
multi-hot rows (N, K). A model is read as it is: the units and last activation
of its one output, the loss and metrics it was compiled with (Keras 3).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from runner import vocab
from runner.errors import UsageError
from runner.features import keras_internals
from runner.train import backends, judge

UNKNOWN = "unknown"  # the activation of a layer check cannot read (a Layer subclass of yours)
# The layers after the last activation that pass values through unchanged.
PASS_THROUGH = ("Dropout", "Identity", "ActivityRegularization", "GaussianNoise",
                "GaussianDropout", "AlphaDropout")


@dataclasses.dataclass(frozen=True)
class Labels:
    """The labels as check sees them.

    Attributes:
        values: the labels exactly as given (Keras resolves metrics by their shape).
        encoding: 'integer', 'onehot' or 'multihot' (`vocab.ENCODINGS`).
        detail: what the values look like, e.g. 'float 0./1.' or 'class indices'.
        classes: the number of classes (multi-hot: labels).
        judged: the labels as `train.judge` reads them: class indices (N,), or 0/1 rows.
    """

    values: np.ndarray
    encoding: str
    detail: str
    classes: int
    judged: np.ndarray

    @property
    def rows(self) -> int:
        return len(self.values)

    @property
    def task(self) -> str:
        return vocab.task(self.classes, self.encoding)

    @property
    def majority_rate(self) -> float:
        return judge.majority_rate(self.judged)

    @property
    def at_most_one_label(self) -> float:
        """The share of rows with at most one label on (what a softmax can get right)."""
        return float(np.mean(self.judged.sum(axis=1) <= 1)) if self.judged.ndim == 2 else 1.0


def read_labels(labels: Any) -> Labels:
    """The encoding, classes and judged form of labels.

    Raises:
        UsageError: labels that fit no encoding (not numeric, empty, NaN or infinite,
            more than 2 dimensions, negative or fractional class indices, values other
            than 0 and 1 in rows).
    """
    values = np.asarray(labels)
    if values.dtype == object or not (np.issubdtype(values.dtype, np.number)
                                      or values.dtype == bool):
        raise UsageError(f"labels: Expected numbers. Received: an array of dtype {values.dtype}")
    if values.ndim == 0 or values.ndim > 2 or len(values) == 0:
        raise UsageError(f"labels: Expected class indices (N,) or rows (N, K) with N > 0. "
                         f"Received: an array of shape {values.shape}")
    as_float = values.astype(np.float64)
    bad = ~np.isfinite(as_float)
    if bad.any():
        first = int(np.argwhere(bad)[0][0])
        raise UsageError(f"labels: Expected finite numbers. Received: {int(bad.sum())} NaN or "
                         f"infinite value(s), the first in row {first}")
    column = as_float.reshape(-1) if values.ndim == 1 or values.shape[1] == 1 else None
    if column is not None:
        return _indices(values, column)
    if not np.isin(as_float, (0.0, 1.0)).all():
        odd = as_float[~np.isin(as_float, (0.0, 1.0))][0]
        raise UsageError(f"labels: Expected one-hot or multi-hot rows of 0 and 1 in an array "
                         f"of shape {values.shape}. Received: the value {odd:g}")
    on = as_float.sum(axis=1)
    if (on == 1).all():
        return Labels(values, "onehot", "one-hot rows", values.shape[1], as_float.argmax(axis=1))
    return Labels(values, "multihot", "multi-hot rows", values.shape[1],
                  as_float.astype(np.int64))


def _indices(values: np.ndarray, column: np.ndarray) -> Labels:
    if (column < 0).any() or (column != np.round(column)).any():
        odd = column[(column < 0) | (column != np.round(column))][0]
        raise UsageError(f"labels: Expected class indices 0, 1, 2, ... (or float 0./1.) in an "
                         f"array of shape {values.shape}. Received: the value {odd:g}")
    indices = column.astype(np.int64)
    floats = np.issubdtype(values.dtype, np.floating)
    detail = "float 0./1." if floats and indices.max() <= 1 else "class indices"
    return Labels(values, "integer", detail, max(int(indices.max()) + 1, 2), indices)


@dataclasses.dataclass(frozen=True)
class Head:
    """A model's output, loss and metrics as compiled.

    Attributes:
        units: the output's last dimension.
        activation: 'none', 'sigmoid', 'softmax' (`vocab.ACTIVATIONS`) or another name.
        activation_fn: what the probe's Dense layer gets for it.
        loss: the loss as compiled (a string, a loss object or a function).
        loss_name: its name in `vocab.LOSSES`, or its own name when it is not one.
        from_logits: the loss's `from_logits` (False where it has none).
        metrics: the metrics as compiled, flattened (strings, objects or functions).
        notes: what could not be read as expected, in words.
        trains_below: whether layers below the output's own train with it (a frozen base
            and its features, as the grid trains its heads: False).
        keras_version: the Keras that compiled it (this process's); empty: the newest.
    """

    units: int
    activation: str
    activation_fn: Any
    loss: Any
    loss_name: str
    from_logits: bool
    metrics: tuple[Any, ...]
    notes: tuple[str, ...] = ()
    trains_below: bool = True
    keras_version: str = ""


def read_model(model: Any) -> Head:
    """The units, last activation, loss and metrics of a compiled single-output model.

    Raises:
        UsageError: Keras 2, a model that is not compiled, has several outputs or an
            output that is not (batch, units), or several losses.
    """
    if backends.current() == "tf_keras":
        raise UsageError("check: Expected a Keras 3 model. Received: Keras 2 "
                         "(TF_USE_LEGACY_KERAS=1); check reads Keras 3's compile")
    outputs = list(getattr(model, "outputs", None) or [])
    if len(outputs) != 1:
        raise UsageError(f"model: Expected a model with one output. Received: {len(outputs)} "
                         "outputs")
    shape = tuple(outputs[0].shape)
    if len(shape) != 2 or not shape[-1]:
        raise UsageError(f"model: Expected an output of shape (batch, units). Received: {shape}")
    config = keras_internals.compile_config(model)
    if not getattr(model, "compiled", False) or config is None:
        raise UsageError("model: Expected a compiled model (check reads its loss and metrics "
                         "from compile). Received: a model that was never compiled")
    loss = config.get("loss")
    if isinstance(loss, (dict, list, tuple)):
        raise UsageError(f"model: Expected one loss. Received: {type(loss).__name__} of losses")
    if loss is None:
        raise UsageError("model: Expected a loss in compile. Received: loss=None")
    notes = []
    activation, activation_fn, note = last_activation(outputs[0])
    notes += [note] if note else []
    metrics = tuple(_flatten(config.get("metrics"))) + tuple(
        _flatten(config.get("weighted_metrics")))
    return Head(int(shape[-1]), activation, activation_fn, loss, loss_name(loss),
                loss_from_logits(loss), metrics, tuple(notes), trains_below(model, outputs[0]),
                backends.keras().__version__)


def trains_below(model: Any, output: Any) -> bool:
    """Whether any trainable weight of the model lies below the layer that computes `output`
    (stepping back through layers without weights: Activation, Softmax, Dropout, ...)."""
    keras = backends.keras()
    layer = keras_internals.producing_layer(output)
    for _ in range(100):  # a bound, not a limit any real model reaches
        if isinstance(layer, keras.Model) and layer.layers:
            layer = layer.layers[-1]
            continue
        inner = getattr(layer, "input", None)
        below = None if isinstance(inner, (list, tuple)) else \
            keras_internals.producing_layer(inner)
        if layer.trainable_weights or below is None:
            break
        layer = below
    own = {id(w) for w in layer.trainable_weights}
    return any(id(w) not in own for w in model.trainable_weights)


def last_activation(output: Any) -> tuple[str, Any, str | None]:
    """The activation that produces `output`: a Dense's (or any layer's) activation, a
    trailing Activation / Softmax / Sigmoid layer, through pass-through layers.

    Returns:
        (name, what a Dense layer can be given for it, a note when it could not be read).
    """
    keras = backends.keras()
    layer = keras_internals.producing_layer(output)
    for _ in range(100):  # a bound, not a limit any real model reaches
        kind = type(layer).__name__
        if isinstance(layer, keras.Model) and layer.layers:
            # a nested model: its own last layer (its `output` is the outer graph's tensor)
            layer = layer.layers[-1]
            continue
        inner = getattr(layer, "input", None) if kind in PASS_THROUGH else None
        below = None if isinstance(inner, (list, tuple)) else \
            keras_internals.producing_layer(inner)
        if below is None:
            break
        layer = below
    if kind == "Softmax":
        return "softmax", "softmax", None
    function = getattr(layer, "activation", None)
    if function is None and not type(layer).__module__.startswith("keras."):
        return UNKNOWN, None, (f"the output comes from {kind}, a layer of your own, whose "
                               "activation check cannot read: the rules that depend on the "
                               "activation are not applied")
    if function is None:
        return "none", None, (f"the output comes from a {kind} layer, which has no activation: "
                              "read as linear")
    name = getattr(function, "__name__", str(function))
    name = "none" if name == "linear" else name
    return name, function, None


def trained(model: Any) -> bool | None:
    """Whether the model's optimizer has taken a step (None: no optimizer to ask)."""
    iterations = getattr(getattr(model, "optimizer", None), "iterations", None)
    if iterations is None:
        return None
    return int(backends.to_numpy(iterations)) > 0


def _flatten(metrics: Any) -> list[Any]:
    if metrics is None:
        return []
    if isinstance(metrics, dict):
        raise UsageError("model: Expected a list of metrics for one output. Received: a dict")
    if isinstance(metrics, (list, tuple)):
        return [m for item in metrics for m in _flatten(item)]
    return [metrics]


def loss_name(loss: Any) -> str:
    """The loss's name in `vocab.LOSSES` (by string, class or function name), else its own."""
    if isinstance(loss, str):
        raw = loss
    elif isinstance(loss, type) or callable(loss) and not hasattr(loss, "get_config"):
        raw = getattr(loss, "__name__", str(loss))
    else:
        raw = type(loss).__name__
    return vocab.LOSSES.canonical(raw) or raw


def loss_from_logits(loss: Any) -> bool:
    """The `from_logits` a loss object was built with; False for strings and functions."""
    get_config = getattr(loss, "get_config", None)
    if get_config is None or isinstance(loss, type):
        return False
    return bool(get_config().get("from_logits", False))


def metric_label(metric: Any) -> str:
    """How the report names a metric: the string as written, or the class or function name."""
    if isinstance(metric, str):
        return metric
    if hasattr(metric, "get_config") and not isinstance(metric, type):
        return type(metric).__name__
    return getattr(metric, "__name__", str(metric))


def metric_threshold(metric: Any) -> float | None:
    """The threshold of a metric object that has one (e.g. BinaryAccuracy), else None."""
    get_config = getattr(metric, "get_config", None)
    if get_config is None or isinstance(metric, type):
        return None
    value = get_config().get("threshold")
    return float(value) if isinstance(value, (int, float)) else None
