r"""Every rest point of the replicator dynamics in the state space.

A state ``sigma`` is a rest point iff, for every population ``p``, every
strategy in the support ``S_p = {i : sigma_p[i] > 0}`` earns the same payoff::

    u_p(i) = u_p(j)   for all i, j in S_p.

(Rest points need not be Nash equilibria: strategies outside the support may
earn more.)  So the rest points are found face by face: for every choice of
supports ``S = (S_0, ..., S_{k-1})`` (each non-empty) the unknowns are the
shares on the supports, ``sum_p (|S_p| - 1)`` of them after each population's
shares sum to one, and the equations are ``u_p(i) - u_p(last of S_p) = 0`` --
as many as unknowns.  A solution counts when every share on its support is
strictly positive; one on the boundary of the face belongs to a smaller face and
is found there, so each rest point is reported exactly once.

* **Exact**: sympy solves the (polynomial, rational-coefficient) system within
  a time limit per face; solutions stay exact (rationals, radicals).
* **Numeric**: otherwise (too many unknowns, or past the time limit), damped
  Newton from many starting points inside the face, vectorised over the starts;
  such rest points are marked ``exact=False`` and the search, unlike sympy's,
  is not guaranteed complete (``Equilibria.complete`` says so).
* **Continua**: a system whose solution set has positive dimension (e.g. an
  edge on which a population is indifferent) is reported as a
  :class:`Continuum` with its defining equations, never sampled as points.

Each isolated rest point is linearised (:mod:`gamekit.stability`).
"""

from __future__ import annotations

import contextlib
import itertools
import signal
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import sympy

from .dynamics import contract, strategy_payoffs, tangent_jacobian
from .game import Game
from .space import StateSpace
from .stability import Stability, classify, classify_exact

__all__ = ["Equilibrium", "Continuum", "Equilibria", "equilibria", "linearize"]


class _Timeout(BaseException):
    """Raised by the alarm inside sympy; a BaseException so sympy does not swallow it."""


@contextlib.contextmanager
def _time_limit(seconds: float | None):
    """Interrupt the block after ``seconds`` (main thread on Unix); yields whether a limit is set."""
    usable = (
        seconds is not None and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield False
        return

    def _alarm(signum, frame):
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3))
    try:
        yield True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _fmt(v: float) -> str:
    return f"{v:.6g}"


@dataclass(frozen=True)
class Equilibrium:
    """An isolated rest point and its linear stability.

    ``state`` holds each population's mixed strategy; ``profile`` the strategy
    names when the rest point is pure (else ``None``); ``eigenvalues`` those of
    the Jacobian on the tangent space; ``exact`` whether the state was solved
    exactly (then ``exact_state`` and, where sympy found them, ``exact_eigenvalues``).
    """

    state: tuple[tuple[float, ...], ...]
    profile: tuple[str, ...] | None
    support: tuple[tuple[str, ...], ...]
    eigenvalues: tuple[complex, ...]
    stability: Stability
    exact: bool
    name: str | None = None
    exact_state: tuple[tuple[sympy.Expr, ...], ...] | None = field(default=None, repr=False)
    exact_eigenvalues: tuple[sympy.Expr, ...] | None = field(default=None, repr=False)

    @property
    def coordinates(self) -> np.ndarray:
        """The state in the game's coordinates (first-strategy shares for two-strategy games)."""
        full = np.concatenate([np.asarray(s) for s in self.state])
        if all(len(s) == 2 for s in self.state):
            return full[0::2]
        return full

    @property
    def is_pure(self) -> bool:
        return self.profile is not None

    @property
    def is_interior(self) -> bool:
        return all(min(s) > 0 for s in self.state)

    def describe_state(self) -> str:
        if self.exact_state is not None and all(len(s) == 2 for s in self.state):
            return "(" + ", ".join(sympy.sstr(s[0]) for s in self.exact_state) + ")"
        if all(len(s) == 2 for s in self.state):
            return "(" + ", ".join(_fmt(s[0]) for s in self.state) + ")"
        return "; ".join("(" + ", ".join(_fmt(v) for v in s) + ")" for s in self.state)

    def describe_eigenvalues(self) -> str:
        def one(z: complex) -> str:
            if abs(z.imag) < 1e-12:
                return _fmt(z.real)
            return f"{_fmt(z.real)}{'+' if z.imag >= 0 else '-'}{_fmt(abs(z.imag))}i"

        return ", ".join(one(z) for z in self.eigenvalues)

    def __str__(self) -> str:
        what = f"({', '.join(self.profile)})" if self.profile else self.describe_state()
        name = f" [{self.name}]" if self.name else ""
        kind = "" if self.exact else " (numeric)"
        return f"{what}{name}: {self.stability}; eigenvalues {self.describe_eigenvalues()}{kind}"

    def to_json(self) -> dict:
        """The object of design.md's JSON contract."""
        return {
            "state": [list(map(float, s)) for s in self.state],
            "profile": list(self.profile) if self.profile else None,
            "eigenvalues": [[float(z.real), float(z.imag)] for z in self.eigenvalues],
            "stability": str(self.stability),
        }


@dataclass(frozen=True)
class Continuum:
    """A connected set of rest points of positive dimension on one face.

    ``equations`` define it (in the shares ``symbols`` of the face's mixing
    populations); ``dimension`` is the number of free shares; ``example`` is one
    point of it inside the face (each population's mixed strategy).
    """

    support: tuple[tuple[str, ...], ...]
    symbols: tuple[sympy.Symbol, ...]
    equations: tuple[sympy.Expr, ...]
    dimension: int
    example: tuple[tuple[float, ...], ...]

    def __str__(self) -> str:
        face = "; ".join("{" + ", ".join(s) + "}" for s in self.support)
        eqs = ", ".join(f"{sympy.sstr(e)} = 0" for e in self.equations) or "every point of the face"
        return f"continuum of rest points (dimension {self.dimension}) on the face {face}: {eqs}"

    def to_json(self) -> dict:
        return {
            "support": [list(s) for s in self.support],
            "dimension": self.dimension,
            "equations": [f"{sympy.sstr(e)} = 0" for e in self.equations],
            "example": [list(map(float, s)) for s in self.example],
        }


class Equilibria(tuple):
    """The isolated rest points of a game (a tuple of :class:`Equilibrium`), plus its continua."""

    game: Game
    continua: tuple[Continuum, ...]
    complete: bool

    def __new__(cls, items, game: Game, continua=(), complete=True):
        self = super().__new__(cls, items)
        self.game = game
        self.continua = tuple(continua)
        self.complete = complete
        return self

    def stable(self) -> list[Equilibrium]:
        """The asymptotically stable rest points."""
        return [e for e in self if e.stability is Stability.ASYMPTOTICALLY_STABLE]

    def named(self, name: str) -> Equilibrium:
        for e in self:
            if e.name == name:
                return e
        raise KeyError(name)

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(
            {
                "state": [e.describe_state() for e in self],
                "profile": [", ".join(e.profile) if e.profile else "" for e in self],
                "name": [e.name or "" for e in self],
                "eigenvalues": [e.describe_eigenvalues() for e in self],
                "stability": [str(e.stability) for e in self],
                "exact": [e.exact for e in self],
            }
        )

    def __str__(self) -> str:
        lines = [str(e) for e in self] + [str(c) for c in self.continua]
        if not self.complete:
            lines.append("(some faces were solved numerically: rest points there may be missing)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Equilibria({len(self)} rest points, {len(self.continua)} continua)"

    def _repr_markdown_(self) -> str:
        lines = ["| state | profile | name | eigenvalues | stability |", "|---|---|---|---|---|"]
        for e in self:
            lines.append(
                f"| {e.describe_state()} | {', '.join(e.profile) if e.profile else ''} | {e.name or ''} "
                f"| {e.describe_eigenvalues()} | {e.stability}{'' if e.exact else ' (numeric)'} |"
            )
        return "\n".join(lines + [f"\n{c}" for c in self.continua])


def _supports(shape):
    per_pop = [[tuple(c) for r in range(1, n + 1) for c in itertools.combinations(range(n), r)] for n in shape]
    return itertools.product(*per_pop)


def _face_names(game: Game, support) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(pop.strategies[i] for i in sup) for pop, sup in zip(game.populations, support))


def _exact_face(exact_tensors, shape, support):
    """Unknowns, share rows and equations ``u_p(i) - u_p(last) = 0`` of one face, in sympy."""
    unknowns, rows = [], []
    for p, (n, sup) in enumerate(zip(shape, support)):
        row = np.array([sympy.Integer(0)] * n, dtype=object)
        if len(sup) == 1:
            row[sup[0]] = sympy.Integer(1)
        else:
            syms = [sympy.Symbol(f"s{p}_{i}", real=True) for i in sup[:-1]]
            unknowns += syms
            for i, sym in zip(sup[:-1], syms):
                row[i] = sym
            row[sup[-1]] = 1 - sympy.Add(*syms)
        rows.append(row)
    equations = []
    for p, sup in enumerate(support):
        if len(sup) > 1:
            u = contract(exact_tensors[p], rows, keep=(p,))
            equations += [sympy.expand(u[i] - u[sup[-1]]) for i in sup[:-1]]
    return unknowns, rows, equations


def _positive(value) -> bool | None:
    """Whether an exact number is real and strictly positive (None: undecided)."""
    if value.is_real is False:
        return False
    if value.is_positive:
        return True
    if value.is_nonpositive:
        return False
    return None


def _solve_exactly(exact_tensors, shape, support, rng, tol):
    """Rest points of one face with sympy: (states, continua), or None if sympy cannot."""
    unknowns, rows, equations = _exact_face(exact_tensors, shape, support)
    if all(eq == 0 for eq in equations):
        solutions = [{}]
    else:
        solutions = sympy.solve(equations, unknowns, dict=True)
    states, continua = [], []
    for sol in solutions:
        free = [u for u in unknowns if u not in sol]
        state = [np.array([sympy.sympify(v).xreplace(sol) for v in row], dtype=object) for row in rows]
        if free:
            example = _continuum_example(state, free, support, rng, tol)
            if example is not None:
                eqs = tuple(sympy.factor(k - v) for k, v in sol.items())
                continua.append((tuple(unknowns), eqs, len(free), example))
            continue
        signs = [_positive(state[p][i]) for p, sup in enumerate(support) for i in sup]
        if False in signs:
            continue
        if None in signs:  # decide numerically at high precision
            vals = [complex(sympy.N(state[p][i], 50)) for p, sup in enumerate(support) for i in sup]
            if not all(abs(z.imag) < 1e-30 and z.real > 0 for z in vals):
                continue
        states.append(state)
    return states, continua


def _continuum_example(state, free, support, rng, tol):
    """A point of a solution set with free unknowns that lies inside the face, if one is found."""
    for _ in range(400):
        pick = {u: sympy.Float(rng.uniform(0, 1)) for u in free}
        try:
            vals = [np.array([complex(v.xreplace(pick)) for v in row]) for row in state]
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if all(np.all(np.abs(v.imag) < 1e-12) for v in vals):
            real = [v.real for v in vals]
            if all(real[p][i] > tol for p, sup in enumerate(support) for i in sup):
                return tuple(tuple(float(x) for x in v) for v in real)
    return None


def _batched_contract(tensor, rows, keep):
    """``contract`` for a batch: ``rows[q]`` has shape (M, n_q); result (M, *kept axes)."""
    m = rows[0].shape[0]
    t = np.broadcast_to(tensor, (m,) + tensor.shape)
    for q in reversed(range(len(rows))):
        if q not in keep:
            t = np.einsum("m...i,mi->m...", np.moveaxis(t, q + 1, -1), rows[q])
    return t


def _solve_numerically(tensors, shape, support, starts, rng):
    """Rest points of one face by damped Newton from ``starts`` points; (roots, singular roots)."""
    k = len(shape)
    mixing = [p for p in range(k) if len(support[p]) > 1]
    sizes = [len(support[p]) - 1 for p in mixing]
    m = sum(sizes)
    v = np.concatenate([rng.dirichlet(np.ones(len(support[p])), size=starts)[:, :-1] for p in mixing], axis=1)

    def state(v):
        rows, pos = [], 0
        for p in range(k):
            row = np.zeros((v.shape[0], shape[p]))
            sup = support[p]
            if len(sup) == 1:
                row[:, sup[0]] = 1.0
            else:
                w = v[:, pos : pos + len(sup) - 1]
                row[:, list(sup[:-1])] = w
                row[:, sup[-1]] = 1.0 - w.sum(axis=1)
                pos += len(sup) - 1
            rows.append(row)
        return rows

    def system(v):
        rows = state(v)
        f = np.empty((v.shape[0], m))
        jac = np.zeros((v.shape[0], m, m))
        r = 0
        for p in mixing:
            sp, lp = support[p][:-1], support[p][-1]
            for i in sp:
                c = 0
                for q in mixing:
                    if q != p:
                        U = _batched_contract(tensors[p], rows, keep=(p, q))
                        if q < p:
                            U = np.swapaxes(U, 1, 2)
                        D = U[:, i, :] - U[:, lp, :]  # d(u_p(i) - u_p(l)) / d sigma_q
                        sq, lq = support[q][:-1], support[q][-1]
                        jac[:, r, c : c + len(sq)] = D[:, list(sq)] - D[:, [lq]]
                    c += len(support[q]) - 1
                r += 1
            u = _batched_contract(tensors[p], rows, keep=(p,))
            f[:, r - len(sp) : r] = u[:, list(sp)] - u[:, [lp]]
        return f, jac

    with np.errstate(all="ignore"):
        for _ in range(50):
            f, jac = system(v)
            try:
                delta = np.linalg.solve(jac, f[..., None])[..., 0]
            except np.linalg.LinAlgError:
                delta = np.einsum("mij,mj->mi", np.linalg.pinv(jac), f)
            delta = np.where(np.isfinite(delta), delta, 0.0)
            v = v - np.clip(delta, -0.25, 0.25)
        f, jac = system(v)
    scale = max(1.0, max(float(np.max(np.abs(t))) for t in tensors))
    good = np.all(np.isfinite(v), axis=1) & (np.max(np.abs(f), axis=1) < 1e-10 * scale)
    roots, singular = [], []
    for r, J in zip(v[good], jac[good]):
        if any(np.max(np.abs(r - q)) < 1e-7 for q in roots + singular):
            continue
        sv = np.linalg.svd(J, compute_uv=False) if m else np.array([1.0])
        (singular if sv[-1] < 1e-9 * scale else roots).append(r)
    return [state(r[None, :]) for r in roots], [state(r[None, :]) for r in singular]


def equilibria(
    game: Game,
    *,
    tol: float = 1e-9,
    time_budget: float = 10.0,
    face_time: float = 1.0,
    max_exact_unknowns: int = 4,
    exact: bool = True,
    starts: int = 48,
    rng=0,
) -> Equilibria:
    """Every rest point of ``game``'s replicator dynamics, at its parameter values.

    Parameters
    ----------
    tol
        Real parts of eigenvalues with ``|Re| <= tol`` count as zero (numeric
        eigenvalues only; exact ones are decided exactly), and shares below
        ``tol`` count as zero.
    time_budget
        Seconds of exact solving in all; past it, remaining faces are solved numerically.
    face_time
        Seconds sympy may spend on one face before that face is solved numerically.
    max_exact_unknowns
        Faces with more unknown shares than this are solved numerically.
    exact
        ``False`` solves every face numerically.
    starts, rng
        Newton starting points per face for the numeric solver, and their seed.
    """
    tensors = game.numeric_payoffs()
    exact_tensors = game.exact_payoffs() if exact else None
    rng = np.random.default_rng(rng)
    deadline = time.monotonic() + time_budget
    found, continua = [], []
    complete = True
    for support in _supports(game.shape):
        unknowns = sum(len(s) - 1 for s in support)
        if unknowns == 0:
            rows = [
                np.array([sympy.Integer(int(i == s[0])) for i in range(n)], dtype=object)
                for n, s in zip(game.shape, support)
            ]
            found.append((rows, True))
            continue
        result = None
        remaining = deadline - time.monotonic()
        if exact and remaining > 0 and unknowns <= max_exact_unknowns:
            try:
                with _time_limit(min(face_time, remaining)) as limited:
                    if limited or unknowns <= 2:
                        result = _solve_exactly(exact_tensors, game.shape, support, rng, tol)
            except _Timeout:
                result = None
            except (NotImplementedError, sympy.polys.polyerrors.PolynomialError):
                result = None
        if result is not None:
            states, conts = result
            found += [(s, True) for s in states]
            for unknowns_, eqs, dim, example in conts:
                continua.append(Continuum(_face_names(game, support), unknowns_, eqs, dim, example))
            continue
        complete = False
        roots, singular = _solve_numerically(tensors, game.shape, support, starts, rng)
        for rows in roots:
            rows = [r[0] for r in rows]
            if all(rows[p][i] > tol for p, sup in enumerate(support) for i in sup):
                found.append((rows, False))
        for rows in singular:
            rows = [r[0] for r in rows]
            if all(rows[p][i] > tol for p, sup in enumerate(support) for i in sup):
                example = tuple(tuple(float(x) for x in r) for r in rows)
                continua.append(Continuum(_face_names(game, support), (), (), -1, example))
    results = [_linearise(game, tensors, exact_tensors, rows, is_exact, tol=tol) for rows, is_exact in found]
    return Equilibria(results, game, continua, complete)


def _exact_eigenvalues(J: sympy.Matrix):
    """Exact eigenvalues of J, or None when they cannot be written down quickly."""
    if J.shape[0] == 0:
        return ()
    if all(e.is_Rational for e in J):
        poly = J.charpoly()
        out = []
        for f, mult in sympy.factor_list(poly)[1]:
            if f.degree() > 2:
                return None
            out += list(sympy.roots(f, multiple=True)) * mult
        return tuple(out) if len(out) == J.shape[0] else None
    if J.shape[0] > 3:
        return None
    ev = J.eigenvals(multiple=True)
    return tuple(ev) if len(ev) == J.shape[0] else None


def _linearise(game, tensors, exact_tensors, rows, is_exact, *, tol) -> Equilibrium:
    numeric_rows = [np.array([float(sympy.re(sympy.N(v, 30))) if is_exact else float(v) for v in row]) for row in rows]
    J = np.asarray(tangent_jacobian(tensors, numeric_rows), dtype=float)
    eig = np.linalg.eigvals(J) if J.size else np.array([], dtype=complex)
    exact_eig, label = None, None
    if is_exact:
        try:
            with _time_limit(1.0) as limited:
                if limited or J.shape[0] <= 3:
                    Jx = sympy.Matrix(tangent_jacobian(exact_tensors, rows)).applyfunc(sympy.simplify)
                    exact_eig = _exact_eigenvalues(Jx)
        except (_Timeout, NotImplementedError, sympy.polys.polyerrors.PolynomialError):
            exact_eig = None
        if exact_eig is not None:
            eig = np.array([complex(sympy.N(e, 30)) for e in exact_eig], dtype=complex)
            label = classify_exact(exact_eig)
    if label is None:
        label = classify(eig, tol)
    support = tuple(
        tuple(pop.strategies[i] for i, v in enumerate(row) if v > tol)
        for pop, row in zip(game.populations, numeric_rows)
    )
    pure = all(len(s) == 1 for s in support)
    idx = tuple(pop.strategies.index(s[0]) for pop, s in zip(game.populations, support)) if pure else None
    if pure and np.array_equal(J, np.diag(np.diag(J))):
        # two-strategy populations at a pure profile: J is diagonal, keep population order
        diag = (
            [sympy.Matrix(tangent_jacobian(exact_tensors, rows))[i, i] for i in range(J.shape[0])] if is_exact else None
        )
        eig_out = tuple(complex(d) for d in np.diag(J))
        if diag is not None:
            exact_eig = tuple(diag)
    else:
        order = np.lexsort((np.imag(eig), np.real(eig))) if eig.size else []
        eig_out = tuple(complex(eig[i]) for i in order)
        if exact_eig is not None:
            by_value = sorted(exact_eig, key=lambda e: (float(sympy.re(sympy.N(e))), float(sympy.im(sympy.N(e)))))
            exact_eig = tuple(by_value)
    return Equilibrium(
        state=tuple(tuple(float(v) for v in row) for row in numeric_rows),
        profile=game.profile_names(idx) if pure else None,
        support=support,
        eigenvalues=eig_out,
        stability=label,
        exact=is_exact,
        name=game.state_name(idx) if pure else None,
        exact_state=tuple(tuple(row) for row in rows) if is_exact else None,
        exact_eigenvalues=exact_eig,
    )


def linearize(game: Game, state, *, tol: float = 1e-9, exact: bool = True) -> Equilibrium:
    """Linearise the dynamics at one rest point ``state`` (any accepted layout).

    With ``exact=True`` a state whose numbers are simple rationals (within
    1e-12) and that is exactly a rest point is treated exactly, so a pure
    profile or a rational rest point gets exact eigenvalues.  Raises
    :class:`~gamekit.StateError` if ``state`` is not a rest point.
    """
    from .errors import StateError

    space = StateSpace(game.shape, tuple(p.name for p in game.populations))
    rows = space.split(space.full(state)[0])
    tensors = game.numeric_payoffs()
    scale = max(1.0, max(float(np.max(np.abs(t))) for t in tensors))
    for p, u in enumerate(strategy_payoffs(tensors, rows)):
        active = rows[p] > tol
        if np.ptp(u[active]) > 1e-7 * scale:
            raise StateError(
                f"{[r.tolist() for r in rows]} is not a rest point: {game.populations[p].name}'s strategies "
                "in use earn different payoffs"
            )
    exact_tensors = game.exact_payoffs() if exact else None
    exact_rows = _exact_rest_point(exact_tensors, rows) if exact else None
    if exact_rows is not None:
        return _linearise(game, tensors, exact_tensors, exact_rows, True, tol=tol)
    return _linearise(game, tensors, exact_tensors, rows, False, tol=tol)


def _exact_rest_point(exact_tensors, rows):
    """The state as simple rationals, if that is within 1e-12 and exactly a rest point; else None."""
    from fractions import Fraction

    state = []
    for row in rows:
        fr = [Fraction(float(v)).limit_denominator(10**6) for v in row]
        if any(abs(float(f) - v) > 1e-12 for f, v in zip(fr, row)) or sum(fr) != 1:
            return None
        state.append(np.array([sympy.Rational(f.numerator, f.denominator) for f in fr], dtype=object))
    for p, u in enumerate(strategy_payoffs(exact_tensors, state)):
        active = [sympy.nsimplify(u[i]) for i, v in enumerate(state[p]) if v > 0]
        if any(a != active[0] for a in active):
            return None
    return state
