"""Keras 3 on TensorFlow, and Keras 2: a head kind traced into a `tf.function`; heads trained by
one traced epoch, stacked under one Adam (elementwise: stacking changes no result)."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import tensorflow as tf

from runner.train import backends, programs
from runner.train.programs import Kind, Shape, Traced, forward, head_model


def _specs(shape: Shape, batch: int | None):
    return [tf.TensorSpec(dims, tf.as_dtype(dtype)) for dims, dtype in shape.arrays(batch)]


def trace(kind: Kind, shape: Shape) -> Traced:
    """Trace a head kind, with the batch size known where `fit` would know it (its dataset
    drops the last partial batch). Keras's errors and warnings propagate."""
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
        shape, shape.batch_size if shape.static_batch else None))
    concrete = function.get_concrete_function()
    return Traced(concrete, fingerprint(concrete.graph), model)


def fingerprint(graph: Any) -> str:
    """A Merkle digest of what a graph's outputs depend on: each op by its type, attributes
    and inputs' digests (and, in any order, the ops it waits for); inputs by position. Node
    names, and ops that feed no output (a sigmoid the loss does not read), do not count."""
    positions = {t.name: f"input{i}" for i, t in enumerate(graph.inputs)}
    memo: dict[str, str] = {}

    def tensor(t) -> str:
        return positions.get(t.name) or f"{op(t.op)}:{t.value_index}"

    def op(o) -> str:
        if o.name not in memo:
            attributes = sorted((k, v.SerializeToString(deterministic=True))
                                for k, v in o.node_def.attr.items() if not k.startswith("_"))
            parts = [o.type, repr(attributes), *(tensor(t) for t in o.inputs),
                     *sorted("^" + op(c) for c in o.control_inputs)]
            memo[o.name] = hashlib.sha256("|".join(parts).encode()).hexdigest()
        return memo[o.name]

    return hashlib.sha256("|".join(tensor(t) for t in graph.outputs).encode()).hexdigest()


def run_at(traced: Traced, shape: Shape, batch_size: int) -> None:
    """Nothing: a traced head's warnings name the batch size as Keras's traces do."""


def probe(traced: Traced, x: np.ndarray, y: np.ndarray, kernel: np.ndarray,
          bias: np.ndarray) -> None:
    """Run a traced head on one batch: raises what Keras raises only when it runs."""
    traced.function(x, kernel, bias, y)


class Program(programs.Program):
    """One traced epoch (every step in a `tf.while_loop`); the test loss traced apart, with
    an unknown batch size as `evaluate` traces it."""

    def __init__(self, shape: Shape, heads: list[Traced]):
        super().__init__(shape, heads)
        size = (self.count, shape.feature_dim, shape.units)
        self.kernel = tf.Variable(tf.zeros(size), name="kernels")
        self.bias = tf.Variable(tf.zeros(size[::2]), name="biases")
        self.optimizer = backends.keras().optimizers.Adam(learning_rate=0.001)
        self.optimizer.build([self.kernel, self.bias])
        functions = [h.function for h in heads]
        data = _specs(shape, None)
        losses = [tf.function(lambda x, k, b, y, m=h.model: forward(m, k, b, x, y),
                              autograph=False, input_signature=data) for h in heads]
        self.epoch = tf.function(lambda x, y: self._epoch(functions, x, y), autograph=False,
                                 input_signature=[data[0], data[3]])
        self.losses = tf.function(lambda x, y: tf.stack(
            [f(x, k, b, y) for f, k, b in zip(losses, tf.unstack(self.kernel),
                                              tf.unstack(self.bias), strict=True)]),
            autograph=False, input_signature=[data[0], data[3]])

    def _step(self, functions, x, y):
        kernels, biases = tf.unstack(self.kernel), tf.unstack(self.bias)
        results = [f(x, k, b, y) for f, k, b in zip(functions, kernels, biases, strict=True)]
        rate = () if backends.current() == "tf_keras" else (self.optimizer.learning_rate,)
        self.optimizer.update_step(tf.stack([r[1] for r in results]), self.kernel, *rate)
        self.optimizer.update_step(tf.stack([r[2] for r in results]), self.bias, *rate)
        step = self.optimizer.iterations.assign_add(1)
        if step is None:  # Keras 3.0's variables return nothing: a read after the increment
            step = tf.convert_to_tensor(self.optimizer.iterations)
        with tf.control_dependencies([step]):
            return tf.stack([r[0] for r in results])

    def _epoch(self, functions, x, y):
        batch, static = self.shape.batch_size, self.shape.static_batch
        n = tf.shape(x)[0]
        steps = n // batch if static else (n + batch - 1) // batch
        if static:  # the batch size known, as Keras traces a fit that drops a remainder
            xs = tf.reshape(x[:steps * batch], [-1, batch, self.shape.feature_dim])
            ys = tf.reshape(y[:steps * batch], [-1, batch, *self.shape.label_shape])

        def step(s, losses):
            xb, yb = (xs[s], ys[s]) if static else (x[s * batch:(s + 1) * batch],
                                                    y[s * batch:(s + 1) * batch])
            return s + 1, losses.write(s, self._step(functions, xb, yb))

        _, losses = tf.while_loop(lambda s, _: s < steps, step,
                                  (0, tf.TensorArray(tf.float32, size=steps)),
                                  parallel_iterations=1)
        return losses.stack()

    def reset(self, kernel: np.ndarray, learning_rate: float) -> None:
        self.kernel.assign(np.broadcast_to(kernel, self.kernel.shape))
        self.bias.assign(np.zeros(self.bias.shape, np.float32))
        for variable in self.optimizer.variables:
            variable.assign(tf.zeros(variable.shape, variable.dtype))
        self.optimizer.learning_rate = learning_rate

    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        return self.kernel.numpy(), self.bias.numpy()


def metric_loop(model, batch_size: int):
    """(labels, outputs) -> `model`'s compiled metrics' values after updating them batch by
    batch (`compute_metrics` per batch of `batch_size`), traced once."""
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
