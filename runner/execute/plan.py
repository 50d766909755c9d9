"""A grid's units of work (what one call of a worker trains), and the columns naming a row's
cell: every executor runs the same units, in the same order."""

from __future__ import annotations

import dataclasses
from collections.abc import Container
from typing import Any

from runner import vocab
from runner.config import Config
from runner.grid import Cell, settings_hash, training_groups

DataKey = tuple[str, str]  # (dataset, backbone): one set of features


@dataclasses.dataclass(frozen=True)
class Unit:
    """Cell groups (each: cells differing only in metric) trained by one call: several heads
    trained together on cached features, or one group end to end."""

    dataset: str
    mode: str  # 'cached' (heads trained together on features) or 'end-to-end'
    seed: int
    groups: tuple[tuple[Cell, ...], ...]
    backbone: str = vocab.DEFAULT_BACKBONE

    @property
    def data_key(self) -> DataKey:
        return (self.dataset, self.backbone)

    @property
    def cells(self) -> list[Cell]:
        return [c for g in self.groups for c in g]

    @property
    def runtime(self) -> tuple[str, str]:
        """(environment, framework): which worker trains it."""
        return (self.groups[0][0].environment, self.groups[0][0].framework)

    def without(self, done: Container[tuple[str, int]]) -> Unit | None:
        """This unit minus the groups whose every (cell id, seed) is `done`."""
        groups = tuple(g for g in self.groups
                       if not all((c.cell_id, self.seed) in done for c in g))
        return dataclasses.replace(self, groups=groups) if groups else None

    def split(self) -> list[Unit]:
        """One unit per group: to find which group kills a worker."""
        return [dataclasses.replace(self, groups=(g,)) for g in self.groups]

    @property
    def budget_seconds(self) -> float | None:
        """`training.cell_timeout_seconds` once per group (one schedule per unit)."""
        timeout = self.groups[0][0].training.cell_timeout_seconds
        return None if timeout is None else timeout * len(self.groups)


def plan_units(config: Config, cells: list[Cell]) -> list[Unit]:
    """The grid's units in a stable order: runtime, dataset, backbone, end-to-end before the
    heads trained together."""
    by_data: dict[tuple, list[Cell]] = {}
    for c in cells:
        by_data.setdefault((c.environment, c.framework, c.dataset, c.backbone), []).append(c)
    units = []
    for (*_, dataset, backbone), some in by_data.items():
        together: dict[tuple, list[tuple[Cell, ...]]] = {}
        for group in map(tuple, training_groups(some).values()):
            if group[0].training.end_to_end(config.backbone):
                units += [Unit(dataset, "end-to-end", seed, (group,), backbone)
                          for seed in group[0].training.seeds]
            else:
                together.setdefault(group[0].together_key, []).append(group)
        units += [Unit(dataset, "cached", seed, tuple(batch), backbone)
                  for batch in together.values() for seed in batch[0][0].training.seeds]
    return units


def cell_columns(config: Config, cell: Cell, seed: int) -> dict[str, Any]:
    """The first columns of every row: which cell and seed, the effective training settings."""
    t = cell.training
    return {"cell_id": cell.cell_id, "name": cell.name, **cell.params,
            "environment": cell.environment,
            "backbone": cell.backbone, "label_smoothing": cell.label_smoothing,
            "epochs": t.epochs, "batch_size": t.batch_size, "learning_rate": t.learning_rate,
            "shuffle": t.shuffle, "drop_remainder": t.drops_remainder(cell.encoding),
            "seed": seed, "settings_hash": settings_hash(config, cell, seed),
            "head_id": cell.head_id, "base_id": cell.base_id}
