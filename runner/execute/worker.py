"""The worker process (`python -m runner.execute.worker FD` in its runtime's interpreter),
which trains the units sent over a socket, and the supervisor's handle on it: TensorFlow lives
there, so a segfault or the out-of-memory killer costs only the worker."""

from __future__ import annotations

import contextlib
import copy
import gc
import io
import os
import pickle
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

import numpy as np

from runner.errors import Interrupted, ResourceUnavailable, WorkerGone

if TYPE_CHECKING:  # the worker process imports this module: nothing heavy at import
    from runner.environments import Launch
    from runner.execute.plan import DataKey, Unit

CRASH_ENV = "CHEATGRID_CRASH_CELL"  # fault injection: crash on cells whose name holds this
POLL_SECONDS = 0.2  # how often an executor looks up from waiting (Ctrl-C, deadlines)


def inject_crash(unit: Unit) -> None:
    """Die the way a broken kernel dies, on purpose (tests of crash isolation)."""
    target = os.environ.get(CRASH_ENV)
    if target and any(target in cell.name for cell in unit.cells):
        os.kill(os.getpid(), signal.SIGSEGV)


def _array(dtype: str, shape: tuple[int, ...], data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.dtype(dtype)).reshape(shape).copy()


class _Pickler(pickle.Pickler):
    """NumPy arrays as dtype, shape and bytes, NumPy scalars as Python numbers: rebuilt with
    the receiver's NumPy (1.x and 2.x pickles differ)."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, np.ndarray):
            if obj.dtype.hasobject:
                return (list, (obj.tolist(),))
            return (_array, (obj.dtype.str, obj.shape, obj.tobytes()))
        if isinstance(obj, np.generic):
            return (copy.copy, (obj.item(),))
        return NotImplemented


def dumps(obj: Any) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buffer.getvalue()


class _Wire(Connection):
    """A connection whose messages are `dumps`'d."""

    def send(self, obj: Any) -> None:
        self.send_bytes(dumps(obj))

    def recv(self) -> Any:
        return pickle.loads(self.recv_bytes())


class Worker:
    """One worker process of a runtime, and the socket to it."""

    def __init__(self, args: tuple, launch: Launch, on_warning: Callable[[str], None],
                 on_progress: Callable[[str, int, int], None]):
        """`args`: (config, cells, use_cache, device, framework), which `main` receives."""
        self._args, self._launch = args, launch
        self._on_warning, self._on_progress = on_warning, on_progress
        self._process: subprocess.Popen | None = None
        self.provided: set[DataKey] = set()  # the features it was given
        self.provenance: dict[str, Any] = {}

    def start(self, decisions: dict[str, Any] | None) -> dict[str, Any]:
        """Start the process; its decisions (sources, weights), or ResourceUnavailable."""
        ours, theirs = socket.socketpair()
        with theirs:
            self._process = subprocess.Popen(
                [self._launch.python, "-m", "runner.execute.worker", str(theirs.fileno())],
                env=self._launch.environment, pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL, start_new_session=True)  # Ctrl-C is ours
        self._conn = _Wire(ours.detach())
        self._conn.send((*self._args, decisions))
        self.provided = set()
        kind, *payload = self._receive(None, lambda: False)
        if kind == "unavailable":
            self.stop()
            raise ResourceUnavailable(payload[0])
        self.provenance = payload[1]
        return payload[0]

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def provide(self, key: DataKey, source: Worker, stop: Callable[[], bool]) -> None:
        """Give it a (dataset, backbone)'s features as `source` (TensorFlow's) loads them."""
        source._conn.send(("features", key))
        self._conn.send(("provide", key, source._receive(None, stop)[1]))
        self.provided.add(key)

    def run(self, unit: Unit, stop: Callable[[], bool]) -> list | tuple[str, str]:
        """Train a unit: its results, or ('timeout', ''); raises WorkerGone or Interrupted."""
        self._conn.send(("unit", unit))
        self._receive(None, stop)  # ("training",): the data is loaded
        budget = unit.budget_seconds
        kind, *payload = self._receive(budget and time.monotonic() + budget, stop)
        return payload[0] if kind == "done" else (kind, "")

    def _receive(self, deadline: float | None, stop: Callable[[], bool]) -> tuple:
        while True:
            if stop():
                raise Interrupted()
            if deadline is not None and time.monotonic() > deadline:
                return ("timeout",)
            if self._conn.poll(POLL_SECONDS):
                try:
                    kind, *payload = message = self._conn.recv()
                except (EOFError, OSError):
                    raise WorkerGone(self._death()) from None
                if kind == "warning":
                    self._on_warning(*payload)
                elif kind == "progress":
                    self._on_progress(*payload)
                else:
                    return message
            elif not self.alive:
                raise WorkerGone(self._death())

    def _death(self) -> str:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=5)
        code = self._process.poll()
        if code is not None and code < 0:
            return f"the worker died of signal {-code} ({signal.Signals(-code).name})"
        return f"the worker exited with code {code}"

    def stop(self) -> None:
        if self.alive:  # asked to finish; killed if it does not
            with contextlib.suppress(OSError):
                self._conn.send(("stop",))
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=10)
        self.kill()

    def kill(self) -> None:
        if self.alive:
            self._process.kill()
            self._process.wait()
        self._process = None


def main(fd: int) -> None:
    """The worker process: its arguments are the first message on the socket `fd`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the supervisor's to handle
    conn = _Wire(fd)
    config, cells, use_cache, device, name, decisions = conn.recv()
    from runner.train import backends

    backends.activate(name)  # before anything imports Keras
    if backends.backend_of(name) == "tensorflow":  # TFLite imports JAX at start if it can:
        sys.modules.setdefault("jax", None)  # seconds this worker never uses
    backends.import_tensorflow(verbose=False)
    from runner.errors import CheatgridWarning
    from runner.execute.prepare import UnitRunner, prepare

    def forward(message, category, *_, **__) -> None:
        if issubclass(category, CheatgridWarning):
            conn.send(("warning", str(message)))

    warnings.simplefilter("always")
    warnings.showwarning = forward
    try:
        prepared = prepare(config, cells, use_cache, device, decisions)
    except ResourceUnavailable as e:
        conn.send(("unavailable", str(e)))
        return
    runner = UnitRunner(config, prepared)
    runner.progress = lambda what, done, total: conn.send(("progress", what, done, total))
    conn.send(("ready", prepared.decisions, runner.common))
    while True:
        _settle()
        kind, *payload = conn.recv()
        if kind == "stop":
            return
        if kind == "features":
            conn.send(("features", runner.load(payload[0], "cached")))
        elif kind == "provide":
            runner.provide(*payload)
        else:
            unit = payload[0]
            runner.load(unit.data_key, unit.mode)  # data first: its time is not the cells'.
            conn.send(("training",))
            inject_crash(unit)
            conn.send(("done", runner.run(unit)))


def _settle() -> None:
    """Collect the young garbage, then take what survives out of the collector's view.

    Traced programs and Keras's objects are hundreds of thousands of long-lived Python
    objects; each full collection walked them all for seconds, several times per grid.
    Frozen objects are still freed when their last reference goes.
    """
    gc.collect(1)
    gc.freeze()


if __name__ == "__main__":  # run by its module's name: what it pickles names that module
    from runner.execute import worker

    worker.main(int(sys.argv[1]))
