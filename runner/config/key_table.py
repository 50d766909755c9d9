"""The docs' table of config keys, written from the schema (docs/config.md holds it)."""

from __future__ import annotations

import dataclasses
from typing import Any

from runner.config import schema

_SECTIONS = (schema.BackboneConfig, schema.TrainingConfig, schema.GridConfig,
             schema.ResourcesConfig)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, (list, tuple)):
        return "`[" + ", ".join(_shown(v).strip("`") for v in value) + "]`"
    return "none" if value is None else f"`{value}`"


def _value_text(entry: Any) -> str:
    aliases = f" (also {', '.join(f'`{a}`' for a in entry.aliases)})" if entry.aliases else ""
    return f"`{entry.name}`{aliases}"


def _rows(cls: type, prefix: str) -> list[tuple[str, str, str]]:
    rows = []
    for f in dataclasses.fields(cls):
        if "why" not in f.metadata:
            continue
        key = f.metadata["key"] or f"{prefix}{f.name}"
        default = f.metadata["shown"] or _shown(f.default)
        nested = f.default.__class__ if dataclasses.is_dataclass(f.default) else None
        if nested in _SECTIONS:
            rows += _rows(nested, f"{key}.")
            continue
        why = f.metadata["why"]
        if f.metadata["values"] is not None:
            why += ". Values: " + ", ".join(_value_text(e) for e in f.metadata["values"])
        rows.append((key, default, why))
        if f.name == "datasets":
            rows += _rows(schema.DatasetConfig, "datasets[].")
    return rows


def key_table() -> str:
    """Every config key, its default and what it means, as a Markdown table."""
    lines = ["| key | default | meaning |", "|---|---|---|"]
    lines += [f"| `{key}` | {default} | {why} |" for key, default, why in _rows(schema.Config, "")]
    return "\n".join(lines) + "\n"
