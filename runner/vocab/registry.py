"""A registry: the named entries of one kind, in the order of the grid's axes and the
tables' columns; a lookup takes a name or one of an entry's aliases."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Generic, TypeVar

E = TypeVar("E")


class Registry(Generic[E]):
    """Entries of one kind, by name; aliases resolve to their entry."""

    def __init__(self, kind: str, entries: Iterable[E]):
        self.kind = kind
        self._entries: dict[str, Any] = {entry.name: entry for entry in entries}
        self.names = tuple(self._entries)
        self.aliases = {alias: name for name, entry in self._entries.items()
                        for alias in entry.aliases}
        assert not set(self.aliases) & set(self.names), f"{kind}: an alias is a name"
        self._lookup = {**{name: name for name in self.names}, **self.aliases}

    def canonical(self, value: object) -> str | None:
        """The name `value` stands for (itself or an alias's entry), or None."""
        return self._lookup.get(value) if isinstance(value, str) else None

    def __getitem__(self, name: str) -> E:
        canonical = self.canonical(name)
        if canonical is None:
            raise KeyError(f"Unknown {self.kind}: Expected one of {list(self.names)}. "
                           f"Received: {name!r}")
        return self._entries[canonical]

    def get(self, name: str, default: E | None = None) -> E | None:
        """The entry `name` stands for, or `default`."""
        return self._entries.get(self.canonical(name), default)

    def __contains__(self, name: object) -> bool:
        return self.canonical(name) is not None

    def __iter__(self) -> Iterator[E]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)
