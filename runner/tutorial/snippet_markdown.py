"""snippets.md: one row per snippet of the seeds, what it printed then and on each framework
now, a verdict; then the snippets whose output depends on the framework, and what is
not run.

The Markdown is GitHub's (pipe tables; `<br>` for a line break inside a cell), so
report.html embeds the file as it is.
"""

from __future__ import annotations

import re
from typing import Any

from runner.tutorial import snippet_table
from runner.tutorial.snippets import NOT_RUN, SNIPPETS, Snippet

_CELL_CHARS = 700  # a framework's output is cut here in the table (snippets.json has all)


def _cell(text: str, limit: int = _CELL_CHARS) -> str:
    """Text for a table cell: spaces collapsed, lines as `<br>`, pipes escaped."""
    lines = [re.sub(r"\s+", " ", line).strip() for line in text.strip().splitlines()]
    joined = "<br>".join(line for line in lines if line).replace("|", "\\|")
    return joined if len(joined) <= limit else joined[:limit - 1] + "…"


def _framework_cell(result: dict[str, Any] | None, run: dict[str, Any]) -> str:
    if result is None:
        return f"not run: {run.get('failed', 'no result')}"
    text = snippet_table.shown(result) or "(prints nothing)"
    if result.get("literal_error"):
        text = f"as written: {result['literal_error']}\nadapted:\n{text}"
    return _cell(text)


def _grouped(snippet: Snippet, runs: dict[str, dict[str, Any]]) -> list[tuple[str, str,
                                                                            list[str]]]:
    """(verdict, why, frameworks) groups of one snippet, in framework order."""
    groups: dict[tuple[str, str], list[str]] = {}
    for name, run in runs.items():
        result = snippet_table.results_by_key(run).get(snippet.key) or {
            "failed": run.get("failed", "no result")}
        groups.setdefault(snippet_table.verdict(snippet, result), []).append(name)
    return [(verdict, why, names) for (verdict, why), names in groups.items()]


def verdict_text(snippet: Snippet, runs: dict[str, dict[str, Any]]) -> str:
    """The verdict cell: one verdict (and why) per group of frameworks that agree."""
    groups = _grouped(snippet, runs)
    if len(groups) == 1:
        verdict, why, _ = groups[0]
        return f"**{verdict}**" + (f": {why}" if why else "")
    return "<br>".join(f"**{verdict}** on {', '.join(names)}" + (f": {why}" if why else "")
                       for verdict, why, names in groups)


def _statement_verdicts(snippet: Snippet, runs: dict[str, dict[str, Any]]) -> str:
    """For a printed snippet that also states something: the statement's verdict."""
    marks = {}
    for name, run in runs.items():
        result = snippet_table.results_by_key(run).get(snippet.key)
        if result is not None and result.get("holds") is not None:
            marks.setdefault("holds" if result["holds"] else "does not hold", []).append(name)
    if not marks:
        return ""
    if len(marks) == 1:
        return f"<br>the statement: **{next(iter(marks))}**"
    return "<br>the statement: " + "; ".join(f"**{m}** on {', '.join(n)}"
                                            for m, n in marks.items())


def _seed_cell(snippet: Snippet) -> str:
    parts = []
    if snippet.says:
        parts.append(f"says: {snippet.says}")
    if snippet.printed is not None:
        parts.append(("printed (the end of it): " if snippet.printed_tail else "printed: ")
                     + snippet.printed)
    return _cell("\n".join(parts), limit=10_000)


def _provenance(runs: dict[str, dict[str, Any]]) -> str:
    shown = []
    for name, run in runs.items():
        if "failed" in run:
            shown.append(f"{name}: did not run ({run['failed']})")
        else:
            shown.append(f"{name}: Keras {run['keras_version']} on {run['backend']}")
    return "; ".join(shown)


def snippets_markdown(runs: dict[str, dict[str, Any]]) -> str:
    """The snippets table of some frameworks' runs (`snippet_table.run_frameworks`).

    Returns:
        A paragraph on what ran where, the table (seed, snippet, what the seed printed
        or says, one column per framework, verdict), the snippets that differ between
        frameworks, and the seeds' code that is not run, with why.
    """
    names = list(runs)
    lines = [
        "Every snippet of the seeds that prints something or states something about a Keras "
        "function, and needs neither a download nor a trained model, run by `cheatgrid "
        f"snippets` in one process per framework: {_provenance(runs)}. The code is the "
        "seed's, with `keras` for `tf.keras`, `tensor(...)` for `tf.constant(...)` and "
        "`numpy(x)` for `x.numpy()`; where it raises as written and today's API has a "
        "replacement, it runs once more adapted (the cell says so). A snippet reproduces "
        "when it prints the seed's numbers (and True/False, and brackets: a shape counts) "
        f"within a relative {snippet_table.RELATIVE_TOLERANCE:g}, and the error the seed "
        "shows, if any. A statement holds or does not by a small computation, run after "
        "the snippet.", "",
        "| seed | snippet | the seed | " + " | ".join(names) + " | verdict |",
        "|---|---|---|" + "---|" * len(names) + "---|"]
    for snippet in SNIPPETS:
        what = f"`{snippet.key}`: {snippet.short}" + (f" ({snippet.note})" if snippet.note
                                                       else "")
        cells = [_framework_cell(snippet_table.results_by_key(run).get(snippet.key), run)
                 for run in runs.values()]
        verdict = verdict_text(snippet, runs)
        if snippet.printed is not None and snippet.says:
            verdict += _statement_verdicts(snippet, runs)
        lines.append(f"| {snippet.seed} | {_cell(what, 10_000)} | {_seed_cell(snippet)} | "
                     + " | ".join(cells) + f" | {verdict} |")
    differing = [s for s in SNIPPETS if snippet_table.differs_between(s, runs)]
    lines += ["", f"{len(differing)} of {len(SNIPPETS)} snippets show different things on "
              f"different frameworks ({', '.join(names)}):", ""]
    lines += [f"- `{s.key}` (seed {s.seed}): " + verdict_text(s, runs).replace("<br>", "; ")
              for s in differing] or ["- none"]
    lines += ["", "Not run (the rest of the seeds' code and statements):", ""]
    lines += [f"- seed {seed}: {what}: {why}" for seed, what, why in NOT_RUN]
    return "\n".join(lines) + "\n"
