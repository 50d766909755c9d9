"""The worker process, which trains the units the supervisor sends, and its handle.

TensorFlow lives here, not in the supervisor: when a kernel segfaults or the
out-of-memory killer strikes, only the worker dies, and the supervisor records
the cells and starts a new one. Messages (pickled over a pipe):

  supervisor -> worker: ("unit", Unit) | ("features", data key) | ("provide", data key,
                        loaded) | ("stop",)
  worker -> supervisor: ("ready", decisions, provenance) | ("unavailable", message)
                        | ("warning", text) | ("progress", what, done, total)
                        | ("training",) | ("done", results) | ("features", loaded)

Each worker trains with one framework (`framework.activate` before Keras is
imported). Workers of other frameworks than Keras 3 on TensorFlow get each
dataset's features from the TensorFlow worker, through the supervisor. A worker
of a built environment runs its interpreter (`wire.EnvironmentProcess`, started as
`python -m runner.execute.worker FD`), its messages pickled with NumPy arrays as
plain data (`wire.dumps`): that environment's NumPy is not this one's.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import signal
import sys
import time
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from runner.errors import Interrupted, ResourceUnavailable, WorkerGone
from runner.execute.deaths import POLL_SECONDS, inject_crash
from runner.execute.wire import EnvironmentProcess, WireConnection

if TYPE_CHECKING:  # the worker process imports this module: nothing heavy at import
    from runner.config import Config
    from runner.environments import Launch
    from runner.execute.plan import Unit
    from runner.grid import Cell


class Worker:
    """One worker process, training with one framework, and the pipe to it."""

    def __init__(self, config: Config, cells: list[Cell], use_cache: bool, device: str,
                 framework_name: str, on_warning: Callable[[str], None],
                 on_progress: Callable[[str, int, int], None] | None = None,
                 launch: Launch | None = None):
        """Args:
            launch: a built environment's interpreter and variables; None: a process of
                this Python (multiprocessing, 'spawn').
        """
        self._args = (config, cells, use_cache, device, framework_name)
        self._launch = launch
        self._on_warning = on_warning
        self._on_progress = on_progress
        self._process = None
        self._conn = None
        self.provided: set[tuple[str, str]] = set()  # (dataset, backbone)s it was given
        self.provenance: dict[str, Any] = {}

    def start(self, decisions: dict[str, Any] | None) -> dict[str, Any]:
        """Start the process; returns its decisions (sources, weights).

        Raises:
            ResourceUnavailable: the device, weights or data cannot be had.
        """
        if self._launch is not None and self._launch.pinned:
            self._process = EnvironmentProcess(self._launch.python, self._launch.environment)
            self._conn = self._process.start()
            self._conn.send((*self._args, decisions))
        else:
            context = multiprocessing.get_context("spawn")  # TensorFlow does not survive fork
            self._conn, child = context.Pipe()
            self._process = context.Process(target=main, daemon=True,
                                            args=(child, *self._args, decisions))
            self._process.start()
            child.close()
        self.provided = set()
        kind, *payload = self._receive(deadline=None, stop=lambda: False)
        if kind == "unavailable":
            self.stop()
            raise ResourceUnavailable(payload[0])
        self.provenance = payload[1]
        return payload[0]

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def features(self, key: tuple[str, str], stop: Callable[[], bool]) -> tuple:
        """A (dataset, backbone)'s features as this (TensorFlow) worker loads them."""
        self._conn.send(("features", key))
        return self._receive(deadline=None, stop=stop)[1]

    def provide(self, key: tuple[str, str], loaded: tuple) -> None:
        self._conn.send(("provide", key, loaded))
        self.provided.add(key)

    def run(self, unit: Unit, stop: Callable[[], bool]) -> list | str:
        """Train a unit: its results, or 'timeout'.

        Raises:
            WorkerGone: the worker died.
            Interrupted: `stop()` turned true while waiting.
        """
        self._conn.send(("unit", unit))
        self._receive(deadline=None, stop=stop)  # ("training",): the data is loaded
        budget = unit.budget_seconds
        deadline = None if budget is None else time.monotonic() + budget
        kind, *payload = self._receive(deadline, stop)
        return payload[0] if kind == "done" else kind

    def _receive(self, deadline: float | None, stop: Callable[[], bool]) -> tuple:
        while True:
            if stop():
                raise Interrupted()
            if deadline is not None and time.monotonic() > deadline:
                return ("timeout",)
            if self._conn.poll(POLL_SECONDS):
                try:
                    message = self._conn.recv()
                except (EOFError, OSError):
                    raise WorkerGone(self._death()) from None
                if message[0] == "warning":
                    self._on_warning(message[1])
                    continue
                if message[0] == "progress":
                    if self._on_progress is not None:
                        self._on_progress(*message[1:])
                    continue
                return message
            if not self._process.is_alive():
                raise WorkerGone(self._death())

    def _death(self) -> str:
        self._process.join(timeout=5)
        code = self._process.exitcode
        if code is not None and code < 0:
            return f"the worker died of signal {-code} ({signal.Signals(-code).name})"
        return f"the worker exited with code {code}"

    def stop(self) -> None:
        """Ask the worker to finish; kill it if it does not."""
        if self._process is None:
            return
        if self._process.is_alive():
            with contextlib.suppress(OSError):
                self._conn.send(("stop",))
            self._process.join(timeout=10)
        self.kill()

    def kill(self) -> None:
        if self._process is not None and self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._process = None


def main(conn, config, cells, use_cache: bool, device: str, name: str,
         decisions: dict[str, Any] | None) -> None:
    """Entry point of the worker process (started with the 'spawn' method)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the supervisor's to handle
    from runner.train import backends

    backends.activate(name)  # before anything imports Keras
    if backends.backend_of(name) == "tensorflow":  # TFLite imports JAX at start if it can:
        sys.modules.setdefault("jax", None)  # seconds this worker never uses
    backends.import_tensorflow(verbose=False)
    from runner.errors import CheatgridWarning
    from runner.execute.prepare import UnitRunner, prepare

    def forward(message, category, filename, lineno, file=None, line=None) -> None:
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
        message = conn.recv()
        if message[0] == "stop":
            return
        if message[0] == "features":
            conn.send(("features", runner.load(message[1], "cached")))
            continue
        if message[0] == "provide":
            runner.provide(message[1], message[2])
            continue
        unit = message[1]
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


def _environment_main(fd: int) -> None:
    """A worker in a built environment: its arguments are the first message on `fd`."""
    from multiprocessing.connection import Connection

    conn = WireConnection(Connection(fd))
    main(conn, *conn.recv())


if __name__ == "__main__":
    import sys

    _environment_main(int(sys.argv[1]))
