"""A grid over environments with a fake one, this Python under another environment's name:
its worker (another interpreter's process, NumPy as plain data), crash isolation there, its
rows and tables, its snippets, and an environment that cannot be built, skipped."""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import json
import os
import sys

import pandas as pd
import pytest

from runner import environments
from runner.cli import main as cli
from runner.environments import build
from runner.vocab import releases
from tests.support import run_grid

pytestmark = pytest.mark.slow  # subprocess runs and real fits

KERAS, TENSORFLOW = (importlib.metadata.version(p) for p in ("keras", "tensorflow"))
FAKE = {"keras": KERAS, "tensorflow": TENSORFLOW}
UNBUILDABLE = {"keras": "3.4.1", "backend": "jax"}
DOC = {"name": "environments",
       "training": {"epochs": 2, "batch_size": 32, "learning_rate": 0.01, "seed": 1},
       "datasets": [{"name": "mnist_binary", "max_train_samples": 64, "max_test_samples": 32}],
       "grid": {"encoding": ["integer"], "activation": ["none", "sigmoid", "softmax"],
                "loss": ["binary_crossentropy"], "from_logits": [True],
                "metric": ["accuracy", "binary_accuracy_logits"]},
       "environments": ["current", FAKE, UNBUILDABLE]}
OUTCOME = ["status", "error_type", "test_metric", "test_loss", "reference_accuracy",
           "metric_resolved", "verdict"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    if KERAS not in releases.KERAS_RELEASES or TENSORFLOW not in releases.TENSORFLOW_RELEASES:
        pytest.skip(f"Keras {KERAS} / TensorFlow {TENSORFLOW} are not in the release table")
    pins = releases.resolve(FAKE)
    fake = build.directory(pins)  # in the tests' private cache directory
    fake.mkdir(parents=True, exist_ok=True)
    (fake / build.MANIFEST).write_text(json.dumps({"name": pins.name, "python": sys.executable}))
    saved = {k: os.environ.get(k) for k in ("UV_INDEX_URL", "UV_CACHE_DIR",
                                            "CHEATGRID_CRASH_CELL")}
    os.environ.update(UV_INDEX_URL="http://127.0.0.1:9/simple",  # the registry refuses
                      UV_CACHE_DIR=str(tmp_path_factory.mktemp("uv-cache")),  # nothing cached
                      CHEATGRID_CRASH_CELL=f"{pins.name}:mnist_binary/integer/softmax/")
    environments._PREPARED.clear()
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            out, df = run_grid(tmp_path_factory.mktemp("environments"), DOC)
    finally:
        for key, value in saved.items():
            os.environ.pop(key) if value is None else os.environ.update({key: value})
    return out, df, pins.name, err.getvalue()


def test_the_unbuildable_environment_is_named_and_skipped(run):
    _, df, fake, err = run
    assert "environment keras3.4.1-jax skipped (6 cell runs left for a later run)" in err
    assert "127.0.0.1" in err  # uv's reason
    assert set(df["environment"]) == {"current", fake}


def test_a_fake_environment_trains_as_this_python_does(run):
    _, df, fake, _ = run
    here = df[df["environment"] == "current"].set_index("base_id")
    there = df[(df["environment"] == fake) & (df["phase"] != "crashed")].set_index("base_id")
    assert len(there) == 4 and set(there["keras_version"]) == {KERAS}
    pd.testing.assert_frame_equal(here.loc[there.index, OUTCOME], there[OUTCOME])


def test_a_crash_in_an_environment_costs_only_its_cells(run):
    _, df, fake, _ = run
    crashed = df[df["phase"] == "crashed"]
    assert set(crashed["environment"]) == {fake} and len(crashed) == 2
    assert set(crashed["activation"]) == {"softmax"}
    assert crashed["error_message"].str.contains("signal 11").all()


def test_tables_snippets_and_changes_per_environment(run):
    out, _, fake, _ = run
    text = (out / "cheat_table.md").read_text()
    assert f"## mnist_binary · {fake}" in text and "## mnist_binary · tensorflow" in text
    runs = json.loads((out / "snippets.json").read_text())["frameworks"]
    assert list(runs) == ["tensorflow", fake]
    assert runs[fake]["keras_version"] == KERAS and "results" in runs[fake]
    assert (out / "changes.md").is_file()
    assert "What changed when" in (out / "report.html").read_text()


def test_compare_two_environments_of_one_run(run, capsys):
    out, _, fake, _ = run
    assert cli.main(["compare", str(out), "--environments", f"tensorflow,{fake}"]) == 0
    text = capsys.readouterr().out
    assert f"| environment | current | {fake} |" in text
    assert (out / f"compare_tensorflow_vs_{fake}.md").is_file()
    assert cli.main(["compare", str(out), "--environments", "tensorflow,jax"]) == 2
