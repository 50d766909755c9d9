"""Heads trained by programs TensorFlow traces once: Keras 3 on TensorFlow, and Keras 2.

A head kind (activation, loss and its arguments, on one label shape) is traced once per
worker process into a function of (features, kernel, bias, labels) that computes the head
as Keras's `Dense` does, then Keras's own activation and loss, and the loss's gradients:
the reference path's arithmetic, op for op, so its numbers are the reference path's to the
bit. A unit's heads then train in one traced loop over all epochs and batches, the heads'
weights stacked so that one Adam update serves them all (Adam is elementwise: stacking
changes no result). The loop is traced once per (heads, shape) and reused across datasets
and seeds: its weights are re-initialised and the optimizer's state reset in place.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from runner.train import backends
from runner.train.programs.graphs import fingerprint
from runner.train.programs.kinds import Kind, Shape, forward, head_model


@dataclasses.dataclass
class Traced:
    """One head kind traced for one shape: its function and what tracing it showed."""

    function: Any  # (x, kernel, bias, y) -> (loss, d loss / d kernel, d loss / d bias)
    fingerprint: str  # equal for kinds whose training computes the same thing
    model: Any  # the compiled model whose `compute_loss` it calls (Keras 2 keeps a loss
    # tracker's variables in it: they must outlive the trace)
    warnings: list[str]  # what Keras warned while it was traced (the caller records them)


def _tf():
    import tensorflow as tf

    return tf


def _specs(shape: Shape, batch: int | None):
    tf = _tf()

    return (tf.TensorSpec([batch, shape.feature_dim], tf.float32),
            tf.TensorSpec([shape.feature_dim, shape.units], tf.float32),
            tf.TensorSpec([shape.units], tf.float32),
            tf.TensorSpec([batch, *shape.label_shape], tf.as_dtype(shape.label_dtype)))


def trace(kind: Kind, shape: Shape, static_batch: bool) -> Traced:
    """Trace a head kind. Keras's errors and warnings while tracing propagate: the caller
    records them.

    Args:
        static_batch: trace with the batch size known, as Keras traces a `fit` whose
            dataset drops its last partial batch; else with an unknown batch size.
    """
    tf = _tf()
    model = head_model(kind, shape)
    weights = model.layers[-1].trainable_weights  # Keras 2 reads its weights from these

    def head(x, kernel, bias, y):
        with tf.GradientTape() as tape:
            tape.watch([kernel, bias])
            value = forward(model, kernel, bias, x, y)
        gradients = tape.gradient(value, [kernel, bias] if backends.current() != "tf_keras"
                                  else weights)
        return (value, *gradients)

    function = tf.function(head, autograph=False, input_signature=_specs(
        shape, shape.batch_size if static_batch else None))
    concrete = function.get_concrete_function()
    return Traced(concrete, fingerprint(concrete.graph), model, [])


def run_at(traced: Traced, shape: Shape, batch_size: int) -> None:
    """Nothing: a traced head's warnings name the batch size as Keras's traces do."""


def probe(traced: Traced, x: np.ndarray, y: np.ndarray, kernel: np.ndarray,
          bias: np.ndarray) -> None:
    """Run a traced head on one batch: raises what Keras raises only when it runs."""
    traced.function(x, kernel, bias, y)


class Program:
    """The heads of a unit, trained together: one traced loop over every epoch and batch.

    Args:
        heads: each trained head's traced kind, static-batch as the shape says. Its test
            loss is traced apart, with an unknown batch size as `evaluate` traces it.
    """

    def __init__(self, shape: Shape, heads: list[Traced]):
        tf = _tf()
        keras = backends.keras()

        self.shape, self.count = shape, len(heads)
        size = (self.count, shape.feature_dim, shape.units)
        self.kernel = tf.Variable(tf.zeros(size), name="kernels")
        self.bias = tf.Variable(tf.zeros(size[::2]), name="biases")
        self.optimizer = keras.optimizers.Adam(learning_rate=0.001)
        self.optimizer.build([self.kernel, self.bias])
        functions = [h.function for h in heads]
        data = _specs(shape, None)
        evaluate = [tf.function(lambda x, k, b, y, m=h.model: forward(m, k, b, x, y),
                                autograph=False, input_signature=data) for h in heads]
        self._train = tf.function(
            lambda x, y, order, epochs: self._loop(functions, x, y, order, epochs),
            autograph=False, input_signature=[
                data[0], data[3], tf.TensorSpec([None, None], tf.int32),
                tf.TensorSpec([], tf.int32)])
        self._evaluate = tf.function(
            lambda x, y: self._test_loss(evaluate, x, y), autograph=False,
            input_signature=[data[0], data[3]])

    def _update(self, gradient, variable) -> None:
        if backends.current() == "tf_keras":
            self.optimizer.update_step(gradient, variable)
        else:
            self.optimizer.update_step(gradient, variable, self.optimizer.learning_rate)

    def _step(self, functions, x, y, total, count):
        tf = _tf()

        kernels, biases = tf.unstack(self.kernel), tf.unstack(self.bias)
        results = [f(x, k, b, y) for f, k, b in zip(functions, kernels, biases, strict=True)]
        self._update(tf.stack([r[1] for r in results]), self.kernel)
        self._update(tf.stack([r[2] for r in results]), self.bias)
        step = self.optimizer.iterations.assign_add(1)
        if step is None:  # Keras 3.0's variables return nothing: a read after the increment
            step = tf.convert_to_tensor(self.optimizer.iterations)
        with tf.control_dependencies([step]):
            size = tf.cast(tf.shape(x)[0], tf.float32)  # Keras's loss tracker: per image
            return total + tf.stack([r[0] for r in results]) * size, count + size

    def _loop(self, functions, x, y, order, epochs):
        tf = _tf()

        batch, static = self.shape.batch_size, self.shape.static_batch
        n = tf.shape(x)[0]
        steps = n // batch if static else (n + batch - 1) // batch

        def epoch(e, losses, kernels, biases):
            xe, ye = (tf.gather(x, order[e]), tf.gather(y, order[e])) if self.shape.shuffle \
                else (x, y)
            if static:  # the batch size known, as Keras traces a fit that drops a remainder
                xs = tf.reshape(xe[:steps * batch], [-1, batch, self.shape.feature_dim])
                ys = tf.reshape(ye[:steps * batch], [-1, batch, *self.shape.label_shape])

            def step(s, total, count):
                xb, yb = (xs[s], ys[s]) if static else (xe[s * batch:(s + 1) * batch],
                                                        ye[s * batch:(s + 1) * batch])
                return (s + 1, *self._step(functions, xb, yb, total, count))

            _, total, count = tf.while_loop(lambda s, *_: s < steps, step,
                                            (0, tf.zeros([self.count]), 0.0),
                                            parallel_iterations=1)
            return (e + 1, losses.write(e, total / count),
                    kernels.write(e, self.kernel.read_value()),
                    biases.write(e, self.bias.read_value()))

        arrays = [tf.TensorArray(tf.float32, size=epochs) for _ in range(3)]
        _, *arrays = tf.while_loop(lambda e, *_: e < epochs, epoch, (0, *arrays),
                                   parallel_iterations=1)
        return tuple(a.stack() for a in arrays)

    def _test_loss(self, functions, x, y):
        """The test loss as `evaluate` reports it: per batch, averaged per image."""
        tf = _tf()

        batch = self.shape.batch_size
        kernels, biases = tf.unstack(self.kernel), tf.unstack(self.bias)

        def step(s, total, count):
            xb, yb = x[s * batch:(s + 1) * batch], y[s * batch:(s + 1) * batch]
            losses = tf.stack([f(xb, k, b, yb) for f, k, b in
                               zip(functions, kernels, biases, strict=True)])
            size = tf.cast(tf.shape(xb)[0], tf.float32)
            return s + 1, total + losses * size, count + size

        steps = (tf.shape(x)[0] + batch - 1) // batch
        _, total, count = tf.while_loop(lambda s, *_: s < steps, step,
                                        (0, tf.zeros([self.count]), 0.0))
        return total / count

    def train(self, kernel: np.ndarray, x: np.ndarray, y: np.ndarray, order: np.ndarray,
              epochs: int, learning_rate: float) -> dict[str, np.ndarray]:
        """Train every head from `kernel` (zero biases) with a fresh Adam.

        Args:
            kernel: the initial kernel, the same for every head (one seed, one shape).
            order: the training images' order in each epoch (E, N); ignored unless shuffled.

        Returns:
            `losses` (E, heads), and after each epoch `kernels` (E, heads, D, units) and
            `biases` (E, heads, units).
        """
        self.kernel.assign(np.broadcast_to(kernel, self.kernel.shape))
        self.bias.assign(np.zeros(self.bias.shape, np.float32))
        for variable in self.optimizer.variables:
            variable.assign(np.zeros(variable.shape, variable.dtype.name
                                     if hasattr(variable.dtype, "name") else variable.dtype))
        self.optimizer.learning_rate = learning_rate
        losses, kernels, biases = self._train(x, y, order, epochs)
        return {"losses": losses.numpy(), "kernels": kernels.numpy(), "biases": biases.numpy()}

    def test_loss(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Each head's loss on the test split with the trained weights, as `evaluate`'s."""
        return self._evaluate(x, y).numpy()


def metric_loop(model, batch_size: int):
    """(labels, outputs) -> the values of `model`'s compiled metrics, in order, after
    updating them batch by batch as `evaluate` does (`compute_metrics` per batch of
    `batch_size`), traced once."""
    tf = _tf()
    built = backends.compiled_metrics(model)

    def loop(y, outputs):
        def step(s, done):
            rows = slice(s * batch_size, (s + 1) * batch_size)
            model.compute_metrics(outputs[rows], y[rows], outputs[rows], sample_weight=None)
            return s + 1, done

        steps = (tf.shape(y)[0] + batch_size - 1) // batch_size
        tf.while_loop(lambda s, _: s < steps, step, (0, 0), parallel_iterations=1)
        return [m.result() for m in built]

    return tf.function(loop, autograph=False, reduce_retracing=True)
