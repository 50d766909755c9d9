"""Reading labels (encoding by value) and a compiled model (units, activation, loss, metrics)."""

from __future__ import annotations

import numpy as np
import pytest

from runner.check.inspect import read_labels, read_model
from runner.errors import UsageError


@pytest.mark.parametrize("labels, encoding, detail, classes", [
    (np.array([0, 1, 2, 1]), "integer", "class indices", 3),
    (np.array([0.0, 1.0, 1.0]), "integer", "float 0./1.", 2),
    (np.array([[0], [1], [1]]), "integer", "class indices", 2),
    (np.array([[0.0], [1.0]], dtype=np.float32), "integer", "float 0./1.", 2),
    (np.array([0, 0, 0]), "integer", "class indices", 2),  # one class still means 2 outputs
    (np.eye(3)[[0, 1, 2, 2]], "onehot", "one-hot rows", 3),
    (np.array([[True, False], [False, True]]), "onehot", "one-hot rows", 2),
    (np.array([[1, 1, 0], [0, 0, 1]]), "multihot", "multi-hot rows", 3),
    (np.array([[0, 0, 0], [0, 1, 0]]), "multihot", "multi-hot rows", 3),  # a row with none
])
def test_encoding_is_read_from_the_values(labels, encoding, detail, classes):
    seen = read_labels(labels)
    assert (seen.encoding, seen.detail, seen.classes, seen.rows) == (
        encoding, detail, classes, len(labels))


def test_judged_labels_are_what_the_grid_judges():
    assert read_labels(np.eye(3)[[2, 0]]).judged.tolist() == [2, 0]
    assert read_labels(np.array([[1.0], [0.0]])).judged.tolist() == [1, 0]
    multi = read_labels(np.array([[1, 1, 0], [0, 0, 1], [0, 0, 1]]))
    assert multi.judged.tolist() == [[1, 1, 0], [0, 0, 1], [0, 0, 1]]
    assert multi.at_most_one_label == pytest.approx(2 / 3)
    assert multi.majority_rate == pytest.approx(2 / 3)


@pytest.mark.parametrize("labels, says", [
    (np.array([0.0, np.nan, 1.0]), "Expected finite numbers. Received: 1 NaN or infinite "
                                   "value(s), the first in row 1"),
    (np.array([[0.0, np.inf]]), "Expected finite numbers"),
    (np.array([0, -1, 2]), "Received: the value -1"),
    (np.array([0.0, 0.5, 1.0]), "Received: the value 0.5"),
    (np.array([[0.1, 0.9], [1.0, 0.0]]), "Received: the value 0.1"),
    (np.array([[0, 2], [1, 0]]), "Received: the value 2"),
    (np.zeros((2, 2, 2)), "Received: an array of shape (2, 2, 2)"),
    (np.array([]), "Received: an array of shape (0,)"),
    (np.array(["cat", "dog"]), "Expected numbers. Received: an array of dtype <U3"),
])
def test_labels_that_fit_no_encoding_are_refused(labels, says):
    with pytest.raises(UsageError, match="^labels: Expected") as caught:
        read_labels(labels)
    assert says in str(caught.value)


def _compiled(keras, output_layers, loss="categorical_crossentropy", metrics=("accuracy",)):
    inputs = keras.Input((4,))
    x = inputs
    for layer in output_layers:
        x = layer(x)
    model = keras.Model(inputs, x)
    model.compile(loss=loss, metrics=list(metrics))
    return model


@pytest.mark.parametrize("layers, activation", [
    (lambda k: [k.layers.Dense(3, activation="softmax")], "softmax"),
    (lambda k: [k.layers.Dense(3)], "none"),
    (lambda k: [k.layers.Dense(3), k.layers.Activation("sigmoid")], "sigmoid"),
    (lambda k: [k.layers.Dense(3), k.layers.Softmax()], "softmax"),
    (lambda k: [k.layers.Dense(3, activation="softmax"), k.layers.Dropout(0.5)], "softmax"),
    (lambda k: [k.layers.Dense(3, activation="relu")], "relu"),
    (lambda k: [k.Sequential([k.Input((4,)), k.layers.Dense(3, activation="sigmoid")])],
     "sigmoid"),
])
def test_last_activation_is_read_through_layers(layers, activation):
    import keras

    head = read_model(_compiled(keras, layers(keras)))
    assert (head.units, head.activation) == (3, activation)


def test_a_layer_of_your_own_has_an_activation_check_cannot_read():
    import keras

    class Classifier(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(3, activation="sigmoid")

        def call(self, inputs):
            return self.dense(inputs)

    head = read_model(_compiled(keras, [Classifier()]))
    assert head.activation == "unknown" and "a layer of your own" in head.notes[0]


@pytest.mark.parametrize("layers, frozen_below, expected", [
    (lambda k: [k.layers.Dense(3)], False, False),  # the output's own layer only
    (lambda k: [k.layers.Dense(8), k.layers.Dense(3), k.layers.Activation("softmax")], False,
     True),
    (lambda k: [k.layers.Dense(8), k.layers.Dense(3, activation="softmax")], True, False),
])
def test_whether_layers_below_the_output_train(layers, frozen_below, expected):
    import keras

    built = layers(keras)
    if frozen_below:  # a frozen base, as in transfer learning
        built[0].trainable = False
    assert read_model(_compiled(keras, built)).trains_below is expected


@pytest.mark.parametrize("loss, name, from_logits", [
    ("binary_crossentropy", "binary_crossentropy", False),
    ("BinaryCrossentropy", "binary_crossentropy", False),
    (lambda k: k.losses.CategoricalCrossentropy(from_logits=True), "categorical_crossentropy",
     True),
    (lambda k: k.losses.sparse_categorical_crossentropy, "sparse_categorical_crossentropy",
     False),
    (lambda k: k.losses.MeanSquaredError(), "mean_squared_error", False),  # now in the grid
    ("mse", "mean_squared_error", False),
    (lambda k: k.losses.mean_absolute_error, "mean_absolute_error", False),
    (lambda k: k.losses.KLDivergence(), "KLDivergence", False),  # not in the grid
])
def test_loss_name_and_from_logits(loss, name, from_logits):
    import keras

    loss = loss(keras) if callable(loss) else loss
    head = read_model(_compiled(keras, [keras.layers.Dense(3)], loss=loss))
    assert (head.loss_name, head.from_logits) == (name, from_logits)


def test_metrics_are_read_as_compiled():
    import keras

    metric = keras.metrics.BinaryAccuracy(threshold=0.0)
    model = _compiled(keras, [keras.layers.Dense(3)], metrics=[["accuracy"], metric])
    assert read_model(model).metrics == ("accuracy", metric)


@pytest.mark.parametrize("make, says", [
    (lambda k: k.Sequential([k.Input((4,)), k.layers.Dense(2)]),
     "Expected a compiled model"),
    (lambda k: _two_outputs(k), "Expected a model with one output. Received: 2 outputs"),
    (lambda k: _compiled(k, [k.layers.Reshape((2, 2))]),
     "Expected an output of shape (batch, units). Received: (None, 2, 2)"),
])
def test_models_check_cannot_read_are_refused(make, says):
    import keras

    with pytest.raises(UsageError) as caught:
        read_model(make(keras))
    assert says in str(caught.value)


def _two_outputs(keras):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, [keras.layers.Dense(2)(inputs), keras.layers.Dense(3)(inputs)])
    model.compile(loss=["mse", "mse"])
    return model
