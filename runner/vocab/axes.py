"""The grid's axes: one registry entry per label encoding, activation, loss, metric, framework.

Adding a value to an axis is adding its entry here (and its tests): the config
accepts it, the grid crosses it, training builds it, the tables label it.
Pure Python at import: the config loader and `--dry-run` read it without
TensorFlow (which takes seconds to import).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from runner.vocab.registry import Registry

# A task as the tutorial's recommendations see it: ('binary' | 'multiclass' | 'multilabel',
# encoding) -> the recommended (activation, from_logits, metric) of a loss.
Recommendations = Mapping[tuple[str, str], tuple[tuple[str, bool, str], ...]]


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


@dataclasses.dataclass(frozen=True)
class Activation:
    """The last Dense layer's activation; `keras` is what `Dense(activation=...)` gets."""

    name: str
    keras: str | None
    description: str
    aliases: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Loss:
    """A Keras loss, built as `keras.losses.<keras_class>(from_logits=...)`.

    Attributes:
        short: its label in table headers (`BCE`).
        recommended: what the tutorial recommends with it, per task and encoding.
    """

    name: str
    keras_class: str
    short: str
    description: str
    recommended: Recommendations = dataclasses.field(default_factory=dict)

    @property
    def aliases(self) -> tuple[str, ...]:
        return (self.keras_class,)  # the tutorial writes the class names

    def build(self, keras: Any, from_logits: bool) -> Any:
        """The loss object, from the Keras module of this process (Keras 3 or 2)."""
        return getattr(keras.losses, self.keras_class)(from_logits=from_logits)


@dataclasses.dataclass(frozen=True)
class Metric:
    """A Keras accuracy metric, passed to `compile` as its name (so Keras resolves it)."""

    name: str
    keras_class: str
    description: str

    @property
    def aliases(self) -> tuple[str, ...]:
        return (self.keras_class,)


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
    Activation("none", None, "no activation: the head outputs logits", aliases=("linear",)),
    Activation("sigmoid", "sigmoid", "each output squashed to (0, 1) on its own"),
    Activation("softmax", "softmax", "outputs squashed to sum to 1"),
])
_MULTILABEL_BCE = (("sigmoid", False, "binary_accuracy"), ("none", True, "binary_accuracy"))
LOSSES = Registry("loss", [
    Loss("binary_crossentropy", "BinaryCrossentropy", "BCE",
         "binary cross-entropy, each output on its own", recommended={
             ("binary", "integer"): (("sigmoid", False, "binary_accuracy"),
                                     ("none", True, "binary_accuracy")),
             ("binary", "onehot"): (("none", True, "categorical_accuracy"),
                                    ("sigmoid", False, "categorical_accuracy")),
             # independent labels (seeds 000, 004), scored per label as 0./1. labels are
             ("multilabel", "multihot"): _MULTILABEL_BCE}),
    Loss("categorical_crossentropy", "CategoricalCrossentropy", "CCE",
         "cross-entropy against one-hot (or soft) targets", recommended={
             ("multiclass", "onehot"): (("none", True, "categorical_accuracy"),
                                        ("sigmoid", False, "categorical_accuracy"),
                                        ("softmax", False, "categorical_accuracy"))}),
    Loss("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy", "SCCE",
         "cross-entropy against class indices", recommended={
             ("multiclass", "integer"): (("sigmoid", False, "sparse_categorical_accuracy"),
                                         ("softmax", False, "sparse_categorical_accuracy"),
                                         ("none", True, "sparse_categorical_accuracy"))}),
])
METRICS = Registry("metric", [
    Metric("accuracy", "Accuracy", "the string Keras resolves by the shapes it sees"),
    Metric("binary_accuracy", "BinaryAccuracy", "per output, thresholded at 0.5"),
    Metric("categorical_accuracy", "CategoricalAccuracy", "argmax against one-hot argmax"),
    Metric("sparse_categorical_accuracy", "SparseCategoricalAccuracy",
           "argmax against class indices"),
])
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
WEIGHTS = ("imagenet", "random", "auto")
BACKBONES = ("vgg16",)


def short_loss(name: str) -> str:
    """A loss's label in table headers (`BCE`); an unknown name as it is."""
    return LOSSES[name].short if name in LOSSES else name


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
