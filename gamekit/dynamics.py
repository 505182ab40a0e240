r"""Replicator dynamics on the product of simplices, derived symbolically.

Population ``p`` plays ``sigma_p``.  Its expected payoff from pure strategy
``i`` against the others is multilinear in their shares::

    u_p(i) = sum_{s_{-p}} A_p[i, s_{-p}] * prod_{q != p} sigma_q[s_q]

and the replicator equation is

    d sigma_p[i] / dt = sigma_p[i] * ( u_p(i) - ubar_p ),   ubar_p = sum_j sigma_p[j] u_p(j).

**Coordinates.**  Each population's last share is eliminated,
``sigma_p[n_p - 1] = 1 - sum_{i < n_p - 1} sigma_p[i]``, which leaves
``d = sum_p (n_p - 1)`` coordinates.  They span the tangent space of the
simplex product, so the Jacobian in them is the linearisation on the tangent
space (the full ``n_p x n_p`` Jacobian carries a spurious eigenvalue
``-ubar_p`` that a constant shift of payoffs moves).  For a two-strategy
population with share ``x`` of its first strategy the equation is::

    dx/dt = x (1 - x) Delta(x_{-p}),   Delta = u_p(first) - u_p(second),

and ``Delta`` -- the payoff gain of the first strategy -- is what the papers print.

**Tensor form.**  Everything numeric is a contraction of the payoff tensors
with the shares (:func:`contract`).  The tangent Jacobian has blocks::

    d f_p[i] / d sigma_p[j] = delta_ij (u_p(i) - ubar_p) - sigma_p[i] u_p(j)
    d f_p[i] / d sigma_q[m] = sigma_p[i] (U_pq[i, m] - sum_j sigma_p[j] U_pq[j, m]),  q != p

with ``U_pq[i, m] = d u_p(i) / d sigma_q[m]`` (``A_p`` contracted with every
population but ``p`` and ``q``), and the column of coordinate ``sigma_q[m]`` is
``d/d sigma_q[m] - d/d sigma_q[n_q - 1]``.  :func:`tangent_jacobian` evaluates
it on float arrays (numeric), on sympy numbers (exact) or on symbols (the
symbolic ``Replicator.jacobian``) with one formula.

**Private coordinates.**  The coordinates are :class:`Coordinate` symbols, a class of their own:
a parameter named ``x`` (or ``s_x``, or like any coordinate) is never the same symbol as a
coordinate, and display names are chosen free of parameter names.

**Payoff values.**  Numeric work uses the payoff tensors at the game's values divided by their
scale ``s = max_{p, i, j, s_{-p}} |A_p[i, s_{-p}] - A_p[j, s_{-p}]|``, the largest switch gain
(:func:`payoff_values`).  ``s`` is unchanged by shifts ``A_p + c_p(s_{-p})`` and grows linearly with
the payoffs, so every zero decided on the divided tensors (residuals, real parts) is relative to the
payoffs' own scale.  Exact work uses the same tensors as :class:`fractions.Fraction` when every
payoff is a small rational (:meth:`Game.exact_payoffs_rational`), so exact arithmetic never meets
irrational numbers or exploding integers.

**Compiled form.**  Payoffs depend on parameters only, never on the state, so
the numeric field is a tensor contraction: :func:`compile_payoffs` lambdifies
the payoff tables once and evaluates them for many parameter rows at a time.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

from ._validate import game as check_game
from .errors import AnalysisError
from .expr import make_symbol
from .game import Game

__all__ = [
    "Coordinate",
    "Replicator",
    "replicator",
    "compile_payoffs",
    "contract",
    "strategy_payoffs",
    "tangent_jacobian",
    "expected_payoffs",
    "PayoffValues",
    "payoff_values",
    "rational_payoffs",
]


def contract(tensor: np.ndarray, rows, keep=()) -> np.ndarray:
    """Contract ``tensor`` with ``rows[q]`` along every axis ``q`` not in ``keep`` (kept axes stay in order).

    Works for float arrays and for object arrays of sympy expressions.
    """
    t = tensor
    for q in reversed(range(len(rows))):
        if q not in keep:
            row = np.asarray(rows[q])
            nz = [i for i, v in enumerate(row) if (v == 0) is not True] if row.dtype == object else np.flatnonzero(row)
            if len(nz) == 1:  # a pure strategy: a slice, times its share
                v = row[nz[0]]
                t = np.take(t, nz[0], axis=q)
                if (v == 1) is not True:
                    t = t * v
                continue
            if len(nz) < len(row):  # a face: only the shares in use contribute
                t, row = np.take(t, nz, axis=q), row[nz]
            t = np.tensordot(t, row, axes=([q], [0]))
    return t


def strategy_payoffs(tensors, rows) -> list[np.ndarray]:
    """``u_p(i)`` for every population ``p`` and pure strategy ``i`` at the state ``rows``."""
    return [contract(t, rows, keep=(p,)) for p, t in enumerate(tensors)]


def tangent_jacobian(tensors, rows) -> np.ndarray:
    """The ``d x d`` Jacobian of the replicator field in tangent coordinates, at ``rows``."""
    k = len(rows)
    shape = [len(r) for r in rows]
    obj = any(np.asarray(r).dtype == object for r in rows) or any(t.dtype == object for t in tensors)
    dtype = object if obj else float
    u = strategy_payoffs(tensors, rows)
    full = [[None] * k for _ in range(k)]
    for p in range(k):
        sp = np.asarray(rows[p], dtype=dtype)
        ubar = sp @ u[p]
        full[p][p] = np.diag(u[p] - ubar) - np.outer(sp, u[p])
        for q in range(k):
            if q == p:
                continue
            U = contract(tensors[p], rows, keep=(p, q))
            if q < p:
                U = U.T
            full[p][q] = sp[:, None] * (U - (sp @ U)[None, :])
    blocks = []
    for p in range(k):
        row = []
        for q in range(k):
            B = np.asarray(full[p][q], dtype=dtype)
            row.append(B[: shape[p] - 1, : shape[q] - 1] - B[: shape[p] - 1, shape[q] - 1 : shape[q]])
        blocks.append(row)
    return np.block(blocks) if k > 1 else blocks[0][0]


def batched_contract(tensor: np.ndarray, rows, keep=()) -> np.ndarray:
    """:func:`contract` for a batch: ``tensor`` (M, *axes) and ``rows[q]`` (M, n_q); result (M, *kept axes).

    One axis at a time, last first (a multiply and a sum each: the tensor shrinks at every step).
    """
    t = tensor
    for q in reversed(range(len(rows))):
        if q in keep:
            continue
        t = np.moveaxis(t, q + 1, -1)
        t = (t * rows[q].reshape((t.shape[0],) + (1,) * (t.ndim - 2) + (t.shape[-1],))).sum(axis=-1)
    return t


def tangent_jacobians(tensors, rows) -> np.ndarray:
    """:func:`tangent_jacobian` (floats) at ``M`` states at once: ``rows[q]`` is (M, n_q); result (M, d, d)."""
    k = len(rows)
    M = rows[0].shape[0]
    shape = [r.shape[1] for r in rows]
    T = [np.broadcast_to(t, (M,) + t.shape) for t in tensors]
    blocks = []
    for p in range(k):
        sp = rows[p]
        u = batched_contract(T[p], rows, keep=(p,))
        ubar = np.sum(sp * u, axis=1)
        row = []
        for q in range(k):
            if q == p:
                B = np.einsum("mi,ij->mij", u - ubar[:, None], np.eye(shape[p])) - sp[:, :, None] * u[:, None, :]
            else:
                U = batched_contract(T[p], rows, keep=tuple(sorted((p, q))))
                if q < p:
                    U = np.swapaxes(U, 1, 2)
                B = sp[:, :, None] * (U - np.einsum("mi,mij->mj", sp, U)[:, None, :])
            row.append(B[:, : shape[p] - 1, : shape[q] - 1] - B[:, : shape[p] - 1, shape[q] - 1 :])
        blocks.append(np.concatenate(row, axis=2))
    return np.concatenate(blocks, axis=1)


def expected_payoffs(game: Game, shares) -> tuple[tuple[sympy.Expr, ...], ...]:
    """``u_p(i)`` for every population and pure strategy, given share expressions."""
    rows = [np.array(s, dtype=object) for s in shares]
    return tuple(tuple(sympy.expand(v) for v in u) for u in strategy_payoffs(game.payoff_tensors, rows))


class Coordinate(sympy.Symbol):
    """A state coordinate: a real symbol that never equals a parameter's symbol, whatever its name.

    Parameters are ``sympy.Symbol(name, real=True)``; sympy compares symbols by class, name and
    assumptions, so a ``Coordinate`` named ``x`` and a parameter named ``x`` are different symbols
    (and the display names are chosen free of parameter names as well, so printed equations are
    unambiguous).
    """


def _coordinate_names(game: Game) -> list[list[str]]:
    """Display names of the coordinates, none equal to a parameter name.

    ``x, y, z, w`` (``x1, x2`` for a population's several shares); ``x1, x2, ...`` for more than four
    populations or when the letters are taken; then primes until every name is free.
    """
    k = len(game.populations)
    taken = set(game.parameters)

    def family(letters):
        names = []
        for p, n in enumerate(game.shape):
            if n == 2:
                names.append([letters[p]])
            else:
                sep = "_" if letters[p][-1].isdigit() else ""
                names.append([f"{letters[p]}{sep}{i + 1}" for i in range(n - 1)])
        return names

    families = ([list("xyzw")] if k <= 4 else []) + [[f"x{p + 1}" for p in range(k)]]
    for letters in families:
        names = family(letters)
        if not any(nm in taken for group in names for nm in group):
            return names
    names = family(families[-1])
    while any(nm in taken for group in names for nm in group):
        names = [[nm + "'" for nm in group] for group in names]
    return names


def _readable(expr: sympy.Expr, variables) -> sympy.Expr:
    """A polynomial in ``variables`` with each coefficient factored."""
    expr = sympy.expand(expr)
    if not variables or expr == 0:
        return sympy.factor(expr)
    poly = sympy.Poly(expr, *variables)
    terms = [sympy.factor(c) * sympy.Mul(*[v**e for v, e in zip(variables, m)]) for m, c in poly.terms()]
    return sympy.Add(*terms)


class Replicator:
    """The replicator dynamics of a game, symbolic (each part derived when first asked for).

    Attributes
    ----------
    coordinates
        The ``d`` state symbols (tangent coordinates): for a two-strategy
        population its share of the first strategy.
    shares
        Per population, each strategy's share as an expression in the coordinates.
    payoffs
        Per population, each pure strategy's expected payoff ``u_p(i)``.
    gains
        Per two-strategy population, ``Delta = u_p(first) - u_p(second)``
        (``None`` for populations with more strategies).
    equations
        ``d coordinate / dt``, one per coordinate, in a readable form.
    jacobian
        ``d x d`` Jacobian of ``equations`` in ``coordinates``.
    """

    def __init__(self, game: Game):
        self.game = check_game(game)
        groups = [[Coordinate(nm, real=True) for nm in group] for group in _coordinate_names(game)]
        self._groups = groups
        self.coordinates: tuple[sympy.Symbol, ...] = tuple(c for g in groups for c in g)
        self.shares: tuple[tuple[sympy.Expr, ...], ...] = tuple(tuple(g) + (1 - sympy.Add(*g),) for g in groups)

    @functools.cached_property
    def payoffs(self) -> tuple[tuple[sympy.Expr, ...], ...]:
        return expected_payoffs(self.game, self.shares)

    def _others(self, p):
        return [c for q, g in enumerate(self._groups) if q != p for c in g]

    @functools.cached_property
    def gains(self) -> tuple[sympy.Expr | None, ...]:
        return tuple(
            _readable(u[0] - u[1], self._others(p)) if len(u) == 2 else None for p, u in enumerate(self.payoffs)
        )

    @functools.cached_property
    def equations(self) -> tuple[sympy.Expr, ...]:
        out = []
        for p, group in enumerate(self._groups):
            u = self.payoffs[p]
            if len(group) == 1:
                x = group[0]
                out.append(
                    sympy.Mul(x, 1 - x, self.gains[p], evaluate=False) if self.gains[p] != 0 else sympy.Integer(0)
                )
            else:
                ubar = sympy.Add(*[s * ui for s, ui in zip(self.shares[p], u)])
                out += [
                    sympy.Mul(x, _readable(u[i] - ubar, self.coordinates), evaluate=False) for i, x in enumerate(group)
                ]
        return tuple(out)

    @functools.cached_property
    def jacobian(self) -> sympy.Matrix:
        rows = [np.array(s, dtype=object) for s in self.shares]
        J = tangent_jacobian(self.game.payoff_tensors, rows)
        return sympy.Matrix(J).applyfunc(sympy.expand)

    @property
    def parameters(self) -> tuple[sympy.Symbol, ...]:
        return tuple(make_symbol(n) for n in self.game.parameters)

    def labels(self) -> list[str]:
        """Which population (and strategy, if several) each coordinate is the share of."""
        out = []
        for pop in self.game.populations:
            if len(pop.strategies) == 2:
                out.append(f"{pop.name} ({pop.strategies[0]})")
            else:
                out += [f"{pop.name} ({s})" for s in pop.strategies[:-1]]
        return out

    def __str__(self) -> str:
        lines = [f"Replicator dynamics of {self.game.name or 'the game'}:"]
        for c, eq, label in zip(self.coordinates, self.equations, self.labels()):
            lines.append(f"  d{c}/dt = {sympy.sstr(eq)}    [{c}: share of {label}]")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Replicator({self.game.name!r}, coordinates={self.coordinates})"

    def _repr_latex_(self) -> str:
        rows = [
            rf"\frac{{d{sympy.latex(c)}}}{{dt}} &= {sympy.latex(eq)}" for c, eq in zip(self.coordinates, self.equations)
        ]
        return r"$\begin{aligned}" + r"\\ ".join(rows) + r"\end{aligned}$"


def replicator(game: Game) -> Replicator:
    """The replicator dynamics of ``game`` (see the module docstring)."""
    return Replicator(check_game(game))


class CompiledPayoffs:
    """Payoff tables as a vectorised numeric function of the parameters.

    ``self(values)`` takes an ``(N, P)`` array of parameter rows (columns in
    ``names`` order) and returns an ``(N, k, n_0 * ... * n_{k-1})`` float array:
    row ``r``'s payoff to population ``p`` at the flattened profile ``j``.
    """

    def __init__(self, game: Game):
        self.names = tuple(game.parameters)
        self.shape = game.shape
        symbols = [make_symbol(n) for n in self.names]
        flat = [t.ravel()[j] for t in game.payoff_tensors for j in range(t.size)]
        self._size = (len(game.populations), int(np.prod(self.shape)))
        self._func = sympy.lambdify(symbols, flat, modules="numpy", cse=True)

    def __call__(self, values) -> np.ndarray:
        values = np.atleast_2d(np.asarray(values, dtype=float))
        n = values.shape[0]
        with np.errstate(all="ignore"):
            cols = self._func(*values.T)
        out = np.empty((n, len(cols)))
        for j, c in enumerate(cols):
            out[:, j] = c
        if not np.all(np.isfinite(out)):
            from .errors import ParameterError

            raise ParameterError("a payoff is not a finite number at these parameter values")
        return out.reshape(n, *self._size)


def compile_payoffs(game: Game) -> CompiledPayoffs:
    """Compile ``game``'s payoff tables for fast numeric evaluation."""
    return CompiledPayoffs(game)


def rational_payoffs(game: Game) -> tuple[np.ndarray, ...] | None:
    """The payoff tensors at the game's values as Fractions, or None (an irrational or too large entry).

    From :meth:`Game.exact_payoffs_rational` (small rationals only); Fractions make exact linear
    algebra fast.
    """
    tensors = game.exact_payoffs_rational()
    if tensors is None:
        return None
    out = []
    for t in tensors:
        arr = np.empty(t.shape, dtype=object)
        for idx in np.ndindex(t.shape):
            arr[idx] = Fraction(int(t[idx].p), int(t[idx].q))
        out.append(arr)
    return tuple(out)


@dataclass(frozen=True)
class PayoffValues:
    """A game's payoff tensors at its parameter values, prepared for numeric and exact work.

    ``unit[p]`` is ``A_p / scale`` (floats), ``scale`` the largest switch gain (see the module
    docstring; the largest ``|A|`` when every gain is zero, 1 for an all-zero game), and
    ``rational[p]`` the exact ``A_p`` as Fractions, or ``None`` (irrational or too large entries, or
    not asked for).
    """

    unit: tuple[np.ndarray, ...]
    scale: float
    rational: tuple[np.ndarray, ...] | None

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.unit[0].shape)


def payoff_values(game: Game, *, exact: bool = True) -> PayoffValues:
    """The payoff tensors of ``game`` at its values (raises ParameterError if one is not finite and real)."""
    tensors = check_game(game).numeric_payoffs()
    top = max(float(np.max(np.abs(t))) for t in tensors)
    if top == 0.0:
        top = 1.0
    unit = [t / top for t in tensors]
    spread = max(float(np.max(np.ptp(u, axis=p))) for p, u in enumerate(unit))
    scale = top * spread if spread > 0 else top
    if spread > 0:
        unit = [u / spread for u in unit]
    if not np.isfinite(scale):
        raise AnalysisError(
            f"the payoff differences overflow floating point (largest payoff {top:.3g}); divide every payoff by a common factor"
        )
    return PayoffValues(tuple(unit), scale, rational_payoffs(game) if exact else None)
