"""How often `cheatgrid check`, before training, agrees with the grid: every cell of a run.

    python scripts/check_agreement.py                       # runs configs/default.yaml fresh
    python scripts/check_agreement.py --config configs/smoke.yaml --outputs
    python scripts/check_agreement.py --run-dir results/samples/default

Without --run-dir it runs the config's grid into a temporary directory first
(`cheatgrid grid CONFIG --out TMP`, the feature cache as usual). Each cell's head
is built as a user would (Input(512) -> Dense(units, activation)), compiled with
the cell's loss and metrics and checked on that dataset's training labels;
--outputs also checks each trained head's stored test outputs. Prints the agreement and
every disagreement; --json writes them.
"""

import argparse
import dataclasses
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterable
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from runner import vocab  # noqa: E402
from runner.check import check_model  # noqa: E402
from runner.config import load_config  # noqa: E402
from runner.data.arrays import load_dataset  # noqa: E402
from runner.data.pipeline import encode_labels  # noqa: E402
from runner.data.sources import resolve_source  # noqa: E402
from runner.store import results  # noqa: E402
from runner.train import backends, judge  # noqa: E402

FEATURES = 512  # VGG16's, what the grid's heads read
HEAD_COLUMNS = ("dataset", "encoding", "units", "activation", "loss", "from_logits")


@dataclasses.dataclass(frozen=True)
class Comparison:
    """One cell: the grid's verdict next to check's."""

    name: str
    grid: str
    check: str
    certainty: str | None
    why: str
    row: dict[str, Any]

    @property
    def agrees(self) -> bool:
        return self.grid == self.check


def cell_verdicts(rows: Iterable[dict[str, Any]], framework: str) -> dict[str, dict[str, Any]]:
    """One row per cell of `framework`, carrying the cell's verdict over its seeds (the
    first of error, degenerate, misleading, ok that any seed got, as the cheat table)."""
    cells: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row.get("framework", framework) != framework:
            continue
        row = {**row, "verdict": judge.verdict(row)}  # as the tables judge it (error rows: none)
        seen = cells.get(row["cell_id"])
        if seen is None or judge.VERDICTS.index(row["verdict"]) < judge.VERDICTS.index(
                seen["verdict"]):
            cells[row["cell_id"]] = row
    return cells


def _labels(run_dir: pathlib.Path, rows: list[dict[str, Any]]) -> dict[str, tuple]:
    config = load_config(run_dir / "config.yaml")
    labels = {}
    for dataset in config.datasets:
        arrays = load_dataset(dataset, resolve_source(dataset))
        ran = next((r for r in rows if r["dataset"] == dataset.name), None)
        if ran is not None and (ran.get("n_train"), ran.get("data_source")) != (
                arrays.n_train, arrays.source):
            raise RuntimeError(f"{dataset.name}: the run used {ran.get('n_train')} "
                               f"{ran.get('data_source')} images, this machine loads "
                               f"{arrays.n_train} {arrays.source}: not the same labels")
        labels[dataset.name] = (arrays.train_labels, arrays.test_labels)
    return labels


def _model(row: dict[str, Any], metrics: list[str], feature_dim: int, activation_only: bool):
    keras = backends.keras()
    act = vocab.ACTIVATIONS[row["activation"]].keras
    inputs = keras.Input((row["units"] if activation_only else feature_dim,))
    outputs = (keras.layers.Activation(act or "linear")(inputs) if activation_only
               else keras.layers.Dense(row["units"], activation=act)(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(row.get("learning_rate") or 0.001),
                  loss=vocab.LOSSES[row["loss"]].build(keras, bool(row["from_logits"])),
                  metrics=metrics)
    return model


def compare_run(run_dir: str | pathlib.Path, outputs: bool = False, progress=None,
                datasets: tuple[str, ...] | None = None) -> list[Comparison]:
    """Check every cell of a run of this process's framework and compare the verdicts.

    Args:
        run_dir: a grid run directory (config.yaml, results.jsonl, predictions/).
        outputs: check the trained heads' stored test outputs instead of checking
            before training.
        progress: called with (heads done, heads in all) after each head.
        datasets: only the cells of these datasets (default: all).

    Returns:
        One comparison per cell, in the run's order.
    """
    run_dir = pathlib.Path(run_dir)
    cells = cell_verdicts(results.read_rows(run_dir / results.RESULTS_FILE), backends.current())
    if datasets is not None:
        cells = {k: row for k, row in cells.items() if row["dataset"] in datasets}
    labels = _labels(run_dir, list(cells.values()))
    heads: dict[tuple, list[dict[str, Any]]] = {}
    for row in cells.values():
        heads.setdefault(tuple(row[c] for c in HEAD_COLUMNS), []).append(row)
    found = []
    for done, group in enumerate(heads.values(), start=1):
        first = group[0]
        train, test = labels[first["dataset"]]
        split = test if outputs else train
        encoded = encode_labels(split, first["encoding"], first["num_classes"], first["units"])
        logits = results.load_logits(run_dir, first["head_id"], int(first["seed"])) \
            if outputs else None
        if outputs and logits is None:  # the head failed to train: no outputs to judge
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Keras on the model as the user builds it
            model = _model(first, [r["metric"] for r in group], FEATURES, outputs)
        # with outputs, the model only applies the activation to a trained head's logits
        report = check_model(model, encoded, logits, label_source="the run's dataset",
                             trained=True if outputs else None)
        for row, metric in zip(group, report.metrics, strict=True):
            found.append(Comparison(row["name"], row["verdict"], metric.verdict,
                                    metric.certainty, metric.why, row))
        if progress is not None:
            progress(done, len(heads))
    return found


def summary(comparisons: list[Comparison]) -> dict[str, Any]:
    """Agreement in all, by check's certainty and by the grid's verdict."""
    def share(items: list[Comparison]) -> dict[str, int]:
        return {"agree": sum(c.agrees for c in items), "cells": len(items)}

    by_certainty = {str(k): share([c for c in comparisons if c.certainty == k])
                    for k in dict.fromkeys(c.certainty for c in comparisons)}
    by_verdict = {v: share([c for c in comparisons if c.grid == v]) for v in judge.VERDICTS}
    confusion = {f"grid {g} / check {k}": n for (g, k), n in sorted(
        _counts((c.grid, c.check) for c in comparisons).items()) if g != k}
    return {**share(comparisons), "by_certainty": by_certainty, "by_grid_verdict": by_verdict,
            "disagreements": confusion}


def _counts(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for pair in pairs:
        counts[pair] = counts.get(pair, 0) + 1
    return counts


def numbers(row: dict[str, Any]) -> str:
    """A grid row's measured numbers in a few words."""
    if row["status"] != "ok":
        return f"{row['error_type']} in {row['phase']}"
    value = row.get("test_metric")
    metric = f"{row['metric_resolved']} {value:.3f}, " if isinstance(value, float) else ""
    constant = ", constant" if row.get("constant_predictions") else ""
    return (f"{metric}reference {row['reference_accuracy']:.3f}, majority "
            f"{row['majority_rate']:.3f}{constant}")


def as_records(comparisons: list[Comparison]) -> list[dict[str, Any]]:
    """The comparisons as JSON-ready records."""
    return [{"name": c.name, "grid": c.grid, "check": c.check, "certainty": c.certainty,
             "agrees": c.agrees, "why": c.why, "grid_numbers": numbers(c.row)}
            for c in comparisons]



def _progress(done: int, heads: int) -> None:
    print(f"\r{done}/{heads} heads checked", end="\n" if done == heads else "",
          file=sys.stderr, flush=True)


def _print(found: list, basis: str, source: str) -> dict:
    shares = summary(found)
    print(f"\ncheck {basis} agrees with the grid on {shares['agree']} of {shares['cells']} "
          f"cells ({source})")
    for certainty, share in shares["by_certainty"].items():
        print(f"  check {certainty}: {share['agree']} of {share['cells']}")
    for verdict, share in shares["by_grid_verdict"].items():
        print(f"  grid {verdict}: {share['agree']} of {share['cells']}")
    for pair, count in shares["disagreements"].items():
        print(f"  {pair}: {count} cells")
    for c in found:
        if not c.agrees:
            print(f"{c.name}\n  grid {c.grid} ({numbers(c.row)})\n"
                  f"  check {c.check} ({c.certainty}): {c.why}")
    return {"summary": shares, "cells": as_records(found)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/default.yaml")
    parser.add_argument("--run-dir", help="an existing run directory (no grid is run)")
    parser.add_argument("--outputs", action="store_true",
                        help="also check the trained heads' stored test outputs")
    parser.add_argument("--dataset", action="append",
                        help="only this dataset's cells (repeatable; default: all)")
    parser.add_argument("--json", help="write the summaries and every comparison here")
    args = parser.parse_args()
    source = args.run_dir or f"{args.config}, run fresh"
    report = {}
    with tempfile.TemporaryDirectory(prefix="check-agreement-") as tmp:
        run_dir = pathlib.Path(args.run_dir or pathlib.Path(tmp) / "run")
        if args.run_dir is None:
            print(f"running the grid of {args.config} into {run_dir} ...", file=sys.stderr)
            subprocess.run([sys.executable, "-m", "runner", "grid", args.config, "--out",
                            str(run_dir), "--no-progress"], check=True)
        backends.import_tensorflow(verbose=False)
        datasets = tuple(args.dataset) if args.dataset else None
        found = compare_run(run_dir, progress=_progress, datasets=datasets)
        report["before_training"] = _print(found, "before training", source)
        if args.outputs:
            found = compare_run(run_dir, outputs=True, progress=_progress, datasets=datasets)
            report["outputs"] = _print(found, "on the trained heads' test outputs", source)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
