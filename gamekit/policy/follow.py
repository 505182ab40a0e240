r"""One orbit under a schedule of parameter changes, told as the states it passes through.

A schedule is a sequence of phases ``(t_k, theta_k)``: from ``t_k`` on, the
parameters are ``theta_k`` (a named scenario, or values over the game's).  The
orbit ``x(t)`` of the replicator dynamics from one initial state is integrated
across the phases (:func:`gamekit.simulate` with ``schedule=``) and sampled at
``points`` evenly spaced times.  At each time it is labelled with the pure
profile ``s`` whose corner ``e_s`` is nearest in the max norm, when
``||x(t) - e_s||_inf < near``, else ``"in transit"``.  For each population the
nearest corner takes the strategy of largest share, so the label costs one
``argmax`` per population (no loop over profiles).

The target is **reached** at the first sample time after which the orbit stays
within ``reach_tol`` of the target's corner, provided the simulated outcome is
convergence to the target (:mod:`gamekit.simulate`).  This takes every kind of
game: the orbit comes from :func:`gamekit.simulate`, which integrates games that
are not multilinear with their own field; only pure targets are named (an orbit
near an interior attractor is "in transit").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .. import _validate as check
from .._validate import printable
from ..errors import ArgumentError, GamekitError
from ..game import Game
from ..schedule import Schedule
from ._common import Target, check_game, profile

__all__ = ["Path", "follow", "MAX_POINTS"]

MAX_POINTS = 1_000_000
"""Most sample times of a path (each holds the full state)."""

IN_TRANSIT = "in transit"


@dataclass(frozen=True, eq=False)
class Path:
    """Where one orbit goes under a schedule: phases, states visited, whether and when it reaches the target.

    ``visits`` are ``(t_from, t_to, state)`` runs: ``state`` is the pure profile (by
    name where the game names it) within ``near`` of the orbit, else ``"in transit"``.
    ``reached_at`` is the first time after which the orbit stays within ``reach_tol`` of the
    target (``None`` if it does not); ``phases`` are ``(start, phase name)``.
    """

    target: tuple[str, ...]
    reached: bool
    reached_at: float | None
    visits: tuple[tuple[float, float, str], ...] = field(repr=False)
    phases: tuple[tuple[float, str], ...] = field(repr=False)
    trajectory: object = field(repr=False)

    def to_frame(self):
        """One row per visit: ``t_from, t_to, state``."""
        import pandas as pd

        return pd.DataFrame(list(self.visits), columns=["t_from", "t_to", "state"])

    def __repr__(self) -> str:
        when = f"reached at t={self.reached_at:.3g}" if self.reached else "not reached"
        return f"Path(target=({printable(', '.join(self.target), 120)}), {when}, {len(self.visits)} visits)"

    def __str__(self) -> str:
        lines = [
            f"target ({printable(', '.join(self.target), 200)}): "
            + (f"reached at t = {self.reached_at:.3g}" if self.reached else "not reached")
        ]
        lines.append("phases: " + "; ".join(f"t={t:g} {printable(n)}" for t, n in self.phases))
        lines += [f"  t {a:7.2f} - {b:7.2f}  {printable(label, 200)}" for a, b, label in self.visits]
        return "\n".join(lines)

    def plot(self, ax: object | None = None):
        """Each share over time with the phase starts marked (:func:`gamekit.plot.path`)."""
        from .. import plot

        return plot.path(self, ax)


def _schedule(game: Game, schedule) -> Schedule:
    """The schedule: a name the game declares, or any form :meth:`Schedule.parse` reads (one parser)."""
    if isinstance(schedule, str):
        if schedule not in game.schedules:
            known = ", ".join(printable(s) for s in game.schedules) or "none"
            raise ArgumentError(f"schedule: no schedule named {printable(repr(schedule))} (schedules: {known})")
        return game.schedule(schedule)
    return Schedule.parse(schedule, parameters=game.parameters, scenarios=game.scenarios, name="schedule")


def follow(
    game: Game,
    schedule: str | Schedule | Sequence[tuple[float, Mapping[str, float] | str]],
    initial: Sequence[float] | np.ndarray,
    t_end: float,
    target: Target,
    *,
    reach_tol: float = 1e-3,
    near: float = 0.05,
    points: int = 2001,
) -> Path:
    """Simulate one orbit under a schedule and describe its path (module docstring).

    Parameters
    ----------
    game
        The game.
    schedule
        A name the model declares, a :class:`~gamekit.schedule.Schedule`, or
        ``[(start, {parameter: value} or scenario name), ...]``.
    initial
        One state (``[[0.95, 0.05, 0.05]]`` or ``[0.95, 0.05, 0.05]``).
    t_end
        Integration time (> 0).
    target
        A pure profile or state name.
    reach_tol
        How close to the target counts as reached (in ``(0, 1/2)``).
    near
        How close to a corner names the state (in ``(0, 1/2]``).
    points
        The number of sample times (2 to ``MAX_POINTS``).

    Returns
    -------
    Path
        The phases, the states visited, and whether and when the orbit reaches ``target`` (``reached_at``).
    """
    from ..simulate import simulate
    from ..space import StateSpace

    game = check_game(game)
    idx_t = profile(game, target)
    t_end = check.real("t_end", t_end, low=0.0, low_open=True)
    reach_tol = check.tolerance("reach_tol", reach_tol, high=0.5)
    near = check.real("near", near, low=0.0, high=0.5, low_open=True)
    points = check.integer("points", points, minimum=2, maximum=MAX_POINTS)
    plan = _schedule(game, schedule)
    phases = tuple((p.start, p.name) for p in plan.phases)
    space = StateSpace(game.shape, tuple(p.name for p in game.populations))
    rows = np.asarray(initial, dtype=object)
    if rows.ndim == 1:
        initial = [list(initial)]
    try:
        start = space.full(initial)
    except GamekitError as err:
        raise ArgumentError(f"initial: {err}") from None
    except (TypeError, ValueError):
        raise ArgumentError(f"initial must be one state of the game, got {printable(repr(initial), 60)}") from None
    if start.shape[0] != 1:
        raise ArgumentError(f"initial must be one state (follow traces one orbit), got {start.shape[0]}")
    times = np.linspace(0.0, t_end, points)
    traj = simulate(game, start, t_end, schedule=plan.as_pairs(), t_eval=times)
    full = space.full(traj.states[0])  # (T, D)
    offsets = np.concatenate([[0], np.cumsum(game.shape)]).astype(int)
    dist = np.zeros(len(times))
    best = []
    for p in range(len(game.shape)):
        block = full[:, offsets[p] : offsets[p + 1]]
        j = np.argmax(block, axis=1)
        top = block[np.arange(len(times)), j]
        rest = np.max(np.where(np.eye(game.shape[p], dtype=bool)[j], -np.inf, block), axis=1)
        dist = np.maximum(dist, np.maximum(1.0 - top, rest))
        best.append(j)
    best = np.stack(best, axis=1)
    names: dict[tuple[int, ...], str] = {}

    def label(idx: tuple[int, ...]) -> str:
        if idx not in names:
            names[idx] = game.state_name(idx) or ", ".join(game.profile_names(idx))
        return names[idx]

    labels = [label(tuple(int(s) for s in b)) if d < near else IN_TRANSIT for b, d in zip(best, dist)]
    visits, first_run = [], 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[first_run]:
            visits.append((float(times[first_run]), float(times[i - 1]), labels[first_run]))
            first_run = i
    corner = np.concatenate([np.eye(n)[s] for n, s in zip(game.shape, idx_t)])
    d_target = np.max(np.abs(full - corner), axis=1)
    outside = np.nonzero(d_target >= reach_tol)[0]
    first = 0 if outside.size == 0 else outside[-1] + 1
    reached = first < len(times) and traj.outcome[0] == ", ".join(game.profile_names(idx_t))
    return Path(
        target=game.profile_names(idx_t),
        reached=bool(reached),
        reached_at=float(times[first]) if reached else None,
        visits=tuple(visits),
        phases=phases,
        trajectory=traj,
    )
