"""YAML grid configs -> frozen dataclasses, validated before anything runs.

Configs are locked: an unknown key, a wrong type or an unknown value raises
`ConfigError` naming the file, the key path, what was expected and what was
received, with a "Did you mean ...?" hint for near misses.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import pathlib
import re
from collections.abc import Callable
from typing import Any

import yaml

from runner import catalog

_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_MAX_INT = 10**9  # anything larger is a typo, not an experiment


class ConfigError(ValueError):
    """A config file (or command-line setting) that cannot be run as written."""


class CheatgridWarning(UserWarning):
    """A soft problem the user should see (a fallback taken, a pattern that matched nothing)."""


@dataclasses.dataclass(frozen=True)
class BackboneConfig:
    name: str = "vgg16"  # the tutorial's frozen base
    weights: str = "random"  # imagenet | random | auto | path to a .h5/.weights.h5 file
    input_size: int = 32  # pixels per side; VGG16's minimum, the tutorial's choice
    weights_seed: int = 0  # seeds the He-normal re-init used for random weights


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    epochs: int = 20  # the tutorial trains 20 (one-hot) to 40 (integer) epochs
    batch_size: int = 64  # the tutorial's batch size
    learning_rate: float = 0.001  # Adam's default, which the tutorial uses
    seed: int = 42  # the tutorial's GlorotUniform(seed=42)


@dataclasses.dataclass(frozen=True)
class DatasetConfig:
    name: str
    source: str = "embedded"  # the only source that needs no network
    max_train_samples: int | None = None  # None = every training image
    max_test_samples: int | None = None  # None = every test image
    classes: tuple[int, ...] | None = None  # digits to keep; mnist_binary defaults to (4, 9)
    units: int | None = None  # override the output units of every cell of this dataset

    @property
    def num_classes(self) -> int:
        return len(self.classes) if self.classes else catalog.DATASETS[self.name].num_classes


@dataclasses.dataclass(frozen=True)
class GridConfig:
    encoding: tuple[str, ...] = catalog.ENCODINGS
    activation: tuple[str, ...] = catalog.ACTIVATIONS
    loss: tuple[str, ...] = catalog.LOSSES
    from_logits: tuple[bool, ...] = (True, False)
    metric: tuple[str, ...] = catalog.METRICS


@dataclasses.dataclass(frozen=True)
class Config:
    name: str
    datasets: tuple[DatasetConfig, ...]
    backbone: BackboneConfig = BackboneConfig()
    training: TrainingConfig = TrainingConfig()
    grid: GridConfig = GridConfig()
    exclude: tuple[dict[str, tuple[Any, ...]], ...] = ()  # partial cells; values are any-of
    include: tuple[dict[str, Any], ...] = ()  # full cells added to the grid
    source_path: str | None = None

    def dataset(self, name: str) -> DatasetConfig:
        return next(d for d in self.datasets if d.name == name)

    def to_dict(self) -> dict[str, Any]:
        """The resolved config as plain YAML-able data (what `config.yaml` holds)."""
        return _plain(dataclasses.asdict(self))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "source_path"}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# ---------------------------------------------------------------- primitives


class _Checker:
    """Validates one document; every error names the file and the key path."""

    def __init__(self, origin: str):
        self.origin = origin

    def fail(self, path: str, expected: str, received: Any, hint: str = "") -> ConfigError:
        leaf = path.rsplit(".", 1)[-1] if path else "config"
        shown = repr(received)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        message = (f"{self.origin}: Invalid value for '{path}': Expected {expected}. "
                   f"Received: {leaf}={shown}")
        return ConfigError(message + (f". {hint}" if hint else ""))

    def mapping(self, value: Any, path: str, allowed: tuple[str, ...],
                required: tuple[str, ...] = ()) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"a mapping with keys {list(allowed)}", value)
        for key in value:
            if not isinstance(key, str) or key not in allowed:
                full = f"{path}.{key}" if path else str(key)
                raise ConfigError(
                    f"{self.origin}: Unknown key '{full}': expected one of {list(allowed)}. "
                    f"Received: {key!r}{did_you_mean(str(key), allowed)}")
        for key in required:
            if key not in value:
                full = f"{path}.{key}" if path else key
                raise ConfigError(f"{self.origin}: Missing required key '{full}'.")
        return value

    def integer(self, value: Any, path: str, minimum: int = 1) -> int:
        is_int = isinstance(value, int) and not isinstance(value, bool)
        if not is_int or not minimum <= value <= _MAX_INT:
            raise self.fail(path, f"an integer from {minimum} to {_MAX_INT:,}", value)
        return value

    def positive_float(self, value: Any, path: str) -> float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or value <= 0:
            raise self.fail(path, "a positive number", value)
        return float(value)

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, "true or false", value)
        return value

    def string(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(path, "a non-empty string", value)
        return value

    def choice(self, value: Any, path: str, choices: tuple[str, ...],
               aliases: dict[str, str] | None = None) -> str:
        aliases = aliases or {}
        if value is None and "none" in choices:
            return "none"  # YAML `null` for "no activation", as Keras's activation=None
        if isinstance(value, str) and value in choices:
            return value
        if isinstance(value, str) and value in aliases:
            return aliases[value]
        known = tuple(choices) + tuple(aliases)
        hint = did_you_mean(value, known).lstrip(". ") if isinstance(value, str) else ""
        raise self.fail(path, f"one of {list(choices)}", value, hint)

    def items(self, value: Any, path: str, parse: Callable[[Any, str], Any],
              example: str) -> tuple[Any, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(path, f"a non-empty list, e.g. {example}", value)
        parsed = tuple(parse(item, f"{path}[{i}]") for i, item in enumerate(value))
        if len(set(parsed)) != len(parsed):
            raise self.fail(path, "a list without duplicates", value)
        return parsed


def did_you_mean(word: str, options: tuple[str, ...] | list[str]) -> str:
    """A ". Did you mean 'x'?" suffix for near misses, or an empty string."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    if not close:
        lowered = {o.lower().replace("_", ""): o for o in options}
        key = word.lower().replace("_", "").replace("-", "")
        close = [lowered[key]] if key in lowered else []
    return f". Did you mean '{close[0]}'?" if close else ""


# ---------------------------------------------------------------- sections


def _axis_parsers(check: _Checker) -> dict[str, Callable[[Any, str], Any]]:
    return {
        "encoding": lambda v, p: check.choice(v, p, catalog.ENCODINGS),
        "activation": lambda v, p: check.choice(
            v, p, catalog.ACTIVATIONS, catalog.ACTIVATION_ALIASES),
        "loss": lambda v, p: check.choice(v, p, catalog.LOSSES, catalog.LOSS_ALIASES),
        "from_logits": check.boolean,
        "metric": lambda v, p: check.choice(v, p, catalog.METRICS, catalog.METRIC_ALIASES),
    }


def _backbone(check: _Checker, raw: Any) -> BackboneConfig:
    fields = _field_names(BackboneConfig)
    raw = check.mapping(raw, "backbone", fields)
    weights = raw.get("weights", BackboneConfig.weights)
    if not isinstance(weights, str) or not weights:
        raise check.fail("backbone.weights", f"one of {list(catalog.WEIGHTS)} or a file path",
                         weights)
    if weights not in catalog.WEIGHTS and not weights.endswith(".h5"):
        raise check.fail("backbone.weights", f"one of {list(catalog.WEIGHTS)} or a path to an "
                         "'.h5' / '.weights.h5' file", weights,
                         did_you_mean(weights, catalog.WEIGHTS).lstrip(". "))
    input_size = check.integer(raw.get("input_size", BackboneConfig.input_size),
                               "backbone.input_size", minimum=32)
    return BackboneConfig(
        name=check.choice(raw.get("name", BackboneConfig.name), "backbone.name",
                          catalog.BACKBONES),
        weights=weights, input_size=input_size,
        weights_seed=check.integer(raw.get("weights_seed", 0), "backbone.weights_seed", 0))


def _training(check: _Checker, raw: Any) -> TrainingConfig:
    raw = check.mapping(raw, "training", _field_names(TrainingConfig))
    d = TrainingConfig()
    return TrainingConfig(
        epochs=check.integer(raw.get("epochs", d.epochs), "training.epochs"),
        batch_size=check.integer(raw.get("batch_size", d.batch_size), "training.batch_size"),
        learning_rate=check.positive_float(raw.get("learning_rate", d.learning_rate),
                                           "training.learning_rate"),
        seed=check.integer(raw.get("seed", d.seed), "training.seed", minimum=0))


def _dataset(check: _Checker, raw: Any, path: str) -> DatasetConfig:
    raw = check.mapping(raw, path, _field_names(DatasetConfig), required=("name",))
    name = check.choice(raw["name"], f"{path}.name", tuple(catalog.DATASETS))
    spec = catalog.DATASETS[name]
    source = check.choice(raw.get("source", "embedded"), f"{path}.source", spec.sources)
    counts = {key: None if raw.get(key) is None else check.integer(raw[key], f"{path}.{key}")
              for key in ("max_train_samples", "max_test_samples")}
    classes = None
    if raw.get("classes") is not None:
        classes = check.items(raw["classes"], f"{path}.classes",
                              lambda v, p: check.integer(v, p, minimum=0), "[4, 9]")
        if any(c > 9 for c in classes):
            raise check.fail(f"{path}.classes", "MNIST digits from 0 to 9", raw["classes"])
        need = "exactly 2 distinct digits" if spec.num_classes == 2 else "at least 2 digits"
        if len(classes) < 2 or (spec.num_classes == 2 and len(classes) != 2):
            raise check.fail(f"{path}.classes", need, raw["classes"])
    units = None if raw.get("units") is None else check.integer(raw["units"], f"{path}.units")
    return DatasetConfig(name=name, source=source, classes=classes, units=units, **counts)


def _grid(check: _Checker, raw: Any) -> GridConfig:
    raw = check.mapping(raw, "grid", catalog.AXES)
    parsers = _axis_parsers(check)
    examples = {"from_logits": "[true, false]", "encoding": "[integer, onehot]"}
    values = {axis: check.items(raw[axis], f"grid.{axis}", parsers[axis],
                                examples.get(axis, f"[{getattr(GridConfig, axis)[0]}]"))
              for axis in catalog.AXES if axis in raw}
    return GridConfig(**values)


def _cell_patterns(check: _Checker, raw: Any, key: str, dataset_names: tuple[str, ...],
                   full: bool) -> tuple[dict[str, Any], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise check.fail(key, "a list of mappings", raw)
    parsers = _axis_parsers(check)
    parsers["dataset"] = lambda v, p: check.choice(v, p, dataset_names)
    allowed = ("dataset",) + catalog.AXES + (("units",) if full else ())
    entries = []
    for i, item in enumerate(raw):
        path = f"{key}[{i}]"
        item = check.mapping(item, path, allowed, required=allowed[:6] if full else ())
        if not item:
            raise check.fail(path, "at least one axis value", item)
        entry: dict[str, Any] = {}
        for axis, value in item.items():
            if axis == "units":
                entry[axis] = None if value is None else check.integer(value, f"{path}.units")
            elif full:
                entry[axis] = parsers[axis](value, f"{path}.{axis}")
            else:  # a partial pattern: one value, or a list meaning any of them
                seq = value if isinstance(value, list) else [value]
                entry[axis] = check.items(seq, f"{path}.{axis}", parsers[axis], "a value")
        entries.append(entry)
    return tuple(entries)


def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


_TOP_KEYS = ("name", "backbone", "training", "datasets", "grid", "exclude", "include")


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
    check = _Checker(origin)
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
        exclude=_cell_patterns(check, raw.get("exclude"), "exclude", names, full=False),
        include=_cell_patterns(check, raw.get("include"), "include", names, full=True),
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
    """Shrink epochs and sample counts for a first look (`--quick`)."""
    def shrink(value: int | None, cap: int) -> int:
        return cap if value is None else min(value, cap)

    datasets = tuple(
        dataclasses.replace(d, max_train_samples=shrink(d.max_train_samples, QUICK_TRAIN_SAMPLES),
                            max_test_samples=shrink(d.max_test_samples, QUICK_TEST_SAMPLES))
        for d in config.datasets)
    training = dataclasses.replace(config.training,
                                   epochs=min(config.training.epochs, QUICK_EPOCHS))
    return dataclasses.replace(config, datasets=datasets, training=training)
