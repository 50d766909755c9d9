"""The snippet catalogue: well-formed entries, and every snippet run here, on TensorFlow."""

from __future__ import annotations

import dataclasses
import io
import pathlib
import re
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from runner.errors import did_you_mean
from runner.tutorial import snippet_table
from runner.tutorial.claims import _in_process_runs
from runner.tutorial.snippet_run import error_line
from runner.tutorial.snippets import BY_KEY, NOT_RUN, SNIPPETS, Snippet, _load

SEEDS = {"000", "001", "002", "003", "004"}


_FILE = "runner/tutorial/snippets/catalogue.yaml"
_FIELDS = [field.name for field in dataclasses.fields(Snippet)]
_REQUIRED = [f.name for f in dataclasses.fields(Snippet) if f.default is dataclasses.MISSING]
_NOT_RUN = ["seed", "what", "why"]  # the seed(s), the code or statement, why it is not run
_TOP = ["fragments", "snippets", "not_run"]
# Each key's check and what it expects, where that is not a string.
_KINDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "adapt": (lambda value: isinstance(value, list) and all(
        isinstance(pair, list) and len(pair) == 2 and all(isinstance(text, str) for text in pair)
        for pair in value), "a list of [as written, as run] pairs"),
    "printed_tail": (lambda value: isinstance(value, bool), "true or false"),
    "fragments": (lambda value: isinstance(value, dict) and all(
        isinstance(text, str) for text in value.values()), "a mapping of names to strings"),
    "snippets": (lambda value: isinstance(value, list), "a list"),
    "not_run": (lambda value: isinstance(value, list), "a list"),
}


def _entry(entry: Any, keys: list[str], required: list[str], where: str,
           fragments: dict[str, str]) -> None:
    """An entry of the catalogue, checked key by key, with `{NAME}` in its strings a
    fragment's name."""
    if not isinstance(entry, dict):
        raise ValueError(f"Invalid {where} in {_FILE}: Expected a mapping of {keys}. "
                         f"Received: {entry!r}")
    missing = [key for key in required if key not in entry]
    if missing:
        raise ValueError(f"Missing key '{missing[0]}' in {where} of {_FILE}: Expected the keys "
                         f"{required} at least. Received: {list(entry)}")
    for key, value in entry.items():
        if key not in keys:
            raise ValueError(f"Unknown key '{key}' in {where} of {_FILE}: Expected one of "
                             f"{keys}{did_you_mean(str(key), keys)}")
        valid, expected = _KINDS.get(key, (lambda value: isinstance(value, str), "a string"))
        if not valid(value):
            raise ValueError(f"Invalid value for '{key}' in {where} of {_FILE}: Expected "
                             f"{expected}. Received: {key}={value!r}")
        texts = [value] if isinstance(value, str) else sum(value, []) if key == "adapt" else []
        for name in (m for text in texts for m in re.findall(r"\{([A-Z_]+)\}", text)):
            if name not in fragments:
                raise ValueError(f"Unknown fragment in {where} of {_FILE}: Expected one of "
                                 f"{list(fragments)}. Received: {{{name}}}"
                                 f"{did_you_mean(name, list(fragments))}")


def check_catalogue(text: str) -> None:
    """The catalogue's form, which `snippets._load` takes as given: a ValueError naming the
    entry and the key where it is malformed."""
    raw = yaml.safe_load(text)
    _entry(raw, _TOP, _TOP, "the top level", {})
    for i, entry in enumerate(raw["snippets"], 1):
        key = entry.get("key") if isinstance(entry, dict) else None
        where = f"snippet {i}" + (f" ('{key}')" if key else "")
        _entry(entry, _FIELDS, _REQUIRED, where, raw["fragments"])
    for i, entry in enumerate(raw["not_run"], 1):
        _entry(entry, _NOT_RUN, _NOT_RUN, f"not_run entry {i}", raw["fragments"])


def test_the_shipped_catalogue_is_well_formed():
    check_catalogue((pathlib.Path(__file__).parents[2] / _FILE).read_text("utf-8"))


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: s.key)
def test_entries_are_well_formed(snippet):
    assert snippet.printed is not None or snippet.says, "prints or states something"
    assert set(snippet.seed.split(", ")) <= SEEDS
    assert snippet.key.startswith(snippet.seed[:3] + "-")
    if snippet.says and snippet.printed is None:
        assert "holds =" in snippet.probe, "a statement is judged by its probe"
    for written, _ in snippet.adapt:
        assert written in snippet.code, "an adaptation replaces code the snippet has"
    compile(snippet.code, snippet.key, "exec")
    compile(snippet.probe, snippet.key, "exec")


def test_keys_are_unique_and_every_seed_is_covered():
    assert len(BY_KEY) == len(SNIPPETS)
    assert {s.seed[:3] for s in SNIPPETS} == SEEDS
    assert all(seed and what and why for seed, what, why in NOT_RUN)


CATALOGUE = """\
fragments:
  X: |-
    a = 1
snippets:
- key: 000-a
  seed: '000'
  short: a
  code: |
    {X}
    print(a)
  printed: '1'
not_run:
- {seed: '001', what: w, why: y}
"""


def test_the_catalogue_reads_its_fragments_into_snippets():
    (snippet,), not_run = _load(io.StringIO(CATALOGUE))
    assert snippet.code == "a = 1\nprint(a)\n" and snippet.printed == "1"
    assert not_run == (("001", "w", "y"),)


def test_the_docs_example_is_the_catalogue_entry():
    docs = (pathlib.Path(__file__).parents[2] / "docs" / "architecture.md").read_text("utf-8")
    example = docs.split("```yaml\n", 1)[1].split("```", 1)[0]
    (snippet,), _ = _load(io.StringIO(f"fragments: {{}}\nsnippets:\n{example}not_run: []\n"))
    assert snippet == BY_KEY[snippet.key]


@pytest.mark.parametrize("written, malformed, names", [
    ("  printed:", "  prnted:", ["'prnted'", "'000-a'", "'printed'"]),  # did you mean
    ("seed: '000'", "seed: 000", ["'seed'", "'000-a'"]),  # YAML reads 000 as a number
    ("  code: |\n    {X}\n    print(a)\n", "", ["'code'", "'000-a'"]),
    ("{X}", "{Y}", ["{Y}", "'000-a'"]),
    ("  printed: '1'", "  adapt: [a, b]", ["'adapt'", "'000-a'"]),
    ("why: y", "because: y", ["'because'", "not_run entry 1"]),
])
def test_a_malformed_catalogue_names_the_snippet_and_key(written, malformed, names):
    with pytest.raises(ValueError) as error:
        check_catalogue(CATALOGUE.replace(written, malformed))
    assert all(name in str(error.value) for name in names), str(error.value)


@pytest.mark.parametrize("message, expected", [
    ("{{function_node __wrapped__X}} Received a label value of 3 [Op:Y] name: ",
     "ValueError: Received a label value of 3"),
    ("\n\nfirst line\nsecond", "ValueError: first line"),
    ("", "ValueError"),
    ("x" * 400, "ValueError: " + "x" * 227 + "…"),
])
def test_error_line(message, expected):
    assert error_line(ValueError(message)) == expected


@pytest.fixture(scope="module")
def tensorflow_run():
    """The catalogue run once in this process (TensorFlow), as the claims run it."""
    (name, run), = _in_process_runs()
    return name, run


def test_every_snippet_runs_on_tensorflow(tensorflow_run):
    name, run = tensorflow_run
    assert name == "tensorflow" and run["backend"] == "tensorflow"
    results = snippet_table.results_by_key(run)
    assert list(results) == [s.key for s in SNIPPETS]
    for snippet in SNIPPETS:
        result = results[snippet.key]
        verdict, why = snippet_table.verdict(snippet, result)
        assert verdict != "not checked", (snippet.key, why)
        assert not (result["why"] or "").startswith("the probe raised"), snippet.key
        if snippet.says:
            assert isinstance(result["holds"], bool), snippet.key


def test_adapted_snippets_report_the_error_as_written(tensorflow_run):
    """Keras 3 reads `y_true.shape` of the seed's Python list: the code as written raises,
    the adapted code runs, and the verdict says both."""
    result = snippet_table.results_by_key(tensorflow_run[1])["000-scce-sigmoid-softmax"]
    assert result["literal_error"].startswith("AttributeError")
    assert result["error"] is None and "[56.7]" in result["output"]
    verdict, why = snippet_table.verdict(BY_KEY["000-scce-sigmoid-softmax"], result)
    assert verdict == "differs" and why.startswith("as written it raises AttributeError")
