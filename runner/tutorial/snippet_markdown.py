"""snippets.md: one row per snippet of the seeds, what it printed then and on each framework
now, a verdict; then the snippets whose output depends on the framework, and what is
not run.

The Markdown is GitHub's (pipe tables; `<br>` for a line break inside a cell), so
report.html embeds the file as it is.
"""

from __future__ import annotations

import re
from typing import Any

from runner.report.markdown import pipe_table
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


def _agreeing(values: dict[str, Any]) -> dict[Any, list[str]]:
    """value -> the frameworks that have it, in framework order."""
    groups: dict[Any, list[str]] = {}
    for name, value in values.items():
        groups.setdefault(value, []).append(name)
    return groups


def verdict_text(snippet: Snippet, runs: dict[str, dict[str, Any]]) -> str:
    """The verdict cell: one verdict (and why) per group of frameworks that agree."""
    groups = _agreeing({name: snippet_table.verdict(snippet, snippet_table.results_by_key(
        run).get(snippet.key) or {"failed": run.get("failed", "no result")})
        for name, run in runs.items()})
    if len(groups) == 1:
        ((verdict, why),) = groups
        return f"**{verdict}**" + (f": {why}" if why else "")
    return "<br>".join(f"**{verdict}** on {', '.join(names)}" + (f": {why}" if why else "")
                       for (verdict, why), names in groups.items())


def _statement_verdicts(snippet: Snippet, runs: dict[str, dict[str, Any]]) -> str:
    """For a printed snippet that also states something: the statement's verdict."""
    marks = _agreeing({name: "holds" if result["holds"] else "does not hold"
                       for name, run in runs.items()
                       if (result := snippet_table.results_by_key(run).get(snippet.key))
                       is not None and result.get("holds") is not None})
    if len(marks) < 2:
        return "".join(f"<br>the statement: **{mark}**" for mark in marks)
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
    return "; ".join(f"{name}: did not run ({run['failed']})" if "failed" in run else
                     f"{name}: Keras {run['keras_version']} on {run['backend']}"
                     for name, run in runs.items())


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
        "the snippet.", "", pipe_table(("seed", "snippet", "the seed", *names, "verdict"), (
            (snippet.seed, _cell(f"`{snippet.key}`: {snippet.short}" + (
                f" ({snippet.note})" if snippet.note else ""), 10_000), _seed_cell(snippet),
             *(_framework_cell(snippet_table.results_by_key(run).get(snippet.key), run)
               for run in runs.values()),
             verdict_text(snippet, runs) + (_statement_verdicts(snippet, runs) if
                                            snippet.printed is not None and snippet.says
                                            else ""))
            for snippet in SNIPPETS))]
    differing = [s for s in SNIPPETS if snippet_table.differs_between(s, runs)]
    lines += ["", f"{len(differing)} of {len(SNIPPETS)} snippets show different things on "
              f"different frameworks ({', '.join(names)}):", ""]
    lines += [f"- `{s.key}` (seed {s.seed}): " + verdict_text(s, runs).replace("<br>", "; ")
              for s in differing] or ["- none"]
    lines += ["", "Not run (the rest of the seeds' code and statements):", ""]
    lines += [f"- seed {seed}: {what}: {why}" for seed, what, why in NOT_RUN]
    return "\n".join(lines) + "\n"
