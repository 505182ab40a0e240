r"""The faces of the state space, and the exact solution of the linear ones.

A face is a choice of supports ``S = (S_0, ..., S_{k-1})``; population ``p``
*mixes* on it when ``|S_p| > 1``.  A state in the relative interior of the face
is a rest point iff every mixing population is indifferent on its support::

    u_p(i) = u_p(l_p)   for i in S_p,  l_p = last of S_p.

``u_p`` does not depend on ``sigma_p``, so:

* **no population mixes**: the pure profile is a rest point;
* **one population ``p`` mixes**: the equations are constants
  ``A_p[i, s_{-p}] - A_p[l_p, s_{-p}]``; if all vanish, the whole face is a
  continuum of rest points (dimension ``|S_p| - 1``), else it holds none;
* **two populations ``p, q`` mix**: ``p``'s equations are linear in ``sigma_q``
  alone and ``q``'s in ``sigma_p`` alone, so the face splits into two affine
  problems ``D_p sigma_q = 0, 1' sigma_q = 1`` with
  ``D_p[i, m] = A_p[i, m] - A_p[l_p, m]`` (others at their pure strategies), and
  the same with ``p, q`` exchanged.  Each solution set is a point or an affine
  set; the face holds a rest point iff both meet the open simplices, a
  continuum when one of them has positive dimension there.

These are solved exactly over :class:`fractions.Fraction` (Gauss--Jordan) when
the payoffs are small rationals, in floating point otherwise.  A face with two
mixing populations of ``a`` and ``b`` strategies costs an ``a x b`` and a
``b x a`` system; there are ``(2^n - 1)^2`` faces on ``2 x n`` strategies, so
they are first *screened* in batches by a singular value decomposition: a face
is dropped only when one of its systems is clearly inconsistent (least-squares
residual above ``SCREEN_RESIDUAL``) or has a unique solution with a clearly
negative share; every other face is confirmed exactly.  The screen's margins are
far above floating-point error on the scaled tensors (entries at most 1), so it
never drops a face with a rest point.

A face of any kind is skipped at once when one of its equations has a strict sign
at every vertex of the face (:func:`may_hold_rest_point`): ``u_p(i) - u_p(l_p)``
is a convex combination of those vertex values.

Whether an affine set ``x0 + N c`` meets the open simplex is a linear program
(maximise ``t`` subject to ``x0 + N c >= t``); its optimum, rounded to
rationals, is checked exactly and is the continuum's example point.  Faces where
three or more populations mix are polynomial: see :mod:`.exact` and
:mod:`.numeric`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

from ..dynamics import Coordinate, PayoffValues

RANK_TOL = 1e-9  # singular values below this times the largest count as zero in the screen
SCREEN_RESIDUAL = 1e-8  # least-squares residual above which a system is clearly inconsistent
SCREEN_NEGATIVE = 1e-8  # a unique solution's share below minus this is clearly negative
SHARE_MARGIN = 1e-9  # floating point only: a share must exceed this to count as positive
LP_MARGIN = 1e-9  # an affine set meets the open simplex when the LP's optimum exceeds this
SIGN_MARGIN = 1e-12  # vertex values of a payoff difference beyond this (scaled) have a certain sign


def supports(shape):
    """Every face: one non-empty support per population, in a fixed order."""
    per_pop = [[tuple(c) for r in range(1, n + 1) for c in itertools.combinations(range(n), r)] for n in shape]
    return itertools.product(*per_pop)


def face_count(shape) -> int:
    return int(np.prod([2**n - 1 for n in shape], dtype=object))


def mixing(support) -> tuple[int, ...]:
    return tuple(p for p, s in enumerate(support) if len(s) > 1)


def may_hold_rest_point(unit, support) -> bool:
    """False when some equation of the face has one strict sign on the whole closed face.

    ``u_p(i) - u_p(l_p)`` is an expectation over the others' strategies, so on the face it is a
    convex combination of its values at the face's vertices (the entries of
    ``A_p[i, S_{-p}] - A_p[l_p, S_{-p}]``): if those are all positive, or all negative, the
    equation has no solution there, and the face no rest point.
    """
    for p in mixing(support):
        sub = np.moveaxis(unit[p][np.ix_(*support)], p, 0)
        D = (sub[:-1] - sub[-1:]).reshape(len(support[p]) - 1, -1)
        if np.any((D.min(axis=1) > SIGN_MARGIN) | (D.max(axis=1) < -SIGN_MARGIN)):
            return False
    return True


@dataclass
class RawPoint:
    """A rest point found on a face, before linearisation."""

    support: tuple[tuple[int, ...], ...]
    rows: list[np.ndarray]  # floats
    exact_rows: list | None = None  # Fractions or sympy numbers
    exact_eigenvalues: tuple | None = None


@dataclass
class RawContinuum:
    support: tuple[tuple[int, ...], ...]
    symbols: tuple
    equations: tuple
    dimension: int | None
    example: tuple[tuple[float, ...], ...]


def share_symbols(support) -> dict[int, list]:
    """The unknown shares of each mixing population (all but the last of its support)."""
    return {p: [Coordinate(f"s{p}_{i}", real=True) for i in sup[:-1]] for p, sup in enumerate(support) if len(sup) > 1}


# -- exact and floating-point affine solutions ------------------------------------------------------


def affine_exact(M, e):
    """All solutions of ``M x = e`` over Fractions as ``(x0, basis)``, or None when inconsistent."""
    n = len(M[0])
    rows = [list(r) + [b] for r, b in zip(M, e)]
    pivots, r = [], 0
    for c in range(n):
        piv = next((i for i in range(r, len(rows)) if rows[i][c] != 0), None)
        if piv is None:
            continue
        rows[r], rows[piv] = rows[piv], rows[r]
        inv = 1 / rows[r][c]
        rows[r] = [v * inv for v in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][c] != 0:
                f = rows[i][c]
                rows[i] = [a - f * b for a, b in zip(rows[i], rows[r])]
        pivots.append(c)
        r += 1
        if r == len(rows):
            break
    if any(rows[i][n] != 0 for i in range(r, len(rows))):
        return None
    x0 = [Fraction(0)] * n
    for i, c in enumerate(pivots):
        x0[c] = rows[i][n]
    basis = []
    for f in (c for c in range(n) if c not in pivots):
        v = [Fraction(0)] * n
        v[f] = Fraction(1)
        for i, c in enumerate(pivots):
            v[c] = -rows[i][f]
        basis.append(v)
    return x0, basis


def affine_float(M, e):
    """All solutions of ``M x = e`` in floating point (rank by ``RANK_TOL``), or None when inconsistent."""
    M = np.asarray(M, dtype=float)
    U, s, Vh = np.linalg.svd(M)
    rank = int(np.sum(s > RANK_TOL * (s[0] if s.size else 0.0)))
    x0 = Vh[:rank].T @ ((U[:, :rank].T @ e) / s[:rank])
    if np.linalg.norm(M @ x0 - e) > SCREEN_RESIDUAL:
        return None
    return x0, list(Vh[rank:])


def _interior_point(x0, basis, exact: bool):
    """A point of ``{x0 + N c}`` with every entry positive, or None."""
    if not basis:
        if exact:
            return list(x0) if min(x0) > 0 else None
        return list(x0) if min(x0) > SHARE_MARGIN else None
    from scipy.optimize import linprog

    X0 = np.array([float(v) for v in x0])
    N = np.array([[float(v) for v in b] for b in basis]).T  # (n, f)
    f = N.shape[1]
    res = linprog(
        np.r_[np.zeros(f), -1.0],
        A_ub=np.c_[-N, np.ones(len(X0))],
        b_ub=X0,
        bounds=[(None, None)] * f + [(None, 1.0)],
        method="highs",
    )
    if res.status != 0 or -res.fun <= LP_MARGIN:
        return None
    c = res.x[:f]
    if not exact:
        return list(X0 + N @ c)
    cf = [Fraction(float(v)).limit_denominator(10**12) for v in c]
    point = [a + sum((ci * b[j] for ci, b in zip(cf, basis)), Fraction(0)) for j, a in enumerate(x0)]
    return point if min(point) > 0 else None


# -- the screen ---------------------------------------------------------------------------------------


def _screen(M: np.ndarray) -> np.ndarray:
    """For a batch of systems ``M x = e_last`` (..., r, c): False where clearly without a solution in the simplex."""
    if M.shape[-2] == 0 or M.shape[-1] == 0:
        return np.ones(M.shape[:-2], dtype=bool)
    with np.errstate(all="ignore"):
        U, s, Vh = np.linalg.svd(M, full_matrices=False)
        keep = s > RANK_TOL * s[..., :1]
        y = np.where(keep, U[..., -1, :] / np.where(keep, s, 1.0), 0.0)
        x = np.einsum("...k,...kc->...c", y, Vh)
        resid = np.linalg.norm(np.einsum("...rc,...c->...r", M, x) - _unit(M.shape[-2]), axis=-1)
    full = keep.sum(axis=-1) == M.shape[-1]
    negative = full & (x.min(axis=-1) < -SCREEN_NEGATIVE)
    return (resid <= SCREEN_RESIDUAL) & ~negative


def _unit(r: int) -> np.ndarray:
    e = np.zeros(r)
    e[-1] = 1.0
    return e


def _system(X, rows_sub, cols_sub):
    """``[X[i, S_q] - X[l, S_q] for i in S_p minus l; 1...1]`` for one support pair."""
    D = [[X[i, m] - X[rows_sub[-1], m] for m in cols_sub] for i in rows_sub[:-1]]
    one = Fraction(1) if isinstance(X[0, 0], Fraction) else 1.0
    return D + [[one] * len(cols_sub)], [0 * one] * (len(rows_sub) - 1) + [one]


# -- solving the linear faces --------------------------------------------------------------------------


class LinearFaces:
    """Rest points and continua of every face on which at most two populations mix."""

    def __init__(self, pv: PayoffValues, progress=None):
        self.pv = pv
        self.shape = pv.shape
        self.exact = pv.rational is not None
        self.points: list[RawPoint] = []
        self.continua: list[RawContinuum] = []
        self.progress = progress

    def _tensor(self, p):
        return self.pv.rational[p] if self.exact else self.pv.unit[p]

    def solve(self):
        k = len(self.shape)
        for idx in itertools.product(*(range(n) for n in self.shape)):
            rows = [np.eye(n)[i] for n, i in zip(self.shape, idx)]
            exact_rows = (
                [np.array([Fraction(int(j == i)) for j in range(n)], dtype=object) for n, i in zip(self.shape, idx)]
                if self.exact
                else None
            )
            self.points.append(RawPoint(tuple((i,) for i in idx), rows, exact_rows))
        for p in range(k):
            self._one_mixing(p)
        for p, q in itertools.combinations(range(k), 2):
            self._two_mixing(p, q)
        return self

    def _one_mixing(self, p):
        """Faces where only ``p`` mixes: continua where ``p``'s payoffs on its support are all equal."""
        n = self.shape[p]
        A = self._tensor(p)
        others = [range(m) for q, m in enumerate(self.shape) if q != p]
        for rest in itertools.product(*others):
            idx = list(rest)
            idx.insert(p, slice(None))
            u = A[tuple(idx)]  # p's payoffs against the others' pure strategies
            groups: dict = {}
            for i in range(n):
                key = u[i]
                if not self.exact:  # equal within floating-point error of the scaled tensors
                    key = next((g for g in groups if abs(g - u[i]) <= SIGN_MARGIN), u[i])
                groups.setdefault(key, []).append(i)
            for members in groups.values():
                for r in range(2, len(members) + 1):
                    for sup in itertools.combinations(members, r):
                        support = [(j,) for j in rest]
                        support.insert(p, sup)
                        support = tuple(support)
                        example = [np.eye(m)[s[0]] if len(s) == 1 else None for m, s in zip(self.shape, support)]
                        row = np.zeros(n)
                        row[list(sup)] = 1.0 / len(sup)
                        example[p] = row
                        syms = share_symbols(support)[p]
                        self.continua.append(
                            RawContinuum(
                                support,
                                tuple(syms),
                                (),
                                len(sup) - 1,
                                tuple(tuple(float(v) for v in r_) for r_ in example),
                            )
                        )

    def _two_mixing(self, p, q):
        """Faces where exactly ``p < q`` mix: screened in batches by support sizes, then solved."""
        A, B = self._tensor(p), self._tensor(q)
        Au, Bu = self.pv.unit[p], self.pv.unit[q]
        others = [r for r in range(len(self.shape)) if r not in (p, q)]
        rests = list(itertools.product(*(range(self.shape[r]) for r in others)))

        def slice_of(T, rest):
            idx = [slice(None)] * len(self.shape)
            for r, j in zip(others, rest):
                idx[r] = j
            return T[tuple(idx)]  # (n_p, n_q): axes p, q in order

        Xu = np.stack([slice_of(Au, r) for r in rests])  # (R, n_p, n_q)
        Yu = np.stack([slice_of(Bu, r) for r in rests])
        subsets_p = {
            a: np.array(list(itertools.combinations(range(self.shape[p]), a))) for a in range(2, self.shape[p] + 1)
        }
        subsets_q = {
            b: np.array(list(itertools.combinations(range(self.shape[q]), b))) for b in range(2, self.shape[q] + 1)
        }
        for a, Sp in subsets_p.items():
            for b, Sq in subsets_q.items():
                # p's indifference, a system in sigma_q: rows S_p, columns S_q
                X = Xu[:, Sp[:, None, :, None], Sq[None, :, None, :]]  # (R, Ca, Cb, a, b)
                M1 = np.concatenate([X[..., :-1, :] - X[..., -1:, :], np.ones(X.shape[:-2] + (1, b))], axis=-2)
                Y = Yu[:, Sp[:, None, :, None], Sq[None, :, None, :]]  # q's payoffs, (R, Ca, Cb, a, b)
                Yt = np.swapaxes(Y, -1, -2)  # rows S_q, columns S_p
                M2 = np.concatenate([Yt[..., :-1, :] - Yt[..., -1:, :], np.ones(Yt.shape[:-2] + (1, a))], axis=-2)
                ok = _screen(M1)
                ok &= _screen(M2)
                for r, i, j in zip(*np.nonzero(ok)):
                    self._confirm(p, q, others, rests[r], slice_of(A, rests[r]), slice_of(B, rests[r]), Sp[i], Sq[j])
                if self.progress is not None:
                    self.progress.update(ok.size)

    def _confirm(self, p, q, others, rest, X, Y, sp, sq):
        sp, sq = [int(v) for v in sp], [int(v) for v in sq]
        M1, e1 = _system(X, sp, sq)
        M2, e2 = _system(Y.T, sq, sp)
        solve = affine_exact if self.exact else affine_float
        s1 = solve(M1, e1)
        if s1 is None:
            return
        s2 = solve(M2, e2)
        if s2 is None:
            return
        x_q = _interior_point(*s1, self.exact)
        if x_q is None:
            return
        x_p = _interior_point(*s2, self.exact)
        if x_p is None:
            return
        support = [None] * len(self.shape)
        for r, j in zip(others, rest):
            support[r] = (j,)
        support[p], support[q] = tuple(sp), tuple(sq)
        support = tuple(support)

        def full(n, sub, vals):
            row = np.array([Fraction(0) if self.exact else 0.0] * n, dtype=object if self.exact else float)
            row[list(sub)] = vals
            return row

        exact_rows = []
        for r in range(len(self.shape)):
            if r == p:
                exact_rows.append(full(self.shape[r], sp, x_p))
            elif r == q:
                exact_rows.append(full(self.shape[r], sq, x_q))
            else:
                exact_rows.append(full(self.shape[r], support[r], [Fraction(1) if self.exact else 1.0]))
        rows = [np.array([float(v) for v in row]) for row in exact_rows]
        dim = len(s1[1]) + len(s2[1])
        if dim == 0:
            self.points.append(RawPoint(support, rows, exact_rows if self.exact else None))
            return
        syms = share_symbols(support)
        equations = _equations(M1[:-1], syms[q]) + _equations(M2[:-1], syms[p])
        self.continua.append(
            RawContinuum(
                support,
                tuple(syms[p] + syms[q]),
                tuple(equations),
                dim,
                tuple(tuple(float(v) for v in row) for row in rows),
            )
        )


def _equations(D, syms):
    """The rows ``sum_m D[r, m] sigma[m] = 0`` in the unknown shares (last share eliminated), independent ones."""
    shares = list(syms) + [1 - sympy.Add(*syms)]
    out = []
    for row in D:
        coeffs = [
            sympy.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else sympy.Float(v, 12) for v in row
        ]
        eq = sympy.expand(sympy.Add(*[c * s for c, s in zip(coeffs, shares)]))
        if eq != 0 and eq not in out and -eq not in out:
            out.append(eq)
    return out
