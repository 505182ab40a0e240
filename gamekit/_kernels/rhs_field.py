r"""The right-hand side written out for one model whose payoffs are not multilinear, compiled once per machine.

For games whose expected payoffs are not a contraction of fixed payoff tables
(payoffs that use shares, one-population games, group games: ``game.multilinear``
is False) the kernel's right-hand side is generated per *model*, not per shape.
Its input is ``u_p(i)`` as sympy expressions in the full shares ``sigma[i]``
(``i`` over all ``D`` strategies, populations concatenated) and the parameter
symbols ``theta[j]``; in log-ratio coordinates (see ``dopri``)::

    sigma_p = softmax(v_p) over the alive strategies,
    dv[i]/dt = (u_p(i)(sigma, theta) - u_p(ref_p)(sigma, theta)) * alive[i].

:class:`Field` turns the expressions into three functions of ``(sigma, theta)``:

* ``source(lanes)`` / ``load(lanes)``: a numba cfunc with the common signature
  ``rhs(v, alive, ref, pay, sig, out, tables, work)`` (``primitives.RHS_SIGNATURE``),
  one loop over lanes of straight-line code: the shares exactly as ``rhs_codegen``
  writes them, the parameters ``theta[j] = pay[0, j, lane]`` (the driver's payoff
  array carries the parameter values in population 0's slot: shape ``(S, R, k,
  max(J, 1))`` for ``J`` parameters; the driver copies it per lane and never looks
  inside), the common subexpressions of all payoffs (``sympy.cse``), the payoffs,
  and the differences.  Before that, in each payoff that is a polynomial in the
  shares and the parameters, every sum ``c m (s_a + ... + s_z)`` over all the shares
  of one population becomes ``c m`` (``_shares_sum_to_one``: equal on the simplex,
  where the kernel evaluates it; an expected payoff written out as a sum over
  profiles loses about half its operations);
* ``payoffs(sig, theta)``: the same ``u`` on numpy arrays, ``(M, D)`` from ``(M, D)``
  and ``(M, J)`` (the numpy twin of the kernel, ``dopri.integrate_numpy``);
* ``derivatives(sig, theta)``: ``u`` and ``du[:, a, b] = d u_a / d sigma_b``, ``(M, D, D)``
  (Newton polishing and Jacobians of rest points, in ``simulate``).

``step(u)`` (``Heaviside(u)`` with value 1 at 0) becomes a conditional expression
before anything is derived or printed, so its derivative is zero where it is
constant (never a ``DiracDelta``).  Integer powers up to ``MAX_UNROLLED_POWER``
are written as products (no ``pow`` call in the vectorised loop), square roots as
``math.sqrt``.

The source is cached like ``rhs_codegen``'s: in the ``kernels`` folder of gamekit's
checked cache folder (``cache``), under a name that hashes the generated text and
the kernel modules it depends on, imported from there with numba's on-disk cache
in the same folder, and only if the file is ours, private and holds exactly the
text written here.  A model whose payoffs have more than ``MAX_OPERATIONS``
operations after elimination of common subexpressions is not compiled
(``load`` returns None; the caller integrates with the numpy twin).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import sympy
from sympy.printing.pycode import PythonCodePrinter

from .rhs_codegen import import_generated, prologue, share_lines, written
from .tableau import UNDERFLOW

__all__ = ["Field", "MAX_OPERATIONS", "MAX_UNROLLED_POWER", "MAX_MERGED_OPERATIONS"]

MAX_OPERATIONS = 20_000  # operations in the generated payoffs; beyond, numba would take minutes to compile
MAX_UNROLLED_POWER = 16  # x**n for integers 2 <= |n| <= this is written as a product
MAX_MERGED_OPERATIONS = 2_000  # payoffs of more nodes are compiled without merging sums of shares (time)
# at most this many rows, ``derivatives`` evaluates row by row on Python floats (lambdify's "math" module): a
# call on numpy arrays costs about a microsecond per operation whatever the rows, 0.4 ms for the platform model's
# 42 expressions at one row, where a polished rest point or two is all simulate asks for
SCALAR_ROWS = 4
_loaded: dict[str, object] = {}


def _polynomial(expr: sympy.Expr) -> bool:
    """Whether ``expr`` is sums and products of symbols, rationals and their powers to positive integers, in at most
    ``MAX_MERGED_OPERATIONS`` nodes (a cheap test, before anything is expanded)."""
    for count, node in enumerate(sympy.preorder_traversal(expr)):
        if count > MAX_MERGED_OPERATIONS:
            return False
        if node.is_Add or node.is_Mul or node.is_Symbol or node.is_Rational:
            continue
        if not (node.is_Pow and node.exp.is_Integer and node.exp > 0):
            return False
    return True


def _shares_sum_to_one(
    expr: sympy.Expr, groups: Sequence[Sequence[sympy.Symbol]], parameters: Sequence[sympy.Symbol]
) -> sympy.Expr:
    """``expr`` with every sum ``c m (s_a + ... + s_z)`` over all the shares of one population replaced by ``c m``.

    For ``expr`` a polynomial with rational coefficients in the shares (``groups``: the share symbols of each
    population) and the parameters: wherever the terms ``c m s_i``, ``i`` over the strategies of population
    ``p``, have the same coefficient ``c`` (a polynomial in the parameters) and the same monomial ``m`` in the
    other shares, they become one term ``c m``, as the shares of a population sum to one.  Repeated over the
    populations until nothing merges.  Equal on the simplex, and closer to the exact value there than the sum
    (which is one only up to rounding).  An expected payoff written out as a sum over profiles loses about half
    its operations: a payoff that ignores a population's strategy stops multiplying by that population's
    shares.  Anything else (another function of the shares or the parameters, more than
    ``MAX_MERGED_OPERATIONS`` nodes, nothing to merge) is returned as it is.
    """
    gens = [s for g in groups for s in g]
    if not expr.free_symbols & set(gens) or not _polynomial(expr):
        return expr
    poly = sympy.Poly(expr, *gens, *parameters)
    if not (poly.domain.is_ZZ or poly.domain.is_QQ):
        return expr
    d = len(gens)
    # share monomial -> its coefficient, a polynomial in the parameters (parameter monomial -> rational)
    terms: dict[tuple[int, ...], dict[tuple[int, ...], object]] = {}
    for mon, c in poly.terms():
        terms.setdefault(mon[:d], {})[mon[d:]] = c
    where = {s: n for n, s in enumerate(gens)}
    any_merged = False
    while True:
        merged = False
        for group in groups:
            pos = [where[s] for s in group]
            # terms of degree one in this population's shares, by the monomial in the others
            linear: dict[tuple[int, ...], dict[int, dict]] = {}
            for mon, c in terms.items():
                hits = [n for n in pos if mon[n]]
                if len(hits) == 1 and mon[hits[0]] == 1:
                    linear.setdefault(mon[: hits[0]] + (0,) + mon[hits[0] + 1 :], {})[hits[0]] = c
            for rest, cs in linear.items():
                first = cs.get(pos[0])
                if len(cs) < len(pos) or any(c != first for c in cs.values()):
                    continue
                for n in pos:
                    del terms[rest[:n] + (1,) + rest[n + 1 :]]
                total = dict(terms.get(rest, {}))
                for q, c in first.items():
                    total[q] = total.get(q, 0) + c
                terms[rest] = {q: c for q, c in total.items() if c != 0}
                if not terms[rest]:
                    del terms[rest]
                merged = True
        if not merged:
            break
        any_merged = True
    if not any_merged:
        return expr

    def monomial(symbols, mon):
        return sympy.Mul(*(s**e for s, e in zip(symbols, mon) if e))

    return sympy.Add(
        *(
            sympy.Add(*(c * monomial(parameters, q) for q, c in coef.items())) * monomial(gens, mon)
            for mon, coef in terms.items()
        )
    )


def _steps(expr: sympy.Expr) -> sympy.Expr:
    """``Heaviside(a, h0)`` as a conditional: 1 for a > 0, ``h0`` at 0 (1 for gamekit's ``step``), 0 below."""

    def piece(arg, h0=None):
        at_zero = sympy.Integer(1) if h0 is None or h0 == sympy.Integer(1) else h0
        if at_zero == 1:
            return sympy.Piecewise((1, arg >= 0), (0, True))
        return sympy.Piecewise((1, arg > 0), (at_zero, sympy.Eq(arg, 0)), (0, True))

    return expr.replace(sympy.Heaviside, piece) if expr.has(sympy.Heaviside) else expr


class _Printer(PythonCodePrinter):
    """Python for numba's nopython mode: ``math`` functions, powers written out, floats for rationals."""

    def _print_Pow(self, expr, rational=False):
        base, e = expr.base, expr.exp
        if e.is_Integer and 2 <= abs(int(e)) <= MAX_UNROLLED_POWER:
            b = self.parenthesize(base, sympy.printing.precedence.PRECEDENCE["Mul"] + 1)
            prod = "*".join([b] * abs(int(e)))
            return f"({prod})" if e > 0 else f"(1.0/({prod}))"
        if e == -1:
            return f"(1.0/({self._print(base)}))"
        if e == sympy.Rational(1, 2):
            return f"math.sqrt({self._print(base)})"
        if e == -sympy.Rational(1, 2):
            return f"(1.0/math.sqrt({self._print(base)}))"
        return f"({self._print(base)})**({self._print(sympy.Float(e) if e.is_Rational else e)})"

    def _print_Rational(self, expr):
        return repr(float(expr))

    def _print_Integer(self, expr):
        return repr(float(expr))

    def _print_Float(self, expr):
        return repr(float(expr))


def _nan_max(*args):
    return math.nan if any(a != a for a in args) else max(args)


def _nan_min(*args):
    return math.nan if any(a != a for a in args) else min(args)


def _nan_copysign(x, y):
    return math.nan if y != y else math.copysign(x, y)


# what the "math" printer's max, min and sign (copysign) become on Python floats: NaN in, NaN out, as numpy's
# maximum, minimum and sign (Python's max(0, nan) is 0, copysign(1, nan) is 1)
_NAN_AS_NUMPY = {"max": _nan_max, "min": _nan_min, "copysign": _nan_copysign}


class Field:
    """Expected payoffs ``u[i](sigma, theta)`` of one model, compiled for the kernel and for numpy.

    Parameters
    ----------
    payoffs
        Per population, each strategy's expected payoff: sympy expressions in ``sigma`` and ``parameters``.
    sigma
        The ``D`` share symbols, populations concatenated (``shape`` says how many each has).
    parameters
        The parameter symbols, in the order of the parameter values the kernel receives.
    shape
        Strategies per population.
    """

    def __init__(
        self,
        payoffs: Sequence[Sequence[sympy.Expr]],
        sigma: Sequence[sympy.Symbol],
        parameters: Sequence[sympy.Symbol],
        shape: Sequence[int],
    ):
        self.shape = tuple(int(n) for n in shape)
        self.d = sum(self.shape)
        if len(sigma) != self.d or [len(u) for u in payoffs] != list(self.shape):
            raise ValueError("payoffs and share symbols do not match the shape")
        self.n_parameters = len(parameters)
        # printing names: s<i> shares, q<j> parameters (nothing else in the generated code is named so)
        self._s = [sympy.Symbol(f"s{i}", real=True) for i in range(self.d)]
        self._q = [sympy.Symbol(f"q{j}", real=True) for j in range(self.n_parameters)]
        rename = dict(zip(sigma, self._s)) | dict(zip(parameters, self._q))
        flat = [_steps(sympy.sympify(u)) for pop in payoffs for u in pop]
        stray = set().union(*(u.free_symbols for u in flat)) - set(rename)
        if stray:
            names = ", ".join(sorted(str(s) for s in stray))
            raise ValueError(f"the payoffs depend on symbols that are neither shares nor parameters: {names}")
        self.exprs = tuple(u.xreplace(rename) for u in flat)
        self._numpy = None
        self._derivatives = None
        self._scalar = None  # derivatives on Python floats (False: not printable with "math")
        self._cse = None
        self._names: dict[int, tuple[str, str]] = {}
        self._operations: int | None = None

    # ------------------------------------------------------------------ generated code

    def _eliminated(self):
        if self._cse is None:
            groups = [self._s[a:z] for a, z in zip(np.cumsum((0, *self.shape[:-1])), np.cumsum(self.shape))]
            merged = [_shares_sum_to_one(u, groups, self._q) for u in self.exprs]
            self._cse = sympy.cse(merged, symbols=sympy.numbered_symbols("c"), order="none")
        return self._cse

    def operations(self) -> int:
        """Operations in the payoffs after common subexpressions are eliminated."""
        subs, reduced = self._eliminated()
        return int(sum(sympy.count_ops(e) for _, e in subs) + sum(sympy.count_ops(e) for e in reduced))

    def source(self, lanes: int) -> str:
        """The Python source of a module defining ``rhs``, a numba cfunc with the kernel's RHS signature."""
        shape, d, k = self.shape, self.d, len(self.shape)
        off = np.concatenate([[0], np.cumsum(shape)]).astype(int)
        n_par = max(self.n_parameters, 1)
        o = prologue(
            f"gamekit._kernels.rhs_field for a model of shape {shape}", d, k, n_par, lanes, ("import math", "")
        )
        b = "        "
        # the shares, as rhs_codegen writes them; a share below exp(UNDERFLOW) is exactly zero (rhs_codegen's
        # cutoff for two populations: here a payoff is any function of the shares, not a product of k - 1)
        o += share_lines(off, b, UNDERFLOW)
        o += self.payoff_lines(b)
        for p in range(k):
            a, z = int(off[p]), int(off[p + 1])
            o.append(f"{b}r = ref[{p}, ln]")
            o.append(f"{b}ur = u{a}")
            for i in range(a + 1, z):
                o.append(f"{b}ur = u{i} if r == {i} else ur")
            # a dead strategy's payoff may be undefined (0 * inf): select, never multiply by alive
            o += [f"{b}out[{i}, ln] = (u{i} - ur) if al[{i}, ln] > 0.0 else 0.0" for i in range(a, z)]
        return "\n".join(o) + "\n"

    def payoff_lines(self, b: str) -> list[str]:
        """Lines (indented ``b``) that compute every payoff ``u<i>`` from the shares ``s<i>`` and the parameters
        ``q<j> = pay[0, j, ln]`` (common subexpressions ``c<n>`` first).  (Shared with ``flow_stage``.)"""
        printer = _Printer({"fully_qualified_modules": True, "standard": "python3"})
        subs, reduced = self._eliminated()
        o = [f"{b}# parameters, then the payoffs (common subexpressions first)"]
        o += [f"{b}q{j} = pay[0, {j}, ln]" for j in range(self.n_parameters)]
        o += [f"{b}{sym} = {printer.doprint(e)}" for sym, e in subs]
        o += [f"{b}u{i} = {printer.doprint(e)}" for i, e in enumerate(reduced)]
        return o

    def _name(self, lanes: int) -> tuple[str, str]:
        """The generated source and the module name that hashes it with its dependencies (kept per lanes)."""
        if lanes in self._names:
            return self._names[lanes]
        text = self.source(lanes)
        here = Path(__file__).parent
        deps = b"".join(
            (here / f).read_bytes()
            for f in ("rhs_field.py", "rhs_codegen.py", "primitives.py", "tableau.py", "cache.py")
        )
        digest = hashlib.sha1(text.encode() + deps).hexdigest()[:16]
        self._names[lanes] = (text, f"gamekit_field_{'x'.join(map(str, self.shape))}_{digest}")
        return self._names[lanes]

    def compilable(self) -> bool:
        """Whether the kernel may be generated (at most ``MAX_OPERATIONS`` operations)."""
        if self._operations is None:
            self._operations = self.operations()
        return self._operations <= MAX_OPERATIONS

    def cached(self, lanes: int) -> bool:
        """Whether this model's RHS is loaded in this process or written by an earlier one (no compiling needed)."""
        if not self.compilable():
            return False
        text, name = self._name(lanes)
        return name in _loaded or written(text, name)

    def load(self, lanes: int):
        """The compiled RHS of this model (generated, written and imported once per process), or None if too large."""
        if not self.compilable():
            return None
        text, name = self._name(lanes)
        if name in _loaded:
            return _loaded[name]
        _loaded[name] = import_generated(text, name, f"this model (shape {self.shape})")
        return _loaded[name]

    # ------------------------------------------------------------------ numpy

    def _columns(self, sig, theta):
        sig = np.asarray(sig, dtype=float)
        m = sig.shape[0]
        theta = np.asarray(theta, dtype=float).reshape(-1, self.n_parameters) if self.n_parameters else None
        cols = [sig[:, i] for i in range(self.d)]
        if self.n_parameters:
            theta = np.broadcast_to(theta, (m, self.n_parameters))
            cols += [theta[:, j] for j in range(self.n_parameters)]
        return m, cols

    def payoffs(self, sig: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """``u`` (M, D) at shares ``sig`` (M, D) and parameter rows ``theta`` (M, J) or (1, J)."""
        if self._numpy is None:
            self._numpy = sympy.lambdify(self._s + self._q, list(self.exprs), modules="numpy", cse=True)
        m, cols = self._columns(sig, theta)
        out = np.empty((m, self.d))
        with np.errstate(all="ignore"):
            for i, col in enumerate(self._numpy(*cols)):
                out[:, i] = col
        return out

    def _gradient_exprs(self) -> list:
        """``u`` then ``d u_a / d sigma_b`` (row-major), the expressions ``derivatives`` evaluates."""
        return list(self.exprs) + [_steps(sympy.diff(u, s)) for u in self.exprs for s in self._s]

    def derivatives(self, sig: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``u`` (M, D) and ``du`` (M, D, D), ``du[:, a, b] = d u_a / d sigma_b``, at ``sig`` and ``theta``
        (up to ``SCALAR_ROWS`` rows on Python floats, the same expressions; on numpy arrays, which give NaN or inf,
        if one raises there, as a square root of a negative number does, or a value is not finite)."""
        m, cols = self._columns(sig, theta)
        d = self.d
        if m <= SCALAR_ROWS and self._scalar is not False:
            if self._scalar is None:
                try:
                    self._scalar = sympy.lambdify(
                        self._s + self._q, self._gradient_exprs(), modules=[_NAN_AS_NUMPY, "math"], cse=True
                    )
                except Exception:  # noqa: BLE001 - a function math cannot print: numpy arrays always
                    self._scalar = False
            if self._scalar is not False:
                try:  # (a complex power of a negative number is a TypeError here)
                    rows = [self._scalar(*(float(c[r]) for c in cols)) for r in range(m)]
                    values = np.array(rows, dtype=float).reshape(m, d + d * d)
                except (ArithmeticError, ValueError, TypeError, NameError):
                    values = None
                # a value that is not finite came from an overflow or a NaN, which Python's sign, min, max and
                # comparisons may have turned into a number: numpy arrays say NaN where numpy does
                if values is not None and np.isfinite(values).all():
                    return values[:, :d].copy(), values[:, d:].reshape(m, d, d)
        if self._derivatives is None:
            self._derivatives = sympy.lambdify(self._s + self._q, self._gradient_exprs(), modules="numpy", cse=True)
        u = np.empty((m, d))
        du = np.empty((m, d * d))
        with np.errstate(all="ignore"):
            values = self._derivatives(*cols)
            for i in range(d):
                u[:, i] = values[i]
            for j in range(d * d):
                du[:, j] = values[d + j]
        return u, du.reshape(m, d, d)
