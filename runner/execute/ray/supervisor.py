"""Run a grid on a Ray cluster: the local runner's units as Ray tasks, one writer.

`run.run_grid(..., executor="ray")` sends the units it planned here instead of
to one worker process. A first task prepares as the local worker does and
decides data sources and weights once; every later task prepares with those
decisions. One task per (dataset, backbone) computes its features
(`UnitRunner.load`, the on-disk cache included); Ray keeps the returned arrays in
its object store, and every head-training task of that dataset takes them as its
argument (Ray starts it once they exist). A head-training task trains one
`execute.Unit` and yields a mark once its data is ready, so that
`training.cell_timeout_seconds` counts training only, as locally.

This process (the driver) stays the only writer of results.jsonl: each unit's
rows are appended as its task finishes. A task that dies (worker killed, an
exception in Ray or in the task) is handled as the local supervisor handles a
dead worker: its unit is split into single groups, and a group that dies again
is recorded `phase: crashed`. A task whose node went is not the cells' fault:
its unit runs again, whole, on the nodes left (see `lost_nodes.py`).
"""

from __future__ import annotations

import collections
import dataclasses
import signal
import time
from collections.abc import Callable
from typing import Any

from runner.config import Config
from runner.errors import Interrupted
from runner.execute.deaths import POLL_SECONDS, GracefulStop, error_rows, timeout_cause
from runner.execute.plan import DataKey, Unit
from runner.execute.ray.cluster import RayCluster, alive_nodes, first_line
from runner.execute.ray.lost_nodes import WATCH_SECONDS, LostNodes, lost_node
from runner.grid import Cell
from runner.store.rundir import RunDir


@dataclasses.dataclass
class _Flight:
    """A unit's task: when it started, its deadline once training started, where it trains."""

    unit: Unit
    started: float = dataclasses.field(default_factory=time.monotonic)
    deadline: float | None = None
    cancelled: bool = False
    node: str | None = None  # the Ray node's id, once the task said
    training: bool = False  # its data is ready: what dies now is the cells' doing


class RaySupervisor(LostNodes, GracefulStop):
    """Runs the remaining units of a grid as Ray tasks; the only writer of results."""

    def __init__(self, config: Config, cells: list[Cell], run_dir: RunDir, *, use_cache: bool,
                 device: str, progress: bool, warn: Callable[[str], None],
                 address: str | None = None):
        self.config, self.run_dir = config, run_dir
        self.cluster = RayCluster(config, cells, use_cache, device, address, warn)
        self.progress, self.warn = progress, warn
        self._queue: collections.deque[Unit] = collections.deque()
        self._flights: dict[Any, _Flight] = {}  # a task's generator -> its unit
        # (dataset, backbone) -> its feature task's refs: (warnings, features)
        self._features: dict[DataKey, tuple[Any, Any]] = {}
        self._unread: dict[Any, DataKey] = {}  # feature tasks whose warnings are not shown
        self.common: dict[str, Any] = {}  # the provenance every row carries
        self.decisions: dict[str, Any] = {}  # the first task's: data sources, weights
        self._bar: Any = None
        self._nodes: dict[str, dict[str, Any]] = {}  # the live nodes at the last look
        self._next_look = 0.0
        self._unit_losses: collections.Counter[Unit] = collections.Counter()
        self._stranded_since: float | None = None

    def start(self) -> None:
        """Connect and decide data sources and weights once (a first task).

        Raises:
            ResourceUnavailable: Ray, the resources, device, weights or data cannot be had.
        """
        self.common = self.cluster.start()
        self.decisions = self.cluster.setup.decisions

    def run(self, units: list[Unit]) -> None:
        """Run `units` on the cluster, appending each unit's rows as its task finishes.

        Raises:
            Interrupted: Ctrl-C; what finished is written, what ran is cancelled.
            OSError: results.jsonl could not be written.
        """
        from tqdm.auto import tqdm  # widgets in Jupyter, text in a terminal

        self._queue = collections.deque(units)
        self._nodes, self._next_look = alive_nodes(), time.monotonic() + WATCH_SECONDS
        total = sum(len(u.cells) for u in units)
        previous = signal.signal(signal.SIGINT, self._request_stop)
        try:
            with tqdm(total=total, unit="cell", disable=not self.progress,
                      dynamic_ncols=True) as self._bar:
                while self._queue or self._flights:
                    self._submit()
                    self._receive()
                    self._watch()
                    if self.stop_requested:
                        raise Interrupted()
        finally:
            signal.signal(signal.SIGINT, previous)
            self._cancel_all()
            self.cluster.stop()

    def _submit(self) -> None:
        """Start every queued unit, and the feature tasks they take their data from."""
        for unit in self._queue:
            loaded = None
            if unit.mode == "cached":
                if unit.data_key not in self._features:
                    refs = self._features[unit.data_key] = self.cluster.extract(unit.data_key)
                    self._unread[refs[0]] = unit.data_key
                loaded = self._features[unit.data_key][1]
            self._flights[self.cluster.train(unit, loaded)] = _Flight(unit)
        self._queue.clear()

    def _receive(self) -> None:
        """Handle what finished within a poll: feature tasks' warnings, marks, results."""
        import ray

        refs = list(self._unread) + list(self._flights)
        if not refs:
            return
        ready, _ = ray.wait(refs, num_returns=len(refs), timeout=POLL_SECONDS)
        for ref in ready:
            if ref in self._flights:
                self._unit_event(ref)
            elif ref in self._unread:
                del self._unread[ref]
                try:
                    texts = ray.get(ref)
                except ray.exceptions.RayError:
                    continue  # the units that take its features say how it died
                for text in texts:
                    self.warn(text)
        now = time.monotonic()
        for generator, flight in self._flights.items():
            if flight.deadline is not None and now > flight.deadline and not flight.cancelled:
                ray.cancel(generator, force=True)  # kills its worker; the outcome comes next
                flight.cancelled = True

    def _unit_event(self, generator: Any) -> None:
        import ray

        flight = self._flights[generator]
        try:
            item = ray.get(next(generator))
        except ray.exceptions.RayError as e:
            del self._flights[generator]
            if flight.cancelled:
                self._died(flight.unit, "timeout", timeout_cause(flight.unit))
            elif lost_node(e) or flight.node is not None and flight.node not in alive_nodes():
                self._lost(flight, e)
            else:
                doing = "training this cell" if flight.training else \
                    "computing the features of this cell's dataset"
                self._died(flight.unit, "crashed", f"the Ray task died ({first_line(e)})",
                           doing)
            self._release(flight.unit.data_key)
            return
        if item[0] == "node":
            flight.node = item[1]
            return
        if item[0] == "training":
            flight.training = True
            if flight.unit.budget_seconds is not None:
                flight.deadline = time.monotonic() + flight.unit.budget_seconds
            return
        del self._flights[generator]
        _, results, texts = item
        for text in texts:
            self.warn(text)
        for rows, result in results:
            self._write(rows, result.logits)
        self._release(flight.unit.data_key)

    def _died(self, unit: Unit, phase: str, cause: str,
              doing: str = "training this cell") -> None:
        """A unit's task died: split it to find the group that does it, or record that."""
        if self.stop_requested:  # Ctrl-C may be what killed it: the unit runs on resume
            return
        if len(unit.groups) > 1:
            self._queue.extend(unit.split())
            return
        self._write(error_rows(self.config, unit, phase, cause, self.common, doing), None)

    def _release(self, key: DataKey) -> None:
        """Drop a dataset's features once no unit needs them: the object store frees them."""
        needed = any(u.data_key == key for u in self._queue) or any(
            f.unit.data_key == key for f in self._flights.values())
        if not needed:
            self._features.pop(key, None)

    def _write(self, rows: list[dict], logits: Any) -> None:
        self.run_dir.append(rows, logits)
        self._bar.update(len(rows))

    def _cancel_all(self) -> None:
        """Cancel what still runs (a caller's Ray stays up and must not keep training)."""
        import ray

        if not ray.is_initialized():
            return
        for generator in self._flights:
            ray.cancel(generator, force=True)
        for texts in self._unread:
            ray.cancel(texts, force=True)
        self._flights.clear()
        self._unread.clear()
