"""Labels as Keras gets them, and the tutorial's tf.data pipelines: preprocessing (resize, /255,
grayscale -> RGB) feeds the frozen base; cached features batch in the order of their images."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from runner import vocab

# What loading reports as it goes: (what, done, total), e.g. ('loading mnist train', 512, 6000).
Progress = Callable[[str, int, int], None]


def encode_labels(labels: np.ndarray, encoding: str, num_classes: int, units: int) -> np.ndarray:
    """Labels as the tutorial feeds them to Keras (`vocab.ENCODINGS`): integer + 1 unit as
    float32 0./1., integer as int64 indices, onehot and multihot as float32 rows."""
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
    """Batches of float32 (B, input_size, input_size, 3) images: resized, RGB, and /255 (or a
    base's own `preprocess` of 0-255 pixels); with `labels`, (images, labels) batches ordered
    as `feature_pipeline` orders features."""
    import tensorflow as tf

    if images.ndim == 3:
        images = images[..., None]

    def step(image):
        image = tf.image.resize(image, [input_size, input_size])
        if image.shape[-1] == 1:
            image = tf.image.grayscale_to_rgb(image)
        return image / 255.0 if preprocess is None else preprocess(image)

    if labels is None:
        ds = tf.data.Dataset.from_tensor_slices(images).map(step)
        return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    return feature_pipeline(images, labels, batch_size, shuffle_seed, drop_remainder, step)


def feature_pipeline(features: np.ndarray, labels: np.ndarray, batch_size: int,
                     shuffle_seed: int | None = None, drop_remainder: bool = False,
                     transform: Callable | None = None):
    """Cached, prefetched batches of (features, encoded labels) for the head (features and
    images alike: `transform` maps each image first); `shuffle_seed` None keeps the tutorial's
    fixed order, a seed reshuffles every epoch deterministically."""
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((features, labels))
    ds = (ds if transform is None else ds.map(lambda x, y: (transform(x), y))).cache()
    if shuffle_seed is not None:
        ds = ds.shuffle(len(labels), seed=shuffle_seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)
