"""What `check` reports beside the verdicts: portability, identical heads, Keras's warnings,
and what the labels and the head say on their own."""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any

import numpy as np

from runner import vocab
from runner.check import evidence, fixes
from runner.check.head import RECOVERED, SCCE, unbounded_cross_entropy
from runner.check.inspect import UNKNOWN, Head, Labels
from runner.check.probe import Probe
from runner.train.judge import MISLEADING_TOLERANCE
from runner.vocab import keras_changes as versions


@dataclasses.dataclass(frozen=True)
class Finding:
    """One observation of a kind ('portability', 'identical_heads', 'keras_warning',
    'training', 'labels', 'model'), its fix as code and the sample cells that show it."""

    kind: str
    text: str
    fix: str | None = None
    evidence: tuple[str, ...] = ()


UNTRAINED = Finding("model", "the model has not been trained (its optimizer has taken no "
                    "step): the outputs of an untrained model say nothing about how it trains, "
                    "so the inputs were set aside and the verdicts are before training; pass "
                    "the model after fit to judge its outputs")


def portability(labels: Labels, head: Head, backend: str, key: tuple,
                metric: str | None, samples_dir: pathlib.Path | None) -> Finding | None:
    """A head that TensorFlow trains from recovered logits, with the frameworks run's cells."""
    mechanism = logit_recovery(head, backend)
    if mechanism is None:
        return None
    rows = evidence.across_frameworks(key, metric, samples_dir)
    measured = "; ".join(f"{row['framework']}: " + (
        f"error ({row['error_type']})" if row["status"] != "ok" else
        f"{row['verdict']}, reference accuracy {row['reference_accuracy']:.3f}") for row in rows)
    # whether they disagree as the frameworks table counts it: in outcome, or in accuracy
    accuracies = [row["reference_accuracy"] for row in rows
                  if row["reference_accuracy"] is not None]
    apart = len({(row["status"], row["verdict"]) for row in rows}) > 1 or (
        accuracies and max(accuracies) - min(accuracies) > MISLEADING_TOLERANCE)
    tensorflow = next((row for row in rows if row["framework"] == "tensorflow"), None)
    same = evidence.same_heads(tensorflow, evidence.FRAMEWORKS_RUN, samples_dir) \
        if tensorflow and backend != "tensorflow" else []
    text = f"{mechanism}. "
    if rows:
        text += (f"Measured in results/samples/frameworks ({measured}): " + (
            "it trains differently there (verdict, or accuracy by more than 0.02)" if apart else
            f"the same verdict, and accuracy within {MISLEADING_TOLERANCE}, on each"))
        text += (f"; on tensorflow the same head as {', '.join(same)}." if same else ".")
    else:
        text += "No committed run has this configuration on several frameworks."
    # the loss's own activation, unless that cannot serve these labels (a softmax over one
    # unit, or over labels that are not exclusive)
    portable = RECOVERED[head.loss_name] == "sigmoid" or (
        head.units > 1 and labels.task != "multilabel")
    fix = portable_head(head) if portable else fixes.right_head(labels, head)
    return Finding("portability", text, fix,
                   tuple(evidence.cite(row, evidence.FRAMEWORKS_RUN) for row in rows))


def identical_heads(row: dict[str, Any] | None, run: str,
                    samples_dir: pathlib.Path | None) -> Finding | None:
    """The sample heads that trained identically to this configuration's cell."""
    same = evidence.same_heads(row, run, samples_dir) if row and row["status"] == "ok" else []
    if not same:
        return None
    return Finding("identical_heads", f"In results/samples/{run} ({row['framework']}, "
                   f"{row['dataset']}) this head trained identically (test logits within 1e-6, "
                   f"group {row['equivalence_group']}) to: {', '.join(same)}.",
                   evidence=(evidence.cite(row, run),))


def keras_warnings(probe: Probe) -> list[Finding]:
    """What Keras warned about while the probe compiled, trained and evaluated."""
    return [Finding("keras_warning", f"Keras warns: {text}" + (
        f" ({fact.text})" if (fact := versions.warning_release(text)) is not None else ""))
        for text in probe.warnings]


def hints(labels: Labels, head: Head) -> list[Finding]:
    """What the labels and the head say on their own, where no verdict covers it."""
    found = [Finding("model", note) for note in head.notes]
    if len(np.unique(labels.judged, axis=0)) == 1:
        found.append(Finding("labels", "the labels hold a single class (or label set): no model "
                             "can beat always predicting it; are they shuffled, or complete?"))
    unbounded = unbounded_cross_entropy(head)
    if unbounded is not None and head.trains_below and head.loss_name != SCCE:
        found.append(Finding("training", f"{unbounded}; the layers below the output train "
                             "too and can bring it into (0, 1), so it usually learns, but the "
                             "loss is not reading what the layer computes",
                             f"keras.losses.{vocab.LOSSES[head.loss_name].keras_class}"
                             "(from_logits=True)"))
    if head.activation not in vocab.ACTIVATIONS and head.activation != UNKNOWN:
        found.append(Finding("model", f"the last activation is {head.activation}, which the "
                             "grid does not cover: verdicts read it as a probability (threshold "
                             "0.5), and no sample cell stands for it"))
    if head.loss_name not in vocab.LOSSES:
        found.append(Finding("model", f"the loss {head.loss_name} is not one the grid covers: "
                             "only what Keras raises and what the probe shows is judged"))
    return found


def logit_recovery(head: Head, backend: str) -> str | None:
    """Where the loss reads other outputs on TensorFlow than on JAX or PyTorch, in words: Keras
    on TensorFlow computes a cross-entropy from the logits behind a sigmoid or softmax output,
    whatever `from_logits` says (keras/src/backend/tensorflow/nn.py, `_get_logits`)."""
    expected = RECOVERED.get(head.loss_name)
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
    return (f"head, loss = keras.layers.Dense({head.units}, activation="
            f"{RECOVERED[head.loss_name]!r}), keras.losses.{loss.keras_class}()  # or "
            f"Dense({head.units}) with {loss.keras_class}(from_logits=True)")
