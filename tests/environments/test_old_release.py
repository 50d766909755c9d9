"""One real old environment, built with uv from the registry: Keras 3.4.1 with JAX on CPU.
Two of the differences in the release table against this Python's Keras, and `cheatgrid
check` there prints fixes that run there."""

from __future__ import annotations

import json
import subprocess

import pytest

from runner.environments import build, launch
from runner.vocab import keras_changes
from runner.vocab.releases import resolve

pytestmark = pytest.mark.slow  # an environment build (TensorFlow, Keras, JAX wheels)

PINS = resolve({"keras": "3.4.1", "backend": "jax"})
# What a Keras prints about the listed differences: BinaryAccuracy(threshold=0.0) (from 3.5),
# binary_accuracy's result per output (from 3.4.0; the shape of (4, 1) labels' result).
PROBE = """
import json, numpy as np, keras
try:
    keras.metrics.BinaryAccuracy(threshold=0.0)
    threshold_zero = None
except Exception as e:
    threshold_zero = type(e).__name__
shape = keras.ops.shape(keras.metrics.binary_accuracy(np.ones((4, 1)), np.ones((4, 1))))
print(json.dumps({"keras": keras.__version__, "threshold_zero": threshold_zero,
                  "binary_accuracy_shape": list(shape)}))
"""
# Every fix check prints, run there: each line executed, a metrics line compiled and evaluated.
RUN_FIXES = """
import json, sys, numpy as np, keras
fixes = json.load(open(sys.argv[1]))
for fix in fixes:
    names = {"keras": keras}
    exec(compile(fix, "<fix>", "exec"), names)
    if "metrics" in names:
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(loss=keras.losses.BinaryCrossentropy(from_logits=True),
                      metrics=names["metrics"])
        model.evaluate(np.ones((8, 3)), np.ones((8,)), verbose=0)
print("ran", len(fixes))
"""


@pytest.fixture(scope="module")
def there(tmp_path_factory):
    # a cache of its own: tests/execute/test_environments.py, in the same session, expects
    # this pin unbuildable and must not find it built here
    patch = pytest.MonkeyPatch()
    patch.setenv("CHEATGRID_CACHE_DIR", str(tmp_path_factory.mktemp("old-release-cache")))
    yield launch.launch_for("jax", build.ensure(PINS, log=print)["python"])
    patch.undo()


def _python(started, code, *args):
    done = subprocess.run([started.python, "-c", code, *args], env=started.environment,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_two_listed_differences_against_this_keras(there):
    old = json.loads(_python(there, PROBE))
    new = json.loads(_python(launch.launch_for("tensorflow"), PROBE))
    assert old["keras"] == "3.4.1"
    # BinaryAccuracy(threshold=0.0): a ValueError before 3.5.0, accepted from it
    assert old["threshold_zero"] == "ValueError"
    expected = None if keras_changes.holds(keras_changes.THRESHOLD_ZERO, new["keras"]) \
        else "ValueError"
    assert new["threshold_zero"] == expected
    # binary_accuracy per output from 3.4.0 on: the same shape there as here
    assert old["binary_accuracy_shape"] == new["binary_accuracy_shape"] == [4, 1]


def test_check_there_prints_fixes_that_run_there(there, tmp_path):
    done = subprocess.run(
        [there.python, "-m", "runner", "check", "--encoding", "integer", "--classes", "2",
         "--activation", "none", "--loss", "binary_crossentropy", "--from-logits",
         "--metric", "accuracy", "--metric", "binary_accuracy_logits", "--format", "json"],
        env=there.environment, capture_output=True, text=True, timeout=600)
    report = json.loads(done.stdout)
    assert report["keras_version"] == "3.4.1"
    fixes = [m["fix"] for m in report["metrics"] if m["fix"]] + \
        [f["fix"] for f in report["findings"] if f["fix"]]
    assert fixes and not any("threshold=0.0)]" in f.split("#")[0] for f in fixes)
    (tmp_path / "fixes.json").write_text(json.dumps(fixes))
    assert _python(there, RUN_FIXES, str(tmp_path / "fixes.json")) == f"ran {len(fixes)}"
