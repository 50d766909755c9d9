"""The subcommands that train nothing: `table`, `compare`, `configs`, `snippets`;
`read_run`, which the Python API shares; a pinned run's snippets and changes.md; our warnings on
the terminal as they happen."""

from __future__ import annotations

import argparse
import contextlib
import pathlib
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from runner import vocab
from runner.config import Config
from runner.config.ready import find_config, ready_configs, summary
from runner.errors import CheatgridWarning, UsageError, did_you_mean

DEFAULT_OUT = "snippets.md"


@contextlib.contextmanager
def warnings_shown(verbose: bool) -> Iterator[None]:
    """Our own warnings to stderr as they happen, a line each; library warnings if verbose."""
    def show(message, category, filename, lineno, file=None, line=None) -> None:
        if issubclass(category, CheatgridWarning):
            print(f"cheatgrid: warning: {message}", file=sys.stderr, flush=True)
        elif verbose:
            print(f"{category.__name__}: {message}", file=sys.stderr, flush=True)

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = show
        yield


def read_run(run_dir: str | pathlib.Path, what: str) -> list[dict[str, Any]]:
    """The result rows of a run directory (none: a `UsageError` for the command `what`)."""
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


def write_changes(run_dir: pathlib.Path, rows: list[dict[str, Any]]) -> pathlib.Path | None:
    """changes.md of a run over pinned environments, from its rows and snippets.json (without
    one, the snippets and the claims about Keras functions are left out)."""
    from runner.config.environments import CURRENT
    from runner.report.tables import annotate, results_frame
    from runner.store.atomic import atomic_write
    from runner.tutorial import changes

    if all(row.get("environment") in (None, CURRENT) for row in rows):
        return None
    text = changes.changes_markdown(annotate(results_frame(rows), run_dir), saved_runs(run_dir))
    if text is None:
        return None
    atomic_write(run_dir / "changes.md", text)
    return run_dir / "changes.md"


def cmd_table(args: argparse.Namespace) -> int:
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
    from runner.report.compare import differences
    from runner.store.atomic import atomic_write

    if args.environments is not None:
        rows_a, rows_b, label_a, label_b = _environments(args)
        default = pathlib.Path(args.run_a) / f"compare_{args.environments.replace(',', '_vs_')}.md"
    elif args.run_b is None:
        raise UsageError("compare: Expected two run directories, or one and --environments "
                         "A,B. Received: one run directory")
    else:
        rows_a, rows_b = (read_run(run_dir, "compare") for run_dir in (args.run_a, args.run_b))
        label_a, label_b = args.run_a, args.run_b
        default = pathlib.Path(args.run_b) / f"compare_{pathlib.Path(args.run_a).resolve().name}.md"
    out = out_file(args.out or default)
    text = differences(rows_a, rows_b, label_a, label_b).markdown
    sys.stdout.write(text)
    atomic_write(out, text)
    print(f"cheatgrid: wrote {out}", file=sys.stderr)  # stdout stays pure Markdown
    return 0


def _environments(args: argparse.Namespace) -> tuple[list, list, str, str]:
    """The rows of the two runtimes `--environments A,B` names in one run, and their labels."""
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
    return (*([r for r, label in zip(rows, labels, strict=True) if label == name]
              for name in names), *(f"{args.run_a} · {name}" for name in names))


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
    """claims.md (and frameworks.md for a run over several frameworks), and the README's
    section of the last of them; the claims about Keras functions read the run's snippets.json
    when it has one, else run the snippets in this process."""
    from runner.report import aggregate
    from runner.report.markdown import splice_section
    from runner.report.tables import annotate, results_frame
    from runner.store.atomic import atomic_write
    from runner.tutorial import changes, claims

    df = annotate(results_frame(rows), run_dir)
    runs = saved_runs(run_dir, "table")  # written by `cheatgrid snippets --out RUN_DIR/...`
    sections = [("claims.md", claims.claims_markdown(df, runs), claims)]
    if aggregate.runtime_labels(df).nunique() > 1:
        sections.append(("frameworks.md", changes.frameworks_markdown(df), changes))
    for name, text, _ in sections:
        atomic_write(run_dir / name, text)
        print(run_dir / name)
    if readme:
        name, section, module = sections[-1]
        path = pathlib.Path(readme)
        try:
            text = splice_section(path.read_text(encoding="utf-8"), section,
                                  module.README_BEGIN, module.README_END)
        except (OSError, ValueError) as e:
            raise UsageError(f"--readme {path}: {e}") from None
        atomic_write(path, text)
        print(f"{path}: the section of {name} updated")


def frameworks(text: str | None) -> list[str]:
    """The frameworks of `--frameworks` (default: the installed ones), in the order given."""
    from runner.config.parse import framework_missing

    known = vocab.FRAMEWORKS.names
    if text is None:
        absent = framework_missing(known)
        return [n for n in known if n not in absent]
    names = [n.strip() for n in text.split(",") if n.strip()]
    for name in names or [text]:
        if name not in known:
            raise UsageError(f"Invalid value for '--frameworks': Expected names of "
                             f"{list(known)}. Received: {name!r}{did_you_mean(name, known)}")
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
    from runner.tutorial import snippet_table

    atomic_write(out, snippet_table.snippets_markdown(runs))
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
