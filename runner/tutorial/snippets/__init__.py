"""The seeds' code snippets (`SNIPPETS`, read from catalogue.yaml, the data beside this file)
that print or state something about a Keras function, and the seeds' code not run (`NOT_RUN`).
tests/tutorial/test_snippets.py checks the catalogue's form, naming the entry and key."""

from __future__ import annotations

import dataclasses
import importlib.resources
import re
from typing import IO, Any

import yaml


@dataclasses.dataclass(frozen=True)
class Snippet:
    """One snippet of a seed: its code as the seed wrote it, what it printed, what it says."""

    key: str  # a stable id, `<seed>-<what>`
    seed: str  # the seed(s) it comes from, e.g. "000" or "001, 000"
    short: str  # the snippet in short, for the table
    code: str  # the seed's code in the dialect (it prints what the seed printed)
    printed: str | None = None  # what the seed printed (None: it shows no output)
    says: str | None = None  # the statement to check (None: only the output is compared)
    # Run after `code`, in its namespace (`error`: the code's error line), setting `holds`
    # (the statement holds) and/or `why` (one line on the mechanism); not the seed's.
    probe: str = ""
    # (as written, as run) replacements for today's API, tried only where the code raises.
    adapt: tuple[tuple[str, str], ...] = ()
    note: str = ""  # how the code departs from the seed, beyond the dialect
    printed_tail: bool = False  # the seed shows only the end of the output (compare the tail)


def _fill(value: Any, fragments: dict[str, str]) -> Any:
    """A catalogue value with `{NAME}` in its strings the fragment NAME (lists as tuples)."""
    if isinstance(value, dict):
        return {key: _fill(item, fragments) for key, item in value.items()}
    if isinstance(value, list):
        return tuple(_fill(item, fragments) for item in value)
    if isinstance(value, str):
        return re.sub(r"\{([A-Z_]+)\}", lambda match: fragments[match[1]], value)
    return value


def _load(stream: IO[str]) -> tuple[tuple[Snippet, ...], tuple[tuple[str, str, str], ...]]:
    """SNIPPETS and NOT_RUN, from the catalogue."""
    raw = yaml.safe_load(stream)
    snippets = tuple(Snippet(**_fill(entry, raw["fragments"])) for entry in raw["snippets"])
    return snippets, tuple(_fill([e["seed"], e["what"], e["why"]], raw["fragments"])
                           for e in raw["not_run"])


with (importlib.resources.files(__name__) / "catalogue.yaml").open(encoding="utf-8") as _file:
    SNIPPETS, NOT_RUN = _load(_file)
BY_KEY = {snippet.key: snippet for snippet in SNIPPETS}

__all__ = ["BY_KEY", "NOT_RUN", "SNIPPETS", "Snippet"]
