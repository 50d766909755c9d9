"""Datasets, label encodings and the tf.data pipelines of the tutorial.

A dataset is loaded as raw uint8 images and integer labels (`DatasetArrays`): class
indices for single-label data, 0/1 multi-hot rows for multi-label data;
preprocessing (resize, /255, grayscale -> RGB) happens in the tf.data pipeline that
feeds the frozen backbone, exactly as the tutorial maps it. `load_dataset` reads
embedded arrays or TFDS, as `availability.resolve_source` decided.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.resources

import numpy as np

from runner import multilabel
from runner.availability import SourceDecision
from runner.catalog import ENCODINGS
from runner.config import BackboneConfig, DatasetConfig

EMBEDDED_FILE = "mnist_5k.npz"
EMBEDDED_TEST_PER_CLASS = 100  # 1,000 test images out of the 5,000
BINARY_DEFAULT_CLASSES = (4, 9)  # the two digits most often confused: a task worth learning
SPLIT_SEED = 0  # fixes which embedded images are test images, independent of any run seed


@dataclasses.dataclass(frozen=True)
class DatasetArrays:
    """Raw images and integer labels of one dataset, both splits.

    Attributes:
        train_images, test_images: uint8 arrays, (N, H, W) grayscale or (N, H, W, 3) colour.
        train_labels, test_labels: int64 class indices in [0, num_classes) (N,), or
            for multi-label data 0/1 multi-hot rows (N, num_classes).
        source: 'tfds' or 'embedded', as recorded in results (`data_source`).
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


@functools.lru_cache(maxsize=1)
def embedded_digest() -> str:
    """SHA-256 of the embedded data file (part of the feature-cache key)."""
    resource = importlib.resources.files("runner") / "embedded" / EMBEDDED_FILE
    return hashlib.sha256(resource.read_bytes()).hexdigest()


@functools.lru_cache(maxsize=1)
def embedded_mnist() -> tuple[np.ndarray, np.ndarray]:
    """The embedded 5,000-image MNIST subset (500 per class): images (N, 28, 28), labels (N,)."""
    resource = importlib.resources.files("runner") / "embedded" / EMBEDDED_FILE
    with resource.open("rb") as f, np.load(f) as npz:
        return npz["images"], npz["labels"].astype(np.int64)


def interleaved_split(labels: np.ndarray, test_per_class: int,
                      seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Stratified train/test indices, ordered round-robin over classes.

    Each class's indices are shuffled with `seed`; the first `test_per_class`
    go to test. Both splits are then interleaved class by class, so any prefix
    (what `max_*_samples` keeps) is as balanced as it can be.

    Returns:
        (train_indices, test_indices)
    """
    rng = np.random.default_rng(seed)
    per_class = [rng.permutation(np.flatnonzero(labels == c)) for c in np.unique(labels)]
    if min(len(ix) for ix in per_class) <= test_per_class:
        raise ValueError(f"Expected more than {test_per_class} images per class. "
                         f"Received: {min(len(ix) for ix in per_class)}")

    def round_robin(chunks: list[np.ndarray]) -> np.ndarray:
        order = [(pos, k) for k, chunk in enumerate(chunks) for pos in range(len(chunk))]
        order.sort()
        return np.array([chunks[k][pos] for pos, k in order], dtype=np.int64)

    test = round_robin([ix[:test_per_class] for ix in per_class])
    train = round_robin([ix[test_per_class:] for ix in per_class])
    return train, test


def _select_digits(images: np.ndarray, labels: np.ndarray, digits: tuple[int, ...],
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Keep the images of `digits`; class index i is `digits[i]`."""
    keep = np.isin(labels, digits)
    lookup = np.full(10, -1, dtype=np.int64)
    lookup[list(digits)] = np.arange(len(digits))
    return images[keep], lookup[labels[keep]]


def _digits(dataset: DatasetConfig) -> tuple[int, ...]:
    if dataset.classes:
        return dataset.classes
    return BINARY_DEFAULT_CLASSES if dataset.spec.stand_in == "mnist_binary" else tuple(range(10))


def _load_embedded(dataset: DatasetConfig, decision: SourceDecision) -> DatasetArrays:
    digits = _digits(dataset)
    images, labels = _select_digits(*embedded_mnist(), digits)
    splits = [(images[ix], labels[ix]) for ix in interleaved_split(labels,
                                                                  EMBEDDED_TEST_PER_CLASS)]
    detail = decision.detail
    if dataset.spec.multi_label:  # canvases of each split's own digits: no leak
        splits = [multilabel.compose(x, y, len(digits), split_seed=k)
                  for k, (x, y) in enumerate(splits)]
        detail += ", 1 or 2 digits per canvas"
    (train_images, train_labels), (test_images, test_labels) = splits
    if dataset.classes or dataset.spec.stand_in == "mnist_binary":
        detail += f", digits {' vs '.join(map(str, digits))}"
    train, test = slice(dataset.max_train_samples), slice(dataset.max_test_samples)
    return DatasetArrays(
        train_images=train_images[train], train_labels=train_labels[train],
        test_images=test_images[test], test_labels=test_labels[test],
        source="embedded", detail=_with_note(detail, decision),
        class_names=tuple(str(c) for c in digits))


def _tfds_split(dataset: DatasetConfig, split: str, limit: int | None,
                ) -> tuple[np.ndarray, np.ndarray, object]:
    import tensorflow_datasets as tfds

    ds, info = tfds.load(dataset.spec.tfds_name, split=split, as_supervised=True,
                         with_info=True, data_dir=dataset.data_dir, shuffle_files=False)
    if limit is not None and not dataset.classes:
        ds = ds.take(limit)
    pairs = list(tfds.as_numpy(ds))
    images = np.stack([image for image, _ in pairs])
    labels = np.array([label for _, label in pairs], dtype=np.int64)
    return images, labels, info


def _with_note(detail: str, decision: SourceDecision) -> str:
    return f"{detail} ({decision.note})" if decision.note else detail


def _load_tfds(dataset: DatasetConfig, decision: SourceDecision,
               image_side: int) -> DatasetArrays:
    train_split, test_split = dataset.splits
    if dataset.spec.multi_label:
        (train_images, train_labels, names), (test_images, test_labels, _) = (
            multilabel.load_tfds(dataset.spec.tfds_name, split, dataset.data_dir, limit,
                                 image_side) for split, limit in
            ((train_split, dataset.max_train_samples), (test_split, dataset.max_test_samples)))
        return DatasetArrays(train_images=train_images, train_labels=train_labels,
                             test_images=test_images, test_labels=test_labels, source="tfds",
                             detail=_with_note(decision.detail, decision), class_names=names)
    train_images, train_labels, info = _tfds_split(dataset, train_split,
                                                   dataset.max_train_samples)
    test_images, test_labels, _ = _tfds_split(dataset, test_split, dataset.max_test_samples)
    names = tuple(info.features["label"].names)
    if dataset.classes:  # MNIST digits: select, then cap
        digits = dataset.classes
        train_images, train_labels = _select_digits(train_images, train_labels, digits)
        test_images, test_labels = _select_digits(test_images, test_labels, digits)
        train_images, train_labels = (a[:dataset.max_train_samples]
                                      for a in (train_images, train_labels))
        test_images, test_labels = (a[:dataset.max_test_samples]
                                    for a in (test_images, test_labels))
        names = tuple(str(d) for d in digits)
    detail = decision.detail + (f", digits {' vs '.join(map(str, dataset.classes))}"
                                if dataset.classes else "")
    return DatasetArrays(train_images=train_images, train_labels=train_labels,
                         test_images=test_images, test_labels=test_labels, source="tfds",
                         detail=_with_note(detail, decision), class_names=names)


def load_dataset(dataset: DatasetConfig, decision: SourceDecision,
                 image_side: int = BackboneConfig.input_size) -> DatasetArrays:
    """Load a configured dataset from the source `availability.resolve_source` chose.

    Embedded data is split as described in `interleaved_split` (mnist_multilabel:
    then composed as in `multilabel.compose`); TFDS data uses the configured splits
    in TFDS order, capped at `max_*_samples`.

    Args:
        dataset: the dataset's config.
        decision: where its images come from.
        image_side: the backbone's input size; multi-label TFDS images, which differ in
            size, are resized to it as they load.
    """
    if decision.source == "tfds":
        return _load_tfds(dataset, decision, image_side)
    assert decision.source == "embedded", decision
    return _load_embedded(dataset, decision)


def encode_labels(labels: np.ndarray, encoding: str, num_classes: int, units: int) -> np.ndarray:
    """Labels as the tutorial feeds them to Keras.

    integer + 1 unit: float32 0./1. (binary, as `BinaryCrossentropy` expects);
    integer otherwise: int64 class indices; onehot: float32 (N, num_classes);
    multihot: float32 0./1. (N, num_classes), one or more ones per row.

    Raises:
        ValueError: an unknown encoding, or labels of the other kind (multi-hot rows for
            integer/onehot, class indices for multihot).
    """
    labels = np.asarray(labels)
    multi_hot = labels.ndim == 2
    if encoding in ENCODINGS and multi_hot != (encoding == "multihot"):
        expected = ("multi-hot rows (N, num_labels)" if encoding == "multihot"
                    else "class indices (N,)")
        raise ValueError(f"Invalid value for 'encoding': Expected {expected} for "
                         f"encoding={encoding!r}. Received: labels of shape {labels.shape}")
    if encoding == "multihot":
        return labels.astype(np.float32)
    if encoding == "onehot":
        return np.eye(num_classes, dtype=np.float32)[labels]
    if encoding == "integer":
        return labels.astype(np.float32) if units == 1 else labels.astype(np.int64)
    raise ValueError(f"Invalid value for 'encoding': Expected one of {list(ENCODINGS)}. "
                     f"Received: encoding={encoding!r}")


def image_pipeline(images: np.ndarray, input_size: int, batch_size: int,
                   labels: np.ndarray | None = None, shuffle_seed: int | None = None,
                   drop_remainder: bool = False):
    """The tutorial's image pipeline: resize, /255, grayscale -> RGB, then batches.

    Args:
        images: uint8 (N, H, W) or (N, H, W, C).
        input_size: side of the square the images are resized to.
        batch_size: images per batch.
        labels: encoded labels to pair with the images (end-to-end training), or None.
        shuffle_seed, drop_remainder: as in `feature_pipeline`, which orders and
            batches cached features exactly as this orders and batches images.

    Returns:
        A `tf.data.Dataset` of float32 (B, input_size, input_size, 3) batches, or of
        (images, labels) batches.
    """
    import tensorflow as tf

    if images.ndim == 3:
        images = images[..., None]

    def preprocess(image):
        image = tf.image.resize(image, [input_size, input_size])
        image = image / 255.0
        if image.shape[-1] == 1:
            image = tf.image.grayscale_to_rgb(image)
        return image

    if labels is None:
        ds = tf.data.Dataset.from_tensor_slices(images).map(preprocess)
        return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    ds = ds.map(lambda image, label: (preprocess(image), label))
    return _batches(ds.cache(), len(labels), batch_size, shuffle_seed, drop_remainder)


def feature_pipeline(features: np.ndarray, labels: np.ndarray, batch_size: int,
                     shuffle_seed: int | None = None, drop_remainder: bool = False):
    """Batches of (cached features, encoded labels) for the head, as the tutorial batches.

    Args:
        features, labels: one row per image.
        batch_size: rows per batch.
        shuffle_seed: None keeps the order fixed (the tutorial); a seed reshuffles
            every epoch, deterministically.
        drop_remainder: drop the last partial batch (the tutorial does for integer labels).

    Returns:
        A cached, prefetched `tf.data.Dataset` of (features, labels) batches.
    """
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((features, labels)).cache()
    return _batches(ds, len(labels), batch_size, shuffle_seed, drop_remainder)


def _batches(ds, size: int, batch_size: int, shuffle_seed: int | None, drop_remainder: bool):
    """Shuffle (seeded, every epoch) and batch: one order for features and images alike."""
    import tensorflow as tf

    if shuffle_seed is not None:
        ds = ds.shuffle(size, seed=shuffle_seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)
