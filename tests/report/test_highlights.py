"""The findings a run opens with, on hand-made rows whose verdicts are known."""

from __future__ import annotations

import pandas as pd

from runner.report.highlights import findings, findings_markdown
from runner.report.markdown import cheat_markdown
from runner.report.run_report import RunReport
from runner.report.tables import annotate, cheat_cells
from tests.support import row

BCE = "binary_crossentropy"
ROWS = [
    row(metric="categorical_accuracy", value=0.8),  # ok
    row(metric="binary_accuracy", value=0.96, reference=0.8),  # misleading, gap 0.16
    row(metric="accuracy", value=0.85, reference=0.8, metric_resolved="categorical_accuracy"),
    row(activation="sigmoid", loss=BCE, value=0.5, constant_predictions=True),  # degenerate
    row(activation="none", loss=BCE, error="ValueError"),
    *[row(activation=a, loss="sparse_categorical_crossentropy", equivalence_group="g1",
          head_id=f"h{a}") for a in ("sigmoid", "softmax")],
]


def _found() -> dict[str, list[str]]:
    df = annotate(pd.DataFrame(ROWS))
    df["equivalence_group"] = [r.get("equivalence_group") for r in ROWS]  # as logits would
    return dict(findings(df, cheat_cells(df)))


def test_each_kind_of_finding_names_its_cells():
    found = _found()
    assert found["verdicts"] == ["7 cells: 3 ok, 2 misleading, 1 degenerate, 1 error."]
    assert len(found["misleading"]) == 2
    [binary] = [line for line in found["misleading"] if line.startswith("`binary_accuracy`")]
    assert "0.9600 shown where the reference accuracy is 0.8000" in binary
    assert any("(Keras built `categorical_accuracy`)" in line for line in found["misleading"])
    [degenerate] = found["degenerate"]
    assert degenerate.startswith("mnist: onehot / sigmoid (10 units) with BCE logits=false")
    assert "predicts one class (or label set) for every image: 1 cell" in degenerate
    [identical] = found["identical"]
    assert identical.startswith("mnist: 1 group of identical heads (2 heads)")


def test_cheat_table_md_opens_with_the_findings_before_the_legend():
    report = RunReport(annotate(pd.DataFrame(ROWS)))
    text = cheat_markdown(report)
    assert text.index("## Findings") < text.index("## How to read the tables") < \
        text.index("## mnist")
    assert findings_markdown(report.findings)[0] == "## Findings"
