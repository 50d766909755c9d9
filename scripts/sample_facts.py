"""Write the sample runs' facts that `cheatgrid check` cites into the package (`make samples`).

runner/check/samples/<run>.csv is results/samples/<run>/results.csv cut to the columns
`runner.check.evidence` reads (`FACT_COLUMNS`), so that an installed package cites the
sample cells without the repository. tests/check/test_evidence.py fails when they are stale.
"""

from __future__ import annotations

import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # runner.check imports TensorFlow: quietly
ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from runner.check.evidence import (  # noqa: E402
    DEFAULT_RUN,
    FRAMEWORKS_RUN,
    USERS_RUN,
    facts_csv,
    facts_dir,
)
from runner.store.atomic import atomic_write  # noqa: E402


def main() -> int:
    for run in (DEFAULT_RUN, FRAMEWORKS_RUN, USERS_RUN):
        path = facts_dir() / f"{run}.csv"
        text = facts_csv(ROOT / "results" / "samples" / run / "results.csv")
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            atomic_write(path, text)
            print(f"updated {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
