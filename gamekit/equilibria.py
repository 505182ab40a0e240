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

* **Exact**: population ``p``'s own shares never enter its equations (``u_p``
  does not depend on ``sigma_p``), so on a face where at most two populations
  mix the system is *linear* and sympy's ``linsolve`` solves it exactly, with
  free parameters when the solutions form a continuum.  Other faces are
  polynomial; sympy solves the small ones (``max_exact_unknowns``) while the
  time budget lasts.  Solutions stay exact (rationals, radicals).
* **Numeric**: otherwise (too many unknowns, or past the time budget), damped
  Newton from many starting points inside the face, vectorised over the starts;
  such rest points are marked ``exact=False`` and the search, unlike sympy's,
  is not guaranteed complete (``Equilibria.complete`` says so).
* **Continua**: a system whose solution set has positive dimension (e.g. an
  edge on which a population is indifferent) is reported as a
  :class:`Continuum` with its defining equations, never sampled as points.

Each isolated rest point is linearised (:mod:`gamekit.stability`).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import numpy as np
import sympy

from .dynamics import contract, strategy_payoffs, tangent_jacobian
from .game import Game
from .space import StateSpace
from .stability import Stability, classify, classify_exact

__all__ = ["Equilibrium", "Continuum", "Equilibria", "equilibria", "linearize"]


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
    point of it inside the face (each population's mixed strategy).  Found by the
    numeric solver (a root where the system is singular), it has no equations and
    ``dimension`` is ``None``: rest points there are not isolated.
    """

    support: tuple[tuple[str, ...], ...]
    symbols: tuple[sympy.Symbol, ...]
    equations: tuple[sympy.Expr, ...]
    dimension: int | None
    example: tuple[tuple[float, ...], ...]

    def __str__(self) -> str:
        face = "; ".join("{" + ", ".join(s) + "}" for s in self.support)
        if self.dimension is None:
            point = "; ".join("(" + ", ".join(_fmt(x) for x in s) + ")" for s in self.example)
            return f"rest points that are not isolated (found numerically) on the face {face}, e.g. at {point}"
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
    """Unknowns, share rows and equations ``u_p(i) - u_p(last) = 0`` of one face, in sympy.

    The equations only involve the payoffs on the face, so the tensors are restricted to it first.
    """
    unknowns, rows, sub_rows = [], [], []
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
        sub_rows.append(row[list(sup)])
    equations = []
    for p, sup in enumerate(support):
        if len(sup) > 1:
            u = contract(exact_tensors[p][np.ix_(*support)], sub_rows, keep=(p,))
            equations += [sympy.expand(u[i] - u[-1]) for i in range(len(sup) - 1)]
    return unknowns, rows, equations


def _is_linear(equations, unknowns) -> bool:
    return all(sympy.Poly(eq, *unknowns).total_degree() <= 1 for eq in equations if eq != 0)


def _mixing(support) -> int:
    return sum(len(s) > 1 for s in support)


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
    elif _is_linear(equations, unknowns):
        # one or two mixing populations: each population's equations are linear in the others' shares
        solutions = [{u: v for u, v in zip(unknowns, sol) if v != u} for sol in sympy.linsolve(equations, unknowns)]
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
    cells = [(p, i) for p, sup in enumerate(support) for i in sup]
    f = sympy.lambdify(free, [state[p][i] for p, i in cells], "numpy")
    picks = rng.uniform(0, 1, size=(400, len(free)))
    with np.errstate(all="ignore"):
        vals = np.array([np.broadcast_to(np.asarray(v, dtype=complex), (400,)) for v in f(*picks.T)])  # (cells, 400)
    ok = np.all((np.abs(vals.imag) < 1e-12) & (vals.real > tol), axis=0)
    if not ok.any():
        return None
    j = int(np.argmax(ok))
    point = {u: float(x) for u, x in zip(free, picks[j])}
    return tuple(tuple(float(sympy.re(v.xreplace(point))) for v in row) for row in state)


_LETTERS = "abcdefghijklmnopqrstuvwxy"


def _batched_contract(tensor, rows, keep):
    """``contract`` for a batch: ``tensor`` (M, *axes) and ``rows[q]`` (M, n_q); result (M, *kept axes)."""
    k = len(rows)
    axes = _LETTERS[:k]
    operands, subs = [tensor], ["z" + axes]
    for q in range(k):
        if q not in keep:
            operands.append(rows[q])
            subs.append("z" + axes[q])
    out = "z" + "".join(axes[q] for q in keep)
    return np.einsum(",".join(subs) + "->" + out, *operands, optimize=False)


def _solve_numerically(tensors, shape, supports, starts, rng):
    """Rest points of faces that share their support sizes, by damped Newton, all faces and starts at once.

    Each face's tensors are restricted to its support and stacked, so one vectorised iteration
    serves every start of every face.  Returns, per face, (roots, singular roots) as full states.
    """
    k = len(shape)
    sizes = [len(s) for s in supports[0]]
    nf = len(supports)
    sub = [np.repeat(np.stack([t[np.ix_(*sup)] for sup in supports]), starts, axis=0) for t in tensors]
    mixing = [p for p in range(k) if sizes[p] > 1]
    pos, m = {}, 0
    for p in mixing:
        pos[p] = m
        m += sizes[p] - 1
    v = np.concatenate([rng.dirichlet(np.ones(sizes[p]), size=nf * starts)[:, :-1] for p in mixing], axis=1)

    def rows_of(v):
        rows = []
        for p in range(k):
            if p in pos:
                w = v[:, pos[p] : pos[p] + sizes[p] - 1]
                rows.append(np.concatenate([w, 1.0 - w.sum(axis=1, keepdims=True)], axis=1))
            else:
                rows.append(np.ones((v.shape[0], 1)))
        return rows

    def system(v, tens):
        rows = rows_of(v)
        f = np.empty((v.shape[0], m))
        jac = np.zeros((v.shape[0], m, m))
        for p in mixing:
            np_ = sizes[p] - 1
            u = _batched_contract(tens[p], rows, keep=(p,))
            f[:, pos[p] : pos[p] + np_] = u[:, :-1] - u[:, -1:]
            for q in mixing:
                if q == p:
                    continue
                U = _batched_contract(tens[p], rows, keep=tuple(sorted((p, q))))
                if q < p:
                    U = np.swapaxes(U, 1, 2)
                D = U[:, :-1, :] - U[:, -1:, :]  # d(u_p(i) - u_p(last)) / d sigma_q
                jac[:, pos[p] : pos[p] + np_, pos[q] : pos[q] + sizes[q] - 1] = D[:, :, :-1] - D[:, :, -1:]
        return f, jac

    scale = max(1.0, max(float(np.max(np.abs(t))) for t in tensors))
    active = np.ones(v.shape[0], dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(30):
            idx = np.nonzero(active)[0]
            if idx.size == 0:
                break
            f, jac = system(v[idx], [t[idx] for t in sub])
            res = np.max(np.abs(f), axis=1)
            # a start is done once it has converged, diverged, or wandered far outside the face
            done = (res < 1e-13 * scale) | ~np.isfinite(res) | (np.max(np.abs(v[idx] - 0.5), axis=1) > 50)
            active[idx[done]] = False
            go = ~done
            if not go.any():
                break
            try:
                delta = np.linalg.solve(jac[go], f[go][..., None])[..., 0]
            except np.linalg.LinAlgError:
                delta = np.einsum("mij,mj->mi", np.linalg.pinv(jac[go]), f[go])
            delta = np.where(np.isfinite(delta), delta, 0.0)
            v[idx[go]] = v[idx[go]] - np.clip(delta, -0.25, 0.25)
        f, jac = system(v, sub)
    good = np.all(np.isfinite(v), axis=1) & (np.max(np.abs(f), axis=1) < 1e-10 * scale)

    def full_state(r, sup):
        rows = rows_of(r[None, :])
        out = []
        for p, n in enumerate(shape):
            row = np.zeros(n)
            row[list(sup[p])] = rows[p][0]
            out.append(row)
        return out

    results = []
    for face, sup in enumerate(supports):
        roots, singular = [], []
        for j in range(face * starts, (face + 1) * starts):
            if not good[j]:
                continue
            r = v[j]
            if any(np.max(np.abs(r - q)) < 1e-7 for q in roots + singular):
                continue
            sv = np.linalg.svd(jac[j], compute_uv=False) if m else np.array([1.0])
            (singular if sv[-1] < 1e-9 * scale else roots).append(r)
        results.append(([full_state(r, sup) for r in roots], [full_state(r, sup) for r in singular]))
    return results


def equilibria(
    game: Game,
    *,
    tol: float = 1e-9,
    time_budget: float = 10.0,
    max_exact_unknowns: int = 3,
    exact: bool | str = "auto",
    max_exact_faces: int = 512,
    starts: int = 24,
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
        Seconds after which nonlinear faces are no longer given to sympy (checked between faces;
        sympy is never interrupted, which could leave its caches inconsistent).
    max_exact_unknowns
        Nonlinear faces with more unknown shares than this are solved numerically (linear faces,
        where at most two populations mix, are always solved exactly).
    exact
        ``True`` solves every face it can exactly; ``False`` every face numerically;
        ``"auto"`` (default) is ``True`` for games with at most ``max_exact_faces``
        faces (the platform model has 27) and ``False`` beyond, where exact solving
        costs far more than it returns.  Each rest point says whether it is exact.
    starts, rng
        Newton starting points per face for the numeric solver, and their seed.
    """
    tensors = game.numeric_payoffs()
    if exact == "auto":
        exact = int(np.prod([2**n - 1 for n in game.shape])) <= max_exact_faces
    elif not isinstance(exact, bool):
        from .errors import GamekitError

        raise GamekitError(f"exact must be True, False or 'auto', got {exact!r}")
    exact_tensors = game.exact_payoffs() if exact else None
    rng = np.random.default_rng(rng)
    deadline = time.monotonic() + time_budget
    found, continua = [], []
    numeric: dict[tuple[int, ...], list] = {}  # faces left to the numeric solver, by support sizes
    complete = True
    for support in _supports(game.shape):
        unknowns = sum(len(s) - 1 for s in support)
        if unknowns == 0:
            rows = [np.eye(n, dtype=int)[s[0]] for n, s in zip(game.shape, support)]
            if exact:
                rows = [np.array([sympy.Integer(int(v)) for v in r], dtype=object) for r in rows]
            found.append((rows, exact))
            continue
        result = None
        linear = _mixing(support) <= 2  # linear equations: exact and fast whatever their number
        small = unknowns <= max_exact_unknowns and time.monotonic() < deadline
        if exact and (linear or small):
            try:
                result = _solve_exactly(exact_tensors, game.shape, support, rng, tol)
            except (NotImplementedError, sympy.polys.polyerrors.PolynomialError):
                result = None
        if result is not None:
            states, conts = result
            found += [(s, True) for s in states]
            for unknowns_, eqs, dim, example in conts:
                continua.append(Continuum(_face_names(game, support), unknowns_, eqs, dim, example))
            continue
        complete = False
        numeric.setdefault(tuple(len(x) for x in support), []).append(support)
    for supports in numeric.values():
        for support, (roots, singular) in zip(supports, _solve_numerically(tensors, game.shape, supports, starts, rng)):
            for rows in roots:
                if all(rows[p][i] > tol for p, sup in enumerate(support) for i in sup):
                    found.append((rows, False))
            inside = [r for r in singular if all(r[p][i] > tol for p, sup in enumerate(support) for i in sup)]
            if inside:  # singular roots: a set of rest points of unknown dimension on this face
                example = tuple(tuple(float(x) for x in r) for r in inside[0])
                continua.append(Continuum(_face_names(game, support), (), (), None, example))
    results = [_linearise(game, tensors, exact_tensors, rows, is_exact, tol=tol) for rows, is_exact in found]
    return Equilibria(results, game, continua, complete)


def _fractions(array):
    """An object array of exact rationals as Python Fractions (fast exact arithmetic), or None."""
    from fractions import Fraction

    flat = list(np.asarray(array, dtype=object).ravel())
    if not all(isinstance(v, sympy.Rational) for v in flat):
        return None
    out = np.array([Fraction(int(v.p), int(v.q)) for v in flat], dtype=object)
    return out.reshape(np.shape(array))


def _exact_jacobian(exact_tensors, rows) -> sympy.Matrix:
    """The tangent Jacobian exactly: with Fractions when everything is rational, else with sympy numbers."""
    frac_rows = [_fractions(r) for r in rows]
    frac_tensors = [_fractions(t) for t in exact_tensors]
    if all(r is not None for r in frac_rows) and all(t is not None for t in frac_tensors):
        J = tangent_jacobian(frac_tensors, frac_rows)
        return sympy.Matrix(J.shape[0], J.shape[1], [sympy.Rational(x.numerator, x.denominator) for x in J.ravel()])
    return sympy.Matrix(tangent_jacobian(exact_tensors, rows))


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
    ev = J.eigenvals(multiple=True)
    return tuple(ev) if len(ev) == J.shape[0] else None


def _linearise(game, tensors, exact_tensors, rows, is_exact, *, tol) -> Equilibrium:
    numeric_rows = [np.array([float(sympy.re(sympy.N(v, 30))) if is_exact else float(v) for v in row]) for row in rows]
    J = np.asarray(tangent_jacobian(tensors, numeric_rows), dtype=float)
    eig = np.linalg.eigvals(J) if J.size else np.array([], dtype=complex)
    exact_eig, label = None, None
    if is_exact:
        Jx = _exact_jacobian(exact_tensors, rows)
        rational = all(e.is_Rational for e in Jx)
        if rational or J.shape[0] <= 2:
            try:
                exact_eig = _exact_eigenvalues(Jx if rational else Jx.applyfunc(sympy.nsimplify))
            except (NotImplementedError, sympy.polys.polyerrors.PolynomialError):
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
        eig_out = tuple(complex(d) for d in np.diag(J))
        if is_exact:
            exact_eig = tuple(Jx[i, i] for i in range(J.shape[0]))
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
