"""The state space: the product of the populations' simplices.

Population ``p`` plays the mixed strategy ``sigma_p`` in the simplex
``Delta_p = {sigma in R^{n_p} : sigma >= 0, sum sigma = 1}``; the state is
``sigma = (sigma_0, ..., sigma_{k-1})`` in ``Delta = prod_p Delta_p``.

Two layouts of a state as a flat row are accepted everywhere:

* **full**: every population's mixed strategy, concatenated (width ``sum n_p``);
* **shares**: when every population has two strategies, each population's share
  of its *first* strategy (width ``k``) — the ``(x, y, z)`` of a paper.

A third layout describes **one** state: a sequence of ``k`` rows, row ``p`` population ``p``'s
mixed strategy (width ``n_p``) -- the layout of ``Equilibrium.state``.  :meth:`StateSpace.one`
reads exactly one state in any of the three layouts (a ragged sequence of rows is always this
layout, also in :meth:`StateSpace.full`); several rows that are not one state per population are
refused there rather than silently cut to the first.

``coordinates`` is the layout gamekit returns: shares when every population has
two strategies, full otherwise.
"""

from __future__ import annotations

import math

import numpy as np

from . import _validate as check
from .errors import ArgumentError, StateError

__all__ = ["StateSpace", "MAX_GRID_POINTS"]

MAX_GRID_POINTS = 10_000_000  # a grid larger than this would not fit in memory as starting states


class StateSpace:
    """Validation, sampling and layout conversion for a game's state space."""

    def __init__(self, shape: tuple[int, ...], names: tuple[str, ...] = ()):
        try:
            shape = tuple(shape)
        except TypeError:
            raise ArgumentError(
                f"shape must be a tuple of strategy counts, got {check.printable(repr(shape), 60)}"
            ) from None
        if not shape:
            raise ArgumentError("shape must name at least one population")
        self.shape = tuple(check.integer("shape entry", n, minimum=1) for n in shape)
        names = tuple(names)
        if names and len(names) != len(self.shape):
            raise ArgumentError(f"names must give one name per population ({len(self.shape)}), got {len(names)}")
        self.names = names or tuple(f"population {p}" for p in range(len(shape)))
        self.offsets = np.concatenate([[0], np.cumsum(self.shape)]).astype(int)
        self.full_width = int(self.offsets[-1])
        self.two_strategy = all(n == 2 for n in self.shape)
        self.width = len(self.shape) if self.two_strategy else self.full_width

    def _per_population(self, state):
        """``state`` as one full row if it is a sequence of one row per population (row ``p`` of width ``n_p``)."""
        if isinstance(state, np.ndarray) and state.dtype != object:
            if state.ndim != 2 or state.shape[0] != len(self.shape):  # (never list a million rows to count them)
                return None
            rows = list(state)
        elif isinstance(state, (list, tuple)) or (isinstance(state, np.ndarray) and state.dtype == object):
            rows = list(state)
        else:
            return None
        if len(rows) != len(self.shape):
            return None
        try:
            lengths = [len(r) for r in rows]
        except TypeError:
            return None
        if lengths != list(self.shape):
            return None
        return [x for r in rows for x in r]

    def one(self, state, *, atol: float = 1e-9, name: str = "state") -> np.ndarray:
        """Exactly one state as a full row (width ``sum n_p``), validated.

        Accepts a flat row (full, or shares when every population has two strategies), an array with one
        such row, or one row per population (``Equilibrium.state``'s layout).  Anything else with several
        rows is a :class:`~gamekit.StateError`: one state is wanted, and rows are never silently dropped.
        """
        flat = self._per_population(state)
        if flat is not None:
            return self.full([flat], atol=atol, name=name)[0]
        arr = self.full(state, atol=atol, name=name)
        if arr.shape[0] != 1:
            layouts = (
                f"a row of {len(self.shape)} first-strategy share(s), a row of {self.full_width} full shares"
                if self.two_strategy
                else f"a row of {self.full_width} shares"
            )
            raise StateError(
                f"{name} must be ONE state: {layouts}, or one mixed strategy per population "
                f"({len(self.shape)} rows of widths {', '.join(map(str, self.shape))}); got {arr.shape[0]} rows"
            )
        return arr[0]

    def full(self, states, *, atol: float = 1e-9, name: str = "states") -> np.ndarray:
        """States as an (N, sum n_p) array of mixed strategies, validated (errors call them ``name``).

        A ragged sequence of one row per population (row ``p`` of width ``n_p``, not all equal) is one state.
        """
        flat = self._per_population(states)
        if flat is not None and len(set(self.shape)) > 1:
            states = [flat]
        arr = check.floats(
            states, f"{name} must be an (N, d) array of real shares, every row of the same length", StateError
        )
        if arr.size == 0:
            raise StateError(f"{name} must be an (N, d) array with N >= 1; got shape {arr.shape}")
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[0] == 0:
            raise StateError(f"{name} must be an (N, d) array with N >= 1; got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise StateError(f"{name}: a state contains NaN or infinity")
        if self.two_strategy and arr.shape[1] == len(self.shape):
            if np.any(arr < -atol) or np.any(arr > 1 + atol):
                row = int(np.argmax(np.any((arr < -atol) | (arr > 1 + atol), axis=1)))
                raise StateError(
                    f"{name}: state {arr[row].tolist()} is outside the unit cube: shares must lie in [0, 1]"
                )
            arr = np.clip(arr, 0.0, 1.0)
            out = np.empty((arr.shape[0], self.full_width))
            out[:, 0::2] = arr
            out[:, 1::2] = 1.0 - arr
            return out
        if arr.shape[1] != self.full_width:
            want = (
                f"{len(self.shape)} (one share per population) or {self.full_width}"
                if self.two_strategy
                else str(self.full_width)
            )
            raise StateError(f"{name}: rows have width {arr.shape[1]}; this game's states have width {want}")
        for p, (a, b) in enumerate(zip(self.offsets[:-1], self.offsets[1:])):
            block = arr[:, a:b]
            bad = np.any(block < -atol, axis=1) | (np.abs(block.sum(axis=1) - 1.0) > 1e3 * atol + 1e-9)
            if np.any(bad):
                row = int(np.argmax(bad))
                raise StateError(
                    f"{name}: {self.names[p]}'s mixed strategy {block[row].tolist()} is not in the simplex "
                    "(shares must be non-negative and sum to 1)"
                )
        arr = np.clip(arr, 0.0, None)
        for a, b in zip(self.offsets[:-1], self.offsets[1:]):
            arr[:, a:b] /= arr[:, a:b].sum(axis=1, keepdims=True)
        return arr

    def coordinates(self, full: np.ndarray) -> np.ndarray:
        """Full mixed strategies in the layout gamekit returns (shares for two-strategy games)."""
        full = np.asarray(full, dtype=float)
        return full[..., 0::2].copy() if self.two_strategy else full.copy()

    def split(self, full_row) -> list[np.ndarray]:
        """One state as a list of each population's mixed strategy."""
        return [np.asarray(full_row[a:b]) for a, b in zip(self.offsets[:-1], self.offsets[1:])]

    def sample(self, n: int, rng: int | np.random.Generator | np.random.SeedSequence | None = None) -> np.ndarray:
        """``n`` states uniform on the product of simplices (full layout)."""
        n = check.integer("n", n, minimum=1)
        rng = check.generator(rng)
        blocks = [rng.dirichlet(np.ones(k), size=n) for k in self.shape]
        return np.concatenate(blocks, axis=1)

    def grid(self, per_axis: int) -> np.ndarray:
        """A regular interior grid (full layout): cell centres of each simplex, all combinations."""
        per_axis = check.integer("grid", per_axis, minimum=1)
        # points per population: compositions c of at most m - 1 into k - 1 parts, C(m - 1 + k - 1, k - 1)
        count = math.prod(math.comb(per_axis - 1 + k - 1, k - 1) if k > 1 else 1 for k in self.shape)
        if count > MAX_GRID_POINTS:
            raise ArgumentError(
                f"grid={per_axis} gives {count:,} starting states, more than {MAX_GRID_POINTS:,}; use a smaller grid"
            )
        per_pop = []
        for k in self.shape:
            m = per_axis
            pts = np.array([[(ci + 1 / 3) / m for ci in c] for c in _below(k - 1, m)], dtype=float)
            pts = pts.reshape(len(pts), k - 1)
            if k == 1:
                per_pop.append(np.ones((1, 1)))
            elif k == 2:
                per_pop.append(np.column_stack([(np.arange(m) + 0.5) / m, 1 - (np.arange(m) + 0.5) / m]))
            else:
                per_pop.append(np.column_stack([pts, 1 - pts.sum(axis=1)]))
        mesh = np.meshgrid(*[np.arange(len(b)) for b in per_pop], indexing="ij")
        return np.concatenate([b[m.ravel()] for b, m in zip(per_pop, mesh)], axis=1)


def _below(parts: int, m: int, prefix: tuple = ()):
    """Tuples of ``parts`` non-negative integers with sum below ``m``, in lexicographic order."""
    if parts == 0:
        yield prefix
        return
    for c in range(m - sum(prefix)):
        yield from _below(parts - 1, m, prefix + (c,))
