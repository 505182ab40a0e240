"""Stability of pure states, linearisation and thresholds for games that are not multilinear.

Oracles: switch gains computed by hand from the payoff matrices (``A[j, i] - A[i, i]`` in a
symmetric game, the fixed-fine platform's gains with the fine of the vertex), eigenvalues of the
numeric Jacobian of the general field, and the table code path of multilinear games.
"""

import itertools

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gamekit as gk
from gamekit.dynamics import Coordinate
from gamekit.stability import (
    _general_signs,
    is_nash,
    is_strict_nash,
    linearize,
    switch_gains,
    vertex_payoffs,
)
from tests.strategies import games

R_ = sympy.Rational
AS = gk.Stability.ASYMPTOTICALLY_STABLE


def hawk_dove():
    return gk.Game(
        {"players": ["hawk", "dove"]},
        {"hawk, hawk": "(V - C)/2", "hawk, dove": "V", "dove, hawk": "0", "dove, dove": "V/2"},
        {"V": 2, "C": 4},
        name="Hawk-dove",
    )


def rps(win=2, loss=1):
    table = {("rock", "paper"): "-l", ("rock", "scissors"): "w", ("paper", "rock"): "w"}
    table |= {("paper", "scissors"): "-l", ("scissors", "rock"): "-l", ("scissors", "paper"): "w"}
    s = ["rock", "paper", "scissors"]
    return gk.Game({"players": s}, {f"{a}, {b}": table.get((a, b), "0") for a in s for b in s}, {"w": win, "l": loss})


def dynamic_platform():
    """The platform model with the fine F*(1 - y), y the platform's share of insure."""
    base = gk.models.platform_insurance()
    payoffs = {", ".join(k): [v.replace("F", "F*(1 - y)") for v in vals] for k, vals in base.sources.items()}
    return gk.Game(
        {p.name: list(p.strategies) for p in base.populations},
        payoffs,
        dict(base.parameters),
        shares={"y": "platform.insure"},
        states=dict(base.states),
        bounds=dict(base.bounds),
        scenarios={k: dict(v) for k, v in base.scenarios.items()},
        name="dynamic fine",
    )


def stag_hunt(F=8, M=5):
    return gk.Game(
        {"players": ["cooperate", "defect"]},
        {"cooperate": "(k + 1)*F*c/10*step(k + 1 - M) - c", "defect": "k*F*c/10*step(k - M)"},
        {"F": F, "c": 1, "M": M},
        group={"size": 10},
    )


def symmetric(matrix, names=None):
    n = len(matrix)
    names = names or [f"s{i}" for i in range(n)]
    payoffs = {f"{names[i]}, {names[j]}": int(matrix[i][j]) for i in range(n) for j in range(n)}
    return gk.Game({"players": names}, payoffs)


def corner(shape, idx):
    return np.concatenate([np.eye(n)[i] for n, i in zip(shape, idx)])


# -- the issue's facts -------------------------------------------------------------------------------------


def test_hawk_dove_table_both_pure_states_unstable_with_gain_one():
    game = hawk_dove()
    table = gk.stability_table(game)
    values = game.values()
    for row in table:
        assert row.stability is gk.Stability.UNSTABLE
        assert [g.gain.xreplace(values) for g in row.eigenvalues] == [1]
    V, C = sympy.symbols("V C", real=True)
    assert sympy.simplify(table["hawk"].eigenvalues[0].gain - (C - V) / 2) == 0  # u(dove) - u(hawk) at x = 1
    assert sympy.simplify(table["dove"].eigenvalues[0].gain - V / 2) == 0
    for idx in game.profiles():
        eq = linearize(game, corner(game.shape, idx))
        assert eq.exact_eigenvalues == (1,) and eq.stability is gk.Stability.UNSTABLE
        assert not is_strict_nash(game, idx) and not is_nash(game, idx)
    mixed = linearize(game, [[0.5, 0.5]])
    assert mixed.stability is AS and mixed.exact_eigenvalues == (R_(-1, 2),)
    assert "interior and face rest points can be asymptotically stable" in str(table)
    assert "interior and face" in table._repr_markdown_()
    assert "interior and face" not in str(gk.stability_table(gk.models.platform_insurance()))


def test_hawk_dove_equation_reads_as_in_the_textbook():
    dyn = gk.replicator(hawk_dove())
    (x,) = dyn.coordinates
    V, C = sympy.symbols("V C", real=True)
    assert sympy.expand(dyn.equations[0] - x * (1 - x) * (V / 2 - C * x / 2)) == 0
    assert sympy.expand(dyn.gains[0] - (V / 2 - C * x / 2)) == 0
    assert sympy.expand(dyn.jacobian[0, 0] - sympy.diff(x * (1 - x) * (V - C * x) / 2, x)) == 0
    assert "dx/dt = x*(1 - x)*(" in str(dyn) and "[x: share of players (hawk)]" in str(dyn)
    assert r"\frac{dx}{dt}" in dyn._repr_latex_()


@pytest.mark.parametrize("win, loss", [(2, 1), (1, 1), (1, 2)])
def test_rock_paper_scissors_corners_are_saddles(win, loss):
    game = rps(win, loss)
    table = gk.stability_table(game)
    for row in table:
        assert row.stability is gk.Stability.SADDLE
        assert sorted(g.gain.xreplace(game.values()) for g in row.eigenvalues) == sorted([win, -loss])
    centre = linearize(game, [[R_(1, 3)] * 3])
    expected = {(2, 1): AS, (1, 1): gk.Stability.NON_HYPERBOLIC, (1, 2): gk.Stability.UNSTABLE}[(win, loss)]
    assert centre.stability is expected
    re = (loss - win) / 6
    im = np.sqrt(3) * (win + loss) / 6
    assert np.allclose(sorted(centre.eigenvalues, key=lambda z: z.imag), [re - 1j * im, re + 1j * im])


def test_dynamic_fine_platform_table_is_the_fixed_table_with_the_vertex_fine():
    dynamic, fixed = dynamic_platform(), gk.models.platform_insurance()
    assert not dynamic.multilinear
    F, y = sympy.Symbol("F", real=True), dynamic.share_symbols["y"]
    table = gk.stability_table(dynamic)
    for idx, row in zip(dynamic.profiles(), table):
        fine = F * (1 - (1 if idx[1] == 0 else 0))  # the fine at the vertex: y = 1 when the platform insures
        expected = [sympy.expand(g.gain.xreplace({F: fine})) for g in switch_gains(fixed, idx)]
        assert [g.gain for g in row.eigenvalues] == expected
        assert not any(y in g.gain.free_symbols for g in row.eigenvalues)
    assert table["trap"].stability is AS and table["meta-goal"].stability is gk.Stability.SADDLE
    conditions = {", ".join(r.profile): r.conditions_text() for r in table}
    assert conditions["regulate, evade, accept"] == "F*delta > Cg, Cp > B + F*delta + S, Cc > K"
    assert conditions["regulate, insure, claim"] == "R > Cg + S, B + K + S > Cp, V > Cw"  # no fine at y = 1


def test_dynamic_fine_platform_attractors_have_the_issues_eigenvalues():
    game = dynamic_platform()
    trap = linearize(game, [1, 0, 0])
    assert trap.profile == ("regulate", "evade", "accept") and trap.stability is AS
    assert trap.exact_eigenvalues == (-1, -3, -1)
    inner = linearize(game, [1, 0.6, 1])
    assert inner.stability is AS and inner.profile is None
    assert sorted(inner.exact_eigenvalues) == [R_(-12, 5), -2, -1]
    assert np.allclose(sorted(z.real for z in inner.eigenvalues), [-2.4, -2, -1])
    assert is_strict_nash(game, "trap") and not is_strict_nash(game, "meta-goal")
    with pytest.raises(gk.StateError, match="not a rest point"):
        linearize(game, [1, 0.5, 1])


def test_dynamic_fine_thresholds_on_the_fine():
    dynamic, fixed = dynamic_platform(), gk.models.platform_insurance()
    # trap (y = 0): the fine is F, as in the fixed model: F*delta > Cg and Cp > B + F*delta + S at delta = 3/10
    lever = gk.thresholds(dynamic, "trap", "trap").lever("F")
    assert lever.stable_set == sympy.Interval.open(R_(20, 3), 20)
    # meta-goal (y = 1): the fine has vanished; with fixed fines evading costs F + K
    meta_dynamic = gk.thresholds(dynamic, "meta-goal", "meta-goal")
    meta_fixed = gk.thresholds(fixed, "meta-goal", "meta-goal")
    assert meta_dynamic.stable and meta_dynamic.lever("F").stable_set == sympy.S.Reals
    # fixed: -F - K - (B + S - Cp) < 0 at B = 2, S = 3, Cp = 8, K = 6  <=>  F > -3
    assert meta_fixed.lever("F").stable_set == sympy.Interval.open(-3, sympy.oo)
    # K is what the dynamic fine leaves to the platform: Cp - B - S - K < 0  <=>  K > 3 (meta-goal values)
    assert meta_dynamic.lever("K").stable_set == sympy.Interval.open(3, sympy.oo)


def test_stag_hunt_pure_states_and_thresholds():
    game = stag_hunt()
    table = gk.stability_table(game)
    values = game.values()
    # x = 1: a defector among 9 cooperators earns 9*8/10 = 36/5, a cooperator 8 - 1 = 7
    assert [g.gain.xreplace(values) for g in table["cooperate"].eigenvalues] == [R_(1, 5)]
    # x = 0: a lone cooperator earns 0 - 1 (the threshold M = 5 is not met), a defector 0
    assert [g.gain.xreplace(values) for g in table["defect"].eigenvalues] == [-1]
    assert table["cooperate"].stability is gk.Stability.UNSTABLE and table["defect"].stability is AS
    t = gk.thresholds(game, None, "cooperate")
    assert t.lever("M").stable_set == sympy.Interval.Lopen(9, 10)  # only then do 9 defect-free others suffice
    assert t.lever("F").stable_set == sympy.Interval.open(10, sympy.oo)  # 9F/10 - F + 1 < 0
    assert not any("could not be decided" in n for n in t.notes)


def test_notions_at_pure_states_check_their_profile():
    game = hawk_dove()
    with pytest.raises(gk.ArgumentError, match="pure profile"):
        is_strict_nash(game, (2,))
    with pytest.raises(gk.ArgumentError, match="pure profile"):
        switch_gains(game, ("owl",))


def test_linearize_where_a_payoff_is_undefined():
    game = gk.Game(
        {"a": ["x1", "x2"], "b": ["y1", "y2"]},
        {"x1, y1": ["F/(1 - y)", "1"], "x1, y2": ["0", "0"], "x2, y1": ["0", "0"], "x2, y2": ["1", "1"]},
        {"F": 1},
        shares={"y": "b.y1"},
    )
    with pytest.raises(gk.StateError, match="not a finite number"):
        linearize(game, [1, 1])


# -- properties ----------------------------------------------------------------------------------------------


@st.composite
def symmetric_matrices(draw, lo=-5, hi=5):
    n = draw(st.integers(3, 4))
    return [[draw(st.integers(lo, hi)) for _ in range(n)] for _ in range(n)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(symmetric_matrices(), st.data())
def test_one_population_labels_are_strictness_and_column_shifts_change_nothing(matrix, data):
    game = symmetric(matrix)
    n = len(matrix)
    table = gk.stability_table(game)
    shifts = [data.draw(st.integers(-5, 5)) for _ in range(n)]
    shifted = symmetric([[matrix[i][j] + shifts[j] for j in range(n)] for i in range(n)])
    for i, row, other in zip(range(n), table, gk.stability_table(shifted)):
        gains = [matrix[j][i] - matrix[i][i] for j in range(n) if j != i]  # by hand: A[j, i] - A[i, i]
        assert [int(g.gain) for g in row.eigenvalues] == gains
        strict = all(g < 0 for g in gains)
        assert (row.stability is AS) == strict == is_strict_nash(game, (i,))
        assert row.stability is other.stability
        eq = linearize(game, np.eye(n)[i][None, :], exact=False)  # the numeric Jacobian of the general field
        assert np.allclose(sorted(eq.eigenvalues, key=lambda z: z.real), sorted(gains), atol=1e-9)
        assert eq.stability is linearize(shifted, np.eye(n)[i][None, :], exact=False).stability


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games(max_pops=3, max_strategies=3))
def test_multilinear_table_equals_the_general_computation(game):
    assert game.multilinear
    table = gk.stability_table(game)
    for idx, row in zip(game.profiles(), table):
        u = vertex_payoffs(game, idx)  # expected payoffs at the vertex: the general path
        general = [
            sympy.expand(u[p][j] - u[p][idx[p]]) for p, n in enumerate(game.shape) for j in range(n) if j != idx[p]
        ]
        assert [g.gain for g in row.eigenvalues] == general
        signs = _general_signs(game, idx)
        assert (row.stability is AS) == all(s < 0 for s in signs) == is_strict_nash(game, idx)


@st.composite
def share_games(draw):
    """Two populations of two strategies, payoffs integer plus an integer times a share."""
    pops = {"A": ["a1", "a2"], "B": ["b1", "b2"]}
    payoffs = {}
    for i, j in itertools.product(range(2), range(2)):
        cells = []
        for _ in range(2):
            share = draw(st.sampled_from(["x", "y"]))
            cells.append(f"{draw(st.integers(-4, 4))} + {draw(st.integers(-3, 3))}*{share}")
        payoffs[f"a{i + 1}, b{j + 1}"] = cells
    return gk.Game(pops, payoffs, shares={"x": "A.a1", "y": "B.b1"})


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(share_games())
def test_corner_eigenvalues_are_switch_gains_at_the_corner(game):
    for idx in game.profiles():
        gains = [float(g.gain) for g in switch_gains(game, idx)]
        x = sympy.Integer(1 if idx[0] == 0 else 0)
        y = sympy.Integer(1 if idx[1] == 0 else 0)
        by_hand = []  # the payoff table at the corner's shares, then A_p[j, s_-p] - A_p[s]
        at = {game.share_symbols["x"]: x, game.share_symbols["y"]: y}
        A = [t.copy() for t in game.payoff_tensors]
        for p in range(2):
            here = A[p][idx].xreplace(at)
            for j in range(2):
                if j != idx[p]:
                    other = list(idx)
                    other[p] = j
                    by_hand.append(float(A[p][tuple(other)].xreplace(at) - here))
        assert gains == by_hand
        eq = linearize(game, corner(game.shape, idx), exact=False)
        assert np.allclose(sorted(z.real for z in eq.eigenvalues), sorted(by_hand), atol=1e-9)
        assert np.allclose([z.imag for z in eq.eigenvalues], 0, atol=1e-9)
        if all(g != 0 for g in by_hand):
            assert (eq.stability is AS) == all(g < 0 for g in by_hand) == is_strict_nash(game, idx)


# -- display -------------------------------------------------------------------------------------------------


def test_a_named_share_is_displayed_as_its_coordinate():
    game = dynamic_platform()
    dyn = gk.replicator(game)
    assert [str(c) for c in dyn.coordinates] == ["x", "y", "z"]
    renamed = gk.Game(
        {p.name: list(p.strategies) for p in game.populations},
        {", ".join(k): [v.replace("*(1 - y)", "*(1 - q)") for v in vals] for k, vals in game.sources.items()},
        dict(game.parameters),
        shares={"q": "platform.insure"},
    )
    other = gk.replicator(renamed)
    assert [str(c) for c in other.coordinates] == ["x", "q", "z"] and "dq/dt" in str(other)
    to = dict(zip(other.coordinates, dyn.coordinates))
    assert all(sympy.expand(a.xreplace(to) - b) == 0 for a, b in zip(other.equations, dyn.equations))
    # a share named like another population's default letter: that letter is not used again
    clash = gk.Game(
        {"g": ["r", "s"], "w": ["c", "a"]},
        {"r, c": ["x", "1"], "r, a": ["0", "0"], "s, c": ["0", "0"], "s, a": ["1", "x"]},
        shares={"x": "w.c"},
    )
    names = [str(c) for c in gk.replicator(clash).coordinates]
    assert names[1] == "x" and names[0] != "x" and len(set(names)) == 2
    assert all(isinstance(c, Coordinate) for c in gk.replicator(clash).coordinates)


def test_group_gain_is_printed_in_binomial_form():
    game = stag_hunt()
    dyn = gk.replicator(game)
    (x,) = dyn.coordinates
    F, c, M = (sympy.Symbol(n, real=True) for n in "FcM")
    values = {F: 8, c: 1, M: 5}
    pi_c = [(k + 1) * R_(8, 10) * (1 if k + 1 >= 5 else 0) - 1 for k in range(10)]
    pi_d = [k * R_(8, 10) * (1 if k >= 5 else 0) for k in range(10)]
    by_hand = sum(sympy.binomial(9, k) * x**k * (1 - x) ** (9 - k) * (pi_c[k] - pi_d[k]) for k in range(10))
    assert sympy.expand(dyn.gains[0].xreplace(values).doit() - by_hand) == 0
    assert "(1 - x)**9" in str(dyn) and "step(" in str(dyn) and "Heaviside" not in str(dyn)


def test_signs_fall_back_to_floating_point_where_exact_powers_are_too_large():
    # p^q at p = 1.0000001, q = 10^8 is about e^10 = 22026.47: refused exactly, evaluated in floating point
    game = gk.Game(
        {"a": ["a1", "a2"], "b": ["b1", "b2"]},
        {"a1, b1": ["p^q - y", "1"], "a1, b2": ["0", "0"], "a2, b1": ["0", "0"], "a2, b2": ["1", "1"]},
        {"p": 1.0000001, "q": 10**8},
        shares={"y": "b.b1"},
    )
    table = gk.stability_table(game)
    assert table["a1, b1"].stability is AS and table["a2, b1"].stability is gk.Stability.UNSTABLE
    assert is_strict_nash(game, (0, 0)) and is_nash(game, (0, 0)) and not is_nash(game, (1, 0))
    eq = linearize(game, [1, 1])
    assert not eq.exact or eq.exact_eigenvalues is None
    big = 1.0000001**1e8 - 1  # y = 1 at the corner
    assert np.allclose(sorted(z.real for z in eq.eigenvalues), [-big, -1], rtol=1e-9)


@pytest.mark.parametrize(
    "make", [hawk_dove, rps, dynamic_platform, stag_hunt], ids=["hawk-dove", "rps", "fine", "stag"]
)
def test_symbolic_equations_and_jacobian_agree_with_the_general_field(make):
    from gamekit.dynamics import general_field, jacobian_from

    game = make()
    dyn, fld = gk.replicator(game), general_field(game)
    values = game.values()
    f = sympy.lambdify(dyn.coordinates, [e.xreplace(values) for e in dyn.equations])
    J = sympy.lambdify(dyn.coordinates, dyn.jacobian.xreplace(values))
    rng = np.random.default_rng(7)
    for _ in range(5):
        rows = [rng.dirichlet(np.ones(n)) for n in game.shape]
        sig = np.concatenate(rows)
        coords = np.concatenate([r[:-1] for r in rows])
        u, du = fld.numeric(sig[None, :])
        off = np.concatenate([[0], np.cumsum(game.shape)]).astype(int)
        field = []
        for p in range(len(rows)):
            up = u[0, off[p] : off[p + 1]]
            field += list(rows[p][:-1] * (up[:-1] - rows[p] @ up))  # sigma_i (u_i - ubar)
        assert np.allclose(f(*coords), field, rtol=1e-9, atol=1e-12)
        assert np.allclose(J(*coords), jacobian_from(sig, u[0], du[0], game.shape), rtol=1e-9, atol=1e-12)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 8), st.lists(st.integers(-4, 4), min_size=6, max_size=6), st.integers(0, 8))
def test_group_game_pure_states_by_hand(size, c, threshold):
    """pi_first(k) = c0 + c1 k + c2 step(k - M), pi_second(k) = c3 + c4 k + c5 step(k + 1 - M), M = threshold."""
    payoffs = {
        "first": f"{c[0]} + {c[1]}*k + {c[2]}*step(k - M)",
        "second": f"{c[3]} + {c[4]}*k + {c[5]}*step(k + 1 - M)",
    }
    game = gk.Game({"players": ["first", "second"]}, payoffs, {"M": threshold}, group={"size": size})

    def first(k):
        return c[0] + c[1] * k + c[2] * (k >= threshold)

    def second(k):
        return c[3] + c[4] * k + c[5] * (k + 1 >= threshold)

    by_hand = {0: second(size - 1) - first(size - 1), 1: first(0) - second(0)}  # the others all play the state's own
    table = gk.stability_table(game)
    for i, row in enumerate(table):
        assert [g.gain.xreplace(game.values()) for g in row.eigenvalues] == [by_hand[i]]
        expected = AS if by_hand[i] < 0 else gk.Stability.UNSTABLE if by_hand[i] > 0 else gk.Stability.NON_HYPERBOLIC
        assert row.stability is expected and is_strict_nash(game, (i,)) == (by_hand[i] < 0)
        eq = linearize(game, [[1 - i, i]], exact=False)
        assert np.allclose([z.real for z in eq.eigenvalues], [by_hand[i]], atol=1e-9)


# -- issue #9 hostile findings: steps of shares, the state layout, local zero decisions -------------------------------


def hawk_dove_with(hawk_vs_dove: str):
    """Hawk-dove (V = 2, C = 4) whose hawk-meets-dove payoff uses the hawk share h."""
    return gk.Game(
        {"players": ["hawk", "dove"]},
        {"hawk, hawk": ["(V - C)/2"], "hawk, dove": [hawk_vs_dove], "dove, hawk": ["0"], "dove, dove": ["V/2"]},
        {"V": 2, "C": 4},
        shares={"h": ("players", "hawk")},
    )


STEP_GAINS = {  # u(hawk) - u(dove) as written, step(0) = 1, by hand
    "V + step(h - 1/2)": lambda h: -h + (1 - h) * (2 + (h >= 0.5)) - (1 - h),
    "V*step(h - 1/2)": lambda h: -h + (1 - h) * 2 * (h >= 0.5) - (1 - h),
}


@pytest.mark.parametrize("fine", sorted(STEP_GAINS))
def test_every_listed_rest_point_of_a_step_game_is_a_rest_point_as_written(fine):
    """d(h) = u(hawk) - u(dove).  'V + step(h - 1/2)': d = 1 - 2h below 1/2 (tends to 0 at 1/2) but d(1/2) = 1/2
    (step(0) = 1), so 1/2 is NOT a rest point; the only interior one is h = 2/3 (d = 2 - 3h), stable.
    'V*step(h - 1/2)': d = -1 below 1/2 and 1 - 2h from 1/2 on: h = 1/2 is a rest point (d(1/2) = 0) where the field
    jumps, semi-stable (orbits below it go to dove): not linearised, never 'asymptotically stable'."""
    game = hawk_dove_with(fine)
    eqs = gk.equilibria(game)
    d = STEP_GAINS[fine]
    for e in eqs:
        h = e.state[0][0]
        assert h in (0.0, 1.0) or abs(d(h)) < 1e-9, e
    mixed = [e for e in eqs if not e.is_pure]
    if fine == "V + step(h - 1/2)":
        (only,) = mixed
        assert only.state[0][0] == pytest.approx(2 / 3, abs=1e-12) and only.stability is AS
        assert any("not rest points of the field as written" in n for n in eqs.notes)
        with pytest.raises(gk.StateError, match="as written|not a rest point"):
            linearize(game, [[0.5]])
    else:
        (only,) = mixed
        assert only.state[0][0] == pytest.approx(0.5, abs=1e-12)
        assert only.stability is gk.Stability.NOT_LINEARISED and only.eigenvalues == ()
        assert "step(h - 1/2)" in only.note and "not differentiable" in only.note
        by_hand = linearize(game, [[0.5]])
        assert by_hand.stability is gk.Stability.NOT_LINEARISED and by_hand.eigenvalues == ()


def test_a_kink_of_abs_is_not_linearised_but_a_smooth_point_is():
    """u(hawk vs dove) = V + abs(h - 1/3): d(h) = 1 - 2h + |h - 1/3| (1 - h) has its root where h > 1/3:
    1 - 2h + (h - 1/3)(1 - h) = 0, i.e. h^2 + 2/3 h - 2/3 = 0 -> h = (-1 + sqrt(7))/3, away from the kink:
    linearised as usual; the kink h = 1/3 (d = 1/3) is no rest point."""
    eqs = gk.equilibria(hawk_dove_with("V + abs(h - 1/3)"))
    (mixed,) = [e for e in eqs if not e.is_pure]
    root = (-1 + np.sqrt(7)) / 3
    assert mixed.state[0][0] == pytest.approx(root, abs=1e-12)
    slope = -2 + (1 - root) - (root - 1 / 3)  # d'(root)
    assert mixed.stability is AS and mixed.eigenvalues[0].real == pytest.approx(root * (1 - root) * slope, rel=1e-9)


MODELS = sorted(p.stem for p in (__import__("pathlib").Path(gk.__file__).parent / "models").glob("*.toml"))


@pytest.mark.parametrize("name", MODELS)
def test_linearize_of_a_listed_state_is_that_rest_point(name):
    """The round trip e -> linearize(game, e.state) (one mixed strategy per population) is the identity."""
    game = gk.load(name)
    for e in gk.equilibria(game):
        again = linearize(game, e.state)
        assert np.allclose(np.concatenate(again.state), np.concatenate(e.state), atol=1e-9), (e, again)
        assert again.stability is e.stability and again.profile == e.profile
        assert np.allclose(
            sorted(again.eigenvalues, key=lambda z: (z.real, z.imag)),
            sorted(e.eigenvalues, key=lambda z: (z.real, z.imag)),
            atol=1e-9,
        )


def test_linearize_reads_one_mixed_strategy_per_population_and_refuses_several_states():
    bos = gk.load("battle-of-the-sexes")
    opera = linearize(bos, ((1.0, 0.0), (1.0, 0.0)))  # both at opera: strict, gains -2 and -1
    assert opera.profile == ("opera", "opera") and opera.stability is AS
    ins = gk.load("inspection-dynamic-fine")
    saddle = linearize(ins, [[1, 0], [0.25, 0.75]])  # x = 1, y = 1/4: the issue's saddle
    assert saddle.state == ((1.0, 0.0), (0.25, 0.75)) and saddle.stability is gk.Stability.SADDLE
    with pytest.raises(gk.StateError, match="ONE state"):
        linearize(gk.load("hawk-dove"), [[1, 0], [0.5, 0.5]])
    with pytest.raises(gk.StateError, match="ONE state"):
        linearize(ins, [[1, 0.25], [0.5, 0.5], [0.2, 0.2]])
    plat = gk.load("platform-insurance-dynamic-fine")  # three populations: the layout of Equilibrium.state
    (e,) = [e for e in gk.equilibria(plat) if e.exact_state is not None and not e.is_pure and e.stability is AS]
    assert linearize(plat, e.state).state == e.state


def stag_gain(x, F, c=1.0, N=10, M=5):
    """d(x) = sum_k C(N-1, k) x^k (1-x)^(N-1-k) (pi_c(k) - pi_d(k)) of the shipped stag hunt, by hand."""
    from math import comb

    total = 0.0
    for k in range(N):
        coop = (k + 1) * F * c / N * (k + 1 >= M) - c
        defect = k * F * c / N * (k >= M)
        total += comb(N - 1, k) * x**k * (1 - x) ** (N - 1 - k) * (coop - defect)
    return total


@pytest.mark.parametrize("F", [1e9, 1e12, 1e20, 1e60, 1e99])
def test_a_clear_eigenvalue_is_not_zero_because_payoffs_are_large_elsewhere(F):
    """Stag hunt with a huge F: one interior rest point x* near 0, eigenvalue x(1 - x) d'(x) at x* (about +4), while
    payoffs reach F elsewhere.  Unstable, never 'non-hyperbolic'; for F = 1e60, x* = 3.5e-16 is listed (a point that
    close to the vertex, but where the payoffs are not tied, is no rounding copy of the vertex); for F = 1e99,
    x* = 6.3e-26 (its isolating interval is refined relative to its distance from 0)."""
    eqs = gk.equilibria(gk.load("stag-hunt").with_parameters(F=F))
    (mid,) = [e for e in eqs if not e.is_pure]
    x = mid.state[0][0]
    h = x * 1e-6
    slope = (stag_gain(x + h, F) - stag_gain(x - h, F)) / (2 * h)
    assert mid.eigenvalues[0].real == pytest.approx(x * (1 - x) * slope, rel=1e-5)
    assert mid.eigenvalues[0].real > 3 and mid.stability is gk.Stability.UNSTABLE


def test_local_zero_decisions_keep_scale_invariance():
    """Every payoff times 1e9 or 1e-9 (each payoff is c times a function of F and k: c scaled): same points, labels."""
    base = gk.load("stag-hunt")
    labels = None
    for factor in [1.0, 1e9, 1e-9]:
        g = base.with_parameters(c=factor)
        got = [(round(e.state[0][0], 9), e.stability) for e in gk.equilibria(g)]
        labels = labels or got
        assert got == labels
    assert [s for _, s in labels].count(AS) == 2


def test_an_eigenvalue_small_beside_a_huge_one_keeps_its_sign():
    """Inspection with the inspector's payoff F exp(100 y) - c at (inspect, violate) (c = 1, F = 4, g = 1): at x = 1,
    y = g/F the tangent Jacobian is triangular with diagonal -(F y e^(100 y) - c) and -F y (1 - y) = -0.75: both
    negative, so asymptotically stable, though the first is -7.2e10."""
    game = gk.Game(
        {"inspector": ["inspect", "ignore"], "firm": ["violate", "comply"]},
        {
            "inspect, violate": ["F*exp(100*y) - c", "g - F*y"],
            "inspect, comply": ["-c", "0"],
            "ignore, violate": ["0", "g"],
            "ignore, comply": ["0", "0"],
        },
        {"c": 1, "F": 4, "g": 1},
        shares={"y": ("firm", "violate")},
    )
    (e,) = [e for e in gk.equilibria(game) if e.state[0][0] == 1 and 0 < e.state[1][0] < 1]
    y = 0.25
    expected = sorted([-(4 * y * np.exp(100 * y) - 1), -4 * y * (1 - y)])
    assert e.state[1][0] == pytest.approx(y, abs=1e-12)
    assert np.allclose(sorted(z.real for z in e.eigenvalues), expected, rtol=1e-9)
    assert e.stability is AS


def test_the_table_does_not_label_a_pure_state_where_a_step_switches():
    # hawk-dove with a bonus V*step(h - 1) (h the hawk share): at all-hawk the step's argument is zero, the field is
    # not differentiable there and the table says so, as gk.equilibria does; at all-dove the gains decide (-1)
    payoffs = {"hawk, hawk": "(V - C)/2", "hawk, dove": "V*step(h - 1)", "dove, hawk": "0", "dove, dove": "V/2"}
    game = gk.Game({"players": ["hawk", "dove"]}, payoffs, {"V": 2, "C": 4}, shares={"h": ("players", "hawk")})
    table = gk.stability_table(game)
    assert [str(r.stability) for r in table] == ["not linearised", "asymptotically stable"]
    by_profile = {e.profile: str(e.stability) for e in gk.equilibria(game) if e.is_pure}
    assert by_profile == {("hawk",): "not linearised", ("dove",): "asymptotically stable"}
