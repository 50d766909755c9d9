"""Two runs side by side: each cell (seeds aggregated, matched by cell id, or across
runtimes by its id on the default framework) whose status, error, verdict or accuracy
changed beyond noise (`NOISE_TEXT` says the rule)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pandas as pd

from runner.config.environments import label_of
from runner.report import aggregate, tables
from runner.report.highlights import describe_cells
from runner.report.markdown import pipe_table
from runner.vocab import DEFAULT_FRAMEWORK

NOISE_SE_FACTOR = 2.0
NOISE_FLOOR = 0.005  # below this a change does not matter, however sure it is
SINGLE_SEED_TOLERANCE = 0.02  # one seed has no spread: a fixed margin, the verdicts' margin
_ROUNDING = 1e-9  # 0.78 - 0.80 is -0.020000000000000018 in floats: still exactly 0.02
_FIELDS = (("run", "run name"), ("framework", "framework"), ("environment", "environment"),
           ("keras", "Keras"), ("tf", "TensorFlow"), ("backbone", "backbone"),
           ("weights", "backbone weights"), ("data", "data"), ("n_train", "train images"),
           ("n_test", "test images"), ("epochs", "epochs"), ("seeds", "seeds"),
           ("device", "device"))
NOISE_TEXT = (
    f"Accuracy changes count beyond noise when both cells have 2+ successful seeds and "
    f"|Δ mean| > {NOISE_SE_FACTOR:g} × sqrt(s_a²/n_a + s_b²/n_b) (the standard error of "
    f"the difference; s the standard deviation over seeds) and > {NOISE_FLOOR}; with a "
    f"single seed on either side, when |Δ| > {SINGLE_SEED_TOLERANCE}.")


def _cells(rows: list[dict[str, Any]], key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Annotated rows, and their cells (seeds aggregated) indexed by `key`."""
    df = tables.annotate(tables.results_frame(rows))
    return df, aggregate.aggregate_seeds(df).set_index(key, drop=False)


def match_key(rows_a: list[dict[str, Any]], rows_b: list[dict[str, Any]]) -> str:
    """How cells are matched: by cell id, or across runtimes (runs with no framework or
    environment in common, e.g. a TensorFlow run against a JAX run, or two environments of
    one run) by the id on the default framework in this Python."""
    def runtimes(rows: list[dict[str, Any]]) -> set[str]:
        return {label_of(r.get("environment"), r.get("framework") or DEFAULT_FRAMEWORK)
                for r in rows}

    across = runtimes(rows_a).isdisjoint(runtimes(rows_b))
    return "base_id" if across and all("base_id" in r for r in rows_a + rows_b) else "cell_id"


def noise_threshold(a: dict[str, Any], b: dict[str, Any]) -> float:
    """The |Δ mean| above which two aggregated cells' accuracies differ beyond noise."""
    if a["n_ok"] >= 2 and b["n_ok"] >= 2:
        error = math.sqrt(a["test_metric_std"] ** 2 / a["n_ok"] +
                          b["test_metric_std"] ** 2 / b["n_ok"])
        return max(NOISE_SE_FACTOR * error, NOISE_FLOOR)
    return SINGLE_SEED_TOLERANCE


def _md(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _outcome(cell: dict[str, Any]) -> str:
    if cell["verdict"] == "error":
        return f"error: {cell['error_type']} in `{cell['phase']}`"
    return f"{tables.mean_text(cell)} {cell['verdict']}"


def _table(header: tuple[str, ...], rows: list[tuple]) -> list[str]:
    return [pipe_table(header, ([_md(v) for v in row] for row in rows)), ""]


def _header(facts: list[tuple[str, str, str]], label_a: str, label_b: str) -> list[str]:
    differ = [name for name, a, b in facts[1:] if a != b]  # the first: the runs' names
    note = ("The runs differ in: " + ", ".join(differ) + ". Changes below may come from "
            "any of these." if differ else "The runs agree in software, weights, data, "
            "sample counts, epochs and seeds.")
    return [f"# Comparison: A `{_md(label_a)}` vs. B `{_md(label_b)}`", "",
            *_table(("", "A", "B"), facts), note, "", NOISE_TEXT, ""]


def _only(cells: pd.DataFrame, ids: list[str], df: pd.DataFrame, run: str) -> list[str]:
    return [f"- only in {run}: {tables.counted(len(part), 'cell')} of {dataset} ("
            + describe_cells(part, df[df["dataset"] == dataset].drop_duplicates("cell_id")) + ")"
            for dataset, part in cells.loc[ids].groupby("dataset", sort=False)]


@dataclasses.dataclass
class Differences:
    """What changed from run A to run B, cell by cell (see `compare_runs`).

    Attributes:
        status, verdicts, accuracy: (name, A, B[, delta, threshold]) per changed cell.
        within_noise, identical: cells whose accuracy moved within noise; whose outcome
            (status, error or every seed's metric) is the same.
        only_a, only_b: Markdown lines for the cells in one run only.
        differ_in: the provenance fields in which the runs differ, with A's and B's values.
    """

    shared: int
    status: list[tuple]
    verdicts: list[tuple]
    accuracy: list[tuple]
    within_noise: int
    identical: int
    only_a: list[str]
    only_b: list[str]
    differ_in: list[tuple[str, str, str]]
    header: list[str]
    cells_a: int
    cells_b: int

    @property
    def changed(self) -> int:
        """Cells whose status, error, verdict or accuracy (beyond noise) changed."""
        return len({row[0] for row in self.status + self.verdicts + self.accuracy})


def differences(rows_a: list[dict[str, Any]], rows_b: list[dict[str, Any]],
                label_a: str, label_b: str) -> Differences:
    """Compare two runs cell by cell (`NOISE_TEXT` says the noise rule).

    Raises:
        ValueError: a run has no rows.
    """
    for label, rows in ((label_a, rows_a), (label_b, rows_b)):
        if not rows:
            raise ValueError(f"Expected result rows for run {label!r}. Received: none")
    key = match_key(rows_a, rows_b)
    (df_a, a), (df_b, b) = _cells(rows_a, key), _cells(rows_b, key)
    metrics_a, metrics_b = (df.groupby(key, sort=False)["test_metric"].apply(tuple).to_dict()
                            if "test_metric" in df else {} for df in (df_a, df_b))
    shared = [i for i in a.index if i in b.index]
    status, verdicts, deltas, within, identical = [], [], [], 0, 0
    for cell_id in shared:
        x, y = a.loc[cell_id].to_dict(), b.loc[cell_id].to_dict()
        if "error" in (x["verdict"], y["verdict"]):
            if _outcome(x) != _outcome(y):  # ok <-> error, or another error type or phase
                status.append((x["name"], _outcome(x), _outcome(y)))
            else:
                identical += 1
            continue
        if x["verdict"] != y["verdict"]:
            verdicts.append((x["name"], _outcome(x), _outcome(y)))
        delta = y["test_metric_mean"] - x["test_metric_mean"]
        threshold = noise_threshold(x, y)
        if abs(delta) > threshold + _ROUNDING:
            deltas.append((x["name"], _outcome(x), _outcome(y), f"{delta:+.4f}",
                           f"{threshold:.4f}"))
        elif math.isfinite(delta):
            within += 1
        if x["verdict"] == y["verdict"] and metrics_a.get(cell_id) == metrics_b.get(cell_id):
            identical += 1
    facts_a, facts_b = tables.provenance(df_a), tables.provenance(df_b)
    facts = [(name, facts_a[k], facts_b[k]) for k, name in _FIELDS]
    return Differences(
        len(shared), status, verdicts, deltas, within, identical,
        _only(a, [i for i in a.index if i not in b.index], df_a, "A"),
        _only(b, [i for i in b.index if i not in a.index], df_b, "B"),
        [fact for fact in facts[1:] if fact[1] != fact[2]], _header(facts, label_a, label_b),
        len(a), len(b))


def compare_runs(rows_a: list[dict[str, Any]], rows_b: list[dict[str, Any]],
                 label_a: str, label_b: str) -> str:
    """A cell-by-cell diff of two runs as Markdown: how the runs differ, then the cells only
    in one run, the status, verdict and accuracy changes (`render`).

    Args:
        rows_a, rows_b: the result rows of each run (one per cell and seed).
        label_a, label_b: how to call the runs, e.g. their directories.

    Raises:
        ValueError: a run has no rows.
    """
    return render(differences(rows_a, rows_b, label_a, label_b))


def render(d: Differences) -> str:
    """`differences` as the Markdown of `compare_runs`."""
    lines = list(d.header)
    lines += [f"{tables.counted(d.shared, 'cell')} in both runs: {len(d.status)} status or "
              f"error changes, {len(d.verdicts)} verdict changes, {len(d.accuracy)} accuracy "
              f"changes beyond noise, {d.within_noise} within noise. "
              f"{tables.counted(d.cells_a - d.shared, 'cell')} only in A, "
              f"{d.cells_b - d.shared} only in B.", ""]
    sections = (("Cells in one run only", d.only_a + d.only_b, None),
                ("Status and error changes", d.status, ("cell", "A", "B")),
                ("Verdict changes", d.verdicts, ("cell", "A", "B")),
                ("Accuracy changes beyond noise", d.accuracy,
                 ("cell", "A", "B", "Δ (B − A)", "noise threshold")))
    for title, items, header in sections:
        lines += [f"## {title}", ""]
        if not items:
            lines += ["None.", ""]
        elif header is None:
            lines += items + [""]
        else:
            lines += _table(header, items)
    return "\n".join(lines)
