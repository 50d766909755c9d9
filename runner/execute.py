"""Run cells in this process: prepare, split the grid into units, train each unit.

A unit is the work one call trains: several heads of one dataset, encoding,
schedule and seed on cached features (the fast path), or one cell group in
end-to-end mode. The supervisor (`supervisor.py`) sends units to a worker
process; `run_cells` runs them right here (the `cell` command, tests, bench).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import platform
from collections.abc import Callable
from typing import Any

from runner import analysis, framework
from runner.availability import SourceDecision, resolve_source
from runner.backbone import Backbone, build_backbone
from runner.config import Config
from runner.data import DatasetArrays, load_dataset
from runner.device import Placement, place
from runner.endtoend import train_end_to_end
from runner.features import dataset_features
from runner.grid import Cell, settings_hash, training_groups
from runner.heads import together_key, train_together
from runner.train import Features, GroupResult, error_fields


def provenance() -> dict[str, Any]:
    """The framework and library versions of this process: what every row carries."""
    import numpy
    import tensorflow as tf

    return {"framework": framework.current(), "backend": framework.backend(),
            "keras_version": framework.keras().__version__, "tf_version": tf.__version__,
            "numpy_version": numpy.__version__, "python_version": platform.python_version()}


@dataclasses.dataclass(frozen=True)
class Prepared:
    """What a run needs before its first unit: device, backbone, each dataset's source."""

    backbone: Backbone | None  # None where another process computes the features
    sources: dict[str, SourceDecision]
    placement: Placement
    use_cache: bool = True
    weights_label: str = ""  # what rows record in `weights`
    resolved_weights: str = ""  # the `weights` value that rebuilds them (auto resolved)

    def scope(self):
        """The distribution strategy's scope (models must be built inside it)."""
        strategy = self.placement.strategy
        return strategy.scope() if strategy is not None else contextlib.nullcontext()

    @property
    def decisions(self) -> dict[str, Any]:
        """What a restarted worker must reuse rather than decide again."""
        return {"sources": self.sources, "weights": self.resolved_weights,
                "weights_label": self.weights_label}


def prepare(config: Config, cells: list[Cell], use_cache: bool = True, device: str = "auto",
            decisions: dict[str, Any] | None = None) -> Prepared:
    """Place the run, build the backbone, decide every dataset's source: all before
    anything is written.

    In a process whose framework is not Keras 3 on TensorFlow, only the decisions
    are taken over: features come from the TensorFlow worker (`UnitRunner.provide`).

    Args:
        decisions: `Prepared.decisions` of an earlier prepare, to reuse (a worker
            restarted mid-run must use the same data and weights).

    Raises:
        ResourceUnavailable: the device, the weights or a `source: tfds` dataset
            cannot be had (decided within seconds, also offline).
    """
    if framework.current() != framework.DEFAULT:
        assert decisions is not None, "decisions come from the TensorFlow worker"
        return Prepared(None, decisions["sources"], place(device, strategies=False),
                        use_cache, decisions["weights_label"], decisions["weights"])
    placement = place(device)
    if decisions is None:
        names = dict.fromkeys(c.dataset for c in cells)
        sources = {name: resolve_source(config.dataset(name)) for name in names}
        backbone_config = config.backbone
    else:
        sources = decisions["sources"]
        backbone_config = dataclasses.replace(config.backbone, weights=decisions["weights"])
    strategy = placement.strategy
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        backbone = build_backbone(backbone_config)
    backbone = dataclasses.replace(backbone, batch_size=placement.feature_batch_size)
    return Prepared(backbone, sources, placement, use_cache, backbone.weights, backbone.resolved)


@dataclasses.dataclass(frozen=True)
class Unit:
    """Cell groups (each: cells differing only in metric) trained by one call."""

    dataset: str
    mode: str  # 'cached' (heads trained together on features) or 'direct' (end-to-end)
    seed: int
    groups: tuple[tuple[Cell, ...], ...]

    @property
    def cells(self) -> list[Cell]:
        return [c for g in self.groups for c in g]

    @property
    def framework(self) -> str:
        return self.groups[0][0].framework

    def without(self, done: Callable[[tuple[Cell, ...], int], bool]) -> Unit | None:
        """This unit minus the groups `done(group, seed)` says are finished."""
        groups = tuple(g for g in self.groups if not done(g, self.seed))
        return dataclasses.replace(self, groups=groups) if groups else None

    def split(self) -> list[Unit]:
        """One unit per group: to find which group kills a worker."""
        return [dataclasses.replace(self, groups=(g,)) for g in self.groups]

    @property
    def timeout_seconds(self) -> float | None:
        """`training.cell_timeout_seconds` of its cells (a unit has one schedule)."""
        return self.groups[0][0].training.cell_timeout_seconds

    @property
    def budget_seconds(self) -> float | None:
        """How long its training may run: the timeout once per group."""
        timeout = self.timeout_seconds
        return None if timeout is None else timeout * len(self.groups)


def plan_units(config: Config, cells: list[Cell]) -> list[Unit]:
    """The grid's units in a stable order: framework, dataset, cached before end-to-end."""
    units = []
    for key in dict.fromkeys((c.framework, c.dataset) for c in cells):
        groups = training_groups(c for c in cells if (c.framework, c.dataset) == key).values()
        together: dict[tuple, list[tuple[Cell, ...]]] = {}
        for group in groups:
            if group[0].training.end_to_end(config.backbone):
                for seed in group[0].training.seeds:
                    units.append(Unit(key[1], "direct", seed, (tuple(group),)))
            else:
                together.setdefault(together_key(group[0]), []).append(tuple(group))
        for batch in together.values():
            for seed in batch[0][0].training.seeds:
                units.append(Unit(key[1], "cached", seed, tuple(batch)))
    return units


class UnitRunner:
    """Trains units, keeping each dataset's features (or images) once loaded."""

    def __init__(self, config: Config, prepared: Prepared):
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()  # same config -> same numbers
        self.config, self.prepared = config, prepared
        self.common = {"run_name": config.name, **provenance(),
                       "device": prepared.placement.label,
                       "weights": prepared.weights_label,
                       "weights_requested": config.backbone.weights}
        self._data: dict[tuple[str, str], tuple[Any, dict, dict | None]] = {}

    def provide(self, name: str, loaded: tuple[Any, dict, dict | None]) -> None:
        """Features computed elsewhere (by the TensorFlow worker), as `load` returns them."""
        self._data[(name, "cached")] = loaded

    def run(self, unit: Unit) -> list[tuple[list[dict[str, Any]], GroupResult]]:
        """Train a unit; one (rows, result) per group, in order. Never raises for a cell."""
        data, meta, failure = self.load(unit.dataset, unit.mode)
        groups = [list(g) for g in unit.groups]
        with self.prepared.scope():
            if failure is not None:
                outcomes = [GroupResult.failed(g, failure) for g in groups]
            elif unit.mode == "cached":
                outcomes = train_together(groups, data, unit.seed)
            else:
                outcomes = [train_end_to_end(groups[0], data, self.prepared.backbone,
                                             self.config.backbone.trainable, unit.seed)]
        mode = {"mode": "cached"} if unit.mode == "cached" else {}
        return [(self._rows(g, unit.seed, o, {**meta, **mode}), o)
                for g, o in zip(groups, outcomes, strict=True)]

    def load(self, name: str, mode: str) -> tuple[Any, dict, dict | None]:
        """A dataset's features ('cached' mode) or images ('direct'), loaded once."""
        if (name, mode) not in self._data:
            load = self._features if mode == "cached" else self._arrays
            self._data[(name, mode)] = load(name)
        return self._data[(name, mode)]

    def _features(self, name: str) -> tuple[Features | None, dict, dict | None]:
        decision = self.prepared.sources[name]
        meta = {"data_source": decision.source, "data_detail": decision.detail,
                "n_train": None, "n_test": None}  # until the data is loaded
        try:
            features, facts = dataset_features(self.config.dataset(name), decision,
                                               self.prepared.backbone, self.prepared.use_cache)
        except Exception as e:  # recorded on every cell of the dataset
            return None, meta, error_fields("data", e)
        meta.update({k: facts[k] for k in ("data_detail", "n_train", "n_test",
                                           "feature_cache")})
        return features, meta, None

    def _arrays(self, name: str) -> tuple[DatasetArrays | None, dict, dict | None]:
        decision = self.prepared.sources[name]
        meta = {"data_source": decision.source, "data_detail": decision.detail,
                "n_train": None, "n_test": None, "feature_cache": "off"}
        try:
            arrays = load_dataset(self.config.dataset(name), decision)
        except Exception as e:
            return None, meta, error_fields("data", e)
        meta.update(data_detail=arrays.detail, n_train=arrays.n_train, n_test=arrays.n_test)
        return arrays, meta, None

    def _rows(self, group: list[Cell], seed: int, outcome: GroupResult,
              meta: dict[str, Any]) -> list[dict[str, Any]]:
        finished = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        return [{**cell_columns(self.config, c, seed), **row, "recommended": analysis.recommended(
                     c.num_classes, c.encoding, c.activation, c.loss, c.from_logits,
                     c.metric),
                 **meta, **self.common, "finished_at": finished}
                for c, row in zip(group, outcome.rows, strict=True)]


def cell_columns(config: Config, cell: Cell, seed: int) -> dict[str, Any]:
    """The columns that say which cell and seed a result row is of: the first of every row."""
    return {"cell_id": cell.cell_id, "name": cell.name, **cell.params,
            **training_fields(cell, seed), "settings_hash": settings_hash(config, cell, seed),
            "head_id": cell.head_id, "base_id": cell.base_id}


def training_fields(cell: Cell, seed: int) -> dict[str, Any]:
    """The cell's effective training settings, as result columns."""
    t = cell.training
    return {"epochs": t.epochs, "batch_size": t.batch_size, "learning_rate": t.learning_rate,
            "shuffle": t.shuffle, "drop_remainder": t.drops_remainder(cell.encoding),
            "seed": seed}


def run_cells(config: Config, cells: list[Cell], prepared: Prepared,
              on_rows: Callable[[list[dict], GroupResult], None]) -> list[dict[str, Any]]:
    """Train and evaluate `cells` in this process, once per seed.

    Args:
        on_rows: receives each group's full result rows as it finishes, and its
            `GroupResult` (test logits and head weights, None when it failed).

    Returns:
        All result rows, in the order they finished.
    """
    runner = UnitRunner(config, prepared)
    rows: list[dict[str, Any]] = []
    for unit in plan_units(config, cells):
        for group_rows, outcome in runner.run(unit):
            on_rows(group_rows, outcome)
            rows.extend(group_rows)
    return rows
