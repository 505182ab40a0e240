import math

import numpy as np
import pytest

import gamekit as gk
from gamekit.game import from_toml

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
