"""What a head-training program is compiled for: a head's kind and a unit's shape.

A kind is everything a head's loss depends on (activation, loss, from_logits, label
smoothing); a shape is everything else a traced program depends on. Programs are cached
per worker process by them, so that a unit of another dataset or seed with the same kinds
and shape reuses them without tracing again.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from runner import vocab
from runner.grid import Cell
from runner.train import backends


@dataclasses.dataclass(frozen=True)
class Kind:
    """A head as its training sees it (cells of one kind, units and labels train alike)."""

    activation: str
    loss: str
    from_logits: bool
    label_smoothing: float = 0.0

    @classmethod
    def of(cls, cell: Cell) -> Kind:
        return cls(cell.activation, cell.loss, cell.from_logits, cell.label_smoothing)


@dataclasses.dataclass(frozen=True)
class Shape:
    """What a unit's program depends on besides its heads' kinds."""

    feature_dim: int
    units: int
    label_dtype: str  # the encoded labels' NumPy dtype name
    label_shape: tuple[int, ...]  # one label's shape: () for class indices
    batch_size: int
    static_batch: bool  # the last partial batch is dropped: Keras traces a known batch size
    shuffle: bool  # reshuffled every epoch (the order is an input)

    @classmethod
    def of(cls, cell: Cell, feature_dim: int, labels: Any) -> Shape:
        training = cell.training
        return cls(feature_dim, cell.units, labels.dtype.name, tuple(labels.shape[1:]),
                   training.batch_size, training.drops_remainder(cell.encoding),
                   bool(training.shuffle))


def activation_of(kind: Kind) -> Any:
    """The activation function of a kind, from this process's Keras."""
    return backends.keras().activations.get(vocab.ACTIVATIONS[kind.activation].keras)


def head_model(kind: Kind, shape: Shape) -> Any:
    """The head as the reference path builds and compiles it (see `forward`)."""
    keras = backends.keras()
    inputs = keras.Input((shape.feature_dim,))
    activation = vocab.ACTIVATIONS[kind.activation].keras
    model = keras.Model(inputs, keras.layers.Dense(shape.units, activation=activation)(inputs))
    model.compile(loss=vocab.LOSSES[kind.loss].build(keras, kind.from_logits,
                                                     kind.label_smoothing))
    return model


def forward(model: Any, kernel: Any, bias: Any, x: Any, y: Any) -> Any:
    """The loss of `head_model`'s head with the given weights, computed as the reference
    path's `fit` computes it: through the model's own call (Keras 2 hands the loss a new
    tensor there, so that it cannot read the logits behind a sigmoid) and its
    `compute_loss` (Keras 2 gives rank-1 labels a trailing axis there)."""
    if backends.current() == "tf_keras":  # no stateless call: the weights go in its variables
        layer = model.layers[-1]
        layer.kernel.assign(kernel)
        layer.bias.assign(bias)
        return model.compute_loss(x=x, y=y, y_pred=model(x, training=True))
    y_pred, _ = model.stateless_call([kernel, bias], [], x, training=True)
    return model.compute_loss(x=x, y=y, y_pred=y_pred)
