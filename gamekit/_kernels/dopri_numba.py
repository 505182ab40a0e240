"""The compiled Dormand-Prince kernel (numba); see ``dopri`` for the arrays and the algorithm.

Orbits run in *lanes*: each call owns a range of orbits and advances ``LANES``
of them in lock-step, every lane with its own time, step size and parameter
segment; the right-hand side is evaluated for all lanes at once (arrays laid
out ``(strategy, lane)``), so independent orbits fill the processor's pipeline.
When a lane's orbit reaches ``t_end`` the lane takes the next orbit of the
range, so a long cycling orbit does not hold the others back.

Ranges of orbits run on a pool of Python threads, one per core: the compiled
range integrator releases the GIL.  (A numba ``parallel=True`` loop would do the
same but takes about a second to load from the on-disk cache in every process.)

Imported only when first used, so that ``import gamekit`` does not import numba.
Compiled functions are cached on disk (``cache=True``): a second process loads
them instead of compiling.
"""

import numba
import numpy as np

from .dopri import H0, MAX_FACTOR, MIN_FACTOR, SAFETY, UNDERFLOW

LANES = 16


@numba.njit(cache=True, inline="always", error_model="numpy")
def _rhs(v, alive, ref, payl, off, others, flat, nq, sig, u, w, m, tot, out):
    """dv/dt for every lane: v, alive (1.0 or 0.0), sig, u, out are (D, L); ref (k, L); payl (k, P, L)."""
    k = off.shape[0] - 1
    L = v.shape[1]
    cutoff = UNDERFLOW / max(k - 1, 1)
    for p in range(k):
        a, b = off[p], off[p + 1]
        for ln in range(L):
            m[ln] = -1e300
            tot[ln] = 0.0
        for i in range(a, b):
            for ln in range(L):
                cand = v[i, ln] if alive[i, ln] > 0.0 else -1e300
                m[ln] = max(m[ln], cand)
        for i in range(a, b):
            for ln in range(L):
                x = max(v[i, ln] - m[ln], cutoff)
                e = np.exp(x) * alive[i, ln]
                e = e if x > cutoff else 0.0
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
            for ln in range(L):
                w[jj, ln] = 1.0
            for c in range(k - 1):
                src = others[p, jj, c]
                for ln in range(L):
                    w[jj, ln] *= sig[src, ln]
        for i in range(off[p], off[p + 1]):
            for ln in range(L):
                u[i, ln] = 0.0
            for jj in range(q):
                f = flat[i, jj]
                for ln in range(L):
                    u[i, ln] += payl[p, f, ln] * w[jj, ln]
    for p in range(k):
        for i in range(off[p], off[p + 1]):
            for ln in range(L):
                out[i, ln] = (u[i, ln] - u[ref[p, ln], ln]) * alive[i, ln]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _run_range(start, stop, v0, alive0, ref0, pay, off, others, flat, nq, bounds, t_eval, tw, hmax, rtol, atol,
               max_steps, CA, CB, CE, v_out, lo, hi, turns, out, steps_out, status_out):  # fmt: skip
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
    YN = np.zeros((d, L))
    K = np.zeros((7, d, L))
    SIG = np.zeros((d, L))
    SIGN = np.zeros((d, L))
    U = np.zeros((d, L))
    W = np.zeros((flat.shape[1], L))
    ALIVE = np.zeros((d, L))
    PAYL = np.zeros((k, pay.shape[3], L))
    FREE = np.zeros((d, L), dtype=np.bool_)
    REF = np.zeros((k, L), dtype=np.int64)
    LAST = np.zeros((d, L))
    m = np.zeros(L)
    tot = np.zeros(L)
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
    # fill the lanes
    for ln in range(L):
        if next_orbit < stop:
            orbit[ln] = next_orbit
            next_orbit += 1
            running += 1
            fresh[ln] = True
    while running > 0:
        # lanes that start an orbit or a segment: load state, first stage
        any_fresh = False
        for ln in range(L):
            if fresh[ln]:
                any_fresh = True
                r = orbit[ln]
                if t[ln] == 0.0 and seg[ln] == 0 and steps[ln] == 0:
                    c = 0
                    for i in range(d):
                        V[i, ln] = v0[r, i]
                        ALIVE[i, ln] = 1.0 if alive0[r, i] else 0.0
                        FREE[i, ln] = alive0[r, i]
                        LAST[i, ln] = 0.0
                    for p in range(k):
                        REF[p, ln] = ref0[r, p]
                        FREE[ref0[r, p], ln] = False
                    for i in range(d):
                        if FREE[i, ln]:
                            c += 1
                    cnt[ln] = max(c, 1)
                    row[ln] = r if per_orbit else 0
                    h[ln] = H0
                    nxt[ln] = 0
                for p in range(k):
                    for f in range(pay.shape[3]):
                        PAYL[p, f, ln] = pay[seg[ln], row[ln], p, f]
        if any_fresh:
            _rhs(V, ALIVE, REF, PAYL, off, others, flat, nq, SIGN, U, W, m, tot, Y)
            for ln in range(L):
                if fresh[ln]:
                    for i in range(d):
                        K[0, i, ln] = Y[i, ln]
                        SIG[i, ln] = SIGN[i, ln]
                    r = orbit[ln]
                    while nxt[ln] < n_out and t_eval[nxt[ln]] <= t[ln]:
                        for i in range(d):
                            out[r, nxt[ln], i] = SIG[i, ln]
                        nxt[ln] += 1
                    fresh[ln] = False
        # step sizes
        for ln in range(L):
            if orbit[ln] < 0:
                hh[ln] = 0.0
                continue
            tg = bounds[seg[ln] + 1]
            if nxt[ln] < n_out and t_eval[nxt[ln]] < tg:
                tg = t_eval[nxt[ln]]
            target[ln] = tg
            hh[ln] = h[ln] if h[ln] < tg - t[ln] else tg - t[ln]
        # stages
        for st in range(1, 7):
            for i in range(d):
                for ln in range(L):
                    acc = 0.0
                    for j in range(st):
                        acc += CA[st, j] * K[j, i, ln]
                    Y[i, ln] = V[i, ln] + hh[ln] * acc
            _rhs(Y, ALIVE, REF, PAYL, off, others, flat, nq, SIGN, U, W, m, tot, K[st])
        # error, accept or reject, bookkeeping per lane
        for ln in range(L):
            r = orbit[ln]
            if r < 0:
                continue
            errsum = 0.0
            for i in range(d):
                acc = 0.0
                ec = 0.0
                for j in range(7):
                    acc += CB[j] * K[j, i, ln]
                    ec += CE[j] * K[j, i, ln]
                YN[i, ln] = V[i, ln] + hh[ln] * acc
                if FREE[i, ln]:
                    sc = atol + rtol * max(abs(V[i, ln]), abs(YN[i, ln]))
                    errsum += (hh[ln] * ec / sc) ** 2
            err = np.sqrt(errsum / cnt[ln])
            steps[ln] += 1
            factor = MAX_FACTOR if err == 0.0 else min(MAX_FACTOR, max(MIN_FACTOR, SAFETY * err**-0.2))
            if err > 1.0:
                h[ln] = hh[ln] * min(factor, 1.0)
            else:
                for i in range(d):
                    V[i, ln] = YN[i, ln]
                    K[0, i, ln] = K[6, i, ln]
                    SIG[i, ln] = SIGN[i, ln]
                t_new = t[ln] + hh[ln]
                tg = target[ln]
                t[ln] = tg if t_new >= tg - 1e-12 * max(1.0, abs(tg)) else t_new
                if t[ln] >= tw:  # window statistics at the end of the accepted step
                    for i in range(d):
                        s_ = SIG[i, ln]
                        if s_ < lo[r, i]:
                            lo[r, i] = s_
                        if s_ > hi[r, i]:
                            hi[r, i] = s_
                        g = K[0, i, ln]
                        sg = 1.0 if g > 0 else (-1.0 if g < 0 else 0.0)
                        if sg != 0.0:
                            if sg * LAST[i, ln] < 0:
                                turns[r, i] += 1
                            LAST[i, ln] = sg
                h[ln] = min(hmax, max(h[ln], hh[ln] * factor) if hh[ln] < h[ln] else hh[ln] * factor)
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
                steps_out[r] = steps[ln]
                status_out[r] = 0 if finished else 1
                # next orbit into this lane
                t[ln] = 0.0
                seg[ln] = 0
                steps[ln] = 0
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


def integrate(v0, alive, ref, pay, off, others, flat, nq, bounds, t_eval, tw, hmax, rtol, atol, max_steps, CA, CB, CE):
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
                   max_steps, CA, CB, CE, v, lo, hi, turns, out, steps, status)  # fmt: skip

    if workers == 1:
        for r in ranges:
            run(r)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run, ranges))
    return v, lo, hi, turns, out, steps, status
