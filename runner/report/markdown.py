"""cheat_table.md, and the sections report.html shares with it; pipe tables; splice_section."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from runner import vocab
from runner.report import aggregate, tables
from runner.report.highlights import describe_cells, findings_markdown
from runner.report.run_report import RunReport
from runner.report.tables import counted, values_text
from runner.train.judge import MISLEADING_TOLERANCE


def pipe_table(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table: `header`, then each row, their cells as given."""
    return "\n".join(["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header),
                      *("| " + " | ".join(map(str, row)) + " |" for row in rows)])


def markdown_table(df: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of `df`, index levels as leading columns."""
    flat = df.reset_index()
    return pipe_table(flat.columns, (["" if pd.isna(v) else str(v).replace("|", "\\|")
                                      for v in values] for values in flat.itertuples(index=False)))


def splice_section(document: str, section: str, begin: str, end: str) -> str:
    """Replace the text between two markers of a document (a ValueError without them)."""
    if begin not in document or end not in document:
        raise ValueError(f"Expected the markers {begin!r} and {end!r} in the "
                         "document. Received: a document without them")
    head, rest = document.split(begin, 1)
    return f"{head}{begin}\n{section}{end}{rest.split(end, 1)[1]}"


def reference_note(metric: str) -> str:
    """' (no reference: ...)' for a metric the verdicts cannot hold to a reference."""
    return "" if vocab.metric(metric).reference else " (no reference: never judged `misleading`)"


LEGEND = (
    "Each entry is the cell's test metric after training (mean ± std over seeds when "
    "there are several), or `error: <type>` when preparing labels, building, compiling, "
    "fitting or evaluating it raised (the errors are listed at the end). "
    "**Bold**: a combination the tutorial recommends for this encoding; "
    f"{tables.MISREPORT_MARK}: one whose metric misreports (the note under the tables says what it "
    "showed and what to use instead). "
    "`degenerate`: constant predictions, or a reference accuracy (argmax / threshold of "
    "the raw outputs, computed without Keras metrics) not above the majority-class rate "
    "by more than 0.02. For multi-label data (`multihot`) the reference accuracy is the "
    "exact-match ratio (every label of an image right, each output thresholded at 0.5, "
    "or at 0 when the head has no activation) and the majority rate that of always "
    "predicting the most common label set; results.csv also has `hamming_accuracy`, the "
    "share of single labels right. `misleading`: the metric differs from what it should "
    "report by more than 0.02: that reference accuracy, or for a top-k metric the share "
    "of images whose class is among the 5 highest outputs (results.csv: "
    "`metric_reference`); a metric without a reference (one Keras resolves by name that "
    "cheatgrid does not list, top-k on multi-label data) is never `misleading`. `[gN]`: "
    "heads with identical test logits (to 1e-6, every seed): the same trained model "
    "under another name. `logits=true`: the loss was built with `from_logits=True`; "
    "`ls=x`: with `label_smoothing=x`.")


def header_lines(df: pd.DataFrame, title: str) -> list[str]:
    """A run's title and provenance: software, device, base and weights, seeds."""
    facts = tables.provenance(df)
    used, requested = values_text(df, "weights"), values_text(df, "weights_requested")
    weights = f"`{used}`" + ("" if requested in ("?", used) else f" (configured `{requested}`)")
    return [f"# {title}", "", f"Keras {facts['keras']}, TensorFlow {facts['tf']}, device "
            f"{facts['device']}; frozen {facts['backbone']} weights {weights}; seeds "
            f"{facts['seeds']}.", ""]


def section_lines(report: RunReport, dataset: str) -> tuple[list[str], list[str]]:
    """A dataset's section before its tables (title, data) and after (notes, identical heads)."""
    part, section = report.section(dataset)
    spec = vocab.spec_of(dataset)
    tally = ", ".join(f"{n} {v}" for v, n in section["verdict"].value_counts().items())
    multi_label = any(e in vocab.ENCODINGS and vocab.ENCODINGS[e].multi_label
                      for e in part["encoding"])
    by_encoding, training = dict(list(part.groupby("encoding", sort=False))), []
    for key in [k for k in ("epochs", "batch_size", "learning_rate", "shuffle",
                            "drop_remainder") if k in part]:  # per encoding where they differ
        values = {enc: values_text(rows, key) for enc, rows in by_encoding.items()}
        shown = next(iter(values.values())) if len(set(values.values())) == 1 else \
            ", ".join(f"{v} ({enc})" for enc, v in values.items())
        training.append(f"{key.replace('_', ' ')} {shown}")
    head = [f"## {dataset}" + (f": {spec.part}" if spec else ""), "",
            f"Data: {values_text(part, 'data_detail')}; {values_text(part, 'n_train')} train / "
            f"{values_text(part, 'n_test')} test images, {values_text(part, 'num_classes')} "
            f"{'labels' if multi_label else 'classes'}. Training: {'; '.join(training)}. "
            f"{counted(len(section), 'cell')}: {tally}.", ""]
    tail = [f"- {line}" for line in tables.misreport_lines(section)]
    groups = [f"- **[{group}]** identical test logits: " + ", ".join(
        f"`{n.rsplit('/', 1)[0].split('/', 2)[-1]}`" for n in members["name"])
        for group, members in tables.shared_heads(part).groupby("equivalence_group", sort=False)
        if len(members) > 1]
    return head, (tail + [""] if tail else []) + (
        ["Identical heads (the same experiment in disguise):", "", *groups, ""] if groups else [])


def disagreements_lines(df: pd.DataFrame) -> list[str]:
    """'Where the frameworks disagree' (`aggregate.disagreements`)."""
    table = aggregate.disagreements(df)
    if table.empty:
        return []
    return ["## Where the frameworks disagree", "",
            f"{counted(len(table), 'cell')} whose status, verdict or accuracy (by more than "
            f"{MISLEADING_TOLERANCE}) differ between frameworks:", "",
            markdown_table(table.set_index("name")), ""]


def errors_lines(df: pd.DataFrame) -> list[str]:
    """Each distinct error of a run, in grid order: where it was raised, the cells it hit."""
    errors = df[df["status"] == "error"]
    if errors.empty:
        return ["## Errors", "", "No cell raised.", ""]
    return ["## Errors", "", "Each distinct error, where it was raised, and the cells it hit.",
            "", *[f"- **{error_type}** in `{phase}`, {counted(len(part), 'cell')} of {dataset} "
                  f"({describe_cells(part, df[df['dataset'] == dataset])}): {message}"
                  for (dataset, phase, error_type, message), part in errors.groupby(
                      ["dataset", "phase", "error_type", "error_message"], sort=False,
                      dropna=False)], ""]


def cheat_markdown(report: RunReport) -> str:
    """cheat_table.md: provenance, findings, a section per dataset, disagreements, errors."""
    df = report.shown
    names = df["run_name"].dropna() if "run_name" in df else []
    lines = [*header_lines(df, f"Cheat table: {names.iloc[0] if len(names) else '?'}"),
             *findings_markdown(report.findings), "## How to read the tables", "", LEGEND, ""]
    table = tables.cheat_table(report.cells, markup=True)  # the recommended entries in bold
    for dataset in report.datasets:
        head, tail = section_lines(report, dataset)
        lines += head
        for metric in report.metrics(dataset):
            lines += [f"### metric: {metric}{reference_note(metric)}", "",
                      markdown_table(table.loc[(metric, dataset)]), ""]
        lines += tail
    lines += disagreements_lines(df) + (
        errors_lines(df) if (df["status"] == "error").any() else [])
    return "\n".join(lines)
