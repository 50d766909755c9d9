"""`environments:` in the config: entries resolved and checked at config time, the cells
they make, and their ids."""

from __future__ import annotations

import pytest

from runner.cli import main as cli
from runner.config import load_config, parse_config
from runner.errors import ConfigError
from runner.grid import expand, settings_hash

JAX_341 = {"keras": "3.4.1", "backend": "jax"}


def _config(doc, *environments):
    return parse_config({**doc, "environments": list(environments)})


def test_current_is_the_default_and_keeps_every_id(tiny_doc):
    plain, spelled = parse_config(tiny_doc), _config(tiny_doc, "current")
    assert [c.cell_id for c in expand(plain)] == [c.cell_id for c in expand(spelled)]
    assert "environments" not in plain.to_dict()  # config.yaml of older runs unchanged


def test_pinned_environments_make_cells_of_their_own(tiny_doc):
    config = _config(tiny_doc, "current", JAX_341, {"tensorflow": "2.12.1"})
    cells = expand(config)
    per_runtime = len(cells) // 3
    assert [r.label for r in config.runtimes] == ["tensorflow", "keras3.4.1-jax", "tf2.12.1"]
    jax, keras2 = cells[per_runtime], cells[2 * per_runtime]
    assert (jax.environment, jax.framework) == ("keras3.4.1-jax", "jax")
    assert (keras2.environment, keras2.framework) == ("tf2.12.1", "tf_keras")
    assert jax.name == "keras3.4.1-jax:" + cells[0].name
    assert jax.base_id == keras2.base_id == cells[0].cell_id  # matched across environments
    assert len({jax.cell_id, keras2.cell_id, cells[0].cell_id}) == 3


def test_a_backend_of_this_python_is_the_framework_axis(tiny_doc):
    tiny_doc["grid"]["framework"] = ["tensorflow", "jax"]
    axis = parse_config(tiny_doc)
    del tiny_doc["grid"]["framework"]
    spelled = _config(tiny_doc, "current", {"backend": "jax"})
    assert [c.cell_id for c in expand(axis)] == [c.cell_id for c in expand(spelled)]


def test_the_settings_hash_holds_the_releases(tiny_doc):
    implicit = _config(tiny_doc, {"keras": "3.4.1"})
    explicit = _config(tiny_doc, {"keras": "3.4.1", "tensorflow": "2.17.1"})
    other = _config(tiny_doc, {"keras": "3.4.1", "tensorflow": "2.16.2"})
    first = [expand(c)[0] for c in (implicit, explicit, other)]
    hashes = [settings_hash(c, cell, 42)
              for c, cell in zip((implicit, explicit, other), first, strict=True)]
    assert hashes[0] == hashes[1] != hashes[2]


def test_the_resolved_config_parses_back(tiny_doc):
    config = _config(tiny_doc, "current", {"keras": "3.4", "backend": "jax"},
                     {"tensorflow": "2.12"}, {"backend": "jax"})
    raw = config.to_dict()
    assert raw["environments"] == ["current", {"keras": "3.4.1", "backend": "jax"},
                                   {"tensorflow": "2.12.1"}, {"backend": "jax"}]
    assert parse_config(raw) == config


@pytest.mark.parametrize("environments, fragments", [
    ([{"keras": "3.0", "tensorflow": "2.21"}],
     ["'environments[0]'", "tensorflow >=2.21 needs keras >=3.12"]),
    ([{"keras": "3.99"}], ["'environments[0].keras'", "from 3.0.0 to", "Did you mean"]),
    ([{"keras": 3.1}], ["'environments[0].keras'", "quoted string"]),
    ([{"kears": "3.4.1"}], ["Unknown key 'environments[0].kears'", "Did you mean 'keras'?"]),
    ([{"keras": "3.4.1", "backend": "jaxx"}], ["'environments[0].backend'", "'jax'"]),
    (["current", "current"], ["'environments[1]'", "each environment once"]),
    ([JAX_341, {"keras": "3.4.1", "backend": "jax"}], ["each environment once"]),
    (["latest"], ["'environments[0]'", "'current' or a mapping"]),
    ([], ["'environments'", "non-empty list"]),
])
def test_bad_environments_stop_at_config_time(tiny_doc, environments, fragments):
    with pytest.raises(ConfigError) as caught:
        _config(tiny_doc, *environments) if environments else parse_config(
            {**tiny_doc, "environments": []})
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_the_framework_axis_needs_the_current_environment(tiny_doc):
    tiny_doc["grid"]["framework"] = ["jax"]
    with pytest.raises(ConfigError, match="without 'current' in `environments`"):
        _config(tiny_doc, JAX_341)


def test_end_to_end_training_stays_in_this_python(tiny_doc):
    tiny_doc["training"]["feature_cache"] = False
    with pytest.raises(ConfigError, match="only 'tensorflow' with end-to-end training"):
        _config(tiny_doc, "current", JAX_341)


def test_an_impossible_pair_exits_2_before_anything_is_built(write_config, tmp_path, capsys):
    path = write_config({"name": "x", "datasets": [{"name": "mnist"}]})
    code = cli.main(["grid", str(path), "--out", str(tmp_path / "out"), "--set",
                     'environments=[current, {keras: "3.0", tensorflow: "2.21"}]'])
    assert code == 2
    assert "tensorflow >=2.21 needs keras >=3.12" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_ready_releases_config_resolves():
    config = load_config("releases")
    labels = [r.label for r in config.runtimes]
    assert labels[:2] == ["tf2.12.1", "tf_keras2.21.0"] and "keras3.4.1-jax" in labels
    assert {"tensorflow", "jax"} <= set(labels)  # this Python's, on two backends
