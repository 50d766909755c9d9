"""The head's own verdict: can this last layer, with this loss, learn these labels? `error`,
`degenerate` (the rules every metric of the head shares), `impaired` or `ok`, beside the
textbook head for the labels and the sample cells that show it."""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from runner import vocab
from runner.check import evidence, fixes
from runner.check.inspect import Head, Labels
from runner.check.probe import Probe
from runner.train import judge

CERTAIN, EXPECTED, MEASURED = "certain", "expected", "measured"
SCCE = "sparse_categorical_crossentropy"
# The cross-entropies whose TensorFlow ops read the logits behind a sigmoid or softmax output
# (`_get_logits`), and the activation whose outputs each expects; the focal losses compute
# (partly) from the probabilities.
RECOVERED = {"binary_crossentropy": "sigmoid", "categorical_crossentropy": "softmax",
             SCCE: "softmax"}


@dataclasses.dataclass(frozen=True)
class Judgement:
    """A verdict, why, the fix as a line of code, and how sure: `certain` (Keras raised, or it
    holds for any weights), `expected` (training decides) or `measured` (the grid's rules on
    the model's outputs); for the head also the textbook head and the sample cells."""

    verdict: str
    why: str
    fix: str | None = None
    certainty: str | None = None
    textbook: str = ""
    evidence: tuple[str, ...] = ()


def unbounded_cross_entropy(head: Head) -> str | None:
    """Why a cross-entropy with from_logits=False cannot read this output as a probability,
    or None: it is not kept in (0, 1) (`vocab.Activation.bounds`), and Keras clips it."""
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


# Class indices as one output's binary cross-entropy targets: averaging above 1, the gradient
# on its bias, the mean of (output - target), is negative whatever the outputs (docs/check.md).
PUSHED_TO_ONE = 1.25  # the mean class index above which the head ends in class 1


def faults(labels: Labels, head: Head, probe: Probe) -> Iterator[Judgement]:
    """Why the head cannot learn these labels (`degenerate`, every metric's verdict too),
    then why it learns less than the textbook head (`impaired`), in precedence."""
    fix, book = fixes.right_head(labels, head), fixes.textbook_code(labels)
    kind, loss, named = head.compares, head.loss_name, max(head.units, 2)
    # the share of rows whose class fewer outputs than classes of indices can name at all
    cap = float(np.mean(labels.judged < named)) if labels.encoding == "integer" and \
        named < labels.classes else None
    margin = labels.majority_rate + judge.DEGENERATE_MARGIN
    if cap is not None and cap <= margin:
        yield Judgement("degenerate", f"{head.units} output(s) for {labels.classes} classes: "
                        f"only the {cap:.1%} of rows in classes the outputs can name can be "
                        f"right, not more than the majority rate {labels.majority_rate:.3f} + "
                        f"{judge.DEGENERATE_MARGIN}", fix, CERTAIN)
    mean_target = float(np.mean(labels.judged)) if cap is not None else 0.0
    if cap is not None and head.units == 1 and kind == "per_output" and \
            mean_target > PUSHED_TO_ONE:
        yield Judgement("degenerate", f"class indices up to {labels.classes - 1} as the "
                        "targets of one output's binary cross-entropy, averaging "
                        f"{mean_target:.2f}: a target t above 1 makes the loss -t log(p) + "
                        "(t - 1) log(1 - p), which falls without bound as the output nears 1, "
                        "and targets averaging above 1 push the output's bias up whatever "
                        "the outputs, so every input ends in class 1", fix, EXPECTED)
    if probe.label_free and not probe.constant_outputs and not probe.constant_loss:
        columns = labels.values.shape[1] if labels.values.ndim == 2 else 1
        why = (f" (label rows of {columns} columns against {head.units} output(s): the loss "
               "compares the output with every column, and every class asks the same of it)"
               if columns > head.units else "")
        yield Judgement("degenerate", "the loss does not read the labels: moving every label "
                        f"one row on leaves it unchanged{why}, so training pulls every input "
                        "towards the same output", fix, CERTAIN)
    if labels.encoding == "integer" and head.units > 1 and kind in (
            "per_output", "distance", "margin"):
        yield Judgement("degenerate", f"class indices in one column against {head.units} "
                        "outputs of a loss that compares each output with its own target: "
                        "Keras compares every output with the same index, so the outputs "
                        "learn the same thing and their argmax says nothing", fix, EXPECTED)
    if probe.constant_outputs:
        why = ("a softmax over one unit is 1.0 for every input" if head.activation == "softmax"
               and head.units == 1 else f"the {head.activation} output is the same for every "
               "input of the probe head")
        yield Judgement("degenerate", f"the output cannot carry the answer: {why}", fix, CERTAIN)
    if probe.constant_loss or probe.weights_moved is False:
        one_unit = head.units == 1 and kind == "relative"
        why = (" (a cross-entropy over one unit compares the output with itself)" if one_unit
               else "")
        drift = ("; its gradient here is not zero (the fused softmax cross-entropy "
                 "assumes labels that sum to 1), so the outputs drift, but not towards the labels"
                 if one_unit and probe.weights_moved else "")
        yield Judgement("degenerate", "the loss cannot move the outputs towards the labels: it "
                        f"has the same value whatever the outputs{why}{drift}", fix, CERTAIN)
    if head.activation == "relu" and kind == "relative" and not head.from_logits \
            and loss != SCCE:
        yield Judgement("degenerate", "a relu output is 0 in every unit for some inputs, and "
                        "categorical cross-entropy divides the outputs by their sum: 0 / 0 is "
                        "NaN, which training spreads to every weight, whatever trains below",
                        fix, EXPECTED)
    if head.activation == "relu" and not head.trains_below and loss != SCCE:
        yield Judgement("degenerate", "a relu output that turns negative is 0 with no "
                        "gradient, and on frozen features nothing below brings it back: such "
                        "outputs die and the head predicts one class", fix, EXPECTED)
    if loss == "mean_absolute_error" and (labels.task == "multilabel" or (
            labels.classes > 2 and head.activation == "sigmoid")):
        yield Judgement("degenerate", "mean absolute error pulls each output to the median "
                        "of its 0/1 target, which is 0 for a class (or label) that most inputs "
                        "lack" + (", and a sigmoid's gradient vanishes on the way there"
                                  if head.activation == "sigmoid" else "") +
                        ": every output goes to 0", fix, EXPECTED)
    if probe.diverged:
        yield Judgement("degenerate", "one epoch of the probe head with this loss left its "
                        "weights NaN or infinite: the loss is not finite on such outputs",
                        fix, EXPECTED)
    unbounded = unbounded_cross_entropy(head)
    if unbounded is not None and loss != SCCE and not head.trains_below:
        yield Judgement("degenerate", f"{unbounded}; on frozen features (nothing below the "
                        "output trains to bring it into (0, 1)) such heads end up predicting "
                        "one class", fix, EXPECTED)
    if labels.task == "multilabel" and kind == "relative" and head.activation in (
            "none", "sigmoid"):
        yield Judgement("degenerate", "categorical cross-entropy compares the outputs with "
                        "each other (a softmax over the logits): it trains their differences, "
                        "never their level, and a multi-hot prediction reads each output "
                        f"against {head.threshold:g} on its own; such heads switch on "
                        "nearly every label", fix, EXPECTED)
    softmax = labels.task == "multilabel" and head.activation == "softmax"
    if softmax and labels.at_most_one_label <= margin:
        yield Judgement("degenerate", "softmax outputs sum to 1, so at most one exceeds 0.5: "
                        f"only the {labels.at_most_one_label:.1%} of images with at most one "
                        f"label can be right, not more than the majority rate "
                        f"{labels.majority_rate:.3f} + {judge.DEGENERATE_MARGIN}", fix, CERTAIN)
    if cap is not None:
        yield Judgement("impaired", f"{head.units} output(s) for {labels.classes} classes: "
                        f"classes the outputs cannot name are never predicted, so at most "
                        f"{cap:.1%} of these rows can be right, whatever the weights", book,
                        CERTAIN)
    if softmax and 1.0 - labels.at_most_one_label > judge.IMPAIRED_MARGIN:
        yield Judgement("impaired", "softmax outputs sum to 1, so at most one exceeds 0.5: "
                        f"the {1.0 - labels.at_most_one_label:.1%} of rows with two labels or "
                        "more are never right, whatever the weights", book, CERTAIN)
    if loss == "mean_absolute_error" and labels.classes > 2:
        yield Judgement("impaired", "mean absolute error pulls each output to the median of "
                        "its 0/1 target: an output rises only where its class is more likely "
                        "than not, so the head learns the confident inputs only", book, EXPECTED)
    if unbounded is not None and loss == SCCE:
        # it learns, poorly (the other cross-entropies: degenerate on frozen features, and
        # about as good as the textbook head where layers below train: `findings`)
        yield Judgement("impaired", f"{unbounded}; such heads learn, far below the textbook "
                        f"head", f"keras.losses.{vocab.LOSSES[loss].keras_class}"
                        "(from_logits=True)", EXPECTED)


def judge_head(labels: Labels, head: Head, probe: Probe, rows: list[dict[str, Any]],
               run: str, samples_dir: pathlib.Path | None) -> Judgement:
    """The head's verdict before training, citing `rows`, the sample `run`'s cells of it."""
    book = fixes.textbook_code(labels)
    if probe.fit_error is not None:
        error = probe.fit_error
        return Judgement("error", f"Keras raises in {error['phase']}: {error['error_type']}: "
                         f"{error['error_message']}", fixes.right_head(labels, head), CERTAIN,
                         book)
    why = (f"nothing in how the head is built stops it learning these labels ({head.units} "
           f"output(s), {head.activation}, {head.loss_name}); training decides"
           if head.activation in vocab.ACTIVATIONS else f"the last activation "
           f"({head.activation}) is not one check reads: only what Keras raises and what the "
           "probe shows is judged")
    found = next(faults(labels, head, probe), None) or Judgement("ok", why, None, EXPECTED)
    return dataclasses.replace(found, textbook=book, evidence=_evidence(rows, run, samples_dir))


def on_outputs(before: Judgement, verdict: str, row: dict[str, Any],
               value: str = "") -> Judgement:
    """`before`, a verdict before training, as the grid's rules find it on a model's outputs."""
    agrees = "as expected" if verdict == before.verdict else f"expected {before.verdict}"
    return dataclasses.replace(before, verdict=verdict, certainty=MEASURED,
                               why=f"{_numbers(row, value)}; {agrees} before training: "
                               f"{before.why}", fix=before.fix if verdict != "ok" else None)


def _numbers(row: dict[str, Any], value: str = "") -> str:
    return (f"on these outputs {value}a reference accuracy of {row['reference_accuracy']:.3f} "
            f"(majority {row['majority_rate']:.3f}"
            f"{', constant predictions' if row['constant_predictions'] else ''})")


def measured(before: Judgement, found: dict[str, Any]) -> Judgement:
    """The head's verdict on a model's own outputs: degenerate by the grid's rule, else what
    was expected before training (an impaired head is impaired against a textbook head these
    outputs do not show)."""
    degenerate_now = judge.verdict({"status": "ok", **found}) == "degenerate"
    if before.verdict == "impaired" and not degenerate_now:
        return dataclasses.replace(before, why=f"{_numbers(found)}; {before.why}")
    return on_outputs(before, "degenerate" if degenerate_now else "ok", found)


def _evidence(rows: list[dict[str, Any]], run: str,
              samples_dir: pathlib.Path | None) -> tuple[str, ...]:
    """The configuration's trained head in the sample run, and the best head of its labels."""
    row = evidence.trained_row(rows)
    if row is None:
        return ()
    if row["status"] != "ok":
        return (evidence.cite(row, run),)
    rivals = [r for r in evidence.sample_rows(run, samples_dir)
              if r["status"] == "ok" and r["dataset"] == row["dataset"]
              and r["encoding"] == row["encoding"] and r.get("framework") == row.get("framework")]
    best = max(rivals, key=lambda r: r["reference_accuracy"])
    name = best["name"].rsplit("/", 1)[0].split("/", 2)[2]
    return (f"{evidence.cite(row, run)}; the best head of {row['dataset']}, {row['encoding']} "
            f"labels there: {name}, reference accuracy {best['reference_accuracy']:.3f}",)
