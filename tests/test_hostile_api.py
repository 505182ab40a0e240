"""The public API used as a hostile user would use it: every misuse is a GamekitError that names the argument.

Each case calls one public function with one bad argument (the others valid) and
checks two things: the exception is a :class:`gamekit.GamekitError` (so a
``ValueError``, never a numpy, sympy or Python internal error), and its message
names the argument that was wrong, so that the user knows what to fix.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import math

import numpy as np
import pytest
import sympy

import gamekit as gk

GAME = gk.models.platform_insurance()
TRAP = GAME.scenario("trap")
TWO = {"A": ["a", "b"], "B": ["c", "d"]}
TWO_PAYOFFS = {"a, c": ["1", "1"], "a, d": ["0", "0"], "b, c": ["0", "0"], "b, d": ["1", "1"]}


def _keyword(func, *names: str) -> str:
    """The first of ``names`` that ``func`` takes (tolerances are being renamed while this suite is written)."""
    accepted = inspect.signature(func).parameters
    return next((n for n in names if n in accepted), names[-1])


FIVE = gk.Game(
    {f"P{i}": ["a", "b"] for i in range(5)},
    {", ".join(p): ["p", "q", "0", "1", "p - q"] for p in itertools.product("ab", repeat=5)},
    {"p": 1, "q": 2},
)
SIM_TOL = _keyword(gk.simulate, "converge_tol", "tol")
EQ_TOL = _keyword(gk.equilibria, "zero_tol", "tol")


@functools.cache
def trajectory():
    return gk.simulate(TRAP, [[0.5, 0.5, 0.5]], 1.0, t_eval=[0.0, 0.5, 1.0])


@functools.cache
def small_map():
    return gk.regime_map(GAME, ("R", 0, 8), ("K", 0, 8), base="trap", resolution=5)


def case(name, call, argument, *marks):
    return pytest.param(call, argument, id=name, marks=marks)


CASES = [
    # ---- Game, load, scenarios (the model layer) ----
    case("Game populations not a mapping", lambda: gk.Game("abc", TWO_PAYOFFS), "population"),
    case("Game one strategy", lambda: gk.Game({"A": ["a"], "B": ["c", "d"]}, {}), "strateg"),
    case("Game parameter NaN", lambda: gk.Game(TWO, TWO_PAYOFFS, {"p": math.nan}), "'p'"),
    case("Game parameter text", lambda: gk.Game(TWO, TWO_PAYOFFS, {"p": "abc"}), "'p'"),
    case(
        "Game payoff sympy nan",
        lambda: gk.Game(TWO, {**TWO_PAYOFFS, "a, c": [sympy.nan, "1"]}),
        "a, c",
    ),
    case("Game payoff missing", lambda: gk.Game(TWO, {"a, c": ["1", "1"]}), "profile"),
    case("Game bounds reversed", lambda: gk.Game(TWO, TWO_PAYOFFS, {"p": 1}, bounds={"p": (2, 1)}), "'p'"),
    case("load a number", lambda: gk.load(123), "123"),
    case("load no such file", lambda: gk.load("no-such-model"), "no-such-model"),
    case("with_parameters unknown", lambda: GAME.with_parameters(Q=1), "'Q'"),
    case("with_parameters inf", lambda: GAME.with_parameters(F=math.inf), "'F'"),
    case("scenario unknown", lambda: GAME.scenario("nope"), "'nope'"),
    case("schedule unknown", lambda: GAME.schedule("nope"), "'nope'"),
    # ---- simulate and basins ----
    case("simulate initial of the wrong width", lambda: gk.simulate(TRAP, [[0.5, 0.5]], 10), "initial"),
    case("simulate ragged initial", lambda: gk.simulate(TRAP, [[0.5], [0.5, 0.5, 0.5]], 10), "initial"),
    case("simulate NaN initial", lambda: gk.simulate(TRAP, [[math.nan, 0.5, 0.5]], 10), "initial"),
    case("simulate initial outside", lambda: gk.simulate(TRAP, [[1.5, 0.5, 0.5]], 10), "initial"),
    case("simulate t_end negative", lambda: gk.simulate(TRAP, [[0.5, 0.5, 0.5]], -1), "t_end"),
    case("simulate t_end text", lambda: gk.simulate(TRAP, [[0.5, 0.5, 0.5]], "x"), "t_end"),
    case("simulate rtol 10", lambda: gk.simulate(TRAP, [[0.5, 0.5, 0.5]], 10, rtol=10), "rtol"),
    case("simulate rtol negative", lambda: gk.simulate(TRAP, [[0.5, 0.5, 0.5]], 10, rtol=-1), "rtol"),
    case("simulate atol zero", lambda: gk.simulate(TRAP, [[0.5, 0.5, 0.5]], 10, atol=0), "atol"),
    case("simulate chunk zero", lambda: gk.simulate(TRAP, [[0.5, 0.5, 0.5]], 10, chunk=0), "chunk"),
    case("simulate window 2", lambda: gk.simulate(TRAP, [[0.5, 0.5, 0.5]], 10, window=2), "window"),
    case(
        "simulate converge tolerance 0.7",
        lambda: gk.simulate(TRAP, [[0.5, 0.5, 0.5]], 10, **{SIM_TOL: 0.7}),
        SIM_TOL,
    ),
    case(
        "simulate converge tolerance -1",
        lambda: gk.simulate(TRAP, [[0.5, 0.5, 0.5]], 10, **{SIM_TOL: -1}),
        SIM_TOL,
    ),
    case("simulate t_eval decreasing", lambda: gk.simulate(TRAP, [[0.5, 0.5, 0.5]], 10, t_eval=[5, 1]), "t_eval"),
    case("simulate backend", lambda: gk.simulate(TRAP, [[0.5, 0.5, 0.5]], 10, backend="gpu"), "backend"),
    case("simulate max_steps 0", lambda: gk.simulate(TRAP, [[0.5, 0.5, 0.5]], 10, max_steps=0), "max_steps"),
    case(
        "simulate parameters unknown",
        lambda: gk.simulate(TRAP, [[0.5, 0.5, 0.5]], 10, parameters={"Q": [1.0]}),
        "'Q'",
    ),
    case("simulate schedule a number", lambda: gk.simulate(TRAP, [[0.5, 0.5, 0.5]], 10, schedule=5), "schedule"),
    case("basins n 0", lambda: gk.basins(TRAP, 0), "n"),
    case("basins rng text", lambda: gk.basins(TRAP, 10, rng="seed"), "rng"),
    case("basins grid 0", lambda: gk.basins(TRAP, grid=0), "grid"),
    case("basins t_end NaN", lambda: gk.basins(TRAP, 10, t_end=math.nan), "t_end"),
    # ---- equilibria, linearize, stability, replicator ----
    case("equilibria zero tolerance -1", lambda: gk.equilibria(TRAP, **{EQ_TOL: -1}), EQ_TOL),
    case("equilibria zero tolerance NaN", lambda: gk.equilibria(TRAP, **{EQ_TOL: math.nan}), EQ_TOL),
    case("equilibria exact maybe", lambda: gk.equilibria(TRAP, exact="maybe"), "exact"),
    case("equilibria starts 0", lambda: gk.equilibria(TRAP, starts=0), "starts"),
    case("equilibria rng text", lambda: gk.equilibria(TRAP, rng="x"), "rng"),
    case("equilibria not a game", lambda: gk.equilibria("platform"), "game"),
    case(
        "equilibria parameter without a value",
        lambda: gk.equilibria(gk.Game(TWO, {**TWO_PAYOFFS, "a, c": ["p", "1"]}, {"p": None})),
        "'p'",
    ),
    case("linearize state of the wrong width", lambda: gk.linearize(TRAP, [0.5, 0.5]), "state"),
    case("linearize state outside", lambda: gk.linearize(TRAP, [2.0, 0.0, 0.0]), "state"),
    case("stability_table not a game", lambda: gk.stability_table("x"), "game"),
    case("replicator not a game", lambda: gk.replicator(42), "game"),
    # ---- thresholds ----
    case("thresholds no target", lambda: gk.thresholds(GAME, "trap", None), "target"),
    case("thresholds unknown target", lambda: gk.thresholds(GAME, "trap", "nope"), "target"),
    case("thresholds target with a number", lambda: gk.thresholds(GAME, None, ["regulate", 3, "claim"]), "target"),
    case("thresholds base a number", lambda: gk.thresholds(GAME, 5, "trap"), "base"),
    case("thresholds base unknown scenario", lambda: gk.thresholds(GAME, "nosuch", "trap"), "base"),
    case("thresholds base unknown parameter", lambda: gk.thresholds(GAME, {"Q": 1}, "trap"), "base"),
    case("thresholds base NaN", lambda: gk.thresholds(GAME, {"F": math.nan}, "trap"), "base"),
    case("thresholds not a game", lambda: gk.thresholds("game", None, "trap"), "game"),
    # ---- regime_map ----
    case("regime_map same axis twice", lambda: gk.regime_map(GAME, ("R", 0, 8), ("R", 0, 8)), "x and y"),
    case("regime_map reversed bounds", lambda: gk.regime_map(GAME, ("R", 8, 0), ("K", 0, 8)), "x must have low < high"),
    case("regime_map NaN bound", lambda: gk.regime_map(GAME, ("R", 0, 8), ("K", math.nan, 8)), "y low"),
    case("regime_map inf bound", lambda: gk.regime_map(GAME, ("R", 0, math.inf), ("K", 0, 8)), "x high"),
    case("regime_map resolution 0", lambda: gk.regime_map(GAME, ("R", 0, 8), ("K", 0, 8), resolution=0), "resolution"),
    case(
        "regime_map resolution huge",
        lambda: gk.regime_map(GAME, ("R", 0, 8), ("K", 0, 8), resolution=10**6),
        "resolution",
    ),
    case(
        "regime_map resolution float",
        lambda: gk.regime_map(GAME, ("R", 0, 8), ("K", 0, 8), resolution=2.5),
        "resolution",
    ),
    case("regime_map unknown parameter", lambda: gk.regime_map(GAME, ("Q", 0, 1), ("K", 0, 8)), "x[0]"),
    case("regime_map axis a string", lambda: gk.regime_map(GAME, "R", ("K", 0, 8)), "x must be (parameter, low, high)"),
    case("regime_map base unknown", lambda: gk.regime_map(GAME, ("R", 0, 8), ("K", 0, 8), base="nope"), "base"),
    case(
        "regime_map too much work",
        lambda: gk.regime_map(FIVE, ("p", 0, 1), ("q", 0, 1), resolution=2001),
        "resolution",
    ),
    case("RegimeMap.regime_at text", lambda: small_map().regime_at("a", 1.0), "xv"),
    # ---- cheapest_policy ----
    case("cheapest_policy no levers", lambda: gk.cheapest_policy(GAME, "trap", "meta-goal", {}), "levers"),
    case("cheapest_policy unknown lever", lambda: gk.cheapest_policy(GAME, "trap", "meta-goal", {"Q": 1}), "lever 'Q'"),
    case("cheapest_policy negative cost", lambda: gk.cheapest_policy(GAME, "trap", "meta-goal", {"R": -1}), "levers"),
    case("cheapest_policy NaN cost", lambda: gk.cheapest_policy(GAME, "trap", "meta-goal", {"R": math.nan}), "levers"),
    case("cheapest_policy levers a list", lambda: gk.cheapest_policy(GAME, "trap", "meta-goal", ["R"]), "levers"),
    case(
        "cheapest_policy margin 0", lambda: gk.cheapest_policy(GAME, "trap", "meta-goal", {"R": 1}, margin=0), "margin"
    ),
    case(
        "cheapest_policy margin NaN",
        lambda: gk.cheapest_policy(GAME, "trap", "meta-goal", {"R": 1}, margin=math.nan),
        "margin",
    ),
    case(
        "cheapest_policy check_orbits -1",
        lambda: gk.cheapest_policy(GAME, "trap", "meta-goal", {"R": 1}, check_orbits=-1),
        "check_orbits",
    ),
    case("cheapest_policy rng text", lambda: gk.cheapest_policy(GAME, "trap", "meta-goal", {"R": 1}, rng="x"), "rng"),
    case(
        "cheapest_policy bounds for a non-lever",
        lambda: gk.cheapest_policy(GAME, "trap", "meta-goal", {"R": 1}, bounds={"K": (0, 1)}),
        "bounds",
    ),
    case(
        "cheapest_policy bounds reversed",
        lambda: gk.cheapest_policy(GAME, "trap", "meta-goal", {"R": 1}, bounds={"R": (5, 1)}),
        "bounds",
    ),
    case("cheapest_policy t_end 0", lambda: gk.cheapest_policy(GAME, "trap", "meta-goal", {"R": 1}, t_end=0), "t_end"),
    case("cheapest_policy unknown target", lambda: gk.cheapest_policy(GAME, "trap", "nope", {"R": 1}), "target"),
    # ---- sweep ----
    case("sweep unknown parameter", lambda: gk.sweep(TRAP, {"Q": [1]}, n=0), "'Q'"),
    case("sweep no values", lambda: gk.sweep(TRAP, {"R": []}, n=0), "grid['R']"),
    case("sweep NaN value", lambda: gk.sweep(TRAP, {"R": [1, math.nan]}, n=0), "grid['R']"),
    case("sweep values a string", lambda: gk.sweep(TRAP, {"R": "abc"}, n=0), "grid['R']"),
    case("sweep grid a number", lambda: gk.sweep(TRAP, 5, n=0), "grid"),
    case("sweep grid empty", lambda: gk.sweep(TRAP, [], n=0), "grid"),
    case("sweep grid entry a number", lambda: gk.sweep(TRAP, [5], n=0), "grid[0]"),
    case("sweep grid entry NaN", lambda: gk.sweep(TRAP, [{"R": math.nan}], n=0), "grid[0]"),
    case("sweep n negative", lambda: gk.sweep(TRAP, {"R": [1]}, n=-1), "n must"),
    case("sweep n fractional", lambda: gk.sweep(TRAP, {"R": [1]}, n=1.5), "n must"),
    case("sweep rng text", lambda: gk.sweep(TRAP, {"R": [1]}, n=0, rng="seed"), "rng"),
    case("sweep rng negative", lambda: gk.sweep(TRAP, {"R": [1]}, n=0, rng=-1), "rng"),
    case("sweep chunk 0", lambda: gk.sweep(TRAP, {"R": [1]}, n=10, chunk=0), "chunk"),
    case("sweep client not a client", lambda: gk.sweep(TRAP, {"R": [1]}, n=10, client=object()), "client"),
    case("sweep t_end negative", lambda: gk.sweep(TRAP, {"R": [1]}, n=10, t_end=-1), "t_end"),
    case("sweep batch_orbits 0", lambda: gk.sweep(TRAP, {"R": [1]}, n=10, batch_orbits=0), "batch_orbits"),
    case("sweep unknown keyword", lambda: gk.sweep(TRAP, {"R": [1]}, n=10, foo=1), "'foo'"),
    case("sweep keyword it sets itself", lambda: gk.sweep(TRAP, {"R": [1]}, n=10, parameters={}), "'parameters'"),
    case("sweep progress text", lambda: gk.sweep(TRAP, {"R": [1]}, n=10, progress="yes"), "progress"),
    case("SweepResult.shares out of range", lambda: gk.sweep(TRAP, {"R": [1]}, n=0).shares(5), "i must"),
    # ---- follow ----
    case("follow unknown schedule", lambda: gk.follow(GAME, "nope", [[0.9, 0.1, 0.1]], 10, "trap"), "schedule"),
    case("follow schedule a number", lambda: gk.follow(GAME, 5, [[0.9, 0.1, 0.1]], 10, "trap"), "schedule"),
    case(
        "follow schedule negative time", lambda: gk.follow(GAME, [(-1, {})], [[0.9, 0.1, 0.1]], 10, "trap"), "schedule"
    ),
    case("follow initial of the wrong width", lambda: gk.follow(GAME, "phased", [[0.9, 0.1]], 10, "trap"), "initial"),
    case(
        "follow two initial states",
        lambda: gk.follow(GAME, "phased", [[0.9, 0.1, 0.1], [0.5, 0.5, 0.5]], 10, "trap"),
        "initial",
    ),
    case("follow t_end 0", lambda: gk.follow(GAME, "phased", [[0.9, 0.1, 0.1]], 0, "trap"), "t_end"),
    case(
        "follow reach_tol 0.7",
        lambda: gk.follow(GAME, "phased", [[0.9, 0.1, 0.1]], 10, "trap", reach_tol=0.7),
        "reach_tol",
    ),
    case("follow near 0", lambda: gk.follow(GAME, "phased", [[0.9, 0.1, 0.1]], 10, "trap", near=0), "near"),
    case("follow points 1", lambda: gk.follow(GAME, "phased", [[0.9, 0.1, 0.1]], 10, "trap", points=1), "points"),
    case("follow unknown target", lambda: gk.follow(GAME, "phased", [[0.9, 0.1, 0.1]], 10, "nope"), "target"),
    # ---- report and plot ----
    case("report not a game", lambda: gk.report("x"), "game"),
    case("Report.to_frame unknown table", lambda: gk.report(TRAP).to_frame("nope"), "table"),
    # ---- found by a hostile campaign after the first pass ----
    case("Replicator of None", lambda: gk.Replicator(None), "game"),
    case("Stability unknown label", lambda: gk.Stability("stable-ish"), "stability label"),
    case("equilibria zero_tol beyond floats", lambda: gk.equilibria(TRAP, zero_tol=10**400), "zero_tol"),
    case("simulate t_end beyond floats", lambda: gk.simulate(TRAP, [[0.5, 0.5, 0.5]], 10**400), "t_end"),
    case("simulate t_end 1e300", lambda: gk.simulate(TRAP, [[0.5, 0.5, 0.5]], 1e300), "t_end"),
    case("simulate initial beyond floats", lambda: gk.simulate(TRAP, [[10**400, 0.5, 0.5]], 10), "initial"),
    case("simulate complex initial", lambda: gk.simulate(TRAP, [[0.5 + 1j, 0.5, 0.5]], 10), "initial"),
    case("simulate max_steps 1e39", lambda: gk.simulate(TRAP, [[0.5, 0.5, 0.5]], 10, max_steps=10**39), "max_steps"),
    case("basins n 1e12", lambda: gk.basins(TRAP, 10**12), "n must"),
    case("basins unknown keyword", lambda: gk.basins(TRAP, 10, bogus=1), "bogus"),
    case("basins initial keyword", lambda: gk.basins(TRAP, 10, initial=[[0.5, 0.5, 0.5]]), "initial"),
    case("Schedule of numbers", lambda: gk.simulate(TRAP, [[0.5] * 3], 10, schedule=gk.Schedule((1, 2))), "Phase"),
    case("Phase values a number", lambda: gk.Phase("a", 0.0, None, 3), "values"),
    case("Population one strategy name", lambda: gk.Population("a", "xy"), "strategies"),
    case("simulate t_eval beyond floats", lambda: gk.simulate(TRAP, [[0.5] * 3], 10, t_eval=[10**400]), "t_eval"),
    case("simulate t_eval complex", lambda: gk.simulate(TRAP, [[0.5] * 3], 10, t_eval=[1 + 1j]), "t_eval"),
    case(
        "simulate parameters beyond floats",
        lambda: gk.simulate(TRAP, [[0.5] * 3], 10, parameters={"R": 10**400}),
        "'R'",
    ),
    case("sweep values beyond floats", lambda: gk.sweep(TRAP, {"R": [10**400]}, n=10), "grid['R']"),
    case("regime_map bounds beyond 1e100", lambda: gk.regime_map(GAME, ("R", -1e308, 1e308), ("K", 0, 8)), "x low"),
]


def _plot_cases():
    from gamekit import plot

    return [
        case("plot.regime_map not a map", lambda: plot.regime_map("x"), "m must"),
        case("plot.trajectories not a trajectory", lambda: plot.trajectories("x"), "traj"),
        case("plot.trajectories orbit out of range", lambda: plot.trajectories(trajectory(), orbits=[99]), "orbits"),
        case("plot.trajectories ax not axes", lambda: plot.trajectories(trajectory(), ax="x"), "ax"),
        case("plot.orbits3d not a trajectory", lambda: plot.orbits3d(np.zeros(3)), "traj"),
    ]


@pytest.mark.parametrize("call, argument", CASES + _plot_cases())
def test_misuse_is_a_gamekit_error_naming_the_argument(call, argument):
    with pytest.raises(gk.GamekitError) as info:
        call()
    assert argument in str(info.value), str(info.value)


def test_there_are_enough_cases():
    assert len(CASES) + len(_plot_cases()) >= 60


GARBAGE = [
    None,
    math.nan,
    math.inf,
    -1,
    0,
    10**30,
    2.5,
    True,
    "",
    "x",
    [],
    [1],
    {},
    {"Q": 1},
    object(),
    np.array([1.0, 2.0]),
    sympy.nan,
    sympy.Symbol("R"),
    ("R", 0),
    ("R", 0, 1, 2),
    b"R",
]

VALID = {
    "thresholds": (gk.thresholds, [GAME, "trap", "meta-goal"], {"time_budget": 5.0}),
    "regime_map": (gk.regime_map, [GAME, ("R", 0, 8), ("K", 0, 8)], {"base": "trap", "resolution": 5}),
    "cheapest_policy": (
        gk.cheapest_policy,
        [GAME, "trap", "meta-goal", {"R": 1.0, "K": 1.0}],
        {"margin": 0.5, "bounds": None, "check_orbits": 0, "rng": 0, "t_end": 50.0},
    ),
    "sweep": (
        gk.sweep,
        [TRAP, {"R": [2.0]}],
        {"n": 2, "rng": 0, "t_end": 20.0, "client": None, "batch_orbits": 100, "progress": False},
    ),
    "follow": (
        gk.follow,
        [GAME, "phased", [[0.95, 0.05, 0.05]], 20, "meta-goal"],
        {"points": 51, "reach_tol": 1e-3, "near": 0.05},
    ),
    "report": (gk.report, [GAME], {}),
}


@pytest.mark.parametrize("function", sorted(VALID))
def test_garbage_in_any_argument_is_a_result_or_a_gamekit_error(function):
    """Every argument slot of the analyses gets every kind of garbage: never a numpy, sympy or Python error."""
    func, args, kwargs = VALID[function]
    slots = [("position", i) for i in range(len(args))] + [("keyword", k) for k in kwargs]
    escaped = []
    for kind, key in slots:
        for junk in GARBAGE:
            a, k = list(args), dict(kwargs)
            if kind == "position":
                a[key] = junk
            else:
                k[key] = junk
            try:
                func(*a, **k)
            except gk.GamekitError:
                pass
            except Exception as err:  # noqa: BLE001 - collected and reported below
                escaped.append(f"{kind} {key}={junk!r:.30}: {type(err).__name__}: {err}")
    assert not escaped, "\n".join(escaped)
