"""Datasets, label encodings and the tf.data pipelines of the tutorial.

A dataset is loaded as raw uint8 images and integer class labels
(`DatasetArrays`); preprocessing (resize, /255, grayscale -> RGB) happens in
the tf.data pipeline that feeds the frozen backbone, exactly as the tutorial
maps it. Sources plug in through `load_dataset`.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources

import numpy as np

from runner.config import DatasetConfig

EMBEDDED_FILE = "mnist_5k.npz"
EMBEDDED_TEST_PER_CLASS = 100  # 1,000 test images out of the 5,000
BINARY_DEFAULT_CLASSES = (4, 9)  # the two digits most often confused: a task worth learning
SPLIT_SEED = 0  # fixes which embedded images are test images, independent of any run seed


@dataclasses.dataclass(frozen=True)
class DatasetArrays:
    """Raw images and integer labels of one dataset, both splits.

    Attributes:
        train_images, test_images: uint8 arrays, (N, H, W) grayscale or (N, H, W, 3) colour.
        train_labels, test_labels: int64 class indices in [0, num_classes).
        source: where the images came from, as recorded in results (`data_source`).
        class_names: one name per class index.
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str
    class_names: tuple[str, ...]

    @property
    def n_train(self) -> int:
        return len(self.train_labels)

    @property
    def n_test(self) -> int:
        return len(self.test_labels)


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


def _load_embedded(dataset: DatasetConfig) -> DatasetArrays:
    images, labels = embedded_mnist()
    classes = dataset.classes or (BINARY_DEFAULT_CLASSES if dataset.name == "mnist_binary"
                                  else tuple(range(10)))
    keep = np.isin(labels, classes)
    images, labels = images[keep], labels[keep]
    lookup = np.full(10, -1, dtype=np.int64)
    lookup[list(classes)] = np.arange(len(classes))  # digit -> class index, in config order
    labels = lookup[labels]
    train, test = interleaved_split(labels, EMBEDDED_TEST_PER_CLASS)
    train = train[:dataset.max_train_samples]
    test = test[:dataset.max_test_samples]
    return DatasetArrays(
        train_images=images[train], train_labels=labels[train].astype(np.int64),
        test_images=images[test], test_labels=labels[test].astype(np.int64),
        source="embedded", class_names=tuple(str(c) for c in classes))


def load_dataset(dataset: DatasetConfig) -> DatasetArrays:
    """Load a configured dataset from its source.

    Raises:
        ValueError: the source is not one this module knows (config validation
            should have caught it).
    """
    if dataset.source == "embedded":
        return _load_embedded(dataset)
    raise ValueError(f"Invalid value for 'source': Expected 'embedded'. "
                     f"Received: source={dataset.source!r}")


def encode_labels(labels: np.ndarray, encoding: str, num_classes: int, units: int) -> np.ndarray:
    """Labels as the tutorial feeds them to Keras.

    integer + 1 unit: float32 0./1. (binary, as `BinaryCrossentropy` expects);
    integer otherwise: int64 class indices; onehot: float32 (N, num_classes).
    """
    if encoding == "onehot":
        return np.eye(num_classes, dtype=np.float32)[labels]
    if encoding == "integer":
        return labels.astype(np.float32) if units == 1 else labels.astype(np.int64)
    raise ValueError(f"Invalid value for 'encoding': Expected one of ['integer', 'onehot']. "
                     f"Received: encoding={encoding!r}")


def image_pipeline(images: np.ndarray, input_size: int, batch_size: int):
    """Preprocessed image batches for the backbone: resize, /255, grayscale -> RGB.

    Args:
        images: uint8 (N, H, W) or (N, H, W, C).
        input_size: side of the square the images are resized to.
        batch_size: images per batch.

    Returns:
        A `tf.data.Dataset` of float32 (B, input_size, input_size, 3) batches.
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

    ds = tf.data.Dataset.from_tensor_slices(images).map(preprocess)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def feature_pipeline(features: np.ndarray, labels: np.ndarray, batch_size: int):
    """Batches of (cached features, encoded labels) for the head, in a fixed order.

    No shuffle, as in the tutorial: the order is part of what makes a cell
    reproducible. Batched, cached and prefetched like the tutorial's pipelines.
    """
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((features, labels)).batch(batch_size)
    return ds.cache().prefetch(tf.data.AUTOTUNE)
