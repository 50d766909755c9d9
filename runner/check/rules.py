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

from runner import vocab
from runner.check.inspect import Head, Labels
from runner.check.probe import MetricProbe, Probe
from runner.grid import tutorial_units
from runner.train import judge
from runner.vocab import keras_changes as versions

CERTAIN, EXPECTED, MEASURED = "certain", "expected", "measured"
# Losses by what they compare: each output with its own 0/1 target (what a sigmoid gives),
# the outputs with each other (what a softmax gives), or a margin on raw scores.
PER_OUTPUT = ("binary_crossentropy", "binary_focal_crossentropy")
RELATIVE = ("categorical_crossentropy", "sparse_categorical_crossentropy",
            "categorical_focal_crossentropy")
MARGIN = ("hinge", "squared_hinge", "categorical_hinge")
assert set(PER_OUTPUT + RELATIVE + MARGIN) == set(vocab.LOSSES.names), "every loss classified"
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
    """The grid's threshold on one output: 0 on a logit, 0.5 on a probability."""
    return 0.0 if head.activation == "none" else 0.5


def reference_rule(labels: Labels, head: Head) -> str:
    """How the grid's reference accuracy reads these outputs, in words."""
    if labels.task == "multilabel":
        return (f"an image is right when every label is (exact match), each output read against "
                f"{threshold(head):g}")
    if head.units == 1:
        return f"class 1 when the output is above {threshold(head):g}"
    return "the argmax of the outputs is the class"


def degenerate(labels: Labels, head: Head, probe: Probe) -> Judgement | None:
    """Why the head cannot carry the answer, or None. Holds for every metric of the head."""
    fix = right_head(labels, head)
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
    if head.activation == "none" and not head.from_logits and head.loss_name in (
            "binary_crossentropy", "categorical_crossentropy"):
        return Judgement("degenerate", "a linear output fed to a loss that expects "
                         "probabilities (from_logits=False): Keras clips it into "
                         "[1e-7, 1 - 1e-7] before the log (categorical cross-entropy first "
                         "divides it by the sum of the outputs), so an output outside (0, 1) "
                         "gets no gradient; such heads end up predicting one class", EXPECTED,
                         fix)
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
    name, fix = metric.resolved, right_metric(labels, head)
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


def _binary(labels: Labels, head: Head, metric: MetricProbe, rule: str,
            fix: str) -> Judgement:
    cut = 0.5 if metric.threshold is None else metric.threshold
    if head.units == 1:
        if cut == threshold(head):
            return Judgement("ok", f"binary_accuracy thresholds the output at {cut:g}, as "
                             f"{rule}", CERTAIN)
        what = "a logit" if head.activation == "none" else "a probability"
        return Judgement("misleading", f"binary_accuracy thresholds {what} at {cut:g}, not at "
                         f"{threshold(head):g}: outputs in between count as the wrong class; "
                         "how many there are depends on training", EXPECTED, fix)
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
        fix = right_head(labels, head) if metric.error["phase"] == "fit" else \
            right_metric(labels, head)
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


# A 1-unit logit head's accuracy where `BinaryAccuracy(threshold=0.0)` raises (Keras 3.0-3.4):
# the same comparison, logit > 0, as a metric of its own.
LOGIT_ACCURACY = ("metrics=[keras.metrics.MeanMetricWrapper(lambda y, z: keras.ops.cast("
                  "keras.ops.equal(keras.ops.reshape(y, (-1,)) > 0.5, keras.ops.reshape(z, "
                  "(-1,)) > 0), 'float32'), name='binary_accuracy')]  # from Keras 3.5: "
                  "metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)]")


def right_metric(labels: Labels, head: Head) -> str:
    """The metric that reports the grid's reference accuracy for these labels, as a line
    of Python that runs on the Keras that compiled the head (`versions`)."""
    cut = threshold(head)
    if labels.task == "multilabel":
        return ("def exact_match(y_true, y_pred): return keras.ops.cast(keras.ops.all("
                f"(y_true > 0.5) == (y_pred > {cut:g}), axis=-1), 'float32')  # metrics="
                "[exact_match]; keep 'binary_accuracy' if per-label accuracy is what you want")
    if head.units == 1:
        if cut == 0.5:
            return "metrics=['binary_accuracy']"
        return ("metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)]"
                if versions.holds(versions.THRESHOLD_ZERO, head.keras_version)
                else LOGIT_ACCURACY)
    name = "sparse_categorical_accuracy" if labels.encoding == "integer" else \
        "categorical_accuracy"
    return f"metrics=[{name!r}]"


def right_head(labels: Labels, head: Head) -> str:
    """The tutorial's recommended head and loss for these labels (`vocab`'s recommendations),
    keeping the model's activation where the tutorial allows it, as a line of Python."""
    options = [(loss.name, *advice) for loss in vocab.LOSSES
               for advice in loss.recommended.get((labels.task, labels.encoding), ())]
    if not options:
        return "# the tutorial recommends no head for these labels: see the cheat table"
    loss, activation, from_logits, _ = next(
        (o for o in options if o[1] == head.activation), options[0])
    units = tutorial_units(labels.classes, labels.encoding)
    dense = (f"keras.layers.Dense({units})" if activation == "none" else
             f"keras.layers.Dense({units}, activation={activation!r})")
    arguments = "from_logits=True" if from_logits else ""
    return f"head, loss = {dense}, keras.losses.{vocab.LOSSES[loss].keras_class}({arguments})"


def logit_recovery(head: Head, backend: str) -> str | None:
    """Where the loss reads other outputs on TensorFlow than on JAX or PyTorch, in words.

    Keras on TensorFlow computes a cross-entropy from the logits behind a sigmoid or
    softmax output, whatever `from_logits` says (keras/src/backend/tensorflow/nn.py,
    `_get_logits`); JAX and PyTorch compute it from the outputs as given. The two agree
    only for the activation the loss expects with from_logits=False.
    """
    expected = link(head.loss_name) if head.loss_name in RECOVERED else None
    if head.activation not in ("sigmoid", "softmax") or expected is None or (
            head.activation == expected and not head.from_logits):
        return None
    short = vocab.short_loss(head.loss_name)
    if head.from_logits:
        told = f"{short}(from_logits=True) on a {head.activation} output"
        elsewhere = f"JAX and PyTorch read the {head.activation}'s outputs as logits"
    else:
        told = f"a {head.activation} output to {short}, which expects a {expected}'s"
        elsewhere = f"JAX and PyTorch compute {short} from the {head.activation}'s outputs"
    tensorflow = (f"TensorFlow computes the loss from the logits behind the {head.activation}, "
                  f"so the head trains as none + {short}(from_logits=True)")
    here = "this backend" if backend == "tensorflow" else "TensorFlow"
    return f"{told}: {tensorflow} (on {here}); {elsewhere}"


def portable_head(head: Head) -> str:
    """The head that trains on every backend as TensorFlow trains `head`, as code."""
    loss = vocab.LOSSES[head.loss_name]
    activation = link(head.loss_name)
    return (f"head, loss = keras.layers.Dense({head.units}, activation={activation!r}), "
            f"keras.losses.{loss.keras_class}()  # or Dense({head.units}) with "
            f"{loss.keras_class}(from_logits=True)")
