"""runner.run, runner.open_run and Run: the tables of a run as DataFrames, the CLI's errors."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import runner
from runner.cli import main as cli
from runner.errors import ConfigError, UsageError
from runner.report.html import write_tables
from runner.store import results as store
from tests.support import row

ROWS = [row(metric="categorical_accuracy", value=0.8),
        row(metric="binary_accuracy", value=0.96, reference=0.8),  # misleading
        row(activation="sigmoid", metric="categorical_accuracy", error="ValueError")]


def _run_dir(path, rows=ROWS, tables=True):
    path.mkdir()
    store.append_rows(path / store.RESULTS_FILE, rows)
    if tables:
        write_tables(path, rows)
    return path


def test_results_are_results_csv(tmp_path):
    run = runner.open_run(_run_dir(tmp_path / "run"))
    written = pd.read_csv(tmp_path / "run" / "results.csv")
    assert list(run.results.columns) == list(written.columns)
    assert list(run.results["verdict"]) == list(written["verdict"]) == ["ok", "misleading",
                                                                         "error"]


@pytest.mark.parametrize("dataset, metric, index, shape", [
    ("mnist", "categorical_accuracy", ["encoding", "units", "activation"], (2, 1)),
    ("mnist", None, ["metric", "encoding", "units", "activation"], (3, 1)),
    (None, "binary_accuracy", ["dataset", "encoding", "units", "activation"], (1, 1)),
    (None, None, ["metric", "dataset", "encoding", "units", "activation"], (3, 1)),
])
def test_cheat_table_is_laid_out_as_the_markdown_table(tmp_path, dataset, metric, index, shape):
    table = runner.open_run(_run_dir(tmp_path / "run")).cheat_table(dataset, metric)
    assert list(table.index.names) == index and table.shape == shape
    assert list(table.columns) == ["CCE logits=false"]
    if dataset and metric:
        assert table.loc[("onehot", 10, "softmax"), "CCE logits=false"] == "0.8000"
        assert table.loc[("onehot", 10, "sigmoid"), "CCE logits=false"] == "error: ValueError"


@pytest.mark.parametrize("args, message", [
    (("mnst", None), "Invalid value for 'dataset': Expected one of ['mnist']. Received: "
                     "dataset='mnst'. Did you mean 'mnist'?"),
    ((None, "auc"), "Invalid value for 'metric': Expected one of ['categorical_accuracy', "
                    "'binary_accuracy']. Received: metric='auc'"),
])
def test_cheat_table_of_what_the_run_lacks_is_refused(tmp_path, args, message):
    with pytest.raises(UsageError, match=f"^{re.escape(message)}$"):
        runner.open_run(_run_dir(tmp_path / "run")).cheat_table(*args)


def test_findings_are_the_reports_lines(tmp_path):
    findings = runner.open_run(_run_dir(tmp_path / "run")).findings
    assert findings[0] == "Verdicts: 3 cells: 1 ok, 1 misleading, 0 degenerate, 1 error."
    assert any(line.startswith("Metrics that misreport: `binary_accuracy`") for line in findings)


def test_compare_says_what_changed(tmp_path):
    before = runner.open_run(_run_dir(tmp_path / "a"))
    after = _run_dir(tmp_path / "b", [{**r, "test_metric": 0.4, "reference_accuracy": 0.4}
                                      if r["metric"] == "categorical_accuracy" else r
                                      for r in ROWS])
    text = before.compare(after)
    assert "1 verdict changes" in text and text._repr_markdown_() == text
    assert "0 verdict changes" in before.compare(before)


@pytest.mark.parametrize("tables", [True, False], ids=["heatmap written", "heatmap drawn"])
def test_a_notebook_shows_the_findings_and_the_heatmap(tmp_path, tables):
    path = _run_dir(tmp_path / "run", tables=tables)
    html = runner.open_run(path)._repr_html_()
    assert "Findings" in html and html.count("<svg") == 1 and "heatmap of mnist" in html
    if tables:  # the file the run wrote, inline
        assert (path / "heatmap_mnist.svg").read_text(encoding="utf-8") in html


@pytest.mark.parametrize("make, message", [
    (lambda p: p, "open_run: Expected a run directory with results.jsonl. Received: {p}"),
    (lambda p: p.mkdir() or (p / "results.jsonl").touch() or p,
     "open_run: {p}/results.jsonl holds no result rows"),
])
def test_open_run_of_no_run_is_refused(tmp_path, make, message):
    path = make(tmp_path / "run")
    with pytest.raises(UsageError, match=f"^{re.escape(message.format(p=path))}$"):
        runner.open_run(path)


@pytest.mark.parametrize("config, kwargs, argv", [
    ("smok", {}, ["smok"]),
    ("configs/smoke.yaml", {}, ["configs/smoke.yaml"]),
    ("smoke", {"set": {"training.epoch": 3}}, ["smoke", "--set", "training.epoch=3"]),
    ("smoke", {"set": {"training.epochs": "many"}}, ["smoke", "--set", "training.epochs=many"]),
    ("smoke", {"out": "a_file"}, ["smoke", "--out", "a_file"]),
])
def test_errors_are_the_command_lines(tmp_path, monkeypatch, capsys, config, kwargs, argv):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_file").touch()
    with pytest.raises((ConfigError, UsageError)) as raised:
        runner.run(config, **kwargs)
    assert cli.main(["grid", *argv]) == 2
    assert capsys.readouterr().err == f"cheatgrid: error: {raised.value}\n"


@pytest.mark.parametrize("kwargs, message", [
    ({"device": "tpuu"}, "Invalid value for 'device': Expected one of ['auto', 'cpu', 'gpu', "
                         "'tpu']. Received: device='tpuu'"),
    ({"set": ["training.epochs=3"]}, "Invalid value for 'set': Expected a dict of config keys "
                                     "and values"),
    ({"set": {"training.epochs": object()}}, "Invalid value for 'set': Expected values YAML "
                                             "can hold"),
])
def test_bad_arguments_are_refused_before_anything_runs(tmp_path, monkeypatch, kwargs, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match=f"^{re.escape(message)}"):
        runner.run("smoke", **kwargs)
    assert not (tmp_path / "results").exists()


def test_a_dict_config_is_validated_like_a_file(tiny_doc):
    doc = {**tiny_doc, "training": {**tiny_doc["training"], "epoch": 3}}
    with pytest.raises(ConfigError, match=r"^config: Unknown key 'training.epoch'"):
        runner.run(doc)
