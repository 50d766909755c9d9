"""Learning curves as inline SVG (a few kilobytes a chart, text that stays text): per
trained head, its loss and its test metrics per epoch; svg_open and svg_text."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from runner import vocab

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
    """The per-epoch mean over seeds of some histories (one list per seed; None and JSON's
    'inf' strings read as NaN / inf; missing ones skipped), as long as the longest; NaN
    where no seed has a finite value."""
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
    """A small line chart of (values per epoch, colour, width, dashed), non-finite values
    leaving gaps; over `y_range`, else the values' range; a note when nothing is finite."""
    finite = [v for values, *_ in lines for v in values if math.isfinite(v)]
    if not finite:
        return f'<p class="nocurve">{html.escape(title)}: no values</p>'
    low, high = y_range or (min(finite), max(finite))
    if high - low < 1e-12:
        low, high = low - 0.5, high + 0.5
    epochs = max(len(values) for values, *_ in lines)
    width, height = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def x(i: int) -> float:
        return _LEFT + (width * i / (epochs - 1) if epochs > 1 else width / 2)

    def y(v: float) -> float:
        return _TOP + height * (high - min(max(v, low), high)) / (high - low)

    parts = [svg_open(_W, _H, title), svg_text(_LEFT, 12, title, 'class="t"'),
             f'<rect x="{_LEFT}" y="{_TOP}" width="{width}" height="{height}" class="f"/>',
             *(svg_text(_LEFT - 3, round(y(v) + 3, 1), f"{v:.3g}" if abs(v) < 1000 else f"{v:.2e}",
                        'class="a" text-anchor="end"') for v in (low, (low + high) / 2, high)),
             svg_text(_LEFT, _H - 6, "1", 'class="a"'),
             svg_text(_LEFT + width, _H - 6, f"epoch {epochs}", 'class="a" text-anchor="end"')]
    for values, color, line_width, dashed in lines:
        dash = ' stroke-dasharray="4 3"' if dashed else ""
        finite_at = np.flatnonzero(np.isfinite(values))  # stretches of consecutive epochs
        for run in np.split(finite_at, np.flatnonzero(np.diff(finite_at) != 1) + 1):
            if len(run) == 1:
                parts.append(f'<circle cx="{x(run[0]):.1f}" cy="{y(values[run[0]]):.1f}" '
                             f'r="{max(line_width, 2)}" fill="{color}"/>')
            elif len(run):
                points = " ".join(f"{x(i):.1f},{y(values[i]):.1f}" for i in run)
                parts.append(f'<polyline points="{points}" fill="none" stroke="{color}" '
                             f'stroke-width="{line_width}"{dash}/>')
    return "".join(parts) + "</svg>"


def head_charts(head: Sequence[Mapping[str, Any]]) -> str:
    """The two `<svg>` charts of one trained head (its result rows, every cell and seed):
    training loss, and test metrics with the reference accuracy."""
    first: dict[Any, Mapping[str, Any]] = {}  # each seed's first row
    by_metric: dict[str, list] = {}
    for row in head:
        first.setdefault(row["seed"], row)
        by_metric.setdefault(row["metric"], []).append(row.get("history_test_metric"))
    styles = metric_styles()
    lines = [(mean_series(histories), *styles.get(metric, _OTHER_METRIC), False)
             for metric, histories in by_metric.items()]
    reference = mean_series([row.get("history_reference_accuracy") for row in first.values()])
    return (_chart("training loss", [(mean_series([r.get("history_loss") for r in first.values()]),
                                      *_LOSS, False)]) +
            _chart("test metrics, ref. dashed", lines + [(reference, *_REFERENCE, True)],
                   y_range=(0.0, 1.0)))
