"""Thresholds and regime maps: exact, and in agreement with brute force and with simulation."""

import itertools
import json

import numpy as np
import pytest
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
    frame = pol.basins.to_frame() if hasattr(pol.basins, "to_frame") else pol.basins  # a Basins result
    shares = dict(zip(frame.outcome, frame.share))
    assert shares == {"regulate, insure, claim": 1.0}


def _stable_profiles(game):
    """The asymptotically stable states by gk.equilibria (an oracle independent of the policy's switch gains)."""
    return [e.profile for e in gk.equilibria(game).stable()]


def _printed_policy(pol):
    """The lever values the first line of str(Policy) tells the user to set ('R: 2 -> 3.5, ...')."""
    import re

    first = str(pol).splitlines()[0]
    return {name: float(new) for name, new in re.findall(r"(\w+): [-\d.e+]+ -> ([-\d.e+]+)", first)}


@pytest.mark.parametrize("margin", [0.5, 2.0, 1e-6])
def test_cheapest_policy_prints_a_policy_that_works_and_its_infimum_as_a_bound(margin):
    """hostile6 #4: the printed policy is applied as printed; the infimum is the limit margin -> 0."""
    levers = {"R": 1.0, "K": 1.0, "delta": 10.0}
    pol = gk.cheapest_policy(GAME, "trap", "meta-goal", levers, margin=margin)
    printed = _printed_policy(pol)
    assert printed and set(printed) <= set(levers)
    trap = GAME.scenario("trap")
    assert _stable_profiles(trap.with_parameters(printed)) == [("regulate", "insure", "claim")]
    assert _stable_profiles(trap.with_parameters(dict(pol.verified_values))) == [("regulate", "insure", "claim")]
    # the infimum: R = Cg + S = 3 and K = Cp - B - S = 3 at base delta, cost 2 whatever the margin, and a boundary
    assert pol.exact == {"R": 3, "K": 3, "delta": R_(3, 10)} and pol.cost == 2
    assert _stable_profiles(trap.with_parameters(dict(pol.values))) == []  # not a policy: nothing is stable there
    assert "infimum: cost 2 at the boundary R = 3, K = 3" in str(pol)
    # the verified cost is what the printed values cost, and never below the infimum
    spent = sum(c * abs(printed.get(n, trap.parameters[n]) - trap.parameters[n]) for n, c in levers.items())
    assert pol.cost <= pol.verified_cost and spent == pytest.approx(pol.verified_cost, rel=1e-9)


def test_cheapest_policy_with_a_large_margin_keeps_the_infimum_of_the_cheapest_branch():
    """hostile6 #4: with margin 2 the verified point moves delta up (0.3 -> 0.4, cost 7); the infimum stays cost 2
    with delta unchanged, not delta 0.3 -> 1/5 at cost 3 (the other branch's active set at margin 0)."""
    pol = gk.cheapest_policy(GAME, "trap", "meta-goal", {"R": 1.0, "K": 1.0, "delta": 10.0}, margin=2.0)
    assert dict(pol.verified_values) == pytest.approx({"R": 5.0, "K": 5.0, "delta": 0.4})
    assert pol.verified_cost == pytest.approx(7.0) and pol.cost == 2
    assert pol.exact["delta"] == R_(3, 10) and pol.changes["delta"] == 0
    assert str(pol).splitlines()[0].endswith("R: 2 -> 5, K: 2 -> 5, delta: 0.3 -> 0.4 (cost 7, verified with margin 2)")
    small = gk.cheapest_policy(GAME, "trap", "meta-goal", {"R": 1.0, "K": 1.0, "delta": 10.0}, margin=1e-6)
    assert small.cost == pol.cost and small.verified_cost == pytest.approx(pol.cost, abs=1e-4)


def test_a_numerical_optimum_prints_the_levers_that_move_and_they_work():
    levers = {"delta": 1.0, "F": 0.1, "R": 1.0}
    box = {"delta": (0, 1), "F": (0, 30), "R": (0, 10)}
    pol = gk.cheapest_policy(GAME, "trap", "meta-goal", levers, bounds=box, margin=1e-3)
    printed = _printed_policy(pol)
    assert set(printed) == {"delta", "R"} and "infimum" not in str(pol)  # F stays at 10 to the digits shown
    trap = GAME.scenario("trap")
    assert _stable_profiles(trap.with_parameters(printed)) == [("regulate", "insure", "claim")]
    assert pol.cost == pol.verified_cost


def test_cheapest_policy_with_a_margin_no_policy_meets_names_the_infimum():
    with pytest.raises(gk.GamekitError, match=r"margin 50; the infimum is cost 2 at R = 3, K = 3"):
        gk.cheapest_policy(GAME, "trap", "meta-goal", {"R": 1.0, "K": 1.0}, bounds={"R": (0, 10)}, margin=50)


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


def test_results_pickle_and_print_briefly():
    import pickle

    t = gk.thresholds(GAME, "trap", "meta-goal")
    m = gk.regime_map(GAME, ("R", 0, 8), ("K", 0, 8), base="trap", resolution=21)
    pol = gk.cheapest_policy(GAME, "trap", "meta-goal", {"R": 1.0, "K": 1.0}, margin=0.5)
    path = gk.follow(GAME, "phased", [[0.95, 0.05, 0.05]], 100, "meta-goal", points=201)
    for result in (t, m, pol, path):
        again = pickle.loads(pickle.dumps(result))
        assert type(again) is type(result) and str(again) == str(result)
        assert "\n" not in repr(result) and len(repr(result)) < 200, repr(result)
    again = pickle.loads(pickle.dumps(t))
    assert again.lever("delta").stable_set == t.lever("delta").stable_set and again.to_json() == t.to_json()
    again = pickle.loads(pickle.dumps(m))
    assert np.array_equal(again.codes, m.codes) and again.regimes == m.regimes and again.boundaries == m.boundaries
    assert pickle.loads(pickle.dumps(pol)).exact == pol.exact
    assert pickle.loads(pickle.dumps(path)).visits == path.visits
    frame = m.to_frame()
    assert len(frame) == 21 * 21 and set(frame.regime) == set(m.regimes)
    assert list(path.to_frame().columns) == ["t_from", "t_to", "state"]


def _domain_game(payoff: str, p0: float) -> gk.Game:
    """(a, c) is asymptotically stable iff payoff(p) > 1 (B's switch to d always loses)."""
    return gk.Game(
        {"A": ["a", "b"], "B": ["c", "d"]},
        {"a, c": [payoff, "1"], "a, d": ["0", "0"], "b, c": ["1", "0"], "b, d": ["0", "1"]},
        {"p": p0},
    )


@pytest.mark.parametrize(
    "payoff, p0, expected, defined_for",
    [
        ("1/(p - 1)", 1, sympy.Interval.open(1, 2), sympy.Reals - sympy.FiniteSet(1)),
        ("log(p)", 0, sympy.Interval.open(sympy.E, sympy.oo), sympy.Interval.open(0, sympy.oo)),
        ("sqrt(p)", -1, sympy.Interval.open(1, sympy.oo), sympy.Interval(0, sympy.oo)),
        (
            "sqrt(p - 2) + 1/(p - 3)",
            1,
            sympy.Interval.open(3, sympy.oo),
            sympy.Interval.Ropen(2, 3) | sympy.Interval.open(3, sympy.oo),
        ),
        ("p^(1/3)", -8, sympy.Interval.open(1, sympy.oo), sympy.Interval(0, sympy.oo)),
    ],
)
def test_thresholds_where_payoffs_are_undefined_at_the_base(payoff, p0, expected, defined_for):
    """A payoff outside its domain at the base: no crash; the lever is solved on the domain, and checked pointwise."""
    game = _domain_game(payoff, p0)
    t = gk.thresholds(game, None, "a, c")
    assert not t.defined and not t.stable and t.notes
    lever = t.lever("p")
    assert lever.stable_set == expected and lever.domain == defined_for
    for value in np.linspace(-5, 10, 61):
        try:
            g = game.with_parameters(p=float(value))
            payoffs = g.numeric_payoffs()
        except gk.GamekitError:  # undefined here: the lever must not claim it
            assert not lever.stable_set.contains(sympy.Rational(str(value)))
            continue
        stable = payoffs[0][0, 0] > payoffs[0][1, 0]
        if abs(payoffs[0][0, 0] - 1) > 1e-9:
            assert bool(lever.stable_set.contains(sympy.Rational(str(value)))) == stable, value
    assert t.lever("p").to_json()["stable_for"] == [
        [float(expected.start), None if expected.end == sympy.oo else float(expected.end)]
    ]


def test_thresholds_transcendental_condition_is_reported_unsolved():
    t = gk.thresholds(_domain_game("exp(p) + p", 0), None, "a, c")
    lever = t.lever("p")
    assert not lever.solved and "not solved in closed form" in lever.describe()
    assert lever.to_json()["stable_for"] is None
    # exp(p) + p is increasing and equals 1 at p = 0: numerically, (0, end of the window)
    ((low, high),) = lever.approximate
    assert abs(low) < 1e-9 and high == lever.window[1] == 100.0
    with pytest.raises(gk.GamekitError, match="not solved in closed form"):
        _ = lever.stable_for


def test_regime_map_marks_where_payoffs_are_undefined():
    game = gk.Game(
        {"A": ["a", "b"], "B": ["c", "d"]},
        {"a, c": ["log(p)", "1"], "a, d": ["0", "0"], "b, c": ["q", "0"], "b, d": ["0", "1"]},
        {"p": 1, "q": 0},
    )
    m = gk.regime_map(game, ("p", -1, 3), ("q", -1, 1), resolution=41)
    assert m.regime_at(-0.5, 0) == "undefined" and m.regime_at(0.0, 0) == "undefined"
    assert m.regime_at(2.0, -0.5) != "undefined"
    # (a, c) stable iff log(p) > q: at p = 2, q = 0.5 (log 2 = 0.69) yes; at p = 1.2, q = 0.5 (0.18) no
    assert "a, c" in m.regime_at(2.0, 0.5) and "a, c" not in m.regime_at(1.2, 0.5)


def test_thresholds_hard_lever_stays_within_its_time_budget():
    """A fractional power sends sympy into factorisation for minutes: the lever is reported unsolved in time."""
    import time

    start = time.monotonic()
    t = gk.thresholds(_domain_game("p^0.95 + p^0.37", 2), None, "a, c", time_budget=1.0)
    assert time.monotonic() - start < 20
    assert t.stable  # 2^0.95 + 2^0.37 > 1 at the base
    lever = t.lever("p")
    assert not lever.solved and any("time budget" in n for n in t.notes)
    ((low, high),) = lever.approximate  # p^0.95 + p^0.37 > 1: one interval from the root on
    assert abs(low**0.95 + low**0.37 - 1) < 1e-9 and high == lever.window[1]
    # a lever solved in the worker within the budget is exact
    t = gk.thresholds(_domain_game("1/(p - 1)", 3), None, "a, c", time_budget=30.0)
    assert t.lever("p").stable_set == sympy.Interval.open(1, 2) and t.lever("p").solved


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parametric_games())
def test_regime_map_agrees_with_strict_nash_by_brute_force(game):
    """At every grid point the regime lists exactly the strict Nash profiles (every switch loses), computed by hand."""
    m = gk.regime_map(game, ("p", -3, 3), ("q", -3, 3), resolution=7)
    assert list(m.xs) == list(range(-3, 4)) and list(m.ys) == list(range(-3, 4))
    k = len(game.shape)
    for x in range(-3, 4):
        for y in range(-3, 4):
            A = game.with_parameters(p=x, q=y).numeric_payoffs()
            strict = []
            for idx in game.profiles():
                if all(A[p][tuple(1 - s if q == p else s for q, s in enumerate(idx))] < A[p][idx] for p in range(k)):
                    strict.append(game.state_name(idx) or ", ".join(game.profile_names(idx)))
            assert m.regime_at(x, y) == (" + ".join(strict) or "none"), (x, y)


TEMPLATES = ["log(p + {a})", "sqrt({a} - p)", "1/(p - {a})", "{a}*p^2 + {b}*p", "exp(p) - {a}", "abs(p - {a})"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(TEMPLATES),
    st.integers(-3, 3),
    st.integers(-3, 3),
    st.integers(-3, 3),
    st.integers(-3, 3),
)
def test_thresholds_never_crash_and_agree_pointwise_where_defined(template, a, b, p0, q0):
    """Payoffs with a restricted domain, any base: a result, and where solved it matches the payoffs point by point."""
    payoff = template.format(a=a, b=b)
    game = gk.Game(
        {"A": ["a", "b"], "B": ["c", "d"]},
        {"a, c": [payoff, "q"], "a, d": ["0", "0"], "b, c": ["1", "0"], "b, d": ["0", "1"]},
        {"p": p0, "q": q0},
    )
    t = gk.thresholds(game, None, "a, c", time_budget=20.0)
    lever = t.lever("p")

    def claimed(value: float) -> bool:
        if lever.solved:
            return bool(lever.stable_set.contains(sympy.Rational(str(value))))
        return any(a <= value <= b for a, b in lever.approximate)

    edges = [] if lever.solved else [e for iv in lever.approximate for e in iv]
    for value in np.linspace(-6, 6, 49):
        if any(abs(value - e) < 1e-6 for e in edges):
            continue
        try:
            A = game.with_parameters(p=float(value)).numeric_payoffs()
        except gk.GamekitError:
            assert not claimed(value), value
            continue
        gains = [A[0][1, 0] - A[0][0, 0], A[1][0, 1] - A[1][0, 0]]
        if min(abs(g) for g in gains) < 1e-9:
            continue  # on a threshold
        assert claimed(value) == all(g < 0 for g in gains), (payoff, value, lever.describe())


def test_cheapest_policy_with_payoffs_outside_their_domain():
    """(a, c) needs log(p) > 1; (b, d) must be broken by q < 0.  A base where log(p) is not real is refused
    clearly on the exact path, and left behind by the numeric search when p is a lever."""
    game = gk.Game(
        {"A": ["a", "b"], "B": ["c", "d"]},
        {"a, c": ["log(p)", "1"], "a, d": ["0", "0"], "b, c": ["1", "0"], "b, d": ["0", "q"]},
        {"p": -1, "q": 2},
    )
    with pytest.raises(gk.AnalysisError, match="not finite real numbers"):
        gk.cheapest_policy(game, None, "a, c", {"q": 1.0}, margin=1e-3)
    box = {"p": (-2, 5), "q": (-3, 3)}
    pol = gk.cheapest_policy(game, None, "a, c", {"p": 1.0, "q": 1.0}, bounds=box, margin=1e-3)
    assert pol.stable_after == ("a, c",)
    assert abs(pol.values["p"] - np.exp(1.001)) < 1e-3 and abs(pol.values["q"] + 0.001) < 1e-3
    assert abs(pol.cost - (np.exp(1.001) + 1 + 2.001)) < 2e-3


# -- games that are not multilinear (shares in payoffs, one population, groups) ---------------------------------


def _dynamic_platform():
    """The platform model with the fine F*(1 - y), y the platform's share of insure."""
    payoffs = {", ".join(k): [v.replace("F", "F*(1 - y)") for v in vals] for k, vals in GAME.sources.items()}
    return gk.Game(
        {p.name: list(p.strategies) for p in GAME.populations},
        payoffs,
        dict(GAME.parameters),
        shares={"y": "platform.insure"},
        states=dict(GAME.states),
        bounds=dict(GAME.bounds),
        scenarios={k: dict(v) for k, v in GAME.scenarios.items()},
    )


def _three_strategy_game():
    """One population: a, b anti-coordinate on their face (attractor (3/4, 1/4, 0)); c is strict iff t > 0."""
    s = ["a", "b", "c"]
    A = [["0", "3", "0"], ["1", "0", "0"], ["-5", "-5", "t"]]
    payoffs = {f"{s[i]}, {s[j]}": A[i][j] for i in range(3) for j in range(3)}
    return gk.Game({"players": s}, payoffs, {"t": 1}, bounds={"t": (-10, 10)})


def test_regime_map_of_a_game_that_is_not_multilinear_never_says_none():
    hawk_dove = gk.Game(
        {"players": ["hawk", "dove"]},
        {"hawk, hawk": "(V - C)/2", "hawk, dove": "V", "dove, hawk": "0", "dove, dove": "V/2"},
        {"V": 2, "C": 4},
    )
    m = gk.regime_map(hawk_dove, ("V", 0, 8), ("C", 0.5, 8), resolution=41)
    # u(dove) - u(hawk) at x = 1 is (C - V)/2: all-hawk is stable iff V > C; all-dove never (its gain is V/2 > 0)
    assert set(m.regimes) == {"hawk", "no stable pure profile"}
    assert m.regime_at(6, 2) == "hawk" and m.regime_at(2, 6) == "no stable pure profile"
    V, C = (sympy.Symbol(n, real=True) for n in "VC")
    assert len(m.boundaries) == 1 and sympy.solve(m.boundaries[0], C) == [V]
    assert "none" in gk.regime_map(GAME, ("R", 0, 8), ("K", 0, 8), base="trap", resolution=41).regimes


def test_regime_map_of_the_dynamic_fine_matches_its_switch_gains():
    m = gk.regime_map(_dynamic_platform(), ("R", 0, 8), ("K", 0, 8), base="trap", resolution=81)
    # meta-goal at trap values: R > Cg + S = 3 and, the fine gone at y = 1, K > Cp - B - S = 6
    assert m.regime_at(5, 7) == "meta-goal" and m.regime_at(5, 5) == "no stable pure profile"
    assert m.regime_at(2, 2) == "trap"


def test_cheapest_policy_with_a_dynamic_fine():
    policy = gk.cheapest_policy(_dynamic_platform(), "trap", "meta-goal", {"R": 1, "K": 1})
    # R: 2 -> 3 (R > Cg + S) and K: 2 -> 6 (K > Cp - B - S): the dynamic fine no longer deters evasion at y = 1
    assert policy.exact == {"R": 3, "K": 6} and policy.cost == 5
    assert policy.stable_after == ("regulate, insure, claim",)
    fixed = gk.cheapest_policy(GAME, "trap", "meta-goal", {"R": 1, "K": 1})
    assert fixed.exact == {"R": 3, "K": 3}


def test_cheapest_policy_refuses_when_an_interior_point_is_stable_too():
    game = _three_strategy_game()
    eqs = gk.equilibria(game)
    face = [e for e in eqs if e.profile is None and e.stability is gk.Stability.ASYMPTOTICALLY_STABLE]
    assert len(face) == 1 and np.allclose(face[0].state[0], [0.75, 0.25, 0.0])
    with pytest.raises(gk.GamekitError, match=r"\(0.75, 0.25, 0\) is asymptotically stable too"):
        gk.cheapest_policy(game, None, "c", {"t": 1})


def test_thresholds_of_a_symmetric_game_are_its_column_differences():
    game = _three_strategy_game()
    t = gk.thresholds(game, None, "c")
    # at c: u(a) - u(c) = A[a, c] - A[c, c] = -t, likewise for b: stable iff t > 0
    assert t.stable and t.lever("t").stable_set == sympy.Interval.Lopen(0, 10)
    assert gk.thresholds(game, None, "a").lever("t").stable_set == sympy.S.EmptySet


@st.composite
def parametric_share_games(draw):
    """Two two-strategy populations; payoffs a + b*p + c*q*y + d*x with small integers (x, y named shares)."""
    pops = {"P0": ["a0", "b0"], "P1": ["a1", "b1"]}
    payoffs = {}
    for i, j in itertools.product(range(2), repeat=2):
        cells = []
        for _ in range(2):
            a, b, c, d = (draw(st.integers(lo, hi)) for lo, hi in ((-4, 4), (-2, 2), (-2, 2), (-2, 2)))
            cells.append(f"{a} + {b}*p + {c}*q*y + {d}*x")
        payoffs[f"{pops['P0'][i]}, {pops['P1'][j]}"] = cells
    base = {"p": draw(st.integers(-3, 3)), "q": draw(st.integers(-3, 3))}
    return gk.Game(pops, payoffs, base, shares={"x": "P0.a0", "y": "P1.a1"})


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parametric_share_games())
def test_thresholds_of_games_with_shares_agree_with_the_general_jacobian(game):
    """Brute force: the eigenvalues of the general field's numeric Jacobian at each corner, over a grid of values."""
    grid = np.linspace(-6, 6, 17)
    for idx in game.profiles():
        t = gk.thresholds(game, None, game.profile_names(idx))
        for lever in t.levers:
            edges = [e for iv in lever.stable_for for e in iv if e is not None]
            for value in grid:
                if any(abs(value - e) < 1e-9 for e in edges):
                    continue  # on a threshold itself: an eigenvalue is zero
                point = game.with_parameters({lever.parameter: float(value)})
                eq = gk.linearize(point, np.concatenate([np.eye(2)[s] for s in idx]), exact=False)
                brute = eq.stability is gk.Stability.ASYMPTOTICALLY_STABLE
                inside = bool(lever.stable_set.contains(sympy.Rational(str(value))))
                assert inside == brute, (lever.parameter, value, lever.stable_set)
