"""Heatmaps of a run: one PNG per dataset, one panel per metric, cells coloured by verdict.

Drawn with Pillow on a plain canvas laid out here (cells of a fixed size, text in
DejaVu Sans, the font matplotlib ships): a few rectangles and labels, in a small
fraction of the time a matplotlib figure with constrained layout takes, and with
no global plotting state to touch.
"""

from __future__ import annotations

import functools
import importlib.util
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
CELL_W, CELL_H = 95, 50  # pixels per cell
SMALL, NORMAL, TITLE = 11, 13, 14  # font sizes in pixels (8, 9 and 10 pt at 100 dpi)
_GAP, _MARGIN, _HEADER = 16, 14, 44  # between panels, around the figure, above a panel's grid


@functools.lru_cache(maxsize=8)
def _font(size: int, bold: bool = False):
    """DejaVu Sans from matplotlib's font folder (found without importing matplotlib)."""
    from PIL import ImageFont

    spec = importlib.util.find_spec("matplotlib")
    folder = pathlib.Path(next(iter(spec.submodule_search_locations))) / "mpl-data/fonts/ttf"
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(folder / name), size)


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


def _entry(cell: dict[str, Any]) -> list[str]:
    if cell["verdict"] == "error":
        return ["error"]
    lines = [f"{cell['test_metric_mean']:.3f}"]
    if cell["n_seeds"] > 1:
        lines.append(f"±{cell['test_metric_std']:.3f}")
    if cell["verdict"] != "ok":
        lines.append(cell["verdict"])
    return lines


def _text(draw, xy: tuple[float, float], lines: list[str], size: int, anchor: str = "mm",
          bold: bool = False, spacing: int = 2) -> None:
    """Lines of text centred (or anchored) as one block at `xy`."""
    font = _font(size, bold)
    height = size + spacing
    top = xy[1] - height * (len(lines) - 1) / 2
    for i, line in enumerate(lines):
        draw.text((xy[0], top + i * height), line, fill="black", font=font, anchor=anchor)


def _row_label(key: tuple) -> str:
    encoding, units, activation = key
    return f"{encoding} / {activation} ({units} unit{'' if units == 1 else 's'})"


def _panel_size(table: pd.DataFrame, label_w: int) -> tuple[int, int]:
    return label_w + CELL_W * len(table.columns), _HEADER + CELL_H * len(table)


def _draw_panel(draw, origin: tuple[int, int], label_w: int, key: tuple[str, str],
                table: pd.DataFrame, cells: dict[tuple, dict]) -> None:
    """One metric's panel at `origin`; `key` is (metric, dataset), `table` its part of the
    cheat table."""
    x0, y0 = origin[0] + label_w, origin[1] + _HEADER
    rows, columns = list(table.index), list(table.columns)
    _text(draw, (x0 + CELL_W * len(columns) / 2, origin[1] + 8), [f"metric: {key[0]}"],
          TITLE, bold=True)
    for j, column in enumerate(columns):
        _text(draw, (x0 + (j + 0.5) * CELL_W, y0 - 14), column.split(" "), SMALL)
    for i, row_key in enumerate(rows):
        top = y0 + i * CELL_H
        _text(draw, (x0 - 6, top + CELL_H / 2), [_row_label(row_key)], SMALL, anchor="rm")
        for j, column in enumerate(columns):
            left = x0 + j * CELL_W
            box = (left, top, left + CELL_W - 1, top + CELL_H - 1)
            cell = cells.get((*key, *row_key, column))
            if cell is None:  # not in the grid
                draw.rectangle(box, fill="white", outline="#DDDDDD")
                _text(draw, (left + CELL_W / 2, top + CELL_H / 2), ["–"], NORMAL)
                continue
            draw.rectangle(box, fill=VERDICT_COLORS[cell["verdict"]], outline="white",
                           width=1)
            lines = _entry(cell)
            if report.recommended(cell):
                draw.rectangle((left + 6, top + 4, left + CELL_W - 7, top + CELL_H - 5),
                               outline="black", width=2)
                marked = isinstance(cell.get("misreport"), str)
                lines[0] = f"★{report.MISREPORT_MARK * marked} " + lines[0]
            _text(draw, (left + CELL_W / 2, top + CELL_H / 2), lines, SMALL)
        if i and row_key[0] != rows[i - 1][0]:  # a rule between label encodings
            draw.line((origin[0] + 4, top, x0 + CELL_W * len(columns), top), fill="black",
                      width=2)


def _legend(draw, centre_x: float, y: float, marked: bool) -> None:
    mark = f" ({report.MISREPORT_MARK}: its metric misreports)" if marked else ""
    items = list(VERDICT_COLORS.items()) + [(f"★ recommended by the tutorial{mark}", None)]
    font = _font(NORMAL)
    widths = [22 + draw.textlength(label, font=font) + 24 for label, _ in items]
    x = centre_x - sum(widths) / 2
    for (label, color), width in zip(items, widths, strict=True):
        if color is None:
            draw.rectangle((x, y - 6, x + 16, y + 6), outline="black", width=2)
        else:
            draw.rectangle((x, y - 6, x + 16, y + 6), fill=color)
        draw.text((x + 22, y), label, fill="black", font=font, anchor="lm")
        x += width


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
    from PIL import Image, ImageDraw

    part = df[df["dataset"] == dataset]
    if part.empty:
        raise ValueError(f"Expected rows of dataset {dataset!r}. Received: rows of "
                         f"{sorted(set(df['dataset']))}")
    table, by_entry = table_and_cells(
        part, None if cells is None else cells[cells["dataset"] == dataset])
    metrics = list(dict.fromkeys(part["metric"]))
    ncols = min(2, len(metrics))
    panels = [table.loc[(m, dataset)] for m in metrics]
    label_w = 12 + max(_font(SMALL).getlength(_row_label(k)) for p in panels for k in p.index)
    label_w = int(math.ceil(label_w))
    panel_w = max(_panel_size(p, label_w)[0] for p in panels)
    row_heights = [max(_panel_size(p, label_w)[1] for p in panels[r * ncols:(r + 1) * ncols])
                   for r in range(math.ceil(len(panels) / ncols))]
    width = max(2 * _MARGIN + ncols * panel_w + (ncols - 1) * _GAP, 800)
    facts = report.provenance(part)
    spec = vocab.spec_of(dataset)
    title = f"{dataset}" + (f": {spec.part}" if spec else "") + f" (run {facts['run']})"
    subtitle = textwrap.wrap(f"data: {facts['data'].split(': ', 1)[1]}. Frozen "
                             f"{facts['backbone']} weights {facts['weights']}; Keras "
                             f"{facts['keras']}, TF {facts['tf']}; "
                             f"seeds {facts['seeds']}; entries: test metric (mean over "
                             "seeds).", width=int(width / 7.8))
    # under the title: what each ★† entry's metric showed, and what to use instead
    notes = [line for cell in report.recommended_misreports(pd.DataFrame(list(by_entry.values())))
             for line in textwrap.wrap(report.misreport_line(cell).replace("`", ""),
                                       width=int(width / 7.8))]
    head = _MARGIN + (TITLE + 4) * (1 + len(subtitle) + len(notes)) + 8
    height = head + sum(row_heights) + _GAP * len(row_heights) + 40
    image = Image.new("RGB", (int(width), int(height)), "white")
    draw = ImageDraw.Draw(image)
    for i, line in enumerate([title, *subtitle, *notes]):
        draw.text((_MARGIN, _MARGIN + i * (TITLE + 4)), line, fill="black", font=_font(TITLE))
    y = head
    for r, row_height in enumerate(row_heights):
        for c, panel in enumerate(panels[r * ncols:(r + 1) * ncols]):
            metric = metrics[r * ncols + c]
            _draw_panel(draw, (_MARGIN + c * (panel_w + _GAP), y), label_w,
                        (metric, dataset), panel, by_entry)
        y += row_height + _GAP
    _legend(draw, width / 2, height - 22, bool(notes))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=6)
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
