"""Claims on hand-made rows: each judged on its quantity, the metric's lie beside the verdict,
the claims about Keras functions read from snippet runs, README splicing."""

from __future__ import annotations

import pandas as pd
import pytest

from runner.report.markdown import splice_section
from runner.tutorial import claim_checks
from runner.tutorial.claims import (
    CLAIMS,
    KERAS_CLAIMS,
    README_BEGIN,
    README_END,
    claims_markdown,
    evaluate,
    verdict_text,
)
from tests.support import row

BCE, CCE, SCCE = "binary_crossentropy", "categorical_crossentropy", \
    "sparse_categorical_crossentropy"
# A snippet run of two frameworks: the default holds the reduction statement, the other not.
RUNS = {"tensorflow": {"keras_version": "3.15.1", "results": [
            {"key": "003-reduction-values", "output": "", "error": None, "literal_error": None,
             "holds": False, "why": "rejected: 'auto'"}]},
        "tf_keras": {"keras_version": "2.21.0", "results": [
            {"key": "003-reduction-values", "output": "", "error": None, "literal_error": None,
             "holds": True, "why": "accepted: 'auto', 'none'"}]}}


def _row(dataset, encoding, activation, loss, from_logits, metric, value=None, units=10,
         **extra):
    """A cell of the claims' tables: ok with `value`, or (no value) failing in fit."""
    return row(dataset, encoding, activation, loss, from_logits, metric, value=value,
               error=None if value is not None else "ValueError", units=units,
               error_message=None if value is not None else "rank mismatch", **extra)


def _findings(rows, runs=RUNS):
    return {claim.says: finding for claim, finding in evaluate(pd.DataFrame(rows), runs)}


def _claim(fragment):
    [says] = [c.says for c in CLAIMS if fragment in c.says]
    return says


ONE = [_row("mnist", "onehot", "softmax", CCE, False, "accuracy", 0.9)]


def test_error_claim_holds_only_if_every_cell_fails():
    says = _claim("BinaryCrossentropy and CategoricalCrossentropy raise errors")
    failing = [_row("mnist", "integer", "softmax", loss, False, "accuracy")
               for loss in (BCE, CCE)]
    assert _findings(failing)[says].holds is True
    assert "rank mismatch" in _findings(failing)[says].shows
    assert _findings(failing)[says].judged_on == claim_checks.ON_STATUS
    one_runs = failing[:1] + [_row("mnist", "integer", "softmax", CCE, False, "accuracy", 0.3)]
    assert _findings(one_runs)[says].holds is False


@pytest.mark.parametrize("sigmoid, softmax, holds", [(0.91, 0.91, True), (0.91, 0.80, False)])
def test_same_accuracy_claim_is_judged_on_the_reference_accuracy(sigmoid, softmax, holds):
    """The metric shows 0.5 for both; only the reference accuracy tells them apart."""
    says = _claim("sigmoid and softmax with SparseCategoricalCrossentropy")
    rows = [_row("mnist", "integer", act, SCCE, False, "sparse_categorical_accuracy", 0.5,
                 reference=reference)
            for act, reference in (("sigmoid", sigmoid), ("softmax", softmax))]
    finding = _findings(rows)[says]
    assert finding.holds is holds and finding.judged_on == claim_checks.ON_TRAINING
    assert f"{softmax:.4f}" in finding.shows


def _part_a(none_reference=0.88, group="g1"):
    """Part A's 1-unit heads: sigmoid + BCE, and none + BCE(logits) whose binary_accuracy
    thresholds its logit at 0.5 (0.855 where the head's reference accuracy is 0.88)."""
    return [_row("mnist_binary", "integer", "sigmoid", BCE, False, "binary_accuracy", 0.88,
                 units=1, equivalence_group="g1", metric_resolved="binary_accuracy"),
            _row("mnist_binary", "integer", "none", BCE, True, "binary_accuracy", 0.855,
                 reference=none_reference, units=1, equivalence_group=group,
                 metric_resolved="binary_accuracy")]


def test_a1_holds_as_one_model_with_the_metrics_lie_beside_it():
    finding = _findings(_part_a())[_claim("both work")]
    assert finding.holds is True and finding.judged_on == claim_checks.ON_TRAINING
    assert verdict_text(finding) == "holds (same model, group g1)"
    assert "`binary_accuracy` shows 0.8550 where the reference accuracy is 0.8800" in \
        finding.metric_note
    assert "`BinaryAccuracy(threshold=0.0)`" in finding.metric_note


def test_a1_does_not_hold_when_a_head_learns_nothing():
    finding = _findings(_part_a(none_reference=0.5, group="g2"))[_claim("both work")]
    assert finding.holds is False and "learned nothing" in finding.shows
    assert verdict_text(finding) == "does not hold"


@pytest.mark.parametrize("resolved, holds", [("categorical_accuracy", True),
                                             ("binary_accuracy", False)])
def test_accuracy_claims_read_the_metric_keras_built(resolved, holds):
    rows = [_row("mnist_binary", "integer", "sigmoid", CCE, False, "accuracy", 0.5, units=1,
                 metric_resolved=resolved)]
    finding = _findings(rows)[_claim("with categorical cross-entropy on a binary task")]
    assert finding.holds is holds and finding.judged_on == claim_checks.ON_RESOLVED
    assert f"built as `{resolved}`" in finding.shows


@pytest.mark.parametrize("value, holds", [(0.90, True), (0.60, False)])
def test_metric_claims_compare_the_metric_with_the_reference(value, holds):
    rows = [_row("mnist", "integer", "softmax", SCCE, False, "sparse_categorical_accuracy",
                 value, reference=0.9)]
    finding = _findings(rows)[_claim("sparse_categorical_accuracy is a correct metric")]
    assert finding.holds is holds and finding.judged_on == claim_checks.ON_METRIC


def test_claims_without_cells_are_not_tested():
    assert _findings(ONE)[_claim("Dense(1, softmax)")].holds is None


def test_one_unit_softmax_claim_reads_the_reference_accuracy():
    rows = [_row("mnist_binary", "integer", act, BCE, False, "binary_accuracy", value, units=1)
            for act, value in (("softmax", 0.5), ("sigmoid", 0.88))]
    finding = _findings(rows)[_claim("Dense(1, softmax)")]
    assert finding.holds is True and "0.8800" in finding.shows
    assert finding.judged_on == claim_checks.ON_REFERENCE


def test_every_claim_names_the_quantity_it_judges():
    for claim, finding in evaluate(pd.DataFrame(ONE), RUNS):
        assert finding.judged_on, claim.says
        if claim.snippet:
            assert finding.judged_on.startswith(claim_checks.ON_KERAS)


def test_keras_claims_are_judged_on_the_default_framework_and_show_the_others():
    finding = _findings(ONE)[_claim("`reduction` can be set to 'auto'")]
    assert finding.holds is False
    assert finding.shows.startswith("tensorflow: rejected: 'auto'")
    assert "tf_keras: holds, accepted: 'auto', 'none'" in finding.shows
    # a snippet that did not run leaves its claim untested
    assert _findings(ONE, runs={})[_claim("`reduction` can be set")].holds is None
    assert len(KERAS_CLAIMS) >= 10


def test_markdown_and_readme_splice():
    table = claims_markdown(pd.DataFrame(ONE), RUNS)
    assert table.count("\n| ") == len(CLAIMS) + 1
    assert "| part | the tutorial says | judged on | this run shows | verdict | the metric |" \
        in table
    readme = f"intro\n{README_BEGIN}\nstale text\n{README_END}\noutro\n"
    spliced = splice_section(readme, table, README_BEGIN, README_END)
    assert spliced.startswith("intro\n") and spliced.endswith(f"{README_END}\noutro\n")
    assert "stale text" not in spliced and table in spliced
    with pytest.raises(ValueError, match="Expected the markers"):
        splice_section("no markers", table, README_BEGIN, README_END)


def test_markdown_puts_the_metrics_lie_next_to_the_verdict():
    table = claims_markdown(pd.DataFrame(_part_a()), RUNS)
    [line] = [line for line in table.splitlines() if "both work" in line]
    assert "| holds (same model, group g1) | none + BCE(logits): `binary_accuracy` shows " \
        "0.8550" in line


def test_identical_heads_answer_why_0_6992():
    rows = []
    for k, (act, loss, logits, group) in enumerate([
            ("sigmoid", BCE, False, "g1"), ("softmax", BCE, False, "g1"),
            ("none", CCE, True, "g2"), ("softmax", CCE, False, "g3")]):
        row = _row("mnist_binary", "onehot", act, loss, logits, "categorical_accuracy", 0.7,
                   units=2)
        rows.append({**row, "head_id": f"h{k}", "equivalence_group": group})
    finding = _findings(rows)[_claim("Why 0.6992")]
    assert finding.holds is False and finding.judged_on == claim_checks.ON_GROUPS
    assert "1 groups" in finding.shows and "sigmoid+BCE=softmax+BCE" in finding.shows
    without = [{**r, "equivalence_group": None} for r in rows]
    assert _findings(without)[_claim("Why 0.6992")].holds is None


def _multi_label_rows(references):
    """Part C rows: one binary_accuracy cell per (activation, loss) with its exact match."""
    rows = []
    for (activation, loss), reference in references.items():
        row = _row("mnist_multilabel", "multihot", activation, loss, False, "binary_accuracy",
                   None if reference is None else 0.9)
        row.update(reference_accuracy=reference, majority_rate=0.07, hamming_accuracy=0.9)
        if reference is not None:
            row.update(metric_gap=0.9 - reference)
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
    # binary_accuracy counts single labels: 0.9 where the exact match is far lower
    assert "counts single labels right (0.9000)" in first.metric_note
    works = findings[_claim("works well for multi-label")]
    assert works.holds is cce_works
    assert f"softmax + CCE {cce:.4f}" in works.shows  # the best CCE head, not sigmoid + CCE
    assert findings[_claim("doesn't work for multi-label")].holds is True


def test_multi_label_claims_read_part_c_only():
    findings = _findings(ONE)
    assert findings[_claim("labels are independent")].holds is None
    assert findings[_claim("doesn't work for multi-label")].holds is None
