"""The local executor: the grid's units sent to a worker process per runtime (a framework of
this Python, or a built environment), one unit at a time per worker; two runtimes side by
side on a CPU with two cores or more (a worker's traces and start-up are single-threaded)."""

from __future__ import annotations

import collections
import os
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
from runner.execute.executor import Executor
from runner.execute.plan import Unit
from runner.execute.worker import Worker
from runner.grid import Cell
from runner.store.rundir import RunDir
from runner.train import backends

_FEATURES = (CURRENT, backends.DEFAULT)  # the runtime that computes every feature


class ProgressBars:
    """Live bars of what happens before cells train (reading data, the backbone's pass), a
    bar per `what` ('features mnist'); a finished one leaves a line such as `features mnist:
    6000 images in 27.9 s`. `listener` hears every report, bars shown or not (the bench)."""

    def __init__(self, enabled: bool, listener: Callable[[str, int, int], None] | None = None):
        self.enabled, self.listener = enabled, listener
        self._bars: dict[str, tuple[Any, float]] = {}

    def update(self, what: str, done: int, total: int) -> None:
        if self.listener is not None:
            self.listener(what, done, total)
        if not self.enabled:
            return
        from tqdm.auto import tqdm  # widgets in Jupyter, text in a terminal

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
        """`launches`: each built environment's interpreter (`environments.prepare`)."""
        super().__init__(config, run_dir, progress, warn)
        self.bars = ProgressBars(progress, on_progress)
        self.workers: dict[tuple[str, str], Worker] = {}
        for env, fw in dict.fromkeys([_FEATURES] + [(c.environment, c.framework) for c in cells]):
            args = (config, cells, use_cache, device if env == CURRENT else "auto", fw)
            launch = (launches or {}).get(env) or launch_for(fw)
            self.workers[(env, fw)] = Worker(args, launch, warn, self.bars.update)
        self.locks = {key: threading.Lock() for key in self.workers}  # one user per socket

    @property
    def common(self) -> dict[str, Any]:
        """The provenance the TensorFlow worker's rows carry (device, versions, weights)."""
        return self.workers[_FEATURES].provenance

    def start(self) -> None:
        """Start the TensorFlow worker and take its decisions (raises ResourceUnavailable)."""
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

        try:
            with self._running(units), ThreadPoolExecutor(self._side_by_side(len(queues))) as pool:
                list(pool.map(drain, queues))
            if self.stop_requested and any(queues.values()):
                raise Interrupted()  # Ctrl-C between two units: the rest is left to resume
        finally:
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

    def _attempt(self, unit: Unit) -> list | tuple[str, str]:
        """A unit's (rows, result) per group, or how its worker died: (death, cause)."""
        with self.locks[unit.runtime]:
            worker = self._ready(unit)
            try:
                outcome = worker.run(unit, lambda: self.stop_requested)
            except WorkerGone as e:
                outcome = ("crashed", str(e))
            if not isinstance(outcome, list):
                worker.kill()  # the next unit starts a fresh one
            return outcome
