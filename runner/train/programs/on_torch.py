"""Heads trained step by step in PyTorch: Keras 3 on PyTorch.

A head kind is a function of (features, kernel, bias, labels) computing the head as `Dense`
does, Keras's own activation and loss (a compiled model's `compute_loss`), and the loss's
gradients by autograd, as Keras's PyTorch trainer runs a step. It is captured once per
batch size as the graph of ATen operations one call runs (`make_fx`, autograd's backward
included), so that a step runs those operations, the same kernels in the same order,
without Keras's Python around them; the graph, without dead operations, is also the
kind's fingerprint. A kind whose Python reads a tensor's value (a branch the graph would
freeze) runs eagerly instead. A unit's distinct heads then train in one loop, each with
its own weights, as the reference path's models hold them, and one Keras Adam over all
of them (its PyTorch implementation updates a list of tensors, each on its own).
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
    """One head kind for one shape: its function and what running it once showed."""

    function: Any  # (x, kernel, bias, y) -> (loss, d loss / d kernel, d loss / d bias)
    fingerprint: str
    model: Any  # the compiled model whose `compute_loss` it calls (Keras 2 keeps a loss
    # tracker's variables in it: they must outlive the trace)
    warnings: list[str]


def _torch():
    import torch

    torch.set_num_threads(1)  # a Dense head's ops are too small to share between threads
    return torch


def trace(kind: Kind, shape: Shape, static_batch: bool) -> Traced:
    """Capture a head kind on zeros of the shape. Keras's errors and warnings propagate to
    the caller."""
    head = _Head(head_model(kind, shape), shape)
    return Traced(head, head.fingerprint(shape.batch_size), head.model, [])


# ATen operations whose result Python reads as a value: a graph would freeze the branch.
_VALUE_READS = ("_local_scalar_dense", "is_nonzero", "equal", "item")


class _Head:
    """A head kind's step function: one captured graph per batch size, or eager Keras."""

    def __init__(self, model: Any, shape: Shape):
        self.model, self.shape = model, shape
        self.graphs: dict[int, Any] = {}

    def eager(self, x, kernel, bias, y):
        torch = _torch()
        kernel, bias = (torch.as_tensor(w).detach().requires_grad_() for w in (kernel, bias))
        value = forward(self.model, kernel, bias, x, y)
        gradients = torch.autograd.grad(value, [kernel, bias])
        return (value.detach(), *gradients)

    def graph(self, batch_size: int, features_dtype: str = "float32"):
        """The graph of one step at this batch size (None: this kind runs eagerly)."""
        key = (batch_size, features_dtype)  # a graph holds the casts its inputs needed
        if key not in self.graphs:
            from torch.fx.experimental.proxy_tensor import make_fx

            graph = make_fx(lambda x, kernel, bias, y: self.eager(x, kernel, bias, y))(
                *_zeros(self.shape, batch_size, features_dtype))
            graph.graph.eliminate_dead_code()
            graph.recompile()  # the code without the dead operations
            reads = any(str(getattr(n.target, "__name__", n.target)).split(".")[0]
                        in _VALUE_READS for n in graph.graph.nodes)
            self.graphs[key] = None if reads else graph
        return self.graphs[key]

    def __call__(self, x, kernel, bias, y):
        torch = _torch()
        x = torch.as_tensor(x)
        graph = self.graph(len(x), str(x.dtype).removeprefix("torch."))
        if graph is None:
            return self.eager(x, kernel, bias, y)
        return graph(x, *(torch.as_tensor(v) for v in (kernel, bias, y)))

    def fingerprint(self, batch_size: int) -> str:
        """A digest of the step's operations, each naming its inputs by position (so that
        equal computations give equal digests, whatever Python produced them)."""
        graph = self.graph(batch_size)
        if graph is None:  # eager: a kind of its own
            return f"eager:{id(self)}"
        index: dict[Any, str] = {}
        lines = []
        for node in graph.graph.nodes:
            index[node] = f"%{len(index)}"
            target = node.target
            if node.op == "get_attr":  # a constant: its value
                data = getattr(graph, target).detach().cpu().numpy()
                target = f"{data.dtype}{data.shape}:{hashlib.sha256(data.tobytes()).hexdigest()}"
            arguments = _torch().fx.node.map_arg((node.args, node.kwargs), lambda a: index[a])
            lines.append(f"{node.op} {target} {arguments}")
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _zeros(shape: Shape, batch_size: int, features_dtype: str = "float32"):
    torch = _torch()
    return (torch.zeros(batch_size, shape.feature_dim, dtype=getattr(torch, features_dtype)),
            torch.zeros(shape.feature_dim, shape.units), torch.zeros(shape.units),
            torch.zeros((batch_size, *shape.label_shape),
                        dtype=getattr(torch, np.dtype(shape.label_dtype).name)))


def probe(traced: Traced, x: np.ndarray, y: np.ndarray, kernel: np.ndarray,
          bias: np.ndarray) -> None:
    """Run a head eagerly on one batch: raises what Keras raises only when it runs."""
    torch = _torch()
    traced.function.eager(torch.as_tensor(x), kernel, bias, torch.as_tensor(y))


def run_at(traced: Traced, shape: Shape, batch_size: int) -> None:
    """Capture a head at another batch size: what Keras warns names the size."""
    traced.function.graph(batch_size)


class Program:
    """The heads of a unit, trained together step by step, each with its own weights."""

    def __init__(self, shape: Shape, heads: list[Traced]):
        keras = backends.keras()
        self.shape, self.functions = shape, [h.function for h in heads]
        self.models = [h.model for h in heads]
        self.variables = [keras.Variable(np.zeros(s, np.float32)) for _ in heads
                          for s in ((shape.feature_dim, shape.units), (shape.units,))]
        self.optimizer = keras.optimizers.Adam(learning_rate=0.001)
        self.optimizer.build(self.variables)

    def _step(self, x, y) -> np.ndarray:
        torch = _torch()
        values, gradients = [], []
        for k, function in enumerate(self.functions):
            value, *grads = function(x, self.variables[2 * k].value,
                                     self.variables[2 * k + 1].value, y)
            values.append(float(value))
            gradients.extend(grads)
        with torch.no_grad():
            self.optimizer.apply(gradients, self.variables)
        return np.asarray(values, np.float32)

    def train(self, kernel: np.ndarray, x: np.ndarray, y: np.ndarray, order: np.ndarray,
              epochs: int, learning_rate: float) -> dict[str, np.ndarray]:
        """Train every head from `kernel` (zero biases) with a fresh Adam; see
        `on_tensorflow.Program.train`."""
        from runner.train.programs.on_jax import _mean

        torch = _torch()
        for k, variable in enumerate(self.variables):
            variable.assign(kernel if k % 2 == 0 else np.zeros(kernel.shape[1], np.float32))
        for variable in self.optimizer.variables:
            variable.assign(np.zeros(variable.shape, variable.dtype))
        self.optimizer.learning_rate = learning_rate
        batch, static = self.shape.batch_size, self.shape.static_batch
        end = len(x) // batch * batch if static else len(x)
        losses, kernels, biases = [], [], []
        for e in range(epochs):
            xe, ye = (x[order[e]], y[order[e]]) if self.shape.shuffle else (x, y)
            xe, ye = torch.as_tensor(xe), torch.as_tensor(ye)
            values = [self._step(xe[i:i + batch], ye[i:i + batch])
                      for i in range(0, end, batch)]
            losses.append(_mean(values, [min(batch, end - i) for i in range(0, end, batch)]))
            weights = [backends.to_numpy(v.value) for v in self.variables]
            kernels.append(np.stack(weights[0::2]))
            biases.append(np.stack(weights[1::2]))
        return {"losses": np.stack(losses), "kernels": np.stack(kernels),
                "biases": np.stack(biases)}

    def test_loss(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Each head's loss on the test split, per batch averaged per image, as `evaluate`."""
        from runner.train.programs.on_jax import _mean

        torch = _torch()
        batch = self.shape.batch_size
        x, y = torch.as_tensor(x), torch.as_tensor(y)
        chunks = range(0, len(x), batch)
        with torch.no_grad():
            values = [np.asarray([float(forward(m, self.variables[2 * k].value,
                                                self.variables[2 * k + 1].value,
                                                x[i:i + batch], y[i:i + batch]))
                                  for k, m in enumerate(self.models)], np.float32)
                      for i in chunks]
        return _mean(values, [len(x[i:i + batch]) for i in chunks])


def metric_loop(model, batch_size: int):
    """(labels, outputs) -> the values of `model`'s compiled metrics, in order, after
    updating them batch by batch as `evaluate` does."""
    from runner.train.programs.on_jax import metric_loop as eager_loop

    return eager_loop(model, batch_size)
