"""Comparing a snippet's output with what the seed printed; the frameworks' runs; snippets.md."""

from __future__ import annotations

import json

import pytest

from runner.tutorial import snippet_markdown, snippet_table
from runner.tutorial.snippets import BY_KEY, SNIPPETS, Snippet

PRINTED = Snippet("000-x", "000", "a loss", "print(1)", printed="loss: [56.7]\nsum: 2.5")


def _result(output="", error=None, literal_error=None, holds=None, why=None, key="000-x"):
    return {"key": key, "output": output, "error": error, "literal_error": literal_error,
            "warnings": [], "holds": holds, "why": why}


@pytest.mark.parametrize("output, error, same, why", [
    ("loss:  [56.700005]\nsum:  2.5\n", None, True, ""),  # float32 digits, spacing
    ("loss: [11.5]\nsum: 2.5", None, False, "prints 11.5 where the seed printed 56.7"),
    ("loss: [[56.7]]\nsum: 2.5", None, False, "the same numbers, in another shape"),
    ("loss: [56.7]", None, False, "prints nothing where the seed printed 2.5"),
    ("", "TypeError: no", False, "raises TypeError: no"),
])
def test_compare(output, error, same, why):
    got_same, got_why = snippet_table.compare(PRINTED, _result(output, error))
    assert got_same is same and got_why.startswith(why)


def test_compare_errors_by_type_and_the_tail_of_an_output():
    seed_error = Snippet("002-x", "002", "c", "", printed="ValueError: Invalid argument")
    assert snippet_table.compare(seed_error, _result(error="ValueError: Invalid argument"))[0]
    same, why = snippet_table.compare(seed_error, _result(error="TypeError: unexpected"))
    assert not same and why == "raises TypeError: unexpected where the seed shows ValueError"
    tail = Snippet("001-x", "001", "t", "", printed="[ 0. 1. 20.]]", printed_tail=True)
    assert snippet_table.compare(tail, _result("y: [[-20. -1. 4.5]\n [ 0. 1. 20.]]"))[0]


def test_verdicts_of_statements_and_adapted_code():
    statement = Snippet("003-x", "003", "s", "", says="it holds", probe="holds = True")
    assert snippet_table.verdict(statement, _result(holds=True, why="yes")) == ("holds", "yes")
    assert snippet_table.verdict(statement, _result(holds=False, why="no"))[0] == \
        "does not hold"
    assert snippet_table.verdict(statement, _result(why="the probe raised X"))[0] == \
        "not checked"
    assert snippet_table.verdict(statement, {"failed": "exit 1"}) == ("not checked", "exit 1")
    adapted = _result("loss: [56.7]\nsum: 2.5", literal_error="AttributeError: list")
    assert snippet_table.verdict(PRINTED, adapted) == (
        "differs", "as written it raises AttributeError: list; adapted, it reproduces")


def _runs(outputs):
    """Runs of hand-made results: framework -> {key: output} for the real catalogue."""
    return {name: {"framework": name, "keras_version": "3", "backend": name, "results": [
        _result(text, key=key, holds=True if BY_KEY[key].says else None, why="w")
        for key, text in by_key.items()]} for name, by_key in outputs.items()}


def test_differs_between_frameworks():
    key = SNIPPETS[0].key
    same = _runs({"tensorflow": {key: "93 15"}, "jax": {key: "93  15\n"}})
    assert not snippet_table.differs_between(SNIPPETS[0], same)
    other = _runs({"tensorflow": {key: "93 15"}, "jax": {key: "93 16"}})
    assert snippet_table.differs_between(SNIPPETS[0], other)
    assert not snippet_table.differs_between(SNIPPETS[0], _runs({"tensorflow": {key: "1"}}))


def test_markdown_has_a_row_per_snippet_and_lists_what_differs(tmp_path):
    outputs = {s.key: (s.printed or "") for s in SNIPPETS}
    runs = _runs({"tensorflow": outputs, "jax": {**outputs, SNIPPETS[1].key: "0"}})
    runs["torch"] = {"framework": "torch", "failed": "exit 1: no torch"}
    text = snippet_markdown.snippets_markdown(runs)
    rows = [line for line in text.splitlines() if line.startswith("| 00")]
    assert len(rows) == len(SNIPPETS)
    assert "| seed | snippet | the seed | tensorflow | jax | torch | verdict |" in text
    assert "torch: did not run (exit 1: no torch)" in text
    assert f"- `{SNIPPETS[1].key}` (seed {SNIPPETS[1].seed}): **reproduces** on tensorflow" \
        in text
    assert "Not run (the rest of the seeds' code and statements):" in text
    snippet_table.write_json(runs, tmp_path / "snippets.json")
    assert snippet_table.load_runs(tmp_path / "snippets.json") == runs
    (tmp_path / "bad.json").write_text(json.dumps([1]), encoding="utf-8")
    with pytest.raises(ValueError, match="Expected a snippets.json"):
        snippet_table.load_runs(tmp_path / "bad.json")


@pytest.mark.slow
def test_every_framework_runs_the_catalogue_in_its_own_process():
    from runner.cli.readers import frameworks

    names = frameworks(None)
    runs = snippet_table.run_frameworks(names)
    for name in names:
        run = runs[name]
        assert run["framework"] == name and "failed" not in run, run.get("failed")
        results = snippet_table.results_by_key(run)
        assert list(results) == [s.key for s in SNIPPETS]
        for snippet in SNIPPETS:
            verdict, why = snippet_table.verdict(snippet, results[snippet.key])
            assert verdict != "not checked", (name, snippet.key, why)
    if {"tensorflow", "jax"} <= set(names):
        # Keras on TensorFlow takes the logits behind a softmax output; on JAX it does not
        assert snippet_table.differs_between(BY_KEY["000-cce-bce-onehot"], runs)
