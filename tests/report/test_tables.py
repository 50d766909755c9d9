"""Tables from hand-made rows: results.csv columns, the cheat-table pivot, Markdown."""

from __future__ import annotations

import itertools
import pathlib
import re

import numpy as np
import pandas as pd
import pytest

from runner.report.highlights import describe_cells
from runner.report.html import write_tables
from runner.report.markdown import cheat_markdown
from runner.report.run_report import RunReport
from runner.report.tables import RESULT_COLUMNS, annotate, recommended


def _row(encoding, activation, loss, from_logits, metric, value=None, error=None, **extra):
    row = {"cell_id": f"{encoding}{activation}{loss}{from_logits}{metric}", "dataset": "mnist",
           "name": f"mnist/{encoding}/{activation}/{loss}/{from_logits}/{metric}",
           "encoding": encoding, "units": 10, "activation": activation, "loss": loss,
           "from_logits": from_logits, "metric": metric, "num_classes": 10,
           "status": "error" if error else "ok", "phase": "fit" if error else None,
           "error_type": error, "error_message": "shapes differ" if error else None,
           "test_metric": value, "run_name": "hand", "history_loss": [1.0, 0.5], **extra}
    return row


ROWS = [
    _row("integer", "softmax", "sparse_categorical_crossentropy", False, "accuracy", 0.91234),
    _row("integer", "softmax", "binary_crossentropy", True, "accuracy", error="ValueError"),
    _row("integer", "none", "sparse_categorical_crossentropy", True, "accuracy", 0.5),
    _row("onehot", "softmax", "categorical_crossentropy", False, "accuracy", 0.75),
    _row("onehot", "softmax", "categorical_crossentropy", False, "binary_accuracy", 0.95),
]

def _report(rows) -> RunReport:
    return RunReport(annotate(pd.DataFrame(rows)))


FULL = [_row(*values, value=0.5) for values in itertools.product(
    ["integer", "onehot"], ["none", "softmax"], ["binary_crossentropy",
                                                 "categorical_crossentropy"],
    [True, False], ["accuracy", "binary_accuracy"])]


def test_cheat_table_pivots_rows_and_columns():
    table = _report(ROWS).table
    assert table.index.names == ["metric", "dataset", "encoding", "units", "activation"]
    assert list(table.columns) == ["BCE logits=true", "CCE logits=false", "SCCE logits=true",
                                   "SCCE logits=false"]
    assert table.loc[("accuracy", "mnist", "integer", 10, "softmax"),
                     "SCCE logits=false"] == "0.9123"
    assert table.loc[("accuracy", "mnist", "integer", 10, "softmax"),
                     "BCE logits=true"] == "error: ValueError"
    assert table.loc[("binary_accuracy", "mnist", "onehot", 10, "softmax"),
                     "CCE logits=false"] == "0.9500"
    # rows keep the order the cells ran in: none after softmax here, as in ROWS
    assert [k[4] for k in table.index if k[0] == "accuracy" and k[2] == "integer"] == [
        "softmax", "none"]


def test_markdown_has_sections_and_lists_errors():
    report = _report(ROWS)
    text = cheat_markdown(report)
    assert "## mnist" in text
    assert "### metric: accuracy" in text and "### metric: binary_accuracy" in text
    assert "| integer | 10 | softmax |" in text
    assert "- **ValueError** in `fit`, 1 cell of mnist" in text and "shapes differ" in text


@pytest.mark.parametrize("where, expected", [
    # a full product of axis values: exact, leaving out axes it covers entirely
    ({"encoding": "integer"}, "encoding=integer"),
    ({"encoding": "integer", "loss": "binary_crossentropy"}, "encoding=integer, loss=BCE"),
    ({"metric": "accuracy", "from_logits": True}, "from_logits=true, metric=accuracy"),
    ({}, "every cell"),
])
def test_describe_cells_exact(where, expected):
    df = pd.DataFrame(FULL)
    part = df
    for key, value in where.items():
        part = part[part[key] == value]
    assert describe_cells(part, df) == expected


def test_describe_cells_names_examples_when_not_a_product():
    df = pd.DataFrame(FULL)
    part = df.iloc[[0, 5, 9, 30]]
    assert describe_cells(part, df).startswith("e.g. `")
    assert describe_cells(part, df).endswith(" and 1 more")


def test_write_tables_writes_every_file_with_documented_columns(tmp_path):
    paths = write_tables(tmp_path, ROWS)
    assert set(paths) == {"results.csv", "cheat_table.csv", "cheat_table.md",
                          "heatmap_mnist.svg", "report.html"}
    assert all(pathlib.Path(path).is_file() for path in paths.values())
    results = pd.read_csv(tmp_path / "results.csv")
    assert list(results.columns) == list(RESULT_COLUMNS)
    assert len(results) == len(ROWS)
    assert "history_loss" not in results.columns  # per-epoch data stays in results.jsonl
    cheat = pd.read_csv(tmp_path / "cheat_table.csv")
    assert len(cheat) == 4  # (accuracy: integer/softmax, integer/none, onehot/softmax), binary
    assert not list(tmp_path.glob(".*.tmp"))


def test_docs_say_what_every_results_column_means_once():
    docs = pathlib.Path(__file__).resolve().parents[2] / "docs" / "outputs.md"
    section = docs.read_text(encoding="utf-8").split("## results.csv columns", 1)[1]
    rows = [line for line in section.split("\n## ", 1)[0].splitlines() if line.startswith("| `")]
    documented = [c for line in rows for c in re.findall(r"`(\w+)`", line.split(" | ")[0])]
    assert sorted(documented) == sorted(RESULT_COLUMNS)
    assert all(meaning.strip(" |") for line in rows for meaning in line.split(" | ")[1:])


@pytest.mark.parametrize("value", [float("nan"), None, "missing"])
def test_markdown_bolds_nothing_when_recommended_is_missing(value):
    rows = [{k: v for k, v in row.items() if k != "recommended"} for row in ROWS]
    if value != "missing":  # NaN: e.g. rows of an older run beside newer ones
        rows = [{**row, "recommended": value} for row in rows]
    report = _report(rows)
    text = cheat_markdown(report)
    assert "| **" not in text and "**0." not in text


def test_markdown_bolds_recommended_entries():
    rows = [{**row, "recommended": i == 0} for i, row in enumerate(ROWS)]
    report = _report(rows)
    text = cheat_markdown(report)
    assert text.count("| **") == 1 and "**0.9123**" in text


def _binary_logit_rows(recommended=True):
    """A 1-unit logit head: BinaryAccuracy at 0.5 shows 0.855, its reference is 0.88."""
    return [{**_row("integer", "none", "binary_crossentropy", True, "binary_accuracy", 0.855,
                    reference_accuracy=0.88, metric_gap=0.855 - 0.88, majority_rate=0.5,
                    units=1, metric_resolved="binary_accuracy"),
             "recommended": recommended, "dataset": "mnist_binary", "num_classes": 2}]


def test_a_recommended_entry_whose_metric_misreports_is_marked_and_explained():
    report = _report(_binary_logit_rows())
    text = cheat_markdown(report)
    assert "**0.8550**† misleading" in text
    assert ("- † recommended by the tutorial, but its metric misreports: integer, none + "
            "BCE(from_logits=True): `binary_accuracy` shows 0.8550 where the reference "
            "accuracy is 0.8800: it thresholds the logit at 0.5 (a logit's threshold is 0); "
            "use `BinaryAccuracy(threshold=0.0)`") in text
    assert report.cells["misreport"].iloc[0].startswith("`binary_accuracy` shows 0.8550")


def test_no_mark_without_a_recommendation():
    report = _report(_binary_logit_rows(recommended=False))
    text = cheat_markdown(report)
    assert "†" not in text.split("misreports (the note")[1]  # the legend names the mark
    assert "0.8550 misleading" in text


def test_a_section_per_backbone_and_a_column_per_label_smoothing():
    rows = [_row("onehot", "softmax", "categorical_crossentropy", False, "accuracy", value,
                 cell_id=f"c{i}", backbone=backbone, label_smoothing=smoothing)
            for i, (backbone, smoothing, value) in enumerate([
                ("vgg16", 0.0, 0.5), ("vgg16", 0.1, 0.6), ("mobilenet_v2", 0.0, 0.7)])]
    rows.append(_row("onehot", "softmax", "auc", False, "auc", 0.9, cell_id="c3",
                     backbone="vgg16", label_smoothing=0.0))
    report = _report(rows)
    assert report.datasets == ["mnist · vgg16", "mnist · mobilenet_v2"]
    table = report.table
    assert list(table.columns)[:2] == ["CCE logits=false", "CCE logits=false ls=0.1"]
    assert table.loc[("accuracy", "mnist · vgg16", "onehot", 10, "softmax"),
                     "CCE logits=false ls=0.1"] == "0.6000"
    text = cheat_markdown(report)
    assert "## mnist · mobilenet_v2" in text and "frozen VGG16, MobileNetV2 weights" in text
    assert "### metric: auc (no reference: never judged `misleading`)" in text
    assert "`ls=x`: with `label_smoothing=x`" in text


@pytest.mark.parametrize("value, expected", [
    (True, True), (np.bool_(True), True), (False, False), (float("nan"), False), (None, False),
])
def test_recommended_treats_missing_as_no(value, expected):
    assert recommended({"recommended": value}) is expected
    assert recommended({}) is False
