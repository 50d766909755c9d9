"""A config file read (a path, or a ready config of the package found by its name, from any
folder), with `--set KEY=VALUE` applied to the document, then parsed."""

from __future__ import annotations

import copy
import dataclasses
import importlib.resources
import pathlib
import re
from typing import Any

import yaml

from runner.config.parse import parse_config
from runner.config.schema import Config
from runner.errors import ConfigError, did_you_mean

_STEP = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_]*)(?:\[(?P<index>\d+)\])?$")
# Keys said in one form or the other (one value, or a list of them): setting one drops
# the other from the document, as a user who writes the list means it to replace the one.
_FORMS = {"training.seeds": "training.seed", "training.seed": "training.seeds",
          "grid.backbone": "backbone.name", "backbone.name": "grid.backbone"}


def ready_configs() -> dict[str, pathlib.Path]:
    """Name -> file of every ready config (in the installed package's configs/), by name."""
    # a plain folder on disk: the package is never imported from a zip
    folder = pathlib.Path(str(importlib.resources.files("runner") / "configs"))
    return {path.stem: path for path in sorted(folder.glob("*.yaml"))}


def summary(path: pathlib.Path) -> str:
    """A config file's first comment line, without its `#` (empty when it has none): its
    summary (`cheatgrid configs`, docs/config.md)."""
    first = path.read_text(encoding="utf-8").lstrip().splitlines()[:1]
    return first[0].lstrip("#").strip() if first and first[0].startswith("#") else ""


def find_config(config: str | pathlib.Path) -> pathlib.Path:
    """The file a CONFIG argument names: a file, else a ready config's name (`smoke` or
    `smoke.yaml`); neither: a ConfigError naming the ready config it may mean."""
    path = pathlib.Path(config)
    ready = ready_configs()
    name = path.name.removesuffix(".yaml")
    if path.is_file():
        return path
    if path.parent == pathlib.Path(".") and name in ready:
        return ready[name]
    if path.exists():
        return path  # a folder: reading it says so
    if name in ready:  # e.g. configs/default.yaml outside a checkout
        raise ConfigError(f"{path}: No such config file. The ready config '{name}' is found "
                          f"by its name alone: '{name}'.")
    raise ConfigError(f"{path}: No such config file, nor a ready config's name (`cheatgrid "
                      f"configs` lists them){did_you_mean(name, list(ready)) or '.'}")


def apply_settings(raw: Any, sets: tuple[str, ...], origin: str) -> Any:
    """The document with each `--set KEY=VALUE` applied (KEY a dotted path such as
    `datasets[0].max_train_samples`, its missing mappings created; VALUE read as YAML), to be
    validated as a file that said it; a key with two forms replaces the other form."""
    raw = copy.deepcopy(raw)
    for setting in sets:
        key, sep, text = setting.partition("=")
        steps = [_STEP.match(step) for step in key.split(".")]
        if not sep or not all(steps):
            raise ConfigError(f"{origin}: Invalid value for '--set': Expected KEY=VALUE with "
                              f"a dotted KEY such as training.epochs or "
                              f"datasets[0].max_train_samples. Received: {setting!r}")
        bad = f"{origin}: Invalid value for '--set {key}': Expected"
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            raise ConfigError(f"{bad} a YAML value. Received: {text!r}") from None
        if not isinstance(raw, dict):
            return raw  # parse_config says what the file should have been
        section, _, other = _FORMS.get(key, ".").partition(".")
        if isinstance(raw.get(section), dict):
            raw[section].pop(other, None)
        node, slot = raw, None
        for step in steps:
            if slot is not None:  # the mapping (or list item) on the way, made where missing
                node = node.setdefault(slot, {}) if isinstance(node, dict) else node[slot]
            if not isinstance(node, dict):
                raise ConfigError(f"{bad} a mapping at '{step['key']}'. Received: "
                                  f"{type(node).__name__}")
            slot = step["key"]
            if step["index"] is not None:
                node, slot = node.setdefault(slot, []), int(step["index"])
                if not isinstance(node, list) or slot >= len(node):
                    raise ConfigError(f"{bad} '{step['key']}' to have an item {slot}. "
                                      f"Received: {node!r}"[:300])
        node[slot] = value
    return raw


def load_config(config: str | pathlib.Path, sets: tuple[str, ...] = ()) -> Config:
    """The config of a file or a ready config's name (`find_config`), with `--set KEY=VALUE`
    settings applied; ConfigError where it cannot be found, read or run as written."""
    path = find_config(config)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: Cannot read the config file: {e}") from None
    except RecursionError:
        raise ConfigError(f"{path}: Expected a config nested a few levels deep. Received: "
                          "nesting too deep to parse") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ConfigError(f"{path}: YAML syntax error{where}: {problem}") from None
    named = str(config)  # errors name the config as it was given
    raw = apply_settings(raw, sets, origin=named)
    origin = f"{named} (with --set)" if sets else named
    return dataclasses.replace(parse_config(raw, origin=origin, default_name=path.stem),
                               source_path=str(path))
