"""The executors' shared base (Ctrl-C, the bar of cells, rows written as they come, dead units
split or recorded) and the local one: a worker process per runtime, one unit at a time each,
two runtimes side by side on a CPU with two cores or more (a worker is single-threaded)."""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from runner.config import Config
from runner.config.environments import CURRENT
from runner.environments.launch import Launch, launch_for
from runner.errors import Interrupted, WorkerGone
from runner.execute.plan import Unit, cell_columns
from runner.execute.worker import Worker
from runner.grid import Cell
from runner.store.rundir import RunDir
from runner.train import backends

_FEATURES = (CURRENT, backends.DEFAULT)  # the runtime that computes every feature
# how it ended -> (phase, error_type)
_DEATHS = {"crashed": ("crashed", "WorkerCrashed"), "timeout": ("timeout", "CellTimeout"),
           "node lost": ("crashed", "NodeLost")}


class Executor:
    """Runs a grid's units into a run directory, the only writer of its results."""

    stop_requested = False  # set by Ctrl-C; checked between writes
    common: dict[str, Any]  # the provenance of the rows of dead units
    decisions: dict[str, Any] | None = None  # the first worker's: data sources, weights

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
        """A unit whose worker died ('crashed', 'timeout' or 'node lost'): the units to run
        instead (its groups one at a time), or, of a single group, its rows written."""
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


class ProgressBars:
    """A live bar per `what` ('features mnist') while data loads; a finished one leaves a line
    such as `features mnist: 6000 images in 27.9 s`. `listener` hears every report (bench)."""

    def __init__(self, enabled: bool, listener: Callable[[str, int, int], None] | None = None):
        self.enabled, self.listener = enabled, listener
        self._bars: dict[str, tuple[Any, float]] = {}

    def update(self, what: str, done: int, total: int) -> None:
        if self.listener is not None:
            self.listener(what, done, total)
        if not self.enabled:
            return
        from tqdm.auto import tqdm

        noun = "image" if what.startswith("features") else "example"
        if what not in self._bars:
            self._bars[what] = (tqdm(total=total or None, desc=what, unit=noun, leave=False,
                                     dynamic_ncols=True), time.monotonic())
        bar, started = self._bars[what]
        bar.update(done - bar.n)
        if total and done >= total:
            bar.close()
            del self._bars[what]
            tqdm.write(f"{what}: {done} {noun}s in {time.monotonic() - started:.1f} s",
                       file=sys.stderr)

    def close(self) -> None:
        for bar, _ in self._bars.values():
            bar.close()
        self._bars.clear()


class Supervisor(Executor):
    """Runs units in a worker per runtime. This Python's TensorFlow worker starts first: it
    decides data sources and weights, and computes the features the others are given."""

    def __init__(self, config: Config, cells: list[Cell], run_dir: RunDir, *, use_cache: bool,
                 device: str, progress: bool, warn: Callable[[str], None],
                 on_progress: Callable[[str, int, int], None] | None = None,
                 launches: dict[str, Launch] | None = None):
        super().__init__(config, run_dir, progress, warn)
        self.bars = ProgressBars(progress, on_progress)
        runtimes = dict.fromkeys([_FEATURES] + [(c.environment, c.framework) for c in cells])
        self.workers = {(env, fw): Worker(
            (config, cells, use_cache, device if env == CURRENT else "auto", fw),
            (launches or {}).get(env) or launch_for(fw), warn, self.bars.update)
            for env, fw in runtimes}
        self.locks = {key: threading.Lock() for key in self.workers}  # one user per socket

    @property
    def common(self) -> dict[str, Any]:
        return self.workers[_FEATURES].provenance

    def start(self) -> None:
        self.decisions = self.workers[_FEATURES].start(None)

    def run(self, units: list[Unit]) -> None:
        queues: dict[tuple, collections.deque] = {}
        for unit in units:  # each runtime's units in grid order, the runtimes too
            queues.setdefault(unit.runtime, collections.deque()).append(unit)
        lock = threading.Lock()  # one writer at a time

        def drain(runtime: tuple[str, str]) -> None:
            queue = queues[runtime]
            try:
                while queue and not self.stop_requested:
                    unit = queue.popleft()
                    outcome = self._attempt(unit)
                    with lock:
                        self._bar.set_postfix_str(unit.groups[0][0].head_name, refresh=True)
                        if isinstance(outcome, list):
                            for rows, result in outcome:
                                self._write(rows, result.logits)
                        else:
                            split = self._died(unit, *outcome,
                                               common=self.workers[runtime].provenance)
                            queue.extendleft(reversed(split))
            except BaseException:
                self.stop_requested = True  # the other runtime stops too
                raise
            if runtime != _FEATURES:  # done with it: its memory back
                self.workers[runtime].stop()

        # On a GPU or TPU one runtime at a time: each process would claim its memory.
        on_cpu = str(self.common.get("device", "cpu")).startswith("cpu")
        side_by_side = 2 if on_cpu and len(queues) > 1 and (os.cpu_count() or 1) > 1 else 1
        try:
            with self._running(units), ThreadPoolExecutor(side_by_side) as pool:
                list(pool.map(drain, queues))
            if self.stop_requested and any(queues.values()):
                raise Interrupted()  # Ctrl-C between two units: the rest is left to resume
        finally:
            self.bars.close()
            for worker in self.workers.values():
                worker.stop()

    def _attempt(self, unit: Unit) -> list | tuple[str, str]:
        """A unit's (rows, result) per group, or how its worker died: (death, cause)."""
        with self.locks[unit.runtime]:
            worker = self.workers[unit.runtime]
            if not worker.alive:
                worker.start(self.decisions)
            if unit.runtime != _FEATURES and unit.mode == "cached" and \
                    unit.data_key not in worker.provided:
                source = self.workers[_FEATURES]
                with self.locks[_FEATURES]:  # it may be training in the other thread
                    if not source.alive:
                        source.start(self.decisions)
                    worker.provide(unit.data_key, source, lambda: self.stop_requested)
            try:
                outcome = worker.run(unit, lambda: self.stop_requested)
            except WorkerGone as e:
                outcome = ("crashed", str(e))
            if not isinstance(outcome, list):
                worker.kill()  # the next unit starts a fresh one
            return outcome
