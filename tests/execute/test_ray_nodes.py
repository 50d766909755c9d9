"""`--executor ray` beyond one node, on a cluster simulated on this machine: the local
executor's results with units on two nodes, a dataset's features shipped to a node
once, and nodes that go mid-grid (nothing false recorded, every cell once).

The module starts one `ray.cluster_utils.Cluster`: a head that runs no task (0 CPUs)
and the nodes `b` (2 CPUs: the only one a 2-CPU task fits on) and `c` (1 CPU), each
with its own raylet and a 100 MiB object store. A node that a test removes (killed,
as a crash or a preemption would: no goodbye) is added again for the next test.
Tasks are placed on chosen nodes through `RayCluster.options` with Ray's
node-affinity strategy (soft: anywhere once the node is gone). The grid is SMALL's
one-hot half at seeds 1-3: 3 units of 4 heads (8 cells) each.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import pathlib
import re
import signal
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest

from runner.execute.ray.cluster import RayCluster
from tests.support import (
    CELLS,
    OUTCOME,
    SMALL,
    grid,
    results_table,
    same_results,
    write_config,
)

pytestmark = pytest.mark.slow  # real fits, fuzzing or subprocess runs

ray = pytest.importorskip("ray", reason="the 'ray' extra is not installed")
from ray._private import internal_api  # noqa: E402  (after the importorskip)
from ray.cluster_utils import Cluster  # noqa: E402
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy  # noqa: E402

MIB = 2 ** 20
NODES = {"b": 2, "c": 1}  # node -> CPUs
GRID = {**SMALL, "training": {**SMALL["training"], "seeds": [1, 2, 3]},
        "grid": {**SMALL["grid"], "encoding": ["onehot"]}}
RUNS = 3 * CELLS // 2  # (cell, seed) runs of GRID
# Where tasks go: the features on c, the units of seeds 1 and 2 on b, of seed 3 on c.
PLACES = {"extract": "c", 1: "b", 2: "b", 3: "c"}


class Nodes:
    """The module's cluster: a head, and the nodes `b` and `c` (added again once removed)."""

    def __init__(self):
        # Cluster records its address in /tmp/ray for `ray.init()`: every other driver on
        # this machine (other tests, other users) would then connect to it.
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(ray._private.utils, "write_ray_address", lambda *a, **k: None)
            self.cluster = Cluster(initialize_head=True, head_node_args={
                "num_cpus": 0, "object_store_memory": 100 * MIB, "include_dashboard": False})
        self.nodes: dict[str, ray._private.node.Node] = {}
        self.restore()
        ray.init(address=self.cluster.address, logging_level="ERROR")

    def restore(self) -> None:
        for name, cpus in NODES.items():
            if name not in self.nodes:
                self.nodes[name] = self.cluster.add_node(num_cpus=cpus,
                                                         object_store_memory=100 * MIB)

    def node_id(self, name: str) -> str:
        return self.nodes[name].node_id

    def remove(self, name: str) -> None:
        """Kill every process of the node at once (SIGKILL), as a lost machine does."""
        self.cluster.remove_node(self.nodes.pop(name), allow_graceful=False)

    def running(self, name: str, task: str) -> bool:
        """Whether a Ray worker of node `name` runs `task` (Ray titles it `ray::<task>`)."""
        raylet = self.nodes[name].all_processes["raylet"][0].process.pid
        for entry in pathlib.Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and \
                        (entry / "cmdline").read_bytes().startswith(f"ray::{task}".encode()) \
                        and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) \
                        == raylet:  # a worker is a child of its node's raylet
                    return True
            except OSError:  # the process ended meanwhile
                continue
        return False

    def shutdown(self) -> None:
        ray.shutdown()
        self.cluster.shutdown()


@pytest.fixture(scope="module")
def module_nodes():
    nodes = Nodes()
    try:
        yield nodes
    finally:
        nodes.shutdown()


@pytest.fixture
def nodes(module_nodes):
    """The cluster, with both nodes up."""
    module_nodes.restore()
    return module_nodes


@contextlib.contextmanager
def placed(nodes: Nodes, places: dict):
    """Tasks placed by `places`: task name or a unit's seed -> node name."""
    original = RayCluster.options

    def options(self, task, unit=None):
        chosen = places.get(task if unit is None else unit.seed)
        result = original(self, task, unit)
        if chosen in nodes.nodes:
            result["scheduling_strategy"] = NodeAffinitySchedulingStrategy(
                nodes.node_id(chosen), soft=True)
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RayCluster, "options", options)
        yield


@contextlib.contextmanager
def removed_when(nodes: Nodes, name: str, task: str):
    """Remove node `name` as soon as one of its workers runs `task`; yields when it did."""
    removed: dict[str, float] = {}
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if nodes.running(name, task):
                removed["at"] = time.monotonic()
                nodes.remove(name)
                return
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield removed
    finally:
        done.set()
        watcher.join()
    assert removed, f"no worker of node {name} was seen running {task}"


class Stamped(io.StringIO):
    """A stream that notes when each write came (`time.monotonic()`)."""

    def __init__(self):
        super().__init__()
        self.writes: list[tuple[float, str]] = []

    def write(self, text: str) -> int:
        self.writes.append((time.monotonic(), text))
        return super().write(text)

    def first(self, pattern: str) -> float:
        """When the first write matching `pattern` came."""
        return next(at for at, text in self.writes if re.search(pattern, text))


@dataclasses.dataclass
class Run:
    table: pd.DataFrame
    started: float  # time.monotonic()
    seconds: float
    stderr: Stamped  # what the driver printed

    @property
    def err(self) -> str:
        return self.stderr.getvalue()


def run(folder: pathlib.Path, doc: dict, *flags: str) -> Run:
    """`doc` with `--executor ray`, from this process, on the module's cluster."""
    config, out, err = write_config(folder, doc), folder / "run", Stamped()
    start = time.monotonic()
    with contextlib.redirect_stderr(err):
        assert grid(config, out, "--executor", "ray", *flags) == 0, err.getvalue()
    return Run(results_table(out), start, time.monotonic() - start, err)


def created_bytes() -> dict[str, int]:
    """Bytes each live node's object store has created so far: the objects its workers
    made, and the copies it received from other nodes (Ray's store stats)."""
    return {n["NodeID"]: internal_api.node_stats(n["NodeManagerAddress"], n["NodeManagerPort"],
                                                 include_memory_info=False)
            .store_stats.cumulative_created_bytes for n in ray.nodes() if n["Alive"]}


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """GRID run by the local executor: what Ray must reproduce."""
    root = tmp_path_factory.mktemp("local")
    assert grid(write_config(root, GRID), root / "run") == 0
    return results_table(root / "run")


@dataclasses.dataclass
class Intact:
    run: Run
    feature_bytes: int  # the size of the dataset's features object
    holders: set[str]  # the nodes holding a copy of it after the run
    received: dict[str, int]  # node -> bytes its store created during the run


@pytest.fixture(scope="module")
def intact(module_nodes, tmp_path_factory):
    """GRID on both nodes, placed by PLACES; the features object kept for counting."""
    module_nodes.restore()
    kept = []  # the features' ref: held here, the object outlives the run
    original = RayCluster.extract

    def extract(self, dataset):
        refs = original(self, dataset)
        kept.append(refs[1])
        return refs

    before = created_bytes()
    with placed(module_nodes, PLACES), pytest.MonkeyPatch.context() as patch:
        patch.setattr(RayCluster, "extract", extract)
        result = run(tmp_path_factory.mktemp("intact"), GRID)
    after = created_bytes()
    assert len(kept) == 1, "one feature task for the one dataset"
    where = ray.experimental.get_object_locations(kept)[kept[0]]
    received = {node: after[node] - before[node] for node in after}
    yield Intact(result, where["object_size"], set(where["node_ids"]), received)
    kept.clear()


def test_units_on_two_nodes_give_the_local_executors_results(nodes, local, intact):
    same_results(local, intact.run.table)


def test_a_node_receives_a_datasets_features_once_not_once_per_unit(nodes, intact):
    b, c = nodes.node_id("b"), nodes.node_id("c")
    assert intact.holders == {b, c}  # computed on c, copied to b
    assert intact.feature_bytes > 96 * 512 * 4  # 96 images' 512 VGG16 features, float32
    # b trained 2 units on them and received one copy: the rest of what its store made
    # (the units' small outputs stay inline) is far below a second copy.
    assert intact.feature_bytes <= intact.received[b] < 2 * intact.feature_bytes
    print(f"\nfeatures object: {intact.feature_bytes} bytes; bytes created in the stores "
          f"during the run: b (2 units) {intact.received[b]}, c (features, 1 unit) "
          f"{intact.received[c]}; run {intact.run.seconds:.1f} s")


def test_a_killed_driver_resumes_on_the_cluster(nodes, local, tmp_path, capsys):
    config, out = write_config(tmp_path, GRID), tmp_path / "run"
    driver = subprocess.Popen(
        [sys.executable, "-m", "runner", "grid", str(config), "--out", str(out),
         "--no-progress", "--no-cache", "--executor", "ray", "--ray-address",
         nodes.cluster.address], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = out / "results.jsonl"
    while driver.poll() is None and not (results.is_file() and results.read_text().strip()):
        time.sleep(0.05)
    driver.send_signal(signal.SIGKILL)
    _, err = driver.communicate(timeout=60)
    assert driver.returncode == -signal.SIGKILL, err
    assert 0 < len(results.read_text().splitlines()) < RUNS
    assert grid(config, out, "--executor", "ray") == 0
    err = capsys.readouterr().err
    assert f"took over the lock left by process {driver.pid}" in err
    assert re.search(rf"resuming .*: \d+ of {RUNS} cell runs already done", err)
    same_results(local, results_table(out), OUTCOME)


def test_a_node_lost_while_it_computes_features(nodes, local, tmp_path):
    with placed(nodes, {**PLACES, "extract": "b"}), \
            removed_when(nodes, "b", "extract") as removed:
        lost = run(tmp_path, GRID)
    # Ray runs the feature task again on c (its retries): the same numbers, every cell once
    same_results(local, lost.table, OUTCOME)
    assert len(lost.table) == RUNS and "NodeLost" not in set(lost.table["error_type"])
    left = r"Ray node \w{8} \(.*\) left the cluster"
    assert re.search(left, lost.err), lost.err
    print(f"\nnode b removed {removed['at'] - lost.started:.1f} s into the run, computing "
          f"features; the driver saw it leave {lost.stderr.first(left) - removed['at']:.2f} s "
          f"later; run {lost.seconds:.1f} s\n{lost.err}")


def test_a_node_lost_while_its_units_train(nodes, local, tmp_path):
    with placed(nodes, PLACES), removed_when(nodes, "b", "train") as removed:
        lost = run(tmp_path, GRID)
    # the node named when its task said where it ran before the node went (not always, loaded)
    went = r"(?:Ray node \w{8} \(.*\)|a Ray node) went while training mnist_binary onehot " \
           r"seed (\d) \(8 cells, "
    requeued = re.findall(went + r"([\d.]+) s in\): queued again \(1 of 3 losses\)", lost.err)
    assert requeued and {seed for seed, _ in requeued} <= {"1", "2"}, lost.err  # b's units
    # Run again whole on c: the same numbers. (Not all columns: on this shared machine a
    # worker of c may be killed for memory meanwhile, and its unit is split as it must be.)
    same_results(local, lost.table, OUTCOME)
    noticed = lost.stderr.first(went) - removed["at"]
    assert noticed < 30
    print(f"\nnode b removed {removed['at'] - lost.started:.1f} s into the run; the driver "
          f"knew {noticed:.2f} s later; units lost (seed, seconds out): {requeued}; run "
          f"{lost.seconds:.1f} s\n{lost.err}")


def test_cells_no_node_left_can_take_are_recorded_node_lost(nodes, local, tmp_path):
    # 2 CPUs a task: only b can take one; once b goes, no node is left for the grid.
    doc = {**GRID, "resources": {"cpus_per_task": 2, "node_wait_seconds": 0}}
    with removed_when(nodes, "b", "train"):
        stranded = run(tmp_path, doc)
    # Ray's health checks tell that b is gone some seconds after its tasks failed.
    assert re.search(r"Ray node \w{8} \(.*\) left the cluster\n.*no Ray node left can take a "
                     r"task \(Expected a Ray node with 2 CPU and 0 GPU", stranded.err)
    assert "cell runs left are recorded `phase: crashed` (NodeLost)" in stranded.err
    table = stranded.table
    assert len(table) == RUNS  # every cell once
    lost = table[table["error_type"] == "NodeLost"]
    assert len(lost) > 0 and set(lost["phase"]) == {"crashed"} and set(lost["status"]) == {
        "error"}  # error rows: `--retry-errors` runs them again
    assert lost["error_message"].str.startswith("node lost: no Ray node left could take it "
                                                "(Expected a Ray node with 2 CPU").all()
    finished = table.index.difference(lost.index)
    same_results(local.loc[finished], table.loc[finished], OUTCOME)
    print(f"\n{stranded.err}")
