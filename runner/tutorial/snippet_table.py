"""The seeds' snippets on every framework, one process each, against what the seed printed
(numbers, True/False and brackets in order, within `RELATIVE_TOLERANCE`; the error it shows);
snippets.json, and snippets.md (GitHub's Markdown: pipe tables, `<br>` inside a cell)."""

from __future__ import annotations

import concurrent.futures
import itertools
import json
import math
import pathlib
import re
import subprocess
from typing import Any

from runner.environments import Launch, launch_for
from runner.report.markdown import pipe_table
from runner.store.atomic import atomic_write
from runner.tutorial.snippet_run import error_line
from runner.tutorial.snippets import NOT_RUN, SNIPPETS, Snippet

RELATIVE_TOLERANCE = 1e-4  # float32 printed to 8 digits differs in the last ones by backend
ABSOLUTE_TOLERANCE = 1e-6  # 5.6e-12 and 0.0 are both "0" to a float32 probability
TIMEOUT_SECONDS = 600  # one framework's process: its import, and every snippet
PARALLEL_FRAMEWORKS = 2  # processes at a time: most of each is importing its framework
_CELL_CHARS = 700  # a framework's output is cut here in the table (snippets.json has all)
_TOKEN = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?"
                    r"|\b(?:True|False|nan|inf)\b|[\[\]]")
_ERROR_TYPE = re.compile(r"\b([A-Z]\w*(?:Error|Exception))\b")
Runs = dict[str, dict[str, Any]]  # framework (runtime label) -> its run (`snippet_run.run_all`)


def run_frameworks(names: list[str], workers: int = PARALLEL_FRAMEWORKS,
                   launches: dict[str, Launch] | None = None) -> Runs:
    """`snippet_run.run_all` in a process per runtime label (its `Launch` in `launches`, else
    this Python's), `workers` at a time; {`framework`, `failed`: why} where one gave nothing."""
    def run(name: str) -> dict[str, Any]:
        launch = (launches or {}).get(name) or launch_for(name)
        try:
            done = subprocess.run([launch.python, "-m", "runner.tutorial.snippet_run"],
                                  env=launch.environment, capture_output=True, text=True,
                                  timeout=TIMEOUT_SECONDS, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return {"framework": name, "failed": f"no result within {TIMEOUT_SECONDS:g} s"}
        lines = [line for line in done.stdout.splitlines() if line.strip()]
        try:
            return json.loads(lines[-1])
        except (IndexError, json.JSONDecodeError):
            tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return {"framework": name, "failed": f"exit {done.returncode}: {tail[:200]}"}

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return dict(zip(names, pool.map(run, names), strict=True))


def _same(a: str, b: str) -> bool:
    try:  # nan is close to nothing, True and brackets are no float
        return a == b or math.isclose(float(a), float(b), rel_tol=RELATIVE_TOLERANCE,
                                      abs_tol=ABSOLUTE_TOLERANCE)
    except ValueError:
        return False


def _all_same(a: list[str], b: list[str]) -> bool:
    return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))


def _numbers(tokens: list[str]) -> list[str]:
    return [t for t in tokens if t not in "[]"]


def shown(result: dict[str, Any]) -> str:
    """What a snippet showed: its output, then its error line, if any."""
    return "\n".join(filter(None, [result["output"].strip(), result.get("error")]))


def _line_of(text: str, position: int) -> str:
    """The output line holding the `position`-th token."""
    lines = text.strip().splitlines()
    counts = itertools.accumulate(len(_TOKEN.findall(line)) for line in lines)
    return next((line.strip() for line, count in zip(lines, counts, strict=True)
                 if count > position), lines[-1] if lines else "")


def compare(snippet: Snippet, result: dict[str, Any]) -> tuple[bool, str]:
    """Whether a snippet's output reproduces what the seed printed, and if not, why."""
    now, now_error = shown(result), result.get("error")
    seed_errors = _ERROR_TYPE.findall(snippet.printed)
    if seed_errors and not now_error:
        return False, f"raises nothing where the seed shows {seed_errors[0]}"
    if now_error and not seed_errors:
        return False, f"raises {now_error}"
    if now_error and _ERROR_TYPE.findall(now_error)[:1] != seed_errors[:1]:
        return False, f"raises {now_error} where the seed shows {seed_errors[0]}"
    want, every = _TOKEN.findall(snippet.printed), _TOKEN.findall(now)
    got = every[-len(want):] if snippet.printed_tail else every
    if _all_same(want, got):
        return True, ""
    if _all_same(_numbers(want), _numbers(got)):
        return False, "the same numbers, in another shape"
    for i, token in enumerate(want):
        if token not in "[]" and (i >= len(got) or not _same(token, got[i])):
            found = got[i] if i < len(got) else "nothing"
            return False, (f"prints {found} where the seed printed {token} "
                           f"(“{_line_of(now, i + len(every) - len(got))}”)")
    return False, (f"prints {len(_numbers(got))} numbers where the seed printed "
                   f"{len(_numbers(want))}")


def verdict(snippet: Snippet, result: dict[str, Any]) -> tuple[str, str]:
    """(`reproduces` | `differs` | `holds` | `does not hold` | `not checked`, why) of one
    snippet on one framework: printed snippets are compared, statements probed."""
    if "output" not in result:
        return "not checked", result.get("failed", "no result")
    written = f"as written it raises {result['literal_error']}" \
        if result.get("literal_error") else ""
    if snippet.printed is not None:
        same, why = compare(snippet, result)
        if written:
            why, same = f"{written}; adapted, {why or 'it reproduces'}", False
        return ("reproduces" if same else "differs"), "; ".join(
            filter(None, (why, result.get("why"))))
    if result.get("holds") is None:
        return "not checked", result.get("why") or result.get("error") or "no probe result"
    return ("holds" if result["holds"] else "does not hold"), "; ".join(
        filter(None, (written, result["why"])))


def results_by_key(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A framework's run: snippet key -> its result (empty for a failed run)."""
    return {r["key"]: r for r in run.get("results", [])}


def same_output(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two results of a snippet show the same numbers, True/False and shapes (each
    number within the tolerances) and raise the same error types."""
    return _all_same(_TOKEN.findall(shown(a)), _TOKEN.findall(shown(b))) and \
        _ERROR_TYPE.findall(shown(a)) == _ERROR_TYPE.findall(shown(b))


def differs_between(snippet: Snippet, runs: Runs) -> bool:
    """Whether the frameworks that ran a snippet showed different things (numbers, True/
    False, shapes or error types), or judged its statement differently."""
    first, *others = [r for run in runs.values()
                      if (r := results_by_key(run).get(snippet.key))] or [None]
    return any(not same_output(first, other) or first.get("holds") != other.get("holds") or
               bool(first.get("literal_error")) != bool(other.get("literal_error"))
               for other in others)


def write_json(runs: Runs, path: pathlib.Path) -> None:
    """snippets.json: every framework's run, as the claims read it (`load_runs`)."""
    atomic_write(path, json.dumps({"frameworks": runs}, indent=1) + "\n")


def load_runs(path: pathlib.Path) -> Runs:
    """The runs of a snippets.json (`write_json`); ValueError if it is not one."""
    try:
        runs = json.loads(path.read_text(encoding="utf-8"))["frameworks"]
        if not isinstance(runs, dict):
            raise TypeError(f"'frameworks' holds a {type(runs).__name__}")
    except (KeyError, TypeError, json.JSONDecodeError) as e:
        raise ValueError(f"Expected a snippets.json written by `cheatgrid snippets`. "
                         f"Received: {path} ({error_line(e)})") from None
    return runs


def _cell(text: str, limit: int = _CELL_CHARS) -> str:
    """Text for a table cell: spaces collapsed, lines as `<br>`, pipes escaped."""
    lines = [re.sub(r"\s+", " ", line).strip() for line in text.strip().splitlines()]
    joined = "<br>".join(line for line in lines if line).replace("|", "\\|")
    return joined if len(joined) <= limit else joined[:limit - 1] + "…"


def _framework_cell(result: dict[str, Any] | None, run: dict[str, Any]) -> str:
    if result is None:
        return f"not run: {run.get('failed', 'no result')}"
    text = shown(result) or "(prints nothing)"
    if result.get("literal_error"):
        text = f"as written: {result['literal_error']}\nadapted:\n{text}"
    return _cell(text)


def _marks(values: dict[str, tuple[str, str]]) -> list[str]:
    """'**verdict** on these frameworks: why', once per group of frameworks that agree."""
    groups = {v: [n for n, x in values.items() if x == v] for v in dict.fromkeys(values.values())}
    return [f"**{v}**" + (f" on {', '.join(names)}" if len(groups) > 1 else "")
            + (f": {why}" if why else "") for (v, why), names in groups.items()]


def _verdict_cell(snippet: Snippet, runs: Runs) -> str:
    """One verdict (and why) per group of frameworks that agree."""
    return "<br>".join(_marks({name: verdict(snippet, results_by_key(run).get(snippet.key) or {
        "failed": run.get("failed", "no result")}) for name, run in runs.items()}))


def _statement_cell(snippet: Snippet, runs: Runs) -> str:
    """For a printed snippet that also states something: the statement's verdict."""
    if snippet.printed is None or not snippet.says:
        return ""
    marks = _marks({name: ("holds" if result["holds"] else "does not hold", "")
                    for name, run in runs.items()
                    if (result := results_by_key(run).get(snippet.key)) is not None
                    and result.get("holds") is not None})
    return "<br>the statement: " + "; ".join(marks) if marks else ""


def _seed_cell(snippet: Snippet) -> str:
    parts = [f"says: {snippet.says}"] if snippet.says else []
    if snippet.printed is not None:
        parts.append(("printed (the end of it): " if snippet.printed_tail else "printed: ")
                     + snippet.printed)
    return _cell("\n".join(parts), limit=10_000)


def snippets_markdown(runs: Runs) -> str:
    """snippets.md of some frameworks' runs: what ran where, the table (seed, snippet, what
    the seed printed or says, one column per framework, verdict), the snippets that differ
    between frameworks, and the seeds' code that is not run, with why."""
    provenance = "; ".join(f"{name}: did not run ({run['failed']})" if "failed" in run else
                           f"{name}: Keras {run['keras_version']} on {run['backend']}"
                           for name, run in runs.items())
    differing = [s for s in SNIPPETS if differs_between(s, runs)]
    return "\n".join([
        "Every snippet of the seeds that prints something or states something about a Keras "
        "function, and needs neither a download nor a trained model, run by `cheatgrid "
        f"snippets` in one process per framework: {provenance}. The code is the "
        "seed's, with `keras` for `tf.keras`, `tensor(...)` for `tf.constant(...)` and "
        "`numpy(x)` for `x.numpy()`; where it raises as written and today's API has a "
        "replacement, it runs once more adapted (the cell says so). A snippet reproduces "
        "when it prints the seed's numbers (and True/False, and brackets: a shape counts) "
        f"within a relative {RELATIVE_TOLERANCE:g}, and the error the seed "
        "shows, if any. A statement holds or does not by a small computation, run after "
        "the snippet.", "", pipe_table(("seed", "snippet", "the seed", *runs, "verdict"), (
            (snippet.seed, _cell(f"`{snippet.key}`: {snippet.short}" + (
                f" ({snippet.note})" if snippet.note else ""), 10_000), _seed_cell(snippet),
             *(_framework_cell(results_by_key(run).get(snippet.key), run)
               for run in runs.values()),
             _verdict_cell(snippet, runs) + _statement_cell(snippet, runs))
            for snippet in SNIPPETS)), "",
        f"{len(differing)} of {len(SNIPPETS)} snippets show different things on "
        f"different frameworks ({', '.join(runs)}):", "",
        *([f"- `{s.key}` (seed {s.seed}): " + _verdict_cell(s, runs).replace("<br>", "; ")
           for s in differing] or ["- none"]),
        "", "Not run (the rest of the seeds' code and statements):", "",
        *(f"- seed {seed}: {what}: {why}" for seed, what, why in NOT_RUN)]) + "\n"
