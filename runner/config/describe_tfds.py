"""Any TFDS image classification dataset: its image and label features, classes and splits,
from the builder's `info` (read from the data dir when prepared, else from TFDS's code).

Imports `tensorflow_datasets` (not TensorFlow), only for a TFDS dataset the catalogue
does not list.
"""

from __future__ import annotations

from typing import Any

from runner.config.dataset import DatasetFacts
from runner.config.validate import Checker
from runner.errors import did_you_mean


def _builder(check: Checker, name: str, data_dir: str | None, path: str) -> Any:
    import tensorflow_datasets as tfds

    try:
        return tfds.builder(name, data_dir=data_dir)
    except tfds.core.registered.DatasetNotFoundError:
        known = tfds.list_builders(with_community_datasets=False)
        hint = did_you_mean(name.split(":")[0].split("/")[0], known).lstrip(". ")
        raise check.fail(f"{path}.name", "a TFDS dataset name (`tfds.list_builders()`) or "
                         "one prepared in `data_dir`", name, hint) from None
    except Exception as e:  # a bad version or config, an unreadable dataset_info.json
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise check.fail(f"{path}.name", "a TFDS dataset TFDS can build", name,
                         f"{type(e).__name__}: {first}") from None


def _label_of(features: Any, key: str) -> tuple[Any, bool] | None:
    """(the ClassLabel, multi-label?) of a label key ('label' or 'objects/label'), or None."""
    import tensorflow_datasets as tfds

    outer, _, inner = key.partition("/")
    if outer not in features:
        return None
    feature = features[outer]
    if isinstance(feature, tfds.features.ClassLabel) and not inner:
        return feature, False
    if isinstance(feature, tfds.features.Sequence):
        item = feature.feature
        if inner:
            item = item[inner] if isinstance(item, tfds.features.FeaturesDict) and \
                inner in item else None
        if isinstance(item, tfds.features.ClassLabel):
            return item, True
    return None


def _pick(check: Checker, candidates: list[str], preferred: tuple[str, ...], what: str,
          override: str, path: str, name: str, shown: str) -> str:
    if len(candidates) == 1:
        return candidates[0]
    for preferred_name in preferred:
        if preferred_name in candidates:
            return preferred_name
    if not candidates:
        raise check.fail(f"{path}.name", "an image classification dataset: an `Image` "
                         "feature and a `ClassLabel` (or a sequence of `ClassLabel`) feature",
                         name, f"{name} has features {{{shown}}}: it has no {what}; give "
                         f"`{override}` if one is nested")
    raise check.fail(f"{path}.{override}", f"one {what} to read; found {candidates}",
                     None, f"give `{override}`")


def describe_tfds(check: Checker, values: dict[str, Any], path: str) -> DatasetFacts:
    """The facts of `{name: NAME, source: tfds}` for a name the catalogue does not list.

    Raises:
        ConfigError: an unknown name (with a did-you-mean over `tfds.list_builders()`),
            a dataset that is not image classification (saying what it has), or
            image / label keys that are not such features.
    """
    import tensorflow_datasets as tfds

    name = values["name"]
    builder = _builder(check, name, values.get("data_dir"), path)
    features = builder.info.features
    shown = ", ".join(f"{k}: {type(v).__name__}" for k, v in features.items())
    image_key = values.get("image_key")
    if image_key is None:
        images = [k for k, v in features.items() if isinstance(v, tfds.features.Image)]
        image_key = _pick(check, images, ("image",), "`Image` feature", "image_key", path,
                          name, shown)
    elif image_key not in features or not isinstance(features[image_key],
                                                     tfds.features.Image):
        raise check.fail(f"{path}.image_key", f"an `Image` feature of {name}", image_key,
                         f"its features: {{{shown}}}")
    label_key = values.get("label_key")
    if label_key is None:
        labels = [k for k in features if _label_of(features, k) is not None]
        label_key = _pick(check, labels, ("label", "labels"), "`ClassLabel` feature",
                          "label_key", path, name, shown)
    label = _label_of(features, label_key)
    if label is None:
        raise check.fail(f"{path}.label_key", f"a `ClassLabel` feature of {name}, a "
                         "sequence of them, or `a/b` for `ClassLabel` b of sequence a",
                         label_key, f"its features: {{{shown}}}")
    class_label, multi_label = label
    if class_label.num_classes < 2:
        raise check.fail(f"{path}.label_key", "a label with at least 2 classes", label_key)
    splits = tuple(builder.info.splits)
    if values.get("split") is not None:
        chosen: tuple[str, str | None] = values["split"]
    elif not splits or {"train", "test"} <= set(splits):
        # unknown until prepared: TFDS's usual names (a prepared dataset without 'test'
        # is held out when it loads, `data.arrays`)
        chosen = ("train", "test")
    elif "train" in splits:
        chosen = ("train", None)
    else:
        raise check.fail(f"{path}.split", "`{train: ..., test: ...}`: the dataset has no "
                         "'train' split", None, f"its splits: {list(splits)}")
    names = tuple(class_label.names)
    return DatasetFacts(
        num_classes=class_label.num_classes, class_names=names, multi_label=multi_label,
        splits=chosen, image_key=image_key, label_key=label_key,
        fingerprint=f"tfds:{builder.info.full_name}",
        detail=f"tfds {builder.info.full_name} {image_key} -> {label_key} "
               f"({class_label.num_classes} {'labels' if multi_label else 'classes'})")
