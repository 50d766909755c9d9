"""The tutorial's way: `Input -> VGG16(training=False) -> GAP -> Dense` trained on the image
pipeline every step (end-to-end mode; required to fine-tune), and `--verify`."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from runner.data.arrays import DatasetArrays
from runner.data.pipeline import encode_labels, image_pipeline
from runner.features.backbone import Backbone
from runner.grid import Cell
from runner.train.outcomes import GroupResult
from runner.train.reference import evaluate_metric, fit_head, head_layer

VERIFY_TOLERANCE = 1e-4  # composed vs cached evaluation: float32 through 13 convolutions


def compose(backbone: Backbone, cell: Cell, seed: int, trainable: bool = False,
            head_weights: list[np.ndarray] | None = None):
    """The tutorial's keras.Model and its feature model (VGG16 + GAP; to fine-tune, a
    private copy with the same weights)."""
    import keras

    base = backbone.model
    if trainable:
        base = keras.models.clone_model(backbone.model)
        base.set_weights(backbone.model.get_weights())
        for layer in base.layers:  # the cloned VGG16 keeps its frozen flag otherwise
            layer.trainable = True
    inputs = keras.Input((backbone.input_size, backbone.input_size, 3))
    head = head_layer(cell, seed)
    model = keras.Model(inputs, head(base(inputs, training=False)), name="tutorial_model")
    if head_weights is not None:
        head.set_weights(head_weights)
    return model, base


def train_end_to_end(cells: list[Cell], arrays: DatasetArrays, backbone: Backbone,
                     trainable: bool, seed: int, callbacks: tuple = ()) -> GroupResult:
    """Train a group's composed model on the image pipeline: `reference.train_group`'s rows
    (`callbacks`: more for `fit`; the benchmark times epochs with one)."""
    cell, training, size = cells[0], cells[0].training, backbone.input_size
    return fit_head(
        cells, (arrays.train_labels, arrays.test_labels), seed,
        {"head_id": cell.head_id, "heads_trained_together": 1,
         "mode": "fine-tune" if trainable else "end-to-end"},
        lambda: compose(backbone, cell, seed, trainable)[0],
        lambda y, drop: image_pipeline(arrays.train_images, size, training.batch_size, y,
                                       seed if training.shuffle else None, drop,
                                       preprocess=backbone.preprocess),
        lambda: np.concatenate(list(image_pipeline(arrays.test_images, size,
                                                   backbone.batch_size,
                                                   preprocess=backbone.preprocess))),
        lambda y: image_pipeline(arrays.test_images, size, training.batch_size, y,
                                 preprocess=backbone.preprocess),
        lambda model, images: np.asarray(model.layers[-2].predict(  # the base: VGG16 + GAP
            images, batch_size=backbone.batch_size, verbose=0)),
        callbacks)


def verify(cell: Cell, row: dict[str, Any], head_weights: list[np.ndarray],
           logits: np.ndarray, arrays: DatasetArrays, backbone: Backbone,
           seed: int) -> list[str]:
    """Evaluate the composed model (frozen base, trained head) on the raw test images
    against the cached evaluation: one line per check, 'ok' or 'MISMATCH' first."""
    model, base = compose(backbone, cell, seed, head_weights=head_weights)
    y_test = encode_labels(arrays.test_labels, cell.encoding, cell.num_classes, cell.units)
    test_ds = image_pipeline(arrays.test_images, backbone.input_size,
                             cell.training.batch_size, y_test, preprocess=backbone.preprocess)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = evaluate_metric(model, cell, test_ds, y_test, [])
        features = np.concatenate([np.asarray(base(x, training=False)) for x, _ in test_ds])
    kernel, bias = head_weights
    gap = float(np.max(np.abs(features @ kernel + bias - logits)))
    lines = [f"{'ok' if gap <= VERIFY_TOLERANCE else 'MISMATCH'}: test logits of the composed "
             f"model vs the cached path: max |difference| {gap:.2e} (tolerance "
             f"{VERIFY_TOLERANCE:g})"]
    if row.get("status") == "ok":
        for label, key in ((f"test {cell.metric}", "test_metric"), ("test loss", "test_loss")):
            cached, composed = row[key], scores.get(key)
            same = composed is not None and abs(composed - cached) <= VERIFY_TOLERANCE
            shown = "error" if composed is None else f"{composed:.6f}"
            lines.append(f"{'ok' if same else 'MISMATCH'}: {label}: composed model {shown}, "
                         f"cached path {cached:.6f}")
    return lines
