"""The ready configs ship inside the package: found by name from any folder, listed with a
line each, and the top-level configs/ of a checkout is the same folder."""

from __future__ import annotations

import pathlib
import re

import pytest

from runner.cli import main as cli
from runner.config import load_config
from runner.config.ready import find_config, ready_configs, summary
from runner.errors import ConfigError

CHECKOUT = pathlib.Path(__file__).resolve().parents[2]


def test_the_checkouts_configs_are_the_packages():
    ready = ready_configs()
    assert {"default", "smoke", "frameworks"} <= set(ready)
    assert {path.parent.resolve() for path in ready.values()} == {(CHECKOUT / "configs").resolve()}


@pytest.mark.parametrize("path", ready_configs().values(), ids=lambda p: p.stem)
def test_every_ready_config_has_a_one_line_summary(path):
    assert 20 <= len(summary(path)) <= 130


@pytest.mark.parametrize("given, local, expected", [
    ("smoke", (), "ready"),
    ("smoke.yaml", (), "ready"),
    ("smoke.yaml", ("smoke.yaml",), "local"),  # a file of the working directory comes first
    ("smoke", ("smoke",), "local"),
    ("smoke", ("smoke/",), "ready"),            # a folder is not a config
    ("mine.yaml", ("mine.yaml",), "local"),
])
def test_a_config_is_a_file_else_a_ready_name(tmp_path, monkeypatch, given, local, expected):
    monkeypatch.chdir(tmp_path)
    for name in local:
        (tmp_path / name).mkdir() if name.endswith("/") else (tmp_path / name).touch()
    found = find_config(given)
    assert found == (ready_configs()["smoke"] if expected == "ready" else pathlib.Path(given))


@pytest.mark.parametrize("given, message", [
    ("smok", "smok: No such config file, nor a ready config's name (`cheatgrid configs` lists "
             "them). Did you mean 'smoke'?"),
    ("configs/smoke.yaml", "configs/smoke.yaml: No such config file. The ready config 'smoke' is "
                           "found by its name alone: 'smoke'."),
    ("nothing_like_it", "nothing_like_it: No such config file, nor a ready config's name "
                        "(`cheatgrid configs` lists them)."),
])
def test_a_missing_config_names_the_ready_one_it_may_mean(tmp_path, monkeypatch, given, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        load_config(given)


def test_a_ready_config_loads_by_name_under_its_own_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config("smoke", ("training.epochs=1",))
    assert (config.name, config.training.epochs) == ("smoke", 1)
    with pytest.raises(ConfigError, match=r"^smoke \(with --set\): Unknown key"):
        load_config("smoke", ("training.epoch=1",))


def test_cheatgrid_configs_lists_them_and_prints_one(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["configs"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(ready_configs())
    smoke = next(line for line in lines if line.startswith("smoke "))
    assert smoke.endswith(summary(ready_configs()["smoke"]))
    assert cli.main(["configs", "smoke"]) == 0
    assert capsys.readouterr().out == ready_configs()["smoke"].read_text(encoding="utf-8")
    (tmp_path / "mine.yaml").touch()
    assert cli.main(["configs", "mine.yaml"]) == 2
    assert "configs: Expected the name of a ready config" in capsys.readouterr().err
