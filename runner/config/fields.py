"""A config key as a dataclass field: its default, meaning and parser; and the hashed identity
of a section.

Each field's metadata holds what the docs' key table says of it (`why`, and `shown`
where the default is not a plain value) and the parser that validates it; `load`
parses YAML with those parsers, and `docs` writes the key table from them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from runner import vocab
from runner.config.validate import Parser


def setting(default: Any = dataclasses.MISSING, *, why: str, parse: Parser | None,
            shown: str | None = None, key: str | None = None,
            values: vocab.Registry | None = None, new: bool = False) -> Any:
    """A config key: its default, what it means, how its value is validated.

    Args:
        why: the docs' meaning of the key, one sentence or a few.
        parse: validates a YAML value; None for keys `load` checks against the
            rest of the document (cross-key rules) or sections with their own fields.
        shown: the default as the docs show it, where it is not a plain value.
        key: the docs' name of the key where it differs from the field's.
        values: the registry of its values, which the docs list after `why`.
        new: a key added after cell ids and settings hashes were first stored: it
            enters the hashed identity (`identity`) only when it is not at its
            default, so that configs which do not use it keep their hashes (and
            their stored results stay resumable).
    """
    metadata = {"why": why, "parse": parse, "shown": shown, "key": key, "values": values,
                "new": new}
    return dataclasses.field(default=default, metadata=metadata)


def identity(section: Any) -> dict[str, Any]:
    """A section as the settings hash sees it: `dataclasses.asdict`, less the `new` keys
    at their defaults and the fields that are None and not keys (derived facts)."""
    values = dataclasses.asdict(section)
    for f in dataclasses.fields(section):
        value = getattr(section, f.name)
        at_default = f.metadata.get("new") and value == f.default
        if at_default or ("why" not in f.metadata and value is None):
            del values[f.name]
    return values
