"""What the Ray driver does when nodes go, without a cluster: which task errors mean a
lost node, a unit run again whole then recorded `NodeLost`, and the cells no node can
take (`runner/execute/ray/supervisor.py`; the simulated cluster's runs are in
test_ray_nodes.py)."""

from __future__ import annotations

import collections
import sys
import time
import types

import pytest

from runner.config import parse_config
from runner.errors import ResourceUnavailable
from runner.execute.plan import plan_units
from runner.execute.ray.cluster import RayCluster
from runner.execute.ray.supervisor import RaySupervisor, lost_node, node_name
from runner.grid import expand
from tests.support import CELLS, SMALL

ray = pytest.importorskip("ray", reason="the 'ray' extra is not installed")

GRID = {**SMALL, "training": {**SMALL["training"], "seeds": [1, 2, 3]},
        "grid": {**SMALL["grid"], "encoding": ["onehot"]}}
RUNS = 3 * CELLS // 2  # (cell, seed) runs of GRID
NODE_ID = "ab" * 28


@pytest.mark.parametrize("error, lost", [
    (ray.exceptions.NodeDiedError("the node is dead"), True),
    (ray.exceptions.ObjectReconstructionFailedError("ff" * 28, None, ""), True),  # input gone
    (ray.exceptions.ObjectLostError("ff" * 28, None, ""), True),
    (ray.exceptions.OwnerDiedError("ff" * 28, None, ""), False),  # the driver itself
    (ray.exceptions.ObjectFreedError("ff" * 28, None, ""), False),
    (ray.exceptions.WorkerCrashedError(), False),  # the cell's own doing, or its worker's
    (ray.exceptions.TaskCancelledError(), False),
])
def test_which_task_errors_mean_a_lost_node(error, lost):
    assert lost_node(error) is lost


def test_a_missing_ray_is_said_before_ray_is_imported(monkeypatch):
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails
    cluster = RayCluster(parse_config(SMALL), [], True, "cpu", None, print)
    with pytest.raises(ResourceUnavailable, match=r"pip install 'cheatgrid\[ray\]'"):
        cluster.start()


def test_how_messages_name_a_node():
    assert node_name(NODE_ID, {NODE_ID: {"NodeManagerAddress": "10.0.0.2"}}) == \
        "Ray node abababab (10.0.0.2)"
    assert node_name(None) == "a Ray node"


class Driver(RaySupervisor):
    """A supervisor without Ray: the rows it writes, its messages."""

    def __init__(self, doc: dict):
        self.config = parse_config(doc)
        self.units = plan_units(self.config, expand(self.config))
        self.messages: list[str] = []
        self.warn, self.stop_requested = self.messages.append, False
        self._queue, self._flights, self._features = collections.deque(), {}, {}
        self._unread = set()
        self.common, self._nodes, self._next_look, self._stranded_since = {}, {}, 0.0, None
        self._unit_losses = collections.Counter()
        self.rows: list[dict] = []

    def _write(self, rows, logits) -> None:
        self.rows.extend(rows)

    def _cancel_all(self) -> None:
        self._flights.clear()


def test_a_unit_that_loses_its_node_runs_again_whole_then_is_recorded():
    driver = Driver(GRID)
    unit = driver.units[0]
    flight = types.SimpleNamespace(unit=unit, loaded=None, started=time.monotonic(), node=NODE_ID)
    died = ray.exceptions.NodeDiedError("Task failed ...")
    for losses in (1, 2):
        driver._lost(flight, died)
        assert list(driver._queue) == [unit] and not driver.rows  # whole, not split
        assert driver.messages[-1].endswith(f"queued again ({losses} of 3 losses)")
        driver._queue.clear()
    driver._lost(flight, died)
    assert not driver._queue and "abababab" in driver.messages[-1]  # which node, and
    assert "recorded as NodeLost (3 of 3 losses)" in driver.messages[-1]  # the bound
    assert [r["cell_id"] for r in driver.rows] == [c.cell_id for c in unit.cells]
    assert {(r["status"], r["phase"], r["error_type"]) for r in driver.rows} == {
        ("error", "crashed", "NodeLost")}
    assert all(r["error_message"].startswith("node lost:") and "NodeDiedError" in
               r["error_message"] for r in driver.rows)


def test_cells_are_recorded_node_lost_when_no_node_can_take_them():
    driver = Driver(GRID)
    driver._queue.extend(driver.units)
    driver._give_up("Expected a Ray node with 2 CPU and 0 GPU for one task. Received: nodes "
                    "with 1 CPU, 0 GPU")
    assert len(driver.rows) == RUNS and not driver._queue
    assert {r["error_type"] for r in driver.rows} == {"NodeLost"}
    why = "Expected a Ray node with 2 CPU"
    assert all(r["error_message"].startswith("node lost:") and why in r["error_message"]
               for r in driver.rows)
    assert len(driver.messages) == 1 and f"the {RUNS} cell runs left" in driver.messages[0] \
        and "--retry-errors" in driver.messages[0]  # what happened, and what to do
