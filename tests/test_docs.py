"""The docs that restate code (config keys, axis values, datasets, columns, CLI) match it."""

from __future__ import annotations

import pathlib

import pytest

from scripts.docs import GENERATED, render

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize("path", sorted({DOCS / name for name, *_ in GENERATED}),
                         ids=lambda p: p.name)
def test_generated_sections_are_current(path):
    expected = render(DOCS)[path]
    assert path.read_text(encoding="utf-8") == expected, (
        f"{path.name} is stale: run `python scripts/docs.py` (make docs)")


def test_readme_stays_short():
    readme = DOCS.parent / "README.md"
    assert len(readme.read_text(encoding="utf-8").splitlines()) <= 200
