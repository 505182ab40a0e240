r"""The compiled stepper of the stochastic replicator dynamics (numba); the mathematics is in ``gamekit.stochastic``.

Paths run in *lanes*: a call owns a range of paths and advances ``LANES`` of them
in lock-step on one step grid ``t_j = j dt``, ``j = 0 .. n_steps`` (every path has
the same grid, so unlike the adaptive driver there is no per-lane time); arrays
are laid out ``(strategy, lane)`` with the loop over lanes innermost.  The payoffs
come from the compiled right-hand side of the deterministic kernel (``rhs_codegen``
per game shape, ``rhs_field`` per model, ``rhs_generic`` for large shapes), called
by address with the common signature ``primitives.RHS_SIGNATURE``: it takes
log-ratios ``v`` per lane and writes the shares ``sig`` and ``out[i] = u_p(i) -
u_p(ref_p)``.  Ranges of paths run on a pool of Python threads (the range stepper
releases the GIL).

**Random numbers.**  Every normal variate is a function of ``(seed, path, step,
source)`` alone: Philox4x32-10 (Salmon, Moraes, Dror & Shaw 2011, the generator
of Random123 and of cuRAND) with the 64-bit key ``seed`` and the 128-bit counter::

    c0 = step mod 2^32,   c1 = floor(step / 2^32) + 2^16 * block,   c2 = path mod 2^32,   c3 = floor(path / 2^32)

(``step < 2^48``, ``block = source // 2``) gives four 32-bit words, i.e. two 64-bit
words whose top 52 bits ``m1``, ``m2`` give the uniforms ``u1 = 1 - m1 2^-52`` in
``(0, 1]`` and ``u2 = m2 2^-52`` in ``[0, 1)`` (exactly, through the bits of
``1.m``), and Box-Muller turns them into the normals of sources ``2 block`` and
``2 block + 1``::

    z0 = sqrt(-2 ln u1) cos(2 pi u2),     z1 = sqrt(-2 ln u1) sin(2 pi u2)

(``|z| <= sqrt(104 ln 2) = 8.49``).  ``ln``, ``sin`` and ``cos`` are written out
here (``log_unit``, ``sincos_turn``: polynomials accurate to rounding, branch-
and call-free) so that the loop over lanes vectorises: numba's calls into the C
library would run one lane at a time.

``path`` is the path's index in the caller's batch plus ``path_offset``.  So a
path is the same, bit for bit, whatever the batch it is computed in, the chunk,
the lane or the thread: every lane runs the same instructions on its own data
(nothing is reduced across lanes), and its random numbers do not depend on what
the other lanes draw.

Forms (``form``, an index into ``gamekit.stochastic.FORMS``): 0 Fudenberg-Harris
in log-ratios ``v``; 1 additive and 2 multiplicative noise on the first share
``x_p`` of two-strategy populations, with absorption at 0 and 1.  Schemes
(``scheme``, into ``SCHEMES``): 0 Euler-Maruyama, 1 Milstein (the same as
Euler-Maruyama except for the multiplicative form).

Imported only when first used (``import gamekit`` does not import numba).
"""

from __future__ import annotations

import numpy as np

from .cache import njit
from .layout import pack_tables
from .primitives import LANES, LN2_HI, LN2_LO, _bits, _float, as_pointer

__all__ = ["integrate", "philox", "normals", "log_unit", "sincos_turn", "LANES"]

# Philox4x32-10 constants (Random123): multipliers and the Weyl key increments
_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint64(0x9E3779B9)
_W1 = np.uint64(0xBB67AE85)
_MASK = np.uint64(0xFFFFFFFF)
_S12 = np.uint64(12)
_S16 = np.uint64(16)
_S32 = np.uint64(32)
_ROUNDS = 10
# A parameter segment starting at s takes effect at the first grid time t_j >= s - SEGMENT_SLACK * h (j h rounds)
SEGMENT_SLACK = 1e-9
ONE_BITS = 0x3FF0000000000000  # the bits of 1.0
SQRT2 = 1.4142135623730951
HALF_PI = 0.5 * np.pi


@njit(inline="always", error_model="numpy")
def philox(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 of the counter ``(c0, c1, c2, c3)`` under the key ``(k0, k1)``: four 32-bit words (each held
    in a uint64, as every argument is)."""
    for _ in range(_ROUNDS):
        p0 = _M0 * c0
        p1 = _M1 * c2
        c0, c1, c2, c3 = (p1 >> _S32) ^ c1 ^ k0, p1 & _MASK, (p0 >> _S32) ^ c3 ^ k1, p0 & _MASK
        k0 = (k0 + _W0) & _MASK
        k1 = (k1 + _W1) & _MASK
    return c0, c1, c2, c3


@njit(inline="always", error_model="numpy")
def log_unit(x):
    """ln(x) for 0 < x <= 1 (a normal double), branch- and call-free so that loops around it vectorise.

    ``x = m 2^e`` with ``m`` in ``[sqrt(1/2), sqrt(2))`` (from the exponent bits), ``f = m - 1`` (exact), and
    ``ln m = 2 atanh(s)``, ``s = f / (2 + f)``, ``|s| <= 0.1716``, by its series to ``s^23`` (remainder below
    ``s^25 / 25 < 1e-19``); ``ln 2`` in two parts as in ``exp_neg``.
    """
    b = _bits(x)
    e = (b >> 52) - 1023
    m = _float((b & 0xFFFFFFFFFFFFF) | 0x3FF0000000000000)  # in [1, 2)
    big = m > SQRT2
    m = m * 0.5 if big else m
    e = e + 1 if big else e
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    z2 = z * z
    z4 = z2 * z2
    z8 = z4 * z4
    q0 = (1.0 + z * (1.0 / 3.0)) + z2 * (1.0 / 5.0 + z * (1.0 / 7.0))
    q1 = (1.0 / 9.0 + z * (1.0 / 11.0)) + z2 * (1.0 / 13.0 + z * (1.0 / 15.0))
    q2 = (1.0 / 17.0 + z * (1.0 / 19.0)) + z2 * (1.0 / 21.0 + z * (1.0 / 23.0))
    series = (q0 + z4 * q1) + z8 * q2
    ef = np.float64(e)
    return ef * LN2_HI + (2.0 * s * series + ef * LN2_LO)


@njit(inline="always", error_model="numpy")
def sincos_turn(u):
    """``(sin(2 pi u), cos(2 pi u))`` for ``0 <= u < 1``, branch- and call-free: ``4 u = q + r`` with ``q`` the
    nearest integer, so the angle is ``q pi / 2 + theta``, ``theta = r pi / 2`` in ``[-pi/4, pi/4]``, where the
    Taylor series of sin and cos to degree 17 and 18 are accurate to below 1e-19; ``q`` selects the quadrant."""
    v = 4.0 * u
    q = np.floor(v + 0.5)
    th = (v - q) * HALF_PI
    t2 = th * th
    t4 = t2 * t2
    t8 = t4 * t4
    # Taylor coefficients as products with reciprocal factorials (constants folded at compile time: no division)
    sp = (
        ((1.0 - t2 * (1.0 / 6.0)) + t4 * (1.0 / 120.0 - t2 * (1.0 / 5040.0)))
        + t8 * ((1.0 / 362880.0 - t2 * (1.0 / 39916800.0)) + t4 * (1.0 / 6227020800.0 - t2 * (1.0 / 1307674368000.0)))
        + (t8 * t8) * (1.0 / 355687428096000.0)
    )
    sn = th * sp
    cs = (
        ((1.0 - t2 * 0.5) + t4 * (1.0 / 24.0 - t2 * (1.0 / 720.0)))
        + t8 * ((1.0 / 40320.0 - t2 * (1.0 / 3628800.0)) + t4 * (1.0 / 479001600.0 - t2 * (1.0 / 87178291200.0)))
        + (t8 * t8) * (1.0 / 20922789888000.0 - t2 * (1.0 / 6402373705728000.0))
    )
    q4 = q - 4.0 * np.floor(q * 0.25)  # 0, 1, 2, 3: sin = sn, cs, -sn, -cs and cos = cs, -sn, -cs, sn
    odd = q4 == 1.0 or q4 == 3.0
    s_sign = -1.0 if q4 >= 2.0 else 1.0
    c_sign = -1.0 if q4 == 1.0 or q4 == 2.0 else 1.0
    return (cs if odd else sn) * s_sign, (sn if odd else cs) * c_sign


@njit(inline="always", error_model="numpy")
def _normal_pair(step, block, path, k0, k1):
    """The two standard normals of ``block`` at ``(step, path)`` (module docstring)."""
    c0 = step & _MASK
    c1 = (step >> _S32) | (block << _S16)
    c2 = path & _MASK
    c3 = path >> _S32
    r0, r1, r2, r3 = philox(c0, c1, c2, c3, k0, k1)
    # 52-bit uniforms from the bits: 1.m - 1 in [0, 1); u1 = 1 - that in (0, 1]
    u1 = 2.0 - _float(np.int64(((r0 << _S32) | r1) >> _S12) | ONE_BITS)
    u2 = _float(np.int64(((r2 << _S32) | r3) >> _S12) | ONE_BITS) - 1.0
    rad = np.sqrt(-2.0 * log_unit(u1))
    sn, cs = sincos_turn(u2)
    return rad * cs, rad * sn


@njit(error_model="numpy")
def normals(seed, path, step, count):
    """The first ``count`` standard normals of ``path`` at ``step`` under ``seed`` (for tests and users who want
    to see a path's noise): the numbers the stepper draws."""
    k0 = np.uint64(seed) & _MASK
    k1 = (np.uint64(seed) >> _S32) & _MASK
    out = np.empty(count)
    for b in range((count + 1) // 2):
        z0, z1 = _normal_pair(np.uint64(step), np.uint64(b), np.uint64(path), k0, k1)
        out[2 * b] = z0
        if 2 * b + 1 < count:
            out[2 * b + 1] = z1
    return out


@njit(nogil=True, error_model="numpy")
def _run_range(rhs, tab, n_work, start, stop, path_offset, seed, x0, pay, bounds, off, form, scheme, sigma, source,
               n_source, n_steps, t_end, out_steps, targets, radius, j_start, j_stop,
               final, out, wiener, entered, exited, absorbed, state):  # fmt: skip
    """Step paths ``start .. stop - 1`` over the grid times ``j_start .. j_stop - 1`` (``j_stop <= n_steps + 1``)
    in lanes, writing into the output arrays.

    A call with ``j_start > 0`` resumes where the call that ended at ``j_start`` left off: the state at
    ``t_{j_start}`` is read from ``state`` (N, D) (the log-ratios ``v``, or for the additive and multiplicative
    forms each population's first share in its first column), and the running sums and first times from ``wiener``,
    ``entered``, ``exited`` and ``absorbed``; every one of them is written back at ``j_stop``.  The random numbers
    depend on ``(seed, path, step)`` only, so the paths are the same, bit for bit, however the grid is split.

    ``x0`` (N, D) initial shares; ``pay`` (S, R, k, P) what the RHS reads per lane in each of the S parameter
    segments (R = N or 1), segment ``s`` from the first grid time at or after ``bounds[s]``; ``sigma`` (D,)
    each strategy's noise (0: none); ``source`` (D,) its noise source (-1: none), ``n_source`` sources in all;
    ``out_steps`` (T,) increasing step indices to store; ``targets`` (W, D) full states watched with ``radius``.
    Outputs: ``final`` (N, D) shares at ``t_end``; ``out`` (N, T, D); ``wiener`` (N, n_source) each source's
    Wiener process at ``t_end`` (the sum of its increments); ``entered`` / ``exited`` (N, W) the first grid time
    within / beyond ``radius`` (max-norm over the shares) of each target, ``inf`` if never; ``absorbed`` (N, k)
    the grid time a population's share was absorbed at 0 or 1 (additive and multiplicative forms), else ``inf``.
    """
    d = x0.shape[1]
    k = off.shape[0] - 1
    L = LANES
    n_prof = pay.shape[3]
    nseg = pay.shape[0]
    n_out = out_steps.shape[0]
    n_tg = targets.shape[0]
    per_path = pay.shape[1] != 1
    dt = t_end / n_steps
    sqdt = np.sqrt(dt)
    n_block = (n_source + 1) // 2
    k0 = np.uint64(seed) & _MASK
    k1 = (np.uint64(seed) >> _S32) & _MASK
    V = np.zeros((d, L))
    SIG = np.zeros((d, L))
    OUT = np.zeros((d, L))
    ALIVE = np.zeros((d, L))
    INC = np.zeros((d, L))  # Fudenberg-Harris: each strategy's log-size increment
    DW = np.zeros((2 * n_block + 1, L))  # this step's Wiener increments, per source
    WSUM = np.zeros((max(n_source, 1), L))
    X = np.zeros((k, L))  # additive / multiplicative: the first share of each population
    ABS = np.zeros((k, L))  # absorption time (inf: not absorbed)
    ENT = np.zeros((max(n_tg, 1), L))
    EXT = np.zeros((max(n_tg, 1), L))
    DIST = np.zeros((1, L))[0]
    INCREF = np.zeros((1, L))[0]
    payl = np.zeros((k * n_prof, L))
    ref = np.zeros((k, L), dtype=np.int64)
    path = np.zeros((1, L), dtype=np.int64)[0]
    row = np.zeros((1, L), dtype=np.int64)[0]
    work = np.zeros((1, n_work))[0]
    half_var = np.zeros((1, d))[0]
    for i in range(d):
        half_var[i] = 0.5 * sigma[i] * sigma[i]
    pV, pALIVE, pREF = as_pointer(V.ctypes.data), as_pointer(ALIVE.ctypes.data), as_pointer(ref.ctypes.data)
    pPAYL, pSIG, pOUT = as_pointer(payl.ctypes.data), as_pointer(SIG.ctypes.data), as_pointer(OUT.ctypes.data)
    pTAB, pWORK = as_pointer(tab.ctypes.data), as_pointer(work.ctypes.data)
    for first in range(start, stop, L):
        m = min(L, stop - first)
        # load the lanes (an idle lane repeats the range's first path; its results are not written)
        for ln in range(L):
            r = first + ln if ln < m else first
            path[ln] = r
            row[ln] = r if per_path else 0
            for p in range(k):
                for f in range(n_prof):
                    payl[p * n_prof + f, ln] = pay[0, row[ln], p, f]
            resume = j_start > 0
            for z in range(n_source):
                WSUM[z, ln] = wiener[r, z] if resume else 0.0
            for w in range(n_tg):
                ENT[w, ln] = entered[r, w] if resume else np.inf
                EXT[w, ln] = exited[r, w] if resume else np.inf
            for p in range(k):
                a = off[p]
                ABS[p, ln] = absorbed[r, p] if resume else np.inf
                if form == 0:  # log-ratios to the population's largest initial share
                    best = a
                    for i in range(a, off[p + 1]):
                        if x0[r, i] > x0[r, best]:
                            best = i
                    ref[p, ln] = best
                    log_ref = np.log(x0[r, best])
                    for i in range(a, off[p + 1]):
                        alive = x0[r, i] > 0.0
                        ALIVE[i, ln] = 1.0 if alive else 0.0
                        V[i, ln] = np.log(x0[r, i]) - log_ref if alive else 0.0
                        if resume:
                            V[i, ln] = state[r, i]
                else:  # two strategies: the first share, absorbed from the start on the boundary
                    ref[p, ln] = a
                    ALIVE[a, ln] = 1.0
                    ALIVE[a + 1, ln] = 1.0
                    X[p, ln] = state[r, a] if resume else x0[r, a]
                    if not resume and (x0[r, a] <= 0.0 or x0[r, a] >= 1.0):
                        ABS[p, ln] = 0.0
        nxt = 0
        while nxt < n_out and out_steps[nxt] < j_start:
            nxt += 1
        seg = 0  # (the segment in force at t_{j_start} is found at the first step below)
        for j in range(j_start, j_stop):
            t = t_end if j == n_steps else j * dt
            while seg + 1 < nseg and t >= bounds[seg + 1] - SEGMENT_SLACK * dt:  # the next parameter segment
                seg += 1
                for ln in range(L):
                    for p in range(k):
                        for f in range(n_prof):
                            payl[p * n_prof + f, ln] = pay[seg, row[ln], p, f]
            if form != 0:  # log-ratios of the shares, for the payoffs
                for p in range(k):
                    a = off[p]
                    for ln in range(L):
                        x = X[p, ln]
                        V[a, ln] = np.log(x)
                        V[a + 1, ln] = np.log(1.0 - x)
            rhs(pV, pALIVE, pREF, pPAYL, pSIG, pOUT, pTAB, pWORK)
            if form != 0:  # the shares exactly as stepped
                for p in range(k):
                    a = off[p]
                    for ln in range(L):
                        SIG[a, ln] = X[p, ln]
                        SIG[a + 1, ln] = 1.0 - X[p, ln]
            # the watched neighbourhoods at t_j
            for w in range(n_tg):
                for ln in range(L):
                    DIST[ln] = 0.0
                for i in range(d):
                    for ln in range(L):
                        DIST[ln] = max(DIST[ln], abs(SIG[i, ln] - targets[w, i]))
                for ln in range(L):  # (times increase: the first time is the smallest)
                    inside = DIST[ln] <= radius
                    ENT[w, ln] = min(ENT[w, ln], t if inside else np.inf)
                    EXT[w, ln] = min(EXT[w, ln], np.inf if inside else t)
            while nxt < n_out and out_steps[nxt] == j:
                for ln in range(m):
                    for i in range(d):
                        out[path[ln], nxt, i] = SIG[i, ln]
                nxt += 1
            if j == n_steps:
                break
            # this step's Wiener increments
            for b in range(n_block):
                for ln in range(L):
                    z0, z1 = _normal_pair(np.uint64(j), np.uint64(b), np.uint64(path[ln] + path_offset), k0, k1)
                    DW[2 * b, ln] = sqdt * z0
                    DW[2 * b + 1, ln] = sqdt * z1  # (a row past the last source when their number is odd)
            for z in range(n_source):
                for ln in range(L):
                    WSUM[z, ln] += DW[z, ln]
            if form == 0:
                # d ln z_i = (u_i - sigma_i^2 / 2) dt + sigma_i dW_i; v_i moves by the difference to the reference
                for i in range(d):
                    s = source[i]
                    for ln in range(L):
                        noise = sigma[i] * DW[s, ln] if s >= 0 else 0.0
                        INC[i, ln] = (OUT[i, ln] - half_var[i]) * dt + noise
                for p in range(k):
                    for ln in range(L):
                        INCREF[ln] = INC[ref[p, ln], ln]
                    for i in range(off[p], off[p + 1]):
                        for ln in range(L):
                            V[i, ln] += (INC[i, ln] - INCREF[ln]) if ALIVE[i, ln] > 0.0 else 0.0
            else:
                t_next = t_end if j + 1 == n_steps else (j + 1) * dt
                for p in range(k):
                    a = off[p]
                    # the noise of this population: on its first strategy (sign +1) or its second (sign -1)
                    s_first, s_second = source[a], source[a + 1]
                    sg = sigma[a] if s_first >= 0 else sigma[a + 1]
                    s = s_first if s_first >= 0 else s_second
                    for ln in range(L):
                        x = X[p, ln]
                        drift = x * (1.0 - x) * (-OUT[a + 1, ln])  # x (1 - x) (u_first - u_second)
                        dw = DW[s, ln] if s >= 0 else 0.0
                        if form == 1:
                            g = sg if s_first >= 0 else -sg
                            gp = 0.0
                        else:
                            g = sg * x if s_first >= 0 else -sg * (1.0 - x)
                            gp = sg
                        mil = 0.5 * g * gp * (dw * dw - dt) if scheme == 1 else 0.0
                        x_new = x + drift * dt + g * dw + mil
                        free = ABS[p, ln] == np.inf
                        hit = free and (x_new <= 0.0 or x_new >= 1.0)
                        x_new = min(max(x_new, 0.0), 1.0)
                        X[p, ln] = x_new if free else x
                        ABS[p, ln] = t_next if hit else ABS[p, ln]
        for ln in range(m):
            r = path[ln]
            for i in range(d):
                final[r, i] = SIG[i, ln]
            for z in range(n_source):
                wiener[r, z] = WSUM[z, ln]
            for w in range(n_tg):
                entered[r, w] = ENT[w, ln]
                exited[r, w] = EXT[w, ln]
            for p in range(k):
                absorbed[r, p] = ABS[p, ln]
                if form != 0:
                    state[r, off[p]] = X[p, ln]
            if form == 0:
                for i in range(d):
                    state[r, i] = V[i, ln]


def integrate(rhs, x0, pay, bounds, off, others, flat, nq, *, seed, path_offset, form, scheme, sigma, source, n_steps,
              t_end, out_steps, targets, radius, threads=None, j_start=0, j_stop=None, buffers=None):  # fmt: skip
    """Step every path (ranges of paths on a thread pool) over the grid times ``j_start .. j_stop - 1`` (default:
    all, ``j_stop = n_steps + 1``); returns ``final, out, wiener, entered, exited, absorbed, state`` (see
    ``_run_range``; ``final`` is the state at ``t_end`` once ``j_stop = n_steps + 1``).  A call that resumes
    (``j_start > 0``) passes the previous call's return value as ``buffers``.  ``rhs`` is a compiled right-hand side
    of the common signature; ``pay`` (S, R, k, P) what it reads in each parameter segment, ``bounds`` (S + 1,) the
    segments' start times and t_end.  ``threads`` (default: the cores) changes nothing but the speed."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    n, d = x0.shape
    k = len(off) - 1
    n_source = int(max(source.max() + 1, 0)) if source.size else 0
    tab, n_work = pack_tables(off, others, flat, nq, pay.shape[3], LANES)
    j_stop = n_steps + 1 if j_stop is None else j_stop
    if buffers is None:
        if j_start != 0:
            raise ValueError("a call that resumes (j_start > 0) needs the previous call's buffers")
        buffers = (
            np.empty((n, d)), np.empty((n, out_steps.shape[0], d)), np.empty((n, n_source)),
            np.empty((n, targets.shape[0])), np.empty((n, targets.shape[0])), np.empty((n, k)), np.empty((n, d)),
        )  # fmt: skip
    final, out, wiener, entered, exited, absorbed, state = buffers
    workers = threads if threads is not None else (os.cpu_count() or 1)
    workers = max(1, min(workers, (n + LANES - 1) // LANES))
    parts = max(1, min(4 * workers, (n + LANES - 1) // LANES))
    # ranges start at multiples of LANES, so that a lane's path does not depend on the number of threads either
    # (it would not anyway: each lane is independent; this only keeps the lanes full)
    blocks = (n + LANES - 1) // LANES
    ranges = [
        (min(n, LANES * ((blocks * i) // parts)), min(n, LANES * ((blocks * (i + 1)) // parts))) for i in range(parts)
    ]

    def run(r):
        _run_range(rhs, tab, n_work, r[0], r[1], path_offset, seed, x0, pay, bounds, off, form, scheme, sigma, source,
                   n_source, n_steps, t_end, out_steps, targets, radius, j_start, j_stop,
                   final, out, wiener, entered, exited, absorbed, state)  # fmt: skip

    if workers == 1:
        for r in ranges:
            run(r)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run, ranges))
    return buffers
