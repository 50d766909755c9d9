"""`cheatgrid --help`, `grid --dry-run`, `configs` and `import runner` answer without TensorFlow
or pandas (seconds)."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
HEAVY = ("tensorflow", "keras", "pandas", "jax", "torch")


@pytest.mark.parametrize("argv", [
    ["--help"], ["grid", "--help"], ["grid", "configs/default.yaml", "--dry-run"],
    ["grid", "configs/default.yaml", "--dry-run", "--set", "training.epochs=3", "--quick"],
    ["grid", "smoke", "--dry-run"], ["configs"], ["configs", "smoke"]])
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


def test_import_runner_is_light_and_its_api_comes_on_first_use():
    code = (f"import sys, runner\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
            "print(runner.run.__module__, runner.open_run.__module__, runner.Run.__module__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    assert done.stdout.splitlines() == ["[]", "runner.api runner.api runner.api"], done.stderr


def test_a_reader_that_leaves_early_gets_no_traceback():
    done = subprocess.Popen([sys.executable, "-m", "runner", "grid", "smoke", "--dry-run"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    done.stdout.close()  # before it writes: `cheatgrid ... | head -0`
    assert done.wait(timeout=60) == 1
    assert done.stderr.read() == b""
