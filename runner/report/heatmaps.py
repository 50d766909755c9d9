"""Heatmaps of a run: one PNG per dataset, one panel per metric, cells coloured by verdict.

Drawn on a bare `matplotlib.figure.Figure` (rendered by Agg when saved as PNG)
under matplotlib's default style: pyplot, the user's backend and the user's
rcParams are neither used nor changed.
"""

from __future__ import annotations

import io
import math
import pathlib
import re
import textwrap
from typing import Any

import pandas as pd

from runner import vocab
from runner.report import tables as report
from runner.store.atomic import atomic_write

# Okabe-Ito hues (distinguishable with the common colour-vision deficiencies), and
# every cell also says its verdict in words, so colour is never the only cue.
VERDICT_COLORS = {"ok": "#009E73", "misleading": "#E69F00", "degenerate": "#BBBBBB",
                  "error": "#D55E00"}
_CELL_W, _CELL_H, _LABEL_W = 0.95, 0.5, 2.3  # inches


def heatmap_name(dataset: str) -> str:
    """The file name of a dataset's (or a dataset section's) heatmap in the run directory."""
    name = dataset.replace(vocab.SECTION_SEPARATOR, "_")
    return "heatmap_" + re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".png"  # voc/2012: a file


def table_and_cells(df: pd.DataFrame, cells: pd.DataFrame | None = None,
                    ) -> tuple[pd.DataFrame, dict[tuple, dict[str, Any]]]:
    """The cheat table's layout and the cell behind each of its entries.

    Args:
        df: annotated result rows (`report.annotate`), one per cell and seed.
        cells: `report.cheat_cells(df)` when already computed.

    Returns:
        `report.cheat_table(df)`, and (metric, dataset, encoding, units, activation,
        column label), its row index plus column, -> that cell's `report.cheat_cells`
        record (verdict, mean, ...).
    """
    cells = report.cheat_cells(df) if cells is None else cells
    by_entry = {(c["metric"], c["dataset"], c["encoding"], c["units"], c["activation"],
                 c["column"]): c for c in cells.to_dict("records")}
    return report.cheat_table(df, cells=cells), by_entry


def _entry(cell: dict[str, Any]) -> str:
    if cell["verdict"] == "error":
        return "error"
    text = f"{cell['test_metric_mean']:.3f}"
    if cell["n_seeds"] > 1:
        text += f"\n±{cell['test_metric_std']:.3f}"
    if cell["verdict"] != "ok":
        text += f"\n{cell['verdict']}"
    return text


def _draw_panel(ax, key: tuple[str, str], table: pd.DataFrame, cells: dict[tuple, dict],
                ) -> None:
    """One metric's panel; `key` is (metric, dataset), `table` its part of the cheat table."""
    from matplotlib.patches import Rectangle

    rows, columns = list(table.index), list(table.columns)
    for i, row_key in enumerate(rows):
        for j, column in enumerate(columns):
            cell = cells.get((*key, *row_key, column))
            if cell is None:  # not in the grid
                ax.add_patch(Rectangle((j, i), 1, 1, facecolor="white", edgecolor="#DDDDDD"))
                ax.text(j + 0.5, i + 0.5, "–", ha="center", va="center", color="#999999")
                continue
            ax.add_patch(Rectangle((j, i), 1, 1, facecolor=VERDICT_COLORS[cell["verdict"]],
                                   edgecolor="white", linewidth=1.5))
            text = _entry(cell)
            if report.recommended(cell):
                ax.add_patch(Rectangle((j + 0.06, i + 0.08), 0.88, 0.84, fill=False,
                                       edgecolor="black", linewidth=2.2))
                text = "★ " + text
            ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", fontsize=8,
                    color="black", linespacing=1.1)
    encodings = [k[0] for k in rows]
    for i in range(1, len(rows)):
        if encodings[i] != encodings[i - 1]:  # a rule between label encodings
            ax.axhline(i, color="black", linewidth=1.2)
    ax.set_xlim(0, len(columns))
    ax.set_ylim(len(rows), 0)
    ax.set_aspect(_CELL_H / _CELL_W)  # cells keep their size when the figure has room to spare
    ax.set_xticks([j + 0.5 for j in range(len(columns))],
                  [c.replace(" ", "\n") for c in columns], fontsize=8)
    ax.set_yticks([i + 0.5 for i in range(len(rows))],
                  [f"{enc} / {act} ({units} unit{'' if units == 1 else 's'})"
                   for enc, units, act in rows], fontsize=8)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(f"metric: {key[0]}", fontsize=10, fontweight="bold", pad=26)


def heatmap_png(df: pd.DataFrame, dataset: str, cells: pd.DataFrame | None = None) -> bytes:
    """Render one dataset's heatmap.

    Args:
        df: annotated result rows (`report.annotate`), one per cell and seed.
        dataset: the dataset to draw.
        cells: `report.cheat_cells(df)` when already computed (of `df` or of its
            `dataset` rows).

    Returns:
        The PNG file's bytes.

    Raises:
        ValueError: `df` has no rows of `dataset`.
    """
    import matplotlib.style
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch, Rectangle

    part = df[df["dataset"] == dataset]
    if part.empty:
        raise ValueError(f"Expected rows of dataset {dataset!r}. Received: rows of "
                         f"{sorted(set(df['dataset']))}")
    table, by_entry = table_and_cells(
        part, None if cells is None else cells[cells["dataset"] == dataset])
    metrics = list(dict.fromkeys(part["metric"]))
    ncols = min(2, len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    n_rows = max(len(table.loc[(m, dataset)]) for m in metrics)
    # at least wide enough for the legend in one row
    width = max(ncols * (_LABEL_W + _CELL_W * len(table.columns)) + 0.4, 8.0)
    height = nrows * (_CELL_H * n_rows + 0.9) + 1.5
    facts = report.provenance(part)
    spec = vocab.spec_of(dataset)
    title = f"{dataset}" + (f": {spec.part}" if spec else "") + f" (run {facts['run']})"
    subtitle = textwrap.fill(f"data: {facts['data'].split(': ', 1)[1]}. Frozen "
                             f"{facts['backbone']} weights {facts['weights']}; Keras "
                             f"{facts['keras']}, TF {facts['tf']}; "
                             f"seeds {facts['seeds']}; entries: test metric (mean over "
                             "seeds).", width=int(width * 11))
    with matplotlib.style.context("default"):
        fig = Figure(figsize=(width, height), layout="constrained")
        fig.suptitle(f"{title}\n{subtitle}", fontsize=10, ha="left", x=0.01)
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        for ax, metric in zip(axes, metrics, strict=False):
            _draw_panel(ax, (metric, dataset), table.loc[(metric, dataset)], by_entry)
        for ax in axes[len(metrics):]:
            ax.set_visible(False)
        handles = [Patch(facecolor=color, label=verdict)
                   for verdict, color in VERDICT_COLORS.items()]
        handles.append(Rectangle((0, 0), 1, 1, fill=False, edgecolor="black", linewidth=2.2,
                                 label="★ recommended by the tutorial"))
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles),
                   fontsize=9, frameon=False)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def write_heatmaps(df: pd.DataFrame, run_dir: str | pathlib.Path,
                   cells: pd.DataFrame | None = None) -> list[pathlib.Path]:
    """Write `heatmap_<dataset>.png` for every dataset of a run.

    Args:
        df: annotated result rows (`report.annotate`), one per cell and seed.
        run_dir: the run directory to write into.
        cells: `report.cheat_cells(df)` when already computed.

    Returns:
        The paths written, in the datasets' order in `df`.
    """
    cells = report.cheat_cells(df) if cells is None else cells
    paths = []
    for dataset in dict.fromkeys(df["dataset"]):
        path = pathlib.Path(run_dir) / heatmap_name(dataset)
        atomic_write(path, heatmap_png(df, dataset, cells))
        paths.append(path)
    return paths
