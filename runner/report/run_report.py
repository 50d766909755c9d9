"""`RunReport`: a run's annotated rows and the views every output reads, each computed once."""

from __future__ import annotations

import dataclasses
import functools
import pathlib
from typing import Any

import pandas as pd

from runner.report import highlights, tables


@dataclasses.dataclass(eq=False)
class RunReport:
    """A run's annotated result rows (`tables.annotate`, one per cell and seed), and the views
    of them the outputs share."""

    rows: pd.DataFrame

    @classmethod
    def read(cls, run_dir: str | pathlib.Path, rows: list[dict[str, Any]]) -> RunReport:
        """A run's rows, annotated with the identical heads of its stored test logits."""
        return cls(tables.annotate(tables.results_frame(rows), pathlib.Path(run_dir)))

    @functools.cached_property
    def shown(self) -> pd.DataFrame:
        """The rows with each dataset's section per runtime and backbone (`by_runtime`)."""
        return tables.by_runtime(self.rows)

    @functools.cached_property
    def cells(self) -> pd.DataFrame:
        """One record per cell of `shown`, seeds aggregated (`tables.cheat_cells`)."""
        return tables.cheat_cells(self.shown)

    @functools.cached_property
    def table(self) -> pd.DataFrame:
        """The cheat table (cheat_table.csv)."""
        return tables.cheat_table(self.cells)

    @functools.cached_property
    def entries(self) -> dict[tuple, dict[str, Any]]:
        """The cheat table's (row index..., column label) -> the cell record behind the entry."""
        return {(c["metric"], c["dataset"], c["encoding"], c["units"], c["activation"],
                 c["column"]): c for c in self.cells.to_dict("records")}

    @functools.cached_property
    def findings(self) -> list[tuple[str, list[str]]]:
        """What the run found, by kind (`highlights.findings`)."""
        return highlights.findings(self.shown, self.cells)

    @property
    def datasets(self) -> list[str]:
        """The sections, in the grid's order (a dataset, or a dataset per runtime)."""
        return list(dict.fromkeys(self.shown["dataset"]))

    def metrics(self, dataset: str) -> list[str]:
        """A section's metrics, in the grid's order."""
        return list(dict.fromkeys(self.section(dataset)[0]["metric"]))

    def section(self, dataset: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """One section's rows and cells; a ValueError for a section the run lacks."""
        if dataset not in self.datasets:
            raise ValueError(f"Expected rows of dataset {dataset!r}. Received: rows of "
                             f"{sorted(self.datasets)}")
        return (self.shown[self.shown["dataset"] == dataset],
                self.cells[self.cells["dataset"] == dataset])
