"""The head's own verdict: can this last layer, with this loss, learn these labels?

Whatever metrics are compiled, the head is judged: `error` (Keras raises when it
trains), `degenerate` (it cannot learn: constant by construction, or its loss cannot
move it towards the labels; `rules.degenerate`, as the grid would find it), `impaired`
(it learns, but the way it is built costs accuracy the textbook head for the same
labels gets: `judge.impaired` in the committed sample runs) or `ok`. The textbook head
(`textbook`) is named in every verdict. Metrics keep their own verdicts beside it.
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any

from runner import vocab
from runner.check import evidence, fixes, rules
from runner.check.inspect import Head, Labels
from runner.check.probe import Probe
from runner.check.rules import CERTAIN, EXPECTED, MEASURED, Judgement
from runner.train import judge


@dataclasses.dataclass(frozen=True)
class HeadReport:
    """The head's verdict (`judge.HEAD_VERDICTS`), why, the fix, how sure, and evidence.

    Attributes:
        textbook: the textbook head for these labels, as code.
        evidence: sample cells that show it, one line each.
    """

    verdict: str
    why: str
    fix: str | None
    certainty: str | None
    textbook: str
    evidence: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "evidence": list(self.evidence)}


def impaired(labels: Labels, head: Head) -> Judgement | None:
    """Why the head learns less than the textbook head for these labels, or None."""
    cap = rules.capped(labels, head)
    if cap is not None:
        return Judgement("impaired", f"{head.units} output(s) for {labels.classes} classes: "
                         f"classes the outputs cannot name are never predicted, so at most "
                         f"{cap:.1%} of these rows can be right, whatever the weights",
                         CERTAIN, fixes.textbook_code(labels))
    never = 1.0 - labels.at_most_one_label
    if labels.task == "multilabel" and head.activation == "softmax" and \
            never > judge.IMPAIRED_MARGIN:
        return Judgement("impaired", "softmax outputs sum to 1, so at most one exceeds 0.5: "
                         f"the {never:.1%} of rows with two labels or more are never right, "
                         "whatever the weights", CERTAIN, fixes.textbook_code(labels))
    if head.loss_name == "mean_absolute_error" and labels.classes > 2:
        return Judgement("impaired", "mean absolute error pulls each output to the median of "
                         "its 0/1 target: an output rises only where its class is more likely "
                         "than not, so the head learns the confident inputs only",
                         EXPECTED, fixes.textbook_code(labels))
    found = rules.unbounded_cross_entropy(head)
    if found is not None and head.loss_name == "sparse_categorical_crossentropy":
        # it learns, poorly (the other cross-entropies: degenerate on frozen features, and
        # about as good as the textbook head where layers below train: `findings`)
        return Judgement("impaired", f"{found}; such heads learn, far below the textbook head",
                         EXPECTED, f"keras.losses.{vocab.LOSSES[head.loss_name].keras_class}"
                         "(from_logits=True)")
    return None


def judge_head(labels: Labels, head: Head, probe: Probe, rows: list[dict[str, Any]],
               run: str, samples_dir: pathlib.Path | None) -> HeadReport:
    """The head's verdict before training, with the sample cells of its configuration.

    Args:
        rows: the sample run's rows of this configuration (`evidence.cells`), any metric.
        run: the sample run they come from.
    """
    book = fixes.textbook_code(labels)
    if probe.fit_error is not None:
        error = probe.fit_error
        return HeadReport("error", f"Keras raises in {error['phase']}: {error['error_type']}: "
                          f"{error['error_message']}", fixes.right_head(labels, head), CERTAIN,
                          book)
    found = rules.degenerate(labels, head, probe) or impaired(labels, head)
    cited = _evidence(rows, run, samples_dir)
    if found is None:
        why = (f"nothing in how the head is built stops it learning these labels "
               f"({head.units} output(s), {head.activation}, {head.loss_name}); training "
               "decides")
        if head.activation not in vocab.ACTIVATIONS:
            why = (f"the last activation ({head.activation}) is not one check reads: only what "
                   "Keras raises and what the probe shows is judged")
        return HeadReport("ok", why, None, EXPECTED, book, cited)
    return HeadReport(found.verdict, found.why, found.fix, found.certainty, book, cited)


def measured(before: HeadReport, found: dict[str, Any]) -> HeadReport:
    """The head's verdict on a model's own outputs (`judge.judge`'s columns): degenerate
    by the grid's rule, else what was expected before training (an impaired head is
    impaired against a textbook head these outputs do not show)."""
    row = {"status": "ok", **found}
    numbers = (f"on these outputs a reference accuracy of {found['reference_accuracy']:.3f} "
               f"(majority {found['majority_rate']:.3f}"
               f"{', constant predictions' if found['constant_predictions'] else ''})")
    if judge.verdict(row) == "degenerate":
        verdict = "degenerate"
    elif before.verdict == "impaired":
        return dataclasses.replace(before, why=f"{numbers}; {before.why}")
    else:
        verdict = "ok"
    agrees = "as expected" if verdict == before.verdict else f"expected {before.verdict}"
    return dataclasses.replace(before, verdict=verdict, certainty=MEASURED,
                               why=f"{numbers}; {agrees} before training: {before.why}",
                               fix=before.fix if verdict != "ok" else None)


def _evidence(rows: list[dict[str, Any]], run: str,
              samples_dir: pathlib.Path | None) -> tuple[str, ...]:
    """The configuration's trained head in the sample run, next to the best head of the same
    dataset and encoding there."""
    row = next((r for r in rows if r["status"] == "ok"), rows[0] if rows else None)
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
