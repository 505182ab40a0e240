r"""The cheapest policy: the least-cost change of some parameters that makes a target the unique stable state.

Levers ``theta_1, ..., theta_k`` (parameters) cost ``c_i`` per unit of change in
either direction; the others stay at their base values.  The target pure profile
``t`` must be asymptotically stable and every other pure profile unstable
(:mod:`gamekit.stability`: a pure profile is asymptotically stable iff every
switch gain is negative)::

    minimise   sum_i c_i |theta_i - theta_i^0|
    subject to g_{p,j}^t(theta) <= -margin            for every switch (p, j) from t,
               max_{(p,j)} g_{p,j}^s(theta) >= margin   for every other pure profile s.

The second family is a disjunction (one switch of ``s`` must gain).  Where every
gain is linear in the levers, each choice of one gaining switch per competitor
is a linear programme (HiGHS).  Two optima are kept.  The *verified policy* is the
cheapest point over all choices with the given ``margin`` (``Policy.verified_values``,
``Policy.verified_cost``): it satisfies every condition strictly and is checked.  The
*infimum* of the cost over all policies is the limit ``margin -> 0``: the least cost
over the choices whose strict system is feasible (a maximal common slack > 0) of the
closed programme with ``margin = 0`` (the closure of a non-empty open polyhedron is the
closed one); its active constraints are solved exactly in rationals (``Policy.exact``,
``Policy.values``, ``Policy.cost``).  The infimum is a boundary: there some switch gain
of the target is 0, so the target is not asymptotically stable at ``values`` itself;
it is a lower bound, ``cost <= verified_cost``, and the two may lie on different choices
(a large margin can make another competitor's condition the cheaper one to meet).  Otherwise differential evolution minimises
cost plus a penalty for violated conditions within finite lever bounds, and the
optimum is verified.  Either way the verified point (``margin`` inside every
condition) is checked to leave ``t`` the unique asymptotically stable state.

In a multilinear game the pure-profile conditions settle uniqueness (Ritzberger-Weibull: no other
point is asymptotically stable).  In any other game (shares in payoffs, symmetric and group games)
the switch gains are those at each pure state, and the optimum is additionally checked against every
rest point (:func:`gamekit.equilibria`): if an interior or face point is asymptotically stable there
as well, a GamekitError says so rather than report a policy that does not do what it claims.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import sympy

from .. import _validate as check
from .._frozen import FrozenMap
from .._validate import printable
from ..errors import AnalysisError, ArgumentError, GamekitError, ParameterError
from ..expr import exact, substitute
from ..game import Game
from ..stability import switch_gains
from ._common import BaseValues, Target, base_values, check_game, parameter, profile
from .thresholds import finite_real

__all__ = ["Policy", "cheapest_policy"]

ACTIVE_TOL = 1e-7
"""A constraint whose slack (beyond ``margin``) is below this is active at the LP optimum."""

AT_BOUND_TOL = 1e-9
"""A lever within this of its base value or of a bound sits there at the LP optimum."""

VERIFIED_DIGITS = 10
"""Significant digits of the verified values in ``str(Policy)`` (a small margin stays visible: 3.000001, not 3)."""

STRICT_SLACK_TOL = 1e-9
"""A choice of competitor conditions counts as strictly feasible when its largest common slack exceeds this."""

IMPROVEMENT_TOL = 1e-12
"""A choice of competitor constraints replaces the best so far only if cheaper by more than this."""

MAX_LP_CHOICES = 20_000
"""Most linear programmes tried (one per choice of a gaining switch for every competitor); beyond it,
differential evolution within finite bounds, or an AnalysisError saying what helps."""

MAX_CHECK_ORBITS = 10_000_000
"""Most orbits ``check_orbits`` may ask for."""

UNDEFINED_PENALTY = 1e6
"""Violation counted for a gain that is not a finite real number (a payoff outside its domain)."""


@dataclass(frozen=True)
class Policy:
    """The cheapest change of the levers that makes ``target`` the unique asymptotically stable state.

    ``verified_values`` is the policy to apply: the cheapest lever values that meet every
    condition with ``margin`` to spare, checked to make ``target`` the unique asymptotically
    stable state; ``verified_cost`` is its cost.  The conditions are strict inequalities, so
    the least cost is an infimum that no policy attains: ``values`` (in rationals:
    ``exact``) is the boundary point where it is reached, ``changes`` the moves from base to
    it and ``cost`` the infimum, a lower bound (``cost <= verified_cost``).  At ``values``
    the target is *not* asymptotically stable (a switch gain is 0).  Where the optimum is
    numerical (``exact`` empty), ``values`` are the verified values.
    """

    target: tuple[str, ...]
    cost: float
    values: Mapping[str, float]
    changes: Mapping[str, float]
    exact: Mapping[str, sympy.Expr] = field(repr=False)
    verified_values: Mapping[str, float] = field(repr=False)
    stable_after: tuple[str, ...] = field(repr=False)
    basins: object = field(default=None, repr=False)
    verified_cost: float = field(default=float("nan"), repr=False)
    margin: float = field(default=float("nan"), repr=False)

    def __repr__(self) -> str:
        values = ", ".join(f"{printable(k)}={v:.6g}" for k, v in self.values.items())
        return f"Policy(target=({printable(', '.join(self.target), 120)}), cost={self.cost:.6g}, {values})"

    def __str__(self) -> str:
        def shown(value):
            return f"{value:.{VERIFIED_DIGITS}g}"

        # the levers that move, to the digits shown (a numerical optimum may move one by 1e-12)
        names = [
            k
            for k in self.values
            if (self.exact and self.changes[k] != 0) or shown(self.verified_values[k]) != shown(self._base(k))
        ]
        target = ", ".join(self.target)
        moves = ", ".join(f"{k}: {shown(self._base(k))} -> {shown(self.verified_values[k])}" for k in names)
        cost = self.verified_cost if self.verified_cost == self.verified_cost else self.cost
        head = f"cheapest policy for ({target}): {moves or 'no change needed'} (cost {cost:.{VERIFIED_DIGITS}g}"
        if not self.exact:
            return head + ", a verified numerical optimum)"
        head += f", verified with margin {self.margin:g})" if self.margin == self.margin else ", verified)"
        if not self.changes or all(v == 0 for v in self.changes.values()):
            return head
        bound = ", ".join(f"{k} = {sympy.sstr(self.exact[k])}" for k in names)
        return (
            f"{head}\ninfimum: cost {self.cost:.6g} at the boundary {bound}, "
            f"where ({target}) is not yet asymptotically stable"
        )

    def _base(self, name: str) -> float:
        return self.values[name] - self.changes[name]


def _linear_rows(exprs, symbols):
    """Each expression as (coefficients, constant) in ``symbols``; None if one is not linear."""
    rows = []
    for e in exprs:
        e = sympy.expand(e)
        if e.is_number and not finite_real(e):
            raise AnalysisError(
                f"a switch gain is {sympy.sstr(e)} at the base values: the payoffs are not finite real numbers there"
            )
        if not e.is_polynomial(*symbols) or (symbols and sympy.Poly(e, *symbols).total_degree() > 1):
            return None
        coeffs = [e.coeff(s) for s in symbols]
        const = e.xreplace({s: 0 for s in symbols})
        if not all(finite_real(c) for c in [*coeffs, const]):
            raise AnalysisError(
                f"the switch gain {sympy.sstr(e)} is not finite and real at the base values of the other parameters"
            )
        rows.append((coeffs, const))
    return rows


def _levers(game: Game, levers) -> dict[str, float]:
    if not isinstance(levers, Mapping) or not levers:
        raise ArgumentError(
            f"levers must be a non-empty {{parameter: cost per unit of change}} mapping, got {printable(repr(levers), 60)}"
        )
    out = {}
    for name, cost in levers.items():
        try:
            parameter(game, name, "levers")
        except ParameterError:  # the wording of earlier versions: "lever 'Q' is not a parameter"
            known = ", ".join(game.parameters)
            raise ParameterError(
                f"lever {printable(repr(name))} is not a parameter of this game (its parameters: {printable(known)})"
            ) from None
        out[name] = check.real(f"levers[{name!r}] (the cost of lever {name!r})", cost, low=0.0)
    return out


def _bounds(game: Game, bounds, names) -> list[tuple[float | None, float | None]]:
    if bounds is not None and not isinstance(bounds, Mapping):
        raise ArgumentError(f"bounds must be a {{lever: (low, high)}} mapping or None, got {type(bounds).__name__}")
    bounds = dict(bounds or {})
    for name in bounds:
        if name not in names:
            raise ArgumentError(f"bounds: {printable(repr(name))} is not one of the levers ({', '.join(names)})")
    box = []
    for n in names:
        pair = bounds.get(n, game.bounds.get(n, (None, None)))
        if isinstance(pair, (str, bytes)) or not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ArgumentError(f"bounds[{n!r}] must be (low, high) with None for an open end, got {pair!r}")
        lo, hi = (None if e is None else check.real(f"bounds[{n!r}]", e) for e in pair)
        if lo is not None and hi is not None and not lo < hi:
            raise ArgumentError(f"bounds[{n!r}] must have low < high, got ({lo!r}, {hi!r})")
        box.append((lo, hi))
    return box


def cheapest_policy(
    game: Game,
    base: BaseValues,
    target: Target,
    levers: Mapping[str, float],
    bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
    margin: float = 1e-6,
    check_orbits: int = 0,
    rng: int | np.random.Generator | None = 0,
    t_end: float = 200.0,
) -> Policy:
    """The least-cost lever change that makes ``target`` the unique asymptotically stable pure profile.

    ``levers`` maps parameter names to costs per unit of change (in either direction, >= 0);
    ``bounds`` gives each lever's allowed range (default: the model's ``[bounds]``, else
    unbounded).  Exact where the stability conditions are linear in the levers (a linear
    programme, solved with HiGHS, then the active constraints solved exactly).  Otherwise
    (e.g. ``delta`` and ``F`` together, whose product enters a payoff) a numerical optimum
    by differential evolution within the levers' bounds (which must then be finite),
    verified to make ``target`` the unique asymptotically stable state; ``Policy.exact``
    is then empty.  Other parameters stay at ``base``.  Every competing pure profile is made
    strictly unstable (a gain of at least ``margin`` > 0), the target strictly stable.

    With ``check_orbits=n``, ``n`` orbits from uniform starts (seeded by ``rng``) are simulated
    to ``t_end`` at the verified policy and ``Policy.basins`` says where they go: whether
    cycles remain besides the target.

    Parameters
    ----------
    game
        The game.
    base
        The starting values: a scenario name or ``{parameter: value}``; parameters that are not levers stay there.
    target
        The pure profile (or state name) to make the unique asymptotically stable one.
    levers
        ``{parameter: cost per unit of change}`` (in either direction, >= 0).
    bounds
        Each lever's allowed range ``{parameter: (low, high)}`` (default: the model's ``[bounds]``, else unbounded).
    margin
        How strictly (> 0) every competing profile is made unstable and the target stable.
    check_orbits
        Orbits from uniform starts simulated at the policy found (0: none).
    rng
        Seed of those starts.
    t_end
        Their integration time.

    Returns
    -------
    Policy
        The changes, their cost, the conditions met (``exact`` where the optimum is exact) and, with
        ``check_orbits``, the ``basins`` at the policy.

    Examples
    --------
    >>> import gamekit as gk
    >>> game = gk.models.platform_insurance()
    >>> print(gk.cheapest_policy(game, "trap", "meta-goal", {"R": 1.0, "K": 1.0}, margin=0.5))
    cheapest policy for (regulate, insure, claim): R: 2 -> 3.5, K: 2 -> 3.5 (cost 3, verified with margin 0.5)
    infimum: cost 2 at the boundary R = 3, K = 3, where (regulate, insure, claim) is not yet asymptotically stable
    """
    from scipy.optimize import linprog

    game = check_game(game)
    values = base_values(game, base)
    idx_t = profile(game, target)
    levers = _levers(game, levers)
    margin = check.real("margin", margin, low=0.0, low_open=True)
    check_orbits = check.integer("check_orbits", check_orbits, minimum=0, maximum=MAX_CHECK_ORBITS)
    check.generator(rng)  # validated; an integer seed is passed on as it is (the same numbers as before)
    if isinstance(rng, np.random.SeedSequence):
        rng = np.random.default_rng(rng)
    t_end = check.real("t_end", t_end, low=0.0, low_open=True)
    names = list(levers)
    box = _bounds(game, bounds, names)
    symbols = game.symbols
    syms = [symbols[n] for n in names]
    fixed = {symbols[k]: exact(val) for k, val in values.items() if k not in names}

    def gains(idx):
        return [substitute(g.gain, fixed) for g in switch_gains(game, idx)]

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
    choices = int(np.prod([len(rows) for rows in competitors], dtype=float))
    if choices > MAX_LP_CHOICES:
        if all(lo is not None and hi is not None for lo, hi in box):
            return _cheapest_nonlinear(
                game, values, idx_t, names, syms, fixed, box, levers, margin, check_orbits, rng, t_end
            )
        raise AnalysisError(
            f"{choices:.3g} combinations of competing profiles' conditions exceed {MAX_LP_CHOICES} linear "
            "programmes: give finite bounds for every lever (bounds=...) to search numerically, or use fewer levers"
        )
    base_vec = np.array([float(values[n]) for n in names])
    cost = np.array([float(levers[n]) for n in names])
    k = len(names)
    # variables: new values theta (k), positive and negative moves up, down (k each); minimise cost . (up + down)
    c_obj = np.concatenate([np.zeros(k), cost, cost])
    A_eq = np.hstack([np.eye(k), -np.eye(k), np.eye(k)])
    b_eq = base_vec
    var_bounds = [(lo, hi) for lo, hi in box] + [(0, None)] * (2 * k)

    def rows_ub(extra, slack_column):
        """The conditions as A_ub x <= b_ub (with margin moved to b, or as a slack variable's column)."""
        A_ub, b_ub = [], []
        for coeffs, const in target_rows:  # gain <= -margin
            A_ub.append(np.concatenate([np.array(coeffs, dtype=float), np.zeros(2 * k), slack_column]))
            b_ub.append(-float(const))
        for coeffs, const in extra:  # gain >= margin  ->  -gain <= -margin
            A_ub.append(np.concatenate([-np.array(coeffs, dtype=float), np.zeros(2 * k), slack_column]))
            b_ub.append(float(const))
        return np.array(A_ub), np.array(b_ub)

    def solve(extra, m):
        A_ub, b_ub = rows_ub(extra, [])
        res = linprog(c_obj, A_ub=A_ub, b_ub=b_ub - m, A_eq=A_eq, b_eq=b_eq, bounds=var_bounds, method="highs")
        return res if res.status == 0 else None

    def strictly_feasible(extra):
        """Some lever values meet every condition with a common slack s > 0 (maximise s <= 1)."""
        A_ub, b_ub = rows_ub(extra, [1.0])
        res = linprog(
            np.concatenate([np.zeros(3 * k), [-1.0]]),
            A_ub=A_ub,
            b_ub=b_ub,
            A_eq=np.hstack([A_eq, np.zeros((k, 1))]),
            b_eq=b_eq,
            bounds=[*var_bounds, (0.0, 1.0)],
            method="highs",
        )
        return res.status == 0 and res.x[-1] > STRICT_SLACK_TOL

    best = None  # the cheapest with `margin` to spare: the verified policy
    infimum = None  # the cheapest with margin -> 0, over the choices that are strictly feasible
    for choice in itertools.product(*[range(len(rows)) for rows in competitors]):
        extra = [competitors[i][j] for i, j in enumerate(choice)]
        closed = solve(extra, 0.0)
        if closed is None:  # then no margin > 0 is feasible either
            continue
        res = solve(extra, margin)
        if res is not None:
            if best is None or res.fun < best[0].fun - IMPROVEMENT_TOL:
                best = (res, extra)
        elif not strictly_feasible(extra):
            continue
        if infimum is None or closed.fun < infimum[0].fun - IMPROVEMENT_TOL:
            infimum = (closed, extra)
    if infimum is None:
        raise GamekitError(
            f"no change of {', '.join(names)} within their bounds makes the target the unique stable state"
        )
    # exact infimum: the active constraints of the closed programme (margin 0) solved in rationals
    exact_vals = _exact_vertex(target_rows, infimum[1], syms, base_vec, infimum[0].x[:k], box, 0.0)
    exact_cost = sum(float(levers[n]) * abs(float(exact_vals[n]) - values[n]) for n in names)
    if best is None:
        bound = ", ".join(f"{n} = {sympy.sstr(v)}" for n, v in exact_vals.items())
        raise GamekitError(
            f"no change of {', '.join(names)} within their bounds meets every condition with margin {margin:g}; "
            f"the infimum is cost {exact_cost:.6g} at {bound}: give a smaller margin"
        )
    theta = best[0].x[:k]
    verified = {n: float(v) for n, v in zip(names, theta)}
    stable_after, frame = _verify_policy(
        game, values, verified, idx_t, check_orbits, rng, t_end, "internal check failed: at the computed policy"
    )
    return Policy(
        target=game.profile_names(idx_t),
        cost=exact_cost,
        values=FrozenMap({n: float(exact_vals[n]) for n in names}),
        changes=FrozenMap({n: float(exact_vals[n]) - float(values[n]) for n in names}),
        exact=FrozenMap(exact_vals),
        verified_values=FrozenMap(verified),
        stable_after=stable_after,
        basins=frame,
        verified_cost=float(np.dot(cost, np.abs(theta - base_vec))),
        margin=margin,
    )


def _verify_policy(game, values, verified, idx_t, check_orbits, rng, t_end, failure):
    """Check that ``verified`` lever values leave ``idx_t`` the unique asymptotically stable profile.

    Returns the stable profiles there (as text) and, with ``check_orbits``, the simulated basins.
    """
    from ..basins import basins
    from ..stability import is_strict_nash, strict_profiles

    at = game.with_parameters({**values, **verified})
    if game.multilinear:
        strict = strict_profiles(np.array([[t.ravel() for t in at.numeric_payoffs()]]), game.shape)[0]
    else:
        strict = [is_strict_nash(at, i) for i in np.ndindex(*game.shape)]
    stable_after = tuple(", ".join(at.profile_names(i)) for j, i in enumerate(np.ndindex(*game.shape)) if strict[j])
    if stable_after != (", ".join(game.profile_names(idx_t)),):
        raise GamekitError(f"{failure} the stable states are {stable_after}")
    if not game.multilinear:
        _no_other_attractor(at, stable_after[0])
    frame = basins(at, int(check_orbits), rng=rng, t_end=t_end) if check_orbits else None
    return stable_after, frame


def _no_other_attractor(at: Game, target: str) -> None:
    """A game that is not multilinear: no rest point but the target may be asymptotically stable at the policy.

    The conditions above concern pure profiles only; here an interior or face point can be an attractor
    too (module docstring), so every rest point is found (:func:`gamekit.equilibria`) and checked.
    """
    from ..equilibria import equilibria
    from ..stability import Stability

    found = equilibria(at)
    others = [
        e
        for e in found.points
        if e.stability == Stability.ASYMPTOTICALLY_STABLE and (e.profile is None or ", ".join(e.profile) != target)
    ]
    if others:
        raise GamekitError(
            f"cheapest_policy: at the cheapest change that makes ({target}) the only asymptotically stable pure "
            f"profile, the rest point {others[0].describe_state()} is asymptotically stable too; in a game that is "
            "not multilinear the pure-profile conditions do not make a state the unique attractor, and "
            "cheapest_policy does not yet search over interior attractors"
        )
    if found.continua or found.uncertain:
        raise GamekitError(
            f"cheapest_policy: at the policy found for ({target}) the rest points are not all isolated and verified "
            "(a continuum or an unverified candidate), so uniqueness of the attractor cannot be confirmed"
        )


def _exact_vertex(target_rows, extra, syms, base_vec, theta, box, margin):
    """The LP optimum with margin 0, in rationals: levers that did not move stay; active constraints hold with equality."""
    eqs = []
    for s, b, t in zip(syms, base_vec, theta):
        if abs(t - b) < AT_BOUND_TOL:
            eqs.append(s - exact(float(b)))
    for (lo, hi), s, t in zip(box, syms, theta):
        if lo is not None and abs(t - lo) < AT_BOUND_TOL:
            eqs.append(s - exact(lo))
        elif hi is not None and abs(t - hi) < AT_BOUND_TOL:
            eqs.append(s - exact(hi))
    for coeffs, const in target_rows:
        if abs(float(np.dot(np.array(coeffs, dtype=float), theta) + float(const)) + margin) < ACTIVE_TOL:
            eqs.append(sum(c * s for c, s in zip(coeffs, syms)) + const)
    for coeffs, const in extra:
        if abs(float(np.dot(np.array(coeffs, dtype=float), theta) + float(const)) - margin) < ACTIVE_TOL:
            eqs.append(sum(c * s for c, s in zip(coeffs, syms)) + const)
    sol = sympy.solve(eqs, syms, dict=True)
    if len(sol) == 1 and all(s in sol[0] for s in syms):
        return {str(s): sol[0][s] for s in syms}
    return {str(s): sympy.nsimplify(float(t), rational=True) for s, t in zip(syms, theta)}


def _cheapest_nonlinear(game, values, idx_t, names, syms, fixed, box, levers, margin, check_orbits, rng, t_end):
    """Least cost with nonlinear conditions: differential evolution on cost + penalty, then verified."""
    from scipy.optimize import differential_evolution

    for n, (lo, hi) in zip(names, box):
        if lo is None or hi is None:
            raise ArgumentError(
                f"the conditions are not linear in these levers: give finite bounds for {n!r} "
                "(bounds={name: (low, high)} or [bounds] in the model file)"
            )
    gain_fns = []
    for idx in game.profiles():
        exprs = [substitute(g.gain, fixed) for g in switch_gains(game, idx)]
        gain_fns.append((idx == tuple(idx_t), sympy.lambdify(syms, exprs, "numpy")))
    base_vec = np.array([float(values[n]) for n in names])
    cost = np.array([float(levers[n]) for n in names])
    big = 1e3 * (1.0 + float(np.sum(cost * np.array([hi - lo for lo, hi in box]))))

    def violation(theta):
        total = 0.0
        for is_target, fn in gain_fns:
            with np.errstate(all="ignore"):
                g = np.asarray(fn(*theta), dtype=complex)
            bad = ~np.isfinite(g) | (g.imag != 0)
            if np.any(bad):
                total += UNDEFINED_PENALTY
            g = np.where(bad, 0.0, g.real)
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
        values=FrozenMap(verified),
        changes=FrozenMap({n: verified[n] - float(values[n]) for n in names}),
        exact=FrozenMap(),
        verified_values=FrozenMap(verified),
        stable_after=stable_after,
        basins=frame,
        verified_cost=float(np.dot(cost, np.abs(theta - base_vec))),
        margin=margin,
    )
