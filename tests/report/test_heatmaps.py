"""Heatmaps from hand-made rows: one valid PNG per dataset, verdict colours, no pyplot."""

from __future__ import annotations

import pathlib
import struct
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from runner.report import heatmaps as plots
from runner.report import tables
from runner.report.run_report import RunReport
from tests.support import row

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BCE, CCE = "binary_crossentropy", "categorical_crossentropy"


def _frame(rows) -> RunReport:
    return RunReport(tables.annotate(tables.results_frame(rows)))


def _png_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk comes first
    return width, height


ROWS = [
    row(activation="softmax", loss=CCE, value=0.8, recommended=True),
    row(activation="softmax", loss=CCE, metric="binary_accuracy", value=0.96, reference=0.8),
    row(activation="none", loss=CCE, from_logits=True, value=0.5),  # = majority: degenerate
    row(activation="softmax", loss=BCE, error="ValueError"),
    row(dataset="mnist_binary", encoding="integer", activation="sigmoid", loss=BCE,
        metric="binary_accuracy", value=0.9),
]


def test_one_valid_png_per_dataset(tmp_path):
    paths = plots.write_heatmaps(_frame(ROWS), tmp_path)
    assert [p.name for p in paths] == ["heatmap_mnist.png", "heatmap_mnist_binary.png"]
    for path in paths:
        data = path.read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        width, height = _png_size(data)
        assert 400 <= width <= 3000 and 200 <= height <= 3000  # one cell is 800 x 290
        assert 5_000 < len(data) < 1_000_000
    assert not list(tmp_path.glob(".*.tmp"))


def _has_color(png: bytes, color: str, tmp_path) -> bool:
    path = tmp_path / "x.png"
    path.write_bytes(png)
    pixels = np.asarray(Image.open(path).convert("RGB")).astype(int)
    rgb = [int(color[i:i + 2], 16) for i in (1, 3, 5)]
    return int(np.all(pixels == rgb, axis=-1).sum()) > 500  # a whole cell, not a stray pixel


@pytest.mark.parametrize("rows, present, absent", [
    ([row(value=0.8)], "ok", "error"),
    ([row(error="ValueError")], "error", "ok"),
    ([row(value=0.5)], "degenerate", "misleading"),
    ([row(value=0.95, reference=0.8)], "misleading", "degenerate"),
])
def test_cells_are_coloured_by_verdict(rows, present, absent, tmp_path):
    png = plots.heatmap_png(_frame(rows), "mnist")
    assert _has_color(png, plots.VERDICT_COLORS[present], tmp_path)
    assert not _has_color(png, plots.VERDICT_COLORS[absent], tmp_path)


def test_layout_maps_each_entry_to_its_cell():
    report = _frame(ROWS)
    table, cells = report.table, report.entries
    assert list(table.columns) == ["BCE logits=false", "CCE logits=true", "CCE logits=false"]
    entry = cells[("binary_accuracy", "mnist", "onehot", 10, "softmax", "CCE logits=false")]
    assert entry["verdict"] == "misleading" and entry["test_metric_mean"] == pytest.approx(0.96)
    assert cells[("categorical_accuracy", "mnist", "onehot", 10, "softmax",
                  "BCE logits=false")]["verdict"] == "error"
    assert cells[("categorical_accuracy", "mnist", "onehot", 10, "none",
                  "CCE logits=true")]["verdict"] == "degenerate"
    assert len(cells) == len(ROWS)
    # every entry of the table has its cell, under the same key
    assert {(*index, column) for index in table.index for column in table.columns
            if table.loc[index, column]} == set(cells)


def test_seeds_are_averaged_in_the_entry():
    rows = [row(value=v, seed=s) for v, s in ((0.7, 1), (0.8, 2), (0.9, 3))]
    (cell,) = _frame(rows).entries.values()
    assert cell["test_metric_mean"] == pytest.approx(0.8) and cell["n_seeds"] == 3
    assert plots.heatmap_png(_frame(rows), "mnist").startswith(PNG_SIGNATURE)


def test_draws_without_pyplot():
    """A figure of its own: pyplot's global state (a user's open figures) is never touched."""
    code = ("import sys; from tests.report.test_heatmaps import ROWS, _frame; "
            "from runner.report.heatmaps import heatmap_png; "
            "heatmap_png(_frame(ROWS), 'mnist'); "
            "print('matplotlib.pyplot' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=pathlib.Path(__file__).parents[2], check=True)
    assert done.stdout.strip() == "False", done.stderr


def test_unknown_dataset_is_an_error():
    with pytest.raises(ValueError, match="Expected rows of dataset 'cifar'"):
        plots.heatmap_png(_frame(ROWS), "cifar")


def test_dataframe_without_optional_columns():
    report = _frame([{k: v for k, v in row().items()
                      if k not in ("recommended", "data_detail")}])
    assert plots.heatmap_png(report, "mnist").startswith(PNG_SIGNATURE)


def test_a_recommended_entry_whose_metric_misreports_gets_a_note():
    rows = [row(dataset="mnist_binary", encoding="integer", activation="none",
                loss="binary_crossentropy", from_logits=True, metric="binary_accuracy",
                value=0.855, reference=0.88, units=1, recommended=True)]
    marked = plots.heatmap_png(_frame(rows), "mnist_binary")
    plain = plots.heatmap_png(_frame([{**rows[0], "recommended": False}]), "mnist_binary")
    assert marked.startswith(PNG_SIGNATURE) and marked != plain
    # the note takes its own lines under the title: the figure is taller
    assert _png_size(marked)[1] > _png_size(plain)[1]
