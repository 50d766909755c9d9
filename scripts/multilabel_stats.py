"""Print the label statistics of mnist_multilabel (docs/multilabel.md's table) as Markdown.

    python scripts/multilabel_stats.py

Every number comes from the canvases themselves (`label_statistics`), so the table can be
checked, and regenerated when the construction changes.
"""

import sys
from typing import Any

import numpy as np

from runner.config import DatasetConfig
from runner.data.arrays import load_dataset
from runner.data.multilabel import majority_label_set
from runner.data.sources import resolve_source


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


def main() -> int:
    dataset = DatasetConfig("mnist_multilabel")
    data = load_dataset(dataset, resolve_source(dataset))
    print("| split | canvases | 1 digit | 2 digits | label cardinality | each digit on "
          "| most common label set | exact-match majority rate |")
    print("|---|---|---|---|---|---|---|---|")
    for split, labels in (("train", data.train_labels), ("test", data.test_labels)):
        stats = label_statistics(labels)
        shares = stats["share_by_count"]
        frequency = stats["frequency"]
        spread = (f"{min(frequency):.4f}" if min(frequency) == max(frequency)
                  else f"{min(frequency):.4f} to {max(frequency):.4f}")
        majority = "{" + ", ".join(data.class_names[i] for i in stats["majority_set"]) + "}"
        print(f"| {split} | {stats['images']:,} | {shares.get(1, 0):.4f} | "
              f"{shares.get(2, 0):.4f} | {stats['cardinality']:.4f} | {spread} | {majority} "
              f"| {stats['majority_rate']:.4f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
