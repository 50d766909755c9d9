"""The vocabulary every other module shares: axis values, their aliases, known datasets.

Pure Python on purpose: the config loader and `--dry-run` use it without
importing TensorFlow (which takes seconds).
"""

from __future__ import annotations

import dataclasses

ENCODINGS = ("integer", "onehot")
ACTIVATIONS = ("none", "sigmoid", "softmax")
LOSSES = ("binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy")
METRICS = ("accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy")
SOURCES = ("embedded",)
BACKBONES = ("vgg16",)
WEIGHTS = ("imagenet", "random", "auto")

# Keras class names are accepted too, because that is how the tutorial writes them.
LOSS_ALIASES = {
    "BinaryCrossentropy": "binary_crossentropy",
    "CategoricalCrossentropy": "categorical_crossentropy",
    "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
}
METRIC_ALIASES = {
    "Accuracy": "accuracy",
    "BinaryAccuracy": "binary_accuracy",
    "CategoricalAccuracy": "categorical_accuracy",
    "SparseCategoricalAccuracy": "sparse_categorical_accuracy",
}
ACTIVATION_ALIASES = {"linear": "none"}

# The grid's axes, in the order cells are named and tables are laid out.
AXES = ("encoding", "activation", "loss", "from_logits", "metric")

# Short names used in table headers.
LOSS_SHORT = {
    "binary_crossentropy": "BCE",
    "categorical_crossentropy": "CCE",
    "sparse_categorical_crossentropy": "SCCE",
}


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """What the runner knows about a dataset before loading it.

    Attributes:
        name: the key users write in `datasets[].name`.
        num_classes: number of classes of the task (after any class selection).
        sources: where its images can come from.
        description: one line for README and `--dry-run`.
    """

    name: str
    num_classes: int
    sources: tuple[str, ...]
    description: str


DATASETS = {
    "mnist": DatasetSpec(
        "mnist", 10, ("embedded",),
        "MNIST digits, 10 classes (Part B of the tutorial); embedded 5k subset"),
    "mnist_binary": DatasetSpec(
        "mnist_binary", 2, ("embedded",),
        "two MNIST digits as a binary task, stand-in for horses_or_humans (Part A)"),
}
