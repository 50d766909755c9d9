"""The Ray side of `--executor ray`: connecting (or starting Ray here), checking the
`resources`, and the tasks, which prepare in Ray's workers as a local worker does (the
driver's decisions, so the same seeds give the same numbers)."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import logging
import pathlib
import socket
import uuid
import warnings
from collections.abc import Callable
from typing import Any

from runner.config import Config
from runner.errors import CheatgridWarning, ResourceUnavailable
from runner.execute.plan import DataKey, Unit
from runner.execute.prepare import Prepared, UnitRunner, prepare
from runner.execute.worker import inject_crash
from runner.grid import Cell
from runner.train import backends

CONNECT_SECONDS = 5  # an address that does not answer by then is refused (Ray retries long)
MAX_FEATURE_RETRIES = 3  # times Ray computes a dataset's features again once their node went


def require_ray() -> None:
    """Raise ResourceUnavailable, before anything imports Ray, where it is not installed."""
    if importlib.util.find_spec("ray") is None:
        raise ResourceUnavailable(
            "--executor ray: Expected Ray to be installed (pip install 'cheatgrid[ray]', "
            "or `make install` in a checkout). Received: no module named 'ray'")


@dataclasses.dataclass(frozen=True)
class Setup:
    """What every task needs to prepare as the local worker does."""

    token: str  # names the run: a Ray worker reused within it prepares once
    config: Config
    use_cache: bool
    device: str
    decisions: dict[str, Any]


_PREPARED: dict[str, Prepared] = {}  # token -> what the run prepared, in each Ray worker


def _runner(setup: Setup) -> UnitRunner:
    """A fresh runner (holding no features: the object store frees those no task holds)."""
    backends.import_tensorflow(verbose=False)
    if setup.token not in _PREPARED:
        _PREPARED.clear()  # a worker serves one run at a time
        _PREPARED[setup.token] = prepare(setup.config, [], setup.use_cache, setup.device,
                                         setup.decisions)
    return UnitRunner(setup.config, _PREPARED[setup.token])


@contextlib.contextmanager
def _collected():
    """Our warnings raised in a task, as texts for the driver to show."""
    texts: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield texts
    texts.extend(str(w.message) for w in caught if issubclass(w.category, CheatgridWarning))


def decide(config: Config, cells: list[Cell], use_cache: bool, device: str) -> tuple:
    """(decisions, row provenance, warnings), or (None, why nothing can run, warnings)."""
    backends.import_tensorflow(verbose=False)
    with _collected() as texts:
        try:
            prepared = prepare(config, cells, use_cache, device)
        except ResourceUnavailable as e:
            return None, str(e), texts
        common = UnitRunner(config, prepared).common
    return prepared.decisions, common, texts


def extract(setup: Setup, key: DataKey) -> tuple[list[str], tuple]:
    """Two returns: its warnings, and a (dataset, backbone)'s (features, meta, failure)."""
    with _collected() as texts:
        loaded = _runner(setup).load(key, "cached")
    return texts, loaded


def train(setup: Setup, unit: Unit, loaded: tuple | None):
    """Train a unit on its dataset's shared features; yields ("node", the Ray node's id),
    ("training",) once the data is ready, then ("done", [(rows, GroupResult)], warnings)."""
    import ray

    yield ("node", ray.get_runtime_context().get_node_id())  # where it runs, should it go
    with _collected() as texts:
        runner = _runner(setup)
        if loaded is not None:
            runner.provide(unit.data_key, loaded)
        runner.load(unit.data_key, unit.mode)  # images first: their time is not the cells'
    yield ("training",)
    inject_crash(unit)
    with _collected() as more:
        results = runner.run(unit)
    yield ("done", results, texts + more)


class RayCluster:
    """The connection to Ray and the tasks of one run: what a `Worker` is locally."""

    def __init__(self, config: Config, cells: list[Cell], use_cache: bool, device: str,
                 address: str | None, on_warning: Callable[[str], None]):
        self.config, self.cells, self.use_cache, self.device = config, cells, use_cache, device
        self.address, self.on_warning = address, on_warning
        self.setup: Setup | None = None
        self._owned = False  # this run connected (or started Ray): it disconnects

    def start(self) -> dict[str, Any]:
        """Connect, then decide sources and weights in one task that every task reuses;
        returns the rows' provenance (raises ResourceUnavailable)."""
        require_ray()
        import ray

        self._connect()
        try:
            why = self.unmet(alive_nodes())  # no node could ever start it: Ray would wait
            if why is not None:
                raise ResourceUnavailable(f"Invalid value for 'resources': {why}")
            found, common, texts = ray.get(self._task(decide).remote(
                self.config, self.cells, self.use_cache, self.device))
            for text in texts:
                self.on_warning(text)
            if found is None:
                raise ResourceUnavailable(common)
        except ResourceUnavailable:
            self.stop()
            raise
        self.setup = Setup(uuid.uuid4().hex, self.config, self.use_cache, self.device, found)
        return common

    def extract(self, key: tuple[str, str]) -> tuple[Any, Any]:
        """Start a (dataset, backbone)'s feature task: (its warnings' ref, its features' ref)."""
        return self._task(extract, num_returns=2).remote(self.setup, key)

    def train(self, unit: Unit, loaded: Any) -> Any:
        """Start a unit's task (a generator); a framework other than Keras 3 on TensorFlow gets
        Ray workers of its own (its variables set before Keras loads)."""
        framework = unit.runtime[1]
        own = {} if framework == backends.DEFAULT else {
            "runtime_env": {"env_vars": backends.environment(framework)}}
        task = self._task(train, unit, num_returns="streaming", **own)
        return task.remote(self.setup, unit, loaded)

    def _task(self, function: Callable, unit: Unit | None = None, **options: Any) -> Any:
        import ray

        return ray.remote(function).options(**self.options(function.__name__, unit), **options)

    def stop(self) -> None:
        """Disconnect, when this run connected (a caller's own Ray stays up)."""
        import ray

        if self._owned:
            ray.shutdown()
            self._owned = False

    def options(self, task: str, unit: Unit | None = None) -> dict[str, Any]:
        """A task's Ray options (the tests place tasks on chosen nodes here)."""
        resources = self.config.resources
        # A feature task Ray runs again where its node went, and again when its object is
        # lost (lineage reconstruction); a unit's, never: a dead worker may be the cells'
        # doing, which the driver finds by splitting the unit.
        return {"num_cpus": resources.cpus_per_task, "num_gpus": resources.gpus_per_task,
                "max_retries": MAX_FEATURE_RETRIES if task == "extract" else 0}

    def unmet(self, nodes: dict[str, dict[str, Any]]) -> str | None:
        """Why no node of `nodes` (Ray's records of the live ones) can take a task, or None."""
        need = {"CPU": self.config.resources.cpus_per_task,
                "GPU": self.config.resources.gpus_per_task}
        have = [n["Resources"] for n in nodes.values()]
        if any(all(node.get(k, 0) >= v for k, v in need.items()) for node in have):
            return None
        shown = "; ".join(f"{n.get('CPU', 0):g} CPU, {n.get('GPU', 0):g} GPU" for n in have)
        return (f"Expected a Ray node with {need['CPU']:g} CPU and {need['GPU']:g} GPU for one "
                f"task. Received: nodes with {shown or 'nothing'}")

    def _connect(self) -> None:
        import ray

        if ray.is_initialized():  # the caller's Ray (a test, a notebook): use it
            return
        options: dict[str, Any] = {"logging_level": logging.WARNING}
        if self.address is None:  # a Ray of this run's own, never a stale `ray start` one
            options.update(address="local", include_dashboard=False)
        else:
            _probe(self.address)
            # The driver's own code runs on every node: the same code as this process.
            package = str(pathlib.Path(__file__).resolve().parents[2])
            options.update(address=self.address, runtime_env={"py_modules": [package]})
        try:
            ray.init(**options)
        except (ConnectionError, RuntimeError, ValueError) as e:
            raise ResourceUnavailable(
                f"--ray-address {self.address}: Expected a running Ray cluster (`ray start "
                f"--head` on its head node). Received: {first_line(e)}") from None
        self._owned = True


def alive_nodes() -> dict[str, dict[str, Any]]:
    """The cluster's live nodes: node id -> Ray's record of it (resources, address)."""
    import ray

    return {n["NodeID"]: n for n in ray.nodes() if n.get("Alive")}


def _probe(address: str) -> None:
    """Refuse within seconds a HOST:PORT that does not answer (Ray retries for minutes)."""
    if address == "auto":
        return
    host, _, port = address.split("://")[-1].rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_SECONDS):
            return
    except (OSError, ValueError) as e:
        raise ResourceUnavailable(
            f"--ray-address {address}: Expected auto or HOST:PORT of a running Ray cluster's "
            f"head (`ray start --head` prints it). Received: {first_line(e)}") from None


def first_line(error: BaseException) -> str:
    """An error in one line: its type, and the first line of its message (or cause's)."""
    text = str(getattr(error, "cause", None) or error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"
