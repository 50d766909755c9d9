"""Multi-label data: mnist_multilabel's canvases, VOC's labels as multi-hot rows, statistics.

mnist_multilabel holds one or two distinct MNIST digits per canvas. Its
canvases are composed after the embedded subset is split
(`embedded.interleaved_split`), each split from its own digit images only, so no
digit image is seen in both splits; every digit image is used exactly once.

A split's digit stream (round-robin over the classes) is cut into blocks of three
images per class. Each block is shuffled and cut into images of one digit, two
digits, one digit, two digits, ... (a shuffle that would put two images of the same
class on one canvas is drawn again), so every block gives as many one-digit as
two-digit canvases and holds every class equally often: any prefix of the canvases
(what `max_*_samples` keeps) is nearly balanced, as `mnist`'s prefixes are.
A canvas is two 28 x 28 slots side by side (28 x 56): a single digit goes into one
of them at random, two digits into both in random order; an empty slot stays black.
The pipeline resizes canvases to the backbone's square input like every image
(at 32 px: each digit 16 px wide and 32 px high). A 2 x 2 grid on a 56 x 56 canvas
would halve each digit both ways; on random-weight features a sigmoid + BCE head
then reached an exact-match accuracy of 0.09 (during the design) where these
canvases give 0.37 (lr 0.01, 40 epochs: 0.3733 in results/samples/default).
"""

from __future__ import annotations

from typing import Any

import numpy as np

TILE = 28  # the side of an MNIST image: digits are placed unscaled
SLOTS = 2  # side by side: room for the two digits at the largest size a 32 px input keeps
COPIES_PER_BLOCK = 3  # images per class in a block: one single and one pair per 3 digits
SEED = 0  # fixes the canvases, independent of any run seed
# Goes into the feature-cache key: change it whenever the canvases change.
RECIPE = f"{SLOTS} slots of {TILE}px side by side, blocks of {COPIES_PER_BLOCK} per class, 1-2 " \
         f"digits alternating, seed {SEED}, v1"


def _group_sizes(count: int) -> list[int]:
    """Digits per canvas for `count` digits: 1, 2, 1, 2, ..., a last 1 or 2 for the rest."""
    sizes = [1, 2] * (count // 3)
    return sizes + ([count % 3] if count % 3 else [])


def _block_groups(classes: np.ndarray, positions: np.ndarray,
                  rng: np.random.Generator) -> list[np.ndarray]:
    """One block's canvases: positions into the stream, one or two per canvas."""
    sizes = _group_sizes(len(positions))
    bounds = np.cumsum([0] + sizes)
    # Ends: the stream is round-robin, so a block holds every class equally often (give
    # or take one) and shuffles without a repeated class on a canvas exist; with ten
    # classes about half of all shuffles are such.
    while True:
        order = rng.permutation(positions)
        groups = [order[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        if all(len(set(classes[g].tolist())) == len(g) for g in groups):
            return groups


def compose(images: np.ndarray, labels: np.ndarray, num_classes: int,
            split_seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Canvases of one split and their multi-hot labels.

    Args:
        images: uint8 (N, 28, 28) digit images of one split, in the order of
            `embedded.interleaved_split` (round-robin over the classes).
        labels: int class indices in [0, num_classes), one per image.
        num_classes: length of the multi-hot vectors.
        split_seed: distinguishes the splits' draws (0 train, 1 test).

    Returns:
        uint8 canvases (M, 28, 56) and int64 multi-hot labels (M, num_classes), one
        or two ones per row: two canvases per three digits (one more for a remainder).

    Raises:
        ValueError: images that are not 28 x 28, or fewer than two classes.
    """
    if images.shape[1:] != (TILE, TILE):
        raise ValueError(f"Expected {TILE}x{TILE} digit images. Received: images of shape "
                         f"{images.shape}")
    if len(np.unique(labels)) < 2:
        raise ValueError(f"Expected digits of at least 2 classes. Received: classes "
                         f"{np.unique(labels).tolist()}")
    rng = np.random.default_rng((SEED, split_seed))
    block = COPIES_PER_BLOCK * len(np.unique(labels))
    groups = [g for start in range(0, len(labels), block)
              for g in _block_groups(labels, np.arange(start, min(start + block, len(labels))),
                                     rng)]
    canvases = np.zeros((len(groups), TILE, SLOTS * TILE), dtype=np.uint8)
    multi_hot = np.zeros((len(groups), num_classes), dtype=np.int64)
    for k, group in enumerate(groups):
        slots = rng.permutation(SLOTS)[:len(group)]
        for position, slot in zip(group, slots, strict=True):
            canvases[k, :, slot * TILE:(slot + 1) * TILE] = images[position]
            multi_hot[k, labels[position]] = 1
    return canvases, multi_hot


def majority_label_set(labels: np.ndarray) -> tuple[np.ndarray, float]:
    """The most common label set (a multi-hot row) and the share of rows that are it.

    Ties go to the set that sorts first (as bytes), so the answer is stable.
    """
    rows, counts = np.unique(np.asarray(labels), axis=0, return_counts=True)
    best = int(np.argmax(counts))
    return rows[best], float(counts[best] / counts.sum())


def label_statistics(labels: np.ndarray) -> dict[str, Any]:
    """What a multi-hot label matrix looks like.

    Returns:
        `images`; `frequency`, the share of images carrying each label; `cardinality`,
        the mean number of labels per image; `share_by_count`, the share of images with
        k labels, per k; `majority_set`, the indices of the most common label set, and
        `majority_rate`, its share (the exact-match accuracy of always predicting it).
    """
    labels = np.asarray(labels)
    counts = labels.sum(axis=1)
    values, per_count = np.unique(counts, return_counts=True)
    majority, rate = majority_label_set(labels)
    return {"images": len(labels), "frequency": labels.mean(axis=0).tolist(),
            "cardinality": float(counts.mean()),
            "share_by_count": {int(k): float(n / len(labels))
                               for k, n in zip(values, per_count, strict=True)},
            "majority_set": np.flatnonzero(majority).tolist(), "majority_rate": rate}
