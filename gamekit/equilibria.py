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
* **Numeric**: otherwise, damped Newton from many starting points inside the
  face, vectorised over the starts; such rest points are marked
  ``exact=False`` and the search, unlike sympy's, is not guaranteed complete.
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

from .dynamics import expected_payoffs, replicator
from .game import Game
from .space import StateSpace
from .stability import Stability, classify, classify_exact

__all__ = ["Equilibrium", "Continuum", "Equilibria", "equilibria"]


class _Timeout(BaseException):
    """Raised by the alarm inside sympy; a BaseException so sympy does not swallow it."""


@contextlib.contextmanager
def _time_limit(seconds: float | None):
    """Interrupt the block after ``seconds`` (main thread on Unix); yields whether a limit is set."""
    usable = (
        seconds is not None
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
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
    per_pop = [
        [tuple(c) for r in range(1, n + 1) for c in itertools.combinations(range(n), r)] for n in shape
    ]
    return itertools.product(*per_pop)


class _Face:
    """The rest-point system on one face: unknowns, equations, share expressions."""

    def __init__(self, game: Game, support, values):
        self.support = support
        self.names = tuple(tuple(pop.strategies[i] for i in sup) for pop, sup in zip(game.populations, support))
        self.unknowns = []
        shares = []
        for p, (n, sup) in enumerate(zip(game.shape, support)):
            if len(sup) == 1:
                shares.append(tuple(sympy.Integer(1 if i == sup[0] else 0) for i in range(n)))
                continue
            syms = [sympy.Symbol(f"s{p}_{i}", real=True) for i in sup[:-1]]
            self.unknowns += syms
            row = [sympy.Integer(0)] * n
            for i, s in zip(sup[:-1], syms):
                row[i] = s
            row[sup[-1]] = 1 - sympy.Add(*syms)
            shares.append(tuple(row))
        self.shares = shares
        payoffs = expected_payoffs(game, shares)
        self.equations = []
        for p, sup in enumerate(support):
            for i in sup[:-1]:
                self.equations.append(sympy.expand((payoffs[p][i] - payoffs[p][sup[-1]]).xreplace(values)))

    def state(self, solution) -> tuple[tuple[sympy.Expr, ...], ...]:
        return tuple(tuple(s.xreplace(solution) for s in row) for row in self.shares)

    def positive_on_support(self, state_values: np.ndarray, tol: float) -> bool:
        return all(state_values[p][i] > tol for p, sup in enumerate(self.support) for i in sup)


def _is_real_positive_exact(value) -> bool | None:
    value = sympy.nsimplify(value) if not value.is_number else value
    if value.is_real is False:
        return False
    if value.is_positive:
        return True
    if value.is_nonpositive:
        return False
    return None


def _numeric_roots(face: _Face, tol: float, starts: int, rng) -> list[np.ndarray]:
    """Damped Newton from many starts inside the face, vectorised over starts."""
    m = len(face.unknowns)
    F = sympy.lambdify(face.unknowns, face.equations, "numpy")
    J = sympy.lambdify(face.unknowns, sympy.Matrix(face.equations).jacobian(face.unknowns).tolist(), "numpy")
    # starting shares: uniform on each mixing population's part of the face
    cols = []
    for sup in face.support:
        if len(sup) > 1:
            cols.append(rng.dirichlet(np.ones(len(sup)), size=starts)[:, :-1])
    v = np.concatenate(cols, axis=1)
    with np.errstate(all="ignore"):
        for _ in range(60):
            f = np.stack([np.broadcast_to(c, (starts,)) for c in F(*v.T)], axis=1)
            jac = np.empty((starts, m, m))
            jrows = J(*v.T)
            for a in range(m):
                for b in range(m):
                    jac[:, a, b] = np.broadcast_to(jrows[a][b], (starts,))
            try:
                step = np.linalg.solve(jac, f[..., None])[..., 0]
            except np.linalg.LinAlgError:
                step = np.stack([np.linalg.lstsq(jac[i], f[i], rcond=None)[0] for i in range(starts)])
            step = np.where(np.isfinite(step), step, 0.0)
            v = v - np.clip(step, -0.5, 0.5)
        f = np.stack([np.broadcast_to(c, (starts,)) for c in F(*v.T)], axis=1)
    good = np.all(np.isfinite(v), axis=1) & (np.max(np.abs(f), axis=1) < 1e-10)
    roots = []
    for r in v[good]:
        if not any(np.max(np.abs(r - q)) < 1e-7 for q in roots):
            roots.append(r)
    return roots


def equilibria(
    game: Game,
    *,
    tol: float = 1e-9,
    time_budget: float = 10.0,
    face_time: float = 1.0,
    exact: bool = True,
    starts: int = 64,
    rng=0,
) -> Equilibria:
    """Every rest point of ``game``'s replicator dynamics, at its parameter values.

    Parameters
    ----------
    tol
        Real parts of eigenvalues with ``|Re| <= tol`` count as zero (numeric
        eigenvalues only; exact ones are decided exactly).
    time_budget
        Seconds of exact solving in all; past it, remaining faces are solved numerically.
    face_time
        Seconds sympy may spend on one face before that face is solved numerically.
    exact
        ``False`` solves every face numerically.
    starts, rng
        Newton starting points per face for the numeric solver, and their seed.
    """
    values = game.values()
    dyn = replicator(game)
    space = StateSpace(game.shape, tuple(p.name for p in game.populations))
    jac = dyn.jacobian.xreplace(values)
    jac_f = sympy.lambdify(dyn.coordinates, jac, "numpy")
    rng = np.random.default_rng(rng)
    deadline = time.monotonic() + time_budget
    found, continua = [], []
    complete = True
    for support in _supports(game.shape):
        face = _Face(game, support, values)
        if not face.unknowns:
            found.append((face.shares, True))
            continue
        solutions, solved_exactly = None, False
        remaining = deadline - time.monotonic()
        if exact and remaining > 0:
            try:
                with _time_limit(min(face_time, remaining)) as limited:
                    if limited or len(face.unknowns) <= 3:
                        solutions = sympy.solve(face.equations, face.unknowns, dict=True)
                        solved_exactly = True
            except _Timeout:
                solutions = None
            except (NotImplementedError, ValueError, TypeError):
                solutions = None
        if solved_exactly:
            if all(eq == 0 for eq in face.equations):
                solutions = [{}]
            for sol in solutions:
                free = [u for u in face.unknowns if u not in sol]
                if free:
                    cont = _continuum(face, sol, free, rng, tol)
                    if cont is not None:
                        continua.append(cont)
                    continue
                state = face.state(sol)
                ok = [_is_real_positive_exact(state[p][i]) for p, sup in enumerate(support) for i in sup]
                if all(ok):
                    found.append((state, True))
                elif None in ok and False not in ok:
                    num = [[complex(sympy.N(s, 30)) for s in row] for row in state]
                    if all(abs(z.imag) < 1e-12 for row in num for z in row):
                        vals = [np.array([z.real for z in row]) for row in num]
                        if face.positive_on_support(vals, tol):
                            found.append((state, True))
            continue
        complete = False
        for root in _numeric_roots(face, tol, starts, rng):
            sol = dict(zip(face.unknowns, root))
            vals = [np.array([float(s.xreplace(sol)) for s in row]) for row in face.shares]
            if face.positive_on_support(vals, tol):
                found.append((tuple(tuple(float(v) for v in row) for row in vals), False))
    results = [_linearise(game, dyn, jac, jac_f, state, is_exact, support_tol=tol, tol=tol) for state, is_exact in found]
    return Equilibria(results, game, continua, complete)


def _continuum(face: _Face, sol, free, rng, tol) -> Continuum | None:
    """A positive-dimensional solution set; kept if it meets the open face."""
    for _ in range(400):
        pick = {u: sympy.Float(rng.uniform(0, 1)) for u in free}
        full = {**{k: v.xreplace(pick) for k, v in sol.items()}, **pick}
        try:
            vals = [np.array([complex(s.xreplace(full)) for s in row]) for row in face.shares]
        except (TypeError, ValueError):
            continue
        if all(np.all(np.abs(v.imag) < 1e-12) for v in vals):
            real = [v.real for v in vals]
            if face.positive_on_support(real, tol):
                eqs = tuple(sympy.factor(k - v) for k, v in sol.items()) if sol else ()
                return Continuum(
                    support=face.names,
                    symbols=tuple(face.unknowns),
                    equations=eqs,
                    dimension=len(free),
                    example=tuple(tuple(float(x) for x in v) for v in real),
                )
    return None


def _linearise(game, dyn, jac, jac_f, state, is_exact, *, support_tol, tol) -> Equilibrium:
    coords = [state[p][i] for p, n in enumerate(game.shape) for i in range(n - 1)]
    numeric_state = tuple(tuple(float(sympy.re(sympy.N(v, 30))) if is_exact else float(v) for v in row) for row in state)
    numeric_coords = [numeric_state[p][i] for p, n in enumerate(game.shape) for i in range(n - 1)]
    J = np.array(jac_f(*numeric_coords), dtype=float)
    eig = np.linalg.eigvals(J) if J.size else np.array([])
    exact_eig = None
    label = None
    if is_exact:
        try:
            with _time_limit(1.0) as limited:
                if limited or J.shape[0] <= 2:
                    Jx = jac.xreplace(dict(zip(dyn.coordinates, coords)))
                    ev = Jx.eigenvals(multiple=True)
                    if len(ev) == J.shape[0]:
                        exact_eig = tuple(sympy.nsimplify(e) if e.is_Float else e for e in ev)
                        label = classify_exact(exact_eig)
        except (_Timeout, NotImplementedError, sympy.polys.polyerrors.PolynomialError):
            exact_eig = None
        if exact_eig is not None:
            eig = np.array([complex(sympy.N(e, 30)) for e in exact_eig])
    if label is None:
        label = classify(eig, tol)
    order = np.lexsort((np.imag(eig), np.real(eig))) if eig.size else []
    support = tuple(
        tuple(pop.strategies[i] for i, v in enumerate(row) if v > support_tol)
        for pop, row in zip(game.populations, numeric_state)
    )
    pure = all(len(s) == 1 for s in support)
    idx = tuple(pop.strategies.index(s[0]) for pop, s in zip(game.populations, support)) if pure else None
    # at a pure profile of two-strategy populations J is diagonal: keep population order
    if pure and np.array_equal(J, np.diag(np.diag(J))):
        eig_out = tuple(complex(d) for d in np.diag(J))
    else:
        eig_out = tuple(complex(eig[i]) for i in order)
    return Equilibrium(
        state=numeric_state,
        profile=game.profile_names(idx) if pure else None,
        support=support,
        eigenvalues=eig_out,
        stability=label,
        exact=is_exact,
        name=game.state_name(idx) if pure else None,
        exact_state=tuple(tuple(row) for row in state) if is_exact else None,
        exact_eigenvalues=exact_eig,
    )
