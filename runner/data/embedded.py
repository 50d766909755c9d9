"""The embedded MNIST subset: 5,000 digits shipped in the package, split without a download
(stratified, fixed, each split round-robin over the classes so that any prefix is balanced)."""

from __future__ import annotations

import functools
import hashlib
import importlib.resources

import numpy as np

EMBEDDED_TEST_PER_CLASS = 100  # 1,000 test images out of the 5,000
SPLIT_SEED = 0  # fixes which embedded images are test images, independent of any run seed
_FILE = importlib.resources.files("runner") / "embedded" / "mnist_5k.npz"


@functools.lru_cache(maxsize=1)
def embedded_digest() -> str:
    """SHA-256 of the embedded data file (part of the feature-cache key)."""
    return hashlib.sha256(_FILE.read_bytes()).hexdigest()


@functools.lru_cache(maxsize=1)
def embedded_mnist() -> tuple[np.ndarray, np.ndarray]:
    """The embedded subset (500 per class): images (N, 28, 28), labels (N,)."""
    with _FILE.open("rb") as f, np.load(f) as npz:
        return npz["images"], npz["labels"].astype(np.int64)


def class_order(labels: np.ndarray) -> np.ndarray:
    """Indices that interleave the classes (one of each in turn, each class in its own
    order), so that any prefix is nearly class-balanced; multi-hot rows keep their order."""
    if labels.ndim != 1:
        return np.arange(len(labels))
    rank = np.empty(len(labels), dtype=np.int64)
    for c in np.unique(labels):
        indices = np.flatnonzero(labels == c)
        rank[indices] = np.arange(len(indices))
    return np.lexsort((labels, rank))


def interleaved_split(labels: np.ndarray, test_per_class: int,
                      seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) indices: each class shuffled with `seed`, its first `test_per_class` to
    test; both splits in `class_order`."""
    rng = np.random.default_rng(seed)
    per_class = [rng.permutation(np.flatnonzero(labels == c)) for c in np.unique(labels)]
    assert min(map(len, per_class)) > test_per_class  # the embedded file: 500 per class
    splits = [np.concatenate([ix[test_per_class:] for ix in per_class]),
              np.concatenate([ix[:test_per_class] for ix in per_class])]
    return tuple(split[class_order(labels[split])] for split in splits)


def select_digits(images: np.ndarray, labels: np.ndarray, digits: tuple[int, ...],
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Keep the images of `digits`; class index i is `digits[i]`."""
    keep = np.isin(labels, digits)
    lookup = np.full(10, -1, dtype=np.int64)
    lookup[list(digits)] = np.arange(len(digits))
    return images[keep], lookup[labels[keep]]
