"""Heads compared: identical heads, and cells aggregated over their seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from runner.report import aggregate


def test_equivalence_groups():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    heads = [("h1", a), ("h2", a + 5e-7), ("h3", a + 1e-3), ("h4", a[:, :1]), ("h5", a)]
    assert aggregate.equivalence_groups(heads) == {
        "h1": "h1", "h2": "h1", "h3": "h3", "h4": "h4", "h5": "h1"}


def test_aggregate_seeds():
    rows = [{"cell_id": "c1", "name": "n1", "seed": s, "status": "ok", "test_metric": v,
             "reference_accuracy": v, "verdict": verdict}
            for s, v, verdict in ((1, 0.8, "ok"), (2, 0.9, "ok"), (3, 0.7, "degenerate"))]
    rows.append({"cell_id": "c2", "name": "n2", "seed": 1, "status": "error",
                 "test_metric": None, "reference_accuracy": None, "verdict": "error"})
    cells = aggregate.aggregate_seeds(pd.DataFrame(rows)).set_index("cell_id")
    assert cells.loc["c1", "n_seeds"] == 3 and cells.loc["c1", "n_ok"] == 3
    assert cells.loc["c1", "test_metric_mean"] == pytest.approx(0.8)
    assert cells.loc["c1", "test_metric_std"] == pytest.approx(0.1)  # sample std
    assert cells.loc["c1", "verdict"] == "degenerate"  # ok only if ok under every seed
    assert cells.loc["c2", "verdict"] == "error" and np.isnan(cells.loc["c2",
                                                                       "test_metric_mean"])
