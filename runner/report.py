"""Result rows -> pandas tables: results.csv, cheat_table.csv, cheat_table.md (and,
through `plots` and `html_report`, the heatmaps and report.html).

Rows are annotated first (verdicts, equivalence groups from the stored test
logits), then aggregated over seeds for the cheat table.
"""

from __future__ import annotations

import os
import pathlib
import secrets
from typing import Any

import numpy as np
import pandas as pd

from runner import analysis, catalog, store
from runner.markdown import cheat_markdown

# The documented, stable columns of results.csv, in order. Rows may carry more
# (they follow these); per-epoch histories stay in results.jsonl only.
RESULT_COLUMNS = (
    "cell_id", "name", "dataset", "encoding", "units", "activation", "loss", "from_logits",
    "metric", "framework", "seed", "status", "phase", "error_type", "error_message",
    "test_metric", "test_loss", "reference_accuracy", "hamming_accuracy", "majority_rate",
    "metric_resolved", "metric_gap", "verdict", "recommended", "constant_predictions",
    "diverged",
    "equivalence_group", "same_as", "warnings", "head_id", "base_id", "settings_hash",
    "epochs", "batch_size", "learning_rate", "shuffle", "drop_remainder", "train_seconds",
    "eval_seconds", "weights", "weights_requested", "mode", "heads_trained_together",
    "data_source", "data_detail", "feature_cache", "n_train", "n_test", "num_classes",
    "backend", "keras_version", "tf_version", "numpy_version", "python_version", "device",
    "run_name", "finished_at",
)
HISTORY_COLUMNS = ("history_loss", "history_test_metric", "history_reference_accuracy")
_TABLE_ROWS = ["dataset", "encoding", "units", "activation"]


def results_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows as a DataFrame with the documented columns first (missing ones empty)."""
    df = pd.DataFrame(rows)
    extra = [c for c in df.columns if c not in RESULT_COLUMNS and c not in HISTORY_COLUMNS]
    history = [c for c in HISTORY_COLUMNS if c in df]
    return df.reindex(columns=list(RESULT_COLUMNS) + extra + history)


def annotate(df: pd.DataFrame, run_dir: str | pathlib.Path | None = None) -> pd.DataFrame:
    """Recompute verdicts and, from the run's stored test logits, the equivalence groups.

    Heads of one dataset whose logits agree to `analysis.EQUIVALENCE_TOLERANCE` on
    every test image, for every seed, share an `equivalence_group` (g1, g2, ... per
    dataset, in grid order); `same_as` names the group's first head for the others.
    """
    df = df.copy()
    df["verdict"] = [analysis.verdict(row) for row in df.to_dict("records")]
    df["equivalence_group"], df["same_as"] = None, None
    if run_dir is None or "head_id" not in df:
        return df
    judged = df[(df["status"] == "ok")].dropna(subset=["head_id", "seed"])
    for _, part in judged.groupby("dataset", sort=False):
        seeds = sorted(part["seed"].unique())
        heads = []
        for head_id in dict.fromkeys(part["head_id"]):
            logits = [store.load_logits(run_dir, head_id, int(seed)) for seed in seeds]
            if all(x is not None for x in logits):
                heads.append((head_id, np.concatenate(logits)))
        leaders = analysis.equivalence_groups(heads)
        numbers = {leader: f"g{i + 1}" for i, leader in enumerate(dict.fromkeys(
            leaders.values()))}
        names = dict(zip(part["head_id"], part["name"].str.rsplit("/", n=1).str[0],
                         strict=True))
        for head_id, leader in leaders.items():
            mask = df["head_id"] == head_id
            df.loc[mask, "equivalence_group"] = numbers[leader]
            df.loc[mask, "same_as"] = names[leader] if leader != head_id else None
    return df


def recommended(cell: dict[str, Any]) -> bool:
    """Whether the tutorial recommends a cell (a row or cell record); missing or NaN
    counts as no."""
    value = cell.get("recommended")
    return bool(value) if isinstance(value, (bool, np.bool_)) else False


def _cell_text(row: dict[str, Any], group_sizes: dict[tuple[str, str], int],
               markup: bool) -> str:
    if row["verdict"] == "error":
        return f"error: {row['error_type']}"
    text = f"{row['test_metric_mean']:.4f}"
    if row["n_seeds"] > 1:
        text += f" ± {row['test_metric_std']:.4f} (n={row['n_ok']})"
    if markup and recommended(row):
        text = f"**{text}**"
    if row["verdict"] != "ok":
        text += f" {row['verdict']}"
    group = row.get("equivalence_group")
    if isinstance(group, str) and group_sizes.get((row["dataset"], group), 0) > 1:
        text += f" [{group}]"
    return text


def _column_label(loss: str, from_logits: bool) -> str:
    return f"{catalog.LOSS_SHORT.get(loss, loss)} logits={str(bool(from_logits)).lower()}"


def shared_heads(df: pd.DataFrame) -> pd.DataFrame:
    """The first row of each head that has an equivalence group (see `annotate`), in
    order: grouped by `equivalence_group`, the heads that are one trained model."""
    return df.dropna(subset=["equivalence_group"]).drop_duplicates("head_id")


def group_sizes(df: pd.DataFrame) -> dict[tuple[str, str], int]:
    """(dataset, equivalence group) -> number of distinct heads in it."""
    if "equivalence_group" not in df:
        return {}
    return shared_heads(df).groupby(["dataset", "equivalence_group"]).size().to_dict()


def cheat_cells(df: pd.DataFrame) -> pd.DataFrame:
    """One row per cell (seeds aggregated) with its cheat-table entry and column label.

    Args:
        df: annotated result rows (one per cell and seed), see `annotate`.

    Returns:
        `analysis.aggregate_seeds(df)` plus `value` (the entry's text),
        `value_markdown` (the same, in Markdown bold for the tutorial's recommended
        combinations), `column` (e.g. `BCE logits=true`) and `loss_rank` (the loss's
        place in the columns).
    """
    sizes = group_sizes(df)
    cells = analysis.aggregate_seeds(df)
    records = cells.to_dict("records")
    return cells.assign(
        value=[_cell_text(row, sizes, markup=False) for row in records],
        value_markdown=[_cell_text(row, sizes, markup=True) for row in records],
        column=[_column_label(l, f) for l, f in zip(cells["loss"], cells["from_logits"],
                                                     strict=True)],
        loss_rank=cells["loss"].map(lambda loss: (catalog.LOSSES + (loss,)).index(loss)))


def cheat_table(df: pd.DataFrame, markup: bool = False,
                cells: pd.DataFrame | None = None) -> pd.DataFrame:
    """The pivot a person reads: rows metric/dataset/encoding/units/activation, columns
    loss/from_logits, each entry the cell's test metric (mean ± std over seeds) with its
    verdict when not ok and its equivalence group when shared, or its error type.

    Args:
        df: annotated result rows (one per cell and seed), see `annotate`.
        markup: Markdown bold for the tutorial's recommended combinations.
        cells: `cheat_cells(df)` when already computed (it takes a while).

    Rows keep the order in which the cells appear in `df` (the grid's order);
    columns go BCE, CCE, SCCE, each with logits=true before logits=false.
    """
    cells = cheat_cells(df) if cells is None else cells
    index = ["metric"] + _TABLE_ROWS
    columns = cells.sort_values(["loss_rank", "from_logits"], ascending=[True, False],
                                kind="stable")["column"].unique()
    table = cells.pivot_table(index=index, columns="column",
                              values="value_markdown" if markup else "value", aggfunc="first",
                              fill_value="", sort=False)
    metrics = list(dict.fromkeys(cells["metric"]))
    rows = sorted(dict.fromkeys(map(tuple, cells[index].values)),
                  key=lambda k: metrics.index(k[0]))
    table = table.reindex(index=rows, columns=columns, fill_value="")
    table.columns.name = None
    return table


def provenance(df: pd.DataFrame) -> dict[str, str]:
    """What a run is, for headers: each field the distinct values of its column.

    Returns:
        `run`, `framework`, `keras`, `tf`, `weights`, `device`, `seeds`, `epochs`, `n_train`,
        `n_test`, and `data`, the data of each dataset (`name: data_detail; ...`);
        `?` where the rows lack the column.
    """
    def values(part: pd.DataFrame, column: str) -> str:
        if column not in part:
            return "?"
        # a column with gaps is float: 800.0 is still the count 800
        shown = (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
                 for v in part[column].dropna())
        return ", ".join(dict.fromkeys(shown)) or "?"

    detail = "data_detail" if "data_detail" in df else "data_source"
    return {"run": values(df, "run_name"), "framework": values(df, "framework"),
            "keras": values(df, "keras_version"),
            "tf": values(df, "tf_version"), "weights": values(df, "weights"),
            "device": values(df, "device"), "seeds": values(df, "seed"),
            "epochs": values(df, "epochs"), "n_train": values(df, "n_train"),
            "n_test": values(df, "n_test"),
            "data": "; ".join(f"{name}: {values(part, detail)}"
                              for name, part in df.groupby("dataset", sort=False))}


def atomic_write(path: pathlib.Path, content: str | bytes) -> None:
    """Write a file (text as UTF-8, or bytes as they are) through a temporary sibling and
    a rename: never half-written.

    The file gets the mode a plain `open` would give it (0o666 less the umask), not
    mkstemp's 0o600: the heatmaps were always written that way, and the tables and
    report.html are read by others too (a web server, a colleague).
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                 0o666)
    try:
        if isinstance(content, bytes):
            with os.fdopen(fd, "wb") as f:
                f.write(content)
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(content)
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise


def by_framework(df: pd.DataFrame) -> pd.DataFrame:
    """For tables: when a run has several frameworks, each dataset's section becomes one
    per framework ('mnist · jax'), framework by framework; results.csv keeps the columns."""
    if "framework" not in df or df["framework"].nunique() <= 1:
        return df
    order = {name: i for i, name in enumerate(dict.fromkeys(df["framework"]))}
    shown = df.assign(dataset=df["dataset"] + catalog.SECTION_SEPARATOR + df["framework"],
                      _order=df["framework"].map(order))
    return shown.sort_values("_order", kind="stable").drop(columns="_order")


def _csv(df: pd.DataFrame) -> str:
    flat = df.drop(columns=[c for c in HISTORY_COLUMNS if c in df])
    if "warnings" in flat:  # a list per row in results.jsonl, one text cell here
        flat["warnings"] = [" | ".join(w) if isinstance(w, list) else w
                            for w in flat["warnings"]]
    return flat.to_csv(index=False)


def write_tables(run_dir: str | pathlib.Path, rows: list[dict[str, Any]]) -> dict[str, str]:
    """Write results.csv, cheat_table.csv, cheat_table.md, heatmap_<dataset>.png and
    report.html into `run_dir`.

    report.html embeds the run's claims.md when there is one: checking the claims
    asks Keras itself, which this function never imports.

    Returns:
        Output name -> path of each file written.
    """
    # Imported here: both import this module, and matplotlib takes a while to load.
    from runner import html_report, plots

    run_dir = pathlib.Path(run_dir)
    annotated = annotate(results_frame(rows), run_dir)
    df = by_framework(annotated)
    cells = cheat_cells(df)  # once, for every output below
    outputs = {
        "results.csv": _csv(annotated),
        "cheat_table.csv": cheat_table(df, cells=cells).to_csv(),
        "cheat_table.md": cheat_markdown(df, cheat_table(df, markup=True, cells=cells), cells),
    }
    for name, text in outputs.items():
        atomic_write(run_dir / name, text)
    written = {name: str(run_dir / name) for name in outputs}
    heatmaps = dict(zip(dict.fromkeys(df["dataset"]),
                        plots.write_heatmaps(df, run_dir, cells), strict=True))
    written.update({path.name: str(path) for path in heatmaps.values()})
    claims = run_dir / "claims.md"
    claims_text = claims.read_text(encoding="utf-8") if claims.is_file() else None
    written["report.html"] = str(html_report.write_html(
        df, run_dir, claims_text,
        heatmaps={name: path.read_bytes() for name, path in heatmaps.items()}, cells=cells))
    return written
