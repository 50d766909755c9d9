"""mnist_multilabel: counts, label statistics, no train/test leak, balanced prefixes."""

from __future__ import annotations

import collections

import numpy as np
import pytest

from runner.config import DatasetConfig
from runner.data import multilabel
from runner.data.arrays import load_dataset
from runner.data.embedded import EMBEDDED_TEST_PER_CLASS, embedded_mnist, interleaved_split
from runner.data.sources import resolve_source
from scripts.multilabel_stats import label_statistics

SLOT = multilabel.TILE


def _load(**settings):
    dataset = DatasetConfig("mnist_multilabel", **settings)
    return load_dataset(dataset, resolve_source(dataset))


@pytest.fixture(scope="module")
def data():
    return _load()


def _slots(canvases: np.ndarray) -> list[list[bytes]]:
    """The digit images of each canvas (non-empty slots), as bytes, left to right."""
    return [[c[:, s * SLOT:(s + 1) * SLOT].tobytes() for s in range(multilabel.SLOTS)
             if c[:, s * SLOT:(s + 1) * SLOT].any()] for c in canvases]


def test_counts_shapes_and_label_statistics(data):
    # 4,000 train / 1,000 test digits, two canvases per three digits (+1 for a remainder)
    assert (data.n_train, data.n_test) == (2667, 667)
    assert data.train_images.shape == (2667, 28, 56) and data.train_images.dtype == np.uint8
    assert data.train_labels.shape == (2667, 10) and data.train_labels.dtype == np.int64
    assert data.class_names == tuple(str(d) for d in range(10))
    for labels, digits_per_class in ((data.train_labels, 400), (data.test_labels, 100)):
        stats = label_statistics(labels)
        assert set(labels.sum(axis=1).tolist()) == {1, 2}
        # every digit image sits on exactly one canvas: each digit is on 400 (100) canvases
        assert labels.sum(axis=0).tolist() == [digits_per_class] * 10
        assert stats["frequency"] == pytest.approx([digits_per_class / len(labels)] * 10)
        assert stats["cardinality"] == pytest.approx(10 * digits_per_class / len(labels))
        assert stats["share_by_count"][1] == pytest.approx(0.5, abs=0.001)
        sets = collections.Counter(map(tuple, labels.tolist()))
        assert stats["majority_rate"] == max(sets.values()) / len(labels)
    # the most common label set of the test split is one digit, on 45 of its 667 canvases
    test_stats = label_statistics(data.test_labels)
    assert len(test_stats["majority_set"]) == 1
    assert test_stats["majority_rate"] == pytest.approx(45 / 667)


def test_no_digit_image_in_both_splits_and_each_used_once(data):
    images, labels = embedded_mnist()
    train, test = interleaved_split(labels, EMBEDDED_TEST_PER_CLASS)
    for canvases, source in ((data.train_images, train), (data.test_images, test)):
        used = collections.Counter(b for slots in _slots(canvases) for b in slots)
        assert used == collections.Counter(images[i].tobytes() for i in source)
    train_digits = {b for slots in _slots(data.train_images) for b in slots}
    test_digits = {b for slots in _slots(data.test_images) for b in slots}
    assert not train_digits & test_digits


def test_labels_name_the_digits_on_the_canvas(data):
    images, labels = embedded_mnist()
    digit_of = {image.tobytes(): int(label) for image, label in zip(images, labels,
                                                                    strict=True)}
    for canvases, hot in ((data.train_images, data.train_labels),
                          (data.test_images, data.test_labels)):
        for slots, row in zip(_slots(canvases), hot, strict=True):
            assert sorted(digit_of[b] for b in slots) == np.flatnonzero(row).tolist()


def test_single_digits_go_to_either_slot(data):
    single = data.train_labels.sum(axis=1) == 1
    left = np.array([canvas[:, :SLOT].any() for canvas in data.train_images[single]])
    assert single.sum() == 1334 and 0.4 < left.mean() < 0.6


def test_deterministic_and_prefixes_balanced():
    a, b = _load(), _load(max_train_samples=40, max_test_samples=20)
    assert np.array_equal(a.train_images[:40], b.train_images)
    assert np.array_equal(a.test_labels[:20], b.test_labels)
    # a block: 3 images of every digit on 20 canvases, 10 with one digit, 10 with two
    assert b.train_labels[:20].sum(axis=0).tolist() == [3] * 10
    assert sorted(b.train_labels[:20].sum(axis=1).tolist()) == [1] * 10 + [2] * 10


def test_selected_digits_are_the_labels():
    pair = _load(classes=(3, 7))
    assert pair.class_names == ("3", "7") and pair.train_labels.shape[1] == 2
    rows = {tuple(row) for row in pair.train_labels.tolist()}
    assert rows == {(1, 0), (0, 1), (1, 1)}
    assert (pair.n_train, pair.n_test) == (533, 133)  # 800 / 200 digits of 3 and 7


@pytest.mark.parametrize("images, labels, message", [
    (np.zeros((6, 32, 32), np.uint8), np.arange(6) % 2, "Expected 28x28 digit images"),
    (np.zeros((6, 28, 28), np.uint8), np.zeros(6, int), "at least 2 classes"),
])
def test_compose_rejects_what_it_cannot_place(images, labels, message):
    with pytest.raises(ValueError, match=message):
        multilabel.compose(images, labels, num_classes=2, split_seed=0)


def test_label_statistics_by_hand():
    labels = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 1], [1, 1, 0]])
    stats = label_statistics(labels)
    assert stats["images"] == 4
    assert stats["frequency"] == [0.75, 0.5, 0.25]
    assert stats["cardinality"] == pytest.approx(1.5)
    assert stats["share_by_count"] == {1: 0.5, 2: 0.5}
    assert (stats["majority_set"], stats["majority_rate"]) == ([0], 0.5)
