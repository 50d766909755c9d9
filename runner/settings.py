"""The settings a grid runs with: frozen dataclasses, one per config section.

`config.py` builds them from YAML and validates every value; everything
downstream reads them. A one-line why stands beside each default.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from runner import catalog


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
    framework: tuple[str, ...] = (catalog.FRAMEWORKS[0],)  # Keras 3 on TensorFlow


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
