"""gamekit.testing: strategies that draw from a condition's region, random games, stability assertions.

Every draw is checked here independently of the module: the conditions in Fraction arithmetic written out
by hand, the bounds directly, and stability from the payoff table (each unilateral switch loses).
"""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import FailedHealthCheck, Unsatisfiable

import gamekit as gk
from gamekit.testing import assert_stable, assert_unique_stable, games, parameters

GAME = gk.models.platform_insurance()
BOUNDS = {name: (0, 100) for name in GAME.parameters} | {"delta": (0, 1), "theta": (0, 1)}
TRAP = ["delta*F > Cg", "Cp > B + delta*F + S", "Cc > K"]


def exact(v) -> Fraction:
    """A drawn value as the exact decimal it prints as."""
    return Fraction(repr(v)) if isinstance(v, float) else Fraction(v)


def trap_conditions_hold(p) -> bool:
    q = {k: exact(v) for k, v in p.items()}
    return q["delta"] * q["F"] > q["Cg"] and q["Cp"] > q["B"] + q["delta"] * q["F"] + q["S"] and q["Cc"] > q["K"]


def strict_by_table(game: gk.Game, profile) -> bool:
    """Every unilateral switch strictly loses at the pure profile, read from the exact payoff table."""
    tables = game.exact_payoffs()
    idx = game.profile_index(profile)
    for p, n in enumerate(game.shape):
        for j in range(n):
            if j != idx[p]:
                other = list(idx)
                other[p] = j
                if not tables[p][tuple(other)] < tables[p][idx]:
                    return False
    return True


def within(p, bounds) -> bool:
    return all(bounds[k][0] <= v <= bounds[k][1] for k, v in p.items())


# -- parameters(): the fact of issue #12 ---------------------------------------------------------------


def test_trap_conditions_give_many_distinct_feasible_draws_that_make_the_trap_stable():
    strategy = parameters(GAME, where=TRAP, bounds=BOUNDS)
    draws = []

    @settings(max_examples=150, deadline=None, database=None)
    @given(strategy)
    def run(p):
        assert set(p) == set(GAME.parameters)
        assert within(p, BOUNDS), p
        assert trap_conditions_hold(p), p
        assert strict_by_table(GAME.with_parameters(p), "regulate, evade, accept"), p
        assert_stable(GAME.with_parameters(p), "trap")
        draws.append(tuple(sorted(p.items())))

    run()
    assert len(draws) >= 100  # hypothesis ran (nearly) every example: no rejection
    assert len(set(draws)) >= 50


def test_draws_shrink_towards_the_games_values():
    # the anchor nearest the game's values is the game's values when they satisfy the conditions
    simplest = find(parameters(GAME, where=TRAP, bounds=BOUNDS), lambda p: True, settings=settings(database=None))
    assert simplest == dict(GAME.parameters)
    # and shrinking works on a property that needs a far point
    far = find(parameters(GAME, where=TRAP, bounds=BOUNDS), lambda p: p["Cp"] > 60, settings=settings(database=None))
    assert far["Cp"] > 60 and trap_conditions_hold(far)


# -- every draw in the region, however it is shaped ----------------------------------------------------


def test_non_convex_region_every_draw_satisfies_the_conditions_exactly():
    annulus = ["(Cg - 5)^2 + (K - 5)^2 > 4", "(Cg - 5)^2 + (K - 5)^2 < 9"]
    bounds = {"Cg": (0, 10), "K": (0, 10)}
    seen = set()

    @settings(max_examples=120, deadline=None, database=None)
    @given(parameters(GAME, where=annulus, bounds=bounds, vary=["Cg", "K"]))
    def run(p):
        assert set(p) == {"Cg", "K"}
        r2 = (exact(p["Cg"]) - 5) ** 2 + (exact(p["K"]) - 5) ** 2
        assert 4 < r2 < 9, p
        assert within(p, bounds)
        seen.add((p["Cg"], p["K"]))
        # on both sides of the hole: the draws are not confined to one segment
        seen.add(("quadrant", p["Cg"] > 5, p["K"] > 5))

    run()
    assert sum(1 for s in seen if s[0] == "quadrant") == 4
    assert len(seen) >= 50


THIN = [
    "delta*F > Cg",
    "delta*F < Cg + 0.001",
    "Cc > K",
    "Cc < K + 0.0001",
    "Cp > B + delta*F + S",
    "Cp < B + delta*F + S + 0.01",
]


def test_a_thin_region_passes_hypothesis_health_checks_and_every_draw_is_inside():
    # a random point of the box lies in this region with probability about 1e-10: rejection would fail
    strategy = parameters(GAME, where=THIN, bounds=BOUNDS)
    distinct = set()

    @settings(max_examples=100, deadline=None, database=None)  # default health checks
    @given(strategy)
    def run(p):
        q = {k: exact(v) for k, v in p.items()}
        assert 0 < q["delta"] * q["F"] - q["Cg"] < Fraction(1, 1000), p
        assert 0 < q["Cc"] - q["K"] < Fraction(1, 10000), p
        assert 0 < q["Cp"] - q["B"] - q["delta"] * q["F"] - q["S"] < Fraction(1, 100), p
        assert within(p, BOUNDS)
        assert_stable(GAME.with_parameters(p), "trap")
        distinct.add(tuple(sorted(p.items())))

    run()
    assert len(distinct) >= 20
    # the draws spread along the region: R, A, V, Cw are not constrained and cover most of [0, 100]
    for name in ("R", "A", "V", "Cw"):
        drawn = [dict(p)[name] for p in distinct]
        assert max(drawn) - min(drawn) > 40, (name, min(drawn), max(drawn))


def test_parameters_without_bounds_get_the_documented_default_range():
    # no [bounds] but delta, theta: a value v >= 0 is drawn from [0, 2|v| + 10]
    expected = {n: (0, 2 * abs(v) + 10) for n, v in GAME.parameters.items()} | {"delta": (0, 1), "theta": (0, 1)}

    @settings(max_examples=60, deadline=None, database=None)
    @given(parameters(GAME, where=["Cc > K"]))
    def run(p):
        assert within(p, expected), p
        assert exact(p["Cc"]) > exact(p["K"])

    run()
    negative = GAME.with_parameters(S=-4)  # a negative value v: [-(2|v| + 10), 0]
    drawn = find(parameters(negative, vary=["S"]), lambda p: p["S"] < -10, settings=settings(database=None))
    assert -18 <= drawn["S"] < -10


def test_vary_keeps_the_other_parameters_at_the_games_values():
    trap = GAME.scenario("trap")

    @settings(max_examples=40, deadline=None, database=None)
    @given(parameters(trap, where=["R > Cg + S"], bounds={"R": (0, 10)}, vary=["R", "K"]))
    def run(p):
        assert set(p) == {"R", "K"}
        assert 3 < p["R"] <= 10 and 0 <= p["K"] <= 2 * 2 + 10  # Cg + S = 3 at the trap's values

    run()


@pytest.mark.parametrize(
    "where, bounds, error, words",
    [
        (["Cc > K", "Cc < K"], None, gk.ParameterError, "contradictory"),
        (["delta > 2"], BOUNDS, gk.ParameterError, "contradictory"),
        (["delta*F = Cg"], None, gk.ExpressionError, "not one inequality"),
        (["delta*F > Cg + nonsense"], None, gk.ExpressionError, "nonsense"),
        (["Cc > K"], {"nonsense": (0, 1)}, gk.ParameterError, "nonsense"),
        (["Cc > K"], {"K": (5, 1)}, gk.ParameterError, "above high"),
    ],
)
def test_bad_conditions_and_bounds_raise_one_line_errors(where, bounds, error, words):
    with pytest.raises(error, match=words) as info:
        parameters(GAME, where=where, bounds=bounds)
    assert "\n" not in str(info.value)


def test_vary_names_must_be_parameters():
    with pytest.raises(gk.ParameterError, match="nonsense"):
        parameters(GAME, vary=["nonsense"])
    with pytest.raises(gk.ArgumentError, match="vary"):
        parameters(GAME, vary=[["nonsense"]])
    with pytest.raises(gk.ArgumentError, match="vary"):
        parameters(GAME, vary=5)
    with pytest.raises(gk.ArgumentError, match="where"):
        parameters(GAME, where=5)
    with pytest.raises(gk.ExpressionError):
        parameters(GAME, where=[5])
    with pytest.raises(gk.ArgumentError, match="bounds"):
        parameters(GAME, bounds=[(0, 1)])
    with pytest.raises(gk.ArgumentError, match="game"):
        parameters("platform-insurance")


def test_a_game_without_parameters_gives_empty_sets():
    game = gk.Game({"a": ["x", "y"], "b": ["x", "y"]}, {"x, x": [1, 1], "x, y": [0, 0], "y, x": [0, 0], "y, y": [2, 2]})
    assert find(parameters(game), lambda p: True) == {}


# -- assertions ---------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30))
def test_assert_stable_names_the_failing_switch_gain_and_its_value(cp, cc, cg):
    game = GAME.scenario("trap").with_parameters(Cp=cp, Cc=cc, Cg=cg)
    # the trap's switch gains, read off the payoff table (values at the trap: F = 10, delta = 0.3, S = B = 1, K = 2)
    gains = {
        "government: relax instead of regulate": Fraction(cg) - 3,
        "platform: insure instead of evade": 1 + 1 - Fraction(cp) + 3,
        "workers: claim instead of accept": 2 - Fraction(cc),
    }
    failing = {k: v for k, v in gains.items() if v >= 0}
    if not failing:
        assert_stable(game, "trap")
        return
    with pytest.raises(AssertionError) as info:
        assert_stable(game, "trap")
    message = str(info.value)
    for switch, value in gains.items():
        if value >= 0:
            assert f"{switch}, " in message and f"is {value} here" in message, message
        else:
            assert switch not in message, message


def test_assert_stable_at_a_mixed_state_names_the_eigenvalue():
    hd = gk.load("hawk-dove")  # V = 2, C = 4: the mixed state V/C = 1/2 attracts
    assert_stable(hd, [0.5])
    two = gk.load("hawk-dove-two-roles")  # the same numbers in two roles: (1/2, 1/2) is a saddle, eigenvalues +-1/2
    with pytest.raises(AssertionError, match=r"saddle.*eigenvalue 1/2 \(real part 0\.5 >= 0\)"):
        assert_stable(two, [0.5, 0.5])
    with pytest.raises(AssertionError, match="not a rest point"):
        assert_stable(hd, [0.3])
    with pytest.raises(AssertionError, match=r"dove instead of hawk, C/2 - V/2, is 1 here"):
        assert_stable(hd, "hawk")


def test_assert_unique_stable_names_the_other_stable_state():
    assert_unique_stable(GAME.scenario("trap"), "trap")
    # B + delta*F + S < Cp < B + S + F + K (and R > Cg + S, V > Cw): the meta-goal is stable beside the trap
    both = GAME.scenario("trap").with_parameters(Cp=10, R=4)  # and R > Cg + S
    assert strict_by_table(both, "trap") and strict_by_table(both, "meta-goal")
    with pytest.raises(AssertionError, match=r"\(regulate, insure, claim\) \[meta-goal\] is asymptotically stable too"):
        assert_unique_stable(both, "trap")


def test_assert_unique_stable_counts_interior_attractors_of_general_games():
    fine = gk.load("platform-insurance-dynamic-fine")  # the trap and (1, 3/5, 1) both attract
    assert_stable(fine, "trap")
    with pytest.raises(AssertionError, match=r"\(1, 3/5, 1\): asymptotically stable"):
        assert_unique_stable(fine, "trap")
    hd = gk.load("hawk-dove")
    assert_unique_stable(hd, [0.5])  # both pure states are unstable


def test_assertions_refuse_bad_input_with_gamekit_errors():
    with pytest.raises(gk.GamekitError, match="nonsense"):
        assert_stable(GAME, "nonsense")
    unset = gk.Game(
        {"a": ["x", "y"], "b": ["x", "y"]},
        {"x, x": ["p", 0], "x, y": [0, 0], "y, x": [0, 0], "y, y": [1, 1]},
        {"p": None},
    )
    with pytest.raises(gk.ParameterError, match="'p' has no value"):
        assert_stable(unset, "x, x")


# -- games() ------------------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(games(populations=3, strategies=2, low=-3, high=3))
def test_games_have_the_asked_shape(game):
    assert game.kind == "populations" and game.multilinear
    assert game.shape == (2, 2, 2)
    values = np.concatenate([t.ravel() for t in game.numeric_payoffs()])
    assert np.all((values >= -3) & (values <= 3)) and np.all(values == np.round(values))


@settings(max_examples=30, deadline=None)
@given(games(populations=(1, 3), strategies=(2, 4)))
def test_games_with_ranges_of_populations_and_strategies(game):
    assert 1 <= len(game.shape) <= 3 and all(2 <= n <= 4 for n in game.shape)
    assert all(t.shape == game.shape for t in game.payoff_tensors)


@settings(max_examples=30, deadline=None)
@given(games(kind="symmetric", strategies=3, low=0, high=1, integers=False))
def test_symmetric_games(game):
    assert game.kind == "symmetric" and game.shape == (3,)
    table = game.payoff_tensors[0]
    assert table.shape == (3, 3)
    assert all(0 <= float(v) <= 1 for v in table.ravel())
    for state in ("s0", "s1", "s2"):  # the assertions work on what games() makes
        stable = all(
            table[j, int(state[1])] < table[int(state[1]), int(state[1])] for j in range(3) if f"s{j}" != state
        )
        if stable:
            assert_stable(game, state)
        else:
            with pytest.raises(AssertionError, match="instead of"):
                assert_stable(game, state)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"kind": "group"}, "kind"),
        ({"kind": "symmetric", "populations": 2}, "one population"),
        ({"populations": 0}, "populations"),
        ({"strategies": 1}, "strategies"),
        ({"strategies": (3, 2)}, "strategies"),
        ({"strategies": 100, "populations": 3}, "MAX_GAME_PROFILES"),
        ({"low": 1, "high": 0}, "high"),
        ({"low": 0.2, "high": 0.8}, "no integer"),
    ],
)
def test_games_refuses_bad_arguments(kwargs, words):
    with pytest.raises(gk.ArgumentError, match=words):
        games(**kwargs)


def test_import_gamekit_does_not_import_hypothesis():
    code = "import sys, gamekit; print('hypothesis' in sys.modules, 'gamekit.testing' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_health_check_of_rejection_would_fail_here():
    # the point of drawing from the region: the same thin region by filtering the box fails hypothesis
    box = st.fixed_dictionaries({k: st.floats(*BOUNDS[k]) for k in ("Cc", "K")})
    thin = box.filter(lambda p: 0 < p["Cc"] - p["K"] < 1e-4)

    @settings(max_examples=10, deadline=None, database=None)
    @given(thin)
    def run(p):
        pass

    with pytest.raises((FailedHealthCheck, Unsatisfiable)):
        run()
