"""Run a grid's units as Ray tasks, the driver the only writer of results (docs/ray.md): a
unit whose task dies is split as locally; one whose node went runs again, whole, and the cells
no node can take for `resources.node_wait_seconds` (which Ray does not give) are `NodeLost`."""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import time
from collections.abc import Callable
from typing import Any

from runner import vocab
from runner.config import Config
from runner.errors import Interrupted
from runner.execute.local import Executor
from runner.execute.plan import DataKey, Unit
from runner.execute.ray.cluster import RayCluster, alive_nodes, first_line
from runner.execute.worker import POLL_SECONDS
from runner.grid import Cell
from runner.store.rundir import RunDir

MAX_NODE_LOSSES = 3  # times a unit may lose its node
WATCH_SECONDS = 1.0  # how often the driver looks at the cluster's nodes


def lost_node(error: BaseException) -> bool:
    """Whether a task's error says that its node, or every copy of its input, went."""
    from ray import exceptions as failures

    if isinstance(error, (failures.OwnerDiedError, failures.ObjectFreedError)):
        return False  # the driver itself, or an object freed on purpose
    return isinstance(error, (failures.NodeDiedError, failures.ObjectLostError))


def node_name(node_id: str | None, nodes: dict[str, dict[str, Any]] | None = None) -> str:
    """A node as messages name it: its id's first 8 digits, and its address when known."""
    if node_id is None:
        return "a Ray node"
    address = (nodes or {}).get(node_id, {}).get("NodeManagerAddress")
    return f"Ray node {node_id[:8]}" + (f" ({address})" if address else "")


@dataclasses.dataclass
class _Flight:
    """A unit's task."""

    unit: Unit
    started: float = dataclasses.field(default_factory=time.monotonic)
    deadline: float | None = None
    cancelled: bool = False
    node: str | None = None  # the Ray node's id, once the task said
    training: bool = False  # its data is ready: what dies now is the cells' doing


class RaySupervisor(Executor):
    """Runs the remaining units of a grid as Ray tasks, appending rows as each task ends."""

    def __init__(self, config: Config, cells: list[Cell], run_dir: RunDir, *, use_cache: bool,
                 device: str, progress: bool, warn: Callable[[str], None],
                 address: str | None = None):
        super().__init__(config, run_dir, progress, warn)
        self.cluster = RayCluster(config, cells, use_cache, device, address, warn)
        self._queue: collections.deque[Unit] = collections.deque()
        self._flights: dict[Any, _Flight] = {}  # a task's generator -> its unit
        self._features: dict[DataKey, tuple[Any, Any]] = {}  # refs: (warnings, features)
        self._unread: set[Any] = set()  # feature tasks whose warnings are not shown yet
        self._nodes: dict[str, dict[str, Any]] = {}  # the live nodes at the last look
        self._next_look = 0.0
        self._unit_losses: collections.Counter[Unit] = collections.Counter()
        self._stranded_since: float | None = None  # since when no node can take a task

    def start(self) -> None:
        self.common = self.cluster.start()
        self.decisions = self.cluster.setup.decisions

    def run(self, units: list[Unit]) -> None:
        self._queue = collections.deque(units)
        self._nodes, self._next_look = alive_nodes(), time.monotonic() + WATCH_SECONDS
        try:
            with self._running(units):
                while self._queue or self._flights:
                    self._submit()
                    self._receive()
                    self._watch()
                    if self.stop_requested:
                        raise Interrupted()
        finally:
            self._cancel_all()
            self.cluster.stop()

    def _submit(self) -> None:
        for unit in self._queue:  # and the feature tasks they take their data from
            loaded = None
            if unit.mode == "cached":
                if unit.data_key not in self._features:
                    self._features[unit.data_key] = self.cluster.extract(unit.data_key)
                    self._unread.add(self._features[unit.data_key][0])
                loaded = self._features[unit.data_key][1]
            self._flights[self.cluster.train(unit, loaded)] = _Flight(unit)
        self._queue.clear()

    def _receive(self) -> None:
        """Handle what came within a poll; cancel the tasks past their deadline."""
        import ray

        refs = list(self._unread) + list(self._flights)
        ready = ray.wait(refs, num_returns=len(refs), timeout=POLL_SECONDS)[0] if refs else []
        for ref in ready:
            if ref in self._flights:
                self._unit_event(ref)
            elif ref in self._unread:
                self._unread.discard(ref)
                # a task that died: the units that take its features say how
                with contextlib.suppress(ray.exceptions.RayError):
                    for text in ray.get(ref):
                        self.warn(text)
        now = time.monotonic()
        for generator, flight in self._flights.items():
            if flight.deadline is not None and now > flight.deadline and not flight.cancelled:
                ray.cancel(generator, force=True)  # kills its worker; the outcome comes next
                flight.cancelled = True

    def _unit_event(self, generator: Any) -> None:
        """A unit's task said where it runs, that it trains, or how it ended."""
        import ray

        flight = self._flights[generator]
        try:
            item = ray.get(next(generator))
        except ray.exceptions.RayError as e:
            item = ("failed", e)
        if item[0] == "node":
            flight.node = item[1]
            return
        if item[0] == "training":
            flight.training = True
            if flight.unit.budget_seconds is not None:
                flight.deadline = time.monotonic() + flight.unit.budget_seconds
            return
        del self._flights[generator]
        if item[0] == "done":
            for text in item[2]:
                self.warn(text)
            for rows, result in item[1]:
                self._write(rows, result.logits)
        elif flight.cancelled:
            self._queue.extend(self._died(flight.unit, "timeout", ""))
        elif lost_node(e := item[1]) or flight.node is not None and \
                flight.node not in alive_nodes():
            self._lost(flight, e)
        else:
            doing = "training this cell" if flight.training else \
                "computing the features of this cell's dataset"
            cause = f"the Ray task died ({first_line(e)})"
            self._queue.extend(self._died(flight.unit, "crashed", cause, doing))
        left = [*self._queue, *(f.unit for f in self._flights.values())]
        if all(u.data_key != flight.unit.data_key for u in left):  # the object store frees them
            self._features.pop(flight.unit.data_key, None)

    def _lost(self, flight: Any, error: BaseException) -> None:
        """A unit's node (or its input's every copy) went: run it again, whole, or record it."""
        unit = flight.unit
        if self.stop_requested:
            return
        self._unit_losses[unit] += 1
        went = f"{node_name(flight.node, self._nodes)} went"
        seconds = time.monotonic() - flight.started
        data = unit.dataset if unit.backbone == vocab.DEFAULT_BACKBONE else "@".join(unit.data_key)
        what = f"{data} {unit.groups[0][0].encoding} seed {unit.seed} ({len(unit.cells)} cells, " \
            f"{seconds:.1f} s in)"
        count = f"{self._unit_losses[unit]} of {MAX_NODE_LOSSES} losses"
        if self._unit_losses[unit] < MAX_NODE_LOSSES:
            self.warn(f"{went} while training {what}: queued again ({count})")
            self._queue.append(unit)
            return
        self.warn(f"{went} while training {what}: recorded as NodeLost ({count})")
        for part in unit.split():
            self._died(part, "node lost", f"node lost: {went} ({count}; {first_line(error)})")

    def _watch(self) -> None:
        """Say which nodes left; give up the cells left once no node can take a task."""
        if self.stop_requested or time.monotonic() < self._next_look:
            return
        self._next_look = time.monotonic() + WATCH_SECONDS
        before, self._nodes = self._nodes, alive_nodes()
        for node_id in before.keys() - self._nodes.keys():
            self.warn(f"{node_name(node_id, before)} left the cluster")
        why = self.cluster.unmet(self._nodes)
        if why is None:
            self._stranded_since = None
            return
        wait = self.config.resources.node_wait_seconds
        if self._stranded_since is None:
            self._stranded_since = time.monotonic()
            self.warn(f"no Ray node left can take a task ({why}): waiting up to {wait:g} s "
                      "for one (resources.node_wait_seconds)")
        if time.monotonic() - self._stranded_since >= wait:
            self._give_up(why)

    def _give_up(self, why: str) -> None:
        """Record every unit left as NodeLost."""
        units = list(self._queue) + [f.unit for f in self._flights.values()]
        self._cancel_all()
        self._queue.clear()
        self._features.clear()
        self.warn(f"no Ray node could take a task for {self.config.resources.node_wait_seconds:g}"
                  f" s: the {sum(len(u.cells) for u in units)} cell runs left are recorded "
                  "`phase: crashed` (NodeLost); `--retry-errors` runs them again once the "
                  "cluster has such a node")
        for part in (part for unit in units for part in unit.split()):
            self._died(part, "node lost", f"node lost: no Ray node left could take it ({why})",
                       "waiting for a Ray node to train this cell")

    def _cancel_all(self) -> None:
        """Cancel what still runs (a caller's Ray stays up and must not keep training)."""
        import ray

        if ray.is_initialized():
            for ref in [*self._flights, *self._unread]:
                ray.cancel(ref, force=True)
        self._flights.clear()
        self._unread.clear()
