"""Loading a dataset of an open source: any TFDS image classification dataset, a folder of
images, an .npz file; the classes are those `config.describe` read when the config was
parsed (`DatasetConfig.facts`).

Every loader returns raw uint8 images and integer labels (class indices, or 0/1 rows
for multi-label data), both splits, and a few words on what it did. Images of one
size are kept as they are (the pipeline resizes them); images that differ in size
(photos of a TFDS dataset, the files of a folder) are resized to the backbone's
input size as they load, with the pipeline's own bilinear resize.
"""

from __future__ import annotations

import pathlib
import warnings
from typing import Any

import numpy as np

from runner.config import DatasetConfig
from runner.config.describe import IMAGE_EXTENSIONS
from runner.config.schema import HOLD_OUT_SEED
from runner.data.pipeline import Progress, read_examples
from runner.errors import CheatgridWarning

Splits = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def class_order(labels: np.ndarray) -> np.ndarray:
    """Indices that interleave the classes (one of each in turn, each class in its own
    order), so that any prefix of the split is nearly class-balanced."""
    if labels.ndim != 1:
        return np.arange(len(labels))
    per_class = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    rank = np.empty(len(labels), dtype=np.int64)
    for indices in per_class:
        rank[indices] = np.arange(len(indices))
    return np.lexsort((labels, rank))


def hold_out(labels: np.ndarray, fraction: float,
             seed: int = HOLD_OUT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) indices: `fraction` of each class held out, at random (seeded).

    Stratified by class for class indices (a class of 2+ images gives at least one to
    each split); for multi-label rows, by label set. Each split keeps the data's order.
    """
    rng = np.random.default_rng(seed)
    keys = labels if labels.ndim == 1 else np.unique(labels, axis=0, return_inverse=True)[1]
    keys = np.asarray(keys).reshape(-1)
    test = []
    for key in np.unique(keys):
        members = np.flatnonzero(keys == key)
        n_test = int(round(len(members) * fraction))
        if len(members) >= 2:
            n_test = min(max(n_test, 1), len(members) - 1)
        test.extend(rng.permutation(members)[:n_test].tolist())
    is_test = np.zeros(len(keys), dtype=bool)
    is_test[test] = True
    return np.flatnonzero(~is_test), np.flatnonzero(is_test)


def _resize(image: np.ndarray, side: int) -> np.ndarray:
    import tensorflow as tf

    resized = tf.image.resize(image, [side, side])
    return np.asarray(tf.cast(tf.round(resized), tf.uint8))


def _split_off(dataset: DatasetConfig, images: np.ndarray, labels: np.ndarray) -> Splits:
    train, test = hold_out(labels, dataset.hold_out_fraction)
    return images[train], labels[train], images[test], labels[test]


def _capped(dataset: DatasetConfig, splits: Splits) -> Splits:
    train_images, train_labels, test_images, test_labels = splits
    train, test = slice(dataset.max_train_samples), slice(dataset.max_test_samples)
    return train_images[train], train_labels[train], test_images[test], test_labels[test]


def load_npz(dataset: DatasetConfig) -> tuple[Splits, str]:
    """The four arrays of an .npz, checked when the config was parsed; the first N kept."""
    with np.load(pathlib.Path(dataset.path).expanduser(), allow_pickle=False) as npz:
        splits = tuple(npz[name] for name in ("train_images", "train_labels", "test_images",
                                              "test_labels"))
    labels = [a.astype(np.int64) for a in (splits[1], splits[3])]
    return _capped(dataset, (splits[0], labels[0], splits[2], labels[1])), "in file order"


def _read_folder(root: pathlib.Path, names: tuple[str, ...], side: int,
                 skipped: list[str]) -> tuple[np.ndarray, np.ndarray]:
    from PIL import Image

    images, labels = [], []
    for index, name in enumerate(names):
        files = sorted(p for p in (root / name).rglob("*")
                       if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
        kept = 0
        for file in files:
            try:
                with Image.open(file) as opened:
                    pixels = np.asarray(opened.convert("RGB"))
            except Exception as e:  # truncated, not an image, an unsupported mode
                skipped.append(f"{file} ({type(e).__name__})")
                continue
            images.append(_resize(pixels, side))
            labels.append(index)
            kept += 1
        if not kept:
            raise ValueError(f"Expected at least one readable image in {root / name}. "
                             f"Received: {len(files)} files, none readable")
    labels_array = np.array(labels, dtype=np.int64)
    order = class_order(labels_array)
    return np.stack(images)[order], labels_array[order]


def load_folder(dataset: DatasetConfig, image_side: int) -> tuple[Splits, str]:
    """The images of a folder, one sub-folder per class, resized to `image_side`.

    Unreadable files are skipped with a warning that names them.
    """
    root = pathlib.Path(dataset.path).expanduser()
    names = dataset.facts.class_names
    skipped: list[str] = []
    if dataset.splits[1] is None:
        images, labels = _read_folder(root, names, image_side, skipped)
        splits = _split_off(dataset, images, labels)
        how = (f"{dataset.hold_out_fraction:g} of each class held out (seed {HOLD_OUT_SEED})")
    else:
        splits = (*_read_folder(root / "train", names, image_side, skipped),
                  *_read_folder(root / "test", names, image_side, skipped))
        how = "train/ and test/"
    if skipped:
        warnings.warn(f"dataset '{dataset.name}': skipped {len(skipped)} unreadable image "
                      f"file(s): {', '.join(skipped[:3])}" + (", ..." if len(skipped) > 3
                                                              else ""),
                      CheatgridWarning, stacklevel=2)
        how += f", {len(skipped)} unreadable files skipped"
    return _capped(dataset, splits), f"{how}, resized to {image_side} px, classes interleaved"


def read_tfds(name: str, split: str, data_dir: str | None, limit: int | None,
              image_side: int, *, image_key: str = "image", label_key: str = "label",
              num_classes: int = 0, progress: Progress | None = None,
              ) -> tuple[np.ndarray, np.ndarray, Any]:
    """A TFDS split's uint8 images and int64 labels, and the dataset's `info`.

    Images of one size are kept as they are; images that differ in size (VOC's photos)
    are resized to `image_side`, with the pipeline's own bilinear resize, as they load.
    A label is a `ClassLabel` (class indices) or a sequence of them (0/1 rows of
    `num_classes`, multi-label); `a/b` reads `b` of each item of the sequence `a`.

    Args:
        limit: keep the first N examples (None: all).
        progress: receives (what, done, total) as examples are read.
    """
    import tensorflow as tf
    import tensorflow_datasets as tfds

    ds, info = tfds.load(name, split=split, with_info=True, data_dir=data_dir,
                         shuffle_files=False)
    fixed = None not in info.features[image_key].shape[:2]
    outer, _, inner = label_key.partition("/")
    multi_label = isinstance(info.features[outer], tfds.features.Sequence)

    def convert(example):
        image = example[image_key]
        if not fixed:  # photos of many sizes: one size, so that they stack
            image = tf.cast(tf.round(tf.image.resize(image, [image_side, image_side])),
                            tf.uint8)
        label = example[outer][inner] if inner else example[outer]
        if multi_label:
            counts = tf.math.bincount(tf.cast(label, tf.int32), minlength=num_classes,
                                      maxlength=num_classes)
            label = tf.minimum(counts, 1)
        return image, tf.cast(label, tf.int64)

    if limit is not None:
        ds = ds.take(limit)
    pairs = read_examples(ds.map(convert), f"loading {name} {split}", progress)
    if not pairs:
        raise ValueError(f"Expected images in TFDS {name} split {split!r}. Received: none")
    return np.stack([image for image, _ in pairs]), np.stack([label for _, label in pairs]), info


def _tfds_split(dataset: DatasetConfig, split: str, limit: int | None, image_side: int,
                ) -> tuple[np.ndarray, np.ndarray]:
    facts = dataset.facts
    images, labels, _ = read_tfds(dataset.name, split, dataset.data_dir, limit, image_side,
                                  image_key=facts.image_key, label_key=facts.label_key,
                                  num_classes=facts.num_classes)
    return images, labels


def _has_test(dataset: DatasetConfig) -> bool:
    """Whether the prepared dataset has a 'test' split: a builder that was not prepared when
    the config was parsed had not said (`config.describe` assumed train / test)."""
    import tensorflow_datasets as tfds

    builder = tfds.builder(dataset.name, data_dir=dataset.data_dir)
    if not builder.is_prepared():
        builder.download_and_prepare()  # what tfds.load would do first
    known = set(builder.info.splits)
    return not known or "test" in known


def load_tfds(dataset: DatasetConfig, image_side: int) -> tuple[Splits, str]:
    """A TFDS image classification dataset's splits (or train and its hold-out)."""
    train_split, test_split = dataset.splits
    if test_split == "test" and dataset.split is None and not _has_test(dataset):
        test_split = None
    if test_split is None:
        images, labels = _tfds_split(dataset, train_split, None, image_side)
        return _capped(dataset, _split_off(dataset, images, labels)), (
            f"{dataset.hold_out_fraction:g} of {train_split} held out as test "
            f"(stratified, seed {HOLD_OUT_SEED})")
    train = _tfds_split(dataset, train_split, dataset.max_train_samples, image_side)
    test = _tfds_split(dataset, test_split, dataset.max_test_samples, image_side)
    return (*train, *test), "in TFDS order"
