"""changes.md on hand-made rows and snippet runs: release lines, and what changed when."""

from __future__ import annotations

import pandas as pd
import pytest

from runner.report.tables import annotate
from runner.tutorial import changes
from tests.support import row

# Three releases of one line (TensorFlow) and one of another (JAX), as rows carry them.
RELEASES = {"tf2.12.1": ("2.12.0", "2.12.1", "tensorflow", "tf_keras"),
            "keras3.4.1-tf2.17.1": ("3.4.1", "2.17.1", "tensorflow", "tensorflow"),
            "current": ("3.15.1", "2.21.0", "tensorflow", "tensorflow"),
            "keras3.4.1-jax": ("3.4.1", "2.17.1", "jax", "jax")}


def _rows(environment: str, **cell) -> dict:
    keras, tf, backend, framework = RELEASES[environment]
    base = row(encoding="integer", activation="none", loss="binary_crossentropy",
               from_logits=True, dataset="mnist_binary", **cell)
    name = base["name"] if environment == "current" else f"{environment}:{base['name']}"
    return {**base, "name": name, "base_id": base["cell_id"],
            "cell_id": f"{environment}-{base['cell_id']}",
            "head_id": f"{environment}-{base['head_id']}", "environment": environment,
            "keras_version": keras, "tf_version": tf, "backend": backend,
            "framework": framework}


def _frame() -> pd.DataFrame:
    logits_metric = dict(metric="binary_accuracy_logits", value=0.9)
    return annotate(pd.DataFrame([
        _rows("tf2.12.1", **logits_metric),
        _rows("keras3.4.1-tf2.17.1", metric="binary_accuracy_logits", error="ValueError"),
        _rows("current", **logits_metric),
        _rows("keras3.4.1-jax", metric="binary_accuracy_logits", error="ValueError"),
        _rows("tf2.12.1", metric="accuracy", value=0.9, metric_resolved="binary_accuracy"),
        _rows("keras3.4.1-tf2.17.1", metric="accuracy", value=0.9,
              metric_resolved="binary_accuracy",
              warnings=["You are using a softmax over axis -1 of a tensor of shape (64, 1)"]),
        _rows("current", metric="accuracy", value=0.9, metric_resolved="binary_accuracy",
              warnings=["You are using a softmax over axis -1 of a tensor of shape (200, 1)"]),
    ]))


def test_releases_in_order_per_backend():
    lines = changes.release_lines(_frame(), None)
    assert [r.label for r in lines["tensorflow"]] == ["tf2.12.1", "keras3.4.1-tf2.17.1",
                                                      "tensorflow"]
    assert [r.keras for r in lines["jax"]] == ["3.4.1"]


def test_cells_change_where_their_outcome_or_warnings_do():
    df = _frame()
    found = changes.cell_changes(df, changes.release_lines(df, None)["tensorflow"])
    seen = {(c["before"].keras, c["after"].keras, c["what"], c["from"], c["to"])
            for c in found}
    assert seen == {
        ("2.12.0", "3.4.1", "outcome", "ok", "error: ValueError"),
        ("3.4.1", "3.15.1", "outcome", "error: ValueError", "ok"),
        # the same warning on a batch of 64 and of 200: it appears once, then stays
        ("2.12.0", "3.4.1", "warning appears", "",
         "You are using a softmax over axis -N of a tensor of shape (N, N)")}


@pytest.mark.parametrize("values, text", [
    ([True, False, False], "holds on Keras 2.12.0, not from 3.4.1"),
    ([False, False, True], "does not hold on Keras 2.12.0 to 3.4.1, holds from 3.15.1"),
    ([True, False, True], "holds on Keras 2.12.0; does not hold on Keras 3.4.1; holds on "
                          "Keras 3.15.1"),
    ([None, True, True], "not tested on Keras 2.12.0; holds on Keras 3.4.1 to 3.15.1"),
])
def test_spans_read_along_the_releases(values, text):
    line = changes.release_lines(_frame(), None)["tensorflow"]
    assert changes.spans(line, values) == text


def _run(keras: str, threshold_zero: str | None) -> dict:
    return {"keras_version": keras, "tf_version": "2.17.1", "backend": "tensorflow",
            "results": [{"key": "001-binary-accuracy", "output": "Binary Accuracy: 0.5",
                         "error": threshold_zero, "literal_error": None, "warnings": [],
                         "holds": None, "why": None}]}


def test_snippets_change_where_they_print_or_raise_otherwise():
    df = _frame()
    runs = {"tf2.12.1": _run("2.12.0", None),
            "keras3.4.1-tf2.17.1": _run("3.4.1", "ValueError: Invalid value for argument "
                                                  "threshold"),
            "tensorflow": _run("3.15.1", None)}
    found = changes.snippet_changes(runs, changes.release_lines(df, runs)["tensorflow"])
    assert [(c["after"].keras, c["what"]) for c in found] == [("3.4.1", "raises"),
                                                             ("3.15.1", "raises")]
    text = changes.changes_markdown(df, runs)
    assert "| `001-binary-accuracy` | tensorflow: Keras 2.12.0 (tf2.12.1) → Keras 3.4.1" in text
    assert "### tensorflow: Keras 2.12.0 (tf2.12.1) → Keras 3.4.1 (keras3.4.1-tf2.17.1)" in text


def test_nothing_to_say_with_one_release_per_backend():
    df = _frame()
    assert changes.changes_markdown(df[df["environment"] == "current"], None) is None
