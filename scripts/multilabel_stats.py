"""Print the label statistics of mnist_multilabel (README's table) as Markdown.

    python scripts/multilabel_stats.py

Every number comes from the canvases themselves (`multilabel.label_statistics`), so
the README's table can be checked, and regenerated when the construction changes.
"""

import sys

from runner.config import DatasetConfig
from runner.data.arrays import load_dataset
from runner.data.multilabel import label_statistics
from runner.data.sources import resolve_source


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
