"""Command line: `cheatgrid grid | cell | table | compare` (also `python -m runner`).

Exit codes: 0 done (failed cells are results, not failures), 2 bad input
(config, flags, missing run directory), 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pathlib
import sys
import warnings
from collections.abc import Iterator
from typing import Any

from runner import catalog
from runner.config import (
    QUICK_EPOCHS,
    QUICK_TEST_SAMPLES,
    QUICK_TRAIN_SAMPLES,
    CheatgridWarning,
    Config,
    ConfigError,
    did_you_mean,
    load_config,
    parse_config,
)
from runner.config import quick as quick_config
from runner.device import DEVICES
from runner.grid import Cell, expand, find
from runner.rundir import RunDirError
from runner.supervisor import Interrupted, RunAborted
from runner.validate import ResourceUnavailable

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """Bad input from the command line; reported in one line, exit 2."""


def import_tensorflow(verbose: bool) -> None:
    """Import TensorFlow once, silencing its start-up chatter unless `verbose`.

    TF's C++ log level is read at import, and a few lines (oneDNN, CUDA probing)
    are printed before absl logging exists, whatever the level: those are kept
    off the terminal by pointing file descriptor 2 at /dev/null during the import.
    """
    if verbose:
        import tensorflow  # noqa: F401
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow as tf
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    tf.get_logger().setLevel("ERROR")  # e.g. retracing warnings between cells


@contextlib.contextmanager
def _warnings_shown(verbose: bool) -> Iterator[None]:
    """Our own warnings go to stderr as they happen, one line each; library warnings
    only if verbose."""
    def show(message, category, filename, lineno, file=None, line=None) -> None:
        if issubclass(category, CheatgridWarning):
            print(f"cheatgrid: warning: {message}", file=sys.stderr, flush=True)
        elif verbose:
            print(f"{category.__name__}: {message}", file=sys.stderr, flush=True)

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = show
        yield


def _load(args: argparse.Namespace) -> Config:
    config = load_config(args.config)
    return quick_config(config) if args.quick else config


def _cells(config: Config) -> list[Cell]:
    with _warnings_shown(verbose=False):
        return expand(config)


def _run_dir(config: Config, out: str | None) -> pathlib.Path:
    run_dir = pathlib.Path(out) if out else pathlib.Path("results") / config.name
    if run_dir.exists() and not run_dir.is_dir():
        raise UsageError(f"--out {run_dir}: Expected a directory. Received: a file")
    return run_dir


def cmd_grid(args: argparse.Namespace) -> int:
    config = _load(args)
    cells = _cells(config)
    if args.dry_run:
        for cell in cells:
            print(f"{cell.cell_id}  {cell.name}")
        groups = len({c.training_key for c in cells})
        print(f"{len(cells)} cells ({groups} trained heads) in {len(config.datasets)} "
              f"dataset(s); nothing trained, nothing written.")
        return 0
    run_dir = _run_dir(config, args.out)
    if args.ray_address is not None and args.executor != "ray":
        raise UsageError(f"--ray-address: Expected --executor ray with it. Received: "
                         f"--executor {args.executor}")
    if args.executor == "ray":
        from runner.ray_cluster import require_ray

        require_ray()
    from runner.supervisor import run_grid  # TensorFlow runs in its worker process

    with _warnings_shown(args.verbose):
        rows = run_grid(config, cells, run_dir, command=_command(args.out, run_dir),
                        progress=not args.no_progress, use_cache=not args.no_cache,
                        device=args.device, force=args.force, retry_errors=args.retry_errors,
                        executor=args.executor, ray_address=args.ray_address,
                        warn=lambda text: print(f"cheatgrid: {text}", file=sys.stderr,
                                                flush=True))
    ok = sum(r["status"] == "ok" for r in rows)
    print(f"{len(rows)} cells: {ok} ok, {len(rows) - ok} error. Tables in {run_dir}/ "
          f"(report.html, cheat_table.md, cheat_table.csv, results.csv, results.jsonl).")
    return 0


def _command(out: str | None, run_dir: pathlib.Path) -> str:
    """The command line that reruns (and so resumes) this run."""
    argv = [a for a in sys.argv[1:] if a not in ("--force", "--retry-errors")]
    if out is None and "--out" not in argv:
        argv += ["--out", str(run_dir)]
    return "cheatgrid " + " ".join(argv)


def _single_cell_config(args: argparse.Namespace) -> Config:
    missing = [flag for flag in ("encoding", "activation", "loss", "metric")
               if getattr(args, flag) is None]
    if missing:
        raise UsageError("cell: without a CONFIG, give --" + ", --".join(missing) +
                         " (or a CONFIG and --cell ID_OR_NAME)")
    dataset: dict[str, Any] = {"name": args.dataset, "source": "embedded"}
    for key in ("max_train_samples", "max_test_samples"):
        if getattr(args, key) is not None:
            dataset[key] = getattr(args, key)
    doc = {"name": "cell", "datasets": [dataset],
           "backbone": {"weights": args.weights},
           "grid": {"encoding": [args.encoding], "activation": [args.activation],
                    "loss": [args.loss], "from_logits": [args.from_logits],
                    "metric": [args.metric]}}
    return parse_config(doc, origin="command line")


def _with_training_flags(config: Config, args: argparse.Namespace) -> Config:
    raw = config.to_dict()
    for key in ("epochs", "batch_size", "learning_rate"):
        if getattr(args, key) is not None:
            raw["training"][key] = getattr(args, key)
    if args.seed is not None:
        raw["training"]["seeds"] = [args.seed]
    config = parse_config(raw, origin="command line")
    return quick_config(config) if args.quick else config


def cmd_cell(args: argparse.Namespace) -> int:
    if args.config:
        if not args.cell:
            raise UsageError("cell: with a CONFIG, give --cell ID_OR_NAME "
                             "(`cheatgrid grid CONFIG --dry-run` lists them)")
        config = _with_training_flags(load_config(args.config), args)
        cells = _cells(config)
        cell = find(cells, args.cell)
        if cell is None:
            hint = did_you_mean(args.cell, [c.name for c in cells])
            raise UsageError(f"--cell: Expected a cell id or name of {args.config}. "
                             f"Received: {args.cell!r}{hint}")
    else:
        config = _with_training_flags(_single_cell_config(args), args)
        cell = _cells(config)[0]
    import_tensorflow(args.verbose)
    from runner.execute import prepare, run_cells

    outcomes = []
    with _warnings_shown(args.verbose):
        prepared = prepare(config, [cell], not args.no_cache, args.device)
        rows = run_cells(config, [cell], prepared,
                         on_rows=lambda rows, outcome: outcomes.append(outcome))
    if args.out:
        from runner.report import write_tables
        from runner.rundir import RunDir

        run_dir = RunDir(args.out)
        run_dir.lock(_command(args.out, pathlib.Path(args.out)))
        try:
            run_dir.set_aside()
            run_dir.write_config(config)
            for row, outcome in zip(rows, outcomes, strict=True):
                run_dir.append([row], outcome.logits)
            write_tables(args.out, rows)
        finally:
            run_dir.release()
    _print_row(rows[0])
    return _verify(config, cell, rows[0], outcomes[0], prepared) if args.verify else 0


def _verify(config: Config, cell: Cell, row: dict[str, Any], outcome: Any,
            prepared: Any) -> int:
    """`--verify`: the composed tutorial model on raw images against the cached result;
    exit 1 on a mismatch."""
    from runner.data import load_dataset
    from runner.endtoend import verify

    if outcome.weights is None:
        print(f"verify: nothing to compose: the cell failed in {row['phase']}")
        return 0
    arrays = load_dataset(config.dataset(cell.dataset), prepared.sources[cell.dataset])
    lines = verify(cell, row, outcome.weights, outcome.logits, arrays, prepared.backbone,
                   row["seed"])
    for line in lines:
        print(f"verify: {line}")
    return 1 if any(line.startswith("MISMATCH") for line in lines) else 0


def _print_row(row: dict[str, Any]) -> None:
    keys = ("cell_id", "name", "status", "phase", "error_type", "error_message", "test_metric",
            "test_loss", "epochs", "train_seconds", "weights", "data_source", "n_train", "n_test")
    for key in keys:
        if row.get(key) is not None:
            print(f"{key:>14}: {row[key]}")


def cmd_table(args: argparse.Namespace) -> int:
    from runner import store
    from runner.report import write_tables

    results = pathlib.Path(args.run_dir) / store.RESULTS_FILE
    if not results.is_file():
        raise UsageError(f"table: Expected a run directory with {store.RESULTS_FILE}. "
                         f"Received: {args.run_dir}")
    with _warnings_shown(verbose=False):
        rows = store.read_rows(results)
    if not rows:
        raise UsageError(f"table: {results} holds no result rows")
    if args.claims or args.readme:  # first, so that report.html embeds the new claims.md
        import_tensorflow(verbose=False)  # one claim asks Keras itself
        _write_claims(pathlib.Path(args.run_dir), rows, args.readme)
    for path in write_tables(args.run_dir, rows).values():
        print(path)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from runner import store
    from runner.compare import compare_runs
    from runner.report import atomic_write

    runs = []
    for run_dir in (args.run_a, args.run_b):
        results = pathlib.Path(run_dir) / store.RESULTS_FILE
        if not results.is_file():
            raise UsageError(f"compare: Expected a run directory with {store.RESULTS_FILE}. "
                             f"Received: {run_dir}")
        with _warnings_shown(verbose=False):
            runs.append(store.read_rows(results))
        if not runs[-1]:
            raise UsageError(f"compare: {results} holds no result rows")
    out = pathlib.Path(args.out) if args.out else (
        pathlib.Path(args.run_b) / f"compare_{pathlib.Path(args.run_a).resolve().name}.md")
    if out.is_dir() or not out.parent.is_dir():
        raise UsageError(f"--out: Expected a file path in an existing directory. "
                         f"Received: {out}")
    text = compare_runs(runs[0], runs[1], label_a=args.run_a, label_b=args.run_b)
    sys.stdout.write(text)
    atomic_write(out, text)
    print(f"cheatgrid: wrote {out}", file=sys.stderr)  # stdout stays pure Markdown
    return 0


def _write_claims(run_dir: pathlib.Path, rows: list[dict[str, Any]], readme: str | None) -> None:
    from runner.claims import claims_markdown, splice_readme
    from runner.report import annotate, atomic_write, results_frame

    section = claims_markdown(annotate(results_frame(rows), run_dir))
    atomic_write(run_dir / "claims.md", section)
    print(run_dir / "claims.md")
    if readme:
        path = pathlib.Path(readme)
        try:
            text = splice_readme(path.read_text(encoding="utf-8"), section)
        except (OSError, ValueError) as e:
            raise UsageError(f"--readme {path}: {e}") from None
        atomic_write(path, text)
        print(f"{path}: claims section updated")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cheatgrid", description="Train every label-encoding x activation x loss x "
        "metric cell on a frozen VGG16 and write a cheat table.")
    sub = parser.add_subparsers(dest="command", required=True)

    grid = sub.add_parser("grid", help="run every cell of a config")
    grid.add_argument("config", help="YAML grid config, e.g. configs/default.yaml")
    grid.add_argument("--out", help="run directory (default: results/<name>/)")
    grid.add_argument("--dry-run", action="store_true", help="list the cells, train nothing")
    grid.add_argument("--no-progress", action="store_true", help="no progress bar")
    grid.add_argument("--force", action="store_true",
                      help="set earlier results aside (renamed, not deleted), run every cell")
    grid.add_argument("--retry-errors", action="store_true",
                      help="when resuming, run the cells whose status is error again")
    grid.add_argument("--executor", default="local", choices=("local", "ray"),
                      help="local: a worker process here; ray: tasks on a Ray cluster "
                      "(the 'ray' extra)")
    grid.add_argument("--ray-address", metavar="auto|HOST:PORT",
                      help="the Ray cluster to use (default: start Ray on this machine)")
    grid.set_defaults(func=cmd_grid)

    cell = sub.add_parser("cell", help="run one cell and print its result")
    cell.add_argument("config", nargs="?", help="YAML config holding the cell")
    cell.add_argument("--cell", help="cell id (or 6+ leading digits) or name")
    cell.add_argument("--dataset", default="mnist", choices=sorted(catalog.DATASETS))
    cell.add_argument("--encoding", choices=catalog.ENCODINGS)
    cell.add_argument("--activation", choices=catalog.ACTIVATIONS)
    cell.add_argument("--loss", choices=catalog.LOSSES + tuple(catalog.LOSS_ALIASES))
    cell.add_argument("--metric", choices=catalog.METRICS + tuple(catalog.METRIC_ALIASES))
    cell.add_argument("--from-logits", action="store_true", help="loss(from_logits=True)")
    cell.add_argument("--weights", default="random", help="imagenet | random | auto | a file")
    cell.add_argument("--max-train-samples", type=int)
    cell.add_argument("--max-test-samples", type=int)
    cell.add_argument("--epochs", type=int)
    cell.add_argument("--batch-size", type=int)
    cell.add_argument("--learning-rate", type=float)
    cell.add_argument("--seed", type=int)
    cell.add_argument("--out", help="also write the run files into this directory")
    cell.add_argument("--verify", action="store_true",
                      help="compose the frozen base and the trained head into the tutorial's "
                      "model, evaluate it on the raw test images, compare (exit 1 if not)")
    cell.set_defaults(func=cmd_cell)

    table = sub.add_parser("table", help="rebuild the tables of a run from results.jsonl")
    table.add_argument("run_dir", help="a run directory, e.g. results/default")
    table.add_argument("--claims", action="store_true",
                       help="also check the tutorial's claims against the run (claims.md)")
    table.add_argument("--readme", help="write the claims into this README's claims section")
    table.set_defaults(func=cmd_table)

    compare = sub.add_parser("compare", help="what changed between two runs, cell by cell")
    compare.add_argument("run_a", help="the first run directory (A)")
    compare.add_argument("run_b", help="the second run directory (B)")
    compare.add_argument("--out", help="Markdown file (default: RUN_B/compare_<RUN_A name>.md)")
    compare.set_defaults(func=cmd_compare)

    for p in (grid, cell):
        p.add_argument("--device", default="auto", choices=DEVICES,
                       help="auto: a TPU, else the GPUs (several: mirrored), else the CPU")
        p.add_argument("--no-cache", action="store_true",
                       help="neither read nor write the feature cache ($CHEATGRID_CACHE_DIR)")
        p.add_argument("--quick", action="store_true",
                       help=f"at most {QUICK_EPOCHS} epochs, {QUICK_TRAIN_SAMPLES} train and "
                       f"{QUICK_TEST_SAMPLES} test images per dataset")
        p.add_argument("--verbose", action="store_true", help="show Keras and TF output")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `cheatgrid` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ConfigError, UsageError, ResourceUnavailable, RunDirError) as e:
        print(f"cheatgrid: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except RunAborted as e:
        print(f"cheatgrid: error: {e}", file=sys.stderr)
        return 1
    except Interrupted as e:
        print(f"cheatgrid: interrupted; to resume: {e}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print("cheatgrid: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
