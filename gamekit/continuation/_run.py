"""The work of :func:`gamekit.continuation` (the mathematics is in the package's docstring): faces solved exactly or
followed numerically, stability along the branches, and the bifurcation points they meet."""

from __future__ import annotations

import itertools
import math
import sys

import numpy as np
import sympy

from ..dynamics import SWITCHES
from ..equilibria.faces import supports
from ..stability import Stability, _label
from ._field import Face, LeverField, exact_sigma, linear_system, make_face, real_roots
from ._lyapunov import first_lyapunov
from ._trace import FaceProblem, locate
from .result import KINDS, Bifurcation, Branch, BranchPoint, Continuation

SAME_VALUE = 1e-7  # events closer than this (relative to the interval) in the parameter ...
SAME_STATE = 1e-6  # ... and than this in every share are one bifurcation point
ON_BRANCH = 1e-6  # a seed this close (max-norm, in shares and tau) to a traced branch of its face is on it
REAL_IMAG = 1e-7  # an eigenvalue with |Im| at most this times the Jacobian's scale counts as real
NEAR_AXIS = 1e-6  # at a located crossing, a real eigenvalue this close to zero (relative) is the one crossing
EXACT_MATCH = 1e-6  # an exact root within this (relative to the interval) of a located crossing is that crossing
LP_MARGIN = 1e-9  # a line of rest points counts when it reaches this far into its face (every share above it)
LYAPUNOV_ZERO = 1e-7  # |l_1| below this times the size of its terms: a degenerate Hopf point
EXIT_SHARE = 1e-9  # where a branch leaves its face, shares at most this are the ones that reached zero
MAX_EXACT_DIM = 6  # exact crossings (det J) only for tangent dimensions up to this
MAX_EXACT_HOPF_DIM = 4  # exact Hopf values (a resultant of the characteristic polynomial) up to this dimension


class _Event:
    def __init__(self, kind, value, state, note="", exact_value=None, support=None):
        self.kind, self.value, self.state, self.note = kind, float(value), np.asarray(state, float), note
        self.exact_value, self.support = exact_value, support


class Run:
    def __init__(self, game, parameter, lo, hi, points, seeds, zero_tol, progress):
        self.game, self.parameter, self.lo_exact, self.hi_exact = game, parameter, lo, hi
        self.lo, self.hi = float(lo), float(hi)
        self.width = self.hi - self.lo
        self.points, self.seeds, self.zero_tol, self.progress = points, seeds, zero_tol, progress
        self.lever = LeverField(game, parameter)
        self.lam = self.lever.lam
        self.branches: list[dict] = []
        self.events: list[_Event] = []
        self.notes: list[str] = []
        self.numeric: dict[tuple, Face] = {}  # the faces followed numerically, their problems and traced branches
        self.problems: dict[tuple, FaceProblem] = {}
        self.traced: dict[tuple, list[np.ndarray]] = {}
        if any(a.has(self.lam) for e in self.lever.u for a in e.atoms(*SWITCHES)):
            self.notes.append(
                f"the payoffs are not smooth in {parameter} (a step, abs, min or max of it): branches end where the"
                " rest points jump"
            )

    # -- faces ---------------------------------------------------------------------------------------------

    def result(self) -> Continuation:
        faces = list(supports(self.game.shape))
        numeric = []
        bar = None
        show = self.progress if self.progress is not None else len(faces) > 64
        if show:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(faces), desc="faces", unit="face", file=sys.stderr, leave=False)
        try:
            for support in faces:
                face = make_face(self.game.shape, support)
                system = linear_system(self.lever, face)
                if system is None:
                    numeric.append(face)
                else:
                    self._exact_face(face, *system)
                if bar is not None:
                    bar.update(1)
            if numeric:
                self._numeric_faces(numeric)
        finally:
            if bar is not None:
                bar.close()
        branches, seen = [], 0
        while len(branches) < len(self.branches):  # branches born where a finished one changes stability, if any
            branches += [self._finish(b) for b in self.branches[len(branches) :]]
            fresh, seen = self.events[seen:], len(self.events)
            if self.numeric:
                self._born(fresh)
        bifurcations = self._classify()
        order = sorted(range(len(branches)), key=lambda k: (branches[k].points[0].value, branches[k].support))
        return Continuation(
            parameter=self.parameter,
            interval=(self.lo, self.hi),
            branches=tuple(branches[k] for k in order),
            bifurcations=tuple(bifurcations),
            notes=tuple(dict.fromkeys(self.notes)),
            game=self.game,
        )

    def _names(self, support):
        return tuple(tuple(pop.strategies[i] for i in s) for pop, s in zip(self.game.populations, support))

    def _exit_text(self, face: Face, state) -> str:
        off = self.lever.off
        smaller = tuple(
            tuple(i for i in sup if state[off[p] + i] > EXIT_SHARE) or sup for p, sup in enumerate(face.support)
        )
        return f"the branch on {self._face_text(face.support)} meets the face {self._face_text(smaller)}"

    def _face_text(self, support) -> str:
        return "; ".join("{" + ", ".join(s) + "}" for s in self._names(support))

    # -- exact faces -----------------------------------------------------------------------------------------

    def _exact_face(self, face: Face, A, b, eqs):
        lam, lo, hi = self.lam, self.lo_exact, self.hi_exact
        m = face.m
        if m == 0:
            self._exact_branch(face, [sympy.Integer(int(x)) for x in face.e0], lo, hi)
            return
        det = sympy.cancel(A.det()) if A.shape[0] == A.shape[1] else sympy.Integer(0)
        if det != 0:
            sol = [sympy.cancel(e) for e in A.LUsolve(b)]
            full = [sympy.cancel(e) for e in exact_sigma(face, sol)]
            used = [full[i] for i in face.used]
            crit = set()
            for e in used:
                crit.update(real_roots(e, lam, lo, hi) or [])
                crit.update(real_roots(sympy.fraction(sympy.together(e))[1], lam, lo, hi) or [])
            det_roots = real_roots(det, lam, lo, hi) or []
            crit.update(det_roots)
            for c in det_roots + [r for r in (lo, hi) if sympy.cancel(det.subs(lam, r)) == 0]:
                self._continuum(face, A.subs(lam, c), b.subs(lam, c), c)
            cuts = sorted(crit, key=float)
            ends = [lo] + cuts + [hi]
            run = None
            for a, z in zip(ends[:-1], ends[1:]):
                mid = sympy.Rational((float(a) + float(z)) / 2)
                inside = all(_positive(e.subs(lam, mid)) for e in used)
                if inside and run is None:
                    run = a
                if not inside and run is not None:
                    self._exact_branch(face, full, run, a)
                    run = None
                if inside and run is not None and z is not hi and not self._interior_at(used, z):
                    self._exact_branch(face, full, run, z)
                    run = None
            if run is not None:
                self._exact_branch(face, full, run, hi)
            return
        # det A = 0 identically: rest points on this face only where [A | b] loses rank too
        r = A.rank(simplify=True)
        aug = A.row_join(b)
        minors = [
            aug.extract(list(rows), list(cols)).det()
            for rows in itertools.combinations(range(aug.rows), r + 1)
            for cols in itertools.combinations(range(aug.cols), r + 1)
            if aug.cols - 1 in cols
        ]
        g = sympy.Integer(0)
        for mnr in minors:
            g = sympy.gcd(g, sympy.fraction(sympy.cancel(sympy.together(mnr)))[0])
        if g == 0:  # consistent at every value: rest points that are not isolated, wherever they enter the face
            mid = sympy.Rational((self.lo + self.hi) / 2)
            A_mid = np.array(A.subs(lam, mid).evalf(), float)
            if _interior_example(face, A_mid, np.array(b.subs(lam, mid).evalf(), float).ravel()) is not None:
                self.notes.append(
                    f"the face {self._face_text(face.support)} holds rest points that are not isolated (a set of "
                    f"dimension {face.m - r}) at every value of {self.parameter}; it is not drawn as a branch"
                )
            return
        roots = real_roots(g, lam, lo, hi) or []
        roots += [x for x in (lo, hi) if sympy.expand(g.subs(lam, x)) == 0]
        for c in roots:
            self._continuum(face, A.subs(lam, c), b.subs(lam, c), c)

    def _interior_at(self, used, c) -> bool:
        """Every share positive (and finite) at the exact value ``c``: the branch runs on through ``c``."""
        for e in used:
            num, den = sympy.fraction(sympy.together(e))
            d = sympy.simplify(den.subs(self.lam, c))
            if d == 0:
                return False
            if not _positive(sympy.simplify(num.subs(self.lam, c) / d)):
                return False
        return True

    def _exact_branch(self, face: Face, full, a, z):
        lam = self.lam
        share = sympy.lambdify(lam, full, modules="numpy")
        n = max(3, int(math.ceil((self.points - 1) * (float(z) - float(a)) / self.width)) + 1)
        values = np.linspace(float(a), float(z), n)
        sig = np.array([np.broadcast_to(np.asarray(s, float), (n,)) for s in share(values)]).T
        ok = np.all(np.isfinite(sig), axis=1)
        values, sig = values[ok], np.clip(sig[ok], 0.0, 1.0)
        if len(values) < 2:
            return
        locate_at = lambda x: (x, np.clip(np.array(share(x), float), 0.0, 1.0), None)  # noqa: E731
        entry = {"face": face, "lam": values, "sig": sig, "full": full, "at": locate_at, "det": None, "extra": []}
        self.branches.append(entry)
        for end in (a, z):
            if end in (self.lo_exact, self.hi_exact):
                continue
            state = np.clip(np.array(share(float(end)), float), 0.0, 1.0)
            if np.all(np.isfinite(state)):
                self.events.append(
                    _Event(
                        "exit",
                        end,
                        state,
                        self._exit_text(face, state),
                        end,
                        face.support,
                    )
                )

    def _continuum(self, face: Face, A, b, c):
        """Rest points that are not isolated on ``face`` at the exact value ``c``: a degenerate point."""
        A = sympy.Matrix(A).applyfunc(sympy.nsimplify)
        b = sympy.Matrix(b).applyfunc(sympy.nsimplify)
        rank = A.rank()
        if rank != A.row_join(b).rank() or rank >= face.m:
            return
        example = _interior_example(face, np.array(A.evalf(), float), np.array(b.evalf(), float).ravel())
        if example is None:
            return
        dim = face.m - rank
        what = "a line" if dim == 1 else f"a set of dimension {dim}"
        self.events.append(
            _Event(
                "degenerate",
                c,
                example,
                f"{what} of rest points on the face {self._face_text(face.support)} (not isolated) at this value",
                c,
                face.support,
            )
        )

    # -- numeric faces ---------------------------------------------------------------------------------------

    def _numeric_faces(self, faces: list[Face]):
        from ..equilibria import equilibria

        self.numeric = {f.support: f for f in faces}
        self.problems = {f.support: FaceProblem(self.lever, f, self.lo, self.hi) for f in faces}
        for g in np.linspace(self.lo, self.hi, self.seeds):
            eqs = equilibria(self.game.with_parameters({self.parameter: float(g)}), exact=False, rng=0, progress=False)
            for e in eqs:
                support = tuple(
                    tuple(pop.strategies.index(s) for s in sup) for pop, sup in zip(self.game.populations, e.support)
                )
                if support in self.numeric:
                    self._seed(support, np.concatenate([np.asarray(s) for s in e.state]), float(g))
        self.notes.append(
            f"faces followed numerically were seeded at {self.seeds} values of {self.parameter} and where a branch of"
            " a smaller face changes stability: a branch that exists only between two seed values and meets no"
            " smaller face is not found"
        )

    def _seed(self, support, sig, lam: float, inward: int | None = None):
        """Follow the branch of the numeric face ``support`` through the rest point ``sig`` at ``lam`` (unless already
        traced); ``inward``: the share (index into the full shares) that is zero there, on the face's boundary, so
        that the branch is followed into the face only."""
        face, prob = self.numeric[support], self.problems[support]
        X0 = np.concatenate([sig[prob.unknown], [(lam - self.lo) / self.width]])
        if any(self._on_branch(prob, X0, P) for P in self.traced.get(support, [])):
            return
        X0 = prob.at_tau(X0, X0[-1])
        t0 = prob.tangent(X0, None) if X0 is not None else None
        if t0 is None:
            return
        if inward is None:
            fwd, tf, how_f = prob.trace(X0, t0)
            back, tb, how_b = prob.trace(X0, -t0)
        else:
            if (face.E @ t0[:-1])[inward] < 0:
                t0 = -t0
            if (X0[-1] >= 1 and t0[-1] > 0) or (X0[-1] <= 0 and t0[-1] < 0):
                return  # born at an end of the interval, into the face only outside it
            fwd, tf, how_f = prob.trace(X0, t0)
            back, tb, how_b = [X0], [t0], "exit"
        X = np.array(back[::-1] + fwd[1:])
        T = np.array([-t for t in tb[::-1]] + tf[1:])
        if len(X) < 2:
            return
        self.traced.setdefault(support, []).append(X)
        for how in {how_f, how_b} - {"interval", "exit", "closed"}:
            self.notes.append(f"a branch on the face {self._face_text(support)} ended early ({how})")
        self._numeric_branch(face, prob, X, T, (how_b, how_f))

    def _born(self, events: list[_Event]) -> None:
        """Seed the larger numeric faces at real crossings of a smaller face's branch: where the gain of a strategy
        not in use crosses zero, a branch of the face that adds it passes through the point (transcritical)."""
        off = self.lever.off
        for e in events:
            if e.kind != "real" or e.support is None:
                continue
            u = self.lever.numeric(e.state[None, :], e.value)[0][0]
            scale = self.lever.scale(e.value)
            for p, sup in enumerate(e.support):
                used = u[off[p] + sup[-1]]
                for j in range(self.game.shape[p]):
                    if j in sup or abs(u[off[p] + j] - used) > NEAR_AXIS * scale:
                        continue
                    bigger = tuple(tuple(sorted(s + (j,))) if q == p else s for q, s in enumerate(e.support))
                    if bigger in self.numeric:
                        self._seed(bigger, e.state, e.value, inward=int(off[p] + j))

    @staticmethod
    def _on_branch(prob: FaceProblem, X0, P) -> bool:
        """``X0`` (a rest point at its tau) is a point of the traced branch ``P`` (N, m + 1)."""
        tau = X0[-1]
        for a, b in zip(P[:-1], P[1:]):
            if (a[-1] - tau) * (b[-1] - tau) > 0 or a[-1] == b[-1]:
                continue
            s = (tau - a[-1]) / (b[-1] - a[-1])
            X = prob.at_tau(a + s * (b - a), tau)
            if X is not None and np.max(np.abs(X - X0)) <= ON_BRANCH:
                return True
        return bool(np.min(np.max(np.abs(P - X0), axis=1)) <= ON_BRANCH)

    def _numeric_branch(self, face: Face, prob: FaceProblem, X, T, ends):
        lam = self.lo + X[:, -1] * self.width
        sig = np.array([prob.sigma(x) for x in X])
        sig = np.clip(sig, 0.0, 1.0)

        def at(i, s):
            Xm = prob.between(X[i], T[i], X[i + 1], s)
            if Xm is None:
                return None
            tm = prob.tangent(Xm, T[i])
            return prob.lam(Xm), np.clip(prob.sigma(Xm), 0.0, 1.0), tm

        entry = {"face": face, "lam": lam, "sig": sig, "full": None, "between": at, "T": T, "extra": []}
        self.branches.append(entry)
        for k, how in zip((0, len(X) - 1), ends):
            if how == "exit":
                self.events.append(
                    _Event(
                        "exit",
                        lam[k],
                        sig[k],
                        self._exit_text(face, sig[k]),
                        None,
                        face.support,
                    )
                )
        for i in range(len(X) - 1):  # folds: the tangent's tau component changes sign
            if T[i, -1] * T[i + 1, -1] < 0:
                s = locate(lambda s, i=i: _sign_at(at(i, s), T[i, -1]), 0.0, 1.0)
                got = at(i, s)
                if got is not None:
                    entry["extra"].append((i + s, got[0], got[1]))
                    self.events.append(
                        _Event(
                            "fold",
                            got[0],
                            got[1],
                            "two rest points meet and vanish (a fold in the parameter)",
                            None,
                            face.support,
                        )
                    )

    # -- stability along the branches ------------------------------------------------------------------------

    def _spectrum(self, lam, sig):
        """Eigenvalues (M, d) of the tangent Jacobians; NaN where a derivative is infinite or undefined."""
        J = self.lever.jacobians(sig, lam) if np.ndim(lam) else self.lever.jacobians(sig[None, :], lam)
        out = np.full(J.shape[:-1], np.nan, dtype=complex)
        if not J.shape[-1]:
            return np.zeros(J.shape[:-1], complex)
        finite = np.all(np.isfinite(J), axis=(-2, -1))
        if np.any(finite):
            out[finite] = np.linalg.eigvals(J[finite])
        return out

    def _signs(self, ev, lam, scale=None) -> tuple[int, tuple]:
        scale = self.lever.scale(lam) if scale is None else scale
        bound = self.zero_tol * max(scale, float(np.max(np.abs(ev))) if ev.size else 0.0)
        re = ev.real
        signs = np.where(re > bound, 1, np.where(re < -bound, -1, 0))
        return int(np.sum(signs > 0)), tuple(signs)

    def _labels(self, lam, sig):
        ev = self._spectrum(lam, sig)
        labels, counts = [], []
        scales = self.lever.scales(lam)
        for k in range(len(lam)):
            if not np.all(np.isfinite(ev[k])):  # as gk.equilibria: no Jacobian, no label
                labels.append(Stability.NOT_LINEARISED)
                counts.append(None)
                continue
            n, signs = self._signs(ev[k], lam[k], scales[k])
            labels.append(_label(signs))
            counts.append((n, signs.count(0)))
        return ev, labels, counts

    def _finish(self, entry) -> Branch:
        lam, sig = entry["lam"], entry["sig"]
        ev, labels, counts = self._labels(lam, sig)
        for i in range(len(lam) - 1):
            if None not in (counts[i], counts[i + 1]) and counts[i] != counts[i + 1] and counts[i][1] == 0:
                j = i + 1  # the next point outside the zero band: points i+1 .. j-1 are in it (a zero at a point)
                while j < len(lam) and counts[j] is not None and counts[j][1] > 0:
                    j += 1
                self._crossing(entry, i, counts[i], None if j == i + 1 else (i + j) // 2 if j < len(lam) else i + 1)
        if entry["extra"]:  # the located bifurcation points join the branch, so that it reaches them
            pos = list(range(len(lam))) + [p for p, _, _ in entry["extra"]]
            lam = np.concatenate([lam, [x for _, x, _ in entry["extra"]]])
            sig = np.vstack([sig, [z for _, _, z in entry["extra"]]])
            order = np.argsort(pos, kind="stable")
            lam, sig = lam[order], sig[order]
            ev, labels, counts = self._labels(lam, sig)
        pts = tuple(
            BranchPoint(float(lam[k]), _rows(self.game.shape, sig[k]), _finite(ev[k]), labels[k])
            for k in range(len(lam))
        )
        exact = None
        if entry["full"] is not None:
            off = self.lever.off
            exact = tuple(tuple(entry["full"][off[p] : off[p + 1]]) for p in range(len(self.game.shape)))
        return Branch(self._names(entry["face"].support), pts, exact)

    def _point(self, entry, i, s):
        if entry["full"] is not None:
            x = entry["lam"][i] + s * (entry["lam"][i + 1] - entry["lam"][i])
            return entry["at"](x)
        return entry["between"](i, s)

    def _crossing(self, entry, i, count, k=None):
        """Locate where the number of eigenvalues with positive real part changes between points ``i`` and ``i+1``;
        ``k`` is a later point with a real part in the zero band (the crossing is there, unless exact)."""

        def counts(s):
            got = self._point(entry, i, s)
            if got is None:
                return None
            ev = self._spectrum(got[0], got[1])[0]
            n, signs = self._signs(ev, got[0])
            return n, signs.count(0)

        got = None
        if entry["full"] is not None and self._no_exact_crossing(entry, i, k):
            return  # the count changed only because the zero band |Re| <= zero_tol * scale moved with the scale
        if entry["full"] is not None:  # an exact branch: a single root of det J(lam) in the bracket is the crossing
            a, b = entry["lam"][i], entry["lam"][i + 1 if k is None else k]
            root = self._exact_crossing(entry, (a + b) / 2, (b - a) / 2 + EXACT_MATCH * self.width)
            if root is not None:
                got = entry["at"](float(root))
                s = (float(root) - a) / (entry["lam"][i + 1] - a)
        if got is None and k is not None:
            got, s = (entry["lam"][k], entry["sig"][k]), float(k - i)
        if got is None:
            # the real part passes through the band |Re| <= zero_tol * scale: locate its two edges, take the middle
            start, end = count, counts(1.0)
            first = locate(lambda s: counts(s) in (start, None), 0.0, 1.0)
            last = locate(lambda s: counts(s) not in (end, None), first, 1.0)
            s = (first + last) / 2
            got = self._point(entry, i, s)
        if got is None:
            return
        lam, sig = float(got[0]), got[1]
        ev = self._spectrum(lam, sig)[0]
        scale = max(self.lever.scale(lam), float(np.max(np.abs(ev))) if ev.size else 0.0)
        real = np.abs(ev.imag) <= REAL_IMAG * scale
        face = entry["face"]
        if not np.any(real & (np.abs(ev.real) <= NEAR_AXIS * scale)):  # no real eigenvalue at zero: a complex pair
            exact_value = self._exact_hopf(entry, lam) if entry["full"] is not None else None
            if exact_value is not None:
                lam, sig = float(exact_value), entry["at"](float(exact_value))[1]
                ev = self._spectrum(lam, sig)[0]
            note = self._hopf_note(lam, sig, ev)
            self.events.append(_Event("hopf", lam, sig, note, exact_value, face.support))
            if s != int(s):
                entry["extra"].append((i + s, lam, sig))
            return
        exact_value = self._exact_crossing(entry, lam) if entry["full"] is not None else None
        if exact_value is not None:
            lam, sig = float(exact_value), entry["at"](float(exact_value))[1]
        if s != int(s) or not np.any(entry["lam"] == lam):
            entry["extra"].append((i + s, lam, sig))
        self.events.append(
            _Event(
                "real",
                exact_value if exact_value is not None else lam,
                sig,
                "a real eigenvalue crosses zero",
                exact_value,
                face.support,
            )
        )

    def _no_exact_crossing(self, entry, i, k) -> bool:
        """Whether, on an exact branch, neither ``det J(lam)`` (a real eigenvalue at zero) nor the Hopf condition
        (a pair ``+-i w``) has a root between points ``i`` and ``i + 1`` (or ``k``): then no eigenvalue crosses the
        imaginary axis there, and a change in the count of positive real parts comes from the zero band, whose width
        follows the payoff scale (``R`` up to 1e12 widens it even where the eigenvalues do not depend on ``R``).
        False where the exact test is not made (tangent dimension above ``MAX_EXACT_DIM`` or
        ``MAX_EXACT_HOPF_DIM``)."""
        if self.lever.dim > min(MAX_EXACT_DIM, MAX_EXACT_HOPF_DIM):
            return False
        a, b = sorted((float(entry["lam"][i]), float(entry["lam"][i + 1 if k is None else k])))
        pad = EXACT_MATCH * self.width
        lo, hi = sympy.Rational(a - pad), sympy.Rational(b + pad)
        self._exact_crossing(entry, (a + b) / 2)  # builds entry["det"]
        self._exact_hopf(entry, (a + b) / 2)  # builds entry["hopf"]
        for condition in (entry["det"], entry["hopf"]):
            if condition is None or real_roots(condition, self.lam, lo, hi) != []:
                return False
        return True

    def _exact_crossing(self, entry, lam_star: float, width: float | None = None):
        """The single exact root of ``det J(lam)`` along an exact branch within ``width`` of ``lam_star``, or None."""
        if self.lever.dim > MAX_EXACT_DIM:
            return None
        if entry["det"] is None:
            J = self.lever.exact_jacobian(entry["full"])
            entry["det"] = sympy.cancel(J.det()) if J.shape[0] else sympy.Integer(1)
        width = EXACT_MATCH * self.width if width is None else width
        roots = real_roots(entry["det"], self.lam, sympy.Rational(lam_star - width), sympy.Rational(lam_star + width))
        if roots and len(roots) == 1:
            return roots[0]
        return None

    def _exact_hopf(self, entry, lam_star: float):
        """The single exact root within ``EXACT_MATCH`` of ``lam_star`` of the condition for a pair ``+-i w`` on an
        exact branch: with ``p(z) = det(z - J(lam))`` and ``p(i w) = A(w^2) + i w B(w^2)``, the resultant of ``A`` and
        ``B`` in ``w^2`` vanishes."""
        if self.lever.dim > MAX_EXACT_HOPF_DIM:
            return None
        if entry.get("hopf") is None:
            J = self.lever.exact_jacobian(entry["full"])
            z, w2 = sympy.Dummy("z"), sympy.Dummy("s")
            coeffs = [sympy.cancel(c) for c in J.charpoly(z).all_coeffs()]  # z^d + c_1 z^(d-1) + ...
            d = len(coeffs) - 1
            A = sum(c * (-w2) ** ((d - k) // 2) for k, c in enumerate(coeffs) if (d - k) % 2 == 0)
            B = sum(c * (-w2) ** ((d - k - 1) // 2) for k, c in enumerate(coeffs) if (d - k) % 2 == 1)
            num_a = sympy.fraction(sympy.together(A))[0]
            num_b = sympy.fraction(sympy.together(B))[0]
            entry["hopf"] = (
                sympy.resultant(sympy.expand(num_a), sympy.expand(num_b), w2)
                if num_b.has(w2) or num_a.has(w2)
                else num_b
            )
        width = EXACT_MATCH * self.width
        roots = real_roots(entry["hopf"], self.lam, sympy.Rational(lam_star - width), sympy.Rational(lam_star + width))
        return roots[0] if roots and len(roots) == 1 else None

    def _hopf_note(self, lam, sig, ev) -> str:
        l1, size = first_lyapunov(self.lever, sig, lam)
        omega = float(np.max(np.abs(ev.imag)))
        base = f"a complex pair crosses the imaginary axis (eigenvalues +-{omega:.6g}i)"
        if l1 is None:
            return base + "; the first Lyapunov coefficient could not be computed"
        if abs(l1) <= LYAPUNOV_ZERO * size:
            return (
                base + "; degenerate: the first Lyapunov coefficient is zero, so the normal form does not decide"
                " (as at a centre surrounded by closed orbits)"
            )
        side = "supercritical: a stable cycle" if l1 < 0 else "subcritical: an unstable cycle"
        return base + f"; {side} (first Lyapunov coefficient {l1:.4g})"

    # -- bifurcation points ----------------------------------------------------------------------------------

    def _classify(self) -> list[Bifurcation]:
        tol_v = SAME_VALUE * max(1.0, self.width)
        clusters: list[list[_Event]] = []
        degenerate = [e for e in self.events if e.kind == "degenerate"]
        for e in self.events:
            if e.kind == "degenerate":
                continue
            for c in clusters:
                if abs(c[0].value - e.value) <= tol_v and np.max(np.abs(c[0].state - e.state)) <= SAME_STATE:
                    c.append(e)
                    break
            else:
                clusters.append([e])
        out = []
        clusters = [c for c in clusters if self._inside(c, tol_v)]
        for c in clusters:
            kinds = {e.kind for e in c}
            exact = next((e.exact_value for e in c if e.exact_value is not None), None)
            value = exact if exact is not None else float(np.mean([e.value for e in c]))
            state = _rows(self.game.shape, c[0].state)
            if "fold" in kinds:
                kind, note = "fold", next(e.note for e in c if e.kind == "fold")
            elif "hopf" in kinds:
                kind, note = "hopf", next(e.note for e in c if e.kind == "hopf")
            elif "exit" in kinds:
                kind = "transcritical"
                note = next(e.note for e in c if e.kind == "exit")
            else:
                line = [
                    d for d in degenerate if abs(d.value - c[0].value) <= tol_v and _within(c[0].support, d.support)
                ]
                if line:
                    kind = "degenerate"
                    note = f"a real eigenvalue crosses zero where {line[0].note.split(' (')[0]} ends"
                else:
                    kind = "transcritical"
                    note = "a real eigenvalue crosses zero (no other branch through this point was found)"
            out.append(Bifurcation(kind, value, state, note, exact is not None, self._eigenvalues(c[0])))
        for d in degenerate:
            state = _rows(self.game.shape, d.state)
            out.append(Bifurcation("degenerate", d.exact_value, state, d.note, True, self._eigenvalues(d)))
        assert all(b.kind in KINDS for b in out)
        out.sort(key=lambda b: (float(b.value), b.kind))
        return out

    def _inside(self, cluster, tol_v: float) -> bool:
        """Whether a bifurcation point lies in the interval: exactly for an exact value, else within ``tol_v``."""
        exact = next((e.exact_value for e in cluster if e.exact_value is not None), None)
        if exact is not None:
            return bool(self.lo_exact <= exact <= self.hi_exact)
        return self.lo - tol_v <= cluster[0].value <= self.hi + tol_v

    def _eigenvalues(self, e: _Event) -> tuple[complex, ...]:
        return _finite(self._spectrum(e.value, e.state)[0])


def _positive(value) -> bool:
    value = sympy.nsimplify(value) if isinstance(value, float) else value
    try:
        return bool(value > 0)
    except TypeError:
        return float(sympy.N(value, 30)) > 0


def _within(small, big) -> bool:
    return all(set(s) <= set(b) for s, b in zip(small, big))


def _rows(shape, sig) -> tuple[tuple[float, ...], ...]:
    off = np.concatenate([[0], np.cumsum(shape)]).astype(int)
    return tuple(tuple(float(v) + 0.0 for v in sig[off[p] : off[p + 1]]) for p in range(len(shape)))  # no -0.0


def _ordered(ev):
    return sorted(ev, key=lambda z: (round(z.real, 12), round(z.imag, 12)))


def _finite(ev) -> tuple[complex, ...]:
    """The eigenvalues in gamekit's order, or none where the Jacobian does not exist (as ``not linearised``)."""
    return tuple(complex(z) for z in _ordered(ev)) if np.all(np.isfinite(ev)) else ()


def _sign_at(got, sign) -> bool:
    return got is None or got[2] is None or got[2][-1] * sign > 0


def _interior_example(face: Face, A: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """A point of ``{A v = b}`` deepest inside the face (maximising its smallest share), if it enters the face."""
    from scipy.optimize import linprog

    m = face.m
    Eu, e0u = face.E[face.used], face.e0[face.used]
    # variables (v, t): maximise t subject to A v = b, shares Eu v + e0u >= t, t <= 1
    c = np.zeros(m + 1)
    c[-1] = -1.0
    A_ub = np.column_stack([-Eu, np.ones(len(e0u))])
    res = linprog(
        c,
        A_ub=A_ub,
        b_ub=e0u,
        A_eq=np.column_stack([A, np.zeros(len(b))]),
        b_eq=b,
        bounds=[(None, None)] * m + [(None, 1.0)],
        method="highs",
    )
    if res.status != 0 or -res.fun <= LP_MARGIN:
        return None
    return face.sigma(res.x[:m])
