"""Keras 3 on JAX: a head kind is Keras's loss under `jax.value_and_grad` (fingerprint: its live
jaxpr); heads train in one jitted `lax.scan` epoch, stacked, Keras's Adam `stateless_apply`."""

from __future__ import annotations

import dataclasses
import hashlib

import jax
import numpy as np

from runner.train import backends, programs
from runner.train.programs import Kind, Shape, Traced, forward, head_model


def _specs(shape: Shape):
    return [jax.ShapeDtypeStruct(dims, dtype) for dims, dtype in shape.arrays(shape.batch_size)]


def trace(kind: Kind, shape: Shape) -> Traced:
    """Trace a head kind (at every batch size it meets). Keras's errors and warnings
    propagate."""
    model = head_model(kind, shape)

    def head(x, kernel, bias, y):
        value, gradients = jax.value_and_grad(lambda w: forward(model, *w, x, y))((kernel, bias))
        return (value, *gradients)

    return Traced(head, fingerprint(jax.make_jaxpr(head)(*_specs(shape))), model)


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
    """Trace a head for another batch size: what Keras warns names the size."""
    jax.eval_shape(traced.function, *_specs(dataclasses.replace(shape, batch_size=batch_size)))


def probe(traced: Traced, x: np.ndarray, y: np.ndarray, kernel: np.ndarray,
          bias: np.ndarray) -> None:
    """Run a traced head on one batch: raises what Keras raises only when it runs."""
    jax.block_until_ready(jax.jit(traced.function)(x, kernel, bias, y))


class Program(programs.Program):
    """One jitted epoch: a scan over the full batches, then the last partial one."""

    def __init__(self, shape: Shape, heads: list[Traced]):
        super().__init__(shape, heads)
        keras = backends.keras()
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
        self._scan = jax.jit(lambda state, xs, ys: jax.lax.scan(step, state, (xs, ys)))
        models = [h.model for h in heads]
        self._losses = jax.jit(lambda kernel, bias, x, y: jax.numpy.stack(
            [forward(m, kernel[k], bias[k], x, y) for k, m in enumerate(models)]))

    def reset(self, kernel: np.ndarray, learning_rate: float) -> None:
        self.optimizer.learning_rate = learning_rate
        slots = [np.asarray(learning_rate, v.dtype) if "learning_rate" in v.path else
                 np.zeros(v.shape, v.dtype) for v in self.optimizer.variables]
        self.state = (np.broadcast_to(kernel, (self.count, *kernel.shape)).copy(),
                      np.zeros((self.count, kernel.shape[1]), np.float32), slots)

    def epoch(self, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        batch, end = self.shape.batch_size, len(x) // self.shape.batch_size * self.shape.batch_size
        self.state, per_step = self._scan(self.state, x[:end].reshape(-1, batch, x.shape[1]),
                                          y[:end].reshape(-1, batch, *y.shape[1:]))
        values = list(np.asarray(per_step))
        if not self.shape.static_batch and len(x) > end:
            self.state, last = self._step(self.state, (x[end:], y[end:]))
            values.append(np.asarray(last))
        return values

    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self.state[0]), np.asarray(self.state[1])

    def losses(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self._losses(*self.state[:2], x, y)
