"""Result rows -> pandas tables: results.csv, cheat_table.csv, cheat_table.md."""

from __future__ import annotations

import math
import os
import pathlib
import tempfile
from typing import Any

import pandas as pd

from runner import catalog

# The documented, stable columns of results.csv, in order. Rows may carry more
# (they follow these); per-epoch histories stay in results.jsonl only.
RESULT_COLUMNS = (
    "cell_id", "name", "dataset", "encoding", "units", "activation", "loss", "from_logits",
    "metric", "status", "phase", "error_type", "error_message", "test_metric", "test_loss",
    "epochs", "batch_size", "learning_rate", "shuffle", "drop_remainder", "seed",
    "train_seconds", "eval_seconds", "weights", "weights_requested", "data_source",
    "data_detail", "n_train", "n_test", "num_classes", "keras_version", "tf_version",
    "numpy_version", "python_version", "device", "run_name", "finished_at",
)
_JSONL_ONLY = ("history_loss",)
_TABLE_ROWS = ["dataset", "encoding", "units", "activation"]


def results_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows as a DataFrame with the documented columns first (missing ones empty)."""
    df = pd.DataFrame(rows)
    extra = [c for c in df.columns if c not in RESULT_COLUMNS and c not in _JSONL_ONLY]
    return df.reindex(columns=list(RESULT_COLUMNS) + extra)


def _cell_text(row: pd.Series) -> str:
    if row["status"] == "ok":
        return f"{row['test_metric']:.4f}"
    return f"error: {row['error_type']}"


def _column_label(loss: str, from_logits: bool) -> str:
    return f"{catalog.LOSS_SHORT.get(loss, loss)} logits={str(bool(from_logits)).lower()}"


def cheat_table(df: pd.DataFrame) -> pd.DataFrame:
    """The pivot a person reads: rows metric/dataset/encoding/units/activation, columns
    loss/from_logits, each entry the test metric or the error type of the cell.

    Rows keep the order in which the cells appear in `df` (the grid's order);
    columns go BCE, CCE, SCCE, each with logits=true before logits=false.
    """
    index = ["metric"] + _TABLE_ROWS
    df = df.assign(value=df.apply(_cell_text, axis=1),
                   column=df.apply(lambda r: _column_label(r["loss"], r["from_logits"]), axis=1),
                   loss_rank=df["loss"].map(lambda loss: (catalog.LOSSES + (loss,)).index(loss)))
    columns = df.sort_values(["loss_rank", "from_logits"], ascending=[True, False],
                             kind="stable")["column"].unique()
    table = df.pivot_table(index=index, columns="column", values="value", aggfunc="first",
                           fill_value="", sort=False)
    metrics = list(dict.fromkeys(df["metric"]))
    rows = sorted(dict.fromkeys(map(tuple, df[index].values)), key=lambda k: metrics.index(k[0]))
    table = table.reindex(index=rows, columns=columns, fill_value="")
    table.columns.name = None
    return table


def markdown_table(df: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of `df`, index levels as leading columns."""
    flat = df.reset_index()
    header = [str(c) for c in flat.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for values in flat.itertuples(index=False):
        cells = ["" if pd.isna(v) else str(v).replace("|", "\\|") for v in values]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _first(df: pd.DataFrame, column: str) -> Any:
    values = df[column].dropna() if column in df else pd.Series(dtype=object)
    return values.iloc[0] if len(values) else "?"


def _values(df: pd.DataFrame, column: str) -> str:
    """The distinct values of a column, e.g. '20' or '20, 40'."""
    if column not in df:
        return "?"
    return ", ".join(str(v) for v in dict.fromkeys(df[column].dropna())) or "?"


def _training_text(part: pd.DataFrame) -> str:
    """Epochs etc. of a dataset's cells; settings that differ by encoding are per encoding."""
    keys = [k for k in ("epochs", "batch_size", "learning_rate", "shuffle", "drop_remainder")
            if k in part]
    by_encoding = dict(part.groupby("encoding", sort=False).__iter__())
    texts = []
    for key in keys:
        label = key.replace("_", " ")
        values = {enc: _values(rows, key) for enc, rows in by_encoding.items()}
        if len(set(values.values())) == 1:
            texts.append(f"{label} {next(iter(values.values()))}")
        else:
            texts.append(f"{label} " + ", ".join(f"{v} ({enc})" for enc, v in values.items()))
    return "; ".join(texts)


def _weights_text(df: pd.DataFrame) -> str:
    used = _values(df, "weights")
    requested = _values(df, "weights_requested")
    if requested in ("?", used):
        return f"`{used}`"
    return f"`{used}` (configured `{requested}`)"


def cheat_markdown(df: pd.DataFrame) -> str:
    """The cheat table as Markdown: a provenance header, one section per dataset (tutorial
    part) with one table per metric, and the distinct errors with the cells they hit."""
    table = cheat_table(df)
    lines = [f"# Cheat table: {_first(df, 'run_name')}", "",
             f"Keras {_values(df, 'keras_version')}, TensorFlow {_values(df, 'tf_version')}, "
             f"device {_values(df, 'device')}; frozen VGG16 weights {_weights_text(df)}; "
             f"seeds {_values(df, 'seed')}.", "",
             "Each entry is the cell's test metric after training, or `error: <type>` when "
             "building, compiling, fitting or evaluating it raised; the errors are listed "
             "at the end. `logits=true` means the loss was built with `from_logits=True`.", ""]
    for dataset, part in df.groupby("dataset", sort=False):
        spec = catalog.DATASETS.get(dataset)
        title = f"## {dataset}" + (f": {spec.part}" if spec else "")
        lines += [title, "",
                  f"Data: {_values(part, 'data_detail')}; {_values(part, 'n_train')} train / "
                  f"{_values(part, 'n_test')} test images, {_values(part, 'num_classes')} "
                  f"classes. Training: {_training_text(part)}. {len(part)} cells, "
                  f"{int((part['status'] == 'ok').sum())} ok.", ""]
        for metric in dict.fromkeys(part["metric"]):
            sub = table.loc[(metric, dataset)]
            lines += [f"### metric: {metric}", "", markdown_table(sub), ""]
    errors = df[df["status"] == "error"]
    if len(errors):
        lines += ["## Errors", "", "Each distinct error, where it was raised, and the cells "
                  "it hit.", ""]
        grouped = errors.groupby(["dataset", "phase", "error_type", "error_message"],
                                 sort=False, dropna=False)
        for (dataset, phase, error_type, message), part in grouped:
            lines += [f"- **{error_type}** in `{phase}`, {len(part)} cells of {dataset} "
                      f"({describe_cells(part, df[df['dataset'] == dataset])}): {message}"]
        lines.append("")
    return "\n".join(lines)


def describe_cells(part: pd.DataFrame, universe: pd.DataFrame) -> str:
    """A short description of some cells, by the axis values they share.

    When `part` is exactly the product of its axis values (the usual case for
    an error) the description is exact, e.g. `encoding=integer, loss=BCE|CCE`,
    leaving out axes on which it covers every value of `universe`; otherwise
    it names a few of the cells.
    """
    axes = [a for a in catalog.AXES if a in part]
    values = {a: list(dict.fromkeys(part[a])) for a in axes}
    if math.prod(len(v) for v in values.values()) != len(part.drop_duplicates(axes)):
        more = f" and {len(part) - 3} more" if len(part) > 3 else ""
        return "e.g. " + ", ".join(f"`{n}`" for n in part["name"].head(3)) + more

    def show(axis: str, value: Any) -> str:
        if axis == "loss":
            return catalog.LOSS_SHORT.get(value, value)
        return str(value).lower() if axis == "from_logits" else str(value)

    narrowed = [a for a in axes if set(values[a]) != set(universe[a])]
    return ", ".join(f"{a}=" + "|".join(show(a, v) for v in values[a])
                     for a in narrowed) or "every cell"


def atomic_write(path: pathlib.Path, text: str) -> None:
    """Write a file through a temporary sibling and a rename: never half-written."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise


def write_tables(run_dir: str | pathlib.Path, rows: list[dict[str, Any]]) -> dict[str, str]:
    """Write results.csv, cheat_table.csv and cheat_table.md into `run_dir`.

    Returns:
        Output name -> path of each file written.
    """
    run_dir = pathlib.Path(run_dir)
    df = results_frame(rows)
    outputs = {
        "results.csv": df.to_csv(index=False),
        "cheat_table.csv": cheat_table(df).to_csv(),
        "cheat_table.md": cheat_markdown(df),
    }
    for name, text in outputs.items():
        atomic_write(run_dir / name, text)
    return {name: str(run_dir / name) for name in outputs}
