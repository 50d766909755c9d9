"""The subcommands that read what is on disk and train nothing: `table`, `compare`,
`configs`; and `read_run`, which the Python API shares.

Each takes the parsed arguments and returns an exit code; bad input raises `UsageError`,
which `cli.main` turns into one line and exit 2.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
from typing import Any

from runner.cli.console import warnings_shown
from runner.config.ready import find_config, ready_configs, summary
from runner.errors import UsageError, did_you_mean


def read_run(run_dir: str | pathlib.Path, what: str) -> list[dict[str, Any]]:
    """The result rows of a run directory, for the command (or function) `what`.

    Raises:
        UsageError: no results.jsonl there, or one without rows.
    """
    from runner.store.results import RESULTS_FILE, read_rows

    results = pathlib.Path(run_dir) / RESULTS_FILE
    if not results.is_file():
        raise UsageError(f"{what}: Expected a run directory with {RESULTS_FILE}. "
                         f"Received: {run_dir}")
    with warnings_shown(verbose=False):
        rows = read_rows(results)
    if not rows:
        raise UsageError(f"{what}: {results} holds no result rows")
    return rows


def cmd_table(args: argparse.Namespace) -> int:
    from runner.cli.pinned_runs import write_changes
    from runner.report.html import write_tables

    rows = read_run(args.run_dir, "table")
    if args.claims or args.readme:  # first, so that report.html embeds the new claims.md
        from runner.train.backends import import_tensorflow

        import_tensorflow(verbose=False)  # claims run the seeds' snippets in Keras
        _write_claims(pathlib.Path(args.run_dir), rows, args.readme)
    changes = write_changes(pathlib.Path(args.run_dir), rows)
    if changes is not None:
        print(changes)
    for path in write_tables(args.run_dir, rows).values():
        print(path)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from runner.report.compare import compare_runs
    from runner.store.atomic import atomic_write

    if args.environments is not None:
        (rows_a, rows_b), (label_a, label_b) = _environments(args)
        default = pathlib.Path(args.run_a) / f"compare_{args.environments.replace(',', '_vs_')}.md"
    elif args.run_b is None:
        raise UsageError("compare: Expected two run directories, or one and --environments "
                         "A,B. Received: one run directory")
    else:
        rows_a, rows_b = (read_run(run_dir, "compare") for run_dir in (args.run_a, args.run_b))
        label_a, label_b = args.run_a, args.run_b
        default = pathlib.Path(args.run_b) / f"compare_{pathlib.Path(args.run_a).resolve().name}.md"
    out = pathlib.Path(args.out) if args.out else default
    if out.is_dir() or not out.parent.is_dir():
        raise UsageError(f"--out: Expected a file path in an existing directory. "
                         f"Received: {out}")
    text = compare_runs(rows_a, rows_b, label_a=label_a, label_b=label_b)
    sys.stdout.write(text)
    atomic_write(out, text)
    print(f"cheatgrid: wrote {out}", file=sys.stderr)  # stdout stays pure Markdown
    return 0


def _environments(args: argparse.Namespace) -> tuple[tuple[list, list], tuple[str, str]]:
    """The rows of the two runtimes `--environments A,B` names in one run, and their labels.

    Raises:
        UsageError: a second run directory, not two names, or a name the run lacks.
    """
    from runner.config.environments import label_of
    from runner.vocab import DEFAULT_FRAMEWORK

    if args.run_b is not None:
        raise UsageError(f"compare: Expected one run directory with --environments. "
                         f"Received: {args.run_a} and {args.run_b}")
    names = [n.strip() for n in args.environments.split(",") if n.strip()]
    rows = read_run(args.run_a, "compare")
    labels = [label_of(r.get("environment"), r.get("framework") or DEFAULT_FRAMEWORK)
              for r in rows]
    present = list(dict.fromkeys(labels))
    if len(names) != 2 or names[0] == names[1]:
        raise UsageError(f"Invalid value for '--environments': Expected two of {present}, "
                         f"comma-separated. Received: {args.environments!r}")
    for name in names:
        if name not in present:
            raise UsageError(f"Invalid value for '--environments': Expected names of "
                             f"{present} (the run's environments and frameworks). Received: "
                             f"{name!r}{did_you_mean(name, present)}")
    chosen = tuple([r for r, label in zip(rows, labels, strict=True) if label == name]
                   for name in names)
    return chosen, (f"{args.run_a} · {names[0]}", f"{args.run_a} · {names[1]}")


def cmd_configs(args: argparse.Namespace) -> int:
    """`cheatgrid configs`: the ready configs, a line each; with a NAME, its YAML."""
    ready = ready_configs()
    if args.name is None:
        width = max(map(len, ready))
        for name, path in ready.items():
            print(f"{name:<{width}}  {summary(path)}")
        return 0
    path = find_config(args.name)
    if path not in ready.values():
        raise UsageError(f"configs: Expected the name of a ready config {list(ready)}. "
                         f"Received: {args.name!r}{did_you_mean(args.name, list(ready))}")
    sys.stdout.write(path.read_text(encoding="utf-8"))
    return 0


def _write_claims(run_dir: pathlib.Path, rows: list[dict[str, Any]], readme: str | None) -> None:
    """claims.md (and, for a run over several frameworks, frameworks.md), and the README's
    section between its markers: the claims for a run on one framework, the frameworks'
    table for a run on several. The claims about Keras functions read the run's
    snippets.json when it has one, else run the snippets in this process."""
    from runner.report import aggregate
    from runner.report.markdown import splice_section
    from runner.report.tables import annotate, results_frame
    from runner.store.atomic import atomic_write
    from runner.tutorial import claims, frameworks, snippet_table

    df = annotate(results_frame(rows), run_dir)
    snippets = run_dir / "snippets.json"  # written by `cheatgrid snippets --out RUN_DIR/...`
    try:
        runs = snippet_table.load_runs(snippets) if snippets.is_file() else None
    except ValueError as e:
        raise UsageError(f"table: {e}") from None
    sections = [("claims.md", claims.claims_markdown(df, runs), claims.README_BEGIN,
                 claims.README_END)]
    if aggregate.runtime_labels(df).nunique() > 1:
        sections.append(("frameworks.md", frameworks.frameworks_markdown(df),
                         frameworks.README_BEGIN, frameworks.README_END))
    for name, text, _, _ in sections:
        atomic_write(run_dir / name, text)
        print(run_dir / name)
    if readme:
        name, section, begin, end = sections[-1]
        path = pathlib.Path(readme)
        try:
            text = splice_section(path.read_text(encoding="utf-8"), section, begin, end)
        except (OSError, ValueError) as e:
            raise UsageError(f"--readme {path}: {e}") from None
        atomic_write(path, text)
        print(f"{path}: the section of {name} updated")
