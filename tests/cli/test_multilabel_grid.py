"""Part C on a real mini grid: embedded mnist_multilabel -> VGG16 features -> heads -> tables."""

from __future__ import annotations

import pytest

from runner import vocab
from runner.config import DatasetConfig
from runner.data.arrays import load_dataset
from runner.data.sources import resolve_source
from runner.train import judge
from tests.support import run_grid, select

pytestmark = pytest.mark.slow  # real fits, fuzzing or subprocess runs

# Two digits that random-weight features tell apart within 3 epochs; label sets {0}, {1}
# and {0, 1}. (On all ten digits a few hundred canvases and 3 epochs teach no head to get
# a single label set right: the multi-label lesson needs default.yaml's 40 epochs.)
DATASET = {"name": "mnist_multilabel", "classes": [0, 1], "max_train_samples": 400,
           "max_test_samples": 200}
MINI = {
    "name": "mini_multilabel",
    "backbone": {"name": "vgg16", "weights": "random", "input_size": 32},
    "training": {"epochs": 3, "batch_size": 16, "learning_rate": 0.01, "seed": 42},
    "datasets": [DATASET],
    "grid": {"encoding": ["multihot"], "activation": list(vocab.TUTORIAL_ACTIVATIONS),
             "loss": list(vocab.TUTORIAL_LOSSES), "from_logits": [True, False],
             "metric": ["accuracy", "binary_accuracy", "categorical_accuracy"]},
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Run the mini grid once through the CLI; tests read its outputs."""
    return run_grid(tmp_path_factory.mktemp("mini_multilabel"), MINI)


def test_sigmoid_bce_beats_the_exact_match_majority_rate(run):
    _, df = run
    cells = select(df, activation="sigmoid", loss="binary_crossentropy", from_logits=False)
    assert len(cells) == 3 and set(cells["status"]) == {"ok"}
    row = cells.iloc[0]
    assert row["reference_accuracy"] > row["majority_rate"] + judge.DEGENERATE_MARGIN
    assert row["verdict"] != "degenerate"
    # per label it reads higher than per image: Keras's binary_accuracy is Hamming accuracy
    binary = select(cells, metric="binary_accuracy").iloc[0]
    assert binary["test_metric"] == pytest.approx(binary["hamming_accuracy"], abs=1e-6)
    assert binary["hamming_accuracy"] >= binary["reference_accuracy"]
    assert bool(binary["recommended"])


def test_scce_with_multi_hot_labels_is_an_error(run):
    _, df = run
    cells = select(df, loss="sparse_categorical_crossentropy")
    assert len(cells) == 18
    assert set(cells["status"]) == {"error"} and set(cells["phase"]) == {"fit"}
    assert set(cells["error_type"]) == {"ValueError"}


def test_a_softmax_head_never_gets_a_two_label_image_right(run):
    _, df = run
    dataset = DatasetConfig(**DATASET)
    labels = load_dataset(dataset, resolve_source(dataset)).test_labels
    one_label = float((labels.sum(axis=1) == 1).mean())
    assert 0.3 < one_label < 0.7
    softmax = select(df, activation="softmax", status="ok")
    assert len(softmax) == 12
    # at most one softmax output can exceed 0.5: only one-label images can be right
    assert (softmax["reference_accuracy"] <= one_label + 1e-9).all()


def test_every_trained_cell_records_the_multi_label_analysis(run):
    out, df = run
    ok = df[df["status"] == "ok"]
    assert len(df) == 54 and len(ok) == 36
    assert ok["hamming_accuracy"].notna().all() and ok["metric_resolved"].notna().all()
    assert set(ok["n_test"]) == {133} and set(ok["num_classes"]) == {2}
    # what Keras builds for 'accuracy' on multi-hot labels, whatever the loss
    assert set(select(ok, metric="accuracy")["metric_resolved"]) == {"categorical_accuracy"}
    markdown = (out / "cheat_table.md").read_text(encoding="utf-8")
    assert "## mnist_multilabel: Part C (multi-label)" in markdown and "2 labels" in markdown
