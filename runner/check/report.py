"""A check's report: its stable JSON keys (docs/check.md) and its text rendering."""

from __future__ import annotations

import dataclasses
import json
import textwrap
from typing import Any

from runner.check.findings import Finding
from runner.check.head import Judgement
from runner.train import judge

WIDTH = 100


@dataclasses.dataclass(frozen=True)
class MetricReport:
    """One compiled metric: the class Keras built and the grid's verdict on it."""

    name: str  # as written in compile (a string, or a class or function name)
    resolved: str | None  # the Keras class it resolved to, snake_case (None when Keras raised)
    verdict: str
    why: str
    fix: str | None
    certainty: str | None  # 'certain', 'expected', 'measured', or None where no rule judges it
    error: dict[str, Any] | None = None  # `phase`, `error_type`, `error_message`
    # the metric, reference accuracy and majority rate on the model's outputs, given inputs
    measured: dict[str, Any] | None = None
    evidence: str | None = None  # the sample cell of the same configuration, one line


@dataclasses.dataclass(frozen=True)
class CheckReport:
    """What check found; `exit_code` is 0 when the head's and every metric's verdict is ok,
    else 1."""

    label_encoding: str
    label_detail: str
    classes: int
    rows: int
    units: int
    activation: str
    loss: str
    from_logits: bool
    backend: str
    keras_version: str
    basis: str  # 'before training' or 'outputs' (the grid's rules on the model's outputs)
    label_source: str
    head: Judgement
    metrics: tuple[MetricReport, ...]
    findings: tuple[Finding, ...]

    @property
    def verdict(self) -> str:
        """The whole set-up's: the worst of the head's and the metrics' verdicts."""
        return judge.worst([self.head.verdict] + [m.verdict for m in self.metrics])

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data, with the documented keys."""
        return {**dataclasses.asdict(self), "verdict": self.verdict}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def text(self) -> str:
        """The report as the terminal shows it."""
        head = self.head
        basis = "on the model's outputs" if self.basis == "outputs" else "before training"
        lines = [f"cheatgrid check: Keras {self.keras_version} on {self.backend}, verdicts "
                 f"{basis}",
                 f"  labels   {self.label_encoding} ({self.label_detail}), {self.classes} "
                 f"classes, {self.rows} rows ({self.label_source})",
                 f"  head     {head.verdict.upper()}{_sure(head.certainty)}: {self.units} "
                 f"unit(s), activation {self.activation}, loss {self.loss} "
                 f"(from_logits={self.from_logits})"]
        lines += _details(("why: ", head.why), ("fix: ", head.fix),
                          ("textbook: ", head.verdict != "ok" and head.textbook),
                          *(("seen: ", s) for s in head.evidence))
        lines += ["", "metrics"] + ([] if self.metrics else ["  (none compiled)"])
        for m in self.metrics:
            resolved = f" -> {m.resolved}" if m.resolved and m.resolved != m.name else ""
            lines.append(f"  {m.name}{resolved}: {m.verdict.upper()}{_sure(m.certainty)}")
            lines += _details(("why: ", m.why), ("fix: ", m.fix), ("seen: ", m.evidence))
        lines += ["", "findings"] if self.findings else []
        for f in self.findings:
            lines += _wrapped(f"- {f.kind}: ", f.text, 2) + _details(("fix: ", f.fix))
        lines += ["", "certain: Keras raises, or the head cannot learn whatever its weights; "
                  "expected: training decides (an ok or misleading before training assumes the "
                  "head learns; 'seen' is what training did in the sample run); measured: the "
                  "grid's rules on the outputs given."]
        return "\n".join(lines) + "\n"

    __str__ = text


def _sure(certainty: str | None) -> str:
    return f" ({certainty})" if certainty else ""


def _wrapped(label: str, text: str, indent: int) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=" " * indent + label,
                         subsequent_indent=" " * (indent + len(label)),
                         break_long_words=False, break_on_hyphens=False)


def _details(*pairs: tuple[str, Any]) -> list[str]:
    """The indented (label, text) lines under a verdict: why, fix, textbook, seen."""
    return [line for label, text in pairs if text for line in _wrapped(label, text, 4)]
