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
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from .dopri import DENSE, H0, MAX_FACTOR, MIN_FACTOR, SAFETY, UNDERFLOW, WINDOW_SAMPLES, A, B, E

LANES = 64


@intrinsic
def _bits(typingctx, x):
    """The IEEE-754 bit pattern of a float64, as an int64 (a free register move)."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _float(typingctx, x):
    """The float64 whose bit pattern is this int64."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _ptr(typingctx, addr):
    """An integer address as a void pointer (to hand arrays to a compiled RHS through its C signature)."""

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], ir.IntType(8).as_pointer())

    return types.voidptr(addr), codegen


LOG2E = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01  # ln 2 with trailing zero bits: n * LN2_HI is exact for |n| < 2**11
LN2_LO = 1.90821492927058770002e-10
SHIFTER = 6755399441055744.0  # 1.5 * 2**52: adding it rounds to an integer held in the low bits


@numba.njit(cache=True, inline="always", error_model="numpy")
def _exp(x):
    """exp(x) for -708 <= x <= 0 to about 1 ulp, branch- and call-free so that loops around it vectorise.

    Reduction x = n ln 2 + r with |r| <= ln(2) / 2 (n by the shifter trick, ln 2 in two parts),
    exp(r) by its Taylor polynomial of degree 13 (remainder below 1e-17) in Estrin's scheme, 2**n built in the
    exponent bits.  Arguments are clamped to [-708, 0] (NaN to -708); callers treat anything below
    the kernel's UNDERFLOW cutoff (>= -700) as exactly zero.
    """
    x = x if x > -708.0 else -708.0
    x = x if x < 0.0 else 0.0
    kd = x * LOG2E + SHIFTER
    n = kd - SHIFTER
    r = (x - n * LN2_HI) - n * LN2_LO
    r2 = r * r
    r4 = r2 * r2
    q0 = (1.0 + r) + r2 * (0.5 + r * (1.0 / 6.0))
    q1 = (1.0 / 24.0 + r * (1.0 / 120.0)) + r2 * (1.0 / 720.0 + r * (1.0 / 5040.0))
    q2 = (1.0 / 40320.0 + r * (1.0 / 362880.0)) + r2 * (1.0 / 3628800.0 + r * (1.0 / 39916800.0))
    q3 = 1.0 / 479001600.0 + r * (1.0 / 6227020800.0)
    p = (q0 + r4 * q1) + (r4 * r4) * (q2 + r4 * q3)  # Estrin's scheme: a short dependency chain
    return p * _float((_bits(kd) + 1023) << 52)


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
    for p in range(k):
        for i in range(off[p], off[p + 1]):
            for ln in range(L):
                out[i, ln] = (u[i, ln] - u[ref[p, ln], ln]) * alive[i, ln]


# The signature every compiled RHS shares (rhs_codegen writes one per game shape; _rhs_generic serves any):
# rhs(v, alive, ref, pay, sig, out, tables, work) -- arrays by address, laid out as in _rhs, with LANES lanes.
RHS_SIGNATURE = types.void(*([types.voidptr] * 8))


@numba.cfunc(RHS_SIGNATURE, cache=True, error_model="numpy")
def _rhs_generic(vp, ap, rp, pp, sp, op, ip, wp):
    """_rhs behind the common signature; ``tables`` holds k, D, P, Q, off, nq, others, flat (see pack_tables)."""
    head = numba.carray(ip, (4,), dtype=np.int64)
    k, d, n_prof, q = head[0], head[1], head[2], head[3]
    c = max(k - 1, 1)
    n_tab = 4 + (k + 1) + k + k * q * c + d * q
    tab = numba.carray(ip, (n_tab,), dtype=np.int64)
    off = tab[4 : 5 + k]
    nq = tab[5 + k : 5 + 2 * k]
    others = tab[5 + 2 * k : 5 + 2 * k + k * q * c].reshape((k, q, c))
    flat = tab[5 + 2 * k + k * q * c :].reshape((d, q))
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


def pack_tables(off, others, flat, nq, n_prof):
    """The index tables as one int64 array for _rhs_generic, and the size of its float64 work array."""
    k = len(nq)
    d, q = flat.shape
    tab = np.concatenate([[k, d, n_prof, q], off, nq, others.ravel(), flat.ravel()]).astype(np.int64)
    return tab, 2 * LANES + d * LANES + q * LANES


@numba.njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def _run_range(rhs, tab, n_work, start, stop, x0, pay, off, bounds, t_eval, tw, rtol, atol,
               max_steps, sig_out, lo, hi, turns, out, steps_out, status_out):  # fmt: skip
    """Integrate orbits start..stop-1 in lanes with the compiled RHS ``rhs``, writing into the output arrays."""
    d = x0.shape[1]
    k = off.shape[0] - 1
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
    ALIVE = np.ones((d, L))
    FREE = np.zeros((d, L))
    PAYL = np.zeros((k, pay.shape[3], L))
    REF = np.zeros((k, L), dtype=np.int64)
    for p in range(k):
        for ln in range(L):
            REF[p, ln] = off[p]
    WORK = np.zeros(n_work)
    LO = np.zeros((d, L))
    HI = np.zeros((d, L))
    TURNS = np.zeros((d, L))
    LAST = np.zeros((d, L))
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
    n_sampled = np.zeros(L, dtype=np.int64)
    sample = np.zeros(L, dtype=np.bool_)
    t_prev = np.zeros(L)
    coef = np.zeros(7)
    v_tau = np.zeros(d)
    s_tau = np.zeros(d)
    cnt = np.ones(L)
    fresh = np.zeros(L, dtype=np.bool_)
    starting = np.zeros(L, dtype=np.bool_)
    # the arrays the RHS reads and writes, by address (they stay put for the whole call)
    pY, pSIGN, pTAB, pWORK = _ptr(Y.ctypes.data), _ptr(SIGN.ctypes.data), _ptr(tab.ctypes.data), _ptr(WORK.ctypes.data)
    pALIVE, pREF, pPAYL = _ptr(ALIVE.ctypes.data), _ptr(REF.ctypes.data), _ptr(PAYL.ctypes.data)
    pK1, pK2, pK3, pK4, pK5, pK6 = (
        _ptr(K1.ctypes.data),
        _ptr(K2.ctypes.data),
        _ptr(K3.ctypes.data),
        _ptr(K4.ctypes.data),
        _ptr(K5.ctypes.data),
        _ptr(K6.ctypes.data),
    )
    next_orbit = start
    running = 0
    for ln in range(L):
        if next_orbit < stop:
            orbit[ln] = next_orbit
            next_orbit += 1
            running += 1
            fresh[ln] = True
    while running > 0:
        # lanes that start an orbit or a parameter segment: load now; this iteration's first RHS call (with
        # a zero step) gives them their first stage, and they step from the next iteration (no extra call)
        any_starting = False
        for ln in range(L):
            if fresh[ln]:
                fresh[ln] = False
                starting[ln] = True
                any_starting = True
                r = orbit[ln]
                if seg[ln] == 0:  # a new orbit: log-ratios to each population's largest share
                    for i in range(d):
                        LO[i, ln] = np.inf
                        HI[i, ln] = -np.inf
                        TURNS[i, ln] = 0.0
                        LAST[i, ln] = 0.0
                    for p in range(k):
                        best = off[p]
                        for i in range(off[p], off[p + 1]):
                            if x0[r, i] > x0[r, best]:
                                best = i
                        REF[p, ln] = best
                        log_ref = np.log(x0[r, best])
                        for i in range(off[p], off[p + 1]):
                            alive = x0[r, i] > 0.0
                            ALIVE[i, ln] = 1.0 if alive else 0.0
                            FREE[i, ln] = 1.0 if alive and i != best else 0.0
                            V[i, ln] = np.log(x0[r, i]) - log_ref if alive else 0.0
                    c = 0.0
                    for i in range(d):
                        c += FREE[i, ln]
                    cnt[ln] = max(c, 1.0)
                    row[ln] = r if per_orbit else 0
                    h[ln] = H0
                    t[ln] = 0.0
                    steps[ln] = 0
                    n_sampled[ln] = 0
                    nxt[ln] = 0
                for p in range(k):
                    for f in range(pay.shape[3]):
                        PAYL[p, f, ln] = pay[seg[ln], row[ln], p, f]
                for i in range(d):
                    K0[i, ln] = 0.0  # finite: the zero step multiplies it
        # step sizes: up to the next segment boundary or output time
        for ln in range(L):
            if orbit[ln] < 0 or starting[ln]:
                hh[ln] = 0.0
                continue
            tg = bounds[seg[ln] + 1]
            if nxt[ln] < n_out and t_eval[nxt[ln]] < tg:
                tg = t_eval[nxt[ln]]
            target[ln] = tg
            hh[ln] = h[ln] if h[ln] < tg - t[ln] else tg - t[ln]
        # the six new stages (the last one at the fifth-order solution, which Y then holds)
        for i in range(d):
            for ln in range(L):
                Y[i, ln] = V[i, ln] + hh[ln] * (A21 * K0[i, ln])
        rhs(pY, pALIVE, pREF, pPAYL, pSIGN, pK1, pTAB, pWORK)
        for ln in range(L if any_starting else 0):
            if starting[ln]:  # K1 = f(V): the first stage of the orbit or segment, and its shares
                for i in range(d):
                    K0[i, ln] = K1[i, ln]
                    SIG[i, ln] = SIGN[i, ln]
                r = orbit[ln]
                while nxt[ln] < n_out and t_eval[nxt[ln]] <= t[ln]:
                    for i in range(d):
                        out[r, nxt[ln], i] = SIG[i, ln]
                    nxt[ln] += 1
        for i in range(d):
            for ln in range(L):
                Y[i, ln] = V[i, ln] + hh[ln] * (A31 * K0[i, ln] + A32 * K1[i, ln])
        rhs(pY, pALIVE, pREF, pPAYL, pSIGN, pK2, pTAB, pWORK)
        for i in range(d):
            for ln in range(L):
                Y[i, ln] = V[i, ln] + hh[ln] * (A41 * K0[i, ln] + A42 * K1[i, ln] + A43 * K2[i, ln])
        rhs(pY, pALIVE, pREF, pPAYL, pSIGN, pK3, pTAB, pWORK)
        for i in range(d):
            for ln in range(L):
                Y[i, ln] = V[i, ln] + hh[ln] * (A51 * K0[i, ln] + A52 * K1[i, ln] + A53 * K2[i, ln] + A54 * K3[i, ln])
        rhs(pY, pALIVE, pREF, pPAYL, pSIGN, pK4, pTAB, pWORK)
        for i in range(d):
            for ln in range(L):
                Y[i, ln] = V[i, ln] + hh[ln] * (
                    A61 * K0[i, ln] + A62 * K1[i, ln] + A63 * K2[i, ln] + A64 * K3[i, ln] + A65 * K4[i, ln]
                )
        rhs(pY, pALIVE, pREF, pPAYL, pSIGN, pK5, pTAB, pWORK)
        for i in range(d):
            for ln in range(L):
                Y[i, ln] = V[i, ln] + hh[ln] * (
                    B1 * K0[i, ln] + B3 * K2[i, ln] + B4 * K3[i, ln] + B5 * K4[i, ln] + B6 * K5[i, ln]
                )
        rhs(pY, pALIVE, pREF, pPAYL, pSIGN, pK6, pTAB, pWORK)
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
        any_sample = False
        for ln in range(L):
            acc[ln] = 0.0
            inwin[ln] = 0.0
            if orbit[ln] < 0 or starting[ln]:
                starting[ln] = False
                continue
            err = np.sqrt(errsum[ln] / cnt[ln])
            steps[ln] += 1
            factor = MAX_FACTOR if err == 0.0 else min(MAX_FACTOR, max(MIN_FACTOR, SAFETY / np.sqrt(np.sqrt(err))))
            if err > 1.0:
                h[ln] = hh[ln] * min(factor, 1.0)
                continue
            acc[ln] = 1.0
            t_old = t[ln]
            t_new = t_old + hh[ln]
            tg = target[ln]
            t[ln] = tg if t_new >= tg - 1e-12 * max(1.0, abs(tg)) else t_new
            t_prev[ln] = t_old
            if tw + (t_end - tw) * n_sampled[ln] / WINDOW_SAMPLES <= t[ln] + 1e-12 * max(1.0, t_end):
                sample[ln] = True
                any_sample = True
            if t[ln] >= tw:  # window statistics at the end of the accepted step
                inwin[ln] = 1.0
            h[ln] = max(h[ln], hh[ln] * factor) if hh[ln] < h[ln] else hh[ln] * factor
        # window samples inside accepted steps, by dense output from the step's start (rare: scalar code,
        # in a pass of its own so that the loops above stay lean)
        for ln in range(L if any_sample else 0):
            if not sample[ln]:
                continue
            sample[ln] = False
            while n_sampled[ln] <= WINDOW_SAMPLES:
                tau = tw + (t_end - tw) * n_sampled[ln] / WINDOW_SAMPLES
                if tau > t[ln] + 1e-12 * max(1.0, t_end):
                    break
                th = min(max((tau - t_prev[ln]) / hh[ln], 0.0), 1.0)
                for st in range(7):
                    c = 0.0
                    for j in range(3, -1, -1):
                        c = (c + DENSE[st, j]) * th
                    coef[st] = c
                for i in range(d):
                    v_tau[i] = V[i, ln] + hh[ln] * (
                        coef[0] * K0[i, ln] + coef[2] * K2[i, ln] + coef[3] * K3[i, ln] + coef[4] * K4[i, ln]
                        + coef[5] * K5[i, ln] + coef[6] * K6[i, ln]
                    )  # fmt: skip
                for p in range(k):
                    a = off[p]
                    if off[p + 1] - a == 2:  # one exponential, as in the RHS
                        x = v_tau[a + 1] - v_tau[a]
                        x = x if ALIVE[a, ln] > 0.0 else 1e300
                        x = x if ALIVE[a + 1, ln] > 0.0 else -1e300
                        e = _exp(-abs(x))
                        big = 1.0 / (1.0 + e)
                        s_a, s_b = (big, e * big) if x <= 0.0 else (e * big, big)
                        LO[a, ln] = min(LO[a, ln], s_a)
                        HI[a, ln] = max(HI[a, ln], s_a)
                        LO[a + 1, ln] = min(LO[a + 1, ln], s_b)
                        HI[a + 1, ln] = max(HI[a + 1, ln], s_b)
                        continue
                    top = -1e300
                    for i in range(off[p], off[p + 1]):
                        if ALIVE[i, ln] > 0.0 and v_tau[i] > top:
                            top = v_tau[i]
                    total = 0.0
                    for i in range(off[p], off[p + 1]):
                        s_tau[i] = _exp(v_tau[i] - top) if ALIVE[i, ln] > 0.0 else 0.0
                        total += s_tau[i]
                    for i in range(off[p], off[p + 1]):
                        share = s_tau[i] / total
                        LO[i, ln] = min(LO[i, ln], share)
                        HI[i, ln] = max(HI[i, ln], share)
                n_sampled[ln] += 1
        # accepted lanes move on (first stage of the next step = last of this one)
        for i in range(d):
            for ln in range(L):
                # every value loaded unconditionally, then selected: a store of "the old value unless ..."
                # would compile to masked loads and stores, which are slow
                take = acc[ln] > 0.0
                y, v_, k6, k0, sn, sg_ = Y[i, ln], V[i, ln], K6[i, ln], K0[i, ln], SIGN[i, ln], SIG[i, ln]
                V[i, ln] = y if take else v_
                K0[i, ln] = k6 if take else k0
                SIG[i, ln] = sn if take else sg_
        # window statistics: range of every share, and turning points of every log-ratio
        for i in range(d):
            for ln in range(L):
                inside = inwin[ln] > 0.0
                s_, g, last = SIG[i, ln], K0[i, ln], LAST[i, ln]
                sg = 1.0 if g > 0.0 else (-1.0 if g < 0.0 else 0.0)
                LO[i, ln] = min(LO[i, ln], s_ if inside else np.inf)
                HI[i, ln] = max(HI[i, ln], s_ if inside else -np.inf)
                TURNS[i, ln] += 1.0 if inside and sg * last < 0.0 else 0.0
                LAST[i, ln] = sg if inside and sg != 0.0 else last
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
                    sig_out[r, i] = SIG[i, ln]
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


def integrate(x0, pay, off, others, flat, nq, bounds, t_eval, tw, rtol, atol, max_steps):
    """Integrate every orbit: ranges of orbits run on a thread pool (the kernel releases the GIL)."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    from .rhs_codegen import load

    n, d = x0.shape
    n_prof = pay.shape[3]
    shape = tuple(int(off[p + 1] - off[p]) for p in range(len(off) - 1))
    rhs = load(shape, LANES) or _rhs_generic
    tab, n_work = pack_tables(off, others, flat, nq, n_prof)
    n_out = t_eval.shape[0]
    # every orbit writes every entry of these
    sig = np.empty((n, d))
    lo = np.empty((n, d))
    hi = np.empty((n, d))
    turns = np.empty((n, d), dtype=np.int64)
    out = np.empty((n, n_out, d))
    steps = np.empty(n, dtype=np.int64)
    status = np.empty(n, dtype=np.int64)
    workers = max(1, min(os.cpu_count() or 1, (n + LANES - 1) // LANES))
    parts = max(1, min(8 * workers, (n + LANES - 1) // LANES))
    ranges = [((n * i) // parts, (n * (i + 1)) // parts) for i in range(parts)]

    def run(r):
        _run_range(rhs, tab, n_work, r[0], r[1], x0, pay, off, bounds, t_eval, tw, rtol, atol,
                   max_steps, sig, lo, hi, turns, out, steps, status)  # fmt: skip

    if workers == 1:
        for r in ranges:
            run(r)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run, ranges))
    return sig, lo, hi, turns, out, steps, status
