"""`cheatgrid snippets`: the seeds' code snippets run on each framework, against what the seeds
printed (snippets.md, and snippets.json beside it for the claims).

Each framework runs in a process of its own (its backend is fixed when Keras is
imported), as the grid's workers do.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from runner import vocab
from runner.errors import UsageError, did_you_mean

DEFAULT_OUT = "snippets.md"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register `cheatgrid snippets` on the command line's subparsers."""
    parser = subparsers.add_parser(
        "snippets", help="run the seeds' code snippets on each framework, against what the "
        "seeds printed")
    parser.add_argument("--frameworks", metavar="NAME[,NAME...]",
                        help=f"comma-separated, of {', '.join(vocab.FRAMEWORKS.names)} "
                        "(default: every installed one)")
    parser.add_argument("--out", default=DEFAULT_OUT,
                        help=f"the Markdown file to write (default: {DEFAULT_OUT}); "
                        "snippets.json goes beside it. In a run directory, `cheatgrid table "
                        "RUN_DIR` embeds it in report.html and `--claims` reads the JSON")
    parser.set_defaults(func=cmd_snippets)
    return parser


def frameworks(text: str | None) -> list[str]:
    """The frameworks of `--frameworks` (default: the installed ones), in the order given.

    Raises:
        UsageError: an unknown or uninstalled framework.
    """
    from runner.config.parse import framework_missing

    if text is None:
        names = list(vocab.FRAMEWORKS.names)
        return [n for n in names if n not in framework_missing(tuple(names))]
    names = [n.strip() for n in text.split(",") if n.strip()]
    for name in names:
        if name not in vocab.FRAMEWORKS.names:
            raise UsageError(f"Invalid value for '--frameworks': Expected names of "
                             f"{list(vocab.FRAMEWORKS.names)}. Received: {name!r}"
                             f"{did_you_mean(name, vocab.FRAMEWORKS.names)}")
    if not names:
        raise UsageError(f"Invalid value for '--frameworks': Expected names of "
                         f"{list(vocab.FRAMEWORKS.names)}. Received: {text!r}")
    absent = framework_missing(tuple(names))
    if absent:
        extras = ",".join(vocab.FRAMEWORKS[f].extra for f in absent)
        raise UsageError(f"--frameworks: Expected installed frameworks; {absent} need "
                         f"`pip install -e '.[{extras}]'`. Received: {text!r}")
    return list(dict.fromkeys(names))


def cmd_snippets(args: argparse.Namespace) -> int:
    """Run the snippets, write snippets.md and snippets.json; exit 0 (a framework that
    could not run is reported in the table), 2 on bad flags."""
    from runner.store.atomic import atomic_write
    from runner.tutorial import snippet_table
    from runner.tutorial.snippets import SNIPPETS

    names = frameworks(args.frameworks)
    out = pathlib.Path(args.out)
    if out.is_dir() or not out.parent.is_dir():
        raise UsageError(f"--out: Expected a file path in an existing directory. "
                         f"Received: {out}")
    print(f"cheatgrid: running the snippets on {', '.join(names)} (one process each)",
          file=sys.stderr, flush=True)
    runs = snippet_table.run_frameworks(names)
    for name, run in runs.items():
        if "failed" in run:
            print(f"cheatgrid: {name} did not run: {run['failed']}", file=sys.stderr)
    atomic_write(out, snippet_table.snippets_markdown(runs))
    snippet_table.write_json(runs, out.with_suffix(".json"))
    differing = [s.key for s in SNIPPETS if snippet_table.differs_between(s, runs)]
    print(f"{len(SNIPPETS)} snippets on {len(names)} framework(s); "
          f"{len(differing)} differ between frameworks. Wrote {out} and "
          f"{out.with_suffix('.json')}.")
    return 0
