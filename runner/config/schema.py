"""The settings a grid runs with: frozen dataclasses, one per config section, and the one
statement of every key (`fields.setting`); `datasets[]` has its own module (`dataset`).
"""

from __future__ import annotations

import dataclasses
import re
from functools import partial
from typing import Any

from runner import vocab
from runner.config import validate
from runner.config.dataset import DatasetConfig, DatasetFacts
from runner.config.environments import DEFAULT as DEFAULT_ENVIRONMENTS
from runner.config.environments import EnvironmentConfig, Runtime, runtimes
from runner.config.fields import setting
from runner.config.validate import Checker, Parser

__all__ = ["BackboneConfig", "Config", "DatasetConfig", "DatasetFacts", "EnvironmentConfig",
           "GridConfig", "Override", "ResourcesConfig", "Runtime", "TrainingConfig", "axis_value",
           "keys", "setting"]


_AXES = {"encoding": (vocab.ENCODINGS, "[integer, onehot, multihot]"),
         "activation": (vocab.ACTIVATIONS, "[none]"), "loss": (vocab.LOSSES,
                                                             "[binary_crossentropy]"),
         "from_logits": (None, "[true, false]"), "metric": (vocab.METRICS, "[accuracy]"),
         "framework": (vocab.FRAMEWORKS, "[tensorflow, jax]"),
         "backbone": (vocab.BACKBONES, "[vgg16, mobilenet_v2]"),
         "label_smoothing": (None, "[0.0, 0.1]")}
_METRIC_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _metric(check: Checker, value: Any, path: str) -> str:
    """A listed metric (or its Keras class name), or any other name Keras resolves.

    Keras is imported (seconds) only for a name the registry does not list.
    """
    registry = vocab.METRICS
    if registry.canonical(value) is not None:
        return registry.canonical(value)
    if isinstance(value, str) and _METRIC_NAME.match(value):
        from runner.config.describe import keras_metric_error

        error = keras_metric_error(value)
        if error is None:
            return value
        hint = f"Keras says: {error}"
    else:
        hint = ""
    near = validate.did_you_mean(value, registry.names).lstrip(". ") if isinstance(
        value, str) else ""
    raise check.fail(path, f"one of {list(registry.names)}, or the snake_case name of "
                     "another Keras metric (e.g. auc)", value, " ".join(
                         t for t in (near, hint) if t))


def axis_value(axis: str) -> Parser:
    """The parser of one value of a grid axis (`from_logits`: a boolean)."""
    if axis == "metric":
        return _metric
    if axis == "label_smoothing":
        return validate.label_smoothing
    registry = _AXES[axis][0]
    if registry is None:
        return Checker.boolean
    return partial(Checker.choice, choices=registry)


def _axis(axis: str) -> Parser:
    return validate.items(axis_value(axis), _AXES[axis][1])


@dataclasses.dataclass(frozen=True)
class BackboneConfig:
    name: str = setting(vocab.DEFAULT_BACKBONE, parse=partial(
                        Checker.choice, choices=vocab.BACKBONES),
                        why="the frozen base: VGG16 (the "
                        "tutorial's) or any `keras.applications` model without its top, in "
                        "snake case (see [Backbones](data.md#backbones)); `grid.backbone` "
                        "crosses several")
    weights: str = setting("random", parse=validate.weights, why="see [Weights](data.md#weights): "
                           "`imagenet`, `random`, `auto`, or a path to a `.h5` / "
                           "`.weights.h5` file")
    input_size: int = setting(32, parse=partial(Checker.integer, minimum=32),
                              why="image side in pixels, at least 32 (the tutorial's "
                              "size) and at least each backbone's minimum (75 for the "
                              "Inceptions, 71 for Xception)")
    weights_seed: int = setting(0, parse=partial(Checker.integer, minimum=0),
                                why="seed of the random re-init")
    trainable: bool = setting(False, parse=Checker.boolean, why="`true` fine-tunes the "
                              "backbone with each head (end-to-end mode: nothing can be "
                              "cached, far slower)")
    preprocessing: str | None = setting(
        None, parse=validate.optional(partial(Checker.choice, choices=vocab.PREPROCESSINGS)),
        new=True, shown="`tutorial` for `vgg16`, else `model`", why="`tutorial`: resize, "
        "/255, grey to RGB (the tutorial's, for every base); `model`: resize, grey to RGB, "
        "then the application's own `preprocess_input` on 0-255 pixels")
    precision: str = setting(
        "float32", parse=partial(Checker.choice, choices=vocab.PRECISIONS), new=True,
        why="the frozen backbone's arithmetic: `bfloat16` runs its feature pass under Keras's "
        "`mixed_bfloat16` policy (far faster on CPUs with AMX and on recent accelerators; "
        "the features, and so the numbers, change a little; heads stay float32). Rows "
        "record it in `precision`; see [Speed](speed.md#bfloat16-features)")

    def preprocessing_of(self, backbone: str) -> str:
        """The preprocessing a backbone gets: the configured one, else its own default."""
        return self.preprocessing or vocab.BACKBONES[backbone].default_preprocessing


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    epochs: int = setting(20, parse=Checker.integer, why="epochs per head (the tutorial "
                          "trains 20 for one-hot labels, 40 for integer labels)")
    batch_size: int = setting(64, parse=Checker.integer, why="the tutorial's batch size")
    learning_rate: float = setting(0.001, parse=Checker.positive_number,
                                   why="Adam's learning rate (its default, the tutorial's)")
    seeds: tuple[int, ...] = setting(
        (42,), parse=validate.items(partial(Checker.integer, minimum=0), "[1, 2, 3]"), shown="`42`",
        key="training.seed` / `training.seeds", why="one seed, or a list of seeds; each "
        "seeds Keras (`keras.utils.set_random_seed`) and the `GlorotUniform` kernel init "
        "(the tutorial's `seed=42`); with a list every cell runs once per seed")
    shuffle: bool = setting(False, parse=Checker.boolean, why="reshuffle the training data "
                            "every epoch (seeded); the tutorial does not")
    drop_remainder: str | bool = setting(
        "tutorial", parse=validate.drop_remainder, why="drop the last partial training batch: "
        "`tutorial` = for integer labels only (its `batch(64, drop_remainder=True)`; one-hot "
        "uses `batch(64)`), or `true` / `false` for all. Evaluation always uses the whole "
        "test split")
    feature_cache: bool = setting(True, parse=Checker.boolean, why="`false` trains the "
                                  "composed model through VGG16 every step, the tutorial's "
                                  "way (same numbers, far slower)")
    cell_timeout_seconds: float | None = setting(
        None, parse=validate.optional(Checker.positive_number), shown="none", why="a cell whose "
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
class GridConfig:
    encoding: tuple[str, ...] = setting(
        vocab.ENCODINGS.names, parse=_axis("encoding"), shown="all", values=vocab.ENCODINGS,
        why="label encodings; each dataset is crossed only with the listed encodings of its "
        "kind (single- or multi-label), so one grid can list all of them; a dataset left with "
        "none, or an `include` of the other kind, is a config error")
    activation: tuple[str, ...] = setting(
        vocab.TUTORIAL_ACTIVATIONS, parse=_axis("activation"), shown="the tutorial's three",
        values=vocab.ACTIVATIONS, why="last-layer activations (YAML `null` is `none`; `relu` "
        "and `tanh`, which users write, only when listed)")
    loss: tuple[str, ...] = setting(
        vocab.TUTORIAL_LOSSES, parse=_axis("loss"), shown="the tutorial's three",
        values=vocab.LOSSES, why="losses, by name or Keras class name (the focal, hinge "
        "and regression losses only when listed)")
    from_logits: tuple[bool, ...] = setting((True, False), parse=_axis("from_logits"),
                                            shown="`[true, false]`", why="passed to the loss")
    metric: tuple[str, ...] = setting(
        vocab.TUTORIAL_METRICS, parse=_axis("metric"), shown="the tutorial's four",
        values=vocab.METRICS,
        why="metrics, by name or Keras class name; passed to `compile` as the string, so "
        "`accuracy` resolves the way Keras resolves it (`binary_accuracy_logits`: as "
        "`BinaryAccuracy(threshold=0.0)`); any other Keras metric by its snake_case name "
        "(`auc`, `precision`, ...) is accepted too, without a reference: never "
        "`misleading`")
    framework: tuple[str, ...] = setting(
        (vocab.DEFAULT_FRAMEWORK,), parse=_axis("framework"), shown="`[tensorflow]`",
        values=vocab.FRAMEWORKS, why="which Keras trains the heads (see "
        "[Frameworks](frameworks.md))")
    backbone: tuple[str, ...] | None = setting(
        None, parse=validate.optional(_axis("backbone")), shown="`[<backbone.name>]`",
        new=True, why="frozen bases to cross (names as in `backbone.name`, which it "
        "replaces: give one or the other); each has its own feature cache entry and "
        "the tables a section per backbone")
    label_smoothing: tuple[float, ...] = setting(
        (0.0,), parse=_axis("label_smoothing"), shown="`[0.0]`", new=True,
        why="passed to the loss when not 0; a loss without the argument (`SCCE`, the "
        "hinges) then fails with Keras's error, which is the cell's result")


@dataclasses.dataclass(frozen=True)
class Override:
    """Training settings for the cells that match `when` (a partial cell, values any-of)."""

    when: dict[str, tuple[Any, ...]]
    set: dict[str, Any]  # TrainingConfig field -> value


@dataclasses.dataclass(frozen=True)
class ResourcesConfig:
    """What each Ray task asks of the cluster (`--executor ray`); the local runner ignores it."""

    gpus_per_task: float = setting(0, parse=validate.device_share("GPU"), why="`--executor "
                                   "ray` only: the GPUs each Ray task asks for: `0`, a share of "
                                   "one GPU up to 1 (e.g. `0.5`), or whole GPUs; `1` runs one "
                                   "unit per GPU (see [Ray](ray.md))")
    cpus_per_task: float = setting(1, parse=validate.device_share("CPU"), why="`--executor "
                                   "ray` only: the CPUs each Ray task asks for: a share of one "
                                   "CPU up to 1, or whole CPUs")
    node_wait_seconds: float = setting(60, parse=validate.seconds, why="`--executor ray` only: how "
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
    environments: tuple[EnvironmentConfig, ...] = setting(
        DEFAULT_ENVIRONMENTS, parse=None, shown="`[current]`", new=True, why="where the heads "
        "and the snippets run: `current` (this Python, with each `grid.framework`), "
        "`{backend: jax}` (this Python, another backend), or releases that cheatgrid "
        "builds an environment of with uv: `{keras: '3.4.1', backend: jax}`, `{keras: "
        "'3.0.5', tensorflow: '2.16.2'}`, `{tensorflow: '2.12.1'}` (its Keras 2), "
        "`{tf_keras: '2.21.0'}`; see [Releases](releases.md)")
    source_path: str | None = None  # the file it was read from: not a key

    @property
    def backbones(self) -> tuple[str, ...]:
        """The backbones the grid crosses: `grid.backbone`, else `backbone.name`."""
        return self.grid.backbone or (self.backbone.name,)

    @property
    def runtimes(self) -> tuple[Runtime, ...]:
        """Where the grid's heads train: each environment with its framework(s)."""
        return runtimes(self.environments, self.grid.framework)

    def runtime(self, environment: str, framework: str) -> Runtime:
        return next(r for r in self.runtimes
                    if (r.environment, r.framework) == (environment, framework))

    def dataset(self, name: str) -> DatasetConfig:
        return next(d for d in self.datasets if d.name == name)

    def to_dict(self) -> dict[str, Any]:
        """The resolved config as plain YAML-able data (what `config.yaml` holds): every key
        but the `new` ones at their defaults, so that it parses back to this config."""
        raw = _plain(_keys_of(self))
        for key in ("backbone", "training", "grid", "resources"):
            raw[key] = _plain(_keys_of(getattr(self, key)))
        raw["datasets"] = [_plain(_keys_of(d)) for d in self.datasets]
        if self.grid.backbone is not None:  # the axis replaces the key
            del raw["backbone"]["name"]
        for dataset in raw["datasets"]:
            if dataset["split"] is not None:
                dataset["split"] = dict(zip(("train", "test"), dataset["split"], strict=True))
        if "environments" in raw:
            raw["environments"] = [e.to_raw() for e in self.environments]
        for override in raw["overrides"]:
            override["set"] = {f"training.{k}": v for k, v in override["set"].items()}
        return raw


def _keys_of(section: Any) -> dict[str, Any]:
    """A section's keys and values, less the `new` ones at their defaults."""
    return {f.name: getattr(section, f.name) for f in dataclasses.fields(section)
            if "why" in f.metadata and not (
                f.metadata["new"] and getattr(section, f.name) == f.default)}


def keys(cls: type) -> tuple[str, ...]:
    """The config keys of a section: its fields that carry a `setting`."""
    return tuple(f.name for f in dataclasses.fields(cls) if "why" in f.metadata)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "source_path"}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
