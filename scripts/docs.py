"""Rewrite the generated sections of docs/ from the code (`make docs`).

Each section sits between its markers (see `runner/cli/doc_sections.py`); everything else
in the docs is written by hand. tests/test_docs.py fails when a section is stale.
"""

from __future__ import annotations

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from runner.cli.doc_sections import render  # noqa: E402
from runner.store.atomic import atomic_write  # noqa: E402


def main() -> int:
    for path, text in render(ROOT / "docs").items():
        if path.read_text(encoding="utf-8") != text:
            atomic_write(path, text)
            print(f"updated {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
