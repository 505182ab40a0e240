"""The compiled Dormand-Prince driver (numba); see ``dopri`` for the arrays and the algorithm.

Orbits run in *lanes*: each call advances ``LANES`` orbits in lock-step, every lane with its own time, step size and parameter
segment.  Every array of the working set is laid out ``(strategy, lane)`` and
every loop over lanes is innermost, branch-free and free of calls, so that the
compiler turns it into SIMD instructions: the stages, the right-hand side, the
error norm, the window statistics, and the acceptance with the step-size
decision (computed for every lane as selects, an idle lane's result discarded)
all run vectorised over lanes.  Only the step-size limits (the next output time
or segment boundary) and three rare passes are scalar per lane: the end of an
iteration, with output times, segment boundaries, finished orbits, refills and
the loading of an orbit or a parameter segment into a lane (``_settle_lanes``);
taking the first stage of the lanes just loaded (``_start_lanes``); the window
samples inside a step and the entry into the window's second half
(``_window_samples``).  Each pass first lists the lanes it has work for (``_pick``: the
driver flags them) and loops over those only: a scalar loop over all ``LANES`` that
skips most of them cost more than the work itself (the compiler advances a pointer
into every array the loop body touches, at every lane, and spills them).  When a lane's orbit reaches ``t_end`` the lane takes
the next orbit left from a counter that the calls share (``primitives.take_next``), so a long cycling orbit does
not hold the others back, and lanes idle only at the very end.

One call per core runs on a pool of Python threads (``pool.run_shared``): the compiled integrator releases the
GIL.  (A numba ``parallel=True`` loop would do the same but takes about a second to load from the on-disk cache in
every process.)

**Compiled in two halves.**  The driver ``_run_range`` holds the vectorised
loops; the three passes are compiled apart from it, as C callbacks (numba's
``cfunc``) of one signature (``PASS_SIGNATURE``) that the driver calls through
their addresses, like the RHS.  A pass reads and writes the driver's arrays
through an int64 table of their addresses (slots ``_V`` ... ``_STATUSOUT``) and
two small arrays of scalars (sizes, and the times ``tw``, ``t_end``, ``t_mid``,
``t_tol``); every array it views is C-contiguous (``integrate`` makes sure of it
for the caller's arrays).  So the driver's type is fixed by the signatures alone
(``compile_driver``), and on a machine where nothing is compiled yet a child
process compiles the driver (``warm``) while this process compiles the game's
RHS and the passes: the two halves of the compilation, of similar length, run
side by side on two cores.  (The split costs some CPU time in all, about half a
second to a second here: the passes' array views and numba's per-function and
per-process start-up; on a machine whose cores are all busy it is the total
that counts, and the split does not shorten a first run there.)  A pass is called at most once per iteration of the
``LANES`` lanes (``_settle_lanes`` only when a step landed on an output time
or a segment boundary or a lane reached the step limit, ``_start_lanes`` only
after a lane was loaded, ``_window_samples`` only when a lane samples or enters
the window's second half): nanoseconds against the six RHS calls of a step.  A pass does the same
floating-point operations in the same order as when it was inline in the
driver, so results are the same bit for bit.

Imported only when first used, so that ``import gamekit`` does not import numba.
Compiled functions are cached in gamekit's checked cache folder (``cache``).
Data flows one way: ``tableau``, ``layout``, ``primitives`` -> ``rhs_codegen``
(and ``rhs_generic`` for large games) -> this module -> ``dopri``.
"""

from __future__ import annotations

import numpy as np
from numba import carray, types

from .cache import cfunc, compile_driver_in_background, driver_marker, mark_loaded, njit, wait_for_driver
from .layout import pack_tables
from .pool import run_shared
from .primitives import LANES, as_pointer, exp_neg, high, low, take_next
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


# The driver's rare, scalar per-lane passes (module docstring) are compiled apart from it, as functions of one signature called
# through their addresses like the RHS: pass(addresses, sizes, times) -> int64, where ``addresses`` is an int64
# table of the driver's arrays (slots below), ``sizes`` its int64 scalars and ``times`` its float64 ones.  On a
# machine where nothing is compiled yet this process compiles them (with the game's RHS) while a child process
# compiles the driver (``warm``), so the two halves of the compilation run side by side.
PASS_SIGNATURE = types.int64(types.voidptr, types.voidptr, types.voidptr)

# slots of the address table: (D, L) floats, then (k, L) and (k P, L), lane vectors, scratch, the call's arrays
(_V, _K0, _K1, _K2, _K3, _K4, _K5, _K6, _SIG, _SIGN, _ALIVE, _FREE, _LO, _HI, _LO1, _HI1, _TURNS, _TURNS1, _LAST,
 _REF, _PAYL, _T, _H, _HH, _TPREV, _CNT, _CROSS, _SAMPLE, _STARTING, _ACC, _SEG, _ROW, _ORBIT, _NXT, _STEPS,
 _NSAMPLED, _SNAPPED, _COEF, _VTAU, _STAU, _X0, _PAY, _OFF, _BOUNDS, _TEVAL, _SIGOUT, _BOX, _TURNSOUT,
 _OUT, _STEPSOUT, _STATUSOUT, _SETTLE, _PICKED, _COUNTER, N_SLOTS) = range(55)  # fmt: skip
# the int64 scalars (the last two change as the passes refill lanes: the orbit last taken from the shared
# counter, at least _STOP once they have run out; the lanes with an orbit) and the float64 ones
(_D, _K, _NPROF, _NSEG, _NOUT, _NROWS, _PAYSEG, _PAYROWS, _PERORBIT, _MAXSTEPS, _STOP, _NEXT, _RUNNING,
 N_SIZES) = range(14)  # fmt: skip
_TW, _TEND, _TMID, _TTOL, N_TIMES = range(5)


@njit(inline="always", error_model="numpy")
def _pick(flag, picked):
    """The lanes whose ``flag`` is set, in order, into ``picked``; returns how many.  (A pass loops over these
    only: a loop over every lane that skips most of them costs more, as the compiler advances a pointer into
    each array the loop body uses at every lane.)"""
    m = 0
    for ln in range(LANES):
        picked[m] = ln
        m += 1 if flag[ln] != 0.0 else 0
    return m


def _start_lanes(pa, pn, pf):
    """After the RHS call at the start of an iteration: for the lanes just loaded, its result K1 = f(V) is their
    first stage, and its shares their state; output times at or before their time are written.  Returns 0."""
    L = LANES
    a = carray(pa, (N_SLOTS,), dtype=np.int64)
    n = carray(pn, (N_SIZES,), dtype=np.int64)
    d, n_out = n[_D], n[_NOUT]
    starting = carray(as_pointer(a[_STARTING]), (L,), dtype=np.float64)
    orbit = carray(as_pointer(a[_ORBIT]), (L,), dtype=np.int64)
    nxt = carray(as_pointer(a[_NXT]), (L,), dtype=np.int64)
    t = carray(as_pointer(a[_T]), (L,), dtype=np.float64)
    K0 = carray(as_pointer(a[_K0]), (d, L), dtype=np.float64)
    K1 = carray(as_pointer(a[_K1]), (d, L), dtype=np.float64)
    SIG = carray(as_pointer(a[_SIG]), (d, L), dtype=np.float64)
    SIGN = carray(as_pointer(a[_SIGN]), (d, L), dtype=np.float64)
    t_eval = carray(as_pointer(a[_TEVAL]), (n_out,), dtype=np.float64)
    out = carray(as_pointer(a[_OUT]), (n[_NROWS], n_out, d), dtype=np.float64)
    picked = carray(as_pointer(a[_PICKED]), (L,), dtype=np.int64)
    for q in range(_pick(starting, picked)):  # K1 = f(V): the first stage of the orbit or segment, and its shares
        ln = picked[q]
        for i in range(d):
            K0[i, ln] = K1[i, ln]
            SIG[i, ln] = SIGN[i, ln]
        r = orbit[ln]
        while nxt[ln] < n_out and t_eval[nxt[ln]] <= t[ln]:
            for i in range(d):
                out[r, nxt[ln], i] = SIG[i, ln]
            nxt[ln] += 1
    return 0


def _window_samples(pa, pn, pf):
    """Window samples by dense output from the step's start, for the lanes flagged in ``sample``: each widens
    the box of the current half (the first sample at or after ``t_mid`` keeps the first half's box and starts
    the second's).  Then the lanes flagged in ``cross``, whose accepted step ended in the second half of the
    window for the first time, keep the first half's statistics and start the second half's if no sample did
    (neither touches what the driver's move of accepted lanes changes).  Returns 0."""
    L = LANES
    a = carray(pa, (N_SLOTS,), dtype=np.int64)
    n = carray(pn, (N_SIZES,), dtype=np.int64)
    s = carray(pf, (N_TIMES,), dtype=np.float64)
    d, k = n[_D], n[_K]
    tw, t_end, t_mid, t_tol = s[_TW], s[_TEND], s[_TMID], s[_TTOL]
    sample = carray(as_pointer(a[_SAMPLE]), (L,), dtype=np.float64)
    cross = carray(as_pointer(a[_CROSS]), (L,), dtype=np.float64)
    n_sampled = carray(as_pointer(a[_NSAMPLED]), (L,), dtype=np.int64)
    snapped = carray(as_pointer(a[_SNAPPED]), (L,), dtype=np.int64)
    t = carray(as_pointer(a[_T]), (L,), dtype=np.float64)
    t_prev = carray(as_pointer(a[_TPREV]), (L,), dtype=np.float64)
    hh = carray(as_pointer(a[_HH]), (L,), dtype=np.float64)
    off = carray(as_pointer(a[_OFF]), (k + 1,), dtype=np.int64)
    V = carray(as_pointer(a[_V]), (d, L), dtype=np.float64)
    K0 = carray(as_pointer(a[_K0]), (d, L), dtype=np.float64)
    K2 = carray(as_pointer(a[_K2]), (d, L), dtype=np.float64)
    K3 = carray(as_pointer(a[_K3]), (d, L), dtype=np.float64)
    K4 = carray(as_pointer(a[_K4]), (d, L), dtype=np.float64)
    K5 = carray(as_pointer(a[_K5]), (d, L), dtype=np.float64)
    K6 = carray(as_pointer(a[_K6]), (d, L), dtype=np.float64)
    ALIVE = carray(as_pointer(a[_ALIVE]), (d, L), dtype=np.float64)
    LO = carray(as_pointer(a[_LO]), (d, L), dtype=np.float64)
    HI = carray(as_pointer(a[_HI]), (d, L), dtype=np.float64)
    LO1 = carray(as_pointer(a[_LO1]), (d, L), dtype=np.float64)
    HI1 = carray(as_pointer(a[_HI1]), (d, L), dtype=np.float64)
    TURNS = carray(as_pointer(a[_TURNS]), (d, L), dtype=np.float64)
    TURNS1 = carray(as_pointer(a[_TURNS1]), (d, L), dtype=np.float64)
    coef = carray(as_pointer(a[_COEF]), (7,), dtype=np.float64)
    v_tau = carray(as_pointer(a[_VTAU]), (d,), dtype=np.float64)
    s_tau = carray(as_pointer(a[_STAU]), (d,), dtype=np.float64)
    picked = carray(as_pointer(a[_PICKED]), (L,), dtype=np.int64)
    m = _pick(sample, picked)
    for q in range(m):
        ln = picked[q]
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
                a_ = off[p]
                if off[p + 1] - a_ == 2:  # one exponential, as in the RHS
                    x = v_tau[a_ + 1] - v_tau[a_]
                    x = x if ALIVE[a_, ln] > 0.0 else 1e300
                    x = x if ALIVE[a_ + 1, ln] > 0.0 else -1e300
                    e = exp_neg(-abs(x))
                    big = 1.0 / (1.0 + e)
                    s_a, s_b = (big, e * big) if x <= 0.0 else (e * big, big)
                    LO[a_, ln] = min(LO[a_, ln], s_a)
                    HI[a_, ln] = max(HI[a_, ln], s_a)
                    LO[a_ + 1, ln] = min(LO[a_ + 1, ln], s_b)
                    HI[a_ + 1, ln] = max(HI[a_ + 1, ln], s_b)
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
    m = _pick(cross, picked)
    for q in range(m):
        ln = picked[q]
        cross[ln] = 0.0
        if snapped[ln] == 0:
            for i in range(d):
                LO1[i, ln], HI1[i, ln], TURNS1[i, ln] = LO[i, ln], HI[i, ln], TURNS[i, ln]
                LO[i, ln], HI[i, ln] = np.inf, -np.inf
            snapped[ln] = 1
    return 0


def _settle_lanes(pa, pn, pf):
    """At the end of an iteration, per lane that the driver flagged in ``settling`` (its accepted step landed on
    its target, or it reached the step limit: no other lane has anything to do here) or that has no orbit: the
    output time or segment boundary an accepted step landed on, and an orbit that finished (or ran out of steps)
    written out; a lane without an orbit takes the range's next one, if any (at the first call, every lane).
    Then every lane that starts an orbit (log-ratios to each population's largest share, fresh window
    statistics) or a parameter segment (its payoffs) is loaded: the driver's next RHS call (with a zero step)
    gives it its first stage, and it steps from the iteration after.  Returns the number of lanes loaded."""
    L = LANES
    a = carray(pa, (N_SLOTS,), dtype=np.int64)
    n = carray(pn, (N_SIZES,), dtype=np.int64)
    s = carray(pf, (N_TIMES,), dtype=np.float64)
    d, k, n_prof, n_out, nseg = n[_D], n[_K], n[_NPROF], n[_NOUT], n[_NSEG]
    n_rows, max_steps, stop, per_orbit = n[_NROWS], n[_MAXSTEPS], n[_STOP], n[_PERORBIT] != 0
    t_tol = s[_TTOL]
    orbit = carray(as_pointer(a[_ORBIT]), (L,), dtype=np.int64)
    acc = carray(as_pointer(a[_ACC]), (L,), dtype=np.float64)
    starting = carray(as_pointer(a[_STARTING]), (L,), dtype=np.float64)
    nxt = carray(as_pointer(a[_NXT]), (L,), dtype=np.int64)
    seg = carray(as_pointer(a[_SEG]), (L,), dtype=np.int64)
    row = carray(as_pointer(a[_ROW]), (L,), dtype=np.int64)
    steps = carray(as_pointer(a[_STEPS]), (L,), dtype=np.int64)
    n_sampled = carray(as_pointer(a[_NSAMPLED]), (L,), dtype=np.int64)
    snapped = carray(as_pointer(a[_SNAPPED]), (L,), dtype=np.int64)
    t = carray(as_pointer(a[_T]), (L,), dtype=np.float64)
    h = carray(as_pointer(a[_H]), (L,), dtype=np.float64)
    cnt = carray(as_pointer(a[_CNT]), (L,), dtype=np.float64)
    SIG = carray(as_pointer(a[_SIG]), (d, L), dtype=np.float64)
    V = carray(as_pointer(a[_V]), (d, L), dtype=np.float64)
    K0 = carray(as_pointer(a[_K0]), (d, L), dtype=np.float64)
    ALIVE = carray(as_pointer(a[_ALIVE]), (d, L), dtype=np.float64)
    FREE = carray(as_pointer(a[_FREE]), (d, L), dtype=np.float64)
    LO = carray(as_pointer(a[_LO]), (d, L), dtype=np.float64)
    HI = carray(as_pointer(a[_HI]), (d, L), dtype=np.float64)
    LO1 = carray(as_pointer(a[_LO1]), (d, L), dtype=np.float64)
    HI1 = carray(as_pointer(a[_HI1]), (d, L), dtype=np.float64)
    TURNS = carray(as_pointer(a[_TURNS]), (d, L), dtype=np.float64)
    TURNS1 = carray(as_pointer(a[_TURNS1]), (d, L), dtype=np.float64)
    LAST = carray(as_pointer(a[_LAST]), (d, L), dtype=np.float64)
    ref = carray(as_pointer(a[_REF]), (k, L), dtype=np.int64)
    payl = carray(as_pointer(a[_PAYL]), (k * n_prof, L), dtype=np.float64)
    off = carray(as_pointer(a[_OFF]), (k + 1,), dtype=np.int64)
    bounds = carray(as_pointer(a[_BOUNDS]), (nseg + 1,), dtype=np.float64)
    t_eval = carray(as_pointer(a[_TEVAL]), (n_out,), dtype=np.float64)
    x0 = carray(as_pointer(a[_X0]), (n_rows, d), dtype=np.float64)
    pay = carray(as_pointer(a[_PAY]), (n[_PAYSEG], n[_PAYROWS], k, n_prof), dtype=np.float64)
    out = carray(as_pointer(a[_OUT]), (n_rows, n_out, d), dtype=np.float64)
    sig_out = carray(as_pointer(a[_SIGOUT]), (n_rows, d), dtype=np.float64)
    box = carray(as_pointer(a[_BOX]), (n_rows, 6, d), dtype=np.float64)
    turns = carray(as_pointer(a[_TURNSOUT]), (n_rows, 2, d), dtype=np.float64)
    steps_out = carray(as_pointer(a[_STEPSOUT]), (n_rows,), dtype=np.int64)
    status_out = carray(as_pointer(a[_STATUSOUT]), (n_rows,), dtype=np.int64)
    settling = carray(as_pointer(a[_SETTLE]), (L,), dtype=np.float64)
    picked = carray(as_pointer(a[_PICKED]), (L,), dtype=np.int64)
    counter = carray(as_pointer(a[_COUNTER]), (1,), dtype=np.int64)
    for ln in range(L):  # a lane without an orbit has something to do too (at the first call, every lane)
        settling[ln] = 1.0 if orbit[ln] < 0 else settling[ln]
    n_loaded = 0
    for q in range(_pick(settling, picked)):
        ln = picked[q]
        settling[ln] = 0.0
        r = orbit[ln]
        fresh = False
        freed = False
        if r >= 0:
            if acc[ln] > 0.0:
                if nxt[ln] < n_out and abs(t[ln] - t_eval[nxt[ln]]) <= t_tol:
                    for i in range(d):
                        out[r, nxt[ln], i] = SIG[i, ln]
                    nxt[ln] += 1
                if abs(t[ln] - bounds[seg[ln] + 1]) <= t_tol:
                    seg[ln] += 1
                    fresh = seg[ln] < nseg  # new parameters: recompute the first stage
            finished = seg[ln] >= nseg
            if finished or steps[ln] >= max_steps:
                for i in range(d):
                    sig_out[r, i] = SIG[i, ln]
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
                fresh = False
                orbit[ln] = r = -1
                n[_RUNNING] -= 1
                freed = True
        if r < 0 and n[_NEXT] < stop:  # the next orbit left (once they have run out, no lane here takes more)
            n[_NEXT] = take_next(counter)
            if n[_NEXT] < stop:
                orbit[ln] = r = n[_NEXT]
                n[_RUNNING] += 1
                fresh = True
        if r < 0 and freed:  # the lane stays idle: harmless values for the RHS
            for i in range(d):
                ALIVE[i, ln] = 1.0
                V[i, ln] = 0.0
            for p in range(k):
                ref[p, ln] = off[p]
        if not fresh:
            continue
        n_loaded += 1
        starting[ln] = 1
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
    return n_loaded


_PASSES = (_settle_lanes, _start_lanes, _window_samples)
_compiled_passes = []


def _passes():
    """The compiled passes, in the driver's argument order (compiled, or loaded from the cache folder, once per
    process)."""
    if not _compiled_passes:
        compile_ = cfunc(PASS_SIGNATURE, error_model="numpy", fastmath={"contract"})
        _compiled_passes[:] = [compile_(f) for f in _PASSES]  # (all or none, should one fail)
    return tuple(_compiled_passes)


@njit(nogil=True, error_model="numpy", fastmath={"contract"})
def _run_range(rhs, settle, begin, sampler, tab, n_work, counter, stop, x0, pay, off, bounds, t_eval, tw,
               rtol, atol, max_steps, sig_out, box, turns, out, steps_out, status_out):  # fmt: skip
    """Integrate orbits in lanes, each lane taking the next orbit left from the ``counter`` shared with the other
    threads (``primitives.take_next``; orbits ``0 .. stop - 1``), with the compiled RHS ``rhs`` and passes ``settle``, ``begin``,
    ``sampler`` (``_settle_lanes``, ``_start_lanes``, ``_window_samples``), writing into the output arrays (C-contiguous, as every array here: the passes read them by address).

    ``box[r]`` is (6, D): min and max of every share over the first half of the observation window, over
    the second half, and over the whole window; ``turns[r]`` is (2, D): turning points over the window, and over its second half.
    """
    d = x0.shape[1]
    k = off.shape[0] - 1
    L = LANES
    nseg = bounds.shape[0] - 1
    n_prof = pay.shape[3]
    t_end = bounds[nseg]
    t_tol = TIME_RTOL * (t_end if t_end > 1.0 else 1.0)
    t_mid = tw + 0.5 * (t_end - tw)
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
    picked = np.zeros((1, L), dtype=np.int64)[0]  # the passes' list of the lanes they work on
    sample = np.zeros((1, L))[0]
    settling = np.zeros((1, L))[0]
    starting = np.zeros((1, L))[0]
    coef = np.zeros((1, 7))[0]
    v_tau = np.zeros((1, d))[0]
    s_tau = np.zeros((1, d))[0]
    # the passes' view of all this: the address table, the int64 and the float64 scalars
    slots = np.zeros((1, N_SLOTS), dtype=np.int64)[0]
    sizes = np.zeros((1, N_SIZES), dtype=np.int64)[0]
    times = np.zeros((1, N_TIMES))[0]
    for slot, arr in ((_V, V), (_K0, K0), (_K1, K1), (_K2, K2), (_K3, K3), (_K4, K4), (_K5, K5), (_K6, K6),
                      (_SIG, SIG), (_SIGN, SIGN), (_ALIVE, ALIVE), (_FREE, FREE), (_LO, LO), (_HI, HI), (_LO1, LO1),
                      (_HI1, HI1), (_TURNS, TURNS), (_TURNS1, TURNS1), (_LAST, LAST), (_PAYL, payl), (_X0, x0),
                      (_SIGOUT, sig_out)):  # fmt: skip
        slots[slot] = arr.ctypes.data
    for slot, arr in ((_T, t), (_H, h), (_HH, hh), (_TPREV, t_prev), (_CNT, cnt), (_CROSS, cross),
                      (_SAMPLE, sample), (_SETTLE, settling), (_STARTING, starting), (_ACC, acc), (_COEF, coef),
                      (_VTAU, v_tau), (_STAU, s_tau), (_BOUNDS, bounds), (_TEVAL, t_eval)):  # fmt: skip
        slots[slot] = arr.ctypes.data
    for slot, arr in ((_SEG, seg), (_ROW, row), (_ORBIT, orbit), (_NXT, nxt), (_STEPS, steps),
                      (_NSAMPLED, n_sampled), (_SNAPPED, snapped), (_PICKED, picked), (_OFF, off),
                      (_STEPSOUT, steps_out), (_STATUSOUT, status_out)):  # fmt: skip
        slots[slot] = arr.ctypes.data
    for slot, arr in ((_BOX, box), (_TURNSOUT, turns), (_OUT, out)):
        slots[slot] = arr.ctypes.data
    slots[_REF] = ref.ctypes.data
    slots[_PAY] = pay.ctypes.data
    for slot, value in ((_D, d), (_K, k), (_NPROF, n_prof), (_NSEG, nseg), (_NOUT, t_eval.shape[0]),
                        (_NROWS, x0.shape[0]), (_PAYSEG, pay.shape[0]), (_PAYROWS, pay.shape[1]),
                        (_PERORBIT, 1 if pay.shape[1] != 1 else 0), (_MAXSTEPS, max_steps), (_STOP, stop)):  # fmt: skip
        sizes[slot] = value
    for slot, time in ((_TW, tw), (_TEND, t_end), (_TMID, t_mid), (_TTOL, t_tol)):
        times[slot] = time
    pA, pN, pF = as_pointer(slots.ctypes.data), as_pointer(sizes.ctypes.data), as_pointer(times.ctypes.data)
    # the arrays the RHS reads and writes, by address (they stay put for the whole call)
    pY, pSIGN, pTAB, pWORK = as_pointer(Y.ctypes.data), as_pointer(SIGN.ctypes.data), as_pointer(tab.ctypes.data), as_pointer(work.ctypes.data)  # fmt: skip
    pALIVE, pREF, pPAYL = as_pointer(ALIVE.ctypes.data), as_pointer(ref.ctypes.data), as_pointer(payl.ctypes.data)
    pK1, pK2, pK3 = as_pointer(K1.ctypes.data), as_pointer(K2.ctypes.data), as_pointer(K3.ctypes.data)
    pK4, pK5, pK6 = as_pointer(K4.ctypes.data), as_pointer(K5.ctypes.data), as_pointer(K6.ctypes.data)
    for i in range(d):
        for ln in range(L):
            ALIVE[i, ln] = 1.0
    for p in range(k):
        for ln in range(L):
            ref[p, ln] = off[p]
    for ln in range(L):
        orbit[ln] = -1
    slots[_COUNTER] = counter.ctypes.data
    sizes[_NEXT] = 0  # (below stop: orbits may be left)
    # lanes take orbits and are loaded by the pass that ends every iteration (here: the first orbits); the next
    # iteration's first RHS call (with a zero step) gives a loaded lane its first stage, and it steps from the
    # iteration after (no extra call)
    any_starting = settle(pA, pN, pF)
    while sizes[_RUNNING] > 0:
        # step sizes: up to the next segment boundary or output time
        for ln in range(L):
            if orbit[ln] < 0 or starting[ln]:
                hh[ln] = 0.0
                continue
            tg = bounds[seg[ln] + 1]
            if nxt[ln] < t_eval.shape[0] and t_eval[nxt[ln]] < tg:
                tg = t_eval[nxt[ln]]
            target[ln] = tg
            hh[ln] = h[ln] if h[ln] < tg - t[ln] else tg - t[ln]
        # the six new stages (the last one at the fifth-order solution, which Y then holds)
        for i in range(d):
            for ln in range(L):
                Y[i, ln] = V[i, ln] + hh[ln] * (A21 * K0[i, ln])
        rhs(pY, pALIVE, pREF, pPAYL, pSIGN, pK1, pTAB, pWORK)
        if any_starting:  # K1 = f(V): the first stage of the lanes just loaded
            begin(pA, pN, pF)
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
        n_settle = 0
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
            # a step that landed on its target (an output time or a segment boundary), or the step limit: the lane
            # has something for the pass that ends the iteration (nothing else does: a step that stops short of its
            # target is more than t_tol before it)
            due_settle = (ok and t_new == tg) or (orbit[ln] >= 0 and steps[ln] >= max_steps)
            settling[ln] = 1.0 if due_settle else 0.0
            n_settle += 1 if due_settle else 0
        # window samples inside accepted steps, by dense output from the step's start, and the lanes that
        # entered the second half of the window (rare: scalar code, compiled apart)
        if n_sample + n_cross > 0:
            sampler(pA, pN, pF)
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
        # per lane: output times, segment boundaries, finished orbits, refills and loading (scalar, compiled apart)
        any_starting = settle(pA, pN, pF) if n_settle > 0 else 0


def compile_driver() -> None:
    """Compile (or load) the driver for the argument types ``integrate`` passes, and record it in the cache folder.

    Compiled from the types alone: every compiled RHS has the type of a function of the common signature, and
    so has every pass, so none of them needs to be compiled for it.
    """
    import numba

    from .layout import tables
    from .primitives import RHS_SIGNATURE

    off, _, others, flat, nq = tables((2, 2))
    tab, n_work = pack_tables(off, others, flat, nq, 4, LANES)
    floats = [np.empty((1,) * m) for m in range(5)]
    ints = np.empty(1, dtype=np.int64)
    # integrate's call: rhs, settle, begin, sampler, tab, n_work, counter, stop, x0, pay, off, bounds, t_eval, tw,
    # rtol, atol, max_steps, sig, box, turns, out, steps, status
    args = (tab, n_work, ints, 0, floats[2], floats[4], off, floats[1], floats[1], 0.5, 1e-8, 1e-10, 1,
            floats[2], floats[3], floats[3], floats[3], ints, ints)  # fmt: skip
    functions = (types.FunctionType(RHS_SIGNATURE), *[types.FunctionType(PASS_SIGNATURE)] * len(_PASSES))
    _run_range.compile((*functions, *(numba.typeof(a) for a in args)))
    driver_marker().touch()


def _driver_in_background():
    """Start compiling the driver in a child process (``warm``) if it is not compiled yet; the child, or None."""
    return None if _run_range.overloads else compile_driver_in_background()


def integrate(x0, pay, off, others, flat, nq, bounds, t_eval, tw, rtol, atol, max_steps, rhs=None):
    """Integrate every orbit: one call per core on a thread pool (the kernel releases the GIL), the calls taking
    orbits one at a time from a shared counter.

    ``rhs``: a compiled right-hand side of the common signature to use instead of the game shape's (the
    per-model field of ``rhs_field``; ``pay`` then holds whatever that RHS reads, copied per lane unseen).
    """

    from .rhs_codegen import cached, load

    n, d = x0.shape
    n_prof = pay.shape[3]
    shape = tuple(int(off[p + 1] - off[p]) for p in range(len(off) - 1))
    if rhs is None:
        # nothing compiled yet: the driver compiles in a child process while this one compiles the RHS
        if not cached(shape, LANES):
            _driver_in_background()
        rhs = load(shape, LANES)
        _passes()  # (compiled here, if need be, while the child compiles the driver)
        wait_for_driver()
        if rhs is None:  # too large to write out: the generic RHS (compiled on its first use)
            from .rhs_generic import rhs_generic as rhs
    else:  # a per-model RHS, compiled by the caller while a child started by the caller compiled the driver
        _passes()
        wait_for_driver()
    passes = _passes()
    # the passes read these by address, as C-contiguous arrays of these types (no copy when they are already)
    x0, pay, bounds, t_eval = (np.ascontiguousarray(a, dtype=np.float64) for a in (x0, pay, bounds, t_eval))
    off = np.ascontiguousarray(off, dtype=np.int64)
    tab, n_work = pack_tables(off, others, flat, nq, n_prof, LANES)
    n_out = t_eval.shape[0]
    # every orbit writes every entry of these
    sig = np.empty((n, d))
    box = np.empty((n, 6, d))
    turns = np.empty((n, 2, d))
    out = np.empty((n, n_out, d))
    steps = np.empty(n, dtype=np.int64)
    status = np.empty(n, dtype=np.int64)

    counter = np.zeros(1, dtype=np.int64)  # the next orbit to take, shared by the threads

    def run():
        _run_range(rhs, *passes, tab, n_work, counter, n, x0, pay, off, bounds, t_eval, tw, rtol, atol, max_steps,
                   sig, box, turns, out, steps, status)  # fmt: skip

    run_shared(run, n, LANES)
    mark_loaded("replicator")
    return sig, box, turns, out, steps, status
