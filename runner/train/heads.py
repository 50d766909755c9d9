"""A head: the tutorial's last layer with its loss and metric, on the frozen backbone's
features, and the labels and batches it trains on.

A head is `Dense(units, activation, GlorotUniform(seed))`; its loss and metric are the
Keras objects the vocabulary's entries build for this process's Keras (3 or 2).
"""

from __future__ import annotations

import math

import numpy as np

from runner import vocab
from runner.data.pipeline import encode_labels
from runner.grid import Cell
from runner.train import backends


def keras_loss(cell: Cell):
    """The Keras loss object of a cell, e.g. `CategoricalCrossentropy(from_logits=True)`
    (see `vocab.Loss.arguments` for the arguments a loss gets)."""
    return vocab.LOSSES[cell.loss].build(backends.keras(), cell.from_logits,
                                         cell.label_smoothing)


def keras_metric(cell: Cell):
    """What `compile(metrics=[...])` gets for a cell: its metric's name, or the metric
    object where the entry has arguments (`binary_accuracy_logits`)."""
    return vocab.metric(cell.metric).build(backends.keras())


def head_layer(cell: Cell, seed: int, name: str | None = None):
    """The tutorial's last layer: Dense(units, activation, GlorotUniform(seed))."""
    keras = backends.keras()

    return keras.layers.Dense(
        cell.units, activation=vocab.ACTIVATIONS[cell.activation].keras,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed), name=name)


def build_head(cell: Cell, feature_dim: int, seed: int):
    """The head on top of cached features, as a model of its own."""
    keras = backends.keras()

    inputs = keras.Input((feature_dim,))
    return keras.Model(inputs, head_layer(cell, seed)(inputs), name="head")


def steps_per_epoch(n_train: int, batch_size: int, drop_remainder: bool) -> int:
    """Batches per epoch; also Keras's `steps_per_execution`, so that one call to the
    compiled train function runs a whole epoch (same math, far less dispatch).

    Raises:
        ValueError: not a single batch (Keras would silently train nothing).
    """
    steps = n_train // batch_size if drop_remainder else math.ceil(n_train / batch_size)
    if steps < 1:
        raise ValueError(f"Expected at least one training batch. Received: {n_train} "
                         f"training images, batch_size={batch_size}, "
                         f"drop_remainder={drop_remainder}")
    return steps


def encode_splits(cell: Cell, train_labels: np.ndarray,
                  test_labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both splits' integer labels in the cell's encoding (raises as `encode_labels`)."""
    return tuple(encode_labels(labels, cell.encoding, cell.num_classes, cell.units)
                 for labels in (train_labels, test_labels))
