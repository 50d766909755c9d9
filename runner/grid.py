"""Axes -> cells: per dataset, the cartesian product minus `exclude`, plus `include`; a cell's
stable id, name and head, and the settings hash that resume trusts."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import warnings
from collections.abc import Iterable
from typing import Any

from runner import vocab
from runner.config import Config, DatasetConfig, TrainingConfig, schema
from runner.config.environments import CURRENT
from runner.errors import CheatgridWarning


def _digest(value: Any) -> str:
    """12 hex digits of SHA-256 over canonical JSON: stable across runs, machines, Pythons."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


@dataclasses.dataclass(frozen=True)
class Cell:
    """One experiment: a dataset, a label encoding, a head and a loss, and one metric."""

    dataset: str
    encoding: str
    activation: str
    loss: str
    from_logits: bool
    metric: str
    units: int  # output units of the head
    num_classes: int  # classes of the dataset's task
    framework: str = vocab.DEFAULT_FRAMEWORK  # which Keras trains the head
    backbone: str = vocab.DEFAULT_BACKBONE  # the frozen base whose features it reads
    label_smoothing: float = 0.0  # passed to the loss when not 0
    environment: str = CURRENT  # where it trains: this Python, or a pinned environment's name
    # The effective training settings (config + overrides): not part of the id.
    training: TrainingConfig = dataclasses.field(default=TrainingConfig(), compare=False)

    @property
    def params(self) -> dict[str, Any]:
        """What identifies the cell: all but the training settings; the axes added after ids
        were first stored (those with defaults) only when not at their defaults, so that older
        ids stay."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name != "training" and getattr(self, f.name) != f.default}

    @property
    def cell_id(self) -> str:
        """12 hex digits over the parameters."""
        return _digest(self.params)

    @property
    def base_id(self) -> str:
        """The id of the same cell on the default framework in this Python: matches across
        frameworks and environments."""
        return dataclasses.replace(self, framework=vocab.DEFAULT_FRAMEWORK,
                                   environment=CURRENT).cell_id

    @property
    def head_id(self) -> str:
        """The trained head's id: the parameters but the metric, and the training settings."""
        params = {k: v for k, v in self.params.items() if k != "metric"}
        return _digest({**params, "training": dataclasses.asdict(self.training)})

    @property
    def head_name(self) -> str:
        """The name without the metric: what cells sharing a head have in common."""
        return self.name.rsplit("/", 1)[0]

    @property
    def name(self) -> str:
        """`[framework:|environment:]dataset[@backbone]/encoding/activation[/units=N]/loss/
        logits=..[/label_smoothing=x]/metric`: the bracketed parts only when not the default."""
        logits = f"logits={'true' if self.from_logits else 'false'}"
        dataset = self.dataset + ("" if self.backbone == vocab.DEFAULT_BACKBONE
                                  else f"@{self.backbone}")
        parts = [dataset, self.encoding, self.activation, self.loss, logits, self.metric]
        if self.label_smoothing:
            parts.insert(5, f"label_smoothing={self.label_smoothing:g}")
        if self.units != tutorial_units(self.num_classes, self.encoding):
            parts.insert(3, f"units={self.units}")  # only unusual heads spell it out
        prefix = f"{self.environment}:" if self.environment != CURRENT else \
            "" if self.framework == vocab.DEFAULT_FRAMEWORK else f"{self.framework}:"
        return prefix + "/".join(parts)

    @property
    def together_key(self) -> tuple[Any, ...]:
        """Heads with the same key train together (same features, labels and schedule)."""
        return (self.environment, self.framework, self.backbone, self.dataset, self.encoding,
                self.units, self.num_classes, self.training)


def settings_hash(config: Config, cell: Cell, seed: int) -> str:
    """12 hex digits over all that determines a cell's result at one seed (its parameters and
    effective training, its dataset's and backbone's settings): resume treats a row as done
    only if this still matches, so a changed epoch count is run again, not taken as done."""
    training = {**dataclasses.asdict(cell.training), "seeds": None, "seed": seed}
    identity = {"cell": cell.params, "training": training,
                "dataset": schema.identity(config.dataset(cell.dataset)),
                "backbone": schema.identity(config.backbone)}
    if cell.environment != CURRENT:  # its releases, whatever its name
        identity["environment"] = config.runtime(cell.environment, cell.framework).pins.as_dict()
    return _digest(identity)


def tutorial_units(num_classes: int, encoding: str) -> int:
    """Output units as the tutorial chooses them: one for a binary task with integer labels
    (float 0./1.), else one per class (multi-hot: one per label)."""
    return 1 if encoding == "integer" and num_classes == 2 else num_classes


def _make_cell(dataset: DatasetConfig, units: int | None = None, **params: Any) -> Cell:
    units = units or dataset.units or tutorial_units(dataset.num_classes, params["encoding"])
    return Cell(dataset=dataset.name, units=units, num_classes=dataset.num_classes, **params)


def _hits(cells: list[Cell], what: str, patterns: list[dict[str, tuple[Any, ...]]],
          ) -> list[list[int]]:
    """Per cell, the indices of the patterns it matches; warns about patterns that match no
    cell (usually typos)."""
    hits = [[i for i, pattern in enumerate(patterns)
             if all(getattr(cell, key) in values for key, values in pattern.items())]
            for cell in cells]
    used = {i for cell_hits in hits for i in cell_hits}
    for i, pattern in enumerate(patterns):
        if i not in used:
            warnings.warn(f"{what}[{i}] matches no cell: {pattern}", CheatgridWarning,
                          stacklevel=3)
    return hits


def expand(config: Config) -> list[Cell]:
    """All cells of a config, in a stable order (runtime, dataset, backbone, then the axes in
    config order), each with its effective training (`overrides` applied); a dataset is crossed
    with the listed encodings of its kind of labels. Warns about `exclude` and `overrides`
    entries that match no cell and `include` entries already in the grid: usually typos."""
    axes = {axis: getattr(config.grid, axis) for axis in vocab.AXES if axis != "metric"}
    axes |= {"label_smoothing": config.grid.label_smoothing, "metric": config.grid.metric}
    cells: list[Cell] = []
    for runtime in config.runtimes:  # runtime-major: one worker per framework and environment
        for dataset in config.datasets:
            for backbone in config.backbones:  # then one feature set at a time
                # the config checked that each dataset keeps at least one encoding
                axes["encoding"] = tuple(e for e in config.grid.encoding
                                         if e in dataset.encodings)
                cells += [_make_cell(dataset, framework=runtime.framework,
                                     environment=runtime.environment, backbone=backbone,
                                     **dict(zip(axes, combo, strict=True)))
                          for combo in itertools.product(*axes.values())]
    kept = [cell for cell, hits in zip(cells, _hits(cells, "exclude", config.exclude),
                                       strict=True) if not hits]
    for i, entry in enumerate(config.include):
        params = {"backbone": config.backbones[0],
                  **{k: v for k, v in entry.items() if k != "dataset"}}
        cell = _make_cell(config.dataset(entry["dataset"]), **params)
        if cell in kept:
            warnings.warn(f"include[{i}] is already in the grid: {cell.name}",
                          CheatgridWarning, stacklevel=2)
        else:
            kept.append(cell)
    hits = _hits(kept, "overrides", [o.when for o in config.overrides])
    return [dataclasses.replace(cell, training=dataclasses.replace(
        config.training, **{k: v for i in ix for k, v in config.overrides[i].set.items()}))
        for cell, ix in zip(kept, hits, strict=True)]  # each cell's effective settings


def training_groups(cells: Iterable[Cell]) -> dict[str, list[Cell]]:
    """Cells grouped by their trained head (`Cell.head_id`), in first-seen order."""
    groups: dict[str, list[Cell]] = {}
    for cell in cells:
        groups.setdefault(cell.head_id, []).append(cell)
    return groups


def find(cells: Iterable[Cell], id_or_name: str) -> Cell | None:
    """The cell whose id or name is `id_or_name` (an id prefix of 6+ digits also works)."""
    cells = list(cells)
    exact = [cell for cell in cells if id_or_name in (cell.cell_id, cell.name)]
    hits = exact or [c for c in cells if len(id_or_name) >= 6 and c.cell_id.startswith(id_or_name)]
    return hits[0] if exact or len(hits) == 1 else None
