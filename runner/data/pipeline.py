"""Labels as Keras gets them, and the tutorial's tf.data pipelines for images and features.

Preprocessing (resize, /255, grayscale -> RGB) happens here, in the pipeline that
feeds the frozen backbone, exactly as the tutorial maps it; cached features are
batched in the same order as the images they came from.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from runner import vocab

# What loading reports as it goes: (what, done, total), e.g. ('loading mnist train', 512, 6000).
Progress = Callable[[str, int, int], None]
PROGRESS_EVERY = 256  # examples between two reports while reading a TFDS split


def encode_labels(labels: np.ndarray, encoding: str, num_classes: int, units: int) -> np.ndarray:
    """Labels as the tutorial feeds them to Keras (see `vocab.ENCODINGS`).

    integer + 1 unit: float32 0./1. (binary, as `BinaryCrossentropy` expects);
    integer otherwise: int64 class indices; onehot: float32 (N, num_classes);
    multihot: float32 0./1. (N, num_classes), one or more ones per row.

    Raises:
        ValueError: an unknown encoding, or labels of the other kind (multi-hot rows for
            integer/onehot, class indices for multihot).
    """
    labels = np.asarray(labels)
    if encoding not in vocab.ENCODINGS:
        raise ValueError(f"Invalid value for 'encoding': Expected one of "
                         f"{list(vocab.ENCODINGS.names)}. Received: encoding={encoding!r}")
    entry = vocab.ENCODINGS[encoding]
    if (labels.ndim == 2) != entry.multi_label:
        expected = ("multi-hot rows (N, num_labels)" if entry.multi_label
                    else "class indices (N,)")
        raise ValueError(f"Invalid value for 'encoding': Expected {expected} for "
                         f"encoding={encoding!r}. Received: labels of shape {labels.shape}")
    return entry.encode(labels, num_classes, units)


def image_pipeline(images: np.ndarray, input_size: int, batch_size: int,
                   labels: np.ndarray | None = None, shuffle_seed: int | None = None,
                   drop_remainder: bool = False, preprocess: Callable | None = None):
    """The tutorial's image pipeline: resize, /255, grayscale -> RGB, then batches.

    Args:
        images: uint8 (N, H, W) or (N, H, W, C).
        input_size: side of the square the images are resized to.
        batch_size: images per batch.
        labels: encoded labels to pair with the images (end-to-end training), or None.
        shuffle_seed, drop_remainder: as in `feature_pipeline`, which orders and
            batches cached features exactly as this orders and batches images.
        preprocess: a base's own preprocessing (`backbone.preprocessing: model`), given
            resized RGB pixels from 0 to 255 in place of the tutorial's /255.

    Returns:
        A `tf.data.Dataset` of float32 (B, input_size, input_size, 3) batches, or of
        (images, labels) batches.
    """
    import tensorflow as tf

    if images.ndim == 3:
        images = images[..., None]

    def tutorial(image):
        image = tf.image.resize(image, [input_size, input_size])
        image = image / 255.0
        if image.shape[-1] == 1:
            image = tf.image.grayscale_to_rgb(image)
        return image

    def model(image):
        image = tf.image.resize(image, [input_size, input_size])
        if image.shape[-1] == 1:
            image = tf.image.grayscale_to_rgb(image)
        return preprocess(image)

    step = tutorial if preprocess is None else model
    if labels is None:
        ds = tf.data.Dataset.from_tensor_slices(images).map(step)
        return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    ds = ds.map(lambda image, label: (step(image), label))
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


def read_examples(ds, label: str, progress: Progress | None) -> list:
    """Every example of a (TFDS) tf.data dataset as NumPy, reporting as it reads.

    Args:
        label: what `progress` is told is being read.
        progress: receives (label, examples read, total; 0 when unknown).
    """
    import tensorflow as tf
    import tensorflow_datasets as tfds

    cardinality = int(ds.cardinality())
    total = cardinality if cardinality >= 0 and cardinality != tf.data.INFINITE_CARDINALITY \
        else 0
    examples = []
    for example in tfds.as_numpy(ds):
        examples.append(example)
        if progress is not None and len(examples) % PROGRESS_EVERY == 0:
            progress(label, len(examples), total)
    if progress is not None:
        progress(label, len(examples), len(examples))
    return examples
