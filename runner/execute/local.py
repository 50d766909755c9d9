"""The local executor: the grid's units sent to a worker process per runtime (a framework
of this Python, or a built environment), one unit at a time per worker.

The supervisor sends units to a worker process (`worker.py`) and hands every
finished group to the run directory at once; a worker that dies (segfault,
out-of-memory kill, `os._exit`) or overruns `training.cell_timeout_seconds` is
replaced, and its unit is split into single groups to find the one that kills
it, which is recorded as `phase: crashed` or `phase: timeout`. On a CPU with two or more
cores, two runtimes train side by side (a thread of this process waits on each worker):
a worker's traces and start-up are single-threaded Python, so a second one fills the
other core.
"""

from __future__ import annotations

import collections
import os
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from runner.config import Config
from runner.config.environments import CURRENT
from runner.errors import Interrupted, WorkerGone
from runner.execute.deaths import GracefulStop, error_rows, timeout_cause
from runner.execute.plan import Unit
from runner.execute.progress import ProgressBars
from runner.execute.worker import Worker
from runner.grid import Cell
from runner.store.rundir import RunDir
from runner.train import backends

if TYPE_CHECKING:
    from runner.environments import Launch

_FEATURES = (CURRENT, backends.DEFAULT)  # the runtime that computes every feature


class Supervisor(GracefulStop):
    """Runs the remaining units of a grid, one at a time, each in a worker of its runtime.

    The worker of this Python's TensorFlow is started first: it decides data sources and
    weights and computes the features, which it hands (through here) to the other
    frameworks and environments as arrays.
    """

    def __init__(self, config: Config, cells: list[Cell], run_dir: RunDir, *, use_cache: bool,
                 device: str, progress: bool, warn: Callable[[str], None],
                 on_progress: Callable[[str, int, int], None] | None = None,
                 launches: dict[str, Launch] | None = None):
        """Args:
            launches: each built environment's interpreter (`environments.prepare`), for
                the cells of pinned environments.
        """
        self.config, self.run_dir, self.progress = config, run_dir, progress
        self.bars = ProgressBars(progress, on_progress)
        launches = launches or {}
        self.workers = {
            key: Worker(config, cells, use_cache, device if key[0] == CURRENT else "auto",
                        key[1], warn, self.bars.update, launch=launches.get(key[0]))
            for key in dict.fromkeys([_FEATURES] + [(c.environment, c.framework)
                                                    for c in cells])}
        self.locks = {key: threading.Lock() for key in self.workers}  # one user per pipe
        self.decisions: dict[str, Any] | None = None

    @property
    def common(self) -> dict[str, Any]:
        """The provenance the first worker's rows carry (device, versions, weights)."""
        return self.workers[_FEATURES].provenance

    def start(self) -> None:
        """Start the TensorFlow worker and take its decisions.

        Raises:
            ResourceUnavailable: device, weights or data cannot be had.
        """
        self.decisions = self.workers[_FEATURES].start(None)

    def run(self, units: list[Unit]) -> None:
        from tqdm.auto import tqdm  # widgets in Jupyter, text in a terminal

        queues: dict[tuple, collections.deque] = {}
        for unit in units:  # each runtime's units in grid order, the runtimes too
            queues.setdefault(unit.runtime, collections.deque()).append(unit)
        runtimes = collections.deque(queues)
        lock, failures = threading.Lock(), []

        def drain(bar) -> None:
            try:
                while not self.stop_requested:
                    with lock:
                        if not runtimes:
                            return
                        runtime = runtimes.popleft()
                    queue = queues[runtime]
                    while queue and not self.stop_requested:
                        unit = queue.popleft()
                        results = self._attempt(unit, queue)
                        with lock:
                            bar.set_postfix_str(unit.groups[0][0].head_name, refresh=True)
                            for rows, logits in results:
                                self.run_dir.append(rows, logits)
                                bar.update(len(rows))
                    if runtime != _FEATURES:  # done with it: its memory back
                        self.workers[runtime].stop()
            except BaseException as e:  # noqa: BLE001 - re-raised by the main thread
                failures.append(e)
                self.stop_requested = True

        previous = signal.signal(signal.SIGINT, self._request_stop)
        try:
            with tqdm(total=sum(len(u.cells) for u in units), unit="cell",
                      disable=not self.progress, dynamic_ncols=True) as bar:
                helpers = [threading.Thread(target=drain, args=(bar,), daemon=True)
                           for _ in range(self._side_by_side(len(runtimes)) - 1)]
                for thread in helpers:
                    thread.start()
                drain(bar)
                for thread in helpers:
                    thread.join()
            if failures:
                raise failures[0]
            if self.stop_requested and (runtimes or any(queues.values())):
                raise Interrupted()  # Ctrl-C between two units: the rest is left to resume
        finally:
            signal.signal(signal.SIGINT, previous)
            self.bars.close()
            for worker in self.workers.values():
                worker.stop()

    def _side_by_side(self, runtimes: int) -> int:
        """How many runtimes train at once: two on a CPU with two cores or more (on a GPU
        or TPU, one: each process would claim the accelerator's memory)."""
        on_cpu = str(self.common.get("device", "cpu")).startswith("cpu")
        return 2 if on_cpu and runtimes > 1 and (os.cpu_count() or 1) > 1 else 1

    def _ready(self, unit: Unit) -> Worker:
        """The unit's runtime's worker, started and given the unit's features."""
        worker = self.workers[unit.runtime]
        if not worker.alive:
            worker.start(self.decisions)
        if unit.runtime != _FEATURES and unit.mode == "cached" and \
                unit.data_key not in worker.provided:
            source = self.workers[_FEATURES]
            with self.locks[_FEATURES]:  # it may be training in the other thread
                if not source.alive:
                    source.start(self.decisions)
                loaded = source.features(unit.data_key, lambda: self.stop_requested)
            worker.provide(unit.data_key, loaded)
        return worker

    def _attempt(self, unit: Unit, queue: collections.deque) -> list[tuple[list[dict], Any]]:
        """Results of a unit, or of its crash: split and requeued, or recorded."""
        with self.locks[unit.runtime]:
            worker = self._ready(unit)
            try:
                outcome = worker.run(unit, lambda: self.stop_requested)
            except WorkerGone as e:
                outcome, how = "crashed", str(e)
            if isinstance(outcome, list):
                return [(rows, result.logits) for rows, result in outcome]
            worker.kill()  # the next unit starts a fresh one
        if outcome == "timeout":
            how = timeout_cause(unit)
        if len(unit.groups) > 1:  # find the group that does it: one at a time
            queue.extendleft(reversed(unit.split()))
            return []
        return [(error_rows(self.config, unit, outcome, how, worker.provenance), None)]
