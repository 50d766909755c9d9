"""Every name a config can use, one registry entry each: the axes, the datasets, the backbones."""

from runner.vocab.axes import (
    ACTIVATIONS,
    AXES,
    DEFAULT_FRAMEWORK,
    ENCODINGS,
    FRAMEWORKS,
    METRICS,
    OPEN_SOURCES,
    PRECISIONS,
    SOURCES,
    TOP_K,
    TUTORIAL_ACTIVATIONS,
    TUTORIAL_METRICS,
    WEIGHTS,
    metric,
)
from runner.vocab.backbones import BACKBONES, DEFAULT_BACKBONE, PREPROCESSINGS, BackboneSpec
from runner.vocab.datasets import DATASETS, SECTION_SEPARATOR, DatasetSpec, spec_of
from runner.vocab.losses import COMPARES, LOSSES, TUTORIAL_LOSSES, recommended, short_loss, task
from runner.vocab.registry import Registry

__all__ = ["ACTIVATIONS", "AXES", "BACKBONES", "COMPARES", "DATASETS", "DEFAULT_BACKBONE",
           "DEFAULT_FRAMEWORK", "ENCODINGS", "FRAMEWORKS", "LOSSES", "METRICS", "OPEN_SOURCES",
           "PREPROCESSINGS", "SECTION_SEPARATOR", "SOURCES", "TOP_K", "PRECISIONS",
           "TUTORIAL_ACTIVATIONS", "TUTORIAL_LOSSES", "TUTORIAL_METRICS", "WEIGHTS", "BackboneSpec",
           "DatasetSpec", "Registry", "metric", "recommended", "short_loss", "spec_of", "task"]
