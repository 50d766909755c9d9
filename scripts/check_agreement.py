"""How often `cheatgrid check`, before training, agrees with the grid: every cell of a run.

    python scripts/check_agreement.py                       # runs configs/default.yaml fresh
    python scripts/check_agreement.py --config configs/smoke.yaml --outputs
    python scripts/check_agreement.py --run-dir results/samples/default

Without --run-dir it runs the config's grid into a temporary directory first
(`cheatgrid grid CONFIG --out TMP`, the feature cache as usual). Each cell's head
is built as a user would (Input(512) -> Dense(units, activation)), compiled with
the cell's loss and metrics and checked on that dataset's training labels
(`runner.check.agreement`); --outputs also checks each trained head's stored test
outputs. Prints the agreement and every disagreement; --json writes them.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _progress(done: int, heads: int) -> None:
    print(f"\r{done}/{heads} heads checked", end="\n" if done == heads else "",
          file=sys.stderr, flush=True)


def _print(found: list, basis: str, source: str) -> dict:
    from runner.check import agreement

    summary = agreement.summary(found)
    print(f"\ncheck {basis} agrees with the grid on {summary['agree']} of {summary['cells']} "
          f"cells ({source})")
    for certainty, share in summary["by_certainty"].items():
        print(f"  check {certainty}: {share['agree']} of {share['cells']}")
    for verdict, share in summary["by_grid_verdict"].items():
        print(f"  grid {verdict}: {share['agree']} of {share['cells']}")
    for pair, count in summary["disagreements"].items():
        print(f"  {pair}: {count} cells")
    for c in found:
        if not c.agrees:
            print(f"{c.name}\n  grid {c.grid} ({agreement.numbers(c.row)})\n"
                  f"  check {c.check} ({c.certainty}): {c.why}")
    return {"summary": summary, "cells": agreement.as_records(found)}


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
    results = {}
    with tempfile.TemporaryDirectory(prefix="check-agreement-") as tmp:
        run_dir = pathlib.Path(args.run_dir or pathlib.Path(tmp) / "run")
        if args.run_dir is None:
            print(f"running the grid of {args.config} into {run_dir} ...", file=sys.stderr)
            subprocess.run([sys.executable, "-m", "runner", "grid", args.config, "--out",
                            str(run_dir), "--no-progress"], check=True)
        from runner.check import agreement
        from runner.train import backends

        backends.import_tensorflow(verbose=False)
        datasets = tuple(args.dataset) if args.dataset else None
        found = agreement.compare_run(run_dir, progress=_progress, datasets=datasets)
        results["before_training"] = _print(found, "before training", source)
        if args.outputs:
            found = agreement.compare_run(run_dir, outputs=True, progress=_progress,
                                          datasets=datasets)
            results["outputs"] = _print(found, "on the trained heads' test outputs", source)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
