"""The committed sample runs as evidence: the cells of a configuration, matched by what
transfers between datasets (`key`), read from the facts the package ships
(`runner/check/samples/<run>.csv`, written by scripts/sample_facts.py) or from a folder of runs."""

from __future__ import annotations

import csv
import functools
import importlib.resources
import pathlib
from typing import Any

from runner import vocab

DEFAULT_RUN, FRAMEWORKS_RUN, USERS_RUN = "default", "frameworks", "users"
_FLOATS = ("test_metric", "reference_accuracy", "majority_rate")
# where the package keeps the sample runs' facts: `<run>.csv` each
FACTS_DIR = pathlib.Path(str(importlib.resources.files("runner") / "check" / "samples"))


def key(task: str, encoding: str, units: int, classes: int, activation: str, loss: str,
        from_logits: bool) -> tuple:
    """What a sample cell must share with a configuration to stand for it (its units as '1',
    'classes' for one per class, or the number)."""
    role = "1" if units == 1 else "classes" if units == classes else str(units)
    return task, encoding, role, activation, loss, from_logits


@functools.lru_cache(maxsize=8)
def _read(path: pathlib.Path) -> tuple[dict[str, Any], ...]:
    with open(path, newline="", encoding="utf-8") as f:
        return tuple({**raw, "from_logits": raw["from_logits"] == "True",
                      "units": int(raw["units"]), "num_classes": int(raw["num_classes"]),
                      **{name: float(raw[name]) if raw.get(name) else None for name in _FLOATS}}
                     for raw in csv.DictReader(f))


def sample_rows(run: str, samples_dir: pathlib.Path | None = None) -> tuple[dict[str, Any], ...]:
    """A sample run's rows: the shipped facts, or `samples_dir`'s `<run>/results.csv`, or ()."""
    path = samples_dir / run / "results.csv" if samples_dir else FACTS_DIR / f"{run}.csv"
    return _read(path) if path.is_file() else ()


def cells(wanted: tuple, run: str, framework: str | None = None,
          samples_dir: pathlib.Path | None = None) -> list[dict[str, Any]]:
    """The rows of `run` (one framework's, if given) that stand for `wanted`, all metrics."""
    return [r for r in sample_rows(run, samples_dir) if (framework is None or r.get(
        "framework") == framework) and wanted == key(vocab.task(r["num_classes"], r["encoding"]),
        r["encoding"], r["units"], r["num_classes"], r["activation"], r["loss"], r["from_logits"])]


def metric_row(rows: list[dict[str, Any]], metric: str | None) -> dict[str, Any] | None:
    """The row of `metric` (a name of `vocab.METRICS`) among one configuration's rows."""
    return next((row for row in rows if row["metric"] == metric), None)


def cite(row: dict[str, Any], run: str) -> str:
    """One line naming a sample cell and what it measured."""
    name = row["name"]  # a framework other than the default's already leads the name
    name = name if name.startswith(f"{row['framework']}:") else f"{row['framework']}:{name}"
    where = f"results/samples/{run}/results.csv, {name}"
    if row["status"] != "ok":
        return f"{where}: error ({row['error_type']}: {row['error_message']})"
    value = row["test_metric"]
    measured = (f"{row['metric_resolved']} {value:.3f}, " if value is not None else "")
    return (f"{where}: {row['verdict']} ({measured}reference accuracy "
            f"{row['reference_accuracy']:.3f}, majority {row['majority_rate']:.3f}; "
            f"{row['epochs']} epochs on {row['data_detail'].split(' (')[0]})")


def same_heads(row: dict[str, Any], run: str,
               samples_dir: pathlib.Path | None = None) -> list[str]:
    """The other heads of the row's dataset and framework in its `equivalence_group`."""
    group = row.get("equivalence_group")
    if not group:
        return []
    names = [r["name"].rsplit("/", 1)[0] for r in sample_rows(run, samples_dir)
             if r["dataset"] == row["dataset"] and r.get("framework") == row.get("framework")
             and r.get("equivalence_group") == group]
    own = row["name"].rsplit("/", 1)[0]
    return [name.split("/", 2)[2] for name in dict.fromkeys(names) if name != own]


def trained_row(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A configuration's first trained row (its head: any metric), else its first."""
    return next((r for r in rows if r["status"] == "ok"), rows[0] if rows else None)


def across_frameworks(wanted: tuple, metric: str | None,
                      samples_dir: pathlib.Path | None = None) -> list[dict[str, Any]]:
    """The configuration's row of `metric` (else its first trained row) on each framework."""
    every = cells(wanted, FRAMEWORKS_RUN, samples_dir=samples_dir)
    found = [[row for row in every if row["framework"] == name]
             for name in vocab.FRAMEWORKS.names]
    return [metric_row(rows, metric) or trained_row(rows) for rows in found if rows]
