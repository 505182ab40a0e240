r"""Policy analysis from the exact stability conditions: thresholds, levers, regime maps.

A pure profile ``s`` is asymptotically stable iff every unilateral switch loses
(:mod:`gamekit.stability`)::

    g_{p,j}(theta) = A_p[j, s_{-p}](theta) - A_p[s](theta) < 0     for every p and j != s_p.

**Thresholds.**  Fix every parameter at its base value except one, ``theta_i``.
Each condition becomes an inequality in ``theta_i`` alone, and the set of values
where ``s`` is stable is the intersection of their solution sets (sympy's
``solveset`` over the reals) with the parameter's declared bounds -- a finite
union of intervals, computed exactly: ``delta`` in ``(1/5, 3/5)``, not "about 0.2
to 0.6".

**Regime maps.**  Over two parameters, every point of the plane has a set of
asymptotically stable profiles; the boundaries between regimes lie on the
curves ``g_{p,j}(theta_x, theta_y) = 0`` (others at base).  The map is evaluated
from the conditions on a grid (no simulation).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import sympy

from .errors import GamekitError, ParameterError
from .expr import exact, make_symbol
from .game import Game
from .stability import negative, switch_gains

__all__ = [
    "Lever",
    "Thresholds",
    "thresholds",
    "RegimeMap",
    "regime_map",
    "Policy",
    "cheapest_policy",
    "Path",
    "follow",
]


def _base_values(game: Game, base) -> dict[str, float]:
    if base is None:
        values = dict(game.parameters)
    elif isinstance(base, str):
        values = dict(game.scenario(base).parameters)
    elif isinstance(base, Mapping):
        values = dict(game.with_parameters(base).parameters)
    else:
        raise ParameterError("base must be a scenario name or a {parameter: value} mapping")
    missing = [k for k, v in values.items() if v is None]
    if missing:
        raise ParameterError(f"parameter {missing[0]!r} has no base value")
    return values


def _domain(game: Game, name: str) -> sympy.Set:
    low, high = game.bounds.get(name, (None, None))
    lo = -sympy.oo if low is None else exact(low)
    hi = sympy.oo if high is None else exact(high)
    return sympy.Interval(lo, hi)


def _intervals(s: sympy.Set) -> list[tuple[float | None, float | None]]:
    """A finite union of intervals as (low, high) pairs, None for an infinite end."""
    if s is sympy.S.EmptySet:
        return []
    parts = s.args if isinstance(s, sympy.Union) else (s,)
    out = []
    for part in parts:
        if isinstance(part, sympy.FiniteSet):  # isolated points: a measure-zero set of values
            out += [(float(v), float(v)) for v in part]
            continue
        if not isinstance(part, sympy.Interval):
            raise GamekitError(f"cannot express {part} as intervals")
        lo = None if part.start == -sympy.oo else float(part.start)
        hi = None if part.end == sympy.oo else float(part.end)
        out.append((lo, hi))
    return sorted(out, key=lambda iv: -np.inf if iv[0] is None else iv[0])


def _describe_set(s: sympy.Set) -> str:
    """``(1/5, 3/5)``, ``(-inf, 3)``, ``[0, 1]``, joined by ``or``."""
    parts = s.args if isinstance(s, sympy.Union) else (s,)
    out = []
    for part in parts:
        if isinstance(part, sympy.Interval):
            lo = "-inf" if part.start == -sympy.oo else sympy.sstr(part.start)
            hi = "inf" if part.end == sympy.oo else sympy.sstr(part.end)
            out.append(f"{'(' if part.left_open else '['}{lo}, {hi}{')' if part.right_open else ']'}")
        else:
            out.append(sympy.sstr(part))
    return " or ".join(out)


@dataclass(frozen=True)
class Lever:
    """One parameter moved alone: where the target is asymptotically stable."""

    parameter: str
    value: float
    stable_set: sympy.Set = field(repr=False)

    @property
    def stable_for(self) -> list[tuple[float | None, float | None]]:
        return _intervals(self.stable_set)

    @property
    def works(self) -> bool:
        """Whether some value of this parameter alone makes the target stable."""
        return self.stable_set is not sympy.S.EmptySet

    def describe(self) -> str:
        if not self.works:
            return "no value"
        if self.stable_set == sympy.S.Reals:
            return "any value"
        return _describe_set(self.stable_set)

    def to_json(self) -> dict:
        return {"parameter": self.parameter, "value": self.value, "stable_for": [list(iv) for iv in self.stable_for]}


@dataclass(frozen=True)
class Thresholds:
    """The result of :func:`thresholds`."""

    game: Game = field(repr=False)
    target: tuple[str, ...]
    base: Mapping[str, float] = field(repr=False)
    stable: bool
    conditions: tuple = field(repr=False)
    levers: tuple[Lever, ...] = field(repr=False)

    def lever(self, name: str) -> Lever:
        for lv in self.levers:
            if lv.parameter == name:
                return lv
        raise KeyError(name)

    def to_json(self) -> dict:
        return {
            "target": list(self.target),
            "stable": self.stable,
            "conditions": [sympy.sstr(c) for c in self.conditions],
            "levers": [lv.to_json() for lv in self.levers],
        }

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(
            {
                "parameter": [lv.parameter for lv in self.levers],
                "value": [lv.value for lv in self.levers],
                "stable for": [lv.describe() for lv in self.levers],
            }
        )

    def __str__(self) -> str:
        name = self.game.state_name(self.game.profile_index(self.target))
        head = f"({', '.join(self.target)})" + (f" [{name}]" if name else "")
        lines = [
            f"{head} is {'' if self.stable else 'not '}asymptotically stable at the base values.",
            "Asymptotically stable iff: " + ", ".join(sympy.sstr(c) for c in self.conditions),
            "Each parameter alone (the others at base):",
        ]
        width = max(len(lv.parameter) for lv in self.levers) if self.levers else 0
        lines += [f"  {lv.parameter.ljust(width)} = {lv.value:<8g} stable for {lv.describe()}" for lv in self.levers]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return "```\n" + str(self) + "\n```"


def thresholds(game: Game, base=None, target=None) -> Thresholds:
    """Where ``target`` (a pure profile or state name) is asymptotically stable, one parameter at a time.

    ``base`` is a scenario name or ``{parameter: value}`` (default: the game's values).
    """
    if target is None:
        raise GamekitError("thresholds needs a target profile, e.g. target='regulate, insure, claim'")
    idx = game.profile_index(target)
    values = _base_values(game, base)
    gains = [g.gain for g in switch_gains(game, idx)]
    conditions = tuple(dict.fromkeys(negative(g) for g in gains))
    subs_all = {make_symbol(k): exact(v) for k, v in values.items()}
    stable = all(bool(sympy.simplify(g.xreplace(subs_all)) < 0) for g in gains)
    levers = []
    for name in game.parameters:
        sym = make_symbol(name)
        others = {s: v for s, v in subs_all.items() if s != sym}
        allowed = _domain(game, name)
        for g in gains:
            allowed = allowed.intersect(sympy.solveset(sympy.StrictLessThan(g.xreplace(others), 0), sym, sympy.S.Reals))
            if allowed is sympy.S.EmptySet:
                break
        levers.append(Lever(name, float(values[name]), allowed))
    return Thresholds(game, game.profile_names(idx), values, stable, conditions, tuple(levers))


@dataclass(frozen=True, eq=False)
class RegimeMap:
    """Which profiles are asymptotically stable at every point of a grid over two parameters."""

    game: Game = field(repr=False)
    x: str
    y: str
    xs: np.ndarray = field(repr=False)
    ys: np.ndarray = field(repr=False)
    codes: np.ndarray = field(repr=False)  # (len(ys), len(xs)) index into regimes
    regimes: tuple[str, ...]
    boundaries: tuple[sympy.Expr, ...] = field(repr=False)  # curves g(x, y) = 0 where a label can change

    def regime_at(self, xv: float, yv: float) -> str:
        i = int(np.argmin(np.abs(self.ys - yv)))
        j = int(np.argmin(np.abs(self.xs - xv)))
        return self.regimes[self.codes[i, j]]

    def shares(self) -> dict[str, float]:
        counts = np.bincount(self.codes.ravel(), minlength=len(self.regimes))
        return {r: c / self.codes.size for r, c in zip(self.regimes, counts) if c}

    def plot(self, ax=None):
        from . import plot

        return plot.regime_map(self, ax=ax)

    def __str__(self) -> str:
        lines = [f"Regime map over {self.x} x {self.y} ({len(self.xs)} x {len(self.ys)} grid):"]
        lines += [f"  {share:6.1%}  {r}" for r, share in self.shares().items()]
        lines.append("Boundaries: " + "; ".join(f"{sympy.sstr(b)} = 0" for b in self.boundaries))
        return "\n".join(lines)


def regime_map(game: Game, x: tuple, y: tuple, base=None, resolution: int = 201) -> RegimeMap:
    """The partition of the (x, y) plane by the set of asymptotically stable profiles.

    ``x`` and ``y`` are ``(parameter, low, high)``; the other parameters stay at
    ``base``.  Evaluated exactly from the stability conditions at every grid point.
    """
    values = _base_values(game, base)
    (xn, x0, x1), (yn, y0, y1) = x, y
    for n in (xn, yn):
        if n not in game.parameters:
            raise ParameterError(f"{n!r} is not a parameter of this game")
    xs = np.linspace(float(x0), float(x1), int(resolution))
    ys = np.linspace(float(y0), float(y1), int(resolution))
    X, Y = np.meshgrid(xs, ys)
    sx, sy = make_symbol(xn), make_symbol(yn)
    others = {make_symbol(k): exact(v) for k, v in values.items() if k not in (xn, yn)}
    stable_masks, labels, curves = [], [], []
    for idx in game.profiles():
        mask = np.ones(X.shape, dtype=bool)
        for g in switch_gains(game, idx):
            expr = sympy.expand(g.gain.xreplace(others))
            if expr.free_symbols:
                curves.append(expr)
            fn = sympy.lambdify((sx, sy), expr, "numpy")
            mask &= np.broadcast_to(np.asarray(fn(X, Y), dtype=float), X.shape) < 0
        stable_masks.append(mask)
        labels.append(game.state_name(idx) or ", ".join(game.profile_names(idx)))
    stack = np.stack(stable_masks, axis=-1)
    keys, codes = np.unique(stack.reshape(-1, stack.shape[-1]), axis=0, return_inverse=True)
    regimes = tuple(" + ".join(lab for lab, on in zip(labels, key) if on) or "none" for key in keys)
    boundaries = []
    for c in curves:  # each curve once (g and -g are the same curve), and only if it crosses the map
        c = sympy.factor(c)
        lead = sympy.Poly(sympy.expand(c), sx, sy).coeffs()[0] if c.is_polynomial(sx, sy) else 1
        c = -c if lead.is_number and lead < 0 else c
        fn = sympy.lambdify((sx, sy), c, "numpy")
        vals = np.broadcast_to(np.asarray(fn(X, Y), dtype=float), X.shape)
        if np.nanmin(vals) < 0 < np.nanmax(vals) and c not in boundaries:
            boundaries.append(c)
    boundaries = tuple(boundaries)
    return RegimeMap(game, xn, yn, xs, ys, np.ravel(codes).reshape(X.shape), regimes, boundaries)


@dataclass(frozen=True)
class Policy:
    """The cheapest change of the levers that makes ``target`` the unique asymptotically stable state.

    ``values`` are the new lever values at the optimum, ``changes`` the moves from
    base and ``cost`` their total cost.  The conditions are strict inequalities, so
    the optimum is an infimum: ``values`` sit on the boundary (``exact`` gives it in
    rationals) and any further move by ``margin`` in the same direction is a policy
    that works; ``verified_values`` is that point, checked to make ``target`` the
    unique asymptotically stable state.
    """

    target: tuple[str, ...]
    cost: float
    values: Mapping[str, float]
    changes: Mapping[str, float]
    exact: Mapping[str, sympy.Expr] = field(repr=False)
    verified_values: Mapping[str, float] = field(repr=False)
    stable_after: tuple[str, ...] = field(repr=False)
    basins: object = field(default=None, repr=False)

    def __str__(self) -> str:
        moves = ", ".join(
            f"{k}: {v - self.changes[k]:g} -> {sympy.sstr(self.exact[k]) if k in self.exact else format(v, '.6g')}"
            for k, v in self.values.items()
            if self.changes[k] != 0
        )
        return f"cheapest policy for ({', '.join(self.target)}): cost {self.cost:g}; {moves or 'no change needed'}"


def _linear_rows(exprs, symbols):
    """Each expression as (coefficients, constant) in ``symbols``; None if one is not linear."""
    rows = []
    for e in exprs:
        e = sympy.expand(e)
        if not e.is_polynomial(*symbols) or (symbols and sympy.Poly(e, *symbols).total_degree() > 1):
            return None
        coeffs = [e.coeff(s) for s in symbols]
        const = e.xreplace({s: 0 for s in symbols})
        rows.append((coeffs, const))
    return rows


def cheapest_policy(
    game: Game,
    base,
    target,
    levers: Mapping[str, float],
    bounds: Mapping[str, tuple] | None = None,
    margin: float = 1e-6,
    check_orbits: int = 0,
    rng: int = 0,
    t_end: float = 200.0,
) -> Policy:
    """The least-cost lever change that makes ``target`` the unique asymptotically stable pure profile.

    ``levers`` maps parameter names to costs per unit of change (in either direction);
    ``bounds`` gives each lever's allowed range (default: the model's ``[bounds]``, else
    unbounded).  Exact where the stability conditions are linear in the levers (a linear
    programme, solved with HiGHS, then the active constraints solved exactly).  Otherwise
    (e.g. ``delta`` and ``F`` together, whose product enters a payoff) a numerical optimum
    by differential evolution within the levers' bounds (which must then be finite),
    verified to make ``target`` the unique asymptotically stable state; ``Policy.exact``
    is then empty.  Other parameters stay at ``base``.  Every competing pure profile is made
    strictly unstable (a gain of at least ``margin``), the target strictly stable.

    With ``check_orbits=n``, ``n`` orbits from uniform starts are simulated at the verified
    policy and ``Policy.basins`` says where they go: whether cycles remain besides the target.
    """
    from scipy.optimize import linprog

    values = _base_values(game, base)
    idx_t = game.profile_index(target)
    names = list(levers)
    for n in names:
        if n not in game.parameters:
            raise ParameterError(f"lever {n!r} is not a parameter of this game")
        if not (np.isfinite(levers[n]) and levers[n] >= 0):
            raise ParameterError(f"cost of lever {n!r} must be a non-negative number")
    syms = [make_symbol(n) for n in names]
    fixed = {make_symbol(k): exact(v) for k, v in values.items() if k not in names}
    box = []
    for n in names:
        lo, hi = (bounds or {}).get(n, game.bounds.get(n, (None, None)))
        box.append((lo, hi))

    def gains(idx):
        return [g.gain.xreplace(fixed) for g in switch_gains(game, idx)]

    target_rows = _linear_rows(gains(idx_t), syms)
    linear = target_rows is not None and all(
        _linear_rows(gains(idx), syms) is not None for idx in game.profiles() if idx != tuple(idx_t)
    )
    if not linear:
        return _cheapest_nonlinear(
            game, values, idx_t, names, syms, fixed, box, levers, margin, check_orbits, rng, t_end
        )
    competitors = []
    for idx in game.profiles():
        if idx == tuple(idx_t):
            continue
        rows = _linear_rows(gains(idx), syms)
        # a competitor already unstable whatever the levers do (a gain >= 0 free of levers) needs no constraint
        if any(all(c == 0 for c in coeffs) and const >= 0 for coeffs, const in rows):
            continue
        competitors.append(rows)
    base_vec = np.array([float(values[n]) for n in names])
    cost = np.array([float(levers[n]) for n in names])
    k = len(names)
    # variables: new values theta (k), positive and negative moves up, down (k each); minimise cost . (up + down)
    c_obj = np.concatenate([np.zeros(k), cost, cost])
    A_eq = np.hstack([np.eye(k), -np.eye(k), np.eye(k)])
    b_eq = base_vec
    var_bounds = [(lo, hi) for lo, hi in box] + [(0, None)] * (2 * k)

    def solve(extra):
        A_ub, b_ub = [], []
        for coeffs, const in target_rows:  # gain <= -margin
            A_ub.append(np.concatenate([np.array(coeffs, dtype=float), np.zeros(2 * k)]))
            b_ub.append(-margin - float(const))
        for coeffs, const in extra:  # gain >= margin  ->  -gain <= -margin
            A_ub.append(np.concatenate([-np.array(coeffs, dtype=float), np.zeros(2 * k)]))
            b_ub.append(float(const) - margin)
        res = linprog(
            c_obj, A_ub=np.array(A_ub), b_ub=np.array(b_ub), A_eq=A_eq, b_eq=b_eq, bounds=var_bounds, method="highs"
        )
        return res if res.status == 0 else None

    best = None
    import itertools as _it

    for choice in _it.product(*[range(len(rows)) for rows in competitors]):
        extra = [competitors[i][j] for i, j in enumerate(choice)]
        res = solve(extra)
        if res is not None and (best is None or res.fun < best[0].fun - 1e-12):
            best = (res, extra)
    if best is None:
        raise GamekitError(
            f"no change of {', '.join(names)} within their bounds makes the target the unique stable state"
        )
    res, extra = best
    theta = res.x[:k]
    # exact optimum: the active constraints (margin 0) solved in rationals
    exact_vals = _exact_vertex(target_rows, extra, syms, base_vec, theta, box, margin)
    verified = {n: float(v) for n, v in zip(names, theta)}
    stable_after, frame = _verify_policy(
        game, values, verified, idx_t, check_orbits, rng, t_end, "internal check failed: at the computed policy"
    )
    exact_cost = sum(float(levers[n]) * abs(float(exact_vals[n]) - values[n]) for n in names)
    return Policy(
        target=game.profile_names(idx_t),
        cost=exact_cost,
        values={n: float(exact_vals[n]) for n in names},
        changes={n: float(exact_vals[n]) - float(values[n]) for n in names},
        exact=exact_vals,
        verified_values=verified,
        stable_after=stable_after,
        basins=frame,
    )


def _verify_policy(game, values, verified, idx_t, check_orbits, rng, t_end, failure):
    """Check that ``verified`` lever values leave ``idx_t`` the unique asymptotically stable profile.

    Returns the stable profiles there (as text) and, with ``check_orbits``, the simulated basins.
    """
    from .simulate import basins
    from .stability import strict_profiles

    check = game.with_parameters({**values, **verified})
    strict = strict_profiles(np.array([[t.ravel() for t in check.numeric_payoffs()]]), game.shape)[0]
    stable_after = tuple(", ".join(check.profile_names(i)) for j, i in enumerate(np.ndindex(*game.shape)) if strict[j])
    if stable_after != (", ".join(game.profile_names(idx_t)),):
        raise GamekitError(f"{failure} the stable states are {stable_after}")
    frame = basins(check, int(check_orbits), rng=rng, t_end=t_end) if check_orbits else None
    return stable_after, frame


def _exact_vertex(target_rows, extra, syms, base_vec, theta, box, margin):
    """The LP optimum with margin 0, in rationals: levers that did not move stay; active constraints hold with equality."""
    eqs = []
    for s, b, t in zip(syms, base_vec, theta):
        if abs(t - b) < 1e-9:
            eqs.append(s - exact(float(b)))
    for (lo, hi), s, t in zip(box, syms, theta):
        if lo is not None and abs(t - lo) < 1e-9:
            eqs.append(s - exact(lo))
        elif hi is not None and abs(t - hi) < 1e-9:
            eqs.append(s - exact(hi))
    for coeffs, const in target_rows:
        if abs(float(np.dot(np.array(coeffs, dtype=float), theta) + float(const)) + margin) < 1e-7:
            eqs.append(sum(c * s for c, s in zip(coeffs, syms)) + const)
    for coeffs, const in extra:
        if abs(float(np.dot(np.array(coeffs, dtype=float), theta) + float(const)) - margin) < 1e-7:
            eqs.append(sum(c * s for c, s in zip(coeffs, syms)) + const)
    sol = sympy.solve(eqs, syms, dict=True)
    if len(sol) == 1 and all(s in sol[0] for s in syms):
        return {str(s): sol[0][s] for s in syms}
    return {str(s): sympy.nsimplify(float(t), rational=True) for s, t in zip(syms, theta)}


@dataclass(frozen=True, eq=False)
class Path:
    """Where one population goes under a schedule: phases, states visited, whether and when it reaches the target.

    ``visits`` are ``(t_from, t_to, state)`` runs: ``state`` is the pure profile (by
    name where the game names it) within ``near`` of the orbit, else ``"in transit"``.
    ``reached_at`` is the first time after which the orbit stays within ``tol`` of the
    target (``None`` if it does not); ``phases`` are ``(start, phase name)``.
    """

    target: tuple[str, ...]
    reached: bool
    reached_at: float | None
    visits: tuple[tuple[float, float, str], ...]
    phases: tuple[tuple[float, str], ...]
    trajectory: object = field(repr=False)

    def __str__(self) -> str:
        lines = [
            f"target ({', '.join(self.target)}): "
            + (f"reached at t = {self.reached_at:.3g}" if self.reached else "not reached")
        ]
        lines.append("phases: " + "; ".join(f"t={t:g} {n}" for t, n in self.phases))
        lines += [f"  t {a:7.2f} - {b:7.2f}  {label}" for a, b, label in self.visits]
        return "\n".join(lines)

    def plot(self, ax=None):
        from . import plot

        fig = plot.trajectories(self.trajectory, ax=ax)
        axis = fig.axes[0]
        for t, name in self.phases:
            axis.axvline(t, color="0.5", lw=0.8, ls=":")
            axis.annotate(name, (t, 1.0), fontsize="small", rotation=90, va="top", ha="right")
        return fig


def follow(
    game: Game, schedule, initial, t_end: float, target, *, tol: float = 1e-3, near: float = 0.05, points: int = 2001
) -> Path:
    """Simulate one population under a schedule (a name the model declares, or a list) and describe its path."""
    from .simulate import simulate

    idx_t = game.profile_index(target)
    if isinstance(schedule, str):
        phase_names = [(start, name) for name, start, _, _ in game.schedules.get(schedule, ())] or None
        steps = game.schedule(schedule)
    else:
        steps, phase_names = list(schedule), None
    phases = tuple(phase_names or [(float(t), f"phase {i + 1}") for i, (t, _) in enumerate(steps)])
    times = np.linspace(0.0, float(t_end), int(points))
    traj = simulate(game, initial, t_end, schedule=steps, t_eval=times)
    if traj.n != 1:
        raise GamekitError("follow takes one initial state")
    from .space import StateSpace

    space = StateSpace(game.shape)
    full = np.stack([space.full(traj.states[:, i])[0] for i in range(len(times))])  # (T, D)
    corners = {idx: np.concatenate([np.eye(n)[s] for n, s in zip(game.shape, idx)]) for idx in game.profiles()}
    labels = []
    for row in full:
        dist = {idx: np.max(np.abs(row - c)) for idx, c in corners.items()}
        best = min(dist, key=dist.get)
        labels.append(
            (game.state_name(best) or ", ".join(game.profile_names(best))) if dist[best] < near else "in transit"
        )
    visits, start = [], 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            visits.append((float(times[start]), float(times[i - 1]), labels[start]))
            start = i
    d_target = np.max(np.abs(full - corners[tuple(idx_t)]), axis=1)
    outside = np.nonzero(d_target >= tol)[0]
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


def _cheapest_nonlinear(game, values, idx_t, names, syms, fixed, box, levers, margin, check_orbits, rng, t_end):
    """Least cost with nonlinear conditions: differential evolution on cost + penalty, then verified."""
    from scipy.optimize import differential_evolution

    for n, (lo, hi) in zip(names, box):
        if lo is None or hi is None:
            raise GamekitError(
                f"the conditions are not linear in these levers: give finite bounds for {n!r} "
                "(bounds={name: (low, high)} or [bounds] in the model file)"
            )
    gain_fns = []
    for idx in game.profiles():
        exprs = [g.gain.xreplace(fixed) for g in switch_gains(game, idx)]
        gain_fns.append((idx == tuple(idx_t), sympy.lambdify(syms, exprs, "numpy")))
    base_vec = np.array([float(values[n]) for n in names])
    cost = np.array([float(levers[n]) for n in names])
    big = 1e3 * (1.0 + float(np.sum(cost * np.array([hi - lo for lo, hi in box]))))

    def violation(theta):
        total = 0.0
        for is_target, fn in gain_fns:
            g = np.asarray(fn(*theta), dtype=float)
            total += float(np.sum(np.maximum(0.0, g + margin))) if is_target else max(0.0, margin - float(np.max(g)))
        return total

    def objective(theta):
        return float(np.dot(cost, np.abs(theta - base_vec))) + big * violation(theta)

    best = differential_evolution(objective, bounds=box, seed=rng, tol=1e-12, maxiter=3000, polish=True, init="sobol")
    theta = best.x
    if violation(theta) > 0:
        raise GamekitError("no change of the levers within their bounds makes the target the unique stable state")
    verified = {n: float(v) for n, v in zip(names, theta)}
    stable_after, frame = _verify_policy(
        game, values, verified, idx_t, check_orbits, rng, t_end, "the numerical optimum failed verification:"
    )
    return Policy(
        target=game.profile_names(idx_t),
        cost=float(np.dot(cost, np.abs(theta - base_vec))),
        values=verified,
        changes={n: verified[n] - float(values[n]) for n in names},
        exact={},
        verified_values=verified,
        stable_after=stable_after,
        basins=frame,
    )
