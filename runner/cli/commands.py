"""The subcommands that run Keras here: `cheatgrid grid | cell | check`, and `run_and_table`,
which the Python API shares."""

from __future__ import annotations

import argparse
import pathlib
import sys
from typing import Any

from runner.cli.readers import run_snippets, warnings_shown, write_changes
from runner.config import Config, apply_settings, load_config, parse_config
from runner.config import quick as quick_config
from runner.errors import UsageError, did_you_mean
from runner.grid import Cell, expand, find

_FLAGS = ("encoding", "classes", "activation", "loss", "metric")  # check needs without a model


def _tables(run_dir: pathlib.Path, rows: list[dict[str, Any]]) -> Any:
    """Write a run's tables; returns the `RunReport` they were written from."""
    from runner.report.html import write_report
    from runner.report.run_report import RunReport  # pandas: only when needed

    report = RunReport.read(run_dir, rows)
    write_report(report, run_dir)
    return report


def _cells(config: Config) -> list[Cell]:
    with warnings_shown(verbose=False):
        return expand(config)


def run_dir_of(config: Config, out: str | pathlib.Path | None) -> pathlib.Path:
    """Where a run goes: `out`, else results/<name>/ under the working directory."""
    run_dir = pathlib.Path(out) if out else pathlib.Path("results") / config.name
    if run_dir.exists() and not run_dir.is_dir():
        raise UsageError(f"--out {run_dir}: Expected a directory. Received: a file")
    return run_dir


def cmd_grid(args: argparse.Namespace) -> int:
    config = load_config(args.config, tuple(args.set))
    config = quick_config(config) if args.quick else config
    cells = _cells(config)
    if args.dry_run:
        for cell in cells:
            print(f"{cell.cell_id}  {cell.name}")
        groups = len({c.head_id for c in cells})
        print(f"{len(cells)} cells ({groups} trained heads) in {len(config.datasets)} "
              f"dataset(s); nothing trained, nothing written.")
        return 0
    run_dir = run_dir_of(config, args.out)
    rows, tables = run_and_table(
        config, cells, run_dir, command=_command(args.out, run_dir),
        progress=not args.no_progress, use_cache=not args.no_cache, device=args.device,
        force=args.force, retry_errors=args.retry_errors, executor=args.executor,
        ray_address=args.ray_address, verbose=args.verbose)
    from runner.report.compare import find_sample, summary_lines

    sample = find_sample(config.name, config.source_path)
    for line in summary_lines(tables, run_dir, rows, sample):
        print(f"cheatgrid: {line}")
    return 0


def run_and_table(config: Config, cells: list[Cell], run_dir: pathlib.Path, *, command: str,
                  progress: bool = True, use_cache: bool = True, device: str = "auto",
                  force: bool = False, retry_errors: bool = False, executor: str = "local",
                  ray_address: str | None = None, verbose: bool = False,
                  ) -> tuple[list[dict[str, Any]], Any]:
    """Run (or resume) a grid into `run_dir` and write its tables, as `cheatgrid grid` does
    (its lines to stderr); returns the rows and the `RunReport` of the tables."""
    if ray_address is not None and executor != "ray":
        raise UsageError(f"--ray-address: Expected --executor ray with it. Received: "
                         f"--executor {executor}")
    pinned = [r.environment for r in config.runtimes if r.pins is not None]
    if executor == "ray":
        if pinned:
            raise UsageError(f"--executor ray: Expected environments of this Python only "
                             f"(Ray's workers run its interpreter). Received: {pinned[0]} in "
                             "`environments`; run it with --executor local")
        from runner.execute.ray.cluster import require_ray

        require_ray()
    from runner.execute.run import run_grid  # TensorFlow runs in its worker process

    written: list[Any] = []

    def warn(text: str) -> None:
        print(f"cheatgrid: {text}", file=sys.stderr, flush=True)

    with warnings_shown(verbose):
        rows = run_grid(config, cells, run_dir, command=command, progress=progress,
                        use_cache=use_cache, device=device, force=force,
                        retry_errors=retry_errors, executor=executor, ray_address=ray_address,
                        finish=lambda path, rows: written.append(_tables(path, rows)),
                        warn=warn)
        if pinned:  # the snippets in every runtime, then what changed when
            run_snippets(run_dir, config, warn)
            if write_changes(run_dir, rows) is not None:
                written.append(_tables(run_dir, rows))  # report.html embeds it
    return rows, written[-1]


def _command(out: str | None, run_dir: pathlib.Path) -> str:
    """The command line that reruns (and so resumes) this run."""
    argv = [a for a in sys.argv[1:] if a not in ("--force", "--retry-errors")]
    if out is None and "--out" not in argv:
        argv += ["--out", str(run_dir)]
    return "cheatgrid " + " ".join(argv)


def _given(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def _cell_config(args: argparse.Namespace) -> Config:
    """The config of `cheatgrid cell`: a ready one or the flags', with the training flags."""
    if args.config:
        raw = load_config(args.config, tuple(args.set)).to_dict()
    else:
        missing = [flag for flag in ("encoding", "activation", "loss", "metric")
                   if getattr(args, flag) is None]
        if missing:
            raise UsageError("cell: without a CONFIG, give --" + ", --".join(missing) +
                             " (or a CONFIG and --cell ID_OR_NAME)")
        dataset = {"name": args.dataset, "source": "embedded",
                   **_given(args, "max_train_samples", "max_test_samples")}
        doc = {"name": "cell", "datasets": [dataset], "backbone": {"weights": args.weights},
               "grid": {"encoding": [args.encoding], "activation": [args.activation],
                        "loss": [args.loss], "from_logits": [args.from_logits],
                        "metric": [args.metric]}}
        raw = parse_config(apply_settings(doc, tuple(args.set), "command line"),
                           origin="command line").to_dict()
    raw["training"].update(_given(args, "epochs", "batch_size", "learning_rate"))
    if args.seed is not None:
        raw["training"]["seeds"] = [args.seed]
    config = parse_config(raw, origin="command line")
    return quick_config(config) if args.quick else config


def cmd_cell(args: argparse.Namespace) -> int:
    if args.config and not args.cell:
        raise UsageError("cell: with a CONFIG, give --cell ID_OR_NAME "
                         "(`cheatgrid grid CONFIG --dry-run` lists them)")
    config = _cell_config(args)
    cells = _cells(config)
    cell = find(cells, args.cell) if args.config else cells[0]
    if cell is None:
        hint = did_you_mean(args.cell, [c.name for c in cells])
        raise UsageError(f"--cell: Expected a cell id or name of {args.config}. "
                         f"Received: {args.cell!r}{hint}")
    from runner.execute.prepare import prepare, run_cells
    from runner.train.backends import import_tensorflow

    import_tensorflow(args.verbose)
    outcomes = []
    with warnings_shown(args.verbose):
        prepared = prepare(config, [cell], not args.no_cache, args.device)
        rows = run_cells(config, [cell], prepared,
                         on_rows=lambda rows, outcome: outcomes.append(outcome))
    if args.out:
        from runner.store.rundir import RunDir

        run_dir = RunDir(args.out)
        run_dir.lock(_command(args.out, pathlib.Path(args.out)))
        try:
            run_dir.set_aside()
            run_dir.write_config(config.to_dict())
            for row, outcome in zip(rows, outcomes, strict=True):
                run_dir.append([row], outcome.logits)
            _tables(pathlib.Path(args.out), rows)
        finally:
            run_dir.release()
    for key in ("cell_id", "name", "status", "phase", "error_type", "error_message",
                "test_metric", "test_loss", "reference_accuracy", "hamming_accuracy", "verdict",
                "epochs", "train_seconds", "weights", "data_source", "n_train", "n_test"):
        if rows[0].get(key) is not None:
            print(f"{key:>14}: {rows[0][key]}")
    return _verify(config, cell, rows[0], outcomes[0], prepared) if args.verify else 0


def _verify(config: Config, cell: Cell, row: dict[str, Any], outcome: Any,
            prepared: Any) -> int:
    """`--verify`: the composed tutorial model on raw images against the cached result; exit
    1 on a mismatch."""
    from runner.data.arrays import load_dataset
    from runner.train.end_to_end import verify

    if outcome.weights is None:
        print(f"verify: nothing to compose: the cell failed in {row['phase']}")
        return 0
    arrays = load_dataset(config.dataset(cell.dataset), prepared.sources[cell.dataset],
                          config.backbone.input_size)
    lines = verify(cell, row, outcome.weights, outcome.logits, arrays,
                   prepared.backbones[cell.backbone], row["seed"])
    for line in lines:
        print(f"verify: {line}")
    return 1 if any(line.startswith("MISMATCH") for line in lines) else 0


def cmd_check(args: argparse.Namespace) -> int:
    """Run the check and print its report; 0 when every verdict is ok, else 1."""
    given = list(_given(args, *_FLAGS, "units"))
    if args.model is not None:
        if given or args.from_logits:
            raise UsageError(f"check: Expected either MODEL with --labels or the flags "
                             f"{['--' + f for f in _FLAGS]}. Received: MODEL and "
                             f"{['--' + f.replace('_', '-') for f in given] or ['--from-logits']}")
        if args.labels is None:
            raise UsageError("check: Expected --labels LABELS.npy with MODEL. Received: none")
    else:
        missing = [f"--{name}" for name in _FLAGS if getattr(args, name) is None]
        if missing:
            raise UsageError(f"check: Expected MODEL --labels LABELS.npy, or the flags "
                             f"{missing}. Received: neither")
        if args.labels or args.inputs:
            raise UsageError("check: Expected --labels and --inputs with MODEL only. Received: "
                             "them without a model")
    from runner.train.backends import import_tensorflow

    import_tensorflow(verbose=False)
    from runner.check import check_flags, check_model, load_array, load_model_file

    if args.model is None:
        report = check_flags(args.encoding, args.classes, args.activation, args.loss,
                             args.from_logits, args.metric, units=args.units)
    else:
        labels = load_array(args.labels, "--labels")
        inputs = load_array(args.inputs, "--inputs") if args.inputs else None
        report = check_model(load_model_file(args.model), labels, inputs,
                             label_source=args.labels)
    print(report.to_json() if args.format == "json" else report.text(), end="" if
          args.format == "text" else "\n")
    return report.exit_code
