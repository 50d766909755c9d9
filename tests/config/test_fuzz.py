"""Hostile configs: thousands of generated documents, never a traceback, always a message."""

from __future__ import annotations

import contextlib
import copy
import io
import os
import tempfile

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.cli import main as cli
from tests.support import TINY

pytestmark = pytest.mark.slow  # real fits, fuzzing or subprocess runs

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["mnist", "onehot", "softmax", "accuracy", "none", "tfds", "auto", "",
                     "imagenet", "x.h5", "tutorial", "~", "null", "1e309"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12) | st.sampled_from(
        ["name", "epochs", "datasets", "grid", "loss", "metric", "when", "set"]), inner,
        max_size=4)), max_leaves=25)
KEY_PATHS = [("name",), ("backbone",), ("backbone", "weights"), ("backbone", "input_size"),
             ("training",), ("training", "epochs"), ("training", "seed"),
             ("training", "learning_rate"), ("datasets",), ("datasets", 0),
             ("datasets", 0, "max_train_samples"), ("datasets", 0, "name"), ("grid",),
             ("grid", "loss"), ("grid", "from_logits"), ("exclude",), ("include",),
             ("overrides",)]


def _exit_code_of(text: str) -> tuple[int, str]:
    """Run `cheatgrid grid FILE --dry-run` on the text; never let anything escape."""
    fd, path = tempfile.mkstemp(suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(text)
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = cli.main(["grid", path, "--dry-run"])
    finally:
        os.unlink(path)
    return code, err.getvalue()


def _check(text: str) -> None:
    code, err = _exit_code_of(text)
    assert code in (0, 2), code
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("cheatgrid: error: "), err
        assert "Traceback" not in err


# 3 x 400 + 2 x 25 generated documents, the same ones on every run.
FUZZ = settings(max_examples=400, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes(data):
    _check(data.decode("utf-8", errors="surrogateescape"))


@FUZZ
@given(VALUES)
def test_random_documents(document):
    _check(yaml.safe_dump(document, allow_unicode=True))


@FUZZ
@given(st.sampled_from(KEY_PATHS), VALUES)
def test_one_key_of_a_valid_config_replaced(path, value):
    doc = copy.deepcopy(TINY)
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    _check(yaml.safe_dump(doc, allow_unicode=True))


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.integers(min_value=1, max_value=1500))
def test_deep_nesting(depth):
    _check("datasets: " + "[" * depth + "]" * depth)
    _check("grid: " + "{a: " * depth + "1" + "}" * depth)


def test_huge_and_special_numbers():
    for value in ("1e309", ".inf", "-.inf", ".nan", str(10**400), "0x7fffffffffffffffff"):
        _check(f"datasets: [{{name: mnist}}]\ntraining: {{epochs: {value}}}\n")


def test_alias_bomb_is_refused_quickly():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))
    _check(bomb + "datasets: *i\n")
