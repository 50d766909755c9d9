"""The local executor: the grid's units sent one at a time to a worker process per framework.

The supervisor sends units to a worker process (`worker.py`) and hands every
finished group to the run directory at once; a worker that dies (segfault,
out-of-memory kill, `os._exit`) or overruns `training.cell_timeout_seconds` is
replaced, and its unit is split into single groups to find the one that kills
it, which is recorded as `phase: crashed` or `phase: timeout`.
"""

from __future__ import annotations

import collections
import signal
from collections.abc import Callable
from typing import Any

from runner.config import Config
from runner.errors import WorkerGone
from runner.execute.base import GracefulStop, ProgressBars, error_rows, timeout_cause
from runner.execute.plan import Unit
from runner.execute.worker import Worker
from runner.grid import Cell
from runner.store.rundir import RunDir
from runner.train import backends as framework


class Supervisor(GracefulStop):
    """Runs the remaining units of a grid, one at a time, each in a worker of its framework.

    The TensorFlow worker is started first: it decides data sources and weights and
    computes the features, which it hands (through here) to the other frameworks.
    """

    def __init__(self, config: Config, cells: list[Cell], run_dir: RunDir, *, use_cache: bool,
                 device: str, progress: bool, warn: Callable[[str], None],
                 on_progress: Callable[[str, int, int], None] | None = None):
        self.config, self.run_dir, self.progress = config, run_dir, progress
        self.bars = ProgressBars(progress, on_progress)
        self.workers = {name: Worker(config, cells, use_cache, device, name, warn,
                                     self.bars.update)
                        for name in dict.fromkeys([framework.DEFAULT] +
                                                  [c.framework for c in cells])}
        self.decisions: dict[str, Any] | None = None

    @property
    def common(self) -> dict[str, Any]:
        """The provenance the first worker's rows carry (device, versions, weights)."""
        return self.workers[framework.DEFAULT].provenance

    def start(self) -> None:
        """Start the TensorFlow worker and take its decisions.

        Raises:
            ResourceUnavailable: device, weights or data cannot be had.
        """
        self.decisions = self.workers[framework.DEFAULT].start(None)

    def run(self, units: list[Unit]) -> None:
        from tqdm.auto import tqdm  # widgets in Jupyter, text in a terminal

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
            self.bars.close()
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
                unit.data_key not in worker.provided:
            source = self.workers[framework.DEFAULT]
            if not source.alive:
                source.start(self.decisions)
            worker.provide(unit.data_key, source.features(unit.data_key,
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
