"""SVG pictures, hand-written (text stays text, no plotting library; its widths estimated
generously): a heatmap per dataset (a panel per metric), and each head's learning curves."""

from __future__ import annotations

import html
import math
import re
import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from runner import vocab
from runner.report import tables
from runner.report.run_report import RunReport

# Okabe-Ito hues (distinguishable with the common colour-vision deficiencies), and
# every cell also says its verdict in words, so colour is never the only cue.
VERDICT_COLORS = {"ok": "#009E73", "misleading": "#E69F00", "degenerate": "#BBBBBB",
                  "error": "#D55E00"}
_FONT = 11  # px, the cells' and labels' text; headers one or two px more
_CHAR = 0.56 * _FONT  # px, a generous average width of a sans-serif font's small letters
_LINE = 13  # px between the lines of a cell or a header
_CELL = (90, 46)  # px, the least width (wider for long column labels) and the height
_GAP, _MARGIN = 36, 10  # px between panels, around the picture
_MIDDLE = 'text-anchor="middle"'

# One colour per metric (Okabe-Ito, in the metrics' registry order) and decreasing widths,
# so that metrics with the same values stay visible as a thin line inside a thicker one.
_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
_WIDTHS = (4.5, 3.2, 2.0, 1.0)
_OTHER_METRIC, _REFERENCE, _LOSS = ("#0072B2", 1.5), ("#000000", 1.2), ("#555555", 1.6)
_W, _H = 195, 130  # chart size in px: two per card, three cards a row at 1400 px
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 8, 18, 20  # margins around the plot area


def metric_styles() -> dict[str, tuple[str, float]]:
    """Metric name -> (colour, line width) for the charts and their legend."""
    return {name: (_PALETTE[i % len(_PALETTE)], _WIDTHS[min(i, len(_WIDTHS) - 1)])
            for i, name in enumerate(vocab.METRICS.names)}


def mean_series(histories: Sequence[Any]) -> np.ndarray:
    """The per-epoch mean over seeds of histories (lists; None read as NaN, JSON's 'inf' as
    inf; missing ones skipped), as long as the longest; NaN where no seed is finite."""
    arrays = [[np.nan if v is None else float(v) for v in h] for h in histories
              if isinstance(h, (list, tuple, np.ndarray)) and len(h)]
    if not arrays:
        return np.array([])
    stacked = pd.DataFrame(arrays, dtype=float)  # shorter histories padded with NaN
    return stacked.where(np.isfinite(stacked)).mean().to_numpy(dtype=float)


def svg_open(width: int, height: int, title: str, attributes: str = "") -> str:
    """An `<svg>` start tag with its `<title>` (what a screen reader says) and `attributes`."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" {attributes}>'
            f"<title>{html.escape(title)}</title>")


def svg_text(x: float, y: float, text: str, attributes: str = "") -> str:
    """A `<text>` element, its text escaped, with more `attributes` (markup)."""
    return f'<text x="{x:g}" y="{y:g}" {attributes}>{html.escape(text)}</text>'


def _chart(title: str, lines: list[tuple[np.ndarray, str, float, bool]],
           y_range: tuple[float, float] | None = None) -> str:
    """A line chart of (values per epoch, colour, width, dashed), gaps where not finite."""
    finite = [v for values, *_ in lines for v in values if math.isfinite(v)]
    if not finite:
        return f'<p class="nocurve">{html.escape(title)}: no values</p>'
    low, high = y_range or (min(finite), max(finite))
    if high - low < 1e-12:
        low, high = low - 0.5, high + 0.5
    epochs = max(len(values) for values, *_ in lines)
    width, height = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    x = _LEFT + (width * np.arange(epochs) / (epochs - 1) if epochs > 1 else np.full(1, width / 2))
    parts = [svg_open(_W, _H, title), svg_text(_LEFT, 12, title, 'class="t"'),
             f'<rect x="{_LEFT}" y="{_TOP}" width="{width}" height="{height}" class="f"/>',
             *(svg_text(_LEFT - 3, _TOP + at + 3, f"{v:.3g}" if abs(v) < 1000 else f"{v:.2e}",
                        'class="a" text-anchor="end"')
               for v, at in ((low, height), ((low + high) / 2, height / 2), (high, 0))),
             svg_text(_LEFT, _H - 6, "1", 'class="a"'),
             svg_text(_LEFT + width, _H - 6, f"epoch {epochs}", 'class="a" text-anchor="end"')]
    for values, color, line_width, dashed in lines:
        y = _TOP + height * (high - np.clip(values, low, high)) / (high - low)
        dash = ' stroke-dasharray="4 3"' if dashed else ""
        finite_at = np.flatnonzero(np.isfinite(values))  # stretches of consecutive epochs
        for run in np.split(finite_at, np.flatnonzero(np.diff(finite_at) != 1) + 1):
            if len(run) == 1:
                parts.append(f'<circle cx="{x[run[0]]:.1f}" cy="{y[run[0]]:.1f}" '
                             f'r="{max(line_width, 2)}" fill="{color}"/>')
            elif len(run):
                points = " ".join(f"{x[i]:.1f},{y[i]:.1f}" for i in run)
                parts.append(f'<polyline points="{points}" fill="none" stroke="{color}" '
                             f'stroke-width="{line_width}"{dash}/>')
    return "".join(parts) + "</svg>"


def head_charts(head: pd.DataFrame) -> str:
    """One head's charts (its rows): training loss; test metrics and the reference accuracy."""
    first, styles = head.drop_duplicates("seed"), metric_styles()  # each seed's first row
    lines = [(mean_series(histories), *styles.get(metric, _OTHER_METRIC), False) for metric,
             histories in head.groupby("metric", sort=False)["history_test_metric"]]
    reference = mean_series(first.get("history_reference_accuracy", ()))
    return (_chart("training loss", [(mean_series(first["history_loss"]), *_LOSS, False)]) +
            _chart("test metrics, ref. dashed", lines + [(reference, *_REFERENCE, True)],
                   y_range=(0.0, 1.0)))


def heatmap_name(dataset: str) -> str:
    """The file name of a dataset's (or a dataset section's) heatmap in the run directory."""
    name = dataset.replace(vocab.SECTION_SEPARATOR, "_")
    return "heatmap_" + re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".svg"  # voc/2012: a file


def _entry(cell: dict[str, Any]) -> list[str]:
    """An entry's lines: '★ 0.876' (the star where recommended), '±0.010', the verdict."""
    if cell["verdict"] == "error":
        return [tables.star(cell) + "error"]
    return [f"{tables.star(cell)}{cell['test_metric_mean']:.3f}",
            *[f"±{cell['test_metric_std']:.3f}"] * (cell["n_seeds"] > 1),
            *[cell["verdict"]] * (cell["verdict"] != "ok")]


def _row_label(key: tuple) -> str:
    return tables.head_text(dict(zip(("encoding", "units", "activation"), key, strict=True)),
                            loss=False)


def _lines(x: float, y: float, lines: list[str], attributes: str = _MIDDLE) -> str:
    """Lines of text centred vertically on `y` (the baseline a third of a line lower)."""
    top = y - _LINE * (len(lines) - 1) / 2 + _FONT / 3
    return "".join(svg_text(x, top + _LINE * i, line, attributes) for i, line in enumerate(lines))


def _panel(report: RunReport, metric: str, dataset: str, x: int, y: int, label_w: int,
           cell_w: int) -> str:
    """One metric's panel at (x, y): title, labels, entries coloured by their cells."""
    table = report.table.loc[(metric, dataset)]
    rows, columns = list(table.index), list(table.columns)
    left, top, cell_h = x + label_w, y + 3 * _LINE + 14, _CELL[1]
    width = cell_w * len(columns)
    out = [svg_text(left + width / 2, y + _LINE, f"metric: {metric}",
                    f'font-size="{_FONT + 2}" font-weight="bold" {_MIDDLE}'),
           *(_lines(left + cell_w * (j + 0.5), y + 2 * _LINE + 8, column.split(" "))
             for j, column in enumerate(columns))]
    for i, row_key in enumerate(rows):
        cy = top + cell_h * (i + 0.5)
        out.append(svg_text(left - 6, cy + _FONT / 3, _row_label(row_key), 'text-anchor="end"'))
        for j, column in enumerate(columns):
            cell = report.entries.get((metric, dataset, *row_key, column))
            cx, box = left + cell_w * (j + 0.5), (f'x="{left + cell_w * j}" y="{top + cell_h * i}" '
                                                  f'width="{cell_w}" height="{cell_h}"')
            if cell is None:  # not in the grid
                out.append(f'<rect {box} fill="#fff" stroke="#ddd"/>' + _lines(cx, cy, ["–"]))
                continue
            out.append(f"<g><title>{html.escape(tables.cell_tip(cell))}</title>"  # on hover
                       f'<rect {box} fill="{VERDICT_COLORS[cell["verdict"]]}" stroke="#fff"/>')
            if tables.recommended(cell):
                out.append(f'<rect x="{left + cell_w * j + 5}" y="{top + cell_h * i + 4}" '
                           f'width="{cell_w - 10}" height="{cell_h - 8}" fill="none" '
                           'stroke="#000" stroke-width="2"/>')
            out.append(_lines(cx, cy, _entry(cell)) + "</g>")
        if i and row_key[0] != rows[i - 1][0]:  # a rule between label encodings
            out.append(f'<path d="M{left} {top + cell_h * i}h{width}" stroke="#000" '
                       'stroke-width="2"/>')
    return "".join(out)


def _legend(x: int, y: int, marked: bool) -> str:
    """A row of swatches with the verdicts' names, and the recommendations' outline."""
    mark = f" ({tables.MISREPORT_MARK}: its metric misreports)" if marked else ""
    out = []
    for text, fill in [*((v, f'fill="{c}"') for v, c in VERDICT_COLORS.items()), (
            f"★ recommended by the tutorial{mark}", 'fill="none" stroke="#000" stroke-width="2"')]:
        out.append(f'<rect x="{x}" y="{y - 10}" width="20" height="12" {fill}/>'
                   + svg_text(x + 26, y, text))
        x += 40 + round(_CHAR * len(text))
    return "".join(out)


def heatmap_svg(report: RunReport, dataset: str) -> str:
    """One dataset's heatmap: an SVG document (which HTML can also embed as it is)."""
    part, section = report.section(dataset)
    metrics = report.metrics(dataset)
    ncols = min(2, len(metrics))
    panels = [report.table.loc[(m, dataset)] for m in metrics]
    label_w = round(_CHAR * max(len(_row_label(k)) for p in panels for k in p.index)) + 12
    words = [w for p in panels for c in p.columns for w in c.split(" ")]
    cell_w = max(_CELL[0], round(_CHAR * max(map(len, words))) + 12)
    panel_w = label_w + cell_w * max(len(p.columns) for p in panels)
    panel_h = 3 * _LINE + 14 + _CELL[1] * max(len(p) for p in panels) + _GAP
    width = max(2 * _MARGIN + ncols * panel_w + (ncols - 1) * _GAP, 800)
    facts = tables.provenance(part)
    spec = vocab.spec_of(dataset)
    wrap = int((width - 2 * _MARGIN) / (0.6 * (_FONT + 1)))  # characters of the header a line
    text = textwrap.wrap(f"data: {facts['data'].split(': ', 1)[1]}. Frozen "
                         f"{facts['backbone']} weights {facts['weights']}; Keras "
                         f"{facts['keras']}, TF {facts['tf']}; seeds {facts['seeds']}; "
                         "entries: test metric (mean over seeds).", width=wrap)
    # under the title: what each ★† entry's metric showed, and what to use instead
    notes = [line for note in tables.misreport_lines(section)
             for line in textwrap.wrap(note.replace("`", ""), width=wrap)]
    head = _MARGIN + _LINE * (len(text + notes) + 1) + 16
    height = head + panel_h * -(-len(metrics) // ncols) + _LINE
    title = dataset + (f": {spec.part}" if spec else "") + f" (run {facts['run']})"
    out = [svg_open(width, height, f"heatmap of {dataset}",
                    f'font-family="sans-serif" font-size="{_FONT}" '
                    'style="max-width:100%;height:auto"'),
           f'<rect width="{width}" height="{height}" fill="#fff"/>',
           svg_text(_MARGIN, _MARGIN + _LINE, title, f'font-size="{_FONT + 2}" font-weight="bold"'),
           *(svg_text(_MARGIN, _MARGIN + _LINE * (i + 2), line, f'font-size="{_FONT + 1}"')
             for i, line in enumerate(text + notes)),
           *(_panel(report, metric, dataset, _MARGIN + (k % ncols) * (panel_w + _GAP),
                    head + (k // ncols) * panel_h, label_w, cell_w)
             for k, metric in enumerate(metrics)),
           _legend(_MARGIN + label_w, height - _MARGIN - 2, bool(notes)), "</svg>\n"]
    return "".join(out)
