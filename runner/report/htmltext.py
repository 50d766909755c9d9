"""Text for report.html: escaped, and the Markdown it embeds (claims, snippets) as HTML."""

from __future__ import annotations

import html
import re
from typing import Any

_CLAIM_MARKS = {"holds": "ok", "does not hold": "misleading", "not tested": "degenerate"}


def e(value: Any) -> str:
    """`value` as escaped HTML text."""
    return html.escape(str(value))


def inline(text: str) -> str:
    """Escaped text with Markdown's `code`, **bold** and `<br>` (a line break in a table
    cell, as GitHub renders it) as HTML."""
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", e(text))
    out = out.replace("&lt;br&gt;", "<br>")
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)


def _claim_mark(text: str) -> str | None:
    """The verdict colour of a claims-table cell that starts with a claim's verdict
    (`holds (same model, g1)`), else None."""
    for mark, verdict in _CLAIM_MARKS.items():
        if text == mark or text.startswith(f"{mark} ("):
            return verdict
    return None


def markdown_html(text: str) -> str:
    """Paragraphs, lists and pipe tables (the claims' and snippets' Markdown) as HTML.

    Args:
        text: Markdown of blocks separated by blank lines; a block whose lines all
            start with `|` is a table (header row, `|---|` row, body rows), one whose
            lines all start with `- ` a list.

    Returns:
        HTML; claim verdicts (`holds`, ...) get the matching verdict colour.
    """
    parts = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.splitlines()
        if all(line.startswith("- ") for line in lines):
            parts.append("<ul>" + "".join(f"<li>{inline(line[2:])}</li>" for line in lines)
                         + "</ul>")
            continue
        if not all(line.lstrip().startswith("|") for line in lines):
            parts.append(f"<p>{inline(' '.join(lines))}</p>")
            continue
        rows = [[c.strip().replace("\\|", "|")
                 for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
                for line in lines if not re.fullmatch(r"\|?[\s:|-]+\|?", line.strip())]
        head = "".join(f"<th>{inline(c)}</th>" for c in rows[0])
        body = "".join("<tr>" + "".join(
            f'<td class="claim {_claim_mark(c)}">{inline(c)}</td>' if _claim_mark(c)
            else f"<td>{inline(c)}</td>" for c in row) + "</tr>" for row in rows[1:])
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    return "\n".join(parts)
