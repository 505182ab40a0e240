r"""Rest points of the smooth dynamics other than the replicator: logit (the QRE) and replicator-mutator.

Both fields (:mod:`gamekit.protocols`) have only *interior* rest points (``x_i = 0`` gives ``xdot_i > 0``), so
the search runs in the log-ratio coordinates of each population, ``w_i = log(x_i / x_last)`` for ``i`` but the
last strategy, ``x_p = softmax(w_p, 0)``: ``d = sum_p (n_p - 1)`` unknowns on all of ``R^d``, where shares
of ``exp(-40)`` are as well resolved as shares of ``1/2``.  With ``Delta_i = u_i - u_last`` (payoffs at
``x(w)``) and a homotopy parameter ``lam`` the equations ``G(w, lam) = 0`` are::

    logit (lam = 1/ETA):                  G_i = w_i - lam Delta_i
    replicator-mutator (lam = 1 - MU):    G_i = lam Delta_i + ((1 - lam)/n_p) (1/x_i - 1/x_last)

The first is ``x_p = softmax(u_p/ETA)`` itself; the second is ``xdot_i / x_i = xdot_last / x_last``, which
together with ``sum_i xdot_i = 0`` is ``xdot = 0``.  At ``lam = 0`` both have the single root ``w = 0`` (the
uniform state).  Derivatives: ``dx_a / dw_j = x_a (delta_aj - x_j)`` within a population, ``dDelta_i/dx_b =
du[i, b] - du[last, b]`` from :func:`gamekit.dynamics.general_field` (any kind of game).

**Search** (several methods, their roots pooled; none proves that it found every root):

1. *Starts*: damped Newton (steps clipped to ``MAX_STEP`` times the root box's half-width ``B``, at least
   ``MIN_STEP``; backtracking on ``max |G|``) from points near every face (uniform on its supports, the other
   shares ``exp(-level B)``), from a regular grid
   of shares (``GRID_POINTS`` in all) and from random points, uniform on each simplex and uniform in the box
   of ``w`` that holds every root (``|w_i| <= lam * spread + 1`` for logit, ``spread`` the largest payoff
   difference over the probe states), all in one vectorised iteration.
2. *Principal branch*: pseudo-arclength continuation of ``G(w, lam) = 0`` from ``(0, 0)`` past the target
   ``lam`` (to ``BRANCH_BEYOND`` times it; for the mutator halfway from it to ``lam = 1``, where the rest
   points reach the boundary), turning points included; every
   crossing of the target is a root (McKelvey & Palfrey 1995's principal branch of the logit correspondence).
3. *Deflation* (Farrell, Birkisson & Funke 2015): Newton on ``G(w) prod_r (1/|w - r|^2 + 1)`` over the roots
   ``r`` found so far, from fresh starts, repeated while it finds new roots (at most ``DEFLATION_ROUNDS``).

**Verification.**  Every candidate is polished by ``POLISH_STEPS`` Newton steps; it counts when
``max_i |G_i| <= RESIDUAL_TOL * size``, ``size`` the magnitude of the terms of ``G`` at that point (so the
test is relative), and when its Jacobian is not singular (``SINGULAR``): a root where the Jacobian is
singular (a fold of the branch) is *uncertain*, reported apart.  Roots closer than ``SAME_TOL * (1 + |w|)``
(max-norm in ``w``) are one root, so none is listed twice.

**A necessary check.**  Both fields point strictly into the state space on its boundary (``xdot_i > 0`` where
``x_i = 0``), so the homotopy to ``c - x`` has no zero on the boundary and the indices ``sign det(-J)`` of the
rest points (all non-degenerate) sum to 1 (Poincare-Hopf).  The notes say whether the points found pass this
test: a sum other than 1 proves that some rest point is missing; a sum of 1 proves nothing more.

**Stability.**  Both fields are smooth, so each rest point is labelled from the eigenvalues of the tangent
Jacobian of the *velocity* (not of ``G``): for logit, ``J = D softmax(u/ETA) Du - I``, for the mutator
``J = (1 - MU) J_replicator - MU I`` (:func:`gamekit.dynamics.jacobian_from`), each on the tangent space
(first ``n_p - 1`` rows; columns ``d/dx_m - d/dx_last``), labelled by :func:`gamekit.stability.classify`.
Where a ``step``/``abs``/``min``/``max`` of the shares in a payoff switches at the rest point the field is not
differentiable there: the label is ``not linearised`` and the note names the switch.
"""

from __future__ import annotations

import numpy as np

from ..dynamics import general_field
from ..errors import AnalysisError
from ..game import Game
from ..protocols import Dynamics, check_logit_scale, velocity_jacobian
from ..stability import Equilibrium, Stability, classify
from .numeric import Uncertain
from .result import Equilibria

RESIDUAL_TOL = 1e-10  # a root: max |G| at most this times the size of G's terms there
UNCERTAIN_TOL = 1e-6  # a candidate polished only to this (relative) is reported as uncertain
SAME_TOL = 1e-6  # two roots within this times (1 + |w|) in max-norm are one root
SINGULAR = 1e-9  # smallest singular value of dG/dw relative to its largest: below it the root is a fold
MAX_STEP = 0.25  # a Newton step in w is clipped to this times the root box's half-width (max-norm) ...
MIN_STEP = 4.0  # ... or to this, if larger
NEWTON_STEPS = 80
POLISH_STEPS = 8
BACKTRACKS = 12
GRID_POINTS = 1000  # regular starting grid (shares), at most this many points
RANDOM_PER_START = 25  # random starts = this times `starts`
MAX_FACE_STARTS = 4096  # starts near faces: at most this many faces ...
FACE_LEVELS = (0.05, 0.3, 1.0)  # ... each with its unused shares exp(-level * bound)
DEFLATION_ROUNDS = 4
DEFLATION_STARTS = 200
BRANCH_BEYOND = 4.0  # the logit principal branch is followed to this times the target lam
BRANCH_STEPS = 4000  # at most this many continuation steps
MAX_MUTATOR_LAM = 1.0 - 1e-6  # the mutator branch is followed to lam = 1 - MU at most this


class _System:
    """``G(w, lam)``, ``dG/dw`` and ``dG/dlam`` of one dynamics on many rows at once."""

    def __init__(self, game: Game, dyn: Dynamics):
        self.game = game
        self.dyn = dyn
        self.field = general_field(game)
        self.shape = tuple(game.shape)
        self.off = np.concatenate([[0], np.cumsum(self.shape)]).astype(int)
        self.D = int(self.off[-1])
        self.d = sum(n - 1 for n in self.shape)
        self.logit = dyn.kind == "logit"
        # w index -> (population, strategy); per population the w columns [c_p, c_p + n_p - 1)
        self.woff = np.concatenate([[0], np.cumsum([n - 1 for n in self.shape])]).astype(int)
        self.target = 1.0 / dyn.eta if self.logit else 1.0 - dyn.mu

    def shares(self, w: np.ndarray) -> np.ndarray:
        m = w.shape[0]
        x = np.empty((m, self.D))
        for p in range(len(self.shape)):
            z = np.concatenate([w[:, self.woff[p] : self.woff[p + 1]], np.zeros((m, 1))], axis=1)
            z = z - np.max(z, axis=1, keepdims=True)
            e = np.exp(z)
            x[:, self.off[p] : self.off[p + 1]] = e / np.sum(e, axis=1, keepdims=True)
        return x

    def to_w(self, x: np.ndarray) -> np.ndarray:
        x = np.clip(x, 1e-300, None)
        cols = []
        for p, n in enumerate(self.shape):
            a = self.off[p]
            last = np.log(x[:, a + n - 1])
            cols += [np.log(x[:, a + i]) - last for i in range(n - 1)]
        return np.stack(cols, axis=1) if cols else np.zeros((x.shape[0], 0))

    def evaluate(self, w: np.ndarray, lam, jacobian: bool = True):
        """``G`` (M, d), its size (M,), and with ``jacobian`` ``dG/dw`` (M, d, d) and ``dG/dlam`` (M, d)."""
        lam = np.broadcast_to(np.asarray(lam, dtype=float), (w.shape[0],))
        x = self.shares(w)
        with np.errstate(all="ignore"):
            u, du = self.field.numeric(x)
        m, d = w.shape[0], self.d
        delta = np.empty((m, d))
        ddelta = np.empty((m, d, self.D))  # dDelta_i / dx_b
        dxdw = np.zeros((m, self.D, d))
        inv = np.empty((m, d))  # 1/x_i - 1/x_last (mutator)
        inv_size = np.empty((m, d))  # 1/x_i + 1/x_last: the size of its terms
        dinv = np.zeros((m, d, d))
        nvec = np.empty(d)
        for p, n in enumerate(self.shape):
            a, c = self.off[p], self.woff[p]
            last = a + n - 1
            xp = x[:, a : a + n]
            for i in range(n - 1):
                delta[:, c + i] = u[:, a + i] - u[:, last]
                ddelta[:, c + i, :] = du[:, a + i, :] - du[:, last, :]
                nvec[c + i] = n
                for j in range(n - 1):
                    dxdw[:, a + i, c + j] = xp[:, i] * ((i == j) - xp[:, j])
                    if not self.logit:
                        dinv[:, c + i, c + j] = -((i == j) - xp[:, j]) / xp[:, i] - xp[:, j] / xp[:, n - 1]
                if not self.logit:
                    inv[:, c + i] = 1.0 / xp[:, i] - 1.0 / xp[:, n - 1]
                    inv_size[:, c + i] = 1.0 / xp[:, i] + 1.0 / xp[:, n - 1]
            for j in range(n - 1):
                dxdw[:, last, c + j] = -xp[:, n - 1] * xp[:, j]
        L = lam[:, None]
        rest = self.complement(lam)  # 1 - lam, exactly MU at the target
        R = rest[:, None]
        if self.logit:
            G = w - L * delta
            size = 1.0 + np.max(np.abs(w), axis=1, initial=0.0) + np.max(np.abs(L * delta), axis=1, initial=0.0)
        else:
            G = L * delta + R / nvec * inv
            # the size of G's terms: 1/x_i and 1/x_last separately (at a rest point near the uniform state their
            # difference vanishes, and a residual relative to it would ask for more digits than there are)
            size = np.max(np.abs(L * delta), axis=1, initial=0.0) + np.max(R / nvec * inv_size, axis=1, initial=0.0)
            size = np.where(size > 0, size, 1.0)
        if not jacobian:
            return G, size
        chain = np.einsum("mib,mbj->mij", ddelta, dxdw)
        if self.logit:
            J = np.eye(d)[None] - lam[:, None, None] * chain
            Gl = -delta
        else:
            J = lam[:, None, None] * chain + (rest[:, None, None] / nvec[None, :, None]) * dinv
            Gl = delta - inv / nvec
        return G, size, J, Gl

    def complement(self, lam: np.ndarray) -> np.ndarray:
        """``1 - lam``, and exactly ``MU`` where ``lam`` is the mutator's target ``1 - MU`` (for ``MU`` below the
        spacing of floats near 1, ``1 - (1 - MU)`` is 0 or a rounded ``MU``)."""
        rest = 1.0 - lam
        if self.logit:
            return rest
        return np.where(lam == self.target, self.dyn.mu, rest)

    # -- the velocity's tangent Jacobian at rest points (labels) --------------------------------------------

    def velocity_jacobian(self, x: np.ndarray) -> np.ndarray:
        """The tangent Jacobian (d, d) of the velocity at the full state ``x`` (D,)
        (:func:`gamekit.protocols.velocity_jacobian`)."""
        u, du = self.field.numeric(x[None, :])
        return velocity_jacobian(self.dyn, x, u[0], du[0], self.off)


def _solve(J: np.ndarray, G: np.ndarray) -> np.ndarray:
    """Newton steps ``-J^{-1} G`` row by row (least squares where ``J`` is singular); non-finite rows give 0."""
    out = np.zeros_like(G)
    ok = np.all(np.isfinite(J), axis=(1, 2)) & np.all(np.isfinite(G), axis=1)
    if not np.any(ok):
        return out
    try:
        out[ok] = -np.linalg.solve(J[ok], G[ok][..., None])[..., 0]
    except np.linalg.LinAlgError:
        for r in np.nonzero(ok)[0]:
            out[r] = -np.linalg.lstsq(J[r], G[r], rcond=None)[0]
    return out


def _deflation_factor(w: np.ndarray, roots: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Farrell's deflated Newton step ``step / (1 - grad log m . step)``, ``m = prod_r (|w - r|^-2 + 1)``."""
    if len(roots) == 0:
        return step
    diff = w[:, None, :] - roots[None, :, :]  # (M, R, d)
    n2 = np.sum(diff**2, axis=2)  # (M, R)
    n2 = np.maximum(n2, 1e-300)
    # d/dw log(n2^-1 + 1) = (-2 n2^-2 diff) / (n2^-1 + 1) = -2 diff / (n2 (1 + n2))
    grad = np.sum(-2.0 * diff / (n2 * (1.0 + n2))[:, :, None], axis=1)
    denom = 1.0 - np.sum(grad * step, axis=1)
    denom = np.where(np.abs(denom) < 1e-12, 1e-12, denom)
    return step / denom[:, None]


def _newton(sys: _System, w: np.ndarray, lam: float, steps: int, roots: np.ndarray | None = None, bound: float = 0.0):
    """Damped (optionally deflated) Newton on ``G(., lam)`` from every row of ``w``; returns ``w`` and ``|G|/size``.

    ``bound`` is the half-width of the box of ``w`` that holds the roots (it sets the largest step).
    """
    clip = max(MIN_STEP, MAX_STEP * bound)
    w = w.copy()
    G, size, J, _ = sys.evaluate(w, lam)
    res = np.max(np.abs(G), axis=1, initial=0.0) / size
    res = np.where(np.isfinite(res), res, np.inf)
    active = res > RESIDUAL_TOL * 1e-2
    for _ in range(steps):
        if not np.any(active):
            break
        idx = np.nonzero(active)[0]
        step = _solve(J[idx], G[idx])
        if roots is not None:
            step = _deflation_factor(w[idx], roots, step)
        big = np.max(np.abs(step), axis=1, initial=0.0)
        step *= np.minimum(1.0, clip / np.maximum(big, 1e-300))[:, None]
        alpha = np.ones(len(idx))
        todo = np.arange(len(idx))
        new_w = w[idx].copy()
        new_res = res[idx].copy()
        for _ in range(BACKTRACKS):
            trial = w[idx[todo]] + alpha[todo, None] * step[todo]
            Gt, st = sys.evaluate(trial, lam, jacobian=False)
            rt = np.max(np.abs(Gt), axis=1, initial=0.0) / st
            rt = np.where(np.isfinite(rt), rt, np.inf)
            # a deflated step need not decrease |G|: accept it unless it is not finite
            better = np.isfinite(rt) if roots is not None else rt < res[idx[todo]]
            new_w[todo[better]] = trial[better]
            new_res[todo[better]] = rt[better]
            todo = todo[~better]
            if len(todo) == 0:
                break
            alpha[todo] *= 0.5
        moved = np.setdiff1d(np.arange(len(idx)), todo)
        w[idx[moved]] = new_w[moved]
        if len(todo):  # no step reduced the residual: give the row up
            active[idx[todo]] = False
        if len(moved):
            Gm, sm, Jm, _ = sys.evaluate(w[idx[moved]], lam)
            G[idx[moved]], size[idx[moved]], J[idx[moved]] = Gm, sm, Jm
            r = np.max(np.abs(Gm), axis=1, initial=0.0) / sm
            res[idx[moved]] = np.where(np.isfinite(r), r, np.inf)
        active &= res > RESIDUAL_TOL * 1e-2
    return w, res


def _starts(sys: _System, starts: int, rng: np.random.Generator, bound: float) -> np.ndarray:
    """Starting points in ``w``: a regular grid of shares, random shares, random ``w`` in the root box."""
    d = sys.d
    if d == 0:
        return np.zeros((1, 0))
    per = max(2, int(GRID_POINTS ** (1.0 / d)))
    levels = (np.arange(per) + 0.5) / per
    rows = []
    if per**d <= GRID_POINTS:  # a grid over the coordinates (each population's shares before normalising)
        grid = np.stack(np.meshgrid(*([levels] * d), indexing="ij"), axis=-1).reshape(-1, d)
        rows.append(np.log(grid / (1.0 - grid)) if all(n == 2 for n in sys.shape) else _grid_w(sys, grid))
    n = RANDOM_PER_START * starts
    x = np.concatenate([rng.dirichlet(np.ones(k), n) for k in sys.shape], axis=1)
    rows.append(sys.to_w(x))
    rows.append(rng.uniform(-bound, bound, size=(n, d)))
    rows.append(_face_starts(sys, bound))
    return np.vstack(rows)


def _face_starts(sys: _System, bound: float) -> np.ndarray:
    """One start per face and level: uniform on the face's supports, the other shares ``exp(-level * bound)``.

    For small noise the rest points sit near the faces that hold Nash equilibria (or, for the mutator, near
    the replicator's rest points), with the unused shares exponentially small: far out in ``w``, where random
    starts rarely land.  At most ``MAX_FACE_STARTS`` faces (the first in lexicographic order of supports).
    """
    import itertools

    subsets = [[sub for r in range(1, n + 1) for sub in itertools.combinations(range(n), r)] for n in sys.shape]
    rows = []
    for faces, support in enumerate(itertools.product(*subsets)):
        if faces >= MAX_FACE_STARTS:
            break
        for level in FACE_LEVELS:
            logx = np.concatenate(
                [[0.0 if i in sup else -level * bound for i in range(n)] for sup, n in zip(support, sys.shape)]
            )
            rows.append(
                [logx[sys.off[p] + i] - logx[sys.off[p] + n - 1] for p, n in enumerate(sys.shape) for i in range(n - 1)]
            )
    return np.array(rows, dtype=float).reshape(-1, sys.d)


def _grid_w(sys: _System, grid: np.ndarray) -> np.ndarray:
    """Grid values in (0, 1) per w coordinate, read as ``x_i = g (1 - sum of the earlier)`` (stick breaking)."""
    out = np.empty_like(grid)
    for p, n in enumerate(sys.shape):
        c = sys.woff[p]
        rest = np.ones(len(grid))
        xs = []
        for i in range(n - 1):
            xi = grid[:, c + i] * rest
            xs.append(xi)
            rest = rest - xi
        for i in range(n - 1):
            out[:, c + i] = np.log(xs[i]) - np.log(rest)
    return out


def _branch(sys: _System, target: float, lam_end: float, unit: float = 1.0):
    """Roots at ``target`` on the branch from ``(w, lam) = (0, 0)`` (pseudo-arclength), and a note if it stopped.

    The branch is followed in ``tau = lam / unit`` (for logit ``unit = 1/spread``, so that ``tau`` and ``w`` are
    of one size and the steps suit both).
    """
    d = sys.d
    v = np.zeros(d + 1)
    found = []
    target, lam_end = target / unit, lam_end / unit

    def aug(vv):
        G, size, J, Gl = sys.evaluate(vv[None, :d], vv[d] * unit)
        return G[0], size[0], np.concatenate([J[0], unit * Gl[0][:, None]], axis=1)

    def tangent(A, prev):
        _, _, vt = np.linalg.svd(A)
        t = vt[-1]
        if prev is None:
            return t if t[d] >= 0 else -t
        return t if t @ prev >= 0 else -t

    G, size, A = aug(v)
    t = tangent(A, None)
    h, h_min, h_max = 0.05, 1e-7, 1.0 + 0.05 * max(target, 1.0)
    for _ in range(BRANCH_STEPS):
        if v[d] >= lam_end:
            return found, None
        pred = v + h * t
        z = pred.copy()
        ok = False
        for _k in range(8):
            G, size, A = aug(z)
            if not np.all(np.isfinite(G)) or not np.all(np.isfinite(A)):
                break
            F = np.concatenate([G, [t @ (z - pred)]])
            if np.max(np.abs(G)) <= RESIDUAL_TOL * size and abs(F[-1]) <= 1e-12 * (1 + np.max(np.abs(z))):
                ok = True
                break
            M = np.vstack([A, t[None, :]])
            try:
                z = z - np.linalg.solve(M, F)
            except np.linalg.LinAlgError:
                break
        if not ok or np.linalg.norm(z - v) > 2.0 * h + 1e-12:
            h *= 0.5
            if h < h_min:
                if v[d] >= target:
                    return found, None
                return found, f"the principal branch could not be followed beyond {_where(sys, v[d] * unit)}"
            continue
        if (v[d] - target) * (z[d] - target) <= 0 and z[d] != v[d]:
            s = (target - v[d]) / (z[d] - v[d])
            found.append(v[:d] + s * (z[:d] - v[:d]))
        t = tangent(A, t)
        v = z
        h = min(h * 1.3, h_max)
    if v[d] >= target:
        return found, None
    return found, f"the principal branch was followed for {BRANCH_STEPS} steps only (to {_where(sys, v[d] * unit)})"


def _where(sys: _System, lam: float) -> str:
    """A point of the branch in the dynamics' own parameter: ``eta = 1/lam`` (logit), ``mu = 1 - lam`` (mutator;
    near ``lam = 1`` the rate itself, not a ``lam`` that prints as 1)."""
    if sys.logit:
        return f"eta = {1.0 / lam:.6g}" if lam > 0 else "eta = infinity"
    return f"mu = {1.0 - lam:.3g}"


def _unique(w: np.ndarray, res: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Indices of ``keep`` rows of ``w``, one per cluster (``SAME_TOL``), the smallest residual first."""
    order = [i for i in np.argsort(res, kind="stable") if keep[i]]
    chosen: list[int] = []
    reps = np.empty((0, w.shape[1]))
    for i in order:
        if len(chosen):
            gap = np.max(np.abs(reps - w[i]), axis=1, initial=0.0)
            if np.any(gap <= SAME_TOL * (1.0 + np.max(np.abs(reps), axis=1, initial=0.0))):
                continue
        chosen.append(i)
        reps = np.vstack([reps, w[i]])
    return np.array(chosen, dtype=int)


def rest_points(
    game: Game,
    dyn: Dynamics,
    *,
    zero_tol: float,
    starts: int,
    rng: np.random.Generator,
) -> Equilibria:
    """Every rest point of the logit or replicator-mutator field that the search finds (module docstring)."""
    if dyn.kind == "replicator-mutator" and dyn.mu == 0.0:
        raise AnalysisError("replicator-mutator:0 is the replicator: its rest points are gk.equilibria(game)")
    sys = _System(game, dyn)
    check_logit_scale(dyn, sys.field.scale)
    with np.errstate(all="ignore"):  # shares that underflow give non-finite rows, which the search drops
        return _rest_points(game, dyn, sys, zero_tol=zero_tol, starts=starts, rng=rng)


def _rest_points(game: Game, dyn: Dynamics, sys: _System, *, zero_tol: float, starts: int, rng) -> Equilibria:
    target = sys.target
    spread = sys.field.scale
    # the root box: logit |w_i| = lam |Delta_i| <= lam * spread (spread: over the probe states, not a bound in general)
    if sys.logit:
        bound = target * spread + 1.0
    else:
        mu = dyn.mu
        x_min = mu / (max(sys.shape) * (mu + (1.0 - mu) * spread))  # x_i >= mu / (n (mu + (1 - mu) spread))
        bound = float(np.log(1.0 / x_min)) + 1.0
    candidates = [np.zeros((1, sys.d))]
    w0 = _starts(sys, starts, rng, bound)
    w, res = _newton(sys, w0, target, NEWTON_STEPS, bound=bound)
    candidates.append(w[res <= UNCERTAIN_TOL])
    notes = []
    lam_end = BRANCH_BEYOND * target if sys.logit else min(MAX_MUTATOR_LAM, target + 0.5 * (1.0 - target))
    lam_end = max(lam_end, target)
    on_branch, stopped = _branch(sys, target, lam_end, 1.0 / spread if sys.logit else 1.0)
    if stopped:
        notes.append(stopped)
    if on_branch:
        wb, rb = _newton(sys, np.array(on_branch), target, NEWTON_STEPS, bound=bound)
        candidates.append(wb[rb <= UNCERTAIN_TOL])
    pool = np.vstack(candidates)
    pool, pres = _newton(sys, pool, target, POLISH_STEPS, bound=bound)
    keep = np.isfinite(pres) & (pres <= UNCERTAIN_TOL)
    roots = pool[_unique(pool, pres, keep & (pres <= RESIDUAL_TOL))]
    for _ in range(DEFLATION_ROUNDS):
        fresh = _starts(sys, max(1, DEFLATION_STARTS // (2 * RANDOM_PER_START)), rng, bound)
        fresh = fresh[rng.permutation(len(fresh))[:DEFLATION_STARTS]]
        wd, _ = _newton(sys, fresh, target, NEWTON_STEPS, roots=roots, bound=bound)
        wd, rd = _newton(sys, wd, target, POLISH_STEPS, bound=bound)  # polish undeflated
        pool = np.vstack([pool, wd])
        pres = np.concatenate([pres, rd])
        keep = np.isfinite(pres) & (pres <= UNCERTAIN_TOL)
        new_roots = pool[_unique(pool, pres, keep & (pres <= RESIDUAL_TOL))]
        if len(new_roots) == len(roots):
            break
        roots = new_roots
    loose = np.nonzero(keep & (pres > RESIDUAL_TOL))[0]  # near a root but not polished: a full Newton run more
    if len(loose):
        pool[loose], pres[loose] = _newton(sys, pool[loose], target, NEWTON_STEPS, bound=bound)
        keep = np.isfinite(pres) & (pres <= UNCERTAIN_TOL)
    chosen = _unique(pool, pres, keep)
    points, uncertain = [], []
    index_sum, indexed = 0, True
    names = tuple(tuple(p.strategies) for p in game.populations)
    for i in chosen:
        x = sys.shares(pool[i : i + 1])[0]
        rows = tuple(tuple(float(v) for v in x[sys.off[p] : sys.off[p + 1]]) for p in range(len(sys.shape)))
        _, size, Jg, _ = sys.evaluate(pool[i : i + 1], target)
        sv = np.linalg.svd(Jg[0], compute_uv=False) if sys.d else np.array([1.0])
        singular = sv.size and sv[-1] <= SINGULAR * max(sv[0], 1.0)
        if pres[i] > RESIDUAL_TOL or singular:
            uncertain.append(Uncertain(names, rows, float(pres[i])))
            indexed = False
            continue
        kinks = sys.field.kinks(x)
        if kinks:  # a step/abs/min/max of the shares switches here: the field is not differentiable
            indexed = False
            what = ", ".join(sys.field.display(a) for a in kinks)
            points.append(
                Equilibrium(
                    state=rows,
                    profile=None,
                    support=names,
                    eigenvalues=(),
                    stability=Stability.NOT_LINEARISED,
                    exact=False,
                    note=f"not differentiable: {what} switches here",
                )
            )
            continue
        J = sys.velocity_jacobian(x)
        eig = np.linalg.eigvals(J) if J.size else np.array([], dtype=complex)
        index = int(np.sign(np.prod(-eig).real)) if eig.size else 1  # sign det(-J): the point's index
        index_sum += index
        indexed &= index != 0
        scale = 1.0 if sys.logit else max((1.0 - dyn.mu) * spread, dyn.mu)
        label = classify(eig, zero_tol, scale=scale)
        eig = sorted((complex(z) for z in eig), key=lambda z: (round(z.real, 12), round(z.imag, 12)))
        points.append(
            Equilibrium(state=rows, profile=None, support=names, eigenvalues=tuple(eig), stability=label, exact=False)
        )
    points.sort(key=lambda e: tuple(v for row in e.state for v in row))
    one = len(points) == 1
    kind = (
        ("quantal response equilibri" + ("um" if one else "a")) if sys.logit else ("rest point" + ("" if one else "s"))
    )
    notes.insert(
        0,
        f"dynamics {dyn}: {len(points)} {kind} found numerically (grid and random starts, the principal branch, "
        "deflation); the field is smooth and every rest point is interior, but the search does not prove that "
        "it found them all",
    )
    if not points:  # there is one: a continuous field pointing into a compact convex set (Brouwer)
        notes.insert(
            1,
            "the search failed: no rest point was verified, yet there is at least one (Brouwer: the field is "
            "continuous and points into the state space on its boundary)",
        )
    elif indexed and index_sum != 1:
        notes.insert(
            1,
            f"the indices sign det(-J) of the rest points found sum to {index_sum}, not 1 as they must for the whole "
            "set (Poincare-Hopf: the field points into the state space on its boundary): some rest point is missing",
        )
    elif indexed:
        notes.insert(
            1,
            "the indices sign det(-J) of the rest points found sum to 1, as Poincare-Hopf requires of the whole set "
            "(necessary, not sufficient: a missing pair of opposite indices would not show)",
        )
    return Equilibria(
        points=tuple(points),
        continua=(),
        complete=False,
        numeric_faces=1,
        uncertain=tuple(uncertain),
        notes=tuple(notes),
        game=game,
    )
