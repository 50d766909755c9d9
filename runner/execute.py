"""Run a list of cells: features once per dataset, one head per training group,
one results.jsonl line per finished cell, tables at the end."""

from __future__ import annotations

import datetime
import pathlib
import platform
from collections.abc import Callable
from typing import Any

import yaml

from runner import store
from runner.backbone import Backbone, build_backbone, extract_features
from runner.config import Config
from runner.data import load_dataset
from runner.grid import Cell, training_groups
from runner.report import write_tables
from runner.train import Features, error_fields, train_group


def provenance() -> dict[str, Any]:
    """Library versions and the device: what every result row carries."""
    import keras
    import numpy
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return {"keras_version": keras.__version__, "tf_version": tf.__version__,
            "numpy_version": numpy.__version__, "python_version": platform.python_version(),
            "device": f"gpu:{len(gpus)}" if gpus else "cpu"}


def prepare_run_dir(config: Config, run_dir: pathlib.Path) -> pathlib.Path:
    """Create the run directory, write the resolved config, start an empty results file.

    Returns:
        The path of results.jsonl.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(config.to_dict(), sort_keys=False)
    (run_dir / "config.yaml").write_text(text, encoding="utf-8")
    results = run_dir / store.RESULTS_FILE
    results.write_text("", encoding="utf-8")
    return results


def run_cells(config: Config, cells: list[Cell], on_rows: Callable[[list[dict]], None],
              on_start: Callable[[Cell], None] = lambda cell: None,
              backbone: Backbone | None = None) -> list[dict[str, Any]]:
    """Train and evaluate `cells`, calling `on_rows` with each finished group's rows.

    Args:
        config: the validated config the cells come from.
        cells: the cells to run (any subset of the config's grid).
        on_rows: receives the full result rows of each group as it finishes.
        on_start: called with the first cell of each group before it trains.
        backbone: the built backbone, when the caller built it already.

    Returns:
        All result rows, in the order they finished.

    Raises:
        WeightsError: the configured backbone weights cannot be loaded.
    """
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()  # same config -> same numbers
    common = {"run_name": config.name, **provenance(),
              "batch_size": config.training.batch_size,
              "learning_rate": config.training.learning_rate, "seed": config.training.seed}
    backbone = backbone or build_backbone(config.backbone)
    rows: list[dict[str, Any]] = []
    for dataset_name in dict.fromkeys(c.dataset for c in cells):
        dataset_cells = [c for c in cells if c.dataset == dataset_name]
        features, meta, failure = _features(config, dataset_name, backbone)
        for group in training_groups(dataset_cells).values():
            on_start(group[0])
            if failure is not None:
                outcomes = [dict(failure) for _ in group]
            else:
                outcomes = train_group(group, features, config.training)
            finished = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
            group_rows = [{"cell_id": c.cell_id, "name": c.name, **c.params, **outcome,
                           "weights": backbone.weights, **meta, **common, "finished_at": finished}
                          for c, outcome in zip(group, outcomes, strict=True)]
            on_rows(group_rows)
            rows.extend(group_rows)
    return rows


def _features(config: Config, dataset_name: str, backbone: Backbone,
              ) -> tuple[Features | None, dict[str, Any], dict[str, Any] | None]:
    """Load a dataset and compute its features; a failure is returned, not raised,
    so that every cell of the dataset records it."""
    dataset = config.dataset(dataset_name)
    meta: dict[str, Any] = {"data_source": dataset.source, "n_train": None, "n_test": None}
    phase = "data"
    try:
        arrays = load_dataset(dataset)
        meta.update(data_source=arrays.source, n_train=arrays.n_train, n_test=arrays.n_test)
        phase = "features"
        features = Features(extract_features(backbone, arrays.train_images), arrays.train_labels,
                            extract_features(backbone, arrays.test_images), arrays.test_labels)
    except Exception as e:  # recorded on every cell of the dataset
        return None, meta, error_fields(phase, e)
    return features, meta, None


def run_grid(config: Config, cells: list[Cell], run_dir: pathlib.Path,
             progress: bool = True) -> list[dict[str, Any]]:
    """Run cells into `run_dir`: config.yaml, results.jsonl as cells finish, then tables.

    Returns:
        All result rows.

    Raises:
        WeightsError: before anything is written, when the weights cannot be had.
    """
    from tqdm import tqdm

    backbone = build_backbone(config.backbone)
    results = prepare_run_dir(config, run_dir)
    with tqdm(total=len(cells), unit="cell", disable=not progress, dynamic_ncols=True) as bar:
        def on_rows(rows: list[dict]) -> None:
            store.append_rows(results, rows)
            bar.update(len(rows))

        def on_start(cell: Cell) -> None:
            bar.set_postfix_str(cell.name.rsplit("/", 1)[0], refresh=True)

        rows = run_cells(config, cells, on_rows, on_start, backbone)
    write_tables(run_dir, rows)
    return rows
