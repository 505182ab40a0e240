"""Rest points of games that are not multilinear: symmetric one-population games, group games, shares in payoffs.

The issue's facts are checked against the numbers derived by hand in each test's docstring; the property tests
compare random one-population games with an independent support enumeration (sympy's linsolve per support) and
with nashpy's symmetric Nash equilibria, and check the invariances (a constant added to a column, a common scale).
"""

from __future__ import annotations

import itertools
import math
import pickle
import warnings

import nashpy
import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

import gamekit as gk
from gamekit.expr import make_symbol

SLOW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
AS, SADDLE, UNSTABLE, NH = (
    gk.Stability.ASYMPTOTICALLY_STABLE,
    gk.Stability.SADDLE,
    gk.Stability.UNSTABLE,
    gk.Stability.NON_HYPERBOLIC,
)


# -- the games of the issue, built here with gk.Game ----------------------------------------------------


def hawk_dove(V=2, C=4):
    payoffs = {"hawk, hawk": ["(V - C)/2"], "hawk, dove": ["V"], "dove, hawk": ["0"], "dove, dove": ["V/2"]}
    return gk.Game({"players": ["hawk", "dove"]}, payoffs, {"V": V, "C": C})


def rock_paper_scissors(w, l):  # noqa: E741 - the issue's name for the loss
    """A[i][i+1 mod 3] = -l (rock loses to paper), A[i][i-1 mod 3] = w (rock beats scissors)."""
    s = ["rock", "paper", "scissors"]
    payoffs = {
        f"{s[i]}, {s[j]}": ["0" if i == j else "-l" if j == (i + 1) % 3 else "w"] for i in range(3) for j in range(3)
    }
    return gk.Game({"players": s}, payoffs, {"w": w, "l": l})


def inspection(dynamic: bool):
    """Inspector (inspect, trust) against inspectee (violate, comply); a caught violation pays the fine to the
    inspector.  Dynamic: the fine is F*y, y the violation share."""
    fine = "F*y" if dynamic else "F"
    return gk.Game(
        {"inspector": ["inspect", "trust"], "inspectee": ["violate", "comply"]},
        {
            "inspect, violate": [f"{fine} - c", f"g - {fine}"],
            "inspect, comply": ["-c", "0"],
            "trust, violate": ["0", "g"],
            "trust, comply": ["0", "0"],
        },
        {"c": 1, "F": 4, "g": 1},
        shares={"y": ("inspectee", "violate")} if dynamic else None,
    )


def dynamic_platform():
    """The platform model with the fine F replaced by F*(1 - y), y the share of insuring platforms; trap values."""
    base = gk.models.platform_insurance()
    F, y = make_symbol("F"), make_symbol("y")
    payoffs = {
        ", ".join(base.profile_names(idx)): [t[idx].xreplace({F: F * (1 - y)}) for t in base.payoff_tensors]
        for idx in base.profiles()
    }
    game = gk.Game(
        {p.name: list(p.strategies) for p in base.populations},
        payoffs,
        dict(base.parameters),
        shares={"y": ("platform", "insure")},
        states=dict(base.states),
    )
    return game.with_parameters(base.scenarios["trap"])


STAG_COOPERATE = "(k + 1)*F*c/10*step(k + 1 - M) - c"
STAG_DEFECT = "k*F*c/10*step(k - M)"


def stag_hunt(F, M=5, c=1, size=10):
    return gk.Game(
        {"players": ["cooperate", "defect"]},
        {"cooperate": STAG_COOPERATE.replace("/10", f"/{size}"), "defect": STAG_DEFECT.replace("/10", f"/{size}")},
        {"F": F, "M": M, "c": c},
        group={"size": size, "count": "k"},
    )


def symmetric(A, suffix=""):
    """The one-population game with payoff matrix A (my payoff, mine x the opponent's)."""
    names = [f"s{i}" for i in range(len(A))]
    payoffs = {f"{names[i]}, {names[j]}": [f"({A[i][j]}){suffix}"] for i in range(len(A)) for j in range(len(A))}
    return gk.Game({"players": names}, payoffs)


def by_state(eqs):
    return {tuple(np.round(e.coordinates, 9)): e for e in eqs}


def exact_states(eqs):
    return {tuple(v for row in e.exact_state for v in row) for e in eqs}


def signature(eqs):
    points = sorted((tuple(np.round(e.coordinates, 7)), e.stability.value) for e in eqs)
    return points, sorted(c.support for c in eqs.continua)


def check_listed_once(eqs, gap=1e-6):
    flat = [np.concatenate([np.asarray(s) for s in e.state]) for e in eqs]
    for a, b in itertools.combinations(flat, 2):
        assert np.max(np.abs(a - b)) > gap, "a rest point is listed twice"


# -- the facts of the issue -------------------------------------------------------------------------------


def test_hawk_dove_mixed_state_is_stable_and_pure_states_unstable():
    """dx/dt = x (1 - x) (V - C x)/2: x = V/C = 1/2 with slope -V (C - V)/(2C) = -1/2; +1 at both vertices."""
    eqs = gk.equilibria(hawk_dove())
    assert eqs.complete and not eqs.continua and len(eqs) == 3
    mixed = by_state(eqs)[(0.5,)]
    assert mixed.exact and mixed.exact_state == ((sympy.Rational(1, 2), sympy.Rational(1, 2)),)
    assert mixed.exact_eigenvalues == (sympy.Rational(-1, 2),) and mixed.stability is AS
    for profile in (("hawk",), ("dove",)):
        (pure,) = [e for e in eqs if e.profile == profile]
        assert pure.exact_eigenvalues == (1,) and pure.stability is UNSTABLE


@pytest.mark.parametrize("w, l, label", [(2, 1, AS), (1, 1, NH), (1, 2, UNSTABLE)])
def test_rock_paper_scissors_centre(w, l, label):  # noqa: E741
    """At the centre: eigenvalues (l - w)/6 +- i sqrt(3) (w + l)/6; each corner a saddle (w and -l)."""
    eqs = gk.equilibria(rock_paper_scissors(w, l))
    assert eqs.complete and len(eqs) == 4
    (centre,) = [e for e in eqs if e.is_interior]
    assert centre.exact_state == ((sympy.Rational(1, 3),) * 3,)
    expected = sorted([complex((l - w) / 6, s * math.sqrt(3) * (w + l) / 6) for s in (-1, 1)], key=lambda z: z.imag)
    assert np.allclose(sorted(centre.eigenvalues, key=lambda z: z.imag), expected, atol=1e-12)
    assert centre.stability is label
    for corner in (e for e in eqs if e.is_pure):
        assert corner.stability is SADDLE and sorted(corner.exact_eigenvalues) == [-l, w]


def test_inspection_game_with_a_dynamic_fine():
    """Inspector: F y^2 - c = 0 gives y = 1/2; inspectee: g - F x y = 0 gives x = 1/2.  J = [[0, 1], [-1/2, -1/2]]:
    -1/4 +- i sqrt(7)/4.  On x = 1: y = g/F = 1/4, eigenvalues -(F y^2 - c) = 3/4 and -F y (1 - y) = -3/4."""
    eqs = gk.equilibria(inspection(dynamic=True))
    assert eqs.complete and not eqs.continua and len(eqs) == 6
    states = by_state(eqs)
    centre = states[(0.5, 0.5)]
    assert centre.stability is AS and centre.exact
    assert np.allclose(
        sorted(centre.eigenvalues, key=lambda z: z.imag),
        [complex(-0.25, -math.sqrt(7) / 4), complex(-0.25, math.sqrt(7) / 4)],
    )
    assert {sympy.nsimplify(e) for e in centre.exact_eigenvalues} == {
        sympy.Rational(-1, 4) + s * sympy.sqrt(7) * sympy.I / 4 for s in (-1, 1)
    }
    saddle = states[(1.0, 0.25)]
    assert saddle.stability is SADDLE and set(saddle.exact_eigenvalues) == {sympy.Rational(3, 4), sympy.Rational(-3, 4)}
    check_listed_once(eqs)


def test_an_irrational_interior_point_is_exact_with_exact_eigenvalues():
    """c = 2: F y^2 = c gives y = sqrt(2)/2, g = F x y gives x = sqrt(2)/4.  The Jacobian of
    (x (1 - x)(F y^2 - c), y (1 - y)(g - F x y)) there is [[0, 2 F x (1 - x) y], [-F y^2 (1 - y), -F x y (1 - y)]]."""
    eqs = gk.equilibria(inspection(dynamic=True).with_parameters(c=2))
    (centre,) = [e for e in eqs if e.is_interior]
    assert centre.exact_state[0][0] == sympy.sqrt(2) / 4 and centre.exact_state[1][0] == sympy.sqrt(2) / 2
    x, y, F = math.sqrt(2) / 4, math.sqrt(2) / 2, 4
    J = np.array([[0, 2 * F * x * (1 - x) * y], [-F * y**2 * (1 - y), -F * x * y * (1 - y)]])
    key = lambda z: z.imag  # noqa: E731
    assert np.allclose(sorted(centre.eigenvalues, key=key), sorted(np.linalg.eigvals(J), key=key), atol=1e-12)
    exact = sorted((complex(sympy.N(e, 30)) for e in centre.exact_eigenvalues), key=key)
    assert np.allclose(exact, sorted(np.linalg.eigvals(J), key=key), atol=1e-12)
    assert centre.stability is AS


def test_inspection_game_with_a_static_fine_has_a_centre():
    eqs = gk.equilibria(inspection(dynamic=False))
    (centre,) = [e for e in eqs if e.is_interior]
    assert tuple(centre.coordinates) == (0.25, 0.25) and centre.stability is NH


def test_dynamic_fine_platform_has_two_attractors_and_a_saddle_on_a_face():
    eqs = gk.equilibria(dynamic_platform())
    assert eqs.complete and not eqs.continua and not eqs.uncertain
    check_listed_once(eqs)
    stable = {tuple(np.round(e.coordinates, 9)) for e in eqs.stable()}
    assert stable == {(1.0, 0.0, 0.0), (1.0, 0.6, 1.0)}
    good = by_state(eqs)[(1.0, 0.6, 1.0)]
    assert good.exact_state[1] == (sympy.Rational(3, 5), sympy.Rational(2, 5))
    assert sorted(good.exact_eigenvalues) == [sympy.Rational(-12, 5), -2, -1]
    (saddle,) = [e for e in eqs if not e.is_pure and e.stability is SADDLE]
    assert np.allclose(saddle.coordinates, [1, 0.2, 0.4737], atol=1e-4)
    assert saddle.exact_state[1][0] == sympy.Rational(1, 5) and saddle.exact_state[2][0] == sympy.Rational(9, 19)
    assert not any(e.is_interior for e in eqs)  # the regulation cycles of the fixed fine are gone


def _stag_gain(x, F, M=5, c=1, N=10):
    """u(cooperate) - u(defect), summed by hand over the binomial distribution of the others' count k."""
    total = 0.0
    for k in range(N):
        coop = (k + 1) * F * c / N * (k + 1 - M >= 0) - c
        defect = k * F * c / N * (k - M >= 0)
        total += math.comb(N - 1, k) * x**k * (1 - x) ** (N - 1 - k) * (coop - defect)
    return total


def test_ten_person_stag_hunt():
    eqs = gk.equilibria(stag_hunt(F=8))
    assert eqs.complete and len(eqs) == 4
    found = sorted((e.coordinates[0], e.stability) for e in eqs)
    assert [s for _, s in found] == [AS, UNSTABLE, AS, UNSTABLE]
    grid = np.linspace(1e-6, 1 - 1e-6, 2001)
    gains = [_stag_gain(x, 8) for x in grid]
    roots = [
        brentq(_stag_gain, a, b, args=(8,), xtol=1e-15)
        for a, b, fa, fb in zip(grid, grid[1:], gains, gains[1:])
        if fa * fb < 0
    ]
    assert np.allclose([x for x, _ in found[1:3]], roots, atol=1e-12)
    assert np.allclose(roots, [0.3468, 0.7068], atol=1e-4)
    inner = [e for e in eqs if not e.is_pure]
    assert all(not e.exact for e in inner)  # algebraic of degree > 2: given numerically, and said so
    assert any("degree above 2" in n for n in eqs.notes)
    low = gk.equilibria(stag_hunt(F=4))
    assert sorted(e.coordinates[0] for e in low) == [0.0, 1.0] and low.complete


def test_quadratic_roots_are_exact_surds_with_exact_eigenvalues():
    """Groups of 3, gains -1, 3, -1 for k = 0, 1, 2: Delta(x) = -1 + 8x - 8x^2, roots (2 -+ sqrt 2)/4 where
    x (1 - x) = 1/8 and Delta' = 8 - 16 x = +-4 sqrt 2: eigenvalues +-sqrt(2)/2."""
    game = gk.Game(
        {"players": ["cooperate", "defect"]}, {"cooperate": "-1 + 8*k - 4*k^2", "defect": "0"}, group={"size": 3}
    )
    eqs = gk.equilibria(game)
    assert eqs.complete and len(eqs) == 4
    inner = sorted((e for e in eqs if not e.is_pure), key=lambda e: e.coordinates[0])
    r = sympy.sqrt(2) / 4
    assert [e.exact_state[0][0] for e in inner] == [sympy.Rational(1, 2) - r, sympy.Rational(1, 2) + r]
    assert [e.exact_eigenvalues for e in inner] == [(sympy.sqrt(2) / 2,), (-sympy.sqrt(2) / 2,)]
    assert [e.stability for e in inner] == [UNSTABLE, AS]


def test_a_symmetric_game_whose_payoffs_use_its_own_shares():
    """Hawk-dove with a fight that costs C (1 + x), x the share of hawks: Delta(x) = (V - C x - C x^2)/2, so
    x = (sqrt(1 + 4V/C) - 1)/2 = (sqrt 3 - 1)/2 at V = 2, C = 4, with eigenvalue x (1 - x) Delta'(x) = 3 sqrt 3 - 6."""
    payoffs = {"hawk, hawk": ["(V - C*(1 + x))/2"], "hawk, dove": ["V"], "dove, hawk": ["0"], "dove, dove": ["V/2"]}
    game = gk.Game({"players": ["hawk", "dove"]}, payoffs, {"V": 2, "C": 4}, shares={"x": ("players", "hawk")})
    eqs = gk.equilibria(game)
    assert eqs.complete and len(eqs) == 3
    (mixed,) = [e for e in eqs if not e.is_pure]
    assert sympy.simplify(mixed.exact_state[0][0] - (sympy.sqrt(3) - 1) / 2) == 0
    assert sympy.simplify(mixed.exact_eigenvalues[0] - (3 * sympy.sqrt(3) - 6)) == 0
    assert mixed.stability is AS


def test_a_group_game_whose_strategies_always_earn_the_same_is_a_continuum():
    game = gk.Game({"players": ["a", "b"]}, {"a": "k", "b": "k"}, group={"size": 4})
    eqs = gk.equilibria(game)
    assert [e.profile for e in eqs] == [("a",), ("b",)]
    assert [(c.support, c.dimension) for c in eqs.continua] == [((("a", "b"),), 1)]
    assert all(e.stability is NH for e in eqs)


def test_a_large_group_is_solved_in_the_worker_or_numerically_without_budget():
    """Size 40, M = 20, F = 16: the gain is a polynomial of degree 39 (above INLINE_DEGREE), isolated by sympy in
    its process; with no budget the face is searched numerically and finds the same two roots."""
    gain = lambda x: _stag_gain(x, 16, M=20, N=40)  # noqa: E731
    grid = np.linspace(1e-6, 1 - 1e-6, 4001)
    values = np.array([gain(x) for x in grid])
    roots = [brentq(gain, a, b, xtol=1e-15) for a, b, fa, fb in zip(grid, grid[1:], values, values[1:]) if fa * fb < 0]
    assert len(roots) == 2
    exact = gk.equilibria(stag_hunt(F=16, M=20, size=40))
    numeric = gk.equilibria(stag_hunt(F=16, M=20, size=40), time_budget=0)
    assert exact.complete and not numeric.complete
    for eqs in (exact, numeric):
        inner = sorted(e.coordinates[0] for e in eqs if not e.is_pure)
        assert np.allclose(inner, roots, atol=1e-10)
        assert [e.stability for e in sorted(eqs, key=lambda e: e.coordinates[0])] == [AS, UNSTABLE, AS, UNSTABLE]


# -- budgets, numeric faces and what the result says ---------------------------------------------------------


def test_no_budget_searches_the_polynomial_face_numerically_and_says_so():
    game = inspection(dynamic=True)
    exact = gk.equilibria(game)
    numeric = gk.equilibria(game, time_budget=0)
    assert not numeric.complete and numeric.numeric_faces == 1
    assert any("time budget" in n for n in numeric.notes)
    assert signature(numeric) == signature(exact)
    assert not by_state(numeric)[(0.5, 0.5)].exact


@pytest.mark.parametrize("build", [lambda: inspection(True), dynamic_platform, lambda: stag_hunt(8), hawk_dove])
def test_floating_point_finds_the_same_points_once(build):
    game = build()
    exact, numeric = gk.equilibria(game), gk.equilibria(game, exact=False)
    assert signature(numeric) == signature(exact)
    assert not any(e.exact for e in numeric)
    check_listed_once(numeric)


def inspection_with(fine: str):
    return gk.Game(
        {"inspector": ["inspect", "trust"], "inspectee": ["violate", "comply"]},
        {
            "inspect, violate": [f"{fine} - c", f"g - {fine}"],
            "inspect, comply": ["-c", "0"],
            "trust, violate": ["0", "g"],
            "trust, comply": ["0", "0"],
        },
        {"c": 1, "F": 4, "g": 1},
        shares={"y": ("inspectee", "violate")},
    )


@pytest.mark.parametrize("fine", ["F*y*exp(y - 1)", "F*step(y - 1/3)"])
def test_payoffs_that_are_not_polynomial_in_the_shares_are_searched_numerically(fine):
    """A fine F y e^(y - 1): the interior solves 4 y^2 e^(y - 1) = 1 and x = 1/(4 y e^(y - 1)) = y.  A fine paid
    only once violations pass a threshold, F step(y - 1/3): no rest point but the vertices (the gains jump over 0)."""
    game = inspection_with(fine)
    eqs = gk.equilibria(game)
    assert not eqs.complete and eqs.numeric_faces >= 1
    check_listed_once(eqs)
    field = gk.dynamics.general_field(game)
    for e in eqs:  # every point a rest point: the strategies in use earn the same
        u = field.payoffs(np.concatenate(e.state)[None, :])[0]
        for p, off in enumerate((0, 2)):
            used = [u[off + i] for i in range(2) if e.state[p][i] > 0]
            assert max(used) - min(used) <= 1e-9 * field.scale
    inner = [e for e in eqs if not e.is_pure]
    if "exp" in fine:
        y = brentq(lambda y: 4 * y**2 * math.exp(y - 1) - 1, 0.1, 1, xtol=1e-15)
        (centre,) = [e for e in inner if e.is_interior]
        assert np.allclose(centre.coordinates, [y, y], atol=1e-12) and not centre.exact
    else:
        assert not inner


@pytest.mark.parametrize("exact", [True, False])
def test_payoffs_spanning_many_orders_of_magnitude_give_no_false_points(exact):
    """F e^(100 y) ranges over 44 orders: rest points are verified against local, not global, magnitudes, so the
    face x = 1 (where 1 - 4 e^(100 y) < 0 throughout) holds none, and the interior point 4 y e^(100 y) = 1, x = y
    is found once."""
    eqs = gk.equilibria(inspection_with("F*exp(100*y)"), exact=exact)
    assert not eqs.continua and not eqs.uncertain
    y = brentq(lambda y: 4 * y * math.exp(100 * y) - 1, 1e-9, 1, xtol=1e-16)
    assert [tuple(e.coordinates) for e in eqs if not e.is_pure] == [pytest.approx((y, y), abs=1e-12)]


def test_a_payoff_without_a_derivative_where_its_strategy_is_unused_is_linearised():
    """F sqrt(y): at y = 0 its derivative is infinite, but it enters the Jacobian times y = 0.  Interior: F y^(3/2) = c
    and g = F x sqrt(y), so x = y = 4^(-2/3); at (inspect, comply) the gains are c = 1 and g = 1: unstable."""
    eqs = gk.equilibria(inspection_with("F*sqrt(y)"))
    check_listed_once(eqs)
    (centre,) = [e for e in eqs if e.is_interior]
    assert np.allclose(centre.coordinates, [4 ** (-2 / 3)] * 2, atol=1e-12)
    (corner,) = [e for e in eqs if e.profile == ("inspect", "comply")]
    assert corner.exact_eigenvalues == (1, 1) and corner.stability is UNSTABLE
    (edge,) = [e for e in eqs if not e.is_pure and not e.is_interior]  # x = 1: g = F sqrt(y), y = 1/16
    assert np.allclose(edge.coordinates, [1, 1 / 16], atol=1e-12) and edge.stability is SADDLE
    assert np.all(np.isfinite(np.concatenate([e.eigenvalues for e in eqs])))


def test_a_payoff_in_use_without_a_derivative_at_a_rest_point_is_listed_not_linearised():
    """F log(1 - y): infinite at the vertices where every inspectee violates, where the inspector's payoffs are used.
    Those two vertices get no Jacobian (label "not linearised", no eigenvalue, a note saying why); the analysis of the
    others goes on: at y = 0 the fine vanishes, so (inspect, comply) has gains c = 1 and g = 1 (unstable) and
    (trust, comply) gains -c = -1 and g = 1 (saddle).  No interior point: y F log(1 - y) - c < 0."""
    eqs = gk.equilibria(inspection_with("F*log(1 - y)"))
    check_listed_once(eqs)
    by = {e.profile: e for e in eqs}
    assert set(by) == {("inspect", "violate"), ("inspect", "comply"), ("trust", "violate"), ("trust", "comply")}
    for undecided in [("inspect", "violate"), ("trust", "violate")]:
        e = by[undecided]
        assert e.stability is gk.Stability.NOT_LINEARISED and e.eigenvalues == ()
        assert "not differentiable" in e.note and "not linearised" in str(e)
        assert e.to_json()["stability"] == "not linearised"
    assert by[("inspect", "comply")].exact_eigenvalues == (1, 1) and by[("inspect", "comply")].stability is UNSTABLE
    assert sorted(by[("trust", "comply")].exact_eigenvalues) == [-1, 1]
    assert by[("trust", "comply")].stability is SADDLE
    assert any("not linearised" in n for n in eqs.notes)


def test_identical_strategies_make_a_continuum_not_points():
    """s0 and s1 earn the same everywhere: the edge {s0, s1} is a continuum, and so is the line x0 + x1 = x2 = 1/2
    of the interior (u0 = x0 + x1 = u2 = 2 (x0 + x1) - x2)."""
    eqs = gk.equilibria(symmetric([[1, 1, 0], [1, 1, 0], [2, 2, -1]]))
    assert [c.support for c in eqs.continua] == [(("s0", "s1"),), (("s0", "s1", "s2"),)]
    assert [c.dimension for c in eqs.continua] == [1, 1]
    assert math.isclose(eqs.continua[1].example[0][2], 0.5)
    assert not any(set(e.support[0]) >= {"s0", "s1"} for e in eqs)


def test_result_pickles_and_prints_and_shows_progress(capsys):
    eqs = gk.equilibria(dynamic_platform(), progress=True)
    assert pickle.loads(pickle.dumps(eqs)) == eqs
    assert "faces" in capsys.readouterr().err
    gk.equilibria(dynamic_platform(), exact=False, progress=True)
    assert "numeric faces" in capsys.readouterr().err
    assert repr(eqs) == "Equilibria(10 rest points, 0 continua, complete=True)"
    assert "(1, 3/5, 1): asymptotically stable" in str(eqs)


# -- properties of random one-population games ---------------------------------------------------------------


@st.composite
def matrices(draw, lo=-5, hi=5):
    n = draw(st.integers(3, 4))
    return [[draw(st.integers(lo, hi)) for _ in range(n)] for _ in range(n)]


def support_enumeration(A):
    """Independent oracle: per support S, sympy's linsolve of A_SS x = lam 1, sum x = 1; points with x > 0,
    and the supports whose solution set has free symbols."""
    n = len(A)
    points, loose = set(), set()
    for r in range(1, n + 1):
        for S in itertools.combinations(range(n), r):
            x = sympy.symbols(f"x0:{r}")
            lam = sympy.Symbol("lam")
            eqs = [sum(A[i][j] * x[a] for a, j in enumerate(S)) - lam for i in S] + [sum(x) - 1]
            for sol in sympy.linsolve(eqs, [*x, lam]):
                if any(v.free_symbols for v in sol[:r]):
                    loose.add(S)
                elif all(v > 0 for v in sol[:r]):
                    full = [sympy.Integer(0)] * n
                    for a, j in enumerate(S):
                        full[j] = sol[a]
                    points.add(tuple(full))
    return points, loose


@SLOW
@given(matrices())
def test_rest_points_agree_with_support_enumeration(A):
    eqs = gk.equilibria(symmetric(A))
    expected, loose = support_enumeration(A)
    assert eqs.complete and all(e.exact for e in eqs)
    assert exact_states(eqs) == expected
    names = [f"s{i}" for i in range(len(A))]
    assert {c.support for c in eqs.continua} <= {(tuple(names[i] for i in S),) for S in loose}


@SLOW
@given(matrices())
def test_symmetric_nash_equilibria_are_rest_points(A):
    eqs = gk.equilibria(symmetric(A))
    states = [np.array(e.state[0]) for e in eqs]
    continua = {c.support for c in eqs.continua}
    names = [f"s{i}" for i in range(len(A))]
    M = np.array(A, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = list(nashpy.Game(M, M.T).support_enumeration())
    for x, y in found:
        if not np.allclose(x, y, atol=1e-9):
            continue
        support = (tuple(names[i] for i in np.nonzero(x > 1e-9)[0]),)
        assert support in continua or any(np.allclose(x, s, atol=1e-9) for s in states), (x, A)


@SLOW
@given(matrices(), st.data())
def test_a_constant_added_to_a_column_changes_nothing(A, data):
    """A[:, j] + c_j is a payoff that depends only on the opponent's strategy: it moves no rest point and no label."""
    c = [data.draw(st.integers(-7, 7)) for _ in A]
    B = [[A[i][j] + c[j] for j in range(len(A))] for i in range(len(A))]
    ours, theirs = gk.equilibria(symmetric(A)), gk.equilibria(symmetric(B))
    assert signature(ours) == signature(theirs)
    assert exact_states(ours) == exact_states(theirs)


@SLOW
@given(matrices())
def test_pure_states_are_rest_points_stable_iff_strict(A):
    eqs = gk.equilibria(symmetric(A))
    n = len(A)
    for s in range(n):
        (pure,) = [e for e in eqs if e.profile == (f"s{s}",)]
        strict = all(A[j][s] < A[s][s] for j in range(n) if j != s)
        assert (pure.stability is AS) == strict
        assert sorted(pure.exact_eigenvalues) == sorted(A[j][s] - A[s][s] for j in range(n) if j != s)


@SLOW
@given(matrices(), st.sampled_from(["*1e9", "*1e-9"]), st.booleans())
def test_scaling_every_payoff_changes_no_rest_point_and_no_label(A, suffix, exact):
    ours = gk.equilibria(symmetric(A), exact=exact)
    theirs = gk.equilibria(symmetric(A, suffix), exact=exact)
    assert signature(ours) == signature(theirs)


@pytest.mark.parametrize("suffix", ["*1e99", "*1e-99"])
def test_extreme_payoff_scales_change_no_label(suffix):
    A = [[1, 2, 3], [4, 5, 6], [0, 1, 7]]
    assert signature(gk.equilibria(symmetric(A))) == signature(gk.equilibria(symmetric(A, suffix)))


@st.composite
def dynamic_games(draw):
    """Two populations (2 x 2 or 2 x 3 strategies); every payoff a + b*y + c*x*y with x, y the first strategies'
    shares: faces are polynomial (up to cubic), the ones with several unknowns go to sympy."""
    cols = ["l", "m", "r"][: draw(st.integers(2, 3))]
    pay = {}
    for a, b in itertools.product(["u", "d"], cols):
        pay[f"{a}, {b}"] = [
            f"{draw(st.integers(-3, 3))} + {draw(st.integers(-3, 3))}*y + {draw(st.integers(-2, 2))}*x*y"
            for _ in range(2)
        ]
    return gk.Game({"row": ["u", "d"], "col": cols}, pay, shares={"x": ("row", "u"), "y": ("col", "l")})


def check_rest_points(game, eqs):
    """Every point a rest point (the strategies in use earn the same, relative to the payoff scale), listed once."""
    field = gk.dynamics.general_field(game)
    off = np.concatenate([[0], np.cumsum(game.shape)])
    for e in eqs:
        u = field.payoffs(np.concatenate(e.state)[None, :])[0]
        for p, row in enumerate(e.state):
            used = [u[off[p] + i] for i in range(len(row)) if row[i] > 0]
            assert max(used) - min(used) <= 1e-9 * field.scale, (e, "not a rest point")
    check_listed_once(eqs)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dynamic_games())
def test_newton_finds_what_sympy_finds_on_polynomial_faces(game):
    exact = gk.equilibria(game)
    numeric = gk.equilibria(game, exact=False)
    check_rest_points(game, exact)
    check_rest_points(game, numeric)
    if exact.continua or numeric.continua:
        return
    assert exact.complete
    assert signature(numeric) == signature(exact)


# -- issue #9 hostile findings: decimal payoffs, payoffs undefined at a count or a state ------------------------------


DEGENERATE = [[4, 1, 4, -5], [0, -3, 3, 4], [-4, -5, -1, -3], [0, 1, -4, -4]]


def decimal_game(A, factor):
    S = "abcd"
    return gk.Game({"p": list(S)}, {f"{S[i]}, {S[j]}": [A[i][j] * factor] for i in range(4) for j in range(4)})


def test_a_degenerate_point_is_listed_once_whatever_the_payoffs_unit():
    """(1/5, 0, 0, 4/5) is a rest point with c tied there (u(a) = u(c) = u(d) = -16/5 for the integer matrix), so a
    zero eigenvalue.  With payoffs 0.1 A (0.1 * 3 = 0.30000000000000004 in floating point) the face {a, c, d} has an
    exact solution 3e-17 into it: the same point within the payoffs' rounding, listed once, on the edge {a, d}."""
    rows = {}
    for factor in [1, 0.1, 1e-9, 3, 1e9, 2.0**-30]:
        eqs = decimal_game(DEGENERATE, factor)
        eqs = gk.equilibria(eqs)
        check_listed_once(eqs)
        for e in eqs:  # no share is a rounding error
            assert all(v == 0 or v > 1e-9 for v in e.state[0]), e
        rows[factor] = sorted(tuple(np.round(e.state[0], 9)) for e in eqs)
        (edge,) = [e for e in eqs if e.support == (("a", "d"),)]
        assert edge.state[0] == pytest.approx((0.2, 0, 0, 0.8), abs=1e-15)
    assert all(r == rows[1] for r in rows.values()) and len(rows[1]) == 7
    labels = {f: [str(e.stability) for e in gk.equilibria(decimal_game(DEGENERATE, f))] for f in [1, 3, 2.0**-30, 1024]}
    assert all(v == labels[1] for v in labels.values())  # factors that are exact in binary: identical labels


@pytest.mark.parametrize(
    ("payoff", "what"),
    [("1/k", "infinite or undefined"), ("log(k)", "infinite or undefined"), ("step(sqrt(k - 20))", "not a real")],
)
def test_a_group_payoff_undefined_at_a_count_is_a_parameter_error_naming_it(payoff, what):
    """pi_cooperate(k) must be a finite real number for k = 0..N-1; at k = 0 these are not: refused when written."""
    with pytest.raises(gk.ParameterError, match=f"payoff of cooperate at k = 0.*{what}"):
        gk.Game({"h": ["cooperate", "defect"]}, {"cooperate": payoff, "defect": "0"}, group={"size": 10, "count": "k"})


def test_a_group_payoff_that_depends_on_a_parameter_is_checked_at_its_values():
    """1/(k - M) is fine for M = 20 and infinite at k = M = 5."""
    game = gk.Game(
        {"h": ["cooperate", "defect"]},
        {"cooperate": "1/(k - M)", "defect": "0"},
        {"M": 20},
        group={"size": 10, "count": "k"},
    )
    assert len(gk.equilibria(game)) >= 2
    with pytest.raises(gk.ParameterError, match="payoff of cooperate at k = 5"):
        gk.equilibria(game.with_parameters(M=5))


def test_a_step_of_a_non_real_share_expression_is_a_parameter_error():
    with pytest.raises(gk.ParameterError, match=r"step\(sqrt\(y - 2\)\).*not a real number"):
        gk.equilibria(inspection_with("step(sqrt(y - 2))"))


def test_a_group_payoff_with_a_huge_exact_value_is_analysed():
    """pi_cooperate(k) = (k/199)^10000 - 1/2, N = 200: (198/199)^10000 has a 23,000-digit denominator.  d(x) is the
    binomial average of pi(k): d(0) = pi(0) = -1/2 and d(1) = pi(199) = 1/2, so both pure states are stable
    (eigenvalues d(0) and -d(1)), and d's root between them is unstable."""
    from scipy.stats import binom

    game = gk.Game(
        {"h": ["cooperate", "defect"]},
        {"cooperate": "(k/199)^10000 - 1/2", "defect": "0"},
        group={"size": 200, "count": "k"},
    )
    eqs = gk.equilibria(game)
    k = np.arange(200)

    def d(x):
        return float(np.sum(binom.pmf(k, 199, x) * ((k / 199) ** 10000 - 0.5)))

    (mid,) = [e for e in eqs if not e.is_pure]
    x = mid.state[0][0]
    assert d(x - 1e-6) < 0 < d(x + 1e-6) and mid.stability is gk.Stability.UNSTABLE
    assert [e.stability for e in eqs if e.is_pure] == [gk.Stability.ASYMPTOTICALLY_STABLE] * 2
    assert "dx/dt" in str(gk.replicator(game))  # prints: the huge rational is rounded to 30 digits


def test_a_double_eigenvalue_is_not_called_zero():
    # the face point (0.6, 0, 0.4, 0) has eigenvalues -0.4 and a double 1.2: its left and right eigenvectors are
    # nearly parallel, and a first-order error bound alone called it non-hyperbolic (found by hypothesis)
    A = [[2, 0, -2, 0], [0, 0, 0, 0], [0, 0, 1, 1], [2, 0, 1, 0]]
    for scale in (1, 1e9, 1e-9):
        game = gk.Game(
            {"p": list("abcd")},
            {f"{a}, {b}": [A[i][j] * scale] for i, a in enumerate("abcd") for j, b in enumerate("abcd")},
        )
        [point] = [e for e in gk.equilibria(game, exact=False) if not e.is_pure]
        assert point.state[0] == pytest.approx((0.6, 0, 0.4, 0))
        assert str(point.stability) == "saddle"
