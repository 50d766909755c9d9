"""Ray nodes that leave mid-run: which task errors mean a lost node, and noticing them.

A node that goes (a preempted spot instance, a rebooted box, a network split)
takes with it the tasks running there and the objects only it held. That is no
fault of the cells: the driver runs their units again, whole, on the nodes left
(`MAX_NODE_LOSSES` times at most), computes a dataset's features again when
their last copy went, and records cells `phase: crashed`, `NodeLost`, only when
that bound is reached or no node left can take a task for
`resources.node_wait_seconds`.
"""

from __future__ import annotations

import re
import time
from typing import Any

MAX_NODE_LOSSES = 3  # times a unit (or a dataset's features) may lose its node
WATCH_SECONDS = 1.0  # how often the driver looks at the cluster's nodes


def lost_node(error: BaseException) -> bool:
    """Whether a Ray task's error says that its node, or the node holding its input, went.

    `NodeDiedError`: the task's node died under it. `ObjectLostError` (and
    `ObjectReconstructionFailedError`, a task's input that cannot be had again):
    every copy of an input was on nodes that went. The owner dying (the driver
    itself) or an object freed on purpose are not lost nodes.
    """
    import ray

    failures = ray.exceptions
    if isinstance(error, (failures.OwnerDiedError, failures.ObjectFreedError,
                          failures.ReferenceCountingAssertionError)):
        return False
    return isinstance(error, (failures.NodeDiedError, failures.ObjectLostError))


def died_on(error: BaseException) -> str | None:
    """The id of the node a `NodeDiedError` names, when its message says (Ray 2.60's does)."""
    found = re.search(r"node ID: ([0-9a-f]{16,})", str(error))
    return found.group(1) if found else None


def alive_nodes() -> dict[str, dict[str, Any]]:
    """The cluster's live nodes: node id -> Ray's record of it (resources, address)."""
    import ray

    return {n["NodeID"]: n for n in ray.nodes() if n.get("Alive")}


def node_name(node_id: str | None, nodes: dict[str, dict[str, Any]] | None = None) -> str:
    """A node as messages name it: its id's first 8 digits, and its address when known."""
    if node_id is None:
        return "a Ray node"
    address = (nodes or {}).get(node_id, {}).get("NodeManagerAddress")
    return f"Ray node {node_id[:8]}" + (f" ({address})" if address else "")


def lost_objects(refs: list[Any], alive: set[str]) -> list[Any]:
    """The refs of `refs` with no copy on a live node any more (their node went)."""
    import ray

    if not refs:
        return []
    locations = ray.experimental.get_object_locations(refs)
    return [ref for ref in refs if not set(locations[ref]["node_ids"]) & alive]


class NodeWatch:
    """The cluster's live nodes, looked at every `WATCH_SECONDS`: which ones left."""

    def __init__(self):
        self.nodes: dict[str, dict[str, Any]] = {}
        self._next = 0.0

    def start(self) -> None:
        self.nodes = alive_nodes()
        self._next = time.monotonic() + WATCH_SECONDS

    def left(self) -> list[tuple[str, dict[str, Any]]] | None:
        """Nodes gone since the last look, or None when it is not time to look."""
        now = time.monotonic()
        if now < self._next:
            return None
        self._next = now + WATCH_SECONDS
        before, self.nodes = self.nodes, alive_nodes()
        return [(node_id, node) for node_id, node in before.items() if node_id not in self.nodes]
