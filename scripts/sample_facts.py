"""Write the sample runs' facts that `cheatgrid check` cites into the package (`make samples`).

runner/check/samples/<run>.csv is results/samples/<run>/results.csv cut to the columns
`runner.check.evidence` reads (`FACT_COLUMNS`), so that an installed package cites the
sample cells without the repository. tests/check/test_evidence.py fails when they are stale.
"""

from __future__ import annotations

import csv
import io
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # runner.check imports TensorFlow: quietly
ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from runner.check.evidence import DEFAULT_RUN, FACTS_DIR, FRAMEWORKS_RUN, USERS_RUN  # noqa: E402
from runner.store.atomic import atomic_write  # noqa: E402

# the columns of results.csv that `runner.check.evidence` reads: all the package ships of them
FACT_COLUMNS = ("name", "framework", "dataset", "encoding", "num_classes", "units",
                "activation", "loss", "from_logits", "metric", "status", "error_type",
                "error_message", "metric_resolved", "test_metric", "reference_accuracy",
                "majority_rate", "verdict", "epochs", "data_detail", "equivalence_group")


def facts_csv(results_csv: pathlib.Path) -> str:
    """A sample run's results.csv cut to `FACT_COLUMNS`, rows in the run's order."""
    with open(results_csv, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = io.StringIO()
    writer = csv.DictWriter(out, FACT_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def main() -> int:
    for run in (DEFAULT_RUN, FRAMEWORKS_RUN, USERS_RUN):
        path = FACTS_DIR / f"{run}.csv"
        text = facts_csv(ROOT / "results" / "samples" / run / "results.csv")
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            atomic_write(path, text)
            print(f"updated {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
