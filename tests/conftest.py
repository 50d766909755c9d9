"""Fixtures: a private feature cache for the whole session, config documents, config files."""

from __future__ import annotations

import copy
import os
import pathlib

import pytest
import yaml

from tests.support import TINY

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(autouse=True, scope="session")
def _private_feature_cache(tmp_path_factory):
    """Tests never read or fill the user's ~/.cache/cheatgrid."""
    os.environ["CHEATGRID_CACHE_DIR"] = str(tmp_path_factory.mktemp("feature-cache"))


@pytest.fixture
def tiny_doc() -> dict:
    """A fresh, mutable copy of the tiny config document."""
    return copy.deepcopy(TINY)


@pytest.fixture
def write_config(tmp_path: pathlib.Path):
    """Write a document (dict) or raw text to a YAML file and return its path."""
    def write(content, name: str = "grid.yaml") -> pathlib.Path:
        path = tmp_path / name
        text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path
    return write
