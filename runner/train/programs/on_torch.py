"""Keras 3 on PyTorch: a head kind's step captured per batch size as an ATen graph (`make_fx`;
its fingerprint), eager where Python reads a value; heads in one loop under one Keras Adam."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import torch
from torch.fx.experimental.proxy_tensor import make_fx

from runner.train import backends, programs
from runner.train.programs import Kind, Shape, Traced, forward, head_model

torch.set_num_threads(1)  # a Dense head's ops are too small to share between threads


def trace(kind: Kind, shape: Shape) -> Traced:
    """Capture a head kind on zeros of the shape. Keras's errors and warnings propagate."""
    head = _Head(head_model(kind, shape), shape)
    return Traced(head, head.fingerprint(shape.batch_size), head.model)


# ATen operations whose result Python reads as a value: a graph would freeze the branch.
_VALUE_READS = ("_local_scalar_dense", "is_nonzero", "equal", "item")


class _Head:
    """A head kind's step function: one captured graph per batch size, or eager Keras."""

    def __init__(self, model: Any, shape: Shape):
        self.model, self.shape = model, shape
        self.graphs: dict[int, Any] = {}

    def eager(self, x, kernel, bias, y):
        kernel, bias = (torch.as_tensor(w).detach().requires_grad_() for w in (kernel, bias))
        value = forward(self.model, kernel, bias, x, y)
        gradients = torch.autograd.grad(value, [kernel, bias])
        return (value.detach(), *gradients)

    def graph(self, batch_size: int, features_dtype: str = "float32"):
        """The graph of one step at this batch size (None: this kind runs eagerly)."""
        key = (batch_size, features_dtype)  # a graph holds the casts its inputs needed
        if key not in self.graphs:
            zeros = [torch.zeros(dims, dtype=getattr(torch, dtype.name if k else features_dtype))
                     for k, (dims, dtype) in enumerate(self.shape.arrays(batch_size))]
            graph = make_fx(lambda x, kernel, bias, y: self.eager(x, kernel, bias, y))(*zeros)
            graph.graph.eliminate_dead_code()
            graph.recompile()  # the code without the dead operations
            reads = any(str(getattr(n.target, "__name__", n.target)).split(".")[0]
                        in _VALUE_READS for n in graph.graph.nodes)
            self.graphs[key] = None if reads else graph
        return self.graphs[key]

    def __call__(self, x, kernel, bias, y):
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
            arguments = torch.fx.node.map_arg((node.args, node.kwargs), lambda a: index[a])
            lines.append(f"{node.op} {target} {arguments}")
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def probe(traced: Traced, x: np.ndarray, y: np.ndarray, kernel: np.ndarray,
          bias: np.ndarray) -> None:
    """Run a head eagerly on one batch: raises what Keras raises only when it runs."""
    traced.function.eager(torch.as_tensor(x), kernel, bias, torch.as_tensor(y))


def run_at(traced: Traced, shape: Shape, batch_size: int) -> None:
    """Capture a head at another batch size: what Keras warns names the size."""
    traced.function.graph(batch_size)


class Program(programs.Program):
    """Step by step, each head with its own weights (as the reference path's models)."""

    def __init__(self, shape: Shape, heads: list[Traced]):
        super().__init__(shape, heads)
        keras = backends.keras()
        self.functions, self.models = [h.function for h in heads], [h.model for h in heads]
        self.variables = [keras.Variable(np.zeros(s, np.float32)) for _ in heads
                          for s in ((shape.feature_dim, shape.units), (shape.units,))]
        self.optimizer = keras.optimizers.Adam(learning_rate=0.001)
        self.optimizer.build(self.variables)

    def _step(self, x, y) -> np.ndarray:
        values, gradients = [], []
        for k, function in enumerate(self.functions):
            value, *grads = function(x, *self._weights(k), y)
            values.append(float(value))
            gradients.extend(grads)
        with torch.no_grad():
            self.optimizer.apply(gradients, self.variables)
        return np.asarray(values, np.float32)

    def _weights(self, k: int):
        return self.variables[2 * k].value, self.variables[2 * k + 1].value

    def reset(self, kernel: np.ndarray, learning_rate: float) -> None:
        for k, variable in enumerate(self.variables):
            variable.assign(kernel if k % 2 == 0 else np.zeros(kernel.shape[1], np.float32))
        for variable in self.optimizer.variables:
            variable.assign(np.zeros(variable.shape, variable.dtype))
        self.optimizer.learning_rate = learning_rate

    def epoch(self, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        x, y = torch.as_tensor(x), torch.as_tensor(y)
        return [self._step(x[rows], y[rows]) for rows in self.shape.batches(len(x))]

    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        weights = [backends.to_numpy(v.value) for v in self.variables]
        return np.stack(weights[0::2]), np.stack(weights[1::2])

    def losses(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        x, y = torch.as_tensor(x), torch.as_tensor(y)
        with torch.no_grad():
            return np.asarray([float(forward(m, *self._weights(k), x, y))
                               for k, m in enumerate(self.models)], np.float32)
