"""Head-training programs compiled once per process, one module per array library; what they
share (kind, shape, traced head, epoch loop) and a trained head's outputs, as `model(x)`."""

from __future__ import annotations

import dataclasses
from importlib import import_module
from types import ModuleType
from typing import Any

import numpy as np

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
    """What a unit's program depends on besides its heads' kinds (both key the caches)."""

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

    def arrays(self, batch: int | None) -> list[tuple[tuple, np.dtype]]:
        """(shape, dtype) of a step's features, kernel, bias and labels."""
        return [((batch, self.feature_dim), np.dtype(np.float32)),
                ((self.feature_dim, self.units), np.dtype(np.float32)),
                ((self.units,), np.dtype(np.float32)),
                ((batch, *self.label_shape), np.dtype(self.label_dtype))]

    def batches(self, n: int, drop: bool | None = None) -> list[slice]:
        """An epoch's batches of n images: the last partial one too, unless dropped."""
        batch = self.batch_size
        end = n // batch * batch if (self.static_batch if drop is None else drop) else n
        return [slice(i, min(i + batch, end)) for i in range(0, end, batch)]


@dataclasses.dataclass
class Traced:
    """One head kind traced for one shape."""

    function: Any  # (x, kernel, bias, y) -> (loss, d loss / d kernel, d loss / d bias)
    fingerprint: str  # equal for kinds whose training computes the same thing
    model: Any  # whose `compute_loss` it calls (Keras 2's loss tracker must outlive the trace)
    warnings: list[str] = dataclasses.field(default_factory=list)  # Keras's, while traced


class Program:
    """A unit's heads trained together from one kernel (zero biases) with a fresh Adam: a
    library's program has `reset`, `epoch` (each step's losses), `weights` and `losses`."""

    def __init__(self, shape: Shape, heads: list[Traced]):
        self.shape, self.count = shape, len(heads)

    def train(self, kernel: np.ndarray, x: np.ndarray, y: np.ndarray, order: np.ndarray,
              epochs: int, learning_rate: float) -> dict[str, np.ndarray]:
        """`losses` (E, heads) and, after each epoch, `kernels` (E, heads, D, units) and
        `biases` (E, heads, units); `order` is each epoch's order of the images (E, N)."""
        self.reset(kernel, learning_rate)
        sizes = [s.stop - s.start for s in self.shape.batches(len(x))]
        losses, weights = [], []
        for e in range(epochs):
            xe, ye = (x[order[e]], y[order[e]]) if self.shape.shuffle else (x, y)
            losses.append(_mean(list(self.epoch(xe, ye)), sizes))
            weights.append(self.weights())  # copies: (heads, D, units), (heads, units)
        return {"losses": np.stack(losses), "kernels": np.stack([w[0] for w in weights]),
                "biases": np.stack([w[1] for w in weights])}

    def test_loss(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Each head's test loss as `evaluate` reports it: per batch, averaged per image."""
        chunks = self.shape.batches(len(x), drop=False)
        return _mean([np.asarray(self.losses(x[c], y[c])) for c in chunks],
                    [len(x[c]) for c in chunks])


def _mean(values: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    """Keras's loss tracker: per-batch values weighted by batch size, summed in float32."""
    total = np.zeros_like(values[0], dtype=np.float32)
    for value, size in zip(values, sizes, strict=True):
        total = total + np.asarray(value).astype(np.float32) * np.float32(size)
    return total / np.float32(sum(sizes))


def for_framework() -> ModuleType:
    """This process's program module: TensorFlow's for Keras 3 on TensorFlow and Keras 2."""
    name = {"jax": "on_jax", "torch": "on_torch"}.get(backends.backend(), "on_tensorflow")
    return import_module(f"runner.train.programs.{name}")


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
    """`head_model`'s loss with these weights through its call and `compute_loss`, as `fit`
    computes it (Keras 2's adds rank-1 labels an axis; its loss cannot see behind a sigmoid)."""
    if backends.current() == "tf_keras":  # no stateless call: the weights go in its variables
        layer = model.layers[-1]
        layer.kernel.assign(kernel)
        layer.bias.assign(bias)
        return model.compute_loss(x=x, y=y, y_pred=model(x, training=True))
    y_pred, _ = model.stateless_call([kernel, bias], [], x, training=True)
    return model.compute_loss(x=x, y=y, y_pred=y_pred)


def metric_loop(model, batch_size: int):
    """(labels, outputs) -> `model`'s compiled metrics' values, updated batch by batch as
    `evaluate` does (eagerly: metrics hold state)."""

    def loop(y, outputs):
        for start in range(0, len(y), batch_size):
            rows = slice(start, start + batch_size)
            model.compute_metrics(outputs[rows], y[rows], outputs[rows], sample_weight=None)
        return [m.result() for m in backends.compiled_metrics(model)]

    return loop


def _dense(x, kernel, bias):
    """What `Dense` computes before its activation, with the ops this Keras uses."""
    if backends.current() == "tf_keras":
        import tensorflow as tf

        return tf.nn.bias_add(tf.matmul(x, kernel), bias)
    keras = backends.keras()
    return keras.ops.add(keras.ops.matmul(x, kernel), bias)


_WIDE_EXACT: dict[tuple, bool] = {}  # (rows, features, units, columns) -> checked


def test_logits(x: np.ndarray, kernels: np.ndarray, biases: np.ndarray) -> np.ndarray:
    """Each head's logits (E, heads, N, units) after each epoch, as `model(x)`: one product for
    all where that is exact (checked per shape: a one-unit product is computed otherwise)."""
    epochs, heads, features, units = kernels.shape
    wide = np.ascontiguousarray(kernels.transpose(2, 0, 1, 3).reshape(features, -1))
    key = (len(x), features, units, wide.shape[1])
    if key not in _WIDE_EXACT:
        z = backends.to_numpy(_dense(x, wide, biases.reshape(-1)))
        narrow = [backends.to_numpy(_dense(x, kernels[e, h], biases[e, h]))
                  for e, h in ((0, 0), (epochs - 1, heads - 1))]
        _WIDE_EXACT[key] = np.array_equal(z[:, :units], narrow[0]) and \
            np.array_equal(z[:, -units:], narrow[1])
    if _WIDE_EXACT[key]:
        z = backends.to_numpy(_dense(x, wide, biases.reshape(-1)))
        return z.reshape(len(x), epochs, heads, units).transpose(1, 2, 0, 3)
    return np.stack([np.stack([backends.to_numpy(_dense(x, kernels[e, h], biases[e, h]))
                               for h in range(heads)]) for e in range(epochs)])


def activate(kind: Kind, logits: np.ndarray) -> np.ndarray:
    """A head's outputs from its logits, through its activation, eagerly as `model(x)`."""
    function = backends.keras().activations.get(vocab.ACTIVATIONS[kind.activation].keras)
    if backends.current() == "tf_keras":
        import tensorflow as tf

        return function(tf.constant(logits)).numpy()
    return backends.to_numpy(function(backends.keras().ops.convert_to_tensor(logits)))
