"""The top of the report: every output of a run directory, each written whole."""

from __future__ import annotations

import pathlib
from typing import Any

from runner.report import heatmaps, html
from runner.report.markdown import cheat_markdown
from runner.report.run_report import RunReport
from runner.report.tables import results_table
from runner.store.atomic import atomic_write


def write_report(report: RunReport, run_dir: str | pathlib.Path) -> dict[str, str]:
    """Write results.csv, cheat_table.csv, cheat_table.md, heatmap_<dataset>.svg and
    report.html (with the run's changes.md, claims.md and snippets.md) into `run_dir`.

    Returns:
        Output name -> path of each file written.
    """
    run_dir = pathlib.Path(run_dir)
    outputs = {"results.csv": results_table(report.rows).to_csv(index=False),
               "cheat_table.csv": report.table.to_csv(),
               "cheat_table.md": cheat_markdown(report)}
    for name, text in outputs.items():
        atomic_write(run_dir / name, text)
    written = {name: str(run_dir / name) for name in outputs}
    written.update({path.name: str(path) for path in heatmaps.write_heatmaps(report, run_dir)})
    written["report.html"] = str(html.write_html(report, run_dir))
    return written


def write_tables(run_dir: str | pathlib.Path, rows: list[dict[str, Any]]) -> dict[str, str]:
    """`write_report` of a run's rows (annotated with its stored logits)."""
    return write_report(RunReport.read(run_dir, rows), run_dir)
