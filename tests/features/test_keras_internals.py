"""Each of Keras's private names cheatgrid reads, on every framework: Keras 3 on TensorFlow
(in this process), JAX and PyTorch, and Keras 2 (tf_keras), each in a process of its own
(a Keras backend is fixed when Keras is first imported).

    python -m tests.features.test_keras_internals FRAMEWORK   ->   one JSON line
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class _Asked(Exception):
    """Raised by the wrapped get_file: the application asked for its weights file."""


def observe() -> dict:
    """What each touch point gives in this process's framework."""
    from runner.features import keras_internals
    from runner.train import backends, judge

    keras = backends.keras()
    seen: dict = {}

    def wrap(original):
        def get_file(fname=None, *args, **kwargs):
            raise _Asked(fname)
        return get_file

    import keras as keras3  # the features are always Keras 3's, whatever trains the heads

    with keras_internals.wrapped_get_file(wrap) as wrapped:
        try:
            keras3.applications.VGG16(weights="imagenet", include_top=False,
                                      input_shape=(32, 32, 3))
        except _Asked as asked:
            seen["get_file"] = [wrapped, str(asked)]
    inputs = keras.Input((3,))
    outputs = keras.layers.Dense(4, activation="softmax", name="head")(inputs)
    model = keras.Model(inputs, outputs)
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy", "mae"])
    x, y = np.eye(3, dtype=np.float32)[[0, 1, 2, 0]], np.array([0, 1, 2, 3])
    model.evaluate(x, y, verbose=0)
    metrics = keras_internals.compile_metrics(model)
    seen["compile_metrics"] = [judge.resolved_metric_name(m) for m in metrics]
    seen["metric_function"] = [getattr(keras_internals.metric_function(m), "__name__", None)
                               for m in metrics]
    layer = keras_internals.producing_layer(model.outputs[0])
    seen["producing_layer"] = [getattr(layer, "name", None),
                               keras_internals.producing_layer(x)]
    config = keras_internals.compile_config(model)
    seen["compile_config"] = config and config.get("loss")
    return seen


EXPECTED = {
    "get_file": [True, "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"],
    "compile_metrics": ["sparse_categorical_accuracy", "mean_absolute_error"],
    "metric_function": ["sparse_categorical_accuracy", "mean_absolute_error"],
    "producing_layer": ["head", None],
    "compile_config": "sparse_categorical_crossentropy",
}


def test_every_touch_point_in_keras3_on_tensorflow():
    assert observe() == EXPECTED


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["jax", "torch", "tf_keras"])
def test_every_touch_point_on_the_other_frameworks(framework):
    done = subprocess.run([sys.executable, "-m", "tests.features.test_keras_internals",
                           framework], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == EXPECTED


if __name__ == "__main__":
    from runner.train import backends

    backends.activate(sys.argv[1])
    print(json.dumps(observe()))
