r"""Replicator dynamics on the product of simplices, derived symbolically.

Population ``p`` plays ``sigma_p``, and ``u_p(i)`` is the expected payoff of its pure strategy ``i``
in the state ``sigma`` (:func:`expected_payoffs`, for every kind of game in :mod:`gamekit.game`).
The replicator equation is

    d sigma_p[i] / dt = sigma_p[i] * ( u_p(i) - ubar_p ),   ubar_p = sum_j sigma_p[j] u_p(j).

**Which statements hold where.**  Two classes of games (:attr:`Game.multilinear`):

* *multilinear* games (kind ``"populations"``, no share in a payoff): ``u_p(i)`` is multilinear in
  the other populations' shares and does not depend on ``sigma_p``::

      u_p(i) = sum_{s_{-p}} A_p[i, s_{-p}] * prod_{q != p} sigma_q[s_q];

  the *tensor form*, *payoff values* and *compiled form* below are for this class only
  (:func:`payoff_values`, :func:`rational_payoffs` and :func:`compile_payoffs` refuse other games);
* *every other game* (shares in payoffs, symmetric one-population games, group games): ``u_p(i)``
  depends on the whole state, the population's own shares included, and may be a polynomial of
  any degree (``sum_j A[i, j] sigma[j]`` for a symmetric game, a binomial average for a group
  game) or not a polynomial at all (``step``, ``1/(1 - y)``).  :func:`general_field` is its field.

The *coordinates*, the form of the equations, the *general Jacobian* and the statement on pure
profiles hold for both.

**Coordinates.**  Each population's last share is eliminated,
``sigma_p[n_p - 1] = 1 - sum_{i < n_p - 1} sigma_p[i]``, which leaves
``d = sum_p (n_p - 1)`` coordinates.  They span the tangent space of the
simplex product, so the Jacobian in them is the linearisation on the tangent
space (the full ``n_p x n_p`` Jacobian carries a spurious eigenvalue
``-ubar_p`` that a constant shift of payoffs moves).  For a two-strategy
population with share ``x`` of its first strategy the equation is::

    dx/dt = x (1 - x) Delta,   Delta = u_p(first) - u_p(second),

and ``Delta`` -- the payoff gain of the first strategy (:attr:`Replicator.gains`) -- is what the
papers print.  In a multilinear game ``Delta`` depends on the other populations only; otherwise
on ``x`` too (hawk-dove: ``Delta = V/2 - C x/2``, so ``dx/dt = x (1 - x) (V/2 - C x/2)``).  For a
group game ``Delta`` is printed in the binomial (Bernstein) form of the papers,
``sum_k C(N-1, k) x^k (1 - x)^(N-1-k) (pi_first(k) - pi_second(k))``.  A coordinate that a named
share of the game (``game.shares``) stands for -- the first strategy of a two-strategy population,
or one of the first ``n_p - 1`` -- is displayed under the share's name.

**Tensor form** (multilinear games).  Everything numeric is a contraction of the payoff tensors
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
coordinate, and display names are chosen free of parameter, share and count names (except a
coordinate displayed under its share's name).

**Payoff values** (multilinear games).  Numeric work uses the payoff tensors at the game's values divided by their
scale ``s = max_{p, i, j, s_{-p}} |A_p[i, s_{-p}] - A_p[j, s_{-p}]|``, the largest switch gain
(:func:`payoff_values`).  ``s`` is unchanged by shifts ``A_p + c_p(s_{-p})`` and grows linearly with
the payoffs, so every zero decided on the divided tensors (residuals, real parts) is relative to the
payoffs' own scale.  Exact work uses the same tensors as :class:`fractions.Fraction` when every
payoff is a small rational (:meth:`Game.exact_payoffs_rational`), so exact arithmetic never meets
irrational numbers or exploding integers.

**Compiled form** (multilinear games).  Payoffs depend on parameters only, never on the
state, so the numeric field is a tensor contraction: :func:`compile_payoffs` lambdifies
the payoff tables once and evaluates them for many parameter rows at a time.

**Games that are not multilinear.**  :func:`general_field` gives the field at the game's values:
``u`` as expressions in the full shares ``sigma``, their derivatives ``du[a, b] = d u_a / d sigma_b``
(``step`` differentiates to zero, almost everywhere), numeric versions of both, and a payoff scale
for relative zero decisions.  :func:`jacobian_from` writes the tangent Jacobian in terms of ``u``
and ``du``::

    d f_a / d sigma_b = delta_ab (u_a - ubar_p) + sigma_a (du[a, b] - [b in p] u_b - sum_{j in p} sigma_j du[j, b]),

which reduces to the blocks above when ``du`` vanishes within each population (every multilinear
game).  The field is checked once (:func:`general_field`): every payoff, and every ``step``'s argument,
must be real at a fixed set of probe states, and a group game's ``pi_i(k)`` must be a finite real
number for ``k = 0..N-1`` (:func:`group_payoff`); otherwise a :class:`~gamekit.ParameterError` names
the payoff and the count or state.  Where a ``step``/``abs``/``min``/``max`` of the shares switches
(:meth:`GeneralField.kinks`) the field is not differentiable; :meth:`GeneralField.written_payoffs`
evaluates it there as written (``step(0) = 1``).  The symbolic ``Replicator.jacobian`` of such a game is the derivative of its equations.

**Pure profiles (every game).**  At a pure profile ``s`` the rows of the unused strategies are
diagonal, so the eigenvalues of the tangent Jacobian are the switch gains
``u_p(j) - u_p(s_p)``, ``j != s_p``, evaluated *at that profile*: ``A_p[j, s_{-p}] - A_p[s]`` in a
multilinear game, ``A[j, s] - A[s, s]`` in a symmetric game, ``pi_j(k) - pi_s(k)`` at ``k = 0`` or
``N - 1`` in a group game.  Only for multilinear games does this make the asymptotically stable
states exactly the strict Nash equilibria with no interior point stable (Ritzberger-Weibull);
elsewhere an interior or face point may be asymptotically stable (hawk-dove's mixed state is).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy
from sympy.printing.latex import LatexPrinter

from ._validate import game as check_game
from .errors import AnalysisError, ParameterError
from .expr import make_symbol, payoff_text
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
    "jacobian_from",
    "jacobian_magnitude",
    "GeneralField",
    "general_field",
    "multilinear_only",
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


GROUP_BITS = 4096  # an exact group payoff pi_i(k) with a numerator or denominator above this many bits is kept
# as a GROUP_DIGITS-digit float ((k/199)^10000 would otherwise be printed with tens of thousands of digits)
GROUP_DIGITS = 30


def _group_problem(game: Game, i: int, j: int, what: str) -> ParameterError:
    pop = game.populations[0]
    return ParameterError(
        f"the payoff of {pop.strategies[i]} at {game.group.count} = {j}, {payoff_text(game.payoff_tensors[0][i])}, "
        f"{what}; a group game's payoffs must be finite real numbers for {game.group.count} = 0..{game.group.size - 1}"
    )


def group_payoff(game: Game, i: int, j: int, values=None) -> sympy.Expr:
    """``pi_i(k)`` of a group game at ``k = j`` (parameters symbolic, or at ``values`` when given), checked.

    Raises :class:`~gamekit.ParameterError` naming the strategy and ``k`` when it is infinite, undefined or not
    real (``1/k``, ``log(k)`` at ``k = 0``; ``step(sqrt(k - 20))``).  A huge exact rational is rounded to
    ``GROUP_DIGITS`` digits (``GROUP_BITS``).
    """
    from .expr import substitute

    pi = game.payoff_tensors[0][i]
    try:
        v = pi.xreplace({game.count_symbol: sympy.Integer(j)})
        if values is not None:
            v = substitute(v, values)
    except AnalysisError as err:
        raise _group_problem(game, i, j, f"cannot be computed exactly ({err})") from None
    except (ValueError, TypeError, ZeroDivisionError):
        raise _group_problem(game, i, j, "is not a real number") from None
    if v.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise _group_problem(game, i, j, "is infinite or undefined")
    if v.is_number:
        if v.is_real is False or v.is_finite is False:
            raise _group_problem(game, i, j, "is not a finite real number")
        if v.is_Rational and max(abs(v.p).bit_length(), v.q.bit_length()) > GROUP_BITS:
            v = sympy.Float(v, GROUP_DIGITS)
    return v


def expected_payoffs(game: Game, shares) -> tuple[tuple[sympy.Expr, ...], ...]:
    """``u_p(i)`` for every population and pure strategy, given ``shares[p][i]`` (expressions or numbers).

    For every kind of game (see :mod:`gamekit.game`): the contraction of the payoff tensors with the
    other populations' shares; ``sum_j A[i, j] sigma[j]`` for a symmetric game; the binomial average
    ``sum_k C(N-1, k) x^k y^(N-1-k) pi_i(k)`` for a group game (kept in this Bernstein form, which is
    well conditioned where the expanded polynomial is not).  Named shares in payoffs are then replaced
    by ``shares``.  Parameters stay as they are (symbols, or whatever the payoffs hold).
    """
    rows = [np.array(s, dtype=object) for s in shares]
    tensors = game.payoff_tensors
    if game.kind == "symmetric":
        u = [tensors[0].dot(rows[0])]
    elif game.kind == "group":
        size = game.group.size
        x, y = rows[0][0], rows[0][1]
        u = [
            [
                sympy.Add(
                    *[
                        sympy.binomial(size - 1, j) * x**j * y ** (size - 1 - j) * group_payoff(game, i, j)
                        for j in range(size)
                    ]
                )
                for i in range(len(tensors[0]))
            ]
        ]
    else:
        u = strategy_payoffs(tensors, rows)
    named = {}
    for name, sym in game.share_symbols.items():
        p, i = game.share_index(name)
        named[sym] = sympy.sympify(rows[p][i])
    tidy = (lambda e: e) if game.kind == "group" else sympy.expand
    return tuple(
        tuple(tidy(sympy.sympify(v).xreplace(named)) if named else tidy(sympy.sympify(v)) for v in row) for row in u
    )


def jacobian_from(sig, u, du, shape) -> np.ndarray:
    r"""The tangent Jacobian of the replicator field from the shares, payoffs and payoff derivatives.

    ``sig`` and ``u`` are ``(..., D)`` (full shares and ``u_p(i)``, populations in order), ``du``
    ``(..., D, D)`` with ``du[a, b] = d u_a / d sigma_b``; floats, or object arrays (Fractions, sympy).
    With ``f_a = sigma_a (u_a - ubar_p)`` and ``ubar_p = sum_{j in p} sigma_j u_j``::

        d f_a / d sigma_b = delta_ab (u_a - ubar_p) + sigma_a (du[a, b] - [b in p] u_b - sum_{j in p} sigma_j du[j, b]),

    and the tangent Jacobian takes each population's first ``n_p - 1`` rows and, for the columns,
    ``d/d sigma_q[m] - d/d sigma_q[n_q - 1]``.  For multilinear games ``du`` vanishes within a
    population and this is :func:`tangent_jacobian`.
    """
    sig, u, du = np.asarray(sig), np.asarray(u), np.asarray(du)
    off = np.concatenate([[0], np.cumsum(shape)]).astype(int)
    full = np.empty(du.shape, dtype=np.result_type(sig, u, du))
    for p in range(len(shape)):
        a, b = off[p], off[p + 1]
        sp = sig[..., a:b]
        ubar = (sp * u[..., a:b]).sum(axis=-1)
        dubar = (sp[..., :, None] * du[..., a:b, :]).sum(axis=-2)
        dubar[..., a:b] = dubar[..., a:b] + u[..., a:b]
        full[..., a:b, :] = sp[..., :, None] * (du[..., a:b, :] - dubar[..., None, :])
        for i in range(a, b):
            full[..., i, i] = full[..., i, i] + u[..., i] - ubar
    rows = [i for p in range(len(shape)) for i in range(off[p], off[p + 1] - 1)]
    cols = [
        full[..., :, i] - full[..., :, off[p + 1] - 1] for p in range(len(shape)) for i in range(off[p], off[p + 1] - 1)
    ]
    if not cols:
        return np.zeros(sig.shape[:-1] + (0, 0), dtype=full.dtype)
    return np.stack(cols, axis=-1)[..., rows, :]


def jacobian_magnitude(sig, u, du, shape) -> np.ndarray:
    r"""Entrywise sizes of the terms that make up :func:`jacobian_from`'s tangent Jacobian (floats, ``(d, d)``).

    Each entry is a sum of products that floating point rounds relative to the sizes of those products, not of
    their sum; this is that sum of sizes::

        T_full[a, b] = sigma_a (|du[a, b]| + sum_{j in p} sigma_j |du[j, b]| + [b in p] |u_b|)
                       + delta_ab (|u_a| + sum_{j in p} sigma_j |u_j|),

    with the tangent rows and columns of :func:`jacobian_from` (a column's two terms added).  It grows linearly with
    the payoffs, so zero decisions relative to it keep their scale invariance while staying local to the state.
    """
    sig, u, du = np.abs(np.asarray(sig, float)), np.abs(np.asarray(u, float)), np.abs(np.asarray(du, float))
    off = np.concatenate([[0], np.cumsum(shape)]).astype(int)
    full = np.zeros(du.shape)
    for p in range(len(shape)):
        a, b = off[p], off[p + 1]
        sp = sig[a:b]
        dubar = (sp[:, None] * du[a:b, :]).sum(axis=0)
        dubar[a:b] += u[a:b]
        full[a:b, :] = sp[:, None] * (du[a:b, :] + dubar[None, :])
        ubar = float((sp * u[a:b]).sum())
        for i in range(a, b):
            full[i, i] += u[i] + ubar
    rows = [i for p in range(len(shape)) for i in range(off[p], off[p + 1] - 1)]
    cols = [full[:, i] + full[:, off[p + 1] - 1] for p in range(len(shape)) for i in range(off[p], off[p + 1] - 1)]
    if not cols:
        return np.zeros((0, 0))
    return np.stack(cols, axis=-1)[rows, :]


class _Latex(LatexPrinter):
    """sympy's LaTeX, with the grammar's ``step(u)`` (``Heaviside(u, 1)``) as ``\\mathrm{step}(u)`` (no package needed)."""

    def _print_Heaviside(self, expr, exp=None):
        tex = rf"\mathrm{{step}}\left({self._print(expr.args[0])}\right)"
        return rf"{tex}^{{{exp}}}" if exp else tex


def latex(expr: sympy.Basic) -> str:
    """``expr`` in LaTeX, ``step`` written as in the payoff grammar (:func:`gamekit.expr.payoff_text` is the text form)."""
    return _Latex().doprint(expr)


class Coordinate(sympy.Symbol):
    """A state coordinate: a real symbol that never equals a parameter's symbol, whatever its name.

    Parameters are ``sympy.Symbol(name, real=True)``; sympy compares symbols by class, name and
    assumptions, so a ``Coordinate`` named ``x`` and a parameter named ``x`` are different symbols
    (and the display names are chosen free of parameter names as well, so printed equations are
    unambiguous).
    """


def _named_coordinates(game: Game) -> dict[tuple[int, int], str]:
    """``{(population, strategy): share name}`` for the named shares that are coordinates (not a last strategy)."""
    out: dict[tuple[int, int], str] = {}
    for name in game.shares:
        p, i = game.share_index(name)
        if i < game.shape[p] - 1:
            out.setdefault((p, i), name)
    return out


def _coordinate_names(game: Game) -> list[list[str]]:
    """Display names of the coordinates, none equal to a parameter, share or count name (but its own share's).

    A coordinate that a named share stands for takes the share's name.  The others: ``x, y, z, w``
    (``x1, x2`` for a population's several shares); ``x1, x2, ...`` for more than four populations or
    when the letters are taken; then primes until every name is free.
    """
    k = len(game.populations)
    named = _named_coordinates(game)
    taken = set(game.parameters) | set(game.shares) | ({game.group.count} if game.group is not None else set())

    def family(letters):
        names = []
        for p, n in enumerate(game.shape):
            if n == 2:
                names.append([letters[p]])
            else:
                sep = "_" if letters[p][-1].isdigit() else ""
                names.append([f"{letters[p]}{sep}{i + 1}" for i in range(n - 1)])
        return names

    def clash(names):
        return any(nm in taken for p, group in enumerate(names) for i, nm in enumerate(group) if (p, i) not in named)

    def with_shares(names):
        return [[named.get((p, i), nm) for i, nm in enumerate(group)] for p, group in enumerate(names)]

    families = ([list("xyzw")] if k <= 4 else []) + [[f"x{p + 1}" for p in range(k)]]
    for letters in families:
        names = family(letters)
        if not clash(names):
            return with_shares(names)
    names = family(families[-1])
    while clash(names):
        names = [[nm + "'" for nm in group] for group in names]
    return with_shares(names)


def _no_delta(e: sympy.Expr) -> sympy.Expr:
    """``e`` with every ``DiracDelta`` (the derivative of ``step``) replaced by 0: derivatives almost everywhere."""
    if not e.has(sympy.DiracDelta):
        return e
    return e.replace(lambda a: isinstance(a, sympy.DiracDelta), lambda a: sympy.Integer(0))


def _readable(expr: sympy.Expr, variables) -> sympy.Expr:
    """A polynomial in ``variables`` with each coefficient factored."""
    expr = sympy.expand(expr)
    if not variables or expr == 0:
        return sympy.factor(expr)
    try:
        poly = sympy.Poly(expr, *variables)
    except sympy.PolynomialError:  # not a polynomial in the shares (a payoff like F/(1 - y), or step(y - c))
        return expr
    terms = [sympy.factor(c) * sympy.Mul(*[v**e for v, e in zip(variables, m)]) for m, c in poly.terms()]
    return sympy.Add(*terms)


class Replicator:
    """The replicator dynamics of a game, symbolic (each part derived when first asked for).

    Attributes
    ----------
    coordinates
        The ``d`` state symbols (tangent coordinates): for a two-strategy
        population its share of the first strategy; named after the game's share
        where a named share is a coordinate (module docstring).
    shares
        Per population, each strategy's share as an expression in the coordinates.
    payoffs
        Per population, each pure strategy's expected payoff ``u_p(i)``.
    gains
        Per two-strategy population, ``Delta = u_p(first) - u_p(second)``
        (``None`` for populations with more strategies): a function of the other
        populations' coordinates in a multilinear game, of the population's own
        coordinate too otherwise; in binomial form for a group game.
    equations
        ``d coordinate / dt``, one per coordinate, in a readable form (a polynomial
        in the coordinates with factored coefficients, where it is one).
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
        """``u_p(first) - u_p(second)`` per two-strategy population (module docstring); else ``None``."""
        if self.game.kind == "group":
            return (self._group_gain(),)
        own = not self.game.multilinear  # the gain depends on the population's own share too
        return tuple(
            _readable(u[0] - u[1], self.coordinates if own else self._others(p)) if len(u) == 2 else None
            for p, u in enumerate(self.payoffs)
        )

    def _group_gain(self) -> sympy.Expr:
        """``sum_k C(N-1, k) x^k (1 - x)^(N-1-k) (pi_first(k) - pi_second(k))``, each difference simplified."""
        game = self.game
        size = game.group.size
        x = self.coordinates[0]
        named = {
            sym: self.shares[p][i]
            for sym, (p, i) in ((game.share_symbols[n], game.share_index(n)) for n in game.shares)
        }
        terms = []
        for j in range(size):
            diff = group_payoff(game, 0, j) - group_payoff(game, 1, j)
            diff = _readable(diff.xreplace(named) if named else diff, self.coordinates)
            if diff != 0:
                terms.append(sympy.binomial(size - 1, j) * x**j * (1 - x) ** (size - 1 - j) * diff)
        return sympy.Add(*terms)

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
        if not self.game.multilinear:  # the derivative of the equations, a polynomial with factored coefficients
            J = sympy.Matrix(self.equations).jacobian(self.coordinates)
            if self.game.kind == "group" and self.game.group.size > READABLE_GROUP_SIZE:
                return J.applyfunc(_no_delta)  # (expanding a binomial sum of this many terms takes minutes)
            return J.applyfunc(lambda e: _readable(_no_delta(e), self.coordinates))
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
            lines.append(f"  d{c}/dt = {payoff_text(eq)}    [{c}: share of {label}]")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Replicator({self.game.name!r}, coordinates={self.coordinates})"

    def _repr_latex_(self) -> str:
        rows = [rf"\frac{{d{latex(c)}}}{{dt}} &= {latex(eq)}" for c, eq in zip(self.coordinates, self.equations)]
        return r"$\begin{aligned}" + r"\\ ".join(rows) + r"\end{aligned}$"


def replicator(game: Game) -> Replicator:
    """The replicator dynamics of ``game`` (see the module docstring).

    Parameters
    ----------
    game
        Any game gamekit supports; its parameters may stay symbolic.

    Returns
    -------
    Replicator
        The symbolic dynamics: ``equations``, ``jacobian``, ... (each derived when first asked for).

    Examples
    --------
    >>> import gamekit as gk
    >>> gk.replicator(gk.load("hawk-dove")).equations
    (x*(1 - x)*(-x*C/2 + V/2),)
    """
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


def multilinear_only(game: Game, what: str) -> Game:
    """``game`` if it is multilinear (module docstring), else an AnalysisError naming ``what`` and the limitation."""
    if not check_game(game).multilinear:
        kind = {"symmetric": "a symmetric one-population game", "group": "a group game"}.get(
            game.kind, "a game whose payoffs use shares"
        )
        raise AnalysisError(
            f"{what} needs a fixed payoff table (a multilinear game), and this is {kind}: its expected payoffs "
            "depend on the state (use gamekit.dynamics.expected_payoffs or general_field)"
        )
    return game


def compile_payoffs(game: Game) -> CompiledPayoffs:
    """Compile ``game``'s payoff tables for fast numeric evaluation (multilinear games only)."""
    return CompiledPayoffs(multilinear_only(game, "compile_payoffs"))


def rational_payoffs(game: Game) -> tuple[np.ndarray, ...] | None:
    """The payoff tensors at the game's values as Fractions, or None (an irrational or too large entry).

    From :meth:`Game.exact_payoffs_rational` (small rationals only); Fractions make exact linear
    algebra fast.
    """
    tensors = multilinear_only(game, "rational_payoffs").exact_payoffs_rational()
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

    # the protocol of stability._linearise (GeneralField has the same three methods)

    def unit_jacobian(self, rows) -> np.ndarray:
        """The tangent Jacobian of the scaled tensors at the state ``rows``."""
        return np.asarray(tangent_jacobian(list(self.unit), [np.asarray(r, dtype=float) for r in rows]), dtype=float)

    def exact_jacobian(self, exact_rows) -> np.ndarray | None:
        """The tangent Jacobian at a state of Fractions, exactly; None without rational payoffs or shares."""
        if self.rational is None or not all(isinstance(v, Fraction) for row in exact_rows for v in row):
            return None
        return tangent_jacobian(list(self.rational), [np.asarray(r, dtype=object) for r in exact_rows])

    def pure_eigenvalues(self, support) -> tuple[sympy.Expr, ...] | None:
        """The switch gains at a pure profile, exactly, in the order of the tangent Jacobian's diagonal."""
        if self.rational is None:
            return None
        idx = tuple(s[0] for s in support)
        out = []
        for p, A in enumerate(self.rational):
            n = A.shape[p]
            last = list(idx)
            last[p] = n - 1
            for i in range(n - 1):
                other = list(idx)
                other[p] = i
                # the diagonal entry of coordinate i: u(i) - u(s_p), or u(last) - u(s_p) on the row of s_p itself
                gain = A[tuple(last)] - A[idx] if i == idx[p] else A[tuple(other)] - A[idx]
                out.append(sympy.Rational(gain.numerator, gain.denominator))
        return tuple(out)


def payoff_values(game: Game, *, exact: bool = True) -> PayoffValues:
    """The payoff tensors of ``game`` at its values (raises ParameterError if one is not finite and real).

    Multilinear games only (an AnalysisError otherwise: :func:`general_field` is the general form).
    """
    tensors = multilinear_only(game, "payoff_values").numeric_payoffs()
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


# -- games whose expected payoffs are not multilinear: the general field ---------------------------------

READABLE_GROUP_SIZE = 12  # larger groups' Jacobians stay in their binomial form (expanding them takes minutes)
SCALE_SAMPLES = 64  # random (but fixed) states, besides the vertices and the centre, over which the scale is taken
SCALE_SEED = 20261130
MAX_SCALE_VERTICES = 4096


SWITCHES = (sympy.Heaviside, sympy.Abs, sympy.sign, sympy.Min, sympy.Max)  # where they switch: not differentiable
KINK_TOL = 1e-9  # a switch's argument within this times its size over the probe states counts as zero


def _full_share_symbols(shape) -> tuple[tuple[Coordinate, ...], ...]:
    return tuple(tuple(Coordinate(f"sigma{p}_{i}", real=True) for i in range(n)) for p, n in enumerate(shape))


def _scale_states(shape) -> np.ndarray:
    """A fixed set of states (M, D): vertices (up to ``MAX_SCALE_VERTICES``), the centre and seeded samples."""
    rng = np.random.default_rng(SCALE_SEED)
    out = [np.concatenate([np.full(n, 1.0 / n) for n in shape])]
    for count, idx in enumerate(np.ndindex(*shape)):
        if count >= MAX_SCALE_VERTICES:
            break
        out.append(np.concatenate([np.eye(n)[i] for n, i in zip(shape, idx)]))
    samples = np.concatenate([rng.dirichlet(np.ones(n), SCALE_SAMPLES) for n in shape], axis=1)
    return np.vstack([np.array(out), samples])


def _column(c, m: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(c, dtype=float), (m,))


@dataclass(frozen=True, eq=False)
class GeneralField:
    r"""The replicator field of a game at its parameter values, from its expected payoffs (any kind of game).

    ``u[p][i]`` is ``u_p(i)`` as a sympy expression in the full shares ``sigma[p][i]``, with the
    parameter values substituted (exactly when ``exact``; else as floats).  ``scale`` is the largest
    ``|u_p(i) - u_p(j)|`` over a fixed set of states (vertices, the centre and seeded samples): it
    grows linearly with the payoffs and is unchanged by shifts that depend only on the state of the
    others, so zero decisions relative to it do not depend on the payoffs' units.
    """

    game: Game
    sigma: tuple[tuple[sympy.Symbol, ...], ...]
    u: tuple[tuple[sympy.Expr, ...], ...]
    exact: bool
    scale: float

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(s) for s in self.sigma)

    @functools.cached_property
    def flat_sigma(self) -> tuple[sympy.Symbol, ...]:
        return tuple(s for row in self.sigma for s in row)

    @functools.cached_property
    def flat_u(self) -> tuple[sympy.Expr, ...]:
        return tuple(e for row in self.u for e in row)

    @functools.cached_property
    def du(self) -> tuple[tuple[sympy.Expr, ...], ...]:
        """``d u_a / d sigma_b`` symbolically (``step`` differentiates to zero, almost everywhere)."""

        def diff(e, s):
            d = sympy.diff(e, s)
            return (
                d.replace(lambda x: isinstance(x, sympy.DiracDelta), lambda x: sympy.Integer(0))
                if d.has(sympy.DiracDelta)
                else d
            )

        return tuple(tuple(diff(e, s) for s in self.flat_sigma) for e in self.flat_u)

    @functools.cached_property
    def _numeric(self):
        exprs = list(self.flat_u) + [e for row in self.du for e in row]
        return sympy.lambdify(self.flat_sigma, exprs, modules="numpy", cse=True)

    def numeric(self, sig) -> tuple[np.ndarray, np.ndarray]:
        """``u`` (M, D) and ``du`` (M, D, D) at full shares ``sig`` (M, D), in the payoffs' units."""
        sig = np.atleast_2d(np.asarray(sig, dtype=float))
        m, d = sig.shape
        with np.errstate(all="ignore"):
            cols = self._numeric(*sig.T)
        out = np.empty((m, d + d * d))
        for j, c in enumerate(cols):
            out[:, j] = _column(c, m)
        return out[:, :d], out[:, d:].reshape(m, d, d)

    def payoffs(self, sig) -> np.ndarray:
        """``u`` (M, D) at full shares ``sig`` (M, D)."""
        return self.numeric(sig)[0]

    def display(self, expr: sympy.Expr) -> str:
        """``expr`` in the game's names: a named share by its name, any other share as ``population.strategy``."""
        game = self.game
        names = {}
        for p, row in enumerate(self.sigma):
            for i, sym in enumerate(row):
                names[sym] = sympy.Symbol(f"{game.populations[p].name}.{game.populations[p].strategies[i]}")
        for name, sym in game.share_symbols.items():
            p, i = game.share_index(name)
            names[self.sigma[p][i]] = sym
        return payoff_text(expr.xreplace(names))

    @functools.cached_property
    def _switches(self):
        """``(atom, lambdified arguments, reference size)`` for every ``step``/``abs``/``min``/``max`` of the shares."""
        state = set(self.flat_sigma)
        atoms = set()
        for e in self.flat_u:
            atoms |= {a for a in e.atoms(*SWITCHES) if a.free_symbols & state}
        out = []
        probe = _scale_states(self.shape)
        for a in sorted(atoms, key=sympy.default_sort_key):
            args = list(a.args) if isinstance(a, (sympy.Min, sympy.Max)) else [a.args[0]]
            f = sympy.lambdify(self.flat_sigma, args, modules="numpy")
            with np.errstate(all="ignore"):
                vals = np.array([_column(c, len(probe)) for c in f(*probe.T)], dtype=float)
            vals = vals[np.isfinite(vals)]
            ref = float(np.max(np.abs(vals))) if vals.size else 1.0
            out.append((a, f, ref if ref > 0 else 1.0))
        return out

    def kinks(self, sig, exact_state=None) -> tuple[sympy.Expr, ...]:
        """The ``step``/``abs``/``min``/``max`` atoms of ``u`` that switch at the state ``sig`` (full shares, flat).

        A ``step``, ``abs`` or ``sign`` switches where its argument vanishes, a ``min``/``max`` where two of
        its arguments tie for the extreme: there the field is not differentiable (``step``: not even
        continuous).  Decided exactly when ``exact_state`` (flat sympy numbers) is given and sympy can,
        else within ``KINK_TOL`` times the argument's size over the fixed probe states.
        """
        if not self._switches:
            return ()
        sig = np.asarray(sig, dtype=float)
        subs = dict(zip(self.flat_sigma, exact_state)) if exact_state is not None else None
        out = []
        for atom, f, ref in self._switches:
            if subs is not None and not isinstance(atom, (sympy.Min, sympy.Max)):
                z = sympy.sympify(atom.args[0]).xreplace(subs).is_zero
                if z is not None:
                    if z:
                        out.append(atom)
                    continue
            with np.errstate(all="ignore"):
                vals = np.array([float(np.real(np.asarray(c, dtype=complex))) for c in f(*sig)])
            if isinstance(atom, (sympy.Min, sympy.Max)):
                best = np.min(vals) if isinstance(atom, sympy.Min) else np.max(vals)
                if np.sum(np.abs(vals - best) <= KINK_TOL * ref) >= 2:
                    out.append(atom)
            elif abs(vals[0]) <= KINK_TOL * ref:
                out.append(atom)
        return tuple(out)

    def written_payoffs(self, sig, kinks=(), exact_state=None) -> np.ndarray:
        """``u`` (D,) at the state ``sig`` AS WRITTEN: every ``step`` in ``kinks`` (switching there) is 1, ``step(0)``.

        Numerically a state near a jump may fall on either side of it; this evaluates the field at the jump
        itself, as the grammar defines it, so that a limit of one branch is not taken for a rest point.
        """
        if exact_state is not None:
            subs = dict(zip(self.flat_sigma, exact_state))
            try:
                vals = [sympy.sympify(e).xreplace(subs) for e in self.flat_u]
            except (ValueError, TypeError):  # a step of a non-real number: undefined
                return np.full(len(self.flat_u), np.nan)
            out = []
            for v in vals:
                z = complex(sympy.N(v, 30)) if v.is_number and v.is_finite is not False else complex(np.nan)
                out.append(z.real if abs(z.imag) <= 1e-30 * max(1.0, abs(z.real)) else np.nan)
            return np.array(out)
        fixed = {
            a: (sympy.Integer(1) if isinstance(a, sympy.Heaviside) else sympy.Integer(0))
            for a in kinks
            if isinstance(a, (sympy.Heaviside, sympy.sign))
        }
        exprs = [e.xreplace(fixed) if fixed else e for e in self.flat_u]
        f = sympy.lambdify(self.flat_sigma, exprs, modules="numpy")
        with np.errstate(all="ignore"):
            return np.array([float(np.real(np.asarray(c, dtype=complex))) for c in f(*np.asarray(sig, dtype=float))])

    # the protocol of stability._linearise (PayoffValues has the same three methods)

    def unit_jacobian(self, rows) -> np.ndarray:
        """The tangent Jacobian divided by ``scale``, at the state ``rows`` (float arrays).

        The derivatives of the payoffs of strategies not in use are taken as zero: in ``d f_a / d sigma_b``
        they are multiplied by ``sigma_a = 0``, and the limit of that product is zero for payoffs that stay
        finite there (``sqrt(y)`` at ``y = 0`` has an infinite derivative, and ``y * d sqrt(y)/dy`` tends to
        zero), where floating point would give ``0 * inf = nan``.  Likewise the row of a strategy whose
        share is 1 (its population at a vertex): it enters as ``du[a] - sum_j sigma_j du[j] = 0``.
        """
        sig = np.concatenate([np.asarray(r, dtype=float) for r in rows])
        with np.errstate(all="ignore"):
            u, du = self.numeric(sig[None, :])
            du = np.where((sig == 0)[None, :, None], 0.0, du)
            # a population at a vertex (one share 1): its strategy's row enters as sigma_a (du[a] - sum_j sigma_j du[j])
            # = du[a] - du[a] = 0 exactly; zeroed, so that an infinite derivative there gives 0, not inf - inf
            du = np.where((sig == 1)[None, :, None], 0.0, du)
            return jacobian_from(sig, u[0], du[0], self.shape) / self.scale

    def unit_magnitude(self, rows) -> np.ndarray:
        """:func:`jacobian_magnitude` divided by ``scale`` at the state ``rows``, the unused rows zeroed as in
        :meth:`unit_jacobian`."""
        sig = np.concatenate([np.asarray(r, dtype=float) for r in rows])
        with np.errstate(all="ignore"):
            u, du = self.numeric(sig[None, :])
            du = np.where(((sig == 0) | (sig == 1))[None, :, None], 0.0, du)
            u = np.where(np.isfinite(u), u, 0.0)
            return jacobian_magnitude(sig, u[0], du[0], self.shape) / self.scale

    def exact_jacobian(self, exact_rows) -> np.ndarray | None:
        """The tangent Jacobian at an exact state (an object array of Fractions), or None if not all rational."""
        if not self.exact or not all(isinstance(v, Fraction) for row in exact_rows for v in row):
            return None
        subs = {
            s: sympy.Rational(v.numerator, v.denominator)
            for s, v in zip(self.flat_sigma, (v for row in exact_rows for v in row))
        }
        values = []
        for e in (*self.flat_u, *(x for row in self.du for x in row)):
            try:
                v = e.xreplace(subs)
            except (ValueError, TypeError):  # a step of a non-real number
                return None
            v = sympy.nsimplify(v) if v.has(sympy.Float) else v
            if not v.is_Rational:
                return None
            values.append(Fraction(int(v.p), int(v.q)))
        d = len(self.flat_sigma)
        sig = np.array([v for row in exact_rows for v in row], dtype=object)
        u = np.array(values[:d], dtype=object)
        du = np.array(values[d:], dtype=object).reshape(d, d)
        return jacobian_from(sig, u, du, self.shape)

    def pure_eigenvalues(self, support) -> tuple[sympy.Expr, ...] | None:
        """The switch gains at a pure profile ``u_p(j) - u_p(s_p)`` (exact), in the tangent diagonal's order."""
        if not self.exact:
            return None
        idx = tuple(s[0] for s in support)
        subs = {
            s: sympy.Integer(1 if i == idx[p] else 0) for p, row in enumerate(self.sigma) for i, s in enumerate(row)
        }
        out = []
        for p, row in enumerate(self.u):
            try:
                here = [e.xreplace(subs) for e in row]
            except (ValueError, TypeError):  # sympy refuses a step of a non-real number: not exact
                return None
            here = [sympy.nsimplify(v) if v.has(sympy.Float) else v for v in here]  # (rationals as they are)
            if not all(v.is_number and v.is_finite for v in here):
                return None
            n = len(row)
            for i in range(n - 1):
                out.append(sympy.simplify(here[n - 1] - here[idx[p]] if i == idx[p] else here[i] - here[idx[p]]))
        return tuple(out)


NON_REAL = 1e-9  # an imaginary part above this times max(1, |real part|) makes a value non-real


def _check_real(field: GeneralField, sig: np.ndarray) -> None:
    """Every payoff, and every ``step``'s argument, is real at the probe states (where finite); else ParameterError.

    Numerically ``sqrt(y - 2)`` is ``nan`` and ``step(nan)`` would silently be 1; evaluated in complex arithmetic
    a non-real value shows itself and is named with the state.
    """
    game = field.game
    state = set(field.flat_sigma)
    named = [
        (f"the expected payoff of {pop.name}.{s}", e)
        for pop, row in zip(game.populations, field.u)
        for s, e in zip(pop.strategies, row)
    ]
    steps = {a for e in field.flat_u for a in e.atoms(sympy.Heaviside) if a.free_symbols & state}
    named += [(f"the argument of {field.display(a)}", a.args[0]) for a in sorted(steps, key=sympy.default_sort_key)]
    exprs = [e.replace(lambda x: isinstance(x, sympy.Heaviside), lambda x: sympy.Integer(1)) for _, e in named]
    try:
        f = sympy.lambdify(field.flat_sigma, exprs, modules="numpy")
    except Exception:  # noqa: BLE001 - a printer limit: the check is a courtesy, the analysis decides later
        return
    with np.errstate(all="ignore"):
        cols = f(*sig.astype(complex).T)
    for (what, _), c in zip(named, cols):
        z = np.broadcast_to(np.asarray(c, dtype=complex), (len(sig),))
        bad = np.isfinite(z) & (np.abs(z.imag) > NON_REAL * np.maximum(1.0, np.abs(z.real)))
        if np.any(bad):
            row = sig[int(np.argmax(bad))]
            off = np.concatenate([[0], np.cumsum(field.shape)]).astype(int)
            where = "; ".join(
                "(" + ", ".join(f"{x:.4g}" for x in row[off[p] : off[p + 1]]) + ")" for p in range(len(field.shape))
            )
            raise ParameterError(
                f"{what} is not a real number at the state {where} (at these parameter values); "
                "payoffs must be real on the whole state space"
            )


@functools.lru_cache(maxsize=32)
def general_field(game: Game) -> GeneralField:
    """The :class:`GeneralField` of ``game`` at its parameter values (raises ParameterError if one has none)."""
    from .expr import substitute

    check_game(game)
    sigma = _full_share_symbols(game.shape)
    symbolic = expected_payoffs(game, sigma)
    values = game.values()
    if game.kind == "group":
        for i in range(2):
            for j in range(game.group.size):
                group_payoff(game, i, j, values)
    exact = True
    try:
        u = tuple(tuple(substitute(e, values) for e in row) for row in symbolic)
    except AnalysisError:  # an exact power too large: floating point
        exact = False
        floats = game.values(exact_values=False)
        u = tuple(tuple(e.xreplace(floats) for e in row) for row in symbolic)
    field = GeneralField(game, sigma, u, exact, 1.0)
    sig = _scale_states(game.shape)
    _check_real(field, sig)
    pay = field.payoffs(sig)
    off = np.concatenate([[0], np.cumsum(game.shape)]).astype(int)
    spread = 0.0
    with np.errstate(all="ignore"):
        for p in range(len(game.shape)):
            block = pay[:, off[p] : off[p + 1]]
            gaps = np.ptp(block, axis=1)
            gaps = gaps[np.isfinite(gaps)]
            if gaps.size:
                spread = max(spread, float(np.max(gaps)))
    if not np.isfinite(spread):
        raise AnalysisError("the payoff differences overflow floating point; divide every payoff by a common factor")
    if spread == 0.0:
        finite = np.abs(pay[np.isfinite(pay)])
        spread = float(np.max(finite)) if finite.size and np.max(finite) > 0 else 1.0
    return GeneralField(game, sigma, u, exact, spread)
