r"""Many orbits of the replicator dynamics at once; where each one goes.

**Coordinates.**  Orbits are integrated in log-shares ``v_p[i] = ln sigma_p[i]``
with ``sigma_p = softmax(v_p)``; the replicator equation becomes::

    dv_p[i]/dt = u_p(i) - ubar_p(sigma),

so an interior orbit stays interior exactly (a share near 1 - 1e-16 never
rounds onto the face and sticks).  A share that starts at exactly zero is
masked out and stays zero, as it does in the replicator dynamics.

**Integrator.**  Dormand-Prince 5(4) with a step-size controller per orbit
(error norm as in ``scipy.integrate.solve_ivp``, tolerances ``rtol``, ``atol``
on the log-shares, i.e. relative accuracy of every share).  Orbits are
independent, so results do not depend on how orbits are batched: a numba kernel
runs them in vectorised lanes on a thread pool (its right-hand side compiled
once per game shape), a numpy twin runs them in vectorised lock-step where numba
is absent.

**Outcomes.**  Over the observation window ``[t_end * (1 - window), t_end]``
the kernel records each share's range (at the end of every step in the window,
and by dense output at nine evenly spaced times, however long the steps) and
the turning points of the log-shares.  An orbit has

* converged -- to a pure profile ``s`` -- when ``s`` is asymptotically stable
  (for the multilinear replicator dynamics: a strict Nash equilibrium; no mixed
  rest point is asymptotically stable) and every share stayed within ``tol`` of
  ``s`` over the whole window.  An orbit that starts on a face never leaves it,
  so for it "strict" counts only switches to strategies alive in that orbit;
* ``cycling`` -- when it is not converged and some share kept oscillating
  (two or more turning points, range above ``cycle_amplitude``); the label names
  the face it lives on (populations whose other strategies died out);
* ``unresolved`` -- otherwise (lingering near a saddle or a non-hyperbolic rest
  point, or still travelling): integrate longer to decide.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ._kernels import dopri
from .dynamics import compile_payoffs
from .errors import GamekitError, ParameterError, StateError
from .game import Game
from .space import StateSpace
from .stability import strict_profiles

__all__ = ["simulate", "Trajectory", "basins", "wilson_interval"]

UNRESOLVED = "unresolved"


@dataclass(frozen=True, eq=False)
class Trajectory:
    """The result of :func:`simulate`.

    Attributes
    ----------
    t
        Output times: ``t_eval`` if given, else ``[t_end]``.
    states
        Shares at ``t``, shape ``(N, len(t), d)`` -- orbit, time, coordinate --
        in the game's coordinates; ``None`` unless ``t_eval`` was given.
    final
        Shares at ``t_end``, shape ``(N, d)``.
    converged
        Per orbit, whether it converged to an asymptotically stable rest point.
    outcome
        Per orbit: the profile it converged to (``"regulate, evade, accept"``),
        ``"cycling on workers=claim"`` (or ``"cycling (interior)"``), or ``"unresolved"``.
    steps
        Accepted and rejected steps per orbit.
    """

    game: Game = field(repr=False)
    t: np.ndarray = field(repr=False)
    states: np.ndarray | None = field(repr=False)
    final: np.ndarray = field(repr=False)
    converged: np.ndarray = field(repr=False)
    codes: np.ndarray = field(repr=False)
    labels: tuple[str, ...] = field(repr=False)
    steps: np.ndarray = field(repr=False)
    t_end: float = 0.0

    @property
    def outcome(self) -> np.ndarray:
        return np.asarray(self.labels, dtype=object)[self.codes]

    @property
    def n(self) -> int:
        return len(self.codes)

    def shares(self) -> dict[str, float]:
        """Share of orbits per outcome, largest first."""
        counts = np.bincount(self.codes, minlength=len(self.labels))
        order = np.argsort(-counts, kind="stable")
        return {self.labels[i]: counts[i] / self.n for i in order if counts[i]}

    def summary(self):
        """A DataFrame: outcome, orbits, share, ci_low, ci_high (Wilson 95%)."""
        import pandas as pd

        counts = np.bincount(self.codes, minlength=len(self.labels))
        rows = []
        for i in np.argsort(-counts, kind="stable"):
            if counts[i]:
                lo, hi = wilson_interval(counts[i], self.n)
                rows.append((self.labels[i], int(counts[i]), counts[i] / self.n, lo, hi))
        return pd.DataFrame(rows, columns=["outcome", "orbits", "share", "ci_low", "ci_high"])

    def __repr__(self) -> str:
        parts = ", ".join(f"{s:.1%} {k}" for k, s in self.shares().items())
        return f"Trajectory({self.n} orbits to t={self.t_end:g}: {parts})"

    def _repr_html_(self) -> str:
        return f"<p>{self.n} orbits to t = {self.t_end:g}</p>" + self.summary().to_html(index=False)


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


def _segments(game: Game, t_end: float, schedule, parameters, n: int):
    """Segment start times and an (S, R, p) array of parameter rows (R = n or 1)."""
    names = list(game.parameters)
    missing = [k for k, v in game.parameters.items() if v is None]
    per_orbit = {}
    if parameters is not None:
        if not isinstance(parameters, Mapping):
            raise ParameterError("parameters must map parameter names to values or arrays of length N")
        for k, v in parameters.items():
            if k not in game.parameters:
                raise ParameterError(f"{k!r} is not a parameter of this game (its parameters: {', '.join(names)})")
            arr = np.asarray(v, dtype=float)
            if arr.ndim == 0:
                arr = np.full(n, float(arr))
            if arr.shape != (n,):
                raise ParameterError(f"parameter {k!r}: expected {n} values (one per orbit), got shape {arr.shape}")
            if not np.all(np.isfinite(arr)):
                raise ParameterError(f"parameter {k!r} has a value that is not a finite number")
            per_orbit[k] = arr
    missing = [k for k in missing if k not in per_orbit]
    phases = [(0.0, {})]
    if isinstance(schedule, str):
        schedule = game.schedule(schedule)
    if schedule is not None:
        if isinstance(schedule, Mapping) or not isinstance(schedule, Sequence):
            raise ParameterError("schedule must be a list of (time, {parameter: value}) pairs")
        last = -np.inf
        phases = [] if schedule and float(schedule[0][0]) <= 0 else [(0.0, {})]
        for entry in schedule:
            try:
                t0, values = entry
                t0 = float(t0)
            except (TypeError, ValueError):
                raise ParameterError(f"schedule entry {entry!r} is not (time, {{parameter: value}})") from None
            if not np.isfinite(t0) or t0 <= last:
                raise ParameterError(f"schedule times must increase: {t0:g} follows {last:g}")
            if isinstance(values, str):
                if values not in game.scenarios:
                    raise ParameterError(f"schedule names scenario {values!r}, which the game does not have")
                values = game.scenarios[values]
            for k, v in values.items():
                if k not in game.parameters:
                    raise ParameterError(f"schedule sets {k!r}, which is not a parameter of this game")
                if not np.isfinite(float(v)):
                    raise ParameterError(f"schedule sets {k!r} to {v!r}, which is not a finite number")
            last = t0
            if t0 >= t_end:
                raise ParameterError(f"schedule time {t0:g} is not before t_end = {t_end:g}")
            phases.append((max(t0, 0.0), dict(values)))
    missing = [k for k in missing if not any(k in vals for _, vals in phases)]
    if missing:
        raise ParameterError(f"parameter {missing[0]!r} has no value; give one with with_parameters({missing[0]}=...)")
    rows_per = n if per_orbit else 1
    values = np.empty((len(phases), rows_per, len(names)))
    current = {k: v for k, v in game.parameters.items()}
    for s, (_, overrides) in enumerate(phases):
        current = {**current, **{k: float(v) for k, v in overrides.items()}}
        for j, k in enumerate(names):
            if k in overrides or k not in per_orbit:
                values[s, :, j] = np.nan if current[k] is None else current[k]
            else:
                values[s, :, j] = per_orbit[k]
    bounds = np.array([t for t, _ in phases] + [t_end], dtype=float)
    return bounds, values


class _Classifier:
    """Turns window statistics into outcome codes; the label table grows as faces are met."""

    def __init__(self, game: Game, space: StateSpace, tol, amplitude, face_tol):
        self.game, self.space = game, space
        self.tol, self.amplitude, self.face_tol = tol, amplitude, face_tol
        self.labels = [", ".join(game.profile_names(idx)) for idx in np.ndindex(*game.shape)]
        self.labels.append(UNRESOLVED)
        self.index = {lab: i for i, lab in enumerate(self.labels)}
        self.strides = [int(np.prod(game.shape[p + 1 :])) for p in range(len(game.shape))]  # profile index

    def label_face(self, extinct_row: np.ndarray) -> str:
        fixed, partial = [], []
        for p, pop in enumerate(self.game.populations):
            a, b = self.space.offsets[p], self.space.offsets[p + 1]
            dead = extinct_row[a:b]
            alive = [s for s, d in zip(pop.strategies, dead) if not d]
            if len(alive) == 1:
                fixed.append(f"{pop.name}={alive[0]}")
            elif dead.any():
                partial.append(f"{pop.name} without {', '.join(s for s, d in zip(pop.strategies, dead) if d)}")
        where = "; ".join(fixed + partial)
        return f"cycling on {where}" if where else "cycling (interior)"

    def __call__(self, lo, hi, turns, strict):
        n = lo.shape[0]
        codes = np.full(n, self.index[UNRESOLVED], dtype=np.int32)
        # near a pure profile over the whole window: in every population one strategy kept a share of at
        # least 1 - tol (at most one can, as tol < 1/2); converged if that profile is a strict equilibrium
        held = np.ones(n, dtype=bool)
        profile = np.zeros(n, dtype=np.int64)
        for a, b, stride in zip(self.space.offsets[:-1], self.space.offsets[1:], self.strides):
            j = np.argmax(lo[:, a:b], axis=1)
            held &= lo[np.arange(n), a + j] >= 1.0 - self.tol
            profile += stride * j
        converged = held & strict[np.arange(n) if strict.shape[0] > 1 else 0, profile]
        codes[converged] = profile[converged]
        moving = (turns >= 2) & ((hi - lo) > self.amplitude)
        cycling = ~converged & moving.any(axis=1)
        if cycling.any():
            extinct = hi[cycling] < self.face_tol
            keys, inverse = np.unique(extinct, axis=0, return_inverse=True)
            face_codes = []
            for key in keys:
                lab = self.label_face(key)
                if lab not in self.index:
                    self.index[lab] = len(self.labels)
                    self.labels.append(lab)
                face_codes.append(self.index[lab])
            codes[cycling] = np.asarray(face_codes)[np.ravel(inverse)]
        return codes, converged


def _backend(name: str):
    if name == "auto":
        return dopri.integrate_numba if dopri.numba_available() else dopri.integrate_numpy
    if name == "numba":
        if not dopri.numba_available():
            raise GamekitError("backend='numba' needs numba installed (pip install numba), or use backend='numpy'")
        return dopri.integrate_numba
    if name == "numpy":
        return dopri.integrate_numpy
    raise GamekitError(f"unknown backend {name!r} (use 'auto', 'numba' or 'numpy')")


def simulate(
    game: Game,
    initial,
    t_end: float,
    *,
    rtol: float = 1e-8,
    atol: float = 1e-10,
    t_eval=None,
    schedule=None,
    parameters: Mapping[str, Sequence[float]] | None = None,
    window: float = 0.5,
    tol: float = 1e-4,
    cycle_amplitude: float = 1e-3,
    face_tol: float = 1e-6,
    max_steps: int = 1_000_000,
    chunk: int = 50_000,
    backend: str = "auto",
    progress: bool | None = None,
) -> Trajectory:
    """Integrate the replicator dynamics from every row of ``initial`` to ``t_end``.

    Parameters
    ----------
    initial
        ``(N, d)`` states: each population's share of its first strategy when
        every population has two strategies, or every population's mixed
        strategy concatenated (always accepted).
    t_end
        Final time (> 0).
    rtol, atol
        Tolerances of the error control (on log-shares).
    t_eval
        Times at which to store the states (increasing, within ``[0, t_end]``);
        without it only the final states are kept.
    schedule
        ``[(t0, {param: value}), (t1, "scenario name"), ...]``: parameter
        changes taking effect at increasing times (the paper's phased policy),
        or the name of a schedule the model file declares.
    parameters
        ``{param: array of N values}``: parameters that vary per orbit (sweeps).
    window, tol, cycle_amplitude, face_tol
        How outcomes are decided (module docstring): the last ``window``
        fraction of ``[0, t_end]`` is observed; ``tol`` is how close to a
        stable profile an orbit must stay; ``cycle_amplitude`` how far a share
        must swing to count as oscillating; a strategy whose share stayed below
        ``face_tol`` has died out.
    chunk
        Orbits integrated per call of the kernel (memory: final states only).
    backend
        ``"auto"`` (numba if installed), ``"numba"`` or ``"numpy"``.
    progress
        Show a progress bar (default: when there is more than one chunk).
    """
    space = StateSpace(game.shape, tuple(p.name for p in game.populations))
    full = space.full(initial)
    n = full.shape[0]
    try:
        t_end = float(t_end)
    except (TypeError, ValueError):
        raise StateError(f"t_end must be a number, got {t_end!r}") from None
    if not np.isfinite(t_end) or t_end <= 0:
        raise StateError(f"t_end must be a positive finite time, got {t_end!r}")
    for name, value in (("rtol", rtol), ("atol", atol)):
        if not (np.isfinite(value) and value > 0):
            raise GamekitError(f"{name} must be positive, got {value!r}")
    if not 0 < window <= 1:
        raise GamekitError(f"window must be in (0, 1], got {window!r}")
    if not 0 < tol < 0.5:
        raise GamekitError(f"tol must be in (0, 1/2), got {tol!r}")
    te = np.zeros(0) if t_eval is None else np.asarray(t_eval, dtype=float).ravel()
    if te.size and (np.any(~np.isfinite(te)) or np.any(np.diff(te) <= 0) or te[0] < 0 or te[-1] > t_end):
        raise StateError("t_eval must be increasing times within [0, t_end]")
    bounds, values = _segments(game, t_end, schedule, parameters, n)
    s_count, r_count, n_par = values.shape
    if r_count == 1:  # the same parameters for every orbit: substitute them (no code generation needed)
        names = list(game.parameters)
        tables = [game.with_parameters(dict(zip(names, row[0]))).numeric_payoffs() for row in values]
        pay = np.array([[[t.ravel() for t in phase]] for phase in tables])
    else:
        compiled = compile_payoffs(game)
        pay = compiled(values.reshape(s_count * r_count, n_par)).reshape(s_count, r_count, len(game.shape), -1)
    off, _, others, flat, nq = dopri.tables(game.shape)
    integrate = _backend(backend)
    classify = _Classifier(game, space, tol, cycle_amplitude, face_tol)
    tw = t_end * (1.0 - window)

    alive = full > 0
    # asymptotically stable profiles under the last phase's parameters, within each orbit's face
    on_face = not alive.all()
    strict_all = strict_profiles(pay[-1], game.shape, alive if on_face else None)
    final = np.empty((n, space.width))
    codes = np.empty(n, dtype=np.int32)
    converged = np.empty(n, dtype=bool)
    steps = np.empty(n, dtype=np.int64)
    states = np.empty((n, te.size, space.width)) if te.size else None
    starts = range(0, n, chunk)
    show = progress if progress is not None else len(starts) > 1
    if show:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc="orbits", unit="chunk", total=len(starts))
    for a in starts:
        b = min(a + chunk, n)
        p_chunk = pay[:, a:b] if r_count > 1 else pay
        sig, lo, hi, turns, out, st, status = integrate(
            np.ascontiguousarray(full[a:b]),
            np.ascontiguousarray(p_chunk),
            off, others, flat, nq, bounds, te, tw, float(rtol), float(atol), int(max_steps),
        )  # fmt: skip
        if np.any(status):
            raise GamekitError(
                f"{int(np.sum(status != 0))} orbits needed more than max_steps={max_steps} steps; "
                "loosen rtol or raise max_steps"
            )
        final[a:b] = space.coordinates(sig)
        strict = strict_all[a:b] if strict_all.shape[0] > 1 else strict_all
        codes[a:b], converged[a:b] = classify(lo, hi, turns, strict)
        steps[a:b] = st
        if states is not None:
            states[a:b] = space.coordinates(out)
    return Trajectory(
        game=game,
        t=te if te.size else np.array([t_end]),
        states=states,
        final=final,
        converged=converged,
        codes=codes,
        labels=tuple(classify.labels),
        steps=steps,
        t_end=t_end,
    )


def basins(game: Game, n: int = 10_000, *, rng=None, t_end: float = 300.0, grid: int | None = None, **kwargs):
    """Share of the state space reaching each outcome, with Wilson 95% intervals.

    Starting states are ``n`` uniform draws from the product of simplices (seeded
    by ``rng``), or, with ``grid=m``, a regular grid of ``m`` points per axis.
    Other keyword arguments go to :func:`simulate`.  Returns a DataFrame with
    columns ``outcome, share, ci_low, ci_high, orbits``.
    """
    space = StateSpace(game.shape, tuple(p.name for p in game.populations))
    if grid is not None:
        initial = space.grid(int(grid))
    else:
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise GamekitError(f"n must be a positive number of orbits, got {n!r}")
        initial = space.sample(int(n), rng)
    traj = simulate(game, initial, t_end, **kwargs)
    frame = traj.summary()[["outcome", "share", "ci_low", "ci_high", "orbits"]]
    frame.attrs["t_end"] = t_end
    frame.attrs["n"] = traj.n
    return frame
