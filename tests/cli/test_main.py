"""The whole path on a real mini grid: config -> VGG16 features -> heads -> tables."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
import yaml

from runner.cli import main as cli
from tests.support import TINY, run_grid, select

pytestmark = pytest.mark.slow  # real fits, fuzzing or subprocess runs

# Few images, few steps: the lesson (which cells error, which learn) already shows.
MINI = {**TINY, "name": "mini",
        "training": {"epochs": 3, "batch_size": 32, "learning_rate": 0.01, "seed": 42},
        "datasets": TINY["datasets"] + [{"name": "mnist_binary", "max_train_samples": 128,
                                         "max_test_samples": 64}]}
CHANCE = 0.1


@pytest.fixture(scope="module")
def mini_run(tmp_path_factory):
    """Run the mini grid once through the CLI; tests read its outputs."""
    return run_grid(tmp_path_factory.mktemp("mini"), MINI)


def test_every_cell_has_one_row_in_every_output(mini_run):
    out, df = mini_run
    assert len(df) == 288 and df["cell_id"].is_unique
    lines = (out / "results.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["cell_id"] for line in lines) == sorted(df["cell_id"])
    cheat = pd.read_csv(out / "cheat_table.csv")
    value_columns = [c for c in cheat.columns if "logits=" in c]
    assert cheat[value_columns].notna().sum().sum() == 288
    markdown = (out / "cheat_table.md").read_text()
    assert markdown.count("### metric:") == 8
    assert yaml.safe_load((out / "config.yaml").read_text())["name"] == "mini"


@pytest.mark.parametrize("loss", ["binary_crossentropy", "categorical_crossentropy"])
def test_bce_and_cce_with_integer_labels_on_10_classes_are_errors(mini_run, loss):
    _, df = mini_run
    cells = select(df, dataset="mnist", encoding="integer", loss=loss)
    assert len(cells) == 24
    assert set(cells["status"]) == {"error"} and set(cells["phase"]) == {"fit"}
    assert set(cells["error_type"]) == {"ValueError"}


def test_scce_with_onehot_labels_is_an_error(mini_run):
    _, df = mini_run
    cells = select(df, encoding="onehot", loss="sparse_categorical_crossentropy")
    assert len(cells) == 48 and set(cells["status"]) == {"error"}


def test_scce_with_integer_labels_trains_above_chance(mini_run):
    _, df = mini_run
    cells = select(df, dataset="mnist", encoding="integer",
                   loss="sparse_categorical_crossentropy", activation="softmax", from_logits=False,
                   metric="sparse_categorical_accuracy")
    assert cells["status"].item() == "ok"
    assert cells["test_metric"].item() > 2 * CHANCE


def test_cce_with_onehot_labels_trains(mini_run):
    _, df = mini_run
    cells = select(df, dataset="mnist", encoding="onehot", loss="categorical_crossentropy",
                   activation="softmax", from_logits=False, metric="categorical_accuracy")
    assert cells["status"].item() == "ok"
    assert cells["test_metric"].item() > 2 * CHANCE


def test_one_unit_softmax_is_degenerate(mini_run):
    _, df = mini_run
    cells = select(df, dataset="mnist_binary", encoding="integer", activation="softmax",
                   loss="binary_crossentropy")
    assert len(cells) == 8 and set(cells["units"]) == {1}
    assert set(cells["verdict"]) == {"degenerate"}
    assert cells["constant_predictions"].all()


def test_binary_accuracy_on_10_class_onehot_labels_is_misleading(mini_run):
    _, df = mini_run
    cells = select(df, dataset="mnist", encoding="onehot", activation="softmax",
                   loss="categorical_crossentropy", from_logits=False)
    by_metric = cells.set_index("metric")
    assert by_metric.loc["binary_accuracy", "verdict"] == "misleading"
    assert by_metric.loc["binary_accuracy", "metric_gap"] > 0.02
    assert by_metric.loc["categorical_accuracy", "verdict"] in ("ok", "degenerate")
    assert by_metric.loc["accuracy", "metric_resolved"] == "categorical_accuracy"
    assert by_metric.loc["categorical_accuracy", "recommended"]


def test_identical_heads_share_an_equivalence_group(mini_run):
    out, df = mini_run
    sparse = select(df, dataset="mnist", encoding="integer",
                    loss="sparse_categorical_crossentropy", metric="sparse_categorical_accuracy")
    logits = sparse[sparse["from_logits"] & (sparse["activation"] == "none")].iloc[0]
    probabilities = sparse[~sparse["from_logits"] & (sparse["activation"] != "none")]
    # TensorFlow's cross-entropy recovers the logits from a sigmoid or softmax output, so
    # sigmoid + SCCE and softmax + SCCE train exactly as none + SCCE(from_logits=True)
    assert set(probabilities["equivalence_group"]) == {logits["equivalence_group"]}
    assert set(probabilities["same_as"]) == {logits["name"].rsplit("/", 1)[0]}
    assert "Identical heads" in (out / "cheat_table.md").read_text()


def test_jsonl_keeps_histories_and_warnings(mini_run):
    out, _ = mini_run
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    ok = [r for r in rows if r["status"] == "ok"]
    assert all(len(r["history_loss"]) == 3 and len(r["history_reference_accuracy"]) == 3
               for r in ok)
    assert any(w for r in rows for w in r["warnings"])


def test_rows_carry_provenance(mini_run):
    _, df = mini_run
    row = df.iloc[0]
    assert row["weights"] == "random(he_normal,seed=0)"
    assert (row["data_source"], row["n_train"], row["n_test"]) == ("embedded", 256, 128)
    assert row["seed"] == 42 and row["epochs"] == 3
    assert row["keras_version"].startswith("3.") and isinstance(row["tf_version"], str)


def test_table_rebuilds_from_results_jsonl(mini_run, tmp_path):
    out, df = mini_run
    (tmp_path / "results.jsonl").write_text((out / "results.jsonl").read_text())
    shutil.copytree(out / "predictions", tmp_path / "predictions")
    assert cli.main(["table", str(tmp_path)]) == 0
    rebuilt = pd.read_csv(tmp_path / "results.csv")
    pd.testing.assert_frame_equal(rebuilt, df)
    assert (tmp_path / "cheat_table.md").read_text() == (out / "cheat_table.md").read_text()


def test_dry_run_lists_cells_and_writes_nothing(write_config, tmp_path, capsys):
    path = write_config({**TINY, "exclude": [{"encoding": "onehot",
                                              "loss": "sparse_categorical_crossentropy"}]})
    assert cli.main(["grid", str(path), "--dry-run", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "120 cells (30 trained heads)" in out
    assert "mnist/onehot/softmax/categorical_crossentropy/logits=false/categorical_accuracy" in out
    assert not (tmp_path / "o").exists()


def test_cell_without_config(capsys):
    code = cli.main(["cell", "--dataset", "mnist_binary", "--encoding", "integer",
                     "--activation", "sigmoid", "--loss", "BinaryCrossentropy",
                     "--metric", "binary_accuracy", "--epochs", "2",
                     "--max-train-samples", "64", "--max-test-samples", "32"])
    out = capsys.readouterr().out
    assert code == 0
    assert "mnist_binary/integer/sigmoid/binary_crossentropy/logits=false/binary_accuracy" in out
    assert "status: ok" in out and "test_metric:" in out


def test_cell_from_config_by_name(write_config, capsys):
    path = write_config({**TINY, "datasets": [{"name": "mnist", "max_train_samples": 64,
                                               "max_test_samples": 32}]})
    name = "mnist/integer/none/binary_crossentropy/logits=true/accuracy"
    assert cli.main(["cell", str(path), "--cell", name]) == 0
    out = capsys.readouterr().out
    assert "status: error" in out and "phase: fit" in out


@pytest.mark.parametrize("argv, fragment", [
    (["cell", "--encoding", "integer"], "give --activation, --loss, --metric"),
    (["cell", "{config}"], "give --cell ID_OR_NAME"),
    (["cell", "{config}", "--cell", "mnist/integer/none/bce"], "Expected a cell id or name"),
    (["cell", "--encoding", "integer", "--activation", "none", "--loss", "binary_crossentropy",
      "--metric", "accuracy", "--epochs", "0"], "'training.epochs'"),
    (["table", "{missing}"], "Expected a run directory"),
])
def test_usage_errors_exit_2(argv, fragment, write_config, tmp_path, capsys):
    config = write_config(TINY)
    argv = [a.format(config=config, missing=tmp_path / "none") for a in argv]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err
