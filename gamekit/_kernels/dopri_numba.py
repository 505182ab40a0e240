"""The compiled Dormand-Prince driver (numba); see ``dopri`` for the arrays and the algorithm.

Orbits run in *lanes*: each call owns a range of orbits and advances ``LANES``
of them in lock-step, every lane with its own time, step size and parameter
segment.  Every array of the working set is laid out ``(strategy, lane)`` and
every loop over lanes is innermost, branch-free and free of calls, so that the
compiler turns it into SIMD instructions: the stages, the right-hand side, the
error norm, the window statistics, and the acceptance with the step-size
decision (computed for every lane as selects, an idle lane's result discarded)
all run vectorised over lanes.  Only the step-size limits (the next output time
or segment boundary), the window samples inside a step, the output times, the
parameter segments and the loading of orbits are scalar per lane, each in a pass
of its own that only lanes with something to do enter.  When a lane's orbit reaches ``t_end`` the lane
takes the next orbit of the range, so a long cycling orbit does not hold the
others back.

Ranges of orbits run on a pool of Python threads, one per core: the compiled
range integrator releases the GIL.  (A numba ``parallel=True`` loop would do the
same but takes about a second to load from the on-disk cache in every process.)

The window samples inside a step are taken by a function of their own (``_window_samples``), compiled
apart from the driver and called through its address like the RHS: on a machine where nothing is compiled
yet, this process compiles it (with the game's RHS) while a child process compiles the driver (``warm``),
which makes the driver's compilation, the longest one, about a quarter shorter.

Imported only when first used, so that ``import gamekit`` does not import numba.
Compiled functions are cached in gamekit's checked cache folder (``cache``).
Data flows one way: ``tableau``, ``layout``, ``primitives`` -> ``rhs_codegen``
(and ``rhs_generic`` for large games) -> this module -> ``dopri``.
"""

from __future__ import annotations

import numpy as np
from numba import carray, types

from .cache import cfunc, compile_driver_in_background, driver_marker, njit, wait_for_driver
from .layout import pack_tables
from .primitives import LANES, as_pointer, exp_neg
from .tableau import DENSE, H0, MAX_FACTOR, MIN_FACTOR, SAFETY, TIME_RTOL, WINDOW_SAMPLES, A, B, E

__all__ = ["integrate", "LANES"]

# The tableau as compile-time constants (numba freezes module globals), zero entries left out below.
A21 = A[1, 0]
A31, A32 = A[2, 0], A[2, 1]
A41, A42, A43 = A[3, 0], A[3, 1], A[3, 2]
A51, A52, A53, A54 = A[4, 0], A[4, 1], A[4, 2], A[4, 3]
A61, A62, A63, A64, A65 = A[5, 0], A[5, 1], A[5, 2], A[5, 3], A[5, 4]
B1, B3, B4, B5, B6 = B[0], B[2], B[3], B[4], B[5]
E1, E3, E4, E5, E6, E7 = E[0], E[2], E[3], E[4], E[5], E[6]


# The window samples inside accepted steps, compiled apart from the driver: a function of the common signature
# below, called through its address like the RHS, so that the driver's compilation does not include it (the
# first simulation on a machine compiles it in the calling process while a child compiles the driver).
SAMPLER_SIGNATURE = types.void(*([types.voidptr] * 24), *([types.float64] * 4), types.int64, types.int64)


def _window_samples(psample, pn_sampled, psnapped, pt, pt_prev, phh, poff, pV, pK0, pK2, pK3, pK4, pK5, pK6, pALIVE,
                    pLO, pHI, pLO1, pHI1, pTURNS, pTURNS1, pcoef, pv_tau, ps_tau, tw, t_end, t_mid, t_tol, d, k):  # fmt: skip
    """Window samples by dense output from the step's start, for the lanes flagged in ``sample``: each widens
    the box of the current half (the first sample at or after ``t_mid`` keeps the first half's box and starts
    the second's).  Arrays by address, laid out as in the driver."""
    L = LANES
    sample = carray(psample, (L,), dtype=np.float64)
    n_sampled = carray(pn_sampled, (L,), dtype=np.int64)
    snapped = carray(psnapped, (L,), dtype=np.int64)
    t = carray(pt, (L,), dtype=np.float64)
    t_prev = carray(pt_prev, (L,), dtype=np.float64)
    hh = carray(phh, (L,), dtype=np.float64)
    off = carray(poff, (k + 1,), dtype=np.int64)
    V = carray(pV, (d, L), dtype=np.float64)
    K0 = carray(pK0, (d, L), dtype=np.float64)
    K2 = carray(pK2, (d, L), dtype=np.float64)
    K3 = carray(pK3, (d, L), dtype=np.float64)
    K4 = carray(pK4, (d, L), dtype=np.float64)
    K5 = carray(pK5, (d, L), dtype=np.float64)
    K6 = carray(pK6, (d, L), dtype=np.float64)
    ALIVE = carray(pALIVE, (d, L), dtype=np.float64)
    LO = carray(pLO, (d, L), dtype=np.float64)
    HI = carray(pHI, (d, L), dtype=np.float64)
    LO1 = carray(pLO1, (d, L), dtype=np.float64)
    HI1 = carray(pHI1, (d, L), dtype=np.float64)
    TURNS = carray(pTURNS, (d, L), dtype=np.float64)
    TURNS1 = carray(pTURNS1, (d, L), dtype=np.float64)
    coef = carray(pcoef, (7,), dtype=np.float64)
    v_tau = carray(pv_tau, (d,), dtype=np.float64)
    s_tau = carray(ps_tau, (d,), dtype=np.float64)
    for ln in range(L):
        if sample[ln] == 0.0:
            continue
        sample[ln] = 0.0
        while n_sampled[ln] <= WINDOW_SAMPLES:
            j = n_sampled[ln]
            tau = tw + (t_end - tw) * j / WINDOW_SAMPLES
            if tau > t[ln] + t_tol:
                break
            th = min(max((tau - t_prev[ln]) / hh[ln], 0.0), 1.0)
            for st in range(7):
                c = 0.0
                for m in range(3, -1, -1):
                    c = (c + DENSE[st, m]) * th
                coef[st] = c
            for i in range(d):
                v_tau[i] = V[i, ln] + hh[ln] * (
                        coef[0] * K0[i, ln] + coef[2] * K2[i, ln] + coef[3] * K3[i, ln] + coef[4] * K4[i, ln]
                        + coef[5] * K5[i, ln] + coef[6] * K6[i, ln]
                    )  # fmt: skip
            if tau >= t_mid and snapped[ln] == 0:  # the first sample of the second half
                for i in range(d):
                    LO1[i, ln], HI1[i, ln], TURNS1[i, ln] = LO[i, ln], HI[i, ln], TURNS[i, ln]
                    LO[i, ln], HI[i, ln] = np.inf, -np.inf
                snapped[ln] = 1
            for p in range(k):
                a = off[p]
                if off[p + 1] - a == 2:  # one exponential, as in the RHS
                    x = v_tau[a + 1] - v_tau[a]
                    x = x if ALIVE[a, ln] > 0.0 else 1e300
                    x = x if ALIVE[a + 1, ln] > 0.0 else -1e300
                    e = exp_neg(-abs(x))
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
                    s_tau[i] = exp_neg(v_tau[i] - top) if ALIVE[i, ln] > 0.0 else 0.0
                    total += s_tau[i]
                for i in range(off[p], off[p + 1]):
                    share = s_tau[i] / total
                    LO[i, ln] = min(LO[i, ln], share)
                    HI[i, ln] = max(HI[i, ln], share)
            n_sampled[ln] += 1


_compiled_sampler = []


def _sampler():
    """The compiled window sampler (compiled, or loaded from the cache folder, once per process)."""
    if not _compiled_sampler:
        _compiled_sampler.append(cfunc(SAMPLER_SIGNATURE, error_model="numpy", fastmath={"contract"})(_window_samples))
    return _compiled_sampler[0]


@njit(nogil=True, error_model="numpy", fastmath={"contract"})
def _run_range(rhs, sampler, tab, n_work, start, stop, x0, pay, off, bounds, t_eval, tw,
               rtol, atol, max_steps, sig_out, box, turns, out, steps_out, status_out):  # fmt: skip
    """Integrate orbits start..stop-1 in lanes with the compiled RHS ``rhs``, writing into the output arrays.

    ``box[r]`` is (4, D): min and max of every share over the first half of the observation window, then
    over the second half; ``turns[r]`` is (2, D): turning points over the window, and over its second half.
    """
    d = x0.shape[1]
    k = off.shape[0] - 1
    L = LANES
    nseg = bounds.shape[0] - 1
    n_out = t_eval.shape[0]
    n_prof = pay.shape[3]
    t_end = bounds[nseg]
    t_tol = TIME_RTOL * (t_end if t_end > 1.0 else 1.0)
    t_mid = tw + 0.5 * (t_end - tw)
    per_orbit = pay.shape[1] != 1
    # working arrays, each its own allocation (so the compiler knows they do not overlap, and vectorises the
    # loops over lanes without run-time overlap checks), all by two calls of np.zeros (float and int, two
    # dimensions; a one-dimensional array is a row): each other form would be compiled on its own
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
    ALIVE = np.zeros((d, L))
    FREE = np.zeros((d, L))
    LO = np.zeros((d, L))  # the box of the current half of the window
    HI = np.zeros((d, L))
    LO1 = np.zeros((d, L))  # the first half's box, kept when the orbit reaches the middle of the window
    HI1 = np.zeros((d, L))
    TURNS = np.zeros((d, L))
    TURNS1 = np.zeros((d, L))  # turning points in the first half
    LAST = np.zeros((d, L))
    payl = np.zeros((k * n_prof, L))  # (k, P, L) for the RHS
    ref = np.zeros((k, L), dtype=np.int64)
    work = np.zeros((1, n_work))[0]
    errsum = np.zeros((1, L))[0]
    acc = np.zeros((1, L))[0]
    inwin = np.zeros((1, L))[0]
    cross = np.zeros((1, L))[0]
    snapped = np.zeros((1, L), dtype=np.int64)[0]
    t = np.zeros((1, L))[0]
    h = np.zeros((1, L))[0]
    hh = np.zeros((1, L))[0]
    target = np.zeros((1, L))[0]
    t_prev = np.zeros((1, L))[0]
    cnt = np.zeros((1, L))[0]
    seg = np.zeros((1, L), dtype=np.int64)[0]
    row = np.zeros((1, L), dtype=np.int64)[0]
    orbit = np.zeros((1, L), dtype=np.int64)[0]
    nxt = np.zeros((1, L), dtype=np.int64)[0]
    steps = np.zeros((1, L), dtype=np.int64)[0]
    n_sampled = np.zeros((1, L), dtype=np.int64)[0]
    sample = np.zeros((1, L))[0]
    fresh = np.zeros((1, L), dtype=np.int64)[0]
    starting = np.zeros((1, L))[0]
    coef = np.zeros((1, 7))[0]
    v_tau = np.zeros((1, d))[0]
    s_tau = np.zeros((1, d))[0]
    for i in range(d):
        for ln in range(L):
            ALIVE[i, ln] = 1.0
    for p in range(k):
        for ln in range(L):
            ref[p, ln] = off[p]
    for ln in range(L):
        orbit[ln] = -1
    # the arrays the RHS reads and writes, by address (they stay put for the whole call)
    pY, pSIGN, pTAB, pWORK = as_pointer(Y.ctypes.data), as_pointer(SIGN.ctypes.data), as_pointer(tab.ctypes.data), as_pointer(work.ctypes.data)  # fmt: skip
    pALIVE, pREF, pPAYL = as_pointer(ALIVE.ctypes.data), as_pointer(ref.ctypes.data), as_pointer(payl.ctypes.data)
    pK1, pK2, pK3 = as_pointer(K1.ctypes.data), as_pointer(K2.ctypes.data), as_pointer(K3.ctypes.data)
    pK4, pK5, pK6 = as_pointer(K4.ctypes.data), as_pointer(K5.ctypes.data), as_pointer(K6.ctypes.data)
    # and the arrays the window sampler reads and writes
    pSAMPLE, pNSAMPLED, pSNAPPED = as_pointer(sample.ctypes.data), as_pointer(n_sampled.ctypes.data), as_pointer(snapped.ctypes.data)  # fmt: skip
    pT, pTPREV, pHH, pOFF = as_pointer(t.ctypes.data), as_pointer(t_prev.ctypes.data), as_pointer(hh.ctypes.data), as_pointer(off.ctypes.data)  # fmt: skip
    pV, pK0 = as_pointer(V.ctypes.data), as_pointer(K0.ctypes.data)
    pLO, pHI, pLO1, pHI1 = as_pointer(LO.ctypes.data), as_pointer(HI.ctypes.data), as_pointer(LO1.ctypes.data), as_pointer(HI1.ctypes.data)  # fmt: skip
    pTURNS, pTURNS1 = as_pointer(TURNS.ctypes.data), as_pointer(TURNS1.ctypes.data)
    pCOEF, pVTAU, pSTAU = as_pointer(coef.ctypes.data), as_pointer(v_tau.ctypes.data), as_pointer(s_tau.ctypes.data)
    next_orbit = start
    running = 0
    for ln in range(L):
        if next_orbit < stop:
            orbit[ln] = next_orbit
            next_orbit += 1
            running += 1
            fresh[ln] = 1
    while running > 0:
        # lanes that start an orbit or a parameter segment: load now; this iteration's first RHS call (with
        # a zero step) gives them their first stage, and they step from the next iteration (no extra call)
        any_starting = False
        for ln in range(L):
            if fresh[ln]:
                fresh[ln] = 0
                starting[ln] = 1
                any_starting = True
                r = orbit[ln]
                if seg[ln] == 0:  # a new orbit: log-ratios to each population's largest share
                    for i in range(d):
                        LO[i, ln] = np.inf
                        HI[i, ln] = -np.inf
                        LO1[i, ln] = np.inf
                        HI1[i, ln] = -np.inf
                        TURNS[i, ln] = 0.0
                        TURNS1[i, ln] = 0.0
                        LAST[i, ln] = 0.0
                    for p in range(k):
                        best = off[p]
                        for i in range(off[p], off[p + 1]):
                            if x0[r, i] > x0[r, best]:
                                best = i
                        ref[p, ln] = best
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
                    snapped[ln] = 0
                    nxt[ln] = 0
                for p in range(k):
                    for f in range(n_prof):
                        payl[p * n_prof + f, ln] = pay[seg[ln], row[ln], p, f]
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
        # per lane: accept or reject, time and step size (an error that is not above 1, NaN too, accepts)
        n_sample = 0
        n_cross = 0
        for ln in range(L):
            stepping = orbit[ln] >= 0 and starting[ln] == 0.0
            starting[ln] = 0.0
            err = np.sqrt(errsum[ln] / cnt[ln])
            factor = MAX_FACTOR if err == 0.0 else min(MAX_FACTOR, max(MIN_FACTOR, SAFETY / np.sqrt(np.sqrt(err))))
            ok = stepping and not err > 1.0
            steps[ln] += 1 if stepping else 0
            t_old, step, h_old, tg = t[ln], hh[ln], h[ln], target[ln]
            t_new = t_old + step
            t_new = tg if t_new >= tg - t_tol else t_new
            h_acc = max(h_old, step * factor) if step < h_old else step * factor
            h_rej = step * min(factor, 1.0)
            h[ln] = h_acc if ok else (h_rej if stepping else h_old)
            t[ln] = t_new if ok else t_old
            t_prev[ln] = t_old
            acc[ln] = 1.0 if ok else 0.0
            inwin[ln] = 1.0 if ok and t_new >= tw else 0.0  # window statistics at the end of the accepted step
            due = ok and tw + (t_end - tw) * n_sampled[ln] / WINDOW_SAMPLES <= t_new + t_tol
            sample[ln] = 1.0 if due else 0.0
            n_sample += 1 if due else 0
            crossing = ok and t_new >= t_mid and snapped[ln] == 0  # into the second half of the window
            cross[ln] = 1.0 if crossing else 0.0
            n_cross += 1 if crossing else 0
        # window samples inside accepted steps, by dense output from the step's start (rare: scalar code,
        # in a pass of its own so that the loops above stay lean)
        if n_sample > 0:
            sampler(pSAMPLE, pNSAMPLED, pSNAPPED, pT, pTPREV, pHH, pOFF, pV, pK0, pK2, pK3, pK4, pK5, pK6, pALIVE, pLO,
                    pHI, pLO1, pHI1, pTURNS, pTURNS1, pCOEF, pVTAU, pSTAU, tw, t_end, t_mid, t_tol, d, k)  # fmt: skip
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
        # lanes whose step ended in the second half of the window for the first time: keep the first half's
        # statistics, start the second half's (rare: scalar code)
        for ln in range(L if n_cross > 0 else 0):
            if cross[ln] > 0.0:
                cross[ln] = 0.0
                if snapped[ln] == 0:
                    for i in range(d):
                        LO1[i, ln], HI1[i, ln], TURNS1[i, ln] = LO[i, ln], HI[i, ln], TURNS[i, ln]
                        LO[i, ln], HI[i, ln] = np.inf, -np.inf
                    snapped[ln] = 1
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
                if nxt[ln] < n_out and abs(t[ln] - t_eval[nxt[ln]]) <= t_tol:
                    for i in range(d):
                        out[r, nxt[ln], i] = SIG[i, ln]
                    nxt[ln] += 1
                if abs(t[ln] - bounds[seg[ln] + 1]) <= t_tol:
                    seg[ln] += 1
                    if seg[ln] < nseg:
                        fresh[ln] = 1  # new parameters: recompute the first stage
            finished = seg[ln] >= nseg
            if finished or steps[ln] >= max_steps:
                for i in range(d):
                    sig_out[r, i] = SIG[i, ln]
                    box[r, 0, i] = LO1[i, ln]
                    box[r, 1, i] = HI1[i, ln]
                    box[r, 2, i] = LO[i, ln]
                    box[r, 3, i] = HI[i, ln]
                    turns[r, 0, i] = TURNS[i, ln]
                    turns[r, 1, i] = TURNS[i, ln] - TURNS1[i, ln]
                steps_out[r] = steps[ln]
                status_out[r] = 0 if finished else 1
                seg[ln] = 0
                fresh[ln] = 0
                if next_orbit < stop:
                    orbit[ln] = next_orbit
                    next_orbit += 1
                    fresh[ln] = 1
                else:
                    orbit[ln] = -1
                    running -= 1
                    for i in range(d):
                        ALIVE[i, ln] = 1.0
                        V[i, ln] = 0.0
                    for p in range(k):
                        ref[p, ln] = off[p]


def compile_driver() -> None:
    """Compile (or load) the driver for the argument types ``integrate`` passes, and record it in the cache folder.

    Compiled from the types alone: every compiled RHS has the type of a function of the common signature, and
    so has the window sampler, so neither needs to be compiled for it.
    """
    import numba

    from .layout import tables
    from .primitives import RHS_SIGNATURE

    off, _, others, flat, nq = tables((2, 2))
    tab, n_work = pack_tables(off, others, flat, nq, 4, LANES)
    floats = [np.empty((1,) * m) for m in range(5)]
    ints = np.empty(1, dtype=np.int64)
    # integrate's call: rhs, sampler, tab, n_work, start, stop, x0, pay, off, bounds, t_eval, tw, rtol, atol, max_steps,
    # sig, box, turns, out, steps, status
    args = (tab, n_work, 0, 0, floats[2], floats[4], off, floats[1], floats[1], 0.5, 1e-8, 1e-10, 1,
            floats[2], floats[3], floats[3], floats[3], ints, ints)  # fmt: skip
    functions = (types.FunctionType(RHS_SIGNATURE), types.FunctionType(SAMPLER_SIGNATURE))
    _run_range.compile((*functions, *(numba.typeof(a) for a in args)))
    driver_marker().touch()


def _driver_in_background():
    """Start compiling the driver in a child process (``warm``) if it is not compiled yet; the child, or None."""
    return None if _run_range.overloads else compile_driver_in_background()


def integrate(x0, pay, off, others, flat, nq, bounds, t_eval, tw, rtol, atol, max_steps, rhs=None):
    """Integrate every orbit: ranges of orbits run on a thread pool (the kernel releases the GIL).

    ``rhs``: a compiled right-hand side of the common signature to use instead of the game shape's (the
    per-model field of ``rhs_field``; ``pay`` then holds whatever that RHS reads, copied per lane unseen).
    """
    import os
    from concurrent.futures import ThreadPoolExecutor

    from .rhs_codegen import cached, load

    n, d = x0.shape
    n_prof = pay.shape[3]
    shape = tuple(int(off[p + 1] - off[p]) for p in range(len(off) - 1))
    if rhs is None:
        # nothing compiled yet: the driver compiles in a child process while this one compiles the RHS
        if not cached(shape, LANES):
            _driver_in_background()
        rhs = load(shape, LANES)
        _sampler()  # (compiled here, if need be, while the child compiles the driver)
        wait_for_driver()
        if rhs is None:  # too large to write out: the generic RHS (compiled on its first use)
            from .rhs_generic import rhs_generic as rhs
    else:  # a per-model RHS, compiled by the caller while a child started by the caller compiled the driver
        _sampler()
        wait_for_driver()
    sampler = _sampler()
    tab, n_work = pack_tables(off, others, flat, nq, n_prof, LANES)
    n_out = t_eval.shape[0]
    # every orbit writes every entry of these
    sig = np.empty((n, d))
    box = np.empty((n, 4, d))
    turns = np.empty((n, 2, d))
    out = np.empty((n, n_out, d))
    steps = np.empty(n, dtype=np.int64)
    status = np.empty(n, dtype=np.int64)
    workers = max(1, min(os.cpu_count() or 1, (n + LANES - 1) // LANES))
    parts = max(1, min(8 * workers, (n + LANES - 1) // LANES))
    ranges = [((n * i) // parts, (n * (i + 1)) // parts) for i in range(parts)]

    def run(r):
        _run_range(rhs, sampler, tab, n_work, r[0], r[1], x0, pay, off, bounds, t_eval, tw, rtol, atol, max_steps,
                   sig, box, turns, out, steps, status)  # fmt: skip

    if workers == 1:
        for r in ranges:
            run(r)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run, ranges))
    return sig, box, turns, out, steps, status
