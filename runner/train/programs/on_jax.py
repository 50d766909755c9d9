"""Heads trained by programs JAX compiles once: Keras 3 on JAX.

A head kind is a function of (features, kernel, bias, labels) computing the head as
`Dense` does, Keras's own activation and loss (a compiled model's `compute_loss`, as `fit`
computes it) and `jax.value_and_grad` of it, as Keras's JAX trainer differentiates a step.
Its jaxpr, with the equations that feed no output dropped, is its fingerprint. A unit's
heads train in one jitted epoch (a `lax.scan` over the full batches, the heads' weights
stacked and updated by Keras's Adam through `stateless_apply`), compiled once per
(heads, shape, dataset size) and reused across seeds.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import numpy as np

from runner.train import backends
from runner.train.programs.kinds import Kind, Shape, forward, head_model


@dataclasses.dataclass
class Traced:
    """One head kind for one shape: its function and what tracing it showed."""

    function: Any  # (x, kernel, bias, y) -> (loss, d loss / d kernel, d loss / d bias)
    fingerprint: str
    model: Any  # the compiled model whose `compute_loss` it calls (Keras 2 keeps a loss
    # tracker's variables in it: they must outlive the trace)
    warnings: list[str]


def _specs(shape: Shape):
    import jax

    batch = shape.batch_size
    return (jax.ShapeDtypeStruct((batch, shape.feature_dim), np.float32),
            jax.ShapeDtypeStruct((shape.feature_dim, shape.units), np.float32),
            jax.ShapeDtypeStruct((shape.units,), np.float32),
            jax.ShapeDtypeStruct((batch, *shape.label_shape), np.dtype(shape.label_dtype)))


def trace(kind: Kind, shape: Shape, static_batch: bool) -> Traced:
    """Trace a head kind (JAX traces every batch size it meets: `static_batch` changes
    nothing). Keras's errors and warnings while tracing propagate to the caller."""
    import jax

    model = head_model(kind, shape)

    def head(x, kernel, bias, y):
        def loss(weights):
            return forward(model, *weights, x, y)

        value, gradients = jax.value_and_grad(loss)((kernel, bias))
        return (value, *gradients)

    return Traced(head, fingerprint(jax.make_jaxpr(head)(*_specs(shape))), model, [])


def fingerprint(closed) -> str:
    """A digest of a jaxpr's equations that feed its outputs, its variables numbered in
    order of appearance (so that two traces of one computation digest alike)."""
    jaxpr = closed.jaxpr
    live = {id(v) for v in jaxpr.outvars if not hasattr(v, "val")}
    kept = []
    for eqn in reversed(jaxpr.eqns):
        if any(id(v) in live for v in eqn.outvars) or eqn.effects:
            kept.append(eqn)
            live.update(id(v) for v in eqn.invars if not hasattr(v, "val"))
    names: dict[int, str] = {id(v): f"in{i}" for i, v in enumerate(jaxpr.invars)}

    def name(v) -> str:
        if hasattr(v, "val"):  # a literal
            return f"literal({np.asarray(v.val).tolist()!r}:{v.aval})"
        return names.setdefault(id(v), f"v{len(names)}")

    lines = [f"{[name(v) for v in e.outvars]} = {e.primitive.name}"
             f"[{sorted((k, str(p)) for k, p in e.params.items())}]"
             f"({[name(v) for v in e.invars]})" for e in reversed(kept)]
    lines.append(f"out {[name(v) for v in jaxpr.outvars]} {[str(c) for c in closed.consts]}")
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def run_at(traced: Traced, shape: Shape, batch_size: int) -> None:
    """Trace a head for another batch size (JAX traces every size it meets): what Keras
    warns names the size."""
    import jax

    specs = _specs(dataclasses.replace(shape, batch_size=batch_size))
    jax.eval_shape(traced.function, *specs)


def probe(traced: Traced, x: np.ndarray, y: np.ndarray, kernel: np.ndarray,
          bias: np.ndarray) -> None:
    """Run a traced head on one batch: raises what Keras raises only when it runs."""
    import jax

    jax.block_until_ready(jax.jit(traced.function)(x, kernel, bias, y))


class Program:
    """The heads of a unit, trained together: one jitted epoch, compiled once per shape."""

    def __init__(self, shape: Shape, heads: list[Traced], evaluators: list[Traced]):
        import jax

        keras = backends.keras()
        self.shape, self.count = shape, len(heads)
        size = (self.count, shape.feature_dim, shape.units)
        self.optimizer = keras.optimizers.Adam(learning_rate=0.001)
        self.optimizer.build([keras.Variable(np.zeros(size, np.float32)),
                              keras.Variable(np.zeros(size[::2], np.float32))])
        functions = [h.function for h in heads]

        def step(state, batch):
            kernel, bias, slots = state
            x, y = batch
            results = [f(x, kernel[k], bias[k], y) for k, f in enumerate(functions)]
            gradients = [jax.numpy.stack([r[i] for r in results]) for i in (1, 2)]
            (kernel, bias), slots = self.optimizer.stateless_apply(slots, gradients,
                                                                   [kernel, bias])
            return (kernel, bias, slots), jax.numpy.stack([r[0] for r in results])

        self._step = jax.jit(step)
        self._epoch = jax.jit(lambda state, xs, ys: jax.lax.scan(step, state, (xs, ys)))
        self._losses = jax.jit(lambda kernel, bias, x, y: jax.numpy.stack(
            [f(x, kernel[k], bias[k], y)[0] for k, f in enumerate(functions)]))

    def train(self, kernel: np.ndarray, x: np.ndarray, y: np.ndarray, order: np.ndarray,
              epochs: int, learning_rate: float) -> dict[str, np.ndarray]:
        """Train every head from `kernel` (zero biases) with a fresh Adam; see
        `on_tensorflow.Program.train`."""
        self.optimizer.learning_rate = learning_rate
        slots = [np.zeros(v.shape, v.dtype) if v.path != self._rate_path() else
                 np.asarray(learning_rate, v.dtype) for v in self.optimizer.variables]
        state = (np.broadcast_to(kernel, (self.count, *kernel.shape)).copy(),
                 np.zeros((self.count, kernel.shape[1]), np.float32), slots)
        batch, static = self.shape.batch_size, self.shape.static_batch
        steps = len(x) // batch
        losses, kernels, biases = [], [], []
        for e in range(epochs):
            xe, ye = (x[order[e]], y[order[e]]) if self.shape.shuffle else (x, y)
            state, per_step = self._epoch(state, xe[:steps * batch].reshape(
                steps, batch, -1), ye[:steps * batch].reshape(steps, batch, *ye.shape[1:]))
            sizes = [batch] * steps
            per_step = list(np.asarray(per_step))
            if not static and len(x) > steps * batch:
                state, last = self._step(state, (xe[steps * batch:], ye[steps * batch:]))
                per_step.append(np.asarray(last))
                sizes.append(len(x) - steps * batch)
            losses.append(_mean(per_step, sizes))
            kernels.append(np.asarray(state[0]))
            biases.append(np.asarray(state[1]))
        self.weights = state[:2]
        return {"losses": np.stack(losses), "kernels": np.stack(kernels),
                "biases": np.stack(biases)}

    def _rate_path(self) -> str:
        return next(v.path for v in self.optimizer.variables if "learning_rate" in v.path)

    def test_loss(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Each head's loss on the test split, per batch averaged per image, as `evaluate`."""
        batch = self.shape.batch_size
        chunks = range(0, len(x), batch)
        values = [np.asarray(self._losses(*self.weights, x[i:i + batch], y[i:i + batch]))
                  for i in chunks]
        return _mean(values, [len(x[i:i + batch]) for i in chunks])


def _mean(values: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    """Keras's loss tracker: per-batch values weighted by batch size, summed in float32."""
    total = np.zeros_like(values[0], dtype=np.float32)
    for value, size in zip(values, sizes, strict=True):
        total = total + value.astype(np.float32) * np.float32(size)
    return total / np.float32(sum(sizes))


def metric_loop(model, batch_size: int):
    """(labels, outputs) -> the values of `model`'s compiled metrics, in order, after
    updating them batch by batch as `evaluate` does (eagerly: metrics hold state)."""

    def loop(y, outputs):
        for start in range(0, len(y), batch_size):
            rows = slice(start, start + batch_size)
            model.compute_metrics(outputs[rows], y[rows], outputs[rows], sample_weight=None)
        return [m.result() for m in backends.compiled_metrics(model)]

    return loop
