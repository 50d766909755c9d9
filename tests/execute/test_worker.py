"""What crosses the socket to a worker (of another environment too): NumPy as plain data."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from runner.execute.worker import dumps
from runner.features.cache import Features


@pytest.mark.parametrize("array", [
    np.arange(12, dtype=np.float32).reshape(3, 4),
    np.arange(12, dtype=np.int64).reshape(3, 4)[:, ::2],  # not contiguous
    np.array(3.5, dtype=np.float64),  # 0-d
    np.zeros((0, 7), dtype=np.float32),
    np.array([True, False]),
    np.array([[0, 1]], dtype=">i4"),  # big-endian stays big-endian
])
def test_arrays_cross_as_their_dtype_shape_and_bytes(array):
    back = pickle.loads(dumps(array))
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable


def test_no_numpy_pickle_crosses():
    """Another NumPy (1.x against 2.x) cannot load this one's array pickles: none is sent."""
    data = dumps({"x": np.ones(3, np.float32), "n": np.float32(0.25), "i": np.int64(7)})
    assert b"numpy" not in data.replace(b"runner.execute.worker", b"")
    back = pickle.loads(data)
    assert back["n"] == 0.25 and type(back["n"]) is float and type(back["i"]) is int


def test_runner_objects_cross_with_their_arrays():
    features = Features(np.ones((4, 2), np.float32), np.arange(4), np.zeros((2, 2), np.float32),
                        np.arange(2))
    message = ("provide", ("mnist", "vgg16"), (features, {"n_train": 4}, None))
    back = pickle.loads(dumps(message))
    assert back[:2] == message[:2] and back[2][1:] == message[2][1:]
    for name in ("train_x", "train_labels", "test_x", "test_labels"):
        np.testing.assert_array_equal(getattr(back[2][0], name), getattr(features, name))


def test_object_arrays_cross_as_lists():
    assert pickle.loads(dumps(np.array(["a", None], dtype=object))) == ["a", None]
    assert pickle.loads(dumps([1, "x"])) == [1, "x"]
