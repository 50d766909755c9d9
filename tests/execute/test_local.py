"""Never lose a finished cell: resume, worker crashes, timeouts, the lock, SIGKILL, disk full.

These run the real thing: `cheatgrid grid` with its worker process, in-process or
as a subprocess, on a few dozen embedded images.
"""

from __future__ import annotations

import json
import os
import pathlib
import resource
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
import yaml

from runner.cli import main as cli
from runner.execute.worker import CRASH_ENV
from runner.store.rundir import LOCK_FILE, RunDir
from tests.support import CELLS, SMALL

pytestmark = pytest.mark.slow  # real fits, fuzzing or subprocess runs


def _write(tmp_path: pathlib.Path, doc: dict, name: str = "small.yaml") -> pathlib.Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def _grid(config: pathlib.Path, out: pathlib.Path, *flags: str) -> int:
    return cli.main(["grid", str(config), "--out", str(out), "--no-progress", *flags])


def _rows(out: pathlib.Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def _keys(out: pathlib.Path) -> list[tuple[str, int]]:
    table = pd.read_csv(out / "results.csv")
    return list(zip(table["cell_id"], table["seed"], strict=True))


def _cheatgrid(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "runner", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """One finished run of SMALL, copied by the tests that change it."""
    root = tmp_path_factory.mktemp("finished")
    config = _write(root, SMALL)
    assert _grid(config, root / "run") == 0
    return config, root / "run"


def test_a_finished_run_resumes_to_nothing(finished, tmp_path, capsys):
    config, run = finished
    before = (run / "results.jsonl").read_text()
    assert _grid(config, run) == 0
    assert f"{2 * CELLS} of {2 * CELLS} cell runs already done, 0 to run" in \
        capsys.readouterr().err
    assert (run / "results.jsonl").read_text() == before  # nothing ran, nothing added
    keys = _keys(run)
    assert len(keys) == len(set(keys)) == 2 * CELLS


def test_changed_settings_run_again_and_errors_retry_only_on_request(finished, tmp_path,
                                                                     capsys):
    config, run = finished
    copy = tmp_path / "run"
    copy.mkdir()
    for item in run.iterdir():
        if item.is_file():
            (copy / item.name).write_bytes(item.read_bytes())
    errors = sum(r["status"] == "error" for r in _rows(run))
    assert 0 < errors < 2 * CELLS
    assert _grid(config, copy, "--retry-errors") == 0
    assert f"{2 * CELLS - errors} of {2 * CELLS} cell runs already done" in \
        capsys.readouterr().err
    assert len(_rows(copy)) == 2 * CELLS + errors  # only the error cells ran again
    changed = _write(tmp_path, {**SMALL, "training": {**SMALL["training"], "epochs": 3}})
    assert _grid(changed, copy) == 0
    assert "already done" not in capsys.readouterr().err  # a new epoch count is not done
    assert {r["epochs"] for r in pd.read_csv(copy / "results.csv").to_dict("records")} == {3}


def test_force_sets_results_aside(finished, tmp_path, capsys):
    config, run = finished
    copy = tmp_path / "run"
    copy.mkdir()
    (copy / "results.jsonl").write_bytes((run / "results.jsonl").read_bytes())
    assert _grid(config, copy, "--force") == 0
    [backup] = copy.glob("results.*.jsonl.bak")
    assert backup.read_bytes() == (run / "results.jsonl").read_bytes()
    assert len(_rows(copy)) == 2 * CELLS


def test_another_configs_results_are_refused(finished, tmp_path, capsys):
    _, run = finished
    other = _write(tmp_path, {**SMALL, "name": "other"}, "other.yaml")
    assert _grid(other, run) == 2
    err = capsys.readouterr().err
    assert "holds the results of run 'small', not 'other'" in err and "--force" in err


def test_torn_and_corrupt_lines_are_skipped_and_run_again(finished, tmp_path, capsys):
    config, run = finished
    copy = tmp_path / "run"
    copy.mkdir()
    lines = (run / "results.jsonl").read_text().splitlines(keepends=True)
    lines[3] = "{not json\n"  # corrupt in the middle
    lines[-1] = lines[-1][: len(lines[-1]) // 2]  # torn at the end
    (copy / "results.jsonl").write_text("".join(lines))
    assert _grid(config, copy) == 0
    err = capsys.readouterr().err
    assert "results.jsonl:4: skipping a corrupt line" in err
    assert f"results.jsonl:{len(lines)}: removed a torn last line" in err
    keys = _keys(copy)
    assert len(keys) == len(set(keys)) == 2 * CELLS


def test_a_crashing_cell_is_recorded_and_the_grid_goes_on(tmp_path, monkeypatch, capsys):
    config = _write(tmp_path, {**SMALL, "training": {**SMALL["training"], "seeds": [1]}})
    monkeypatch.setenv(CRASH_ENV, "onehot/softmax/binary_crossentropy")
    assert _grid(config, tmp_path / "run") == 0
    table = pd.read_csv(tmp_path / "run" / "results.csv")
    crashed = table[table["phase"] == "crashed"]
    assert set(crashed["name"].str.rsplit("/", n=1).str[0]) == {
        "mnist_binary/onehot/softmax/binary_crossentropy/logits=false"}
    assert set(crashed["error_type"]) == {"WorkerCrashed"}
    assert "signal 11 (SIGSEGV)" in crashed["error_message"].iloc[0]
    assert (table["status"] == "ok").sum() > 0 and len(table) == CELLS


def test_two_frameworks_side_by_side_and_a_crash_in_one(tmp_path, monkeypatch):
    """Two runtimes train at once on a CPU: a crash of one's worker is that cell's alone."""
    doc = {**SMALL, "training": {**SMALL["training"], "seeds": [1]},
           "grid": {**SMALL["grid"], "framework": ["tensorflow", "jax"]}}
    monkeypatch.setenv(CRASH_ENV, "onehot/softmax/binary_crossentropy")
    assert _grid(_write(tmp_path, doc), tmp_path / "run") == 0
    table = pd.read_csv(tmp_path / "run" / "results.csv")
    assert len(table) == 2 * CELLS
    crashed = table[table["phase"] == "crashed"]
    assert set(crashed["framework"]) == {"tensorflow", "jax"}  # each framework's own cell
    assert crashed["name"].str.contains("mnist_binary/onehot/softmax/binary_crossentropy/"
                                        "logits=false/", regex=False).all()
    assert (table.groupby("framework")["status"].apply(lambda s: (s == "ok").sum()) > 0).all()


def test_a_cell_over_its_timeout_is_killed_and_recorded(tmp_path):
    doc = {**SMALL, "training": {**SMALL["training"], "seeds": [1], "epochs": 100000,
                                 "cell_timeout_seconds": 3},
           "grid": {**SMALL["grid"], "encoding": ["onehot"], "activation": ["softmax"],
                    "loss": ["binary_crossentropy"]}}
    start = time.monotonic()
    assert _grid(_write(tmp_path, doc), tmp_path / "run") == 0
    assert time.monotonic() - start < 120
    table = pd.read_csv(tmp_path / "run" / "results.csv")
    assert set(table["phase"]) == {"timeout"} and set(table["error_type"]) == {"CellTimeout"}
    assert "cell_timeout_seconds" in table["error_message"].iloc[0]


def test_a_second_run_is_refused_while_the_first_holds_the_directory(tmp_path, capsys):
    config = _write(tmp_path, SMALL)
    holder = RunDir(tmp_path / "run")
    holder.lock("cheatgrid grid held-by-test")
    try:
        assert _grid(config, tmp_path / "run") == 2
        err = capsys.readouterr().err
        assert f"in use by process {os.getpid()}" in err and "held-by-test" in err
    finally:
        holder.release()


def test_sigkill_then_resume_completes_without_duplicates(tmp_path):
    config = _write(tmp_path, {**SMALL, "training": {**SMALL["training"], "seeds": [1, 2, 3]}})
    out = tmp_path / "run"
    first = _cheatgrid("grid", str(config), "--out", str(out), "--no-progress")
    results = out / "results.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait until some, not all, cells are written
        if results.is_file() and 0 < len(results.read_text().splitlines()) < 3 * CELLS:
            break
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    written = len(results.read_text().splitlines())
    assert 0 < written < 3 * CELLS, "the kill should land mid-grid"
    second = _cheatgrid("grid", str(config), "--out", str(out), "--no-progress")
    _, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    assert "took over the lock left by process" in err and "already done" in err
    keys = _keys(out)
    assert len(keys) == len(set(keys)) == 3 * CELLS


def test_ctrl_c_stops_after_the_current_write_and_says_how_to_resume(tmp_path):
    config = _write(tmp_path, {**SMALL, "training": {**SMALL["training"],
                                                     "seeds": [1, 2, 3, 4]}})
    out = tmp_path / "run"
    run = _cheatgrid("grid", str(config), "--out", str(out), "--no-progress")
    results = out / "results.jsonl"
    while run.poll() is None and not (results.is_file() and results.read_text().strip()):
        time.sleep(0.05)
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 130, err
    assert "to resume: cheatgrid grid" in err and str(out) in err
    lines = results.read_text().splitlines()
    assert all(json.loads(line) for line in lines)  # whole lines only
    assert (out / "results.csv").is_file()  # the finished cells are tabled


def test_output_directory_problems(tmp_path, capsys):
    config = _write(tmp_path, SMALL)
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    assert _grid(config, blocker / "run") == 2
    assert "Cannot use" in capsys.readouterr().err
    deep = tmp_path / "missing" / "parents" / "run"  # created: a safe recovery
    doc = {**SMALL, "training": {**SMALL["training"], "seeds": [1]},
           "grid": {**SMALL["grid"], "encoding": ["onehot"]}}
    assert _grid(_write(tmp_path, doc, "one.yaml"), deep) == 0
    assert (deep / "results.csv").is_file() and not (deep / LOCK_FILE).read_text()


def _limit_file_size():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failing write, not a killed process
    resource.setrlimit(resource.RLIMIT_FSIZE, (6000, 6000))


def test_a_full_disk_keeps_what_was_written_and_resumes(tmp_path):
    config = _write(tmp_path, {**SMALL, "training": {**SMALL["training"], "seeds": [1]}})
    out = tmp_path / "run"
    full = _cheatgrid("grid", str(config), "--out", str(out), "--no-progress",
                      preexec_fn=_limit_file_size)
    _, err = full.communicate(timeout=300)
    assert full.returncode == 1, err
    assert "could not write" in err and "rerun the same command to resume" in err
    kept = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()
            if line.endswith("}")]
    resumed = _cheatgrid("grid", str(config), "--out", str(out), "--no-progress")
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    keys = _keys(out)
    assert len(keys) == len(set(keys)) == CELLS
    assert {(r["cell_id"], r["seed"]) for r in kept} <= set(keys)
