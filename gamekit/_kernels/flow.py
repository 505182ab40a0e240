r"""Dormand-Prince 5(4) on the shares themselves, for revision protocols other than the replicator.

Bare-array kernels behind :func:`gamekit.simulate` with ``dynamics=`` (no
validation here).  Two implementations of one algorithm, as in ``dopri``:
``integrate_numba`` (module ``flow_numba``: compiled, lanes of orbits on a
thread pool) and ``integrate_numpy`` (every orbit in lock-step iterations, each
with its own step size, vectorised over orbits).  Each orbit's step sequence
depends on that orbit alone, so neither depends on how orbits are batched, and
the two agree to rounding while the steps are set by accuracy.  Where an orbit
sits at a stable rest point without being stopped (``settle``), its steps are
held at the explicit method's stability limit, the error estimate at the
tolerance: there the controller amplifies the two's different roundings (the
compiled stages fuse multiply-adds; the compiled driver reuses a step's last
stage, the twin evaluates the field again at the projected state) into
differences of up to a tolerance or two, each still within that of the exact
orbit (third review: logit:0.35, rtol 1e-5, 1.5 tolerances apart at t = 200).

**Why shares, not log-ratios.**  The replicator keeps every face of the simplex
invariant, and ``dopri`` integrates it in log-ratios so that a share never
rounds onto a face.  The other protocols do not keep faces: logit and the
replicator-mutator (``MU > 0``) push every share into the interior, Smith and
BNN revive an unused strategy that earns more.  Their fields are written in the
shares ``x`` (``gamekit.protocols``), so ``x`` is the state::

    dx/dt = F(x) = velocity(x, u(x) - u_ref)      per population, u_ref its first strategy's payoff,

with ``u(x)`` the game's payoffs (fixed tables, or a model's field) and
``velocity`` the protocol; every protocol reads only payoff differences within a
population.  The error norm is scipy's (RMS over every share of the local error
over ``atol + rtol max(|x|, |x_new|)``), so ``rtol``, ``atol`` mean what they
mean to ``solve_ivp``, and so is the step-size control: ``h_new = h clip(SAFETY err**(-1/5), MIN_FACTOR,
MAX_FACTOR)`` (the local error estimate is ``O(h**5)``), and the step after a rejection may not grow.  (The
replicator's driver uses ``err**(-1/4)``; here that rejected about 30% of Smith's step attempts at the kinks of its
field, and scipy's rule takes 15% fewer attempts for Smith and BNN on the benchmark's orbits, 5% fewer for logit,
with errors still below ``solve_ivp``'s.)  Each field's components sum to zero in each population, off the simplex
too (``protocols.velocity`` reads its weights at the normalised shares), so every stage keeps each population's
sum (to rounding), and no direction across the simplex limits the step.  (Where logit's field read the shares
themselves, that direction's eigenvalue -1 held the compiled driver, which reuses a step's last stage off the
simplex, at ``h`` about 2.5 wherever the orbit crept: 4,009 steps to t = 10,000 at a pitchfork, against the
numpy twin's 140 and now 23 on both.)  After every accepted
step each population's shares are clipped at zero and rescaled to sum one (a
step may overshoot a face by up to its local error; the clip moves the state by
no more than that, and keeps it in the state space exactly).

**Where the steps go** (platform model, trap values, rtol 1e-6, atol 1e-9, to t = 50; a Python replica of this
controller, 50 orbits).  logit:1 takes 78 attempts per orbit, and about a third of them after t = 20, when the
orbit sits at the QRE: there the step is bounded by the stability of the explicit method (``h |lambda|`` about
3.3), not by accuracy (h 1.5 to 2, now and then a rejection); RK45 in ``solve_ivp`` pays the same.  The error norm
over every share (each population's complement too) costs 8% (71.6 attempts with the first shares only); the
first step is scipy's (``first_step``; 76.6 attempts, against 77.9 from a fixed trial step of ``H0`` grown
tenfold per step; the compiled driver spends a starting lane's second stage on its probe); a PI controller
(Hairer's ``beta = 0.04``) takes 80.6, ``beta = 0.08`` 92.  Smith takes 500: orbits that approach the mixed
equilibrium where two payoff gaps vanish cross the kinks of the field again and again (one such orbit: 731
attempts, 29% rejected, h about 0.1 throughout), while orbits that reach a strict equilibrium take about 90.
The replicator (``dopri``, log-ratios) takes 181 steps on the same orbits; its larger ratio elsewhere comes from
cheap steps and from games where shares near a face cost RK45 many steps.

**Settled orbits stop** (smooth protocols: logit, the replicator-mutator; module ``settle``).  When the field
falls below a gate, an orbit is linearised once (the Jacobian by forward differences) and checked: if the exact flow
from its state provably stays within one tolerance of a linearly stable rest point at every time it is seen again,
it stops there, and every later output is that rest point (Newton's step from the state).  On the trap orbits above,
logit:1 then takes about 50 attempts per orbit instead of 77 (nearly every orbit certified at its first check), with
no output further from the exact orbit than
before (the stopped ones are closer: the steps at the stability limit keep the state about one tolerance away from
the rest point); an orbit takes about as many steps to t = 2,000 as to t = 50.  Orbits near a saddle or a centre, and
orbits before a schedule's last phase, are integrated to the end.  Both implementations decide it from the orbit
alone, the same way.

**Payoffs.**  Both read the shares themselves, a share stepped slightly below
zero counted as zero: the compiled kernel calls one compiled stage per game
shape (or model) and protocol, the payoffs and the protocol written out together
(``flow_stage``); the numpy twin takes ``dopri``'s numpy payoffs
(``dopri.payoffs_np``) and evaluates the protocol with the ``velocity`` it is
given (``gamekit.protocols.velocity``: one numpy copy of the formulas in the
library).

Arrays and outputs are those of ``dopri`` (``box`` and ``turns`` now of the
shares ``x``: turning points are sign changes of ``dx_i/dt`` at the ends of
accepted steps), plus ``kind, eta, mu`` for the compiled kernel (``flow_numba.KINDS``).
``box`` is (N, 6, D) as ``dopri``'s: the two halves' lows and highs, then the
whole window's.
"""

from __future__ import annotations

import numpy as np

from .dopri import _whole_window, _widen, payoffs_np
from .settle import FD_STEP, GATE, MAX_DIM, NORMS, UNKNOWNS, bound, certify, first_output, linearise, newton, next_gate
from .tableau import DENSE, MAX_FACTOR, MIN_FACTOR, SAFETY, TIME_RTOL, WINDOW_SAMPLES, A, B, E

__all__ = ["integrate_numpy", "integrate_numba", "payoff_gaps", "project"]

ERROR_EXPONENT = 0.2  # as flow_numba: the step factor is SAFETY err**(-ERROR_EXPONENT), err clamped to ERR_CLAMP
ERR_CLAMP = (1e-6, 1e4)  # (outside it the factor is at MAX_FACTOR or MIN_FACTOR anyway)


def payoff_gaps(x, pay, off, others, flat, nq, field=None):
    """``u_i - u_ref`` (M, D) at shares ``x`` (M, D), ``pay`` (M, k, P) as in ``dopri._rhs_np`` (``field``: a
    model's numpy payoffs, the parameters in population 0's slot); each population's first strategy the reference,
    a share stepped below zero counted as zero, as the compiled kernel does (``flow_stage``)."""
    u = payoffs_np(np.maximum(x, 0.0), pay, off, others, flat, nq, field)
    return u - np.repeat(u[:, off[:-1]], np.diff(off), axis=1)


def first_step(f, x, P, span, rtol, atol):
    """scipy's first step for each orbit (``solve_ivp``'s ``select_initial_step``, error estimate of order 4) at
    its start ``x`` (M, D) with payoff rows ``P``, RMS over every share, at most ``span``: ``h0 = 0.01 d0 / d1``
    (``1e-6`` if either is below ``1e-5``), ``d0``, ``d1`` the RMS of ``x / scale`` and ``f(x) / scale``, ``scale =
    atol + rtol |x|``; ``d2`` the RMS of ``(f(x + h0 f(x)) - f(x)) / scale`` over ``h0``; ``h = min(100 h0,
    (0.01 / max(d1, d2))**(1/5), span)`` (``max(1e-6, 1e-3 h0)`` for the middle term where both are at most
    1e-15).  (The compiled driver spends a starting lane's second stage on the probe.)"""
    scale = atol + np.abs(x) * rtol
    f0 = f(x, P)
    d0 = np.sqrt(np.mean((x / scale) ** 2, axis=1))
    d1 = np.sqrt(np.mean((f0 / scale) ** 2, axis=1))
    h0 = np.where((d0 < 1e-5) | (d1 < 1e-5), 1e-6, 0.01 * d0 / np.where(d1 > 0, d1, 1.0))
    f1 = f(x + h0[:, None] * f0, P)
    d2 = np.sqrt(np.mean(((f1 - f0) / scale) ** 2, axis=1)) / h0
    flat_ = (d1 <= 1e-15) & (d2 <= 1e-15)
    with np.errstate(divide="ignore"):
        h1 = np.where(flat_, np.maximum(1e-6, h0 * 1e-3), (0.01 / np.maximum(d1, d2)) ** ERROR_EXPONENT)
    return np.minimum(np.minimum(100.0 * h0, h1), span)


def project(x, off):
    """Each population's shares clipped at zero and rescaled to sum one."""
    x = np.maximum(x, 0.0)
    for a, b in zip(off[:-1], off[1:]):
        x[:, a:b] /= x[:, a:b].sum(axis=1, keepdims=True)
    return x


def integrate_numpy(x0, pay, off, others, flat, nq, bounds, t_eval, tw, rtol, atol, max_steps, velocity, field=None,
                    settle=0.0):  # fmt: skip
    """All orbits in lock-step, vectorised over orbits; ``velocity(x, gaps) -> xdot`` the protocol (rows).
    ``settle``: stop an orbit settled at a stable rest point (module ``settle``; 0.0: never)."""
    n, d = x0.shape
    per_orbit = pay.shape[1] != 1

    def f(x, P):
        with np.errstate(all="ignore"):
            return velocity(x, payoff_gaps(x, P, off, others, flat, nq, field))

    x = np.array(x0, dtype=float)
    t = np.zeros(n)
    seg = np.zeros(n, dtype=np.int64)
    h = first_step(f, x, pay[0] if per_orbit else pay[0, :1], bounds[1], rtol, atol)
    retry = np.zeros(n, dtype=bool)  # the last attempt was rejected: the next accepted step may not grow
    steps = np.zeros(n, dtype=np.int64)
    status = np.zeros(n, dtype=np.int64)
    nxt = np.zeros(n, dtype=np.int64)
    n_out = len(t_eval)
    out = np.full((n, n_out, d), np.nan)
    box = np.empty((n, 6, d))
    box[:, 0:4:2] = np.inf
    box[:, 1:4:2] = -np.inf
    turns = np.zeros((n, 2, d))
    last_sign = np.zeros((n, d))
    n_sampled = np.zeros(n, dtype=np.int64)
    t_end = bounds[-1]
    t_tol = TIME_RTOL * max(1.0, t_end)
    t_mid = tw + 0.5 * (t_end - tw)
    nseg = len(bounds) - 1
    while n_out:
        hit = (nxt < n_out) & (t_eval[np.minimum(nxt, n_out - 1)] <= 0.0)
        if not hit.any():
            break
        out[hit, nxt[hit]] = x[hit]
        nxt[hit] += 1
    active = np.ones(n, dtype=bool)
    gate = np.full(n, GATE)
    m = d - (len(off) - 1)
    settling = settle > 0.0 and 1 <= m <= MAX_DIM
    lins: dict = {}  # each orbit's linearisation (settle.linearise): (M, w, norms, state, reference shares)
    while active.any():
        idx = np.nonzero(active)[0]
        xi, ti, hprev, si = x[idx], t[idx], h[idx], seg[idx]
        P = pay[si, idx] if per_orbit else pay[si, 0]
        target = bounds[si + 1].copy()
        if n_out:
            has = nxt[idx] < n_out
            target = np.where(has, np.minimum(target, t_eval[np.minimum(nxt[idx], n_out - 1)]), target)
        hh = np.minimum(hprev, target - ti)
        ks = [f(xi, P)]
        for s in range(1, 7):
            ks.append(f(xi + hh[:, None] * sum(A[s, j] * ks[j] for j in range(s) if A[s, j] != 0), P))
        x_new = xi + hh[:, None] * sum(B[j] * ks[j] for j in range(6) if B[j] != 0)
        err_vec = hh[:, None] * sum(E[j] * ks[j] for j in range(7) if E[j] != 0)
        err = np.sqrt(np.mean((err_vec / (atol + rtol * np.maximum(np.abs(xi), np.abs(x_new)))) ** 2, axis=1))
        accept = ~(err > 1.0)
        root = np.exp(ERROR_EXPONENT * np.log(np.clip(np.nan_to_num(err, nan=ERR_CLAMP[1]), *ERR_CLAMP)))  # err**(1/5)
        factor = np.clip(SAFETY / root, MIN_FACTOR, MAX_FACTOR)
        factor = np.where(accept & retry[idx], np.minimum(factor, 1.0), factor)
        steps[idx] += 1
        rej = idx[~accept]
        retry[idx] = ~accept
        h[rej] = hh[~accept] * np.minimum(factor[~accept], 1.0)
        a_ = accept
        acc = idx[a_]
        x[acc] = project(x_new[a_], off)
        t_new = ti[a_] + hh[a_]
        tgt = target[a_]
        t[acc] = np.where(t_new >= tgt - t_tol, tgt, t_new)
        while True:  # window samples inside the step, by dense output from the step's start
            j = n_sampled[acc]
            tau = tw + (t_end - tw) * j / WINDOW_SAMPLES
            due = (j <= WINDOW_SAMPLES) & (tau <= t[acc] + t_tol)
            if not due.any():
                break
            w = acc[due]
            theta = np.clip((tau[due] - ti[a_][due]) / hh[a_][due], 0.0, 1.0)
            coef = (theta[:, None] ** np.arange(1, 5)) @ DENSE.T
            x_tau = xi[a_][due] + hh[a_][due][:, None] * sum(coef[:, [s]] * ks[s][a_][due] for s in range(7))
            late = tau[due] >= t_mid
            _widen(box, w[~late], x_tau[~late], 0)
            _widen(box, w[late], x_tau[late], 2)
            n_sampled[w] += 1
        win = t[acc] >= tw
        if win.any():
            w = acc[win]
            g = ks[6][a_][win]  # the field at the end of the step (first same as last)
            second = t[w] >= t_mid
            _widen(box, w[~second], x[w][~second], 0)
            _widen(box, w[second], x[w][second], 2)
            sgn = np.sign(g)
            turn = (sgn * last_sign[w] < 0) & (sgn != 0)
            turns[w, 0] += turn
            turns[w, 1] += turn & second[:, None]
            last_sign[w] = np.where(sgn != 0, sgn, last_sign[w])
        shortened = hh[a_] < hprev[a_]
        h[acc] = np.where(shortened, np.maximum(hprev[a_], hh[a_] * factor[a_]), hh[a_] * factor[a_])
        if settling:
            fnorm = np.max(np.abs(ks[6][a_]) / (atol + rtol * np.abs(x[acc])), axis=1)
            due = (fnorm < gate[acc]) & (seg[acc] == nseg - 1) & (t[acc] < tgt - t_tol)  # (tgt <= t_end)
            if due.any():
                rows = acc[due]
                seen = [first_output(t[r], tw, t_eval, nxt[r]) for r in rows]
                settled = _settle(f, x[rows], P[a_][due], gate, lins, rows, t[rows], seen, off, m, settle, rtol, atol)
                for row, xs in settled:
                    x[row] = xs
                    out[row, nxt[row] :] = xs
                    nxt[row] = n_out
                    if t[row] < t_mid:
                        _widen(box, [row], xs, 0)
                    _widen(box, [row], xs, 2)
                    t[row] = t_end
        if n_out:
            o_hit = (nxt[acc] < n_out) & (np.abs(t[acc] - t_eval[np.minimum(nxt[acc], n_out - 1)]) <= t_tol)
            o = acc[o_hit]
            out[o, nxt[o]] = x[o]
            nxt[o] += 1
        seg[acc] += np.abs(t[acc] - bounds[seg[acc] + 1]) <= t_tol
        done = seg[idx] >= nseg
        over = (steps[idx] >= max_steps) & ~done
        status[idx[over]] = 1
        active[idx[done | over]] = False
        seg[idx[done]] = nseg - 1
    _whole_window(box)
    return x, box, turns, out, steps, status


def _settle(f, X, P, gate, lins, rows, t, seen, off, m, settle, rtol, atol):
    """The settling check (module ``settle``) of the orbits ``rows`` at their shares ``X`` (R, D), payoff rows
    ``P``, times ``t``, first seen again at ``seen``; ``lins`` each orbit's linearisation (made here for those
    without one).  Returns ``(row, state)`` for each orbit certified settled, and moves the others' ``gate`` on."""
    r_count, d = X.shape
    A, b, Pm = np.zeros((UNKNOWNS, UNKNOWNS)), np.zeros(UNKNOWNS), np.zeros((m, m))
    new = [r for r in range(r_count) if rows[r] not in lins]
    refs = [lins[rows[r]][4] if rows[r] in lins else
            [a + int(np.argmax(X[r, a:b_])) for a, b_ in zip(off[:-1], off[1:])] for r in range(r_count)]  # fmt: skip
    # the field at X (every row) and at X + FD_STEP (e_i - e_ref) for each non-reference share i (new rows)
    points = np.repeat(X, m + 1, axis=0).reshape(r_count, m + 1, d)
    for r in new:
        for c, i in enumerate(_coordinates(off, refs[r])):
            points[r, 1 + c, i] += FD_STEP
            points[r, 1 + c, _population_ref(off, refs[r], i)] -= FD_STEP
    F = f(points.reshape(-1, d), np.repeat(P, m + 1, axis=0)).reshape(r_count, m + 1, d)
    size = np.max(np.abs(F[:, 0]) / (atol + rtol * np.abs(X)), axis=1)
    steps = np.zeros((r_count, m))
    usable = np.zeros(r_count, dtype=bool)
    for r in range(r_count):
        share = _coordinates(off, refs[r])
        if r in new:
            w, M, norms = atol + rtol * np.abs(X[r, share]), np.zeros((m, m)), np.zeros(NORMS)
            ref = np.array([_population_ref(off, refs[r], i) for i in share])
            if linearise(F[r, 0, share], F[r, 1:, share], w, ref, m, M, A, b, Pm, norms):
                lins[rows[r]] = (M, w, norms, X[r].copy(), refs[r])
        if rows[r] in lins and newton(F[r, 0, share], lins[rows[r]][0], m, A, b, steps[r]):
            usable[r] = True
        else:
            lins.pop(rows[r], None)
            gate[rows[r]] = 0.01 * size[r]
    # the field at the Newton points X + delta
    moved_to = X.copy()
    for r in np.flatnonzero(usable):
        for c, i in enumerate(_coordinates(off, refs[r])):
            moved_to[r, i] += steps[r, c]
            moved_to[r, _population_ref(off, refs[r], i)] -= steps[r, c]
    F2 = f(moved_to, P)
    settled = []
    for r in np.flatnonzero(usable):
        M, w, norms, at, _ = lins[rows[r]]
        share = _coordinates(off, refs[r])
        moved = float(np.sqrt(np.sum((X[r] - at) ** 2)))
        # (the tolerances at the output, X + delta, where a share heading for a face is smaller: not those at X)
        w_now = atol + rtol * np.minimum(np.abs(X[r, share]), np.abs(X[r, share] + steps[r]))
        rho, rate, near = certify(steps[r], F2[r, share], M, w, w_now, moved, norms, m, A, b)
        found = bound(rho, rate, near, t[r], seen[r])
        if found < 0.0 or found > settle:
            gate[rows[r]] = next_gate(size[r], found)
            if found < 0.0:  # (out of the linearisation's reach: a new one next time)
                del lins[rows[r]]
            continue
        settled.append((rows[r], project(moved_to[r][None, :], off)[0]))
    return settled


def _coordinates(off, refs):
    """The tangent coordinates' shares: every share but each population's reference ``refs[p]``."""
    return [i for p, (a, b) in enumerate(zip(off[:-1], off[1:])) for i in range(a, b) if i != refs[p]]


def _population_ref(off, refs, i):
    """The reference share of share ``i``'s population."""
    return refs[int(np.searchsorted(off, i, side="right")) - 1]


def integrate_numba(x0, pay, off, others, flat, nq, bounds, t_eval, tw, rtol, atol, max_steps, kind, eta, mu,
                    field=None, settle=0.0):  # fmt: skip
    """The compiled kernel (module ``flow_numba``, imported on first use; compiled once and cached on disk)."""
    from .flow_numba import integrate

    return integrate(x0, pay, off, others, flat, nq, bounds, t_eval, tw, rtol, atol, max_steps, kind, eta, mu,
                     field=field, settle=settle)  # fmt: skip
