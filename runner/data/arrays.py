"""A configured dataset as raw arrays, from the source `sources.resolve_source` chose: the
embedded digits (canvases for a multi-label entry), a catalogued or any TFDS dataset, a folder of
images, an .npz. Images of many sizes are resized to the base's input as they load."""

from __future__ import annotations

import dataclasses
import pathlib
import warnings
from typing import Any

import numpy as np

from runner import vocab
from runner.config import BackboneConfig, DatasetConfig
from runner.config.describe import IMAGE_EXTENSIONS
from runner.config.schema import HOLD_OUT_SEED
from runner.data import multilabel
from runner.data.embedded import (
    EMBEDDED_TEST_PER_CLASS,
    class_order,
    embedded_mnist,
    interleaved_split,
    select_digits,
)
from runner.data.pipeline import Progress
from runner.data.sources import SourceDecision
from runner.errors import CheatgridWarning

TFDS_LABELS = "labels"  # VOC's sorted set of the object classes in an image, difficult too
Splits = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # train x, y, test x, y
PROGRESS_EVERY = 256  # examples between two reports while reading a TFDS split


@dataclasses.dataclass(frozen=True)
class DatasetArrays:
    """Raw images, uint8 (N, H, W[, 3]), and int64 labels, (N,) or multi-hot (N, classes), of
    both splits; `source` and `detail` go into results as `data_source` and `data_detail`."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str
    detail: str
    class_names: tuple[str, ...]  # one per class index

    @property
    def n_train(self) -> int:
        return len(self.train_labels)

    @property
    def n_test(self) -> int:
        return len(self.test_labels)


def load_dataset(dataset: DatasetConfig, decision: SourceDecision,
                 image_side: int = BackboneConfig.input_size,
                 progress: Progress | None = None) -> DatasetArrays:
    """A configured dataset from where `decision` says, images of many sizes resized to
    `image_side`; `progress` gets (what, done, total) while TFDS splits are read."""
    if dataset.facts is not None:
        load = {"tfds": _open_tfds, "folder": _folder, "npz": _npz}[decision.source]
        splits, how = load(dataset, image_side)
        detail, names = f"{decision.detail}, {how}", dataset.facts.class_names
    elif decision.source == "tfds":
        splits, detail, names = _catalogued_tfds(dataset, decision, image_side, progress)
    else:
        splits, detail, names = _embedded(dataset, decision)
    detail = f"{detail} ({decision.note})" if decision.note else detail
    return DatasetArrays(*splits, source=decision.source, detail=detail, class_names=names)


def _capped(dataset: DatasetConfig, splits: Splits) -> Splits:
    """The first `max_train_samples` and `max_test_samples` of each split."""
    train, test = slice(dataset.max_train_samples), slice(dataset.max_test_samples)
    return splits[0][train], splits[1][train], splits[2][test], splits[3][test]


def _embedded(dataset: DatasetConfig, decision: SourceDecision) -> tuple[Splits, str, tuple]:
    served = vocab.DATASETS[dataset.spec.stand_in]  # the embedded dataset that serves it
    digits = dataset.classes or served.default_classes or tuple(range(10))
    images, labels = select_digits(*embedded_mnist(), digits)
    splits = [(images[ix], labels[ix]) for ix in interleaved_split(labels,
                                                                  EMBEDDED_TEST_PER_CLASS)]
    detail = decision.detail
    if served.multi_label:  # canvases of each split's own digits: no leak
        splits = [multilabel.compose(x, y, len(digits), split_seed=k)
                  for k, (x, y) in enumerate(splits)]
        detail += ", 1 or 2 digits per canvas"
    if dataset.classes or served.default_classes:
        detail += f", digits {' vs '.join(map(str, digits))}"
    return _capped(dataset, (*splits[0], *splits[1])), detail, tuple(str(c) for c in digits)


def _catalogued_tfds(dataset: DatasetConfig, decision: SourceDecision, image_side: int,
                     progress: Progress | None) -> tuple[Splits, str, tuple]:
    """The configured splits in TFDS order, capped (MNIST digits: selected, then capped)."""
    spec, digits = dataset.spec, dataset.classes
    label_key = TFDS_LABELS if spec.multi_label else "label"
    splits: list[np.ndarray] = []
    for split, limit in zip(dataset.splits, (dataset.max_train_samples,
                                             dataset.max_test_samples), strict=True):
        images, labels, info = read_tfds(
            spec.tfds_name, split, dataset.data_dir, None if digits else limit, image_side,
            label_key=label_key, num_classes=spec.num_classes, progress=progress)
        if digits:
            images, labels = (a[:limit] for a in select_digits(images, labels, digits))
        splits += [images, labels]
    feature = info.features[label_key]
    names = tuple(str(d) for d in digits) if digits else tuple(
        (feature.feature if spec.multi_label else feature).names)
    detail = decision.detail + (f", digits {' vs '.join(map(str, digits))}" if digits else "")
    return tuple(splits), detail, names


def hold_out(labels: np.ndarray, fraction: float,
             seed: int = HOLD_OUT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) indices, each in the data's order: `fraction` of each class (or label set)
    held out at random, seeded; a class of 2+ images gives at least one to each split."""
    rng = np.random.default_rng(seed)
    keys = labels if labels.ndim == 1 else np.unique(labels, axis=0, return_inverse=True)[1]
    keys = np.asarray(keys).reshape(-1)
    is_test = np.zeros(len(keys), dtype=bool)
    for key in np.unique(keys):
        members = np.flatnonzero(keys == key)
        n_test = int(round(len(members) * fraction))
        if len(members) >= 2:
            n_test = min(max(n_test, 1), len(members) - 1)
        is_test[rng.permutation(members)[:n_test]] = True
    return np.flatnonzero(~is_test), np.flatnonzero(is_test)


def _held_out(dataset: DatasetConfig, images: np.ndarray, labels: np.ndarray) -> Splits:
    train, test = hold_out(labels, dataset.hold_out_fraction)
    return _capped(dataset, (images[train], labels[train], images[test], labels[test]))


def _npz(dataset: DatasetConfig, image_side: int) -> tuple[Splits, str]:
    """The four arrays of an .npz (checked when the config was parsed), the first N kept."""
    with np.load(pathlib.Path(dataset.path).expanduser(), allow_pickle=False) as npz:
        splits = tuple(npz[f"{split}_{kind}"].astype(np.int64) if kind == "labels" else
                       npz[f"{split}_{kind}"] for split in ("train", "test")
                       for kind in ("images", "labels"))
    return _capped(dataset, splits), "in file order"


def _read_folder(root: pathlib.Path, names: tuple[str, ...], side: int,
                 skipped: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """A sub-folder's images per class, resized, classes interleaved; unreadable files skipped."""
    import tensorflow as tf
    from PIL import Image

    images, labels = [], []
    for index, name in enumerate(names):
        files = sorted(p for p in (root / name).rglob("*")
                       if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
        before = len(labels)
        for file in files:
            try:
                with Image.open(file) as opened:
                    pixels = np.asarray(opened.convert("RGB"))
            except Exception as e:  # truncated, not an image, an unsupported mode
                skipped.append(f"{file} ({type(e).__name__})")
                continue
            resized = tf.cast(tf.round(tf.image.resize(pixels, [side, side])), tf.uint8)
            images.append(np.asarray(resized))
            labels.append(index)
        if len(labels) == before:
            raise ValueError(f"Expected at least one readable image in {root / name}. "
                             f"Received: {len(files)} files, none readable")
    labels_array = np.array(labels, dtype=np.int64)
    order = class_order(labels_array)
    return np.stack(images)[order], labels_array[order]


def _folder(dataset: DatasetConfig, image_side: int) -> tuple[Splits, str]:
    """The images of a folder, one sub-folder per class (or train/ and test/ of them)."""
    root = pathlib.Path(dataset.path).expanduser()
    names = dataset.facts.class_names
    skipped: list[str] = []
    if dataset.splits[1] is None:
        splits = _held_out(dataset, *_read_folder(root, names, image_side, skipped))
        how = (f"{dataset.hold_out_fraction:g} of each class held out (seed {HOLD_OUT_SEED})")
    else:
        splits = _capped(dataset, (*_read_folder(root / "train", names, image_side, skipped),
                                   *_read_folder(root / "test", names, image_side, skipped)))
        how = "train/ and test/"
    if skipped:
        warnings.warn(f"dataset '{dataset.name}': skipped {len(skipped)} unreadable image "
                      f"file(s): {', '.join(skipped[:3])}" + (", ..." if len(skipped) > 3
                                                              else ""),
                      CheatgridWarning, stacklevel=2)
        how += f", {len(skipped)} unreadable files skipped"
    return splits, f"{how}, resized to {image_side} px, classes interleaved"


def read_tfds(name: str, split: str, data_dir: str | None, limit: int | None,
              image_side: int, *, image_key: str = "image", label_key: str = "label",
              num_classes: int = 0, progress: Progress | None = None,
              ) -> tuple[np.ndarray, np.ndarray, Any]:
    """A TFDS split's uint8 images (resized to `image_side` where sizes vary), int64 labels
    and `info`, the first `limit`. A label: a `ClassLabel`, or a sequence of them (0/1 rows of
    `num_classes`); `a/b` reads `b` of each item of the sequence `a`."""
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

    ds = (ds if limit is None else ds.take(limit)).map(convert)
    what, total, pairs = f"loading {name} {split}", max(int(ds.cardinality()), 0), []
    progress = progress or (lambda *report: None)
    for pair in tfds.as_numpy(ds):  # cardinality unknown (-2) or infinite (-1): total 0
        pairs.append(pair)
        if len(pairs) % PROGRESS_EVERY == 0:
            progress(what, len(pairs), total)
    progress(what, len(pairs), len(pairs))
    if not pairs:
        raise ValueError(f"Expected images in TFDS {name} split {split!r}. Received: none")
    return np.stack([image for image, _ in pairs]), np.stack([label for _, label in pairs]), info


def _open_tfds(dataset: DatasetConfig, image_side: int) -> tuple[Splits, str]:
    """Any TFDS image classification dataset's splits (or train and its hold-out)."""
    import tensorflow_datasets as tfds

    facts, (train_split, test_split) = dataset.facts, dataset.splits

    def read(split: str, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
        return read_tfds(dataset.name, split, dataset.data_dir, limit, image_side,
                         image_key=facts.image_key, label_key=facts.label_key,
                         num_classes=facts.num_classes)[:2]

    if test_split == "test" and dataset.split is None:  # parsed before it was prepared?
        builder = tfds.builder(dataset.name, data_dir=dataset.data_dir)
        if not builder.is_prepared():
            builder.download_and_prepare()  # what tfds.load would do first
        known = set(builder.info.splits)
        test_split = None if known and "test" not in known else test_split
    if test_split is None:
        return _held_out(dataset, *read(train_split, None)), (
            f"{dataset.hold_out_fraction:g} of {train_split} held out as test "
            f"(stratified, seed {HOLD_OUT_SEED})")
    return (*read(train_split, dataset.max_train_samples),
            *read(test_split, dataset.max_test_samples)), "in TFDS order"
