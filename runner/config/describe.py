"""What a folder, an .npz or a TFDS dataset says of itself (classes, their names, the kind of
labels), read when the config is parsed, without loading an image."""

from __future__ import annotations

import hashlib
import pathlib
import zipfile
from typing import Any

from runner.config.schema import DatasetFacts
from runner.config.validate import Checker
from runner.errors import ConfigError, did_you_mean

# The extensions `keras.utils.image_dataset_from_directory` reads
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
NPZ_ARRAYS = ("train_images", "train_labels", "test_images", "test_labels")


def describe(check: Checker, values: dict[str, Any], path: str) -> DatasetFacts:
    """The facts of a dataset of source `tfds`, `folder` or `npz` (parsed keys in `values`);
    a ConfigError naming the file where the data is not what its source expects."""
    source, location = values["source"], values.get("path")
    if source == "tfds":
        if location is not None:
            raise check.fail(f"{path}.path", "no 'path' for `source: tfds` (TFDS reads "
                             "`data_dir`)", location)
        return _tfds(check, values, path)
    for key in ("image_key", "label_key", "split", "data_dir"):
        if values.get(key) is not None:
            raise check.fail(f"{path}.{key}", f"no '{key}' for `source: {source}` (a TFDS "
                             "key)", values[key])
    if location is None:
        what = "directory" if source == "folder" else ".npz file"
        raise check.fail(f"{path}.path", f"the {what} of `source: {source}`", None)
    where = pathlib.Path(location).expanduser()
    return (_folder if source == "folder" else _npz)(check, where, f"{path}.path")


def _folder(check: Checker, directory: pathlib.Path, path: str) -> DatasetFacts:
    """Classes from sub-folder names, in sorted order (as Keras's directory reader)."""
    if not directory.is_dir():
        raise check.fail(path, "an existing directory of class sub-folders", str(directory))
    both = all((directory / split).is_dir() for split in ("train", "test"))
    listing, counts = hashlib.sha256(), []
    for root in (directory / "train", directory / "test") if both else (directory,):
        classes = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        if len(classes) < 2:
            raise check.fail(path, "a directory with at least 2 class sub-folders (or "
                             "train/ and test/ each with them)", str(root),
                             f"found {len(classes)}: {[c.name for c in classes]}")
        counts.append({})
        for class_dir in classes:
            images = sorted(p for p in class_dir.rglob("*")
                            if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
            if not images:
                raise check.fail(path, f"at least one image ({', '.join(IMAGE_EXTENSIONS)}) "
                                 "in every class sub-folder", str(directory),
                                 f"{class_dir} has none")
            counts[-1][class_dir.name] = len(images)
            for image in images:
                stat = image.stat()
                listing.update(f"{image.relative_to(directory)}|{stat.st_size}|"
                               f"{stat.st_mtime_ns}\n".encode())
    names = tuple(counts[0])
    if both and set(counts[1]) != set(names):
        raise check.fail(path, "the same class sub-folders in train/ and test/",
                         str(directory), f"only in one of them: "
                         f"{sorted(set(names) ^ set(counts[1]))}")
    images = sum(sum(c.values()) for c in counts)
    layout = "train/ and test/" if both else "one sub-folder per class, test held out"
    return DatasetFacts(
        num_classes=len(names), class_names=names, multi_label=False,
        splits=("train", "test") if both else ("train", None),
        fingerprint=f"folder:{listing.hexdigest()[:16]}",
        detail=f"folder {directory} ({layout}; {len(names)} classes, {images} images)")


def _header(archive: zipfile.ZipFile, name: str) -> tuple[tuple[int, ...], Any]:
    """An array's shape and dtype from its .npy header, without reading its data."""
    import numpy as np

    with archive.open(f"{name}.npy") as f:
        version = np.lib.format.read_magic(f)
        read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                else np.lib.format.read_array_header_2_0)
        shape, _, dtype = read(f)
    return tuple(shape), dtype


def _npz(check: Checker, file: pathlib.Path, path: str) -> DatasetFacts:
    import numpy as np

    def bad(array: str, expected: str, received: Any) -> Exception:
        return check.fail(path, f"{file.name}: '{array}' {expected}", received)

    if not file.is_file():
        raise check.fail(path, "an existing .npz file", str(file))
    try:
        with zipfile.ZipFile(file) as archive:
            stored = {n.removesuffix(".npy") for n in archive.namelist()}
            if missing := [a for a in NPZ_ARRAYS if a not in stored]:
                raise check.fail(path, f"an .npz with the arrays {list(NPZ_ARRAYS)} (and "
                                 "optionally 'class_names')", str(file),
                                 f"it lacks {missing}; it has {sorted(stored)}")
            shapes = {s: _header(archive, f"{s}_images") for s in ("train", "test")}
        with np.load(file, allow_pickle=False) as npz:
            labels = {s: npz[f"{s}_labels"] for s in ("train", "test")}
            names = npz["class_names"] if "class_names" in stored else None
    except ConfigError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise check.fail(path, "an .npz file numpy reads with allow_pickle=False",
                         str(file), f"{type(e).__name__}: {e}") from None
    for split, (shape, dtype) in shapes.items():
        if dtype != np.uint8 or len(shape) not in (3, 4) or (
                len(shape) == 4 and shape[3] not in (1, 3)):
            raise bad(f"{split}_images", "uint8 (N, H, W), (N, H, W, 1) or (N, H, W, 3); "
                      "scale floats with (x * 255).round().astype('uint8')",
                      f"{dtype} {shape}")
        if shape[0] < 1:
            raise bad(f"{split}_images", "at least one image", shape)
    image_shape = shapes["train"][0][1:]
    if shapes["test"][0][1:] != image_shape:
        raise bad("test_images", f"the image shape of train_images {image_shape}",
                  shapes["test"][0][1:])
    train, test = labels["train"], labels["test"]
    for split, array in labels.items():
        n = shapes[split][0][0]
        kind = np.issubdtype(array.dtype, np.integer) or array.dtype == np.bool_
        if not kind or array.ndim not in (1, 2) or array.ndim != train.ndim:
            raise bad(f"{split}_labels", "integers: class indices (N,) or 0/1 rows (N, L) for "
                      "multi-label data, as train_labels", f"{array.dtype} {array.shape}")
        if len(array) != n:
            raise bad(f"{split}_labels", f"one label per image ({n})", len(array))
    if names is not None and (names.ndim != 1 or names.dtype.kind != "U"):
        raise bad("class_names", "a 1-D array of strings", f"{names.dtype} {names.shape}")
    multi_label = train.ndim == 2
    if multi_label:
        num_classes = train.shape[1]
        if test.shape[1] != num_classes:
            raise bad("test_labels", f"{num_classes} columns, as train_labels", test.shape)
    else:
        num_classes = len(names) if names is not None else int(train.max()) + 1
    for split, array in labels.items():
        if multi_label and not np.isin(array, (0, 1)).all():
            raise bad(f"{split}_labels", "0/1 values only (multi-label rows)",
                      sorted(set(np.unique(array).tolist()) - {0, 1})[:5])
        if not multi_label and (array.min() < 0 or array.max() >= num_classes):
            raise bad(f"{split}_labels", f"class indices from 0 to {num_classes - 1}",
                      f"values from {array.min()} to {array.max()}")
    if num_classes < 2:
        raise bad("train_labels", "at least 2 classes (or labels)", num_classes)
    if names is not None and len(names) != num_classes:
        raise bad("class_names", f"{num_classes} names, one per class", len(names))
    digest = hashlib.sha256()
    with open(file, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return DatasetFacts(
        num_classes=num_classes, multi_label=multi_label,
        class_names=tuple(map(str, range(num_classes) if names is None else names)),
        fingerprint=f"npz:sha256:{digest.hexdigest()[:16]}",
        detail=f"npz {file} ({num_classes} {'labels' if multi_label else 'classes'}, "
               f"{len(train)} train / {len(test)} test images)")


def _label_of(features: Any, key: str) -> tuple[Any, bool] | None:
    """(the ClassLabel, multi-label?) of a label key ('label' or 'objects/label'), or None."""
    import tensorflow_datasets as tfds

    outer, _, inner = key.partition("/")
    if outer not in features:  # a FeaturesDict: no `get`
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
    chosen = candidates if len(candidates) == 1 else [p for p in preferred if p in candidates]
    if chosen:
        return chosen[0]
    if not candidates:
        raise check.fail(f"{path}.name", "an image classification dataset: an `Image` "
                         "feature and a `ClassLabel` (or a sequence of `ClassLabel`) feature",
                         name, f"{name} has features {{{shown}}}: it has no {what}; give "
                         f"`{override}` if one is nested")
    raise check.fail(f"{path}.{override}", f"one {what} to read; found {candidates}",
                     None, f"give `{override}`")


def _tfds(check: Checker, values: dict[str, Any], path: str) -> DatasetFacts:
    """An image classification dataset's features, classes and splits, from its TFDS builder's
    `info` (the prepared data dir's, else TFDS's code; imports tensorflow_datasets)."""
    import tensorflow_datasets as tfds

    name = values["name"]
    try:
        builder = tfds.builder(name, data_dir=values.get("data_dir"))
    except tfds.core.registered.DatasetNotFoundError:
        known = tfds.list_builders(with_community_datasets=False)
        hint = did_you_mean(name.split(":")[0].split("/")[0], known).lstrip(". ")
        raise check.fail(f"{path}.name", "a TFDS dataset name (`tfds.list_builders()`) or "
                         "one prepared in `data_dir`", name, hint) from None
    except Exception as e:  # a bad version or config, an unreadable dataset_info.json
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise check.fail(f"{path}.name", "a TFDS dataset TFDS can build", name,
                         f"{type(e).__name__}: {first}") from None
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
    if (label := _label_of(features, label_key)) is None:
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
    return DatasetFacts(
        num_classes=class_label.num_classes, class_names=tuple(class_label.names),
        multi_label=multi_label, splits=chosen, image_key=image_key, label_key=label_key,
        fingerprint=f"tfds:{builder.info.full_name}",
        detail=f"tfds {builder.info.full_name} {image_key} -> {label_key} "
               f"({class_label.num_classes} {'labels' if multi_label else 'classes'})")
