"""The end-of-run summary against a committed sample run of the same config."""

from __future__ import annotations

import pytest

from runner.report.run_report import RunReport
from runner.report.summary import find_sample, sample_comparison, summary_lines
from runner.store import results
from tests.support import row

ROWS = [row(metric=m, value=v, settings_hash="s1") for m, v in
        (("categorical_accuracy", 0.8), ("accuracy", 0.7))]


def _run(folder, rows):
    folder.mkdir(parents=True)
    results.append_rows(folder / results.RESULTS_FILE, rows)
    return folder


@pytest.mark.parametrize("changed, expected", [
    ({}, "same numbers as the committed run"),
    ({"test_metric": 0.805}, "0 of 2 cells differ in status, verdict or accuracy beyond noise"
                             " from the committed run {sample}, 1 in their numbers (same "
                             "software, weights, data and seeds: floating-point results "
                             "differ between machines)"),
    ({"test_metric": 0.9, "keras_version": "3.16.0"},
     "1 of 2 cells differ in status, verdict or accuracy beyond noise"),
])
def test_the_comparison_says_how_this_run_differs(tmp_path, changed, expected):
    sample = _run(tmp_path / "results" / "samples" / "hand", ROWS)
    software = {k: v for k, v in changed.items() if k == "keras_version"}
    here = [{**ROWS[0], **changed}, {**ROWS[1], **software}]
    run_dir = _run(tmp_path / "run", here)
    line = sample_comparison(run_dir, here, sample)
    assert expected.format(sample=sample) in line
    assert (run_dir / "compare_samples.md").is_file()
    if "keras_version" in changed:
        assert "Keras 3.16.0 here vs 3.15.1 there" in line


def test_other_settings_or_no_sample_are_said_not_compared(tmp_path, monkeypatch):
    sample = _run(tmp_path / "results" / "samples" / "hand", ROWS)
    monkeypatch.chdir(tmp_path)
    assert find_sample("hand", None) == sample.relative_to(tmp_path)
    assert find_sample("other", str(tmp_path / "configs" / "other.yaml")) is None


def test_the_sample_of_a_checkouts_config_is_found_from_elsewhere(tmp_path, monkeypatch):
    checkout = tmp_path / "checkout"
    sample = _run(checkout / "results" / "samples" / "hand", ROWS)
    (checkout / "runner" / "configs").mkdir(parents=True)
    (checkout / "configs").symlink_to(checkout / "runner" / "configs")  # as in the repository
    (checkout / "configs" / "hand.yaml").touch()
    monkeypatch.chdir(tmp_path)
    assert find_sample("hand", "checkout/configs/hand.yaml") == sample.relative_to(tmp_path)
    other = [{**r, "settings_hash": "s2"} for r in ROWS]  # e.g. another epoch count
    run_dir = _run(tmp_path / "run", other)
    assert "holds other cells or settings" in sample_comparison(run_dir, other, sample)
    assert "no committed sample" in sample_comparison(run_dir, other, None)


def test_summary_lines_give_the_verdicts_and_the_report(tmp_path):
    run_dir = _run(tmp_path / "run", ROWS)
    lines = summary_lines(RunReport.read(run_dir, ROWS), run_dir, ROWS, None)
    assert lines[0] == "done: 2 cells: 2 ok, 0 misleading, 0 degenerate, 0 error."
    assert str(run_dir / "report.html") in lines[2]
