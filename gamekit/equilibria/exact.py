r"""Polynomial faces solved by sympy, in a separate process, within a time budget.

On a face where ``m >= 3`` populations mix the equations
``u_p(i) - u_p(l_p) = 0`` are multilinear (degree ``m - 1``) in the unknown
shares.  sympy's ``solve`` finds every solution exactly (rationals, radicals)
when the face is small, but nothing bounds its time: factorisation and
Groebner bases can run for minutes.  Interrupting sympy with a signal leaves
its caches inconsistent, so the functions here run in the separate process of
:mod:`gamekit._worker`: each request has a deadline, and a worker that misses
it is killed, never interrupted.  The face then goes to the numeric search, and the
result says so.

Only payoffs that are small rationals (:func:`gamekit.dynamics.rational_payoffs`)
reach sympy, and only faces with at most ``max_exact_unknowns`` unknowns.  A
rest point's exact eigenvalues are asked for in a second request with its own
deadline; if that one runs out, the point stays exact and its eigenvalues are
numeric.
"""

from __future__ import annotations

import numpy as np
import sympy

from .._worker import BudgetSpent, worker
from ..dynamics import contract, tangent_jacobian
from .faces import share_symbols

__all__ = ["solve_face", "eigenvalues", "BudgetSpent", "worker"]

CONTINUUM_SAMPLES = 400  # random points tried to find a continuum's point inside its face


# -- worker side ------------------------------------------------------------------------------------------


def _sympy_tensors(tensors):
    out = []
    for t in tensors:
        arr = np.empty(t.shape, dtype=object)
        for idx in np.ndindex(t.shape):
            arr[idx] = sympy.Rational(t[idx].numerator, t[idx].denominator)
        out.append(arr)
    return out


def _face_system(tensors, shape, support):
    syms = share_symbols(support)
    unknowns, rows, sub_rows = [], [], []
    for p, (n, sup) in enumerate(zip(shape, support)):
        row = np.array([sympy.Integer(0)] * n, dtype=object)
        if len(sup) == 1:
            row[sup[0]] = sympy.Integer(1)
        else:
            unknowns += syms[p]
            for i, sym in zip(sup[:-1], syms[p]):
                row[i] = sym
            row[sup[-1]] = 1 - sympy.Add(*syms[p])
        rows.append(row)
        sub_rows.append(row[list(sup)])
    equations = []
    for p, sup in enumerate(support):
        if len(sup) > 1:
            u = contract(tensors[p][np.ix_(*support)], sub_rows, keep=(p,))
            equations += [sympy.expand(u[i] - u[-1]) for i in range(len(sup) - 1)]
    return unknowns, rows, equations


def _positive(value) -> bool:
    if value.is_real is False:
        return False
    if value.is_positive:
        return True
    if value.is_nonpositive:
        return False
    z = complex(sympy.N(value, 50))
    return abs(z.imag) < 1e-30 and z.real > 0


def solve_face(tensors, shape, support, seed):
    """Rest points and continua of one face: ``(points, continua)`` with points as exact rows."""
    tensors = _sympy_tensors(tensors)
    unknowns, rows, equations = _face_system(tensors, shape, support)
    solutions = [{}] if all(eq == 0 for eq in equations) else sympy.solve(equations, unknowns, dict=True)
    points, continua = [], []
    rng = np.random.default_rng(seed)
    for sol in solutions:
        free = [u for u in unknowns if u not in sol]
        state = [[sympy.sympify(v).xreplace(sol) for v in row] for row in rows]
        if free:
            example = _continuum_example(state, free, support, rng)
            if example is not None:
                eqs = tuple(sympy.factor(k - v) for k, v in sol.items())
                continua.append((tuple(unknowns), eqs, len(free), example))
            continue
        if all(_positive(state[p][i]) for p, sup in enumerate(support) for i in sup):
            numeric = [[float(sympy.re(sympy.N(v, 30))) for v in row] for row in state]
            points.append((state, numeric))
    return points, continua


def _continuum_example(state, free, support, rng):
    cells = [(p, i) for p, sup in enumerate(support) for i in sup]
    f = sympy.lambdify(free, [state[p][i] for p, i in cells], "numpy")
    picks = rng.uniform(0, 1, size=(CONTINUUM_SAMPLES, len(free)))
    with np.errstate(all="ignore"):
        vals = np.array([np.broadcast_to(np.asarray(v, dtype=complex), (CONTINUUM_SAMPLES,)) for v in f(*picks.T)])
    ok = np.all((np.abs(vals.imag) < 1e-12) & (vals.real > 1e-9), axis=0)
    if not ok.any():
        return None
    j = int(np.argmax(ok))
    point = {u: float(x) for u, x in zip(free, picks[j])}
    return tuple(tuple(float(sympy.re(v.xreplace(point))) for v in row) for row in state)


def eigenvalues(tensors, state):
    """Exact eigenvalues of the tangent Jacobian at an exact state, or None."""
    J = sympy.Matrix(tangent_jacobian(_sympy_tensors(tensors), [np.array(r, dtype=object) for r in state]))
    J = J.applyfunc(sympy.nsimplify) if not all(e.is_Rational for e in J) else J
    ev = J.eigenvals(multiple=True)
    if len(ev) != J.shape[0]:
        return None
    return tuple(ev), tuple(complex(sympy.N(e, 30)) for e in ev)
