"""Dormand-Prince 5(4) in log-ratio coordinates, one adaptive step sequence per orbit.

Bare-array kernels behind :func:`gamekit.simulate`; no validation here.  Two
implementations of one algorithm: ``integrate_numba`` (module ``dopri_numba``:
compiled, lanes of orbits on a thread pool, with a right-hand side written out
per game shape by ``rhs_codegen``) and ``integrate_numpy`` (all orbits advance
in lock-step iterations, each with its own step size, vectorised over orbits).  Each orbit's step sequence depends on that orbit alone, so the two
agree to rounding and neither depends on how orbits are batched.

State: ``v[i] = ln(sigma[i] / sigma[ref_p])`` for every strategy ``i`` of
population ``p``, where ``ref_p`` is a reference strategy alive in that orbit
(so ``v[ref_p] = 0``); ``sigma_p = softmax(v_p)`` over the alive strategies and::

    dv[i]/dt = u_p(i) - u_p(ref_p),    u_p(i) = sum_{j'} A_p[i, j'] * W_p[j'],

where ``j'`` runs over the other populations' pure profiles and
``W_p[j'] = prod_{q != p} sigma_q[j'_q]`` is computed once per ``j'``.

Arrays (``N`` orbits, ``D`` strategies in all, ``k`` populations, ``P`` pure
profiles, ``S`` parameter segments, ``T`` output times)::

    x0      (N, D)       initial shares; a share that is exactly zero stays zero (the orbit
                         lives on that face), and each population's largest share is its
                         reference strategy (``start`` gives v0, alive and ref)
    pay     (S, R, k, P) payoff of population p at flattened profile j; R is N or 1
    owner   (D,)         population of each strategy
    others  (k, Q, k-1)  for population p and opponents' profile j', the global
                         indices of the opponents' strategies (Q = max count)
    flat    (D, Q)       flattened profile index of (strategy i, opponents' profile j')
    nq      (k,)         number of opponents' profiles of each population
    bounds  (S + 1,)     segment start times, bounds[-1] = t_end
    t_eval  (T,)         output times (may be empty)
    tw                   start of the observation window

Outputs: final shares, the window box (min and max of every share over the
observation window), turning points of every log-ratio in the window (sign
changes of dv/dt at the ends of accepted steps), shares at ``t_eval``, steps
taken, and a status (0 ok, 1 step limit reached).  The window box is sampled at
the end of every accepted step in ``[tw, t_end]`` and, by the method's dense
output (its fourth-order interpolant, matrix ``DENSE``), at the ``WINDOW_SAMPLES
+ 1`` evenly spaced times ``tw + j (t_end - tw) / WINDOW_SAMPLES``: the window is
observed at least that finely however long the steps, so step sizes are left to
the error control alone.  Steps land exactly on segment boundaries and output
times.
"""

from __future__ import annotations

import itertools

import numpy as np

# Dormand-Prince 5(4) tableau: stages A (row 6 = B: first same as last), weights B, error E = B - B*.
# (The nodes c are not needed: the replicator field does not depend on time within a segment.)
A = np.array(
    [
        [0, 0, 0, 0, 0, 0],
        [1 / 5, 0, 0, 0, 0, 0],
        [3 / 40, 9 / 40, 0, 0, 0, 0],
        [44 / 45, -56 / 15, 32 / 9, 0, 0, 0],
        [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729, 0, 0],
        [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656, 0],
        [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
    ]
)
B = np.array([35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0])
E = np.array([71 / 57600, 0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40])

# Dense output (Shampine's 4th-order interpolant of Dormand-Prince, as in scipy's RK45):
# v(t + theta h) = v + h * sum_s K_s * sum_m DENSE[s, m] * theta**(m + 1).
DENSE = np.array(
    [
        [1, -8048581381 / 2820520608, 8663915743 / 2820520608, -12715105075 / 11282082432],
        [0, 0, 0, 0],
        [0, 131558114200 / 32700410799, -68118460800 / 10900136933, 87487479700 / 32700410799],
        [0, -1754552775 / 470086768, 14199869525 / 1410260304, -10690763975 / 1880347072],
        [0, 127303824393 / 49829197408, -318862633887 / 49829197408, 701980252875 / 199316789632],
        [0, -282668133 / 205662961, 2019193451 / 616988883, -1453857185 / 822651844],
        [0, 40617522 / 29380423, -110615467 / 29380423, 69997945 / 29380423],
    ]
)
WINDOW_SAMPLES = 8  # the window box is sampled at least at WINDOW_SAMPLES + 1 evenly spaced times

# Step-size control: h_new = h * clip(SAFETY * err**(-1/4), MIN_FACTOR, MAX_FACTOR), err the RMS of the
# local error over atol + rtol |v|.  (The exponent 1/4, rather than the textbook 1/5, is two square roots
# instead of a pow call, which cost a tenth of the kernel's time.)
SAFETY, MIN_FACTOR, MAX_FACTOR = 0.9, 0.2, 10.0
H0 = 1e-3  # first trial step; the controller adapts it within a few steps
# A share below exp(UNDERFLOW / (k - 1)) counts as exactly zero in the payoffs: a product of k - 1 such
# shares would be a subnormal number (slow arithmetic), and cannot change an O(1) payoff in double precision.
UNDERFLOW = -700.0


def tables(shape):
    """Index tables ``owner, others, flat, nq`` for a game of this shape (see the module docstring)."""
    k = len(shape)
    off = np.concatenate([[0], np.cumsum(shape)]).astype(np.int64)
    d = int(off[-1])
    owner = np.repeat(np.arange(k), shape).astype(np.int64)
    strides = [int(np.prod(shape[q + 1 :])) for q in range(k)]
    nq = np.array([int(np.prod([shape[q] for q in range(k) if q != p])) for p in range(k)], dtype=np.int64)
    qmax = int(nq.max())
    others = np.zeros((k, qmax, max(k - 1, 1)), dtype=np.int64)
    flat = np.zeros((d, qmax), dtype=np.int64)
    for p in range(k):
        opp = [q for q in range(k) if q != p]
        for jj, prof in enumerate(itertools.product(*(range(shape[q]) for q in opp))):
            for m, (q, s) in enumerate(zip(opp, prof)):
                others[p, jj, m] = off[q] + s
            base = sum(strides[q] * s for q, s in zip(opp, prof))
            for i in range(shape[p]):
                flat[off[p] + i, jj] = base + strides[p] * i
    return off, owner, others, flat, nq


# ----------------------------------------------------------------------------- numpy


def shares_np(v, alive, off):
    """Softmax of each population's block over its alive strategies; (M, D)."""
    sig = np.zeros_like(v)
    cutoff = UNDERFLOW / max(len(off) - 2, 1)
    for p in range(len(off) - 1):
        a, b = off[p], off[p + 1]
        blk = np.where(alive[:, a:b], v[:, a:b], -np.inf)
        x = blk - np.max(blk, axis=1, keepdims=True)
        e = np.where(x > cutoff, np.exp(np.maximum(x, cutoff)), 0.0)
        sig[:, a:b] = e / e.sum(axis=1, keepdims=True)
    return sig


def _rhs_np(v, alive, ref, pay, off, others, flat, nq):
    """dv/dt for M orbits; pay is (M, k, P)."""
    sig = shares_np(v, alive, off)
    m, d = v.shape
    k = len(off) - 1
    u = np.empty((m, d))
    rows = np.arange(m)[:, None]
    for p in range(k):
        q = nq[p]
        w = np.ones((m, q))
        for col in range(k - 1):
            w = w * sig[:, others[p, :q, col]]
        for i in range(off[p], off[p + 1]):
            u[:, i] = np.sum(pay[:, p, flat[i, :q]] * w, axis=1)
    out = np.empty_like(u)
    for p in range(k):
        a, b = off[p], off[p + 1]
        out[:, a:b] = np.where(alive[:, a:b], u[:, a:b] - u[rows[:, 0], ref[:, p]][:, None], 0.0)
    return out, sig


def start(x0, off):
    """Each orbit's start in log-ratio coordinates: ``(v0, alive, ref)`` from its shares (module docstring)."""
    n = x0.shape[0]
    alive = x0 > 0
    ref = np.stack([off[p] + np.argmax(x0[:, off[p] : off[p + 1]], axis=1) for p in range(len(off) - 1)], axis=1)
    with np.errstate(divide="ignore"):
        logs = np.log(np.where(alive, x0, 1.0))
    owner = np.repeat(np.arange(len(off) - 1), np.diff(off))
    v0 = np.where(alive, logs - logs[np.arange(n)[:, None], ref][:, owner], 0.0)
    return v0, alive, ref


def integrate_numpy(x0, pay, off, others, flat, nq, bounds, t_eval, tw, rtol, atol, max_steps):
    n, d = x0.shape
    v0, alive, ref = start(x0, off)
    free = alive.copy()
    free[np.arange(n)[:, None], ref] = False
    cnt = np.maximum(free.sum(axis=1), 1)
    per_orbit = pay.shape[1] != 1
    v = v0.copy()
    t = np.zeros(n)
    seg = np.zeros(n, dtype=np.int64)
    h = np.full(n, H0)
    steps = np.zeros(n, dtype=np.int64)
    status = np.zeros(n, dtype=np.int64)
    nxt = np.zeros(n, dtype=np.int64)
    n_out = len(t_eval)
    out = np.full((n, n_out, d), np.nan)
    lo = np.full((n, d), np.inf)
    hi = np.full((n, d), -np.inf)
    turns = np.zeros((n, d), dtype=np.int64)
    last_sign = np.zeros((n, d))
    n_sampled = np.zeros(n, dtype=np.int64)
    t_end = bounds[-1]
    nseg = len(bounds) - 1
    if n_out:
        sig0 = shares_np(v, alive, off)
        while True:
            hit = (nxt < n_out) & (t_eval[np.minimum(nxt, n_out - 1)] <= 0.0)
            if not hit.any():
                break
            out[hit, nxt[hit]] = sig0[hit]
            nxt[hit] += 1
    active = np.ones(n, dtype=bool)
    while active.any():
        idx = np.nonzero(active)[0]
        vi, ai, ri, ti, hprev, si = v[idx], alive[idx], ref[idx], t[idx], h[idx], seg[idx]
        P = pay[si, idx] if per_orbit else pay[si, 0]
        target = bounds[si + 1].copy()
        if n_out:
            has = nxt[idx] < n_out
            target = np.where(has, np.minimum(target, t_eval[np.minimum(nxt[idx], n_out - 1)]), target)
        hh = np.minimum(hprev, target - ti)
        k1, sig = _rhs_np(vi, ai, ri, P, off, others, flat, nq)
        ks = [k1]
        for s in range(1, 7):
            y = vi + hh[:, None] * sum(A[s, j] * ks[j] for j in range(s) if A[s, j] != 0)
            ks.append(_rhs_np(y, ai, ri, P, off, others, flat, nq)[0])
        y_new = vi + hh[:, None] * sum(B[j] * ks[j] for j in range(6) if B[j] != 0)
        err_vec = hh[:, None] * sum(E[j] * ks[j] for j in range(7) if E[j] != 0)
        scale = atol + rtol * np.maximum(np.abs(vi), np.abs(y_new))
        ratio = np.where(free[idx], err_vec / scale, 0.0)
        err = np.sqrt(np.sum(ratio**2, axis=1) / cnt[idx])
        accept = err <= 1.0
        with np.errstate(divide="ignore"):
            factor = np.where(err == 0, MAX_FACTOR, np.clip(SAFETY / np.sqrt(np.sqrt(err)), MIN_FACTOR, MAX_FACTOR))
        steps[idx] += 1
        # rejected: shrink
        rej = idx[~accept]
        h[rej] = hh[~accept] * np.minimum(factor[~accept], 1.0)
        # accepted: advance, then window statistics at the end of the step
        a_ = accept
        acc = idx[a_]
        v[acc] = y_new[a_]
        t_new = ti[a_] + hh[a_]
        tgt = target[a_]
        reached = t_new >= tgt - 1e-12 * np.maximum(1.0, np.abs(tgt))
        t[acc] = np.where(reached, tgt, t_new)
        # window samples inside the step, by dense output from the step's start
        while True:
            j = n_sampled[acc]
            tau = tw + (t_end - tw) * j / WINDOW_SAMPLES
            due = (j <= WINDOW_SAMPLES) & (tau <= t[acc] + 1e-12 * max(1.0, t_end))
            if not due.any():
                break
            w = acc[due]
            theta = np.clip((tau[due] - ti[a_][due]) / hh[a_][due], 0.0, 1.0)
            powers = theta[:, None] ** np.arange(1, 5)  # (W, 4)
            coef = powers @ DENSE.T  # (W, 7)
            v_tau = vi[a_][due] + hh[a_][due][:, None] * sum(coef[:, [s]] * ks[s][a_][due] for s in range(7))
            sig_tau = shares_np(v_tau, alive[w], off)
            lo[w] = np.minimum(lo[w], sig_tau)
            hi[w] = np.maximum(hi[w], sig_tau)
            n_sampled[w] += 1
        win = t[acc] >= tw
        if win.any():
            w = acc[win]
            sig_w = shares_np(v[w], alive[w], off)
            g = _rhs_np(v[w], alive[w], ref[w], P[a_][win], off, others, flat, nq)[0]
            lo[w] = np.minimum(lo[w], sig_w)
            hi[w] = np.maximum(hi[w], sig_w)
            sgn = np.sign(g)
            turns[w] += (sgn * last_sign[w] < 0) & (sgn != 0)
            last_sign[w] = np.where(sgn != 0, sgn, last_sign[w])
        shortened = hh[a_] < hprev[a_]
        h[acc] = np.where(shortened, np.maximum(hprev[a_], hh[a_] * factor[a_]), hh[a_] * factor[a_])
        if n_out:
            o_hit = (nxt[acc] < n_out) & (
                np.abs(t[acc] - t_eval[np.minimum(nxt[acc], n_out - 1)]) <= 1e-12 * max(1.0, t_end)
            )
            if o_hit.any():
                o = acc[o_hit]
                out[o, nxt[o]] = shares_np(v[o], alive[o], off)
                nxt[o] += 1
        seg_hit = np.abs(t[acc] - bounds[seg[acc] + 1]) <= 1e-12 * max(1.0, t_end)
        seg[acc] += seg_hit
        done = seg[idx] >= nseg
        over = (steps[idx] >= max_steps) & ~done
        status[idx[over]] = 1
        active[idx[done | over]] = False
        seg[idx[done]] = nseg - 1
    return shares_np(v, alive, off), lo, hi, turns, out, steps, status


# ----------------------------------------------------------------------------- numba


def numba_available() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def integrate_numba(x0, pay, off, others, flat, nq, bounds, t_eval, tw, rtol, atol, max_steps):
    """The compiled kernel (module ``dopri_numba``, imported on first use; compiled once and cached on disk)."""
    from .dopri_numba import integrate

    return integrate(x0, pay, off, others, flat, nq, bounds, t_eval, tw, rtol, atol, max_steps)
