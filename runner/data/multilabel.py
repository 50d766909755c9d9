"""mnist_multilabel's canvases: one or two distinct MNIST digits side by side, composed from
each split's own digits (docs/multilabel.md says how and why); the majority label set."""

from __future__ import annotations

import numpy as np

TILE = 28  # the side of an MNIST image: digits are placed unscaled
SLOTS = 2  # side by side: room for the two digits at the largest size a 32 px input keeps
COPIES_PER_BLOCK = 3  # images per class in a block: one single and one pair per 3 digits
SEED = 0  # fixes the canvases, independent of any run seed
# Goes into the feature-cache key: change it whenever the canvases change.
RECIPE = f"{SLOTS} slots of {TILE}px side by side, blocks of {COPIES_PER_BLOCK} per class, 1-2 " \
         f"digits alternating, seed {SEED}, v1"


def _block_groups(classes: np.ndarray, positions: np.ndarray,
                  rng: np.random.Generator) -> list[np.ndarray]:
    """One block's canvases (1, 2, 1, 2, ... digits, a last 1 or 2): positions into the stream."""
    count = len(positions)
    sizes = [1, 2] * (count // 3) + ([count % 3] if count % 3 else [])
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
    """uint8 canvases (M, 28, 56) and int64 multi-hot labels (M, num_classes) of one split's
    digits (N, 28, 28) in round-robin order; `split_seed` tells the splits' draws apart."""
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
    """The most common label set (a multi-hot row; ties to the first as bytes) and its share."""
    rows, counts = np.unique(np.asarray(labels), axis=0, return_counts=True)
    best = int(np.argmax(counts))
    return rows[best], float(counts[best] / counts.sum())
