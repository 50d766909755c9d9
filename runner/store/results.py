"""results.jsonl (a line per finished cell, on disk before the next starts) and stored logits."""

from __future__ import annotations

import json
import os
import pathlib
import warnings
from collections.abc import Iterable
from typing import Any

from runner.errors import CheatgridWarning

RESULTS_FILE = "results.jsonl"
PREDICTIONS_DIR = "predictions"  # <head_id>-s<seed>.npy: each head's test logits
_NON_FINITE = {"NaN": None, "Infinity": "inf", "-Infinity": "-inf"}


def append_rows(path: str | pathlib.Path, rows: Iterable[dict[str, Any]]) -> None:
    """Append result rows as JSON lines (NaN as null, inf as "inf"); flush and fsync first."""
    text = "".join(json.dumps(json.loads(json.dumps(row), parse_constant=_NON_FINITE.get)) + "\n"
                   for row in rows)  # JSON has no NaN or inf: the tokens json writes replaced
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def read_rows(path: str | pathlib.Path) -> list[dict[str, Any]]:
    """All rows of a results file (a FileNotFoundError without one); a torn or corrupt line
    is skipped with a warning."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            try:
                row, problem = json.loads(line), "a line that is not a result row"
            except json.JSONDecodeError as e:
                row, problem = None, f"a corrupt line ({e.msg})"
            if isinstance(row, dict) and "cell_id" in row:
                rows.append(row)
            elif line.strip():
                warnings.warn(f"{path}:{number}: skipping {problem}", CheatgridWarning,
                              stacklevel=2)
    return rows


def load_logits(run_dir: str | pathlib.Path, head_id: str, seed: int):
    """A head's stored test logits, or None when the run has none for it."""
    import numpy as np

    path = pathlib.Path(run_dir) / PREDICTIONS_DIR / f"{head_id}-s{seed}.npy"
    return np.load(path) if path.is_file() else None
