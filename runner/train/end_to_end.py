"""The tutorial's way: the composed model trained through VGG16, and `--verify`.

End-to-end mode trains `Input -> VGG16(training=False) -> GAP -> Dense` on the
image pipeline every step, as the tutorial does. It is required to fine-tune
(`backbone.trainable: true`: the features change, nothing can be cached) and
available with `training.feature_cache: false`. With a frozen base it gives
the cached path's numbers, only far more slowly.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

from runner.data.arrays import DatasetArrays
from runner.data.pipeline import encode_labels, image_pipeline
from runner.features.backbone import Backbone
from runner.grid import Cell
from runner.train.heads import encode_splits, head_layer, keras_loss, steps_per_epoch
from runner.train.outcomes import GroupResult, Phase, TestOutputs, finish_head, run_phases
from runner.train.reference import evaluate_metric

VERIFY_TOLERANCE = 1e-4  # composed vs cached evaluation: float32 through 13 convolutions


def _base(backbone: Backbone, trainable: bool):
    """The feature model (VGG16 + GAP); a private copy with the same weights to fine-tune."""
    import keras

    if not trainable:
        return backbone.model
    copy = keras.models.clone_model(backbone.model)
    copy.set_weights(backbone.model.get_weights())
    for layer in copy.layers:  # the cloned VGG16 keeps its frozen flag otherwise
        layer.trainable = True
    return copy


def compose(backbone: Backbone, cell: Cell, seed: int, trainable: bool = False,
            head_weights: list[np.ndarray] | None = None):
    """The tutorial's keras.Model: Input -> VGG16(training=False) -> GAP -> Dense.

    Returns:
        (model, feature model) where the feature model is the (possibly copied) base.
    """
    import keras

    size = backbone.input_size
    base = _base(backbone, trainable)
    inputs = keras.Input((size, size, 3))
    head = head_layer(cell, seed)
    model = keras.Model(inputs, head(base(inputs, training=False)), name="tutorial_model")
    if head_weights is not None:
        head.set_weights(head_weights)
    return model, base


def train_end_to_end(cells: list[Cell], arrays: DatasetArrays, backbone: Backbone,
                     trainable: bool, seed: int, callbacks: tuple = ()) -> GroupResult:
    """Train one cell group's composed model through the image pipeline, epoch by epoch.

    Args:
        callbacks: more Keras callbacks for `fit` (the benchmark times epochs with one).

    Returns:
        The same rows `reference.train_group` returns for the group.
    """
    import keras

    cell = cells[0]
    training = cell.training
    shared: dict[str, Any] = {"head_id": cell.head_id, "heads_trained_together": 1,
                              "mode": "fine-tune" if trainable else "end-to-end"}

    def train(phase: Phase):
        y_train, y_test = encode_splits(cell, arrays.train_labels, arrays.test_labels)
        phase.name = "build"
        keras.utils.set_random_seed(seed)
        model, base = compose(backbone, cell, seed, trainable)
        phase.name = "fit"
        drop = training.drops_remainder(cell.encoding)
        steps = steps_per_epoch(len(y_train), training.batch_size, drop)
        phase.name = "compile"
        model.compile(optimizer=keras.optimizers.Adam(training.learning_rate),
                      loss=keras_loss(cell), steps_per_execution=steps)
        phase.name = "fit"
        train_ds = image_pipeline(arrays.train_images, backbone.input_size,
                                  training.batch_size, y_train,
                                  seed if training.shuffle else None, drop,
                                  preprocess=backbone.preprocess)
        test_images = np.concatenate(list(image_pipeline(
            arrays.test_images, backbone.input_size, backbone.batch_size,
            preprocess=backbone.preprocess)))
        recorder = TestOutputs(test_images)
        start = time.perf_counter()
        history = model.fit(train_ds, epochs=training.epochs, verbose=0, shuffle=False,
                            callbacks=[recorder.callback, *callbacks])
        shared["train_seconds"] = round(time.perf_counter() - start, 3)
        return model, base, y_test, test_images, history, recorder

    trained, failure, caught = run_phases(cells, shared, train)
    if failure is not None:
        return failure
    model, base, y_test, test_images, history, recorder = trained
    test_ds = image_pipeline(arrays.test_images, backbone.input_size, training.batch_size,
                             y_test, preprocess=backbone.preprocess)
    test_features = np.asarray(base.predict(test_images, batch_size=backbone.batch_size,
                                            verbose=0))
    per_epoch = recorder.head(0)
    return finish_head(
        cells, {**shared, "warnings": caught}, history.history["loss"],
        per_epoch, model.layers[-1].get_weights(), test_features, arrays.test_labels,
        lambda c: evaluate_metric(model, c, test_ds, y_test, per_epoch))


def verify(cell: Cell, row: dict[str, Any], head_weights: list[np.ndarray],
           logits: np.ndarray, arrays: DatasetArrays, backbone: Backbone,
           seed: int) -> list[str]:
    """Evaluate the tutorial's composed model, built from the frozen base and the trained
    head, on the raw test images; compare with the cached evaluation.

    Returns:
        One line per check; each starts with 'ok' or 'MISMATCH'.
    """
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
