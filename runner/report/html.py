"""report.html (a run in one self-contained page: inline CSS, coloured tables, SVG curves,
text escaped, Markdown through markdown-it-py with raw HTML off), and every output at once."""

from __future__ import annotations

import pathlib
import re
from html import escape
from typing import Any

from markdown_it import MarkdownIt

from runner.report import heatmaps, highlights, markdown, tables
from runner.report.run_report import RunReport
from runner.store.atomic import atomic_write
from runner.train.judge import DEGENERATE_MARGIN, MISLEADING_TOLERANCE

_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")
_CLAIM_MARKS = {"holds": "ok", "does not hold": "misleading", "not tested": "degenerate"}
_VERDICT_MEANINGS = {
    "ok": "trained, and the metric agrees with what it should report (the reference "
          "accuracy; top-k accuracy for a top-k metric), or has no reference",
    "misleading": f"the metric differs from what it should report by more than "
                  f"{MISLEADING_TOLERANCE}",
    "degenerate": f"constant predictions, or a reference accuracy not above the "
                  f"majority rate (of the most common class, or label set) by more than "
                  f"{DEGENERATE_MARGIN}",
    "error": "raised while preparing labels, building, compiling, fitting or evaluating",
}
_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
 color:#1a1a1a;background:#fafafa}
main{max-width:1500px;margin:0 auto;padding:16px 28px 48px}
h1{font-size:24px;margin:8px 0}h3{font-size:15px;margin:18px 0 6px}
h2{border-bottom:2px solid #ccc;padding-bottom:4px;margin-top:36px}
nav a{margin-right:14px}code{background:#eee;padding:0 3px;border-radius:3px}
table{border-collapse:collapse;margin:4px 0 10px;font-size:13px;background:#fff}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f0f0f0}
table.cheat{width:100%;table-layout:fixed}table.cheat th:nth-child(-n+3){width:5.5em}
table.cheat td.v{text-align:center}table.cheat th.c,table.cheat td.v{overflow-wrap:anywhere}
td.claim{white-space:nowrap}
td.rec{outline:3px solid #000;outline-offset:-4px;font-weight:700}
span.sw{display:inline-block;width:14px;height:14px;vertical-align:-2px;margin:0 6px 0 8px;
 border-radius:2px}ul.legend{list-style:none;padding:0}ul.legend li{margin:2px 0}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{background:#fff;border:1px solid #ddd;border-radius:4px;padding:6px 8px;width:400px}
.card h4{margin:0 0 4px;font-size:13px}
.card ul{margin:0 0 4px;padding:0;list-style:none;font-size:12px}
.card li span{padding:0 4px;border-radius:2px}
svg{font:10px sans-serif}svg .t{font-weight:600}svg .a{fill:#555}
svg .f{fill:#fff;stroke:#bbb}p.note{color:#555}
""" + "".join(f".{verdict}{{background:{color}}}"  # the heatmaps' colours
              for verdict, color in heatmaps.VERDICT_COLORS.items())


def _e(value: Any) -> str:
    return escape(str(value))


def markdown_html(text: str | list[str]) -> str:
    """Embedded Markdown (a text or its lines) as HTML; a claims-table cell that starts with
    a claim's verdict (`holds (same model, g1)`) gets its colour."""
    text = text if isinstance(text, str) else "\n".join(text)
    page = _MARKDOWN.render(text).replace("&lt;br&gt;", "<br>")
    return re.sub(r"<td>(" + "|".join(_CLAIM_MARKS) + r")(?=<| \()",
                  lambda m: f'<td class="claim {_CLAIM_MARKS[m[1]]}">{m[1]}', page)


def findings_html(found: list[tuple[str, list[str]]]) -> str:
    """The findings section (`highlights.findings`'s lines, by kind)."""
    return f"<section id='findings'>{markdown_html(highlights.findings_markdown(found))}</section>"


def _cheat_table(report: RunReport, metric: str, dataset: str) -> str:
    """One metric's cheat table; each entry coloured by its cell's verdict."""
    table = report.table.loc[(metric, dataset)]
    head = "<th>encoding</th><th>units</th><th>activation</th>" + "".join(
        f"<th class='c'>{_e(c)}</th>" for c in table.columns)
    rows = []
    for row_key, values in table.iterrows():
        tds = "".join(f"<td>{_e(v)}</td>" for v in row_key)
        for column, text in values.items():
            cell = report.entries.get((metric, dataset, *row_key, column))
            tds += "<td></td>" if cell is None else (
                f'<td class="v {cell["verdict"]}{" rec" * tables.recommended(cell)}" '
                f'title="{_e(tables.cell_tip(cell))}">{tables.star(cell)}{_e(text)}</td>')
        rows.append(f"<tr>{tds}</tr>")
    return f"<table class='cheat'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody>" \
           "</table>"


def _curves(report: RunReport) -> str:
    swatches = "".join(f'<span class="sw" style="background:{color}"></span>{_e(m)} '
                       for m, (color, _) in heatmaps.metric_styles().items())
    out = ["<h2 id='curves'>Learning curves</h2><p>Per trained head (mean over seeds): the "
           "training loss per epoch, and each metric on the test split per epoch with the "
           f"reference accuracy (dashed). {swatches}</p>"]
    if "history_loss" not in report.shown:
        return out[0] + "<p class='note'>These rows hold no training histories.</p>"
    by_head = {head_id: cells.to_dict("records")
               for head_id, cells in report.cells.groupby("head_id", sort=False)}
    for dataset, rows in report.shown.groupby("dataset", sort=False):
        cards, untrained = [], 0
        for head_id, head in rows.groupby("head_id", sort=False):
            if heatmaps.mean_series(head["history_loss"]).size == 0:
                untrained += 1
                continue
            values = "".join(f'<li>{_e(c["metric"])}: <span class="{c["verdict"]}">'
                             f'{_e(c["value"])}</span></li>' for c in by_head[head_id])
            cards.append(f'<div class="card"><h4>{_e(tables.head_text(head.iloc[0]))}</h4>'
                         f"<ul>{values}</ul>{heatmaps.head_charts(head)}</div>")
        note = (f"<p class='note'>{untrained} head{' has' if untrained == 1 else 's have'} "
                "no training history: failed before or during fit (see Errors).</p>"
                ) if untrained else ""
        out.append(f"<h3>{_e(dataset)}</h3>{note}<div class='cards'>{''.join(cards)}</div>")
    return "".join(out)


def render_html(report: RunReport, *, claims: str | None = None,
                snippets: str | None = None, changes: str | None = None) -> str:
    """The report page, embedding the run's claims.md, snippets.md and changes.md if given."""
    embedded = {name: f"<section id='{name}'><h2>{title}</h2>{markdown_html(text)}</section>"
                for name, title, text in (
                    ("changes", "What changed when, release by release", changes),
                    ("claims", "What the tutorial says vs. what this run shows", claims),
                    ("snippets", "The tutorial's snippets: what it printed, what each "
                     "framework prints now", snippets)) if text}
    run = tables.provenance(report.shown)["run"]
    links = {**{n: n for n in ("findings", *report.datasets, *embedded, "errors")},
             "curves": "learning curves"}
    legend = "".join(f'<li><span class="sw {v}"></span><strong>{v}</strong>: {_e(meaning)}</li>'
                     for v, meaning in _VERDICT_MEANINGS.items())
    body = (markdown_html(markdown.header_lines(report.shown, f"cheatgrid: run {run}")) +
            "<nav>" + "".join(f'<a href="#{_e(n)}">{_e(text)}</a>' for n, text in links.items())
            + "</nav>" + findings_html(report.findings) +
            f"<h2>Legend</h2><ul class='legend'>{legend}<li><span class='sw' "
            "style='outline:3px solid #000;outline-offset:-3px'></span><strong>★ bold, "
            "outlined</strong>: a combination the tutorial recommends; "
            f"<strong>★{tables.MISREPORT_MARK}</strong>: one whose metric misreports (the note "
            "under its tables says what it showed and what to use instead)</li></ul>"
            f"<p>{_MARKDOWN.renderInline(markdown.LEGEND)}</p>")
    for dataset in report.datasets:
        head, tail = markdown.section_lines(report, dataset)
        body += f'<section id="{_e(dataset)}">{markdown_html(head)}' + "".join(
            markdown_html(f"### metric: {m}{markdown.reference_note(m)}") +
            _cheat_table(report, m, dataset) for m in report.metrics(dataset)
        ) + markdown_html(tail) + "</section>"
    errors = markdown_html(markdown.errors_lines(report.shown))
    body += (markdown_html(markdown.disagreements_lines(report.shown)) + "".join(embedded.values())
             + f"<section id='errors'>{errors}</section>" + _curves(report))
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>cheatgrid: {_e(run)}</title><style>{_CSS}</style></head>"
            f"<body><main>{body}</main></body></html>\n")


def write_report(report: RunReport, run_dir: str | pathlib.Path) -> dict[str, str]:
    """Write every table, heatmap and report.html: file name -> path."""
    run_dir = pathlib.Path(run_dir)
    texts = {name: (run_dir / f"{name}.md").read_text(encoding="utf-8")
             if (run_dir / f"{name}.md").is_file() else None
             for name in ("claims", "snippets", "changes")}
    outputs = {"results.csv": tables.results_table(report.rows).to_csv(index=False),
               "cheat_table.csv": report.table.to_csv(),
               "cheat_table.md": markdown.cheat_markdown(report),
               **{heatmaps.heatmap_name(d): heatmaps.heatmap_svg(report, d)
                  for d in report.datasets},
               "report.html": render_html(report, **texts)}
    for name, text in outputs.items():
        atomic_write(run_dir / name, text)
    return {name: str(run_dir / name) for name in outputs}


def write_tables(run_dir: str | pathlib.Path, rows: list[dict[str, Any]]) -> dict[str, str]:
    """`write_report` of a run's rows (annotated with its stored logits)."""
    return write_report(RunReport.read(run_dir, rows), run_dir)
