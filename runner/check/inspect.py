"""What `check` reads: the label encoding in the labels' values (`vocab.ENCODINGS`), and the
units, last activation, loss and metrics of a compiled Keras 3 model; a user's files as
untrusted input: a .keras model in safe mode, arrays without pickle."""

from __future__ import annotations

import dataclasses
import pathlib
import warnings
import zipfile
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
    """The labels as check reads them."""

    values: np.ndarray  # as given: Keras resolves metrics by their shape
    encoding: str
    detail: str  # what the values look like, e.g. 'float 0./1.' or 'class indices'
    classes: int
    judged: np.ndarray  # as `train.judge` reads them: class indices (N,), or 0/1 rows

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
    """The encoding, classes and judged form of labels; a `UsageError` where none fits."""
    values = np.asarray(labels)
    if not (np.issubdtype(values.dtype, np.number) or values.dtype == bool):
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
    if values.ndim == 1 or values.shape[1] == 1:
        column = as_float.reshape(-1)
        odd = column[(column < 0) | (column != np.round(column))]
        if len(odd):
            raise UsageError(f"labels: Expected class indices 0, 1, 2, ... (or float 0./1.) in "
                             f"an array of shape {values.shape}. Received: the value {odd[0]:g}")
        indices = column.astype(np.int64)
        floats = np.issubdtype(values.dtype, np.floating)
        detail = "float 0./1." if floats and indices.max() <= 1 else "class indices"
        return Labels(values, "integer", detail, max(int(indices.max()) + 1, 2), indices)
    odd = as_float[~np.isin(as_float, (0.0, 1.0))]
    if len(odd):
        raise UsageError(f"labels: Expected one-hot or multi-hot rows of 0 and 1 in an array "
                         f"of shape {values.shape}. Received: the value {odd[0]:g}")
    if (as_float.sum(axis=1) == 1).all():
        return Labels(values, "onehot", "one-hot rows", values.shape[1], as_float.argmax(axis=1))
    return Labels(values, "multihot", "multi-hot rows", values.shape[1],
                  as_float.astype(np.int64))


@dataclasses.dataclass(frozen=True)
class Head:
    """A model's output, loss and metrics as compiled."""

    units: int
    activation: str  # 'none', 'sigmoid', 'softmax' (`vocab.ACTIVATIONS`) or another name
    activation_fn: Any  # what the probe's Dense layer gets for it
    loss: Any  # as compiled: a string, a loss object or a function
    loss_name: str  # its name in `vocab.LOSSES`, or its own name when it is not one
    from_logits: bool  # the loss's (False where it has none)
    metrics: tuple[Any, ...]  # as compiled, flattened
    notes: tuple[str, ...] = ()  # what could not be read as expected, in words
    # whether layers below the output's own train with it (the grid's heads: frozen features)
    trains_below: bool = True
    keras_version: str = ""  # the Keras that compiled it; empty: the newest

    @property
    def compares(self) -> str | None:
        """What the loss compares (`vocab.COMPARES`); None for a loss the grid does not know."""
        return vocab.LOSSES[self.loss_name].compares if self.loss_name in vocab.LOSSES else None

    @property
    def threshold(self) -> float:
        """The threshold on one output as the loss reads it: 0 on a logit, 0.5 on a probability."""
        return judge.threshold(self.activation, self.loss_name, self.from_logits)


def read_model(model: Any) -> Head:
    """The head of a compiled single-output Keras 3 model; a `UsageError` for any other."""
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
    activation, activation_fn, note = _last_activation(outputs[0])
    metrics = tuple(_flatten([config.get("metrics"), config.get("weighted_metrics")]))
    name = metric_label(loss)  # as a loss's name in `vocab.LOSSES`, else its own
    return Head(int(shape[-1]), activation, activation_fn, loss,
                vocab.LOSSES.canonical(name) or name,
                bool(_config(loss).get("from_logits", False)), metrics,
                (note,) if note else (), _trains_below(model, outputs[0]),
                backends.keras().__version__)


def _layer(output: Any, steps_below) -> Any:
    """The layer that computes `output`, inside nested models and below `steps_below`'s."""
    keras = backends.keras()
    layer = keras_internals.producing_layer(output)
    for _ in range(100):  # a bound, not a limit any real model reaches
        if isinstance(layer, keras.Model) and layer.layers:
            layer = layer.layers[-1]  # its `output` is the outer graph's tensor
            continue
        inner = getattr(layer, "input", None) if steps_below(layer) else None
        below = None if isinstance(inner, (list, tuple)) else \
            keras_internals.producing_layer(inner)
        if below is None:
            break
        layer = below
    return layer


def _trains_below(model: Any, output: Any) -> bool:
    """Whether a trainable weight lies below the layer with weights that computes `output`."""
    own = {id(w) for w in _layer(output, lambda layer: not layer.trainable_weights)
           .trainable_weights}
    return any(id(w) not in own for w in model.trainable_weights)


def _last_activation(output: Any) -> tuple[str, Any, str | None]:
    """The activation that produces `output` (a layer's, or a trailing Activation / Softmax
    layer's): its name, what a Dense can be given for it, a note where it cannot be read."""
    layer = _layer(output, lambda layer: type(layer).__name__ in PASS_THROUGH)
    kind = type(layer).__name__
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
    return "none" if name == "linear" else name, function, None


def trained(model: Any) -> bool | None:
    """Whether the model's optimizer has taken a step (None: no optimizer to ask)."""
    iterations = getattr(getattr(model, "optimizer", None), "iterations", None)
    return None if iterations is None else int(backends.to_numpy(iterations)) > 0


def _flatten(metrics: Any) -> list[Any]:
    if isinstance(metrics, dict):
        raise UsageError("model: Expected a list of metrics for one output. Received: a dict")
    if isinstance(metrics, (list, tuple)):
        return [m for item in metrics for m in _flatten(item)]
    return [] if metrics is None else [metrics]


def _config(obj: Any) -> dict[str, Any]:
    """A loss or metric object's config ({} for strings, classes and functions)."""
    get_config = getattr(obj, "get_config", None)
    return {} if get_config is None or isinstance(obj, type) else get_config()


def metric_label(metric: Any) -> str:
    """How the report names a metric (or a loss): the string as written, or the class or
    function name."""
    if isinstance(metric, str):
        return metric
    if hasattr(metric, "get_config") and not isinstance(metric, type):
        return type(metric).__name__
    return getattr(metric, "__name__", str(metric))


def metric_threshold(metric: Any) -> float | None:
    """The threshold of a metric object that has one (e.g. BinaryAccuracy), else None."""
    value = _config(metric).get("threshold")
    return float(value) if isinstance(value, (int, float)) else None


def load_model_file(path: str | pathlib.Path):
    """A Keras 3 model from a .keras file, loaded with `safe_mode=True`.

    Only the .keras (zip) format is read: safe mode is what refuses code hidden in
    a file (a Lambda layer's Python bytecode), and it covers that format.

    Raises:
        UsageError: no such file, not a .keras zip, code that safe mode refuses to run,
            or anything else Keras cannot load.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise UsageError(f"MODEL: Expected a .keras file. Received: {path} (no such file)")
    if path.suffix != ".keras" or not zipfile.is_zipfile(path):
        raise UsageError(f"MODEL: Expected a Keras 3 .keras file (a zip; the format that safe "
                         f"mode covers). Received: {path}, which is not one")
    keras = backends.keras()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. optimizer variables it does not restore
        try:
            return keras.saving.load_model(path, safe_mode=True)
        except Exception as e:
            message = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            if "safe_mode" in message or "arbitrary code" in message:
                raise UsageError(f"MODEL: Expected a model that loads without running code from "
                                 f"the file. Received: {path}, which needs code execution to "
                                 f"load; refused in safe mode (Keras: {message})") from None
            raise UsageError(f"MODEL: Expected a .keras model Keras can load. Received: {path} "
                             f"({type(e).__name__}: {message})") from None


def load_array(path: str | pathlib.Path, flag: str) -> np.ndarray:
    """A NumPy array from a .npy file, read with `allow_pickle=False`.

    Raises:
        UsageError: no such file, not a .npy array, or an array of Python objects.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise UsageError(f"{flag}: Expected a .npy file. Received: {path} (no such file)")
    try:
        loaded = np.load(path, allow_pickle=False)
    except ValueError as e:
        raise UsageError(f"{flag}: Expected a .npy array of numbers. Received: {path} "
                         f"({str(e).splitlines()[0]})") from None
    except Exception as e:
        raise UsageError(f"{flag}: Expected a .npy array. Received: {path} "
                         f"({type(e).__name__}: {e})") from None
    if not isinstance(loaded, np.ndarray):
        loaded.close()
        raise UsageError(f"{flag}: Expected one .npy array. Received: {path}, an .npz archive")
    return loaded
