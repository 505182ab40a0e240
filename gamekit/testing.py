r"""Property-based tests of a paper's propositions: hypothesis strategies and stability assertions.

For users' own test suites (``pip install -e ".[test]"`` brings hypothesis; ``import gamekit`` never
imports this module or hypothesis).  A proposition of the usual form -- "when conditions (1)-(3) hold,
E4 = (regulate, evade, accept) is the unique ESS" -- becomes a property test:

>>> import gamekit as gk
>>> from hypothesis import given, settings
>>> from gamekit.testing import assert_stable, assert_unique_stable, parameters
>>> game = gk.models.platform_insurance()
>>> bounds = {name: (0, 100) for name in game.parameters} | {"delta": (0, 1), "theta": (0, 1)}
>>> proposition_1 = ["delta*F > Cg", "Cp > B + delta*F + S", "Cc > K"]
>>> @settings(max_examples=25, deadline=None)
... @given(parameters(game, where=proposition_1, bounds=bounds))
... def test_proposition_1(values):
...     assert_stable(game.with_parameters(values), "trap")
>>> test_proposition_1()                      # passes: 25 parameter sets from the conditions' region
>>> assert_stable(game.with_parameters(Cp=5), "trap")   # B + delta*F + S = 5: condition (2) fails
Traceback (most recent call last):
...
AssertionError: (regulate, evade, accept) [trap] is not asymptotically stable: the eigenvalue (switch gain) of platform: insure instead of evade, B - Cp + F*delta + S, is 0 here (it must be negative)

"The trap is the *unique* ESS" under the same conditions is wrong: the meta-goal can be stable too
(``@given`` on ``assert_unique_stable`` finds such a set; ``tests/test_user_propositions.py``):

>>> assert_unique_stable(game.with_parameters(Cp=10, R=4), "trap")
Traceback (most recent call last):
...
AssertionError: (regulate, evade, accept) [trap] is asymptotically stable but not the only stable state: (regulate, insure, claim) [meta-goal] is asymptotically stable too (eigenvalues -1, -4, -4)

**Drawing from the region of the conditions** (:func:`parameters`).  The conditions
``g_i(theta) > 0`` (or ``>= 0``; each ``lhs OP rhs`` of the payoff grammar, read by
:func:`gamekit.expr.parse_condition`) and the box ``lo <= theta <= hi`` of the bounds define the region
``Omega``.  Rejection sampling from the box fails hypothesis' health checks as soon as ``Omega`` is a
thin part of it, so the strategy draws from ``Omega`` itself:

1. *anchors*: once, when the strategy is made, ``ANCHOR_SAMPLES`` fixed pseudo-random points of the box
   (and the game's own values) are screened; if fewer than ``MIN_SEEDS`` are feasible, differential
   evolution maximises the smallest normalised margin ``min_i g_i(theta) / s_i`` (``s_i`` the typical size of
   ``g_i`` over the box) to find a point deep inside ``Omega``.  From the feasible points,
   ``CHAINS`` hit-and-run chains walk ``WALK_STEPS`` steps inside ``Omega``: along a direction each
   proposes steps of ``2^-k`` times the chord of the box (``k = 0 .. SCALES - 1``) and takes the longest
   step that stays in ``Omega``.  Directions (in coordinates scaled to each parameter's range) are, in
   turn, uniformly random, along one coordinate axis, and random but orthogonal to the gradients of every
   ``g_i`` (finite differences), so that a chain moves along a thin region instead of sticking.  Up to
   ``MAX_ANCHORS`` visited points, rounded to ``DIGITS`` significant digits (more, ``ROUNDING``, where the
   region is too thin for them) and each checked *exactly*
   (rational arithmetic on the conditions and the bounds), are the anchors, sorted by their distance to
   the game's values.  This is deterministic: the same game, conditions and bounds give the same anchors.
2. *a draw*: hypothesis draws two anchor indices ``i, j`` and ``t`` in ``[0, 1]``; the draw is
   ``a_i + t (a_j - a_i)`` rounded as the anchors are if that point satisfies the conditions
   and the bounds exactly, else the same with ``t`` halved (at most ``MAX_HALVINGS`` times; then ``a_i``
   itself).  Every draw is in ``Omega`` without rejection (a convex region is covered by the segments
   between anchors; in a non-convex one a segment is cut back towards ``a_i``).  Everything random in a
   draw comes from hypothesis primitives, so hypothesis shrinks it: towards ``i = j = 0, t = 0``, the
   anchor nearest the game's values.  The region of the same game, conditions, bounds and ``vary`` is
   found once per process (a cache of ``REGION_CACHE`` regions), so several tests of one claim pay once.

A parameter without bounds, of value ``v`` (0 if it has none), is drawn from ``[0, w]`` with
``w = 2|v| + 10`` when ``v >= 0`` and from ``[-w, 0]`` when ``v < 0`` (``DEFAULT_WIDTH_FACTOR``,
``DEFAULT_WIDTH_OFFSET``); a missing end of one-sided bounds is that default range's end, or lies ``w``
beyond the given end when the default range does not reach past it.

**The assertions** (:func:`assert_stable`, :func:`assert_unique_stable`) decide asymptotic stability as
:mod:`gamekit.stability` does.  At a pure profile ``s`` the eigenvalues are the switch gains
``u_p(j) - u_p(s_p)`` at ``e_s`` (every kind of game), evaluated exactly at the game's values; ``s`` is
asymptotically stable iff every one is negative, and the message of a failure names the switch, its
expression and its value.  Another state is linearised with :func:`gamekit.linearize`.  Uniqueness: in a
multilinear game only strict (pure) equilibria are asymptotically stable (Ritzberger-Weibull), so every
other pure profile's switch gains are checked exactly; in any other game interior and face states can be
attractors too, and every rest point :func:`gamekit.equilibria` finds counts.

:func:`games` draws random games with numbers as payoffs (``kind="populations"`` or ``"symmetric"``),
for method papers.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy
from hypothesis import strategies as st

from . import _validate
from ._validate import printable
from .dynamics import check_game
from .errors import AnalysisError, ArgumentError, GamekitError, ParameterError, StateError
from .expr import exact, parse_condition, payoff_text, substitute
from .game import Game
from .space import StateSpace
from .stability import ZERO_TOL, Stability, check_zero_tol, switch_gains

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = ["parameters", "games", "assert_stable", "assert_unique_stable"]

ANCHOR_SEED = 20_260_601  # fixed seed of the anchor search: the same problem gives the same anchors
ANCHOR_SAMPLES = 4096  # points of the box screened first
MIN_SEEDS = 8  # fewer feasible points than this among them: an optimiser looks for a point deep inside
CHAINS = 32  # hit-and-run chains
WALK_STEPS = 24  # steps of each chain
SCALES = 24  # proposals per step: 2^-k times the chord, k = 0 .. SCALES - 1
MAX_ANCHORS = 256  # anchors kept
POOL_SIZE = 768  # visited points checked exactly, of which MAX_ANCHORS are kept
DIGITS = 6  # significant digits of every drawn value (exact rationals of short decimals)
ROUNDING = (DIGITS, 10, 17)  # digits tried in turn when rounding moves a point off a thin region
OPTIMISER_STARTS = 6  # SLSQP starts (the best screened points) when few screened points are feasible
MAX_FRACTION_DEGREE = 8  # conditions of higher degree are checked exactly by sympy instead
GRADIENT_STEP = 1e-6  # finite-difference step of the margins' gradients, relative to each parameter's range
REGION_CACHE = 32  # regions kept (oldest dropped first)
MAX_HALVINGS = 40  # a draw off the region: t halved at most this often, then the anchor itself
DEFAULT_WIDTH_FACTOR = 2.0  # an unbounded parameter of value v: a range of width 2|v| + 10 ...
DEFAULT_WIDTH_OFFSET = 10.0  # ... from 0 (see the module docstring)
MAX_GAME_PROFILES = 4096  # games(): at most this many pure profiles
MAX_PAYOFF_MAGNITUDE = 1e6  # games(): payoffs within [-1e6, 1e6]


# -- the region of the conditions -----------------------------------------------------------------


def _margin(rel: sympy.Rel) -> tuple[sympy.Expr, bool]:
    """``(m, strict)`` with the condition equivalent to ``m > 0`` (strict) or ``m >= 0``."""
    if isinstance(rel, (sympy.StrictGreaterThan, sympy.GreaterThan)):
        m = rel.lhs - rel.rhs
    else:
        m = rel.rhs - rel.lhs
    return m, isinstance(rel, (sympy.StrictGreaterThan, sympy.StrictLessThan))


def _exact_holds(m: sympy.Expr, strict: bool, values: Mapping[sympy.Symbol, sympy.Expr]) -> bool:
    """Whether ``m > 0`` (``>= 0``) holds exactly at ``values``; False when it cannot be decided."""
    try:
        v = substitute(m, values)
    except (AnalysisError, ZeroDivisionError):
        return False
    if not v.is_number or v.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo) or v.is_extended_real is not True:
        return False
    ok = v.is_positive if strict else v.is_nonnegative
    return bool(ok)


def _fraction_terms(m: sympy.Expr, symbols) -> list[tuple[Fraction, tuple[tuple[int, int], ...]]] | None:
    """``m`` as ``[(coefficient, ((symbol index, power), ...))]`` if a polynomial over the rationals, else None."""
    if not symbols:
        return None
    try:
        poly = sympy.Poly(m, *symbols)
    except (sympy.PolynomialError, sympy.GeneratorsNeeded):
        return None
    if poly.domain not in (sympy.ZZ, sympy.QQ) or poly.total_degree() > MAX_FRACTION_DEGREE:
        return None
    return [
        (Fraction(int(sympy.numer(c)), int(sympy.denom(c))), tuple((i, e) for i, e in enumerate(powers) if e))
        for powers, c in poly.terms()
    ]


def _round(x: np.ndarray, digits: int = DIGITS) -> np.ndarray:
    """Every value rounded to ``digits`` significant digits (exact rationals of short decimals)."""
    return np.array([float(f"{v:.{digits}g}") for v in x])


def _default_range(value: float | None) -> tuple[float, float]:
    v = 0.0 if value is None else float(value)
    w = DEFAULT_WIDTH_FACTOR * abs(v) + DEFAULT_WIDTH_OFFSET
    return (0.0, w) if v >= 0 else (-w, 0.0)


def _box(game: Game, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = [], []
    for name in names:
        value = game.parameters[name]
        dlo, dhi = _default_range(value)
        w = dhi - dlo
        low, high = game.bounds.get(name, (None, None))
        if low is None and high is None:
            low, high = dlo, dhi
        elif high is None:
            high = dhi if dhi > low else low + w
        elif low is None:
            low = dlo if dlo < high else high - w
        lo.append(float(low))
        hi.append(float(high))
    return np.array(lo), np.array(hi)


@dataclass(eq=False)
class _Region:
    """The conditions and the box, with the anchors found inside (module docstring)."""

    names: tuple[str, ...]  # the parameters drawn
    symbols: tuple[sympy.Symbol, ...]
    margins: tuple[tuple[sympy.Expr, bool], ...]  # (m, strict), in the drawn symbols only
    lo: np.ndarray
    hi: np.ndarray
    text: str  # the conditions, for messages
    anchors: np.ndarray | None = None  # (n, d) parameter values, found by _anchors

    def __post_init__(self) -> None:
        # numeric screening (floats; the exact check decides)
        self._compiled = [sympy.lambdify([self.symbols], m, modules="numpy") for m, _ in self.margins]
        # the exact check: a polynomial margin with rational coefficients in Fraction arithmetic, else sympy
        self._polys = [_fraction_terms(m, self.symbols) for m, _ in self.margins]

    def values(self, x: np.ndarray) -> np.ndarray:
        """(N, m) float margins at the points ``x`` ((N, d) parameter values); nan where undefined."""
        out = np.empty((x.shape[0], len(self.margins)))
        with np.errstate(all="ignore"):
            for i, f in enumerate(self._compiled):
                v = f(tuple(x.T)) if x.shape[1] else f(())
                out[:, i] = np.broadcast_to(np.asarray(v, dtype=float), (x.shape[0],))
        return out

    def feasible(self, x: np.ndarray) -> np.ndarray:
        v = self.values(x)
        strict = np.array([s for _, s in self.margins], dtype=bool)
        ok = np.where(strict, v > 0, v >= 0)
        inside = np.all((x >= self.lo) & (x <= self.hi), axis=1)
        return np.all(ok, axis=1) & inside

    def exact_ok(self, x: np.ndarray) -> bool:
        """Whether the point satisfies the bounds and every condition exactly (rational arithmetic)."""
        if not np.all((x >= self.lo) & (x <= self.hi)):
            return False
        values = [Fraction(repr(float(v))) for v in x]  # = gamekit.expr.exact(v)
        subs = None
        for (m, strict), terms in zip(self.margins, self._polys):
            if terms is not None:
                v = sum((c * math.prod(values[i] ** e for i, e in powers) for c, powers in terms), Fraction(0))
                if not (v > 0 if strict else v >= 0):
                    return False
                continue
            if subs is None:
                subs = {s: exact(float(v)) for s, v in zip(self.symbols, x)}
            if not _exact_holds(m, strict, subs):
                return False
        return True


def _make_region(game: Game, where, bounds, vary) -> _Region:
    game = _validate.game(game)
    if isinstance(where, (str, sympy.Rel)):
        where = [where]
    try:
        where = list(where)
    except TypeError:
        raise ArgumentError(
            f"where must be a list of conditions such as 'delta*F > Cg', got {printable(repr(where), 60)}"
        ) from None
    rels = [parse_condition(c, game.symbols) for c in where]
    if bounds is not None:
        if not isinstance(bounds, Mapping):
            raise ArgumentError(f"bounds must map parameters to (low, high), got {printable(repr(bounds), 60)}")
        game = replace(game, bounds={**game.bounds, **bounds})  # checked by the Game itself
    if vary is None:
        names = tuple(game.parameters)
    else:
        if isinstance(vary, str):
            vary = [vary]
        try:
            names = tuple(dict.fromkeys(vary))
        except TypeError:
            raise ArgumentError(f"vary must be a list of parameter names, got {printable(repr(vary), 60)}") from None
        for name in names:
            if name not in game.parameters:
                known = ", ".join(game.parameters)
                raise ParameterError(
                    f"{printable(repr(name))} is not a parameter of this game (its parameters: {known})"
                )
    fixed = {}
    for name, value in game.parameters.items():
        if name not in names:
            if value is None:
                raise ParameterError(
                    f"parameter {name!r} has no value and is not drawn: add it to vary or give it a value"
                )
            fixed[game.symbols[name]] = exact(value)
    symbols = tuple(game.symbols[n] for n in names)
    margins = []
    for rel in rels:
        m, strict = _margin(rel)
        try:
            m = substitute(m, fixed)
        except AnalysisError as err:
            raise ParameterError(f"condition {payoff_text(rel)}: {err}") from None
        margins.append((m, strict))
    lo, hi = _box(game, names)
    text = ", ".join(payoff_text(r) for r in rels) or "no conditions"
    region = _Region(names, symbols, tuple(margins), lo, hi, text)
    default = np.array(
        [min(max(float(game.parameters[n] or 0.0), a), b) for n, a, b in zip(names, lo, hi)], dtype=float
    )
    region.anchors = _anchors(region, default)
    return region


def _region(game: Game, where, bounds, vary) -> _Region:
    """``_make_region``, cached on the hashable form of its arguments (the search is deterministic)."""
    try:
        key = (
            game,
            (where,) if isinstance(where, str) else tuple(where),
            None if bounds is None else tuple(bounds.items()),
            vary if vary is None or isinstance(vary, str) else tuple(vary),
        )
        hash(key)
    except (TypeError, AttributeError):  # unhashable or malformed: no cache, and _make_region says what is wrong
        return _make_region(game, where, bounds, vary)
    if key not in _REGIONS:
        if len(_REGIONS) >= REGION_CACHE:
            _REGIONS.pop(next(iter(_REGIONS)))
        _REGIONS[key] = _make_region(game, where, bounds, vary)
    return _REGIONS[key]


_REGIONS: dict = {}


def _max_margin_point(region: _Region, starts: np.ndarray, scales: np.ndarray) -> np.ndarray | None:
    """A point of the region: the smallest normalised margin ``min_i g_i / s_i`` maximised, or None.

    SLSQP on ``max tau  s.t.  g_i(theta) / s_i >= tau`` (box bounds) from each of ``starts`` (the best points
    screened), then differential evolution on ``min_i g_i / s_i`` if none of them found a point.
    """
    from scipy.optimize import differential_evolution, minimize

    d = len(region.names)
    width = np.where(region.hi > region.lo, region.hi - region.lo, 0.0)

    def margins(u: np.ndarray) -> np.ndarray:
        v = region.values((region.lo + u * width)[None, :])[0] / scales
        return np.where(np.isfinite(v), v, -1e6)

    def accept(u: np.ndarray) -> np.ndarray | None:
        x = region.lo + np.clip(u, 0.0, 1.0) * width
        for digits in ROUNDING:
            y = np.clip(_round(x, digits), region.lo, region.hi)
            if region.feasible(y[None, :])[0] and region.exact_ok(y):
                return y
        return None

    for start in starts:
        u0 = np.where(width > 0, (start - region.lo) / np.where(width > 0, width, 1.0), 0.0)
        z0 = np.append(u0, float(np.min(margins(u0))))
        res = minimize(
            lambda z: -z[-1],
            z0,
            jac=lambda z: np.append(np.zeros(d), -1.0),
            method="SLSQP",
            bounds=[(0.0, 1.0)] * d + [(None, 1.0)],
            constraints=[{"type": "ineq", "fun": lambda z: margins(z[:-1]) - z[-1]}],
            options={"maxiter": 200},
        )
        found = accept(res.x[:-1])
        if found is not None:
            return found

    def objective(u: np.ndarray) -> np.ndarray:  # u: (d, S) unit coordinates, vectorised
        v = region.values((region.lo[:, None] + u * width[:, None]).T) / scales
        return -np.min(np.where(np.isfinite(v), v, -1e300), axis=1)

    hit = []

    def callback(intermediate_result) -> bool:
        found = accept(intermediate_result.x)
        if found is not None:
            hit.append(found)
        return bool(hit)

    res = differential_evolution(
        objective,
        [(0.0, 1.0)] * d,
        seed=ANCHOR_SEED,
        vectorized=True,
        updating="deferred",
        polish=False,
        maxiter=200,
        popsize=15,
        tol=0.0,
        callback=callback,
    )
    return hit[0] if hit else accept(res.x)


def _anchors(region: _Region, default: np.ndarray) -> np.ndarray:
    d = len(region.names)
    if d == 0:
        if not region.exact_ok(np.zeros(0)):
            raise ParameterError(f"the conditions are contradictory at the game's values ({region.text})")
        return np.zeros((1, 0))
    rng = np.random.default_rng(ANCHOR_SEED)
    width = region.hi - region.lo
    x = np.vstack([default, (region.lo + region.hi) / 2, region.lo + rng.random((ANCHOR_SAMPLES, d)) * width])
    ok = region.feasible(x)
    points = x[ok]
    if len(points) < MIN_SEEDS:
        v = region.values(x)
        scales = np.array([np.max(np.abs(c[np.isfinite(c)])) if np.isfinite(c).any() else 1.0 for c in v.T])
        scales = np.where(scales > 0, scales, 1.0)
        worst = np.min(np.where(np.isfinite(v), v / scales, -np.inf), axis=1)
        starts = x[np.argsort(-worst, kind="stable")[:OPTIMISER_STARTS]]
        deep = _max_margin_point(region, starts, scales)
        if deep is None:
            raise ParameterError(
                f"no parameter set satisfies {region.text} within the bounds: none of {len(x)} points of the box "
                "did and an optimisation of the smallest margin found none (the conditions look contradictory)"
            )
        points = np.vstack([points, deep[None, :]])
    walked = _walk(region, points, rng)
    pool = np.unique(np.vstack([points, walked]), axis=0)
    if len(pool) > POOL_SIZE:
        pool = pool[np.sort(rng.choice(len(pool), POOL_SIZE, replace=False))]
    keep = []
    for p in pool:
        for digits in ROUNDING:
            y = np.clip(_round(p, digits), region.lo, region.hi)
            if region.feasible(y[None, :])[0] and region.exact_ok(y):
                keep.append(y)
                break
    if not keep:
        raise ParameterError(
            f"no parameter set found that satisfies {region.text} exactly within the bounds "
            "(the region is too thin for floating-point numbers)"
        )
    keep = np.unique(np.array(keep), axis=0)
    scale = np.where(width > 0, width, 1.0)
    order = np.argsort(np.linalg.norm((keep - default) / scale, axis=1), kind="stable")
    keep = keep[order]
    if len(keep) > MAX_ANCHORS:  # the nearest, then an even spread over the rest
        rest = keep[1:][np.linspace(0, len(keep) - 2, MAX_ANCHORS - 1).round().astype(int)]
        keep = np.vstack([keep[:1], rest])
    return keep


def _directions(region: _Region, pos: np.ndarray, step: int, rng: np.random.Generator) -> np.ndarray:
    """(C, d) directions in the parameters' unit coordinates for one step of the walk (module docstring):
    uniformly random, along one coordinate axis, or random projected onto the tangent space of the conditions
    (orthogonal to every margin's gradient, by finite differences), in turn."""
    chains, d = pos.shape
    kind = step % 3
    if kind == 1:
        return np.eye(d)[rng.integers(0, d, chains)]
    r = rng.standard_normal((chains, d))
    if kind == 0 or not region.margins:
        return r
    width = np.where(region.hi > region.lo, region.hi - region.lo, 0.0)
    h = GRADIENT_STEP * np.where(width > 0, width, 1.0)
    base = region.values(pos)  # (C, m)
    grad = np.empty((chains, len(region.margins), d))
    for k in range(d):
        shifted = pos.copy()
        shifted[:, k] += h[k]
        grad[:, :, k] = (region.values(shifted) - base) / h[k] * width[k]  # d m / d u_k
    grad = np.where(np.isfinite(grad), grad, 0.0)
    along = np.einsum("cmd,cd->cm", grad, r)  # the gradients' components of r ...
    projected = r - np.einsum("cdm,cm->cd", np.linalg.pinv(grad), along)  # ... removed: r - G^+ G r
    flat = np.linalg.norm(projected, axis=1) <= 1e-9 * np.linalg.norm(r, axis=1)  # no tangent direction left
    return np.where(flat[:, None], r, projected)


def _walk(region: _Region, starts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Hit-and-run chains inside the region from ``starts`` (module docstring); every visited point."""
    d = starts.shape[1]
    pos = starts[np.arange(CHAINS) % len(starts)].copy()
    width = np.where(region.hi > region.lo, region.hi - region.lo, 0.0)
    scales = 2.0 ** -np.arange(SCALES)
    visited = []
    for step in range(WALK_STEPS):
        direction = _directions(region, pos, step, rng) * width  # in the parameters' own units
        with np.errstate(divide="ignore", invalid="ignore"):
            up = np.where(
                direction > 0,
                (region.hi - pos) / direction,
                np.where(direction < 0, (region.lo - pos) / direction, np.inf),
            )
            down = np.where(
                direction > 0,
                (pos - region.lo) / direction,
                np.where(direction < 0, (pos - region.hi) / direction, np.inf),
            )
        t_up, t_down = np.min(up, axis=1), np.min(down, axis=1)  # the chord: t in [-t_down, t_up]
        t_up = np.where(np.isfinite(t_up), t_up, 0.0)
        t_down = np.where(np.isfinite(t_down), t_down, 0.0)
        sign = np.where(rng.random(CHAINS) < 0.5, 1.0, -1.0)
        reach = np.where(sign > 0, t_up, t_down)
        t = sign[:, None] * reach[:, None] * scales[None, :] * rng.uniform(0.5, 1.0, (CHAINS, SCALES))
        cand = pos[:, None, :] + t[:, :, None] * direction[:, None, :]
        cand = np.clip(cand, region.lo, region.hi)
        ok = region.feasible(cand.reshape(-1, d)).reshape(CHAINS, SCALES)
        first = np.argmax(ok, axis=1)  # the longest step that stays inside
        moved = ok[np.arange(CHAINS), first]
        pos = np.where(moved[:, None], cand[np.arange(CHAINS), first], pos)
        visited.append(pos.copy())
    return np.vstack(visited)


def parameters(
    game: Game,
    where: Sequence[str] | str = (),
    bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
    *,
    vary: Sequence[str] | None = None,
) -> SearchStrategy[dict[str, float]]:
    """A hypothesis strategy of parameter sets ``{name: value}`` inside the bounds that satisfy ``where``.

    Parameters
    ----------
    game
        The model; its ``[bounds]`` bound the parameters.
    where
        Conditions, each one inequality of the payoff grammar (``"delta*F > Cg"``; a single string is one
        condition), read by :func:`gamekit.expr.parse_condition`.  An unknown name or a text that is not one
        inequality raises :class:`~gamekit.ExpressionError` here.
    bounds
        ``{name: (low, high)}`` over the game's own bounds (``None`` for an open end).  A parameter without
        bounds gets the default range of the module docstring (``[0, 2|v| + 10]`` for a value ``v >= 0``).
    vary
        The parameters to draw (default: all); the others keep the game's values and are not in the dicts.

    Every drawn set satisfies the conditions and the bounds exactly (with the values as the exact
    decimals they print as: :func:`gamekit.expr.exact`); values have ``DIGITS`` significant digits unless the
    region is too thin for them.  The region is searched when this function is called (deterministically,
    about a second at most; then cached); conditions
    that no parameter set within the bounds satisfies (as far as that search finds) raise
    :class:`~gamekit.ParameterError` saying they look contradictory.  Draw it with ``@given``; pass each
    set to ``game.with_parameters``.
    """
    region = _region(game, where, bounds, vary)
    anchors = region.anchors
    n = len(anchors)
    names = region.names

    def build(i: int, j: int, t: float) -> dict[str, float]:
        a, b = anchors[i], anchors[j]
        for _ in range(MAX_HALVINGS):
            if t == 0.0:
                break
            for digits in ROUNDING:
                x = np.clip(_round(a + t * (b - a), digits), region.lo, region.hi)
                if region.feasible(x[None, :])[0] and region.exact_ok(x):
                    return {name: _plain(v) for name, v in zip(names, x)}
            t /= 2.0
        return {name: _plain(v) for name, v in zip(names, a)}  # the anchor itself, checked exactly

    @st.composite
    def parameter_sets(draw) -> dict[str, float]:
        i = draw(st.integers(0, n - 1))
        j = draw(st.integers(0, n - 1))
        t = draw(st.floats(0.0, 1.0, allow_nan=False, allow_infinity=False))
        return build(i, j, t)

    return parameter_sets()


def _plain(v: float) -> int | float:
    """A drawn value as a Python number: an int when it is a whole number of moderate size."""
    v = float(v)
    return int(v) if v.is_integer() and abs(v) < 2**53 else v


# -- random games -----------------------------------------------------------------------------------


def _count_range(name: str, value, minimum: int, maximum: int) -> tuple[int, int]:
    if isinstance(value, tuple) and len(value) == 2:
        low = _validate.integer(f"{name}[0]", value[0], minimum=minimum, maximum=maximum)
        high = _validate.integer(f"{name}[1]", value[1], minimum=low, maximum=maximum)
        return low, high
    v = _validate.integer(name, value, minimum=minimum, maximum=maximum)
    return v, v


def games(
    populations: int | tuple[int, int] | None = None,
    strategies: int | tuple[int, int] = 2,
    kind: str = "populations",
    low: float = -5,
    high: float = 5,
    integers: bool = True,
) -> SearchStrategy[Game]:
    """A hypothesis strategy of random games with numbers as payoffs, of a given shape.

    Parameters
    ----------
    populations
        The number of populations, or a range ``(min, max)``; default ``(2, 3)``.  ``kind="symmetric"``
        has one population (``None`` or 1).
    strategies
        Strategies of each population (at least 2), or a range ``(min, max)`` drawn for each population.
    kind
        ``"populations"``: populations ``P0, P1, ...`` with strategies ``s00, s01, ...`` and one payoff per
        population at each pure profile; ``"symmetric"``: one population ``players`` (strategies ``s0, s1,
        ...``) playing itself, one payoff ``A[mine, theirs]`` per pair.
    low, high
        The payoffs' range (within ``[-1e6, 1e6]``).
    integers
        Integer payoffs (default); else floats with ``DIGITS`` significant digits.

    Games with more than ``MAX_GAME_PROFILES`` pure profiles are refused (ArgumentError).  Hypothesis
    shrinks a game towards fewer populations and strategies and payoffs nearer ``low`` ... towards 0.
    """
    _validate.choice("kind", kind, ["populations", "symmetric"])
    low = _validate.real("low", low, low=-MAX_PAYOFF_MAGNITUDE, high=MAX_PAYOFF_MAGNITUDE)
    high = _validate.real("high", high, low=low, high=MAX_PAYOFF_MAGNITUDE)
    integers = _validate.flag("integers", integers)
    if integers and math.ceil(low) > math.floor(high):
        raise ArgumentError(f"no integer payoff lies in [low, high] = [{low:g}, {high:g}]")
    s_lo, s_hi = _count_range("strategies", strategies, 2, MAX_GAME_PROFILES)
    if kind == "symmetric":
        if populations not in (None, 1):
            raise ArgumentError(f"a symmetric game has one population; got populations={printable(repr(populations))}")
        p_lo = p_hi = 1
        if s_hi**2 > MAX_GAME_PROFILES:
            raise ArgumentError(f"at most {MAX_GAME_PROFILES} payoff entries (MAX_GAME_PROFILES); got {s_hi}^2")
    else:
        p_lo, p_hi = _count_range("populations", (2, 3) if populations is None else populations, 1, 64)
        if s_hi**p_hi > MAX_GAME_PROFILES:
            raise ArgumentError(
                f"at most {MAX_GAME_PROFILES} pure profiles (MAX_GAME_PROFILES); got up to {s_hi}^{p_hi}"
            )
    if integers:
        payoff = st.integers(math.ceil(low), math.floor(high))
    else:
        payoff = st.floats(low, high, allow_nan=False, allow_infinity=False).map(
            lambda v: min(max(float(f"{v:.{DIGITS}g}"), low), high)
        )

    @st.composite
    def draw_game(draw) -> Game:
        k = draw(st.integers(p_lo, p_hi))
        shape = [draw(st.integers(s_lo, s_hi)) for _ in range(k)]
        if kind == "symmetric":
            names = [f"s{i}" for i in range(shape[0])]
            table = {f"{a}, {b}": [draw(payoff)] for a in names for b in names}
            return Game({"players": names}, table, name="random symmetric")
        pops = {f"P{p}": [f"s{p}{i}" for i in range(n)] for p, n in enumerate(shape)}
        table = {}
        for idx in itertools.product(*(range(n) for n in shape)):
            key = ", ".join(f"s{p}{i}" for p, i in enumerate(idx))
            table[key] = [draw(payoff) for _ in range(k)]
        return Game(pops, table, name="random")

    return draw_game()


# -- assertions -------------------------------------------------------------------------------------


def _pure_index(game: Game, state) -> tuple[int, ...] | None:
    """The state as a pure profile's indices if it is one (a name, profile text or a vertex), else None."""
    if isinstance(state, str) or (
        isinstance(state, (tuple, list)) and state and all(isinstance(s, str) for s in state)
    ):
        try:
            return tuple(game.profile_index(state))
        except GamekitError as err:
            raise StateError(f"not a pure profile or state name of this game: {err}") from None
    rows = _rows(game, state)
    if all(np.count_nonzero(r) == 1 and np.max(r) == 1.0 for r in rows):
        return tuple(int(np.argmax(r)) for r in rows)
    return None


def _rows(game: Game, state) -> list[np.ndarray]:
    space = StateSpace(game.shape, tuple(p.name for p in game.populations))
    return space.split(space.full(state)[0])


def _describe(game: Game, idx: tuple[int, ...]) -> str:
    name = game.state_name(idx)
    return f"({', '.join(game.profile_names(idx))})" + (f" [{name}]" if name else "")


def _shown_number(v: sympy.Expr) -> str:
    text = sympy.sstr(v)
    if v.is_Integer:
        return text
    approx = f"{float(v):.6g}"
    return text if text == approx else f"{text} (= {approx})"


def _finite_real(v: sympy.Expr | None) -> bool:
    return (
        v is not None
        and v.is_number
        and v.is_extended_real is True
        and not v.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo)
    )


def _gain_values(game: Game, idx: tuple[int, ...]):
    """[(SwitchGain, exact value or None, float value)] at the game's values (nan where not a real number)."""
    subs = game.values()
    out = []
    for g in switch_gains(game, idx):
        try:
            v = substitute(g.gain, subs)
        except AnalysisError:  # an exact power too large: in floating point
            v = None
        if not _finite_real(v):
            v = None
        try:
            f = float(v) if v is not None else float(g.gain.xreplace(game.values(exact_values=False)).evalf())
        except (TypeError, ValueError, OverflowError):  # not a real number there
            f = math.nan
        out.append((g, v, f))
    return out


def _failing_gains(game: Game, idx: tuple[int, ...], zero_tol: float):
    """The switch gains at ``idx`` that are not negative (exactly where sympy decides, else relative)."""
    gains = _gain_values(game, idx)
    scale = max((abs(f) for _, _, f in gains if math.isfinite(f)), default=0.0)
    bad = []
    for g, v, f in gains:
        if v is not None and v.is_negative is not None:
            if not v.is_negative:
                bad.append((g, v, f))
        elif not (math.isfinite(f) and f < -zero_tol * scale):
            bad.append((g, v, f))
    return gains, bad


def _pure_failure(game: Game, idx: tuple[int, ...], zero_tol: float) -> str | None:
    gains, bad = _failing_gains(game, idx, zero_tol)
    if not bad:
        return None
    parts = []
    for g, v, f in bad:
        shown = _shown_number(v) if v is not None else f"{f:.6g}"
        parts.append(
            f"the eigenvalue (switch gain) of {g.population}: {g.alternative} instead of {g.current}, "
            f"{payoff_text(g.gain)}, is {shown} here"
        )
    return f"{_describe(game, idx)} is not asymptotically stable: " + "; ".join(parts) + " (it must be negative)"


def _linearized(game: Game, state, zero_tol: float):
    from .stability import linearize

    try:
        return linearize(game, state, zero_tol=zero_tol)
    except StateError as err:
        raise AssertionError(f"{printable(state)} is not asymptotically stable: {err}") from None


def _mixed_failure(eq, zero_tol: float) -> str | None:
    if eq.stability is Stability.ASYMPTOTICALLY_STABLE:
        return None
    ev = np.asarray(eq.eigenvalues, dtype=complex)
    bound = zero_tol * (float(np.max(np.abs(ev))) if ev.size else 0.0)
    shown = []
    for i, z in enumerate(ev):
        if z.real >= -bound:
            exact_z = eq.exact_eigenvalues[i] if eq.exact_eigenvalues is not None else None
            text = sympy.sstr(exact_z) if exact_z is not None else (f"{z.real:.6g}" if z.imag == 0 else f"{z:.6g}")
            shown.append(f"eigenvalue {text} (real part {z.real:.6g} >= 0)")
    what = "; ".join(shown) or f"eigenvalues {eq.describe_eigenvalues()}"
    return f"{eq.describe_state()} is not asymptotically stable ({eq.stability}): {what}"


def assert_stable(game: Game, state: Any, *, zero_tol: float = ZERO_TOL) -> None:
    """Raise AssertionError unless ``state`` is asymptotically stable in ``game`` at its parameter values.

    Parameters
    ----------
    game
        The game, every parameter with a value (``game.with_parameters(drawn)``).
    state
        A pure profile (a state name such as ``"trap"``, ``"regulate, evade, accept"`` or a tuple of
        strategy names) or any state :func:`gamekit.linearize` accepts (coordinates; a vertex counts as a
        pure profile).
    zero_tol
        Where a sign cannot be decided exactly: a value counts as zero within ``zero_tol`` relative to the
        largest switch gain (eigenvalue) there.

    At a pure profile the message names each eigenvalue (switch gain) that is not negative: the switch,
    its expression and its exact value.  At another state: each eigenvalue with a real part that is not
    negative, or why the state is not a rest point.  Bad input (an unknown state, a parameter without a
    value) raises a :class:`~gamekit.GamekitError`, not an AssertionError.
    """
    check_game(game)
    zero_tol = check_zero_tol(zero_tol)
    game.values()  # every parameter needs a value: a ParameterError naming the first without one
    idx = _pure_index(game, state)
    if idx is not None:
        failure = _pure_failure(game, idx, zero_tol)
    else:
        failure = _mixed_failure(_linearized(game, state, zero_tol), zero_tol)
    if failure:
        raise AssertionError(failure)


def assert_unique_stable(game: Game, state: Any, *, zero_tol: float = ZERO_TOL) -> None:
    """Raise AssertionError unless ``state`` is asymptotically stable and no other state is.

    Parameters
    ----------
    game
        The game, every parameter with a value.
    state
        As for :func:`assert_stable`.
    zero_tol
        As for :func:`assert_stable`.

    First :func:`assert_stable`.  Then, in a multilinear game, every other pure profile's switch gains
    are checked (exactly where sympy decides): only strict equilibria can be asymptotically stable there.
    In any other game every asymptotically stable rest point :func:`gamekit.equilibria` finds counts,
    interior and face states too (uniqueness among the rest points it finds; its ``complete`` says whether
    that search was exact).  The message names the other stable state and its eigenvalues.
    """
    assert_stable(game, state, zero_tol=zero_tol)
    idx = _pure_index(game, state)
    here = _describe(game, idx) if idx is not None else printable(state)
    if game.multilinear:
        for other in game.profiles():
            if other == idx:
                continue
            gains, bad = _failing_gains(game, other, zero_tol)
            if not bad:
                shown = ", ".join(_shown_number(v) if v is not None else f"{f:.6g}" for _, v, f in gains)
                raise AssertionError(
                    f"{here} is asymptotically stable but not the only stable state: "
                    f"{_describe(game, other)} is asymptotically stable too (eigenvalues {shown})"
                )
        return
    from .equilibria import equilibria

    if idx is not None:
        target = np.concatenate([np.eye(n)[i] for n, i in zip(game.shape, idx)])
    else:
        target = np.concatenate(_rows(game, state))
    for eq in equilibria(game, zero_tol=zero_tol).stable():
        mine = np.concatenate([np.asarray(s, dtype=float) for s in eq.state])
        if np.max(np.abs(mine - target)) <= STATE_MATCH_TOL:
            continue
        raise AssertionError(f"{here} is asymptotically stable but not the only stable state: {eq}")


STATE_MATCH_TOL = 1e-6  # assert_unique_stable: a rest point within this of the state (max norm) is that state
