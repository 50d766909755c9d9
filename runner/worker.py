"""The worker process: trains the units the supervisor sends, one at a time.

TensorFlow lives here, not in the supervisor: when a kernel segfaults or the
out-of-memory killer strikes, only the worker dies, and the supervisor records
the cells and starts a new one. Messages (pickled over a pipe):

  supervisor -> worker: ("unit", Unit) | ("features", dataset) | ("provide", dataset,
                        loaded) | ("stop",)
  worker -> supervisor: ("ready", decisions, provenance) | ("unavailable", message)
                        | ("warning", text) | ("training",) | ("done", results)
                        | ("features", loaded)

Each worker trains with one framework (`framework.activate` before Keras is
imported). Workers of other frameworks than Keras 3 on TensorFlow get each
dataset's features from the TensorFlow worker, through the supervisor.
"""

from __future__ import annotations

import os
import signal
import warnings
from typing import Any

CRASH_ENV = "CHEATGRID_CRASH_CELL"  # fault injection: crash on cells whose name holds this


def main(conn, config, cells, use_cache: bool, device: str, name: str,
         decisions: dict[str, Any] | None) -> None:
    """Entry point of the worker process (started with the 'spawn' method)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the supervisor's to handle
    from runner import framework

    framework.activate(name)  # before anything imports Keras
    from runner.quiet import import_tensorflow

    import_tensorflow(verbose=False)
    from runner.execute import UnitRunner, prepare
    from runner.validate import CheatgridWarning, ResourceUnavailable

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
    conn.send(("ready", prepared.decisions, runner.common))
    while True:
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
        runner.load(unit.dataset, unit.mode)  # data first: its time is not the cells'.
        conn.send(("training",))
        inject_crash(unit)
        conn.send(("done", runner.run(unit)))


def inject_crash(unit) -> None:
    """Die the way a broken kernel dies, on purpose (tests of crash isolation)."""
    target = os.environ.get(CRASH_ENV)
    if target and any(target in cell.name for cell in unit.cells):
        os.kill(os.getpid(), signal.SIGSEGV)
