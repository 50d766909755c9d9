"""RunReport: each view computed once, however many outputs read it."""

from __future__ import annotations

import pytest

from runner.report import tables
from runner.report.run_report import RunReport
from runner.report.write import write_report
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
            "heatmap_mnist.png", "heatmap_mnist_binary.png"} == set(written)
    assert len(calls) == 1
    assert report.cells is report.cells and report.findings is report.findings


def test_sections_in_grid_order_and_an_unknown_one_is_an_error():
    report = RunReport(tables.annotate(tables.results_frame(ROWS)))
    assert report.datasets == ["mnist", "mnist_binary"]
    part, cells = report.section("mnist_binary")
    assert len(part) == len(cells) == 1
    with pytest.raises(ValueError, match="Expected rows of dataset 'cifar'"):
        report.section("cifar")
