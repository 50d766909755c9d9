"""`--executor ray` on a real local Ray cluster: the local executor's results, and what
a dead task leaves behind (nothing lost, nothing twice).

The module starts one Ray cluster (2 CPUs) and shuts it down at the end; the grids
are a few dozen embedded images, 2 epochs, random weights.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from runner.execute.worker import CRASH_ENV
from tests.support import (
    CELLS,
    OUTCOME,
    SMALL,
    grid,
    results_table,
    same_results,
    write_config,
)

pytestmark = pytest.mark.slow  # real fits, fuzzing or subprocess runs

ray = pytest.importorskip("ray", reason="the 'ray' extra is not installed")
CRASHING = "onehot/softmax/binary_crossentropy/logits=true"  # only one test has such cells


@pytest.fixture(scope="module")
def cluster():
    """A local Ray cluster for the module; its GCS address for other drivers.

    Its workers inherit CHEATGRID_CRASH_CELL, as workers do from `ray start`: they
    segfault on the cells of `CRASHING`, which no other test's grid holds.
    """
    with pytest.MonkeyPatch.context() as env:
        env.setenv(CRASH_ENV, CRASHING)
        # address="local": never a cluster that another `ray start` left recorded in /tmp/ray
        ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level="ERROR")
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """SMALL run by the local executor: what Ray must reproduce."""
    root = tmp_path_factory.mktemp("local")
    assert grid(write_config(root, SMALL), root / "run") == 0
    return results_table(root / "run")


def test_ray_gives_the_local_executors_results(cluster, local, tmp_path):
    assert grid(write_config(tmp_path, SMALL), tmp_path / "run", "--executor", "ray") == 0
    ray_run = results_table(tmp_path / "run")
    assert (ray_run["status"] == "ok").sum() > 0 and (ray_run["status"] == "error").sum() > 0
    same_results(local, ray_run)


def _running_tasks(name: str) -> list[int]:
    """Pids of this module's Ray workers running the task `name` (Ray titles them
    `ray::<name>`; a worker is a child of its raylet: another test's cluster is left be)."""
    raylet = ray._private.worker._global_node.all_processes["raylet"][0].process.pid
    pids = []
    for entry in pathlib.Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes().startswith(
                    f"ray::{name}".encode()) and int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == raylet:
                pids.append(int(entry.name))
        except OSError:  # the process ended meanwhile
            continue
    return pids


def test_a_killed_worker_loses_nothing_and_runs_nothing_twice(cluster, local, tmp_path,
                                                               capsys):
    killed: list[int] = []
    finished = threading.Event()

    def kill_one_training_worker() -> None:
        while not finished.is_set() and not killed:
            for pid in _running_tasks("train"):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                break
            time.sleep(0.02)

    killer = threading.Thread(target=kill_one_training_worker, daemon=True)
    killer.start()
    config = write_config(tmp_path, {**SMALL, "training": {**SMALL["training"], "seeds": [1]}})
    try:
        assert grid(config, tmp_path / "run", "--executor", "ray") == 0
    finally:
        finished.set()
        killer.join()
    assert killed, "no Ray worker was seen training"
    ray_run = results_table(tmp_path / "run")
    # The killed unit ran again one head at a time: the same numbers, trained alone.
    assert (ray_run["heads_trained_together"] == 1).sum() > 0
    seed_1 = local[local.index.get_level_values("seed") == 1]
    same_results(seed_1, ray_run, OUTCOME)
    capsys.readouterr()
    assert grid(config, tmp_path / "run", "--executor", "ray") == 0
    assert f"{CELLS} of {CELLS} cell runs already done, 0 to run" in capsys.readouterr().err


def test_a_cell_that_kills_its_worker_again_is_recorded(cluster, tmp_path):
    doc = {**SMALL, "training": {**SMALL["training"], "seeds": [1]},
           "grid": {**SMALL["grid"], "encoding": ["onehot"], "from_logits": [True]}}
    assert grid(write_config(tmp_path, doc), tmp_path / "run", "--executor", "ray") == 0
    ray_run = results_table(tmp_path / "run")
    crashed = ray_run[ray_run["phase"] == "crashed"]
    assert set(crashed["name"].str.rsplit("/", n=1).str[0]) == {f"mnist_binary/{CRASHING}"}
    assert set(crashed["error_type"]) == {"WorkerCrashed"}
    assert "WorkerCrashedError" in crashed["error_message"].iloc[0]
    assert len(ray_run) == CELLS // 2 and len(crashed) == 2  # one head, two metrics
    assert (ray_run["status"] == "ok").sum() > 0


def test_a_cell_over_its_timeout_is_cancelled_and_recorded(cluster, tmp_path):
    doc = {**SMALL, "training": {**SMALL["training"], "seeds": [1], "epochs": 100000,
                                 "cell_timeout_seconds": 3},
           "grid": {**SMALL["grid"], "encoding": ["onehot"], "activation": ["softmax"],
                    "loss": ["binary_crossentropy"]}}
    start = time.monotonic()
    assert grid(write_config(tmp_path, doc), tmp_path / "run", "--executor", "ray") == 0
    assert time.monotonic() - start < 60
    table = results_table(tmp_path / "run")
    assert set(table["phase"]) == {"timeout"} and set(table["error_type"]) == {"CellTimeout"}
    assert "cell_timeout_seconds" in table["error_message"].iloc[0]


def test_ctrl_c_on_a_cluster_driver_then_resume(cluster, local, tmp_path, capsys):
    doc = {**SMALL, "training": {**SMALL["training"], "seeds": [1, 2, 3]},
           "grid": {**SMALL["grid"], "encoding": ["onehot"]}}
    runs = 3 * CELLS // 2
    config, out = write_config(tmp_path, doc), tmp_path / "run"
    driver = subprocess.Popen(
        [sys.executable, "-m", "runner", "grid", str(config), "--out", str(out),
         "--no-progress", "--no-cache", "--executor", "ray", "--ray-address", cluster],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = out / "results.jsonl"
    while driver.poll() is None and not (results.is_file() and results.read_text().strip()):
        time.sleep(0.05)
    driver.send_signal(signal.SIGINT)
    _, err = driver.communicate(timeout=120)
    assert driver.returncode == 130, err
    assert "to resume: cheatgrid grid" in err and "--executor ray" in err
    lines = results.read_text().splitlines()
    assert 0 < len(lines) < runs and all(json.loads(line) for line in lines)
    assert (out / "results.csv").is_file()
    assert grid(config, out, "--executor", "ray") == 0
    assert f"{len(lines)} of {runs} cell runs already done" in capsys.readouterr().err
    resumed = results_table(out)
    assert len(resumed) == runs
    onehot = local[local["encoding"] == "onehot"]
    same_results(onehot, resumed.loc[onehot.index], OUTCOME)


def test_resources_no_node_has_stop_the_run_before_anything_is_written(cluster, tmp_path,
                                                                       capsys):
    config = write_config(tmp_path, {**SMALL, "resources": {"gpus_per_task": 1}})
    assert grid(config, tmp_path / "run", "--executor", "ray") == 2
    err = capsys.readouterr().err
    assert "Expected a Ray node with 1 CPU and 1 GPU for one task" in err
    assert "Received: nodes with 2 CPU, 0 GPU" in err
    assert not (tmp_path / "run").exists()


def test_an_address_that_does_not_answer_is_refused_at_once(tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    start = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "runner", "grid", str(write_config(tmp_path, SMALL)), "--out",
         str(tmp_path / "run"), "--executor", "ray", "--ray-address", f"127.0.0.1:{port}"],
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stderr
    assert f"--ray-address 127.0.0.1:{port}: Expected auto or HOST:PORT" in run.stderr
    assert time.monotonic() - start < 30 and not (tmp_path / "run").exists()


def test_ray_flags_are_checked(tmp_path, capsys, monkeypatch):
    config = write_config(tmp_path, SMALL)
    assert grid(config, tmp_path / "run", "--ray-address", "auto") == 2
    assert "--ray-address: Expected --executor ray" in capsys.readouterr().err
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)  # no 'ray' extra
    assert grid(config, tmp_path / "run", "--executor", "ray") == 2
    assert "pip install 'cheatgrid[ray]'" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
