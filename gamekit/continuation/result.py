"""The result of :func:`gamekit.continuation`: branches of rest points, bifurcation points, and the diagram."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import sympy

from .._validate import printable
from ..errors import ArgumentError
from ..game import Game
from ..stability import Stability

__all__ = ["BranchPoint", "Branch", "Bifurcation", "Continuation", "KINDS"]

Kind = Literal["transcritical", "fold", "hopf", "degenerate"]
KINDS: tuple[Kind, ...] = ("transcritical", "fold", "hopf", "degenerate")
"""Kinds of bifurcation point: ``transcritical`` -- a branch meets a face or another branch (a real eigenvalue
crosses zero where two branches cross); ``fold`` -- the branch turns back in the parameter (two rest points are born
or die together); ``hopf`` -- a complex pair of eigenvalues crosses the imaginary axis; ``degenerate`` -- rest points
that are not isolated (a line of rest points) at one parameter value."""


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def _state_text(state) -> str:
    if all(len(s) == 2 for s in state):
        return "(" + ", ".join(_fmt(s[0]) for s in state) + ")"
    return "; ".join("(" + ", ".join(_fmt(v) for v in s) + ")" for s in state)


def _value_text(value) -> str:
    return sympy.sstr(value) if isinstance(value, sympy.Basic) else _fmt(float(value))


@dataclass(frozen=True)
class BranchPoint:
    """One rest point on a branch: the parameter ``value``, the ``state`` (each population's mixed strategy), the
    ``eigenvalues`` of the tangent Jacobian and the ``stability`` label (as :func:`gamekit.equilibria` gives them)."""

    value: float
    state: tuple[tuple[float, ...], ...]
    eigenvalues: tuple[complex, ...]
    stability: Stability

    def to_json(self) -> dict:
        return {
            "value": float(self.value),
            "state": [list(map(float, s)) for s in self.state],
            "eigenvalues": [[float(z.real), float(z.imag)] for z in self.eigenvalues],
            "stability": str(self.stability),
        }


@dataclass(frozen=True)
class Branch:
    """A connected curve of rest points on one face (``support``: the strategies in use).  ``exact`` holds, where the
    face's rest points are rational functions of the parameter, each population's shares as sympy expressions in it
    (else None: the branch was followed by pseudo-arclength continuation)."""

    support: tuple[tuple[str, ...], ...]
    points: tuple[BranchPoint, ...]
    exact: tuple[tuple[sympy.Expr, ...], ...] | None = field(default=None, repr=False)

    @property
    def values(self) -> np.ndarray:
        """The parameter values of the points."""
        return np.array([p.value for p in self.points])

    @property
    def states(self) -> np.ndarray:
        """The full shares of the points, (N, D)."""
        return np.array([np.concatenate([np.asarray(s) for s in p.state]) for p in self.points])

    def describe(self) -> str:
        face = "; ".join("{" + ", ".join(s) + "}" for s in self.support)
        if self.exact is not None and all(len(s) == 2 for s in self.exact):
            what = "(" + ", ".join(sympy.sstr(s[0]) for s in self.exact) + ")"
            return f"{what} on {face}"
        return f"{face}"

    def __str__(self) -> str:
        lo, hi = min(p.value for p in self.points), max(p.value for p in self.points)
        runs, last = [], None
        for p in self.points:
            if p.stability is not last:
                runs.append(str(p.stability))
                last = p.stability
        return f"{self.describe()}: {_fmt(lo)} .. {_fmt(hi)}, {' -> '.join(runs)} ({len(self.points)} points)"

    def to_json(self) -> dict:
        return {"points": [p.to_json() for p in self.points]}


@dataclass(frozen=True)
class Bifurcation:
    """A bifurcation point: its ``kind`` (one of :data:`KINDS`), the parameter ``value`` (a sympy number when exact,
    printed as ``3``; else a float), the ``state``, a ``note`` saying what meets there, whether the value is ``exact``,
    and the ``eigenvalues`` of the tangent Jacobian there."""

    kind: Kind
    value: float | sympy.Expr
    state: tuple[tuple[float, ...], ...]
    note: str = ""
    exact: bool = False
    eigenvalues: tuple[complex, ...] = ()

    def __str__(self) -> str:
        note = f": {self.note}" if self.note else ""
        return f"{self.kind} at {_value_text(self.value)}, state {_state_text(self.state)}{note}"

    def to_json(self) -> dict:
        return {"kind": self.kind, "value": float(self.value), "state": [list(map(float, s)) for s in self.state]}


@dataclass(frozen=True)
class Continuation:
    """Every branch of rest points of ``game`` as ``parameter`` runs over ``interval``, with the bifurcation points.

    ``notes`` say what the search could not decide (a face followed only from seeds, a branch that stalled).
    """

    parameter: str
    interval: tuple[float, float]
    branches: tuple[Branch, ...]
    bifurcations: tuple[Bifurcation, ...]
    notes: tuple[str, ...] = ()
    game: Game | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict:
        """``{"model", "parameter", "branches": [{"points": [...]}], "bifurcations": [...]}``."""
        return {
            "model": self.game.name if self.game is not None else "",
            "parameter": self.parameter,
            "branches": [b.to_json() for b in self.branches],
            "bifurcations": [b.to_json() for b in self.bifurcations],
        }

    def to_frame(self):
        """One row per branch point: ``branch``, the parameter's value, every share, ``stability``."""
        import pandas as pd

        rows = []
        names = _share_names(self.game) if self.game is not None else None
        for k, b in enumerate(self.branches):
            for p in b.points:
                flat = np.concatenate([np.asarray(s) for s in p.state])
                row = {"branch": k, self.parameter: float(p.value)}
                row.update({n: float(v) for n, v in zip(names or range(len(flat)), flat)})
                row["stability"] = str(p.stability)
                rows.append(row)
        return pd.DataFrame(rows)

    def __str__(self) -> str:
        lo, hi = self.interval
        lines = [f"continuation in {self.parameter} from {_fmt(lo)} to {_fmt(hi)}: {len(self.branches)} branches"]
        lines += ["  " + str(b) for b in self.branches]
        lines.append(f"bifurcation points: {len(self.bifurcations)}")
        lines += ["  " + str(b) for b in self.bifurcations]
        lines += [f"({n})" for n in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Continuation({self.parameter}: {len(self.branches)} branches, {len(self.bifurcations)} bifurcation points)"

    def _repr_markdown_(self) -> str:
        lines = ["| kind | value | state | note |", "|---|---|---|---|"]
        for b in self.bifurcations:
            lines.append(f"| {b.kind} | {_value_text(b.value)} | {_state_text(b.state)} | {b.note} |")
        head = f"**continuation in {self.parameter}**: {len(self.branches)} branches\n\n"
        return head + "\n".join(lines) + "".join(f"\n\n({n})" for n in self.notes)

    def plot(self, share: str | None = None, ax: object | None = None, labels: bool = True, legend: bool = True):
        """The bifurcation diagram drawn by :func:`gamekit.plot.bifurcation`: the parameter on x, ``share`` on y
        (``"population.strategy"``, a population's name for its first strategy, or a named share; default the first
        population's first strategy).  Stable stretches solid, unstable dashed, non-hyperbolic dotted; bifurcation
        points marked by kind and, with ``labels``, annotated; with ``legend``, a key to the right of the axes (turn
        it off on all panels but one of a grid).  Draws on ``ax`` when given; returns the figure."""
        from .. import plot

        return plot.bifurcation(self, share, ax, labels=labels, legend=legend)


def _short(value, interval) -> str:
    """A label's value: exact as sympy prints it, else 4 significant digits (0 when within rounding of zero)."""
    if isinstance(value, sympy.Basic) and (value.is_Rational or not value.is_number):
        return sympy.sstr(value)
    v = float(value)
    return "0" if abs(v) <= 1e-9 * (interval[1] - interval[0]) else f"{v:.4g}"


def _share_names(game: Game) -> list[str]:
    return [f"{p.name}.{s}" for p in game.populations for s in p.strategies]


def _share_column(game: Game | None, share: str | None) -> tuple[int, str]:
    """The column of the full shares that ``share`` names, and its axis label."""
    if game is None:
        raise ArgumentError("this result has no game to name its shares; plot needs it")
    names = _share_names(game)
    if share is None:
        return 0, names[0]
    if not isinstance(share, str):
        raise ArgumentError(f"share must be 'population.strategy', a population or a named share, got {share!r}")
    if share in game.shares:
        p, i = game.share_index(share)
        return int(sum(game.shape[:p])) + i, share
    if share in names:
        return names.index(share), share
    for p, pop in enumerate(game.populations):
        if pop.name == share:
            return int(sum(game.shape[:p])), names[int(sum(game.shape[:p]))]
    raise ArgumentError(
        f"share {printable(repr(share))} is not a share of this game (e.g. {printable(names[0])}, or a population name)"
    )
