"""The replicator field as a function of the shares and of one parameter ``lam``, and its faces.

Every other parameter is fixed at the game's value (exactly); ``lam`` stays a symbol.  ``u`` are the
expected payoffs of :func:`gamekit.dynamics.expected_payoffs` (every kind of game), ``du`` their
derivatives in the full shares and ``dl`` in ``lam``, compiled once into one vectorised function.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import sympy

from ..dynamics import MAX_SCALE_VERTICES, _full_share_symbols, _scale_states, expected_payoffs, jacobian_from
from ..errors import AnalysisError
from ..expr import substitute
from ..game import Game

MAX_EXACT_DEGREE = 60  # a polynomial in the parameter above this degree gets numeric roots only


def _diff(e: sympy.Expr, s: sympy.Symbol) -> sympy.Expr:
    d = sympy.diff(e, s)
    if d.has(sympy.DiracDelta):  # step differentiates to zero almost everywhere, as in GeneralField.du
        d = d.replace(lambda x: isinstance(x, sympy.DiracDelta), lambda x: sympy.Integer(0))
    return d


class LeverField:
    """``u``, ``du``, ``dl`` of ``game`` at full shares ``sig`` (M, D) and parameter values ``lam`` (M,)."""

    def __init__(self, game: Game, parameter: str):
        self.game = game
        self.shape = game.shape
        self.lam = game.symbols[parameter]
        sigma = _full_share_symbols(game.shape)
        self.flat_sigma = tuple(s for row in sigma for s in row)
        values = {k: v for k, v in game.values().items() if k != self.lam}
        try:
            self.u = tuple(substitute(e, values) for row in expected_payoffs(game, sigma) for e in row)
        except AnalysisError:
            floats = {k: v for k, v in game.values(exact_values=False).items() if k != self.lam}
            self.u = tuple(e.xreplace(floats) for row in expected_payoffs(game, sigma) for e in row)
        self.du = tuple(tuple(_diff(e, s) for s in self.flat_sigma) for e in self.u)
        self.dl = tuple(_diff(e, self.lam) for e in self.u)
        self.off = np.concatenate([[0], np.cumsum(self.shape)]).astype(int)
        self.dim = int(sum(n - 1 for n in self.shape))
        probe = _scale_states(self.shape)
        # in a multilinear game a payoff difference is multilinear in the others' shares: largest at a vertex
        self._probe = probe[1 : 1 + min(int(np.prod(self.shape)), MAX_SCALE_VERTICES)] if game.multilinear else probe

    @functools.cached_property
    def _compiled(self):
        exprs = list(self.u) + [e for row in self.du for e in row] + list(self.dl)
        return sympy.lambdify(self.flat_sigma + (self.lam,), exprs, modules="numpy", cse=True)

    @functools.cached_property
    def _compiled_u(self):
        return sympy.lambdify(self.flat_sigma + (self.lam,), list(self.u), modules="numpy", cse=True)

    def payoffs(self, sig, lam) -> np.ndarray:
        """``u`` (M, D) only."""
        sig = np.atleast_2d(np.asarray(sig, dtype=float))
        m, d = sig.shape
        lam = np.broadcast_to(np.asarray(lam, dtype=float), (m,))
        with np.errstate(all="ignore"):
            cols = self._compiled_u(*sig.T, lam)
        out = np.empty((m, d))
        for j, c in enumerate(cols):
            out[:, j] = c
        return out

    def numeric(self, sig, lam):
        sig = np.atleast_2d(np.asarray(sig, dtype=float))
        m, d = sig.shape
        lam = np.broadcast_to(np.asarray(lam, dtype=float), (m,))
        with np.errstate(all="ignore"):
            cols = self._compiled(*sig.T, lam)
        out = np.empty((m, d + d * d + d))
        for j, c in enumerate(cols):
            out[:, j] = c
        return out[:, :d], out[:, d : d + d * d].reshape(m, d, d), out[:, d + d * d :]

    def scale(self, lam: float) -> float:
        """The payoff scale of :func:`gamekit.dynamics.general_field` at ``lam`` (for multilinear games: the
        largest switch gain, as :func:`gamekit.dynamics.payoff_values`)."""
        return float(self.scales(np.array([lam], dtype=float))[0])

    def scales(self, lams: np.ndarray) -> np.ndarray:
        """:meth:`scale` at each of ``lams`` (N,), in one evaluation."""
        lams = np.asarray(lams, dtype=float)
        k = len(self._probe)
        u = self.payoffs(np.tile(self._probe, (len(lams), 1)), np.repeat(lams, k))
        u = u.reshape(len(lams), k, -1)
        spread = np.zeros(len(lams))
        with np.errstate(all="ignore"):
            for p in range(len(self.shape)):
                gaps = np.ptp(u[:, :, self.off[p] : self.off[p + 1]], axis=2)
                gaps = np.where(np.isfinite(gaps), gaps, 0.0)
                spread = np.maximum(spread, gaps.max(axis=1))
        return np.where(spread > 0, spread, 1.0)

    def jacobians(self, sig, lam) -> np.ndarray:
        """Tangent Jacobians (M, d, d) of the replicator field."""
        sig = np.atleast_2d(np.asarray(sig, dtype=float))
        u, du, _ = self.numeric(sig, lam)
        # a strategy not in use (share 0) contributes sigma_a du[a, b] = 0, even where du[a, b] is infinite
        du = np.where(sig[..., :, None] == 0, 0.0, du)
        with np.errstate(all="ignore"):
            return jacobian_from(sig, u, du, self.shape)

    def velocity(self, sig, lam) -> np.ndarray:
        """The replicator field ``sigma_a (u_a - ubar_p)`` at full shares (M, D)."""
        sig = np.atleast_2d(np.asarray(sig, dtype=float))
        u = self.payoffs(sig, lam)
        out = np.empty_like(sig)
        for p in range(len(self.shape)):
            a, b = self.off[p], self.off[p + 1]
            ubar = (sig[:, a:b] * u[:, a:b]).sum(axis=1, keepdims=True)
            out[:, a:b] = sig[:, a:b] * (u[:, a:b] - ubar)
        return out

    def exact_jacobian(self, sig_exact) -> sympy.Matrix:
        """The tangent Jacobian with the full shares ``sig_exact`` (sympy expressions, e.g. in ``lam``)."""
        subs = dict(zip(self.flat_sigma, sig_exact))
        u = np.array([e.xreplace(subs) for e in self.u], dtype=object)
        du = np.array([[e.xreplace(subs) for e in row] for row in self.du], dtype=object)
        J = jacobian_from(np.array(list(sig_exact), dtype=object), u, du, self.shape)
        return sympy.Matrix(J.tolist()) if J.size else sympy.zeros(0, 0)


@dataclass(frozen=True)
class Face:
    """A face: the strategies in use per population; ``sigma = e0 + E v`` in its ``m`` unknowns ``v``; the rest-point
    equations ``R u(sigma) = 0`` (each strategy in use against the population's last one in use)."""

    support: tuple[tuple[int, ...], ...]
    E: np.ndarray
    e0: np.ndarray
    R: np.ndarray
    used: np.ndarray  # indices (into the full shares) of the strategies in use

    @property
    def m(self) -> int:
        return self.E.shape[1]

    def sigma(self, v) -> np.ndarray:
        return self.e0 + np.asarray(v, dtype=float) @ self.E.T


def make_face(shape, support) -> Face:
    off = np.concatenate([[0], np.cumsum(shape)]).astype(int)
    d_full = int(off[-1])
    m = sum(len(s) - 1 for s in support)
    E, e0, R = np.zeros((d_full, m)), np.zeros(d_full), np.zeros((m, d_full))
    col = 0
    for p, sup in enumerate(support):
        last = off[p] + sup[-1]
        e0[last] = 1.0
        for i in sup[:-1]:
            E[off[p] + i, col] = 1.0
            E[last, col] = -1.0
            R[col, off[p] + i], R[col, last] = 1.0, -1.0
            col += 1
    used = np.array([off[p] + i for p, sup in enumerate(support) for i in sup], dtype=int)
    return Face(tuple(tuple(s) for s in support), E, e0, R, used)


def face_symbols(face: Face) -> tuple[sympy.Symbol, ...]:
    return tuple(sympy.Symbol(f"v{k}", real=True) for k in range(face.m))


def exact_sigma(face: Face, values) -> list[sympy.Expr]:
    """The full shares as sympy expressions of the face's unknowns' ``values``."""
    out = []
    for a in range(len(face.e0)):
        e = sympy.Integer(int(face.e0[a]))
        for k in range(face.m):
            if face.E[a, k]:
                e += int(face.E[a, k]) * values[k]
        out.append(e)
    return out


def linear_system(field: LeverField, face: Face):
    """``(A, b)`` with the face's equations ``A v = b`` when they are linear in ``v`` with coefficients rational in
    the parameter; else None (the face is followed numerically)."""
    v = face_symbols(face)
    sig = exact_sigma(face, v)
    subs = dict(zip(field.flat_sigma, sig))
    eqs = []
    for row in face.R:
        i, j = int(np.argmax(row)), int(np.argmin(row))
        eqs.append(sympy.expand(field.u[i].xreplace(subs) - field.u[j].xreplace(subs)))
    if not v:
        return sympy.zeros(0, 0), sympy.zeros(0, 1), eqs
    for e in eqs:
        if not e.is_polynomial(*v):
            return None
        try:
            poly = sympy.Poly(e, *v)
        except sympy.PolynomialError:
            return None
        if poly.total_degree() > 1:
            return None
        if any(not c.is_rational_function(field.lam) for c in poly.coeffs()):
            return None
    A, b = sympy.linear_eq_to_matrix(eqs, v)
    return A, b, eqs


def real_roots(expr: sympy.Expr, lam: sympy.Symbol, lo, hi) -> list | None:
    """Real roots (exact where sympy can write them) of the numerator of ``expr`` strictly inside ``(lo, hi)``;
    None when ``expr`` vanishes identically."""
    num, _ = sympy.fraction(sympy.cancel(sympy.together(expr)))
    num = sympy.expand(num)
    if num == 0:
        return None
    if not num.has(lam):
        return []
    poly = sympy.Poly(num, lam)
    if poly.domain.is_Exact and poly.degree() <= MAX_EXACT_DEGREE:
        roots = sorted(set(poly.real_roots()), key=float)
    else:
        coeffs = [complex(c) for c in poly.all_coeffs()]
        roots = sorted({float(r.real) for r in np.roots(coeffs) if abs(r.imag) <= 1e-10 * max(1.0, abs(r))})
    return [r for r in roots if float(lo) < float(r) < float(hi) and bool(r > lo) and bool(r < hi)]
