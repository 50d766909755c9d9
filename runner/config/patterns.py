"""Cell patterns: `exclude` and `overrides[].when` (partial cells, values any-of) and
`include` (full cells), and the lists of them."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from runner import vocab
from runner.config import schema
from runner.config.schema import Override, TrainingConfig
from runner.config.validate import Checker

# Axes a cell pattern may name but need not: a full (`include`) cell without them takes
# the default framework, the first backbone of the grid and no label smoothing.
OPTIONAL_AXES = ("framework", "backbone", "label_smoothing")


def pattern(check: Checker, raw: Any, path: str, dataset_names: tuple[str, ...],
             full: bool) -> dict[str, Any]:
    """A cell pattern: full (every axis, one value each) or partial (values any-of)."""
    allowed = ("dataset",) + vocab.AXES + OPTIONAL_AXES + (("units",) if full else ())
    raw = check.mapping(raw, path, allowed, required=allowed[:6] if full else ())
    if not raw:
        raise check.fail(path, "at least one axis value", raw)
    entry: dict[str, Any] = {}
    for axis, value in raw.items():
        if axis == "units":
            entry[axis] = None if value is None else check.integer(value, f"{path}.units")
            continue
        if axis == "dataset":
            parse = lambda v, p: check.choice(v, p, dataset_names)  # noqa: E731
        else:
            parse = lambda v, p, axis=axis: schema.axis_value(axis)(check, v, p)  # noqa: E731
        if full:
            entry[axis] = parse(value, f"{path}.{axis}")
        else:
            seq = value if isinstance(value, list) else [value]
            entry[axis] = check.items(seq, f"{path}.{axis}", parse, "a value")
    return entry


def entries(check: Checker, raw: Any, key: str, parse: Callable[[Any, str], Any]) -> tuple:
    """A top-level list (`exclude`, `include`, `overrides`), each item parsed by `parse`."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise check.fail(key, "a list of mappings", raw)
    return tuple(parse(item, f"{key}[{i}]") for i, item in enumerate(raw))


def override(check: Checker, raw: Any, path: str, names: tuple[str, ...]) -> Override:
    """One `overrides` entry: a partial cell and the training settings its cells get."""
    raw = check.mapping(raw, path, ("when", "set"), required=("when", "set"))
    when = pattern(check, raw["when"], f"{path}.when", names, full=False)
    settable = tuple(f"training.{k}" for k in schema.keys(TrainingConfig))
    changes = check.mapping(raw["set"], f"{path}.set", settable)
    if not changes:
        raise check.fail(f"{path}.set", f"at least one of {list(settable)}", changes)
    fields = {f.name: f for f in dataclasses.fields(TrainingConfig)}
    values = {key.split(".", 1)[1]: fields[key.split(".", 1)[1]].metadata["parse"](
        check, value, f"{path}.set.{key}") for key, value in changes.items()}
    return Override(when=when, set=values)
