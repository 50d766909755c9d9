"""Heatmaps of a run: one PNG per dataset, one panel per metric, cells coloured by verdict.

Drawn on a `matplotlib.figure.Figure` of its own (no pyplot): nothing of a user's
plotting state is read or changed, and the figure is freed with its last reference.
"""

from __future__ import annotations

import io
import math
import pathlib
import re
import textwrap
from typing import Any

from runner import vocab
from runner.report import tables
from runner.report.run_report import RunReport
from runner.store.atomic import atomic_write

# Okabe-Ito hues (distinguishable with the common colour-vision deficiencies), and
# every cell also says its verdict in words, so colour is never the only cue.
VERDICT_COLORS = {"ok": "#009E73", "misleading": "#E69F00", "degenerate": "#BBBBBB",
                  "error": "#D55E00"}
CELL_INCHES = (0.95, 0.5)  # width, height of a cell (95 x 50 pixels at the figure's 100 dpi)


def heatmap_name(dataset: str) -> str:
    """The file name of a dataset's (or a dataset section's) heatmap in the run directory."""
    name = dataset.replace(vocab.SECTION_SEPARATOR, "_")
    return "heatmap_" + re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".png"  # voc/2012: a file


def _entry(cell: dict[str, Any]) -> list[str]:
    if cell["verdict"] == "error":
        return ["error"]
    lines = [f"{cell['test_metric_mean']:.3f}"]
    if cell["n_seeds"] > 1:
        lines.append(f"±{cell['test_metric_std']:.3f}")
    if cell["verdict"] != "ok":
        lines.append(cell["verdict"])
    return lines


def _row_label(key: tuple) -> str:
    return tables.head_text(dict(zip(("encoding", "units", "activation"), key, strict=True)),
                            loss=False)


def _panel(ax: Any, report: RunReport, metric: str, dataset: str) -> None:
    """One metric's panel: its part of the cheat table, each entry coloured by its cell."""
    from matplotlib.patches import Rectangle

    table = report.table.loc[(metric, dataset)]
    rows, columns = list(table.index), list(table.columns)
    for i, row_key in enumerate(rows):
        if i and row_key[0] != rows[i - 1][0]:  # a rule between label encodings
            ax.axhline(i, color="black", linewidth=2)
        for j, column in enumerate(columns):
            cell = report.entries.get((metric, dataset, *row_key, column))
            if cell is None:  # not in the grid
                ax.add_patch(Rectangle((j, i), 1, 1, facecolor="white", edgecolor="#DDDDDD"))
                ax.text(j + 0.5, i + 0.5, "–", ha="center", va="center", fontsize=9)
                continue
            ax.add_patch(Rectangle((j, i), 1, 1, facecolor=VERDICT_COLORS[cell["verdict"]],
                                   edgecolor="white"))
            lines = _entry(cell)
            if tables.recommended(cell):
                ax.add_patch(Rectangle((j + 0.06, i + 0.08), 0.88, 0.84, fill=False,
                                       edgecolor="black", linewidth=2))
                marked = isinstance(cell.get("misreport"), str)
                lines[0] = f"★{tables.MISREPORT_MARK * marked} " + lines[0]
            ax.text(j + 0.5, i + 0.5, "\n".join(lines), ha="center", va="center", fontsize=8)
    ax.set(xlim=(0, len(columns)), ylim=(len(rows), 0), title=f"metric: {metric}")
    ax.title.set_fontweight("bold")
    ax.set_xticks([j + 0.5 for j in range(len(columns))],
                  [c.replace(" ", "\n") for c in columns], fontsize=8)
    ax.set_yticks([i + 0.5 for i in range(len(rows))], [_row_label(k) for k in rows],
                  fontsize=8)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)


def heatmap_png(report: RunReport, dataset: str) -> bytes:
    """Render one dataset's heatmap.

    Returns:
        The PNG file's bytes.

    Raises:
        ValueError: the run has no rows of `dataset`.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    part, section = report.section(dataset)
    metrics = list(dict.fromkeys(part["metric"]))
    ncols = min(2, len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    panels = [report.table.loc[(m, dataset)] for m in metrics]
    label_inches = 0.07 * max(len(_row_label(k)) for p in panels for k in p.index)
    cells_inches = CELL_INCHES[0] * max(len(p.columns) for p in panels)
    width = max(ncols * (label_inches + cells_inches + 0.3) + 0.2, 8.0)
    facts = tables.provenance(part)
    spec = vocab.spec_of(dataset)
    wrap = int(width * 100 / 7.8)  # characters of 10-point text a line
    text = [f"{dataset}" + (f": {spec.part}" if spec else "") + f" (run {facts['run']})",
            *textwrap.wrap(f"data: {facts['data'].split(': ', 1)[1]}. Frozen "
                           f"{facts['backbone']} weights {facts['weights']}; Keras "
                           f"{facts['keras']}, TF {facts['tf']}; seeds {facts['seeds']}; "
                           "entries: test metric (mean over seeds).", width=wrap)]
    # under the title: what each ★† entry's metric showed, and what to use instead
    notes = [line for cell in tables.recommended_misreports(section)
             for line in textwrap.wrap(tables.misreport_line(cell).replace("`", ""), width=wrap)]
    # laid out here, in inches (a layout engine would draw every text twice, and the text
    # is most of the time): the header's lines, then rows of panels, then the legend
    head = 0.2 * len(text + notes) + 0.3
    panel_w = label_inches + cells_inches + 0.3
    panel_h = CELL_INCHES[1] * max(len(p) for p in panels) + 0.9  # + title and column labels
    height = head + nrows * panel_h + 0.5
    figure = Figure(figsize=(width, height), dpi=100)
    figure.text(0.1 / width, 1 - 0.1 / height, "\n".join(text + notes), va="top", fontsize=10)
    for k, (metric, panel) in enumerate(zip(metrics, panels, strict=True)):
        w, h = CELL_INCHES[0] * len(panel.columns), CELL_INCHES[1] * len(panel)
        left = 0.1 + (k % ncols) * panel_w + label_inches
        top = head + (k // ncols) * panel_h + 0.75
        ax = figure.add_axes((left / width, 1 - (top + h) / height, w / width, h / height))
        _panel(ax, report, metric, dataset)
    mark = f" ({tables.MISREPORT_MARK}: its metric misreports)" if notes else ""
    handles = [Patch(color=color, label=verdict) for verdict, color in VERDICT_COLORS.items()]
    handles.append(Patch(fill=False, edgecolor="black", linewidth=2,
                         label=f"★ recommended by the tutorial{mark}"))
    figure.legend(handles=handles, loc="lower center", ncols=len(handles), frameon=False,
                  fontsize=9)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", facecolor="white")
    return buffer.getvalue()


def write_heatmaps(report: RunReport, run_dir: str | pathlib.Path) -> list[pathlib.Path]:
    """Write `heatmap_<dataset>.png` for every dataset of a run.

    Returns:
        The paths written, in the datasets' order.
    """
    paths = []
    for dataset in report.datasets:
        path = pathlib.Path(run_dir) / heatmap_name(dataset)
        atomic_write(path, heatmap_png(report, dataset))
        paths.append(path)
    return paths
