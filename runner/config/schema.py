"""The settings a grid runs with: frozen dataclasses, one per config section, and the one
statement of every key.

Each field's metadata holds what the docs' key table says of it (`why`, and `shown`
where the default is not a plain value) and the parser that validates it; `load`
parses YAML with those parsers, and `docs` writes the key table from them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from runner import vocab
from runner.config import checks
from runner.config.checks import MAX_INT, Checker, Parser


def setting(default: Any = dataclasses.MISSING, *, why: str, parse: Parser | None,
            shown: str | None = None, key: str | None = None,
            values: vocab.Registry | None = None) -> Any:
    """A config key: its default, what it means, how its value is validated.

    Args:
        why: the docs' meaning of the key, one sentence or a few.
        parse: validates a YAML value; None for keys `load` checks against the
            rest of the document (cross-key rules) or sections with their own fields.
        shown: the default as the docs show it, where it is not a plain value.
        key: the docs' name of the key where it differs from the field's.
        values: the registry of its values, which the docs list after `why`.
    """
    metadata = {"why": why, "parse": parse, "shown": shown, "key": key, "values": values}
    return dataclasses.field(default=default, metadata=metadata)


def _weights(check: Checker, value: Any, path: str) -> str:
    expected = f"one of {list(vocab.WEIGHTS)} or a path to a '.h5' / '.weights.h5' file"
    if not isinstance(value, str) or not value:
        raise check.fail(path, expected, value)
    if value not in vocab.WEIGHTS and not value.endswith(".h5"):
        raise check.fail(path, expected, value,
                         checks.did_you_mean(value, vocab.WEIGHTS).lstrip(". "))
    return value


def _drop_remainder(check: Checker, value: Any, path: str) -> str | bool:
    if not (value == "tutorial" or isinstance(value, bool)):
        raise check.fail(path, "true, false or 'tutorial'", value)
    return value


def _split(check: Checker, value: Any, path: str) -> tuple[str, str]:
    mapping = check.mapping(value, path, ("train", "test"), required=("train", "test"))
    return tuple(check.string(mapping[k], f"{path}.{k}") for k in ("train", "test"))


def _share(device: str) -> Parser:
    """Ray's rule for a task's resources: a share of one device, or whole devices."""
    def parse(check: Checker, value: Any, path: str) -> float:
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not 0 <= value <= MAX_INT or (value > 1 and value != int(value)) \
                or (device == "CPU" and value == 0):
            zero = "0, " if device == "GPU" else ""
            raise check.fail(path, f"{zero}a share of one {device} up to 1 (e.g. 0.5), or a "
                             f"whole number of {device}s", value)
        return value
    return parse


def _seconds(check: Checker, value: Any, path: str) -> float:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or not 0 <= value <= MAX_INT:
        raise check.fail(path, f"a number of seconds from 0 to {MAX_INT:,}", value)
    return value


_AXES = {"encoding": (vocab.ENCODINGS, "[integer, onehot, multihot]"),
         "activation": (vocab.ACTIVATIONS, "[none]"), "loss": (vocab.LOSSES,
                                                             "[binary_crossentropy]"),
         "from_logits": (None, "[true, false]"), "metric": (vocab.METRICS, "[accuracy]"),
         "framework": (vocab.FRAMEWORKS, "[tensorflow, jax]")}


def axis_value(axis: str) -> Parser:
    """The parser of one value of a grid axis (`from_logits`: a boolean)."""
    registry = _AXES[axis][0]
    if registry is None:
        return checks.boolean
    return checks.choice(lambda: registry.names, lambda: registry.aliases)


def _axis(axis: str) -> Parser:
    return checks.items(axis_value(axis), _AXES[axis][1])


def _any(check: Checker, value: Any, path: str) -> Any:
    return value  # checked against the rest of the document by `load`


@dataclasses.dataclass(frozen=True)
class BackboneConfig:
    name: str = setting("vgg16", parse=checks.choice(lambda: vocab.BACKBONES),
                        why="the frozen base (VGG16, the tutorial's)")
    weights: str = setting("random", parse=_weights, why="see [Weights](data.md#weights): "
                           "`imagenet`, `random`, `auto`, or a path to a `.h5` / "
                           "`.weights.h5` file")
    input_size: int = setting(32, parse=checks.integer(32), why="image side in pixels, at "
                              "least 32 (VGG16's minimum, the tutorial's size)")
    weights_seed: int = setting(0, parse=checks.integer(0), why="seed of the random re-init")
    trainable: bool = setting(False, parse=checks.boolean, why="`true` fine-tunes VGG16 with "
                              "each head (end-to-end mode: nothing can be cached, far slower)")


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    epochs: int = setting(20, parse=checks.integer(), why="epochs per head (the tutorial "
                          "trains 20 for one-hot labels, 40 for integer labels)")
    batch_size: int = setting(64, parse=checks.integer(), why="the tutorial's batch size")
    learning_rate: float = setting(0.001, parse=checks.positive_number,
                                   why="Adam's learning rate (its default, the tutorial's)")
    seeds: tuple[int, ...] = setting(
        (42,), parse=checks.items(checks.integer(0), "[1, 2, 3]"), shown="`42`",
        key="training.seed` / `training.seeds", why="one seed, or a list of seeds; each "
        "seeds Keras (`keras.utils.set_random_seed`) and the `GlorotUniform` kernel init "
        "(the tutorial's `seed=42`); with a list every cell runs once per seed")
    shuffle: bool = setting(False, parse=checks.boolean, why="reshuffle the training data "
                            "every epoch (seeded); the tutorial does not")
    drop_remainder: str | bool = setting(
        "tutorial", parse=_drop_remainder, why="drop the last partial training batch: "
        "`tutorial` = for integer labels only (its `batch(64, drop_remainder=True)`; one-hot "
        "uses `batch(64)`), or `true` / `false` for all. Evaluation always uses the whole "
        "test split")
    feature_cache: bool = setting(True, parse=checks.boolean, why="`false` trains the "
                                  "composed model through VGG16 every step, the tutorial's "
                                  "way (same numbers, far slower)")
    cell_timeout_seconds: float | None = setting(
        None, parse=checks.optional(checks.positive_number), shown="none", why="a cell whose "
        "training runs longer is killed and recorded as `phase: timeout` (data loading and "
        "feature extraction do not count)")

    def end_to_end(self, backbone: BackboneConfig) -> bool:
        """Whether cells train the composed model through VGG16 (no feature cache)."""
        return backbone.trainable or not self.feature_cache

    def drops_remainder(self, encoding: str) -> bool:
        if self.drop_remainder == "tutorial":
            return encoding == "integer"
        return bool(self.drop_remainder)


@dataclasses.dataclass(frozen=True)
class DatasetConfig:
    name: str = setting(parse=checks.choice(lambda: vocab.DATASETS.names), shown="required",
                        values=vocab.DATASETS, why="a catalogued dataset (see "
                        "[Datasets](data.md#datasets))")
    source: str = setting("embedded", parse=_any, shown="the dataset's first",
                          why="see [Data sources](data.md#data-sources): `tfds`, `embedded` "
                          "or `auto`; defaults: `mnist`, `mnist_binary` and "
                          "`mnist_multilabel` `embedded` (the last two: only), "
                          "`horses_or_humans` `auto`, `voc2007` `tfds` (only)")
    max_train_samples: int | None = setting(
        None, parse=checks.optional(checks.integer()), shown="all", why="keep the first N "
        "training images (embedded splits are ordered so that any prefix is class-balanced; "
        "`mnist_multilabel`: N canvases, nearly balanced; TFDS keeps its own order)")
    max_test_samples: int | None = setting(
        None, parse=checks.optional(checks.integer()), shown="all",
        why="the same for test images")
    classes: tuple[int, ...] | None = setting(
        None, parse=checks.optional(checks.items(checks.integer(0), "[4, 9]")),
        shown="all digits; `[4, 9]` for `mnist_binary`", why="MNIST digits to keep, in "
        "class-index order (`mnist_binary`: exactly 2; `mnist_multilabel`: at least 2, its "
        "labels)")
    units: int | None = setting(None, parse=checks.optional(checks.integer()),
                                shown="tutorial rule",
                                why="output units of every cell of this dataset")
    split: tuple[str, str] | None = setting(
        None, parse=checks.optional(_split), shown="the tutorial's", why="TFDS splits as "
        "`{train: ..., test: ...}`; `mnist`: `train[:10%]` / `test[:10%]`, "
        "`horses_or_humans`: `train` / `test`, `voc2007`: `train+validation` / `test`")
    data_dir: str | None = setting(
        None, parse=checks.optional(checks.string),
        shown="`$TFDS_DATA_DIR` or `~/tensorflow_datasets`", why="where TFDS keeps its files")

    @property
    def spec(self) -> vocab.DatasetSpec:
        return vocab.DATASETS[self.name]

    @property
    def num_classes(self) -> int:
        return len(self.classes) if self.classes else self.spec.num_classes

    @property
    def splits(self) -> tuple[str, str]:
        return self.split or self.spec.splits or ("train", "test")


@dataclasses.dataclass(frozen=True)
class GridConfig:
    encoding: tuple[str, ...] = setting(
        vocab.ENCODINGS.names, parse=_axis("encoding"), shown="all", values=vocab.ENCODINGS,
        why="label encodings; each dataset is crossed only with the listed encodings of its "
        "kind (single- or multi-label), so one grid can list all of them; a dataset left with "
        "none, or an `include` of the other kind, is a config error")
    activation: tuple[str, ...] = setting(
        vocab.ACTIVATIONS.names, parse=_axis("activation"), shown="all",
        values=vocab.ACTIVATIONS, why="last-layer activations (YAML `null` is `none`)")
    loss: tuple[str, ...] = setting(
        vocab.LOSSES.names, parse=_axis("loss"), shown="all", values=vocab.LOSSES,
        why="losses, by name or Keras class name")
    from_logits: tuple[bool, ...] = setting((True, False), parse=_axis("from_logits"),
                                            shown="`[true, false]`", why="passed to the loss")
    metric: tuple[str, ...] = setting(
        vocab.METRICS.names, parse=_axis("metric"), shown="all", values=vocab.METRICS,
        why="metrics, by name or Keras class name; passed to `compile` as the string, so "
        "`accuracy` resolves the way Keras resolves it")
    framework: tuple[str, ...] = setting(
        (vocab.DEFAULT_FRAMEWORK,), parse=_axis("framework"), shown="`[tensorflow]`",
        values=vocab.FRAMEWORKS, why="which Keras trains the heads (see "
        "[Frameworks](frameworks.md))")


@dataclasses.dataclass(frozen=True)
class Override:
    """Training settings for the cells that match `when` (a partial cell, values any-of)."""

    when: dict[str, tuple[Any, ...]]
    set: dict[str, Any]  # TrainingConfig field -> value


@dataclasses.dataclass(frozen=True)
class ResourcesConfig:
    """What each Ray task asks of the cluster (`--executor ray`); the local runner ignores it."""

    gpus_per_task: float = setting(0, parse=_share("GPU"), why="`--executor ray` only: the "
                                   "GPUs each Ray task asks for: `0`, a share of one GPU up to "
                                   "1 (e.g. `0.5`), or whole GPUs; `1` runs one unit per GPU "
                                   "(see [Ray](ray.md))")
    cpus_per_task: float = setting(1, parse=_share("CPU"), why="`--executor ray` only: the "
                                   "CPUs each Ray task asks for: a share of one CPU up to 1, "
                                   "or whole CPUs")
    node_wait_seconds: float = setting(60, parse=_seconds, why="`--executor ray` only: how "
                                       "long a run waits, once a node has gone, for a node "
                                       "that can take its tasks (an autoscaler may add one) "
                                       "before it records the cells left as `phase: crashed`, "
                                       "`NodeLost` (see [Ray](ray.md#when-a-node-goes))")


@dataclasses.dataclass(frozen=True)
class Config:
    name: str = setting(parse=None, shown="file name without `.yaml`", why="run name; letters, "
                        "digits, `_ . -`; the run directory is `results/<name>/`")
    datasets: tuple[DatasetConfig, ...] = setting(
        parse=None, shown="required", why="non-empty list; each name at most once")
    backbone: BackboneConfig = setting(BackboneConfig(), parse=None, why="the frozen base")
    training: TrainingConfig = setting(TrainingConfig(), parse=None, why="how heads train")
    grid: GridConfig = setting(GridConfig(), parse=None, why="the axes crossed per dataset")
    exclude: tuple[dict[str, tuple[Any, ...]], ...] = setting(
        (), parse=None, shown="none", why="list of partial cells (keys: `dataset` and the "
        "axes); a value may be a list meaning any of them; removes every matching cell; an "
        "entry that matches nothing is a warning")
    include: tuple[dict[str, Any], ...] = setting(
        (), parse=None, shown="none", why="list of full cells (`dataset` and every axis, "
        "optional `units`) added to the grid")
    overrides: tuple[Override, ...] = setting(
        (), parse=None, shown="none", why="list of `{when: <partial cell>, set: "
        "{training.<key>: value, ...}}`: training settings for the matching cells, validated "
        "like `training`; applied in order, a later match wins; an entry that matches nothing "
        "is a warning. E.g. `{when: {encoding: integer}, set: {training.epochs: 40}}`")
    resources: ResourcesConfig = setting(ResourcesConfig(), parse=None,
                                         why="what each Ray task asks for")
    source_path: str | None = None  # the file it was read from: not a key

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


def keys(cls: type) -> tuple[str, ...]:
    """The config keys of a section: its fields that carry a `setting`."""
    return tuple(f.name for f in dataclasses.fields(cls) if "why" in f.metadata)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "source_path"}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
