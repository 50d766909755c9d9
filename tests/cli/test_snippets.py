"""`cheatgrid snippets`: its flags, and the files it writes (the runs faked: no subprocess)."""

from __future__ import annotations

import pytest

from runner.cli import main as cli
from runner.cli import readers as command
from runner.errors import UsageError
from runner.tutorial import snippet_table
from runner.tutorial.snippets import SNIPPETS


def test_default_is_every_installed_framework():
    names = command.frameworks(None)
    assert names[0] == "tensorflow" and set(names) <= {"tensorflow", "jax", "torch", "tf_keras"}


@pytest.mark.parametrize("text, message", [
    ("jx", "Expected names of .*Received: 'jx'. Did you mean 'jax'"),
    (",", "Received: ','"),
])
def test_bad_frameworks_say_what_was_expected(text, message):
    with pytest.raises(UsageError, match=message):
        command.frameworks(text)


def test_frameworks_keep_their_order_once():
    assert command.frameworks("tensorflow, tensorflow") == ["tensorflow"]


def test_writes_the_table_and_the_json(tmp_path, monkeypatch, capsys):
    def fake(names):
        return {name: {"framework": name, "keras_version": "3", "backend": name,
                       "results": [{"key": s.key, "output": s.printed or "", "error": None,
                                    "literal_error": None, "holds": True, "why": "w"}
                                   for s in SNIPPETS]} for name in names}
    monkeypatch.setattr(snippet_table, "run_frameworks", fake)
    out = tmp_path / "snippets.md"
    assert cli.main(["snippets", "--frameworks", "tensorflow", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").count("\n| 00") == len(SNIPPETS)
    assert snippet_table.load_runs(tmp_path / "snippets.json") == fake(["tensorflow"])
    assert f"{len(SNIPPETS)} snippets on 1 framework(s); 0 differ" in capsys.readouterr().out


def test_out_must_be_a_file_in_an_existing_directory(tmp_path, capsys):
    assert cli.main(["snippets", "--frameworks", "tensorflow", "--out",
                     str(tmp_path / "no" / "s.md")]) == 2
    assert "--out: Expected a file path in an existing directory" in capsys.readouterr().err
