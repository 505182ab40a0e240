"""The compiled Dormand-Prince kernel (numba); see ``dopri`` for the arrays and the algorithm.

Orbits run in *lanes*: each call owns a range of orbits and advances ``LANES``
of them in lock-step, every lane with its own time, step size and parameter
segment.  Every array of the working set is laid out ``(strategy, lane)`` and
every loop over lanes is innermost, branch-free and free of calls, so that the
compiler turns it into SIMD instructions: the stages, the right-hand side, the
error norm, the acceptance and the window statistics all run vectorised over
lanes.  Only the step-size decision, the output times and the parameter
segments are scalar per lane.  When a lane's orbit reaches ``t_end`` the lane
takes the next orbit of the range, so a long cycling orbit does not hold the
others back.

Ranges of orbits run on a pool of Python threads, one per core: the compiled
range integrator releases the GIL.  (A numba ``parallel=True`` loop would do the
same but takes about a second to load from the on-disk cache in every process.)

Imported only when first used, so that ``import gamekit`` does not import numba.
Compiled functions are cached on disk (``cache=True``): a second process loads
them instead of compiling.
"""

import numba
import numpy as np

from .dopri import H0, MAX_FACTOR, MIN_FACTOR, SAFETY, UNDERFLOW, A, B, E

LANES = 64

LOG2E = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01  # ln 2 with trailing zero bits: n * LN2_HI is exact for |n| < 2**11
LN2_LO = 1.90821492927058770002e-10
POW2 = np.array([2.0**-j for j in range(1100)])  # 2**-j


@numba.njit(cache=True, inline="always", error_model="numpy")
def _exp(x):
    """exp(x) for x <= 0 to about 1 ulp, without a libm call, so that the loop around it vectorises.

    Cody-Waite reduction x = n ln 2 + r with |r| <= ln(2) / 2, Taylor polynomial of degree 13
    (remainder below 1e-17), and 2**n from a table (x is clamped to [-745, 0]).
    """
    x = x if x > -745.0 else -745.0  # also NaN: the table index below stays in range
    x = x if x < 0.0 else 0.0
    n = np.floor(x * LOG2E + 0.5)
    r = (x - n * LN2_HI) - n * LN2_LO  # |r| <= ln(2) / 2
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    return p * POW2[np.uint64(-n)]


# The tableau as compile-time constants (numba freezes module globals), zero entries left out below.
A21 = A[1, 0]
A31, A32 = A[2, 0], A[2, 1]
A41, A42, A43 = A[3, 0], A[3, 1], A[3, 2]
A51, A52, A53, A54 = A[4, 0], A[4, 1], A[4, 2], A[4, 3]
A61, A62, A63, A64, A65 = A[5, 0], A[5, 1], A[5, 2], A[5, 3], A[5, 4]
B1, B3, B4, B5, B6 = B[0], B[2], B[3], B[4], B[5]
E1, E3, E4, E5, E6, E7 = E[0], E[2], E[3], E[4], E[5], E[6]


@numba.njit(cache=True, error_model="numpy")
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
                m[ln] = _exp(m[ln])
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
                sig[i, ln] = _exp(sig[i, ln])
            for ln in range(L):
                e = sig[i, ln] * alive[i, ln] if v[i, ln] - m[ln] > cutoff else 0.0
                sig[i, ln] = e
                tot[ln] += e
        for ln in range(L):
            tot[ln] = 1.0 / tot[ln]
        for i in range(a, b):
            for ln in range(L):
                sig[i, ln] *= tot[ln]
    for p in range(k):
        q = nq[p]
        for jj in range(q):
            src = others[p, jj, 0]
            for ln in range(L):
                w[jj, ln] = sig[src, ln]
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
    for p in range(k):
        for i in range(off[p], off[p + 1]):
            for ln in range(L):
                out[i, ln] = (u[i, ln] - u[ref[p, ln], ln]) * alive[i, ln]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _run_range(start, stop, v0, alive0, ref0, pay, off, others, flat, nq, bounds, t_eval, tw, hmax, rtol, atol,
               max_steps, v_out, lo, hi, turns, out, steps_out, status_out):  # fmt: skip
    """Integrate orbits start..stop-1 in lanes, writing results into the output arrays."""
    d = v0.shape[1]
    k = ref0.shape[1]
    L = LANES
    nseg = bounds.shape[0] - 1
    n_out = t_eval.shape[0]
    t_end = bounds[nseg]
    per_orbit = pay.shape[1] != 1
    V = np.zeros((d, L))
    Y = np.zeros((d, L))
    K0 = np.zeros((d, L))
    K1 = np.zeros((d, L))
    K2 = np.zeros((d, L))
    K3 = np.zeros((d, L))
    K4 = np.zeros((d, L))
    K5 = np.zeros((d, L))
    K6 = np.zeros((d, L))
    SIG = np.zeros((d, L))
    SIGN = np.zeros((d, L))
    U = np.zeros((d, L))
    W = np.zeros((flat.shape[1], L))
    ALIVE = np.ones((d, L))
    FREE = np.zeros((d, L))
    PAYL = np.zeros((k, pay.shape[3], L))
    REF = np.zeros((k, L), dtype=np.int64)
    for p in range(k):
        for ln in range(L):
            REF[p, ln] = off[p]
    LO = np.zeros((d, L))
    HI = np.zeros((d, L))
    TURNS = np.zeros((d, L))
    LAST = np.zeros((d, L))
    m = np.zeros(L)
    tot = np.zeros(L)
    errsum = np.zeros(L)
    acc = np.zeros(L)
    inwin = np.zeros(L)
    t = np.zeros(L)
    h = np.zeros(L)
    hh = np.zeros(L)
    target = np.zeros(L)
    seg = np.zeros(L, dtype=np.int64)
    row = np.zeros(L, dtype=np.int64)
    orbit = np.full(L, -1, dtype=np.int64)
    nxt = np.zeros(L, dtype=np.int64)
    steps = np.zeros(L, dtype=np.int64)
    cnt = np.ones(L)
    fresh = np.zeros(L, dtype=np.bool_)
    next_orbit = start
    running = 0
    for ln in range(L):
        if next_orbit < stop:
            orbit[ln] = next_orbit
            next_orbit += 1
            running += 1
            fresh[ln] = True
    while running > 0:
        # lanes that start an orbit or a parameter segment: load, then the first stage
        any_fresh = False
        for ln in range(L):
            if fresh[ln]:
                any_fresh = True
                r = orbit[ln]
                if seg[ln] == 0:
                    for i in range(d):
                        V[i, ln] = v0[r, i]
                        ALIVE[i, ln] = 1.0 if alive0[r, i] else 0.0
                        FREE[i, ln] = ALIVE[i, ln]
                        LO[i, ln] = np.inf
                        HI[i, ln] = -np.inf
                        TURNS[i, ln] = 0.0
                        LAST[i, ln] = 0.0
                    for p in range(k):
                        REF[p, ln] = ref0[r, p]
                        FREE[ref0[r, p], ln] = 0.0
                    c = 0.0
                    for i in range(d):
                        c += FREE[i, ln]
                    cnt[ln] = max(c, 1.0)
                    row[ln] = r if per_orbit else 0
                    h[ln] = H0
                    t[ln] = 0.0
                    steps[ln] = 0
                    nxt[ln] = 0
                for p in range(k):
                    for f in range(pay.shape[3]):
                        PAYL[p, f, ln] = pay[seg[ln], row[ln], p, f]
        if any_fresh:
            _rhs(V, ALIVE, REF, PAYL, off, others, flat, nq, SIGN, U, W, m, tot, K6)
            for ln in range(L):
                if fresh[ln]:
                    for i in range(d):
                        K0[i, ln] = K6[i, ln]
                        SIG[i, ln] = SIGN[i, ln]
                    r = orbit[ln]
                    while nxt[ln] < n_out and t_eval[nxt[ln]] <= t[ln]:
                        for i in range(d):
                            out[r, nxt[ln], i] = SIG[i, ln]
                        nxt[ln] += 1
                    fresh[ln] = False
        # step sizes: up to the next segment boundary or output time
        for ln in range(L):
            if orbit[ln] < 0:
                hh[ln] = 0.0
                continue
            tg = bounds[seg[ln] + 1]
            if nxt[ln] < n_out and t_eval[nxt[ln]] < tg:
                tg = t_eval[nxt[ln]]
            if t[ln] < tw < tg:
                tg = tw
            target[ln] = tg
            hh[ln] = h[ln] if h[ln] < tg - t[ln] else tg - t[ln]
        # the six new stages (the last one at the fifth-order solution, which Y then holds)
        for i in range(d):
            for ln in range(L):
                Y[i, ln] = V[i, ln] + hh[ln] * (A21 * K0[i, ln])
        _rhs(Y, ALIVE, REF, PAYL, off, others, flat, nq, SIGN, U, W, m, tot, K1)
        for i in range(d):
            for ln in range(L):
                Y[i, ln] = V[i, ln] + hh[ln] * (A31 * K0[i, ln] + A32 * K1[i, ln])
        _rhs(Y, ALIVE, REF, PAYL, off, others, flat, nq, SIGN, U, W, m, tot, K2)
        for i in range(d):
            for ln in range(L):
                Y[i, ln] = V[i, ln] + hh[ln] * (A41 * K0[i, ln] + A42 * K1[i, ln] + A43 * K2[i, ln])
        _rhs(Y, ALIVE, REF, PAYL, off, others, flat, nq, SIGN, U, W, m, tot, K3)
        for i in range(d):
            for ln in range(L):
                Y[i, ln] = V[i, ln] + hh[ln] * (A51 * K0[i, ln] + A52 * K1[i, ln] + A53 * K2[i, ln] + A54 * K3[i, ln])
        _rhs(Y, ALIVE, REF, PAYL, off, others, flat, nq, SIGN, U, W, m, tot, K4)
        for i in range(d):
            for ln in range(L):
                Y[i, ln] = V[i, ln] + hh[ln] * (
                    A61 * K0[i, ln] + A62 * K1[i, ln] + A63 * K2[i, ln] + A64 * K3[i, ln] + A65 * K4[i, ln]
                )
        _rhs(Y, ALIVE, REF, PAYL, off, others, flat, nq, SIGN, U, W, m, tot, K5)
        for i in range(d):
            for ln in range(L):
                Y[i, ln] = V[i, ln] + hh[ln] * (
                    B1 * K0[i, ln] + B3 * K2[i, ln] + B4 * K3[i, ln] + B5 * K4[i, ln] + B6 * K5[i, ln]
                )
        _rhs(Y, ALIVE, REF, PAYL, off, others, flat, nq, SIGN, U, W, m, tot, K6)
        # error norm over the free coordinates
        for ln in range(L):
            errsum[ln] = 0.0
        for i in range(d):
            for ln in range(L):
                ec = (E1 * K0[i, ln] + E3 * K2[i, ln] + E4 * K3[i, ln] + E5 * K4[i, ln] + E6 * K5[i, ln]
                      + E7 * K6[i, ln])  # fmt: skip
                q = hh[ln] * ec / (atol + rtol * max(abs(V[i, ln]), abs(Y[i, ln])))
                errsum[ln] += q * q if FREE[i, ln] > 0.0 else 0.0
        # per lane: accept or reject, time and step size
        for ln in range(L):
            acc[ln] = 0.0
            inwin[ln] = 0.0
            if orbit[ln] < 0:
                continue
            err = np.sqrt(errsum[ln] / cnt[ln])
            steps[ln] += 1
            factor = MAX_FACTOR if err == 0.0 else min(MAX_FACTOR, max(MIN_FACTOR, SAFETY * err**-0.2))
            if err > 1.0:
                h[ln] = hh[ln] * min(factor, 1.0)
                continue
            acc[ln] = 1.0
            t_new = t[ln] + hh[ln]
            tg = target[ln]
            t[ln] = tg if t_new >= tg - 1e-12 * max(1.0, abs(tg)) else t_new
            if t[ln] >= tw:  # window statistics at the end of the accepted step
                inwin[ln] = 1.0
            h_new = max(h[ln], hh[ln] * factor) if hh[ln] < h[ln] else hh[ln] * factor
            h[ln] = min(hmax, h_new) if t[ln] >= tw else h_new
        # accepted lanes move on (first stage of the next step = last of this one)
        for i in range(d):
            for ln in range(L):
                take = acc[ln] > 0.0
                V[i, ln] = Y[i, ln] if take else V[i, ln]
                K0[i, ln] = K6[i, ln] if take else K0[i, ln]
                SIG[i, ln] = SIGN[i, ln] if take else SIG[i, ln]
        # window statistics: range of every share, and turning points of every log-ratio
        for i in range(d):
            for ln in range(L):
                inside = inwin[ln] > 0.0
                s_ = SIG[i, ln]
                g = K0[i, ln]
                sg = 1.0 if g > 0.0 else (-1.0 if g < 0.0 else 0.0)
                LO[i, ln] = min(LO[i, ln], s_) if inside else LO[i, ln]
                HI[i, ln] = max(HI[i, ln], s_) if inside else HI[i, ln]
                TURNS[i, ln] += 1.0 if inside and sg * LAST[i, ln] < 0.0 else 0.0
                LAST[i, ln] = sg if inside and sg != 0.0 else LAST[i, ln]
        # per lane: output times, segment boundaries, finished orbits and refills
        for ln in range(L):
            r = orbit[ln]
            if r < 0:
                continue
            if acc[ln] > 0.0:
                if nxt[ln] < n_out and abs(t[ln] - t_eval[nxt[ln]]) <= 1e-12 * max(1.0, t_end):
                    for i in range(d):
                        out[r, nxt[ln], i] = SIG[i, ln]
                    nxt[ln] += 1
                if abs(t[ln] - bounds[seg[ln] + 1]) <= 1e-12 * max(1.0, t_end):
                    seg[ln] += 1
                    if seg[ln] < nseg:
                        fresh[ln] = True  # new parameters: recompute the first stage
            finished = seg[ln] >= nseg
            if finished or steps[ln] >= max_steps:
                for i in range(d):
                    v_out[r, i] = V[i, ln]
                    lo[r, i] = LO[i, ln]
                    hi[r, i] = HI[i, ln]
                    turns[r, i] = int(TURNS[i, ln])
                steps_out[r] = steps[ln]
                status_out[r] = 0 if finished else 1
                seg[ln] = 0
                fresh[ln] = False
                if next_orbit < stop:
                    orbit[ln] = next_orbit
                    next_orbit += 1
                    fresh[ln] = True
                else:
                    orbit[ln] = -1
                    running -= 1
                    for i in range(d):
                        ALIVE[i, ln] = 1.0
                        V[i, ln] = 0.0
                    for p in range(k):
                        REF[p, ln] = off[p]


def integrate(v0, alive, ref, pay, off, others, flat, nq, bounds, t_eval, tw, hmax, rtol, atol, max_steps):
    """Integrate every orbit: ranges of orbits run on a thread pool (the kernel releases the GIL)."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    n, d = v0.shape
    n_out = t_eval.shape[0]
    v = np.zeros((n, d))
    lo = np.full((n, d), np.inf)
    hi = np.full((n, d), -np.inf)
    turns = np.zeros((n, d), dtype=np.int64)
    out = np.full((n, n_out, d), np.nan)
    steps = np.zeros(n, dtype=np.int64)
    status = np.zeros(n, dtype=np.int64)
    workers = max(1, min(os.cpu_count() or 1, (n + LANES - 1) // LANES))
    parts = max(1, min(8 * workers, (n + LANES - 1) // LANES))
    ranges = [((n * i) // parts, (n * (i + 1)) // parts) for i in range(parts)]

    def run(r):
        _run_range(r[0], r[1], v0, alive, ref, pay, off, others, flat, nq, bounds, t_eval, tw, hmax, rtol, atol,
                   max_steps, v, lo, hi, turns, out, steps, status)  # fmt: skip

    if workers == 1:
        for r in ranges:
            run(r)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run, ranges))
    return v, lo, hi, turns, out, steps, status
