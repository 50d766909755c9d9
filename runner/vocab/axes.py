"""The grid's axes: one registry entry per label encoding, activation, metric and framework
(the losses are in `losses`). Pure Python at import: the config loader and `--dry-run`
read it without TensorFlow (which takes seconds to import)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from runner.vocab.registry import Registry


def _onehot(labels: Any, num_classes: int, units: int) -> Any:
    import numpy as np

    return np.eye(num_classes, dtype=np.float32)[labels]


@dataclasses.dataclass(frozen=True)
class Encoding:
    """How labels are fed to Keras."""

    name: str
    multi_label: bool  # for multi-label data (0/1 rows) rather than class indices
    encode: Callable[[Any, int, int], Any]  # (labels, num_classes, units) -> what Keras gets
    description: str
    aliases: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Activation:
    """The last Dense layer's activation."""

    name: str
    keras: str | None  # what `Dense(activation=...)` gets
    description: str
    # the range of its outputs, None where unbounded: whether a loss that takes logs of
    # probabilities can read them (`check.rules`)
    bounds: tuple[float | None, float | None]
    aliases: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Metric:
    """A Keras metric of the grid, and what it should report."""

    name: str
    # the Keras class (for a metric the config names without an entry: the name Keras resolves)
    keras_class: str
    description: str
    # without any, the metric goes to `compile` as its name, for Keras to resolve its own way
    arguments: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    # what its value should equal, computed from the head's raw outputs without Keras
    # (`train.judge.metric_reference`): `accuracy`, `top_k` (the true class among the `k`
    # highest outputs), or None: no reference, so no `misleading` verdict
    reference: str | None = "accuracy"
    alias: bool = True  # its Keras class name is an alias of it

    @property
    def aliases(self) -> tuple[str, ...]:
        return (self.keras_class,) if self.alias else ()

    def build(self, keras: Any) -> Any:
        """What `compile(metrics=[...])` gets: the name, or the metric object."""
        return getattr(keras.metrics, self.keras_class)(name=self.name, **self.arguments) \
            if self.arguments else self.name


@dataclasses.dataclass(frozen=True)
class Framework:
    """Which Keras trains the heads, and what selects it before Keras is imported."""

    name: str
    extra: str | None  # the pip extra installing its package (named as the framework)
    description: str
    aliases: tuple[str, ...] = ()

    @property
    def environment(self) -> dict[str, str]:
        """Variables set in a process before it imports Keras."""
        keras2 = self.name == "tf_keras"
        return {"KERAS_BACKEND": "tensorflow" if keras2 else self.name,
                "TF_USE_LEGACY_KERAS": str(int(keras2))}


ENCODINGS = Registry("encoding", [
    # one unit: float 0./1., as BinaryCrossentropy expects; else class indices
    Encoding("integer", False, lambda labels, num_classes, units: labels.astype(
        "float32" if units == 1 else "int64"), "class indices; float 0./1. for a 1-unit head"),
    Encoding("onehot", False, _onehot, "one float 0./1. column per class"),
    Encoding("multihot", True, lambda labels, num_classes, units: labels.astype("float32"),
             "one float 0./1. column per label, any number on"),
])
ACTIVATIONS = Registry("activation", [
    Activation("none", None, "no activation: the head outputs logits (`activation=None` or "
               "`'linear'`, as written)", (None, None), aliases=("linear",)),
    Activation("sigmoid", "sigmoid", "each output squashed to (0, 1) on its own", (0.0, 1.0)),
    Activation("softmax", "softmax", "outputs squashed to sum to 1", (0.0, 1.0)),
    # What users write beyond the tutorial (issue 27's corpus of real set-ups)
    Activation("relu", "relu", "max(x, 0): outputs in [0, inf), often written by habit on the "
               "last layer", (0.0, None)),
    Activation("tanh", "tanh", "outputs squashed to (-1, 1)", (-1.0, 1.0)),
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
# What a grid crosses when it does not list the axis: the tutorial's activations and metrics.
TUTORIAL_ACTIVATIONS = ACTIVATIONS.names[:3]
TUTORIAL_METRICS = METRICS.names[:4]
TOP_K = 5  # Keras's default k of its top-k metrics, which the grid passes by name
FRAMEWORKS = Registry("framework", [
    Framework("tensorflow", None,
              "Keras 3 on TensorFlow: the tutorial's, and the one that computes features"),
    Framework("jax", "jax", "Keras 3 on JAX"),
    Framework("torch", "torch", "Keras 3 on PyTorch"),
    Framework("tf_keras", "legacy", "Keras 2 (the tf-keras package)"),
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
    return METRICS.get(name) or Metric(name, name, "a Keras metric by name: no reference",
                                       reference=None, alias=False)
