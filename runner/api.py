"""The Python API: `run` a grid as `cheatgrid grid` does (same code, files, stderr lines and
exceptions), `open_run` a finished one, and read a `Run` as DataFrames, or see it in a notebook.
"""

from __future__ import annotations

import functools
import html
import json
import os
import pathlib
from collections.abc import Mapping
from typing import Any

import pandas as pd

from runner.cli.commands import run_and_table, run_dir_of
from runner.cli.readers import read_run
from runner.config import Config, apply_settings, load_config, parse_config
from runner.config import quick as quick_config
from runner.errors import UsageError, did_you_mean
from runner.grid import expand
from runner.report.compare import differences
from runner.report.heatmaps import heatmap_name, heatmap_svg
from runner.report.highlights import TITLES, tally
from runner.report.html import findings_html
from runner.report.run_report import RunReport
from runner.report.tables import provenance, results_table
from runner.train.device import DEVICES


class Comparison(str):
    """What changed between two runs, as Markdown; a notebook renders it."""

    def _repr_markdown_(self) -> str:
        return str(self)


class Run:
    """A run directory's results: a table of rows, the cheat table, the findings.

    Attributes:
        path: the run directory (results.jsonl, results.csv, cheat_table.md, report.html,
            heatmap_<dataset>.svg).
    """

    def __init__(self, path: str | os.PathLike, rows: list[dict[str, Any]],
                 report: RunReport | None = None):
        self.path = pathlib.Path(path)
        self._rows = rows
        if report is not None:
            self.report = report

    @functools.cached_property
    def report(self) -> RunReport:
        """What every view is made from (the annotated rows, the cheat cells, ...), once."""
        return RunReport.read(self.path, self._rows)

    @property
    def results(self) -> pd.DataFrame:
        """results.csv as a DataFrame: one row per cell and seed, the documented columns
        (docs/outputs.md) first."""
        return results_table(self.report.rows)

    def cheat_table(self, dataset: str | None = None, metric: str | None = None,
                    ) -> pd.DataFrame:
        """The cheat table: rows metric, dataset, encoding, units, activation; columns the
        loss and from_logits; each entry the test metric (mean ± std over seeds), its
        verdict when not ok, its group of identical heads, or the error.

        Args:
            dataset: one dataset's rows only (a run over several frameworks names its
                sections 'mnist · jax').
            metric: one metric's rows only. With both, the table is laid out as that
                table of cheat_table.md.

        Raises:
            UsageError: a dataset or metric the run does not have.
        """
        table = self.report.table
        for level, value in (("metric", metric), ("dataset", dataset)):
            if value is None:
                continue
            have = list(dict.fromkeys(table.index.get_level_values(level)))
            if value not in have:
                raise UsageError(f"Invalid value for '{level}': Expected one of {have}. "
                                 f"Received: {level}={value!r}{did_you_mean(value, have)}")
            table = table.xs(value, level=level)
        return table

    @property
    def findings(self) -> list[str]:
        """What the run found, a line each, as cheat_table.md opens: the verdicts' tally,
        the metrics that misreport, the heads that never learn, the identical heads."""
        return [f"{TITLES[kind]}: {line}" for kind, lines in self.report.findings for line in lines]

    def compare(self, other: Run | str | os.PathLike) -> Comparison:
        """What changed from this run (A) to `other` (B), cell by cell, as `cheatgrid
        compare A B` writes it (written to no file).

        Raises:
            UsageError: `other` is not a run directory.
        """
        other = other if isinstance(other, Run) else open_run(other)
        return Comparison(differences(self._rows, other._rows, str(self.path),
                                      str(other.path)).markdown)

    def _repr_html_(self) -> str:
        """A notebook's view: what the run is, its findings, its heatmaps (inline SVG)."""
        facts = {k: html.escape(v) for k, v in provenance(self.report.shown).items()}
        pictures = [(self.path / heatmap_name(d)).read_text(encoding="utf-8")
                    if (self.path / heatmap_name(d)).is_file() else heatmap_svg(self.report, d)
                    for d in self.report.datasets]  # as written, else drawn now
        path = html.escape(str(self.path))
        return (f"<div><p><strong>cheatgrid run {facts['run']}</strong> in <code>{path}</code>: "
                f"Keras {facts['keras']} on {facts['framework']}, device {facts['device']}, "
                f"weights <code>{facts['weights']}</code>, seeds {facts['seeds']}. Every table: "
                f"<code>{path}/report.html</code>.</p>"
                f"{findings_html(self.report.findings)}{''.join(pictures)}</div>")

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r}: {tally(self.report.cells)})"


def _config(config: Any, settings: Mapping[str, Any] | None) -> Config:
    """The config `run` is given, with `set` applied as `--set` applies KEY=VALUE (as YAML)."""
    if settings is not None and not isinstance(settings, Mapping):
        raise UsageError(f"Invalid value for 'set': Expected a dict of config keys and values, "
                         f"e.g. {{'training.epochs': 5}}. Received: set={settings!r}")

    def plain(value: Any) -> Any:  # NumPy scalars and arrays
        if hasattr(value, "tolist"):
            return value.tolist()
        raise UsageError(f"Invalid value for 'set': Expected values YAML can hold (numbers, "
                         f"strings, booleans, lists, dicts). Received: {value!r}")

    sets = tuple(f"{key}={json.dumps(value, default=plain)}"
                 for key, value in (settings or {}).items())
    if isinstance(config, Mapping):
        raw = apply_settings(dict(config), sets, origin="config")
        return parse_config(raw, origin="config (with set)" if sets else "config")
    if isinstance(config, (str, os.PathLike)):
        return load_config(config, sets)
    raise UsageError(f"Invalid value for 'config': Expected a YAML file, a ready config's "
                     f"name or a dict. Received: config of type {type(config).__name__}")


def run(config: str | os.PathLike | Mapping[str, Any], *, set: Mapping[str, Any] | None = None,
        out: str | os.PathLike | None = None, quick: bool = False, progress: bool = True,
        device: str = "auto", use_cache: bool = True, force: bool = False,
        retry_errors: bool = False, executor: str = "local",
        ray_address: str | None = None) -> Run:
    """Run (or resume) a grid, as `cheatgrid grid` does, and return the run.

    Args:
        config: a YAML config file, the name of a ready config (`cheatgrid configs`:
            'smoke', 'default', ...), or a dict in the config's own shape.
        set: config keys to change, as `--set` takes them, e.g. {'training.epochs': 5,
            'datasets[0].max_train_samples': 256}; validated like the file.
        out: the run directory (default: results/<name>/ under the working directory).
            One that holds results of the same config is resumed.
        quick: at most 2 epochs, 512 training and 256 test images per dataset (`--quick`).
        progress: progress bars (tqdm.auto: widgets in Jupyter, text in a terminal).
        device: 'auto', 'cpu', 'gpu' or 'tpu' (`--device`; 'tpu' on a Colab TPU runtime).
        use_cache: read and write the feature cache (False: `--no-cache`).
        force: set earlier results aside (renamed, not deleted) and run every cell.
        retry_errors: when resuming, run the cells whose status is error again.
        executor, ray_address: 'local', or 'ray' on the cluster at `ray_address` (see
            docs/ray.md).

    Returns:
        The finished run.

    Raises:
        ConfigError: a config (or setting) that cannot be run as written.
        UsageError: a bad argument.
        ResourceUnavailable: device, weights or data cannot be had (nothing written).
        RunDirError: `out` is busy, unwritable or holds another config's results.
        RunAborted: results could not be written (what was written is kept).
        Interrupted: the kernel was interrupted; the finished cells are kept and tabled.
    """
    for name, value, allowed in (("device", device, DEVICES), ("executor", executor,
                                                                ("local", "ray"))):
        if value not in allowed:
            raise UsageError(f"Invalid value for '{name}': Expected one of {list(allowed)}. "
                             f"Received: {name}={value!r}")
    parsed = _config(config, set)
    parsed = quick_config(parsed) if quick else parsed
    run_dir = run_dir_of(parsed, out)
    named = "config" if isinstance(config, Mapping) else repr(str(config))
    command = (f"runner.run({named}, out={str(run_dir)!r}" +
               (f", set={dict(set)!r}" if set else "") + ", quick=True" * quick + ")")
    rows, tables = run_and_table(
        parsed, expand(parsed), run_dir, command=command, progress=progress,
        use_cache=use_cache, device=device, force=force, retry_errors=retry_errors,
        executor=executor, ray_address=ray_address)
    return Run(run_dir, rows, tables)


def open_run(path: str | os.PathLike) -> Run:
    """A finished (or interrupted) run, read from its directory's results.jsonl.

    Raises:
        UsageError: no results.jsonl there, or one without rows.
    """
    return Run(path, read_run(path, "open_run"))
