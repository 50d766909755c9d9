"""`cheatgrid --help` and `grid --dry-run` answer without TensorFlow or pandas (seconds)."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
HEAVY = ("tensorflow", "keras", "pandas", "matplotlib", "jax", "torch")


@pytest.mark.parametrize("argv", [
    ["--help"], ["grid", "--help"], ["grid", "configs/default.yaml", "--dry-run"],
    ["grid", "configs/default.yaml", "--dry-run", "--set", "training.epochs=3", "--quick"]])
def test_no_heavy_import(argv):
    code = ("import sys, contextlib, io\n"
            "from runner.cli.main import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n"
            f"        code = main({argv!r})\n"
            "    except SystemExit as e:\n"
            "        code = e.code\n"
            f"print(code, sorted(m for m in {HEAVY!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    assert done.stdout.split(maxsplit=1) == ["0", "[]\n"], done.stderr
