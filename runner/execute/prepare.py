"""Train units in this process: prepare (device, backbones, sources), then a `UnitRunner`
(every executor's worker has one; `run_cells` runs one here: the `cell` command, bench)."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import platform
from collections.abc import Callable
from typing import Any

from runner import vocab
from runner.config import Config
from runner.data.arrays import load_dataset
from runner.data.pipeline import Progress
from runner.data.sources import SourceDecision, resolve_source
from runner.execute.plan import DataKey, Unit, cell_columns, plan_units
from runner.features.backbone import Backbone, build_backbone
from runner.features.cache import dataset_features
from runner.grid import Cell
from runner.train import backends
from runner.train.device import Placement, place
from runner.train.end_to_end import train_end_to_end
from runner.train.fused import train_together
from runner.train.outcomes import GroupResult, error_fields


@dataclasses.dataclass(frozen=True)
class Prepared:
    """What a run needs before its first unit: device, backbones, and the `decisions` that a
    restarted worker reuses rather than decides again."""

    backbones: dict[str, Backbone]  # empty where another process computes the features
    # "sources": each dataset's; "weights": per backbone, the value that rebuilds it (auto
    # resolved); "weights_label": per backbone, the rows' `weights`
    decisions: dict[str, Any]
    placement: Placement
    use_cache: bool = True

    @property
    def sources(self) -> dict[str, SourceDecision]:
        return self.decisions["sources"]

    @property
    def backbone(self) -> Backbone:
        """The one backbone of a run over a single backbone (`cell --verify`, bench)."""
        assert len(self.backbones) == 1, sorted(self.backbones)
        return next(iter(self.backbones.values()))

    def scope(self):
        """The distribution strategy's scope (models must be built inside it)."""
        strategy = self.placement.strategy
        return strategy.scope() if strategy is not None else contextlib.nullcontext()


def prepare(config: Config, cells: list[Cell], use_cache: bool = True, device: str = "auto",
            decisions: dict[str, Any] | None = None) -> Prepared:
    """Place the run, build the backbones, decide every dataset's source (or take the
    TensorFlow worker's `decisions`): all before anything is written. Raises
    ResourceUnavailable within seconds, also offline: no device, weights or tfds dataset."""
    if backends.current() != backends.DEFAULT:
        assert decisions is not None, "decisions come from the TensorFlow worker"
        return Prepared({}, decisions, place(device, strategies=False), use_cache)
    placement = place(device)
    if decisions is None:
        sources = {name: resolve_source(config.dataset(name))
                   for name in dict.fromkeys(c.dataset for c in cells)}
        weights = dict.fromkeys(dict.fromkeys(c.backbone for c in cells) or config.backbones,
                                config.backbone.weights)
    else:
        sources, weights = decisions["sources"], decisions["weights"]
    with Prepared({}, {}, placement).scope():
        backbones = {name: dataclasses.replace(
            build_backbone(dataclasses.replace(config.backbone, weights=value), name),
            batch_size=placement.feature_batch_size) for name, value in weights.items()}
    return Prepared(backbones, {"sources": sources,
                                "weights": {n: b.resolved for n, b in backbones.items()},
                                "weights_label": {n: b.weights for n, b in backbones.items()}},
                    placement, use_cache)


class UnitRunner:
    """Trains units, keeping each dataset's features (or images) once loaded; `progress`,
    when set, is told (what, done, total) while data loads and features are extracted."""

    progress: Progress | None = None

    def __init__(self, config: Config, prepared: Prepared):
        import numpy
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()  # same config -> same numbers
        self.config, self.prepared = config, prepared
        self._labels = prepared.decisions["weights_label"]  # each backbone's rows' `weights`
        self.common = {  # the provenance every row carries
            "run_name": config.name, "framework": backends.current(),
            "backend": backends.backend(), "keras_version": backends.keras().__version__,
            "tf_version": tf.__version__, "numpy_version": numpy.__version__,
            "python_version": platform.python_version(), "device": prepared.placement.label,
            # each row says its own backbone's (`run`); this, all of them
            "weights": ", ".join(dict.fromkeys(self._labels.values())),
            "weights_requested": config.backbone.weights,
            "precision": config.backbone.precision}
        self._data: dict[tuple[DataKey, str], tuple[Any, dict, dict | None]] = {}

    def provide(self, key: DataKey, loaded: tuple[Any, dict, dict | None]) -> None:
        """Features the TensorFlow worker computed, as its `load` returned them."""
        self._data[(key, "cached")] = loaded

    def run(self, unit: Unit) -> list[tuple[list[dict[str, Any]], GroupResult]]:
        """Train a unit; one (rows, result) per group, in order. Never raises for a cell."""
        data, meta, failure = self.load(unit.data_key, unit.mode)
        groups = [list(g) for g in unit.groups]
        with self.prepared.scope():
            if failure is not None:
                outcomes = [GroupResult.failed(g, failure) for g in groups]
            elif unit.mode == "cached":
                outcomes = train_together(groups, data, unit.seed)
            else:
                outcomes = [train_end_to_end(groups[0], data,
                                             self.prepared.backbones[unit.backbone],
                                             self.config.backbone.trainable, unit.seed)]
        finished = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        meta = {**meta, "mode": "cached"} if unit.mode == "cached" else meta
        return [([{**cell_columns(self.config, c, unit.seed), **row,
                   "recommended": vocab.recommended(c.num_classes, c.encoding, c.activation,
                                                    c.loss, c.from_logits, c.metric),
                   **meta, **self.common, "weights": self._labels[c.backbone],
                   "finished_at": finished} for c, row in zip(g, o.rows, strict=True)], o)
                for g, o in zip(groups, outcomes, strict=True)]

    def load(self, key: DataKey, mode: str) -> tuple[Any, dict, dict | None]:
        """A (dataset, backbone)'s features ('cached' mode) or the dataset's images
        ('end-to-end'), loaded once: (data, row columns, the failure of every cell)."""
        if (key, mode) in self._data:
            return self._data[(key, mode)]
        decision, dataset = self.prepared.sources[key[0]], self.config.dataset(key[0])
        meta = {"data_source": decision.source, "data_detail": decision.detail,
                "n_train": None, "n_test": None}  # until the data is loaded
        try:
            if mode == "cached":
                data, facts = dataset_features(dataset, decision, self.prepared.backbones[key[1]],
                                               self.prepared.use_cache, self.progress)
            else:
                meta["feature_cache"] = "off"
                data = load_dataset(dataset, decision, self.config.backbone.input_size,
                                    progress=self.progress)
                facts = {"data_detail": data.detail, "n_train": data.n_train,
                         "n_test": data.n_test, "feature_cache": "off"}
        except Exception as e:  # recorded on every cell of the dataset
            loaded = None, meta, error_fields("data", e)
        else:
            meta.update({k: facts[k] for k in ("data_detail", "n_train", "n_test",
                                               "feature_cache")})
            loaded = data, meta, None
        self._data[(key, mode)] = loaded
        return loaded


def run_cells(config: Config, cells: list[Cell], prepared: Prepared,
              on_rows: Callable[[list[dict], GroupResult], None]) -> list[dict[str, Any]]:
    """Train `cells` in this process, once per seed; `on_rows` hears each group's rows and
    `GroupResult` as it finishes. Returns all rows, in that order."""
    runner = UnitRunner(config, prepared)
    rows: list[dict[str, Any]] = []
    for unit in plan_units(config, cells):
        for group_rows, outcome in runner.run(unit):
            on_rows(group_rows, outcome)
            rows.extend(group_rows)
    return rows
