"""What the Ray driver does when nodes go: units run again, features computed again.

`NodeLosses` is a part of `supervisor.RaySupervisor` (whose state it uses: the
queue, the tasks in flight, the feature tasks, the run directory): a unit whose
node went is queued again whole, a dataset's features whose last copy went are
computed again, each at most `nodes.MAX_NODE_LOSSES` times; and once no node left
can take a task for `resources.node_wait_seconds`, every cell left is recorded
`phase: crashed`, `NodeLost`, so that the grid ends with every cell once.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable
from typing import Any

from runner.config import Config
from runner.execute.base import error_rows
from runner.execute.plan import DataKey, Unit, data_label
from runner.execute.ray.cluster import RayCluster, first_line
from runner.execute.ray.nodes import (
    MAX_NODE_LOSSES,
    NodeWatch,
    died_on,
    lost_objects,
    node_name,
)


class NodeLosses:
    """The supervisor's handling of lost nodes: a mixin of `RaySupervisor`, which holds the
    state below and the `_write` and `_cancel_all` it calls."""

    config: Config
    cluster: RayCluster
    warn: Callable[[str], None]
    stop_requested: bool
    _queue: collections.deque[Unit]
    _flights: dict[Any, Any]  # a task's generator -> its `_Flight`
    _features: dict[DataKey, Any]  # (dataset, backbone) -> its `_Features`
    _common: dict[str, Any]
    _nodes: NodeWatch
    _unit_losses: collections.Counter[Unit]  # unit -> times its node went
    _feature_losses: collections.Counter[DataKey]  # data key -> times its features went
    _stranded_since: float | None  # since when no node can take a task

    def _lost(self, flight: Any, error: BaseException) -> None:
        """A unit's node (or its features' last copy) went: run it again, whole, or record it."""
        import ray

        unit = flight.unit
        if self.stop_requested:
            return
        features = self._features.get(unit.data_key)
        if isinstance(error, ray.exceptions.ObjectLostError) and features is not None \
                and features.loaded is flight.loaded:  # and not already computed again
            self._forget_features(unit.data_key, f"the features of "
                                  f"{data_label(unit.data_key)} went with their Ray node")
        self._unit_losses[unit] += 1
        losses = self._unit_losses[unit]
        where = f"{node_name(flight.node or died_on(error), self._nodes.nodes)} went"
        if isinstance(error, ray.exceptions.ObjectLostError):
            where = f"the features of {data_label(unit.data_key)} went with their Ray node"
        what = (f"{data_label(unit.data_key)} {unit.groups[0][0].encoding} seed {unit.seed} "
                f"({len(unit.cells)} cells, {time.monotonic() - flight.started:.1f} s in)")
        count = f"{losses} of {MAX_NODE_LOSSES} losses"
        if losses >= MAX_NODE_LOSSES:
            self.warn(f"{where} while training {what}: recorded as NodeLost ({count})")
            self._record_lost(unit, f"node lost: {where} ({count}; {first_line(error)})")
            return
        self.warn(f"{where} while training {what}: queued again ({count})")
        self._queue.append(unit)

    def _forget_features(self, key: DataKey, what: str) -> None:
        """A dataset's features (or their task) went with a node: a next unit starts another."""
        del self._features[key]
        self._feature_losses[key] += 1
        self.warn(f"{what}: computing them again ({self._feature_losses[key]} of "
                  f"{MAX_NODE_LOSSES} losses)")

    def _watch(self) -> None:
        """Say which nodes left; give up the cells left once no node can take a task."""
        left = None if self.stop_requested else self._nodes.left()
        if left is None:
            return
        for node_id, node in left:
            self.warn(f"{node_name(node_id, {node_id: node})} left the cluster")
        if left:  # features whose every copy went: computed again before a unit needs them
            ready = {f.loaded: name for name, f in self._features.items() if f.ready}
            for ref in lost_objects(list(ready), set(self._nodes.nodes)):
                self._forget_features(ready[ref], f"the features of {data_label(ready[ref])} "
                                      "went with it")
        why = self.cluster.unmet(self._nodes.nodes)
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
            self._write(error_rows(self.config, part, "node lost", cause, self._common, doing),
                        None)
