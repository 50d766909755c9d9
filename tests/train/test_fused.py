"""The fast path (a unit's heads in one compiled program) gives the reference path's
numbers, to the bit, on every framework; identical heads are trained once; programs are
reused across seeds."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from runner.train import fused
from runner.train.programs import Kind, Shape, on_tensorflow
from tests.train import paths

pytestmark = pytest.mark.slow  # real fits, or subprocess runs

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize("encoding, classes, units, shuffle", paths.CASES)
def test_fast_path_is_the_reference_path_to_the_bit(encoding, classes, units, shuffle):
    data = paths.features(classes, multi_hot=encoding == "multihot")
    found, fast = paths.disagreements(paths.groups(encoding, classes, units, shuffle), data)
    assert found == []
    if encoding == "multihot":  # the multi-label analysis ran on both paths
        assert any(r.get("hamming_accuracy") for result in fast for r in result.rows)


@pytest.mark.parametrize("encoding, classes, units", [
    ("onehot", 10, 10),  # sparse top-k and SCCE fail; hinge and focal losses train
    ("integer", 2, 1),  # one unit: the logit threshold, top-k of two classes
])
def test_new_losses_and_metrics_agree_on_both_paths(encoding, classes, units):
    groups = paths.new_groups(encoding, classes, units)
    # a focal loss's sigmoid of a linear output can be ordered otherwise in the fused
    # program than in one model per head: logits to 1e-5, metrics to one test image
    found, fast = paths.disagreements(groups, paths.features(classes), exact=False)
    assert found == []
    rows = {c.name: r for g, result in zip(groups, fast, strict=True)
            for c, r in zip(g, result.rows, strict=True)}
    # Keras's own errors are the results: a hinge has no from_logits, SCCE no smoothing
    assert rows["synthetic/" + encoding + "/none/hinge/logits=true/auc"]["error_message"] == \
        "Hinge.__init__() got an unexpected keyword argument 'from_logits'"
    smoothed = rows[f"synthetic/{encoding}/none/sparse_categorical_crossentropy/logits=true/"
                    "label_smoothing=0.1/auc"]
    assert (smoothed["phase"], smoothed["error_type"]) == ("compile", "TypeError")
    if units == 1:  # a logit head read at 0: what the reference accuracy reads
        logit = rows["synthetic/integer/none/hinge/logits=false/binary_accuracy_logits"]
        assert logit["status"] == "ok" and logit["verdict"] in ("ok", "degenerate")
        assert logit["test_metric"] == pytest.approx(logit["reference_accuracy"], abs=1e-6)


@pytest.mark.parametrize("framework", ["jax", "torch", "tf_keras"])
def test_every_framework_trains_as_its_reference_path(framework):
    done = subprocess.run([sys.executable, "-m", "tests.train.paths", framework], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1])["disagreements"] == []


SHAPE = Shape(feature_dim=12, units=10, label_dtype="int64", label_shape=(), batch_size=32,
              static_batch=True, shuffle=False)


@pytest.mark.parametrize("a, b, same", [
    # Keras reads the logits behind a sigmoid or softmax output: the same computation
    (Kind("sigmoid", "sparse_categorical_crossentropy", False),
     Kind("none", "sparse_categorical_crossentropy", True), True),
    (Kind("softmax", "sparse_categorical_crossentropy", True),
     Kind("none", "sparse_categorical_crossentropy", True), True),
    # a linear output taken as probabilities is another computation
    (Kind("none", "sparse_categorical_crossentropy", False),
     Kind("none", "sparse_categorical_crossentropy", True), False),
])
def test_fingerprints_equal_exactly_for_the_same_computation(a, b, same):
    first, second = (on_tensorflow.trace(k, SHAPE) for k in (a, b))
    assert (first.fingerprint == second.fingerprint) is same


def test_a_program_is_reused_across_seeds_and_heads_alike_train_once():
    groups = paths.groups("integer", 10, 10, False)
    data = paths.features(10)
    first = fused.train_together(groups, data, seed=5)
    programs = len(fused._PROGRAMS)
    second = fused.train_together(groups, data, seed=6)
    assert len(fused._PROGRAMS) == programs  # nothing traced again
    trained = [r for r in first if r.logits is not None]
    k = first.index(trained[0])
    assert second[k].logits is not None  # another seed, another start: other numbers
    assert not np.array_equal(first[k].logits, second[k].logits)
    by_name = {g[0].head_name: r for g, r in zip(groups, first, strict=True)}
    identical = [by_name[f"synthetic/integer/{act}/sparse_categorical_crossentropy/"
                         f"logits={logits}"] for act, logits in
                 (("none", "true"), ("sigmoid", "false"), ("softmax", "false"))]
    for result in identical[1:]:  # one training, read through each head's activation
        np.testing.assert_array_equal(result.logits, identical[0].logits)
    assert {r.rows[0]["heads_trained_together"] for r in trained} == {len(trained)}
