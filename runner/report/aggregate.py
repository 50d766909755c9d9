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
    """Head id -> its group's first id: heads (id, stacked logits) agreeing to `tolerance`."""
    leaders: list[tuple[str, np.ndarray]] = []
    group: dict[str, str] = {}
    for head_id, logits in heads:
        group[head_id] = next((leader_id for leader_id, leader in leaders if leader.shape ==
                               logits.shape and np.all(np.abs(leader - logits) <= tolerance)),
                              head_id)
        if group[head_id] == head_id:
            leaders.append((head_id, logits))
    return group


def aggregate_seeds(df: pd.DataFrame) -> pd.DataFrame:
    """One row per cell over its seeds, in the order cells first appear in `df`: the first
    seed's row plus `n_seeds`, `n_ok`, `test_metric_mean` / `_std`, `reference_accuracy_mean`
    / `_std`, and `verdict`: the first of error, degenerate, misleading, ok any seed got."""
    by_cell = df.groupby("cell_id", sort=False)
    keys = [k for k in ("cell_id", "name", "dataset", "encoding", "units", "activation", "loss",
                        "from_logits", "metric") if k in df]
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
    """Each row's runtime as tables name it: its pinned environment, else its framework."""
    none = pd.Series(None, index=df.index, dtype=object)
    frameworks = df.get("framework", none).astype(object).fillna(vocab.DEFAULT_FRAMEWORK)
    return pd.Series([label_of(e if isinstance(e, str) else None, f) for e, f in zip(
        df.get("environment", none), frameworks, strict=True)], index=df.index, dtype=object)


def disagreements(df: pd.DataFrame, tolerance: float = MISLEADING_TOLERANCE) -> pd.DataFrame:
    """Cells (`base_id`) run in 2+ runtimes whose status, verdict or accuracy (means over
    seeds further apart than `tolerance`) differ: one row each with `name` (without its
    runtime), `differs` (what), and each runtime's entry."""
    if "base_id" not in df or runtime_labels(df).nunique() < 2:
        return pd.DataFrame()
    cells = aggregate_seeds(df.assign(runtime=runtime_labels(df)))
    by_cell = cells.groupby("base_id", sort=False)  # one groupby for every cell's tallies
    tallies = by_cell.agg(runtimes=("runtime", "nunique"), statuses=("status", "nunique"),
                          verdicts=("verdict", "nunique"),
                          accuracies=("test_metric_mean", "count"),
                          best=("test_metric_mean", "max"), worst=("test_metric_mean", "min"))
    records, rows = cells.to_dict("records"), []
    for base_id, t in zip(tallies.index, tallies.itertuples(index=False), strict=True):
        differs = [what for what, changed in (
            ("status", t.statuses > 1), ("verdict", t.verdicts > 1),
            ("accuracy", t.accuracies > 1 and t.best - t.worst > tolerance)) if changed]
        if t.runtimes < 2 or not differs:
            continue
        same = [records[i] for i in by_cell.indices[base_id]]
        rows.append({"name": same[0]["name"].split(":", 1)[-1], "differs": ", ".join(differs),
                     **{r["runtime"]: f"error: {r['error_type']}" if r["status"] == "error"
                        else f"{r['test_metric_mean']:.4f} {r['verdict']}" for r in same}})
    return pd.DataFrame(rows, columns=["name", "differs", *dict.fromkeys(cells["runtime"])])
