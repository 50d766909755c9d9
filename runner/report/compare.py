"""Two runs side by side: each cell (seeds aggregated, matched by cell id, or across
runtimes by its id on the default framework) whose status, error, verdict or accuracy
changed beyond noise (`NOISE_TEXT` says the rule)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

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


def noise_threshold(a: dict[str, Any], b: dict[str, Any]) -> float:
    """The |Δ mean| above which two aggregated cells' accuracies differ beyond noise."""
    if a["n_ok"] >= 2 and b["n_ok"] >= 2:
        error = math.sqrt(a["test_metric_std"] ** 2 / a["n_ok"] +
                          b["test_metric_std"] ** 2 / b["n_ok"])
        return max(NOISE_SE_FACTOR * error, NOISE_FLOOR)
    return SINGLE_SEED_TOLERANCE


def _outcome(cell: dict[str, Any]) -> str:
    if cell["verdict"] == "error":
        return f"error: {cell['error_type']} in `{cell['phase']}`"
    return f"{tables.mean_text(cell)} {cell['verdict']}"


def _md(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: tuple[str, ...], rows: list[tuple]) -> list[str]:
    return [pipe_table(header, ([_md(v) for v in row] for row in rows)), ""]


@dataclasses.dataclass
class Differences:
    """What changed from run A to run B (`differences`).

    Attributes:
        status, verdicts, accuracy: (name, A, B[, delta, threshold]) per changed cell.
        shared, identical: the cells in both runs; those whose outcome (status, error or
            every seed's metric) is the same.
        same_cells: whether both runs hold exactly the same cells.
        differ_in: the provenance fields in which the runs differ, with A's and B's values.
        markdown: the comparison as `compare_runs` writes it.
    """

    status: list[tuple]
    verdicts: list[tuple]
    accuracy: list[tuple]
    shared: int
    identical: int
    same_cells: bool
    differ_in: list[tuple[str, str, str]]
    markdown: str

    @property
    def changed(self) -> int:
        """Cells whose status, error, verdict or accuracy (beyond noise) changed."""
        return len({row[0] for row in self.status + self.verdicts + self.accuracy})


def differences(rows_a: list[dict[str, Any]], rows_b: list[dict[str, Any]],
                label_a: str, label_b: str) -> Differences:
    """Compare two runs cell by cell (`NOISE_TEXT` says the noise rule): by cell id, or
    across runtimes (runs with no framework or environment in common, e.g. TensorFlow
    against JAX) by the id on the default framework in this Python.

    Raises:
        ValueError: a run has no rows.
    """
    for label, rows in ((label_a, rows_a), (label_b, rows_b)):
        if not rows:
            raise ValueError(f"Expected result rows for run {label!r}. Received: none")
    runtimes_a, runtimes_b = ({label_of(r.get("environment"), r.get("framework") or
                                        DEFAULT_FRAMEWORK) for r in rows}
                              for rows in (rows_a, rows_b))
    key = "base_id" if runtimes_a.isdisjoint(runtimes_b) and all(
        "base_id" in r for r in rows_a + rows_b) else "cell_id"
    df_a, df_b = (tables.annotate(tables.results_frame(rows)) for rows in (rows_a, rows_b))
    a, b = (aggregate.aggregate_seeds(df).set_index(key, drop=False) for df in (df_a, df_b))
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
    differ = [fact for fact in facts[1:] if fact[1] != fact[2]]  # the first: the runs' names
    only = [f"- only in {run}: {tables.counted(len(part), 'cell')} of {dataset} (" +
            describe_cells(part, df[df["dataset"] == dataset].drop_duplicates("cell_id")) + ")"
            for run, df, mine, theirs in (("A", df_a, a, b), ("B", df_b, b, a))
            for dataset, part in mine[~mine.index.isin(theirs.index)].groupby(
                "dataset", sort=False)]
    lines = [f"# Comparison: A `{_md(label_a)}` vs. B `{_md(label_b)}`", "",
             *_table(("", "A", "B"), facts),
             ("The runs differ in: " + ", ".join(name for name, *_ in differ) + ". Changes below "
              "may come from any of these." if differ else "The runs agree in software, "
              "weights, data, sample counts, epochs and seeds."), "", NOISE_TEXT, "",
             f"{tables.counted(len(shared), 'cell')} in both runs: {len(status)} status or "
             f"error changes, {len(verdicts)} verdict changes, {len(deltas)} accuracy "
             f"changes beyond noise, {within} within noise. "
             f"{tables.counted(len(a) - len(shared), 'cell')} only in A, "
             f"{len(b) - len(shared)} only in B.", ""]
    for title, items, header in (
            ("Cells in one run only", only, None),
            ("Status and error changes", status, ("cell", "A", "B")),
            ("Verdict changes", verdicts, ("cell", "A", "B")),
            ("Accuracy changes beyond noise", deltas,
             ("cell", "A", "B", "Δ (B − A)", "noise threshold"))):
        lines += [f"## {title}", ""] + (["None.", ""] if not items else items + [""]
                                        if header is None else _table(header, items))
    return Differences(status, verdicts, deltas, len(shared), identical,
                       len(shared) == len(a) == len(b), differ, "\n".join(lines))


def compare_runs(rows_a: list[dict[str, Any]], rows_b: list[dict[str, Any]],
                 label_a: str, label_b: str) -> str:
    """A cell-by-cell diff of two runs as Markdown: how the runs differ, then the cells only
    in one run, the status, verdict and accuracy changes (`differences`).

    Args:
        rows_a, rows_b: the result rows of each run (one per cell and seed).
        label_a, label_b: how to call the runs, e.g. their directories.

    Raises:
        ValueError: a run has no rows.
    """
    return differences(rows_a, rows_b, label_a, label_b).markdown
