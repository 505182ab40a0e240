"""Model files: a hostile corpus that must end in a GamekitError, and round trips that must be exact."""

from __future__ import annotations

import itertools
import pickle
import random

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gamekit as gk
from gamekit.errors import GamekitError
from gamekit.expr import MAX_EXPRESSION_LENGTH
from gamekit.modelfile import MAX_FILE_BYTES, dumps, loads, payoff_text

from .strategies import games

# -- the corpus -----------------------------------------------------------------------------

BASE = {
    "populations": 'row = ["up", "down"]\ncol = ["left", "right"]',
    "parameters": "a = 2\nb = 0.5",
    "payoffs": '"up, left" = ["a", "1"]\n"up, right" = ["0", "b"]\n"down, left" = ["0", "0"]\n"down, right" = ["1", "a"]',
    "scenarios.high": "a = 4",
    "states": 'good = "up, left"',
    "bounds": "b = [0, 1]",
    "schedules.plan": 'first = { start = 0, scenario = "high" }\nsecond = { start = 10, b = 0.7 }',
}


def render(top: str = 'name = "base"', **sections: str | None) -> str:
    """The base model with some sections replaced (``None`` drops one); keys use ``__`` for ``.``."""
    body = dict(BASE)
    for key, text in sections.items():
        body[key.replace("__", ".")] = text
    parts = [top]
    parts += [f"[{name}]\n{text}" for name, text in body.items() if text is not None]
    return "\n\n".join(parts) + "\n"


def with_payoff(cell: str, profile: str = "up, left") -> str:
    """The base model with one payoff cell (a TOML value) replaced."""
    lines = BASE["payoffs"].splitlines()
    lines = [f'"{profile}" = [{cell}, "1"]' if line.startswith(f'"{profile}"') else line for line in lines]
    return render(payoffs="\n".join(lines))


def toml_string(s: str) -> str:
    return '"' + "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else f"\\u{ord(c):04x}" for c in s) + '"'


CORPUS: dict[str, str | bytes] = {}

# wrong types, section by section (each slot with every value that is wrong there)
WRONG_VALUES = ["5", '"text"', "[1, 2]", "true", "1979-05-27", "{ x = 1 }", "[[1]]", "nan", "inf"]
SLOTS = {
    "top-level populations": lambda v: render(f"populations = {v}", populations=None),
    "strategies": lambda v: render(populations=f'row = {v}\ncol = ["left", "right"]'),
    "parameter value": lambda v: render(parameters=f"a = {v}"),
    "payoff cell": lambda v: with_payoff(f"[{v}]" if v in ("5", "nan", "inf") else v),
    "scenario value": lambda v: render(scenarios__high=f"a = {v}"),
    "state": lambda v: render(states=f"good = {v}"),
    "bounds": lambda v: render(bounds=f"b = {v}"),
    "schedule phase": lambda v: render(schedules__plan=f"first = {v}"),
    "schedule start": lambda v: render(schedules__plan=f"first = {{ start = {v} }}"),
    "model name": lambda v: render(f"name = {v}"),
}
VALID_THERE = {("parameter value", "5"), ("scenario value", "5"), ("bounds", "[1, 2]"), ("schedule start", "5")}
VALID_THERE |= {("model name", '"text"')}
for slot, make in SLOTS.items():
    for bad in WRONG_VALUES:
        if (slot, bad) not in VALID_THERE:
            CORPUS[f"{slot} = {bad}"] = make(bad)
for section in ("parameters", "payoffs", "states", "bounds"):
    CORPUS[f"{section} is a number"] = render(f"{section} = 5", **{section: None})
CORPUS["scenarios is a number"] = render("scenarios = 5", scenarios__high=None)
CORPUS["schedules is a number"] = render("schedules = 5", schedules__plan=None)
CORPUS["a scenario is a number"] = render('name = "x"\nscenarios = { high = 5 }', scenarios__high=None)
CORPUS["a schedule is a number"] = render('name = "x"\nschedules = { plan = 5 }', schedules__plan=None)
CORPUS["description is a number"] = render('description = 5\nname = "x"')
CORPUS["unknown section"] = render(**{"extra": "x = 1"})
CORPUS["unknown top-level key"] = render('name = "x"\nversion = 2')

# missing or empty
CORPUS["empty file"] = ""
CORPUS["only whitespace"] = "   \n\n\t\n"
CORPUS["only a name"] = 'name = "x"\n'
CORPUS["no populations"] = render(populations=None)
CORPUS["no payoffs"] = render(payoffs=None)
CORPUS["empty populations"] = render(populations="")
CORPUS["empty payoffs"] = render(payoffs="")
CORPUS["empty schedule"] = render(schedules__plan="")
CORPUS["one strategy"] = render(populations='row = ["up"]\ncol = ["left", "right"]')
CORPUS["duplicate strategy"] = render(populations='row = ["up", "up"]\ncol = ["left", "right"]')
CORPUS["missing profile"] = render(payoffs="\n".join(BASE["payoffs"].splitlines()[:3]))
CORPUS["duplicate profile (spacing)"] = render(payoffs=BASE["payoffs"] + '\n"up,left" = ["1", "1"]')
CORPUS["duplicate profile (TOML key)"] = render(payoffs=BASE["payoffs"] + '\n"up, left" = ["1", "1"]')
CORPUS["duplicate population"] = 'name = "x"\n[populations]\nrow = ["a", "b"]\nrow = ["c", "d"]\n'
CORPUS["profile with 3 strategies"] = render(payoffs=BASE["payoffs"] + '\n"up, left, left" = ["1", "1"]')
CORPUS["profile with 1 strategy"] = render(payoffs=BASE["payoffs"].replace('"down, right"', '"down"'))
CORPUS["unknown strategy"] = render(payoffs=BASE["payoffs"].replace('"down, right"', '"down, middle"'))
CORPUS["ragged payoffs"] = render(payoffs=BASE["payoffs"].replace('["1", "a"]', '["1"]'))
CORPUS["three payoffs for two populations"] = render(payoffs=BASE["payoffs"].replace('["1", "a"]', '["1", "a", "2"]'))
CORPUS["huge declared game"] = render(
    populations="\n".join(f"p{i} = [{', '.join(toml_string(f's{j}') for j in range(50))}]" for i in range(12)),
    payoffs=toml_string(", ".join(["s0"] * 12)) + " = [" + ", ".join(["0"] * 12) + "]",
    states=None,
)
CORPUS["state names an unknown strategy"] = render(states='good = "up, middle"')
CORPUS["state with too few strategies"] = render(states='good = "up"')
CORPUS["scenario sets an unknown parameter"] = render(scenarios__high="zz = 1")
CORPUS["bounds of an unknown parameter"] = render(bounds="zz = [0, 1]")
CORPUS["bounds reversed"] = render(bounds="b = [1, 0]")
CORPUS["bounds with three values"] = render(bounds="b = [0, 1, 2]")
CORPUS["bounds with a word"] = render(bounds='b = ["low", 1]')
CORPUS["schedule without start"] = render(schedules__plan='first = { scenario = "high" }')
CORPUS["schedule start negative"] = render(schedules__plan="first = { start = -1 }")
CORPUS["schedule start as text"] = render(schedules__plan='first = { start = "0" }')
CORPUS["schedule not increasing"] = render(
    schedules__plan='first = { start = 5, scenario = "high" }\nsecond = { start = 5, b = 0.7 }'
)
CORPUS["schedule decreasing"] = render(schedules__plan="first = { start = 5 }\nsecond = { start = 1, b = 0.7 }")
CORPUS["schedule unknown scenario"] = render(schedules__plan='first = { start = 0, scenario = "nope" }')
CORPUS["schedule scenario a number"] = render(schedules__plan="first = { start = 0, scenario = 3 }")
CORPUS["schedule unknown parameter"] = render(schedules__plan="first = { start = 0, zz = 1 }")
CORPUS["schedule value nan"] = render(schedules__plan="first = { start = 0, b = nan }")
CORPUS["schedule start inf"] = render(schedules__plan="first = { start = inf }")
CORPUS["scenarios differing in - and _"] = render(
    scenarios__high="a = 4", **{"scenarios.hi-gh": "a = 1", "scenarios.hi_gh": "a = 2"}
)

# expressions
EXPRESSIONS = {
    "unknown symbol": "zz + 1",
    "unknown function": "sin(a)",
    "python code": "__import__('os').system('touch PWNED')",
    "attribute access": "a.__class__",
    "lambda": "lambda: 1",
    "empty": "",
    "dangling operator": "a +",
    "unbalanced": "(a",
    "nested parentheses 10000 deep": "(" * 10_000 + "a" + ")" * 10_000,
    "nested parentheses 1000 deep": "(" * 1_000 + "a" + ")" * 1_000,
    "nested parentheses 60 deep": "(" * 60 + "a" + ")" * 60,
    "nested signs 5000 deep": "-" * 5_000 + "a",
    "nested calls 200 deep": "exp(" * 200 + "a" + ")" * 200,
    "1 MB expression": "a + " * 250_000 + "a",
    "10001 characters": "a" + " " * MAX_EXPRESSION_LENGTH,
    "too many operations": "+".join(["a"] * 2_500),
    "power tower 9^9^9^9": "9^9^9^9",
    "2^1e10": "2^1e10",
    "a^1e10": "a^1e10",
    "2^2^2^2^2^2": "2^2^2^2^2^2",
    "10^10^10": "10^10^10",
    "(2^4000)^(2^4000)": "(2^4000)^(2^4000)",
    "2^100000": "2^100000",
    "0.5^-100000": "0.5^-100000",
    "7^5000": "7^5000",
    "2^(1/1e9)": "2^(1/1e9)",
    "300 roots of 3300-bit numbers": " + ".join(f"sqrt(0.3^999 + 1/{k})" for k in range(3, 303)),
    "1e308": "1e308",
    "1e400": "1e400",
    "-1e400": "-1e400",
    "1e-99999999": "1e-99999999",
    "10^200": "10^200",
    "a 50-digit number": "1" * 50,
    "division by zero": "1/0",
    "log(0)": "log(0)",
    "log(-1)": "log(-1)",
    "sqrt(-1)": "sqrt(-1)",
    "(-8)^(1/3)": "(-8)^(1/3)",
    "0^-1": "0^-1",
    "exp with two arguments": "exp(a, b)",
    "control character": "a +\x01 b",
    "ANSI escape": "a \x1b[31m+ b",
    "unicode digit": "\u0663 + a",
    "semicolon": "a; b",
    "list": "[a]",
}
for label, text in EXPRESSIONS.items():
    CORPUS[f"payoff: {label}"] = with_payoff(toml_string(text))
for label, value in {
    "300 roots of 3300-bit numbers": " + ".join(f"sqrt(0.3^999 + 1/{k})" for k in range(3, 303)),
    "1e308": "1e308",
    "1e400": "1e400",
    "-1e400": "-1e400",
    "nan": "nan",
    "inf": "inf",
    "-inf": "-inf",
}.items():
    CORPUS[f"payoff number {label}"] = with_payoff(value)
    CORPUS[f"parameter {label}"] = render(parameters=f"a = {value}\nb = 0.5")
    CORPUS[f"scenario value {label} (numeric)"] = render(scenarios__high=f"a = {value}")
    CORPUS[f"bound {label}"] = render(bounds=f"b = [0, {value}]" if label != "1e308" else "b = [-1e400, 1e300]")
    CORPUS[f"schedule value {label}"] = render(schedules__plan=f"first = {{ start = 0, b = {value} }}")
CORPUS["parameter 1e300"] = render(parameters="a = 1e300\nb = 0.5")
CORPUS["parameter 10^200 as integer"] = render(parameters=f"a = {10**200}\nb = 0.5")

# names
BAD_NAMES = {
    "ANSI escape": "\x1b[31mred\x1b[0m",
    "newline": "two\nlines",
    "NUL": "nul\x00",
    "bell": "bell\x07",
    "bidi override": "abc\u202edef",
    "empty": "",
    "blank": "   ",
    "too long": "n" * 500,
}
for label, bad in BAD_NAMES.items():
    name = toml_string(bad)
    CORPUS[f"population name: {label}"] = render(populations=f'{name} = ["up", "down"]\ncol = ["left", "right"]')
    CORPUS[f"strategy name: {label}"] = render(populations=f'row = ["up", {name}]\ncol = ["left", "right"]')
    CORPUS[f"parameter name: {label}"] = render(parameters=f"a = 2\nb = 0.5\n{name} = 1")
    CORPUS[f"scenario name: {label}"] = render(**{f"scenarios.{name}": "a = 1"})
    CORPUS[f"state name: {label}"] = render(states=f'{name} = "up, left"')
    CORPUS[f"schedule name: {label}"] = render(**{f"schedules.{name}": "first = { start = 0 }"})
    CORPUS[f"phase name: {label}"] = render(schedules__plan=f"{name} = {{ start = 0 }}")
    CORPUS[f"model name: {label}"] = render(f"name = {name}") if label not in ("empty", "blank", "too long") else None
CORPUS = {k: v for k, v in CORPUS.items() if v is not None}
CORPUS["strategy with a comma"] = render(populations='row = ["up, high", "down"]\ncol = ["left", "right"]')
CORPUS["parameter name with a space"] = render(parameters='a = 2\nb = 0.5\n"c d" = 1')
CORPUS["parameter name starting with a digit"] = render(parameters='a = 2\nb = 0.5\n"1c" = 1')

# not TOML at all
RNG = random.Random(8)
CORPUS["invalid TOML"] = 'name = "x"\n[populations\n'
CORPUS["non-UTF-8 bytes"] = render().encode() + b"\n# \xff\xfe\xfd\n"
CORPUS["Latin-1 text"] = render().replace("base", "caf\u00e9").encode("latin-1")
CORPUS["UTF-16 text"] = render().encode("utf-16")
CORPUS["NUL bytes"] = b"\x00" * 64
for i in range(8):
    CORPUS[f"binary garbage {i}"] = bytes(RNG.randrange(256) for _ in range(RNG.randrange(1, 4096)))
for i in range(6):
    text = render()
    cut = RNG.randrange(1, len(text) - 1)
    CORPUS[f"truncated model {i}"] = text[:cut] + ("[" if i % 2 else '"')
CORPUS["TOML arrays 10000 deep"] = 'name = "x"\nx = ' + "[" * 10_000 + "]" * 10_000 + "\n"
CORPUS["TOML inline tables 5000 deep"] = "x = " + "{ a = " * 5_000 + "1" + " }" * 5_000 + "\n"
CORPUS["a model file of JSON"] = '{"populations": {"a": ["x", "y"]}}'

# issue #9: shares, symmetric one-population games, group games
SYMMETRIC = (
    'name = "hawk-dove"\n[populations]\nplayers = ["hawk", "dove"]\n[parameters]\nV = 2\nC = 4\n'
    '[payoffs]\n"hawk, hawk" = ["(V - C)/2"]\n"hawk, dove" = ["V"]\n"dove, hawk" = ["0"]\n"dove, dove" = ["V/2"]\n'
)
GROUP = (
    'name = "stag hunt"\n[populations]\nhunters = ["cooperate", "defect"]\n[parameters]\nM = 5\nF = 8\nc = 1\n'
    '[group]\nsize = 10\ncount = "k"\n'
    '[payoffs]\ncooperate = "(k + 1)*F*c/10*step(k + 1 - M) - c"\ndefect = "k*F*c/10*step(k - M)"\n'
)
SHARES = render(shares='y = "col.left"', payoffs=BASE["payoffs"].replace('["a", "1"]', '["a*y", "1 - y"]'), states=None)
for label, value in {
    "not a strategy": '"row.middle"',
    "not a population": '"nobody.up"',
    "without a dot": '"up"',
    "empty": '""',
    "a number": "3",
    "a table": "{ population = 'row' }",
    "an array": '["row", "up"]',
}.items():
    CORPUS[f"share {label}"] = SHARES.replace('y = "col.left"', f"y = {value}")
CORPUS["share named like a parameter"] = render(shares='a = "row.up"')
CORPUS["share name with a space"] = render(shares='"y z" = "row.up"')
CORPUS["shares is a number"] = render("shares = 5")
CORPUS["share used without [shares]"] = SHARES.replace('[shares]\ny = "col.left"', "")
for label, value in {
    "1": "1",
    "0": "0",
    "negative": "-3",
    "a fraction": "2.5",
    "a float": "10.0",
    "text": '"10"',
    "a boolean": "true",
    "huge": str(10**9),
    "an array": "[10]",
}.items():
    CORPUS[f"group size {label}"] = GROUP.replace("size = 10", f"size = {value}")
CORPUS["group without size"] = GROUP.replace("size = 10\n", "")
CORPUS["group count is a parameter"] = GROUP.replace('count = "k"', 'count = "M"')
CORPUS["group count is a number"] = GROUP.replace('count = "k"', "count = 3")
CORPUS["group count is not a name"] = GROUP.replace('count = "k"', 'count = "k 2"')
CORPUS["group with an unknown key"] = GROUP.replace('count = "k"', 'count = "k"\nthreshold = 5')
CORPUS["group is a number"] = GROUP.replace('[group]\nsize = 10\ncount = "k"\n', "").replace(
    'name = "stag hunt"', 'name = "stag hunt"\ngroup = 10'
)
CORPUS["group of three strategies"] = GROUP.replace('"defect"]', '"defect", "loner"]') + 'loner = "1"\n'
CORPUS["group of two populations"] = render(group="size = 4")
CORPUS["group payoff keyed by a profile"] = GROUP.replace("defect = ", '"defect, cooperate" = ')
CORPUS["group payoff missing"] = GROUP.replace('defect = "k*F*c/10*step(k - M)"\n', "")
CORPUS["group payoff with two values"] = GROUP.replace('defect = "k*F*c/10*step(k - M)"', 'defect = ["k", "1"]')
CORPUS["group payoff uses an undeclared count"] = GROUP.replace('count = "k"', 'count = "n"')
CORPUS["symmetric profile of three strategies"] = SYMMETRIC.replace('"dove, dove" =', '"dove, dove, dove" =')
CORPUS["symmetric and one-strategy profiles mixed"] = SYMMETRIC.replace('"dove, dove" =', '"dove" =')
CORPUS["symmetric profile with two payoffs"] = SYMMETRIC.replace('["V/2"]', '["V/2", "V/2"]')
CORPUS["symmetric profile missing"] = SYMMETRIC.replace('"dove, dove" = ["V/2"]\n', "")
CORPUS["symmetric profile twice"] = SYMMETRIC + '"dove,dove" = ["1"]\n'
CORPUS["symmetric unknown strategy"] = SYMMETRIC.replace('"dove, dove" =', '"dove, eagle" =')
CORPUS["step with two arguments"] = GROUP.replace("step(k - M)", "step(k, M)")


def test_files_beyond_the_size_limit_are_not_parsed(tmp_path):
    path = tmp_path / "big.toml"
    path.write_text(render() + "# " + "x" * MAX_FILE_BYTES + "\n", encoding="utf-8")
    with pytest.raises(gk.ModelError, match="larger than .* bytes"):
        gk.load(path)


def test_the_corpus_is_large_and_the_base_model_is_valid():
    assert len(CORPUS) >= 150
    game = loads(render())
    assert game.shape == (2, 2) and game.schedule("plan").phases[1].values["b"] == 0.7


@pytest.mark.parametrize("label", sorted(CORPUS))
def test_malformed_model_files_raise_a_gamekit_error(label, tmp_path):
    content = CORPUS[label]
    path = tmp_path / "model.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(GamekitError) as err:
        gk.load(path)
    message = str(err.value)
    assert message.startswith(str(path)) or "model file" in message
    assert "\x1b" not in message and "\x00" not in message and "\n" not in message.strip()
    assert not (tmp_path / "PWNED").exists()


def test_error_messages_name_the_place():
    cases = {
        render(states="x = 3"): r"\[states\]: 'x' must be a profile",
        render(parameters='a = "two"'): r"\[parameters\]: a must be a number, got a string",
        with_payoff(toml_string("(" * 100 + "a" + ")" * 100)): r"profile \(up, left\), row: .*nested more than 50",
        with_payoff(toml_string("9^9^9^9")): "exponent 387420489 is out of range",
        with_payoff("1e400"): "not a finite number",
        render(populations='"\x1b[31m" = ["up", "down"]\ncol = ["left", "right"]'.replace("\x1b", "\\u001b")): (
            r"population name '\\x1b\[31m' contains control characters"
        ),
        render(schedules__plan='first = { start = 0, scenario = "nope" }'): r"phase 'first' names scenario 'nope'",
    }
    for text, pattern in cases.items():
        with pytest.raises(GamekitError, match=pattern):
            loads(text, "m.toml")


# -- round trips ----------------------------------------------------------------------------

PARAMETER_NAMES = ["x", "s_x", "S", "E", "I", "N", "lambda", "beta", "\u03b4", "a1"]
finite = st.one_of(st.integers(-1000, 1000), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))


@st.composite
def rich_games(draw):
    """A random game from tests.strategies.games, with parameters, scenarios, states, bounds and schedules."""
    base = draw(games(max_pops=3))
    names = draw(st.lists(st.sampled_from(PARAMETER_NAMES), min_size=1, max_size=4, unique=True))
    parameters = {n: draw(finite) for n in names}
    payoffs = {}
    for idx in base.profiles():
        row = []
        for t in base.payoff_tensors:
            value = int(t[idx])
            form = draw(st.integers(0, 3))
            if form == 0:
                row.append(value)
            elif form == 1:
                row.append(f"{value} + {draw(st.sampled_from(names))}")
            elif form == 2:
                row.append(f"{value} - 3/4*{draw(st.sampled_from(names))}^2")
            else:
                row.append(t[idx] + sympy.Rational(1, 3) * sympy.Symbol(draw(st.sampled_from(names))))
        payoffs[", ".join(base.profile_names(idx))] = row
    label = st.text(st.characters(categories=("L", "N"), include_characters="-_ "), min_size=1, max_size=8)
    scenario_names = draw(st.lists(label, max_size=3, unique_by=lambda s: s.strip().replace("-", "_")))
    scenario_names = [s for s in scenario_names if s.strip()]
    scenarios = {
        s: {n: draw(finite) for n in draw(st.lists(st.sampled_from(names), min_size=1, unique=True))}
        for s in scenario_names
    }
    states = {
        s: ", ".join(base.profile_names(draw(st.sampled_from(list(base.profiles())))))
        for s in draw(st.lists(label.filter(str.strip), max_size=2, unique_by=lambda s: s.replace("-", "_")))
    }
    bounds = {}
    for n in draw(st.lists(st.sampled_from(names), max_size=2, unique=True)):
        low, high = sorted([draw(finite), draw(finite)])
        bounds[n] = (draw(st.sampled_from([low, None])), draw(st.sampled_from([high, None])))
    schedules = {}
    if draw(st.booleans()):
        starts = sorted(set(draw(st.lists(st.integers(0, 100), min_size=1, max_size=3))))
        steps = []
        for t in starts:
            if scenario_names and draw(st.booleans()):
                steps.append((t, draw(st.sampled_from(scenario_names))))
            else:
                steps.append((t, {draw(st.sampled_from(names)): draw(finite)}))
        schedules["python form"] = steps
        spec = {}
        for i, t in enumerate(starts):
            phase = {"start": t + 0.5, names[0]: draw(finite)}
            if scenario_names and draw(st.booleans()):
                phase["scenario"] = draw(st.sampled_from(scenario_names))
            spec[f"phase-{i}"] = phase
        schedules["file_form"] = spec
    name = draw(st.text(st.characters(categories=("L", "N", "P", "Zs")), max_size=12))
    return gk.Game(
        {p.name: list(p.strategies) for p in base.populations},
        payoffs,
        parameters,
        name=name,
        scenarios=scenarios,
        states=states,
        bounds=bounds,
        schedules=schedules,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rich_games())
def test_toml_round_trip_of_random_games(game):
    text = dumps(game)
    again = loads(text)
    assert again == game and hash(again) == hash(game)
    assert dumps(again) == text
    assert again.schedules == game.schedules and again.scenarios == game.scenarios
    for name in game.schedules:
        assert again.schedule(name).as_pairs() == game.schedule(name).as_pairs()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rich_games())
def test_games_pickle_to_an_equal_game(game):
    again = pickle.loads(pickle.dumps(game))
    assert again == game and hash(again) == hash(game)
    assert again.numeric_payoffs()[0].tolist() == game.numeric_payoffs()[0].tolist()
    assert again.scenarios.keys() == game.scenarios.keys()


def test_payoff_text_reads_back_to_the_same_expression():
    a, b = sympy.symbols("a b", real=True)
    for expr in [abs(a) - sympy.Min(a, b, 1), sympy.Max(a, 2) * sympy.exp(b), sympy.E * a, sympy.sqrt(a) / 3, a**-2]:
        game = gk.Game({"p": ["x", "y"]}, {"x": [expr], "y": [0]}, {"a": 1, "b": 2})
        again = loads(dumps(game))
        assert again.payoff(("x",), 0) == game.payoff(("x",), 0), payoff_text(expr)


def test_a_parameter_without_a_value_cannot_be_written():
    game = gk.Game({"p": ["x", "y"]}, {"x": ["a"], "y": [0]}, {"a": None})
    with pytest.raises(gk.ModelError, match="'a' has no value"):
        dumps(game)


def test_shipped_models_round_trip_and_load_by_either_spelling():
    for name in gk.models.available():
        game = gk.load(name)
        assert loads(dumps(game)) == game
        assert gk.load(name.replace("-", "_")) == game
    with pytest.raises(gk.ModelError, match="no model file 'nope'"):
        gk.load("nope")
    with pytest.raises(gk.ModelError, match="a model is a file path"):
        gk.load(42)


# -- issue #9: shares, symmetric one-population games, group games ---------------------------


def test_the_three_new_forms_are_read():
    hawk_dove = loads(SYMMETRIC)
    V, C = sympy.symbols("V C", real=True)
    assert hawk_dove.kind == "symmetric" and hawk_dove.shape == (2,) and not hawk_dove.multilinear
    assert hawk_dove.payoff_tensors[0].tolist() == [[(V - C) / 2, V], [0, V / 2]]
    assert hawk_dove.sources[("hawk", "dove")] == ("V",)
    # a bare string is the same payoff as a one-element array
    assert loads(SYMMETRIC.replace('["V"]', '"V"').replace('["0"]', "0")) == hawk_dove

    stag = loads(GROUP)
    k, M, F, c = sympy.symbols("k M F c", real=True)
    assert stag.kind == "group" and stag.group == gk.game.Group(size=10, count="k")
    assert stag.payoff_tensors[0][0] == (k + 1) * F * c / 10 * sympy.Heaviside(k + 1 - M, 1) - c
    assert (
        stag.payoff_tensors[0][1].subs({k: 4, M: 5}) == 0 and stag.payoff_tensors[0][1].subs({k: 5, M: 5}) == F * c / 2
    )
    assert loads(GROUP.replace('defect = "k*F*c/10*step(k - M)"', 'defect = ["k*F*c/10*step(k - M)"]')) == stag
    assert loads(GROUP.replace('count = "k"\n', "")).group.count == "k"  # the default count

    shared = loads(SHARES)
    assert dict(shared.shares) == {"y": ("col", "left")} and shared.kind == "populations" and not shared.multilinear
    assert shared.payoff(("up", "left"), "row") == sympy.Symbol("a", real=True) * sympy.Symbol("y", real=True)


def test_what_is_written_is_what_was_read():
    """dumps writes each kind in the form of the issue's examples, payoff texts as written."""
    text = dumps(loads(SYMMETRIC))
    assert '"hawk, hawk" = ["(V - C)/2"]' in text and "[group]" not in text and "[shares]" not in text
    text = dumps(loads(GROUP))
    assert '[group]\nsize = 10\ncount = "k"\n' in text
    assert 'cooperate = "(k + 1)*F*c/10*step(k + 1 - M) - c"' in text
    text = dumps(loads(SHARES))
    assert '[shares]\ny = "col.left"\n' in text and '"up, left" = ["a*y", "1 - y"]' in text
    for model in (SYMMETRIC, GROUP, SHARES):
        game = loads(model)
        assert loads(dumps(game)) == game and dumps(loads(dumps(game))) == dumps(game)


def test_games_from_python_are_written_without_source_texts():
    y = sympy.Symbol("y", real=True)
    game = gk.Game(
        {"p": ["a", "b"], "q": ["c", "d"]},
        {"a, c": [y**2, 1], "a, d": [0, 1 - y], "b, c": [1, 0], "b, d": [0, 0]},
        {},
        shares={"y": ("q", "c")},
    )
    assert loads(dumps(game)) == game and '"a, c" = ["y**2", "1"]' in dumps(game)
    k = sympy.Symbol("n", real=True)
    group = gk.Game(
        {"p": ["a", "b"]}, {"a": k * sympy.Heaviside(k - 2, 1), "b": 1}, {}, group={"size": 5, "count": "n"}
    )
    assert 'a = "n*step(n - 2)"' in dumps(group) and loads(dumps(group)) == group


@pytest.mark.parametrize(
    "text, error, pattern",
    [
        (CORPUS["share not a strategy"], gk.ModelError, r"share 'y': 'middle' is not a strategy of population 'row'"),
        (CORPUS["share not a population"], gk.ModelError, r"share 'y': 'nobody' is not a population"),
        (CORPUS["share without a dot"], gk.ModelError, r"\[shares\]: 'y' is 'up', which names no strategy"),
        (CORPUS["share a number"], gk.ModelError, r'\[shares\]: \'y\' must be "population.strategy"'),
        (CORPUS["share named like a parameter"], gk.ModelError, "share 'a' has the name of a parameter"),
        (
            CORPUS["share used without [shares]"],
            gk.ExpressionError,
            r"profile \(up, left\), row: payoff 'a\*y' uses 'y', which is not a declared parameter; "
            r"declare 'y' under \[parameters\] \(a number\), or under \[shares\]",
        ),
        (CORPUS["group size 1"], gk.ModelError, r"\[group\]: size must be at least 2"),
        (CORPUS["group size negative"], gk.ModelError, r"\[group\]: size must be at least 2 .* got -3"),
        (CORPUS["group size a fraction"], gk.ModelError, r"\[group\]: size must be an integer .* 2.5"),
        (CORPUS["group size text"], gk.ModelError, r"\[group\]: size must be an integer .*a string '10'"),
        (CORPUS["group size huge"], gk.ModelError, "MAX_GROUP_SIZE"),
        (CORPUS["group without size"], gk.ModelError, r"\[group\] needs size"),
        (CORPUS["group count is a parameter"], gk.ModelError, "the group count 'M' has the name of a parameter"),
        (
            CORPUS["group with an unknown key"],
            gk.ModelError,
            r"\[group\]: unknown key 'threshold' \(keys: size, count\)",
        ),
        (CORPUS["group of three strategies"], gk.ModelError, "a group game has one population with two strategies"),
        (CORPUS["group of two populations"], gk.ModelError, "this one has 2 populations"),
        (CORPUS["group payoff uses an undeclared count"], gk.ExpressionError, r"or as the count under \[group\]"),
        (CORPUS["symmetric profile of three strategies"], gk.ModelError, "'dove, dove, dove' names 3 strategies"),
        (CORPUS["symmetric and one-strategy profiles mixed"], gk.ModelError, "not a mixture"),
        (CORPUS["symmetric profile with two payoffs"], gk.ModelError, r"\(dove, dove\) has 2 payoffs; .* one \(mine\)"),
        (CORPUS["group payoff keyed by a profile"], gk.ModelError, "expected one strategy in a group game"),
        (CORPUS["step with two arguments"], gk.ExpressionError, r"step\(\) takes 1 argument, got 2"),
    ],
)
def test_issue_9_errors_name_the_problem(text, error, pattern):
    with pytest.raises(error, match=pattern) as err:
        loads(text, "m.toml")
    assert str(err.value).startswith("m.toml: ") and "\n" not in str(err.value)


def test_a_group_count_may_not_be_a_share():
    text = GROUP.replace("[group]", '[shares]\nx = "hunters.cooperate"\n[group]').replace('count = "k"', 'count = "x"')
    with pytest.raises(gk.ModelError, match="the group count 'x' has the name of a share"):
        loads(text, "m.toml")


SHARE_NAMES = ["x", "y", "share_1", "Y"]


@st.composite
def symmetric_games(draw):
    """A random symmetric one-population game, payoffs in parameters and (sometimes) named shares."""
    n = draw(st.integers(2, 4))
    strategies = [f"s{i}" for i in range(n)]
    parameters = {name: draw(finite) for name in draw(st.lists(st.sampled_from(["a", "b", "E"]), max_size=2))}
    shares = {}
    for name in draw(st.lists(st.sampled_from(SHARE_NAMES), max_size=2, unique=True)):
        shares[name] = f"players.{draw(st.sampled_from(strategies))}"
    names = list(parameters) + list(shares)
    payoffs = {}
    for i, j in itertools.product(strategies, repeat=2):
        value = draw(st.integers(-5, 5))
        if names and draw(st.booleans()):
            value = f"{value} + {draw(st.sampled_from(names))}*{draw(st.integers(1, 3))}"
        payoffs[f"{i}, {j}"] = draw(st.sampled_from([value, [value]]))
    return gk.Game({"players": strategies}, payoffs, parameters, shares=shares, name="symmetric")


@st.composite
def group_games(draw):
    """A random group game: size 2-12, payoffs in the count with steps, parameters and shares."""
    size = draw(st.integers(2, 12))
    count = draw(st.sampled_from(["k", "n", "others"]))
    parameters = {"M": draw(st.integers(1, size)), "F": draw(finite)}
    shares = {"x": "players.cooperate"} if draw(st.booleans()) else {}
    terms = [f"{count}*F/{size}", f"step({count} + 1 - M)", f"({count} + 1)*F*step({count} - M)", "x" * bool(shares)]
    payoffs = {
        s: " - ".join(draw(st.lists(st.sampled_from([t for t in terms if t]), min_size=1, max_size=3)))
        for s in ("cooperate", "defect")
    }
    return gk.Game(
        {"players": ["cooperate", "defect"]}, payoffs, parameters, shares=shares, group={"size": size, "count": count}
    )


@st.composite
def shared_games(draw):
    """A random game between populations whose payoffs use named shares (dynamic rewards and fines)."""
    base = draw(games(max_pops=3))
    shares = {}
    for name in draw(st.lists(st.sampled_from(SHARE_NAMES), min_size=1, max_size=3, unique=True)):
        pop = draw(st.sampled_from(base.populations))
        shares[name] = (pop.name, draw(st.sampled_from(pop.strategies)))
    payoffs = {}
    for idx in base.profiles():
        row = []
        for t in base.payoff_tensors:
            form = draw(st.integers(0, 2))
            share = draw(st.sampled_from(list(shares)))
            row.append([int(t[idx]), f"{int(t[idx])}*(1 - {share})", f"F*{share}^2 - 1/3"][form])
        payoffs[", ".join(base.profile_names(idx))] = row
    return gk.Game(
        {p.name: list(p.strategies) for p in base.populations}, payoffs, {"F": draw(finite)}, shares=shares, name="s"
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(symmetric_games(), group_games(), shared_games()))
def test_toml_round_trip_of_every_kind(game):
    text = dumps(game)
    again = loads(text)
    assert again == game and hash(again) == hash(game) and again.kind == game.kind
    assert again.shares == game.shares and again.group == game.group and dumps(again) == text
    for t, u in zip(again.payoff_tensors, game.payoff_tensors):
        assert t.shape == u.shape and all(a == b for a, b in zip(t.flat, u.flat))


def test_shipped_models_of_every_kind():
    kinds = {name: gk.load(name).kind for name in gk.models.available()}
    assert kinds["hawk-dove"] == kinds["rock-paper-scissors"] == "symmetric"
    assert kinds["hawk-dove-two-roles"] == kinds["rock-paper-scissors-two-roles"] == "populations"
    assert kinds["stag-hunt"] == "group"
    assert not gk.load("inspection-dynamic-fine").multilinear
    assert not gk.load("platform-insurance-dynamic-fine").multilinear
    for name in kinds:  # each has a function in gamekit.models
        assert getattr(gk.models, name.replace("-", "_"))() == gk.load(name)


def test_shares_of_names_with_dots():
    game = gk.Game(
        {"gov.x": ["a", "b"], "q": ["c.d", "e"]},
        {"a, c.d": [1, "y + z"], "a, e": [0, 0], "b, c.d": [0, 0], "b, e": [0, 0]},
        shares={"y": ("gov.x", "a"), "z": ("q", "c.d")},
    )
    assert 'y = "gov.x.a"\nz = "q.c.d"\n' in dumps(game) and loads(dumps(game)) == game
    ambiguous = dumps(game).replace('"gov.x" = ["a", "b"]', '"gov.x" = ["a", "b"]\ngov = ["x.a", "w"]')
    with pytest.raises(gk.ModelError, match=r"'y' is 'gov.x.a', which reads as gov / x.a or as gov.x / a"):
        loads(ambiguous, "m.toml")
