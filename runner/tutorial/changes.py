"""changes.md: along each backend's release line (its runtimes by Keras release, then
TensorFlow's), what changed between neighbours, claim by claim, snippet by snippet, cell by cell.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from typing import Any

import pandas as pd
from packaging.version import InvalidVersion, Version

from runner.report import aggregate
from runner.report.highlights import describe_cells
from runner.report.markdown import markdown_table, pipe_table
from runner.tutorial import claims, snippet_table
from runner.tutorial.claims import MARKS, table_cell
from runner.tutorial.snippets import SNIPPETS

SHOWN_CHARS = 160  # a value before or after, in a table cell
_SNIPPET_ASPECTS = ("prints", "raises", "as written", "statement", "warnings")


@dataclasses.dataclass(frozen=True)
class Release:
    """One runtime of a run, as a point on its backend's release line."""

    label: str  # the runtime (`keras3.4.1-jax`, or a framework of this Python)
    keras: str
    tensorflow: str
    backend: str

    @property
    def text(self) -> str:
        return f"Keras {self.keras} ({self.label})"


def _version(text: str) -> Version:
    try:
        return Version(str(text))
    except InvalidVersion:
        return Version("0")


def release_lines(df: pd.DataFrame, runs: snippet_table.Runs | None) -> dict[str, list[Release]]:
    """backend -> its releases in order, from the rows' and the snippet runs' versions."""
    found = {label: Release(label, run["keras_version"], str(run.get("tf_version")),
                            run.get("backend", "tensorflow"))
             for label, run in (runs or {}).items() if "keras_version" in run}
    for label, part in df.groupby(aggregate.runtime_labels(df), sort=False):
        first = part.iloc[0]
        found[label] = Release(label, str(first["keras_version"]), str(first["tf_version"]),
                               str(first["backend"]))
    ordered = sorted(found.values(), key=lambda r: (_version(r.keras), _version(r.tensorflow),
                                                    r.label))
    return {backend: [r for r in ordered if r.backend == backend]
            for backend in dict.fromkeys(r.backend for r in found.values())}


def _cell_values(cell: dict[str, Any]) -> dict[str, Any]:
    warnings = cell.get("warnings")
    return {"outcome": f"error: {cell['error_type']}" if cell.get("status") == "error" else "ok",
            "verdict": str(cell["verdict"]),
            "metric_resolved": str(cell.get("metric_resolved") or ""),
            "warnings": {_pattern(w) for w in warnings} if isinstance(warnings, list)
            else set()}


def _pattern(warning: str) -> str:
    """A warning with its numbers as N: the same warning on a batch of 64 or of 200."""
    text = re.sub(r"\d+", "N", warning.strip().strip('"'))
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 1] + "…"


def _differences(x: dict[str, Any], y: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(what, before, after) between one cell's values on two releases: the outcome; the
    verdict and the metric only where both trained; each warning that appears or goes."""
    found = []
    if x["outcome"] != y["outcome"]:
        found.append(("outcome", x["outcome"], y["outcome"]))
    elif x["outcome"] == "ok":
        found += [(what, x[what], y[what]) for what in ("verdict", "metric_resolved")
                  if x[what] != y[what]]
    found += [("warning appears", "", w) for w in sorted(y["warnings"] - x["warnings"])]
    return found + [("warning goes", w, "") for w in sorted(x["warnings"] - y["warnings"])]


def cell_changes(df: pd.DataFrame, line: list[Release]) -> list[dict[str, Any]]:
    """Every change of a cell between neighbours of a release line: `before` and `after`
    releases, `base_id`, `name` (without its runtime), `dataset`, `what`, and the values."""
    cells = aggregate.aggregate_seeds(df.assign(runtime=aggregate.runtime_labels(df)))
    by_release = {label: part.set_index("base_id", drop=False)
                  for label, part in cells.groupby("runtime", sort=False)}
    changes = []
    for before, after in itertools.pairwise(line):
        a, b = by_release.get(before.label), by_release.get(after.label)
        for base_id in [] if a is None or b is None else a.index.intersection(b.index, sort=False):
            x, y = a.loc[base_id].to_dict(), b.loc[base_id].to_dict()
            x["name"] = x["name"].split(":", 1)[-1]  # without its runtime
            changes += [{"before": before, "after": after, "base_id": base_id,
                         "name": x["name"], "what": what, "dataset": x["dataset"],
                         "from": old, "to": new, "cell": x}
                        for what, old, new in _differences(_cell_values(x), _cell_values(y))]
    return changes


def _snippet_values(result: dict[str, Any]) -> dict[str, str]:
    holds = result.get("holds")
    return {"prints": snippet_table.shown(result)[:SHOWN_CHARS] or "nothing",
            "raises": result.get("error") or "nothing",
            "as written": result.get("literal_error") or "runs",
            "statement": "not probed" if holds is None else MARKS[bool(holds)],
            "warnings": " / ".join(sorted(set(result.get("warnings") or [])))[:SHOWN_CHARS]
            or "none"}


def snippet_changes(runs: snippet_table.Runs, line: list[Release]) -> list[dict[str, Any]]:
    """Every change of a snippet between neighbours of a release line (what it prints only
    where it raises the same)."""
    changes = []
    for (before, after), snippet in itertools.product(itertools.pairwise(line), SNIPPETS):
        results = [snippet_table.results_by_key(runs.get(r.label) or {}).get(snippet.key)
                   for r in (before, after)]
        if None in results:
            continue
        x, y = (_snippet_values(r) for r in results)
        changes += [{"before": before, "after": after, "key": snippet.key, "what": what,
                     "from": x[what], "to": y[what]} for what in _SNIPPET_ASPECTS
                    if (not snippet_table.same_output(*results) and x["raises"] == y["raises"]
                        if what == "prints" else _words(x[what]) != _words(y[what]))]
    return changes


def _words(text: str) -> list[str]:
    """A text's words, sorted within braces: Python prints a set's items in any order."""
    return re.sub(r"\{[^{}]*\}", lambda m: str(sorted(re.split(r",\s*", m.group(0)[1:-1]))),
                  text).split()


def _claim_lines(df: pd.DataFrame, runs: snippet_table.Runs | None,
                line: list[Release]) -> list[tuple[claims.Claim, list[bool | None]]]:
    """Each claim's verdict on each release of a line (None: not tested there)."""
    labels, holds = aggregate.runtime_labels(df), []
    for release in line:
        rows, run = df[labels == release.label], (runs or {}).get(release.label)
        found = claims.evaluate(rows, {release.label: run} if run else {}) if len(rows) else []
        holds.append({claim: finding.holds for claim, finding in found})
    return [(claim, [by_claim.get(claim) for by_claim in holds]) for claim in claims.CLAIMS]


def spans(line: list[Release], values: list[Any]) -> str:
    """Where a value held along a line: 'holds on Keras 2.12.0 to 2.21.0, not from 3.0.5'."""
    segments = [(value, [release for release, _ in group]) for value, group in
                itertools.groupby(zip(line, values, strict=True), key=lambda pair: pair[1])]

    def where(span: list[Release]) -> str:
        return span[0].keras if len(span) == 1 else f"{span[0].keras} to {span[-1].keras}"

    if len(segments) == 2 and None not in (segments[0][0], segments[1][0]):
        (value, first), (_, then) = segments
        return (f"{MARKS[value]} on Keras {where(first)}, "
                f"{'not' if value else 'holds'} from {then[0].keras}")
    return "; ".join(f"{MARKS.get(v, v)} on Keras {where(span)}" for v, span in segments)


def _cells_section(df: pd.DataFrame, backend: str, line: list[Release]) -> list[str]:
    changes = cell_changes(df, line)
    universe = aggregate.aggregate_seeds(df.drop_duplicates("base_id"))
    lines = []
    for (before, after), part in (pd.DataFrame(changes).groupby(["before", "after"], sort=False)
                                  if changes else []):
        rows = [{"what": what, "before": table_cell(old), "after": table_cell(new),
                 "cells": len(group), "which": "; ".join(
                     f"{dataset}: {describe_cells(of, universe[universe['dataset'] == dataset])}"
                     f" ({len(of)})" for dataset, of in pd.DataFrame(list(group["cell"]))
                     .groupby("dataset", sort=False))}
                for (what, old, new), group in part.groupby(["what", "from", "to"], sort=False)]
        lines += [f"### {backend}: {before.text} → {after.text}", "",
                  markdown_table(pd.DataFrame(rows).set_index("what")), ""]
    return lines


def changes_markdown(df: pd.DataFrame, runs: snippet_table.Runs | None) -> str | None:
    """changes.md: the release lines, then the claims, snippets and cells that changed
    along them; None when no line has two releases."""
    lines_by_backend = {b: line for b, line in release_lines(df, runs).items() if len(line) > 1}
    if not lines_by_backend:
        return None
    run = df["run_name"].iloc[0] if "run_name" in df else "?"
    claim_rows = [(f"{claim.part} ({claim.source})", table_cell(claim.says), backend,
                   table_cell(spans(line, values)))
                  for backend, line in lines_by_backend.items()
                  for claim, values in _claim_lines(df, runs, line)
                  if len(set(values) - {None}) > 1]
    snippet_rows = [(f"`{c['key']}`", f"{backend}: {c['before'].text} → {c['after'].text}",
                     c["what"], table_cell(c["from"]), table_cell(c["to"]))
                    for backend, line in lines_by_backend.items()
                    for c in snippet_changes(runs or {}, line)]
    cell_lines = [text for backend, line in lines_by_backend.items()
                  for text in _cells_section(df, backend, line)]
    return "\n".join([
        f"Run `{run}`: {df['base_id'].nunique()} cells on "
        f"{aggregate.runtime_labels(df).nunique()} runtimes. Along each backend's releases, in "
        "order, what changed from one release to the next: claims (their verdicts), snippets "
        "(what they print or raise, whether they run as written, their statements, Keras's "
        "warnings), cells (status or error, verdict, the metric Keras resolved, Keras's "
        "warnings); the values before and after.", "",
        pipe_table(("backend", "releases, in order"), (
            (backend, " → ".join(r.text for r in line))
            for backend, line in lines_by_backend.items())), "", "## Claims", "",
        pipe_table(("part", "the tutorial says", "backend", "verdict along the releases"),
                   claim_rows) if claim_rows else "No claim's verdict changes between releases.",
        "", "## Snippets", "",
        pipe_table(("snippet", "between", "what", "before", "after"), snippet_rows)
        if snippet_rows else "No snippet changes between releases"
        + ("." if runs else " (no snippets.json in the run)."),
        "", "## Cells", "", *(cell_lines or ["No cell changes between releases."])]) + "\n"
