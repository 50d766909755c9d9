"""`--set KEY=VALUE`: settings applied to a config document before it is validated.

A setting changes the YAML document, not the parsed config, so it is checked
exactly as a file that said it would be: locked keys, types, did-you-mean hints.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import yaml

from runner.errors import ConfigError

_STEP = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_]*)(?:\[(?P<index>\d+)\])?$")
# Keys said in one form or the other (one value, or a list of them): setting one drops
# the other from the document, as a user who writes the list means it to replace the one.
_FORMS = {"training.seeds": "training.seed", "training.seed": "training.seeds",
          "grid.backbone": "backbone.name", "backbone.name": "grid.backbone"}


def apply_settings(raw: Any, sets: tuple[str, ...], origin: str) -> Any:
    """The document with each `KEY=VALUE` of `--set` applied (VALUE read as YAML).

    KEY is a dotted path into the document, e.g. `training.epochs` or
    `datasets[0].max_train_samples`; missing mappings on the way are created, so
    the result is validated exactly as a file that said it (locked keys included).
    A key with two forms (`training.seed` / `training.seeds`, `backbone.name` /
    `grid.backbone`) replaces the other form.

    Raises:
        ConfigError: a setting without `=`, a malformed key or value, or a path
            through something that is not a mapping or list.
    """
    if not sets:
        return raw
    raw = copy.deepcopy(raw) if isinstance(raw, dict) else raw
    for setting in sets:
        key, sep, text = setting.partition("=")
        steps = [_STEP.match(step) for step in key.split(".")]
        if not sep or not key or not all(steps):
            raise ConfigError(f"{origin}: Invalid value for '--set': Expected KEY=VALUE with "
                              f"a dotted KEY such as training.epochs or "
                              f"datasets[0].max_train_samples. Received: {setting!r}")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            raise ConfigError(f"{origin}: Invalid value for '--set {key}': Expected a YAML "
                              f"value. Received: {text!r}") from None
        if not isinstance(raw, dict):
            return raw  # parse_config says what the file should have been
        if key in _FORMS:
            section, _, other = _FORMS[key].partition(".")
            if isinstance(raw.get(section), dict):
                raw[section].pop(other, None)
        node: Any = raw
        *parents, last = steps
        for step in parents + [last]:
            name, index = step["key"], step["index"]
            final = step is last and index is None
            if not isinstance(node, dict):
                raise ConfigError(f"{origin}: Invalid value for '--set {key}': Expected a "
                                  f"mapping at '{name}'. Received: {type(node).__name__}")
            if final:
                node[name] = value
                break
            node = node.setdefault(name, [] if index is not None else {})
            if index is not None:
                if not isinstance(node, list) or int(index) >= len(node):
                    raise ConfigError(f"{origin}: Invalid value for '--set {key}': Expected "
                                      f"'{name}' to have an item {index}. Received: "
                                      f"{node!r}"[:300])
                if step is last:
                    node[int(index)] = value
                    break
                node = node[int(index)]
    return raw
