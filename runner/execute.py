"""Run a list of cells: resolve weights and data first, features once per dataset, one
head per training group and seed, one results.jsonl line per finished cell."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import pathlib
import platform
import shutil
from collections.abc import Callable
from typing import Any

import yaml

from runner import analysis, store
from runner.availability import SourceDecision, resolve_source
from runner.backbone import Backbone, build_backbone
from runner.config import Config
from runner.data import DatasetArrays, load_dataset
from runner.device import Placement, place
from runner.endtoend import train_end_to_end
from runner.features import dataset_features
from runner.grid import Cell, training_groups
from runner.heads import together_key, train_together
from runner.report import write_tables
from runner.train import Features, GroupResult, error_fields


def provenance() -> dict[str, Any]:
    """Library versions: what every result row carries."""
    import keras
    import numpy
    import tensorflow as tf

    return {"keras_version": keras.__version__, "tf_version": tf.__version__,
            "numpy_version": numpy.__version__, "python_version": platform.python_version()}


@dataclasses.dataclass(frozen=True)
class Prepared:
    """What a run needs before its first cell: the backbone and each dataset's source."""

    backbone: Backbone
    sources: dict[str, SourceDecision]
    placement: Placement
    use_cache: bool = True

    def scope(self):
        """The distribution strategy's scope (models must be built inside it)."""
        strategy = self.placement.strategy
        return strategy.scope() if strategy is not None else contextlib.nullcontext()


def prepare(config: Config, cells: list[Cell], use_cache: bool = True,
            device: str = "auto") -> Prepared:
    """Place the run, build the backbone, decide every dataset's source: all before
    anything is written.

    Raises:
        ResourceUnavailable: the device, the weights or a `source: tfds` dataset
            cannot be had (decided within seconds, also offline).
    """
    placement = place(device)
    names = dict.fromkeys(c.dataset for c in cells)
    sources = {name: resolve_source(config.dataset(name)) for name in names}
    strategy = placement.strategy
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        backbone = build_backbone(config.backbone)
    backbone = dataclasses.replace(backbone, batch_size=placement.feature_batch_size)
    return Prepared(backbone, sources, placement, use_cache)


def prepare_run_dir(config: Config, run_dir: pathlib.Path) -> pathlib.Path:
    """Create the run directory, write the resolved config, start an empty results file.

    Returns:
        The path of results.jsonl.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(run_dir / store.PREDICTIONS_DIR, ignore_errors=True)  # a fresh run
    text = yaml.safe_dump(config.to_dict(), sort_keys=False)
    (run_dir / "config.yaml").write_text(text, encoding="utf-8")
    results = run_dir / store.RESULTS_FILE
    results.write_text("", encoding="utf-8")
    return results


def _training_fields(cell: Cell, seed: int) -> dict[str, Any]:
    t = cell.training
    return {"epochs": t.epochs, "batch_size": t.batch_size, "learning_rate": t.learning_rate,
            "shuffle": t.shuffle, "drop_remainder": t.drops_remainder(cell.encoding),
            "seed": seed}


def run_cells(config: Config, cells: list[Cell], prepared: Prepared,
              on_rows: Callable[[list[dict], GroupResult], None],
              on_start: Callable[[Cell], None] = lambda cell: None) -> list[dict[str, Any]]:
    """Train and evaluate `cells` once per seed, calling `on_rows` as each group finishes.

    Cells train on cached features (the fast path) unless their settings ask for
    the end-to-end mode (`backbone.trainable` or `training.feature_cache: false`).

    Args:
        config: the validated config the cells come from.
        cells: the cells to run (any subset of the config's grid).
        prepared: from `prepare`.
        on_rows: receives each group's full result rows as it finishes, and its
            `GroupResult` (test logits and head weights, None when it failed).
        on_start: called with the first cell of each group before it trains.

    Returns:
        All result rows, in the order they finished.
    """
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()  # same config -> same numbers
    common = {"run_name": config.name, **provenance(), "device": prepared.placement.label,
              "weights": prepared.backbone.weights,
              "weights_requested": config.backbone.weights}
    rows: list[dict[str, Any]] = []

    def emit(groups: list[list[Cell]], seed: int, outcomes: list[GroupResult],
             meta: dict[str, Any]) -> None:
        for group, outcome in zip(groups, outcomes, strict=True):
            group_rows = _rows(group, seed, outcome, {**meta, **common})
            on_rows(group_rows, outcome)
            rows.extend(group_rows)

    for dataset_name in dict.fromkeys(c.dataset for c in cells):
        dataset_cells = [c for c in cells if c.dataset == dataset_name]
        cached = [c for c in dataset_cells if not c.training.end_to_end(config.backbone)]
        direct = [c for c in dataset_cells if c.training.end_to_end(config.backbone)]
        if cached:
            features, meta, failure = _features(config, dataset_name, prepared)
            together: dict[tuple, list[list[Cell]]] = {}
            for group in training_groups(cached).values():
                together.setdefault(together_key(group[0]), []).append(group)
            for groups in together.values():
                for seed in groups[0][0].training.seeds:
                    on_start(groups[0][0])
                    with prepared.scope():
                        outcomes = ([GroupResult([dict(failure) for _ in g], None)
                                     for g in groups] if failure is not None
                                    else train_together(groups, features, seed))
                    emit(groups, seed, outcomes, {**meta, "mode": "cached"})
        if direct:
            arrays, meta, failure = _arrays(config, dataset_name, prepared)
            for group in training_groups(direct).values():
                for seed in group[0].training.seeds:
                    on_start(group[0])
                    with prepared.scope():
                        outcome = (GroupResult([dict(failure) for _ in group], None)
                                   if failure is not None else train_end_to_end(
                                       group, arrays, prepared.backbone,
                                       config.backbone.trainable, seed))
                    emit([group], seed, [outcome], meta)
    return rows


def _arrays(config: Config, dataset_name: str, prepared: Prepared,
            ) -> tuple[DatasetArrays | None, dict[str, Any], dict[str, Any] | None]:
    """A dataset's images for the end-to-end mode; a failure is returned, not raised."""
    decision = prepared.sources[dataset_name]
    meta: dict[str, Any] = {"data_source": decision.source, "data_detail": decision.detail,
                            "n_train": None, "n_test": None, "feature_cache": "off"}
    try:
        arrays = load_dataset(config.dataset(dataset_name), decision)
    except Exception as e:
        return None, meta, error_fields("data", e)
    meta.update(data_detail=arrays.detail, n_train=arrays.n_train, n_test=arrays.n_test)
    return arrays, meta, None


def _rows(group: list[Cell], seed: int, outcome: GroupResult,
          common: dict[str, Any]) -> list[dict[str, Any]]:
    """Full result rows: the cell, its training settings, the outcome, provenance."""
    finished = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    return [{"cell_id": c.cell_id, "name": c.name, **c.params, **_training_fields(c, seed),
             "head_id": c.head_id, **row,
             "recommended": analysis.recommended(c.num_classes, c.encoding, c.activation,
                                                 c.loss, c.from_logits, c.metric),
             **common, "finished_at": finished}
            for c, row in zip(group, outcome.rows, strict=True)]


def _features(config: Config, dataset_name: str, prepared: Prepared,
              ) -> tuple[Features | None, dict[str, Any], dict[str, Any] | None]:
    """A dataset's features (from the cache when allowed); a failure is returned, not
    raised, so that every cell of the dataset records it."""
    decision = prepared.sources[dataset_name]
    meta: dict[str, Any] = {"data_source": decision.source, "data_detail": decision.detail,
                            "n_train": None, "n_test": None}  # until the data is loaded
    try:
        features, facts = dataset_features(config.dataset(dataset_name), decision,
                                           prepared.backbone, prepared.use_cache)
    except Exception as e:  # recorded on every cell of the dataset
        return None, meta, error_fields("data", e)
    meta.update({k: facts[k] for k in ("data_detail", "n_train", "n_test", "feature_cache")})
    return features, meta, None


def run_grid(config: Config, cells: list[Cell], run_dir: pathlib.Path,
             progress: bool = True, use_cache: bool = True,
             device: str = "auto") -> list[dict[str, Any]]:
    """Run cells into `run_dir`: config.yaml, results.jsonl as cells finish, then tables.

    Returns:
        All result rows.

    Raises:
        ResourceUnavailable: before anything is written, when weights or data cannot be had.
    """
    from tqdm import tqdm

    prepared = prepare(config, cells, use_cache, device)
    results = prepare_run_dir(config, run_dir)
    total = sum(len(c.training.seeds) for c in cells)
    with tqdm(total=total, unit="cell", disable=not progress, dynamic_ncols=True) as bar:
        def on_rows(rows: list[dict], outcome: GroupResult) -> None:
            if outcome.logits is not None:  # first: a row never lacks its predictions
                store.save_logits(run_dir, rows[0]["head_id"], rows[0]["seed"],
                                  outcome.logits)
            store.append_rows(results, rows)
            bar.update(len(rows))

        def on_start(cell: Cell) -> None:
            bar.set_postfix_str(cell.name.rsplit("/", 1)[0], refresh=True)

        rows = run_cells(config, cells, prepared, on_rows, on_start)
    write_tables(run_dir, rows)
    return rows
