"""What `check` reports beside the verdicts: portability, identical heads, Keras's warnings,
and what the labels and the head say on their own."""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any

import numpy as np

from runner import vocab
from runner.check import evidence, rules
from runner.check.inspect import Head, Labels
from runner.check.probe import Probe
from runner.vocab import keras_changes as versions


@dataclasses.dataclass(frozen=True)
class Finding:
    """One observation about the configuration.

    Attributes:
        kind: 'portability', 'identical_heads', 'keras_warning', 'training', 'labels' or
            'model'.
        text: what it is, in a sentence or two.
        fix: a line of code, where there is one.
        evidence: sample cells that show it, one line each (`evidence.cite`).
    """

    kind: str
    text: str
    fix: str | None = None
    evidence: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "fix": self.fix,
                "evidence": list(self.evidence)}


def portability(labels: Labels, head: Head, backend: str, key: evidence.Key | None,
                metric: str | None, samples_dir: pathlib.Path | None) -> Finding | None:
    """A head that TensorFlow trains from recovered logits, with the frameworks run's cells."""
    mechanism = rules.logit_recovery(head, backend)
    if mechanism is None:
        return None
    rows = evidence.across_frameworks(key, metric, samples_dir) if key else []
    measured = "; ".join(f"{row['framework']}: {evidence.outcome(row)}" for row in rows)
    tensorflow = next((row for row in rows if row["framework"] == "tensorflow"), None)
    same = evidence.same_heads(tensorflow, evidence.FRAMEWORKS_RUN, samples_dir) \
        if tensorflow and backend != "tensorflow" else []
    text = f"{mechanism}. "
    if rows:
        text += (f"Measured in results/samples/frameworks ({measured}): "
                 f"{evidence.spread(rows)}")
        text += (f"; on tensorflow the same head as {', '.join(same)}." if same else ".")
    else:
        text += "No committed run has this configuration on several frameworks."
    # the loss's own activation, unless that cannot serve these labels (a softmax over one
    # unit, or over labels that are not exclusive)
    portable = rules.link(head.loss_name) == "sigmoid" or (
        head.units > 1 and labels.task != "multilabel")
    fix = rules.portable_head(head) if portable else rules.right_head(labels, head)
    return Finding("portability", text, fix,
                   tuple(evidence.cite(row, evidence.FRAMEWORKS_RUN) for row in rows))


def identical_heads(row: dict[str, Any] | None, run: str,
                    samples_dir: pathlib.Path | None) -> Finding | None:
    """The sample heads that trained identically to this configuration's cell."""
    if row is None or row["status"] != "ok":
        return None
    same = evidence.same_heads(row, run, samples_dir)
    if not same:
        return None
    return Finding("identical_heads", f"In results/samples/{run} ({row['framework']}, "
                   f"{row['dataset']}) this head trained identically (test logits within 1e-6, "
                   f"group {row['equivalence_group']}) to: {', '.join(same)}.",
                   evidence=(evidence.cite(row, run),))


def keras_warnings(probe: Probe) -> list[Finding]:
    """What Keras warned about while the probe compiled, trained and evaluated."""
    found = []
    for text in probe.warnings:
        fact = versions.warning_release(text)
        since = f" ({fact.text})" if fact is not None else ""
        found.append(Finding("keras_warning", f"Keras warns: {text}{since}"))
    return found


def hints(labels: Labels, head: Head) -> list[Finding]:
    """What the labels and the head say on their own, where no verdict covers it."""
    found = [Finding("model", note) for note in head.notes]
    if len(np.unique(labels.judged, axis=0)) == 1:
        found.append(Finding("labels", "the labels hold a single class (or label set): no model "
                             "can beat always predicting it; are they shuffled, or complete?"))
    if labels.encoding == "integer" and head.units == 1 and labels.classes > 2:
        found.append(Finding("labels", f"{labels.classes} classes on one output unit: it can "
                             "only tell class 0 from 1, and the loss reads larger indices as "
                             "targets above 1", rules.right_head(labels, head)))
    elif labels.encoding == "integer" and 1 < head.units < labels.classes:
        found.append(Finding("labels", f"{labels.classes} classes on {head.units} output units: "
                             f"classes {head.units} and above can never be predicted",
                             rules.right_head(labels, head)))
    if head.activation == "none" and not head.from_logits and \
            head.loss_name == "sparse_categorical_crossentropy":
        found.append(Finding("training", "a linear output fed to SparseCategoricalCrossentropy "
                             "with from_logits=False: Keras takes the log of the outputs "
                             "clipped into [1e-7, 1 - 1e-7], so outputs outside (0, 1) get no "
                             "gradient; it trains, poorly",
                             "keras.losses.SparseCategoricalCrossentropy(from_logits=True)"))
    if labels.task == "multilabel" and head.activation == "softmax":
        found.append(Finding("training", "softmax outputs sum to 1, so at most one exceeds 0.5: "
                             f"the {1 - labels.at_most_one_label:.1%} of these images with two "
                             "or more labels can never be right",
                             rules.right_head(labels, head)))
    if head.activation not in vocab.ACTIVATIONS:
        found.append(Finding("model", f"the last activation is {head.activation}, which the "
                             "grid does not cover: verdicts read it as a probability (threshold "
                             "0.5), and no sample cell stands for it"))
    if head.loss_name not in vocab.LOSSES:
        found.append(Finding("model", f"the loss {head.loss_name} is not one the grid covers: "
                             "only what Keras raises and what the probe shows is judged"))
    return found
