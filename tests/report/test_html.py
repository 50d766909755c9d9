"""report.html from hand-made rows: self-contained, complete, escaped, well-formed."""

from __future__ import annotations

import html
import pathlib
import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from runner.report import html as html_report
from runner.report import tables
from runner.report.html import markdown_html, write_tables
from runner.report.run_report import RunReport
from runner.store import results
from tests.support import row

BCE, CCE = "binary_crossentropy", "categorical_crossentropy"
ROWS = [
    row(activation="softmax", loss=CCE, value=0.8125, recommended=True),
    row(activation="softmax", loss=CCE, metric="binary_accuracy", value=0.96, reference=0.8125),
    row(activation="none", loss=CCE, from_logits=True, value=0.5),
    row(activation="softmax", loss=BCE, error="ValueError",
        error_message="shapes <64> & (64, 10) differ"),
    row(dataset="mnist_binary", encoding="integer", activation="sigmoid", loss=BCE,
        metric="binary_accuracy", value=0.9),
]
CLAIMS = """Run `hand`: Keras 3.15.1, weights `random`.

| part | the tutorial says | this run shows | verdict |
|---|---|---|---|
| B | `from_logits=True` means a sigmoid. | it applies a softmax \\| not a sigmoid | does not hold |
| A | Dense(1, softmax) stays at 50%. | 0.5000 | holds |
"""
VOID = {"meta", "img", "br", "hr", "input", "link", "rect", "circle", "polyline"}


class _Checker(HTMLParser):
    """Collects src/href values and checks that every opened element is closed in order."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.links: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.links += [v or "" for k, v in attrs if k in ("src", "href")]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.links += [v or "" for k, v in attrs if k in ("src", "href")]

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def _report(rows=ROWS) -> RunReport:
    return RunReport(tables.annotate(tables.results_frame(rows)))


def _page(rows=ROWS, claims=None) -> str:
    return html_report.render_html(_report(rows), claims=claims)


@pytest.fixture(scope="module")
def page() -> str:
    """The page of ROWS without claims."""
    return _page()


@pytest.fixture(scope="module")
def claims_page() -> str:
    return _page(claims=CLAIMS)


def _check(page: str) -> _Checker:
    checker = _Checker()
    checker.feed(page)
    checker.close()
    return checker


def test_self_contained_and_well_formed(claims_page, page):
    checker = _check(claims_page)
    assert checker.problems == [] and checker.stack == []
    assert checker.links, "expected the table of contents"
    for link in checker.links:
        assert link.startswith("#"), link
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page)


def test_every_cell_and_its_table_entry_is_shown(page):
    for cell in _report().cells.to_dict("records"):
        assert html.escape(cell["name"]) in page
        assert html.escape(cell["value"]) in page
    assert "★ 0.8125" in page  # recommended


@pytest.mark.parametrize("fragment", [
    "<strong>ok</strong>", "<strong>misleading</strong>", "<strong>degenerate</strong>",
    "<strong>error</strong>", "by more than 0.02", "<h2>Legend</h2>",
])
def test_legend(fragment, page):
    assert fragment in page


def test_a_section_per_dataset_its_verdicts_shown_once(page):
    assert page.count('<section id="mnist">') == 1
    assert page.count('<section id="mnist_binary">') == 1
    assert "<img" not in page  # the coloured tables show the verdicts; the PNGs are files
    assert page.count("<table class='cheat'>") == 3  # one per metric and dataset
    assert page.count('class="v error') == 1 and page.count('class="v ok') == 2


@pytest.mark.parametrize("rows, expected", [
    (ROWS[4:], "1 cell: 1 ok."),
    (ROWS[:4], "4 cells: 1 ok, 1 misleading, 1 degenerate, 1 error."),
])
def test_the_section_counts_its_cells(rows, expected):
    assert expected in _page(rows)


def test_learning_curves_per_trained_head(page):
    trained = {r["head_id"] for r in ROWS if r["status"] == "ok"}
    assert page.count("<svg ") == 2 * len(trained)  # loss, and metrics with the reference
    assert page.count('<div class="card">') == len(trained)
    assert "1 head has no training history" in page  # the BCE head failed in fit
    assert "<polyline points=" in page


def test_claims_table_only_when_given(page, claims_page):
    assert "id='claims'" not in page and "<th>the tutorial says</th>" not in page
    assert "<th>the tutorial says</th>" in claims_page
    assert '<td class="claim misleading">does not hold</td>' in claims_page
    assert '<td class="claim ok">holds</td>' in claims_page
    # an escaped pipe stays in its cell
    assert "<td>it applies a softmax | not a sigmoid</td>" in claims_page
    assert "<code>from_logits=True</code>" in claims_page


def test_text_is_escaped(page):
    assert "shapes &lt;64&gt; &amp; (64, 10) differ" in page
    assert "<64>" not in page


@pytest.mark.parametrize("markdown, expected", [
    ("plain **bold** and `code`", "<strong>bold</strong> and <code>code</code>"),
    ("a <b>", "a &lt;b&gt;"),
    ("| x | y |\n|---|---|\n| 1 | a \\| b |", "<td>a | b</td>"),
    ("| x |\n|---|\n| y<br>z |", "<td>y<br>z</td>"),
    ("| x |\n|---|\n| holds (g1) |", '<td class="claim ok">holds (g1)</td>'),
    ("| x |\n|---|\n| holdsworth |", "<td>holdsworth</td>"),
])
def test_markdown_html(markdown, expected):
    assert expected in markdown_html(markdown)


def test_write_tables_writes_the_report_and_embeds_claims_md(tmp_path):
    (tmp_path / "claims.md").write_text(CLAIMS, encoding="utf-8")
    paths = write_tables(tmp_path, ROWS)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert paths["report.html"] == str(tmp_path / "report.html")
    assert "<th>the tutorial says</th>" in page
    assert len(page) < 1_000_000
    assert "id='snippets'" not in page


SNIPPETS_MD = """Run on tensorflow.

| seed | snippet | the seed | tensorflow | verdict |
|---|---|---|---|---|
| 000 | `000-x`: a loss | printed: [56.7] | y<br>[1.8] | **differs**: prints 1.8 |

- `000-x` (seed 000): **differs** on jax
- none
"""


def test_write_tables_embeds_snippets_md(tmp_path):
    (tmp_path / "snippets.md").write_text(SNIPPETS_MD, encoding="utf-8")
    write_tables(tmp_path, ROWS)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<section id='snippets'>" in page and '<a href="#snippets">snippets</a>' in page
    assert "<td>y<br>[1.8]</td>" in page  # a line break inside a cell
    assert re.search(r"<ul>\s*<li><code>000-x</code> \(seed 000\): <strong>differs</strong> "
                     r"on jax</li>\s*<li>none</li>\s*</ul>", page)
    checker = _check(page)
    assert checker.problems == [] and checker.stack == []


def test_claim_verdicts_with_a_detail_keep_their_colour():
    claims = CLAIMS.replace("| holds |", "| holds (same model, group g1) |")
    assert '<td class="claim ok">holds (same model, group g1)</td>' in _page(claims=claims)


def test_a_recommended_entry_whose_metric_misreports_is_marked_and_explained():
    rows = [row(dataset="mnist_binary", encoding="integer", activation="none",
                loss=BCE, from_logits=True, metric="binary_accuracy", value=0.855,
                reference=0.88, units=1, recommended=True, metric_resolved="binary_accuracy")]
    page = _page(rows)
    assert "★† 0.8550 misleading" in page
    assert "<li>† recommended by the tutorial, but its metric misreports: integer, none + " \
        "BCE(from_logits=True): <code>binary_accuracy</code> shows 0.8550" in page
    assert "use <code>BinaryAccuracy(threshold=0.0)</code></li>" in page


def test_write_tables_never_imports_keras(tmp_path):
    """Claims ask Keras itself; tables, heatmaps and the report must not load it, nor a
    plotting library (seconds)."""
    results.append_rows(tmp_path / results.RESULTS_FILE, ROWS)
    code = ("import sys; from runner.report.html import write_tables; "
            "from runner.store import results; "
            f"write_tables({str(tmp_path)!r}, results.read_rows("
            f"{str(tmp_path / results.RESULTS_FILE)!r})); "
            "print(sorted(m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=pathlib.Path(__file__).parents[2], check=True)
    assert done.stdout.strip() == "[]"
    assert (tmp_path / "report.html").is_file()


def test_many_cells_stay_small():
    rows = [row(encoding=e, activation=a, loss=loss, from_logits=f, metric=m, seed=s,
                value=0.5 + 0.1 * s, history_loss=[1.0 / (i + 1) for i in range(40)],
                history_test_metric=[0.5] * 40, history_reference_accuracy=[0.5] * 40)
            for e in ("integer", "onehot") for a in ("none", "sigmoid", "softmax")
            for loss in (BCE, CCE) for f in (True, False)
            for m in ("accuracy", "binary_accuracy", "categorical_accuracy") for s in (1, 2)]
    page = _page(rows)
    assert len(rows) == 144
    assert len(page.encode()) < 1_500_000
