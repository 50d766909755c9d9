"""The seeds' code snippets (`SNIPPETS`, read from catalogue.yaml, the data beside this file)
that print or state something about a Keras function, and the seeds' code not run (`NOT_RUN`)."""

from __future__ import annotations

import dataclasses
import importlib.resources
import re
from collections.abc import Callable
from typing import IO, Any

import yaml

from runner.errors import did_you_mean


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


_FILE = "runner/tutorial/snippets/catalogue.yaml"
_FIELDS = [field.name for field in dataclasses.fields(Snippet)]
_REQUIRED = [f.name for f in dataclasses.fields(Snippet) if f.default is dataclasses.MISSING]
_NOT_RUN = ["seed", "what", "why"]  # the seed(s), the code or statement, why it is not run
_TOP = ["fragments", "snippets", "not_run"]
# Each key's check and what it expects, where that is not a string.
_KINDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "adapt": (lambda value: isinstance(value, list) and all(
        isinstance(pair, list) and len(pair) == 2 and all(isinstance(text, str) for text in pair)
        for pair in value), "a list of [as written, as run] pairs"),
    "printed_tail": (lambda value: isinstance(value, bool), "true or false"),
    "fragments": (lambda value: isinstance(value, dict) and all(
        isinstance(text, str) for text in value.values()), "a mapping of names to strings"),
    "snippets": (lambda value: isinstance(value, list), "a list"),
    "not_run": (lambda value: isinstance(value, list), "a list"),
}


def _entry(entry: Any, keys: list[str], required: list[str], where: str,
           fragments: dict[str, str]) -> dict[str, Any]:
    """An entry of the catalogue, checked key by key, with `{NAME}` in its strings the
    fragment NAME."""
    if not isinstance(entry, dict):
        raise ValueError(f"Invalid {where} in {_FILE}: Expected a mapping of {keys}. "
                         f"Received: {entry!r}")
    missing = [key for key in required if key not in entry]
    if missing:
        raise ValueError(f"Missing key '{missing[0]}' in {where} of {_FILE}: Expected the keys "
                         f"{required} at least. Received: {list(entry)}")
    for key, value in entry.items():
        if key not in keys:
            raise ValueError(f"Unknown key '{key}' in {where} of {_FILE}: Expected one of "
                             f"{keys}{did_you_mean(str(key), keys)}")
        valid, expected = _KINDS.get(key, (lambda value: isinstance(value, str), "a string"))
        if not valid(value):
            raise ValueError(f"Invalid value for '{key}' in {where} of {_FILE}: Expected "
                             f"{expected}. Received: {key}={value!r}")

    def fill(text: str) -> str:
        def fragment(match: re.Match[str]) -> str:
            if match[1] not in fragments:
                raise ValueError(f"Unknown fragment in {where} of {_FILE}: Expected one of "
                                 f"{list(fragments)}. Received: {match[0]}"
                                 f"{did_you_mean(match[1], list(fragments))}")
            return fragments[match[1]]

        return re.sub(r"\{([A-Z_]+)\}", fragment, text)

    return {key: tuple(tuple(map(fill, pair)) for pair in value) if key == "adapt" else
            fill(value) if isinstance(value, str) else value for key, value in entry.items()}


def _load(stream: IO[str]) -> tuple[tuple[Snippet, ...], tuple[tuple[str, str, str], ...]]:
    """SNIPPETS and NOT_RUN, from the catalogue (ValueError naming the entry and key)."""
    raw = _entry(yaml.safe_load(stream), _TOP, _TOP, "the top level", {})
    snippets, not_run = [], []
    for i, entry in enumerate(raw["snippets"], 1):
        key = entry.get("key") if isinstance(entry, dict) else None
        where = f"snippet {i}" + (f" ('{key}')" if key else "")
        snippets.append(Snippet(**_entry(entry, _FIELDS, _REQUIRED, where, raw["fragments"])))
    for i, entry in enumerate(raw["not_run"], 1):
        checked = _entry(entry, _NOT_RUN, _NOT_RUN, f"not_run entry {i}", raw["fragments"])
        not_run.append(tuple(checked[key] for key in _NOT_RUN))
    return tuple(snippets), tuple(not_run)


with (importlib.resources.files(__name__) / "catalogue.yaml").open(encoding="utf-8") as _file:
    SNIPPETS, NOT_RUN = _load(_file)
BY_KEY = {snippet.key: snippet for snippet in SNIPPETS}

__all__ = ["BY_KEY", "NOT_RUN", "SNIPPETS", "Snippet"]
