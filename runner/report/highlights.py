"""What a run found, first (cheat_table.md and report.html open with it): the verdicts'
tally, the metrics that misreport, heads that never learn, heads that are one model; errors."""

from __future__ import annotations

import math

import pandas as pd

from runner import vocab
from runner.report.tables import counted, head_text, shared_heads
from runner.train.judge import VERDICTS

EXAMPLES = 4  # groups shown per kind of finding; the rest are counted
TITLES = {"verdicts": "Verdicts", "misleading": "Metrics that misreport",
          "degenerate": "Heads that never learn", "identical": "Identical heads"}


def tally(cells: pd.DataFrame) -> str:
    """'360 cells: 120 ok, 50 misleading, 70 degenerate, 120 error.'"""
    counts = cells["verdict"].value_counts()
    shown = ", ".join(f"{int(counts.get(v, 0))} {v}" for v in reversed(VERDICTS))
    return f"{counted(len(cells), 'cell')}: {shown}."


def _largest_first(cells: pd.DataFrame, verdict: str, keys: list[str]) -> list[tuple]:
    groups = list(cells[cells["verdict"] == verdict].groupby(keys, sort=False))
    return sorted(groups, key=lambda item: -len(item[1]))  # stable: grid order among equals


def _misleading(cells: pd.DataFrame) -> list[str]:
    lines = []
    for (dataset, metric, encoding), group in _largest_first(
            cells, "misleading", ["dataset", "metric", "encoding"]):
        worst = group.loc[(group["test_metric_mean"] -
                           group["reference_accuracy_mean"]).abs().idxmax()].to_dict()
        resolved = worst.get("metric_resolved")
        alias = f" (Keras built `{resolved}`)" if isinstance(resolved, str) and \
            resolved != metric else ""
        lines.append(f"`{metric}`{alias} misreports on {dataset} with {encoding} labels: "
                     f"{counted(len(group), 'cell')}, e.g. {worst['test_metric_mean']:.4f} "
                     f"shown where the reference accuracy is "
                     f"{worst['reference_accuracy_mean']:.4f} ({head_text(worst)})")
    return lines


def _degenerate(cells: pd.DataFrame) -> list[str]:
    lines = []
    for (dataset, *_), group in _largest_first(
            cells, "degenerate", ["dataset", "encoding", "units", "activation"]):
        constant = "constant_predictions" in group and all(
            value is True or value == 1 for value in group["constant_predictions"])
        why = ("predicts one class (or label set) for every image" if constant
               else "does no better than always the most common class (or label set)")
        heads = ", ".join(dict.fromkeys(head_text(r).rsplit(" / ", 1)[1]
                                        for r in group.to_dict("records")))
        lines.append(f"{dataset}: {head_text(group.iloc[0].to_dict(), loss=False)} with "
                     f"{heads} {why}: {counted(len(group), 'cell')}")
    return lines


def _identical(df: pd.DataFrame) -> list[str]:
    lines = []
    for dataset, part in shared_heads(df).groupby("dataset", sort=False):
        groups = [g for _, g in part.groupby("equivalence_group", sort=False) if len(g) > 1]
        if groups:
            example = ", ".join(f"`{head_text(r)}`" for r in groups[0].to_dict("records")[:3])
            lines.append(f"{dataset}: {len(groups)} group{'s' if len(groups) > 1 else ''} of "
                         f"identical heads ({' + '.join(str(len(g)) for g in groups)} heads): "
                         f"the same trained model under different names, e.g. "
                         f"[{groups[0]['equivalence_group'].iloc[0]}] {example}")
    return lines


def findings(df: pd.DataFrame, cells: pd.DataFrame) -> list[tuple[str, list[str]]]:
    """(kind, lines) for each of `TITLES`: at most `EXAMPLES` lines and one counting the rest."""
    kinds = [("verdicts", [tally(cells)]), ("misleading", _misleading(cells)),
             ("degenerate", _degenerate(cells)), ("identical", _identical(df))]
    return [(kind, lines[:EXAMPLES] + [f"... and {len(lines) - EXAMPLES} more"] * (
        len(lines) > EXAMPLES)) for kind, lines in kinds]


def findings_markdown(found: list[tuple[str, list[str]]]) -> list[str]:
    """The findings (`findings`) as Markdown lines: a `## Findings` section."""
    return ["## Findings", ""] + [line for kind, items in found if items for line in (
        f"**{TITLES[kind]}**", "", *(f"- {item}" for item in items), "")]


def describe_cells(part: pd.DataFrame, universe: pd.DataFrame) -> str:
    """Some cells by the axis values they share (`encoding=integer, loss=BCE|CCE`, leaving
    out the axes where `part` covers all of `universe`) when `part` is the product of its
    axis values; otherwise a few of their names."""
    axes = [a for a in vocab.AXES if a in part]
    values = {a: list(dict.fromkeys(part[a])) for a in axes}
    if math.prod(len(v) for v in values.values()) != len(part.drop_duplicates(axes)):
        more = f" and {len(part) - 3} more" if len(part) > 3 else ""
        return "e.g. " + ", ".join(f"`{n}`" for n in part["name"].head(3)) + more
    shown = {"loss": vocab.short_loss, "from_logits": lambda v: str(v).lower()}
    return ", ".join(f"{a}=" + "|".join(shown.get(a, str)(v) for v in values[a])
                     for a in axes if set(values[a]) != set(universe[a])) or "every cell"
