"""What crosses the pipe to a worker in another environment, and that worker's process.

A worker in a built environment runs another NumPy (TensorFlow 2.12 wants NumPy 1.24,
this Python may have NumPy 2), whose pickles of arrays do not load here, and the other
way round. So its messages are pickled with every NumPy array as its dtype, shape and
bytes, and every NumPy scalar as the Python number it holds: what arrives is rebuilt
with the receiver's NumPy. Everything else that crosses is runner's own (configs, cells,
units, rows of plain values), from the one package both sides import.

The process itself is started with the environment's interpreter (`python -m
runner.execute.worker FD`) and talks over an inherited socket: `EnvironmentProcess`
gives the supervisor the handle a multiprocessing process gives it (alive, exit code,
kill), so crash isolation and timeouts work alike.
"""

from __future__ import annotations

import contextlib
import io
import pickle
import signal
import socket
import subprocess
from multiprocessing.connection import Connection
from typing import Any

import numpy as np


def _array(dtype: str, shape: tuple[int, ...], data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.dtype(dtype)).reshape(shape).copy()


def _same(value: Any) -> Any:
    return value


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, np.ndarray):
            if obj.dtype.hasobject:
                return (list, (obj.tolist(),))
            return (_array, (obj.dtype.str, obj.shape, np.ascontiguousarray(obj).tobytes()))
        if isinstance(obj, np.generic):
            return (_same, (obj.item(),))
        return NotImplemented


def dumps(obj: Any) -> bytes:
    """`obj` pickled with NumPy arrays and scalars as plain data (see the module)."""
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buffer.getvalue()


def loads(data: bytes) -> Any:
    return pickle.loads(data)


class WireConnection:
    """A connection whose messages are `dumps`'d: what `Connection` offers a worker."""

    def __init__(self, connection: Connection):
        self._connection = connection

    def send(self, obj: Any) -> None:
        self._connection.send_bytes(dumps(obj))

    def recv(self) -> Any:
        return loads(self._connection.recv_bytes())

    def poll(self, timeout: float = 0.0) -> bool:
        return self._connection.poll(timeout)

    def close(self) -> None:
        self._connection.close()


class EnvironmentProcess:
    """A worker running in another interpreter, as the supervisor sees a process."""

    def __init__(self, python: str, environment: dict[str, str]):
        self._python, self._environment = python, environment
        self._popen: subprocess.Popen | None = None

    def start(self) -> WireConnection:
        """Start it; returns the connection to it."""
        ours, theirs = socket.socketpair()
        try:
            self._popen = subprocess.Popen(
                [self._python, "-m", "runner.execute.worker", str(theirs.fileno())],
                env=self._environment, pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL, start_new_session=True)  # Ctrl-C is ours
        finally:
            theirs.close()
        return WireConnection(Connection(ours.detach()))

    def is_alive(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def join(self, timeout: float | None = None) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._popen.wait(timeout)

    @property
    def exitcode(self) -> int | None:
        """The exit code; minus the signal's number when a signal killed it."""
        return self._popen.poll()

    def kill(self) -> None:
        if self.is_alive():
            self._popen.send_signal(signal.SIGKILL)
