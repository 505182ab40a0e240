r"""Sensitivity figures: how the orbits change with one parameter, and a final state over two.

**One parameter** (:func:`sensitivity`).  For values ``theta_1, ..., theta_V`` of one parameter ``theta`` and
starts ``sigma^(1), ..., sigma^(S)``, the orbits

    sigma_{j,s}(t) = phi_t(sigma^(s); theta_j),      0 <= t <= t_end,

of the dynamics ``d sigma / dt = f(sigma; theta)`` on the product of simplices, for every kind of game (the
replicator dynamics of :mod:`gamekit.dynamics`, or with ``dynamics="logit:ETA"``, ``"smith"``, ``"bnn"`` or
``"replicator-mutator:MU"`` the protocols of :mod:`gamekit.protocols`), sampled at the times ``t_eval``.  In a
game of two-strategy populations these are the papers' ``x(t), y(t), z(t)``: each population's share of its first
strategy, one curve per value of ``theta`` (the most common figure of a tripartite evolutionary game).

The ``V * S`` orbits are one batch of :func:`gamekit.simulate` (``parameters={theta: per-orbit values}``), orbit
``j * S + s`` for value ``j`` and start ``s``: one call of the compiled kernel, whose orbits are integrated
independently of one another, so the curves are the same numbers as ``V * S`` separate runs (and match scipy's
DOP853 at the tolerances ``rtol``, ``atol``).  Each orbit also gets :func:`gamekit.simulate`'s outcome (the
stable state it converged to, ``cycling ...`` or ``unresolved``), decided over the window of ``[0, t_end]``.

**Two parameters** (:func:`sensitivity_map`).  Over a grid ``theta_x in X``, ``theta_y in Y`` one number per
point, drawn as a heatmap:

* ``share="population.strategy"``: the share ``sigma_{p,i}(t_end)`` of that strategy at ``t_end`` on the orbit
  from one start (one batch of :func:`gamekit.simulate` over the ``|X| |Y|`` points);
* ``basin="state"``: the share of ``n`` orbits from uniform random starts that converge to that state (a pure
  profile or a state name, a mixed rest point as :func:`gamekit.simulate` labels it, or every ``cycling`` orbit),
  with its Wilson 95% interval: :func:`gamekit.sweep` on the grid, whose samples are fixed by ``rng`` and the
  point's index.
"""

from __future__ import annotations

import html
import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import _validate as check
from ._validate import printable
from .basins import wilson_interval
from .errors import ArgumentError, GamekitError, ParameterError
from .game import Game
from .plot import LINESTYLES as _LINESTYLES
from .plot import PALETTE
from .schedule import Schedule
from .simulate import UNRESOLVED, simulate
from .space import StateSpace

__all__ = ["sensitivity", "sensitivity_map", "Sensitivity", "SensitivityMap", "OKABE_ITO", "LINESTYLES"]

DEFAULT_TIMES = 401
"""Output times of :func:`sensitivity` without ``t_eval``: evenly spaced over ``[0, t_end]``, both ends included."""

MAX_ORBITS = 1_000_000
"""Most orbits (values times starts, or grid points) one call integrates."""

MAX_STORED = 50_000_000
"""Most shares one :class:`Sensitivity` keeps (values x starts x times x coordinates: 400 MB of floats)."""

OKABE_ITO = PALETTE
"""Line colours of :meth:`Sensitivity.plot`: :data:`gamekit.plot.PALETTE`, the figures' one palette (Okabe-Ito,
distinguishable with every common colour-vision deficiency, without its yellow)."""

LINESTYLES = _LINESTYLES
"""Dash patterns paired with :data:`OKABE_ITO` (:data:`gamekit.plot.LINESTYLES`): the curves stay apart in grey."""

_OWN_KEYWORDS = ("game", "initial", "t_end", "parameters", "progress", "t_eval", "noise", "rng")
"""Arguments of :func:`gamekit.simulate` that these functions set themselves (or do not take: the deterministic
dynamics only)."""

_RESERVED = (
    "value",
    "start",
    "t",
    "population",
    "strategy",
    "share",
    "outcome",
    "ci_low",
    "ci_high",
    "orbits",
    "stable",
)
"""Column names of the frames: a parameter with one of these names is called ``value`` (or ``x``/``y``) there."""


# ----------------------------------------------------------------------------------------------- validation


def _parameter(game: Game, parameter, what: str = "parameter") -> str:
    if not isinstance(parameter, str):
        raise ArgumentError(f"{what} must be a parameter name (a string), got {printable(repr(parameter), 60)}")
    if parameter not in game.parameters:
        known = ", ".join(printable(p) for p in game.parameters) or "none"
        raise ParameterError(f"{printable(repr(parameter))} is not a parameter of this game (its parameters: {known})")
    return parameter


def _has_bool(values) -> bool:
    """Whether ``values`` is or holds True/False (which numpy would silently read as 1/0)."""
    if isinstance(values, (bool, np.bool_)):
        return True
    if isinstance(values, np.ndarray):
        return values.dtype == np.bool_
    return isinstance(values, (list, tuple)) and any(_has_bool(v) for v in values)


def _values(game: Game, parameter: str, values, what: str = "values") -> np.ndarray:
    """``values`` of ``parameter`` as a 1-D array of distinct finite numbers within the declared bounds."""
    if isinstance(values, (str, bytes, Mapping)):
        raise ArgumentError(
            f"{what} must be a sequence of numbers (values of {parameter}), got {printable(repr(values), 60)}"
        )
    if _has_bool(values):
        raise ArgumentError(f"{what} must be numbers (values of {parameter}), not True/False")
    arr = check.floats(values, f"{what} must be numbers (values of {parameter})", ParameterError)
    if arr.ndim == 0:
        raise ArgumentError(
            f"{what} must be a sequence of numbers (values of {parameter}), "
            f"got one number {printable(repr(values), 40)}"
        )
    if arr.ndim != 1:
        raise ArgumentError(
            f"{what} must be a one-dimensional sequence of values of {parameter}, got shape {arr.shape}"
        )
    if arr.size == 0:
        raise ArgumentError(f"{what} must hold at least one value of {parameter}, got none")
    if not np.all(np.isfinite(arr)):
        raise ParameterError(f"{what}: every value of {parameter} must be a finite number, got {arr.tolist()}")
    if np.unique(arr).size != arr.size:
        raise ArgumentError(f"{what} must be distinct values of {parameter}, got {arr.tolist()}")
    low, high = game.bounds.get(parameter, (None, None))
    outside = arr[(arr < (-np.inf if low is None else low)) | (arr > (np.inf if high is None else high))]
    if outside.size:
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ParameterError(f"{what}: {parameter} = {outside[0]:g} is outside its declared bounds [{lo}, {hi}]")
    return arr


def _simulate_keywords(kwargs: dict, schedule_sets: tuple[str, ...], game: Game, caller: str) -> dict:
    """The keyword arguments passed on to :func:`gamekit.simulate`, checked."""
    accepted = set(inspect.signature(simulate).parameters) - set(_OWN_KEYWORDS)
    for key in kwargs:
        if key not in accepted:
            extra = " (noisy orbits: gk.simulate(..., noise=...))" if key in ("noise", "rng") else ""
            raise ArgumentError(
                f"{caller} got an unexpected keyword argument {printable(repr(key))}{extra}; it passes on to "
                f"simulate: {', '.join(sorted(accepted))}"
            )
    schedule = kwargs.get("schedule")
    if schedule is not None:
        if isinstance(schedule, str):
            schedule = game.schedule(schedule)
        parsed = Schedule.parse(schedule, parameters=game.parameters, scenarios=game.scenarios)
        for start, values in parsed.as_pairs():
            for name in schedule_sets:
                if name in values:
                    raise ArgumentError(
                        f"the schedule sets {name} at t = {start:g}, which would override the values of {name} being "
                        "compared; use a schedule that leaves it alone"
                    )
    return kwargs


def _dynamics_name(kwargs: dict) -> str:
    """The dynamics' spec as text (``"replicator"`` by default); a bad spec is a one-line ArgumentError."""
    from .protocols import parse_dynamics

    return str(parse_dynamics(kwargs.get("dynamics")))


def _starts(space: StateSpace, initial) -> np.ndarray:
    """Full starting states (S, D); the centre of the state space when ``initial`` is None."""
    if initial is None:
        return np.concatenate([np.full(n, 1.0 / n) for n in space.shape])[None, :]
    return space.full(initial, name="initial")


def _coordinates(game: Game) -> list[tuple[str, str]]:
    """(population, strategy) of each coordinate of the layout gamekit returns."""
    if all(n == 2 for n in game.shape):
        return [(p.name, p.strategies[0]) for p in game.populations]
    return [(p.name, s) for p in game.populations for s in p.strategies]


def _column(name: str, fallback: str) -> str:
    return fallback if name in _RESERVED else name


def _named(game: Game, outcome: str) -> str:
    """An outcome as :func:`gamekit.simulate` labels it, with the state's name when the game names that profile
    (``"regulate, evade, accept (trap)"``), safe to print."""
    try:
        name = game.state_name(game.profile_index(outcome))
    except GamekitError:
        name = None
    return printable(outcome, 60) + (f" ({printable(name, 40)})" if name else "")


def _frozen(a) -> np.ndarray:
    """A read-only float copy: a frozen result's arrays do not change under it."""
    out = np.array(a, dtype=float)
    out.flags.writeable = False
    return out


def _under(dynamics: str) -> str:
    return "" if dynamics == "replicator" else f" under {dynamics}"


def _number(v: float) -> str:
    return f"{v:g}"


# ------------------------------------------------------------------------------------------- one parameter


@dataclass(frozen=True, eq=False)
class Sensitivity:
    """The result of :func:`sensitivity`: orbits for every value of one parameter (and every start).

    Attributes
    ----------
    parameter
        The parameter varied.
    values
        Its values, in the order given.
    initial
        The starting states, ``(S, sum n_p)`` full shares.
    t
        Output times, shape ``(T,)``.
    states
        Shares at ``t``, shape ``(V, S, T, d)`` -- value, start, time, coordinate -- in the game's layout (each
        population's first share when all have two strategies, else every share; :attr:`coordinates` names them).
    final
        Shares at ``t_end``, shape ``(V, S, d)``.
    outcomes
        Per value and start, :func:`gamekit.simulate`'s outcome of the orbit (``"regulate, evade, accept"``,
        ``"cycling on workers=claim"``, ``"unresolved"``, ...).
    t_end
        The integration time.
    dynamics
        The dynamics integrated (``"replicator"``, ``"logit:0.5"``, ...: :func:`gamekit.simulate`'s ``dynamics``).
    """

    game: Game = field(repr=False)
    parameter: str
    values: tuple[float, ...]
    initial: np.ndarray = field(repr=False)
    t: np.ndarray = field(repr=False)
    states: np.ndarray = field(repr=False)
    final: np.ndarray = field(repr=False)
    outcomes: tuple[tuple[str, ...], ...] = field(repr=False)
    t_end: float = 0.0
    dynamics: str = "replicator"

    @property
    def coordinates(self) -> list[tuple[str, str]]:
        """``(population, strategy)`` whose share each coordinate of :attr:`states` is."""
        return _coordinates(self.game)

    @property
    def starts(self) -> int:
        """Number of starting states."""
        return int(self.initial.shape[0])

    def to_frame(self):
        """A tidy DataFrame, one row per value, start, coordinate and time: the parameter's name (``value`` if the
        name is taken by another column), ``start`` (index into :attr:`initial`; only with several starts), ``t``,
        ``population``, ``strategy`` and ``share`` (that strategy's share)."""
        import pandas as pd

        v_count, s_count, t_count, d = self.states.shape
        vi, si, ci, ti = np.meshgrid(
            np.arange(v_count), np.arange(s_count), np.arange(d), np.arange(t_count), indexing="ij"
        )
        vi, si, ci, ti = (a.ravel() for a in (vi, si, ci, ti))
        coords = self.coordinates
        columns = {_column(self.parameter, "value"): np.asarray(self.values, dtype=float)[vi]}
        if s_count > 1:
            columns["start"] = si
        columns["t"] = self.t[ti]
        columns["population"] = np.array([p for p, _ in coords], dtype=object)[ci]
        columns["strategy"] = np.array([s for _, s in coords], dtype=object)[ci]
        columns["share"] = self.states[vi, si, ti, ci]
        return pd.DataFrame(columns)

    def to_json(self) -> dict:
        """A JSON-ready dict: ``model``, ``parameter``, ``values``, ``t``, ``coordinates`` (``[population,
        strategy]`` of each share), ``initial`` (full shares of each start), and ``curves``: one entry per value and
        start, ``{"value", "start", "outcome", "states"}`` with ``states`` the shares at ``t`` (``T`` rows)."""
        return {
            "model": self.game.name,
            "dynamics": self.dynamics,
            "parameter": self.parameter,
            "values": list(self.values),
            "t": self.t.tolist(),
            "coordinates": [list(c) for c in self.coordinates],
            "initial": self.initial.tolist(),
            "curves": [
                {"value": v, "start": s, "outcome": self.outcomes[j][s], "states": self.states[j, s].tolist()}
                for j, v in enumerate(self.values)
                for s in range(self.starts)
            ],
        }

    def summary(self):
        """A DataFrame of the final states: the parameter, ``start`` (with several starts), the share of every
        coordinate at ``t_end`` (columns ``"population: strategy"``) and the ``outcome``."""
        import pandas as pd

        rows = []
        for j, v in enumerate(self.values):
            for s in range(self.starts):
                row = {_column(self.parameter, "value"): v}
                if self.starts > 1:
                    row["start"] = s
                row.update({f"{p}: {st}": float(x) for (p, st), x in zip(self.coordinates, self.final[j, s])})
                row["outcome"] = self.outcomes[j][s]
                rows.append(row)
        return pd.DataFrame(rows)

    def plot(self, ax: object | None = None, *, starts: Sequence[int] | None = None):
        """The figure drawn by :func:`gamekit.plot.sensitivity`: one panel per population (per population and
        strategy when a population has more than two strategies), one curve per value of the parameter -- colour,
        dash pattern and marker together, so the figure reads in colour, for colour-blind readers and in grey
        print -- with a legend of the values (above the panels; on the first panel when ``ax`` is given).  Several starts are
        drawn in their value's style.

        ``ax``: an Axes when there is one panel, or a sequence of one Axes per panel; by default a new figure.
        ``starts``: indices of the starts to draw (default: all).  Returns the figure.
        """
        from . import plot

        return plot.sensitivity(self, ax, starts=starts)

    def __repr__(self) -> str:
        values = ", ".join(_number(v) for v in self.values)
        starts = "1 start" if self.starts == 1 else f"{self.starts} starts"
        parts = []
        for v, row in zip(self.values, self.outcomes):
            counts: dict[str, int] = {}
            for o in row:
                counts[o] = counts.get(o, 0) + 1
            told = " + ".join(
                _named(self.game, o) if k == 1 and len(row) == 1 else f"{k} x {_named(self.game, o)}"
                for o, k in counts.items()
            )
            parts.append(f"{printable(self.parameter)} = {_number(v)}: {told}")
        return (
            f"Sensitivity({printable(self.parameter)} in {{{values}}}, {starts}, t to {self.t_end:g} "
            f"({len(self.t)} times){_under(self.dynamics)} -> {'; '.join(parts)})"
        )

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(repr(self))}</p>" + self.summary().to_html(index=False, max_rows=40)


def sensitivity(
    game: Game,
    parameter: str,
    values: Sequence[float] | np.ndarray,
    *,
    initial: np.ndarray | Sequence[float] | Sequence[Sequence[float]] | None = None,
    t_end: float = 50.0,
    t_eval: np.ndarray | Sequence[float] | None = None,
    progress: bool | None = None,
    **simulate_kwargs: object,
) -> Sensitivity:
    """Orbits from the same start(s) for several values of one parameter: the papers' sensitivity figure.

    Parameters
    ----------
    game
        Any game gamekit simulates (fixed payoffs, shares in payoffs, one population, groups).
    parameter
        The parameter to vary (one of ``game.parameters``).
    values
        Its values: distinct finite numbers within the parameter's declared bounds (three to five make a
        readable figure; :meth:`Sensitivity.plot` draws up to seven).
    initial
        The start: one state (``(1/2, 1/2, 1/2)``, or every population's mixed strategy), or an ``(S, d)`` array
        of starts, each drawn for every value; default the centre of the state space.
    t_end
        Integration time (> 0).
    t_eval
        Output times, increasing within ``[0, t_end]``; default ``DEFAULT_TIMES`` evenly spaced times from 0 to
        ``t_end``.
    progress
        Show a progress bar (as :func:`gamekit.simulate`).
    simulate_kwargs
        Passed on to :func:`gamekit.simulate` (``rtol``, ``atol``, ``backend``, ``dynamics="logit:0.5"``, a
        ``schedule`` that does not set ``parameter``, ...).

    Returns
    -------
    Sensitivity
        The orbits; ``to_frame()`` is the tidy table, ``plot()`` the figure.

    Examples
    --------
    >>> import gamekit as gk
    >>> trap = gk.load("platform-insurance").scenario("trap")
    >>> s = gk.sensitivity(trap, "F", [5, 10, 15], initial=(0.5, 0.5, 0.5), t_end=50)
    >>> s.states.shape  # value, start, time, (x, y, z)
    (3, 1, 401, 3)
    >>> s.outcomes[0]
    ('relax, evade, accept',)
    """
    check.game(game)
    parameter = _parameter(game, parameter)
    vals = _values(game, parameter, values)
    space = StateSpace(game.shape, tuple(p.name for p in game.populations))
    starts = _starts(space, initial)
    t_end = check.real("t_end", t_end, low=0.0, low_open=True)
    te = np.linspace(0.0, t_end, DEFAULT_TIMES) if t_eval is None else t_eval
    times = np.size(check.floats(te, "t_eval must be increasing times within [0, t_end]"))
    if times == 0:
        raise ArgumentError("t_eval must hold at least one time (the curves are drawn through them), got none")
    if progress is not None:
        progress = check.flag("progress", progress)
    kwargs = _simulate_keywords(dict(simulate_kwargs), (parameter,), game, "sensitivity")
    dynamics = _dynamics_name(kwargs)
    v_count, s_count = vals.size, starts.shape[0]
    if v_count * s_count > MAX_ORBITS:
        raise ArgumentError(
            f"{v_count} values x {s_count} starts are {v_count * s_count} orbits, more than {MAX_ORBITS}"
        )
    stored = v_count * s_count * times * space.width
    if stored > MAX_STORED:
        raise ArgumentError(
            f"{v_count} values x {s_count} starts x {times} times x {space.width} shares are {stored:,} numbers to "
            f"keep, more than {MAX_STORED:,}; use fewer values, starts or times (t_eval)"
        )
    traj = simulate(
        game,
        np.tile(starts, (v_count, 1)),
        t_end,
        t_eval=te,
        parameters={parameter: np.repeat(vals, s_count)},
        progress=progress,
        **kwargs,
    )
    width = traj.final.shape[1]
    outcome = np.asarray(traj.outcome, dtype=object).reshape(v_count, s_count)
    return Sensitivity(
        game=game,
        parameter=parameter,
        values=tuple(float(v) for v in vals),
        initial=_frozen(starts),
        t=_frozen(traj.t),
        states=_frozen(traj.states.reshape(v_count, s_count, len(traj.t), width)),
        final=_frozen(traj.final.reshape(v_count, s_count, width)),
        outcomes=tuple(tuple(str(o) for o in row) for row in outcome),
        t_end=t_end,
        dynamics=dynamics,
    )


# ------------------------------------------------------------------------------------------ two parameters


@dataclass(frozen=True, eq=False)
class SensitivityMap:
    """The result of :func:`sensitivity_map`: one number per point of a grid of two parameters.

    Attributes
    ----------
    x, y
        The two parameters (the grid's first and second), on the horizontal and the vertical axis.
    xs, ys
        Their values, increasing.
    quantity
        ``"share"`` (a strategy's share at ``t_end`` from one start) or ``"basin"`` (the share of orbits from
        uniform starts that converge to a state).
    target
        What is measured: ``"population.strategy"``, or the state (as :func:`gamekit.simulate` names outcomes).
    values
        Shape ``(len(ys), len(xs))``: the number at ``(xs[i], ys[j])`` is ``values[j, i]``.
    ci_low, ci_high
        For a basin share, its Wilson 95% interval (same shape); else ``None``.
    outcomes
        For a final share, the outcome of the orbit at every point (same shape); else ``None``.
    sweep
        For a basin share, the :class:`~gamekit.SweepResult` it was read from; else ``None``.
    stable
        For a basin share, the asymptotically stable states at every point as the sweep derives them without
        simulation (same shape, text; ``"none"`` if there are none); else ``None``.
    initial
        For a final share, the start (full shares); else ``None``.
    n, t_end
        Orbits per point (1 for a final share) and the integration time.
    dynamics
        The dynamics integrated (:func:`gamekit.simulate`'s ``dynamics``).
    """

    game: Game = field(repr=False)
    x: str
    y: str
    xs: np.ndarray = field(repr=False)
    ys: np.ndarray = field(repr=False)
    quantity: str
    target: str
    values: np.ndarray = field(repr=False)
    ci_low: np.ndarray | None = field(repr=False, default=None)
    ci_high: np.ndarray | None = field(repr=False, default=None)
    outcomes: np.ndarray | None = field(repr=False, default=None)
    sweep: object | None = field(repr=False, default=None)
    stable: np.ndarray | None = field(repr=False, default=None)
    initial: np.ndarray | None = field(repr=False, default=None)
    n: int = 1
    t_end: float = 0.0
    dynamics: str = "replicator"

    @property
    def label(self) -> str:
        """What the colour means, in words."""
        if self.quantity == "share":
            pop, strategy = self.target.split(".", 1)
            return f"share of {strategy} ({pop}) at t = {self.t_end:g}"
        return f"share of orbits to {_named(self.game, self.target)}"

    def to_frame(self):
        """A tidy DataFrame, one row per grid point: the two parameters (``x``/``y`` if a name is taken by another
        column), ``share``, and ``outcome`` (final share) or ``ci_low, ci_high, orbits, stable`` (basin share;
        ``stable``: the asymptotically stable states there, derived without simulation)."""
        import pandas as pd

        iy, ix = np.meshgrid(np.arange(len(self.ys)), np.arange(len(self.xs)), indexing="ij")
        iy, ix = iy.ravel(), ix.ravel()
        xname, yname = _column(self.x, "x"), _column(self.y, "y")
        cols = {xname: self.xs[ix], yname: self.ys[iy], "share": self.values[iy, ix]}
        if self.quantity == "share":
            cols["outcome"] = [str(o) for o in self.outcomes[iy, ix]]
        else:
            cols["ci_low"] = self.ci_low[iy, ix]
            cols["ci_high"] = self.ci_high[iy, ix]
            cols["orbits"] = np.rint(self.values[iy, ix] * self.n).astype(int)
            cols["stable"] = [str(v) for v in self.stable[iy, ix]]
        return pd.DataFrame(cols).sort_values([xname, yname], kind="stable").reset_index(drop=True)

    def plot(self, ax: object | None = None):
        """A heatmap of :attr:`values` over the grid (colour map ``cividis``, readable by colour-blind readers and in
        grey print, from 0 to 1), with a colour bar naming the quantity.  Returns the figure."""
        from . import plot

        return plot.sensitivity_map(self, ax)

    def __repr__(self) -> str:
        lo, hi = float(np.min(self.values)), float(np.max(self.values))
        how = (
            f"from one start to t={self.t_end:g}"
            if self.quantity == "share"
            else f"{self.n} orbits per point to t={self.t_end:g}"
        )
        return (
            f"SensitivityMap({printable(self.label, 80)} over {printable(self.x)} "
            f"[{_number(self.xs[0])}, {_number(self.xs[-1])}] x {printable(self.y)} "
            f"[{_number(self.ys[0])}, {_number(self.ys[-1])}], {len(self.xs)} x {len(self.ys)} points, {how}: "
            f"{lo:.3g} to {hi:.3g}{_under(self.dynamics)})"
        )

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(repr(self))}</p>" + self.to_frame().to_html(index=False, max_rows=40)


def _share_target(game: Game, share) -> tuple[str, int]:
    """``"population.strategy"`` (or a strategy name found in one population, or a two-strategy population's
    name for its first strategy) as its text and its index in the full shares."""
    if not isinstance(share, str):
        raise ArgumentError(f"share must be 'population.strategy', got {printable(repr(share), 60)}")
    offsets = np.concatenate([[0], np.cumsum(game.shape)])
    found = []
    for p, pop in enumerate(game.populations):
        for i, s in enumerate(pop.strategies):
            if share in (f"{pop.name}.{s}", s) or (share == pop.name and len(pop.strategies) == 2 and i == 0):
                found.append((f"{pop.name}.{s}", int(offsets[p] + i)))
    if len(found) != 1:
        known = ", ".join(f"{p.name}.{s}" for p in game.populations for s in p.strategies)
        why = "names strategies of several populations" if found else "names no strategy"
        raise ArgumentError(f"share={printable(repr(share), 60)} {why}; say 'population.strategy' ({known})")
    return found[0]


def _basin_target(game: Game, basin) -> str:
    """The outcome label (as :func:`gamekit.simulate` writes it) of a state name, a pure profile, a mixed point's
    label ``"(x, y)"``, ``"cycling"`` (every cycling orbit) or ``"unresolved"``."""
    if not isinstance(basin, str):
        raise ArgumentError(f"basin must name a state, got {printable(repr(basin), 60)}")
    text = basin.strip()
    if text.startswith("(") or text.startswith("cycling") or text == UNRESOLVED:
        return text
    try:
        idx = game.profile_index(text)
    except GamekitError:
        states = ", ".join(printable(s) for s in game.states) or "none"
        raise ArgumentError(
            f"basin={printable(repr(basin), 60)} names no state: give a state name ({states}), a pure profile "
            "('strategy, strategy, ...'), a mixed rest point '(x, y, ...)', 'cycling' or 'unresolved'"
        ) from None
    return ", ".join(game.profile_names(idx))


def _matches(label: str, target: str) -> bool:
    if target == "cycling":
        return label.startswith("cycling")
    return label == target


def _grid(game: Game, grid) -> tuple[str, str, np.ndarray, np.ndarray]:
    if not isinstance(grid, Mapping) or len(grid) != 2:
        raise ArgumentError(
            "grid must map exactly two parameters to their values, {'F': [...], 'R': [...]}, got "
            f"{printable(repr(grid), 60)}"
        )
    (x, xv), (y, yv) = grid.items()
    x = _parameter(game, x, "grid")
    y = _parameter(game, y, "grid")
    if x == y:
        raise ArgumentError(f"grid names {x} twice")
    xs = np.sort(_values(game, x, xv, f"grid[{x!r}]"))
    ys = np.sort(_values(game, y, yv, f"grid[{y!r}]"))
    return x, y, xs, ys


def sensitivity_map(
    game: Game,
    grid: Mapping[str, Sequence[float]],
    *,
    share: str | None = None,
    basin: str | None = None,
    initial: np.ndarray | Sequence[float] | None = None,
    t_end: float = 50.0,
    n: int = 200,
    rng: int = 0,
    progress: bool | None = None,
    **simulate_kwargs: object,
) -> SensitivityMap:
    """A final share, or a basin share, over a grid of two parameters: the two-parameter sensitivity heatmap.

    Parameters
    ----------
    game
        Any game gamekit simulates.
    grid
        ``{x: values, y: values}``: exactly two parameters (the first on the horizontal axis), each with distinct
        finite values within its declared bounds (sorted here).
    share
        ``"population.strategy"`` (or a strategy name found in one population): map that strategy's share at
        ``t_end`` on the orbit from ``initial``.
    basin
        A state (a name such as ``"meta-goal"``, or a pure profile), a mixed rest point as
        :func:`gamekit.simulate` labels it (``"(1, 0.6, 1)"``), ``"cycling"`` or ``"unresolved"``: map the share
        of ``n`` orbits from uniform starts that end there (:func:`gamekit.sweep`).  Give exactly one of ``share``
        and ``basin``.
    initial
        For ``share``: the one start (default the centre of the state space).
    t_end
        Integration time (> 0).
    n, rng
        For ``basin``: orbits per grid point (>= 1) and the integer seed of :func:`gamekit.sweep`.
    progress
        Show a progress bar.
    simulate_kwargs
        Passed on to :func:`gamekit.simulate` (``rtol``, ``atol``, ``backend``, ``dynamics``, ...), and for
        ``basin`` to :func:`gamekit.sweep`.

    Returns
    -------
    SensitivityMap
        One number per grid point; ``to_frame()`` is the tidy table, ``plot()`` the heatmap.
    """
    check.game(game)
    if (share is None) == (basin is None):
        raise ArgumentError(
            "say what to map: share='population.strategy' (a share at t_end from one start) or basin='state' "
            "(the share of orbits from uniform starts that converge to it), exactly one of them"
        )
    x, y, xs, ys = _grid(game, grid)
    t_end = check.real("t_end", t_end, low=0.0, low_open=True)
    if progress is not None:
        progress = check.flag("progress", progress)
    kwargs = _simulate_keywords(dict(simulate_kwargs), (x, y), game, "sensitivity_map")
    dynamics = _dynamics_name(kwargs)
    points = xs.size * ys.size
    if basin is not None:
        from .sweep import sweep

        target = _basin_target(game, basin)
        if initial is not None:
            raise ArgumentError("initial is for share=...; a basin share starts n orbits uniformly at random")
        n = check.integer("n", n, minimum=1)
        result = sweep(game, {x: xs, y: ys}, n=n, rng=rng, t_end=t_end, progress=progress, **kwargs)
        where = {(combo[x], combo[y]): i for i, combo in enumerate(result.points)}
        counts = np.zeros((ys.size, xs.size), dtype=np.int64)
        stable = np.empty((ys.size, xs.size), dtype=object)
        for ix, xv in enumerate(xs):
            for iy, yv in enumerate(ys):
                i = where[(float(xv), float(yv))]
                counts[iy, ix] = sum(k for o, k in result.counts[i] if _matches(o, target))
                stable[iy, ix] = result.stable[i]
        low, high = np.vectorize(lambda k: wilson_interval(int(k), n), otypes=[float, float])(counts)
        return SensitivityMap(
            game=game, x=x, y=y, xs=_frozen(xs), ys=_frozen(ys), quantity="basin", target=target,
            values=_frozen(counts / n), ci_low=_frozen(low), ci_high=_frozen(high), sweep=result, n=n, t_end=t_end,
            dynamics=dynamics, stable=stable,
        )  # fmt: skip
    target, index = _share_target(game, share)
    if points > MAX_ORBITS:
        raise ArgumentError(f"grid has {points} points, more than {MAX_ORBITS}; use a coarser grid")
    space = StateSpace(game.shape, tuple(p.name for p in game.populations))
    start = space.one(initial, name="initial") if initial is not None else _starts(space, None)[0]
    gx, gy = np.meshgrid(xs, ys)  # (len(ys), len(xs)), row-major: point j * len(xs) + i is (xs[i], ys[j])
    traj = simulate(
        game,
        np.tile(start, (points, 1)),
        t_end,
        parameters={x: gx.ravel(), y: gy.ravel()},
        progress=progress,
        **kwargs,
    )
    full = _full(space, traj.final)
    return SensitivityMap(
        game=game, x=x, y=y, xs=_frozen(xs), ys=_frozen(ys), quantity="share", target=target,
        values=_frozen(full[:, index].reshape(ys.size, xs.size)),
        outcomes=np.asarray(traj.outcome, dtype=object).reshape(ys.size, xs.size),
        initial=_frozen(start), n=1, t_end=t_end, dynamics=dynamics,
    )  # fmt: skip


def _full(space: StateSpace, coords: np.ndarray) -> np.ndarray:
    """Final states in the returned layout back to full shares."""
    if not space.two_strategy:
        return coords
    out = np.empty((coords.shape[0], space.full_width))
    out[:, 0::2] = coords
    out[:, 1::2] = 1.0 - coords
    return out
