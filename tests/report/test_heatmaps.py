"""Heatmaps from hand-made rows: one SVG per dataset, read back as XML: its panels, and each
entry's colour, words and hover tip."""

from __future__ import annotations

import pathlib
import re
import xml.etree.ElementTree as ET

import pytest

from runner.report import heatmaps, tables
from runner.report.html import write_report
from runner.report.run_report import RunReport
from tests.support import row

SVG = "{http://www.w3.org/2000/svg}"
BCE, CCE = "binary_crossentropy", "categorical_crossentropy"


def _frame(rows) -> RunReport:
    return RunReport(tables.annotate(tables.results_frame(rows)))


def _svg(rows, dataset: str = "mnist") -> ET.Element:
    return ET.fromstring(heatmaps.heatmap_svg(_frame(rows), dataset))


def _texts(element: ET.Element) -> list[str]:
    return [t.text for t in element.iter(f"{SVG}text")]


def _entries(svg: ET.Element) -> dict[str, tuple[str, list[str]]]:
    """Each entry's cell (its hover tip's start) -> (its colour, its lines of text)."""
    return {re.split("[;:] ", g.find(f"{SVG}title").text)[0]:
            (g.find(f"{SVG}rect").get("fill"), _texts(g)) for g in svg.iter(f"{SVG}g")}


ROWS = [
    row(activation="softmax", loss=CCE, value=0.8, recommended=True),
    row(activation="softmax", loss=CCE, metric="binary_accuracy", value=0.96, reference=0.8),
    row(activation="none", loss=CCE, from_logits=True, value=0.5),  # = majority: degenerate
    row(activation="softmax", loss=BCE, error="ValueError"),
    row(dataset="mnist_binary", encoding="integer", activation="sigmoid", loss=BCE,
        metric="binary_accuracy", value=0.9),
]


def test_one_svg_per_dataset(tmp_path):
    written = write_report(_frame(ROWS), tmp_path)
    paths = [pathlib.Path(p) for name, p in written.items() if name.endswith(".svg")]
    assert [p.name for p in paths] == ["heatmap_mnist.svg", "heatmap_mnist_binary.svg"]
    for path in paths:
        svg = ET.parse(path).getroot()
        assert svg.tag == f"{SVG}svg" and 800 <= int(svg.get("width")) <= 3000
        assert 1_000 < path.stat().st_size < 50_000
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_panel_per_metric_and_an_entry_per_cell():
    svg = _svg(ROWS)
    titles = [t for t in _texts(svg) if t.startswith("metric: ")]
    assert titles == ["metric: categorical_accuracy", "metric: binary_accuracy"]  # rows order
    entries = _entries(svg)
    assert len(entries) == 4  # the mnist rows; a panel's other places say "–"
    assert _texts(svg).count("–") == (2 * 3 - 3) + (1 * 3 - 1)  # rows x columns - entries
    assert entries["mnist/onehot/softmax/categorical_crossentropy/logits=false/"
                   "binary_accuracy"] == (heatmaps.VERDICT_COLORS["misleading"],
                                          ["0.960", "misleading"])


@pytest.mark.parametrize("rows, verdict, lines", [
    ([row(value=0.8)], "ok", ["0.800"]),
    ([row(error="ValueError")], "error", ["error"]),
    ([row(value=0.5)], "degenerate", ["0.500", "degenerate"]),
    ([row(value=0.95, reference=0.8)], "misleading", ["0.950", "misleading"]),
    ([row(value=v, seed=s) for v, s in ((0.7, 1), (0.8, 2), (0.9, 3))], "ok",
     ["0.800", "±0.100"]),  # the mean and the standard deviation over seeds
    ([row(value=0.8, recommended=True)], "ok", ["★ 0.800"]),
])
def test_an_entry_has_its_verdicts_colour_and_words(rows, verdict, lines):
    ((color, texts),) = _entries(_svg(rows)).values()
    assert color == heatmaps.VERDICT_COLORS[verdict] and texts == lines


def test_a_rule_between_label_encodings():
    rows = [row(encoding="integer", loss="sparse_categorical_crossentropy"), row()]
    assert len(list(_svg(rows).iter(f"{SVG}path"))) == 1
    assert not list(_svg(rows[:1]).iter(f"{SVG}path"))


def test_text_is_escaped():
    svg = _svg([row(error="ValueError", error_message="<b> & 'c'")])
    assert next(svg.iter(f"{SVG}g")).find(f"{SVG}title").text.endswith(": fit: <b> & 'c'")


def test_unknown_dataset_is_an_error():
    with pytest.raises(ValueError, match="Expected rows of dataset 'cifar'"):
        heatmaps.heatmap_svg(_frame(ROWS), "cifar")


def test_dataframe_without_optional_columns():
    report = _frame([{k: v for k, v in row().items()
                      if k not in ("recommended", "data_detail")}])
    assert len(_entries(ET.fromstring(heatmaps.heatmap_svg(report, "mnist")))) == 1


def test_a_recommended_entry_whose_metric_misreports_gets_a_note():
    rows = [row(dataset="mnist_binary", encoding="integer", activation="none",
                loss="binary_crossentropy", from_logits=True, metric="binary_accuracy",
                value=0.855, reference=0.88, units=1, recommended=True)]
    marked, plain = (_svg(r, "mnist_binary") for r in (rows, [{**rows[0], "recommended": False}]))
    ((_, texts),) = _entries(marked).values()
    assert texts == ["★† 0.855", "misleading"]
    assert any(t.startswith("† recommended by the tutorial, but its metric misreports")
               for t in _texts(marked))
    # the note takes its own lines under the title: the picture is taller
    assert int(marked.get("height")) > int(plain.get("height"))
