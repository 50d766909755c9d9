"""Checker: locked mappings and typed values, each error one Keras-style line naming the file
and key path (`Invalid value for 'training.epochs': Expected ... Received: epochs=0`); the
parsers of the keys that need more than one of its checks."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from runner import vocab
from runner.errors import ConfigError, did_you_mean

MAX_INT = 10**9  # anything larger is a typo, not an experiment
_METRIC_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


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

    def number(self, value: Any, path: str, expected: str = "a positive number",
               within: Callable[[float], bool] = lambda x: x > 0, exact: bool = False) -> float:
        """A finite number for which `within` holds, as a float (`exact`: as given)."""
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or not within(value):
            raise self.fail(path, expected, value)
        return value if exact else float(value)

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, "true or false", value)
        return value

    def string(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(path, "a non-empty string", value)
        return value

    def choice(self, value: Any, path: str, choices: Any) -> str:
        """One of `choices` (a tuple, or a registry whose names and aliases are looked up now:
        registries may grow)."""
        aliases = getattr(choices, "aliases", {})
        choices = tuple(getattr(choices, "names", choices))
        if value is None and "none" in choices:
            return "none"  # YAML `null` for "no activation", as Keras's activation=None
        if isinstance(value, str) and (value in choices or value in aliases):
            return aliases.get(value, value)
        hint = did_you_mean(value, choices + tuple(aliases)).lstrip(". ") if isinstance(
            value, str) else ""
        raise self.fail(path, f"one of {list(choices)}", value, hint)

    def items(self, value: Any, path: str, parse: Callable[[Any, str], Any],
              example: str) -> tuple[Any, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(path, f"a non-empty list, e.g. {example}", value)
        parsed = tuple(parse(item, f"{path}[{i}]") for i, item in enumerate(value))
        if len(set(parsed)) != len(parsed):
            raise self.fail(path, "a list without duplicates", value)
        return parsed


def weights(check: Checker, value: Any, path: str) -> str:
    expected = f"one of {list(vocab.WEIGHTS)} or a path to a '.h5' / '.weights.h5' file"
    if not isinstance(value, str) or value not in vocab.WEIGHTS and not value.endswith(".h5"):
        near = did_you_mean(value, vocab.WEIGHTS) if isinstance(value, str) else ""
        raise check.fail(path, expected, value, near.lstrip(". "))
    return value


def drop_remainder(check: Checker, value: Any, path: str) -> str | bool:
    if not (value == "tutorial" or isinstance(value, bool)):
        raise check.fail(path, "true, false or 'tutorial'", value)
    return value


def split(check: Checker, value: Any, path: str) -> tuple[str, str]:
    mapping = check.mapping(value, path, ("train", "test"), required=("train", "test"))
    return tuple(check.string(mapping[k], f"{path}.{k}") for k in ("train", "test"))


def metric(check: Checker, value: Any, path: str) -> str:
    """A listed metric (or its Keras class name), or any other name Keras resolves (Keras is
    imported, seconds, only for a name the registry does not list)."""
    if vocab.METRICS.canonical(value) is not None:
        return vocab.METRICS.canonical(value)
    hint = ""
    if isinstance(value, str) and _METRIC_NAME.match(value):
        import keras

        try:
            keras.metrics.get(value)
            return value
        except (ValueError, TypeError) as e:
            hint = f"Keras says: {str(e).splitlines()[0]}"
    near = did_you_mean(value, vocab.METRICS.names).lstrip(". ") if isinstance(
        value, str) else ""
    raise check.fail(path, f"one of {list(vocab.METRICS.names)}, or the snake_case name of "
                     "another Keras metric (e.g. auc)", value, f"{near} {hint}".strip())


def share(device: str) -> Callable[[Checker, Any, str], float]:
    """The parser of Ray's rule for a task's resources: a share of one device, or whole ones."""
    none = device == "GPU"  # a task may ask for no GPU, never for no CPU
    expected = (f"{'0, ' if none else ''}a share of one {device} up to 1 (e.g. 0.5), or a "
                f"whole number of {device}s")
    return lambda check, value, path: check.number(value, path, expected, lambda x: (
        x >= 0 if none else x > 0) and x <= MAX_INT and (x <= 1 or x == int(x)), exact=True)
