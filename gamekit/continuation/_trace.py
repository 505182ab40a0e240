"""Pseudo-arclength continuation of the rest points of one face, and location of events along a branch.

On a face with unknowns ``v`` (``m`` of them) the rest points solve ``G(v, tau) = R u(sigma(v), lam) = 0`` with
``lam = lo + tau (hi - lo)`` (the parameter rescaled to ``[0, 1]``, so that shares and parameter are of one size).
``X = (v, tau)``; the tangent ``t`` spans the null space of ``DG = [G_v | G_tau]`` (``m x (m + 1)``), oriented by
the previous tangent (the bordered system ``[DG; t_prev] t = e_{m+1}``).  A step predicts ``X + h t`` and corrects
by Newton on ``[G(X); t . (X - X_pred)] = 0``; it passes folds in the parameter, where ``G_v`` is singular but
``DG`` is not.
"""

from __future__ import annotations

import numpy as np

from ._field import Face, LeverField

STEP = 0.01  # first arclength step (the parameter interval has length 1 in tau)
MAX_STEP = 0.02  # longest step: at least 50 points over the interval
MIN_STEP = 1e-9  # a step this short that still fails ends the branch
MAX_STEPS = 5000  # steps of one branch in one direction at most
NEWTON_STEPS = 12
NEWTON_TOL = 1e-13  # a Newton correction shorter than this (max-norm, in shares and tau) has converged
EXIT_SHARE = 1e-9  # a located exit is one only if the smallest share there is at most this
LOCATE_STEPS = 64  # bisections locating an event (each halves the bracket)
LOCATE_WIDTH = 1e-14  # ... or until the bracket is this short (in tau, or in the fraction of a step)


class FaceProblem:
    def __init__(self, lever: LeverField, face: Face, lo: float, hi: float):
        self.lever, self.face, self.lo, self.hi = lever, face, lo, hi
        self.width = hi - lo
        self.unknown = [int(np.nonzero(face.E[:, k] > 0)[0][0]) for k in range(face.m)]

    def lam(self, X) -> float:
        return self.lo + X[-1] * self.width

    def sigma(self, X) -> np.ndarray:
        return self.face.sigma(X[:-1])

    def min_share(self, X) -> float:
        return float(np.min(self.sigma(X)[self.face.used]))

    def system(self, X):
        f = self.face
        u, du, dl = self.lever.numeric(self.sigma(X)[None, :], self.lam(X))
        G = f.R @ u[0]
        DG = np.column_stack([f.R @ du[0] @ f.E, f.R @ dl[0] * self.width])
        return G, DG

    def tangent(self, X, prev) -> np.ndarray | None:
        _, DG = self.system(X)
        if prev is None:
            _, _, vt = np.linalg.svd(DG)
            t = vt[-1]
        else:
            try:
                t = np.linalg.solve(np.vstack([DG, prev]), np.eye(len(X))[-1])
            except np.linalg.LinAlgError:
                return None
        n = np.linalg.norm(t)
        if not np.isfinite(n) or n == 0:
            return None
        return t / n

    def correct(self, Xp, t) -> np.ndarray | None:
        """Newton on ``[G(X); t . (X - Xp)] = 0`` from ``Xp``."""
        X = Xp.copy()
        for _ in range(NEWTON_STEPS):
            G, DG = self.system(X)
            if not np.all(np.isfinite(G)) or not np.all(np.isfinite(DG)):
                return None
            F = np.concatenate([G, [t @ (X - Xp)]])
            try:
                dX = np.linalg.solve(np.vstack([DG, t]), -F)
            except np.linalg.LinAlgError:
                return None
            X = X + dX
            if np.max(np.abs(dX)) <= NEWTON_TOL:
                return X
        G, _ = self.system(X)
        return X if np.max(np.abs(G)) <= 1e-11 * self.lever.scale(self.lam(X)) else None

    def at_tau(self, X, tau: float) -> np.ndarray | None:
        """Newton on ``G(v, tau) = 0`` at fixed ``tau`` from ``X``'s shares."""
        X = np.concatenate([X[:-1], [tau]])
        for _ in range(NEWTON_STEPS):
            G, DG = self.system(X)
            try:
                dv = np.linalg.solve(DG[:, :-1], -G) if len(G) else np.zeros(0)
            except np.linalg.LinAlgError:
                return None
            X[:-1] += dv
            if not np.all(np.isfinite(X)):
                return None
            if len(dv) == 0 or np.max(np.abs(dv)) <= NEWTON_TOL:
                return X
        return X

    def between(self, Xa, ta, Xb, s: float) -> np.ndarray | None:
        """The branch's point a fraction ``s`` of the way from ``Xa`` to ``Xb`` (corrected on the hyperplane
        through the chord's point orthogonal to ``ta``)."""
        return self.correct(Xa + s * (Xb - Xa), ta)

    def trace(self, X0, t0) -> tuple[list, list, str]:
        """Follow the branch from ``X0`` along ``t0`` until it leaves the interval or the face, or stalls."""
        pts, tans = [X0], [t0]
        X, t, h = X0, t0, STEP
        for _ in range(MAX_STEPS):
            Xn = self.correct(X + h * t, t)
            if Xn is None or np.max(np.abs(Xn - X)) > 3 * h:
                h /= 2
                if h < MIN_STEP:
                    return pts, tans, "stalled"
                continue
            tn = self.tangent(Xn, t)
            if tn is None:
                return pts, tans, "singular"
            if Xn[-1] > 1 or Xn[-1] < 0:
                bound = 1.0 if Xn[-1] > 1 else 0.0
                s = (bound - X[-1]) / (Xn[-1] - X[-1])
                Xb = self.at_tau(X + s * (Xn - X), bound)
                if Xb is not None and self.min_share(Xb) >= 0:
                    pts.append(Xb)
                    tans.append(self.tangent(Xb, t) if self.tangent(Xb, t) is not None else t)
                    return pts, tans, "interval"
                Xn[-1] = min(max(Xn[-1], 0.0), 1.0)
            if self.min_share(Xn) < 0:
                Xe = self._exit(X, t, Xn)
                if Xe is None or self.min_share(Xe) > EXIT_SHARE:  # no share reached zero: the field jumps here
                    return pts, tans, "stalled"
                pts.append(Xe)
                te = self.tangent(Xe, t)
                tans.append(te if te is not None else t)
                return pts, tans, "exit"
            pts.append(Xn)
            tans.append(tn)
            if len(pts) > 10 and np.max(np.abs(Xn - X0)) < h:
                pts.append(X0)
                tans.append(t0)
                return pts, tans, "closed"
            X, t = Xn, tn
            h = min(MAX_STEP, h * 1.5)
        return pts, tans, "steps"

    def _exit(self, Xa, ta, Xb) -> np.ndarray | None:
        """The point between ``Xa`` (inside) and ``Xb`` (a share negative) where the smallest share is zero."""
        a, b = 0.0, 1.0
        best = None
        for _ in range(LOCATE_STEPS):
            mid = (a + b) / 2
            Xm = self.between(Xa, ta, Xb, mid)
            if Xm is None:
                break
            if self.min_share(Xm) >= 0:
                a, best = mid, Xm
            else:
                b = mid
            if b - a <= LOCATE_WIDTH:
                break
        return best


def locate(test, a: float, b: float, width: float = LOCATE_WIDTH) -> float:
    """Bisection: ``test(s)`` is True at ``a`` and False at ``b``; the switch point."""
    for _ in range(LOCATE_STEPS):
        if b - a <= width * max(1.0, abs(a), abs(b)):
            break
        mid = (a + b) / 2
        if test(mid):
            a = mid
        else:
            b = mid
    return (a + b) / 2
