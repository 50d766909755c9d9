"""The probe asks Keras: which metric a name resolves to, what raises, what cannot train."""

from __future__ import annotations

import numpy as np
import pytest

from runner.check.inspect import Head, read_labels
from runner.check.probe import batch_size, probe_labels, run_probe

pytestmark = pytest.mark.slow  # every test but the last two runs the probe: a real fit

BINARY = np.array([0.0, 1.0] * 40)
CLASSES = np.arange(80) % 4
ONEHOT = np.eye(4)[CLASSES]
MULTI = np.array([[1, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 1]] * 20)


def head(units, activation, loss, metrics, from_logits=False):
    import keras

    built = getattr(keras.losses, loss)(from_logits=from_logits)
    return Head(units, activation, None if activation == "none" else activation, built, loss,
                from_logits, tuple(metrics))


@pytest.mark.parametrize("labels, units, activation, loss, resolved", [
    (BINARY, 1, "sigmoid", "BinaryCrossentropy", "binary_accuracy"),
    (CLASSES, 4, "softmax", "SparseCategoricalCrossentropy", "sparse_categorical_accuracy"),
    (ONEHOT, 4, "softmax", "CategoricalCrossentropy", "categorical_accuracy"),
    (MULTI, 3, "sigmoid", "BinaryCrossentropy", "categorical_accuracy"),
])
def test_accuracy_resolves_as_keras_resolves_it(labels, units, activation, loss, resolved):
    found = run_probe(read_labels(labels), head(units, activation, loss, ["accuracy"]))
    assert [(m.label, m.resolved, m.error) for m in found.metrics] == [
        ("accuracy", resolved, None)]
    assert found.fit_error is None and found.weights_moved
    assert not found.constant_outputs and not found.constant_loss


def test_errors_keras_raises_are_recorded_per_metric_or_for_the_head():
    metrics = ["categorical_accuracy", "binary_accuracy"]
    found = run_probe(read_labels(CLASSES), head(4, "softmax", "SparseCategoricalCrossentropy",
                                                 metrics))
    assert [m.error is None for m in found.metrics] == [True, False]
    assert found.metrics[1].error["phase"] == "evaluate"
    failed = run_probe(read_labels(ONEHOT), head(4, "softmax", "SparseCategoricalCrossentropy",
                                                 metrics))
    assert failed.fit_error["phase"] == "fit" and failed.weights_moved is None
    assert [m.error for m in failed.metrics] == [failed.fit_error] * 2


def test_a_one_unit_softmax_is_constant_and_a_one_unit_cce_cannot_train():
    softmax = run_probe(read_labels(BINARY), head(1, "softmax", "BinaryCrossentropy", []))
    assert softmax.constant_outputs and not softmax.constant_loss
    assert any("softmax over axis -1" in w for w in softmax.warnings)
    cce = run_probe(read_labels(BINARY), head(1, "sigmoid", "CategoricalCrossentropy", []))
    assert cce.constant_loss and not cce.constant_outputs


def test_the_users_metric_object_is_left_alone():
    import keras

    metric = keras.metrics.BinaryAccuracy(threshold=0.0)
    found = run_probe(read_labels(BINARY), head(1, "none", "BinaryCrossentropy", [metric], True))
    assert (found.metrics[0].resolved, found.metrics[0].threshold) == ("binary_accuracy", 0.0)
    assert all(float(np.sum(keras.ops.convert_to_numpy(v))) == 0 for v in metric.variables)


def test_probe_labels_keep_every_class_and_fill_two_batches():
    labels = np.array([0] * 300 + [5])
    kept = probe_labels(read_labels(labels))
    assert len(kept) == 257 and kept[-1] == 5
    assert len(probe_labels(read_labels(np.array([0, 1, 2])))) == 129  # 3 rows, 43 times


@pytest.mark.parametrize("units, width, size", [(10, 1, 64), (64, 1, 56), (1, 64, 56),
                                                (64, 56, 48)])
def test_batch_size_never_broadcasts(units, width, size):
    assert batch_size(units, width) == size


def test_a_loss_that_does_not_read_the_labels():
    # one-hot rows of two against one sigmoid output: both classes ask the same of it
    import keras

    head_ = Head(1, "sigmoid", "sigmoid", "binary_crossentropy", "binary_crossentropy", False,
                 ())
    found = run_probe(read_labels(np.eye(2)[[0, 1] * 40]), head_)
    assert found.label_free or found.fit_error is not None  # Keras 3 may refuse the shapes
    readable = run_probe(read_labels(BINARY), head(1, "sigmoid", "BinaryCrossentropy", []))
    assert readable.label_free is False and readable.diverged is False
    function = Head(1, "sigmoid", "sigmoid", keras.losses.categorical_crossentropy,
                    "categorical_crossentropy", False, ())
    # a loss function gets class indices (N,) as (N, 1), as compile gives them to it
    assert run_probe(read_labels(BINARY), function).constant_loss
