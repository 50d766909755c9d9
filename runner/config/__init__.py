"""The config: its schema (one dataclass per section), its checks, and YAML loading."""

from runner.config.parse import (
    QUICK_EPOCHS,
    QUICK_TEST_SAMPLES,
    QUICK_TRAIN_SAMPLES,
    framework_missing,
    parse_config,
    quick,
)
from runner.config.ready import apply_settings, load_config
from runner.config.schema import (
    BackboneConfig,
    Config,
    DatasetConfig,
    ResourcesConfig,
    Runtime,
    TrainingConfig,
)

__all__ = ["QUICK_EPOCHS", "QUICK_TEST_SAMPLES", "QUICK_TRAIN_SAMPLES", "BackboneConfig",
           "Config", "DatasetConfig", "ResourcesConfig", "Runtime", "TrainingConfig",
           "apply_settings", "framework_missing", "load_config", "parse_config", "quick"]
