"""The verdict rules of `check`: what the grid would say about a metric, before training.

The vocabulary and precedence are the grid's (`train.judge.VERDICTS`): `error`
when Keras raised on the probe, `degenerate` when the head cannot carry the
answer, `misleading` when the metric does not report the grid's reference
accuracy (`train.judge.reference_accuracy`), `ok` otherwise. Each judgement
says how sure it is: `certain` (Keras raised; or it holds for any weights),
`expected` (the mechanism makes it likely; training decides, the cited sample
cell shows what it did there) or `measured` (the grid's own rules applied to
the model's outputs).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from runner import vocab
from runner.check import fixes
from runner.check.inspect import Head, Labels
from runner.check.probe import MetricProbe, Probe
from runner.train import judge

CERTAIN, EXPECTED, MEASURED = "certain", "expected", "measured"


def _comparing(kind: str) -> tuple[str, ...]:
    return tuple(loss.name for loss in vocab.LOSSES if loss.compares == kind)


# Losses by what they compare (`vocab.Loss.compares`): each output with its own 0/1 target
# (what a sigmoid gives), the outputs with each other (what a softmax gives), a margin on
# raw scores, or each output's distance to its target (a regression).
PER_OUTPUT, RELATIVE, MARGIN, DISTANCE = (_comparing(kind) for kind in vocab.COMPARES)
# The cross-entropies whose TensorFlow ops read the logits behind a sigmoid or softmax
# output (`_get_logits`); the focal losses compute from the probabilities (the binary one
# only partly), so no portability finding is claimed for them.
RECOVERED = ("binary_crossentropy", "categorical_crossentropy",
             "sparse_categorical_crossentropy")
ACCURACIES = ("binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
              "accuracy")


@dataclasses.dataclass(frozen=True)
class Judgement:
    """A verdict with its reason, how sure it is, and the fix as a line of code."""

    verdict: str
    why: str
    certainty: str | None
    fix: str | None = None


def link(loss: str) -> str | None:
    """The activation whose outputs a cross-entropy expects: sigmoid or softmax."""
    return "sigmoid" if loss in PER_OUTPUT else "softmax" if loss in RELATIVE else None


def threshold(head: Head) -> float:
    """The threshold on one output: 0 on a logit, 0.5 on a probability, by how the loss
    reads a linear output (`judge.threshold`): the grid's 0 for the linear heads it judges
    (a linear output to a probability's loss is degenerate there before its threshold
    counts), 0.5 for one a regression loss, or a cross-entropy with layers training below
    it, makes a probability."""
    return judge.threshold(head.activation, head.loss_name, head.from_logits)


def unbounded_cross_entropy(head: Head) -> str | None:
    """Why a cross-entropy cannot read this output as a probability, in words, or None: an
    output that is not kept in (0, 1) (none, relu, tanh; `vocab.Activation.bounds`) fed to
    a cross-entropy with from_logits=False, which Keras clips into [1e-7, 1 - 1e-7] before
    the log (categorical cross-entropy first divides by the sum of the outputs)."""
    entry = vocab.ACTIVATIONS.get(head.activation)
    if entry is None or head.from_logits or head.loss_name not in RECOVERED:
        return None
    low, high = entry.bounds
    if low is not None and low >= 0.0 and high is not None and high <= 1.0:
        return None
    outputs = "a linear output" if entry.name == "none" else f"a {entry.name} output"
    return (f"{outputs} fed to a loss that expects probabilities (from_logits=False): Keras "
            "clips it into [1e-7, 1 - 1e-7] before the log (categorical cross-entropy first "
            "divides it by the sum of the outputs), so an output outside (0, 1) gets no "
            "gradient")


def reference_rule(labels: Labels, head: Head) -> str:
    """How the grid's reference accuracy reads these outputs, in words."""
    if labels.task == "multilabel":
        return (f"an image is right when every label is (exact match), each output read against "
                f"{threshold(head):g}")
    if head.units == 1:
        return f"class 1 when the output is above {threshold(head):g}"
    return "the argmax of the outputs is the class"


def capped(labels: Labels, head: Head) -> float | None:
    """The share of rows whose class the outputs can name at all, where fewer outputs than
    classes read class indices (one output: classes 0 and 1; K outputs: classes below K);
    None otherwise."""
    named = max(head.units, 2)
    if labels.encoding != "integer" or named >= labels.classes:
        return None
    return float(np.mean(labels.judged < named))


# Class indices as the targets of one output's binary cross-entropy: the gradient on the
# output's bias is the mean of (output - target), negative whatever the outputs once the
# targets average above 1, so every step raises every output. Near 1 class 0's rows hold
# their outputs down and the head splits class 0 from the rest (`impaired`); measured on
# the corpus's data, evenly spread: 3 classes (mean 1) 0.56 where the textbook head gets
# 0.91, 4 classes (1.5) 0.29 against a majority of 0.27, 10 classes (4.5) one class only.
PUSHED_TO_ONE = 1.25  # the mean class index above which the head ends in class 1


def degenerate(labels: Labels, head: Head, probe: Probe) -> Judgement | None:
    """Why the head cannot carry the answer, or None. Holds for every metric of the head."""
    fix = fixes.right_head(labels, head)
    cap = capped(labels, head)
    if cap is not None and cap <= labels.majority_rate + judge.DEGENERATE_MARGIN:
        return Judgement("degenerate", f"{head.units} output(s) for {labels.classes} classes: "
                         f"only the {cap:.1%} of rows in classes the outputs can name can be "
                         f"right, not more than the majority rate {labels.majority_rate:.3f} + "
                         f"{judge.DEGENERATE_MARGIN}", CERTAIN, fix)
    mean_target = float(np.mean(labels.judged)) if cap is not None else 0.0
    if cap is not None and head.units == 1 and head.loss_name in PER_OUTPUT and \
            mean_target > PUSHED_TO_ONE:
        return Judgement("degenerate", f"class indices up to {labels.classes - 1} as the "
                         "targets of one output's binary cross-entropy, averaging "
                         f"{mean_target:.2f}: a target t above 1 makes the loss -t log(p) + "
                         "(t - 1) log(1 - p), which falls without bound as the output nears 1, "
                         "and targets averaging above 1 push the output's bias up whatever "
                         "the outputs, so every input ends in class 1", EXPECTED, fix)
    if probe.label_free and not probe.constant_outputs and not probe.constant_loss:
        columns = labels.values.shape[1] if labels.values.ndim == 2 else 1
        why = (f" (label rows of {columns} columns against {head.units} output(s): the loss "
               "compares the output with every column, and every class asks the same of it)"
               if columns > head.units else "")
        return Judgement("degenerate", "the loss does not read the labels: moving every "
                         f"label one row on leaves it unchanged{why}, so training pulls every "
                         "input towards the same output", CERTAIN, fix)
    compares = vocab.LOSSES[head.loss_name].compares if head.loss_name in vocab.LOSSES else None
    if labels.encoding == "integer" and head.units > 1 and compares in (
            "per_output", "distance", "margin"):
        return Judgement("degenerate", f"class indices in one column against {head.units} "
                         "outputs of a loss that compares each output with its own target: "
                         "Keras compares every output with the same index, so the outputs "
                         "learn the same thing and their argmax says nothing", EXPECTED, fix)
    if probe.constant_outputs:
        why = ("a softmax over one unit is 1.0 for every input" if head.activation == "softmax"
               and head.units == 1 else f"the {head.activation} output is the same for every "
               "input of the probe head")
        return Judgement("degenerate", f"the output cannot carry the answer: {why}", CERTAIN, fix)
    if probe.constant_loss or probe.weights_moved is False:
        one_unit = head.units == 1 and head.loss_name in RELATIVE
        why = (" (a cross-entropy over one unit compares the output with itself)" if one_unit
               else "")
        drift = ("; its gradient here is not zero (the fused softmax cross-entropy "
                 "assumes labels that sum to 1), so the outputs drift, but not towards the labels"
                 if one_unit and probe.weights_moved else "")
        return Judgement("degenerate", "the loss cannot move the outputs towards the labels: it "
                         f"has the same value whatever the outputs{why}{drift}", CERTAIN, fix)
    if head.activation == "relu" and head.loss_name in RELATIVE and not head.from_logits \
            and head.loss_name != "sparse_categorical_crossentropy":
        return Judgement("degenerate", "a relu output is 0 in every unit for some inputs, and "
                         "categorical cross-entropy divides the outputs by their sum: 0 / 0 is "
                         "NaN, which training spreads to every weight, whatever trains below",
                         EXPECTED, fix)
    if head.activation == "relu" and not head.trains_below and \
            head.loss_name != "sparse_categorical_crossentropy":
        return Judgement("degenerate", "a relu output that turns negative is 0 with no "
                         "gradient, and on frozen features nothing below brings it back: such "
                         "outputs die and the head predicts one class", EXPECTED, fix)
    if head.loss_name == "mean_absolute_error" and (labels.task == "multilabel" or (
            labels.classes > 2 and head.activation == "sigmoid")):
        return Judgement("degenerate", "mean absolute error pulls each output to the median "
                         "of its 0/1 target, which is 0 for a class (or label) that most inputs "
                         "lack" + (", and a sigmoid's gradient vanishes on the way there"
                                   if head.activation == "sigmoid" else "") +
                         ": every output goes to 0", EXPECTED, fix)
    if probe.diverged:
        return Judgement("degenerate", "one epoch of the probe head with this loss left its "
                         "weights NaN or infinite: the loss is not finite on such outputs",
                         EXPECTED, fix)
    found = unbounded_cross_entropy(head)
    if found is not None and head.loss_name != "sparse_categorical_crossentropy" and \
            not head.trains_below:
        return Judgement("degenerate", f"{found}; on frozen features (nothing below the "
                         "output trains to bring it into (0, 1)) such heads end up predicting "
                         "one class", EXPECTED, fix)
    if labels.task == "multilabel" and head.loss_name in RELATIVE and head.activation in (
            "none", "sigmoid"):
        return Judgement("degenerate", "categorical cross-entropy compares the outputs with "
                         "each other (a softmax over the logits): it trains their differences, "
                         "never their level, and a multi-hot prediction reads each output "
                         f"against {threshold(head):g} on its own; such heads switch on "
                         "nearly every label", EXPECTED, fix)
    bound = labels.at_most_one_label
    if labels.task == "multilabel" and head.activation == "softmax" and \
            bound <= labels.majority_rate + judge.DEGENERATE_MARGIN:
        return Judgement("degenerate", "softmax outputs sum to 1, so at most one exceeds 0.5: "
                         f"only the {bound:.1%} of images with at most one label can be right, "
                         f"not more than the majority rate {labels.majority_rate:.3f} + "
                         f"{judge.DEGENERATE_MARGIN}", CERTAIN, fix)
    return None


def metric_judgement(labels: Labels, head: Head, metric: MetricProbe) -> Judgement:
    """`misleading` or `ok` for a metric Keras built without raising, with the reason."""
    name, fix = metric.resolved, fixes.right_metric(labels, head)
    rule = f"the grid's reference accuracy: {reference_rule(labels, head)}"
    if name not in ACCURACIES:
        return Judgement("ok", f"{name} is not an accuracy metric: only errors and degenerate "
                         "heads are judged for it", None)
    if name == "accuracy":
        return Judgement("misleading", "keras.metrics.Accuracy counts outputs exactly equal to "
                         "the labels, which a probability or a logit almost never is; the string "
                         "'accuracy' is what resolves by shape", EXPECTED, fix)
    if head.units == 1 and name != "binary_accuracy":
        return Judgement("misleading", f"{name} takes the argmax over one output, which is "
                         "always 0: its value does not depend on the model", CERTAIN, fix)
    if labels.task == "multilabel":
        what = {"binary_accuracy": "the share of single labels right (each output on its own)",
                "categorical_accuracy": "whether the top output is the first label on"}[name] \
            if name != "sparse_categorical_accuracy" else "class indices against 0/1 rows"
        return Judgement("misleading", f"{name} reports {what}; {rule}, so the two differ "
                         "unless nearly every image is right", EXPECTED, fix)
    if name == "binary_accuracy":
        return _binary(labels, head, metric, rule, fix)
    if name == "categorical_accuracy" and labels.encoding == "integer":
        return Judgement("misleading", "categorical_accuracy reads class indices as one-hot "
                         "rows: the argmax of a class index is not its class", CERTAIN, fix)
    if name == "sparse_categorical_accuracy" and labels.encoding != "integer":
        return Judgement("misleading", "sparse_categorical_accuracy reads rows as class "
                         "indices", CERTAIN, fix)
    return Judgement("ok", f"{name} compares the argmax of the outputs with the class: "
                     "exactly the grid's reference accuracy", CERTAIN)


# How far a binary_accuracy threshold may sit from the loss's own, read as probabilities,
# before it misreports a trained head: a head trained by its loss is about as likely right
# as wrong on the outputs between the two (its least sure), so they move the metric by at
# most |2 p - 1| of their share, p the metric's threshold as a probability; at 0.25 (a logit
# read at 0.5: p = 0.62) that stays within judge.MISLEADING_TOLERANCE unless more than 8% of
# the outputs crowd into that band, which a head that learns leaves on rows like those it
# trained on (the corpus: within 0.01); not early in training, nor on test rows unlike the
# training rows (the sample runs' horses_or_humans: 0.025 to 0.115, docs/check.md).
# One output only: two logit outputs each read at 0.5 are another matter (per-output accuracy
# is not the argmax accuracy; the default sample run: 0.760 against 0.875).
NEAR_THRESHOLD = 0.25


def _near(head: Head, cut: float) -> float | None:
    """The bound |2 p - 1| on the share of misread outputs by which a metric that thresholds
    the outputs at `cut` errs, where it is within `NEAR_THRESHOLD`; None where it is not."""
    p = 1.0 / (1.0 + np.exp(-cut)) if threshold(head) == 0.0 else cut
    bound = abs(2.0 * p - 1.0)
    return float(bound) if bound <= NEAR_THRESHOLD else None


def _binary(labels: Labels, head: Head, metric: MetricProbe, rule: str,
            fix: str) -> Judgement:
    cut = 0.5 if metric.threshold is None else metric.threshold
    if head.units == 1:
        if cut == threshold(head):
            return Judgement("ok", f"binary_accuracy thresholds the output at {cut:g}, as "
                             f"{rule}", CERTAIN)
        what = "a logit" if threshold(head) == 0.0 else "a probability"
        near = _near(head, cut)
        if near is None:
            return Judgement("misleading", f"binary_accuracy thresholds {what} at {cut:g}, not "
                             f"at {threshold(head):g}: outputs in between count as the wrong "
                             "class, and a head that learns puts many there", EXPECTED, fix)
        return Judgement("ok", f"binary_accuracy thresholds {what} at {cut:g}, not at "
                         f"{threshold(head):g}: the outputs in between, the head's least sure "
                         "once it has learned, are about as often right as wrong, so they move "
                         f"it by at most {near:.2f} of their share, within "
                         f"{judge.MISLEADING_TOLERANCE} unless more than "
                         f"{judge.MISLEADING_TOLERANCE / max(near, 1e-9):.0%} of the outputs lie "
                         f"there (early in training they may: measure it with inputs; {fix} "
                         "reads it exactly)", EXPECTED)
    if head.units > 2:
        return Judgement("misleading", f"binary_accuracy scores each of the {head.units} outputs "
                         f"on its own: predicting no class already scores "
                         f"{(head.units - 1) / head.units:.2f}; {rule}, so the two differ "
                         "unless nearly every image is right", EXPECTED, fix)
    if head.activation == "softmax" and cut == 0.5:
        return Judgement("ok", "two softmax outputs sum to 1: exactly one exceeds 0.5, so "
                         "per-output accuracy is the argmax accuracy", CERTAIN)
    if cut == threshold(head) and head.loss_name in PER_OUTPUT:
        return Judgement("ok", "binary cross-entropy trains each output towards its own 0/1 "
                         f"target, so the two outputs fall on either side of {cut:g} and "
                         "per-output accuracy matches the argmax accuracy", EXPECTED)
    why = ("the loss trains only the difference between the two outputs, not their level"
           if cut == threshold(head) else f"it thresholds {head.activation} outputs at {cut:g}")
    return Judgement("misleading", f"binary_accuracy scores each output on its own and {why}: "
                     "both outputs can be on the same side, which the argmax never is", EXPECTED,
                     fix)


def verdict(labels: Labels, head: Head, probe: Probe, metric: MetricProbe) -> Judgement:
    """The grid's verdict for one metric, in the grid's precedence."""
    if metric.error is not None:
        fix = fixes.right_head(labels, head) if metric.error["phase"] == "fit" else \
            fixes.right_metric(labels, head)
        return Judgement("error", f"Keras raises in {metric.error['phase']}: "
                         f"{metric.error['error_type']}: {metric.error['error_message']}",
                         CERTAIN, fix)
    found = degenerate(labels, head, probe)
    if found is not None:
        return found
    found = metric_judgement(labels, head, metric)
    if found.certainty != CERTAIN:
        return found
    # the metric's reading holds for any weights, but whether the head learns at all (else
    # the grid says degenerate) only training shows
    return dataclasses.replace(found, certainty=EXPECTED, why=f"{found.why}; this holds "
                               "whatever the weights, if the head learns at all")


def measured(row: dict, before: Judgement) -> Judgement:
    """The grid's verdict on a model's own outputs (`judge.verdict` on `row`)."""
    found = judge.verdict(row)
    value = row["test_metric"]
    numbers = (f"on these outputs {value:.3f} against a reference accuracy of "
               f"{row['reference_accuracy']:.3f} (majority {row['majority_rate']:.3f}"
               f"{', constant predictions' if row['constant_predictions'] else ''})")
    agrees = "as expected" if found == before.verdict else f"expected {before.verdict}"
    return Judgement(found, f"{numbers}; {agrees} before training: {before.why}", MEASURED,
                     before.fix if found != "ok" else None)
