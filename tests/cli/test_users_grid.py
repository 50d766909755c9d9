"""What users write beyond the tutorial, through the grid: relu and tanh outputs, mean squared
and mean absolute error, on embedded digits, by the registry entries alone."""

from __future__ import annotations

import pytest

from runner.data import sources as availability
from tests.support import run_grid

pytestmark = pytest.mark.slow  # a real (tiny) grid run


def test_relu_tanh_and_the_regression_losses_train_through_the_registry(tmp_path):
    doc = {"name": "users-mini", "backbone": {"weights": "random", "input_size": 32},
           "training": {"epochs": 1, "batch_size": 16, "learning_rate": 0.01, "seed": 3},
           "datasets": [{"name": "mnist", "source": "embedded", "max_train_samples": 64,
                         "max_test_samples": 32}],
           "grid": {"encoding": ["integer", "onehot"], "activation": ["relu", "tanh"],
                    "loss": ["mse", "MeanAbsoluteError", "sparse_categorical_crossentropy"],
                    "from_logits": [False], "metric": ["accuracy"]},
           "exclude": [{"encoding": "onehot", "loss": "sparse_categorical_crossentropy"}]}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(availability.OFFLINE_ENV, "1")
        _, df = run_grid(tmp_path, doc)
    assert len(df) == 2 * (3 + 2)  # activations x (integer: 3 losses, onehot: 2)
    assert set(df["loss"]) == {"mean_squared_error", "mean_absolute_error",
                               "sparse_categorical_crossentropy"}
    onehot = df[df["encoding"] == "onehot"]
    assert (onehot["status"] == "ok").all()  # they train: regression on one-hot rows
    # class indices against ten outputs: Keras's own shape error is the cell's result
    errors = df[(df["encoding"] == "integer") & (df["loss"] != "sparse_categorical_crossentropy")]
    assert set(errors["status"]) == {"error"} and set(errors["error_type"]) == {"ValueError"}
