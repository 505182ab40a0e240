"""Revision protocols (issue #10): the contract of gamekit.protocols, rest points and stability per dynamics.

Every reference is computed here independently: the fields by explicit loops over strategies (not the vectorised
code), Nash equilibria by nashpy's support enumeration or a brute-force check of the Nash conditions, logit
QRE by a one-dimensional root count or a Lipschitz exclusion search over the cube.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gamekit as gk
from gamekit.errors import ArgumentError
from gamekit.protocols import REPLICATOR, Dynamics, parse_dynamics, velocity, velocity_jacobian

# -- the contract: Dynamics, parse_dynamics ------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec, kind, eta, mu",
    [
        ("replicator", "replicator", None, None),
        ("logit:0.5", "logit", 0.5, None),
        ("logit:1/4", "logit", 0.25, None),
        ("Logit: 2", "logit", 2.0, None),
        ("smith", "smith", None, None),
        ("bnn", "bnn", None, None),
        ("replicator-mutator:0.01", "replicator-mutator", None, 0.01),
        ("replicator_mutator:0", "replicator-mutator", None, 0.0),
        ("replicator-mutator:1", "replicator-mutator", None, 1.0),
    ],
)
def test_parse_dynamics_reads_every_spelling(spec, kind, eta, mu):
    d = parse_dynamics(spec)
    assert (d.kind, d.eta, d.mu) == (kind, eta, mu)
    assert parse_dynamics(str(d)) == d  # str gives the spec back
    assert d.smooth == (kind in ("replicator", "logit", "replicator-mutator"))
    assert d.interior == (kind == "logit" or (kind == "replicator-mutator" and mu > 0))


def test_parse_dynamics_defaults_and_passes_through():
    assert parse_dynamics(None) is REPLICATOR
    assert REPLICATOR == Dynamics("replicator")
    d = Dynamics("logit", eta=0.5)
    assert parse_dynamics(d) is d
    assert str(d) == "logit:0.5"
    assert str(Dynamics("logit", eta=2)) == "logit:2"
    assert str(Dynamics("replicator-mutator", mu=0.01)) == "replicator-mutator:0.01"


@pytest.mark.parametrize(
    "spec, words",
    [
        ("fictitious-play", "unknown dynamics"),
        ("logit", "needs its parameter eta"),
        ("logit:", "needs its parameter eta"),
        ("logit:0", "eta must be a finite number > 0"),
        ("logit:-1", "eta must be a finite number > 0"),
        ("logit:inf", "eta must be a finite number > 0"),
        ("logit:nan", "eta must be a finite number > 0"),
        ("logit:abc", "eta must be a number"),
        ("replicator-mutator", "needs its parameter mu"),
        ("replicator-mutator:1.5", "mu must be in [0, 1]"),
        ("replicator-mutator:-0.1", "mu must be in [0, 1]"),
        ("smith:1", "takes no parameter"),
        ("replicator:0.1", "takes no parameter"),
        (3, "must be a name"),
    ],
)
def test_parse_dynamics_refuses_bad_specs_in_one_line(spec, words):
    with pytest.raises(ArgumentError) as err:
        parse_dynamics(spec)
    assert words in str(err.value)
    assert "\n" not in str(err.value)


def test_dynamics_refuses_missing_and_extra_parameters():
    with pytest.raises(ArgumentError, match="needs its noise eta"):
        Dynamics("logit")
    with pytest.raises(ArgumentError, match="takes no eta"):
        Dynamics("smith", eta=1.0)
    with pytest.raises(ArgumentError, match="takes no mu"):
        Dynamics("logit", eta=1.0, mu=0.1)
    with pytest.raises(ArgumentError, match="unknown dynamics"):
        Dynamics("imitation")


# -- the contract: velocity ---------------------------------------------------------------------------------


def _loop_velocity(kind, x, u, shape, eta=None, mu=None):
    """The fields written strategy by strategy, straight from the formulas (one state)."""
    out = []
    a = 0
    for n in shape:
        xs, us = list(x[a : a + n]), list(u[a : a + n])
        ubar = sum(xs[j] * us[j] for j in range(n))
        for i in range(n):
            if kind == "replicator":
                v = xs[i] * (us[i] - ubar)
            elif kind == "logit":
                m = max(us)
                den = sum(math.exp((us[j] - m) / eta) for j in range(n))
                v = math.exp((us[i] - m) / eta) / den - xs[i]
            elif kind == "smith":
                v = sum(xs[j] * max(us[i] - us[j], 0.0) for j in range(n)) - xs[i] * sum(
                    max(us[j] - us[i], 0.0) for j in range(n)
                )
            elif kind == "bnn":
                v = max(us[i] - ubar, 0.0) - xs[i] * sum(max(us[j] - ubar, 0.0) for j in range(n))
            else:
                v = (1 - mu) * xs[i] * (us[i] - ubar) + mu * (1.0 / n - xs[i])
            out.append(v)
        a += n
    return np.array(out)


DYNAMICS = [
    Dynamics("replicator"),
    Dynamics("logit", eta=0.7),
    Dynamics("smith"),
    Dynamics("bnn"),
    Dynamics("replicator-mutator", mu=0.2),
]


@st.composite
def states_and_payoffs(draw):
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    rows = 1 + draw(st.integers(0, 3))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.dirichlet(np.ones(n), rows) for n in shape], axis=1)
    u = rng.normal(0, 3, size=x.shape)
    return shape, x, u


@settings(max_examples=60, deadline=None)
@given(states_and_payoffs())
def test_velocity_matches_the_formulas_written_strategy_by_strategy(case):
    shape, x, u = case
    off = np.concatenate([[0], np.cumsum(shape)])
    for d in DYNAMICS:
        v = velocity(d, x, u, off)
        ref = np.array([_loop_velocity(d.kind, x[m], u[m], shape, d.eta, d.mu) for m in range(len(x))])
        np.testing.assert_allclose(v, ref, rtol=1e-12, atol=1e-12)
        for a, b in zip(off, off[1:]):  # each simplex's affine hull is invariant
            np.testing.assert_allclose(v[:, a:b].sum(axis=1), 0.0, atol=1e-12)
        np.testing.assert_allclose(velocity(d, x[0], u[0], off), v[0])  # a single state


@settings(max_examples=40, deadline=None)
@given(states_and_payoffs(), st.floats(-50, 50))
def test_velocity_depends_only_on_payoff_differences(case, c):
    shape, x, u = case
    off = np.concatenate([[0], np.cumsum(shape)])
    shift = np.concatenate([np.full(n, c * (p + 1)) for p, n in enumerate(shape)])
    for d in DYNAMICS:
        np.testing.assert_allclose(velocity(d, x, u + shift, off), velocity(d, x, u, off), atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(states_and_payoffs(), st.floats(0.5, 2.0))
def test_off_the_simplex_every_velocity_still_sums_to_zero(case, scale):
    """Off the simplex (a Runge-Kutta stage's shares, which sum to one only up to rounding) every protocol reads the
    normalised shares where its formula has them as weights, so each population's sum is conserved (eigenvalue 0
    across the simplex, not logit's -1, which capped explicit steps); on the simplex nothing changes: the field at
    ``scale x`` is the field at ``x`` except for the replicator-type terms ``x_i (u_i - ubar)``, which scale."""
    shape, x, u = case
    off = np.concatenate([[0], np.cumsum(shape)])
    y = x * scale
    for d in DYNAMICS:
        v = velocity(d, y, u, off)
        for a, b in zip(off, off[1:]):
            np.testing.assert_allclose(v[:, a:b].sum(axis=1), 0.0, atol=1e-12 * (1 + np.abs(u).max()))
        if d.kind == "logit":  # homogeneous of degree 0 in each population's shares
            np.testing.assert_allclose(v, velocity(d, x, u, off), rtol=1e-12, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(states_and_payoffs())
def test_interior_dynamics_push_every_unused_share_up(case):
    """``Dynamics.interior`` (every rest point interior, so none takes a pure profile's label) holds exactly where
    the field pushes every zero share strictly up, whatever the payoffs: logit and the mutator with MU > 0; the
    replicator leaves it at zero."""
    shape, x, u = case
    off = np.concatenate([[0], np.cumsum(shape)])
    for a, b in zip(off, off[1:]):  # one share of each population set to zero (the rest renormalised)
        if b - a > 1:
            x[:, a] = 0.0
            x[:, a:b] /= x[:, a:b].sum(axis=1, keepdims=True)
    zero = x == 0.0
    for d in DYNAMICS:
        v = velocity(d, x, u, off)
        if d.interior:
            assert np.all(v[zero] > 0)
        elif d.kind == "replicator":
            assert np.all(v[zero] == 0)


def test_velocity_keeps_the_simplex_on_its_boundary():
    # at x_i = 0 no dynamics pushes the share negative, whatever the payoffs' sign
    x = np.array([[0.0, 0.3, 0.7], [0.0, 0.0, 1.0]])
    u = np.array([[-5.0, -1.0, -2.0], [-9.0, 4.0, -3.0]])
    for d in DYNAMICS:
        assert np.all(velocity(d, x, u, [0, 3])[x == 0] >= 0)


def test_logit_velocity_does_not_overflow():
    x = np.array([[0.5, 0.5]])
    u = np.array([[1e6, 0.0]])
    v = velocity(Dynamics("logit", eta=1e-3), x, u, [0, 2])
    np.testing.assert_allclose(v, [[0.5, -0.5]])


def test_smith_and_bnn_vanish_exactly_at_a_nash_equilibrium_and_nowhere_else_on_a_line():
    # one population, payoffs tied on the support {0, 1}, strategy 2 worse: a Nash state
    x = np.array([[0.3, 0.7, 0.0]])
    u = np.array([[1.0, 1.0, 0.5]])
    for kind in ("smith", "bnn"):
        assert np.all(velocity(Dynamics(kind), x, u, [0, 3]) == 0)
        # strategy 2 better: not Nash, so not a rest point
        assert np.any(velocity(Dynamics(kind), x, np.array([[1.0, 1.0, 1.5]]), [0, 3]) != 0)


def test_velocity_refuses_mismatched_input():
    with pytest.raises(ArgumentError, match="same shape"):
        velocity(REPLICATOR, np.ones((2, 3)), np.ones((2, 2)), [0, 3])
    with pytest.raises(ArgumentError, match="off must run"):
        velocity(REPLICATOR, np.ones((2, 3)), np.ones((2, 3)), [0, 2])


# -- helpers shared by the rest-point tests -----------------------------------------------------------------


def _bimatrix(A, B) -> gk.Game:
    n, m = A.shape
    rows, cols = [f"r{i}" for i in range(n)], [f"c{j}" for j in range(m)]
    table = {f"{rows[i]}, {cols[j]}": [int(A[i, j]), int(B[i, j])] for i in range(n) for j in range(m)}
    return gk.Game({"row": rows, "column": cols}, table, name="bimatrix")


def _symmetric(A) -> gk.Game:
    names = [f"s{i}" for i in range(A.shape[0])]
    table = {f"{a}, {b}": [int(A[i, j])] for i, a in enumerate(names) for j, b in enumerate(names)}
    return gk.Game({"players": names}, table, name="symmetric")


def _payoffs_from_tables(game: gk.Game, x: np.ndarray) -> np.ndarray:
    """u (D,) at full shares x by contracting the payoff tables (populations games) or A x (symmetric)."""
    tabs = game.numeric_payoffs()
    off = np.concatenate([[0], np.cumsum(game.shape)])
    rows = [x[off[p] : off[p + 1]] for p in range(len(game.shape))]
    if game.kind == "symmetric":
        return tabs[0] @ rows[0]
    out = []
    for p, T in enumerate(tabs):
        t = T
        for q in reversed(range(len(rows))):
            if q != p:
                t = np.tensordot(t, rows[q], axes=([q], [0]))
        out.append(t)
    return np.concatenate(out)


def _flat(e) -> np.ndarray:
    return np.concatenate([np.asarray(s, dtype=float) for s in e.state])


def _same_sets(a, b, tol):
    a, b = [np.asarray(v) for v in a], [np.asarray(v) for v in b]
    assert len(a) == len(b), (a, b)
    for v in a:
        assert min(np.max(np.abs(v - w)) for w in b) <= tol, (v, b)


def _trap():
    return gk.load("platform-insurance").scenario("trap")


# -- Smith and BNN: the rest points are the Nash equilibria ---------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_smith_and_bnn_rest_points_are_nashpys_equilibria_of_random_bimatrix_games(seed):
    nashpy = pytest.importorskip("nashpy")
    rng = np.random.default_rng(seed)
    n, m = rng.integers(2, 4, size=2)
    A, B = rng.integers(-999, 1000, size=(n, m)), rng.integers(-999, 1000, size=(n, m))
    game = _bimatrix(A, B)
    rep = gk.equilibria(game)
    if rep.continua:  # a degenerate game: nashpy's support enumeration is not complete there
        pytest.skip("degenerate game")
    ref = [np.concatenate(eq) for eq in nashpy.Game(A, B).support_enumeration(tol=1e-9)]
    for kind in ("smith", "bnn"):
        got = gk.equilibria(game, dynamics=kind)
        _same_sets([_flat(e) for e in got], ref, 1e-9)
        assert got.complete


@pytest.mark.parametrize("seed", range(6))
def test_smith_and_bnn_rest_points_of_one_population_games_are_the_symmetric_equilibria(seed):
    nashpy = pytest.importorskip("nashpy")
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(2, 4))
    A = rng.integers(-999, 1000, size=(n, n))
    game = _symmetric(A)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # the symmetric Nash equilibria of (A, A^T): the states where x = y
        ref = [x for x, y in nashpy.Game(A, A.T).support_enumeration(tol=1e-9) if np.allclose(x, y, atol=1e-12)]
    if caught or gk.equilibria(game).continua:  # nashpy: "the game is degenerate"
        pytest.skip("degenerate game")
    for kind in ("smith", "bnn"):
        _same_sets([_flat(e) for e in gk.equilibria(game, dynamics=kind)], ref, 1e-9)


def _nash_by_faces(game: gk.Game):
    """Every Nash equilibrium of a game of two-strategy populations, face by face (sympy on the gains)."""
    import itertools

    import sympy

    tabs = game.exact_payoffs_rational()
    k = len(game.shape)
    xs = sympy.symbols(f"x0:{k}")

    def gain(p, share):  # payoff of the first strategy minus the second, population p, shares of first strategies
        total = 0
        for idx in itertools.product(*(range(2) for _ in range(k))):
            if idx[p] != 0:
                continue
            w = 1
            for q in range(k):
                if q != p:
                    w *= share[q] if idx[q] == 0 else 1 - share[q]
            other = list(idx)
            other[p] = 1
            total += w * (sympy.Rational(tabs[p][idx]) - sympy.Rational(tabs[p][tuple(other)]))
        return sympy.expand(total)

    out = []
    for face in itertools.product(("first", "second", "mixed"), repeat=k):
        fixed = {xs[p]: 1 if f == "first" else 0 for p, f in enumerate(face) if f != "mixed"}
        mixed = [xs[p] for p, f in enumerate(face) if f == "mixed"]
        eqs = [gain(p, xs).subs(fixed) for p, f in enumerate(face) if f == "mixed"]
        sols = sympy.solve(eqs, mixed, dict=True) if mixed else [{}]
        for sol in sols:
            share = [sympy.sympify(v).subs(fixed).subs(sol) for v in xs]
            if any(s.free_symbols or not s.is_real for s in share):
                continue
            if any(not (0 < s < 1) for s, f in zip(share, face) if f == "mixed"):
                continue
            ok = True
            for p, f in enumerate(face):
                g = gain(p, share)
                if (f == "first" and g < 0) or (f == "second" and g > 0):
                    ok = False
            if ok:
                out.append(np.array([v for s in share for v in (float(s), 1 - float(s))]))
    return out


def test_smith_and_bnn_rest_points_of_the_trap_are_its_nash_equilibria_by_brute_force():
    trap = _trap()
    ref = _nash_by_faces(trap)
    assert len(ref) == 3
    for kind in ("smith", "bnn"):
        got = gk.equilibria(trap, dynamics=kind)
        _same_sets([_flat(e) for e in got], ref, 1e-12)
        assert got.complete


def _gambit_equilibria(game: gk.Game):
    import io
    import itertools

    gbt = pytest.importorskip("pygambit")
    tabs = game.exact_payoffs_rational()
    head = 'NFG 1 R "g" { ' + " ".join(f'"{p.name}"' for p in game.populations) + " } { "
    head += " ".join(str(n) for n in game.shape) + " }\n\n"
    vals = []
    for rev in itertools.product(*[range(n) for n in reversed(game.shape)]):  # first player fastest
        idx = tuple(reversed(rev))
        vals += [str(tabs[p][idx]) for p in range(len(game.shape))]
    g = gbt.read_nfg(io.StringIO(head + " ".join(vals) + "\n"))
    out = []
    for eq in gbt.nash.enumpoly_solve(g).equilibria:
        row = []
        for pl in g.players:
            items = list(eq[pl])
            row += [float(v[1]) if isinstance(v, tuple) else float(v) for v in items]
        out.append(np.array(row))
    return out


def test_smith_and_bnn_rest_points_of_the_trap_are_gambits_enumpoly_equilibria():
    trap = _trap()
    ref = _gambit_equilibria(trap)
    for kind in ("smith", "bnn"):
        _same_sets([_flat(e) for e in gk.equilibria(trap, dynamics=kind)], ref, 1e-7)


def test_smith_and_bnn_labels_say_only_what_the_mathematics_gives():
    trap = _trap()
    rep = {e.profile: e for e in gk.equilibria(trap) if e.profile}
    smith = gk.equilibria(trap, dynamics="smith")
    bnn = gk.equilibria(trap, dynamics="bnn")
    for s, b in zip(smith, bnn):
        if s.profile == ("regulate", "evade", "accept"):  # strict: Smith's eigenvalues are -(u_s - u_j) = the gains
            assert s.stability is b.stability is gk.Stability.ASYMPTOTICALLY_STABLE
            assert sorted(z.real for z in s.eigenvalues) == sorted(z.real for z in rep[s.profile].eigenvalues)
            assert all(z == 0 for z in b.eigenvalues) and "Lyapunov" in b.note
        else:  # mixed Nash equilibria: not differentiable, no eigenvalue, no linear label
            assert s.stability is b.stability is gk.Stability.NOT_LINEARISED
            assert s.eigenvalues == () and "linearisation decides nothing" in s.note
            assert "not a stable game" in s.note


def test_smith_at_a_strict_equilibrium_of_three_strategies_matches_a_finite_difference_jacobian():
    A = np.array([[3, 0, 1], [1, 2, 0], [0, 1, 1]])  # (s0, s0) strict: 3 > 1, 3 > 0
    game = _symmetric(A)
    e = next(e for e in gk.equilibria(game, dynamics="smith") if e.profile == ("s0",))
    v = np.array([1.0, 0.0, 0.0])
    h = 1e-7
    cols = []
    for j in (1, 2):  # tangent directions e_j - e_0 into the simplex; the field is differentiable at v
        x = v + h * (np.eye(3)[j] - v)
        cols.append(velocity(Dynamics("smith"), x, _payoffs_from_tables(game, x), [0, 3])[1:] / h)
    J = np.array(cols).T
    np.testing.assert_allclose(sorted(np.linalg.eigvals(J).real), sorted(z.real for z in e.eigenvalues), atol=1e-5)
    assert e.stability is gk.Stability.ASYMPTOTICALLY_STABLE


@pytest.mark.parametrize("scenario, stable", [("good", True), ("zero-sum", True), ("bad", False)])
def test_rock_paper_scissors_is_a_stable_game_unless_a_loss_costs_more_than_a_win(scenario, stable):
    game = gk.load("rock-paper-scissors").scenario(scenario)
    for kind in ("smith", "bnn"):
        (centre,) = gk.equilibria(game, dynamics=kind)
        np.testing.assert_allclose(_flat(centre), [1 / 3] * 3)
        assert centre.stability is gk.Stability.NOT_LINEARISED
        assert ("globally asymptotically stable" in centre.note) == stable
        assert ("not a stable game" in centre.note) == (not stable)


def test_two_population_stable_games_are_the_zero_sum_ones():
    # x^T (A + B) y = 0 on the tangent spaces: matching pennies is; a coordination game is not
    pennies = gk.equilibria(_bimatrix(np.array([[1, -1], [-1, 1]]), np.array([[-1, 1], [1, -1]])), dynamics="smith")
    coordination = gk.equilibria(_bimatrix(np.array([[2, 0], [0, 1]]), np.array([[2, 0], [0, 1]])), dynamics="smith")
    assert "globally asymptotically stable" in pennies[0].note
    mixed = [e for e in coordination if e.profile is None]
    assert len(mixed) == 1 and "not a stable game" in mixed[0].note


# -- logit: the quantal response equilibria -----------------------------------------------------------------


def _sigmoid(t):
    return 1.0 / (1.0 + np.exp(-t))


def _gain_tables(game: gk.Game):
    """For two-strategy populations: D_p[s_{-p}] = A_p[first, s_{-p}] - A_p[second, s_{-p}] (the gain of the first)."""
    return [np.take(T, 0, axis=p) - np.take(T, 1, axis=p) for p, T in enumerate(game.numeric_payoffs())]


def _qre_boxes(game: gk.Game, eta: float, levels: int = 13):
    """Boxes of side 2^-levels that may hold a logit QRE of a game of two-strategy populations (x: first shares).

    Interval exclusion: the gain D_p is multilinear in the other shares, so its range over a box is spanned by
    its values at the box's corners, and x_p - sigmoid(D_p/eta) over the box lies in
    [lo_p - sigmoid(max D_p/eta), hi_p - sigmoid(min D_p/eta)]: a box whose interval misses 0 for some p holds
    no QRE.  Bisecting the survivors ``levels`` times leaves boxes around every QRE (and no root outside them).
    """
    import itertools

    gains = _gain_tables(game)
    k = len(game.shape)
    lo = np.zeros((1, k))
    hi = np.ones((1, k))
    for _ in range(levels):
        mid = (lo + hi) / 2
        new_lo, new_hi = [], []
        for pick in itertools.product((0, 1), repeat=k):
            pick = np.array(pick)
            new_lo.append(np.where(pick, mid, lo))
            new_hi.append(np.where(pick, hi, mid))
        lo, hi = np.vstack(new_lo), np.vstack(new_hi)
        keep = np.ones(len(lo), dtype=bool)
        for p in range(k):
            others = [q for q in range(k) if q != p]
            vals = []
            for corner in itertools.product((0, 1), repeat=k - 1):
                share = {q: np.where(c, hi[:, q], lo[:, q]) for q, c in zip(others, corner)}
                v = 0.0
                for idx in itertools.product((0, 1), repeat=k - 1):
                    w = 1.0
                    for q, i in zip(others, idx):
                        w = w * (share[q] if i == 0 else 1 - share[q])
                    v = v + w * gains[p][idx]
                vals.append(v)
            vals = np.array(vals)
            dmin, dmax = vals.min(axis=0), vals.max(axis=0)
            keep &= (lo[:, p] - _sigmoid(dmax / eta) <= 0) & (hi[:, p] - _sigmoid(dmin / eta) >= 0)
        lo, hi = lo[keep], hi[keep]
    return lo, hi


def _clusters(lo, hi):
    """The touching boxes grouped: a list of (lo, hi) arrays, one per connected cluster."""
    side = hi[0, 0] - lo[0, 0]
    cells = {tuple(np.rint(v / side).astype(int)): i for i, v in enumerate(lo)}
    seen, out = set(), []
    import itertools

    for start in cells:
        if start in seen:
            continue
        stack, members = [start], []
        seen.add(start)
        while stack:
            c = stack.pop()
            members.append(cells[c])
            for step in itertools.product((-1, 0, 1), repeat=len(c)):
                nb = tuple(a + b for a, b in zip(c, step))
                if nb in cells and nb not in seen:
                    seen.add(nb)
                    stack.append(nb)
        out.append((lo[members], hi[members]))
    return out


@pytest.mark.parametrize("eta", [2.0, 1.0, 0.25])
def test_logit_finds_every_qre_of_the_trap_that_interval_exclusion_allows(eta):
    trap = _trap()
    got = gk.equilibria(trap, dynamics=f"logit:{eta}")
    assert not got.complete and "does not prove" in " ".join(got.notes)
    indices = [int(np.sign(np.prod([-z for z in e.eigenvalues]).real)) for e in got]
    assert sum(indices) == 1 and "sum to 1" in " ".join(got.notes)  # Poincare-Hopf
    clusters = _clusters(*_qre_boxes(trap, eta))
    first = [np.array([e.state[p][0] for p in range(3)]) for e in got]
    # every QRE lies in some cluster of boxes; each cluster holds exactly one point gamekit found, and vice versa
    assert len(first) == len(clusters)
    for lo, hi in clusters:
        inside = [x for x in first if np.any(np.all((lo - 1e-9 <= x) & (x <= hi + 1e-9), axis=1))]
        assert len(inside) == 1
    # and the boxes are small: each cluster is a neighbourhood of one root, not a curve of near-roots
    assert all(np.max(hi.max(axis=0) - lo.min(axis=0)) < 0.01 for lo, hi in clusters)


def test_logit_at_eta_one_quarter_has_three_qre_at_two_one_only():
    trap = _trap()
    assert len(gk.equilibria(trap, dynamics="logit:2")) == 1
    assert len(gk.equilibria(trap, dynamics="logit:1/4")) == 3


def _roots_2x2(A, B, response):
    """Rest points of a 2x2 bimatrix game whose populations each answer their payoff gain D with the share
    response(D): x = response(a(y)), y = response(b(x)), a one-dimensional root count on a fine grid in x."""

    def col(x):
        return response((B[0, 0] - B[0, 1]) * x + (B[1, 0] - B[1, 1]) * (1 - x))

    def g(x):
        y = col(x)
        return response((A[0, 0] - A[1, 0]) * y + (A[0, 1] - A[1, 1]) * (1 - y)) - x

    x = np.linspace(0.0, 1.0, 200_001)
    gx = g(x)
    roots = []
    for i in np.nonzero(np.sign(gx[:-1]) != np.sign(gx[1:]))[0]:
        a, b = x[i], x[i + 1]
        for _ in range(60):  # bisection
            m = (a + b) / 2
            if np.sign(g(np.array([m]))[0]) == np.sign(gx[i]):
                a = m
            else:
                b = m
        xr = (a + b) / 2
        roots.append(np.array([xr, col(np.array([xr]))[0]]))
    return roots


def _qre_count_2x2(A, B, eta):
    """Logit QRE of a 2x2 bimatrix game: the response is the sigmoid of D/eta."""
    return _roots_2x2(A, B, lambda d: _sigmoid(d / eta))


def _mutator_response(mu):
    """The share x in (0, 1) with (1 - mu) x (1 - x) D + mu (1/2 - x) = 0 (one root there: + at 0, - at 1)."""

    def response(d):
        d = np.asarray(d, dtype=float)
        lo, hi = np.zeros_like(d), np.ones_like(d)
        for _ in range(60):
            m = (lo + hi) / 2
            up = (1 - mu) * m * (1 - m) * d + mu * (0.5 - m) > 0
            lo, hi = np.where(up, m, lo), np.where(up, hi, m)
        return (lo + hi) / 2

    return response


@pytest.mark.parametrize("seed", range(6))
def test_logit_qre_of_2x2_games_match_a_one_dimensional_root_count(seed):
    rng = np.random.default_rng(200 + seed)
    A, B = rng.integers(-9, 10, size=(2, 2)), rng.integers(-9, 10, size=(2, 2))
    for eta in (0.2, 1.0, 3.0):
        ref = _qre_count_2x2(A, B, eta)
        got = gk.equilibria(_bimatrix(A, B), dynamics=f"logit:{eta}")
        _same_sets([np.array([e.state[0][0], e.state[1][0]]) for e in got], ref, 1e-8)


@pytest.mark.parametrize("seed", range(4))
def test_replicator_mutator_rest_points_of_2x2_games_match_a_one_dimensional_root_count(seed):
    rng = np.random.default_rng(300 + seed)
    A, B = rng.integers(-9, 10, size=(2, 2)), rng.integers(-9, 10, size=(2, 2))
    for mu in (0.01, 0.1, 0.5):
        ref = _roots_2x2(A, B, _mutator_response(mu))
        got = gk.equilibria(_bimatrix(A, B), dynamics=f"replicator-mutator:{mu}")
        _same_sets([np.array([e.state[0][0], e.state[1][0]]) for e in got], ref, 1e-8)


def test_logit_at_large_noise_has_one_qre_near_the_uniform_state():
    trap = _trap()
    (e,) = gk.equilibria(trap, dynamics="logit:1000")
    np.testing.assert_allclose(_flat(e), 0.5, atol=0.01)
    assert e.stability is gk.Stability.ASYMPTOTICALLY_STABLE


def _tangent_fd_jacobian(game, dyn, x, h=1e-6):
    """The tangent Jacobian of the velocity by central differences (each population's last share eliminated)."""
    off = np.concatenate([[0], np.cumsum(game.shape)])
    cols = []
    rows = [i for p in range(len(game.shape)) for i in range(off[p], off[p + 1] - 1)]
    for p in range(len(game.shape)):
        for i in range(off[p], off[p + 1] - 1):
            d = np.zeros_like(x)
            d[i], d[off[p + 1] - 1] = 1.0, -1.0
            f = lambda y: velocity(dyn, y, _payoffs_from_tables(game, y), off)  # noqa: E731
            cols.append((f(x + h * d) - f(x - h * d))[rows] / (2 * h))
    return np.array(cols).T


@pytest.mark.parametrize("spec", ["logit:2", "logit:0.25", "replicator-mutator:0.01", "replicator-mutator:0.3"])
def test_every_listed_point_is_a_rest_point_and_its_eigenvalues_are_the_velocitys(spec):
    trap = _trap()
    dyn = parse_dynamics(spec)
    got = gk.equilibria(trap, dynamics=spec)
    assert len(got) >= 1
    off = np.concatenate([[0], np.cumsum(trap.shape)])
    for e in got:
        x = _flat(e)
        assert np.max(np.abs(velocity(dyn, x, _payoffs_from_tables(trap, x), off))) < 1e-9
        J = _tangent_fd_jacobian(trap, dyn, x)
        ref = np.linalg.eigvals(J)
        for z in e.eigenvalues:
            assert np.min(np.abs(ref - z)) < 1e-5 * max(1.0, abs(z))
        re = np.real(ref)
        expected = (
            gk.Stability.ASYMPTOTICALLY_STABLE
            if np.all(re < 0)
            else gk.Stability.SADDLE
            if np.any(re < 0)
            else gk.Stability.UNSTABLE
        )
        assert e.stability is expected


@pytest.mark.parametrize("spec", ["smith", "bnn"])
def test_every_smith_and_bnn_point_is_a_rest_point_of_the_velocity(spec):
    for game in (_trap(), gk.load("rock-paper-scissors"), gk.load("hawk-dove"), gk.load("matching-pennies")):
        off = np.concatenate([[0], np.cumsum(game.shape)])
        for e in gk.equilibria(game, dynamics=spec):
            x = _flat(e)
            assert np.max(np.abs(velocity(parse_dynamics(spec), x, _payoffs_from_tables(game, x), off))) < 1e-12


def test_replicator_mutator_at_the_ends():
    trap = _trap()
    (centre,) = gk.equilibria(trap, dynamics="replicator-mutator:1")  # xdot = 1/n - x
    np.testing.assert_allclose(_flat(centre), 0.5, atol=1e-12)
    np.testing.assert_allclose([z.real for z in centre.eigenvalues], -1.0)
    plain, none = gk.equilibria(trap), gk.equilibria(trap, dynamics="replicator-mutator:0")
    assert [str(e) for e in plain] == [str(e) for e in none]
    assert gk.equilibria(trap, dynamics=None) == plain == gk.equilibria(trap, dynamics="replicator")


@st.composite
def _games_2x2x2(draw):
    k = 3
    table = {}
    import itertools

    for idx in itertools.product(range(2), repeat=k):
        key = ", ".join(f"s{p}{i}" for p, i in enumerate(idx))
        table[key] = [draw(st.integers(-5, 5)) for _ in range(k)]
    return gk.Game({f"P{p}": [f"s{p}0", f"s{p}1"] for p in range(k)}, table, name="random")


@settings(max_examples=4, deadline=None)
@given(_games_2x2x2(), st.integers(0, 2**31))
def test_labels_are_unchanged_by_payoff_shifts_that_depend_only_on_the_others(game, seed):
    from tests.strategies import shifted

    rng = np.random.default_rng(seed)
    other = shifted(game, lambda: int(rng.integers(-20, 21)))
    for spec in ("logit:1", "replicator-mutator:0.05", "smith", "bnn"):
        a, b = gk.equilibria(game, dynamics=spec), gk.equilibria(other, dynamics=spec)
        assert len(a) == len(b)
        if spec in ("logit:1", "replicator-mutator:0.05") and not a.uncertain:
            assert "sum to 1" in " ".join(a.notes)  # Poincare-Hopf: no rest point provably missing
        for e, f in zip(a, b):
            np.testing.assert_allclose(_flat(e), _flat(f), atol=1e-8)
            assert e.stability is f.stability


def test_equilibria_refuses_bad_dynamics_in_one_line():
    trap = _trap()
    for spec, words in [("logit:0", "eta"), ("replicator-mutator:2", "mu"), ("fictitious", "unknown dynamics")]:
        with pytest.raises(ArgumentError, match=words):
            gk.equilibria(trap, dynamics=spec)


# -- the command line ----------------------------------------------------------------------------------------


def test_cli_analyze_dynamics_json_has_todays_shape_with_the_dynamics_named(capsys):
    import json

    from gamekit.cli import main

    assert main(["analyze", "platform-insurance", "--scenario", "trap", "--dynamics", "logit:1/4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dynamics"] == "logit:0.25" and out["complete"] is False
    assert {"model", "parameters", "equilibria"} <= set(out)
    api = gk.equilibria(_trap(), dynamics="logit:0.25")
    assert len(out["equilibria"]) == len(api) == 3
    for row, e in zip(out["equilibria"], api):
        assert {"state", "profile", "eigenvalues", "stability"} <= set(row)
        np.testing.assert_allclose(np.concatenate(row["state"]), _flat(e), atol=1e-12)
        assert row["stability"] == str(e.stability)
    # smith through the CLI: the Nash equilibria, the strict one labelled, the others not linearised
    assert main(["analyze", "platform-insurance", "--scenario", "trap", "--dynamics", "smith", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    _same_sets([np.concatenate(r["state"]) for r in out["equilibria"]], _nash_by_faces(_trap()), 1e-12)
    assert sorted(r["stability"] for r in out["equilibria"]) == [
        "asymptotically stable",
        "not linearised",
        "not linearised",
    ]


def test_cli_analyze_dynamics_text_names_the_dynamics(capsys):
    from gamekit.cli import main

    assert main(["analyze", "rock-paper-scissors", "--scenario", "bad", "--dynamics", "bnn"]) == 0
    out = capsys.readouterr().out
    assert "dynamics: bnn" in out and "not a stable game" in out


@pytest.mark.parametrize(
    "spec, words",
    [
        ("logit:0", "eta must be a finite number > 0"),
        ("logit:-0.5", "eta must be a finite number > 0"),
        ("replicator-mutator:1.5", "mu must be in [0, 1]"),
        ("replicator-mutator:-1", "mu must be in [0, 1]"),
        ("moran", "unknown dynamics"),
    ],
)
def test_cli_analyze_bad_dynamics_is_one_line_and_exit_2(spec, words):
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "gamekit", "analyze", "platform-insurance", "--dynamics", spec],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("gamekit: error:") and words in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_a_qre_where_a_payoff_switches_is_not_linearised():
    # p's gain of a is |y - 1/2| (y its own share of a): the logit QRE (1/2, 1/2) sits on the kink
    game = gk.Game(
        {"p": ["a", "b"], "q": ["c", "d"]},
        {
            "a, c": ["abs(y - 1/2)", "0"],
            "a, d": ["abs(y - 1/2)", "0"],
            "b, c": ["0", "0"],
            "b, d": ["0", "0"],
        },
        {},
        shares={"y": ("p", "a")},
    )
    (e,) = gk.equilibria(game, dynamics="logit:1")
    np.testing.assert_allclose(_flat(e), 0.5, atol=1e-12)
    assert e.stability is gk.Stability.NOT_LINEARISED and "switches" in e.note and e.eigenvalues == ()


def test_logit_reaches_qre_far_out_in_log_ratios():
    # coordination with payoffs 1e6 at eta = 1: the QRE near (0, 0) and (1, 1) have log-ratios of -+1e6
    big = 10**6
    game = _bimatrix(np.array([[big, 0], [0, big]]), np.array([[big, 0], [0, big]]))
    got = gk.equilibria(game, dynamics="logit:1")
    assert [round(e.state[0][0], 6) for e in got] == [0.0, 0.5, 1.0]
    assert [str(e.stability) for e in got] == ["asymptotically stable", "saddle", "asymptotically stable"]
    assert "sum to 1" in " ".join(got.notes)


@pytest.mark.parametrize("seed", range(4))
def test_smith_and_bnn_rest_points_of_random_three_population_games_are_the_nash_equilibria(seed):
    import itertools

    rng = np.random.default_rng(400 + seed)
    table = {
        ", ".join(f"s{p}{i}" for p, i in enumerate(idx)): [int(v) for v in rng.integers(-99, 100, size=3)]
        for idx in itertools.product(range(2), repeat=3)
    }
    game = gk.Game({f"P{p}": [f"s{p}0", f"s{p}1"] for p in range(3)}, table, name="random")
    if gk.equilibria(game).continua:
        pytest.skip("degenerate game")
    ref = _nash_by_faces(game)
    for kind in ("smith", "bnn"):
        _same_sets([_flat(e) for e in gk.equilibria(game, dynamics=kind)], ref, 1e-9)


def test_mutator_rest_points_near_a_vertex_are_polished_not_left_uncertain():
    # shares of 1e-4 near a strict equilibrium: a candidate that deflation left unpolished is polished and merged
    import itertools

    rng = np.random.default_rng(7)
    for trial in range(9):  # the ninth game of this stream (found by a stress run)
        shape = [(2, 2, 2), (3, 3), (3, 2, 2), (3, 3)][trial % 4]
        pops = {f"P{p}": [f"s{p}{i}" for i in range(n)] for p, n in enumerate(shape)}
        table = {
            ", ".join(f"s{p}{i}" for p, i in enumerate(idx)): [int(v) for v in rng.integers(-9, 10, len(shape))]
            for idx in itertools.product(*[range(n) for n in shape])
        }
    got = gk.equilibria(gk.Game(pops, table), dynamics="replicator-mutator:0.005")
    assert not got.uncertain and len(got) == 3 and "sum to 1" in " ".join(got.notes)


def test_a_continuum_with_nash_points_away_from_its_example_is_kept():
    # the row player is indifferent against c0, so {r0, r1} x {c0} is a continuum of replicator rest points;
    # c0 is a best reply iff x(r0) >= 2/3: its example (1/2, 1/2) is not Nash, a third of it is
    game = _bimatrix(np.array([[0, 1], [0, 3]]), np.array([[1, 0], [0, 2]]))
    rep = gk.equilibria(game)
    face = [c for c in rep.continua if c.support == (("r0", "r1"), ("c0",))]
    assert len(face) == 1
    smith = gk.equilibria(game, dynamics="smith")
    assert [c.support for c in smith.continua] == [(("r0", "r1"), ("c0",))]


def test_logit_qre_at_small_noise_sit_next_to_the_nash_equilibria():
    # McKelvey-Palfrey: as eta -> 0 every regular Nash equilibrium is the limit of one QRE branch.  In this
    # 4 x 3 game (the eighth of a seeded stream) the saddle QRE has unused shares below 1e-250
    import itertools

    rng = np.random.default_rng(11)
    for trial in range(8):
        shape = [(2, 2, 2), (3, 3), (3, 2, 2), (4, 3)][trial % 4]
        pops = {f"P{p}": [f"s{p}{i}" for i in range(n)] for p, n in enumerate(shape)}
        table = {
            ", ".join(f"s{p}{i}" for p, i in enumerate(idx)): [int(v) for v in rng.integers(-99, 100, len(shape))]
            for idx in itertools.product(*[range(n) for n in shape])
        }
    game = gk.Game(pops, table)
    nash = gk.equilibria(game, dynamics="smith")
    qre = gk.equilibria(game, dynamics="logit:0.01")
    assert len(nash) == len(qre) == 3 and nash.complete and "sum to 1" in " ".join(qre.notes)
    _same_sets([_flat(e) for e in qre], [_flat(e) for e in nash], 0.01)


# ----------------------------------------------------------------------------- velocity_jacobian


@settings(max_examples=60, deadline=None)
@given(states_and_payoffs(), st.sampled_from(["replicator", "logit:0.7", "logit:0.05", "replicator-mutator:0.2"]))
def test_velocity_jacobian_is_the_central_difference_of_the_velocity(case, spec):
    """Payoffs quadratic in the shares, u_a = sum_b A_ab x_b + sum_bc C_abc x_b x_c (so du is not zero within a
    population, unlike a fixed payoff table); the tangent Jacobian against central differences of
    :func:`velocity` along e_m - e_last of each population, at every row at once."""
    shape, x, _ = case
    dyn = parse_dynamics(spec)
    off = np.concatenate([[0], np.cumsum(shape)])
    D = int(off[-1])
    rng = np.random.default_rng(int(1e6 * x[0, 0]))
    A, C = rng.normal(0, 1, (D, D)), rng.normal(0, 0.5, (D, D, D))
    u_of = lambda y: y @ A.T + np.einsum("abc,mb,mc->ma", C, y, y)  # noqa: E731
    du = A[None] + np.einsum("abc,mc->mab", C + C.transpose(0, 2, 1), x)
    got = velocity_jacobian(dyn, x, u_of(x), du, off)
    h = 1e-6
    rows = [i for a, b in zip(off, off[1:]) for i in range(a, b - 1)]
    want = np.zeros(got.shape)
    col = 0
    for a, b in zip(off, off[1:]):
        for i in range(a, b - 1):
            step = np.zeros(D)
            step[i], step[b - 1] = h, -h
            plus, minus = x + step, x - step
            diff = velocity(dyn, plus, u_of(plus), off) - velocity(dyn, minus, u_of(minus), off)
            want[:, :, col] = diff[:, rows] / (2 * h)
            col += 1
    scale = 1.0 + np.max(np.abs(want)) if want.size else 1.0
    assert np.allclose(got, want, atol=1e-5 * scale)
    # one state in, one matrix out
    if x.shape[0]:
        assert np.allclose(velocity_jacobian(dyn, x[0], u_of(x[:1])[0], du[0], off), got[0])


@pytest.mark.parametrize("spec", ["smith", "bnn"])
def test_velocity_jacobian_refuses_the_dynamics_that_are_not_differentiable(spec):
    x = np.array([0.5, 0.5])
    with pytest.raises(ArgumentError, match="not differentiable"):
        velocity_jacobian(parse_dynamics(spec), x, np.array([1.0, 0.0]), np.zeros((2, 2)), [0, 2])


# ----------------------------------------------------------------------------- the result names its dynamics


@pytest.mark.parametrize("spec", ["logit:0.5", "replicator-mutator:0.01", "smith", "bnn", "replicator-mutator:0"])
def test_equilibria_carry_and_show_their_dynamics(spec):
    trap = _trap()
    got = gk.equilibria(trap, dynamics=spec)
    assert got.dynamics == parse_dynamics(spec)
    assert repr(got).endswith(f", dynamics={parse_dynamics(spec)})")
    assert str(got).splitlines()[0] == f"dynamics {parse_dynamics(spec)}:"
    smooth_search = spec.startswith("logit") or spec == "replicator-mutator:0.01"
    # the interior search of a smooth dynamics says in its own note that it may miss points; no "faces" line
    assert not (smooth_search and "searched numerically" in str(got))
    plain = gk.equilibria(trap)
    assert plain.dynamics == REPLICATOR and "dynamics" not in repr(plain) and "dynamics" not in str(plain)


def test_the_face_count_line_reads_in_the_singular_and_the_plural():
    from gamekit.equilibria.result import Equilibria

    assert "(1 face was searched numerically: " in str(Equilibria(points=(), complete=False, numeric_faces=1))
    assert "(3 faces were searched numerically: " in str(Equilibria(points=(), complete=False, numeric_faces=3))
    logit = Equilibria(points=(), complete=False, numeric_faces=1, dynamics=parse_dynamics("logit:1"))
    assert "searched numerically" not in str(logit)


def test_a_bnn_strict_equilibrium_prints_why_it_is_stable_on_its_line():
    got = gk.equilibria(_trap(), dynamics="bnn")
    strict = [e for e in got if e.stability is gk.Stability.ASYMPTOTICALLY_STABLE]
    assert strict and all(e.note and "Lyapunov" in e.note for e in strict)
    lines = str(got).splitlines()
    for e in strict:
        assert f"{e}; {e.note}" in lines


# ----------------------------------------------------------------------------- the mutator at extreme scales


@pytest.mark.parametrize("mu", [1e-12, 1e-50, 1e-300])
def test_a_tiny_mutation_rate_keeps_the_rest_point_next_to_the_strict_equilibrium(mu):
    """Near the strict Nash equilibrium s of the trap (regulate, evade, accept) the mutator's rest point has, to
    first order in MU, the unused shares x_i = MU / (n_p (u_s - u_i)) (xdot_i = x_i (u_i - u_s) + MU/n_p = 0),
    payoffs at the vertex; 1 - MU rounds to 1 for MU below 1e-16, which left no rest point at all."""
    trap = _trap()
    got = gk.equilibria(trap, dynamics=f"replicator-mutator:{mu!r}")
    assert len(got) >= 1  # Brouwer: there is always one
    vertex = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 1.0])  # regulate; evade (second); accept (second)
    names = [list(p.strategies) for p in trap.populations]
    assert (names[0][0], names[1][1], names[2][1]) == ("regulate", "evade", "accept")
    u = _payoffs_from_tables(trap, vertex)
    want = np.array([mu / (2 * (u[0] - u[1])), mu / (2 * (u[3] - u[2])), mu / (2 * (u[5] - u[4]))])
    near = [e for e in got if min(e.state[0][0], e.state[1][1], e.state[2][1]) > 0.99]
    assert len(near) == 1
    e = near[0]
    unused = np.array([e.state[0][1], e.state[1][0], e.state[2][0]])
    assert np.allclose(unused, want, rtol=1e-6, atol=0.0)
    assert e.stability is gk.Stability.ASYMPTOTICALLY_STABLE
    # where the principal branch stopped is said in mu (a lam = 1 - mu would print as 1)
    for note in got.notes:
        if note.startswith("the principal branch"):
            assert "lam = " not in note and float(note.rsplit("mu = ", 1)[1].split()[0].rstrip(")")) > mu


def test_the_mutator_on_tiny_payoffs_has_its_rest_point_next_to_the_uniform_state():
    """Payoffs times 1e-9 with MU = 0.01: the velocity is MU (1/2 - x) + O(1e-9), so its one rest point is within
    1e-6 of the uniform state and its Jacobian is -MU I + O(1e-7): listed, not uncertain, asymptotically stable."""
    rng = np.random.default_rng(5)
    pops = {"a": ["a1", "a2"], "b": ["b1", "b2"], "c": ["c1", "c2"]}
    payoffs = {
        f"{i}, {j}, {k}": [float(v) * 1e-9 for v in rng.integers(-9, 10, size=3)]
        for i in pops["a"]
        for j in pops["b"]
        for k in pops["c"]
    }
    game = gk.Game(populations=pops, payoffs=payoffs)
    got = gk.equilibria(game, dynamics="replicator-mutator:0.01")
    assert len(got) == 1 and not got.uncertain
    assert np.max(np.abs(_flat(got[0]) - 0.5)) < 1e-6
    assert np.allclose(got[0].eigenvalues, -0.01, atol=1e-6)
    assert got[0].stability is gk.Stability.ASYMPTOTICALLY_STABLE


# ----------------------------------------------------------------------------- tiny logit noise, number grammar


@pytest.mark.parametrize("spec", ["logit:1e-320", "logit:5e-324"])
def test_a_subnormal_logit_noise_is_refused_when_parsed(spec):
    with pytest.raises(ArgumentError, match="at least 2.22507e-308") as err:
        parse_dynamics(spec)
    assert "\n" not in str(err.value)


def test_a_logit_noise_below_the_floor_relative_to_the_payoffs_is_refused_in_one_line():
    """ETA_FLOOR times the payoff scale (the trap's is 10): 1e-13 is refused by equilibria and simulate, 1e-6
    works and its QRE sit within 1e-4 of the Nash equilibria that Smith's rest points are."""
    from gamekit.dynamics import general_field
    from gamekit.protocols import ETA_FLOOR

    trap = _trap()
    scale = general_field(trap).scale
    tiny = f"logit:{ETA_FLOOR * scale / 10!r}"
    for call in (
        lambda: gk.equilibria(trap, dynamics=tiny),
        lambda: gk.simulate(trap, [[0.5] * 3], 5.0, dynamics=tiny),
    ):
        with pytest.raises(ArgumentError, match="eta must be at least 1e-12 times the payoff scale") as err:
            call()
        assert "\n" not in str(err.value)
    qre = gk.equilibria(trap, dynamics="logit:1e-6")
    nash = [_flat(e) for e in gk.equilibria(trap, dynamics="smith")]
    assert len(qre) >= 1
    for e in qre:
        assert min(np.max(np.abs(_flat(e) - x)) for x in nash) < 1e-4


@pytest.mark.parametrize("spec", ["logit:1_0", "logit:0x10", "replicator-mutator:1_0e-2", "logit:½"])
def test_parameters_are_plain_decimals_or_fractions(spec):
    with pytest.raises(ArgumentError, match=r"must be a number \(a decimal or a fraction p/q\)"):
        parse_dynamics(spec)


def test_a_negative_zero_mutation_rate_reads_as_zero():
    d = parse_dynamics("replicator-mutator:-0")
    assert str(d) == "replicator-mutator:0" and math.copysign(1.0, d.mu) == 1.0
    assert parse_dynamics("logit:1/4").eta == 0.25 and parse_dynamics("logit:.5").eta == 0.5


def test_a_search_that_verifies_nothing_says_it_failed(monkeypatch):
    """Brouwer: every smooth field here has a rest point, so an empty result is the search's failure, said so
    (forced here by a residual test nothing can pass)."""
    from gamekit.equilibria import smooth

    monkeypatch.setattr(smooth, "RESIDUAL_TOL", 0.0)
    monkeypatch.setattr(smooth, "UNCERTAIN_TOL", -1.0)
    got = gk.equilibria(gk.load("hawk-dove"), dynamics="replicator-mutator:0.1")
    assert len(got) == 0
    assert any(n.startswith("the search failed: no rest point was verified") for n in got.notes)
    assert not any("Poincare-Hopf" in n for n in got.notes)
