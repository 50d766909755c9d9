"""Axes -> cells: per dataset, the cartesian product minus `exclude`, plus `include`."""

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
        """The parameters that identify the cell: everything but the training settings;
        the axes added after ids were first stored (framework, backbone, label smoothing,
        environment) only when not at their defaults, so that the ids of the cells without
        them stay."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name != "training" and not (
                    f.name in _DEFAULTS and getattr(self, f.name) == _DEFAULTS[f.name])}

    @property
    def base_id(self) -> str:
        """The id of the same cell on the default framework in this Python: matches across
        frameworks and environments."""
        return dataclasses.replace(self, framework=vocab.DEFAULT_FRAMEWORK,
                                   environment=CURRENT).cell_id

    @property
    def cell_id(self) -> str:
        """12 hex digits of SHA-256 over the canonical JSON of the parameters.

        Stable across runs, machines and Python versions: it depends on nothing
        but the parameter values.
        """
        canonical = json.dumps(self.params, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]

    @property
    def head_id(self) -> str:
        """12 hex digits identifying the trained head: the parameters but the metric, and
        the training settings. Cells with the same head_id share one trained head."""
        params = {k: v for k, v in self.params.items() if k != "metric"}
        params["training"] = dataclasses.asdict(self.training)
        canonical = json.dumps(params, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]

    @property
    def head_name(self) -> str:
        """The name without the metric: what cells sharing a head have in common."""
        return self.name.rsplit("/", 1)[0]

    @property
    def name(self) -> str:
        """`[framework:|environment:]dataset[@backbone]/encoding/activation[/units=N]/loss/
        logits=..[/label_smoothing=x]/metric`: the bracketed parts only when not the
        default (a pinned environment's name says its framework)."""
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
        """Heads with the same key can be trained together (same features and labels, same
        schedule)."""
        return (self.environment, self.framework, self.backbone, self.dataset, self.encoding,
                self.units,
                self.num_classes, self.training)


_DEFAULTS = {"framework": vocab.DEFAULT_FRAMEWORK, "backbone": vocab.DEFAULT_BACKBONE,
             "label_smoothing": 0.0, "environment": CURRENT}


def settings_hash(config: Config, cell: Cell, seed: int) -> str:
    """12 hex digits over everything that determines a cell's result at one seed: its
    parameters, its effective training settings, its dataset's and the backbone's
    settings. Resume treats a row as done only if this still matches, so a changed
    epoch count or sample cap is run again rather than mistaken for done."""
    training = {**dataclasses.asdict(cell.training), "seeds": None, "seed": seed}
    identity = {"cell": cell.params, "training": training,
                "dataset": schema.identity(config.dataset(cell.dataset)),
                "backbone": schema.identity(config.backbone)}
    if cell.environment != CURRENT:  # its releases, whatever its name
        identity["environment"] = config.runtime(cell.environment, cell.framework).pins.as_dict()
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def tutorial_units(num_classes: int, encoding: str) -> int:
    """Output units as the tutorial chooses them.

    A binary task with integer labels gets one unit (labels as float 0./1.);
    everything else gets one unit per class (multi-hot: one per label).
    """
    return 1 if encoding == "integer" and num_classes == 2 else num_classes


def _make_cell(dataset: DatasetConfig, units: int | None = None, **params: Any) -> Cell:
    units = units or dataset.units or tutorial_units(dataset.num_classes, params["encoding"])
    return Cell(dataset=dataset.name, units=units, num_classes=dataset.num_classes, **params)


def _axes(config: Config) -> dict[str, tuple[Any, ...]]:
    """Every axis and its values, in the order cells are named and crossed."""
    values = {axis: getattr(config.grid, axis) for axis in vocab.AXES if axis != "metric"}
    values["label_smoothing"] = config.grid.label_smoothing  # a head's: before the metric
    values["metric"] = config.grid.metric
    return values


def _matches(cell: Cell, pattern: dict[str, tuple[Any, ...]]) -> bool:
    return all(getattr(cell, key) in values for key, values in pattern.items())


def _with_overrides(config: Config, cells: list[Cell]) -> list[Cell]:
    """Give each cell its effective training settings; warn about overrides that match
    no cell."""
    result = []
    used = [False] * len(config.overrides)
    for cell in cells:
        settings: dict[str, Any] = {}
        for i, override in enumerate(config.overrides):
            if _matches(cell, override.when):
                settings.update(override.set)
                used[i] = True
        result.append(dataclasses.replace(
            cell, training=dataclasses.replace(config.training, **settings)))
    for i, was_used in enumerate(used):
        if not was_used:
            warnings.warn(f"overrides[{i}] matches no cell: {config.overrides[i].when}",
                          CheatgridWarning, stacklevel=3)
    return result


def expand(config: Config) -> list[Cell]:
    """All cells of a config, in a stable order (runtime, dataset, backbone, then the axes
    in config order), each carrying its effective training settings (`overrides` applied).
    A dataset is crossed with the listed encodings that apply to its labels
    (`DatasetConfig.encodings`).

    Warns (`CheatgridWarning`) about `exclude` and `overrides` entries that match
    no cell and `include` entries already in the grid: usually typos.
    """
    cells: list[Cell] = []
    for runtime in config.runtimes:  # runtime-major: one worker per framework and environment
        for dataset in config.datasets:
            for backbone in config.backbones:  # then one feature set at a time
                axes = _axes(config)
                # Each dataset with the encodings of its kind of labels only (checked by the
                # config to leave at least one): multi-hot for multi-label data, else
                # integer/one-hot.
                axes["encoding"] = tuple(e for e in config.grid.encoding
                                         if e in dataset.encodings)
                for combo in itertools.product(*axes.values()):
                    cells.append(_make_cell(dataset, framework=runtime.framework,
                                            environment=runtime.environment, backbone=backbone,
                                            **dict(zip(axes, combo, strict=True))))
    used = [False] * len(config.exclude)
    kept = []
    for cell in cells:
        hits = [i for i, pattern in enumerate(config.exclude) if _matches(cell, pattern)]
        for i in hits:
            used[i] = True
        if not hits:
            kept.append(cell)
    for i, was_used in enumerate(used):
        if not was_used:
            warnings.warn(f"exclude[{i}] matches no cell: {config.exclude[i]}",
                          CheatgridWarning, stacklevel=2)
    seen = set(kept)
    for i, entry in enumerate(config.include):
        params = {"backbone": config.backbones[0],
                  **{k: v for k, v in entry.items() if k != "dataset"}}
        cell = _make_cell(config.dataset(entry["dataset"]), **params)
        if cell in seen:
            warnings.warn(f"include[{i}] is already in the grid: {cell.name}",
                          CheatgridWarning, stacklevel=2)
            continue
        seen.add(cell)
        kept.append(cell)
    return _with_overrides(config, kept)


def training_groups(cells: Iterable[Cell]) -> dict[str, list[Cell]]:
    """Cells grouped by their trained head (`Cell.head_id`), in first-seen order."""
    groups: dict[str, list[Cell]] = {}
    for cell in cells:
        groups.setdefault(cell.head_id, []).append(cell)
    return groups


def find(cells: Iterable[Cell], id_or_name: str) -> Cell | None:
    """The cell whose id or name is `id_or_name` (an id prefix of 6+ digits also works)."""
    cells = list(cells)
    for cell in cells:
        if id_or_name in (cell.cell_id, cell.name):
            return cell
    if len(id_or_name) >= 6:
        hits = [c for c in cells if c.cell_id.startswith(id_or_name)]
        if len(hits) == 1:
            return hits[0]
    return None
