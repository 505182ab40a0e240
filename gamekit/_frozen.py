"""Immutable mappings for frozen data classes: hashable, comparable, picklable.

``FrozenMap`` is a read-only ``Mapping`` with value equality (equal to any
mapping with the same items) and a hash, so a frozen dataclass that holds one
still compares and hashes by value, and pickles without special methods.

``NameMap`` is a ``FrozenMap`` of named things (scenarios, states, schedules)
whose lookups treat ``-`` and ``_`` alike: ``"meta-goal"`` finds a scenario
stored as ``meta_goal`` and the other way round.  Keys are kept as written.

``check_name`` is the one rule for names: non-empty, printable, not too long.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ._validate import printable

__all__ = ["FrozenMap", "NameMap", "normalized", "check_name", "MAX_NAME_LENGTH"]


def normalized(name: str) -> str:
    """The lookup form of a name: ``-`` and ``_`` are the same character."""
    return name.replace("-", "_")


class FrozenMap(Mapping):
    """A read-only mapping with value equality and a hash (insertion order kept)."""

    __slots__ = ("_data",)

    def __init__(self, items: Mapping | None = None):
        object.__setattr__(self, "_data", dict(items or {}))

    def __getitem__(self, key: Any) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __reduce__(self):
        return (type(self), (self._data,))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"


class NameMap(FrozenMap):
    """A ``FrozenMap`` keyed by names, looked up with ``-`` and ``_`` alike."""

    __slots__ = ("_index",)

    def __init__(self, items: Mapping | None = None):
        super().__init__(items)
        index = {}
        for key in self._data:
            index.setdefault(normalized(key), key)
        object.__setattr__(self, "_index", index)

    def key(self, name: object) -> str | None:
        """The stored key that ``name`` refers to, or ``None``."""
        if not isinstance(name, str):
            return None
        if name in self._data:
            return name
        return self._index.get(normalized(name))

    def __getitem__(self, key: Any) -> Any:
        stored = self.key(key)
        if stored is None:
            raise KeyError(key)
        return self._data[stored]

    def __contains__(self, key: object) -> bool:
        return self.key(key) is not None


MAX_NAME_LENGTH = 100
"""Longest name of a population, strategy, parameter, scenario, state, schedule or phase."""


def check_name(kind: str, name: object, error: type[Exception]) -> str:
    """``name`` if it is a usable name of a ``kind`` (a non-empty printable string), else ``error``.

    Control characters (terminal escapes among them) and empty or overlong
    names are refused; the message shows the name escaped.
    """
    if not isinstance(name, str):
        raise error(f"{kind} name {printable(repr(name), 60)} is not a string")
    if not name.strip():
        raise error(f"{kind} name {name!r} is empty")
    if printable(name, len(name) + 1) != name:
        raise error(f"{kind} name {printable(repr(name), 60)} contains control characters")
    if len(name) > MAX_NAME_LENGTH:
        raise error(f"{kind} name {printable(repr(name), 60)} is longer than {MAX_NAME_LENGTH} characters")
    return name
