"""A registry: the named entries of one kind (a loss, a metric, a dataset, ...), in order.

Lookups accept a name or one of an entry's aliases. The order of the entries is
the order of the grid's axes and of the tables' columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Generic, Protocol, TypeVar


class Named(Protocol):
    name: str
    aliases: tuple[str, ...]


E = TypeVar("E", bound=Named)


class Registry(Generic[E]):
    """Entries of one kind, by name; aliases resolve to their entry."""

    def __init__(self, kind: str, entries: Iterable[E]):
        self.kind = kind
        self._entries = {entry.name: entry for entry in entries}
        self.aliases = {alias: entry.name for entry in self._entries.values()
                        for alias in entry.aliases}
        assert not set(self.aliases) & set(self._entries), f"{kind}: an alias is a name"

    @property
    def names(self) -> tuple[str, ...]:
        """Every entry's name, in registry order."""
        return tuple(self._entries)

    def canonical(self, value: object) -> str | None:
        """The name `value` stands for (itself or an alias's entry), or None."""
        if not isinstance(value, str):
            return None
        return value if value in self._entries else self.aliases.get(value)

    def __getitem__(self, name: str) -> E:
        canonical = self.canonical(name)
        if canonical is None:
            raise KeyError(f"Unknown {self.kind}: Expected one of {list(self.names)}. "
                           f"Received: {name!r}")
        return self._entries[canonical]

    def get(self, name: str, default: E | None = None) -> E | None:
        """The entry `name` stands for, or `default`."""
        canonical = self.canonical(name)
        return default if canonical is None else self._entries[canonical]

    def __contains__(self, name: object) -> bool:
        return self.canonical(name) is not None

    def __iter__(self) -> Iterator[E]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def index(self, name: str) -> int:
        """The place of an entry in registry order."""
        return self.names.index(self[name].name)
