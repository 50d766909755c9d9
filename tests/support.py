"""What tests share: small configs, a real grid run through the CLI, and the one factory of
hand-made result rows (small numbers that can be checked by eye)."""

from __future__ import annotations

import pathlib
from typing import Any

import pandas as pd
import yaml

from runner import vocab
from runner.cli import main as cli

# A valid config small enough to train in seconds: every test starts from it.
TINY = {
    "name": "tiny",
    "backbone": {"name": "vgg16", "weights": "random", "input_size": 32},
    "training": {"epochs": 2, "batch_size": 64, "learning_rate": 0.001, "seed": 42},
    "datasets": [{"name": "mnist", "source": "embedded", "max_train_samples": 256,
                  "max_test_samples": 128}],
    "grid": {"encoding": ["integer", "onehot"], "activation": ["none", "sigmoid", "softmax"],
             "loss": ["binary_crossentropy", "categorical_crossentropy",
                      "sparse_categorical_crossentropy"],
             "from_logits": [True, False],
             "metric": ["accuracy", "binary_accuracy", "categorical_accuracy",
                        "sparse_categorical_accuracy"]},
}

# A grid of a few dozen embedded images that trains in seconds per cell: the executor
# tests (supervisor, Ray) run it.
SMALL = {"name": "small",
         "training": {"epochs": 2, "batch_size": 32, "learning_rate": 0.01, "seeds": [1, 2]},
         "datasets": [{"name": "mnist_binary", "max_train_samples": 64,
                       "max_test_samples": 32}],
         "grid": {"encoding": ["integer", "onehot"], "activation": ["sigmoid", "softmax"],
                  "loss": ["binary_crossentropy", "sparse_categorical_crossentropy"],
                  "from_logits": [False], "metric": ["accuracy", "binary_accuracy"]}}
CELLS = 2 * 2 * 2 * 1 * 2  # SMALL's cells per seed

TIMES = ["train_seconds", "eval_seconds", "finished_at"]  # the only columns allowed to differ
# What a cell's training gave: comparable between runs with other seeds or other cells
# (head ids hash the seed list; equivalence groups number the heads of a run).
OUTCOME = ["status", "phase", "error_type", "test_metric", "test_loss", "reference_accuracy",
           "majority_rate", "metric_resolved", "metric_gap", "verdict", "diverged",
           "constant_predictions", "n_train", "n_test", "weights"]


PROVENANCE = {"run_name": "hand", "keras_version": "3.15.1", "tf_version": "2.21.0",
              "weights": "random(he_normal,seed=0)", "weights_requested": "random",
              "device": "cpu", "data_source": "embedded", "n_train": 40, "n_test": 20,
              "epochs": 3}


def row(dataset: str = "mnist", encoding: str = "onehot", activation: str = "softmax",
        loss: str = "categorical_crossentropy", from_logits: bool = False,
        metric: str = "categorical_accuracy", value: float | None = 0.8,
        reference: float | None = None, seed: int = 42, error: str | None = None,
        **extra: Any) -> dict[str, Any]:
    """One result row as the runner writes it (verdict inputs included).

    `reference` defaults to `value` (an `ok` cell when above the majority rate 0.5);
    `error` makes it an error cell raised in `fit`; `extra` overrides any field.
    """
    head = f"{dataset}/{encoding}/{activation}/{loss}/logits={str(from_logits).lower()}"
    reference = value if reference is None else reference
    ok = error is None
    return {
        "cell_id": f"{head}/{metric}".replace("/", "."), "name": f"{head}/{metric}",
        "dataset": dataset, "encoding": encoding, "units": 10 if dataset == "mnist" else 2,
        "activation": activation, "loss": loss, "from_logits": from_logits, "metric": metric,
        "num_classes": vocab.DATASETS[dataset].num_classes, "seed": seed,
        "head_id": head.replace("/", "-"), "status": "ok" if ok else "error",
        "phase": None if ok else "fit", "error_type": error,
        "error_message": None if ok else "Arguments `target` and `output` differ",
        "test_metric": value if ok else None, "test_loss": 0.5 if ok else None,
        "reference_accuracy": reference if ok else None, "majority_rate": 0.5,
        "metric_gap": value - reference if ok else None, "constant_predictions": False,
        "recommended": False, "data_detail": f"embedded {dataset} (hand-made)",
        "history_loss": [0.9, 0.6, 0.4] if ok else None,
        "history_test_metric": [0.5, 0.7, value] if ok else None,
        "history_reference_accuracy": [0.5, 0.7, reference] if ok else None,
        **PROVENANCE, **extra}


def run_grid(root: pathlib.Path, doc: dict, *flags: str) -> tuple[pathlib.Path, pd.DataFrame]:
    """Run `cheatgrid grid` on `doc` (written to root) into root/run; its results table."""
    config = root / f"{doc['name']}.yaml"
    config.write_text(yaml.safe_dump(doc), encoding="utf-8")
    out = root / "run"
    assert cli.main(["grid", str(config), "--out", str(out), "--no-progress", *flags]) == 0
    return out, pd.read_csv(out / "results.csv")


def select(df: pd.DataFrame, **where) -> pd.DataFrame:
    """The rows of `df` whose columns equal every given value."""
    mask = pd.Series(True, index=df.index)
    for key, value in where.items():
        mask &= df[key] == value
    return df[mask]


# Data the open-source tests make: embedded MNIST digits, so that heads can learn from them.
def digit_images(per_class: int, classes: tuple[int, ...] = tuple(range(10)), side: int = 32,
                 offset: int = 0) -> tuple[Any, Any]:
    """`per_class` embedded digits of each class (from the `offset`-th on), as uint8 RGB
    (N, side, side, 3) images padded from 28 px, interleaved by class; labels 0..len-1."""
    import numpy as np

    from runner.data.embedded import embedded_mnist

    images, labels = embedded_mnist()
    picked = [np.flatnonzero(labels == digit)[offset:offset + per_class] for digit in classes]
    order = np.stack(picked, axis=1).reshape(-1)  # one of each class in turn
    pad = (side - 28) // 2
    grey = np.pad(images[order], ((0, 0), (pad, side - 28 - pad), (pad, side - 28 - pad)))
    index = {digit: i for i, digit in enumerate(classes)}
    return np.repeat(grey[..., None], 3, axis=-1), np.array([index[d] for d in labels[order]])


CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck")


def store_cifar10(data_dir: pathlib.Path, n_train_per_class: int, n_test_per_class: int) -> None:
    """A real TFDS `cifar10` (the registered builder's own features: 32x32x3, 10 classes)
    whose images are digits, prepared in `data_dir` as `tfds.load` will read it."""
    import tensorflow_datasets as tfds

    # the registered builder's features, its class names inline (a stored copy of the
    # registered ones would lose them: TFDS keeps them in a file it does not write here)
    features = tfds.features.FeaturesDict({
        "id": tfds.features.Text(), "image": tfds.features.Image(shape=(32, 32, 3)),
        "label": tfds.features.ClassLabel(names=CIFAR10_CLASSES)})
    splits = {}
    for split, n, offset in (("train", n_train_per_class, 0),
                             ("test", n_test_per_class, n_train_per_class)):
        images, labels = digit_images(n, offset=offset)
        splits[split] = [(i, {"id": f"{split}_{i:05d}", "image": image, "label": int(label)})
                         for i, (image, label) in enumerate(zip(images, labels, strict=True))]
    tfds.dataset_builders.store_as_tfds_dataset(
        "cifar10", "3.0.2", features, splits, data_dir=str(data_dir), disable_shuffling=True)


def write_image_folder(root: pathlib.Path, classes: tuple[int, ...], per_class: int,
                       sizes: tuple[int, ...] = (28,)) -> pathlib.Path:
    """`root/<digit name>/<i>.png`: digits as PNG files, their sides cycling over `sizes`."""
    from PIL import Image

    names = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    images, labels = digit_images(per_class, classes, side=28)
    for i, (image, label) in enumerate(zip(images, labels, strict=True)):
        folder = root / names[classes[label]]
        folder.mkdir(parents=True, exist_ok=True)
        side = sizes[i % len(sizes)]
        Image.fromarray(image).resize((side, side)).save(folder / f"{i:04d}.png")
    return root


def write_config(folder: pathlib.Path, doc: dict) -> pathlib.Path:
    """`doc` as `<name>.yaml` in `folder`."""
    path = folder / f"{doc['name']}.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def grid(config: pathlib.Path, out: pathlib.Path, *flags: str) -> int:
    """`cheatgrid grid` in this process, without cache or progress bar: its exit code."""
    return cli.main(["grid", str(config), "--out", str(out), "--no-progress", "--no-cache",
                     *flags])


def results_table(out: pathlib.Path) -> pd.DataFrame:
    """A run's results.csv indexed by (cell id, seed); fails when a pair is there twice."""
    table = pd.read_csv(out / "results.csv")
    keys = list(zip(table["cell_id"], table["seed"], strict=True))
    assert len(keys) == len(set(keys)), "a (cell, seed) written twice"
    return table.set_index(["cell_id", "seed"]).sort_index()


def same_results(expected: pd.DataFrame, got: pd.DataFrame,
                 columns: list[str] | None = None) -> None:
    """The same rows; equal in `columns`, by default all but the times."""
    assert list(expected.index) == list(got.index)
    columns = columns or [c for c in expected.columns if c not in TIMES]
    # A TensorFlow runtime error names whichever failing op reported first, which can
    # change from one run to the next (docs: `error_message`); its type does not.
    racy = expected["error_type"] == "InvalidArgumentError"
    expected, got = expected.copy(), got.copy()
    if "error_message" in columns:
        expected.loc[racy, "error_message"] = got.loc[racy, "error_message"]
    # dtype aside: a column that is empty on crash rows reads back as object
    pd.testing.assert_frame_equal(expected[columns], got[columns], check_dtype=False)
