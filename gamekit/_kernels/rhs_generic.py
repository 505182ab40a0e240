"""The right-hand side for any game shape, behind the common C signature (for games too large to write out);
its payoffs (``payoffs``) also serve the share-coordinate driver's stage for such games (``flow_stage``).

The same field as the generated code of ``rhs_codegen`` (see ``dopri`` for the
mathematics), with loops over strategies and profiles read from index tables.
Imported, and so compiled, only when a game exceeds ``rhs_codegen.MAX_TERMS``.
"""

from __future__ import annotations

import numba
import numpy as np

from .cache import cfunc, njit
from .primitives import LANES, RHS_SIGNATURE, exp_neg
from .tableau import UNDERFLOW

__all__ = ["rhs_generic", "payoffs", "tables_of"]


@njit(error_model="numpy")
def _rhs(v, alive, ref, payl, off, others, flat, nq, sig, u, w, m, tot, out):
    """dv/dt and the shares for every lane: v, alive (1.0 or 0.0), sig, u, out are (D, L); ref (k, L); payl (k, P, L)."""
    k = off.shape[0] - 1
    L = v.shape[1]
    cutoff = UNDERFLOW / max(k - 1, 1)
    # (the exponentials run in loops of their own: fused into a longer loop they stop it vectorising)
    for p in range(k):
        a, b = off[p], off[p + 1]
        if b - a == 2:
            # two strategies, one exponential: sigma_a = 1 / (1 + exp(v_b - v_a)); a dead strategy sits at -inf
            for ln in range(L):
                x = v[a + 1, ln] - v[a, ln]
                x = x if alive[a, ln] > 0.0 else 1e300
                x = x if alive[a + 1, ln] > 0.0 else -1e300
                m[ln] = -abs(x)
            for ln in range(L):
                m[ln] = exp_neg(m[ln])
            for ln in range(L):
                x = v[a + 1, ln] - v[a, ln]
                x = x if alive[a, ln] > 0.0 else 1e300
                x = x if alive[a + 1, ln] > 0.0 else -1e300
                e = m[ln] if -abs(x) > cutoff else 0.0
                big = 1.0 / (1.0 + e)
                small = e * big
                sig[a, ln] = big if x <= 0.0 else small
                sig[a + 1, ln] = small if x <= 0.0 else big
            continue
        for ln in range(L):
            m[ln] = -1e300
            tot[ln] = 0.0
        for i in range(a, b):
            for ln in range(L):
                m[ln] = max(m[ln], v[i, ln] if alive[i, ln] > 0.0 else -1e300)
        for i in range(a, b):
            for ln in range(L):
                sig[i, ln] = v[i, ln] - m[ln]
            for ln in range(L):
                sig[i, ln] = exp_neg(sig[i, ln])
            for ln in range(L):
                e = sig[i, ln] * alive[i, ln] if v[i, ln] - m[ln] > cutoff else 0.0
                sig[i, ln] = e
                tot[ln] += e
        for ln in range(L):
            tot[ln] = 1.0 / tot[ln]
        for i in range(a, b):
            for ln in range(L):
                sig[i, ln] *= tot[ln]
    payoffs(sig, payl, off, others, flat, nq, u, w)
    for p in range(k):
        for i in range(off[p], off[p + 1]):
            for ln in range(L):
                out[i, ln] = (u[i, ln] - u[ref[p, ln], ln]) * alive[i, ln]


@njit(error_model="numpy")
def payoffs(sig, payl, off, others, flat, nq, u, w):
    """Every strategy's payoff ``u`` (D, L) at the shares ``sig`` (D, L), lane by lane: ``u_p(i) = sum_j' pay_p(i,
    j') W_p[j']``, the weights ``W`` (Q, L) products of the opponents' shares.  (Shared with ``flow_stage``.)"""
    k = off.shape[0] - 1
    L = sig.shape[1]
    for p in range(k):
        q = nq[p]
        for jj in range(q):
            src = others[p, jj, 0]
            for ln in range(L):
                w[jj, ln] = sig[src, ln] if k > 1 else 1.0  # (one population: no opponents)
            for c in range(1, k - 1):
                src = others[p, jj, c]
                for ln in range(L):
                    w[jj, ln] *= sig[src, ln]
        for i in range(off[p], off[p + 1]):
            f = flat[i, 0]
            for ln in range(L):
                u[i, ln] = payl[p, f, ln] * w[0, ln]
            for jj in range(1, q):
                f = flat[i, jj]
                for ln in range(L):
                    u[i, ln] += payl[p, f, ln] * w[jj, ln]


@njit(inline="always")
def tables_of(ip):
    """``k, d, n_prof, q, off, nq, others, flat`` from the packed tables at address ``ip`` (``layout.pack_tables``)."""
    head = numba.carray(ip, (4,), dtype=np.int64)
    k, d, n_prof, q = head[0], head[1], head[2], head[3]
    c = max(k - 1, 1)
    n_tab = 4 + (k + 1) + k + k * q * c + d * q
    tab = numba.carray(ip, (n_tab,), dtype=np.int64)
    off = tab[4 : 5 + k]
    nq = tab[5 + k : 5 + 2 * k]
    others = tab[5 + 2 * k : 5 + 2 * k + k * q * c].reshape((k, q, c))
    flat = tab[5 + 2 * k + k * q * c :].reshape((d, q))
    return k, d, n_prof, q, off, nq, others, flat


@cfunc(RHS_SIGNATURE, error_model="numpy")
def rhs_generic(vp, ap, rp, pp, sp, op, ip, wp):
    """_rhs behind the common signature; ``tables`` holds k, D, P, Q, off, nq, others, flat (see ``layout.pack_tables``)."""
    k, d, n_prof, q, off, nq, others, flat = tables_of(ip)
    L = LANES
    work = numba.carray(wp, (2 * L + d * L + q * L,), dtype=np.float64)
    _rhs(
        numba.carray(vp, (d, L), dtype=np.float64),
        numba.carray(ap, (d, L), dtype=np.float64),
        numba.carray(rp, (k, L), dtype=np.int64),
        numba.carray(pp, (k, n_prof, L), dtype=np.float64),
        off,
        others,
        flat,
        nq,
        numba.carray(sp, (d, L), dtype=np.float64),
        work[2 * L : 2 * L + d * L].reshape((d, L)),
        work[2 * L + d * L :].reshape((q, L)),
        work[:L],
        work[L : 2 * L],
        numba.carray(op, (d, L), dtype=np.float64),
    )
