"""The ready configs that ship inside the package (`runner/configs/*.yaml`), found by name.

`cheatgrid grid smoke` and `runner.run("smoke")` work from any folder, with or without
a checkout: a CONFIG that is not a file is looked up here by name. Each file's first
comment line is its summary (`cheatgrid configs`, the table in docs/config.md).
"""

from __future__ import annotations

import importlib.resources
import pathlib

from runner.errors import ConfigError, did_you_mean

SUFFIX = ".yaml"


def ready_dir() -> pathlib.Path:
    """The folder of the ready configs, inside the installed package."""
    # a plain folder on disk: the package is never imported from a zip
    return pathlib.Path(str(importlib.resources.files("runner") / "configs"))


def ready_configs() -> dict[str, pathlib.Path]:
    """Name -> file of every ready config, sorted by name."""
    return {path.stem: path for path in sorted(ready_dir().glob(f"*{SUFFIX}"))}


def summary(path: pathlib.Path) -> str:
    """A config file's first comment line, without its `#` (empty when it has none)."""
    first = path.read_text(encoding="utf-8").lstrip().splitlines()[:1]
    return first[0].lstrip("#").strip() if first and first[0].startswith("#") else ""


def find_config(config: str | pathlib.Path) -> pathlib.Path:
    """The file a CONFIG argument names: a file, else a ready config's name (`smoke` or
    `smoke.yaml`).

    Raises:
        ConfigError: neither; the message names the ready config it might have meant.
    """
    path = pathlib.Path(config)
    ready = ready_configs()
    name = path.name.removesuffix(SUFFIX)
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
