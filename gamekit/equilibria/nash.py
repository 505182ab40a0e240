r"""Rest points of the Smith and the Brown-von Neumann-Nash (BNN) dynamics: the Nash equilibria.

Both fields (:mod:`gamekit.protocols`) are *Nash stationary*: ``xdot = 0`` exactly when, in every population,
no strategy earns more than the strategies in use (Hofbauer & Sandholm 2009; Sandholm 2010, ch. 5).  Every
Nash equilibrium is a rest point of the replicator (its support strategies earn the same), so the rest points
are found as the replicator rest points of :func:`gamekit.equilibria` that pass the Nash test::

    max_{j not in S_p} u_p(j)  <=  u_p(i),   i in S_p,  every population p,

decided *exactly* (sympy, at the exact state) where the replicator point is exact, else within ``zero_tol``
times the payoff scale.  Completeness is that of the replicator search (``complete``).  A continuum of
replicator rest points is kept when its example point, or (for a continuum that is a whole face) one of
``CONTINUUM_SAMPLES`` seeded random points of it, is Nash: its Nash points are rest points here.  A curved
continuum that is not Nash at its example point may still hold Nash points: the notes say so and
``complete`` is False.

**Stability** (never a label the mathematics does not give):

* *strict* pure Nash equilibrium ``e_s``: in a neighbourhood the equilibrium strategy earns strictly most,
  so every ``[.]_+`` that involves ``s`` is smooth there and the others are multiplied by a share that
  vanishes at ``e_s``; the field is differentiable at ``e_s``.  *Smith*: in the coordinates of the unused
  strategies ``i != s`` the Jacobian of population ``p`` is ``J[i, j] = [u_i - u_j]_+`` (``j != i``),
  ``J[i, i] = -sum_j [u_j - u_i]_+``, and zero across populations: a Metzler matrix whose column sums are
  ``-(u_s - u_j) < 0``, so it is labelled from its eigenvalues (always asymptotically stable).  *BNN*: the
  excess payoff ``[u_s - ubar_p]_+ = sum_j x_j (u_s - u_j)`` vanishes to first order, so the Jacobian is
  zero; but each unused share has ``xdot_i = -x_i sum_j [u_j - ubar_p]_+ < 0`` nearby, so ``sum_{i != s} x_i``
  is a strict Lyapunov function and the point is asymptotically stable (eigenvalues reported 0; the note
  says why).
* any other Nash equilibrium: a payoff ties another (Smith) or the average (BNN), the field is not
  differentiable, so the label is ``not linearised``.  If the game is a *stable game* -- the payoff
  Jacobian ``Du`` negative semidefinite on the tangent space ``z_p . 1 = 0``, decided here exactly where
  ``Du`` is constant (one-population matrix games, two-population games, any game whose payoffs are affine
  in the state) and in every multilinear game (no population's payoffs depend on its own shares, so the
  tangent form ``z' Du(x) z`` has zero diagonal blocks and is negative semidefinite iff it vanishes
  identically: a polynomial identity; with three or more populations it rarely holds) -- the note says that the set of Nash equilibria is globally asymptotically stable under
  both dynamics (Hofbauer & Sandholm 2009); otherwise that linearisation decides nothing and simulation
  (``gk.simulate(..., dynamics=...)``) shows what orbits do.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import sympy

from ..dynamics import GeneralField, general_field
from ..game import Game
from ..protocols import Dynamics
from ..stability import Equilibrium, Stability, classify, is_strict_nash
from .result import Equilibria

CONTINUUM_SAMPLES = 64  # a continuum that is a whole face is tested for Nash points at this many random points
CONTINUUM_SEED = 0
STABLE_GAME_TOL = 1e-12  # floating-point Du: an eigenvalue of the tangent form above this times its scale is positive


def _exact_gain(fld: GeneralField, e: Equilibrium):
    """Exact ``max_{j not in S_p} u_p(j) - u_p(S_p)`` per population at an exact rest point, or None."""
    if e.exact_state is None or not fld.exact:
        return None
    subs = {s: v for row_s, row_v in zip(fld.sigma, e.exact_state) for s, v in zip(row_s, row_v)}
    out = []
    for p, row in enumerate(fld.u):
        used = _used(fld, e, p)
        unused = [i for i in range(len(row)) if i not in used]
        if not unused:
            continue
        try:
            vals = [
                sympy.nsimplify(x) if x.has(sympy.Float) else x
                for x in (row[i].xreplace(subs) for i in range(len(row)))
            ]
        except (TypeError, ValueError):
            return None
        here = vals[used[0]]
        out += [sympy.simplify(vals[j] - here) for j in unused]
    return out


def _used(fld: GeneralField, e: Equilibrium, p: int) -> list[int]:
    """Indices of population ``p``'s strategies in ``e``'s support."""
    names = fld.game.populations[p].strategies
    return [i for i, name in enumerate(names) if name in e.support[p]]


def _sign(v) -> int | None:
    if v.is_zero:
        return 0
    if v.is_positive:
        return 1
    if v.is_negative:
        return -1
    return None


def is_nash_point(fld: GeneralField, e: Equilibrium, zero_tol: float) -> bool:
    """Whether the rest point ``e`` is a Nash equilibrium (exactly where ``e`` is exact; module docstring)."""
    gains = _exact_gain(fld, e)
    if gains is not None:
        signs = [_sign(g) for g in gains]
        if all(s is not None for s in signs):
            return all(s <= 0 for s in signs)
    x = np.concatenate([np.asarray(r, dtype=float) for r in e.state])
    u = fld.payoffs(x[None, :])[0]
    off = np.concatenate([[0], np.cumsum(fld.shape)]).astype(int)
    for p, row in enumerate(e.state):
        up = u[off[p] : off[p + 1]]
        used = np.zeros(len(row), dtype=bool)
        used[_used(fld, e, p)] = True
        if np.all(used):
            continue
        best = float(np.max(up[used]))
        if np.max(up[~used]) > best + zero_tol * fld.scale:
            return False
    return True


def stable_game(game: Game) -> tuple[bool | None, str]:
    """Whether ``game`` is a stable game (``Du`` negative semidefinite on the tangent space), and how it was decided.

    ``None`` when ``Du`` depends on the state (not checked: the condition must hold at every state).
    """
    fld = general_field(game)
    du = fld.du
    D = len(du)
    off = np.concatenate([[0], np.cumsum(fld.shape)]).astype(int)
    if any(sympy.sympify(v).free_symbols for row in du for v in row):
        pop = [p for p, n in enumerate(fld.shape) for _ in range(n)]
        own = [sympy.sympify(du[a][b]) for a in range(D) for b in range(D) if pop[a] == pop[b]]
        if not all(v.is_zero for v in own):
            return None, "the payoff Jacobian depends on the state, so whether this is a stable game was not checked"
        # no population's payoffs depend on its own shares (a multilinear game): the tangent form has zero
        # diagonal blocks, so it is negative semidefinite iff it vanishes identically (else flip one z_p)
        T = _tangent_basis(fld.shape, off)
        M = sympy.Matrix(D, D, lambda a, b: du[a][b])
        S = (T.T * (M + M.T) * T).applyfunc(sympy.expand)
        if all(v.is_zero for v in S):
            return True, "the symmetrised payoff Jacobian vanishes on the tangent space"
        return False, (
            "no population's payoffs depend on its own shares and the symmetrised payoff Jacobian is not zero on "
            "the tangent space, so it is indefinite"
        )
    if sum(n - 1 for n in fld.shape) == 0:
        return True, "every population has one strategy"
    T = _tangent_basis(fld.shape, off)
    M = sympy.Matrix(D, D, lambda a, b: sympy.nsimplify(du[a][b]) if fld.exact else sympy.Float(du[a][b]))
    S = T.T * (M + M.T) * T
    if fld.exact and all(v.is_Rational for v in S):
        ok = bool(S.is_negative_semidefinite)
    else:
        s = np.array(S.evalf(), dtype=float)
        ev = np.linalg.eigvalsh((s + s.T) / 2)
        ok = bool(np.max(ev) <= STABLE_GAME_TOL * max(1.0, float(np.max(np.abs(ev)))))
    how = "the payoff Jacobian is constant and " + ("" if ok else "not ") + "negative semidefinite on the tangent space"
    return ok, how


def _spread(values, idx, n: int) -> np.ndarray:
    """``values`` placed at the indices ``idx`` of a zero vector of length ``n``."""
    out = np.zeros(n)
    out[idx] = values
    return out


def _tangent_basis(shape, off) -> sympy.Matrix:
    """Columns ``e_{p, i} - e_{p, last}``: a basis of the tangent space of the simplex product."""
    D = int(off[-1])
    cols = []
    for p, n in enumerate(shape):
        for i in range(n - 1):
            c = [0] * D
            c[off[p] + i], c[off[p] + n - 1] = 1, -1
            cols.append(c)
    return sympy.Matrix(cols).T if cols else sympy.zeros(D, 0)


def _smith_eigenvalues(fld: GeneralField, idx) -> np.ndarray:
    """Eigenvalues of the Smith field's Jacobian at the strict equilibrium ``e_idx`` (module docstring)."""
    x = np.concatenate([np.eye(n)[s] for n, s in zip(fld.shape, idx)])
    u = fld.payoffs(x[None, :])[0]
    off = np.concatenate([[0], np.cumsum(fld.shape)]).astype(int)
    out = []
    for p, (n, s) in enumerate(zip(fld.shape, idx)):
        up = u[off[p] : off[p + 1]]
        others = [i for i in range(n) if i != s]
        J = np.zeros((len(others), len(others)))
        for r, i in enumerate(others):
            for c, j in enumerate(others):
                J[r, c] = max(up[i] - up[j], 0.0) if i != j else -sum(max(up[k] - up[i], 0.0) for k in range(n))
        out += list(np.linalg.eigvals(J)) if J.size else []
    return np.array(out, dtype=complex)


def rest_points(game: Game, dyn: Dynamics, replicator: Equilibria, *, zero_tol: float) -> Equilibria:
    """The Nash equilibria among ``replicator``'s rest points, labelled for ``dyn`` (Smith or BNN)."""
    fld = general_field(game)
    stable, how = stable_game(game)
    if stable:
        general = (
            f"not differentiable here (a payoff tie); this is a stable game ({how}): the set of Nash equilibria is "
            "globally asymptotically stable under Smith and BNN (Hofbauer & Sandholm 2009)"
        )
    else:
        why = f"this is not a stable game ({how})" if stable is False else how
        general = (
            f"not differentiable here (a payoff tie), so linearisation decides nothing; {why}: simulate "
            f"(gk.simulate(..., dynamics='{dyn}')) to see what orbits do"
        )
    points = []
    lyapunov = False
    for e in replicator.points:
        if not is_nash_point(fld, e, zero_tol):
            continue
        d = len(e.eigenvalues)
        if e.stability is Stability.NOT_LINEARISED:  # a payoff switches here: not differentiable for any dynamics
            points.append(dataclasses.replace(e, exact_eigenvalues=None))
            continue
        if e.profile is not None and is_strict_nash(game, game.profile_index(e.profile)):
            idx = game.profile_index(e.profile)
            if dyn.kind == "smith":
                eig = _smith_eigenvalues(fld, idx)
                order = sorted(range(len(eig)), key=lambda i: (round(eig[i].real, 12), round(eig[i].imag, 12)))
                label = classify(eig, zero_tol, scale=fld.scale)
                points.append(
                    dataclasses.replace(
                        e,
                        eigenvalues=tuple(complex(eig[i]) for i in order),
                        stability=label,
                        exact_eigenvalues=None,
                        note=None,
                    )
                )
            else:
                lyapunov = True
                points.append(
                    dataclasses.replace(
                        e,
                        eigenvalues=(0j,) * d,
                        stability=Stability.ASYMPTOTICALLY_STABLE,
                        exact_eigenvalues=(sympy.Integer(0),) * d,
                        note="strict equilibrium: the BNN Jacobian vanishes, and the unused shares' sum is a strict "
                        "Lyapunov function",
                    )
                )
            continue
        points.append(
            dataclasses.replace(
                e, eigenvalues=(), stability=Stability.NOT_LINEARISED, exact_eigenvalues=None, note=general
            )
        )
    continua, undecided = [], 0
    rng = np.random.default_rng(CONTINUUM_SEED)
    for c in replicator.continua:
        probes = [c.example]
        if not c.equations and c.dimension is not None:  # every point of the face: sample it too
            names = [game.populations[p].strategies for p in range(len(game.shape))]
            for _ in range(CONTINUUM_SAMPLES):
                probes.append(
                    tuple(
                        tuple(
                            float(v)
                            for v in _spread(rng.dirichlet(np.ones(len(sup))), [names[p].index(n) for n in sup], n_p)
                        )
                        for p, (sup, n_p) in enumerate(zip(c.support, game.shape))
                    )
                )
        nash = [
            is_nash_point(fld, Equilibrium(x, None, c.support, (), Stability.NOT_LINEARISED, False), zero_tol)
            for x in probes
        ]
        if any(nash):
            continua.append(c)
        elif c.equations or c.dimension is None:
            undecided += 1  # a curved or numeric continuum, not Nash at its example point: not decided
    notes = [
        f"dynamics {dyn}: the rest points are the Nash equilibria (Smith and BNN are Nash stationary), "
        "taken from the replicator's rest points by the Nash test"
    ]
    if lyapunov:
        notes.append(
            "bnn: at a strict equilibrium the Jacobian vanishes (eigenvalues 0), yet the point is asymptotically "
            "stable: every unused share decreases nearby (Lyapunov function: their sum)"
        )
    if continua:
        notes.append(
            "a continuum of replicator rest points is listed when some of its points are Nash (its example, or "
            "random points of a continuum that is a whole face); its Nash points are rest points of this dynamics, "
            "its other points are not"
        )
    if undecided:
        notes.append(
            f"{undecided} continua of replicator rest points are not Nash at their example points; other points of "
            "them may be Nash equilibria (rest points of this dynamics), which are not listed"
        )
    notes += list(replicator.notes)
    return Equilibria(
        points=tuple(points),
        continua=tuple(continua),
        complete=replicator.complete and not undecided,
        numeric_faces=replicator.numeric_faces,
        uncertain=replicator.uncertain,
        notes=tuple(notes),
        game=game,
    )
