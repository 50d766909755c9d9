"""What both executors (the local `Supervisor`, the `RaySupervisor`) share: Ctrl-C, the bar
of cells, rows written as they come, and a unit whose worker dies split or recorded."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

from runner.config import Config
from runner.execute.plan import Unit, cell_columns
from runner.store.rundir import RunDir

CRASH_ENV = "CHEATGRID_CRASH_CELL"  # fault injection: crash on cells whose name holds this
POLL_SECONDS = 0.2  # how often an executor looks up from waiting (Ctrl-C, deadlines)

# how it ended -> (phase, error_type)
_DEATHS = {"crashed": ("crashed", "WorkerCrashed"), "timeout": ("timeout", "CellTimeout"),
           "node lost": ("crashed", "NodeLost")}


class Executor:
    """Runs a grid's units into a run directory, the only writer of its results."""

    stop_requested = False  # set by Ctrl-C; checked between writes
    common: dict[str, Any]  # the provenance of the rows of dead units
    decisions: dict[str, Any] | None = None  # the first worker's: data sources, weights
    _bar: Any = None

    def __init__(self, config: Config, run_dir: RunDir, progress: bool,
                 warn: Callable[[str], None]):
        self.config, self.run_dir, self.progress, self.warn = config, run_dir, progress, warn

    def _request_stop(self, signum, frame) -> None:
        if self.stop_requested:  # a second Ctrl-C aborts at once
            raise KeyboardInterrupt
        self.stop_requested = True
        print("\ncheatgrid: stopping after the current write (Ctrl-C again to abort)",
              file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def _running(self, units: list[Unit]):
        """Ctrl-C handled, and the bar of cells shown, while `units` run."""
        from tqdm.auto import tqdm  # widgets in Jupyter, text in a terminal

        previous = signal.signal(signal.SIGINT, self._request_stop)
        try:
            with tqdm(total=sum(len(u.cells) for u in units), unit="cell",
                      disable=not self.progress, dynamic_ncols=True) as self._bar:
                yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def _write(self, rows: list[dict], logits: Any) -> None:
        self.run_dir.append(rows, logits)
        self._bar.update(len(rows))

    def _died(self, unit: Unit, death: str, cause: str, doing: str = "training this cell",
              common: dict[str, Any] | None = None) -> list[Unit]:
        """A unit whose worker died ('crashed', 'timeout' or 'node lost', of `cause`): the units
        to run instead (its groups one at a time), or, of a single group, its rows written."""
        if self.stop_requested:  # Ctrl-C may be what killed it: it runs on resume
            return [unit]
        if len(unit.groups) > 1:
            return unit.split()
        if death == "timeout":
            cause = f"killed after {unit.budget_seconds:g} s per group " \
                "(training.cell_timeout_seconds)"
        phase, error_type = _DEATHS[death]
        self._write([{**cell_columns(self.config, c, unit.seed), "status": "error",
                      "phase": phase, "error_type": error_type,
                      "error_message": f"{cause} while {doing}", "warnings": [],
                      "verdict": "error", **(common or self.common), "framework": c.framework}
                     for c in unit.cells], None)
        return []


def inject_crash(unit: Unit) -> None:
    """Die the way a broken kernel dies, on purpose (tests of crash isolation)."""
    target = os.environ.get(CRASH_ENV)
    if target and any(target in cell.name for cell in unit.cells):
        os.kill(os.getpid(), signal.SIGSEGV)
