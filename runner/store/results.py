"""results.jsonl (one JSON object per finished cell, each line flushed to disk before the next
cell starts, so a killed run keeps what it finished) and the stored test logits."""

from __future__ import annotations

import json
import math
import os
import pathlib
import warnings
from collections.abc import Iterable
from typing import Any

from runner.errors import CheatgridWarning

RESULTS_FILE = "results.jsonl"
PREDICTIONS_DIR = "predictions"  # <head_id>-s<seed>.npy: each head's test logits


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def append_rows(path: str | pathlib.Path, rows: Iterable[dict[str, Any]]) -> None:
    """Append result rows as JSON lines; flush and fsync before returning."""
    with open(path, "a", encoding="utf-8") as f:
        f.write("".join(json.dumps(_json_safe(row)) + "\n" for row in rows))
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
