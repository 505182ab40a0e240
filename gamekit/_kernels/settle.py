r"""When an orbit of a smooth protocol has settled at an asymptotically stable rest point: the certificate that
lets the share-coordinate integrators (``flow``, ``flow_numba``) stop an orbit before ``t_end``.

Plain Python on small arrays, no allocation: the compiled driver compiles these functions (``flow_numba``, by
``register_jitable``), the numpy twin calls them as they are.

**Why.**  Under logit and the replicator-mutator an orbit that reaches a stable rest point ``x*`` keeps stepping
until ``t_end`` at a step size bounded by the stability of the explicit method, not by its accuracy: on the
platform model (trap values, logit:1, rtol 1e-6, to t = 50) a third of the steps come after t = 20, where the exact
orbit is within 1e-9 of the rest point.  The numerical orbit is not: there the error estimate of every step sits at
the tolerance, and the state wanders about one tolerance around ``x*`` (at t = 25, 1.4e-7 from it).  Once the exact
flow from the current state is proved to stay within a tolerance of ``x*`` at every time the state is seen again,
those steps add nothing the tolerance can see; ``x*`` itself is a better answer than where they would end.

**How tight.**  Session 9's certificate bounded the Euclidean distance by ``sqrt(lam_hi / lam_lo) |delta~|``
(``lam_lo`` by Gershgorin) and every share by ``sqrt(m)`` times that; on the trap under logit:1 that was 5.7 times
the Newton step, and 11% of the orbits never passed a check (82 steps each, against 50).  Bounding each share on
the Lyapunov ellipsoid itself (``spread``, step 2) needs no ``lam_lo`` and costs one triangular inverse: about 1.9
times the Newton step there, and nearly every orbit passes its first check (49.7 steps per orbit against 54.0).

**Coordinates.**  The shares ``x`` (D of them, k populations) move on the product of simplices; at the state ``X``
of the check each population ``p`` drops its largest share ``r_p`` (the reference), leaving ``m = D - k`` tangent
coordinates ``c_a = x_{i_a}`` and the directions ``v_a = e_{i_a} - e_{r_p}``.  The field ``F`` sums to zero in each
population, so its coordinates ``F_c`` determine it.  ``w_a = atol + rtol |x_{i_a}|`` is each coordinate's
tolerance (the error norm's), and ``c~ = c / w`` the coordinates in tolerances.

**At each check** the field is evaluated on the simplex, at ``X`` itself (a step's last stage is not: it is taken
before the step is projected back, and a field with a component off the simplex, logit's ``-x``, then gives a wrong
Newton step), and at the Newton point below; the compiled driver spends one iteration of the lane's six stages on a
check instead of a step.  **Once per orbit** (``linearise``), from ``F`` at ``X`` and at ``X + FD_STEP v_a``:

1. ``M[a, b] = (F_c(X + h v_b)[a] - F_c(X)[a]) / h``, the Jacobian by forward differences, and ``M~ = W^-1 M W``;
2. ``P`` solving the Lyapunov equation ``M~^T P + P M~ = -I`` (Gaussian elimination on its ``m (m + 1) / 2``
   unknowns); ``M`` has every eigenvalue in the open left half plane iff ``P`` is positive definite (Cholesky,
   ``P = L L^T``); a bound ``lam_hi >= lambda_max(P)`` (Gershgorin, and ``|P|_F``); from ``L^-1``, the diagonal
   ``q_a = (P^-1)_aa``: on the ellipsoid ``V(c~) = c~^T P c~ <= V`` coordinate ``a`` reaches at most ``sqrt(V
   q_a)``, so each share is within ``spread sqrt(V)`` tolerances, ``spread`` the largest over populations of
   ``sum_a sqrt(q_a)`` (a reference share moves by minus the sum of its population's coordinates, and its
   tolerance is the largest: ``|sum_a d_a| / w_ref <= sum_a |d~_a|``), and the coordinates within ``radius
   sqrt(V)`` in shares (Euclidean), ``radius = sqrt(sum_a q_a w_a^2)``.

**At every check** (``newton``, ``certify``):

3. the Newton step ``delta = -M^{-1} F_c(X)``, so ``x* ~ X + delta``, and ``rho = sqrt(lam_hi) |delta~|``, which
   bounds ``sqrt(V)`` at ``X``;
4. robustness: the Jacobian anywhere in the ellipsoid differs from ``M`` by at most ``Delta = FD_REL |M|_F + s (rho
   radius + |X - X_lin|)`` in shares (differencing error, and the Jacobian changing at a slope ``s`` per unit of
   share over the ellipsoid and the distance moved since the linearisation), at most ``Delta cond(W)`` in
   tolerances.  ``s`` is the larger of ``CURVATURE |M|_F`` (assumed) and ``MEASURED kappa``, ``kappa = 2 |F_c(X +
   delta)| / |delta|^2`` the curvature that the field at the Newton point shows (zero for a linear field; at a
   pitchfork's centre, where the Jacobian vanishes, it is what refuses the check); for every such ``J``, ``J^T P
   + P J <= -(1 - 2 lam_hi Delta~) I``.  When ``4 lam_hi Delta~ <= 1``, ``V(c~ - c~*)`` decreases along the
   nonlinear flow at the rate ``(1 - 2 lam_hi Delta~) / lam_hi`` or faster, so ``sqrt(V)`` at every ``s >= t`` is
   at most ``rho exp(-rate (s - t))``, ``rate = (1 - 2 lam_hi Delta~) / (2 lam_hi)``;
5. each share is then within ``spread rho exp(-rate (s - t))`` tolerances of ``x*``.  ``s`` is the first time the
   state is seen again: ``t`` inside the observation window, else the window's start or the next output time
   (``first_output``).  The tolerances are converted (``ratio``, the largest ``w_a / w_now_a``) to those the
   outputs are held to, ``w_now``: the smaller of ``atol + rtol |x|`` at ``X`` and at the Newton point (a share
   heading for a face has a smaller one at the rest point than at ``X``; third review).

The orbit stops when that bound plus the Newton point's own distance from the rest point (the next Newton step,
widened alike) is at most ``SETTLE`` = 1 tolerance: every later output (the ``t_eval`` states, the window's
ranges, the final state) is ``X + delta`` projected onto the simplices, within one tolerance of the exact flow from
``X`` -- what one accepted step may err by.  Otherwise the next check waits for the field to shrink
(``next_gate``).  Only in the last parameter segment (a schedule's next phase moves the rest point), and only
when ``atol + rtol`` is at most ``RESOLUTION`` times the classification's ``converge_tol`` (``gk.simulate``): a stop
within a coarser tolerance could show a window the exact orbit does not.

What is assumed rather than proved is step 4's bound on how fast the Jacobian changes (``CURVATURE``, checked
against one measurement along the Newton step), as in classifying a rest point by its linearisation.  A rest
point whose stability is marginal (``lam_hi |M~|`` large, so that ``4 lam_hi Delta~ > 1``: a decay rate below
about ``1 / (4 FD_REL)`` = 25,000 times smaller than the Jacobian's size) is never certified: the orbit is
integrated to ``t_end``, as is every orbit near a saddle or a centre.
"""

from __future__ import annotations

import math

__all__ = ["SETTLE", "RESOLUTION", "GATE", "FD_STEP", "FD_REL", "CURVATURE", "MEASURED", "MAX_DIM", "linearise",
           "newton", "certify", "solve", "first_output", "bound", "next_gate"]  # fmt: skip

SETTLE = 1.0  # a stopped orbit is within SETTLE tolerances (atol + rtol |x_i|) of the exact one wherever seen
RESOLUTION = 0.1  # simulate stops orbits only when atol + rtol <= RESOLUTION * converge_tol (labels unaffected)
GATE = 10.0  # the first check when max_i |F_i| / (atol + rtol |x_i|) reaches this (then next_gate)
FD_STEP = 1e-8  # forward-difference step, in shares
FD_REL = 1e-5  # relative error allowed for the differenced Jacobian
CURVATURE = 100.0  # the Jacobian's relative change per unit of share assumed near the rest point
MEASURED = 4.0  # safety factor on the curvature the field at the Newton point shows
MAX_DIM = 4  # at most this many tangent coordinates (the field at X, X + h v_a and the Newton point: six stages)
UNKNOWNS = MAX_DIM * (MAX_DIM + 1) // 2
NORMS = 4  # linearise's norms: |M|_F, lam_hi, spread, radius


def solve(A, b, n):
    """Solve ``A[:n, :n] z = b[:n]`` in place by Gaussian elimination with partial pivoting (``z`` in ``b``);
    False when a pivot is zero or not finite (``A`` and ``b`` are overwritten)."""
    for col in range(n):
        piv = col
        big = abs(A[col, col])
        for row in range(col + 1, n):
            if abs(A[row, col]) > big:
                big, piv = abs(A[row, col]), row
        if not big > 0.0 or not big < math.inf:
            return False
        if piv != col:
            for j in range(col, n):
                A[col, j], A[piv, j] = A[piv, j], A[col, j]
            b[col], b[piv] = b[piv], b[col]
        for row in range(col + 1, n):
            f = A[row, col] / A[col, col]
            if f != 0.0:
                for j in range(col + 1, n):
                    A[row, j] -= f * A[col, j]
                b[row] -= f * b[col]
    for row in range(n - 1, -1, -1):
        s = b[row]
        for j in range(row + 1, n):
            s -= A[row, j] * b[j]
        b[row] = s / A[row, row]
    return True


def _sym(a, b, m):
    """The index of ``P[a, b] = P[b, a]`` among the ``m (m + 1) / 2`` unknowns (row by row, ``a <= b``)."""
    if a > b:
        a, b = b, a
    return a * m - a * (a - 1) // 2 + (b - a)


def linearise(F0, F1, w, ref, m, M, A, b, P, norms):
    """Steps 1 and 2 (module docstring) from ``F0`` (m,) the field's coordinates at ``X``, ``F1`` (m, m) at ``X +
    FD_STEP v_c`` (column ``c``), ``w`` (m,) each coordinate's tolerance there and ``ref`` (m,) its population's
    reference share (coordinates with the same one are a population): writes the Jacobian ``M`` (in shares),
    ``P`` (for the Jacobian in tolerances) and ``norms`` = ``(|M|_F, lam_hi, spread, radius)``, using ``A``
    (UNKNOWNS, UNKNOWNS) and ``b`` (UNKNOWNS,) as scratch.  False when ``P`` is not positive definite (or not
    found): the rest point nearby, if any, is not asymptotically stable by its linearisation."""
    norm_m = 0.0
    for a in range(m):
        for c in range(m):
            M[a, c] = (F1[a, c] - F0[a]) / FD_STEP
            norm_m += M[a, c] * M[a, c]
    norm_m = math.sqrt(norm_m)
    if not norm_m < math.inf:
        return False
    # M~^T P + P M~ = -I, M~[a, c] = M[a, c] w[c] / w[a]: row (a, c), a <= c, reads
    # sum_e M~[e, a] P[e, c] + P[a, e] M~[e, c] = -[a == c]
    n = m * (m + 1) // 2
    for i in range(n):
        for j in range(n):
            A[i, j] = 0.0
    for a in range(m):
        for c in range(a, m):
            i = _sym(a, c, m)
            for e in range(m):
                A[i, _sym(e, c, m)] += M[e, a] * w[a] / w[e]
                A[i, _sym(a, e, m)] += M[e, c] * w[c] / w[e]
            b[i] = -1.0 if a == c else 0.0
    if not solve(A, b, n):
        return False
    # P's largest eigenvalue bounded above by Gershgorin and by |P|_F
    lam_hi, norm_p = 0.0, 0.0
    for a in range(m):
        off_diag = 0.0
        for c in range(m):
            P[a, c] = b[_sym(a, c, m)]
            norm_p += P[a, c] * P[a, c]
            off_diag += abs(P[a, c]) if c != a else 0.0
        lam_hi = max(lam_hi, P[a, a] + off_diag)
    lam_hi = min(lam_hi, math.sqrt(norm_p))
    # positive definite: Cholesky, P = L L^T, L in A[:m, :m]; then L^-1 in A[m:2m, :m]
    for j in range(m):
        s = P[j, j]
        for e in range(j):
            s -= A[j, e] * A[j, e]
        if not s > 0.0:
            return False
        A[j, j] = math.sqrt(s)
        for i in range(j + 1, m):
            s = P[i, j]
            for e in range(j):
                s -= A[i, e] * A[j, e]
            A[i, j] = s / A[j, j]
    for j in range(m):
        A[m + j, j] = 1.0 / A[j, j]
        for i in range(j + 1, m):
            s = 0.0
            for e in range(j, i):
                s -= A[i, e] * A[m + e, j]
            A[m + i, j] = s / A[i, i]
    # q_a = (P^-1)_aa = sum_k (L^-1)_ka^2; b[a] = sqrt(q_a)
    radius = 0.0
    for a in range(m):
        q = 0.0
        for e in range(a, m):
            q += A[m + e, a] * A[m + e, a]
        b[a] = math.sqrt(q)
        radius += q * w[a] * w[a]
    spread = 0.0
    for a in range(m):
        total = 0.0
        for c in range(m):
            total += b[c] if ref[c] == ref[a] else 0.0
        spread = max(spread, total)
    norms[0], norms[1], norms[2], norms[3] = norm_m, lam_hi, spread, math.sqrt(radius)
    return True


def newton(F0, M, m, A, b, delta):
    """Step 3's Newton step ``delta = -M^{-1} F0`` (m,, in shares), ``A`` and ``b`` scratch (``delta`` may be
    ``b``); False if ``M`` is singular."""
    for a in range(m):
        for c in range(m):
            A[a, c] = M[a, c]
        b[a] = -F0[a]
    if not solve(A, b, m):
        return False
    for a in range(m):
        delta[a] = b[a]
    return True


def certify(delta, F2, M, w, w_now, moved, norms, m, A, b):
    """Step 4 (module docstring) for the Newton step ``delta`` (m,, in shares) from a state ``moved`` (in shares,
    Euclidean) from where ``linearise`` gave ``norms`` with tolerances ``w``; ``F2`` (m,) the field's coordinates
    at the state plus ``delta``, ``w_now`` (m,) the tolerances the outputs are held to (the smaller of those at
    the state and at the Newton point: a share heading for a face has a smaller one there), ``M`` the
    linearisation's Jacobian, ``A``, ``b`` scratch.  Returns ``(rho, rate, near)``: ``rho`` bounds every share's
    distance from the rest point at every later time in tolerances ``w_now``, ``rate`` its decay rate, ``near`` the
    Newton point's own distance from the rest point (the next Newton step ``M^{-1} F(X + delta)``, widened as
    ``rho`` is), in those tolerances; ``rho`` is -1.0 when not certified (the ellipsoid not within the linear
    regime, or ``M`` singular)."""
    norm_m, lam_hi, spread, radius = norms[0], norms[1], norms[2], norms[3]
    step, shares, residual = 0.0, 0.0, 0.0
    w_lo, w_hi, ratio = math.inf, 0.0, 0.0
    for a in range(m):
        step += (delta[a] / w[a]) ** 2
        shares += delta[a] * delta[a]
        residual += F2[a] * F2[a]
        w_lo, w_hi = min(w_lo, w[a]), max(w_hi, w[a])
        ratio = max(ratio, w[a] / w_now[a])
    rho = math.sqrt(step) * math.sqrt(lam_hi)  # (sqrt(V) at the state)
    # the Jacobian's change per unit of share: the assumed CURVATURE times its size, or what the field at the Newton
    # point shows (for the linear model it is zero there: |F(X + delta)| ~ kappa |delta|^2 / 2), whichever is larger
    kappa = 2.0 * math.sqrt(residual) / shares if shares > 0.0 else 0.0
    slope = max(CURVATURE * norm_m, MEASURED * kappa)
    # |J - M| in tolerances, anywhere in the ellipsoid: differencing error, and the Jacobian's change over the
    # distance from the point of the linearisation to the ellipsoid's far side
    error = (FD_REL * norm_m + slope * (rho * radius + moved)) * (w_hi / w_lo)
    if not (4.0 * lam_hi * error <= 1.0 and rho < math.inf):
        return -1.0, 0.0, 0.0
    # where the Newton point is: the next Newton step from it (into b), in tolerances, widened by the same factors
    if not newton(F2, M, m, A, b, b):
        return -1.0, 0.0, 0.0
    again = 0.0
    for a in range(m):
        again += (b[a] / w[a]) ** 2
    near = math.sqrt(again) * math.sqrt(lam_hi) * spread * ratio / (1.0 - 2.0 * lam_hi * error)
    return rho * spread * ratio, (1.0 - 2.0 * lam_hi * error) / (2.0 * lam_hi), near


def first_output(t, tw, t_eval, nxt):
    """The first time at or after ``t`` at which an orbit's state is seen: ``t`` inside the window ``[tw, t_end]``,
    else the window's start or the next output time ``t_eval[nxt]``, whichever comes first."""
    if t >= tw:
        return t
    if nxt < t_eval.shape[0] and t_eval[nxt] < tw:
        return t_eval[nxt]
    return tw


def bound(rho, rate, near, t, seen):
    """Every later output's distance from the exact flow, in tolerances, at every time from ``seen`` on: the
    exact flow's from the rest point (``rho``, decaying at ``rate`` from ``t``) plus the Newton point's own
    (``near``); -1.0 when not certified (``rho`` < 0)."""
    if rho < 0.0:
        return -1.0
    return rho * math.exp(-rate * (seen - t)) + near


def next_gate(fnorm, found):
    """The field's size (as the gate measures it) at which to check again after a check at ``fnorm`` that gave
    the bound ``found`` (< 0: not certified): where the bound would be ``0.8 SETTLE`` if it shrinks with the
    field, between a half and a hundredth of ``fnorm``."""
    if found < 0.0:
        return 0.01 * fnorm
    return fnorm * min(0.5, max(0.01, 0.8 * SETTLE / found))
