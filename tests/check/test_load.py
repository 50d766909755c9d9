"""Untrusted files: a .keras model only in safe mode, arrays only without pickle."""

from __future__ import annotations

import numpy as np
import pytest

from runner.check import load_array, load_model_file
from runner.errors import UsageError


def _save(keras, path, with_lambda: bool):
    inputs = keras.Input((4,))
    x = keras.layers.Lambda(lambda t: t * 2.0)(inputs) if with_lambda else inputs
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    model.save(path)
    return path


def test_a_saved_model_loads_compiled(tmp_path):
    import keras

    model = load_model_file(_save(keras, tmp_path / "ok.keras", with_lambda=False))
    assert model.compiled and model.outputs[0].shape[-1] == 2


def test_a_lambda_layer_is_refused_with_a_message_that_says_why(tmp_path):
    import keras

    path = _save(keras, tmp_path / "lambda.keras", with_lambda=True)
    with pytest.raises(UsageError) as caught:
        load_model_file(path)
    message = str(caught.value)
    assert message.startswith("MODEL: Expected a model that loads without running code")
    assert "needs code execution to load; refused in safe mode" in message
    assert "Lambda" in message and "\n" not in message


@pytest.mark.parametrize("name, content, says", [
    ("model.keras", b"not a zip at all", "Expected a Keras 3 .keras file (a zip"),
    ("model.h5", b"\x89HDF\r\n\x1a\n", "Expected a Keras 3 .keras file (a zip"),
    ("missing.keras", None, "(no such file)"),
])
def test_files_that_are_not_keras_models_are_refused(tmp_path, name, content, says):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UsageError, match="^MODEL: Expected") as caught:
        load_model_file(path)
    assert says in str(caught.value)


def test_a_zip_that_is_no_model_is_refused(tmp_path):
    import zipfile

    path = tmp_path / "empty.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hello")
    with pytest.raises(UsageError, match="^MODEL: Expected a .keras model Keras can load"):
        load_model_file(path)


def test_arrays_load_without_pickle(tmp_path):
    np.save(tmp_path / "y.npy", np.arange(3))
    assert load_array(tmp_path / "y.npy", "--labels").tolist() == [0, 1, 2]
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(UsageError, match="^--labels: Expected a .npy array of numbers.*"
                                         "allow_pickle=False"):
        load_array(tmp_path / "objects.npy", "--labels")
    np.savez(tmp_path / "two.npz", a=np.arange(2), b=np.arange(3))
    with pytest.raises(UsageError, match="an .npz archive"):
        load_array(tmp_path / "two.npz", "--inputs")
    (tmp_path / "text.npy").write_text("0, 1, 2")
    with pytest.raises(UsageError, match="^--labels: Expected a .npy array"):
        load_array(tmp_path / "text.npy", "--labels")
