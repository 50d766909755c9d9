"""Claims: checks on hand-made rows, the probe of Keras itself, README splicing."""

from __future__ import annotations

import pandas as pd
import pytest

from runner.report.markdown import splice_section
from runner.tutorial.claims import CLAIMS, README_BEGIN, README_END, claims_markdown, evaluate
from tests.support import row

BCE, CCE, SCCE = "binary_crossentropy", "categorical_crossentropy", \
    "sparse_categorical_crossentropy"


def _row(dataset, encoding, activation, loss, from_logits, metric, value=None, units=10):
    """A cell of the claims' tables: ok with `value`, or (no value) failing in fit."""
    return row(dataset, encoding, activation, loss, from_logits, metric, value=value,
               error=None if value is not None else "ValueError", units=units,
               error_message=None if value is not None else "rank mismatch")


def _findings(rows):
    return {claim.says: finding for claim, finding in evaluate(pd.DataFrame(rows))}


def _claim(fragment):
    [says] = [c.says for c in CLAIMS if fragment in c.says]
    return says


def test_error_claim_holds_only_if_every_cell_fails():
    says = _claim("BinaryCrossentropy and CategoricalCrossentropy raise errors")
    failing = [_row("mnist", "integer", "softmax", loss, False, "accuracy")
               for loss in (BCE, CCE)]
    assert _findings(failing)[says].holds is True
    assert "rank mismatch" in _findings(failing)[says].shows
    one_runs = failing[:1] + [_row("mnist", "integer", "softmax", CCE, False, "accuracy", 0.3)]
    assert _findings(one_runs)[says].holds is False


@pytest.mark.parametrize("sigmoid, softmax, holds", [(0.91, 0.91, True), (0.91, 0.80, False)])
def test_same_accuracy_claim(sigmoid, softmax, holds):
    says = _claim("sigmoid and softmax with SparseCategoricalCrossentropy")
    rows = [_row("mnist", "integer", "sigmoid", SCCE, False, "sparse_categorical_accuracy",
                 sigmoid),
            _row("mnist", "integer", "softmax", SCCE, False, "sparse_categorical_accuracy",
                 softmax)]
    assert _findings(rows)[says].holds is holds


def test_claims_without_cells_are_not_tested():
    findings = _findings([_row("mnist", "onehot", "softmax", CCE, False, "accuracy", 0.9)])
    assert findings[_claim("Dense(1, softmax)")].holds is None


def test_one_unit_softmax_claim_reads_the_binary_part():
    rows = [_row("mnist_binary", "integer", act, BCE, False, "binary_accuracy", value, units=1)
            for act, value in (("softmax", 0.5), ("sigmoid", 0.88))]
    finding = _findings(rows)[_claim("Dense(1, softmax)")]
    assert finding.holds is True and "0.8800" in finding.shows


def test_from_logits_probe_asks_keras():
    finding = _findings([_row("mnist", "onehot", "softmax", CCE, False, "accuracy", 0.9)])[
        _claim("apply a sigmoid")]
    assert finding.holds is False and "it applies a softmax" in finding.shows


def test_markdown_and_readme_splice():
    table = claims_markdown(pd.DataFrame([_row("mnist", "onehot", "softmax", CCE, False,
                                               "accuracy", 0.9)]))
    assert table.count("\n| ") == len(CLAIMS) + 1
    readme = f"intro\n{README_BEGIN}\nstale text\n{README_END}\noutro\n"
    spliced = splice_section(readme, table, README_BEGIN, README_END)
    assert spliced.startswith("intro\n") and spliced.endswith(f"{README_END}\noutro\n")
    assert "stale text" not in spliced and table in spliced
    with pytest.raises(ValueError, match="Expected the markers"):
        splice_section("no markers", table, README_BEGIN, README_END)


def test_identical_heads_answer_why_0_6992():
    rows = []
    for k, (act, loss, logits, group) in enumerate([
            ("sigmoid", BCE, False, "g1"), ("softmax", BCE, False, "g1"),
            ("none", CCE, True, "g2"), ("softmax", CCE, False, "g3")]):
        row = _row("mnist_binary", "onehot", act, loss, logits, "categorical_accuracy", 0.7,
                   units=2)
        rows.append({**row, "head_id": f"h{k}", "equivalence_group": group})
    finding = _findings(rows)[_claim("Why 0.6992")]
    assert finding.holds is False
    assert "1 groups" in finding.shows and "sigmoid+BCE=softmax+BCE" in finding.shows
    without = [{**r, "equivalence_group": None} for r in rows]
    assert _findings(without)[_claim("Why 0.6992")].holds is None


def _multi_label_rows(references):
    """Part C rows: one binary_accuracy cell per (activation, loss) with its exact match."""
    rows = []
    for (activation, loss), reference in references.items():
        row = _row("mnist_multilabel", "multihot", activation, loss, False, "binary_accuracy",
                   None if reference is None else 0.9)
        row.update(reference_accuracy=reference, majority_rate=0.07)
        rows.append(row)
    return rows


@pytest.mark.parametrize("bce, cce, independent, cce_works", [
    (0.37, 0.27, True, False),  # sigmoid + BCE clearly better than softmax + CCE
    (0.37, 0.36, False, True),  # within SIMILAR_TOLERANCE: CCE does about as well
])
def test_multi_label_loss_claims_compare_exact_match(bce, cce, independent, cce_works):
    rows = _multi_label_rows({("sigmoid", BCE): bce, ("softmax", CCE): cce,
                              ("sigmoid", CCE): 0.01, ("softmax", SCCE): None})
    findings = _findings(rows)
    first = findings[_claim("labels are independent")]
    assert first.holds is independent
    assert f"sigmoid + BCE {bce:.4f}" in first.shows and "label set 0.0700" in first.shows
    works = findings[_claim("works well for multi-label")]
    assert works.holds is cce_works
    assert f"softmax + CCE {cce:.4f}" in works.shows  # the best CCE head, not sigmoid + CCE
    assert findings[_claim("doesn't work for multi-label")].holds is True


def test_multi_label_claims_read_part_c_only():
    findings = _findings([_row("mnist", "onehot", "softmax", CCE, False, "accuracy", 0.9)])
    assert findings[_claim("labels are independent")].holds is None
    assert findings[_claim("doesn't work for multi-label")].holds is None
