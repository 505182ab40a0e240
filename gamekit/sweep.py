"""Parameter sweeps: the analytic stable set and simulated basins at every grid point.

For every parameter combination ``theta`` of a grid:

* **analytic** -- in a multilinear game (fixed payoff tables) the
  asymptotically stable rest points are exactly the strict Nash equilibria
  (pure profiles whose every switch gain is negative), read off the payoff
  tables at ``theta``; in any other game (shares in payoffs, one-population and
  group games) interior and face points may be stable too, and they are the
  rest points :func:`gamekit.equilibria` (in floating point, ``exact=False``)
  labels asymptotically stable at ``theta`` -- named as :func:`gamekit.simulate`
  names them (a pure profile, or ``"(0.5, 0.5)"``), so the two columns compare;
  no simulation involved;
* **simulated** -- ``n`` orbits from uniform starts (seeded by ``rng`` and the
  combination's index, so every combination's sample is fixed whatever the
  back end), integrated by :func:`gamekit.simulate`, and the share of orbits
  per outcome with a Wilson 95% interval.

Under another dynamics (``dynamics="logit:0.5"``, ``"smith"``, ...) both columns
are that dynamics': the analytic one lists the rest points
:func:`gamekit.equilibria` (``exact=False``, ``dynamics=...``) labels
asymptotically stable (for logit and the replicator-mutator by linearisation,
for Smith and BNN the strict Nash equilibria; an equilibrium there that is not
strict has no label the mathematics supports and is not listed), and the orbits
follow that dynamics (:func:`gamekit.simulate`).

The result is a :class:`SweepResult`; ``to_frame()`` gives the tidy table, one
row per combination and outcome.

Locally, all orbits of a batch of combinations are one call of the compiled
kernel (its threads use every core).  Given a ``dask.distributed.Client``, the
batches are tasks on the cluster.  Orbits are integrated independently of one
another, so both give the same numbers.
"""

from __future__ import annotations

import inspect
import itertools
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import _validate as check
from ._frozen import FrozenMap
from ._validate import printable
from .basins import MAX_ORBITS, wilson_interval  # MAX_ORBITS: most orbits per combination, as gk.basins
from .dynamics import compile_payoffs
from .errors import ArgumentError, ParameterError
from .game import Game
from .protocols import REPLICATOR, Dynamics, parse_dynamics
from .simulate import point_label, simulate
from .space import StateSpace
from .stability import strict_profiles

__all__ = ["sweep", "grid_points", "SweepResult", "MAX_POINTS", "MAX_ORBITS"]

MAX_POINTS = 1_000_000
"""Most parameter combinations one sweep evaluates."""

_OWN_KEYWORDS = ("game", "initial", "t_end", "parameters", "progress", "t_eval", "dynamics", "noise", "rng")
"""Arguments of :func:`gamekit.simulate` that :func:`sweep` sets itself or does not take (not passed through)."""


@dataclass(frozen=True, eq=False)
class SweepResult:
    """The result of :func:`sweep`: per combination, the analytic stable set and the simulated outcome counts.

    Attributes
    ----------
    parameters
        The swept parameter names, in the game's order.
    points
        The combinations, each ``{parameter: value}`` over the game's values.
    scenarios
        For a list grid, each combination's label (scenario name or ``"#i"``); else ``None``.
    stable
        The asymptotically stable states at each combination, as text (``"none"`` if there are none).
    counts
        Per combination, ``(outcome, orbits)`` pairs, most frequent first (empty when ``n == 0``).
    n, rng, t_end
        Orbits per combination, the seed, the integration time.
    dynamics
        The dynamics of both columns (``"replicator"``, ``"smith"``, ``"logit:0.5"``, ...).
    """

    game: Game = field(repr=False)
    parameters: tuple[str, ...]
    points: tuple[Mapping[str, float], ...] = field(repr=False)
    scenarios: tuple[str, ...] | None = field(repr=False)
    stable: tuple[str, ...] = field(repr=False)
    counts: tuple[tuple[tuple[str, int], ...], ...] = field(repr=False)
    n: int
    rng: int
    t_end: float
    dynamics: str = "replicator"

    def __len__(self) -> int:
        return len(self.points)

    def shares(self, i: int) -> dict[str, float]:
        """The share of orbits per outcome at combination ``i``."""
        i = check.integer("i", i, minimum=-len(self.points), maximum=len(self.points) - 1)
        return {o: k / self.n for o, k in self.counts[i]} if self.n else {}

    def to_frame(self):
        """A tidy DataFrame: the swept parameters (and ``scenario`` for a list), ``stable``, then
        ``outcome, share, ci_low, ci_high, orbits`` -- one row per combination and outcome (a single
        row with an empty outcome when ``n == 0``)."""
        import pandas as pd

        rows = []
        for i, combo in enumerate(self.points):
            base = {k: combo.get(k, self.game.parameters[k]) for k in self.parameters}
            if self.scenarios is not None:
                base = {"scenario": self.scenarios[i], **base}
            base["stable"] = self.stable[i]
            if self.n == 0:
                rows.append({**base, "outcome": "", "share": np.nan, "ci_low": np.nan, "ci_high": np.nan, "orbits": 0})
                continue
            for outcome, k in self.counts[i]:
                lo, hi = wilson_interval(k, self.n)
                rows.append({**base, "outcome": outcome, "share": k / self.n, "ci_low": lo, "ci_high": hi, "orbits": k})
        return pd.DataFrame(rows)

    def plot(self, outcome: str | None = None, ax: object | None = None):
        """The basin shares over the grid with the stable set's boundaries, drawn by :func:`gamekit.plot.sweep`
        (one outcome, or every outcome when ``outcome`` is None; on ``ax`` if given)."""
        from . import plot

        return plot.sweep(self, outcome, ax=ax)

    def __repr__(self) -> str:
        shown = self.scenarios if self.scenarios is not None else self.parameters
        over = ", ".join(printable(p) for p in shown[:4]) + (", ..." if len(shown) > 4 else "")
        over = ("scenarios " if self.scenarios is not None else "") + (over or "no parameter")
        sim = f"{self.n} orbits each to t={self.t_end:g}, seed {self.rng}" if self.n else "analytic only"
        under = "" if self.dynamics == "replicator" else f" under {self.dynamics}"
        return f"SweepResult({len(self.points)} points over {over}{under}; {sim})"

    def _repr_html_(self) -> str:
        import html

        return f"<p>{html.escape(repr(self))}</p>" + self.to_frame().to_html(index=False, max_rows=40)


def _axis_values(name: str, values) -> np.ndarray:
    if isinstance(values, (str, bytes, Mapping)):
        raise ArgumentError(f"grid[{name!r}] must be numbers, got {printable(repr(values), 60)}")
    arr = np.atleast_1d(check.floats(values, f"grid[{name!r}] must be numbers"))
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ParameterError(
            f"grid[{name!r}]: sweep values of {name!r} must be finite numbers (and at least one), "
            f"got {printable(repr(values), 60)}"
        )
    return arr


def _sweepable(game: Game, name, where: str) -> str:
    if not isinstance(name, str):
        raise ArgumentError(f"{where}: a parameter name must be a string, got {printable(repr(name), 60)}")
    if name not in game.parameters:
        raise ParameterError(f"cannot sweep {printable(repr(name))}: it is not a parameter of this game ({where})")
    return name


def grid_points(
    game: Game, grid: Mapping[str, Sequence[float]] | Sequence[str | Mapping[str, float]]
) -> tuple[list[str], list[dict[str, float]], list[str] | None]:
    """The combinations of a grid: (swept parameter names, combinations, scenario labels or None)."""
    if isinstance(grid, Mapping):
        if not grid:
            raise ArgumentError("grid must name at least one parameter, got an empty mapping")
        names = [_sweepable(game, name, "grid") for name in grid]
        axes = [_axis_values(name, grid[name]) for name in names]
        total = math.prod(len(a) for a in axes)
        if total > MAX_POINTS:
            raise ArgumentError(f"grid has {total} combinations, more than {MAX_POINTS}; sweep a coarser grid")
        combos = [dict(zip(names, map(float, c))) for c in itertools.product(*axes)]
        return names, combos, None
    if isinstance(grid, Sequence) and not isinstance(grid, (str, bytes)):
        if not grid:
            raise ArgumentError("grid must hold at least one scenario name or parameter dict, got an empty list")
        if len(grid) > MAX_POINTS:
            raise ArgumentError(f"grid has {len(grid)} entries, more than {MAX_POINTS}")
        combos, labels = [], []
        for i, item in enumerate(grid):
            if isinstance(item, str):
                if item not in game.scenarios:
                    known = ", ".join(printable(s) for s in game.scenarios) or "none"
                    raise ParameterError(f"grid[{i}]: no scenario named {printable(repr(item))} (scenarios: {known})")
                combos.append(dict(game.scenarios[item]))
                labels.append(item)
            elif isinstance(item, Mapping):
                combo = {}
                for name, value in item.items():
                    _sweepable(game, name, f"grid[{i}]")
                    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
                        raise ParameterError(
                            f"grid[{i}][{name!r}] must be a finite number, got {printable(repr(value), 60)}"
                        )
                    combo[name] = float(value)
                combos.append(combo)
                labels.append(f"#{i}")
            else:
                raise ArgumentError(
                    f"grid[{i}] must be a scenario name or a parameter dict, got {printable(repr(item), 60)}"
                )
        names = sorted({k for c in combos for k in c}, key=list(game.parameters).index)
        return names, combos, labels
    raise ArgumentError(
        "grid must be {parameter: values} or a list of scenario names / parameter dicts, "
        f"got {printable(repr(grid), 60)}"
    )


def _stable_sets(game: Game, combos, dyn: Dynamics = REPLICATOR) -> list[str]:
    """The asymptotically stable profiles at each combination, as text (state names where the game has them)."""
    names = list(game.parameters)
    missing = [k for k in names if game.parameters[k] is None and any(k not in c for c in combos)]
    if missing:
        raise ParameterError(f"grid: parameter {printable(repr(missing[0]))} has no value at some combination")
    if not game.multilinear or dyn.kind != "replicator":
        return [_stable_points(game.with_parameters(dict(c)), dyn) for c in combos]
    compiled = compile_payoffs(game)
    rows = np.array([[c.get(k, game.parameters[k]) for k in names] for c in combos], dtype=float)
    with np.errstate(all="ignore"):
        pay = compiled(rows)
    bad = ~np.all(np.isfinite(pay.reshape(len(combos), -1)), axis=1)
    if np.any(bad):
        at = ", ".join(f"{k}={v:g}" for k, v in combos[int(np.argmax(bad))].items())
        raise ParameterError(f"grid: the payoffs are not finite real numbers at {at or 'the base values'}")
    strict = strict_profiles(pay, game.shape)
    profiles = list(np.ndindex(*game.shape))
    out = []
    for row in strict:
        labels = [
            game.state_name(profiles[j]) or ", ".join(game.profile_names(profiles[j])) for j in np.nonzero(row)[0]
        ]
        out.append("; ".join(labels) if labels else "none")
    return out


def _stable_points(game: Game, dyn: Dynamics = REPLICATOR) -> str:
    """The asymptotically stable rest points of ``dyn`` (a game that is not multilinear, or a dynamics other than
    the replicator), named as simulate names them."""
    from .equilibria import equilibria
    from .stability import Stability

    space = StateSpace(game.shape, tuple(p.name for p in game.populations))
    labels = []
    for eq in equilibria(game, exact=False, progress=False, dynamics=dyn):
        if eq.stability != Stability.ASYMPTOTICALLY_STABLE:
            continue
        full = np.array([float(v) for row in eq.state for v in row])
        pure = all(max(float(v) for v in row) == 1.0 for row in eq.state)
        if pure:
            idx = tuple(int(np.argmax([float(v) for v in row])) for row in eq.state)
            labels.append(game.state_name(idx) or ", ".join(game.profile_names(idx)))
        else:
            labels.append(point_label(space, full))
    return "; ".join(labels) if labels else "none"


def _simulate_batch(game: Game, combos, indices, n, seed, t_end, kwargs, dynamics: str = "replicator"):
    """Outcome counts for a batch of combinations: list of {outcome: count}."""
    space = StateSpace(game.shape, tuple(p.name for p in game.populations))
    starts = np.concatenate([space.sample(n, np.random.default_rng([seed, i])) for i in indices])
    params = {
        k: np.repeat([combos[j].get(k, game.parameters[k]) for j in range(len(indices))], n) for k in game.parameters
    }
    traj = simulate(game, starts, t_end, parameters=params, progress=False, dynamics=dynamics, **kwargs)
    out = []
    for j in range(len(indices)):
        codes = traj.codes[j * n : (j + 1) * n]
        counts = np.bincount(codes, minlength=len(traj.labels))
        out.append({traj.labels[c]: int(counts[c]) for c in np.nonzero(counts)[0]})
    return out


def _simulate_keywords(kwargs: dict) -> dict:
    accepted = set(inspect.signature(simulate).parameters) - set(_OWN_KEYWORDS)
    for key in kwargs:
        if key not in accepted:
            raise ArgumentError(
                f"sweep got an unexpected keyword argument {printable(repr(key))} "
                f"(it passes on to simulate: {', '.join(sorted(accepted))})"
            )
    if "chunk" in kwargs:
        kwargs["chunk"] = check.integer("chunk", kwargs["chunk"], minimum=1)
    return kwargs


def sweep(
    game: Game,
    grid: Mapping[str, Sequence[float]] | Sequence[str | Mapping[str, float]],
    *,
    n: int = 1000,
    rng: int = 0,
    t_end: float = 200.0,
    client: object | None = None,
    batch_orbits: int = 20_000,
    progress: bool | None = None,
    dynamics: str | Dynamics | None = None,
    **simulate_kwargs: object,
) -> SweepResult:
    """Stable states (analytic) and basin shares (simulated) at every point of ``grid``.

    Parameters
    ----------
    game
        The game; every parameter not swept keeps its value.
    grid
        ``{param: values}`` (one parameter: a 1-D sweep; two: the full 2-D grid; more: their
        product), or a list of scenario names and/or ``{param: value}`` dicts.
    n
        Orbits per combination (0: analytic only).
    rng
        Integer seed (>= 0); combination ``i`` draws its starts from ``default_rng([rng, i])``.
    t_end
        Integration time (> 0).
    client
        A ``dask.distributed.Client``: run batches of combinations as tasks on its cluster.
    batch_orbits
        About how many orbits one batch (one task) integrates (>= 1).
    progress
        Show a progress bar (default: when there is more than one batch).
    dynamics
        The dynamics of both columns: ``None`` (the replicator), ``"logit:ETA"``, ``"smith"``, ``"bnn"``,
        ``"replicator-mutator:MU"`` (module docstring).
    simulate_kwargs
        Passed on to :func:`gamekit.simulate` (``rtol``, ``atol``, ``chunk``, ``backend``, ...).

    Returns
    -------
    SweepResult
        Per combination, the analytic stable set and the simulated outcomes; ``to_frame()`` is the tidy table
        (the swept parameters, and ``scenario`` for a list, ``stable``, then ``outcome, share, ci_low, ci_high,
        orbits``).

    Examples
    --------
    >>> import gamekit as gk
    >>> trap = gk.models.platform_insurance().scenario("trap")
    >>> result = gk.sweep(trap, {"R": [2.0, 3.5]}, n=0)
    >>> result
    SweepResult(2 points over R; analytic only)
    >>> result.stable
    ('trap', 'meta-goal; trap')
    """
    check.game(game)
    names, combos, labels = grid_points(game, grid)
    if isinstance(rng, bool) or not isinstance(rng, numbers.Integral) or rng < 0:
        raise ArgumentError(
            "rng must be a non-negative integer seed (every combination's sample is drawn from "
            f"default_rng([rng, i]), so that it is reproducible), got {printable(repr(rng), 60)}"
        )
    rng = int(rng)
    n = check.integer("n", n, minimum=0, maximum=MAX_ORBITS)
    t_end = check.real("t_end", t_end, low=0.0, low_open=True)
    batch_orbits = check.integer("batch_orbits", batch_orbits, minimum=1)
    if progress is not None:
        progress = check.flag("progress", progress)
    if client is not None and not callable(getattr(client, "submit", None)):
        raise ArgumentError(f"client must be a dask.distributed.Client or None, got {type(client).__name__}")
    simulate_kwargs = _simulate_keywords(dict(simulate_kwargs))
    dyn = parse_dynamics(dynamics)
    stable = _stable_sets(game, combos, dyn)
    per_batch = max(1, batch_orbits // max(n, 1))
    batches = [list(range(i, min(i + per_batch, len(combos)))) for i in range(0, len(combos), per_batch)]
    counts: list[dict[str, int]] = [{} for _ in combos]
    if n > 0:
        show = progress if progress is not None else len(batches) > 1
        bar = None
        if show:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(combos), desc="sweep", unit="point")
        if client is None:
            for idx in batches:
                res = _simulate_batch(game, [combos[i] for i in idx], idx, n, rng, t_end, simulate_kwargs, str(dyn))
                for i, c in zip(idx, res):
                    counts[i] = c
                if bar is not None:
                    bar.update(len(idx))
        else:
            from dask.distributed import as_completed

            futures = {
                client.submit(
                    _simulate_batch,
                    game,
                    [combos[i] for i in idx],
                    idx,
                    n,
                    rng,
                    t_end,
                    simulate_kwargs,
                    str(dyn),
                    pure=False,
                ): idx
                for idx in batches
            }
            for fut in as_completed(futures):
                idx = futures[fut]
                for i, c in zip(idx, fut.result()):
                    counts[i] = c
                if bar is not None:
                    bar.update(len(idx))
        if bar is not None:
            bar.close()
    ordered = tuple(tuple(sorted(c.items(), key=lambda kv: -kv[1])) for c in counts)
    return SweepResult(
        game=game,
        parameters=tuple(names),
        points=tuple(FrozenMap(c) for c in combos),
        scenarios=None if labels is None else tuple(labels),
        stable=tuple(stable),
        counts=ordered,
        n=n,
        rng=rng,
        t_end=t_end,
        dynamics=str(dyn),
    )
