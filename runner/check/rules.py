"""A compiled metric's verdict before training, in the grid's precedence: `error` (Keras raised
on the probe), `degenerate` (`head.faults`), `misleading` (it does not report the grid's
reference accuracy), else `ok`."""

from __future__ import annotations

import dataclasses

import numpy as np

from runner.check import fixes
from runner.check.head import CERTAIN, EXPECTED, Judgement, faults, on_outputs
from runner.check.inspect import Head, Labels
from runner.check.probe import MetricProbe, Probe
from runner.train import judge

ACCURACIES = ("binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
              "accuracy")


def metric_judgement(labels: Labels, head: Head, metric: MetricProbe) -> Judgement:
    """`misleading` or `ok` for a metric Keras built without raising, with the reason."""
    name, fix = metric.resolved, fixes.right_metric(labels, head)
    rule = ("the grid's reference accuracy: " + (
        "an image is right when every label is (exact match), each output read against "
        f"{head.threshold:g}" if labels.task == "multilabel" else
        f"class 1 when the output is above {head.threshold:g}" if head.units == 1 else
        "the argmax of the outputs is the class"))
    if name not in ACCURACIES:
        return Judgement("ok", f"{name} is not an accuracy metric: only errors and degenerate "
                         "heads are judged for it")
    if name == "accuracy":
        return Judgement("misleading", "keras.metrics.Accuracy counts outputs exactly equal to "
                         "the labels, which a probability or a logit almost never is; the string "
                         "'accuracy' is what resolves by shape", fix, EXPECTED)
    if head.units == 1 and name != "binary_accuracy":
        return Judgement("misleading", f"{name} takes the argmax over one output, which is "
                         "always 0: its value does not depend on the model", fix, CERTAIN)
    if labels.task == "multilabel":
        what = {"binary_accuracy": "the share of single labels right (each output on its own)",
                "categorical_accuracy": "whether the top output is the first label on",
                "sparse_categorical_accuracy": "class indices against 0/1 rows"}[name]
        return Judgement("misleading", f"{name} reports {what}; {rule}, so the two differ "
                         "unless nearly every image is right", fix, EXPECTED)
    if name == "binary_accuracy":
        return _binary(head, metric, rule, fix)
    if name == "categorical_accuracy" and labels.encoding == "integer":
        return Judgement("misleading", "categorical_accuracy reads class indices as one-hot "
                         "rows: the argmax of a class index is not its class", fix, CERTAIN)
    if name == "sparse_categorical_accuracy" and labels.encoding != "integer":
        return Judgement("misleading", "sparse_categorical_accuracy reads rows as class "
                         "indices", fix, CERTAIN)
    return Judgement("ok", f"{name} compares the argmax of the outputs with the class: "
                     "exactly the grid's reference accuracy", None, CERTAIN)


# The most a binary_accuracy threshold off the loss's own misreads a trained head's one output:
# the outputs in between, its least sure, are as often right as wrong, so they move the metric
# by at most |2 p - 1| of their share, p the threshold as a probability (docs/check.md).
NEAR_THRESHOLD = 0.25  # a logit read at 0.5: within 0.02 unless 8% of the outputs lie there


def _binary(head: Head, metric: MetricProbe, rule: str, fix: str) -> Judgement:
    cut, own = 0.5 if metric.threshold is None else metric.threshold, head.threshold
    if head.units == 1:
        if cut == own:
            return Judgement("ok", f"binary_accuracy thresholds the output at {cut:g}, as "
                             f"{rule}", None, CERTAIN)
        what = "a logit" if own == 0.0 else "a probability"
        # the bound |2 p - 1| on the share of misread outputs, p the cut as a probability
        near = float(abs(2.0 * (1.0 / (1.0 + np.exp(-cut)) if own == 0.0 else cut) - 1.0))
        if near > NEAR_THRESHOLD:
            return Judgement("misleading", f"binary_accuracy thresholds {what} at {cut:g}, not "
                             f"at {own:g}: outputs in between count as the wrong class, and a "
                             "head that learns puts many there", fix, EXPECTED)
        return Judgement("ok", f"binary_accuracy thresholds {what} at {cut:g}, not at "
                         f"{own:g}: the outputs in between, the head's least sure once it has "
                         "learned, are about as often right as wrong, so they move it by at "
                         f"most {near:.2f} of their share, within {judge.MISLEADING_TOLERANCE} "
                         "unless more than "
                         f"{judge.MISLEADING_TOLERANCE / max(near, 1e-9):.0%} of the outputs lie "
                         f"there (early in training they may: measure it with inputs; {fix} "
                         "reads it exactly)", None, EXPECTED)
    if head.units > 2:
        return Judgement("misleading", f"binary_accuracy scores each of the {head.units} outputs "
                         f"on its own: predicting no class already scores "
                         f"{(head.units - 1) / head.units:.2f}; {rule}, so the two differ "
                         "unless nearly every image is right", fix, EXPECTED)
    if head.activation == "softmax" and cut == 0.5:
        return Judgement("ok", "two softmax outputs sum to 1: exactly one exceeds 0.5, so "
                         "per-output accuracy is the argmax accuracy", None, CERTAIN)
    if cut == own and head.compares == "per_output":
        return Judgement("ok", "binary cross-entropy trains each output towards its own 0/1 "
                         f"target, so the two outputs fall on either side of {cut:g} and "
                         "per-output accuracy matches the argmax accuracy", None, EXPECTED)
    why = ("the loss trains only the difference between the two outputs, not their level"
           if cut == own else f"it thresholds {head.activation} outputs at {cut:g}")
    return Judgement("misleading", f"binary_accuracy scores each output on its own and {why}: "
                     "both outputs can be on the same side, which the argmax never is", fix,
                     EXPECTED)


def verdict(labels: Labels, head: Head, probe: Probe, metric: MetricProbe) -> Judgement:
    """The grid's verdict for one metric, in the grid's precedence."""
    if metric.error is not None:
        fix = fixes.right_head(labels, head) if metric.error["phase"] == "fit" else \
            fixes.right_metric(labels, head)
        return Judgement("error", f"Keras raises in {metric.error['phase']}: "
                         f"{metric.error['error_type']}: {metric.error['error_message']}", fix,
                         CERTAIN)
    found = next((j for j in faults(labels, head, probe) if j.verdict == "degenerate"),
                 None) or metric_judgement(labels, head, metric)
    if found.certainty != CERTAIN or found.verdict == "degenerate":
        return found
    # the metric's reading holds for any weights, but whether the head learns at all (else
    # the grid says degenerate) only training shows
    return dataclasses.replace(found, certainty=EXPECTED, why=f"{found.why}; this holds "
                               "whatever the weights, if the head learns at all")


def measured(row: dict, before: Judgement) -> Judgement:
    """The grid's verdict on a model's own outputs (`judge.verdict` on `row`)."""
    return on_outputs(before, judge.verdict(row), row, f"{row['test_metric']:.3f} against ")
