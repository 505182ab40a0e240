r"""Check a paper's proposition about a state: proved exactly, refuted with a parameter set, or searched.

**The claim.**  For a pure profile ``s`` the eigenvalues of the replicator field at ``s`` are the switch
gains ``g_i(theta) = u_p(j) - u_p(s_p)`` at the vertex (:func:`gamekit.stability.switch_gains`, for every kind
of game), expressions in the parameters ``theta``; ``s`` is asymptotically stable iff every ``g_i(theta) < 0``.
A proposition "when ``C(theta)``, ``s`` is asymptotically stable" is the claim

    for every ``theta`` in ``B`` with ``C(theta)``:  ``g_i(theta) < 0`` for every ``i``,

where ``B`` is the box of the model's ``[bounds]`` (a parameter without declared bounds is *free*, any real
number: say ``bounds=`` or write the bound into the model otherwise) and ``C`` the ``when`` conditions, each one
inequality of the payoff grammar (:func:`gamekit.expr.parse_condition`).  With ``unique=True`` the claim also
says that no other pure profile ``s'`` is asymptotically stable anywhere in ``B ∩ C``.

It is **refuted** by a point ``theta`` of ``B ∩ C`` with some ``g_i(theta) >= 0`` (or, for uniqueness, with every
gain ``g'_j(theta) < 0`` of another profile), and **proved** by showing every set
``B ∩ C ∩ {g_i >= 0}`` (and ``B ∩ C ∩ {g'_j < 0 for all j}``) empty.

**Exact proofs (monomial relaxation, Motzkin certificate).**  Every constraint ``f > 0`` or ``f >= 0`` (``f`` a
condition's ``lhs - rhs``, a bound ``theta_k - low``, a negated gain ``g_i``, ...) is expanded, and each distinct
non-constant monomial ``m`` (``delta*F``, ``theta*K``, ``Cg``) becomes a variable ``y_m``: the constraints are
linear in ``y``.  The box is first narrowed by the constraints in one parameter alone (``F > 4``).  Ranges that the
bounds imply for a monomial (interval arithmetic: ``0 <= delta*F <= 100`` for ``delta`` in ``[0, 1]``, ``F`` in
``[0, 100]``) and McCormick's inequalities ``(x - a)(z - c) >= 0`` (``a``, ``c`` ends of the bounds of ``x``, ``z``,
signs as the ends say; ``> 0`` when both ends come from strict constraints) linking ``y_{x z}`` to ``y_x``, ``y_z``
are added.  Every ``theta`` maps to a ``y`` satisfying the linear
system, so an infeasible linear system proves the original set empty.  Infeasibility of
``{A y <= b, S y < c}`` is certified by Motzkin's transposition theorem: multipliers ``lambda, mu >= 0`` with

    ``lambda A + mu S = 0``  and  ``lambda b + mu c < 0``,  or  ``lambda b + mu c <= 0`` with ``mu != 0``.

The multipliers come from floating-point LPs (HiGHS, :func:`scipy.optimize.linprog`) over ``lambda A + mu S = 0``,
``sum(lambda, mu) <= 1``: first minimise ``lambda b + mu c`` (a negative optimum survives rounding), else maximise
``sum(mu)`` subject to ``lambda b + mu c <= 0``;
they are rationalised (:meth:`fractions.Fraction.limit_denominator`) and the conditions above are verified
**exactly in rationals**.  A certificate that fails the exact check proves nothing and is dropped.

**Step functions** (``step(u)``, 1 for ``u >= 0``, else 0; group games' thresholds): with at most
``MAX_STEP_CASES`` distinct steps, each sign pattern is a case -- the steps replaced by 1 or 0 and
``u >= 0`` or ``u < 0`` added -- and the set is empty when every case has a certificate.  Otherwise each step
term is one more free variable of the relaxation.

**Counterexamples.**  Otherwise a point is searched for: ``SEARCH_SAMPLES`` random parameter sets in the box
(narrowed by the constraints in one parameter alone; a free side is sampled up to ``SEARCH_SPAN`` away), then a
bounded local maximisation (:func:`scipy.optimize.minimize`, Powell) of the smallest scaled constraint margin from
the best ``SEARCH_STARTS`` of them.  A candidate (margin above ``-SEARCH_SLACK``: a boundary point such as
``F = 10`` counts, since rounding may land on it exactly) is rationalised, simplified parameter by parameter
(rounded to integers, then to one or two decimals, where the claim still fails: hypothesis-style shrinking), and
**verified exactly**
with sympy rationals -- the bounds, every condition, and ``g_i >= 0``.  Only a verified counterexample refutes;
the verdict is then exact.  Parameters that no constraint mentions take the model's value (if it lies in the
bounds), else a point of their bounds.

**Verdicts.**  ``method == "exact"``: every part was decided by a certificate or a verified counterexample.
``method == "search"``: some part had neither; the claim is reported as holding after ``checked`` parameter sets
(every set evaluated in the searches, also those of the exact parts) found no counterexample.  The
**missing conditions** are the stability conditions ``negative(g_i)`` (as :func:`gamekit.stability_table` writes
them) that the stated conditions do not imply, i.e. with a verified point of ``B ∩ C ∩ {g_i >= 0}``.  Conditions
that no parameter set in the bounds satisfies (``B ∩ C`` empty, certified) are a verdict of their own:
``contradictory=True``; the claim then holds vacuously (``holds=True``, exit status 0 from the command line) and
the result says so.

**Not multilinear games.**  The pure profiles are decided as above (their eigenvalues are the gains at the
vertex in every kind of game), but an interior or face rest point can be asymptotically stable too; with
``unique=True`` :func:`gamekit.equilibria` is run at ``UNIQUE_PROBES`` parameter sets of ``B ∩ C`` where ``s``
is stable, and a stable non-pure rest point there refutes (``method "exact"`` when its eigenvalues are
exact and the game saw exactly the point's values, else ``"search"``); if none is found, the uniqueness part holds
by search only.

**Interior and face states** (``state`` given by shares: numbers, or expressions in the parameters such as
``["V/C"]`` or ``(1, "1 - (Cp - B - S - K)/F", 1)``, in any layout :func:`gamekit.linearize` accepts): at up to
``STATE_PROBES`` exactly verified points of ``B ∩ C`` (the search's point, then random ones spread over the
region) the state is evaluated and linearised (:func:`gamekit.linearize`); a point where it is no state, no rest
point, or not asymptotically stable refutes.  This is a search (``method "search"``; ``"exact"`` only when the
failing label came from exact eigenvalues); ``unique=True`` is not supported for such states yet.

**"No state is asymptotically stable"** (``state=None``): refuted by a point of ``B ∩ C`` where some pure
profile has every gain ``< 0``; proved when each of these sets is certified empty -- in a multilinear game only
pure profiles can be asymptotically stable (Ritzberger-Weibull), so that is a proof; in any other game
:func:`gamekit.equilibria` also looks for stable non-pure rest points at ``UNIQUE_PROBES`` points of ``B ∩ C``
(a search).

``stable_there`` lists the pure profiles asymptotically stable at a counterexample (exact signs of their gains);
a stable non-pure rest point found by :func:`gamekit.equilibria` is named in ``failing``.  The refutation is
``"exact"`` when that rest point's eigenvalues are exact and the game saw exactly the counterexample's values.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import sympy

from . import _validate
from ._validate import printable
from .errors import ArgumentError, GamekitError
from .expr import NAME_PATTERN, parse_condition, payoff_text, substitute
from .game import Game
from .stability import Stability, _profile_indices, negative, switch_gains

__all__ = ["CheckResult", "check", "SEARCH_SAMPLES", "SEARCH_STARTS", "SEARCH_SPAN", "UNIQUE_PROBES"]

SEARCH_SAMPLES = 4000  # random parameter sets per searched constraint system
SEARCH_STARTS = 8  # local maximisations of the margin, from the best samples
SEARCH_SLACK = 1e-6  # a candidate whose smallest scaled margin is above -this is rationalised and checked exactly
SEARCH_SPAN = 100.0  # a free (unbounded) side of a parameter is searched this far from its value
STATE_PROBES = 12  # parameter sets where an interior or face state is linearised
UNIQUE_PROBES = 5  # parameter sets where gk.equilibria looks for other stable rest points (non-multilinear games)
CERT_TOL = 1e-9  # LP: a certificate objective above this is worth rationalising
LP_ZERO = 1e-12  # multipliers below this are dropped before rationalising
DENOMINATORS = (1, 10, 100, 1000, 10**6, 10**9)  # limit_denominator tries, simplest first
MAX_STEP_CASES = 4  # step(u) terms split into the cases u >= 0, u < 0 (2**4 = 16 systems at most)
SIMPLE_DIGITS = (0, 1, 2)  # shrinking: a counterexample's parameter rounded to this many decimals, if it still fails


# -- constraints -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Constraint:
    """``expr > 0`` (strict) or ``expr >= 0``."""

    expr: sympy.Expr
    strict: bool


def _from_relation(rel: sympy.Rel) -> _Constraint:
    if isinstance(rel, (sympy.StrictGreaterThan, sympy.GreaterThan)):
        expr = rel.lhs - rel.rhs
    else:
        expr = rel.rhs - rel.lhs
    return _Constraint(sympy.expand(expr), isinstance(rel, (sympy.StrictGreaterThan, sympy.StrictLessThan)))


def _fraction(value) -> Fraction:
    if isinstance(value, Fraction):
        return value
    if isinstance(value, (int, np.integer)):
        return Fraction(int(value))
    if isinstance(value, sympy.Rational):
        return Fraction(int(value.p), int(value.q))
    return Fraction(repr(float(value)))


def _rational(value: Fraction) -> sympy.Rational:
    return sympy.Rational(value.numerator, value.denominator)


# -- the linear relaxation in the monomials ------------------------------------------------------------------


def _linear_terms(expr: sympy.Expr) -> dict[sympy.Expr, Fraction] | None:
    """``expr`` as ``{monomial: coefficient}`` (monomial 1 for the constant); None if a coefficient is not rational."""
    out: dict[sympy.Expr, Fraction] = {}
    for term in sympy.Add.make_args(sympy.expand(expr)):
        coeff, rest = term.as_coeff_Mul()
        if not isinstance(coeff, sympy.Rational):
            return None
        if rest.is_number:
            if not isinstance(rest, sympy.Rational):
                return None
            coeff, rest = coeff * rest, sympy.Integer(1)
        out[rest] = out.get(rest, Fraction(0)) + _fraction(coeff)
    return out


def _interval_mul(a, b):
    lo1, hi1 = a
    lo2, hi2 = b
    products = [x * y for x in (lo1, hi1) for y in (lo2, hi2)]
    return min(products), max(products)


def _monomial_range(mono: sympy.Expr, box: Mapping[sympy.Symbol, tuple]) -> tuple:
    """Bounds ``(low, high)`` (``None`` for open) that the box implies for a monomial: interval arithmetic."""
    if isinstance(mono, sympy.Symbol):
        return box.get(mono, (None, None))
    powers = mono.as_powers_dict()
    if not all(isinstance(s, sympy.Symbol) and isinstance(e, sympy.Integer) and e > 0 for s, e in powers.items()):
        return None, None
    ranges = [box.get(s, (None, None)) for s in powers]
    if all(lo is not None and hi is not None for lo, hi in ranges):
        out = (Fraction(1), Fraction(1))
        for (lo, hi), e in zip(ranges, powers.values()):
            for _ in range(int(e)):
                out = _interval_mul(out, (lo, hi))
        if all(int(e) % 2 == 0 for e in powers.values()):
            out = (max(out[0], Fraction(0)), out[1])
        return out
    if all(lo is not None and lo >= 0 for lo, _ in ranges):  # every factor non-negative: the product is too
        low = math.prod((lo ** int(e) for (lo, _), e in zip(ranges, powers.values())), start=Fraction(1))
        return low, None
    if all(int(e) % 2 == 0 for e in powers.values()):
        return Fraction(0), None
    return None, None


def _tightened(box: Mapping[sympy.Symbol, tuple], linear) -> tuple[dict, dict]:
    """The box narrowed by every constraint in one parameter alone (``a x + c > 0``), and which of its ends are
    strict (``x > low``: only from a strict constraint; the model's bounds are closed)."""
    out = dict(box)
    strict_ends: dict[sympy.Symbol, list[bool]] = {x: [False, False] for x in box}
    for terms, strict in linear:
        variables = [m for m in terms if m != 1 and terms[m] != 0]
        if len(variables) != 1 or not isinstance(variables[0], sympy.Symbol):
            continue
        x = variables[0]
        a, c = terms[x], terms.get(sympy.Integer(1), Fraction(0))
        low, high = out.get(x, (None, None))
        ends = strict_ends.setdefault(x, [False, False])
        edge = -c / a
        if a > 0:
            if low is None or edge > low:
                low, ends[0] = edge, strict
            elif edge == low:
                ends[0] = ends[0] or strict
        else:
            if high is None or edge < high:
                high, ends[1] = edge, strict
            elif edge == high:
                ends[1] = ends[1] or strict
        out[x] = (low, high)
    return out, {x: tuple(v) for x, v in strict_ends.items()}


def _mccormick_pair(mono: sympy.Expr, box: Mapping[sympy.Symbol, tuple]):
    """``(x, z)`` if ``mono`` is ``x*z``, two distinct parameters each with some bound; else None."""
    factors = mono.as_powers_dict()
    if len(factors) != 2 or any(e != 1 for e in factors.values()):
        return None
    x, z = factors
    if not all(isinstance(s, sympy.Symbol) and box.get(s, (None, None)) != (None, None) for s in (x, z)):
        return None
    return x, z


class _Relaxation:
    """The rows ``A y <= b`` (non-strict) and ``S y < c`` (strict) of a constraint system, exact Fractions."""

    def __init__(self, constraints: Sequence[_Constraint], box: Mapping[sympy.Symbol, tuple]):
        self.ok = True
        linear = []
        for con in constraints:
            terms = _linear_terms(con.expr)
            if terms is None:
                self.ok = False
                return
            linear.append((terms, con.strict))
        box, strict_ends = _tightened(box, linear)
        monos = list(dict.fromkeys(m for terms, _ in linear for m in terms if m != 1))
        # McCormick needs the factors of a product of two parameters with bounds as variables of their own
        for m in list(monos):
            if _mccormick_pair(m, box) is not None:
                monos += [s for s in m.as_powers_dict() if s not in monos]
        self.monos = monos
        index = {m: k for k, m in enumerate(monos)}
        rows: list[tuple[list[Fraction], Fraction, bool]] = []

        def add(terms: Mapping, strict: bool) -> None:  # sum terms[m] y_m + const (> or >=) 0
            coeffs = [Fraction(0)] * len(monos)
            for m, c in terms.items():
                if m != 1:
                    coeffs[index[m]] -= c
            rows.append((coeffs, Fraction(terms.get(sympy.Integer(1), 0)), strict))

        for terms, strict in linear:
            add(terms, strict)
        one = sympy.Integer(1)
        for m in monos:
            low, high = _monomial_range(m, box)
            if low is not None:
                add({m: Fraction(1), one: -low}, False)
            if high is not None:
                add({m: Fraction(-1), one: high}, False)
            pair = _mccormick_pair(m, box)
            if pair is not None:  # (x - a)(z - c) >= 0 for x on the side a, z on the side c of their bounds
                x, z = pair
                for side_x, sign_x in ((0, 1), (1, -1)):
                    for side_z, sign_z in ((0, 1), (1, -1)):
                        a, c = box[x][side_x], box[z][side_z]
                        if a is not None and c is not None:  # sx sz (x z - c x - a z + a c) >= 0, > 0 if both strict
                            sign = sign_x * sign_z
                            both = (
                                strict_ends.get(x, (False, False))[side_x]
                                and strict_ends.get(z, (False, False))[side_z]
                            )
                            add({m: Fraction(sign), x: -sign * c, z: -sign * a, one: sign * a * c}, both)
        self.rows = rows

    def certificate(self) -> list[Fraction] | None:
        """Exact Motzkin multipliers proving the rows infeasible, or None (no certificate found or verified)."""
        if not self.ok or not self.rows:
            return None
        from scipy.optimize import linprog

        rows = self.rows
        n_rows, n_vars = len(rows), len(self.monos)
        A = np.array([[float(c) for c in coeffs] for coeffs, _, _ in rows]).reshape(n_rows, n_vars)
        rhs = np.array([float(b) for _, b, _ in rows])
        strict = np.array([s for _, _, s in rows], dtype=float)
        # variables: the multipliers w (lambda on non-strict rows, mu on strict ones), w A = 0, sum(w) <= 1.
        # First the strong form (minimise w.b: a negative optimum keeps its sign when rationalised), then the
        # form that needs a strict row (maximise sum(mu) subject to w.b <= 0).
        a_eq = A.T if n_vars else None
        b_eq = np.zeros(n_vars) if n_vars else None
        problems = [
            (rhs, np.ones((1, n_rows)), np.array([1.0])),
            (-strict, np.vstack([rhs, np.ones(n_rows)]), np.array([0.0, 1.0])),
        ]
        for objective, a_ub, b_ub in problems:
            try:
                res = linprog(objective, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
            except ValueError:
                continue
            if res.status != 0 or -res.fun <= CERT_TOL:
                continue
            w = np.where(res.x > LP_ZERO, res.x, 0.0)
            for denominator in DENOMINATORS[2:]:
                exact = [Fraction(float(v)).limit_denominator(denominator) for v in w]
                if self.verify(exact):
                    return exact
            exact = self._support_certificate(np.flatnonzero(w))
            if exact is not None:
                return exact
        return None

    def _support_certificate(self, support: np.ndarray) -> list[Fraction] | None:
        """The rows the LP used, if their exact left null space is one line: its non-negative direction, verified."""
        if not len(support) or not self.monos:
            return None
        matrix = sympy.Matrix([[_rational(self.rows[r][0][k]) for r in support] for k in range(len(self.monos))])
        basis = matrix.nullspace()
        if len(basis) != 1:
            return None
        vector = list(basis[0])
        if all(v <= 0 for v in vector):
            vector = [-v for v in vector]
        w = [Fraction(0)] * len(self.rows)
        for r, v in zip(support, vector):
            w[r] = Fraction(int(v.p), int(v.q))
        return w if self.verify(w) else None

    def verify(self, w: Sequence[Fraction]) -> bool:
        """Motzkin's conditions in exact rationals: ``w >= 0``, ``w A = 0``; ``w.b < 0``, or ``w.b <= 0`` with a
        strict row used."""
        if any(x < 0 for x in w):
            return False
        for k in range(len(self.monos)):
            if sum(x * coeffs[k] for x, (coeffs, _, _) in zip(w, self.rows)) != 0:
                return False
        total = sum(x * b for x, (_, b, _) in zip(w, self.rows))
        strict_used = any(x > 0 for x, (_, _, s) in zip(w, self.rows) if s)
        return total < 0 or (total <= 0 and strict_used)


# -- searching for a point ------------------------------------------------------------------------------------


class _Space:
    """The parameters, their box, the values used for parameters no constraint mentions, and the search counter."""

    def __init__(self, game: Game, bounds: Mapping[str, tuple], rng: np.random.Generator):
        self.game = game
        self.symbols = game.symbols
        self.box = {}
        for name, (low, high) in bounds.items():
            self.box[self.symbols[name]] = (
                None if low is None else _fraction(low),
                None if high is None else _fraction(high),
            )
        self.rng = rng
        self.checked = 0
        self.default = {}
        for name, sym in self.symbols.items():
            low, high = self.box.get(sym, (None, None))
            value = game.parameters.get(name)
            value = _fraction(value) if value is not None else None
            if value is None or (low is not None and value < low) or (high is not None and value > high):
                if low is not None and high is not None:
                    value = (low + high) / 2
                else:
                    value = low if low is not None else high if high is not None else Fraction(0)
            self.default[sym] = value

    def sample_range(self, sym: sympy.Symbol) -> tuple[float, float]:
        low, high = self.box.get(sym, (None, None))
        centre = float(self.default[sym])
        lo = float(low) if low is not None else (float(high) if high is not None else centre) - SEARCH_SPAN
        hi = float(high) if high is not None else (float(low) if low is not None else centre) + SEARCH_SPAN
        return lo, hi

    def in_box(self, point: Mapping[sympy.Symbol, Fraction]) -> bool:
        for sym, value in point.items():
            low, high = self.box.get(sym, (None, None))
            if (low is not None and value < low) or (high is not None and value > high):
                return False
        return True


def _holds_exactly(con: _Constraint, point: Mapping[sympy.Symbol, Fraction]) -> bool:
    try:
        value = substitute(con.expr, {s: _rational(v) for s, v in point.items()})
    except GamekitError:
        return False
    if not value.is_number or value.is_extended_real is not True:
        return False
    test = value > 0 if con.strict else value >= 0
    return test is sympy.true


def _verified(space: _Space, constraints: Sequence[_Constraint], point: Mapping[sympy.Symbol, Fraction]) -> bool:
    return space.in_box(point) and all(_holds_exactly(c, point) for c in constraints)


def _search(space: _Space, constraints: Sequence[_Constraint]) -> dict[sympy.Symbol, Fraction] | None:
    """A point of the box satisfying every constraint, verified exactly (and shrunk to simple values), or None."""
    from scipy.optimize import minimize

    free = sorted({s for c in constraints for s in c.expr.free_symbols}, key=str)
    base = dict(space.default)
    if not free:
        return base if _verified(space, constraints, base) else None
    margins = _margins(constraints, free)
    ranges = _sample_ranges(space, constraints, free)

    samples = ranges[:, 0] + (ranges[:, 1] - ranges[:, 0]) * space.rng.random((SEARCH_SAMPLES, len(free)))
    centre = np.array([[float(space.default[s]) for s in free]])
    samples = np.vstack([centre, samples])
    space.checked += samples.shape[0]
    m = margins(samples)
    order = np.argsort(-m)
    bounds = [
        (
            None if space.box.get(s, (None, None))[0] is None else float(space.box[s][0]),
            None if space.box.get(s, (None, None))[1] is None else float(space.box[s][1]),
        )
        for s in free
    ]
    point = _rationalise(
        space, constraints, free, base, [samples[k] for k in order[:SEARCH_STARTS] if m[k] > -SEARCH_SLACK]
    )
    if point is not None:
        return point

    def negative_margin(x: np.ndarray) -> float:
        space.checked += 1
        v = margins(x[None, :])[0]
        return -v if np.isfinite(v) else 1e300

    for k in order[:SEARCH_STARTS]:
        res = minimize(negative_margin, samples[k], method="Powell", bounds=bounds, options={"maxiter": 2000})
        if -res.fun > -SEARCH_SLACK:  # on the boundary too: rounding may land exactly on it (verified exactly)
            point = _rationalise(space, constraints, free, base, [np.asarray(res.x)])
            if point is not None:
                return point
    return None


def _sample_ranges(space: _Space, constraints: Sequence[_Constraint], free: list[sympy.Symbol]) -> np.ndarray:
    """Where to sample each free parameter: its box narrowed by the constraints in it alone (``F > 9.5``)."""
    linear = []
    for c in constraints:
        terms = _linear_terms(c.expr)
        if terms is not None:
            linear.append((terms, c.strict))
    narrowed, _ = _tightened(space.box, linear)
    out = []
    for s in free:
        lo, hi = space.sample_range(s)
        low, high = narrowed.get(s, (None, None))
        lo, hi = max(lo, float(low)) if low is not None else lo, min(hi, float(high)) if high is not None else hi
        if low is not None and high is None:
            hi = max(hi, lo + SEARCH_SPAN)
        if high is not None and low is None:
            lo = min(lo, hi - SEARCH_SPAN)
        out.append((lo, hi) if lo <= hi else space.sample_range(s))
    return np.array(out)


def _margins(constraints: Sequence[_Constraint], free: list[sympy.Symbol]):
    """``x (n, len(free)) -> `` the smallest scaled constraint value of each row (``-inf`` where undefined)."""
    funcs = []
    for c in constraints:
        scale = max([abs(float(t.as_coeff_Mul()[0])) for t in sympy.Add.make_args(c.expr)] + [1.0])
        funcs.append(sympy.lambdify(free, c.expr / scale, modules="numpy"))

    def margins(x: np.ndarray) -> np.ndarray:
        out = np.full(x.shape[0], np.inf)
        with np.errstate(all="ignore"):
            for f in funcs:
                value = np.broadcast_to(np.asarray(f(*x.T), dtype=float), (x.shape[0],))
                out = np.minimum(out, np.where(np.isfinite(value), value, -np.inf))
        return out

    return margins


def _spread_points(space: _Space, constraints: Sequence[_Constraint], count: int) -> list[dict]:
    """Up to ``count`` different points of the box satisfying the constraints (exactly verified), spread out:
    the shrunk point of :func:`_search` first, then random samples with a positive margin (rationalised)."""
    first = _search(space, constraints)
    if first is None:
        return []
    out = [first]
    free = sorted({s for c in constraints for s in c.expr.free_symbols}, key=str)
    if not free:
        return out
    ranges = _sample_ranges(space, constraints, free)
    samples = ranges[:, 0] + (ranges[:, 1] - ranges[:, 0]) * space.rng.random((SEARCH_SAMPLES, len(free)))
    space.checked += samples.shape[0]
    good = samples[_margins(constraints, free)(samples) > 0]
    for x in good[: 4 * count]:
        if len(out) >= count:
            break
        point = dict(space.default)
        point.update({s: Fraction(float(v)).limit_denominator(1000) for s, v in zip(free, x)})
        if point not in out and _verified(space, constraints, point):
            out.append(point)
    return out


def _rationalise(space, constraints, free, base, candidates):
    for x in candidates:
        for denominator in DENOMINATORS:
            point = dict(base)
            point.update({s: Fraction(float(v)).limit_denominator(denominator) for s, v in zip(free, x)})
            if _verified(space, constraints, point):
                return _shrink(space, constraints, free, point)
    return None


def _shrink(space, constraints, free, point):
    """Each parameter in turn replaced by the simplest rounding of it under which the point still verifies."""
    for s in free:
        for digits in SIMPLE_DIGITS:
            simpler = Fraction(round(point[s], digits))
            if simpler == point[s]:
                break
            trial = {**point, s: simpler}
            if _verified(space, constraints, trial):
                point = trial
                break
    return point


# -- the result -------------------------------------------------------------------------------------------------


def _number_json(value: Fraction) -> int | float:
    return int(value) if value.denominator == 1 else float(value)


def _number_text(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    as_float = float(value)
    return repr(as_float) if Fraction(repr(as_float)) == value else f"{value} (~{as_float:.6g})"


@dataclass(frozen=True)
class CheckResult:
    """The verdict on a claim "when ``conditions``, ``state`` is (the unique) asymptotically stable state".

    ``holds``: no counterexample (proved if ``method == "exact"``); ``counterexample``: a full parameter set
    (exact Fractions) in the bounds satisfying the conditions where the claim fails; ``failing``: what fails
    there (an eigenvalue ``>= 0`` with its value, or another stable profile); ``stable_there``: every pure profile
    asymptotically stable at the counterexample; ``missing``: stability conditions the stated ones do not imply;
    ``checked``: parameter sets evaluated in searches; ``contradictory``: no parameter set in the bounds satisfies
    the conditions (the claim holds vacuously).
    """

    state: tuple[str, ...]
    conditions: tuple[str, ...]
    unique: bool
    holds: bool
    method: str
    counterexample: Mapping[str, Fraction] | None = None
    stable_there: tuple[tuple[str, ...], ...] = ()
    failing: str | None = None
    missing: tuple[str, ...] = ()
    checked: int = 0
    contradictory: bool = False
    notes: tuple[str, ...] = field(default=())

    def claim_text(self) -> str:
        """The claim in words."""
        what = "the unique asymptotically stable state" if self.unique else "asymptotically stable"
        when = f" when {', '.join(self.conditions)}" if self.conditions else ""
        if not self.state:
            return f"no state is asymptotically stable{when}"
        return f"({', '.join(self.state)}) is {what}{when}"

    def verdict(self) -> str:
        """``"proved"``, ``"refuted"``, ``"holds in the search (not proved)"`` or ``"contradictory conditions"``."""
        if self.contradictory:
            return "contradictory conditions"
        if not self.holds:
            return "refuted"
        return "proved" if self.method == "exact" else "holds in the search (not proved)"

    def to_json(self) -> dict:
        """The JSON contract: ``holds, method, counterexample, stable_there, missing, checked``."""
        cx = None
        if self.counterexample is not None:
            cx = {k: _number_json(v) for k, v in self.counterexample.items()}
        return {
            "holds": self.holds,
            "method": self.method,
            "counterexample": cx,
            "stable_there": [", ".join(p) for p in self.stable_there],
            "missing": list(self.missing),
            "checked": self.checked,
        }

    def _lines(self) -> list[str]:
        out = [f"claim: {self.claim_text()}", f"verdict: {self.verdict()} (method: {self.method})"]
        if self.contradictory:
            out.append("the conditions are contradictory: no parameter set within the bounds satisfies them")
        if self.counterexample is not None:
            values = ", ".join(f"{k} = {_number_text(v)}" for k, v in self.counterexample.items())
            out.append(f"counterexample: {values}")
        if self.failing:
            out.append(f"there: {self.failing}")
        if self.counterexample is not None:
            stable = "; ".join(f"({', '.join(p)})" for p in self.stable_there) or "none"
            out.append(f"pure profiles asymptotically stable there: {stable}")
        out += [f"also needs {m}" for m in self.missing]
        if self.method == "search" or self.checked:
            out.append(f"parameter sets searched: {self.checked}")
        out += self.notes
        return out

    def __str__(self) -> str:
        return "\n".join(self._lines())

    def _repr_markdown_(self) -> str:
        return "\n".join(f"- {line}" for line in self._lines())


# -- the check ----------------------------------------------------------------------------------------------


def _bounds(game: Game, bounds: Mapping[str, tuple] | None) -> dict[str, tuple]:
    from .game import _bounds as checked_bounds

    out = dict(game.bounds)
    if bounds is not None:
        out.update(checked_bounds(bounds, dict(game.parameters)))
    return out


def _listed(when) -> list:
    return [when] if isinstance(when, (str, sympy.Rel)) else list(when)


def _conditions(game: Game, when) -> list[sympy.Rel]:
    if not isinstance(when, (str, sympy.Rel, Sequence)):
        raise ArgumentError(f"when must be a list of conditions such as 'delta*F > Cg', got {type(when).__name__}")
    symbols = game.symbols
    out = []
    for text in _listed(when):
        rel = parse_condition(text, symbols)
        unknown = sorted(str(s) for s in rel.free_symbols if s not in set(symbols.values()))
        if unknown:
            raise ArgumentError(f"condition {printable(repr(str(text)))}: {', '.join(unknown)} is not a parameter")
        out.append(rel)
    return out


def _stable_profiles(game: Game, point: Mapping[sympy.Symbol, Fraction]) -> tuple[tuple[str, ...], ...]:
    values = {s: _rational(v) for s, v in point.items()}
    out = []
    for idx in game.profiles():
        signs = [substitute(g.gain, values) < 0 for g in switch_gains(game, idx)]
        if all(s is sympy.true for s in signs):
            out.append(game.profile_names(idx))
    return tuple(out)


def _gain_constraints(game: Game, idx) -> list[_Constraint]:
    return [_Constraint(-g.gain, True) for g in switch_gains(game, idx)]


def check(
    game: Game,
    state: str | Sequence[str] | Sequence[int] | None,
    when: Sequence[str | sympy.Rel] = (),
    unique: bool = False,
    *,
    bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
    rng: int | np.random.Generator | None = 0,
) -> CheckResult:
    """Prove or refute "when ``when``, ``state`` is (the ``unique``) asymptotically stable state" (module docstring).

    Parameters
    ----------
    game
        The model; its parameter values only fill in, in a counterexample, the parameters that neither the
        conditions nor the eigenvalues involve (the claim is about every parameter set in the bounds).
    state
        A pure profile: a state name (``"trap"``), ``"regulate, evade, accept"``, strategy names or indices; or
        ``None`` for the claim that *no* state is asymptotically stable (``state`` of the result is then ``()``);
        or an interior or face state by its shares, numbers or expressions (``["V/C"]``, ``(1, "3/5", 1)``).
    when
        The conditions, each one inequality of the payoff grammar (``"delta*F > Cg"``) or a sympy inequality.
    unique
        Also claim that no other pure profile (nor, in a game that is not multilinear, any other rest point) is
        asymptotically stable where the conditions hold.
    bounds
        ``{parameter: (low, high)}`` replacing the model's ``[bounds]`` for these parameters (``None`` for an open
        end); parameters bounded by neither are free.
    rng
        Seed or numpy Generator of the counterexample search (the default 0 makes the verdict reproducible).

    Returns
    -------
    CheckResult
        The verdict (``verdict()``: ``"proved"``, ``"refuted"`` or ``"holds in the search (not proved)"``), the method,
        and for a refuted claim a counterexample, the eigenvalue that fails there and the conditions the claim misses.
    """
    game = _validate.game(game)
    unique = _validate.flag("unique", unique)
    rng = _validate.generator(rng)
    if state is None and unique:
        raise ArgumentError("unique=True needs a state: state=None claims that no state is asymptotically stable")
    shares = _share_state(game, state)
    if isinstance(state, str) and "," not in state and state not in game.states and len(game.populations) > 1:
        known = ", ".join(game.states) or "none"
        raise ArgumentError(f"no state named {printable(repr(state))} (the model's states: {known})")
    idx = None if state is None or shares is not None else _profile_indices(game, state)
    profile = () if idx is None else game.profile_names(idx)
    if shares is not None:
        if unique:
            raise ArgumentError("unique=True is supported for pure profiles only (not yet for interior or face states)")
        profile = tuple(payoff_text(e) for e in shares)
    rels = _conditions(game, when)
    space = _Space(game, _bounds(game, bounds), rng)
    cond = [_from_relation(r) for r in rels]
    cond_text = tuple(
        " ".join(t.split()) if isinstance(t, str) else payoff_text(r) for t, r in zip(_listed(when), rels)
    )
    base = dict(conditions=cond_text, unique=unique, state=profile)
    free_note = sorted(n for n, s in space.symbols.items() if s not in space.box)
    notes = []
    if free_note:
        notes.append(f"no bounds on {', '.join(free_note)}: any real value (open)")

    def decide(constraints):
        """("empty", None), ("point", point) or ("unknown", None)."""
        if _certified_empty(constraints + _box_constraints(space), space.box):
            return "empty", None
        point = _search(space, constraints)
        return ("point", point) if point is not None else ("unknown", None)

    def refuted(point, failing, missing=()):
        return CheckResult(
            **base,
            holds=False,
            method="exact",
            counterexample={str(s): point[s] for s in space.symbols.values()},
            stable_there=_stable_profiles(game, point),
            failing=failing,
            missing=tuple(missing),
            checked=space.checked,
            notes=tuple(notes),
        )

    # 1. are the conditions satisfiable at all?
    verdict, _ = decide(list(cond))
    if verdict == "empty":
        return CheckResult(
            **base,
            holds=True,
            method="exact",
            contradictory=True,
            checked=space.checked,
            notes=tuple(notes + ["the claim holds vacuously"]),
        )
    if shares is not None:
        return _state_by_linearisation(game, space, cond, base, notes, shares, decide)
    if idx is None:
        return _no_stable_state(game, space, cond, base, notes, decide, refuted)
    # 2. every eigenvalue of the state negative where the conditions hold?
    gains = switch_gains(game, idx)
    missing, first, unknown = [], None, []
    for g in gains:
        verdict, point = decide(cond + [_Constraint(g.gain, False)])
        if verdict == "point":
            missing.append(payoff_text(negative(g.gain)))
            if first is None:
                value = substitute(g.gain, {s: _rational(v) for s, v in point.items()})
                first = (
                    point,
                    f"eigenvalue {payoff_text(g.gain)} = {payoff_text(value)} >= 0 "
                    f"({g.population}: {g.alternative} instead of {g.current})",
                )
        elif verdict == "unknown":
            unknown.append(g)
    if first is not None:
        return refuted(first[0], first[1], dict.fromkeys(missing))
    # 3. uniqueness: no other pure profile stable where the conditions hold
    own = _gain_constraints(game, idx)
    if unique:
        rivals = []  # (label, point) of every other profile found stable somewhere in B ∩ C
        for other in game.profiles():
            if tuple(other) == tuple(idx):
                continue
            theirs = _gain_constraints(game, other)
            if any(c.expr.is_number and c.expr <= 0 for c in theirs):
                continue  # some eigenvalue is a number >= 0: never stable
            verdict, point = decide(cond + own + theirs)
            if verdict == "empty" and unknown:  # s was not proved stable on all of B ∩ C: s' alone may still be
                verdict, point = decide(cond + theirs)
            if verdict == "point":
                rivals.append((_profile_label(game, other), point))
            elif verdict == "unknown":
                unknown.append(game.profile_names(other))
        if rivals:
            if len(rivals) > 1:
                notes.append(
                    "other pure profiles asymptotically stable somewhere under the conditions: "
                    + "; ".join(label for label, _ in rivals)
                )
            label, point = rivals[0]
            return refuted(point, f"{label} is asymptotically stable too")
    method = "search" if unknown else "exact"
    if unknown:
        notes.append(
            "not decided exactly (no certificate, no counterexample): "
            + "; ".join(
                payoff_text(negative(u.gain)) if hasattr(u, "gain") else f"({', '.join(u)}) stable" for u in unknown
            )
        )
    if unique and not game.multilinear:
        result = _other_rest_points(game, space, cond + own, notes)
        if result is not None:
            point, failing, exact = result
            out = refuted(point, failing)
            return out if exact else CheckResult(**{**out.__dict__, "method": "search"})
        method = "search"
    return CheckResult(**base, holds=True, method=method, checked=space.checked, notes=tuple(notes))


def _share_state(game: Game, state) -> list[sympy.Expr] | None:
    """A state given by shares (numbers, or expressions in the parameters): the flat list; None for a pure one."""
    if isinstance(state, np.ndarray):
        state = state.tolist()
    if state is None or isinstance(state, str) or not isinstance(state, Sequence) or not state:
        return None
    names = [set(p.strategies) for p in game.populations]
    flat = [v for row in state for v in row] if all(isinstance(r, (list, tuple)) for r in state) else list(state)
    if len(state) == len(names) and all(isinstance(v, str) and v.strip() in n for v, n in zip(state, names)):
        return None  # strategy names
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in state):
        return None  # strategy indices
    if all(isinstance(v, str) and NAME_PATTERN.match(v.strip()) and v.strip() not in game.parameters for v in state):
        return None  # names, none of them a parameter: meant as strategies (the profile lookup names the bad one)
    from .expr import parse_expression

    out = []
    for v in flat:
        if isinstance(v, bool) or not isinstance(v, (str, int, float, Fraction, np.integer, np.floating)):
            raise ArgumentError(f"state: {printable(repr(v))} is neither a share nor a strategy")
        expr = parse_expression(str(v) if isinstance(v, Fraction) else v, game.symbols)
        out.append(expr)
    return out


def _state_by_linearisation(game, space, cond, base, notes, shares, decide) -> CheckResult:
    """An interior or face state (shares, maybe depending on the parameters): linearised at sampled parameter sets."""
    from .errors import StateError
    from .stability import linearize

    label = f"({', '.join(payoff_text(e) for e in shares)})"
    points = _spread_points(space, cond, STATE_PROBES)
    for point in points:
        values = {s: _rational(v) for s, v in point.items()}
        there = [substitute(e, values) for e in shares]
        eq = None
        if not all(v.is_number and v.is_extended_real for v in there):
            failing = f"the state {label} is not a point of the state space there"
        else:
            params = {str(s): float(v) for s, v in point.items()}
            try:
                eq = linearize(game.with_parameters(params), [float(v) for v in there])
            except StateError as err:
                failing = f"the state {label} is not a rest point there: {err}"
            if eq is not None:
                if eq.stability == Stability.ASYMPTOTICALLY_STABLE:
                    continue
                failing = f"the state {label} is {eq.stability} there (eigenvalues {eq.describe_eigenvalues()})"
        # exact only when the label came from exact eigenvalues of exactly this parameter set
        exact = (
            eq is not None
            and eq.exact_eigenvalues is not None
            and all(Fraction(repr(float(v))) == v for v in point.values())
            and all(v.is_Rational for v in there)
        )
        return CheckResult(
            **base,
            holds=False,
            method="exact" if exact else "search",
            counterexample={str(s): point[s] for s in space.symbols.values()},
            stable_there=_stable_profiles(game, point),
            failing=failing,
            checked=space.checked,
            notes=tuple(notes + ["decided by linearisation at sampled parameter sets"]),
        )
    notes.append(f"linearised at {len(points)} parameter sets (search): asymptotically stable at each")
    return CheckResult(**base, holds=True, method="search", checked=space.checked, notes=tuple(notes))


def _profile_label(game: Game, idx) -> str:
    name = game.state_name(idx)
    return f"({', '.join(game.profile_names(idx))})" + (f" [{name}]" if name else "")


def _no_stable_state(game, space, cond, base, notes, decide, refuted) -> CheckResult:
    """The claim "no state is asymptotically stable": every pure profile's stability region misses B ∩ C."""
    unknown = []
    for idx in game.profiles():
        own = _gain_constraints(game, idx)
        if any(c.expr.is_number and c.expr <= 0 for c in own):
            continue
        verdict, point = decide(cond + own)
        if verdict == "point":
            return refuted(point, f"{_profile_label(game, idx)} is asymptotically stable")
        if verdict == "unknown":
            unknown.append(_profile_label(game, idx))
    method = "search" if unknown else "exact"
    if unknown:
        notes.append("not decided exactly (no certificate, no counterexample): " + "; ".join(unknown) + " stable")
    if not game.multilinear:
        result = _other_rest_points(game, space, cond, notes, "")
        if result is not None:
            point, failing, exact = result
            out = refuted(point, failing)
            return out if exact else CheckResult(**{**out.__dict__, "method": "search"})
        method = "search"
    else:
        notes.append("multilinear: only pure profiles can be asymptotically stable (Ritzberger-Weibull)")
    return CheckResult(**base, holds=True, method=method, checked=space.checked, notes=tuple(notes))


def _certified_empty(constraints: list[_Constraint], box: Mapping[sympy.Symbol, tuple]) -> bool:
    """A Motzkin certificate for the system, or for each case of its ``step`` functions (module docstring)."""
    steps = sorted({h for c in constraints for h in c.expr.atoms(sympy.Heaviside)}, key=str)
    if not steps or len(steps) > MAX_STEP_CASES:
        return _Relaxation(constraints, box).certificate() is not None
    for signs in itertools.product((1, 0), repeat=len(steps)):
        case = [_Constraint(h.args[0], False) if v else _Constraint(-h.args[0], True) for h, v in zip(steps, signs)]
        values = {h: sympy.Integer(v) for h, v in zip(steps, signs)}
        system = [_Constraint(sympy.expand(c.expr.xreplace(values)), c.strict) for c in constraints] + case
        if any(c.expr.has(sympy.Heaviside) for c in system):  # a step inside a step: no case split
            return _Relaxation(constraints, box).certificate() is not None
        if _Relaxation(system, box).certificate() is None:
            return False
    return True


def _box_constraints(space: _Space) -> list[_Constraint]:
    out = []
    for sym, (low, high) in space.box.items():
        if low is not None:
            out.append(_Constraint(sym - _rational(low), False))
        if high is not None:
            out.append(_Constraint(_rational(high) - sym, False))
    return out


def _other_rest_points(game: Game, space: _Space, constraints: list[_Constraint], notes: list[str], too: str = " too"):
    """Non-multilinear games: gk.equilibria at a few points of B ∩ C (where the state is stable, if there is one)."""
    from .equilibria import equilibria

    probed = _spread_points(space, constraints, UNIQUE_PROBES)
    for point in probed:
        values = {str(s): float(v) for s, v in point.items()}
        try:
            eqs = equilibria(game.with_parameters(values), progress=False)
        except GamekitError as err:  # e.g. an AnalysisError: the probe is skipped, and the result says so
            notes.append(f"gk.equilibria failed at a probe: {err}")
            continue
        for eq in eqs.points:
            if not eq.is_pure and eq.stability == Stability.ASYMPTOTICALLY_STABLE:
                exact = eq.exact_eigenvalues is not None and all(  # the game saw exactly this point
                    Fraction(repr(float(v))) == v for v in point.values()
                )
                how = "exact eigenvalues" if exact else "numeric eigenvalues"
                return (
                    point,
                    f"the rest point {eq.describe_state()} is asymptotically stable{too} (gk.equilibria, {how})",
                    exact,
                )
    notes.append(
        f"not multilinear: other rest points looked for with gk.equilibria at {len(probed)} parameter sets (search)"
    )
    return None
