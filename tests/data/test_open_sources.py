"""Loading a dataset of an open source: a folder, an .npz, any TFDS image classification
dataset (all made here), and the seeded, stratified hold-out."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

from runner.config import parse_config
from runner.data import sources as availability
from runner.data.arrays import hold_out, load_dataset
from runner.data.embedded import class_order
from runner.data.sources import resolve_source
from runner.errors import CheatgridWarning, DataUnavailable
from tests.support import TINY, digit_images, store_cifar10, write_image_folder


def _dataset(**entry):
    return parse_config({**TINY, "datasets": [entry]}).datasets[0]


def test_class_order_interleaves_classes():
    labels = np.array([0, 0, 0, 1, 1, 2])
    assert labels[class_order(labels)].tolist() == [0, 1, 2, 0, 1, 0]


def test_hold_out_is_stratified_seeded_and_keeps_order():
    labels = np.repeat([0, 1, 2], [10, 5, 2])
    train, test = hold_out(labels, 0.2)
    assert np.bincount(labels[test]).tolist() == [2, 1, 1]  # round(0.4) = 0 -> at least 1
    assert sorted(train.tolist() + test.tolist()) == list(range(17))
    assert train.tolist() == sorted(train.tolist())
    again, _ = hold_out(labels, 0.2)
    other, _ = hold_out(labels, 0.2, seed=1)
    assert train.tolist() == again.tolist() != other.tolist()


def test_a_folder_loads_resized_balanced_and_held_out(tmp_path):
    write_image_folder(tmp_path / "d", (3, 5), per_class=10, sizes=(28, 40, 64))
    (tmp_path / "d" / "five" / "broken.png").write_bytes(b"not a png")
    dataset = _dataset(name="mine", source="folder", path=str(tmp_path / "d"),
                       test_fraction=0.3, max_train_samples=6)
    decision = resolve_source(dataset)
    assert decision.source == "folder"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_dataset(dataset, decision, image_side=32)
    assert any(w.category is CheatgridWarning and "broken.png" in str(w.message)
               for w in caught)
    assert data.class_names == ("five", "three") and data.source == "folder"
    assert data.train_images.shape == (6, 32, 32, 3) and data.train_images.dtype == np.uint8
    assert data.train_labels.tolist() == [0, 1, 0, 1, 0, 1]  # a prefix is balanced
    assert np.bincount(data.test_labels).tolist() == [3, 3]  # 30% of each class
    assert "held out (seed 0)" in data.detail and "1 unreadable files skipped" in data.detail


def test_an_npz_loads_as_written(tmp_path):
    images, labels = digit_images(3, (4, 9))
    np.savez(tmp_path / "d.npz", train_images=images, train_labels=labels,
             test_images=images[:2], test_labels=labels[:2])
    dataset = _dataset(name="mine", source="npz", path=str(tmp_path / "d.npz"),
                       max_test_samples=1)
    data = load_dataset(dataset, resolve_source(dataset))
    np.testing.assert_array_equal(data.train_images, images)
    assert data.train_labels.dtype == np.int64 and data.n_test == 1
    assert data.class_names == ("0", "1") and data.source == "npz"


@pytest.fixture(scope="module")
def cifar10_dir(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("tfds")
    store_cifar10(data_dir, n_train_per_class=4, n_test_per_class=2)
    return data_dir


def test_any_tfds_dataset_loads_by_its_features(cifar10_dir, monkeypatch):
    monkeypatch.setenv(availability.OFFLINE_ENV, "1")  # prepared data needs no network
    dataset = _dataset(name="cifar10", source="tfds", data_dir=str(cifar10_dir),
                       max_train_samples=25)
    decision = resolve_source(dataset)
    assert decision.source == "tfds" and "prepared in" in decision.note
    data = load_dataset(dataset, decision)
    assert data.train_images.shape == (25, 32, 32, 3) and data.n_test == 20
    assert data.train_labels.tolist()[:10] == list(range(10))  # TFDS order kept
    assert data.class_names[0] == "airplane"


def test_a_tfds_dataset_without_test_is_held_out(tmp_path, monkeypatch):
    """A dataset of its own name, prepared in data_dir only (no TFDS builder of that name),
    photos of several sizes, no test split."""
    import tensorflow_datasets as tfds

    monkeypatch.setenv(availability.OFFLINE_ENV, "1")
    features = tfds.features.FeaturesDict({"picture": tfds.features.Image(shape=(None, None, 3)),
                                           "kind": tfds.features.ClassLabel(names=["a", "b"])})
    images, labels = digit_images(5, (2, 6))
    examples = [(i, {"picture": np.pad(image, ((0, i % 3), (0, 0), (0, 0))),
                     "kind": int(label)}) for i, (image, label) in enumerate(zip(
                         images, labels, strict=True))]
    tfds.dataset_builders.store_as_tfds_dataset("my_photos", "1.0.0", features,
                                                {"train": examples}, data_dir=str(tmp_path),
                                                disable_shuffling=True)
    dataset = _dataset(name="my_photos", source="tfds", data_dir=str(tmp_path))
    assert dataset.facts.image_key == "picture" and dataset.splits == ("train", None)
    data = load_dataset(dataset, resolve_source(dataset), image_side=40)
    assert data.train_images.shape[1:] == (40, 40, 3)  # sizes differ: resized as they load
    assert (data.n_train, data.n_test) == (8, 2) and sorted(data.test_labels) == [0, 1]
    # described before it was prepared, TFDS had not said its splits: train / test assumed,
    # and held out when it loads
    unknown = dataclasses.replace(dataset, facts=dataclasses.replace(
        dataset.facts, splits=("train", "test")))
    again = load_dataset(unknown, resolve_source(unknown), image_side=40)
    np.testing.assert_array_equal(again.test_labels, data.test_labels)


def test_an_unprepared_tfds_dataset_offline_is_unavailable(tmp_path, monkeypatch):
    monkeypatch.setenv(availability.OFFLINE_ENV, "1")
    dataset = _dataset(name="cifar10", source="tfds", data_dir=str(tmp_path))
    with pytest.raises(DataUnavailable) as error:
        resolve_source(dataset)
    assert "not prepared in" in str(error.value) and "Received: source='tfds'" in str(
        error.value)
