"""Validation primitives for user documents: locked mappings, typed values, hints, and the
parsers the schema's fields name.

Every error is a `ConfigError` whose one line names the origin (file), the key
path, what was expected and what was received, Keras-style:
`Invalid value for 'training.epochs': Expected an integer from 1 to 1,000,000,000.
Received: epochs=0`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from runner import vocab
from runner.errors import ConfigError, did_you_mean

MAX_INT = 10**9  # anything larger is a typo, not an experiment


class Checker:
    """Validates one document; every error names the file and the key path."""

    def __init__(self, origin: str):
        self.origin = origin

    def fail(self, path: str, expected: str, received: Any, hint: str = "") -> ConfigError:
        leaf = path.rsplit(".", 1)[-1] if path else "config"
        shown = repr(received)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        message = (f"{self.origin}: Invalid value for '{path}': Expected {expected}. "
                   f"Received: {leaf}={shown}")
        return ConfigError(message + (f". {hint}" if hint else ""))

    def mapping(self, value: Any, path: str, allowed: tuple[str, ...],
                required: tuple[str, ...] = ()) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"a mapping with keys {list(allowed)}", value)
        for key in value:
            if not isinstance(key, str) or key not in allowed:
                shown = key if isinstance(key, str) and key.isprintable() else repr(key)
                full = f"{path}.{shown}" if path else shown
                raise ConfigError(
                    f"{self.origin}: Unknown key '{full}': expected one of {list(allowed)}. "
                    f"Received: {key!r}{did_you_mean(str(key), allowed)}")
        for key in required:
            if key not in value:
                full = f"{path}.{key}" if path else key
                raise ConfigError(f"{self.origin}: Missing required key '{full}'.")
        return value

    def integer(self, value: Any, path: str, minimum: int = 1) -> int:
        is_int = isinstance(value, int) and not isinstance(value, bool)
        if not is_int or not minimum <= value <= MAX_INT:
            raise self.fail(path, f"an integer from {minimum} to {MAX_INT:,}", value)
        return value

    def number(self, value: Any, path: str, expected: str,
               within: Callable[[float], bool]) -> float:
        """A finite number (an int stays an int) for which `within` holds."""
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or not within(value):
            raise self.fail(path, expected, value)
        return value

    def positive_number(self, value: Any, path: str) -> float:
        return float(self.number(value, path, "a positive number", lambda x: x > 0))

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, "true or false", value)
        return value

    def string(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(path, "a non-empty string", value)
        return value

    def choice(self, value: Any, path: str, choices: tuple[str, ...] | vocab.Registry,
               aliases: dict[str, str] | None = None) -> str:
        """One of `choices` (a registry's names, looked up now: registries may grow), or an
        alias of one."""
        if isinstance(choices, vocab.Registry):
            choices, aliases = choices.names, choices.aliases
        aliases = aliases or {}
        if value is None and "none" in choices:
            return "none"  # YAML `null` for "no activation", as Keras's activation=None
        if isinstance(value, str) and value in choices:
            return value
        if isinstance(value, str) and value in aliases:
            return aliases[value]
        known = tuple(choices) + tuple(aliases)
        hint = did_you_mean(value, known).lstrip(". ") if isinstance(value, str) else ""
        raise self.fail(path, f"one of {list(choices)}", value, hint)

    def items(self, value: Any, path: str, parse: Callable[[Any, str], Any],
              example: str) -> tuple[Any, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(path, f"a non-empty list, e.g. {example}", value)
        parsed = tuple(parse(item, f"{path}[{i}]") for i, item in enumerate(value))
        if len(set(parsed)) != len(parsed):
            raise self.fail(path, "a list without duplicates", value)
        return parsed


# A field's parser: (checker, value, key path) -> the validated value. The schema names
# one per field (a `Checker` method is one); `parse` applies them.
Parser = Callable[[Checker, Any, str], Any]


def optional(parse: Parser) -> Parser:
    """`parse`, or None for a YAML null (the field's 'not set')."""
    return lambda check, value, path: None if value is None else parse(check, value, path)


def items(parse: Parser, example: str) -> Parser:
    """A non-empty list without duplicates, each item parsed by `parse`."""
    return lambda check, value, path: check.items(
        value, path, lambda v, p: parse(check, v, p), example)


def weights(check: Checker, value: Any, path: str) -> str:
    expected = f"one of {list(vocab.WEIGHTS)} or a path to a '.h5' / '.weights.h5' file"
    if not isinstance(value, str) or not value:
        raise check.fail(path, expected, value)
    if value not in vocab.WEIGHTS and not value.endswith(".h5"):
        raise check.fail(path, expected, value,
                         did_you_mean(value, vocab.WEIGHTS).lstrip(". "))
    return value


def drop_remainder(check: Checker, value: Any, path: str) -> str | bool:
    if not (value == "tutorial" or isinstance(value, bool)):
        raise check.fail(path, "true, false or 'tutorial'", value)
    return value


def device_share(device: str) -> Parser:
    """Ray's rule for a task's resources: a share of one device, or whole devices."""
    none = device == "GPU"  # a task may ask for no GPU, never for no CPU
    expected = f"{'0, ' if none else ''}a share of one {device} up to 1 (e.g. 0.5), or a " \
               f"whole number of {device}s"
    return lambda check, value, path: check.number(
        value, path, expected, lambda x: (x >= 0 if none else x > 0) and x <= MAX_INT
        and (x <= 1 or x == int(x)))


def seconds(check: Checker, value: Any, path: str) -> float:
    return check.number(value, path, f"a number of seconds from 0 to {MAX_INT:,}",
                        lambda x: 0 <= x <= MAX_INT)


def label_smoothing(check: Checker, value: Any, path: str) -> float:
    return float(check.number(value, path, "a number from 0 up to (not including) 1, e.g. 0.1",
                              lambda x: 0 <= x < 1))
