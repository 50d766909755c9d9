"""Frozen-backbone features of a dataset, computed once and kept in an on-disk cache: keyed by
everything that determines them, written atomically with a checksum; a corrupt entry warns
and is rebuilt, never used."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import pathlib
import warnings
from typing import Any

import numpy as np

from runner.config import DatasetConfig
from runner.data.arrays import Progress, load_dataset
from runner.data.sources import SourceDecision
from runner.errors import CheatgridWarning
from runner.features.backbone import Backbone, extract_features
from runner.store.atomic import atomic_write

CACHE_ENV = "CHEATGRID_CACHE_DIR"
# Bump when data.image_pipeline changes what the backbone sees.
PREPROCESSING = "resize(bilinear)->/255->grayscale_to_rgb v1"
# Bump when data.arrays changes how folders, .npz files or TFDS datasets are read.
OPEN_READER = "open_sources v1"
_ARRAYS = ("train_x", "train_labels", "test_x", "test_labels")


@dataclasses.dataclass(frozen=True)
class Features:
    """Frozen-backbone features and integer labels of one dataset, both splits."""

    train_x: np.ndarray
    train_labels: np.ndarray
    test_x: np.ndarray
    test_labels: np.ndarray


def cache_dir() -> pathlib.Path:
    """$CHEATGRID_CACHE_DIR, else the user's cache directory (platformdirs: on Linux
    `$XDG_CACHE_HOME/cheatgrid`, by default `~/.cache/cheatgrid`)."""
    import platformdirs

    given = os.environ.get(CACHE_ENV)
    return pathlib.Path(given).expanduser() if given else \
        pathlib.Path(platformdirs.user_cache_dir("cheatgrid", appauthor=False))


def _data_identity(dataset: DatasetConfig, decision: SourceDecision) -> dict[str, Any]:
    identity: dict[str, Any] = {"name": dataset.name, "source": decision.source,
                                "detail": decision.detail,
                                "max_train_samples": dataset.max_train_samples,
                                "max_test_samples": dataset.max_test_samples,
                                "classes": dataset.classes}
    if (facts := dataset.facts) is not None:  # an open source: its content digest, its reading
        identity.update(fingerprint=facts.fingerprint, splits=dataset.splits,
                        test_fraction=dataset.hold_out_fraction, image_key=facts.image_key,
                        label_key=facts.label_key, data_dir=dataset.data_dir,
                        reader=OPEN_READER)
    elif decision.source == "tfds":
        identity.update(splits=dataset.splits, data_dir=dataset.data_dir)
    else:  # the embedded file's bytes, so a regenerated file is a new entry
        from runner.data.embedded import embedded_digest

        identity["embedded_sha256"] = embedded_digest()
        if dataset.spec.multi_label:  # canvases composed in code: a new recipe, a new entry
            from runner.data.multilabel import RECIPE

            identity["recipe"] = RECIPE
    return identity


def feature_key(dataset: DatasetConfig, decision: SourceDecision,
                backbone: Backbone) -> tuple[str, dict[str, Any]]:
    """The cache key of a dataset's features: (hex digest, the dict it digests)."""
    import keras
    import tensorflow as tf

    key = {"data": _data_identity(dataset, decision), "preprocessing": PREPROCESSING,
           "backbone": backbone.fingerprint, "input_size": backbone.input_size,
           "versions": {"tensorflow": tf.__version__, "keras": keras.__version__,
                        "numpy": np.__version__}}
    canonical = json.dumps(key, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:24], key


def _checksum(arrays: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for name in _ARRAYS:
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(arrays[name]).tobytes())
    return digest.hexdigest()


def _load(path: pathlib.Path) -> tuple[Features, dict[str, Any]] | None:
    """A cached entry, or None when it is missing; a corrupt one warns and is removed."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in _ARRAYS}
            meta = json.loads(str(npz["meta"]))
            if _checksum(arrays) != str(npz["checksum"]):
                raise ValueError("checksum mismatch")
    except Exception as e:  # truncated zip, missing array, bad JSON, flipped bits
        warnings.warn(f"feature cache entry {path} is corrupt ({type(e).__name__}: {e}); "
                      "rebuilding it", CheatgridWarning, stacklevel=2)
        path.unlink(missing_ok=True)
        return None
    return Features(**arrays), meta


def dataset_features(dataset: DatasetConfig, decision: SourceDecision, backbone: Backbone,
                     use_cache: bool = True, progress: Progress | None = None,
                     ) -> tuple[Features, dict[str, Any]]:
    """Features and data facts (`data_detail`, `n_train`, `n_test`) of a dataset: a cache hit
    loads no data and runs no backbone; `progress` gets (what, done, total) as data loads
    and as the backbone runs (`features mnist`, images done of train and test together)."""
    path = None
    if use_cache:
        digest, key = feature_key(dataset, decision, backbone)
        path = cache_dir() / f"features-{digest}.npz"
        entry = _load(path)
        if entry is not None:
            return entry[0], {**entry[1], "feature_cache": "hit"}
    arrays = load_dataset(dataset, decision, backbone.input_size, progress)
    label, total = f"features {dataset.name}", arrays.n_train + arrays.n_test

    def done(offset: int):
        return None if progress is None else lambda n: progress(label, offset + n, total)

    features = Features(extract_features(backbone, arrays.train_images, done(0)),
                        arrays.train_labels,
                        extract_features(backbone, arrays.test_images, done(arrays.n_train)),
                        arrays.test_labels)
    meta = {"data_detail": arrays.detail, "n_train": arrays.n_train, "n_test": arrays.n_test}
    if path is not None:
        buffer = io.BytesIO()
        np.savez(buffer, **vars(features), meta=json.dumps({**meta, "key": key}),
                 checksum=_checksum(vars(features)))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, buffer.getvalue(), durable=True)
        except OSError as e:  # a full or read-only disk costs speed, not results
            warnings.warn(f"could not write the feature cache entry {path}: {e}",
                          CheatgridWarning, stacklevel=2)
    return features, {**meta, "feature_cache": "miss" if use_cache else "off"}
