"""What `cheatgrid grid` says when a run ends: the findings in a few lines, where the report
is, and how this machine's numbers compare with the committed sample run of the same config."""

from __future__ import annotations

import pathlib

from runner.report.compare import differences
from runner.report.highlights import tally
from runner.report.run_report import RunReport
from runner.report.tables import counted, group_sizes
from runner.store import results
from runner.store.atomic import atomic_write

SAMPLES = pathlib.Path("results") / "samples"  # where the committed sample runs live
COMPARISON_FILE = "compare_samples.md"


def find_sample(name: str, config_path: str | None) -> pathlib.Path | None:
    """The committed sample run named `name` (relative to the working directory when below
    it): under results/samples/ of the working directory, or of the checkout the config file
    is in (configs/ beside results/; the path as given: a checkout's configs/ is a link)."""
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
    if found.changed == 0 and found.identical == found.shared and found.same_cells:
        return f"same numbers as the committed run {sample} ({where})"
    why = "; ".join(f"{name} {b} here vs {a} there" for name, a, b in found.differ_in) or \
        "same software, weights, data and seeds: floating-point results differ between machines"
    return (f"{found.changed} of {found.shared} cells differ in status, verdict or accuracy "
            f"beyond noise from the committed run {sample}, {found.shared - found.identical} "
            f"in their numbers ({why}); see {where}")


def summary_lines(report: RunReport, run_dir: pathlib.Path, rows: list[dict],
                  sample: pathlib.Path | None) -> list[str]:
    """The end-of-run summary, one line each."""
    groups: dict[str, int] = {}
    for (dataset, _), size in group_sizes(report.shown).items():
        if size > 1:
            groups[dataset] = groups.get(dataset, 0) + 1
    identical = (f"{counted(sum(groups.values()), 'group')} of identical heads ("
                 + ", ".join(f"{d} {n}" for d, n in groups.items()) + ")") if groups \
        else "no identical heads"
    misleading = report.cells[report.cells["verdict"] == "misleading"]
    metrics = ", ".join(dict.fromkeys(misleading["metric"])) or "none"
    return [f"done: {tally(report.cells)}",
            f"metrics that misreport: {counted(len(misleading), 'cell')} ({metrics}); "
            f"{identical}",
            f"report: {run_dir / 'report.html'} (findings first; also cheat_table.md, "
            "results.csv, results.jsonl"
            + (", changes.md: what changed when" if (run_dir / "changes.md").is_file() else "")
            + ")",
            f"vs the committed sample: {sample_comparison(run_dir, rows, sample)}"]
