"""Two runs side by side: each cell whose status, error, verdict or accuracy changed beyond
noise (`NOISE_TEXT`); what `grid` says when it ends, against its committed sample."""

from __future__ import annotations

import collections
import dataclasses
import math
import pathlib
from typing import Any

from runner.report import aggregate, tables
from runner.report.highlights import describe_cells, tally
from runner.report.markdown import pipe_table
from runner.report.run_report import RunReport
from runner.store import results
from runner.store.atomic import atomic_write

SAMPLES = pathlib.Path("results") / "samples"  # where the committed sample runs live
COMPARISON_FILE = "compare_samples.md"
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
    """Run A to B: (name, A, B[, delta, threshold]) per changed cell; cells in both, and those
    of them with the same status, error or every seed's metric; the provenance that differs."""

    status: list[tuple]
    verdicts: list[tuple]
    accuracy: list[tuple]
    shared: int
    identical: int
    same_cells: bool
    differ_in: list[tuple[str, str, str]]
    markdown: str


def differences(rows_a: list[dict[str, Any]], rows_b: list[dict[str, Any]],
                label_a: str, label_b: str) -> Differences:
    """Compare two runs cell by cell (`NOISE_TEXT`): by cell id, or for runs with no runtime
    in common (TensorFlow against JAX) by the id on the default framework in this Python."""
    for label, rows in ((label_a, rows_a), (label_b, rows_b)):
        if not rows:
            raise ValueError(f"Expected result rows for run {label!r}. Received: none")
    df_a, df_b = (tables.annotate(tables.results_frame(rows)) for rows in (rows_a, rows_b))
    key = "base_id" if set(aggregate.runtime_labels(df_a)).isdisjoint(aggregate.runtime_labels(
        df_b)) and all("base_id" in r for r in rows_a + rows_b) else "cell_id"
    a, b = (aggregate.aggregate_seeds(df).set_index(key, drop=False) for df in (df_a, df_b))
    metrics_a, metrics_b = (df.groupby(key, sort=False)["test_metric"].apply(tuple).to_dict()
                            if "test_metric" in df else {} for df in (df_a, df_b))
    shared = [i for i in a.index if i in b.index]
    status, verdicts, deltas, within, identical = [], [], [], 0, 0
    for i in shared:
        x, y = a.loc[i].to_dict(), b.loc[i].to_dict()
        change = (x["name"], _outcome(x), _outcome(y))
        if "error" in (x["verdict"], y["verdict"]):  # ok <-> error, another error type or phase
            status += [change] if change[1] != change[2] else []
            identical += change[1] == change[2]
            continue
        if x["verdict"] != y["verdict"]:
            verdicts.append(change)
        delta, threshold = y["test_metric_mean"] - x["test_metric_mean"], noise_threshold(x, y)
        if abs(delta) > threshold + _ROUNDING:
            deltas.append((*change, f"{delta:+.4f}", f"{threshold:.4f}"))
        elif math.isfinite(delta):
            within += 1
        identical += x["verdict"] == y["verdict"] and metrics_a.get(i) == metrics_b.get(i)
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


def find_sample(name: str, config_path: str | None) -> pathlib.Path | None:
    """results/samples/<name> of the working directory (relative) or of the config's checkout
    (its path not resolved: a checkout's configs/ is a link), if it holds a run."""
    cwd = pathlib.Path.cwd()
    for root in [cwd] + ([pathlib.Path(config_path).absolute().parent.parent]
                         if config_path else []):
        if (root / SAMPLES / name / results.RESULTS_FILE).is_file():
            found = (root / SAMPLES / name).resolve()
            return found.relative_to(cwd.resolve()) if found.is_relative_to(cwd.resolve()) \
                else root / SAMPLES / name
    return None


def sample_comparison(run_dir: pathlib.Path, rows: list[dict], sample: pathlib.Path | None,
                      ) -> str:
    """One line on this run against its committed sample; writes compare_samples.md."""
    if sample is None:
        return "no committed sample run of this config to compare with"
    if sample.resolve() == run_dir.resolve():
        return f"this is the committed sample run {sample}"
    sample_rows = results.read_rows(sample / results.RESULTS_FILE)
    settings = [{(r.get("cell_id"), r.get("seed"), r.get("settings_hash")) for r in run}
                for run in (sample_rows, rows)]  # equal: the same cells, seeds and settings
    if settings[0] != settings[1]:
        return (f"the committed sample {sample} holds other cells or settings (seeds, epochs, "
                "sample counts, ...): not compared")
    found = differences(sample_rows, rows, str(sample), str(run_dir))
    atomic_write(where := run_dir / COMPARISON_FILE, found.markdown)
    changed = len({row[0] for row in found.status + found.verdicts + found.accuracy})
    if changed == 0 and found.identical == found.shared and found.same_cells:
        return f"same numbers as the committed run {sample} ({where})"
    why = "; ".join(f"{name} {b} here vs {a} there" for name, a, b in found.differ_in) or \
        "same software, weights, data and seeds: floating-point results differ between machines"
    return (f"{changed} of {found.shared} cells differ in status, verdict or accuracy "
            f"beyond noise from the committed run {sample}, {found.shared - found.identical} "
            f"in their numbers ({why}); see {where}")


def summary_lines(report: RunReport, run_dir: pathlib.Path, rows: list[dict],
                  sample: pathlib.Path | None) -> list[str]:
    """The end-of-run summary, one line each."""
    groups = collections.Counter(dataset for (dataset, _), size in
                                 tables.group_sizes(report.shown).items() if size > 1)
    identical = (f"{tables.counted(sum(groups.values()), 'group')} of identical heads ("
                 + ", ".join(f"{d} {n}" for d, n in groups.items()) + ")") if groups \
        else "no identical heads"
    misleading = report.cells[report.cells["verdict"] == "misleading"]
    metrics = ", ".join(dict.fromkeys(misleading["metric"])) or "none"
    return [f"done: {tally(report.cells)}",
            f"metrics that misreport: {tables.counted(len(misleading), 'cell')} ({metrics}); "
            f"{identical}",
            f"report: {run_dir / 'report.html'} (findings first; also cheat_table.md, "
            "results.csv, results.jsonl"
            + (", changes.md: what changed when" if (run_dir / "changes.md").is_file() else "")
            + ")",
            f"vs the committed sample: {sample_comparison(run_dir, rows, sample)}"]
