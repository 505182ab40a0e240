r"""Thresholds: where a pure profile is asymptotically stable, one parameter at a time.

A pure profile ``s`` is asymptotically stable iff every unilateral switch loses
at that state (:mod:`gamekit.stability`)::

    g_{p,j}(theta) = u_p(j)(theta) - u_p(s_p)(theta) < 0  at sigma = e_s,   for every p and j != s_p,

with ``u_p(j) = A_p[j, s_{-p}]`` in a multilinear game.  This holds for every kind of game
(shares in payoffs, symmetric and group games): the gains at a vertex are expressions in the
parameters alone (the shares of the vertex are 0 and 1), so the same machinery applies.

Fix every parameter at its base value except one, ``theta_i``.  Each condition
becomes an inequality in ``theta_i`` alone, and the set of values where ``s`` is
stable is the intersection of their solution sets (sympy's ``solveset`` over the
reals) with

* the parameter's declared bounds, and
* the **domain** ``D_i``: the values of ``theta_i`` where every payoff entering a
  gain -- ``u_p(s_p)`` and ``u_p(j)`` at ``e_s`` -- is a finite real number.  A payoff
  such as ``1/(p - 1)``, ``log(p)`` or ``sqrt(p)`` is undefined (or not real) for
  some values; there the game itself is undefined and no stability statement is
  made.  ``D_i`` is the set where these payoffs are real and continuous
  (``sympy.calculus.util.continuous_domain``), with every power of a
  non-integer exponent restricted to a non-negative base.

The result is a finite union of intervals, computed exactly: ``delta`` in
``(1/5, 3/5)``, not "about 0.2 to 0.6".  When sympy cannot solve an inequality
in closed form (a transcendental condition), the lever says so
(``Lever.solved`` is false) rather than guessing.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import sympy
from sympy.calculus.util import continuous_domain

from .. import _validate as check
from .._frozen import FrozenMap
from .._validate import printable
from ..errors import GamekitError
from ..expr import payoff_text, substitute
from ..game import Game
from ..stability import negative, switch_gains, vertex_payoffs
from ._common import BaseValues, Target, base_values, check_game, domain, profile, substitutions

__all__ = ["Lever", "Thresholds", "thresholds"]

_SYMPY_FAILURES = (NotImplementedError, TypeError, ValueError, AttributeError, RecursionError)
"""What sympy raises when it cannot decide a set or a sign (caught where a clear statement replaces it)."""

NUMERIC_SAMPLES = 20_001
"""Values sampled for an unsolved lever's numeric answer."""

NUMERIC_BISECTIONS = 60
"""Halvings that refine each end of a numerically found interval."""

NUMERIC_REACH = 100.0
"""Without declared bounds, an unsolved lever is searched within the base value +- this times max(1, |base|)."""

EASY_DEGREE = 4
"""A lever whose payoffs are polynomials of at most this degree in it is solved inline (no worker, no budget)."""


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


def _is_intervals(s: sympy.Set) -> bool:
    parts = s.args if isinstance(s, sympy.Union) else (s,)
    return s is sympy.S.EmptySet or all(isinstance(p, (sympy.Interval, sympy.FiniteSet)) for p in parts)


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


def finite_real(value: sympy.Expr) -> bool:
    """Whether a number (an exact sympy expression without symbols) is finite and real."""
    if not isinstance(value, sympy.Basic):  # a Python number from sympy's coefficient extraction
        value = sympy.Float(value) if isinstance(value, float) else sympy.Integer(value)
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo) or not value.is_number:
        return False
    if value.is_extended_real is False or value.is_finite is False:
        return False
    if value.is_extended_real is None:  # undecided exactly (e.g. nested radicals): decide in 30 digits
        re, im = sympy.N(value, 30).as_real_imag()
        return bool(abs(im) <= sympy.Float("1e-25", 30) * max(1, abs(re)))
    return True


def sign(value: sympy.Expr) -> int:
    """The sign of a finite real number, exactly where sympy decides it, else in 50 digits."""
    if value.is_zero:
        return 0
    neg = value.is_negative
    if neg is None:
        approx = sympy.re(sympy.N(value, 50))
        return int(np.sign(float(approx)))
    return -1 if neg else 1


def real_domain(exprs, sym: sympy.Symbol, within: sympy.Set) -> sympy.Set:
    """The values of ``sym`` in ``within`` where every expression (in ``sym`` alone) is finite and real."""
    dom = within
    for e in exprs:
        if dom is sympy.S.EmptySet:
            break
        if sym not in e.free_symbols:
            if not finite_real(e):
                return sympy.S.EmptySet
            continue
        if e.is_polynomial(sym):
            continue
        steps = [h for h in e.atoms(sympy.Heaviside) if h.has(sym)]
        if steps and e.is_polynomial(*steps):  # step(a) is 0 or 1 wherever a is real: the domain of a and the rest
            parts = [*sympy.Poly(e, *steps).coeffs(), *(h.args[0] for h in steps)]
            dom = real_domain(parts, sym, dom)
            continue
        d = continuous_domain(e, sym, dom)
        for pw in e.atoms(sympy.Pow):  # x**(1/3) of a negative x is not real in sympy's principal branch
            if pw.base.has(sym) and not pw.exp.is_integer:
                rel = pw.base > 0 if pw.exp.is_negative else pw.base >= 0
                d = d.intersect(sympy.solveset(rel, sym, sympy.S.Reals))
        dom = dom.intersect(d)
    return dom


@dataclass(frozen=True)
class Lever:
    """One parameter moved alone: where the target is asymptotically stable.

    ``stable_set`` is exact (a sympy set); ``domain`` is where the payoffs that
    decide the target's stability are finite and real (within the parameter's
    bounds); ``solved`` is false when sympy could not solve a condition in closed
    form (or within its time budget), and ``stable_set`` is then the unsolved
    condition set.  An unsolved lever carries a numeric answer instead:
    ``approximate`` are the stable intervals found by sampling ``window`` (the
    declared bounds, else a window around the base value) and refining every
    change of the conditions by bisection -- approximate, and silent beyond the window.
    """

    parameter: str
    value: float
    stable_set: sympy.Set = field(repr=False)
    domain: sympy.Set = field(default=sympy.S.Reals, repr=False)
    solved: bool = True
    approximate: tuple[tuple[float, float], ...] | None = field(default=None, repr=False)
    window: tuple[float, float] | None = field(default=None, repr=False)

    @property
    def stable_for(self) -> list[tuple[float | None, float | None]]:
        """The stable values as ``(low, high)`` pairs (``None`` for an infinite end)."""
        if not self.solved:
            raise GamekitError(
                f"lever {printable(repr(self.parameter))}: the conditions were not solved in closed form "
                f"({self.describe()})"
            )
        return _intervals(self.stable_set)

    @property
    def works(self) -> bool:
        """Whether some value of this parameter alone makes the target stable."""
        return self.stable_set is not sympy.S.EmptySet

    def describe(self) -> str:
        if not self.solved:
            if self.approximate is None:
                return f"not solved in closed form: {sympy.sstr(self.stable_set)}"
            found = " or ".join(f"({a:.6g}, {b:.6g})" for a, b in self.approximate) or "no value"
            lo, hi = self.window
            return f"about {found} (numeric, within [{lo:.6g}, {hi:.6g}]; not solved in closed form)"
        if self.domain is sympy.S.EmptySet:
            return "no value (the payoffs are not finite real numbers at the other parameters' base values)"
        if not self.works:
            return "no value"
        if self.stable_set == sympy.S.Reals:
            return "any value"
        return _describe_set(self.stable_set)

    def to_json(self) -> dict:
        out = {
            "parameter": self.parameter,
            "value": self.value,
            "stable_for": [list(iv) for iv in self.stable_for] if self.solved else None,
        }
        if not self.solved:
            out["unsolved"] = sympy.sstr(self.stable_set)
            if self.approximate is not None:
                out["approximately_stable_for"] = [list(iv) for iv in self.approximate]
                out["searched"] = list(self.window)
        if self.domain != sympy.S.Reals:
            out["defined_for"] = _describe_set(self.domain) if _is_intervals(self.domain) else sympy.sstr(self.domain)
        return out


@dataclass(frozen=True)
class Thresholds:
    """The result of :func:`thresholds`.

    ``stable`` says whether the target is asymptotically stable at the base
    values; ``defined`` is false when a payoff that decides it is not a finite
    real number there (then ``stable`` is false and ``notes`` says which).
    """

    game: Game = field(repr=False)
    target: tuple[str, ...]
    base: Mapping[str, float] = field(repr=False)
    stable: bool
    conditions: tuple = field(repr=False)
    levers: tuple[Lever, ...] = field(repr=False)
    defined: bool = field(default=True, repr=False)
    notes: tuple[str, ...] = field(default=(), repr=False)

    def lever(self, name: str) -> Lever:
        for lv in self.levers:
            if lv.parameter == name:
                return lv
        raise KeyError(name)

    def to_json(self) -> dict:
        out = {
            "target": list(self.target),
            "stable": self.stable,
            "conditions": [payoff_text(c) for c in self.conditions],
            "levers": [lv.to_json() for lv in self.levers],
        }
        if not self.defined:
            out["defined"] = False
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    def to_frame(self):
        """One row per parameter: its base value and where it alone makes the target stable."""
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
        head = printable(f"({', '.join(self.target)})" + (f" [{name}]" if name else ""), 200)
        if self.defined:
            first = f"{head} is {'' if self.stable else 'not '}asymptotically stable at the base values."
        else:
            first = f"{head}: its stability is undefined at the base values."
        lines = [first, "Asymptotically stable iff: " + ", ".join(payoff_text(c) for c in self.conditions)]
        lines += [f"Note: {printable(n, 300)}" for n in self.notes]
        lines.append("Each parameter alone (the others at base):")
        width = max(len(printable(lv.parameter)) for lv in self.levers) if self.levers else 0
        lines += [
            f"  {printable(lv.parameter).ljust(width)} = {lv.value:<8g} stable for {lv.describe()}"
            for lv in self.levers
        ]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return "```\n" + str(self) + "\n```"


def _negative(g: sympy.Expr):
    """``g < 0`` as a sympy condition; a number that is not finite and real is never negative."""
    if g.is_number:
        return sympy.true if finite_real(g) and sign(g) < 0 else sympy.false
    return sympy.StrictLessThan(g, 0)


def lever_sets(payoffs, gains, sym: sympy.Symbol, within: sympy.Set) -> tuple[sympy.Set, sympy.Set, str | None]:
    """(stable set, domain, note) of one lever: ``payoffs`` and ``gains`` are in ``sym`` alone.

    Pure sympy on picklable arguments, so that it can run in the worker process of
    :mod:`gamekit._worker`.
    """
    note = None
    try:
        allowed = real_domain(payoffs, sym, within)
    except _SYMPY_FAILURES as err:
        allowed = within
        note = f"{sym}: where the payoffs are real could not be decided ({type(err).__name__}); not restricted"
    defined = allowed
    for g in gains:
        if allowed is sympy.S.EmptySet:
            break
        condition = _negative(g)
        try:
            part = sympy.solveset(condition, sym, allowed)
        except _SYMPY_FAILURES:
            part = sympy.ConditionSet(sym, condition, allowed)
        allowed = allowed.intersect(part)
    return allowed, defined, note


def _easy(exprs, sym: sympy.Symbol) -> bool:
    """Whether every expression is a polynomial of degree at most EASY_DEGREE in ``sym`` (solved inline)."""
    for e in exprs:
        if sym not in e.free_symbols:
            continue
        powers = (q.exp for q in e.atoms(sympy.Pow) if q.base.has(sym))
        if any(not x.is_Integer or abs(x) > EASY_DEGREE for x in powers):  # before degree(): p^(10^10) is no Poly
            return False
        if not e.is_polynomial(sym) or sympy.degree(e, sym) > EASY_DEGREE:
            return False
    return True


def _numeric_window(base: float, within: sympy.Set) -> tuple[float, float]:
    """The declared bounds where finite, else NUMERIC_REACH times the base value's scale on each side."""
    reach = NUMERIC_REACH * max(1.0, abs(base))
    lo = float(within.inf) if within.inf.is_finite else base - reach
    hi = float(within.sup) if within.sup.is_finite else base + reach
    return lo, hi


def approximate_set(payoffs, gains, sym: sympy.Symbol, window: tuple[float, float]) -> tuple[tuple[float, float], ...]:
    """Intervals of ``window`` where every payoff is finite and real and every gain negative, numerically.

    ``NUMERIC_SAMPLES`` evenly spaced values, then each change of the predicate refined by bisection
    (``NUMERIC_BISECTIONS`` halvings).
    """
    fns = [sympy.lambdify(sym, e, "numpy") for e in payoffs]
    gfns = [sympy.lambdify(sym, g, "numpy") for g in gains]

    def ok(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        out = np.ones(x.shape, dtype=bool)
        with np.errstate(all="ignore"):
            for f in fns:
                v = np.broadcast_to(np.asarray(f(x.astype(complex)), dtype=complex), x.shape)
                out &= np.isfinite(v) & (np.abs(v.imag) <= 1e-12 * np.maximum(1.0, np.abs(v.real)))
            for g in gfns:
                v = np.broadcast_to(np.asarray(g(x.astype(complex)), dtype=complex), x.shape)
                out &= np.isfinite(v.real) & (v.real < 0)
        return out

    xs = np.linspace(window[0], window[1], NUMERIC_SAMPLES)
    inside = ok(xs)

    def edge(a: float, b: float, a_inside: bool) -> float:
        for _ in range(NUMERIC_BISECTIONS):
            m = 0.5 * (a + b)
            if bool(ok(np.array([m]))[0]) == a_inside:
                a = m
            else:
                b = m
        return 0.5 * (a + b)

    out, start = [], None
    for i, here in enumerate(inside):
        if here and start is None:
            start = xs[0] if i == 0 else edge(xs[i - 1], xs[i], False)
        if start is not None and (not here or i == len(xs) - 1):
            end = xs[-1] if here else edge(xs[i - 1], xs[i], True)
            out.append((float(start), float(end)))
            start = None
    return tuple(out)


def _unsolved(name: str, values, args, note: str) -> tuple[Lever, str]:
    payoffs, gains, sym, within = args
    condition = sympy.ConditionSet(sym, sympy.And(*(_negative(g) for g in gains)), within)
    window = _numeric_window(float(values[name]), within)
    try:
        approx = approximate_set(payoffs, gains, sym, window)
    except _SYMPY_FAILURES + (ZeroDivisionError, OverflowError):
        return Lever(name, float(values[name]), condition, within, False), note
    note += f"; intervals found numerically within [{window[0]:.6g}, {window[1]:.6g}]"
    return Lever(name, float(values[name]), condition, within, False, approx, window), note


def _lever(game: Game, values, name: str, gains, payoffs, deadline: float) -> tuple[Lever, str | None]:
    from .._worker import BudgetSpent, worker

    sym = game.symbols[name]
    others = substitutions(game, values, skip=(name,))
    args = (
        [substitute(a, others) for a in payoffs],
        [sympy.expand(substitute(g, others)) for g in gains],
        sym,
        domain(game, name),
    )
    if _easy(args[0] + args[1], sym):
        allowed, defined, note = lever_sets(*args)
    else:
        try:
            allowed, defined, note = worker.call(lever_sets, args, deadline - time.monotonic())
        except BudgetSpent:
            note = f"{name}: sympy's time budget ran out before its conditions were solved (raise time_budget)"
            return _unsolved(name, values, args, note)
        except RuntimeError as err:
            return _unsolved(
                name, values, args, f"{name}: sympy could not solve its conditions ({printable(err, 200)})"
            )
    if not _is_intervals(allowed):
        lever, extra = _unsolved(name, values, args, f"{name}: no closed form")
        return Lever(name, lever.value, allowed, defined, False, lever.approximate, lever.window), (
            "; ".join(n for n in (note, extra) if n)
        )
    return Lever(name, float(values[name]), allowed, defined, True), note


def _deciding_payoffs(game: Game, idx: tuple[int, ...]) -> list[sympy.Expr]:
    """The payoffs that enter the switch gains at ``idx``: ``u_p(s_p)`` and every ``u_p(j)`` at that state.

    In a multilinear game the table entries ``A_p[s]`` and ``A_p[j, s_{-p}]``; otherwise the expected
    payoffs at the vertex (:func:`gamekit.stability.vertex_payoffs`).
    """
    if not game.multilinear:
        u = vertex_payoffs(game, idx)
        payoffs = [u[p][idx[p]] for p in range(len(game.shape))]
        payoffs += [u[p][j] for p, n in enumerate(game.shape) for j in range(n) if j != idx[p]]
        return list(dict.fromkeys(payoffs))
    payoffs = [game.payoff_tensors[p][idx] for p in range(len(game.shape))]
    for p, n in enumerate(game.shape):
        for j in range(n):
            if j != idx[p]:
                other = list(idx)
                other[p] = j
                payoffs.append(game.payoff_tensors[p][tuple(other)])
    return list(dict.fromkeys(payoffs))


def thresholds(
    game: Game, base: BaseValues = None, target: Target | None = None, *, time_budget: float = 10.0
) -> Thresholds:
    """Where ``target`` (a pure profile or state name) is asymptotically stable, one parameter at a time.

    ``base`` is a scenario name or ``{parameter: value}`` (default: the game's values).
    Values where a payoff deciding the target's stability is not a finite real
    number (``1/(p - 1)`` at ``p = 1``, ``log(p)`` for ``p <= 0``) are excluded
    from every lever (module docstring).  Levers that are not plainly easy (a payoff
    not a polynomial of degree <= EASY_DEGREE in the lever) are solved by sympy in a
    worker process within ``time_budget`` seconds in all; a lever still unsolved then
    says so (``Lever.solved`` is false, and ``notes`` names the budget).

    Parameters
    ----------
    game
        The game (its stability conditions are symbolic in every parameter).
    base
        The values of the other parameters: a scenario name or ``{parameter: value}`` (default: the game's values).
    target
        A pure profile or a state name (``"meta-goal"``).
    time_budget
        Seconds of sympy work in all, for the levers that are not plainly easy.

    Returns
    -------
    Thresholds
        Per parameter (lever), the values where it alone makes ``target`` asymptotically stable (``lever(name)``,
        ``to_frame()``).

    Examples
    --------
    >>> import gamekit as gk
    >>> game = gk.models.platform_insurance()
    >>> t = gk.thresholds(game, "trap", "meta-goal")
    >>> t
    Thresholds(target=('regulate', 'insure', 'claim'), stable=False)
    >>> t.lever("R").describe(), t.lever("S").describe(), t.lever("F").describe()
    ('(3, inf)', '(-5, 0)', 'no value')
    """
    game = check_game(game)
    idx = profile(game, target)
    values = base_values(game, base)
    time_budget = check.real("time_budget", time_budget, low=0.0)
    deadline = time.monotonic() + time_budget
    switches = switch_gains(game, idx)
    gains = [g.gain for g in switches]
    payoffs = _deciding_payoffs(game, idx)
    conditions = tuple(dict.fromkeys(negative(g) if finite_real(g) or not g.is_number else sympy.false for g in gains))
    subs_all = substitutions(game, values)
    notes = []
    bad = [a for a in payoffs if not finite_real(substitute(a, subs_all))]
    defined = not bad
    if bad:
        shown = ", ".join(f"{sympy.sstr(a)} = {sympy.sstr(substitute(a, subs_all))}" for a in bad[:3])
        notes.append(f"payoffs not finite and real at the base values: {shown}")
        stable = False
    else:
        stable = all(sign(substitute(g, subs_all)) < 0 for g in gains)
    levers = []
    for name in game.parameters:
        lever, note = _lever(game, values, name, gains, payoffs, deadline)
        levers.append(lever)
        if note:
            notes.append(note)
    return Thresholds(
        game, game.profile_names(idx), FrozenMap(values), stable, conditions, tuple(levers), defined, tuple(notes)
    )
