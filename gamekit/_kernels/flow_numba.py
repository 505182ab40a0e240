"""The compiled driver for revision protocols other than the replicator: Dormand-Prince 5(4) on the shares.

The numpy twin, the arrays and the mathematics are in ``flow``.  Orbits run in
lanes as in ``dopri_numba`` (each lane with its own time, step size, parameter
segment), every loop over lanes innermost and branch-free so that it compiles to
SIMD instructions.  A lane whose orbit reached ``t_end`` takes the next orbit
left from a counter shared by the threads (``primitives.take_next``; the GIL
released), so lanes idle only at the very end.  Each lane steps to its next stop
(an output time or its segment's end, ``target``); the scalar bookkeeping at a
stop runs only for the lanes flagged as having reached one.

Each stage is one call of a compiled C callback, ``stage(Y, K, pay, params, tables, work)``
(``flow_stage.STAGE_SIGNATURE``): the shares of the stage in, the protocol's velocity out, the game's payoffs
and the protocol written out together per game shape (or model) and protocol (``flow_stage``; for games too
large to write out, the payoffs by loops over the index tables).  Until session 7 the driver called three: the
log-shares, the replicator's right-hand side, which turns them back into shares, and the protocol (a logarithm
and an exponential per share and stage, the payoff differences through memory); and it did every lane's
bookkeeping every step, and cut the orbits into 16 ranges per run.  Kernel alone, 4,096 trap orbits, one thread,
CPU per orbit-step: logit 145 -> 79 ns, Smith 123 -> 45, BNN 136 -> 50.

A lane whose orbit may have settled (``settle``: the field below the lane's gate) spends its next iteration's six
stages on a check instead of a step: the field at ``X``, at ``X + FD_STEP (e_i - e_ref)`` for each tangent
direction when the orbit has no linearisation yet (at most ``settle.MAX_DIM`` = 4 of them), and, after the fifth
stage, at the Newton point.  That costs the lane one iteration rather than the whole extra stage call a separate
evaluation would (which cost more than the steps it saved).  A stopped lane writes its outputs and takes the next
orbit.

Step-size control is scipy's (``flow``): ``h_new = h clip(SAFETY err**(-1/5), MIN_FACTOR, MAX_FACTOR)``, no
growth on the step after a rejection; ``err**(1/5)`` as ``exp(ln(err) / 5)`` by ``log_pos`` and ``exp_neg``
(vectorisable), ``err`` clamped to ``ERR_CLAMP`` first (outside it the factor is at its bounds anyway).

**Compiled in halves.**  The stage is called through its address, so the driver's type is fixed by the
signature alone (``compile_driver``).  Imported only when first used (``import gamekit`` does not import numba);
compiled once per machine into gamekit's checked cache folder.  On a machine where nothing is compiled yet, a
child process compiles the driver (``warm.py flow``, started by ``gk.simulate`` as soon as it knows the dynamics,
or by ``gamekit simulate --dynamics`` before it loads the model) while the calling process compiles the stage of
the game and protocol (once per machine for each).  The driver is the larger half (about 7 s of CPU here against
about 2 s for a stage).
"""

from __future__ import annotations

import numpy as np
from numba import types
from numba.extending import register_jitable

from .cache import compile_flow_in_background, flow_marker, mark_loaded, njit, wait_for_flow
from .flow_stage import KINDS, STAGE_SIGNATURE, for_field, for_shape, generic_work
from .layout import pack_tables
from .pool import run_shared
from .primitives import LANES, LN2_HI, LN2_LO, _bits, _float, as_pointer, exp_neg, high, low, take_next
from .settle import (
    FD_STEP,
    GATE,
    MAX_DIM,
    UNKNOWNS,
    _sym,
    bound,
    certify,
    first_output,
    linearise,
    newton,
    next_gate,
    solve,
)
from .settle import NORMS as NORMS_
from .tableau import DENSE, H0, MAX_FACTOR, MIN_FACTOR, SAFETY, TIME_RTOL, WINDOW_SAMPLES, A, B, E

# settle's functions are plain Python (the numpy twin calls them as they are): compiled where the driver calls them
for _plain in (bound, certify, first_output, linearise, newton, next_gate, solve, _sym):
    register_jitable(_plain)

__all__ = [
    "integrate",
    "LANES",
    "KINDS",
    "ERROR_EXPONENT",
    "ERR_CLAMP",
    "log_pos",
    "step_factor",
    "compile_driver",
]

# as flow (the numpy twin): the step factor is SAFETY err**(-ERROR_EXPONENT), err first clamped to ERR_CLAMP
ERROR_EXPONENT = 0.2
ERR_CLAMP = (1e-6, 1e4)
ERR_LO, ERR_HI = ERR_CLAMP

A21 = A[1, 0]
A31, A32 = A[2, 0], A[2, 1]
A41, A42, A43 = A[3, 0], A[3, 1], A[3, 2]
A51, A52, A53, A54 = A[4, 0], A[4, 1], A[4, 2], A[4, 3]
A61, A62, A63, A64, A65 = A[5, 0], A[5, 1], A[5, 2], A[5, 3], A[5, 4]
B1, B3, B4, B5, B6 = B[0], B[2], B[3], B[4], B[5]
E1, E3, E4, E5, E6, E7 = E[0], E[2], E[3], E[4], E[5], E[6]


SQRT2 = 1.4142135623730951
MANTISSA = 0xFFFFFFFFFFFFF  # the 52 fraction bits of a float64
ONE_BITS = 0x3FF0000000000000  # the bit pattern of 1.0


@njit(inline="always", error_model="numpy")
def log_pos(x):
    """ln(x) for a normal positive float64 (here the clamped error norm) to a few ulp, branch- and call-free so that
    loops around it vectorise (``np.log`` is a libm call per element: it took most of the driver's time).

    ``x = m 2**e`` with ``m`` in ``[sqrt(1/2), sqrt(2))`` read from the bits; ``ln m = 2 atanh(f)``, ``f = (m - 1)
    / (m + 1)``, ``|f| <= 0.172``, by its odd series to ``f**23`` (remainder below 1e-18); ``e ln 2`` in two parts.
    """
    b = _bits(x)
    e = float((b >> 52) - 1023)
    m = _float((b & MANTISSA) | ONE_BITS)  # in [1, 2)
    big = m > SQRT2
    m = m * 0.5 if big else m
    e = e + 1.0 if big else e
    f = (m - 1.0) / (m + 1.0)
    z = f * f
    z2 = z * z
    z4 = z2 * z2
    q0 = (1.0 + z * (1.0 / 3.0)) + z2 * (1.0 / 5.0 + z * (1.0 / 7.0))
    q1 = (1.0 / 9.0 + z * (1.0 / 11.0)) + z2 * (1.0 / 13.0 + z * (1.0 / 15.0))
    q2 = (1.0 / 17.0 + z * (1.0 / 19.0)) + z2 * (1.0 / 21.0 + z * (1.0 / 23.0))
    series = (q0 + z4 * q1) + (z4 * z4) * q2  # Estrin's scheme
    return e * LN2_HI + (e * LN2_LO + 2.0 * f * series)


@njit(inline="always", error_model="numpy")
def step_factor(err):
    """``clip(SAFETY err**(-1/5), MIN_FACTOR, MAX_FACTOR)`` for an error norm ``err >= 0`` (0 and NaN included: NaN
    gives MIN_FACTOR), branch- and call-free: ``err**(1/5) = exp(ln(err) / 5)`` with ``err`` clamped to
    ``ERR_CLAMP``, by ``log_pos`` and ``exp_neg`` (``|ln(err) / 5| < 3``; ``exp_neg`` takes only arguments <= 0,
    so ``exp(-|a|)`` and its reciprocal)."""
    e = ERR_LO if err < ERR_LO else err
    e = e if e < ERR_HI else ERR_HI  # (NaN -> ERR_HI)
    a = ERROR_EXPONENT * log_pos(e)
    q = exp_neg(-abs(a))
    root = q if a < 0.0 else 1.0 / q
    return min(MAX_FACTOR, max(MIN_FACTOR, SAFETY / root))


@njit(error_model="numpy", fastmath={"contract"})
def _project(X, off, k, S0):
    """Each population's shares clipped at zero and rescaled to sum 1 (after every accepted step)."""
    for p in range(k):
        for ln in range(LANES):
            S0[ln] = 0.0
        for i in range(off[p], off[p + 1]):
            for ln in range(LANES):
                x = max(X[i, ln], 0.0)
                X[i, ln] = x
                S0[ln] += x
        for i in range(off[p], off[p + 1]):
            for ln in range(LANES):
                X[i, ln] = X[i, ln] / S0[ln]


@njit(nogil=True, error_model="numpy", fastmath={"contract"})
def _run_range(stage, params, tab, n_work, counter, stop, x0, pay, off, bounds, t_eval, tw,
               rtol, atol, max_steps, settle, sig_out, box, turns, out, steps_out, status_out):  # fmt: skip
    """Integrate orbits in lanes with the compiled ``stage`` (``flow_stage``: shares -> velocity; ``params`` its
    (eta, mu)), each lane taking the next orbit left from the ``counter`` shared with the other threads
    (``primitives.take_next``; orbits ``0 .. stop - 1``); outputs as ``flow.integrate_numpy`` returns them.
    ``settle``: stop an orbit settled at a stable rest point (``settle.SETTLE``; 0.0: never, for Smith and BNN)."""
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
    X = np.zeros((d, L))
    Y = np.zeros((d, L))
    K0 = np.zeros((d, L))
    K1 = np.zeros((d, L))
    K2 = np.zeros((d, L))
    K3 = np.zeros((d, L))
    K4 = np.zeros((d, L))
    K5 = np.zeros((d, L))
    K6 = np.zeros((d, L))
    LO = np.zeros((d, L))
    HI = np.zeros((d, L))
    LO1 = np.zeros((d, L))
    HI1 = np.zeros((d, L))
    TURNS = np.zeros((d, L))
    TURNS1 = np.zeros((d, L))
    LAST = np.zeros((d, L))
    payl = np.zeros((k * n_prof, L))
    work = np.zeros((1, n_work))[0]
    S0 = np.zeros((1, L))[0]
    errsum = np.zeros((1, L))[0]
    acc = np.zeros((1, L))[0]
    inwin = np.zeros((1, L))[0]
    cross = np.zeros((1, L))[0]
    sample = np.zeros((1, L))[0]
    starting = np.zeros((1, L))[0]
    t = np.zeros((1, L))[0]
    h = np.zeros((1, L))[0]
    hh = np.zeros((1, L))[0]
    target = np.zeros((1, L))[0]
    probe = np.zeros((1, L))[0]  # a starting lane's trial step for its first step's size (else 0)
    live = np.zeros((1, L))[0]  # 1.0 while the lane has an orbit
    flag = np.zeros((1, L))[0]
    t_prev = np.zeros((1, L))[0]
    snapped = np.zeros((1, L), dtype=np.int64)[0]
    seg = np.zeros((1, L), dtype=np.int64)[0]
    row = np.zeros((1, L), dtype=np.int64)[0]
    orbit = np.zeros((1, L), dtype=np.int64)[0]
    nxt = np.zeros((1, L), dtype=np.int64)[0]
    steps = np.zeros((1, L), dtype=np.int64)[0]
    n_sampled = np.zeros((1, L), dtype=np.int64)[0]
    fresh = np.zeros((1, L), dtype=np.int64)[0]
    retry = np.zeros((1, L))[0]  # 1.0 after a rejected step: the next accepted step may not grow
    coef = np.zeros((1, 7))[0]
    x_tau = np.zeros((1, d))[0]
    # the settling check (module settle): lanes whose field fell below their gate; nt tangent coordinates
    nt = d - k
    settling = settle > 0.0 and 1 <= nt <= MAX_DIM
    mm = nt if nt > 0 else 1
    gate = np.zeros((1, L))[0]
    check = np.zeros((1, L))[0]
    probing = np.zeros((1, L))[0]  # 1.0: this iteration's stages are the lane's differenced Jacobian, not a step
    n_probe = 0
    plist = np.zeros((1, L), dtype=np.int64)[0]  # the probing lanes (n_probe of them)
    clist = np.zeros((1, L), dtype=np.int64)[0]  # the lanes to check this iteration (n_check of them)
    PI = np.zeros((L, mm), dtype=np.int64)  # the share of each tangent coordinate, and its population's reference
    PR = np.zeros((L, mm), dtype=np.int64)
    F0 = np.zeros((1, mm))[0]
    F1 = np.zeros((mm, mm))
    Pj = np.zeros((mm, mm))
    DL = np.zeros((L, mm))  # a probing lane's Newton step
    wt = np.zeros((1, mm))[0]
    # each lane's linearisation (settle.linearise): done, Jacobian, tolerances, norms, state
    lin = np.zeros((1, L), dtype=np.int64)[0]
    MC = np.zeros((L, mm, mm))
    WC = np.zeros((L, mm))
    NORMS = np.zeros((L, NORMS_))
    XC = np.zeros((L, d))
    Asys = np.zeros((UNKNOWNS, UNKNOWNS))
    bsys = np.zeros((1, UNKNOWNS))[0]
    for p in range(k):
        for ln in range(L):
            for i in range(off[p], off[p + 1]):
                X[i, ln] = 1.0 / (off[p + 1] - off[p])  # an idle lane holds a valid state
    for ln in range(L):
        orbit[ln] = -1
    pY, pPAYL, pPAR = as_pointer(Y.ctypes.data), as_pointer(payl.ctypes.data), as_pointer(params.ctypes.data)
    pTAB, pWORK = as_pointer(tab.ctypes.data), as_pointer(work.ctypes.data)
    pK = (as_pointer(K1.ctypes.data), as_pointer(K2.ctypes.data), as_pointer(K3.ctypes.data), as_pointer(K4.ctypes.data), as_pointer(K5.ctypes.data), as_pointer(K6.ctypes.data))  # fmt: skip
    running = 0
    for ln in range(L):
        r = take_next(counter) if running == ln else stop  # (once the orbits run out, no lane takes more)
        if r < stop:
            orbit[ln] = r
            running += 1
            fresh[ln] = 1
            live[ln] = 1.0
    while running > 0:
        # lanes that start an orbit or a parameter segment: this iteration's first stage (a zero step) is theirs
        any_starting = False
        for ln in range(L):
            if fresh[ln]:
                fresh[ln] = 0
                starting[ln] = 1.0
                any_starting = True
                r = orbit[ln]
                if seg[ln] == 0:
                    for i in range(d):
                        X[i, ln] = x0[r, i]
                        LO[i, ln] = np.inf
                        HI[i, ln] = -np.inf
                        LO1[i, ln] = np.inf
                        HI1[i, ln] = -np.inf
                        TURNS[i, ln] = 0.0
                        TURNS1[i, ln] = 0.0
                        LAST[i, ln] = 0.0
                    row[ln] = r if per_orbit else 0
                    h[ln] = H0
                    retry[ln] = 0.0
                    t[ln] = 0.0
                    steps[ln] = 0
                    n_sampled[ln] = 0
                    snapped[ln] = 0
                    nxt[ln] = 0
                    gate[ln] = GATE
                    lin[ln] = 0
                    probing[ln] = 0.0
                for p in range(k):
                    for f in range(n_prof):
                        payl[p * n_prof + f, ln] = pay[seg[ln], row[ln], p, f]
                for i in range(d):
                    K0[i, ln] = 0.0
        # this step's size: up to the lane's next stop (its target: the next output time or the segment's end);
        # zero for idle lanes and for lanes whose first stage this is
        for ln in range(L):
            step = h[ln] if h[ln] < target[ln] - t[ln] else target[ln] - t[ln]
            hh[ln] = step if live[ln] > 0.0 and starting[ln] == 0.0 and probing[ln] == 0.0 else 0.0
        # the six new stages: shares Y -> the protocol's velocity (payoffs and all: flow_stage)
        for i in range(d):
            for ln in range(L):
                Y[i, ln] = X[i, ln] + hh[ln] * (A21 * K0[i, ln])
        for j_ in range(n_probe):
            _probe_point(Y, X, plist[j_], 0, PI, PR, nt, lin, DL)
        stage(pY, pK[0], pPAYL, pPAR, pTAB, pWORK)
        for ln in range(L if any_starting else 0):
            if starting[ln] > 0.0:  # K1 = f(X): the first stage of the orbit or segment
                for i in range(d):
                    K0[i, ln] = K1[i, ln]
                if seg[ln] == 0:  # the orbit's first step, by scipy's rule: its probe now, the step after K2
                    probe[ln] = _probe(X, K1, ln, rtol, atol)
                r = orbit[ln]
                while nxt[ln] < n_out and t_eval[nxt[ln]] <= t[ln]:
                    for i in range(d):
                        out[r, nxt[ln], i] = X[i, ln]
                    nxt[ln] += 1
                target[ln] = _target(bounds, seg[ln], t_eval, nxt[ln])
        for i in range(d):
            for ln in range(L):
                Y[i, ln] = X[i, ln] + hh[ln] * (A31 * K0[i, ln] + A32 * K1[i, ln])
        for ln in range(L if any_starting else 0):
            if probe[ln] > 0.0:  # (a starting lane's Y is X: this stage is its probe, X + h0 f(X))
                for i in range(d):
                    Y[i, ln] = X[i, ln] + probe[ln] * K1[i, ln]
        for j_ in range(n_probe):
            _probe_point(Y, X, plist[j_], 1, PI, PR, nt, lin, DL)
        stage(pY, pK[1], pPAYL, pPAR, pTAB, pWORK)
        for ln in range(L if any_starting else 0):
            if probe[ln] > 0.0:  # K2 = f(X + h0 f(X)): the starting lane's first step, its probe spent
                h[ln] = _first_step(X, K1, K2, ln, probe[ln], bounds[seg[ln] + 1] - t[ln], rtol, atol)
                probe[ln] = 0.0
        for i in range(d):
            for ln in range(L):
                Y[i, ln] = X[i, ln] + hh[ln] * (A41 * K0[i, ln] + A42 * K1[i, ln] + A43 * K2[i, ln])
        for j_ in range(n_probe):
            _probe_point(Y, X, plist[j_], 2, PI, PR, nt, lin, DL)
        stage(pY, pK[2], pPAYL, pPAR, pTAB, pWORK)
        for i in range(d):
            for ln in range(L):
                Y[i, ln] = X[i, ln] + hh[ln] * (A51 * K0[i, ln] + A52 * K1[i, ln] + A53 * K2[i, ln] + A54 * K3[i, ln])
        for j_ in range(n_probe):
            _probe_point(Y, X, plist[j_], 3, PI, PR, nt, lin, DL)
        stage(pY, pK[3], pPAYL, pPAR, pTAB, pWORK)
        for i in range(d):
            for ln in range(L):
                Y[i, ln] = X[i, ln] + hh[ln] * (
                    A61 * K0[i, ln] + A62 * K1[i, ln] + A63 * K2[i, ln] + A64 * K3[i, ln] + A65 * K4[i, ln]
                )
        for j_ in range(n_probe):
            _probe_point(Y, X, plist[j_], 4, PI, PR, nt, lin, DL)
        stage(pY, pK[4], pPAYL, pPAR, pTAB, pWORK)
        for j_ in range(n_probe):  # (probing lanes: linearised if new, then the Newton point for the last stage)
            ln = plist[j_]
            for ca in range(nt):
                F0[ca] = K1[PI[ln, ca], ln]
            if lin[ln] == 0:
                for ca in range(nt):
                    WC[ln, ca] = atol + rtol * abs(X[PI[ln, ca], ln])
                    for cb in range(nt):
                        F1[ca, cb] = _stage_value(K1, K2, K3, K4, K5, K6, cb + 1, PI[ln, ca], ln)
                for i in range(d):
                    XC[ln, i] = X[i, ln]
                lin[ln] = 1 if linearise(F0, F1, WC[ln], PR[ln], nt, MC[ln], Asys, bsys, Pj, NORMS[ln]) else -1
            if lin[ln] == 1 and not newton(F0, MC[ln], nt, Asys, bsys, DL[ln]):
                lin[ln] = -1
        for i in range(d):
            for ln in range(L):
                Y[i, ln] = X[i, ln] + hh[ln] * (
                    B1 * K0[i, ln] + B3 * K2[i, ln] + B4 * K3[i, ln] + B5 * K4[i, ln] + B6 * K5[i, ln]
                )
        for j_ in range(n_probe):
            _probe_point(Y, X, plist[j_], 5, PI, PR, nt, lin, DL)
        stage(pY, pK[5], pPAYL, pPAR, pTAB, pWORK)
        # error norm over every share (scipy's: RMS of the error over atol + rtol max(|x|, |x_new|))
        for ln in range(L):
            errsum[ln] = 0.0
        for i in range(d):
            for ln in range(L):
                ec = (E1 * K0[i, ln] + E3 * K2[i, ln] + E4 * K3[i, ln] + E5 * K4[i, ln] + E6 * K5[i, ln]
                      + E7 * K6[i, ln])  # fmt: skip
                q = hh[ln] * ec / (atol + rtol * max(abs(X[i, ln]), abs(Y[i, ln])))
                errsum[ln] += q * q
        n_sample = 0
        n_cross = 0
        for ln in range(L):
            stepping = orbit[ln] >= 0 and starting[ln] == 0.0 and probing[ln] == 0.0
            starting[ln] = 0.0
            err = np.sqrt(errsum[ln] / d)
            factor = step_factor(err)
            ok = stepping and not err > 1.0
            factor = min(factor, 1.0) if retry[ln] > 0.0 else factor
            retry[ln] = 0.0 if ok else (1.0 if stepping else retry[ln])
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
            inwin[ln] = 1.0 if ok and t_new >= tw else 0.0
            due = ok and tw + (t_end - tw) * n_sampled[ln] / WINDOW_SAMPLES <= t_new + t_tol
            sample[ln] = 1.0 if due else 0.0
            n_sample += 1 if due else 0
            crossing = ok and t_new >= t_mid and snapped[ln] == 0
            cross[ln] = 1.0 if crossing else 0.0
            n_cross += 1 if crossing else 0
        # window samples inside accepted steps, by dense output from the step's start (scalar, rare)
        for ln in range(L if n_sample > 0 else 0):
            if sample[ln] == 0.0:
                continue
            sample[ln] = 0.0
            while n_sampled[ln] <= WINDOW_SAMPLES:
                tau = tw + (t_end - tw) * n_sampled[ln] / WINDOW_SAMPLES
                if tau > t[ln] + t_tol:
                    break
                th = min(max((tau - t_prev[ln]) / hh[ln], 0.0), 1.0)
                for st in range(7):
                    c = 0.0
                    for m in range(3, -1, -1):
                        c = (c + DENSE[st, m]) * th
                    coef[st] = c
                for i in range(d):
                    x_tau[i] = X[i, ln] + hh[ln] * (
                        coef[0] * K0[i, ln] + coef[2] * K2[i, ln] + coef[3] * K3[i, ln] + coef[4] * K4[i, ln]
                        + coef[5] * K5[i, ln] + coef[6] * K6[i, ln]
                    )  # fmt: skip
                if tau >= t_mid:  # the first sample of the second half
                    _snap(LO, HI, LO1, HI1, TURNS, TURNS1, snapped, ln)
                for i in range(d):
                    LO[i, ln] = min(LO[i, ln], x_tau[i])
                    HI[i, ln] = max(HI[i, ln], x_tau[i])
                n_sampled[ln] += 1
        # accepted lanes move on (first stage of the next step = last of this one), back onto the simplex
        for i in range(d):
            for ln in range(L):
                take = acc[ln] > 0.0
                y, x, k6, k0 = Y[i, ln], X[i, ln], K6[i, ln], K0[i, ln]
                X[i, ln] = y if take else x
                K0[i, ln] = k6 if take else k0
        _project(X, off, k, S0)
        for ln in range(L if n_cross > 0 else 0):
            if cross[ln] > 0.0:
                cross[ln] = 0.0
                _snap(LO, HI, LO1, HI1, TURNS, TURNS1, snapped, ln)
        # window statistics: range of every share, turning points of every share
        for i in range(d):
            for ln in range(L):
                inside = inwin[ln] > 0.0
                s_, g, last = X[i, ln], K0[i, ln], LAST[i, ln]
                sg = 1.0 if g > 0.0 else (-1.0 if g < 0.0 else 0.0)
                LO[i, ln] = min(LO[i, ln], s_ if inside else np.inf)
                HI[i, ln] = max(HI[i, ln], s_ if inside else -np.inf)
                TURNS[i, ln] += 1.0 if inside and sg * last < 0.0 else 0.0
                LAST[i, ln] = sg if inside and sg != 0.0 else last
        # lanes whose orbit may have settled (module settle): a lane without a linearisation spends its next
        # iteration's stages on one (probing), then every lane due is checked, and those certified stop at t_end
        # (settle: every |F_i| < gate (atol + rtol |x_i|))
        for ln in range(L if settling else 0):
            check[ln] = acc[ln]
        for i in range(d if settling else 0):
            for ln in range(L):
                below = abs(K0[i, ln]) < gate[ln] * (atol + rtol * abs(X[i, ln]))  # (gate 0: never)
                check[ln] = check[ln] if below else 0.0
        n_check = 0
        for ln in range(L if settling else 0):
            due = (check[ln] > 0.0 and seg[ln] == nseg - 1 and t[ln] < target[ln] - t_tol) or probing[ln] > 0.0
            clist[n_check] = ln
            n_check += 1 if due else 0
        next_probe = 0
        for j_ in range(n_check):
            ln = clist[j_]
            if probing[ln] == 0.0:  # due: the next iteration's stages are its check (probing)
                probing[ln] = 1.0
                plist[next_probe] = ln
                next_probe += 1
                if lin[ln] != 1:  # (tangent coordinates for a new linearisation: all but each largest share)
                    lin[ln] = 0
                    ca = 0
                    for p in range(k):
                        rf = off[p]
                        for i in range(off[p] + 1, off[p + 1]):
                            rf = i if X[i, ln] > X[rf, ln] else rf
                        for i in range(off[p], off[p + 1]):
                            if i != rf:
                                PI[ln, ca], PR[ln, ca] = i, rf
                                ca += 1
                continue
            # probed: K1 the field at X, K6 at the Newton point X + delta (linearised in the fifth stage's wake)
            probing[ln] = 0.0
            size = _field_size(X, K1, ln, rtol, atol)
            if lin[ln] != 1:  # (no stable rest point by the linearisation here: a hundred times smaller a field first)
                lin[ln] = 0
                gate[ln] = 0.01 * size
                continue
            moved = 0.0
            for i in range(d):
                moved += (X[i, ln] - XC[ln, i]) ** 2
            for ca in range(nt):
                F0[ca] = K6[PI[ln, ca], ln]
                # (the tolerances at the output, X + delta, where a share heading for a face is smaller)
                wt[ca] = atol + rtol * min(abs(X[PI[ln, ca], ln]), abs(X[PI[ln, ca], ln] + DL[ln, ca]))
            rho, rate, near = certify(DL[ln], F0, MC[ln], WC[ln], wt, np.sqrt(moved), NORMS[ln], nt, Asys, bsys)
            found = bound(rho, rate, near, t[ln], first_output(t[ln], tw, t_eval, nxt[ln]))
            if found < 0.0 or found > settle:
                gate[ln] = next_gate(size, found)
                lin[ln] = 1 if found >= 0.0 else 0  # (out of the linearisation's reach: a new one next time)
                continue
            # settled: X + delta, back onto the simplices, is the state from now to t_end
            for ca in range(nt):
                X[PI[ln, ca], ln] += DL[ln, ca]
                X[PR[ln, ca], ln] -= DL[ln, ca]
            _project_lane(X, off, k, ln)
            r = orbit[ln]
            while nxt[ln] < n_out:
                for i in range(d):
                    out[r, nxt[ln], i] = X[i, ln]
                nxt[ln] += 1
            # (what is left of the window's half, and the whole second half if that was the first)
            for _half in range(2):
                for i in range(d):
                    LO[i, ln] = min(LO[i, ln], X[i, ln])
                    HI[i, ln] = max(HI[i, ln], X[i, ln])
                _snap(LO, HI, LO1, HI1, TURNS, TURNS1, snapped, ln)
            n_sampled[ln] = WINDOW_SAMPLES + 1
            t[ln] = t_end
            target[ln] = t_end
            acc[ln] = 1.0  # (the event below finishes the orbit)
        n_probe = next_probe
        # lanes with an event (a stop reached: an output time or the segment's end; or the step budget spent),
        # flagged branch-free; then the bookkeeping for those lanes only (scalar)
        n_event = 0
        for ln in range(L):
            reached = acc[ln] > 0.0 and t[ln] >= target[ln] - t_tol
            event = live[ln] > 0.0 and (reached or steps[ln] >= max_steps)
            flag[ln] = 1.0 if event else 0.0
            n_event += 1 if event else 0
        for ln in range(L if n_event > 0 else 0):
            if flag[ln] == 0.0:
                continue
            r = orbit[ln]
            if acc[ln] > 0.0:
                if nxt[ln] < n_out and abs(t[ln] - t_eval[nxt[ln]]) <= t_tol:
                    for i in range(d):
                        out[r, nxt[ln], i] = X[i, ln]
                    nxt[ln] += 1
                if abs(t[ln] - bounds[seg[ln] + 1]) <= t_tol:
                    seg[ln] += 1
                    if seg[ln] < nseg:
                        fresh[ln] = 1
            finished = seg[ln] >= nseg
            if finished or steps[ln] >= max_steps:
                for i in range(d):
                    sig_out[r, i] = X[i, ln]
                    box[r, 0, i] = LO1[i, ln]
                    box[r, 1, i] = HI1[i, ln]
                    box[r, 2, i] = LO[i, ln]
                    box[r, 3, i] = HI[i, ln]
                    box[r, 4, i] = low(LO1[i, ln], LO[i, ln])  # the whole window's
                    box[r, 5, i] = high(HI1[i, ln], HI[i, ln])
                    turns[r, 0, i] = TURNS[i, ln]
                    turns[r, 1, i] = TURNS[i, ln] - TURNS1[i, ln]
                steps_out[r] = steps[ln]
                status_out[r] = 0 if finished else 1
                seg[ln] = 0
                fresh[ln] = 0
                r = take_next(counter)
                if r < stop:
                    orbit[ln] = r
                    fresh[ln] = 1
                else:
                    orbit[ln] = -1
                    live[ln] = 0.0
                    running -= 1
                    for p in range(k):
                        for i in range(off[p], off[p + 1]):
                            X[i, ln] = 1.0 / (off[p + 1] - off[p])
            elif fresh[ln] == 0:  # on in the same segment: its next stop
                target[ln] = _target(bounds, seg[ln], t_eval, nxt[ln])


@njit(inline="always")
def _snap(LO, HI, LO1, HI1, TURNS, TURNS1, snapped, ln):
    """Lane ``ln``'s window passes into its second half (once): the first half's ranges and turns kept in ``LO1``,
    ``HI1``, ``TURNS1``, the second half's ranges begun."""
    if snapped[ln] == 0:
        for i in range(LO.shape[0]):
            LO1[i, ln], HI1[i, ln], TURNS1[i, ln] = LO[i, ln], HI[i, ln], TURNS[i, ln]
            LO[i, ln], HI[i, ln] = np.inf, -np.inf
        snapped[ln] = 1


@njit(inline="always")
def _probe_point(Y, X, ln, s, PI, PR, nt, lin, DL):
    """A probing lane's point for stage ``s`` (0-5): ``X`` for the first; for the next ``nt``, when the lane has no
    linearisation yet (``lin`` 0), ``X + FD_STEP (e_i - e_ref)`` for each tangent coordinate (``PI``, ``PR``); for
    the last, the Newton point ``X + DL`` when there is one (``lin`` 1); else ``X``."""
    for i in range(Y.shape[0]):
        Y[i, ln] = X[i, ln]
    if 1 <= s <= nt and lin[ln] == 0:
        Y[PI[ln, s - 1], ln] += FD_STEP
        Y[PR[ln, s - 1], ln] -= FD_STEP
    if s == 5 and lin[ln] == 1:
        for ca in range(nt):
            Y[PI[ln, ca], ln] += DL[ln, ca]
            Y[PR[ln, ca], ln] -= DL[ln, ca]


@njit(inline="always")
def _stage_value(K1, K2, K3, K4, K5, K6, s, i, ln):
    """Stage ``s`` (0-5)'s value ``K<s+1>[i, ln]``."""
    if s == 0:
        return K1[i, ln]
    if s == 1:
        return K2[i, ln]
    if s == 2:
        return K3[i, ln]
    if s == 3:
        return K4[i, ln]
    if s == 4:
        return K5[i, ln]
    return K6[i, ln]


@njit(inline="always")
def _field_size(X, K0, ln, rtol, atol):
    """``max_i |F_i| / (atol + rtol |x_i|)`` of lane ``ln`` (what the settling gate measures)."""
    size = 0.0
    for i in range(X.shape[0]):
        size = max(size, abs(K0[i, ln]) / (atol + rtol * abs(X[i, ln])))
    return size


@njit(inline="always")
def _project_lane(X, off, k, ln):
    """Lane ``ln``'s shares clipped at zero and rescaled to sum 1 in each population."""
    for p in range(k):
        total = 0.0
        for i in range(off[p], off[p + 1]):
            X[i, ln] = max(X[i, ln], 0.0)
            total += X[i, ln]
        for i in range(off[p], off[p + 1]):
            X[i, ln] = X[i, ln] / total


@njit(inline="always", error_model="numpy")
def _probe(X, K1, ln, rtol, atol):
    """The probe ``h0`` of scipy's first step (``solve_ivp``'s ``select_initial_step``; ``flow.first_step``) for
    lane ``ln`` at its start ``X``, ``K1 = f(X)``: ``0.01 d0 / d1``, ``1e-6`` if either is below ``1e-5``, ``d0``
    and ``d1`` the RMS of ``X / scale`` and ``f(X) / scale``, ``scale = atol + rtol |X|``."""
    d = X.shape[0]
    d0, d1 = 0.0, 0.0
    for i in range(d):
        sc = atol + abs(X[i, ln]) * rtol
        d0 += (X[i, ln] / sc) ** 2
        d1 += (K1[i, ln] / sc) ** 2
    d0, d1 = np.sqrt(d0 / d), np.sqrt(d1 / d)
    return 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1


@njit(inline="always", error_model="numpy")
def _first_step(X, K1, K2, ln, h0, span, rtol, atol):
    """scipy's first step (error estimate of order 4) for lane ``ln`` at its start ``X``, from the probe ``h0``
    (:func:`_probe`), ``K1 = f(X)`` and ``K2 = f(X + h0 f(X))``: ``min(100 h0, (0.01 / max(d1, d2))**(1/5),
    span)``, ``d2`` the RMS of ``(K2 - K1) / scale`` over ``h0``; ``span`` the time to the segment's end."""
    d = X.shape[0]
    d1, d2 = 0.0, 0.0
    for i in range(d):
        sc = atol + abs(X[i, ln]) * rtol
        d1 += (K1[i, ln] / sc) ** 2
        d2 += ((K2[i, ln] - K1[i, ln]) / sc) ** 2
    d1, d2 = np.sqrt(d1 / d), np.sqrt(d2 / d) / h0
    if d1 <= 1e-15 and d2 <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** ERROR_EXPONENT
    return min(100.0 * h0, h1, span)


@njit(inline="always")
def _target(bounds, seg, t_eval, nxt):
    """A lane's next stop: its next output time, or its segment's end if that comes first."""
    tg = bounds[seg + 1]
    return t_eval[nxt] if nxt < t_eval.shape[0] and t_eval[nxt] < tg else tg


def compile_driver() -> None:
    """Compile (or load) the driver for the argument types ``integrate`` passes, and record it in the cache folder
    (``cache.flow_marker``).  Compiled from the types alone: the stage is a function of its signature
    (``flow_stage.STAGE_SIGNATURE``), so no stage is compiled for it."""
    import numba

    from .layout import tables

    off, _, others, flat, nq = tables((2, 2))
    tab, n_work = pack_tables(off, others, flat, nq, 4, LANES)
    floats = [np.empty((1,) * m) for m in range(5)]
    ints = np.empty(1, dtype=np.int64)
    # integrate's call: stage, params, tab, n_work, counter, stop, x0, pay, off, bounds, t_eval, tw, rtol, atol,
    # max_steps, settle, sig, box, turns, out, steps, status
    args = (floats[1], tab, n_work, ints, 0, floats[2], floats[4], off, floats[1], floats[1], 0.5, 1e-8, 1e-10, 1,
            0.01, floats[2], floats[3], floats[3], floats[3], ints, ints)  # fmt: skip
    _run_range.compile((types.FunctionType(STAGE_SIGNATURE), *(numba.typeof(a) for a in args)))
    flow_marker().touch()


def integrate(x0, pay, off, others, flat, nq, bounds, t_eval, tw, rtol, atol, max_steps, kind, eta, mu, field=None,
              settle=0.0):  # fmt: skip
    """Integrate every orbit under protocol ``kind`` (index into ``KINDS``; ``eta``, ``mu`` its parameters, unused
    by the others); one call per core on a thread pool, sharing the orbits (``pool.run_shared``).  ``field``: a model's payoffs (``rhs_field.Field``, its
    parameters in ``pay``), else the game shape's payoff tables; the stage is written for either (``flow_stage``).
    ``settle``: stop orbits settled at a stable rest point within that many tolerances (``settle.SETTLE``; 0.0,
    never: for Smith and BNN, whose fields have kinks).

    On a machine where the driver is not compiled yet, a child process compiles it (``warm``; started here, or
    earlier by the caller: ``cache.compile_flow_in_background``) while this process compiles the stage; then the
    driver is loaded from the cache."""
    n, d = x0.shape
    n_prof = pay.shape[3]
    if not _run_range.overloads:
        compile_flow_in_background()  # (nothing when compiled, or when the caller started it)
    if field is not None:
        stage = for_field(field, kind)
    else:
        stage = for_shape(tuple(int(off[p + 1] - off[p]) for p in range(len(off) - 1)), kind)
    tab, n_work = pack_tables(off, others, flat, nq, n_prof, LANES)
    n_work = max(n_work, generic_work(d, flat.shape[1]))  # (for payoffs by loops over the index tables)
    wait_for_flow()
    # the driver is compiled for C-contiguous arrays of these types (``compile_driver``): no copy when they are
    x0, pay, bounds, t_eval = (np.ascontiguousarray(a, dtype=np.float64) for a in (x0, pay, bounds, t_eval))
    off = np.ascontiguousarray(off, dtype=np.int64)
    params = np.array([eta, mu], dtype=np.float64)
    sig = np.empty((n, d))
    box = np.empty((n, 6, d))
    turns = np.empty((n, 2, d))
    out = np.empty((n, t_eval.shape[0], d))
    steps = np.empty(n, dtype=np.int64)
    status = np.empty(n, dtype=np.int64)

    counter = np.zeros(1, dtype=np.int64)  # the next orbit to take, shared by the threads

    def run():
        _run_range(stage, params, tab, n_work, counter, n, x0, pay, off,
                   bounds, t_eval, float(tw), float(rtol), float(atol), int(max_steps), float(settle), sig, box, turns,
                   out, steps, status)  # fmt: skip

    run_shared(run, n, LANES)
    mark_loaded("flow")
    return sig, box, turns, out, steps, status
