"""The grid's axes: one registry entry per label encoding, activation, metric, framework
(the losses are in `losses`).

Adding a value to an axis is adding its entry here (and its tests): the config
accepts it, the grid crosses it, training builds it, the tables label it.
Pure Python at import: the config loader and `--dry-run` read it without
TensorFlow (which takes seconds to import).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from runner.vocab.losses import LOSSES
from runner.vocab.registry import Registry


def _integer(labels: Any, num_classes: int, units: int) -> Any:
    import numpy as np

    # one unit: float 0./1., as BinaryCrossentropy expects; else class indices
    return labels.astype(np.float32) if units == 1 else labels.astype(np.int64)


def _onehot(labels: Any, num_classes: int, units: int) -> Any:
    import numpy as np

    return np.eye(num_classes, dtype=np.float32)[labels]


def _multihot(labels: Any, num_classes: int, units: int) -> Any:
    import numpy as np

    return labels.astype(np.float32)


@dataclasses.dataclass(frozen=True)
class Encoding:
    """How labels are fed to Keras.

    Attributes:
        multi_label: applies to multi-label data (0/1 rows) rather than class indices.
        encode: (labels, num_classes, units) -> the labels as Keras gets them.
    """

    name: str
    multi_label: bool
    encode: Callable[[Any, int, int], Any]
    description: str
    aliases: tuple[str, ...] = ()


KERAS_ACTIVATIONS = "https://keras.io/api/layers/activations/"


@dataclasses.dataclass(frozen=True)
class Activation:
    """The last Dense layer's activation.

    Attributes:
        keras: what `Dense(activation=...)` gets.
        bounds: the range of its outputs, (low, high), None where unbounded: whether a
            loss that takes logs of probabilities can read them (`check.rules`).
        docs: where Keras documents it.
    """

    name: str
    keras: str | None
    description: str
    bounds: tuple[float | None, float | None]
    docs: str
    aliases: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Metric:
    """A Keras metric of the grid, and what it should report.

    Attributes:
        keras_class: the Keras class it resolves to (or, for a metric the config names
            without an entry here, the name Keras resolves).
        arguments: constructor arguments; without any, the metric is passed to `compile`
            as its name, so that Keras resolves it (`accuracy`) its own way.
        reference: what its value should equal, computed from the head's raw outputs
            without Keras (`train.judge.metric_reference`): `accuracy` (the head's
            accuracy), `top_k` (the true class among the `k` highest outputs), or None:
            no reference, so no `misleading` verdict.
    """

    name: str
    keras_class: str
    description: str
    arguments: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    reference: str | None = "accuracy"
    alias: bool = True  # its Keras class name is an alias of it

    @property
    def aliases(self) -> tuple[str, ...]:
        return (self.keras_class,) if self.alias else ()

    def build(self, keras: Any) -> Any:
        """What `compile(metrics=[...])` gets: the name, or the metric object."""
        if not self.arguments:
            return self.name
        return getattr(keras.metrics, self.keras_class)(name=self.name, **self.arguments)


@dataclasses.dataclass(frozen=True)
class Framework:
    """Which Keras trains the heads, and what selects it before Keras is imported.

    Attributes:
        package: the module that must be importable; extra: the pip extra installing it.
        environment: variables set in a process before it imports Keras.
    """

    name: str
    package: str
    extra: str | None
    environment: Mapping[str, str]
    description: str
    aliases: tuple[str, ...] = ()


ENCODINGS = Registry("encoding", [
    Encoding("integer", False, _integer, "class indices; float 0./1. for a 1-unit head"),
    Encoding("onehot", False, _onehot, "one float 0./1. column per class"),
    Encoding("multihot", True, _multihot, "one float 0./1. column per label, any number on"),
])
ACTIVATIONS = Registry("activation", [
    Activation("none", None, "no activation: the head outputs logits (`activation=None` or "
               "`'linear'`, as written)", (None, None), f"{KERAS_ACTIVATIONS}#linear-function",
               aliases=("linear",)),
    Activation("sigmoid", "sigmoid", "each output squashed to (0, 1) on its own", (0.0, 1.0),
               f"{KERAS_ACTIVATIONS}#sigmoid-function"),
    Activation("softmax", "softmax", "outputs squashed to sum to 1", (0.0, 1.0),
               f"{KERAS_ACTIVATIONS}#softmax-function"),
    # What users write beyond the tutorial (issue 27's corpus of real set-ups)
    Activation("relu", "relu", "max(x, 0): outputs in [0, inf), often written by habit on the "
               "last layer", (0.0, None), f"{KERAS_ACTIVATIONS}#relu-function"),
    Activation("tanh", "tanh", "outputs squashed to (-1, 1)", (-1.0, 1.0),
               f"{KERAS_ACTIVATIONS}#tanh-function"),
])
METRICS = Registry("metric", [
    Metric("accuracy", "Accuracy", "the string Keras resolves by the shapes it sees"),
    Metric("binary_accuracy", "BinaryAccuracy", "per output, thresholded at 0.5"),
    Metric("categorical_accuracy", "CategoricalAccuracy", "argmax against one-hot argmax"),
    Metric("sparse_categorical_accuracy", "SparseCategoricalAccuracy",
           "argmax against class indices"),
    Metric("binary_accuracy_logits", "BinaryAccuracy", "`BinaryAccuracy(threshold=0.0)`: "
           "per output, thresholded at 0, the threshold of a logit (a head without "
           "activation)", arguments={"threshold": 0.0}, alias=False),
    Metric("top_k_categorical_accuracy", "TopKCategoricalAccuracy", "the one-hot label's "
           "class among the 5 highest outputs", reference="top_k"),
    Metric("sparse_top_k_categorical_accuracy", "SparseTopKCategoricalAccuracy",
           "the class index among the 5 highest outputs", reference="top_k"),
])
# What a grid crosses when it does not list the axis: the tutorial's activations, losses
# and metrics.
TUTORIAL_ACTIVATIONS = ACTIVATIONS.names[:3]
TUTORIAL_METRICS = METRICS.names[:4]
TOP_K = 5  # Keras's default k of its top-k metrics, which the grid passes by name
_KERAS3 = {"TF_USE_LEGACY_KERAS": "0"}
FRAMEWORKS = Registry("framework", [
    Framework("tensorflow", "tensorflow", None, {"KERAS_BACKEND": "tensorflow", **_KERAS3},
              "Keras 3 on TensorFlow: the tutorial's, and the one that computes features"),
    Framework("jax", "jax", "jax", {"KERAS_BACKEND": "jax", **_KERAS3}, "Keras 3 on JAX"),
    Framework("torch", "torch", "torch", {"KERAS_BACKEND": "torch", **_KERAS3},
              "Keras 3 on PyTorch"),
    Framework("tf_keras", "tf_keras", "legacy",
              {"KERAS_BACKEND": "tensorflow", "TF_USE_LEGACY_KERAS": "1"},
              "Keras 2 (the tf-keras package)"),
])
DEFAULT_FRAMEWORK = FRAMEWORKS.names[0]

# The grid's axes, in the order cells are named and tables are laid out.
AXES = ("encoding", "activation", "loss", "from_logits", "metric")
SOURCES = ("tfds", "embedded", "auto")
# A dataset that is not catalogued comes from one of these (the data's own files say its
# classes): any TFDS image classification dataset, a folder of images, an .npz file.
OPEN_SOURCES = ("tfds", "folder", "npz")
WEIGHTS = ("imagenet", "random", "auto")
PRECISIONS = ("float32", "bfloat16")  # the backbone's arithmetic; float32 is the tutorial's


def metric(name: str) -> Metric:
    """The metric entry of a name; a Keras metric the registry does not list (the config
    accepts any that Keras resolves) gets one without a reference."""
    entry = METRICS.get(name)
    if entry is not None:
        return entry
    return Metric(name, name, "a Keras metric by name: no reference", reference=None,
                  alias=False)


def task(num_classes: int, encoding: str) -> str:
    """'multilabel' (multi-hot labels, whatever their number), 'binary' or 'multiclass'."""
    if ENCODINGS[encoding].multi_label:
        return "multilabel"
    return "binary" if num_classes == 2 else "multiclass"


def recommended(num_classes: int, encoding: str, activation: str, loss: str,
                from_logits: bool, metric: str) -> bool:
    """Whether the tutorial recommends this combination for this task and encoding."""
    if loss not in LOSSES:
        return False
    advice = LOSSES[loss].recommended.get((task(num_classes, encoding), encoding), ())
    return (activation, bool(from_logits), metric) in advice
