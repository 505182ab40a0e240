r"""Rest points of games that are not multilinear: shares in payoffs, symmetric games, group games.

The field is :func:`gamekit.dynamics.general_field`: ``u_p(i)`` is an exact expression in the full
shares ``sigma_p[i]`` (parameters at their values).  A state is a rest point iff in every
population the strategies in use earn the same, so rest points are again found face by face.  A
face is a support ``S_p`` per population; its unknowns ``v`` are the shares of each mixing
population (``|S_p| > 1``) but the last ``l_p`` of its support, and the full state is affine in them::

    sigma = b + P v,   sigma_p[l_p] = 1 - sum_{i in S_p, i != l_p} sigma_p[i],   sigma_p[j] = 0 for j not in S_p,

with ``m = sum_p (|S_p| - 1)`` unknowns and as many equations
``F(v) = (u_p(i) - u_p(l_p))_{p mixing, i in S_p, i != l_p} = 0``.  A solution counts when
every share on the support is strictly positive; one on the boundary belongs to a smaller face
and is found there, so each rest point lies in exactly one face and is listed once.  Every pure
profile (``m = 0``) is a rest point.  Unlike the multilinear case, ``u_p`` may depend on
``sigma_p`` itself (a symmetric game's ``u(i) = sum_j A[i, j] sigma[j]``, a fine ``F*(1 - y)``
paid by the population ``y`` counts), so interior and face points may be asymptotically stable.

The equations of a face are written down exactly (:func:`face_equations`) and each face goes to
the solver that fits it:

* **linear** (every ``F_r`` of degree <= 1 in ``v``): exact Gauss--Jordan elimination over
  :class:`fractions.Fraction` (floating point, on the equations divided by the payoff scale, for
  irrational coefficients or ``exact=False``); a solution set of positive dimension that meets the
  open face is a :class:`~gamekit.equilibria.Continuum`.  A symmetric game with a fixed matrix
  ``A`` (no share in its payoffs) is linear on every face, ``A_SS x = lambda 1, 1'x = 1``: its
  faces are not written down symbolically but screened in batches by support size
  (:func:`.faces._screen` on ``A / scale``) and the survivors solved over Fractions directly;
* **one unknown** (two-strategy populations, group games) and a polynomial numerator with
  rational coefficients: the numerator is factored over the rationals and the real roots of
  each factor are isolated exactly (:meth:`sympy.Poly.intervals`).  Roots of factors of degree
  <= 2 are written exactly (rationals, square roots); roots of higher factors are refined to
  ``ROOT_EPS`` and reported as numeric points (their count is exact, so the result stays
  complete, and its notes say so).  Small polynomials (degree <= ``INLINE_DEGREE``, coefficients
  of at most ``INLINE_BITS`` bits) are done here whatever the budget, larger ones in the sympy
  worker process (:mod:`gamekit._worker`) within the time budget;
* **several unknowns** (at most ``max_exact_unknowns``), polynomial with rational coefficients:
  in the worker, within the time budget, a lexicographic Groebner basis; in shape position
  (``v_i = g_i(v_m)``, ``h(v_m) = 0``) the real roots of ``h``'s factors as for one unknown,
  else sympy's ``solve``.  Roots that are not surds (rationals and square roots) are numeric;
* otherwise, or when the budget is spent: Newton's method from ``starts`` seeded points per
  face (for one unknown also from every sign change on a grid of ``GRID`` points, refined by
  bisection), each candidate polished and verified as in :mod:`.numeric`, but with *local*
  tolerances (payoffs such as ``exp(100 y)`` vary by many orders over a face): it counts when
  the residual ``|F|`` is at most ``POLISH_RESIDUAL`` times the largest derivative along the face
  of a payoff in use there (or the rounding floor of the payoffs there) and every support share
  exceeds ``CLEAR * e + SHARE_FLOOR``,
  ``e = ||J^{-1}|| (|F| + floor)`` its error bound; two verified points of one face closer than
  ``CLEAR`` times the sum of their error bounds (or ``DEDUPE``) are one point.  Such faces make
  the result incomplete (``Equilibria.complete`` false, ``numeric_faces`` counts them).

An equation that vanishes identically, or a solution set with free unknowns, is a continuum of
rest points.  Each isolated rest point is linearised by :func:`gamekit.stability._linearise` with
the general field: exact eigenvalues at rational points, at exact irrational points computed in
the worker when cheap (``MAX_EXACT_EIGEN_UNKNOWNS``, ``EIGEN_BUDGET``) and kept when they are
surds, numeric otherwise.  The derivatives of the payoffs of strategies not in use enter the
Jacobian multiplied by their zero shares and are taken as zero (``sqrt(y)`` at ``y = 0``), and so
are those of a strategy played by its whole population (they enter as ``du[a] - du[a]``).

**Where the field is not differentiable.**  A ``step``, ``abs``, ``min`` or ``max`` of the shares
*switches* at a state when its argument vanishes there (two arguments tie)
(:meth:`~gamekit.dynamics.GeneralField.kinks`).  The solvers see one branch at a time, so a point
found there may be only the limit of one branch: it is kept only if it is a rest point of the field
*as written* (``step(0) = 1``, :func:`gamekit.stability._switch_check`; else it is dropped and a note
names it).  Such a point, and one where a payoff in use or its derivative is infinite or undefined
(``F*log(y)`` at ``y = 0``), has no Jacobian: it is listed with the label ``not linearised``, no
eigenvalue and a note saying why, and the other rest points are analysed as usual.

**Decimal payoffs.**  A point with a share of at most ``SHADOW_SHARE`` that is, within
``SHADOW_DISTANCE``, a point found on the smaller face without those strategies is that point
(:func:`_drop_shadows`): payoffs such as ``0.1 * 3 = 0.30000000000000004`` may split a degenerate rest
point into an exact one and a copy ``1e-17`` into a larger face.

>>> import gamekit as gk
>>> payoffs = {"hawk, hawk": ["(V - C)/2"], "hawk, dove": ["V"], "dove, hawk": ["0"], "dove, dove": ["V/2"]}
>>> print(gk.equilibria(gk.Game({"players": ["hawk", "dove"]}, payoffs, {"V": 2, "C": 4})))
(hawk): unstable; eigenvalues 1
(dove): unstable; eigenvalues 1
(1/2): asymptotically stable; eigenvalues -0.5
"""

from __future__ import annotations

import itertools
import sys
import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

from .._worker import BudgetSpent, worker
from ..dynamics import GeneralField, general_field, jacobian_from
from ..game import Game
from ..stability import INFINITE_DERIVATIVE, Stability, _kink_text, _linearise, _not_linearised, _switch_check
from .exact import _positive
from .faces import (
    RawContinuum,
    RawPoint,
    _equations,
    _interior_point,
    _screen,
    affine_exact,
    affine_float,
    face_count,
    share_symbols,
    supports,
)
from .numeric import Uncertain, _dedupe_uncertain
from .result import Continuum, Equilibria

__all__ = ["equilibria", "face_equations", "univariate_roots", "solve_system", "exact_eigenvalues"]

PROGRESS_FACES = 2_000  # with progress=None, a bar is shown from this many faces on (each is written down exactly),
PROGRESS_NUMERIC = 200  # or from this many faces to search numerically
NUMERIC_BATCH = 256  # faces searched numerically in one vectorised batch (the progress bar's step)
INLINE_DEGREE = 24  # one unknown: polynomials up to this degree are factored here, larger ones in the worker
INLINE_BITS = 1024  # ... and coefficients up to this many bits
MAX_DEGREE = 400  # a power of an unknown above this (or not an integer) makes a face non-polynomial
ROOT_EPS = Fraction(1, 10**24)  # isolating intervals of roots of degree > 2 are refined to this width (relative to
# the root's distance from 0 and 1, so that a root 1e-30 from a face's end is told from the end)
MAX_REFINE = 200  # refinements of one isolating interval at most
MAX_EXACT_EIGEN_UNKNOWNS = 3  # exact eigenvalues of irrational rest points only up to this dimension
EIGEN_BUDGET = 2.0  # seconds of sympy for one irrational rest point's exact eigenvalues
MAX_SURD_OPS = 200  # an exact share bigger than this (operations) is reported numerically

GRID = 512  # one unknown, numeric: sign changes of F on this grid of the open face seed Newton
BISECTIONS = 60  # halvings of each bracketed sign change before Newton polishes it
MAX_STEP = 0.25  # Newton steps are clipped to this (in shares) while searching
WANDER = 5.0  # a start this far (max-norm) from the face's centre is given up
ITERATIONS = 40  # Newton steps per start while searching
CANDIDATE_RESIDUAL = 1e-9  # |F| below this times the local derivative scale after the search: a candidate
STEP_TOL = 1e-15  # a Newton step below this (in shares) ends the search of a start
OUTSIDE = 1e-6  # a candidate's shares may be this far below zero before polishing
POLISH_STEPS = 8  # full Newton steps that polish each candidate
POLISH_RESIDUAL = 1e-13  # |F| at most this times the local derivative scale (or the rounding floor): converged
ROUNDING = 1e-15  # relative rounding of the payoffs' evaluation: the floor of |F| is ROUNDING * max |u| there
CLEAR = 100.0  # a share counts as positive above CLEAR error bounds; copies within CLEAR bounds are one
SHARE_FLOOR = 1e-13  # ... and above this
SINGULAR = 1e-8  # smallest singular value of J at most this times the local derivative scale: not isolated
DEDUPE = 1e-8  # verified points of one face closer than this (max-norm in shares) are one point
SHADOW_SHARE = 1e-12  # a point with a share this small that is, within SHADOW_DISTANCE, a point of the smaller face
SHADOW_DISTANCE = 1e-9  # ... without those strategies is that point (listed once, there): see _drop_shadows
SHADOW_TIE = 1e-9  # ... when those strategies' payoffs there are within this of the used ones' (relative to their size)


# -- faces ------------------------------------------------------------------------------------------------


@dataclass
class Face:
    """One face: its support, ``sigma = base + P v`` and the equation rows ``F = E u``."""

    support: tuple[tuple[int, ...], ...]
    base: np.ndarray  # (D,)
    P: np.ndarray  # (D, m)
    E: np.ndarray  # (m, D)
    cells: list[int]  # flat indices of the support's shares

    @property
    def m(self) -> int:
        return self.P.shape[1]


def make_face(shape, support) -> Face:
    off = np.concatenate([[0], np.cumsum(shape)]).astype(int)
    D = int(off[-1])
    m = sum(len(s) - 1 for s in support)
    base, P, E = np.zeros(D), np.zeros((D, m)), np.zeros((m, D))
    j = 0
    for p, sup in enumerate(support):
        last = off[p] + sup[-1]
        base[last] = 1.0
        for i in sup[:-1]:
            P[off[p] + i, j] = 1.0
            P[last, j] = -1.0
            E[j, off[p] + i] = 1.0
            E[j, last] = -1.0
            j += 1
    cells = [int(off[p] + i) for p, sup in enumerate(support) for i in sup]
    return Face(tuple(support), base, P, E, cells)


def face_equations(field: GeneralField, face: Face):
    """The face's unknowns (share symbols), its full shares in them, and its equations ``F(v)``, exactly."""
    syms = share_symbols(face.support)
    unknowns = [s for p in sorted(syms) for s in syms[p]]
    D = len(field.flat_sigma)
    shares = [
        sympy.Integer(int(face.base[a])) + sympy.Add(*[int(face.P[a, j]) * unknowns[j] for j in range(face.m)])
        for a in range(D)
    ]
    subs = dict(zip(field.flat_sigma, shares))
    u = field.flat_u
    equations = []
    for r in range(face.m):
        a, b = int(np.argmax(face.E[r])), int(np.argmin(face.E[r]))
        equations.append((u[a] - u[b]).xreplace(subs))
    return unknowns, shares, equations


def _face_equations(field: GeneralField, face: Face):
    """:func:`face_equations`, or None when sympy refuses to write them (a ``step`` of a non-real number)."""
    try:
        return face_equations(field, face)
    except (ValueError, TypeError):
        return None


def _tame(expr, unknowns) -> bool:
    """No power of an unknown that is huge or not a whole number (expanding it could take forever)."""
    for pw in expr.atoms(sympy.Pow):
        if pw.base.free_symbols & set(unknowns):
            e = pw.exp
            if not e.is_Integer or abs(int(e)) > MAX_DEGREE:
                return False
    return True


@dataclass
class Polynomial:
    """A face's equations as ``numerator / denominator`` with polynomial numerators (``Poly`` in the unknowns)."""

    numerators: list  # sympy.Poly
    denominators: list  # sympy.Expr
    rational: bool  # every coefficient a rational number

    @property
    def degree(self) -> int:
        return max((p.total_degree() for p in self.numerators), default=0)

    @property
    def zero(self) -> bool:
        return all(p.is_zero for p in self.numerators)


def as_polynomial(equations, unknowns) -> Polynomial | None:
    """The equations as rational functions of the unknowns with number coefficients, or None."""
    nums, dens, rational = [], [], True
    for eq in equations:
        if not _tame(eq, unknowns):
            return None
        if eq.is_polynomial(*unknowns):
            num, den = eq, sympy.Integer(1)
        elif eq.is_rational_function(*unknowns):
            num, den = sympy.fraction(sympy.cancel(sympy.together(eq)))
        else:
            return None
        try:
            poly = sympy.poly(num, *unknowns)  # built by Poly arithmetic: far faster than expanding the expression
        except sympy.PolynomialError:
            return None
        dom = poly.domain
        if not (dom.is_ZZ or dom.is_QQ or dom.is_RR):
            return None
        rational &= bool(dom.is_ZZ or dom.is_QQ)
        nums.append(poly)
        dens.append(den)
    return Polynomial(nums, dens, rational)


# -- exact solvers (the first two also run in the worker) -----------------------------------------------------


def univariate_roots(poly: sympy.Poly, denominator):
    """Roots in ``(0, 1)`` of a polynomial with rational coefficients where ``denominator`` does not vanish.

    Returns ``[(exact, value)]``: ``exact`` a sympy number for roots of factors of degree <= 2,
    else ``None`` (and ``value`` the root refined to ``ROOT_EPS``); ``value`` a float.
    """
    var = poly.gens[0]
    den = sympy.Poly(denominator, var) if denominator != 1 else None
    out = []
    for f, _ in poly.factor_list()[1]:
        if f.degree() < 1 or (den is not None and den.rem(f).is_zero):
            continue  # a constant, or roots where a payoff is undefined
        if f.degree() <= 2:
            for r in sympy.roots(f, multiple=True):
                if r.is_real and bool(r > 0) and bool(r < 1):
                    out.append((r, float(sympy.N(r, 30))))
            continue
        for (a, b), _ in f.intervals():
            a, b = sympy.Rational(a), sympy.Rational(b)
            if b <= 0 or a >= 1:
                continue
            for _ in range(MAX_REFINE):
                if b <= 0 or a >= 1:
                    break
                if 0 < a and b < 1:
                    # relative to the distance from the face's ends: a root 6e-26 from 0 is a point, not 0
                    target = ROOT_EPS * min(a, 1 - b, 1)
                    if b - a <= target:
                        break
                else:
                    target = (b - a) / 16
                a, b = f.refine_root(a, b, eps=min(target, (b - a) / 2))
                a, b = sympy.Rational(a), sympy.Rational(b)
            if 0 < a and b < 1:
                out.append((None, float((a + b) / 2)))
    return out


def _surd(value) -> bool:
    """Written with rationals and square roots only, and not too big: worth reporting exactly."""
    if value.has(sympy.CRootOf) or sympy.count_ops(value) > MAX_SURD_OPS:
        return False
    return all(not (p.exp.is_Rational and not p.exp.is_Integer and p.exp.q > 2) for p in value.atoms(sympy.Pow))


def _real_roots(f: sympy.Poly):
    """Real roots of an irreducible polynomial over the rationals: ``[(exact or None, approximation)]``.

    Degree <= 2: the exact root (a rational or a square root) and itself; above: ``None`` and the
    midpoint (a Rational) of an isolating interval refined to ``ROOT_EPS``.
    """
    if f.degree() <= 2:
        return [(r, r) for r in sympy.roots(f, multiple=True) if r.is_real]
    out = []
    for (a, b), _ in f.intervals(eps=ROOT_EPS):
        out.append((None, (sympy.Rational(a) + sympy.Rational(b)) / 2))
    return out


def _shape_position(G, unknowns):
    """``x_i = g_i(x_n)`` for i < n and the univariate ``h(x_n)``, when the lex basis has that form; else None."""
    *rest, last = unknowns
    polys = [sympy.Poly(g, *unknowns) for g in G.exprs]
    if len(polys) != len(unknowns) or polys[-1].free_symbols - {last}:
        return None
    maps = []
    for x, p in zip(rest, polys[:-1]):
        if p.free_symbols - {x, last} or p.degree(x) != 1:
            return None
        c = p.coeff_monomial(x)
        if not c.is_number or c == 0:
            return None
        maps.append(sympy.expand(x - p.as_expr() / c))
    return maps, sympy.Poly(polys[-1].as_expr(), last)


def _positive_at(expr, values, exact: bool) -> bool:
    v = sympy.sympify(expr).xreplace(values)
    if exact:
        return _positive(v)
    return float(sympy.N(v, 30)) > 1e-15


def _nonzero_at(expr, values) -> bool:
    v = sympy.sympify(expr).xreplace(values)
    if v.is_number and v.is_zero is not None:
        return not v.is_zero
    return abs(complex(sympy.N(v, 50))) > 1e-40


def solve_system(numerators, unknowns, denominators, cells, seed):
    """A polynomial face solved exactly: ``(points, continua)``.

    ``numerators`` are expressions in ``unknowns``; ``cells`` the support's shares in them.  A
    lexicographic Groebner basis decides whether the face has no solution, finitely many, or
    continua; in *shape position* (``x_i = g_i(x_n)``, ``h(x_n) = 0``: the generic case) the real
    roots of ``h``'s irreducible factors are found as in :func:`univariate_roots`, else sympy's
    ``solve`` takes over.  Points are ``(values or None, floats)`` (exact values when every one is a
    surd); continua ``(equations, dimension, example values of the unknowns)``.
    """
    unknowns = list(unknowns)
    G = sympy.groebner(list(numerators), *unknowns, order="lex")
    if list(G.exprs) == [1]:
        return [], []
    points, continua = [], []
    shape = _shape_position(G, unknowns) if G.is_zero_dimensional else None
    if shape is not None:
        maps, h = shape
        for f, _ in h.factor_list()[1]:
            if f.degree() < 1:
                continue
            for exact, approx in _real_roots(f):
                r = exact if exact is not None else approx
                vals = [sympy.radsimp(sympy.expand(g.xreplace({unknowns[-1]: r}))) for g in maps] + [r]
                here = dict(zip(unknowns, vals))
                if not all(_positive_at(c, here, exact is not None) for c in cells):
                    continue
                if not all(_nonzero_at(d, here) for d in denominators):
                    continue
                floats = tuple(float(sympy.re(sympy.N(v, 30))) for v in vals)
                ok = exact is not None and all(_surd(v) for v in vals)
                points.append((tuple(vals) if ok else None, floats))
        return points, continua
    solutions = sympy.solve(list(numerators), unknowns, dict=True)
    rng = np.random.default_rng(seed)
    for sol in solutions:
        free = [u for u in unknowns if u not in sol]
        vals = [sympy.sympify(u).xreplace(sol) for u in unknowns]
        if free:
            example = _continuum_example(vals, free, cells, unknowns, rng)
            if example is not None:
                continua.append((tuple(sympy.factor(k - v) for k, v in sol.items()), len(free), example))
            continue
        here = dict(zip(unknowns, vals))
        if not all(_positive(sympy.sympify(c).xreplace(here)) for c in cells):
            continue
        if not all(_nonzero_at(d, here) for d in denominators):
            continue
        floats = tuple(float(sympy.re(sympy.N(v, 30))) for v in vals)
        exact = tuple(vals) if all(_surd(v) for v in vals) else None
        points.append((exact, floats))
    return points, continua


def _continuum_example(vals, free, cells, unknowns, rng, samples: int = 400):
    f = sympy.lambdify(free, vals, "numpy")
    picks = rng.uniform(0, 1, size=(samples, len(free)))
    with np.errstate(all="ignore"):
        v = np.array([np.broadcast_to(np.asarray(x, dtype=complex), (samples,)) for x in f(*picks.T)])
    g = sympy.lambdify(unknowns, list(cells), "numpy")
    with np.errstate(all="ignore"):
        c = np.array([np.broadcast_to(np.asarray(x, dtype=complex), (samples,)) for x in g(*v)])
    ok = np.all(np.abs(v.imag) < 1e-12, axis=0) & np.all((np.abs(c.imag) < 1e-12) & (c.real > 1e-9), axis=0)
    if not ok.any():
        return None
    return tuple(float(x) for x in v[:, int(np.argmax(ok))].real)


def exact_eigenvalues(flat_u, du, flat_sigma, shape, state):
    """Exact eigenvalues of the tangent Jacobian at an exact state (flat sympy numbers); None unless all are surds."""
    subs = dict(zip(flat_sigma, state))
    d = len(flat_sigma)
    u = np.array([sympy.sympify(e).xreplace(subs) for e in flat_u], dtype=object)
    dd = np.array([sympy.sympify(e).xreplace(subs) for row in du for e in row], dtype=object).reshape(d, d)
    J = jacobian_from(np.array(state, dtype=object), u, dd, shape)
    M = sympy.Matrix(J).applyfunc(lambda e: sympy.radsimp(sympy.expand(e)))
    ev = M.eigenvals(multiple=True)
    if len(ev) != M.shape[0]:
        return None
    ev = tuple(sympy.radsimp(sympy.expand(e)) for e in ev)
    # only surds come back: the caller decides signs and prints them, and must not meet cubic formulas
    return ev if all(_surd(e) for e in ev) else None


# -- the numeric search ---------------------------------------------------------------------------------------


class _Newton:
    """``F`` and its Jacobian for many (face, point) pairs at once, from the field's numeric ``u`` and ``du``.

    Besides ``F`` and ``J`` (divided by the payoff scale) it returns two *local* magnitudes, so that the
    decisions below hold for payoffs whose size varies by many orders over the state space (``exp(100 y)``):
    ``floor``, the rounding error of ``F`` (``ROUNDING`` times the largest ``|u|`` there), and ``gref``, the
    largest derivative along the face of a payoff in use (``J`` is a difference of such derivatives).
    """

    def __init__(self, field: GeneralField, faces: list[Face]):
        self.field = field
        self.base = np.stack([f.base for f in faces])
        self.P = np.stack([f.P for f in faces])
        self.E = np.stack([f.E for f in faces])
        self.used = np.zeros(self.base.shape, dtype=bool)
        for k, f in enumerate(faces):
            self.used[k, f.cells] = True

    def sig(self, which, v):
        return self.base[which] + np.einsum("ndm,nm->nd", self.P[which], v)

    def __call__(self, which, v):
        sig = self.sig(which, v)
        u, du = self.field.numeric(sig)
        scale = self.field.scale
        used = self.used[which]
        # entries of strategies off the face meet zeros of E and P only; zero them so that 0 * inf is not nan
        u = np.where(used, u, 0.0)
        du = np.where(used[:, :, None] & used[:, None, :], du, 0.0)
        F = np.einsum("nmd,nd->nm", self.E[which], u) / scale
        DP = np.einsum("nde,nek->ndk", du, self.P[which]) / scale  # d u_a / d v
        J = np.einsum("nmd,ndk->nmk", self.E[which], DP)
        floor = ROUNDING * np.max(np.where(used, np.abs(u), 0.0), axis=1) / scale
        gref = np.maximum(
            np.max(np.abs(J), axis=(1, 2), initial=0.0),
            np.max(np.where(used[:, :, None], np.abs(DP), 0.0), axis=(1, 2), initial=0.0),
        )
        return F, J, floor, gref


def _step(J, F):
    try:
        d = np.linalg.solve(J, F[..., None])[..., 0]
    except np.linalg.LinAlgError:
        d = np.einsum("nij,nj->ni", np.linalg.pinv(J), F)
    return np.where(np.isfinite(d), d, 0.0)


def _seeds(field: GeneralField, faces: list[Face], starts: int, rng):
    """Starting points: ``starts`` random points of each face, and for one unknown every bracketed sign change."""
    which, v = [], []
    for k, face in enumerate(faces):
        parts = []
        for sup in face.support:
            if len(sup) > 1:
                parts.append(rng.dirichlet(np.ones(len(sup)), size=starts)[:, :-1])
        which.append(np.full(starts, k))
        v.append(np.concatenate(parts, axis=1))
    which, v = np.concatenate(which), np.concatenate(v)
    if faces[0].m != 1:
        return which, v
    newton = _Newton(field, faces)
    t = (np.arange(GRID) + 0.5) / GRID
    nf = len(faces)
    W = np.repeat(np.arange(nf), GRID)
    T = np.tile(t, nf)[:, None]
    with np.errstate(all="ignore"):
        F = newton(W, T)[0][:, 0].reshape(nf, GRID)
    lo_f, lo_t, hi_t = [], [], []
    for k in range(nf):
        f = F[k]
        ok = np.isfinite(f[:-1]) & np.isfinite(f[1:])
        change = np.nonzero(ok & (np.sign(f[:-1]) * np.sign(f[1:]) <= 0))[0]
        lo_f += [k] * len(change)
        lo_t += list(t[change])
        hi_t += list(t[change + 1])
        a = np.abs(np.where(np.isfinite(f), f, np.inf))
        minima = np.nonzero((a[1:-1] <= a[:-2]) & (a[1:-1] <= a[2:]))[0] + 1
        which = np.r_[which, np.full(len(minima), k)]
        v = np.r_[v, t[minima][:, None]]
    if lo_f:
        W = np.array(lo_f)
        a, b = np.array(lo_t), np.array(hi_t)
        with np.errstate(all="ignore"):
            fa = newton(W, a[:, None])[0][:, 0]
            for _ in range(BISECTIONS):
                mid = (a + b) / 2
                fm = newton(W, mid[:, None])[0][:, 0]
                left = np.sign(fm) * np.sign(fa) <= 0
                b, a = np.where(left, mid, b), np.where(left, a, mid)
                fa = np.where(left, fa, fm)
        which = np.r_[which, W]
        v = np.r_[v, ((a + b) / 2)[:, None]]
    return which, v


def solve_numeric(field: GeneralField, faces: list[Face], starts: int, rng):
    """Verified rest points, non-isolated sets and uncertain candidates of faces with the same number of unknowns.

    All decisions are local (see :class:`_Newton`): a search stops at ``|F| <= 8 floor`` or a Newton step below
    ``STEP_TOL``; a candidate has ``|F| <= CANDIDATE_RESIDUAL gref + 8 floor``; after polishing it is converged
    when ``|F| <= POLISH_RESIDUAL gref`` or ``8 floor``, and not isolated when ``sigma_min(J) <= SINGULAR gref``.
    """
    newton = _Newton(field, faces)
    which, v = _seeds(field, faces, starts, rng)
    v = v.astype(float)
    active = np.ones(len(v), dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(ITERATIONS):
            idx = np.nonzero(active)[0]
            if idx.size == 0:
                break
            F, J, floor, _ = newton(which[idx], v[idx])
            res = np.max(np.abs(F), axis=1)
            step = _step(J, F)
            done = (
                ~np.isfinite(res)
                | (res <= 8 * floor)
                | (np.max(np.abs(step), axis=1) <= STEP_TOL)
                | (np.max(np.abs(v[idx] - 0.5), axis=1) > WANDER)
            )
            active[idx[done]] = False
            go = ~done
            if not go.any():
                break
            v[idx[go]] -= np.clip(step[go], -MAX_STEP, MAX_STEP)
        F, _, floor, gref = newton(which, v)
        res = np.max(np.abs(F), axis=1)
        sig = newton.sig(which, v)
    low = np.min(np.where(newton.used[which], sig, np.inf), axis=1)
    cand = np.all(np.isfinite(v), axis=1) & np.isfinite(res) & (res <= CANDIDATE_RESIDUAL * gref + 8 * floor)
    cand &= low >= -OUTSIDE
    idx = np.nonzero(cand)[0]
    points, continua, uncertain = [], [], []
    if idx.size == 0:
        return points, continua, uncertain
    w, W = v[idx], which[idx]
    with np.errstate(all="ignore"):
        for _ in range(POLISH_STEPS):
            F, J, _, _ = newton(W, w)
            w = w - _step(J, F)
        F, J, floor, gref = newton(W, w)
        sv = np.linalg.svd(J, compute_uv=False) if w.shape[1] else np.ones((len(w), 1))
        sig = newton.sig(W, w)
    res = np.max(np.abs(F), axis=1)
    smin = sv[:, -1]
    err = (res + floor) / np.maximum(smin, 1e-300)
    low = np.min(np.where(newton.used[W], sig, np.inf), axis=1)
    converged = np.isfinite(res) & (res <= np.maximum(POLISH_RESIDUAL * gref, 8 * floor))
    singular = smin <= SINGULAR * gref
    kept: dict[int, list] = {}
    not_isolated = set()
    for j in range(len(w)):
        face = int(W[j])
        if converged[j] and singular[j]:
            if low[j] > OUTSIDE and face not in not_isolated:
                not_isolated.add(face)
                continua.append(RawContinuum(faces[face].support, (), (), None, _rows(field.shape, sig[j])))
            continue
        if converged[j]:
            if low[j] <= CLEAR * err[j] + SHARE_FLOOR:
                continue  # on the boundary of the face: a rest point of a smaller face
            x = sig[j]
            same = [y for y in kept.get(face, []) if np.max(np.abs(y[0] - x)) <= max(DEDUPE, CLEAR * (y[1] + err[j]))]
            if not same:
                kept.setdefault(face, []).append((x, float(err[j])))
            continue
        if low[j] > OUTSIDE:
            uncertain.append((faces[face].support, _rows(field.shape, sig[j]), float(res[j])))
    for face, found in kept.items():
        for x, _ in found:
            points.append(RawPoint(faces[face].support, [np.array(r) for r in _rows(field.shape, x)]))
    return points, continua, _dedupe_uncertain(uncertain)


def _rows(shape, sig) -> tuple[tuple[float, ...], ...]:
    off = np.concatenate([[0], np.cumsum(shape)]).astype(int)
    return tuple(tuple(float(x) for x in sig[off[p] : off[p + 1]]) for p in range(len(shape)))


# -- the driver -------------------------------------------------------------------------------------------------


def _fraction(v) -> Fraction:
    return Fraction(int(v.p), int(v.q))


def _exact_point(field: GeneralField, face: Face, values) -> RawPoint:
    """A RawPoint from exact values of the face's unknowns (sympy numbers): Fractions where rational."""
    D = len(field.flat_sigma)
    flat = [
        sympy.Integer(int(face.base[a])) + sympy.Add(*[int(face.P[a, j]) * values[j] for j in range(face.m)])
        for a in range(D)
    ]
    flat = [sympy.nsimplify(x) if x.has(sympy.Float) else x for x in flat]
    flat = [_fraction(x) if x.is_Rational else x for x in flat]
    off = np.concatenate([[0], np.cumsum(field.shape)]).astype(int)
    exact_rows = [np.array(flat[off[p] : off[p + 1]], dtype=object) for p in range(len(field.shape))]
    rows = [
        np.array([float(sympy.N(x, 30)) if not isinstance(x, Fraction) else float(x) for x in r]) for r in exact_rows
    ]
    return RawPoint(face.support, rows, exact_rows)


def _float_point(field: GeneralField, face: Face, values) -> RawPoint:
    sig = face.base + face.P @ np.asarray(values, dtype=float)
    return RawPoint(face.support, [np.array(r) for r in _rows(field.shape, sig)])


class _Search:
    """The state of one call: the field, options, budget and what was found."""

    def __init__(self, game, field, exact, time_budget, max_exact_unknowns, use_sympy, starts, rng):
        self.game, self.field = game, field
        self.exact = exact is not False and field.exact
        self.use_sympy = use_sympy and self.exact
        self.deadline = time.monotonic() + time_budget
        self.max_exact_unknowns = max_exact_unknowns
        self.starts, self.rng = starts, rng
        self.points: list[RawPoint] = []
        self.continua: list[RawContinuum] = []
        self.numeric: dict[int, list[Face]] = {}
        self.spent = self.failed = self.high_degree = 0

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def to_numeric(self, face: Face):
        self.numeric.setdefault(face.m, []).append(face)

    def face(self, face: Face):
        if face.m == 0:
            ones = [
                np.array([Fraction(int(i == s[0])) for i in range(n)], dtype=object)
                for n, s in zip(self.field.shape, face.support)
            ]
            rows = [np.array([float(x) for x in r]) for r in ones]
            self.points.append(RawPoint(face.support, rows, ones if self.exact else None))
            return
        written = _face_equations(self.field, face)
        if written is None:
            return self.to_numeric(face)
        unknowns, shares, equations = written
        poly = as_polynomial(equations, unknowns)
        if poly is None:
            return self.to_numeric(face)
        if poly.zero:
            sig = face.base + face.P @ np.array(
                [1.0 / len(s) for s in face.support if len(s) > 1 for _ in s[:-1]], dtype=float
            )
            self.continua.append(RawContinuum(face.support, tuple(unknowns), (), face.m, _rows(self.field.shape, sig)))
            return
        if poly.degree <= 1:
            return self.linear(face, unknowns, poly)
        if not (self.exact and poly.rational):
            return self.to_numeric(face)
        if face.m == 1:
            return self.univariate(face, poly)
        if self.use_sympy and face.m <= self.max_exact_unknowns:
            return self.system(face, unknowns, shares, poly)
        return self.to_numeric(face)

    def symmetric(self, rational, unit, progress=None):
        """Every face of a symmetric game with a fixed matrix: ``A_SS x = lambda 1, 1'x = 1``, screened in batches.

        The rows ``A[i, S] - A[l, S]`` (``i`` in ``S`` but the last ``l``) and ``1`` make a square system ``M x = e``
        for each support; :func:`.faces._screen` drops the supports whose system clearly has no solution in the
        simplex (on the matrix divided by the payoff scale), the rest are solved exactly (or in floating point).
        """
        n = unit.shape[0]
        exact = rational is not None and self.exact
        for a in range(2, n + 1):
            S = np.array(list(itertools.combinations(range(n), a)))
            X = unit[S[:, :, None], S[:, None, :]]  # (C, a, a): A[S, S]
            M = np.concatenate([X[:, :-1, :] - X[:, -1:, :], np.ones((len(S), 1, a))], axis=1)
            for c in np.nonzero(_screen(M))[0]:
                self._symmetric_face(tuple(int(i) for i in S[c]), rational if exact else None, unit)
            if progress is not None:
                progress.update(len(S))

    def _symmetric_face(self, sup, rational, unit):
        support = (sup,)
        if rational is not None:
            D = [[rational[i, j] - rational[sup[-1], j] for j in sup] for i in sup[:-1]]
            one = Fraction(1)
            sol = affine_exact(D + [[one] * len(sup)], [Fraction(0)] * (len(sup) - 1) + [one])
        else:
            D = [[unit[i, j] - unit[sup[-1], j] for j in sup] for i in sup[:-1]]
            sol = affine_float(np.array(D + [[1.0] * len(sup)]), np.r_[np.zeros(len(sup) - 1), 1.0])
        if sol is None:
            return
        x0, basis = sol
        inside = _interior_point(x0, basis, rational is not None)
        if inside is None:
            return
        n = unit.shape[0]
        if rational is not None:
            row = np.array([Fraction(0)] * n, dtype=object)
        else:
            row = np.zeros(n)
        row[list(sup)] = inside if basis else x0
        floats = [np.array([float(v) for v in row])]
        if not basis:
            self.points.append(RawPoint(support, floats, [row] if rational is not None else None))
            return
        syms = share_symbols(support)[0]
        self.continua.append(
            RawContinuum(
                support, tuple(syms), tuple(_equations(D, syms)), len(basis), _rows(self.field.shape, floats[0])
            )
        )

    def linear(self, face: Face, unknowns, poly: Polynomial):
        exact = poly.rational and self.exact
        if exact:
            coeff = [[_fraction(sympy.Rational(p.coeff_monomial(u))) for u in unknowns] for p in poly.numerators]
            rhs = [-_fraction(sympy.Rational(p.coeff_monomial(1))) for p in poly.numerators]
            sol = affine_exact(coeff, rhs)
        else:
            # affine_float's tolerances are absolute, for entries of at most about 1: each row is divided by its
            # largest entry when the coefficients are exact (no rounding noise to blow up), else by the payoff scale
            rows = []
            for p in poly.numerators:
                row = [p.coeff_monomial(u) for u in unknowns] + [-p.coeff_monomial(1)]
                if poly.rational:
                    top = max(abs(sympy.Rational(c)) for c in row) or 1
                    rows.append([float(sympy.Rational(c) / top) for c in row])
                else:
                    rows.append([float(c) / self.field.scale for c in row])
            coeff, rhs = np.array(rows)[:, :-1], np.array(rows)[:, -1]
            sol = affine_float(coeff, rhs)
        if sol is None:
            return
        x0, basis = sol
        # the support's shares: sigma[cells] = base + P v, affine in v
        T = face.P[face.cells]
        t0 = face.base[face.cells]
        if exact:
            T = [[Fraction(int(x)) for x in row] for row in T]
            full0 = [
                Fraction(int(t0[r])) + sum((T[r][j] * x0[j] for j in range(face.m)), Fraction(0)) for r in range(len(T))
            ]
            fbasis = [[sum((T[r][j] * b[j] for j in range(face.m)), Fraction(0)) for r in range(len(T))] for b in basis]
        else:
            full0 = list(t0 + T @ np.asarray(x0, dtype=float))
            fbasis = [list(T @ np.asarray(b, dtype=float)) for b in basis]
        inside = _interior_point(full0, fbasis, exact)
        if inside is None:
            return
        if not basis:
            values = dict(zip(unknowns, (sympy.Rational(x.numerator, x.denominator) if exact else x for x in x0)))
            if any(_nonzero_at(d, values) is False for d in poly.denominators if d != 1):
                return  # a payoff is undefined there
            if exact:
                self.points.append(
                    _exact_point(self.field, face, [sympy.Rational(x.numerator, x.denominator) for x in x0])
                )
            else:
                self.points.append(_float_point(self.field, face, x0))
            return
        sig = np.zeros(len(self.field.flat_sigma))
        sig[face.cells] = [float(x) for x in inside]
        eqs = []
        for p in poly.numerators:
            e = p.as_expr()
            if e != 0 and e not in eqs and -e not in eqs:
                eqs.append(e)
        self.continua.append(
            RawContinuum(face.support, tuple(unknowns), tuple(eqs), len(basis), _rows(self.field.shape, sig))
        )

    def univariate(self, face: Face, poly: Polynomial):
        (num,), (den,) = poly.numerators, poly.denominators
        bits = max((max(abs(c.p).bit_length(), c.q.bit_length()) for c in map(sympy.Rational, num.coeffs())), default=0)
        if num.degree() <= INLINE_DEGREE and bits <= INLINE_BITS:
            roots = univariate_roots(num, den)
        else:
            roots = self.call(univariate_roots, (num, den))
            if roots is None:
                return self.to_numeric(face)
        for exact, value in roots:
            if exact is not None:
                self.points.append(_exact_point(self.field, face, [exact]))
            else:
                self.high_degree += 1
                self.points.append(_float_point(self.field, face, [value]))

    def system(self, face: Face, unknowns, shares, poly: Polynomial):
        cells = [shares[a] for a in face.cells]
        nums = [p.as_expr() for p in poly.numerators]
        found = self.call(solve_system, (nums, unknowns, poly.denominators, cells, int(self.rng.integers(2**31))))
        if found is None:
            return self.to_numeric(face)
        points, continua = found
        for exact, floats in points:
            if exact is not None:
                self.points.append(_exact_point(self.field, face, list(exact)))
            else:
                self.high_degree += 1
                self.points.append(_float_point(self.field, face, floats))
        for eqs, dim, example in continua:
            sig = face.base + face.P @ np.asarray(example, dtype=float)
            self.continua.append(
                RawContinuum(face.support, tuple(unknowns), tuple(eqs), dim, _rows(self.field.shape, sig))
            )

    def call(self, func, args):
        """``func(*args)`` in the worker within the budget; None when the budget is spent or sympy failed."""
        if not self.use_sympy:
            return None
        if self.remaining() <= 0:
            self.spent += 1
            return None
        try:
            return worker.call(func, args, self.remaining())
        except BudgetSpent:
            self.spent += 1
        except RuntimeError:
            self.failed += 1
        return None

    def eigenvalues(self, r: RawPoint):
        """Exact eigenvalues of an exact irrational point, from the worker if cheap; else None."""
        d = sum(n - 1 for n in self.field.shape)
        if r.exact_rows is None or d > MAX_EXACT_EIGEN_UNKNOWNS or not self.exact:
            return None
        if all(isinstance(v, Fraction) for row in r.exact_rows for v in row):
            return None  # _linearise does these itself
        remaining = min(self.remaining(), EIGEN_BUDGET)
        if remaining <= 0:
            return None
        state = [
            sympy.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else v
            for row in r.exact_rows
            for v in row
        ]
        f = self.field
        try:
            return worker.call(exact_eigenvalues, (f.flat_u, f.du, f.flat_sigma, f.shape, state), remaining)
        except (BudgetSpent, RuntimeError):
            return None


def _pure(support) -> bool:
    return all(len(s) == 1 for s in support)


def _fixed_matrix(game: Game, field: GeneralField):
    """``(A as Fractions or None, A / scale)`` of a symmetric game whose payoffs use no share; else None."""
    state = set(game.share_symbols.values())
    if any(e.free_symbols & state for e in game.payoffs[0]):
        return None
    unit = game.numeric_payoffs()[0] / field.scale
    rational = game.exact_payoffs_rational() if field.exact else None
    if rational is not None:
        rational = np.vectorize(_fraction, otypes=[object])(rational[0])
    return rational, unit


def _face_key(support):
    return tuple((len(s), s) for s in support)


def _drop_shadows(field: GeneralField, points: list[RawPoint]) -> list[RawPoint]:
    """Points of a face with a share at most ``SHADOW_SHARE`` that are, within ``SHADOW_DISTANCE``, a point found on the
    smaller face without those strategies, where those strategies are tied with the ones in use (payoffs within
    ``SHADOW_TIE`` of each other, relative to their size there): listed once, on the smaller face.

    Payoffs written as decimals (``0.1*A``) are rounded binary fractions, so a degenerate rest point (a strategy tied
    there, a zero eigenvalue) may split into an exact one and a copy ``1e-17`` into a larger face; the copy is
    the same point within the payoffs' own rounding, and gone when the payoffs are scaled.  A point that close to a
    vertex where the payoffs are not tied (the stag hunt's unstable point near 0 for F = 1e60) is a point of its own.
    """
    out = []
    off = np.concatenate([[0], np.cumsum(field.shape)]).astype(int)
    for r in points:
        tiny = [[i for i in sup if r.rows[p][i] <= SHADOW_SHARE] for p, sup in enumerate(r.support)]
        if any(tiny):
            reduced = tuple(tuple(i for i in sup if i not in t) for sup, t in zip(r.support, tiny))
            flat = np.concatenate(r.rows)
            for q in points:
                if not (
                    all(reduced)
                    and q.support == reduced
                    and np.max(np.abs(np.concatenate(q.rows) - flat)) <= SHADOW_DISTANCE
                ):
                    continue
                with np.errstate(all="ignore"):
                    u = field.payoffs(np.concatenate(q.rows)[None, :])[0]
                tied = True
                for p in range(len(tiny)):
                    block = u[off[p] : off[p + 1]][list(r.support[p])]
                    size = float(np.max(np.abs(block))) if block.size else 0.0
                    tied &= bool(np.all(np.isfinite(block)) and np.ptp(block) <= SHADOW_TIE * size)
                if tied:
                    break
            else:
                out.append(r)
            continue
        out.append(r)
    return out


def _describe(game: Game, r: RawPoint) -> str:
    """A raw point as the table prints it: its profile when pure, else the shares (first shares when all are 2)."""
    if _pure(r.support):
        return "(" + ", ".join(game.profile_names(tuple(s[0] for s in r.support))) + ")"
    if all(len(row) == 2 for row in r.rows):
        return "(" + ", ".join(f"{row[0]:.6g}" for row in r.rows) + ")"
    return "; ".join("(" + ", ".join(f"{x:.6g}" for x in row) + ")" for row in r.rows)


def _names(game: Game, support):
    return tuple(tuple(pop.strategies[i] for i in sup) for pop, sup in zip(game.populations, support))


def equilibria(
    game: Game,
    *,
    zero_tol: float,
    exact: bool | str,
    time_budget: float,
    max_exact_unknowns: int,
    max_exact_faces: int,
    starts: int,
    rng: np.random.Generator,
    progress: bool | None,
) -> Equilibria:
    """Every rest point of a game that is not multilinear (arguments checked by :func:`.search.equilibria`)."""
    field = general_field(game)
    notes = []
    if exact is not False and not field.exact:
        notes.append("the payoffs could not be evaluated exactly: every face was solved in floating point")
    faces = face_count(game.shape)
    use_sympy = exact is True or (exact == "auto" and faces <= max_exact_faces)
    search = _Search(game, field, exact, time_budget, max_exact_unknowns, use_sympy, starts, rng)
    show = progress if progress is not None else faces >= PROGRESS_FACES
    bar = None
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(total=faces, desc="faces", unit="face", file=sys.stderr, leave=False)
    try:
        matrix = _fixed_matrix(game, field) if game.kind == "symmetric" else None
        for support in supports(game.shape):
            if matrix is not None and len(support[0]) > 1:
                continue  # below, in batches
            search.face(make_face(game.shape, support))
            if bar is not None:
                bar.update(1)
        if matrix is not None:
            search.symmetric(*matrix, progress=bar)
        uncertain, numeric_faces = [], 0
        todo = sum(map(len, search.numeric.values()))
        if todo and (progress is True or (progress is None and todo >= PROGRESS_NUMERIC)):
            from tqdm.auto import tqdm

            if bar is not None:
                bar.close()
            bar = tqdm(total=todo, desc="numeric faces", unit="face", file=sys.stderr, leave=False)
        for group in search.numeric.values():
            for a in range(0, len(group), NUMERIC_BATCH):
                batch = group[a : a + NUMERIC_BATCH]
                pts, conts, unc = solve_numeric(field, batch, starts, rng)
                search.points += pts
                search.continua += conts
                uncertain += unc
                numeric_faces += len(batch)
                if bar is not None:
                    bar.update(len(batch))
    finally:
        if bar is not None:
            bar.close()
    if search.spent:
        notes.append(
            f"sympy's time budget ({time_budget:g} s) ran out: {search.spent} faces were searched numerically"
            " (raise time_budget, or pass exact=False / --numeric to skip sympy)"
        )
    if search.failed:
        notes.append(f"sympy could not solve {search.failed} faces: they were searched numerically")
    if search.high_degree:
        notes.append(
            f"{search.high_degree} rest points are roots of polynomials of degree above 2: found exactly "
            "(isolated), given numerically"
        )
    points = sorted(
        _drop_shadows(field, search.points), key=lambda r: (_face_key(r.support), tuple(np.concatenate(r.rows)))
    )
    results = []
    dropped = []
    for r in points:
        kinks, rest = _switch_check(field, r.rows, r.support, r.exact_rows)
        if not rest:
            dropped.append(_describe(game, r))
            continue
        if kinks:
            results.append(_not_linearised(game, r.rows, r.support, r.exact_rows, _kink_text(field, kinks)))
            continue
        J = field.unit_jacobian(r.rows)
        if not np.all(np.isfinite(J)):
            results.append(_not_linearised(game, r.rows, r.support, r.exact_rows, INFINITE_DERIVATIVE))
            continue
        eig = (
            field.pure_eigenvalues(r.support)
            if r.exact_rows is not None and _pure(r.support)
            else search.eigenvalues(r)
        )
        results.append(
            _linearise(
                game,
                field,
                r.rows,
                zero_tol=zero_tol,
                support=r.support,
                exact_rows=r.exact_rows,
                exact_eigenvalues=eig,
                jacobian=J,
            )
        )
    if dropped:
        notes.append(
            f"{len(dropped)} limit point(s) of the field at a jump of a step() were not rest points of the field as "
            f"written (step(0) = 1) and are not listed: {', '.join(dropped)}"
        )
    if any(e.stability is Stability.NOT_LINEARISED for e in results):
        notes.append(
            "rest points marked 'not linearised': the payoffs are not differentiable there (a step/abs/min/max of "
            "the shares switches, or a derivative is infinite), so linearisation cannot decide their stability"
        )
    continua = sorted(search.continua, key=lambda c: _face_key(c.support))
    return Equilibria(
        points=tuple(results),
        continua=tuple(
            Continuum(_names(game, c.support), c.symbols, c.equations, c.dimension, c.example) for c in continua
        ),
        complete=numeric_faces == 0,
        numeric_faces=numeric_faces,
        uncertain=tuple(Uncertain(_names(game, s), rows, res) for s, rows, res in uncertain),
        notes=tuple(notes),
        game=game,
    )
