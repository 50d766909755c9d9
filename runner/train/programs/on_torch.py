"""Heads trained step by step in eager PyTorch: Keras 3 on PyTorch.

PyTorch runs Keras's ops eagerly, as Keras's PyTorch trainer runs a step: a head kind is a
function of (features, kernel, bias, labels) computing the head as `Dense` does, Keras's
own activation and loss (a compiled model's `compute_loss`), and the loss's gradients by
autograd. Its fingerprint is the sequence of PyTorch operations one call records (which
tensor each reads and writes, its other arguments), without those that feed no output.
A unit's distinct heads then train in one loop, each with its own weights, as the
reference path's models hold them, and one Keras Adam over all of them (its PyTorch
implementation updates a list of tensors, each on its own).
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
    """Run a head kind once on zeros of the shape, recording its operations. Keras's
    errors and warnings propagate to the caller."""
    torch = _torch()
    model = head_model(kind, shape)

    def head(x, kernel, bias, y):
        kernel, bias = (torch.as_tensor(w).detach().requires_grad_() for w in (kernel, bias))
        value = forward(model, kernel, bias, x, y)
        gradients = torch.autograd.grad(value, [kernel, bias])
        return (value.detach(), *gradients)

    inputs = (torch.zeros(shape.batch_size, shape.feature_dim),
              torch.zeros(shape.feature_dim, shape.units), torch.zeros(shape.units),
              torch.zeros((shape.batch_size, *shape.label_shape),
                          dtype=getattr(torch, np.dtype(shape.label_dtype).name)))
    recorder = _Recorder(inputs)
    with recorder:
        outputs = head(*inputs)
    return Traced(head, recorder.fingerprint(outputs), model, [])


class _Recorder:
    """Records the PyTorch functions called in its scope, as a dataflow over tensors."""

    def __init__(self, inputs):
        from torch.overrides import TorchFunctionMode

        recorder = self

        class Mode(TorchFunctionMode):
            def __torch_function__(self, func, types, args=(), kwargs=None):
                out = func(*args, **(kwargs or {}))
                recorder.record(func, args, kwargs or {}, out)
                return out

        self._mode = Mode()
        self.kept: list[Any] = list(inputs)  # alive, so that no id is reused
        self.names = {self._key(t): f"in{i}" for i, t in enumerate(inputs)}
        self.ops: list[tuple[list[str], str, list[str]]] = []

    def __enter__(self):
        self._mode.__enter__()

    def __exit__(self, *exc):
        self._mode.__exit__(*exc)

    @staticmethod
    def _key(t) -> tuple[int, int]:
        return id(t), t._version  # an in-place op is a new value of the same tensor

    def _reads(self, value, reads: list[str]) -> str:
        import torch

        if isinstance(value, torch.Tensor):
            key = self._key(value)
            if key not in self.names:  # a constant made outside the recording
                data = value.detach().cpu().numpy()
                self.names[key] = f"const({data.dtype}{data.shape}:" \
                                  f"{hashlib.sha256(data.tobytes()).hexdigest()[:16]})"
            reads.append(self.names[key])
            return self.names[key]
        if isinstance(value, (list, tuple)):
            return repr([self._reads(v, reads) for v in value])
        if isinstance(value, dict):
            return repr({k: self._reads(v, reads) for k, v in sorted(value.items())})
        return repr(value)

    def record(self, func, args, kwargs, out) -> None:
        import torch

        reads: list[str] = []
        text = f"{getattr(func, '__qualname__', func)}({self._reads(list(args), reads)}, " \
               f"{self._reads(kwargs, reads)})"
        results = out if isinstance(out, (list, tuple)) else [out]
        writes = []
        for t in results:
            if isinstance(t, torch.Tensor):
                self.kept.append(t)
                self.names[self._key(t)] = name = f"v{len(self.ops)}_{len(writes)}"
                writes.append(name)
        self.ops.append((writes, text, reads))

    def fingerprint(self, outputs) -> str:
        """A digest of the recorded operations that feed `outputs`, their values renamed in
        order of appearance (so that dead operations before them change nothing)."""
        import re

        live = {self.names.get(self._key(t), "") for t in outputs}
        kept = []
        for writes, text, reads in reversed(self.ops):
            if live.intersection(writes):
                kept.append(f"{writes}={text}")
                live.update(reads)
        text = "\n".join(reversed(kept))
        order = dict.fromkeys(re.findall(r"v\d+_\d+", text))
        renamed = {name: f"c{i}" for i, name in enumerate(order)}
        text = re.sub(r"v\d+_\d+", lambda m: renamed[m.group(0)], text)
        return hashlib.sha256(text.encode()).hexdigest()


def probe(traced: Traced, x: np.ndarray, y: np.ndarray, kernel: np.ndarray,
          bias: np.ndarray) -> None:
    """Run a head on one batch: raises what Keras raises only when it runs."""
    torch = _torch()
    traced.function(torch.as_tensor(x), kernel, bias, torch.as_tensor(y))


def run_at(traced: Traced, shape: Shape, batch_size: int) -> None:
    """Run a head once on zeros of another batch size: what Keras warns names the size."""
    torch = _torch()
    traced.function(torch.zeros(batch_size, shape.feature_dim),
                    np.zeros((shape.feature_dim, shape.units), np.float32),
                    np.zeros(shape.units, np.float32),
                    torch.zeros((batch_size, *shape.label_shape),
                                dtype=getattr(torch, np.dtype(shape.label_dtype).name)))


class Program:
    """The heads of a unit, trained together step by step, each with its own weights."""

    def __init__(self, shape: Shape, heads: list[Traced], evaluators: list[Traced]):
        keras = backends.keras()
        self.shape, self.functions = shape, [h.function for h in heads]
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
        values = [np.asarray([float(f(x[i:i + batch], self.variables[2 * k].value,
                                      self.variables[2 * k + 1].value, y[i:i + batch])[0])
                              for k, f in enumerate(self.functions)], np.float32)
                  for i in chunks]
        return _mean(values, [len(x[i:i + batch]) for i in chunks])


def metric_loop(model, batch_size: int):
    """(labels, outputs) -> the values of `model`'s compiled metrics, in order, after
    updating them batch by batch as `evaluate` does."""
    from runner.train.programs.on_jax import metric_loop as eager_loop

    return eager_loop(model, batch_size)
