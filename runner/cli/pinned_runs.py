"""A run over environments of pinned releases: its snippets in every runtime, and changes.md.

`cheatgrid grid` on a config with pinned environments runs the seeds' snippets in each of
its runtimes once training is done (those already in the run's snippets.json are kept),
then writes changes.md; `cheatgrid table` writes changes.md again from what is on disk.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any

from runner.config import Config
from runner.config.environments import CURRENT

CHANGES_FILE = "changes.md"
SNIPPETS_FILE = "snippets.md"


def pinned(rows: list[dict[str, Any]]) -> bool:
    """Whether a run's rows come from environments of pinned releases."""
    return any(row.get("environment") not in (None, CURRENT) for row in rows)


def run_snippets(run_dir: pathlib.Path, config: Config, log: Callable[[str], None]) -> None:
    """The snippets in each of a config's runtimes that the run's snippets.json lacks,
    into snippets.json and snippets.md."""
    from runner.store.atomic import atomic_write
    from runner.tutorial import snippet_table

    path = run_dir / pathlib.Path(SNIPPETS_FILE).with_suffix(".json")
    try:
        runs = snippet_table.load_runs(path) if path.is_file() else {}
    except ValueError:
        runs = {}  # not one `write_json` wrote: run them all again
    labels = [r.label for r in config.runtimes]
    runs = {label: run for label, run in runs.items() if label in labels and "failed" not in run}
    missing = [r for r in config.runtimes if r.label not in runs]
    if missing:
        from runner import environments

        launches, skipped = environments.prepare(missing, log)  # built already, or named
        names = [r.label for r in missing if r.environment not in skipped]
        log(f"running the snippets in {len(names)} runtime(s): {', '.join(names)}")
        runs.update(snippet_table.run_frameworks(names, launches=launches))
    runs = {label: runs[label] for label in labels if label in runs}
    snippet_table.write_json(runs, path)
    atomic_write(run_dir / SNIPPETS_FILE, snippet_table.snippets_markdown(runs))


def write_changes(run_dir: pathlib.Path, rows: list[dict[str, Any]]) -> pathlib.Path | None:
    """changes.md of a run over pinned environments, from its rows and snippets.json
    (without one, the snippets and the claims about Keras functions are left out)."""
    from runner.report.tables import annotate, results_frame
    from runner.store.atomic import atomic_write
    from runner.tutorial import changes, snippet_table

    if not pinned(rows):
        return None
    path = run_dir / "snippets.json"
    try:
        runs = snippet_table.load_runs(path) if path.is_file() else None
    except ValueError:
        runs = None
    text = changes.changes_markdown(annotate(results_frame(rows), run_dir), runs)
    if text is None:
        return None
    atomic_write(run_dir / CHANGES_FILE, text)
    return run_dir / CHANGES_FILE
