"""Comparing heads and cells over result rows (one per cell and seed): identical heads,
cells over their seeds, frameworks and environments that disagree."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from runner import vocab
from runner.config.environments import label_of
from runner.train import judge
from runner.train.judge import EQUIVALENCE_TOLERANCE, MISLEADING_TOLERANCE, VERDICTS


def equivalence_groups(heads: Iterable[tuple[str, np.ndarray]],
                       tolerance: float = EQUIVALENCE_TOLERANCE) -> dict[str, str]:
    """Group heads whose outputs agree everywhere to `tolerance`.

    Args:
        heads: (head id, logits of one dataset, every seed stacked) in display order.

    Returns:
        head id -> the id of the first head of its group (itself when it leads).
    """
    leaders: list[tuple[str, np.ndarray]] = []
    group: dict[str, str] = {}
    for head_id, logits in heads:
        for leader_id, leader in leaders:
            if leader.shape == logits.shape and np.all(np.abs(leader - logits) <= tolerance):
                group[head_id] = leader_id
                break
        else:
            leaders.append((head_id, logits))
            group[head_id] = head_id
    return group


_CELL_KEYS = ["cell_id", "name", "dataset", "encoding", "units", "activation", "loss",
              "from_logits", "metric"]


def aggregate_seeds(df: pd.DataFrame) -> pd.DataFrame:
    """One row per cell over its seeds, in the order cells first appear in `df`.

    Returns:
        The first seed's row plus `n_seeds`, `n_ok`, `test_metric_mean` / `_std`,
        `reference_accuracy_mean` / `_std`, and `verdict`: the first of error, degenerate,
        misleading, ok that any seed got.
    """
    by_cell = df.groupby("cell_id", sort=False)
    keys = [k for k in _CELL_KEYS if k in df]
    cells = by_cell.nth(0).set_index("cell_id", drop=False)
    cells = cells[keys + [c for c in cells.columns if c not in keys]]
    ok = df["status"] == "ok"
    cells["n_seeds"], cells["n_ok"] = by_cell.size(), ok.groupby(df["cell_id"]).sum()
    for column in ("test_metric", "reference_accuracy"):
        kept = (df[column] if column in df else pd.Series(np.nan, index=df.index)).where(ok)
        stats = kept.astype(float).groupby(df["cell_id"]).agg(["mean", "std", "count"])
        cells[f"{column}_mean"] = stats["mean"]
        # sample standard deviation (ddof=1); 0 for a single seed
        cells[f"{column}_std"] = stats["std"].where(stats["count"] > 1, 0.0)
    verdicts = df["verdict"] if "verdict" in df else pd.Series(
        [judge.verdict(r) for r in df.to_dict("records")], index=df.index)
    rank = verdicts.map(VERDICTS.index).groupby(df["cell_id"]).min()
    cells["verdict"] = rank.map(lambda i: VERDICTS[i])
    return cells.reset_index(drop=True)


def runtime_labels(df: pd.DataFrame) -> pd.Series:
    """Each row's runtime as tables name it: its pinned environment (`keras3.4.1-jax`), or in
    the Python cheatgrid runs in, its framework (`tensorflow`, `jax`, ...)."""
    frameworks = df["framework"].astype(object).fillna(vocab.DEFAULT_FRAMEWORK) \
        if "framework" in df else pd.Series(vocab.DEFAULT_FRAMEWORK, index=df.index)
    if "environment" not in df:
        return frameworks
    return pd.Series([label_of(e if isinstance(e, str) else None, f)
                      for e, f in zip(df["environment"], frameworks, strict=True)],
                     index=df.index, dtype=object)


def disagreements(df: pd.DataFrame, tolerance: float = MISLEADING_TOLERANCE) -> pd.DataFrame:
    """Cells whose outcome depends on the framework or the environment.

    Args:
        df: result rows (one per cell and seed) with `base_id`.
        tolerance: accuracies (means over seeds) further apart than this differ.

    Returns:
        One row per cell (`base_id`) run in 2+ runtimes whose status, verdict or accuracy
        differ: `name` (without its runtime), `differs` (what), and each runtime's entry.
    """
    if "base_id" not in df or runtime_labels(df).nunique() < 2:
        return pd.DataFrame()
    cells = aggregate_seeds(df.assign(runtime=runtime_labels(df)))
    frameworks = list(dict.fromkeys(cells["runtime"]))
    # One groupby for every cell's tallies; rows only for the cells that differ.
    by_cell = cells.groupby("base_id", sort=False)
    tallies = by_cell.agg(frameworks=("runtime", "nunique"), statuses=("status", "nunique"),
                          verdicts=("verdict", "nunique"),
                          accuracies=("test_metric_mean", "count"),
                          best=("test_metric_mean", "max"), worst=("test_metric_mean", "min"))
    positions = by_cell.indices
    records = cells.to_dict("records")
    rows = []
    for base_id, t in zip(tallies.index, tallies.itertuples(index=False), strict=True):
        if t.frameworks < 2:
            continue
        differs = [what for what, changed in (
            ("status", t.statuses > 1),
            ("verdict", t.verdicts > 1),
            ("accuracy", t.accuracies > 1 and t.best - t.worst > tolerance),
        ) if changed]
        if not differs:
            continue
        same = [records[i] for i in positions[base_id]]
        row = {"name": same[0]["name"].split(":", 1)[-1], "differs": ", ".join(differs)}
        for record in same:
            row[record["runtime"]] = (
                f"error: {record['error_type']}" if record["status"] == "error"
                else f"{record['test_metric_mean']:.4f} {record['verdict']}")
        rows.append(row)
    return pd.DataFrame(rows, columns=["name", "differs", *frameworks])
