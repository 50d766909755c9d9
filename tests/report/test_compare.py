"""Two hand-made runs compared cell by cell, `cheatgrid compare`, and the end-of-run summary
against a committed sample run of the same config."""

from __future__ import annotations

import math

import pytest

from runner.cli import main as cli
from runner.report import compare
from runner.report.compare import find_sample, sample_comparison, summary_lines
from runner.report.run_report import RunReport
from runner.store import results as store
from tests.support import row

BCE, CCE = "binary_crossentropy", "categorical_crossentropy"


def _section(text: str, title: str) -> str:
    """The body of one `## title` section."""
    return text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def _compare(*args) -> str:
    return compare.differences(*args).markdown


def _run(*cells) -> list[dict]:
    return [row(**cell) for cell in cells]


def test_status_change():
    text = _compare(_run({"value": 0.8}), _run({"error": "ValueError"}), "a", "b")
    section = _section(text, "Status and error changes")
    assert "onehot/softmax/categorical_crossentropy/logits=false/categorical_accuracy" in section
    assert "0.8000 ok | error: ValueError in `fit`" in section
    assert "1 status or error changes" in text


def test_same_error_is_no_change_but_another_error_type_is():
    same = _compare(_run({"error": "ValueError"}), _run({"error": "ValueError"}), "a", "b")
    assert _section(same, "Status and error changes").strip() == "None."
    other = _compare(_run({"error": "ValueError"}), _run({"error": "InvalidArgumentError"}),
                     "a", "b")
    assert "InvalidArgumentError" in _section(other, "Status and error changes")


def test_verdict_change():
    # 0.80 with reference 0.80 is ok; 0.80 with reference 0.90 is misleading
    text = _compare(_run({"value": 0.8}), _run({"value": 0.8, "reference": 0.9}), "a", "b")
    assert "0.8000 ok | 0.8000 misleading" in _section(text, "Verdict changes")
    assert _section(text, "Accuracy changes beyond noise").strip() == "None."


@pytest.mark.parametrize("a, b, beyond", [
    ([0.80], [0.85], True),  # one seed each: |Δ| 0.05 > 0.02
    ([0.80], [0.81], False),  # 0.01 <= 0.02
    ([0.80], [0.78], False),  # exactly 0.02 is noise
    ([0.80, 0.82, 0.81], [0.84, 0.86, 0.85], True),  # Δ 0.04 > 2 × 0.0082
    ([0.80, 0.82, 0.81], [0.79, 0.83, 0.81], False),  # Δ 0
    ([0.80, 0.80], [0.804, 0.804], False),  # no spread, but below the 0.005 floor
    ([0.80, 0.80], [0.81, 0.81], True),  # no spread, 0.01 > 0.005
    ([0.80, 0.82, 0.81], [0.85], True),  # one seed on one side: the 0.02 rule
])
def test_accuracy_delta_beyond_or_within_noise(a, b, beyond):
    run_a = [row(value=v, seed=s) for s, v in enumerate(a)]
    run_b = [row(value=v, seed=s) for s, v in enumerate(b)]
    text = _compare(run_a, run_b, "a", "b")
    section = _section(text, "Accuracy changes beyond noise")
    assert ("categorical_accuracy |" in section) is beyond
    assert (f"{int(beyond)} accuracy changes beyond noise, {int(not beyond)} within noise"
            in text)


@pytest.mark.parametrize("std_a, n_a, std_b, n_b, expected", [
    (0.03, 4, 0.03, 4, 2 * math.sqrt(2 * 0.03 ** 2 / 4)),  # 0.0424
    (0.01, 3, 0.01, 3, 2 * math.sqrt(2 * 0.01 ** 2 / 3)),  # 0.0163
    (0.0, 2, 0.0, 2, 0.005),  # the floor
    (0.05, 1, 0.0, 5, 0.02),  # a single seed
])
def test_noise_threshold(std_a, n_a, std_b, n_b, expected):
    a = {"n_ok": n_a, "test_metric_std": std_a}
    b = {"n_ok": n_b, "test_metric_std": std_b}
    assert compare.noise_threshold(a, b) == pytest.approx(expected)


def test_cells_only_in_one_run():
    a = _run({"value": 0.8}, {"activation": "none", "loss": BCE, "from_logits": True})
    b = _run({"value": 0.8}, {"dataset": "mnist_binary", "encoding": "integer"})
    text = _compare(a, b, "a", "b")
    section = _section(text, "Cells in one run only")
    assert "- only in A: 1 cell of mnist" in section
    assert "- only in B: 1 cell of mnist_binary" in section
    assert "1 cell in both runs" in text


def test_header_names_the_runs_and_how_they_differ():
    a = _run({"value": 0.8})
    b = [{**r, "keras_version": "3.16.0", "weights": "imagenet", "run_name": "other"}
         for r in _run({"value": 0.8})]
    text = _compare(a, b, "results/a", "results/b")
    assert text.startswith("# Comparison: A `results/a` vs. B `results/b`")
    assert "| Keras | 3.15.1 | 3.16.0 |" in text
    assert "| run name | hand | other |" in text
    assert "The runs differ in: Keras, backbone weights." in text
    same = _compare(a, a, "a", "a")
    assert "The runs agree in software" in same
    assert "2 × sqrt(s_a²/n_a + s_b²/n_b)" in same  # the noise rule is stated


def test_empty_run_is_an_error():
    with pytest.raises(ValueError, match="Expected result rows for run 'b'"):
        _compare(_run({"value": 0.8}), [], "a", "b")


def _write_run(folder, rows):
    folder.mkdir()
    store.append_rows(folder / store.RESULTS_FILE, rows)
    return folder


def test_cli_compare_prints_and_writes(tmp_path, capsys):
    a = _write_run(tmp_path / "old", _run({"value": 0.8}))
    b = _write_run(tmp_path / "new", _run({"value": 0.9}))
    assert cli.main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Comparison: A ")
    written = b / "compare_old.md"
    assert written.read_text(encoding="utf-8") == out
    assert "+0.1000" in out
    assert cli.main(["compare", str(a), str(b), "--out", str(tmp_path / "x.md")]) == 0
    assert (tmp_path / "x.md").is_file()


@pytest.mark.parametrize("argv, fragment", [
    (["compare", "{tmp}/missing", "{run}"], "compare: Expected a run directory with "
                                            "results.jsonl. Received: {tmp}/missing"),
    (["compare", "{run}", "{tmp}/missing"], "Received: {tmp}/missing"),
    (["compare", "{run}", "{run}", "--out", "{tmp}/no/such/dir/x.md"],
     "--out: Expected a file path in an existing directory"),
])
def test_cli_compare_usage_errors_exit_2(argv, fragment, tmp_path, capsys):
    run = _write_run(tmp_path / "run", _run({"value": 0.8}))
    argv = [a.format(tmp=tmp_path, run=run) for a in argv]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("cheatgrid: error: ")
    assert fragment.format(tmp=tmp_path) in err


SUMMARY_ROWS = [row(metric=m, value=v, settings_hash="s1") for m, v in
        (("categorical_accuracy", 0.8), ("accuracy", 0.7))]


def _sample_dir(folder, rows):
    folder.mkdir(parents=True)
    store.append_rows(folder / store.RESULTS_FILE, rows)
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
    sample = _sample_dir(tmp_path / "results" / "samples" / "hand", SUMMARY_ROWS)
    software = {k: v for k, v in changed.items() if k == "keras_version"}
    here = [{**SUMMARY_ROWS[0], **changed}, {**SUMMARY_ROWS[1], **software}]
    run_dir = _sample_dir(tmp_path / "run", here)
    line = sample_comparison(run_dir, here, sample)
    assert expected.format(sample=sample) in line
    assert (run_dir / "compare_samples.md").is_file()
    if "keras_version" in changed:
        assert "Keras 3.16.0 here vs 3.15.1 there" in line


def test_other_settings_or_no_sample_are_said_not_compared(tmp_path, monkeypatch):
    sample = _sample_dir(tmp_path / "results" / "samples" / "hand", SUMMARY_ROWS)
    monkeypatch.chdir(tmp_path)
    assert find_sample("hand", None) == sample.relative_to(tmp_path)
    assert find_sample("other", str(tmp_path / "configs" / "other.yaml")) is None


def test_the_sample_of_a_checkouts_config_is_found_from_elsewhere(tmp_path, monkeypatch):
    checkout = tmp_path / "checkout"
    sample = _sample_dir(checkout / "results" / "samples" / "hand", SUMMARY_ROWS)
    (checkout / "runner" / "configs").mkdir(parents=True)
    (checkout / "configs").symlink_to(checkout / "runner" / "configs")  # as in the repository
    (checkout / "configs" / "hand.yaml").touch()
    monkeypatch.chdir(tmp_path)
    assert find_sample("hand", "checkout/configs/hand.yaml") == sample.relative_to(tmp_path)
    other = [{**r, "settings_hash": "s2"} for r in SUMMARY_ROWS]  # e.g. another epoch count
    run_dir = _sample_dir(tmp_path / "run", other)
    assert "holds other cells or settings" in sample_comparison(run_dir, other, sample)
    assert "no committed sample" in sample_comparison(run_dir, other, None)


def test_summary_lines_give_the_verdicts_and_the_report(tmp_path):
    run_dir = _sample_dir(tmp_path / "run", SUMMARY_ROWS)
    lines = summary_lines(RunReport.read(run_dir, SUMMARY_ROWS), run_dir, SUMMARY_ROWS, None)
    assert lines[0] == "done: 2 cells: 2 ok, 0 misleading, 0 degenerate, 0 error."
    assert str(run_dir / "report.html") in lines[2]
