"""The `datasets[]` section: what a config says of a dataset, and what its data says of itself.

A catalogued dataset (`vocab.DATASETS`) is known before anything is read. Any other
comes from an open source (`vocab.OPEN_SOURCES`: a TFDS image classification
dataset, a folder of images, an .npz file) and its classes, their names and its
kind of labels are read from the data itself when the config is parsed
(`config.describe`), once, into `DatasetConfig.facts`: the grid sizes its heads
and picks its encodings from them, before (and without) loading a single image.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import Any

from runner import vocab
from runner.config import validate
from runner.config.fields import setting
from runner.config.validate import Checker

HOLD_OUT_SEED = 0  # the seed of the stratified hold-out of a dataset without a test split
DEFAULT_TEST_FRACTION = 0.2


def _any(check: Checker, value: Any, path: str) -> Any:
    return value  # checked against the rest of the document by `load`


def _split(check: Checker, value: Any, path: str) -> tuple[str, str]:
    mapping = check.mapping(value, path, ("train", "test"), required=("train", "test"))
    return tuple(check.string(mapping[k], f"{path}.{k}") for k in ("train", "test"))


def _fraction(check: Checker, value: Any, path: str) -> float:
    return float(check.number(value, path, "a number between 0 and 1 (exclusive), e.g. 0.2",
                              lambda x: 0 < x < 1))


@dataclasses.dataclass(frozen=True)
class DatasetFacts:
    """What a dataset of an open source says of itself, read when the config is parsed.

    Attributes:
        num_classes: classes of the task (for multi-label data: labels).
        class_names: one name per class index.
        multi_label: whether an image carries a set of labels (0/1 rows).
        splits: the (train, test) splits to load; test None: a seeded, stratified
            hold-out of `test_fraction` of train (`HOLD_OUT_SEED`).
        image_key, label_key: the TFDS features read (None for other sources).
        fingerprint: identifies the data's content (a digest of the folder's listing,
            of the .npz file's bytes, or the TFDS name and version): resume and the
            feature cache see changed data as new.
        detail: a few words on what was found, for `data_detail`.
    """

    num_classes: int
    class_names: tuple[str, ...]
    multi_label: bool
    splits: tuple[str, str | None] = ("train", "test")
    image_key: str | None = None
    label_key: str | None = None
    fingerprint: str = ""
    detail: str = ""


@dataclasses.dataclass(frozen=True)
class DatasetConfig:
    name: str = setting(parse=Checker.string, shown="required", values=vocab.DATASETS,
                        why="a catalogued dataset (see [Datasets](data.md#datasets)), or with "
                        "`source: tfds | folder | npz` a name of your own: for `tfds`, the "
                        "TFDS name (`cifar10`, `beans`, `oxford_iiit_pet:4.0.0`, ...)")
    source: str = setting("embedded", parse=_any, shown="the dataset's first",
                          why="see [Data sources](data.md#data-sources): `tfds`, `embedded` "
                          "or `auto` for catalogued datasets (defaults: `mnist`, "
                          "`mnist_binary` and `mnist_multilabel` `embedded` (the last two: "
                          "only), `horses_or_humans` `auto`, `voc2007` `tfds` (only)); "
                          "`tfds`, `folder` or `npz` for any other (required)")
    max_train_samples: int | None = setting(
        None, parse=validate.optional(Checker.integer), shown="all", why="keep the first N "
        "training images (embedded splits are ordered so that any prefix is class-balanced; "
        "`mnist_multilabel`: N canvases, nearly balanced; TFDS keeps its own order)")
    max_test_samples: int | None = setting(
        None, parse=validate.optional(Checker.integer), shown="all",
        why="the same for test images")
    classes: tuple[int, ...] | None = setting(
        None, parse=validate.optional(validate.items(partial(Checker.integer, minimum=0),
                                                     "[4, 9]")),
        shown="all digits; `[4, 9]` for `mnist_binary`", why="MNIST digits to keep, in "
        "class-index order (`mnist_binary`: exactly 2; `mnist_multilabel`: at least 2, its "
        "labels)")
    units: int | None = setting(None, parse=validate.optional(Checker.integer),
                                shown="tutorial rule",
                                why="output units of every cell of this dataset")
    split: tuple[str, str] | None = setting(
        None, parse=validate.optional(_split), shown="the tutorial's", why="TFDS splits as "
        "`{train: ..., test: ...}`; `mnist`: `train[:10%]` / `test[:10%]`, "
        "`horses_or_humans`: `train` / `test`, `voc2007`: `train+validation` / `test`; "
        "any other TFDS dataset: `train` / `test` where both exist, else a hold-out of "
        "`train` (`test_fraction`)")
    data_dir: str | None = setting(
        None, parse=validate.optional(Checker.string),
        shown="`$TFDS_DATA_DIR` or `~/tensorflow_datasets`", why="where TFDS keeps its files")
    path: str | None = setting(
        None, parse=validate.optional(Checker.string), shown="none", new=True,
        why="`source: folder`: the directory of class sub-folders (`DIR/<class>/`, or "
        "`DIR/train/<class>/` and `DIR/test/<class>/`); `source: npz`: the `.npz` file")
    image_key: str | None = setting(
        None, parse=validate.optional(Checker.string), shown="found", new=True,
        why="`source: tfds`: the image feature to read (default: the only `Image` "
        "feature, or `image`)")
    label_key: str | None = setting(
        None, parse=validate.optional(Checker.string), shown="found", new=True,
        why="`source: tfds`: the label feature: a `ClassLabel` (single-label) or a "
        "sequence of `ClassLabel` (multi-label); `a/b` reads `b` of each item of the "
        "sequence `a` (e.g. `objects/label`: the set of an image's object classes)")
    test_fraction: float | None = setting(
        None, parse=validate.optional(_fraction), shown=f"`{DEFAULT_TEST_FRACTION}`", new=True,
        why="the share of the training images held out as the test split (stratified, "
        f"seed {HOLD_OUT_SEED}) where the data has no test split: a folder without "
        "`train/` and `test/`, a TFDS dataset without `test`")
    facts: DatasetFacts | None = None  # read from the data (open sources): not a key

    @property
    def spec(self) -> vocab.DatasetSpec | None:
        """Its catalogue entry; None for a dataset of an open source."""
        return vocab.DATASETS.get(self.name) if self.facts is None else None

    def _facts(self) -> DatasetFacts:
        assert self.facts is not None or self.spec is not None, \
            f"dataset {self.name!r}: parse the config (config.describe) before using it"
        return self.facts

    @property
    def num_classes(self) -> int:
        if self.classes:
            return len(self.classes)
        return self.spec.num_classes if self.spec else self._facts().num_classes

    @property
    def multi_label(self) -> bool:
        return self.spec.multi_label if self.spec else self._facts().multi_label

    @property
    def encodings(self) -> tuple[str, ...]:
        """The label encodings that apply to its labels."""
        return tuple(e.name for e in vocab.ENCODINGS if e.multi_label == self.multi_label)

    @property
    def label_kind(self) -> str:
        """'multi-label' or 'single-label', for messages."""
        return "multi-label" if self.multi_label else "single-label"

    @property
    def splits(self) -> tuple[str, str | None]:
        if self.split:
            return self.split
        if self.spec:
            return self.spec.splits or ("train", "test")
        return self._facts().splits

    @property
    def hold_out_fraction(self) -> float:
        return self.test_fraction or DEFAULT_TEST_FRACTION
