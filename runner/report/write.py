"""The top of the report: every output of a run directory from its result rows.

results.csv, cheat_table.csv, cheat_table.md, heatmap_<dataset>.png and report.html,
each written whole (`store.atomic`), the cheat cells computed once for all of them.
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any

import pandas as pd

from runner.report import heatmaps, html
from runner.report.highlights import findings
from runner.report.markdown import cheat_markdown, error_items
from runner.report.tables import (
    annotate,
    by_runtime,
    cheat_cells,
    cheat_table,
    csv_text,
    results_frame,
)
from runner.store.atomic import atomic_write


@dataclasses.dataclass(frozen=True)
class Tables:
    """What every output of a run is written from, computed once.

    Attributes:
        rows: the annotated result rows (`tables.annotate`), one per cell and seed.
        shown: the same with each dataset's section per runtime (`tables.by_runtime`).
        cells: the cheat cells of `shown` (`tables.cheat_cells`).
    """

    rows: pd.DataFrame
    shown: pd.DataFrame
    cells: pd.DataFrame


def build_tables(run_dir: str | pathlib.Path, rows: list[dict[str, Any]]) -> Tables:
    """Annotate a run's rows (with its stored logits) and aggregate its cells."""
    annotated = annotate(results_frame(rows), pathlib.Path(run_dir))
    shown = by_runtime(annotated)
    return Tables(annotated, shown, cheat_cells(shown))


def write_tables(run_dir: str | pathlib.Path, rows: list[dict[str, Any]],
                 tables: Tables | None = None) -> dict[str, str]:
    """Write results.csv, cheat_table.csv, cheat_table.md, heatmap_<dataset>.png and
    report.html into `run_dir`.

    report.html embeds the run's changes.md, claims.md and snippets.md when there are:
    checking the claims and running the snippets ask Keras itself, which this function
    never imports.

    Args:
        tables: `build_tables(run_dir, rows)` when already computed.

    Returns:
        Output name -> path of each file written.
    """
    run_dir = pathlib.Path(run_dir)
    tables = build_tables(run_dir, rows) if tables is None else tables
    annotated, df, cells = tables.rows, tables.shown, tables.cells
    found, errors = findings(df, cells), error_items(df)  # both pages show them
    outputs = {
        "results.csv": csv_text(annotated),
        "cheat_table.csv": cheat_table(df, cells=cells).to_csv(),
        "cheat_table.md": cheat_markdown(df, cheat_table(df, markup=True, cells=cells), cells,
                                         found=found, errors=errors),
    }
    for name, text in outputs.items():
        atomic_write(run_dir / name, text)
    written = {name: str(run_dir / name) for name in outputs}
    pngs = dict(zip(dict.fromkeys(df["dataset"]), heatmaps.write_heatmaps(df, run_dir, cells),
                    strict=True))
    written.update({path.name: str(path) for path in pngs.values()})
    claims_text, snippets_text, changes_text = (
        path.read_text(encoding="utf-8") if path.is_file() else None
        for path in (run_dir / "claims.md", run_dir / "snippets.md", run_dir / "changes.md"))
    written["report.html"] = str(html.write_html(
        df, run_dir, claims_text,
        heatmaps={name: path.read_bytes() for name, path in pngs.items()}, cells=cells,
        found=found, errors=errors, snippets_markdown=snippets_text,
        changes_markdown=changes_text))
    return written
