"""Command line: `cheatgrid grid | cell | table | compare | configs | check | snippets` (also
`python -m runner`). Exit codes: 0 done (failed cells are results), 1 results not written,
`--verify` or check found a problem, or stdout's reader left early; 2 bad input; 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys

from runner import errors, vocab
from runner.cli import commands, readers
from runner.config import QUICK_EPOCHS, QUICK_TEST_SAMPLES, QUICK_TRAIN_SAMPLES
from runner.train.device import DEVICES

_LOSSES = vocab.LOSSES.names + tuple(vocab.LOSSES.aliases)
_METRICS = vocab.METRICS.names + tuple(vocab.METRICS.aliases)


def build_parser() -> argparse.ArgumentParser:
    """Every subcommand's parser (imports no TensorFlow)."""
    parser = argparse.ArgumentParser(
        prog="cheatgrid", description="Train every label-encoding x activation x loss x "
        "metric cell on a frozen VGG16 and write a cheat table.")
    sub = parser.add_subparsers(dest="command", required=True)

    grid = sub.add_parser("grid", help="run every cell of a config")
    grid.add_argument("config", help="a YAML grid config file, or a ready config's name "
                      "(`cheatgrid configs`), e.g. smoke or default")
    grid.add_argument("--out", help="run directory (default: results/<name>/ under the "
                      "working directory)")
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
    grid.set_defaults(func=commands.cmd_grid)

    cell = sub.add_parser("cell", help="run one cell and print its result")
    cell.add_argument("config", nargs="?", help="the config holding the cell: a YAML file or "
                      "a ready config's name")
    cell.add_argument("--cell", help="cell id (or 6+ leading digits) or name")
    cell.add_argument("--dataset", default="mnist", choices=sorted(vocab.DATASETS.names))
    for flag, choices in (("--encoding", vocab.ENCODINGS.names), ("--activation",
                          vocab.ACTIVATIONS.names), ("--loss", _LOSSES), ("--metric", _METRICS)):
        cell.add_argument(flag, choices=choices)
    cell.add_argument("--from-logits", action="store_true", help="loss(from_logits=True)")
    cell.add_argument("--weights", default="random", help="imagenet | random | auto | a file")
    for flag, kind in (("--max-train-samples", int), ("--max-test-samples", int),
                       ("--epochs", int), ("--batch-size", int), ("--learning-rate", float),
                       ("--seed", int)):
        cell.add_argument(flag, type=kind)
    cell.add_argument("--out", help="also write the run files into this directory")
    cell.add_argument("--verify", action="store_true",
                      help="compose the frozen base and the trained head into the tutorial's "
                      "model, evaluate it on the raw test images, compare (exit 1 if not)")
    cell.set_defaults(func=commands.cmd_cell)

    table = sub.add_parser("table", help="rebuild the tables of a run from results.jsonl")
    table.add_argument("run_dir", help="a run directory, e.g. results/default")
    table.add_argument("--claims", action="store_true",
                       help="also check the tutorial's claims against the run (claims.md)")
    table.add_argument("--readme", help="write the claims into this README's claims section")
    table.set_defaults(func=readers.cmd_table)

    compare = sub.add_parser("compare", help="what changed between two runs, or two "
                             "environments of one run, cell by cell")
    compare.add_argument("run_a", help="the first run directory (A)")
    compare.add_argument("run_b", nargs="?", help="the second run directory (B); none with "
                         "--environments")
    compare.add_argument("--environments", metavar="A,B", help="compare two environments (or "
                         "frameworks) of RUN_A, e.g. keras3.4.1-jax,keras3.5.0-jax")
    compare.add_argument("--out", help="Markdown file (default: RUN_B/compare_<RUN_A name>.md; "
                         "with --environments, RUN_A/compare_<A>_vs_<B>.md)")
    compare.set_defaults(func=readers.cmd_compare)
    configs = sub.add_parser("configs", help="the ready configs that ship with cheatgrid",
                             description="List the ready configs, a line each; with a NAME, "
                             "print its YAML (to start your own: cheatgrid configs smoke > "
                             "mine.yaml).")
    configs.add_argument("name", nargs="?", help="a ready config's name")
    configs.set_defaults(func=readers.cmd_configs)

    check = sub.add_parser(
        "check", help="check a model's compile(...) against its labels, before it trains",
        description="Check a compiled model (or a configuration given by flags) against the "
        "cheat table: the label encoding, the head's verdict (error / degenerate / impaired / "
        "ok), the metric each name resolves to and its verdict (error / degenerate / "
        "misleading / ok), with the fix and the sample cell as evidence. Exit 0: every "
        "verdict ok; 1: any other verdict; 2: bad input.")
    check.add_argument("model", nargs="?",
                       help="a saved Keras 3 .keras model (loaded in safe mode)")
    check.add_argument("--labels", metavar="LABELS.npy",
                       help="the labels it is fitted on (.npy, read without pickle)")
    check.add_argument("--inputs", metavar="INPUTS.npy",
                       help="inputs for the same rows: judge the (trained) model's own outputs")
    check.add_argument("--format", default="text", choices=("text", "json"))
    activations = vocab.ACTIVATIONS.names + tuple(vocab.ACTIVATIONS.aliases)
    for flag, help, kwargs in (
            ("--encoding", "the label encoding", {"choices": vocab.ENCODINGS.names}),
            ("--classes", "classes (or labels)", {"type": int}),
            ("--units", "output units (default: the tutorial's, 1 for binary integer labels, "
             "else one per class)", {"type": int}),
            ("--activation", "the last activation", {"choices": activations}),
            ("--loss", "the loss", {"choices": _LOSSES}),
            ("--from-logits", "loss(from_logits=True)", {"action": "store_true"}),
            ("--metric", "a compiled metric (repeatable)", {"action": "append",
                                                             "choices": _METRICS})):
        check.add_argument(flag, help=f"without a model: {help}", **kwargs)
    check.set_defaults(func=commands.cmd_check)

    snippets = sub.add_parser(
        "snippets", help="run the seeds' code snippets on each framework, against what the "
        "seeds printed")
    snippets.add_argument("--frameworks", metavar="NAME[,NAME...]",
                          help=f"comma-separated, of {', '.join(vocab.FRAMEWORKS.names)} "
                          "(default: every installed one)")
    snippets.add_argument("--out", default=readers.DEFAULT_OUT,
                          help=f"the Markdown file to write (default: {readers.DEFAULT_OUT}); "
                          "snippets.json goes beside it. In a run directory, `cheatgrid table "
                          "RUN_DIR` embeds it in report.html and `--claims` reads the JSON")
    snippets.set_defaults(func=readers.cmd_snippets)

    for p in (grid, cell):
        p.add_argument("--device", default="auto", choices=DEVICES,
                       help="auto: a TPU, else the GPUs (several: mirrored), else the CPU")
        p.add_argument("--no-cache", action="store_true",
                       help="neither read nor write the feature cache ($CHEATGRID_CACHE_DIR)")
        p.add_argument("--quick", action="store_true",
                       help=f"at most {QUICK_EPOCHS} epochs, {QUICK_TRAIN_SAMPLES} train and "
                       f"{QUICK_TEST_SAMPLES} test images per dataset")
        p.add_argument("--verbose", action="store_true", help="show Keras and TF output")
        p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override a config key, e.g. training.epochs=5 (repeatable; "
                       "validated like the file)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `cheatgrid` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (errors.ConfigError, errors.UsageError, errors.ResourceUnavailable,
            errors.RunDirError, errors.RunAborted) as e:
        print(f"cheatgrid: error: {e}", file=sys.stderr)
        return 1 if isinstance(e, errors.RunAborted) else 2
    except (errors.Interrupted, KeyboardInterrupt) as e:
        resume = f"; to resume: {e}" if isinstance(e, errors.Interrupted) else ""
        print(f"cheatgrid: interrupted{resume}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `cheatgrid configs | head`: the reader is gone
        # stdout to /dev/null, or Python's own flush at exit raises again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
