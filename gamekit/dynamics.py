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

**Compiled form.**  Payoffs depend on parameters only, never on the state, so
the numeric field is a tensor contraction: :func:`compile_payoffs` lambdifies
the payoff tables once and evaluates them for many parameter rows at a time.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import sympy

from .expr import make_symbol
from .game import Game

__all__ = ["Replicator", "replicator", "compile_payoffs", "expected_payoffs"]


def _coordinate_names(game: Game) -> list[list[str]]:
    k = len(game.populations)
    letters = list("xyzw") if k <= 4 else [f"x{p + 1}" for p in range(k)]
    names = []
    for p, n in enumerate(game.shape):
        if n == 2:
            names.append([letters[p]])
        else:
            sep = "_" if letters[p][-1].isdigit() else ""
            names.append([f"{letters[p]}{sep}{i + 1}" for i in range(n - 1)])
    taken = set(game.parameters)
    if any(nm in taken for group in names for nm in group):
        names = [[f"s_{nm}" for nm in group] for group in names]
    return names


def _readable(expr: sympy.Expr, variables) -> sympy.Expr:
    """A polynomial in ``variables`` with each coefficient factored."""
    expr = sympy.expand(expr)
    if not variables:
        return sympy.factor(expr)
    poly = sympy.Poly(expr, *variables)
    terms = [sympy.factor(c) * sympy.Mul(*[v**e for v, e in zip(variables, m)]) for m, c in poly.terms()]
    return sympy.Add(*terms)


@dataclass(frozen=True, eq=False)
class Replicator:
    """The replicator dynamics of a game, symbolic.

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

    game: Game = field(repr=False)
    coordinates: tuple[sympy.Symbol, ...]
    shares: tuple[tuple[sympy.Expr, ...], ...] = field(repr=False)
    payoffs: tuple[tuple[sympy.Expr, ...], ...] = field(repr=False)
    gains: tuple[sympy.Expr | None, ...] = field(repr=False)
    equations: tuple[sympy.Expr, ...] = field(repr=False)
    jacobian: sympy.Matrix = field(repr=False)

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
            rf"\frac{{d{sympy.latex(c)}}}{{dt}} &= {sympy.latex(eq)}"
            for c, eq in zip(self.coordinates, self.equations)
        ]
        return r"$\begin{aligned}" + r"\\ ".join(rows) + r"\end{aligned}$"


def expected_payoffs(game: Game, shares) -> tuple[tuple[sympy.Expr, ...], ...]:
    """``u_p(i)`` for every population and pure strategy, given share expressions."""
    k = len(game.populations)
    out = []
    for p in range(k):
        tensor = game.payoff_tensors[p]
        others = [q for q in range(k) if q != p]
        row = []
        for i in range(game.shape[p]):
            total = sympy.Integer(0)
            for rest in itertools.product(*(range(game.shape[q]) for q in others)):
                idx = list(rest)
                idx.insert(p, i)
                weight = sympy.Mul(*[shares[q][s] for q, s in zip(others, rest)])
                total += tensor[tuple(idx)] * weight
            row.append(total)
        out.append(tuple(row))
    return tuple(out)


def replicator(game: Game) -> Replicator:
    """Derive the replicator dynamics of ``game`` (see the module docstring)."""
    names = _coordinate_names(game)
    coords_by_pop = [[make_symbol(nm) for nm in group] for group in names]
    shares = tuple(tuple(c) + (1 - sympy.Add(*c),) for c in coords_by_pop)
    payoffs = expected_payoffs(game, shares)
    coordinates = tuple(c for group in coords_by_pop for c in group)
    equations, raw, gains = [], [], []
    for p, group in enumerate(coords_by_pop):
        others = [c for q, g in enumerate(coords_by_pop) if q != p for c in g]
        u = payoffs[p]
        if len(group) == 1:
            (x,) = group
            gain = sympy.expand(u[0] - u[1])
            gains.append(_readable(gain, others))
            raw.append(x * (1 - x) * gain)
            equations.append(sympy.Mul(x, 1 - x, gains[-1], evaluate=False) if gain != 0 else sympy.Integer(0))
        else:
            gains.append(None)
            ubar = sympy.Add(*[s * ui for s, ui in zip(shares[p], u)])
            for i, x in enumerate(group):
                rhs = x * (u[i] - ubar)
                raw.append(rhs)
                equations.append(sympy.Mul(x, _readable(u[i] - ubar, coordinates), evaluate=False))
    jacobian = sympy.Matrix(raw).jacobian(coordinates).applyfunc(sympy.expand)
    return Replicator(
        game=game,
        coordinates=coordinates,
        shares=shares,
        payoffs=payoffs,
        gains=tuple(gains),
        equations=tuple(equations),
        jacobian=jacobian,
    )


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
