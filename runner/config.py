"""YAML grid configs -> frozen dataclasses, validated before anything runs.

Configs are locked: an unknown key, a wrong type or an unknown value raises
`ConfigError` naming the file, the key path, what was expected and what was
received, with a "Did you mean ...?" hint for near misses.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re
from collections.abc import Callable
from typing import Any

import yaml

from runner import catalog
from runner.settings import (
    QUICK_EPOCHS,
    QUICK_TEST_SAMPLES,
    QUICK_TRAIN_SAMPLES,
    BackboneConfig,
    Config,
    DatasetConfig,
    GridConfig,
    Override,
    ResourcesConfig,
    TrainingConfig,
    quick,
)
from runner.validate import MAX_INT, CheatgridWarning, Checker, ConfigError, did_you_mean

__all__ = ["QUICK_EPOCHS", "QUICK_TEST_SAMPLES", "QUICK_TRAIN_SAMPLES", "BackboneConfig",
           "CheatgridWarning", "Config", "ConfigError", "DatasetConfig", "GridConfig",
           "Override", "ResourcesConfig", "TrainingConfig", "did_you_mean", "load_config",
           "parse_config", "quick"]

_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


# ---------------------------------------------------------------- sections


def _axis_parsers(check: Checker) -> dict[str, Callable[[Any, str], Any]]:
    return {
        "encoding": lambda v, p: check.choice(v, p, catalog.ENCODINGS),
        "activation": lambda v, p: check.choice(
            v, p, catalog.ACTIVATIONS, catalog.ACTIVATION_ALIASES),
        "loss": lambda v, p: check.choice(v, p, catalog.LOSSES, catalog.LOSS_ALIASES),
        "from_logits": check.boolean,
        "metric": lambda v, p: check.choice(v, p, catalog.METRICS, catalog.METRIC_ALIASES),
        "framework": lambda v, p: check.choice(v, p, catalog.FRAMEWORKS),
    }


def _backbone(check: Checker, raw: Any) -> BackboneConfig:
    raw = check.mapping(raw, "backbone", _field_names(BackboneConfig))
    weights = raw.get("weights", BackboneConfig.weights)
    expected = f"one of {list(catalog.WEIGHTS)} or a path to a '.h5' / '.weights.h5' file"
    if not isinstance(weights, str) or not weights:
        raise check.fail("backbone.weights", expected, weights)
    if weights not in catalog.WEIGHTS and not weights.endswith(".h5"):
        raise check.fail("backbone.weights", expected, weights,
                         did_you_mean(weights, catalog.WEIGHTS).lstrip(". "))
    return BackboneConfig(
        name=check.choice(raw.get("name", BackboneConfig.name), "backbone.name",
                          catalog.BACKBONES),
        weights=weights,
        input_size=check.integer(raw.get("input_size", BackboneConfig.input_size),
                                 "backbone.input_size", minimum=32),
        weights_seed=check.integer(raw.get("weights_seed", 0), "backbone.weights_seed", 0),
        trainable=check.boolean(raw.get("trainable", False), "backbone.trainable"))


def _training_value(check: Checker, key: str, value: Any, path: str) -> Any:
    """One validated training setting (shared by `training` and `overrides[].set`)."""
    if key in ("epochs", "batch_size"):
        return check.integer(value, path)
    if key == "learning_rate":
        return check.positive_float(value, path)
    if key == "seeds":
        return check.items(value, path, lambda v, p: check.integer(v, p, minimum=0), "[1, 2, 3]")
    if key in ("shuffle", "feature_cache"):
        return check.boolean(value, path)
    if key == "cell_timeout_seconds":
        return None if value is None else check.positive_float(value, path)
    if key == "drop_remainder":
        if not (value == "tutorial" or isinstance(value, bool)):
            raise check.fail(path, "true, false or 'tutorial'", value)
        return value
    raise AssertionError(f"unhandled training key {key}")


def _training(check: Checker, raw: Any) -> TrainingConfig:
    keys = _field_names(TrainingConfig) + ("seed",)
    raw = dict(check.mapping(raw, "training", keys))
    if "seed" in raw:
        if "seeds" in raw:
            raise check.fail("training.seed", "either 'seed' (one run) or 'seeds' (a list), "
                             "not both", raw["seed"])
        raw["seeds"] = [check.integer(raw.pop("seed"), "training.seed", minimum=0)]
    values = {key: _training_value(check, key, value, f"training.{key}")
              for key, value in raw.items()}
    return TrainingConfig(**values)


def _dataset(check: Checker, raw: Any, path: str) -> DatasetConfig:
    raw = check.mapping(raw, path, _field_names(DatasetConfig), required=("name",))
    name = check.choice(raw["name"], f"{path}.name", tuple(catalog.DATASETS))
    spec = catalog.DATASETS[name]
    source = raw.get("source", spec.sources[0])
    if source == "auto" and "auto" not in spec.sources and spec.stand_in != name:
        stand_in = catalog.DATASETS[spec.stand_in]
        raise check.fail(f"{path}.source", f"one of {list(spec.sources)}", source,
                         f"'{name}' has {spec.num_classes} labels and its offline stand-in "
                         f"'{stand_in.name}' {stand_in.num_classes}, so a grid's heads cannot "
                         f"fall back from one to the other: use `name: {stand_in.name}` offline")
    source = check.choice(source, f"{path}.source", spec.sources)
    counts = {key: None if raw.get(key) is None else check.integer(raw[key], f"{path}.{key}")
              for key in ("max_train_samples", "max_test_samples")}
    classes = None
    if raw.get("classes") is not None:
        if not spec.digits:
            raise check.fail(f"{path}.classes", "no 'classes' key: only MNIST-digit datasets "
                             "select classes", raw["classes"])
        classes = check.items(raw["classes"], f"{path}.classes",
                              lambda v, p: check.integer(v, p, minimum=0), "[4, 9]")
        if any(c > 9 for c in classes):
            raise check.fail(f"{path}.classes", "MNIST digits from 0 to 9", raw["classes"])
        need = "exactly 2 distinct digits" if spec.num_classes == 2 else "at least 2 digits"
        if len(classes) < 2 or (spec.num_classes == 2 and len(classes) != 2):
            raise check.fail(f"{path}.classes", need, raw["classes"])
    units = None if raw.get("units") is None else check.integer(raw["units"], f"{path}.units")
    split = None
    if raw.get("split") is not None:
        mapping = check.mapping(raw["split"], f"{path}.split", ("train", "test"),
                                required=("train", "test"))
        split = tuple(check.string(mapping[k], f"{path}.split.{k}") for k in ("train", "test"))
    data_dir = None if raw.get("data_dir") is None else check.string(raw["data_dir"],
                                                                     f"{path}.data_dir")
    return DatasetConfig(name=name, source=source, classes=classes, units=units, split=split,
                         data_dir=data_dir, **counts)


def _grid(check: Checker, raw: Any) -> GridConfig:
    axes = catalog.AXES + ("framework",)
    raw = check.mapping(raw, "grid", axes)
    parsers = _axis_parsers(check)
    examples = {"from_logits": "[true, false]", "encoding": "[integer, onehot, multihot]",
                "framework": "[tensorflow, jax]"}
    values = {axis: check.items(raw[axis], f"grid.{axis}", parsers[axis],
                                examples.get(axis, f"[{getattr(GridConfig, axis)[0]}]"))
              for axis in axes if axis in raw}
    grid = GridConfig(**values)
    absent = framework_missing(grid.framework)
    if absent:
        extras = ",".join(catalog.FRAMEWORK_EXTRAS[f] for f in absent)
        raise check.fail("grid.framework", f"installed frameworks; {absent} need "
                         f"`pip install -e '.[{extras}]'` (or `make install`)",
                         list(grid.framework))
    return grid


def framework_missing(frameworks: tuple[str, ...]) -> list[str]:
    """Frameworks whose package is not installed (looked up without importing it)."""
    import importlib.util

    packages = {"jax": "jax", "torch": "torch", "tf_keras": "tf_keras"}
    return [f for f in frameworks
            if f in packages and importlib.util.find_spec(packages[f]) is None]


def _check_encodings(check: Checker, config: Config) -> None:
    """Every dataset gets at least one encoding of its kind of labels; included cells too.

    The grid crosses each dataset only with the encodings that apply to its labels
    (`grid.expand`), so a grid over single- and multi-label datasets can list both
    kinds; a dataset left with none would silently contribute no cell.
    """
    for i, dataset in enumerate(config.datasets):
        spec = dataset.spec
        if not set(config.grid.encoding) & set(spec.encodings):
            raise check.fail("grid.encoding", f"at least one encoding for datasets[{i}] "
                             f"'{dataset.name}' ({spec.label_kind} data: one of "
                             f"{list(spec.encodings)})", list(config.grid.encoding))
    for i, entry in enumerate(config.include):
        spec = catalog.DATASETS[entry["dataset"]]
        if entry["encoding"] not in spec.encodings:
            raise check.fail(f"include[{i}].encoding", f"one of {list(spec.encodings)} for "
                             f"dataset '{spec.name}' ({spec.label_kind} data)",
                             entry["encoding"])


def _pattern(check: Checker, raw: Any, path: str, dataset_names: tuple[str, ...],
             full: bool) -> dict[str, Any]:
    """A cell pattern: full (every axis, one value each) or partial (values any-of)."""
    parsers = _axis_parsers(check)
    parsers["dataset"] = lambda v, p: check.choice(v, p, dataset_names)
    allowed = ("dataset",) + catalog.AXES + ("framework",) + (("units",) if full else ())
    raw = check.mapping(raw, path, allowed, required=allowed[:6] if full else ())
    if not raw:
        raise check.fail(path, "at least one axis value", raw)
    entry: dict[str, Any] = {}
    for axis, value in raw.items():
        if axis == "units":
            entry[axis] = None if value is None else check.integer(value, f"{path}.units")
        elif full:
            entry[axis] = parsers[axis](value, f"{path}.{axis}")
        else:
            seq = value if isinstance(value, list) else [value]
            entry[axis] = check.items(seq, f"{path}.{axis}", parsers[axis], "a value")
    return entry


def _entries(check: Checker, raw: Any, key: str, parse: Callable[[Any, str], Any]) -> tuple:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise check.fail(key, "a list of mappings", raw)
    return tuple(parse(item, f"{key}[{i}]") for i, item in enumerate(raw))


def _override(check: Checker, raw: Any, path: str, names: tuple[str, ...]) -> Override:
    raw = check.mapping(raw, path, ("when", "set"), required=("when", "set"))
    when = _pattern(check, raw["when"], f"{path}.when", names, full=False)
    settable = tuple(f"training.{k}" for k in _field_names(TrainingConfig))
    changes = check.mapping(raw["set"], f"{path}.set", settable)
    if not changes:
        raise check.fail(f"{path}.set", f"at least one of {list(settable)}", changes)
    values = {key.split(".", 1)[1]: _training_value(check, key.split(".", 1)[1], value,
                                                     f"{path}.set.{key}")
              for key, value in changes.items()}
    return Override(when=when, set=values)


def _resources(check: Checker, raw: Any) -> ResourcesConfig:
    raw = check.mapping(raw, "resources", _field_names(ResourcesConfig))
    values = {}
    for key, value in raw.items():
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        # Ray's rule: a share of one device, or whole devices.
        if not number or not 0 <= value <= MAX_INT or (value > 1 and value != int(value)) \
                or (key == "cpus_per_task" and value == 0):
            device = {"gpus_per_task": "GPU", "cpus_per_task": "CPU"}[key]
            zero = "0, " if device == "GPU" else ""
            raise check.fail(f"resources.{key}", f"{zero}a share of one {device} up to 1 "
                             f"(e.g. 0.5), or a whole number of {device}s", value)
        values[key] = value
    return ResourcesConfig(**values)


_TOP_KEYS = ("name", "backbone", "training", "datasets", "grid", "exclude", "include",
             "overrides", "resources")


def parse_config(raw: Any, origin: str = "<config>", default_name: str = "grid") -> Config:
    """Validate a parsed YAML document and build the frozen `Config`.

    Args:
        raw: the document, as `yaml.safe_load` returns it.
        origin: how errors name the document (usually its file path).
        default_name: the run name when the document has no `name` key.

    Returns:
        The validated config.

    Raises:
        ConfigError: the document cannot be run as written.
    """
    check = Checker(origin)
    if not isinstance(raw, dict):
        kind = "an empty file" if raw is None else f"a {type(raw).__name__}"
        raise ConfigError(f"{origin}: Expected a mapping with keys {list(_TOP_KEYS)} at the "
                          f"top level. Received: {kind}")
    check.mapping(raw, "", _TOP_KEYS, required=("datasets",))
    name = check.string(raw.get("name", default_name), "name")
    if not _NAME_PATTERN.match(name):
        raise check.fail("name", "letters, digits, '_', '.' or '-' (it names the run "
                         "directory)", name)
    datasets = check.items(raw["datasets"], "datasets",
                           lambda v, p: _dataset(check, v, p), "[{name: mnist}]")
    names = tuple(d.name for d in datasets)
    if len(set(names)) != len(names):
        raise check.fail("datasets", "each dataset name at most once", list(names))
    config = Config(
        name=name,
        datasets=datasets,
        backbone=_backbone(check, raw.get("backbone", {})),
        training=_training(check, raw.get("training", {})),
        grid=_grid(check, raw.get("grid", {})),
        exclude=_entries(check, raw.get("exclude"), "exclude",
                         lambda v, p: _pattern(check, v, p, names, full=False)),
        include=_entries(check, raw.get("include"), "include",
                         lambda v, p: _pattern(check, v, p, names, full=True)),
        overrides=_entries(check, raw.get("overrides"), "overrides",
                           lambda v, p: _override(check, v, p, names)),
        resources=_resources(check, raw.get("resources", {})),
    )
    others = [f for f in config.grid.framework if f != catalog.FRAMEWORKS[0]]
    end_to_end = config.training.end_to_end(config.backbone) or any(
        o.set.get("feature_cache") is False for o in config.overrides)
    if others and end_to_end:
        raise check.fail("grid.framework", "only 'tensorflow' with end-to-end training "
                         "(backbone.trainable or training.feature_cache: false): the other "
                         "frameworks train heads on features", list(config.grid.framework))
    _check_encodings(check, config)
    return config


def load_config(path: str | pathlib.Path) -> Config:
    """Read and validate a YAML config file.

    Raises:
        ConfigError: missing or unreadable file, YAML syntax error, or invalid content.
    """
    path = pathlib.Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: No such config file.") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: Cannot read the config file: {e}") from None
    try:
        raw = yaml.safe_load(text)
    except RecursionError:
        raise ConfigError(f"{path}: Expected a config nested a few levels deep. Received: "
                          "nesting too deep to parse") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ConfigError(f"{path}: YAML syntax error{where}: {problem}") from None
    config = parse_config(raw, origin=str(path), default_name=path.stem)
    return dataclasses.replace(config, source_path=str(path))
