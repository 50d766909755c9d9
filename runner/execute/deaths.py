"""How an executor's unit ends other than well: dead units' rows, Ctrl-C, fault injection.

An executor (the local supervisor, or Ray's) runs the grid's units and hands each
unit's rows to the run directory; a unit whose worker dies or overruns its time
is split into single groups, and a single group that dies is recorded with
these rows. (A Ray node that goes is not a death of the unit's: its units run
again, see `ray/lost_nodes.py`, and are recorded only when no node is left for them.)
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from runner.config import Config
from runner.execute.plan import Unit, cell_columns

CRASH_ENV = "CHEATGRID_CRASH_CELL"  # fault injection: crash on cells whose name holds this
POLL_SECONDS = 0.2  # how often an executor looks up from waiting (Ctrl-C, deadlines)

# how it ended -> (phase, error_type)
_DEATHS = {"crashed": ("crashed", "WorkerCrashed"), "timeout": ("timeout", "CellTimeout"),
           "node lost": ("crashed", "NodeLost")}


def timeout_cause(unit: Unit) -> str:
    """How a unit that overran `training.cell_timeout_seconds` ended, for its rows."""
    return f"killed after {unit.timeout_seconds:g} s per group (training.cell_timeout_seconds)"


def error_rows(config: Config, unit: Unit, death: str, cause: str, common: dict[str, Any],
               doing: str = "training this cell") -> list[dict]:
    """Rows for a one-group unit whose worker crashed or timed out, or whose Ray nodes went.

    Args:
        death: 'crashed', 'timeout' or 'node lost' (`phase: crashed`, `NodeLost`).
        cause: how it ended, e.g. 'the worker died of signal 11 (SIGSEGV)'.
        doing: what the worker was doing then.
    """
    assert len(unit.groups) == 1, "split a unit before recording its death"
    phase, error_type = _DEATHS[death]
    return [{**cell_columns(config, c, unit.seed), "status": "error", "phase": phase,
             "error_type": error_type, "error_message": f"{cause} while {doing}",
             "warnings": [], "verdict": "error", **common, "framework": c.framework}
            for c in unit.groups[0]]


class GracefulStop:
    """Ctrl-C (SIGINT, while `_request_stop` handles it) sets `stop_requested`, which the
    run checks between writes; a second Ctrl-C aborts at once."""

    stop_requested = False

    def _request_stop(self, signum, frame) -> None:
        if self.stop_requested:
            raise KeyboardInterrupt
        self.stop_requested = True
        print("\ncheatgrid: stopping after the current write (Ctrl-C again to abort)",
              file=sys.stderr, flush=True)


def inject_crash(unit) -> None:
    """Die the way a broken kernel dies, on purpose (tests of crash isolation)."""
    target = os.environ.get(CRASH_ENV)
    if target and any(target in cell.name for cell in unit.cells):
        os.kill(os.getpid(), signal.SIGSEGV)
