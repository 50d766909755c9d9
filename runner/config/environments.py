"""The `environments:` section: `current` (this Python), `{backend: jax}` (this Python,
another backend) or pinned releases (`{keras: "3.4.1", backend: jax}`, resolved against
`vocab.releases` at config time); and the runtimes they make."""

from __future__ import annotations

import dataclasses
from typing import Any

from runner import vocab
from runner.config.validate import Checker
from runner.errors import did_you_mean
from runner.vocab import releases

CURRENT = "current"  # the Python cheatgrid runs in
_KEYS = ("keras", "tensorflow", "tf_keras", "backend")


@dataclasses.dataclass(frozen=True)
class Runtime:
    """Where a cell's head trains: an environment and the framework it trains with there; as
    an `environments` entry, framework None is `current` with every `grid.framework`."""

    environment: str  # `current` or a pinned environment's name
    framework: str | None
    pins: releases.Pins | None = None

    @property
    def label(self) -> str:
        return label_of(self.environment, self.framework)

    def to_raw(self) -> Any:
        """The `environments` entry that gives it."""
        if self.pins is not None:
            return self.pins.given()
        return CURRENT if self.framework is None else {"backend": self.framework}


def label_of(environment: str | None, framework: str) -> str:
    """A runtime as tables name it: a pinned environment's name, else (this Python; None in
    rows written before environments) the framework."""
    return framework if environment in (None, CURRENT) else environment


DEFAULT = (Runtime(CURRENT, None),)


def parse_environments(check: Checker, raw: Any, path: str = "environments",
                       ) -> tuple[Runtime, ...]:
    """The `environments` list, each entry resolved (an unknown release, or pins that break
    a `vocab.releases.CONSTRAINTS`, is an error); the same environment twice is an error."""
    if not isinstance(raw, list) or not raw:
        raise check.fail(path, "a non-empty list of `current` or pins such as {keras: "
                         "'3.4.1', backend: jax}", raw)
    parsed = tuple(_entry(check, item, f"{path}[{i}]") for i, item in enumerate(raw))
    named = [(entry.environment, entry.framework) for entry in parsed]
    for i, first in enumerate(map(named.index, named)):
        if first < i:
            raise check.fail(f"{path}[{i}]", f"each environment once ({named[i][0]} is "
                             f"{path}[{first}] already)", raw[i])
    return parsed


def _entry(check: Checker, raw: Any, path: str) -> Runtime:
    if raw == CURRENT:
        return DEFAULT[0]
    if not isinstance(raw, dict):
        raise check.fail(path, f"'{CURRENT}' or a mapping with keys {list(_KEYS)}", raw)
    check.mapping(raw, path, _KEYS)
    given: dict[str, str] = {}
    for key, value in raw.items():
        if key == "backend":
            given[key] = check.choice(value, f"{path}.backend", releases.BACKENDS)
            continue
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise check.fail(f"{path}.{key}", "a release as a quoted string (YAML reads "
                             "3.10 as the number 3.1)", value)
        try:
            given[key] = releases.release(key, str(value))
        except releases.ReleaseError as e:
            raise check.fail(f"{path}.{key}", str(e), value,
                             did_you_mean(str(value), releases.RELEASES[key]).lstrip(". ")
                             ) from None
    if set(given) <= {"backend"}:  # this Python with another backend: the framework axis
        return Runtime(CURRENT, given.get("backend", vocab.DEFAULT_FRAMEWORK))
    try:
        pins = releases.resolve(given)
    except releases.ReleaseError as e:
        raise check.fail(path, str(e), raw) from None
    return Runtime(pins.name, pins.framework, pins)

