"""Run a grid into a run directory without ever losing a finished cell.

The supervisor holds the run directory (lock), skips the cells already done
(resume), sends units to a worker process, writes every finished group to
results.jsonl at once, and survives what kills workers: a worker that dies
(segfault, out-of-memory kill, `os._exit`) or overruns
`training.cell_timeout_seconds` is replaced; its unit is split into single
groups to find the one that kills it, which is recorded as `phase: crashed`
or `phase: timeout`. Ctrl-C stops after the current write and prints the
command that resumes.
"""

from __future__ import annotations

import collections
import contextlib
import signal
import sys
import warnings
from collections.abc import Callable
from typing import Any

from runner import framework
from runner.config import Config
from runner.execute import Unit, cell_columns, plan_units
from runner.grid import Cell
from runner.rundir import LOCK_FILE, RunDir, RunDirError, completed, foreign_run
from runner.validate import ResourceUnavailable
from runner.worker import Interrupted, Worker, WorkerGone

_DEATHS = {"crashed": "WorkerCrashed", "timeout": "CellTimeout"}  # phase -> error_type


def timeout_cause(unit: Unit) -> str:
    """How a unit that overran `training.cell_timeout_seconds` ended, for its rows."""
    return f"killed after {unit.timeout_seconds:g} s per group (training.cell_timeout_seconds)"


def error_rows(config: Config, unit: Unit, phase: str, cause: str, common: dict[str, Any],
               doing: str = "training this cell") -> list[dict]:
    """Rows for a one-group unit whose worker crashed or timed out.

    Args:
        phase: 'crashed' or 'timeout'.
        cause: how it ended, e.g. 'the worker died of signal 11 (SIGSEGV)'.
        doing: what the worker was doing then.
    """
    assert len(unit.groups) == 1, "split a unit before recording its death"
    return [{**cell_columns(config, c, unit.seed), "status": "error", "phase": phase,
             "error_type": _DEATHS[phase], "error_message": f"{cause} while {doing}",
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


class Supervisor(GracefulStop):
    """Runs the remaining units of a grid, one at a time, each in a worker of its framework.

    The TensorFlow worker is started first: it decides data sources and weights and
    computes the features, which it hands (through here) to the other frameworks.
    """

    def __init__(self, config: Config, cells: list[Cell], run_dir: RunDir, *, use_cache: bool,
                 device: str, progress: bool, warn: Callable[[str], None]):
        self.config, self.run_dir, self.progress = config, run_dir, progress
        self.workers = {name: Worker(config, cells, use_cache, device, name, warn)
                        for name in dict.fromkeys([framework.DEFAULT] +
                                                  [c.framework for c in cells])}
        self.decisions: dict[str, Any] | None = None

    def start(self) -> None:
        """Start the TensorFlow worker and take its decisions.

        Raises:
            ResourceUnavailable: device, weights or data cannot be had.
        """
        self.decisions = self.workers[framework.DEFAULT].start(None)

    def run(self, units: list[Unit]) -> None:
        from tqdm import tqdm

        queue = collections.deque(units)
        total = sum(len(u.cells) for u in units)
        previous = signal.signal(signal.SIGINT, self._request_stop)
        try:
            with tqdm(total=total, unit="cell", disable=not self.progress,
                      dynamic_ncols=True) as bar:
                while queue:
                    unit = queue.popleft()
                    bar.set_postfix_str(unit.groups[0][0].head_name, refresh=True)
                    for rows, logits in self._attempt(unit, queue):
                        self.run_dir.append(rows, logits)
                        bar.update(len(rows))
        finally:
            signal.signal(signal.SIGINT, previous)
            for worker in self.workers.values():
                worker.stop()

    def _ready(self, unit: Unit) -> Worker:
        """The unit's framework worker, started and given the unit's features."""
        for name, other in self.workers.items():  # one framework at a time (memory)
            if name not in (unit.framework, framework.DEFAULT):
                other.stop()
        worker = self.workers[unit.framework]
        if not worker.alive:
            worker.start(self.decisions)
        if unit.framework != framework.DEFAULT and unit.mode == "cached" and \
                unit.dataset not in worker.provided:
            source = self.workers[framework.DEFAULT]
            if not source.alive:
                source.start(self.decisions)
            worker.provide(unit.dataset, source.features(unit.dataset,
                                                          lambda: self.stop_requested))
        return worker

    def _attempt(self, unit: Unit, queue: collections.deque) -> list[tuple[list[dict], Any]]:
        """Results of a unit, or of its crash: split and requeued, or recorded."""
        worker = self._ready(unit)
        try:
            outcome = worker.run(unit, lambda: self.stop_requested)
        except WorkerGone as e:
            outcome, how = "crashed", str(e)
        if isinstance(outcome, list):
            return [(rows, result.logits) for rows, result in outcome]
        if outcome == "timeout":
            how = timeout_cause(unit)
        worker.kill()  # the next unit starts a fresh one
        if len(unit.groups) > 1:  # find the group that does it: one at a time
            queue.extendleft(reversed(unit.split()))
            return []
        return [(error_rows(self.config, unit, outcome, how, worker.provenance), None)]



def plan_remaining(config: Config, cells: list[Cell], rows: list[dict],
                   retry_errors: bool) -> tuple[list[Unit], int, int]:
    """The units still to run, the number of (cell, seed) runs done and in the grid."""
    done = completed(rows, config, cells, retry_errors)
    units = [u.without(lambda g, seed: all((c.cell_id, seed) in done for c in g))
             for u in plan_units(config, cells)]
    total = sum(len(c.training.seeds) for c in cells)
    return [u for u in units if u is not None], len(done), total


class RunAborted(Exception):
    """Results could not be written (a full disk): what was written is kept."""


def run_grid(config: Config, cells: list[Cell], path, *, command: str, progress: bool = True,
             use_cache: bool = True, device: str = "auto", force: bool = False,
             retry_errors: bool = False, warn: Callable[[str], None] = print,
             executor: str = "local", ray_address: str | None = None,
             ) -> list[dict[str, Any]]:
    """Run (or resume) a grid into a run directory; write its tables.

    Args:
        command: the command line, recorded in the lock and printed to resume.
        force: set existing results aside (renamed, never deleted) and run everything.
        retry_errors: run the cells whose stored status is error again.
        warn: receives the worker's warnings, one line each.
        executor: 'local' (a worker process here) or 'ray' (tasks on a Ray cluster).
        ray_address: the Ray cluster to connect to ('auto', HOST:PORT); None starts
            Ray on this machine, unless this process already started it.

    Returns:
        The rows of the tables: one per cell and seed of this grid.

    Raises:
        RunDirError: the directory is busy, unwritable or holds another config's results.
        ResourceUnavailable: device, weights or data cannot be had (nothing written).
        Interrupted: Ctrl-C; the finished cells are kept and tabled.
        RunAborted: results.jsonl could not be written.
    """
    from runner.report import write_tables

    run_dir = RunDir(path)
    fresh = not run_dir.path.exists()
    run_dir.lock(command)
    try:
        rows = run_dir.read_rows()
        other = foreign_run(rows, config)
        if other and not force:
            raise RunDirError(
                f"{run_dir.path} holds the results of run '{other}', not '{config.name}'. "
                "Give --out another directory, or --force to set them aside (renamed, "
                "not deleted) and start over.")
        if force:
            backup = run_dir.set_aside()
            rows = []
            if backup:
                warn(f"--force: earlier results set aside as {backup.name}")
        units, done, total = plan_remaining(config, cells, rows, retry_errors)
        if done:
            warn(f"resuming {run_dir.path}: {done} of {total} cell runs already done, "
                 f"{total - done} to run")
        if executor == "ray":
            from runner.ray_executor import RaySupervisor

            supervisor = RaySupervisor(config, cells, run_dir, use_cache=use_cache,
                                       device=device, progress=progress, warn=warn,
                                       address=ray_address)
        else:
            supervisor = Supervisor(config, cells, run_dir, use_cache=use_cache,
                                    device=device, progress=progress, warn=warn)
        try:
            if units:
                supervisor.start()
        except WorkerGone as e:
            raise RunAborted(f"{e} while starting (see its error above)") from None
        except ResourceUnavailable:
            if fresh:  # leave no trace of a run that never started
                run_dir.release()
                _remove_empty(run_dir)
            raise
        run_dir.write_config(config)
        run_dir.results.touch()
        try:
            supervisor.run(units)
        except WorkerGone as e:  # a worker that cannot even start: nothing to isolate
            raise RunAborted(f"{e} while starting; the cells written before are kept") \
                from None
        except Interrupted:
            write_tables(run_dir.path, _table_rows(run_dir, config, cells))
            raise Interrupted(f"{command}  # resumes; {run_dir.path} keeps what finished") \
                from None
        except OSError as e:
            raise RunAborted(f"could not write {run_dir.results}: {e.strerror or e}. The cells "
                             "written before are kept: free space and rerun the same command "
                             "to resume.") from None
        final = _table_rows(run_dir, config, cells)
        write_tables(run_dir.path, final)
        return final
    finally:
        run_dir.release()


def _table_rows(run_dir: RunDir, config: Config, cells: list[Cell]) -> list[dict]:
    """The current row of every (cell, seed) of the grid that has one, in grid order."""
    with warnings.catch_warnings():  # its corrupt lines were reported when the run began
        warnings.simplefilter("ignore")
        rows = run_dir.read_rows()
    done = completed(rows, config, cells, retry_errors=False)
    order = [(c.cell_id, seed) for c in cells for seed in c.training.seeds]
    return [done[key] for key in order if key in done]


def _remove_empty(run_dir: RunDir) -> None:
    (run_dir.path / LOCK_FILE).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        run_dir.path.rmdir()
