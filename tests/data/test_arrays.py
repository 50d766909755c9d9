"""Embedded data, the stratified split, label encodings and the tf.data image pipeline."""

from __future__ import annotations

import re

import numpy as np
import pytest

from runner.config import DatasetConfig
from runner.data.arrays import load_dataset
from runner.data.embedded import embedded_mnist, interleaved_split
from runner.data.pipeline import encode_labels, feature_pipeline, image_pipeline
from runner.data.sources import resolve_source


def _load(name: str, **settings):
    dataset = DatasetConfig(name, **settings)
    return load_dataset(dataset, resolve_source(dataset))


def test_embedded_subset_is_500_per_class():
    images, labels = embedded_mnist()
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [500] * 10


def test_mnist_split_is_stratified_disjoint_and_deterministic():
    a, b = _load("mnist"), _load("mnist")
    assert (a.n_train, a.n_test) == (4000, 1000)
    assert np.bincount(a.test_labels).tolist() == [100] * 10
    assert np.bincount(a.train_labels).tolist() == [400] * 10
    assert np.array_equal(a.train_images, b.train_images)
    train = {img.tobytes() for img in a.train_images}
    assert not any(img.tobytes() in train for img in a.test_images)


def test_interleaved_split_prefixes_are_balanced():
    labels = np.repeat(np.arange(3), 5)  # 3 classes x 5
    train, test = interleaved_split(labels, test_per_class=2, seed=0)
    assert labels[test].tolist() == [0, 1, 2, 0, 1, 2]
    assert labels[train[:6]].tolist() == [0, 1, 2, 0, 1, 2]
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(15))


def test_max_samples_keep_a_balanced_prefix():
    data = _load("mnist", max_train_samples=25, max_test_samples=10)
    assert (data.n_train, data.n_test) == (25, 10)
    assert np.bincount(data.test_labels).tolist() == [1] * 10
    assert np.bincount(data.train_labels).tolist() == [3] * 5 + [2] * 5


@pytest.mark.parametrize("classes, names", [(None, ("4", "9")), ((9, 4), ("9", "4"))])
def test_binary_stand_in_maps_digits_to_class_indices(classes, names):
    data = _load("mnist_binary", classes=classes)
    assert data.class_names == names
    assert (data.n_train, data.n_test) == (800, 200)
    assert np.bincount(data.test_labels).tolist() == [100, 100]
    full_images, full_labels = embedded_mnist()
    first_digit = int(names[0])
    # class index 0 is the first listed digit: its images are that digit's images
    zero_images = {img.tobytes() for img in data.train_images[data.train_labels == 0]}
    digit_images = {img.tobytes() for img in full_images[full_labels == first_digit]}
    assert zero_images <= digit_images


@pytest.mark.parametrize("encoding, units, dtype, expected", [
    ("integer", 1, np.float32, [0.0, 1.0, 1.0]),  # binary: float 0./1., one unit
    ("integer", 2, np.int64, [0, 1, 1]),
    ("onehot", 2, np.float32, [[1, 0], [0, 1], [0, 1]]),
])
def test_encode_labels(encoding, units, dtype, expected):
    encoded = encode_labels(np.array([0, 1, 1]), encoding, num_classes=2, units=units)
    assert encoded.dtype == dtype
    assert encoded.tolist() == expected


def test_encode_multi_hot_labels():
    encoded = encode_labels(np.array([[1, 0, 1], [0, 1, 0]]), "multihot", num_classes=3,
                            units=3)
    assert encoded.dtype == np.float32 and encoded.tolist() == [[1, 0, 1], [0, 1, 0]]


@pytest.mark.parametrize("labels, encoding, message", [
    (np.array([[1, 0], [1, 1]]), "onehot", "Expected class indices (N,) for encoding='onehot'"),
    (np.array([[1, 0], [1, 1]]), "integer", "Received: labels of shape (2, 2)"),
    (np.array([0, 1]), "multihot", "Expected multi-hot rows (N, num_labels)"),
    (np.array([0, 1]), "ordinal", "Expected one of ['integer', 'onehot', 'multihot']"),
])
def test_encode_labels_refuses_the_other_kind_of_labels(labels, encoding, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        encode_labels(labels, encoding, num_classes=2, units=2)


def test_image_pipeline_resizes_scales_and_makes_rgb():
    images = np.zeros((5, 28, 28), dtype=np.uint8)
    images[:, :, :14] = 255
    batches = list(image_pipeline(images, input_size=32, batch_size=2))
    assert [tuple(b.shape) for b in batches] == [(2, 32, 32, 3)] * 2 + [(1, 32, 32, 3)]
    first = batches[0].numpy()
    assert first.dtype == np.float32
    assert first.min() == 0.0 and first.max() == pytest.approx(1.0)
    assert np.array_equal(first[..., 0], first[..., 2])  # grayscale copied to 3 channels


@pytest.mark.parametrize("shuffle_seed, drop_remainder, sizes", [
    (None, False, [4, 4, 2]),  # the tutorial's one-hot batching: batch(4)
    (None, True, [4, 4]),  # its integer batching: batch(4, drop_remainder=True)
    (3, False, [4, 4, 2]),
])
def test_feature_pipeline_batching(shuffle_seed, drop_remainder, sizes):
    features = np.arange(10, dtype=np.float32)[:, None]
    ds = feature_pipeline(features, np.arange(10), 4, shuffle_seed, drop_remainder)
    epochs = [[int(v) for x, _ in ds for v in x.numpy().ravel()] for _ in range(2)]
    assert [len(x) for x, _ in ds] == sizes
    if shuffle_seed is None:
        assert epochs[0] == epochs[1] == list(range(sum(sizes)))
    else:  # a new order each epoch, the same orders on every run
        assert sorted(epochs[0]) == list(range(10)) and epochs[0] != epochs[1]
        again = feature_pipeline(features, np.arange(10), 4, shuffle_seed, drop_remainder)
        assert [int(v) for x, _ in again for v in x.numpy().ravel()] == epochs[0]
