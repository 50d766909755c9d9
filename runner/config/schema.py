"""The settings a grid runs with: one frozen dataclass per config section, each key a field
(`key`); docs/config.md says what each key means."""

from __future__ import annotations

import dataclasses
from typing import Any

from runner import vocab
from runner.config import validate
from runner.config.environments import DEFAULT as DEFAULT_ENVIRONMENTS
from runner.config.environments import Runtime
from runner.config.validate import MAX_INT, Checker

HOLD_OUT_SEED = 0  # the seed of the stratified hold-out of a dataset without a test split
DEFAULT_TEST_FRACTION = 0.2  # a fifth held out: the usual split of a dataset without one


def key(default: Any = dataclasses.MISSING, parse: Any = None, *, each: str | None = None,
        new: bool = False, **args: Any) -> Any:
    """A config key: its default and parser, `parse(check, value, path, **args)` (None: as
    given; `each`: a non-empty list of such values, e.g. `each`; default None: YAML null is
    None). `new`: added after ids and hashes were first stored, hashed only off its default
    (so that the configs that do not use it keep their hashes and stay resumable)."""
    metadata = {"parse": parse, "args": args, "each": each, "new": new}
    return dataclasses.field(default=default, metadata=metadata)


def parse_key(check: Checker, cls: type, name: str, value: Any, path: str,
              one: bool = False) -> Any:
    """A value of key `name` of section `cls`, by its field's parser (`one`: a list's item)."""
    field = cls.__dataclass_fields__[name]
    parse, args, each = (field.metadata[k] for k in ("parse", "args", "each"))
    if parse is None or (value is None and field.default is None and not one):
        return value
    if each and not one:
        return check.items(value, path, lambda v, p: parse(check, v, p, **args), each)
    return parse(check, value, path, **args)


def keys(cls: type) -> tuple[str, ...]:
    """The config keys of a section: its fields made by `key`."""
    return tuple(f.name for f in dataclasses.fields(cls) if "new" in f.metadata)


def _keys_of(section: Any) -> dict[str, Any]:
    """A section's keys and values, less the `new` ones at their defaults."""
    return {f.name: getattr(section, f.name) for f in dataclasses.fields(section)
            if "new" in f.metadata and not (
                f.metadata["new"] and getattr(section, f.name) == f.default)}


def identity(section: Any) -> dict[str, Any]:
    """A section as the settings hash sees it: `dataclasses.asdict`, less the `new` keys
    at their defaults and the fields that are None and not keys (derived facts)."""
    kept, all_keys = _keys_of(section), keys(type(section))
    return {k: v for k, v in dataclasses.asdict(section).items()
            if k in kept or k not in all_keys and v is not None}


@dataclasses.dataclass(frozen=True)
class DatasetFacts:
    """What a dataset of an open source says of itself, read when the config is parsed."""

    num_classes: int  # of the task (multi-label data: labels)
    class_names: tuple[str, ...]  # one per class index
    multi_label: bool  # an image carries a set of labels (0/1 rows)
    splits: tuple[str, str | None] = ("train", "test")  # test None: held out (test_fraction)
    image_key: str | None = None  # the TFDS features read (None for other sources)
    label_key: str | None = None
    # the content's (a folder's listing, an .npz's bytes, a TFDS name and version), so that
    # resume and the feature cache see changed data as new
    fingerprint: str = ""
    detail: str = ""  # what was found, in a few words, for `data_detail`


@dataclasses.dataclass(frozen=True)
class DatasetConfig:
    """One entry of `datasets`: catalogued (`vocab.DATASETS`), or of an open source whose
    `facts` are read from the data when the config is parsed (`config.describe`)."""

    name: str = key(parse=Checker.string)  # a catalogued dataset, or a name of your own
    source: str = key("embedded")  # checked against the dataset by `parse`
    max_train_samples: int | None = key(None, Checker.integer)  # None: all
    max_test_samples: int | None = key(None, Checker.integer)  # None: all
    classes: tuple[int, ...] | None = key(None, Checker.integer, each="[4, 9]", minimum=0)
    units: int | None = key(None, Checker.integer)  # None: the tutorial's rule
    split: tuple[str, str] | None = key(None, validate.split)  # None: the tutorial's TFDS splits
    data_dir: str | None = key(None, Checker.string)  # None: TFDS's own
    path: str | None = key(None, Checker.string, new=True)  # a folder's or an .npz's
    image_key: str | None = key(None, Checker.string, new=True)  # None: the one found
    label_key: str | None = key(None, Checker.string, new=True)  # None: the one found
    test_fraction: float | None = key(  # None: DEFAULT_TEST_FRACTION
        None, Checker.number, new=True, within=lambda x: 0 < x < 1,
        expected="a number between 0 and 1 (exclusive), e.g. 0.2")
    facts: DatasetFacts | None = None  # read from the data (open sources): not a key

    @property
    def spec(self) -> vocab.DatasetSpec | None:
        """Its catalogue entry; None for a dataset of an open source."""
        return vocab.DATASETS.get(self.name) if self.facts is None else None

    @property
    def num_classes(self) -> int:
        return len(self.classes) if self.classes else (self.spec or self.facts).num_classes

    @property
    def multi_label(self) -> bool:
        return (self.spec or self.facts).multi_label

    @property
    def encodings(self) -> tuple[str, ...]:
        """The label encodings that apply to its labels."""
        return tuple(e.name for e in vocab.ENCODINGS if e.multi_label == self.multi_label)

    @property
    def splits(self) -> tuple[str, str | None]:
        if self.split:
            return self.split
        return self.spec.splits or ("train", "test") if self.spec else self.facts.splits

    @property
    def hold_out_fraction(self) -> float:
        return self.test_fraction or DEFAULT_TEST_FRACTION


@dataclasses.dataclass(frozen=True)
class BackboneConfig:
    name: str = key(vocab.DEFAULT_BACKBONE, Checker.choice, choices=vocab.BACKBONES)  # VGG16
    weights: str = key("random", validate.weights)  # no download, and no claim rests on ImageNet's
    input_size: int = key(32, Checker.integer, minimum=32)  # the tutorial's size, in pixels
    weights_seed: int = key(0, Checker.integer, minimum=0)  # seed of the random re-init
    trainable: bool = key(False, Checker.boolean)  # frozen, as the tutorial's base
    # None: `tutorial` for vgg16, else the application's own (`model`)
    preprocessing: str | None = key(None, Checker.choice, new=True, choices=vocab.PREPROCESSINGS)
    precision: str = key("float32", Checker.choice, new=True,
                         choices=vocab.PRECISIONS)  # bfloat16 changes the numbers a little

    def preprocessing_of(self, backbone: str) -> str:
        """The preprocessing a backbone gets: the configured one, else its own default."""
        return self.preprocessing or vocab.BACKBONES[backbone].default_preprocessing


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    epochs: int = key(20, Checker.integer)  # the tutorial's for one-hot labels (integer: 40)
    batch_size: int = key(64, Checker.integer)  # the tutorial's
    learning_rate: float = key(0.001, Checker.number)  # Adam's default, the tutorial's
    seeds: tuple[int, ...] = key((42,), Checker.integer, each="[1, 2, 3]",
                                 minimum=0)  # the tutorial's `seed=42`
    shuffle: bool = key(False, Checker.boolean)  # the tutorial does not reshuffle
    # `tutorial`: for integer labels only (its `batch(64, drop_remainder=True)`)
    drop_remainder: str | bool = key("tutorial", validate.drop_remainder)
    feature_cache: bool = key(True, Checker.boolean)  # same numbers as through VGG16, faster
    cell_timeout_seconds: float | None = key(None, Checker.number)  # None: no limit

    def end_to_end(self, backbone: BackboneConfig) -> bool:
        """Whether cells train the composed model through VGG16 (no feature cache)."""
        return backbone.trainable or not self.feature_cache

    def drops_remainder(self, encoding: str) -> bool:
        if self.drop_remainder == "tutorial":
            return encoding == "integer"
        return bool(self.drop_remainder)


def _axis(default: Any, example: str, parse: Any = Checker.choice, **args: Any) -> Any:
    return key(default, parse, each=example, **args)


@dataclasses.dataclass(frozen=True)
class GridConfig:
    """The axes crossed per dataset: each a non-empty list of values."""

    encoding: tuple[str, ...] = _axis(  # every encoding: each dataset takes those of its kind
        vocab.ENCODINGS.names, "[integer, onehot, multihot]", choices=vocab.ENCODINGS)
    activation: tuple[str, ...] = _axis(  # the tutorial's three
        vocab.TUTORIAL_ACTIVATIONS, "[none]", choices=vocab.ACTIVATIONS)
    loss: tuple[str, ...] = _axis(  # the tutorial's three
        vocab.TUTORIAL_LOSSES, "[binary_crossentropy]", choices=vocab.LOSSES)
    from_logits: tuple[bool, ...] = _axis((True, False), "[true, false]", Checker.boolean)
    metric: tuple[str, ...] = _axis(  # the tutorial's four
        vocab.TUTORIAL_METRICS, "[accuracy]", validate.metric)
    framework: tuple[str, ...] = _axis(  # the tutorial's Keras
        (vocab.DEFAULT_FRAMEWORK,), "[tensorflow, jax]", choices=vocab.FRAMEWORKS)
    backbone: tuple[str, ...] | None = _axis(  # None: `backbone.name` alone
        None, "[vgg16, mobilenet_v2]", choices=vocab.BACKBONES, new=True)
    label_smoothing: tuple[float, ...] = _axis(  # none, as the tutorial
        (0.0,), "[0.0, 0.1]", Checker.number, new=True, within=lambda x: 0 <= x < 1,
        expected="a number from 0 up to (not including) 1, e.g. 0.1")


@dataclasses.dataclass(frozen=True)
class Override:
    """Training settings for the cells that match `when` (a partial cell, values any-of)."""

    when: dict[str, tuple[Any, ...]]
    set: dict[str, Any]  # TrainingConfig field -> value


@dataclasses.dataclass(frozen=True)
class ResourcesConfig:
    """What each Ray task asks of the cluster (`--executor ray`); the local runner ignores it."""

    gpus_per_task: float = key(0, validate.share("GPU"))  # a CPU cluster runs too
    cpus_per_task: float = key(1, validate.share("CPU"))  # one core per unit
    node_wait_seconds: float = key(  # time for an autoscaler to bring a node
        60, Checker.number, exact=True, within=lambda x: 0 <= x <= MAX_INT,
        expected=f"a number of seconds from 0 to {MAX_INT:,}")


@dataclasses.dataclass(frozen=True)
class Config:
    name: str = key()  # the run directory's: the file name without `.yaml`
    datasets: tuple[DatasetConfig, ...] = key()  # required
    backbone: BackboneConfig = key(BackboneConfig())
    training: TrainingConfig = key(TrainingConfig())
    grid: GridConfig = key(GridConfig())
    exclude: tuple[dict[str, tuple[Any, ...]], ...] = key(())  # partial cells, values any-of
    include: tuple[dict[str, Any], ...] = key(())  # full cells
    overrides: tuple[Override, ...] = key(())
    resources: ResourcesConfig = key(ResourcesConfig())
    environments: tuple[Runtime, ...] = key(DEFAULT_ENVIRONMENTS, new=True)  # current
    source_path: str | None = None  # the file it was read from: not a key

    @property
    def backbones(self) -> tuple[str, ...]:
        """The backbones the grid crosses: `grid.backbone`, else `backbone.name`."""
        return self.grid.backbone or (self.backbone.name,)

    @property
    def runtimes(self) -> tuple[Runtime, ...]:
        """Where the grid's heads train, in order: `current` with each `grid.framework`, a
        backend of this Python, each pinned environment."""
        return tuple(dict.fromkeys(  # `current` and `{backend: jax}` may both give jax
            dataclasses.replace(e, framework=f) for e in self.environments
            for f in ((e.framework,) if e.framework else self.grid.framework)))

    def runtime(self, environment: str, framework: str) -> Runtime:
        return next(r for r in self.runtimes
                    if (r.environment, r.framework) == (environment, framework))

    def dataset(self, name: str) -> DatasetConfig:
        return next(d for d in self.datasets if d.name == name)

    def to_dict(self) -> dict[str, Any]:
        """The resolved config as plain YAML-able data (what `config.yaml` holds): every key
        but the `new` ones at their defaults, so that it parses back to this config."""
        raw = _plain(self)
        if self.grid.backbone is not None:  # the axis replaces the key
            del raw["backbone"]["name"]
        for dataset in raw["datasets"]:
            if dataset["split"] is not None:
                dataset["split"] = dict(zip(("train", "test"), dataset["split"], strict=True))
        for override in raw["overrides"]:
            override["set"] = {f"training.{k}": v for k, v in override["set"].items()}
        return raw


def _plain(value: Any) -> Any:
    """Plain YAML-able data: a section by its keys (`_keys_of`), an environment as given."""
    if isinstance(value, Runtime):
        return value.to_raw()
    if dataclasses.is_dataclass(value):
        return _plain(_keys_of(value) if keys(type(value)) else vars(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
