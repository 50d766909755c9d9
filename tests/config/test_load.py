"""Config loading: valid documents parse; every bad input is one clear message, exit 2."""

from __future__ import annotations

import dataclasses

import pytest

from runner.cli import main as cli
from runner.config import ResourcesConfig, load_config, parse_config, quick
from runner.config.ready import ready_configs
from runner.errors import ConfigError


def _set(doc: dict, dotted: str, value) -> dict:
    *parents, leaf = dotted.split(".")
    node = doc
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    node[leaf] = value
    return doc


def _delete(doc: dict, dotted: str) -> dict:
    *parents, leaf = dotted.split(".")
    node = doc
    for key in parents:
        node = node[key]
    del node[leaf]
    return doc


# (change to the tiny config, fragments the one-line message must contain)
BAD_DOCUMENTS = [
    (lambda d: _set(d, "trainig", {}), ["Unknown key 'trainig'", "Did you mean 'training'?"]),
    (lambda d: _set(d, "training.epoch", 3),
     ["Unknown key 'training.epoch'", "Did you mean 'epochs'?"]),
    (lambda d: _set(d, "training.epochs", 0),
     ["Invalid value for 'training.epochs'", "Expected an integer from 1", "Received: epochs=0"]),
    (lambda d: _set(d, "training.epochs", "ten"), ["'training.epochs'", "Received: epochs='ten'"]),
    (lambda d: _set(d, "training.epochs", True), ["'training.epochs'", "Received: epochs=True"]),
    (lambda d: _set(d, "training.epochs", 10**12), ["'training.epochs'", "Expected an integer"]),
    (lambda d: _set(d, "training.batch_size", -1), ["'training.batch_size'", "batch_size=-1"]),
    (lambda d: _set(d, "training.learning_rate", 0), ["'training.learning_rate'", "positive"]),
    (lambda d: _set(d, "training.learning_rate", float("nan")), ["'training.learning_rate'"]),
    (lambda d: _set(d, "datasets.0.max_train_samples", 0),
     ["'datasets[0].max_train_samples'", "max_train_samples=0"]),
    (lambda d: _set(d, "datasets.0.max_test_samples", -5), ["'datasets[0].max_test_samples'"]),
    (lambda d: _set(d, "datasets.0.name", "cifar10"),
     ["'datasets[0].name'", "Expected a catalogued dataset ['mnist', 'horses_or_humans', "
      "'mnist_binary', 'mnist_multilabel', 'voc2007']", "name='cifar10'"]),
    (lambda d: _set(d, "datasets.0.name", "mnsit"), ["Did you mean 'mnist'?"]),
    (lambda d: _set(d, "datasets.0.source", "gcs"), ["'datasets[0].source'", "source='gcs'"]),
    (lambda d: _set(d, "datasets", [{"name": "mnist_binary", "source": "tfds"}]),
     ["'datasets[0].source'", "Expected one of ['embedded']"]),
    (lambda d: _set(d, "datasets", [{"name": "horses_or_humans", "source": "embedded"}]),
     ["'datasets[0].source'", "Expected one of ['auto', 'tfds']"]),
    (lambda d: _set(d, "datasets", [{"name": "horses_or_humans", "classes": [0, 1]}]),
     ["'datasets[0].classes'", "only MNIST-digit datasets"]),
    (lambda d: _set(d, "datasets.0.split", {"train": "train[:10%]"}),
     ["Missing required key 'datasets[0].split.test'"]),
    (lambda d: _set(d, "datasets.0.split", {"train": "train", "tset": "test"}),
     ["Unknown key 'datasets[0].split.tset'", "Did you mean 'test'?"]),
    (lambda d: _set(d, "datasets.0.data_dir", 3), ["'datasets[0].data_dir'", "a non-empty string"]),
    (lambda d: _set(d, "training.shuffle", "yes please"), ["'training.shuffle'", "true or false"]),
    (lambda d: _set(d, "training.drop_remainder", "always"),
     ["'training.drop_remainder'", "true, false or 'tutorial'"]),
    (lambda d: _set(d, "training.seeds", [1, 2]), ["'training.seed'", "not both"]),
    (lambda d: _set(_delete(d, "training.seed"), "training.seeds", []),
     ["'training.seeds'", "non-empty list"]),
    (lambda d: _set(d, "overrides", [{"when": {"encoding": "integer"}}]),
     ["Missing required key 'overrides[0].set'"]),
    (lambda d: _set(d, "overrides", [{"when": {"encoding": "integr"}, "set": {}}]),
     ["'overrides[0].when.encoding[0]'", "Did you mean 'integer'?"]),
    (lambda d: _set(d, "overrides", [{"when": {"encoding": "integer"},
                                      "set": {"training.epoch": 40}}]),
     ["Unknown key 'overrides[0].set.training.epoch'", "Did you mean 'training.epochs'?"]),
    (lambda d: _set(d, "overrides", [{"when": {"encoding": "integer"},
                                      "set": {"training.epochs": 0}}]),
     ["'overrides[0].set.training.epochs'", "Received: epochs=0"]),
    (lambda d: _set(d, "overrides", [{"when": {"encoding": "integer"}, "set": {}}]),
     ["'overrides[0].set'", "at least one of"]),
    (lambda d: _set(d, "datasets.0.classes", [4, 12]),
     ["'datasets[0].classes'", "MNIST digits from 0 to 9"]),
    (lambda d: _set(d, "datasets", [{"name": "mnist_binary", "classes": [1, 2, 3]}]),
     ["'datasets[0].classes'", "exactly 2 distinct digits"]),
    (lambda d: _set(d, "datasets.0.colour", "red"),
     ["Unknown key 'datasets[0].colour'", "Received: 'colour'"]),
    (lambda d: _set(d, "datasets", []), ["'datasets'", "non-empty list"]),
    (lambda d: _delete(d, "datasets"), ["Missing required key 'datasets'"]),
    (lambda d: _set(d, "datasets", [{"name": "mnist"}, {"name": "mnist", "units": 3}]),
     ["'datasets'", "each dataset name at most once"]),
    (lambda d: _set(d, "grid.loss", ["bce"]),
     ["Invalid value for 'grid.loss[0]'", "Expected one of ['binary_crossentropy'",
      "Received: loss[0]='bce'"]),
    (lambda d: _set(d, "grid.loss", ["categorical_crossentropyy"]),
     ["Did you mean 'categorical_crossentropy'?"]),
    (lambda d: _set(d, "grid.metric", []), ["'grid.metric'", "non-empty list"]),
    (lambda d: _set(d, "grid.metric", "accuracy"), ["'grid.metric'", "non-empty list"]),
    (lambda d: _set(d, "grid.metric", ["accuracy", "accuracy"]), ["without duplicates"]),
    (lambda d: _set(d, "grid.metric", ["binary_acuracy"]), ["Did you mean 'binary_accuracy'?"]),
    (lambda d: _set(d, "grid.activation", ["elu"]), ["'grid.activation[0]'", "'elu'"]),
    (lambda d: _set(d, "grid.encoding", ["one_hot"]), ["Did you mean 'onehot'?"]),
    (lambda d: _set(d, "grid.from_logits", ["maybe"]),
     ["'grid.from_logits[0]'", "Expected true or false"]),
    (lambda d: _set(d, "grid.lossses", ["bce"]), ["Unknown key 'grid.lossses'",
                                                  "Did you mean 'loss'?"]),
    (lambda d: _set(d, "backbone.weights", "imagenett"), ["'backbone.weights'",
                                                          "Did you mean 'imagenet'?"]),
    (lambda d: _set(d, "backbone.input_size", 16), ["'backbone.input_size'", "from 32"]),
    (lambda d: _set(d, "backbone.name", "mobilenetv2"), ["'backbone.name'", "'vgg16', ",
                                                         "Did you mean 'mobilenet_v2'?"]),
    (lambda d: _set(d, "backbone.name", "inception_v3"),
     ["'backbone.input_size'", "at least 75", "InceptionV3 (backbone.name)", "input_size=32"]),
    (lambda d: _set(_delete(d, "backbone.name"), "grid.backbone", ["vgg16", "xception"]),
     ["'backbone.input_size'", "at least 71", "Xception (grid.backbone[1])"]),
    (lambda d: _set(d, "grid.backbone", ["mobilenet_v2"]),
     ["'backbone.name'", "either 'backbone.name' (one backbone) or 'grid.backbone'"]),
    (lambda d: _set(d, "grid.label_smoothing", [0.0, 1.0]),
     ["'grid.label_smoothing[1]'", "up to (not including) 1"]),
    (lambda d: _set(d, "grid.metric", ["not_a_metric"]),
     ["'grid.metric[0]'", "another Keras metric", "Keras says: Could not interpret"]),
    (lambda d: _set(d, "datasets", [{"name": "mine", "source": "folder"}]),
     ["'datasets[0].path'", "the directory of `source: folder`"]),
    (lambda d: _set(d, "datasets", [{"name": "mnist", "path": "x"}]),
     ["'datasets[0].path'", "no 'path' for the catalogued dataset 'mnist'"]),
    (lambda d: _set(d, "datasets", [{"name": "mine", "source": "npz",
                                     "path": "/nonexistent.npz"}]),
     ["'datasets[0].path'", "an existing .npz file"]),
    (lambda d: _set(d, "resources", {"gpu_per_task": 1}),
     ["Unknown key 'resources.gpu_per_task'", "Did you mean 'gpus_per_task'?"]),
    (lambda d: _set(d, "resources", {"gpus_per_task": 1.5}),
     ["'resources.gpus_per_task'", "a whole number of GPUs", "Received: gpus_per_task=1.5"]),
    (lambda d: _set(d, "resources", {"cpus_per_task": 0}),
     ["'resources.cpus_per_task'", "a share of one CPU up to 1", "cpus_per_task=0"]),
    (lambda d: _set(d, "resources", {"gpus_per_task": -1}), ["'resources.gpus_per_task'"]),
    (lambda d: _set(d, "resources", {"node_wait_seconds": -1}),
     ["'resources.node_wait_seconds'", "a number of seconds from 0", "node_wait_seconds=-1"]),
    (lambda d: _set(d, "name", "../escape"), ["'name'", "names the run directory"]),
    (lambda d: _set(d, "exclude", [{"los": "binary_crossentropy"}]),
     ["Unknown key 'exclude[0].los'", "Did you mean 'loss'?"]),
    (lambda d: _set(d, "exclude", [{"loss": "bce"}]), ["'exclude[0].loss[0]'"]),
    (lambda d: _set(d, "exclude", [{}]), ["'exclude[0]'", "at least one axis value"]),
    (lambda d: _set(d, "exclude", {"loss": "binary_crossentropy"}), ["'exclude'", "a list"]),
    (lambda d: _set(d, "include", [{"dataset": "mnist", "encoding": "integer"}]),
     ["Missing required key 'include[0].activation'"]),
    (lambda d: _set(d, "include", [{"dataset": "mnist_binary", "encoding": "integer",
                                    "activation": "softmax", "loss": "binary_crossentropy",
                                    "from_logits": False, "metric": "accuracy"}]),
     ["'include[0].dataset'", "Expected one of ['mnist']"]),
    # encodings apply to one kind of labels: a dataset must get one of its kind
    (lambda d: _set(d, "grid.encoding", ["multihot"]),
     ["Invalid value for 'grid.encoding'", "at least one encoding for datasets[0] 'mnist'",
      "single-label data: one of ['integer', 'onehot']", "Received: encoding=['multihot']"]),
    (lambda d: _set(d, "datasets", [{"name": "mnist_multilabel"}]),
     ["'grid.encoding'", "datasets[0] 'mnist_multilabel' (multi-label data: one of "
      "['multihot'])", "Received: encoding=['integer', 'onehot']"]),
    (lambda d: _set(_set(d, "grid.encoding", ["onehot", "multihot"]), "include", [
        {"dataset": "mnist", "encoding": "multihot", "activation": "sigmoid",
         "loss": "binary_crossentropy", "from_logits": False, "metric": "binary_accuracy"}]),
     ["'include[0].encoding'", "one of ['integer', 'onehot'] for dataset 'mnist'",
      "Received: encoding='multihot'"]),
    (lambda d: _set(d, "grid.encoding", ["multi_hot"]), ["Did you mean 'multihot'?"]),
    (lambda d: _set(d, "datasets", [{"name": "voc2007", "source": "auto"}]),
     ["'datasets[0].source'", "Expected one of ['tfds']", "Received: source='auto'",
      "'voc2007' has 20 labels and its offline stand-in 'mnist_multilabel' 10",
      "use `name: mnist_multilabel` offline"]),
    (lambda d: _set(d, "datasets", [{"name": "mnist_multilabel", "source": "tfds"}]),
     ["'datasets[0].source'", "Expected one of ['embedded']"]),
    (lambda d: _set(d, "datasets", [{"name": "voc2007", "classes": [0, 1]}]),
     ["'datasets[0].classes'", "only MNIST-digit datasets"]),
    (lambda d: _set(d, "datasets", [{"name": "mnist_multilabel", "classes": [3]}]),
     ["'datasets[0].classes'", "at least 2 digits"]),
]


@pytest.mark.parametrize("change, fragments", BAD_DOCUMENTS)
def test_bad_document_exits_2_with_one_clear_message(change, fragments, tiny_doc, write_config,
                                                      tmp_path, capsys):
    path = write_config(change(tiny_doc))
    out_dir = tmp_path / "out"
    code = cli.main(["grid", str(path), "--out", str(out_dir)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"cheatgrid: error: {path}: ")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    for fragment in fragments:
        assert fragment in err
    assert not out_dir.exists(), "a config error must write nothing"


BAD_FILES = [
    ("training: {epochs: 3\n", ["YAML syntax error at line"]),
    ("- mnist\n- mnist_binary\n", ["Expected a mapping", "Received: a list"]),
    ("just a string\n", ["Expected a mapping", "Received: a str"]),
    ("", ["Expected a mapping", "Received: an empty file"]),
    ("\x00\x01binary", ["cheatgrid: error:"]),
]


@pytest.mark.parametrize("text, fragments", BAD_FILES)
def test_bad_file_exits_2(text, fragments, write_config, capsys):
    path = write_config(text)
    assert cli.main(["grid", str(path), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err


def test_missing_file_exits_2(tmp_path, capsys):
    assert cli.main(["grid", str(tmp_path / "nope.yaml")]) == 2
    assert "No such config file" in capsys.readouterr().err


def test_valid_document_parses_with_aliases_and_defaults(tiny_doc):
    tiny_doc["grid"]["loss"] = ["BinaryCrossentropy", "sparse_categorical_crossentropy"]
    tiny_doc["grid"]["metric"] = ["SparseCategoricalAccuracy"]
    tiny_doc["grid"]["activation"] = ["linear", "softmax"]
    del tiny_doc["training"]["seed"]
    config = parse_config(tiny_doc)
    assert config.training.seeds == (42,)
    assert config.grid.loss == ("binary_crossentropy", "sparse_categorical_crossentropy")
    assert config.grid.metric == ("sparse_categorical_accuracy",)
    assert config.grid.activation == ("none", "softmax")
    assert config.datasets[0].num_classes == 10


def test_omitted_grid_axes_take_every_value(tiny_doc):
    del tiny_doc["grid"]
    config = parse_config(tiny_doc)
    assert config.grid.from_logits == (True, False)
    assert len(config.grid.metric) == 4


def test_name_defaults_to_file_stem(tiny_doc, write_config):
    del tiny_doc["name"]
    assert load_config(write_config(tiny_doc, "my_grid.yaml")).name == "my_grid"


def test_quick_caps_epochs_and_samples(tiny_doc):
    tiny_doc["training"]["epochs"] = 40
    tiny_doc["datasets"].append({"name": "mnist_binary"})
    config = quick(parse_config(tiny_doc))
    assert config.training.epochs == 2
    assert [(d.max_train_samples, d.max_test_samples) for d in config.datasets] == [
        (256, 128), (512, 256)]


def test_resolved_config_round_trips(tiny_doc):
    config = parse_config(tiny_doc)
    again = parse_config(config.to_dict())
    assert dataclasses.replace(again, source_path=None) == config


def test_resources_parse_and_round_trip(tiny_doc):
    assert parse_config(tiny_doc).resources == ResourcesConfig(gpus_per_task=0, cpus_per_task=1,
                                                               node_wait_seconds=60)
    tiny_doc["resources"] = {"gpus_per_task": 0.5, "cpus_per_task": 2, "node_wait_seconds": 0}
    config = parse_config(tiny_doc)
    assert config.resources == ResourcesConfig(gpus_per_task=0.5, cpus_per_task=2,
                                               node_wait_seconds=0)
    assert dataclasses.replace(parse_config(config.to_dict()), source_path=None) == config


def test_config_error_is_a_value_error():
    with pytest.raises(ValueError) as caught:
        parse_config({"datasets": [{"name": "mnist"}], "grid": {"loss": ["poisson"]}})
    assert isinstance(caught.value, ConfigError)


def test_tfds_settings_and_batching_modes(tiny_doc):
    tiny_doc["datasets"] = [
        {"name": "mnist", "source": "tfds", "split": {"train": "train[:5%]", "test": "test"},
         "data_dir": "/data/tfds"},
        {"name": "horses_or_humans"}]
    tiny_doc["training"].update(shuffle=True, drop_remainder=False)
    config = parse_config(tiny_doc)
    mnist, horses = config.datasets
    assert (mnist.source, mnist.splits, mnist.data_dir) == ("tfds", ("train[:5%]", "test"),
                                                            "/data/tfds")
    assert (horses.source, horses.splits) == ("auto", ("train", "test"))
    assert config.training.shuffle is True
    assert not config.training.drops_remainder("integer")


@pytest.mark.parametrize("drop_remainder, integer, onehot", [
    ("tutorial", True, False), (True, True, True), (False, False, False)])
def test_drop_remainder_modes(drop_remainder, integer, onehot, tiny_doc):
    tiny_doc["training"]["drop_remainder"] = drop_remainder
    training = parse_config(tiny_doc).training
    assert (training.drops_remainder("integer"), training.drops_remainder("onehot")) == (
        integer, onehot)


def test_default_source_is_the_datasets_first(tiny_doc):
    tiny_doc["datasets"] = [{"name": "mnist"}, {"name": "mnist_binary"},
                            {"name": "horses_or_humans"}, {"name": "mnist_multilabel"},
                            {"name": "voc2007"}]
    tiny_doc["grid"]["encoding"].append("multihot")
    assert [d.source for d in parse_config(tiny_doc).datasets] == [
        "embedded", "embedded", "auto", "embedded", "tfds"]


def test_multi_label_datasets_take_multihot_and_select_digits(tiny_doc):
    tiny_doc["datasets"] = [{"name": "mnist_multilabel", "classes": [3, 7, 1]}]
    tiny_doc["grid"]["encoding"] = ["multihot"]
    [dataset] = parse_config(tiny_doc).datasets
    assert dataset.spec.multi_label and dataset.num_classes == 3
    assert dataset.encodings == ("multihot",)


def test_seeds_list(tiny_doc):
    del tiny_doc["training"]["seed"]
    tiny_doc["training"]["seeds"] = [1, 2, 3]
    assert parse_config(tiny_doc).training.seeds == (1, 2, 3)


def test_overrides_parse_and_round_trip(tiny_doc):
    tiny_doc["overrides"] = [
        {"when": {"encoding": "integer"}, "set": {"training.epochs": 40}},
        {"when": {"encoding": "onehot", "dataset": "mnist"},
         "set": {"training.epochs": 20, "training.drop_remainder": False}}]
    config = parse_config(tiny_doc)
    assert config.overrides[0].when == {"encoding": ("integer",)}
    assert config.overrides[1].set == {"epochs": 20, "drop_remainder": False}
    assert dataclasses.replace(parse_config(config.to_dict()), source_path=None) == config
    assert quick(config).overrides[0].set == {"epochs": 2}


@pytest.mark.parametrize("path", ready_configs().values(), ids=lambda p: p.name)
def test_shipped_configs_load_and_expand_without_warnings(path, tmp_path):
    import warnings

    from runner.grid import expand
    from tests.support import write_image_folder

    sets = ()
    if path.name == "your_images.yaml":  # a template: its folder is the user's
        sets = (f"datasets[0].path={write_image_folder(tmp_path / 'mine', (3, 5), 2)}",)
    config = load_config(path, sets)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert expand(config)
    assert path.read_text().startswith("# "), "each config opens with what it reproduces"


def test_framework_axis(tiny_doc):
    tiny_doc["grid"]["framework"] = ["tensorflow", "jax"]
    assert parse_config(tiny_doc).grid.framework == ("tensorflow", "jax")
    tiny_doc["grid"]["framework"] = ["jaxx"]
    with pytest.raises(ConfigError, match="Did you mean 'jax'"):
        parse_config(tiny_doc)


def test_a_framework_that_is_not_installed_names_its_extra(tiny_doc, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "torch" else real(name, *a))
    tiny_doc["grid"]["framework"] = ["tensorflow", "torch"]
    with pytest.raises(ConfigError, match=r"pip install -e '\.\[torch\]'"):
        parse_config(tiny_doc)


def test_end_to_end_is_tensorflow_only(tiny_doc):
    tiny_doc["grid"]["framework"] = ["jax"]
    tiny_doc["training"]["feature_cache"] = False
    with pytest.raises(ConfigError, match="only 'tensorflow' with end-to-end training"):
        parse_config(tiny_doc)


@pytest.mark.parametrize("sets, path, expected", [
    (["training.epochs=5"], ("training", "epochs"), 5),
    (["training.epochs=5", "training.epochs=7"], ("training", "epochs"), 7),  # last one wins
    (["datasets[0].max_train_samples=100"], ("datasets", 0, "max_train_samples"), 100),
    (["grid.loss=[binary_crossentropy]"], ("grid", "loss"), ("binary_crossentropy",)),
    (["backbone.trainable=true"], ("backbone", "trainable"), True),
    (["resources.cpus_per_task=0.5"], ("resources", "cpus_per_task"), 0.5),
])
def test_set_overrides_a_key(write_config, tiny_doc, sets, path, expected):
    config = load_config(write_config(tiny_doc), tuple(sets))
    value = config
    for step in path:
        value = value[step] if isinstance(step, int) else getattr(value, step)
    assert value == expected


@pytest.mark.parametrize("setting, message", [
    ("training.epoch=5", "Unknown key 'training.epoch'.*Did you mean 'epochs'"),
    ("training.epochs=0", "Invalid value for 'training.epochs': Expected an integer"),
    ("training.epochs", "Expected KEY=VALUE"),
    ("training..epochs=1", "Expected KEY=VALUE"),
    ("datasets[3].max_train_samples=1", "Expected 'datasets' to have an item 3"),
    ("name.x=1", "Expected a mapping at 'x'"),
])
def test_set_is_validated_like_the_file(write_config, tiny_doc, setting, message):
    with pytest.raises(ConfigError, match=message):
        load_config(write_config(tiny_doc), (setting,))


@pytest.mark.parametrize("setting, expected", [
    ("training.seeds=[1, 2, 3]", {"seeds": (1, 2, 3)}),
    ("training.seed=7", {"seeds": (7,)}),
    ("grid.backbone=[vgg16, mobilenet_v2]", {"backbones": ("vgg16", "mobilenet_v2")}),
    ("backbone.name=mobilenet_v2", {"backbones": ("mobilenet_v2",)}),
])
def test_set_replaces_a_keys_other_form(setting, expected):
    ready = load_config("default")  # `seed: 42`, `backbone.name: vgg16`
    assert ready.training.seeds == (42,) and ready.backbones == ("vgg16",)
    config = load_config("default", (setting,))
    name, value = next(iter(expected.items()))
    assert (config.training.seeds if name == "seeds" else config.backbones) == value
    if "grid.backbone" in setting:  # and back: the list replaced by one name
        config = load_config("default", (setting, "backbone.name=vgg16"))
        assert config.backbones == ("vgg16",) and config.grid.backbone is None


def test_set_on_the_command_line_exits_2_with_one_line(write_config, tiny_doc, capsys):
    path = write_config(tiny_doc)
    assert cli.main(["grid", str(path), "--dry-run", "--set", "training.epoch=5"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "(with --set)" in err and "Did you mean 'epochs'" in err
    assert cli.main(["grid", str(path), "--dry-run", "--set", "training.epochs=3"]) == 0


def test_backbone_precision(tiny_doc, write_config):
    assert load_config(write_config(tiny_doc)).backbone.precision == "float32"
    tiny_doc["backbone"]["precision"] = "bfloat16"
    assert load_config(write_config(tiny_doc)).backbone.precision == "bfloat16"
    tiny_doc["backbone"]["precision"] = "bf16"
    with pytest.raises(ConfigError, match=r"Expected one of \['float32', 'bfloat16'\]"):
        load_config(write_config(tiny_doc))
