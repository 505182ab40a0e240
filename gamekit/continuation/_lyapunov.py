r"""The first Lyapunov coefficient at a Hopf point (Kuznetsov, *Elements of Applied Bifurcation Theory*, (3.20)).

In the tangent coordinates ``c`` (each population's last share eliminated) the replicator field is ``f(c)``, with
``A = Df``, ``B(x, y) = D^2 f[x, y]`` and ``C(x, y, z) = D^3 f[x, y, z]`` at the rest point.  With ``A q = i w q``,
``A^T p = -i w p`` and ``<p, q> = sum conj(p_i) q_i = 1``::

    l_1 = Re( <p, C(q, q, conj q)> - 2 <p, B(q, A^{-1} B(q, conj q))> + <p, B(conj q, (2 i w - A)^{-1} B(q, q))> ) / (2 w).

``l_1 < 0``: a stable cycle is born (supercritical); ``l_1 > 0``: an unstable one (subcritical); ``l_1 = 0``: the
crossing is degenerate (higher order decides; a centre surrounded by closed orbits has every coefficient zero).
"""

from __future__ import annotations

import numpy as np
import sympy

from ._field import LeverField


def _tensors(lever: LeverField):
    cache = getattr(lever, "_lyapunov", None)
    if cache is not None:
        return cache
    coords, subs, field = [], {}, []
    for p, n in enumerate(lever.shape):
        start = int(lever.off[p])
        own = [sympy.Symbol(f"c{p}_{i}", real=True) for i in range(n - 1)]
        coords += own
        for i in range(n - 1):
            subs[lever.flat_sigma[start + i]] = own[i]
        subs[lever.flat_sigma[start + n - 1]] = 1 - sum(own)
    u = [e.xreplace(subs) for e in lever.u]
    for p, n in enumerate(lever.shape):
        start = int(lever.off[p])
        sig = [lever.flat_sigma[start + i].xreplace(subs) for i in range(n)]
        ubar = sum(s * u[start + i] for i, s in enumerate(sig))
        field += [sig[i] * (u[start + i] - ubar) for i in range(n - 1)]
    d = len(coords)
    second = [[[sympy.diff(field[i], coords[j], coords[k]) for k in range(d)] for j in range(d)] for i in range(d)]
    third = [
        [[[sympy.diff(second[i][j][k], coords[m]) for m in range(d)] for k in range(d)] for j in range(d)]
        for i in range(d)
    ]
    flat = [e for a in second for b in a for e in b] + [e for a in third for b in a for c in b for e in c]
    fn = sympy.lambdify(coords + [lever.lam], flat, modules="numpy", cse=True)
    lever._lyapunov = (fn, d)
    return lever._lyapunov


def first_lyapunov(lever: LeverField, sig: np.ndarray, lam: float) -> tuple[float | None, float]:
    """``(l_1, size)`` at the rest point ``sig`` (full shares) and ``lam``; ``size`` is the sum of the magnitudes of
    the three terms (over ``2 w``), against which ``l_1`` is judged zero.  ``l_1`` is None when no complex pair."""
    fn, d = _tensors(lever)
    coords = [sig[int(lever.off[p]) + i] for p, n in enumerate(lever.shape) for i in range(n - 1)]
    vals = np.array([float(v) for v in fn(*coords, lam)], dtype=float)
    Bt = vals[: d**3].reshape(d, d, d)
    Ct = vals[d**3 :].reshape(d, d, d, d)
    A = lever.jacobians(sig[None, :], lam)[0]
    ev, vecs = np.linalg.eig(A)
    cand = [k for k in range(d) if ev[k].imag > 0]
    if not cand:
        return None, 0.0
    k = min(cand, key=lambda k: abs(ev[k].real))
    w = float(ev[k].imag)
    q = vecs[:, k]
    evt, vecst = np.linalg.eig(A.T)
    kt = int(np.argmin(np.abs(evt - np.conj(ev[k]))))
    p = vecst[:, kt]
    p = p / np.conj(np.vdot(p, q))  # so that <p, q> = vdot(p, q) = 1

    def B(x, y):
        return np.einsum("ijk,j,k->i", Bt, x, y)

    def C(x, y, z):
        return np.einsum("ijkl,j,k,l->i", Ct, x, y, z)

    try:
        t1 = np.vdot(p, C(q, q, np.conj(q)))
        t2 = -2 * np.vdot(p, B(q, np.linalg.solve(A, B(q, np.conj(q)))))
        t3 = np.vdot(p, B(np.conj(q), np.linalg.solve(2j * w * np.eye(d) - A, B(q, q))))
    except np.linalg.LinAlgError:
        return None, 0.0
    l1 = float((t1 + t2 + t3).real) / (2 * w)
    size = (abs(t1) + abs(t2) + abs(t3)) / (2 * w)
    return l1, size
