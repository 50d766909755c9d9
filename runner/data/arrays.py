"""A configured dataset as raw arrays, loaded from the source `sources.resolve_source` chose.

A dataset is loaded as raw uint8 images and integer labels (`DatasetArrays`): class
indices for single-label data, 0/1 multi-hot rows for multi-label data. What to
load comes from the dataset's catalogue entry (`vocab.DATASETS`): from the
embedded MNIST subset, the digits of the entry that serves it (its `stand_in`),
composed into canvases when that entry is multi-label; from TFDS, its
`tfds_name` and splits. A dataset of an open source (TFDS, folder, npz) is loaded
by `open_sources` from what its config's facts say.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from runner import vocab
from runner.config import BackboneConfig, DatasetConfig
from runner.data import multilabel, open_sources
from runner.data.embedded import (
    EMBEDDED_TEST_PER_CLASS,
    embedded_mnist,
    interleaved_split,
    select_digits,
)
from runner.data.pipeline import Progress
from runner.data.sources import SourceDecision

TFDS_LABELS = "labels"  # VOC's sorted set of the object classes in an image, difficult too


@dataclasses.dataclass(frozen=True)
class DatasetArrays:
    """Raw images and integer labels of one dataset, both splits.

    Attributes:
        train_images, test_images: uint8 arrays, (N, H, W) grayscale or (N, H, W, 3) colour.
        train_labels, test_labels: int64 class indices in [0, num_classes) (N,), or
            for multi-label data 0/1 multi-hot rows (N, num_classes).
        source: 'tfds', 'embedded', 'folder' or 'npz', as recorded in results
            (`data_source`).
        detail: which data exactly, and why (`data_detail`).
        class_names: one name per class index.
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str
    detail: str
    class_names: tuple[str, ...]

    @property
    def n_train(self) -> int:
        return len(self.train_labels)

    @property
    def n_test(self) -> int:
        return len(self.test_labels)


def _load_embedded(dataset: DatasetConfig, decision: SourceDecision) -> DatasetArrays:
    served = vocab.DATASETS[dataset.spec.stand_in]  # the embedded dataset that serves it
    digits = dataset.classes or served.default_classes or tuple(range(10))
    images, labels = select_digits(*embedded_mnist(), digits)
    splits = [(images[ix], labels[ix]) for ix in interleaved_split(labels,
                                                                  EMBEDDED_TEST_PER_CLASS)]
    detail = decision.detail
    if served.multi_label:  # canvases of each split's own digits: no leak
        splits = [multilabel.compose(x, y, len(digits), split_seed=k)
                  for k, (x, y) in enumerate(splits)]
        detail += ", 1 or 2 digits per canvas"
    (train_images, train_labels), (test_images, test_labels) = splits
    if dataset.classes or served.default_classes:
        detail += f", digits {' vs '.join(map(str, digits))}"
    train, test = slice(dataset.max_train_samples), slice(dataset.max_test_samples)
    return DatasetArrays(
        train_images=train_images[train], train_labels=train_labels[train],
        test_images=test_images[test], test_labels=test_labels[test],
        source="embedded", detail=_with_note(detail, decision),
        class_names=tuple(str(c) for c in digits))


def _with_note(detail: str, decision: SourceDecision) -> str:
    return f"{detail} ({decision.note})" if decision.note else detail


def _load_tfds(dataset: DatasetConfig, decision: SourceDecision, image_side: int,
               progress: Progress | None) -> DatasetArrays:
    spec, digits = dataset.spec, dataset.classes
    label_key = TFDS_LABELS if spec.multi_label else "label"
    splits = []
    for split, limit in zip(dataset.splits, (dataset.max_train_samples,
                                             dataset.max_test_samples), strict=True):
        images, labels, info = open_sources.read_tfds(
            spec.tfds_name, split, dataset.data_dir, None if digits else limit, image_side,
            label_key=label_key, num_classes=spec.num_classes, progress=progress)
        if digits:  # MNIST digits: select, then cap
            images, labels = (a[:limit] for a in select_digits(images, labels, digits))
        splits.append((images, labels))
    feature = info.features[label_key]
    names = tuple(str(d) for d in digits) if digits else tuple(
        (feature.feature if spec.multi_label else feature).names)
    detail = decision.detail + (f", digits {' vs '.join(map(str, digits))}" if digits else "")
    (train_images, train_labels), (test_images, test_labels) = splits
    return DatasetArrays(train_images=train_images, train_labels=train_labels,
                         test_images=test_images, test_labels=test_labels, source="tfds",
                         detail=_with_note(detail, decision), class_names=names)


def load_dataset(dataset: DatasetConfig, decision: SourceDecision,
                 image_side: int = BackboneConfig.input_size,
                 progress: Progress | None = None) -> DatasetArrays:
    """Load a configured dataset from the source `sources.resolve_source` chose.

    Embedded data is split as described in `interleaved_split` (mnist_multilabel:
    then composed as in `multilabel.compose`); TFDS data uses the configured splits
    in TFDS order, capped at `max_*_samples`; a dataset of an open source is loaded
    as `open_sources` describes.

    Args:
        dataset: the dataset's config.
        decision: where its images come from.
        image_side: the backbone's input size; multi-label TFDS images, which differ in
            size, are resized to it as they load.
        progress: receives (what, done, total) while TFDS splits are read.
    """
    if dataset.facts is not None:
        return _load_open(dataset, decision, image_side)
    if decision.source == "tfds":
        return _load_tfds(dataset, decision, image_side, progress)
    assert decision.source == "embedded", decision
    return _load_embedded(dataset, decision)


def _load_open(dataset: DatasetConfig, decision: SourceDecision,
               image_side: int) -> DatasetArrays:
    load = {"tfds": lambda: open_sources.load_tfds(dataset, image_side),
            "folder": lambda: open_sources.load_folder(dataset, image_side),
            "npz": lambda: open_sources.load_npz(dataset)}[decision.source]
    (train_images, train_labels, test_images, test_labels), how = load()
    return DatasetArrays(train_images=train_images, train_labels=train_labels,
                         test_images=test_images, test_labels=test_labels,
                         source=decision.source,
                         detail=_with_note(f"{decision.detail}, {how}", decision),
                         class_names=dataset.facts.class_names)
