"""`cheatgrid snippets`: the seeds' code snippets run on each framework, a process each, against
what the seeds printed; and a run's snippets in each of its pinned environments."""

from __future__ import annotations

import argparse
import pathlib
import sys
from collections.abc import Callable
from typing import Any

from runner import vocab
from runner.config import Config
from runner.errors import UsageError, did_you_mean

DEFAULT_OUT = "snippets.md"


def frameworks(text: str | None) -> list[str]:
    """The frameworks of `--frameworks` (default: the installed ones), in the order given."""
    from runner.config.parse import framework_missing

    if text is None:
        names = list(vocab.FRAMEWORKS.names)
        return [n for n in names if n not in framework_missing(tuple(names))]
    names = [n.strip() for n in text.split(",") if n.strip()]
    for name in names or [text]:
        if name not in vocab.FRAMEWORKS.names:
            raise UsageError(f"Invalid value for '--frameworks': Expected names of "
                             f"{list(vocab.FRAMEWORKS.names)}. Received: {name!r}"
                             f"{did_you_mean(name, vocab.FRAMEWORKS.names)}")
    absent = framework_missing(tuple(names))
    if absent:
        extras = ",".join(vocab.FRAMEWORKS[f].extra for f in absent)
        raise UsageError(f"--frameworks: Expected installed frameworks; {absent} need "
                         f"`pip install -e '.[{extras}]'`. Received: {text!r}")
    return list(dict.fromkeys(names))


def out_file(path: str | pathlib.Path) -> pathlib.Path:
    """An `--out` file path, checked before anything runs."""
    out = pathlib.Path(path)
    if out.is_dir() or not out.parent.is_dir():
        raise UsageError(f"--out: Expected a file path in an existing directory. "
                         f"Received: {out}")
    return out


def saved_runs(run_dir: pathlib.Path, what: str | None = None) -> dict[str, Any] | None:
    """A run's snippets.json, or None without one (or with a broken one, unless `what` says
    which command to fail)."""
    from runner.tutorial import snippet_table

    path = run_dir / "snippets.json"
    try:
        return snippet_table.load_runs(path) if path.is_file() else None
    except ValueError as e:
        if what is None:
            return None  # not one `write_json` wrote: as if absent
        raise UsageError(f"{what}: {e}") from None


def _write(runs: dict[str, Any], out: pathlib.Path) -> None:
    from runner.store.atomic import atomic_write
    from runner.tutorial import snippet_markdown, snippet_table

    atomic_write(out, snippet_markdown.snippets_markdown(runs))
    snippet_table.write_json(runs, out.with_suffix(".json"))


def cmd_snippets(args: argparse.Namespace) -> int:
    """Run the snippets, write snippets.md and .json; exit 0 (a framework that could not run
    is reported in the table)."""
    from runner.tutorial import snippet_table
    from runner.tutorial.snippets import SNIPPETS

    names = frameworks(args.frameworks)
    out = out_file(args.out)
    print(f"cheatgrid: running the snippets on {', '.join(names)} (one process each)",
          file=sys.stderr, flush=True)
    runs = snippet_table.run_frameworks(names)
    for name, run in runs.items():
        if "failed" in run:
            print(f"cheatgrid: {name} did not run: {run['failed']}", file=sys.stderr)
    _write(runs, out)
    differing = [s.key for s in SNIPPETS if snippet_table.differs_between(s, runs)]
    print(f"{len(SNIPPETS)} snippets on {len(names)} framework(s); "
          f"{len(differing)} differ between frameworks. Wrote {out} and "
          f"{out.with_suffix('.json')}.")
    return 0


def run_snippets(run_dir: pathlib.Path, config: Config, log: Callable[[str], None]) -> None:
    """The snippets in each of a config's runtimes that the run's snippets.json lacks."""
    from runner import environments
    from runner.tutorial import snippet_table

    labels = [r.label for r in config.runtimes]
    runs = {label: run for label, run in (saved_runs(run_dir) or {}).items()
            if label in labels and "failed" not in run}
    missing = [r for r in config.runtimes if r.label not in runs]
    if missing:
        launches, skipped = environments.prepare(missing, log)  # built already, or named
        names = [r.label for r in missing if r.environment not in skipped]
        log(f"running the snippets in {len(names)} runtime(s): {', '.join(names)}")
        runs.update(snippet_table.run_frameworks(names, launches=launches))
    _write({label: runs[label] for label in labels if label in runs}, run_dir / DEFAULT_OUT)
