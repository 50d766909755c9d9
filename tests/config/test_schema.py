"""The schema: docs/config.md lists every key once, and a key's value by its field's parser."""

from __future__ import annotations

import pathlib
import re

import pytest

from runner.config import schema
from runner.config.schema import GridConfig, TrainingConfig, parse_key
from runner.config.validate import Checker
from runner.errors import ConfigError

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs" / "config.md"
_SECTIONS = {"backbone": schema.BackboneConfig, "training": TrainingConfig,
             "grid": GridConfig, "resources": schema.ResourcesConfig,
             "datasets[]": schema.DatasetConfig}


def test_docs_list_every_key_of_the_schema_once():
    text = DOCS.read_text(encoding="utf-8").split("## Every key", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `([^|]+)` \|", text, flags=re.MULTILINE)
    expected = [k for k in schema.keys(schema.Config) if k not in _SECTIONS]
    expected += [f"{s}.{k}" for s, cls in _SECTIONS.items() for k in schema.keys(cls)]
    expected = ["training.seed` / `training.seeds" if k == "training.seeds" else k
                for k in expected]
    assert sorted(documented) == sorted(expected)


@pytest.mark.parametrize("cls, name, value, expected", [
    (TrainingConfig, "learning_rate", 1, 1.0),  # a float, as hashed
    (TrainingConfig, "cell_timeout_seconds", None, None),  # default None: null is None
    (TrainingConfig, "seeds", [3, 1], (3, 1)),
    (GridConfig, "backbone", None, None),
    (GridConfig, "loss", ["BinaryCrossentropy"], ("binary_crossentropy",)),
    (schema.ResourcesConfig, "node_wait_seconds", 0, 0),  # as given: an int stays an int
])
def test_parse_key(cls, name, value, expected):
    parsed = parse_key(Checker("<t>"), cls, name, value, f"x.{name}")
    assert parsed == expected and type(parsed) is type(expected)


@pytest.mark.parametrize("cls, name, value, one", [
    (GridConfig, "backbone", None, True),  # one value of a pattern: never null
    (GridConfig, "loss", "binary_crossentropy", False),  # an axis is a list
    (TrainingConfig, "epochs", None, False),
])
def test_parse_key_rejects(cls, name, value, one):
    with pytest.raises(ConfigError, match=f"Invalid value for 'x.{name}'"):
        parse_key(Checker("<t>"), cls, name, value, f"x.{name}", one=one)
