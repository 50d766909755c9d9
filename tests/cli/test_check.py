"""`cheatgrid check`: exit codes 0 / 1 / 2, JSON on stdout, one line for bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from runner.cli import main as cli

BINARY = np.array([0.0, 1.0] * 50, dtype=np.float32)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A 1-unit sigmoid head for binary labels, saved twice: with binary_accuracy (ok) and
    with categorical_accuracy (misleading); its labels and inputs."""
    import keras

    root = tmp_path_factory.mktemp("check")
    for name, metric in (("ok", "binary_accuracy"), ("misleading", "categorical_accuracy")):
        inputs = keras.Input((3,))
        model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(inputs))
        model.compile(loss="binary_crossentropy", metrics=[metric])
        model.save(root / f"{name}.keras")
    np.save(root / "labels.npy", BINARY)
    np.save(root / "nan.npy", np.where(np.arange(100) == 7, np.nan, BINARY))
    np.save(root / "inputs.npy", np.zeros((99, 3), dtype=np.float32))
    (root / "text.keras").write_text("not a model")
    return root


def _run(capsys, *argv):
    code = cli.main(["check", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
@pytest.mark.parametrize("name, code", [("ok", 0), ("misleading", 1)])
def test_exit_code_is_0_only_when_every_verdict_is_ok(saved, capsys, name, code):
    found, out, err = _run(capsys, saved / f"{name}.keras", "--labels", saved / "labels.npy",
                           "--format", "json")
    assert found == code, err
    data = json.loads(out)
    assert (data["label_encoding"], data["units"], data["activation"]) == ("integer", 1,
                                                                           "sigmoid")
    assert [m["verdict"] for m in data["metrics"]] == ["ok" if code == 0 else "misleading"]


@pytest.mark.slow
@pytest.mark.parametrize("loss, code", [("sparse_categorical_crossentropy", 0),
                                        ("binary_crossentropy", 1)])
def test_flags_without_a_model(capsys, loss, code):
    found, out, err = _run(capsys, "--encoding", "integer", "--classes", 10, "--activation",
                           "softmax", "--loss", loss, "--metric", "sparse_categorical_accuracy")
    assert found == code, err
    assert "sparse_categorical_accuracy" in out and ("ERROR" in out) == (code == 1)


@pytest.mark.slow
def test_a_linear_activation_as_written_is_none(capsys):
    found = [_run(capsys, "--encoding", "integer", "--classes", 4, "--activation", activation,
                  "--loss", "sparse_categorical_crossentropy", "--metric", "accuracy",
                  "--format", "json") for activation in ("linear", "none")]
    assert found[0][0] == found[1][0] == 1  # impaired: from_logits=False on a linear output
    linear, none = (json.loads(out) for _, out, _ in found)
    assert linear["activation"] == none["activation"] == "none"
    assert linear["head"]["verdict"] == none["head"]["verdict"] == "impaired"


@pytest.mark.parametrize("argv, says", [
    (["{root}/text.keras", "--labels", "{root}/labels.npy"], "MODEL: Expected a Keras 3 .keras"),
    (["{root}/ok.keras", "--labels", "{root}/nan.npy"],
     "labels: Expected finite numbers. Received: 1 NaN or infinite value(s), the first in "
     "row 7"),
    (["{root}/ok.keras", "--labels", "{root}/labels.npy", "--inputs", "{root}/inputs.npy"],
     "inputs: Expected as many rows as labels (100). Received: 99"),
    (["{root}/ok.keras", "--labels", "{root}/missing.npy"], "--labels: Expected a .npy file"),
    (["{root}/ok.keras"], "Expected --labels LABELS.npy with MODEL"),
    (["{root}/ok.keras", "--labels", "{root}/labels.npy", "--classes", "3"],
     "Expected either MODEL with --labels or the flags"),
    (["--encoding", "integer", "--classes", "3"], "or the flags ['--activation', '--loss', "
                                                  "'--metric']. Received: neither"),
])
def test_bad_input_is_one_line_and_exit_2(saved, capsys, argv, says):
    code, out, err = _run(capsys, *[a.format(root=saved) for a in argv])
    assert code == 2 and out == ""
    assert err.startswith("cheatgrid: error: ") and err.count("\n") == 1, err
    assert says in err


def test_check_help_imports_no_tensorflow():
    code = ("import sys, contextlib, io\n"
            "from runner.cli.main import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n"
            "        main(['check', '--help'])\n"
            "    except SystemExit:\n"
            "        pass\n"
            "print(sorted(m for m in ('tensorflow', 'keras', 'pandas') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout == "[]\n", done.stderr
