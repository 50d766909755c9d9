"""The seeds' snippets on every framework, one process each, against what the seed printed:
a snippet reproduces when it prints the seed's numbers, True/False and brackets in order
(each within `RELATIVE_TOLERANCE`) and raises the error the seed shows, if any."""

from __future__ import annotations

import concurrent.futures
import json
import math
import pathlib
import re
import subprocess
from collections.abc import Callable
from typing import Any

from runner import environments
from runner.config import Config
from runner.environments import Launch
from runner.tutorial.snippet_run import error_line
from runner.tutorial.snippets import Snippet

RELATIVE_TOLERANCE = 1e-4  # float32 printed to 8 digits differs in the last ones by backend
ABSOLUTE_TOLERANCE = 1e-6  # 5.6e-12 and 0.0 are both "0" to a float32 probability
TIMEOUT_SECONDS = 600  # one framework's process: its import, and every snippet
PARALLEL_FRAMEWORKS = 2  # processes at a time: most of each is importing its framework
_TOKEN = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?"
                    r"|\b(?:True|False|nan|inf)\b|[\[\]]")
_ERROR_TYPE = re.compile(r"\b([A-Z]\w*(?:Error|Exception))\b")


def run_framework(name: str, timeout_seconds: float = TIMEOUT_SECONDS,
                  launch: Launch | None = None) -> dict[str, Any]:
    """The catalogue run in a new process of framework `name` (`snippet_run`): in this
    Python, or in a built environment (`launch`, `name` then its runtime's label).

    Returns:
        `snippet_run.run_all`'s object, or {`framework`, `failed`: why} when the
        process died, timed out or printed no result.
    """
    launch = launch or environments.launch_for(name)
    try:
        done = subprocess.run([launch.python, "-m", "runner.tutorial.snippet_run"],
                              env=launch.environment, capture_output=True, text=True,
                              timeout=timeout_seconds, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return {"framework": name, "failed": f"no result within {timeout_seconds:g} s"}
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    try:
        result = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"framework": name, "failed": f"exit {done.returncode}: {tail[:200]}"}
    return result


def run_frameworks(names: list[str], workers: int = PARALLEL_FRAMEWORKS,
                   launches: dict[str, Launch] | None = None) -> dict[str, dict[str, Any]]:
    """`run_framework` for each runtime label, `workers` processes at a time (a built
    environment's `Launch` in `launches`): name -> its run, in the order given."""
    launches = launches or {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        runs = list(pool.map(lambda n: run_framework(n, launch=launches.get(n)), names))
    return dict(zip(names, runs, strict=True))


def run_config(config: Config, log: Callable[[str], None] = print,
               ) -> dict[str, dict[str, Any]]:
    """The snippets in every runtime of a config (environments built first; one that cannot
    be built left out): runtime label -> its run, in the config's order."""
    launches, skipped = environments.prepare(config.runtimes, log)
    for name, reason in skipped.items():
        log(f"environment {name}: no snippets there, it cannot be built: {reason}")
    labels = [r.label for r in config.runtimes if r.label not in skipped]
    return run_frameworks(labels, launches=launches)


def _same(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    if math.isnan(x) or math.isnan(y):
        return False
    return math.isclose(x, y, rel_tol=RELATIVE_TOLERANCE, abs_tol=ABSOLUTE_TOLERANCE)


def shown(result: dict[str, Any]) -> str:
    """What a snippet showed: its output, then its error line, if any."""
    return "\n".join(filter(None, [result["output"].strip(), result.get("error")]))


def _line_of(text: str, position: int) -> str:
    """The output line holding the `position`-th token."""
    count = 0
    for line in text.splitlines():
        count += len(_TOKEN.findall(line))
        if count > position:
            return line.strip()
    return text.strip().splitlines()[-1] if text.strip() else ""


def compare(snippet: Snippet, result: dict[str, Any]) -> tuple[bool, str]:
    """Whether a snippet's output reproduces what the seed printed, and if not, why
    (one line). Requires `snippet.printed`."""
    assert snippet.printed is not None
    now = shown(result)
    seed_errors = _ERROR_TYPE.findall(snippet.printed)
    now_error = result.get("error")
    if seed_errors and not now_error:
        return False, f"raises nothing where the seed shows {seed_errors[0]}"
    if now_error and not seed_errors:
        return False, f"raises {now_error}"
    if now_error and _ERROR_TYPE.findall(now_error)[:1] != seed_errors[:1]:
        return False, f"raises {now_error} where the seed shows {seed_errors[0]}"
    want, got = _TOKEN.findall(snippet.printed), _TOKEN.findall(now)
    if snippet.printed_tail:
        got = got[-len(want):]
    numbers = [i for i, t in enumerate(want) if t not in "[]"]
    if len(want) == len(got) and all(_same(a, b) for a, b in zip(want, got, strict=True)):
        return True, ""
    plain_want, plain_got = [t for t in want if t not in "[]"], [t for t in got if t not in "[]"]
    if len(plain_want) == len(plain_got) and all(
            _same(a, b) for a, b in zip(plain_want, plain_got, strict=True)):
        return False, "the same numbers, in another shape"
    for i in numbers:
        if i >= len(got) or not _same(want[i], got[i]):
            found = got[i] if i < len(got) else "nothing"
            offset = len(_TOKEN.findall(now)) - len(got)
            return False, (f"prints {found} where the seed printed {want[i]} "
                           f"(“{_line_of(now, i + offset)}”)")
    return False, f"prints {len(plain_got)} numbers where the seed printed {len(plain_want)}"


def verdict(snippet: Snippet, result: dict[str, Any]) -> tuple[str, str]:
    """(`reproduces` | `differs` | `holds` | `does not hold` | `not checked`, why) of one
    snippet on one framework: printed snippets are compared, statements probed."""
    if "output" not in result:
        return "not checked", result.get("failed", "no result")
    if snippet.printed is not None:
        same, why = compare(snippet, result)
        if result.get("literal_error"):
            written = f"as written it raises {result['literal_error']}"
            why = f"{written}; adapted, {why or 'it reproduces'}"
            same = False
        return ("reproduces" if same else "differs"), _join(why, result.get("why"))
    if result.get("holds") is None:
        return "not checked", result.get("why") or result.get("error") or "no probe result"
    written = f"as written it raises {result['literal_error']}" \
        if result.get("literal_error") else ""
    return ("holds" if result["holds"] else "does not hold"), _join(written, result["why"])


def _join(*parts: str | None) -> str:
    return "; ".join(p for p in parts if p)


def results_by_key(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A framework's run: snippet key -> its result (empty for a failed run)."""
    return {r["key"]: r for r in run.get("results", [])}


def same_output(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two results of a snippet show the same numbers, True/False and shapes (each
    number within the tolerances) and raise the same error types."""
    x, y = _TOKEN.findall(shown(a)), _TOKEN.findall(shown(b))
    if len(x) != len(y) or not all(_same(p, q) for p, q in zip(x, y, strict=True)):
        return False
    return _ERROR_TYPE.findall(shown(a)) == _ERROR_TYPE.findall(shown(b))


def differs_between(snippet: Snippet, runs: dict[str, dict[str, Any]]) -> bool:
    """Whether the frameworks that ran a snippet showed different things (numbers, True/
    False, shapes or error types), or judged its statement differently."""
    first, *others = [r for run in runs.values()
                      if (r := results_by_key(run).get(snippet.key))] or [None]
    return any(not same_output(first, other) or first.get("holds") != other.get("holds") or
               bool(first.get("literal_error")) != bool(other.get("literal_error"))
               for other in others)


def write_json(runs: dict[str, dict[str, Any]], path: pathlib.Path) -> None:
    """snippets.json: every framework's run, as the claims read it (`load_runs`)."""
    from runner.store.atomic import atomic_write

    atomic_write(path, json.dumps({"frameworks": runs}, indent=1) + "\n")


def load_runs(path: pathlib.Path) -> dict[str, dict[str, Any]]:
    """The runs of a snippets.json (`write_json`): framework -> its run.

    Raises:
        ValueError: the file is not one `write_json` wrote.
    """
    try:
        runs = json.loads(path.read_text(encoding="utf-8"))["frameworks"]
    except (KeyError, TypeError, json.JSONDecodeError) as e:
        raise ValueError(f"Expected a snippets.json written by `cheatgrid snippets`. "
                         f"Received: {path} ({error_line(e)})") from None
    if not isinstance(runs, dict):
        raise ValueError(f"Expected a snippets.json written by `cheatgrid snippets`. "
                         f"Received: {path}")
    return runs
