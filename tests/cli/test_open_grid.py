"""Your own problem on a real mini grid: a TFDS dataset the catalogue does not list and a
folder of images, two backbones, the focal and hinge losses, label smoothing, top-k and a
metric without a reference -> tables, through the CLI; then resumed."""

from __future__ import annotations

import pytest

from runner.cli import main as cli
from runner.data import sources as availability
from tests.support import run_grid, select, store_cifar10, write_image_folder

pytestmark = pytest.mark.slow  # real fits, fuzzing or subprocess runs


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Run the mini grid once through the CLI, offline; tests read its outputs."""
    root = tmp_path_factory.mktemp("open_grid")
    store_cifar10(root / "tfds", n_train_per_class=10, n_test_per_class=3)
    write_image_folder(root / "folder", (1, 7), per_class=12, sizes=(28, 36))
    doc = {"name": "open", "backbone": {"weights": "random", "input_size": 32},
           "training": {"epochs": 2, "batch_size": 16, "learning_rate": 0.01, "seed": 3},
           "datasets": [{"name": "cifar10", "source": "tfds", "data_dir": str(root / "tfds")},
                        {"name": "digits", "source": "folder", "path": str(root / "folder"),
                         "test_fraction": 0.25}],
           "grid": {"backbone": ["vgg16", "mobilenet_v2"], "encoding": ["onehot"],
                    "activation": ["none", "softmax"],
                    "loss": ["categorical_focal_crossentropy", "categorical_hinge"],
                    "from_logits": [False], "label_smoothing": [0.0, 0.1],
                    "metric": ["categorical_accuracy", "top_k_categorical_accuracy", "auc"]}}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(availability.OFFLINE_ENV, "1")
        out, df = run_grid(root, doc)
        lines = len((out / "results.jsonl").read_text(encoding="utf-8").splitlines())
        code = cli.main(["grid", str(root / "open.yaml"), "--out", str(out), "--no-progress"])
        after = len((out / "results.jsonl").read_text(encoding="utf-8").splitlines())
    return out, df, (code, lines, after)


def test_every_dataset_and_backbone_gets_its_cells_and_section(run):
    out, df, _ = run
    assert len(df) == 2 * 2 * 2 * 2 * 2 * 3  # datasets, backbones, act., losses, ls, metrics
    assert set(df["backbone"]) == {"vgg16", "mobilenet_v2"}
    assert set(df["data_source"]) == {"tfds", "folder"}
    assert set(select(df, dataset="digits")["n_test"]) == {6}  # a quarter of 24 held out
    text = (out / "cheat_table.md").read_text(encoding="utf-8")
    for section in ("cifar10 · vgg16", "cifar10 · mobilenet_v2", "digits · vgg16",
                    "digits · mobilenet_v2"):
        assert f"## {section}" in text
        assert (out / f"heatmap_{section.replace(' · ', '_')}.svg").is_file()
    assert "CatHinge logits=false ls=0.1" in text and "(no reference" in text
    weights = set(df["weights"])
    assert weights == {"random(he_normal,seed=0)", "random(he_normal_fan_in,seed=0)"}


def test_keras_s_errors_and_the_references_are_results(run):
    _, df, _ = run
    smoothed = select(df, loss="categorical_hinge", label_smoothing=0.1)
    assert set(smoothed["error_type"]) == {"TypeError"} and set(smoothed["phase"]) == {
        "compile"}
    ok = df[df["status"] == "ok"]
    assert ok["loss"].eq("categorical_focal_crossentropy").any() and ok["loss"].eq(
        "categorical_hinge").any()
    auc = select(ok, metric="auc")
    assert auc["metric_reference"].isna().all() and (auc["verdict"] != "misleading").all()
    top_k = select(ok, metric="top_k_categorical_accuracy")
    gaps = (top_k["test_metric"] - top_k["metric_reference"]).abs()
    assert (gaps < 1e-6).all()  # Keras's top-5 is the top-5 of the raw outputs
    accuracy = select(ok, metric="categorical_accuracy")
    assert (accuracy["metric_reference"] == accuracy["reference_accuracy"]).all()


def test_the_run_resumes_with_nothing_left_to_do(run):
    """The facts read from the data enter the settings hash the same way each time: a
    rerun finds every cell done and trains nothing."""
    _, df, (code, lines, after) = run
    assert (code, lines, after) == (0, len(df), len(df))
