"""Ray nodes that leave mid-run: noticing them, running their units again, giving up.

A node that goes (a preempted spot instance, a rebooted box, a network split) takes
with it the tasks running there and the objects only it held. Ray itself computes a
dataset's features again (its feature task has `max_retries`, and Ray reconstructs
a lost object from its lineage). A unit's head-training task is not retried by Ray
(a worker that dies is the cells' doing, found by splitting the unit): the driver
runs a unit whose node went again, whole, `MAX_NODE_LOSSES` times at most, and once
no node left can take a task for `resources.node_wait_seconds` (which Ray does not
give) records every cell left `phase: crashed`, `NodeLost`.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable
from typing import Any

from runner.config import Config
from runner.execute.deaths import error_rows
from runner.execute.plan import Unit, data_label
from runner.execute.ray.cluster import RayCluster, alive_nodes, first_line

MAX_NODE_LOSSES = 3  # times a unit may lose its node
WATCH_SECONDS = 1.0  # how often the driver looks at the cluster's nodes


def lost_node(error: BaseException) -> bool:
    """Whether a task's error says that its node, or every copy of its input, went."""
    import ray

    failures = ray.exceptions
    if isinstance(error, (failures.OwnerDiedError, failures.ObjectFreedError)):
        return False  # the driver itself, or an object freed on purpose
    return isinstance(error, (failures.NodeDiedError, failures.ObjectLostError))


def node_name(node_id: str | None, nodes: dict[str, dict[str, Any]] | None = None) -> str:
    """A node as messages name it: its id's first 8 digits, and its address when known."""
    if node_id is None:
        return "a Ray node"
    address = (nodes or {}).get(node_id, {}).get("NodeManagerAddress")
    return f"Ray node {node_id[:8]}" + (f" ({address})" if address else "")


class LostNodes:
    """The supervisor's handling of lost nodes: a part of `RaySupervisor`, which holds the
    state below and the `_write` and `_cancel_all` it calls."""

    config: Config
    cluster: RayCluster
    warn: Callable[[str], None]
    stop_requested: bool
    _queue: collections.deque[Unit]
    _flights: dict[Any, Any]  # a task's generator -> its `_Flight`
    _features: dict[Any, Any]  # (dataset, backbone) -> its feature task's refs
    common: dict[str, Any]
    _nodes: dict[str, dict[str, Any]]  # the live nodes at the last look
    _next_look: float  # when to look again
    _unit_losses: collections.Counter[Unit]  # unit -> times its node went
    _stranded_since: float | None  # since when no node can take a task

    def _lost(self, flight: Any, error: BaseException) -> None:
        """A unit's node (or its input's every copy) went: run it again, whole, or record it."""
        unit = flight.unit
        if self.stop_requested:
            return
        self._unit_losses[unit] += 1
        losses = self._unit_losses[unit]
        where = f"{node_name(flight.node, self._nodes)} went"
        what = (f"{data_label(unit.data_key)} {unit.groups[0][0].encoding} seed {unit.seed} "
                f"({len(unit.cells)} cells, {time.monotonic() - flight.started:.1f} s in)")
        count = f"{losses} of {MAX_NODE_LOSSES} losses"
        if losses >= MAX_NODE_LOSSES:
            self.warn(f"{where} while training {what}: recorded as NodeLost ({count})")
            self._record_lost(unit, f"node lost: {where} ({count}; {first_line(error)})")
            return
        self.warn(f"{where} while training {what}: queued again ({count})")
        self._queue.append(unit)

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
        """Record every unit left as NodeLost: no node has come that could take them."""
        units = list(self._queue) + [f.unit for f in self._flights.values()]
        self._cancel_all()
        self._queue.clear()
        self._features.clear()
        cells = sum(len(u.cells) for u in units)
        self.warn(f"no Ray node could take a task for {self.config.resources.node_wait_seconds:g}"
                  f" s: the {cells} cell runs left are recorded `phase: crashed` (NodeLost); "
                  "`--retry-errors` runs them again once the cluster has such a node")
        for unit in units:
            self._record_lost(unit, f"node lost: no Ray node left could take it ({why})",
                              "waiting for a Ray node to train this cell")

    def _record_lost(self, unit: Unit, cause: str, doing: str = "training this cell") -> None:
        for part in unit.split():
            self._write(error_rows(self.config, part, "node lost", cause, self.common, doing),
                        None)
