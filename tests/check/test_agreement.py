"""The grid is the oracle: check's verdicts against a fresh (tiny) grid run, cell by cell."""

from __future__ import annotations

import pytest

from scripts import check_agreement
from tests.support import run_grid

pytestmark = pytest.mark.slow  # a grid run, then a probe per head

# Every rule has cells here: one unit (a constant softmax, a cross-entropy that cannot move,
# thresholds on logits), two one-hot units, multi-hot rows (exact match; CCE's level).
TINY_GRID = {
    "name": "check-agreement",
    "backbone": {"name": "vgg16", "weights": "random", "input_size": 32},
    "training": {"epochs": 5, "batch_size": 32, "learning_rate": 0.01, "seed": 42},
    "datasets": [{"name": "mnist_binary", "max_train_samples": 192, "max_test_samples": 96},
                 {"name": "mnist_multilabel", "max_train_samples": 192,
                  "max_test_samples": 96}],
    "grid": {"encoding": ["integer", "onehot", "multihot"],
             "activation": ["none", "sigmoid", "softmax"],
             "loss": ["binary_crossentropy", "categorical_crossentropy"],
             "from_logits": [True, False],
             "metric": ["accuracy", "binary_accuracy", "categorical_accuracy"]},
    "exclude": [{"activation": ["sigmoid", "softmax"], "from_logits": True}],
    "include": [  # errors: one unit with SCCE (label 1 of 1 class), one-hot rows as indices
        {"dataset": "mnist_binary", "encoding": "integer", "activation": "sigmoid",
         "loss": "sparse_categorical_crossentropy", "from_logits": False, "metric": "accuracy"},
        {"dataset": "mnist_binary", "encoding": "onehot", "activation": "softmax",
         "loss": "categorical_crossentropy", "from_logits": False,
         "metric": "sparse_categorical_accuracy"}],
}
CELLS = 3 * 8 * 3 + 2  # encodings x heads x metrics, and the two included cells


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out, _ = run_grid(tmp_path_factory.mktemp("agreement"), TINY_GRID)
    return out


def test_every_certain_verdict_before_training_is_the_grids(run_dir):
    found = check_agreement.compare_run(run_dir)
    assert len(found) == CELLS
    certain = [c for c in found if c.certainty == "certain"]
    assert {c.grid for c in certain} == {"error", "degenerate"}
    assert [(c.name, c.grid, c.check) for c in certain if not c.agrees] == []
    share = check_agreement.summary(found)
    assert share["cells"] == CELLS and share["agree"] == sum(c.agrees for c in found)


def test_on_the_trained_outputs_check_says_what_the_grid_says(run_dir):
    # multi-hot rows: exact match, per-label accuracy and thresholds on logits all at once
    found = check_agreement.compare_run(run_dir, outputs=True, datasets=("mnist_multilabel",))
    assert len(found) == 8 * 3  # its eight heads all train
    assert all(c.certainty in ("measured", "certain") for c in found)
    assert [(c.name, c.grid, c.check, c.why) for c in found if not c.agrees] == []
