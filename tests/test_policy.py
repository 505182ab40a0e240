"""Thresholds and regime maps: exact, and in agreement with brute force and with simulation."""

import itertools
import json

import numpy as np
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gamekit as gk
from gamekit.cli import main

GAME = gk.models.platform_insurance()
R_ = sympy.Rational


def test_trap_levers_under_trap():
    t = gk.thresholds(GAME, "trap", "trap")
    assert t.stable
    assert t.lever("delta").stable_set == sympy.Interval.open(R_(1, 5), R_(3, 5))
    assert t.lever("K").stable_set == sympy.Interval.open(-sympy.oo, 3)
    assert t.lever("F").stable_set == sympy.Interval.open(R_(20, 3), 20)
    assert t.lever("Cp").stable_set == sympy.Interval.open(5, sympy.oo)
    assert t.lever("R").stable_set == sympy.S.Reals
    assert t.lever("theta").stable_set == sympy.Interval(0, 1)  # any value within its declared bounds


def test_meta_goal_levers_under_trap():
    t = gk.thresholds(GAME, "trap", "regulate, insure, claim")
    assert not t.stable
    assert t.lever("R").stable_for == [(3.0, None)]
    assert t.lever("Cg").stable_for == [(None, 1.0)]
    assert t.lever("S").stable_set == sympy.Interval.open(-5, 0)
    assert not t.lever("F").works and not t.lever("V").works


def test_thresholds_json_cli(capsys):
    args = ["thresholds", "platform-insurance", "--scenario", "trap", "--target", "regulate, insure, claim", "--json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["target"] == ["regulate", "insure", "claim"] and out["stable"] is False
    levers = {lv["parameter"]: lv for lv in out["levers"]}
    assert levers["R"] == {"parameter": "R", "value": 2.0, "stable_for": [[3.0, None]]}
    assert levers["F"]["stable_for"] == []
    assert out["conditions"] == ["R > Cg + S", "B + F + K + S > Cp", "V > Cw"]


@st.composite
def parametric_games(draw):
    """Two or three two-strategy populations; payoffs a + b*p + c*q with small integers."""
    k = draw(st.integers(2, 3))
    pops = {f"P{i}": [f"a{i}", f"b{i}"] for i in range(k)}
    payoffs = {}
    for idx in itertools.product(range(2), repeat=k):
        key = ", ".join(pops[f"P{i}"][s] for i, s in enumerate(idx))
        cells = []
        for _ in range(k):
            a, b, c = draw(st.integers(-4, 4)), draw(st.integers(-2, 2)), draw(st.integers(-2, 2))
            cells.append(f"{a} + {b}*p + {c}*q")
        payoffs[key] = cells
    base = {"p": draw(st.integers(-3, 3)), "q": draw(st.integers(-3, 3))}
    return gk.Game(pops, payoffs, base)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parametric_games())
def test_thresholds_agree_with_brute_force_eigenvalues(game):
    grid = np.linspace(-10, 10, 81)
    for idx in game.profiles():
        t = gk.thresholds(game, None, game.profile_names(idx))
        for lever in t.levers:
            for value in grid:
                point = game.with_parameters({lever.parameter: float(value)})
                eq = gk.linearize(point, np.concatenate([np.eye(2)[s] for s in idx]), exact=False)
                brute = eq.stability is gk.Stability.ASYMPTOTICALLY_STABLE
                edges = [e for iv in lever.stable_for for e in iv if e is not None]
                if any(abs(value - e) < 1e-9 for e in edges):
                    continue  # on a threshold itself: an eigenvalue is zero
                inside = bool(lever.stable_set.contains(sympy.Rational(str(value))))
                assert inside == brute, (lever.parameter, value, lever.stable_set)


def test_regime_map_platform():
    m = gk.regime_map(GAME, ("R", 0, 8), ("K", 0, 8), base="trap", resolution=81)
    assert set(m.regimes) == {"none", "trap", "meta-goal", "meta-goal + trap"}
    assert {sympy.sstr(b) for b in m.boundaries} == {"R - 3", "K - 3"}
    assert m.regime_at(2, 2) == "trap"  # the scenario itself
    assert m.regime_at(5, 2) == "meta-goal + trap"
    assert m.regime_at(5, 5) == "meta-goal"
    assert m.regime_at(2, 5) == "none"


def test_regime_map_agrees_with_simulation():
    """Where the map says a state is asymptotically stable, simulated orbits reach it; where not, none do."""
    m = gk.regime_map(GAME, ("R", 0, 8), ("K", 0, 8), base="trap", resolution=81)
    points = [(2.0, 2.0), (5.0, 2.0), (5.0, 5.0), (2.0, 5.0)]
    frame = gk.sweep(GAME.scenario("trap"), [{"R": r, "K": k} for r, k in points], n=150, t_end=150, rng=2).to_frame()
    names = {"regulate, evade, accept": "trap", "regulate, insure, claim": "meta-goal"}
    for i, (r, k) in enumerate(points):
        reached = {names.get(o, o) for o in frame[frame.scenario == f"#{i}"].outcome}
        converged = {o for o in reached if not o.startswith("cycling") and o != "unresolved"}
        regime = m.regime_at(r, k)
        assert converged == (set() if regime == "none" else set(regime.split(" + "))), (r, k, reached)


def test_cheapest_policy_is_verified_and_no_cheaper_grid_point_works():
    levers = {"R": 1.0, "K": 1.0, "delta": 10.0}
    pol = gk.cheapest_policy(GAME, "trap", "meta-goal", levers, margin=1e-3)
    assert pol.stable_after == ("regulate, insure, claim",)
    assert pol.exact["R"] == 3 and pol.cost == 2.0  # R above Cg + S = 3, and the trap broken at cost 1
    base = GAME.scenario("trap")
    # brute force: no grid point cheaper than the optimum makes the meta-goal the unique stable state
    for r, k, d in itertools.product(np.linspace(0, 6, 25), np.linspace(0, 6, 25), np.linspace(0, 1, 21)):
        cost = abs(r - 2) + abs(k - 2) + 10 * abs(d - 0.3)
        if cost >= pol.cost - 1e-9:
            continue
        gains_ok = []
        g = base.with_parameters(R=r, K=k, delta=d)
        A = g.numeric_payoffs()
        for idx in g.profiles():
            strict = True
            for p in range(3):
                alt = list(idx)
                alt[p] = 1 - idx[p]
                strict &= A[p][tuple(alt)] < A[p][idx]
            if strict:
                gains_ok.append(g.profile_names(idx))
        assert gains_ok != [("regulate", "insure", "claim")], (r, k, d, cost)


def test_cheapest_policy_with_a_margin_reaches_the_meta_goal_in_simulation():
    pol = gk.cheapest_policy(GAME, "trap", "meta-goal", {"R": 1.0, "K": 1.0}, margin=0.5, check_orbits=300, t_end=150)
    assert pol.verified_values["R"] == 3.5 and pol.verified_values["K"] == 3.5
    shares = dict(zip(pol.basins.outcome, pol.basins.share))
    assert shares == {"regulate, insure, claim": 1.0}


def test_cheapest_policy_bad_input():
    import pytest

    with pytest.raises(gk.ParameterError, match="lever 'Q'"):
        gk.cheapest_policy(GAME, "trap", "meta-goal", {"Q": 1.0})
    with pytest.raises(gk.GamekitError, match="no change"):
        gk.cheapest_policy(GAME, "trap", "meta-goal", {"V": 1.0})


def test_phased_schedule_leads_from_the_trap_to_the_meta_goal():
    path = gk.follow(GAME, "phased", [[0.95, 0.05, 0.05]], 100, "meta-goal")
    assert path.reached and 20 < path.reached_at < 60
    states = [label for _, _, label in path.visits if label != "in transit"]
    assert states[0] == "trap" and states[-1] == "meta-goal"
    assert [name for _, name in path.phases] == ["lag", "emergence", "exploration"]
    stay = gk.follow(GAME.scenario("trap"), [(0, {})], [[0.95, 0.05, 0.05]], 100, "meta-goal")
    assert not stay.reached and [label for _, _, label in stay.visits][-1] == "trap"


def test_schedules_in_model_files_round_trip():
    from gamekit.game import from_toml

    again = from_toml(GAME.to_toml())
    assert again.schedule("phased") == GAME.schedule("phased")
    import pytest

    with pytest.raises(gk.ModelError, match="not after the previous phase"):
        from_toml(GAME.to_toml().replace("emergence = { start = 20", "emergence = { start = 0"))
    with pytest.raises(gk.ParameterError, match="no schedule named 'x'"):
        GAME.schedule("x")


def test_cheapest_policy_nonlinear_levers():
    """delta and F enter the payoffs as a product: a verified numerical optimum.

    By hand: R must exceed Cg + S = 3 (cost 1); the trap is cheapest to break with delta >= 0.6
    (B + S + delta*F >= Cp; cost 0.3), since delta < 0.2 would make the lag stable instead.
    """
    levers = {"delta": 1.0, "F": 0.1, "R": 1.0}
    box = {"delta": (0, 1), "F": (0, 30), "R": (0, 10)}
    pol = gk.cheapest_policy(GAME, "trap", "meta-goal", levers, bounds=box, margin=1e-3)
    assert pol.stable_after == ("regulate, insure, claim",) and pol.exact == {}
    assert abs(pol.cost - 1.3) < 0.01
    base = GAME.scenario("trap")
    for d, f, r in itertools.product(np.linspace(0, 1, 41), np.linspace(0, 30, 31), np.linspace(0, 10, 41)):
        cost = abs(d - 0.3) + 0.1 * abs(f - 10) + abs(r - 2)
        if cost >= pol.cost - 0.01:
            continue
        g = base.with_parameters(delta=d, F=f, R=r)
        A = g.numeric_payoffs()
        stable = [
            idx
            for idx in g.profiles()
            if all(A[p][tuple(1 - s if q == p else s for q, s in enumerate(idx))] < A[p][idx] for p in range(3))
        ]
        assert stable != [(0, 0, 0)], (d, f, r, cost)


def test_nonlinear_levers_need_bounds():
    import pytest

    with pytest.raises(gk.GamekitError, match="give finite bounds for 'F'"):
        gk.cheapest_policy(GAME, "trap", "meta-goal", {"delta": 1.0, "F": 0.1})
