"""A check's report: its stable JSON keys and its text rendering.

JSON keys: `label_encoding`, `classes`, `units`, `activation`, `loss`, `from_logits`,
`backend`, `verdict` (the whole set-up's), `head` (`verdict`, `why`, `fix`, `certainty`,
`textbook`, `evidence`), `metrics` (each `name`, `resolved`, `verdict`, `why`, `fix`,
with `certainty`, `error`, `measured` and `evidence`) and `findings`, with
`label_detail`, `rows`, `keras_version`, `basis` and `label_source` beside them.
"""

from __future__ import annotations

import dataclasses
import json
import textwrap
from typing import Any

from runner.check.findings import Finding
from runner.check.head import HeadReport
from runner.train import judge

WIDTH = 100


@dataclasses.dataclass(frozen=True)
class MetricReport:
    """One compiled metric: the class Keras built and the grid's verdict on it.

    Attributes:
        name: the metric as written in compile (a string, or a class or function name).
        resolved: the Keras class it resolved to, snake_case (None when Keras raised).
        certainty: 'certain', 'expected', 'measured', or None where no rule judges it.
        error: `phase`, `error_type`, `error_message` when Keras raised.
        measured: the metric, reference accuracy and majority rate on the model's own
            outputs, when inputs were given.
        evidence: the sample cell with the same configuration, one line, or None.
    """

    name: str
    resolved: str | None
    verdict: str
    why: str
    fix: str | None
    certainty: str | None
    error: dict[str, Any] | None = None
    measured: dict[str, Any] | None = None
    evidence: str | None = None


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
    head: HeadReport
    metrics: tuple[MetricReport, ...]
    findings: tuple[Finding, ...]

    @property
    def verdict(self) -> str:
        """The whole set-up's: the first of `judge.OUTCOMES` among the head's and the
        metrics' verdicts."""
        return judge.worst([self.head.verdict] + [m.verdict for m in self.metrics])

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data, with the documented keys."""
        data = dataclasses.asdict(self)
        data["verdict"] = self.verdict
        data["head"] = self.head.to_dict()
        data["metrics"] = [dataclasses.asdict(m) for m in self.metrics]
        data["findings"] = [f.to_dict() for f in self.findings]
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def text(self) -> str:
        return render_text(self)

    def __str__(self) -> str:
        return self.text()


def _wrapped(label: str, text: str, indent: int) -> list[str]:
    lead = " " * indent + label
    return textwrap.wrap(text, WIDTH, initial_indent=lead,
                         subsequent_indent=" " * (indent + len(label)),
                         break_long_words=False, break_on_hyphens=False)


def render_text(report: CheckReport) -> str:
    """The report as the terminal shows it."""
    logits = f"from_logits={report.from_logits}"
    basis = "on the model's outputs" if report.basis == "outputs" else "before training"
    head = report.head
    sure = f" ({head.certainty})" if head.certainty else ""
    lines = [f"cheatgrid check: Keras {report.keras_version} on {report.backend}, "
             f"verdicts {basis}",
             f"  labels   {report.label_encoding} ({report.label_detail}), {report.classes} "
             f"classes, {report.rows} rows ({report.label_source})",
             f"  head     {head.verdict.upper()}{sure}: {report.units} unit(s), activation "
             f"{report.activation}, loss {report.loss} ({logits})"]
    lines += _wrapped("why: ", head.why, 4)
    if head.fix:
        lines += _wrapped("fix: ", head.fix, 4)
    if head.verdict != "ok":
        lines += _wrapped("textbook: ", head.textbook, 4)
    for line in head.evidence:
        lines += _wrapped("seen: ", line, 4)
    lines += ["", "metrics"]
    if not report.metrics:
        lines.append("  (none compiled)")
    for m in report.metrics:
        resolved = f" -> {m.resolved}" if m.resolved and m.resolved != m.name else ""
        sure = f" ({m.certainty})" if m.certainty else ""
        lines.append(f"  {m.name}{resolved}: {m.verdict.upper()}{sure}")
        lines += _wrapped("why: ", m.why, 4)
        if m.fix:
            lines += _wrapped("fix: ", m.fix, 4)
        if m.evidence:
            lines += _wrapped("seen: ", m.evidence, 4)
    if report.findings:
        lines += ["", "findings"]
    for f in report.findings:
        lines += _wrapped(f"- {f.kind}: ", f.text, 2)
        if f.fix:
            lines += _wrapped("fix: ", f.fix, 4)
    lines += ["", "certain: Keras raises, or the head cannot learn whatever its weights; "
              "expected: training decides (an ok or misleading before training assumes the "
              "head learns; 'seen' is what training did in the sample run); measured: the "
              "grid's rules on the outputs given."]
    return "\n".join(lines) + "\n"
