"""Dormand-Prince 5(4) in log-ratio coordinates, one adaptive step sequence per orbit.

Bare-array kernels behind :func:`gamekit.simulate`; no validation here.  Two
implementations of one algorithm: ``integrate_numba`` (module ``dopri_numba``:
compiled, lanes of orbits on a thread pool, with a right-hand side written out
per game shape by ``rhs_codegen``) and ``integrate_numpy`` (all orbits advance
in lock-step iterations, each with its own step size, vectorised over orbits).
Each orbit's step sequence depends on that orbit alone, so the two agree to
rounding and neither depends on how orbits are batched.  The method's constants
live in ``tableau``, the index tables in ``layout``; this module imports the
compiled driver only inside ``integrate_numba`` (data flows one way).

State: ``v[i] = ln(sigma[i] / sigma[ref_p])`` for every strategy ``i`` of
population ``p``, where ``ref_p`` is a reference strategy alive in that orbit
(so ``v[ref_p] = 0``); ``sigma_p = softmax(v_p)`` over the alive strategies and::

    dv[i]/dt = u_p(i) - u_p(ref_p),    u_p(i) = sum_{j'} A_p[i, j'] * W_p[j'],

where ``j'`` runs over the other populations' pure profiles and
``W_p[j'] = prod_{q != p} sigma_q[j'_q]`` is computed once per ``j'``.

For a game that is not multilinear the payoffs ``u_p(i)(sigma, theta)`` are any
functions of the shares and the parameters ``theta`` (``rhs_field.Field``): the
compiled kernel takes the model's generated right-hand side (``rhs=``), the numpy
twin its numpy payoffs (``field=``), and ``pay`` carries ``theta`` in population
0's slot, ``pay[s, r, 0, j] = theta_j`` (shape ``(S, R, k, max(J, 1))``); the
steps, the error control and the window statistics are the same.

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

Outputs::

    sig     (N, D)       final shares
    box     (N, 6, D)    min and max of every share over the first half of the observation
                         window [tw, tm), over the second half [tm, t_end], tm = (tw + t_end) / 2,
                         and over the whole window (written per orbit as it finishes: the
                         classification reads them)
    turns   (N, 2, D)    turning points of every log-ratio (sign changes of dv/dt at the ends of
                         accepted steps) in the window, and in its second half
    out     (N, T, D)    shares at t_eval
    steps   (N,)         steps taken (accepted and rejected)
    status  (N,)         0 ok, 1 step limit reached

The window boxes are sampled at the end of every accepted step in ``[tw, t_end]``
and, by the method's dense output (its fourth-order interpolant, matrix
``DENSE``), at the ``WINDOW_SAMPLES + 1`` evenly spaced times ``tw + j (t_end -
tw) / WINDOW_SAMPLES`` (sample ``WINDOW_SAMPLES / 2`` is ``tm``, the first of the
second half): the window is observed at least that finely however long the
steps, so step sizes are left to the error control alone.  (The compiled driver
keeps one running box and, when an orbit first reaches ``tm``, stores it as the
first half's and starts afresh: no more work per step than a single box.)  Steps land exactly on segment boundaries and output times (to
``TIME_RTOL * max(1, t_end)``).
"""

from __future__ import annotations

import numpy as np

from .layout import tables
from .tableau import DENSE, H0, MAX_FACTOR, MIN_FACTOR, SAFETY, TIME_RTOL, UNDERFLOW, WINDOW_SAMPLES, A, B, E

__all__ = ["tables", "start", "shares_np", "integrate_numpy", "integrate_numba", "numba_available"]

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


def _rhs_np(v, alive, ref, pay, off, others, flat, nq, field=None):
    """dv/dt for M orbits; pay is (M, k, P).

    With ``field`` (a callable ``(sig (M, D), theta (M, J)) -> u (M, D)``, ``rhs_field.Field.payoffs``) the
    payoffs come from it, the parameters ``theta`` from population 0's slot of ``pay`` (module docstring).
    """
    sig = shares_np(v, alive, off)
    u = payoffs_np(sig, pay, off, others, flat, nq, field)
    rows = np.arange(v.shape[0])[:, None]
    out = np.empty_like(u)
    for p in range(len(off) - 1):
        a, b = off[p], off[p + 1]
        out[:, a:b] = np.where(alive[:, a:b], u[:, a:b] - u[rows[:, 0], ref[:, p]][:, None], 0.0)
    return out, sig


def payoffs_np(sig, pay, off, others, flat, nq, field=None):
    """Every strategy's payoff ``u`` (M, D) at the shares ``sig`` (M, D); ``pay`` (M, k, P) the payoff tables, or
    with ``field`` the parameters in population 0's slot (``_rhs_np``).  (Shared with ``flow``.)"""
    if field is not None:
        with np.errstate(all="ignore"):
            return field(sig, pay[:, 0, :])
    m, d = sig.shape
    k = len(off) - 1
    u = np.empty((m, d))
    for p in range(k):
        q = nq[p]
        w = np.ones((m, q))
        for col in range(k - 1):
            w = w * sig[:, others[p, :q, col]]
        for i in range(off[p], off[p + 1]):
            u[:, i] = np.sum(pay[:, p, flat[i, :q]] * w, axis=1)
    return u


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


def integrate_numpy(x0, pay, off, others, flat, nq, bounds, t_eval, tw, rtol, atol, max_steps, field=None):
    """All orbits in lock-step, vectorised over orbits; ``field`` as in ``_rhs_np`` (None: payoff tables)."""
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
    box = np.empty((n, 6, d))
    box[:, 0:4:2] = np.inf  # lows of the two halves
    box[:, 1:4:2] = -np.inf  # highs
    turns = np.zeros((n, 2, d))
    last_sign = np.zeros((n, d))
    n_sampled = np.zeros(n, dtype=np.int64)
    t_end = bounds[-1]
    t_tol = TIME_RTOL * max(1.0, t_end)
    t_mid = tw + 0.5 * (t_end - tw)
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
        k1, sig = _rhs_np(vi, ai, ri, P, off, others, flat, nq, field)
        ks = [k1]
        for s in range(1, 7):
            y = vi + hh[:, None] * sum(A[s, j] * ks[j] for j in range(s) if A[s, j] != 0)
            ks.append(_rhs_np(y, ai, ri, P, off, others, flat, nq, field)[0])
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
        reached = t_new >= tgt - t_tol
        t[acc] = np.where(reached, tgt, t_new)
        # window samples inside the step, by dense output from the step's start
        while True:
            j = n_sampled[acc]
            tau = tw + (t_end - tw) * j / WINDOW_SAMPLES
            due = (j <= WINDOW_SAMPLES) & (tau <= t[acc] + t_tol)
            if not due.any():
                break
            w = acc[due]
            theta = np.clip((tau[due] - ti[a_][due]) / hh[a_][due], 0.0, 1.0)
            powers = theta[:, None] ** np.arange(1, 5)  # (W, 4)
            coef = powers @ DENSE.T  # (W, 7)
            v_tau = vi[a_][due] + hh[a_][due][:, None] * sum(coef[:, [s]] * ks[s][a_][due] for s in range(7))
            sig_tau = shares_np(v_tau, alive[w], off)
            late = tau[due] >= t_mid
            _widen(box, w[~late], sig_tau[~late], 0)
            _widen(box, w[late], sig_tau[late], 2)
            n_sampled[w] += 1
        win = t[acc] >= tw
        if win.any():
            w = acc[win]
            sig_w = shares_np(v[w], alive[w], off)
            g = _rhs_np(v[w], alive[w], ref[w], P[a_][win], off, others, flat, nq, field)[0]
            second = t[w] >= t_mid
            first = ~second
            _widen(box, w[first], sig_w[first], 0)
            _widen(box, w[second], sig_w[second], 2)
            sgn = np.sign(g)
            turn = (sgn * last_sign[w] < 0) & (sgn != 0)
            turns[w, 0] += turn
            turns[w, 1] += turn & second[:, None]
            last_sign[w] = np.where(sgn != 0, sgn, last_sign[w])
        shortened = hh[a_] < hprev[a_]
        h[acc] = np.where(shortened, np.maximum(hprev[a_], hh[a_] * factor[a_]), hh[a_] * factor[a_])
        if n_out:
            o_hit = (nxt[acc] < n_out) & (np.abs(t[acc] - t_eval[np.minimum(nxt[acc], n_out - 1)]) <= t_tol)
            if o_hit.any():
                o = acc[o_hit]
                out[o, nxt[o]] = shares_np(v[o], alive[o], off)
                nxt[o] += 1
        seg_hit = np.abs(t[acc] - bounds[seg[acc] + 1]) <= t_tol
        seg[acc] += seg_hit
        done = seg[idx] >= nseg
        over = (steps[idx] >= max_steps) & ~done
        status[idx[over]] = 1
        active[idx[done | over]] = False
        seg[idx[done]] = nseg - 1
    _whole_window(box)
    return shares_np(v, alive, off), box, turns, out, steps, status


def _whole_window(box):
    """The whole window's lows and highs (``box[:, 4]``, ``box[:, 5]``) from its two halves'."""
    np.minimum(box[:, 0], box[:, 2], out=box[:, 4])
    np.maximum(box[:, 1], box[:, 3], out=box[:, 5])


def _widen(box, rows, values, at):
    """Stretch the window box of ``rows`` (low at ``at``, high at ``at + 1``) to hold ``values``."""
    box[rows, at] = np.minimum(box[rows, at], values)
    box[rows, at + 1] = np.maximum(box[rows, at + 1], values)


# ----------------------------------------------------------------------------- numba


def numba_available() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def integrate_numba(x0, pay, off, others, flat, nq, bounds, t_eval, tw, rtol, atol, max_steps, rhs=None):
    """The compiled kernel (module ``dopri_numba``, imported on first use; compiled once and cached on disk).

    ``rhs``: a compiled per-model right-hand side (``rhs_field.Field.load``) instead of the game shape's.
    """
    from .dopri_numba import integrate

    return integrate(x0, pay, off, others, flat, nq, bounds, t_eval, tw, rtol, atol, max_steps, rhs=rhs)
