import dataclasses
import math
import pickle
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import gamekit as gk
from gamekit.errors import AnalysisError
from gamekit.game import EXACT_BITS_LIMIT
from gamekit.modelfile import loads as from_toml
from gamekit.schedule import Phase, Schedule

POPS = {"row": ["up", "down"], "col": ["left", "right"]}
PAYOFFS = {"up, left": ["a", "1"], "up, right": ["0", "0"], "down, left": ["0", "0"], "down, right": ["1", "a"]}


def test_build_and_query():
    g = gk.Game(POPS, PAYOFFS, {"a": 2}, name="coordination")
    assert g.shape == (2, 2)
    assert g.payoff(("up", "left"), "row") == gk.Game(POPS, PAYOFFS, {"a": 2}).payoff((0, 0), 0)
    assert np.array_equal(g.numeric_payoffs()[0], [[2, 0], [0, 1]])
    assert g.with_parameters(a=3).numeric_payoffs()[1][1, 1] == 3
    assert g.parameters["a"] == 2  # immutable original


def test_toml_round_trip_platform():
    g = gk.models.platform_insurance()
    h = from_toml(g.to_toml())
    assert h.name == g.name
    assert h.states == g.states and h.bounds == g.bounds
    assert dict(h.parameters) == dict(g.parameters)
    assert {k: dict(v) for k, v in h.scenarios.items()} == {k: dict(v) for k, v in g.scenarios.items()}
    for a, b in zip(g.payoff_tensors, h.payoff_tensors):
        assert all(x == y for x, y in zip(a.ravel(), b.ravel()))


def test_save_and_load(tmp_path):
    g = gk.Game(POPS, PAYOFFS, {"a": 2.5}, scenarios={"high": {"a": 4}}, states={"good": "up, left"})
    path = tmp_path / "m.toml"
    g.save(path)
    h = gk.load(path)
    assert h.scenario("high").parameters["a"] == 4
    assert h.states["good"] == ("up", "left")


def make(**kw):
    args = dict(populations=POPS, payoffs=PAYOFFS, parameters={"a": 2})
    args.update(kw)
    return gk.Game(args.pop("populations"), args.pop("payoffs"), args.pop("parameters"), **args)


@pytest.mark.parametrize(
    "kwargs, exc, message",
    [
        (
            dict(payoffs={k: v for k, v in PAYOFFS.items() if k != "down, right"}),
            gk.ModelError,
            r"no payoffs for profile \(down, right\)",
        ),
        (dict(parameters={}), gk.ExpressionError, r"'a'.*not a declared parameter"),
        (dict(parameters={"a": math.nan}), gk.ParameterError, "not a finite number"),
        (dict(parameters={"a": math.inf}), gk.ParameterError, "not a finite number"),
        (dict(parameters={"a": "two"}), gk.ParameterError, "not a number"),
        (dict(payoffs={**PAYOFFS, "up, left": ["a"]}), gk.ModelError, r"\(up, left\) has 1 payoffs"),
        (
            dict(payoffs={**PAYOFFS, "up, middle": ["a", "1"]}),
            gk.ModelError,
            r"'middle' is not a strategy of population 'col'",
        ),
        (dict(populations={"row": ["up"], "col": ["left", "right"]}), gk.ModelError, "needs at least two"),
        (dict(populations={"row": ["up", "up"], "col": ["left", "right"]}), gk.ModelError, "names strategy 'up' twice"),
        (dict(payoffs={**PAYOFFS, "up, left": ["a +", "1"]}), gk.ExpressionError, r"cannot parse payoff 'a \+'"),
        (dict(payoffs={**PAYOFFS, "up": ["a", "1"]}), gk.ModelError, "names 1 strategies"),
        (dict(scenarios={"s": {"b": 1}}), gk.ParameterError, "'b', which is not a parameter"),
    ],
)
def test_bad_games_raise_named_errors(kwargs, exc, message):
    with pytest.raises(exc, match=message):
        make(**kwargs)
    assert issubclass(exc, ValueError)


def test_bad_parameter_values_and_scenarios():
    g = make()
    with pytest.raises(gk.ParameterError, match="'b' is not a parameter"):
        g.with_parameters(b=1)
    with pytest.raises(gk.ParameterError, match="not a finite"):
        g.with_parameters(a=float("nan"))
    with pytest.raises(gk.ParameterError, match="no scenario named 'x'"):
        g.scenario("x")
    with pytest.raises(gk.ParameterError, match="'a' has no value"):
        make(parameters={"a": None}).values()


def test_toml_errors(tmp_path):
    # (malformed files in bulk: tests/test_modelfile.py)
    with pytest.raises(gk.ModelError, match="line 2"):
        from_toml('name = "x"\n[populations\n')
    with pytest.raises(gk.ModelError, match=r"no \[payoffs\] section"):
        from_toml('[populations]\na = ["x", "y"]\n')
    with pytest.raises(gk.ModelError, match="no model file"):
        gk.load(tmp_path / "missing.toml")
    bad = tmp_path / "evil.toml"
    bad.write_text(
        '[populations]\na = ["x", "y"]\nb = ["u", "v"]\n[payoffs]\n'
        '"x, u" = ["__import__(\'os\').system(\'touch PWNED\')", "0"]\n"x, v" = [0, 0]\n"y, u" = [0, 0]\n"y, v" = [0, 0]\n'
    )
    with pytest.raises(gk.ExpressionError, match="cannot parse payoff"):
        gk.load(bad)
    assert not (tmp_path / "PWNED").exists()


# -- frozen data: value equality, hashing, pickling, replace ---------------------------------


def test_games_from_the_same_model_are_equal_and_hash_alike():
    g, h = gk.models.platform_insurance(), gk.load("platform-insurance")
    assert g is not h and g == h and hash(g) == hash(h)
    assert {g: "platform"}[h] == "platform"
    assert g.with_parameters(F=11) != g
    assert g.with_parameters(F=11) == h.with_parameters({"F": 11})
    assert g.with_parameters(F=10) == g  # the default value: the same game
    assert make() == make() and make() != make(name="other")


def test_game_is_frozen_and_with_parameters_is_replace():
    g = make()
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.name = "x"
    with pytest.raises(TypeError):
        g.parameters["a"] = 3
    with pytest.raises(ValueError):
        g.payoff_tensors[0][0, 0] = 1
    h = g.with_parameters(a=3)
    assert h == dataclasses.replace(g, parameters={"a": 3})
    assert h.payoffs == g.payoffs and h.populations == g.populations and h.sources == g.sources
    with pytest.raises(gk.ParameterError, match="not a finite number"):
        dataclasses.replace(g, parameters={"a": math.inf})


def test_games_pickle_without_special_methods():
    assert "__getstate__" not in vars(gk.Game) and "__reduce__" not in vars(gk.Game)
    g = gk.models.platform_insurance().scenario("lag")
    again = pickle.loads(pickle.dumps(g))
    assert again == g and hash(again) == hash(g)
    assert again.schedule("phased") == g.schedule("phased")
    assert np.array_equal(again.numeric_payoffs()[2], g.numeric_payoffs()[2])


# -- names: '-' and '_' alike; any valid name for parameters ----------------------------------


def test_scenario_state_and_schedule_names_accept_dash_and_underscore():
    g = gk.models.platform_insurance()
    assert list(g.scenarios) == ["lag", "trap", "meta-goal"]  # stored as written
    assert g.scenario("meta_goal") == g.scenario("meta-goal")
    assert "meta_goal" in g.scenarios and dict(g.scenarios["meta_goal"]) == dict(g.scenarios["meta-goal"])
    assert g.profile_index("meta_goal") == g.profile_index("meta-goal") == (0, 0, 0)
    assert g.state_name((0, 0, 0)) == "meta-goal"
    assert g.schedule("phased").phases[2].scenario == "meta-goal"
    with pytest.raises(gk.ModelError, match="differ only in '-' against '_'"):
        make(scenarios={"a-b": {"a": 1}, "a_b": {"a": 2}})


@pytest.mark.parametrize("name", ["x", "s_x", "S", "E", "I", "N", "lambda", "δ"])
def test_any_valid_name_is_a_parameter(name):
    g = gk.Game(POPS, {k: [v[0].replace("a", name), v[1].replace("a", name)] for k, v in PAYOFFS.items()}, {name: 2})
    assert np.array_equal(g.numeric_payoffs()[0], [[2, 0], [0, 1]])
    assert g.payoff((0, 0), 0) == sympy.Symbol(name, real=True)


# -- exact and numeric payoffs ---------------------------------------------------------------


def test_exact_payoffs_rational_for_the_platform_model():
    g = gk.models.platform_insurance()
    tensors = g.exact_payoffs_rational()
    assert tensors is not None
    # regulate, evade, accept: government delta*F - Cg = 0.3*10 - 2 = 1; platform -delta*F = -3
    assert Fraction(int(tensors[0][0, 1, 1].p), int(tensors[0][0, 1, 1].q)) == Fraction(3, 10) * 10 - 2
    assert tensors[1][0, 1, 1] == -3
    assert all(v.is_Rational for t in tensors for v in t.flat)


def one_population(payoff, **parameters):
    return gk.Game({"p": ["x", "y"]}, {"x": [payoff], "y": [0]}, parameters)


def test_exact_payoffs_rational_is_none_for_irrational_or_huge_entries():
    assert one_population("d^0.95", d=0.3).exact_payoffs_rational() is None  # algebraic irrational
    assert one_population("exp(d)", d=1).exact_payoffs_rational() is None
    discount = one_population("1 - delta^T", delta=0.3, T=1000)
    assert discount.exact_payoffs_rational() is None  # denominators of 3322 bits
    assert discount.exact_payoffs_rational(max_bits=4000) is not None
    assert EXACT_BITS_LIMIT < 3322
    small = one_population("1 - delta^T", delta=0.5, T=20).exact_payoffs_rational()
    assert small[0][0] == 1 - sympy.Rational(1, 2**20)


def test_exploding_exact_powers_fall_back_or_raise_cleanly():
    g = one_population("2^a", a=1e10)
    with pytest.raises(AnalysisError, match="exact=False"):
        g.exact_payoffs()
    assert g.exact_payoffs_rational() is None
    with pytest.raises(gk.ParameterError, match=r"payoff at \(x\)"):
        g.numeric_payoffs()  # 2^1e10 overflows a float
    assert one_population("2^a", a=-1e10).numeric_payoffs()[0][0] == 0.0  # underflow is a number


@pytest.mark.parametrize(
    "payoff, parameters",
    [
        ("a^2", {"a": 1e60}),
        ("1/(a - 1)", {"a": 1}),
        ("log(a)", {"a": 0}),
        ("sqrt(a)", {"a": -1}),
        ("exp(a)", {"a": 1e3}),
    ],
)
def test_numeric_payoffs_refuse_values_that_are_not_finite_reals(payoff, parameters):
    with pytest.raises(gk.ParameterError, match=r"payoff at \(x\).*not a finite real number"):
        one_population(payoff, **parameters).numeric_payoffs()


# -- schedules -------------------------------------------------------------------------------


def test_schedule_parse_reads_both_forms_alike():
    g = gk.models.platform_insurance()
    phased = g.schedule("phased")
    assert [p.name for p in phased.phases] == ["lag", "emergence", "exploration"]
    assert phased.phases[0] == Phase("lag", 0.0, "trap", g.scenarios["trap"])
    # phases are cumulative: emergence keeps the trap's values and changes four of them
    assert dict(phased.phases[1].values) == {**g.scenarios["trap"], "delta": 0.6, "K": 6, "theta": 0.4, "Cc": 2}
    python = Schedule.parse(
        [(0, "trap"), (20, {"delta": 0.6, "K": 6, "theta": 0.4, "Cc": 2}), (40, "meta_goal")],
        parameters=g.parameters,
        scenarios=g.scenarios,
    )
    assert python.as_pairs() == phased.as_pairs()
    assert [p.name for p in python.phases] == ["phase 1", "phase 2", "phase 3"]
    assert phased.phase_at(25).name == "emergence" and phased.phase_at(-1) is None
    merged = Schedule.parse(
        {"p": {"start": 1, "scenario": "trap", "F": 3}}, parameters=g.parameters, scenarios=g.scenarios
    )
    assert merged.phases[0].values["F"] == 3 and merged.phases[0].values["Cg"] == 2


@pytest.mark.parametrize(
    "spec, exc, message",
    [
        ([(5, {"F": 1}), (5, {"F": 2})], gk.ModelError, "phase 'phase 2' starts at 5, not after the previous phase"),
        ([(-1, {"F": 1})], gk.ModelError, "start times must be >= 0"),
        ([(math.nan, {"F": 1})], gk.ParameterError, "not a finite number"),
        ([(math.inf, {"F": 1})], gk.ParameterError, "not a finite number"),
        ([(1, {"Q": 1})], gk.ParameterError, "phase 'phase 1' sets 'Q', which is not a parameter"),
        ([(1, "nope")], gk.ParameterError, "phase 'phase 1' names scenario 'nope'"),
        ([(1, {"F": "x"})], gk.ParameterError, "not a number"),
        ([(1, 5)], gk.ModelError, "expected a scenario name"),
        ([5], gk.ModelError, "not a \\(time, values\\) pair"),
        ([], gk.ModelError, "has no phases"),
        ({"p": {"scenario": "trap"}}, gk.ModelError, "needs a table"),
        ("trap", gk.ModelError, "must map phase names"),
    ],
)
def test_schedule_parse_errors_name_the_phase(spec, exc, message):
    g = gk.models.platform_insurance()
    with pytest.raises(exc, match=message):
        Schedule.parse(spec, parameters=g.parameters, scenarios=g.scenarios, name="s")


# -- Python API misuse -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(populations=5), "populations must map names"),
        (dict(populations="row"), "populations must map names"),
        (dict(populations={"row": "up, down", "col": ["left", "right"]}), "strategies must be a list"),
        (dict(populations={"row": [1, 2], "col": ["left", "right"]}), "strategy name 1 is not a string"),
        (dict(populations={"\x1b[2J": ["up", "down"], "col": ["left", "right"]}), "contains control characters"),
        (dict(populations={}), "no populations"),
        (dict(payoffs=[1, 2]), "payoffs must map each strategy profile"),
        (dict(payoffs={**PAYOFFS, "up, left": [["a"], "1"]}), "not a number or an expression"),
        (dict(payoffs={**PAYOFFS, "up, left": [{"a": 1}, "1"]}), "not a number or an expression"),
        (dict(payoffs={**PAYOFFS, "up, left": [sympy.nan, "1"]}), "not finite"),
        (dict(payoffs={**PAYOFFS, "up, left": [sympy.zoo, "1"]}), "not finite"),
        (dict(payoffs={**PAYOFFS, "up, left": [sympy.oo, "1"]}), "not finite"),
        (dict(payoffs={**PAYOFFS, "up, left": [sympy.I, "1"]}), "not a real number"),
        (dict(payoffs={**PAYOFFS, "up, left": [math.nan, "1"]}), "not a finite number"),
        (dict(payoffs={**PAYOFFS, 5: ["a", "1"]}), "not strategy names"),
        (dict(parameters="a"), "parameters must map names to values"),
        (dict(parameters={"a": [2]}), "not a number"),
        (dict(parameters={"a": True}), "not a number"),
        (dict(parameters={"a": sympy.nan}), "not a real number"),
        (dict(parameters={"a": 1e101}), "beyond the limit"),
        (dict(parameters={"a": 2, 5: 1}), "parameter name 5 is not a string"),
        (dict(name=5), "name must be a printable string"),
        (dict(name="a\x1b[31m"), "name must be a printable string"),
        (dict(scenarios=[1]), "scenarios must map names"),
        (dict(scenarios={"s": 1}), "scenario 's' must map parameters"),
        (dict(states={"x": 3}), "not strategy names"),
        (dict(states={"x": ["up", "nope"]}), "'nope' is not a strategy"),
        (dict(bounds={"a": 5}), "must be \\[low, high\\]"),
        (dict(bounds={"a": (0, math.nan)}), "not a finite number"),
        (dict(bounds={"a": (2, 1)}), "low 2 is above high 1"),
        (dict(bounds=[("a", 1)]), "bounds must map parameters"),
        (dict(schedules={"s": 5}), "must map phase names"),
        (dict(schedules=[1]), "schedules must map names"),
        (dict(sources=5), "sources must map profiles"),
    ],
)
def test_python_api_misuse_raises_gamekit_errors(kwargs, message):
    with pytest.raises(gk.GamekitError, match=message):
        make(**kwargs)


def test_stored_payoffs_are_checked_too():
    g = make()
    with pytest.raises(gk.ModelError, match="flat sequences of 4 payoffs"):
        dataclasses.replace(g, payoffs=g.payoffs[:1])
    with pytest.raises(gk.ModelError, match="flat sequences of 4 payoffs"):
        dataclasses.replace(g, payoffs=(g.payoffs[0][:3], g.payoffs[1]))
    with pytest.raises(gk.ExpressionError, match="'q', which is not a declared parameter"):
        dataclasses.replace(g, payoffs=(g.payoffs[0][:3] + (sympy.Symbol("q"),), g.payoffs[1]))
    assert dataclasses.replace(g, payoffs=(g.payoffs[0][:3] + (sympy.Integer(7),), g.payoffs[1])).payoff((1, 1), 0) == 7


GARBAGE_ATOMS = [
    None, 0, -1, 2.5, math.nan, math.inf, True, "", "up", "up, left", "a +", "\x1b[2J", b"up", 10**200, 1j,
    sympy.nan, sympy.zoo, sympy.Symbol("q"), sympy.Float(0.1), np.float64(1), np.array([1, 2]), np.array(3.0),
    Fraction(1, 3), object(), ("up", "left"), (0, 1), (0, 5), [(0, "s")], {"start": 0},
]  # fmt: skip
garbage = st.recursive(
    st.sampled_from(GARBAGE_ATOMS),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", "up, left", "down, right", "s", "row", "start", 5]), inner, max_size=3),
    ),
    max_leaves=6,
)
FIELDS = ["populations", "payoffs", "parameters", "name", "scenarios", "states", "bounds", "schedules"]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), garbage, min_size=1, max_size=2), st.data())
def test_garbage_anywhere_in_the_python_api_raises_a_gamekit_error_or_builds_a_game(changes, data):
    args = dict(
        populations=POPS, payoffs=PAYOFFS, parameters={"a": 2}, scenarios={"s": {"a": 1}},
        states={"t": "up, left"}, bounds={"a": (0, 3)}, schedules={"p": [(0, "s")]},
    )  # fmt: skip
    args.update(changes)
    try:
        game = make(**args)
    except gk.GamekitError:
        return
    assert game == make(**args) and hash(game) == hash(make(**args))
    query = data.draw(st.sampled_from(["with_parameters", "scenario", "schedule", "profile_index", "payoff", "names"]))
    value = data.draw(garbage)
    try:
        if query == "payoff":
            game.payoff(value, 0)
        elif query == "names":
            game.profile_names(value)
        else:
            getattr(game, query)(value)
    except gk.GamekitError:
        pass


@pytest.mark.parametrize(
    "payoff, parameters, what",
    [
        ("x/y", {"x": 1, "y": 0}, "infinite (division by zero) at x = 1, y = 0"),
        ("x/(y - 2)", {"x": 1, "y": 2}, "infinite (division by zero) at x = 1, y = 2"),
        ("x/y", {"x": 0, "y": 0}, "undefined (0/0"),
        ("log(y)", {"y": 0}, "infinite (the log of 0?) at y = 0"),
        ("log(y)", {"y": -1}, "complex (I*pi) at y = -1"),
        ("x*y", {"x": 1e99, "y": 1e99}, "1.00e+198, too large to analyse (the limit is 1e+100 in magnitude)"),
    ],
)
def test_a_payoff_that_is_not_a_finite_real_says_why_in_words(payoff, parameters, what):
    """hostile6 #17: the message names whose payoff, its expression, why it fails and the values that make it fail,
    never sympy's 'zoo' nor the internal constant's name; the oracle is sympy's value of the expression."""
    game = gk.Game(
        {"row": ["a", "b"], "col": ["c", "d"]},
        {"a, c": [payoff, "0"], "a, d": ["0", "0"], "b, c": ["0", "0"], "b, d": ["0", "0"]},
        parameters,
    )
    value = sympy.sympify(payoff).xreplace({sympy.Symbol(k): sympy.nsimplify(v) for k, v in parameters.items()})
    assert not (value.is_finite and value.is_extended_real and abs(value) <= 1e100)  # the oracle agrees it is bad
    with pytest.raises(gk.ParameterError) as err:
        game.numeric_payoffs()
    message = str(err.value)
    assert "\n" not in message and "zoo" not in message and "MAX_MAGNITUDE" not in message
    assert message.startswith(f"payoff at (a, c) to row, {payoff}, is not a finite real number: it is {what}")
