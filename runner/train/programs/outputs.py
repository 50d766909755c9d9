"""What a head outputs, computed eagerly as `model(x)` computes it, on every array library.

The reference path records each head's test outputs after every epoch with `model(x)` in
eager mode; these functions do the same with the same ops, so that the numbers match.
"""

from __future__ import annotations

import numpy as np

from runner.train import backends
from runner.train.programs.kinds import Kind, activation_of


def dense(x, kernel, bias):
    """What `Dense` computes before its activation, with the ops this Keras uses."""
    if backends.current() == "tf_keras":
        import tensorflow as tf

        return tf.nn.bias_add(tf.matmul(x, kernel), bias)
    keras = backends.keras()
    return keras.ops.add(keras.ops.matmul(x, kernel), bias)


_WIDE_EXACT: dict[tuple, bool] = {}  # (rows, features, units, columns) -> checked


def test_logits(x: np.ndarray, kernels: np.ndarray, biases: np.ndarray) -> np.ndarray:
    """Each head's logits after each epoch, as `model(x)` computes them eagerly before its
    activation.

    Args:
        kernels, biases: (E, heads, D, units) and (E, heads, units).

    Returns:
        (E, heads, N, units). One matrix product for all epochs and heads where it gives
        each head's columns exactly as the head's own product does (checked once per
        shape: a one-unit product is a matrix-vector product, computed otherwise).
    """
    epochs, heads, features, units = kernels.shape
    wide = np.ascontiguousarray(kernels.transpose(2, 0, 1, 3).reshape(features, -1))
    key = (len(x), features, units, wide.shape[1])
    if key not in _WIDE_EXACT:
        z = backends.to_numpy(dense(x, wide, biases.reshape(-1)))
        narrow = [backends.to_numpy(dense(x, kernels[e, h], biases[e, h]))
                  for e, h in ((0, 0), (epochs - 1, heads - 1))]
        _WIDE_EXACT[key] = np.array_equal(z[:, :units], narrow[0]) and \
            np.array_equal(z[:, -units:], narrow[1])
    if _WIDE_EXACT[key]:
        z = backends.to_numpy(dense(x, wide, biases.reshape(-1)))
        return z.reshape(len(x), epochs, heads, units).transpose(1, 2, 0, 3)
    return np.stack([np.stack([backends.to_numpy(dense(x, kernels[e, h], biases[e, h]))
                               for h in range(heads)]) for e in range(epochs)])


def activate(kind: Kind, logits: np.ndarray) -> np.ndarray:
    """A head's outputs from its logits, through its activation, eagerly as `model(x)`."""
    if backends.current() == "tf_keras":
        import tensorflow as tf

        return activation_of(kind)(tf.constant(logits)).numpy()
    keras = backends.keras()
    return backends.to_numpy(activation_of(kind)(keras.ops.convert_to_tensor(logits)))
