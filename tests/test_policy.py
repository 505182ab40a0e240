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
    frame = gk.sweep(GAME.scenario("trap"), [{"R": r, "K": k} for r, k in points], n=150, t_end=150, rng=2)
    names = {"regulate, evade, accept": "trap", "regulate, insure, claim": "meta-goal"}
    for i, (r, k) in enumerate(points):
        reached = {names.get(o, o) for o in frame[frame.scenario == f"#{i}"].outcome}
        converged = {o for o in reached if not o.startswith("cycling") and o != "unresolved"}
        regime = m.regime_at(r, k)
        assert converged == (set() if regime == "none" else set(regime.split(" + "))), (r, k, reached)
