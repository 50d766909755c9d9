"""Run a grid into a run directory without ever losing a finished cell: lock it, skip the
cells already done (same cell id, seed and settings hash), run the rest on an executor."""

from __future__ import annotations

import pathlib
import shutil
import warnings
from collections.abc import Callable
from typing import Any

from runner.config import Config
from runner.config.environments import CURRENT
from runner.errors import Interrupted, ResourceUnavailable, RunAborted, RunDirError, WorkerGone
from runner.execute.local import Supervisor
from runner.execute.plan import plan_units
from runner.grid import Cell, settings_hash
from runner.store.rundir import RunDir
from runner.train.device import nvidia_gpus


def completed(rows: list[dict[str, Any]], config: Config, cells: list[Cell],
              retry_errors: bool = False) -> dict[tuple[str, int], dict[str, Any]]:
    """(cell id, seed) -> the last row that finishes it, in grid order: of the cell's current
    settings (a changed epoch count runs again), and not an error where `retry_errors`."""
    wanted = {(c.cell_id, seed): settings_hash(config, c, seed)
              for c in cells for seed in c.training.seeds}
    done = {key: row for row in rows
            if wanted.get(key := (row.get("cell_id"), row.get("seed"))) == row.get(
                "settings_hash") and not (retry_errors and row.get("status") == "error")}
    return {key: done[key] for key in wanted if key in done}


def run_grid(config: Config, cells: list[Cell], path, *, command: str, progress: bool = True,
             use_cache: bool = True, device: str = "auto", force: bool = False,
             retry_errors: bool = False, warn: Callable[[str], None] = print,
             executor: str = "local", ray_address: str | None = None,
             finish: Callable[[pathlib.Path, list[dict[str, Any]]], Any] = lambda *_: None,
             on_progress: Callable[[str, int, int], None] | None = None,
             ) -> list[dict[str, Any]]:
    """Run (or resume) a grid into a run directory; returns its tables' rows. `command` is
    recorded in the lock and printed to resume; `finish` writes the tables while the directory
    is held, at the end and on Ctrl-C (raising Interrupted after it); a run that could not
    start (ResourceUnavailable) leaves no directory it created."""
    run_dir = RunDir(path)
    fresh = not run_dir.path.exists()
    run_dir.lock(command)
    try:
        rows = run_dir.read_rows()
        other = sorted({row.get("run_name") for row in rows} - {config.name, None})
        if other and not force:
            raise RunDirError(
                f"{run_dir.path} holds the results of run '{other[0]}', not '{config.name}'. "
                "Give --out another directory, or --force to set them aside (renamed, "
                "not deleted) and start over.")
        if force:
            rows = []
            if backup := run_dir.set_aside():
                warn(f"--force: earlier results set aside as {backup.name}")
        finished = completed(rows, config, cells, retry_errors)
        units = [u for u in (u.without(finished) for u in plan_units(config, cells)) if u]
        done, total = len(finished), sum(len(c.training.seeds) for c in cells)
        if done:
            warn(f"resuming {run_dir.path}: {done} of {total} cell runs already done, "
                 f"{total - done} to run")
        launches: dict[str, Any] = {}  # each built environment's interpreter
        if needed := dict.fromkeys(u.runtime for u in units if u.runtime[0] != CURRENT):
            assert executor == "local", "the command checks: pinned environments run locally"
            from runner import environments

            launches, skipped = environments.prepare(
                [config.runtime(*key) for key in needed], warn)
            for name, reason in skipped.items():  # left for a later run
                left = sum(len(u.cells) for u in units if u.runtime[0] == name)
                warn(f"environment {name} skipped ({left} cell runs left for a later run): "
                     f"{reason}")
            units = [u for u in units if u.runtime[0] not in skipped]
        options = {"use_cache": use_cache, "device": device, "progress": progress, "warn": warn}
        if executor == "ray":
            from runner.execute.ray.supervisor import RaySupervisor

            supervisor = RaySupervisor(config, cells, run_dir, address=ray_address, **options)
        else:
            supervisor = Supervisor(config, cells, run_dir, on_progress=on_progress,
                                    launches=launches, **options)
        try:
            if units:
                warn(f"{sum(len(u.cells) for u in units)} cell runs to train into "
                     f"{run_dir.path}; starting "
                     f"TensorFlow{' on Ray' if executor == 'ray' else ''} ...")
                supervisor.start()
                for line in decision_lines(config, supervisor.decisions, supervisor.common,
                                           device):
                    warn(line)
        except WorkerGone as e:
            raise RunAborted(f"{e} while starting (see its error above)") from None
        except ResourceUnavailable:
            if fresh:  # leave no trace of a run that never started
                run_dir.release()
                shutil.rmtree(run_dir.path, ignore_errors=True)
            raise
        run_dir.write_config(config.to_dict())
        run_dir.results.touch()
        try:
            if units:
                supervisor.run(units)
            else:
                warn(f"nothing to run: all {total} cell runs of {run_dir.path} are done")
        except WorkerGone as e:  # a worker that cannot even start: nothing to isolate
            raise RunAborted(f"{e} while starting; the cells written before are kept") \
                from None
        except Interrupted:
            finish(run_dir.path, table_rows(run_dir, config, cells))
            raise Interrupted(f"{command}  # resumes; {run_dir.path} keeps what finished") \
                from None
        except OSError as e:
            raise RunAborted(f"could not write {run_dir.results}: {e.strerror or e}. The cells "
                             "written before are kept: free space and rerun the same command "
                             "to resume.") from None
        finish(run_dir.path, final := table_rows(run_dir, config, cells))
        return final
    finally:
        run_dir.release()


def table_rows(run_dir: RunDir, config: Config, cells: list[Cell]) -> list[dict]:
    """The current row of every (cell, seed) of the grid that has one, in grid order."""
    with warnings.catch_warnings():  # its corrupt lines were reported when the run began
        warnings.simplefilter("ignore")
        rows = run_dir.read_rows()
    return list(completed(rows, config, cells).values())


def decision_lines(config: Config, decisions: dict[str, Any], common: dict[str, Any],
                   device: str) -> list[str]:
    """What a run decided before its first cell, a line each: device, data, weights."""
    label = common.get("device", "?")
    lines = [f"device: {label} (--device {device}); Keras {common.get('keras_version', '?')} "
             f"on {common.get('backend', '?')}"]
    gpus = nvidia_gpus() if label == "cpu" and device == "auto" else []
    if gpus:
        lines.append(f"warning: nvidia-smi shows {len(gpus)} GPU(s) ({gpus[0]}) but TensorFlow "
                     "sees none, so this run uses the CPU: install TensorFlow's CUDA libraries "
                     "with `pip install -e '.[gpu]'` (`make install` does it where nvidia-smi "
                     "answers)")
    for name, decision in decisions["sources"].items():
        note = f" ({decision.note})" if decision.note else ""
        lines.append(f"data {name}: {decision.detail}{note}")
    asked, weights = config.backbone.weights, decisions["weights_label"]
    lines.append(f"weights: {weights}" + ("" if asked == weights else f" (asked: {asked})"))
    return lines
