"""Every name a config can use, one registry entry each: the axes and the datasets."""

from runner.vocab.axes import (
    ACTIVATIONS,
    AXES,
    BACKBONES,
    DEFAULT_FRAMEWORK,
    ENCODINGS,
    FRAMEWORKS,
    LOSSES,
    METRICS,
    SOURCES,
    WEIGHTS,
    recommended,
    short_loss,
    task,
)
from runner.vocab.datasets import DATASETS, SECTION_SEPARATOR, DatasetSpec, spec_of
from runner.vocab.registry import Registry

__all__ = ["ACTIVATIONS", "AXES", "BACKBONES", "DATASETS", "DEFAULT_FRAMEWORK", "ENCODINGS",
           "FRAMEWORKS", "LOSSES", "METRICS", "SECTION_SEPARATOR", "SOURCES", "WEIGHTS",
           "DatasetSpec", "Registry", "recommended", "short_loss", "spec_of", "task"]
