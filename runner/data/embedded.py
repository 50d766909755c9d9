"""The embedded MNIST subset: 5,000 digits shipped in the package, split without a download.

The split is stratified and fixed (seed 0): 100 images per class for test, the
rest for training, each split ordered round-robin over the classes so that any
prefix (what `max_*_samples` keeps) is class-balanced.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources

import numpy as np

EMBEDDED_FILE = "mnist_5k.npz"
EMBEDDED_TEST_PER_CLASS = 100  # 1,000 test images out of the 5,000
SPLIT_SEED = 0  # fixes which embedded images are test images, independent of any run seed


@functools.lru_cache(maxsize=1)
def embedded_digest() -> str:
    """SHA-256 of the embedded data file (part of the feature-cache key)."""
    resource = importlib.resources.files("runner") / "embedded" / EMBEDDED_FILE
    return hashlib.sha256(resource.read_bytes()).hexdigest()


@functools.lru_cache(maxsize=1)
def embedded_mnist() -> tuple[np.ndarray, np.ndarray]:
    """The embedded 5,000-image MNIST subset (500 per class): images (N, 28, 28), labels (N,)."""
    resource = importlib.resources.files("runner") / "embedded" / EMBEDDED_FILE
    with resource.open("rb") as f, np.load(f) as npz:
        return npz["images"], npz["labels"].astype(np.int64)


def interleaved_split(labels: np.ndarray, test_per_class: int,
                      seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Stratified train/test indices, ordered round-robin over classes.

    Each class's indices are shuffled with `seed`; the first `test_per_class`
    go to test. Both splits are then interleaved class by class, so any prefix
    (what `max_*_samples` keeps) is as balanced as it can be.

    Returns:
        (train_indices, test_indices)
    """
    rng = np.random.default_rng(seed)
    per_class = [rng.permutation(np.flatnonzero(labels == c)) for c in np.unique(labels)]
    if min(len(ix) for ix in per_class) <= test_per_class:
        raise ValueError(f"Expected more than {test_per_class} images per class. "
                         f"Received: {min(len(ix) for ix in per_class)}")

    def round_robin(chunks: list[np.ndarray]) -> np.ndarray:
        order = [(pos, k) for k, chunk in enumerate(chunks) for pos in range(len(chunk))]
        order.sort()
        return np.array([chunks[k][pos] for pos, k in order], dtype=np.int64)

    test = round_robin([ix[:test_per_class] for ix in per_class])
    train = round_robin([ix[test_per_class:] for ix in per_class])
    return train, test


def select_digits(images: np.ndarray, labels: np.ndarray, digits: tuple[int, ...],
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Keep the images of `digits`; class index i is `digits[i]`."""
    keep = np.isin(labels, digits)
    lookup = np.full(10, -1, dtype=np.int64)
    lookup[list(digits)] = np.arange(len(digits))
    return images[keep], lookup[labels[keep]]
