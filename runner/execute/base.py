"""What every executor shares: dead units' rows, Ctrl-C handling, fault injection.

An executor (the local supervisor, or Ray's) runs the grid's units and hands each
unit's rows to the run directory; a unit whose worker dies or overruns its time
is split into single groups, and a single group that dies is recorded with
these rows. (A Ray node that goes is not a death of the unit's: its units run
again, see `ray/nodes.py`, and are recorded only when no node is left for them.)
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from runner.config import Config
from runner.execute.plan import Unit, cell_columns
from runner.train.device import nvidia_gpus

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


def decision_lines(config: Config, decisions: dict[str, Any], common: dict[str, Any],
                   device: str) -> list[str]:
    """What a run decided before its first cell, one line each: device, data, weights.

    Args:
        decisions: the first worker's (`Prepared.decisions`: sources and weights).
        common: the provenance its rows carry (device label, Keras version, ...).
        device: the `--device` asked for.
    """
    label = common.get("device", "?")
    lines = [f"device: {label} (--device {device}); Keras {common.get('keras_version', '?')} "
             f"on {common.get('backend', '?')}"]
    gpus = nvidia_gpus() if label == "cpu" and device == "auto" else []
    if gpus:
        lines.append(f"warning: nvidia-smi shows {len(gpus)} GPU(s) ({gpus[0]}) but TensorFlow "
                     "sees none, so this run uses the CPU: install TensorFlow's CUDA libraries "
                     "with `pip install -e '.[gpu]'` (`make install` does it where nvidia-smi "
                     "answers)")
    for name, decision in decisions["sources"].items():
        note = f" ({decision.note})" if decision.note else ""
        lines.append(f"data {name}: {decision.detail}{note}")
    asked = config.backbone.weights
    weights = decisions["weights_label"]
    lines.append(f"weights: {weights}" + ("" if asked == weights else f" (asked: {asked})"))
    return lines


class ProgressBars:
    """Live bars for what happens before cells train: reading data, the backbone's pass.

    Each (what, done, total) report moves the bar of `what` ('features mnist'); a
    finished bar leaves one line, e.g. `features mnist: 6000 images in 27.9 s`.
    """

    def __init__(self, enabled: bool, listener: Callable[[str, int, int], None] | None = None):
        self.enabled, self.listener = enabled, listener
        self._bars: dict[str, tuple[Any, float]] = {}

    def update(self, what: str, done: int, total: int) -> None:
        if self.listener is not None:  # e.g. the bench, timing the first feature batch
            self.listener(what, done, total)
        if not self.enabled:
            return
        from tqdm.auto import tqdm  # widgets in Jupyter, text in a terminal

        if what not in self._bars:
            unit = "image" if what.startswith("features") else "example"
            bar = tqdm(total=total or None, desc=what, unit=unit, leave=False,
                       dynamic_ncols=True)
            self._bars[what] = (bar, time.monotonic())
        bar, started = self._bars[what]
        bar.update(done - bar.n)
        if total and done >= total:
            bar.close()
            del self._bars[what]
            noun = "images" if what.startswith("features") else "examples"
            tqdm.write(f"{what}: {done} {noun} in {time.monotonic() - started:.1f} s",
                       file=sys.stderr)

    def close(self) -> None:
        for bar, _ in self._bars.values():
            bar.close()
        self._bars.clear()
