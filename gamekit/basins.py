"""Basins of attraction: the share of the state space that reaches each outcome.

Orbits start from ``n`` uniform draws on the product of simplices (or a regular
grid) and are integrated by :func:`gamekit.simulate`; each outcome's share
``k / n`` comes with its Wilson score interval (95%)::

    centre = (p + z^2 / 2n) / (1 + z^2 / n),
    half   = z sqrt(p (1 - p) / n + z^2 / 4n^2) / (1 + z^2 / n),     p = k / n, z = 1.96,

which, unlike the normal approximation, stays inside [0, 1] and is honest for
shares near 0 or 1 (an interval ends at exactly 0 when ``k = 0`` and at 1 when
``k = n``).

Every outcome that is a rest point -- a pure profile, or in a game that is not
multilinear a mixed rest point (see :mod:`gamekit.simulate`) -- comes with its
state, ``{population: {strategy: share}}`` (``Basins.states``, and ``"state"`` in
``to_json()``; ``None`` for cycling and unresolved orbits).

Under another dynamics (``dynamics="smith"``, ``"logit:0.5"``, ... passed on to
:func:`gamekit.simulate`, which says how those orbits are integrated and
decided) the outcomes are that dynamics' rest points and cycles, and
``Basins.dynamics`` names it.  Noisy paths have no basins in this sense: their
outcome probabilities come from ``gk.simulate(..., noise=...)`` itself.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _validate as check
from .errors import ArgumentError
from .game import Game
from .simulate import Trajectory, simulate
from .space import StateSpace

__all__ = ["Basins", "basins", "wilson_interval"]

MAX_ORBITS = 10**8  # orbits in one call: the starting states alone take sum(n_p) * 8 bytes each
# what basins passes on to simulate (initial and t_end it sets itself)
_SIMULATE_OPTIONS = frozenset(inspect.signature(simulate).parameters) - {"game", "initial", "t_end"}


def wilson_interval(k, n, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval for a binomial share ``k / n`` (95% by default)."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if k == 0 else float(max(0.0, centre - half))
    high = 1.0 if k == n else float(min(1.0, centre + half))
    return (low, high)


@dataclass(frozen=True, eq=False)
class Basins:
    """The result of :func:`basins`: the share of starting states reaching each outcome.

    Attributes
    ----------
    outcomes
        The outcomes met, most frequent first (a profile, a mixed rest point ``"(0.5, 0.5)"`` in a game
        that is not multilinear, ``"cycling on ..."`` or ``"unresolved"``).
    shares, ci_low, ci_high
        Share of orbits per outcome and its Wilson 95% interval.
    orbits
        Number of orbits per outcome.
    n, t_end, game
        Orbits in all, integration time, the game's name.
    dynamics
        The dynamics the orbits followed (``"replicator"``, ``"smith"``, ``"logit:0.5"``, ...).
    states
        Per outcome, the rest point it names as ``{population: {strategy: share}}``, or ``None`` (cycling,
        unresolved).
    """

    outcomes: tuple[str, ...]
    shares: np.ndarray = field(repr=False)
    ci_low: np.ndarray = field(repr=False)
    ci_high: np.ndarray = field(repr=False)
    orbits: np.ndarray = field(repr=False)
    n: int = 0
    t_end: float = 0.0
    game: str = ""
    states: tuple[dict[str, dict[str, float]] | None, ...] = field(default=(), repr=False)
    dynamics: str = "replicator"

    @classmethod
    def of(cls, traj: Trajectory) -> Basins:
        """The outcome shares of a simulation's orbits, most frequent first."""
        counts = np.bincount(traj.codes, minlength=len(traj.labels))
        order = [i for i in np.argsort(-counts, kind="stable") if counts[i]]
        intervals = [wilson_interval(int(counts[i]), traj.n) for i in order]
        return cls(
            outcomes=tuple(traj.labels[i] for i in order),
            shares=np.array([counts[i] / traj.n for i in order]),
            ci_low=np.array([lo for lo, _ in intervals]),
            ci_high=np.array([hi for _, hi in intervals]),
            orbits=np.array([int(counts[i]) for i in order], dtype=np.int64),
            n=traj.n,
            t_end=traj.t_end,
            game=traj.game.name,
            states=tuple(_named_state(traj.game, traj.rest_point(traj.labels[i])) for i in order),
            dynamics=traj.dynamics,
        )

    def to_json(self) -> list[dict]:
        """One JSON-ready entry per outcome: ``outcome, share, ci_low, ci_high, orbits, state`` (``state``:
        ``{population: {strategy: share}}`` for a rest point, else ``None``)."""
        states = self.states or (None,) * len(self.outcomes)
        return [
            {
                "outcome": o,
                "share": float(s),
                "ci_low": float(lo),
                "ci_high": float(hi),
                "orbits": int(k),
                "state": state,
            }
            for o, s, lo, hi, k, state in zip(
                self.outcomes, self.shares, self.ci_low, self.ci_high, self.orbits, states
            )
        ]

    def to_frame(self):
        """A DataFrame with columns ``outcome, share, ci_low, ci_high, orbits`` (attrs: ``t_end``, ``n``)."""
        import pandas as pd

        frame = pd.DataFrame(
            {
                "outcome": list(self.outcomes),
                "share": np.asarray(self.shares, dtype=float),
                "ci_low": np.asarray(self.ci_low, dtype=float),
                "ci_high": np.asarray(self.ci_high, dtype=float),
                "orbits": np.asarray(self.orbits, dtype=np.int64),
            }
        )
        frame.attrs["t_end"] = self.t_end
        frame.attrs["n"] = self.n
        return frame

    def share(self, outcome: str) -> float:
        """The share of one outcome (0 if no orbit reached it)."""
        for o, s in zip(self.outcomes, self.shares):
            if o == outcome:
                return float(s)
        return 0.0

    def __repr__(self) -> str:
        parts = ", ".join(f"{s:.1%} {check.printable(o)}" for o, s in zip(self.outcomes, self.shares))
        name = f"{check.printable(self.game)}: " if self.game else ""
        under = "" if self.dynamics == "replicator" else f" under {self.dynamics}"
        return f"Basins({name}{self.n} orbits to t={self.t_end:g}{under}: {parts})"

    def _repr_html_(self) -> str:
        import html

        rows = "".join(
            f"<tr><td>{html.escape(o)}</td><td>{s:.1%}</td><td>[{lo:.1%}, {hi:.1%}]</td><td>{int(k)}</td></tr>"
            for o, s, lo, hi, k in zip(self.outcomes, self.shares, self.ci_low, self.ci_high, self.orbits)
        )
        under = "" if self.dynamics == "replicator" else f" under {html.escape(self.dynamics)}"
        head = f"<p>{html.escape(self.game or 'basins')}: {self.n} orbits to t = {self.t_end:g}{under}</p>"
        return (
            head + f"<table><tr><th>outcome</th><th>share</th><th>95% interval</th><th>orbits</th></tr>{rows}</table>"
        )


def _named_state(game: Game, full: np.ndarray | None) -> dict[str, dict[str, float]] | None:
    """Full shares as ``{population: {strategy: share}}`` (None stays None)."""
    if full is None:
        return None
    out, pos = {}, 0
    for pop in game.populations:
        out[pop.name] = {s: float(full[pos + i]) for i, s in enumerate(pop.strategies)}
        pos += len(pop.strategies)
    return out


def basins(
    game: Game,
    n: int = 10_000,
    *,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
    t_end: float = 300.0,
    grid: int | None = None,
    **kwargs: Any,
) -> Basins:
    """Share of the state space reaching each outcome, with Wilson 95% intervals.

    Parameters
    ----------
    game
        The game, every parameter with a value.
    n
        Starting states: uniform draws from the product of simplices.
    rng
        Seed (or Generator, SeedSequence) of the draws.
    t_end
        Integration time of every orbit (> 0).
    grid
        Instead of random draws, a regular grid of ``grid`` points per axis.
    kwargs
        Passed on to :func:`simulate` (``dynamics="smith"``, ``rtol``, ...; not ``noise``).

    Returns
    -------
    Basins
        The share of orbits per outcome with its Wilson 95% interval; ``.to_frame()`` is a DataFrame with columns
        ``outcome, share, ci_low, ci_high, orbits``.

    Examples
    --------
    >>> import gamekit as gk
    >>> gk.basins(gk.load("platform-insurance").scenario("trap"), n=500, rng=0)
    Basins(Platform social insurance: 500 orbits to t=300: 60.8% cycling on workers=claim, 39.2% regulate, evade, accept)
    """
    check.game(game)
    unknown = sorted(set(kwargs) - _SIMULATE_OPTIONS)
    if unknown:
        raise ArgumentError(
            f"basins got an unknown argument {unknown[0]!r} (it passes on: {', '.join(sorted(_SIMULATE_OPTIONS))})"
        )
    if kwargs.get("noise") is not None:
        raise ArgumentError(
            "basins integrates deterministic orbits; for noisy paths call gk.simulate(game, initial, t_end, "
            "noise=...), whose result gives the outcome probabilities"
        )
    space = StateSpace(game.shape, tuple(p.name for p in game.populations))
    if grid is not None:
        initial = space.grid(check.integer("grid", grid, minimum=1))
    else:
        n = check.integer("n", n, minimum=1, maximum=MAX_ORBITS)
        initial = space.sample(n, check.generator(rng))
    return Basins.of(simulate(game, initial, t_end, **kwargs))
