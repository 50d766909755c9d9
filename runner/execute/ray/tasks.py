"""What runs in Ray's workers for `--executor ray`: each task prepares as the local worker
does (`execute.prepare`, with the driver's decisions), so the same seeds give the same
numbers. The driver wraps these functions with `ray.remote`."""

from __future__ import annotations

import contextlib
import dataclasses
import warnings
from typing import Any

from runner.config import Config
from runner.errors import CheatgridWarning, ResourceUnavailable
from runner.execute.executor import inject_crash
from runner.execute.plan import DataKey, Unit
from runner.execute.prepare import Prepared, UnitRunner, prepare
from runner.grid import Cell
from runner.train.backends import import_tensorflow


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
    """A runner of this worker's preparation for the run, holding no dataset yet (the object
    store frees features no task holds)."""
    import_tensorflow(verbose=False)
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
    """Prepare as the local worker's first start does: (decisions, row provenance,
    warnings), or (None, why nothing can run, warnings)."""
    import_tensorflow(verbose=False)
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
