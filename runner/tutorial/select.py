"""Picking a run's rows the way the tutorial talks about them: by part and by axis values."""

from __future__ import annotations

import pandas as pd

from runner import vocab

BCE, CCE, SCCE = ("binary_crossentropy", "categorical_crossentropy",
                  "sparse_categorical_crossentropy")


def part_rows(df: pd.DataFrame, part: str) -> pd.DataFrame:
    """Rows of the first dataset of a tutorial part ("A" binary, "B" multi-class, "C"
    multi-label)."""
    names = [n for n in dict.fromkeys(df["dataset"])
             if (spec := vocab.spec_of(n)) and spec.part.startswith(f"Part {part}")]
    return df[df["dataset"] == names[0]] if names else df.iloc[0:0]


def cells(rows: pd.DataFrame, **where) -> pd.DataFrame:
    """The rows whose columns hold the given values (a list: any of them)."""
    for key, value in where.items():
        rows = rows[rows[key].isin(value if isinstance(value, list) else [value])]
    return rows
