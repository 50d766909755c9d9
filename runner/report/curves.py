"""Learning curves as inline SVG: per trained head, its loss and its test metrics per epoch.

Hand-written SVG rather than matplotlib: a few kilobytes per chart, text that
stays text, and no image files; the HTML report embeds them as they are.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from runner import vocab

# One colour per metric (Okabe-Ito, in the metrics' registry order) and decreasing widths,
# so that metrics with the same values stay visible as a thin line inside a thicker one.
_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
_WIDTHS = (4.5, 3.2, 2.0, 1.0)
OTHER_METRIC_STYLE = ("#0072B2", 1.5)


def metric_styles() -> dict[str, tuple[str, float]]:
    """Metric name -> (colour, line width) for the charts and their legend."""
    return {name: (_PALETTE[i % len(_PALETTE)], _WIDTHS[min(i, len(_WIDTHS) - 1)])
            for i, name in enumerate(vocab.METRICS.names)}
REFERENCE_STYLE = ("#000000", 1.2)  # dashed
LOSS_STYLE = ("#555555", 1.6)
HISTORIES = ("history_loss", "history_test_metric", "history_reference_accuracy")
_W, _H = 195, 130  # chart size in px: two per card, three cards a row at 1400 px
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 8, 18, 20  # margins around the plot area


def _series(values: Any) -> np.ndarray:
    """Per-epoch values as floats; None and JSON's 'inf' strings become NaN / inf."""
    if not isinstance(values, (list, tuple, np.ndarray)):
        return np.array([])
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def mean_series(histories: Sequence[Any]) -> np.ndarray:
    """The per-epoch mean over seeds of some histories (NaN where no seed has a finite value).

    Args:
        histories: one per-epoch list per seed (missing ones are skipped).

    Returns:
        An array as long as the longest history.
    """
    arrays = [_series(h) for h in histories]
    arrays = [a for a in arrays if len(a)]
    if not arrays:
        return np.array([])
    stacked = np.full((len(arrays), max(len(a) for a in arrays)), np.nan)
    for i, a in enumerate(arrays):
        stacked[i, :len(a)] = np.where(np.isfinite(a), a, np.nan)
    counts = np.sum(np.isfinite(stacked), axis=0)
    sums = np.nansum(stacked, axis=0)
    return np.divide(sums, counts, out=np.full(len(counts), np.nan), where=counts > 0)


def _number(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.2e}"


def svg_chart(title: str, lines: list[tuple[np.ndarray, str, float, bool]],
              y_range: tuple[float, float] | None = None) -> str:
    """A small line chart over epochs.

    Args:
        title: the text above the plot.
        lines: (values per epoch, colour, width, dashed) for each line, drawn in order;
            non-finite values leave gaps.
        y_range: fixed (low, high); by default the finite values' range.

    Returns:
        An `<svg>` element, or a short note when no line has a finite value.
    """
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

    parts = [f'<svg width="{_W}" height="{_H}" '
             f'viewBox="0 0 {_W} {_H}" role="img"><title>{html.escape(title)}</title>',
             f'<text x="{_LEFT}" y="12" class="t">{html.escape(title)}</text>',
             f'<rect x="{_LEFT}" y="{_TOP}" width="{width}" height="{height}" class="f"/>']
    for value in (low, (low + high) / 2, high):
        parts.append(f'<text x="{_LEFT - 3}" y="{y(value) + 3:.1f}" class="a" '
                     f'text-anchor="end">{_number(value)}</text>')
    parts.append(f'<text x="{_LEFT}" y="{_H - 6}" class="a">1</text>'
                 f'<text x="{_LEFT + width}" y="{_H - 6}" class="a" text-anchor="end">'
                 f'epoch {epochs}</text>')
    for values, color, line_width, dashed in lines:
        dash = ' stroke-dasharray="4 3"' if dashed else ""
        for run in _finite_runs(values):
            points = " ".join(f"{x(i):.1f},{y(values[i]):.1f}" for i in run)
            if len(run) == 1:
                parts.append(f'<circle cx="{x(run[0]):.1f}" cy="{y(values[run[0]]):.1f}" '
                             f'r="{max(line_width, 2)}" fill="{color}"/>')
            else:
                parts.append(f'<polyline points="{points}" fill="none" stroke="{color}" '
                             f'stroke-width="{line_width}"{dash}/>')
    parts.append("</svg>")
    return "".join(parts)


def _finite_runs(values: np.ndarray) -> list[np.ndarray]:
    """Indices of the stretches of consecutive finite values."""
    finite = np.flatnonzero(np.isfinite(values))
    return [run for run in np.split(finite, np.flatnonzero(np.diff(finite) != 1) + 1) if len(run)]


def head_charts(head: Sequence[Mapping[str, Any]]) -> str:
    """The two charts of one trained head: training loss, and test metrics with the
    reference accuracy.

    Args:
        head: the result rows of one head (its cells, every seed), as dicts.

    Returns:
        Two `<svg>` elements (or notes where a head has no values).
    """
    first_metric: dict[Any, Mapping[str, Any]] = {}  # each seed's first row
    for row in head:
        first_metric.setdefault(row["seed"], row)
    first_metric = list(first_metric.values())
    loss = mean_series([row.get("history_loss") for row in first_metric])
    reference = mean_series([row.get("history_reference_accuracy") for row in first_metric])
    by_metric: dict[str, list] = {}
    for row in head:
        by_metric.setdefault(row["metric"], []).append(row.get("history_test_metric"))
    lines = []
    for metric, histories in by_metric.items():
        color, line_width = metric_styles().get(metric, OTHER_METRIC_STYLE)
        lines.append((mean_series(histories), color, line_width, False))
    lines.append((reference, *REFERENCE_STYLE, True))
    return (svg_chart("training loss", [(loss, *LOSS_STYLE, False)]) +
            svg_chart("test metrics, ref. dashed", lines, y_range=(0.0, 1.0)))
