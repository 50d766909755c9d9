"""RunReport: each view computed once, however many outputs read it."""

from __future__ import annotations

import pytest

from runner.report import tables
from runner.report.html import write_report
from runner.report.run_report import RunReport
from tests.support import row

ROWS = [row(value=0.8), row(activation="sigmoid", value=0.5),
        row(dataset="mnist_binary", encoding="integer", activation="sigmoid",
            loss="binary_crossentropy", metric="binary_accuracy", value=0.9)]


def test_every_output_is_written_from_one_computation_of_the_cells(tmp_path, monkeypatch):
    calls = []
    cheat_cells = tables.cheat_cells
    monkeypatch.setattr(tables, "cheat_cells", lambda df: calls.append(1) or cheat_cells(df))
    report = RunReport(tables.annotate(tables.results_frame(ROWS)))
    written = write_report(report, tmp_path)
    assert {"results.csv", "cheat_table.csv", "cheat_table.md", "report.html",
            "heatmap_mnist.svg", "heatmap_mnist_binary.svg"} == set(written)
    assert len(calls) == 1
    assert report.cells is report.cells and report.findings is report.findings


def test_sections_in_grid_order_and_an_unknown_one_is_an_error():
    report = RunReport(tables.annotate(tables.results_frame(ROWS)))
    assert report.datasets == ["mnist", "mnist_binary"]
    part, cells = report.section("mnist_binary")
    assert len(part) == len(cells) == 1
    with pytest.raises(ValueError, match="Expected rows of dataset 'cifar'"):
        report.section("cifar")


def test_each_entry_of_the_table_has_its_cell_under_the_same_key():
    cce = "categorical_crossentropy"
    report = RunReport(tables.annotate(tables.results_frame([
        row(value=0.8), row(metric="binary_accuracy", value=0.96, reference=0.8),
        row(activation="none", loss=cce, from_logits=True, value=0.5),
        row(loss="binary_crossentropy", error="ValueError")])))
    table, cells = report.table, report.entries
    assert list(table.columns) == ["BCE logits=false", "CCE logits=true", "CCE logits=false"]
    assert {(key[0], key[4], key[5]): cell["verdict"] for key, cell in cells.items()} == {
        ("categorical_accuracy", "softmax", "CCE logits=false"): "ok",
        ("binary_accuracy", "softmax", "CCE logits=false"): "misleading",
        ("categorical_accuracy", "none", "CCE logits=true"): "degenerate",
        ("categorical_accuracy", "softmax", "BCE logits=false"): "error"}
    assert cells[("binary_accuracy", "mnist", "onehot", 10, "softmax", "CCE logits=false")][
        "test_metric_mean"] == pytest.approx(0.96)
    assert {(*index, column) for index in table.index for column in table.columns
            if table.loc[index, column]} == set(cells)
