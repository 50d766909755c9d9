"""Result rows -> pandas tables: the annotated rows (verdicts, identical heads), the cells
over seeds, the cheat table, and the texts of their entries."""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np
import pandas as pd

from runner import vocab
from runner.report import aggregate, misreport
from runner.store import results
from runner.train import judge

# results.csv's documented columns, in order (docs/outputs.md says what each means); rows may
# carry more after them; the per-epoch histories stay in results.jsonl only
RESULT_COLUMNS = (
    "cell_id", "name", "dataset", "encoding", "units", "activation", "loss", "from_logits",
    "label_smoothing", "metric", "framework", "environment", "backbone", "seed", "status", "phase",
    "error_type", "error_message",
    "test_metric", "test_loss", "reference_accuracy", "hamming_accuracy", "majority_rate",
    "metric_resolved", "metric_reference", "metric_gap", "verdict", "recommended",
    "constant_predictions", "diverged",
    "equivalence_group", "same_as", "warnings", "head_id", "base_id", "settings_hash",
    "epochs", "batch_size", "learning_rate", "shuffle", "drop_remainder", "train_seconds",
    "eval_seconds", "weights", "weights_requested", "precision", "mode", "heads_trained_together",
    "data_source", "data_detail", "feature_cache", "n_train", "n_test", "num_classes",
    "backend", "keras_version", "tf_version", "numpy_version", "python_version", "device",
    "run_name", "finished_at",
)
HISTORY_COLUMNS = ("history_loss", "history_test_metric", "history_reference_accuracy")
MISREPORT_MARK = "†"  # after a recommended entry whose metric misreports (a note says why)


def counted(n: int, noun: str) -> str:
    """'1 cell', '2 cells'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def results_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows as a DataFrame with the documented columns first (missing ones empty)."""
    df = pd.DataFrame(rows)
    extra = [c for c in df.columns if c not in RESULT_COLUMNS and c not in HISTORY_COLUMNS]
    return df.reindex(columns=[*RESULT_COLUMNS, *extra, *(c for c in HISTORY_COLUMNS if c in df)])


def results_table(df: pd.DataFrame) -> pd.DataFrame:
    """results.csv as a DataFrame: the histories left out, each row's warnings in one cell."""
    flat = df.drop(columns=list(HISTORY_COLUMNS), errors="ignore")
    if "warnings" in flat:  # a list per row in results.jsonl, one text cell here
        flat["warnings"] = [" | ".join(w) if isinstance(w, list) else w
                            for w in flat["warnings"]]
    return flat


def annotate(df: pd.DataFrame, run_dir: str | pathlib.Path | None = None) -> pd.DataFrame:
    """Recompute verdicts and, from the run's stored test logits, `equivalence_group` (g1, g2,
    ...: heads of one dataset and backbone whose logits agree to `EQUIVALENCE_TOLERANCE` on
    every test image and seed) and `same_as` (the group's first head, for the others)."""
    df = df.assign(verdict=[judge.verdict(row) for row in df.to_dict("records")],
                   equivalence_group=None, same_as=None)
    if run_dir is None:
        return df
    judged = df[df["status"] == "ok"].dropna(subset=["head_id", "seed"])
    # heads of one dataset and one backbone (another base's features are another input);
    # rows written before the axis are VGG16's
    for _, part in judged.groupby([judged["dataset"], judged["backbone"].astype(object).fillna(
            vocab.DEFAULT_BACKBONE)], sort=False):
        seeds = sorted(part["seed"].unique())
        logits = {head_id: [results.load_logits(run_dir, head_id, int(seed)) for seed in seeds]
                  for head_id in dict.fromkeys(part["head_id"])}
        leaders = aggregate.equivalence_groups((head_id, np.concatenate(x)) for head_id, x in
                                               logits.items() if all(a is not None for a in x))
        numbers = {h: f"g{i + 1}" for i, h in enumerate(dict.fromkeys(leaders.values()))}
        names = dict(zip(part["head_id"], part["name"].str.rsplit("/", n=1).str[0], strict=True))
        for head_id, leader in leaders.items():
            mask = df["head_id"] == head_id
            df.loc[mask, "equivalence_group"] = numbers[leader]
            df.loc[mask, "same_as"] = names[leader] if leader != head_id else None
    return df


def recommended(cell: dict[str, Any]) -> bool:
    """Whether the tutorial recommends a cell (a row or cell record); missing or NaN: no."""
    return isinstance(value := cell.get("recommended"), (bool, np.bool_)) and bool(value)


def star(cell: dict[str, Any]) -> str:
    """'★ ' before a recommended cell's entry, '★† ' when its metric misreports."""
    return f"★{MISREPORT_MARK * isinstance(cell.get('misreport'), str)} " \
        if recommended(cell) else ""


def cell_tip(cell: dict[str, Any]) -> str:
    """An entry's hover text: the cell's name and reference accuracy (or error), `misreport`."""
    if cell["verdict"] == "error":
        tip = f"{cell['name']}: {cell['phase']}: {cell['error_message']}"
    else:
        tip = f"{cell['name']}; reference accuracy {cell['reference_accuracy_mean']:.4f}"
        if cell["encoding"] == "multihot":  # the number to read: no Keras metric shows it
            tip += " (exact match: every label of an image right)"
    note = cell.get("misreport")
    return tip + f". {note}" if isinstance(note, str) else tip


def misreport_lines(cells: pd.DataFrame) -> list[str]:
    """The notes under a section's tables on its `MISREPORT_MARK` entries: cell, `misreport`."""
    return [f"{MISREPORT_MARK} recommended by the tutorial, but its metric misreports: "
            f"{c['encoding']}, {c['activation']} + {vocab.short_loss(c['loss'])}"
            f"{'(from_logits=True)' if c['from_logits'] else ''}: {c['misreport']}"
            for c in cells.to_dict("records")
            if recommended(c) and isinstance(c.get("misreport"), str)]


def mean_text(cell: dict[str, Any]) -> str:
    """A cell's test metric over seeds: '0.8760', or '0.8760 ± 0.0100 (n=3)'."""
    spread = f" ± {cell['test_metric_std']:.4f} (n={cell['n_ok']})" if cell["n_seeds"] > 1 else ""
    return f"{cell['test_metric_mean']:.4f}{spread}"


def _entry(cell: dict[str, Any], sizes: dict[tuple[str, str], int], markup: bool) -> str:
    if cell["verdict"] == "error":
        return f"error: {cell['error_type']}"
    text = mean_text(cell)
    if markup and recommended(cell):
        text = f"**{text}**" + (MISREPORT_MARK if isinstance(cell.get("misreport"), str) else "")
    if cell["verdict"] != "ok":
        text += f" {cell['verdict']}"
    group = cell.get("equivalence_group")
    if isinstance(group, str) and sizes.get((cell["dataset"], group), 0) > 1:
        text += f" [{group}]"
    return text


def head_text(cell: dict[str, Any], loss: bool = True) -> str:
    """'onehot / softmax (10 units) / CCE logits=false'; without the loss, a table's row."""
    text = f"{cell['encoding']} / {cell['activation']} ({counted(int(cell['units']), 'unit')})"
    return f"{text} / {_column_label(cell['loss'], cell['from_logits'])}" if loss else text


def _column_label(loss: str, from_logits: bool, label_smoothing: float = 0.0) -> str:
    smoothing = f" ls={label_smoothing:g}" if label_smoothing else ""
    return f"{vocab.short_loss(loss)} logits={str(bool(from_logits)).lower()}{smoothing}"


def shared_heads(df: pd.DataFrame) -> pd.DataFrame:
    """The first row of each head that has an equivalence group (`annotate`), in order."""
    return df.dropna(subset=["equivalence_group"]).drop_duplicates("head_id")


def group_sizes(df: pd.DataFrame) -> dict[tuple[str, str], int]:
    """(dataset, equivalence group) -> number of distinct heads in it."""
    return shared_heads(df).groupby(["dataset", "equivalence_group"], sort=False).size().to_dict()


def cheat_cells(df: pd.DataFrame) -> pd.DataFrame:
    """One row per cell (`aggregate.aggregate_seeds` of annotated rows) plus `misreport`
    (`misreport.note`), `value` (its entry's text), `value_markdown` (recommended ones in
    bold), `column` (e.g. `BCE logits=true`) and `loss_rank` (the loss's column order)."""
    sizes = group_sizes(df)
    cells = aggregate.aggregate_seeds(df)
    cells["label_smoothing"] = cells["label_smoothing"].fillna(0.0) \
        if "label_smoothing" in cells else 0.0
    records = [{**r, "misreport": misreport.note(r)} for r in cells.to_dict("records")]
    return cells.assign(
        misreport=[r["misreport"] for r in records],
        value=[_entry(r, sizes, markup=False) for r in records],
        value_markdown=[_entry(r, sizes, markup=True) for r in records],
        column=[_column_label(r["loss"], r["from_logits"], r["label_smoothing"]) for r in records],
        loss_rank=cells["loss"].map(lambda loss: (vocab.LOSSES.names + (loss,)).index(loss)))


def cheat_table(cells: pd.DataFrame, markup: bool = False) -> pd.DataFrame:
    """The pivot a person reads: rows metric/dataset/encoding/units/activation in the grid's
    order, columns loss/from_logits (BCE, CCE, SCCE; logits=true first), entries the cells'
    `value` (`value_markdown` with `markup`)."""
    index = ["metric", "dataset", "encoding", "units", "activation"]
    columns = cells.sort_values(["loss_rank", "from_logits", "label_smoothing"],
                                ascending=[True, False, True], kind="stable")["column"].unique()
    table = cells.pivot_table(index=index, columns="column",
                              values="value_markdown" if markup else "value", aggfunc="first",
                              fill_value="", sort=False)
    metrics = list(dict.fromkeys(cells["metric"]))
    rows = sorted(dict.fromkeys(map(tuple, cells[index].values)),
                  key=lambda k: metrics.index(k[0]))
    return table.reindex(index=rows, columns=columns, fill_value="").rename_axis(columns=None)


def provenance(df: pd.DataFrame) -> dict[str, str]:
    """For headers: field -> its column's distinct values ('?' for none); `data` per dataset."""
    columns = {"run": "run_name", "keras": "keras_version", "tf": "tf_version", "seeds": "seed",
               **{k: k for k in ("framework", "environment", "weights", "device", "epochs",
                                 "n_train", "n_test")}}
    bases = list(dict.fromkeys(df["backbone"].dropna())) if "backbone" in df else []
    detail = "data_detail" if "data_detail" in df else "data_source"
    return {**{key: values_text(df, column) for key, column in columns.items()},
            "backbone": ", ".join(vocab.BACKBONES[n].keras_class if n in vocab.BACKBONES
                                  else str(n) for n in bases or [vocab.DEFAULT_BACKBONE]),
            "data": "; ".join(f"{name}: {values_text(part, detail)}"
                              for name, part in df.groupby("dataset", sort=False))}


def values_text(df: pd.DataFrame, column: str) -> str:
    """The distinct values of a column, e.g. '20' or '20, 40' ('?' for none)."""
    if column not in df:
        return "?"
    # a column with gaps is float: 800.0 is still the count 800
    shown = (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
             for v in df[column].dropna())
    return ", ".join(dict.fromkeys(shown)) or "?"


def by_runtime(df: pd.DataFrame) -> pd.DataFrame:
    """The rows with each dataset's section split per runtime and backbone when a run has
    several ('mnist · jax', 'mnist · mobilenet_v2'), runtime by runtime."""
    shown = df.assign(runtime=aggregate.runtime_labels(df))
    for column in ("runtime", "backbone"):
        if column in shown and shown[column].nunique() > 1:
            shown["dataset"] = shown["dataset"] + vocab.SECTION_SEPARATOR + shown[column]
    order = list(dict.fromkeys(shown["runtime"]))
    return shown.sort_values("runtime", key=lambda r: r.map(order.index), kind="stable").drop(
        columns="runtime")
