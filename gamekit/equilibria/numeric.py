r"""Rest points of polynomial faces by Newton's method, verified before they count.

On a face with supports ``S`` the unknowns ``v`` are the shares of each mixing
population but the last of its support, and the system is
``F_p(v) = (u_p(i) - u_p(l_p))_{i in S_p minus l_p}`` -- square, with the
scaled payoff tensors ``A_p / s`` (entries of switch gains at most 1), so every
threshold below is relative to the payoff scale.

1. **Search.**  Damped Newton (steps clipped to ``MAX_STEP``) from ``starts``
   random points of each face (a start farther than ``WANDER`` from the face is given up),
   every start of every face with the same support
   sizes in one vectorised iteration.  A start is a *candidate* when
   ``max |F| <= CANDIDATE_RESIDUAL`` and no share is below ``-OUTSIDE``.
2. **Polish.**  ``POLISH_STEPS`` Newton steps with the residual evaluated in
   extended precision (``numpy.longdouble``) and the Jacobian solve in double
   (iterative refinement).  The polish *converges* when the final residual is
   at most ``POLISH_RESIDUAL``; the error of the shares is then bounded, to first
   order, by ``e = ||J^{-1}|| (|F| + DATA_ERROR)``.
3. **Verify.**  A converged candidate is a rest point *inside* its face only if
   every share exceeds ``CLEAR * e + SHARE_FLOOR``; one that is not clearly
   positive lies on the face's boundary (it is a rest point of a smaller face,
   found there) and is dropped.  A converged candidate with a singular Jacobian
   (``sigma_min(J) <= SINGULAR``) and shares clearly inside signals rest points
   that are not isolated.  A candidate inside the face whose polish does not
   converge is *uncertain*: reported apart, never as a rest point.
4. **Deduplicate.**  A rest point lies inside exactly one face, its support, so
   points from different faces never coincide; within a face, verified points
   closer than ``DEDUPE`` (max-norm in shares), or than ``CLEAR`` times the sum
   of their error bounds ``e``, are one point (near-singular points polish to
   within ``e`` only, and two copies of one point must not be listed twice).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..dynamics import batched_contract
from .faces import RawContinuum, RawPoint

MAX_STEP = 0.25
WANDER = 5.0  # a start this far (max-norm) from the face's centre is given up
ITERATIONS = 30
CANDIDATE_RESIDUAL = 1e-9
OUTSIDE = 1e-6
POLISH_STEPS = 6
POLISH_RESIDUAL = 1e-15
DATA_ERROR = 1e-15  # the scaled tensors are rounded to double: a residual floor
CLEAR = 100.0
SHARE_FLOOR = 1e-13
SINGULAR = 1e-8
DEDUPE = 1e-8


@dataclass(frozen=True)
class Uncertain:
    """A numeric candidate inside its face whose polish did not converge (not counted as a rest point)."""

    support: tuple[tuple[str, ...], ...]
    state: tuple[tuple[float, ...], ...]
    residual: float

    def __str__(self) -> str:
        point = "; ".join("(" + ", ".join(f"{x:.6g}" for x in s) + ")" for s in self.state)
        face = "; ".join("{" + ", ".join(s) + "}" for s in self.support)
        return f"uncertain (polish did not converge, residual {self.residual:.2g}) on the face {face}: {point}"


class _FaceSystem:
    """The equations of faces with the same support sizes, stacked (one row per face and start)."""

    def __init__(self, sizes):
        self.sizes = sizes
        self.k = len(sizes)
        self.mixing = [p for p in range(self.k) if sizes[p] > 1]
        self.pos, m = {}, 0
        for p in self.mixing:
            self.pos[p] = m
            m += sizes[p] - 1
        self.m = m

    def rows(self, v):
        out = []
        for p in range(self.k):
            if p in self.pos:
                w = v[:, self.pos[p] : self.pos[p] + self.sizes[p] - 1]
                out.append(np.concatenate([w, 1 - w.sum(axis=1, keepdims=True)], axis=1))
            else:
                out.append(np.ones((v.shape[0], 1), dtype=v.dtype))
        return out

    def __call__(self, v, tens, jacobian=True):
        rows = self.rows(v)
        f = np.empty((v.shape[0], self.m), dtype=v.dtype)
        jac = np.zeros((v.shape[0], self.m, self.m)) if jacobian else None
        for p in self.mixing:
            n = self.sizes[p] - 1
            u = batched_contract(tens[p], rows, keep=(p,))
            f[:, self.pos[p] : self.pos[p] + n] = u[:, :-1] - u[:, -1:]
            if not jacobian:
                continue
            for q in self.mixing:
                if q == p:
                    continue
                U = batched_contract(tens[p], rows, keep=tuple(sorted((p, q))))
                if q < p:
                    U = np.swapaxes(U, 1, 2)
                D = U[:, :-1, :] - U[:, -1:, :]
                jac[:, self.pos[p] : self.pos[p] + n, self.pos[q] : self.pos[q] + self.sizes[q] - 1] = (
                    D[:, :, :-1] - D[:, :, -1:]
                ).astype(float)
        return f, jac


def _solve(jac, f):
    try:
        d = np.linalg.solve(jac, f[..., None])[..., 0]
    except np.linalg.LinAlgError:
        d = np.einsum("mij,mj->mi", np.linalg.pinv(jac), f)
    return np.where(np.isfinite(d), d, 0.0)


def group_key(support) -> tuple[int, ...]:
    """Faces whose mixing populations have the same support sizes (in order) share one batched system."""
    return tuple(len(s) for s in support if len(s) > 1)


def _restricted(t, support, mix):
    """Population's tensor on the face, pure populations' axes dropped (mixing axes in order)."""
    sub = t[np.ix_(*support)]
    return sub.reshape([len(support[q]) for q in mix])


def solve_faces(unit, shape, supports, starts, rng):
    """Verified rest points, singular sets and uncertain candidates of faces with one :func:`group_key`.

    Returns ``(points, continua, uncertain)``: RawPoints, RawContinua (``dimension`` None) and
    ``(support, rows, residual)`` triples.
    """
    mixes = [[p for p, s in enumerate(sup) if len(s) > 1] for sup in supports]
    sizes = [len(supports[0][p]) for p in mixes[0]]
    system = _FaceSystem(sizes)
    nf = len(supports)
    sub = [
        np.stack([_restricted(unit[mix[j]], sup, mix) for sup, mix in zip(supports, mixes)]) for j in range(len(sizes))
    ]
    tens = [np.repeat(t, starts, axis=0) for t in sub]
    v = np.concatenate([rng.dirichlet(np.ones(a), size=nf * starts)[:, :-1] for a in sizes], axis=1)
    active = np.ones(v.shape[0], dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(ITERATIONS):
            idx = np.nonzero(active)[0]
            if idx.size == 0:
                break
            f, jac = system(v[idx], [t[idx] for t in tens])
            res = np.max(np.abs(f), axis=1)
            done = (
                (res < 1e-3 * CANDIDATE_RESIDUAL) | ~np.isfinite(res) | (np.max(np.abs(v[idx] - 0.5), axis=1) > WANDER)
            )
            active[idx[done]] = False
            go = ~done
            if not go.any():
                break
            v[idx[go]] -= np.clip(_solve(jac[go], f[go]), -MAX_STEP, MAX_STEP)
        f, _ = system(v, tens, jacobian=False)
    res = np.max(np.abs(f), axis=1)
    cand = np.all(np.isfinite(v), axis=1) & (res <= CANDIDATE_RESIDUAL)
    cand &= np.min(np.concatenate([r for r in system.rows(v)], axis=1), axis=1) >= -OUTSIDE
    idx = np.nonzero(cand)[0]
    points, continua, uncertain = [], [], []
    if idx.size == 0:
        return points, continua, uncertain
    # polish: residual in extended precision, Jacobian solve in double
    w = v[idx].astype(np.longdouble)
    ltens = [t[idx].astype(np.longdouble) for t in tens]
    dtens = [t[idx] for t in tens]
    with np.errstate(all="ignore"):
        for _ in range(POLISH_STEPS):
            f, _ = system(w, ltens, jacobian=False)
            _, jac = system(w.astype(float), dtens)
            w = w - _solve(jac, f.astype(float)).astype(np.longdouble)
        f, _ = system(w, ltens, jacobian=False)
        _, jac = system(w.astype(float), dtens)
        sv = np.linalg.svd(jac, compute_uv=False) if system.m else np.ones((len(idx), 1))
    res = np.max(np.abs(f.astype(float)), axis=1)
    smin = sv[:, -1]
    err = (res + DATA_ERROR) / np.maximum(smin, 1e-300)
    shares = np.concatenate(system.rows(w.astype(float)), axis=1)
    low = shares.min(axis=1)
    converged = np.isfinite(res) & (res <= POLISH_RESIDUAL)
    face_of = idx // starts
    kept: dict[int, list] = {}
    singular_faces = set()
    for j in range(len(idx)):
        face = int(face_of[j])
        support = supports[face]
        if converged[j] and smin[j] <= SINGULAR:
            if low[j] > OUTSIDE and face not in singular_faces:
                singular_faces.add(face)
                continua.append(RawContinuum(support, (), (), None, _full(shape, support, system, w[j : j + 1])))
            continue
        if converged[j]:
            if low[j] <= CLEAR * err[j] + SHARE_FLOOR:
                continue  # on the boundary of the face: a rest point of a smaller face
            x = w[j].astype(float)
            # one point if closer than both error bounds allow (a nearly singular point polishes slowly)
            same = [y for y in kept.get(face, []) if np.max(np.abs(y[0] - x)) <= max(DEDUPE, CLEAR * (y[2] + err[j]))]
            if not same:
                kept.setdefault(face, []).append((x, j, float(err[j])))
            continue
        if low[j] > OUTSIDE:
            uncertain.append((support, _full(shape, support, system, w[j : j + 1]), float(res[j])))
    for face, found in kept.items():
        for _x, j, _err in found:
            rows = [np.array(r) for r in _full(shape, supports[face], system, w[j : j + 1])]
            points.append(RawPoint(supports[face], rows))
    return points, continua, _dedupe_uncertain(uncertain)


def _dedupe_uncertain(items):
    out = []
    for support, rows, res in items:
        flat = np.concatenate([np.asarray(r) for r in rows])
        if not any(
            s == support and np.max(np.abs(flat - np.concatenate([np.asarray(r) for r in rr]))) <= 1e-6
            for s, rr, _ in out
        ):
            out.append((support, rows, res))
    return out


def _full(shape, support, system, w):
    rows = iter(system.rows(np.asarray(w, dtype=float)))
    out = []
    for p, n in enumerate(shape):
        row = np.zeros(n)
        row[list(support[p])] = next(rows)[0] if len(support[p]) > 1 else 1.0
        out.append(tuple(float(x) for x in row))
    return tuple(out)
