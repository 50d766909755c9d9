"""A dataset of an open source, described when the config is parsed: folders, .npz files and
TFDS datasets the catalogue does not list (made here, never downloaded)."""

from __future__ import annotations

import numpy as np
import pytest

from runner.config import parse_config
from runner.errors import ConfigError
from tests.support import digit_images, store_cifar10, write_image_folder


def _config(tiny_doc, dataset: dict):
    tiny_doc["datasets"] = [dataset]
    tiny_doc["grid"]["encoding"] = ["integer", "onehot", "multihot"]
    return parse_config(tiny_doc)


@pytest.fixture(scope="module")
def cifar10_dir(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("tfds")
    store_cifar10(data_dir, n_train_per_class=3, n_test_per_class=1)
    return data_dir


def test_a_folder_s_classes_are_its_sorted_sub_folders(tiny_doc, tmp_path):
    write_image_folder(tmp_path / "digits", (3, 5, 8), per_class=4)
    dataset = _config(tiny_doc, {"name": "mine", "source": "folder",
                                 "path": str(tmp_path / "digits")}).datasets[0]
    facts = dataset.facts
    assert facts.class_names == ("eight", "five", "three")  # sorted, as Keras reads them
    assert (dataset.num_classes, dataset.multi_label, dataset.splits) == (3, False,
                                                                         ("train", None))
    assert dataset.encodings == ("integer", "onehot") and "12 images" in facts.detail


def test_a_folder_with_train_and_test_keeps_them(tiny_doc, tmp_path):
    write_image_folder(tmp_path / "d" / "train", (1, 7), per_class=3)
    write_image_folder(tmp_path / "d" / "test", (1, 7), per_class=1)
    dataset = _config(tiny_doc, {"name": "mine", "source": "folder",
                                 "path": str(tmp_path / "d")}).datasets[0]
    assert dataset.splits == ("train", "test") and dataset.facts.class_names == ("one", "seven")


@pytest.mark.parametrize("make, fragments", [
    (lambda root: (root / "a").mkdir(parents=True), ["at least 2 class sub-folders",
                                                     "found 1: ['a']"]),
    (lambda root: (write_image_folder(root, (1, 2), 1), (root / "empty").mkdir()),
     ["at least one image (.bmp, .gif, .jpeg, .jpg, .png) in every class sub-folder",
      "empty has none"]),
    (lambda root: (write_image_folder(root / "train", (1, 2), 1),
                   write_image_folder(root / "test", (1, 3), 1)),
     ["the same class sub-folders in train/ and test/", "['three', 'two']"]),
])
def test_folder_problems_are_config_errors(tiny_doc, tmp_path, make, fragments):
    root = tmp_path / "bad"
    make(root)
    with pytest.raises(ConfigError) as error:
        _config(tiny_doc, {"name": "mine", "source": "folder", "path": str(root)})
    assert "Invalid value for 'datasets[0].path'" in str(error.value)
    for fragment in fragments:
        assert fragment in str(error.value)


def _npz(path, **changes):
    images, labels = digit_images(4, (0, 1, 2))
    arrays = {"train_images": images, "train_labels": labels, "test_images": images[:3],
              "test_labels": labels[:3], **changes}
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return str(path)


def test_an_npz_says_its_classes_and_kind(tiny_doc, tmp_path):
    single = _config(tiny_doc, {"name": "mine", "source": "npz", "path": _npz(
        tmp_path / "a.npz", class_names=np.array(["zero", "one", "two"]))}).datasets[0]
    assert (single.num_classes, single.facts.class_names) == (3, ("zero", "one", "two"))
    hot = np.eye(4, dtype=np.int64)[np.arange(12) % 4]
    hot[::2, 0] = 1
    multi = _config(tiny_doc, {"name": "mine", "source": "npz", "path": _npz(
        tmp_path / "b.npz", train_labels=hot, test_labels=hot[:3])}).datasets[0]
    assert (multi.num_classes, multi.multi_label, multi.encodings) == (4, True, ("multihot",))


@pytest.mark.parametrize("changes, fragments", [
    ({"test_labels": None}, ["lacks ['test_labels']"]),
    ({"train_images": np.zeros((12, 32, 32, 3), np.float32)},
     ["'train_images' uint8", "float32 (12, 32, 32, 3)"]),
    ({"test_labels": np.array([0, 1, 5])}, ["'test_labels' class indices from 0 to 2",
                                            "values from 0 to 5"]),
    ({"train_labels": np.arange(11) % 3}, ["'train_labels' one label per image (12)"]),
    ({"test_images": np.zeros((3, 28, 28, 3), np.uint8)},
     ["'test_images' the image shape of train_images (32, 32, 3)"]),
    ({"train_labels": np.zeros(12, np.int64), "test_labels": np.zeros(3, np.int64)},
     ["at least 2 classes"]),
    ({"class_names": np.array(["a", "b"])}, ["'train_labels' class indices from 0 to 1",
                                             "values from 0 to 2"]),
    ({"class_names": np.array([1, 2, 3])}, ["'class_names' a 1-D array of strings"]),
])
def test_npz_problems_name_the_array(tiny_doc, tmp_path, changes, fragments):
    with pytest.raises(ConfigError) as error:
        _config(tiny_doc, {"name": "mine", "source": "npz", "path": _npz(tmp_path / "x.npz",
                                                                          **changes)})
    assert "Invalid value for 'datasets[0].path'" in str(error.value)
    for fragment in fragments:
        assert fragment in str(error.value)


def test_a_prepared_tfds_dataset_is_described_from_its_info(tiny_doc, cifar10_dir):
    dataset = _config(tiny_doc, {"name": "cifar10", "source": "tfds",
                                 "data_dir": str(cifar10_dir)}).datasets[0]
    facts = dataset.facts
    assert (facts.num_classes, facts.image_key, facts.label_key) == (10, "image", "label")
    assert facts.class_names[:3] == ("airplane", "automobile", "bird") and \
        len(facts.class_names) == 10
    assert dataset.splits == ("train", "test") and facts.fingerprint == "tfds:cifar10/3.0.2"


@pytest.mark.parametrize("dataset, fragments", [
    ({"name": "cifar_10"}, ["'datasets[0].name'", "a TFDS dataset name", "Did you mean "
                                                                         "'cifar10'?"]),
    ({"name": "ag_news_subset"}, ["an image classification dataset", "it has no `Image` "
                                  "feature", "description: Text", "name='ag_news_subset'"]),
    ({"name": "cifar10", "label_key": "id"}, ["'datasets[0].label_key'", "a `ClassLabel`"]),
    ({"name": "cifar10", "image_key": "label"}, ["'datasets[0].image_key'", "an `Image`"]),
    ({"name": "cifar10", "path": "x"}, ["no 'path' for `source: tfds`"]),
])
def test_tfds_problems_are_config_errors(tiny_doc, tmp_path, dataset, fragments):
    with pytest.raises(ConfigError) as error:
        _config(tiny_doc, {"source": "tfds", "data_dir": str(tmp_path), **dataset})
    for fragment in fragments:
        assert fragment in str(error.value)


@pytest.mark.parametrize("label_key, found", [
    (None, "labels"),  # of `labels` and `labels_no_difficult`, the one so named
    ("objects/label", "objects/label"),  # the set of its objects' classes
])
def test_a_sequence_of_class_labels_is_multi_label(tiny_doc, tmp_path, label_key, found):
    dataset = _config(tiny_doc, {"name": "voc/2007", "source": "tfds", "data_dir": str(tmp_path),
                                 "label_key": label_key}).datasets[0]
    assert (dataset.num_classes, dataset.multi_label, dataset.facts.label_key) == (20, True,
                                                                                  found)
    assert dataset.encodings == ("multihot",)
