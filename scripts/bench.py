"""`make bench`: how far the grid is from its floor, measured in one run.

Writes results/bench/bench.json and prints a short table. All figures come from
this run on this machine; they are ratios of timings taken minutes apart on a
possibly busy machine, so read them as such.

  floor_seconds          one VGG16 pass over every image of the config (extraction only);
                         floor_bfloat16_seconds the same under backbone.precision bfloat16
  grid_seconds           the config end to end (prepare, features, heads, tables) in a
                         fresh process with an empty feature cache; grid_warm_seconds
                         the same again with the cache it filled; grid_bfloat16_seconds
                         cold with backbone.precision: bfloat16, and how its cells
                         differ from the float32 run (verdicts, accuracy)
  first_batch_seconds    from the start of the cold grid's process to its first batch of
                         VGG16 features
  tables_seconds         the cold grid's tables, heatmaps and report.html
  end_to_end_seconds_per_cell
                         the tutorial's way (VGG16 in the training loop, the test split
                         evaluated every epoch as its validation_data) for one cell:
                         first epoch + (epochs - 1) x second epoch, i.e. measured on two
                         full epochs and scaled to the cell's configured epochs
  cached_seconds_per_cell  grid_seconds / cells whose head trained
  peak_rss_mb            the cold grid's peak resident memory, its processes together
  frameworks_warm_seconds  configs/frameworks.yaml (four frameworks) end to end with a warm
                         feature cache, after one run that fills the caches it keeps
                         (features, JAX's compiled programs)
  scaling                the same matrix with 1, 5 and 20 seeds on a warm cache: seconds
                         per cell (the whole run over its cells) must stay flat; the
                         marginal seconds per cell (what each seed adds) beside them
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
FRAMEWORKS_CONFIG = "configs/frameworks.yaml"
PROCESS_START = time.perf_counter()  # the child's clock for time to the first feature batch
# The targets of issue 23 (and the earlier ones still held): (comparison, value).
TARGETS = {"grid_over_floor": ("<=", 1.2), "grid_warm_seconds": ("<=", 8.0),
           "bfloat16_grid_over_floor": ("<=", 1.3), "frameworks_warm_seconds": ("<=", 48.0),
           "first_batch_seconds": ("<=", 4.0), "tables_seconds": ("<=", 2.0),
           "peak_rss_mb": ("<=", 2048.0), "speedup_per_cell": (">=", 100.0),
           "seconds_per_cell_max": ("<=", 0.01), "seconds_per_cell_spread": ("<=", 0.2)}
# The cell timed the tutorial's way: Part B (the big part), the loss that trains best.
E2E_CELLS = ("mnist/integer/softmax/sparse_categorical_crossentropy/logits=false/accuracy",)


def _quiet() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from runner.train.backends import import_tensorflow

    import_tensorflow(verbose=False)
    import warnings

    warnings.simplefilter("ignore")


def _load(config_path: str, seeds: int | None = None, precision: str = "float32"):
    from runner.config import load_config

    config = load_config(config_path, (f"backbone.precision={precision}",))
    if seeds:
        training = dataclasses.replace(config.training, seeds=tuple(range(1, seeds + 1)))
        config = dataclasses.replace(config, training=training)
    return config


def child_grid(config_path: str, out: str, seeds: int | None, precision: str) -> dict:
    """Run one grid as `cheatgrid grid` does (supervisor + worker process); report its
    seconds, cells, when its first feature batch was done, its tables' seconds and the
    peak RSS of both processes."""
    import warnings

    warnings.simplefilter("ignore")
    from runner.execute.run import run_grid
    from runner.grid import expand
    from runner.report.html import write_tables

    first_batch: list[float] = []
    tables: list[float] = []

    def listen(what: str, done: int, total: int) -> None:
        if what.startswith("features") and done and not first_batch:
            first_batch.append(time.perf_counter() - PROCESS_START)

    def finish(run_dir: pathlib.Path, rows: list[dict]) -> None:
        begin = time.perf_counter()
        write_tables(run_dir, rows)
        tables.append(time.perf_counter() - begin)

    config = _load(config_path, seeds, precision)
    cells = expand(config)
    start = time.perf_counter()
    rows = run_grid(config, cells, pathlib.Path(out), command="bench", progress=False,
                    warn=lambda text: None, finish=finish, on_progress=listen)
    seconds = time.perf_counter() - start + (start - PROCESS_START)  # imports count too
    trained = sum(r["status"] == "ok" or r.get("phase") == "evaluate" for r in rows)
    supervisor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": seconds, "cells": len(rows), "trained_cells": trained,
            "first_batch_seconds": first_batch[0] if first_batch else None,
            "tables_seconds": tables[0], "peak_rss_mb": supervisor + worker,
            "supervisor_rss_mb": supervisor, "worker_rss_mb": worker}


def child_floor(config_path: str, precision: str) -> dict:
    """One VGG16 pass over every image the config uses (data loading timed apart)."""
    _quiet()
    from runner.data.arrays import load_dataset
    from runner.execute.prepare import prepare
    from runner.features.backbone import extract_features
    from runner.grid import expand

    config = _load(config_path, precision=precision)
    cells = expand(config)
    prepared = prepare(config, cells, use_cache=False)
    extract_features(prepared.backbone, load_dataset(  # warm-up: the first call builds
        config.datasets[0], prepared.sources[config.datasets[0].name]).test_images[:64])
    load = extract = 0.0
    images = 0
    for dataset in config.datasets:
        start = time.perf_counter()
        arrays = load_dataset(dataset, prepared.sources[dataset.name])
        load += time.perf_counter() - start
        for split in (arrays.train_images, arrays.test_images):
            start = time.perf_counter()
            extract_features(prepared.backbone, split)
            extract += time.perf_counter() - start
            images += len(split)
    return {"floor_seconds": extract, "load_seconds": load, "images": images,
            "device": prepared.placement.label, "weights": prepared.backbone.weights}


def _epoch_clock():
    """A Keras callback stamping the wall clock at the start and after every epoch."""
    import keras

    class EpochClock(keras.callbacks.Callback):
        """Wall-clock stamps at the start of training and the end of every epoch."""

        def __init__(self):
            super().__init__()
            self.stamps: list[float] = []

        def on_train_begin(self, logs=None):
            self.stamps.append(time.perf_counter())

        def on_epoch_end(self, epoch, logs=None):
            self.stamps.append(time.perf_counter())

    return EpochClock()


def child_end_to_end(config_path: str) -> dict:
    """Train sample cells the tutorial's way for two epochs; scale to their epochs."""
    _quiet()
    from runner.data.arrays import load_dataset
    from runner.execute.prepare import prepare
    from runner.grid import expand, find
    from runner.train.end_to_end import train_end_to_end

    config = _load(config_path)
    cells = expand(config)
    prepared = prepare(config, cells, use_cache=False)
    per_cell, samples = [], []
    for name in E2E_CELLS:
        cell = find(cells, name)
        two_epochs = dataclasses.replace(cell.training, epochs=2)
        arrays = load_dataset(config.dataset(cell.dataset), prepared.sources[cell.dataset])
        clock = _epoch_clock()  # epoch boundaries of the real fit, its test pass included
        train_end_to_end([dataclasses.replace(cell, training=two_epochs)], arrays,
                         prepared.backbone, False, cell.training.seeds[0], (clock,))
        first, second = (b - a for a, b in zip(clock.stamps, clock.stamps[1:], strict=False))
        scaled = first + (cell.training.epochs - 1) * second
        per_cell.append(scaled)
        samples.append({"cell": name, "epochs": cell.training.epochs,
                        "first_epoch_seconds": first, "second_epoch_seconds": second,
                        "scaled_seconds": scaled})
    return {"end_to_end_seconds_per_cell": sum(per_cell) / len(per_cell),
            "end_to_end_samples": samples}


def _child(kind: str, config: str, cache: str, *extra: str) -> dict:
    env = {**os.environ, "CHEATGRID_CACHE_DIR": cache}
    command = [sys.executable, __file__, "--child", kind, "--config", config, *extra]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"bench: child {kind} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/default.yaml")
    parser.add_argument("--out", default="results/bench/bench.json")
    parser.add_argument("--seeds", default="1,5,20", help="seed counts for the scaling run")
    parser.add_argument("--readme", help="write the figures of --out into this README's "
                        "bench section (with --no-measure: from the existing file)")
    parser.add_argument("--no-measure", action="store_true",
                        help="measure nothing; use the figures already in --out")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--run-dir", help=argparse.SUPPRESS)
    parser.add_argument("--n-seeds", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--precision", default="float32", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = {"grid": lambda: child_grid(args.config, args.run_dir, args.n_seeds,
                                             args.precision),
                  "floor": lambda: child_floor(args.config, args.precision),
                  "e2e": lambda: child_end_to_end(args.config)}[args.child]()
        print(json.dumps(result))
        return 0
    out = ROOT / args.out
    if not args.no_measure:
        before = json.loads(out.read_text(encoding="utf-8")) if out.is_file() else {}
        report = measure(args)
        report["before"] = {k: v for k, v in before.items() if not isinstance(v, (dict, list))}
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"bench: wrote {out}")
    report = json.loads(out.read_text(encoding="utf-8"))
    print(markdown(report))
    if args.readme:
        from runner.report.markdown import splice_section

        readme = pathlib.Path(args.readme)
        readme.write_text(splice_section(readme.read_text(encoding="utf-8"), markdown(report),
                                         README_BEGIN, README_END), encoding="utf-8")
        print(f"bench: {readme} updated")
    return 0


def measure(args: argparse.Namespace) -> dict:
    """Run every measurement, each in a fresh process; return the report."""
    with tempfile.TemporaryDirectory(prefix="cheatgrid-bench-") as tmp:
        cache, runs = f"{tmp}/cache", pathlib.Path(tmp)
        print("bench: floor (one VGG16 pass) ...", flush=True)
        floor = _child("floor", args.config, f"{tmp}/unused")
        floor16 = _child("floor", args.config, f"{tmp}/unused", "--precision", "bfloat16")
        print("bench: grid, cold cache ...", flush=True)
        cold = _child("grid", args.config, cache, "--run-dir", str(runs / "cold"))
        print("bench: grid, warm cache ...", flush=True)
        warm = _child("grid", args.config, cache, "--run-dir", str(runs / "warm"))
        print("bench: grid in bfloat16, cold cache ...", flush=True)
        cold16 = _child("grid", args.config, f"{tmp}/cache16", "--run-dir",
                        str(runs / "cold16"), "--precision", "bfloat16")
        changes = _precision_changes(runs / "cold", runs / "cold16")
        print("bench: the tutorial's way, one cell ...", flush=True)
        e2e = _child("e2e", args.config, f"{tmp}/unused")
        print("bench: four frameworks, twice (the second run is timed) ...", flush=True)
        for attempt in ("frameworks_first", "frameworks"):
            frameworks = _child("grid", FRAMEWORKS_CONFIG, cache, "--run-dir",
                                str(runs / attempt))
        scaling = []
        for n in (int(s) for s in args.seeds.split(",")):
            print(f"bench: scaling, {n} seed(s), warm cache ...", flush=True)
            run = _child("grid", args.config, cache, "--run-dir", str(runs / f"s{n}"),
                         "--n-seeds", str(n))
            scaling.append({"seeds": n, "cells": run["cells"], "seconds": run["seconds"],
                            "seconds_per_cell": run["seconds"] / run["cells"]})
    cached_per_cell = cold["seconds"] / cold["trained_cells"]
    per_cell = [s["seconds_per_cell"] for s in scaling]
    first, last = scaling[0], scaling[-1]
    report = {
        "config": args.config, "device": floor["device"], "weights": floor["weights"],
        "images": floor["images"], "floor_seconds": floor["floor_seconds"],
        "data_load_seconds": floor["load_seconds"], "grid_seconds": cold["seconds"],
        "grid_warm_seconds": warm["seconds"], "grid_over_floor":
            cold["seconds"] / floor["floor_seconds"], "cells": cold["cells"],
        "trained_cells": cold["trained_cells"],
        "end_to_end_seconds_per_cell": e2e["end_to_end_seconds_per_cell"],
        "end_to_end_samples": e2e["end_to_end_samples"],
        "cached_seconds_per_cell": cached_per_cell,
        "speedup_per_cell": e2e["end_to_end_seconds_per_cell"] / cached_per_cell,
        "peak_rss_mb": cold["peak_rss_mb"], "scaling": scaling,
        "seconds_per_cell_max": max(per_cell),
        "seconds_per_cell_spread": max(per_cell) / min(per_cell) - 1,
        "marginal_seconds_per_cell": (last["seconds"] - first["seconds"]) /
            max(last["cells"] - first["cells"], 1),
        "first_batch_seconds": cold["first_batch_seconds"],
        "tables_seconds": cold["tables_seconds"],
        "warm_seconds_per_cell": warm["seconds"] / warm["cells"],
        "floor_bfloat16_seconds": floor16["floor_seconds"],
        "grid_bfloat16_seconds": cold16["seconds"],
        "bfloat16_grid_over_floor": cold16["seconds"] / floor16["floor_seconds"],
        "bfloat16_changes": changes, "frameworks_warm_seconds": frameworks["seconds"],
        "frameworks_cells": frameworks["cells"],
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cpu_count": os.cpu_count()}
    return report


def _precision_changes(float32: pathlib.Path, bfloat16: pathlib.Path) -> dict:
    """How the bfloat16 run's cells differ from the float32 run's (`cheatgrid compare`)."""
    sys.path.insert(0, str(ROOT))
    from runner.report.compare import differences
    from runner.store import results as store

    rows_a = store.read_rows(float32 / store.RESULTS_FILE)
    rows_b = store.read_rows(bfloat16 / store.RESULTS_FILE)
    found = differences(rows_a, rows_b, "float32", "bfloat16")
    a = {(r["cell_id"], r["seed"]): r.get("test_metric") for r in rows_a}
    moves = [abs(r["test_metric"] - a[(r["cell_id"], r["seed"])]) for r in rows_b
             if isinstance(r.get("test_metric"), float) and
             isinstance(a.get((r["cell_id"], r["seed"])), float)]
    return {"cells": found.shared, "verdict_changes": len(found.verdicts),
            "status_changes": len(found.status), "beyond_noise": len(found.accuracy),
            "identical": found.identical,
            "mean_abs_metric_change": sum(moves) / len(moves) if moves else 0.0,
            "max_abs_metric_change": max(moves, default=0.0)}


README_BEGIN = "<!-- bench:begin (generated by scripts/bench.py) -->"
README_END = "<!-- bench:end -->"


def markdown(report: dict) -> str:
    """The figures as a Markdown table, beside the previous run's, with the targets."""
    before = report.get("before", {})
    changes = report.get("bfloat16_changes", {})
    rows = [("floor_seconds", f"VGG16 over {report['images']:,} images, {report['device']}"),
            ("grid_seconds", f"cold feature cache, {report['cells']} cells "
             f"({report['trained_cells']} with a trained head)"),
            ("grid_over_floor", "cold grid / float32 floor"),
            ("grid_warm_seconds", "warm feature cache: process start to report written"),
            ("floor_bfloat16_seconds", "the floor under backbone.precision: bfloat16"),
            ("grid_bfloat16_seconds", "cold, bfloat16: " + (
                f"{changes['verdict_changes']} verdict and {changes['status_changes']} status "
                f"changes, {changes['beyond_noise']} accuracy changes beyond noise, mean "
                f"|Δ metric| {changes['mean_abs_metric_change']:.4f} (max "
                f"{changes['max_abs_metric_change']:.4f}) against float32" if changes else "")),
            ("bfloat16_grid_over_floor", "cold bfloat16 grid / bfloat16 floor"),
            ("frameworks_warm_seconds", f"`{FRAMEWORKS_CONFIG}` "
             f"({report.get('frameworks_cells', 0):,} cells, four frameworks), warm"),
            ("first_batch_seconds", "cold grid: process start to the first feature batch"),
            ("tables_seconds", "cold grid: tables, heatmaps and report.html"),
            ("end_to_end_seconds_per_cell", "the tutorial's way, one cell, 2 epochs scaled "
             "to its own"),
            ("cached_seconds_per_cell", "cold grid / cells with a trained head"),
            ("speedup_per_cell", "the tutorial's way / cached"),
            ("seconds_per_cell_max", "the scaling runs' largest seconds per cell"),
            ("seconds_per_cell_spread", "largest / smallest seconds per cell - 1 (flat: 0)"),
            ("marginal_seconds_per_cell", "what a cell adds: (most seeds - 1 seed) / cells"),
            ("peak_rss_mb", "cold grid, supervisor + worker")]
    lines = [f"Measured {report['measured_at']} on {report['cpu_count']} CPU cores "
             f"(`{report['config']}`, weights `{report['weights']}`); the previous run's "
             "figures beside them.", "", "| figure | value | before | |", "|---|---|---|---|"]
    for key, note in rows:
        if report.get(key) is None:
            continue
        value, old = report[key], before.get(key)
        if key in TARGETS:
            op, target = TARGETS[key]
            met = value <= target if op == "<=" else value >= target
            note = f"{note}; " if note else ""
            note += f"target {op} {target:g}: {'met' if met else 'MISSED'}"
        shown_old = f"{old:,.3f}" if isinstance(old, (int, float)) else ""
        lines.append(f"| `{key}` | {value:,.3f} | {shown_old} | {note} |")
    for s in report["scaling"]:
        lines.append(f"| seconds per cell, {s['seeds']} seed(s) | {s['seconds_per_cell']:,.4f} "
                     f"| | {s['cells']:,} cells, warm cache, {s['seconds']:.1f} s in all |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
