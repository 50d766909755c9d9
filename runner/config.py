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
from runner.validate import MAX_INT, CheatgridWarning, Checker, ConfigError, did_you_mean

__all__ = ["BackboneConfig", "CheatgridWarning", "Config", "ConfigError", "DatasetConfig",
           "GridConfig", "Override", "ResourcesConfig", "TrainingConfig", "did_you_mean",
           "load_config", "parse_config", "quick"]

_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclasses.dataclass(frozen=True)
class BackboneConfig:
    name: str = "vgg16"  # the tutorial's frozen base
    weights: str = "random"  # imagenet | random | auto | path to a .h5/.weights.h5 file
    input_size: int = 32  # pixels per side; VGG16's minimum, the tutorial's choice
    weights_seed: int = 0  # seeds the He-normal re-init used for random weights
    trainable: bool = False  # the tutorial freezes the base; true fine-tunes it (end-to-end)


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    epochs: int = 20  # the tutorial trains 20 (one-hot) to 40 (integer) epochs
    batch_size: int = 64  # the tutorial's batch size
    learning_rate: float = 0.001  # Adam's default, which the tutorial uses
    seeds: tuple[int, ...] = (42,)  # the tutorial's GlorotUniform(seed=42); one run per seed
    shuffle: bool = False  # the tutorial does not shuffle
    drop_remainder: str | bool = "tutorial"  # tutorial: drop the last partial batch for
    # integer labels (its `batch(64, drop_remainder=True)`), keep it for one-hot
    feature_cache: bool = True  # false: train the composed model through VGG16 every step
    cell_timeout_seconds: float | None = None  # kill and record a cell that trains longer

    def end_to_end(self, backbone: BackboneConfig) -> bool:
        """Whether cells train the composed model through VGG16 (no feature cache)."""
        return backbone.trainable or not self.feature_cache

    def drops_remainder(self, encoding: str) -> bool:
        if self.drop_remainder == "tutorial":
            return encoding == "integer"
        return bool(self.drop_remainder)


@dataclasses.dataclass(frozen=True)
class DatasetConfig:
    name: str
    source: str = "embedded"  # tfds | embedded | auto; default: the dataset's first source
    max_train_samples: int | None = None  # None = every training image
    max_test_samples: int | None = None  # None = every test image
    classes: tuple[int, ...] | None = None  # digits to keep; mnist_binary defaults to (4, 9)
    units: int | None = None  # override the output units of every cell of this dataset
    split: tuple[str, str] | None = None  # TFDS (train, test) splits; None = the tutorial's
    data_dir: str | None = None  # TFDS data dir; None = $TFDS_DATA_DIR or ~/tensorflow_datasets

    @property
    def spec(self) -> catalog.DatasetSpec:
        return catalog.DATASETS[self.name]

    @property
    def num_classes(self) -> int:
        return len(self.classes) if self.classes else self.spec.num_classes

    @property
    def splits(self) -> tuple[str, str]:
        return self.split or self.spec.splits or ("train", "test")


@dataclasses.dataclass(frozen=True)
class GridConfig:
    encoding: tuple[str, ...] = catalog.ENCODINGS
    activation: tuple[str, ...] = catalog.ACTIVATIONS
    loss: tuple[str, ...] = catalog.LOSSES
    from_logits: tuple[bool, ...] = (True, False)
    metric: tuple[str, ...] = catalog.METRICS


@dataclasses.dataclass(frozen=True)
class Override:
    """Training settings for the cells that match `when` (a partial cell, values any-of)."""

    when: dict[str, tuple[Any, ...]]
    set: dict[str, Any]  # TrainingConfig field -> value


@dataclasses.dataclass(frozen=True)
class ResourcesConfig:
    """What each Ray task asks of the cluster (`--executor ray`); the local runner ignores it."""

    gpus_per_task: float = 0  # 0 runs anywhere, a laptop included; 1: one unit per GPU
    cpus_per_task: float = 1


@dataclasses.dataclass(frozen=True)
class Config:
    name: str
    datasets: tuple[DatasetConfig, ...]
    backbone: BackboneConfig = BackboneConfig()
    training: TrainingConfig = TrainingConfig()
    grid: GridConfig = GridConfig()
    exclude: tuple[dict[str, tuple[Any, ...]], ...] = ()  # partial cells; values are any-of
    include: tuple[dict[str, Any], ...] = ()  # full cells added to the grid
    overrides: tuple[Override, ...] = ()  # applied in order; a later match wins
    resources: ResourcesConfig = ResourcesConfig()
    source_path: str | None = None

    def dataset(self, name: str) -> DatasetConfig:
        return next(d for d in self.datasets if d.name == name)

    def to_dict(self) -> dict[str, Any]:
        """The resolved config as plain YAML-able data (what `config.yaml` holds)."""
        raw = _plain(dataclasses.asdict(self))
        for dataset in raw["datasets"]:
            if dataset["split"] is not None:
                dataset["split"] = dict(zip(("train", "test"), dataset["split"], strict=True))
        for override in raw["overrides"]:
            override["set"] = {f"training.{k}": v for k, v in override["set"].items()}
        return raw


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "source_path"}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


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
    source = check.choice(raw.get("source", spec.sources[0]), f"{path}.source", spec.sources)
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
    raw = check.mapping(raw, "grid", catalog.AXES)
    parsers = _axis_parsers(check)
    examples = {"from_logits": "[true, false]", "encoding": "[integer, onehot]"}
    values = {axis: check.items(raw[axis], f"grid.{axis}", parsers[axis],
                                examples.get(axis, f"[{getattr(GridConfig, axis)[0]}]"))
              for axis in catalog.AXES if axis in raw}
    return GridConfig(**values)


def _pattern(check: Checker, raw: Any, path: str, dataset_names: tuple[str, ...],
             full: bool) -> dict[str, Any]:
    """A cell pattern: full (every axis, one value each) or partial (values any-of)."""
    parsers = _axis_parsers(check)
    parsers["dataset"] = lambda v, p: check.choice(v, p, dataset_names)
    allowed = ("dataset",) + catalog.AXES + (("units",) if full else ())
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
    return Config(
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


QUICK_EPOCHS = 2  # enough to see which cells error and which start to learn
QUICK_TRAIN_SAMPLES = 512
QUICK_TEST_SAMPLES = 256


def quick(config: Config) -> Config:
    """Shrink epochs and sample counts for a first look (`--quick`), overrides included."""
    def shrink(value: int | None, cap: int) -> int:
        return cap if value is None else min(value, cap)

    datasets = tuple(
        dataclasses.replace(d, max_train_samples=shrink(d.max_train_samples, QUICK_TRAIN_SAMPLES),
                            max_test_samples=shrink(d.max_test_samples, QUICK_TEST_SAMPLES))
        for d in config.datasets)
    training = dataclasses.replace(config.training,
                                   epochs=min(config.training.epochs, QUICK_EPOCHS))
    overrides = tuple(
        dataclasses.replace(o, set={**o.set, "epochs": min(o.set["epochs"], QUICK_EPOCHS)})
        if "epochs" in o.set else o for o in config.overrides)
    return dataclasses.replace(config, datasets=datasets, training=training,
                               overrides=overrides)
