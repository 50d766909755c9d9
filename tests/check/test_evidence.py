"""The sample runs' facts that `check` cites ship in the package, current with the sample runs."""

from __future__ import annotations

import pathlib

import pytest

from runner.check import evidence
from scripts.sample_facts import FACT_COLUMNS, facts_csv

SAMPLES = pathlib.Path(__file__).resolve().parents[2] / "results" / "samples"
RUNS = (evidence.DEFAULT_RUN, evidence.FRAMEWORKS_RUN, evidence.USERS_RUN)


@pytest.mark.parametrize("run", RUNS)
def test_the_shipped_facts_are_current(run):
    shipped = evidence.FACTS_DIR / f"{run}.csv"
    assert shipped.read_text(encoding="utf-8") == facts_csv(
        SAMPLES / run / "results.csv"), (
        f"{shipped.name} is stale: run `python scripts/sample_facts.py` (make samples)")


@pytest.mark.parametrize("run", RUNS)
def test_the_facts_read_as_the_sample_runs_rows(run):
    full = evidence.sample_rows(run, samples_dir=SAMPLES)
    assert evidence.sample_rows(run) == tuple(
        {key: row[key] for key in FACT_COLUMNS} for row in full)
    assert len(full) > 100


def test_a_folder_without_sample_runs_has_no_rows(tmp_path):
    assert evidence.sample_rows(evidence.DEFAULT_RUN, samples_dir=tmp_path) == ()
