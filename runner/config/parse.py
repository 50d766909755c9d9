"""YAML grid configs -> the frozen schema: each key by its field's parser, then the rules that
span keys (datasets, backbones, runtimes, cell patterns); `--quick`."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
from typing import Any

from runner import vocab
from runner.config.describe import describe
from runner.config.environments import CURRENT, DEFAULT, parse_environments
from runner.config.schema import (
    BackboneConfig,
    Config,
    DatasetConfig,
    GridConfig,
    Override,
    ResourcesConfig,
    TrainingConfig,
    keys,
    parse_key,
)
from runner.config.validate import Checker
from runner.errors import ConfigError, did_you_mean

_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_TFDS_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$")  # e.g. voc/2012, beans:0.1.0
# Axes a cell pattern may name but need not: a full (`include`) cell without them takes
# the default framework, the first backbone of the grid and no label smoothing.
OPTIONAL_AXES = ("framework", "backbone", "label_smoothing")
QUICK_EPOCHS = 2  # enough to see which cells error and which start to learn
QUICK_TRAIN_SAMPLES = 512  # a few seconds of VGG16 per dataset on a CPU
QUICK_TEST_SAMPLES = 256


def _section(check: Checker, cls: type, raw: Any, path: str, required: tuple[str, ...] = (),
             ) -> dict[str, Any]:
    """A section's keys, each parsed by its field's parser (cross-key rules come after)."""
    raw = check.mapping(raw, path, keys(cls), required=required)
    return {k: parse_key(check, cls, k, v, f"{path}.{k}") for k, v in raw.items()}


def _training(check: Checker, raw: Any) -> TrainingConfig:
    raw = dict(check.mapping(raw, "training", keys(TrainingConfig) + ("seed",)))
    if "seed" in raw:  # `seed: 42` is `seeds: [42]`
        if "seeds" in raw:
            raise check.fail("training.seed", "either 'seed' (one run) or 'seeds' (a list), "
                             "not both", raw["seed"])
        raw["seeds"] = [check.integer(raw.pop("seed"), "training.seed", minimum=0)]
    return TrainingConfig(**_section(check, TrainingConfig, raw, "training"))


def _dataset(check: Checker, raw: Any, path: str) -> DatasetConfig:
    values = _section(check, DatasetConfig, raw, path, required=("name",))
    spec, classes = vocab.DATASETS.get(values["name"]), values.get("classes")
    if classes is not None and not (spec and spec.digits):
        raise check.fail(f"{path}.classes", "no 'classes' key: only MNIST-digit datasets "
                         "select classes", list(classes))
    if spec is None:
        return _open_dataset(check, values, path)
    for key in ("path", "image_key", "label_key", "test_fraction"):
        if values.get(key) is not None:
            raise check.fail(f"{path}.{key}", f"no '{key}' for the catalogued dataset "
                             f"'{spec.name}' (a key of `source: tfds | folder | npz`: give "
                             "your own data a name of its own)", values[key])
    source = values.get("source", spec.sources[0])
    if source == "auto" and "auto" not in spec.sources and spec.stand_in != spec.name:
        stand_in = vocab.DATASETS[spec.stand_in]
        raise check.fail(f"{path}.source", f"one of {list(spec.sources)}", source,
                         f"'{spec.name}' has {spec.num_classes} labels and its offline "
                         f"stand-in '{stand_in.name}' {stand_in.num_classes}, so a grid's "
                         f"heads cannot fall back from one to the other: use `name: "
                         f"{stand_in.name}` offline")
    values["source"] = check.choice(source, f"{path}.source", spec.sources)
    values["name"] = spec.name
    if classes is not None:
        if any(c > 9 for c in classes):
            raise check.fail(f"{path}.classes", "MNIST digits from 0 to 9", list(classes))
        need = "exactly 2 distinct digits" if spec.num_classes == 2 else "at least 2 digits"
        if len(classes) < 2 or (spec.num_classes == 2 and len(classes) != 2):
            raise check.fail(f"{path}.classes", need, list(classes))
    return DatasetConfig(**values)


def _open_dataset(check: Checker, values: dict[str, Any], path: str) -> DatasetConfig:
    """A dataset the catalogue does not list: its source is required, its facts are read."""
    name, source = values["name"], values.get("source")
    if source is None or source in vocab.SOURCES and source not in vocab.OPEN_SOURCES:
        hint = did_you_mean(name, vocab.DATASETS.names).lstrip(". ")
        raise check.fail(f"{path}.name", f"a catalogued dataset {list(vocab.DATASETS.names)}, "
                         f"or a `source` of {list(vocab.OPEN_SOURCES)} for your own", name,
                         hint)
    values["source"] = check.choice(source, f"{path}.source", vocab.OPEN_SOURCES)
    tfds = values["source"] == "tfds"
    if not (_TFDS_NAME if tfds else _NAME_PATTERN).match(name):
        raise check.fail(f"{path}.name", "letters, digits, '_', '.' or '-' (it names "
                         "files of the run)" + (", and for TFDS '/' and ':'" if tfds else ""),
                         name)
    return DatasetConfig(**values, facts=describe(check, values, path))


def _backbone(check: Checker, raw: Any, grid: GridConfig) -> BackboneConfig:
    """The backbone section; with `grid.backbone`, its first backbone is `name`."""
    values = _section(check, BackboneConfig, raw, "backbone")
    if grid.backbone is not None:
        if "name" in values:
            raise check.fail("backbone.name", "either 'backbone.name' (one backbone) or "
                             "'grid.backbone' (a list), not both", values["name"])
        values["name"] = grid.backbone[0]
    backbone = BackboneConfig(**values)
    for i, name in enumerate(grid.backbone or (backbone.name,)):
        spec = vocab.BACKBONES[name]
        if backbone.input_size < spec.min_input_size:
            where = f"grid.backbone[{i}]" if grid.backbone else "backbone.name"
            raise check.fail("backbone.input_size", f"at least {spec.min_input_size}, the "
                             f"smallest side {spec.keras_class} ({where}) is built at",
                             backbone.input_size)
    return backbone


def _pattern(check: Checker, raw: Any, path: str, datasets: tuple[str, ...],
             full: bool) -> dict[str, Any]:
    """A cell pattern: full (`include`: every axis, one value each) or partial (`exclude`,
    `overrides[].when`: values any-of)."""
    allowed = ("dataset",) + vocab.AXES + OPTIONAL_AXES + (("units",) if full else ())
    raw = check.mapping(raw, path, allowed, required=allowed[:6] if full else ())
    if not raw:
        raise check.fail(path, "at least one axis value", raw)

    def parse(v: Any, p: str, axis: str) -> Any:
        if axis == "dataset":
            return check.choice(v, p, datasets)
        units = axis == "units"  # null: the tutorial's rule
        return parse_key(check, DatasetConfig if units else GridConfig, axis, v, p, not units)

    return {axis: parse(value, f"{path}.{axis}", axis) if full else check.items(
        value if isinstance(value, list) else [value], f"{path}.{axis}",
        lambda v, p, axis=axis: parse(v, p, axis), "a value") for axis, value in raw.items()}


def _override(check: Checker, raw: Any, path: str, datasets: tuple[str, ...]) -> Override:
    """One `overrides` entry: a partial cell and the training settings its cells get."""
    raw = check.mapping(raw, path, ("when", "set"), required=("when", "set"))
    when = _pattern(check, raw["when"], f"{path}.when", datasets, full=False)
    settable = tuple(f"training.{k}" for k in keys(TrainingConfig))
    changes = check.mapping(raw["set"], f"{path}.set", settable)
    if not changes:
        raise check.fail(f"{path}.set", f"at least one of {list(settable)}", changes)
    return Override(when=when, set={k.removeprefix("training."): parse_key(
        check, TrainingConfig, k.removeprefix("training."), v, f"{path}.set.{k}")
        for k, v in changes.items()})


def framework_missing(frameworks: tuple[str, ...]) -> list[str]:
    """Frameworks whose optional package is not installed (looked up without importing it);
    TensorFlow is a dependency of cheatgrid itself."""
    return [f for f in frameworks if vocab.FRAMEWORKS[f].extra is not None
            and importlib.util.find_spec(vocab.FRAMEWORKS[f].name) is None]


def parse_config(raw: Any, origin: str = "<config>", default_name: str = "grid") -> Config:
    """The frozen `Config` of a YAML document (`origin` names it in errors; `default_name`
    is the run's name where it has no `name`); ConfigError where it cannot run as written."""
    check = Checker(origin)
    if not isinstance(raw, dict):
        kind = "an empty file" if raw is None else f"a {type(raw).__name__}"
        raise ConfigError(f"{origin}: Expected a mapping with keys {list(keys(Config))} at the "
                          f"top level. Received: {kind}")
    check.mapping(raw, "", keys(Config), required=("datasets",))
    name = check.string(raw.get("name", default_name), "name")
    if not _NAME_PATTERN.match(name):
        raise check.fail("name", "letters, digits, '_', '.' or '-' (it names the run "
                         "directory)", name)
    datasets = check.items(raw["datasets"], "datasets",
                           lambda v, p: _dataset(check, v, p), "[{name: mnist}]")
    names = tuple(d.name for d in datasets)
    if len(set(names)) != len(names):
        raise check.fail("datasets", "each dataset name at most once", list(names))
    grid = GridConfig(**_section(check, GridConfig, raw.get("grid", {}), "grid"))
    backbone = _backbone(check, raw.get("backbone", {}), grid)
    training = _training(check, raw.get("training", {}))
    lists = {}
    for key, parse in (("exclude", lambda v, p: _pattern(check, v, p, names, full=False)),
                       ("include", lambda v, p: _pattern(check, v, p, names, full=True)),
                       ("overrides", lambda v, p: _override(check, v, p, names))):
        if raw.get(key) is not None and not isinstance(raw[key], list):
            raise check.fail(key, "a list of mappings", raw[key])
        lists[key] = tuple(parse(item, f"{key}[{i}]") for i, item in enumerate(raw.get(key) or ()))
    config = Config(
        name=name, datasets=datasets, backbone=backbone, training=training, grid=grid, **lists,
        resources=ResourcesConfig(**_section(check, ResourcesConfig,
                                             raw.get("resources", {}), "resources")),
        environments=parse_environments(check, raw["environments"])
        if "environments" in raw else DEFAULT)
    _check_runtimes(check, config, raw)
    _check_encodings(check, config)
    return config


def _check_encodings(check: Checker, config: Config) -> None:
    """Every dataset gets an encoding of its kind of labels (the grid crosses each with those
    alone, so one left with none would silently give no cell); included cells too."""
    for i, dataset in enumerate(config.datasets):
        if not set(config.grid.encoding) & set(dataset.encodings):
            raise check.fail("grid.encoding", f"at least one encoding for datasets[{i}] "
                             f"'{dataset.name}' ({_kind(dataset)} data: one of "
                             f"{list(dataset.encodings)})", list(config.grid.encoding))
    for i, entry in enumerate(config.include):
        dataset = config.dataset(entry["dataset"])
        if entry["encoding"] not in dataset.encodings:
            raise check.fail(f"include[{i}].encoding", f"one of {list(dataset.encodings)} for "
                             f"dataset '{dataset.name}' ({_kind(dataset)} data)",
                             entry["encoding"])


def _kind(dataset: DatasetConfig) -> str:
    return "multi-label" if dataset.multi_label else "single-label"


def _check_runtimes(check: Checker, config: Config, raw: dict[str, Any]) -> None:
    """`grid.framework` needs `current` among the environments; the frameworks of this
    Python must be installed; end-to-end training runs on this Python's TensorFlow only."""
    if config.grid.framework != (vocab.DEFAULT_FRAMEWORK,) and not any(
            e.framework is None for e in config.environments):
        raise check.fail("grid.framework", f"no other value than the default without "
                         f"'{CURRENT}' in `environments` (the framework axis is the current "
                         "environment's backends)", list(config.grid.framework))
    absent = framework_missing(tuple(r.framework for r in config.runtimes if r.pins is None))
    if absent:
        extras = ",".join(vocab.FRAMEWORKS[f].extra for f in absent)
        key = "grid.framework" if set(absent) & set(config.grid.framework) else "environments"
        raise check.fail(key, f"installed frameworks for this Python; {absent} need `pip "
                         f"install -e '.[{extras}]'` (or `make install`)",
                         list(config.grid.framework) if key == "grid.framework"
                         else raw["environments"])
    others = [r.label for r in config.runtimes
              if (r.environment, r.framework) != (CURRENT, vocab.DEFAULT_FRAMEWORK)]
    end_to_end = config.training.end_to_end(config.backbone) or any(
        o.set.get("feature_cache") is False for o in config.overrides)
    if others and end_to_end:
        key = "grid.framework" if "environments" not in raw else "environments"
        received = list(config.grid.framework) if key == "grid.framework" else others
        raise check.fail(key, "only 'tensorflow' with end-to-end training (backbone."
                         "trainable or training.feature_cache: false), on this Python: the "
                         "other frameworks and environments train heads on features",
                         received)


def quick(config: Config) -> Config:
    """Shrink epochs and sample counts for a first look (`--quick`), overrides included."""
    datasets = tuple(dataclasses.replace(  # a count is at least 1: `or` reads None as all
        d, max_train_samples=min(d.max_train_samples or QUICK_TRAIN_SAMPLES, QUICK_TRAIN_SAMPLES),
        max_test_samples=min(d.max_test_samples or QUICK_TEST_SAMPLES, QUICK_TEST_SAMPLES))
        for d in config.datasets)
    training = dataclasses.replace(config.training,
                                   epochs=min(config.training.epochs, QUICK_EPOCHS))
    overrides = tuple(
        dataclasses.replace(o, set={**o.set, "epochs": min(o.set["epochs"], QUICK_EPOCHS)})
        if "epochs" in o.set else o for o in config.overrides)
    return dataclasses.replace(config, datasets=datasets, training=training,
                               overrides=overrides)
