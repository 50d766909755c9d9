"""Cells: counts with exclude/include, stable ids, names, units, training groups."""

from __future__ import annotations

import dataclasses
import pathlib
import subprocess
import sys
import warnings

import pytest

from runner.config import parse_config
from runner.errors import CheatgridWarning
from runner.grid import Cell, expand, find, training_groups, tutorial_units

INCLUDE_CELL = {"dataset": "mnist", "encoding": "onehot", "activation": "softmax",
                "loss": "sparse_categorical_crossentropy", "from_logits": False,
                "metric": "accuracy"}


@pytest.mark.parametrize("exclude, include, expected", [
    ([], [], 144),  # 2 encodings x 3 activations x 3 losses x 2 from_logits x 4 metrics
    ([{"encoding": "onehot", "loss": "sparse_categorical_crossentropy"}], [], 144 - 24),
    ([{"activation": ["sigmoid", "softmax"], "from_logits": True}], [], 144 - 48),
    ([{"encoding": "onehot", "loss": "sparse_categorical_crossentropy"},
      {"metric": "binary_accuracy"}], [], 144 - 24 - 30),  # the patterns overlap in 6 cells
    ([{"encoding": "onehot", "loss": "sparse_categorical_crossentropy"}], [INCLUDE_CELL], 121),
    ([], [{**INCLUDE_CELL, "units": 3}], 145),  # a different head: a new cell
])
def test_cell_counts(exclude, include, expected, tiny_doc):
    tiny_doc["exclude"], tiny_doc["include"] = exclude, include
    assert len(expand(parse_config(tiny_doc))) == expected


def test_counts_multiply_over_datasets(tiny_doc):
    tiny_doc["datasets"].append({"name": "mnist_binary"})
    tiny_doc["grid"]["metric"] = ["accuracy"]
    cells = expand(parse_config(tiny_doc))
    assert len(cells) == 2 * 36
    assert [c.dataset for c in cells[:36]] == ["mnist"] * 36  # dataset-major order


def test_exclude_matching_nothing_and_duplicate_include_warn(tiny_doc):
    tiny_doc["grid"]["loss"] = ["binary_crossentropy"]
    tiny_doc["exclude"] = [{"loss": "categorical_crossentropy"}]
    tiny_doc["include"] = [{**INCLUDE_CELL, "loss": "binary_crossentropy"}]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cells = expand(parse_config(tiny_doc))
    messages = [str(w.message) for w in caught if w.category is CheatgridWarning]
    assert len(cells) == 48
    assert any("exclude[0] matches no cell" in m for m in messages)
    assert any("include[0] is already in the grid" in m for m in messages)


# Literal ids: a change here breaks every stored results.jsonl and cell reference.
@pytest.mark.parametrize("cell, cell_id, name", [
    (Cell("mnist", "onehot", "softmax", "categorical_crossentropy", False,
          "categorical_accuracy", 10, 10), "3604847df432",
     "mnist/onehot/softmax/categorical_crossentropy/logits=false/categorical_accuracy"),
    (Cell("mnist_binary", "integer", "sigmoid", "binary_crossentropy", True,
          "binary_accuracy", 1, 2), "5572b2ca2e2e",
     "mnist_binary/integer/sigmoid/binary_crossentropy/logits=true/binary_accuracy"),
    (Cell("mnist_binary", "integer", "softmax", "binary_crossentropy", True,
          "binary_accuracy", 2, 2), "8948f80b24b8",
     "mnist_binary/integer/softmax/units=2/binary_crossentropy/logits=true/binary_accuracy"),
])
def test_cell_ids_and_names_are_stable(cell, cell_id, name):
    assert (cell.cell_id, cell.name) == (cell_id, name)


def test_cell_ids_do_not_depend_on_the_process():
    code = ("from runner.grid import Cell; print(Cell('mnist', 'onehot', 'softmax', "
            "'categorical_crossentropy', False, 'categorical_accuracy', 10, 10).cell_id)")
    env = {"PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout.strip()
    assert out == "3604847df432"


def test_ids_are_unique_within_a_grid(tiny_doc):
    tiny_doc["datasets"].append({"name": "mnist_binary"})
    cells = expand(parse_config(tiny_doc))
    assert len({c.cell_id for c in cells}) == len({c.name for c in cells}) == len(cells)


@pytest.mark.parametrize("num_classes, encoding, units", [
    (2, "integer", 1), (2, "onehot", 2), (10, "integer", 10), (10, "onehot", 10)])
def test_tutorial_units(num_classes, encoding, units):
    assert tutorial_units(num_classes, encoding) == units


def test_units_override_per_dataset(tiny_doc):
    tiny_doc["datasets"] = [{"name": "mnist_binary", "units": 2}]
    assert {c.units for c in expand(parse_config(tiny_doc))} == {2}


def test_training_groups_share_everything_but_the_metric(tiny_doc):
    groups = training_groups(expand(parse_config(tiny_doc)))
    assert len(groups) == 36
    for cells in groups.values():
        assert len(cells) == 4 and len({c.metric for c in cells}) == 4


def test_find_by_id_prefix_and_name(tiny_doc):
    cells = expand(parse_config(tiny_doc))
    target = cells[7]
    assert find(cells, target.cell_id) is target
    assert find(cells, target.cell_id[:8]) is target
    assert find(cells, target.name) is target
    assert find(cells, "nothing") is None


def test_overrides_set_effective_training_per_cell(tiny_doc):
    tiny_doc["overrides"] = [
        {"when": {"encoding": "integer"}, "set": {"training.epochs": 40}},
        {"when": {"encoding": "integer", "activation": "none"},
         "set": {"training.learning_rate": 0.01}},
        {"when": {"loss": "binary_crossentropy"}, "set": {"training.epochs": 7}}]
    cells = expand(parse_config(tiny_doc))
    by_name = {c.name: c.training for c in cells}
    sparse = "mnist/integer/{}/sparse_categorical_crossentropy/logits=true/accuracy"
    assert by_name[sparse.format("sigmoid")].epochs == 40
    assert by_name[sparse.format("none")].learning_rate == 0.01
    assert by_name[sparse.format("none")].epochs == 40
    # later entries win
    assert by_name["mnist/integer/none/binary_crossentropy/logits=true/accuracy"].epochs == 7
    assert by_name["mnist/onehot/none/categorical_crossentropy/logits=true/accuracy"].epochs == 2


def test_override_matching_nothing_warns(tiny_doc):
    tiny_doc["grid"]["encoding"] = ["onehot"]
    tiny_doc["overrides"] = [{"when": {"encoding": "integer"}, "set": {"training.epochs": 40}}]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        expand(parse_config(tiny_doc))
    assert any("overrides[0] matches no cell" in str(w.message) for w in caught)


def test_training_settings_split_groups_but_not_ids(tiny_doc):
    tiny_doc["overrides"] = [{"when": {"metric": "accuracy"}, "set": {"training.epochs": 5}}]
    cells = expand(parse_config(tiny_doc))
    assert len(training_groups(cells)) == 72  # 'accuracy' cells now train on their own
    plain = {c.cell_id for c in expand(parse_config({**tiny_doc, "overrides": []}))}
    assert {c.cell_id for c in cells} == plain


def test_each_dataset_takes_the_encodings_of_its_labels(tiny_doc):
    tiny_doc["datasets"].append({"name": "mnist_multilabel"})
    tiny_doc["grid"]["encoding"] = ["integer", "onehot", "multihot"]
    cells = expand(parse_config(tiny_doc))
    encodings = {name: {c.encoding for c in cells if c.dataset == name}
                 for name in ("mnist", "mnist_multilabel")}
    assert encodings == {"mnist": {"integer", "onehot"}, "mnist_multilabel": {"multihot"}}
    assert len(cells) == 144 + 72  # mnist: 2 encodings x 72; mnist_multilabel: 1 x 72
    multihot = [c for c in cells if c.encoding == "multihot"]
    assert {(c.units, c.num_classes) for c in multihot} == {(10, 10)}
    assert multihot[0].name == ("mnist_multilabel/multihot/none/binary_crossentropy/"
                                "logits=true/accuracy")  # units=10 is the rule: not named


# The committed sample runs and every resume are keyed by these: a new axis or config key
# must leave them as they are for the configs that do not use it. (Computed before the
# backbone, label_smoothing, dataset-source and metric additions; any change is a break.)
@pytest.mark.parametrize("path, name, cell_id, head_id, settings", [
    ("configs/default.yaml", "horses_or_humans/integer/none/binary_crossentropy/logits=true/"
     "accuracy", "c8777f199e91", "19783b93d1b9", "dc4d85050fbc"),
    ("configs/default.yaml", "mnist/integer/sigmoid/categorical_crossentropy/logits=false/"
     "accuracy", "e1b1d5b2c631", "eefbf337cce7", "d24bc5392b3b"),
    ("configs/default.yaml", "mnist_multilabel/multihot/softmax/sparse_categorical_crossentropy/"
     "logits=false/sparse_categorical_accuracy", "598540f40c37", "489e6be46914",
     "2085dd859447"),
    ("configs/frameworks.yaml", "torch:horses_or_humans/integer/none/binary_crossentropy/"
     "logits=true/accuracy", "3e669833ff28", "5c315bad87a8", "bd3467b3a8c5"),
])
def test_ids_and_settings_hashes_of_the_committed_configs_are_pinned(path, name, cell_id,
                                                                     head_id, settings):
    from runner.config import load_config
    from runner.grid import settings_hash

    config = load_config(pathlib.Path(__file__).resolve().parents[1] / path)
    cell = find(expand(config), name)
    assert (cell.cell_id, cell.head_id, settings_hash(config, cell, 42)) == (
        cell_id, head_id, settings)


@pytest.mark.parametrize("path, cells, digest", [
    ("configs/default.yaml", 360, "3774189d7b7beec8"),
    ("configs/frameworks.yaml", 1152, "f2b333d8c0e67e47"),
    ("configs/smoke.yaml", 120, "bb874dd528cfb626"),
])
def test_every_id_of_the_committed_configs_is_pinned(path, cells, digest):
    import hashlib

    from runner.config import load_config
    from runner.grid import settings_hash

    config = load_config(pathlib.Path(__file__).resolve().parents[1] / path)
    grid = expand(config)
    ids = "".join(c.cell_id + c.head_id + settings_hash(config, c, s) for c in grid
                  for s in c.training.seeds)
    assert (len(grid), hashlib.sha256(ids.encode()).hexdigest()[:16]) == (cells, digest)


def test_backbones_and_label_smoothing_are_axes(tiny_doc):
    del tiny_doc["backbone"]["name"]
    tiny_doc["grid"].update(backbone=["vgg16", "mobilenet_v2"], label_smoothing=[0.0, 0.1],
                            metric=["accuracy"])
    tiny_doc["exclude"] = [{"backbone": "mobilenet_v2", "label_smoothing": 0.1}]
    tiny_doc["include"] = [{**INCLUDE_CELL, "backbone": "mobilenet_v2",
                            "label_smoothing": 0.2}]
    cells = expand(parse_config(tiny_doc))
    assert len(cells) == 36 * 2 + 36 + 1
    assert len({c.cell_id for c in cells}) == len(cells)
    names = {c.name for c in cells}
    assert "mnist@mobilenet_v2/onehot/softmax/sparse_categorical_crossentropy/logits=false/" \
           "label_smoothing=0.2/accuracy" in names
    plain = "mnist/integer/none/binary_crossentropy/logits=true/accuracy"
    assert plain in names and f"{plain[:-9]}/label_smoothing=0.1/accuracy" in names
    # the defaults stay out of a cell's identity: VGG16 without smoothing keeps its id
    vgg = find(cells, plain)
    assert "backbone" not in vgg.params and "label_smoothing" not in vgg.params
    assert vgg.cell_id == Cell("mnist", "integer", "none", "binary_crossentropy", True,
                               "accuracy", 10, 10).cell_id
    other = find(cells, "mnist@mobilenet_v2/" + plain.split("/", 1)[1])
    assert other.params["backbone"] == "mobilenet_v2" and other.together_key != \
        vgg.together_key  # other features: never one model
    assert len(training_groups(cells)) == len(cells)  # one metric: a head per cell


def test_a_changed_new_key_changes_the_settings_hash_an_unchanged_one_does_not(tiny_doc):
    from runner.grid import settings_hash

    config = parse_config(tiny_doc)
    cell = expand(config)[0]
    tiny_doc["backbone"]["preprocessing"] = "tutorial"  # vgg16's own: still a new value
    changed = parse_config(tiny_doc)
    assert settings_hash(config, cell, 42) != settings_hash(changed, cell, 42)
    assert config.to_dict()["backbone"] == {"name": "vgg16", "weights": "random",
                                            "input_size": 32, "weights_seed": 0,
                                            "trainable": False}
    assert parse_config(changed.to_dict()) == changed  # config.yaml parses back


def test_bfloat16_is_part_of_the_settings_hash():
    from runner.config import load_config
    from runner.grid import settings_hash

    config = load_config(pathlib.Path(__file__).resolve().parents[1] / "configs/default.yaml")
    cell = expand(config)[0]
    bf16 = dataclasses.replace(config, backbone=dataclasses.replace(config.backbone,
                                                                    precision="bfloat16"))
    assert settings_hash(bf16, cell, 42) != settings_hash(config, cell, 42)
