"""gk.check and ``gamekit check``: a paper's claims proved exactly or refuted with a verified parameter set.

Every counterexample is verified here by an independent computation: the switch gains written out from the
payoff table of gamekit/models/platform_insurance.toml (not gamekit's code), in exact Fractions.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import random
from fractions import Fraction

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gamekit as gk
from gamekit.check import _Constraint, _Relaxation
from gamekit.cli import main

STRATEGIES = (("regulate", "relax"), ("insure", "evade"), ("claim", "accept"))
NAMES = ("Cg", "F", "delta", "S", "R", "A", "Cp", "B", "K", "theta", "Cc", "V", "Cw")
BOUNDS = {n: ((0, 1) if n in ("delta", "theta") else (0, 100)) for n in NAMES}
SYMS = {n: sympy.Symbol(n) for n in NAMES}
TRAP = ("regulate", "evade", "accept")
LAG = ("relax", "evade", "accept")
META = ("regulate", "insure", "claim")


def payoffs(p: dict, profile: tuple[str, str, str]) -> tuple:
    """The payoff table of platform_insurance.toml, written out by hand."""
    Cg, F, delta, S, R, A = p["Cg"], p["F"], p["delta"], p["S"], p["R"], p["A"]
    Cp, B, K, theta, Cc, V, Cw = p["Cp"], p["B"], p["K"], p["theta"], p["Cc"], p["V"], p["Cw"]
    table = {
        ("regulate", "insure", "claim"): (R - Cg - S, B + S - Cp, V - Cw),
        ("regulate", "insure", "accept"): (R - Cg - S, B + S - Cp, 0),
        ("regulate", "evade", "claim"): (F - Cg, -F - K, K - Cc),
        ("regulate", "evade", "accept"): (delta * F - Cg, -delta * F, 0),
        ("relax", "insure", "claim"): (0, B - Cp, V - Cw),
        ("relax", "insure", "accept"): (0, B - Cp, 0),
        ("relax", "evade", "claim"): (-A, -theta * K, theta * K - Cc),
        ("relax", "evade", "accept"): (0, 0, 0),
    }
    return table[profile]


def gains(p: dict, profile: tuple[str, str, str]) -> list:
    """Every unilateral switch's payoff gain at ``profile`` (the eigenvalues there)."""
    out = []
    for i, options in enumerate(STRATEGIES):
        for alt in options:
            if alt != profile[i]:
                other = profile[:i] + (alt,) + profile[i + 1 :]
                out.append(payoffs(p, other)[i] - payoffs(p, profile)[i])
    return out


def stable(p: dict, profile) -> bool:
    return all(g < 0 for g in gains(p, profile))


def stable_profiles(p: dict) -> set:
    return {prof for prof in itertools.product(*STRATEGIES) if stable(p, prof)}


def in_bounds(p: dict) -> bool:
    return all(BOUNDS[n][0] <= p[n] <= BOUNDS[n][1] for n in NAMES)


def holds(p: dict, condition: str) -> bool:
    """A condition evaluated with Python's own arithmetic on Fractions (no gamekit parser)."""
    return eval(condition, {"__builtins__": {}}, dict(p))  # test-only, on the test's own strings


@pytest.fixture(scope="module")
def game():
    base = gk.load("platform-insurance")
    return dataclasses.replace(base, bounds=BOUNDS)


@pytest.fixture(scope="module")
def model_file(game, tmp_path_factory):
    path = tmp_path_factory.mktemp("check") / "platform.toml"
    game.save(path)
    return str(path)


def exact_point(result) -> dict:
    cx = result.counterexample
    assert set(cx) == set(NAMES)
    assert all(isinstance(v, Fraction) for v in cx.values())
    return dict(cx)


# -- the facts of issue #12, through the API ---------------------------------------------------------------

TRAP_FULL = ["delta*F > Cg", "Cp > B + delta*F + S", "Cc > K"]
TRAP_SHORT = ["delta*F > Cg", "Cc > K"]
META_SHORT = ["R > Cg + S", "V > Cw"]
META_FULL = ["R > Cg + S", "V > Cw", "B + S + F + K > Cp"]
LAG_FULL = ["delta*F < Cg", "B < Cp", "theta*K < Cc"]


@pytest.mark.parametrize(("state", "when"), [("trap", TRAP_FULL), ("meta-goal", META_FULL), ("lag", LAG_FULL)])
def test_true_claims_are_proved_exactly(game, state, when):
    result = gk.check(game, state, when)
    assert result.holds and result.method == "exact" and not result.contradictory
    assert result.counterexample is None and result.missing == ()
    # the proof is sound: random parameter sets of the region (drawn from the box) make the state stable
    rng = random.Random(1)
    profile = game.states[state]
    found = 0
    for _ in range(8000):
        p = {n: Fraction(rng.randint(0, 1000), 1000 if n in ("delta", "theta") else 10) for n in NAMES}
        if all(holds(p, c) for c in when):
            found += 1
            assert stable(p, profile), p
    assert found >= 15


def test_trap_without_platform_condition_is_refuted(game):
    result = gk.check(game, "trap", TRAP_SHORT)
    assert not result.holds and result.method == "exact"
    p = exact_point(result)
    assert in_bounds(p) and all(holds(p, c) for c in TRAP_SHORT)
    assert not stable(p, TRAP)
    assert set(result.stable_there) == stable_profiles(p)
    platform_gain = payoffs(p, ("regulate", "insure", "accept"))[1] - payoffs(p, TRAP)[1]
    assert platform_gain >= 0  # the eigenvalue the result names
    assert "insure instead of evade" in result.failing
    # the missing condition is the platform's, and with it the claim is proved
    assert len(result.missing) == 1
    missing = gk.expr.parse_condition(result.missing[0], SYMS)
    assert isinstance(missing, sympy.StrictGreaterThan)
    Cp, B, F, delta, S = (SYMS[n] for n in ("Cp", "B", "F", "delta", "S"))
    assert sympy.expand(missing.lhs - missing.rhs - (Cp - B - F * delta - S)) == 0
    again = gk.check(game, "trap", TRAP_SHORT + list(result.missing))
    assert again.holds and again.method == "exact"


def test_meta_goal_needs_the_platform_condition(game):
    result = gk.check(game, "meta-goal", META_SHORT)
    assert not result.holds and result.method == "exact"
    p = exact_point(result)
    assert in_bounds(p) and all(holds(p, c) for c in META_SHORT)
    assert not stable(p, META)
    assert payoffs(p, ("regulate", "evade", "claim"))[1] - payoffs(p, META)[1] >= 0
    assert set(result.stable_there) == stable_profiles(p)
    assert gk.check(game, "meta-goal", META_SHORT + ["B + S + F + K > Cp"]).holds


def test_meta_goal_is_not_the_unique_stable_state(game):
    when = ["R > Cg + S", "B + S + F + K > Cp", "V > Cw"]
    result = gk.check(game, "meta-goal", when, unique=True)
    assert not result.holds and result.method == "exact"
    p = exact_point(result)
    assert in_bounds(p) and all(holds(p, c) for c in when)
    there = stable_profiles(p)
    assert META in there and len(there) >= 2
    assert set(result.stable_there) == there
    # the lag can be stable at the same time: the result names it among the rivals, and here is why
    assert any("[lag]" in note for note in result.notes)
    lag_too = gk.check(game, "meta-goal", when + LAG_FULL, unique=True)
    q = exact_point(lag_too)
    assert all(holds(q, c) for c in when + LAG_FULL) and {META, LAG} <= stable_profiles(q)
    # without uniqueness the claim holds
    assert gk.check(game, "meta-goal", when).holds


def test_contradictory_conditions_are_a_verdict(game):
    result = gk.check(game, "trap", ["delta*F > 100 + Cg"])  # delta*F <= 100 and Cg >= 0 in the bounds
    assert result.contradictory and result.holds and result.method == "exact"
    assert "contradictory" in str(result)
    assert gk.check(game, "trap", ["Cg > 3", "Cg < 2"]).contradictory
    assert not gk.check(game, "trap", ["delta*F > 99 + Cg"]).contradictory  # thin, but not empty


def test_result_prints_and_json_contract(game):
    result = gk.check(game, "trap", TRAP_SHORT)
    text = str(result)
    assert "refuted" in text and "counterexample:" in text and "also needs" in text
    assert "| " not in text and result._repr_markdown_().startswith("- claim:")
    out = result.to_json()
    assert list(out) == ["holds", "method", "counterexample", "stable_there", "missing", "checked"]
    json.dumps(out)
    assert out["holds"] is False and out["method"] == "exact"
    assert {k: Fraction(str(v)) for k, v in out["counterexample"].items()} == result.counterexample
    assert out["checked"] == result.checked > 0


def test_unbounded_parameters_are_said_open():
    result = gk.check(gk.load("platform-insurance"), "trap", TRAP_FULL)
    assert result.holds and result.method == "exact"
    assert any("no bounds on" in n and "Cg" in n for n in result.notes)


def test_claims_beyond_the_relaxation_fall_back_to_search(game):
    # delta^2 F <= delta F on the box, but the monomials delta^2*F and delta*F are separate variables
    when = ["delta*delta*F > Cg", "Cp > B + F + S", "Cc > K"]
    result = gk.check(game, "trap", when)
    assert result.holds and result.method == "search" and result.checked > 1000
    assert "parameter sets searched" in str(result)


# -- symmetric and state-dependent games -------------------------------------------------------------------


def test_symmetric_game_pure_states():
    hd = gk.load("hawk-dove")
    assert gk.check(hd, "all-hawk", ["V > C"]).holds
    result = gk.check(hd, "all-hawk", ["V > 0"])
    V, C = result.counterexample["V"], result.counterexample["C"]
    assert not result.holds and V > 0 and (C - V) / 2 >= 0  # dove's gain against hawks, written out


def test_uniqueness_in_a_symmetric_game_is_searched():
    """For V > C > 0 the mixed point V/C lies outside [0, 1], dove is never stable: hawk is unique, but only
    gk.equilibria at sampled parameter sets can say so for the non-pure rest points (method "search")."""
    result = gk.check(gk.load("hawk-dove"), "all-hawk", ["V > C", "C > 0"], unique=True)
    assert result.holds and result.method == "search"
    assert any("gk.equilibria at" in n for n in result.notes)
    refuted = gk.check(gk.load("hawk-dove"), "all-hawk", ["V > C"], unique=True)  # C < V < 0: dove stable too
    V, C = refuted.counterexample["V"], refuted.counterexample["C"]
    assert not refuted.holds and C < V < 0 and refuted.stable_there == (("hawk",), ("dove",))


def _stag_gain_at_all_cooperate(p: dict) -> Fraction:
    """pi_defect(9) - pi_cooperate(9) in groups of 10 (stag_hunt.toml's payoffs, written out here)."""

    def step(u):
        return 1 if u >= 0 else 0

    F, c, M = p["F"], p["c"], p["M"]
    return 9 * F * c / 10 * step(9 - M) - ((9 + 1) * F * c / 10 * step(9 + 1 - M) - c)


def test_group_game_steps_are_split_into_cases():
    """All-cooperate is stable iff c (1 - F/10) < 0 once M <= 10 (step cases); F = 10 is the boundary."""
    g = gk.load("stag-hunt")
    proved = gk.check(g, "all-cooperate", ["F > 10", "c > 0", "M < 10", "M > 1"])
    assert proved.holds and proved.method == "exact"
    boundary = gk.check(g, "all-cooperate", ["F >= 10", "c > 0", "M <= 10"])
    assert not boundary.holds and boundary.method == "exact"
    p = dict(boundary.counterexample)
    assert p["F"] >= 10 and p["c"] > 0 and p["M"] <= 10
    assert _stag_gain_at_all_cooperate(p) >= 0  # zero at F = 10: non-hyperbolic, not asymptotically stable


def test_dynamic_fine_trap_is_not_unique():
    """Near the trap values the face point (1, 3/5, 1) is stable too (the model's docstring)."""
    g = gk.load("platform-insurance-dynamic-fine")
    when = []
    for n, v in g.parameters.items():
        v = Fraction(str(v))
        when += [f"{n} > {float(v * Fraction(95, 100))}", f"{n} < {float(v * Fraction(105, 100))}"]
    assert gk.check(g, "trap", when).holds
    result = gk.check(g, "trap", when, unique=True)
    assert not result.holds and "(1, 3/5, 1)" in result.failing
    p = exact_point(result)
    # independently: the replicator field of the docstring's equations, its Jacobian at (1, 3/5, 1)
    x, y, z = sympy.symbols("x y z")
    q = {n: sympy.Rational(v.numerator, v.denominator) for n, v in p.items()}
    Cg, F, d, S, R, A, Cp, B, K, th, Cc, V, Cw = (q[n] for n in NAMES)
    field = sympy.Matrix(
        [
            x * (1 - x) * (y * (R - S) - Cg + (1 - y) * ((z + (1 - z) * d) * F * (1 - y) + z * A)),
            y * (1 - y) * (B - Cp + x * S + x * (z + (1 - z) * d) * F * (1 - y) + z * K * (x + (1 - x) * th)),
            z * (1 - z) * (y * (V - Cw) + (1 - y) * (x * K + (1 - x) * th * K - Cc)),
        ]
    )
    rest = {x: 1, y: sympy.Rational(3, 5), z: 1}
    assert field.subs(rest) == sympy.zeros(3, 1)
    eigen = field.jacobian([x, y, z]).subs(rest).eigenvals()
    assert all(sympy.re(e) < 0 for e in eigen)


# -- interior and face states (linearisation at sampled parameter sets) ---------------------------------------


def test_hawk_dove_mixed_state():
    hd = gk.load("hawk-dove")
    result = gk.check(hd, ["V/C"], ["V < C", "V > 0"])  # eigenvalue -V (C - V)/(2 C) < 0 there
    assert result.holds and result.method == "search" and result.state == ("V/C",)
    assert any("linearised at 12 parameter sets" in n for n in result.notes)
    outside = gk.check(hd, ["V/C"], ["V > C", "C > 0"])
    V, C = outside.counterexample["V"], outside.counterexample["C"]
    assert not outside.holds and V / C > 1  # not a state at all
    half = gk.check(hd, [0.5], ["V < C", "V > 0"])
    V, C = half.counterexample["V"], half.counterexample["C"]
    # u(hawk) - u(dove) at x = 1/2, from the table: (V - C)/4 + V/2 - V/4 = (2 V - C)/4, not zero
    assert not half.holds and 2 * V != C and "not a rest point" in half.failing


def test_dynamic_fine_face_state():
    """(1, y*, 1) with F (1 - y*) = Cp - B - S - K: the model docstring's face attractor, near the trap values."""
    g = gk.load("platform-insurance-dynamic-fine")
    near = []
    for n, v in g.parameters.items():
        v = Fraction(str(v))
        near += [f"{n} > {float(v * Fraction(95, 100))}", f"{n} < {float(v * Fraction(105, 100))}"]
    moving = gk.check(g, (1, "1 - (Cp - B - S - K)/F", 1), near)
    assert moving.holds and moving.method == "search"
    fixed = gk.check(g, (1, 0.6, 1), near)  # y* moves with the parameters: 3/5 is a rest point only at some
    assert not fixed.holds and "not a rest point" in fixed.failing
    p = fixed.counterexample
    assert p["B"] + p["S"] - p["Cp"] + p["K"] + p["F"] * Fraction(2, 5) != 0  # the platform's gain on x = z = 1
    with pytest.raises(gk.GamekitError, match="pure profiles only"):
        gk.check(g, (1, 0.6, 1), near, unique=True)


# -- bad input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "when", "match"),
    [
        ("trap", ["delta*F = Cg"], "not one inequality"),
        ("trap", ["delta*F"], "not one inequality"),
        ("trap", ["delta*Q > Cg"], "Q"),
        ("nowhere", ["delta*F > Cg"], "no state named 'nowhere'"),
        ("regulate, evade, sleep", ["delta*F > Cg"], "not a pure profile"),
        (("regulate", "evade", "sleep"), ["delta*F > Cg"], "not a pure profile"),
        ((1.0, 0.5, "x"), ["delta*F > Cg"], "x"),
        ((1.0, None, 0.0), ["delta*F > Cg"], "neither a share nor a strategy"),
        ("trap", 3, "when must be a list"),
    ],
)
def test_bad_claims_are_gamekit_errors(game, state, when, match):
    with pytest.raises(gk.GamekitError, match=match):
        gk.check(game, state, when)


def test_no_stable_state_claims(game, model_file, capsys):
    """The regulation-cycle regime: each condition rules out corners (by hand: delta*F > Cg rules out the lag,
    and with delta*F <= F on the box also (relax, evade, claim); Cc > K the corners where workers claim against
    evasion; Cp < B + S + delta*F the trap; R < Cg + S the corners where the government regulates insurers;
    Cp > B + K >= B + theta*K the corners where it relaxes and platforms insure)."""
    cycle = ["delta*F > Cg", "Cc > K", "Cp < B + S + delta*F", "R < Cg + S", "Cp > B + K"]
    result = gk.check(game, None, cycle)
    assert result.holds and result.method == "exact" and not result.contradictory and result.state == ()
    rng = random.Random(3)
    found = 0
    for _ in range(20000):
        p = {n: Fraction(rng.randint(0, 100), 100 if n in ("delta", "theta") else 1) for n in NAMES}
        if all(holds(p, c) for c in cycle):
            found += 1
            assert not stable_profiles(p), p
    assert found >= 10
    refuted = gk.check(game, None, cycle[:-1])
    assert not refuted.holds and refuted.method == "exact"
    p = exact_point(refuted)
    assert in_bounds(p) and all(holds(p, c) for c in cycle[:-1])
    assert stable_profiles(p) and set(refuted.stable_there) == stable_profiles(p)
    assert stable_profiles(p) <= {("relax", "insure", "claim"), ("relax", "insure", "accept")}
    with pytest.raises(gk.GamekitError, match="unique=True needs a state"):
        gk.check(game, None, cycle, unique=True)
    assert main(["check", model_file, "--no-stable-state", *[a for c in cycle for a in ("--when", c)]]) == 0
    assert "no state is asymptotically stable when" in capsys.readouterr().out
    assert main(["check", model_file, "--no-stable-state", *[a for c in cycle[:-1] for a in ("--when", c)]]) == 1
    capsys.readouterr()


def test_bad_bounds_and_flags(game):
    with pytest.raises(gk.GamekitError, match="not a parameter"):
        gk.check(game, "trap", TRAP_FULL, bounds={"Q": (0, 1)})
    with pytest.raises(gk.GamekitError, match="above high"):
        gk.check(game, "trap", TRAP_FULL, bounds={"F": (2, 1)})
    with pytest.raises(gk.GamekitError):
        gk.check(game, "trap", TRAP_FULL, unique="yes")
    with pytest.raises(gk.GamekitError):
        gk.check("platform-insurance", "trap", TRAP_FULL)


# -- the certificates themselves ---------------------------------------------------------------------------


def test_motzkin_certificates_are_exact_and_checked():
    x, y = sympy.symbols("x y")
    # x > 0 and x <= 0: infeasible only because of the strict row (w.b = 0, a strict multiplier)
    rel = _Relaxation([_Constraint(x, True), _Constraint(-x, False)], {})
    w = rel.certificate()
    assert w is not None and rel.verify(w) and w[0] > 0
    # x >= 0 and x <= 0 is feasible: no certificate, and the same multipliers do not verify
    weak = _Relaxation([_Constraint(x, False), _Constraint(-x, False)], {})
    assert weak.certificate() is None and not weak.verify(w)
    # x + y > 1 with x <= 1/3 (a row) and y <= 1/2 (the box): x + y <= 5/6, so infeasible
    rel = _Relaxation(
        [_Constraint(x + y - 1, True), _Constraint(sympy.Rational(1, 3) - x, False)], {y: (None, Fraction(1, 2))}
    )
    w = rel.certificate()
    assert w is not None and rel.verify(w)
    assert not rel.verify([v * 2 if k == 0 else v for k, v in enumerate(w)])  # x no longer cancels
    # ... and with y <= 2/3 it is feasible (x = 1/3, y = 2/3 + tiny fails x + y > 1? no: 1/3 + 2/3 = 1, not > 1)
    tight = _Relaxation(
        [_Constraint(x + y - 1, True), _Constraint(sympy.Rational(1, 3) - x, False)], {y: (None, Fraction(2, 3))}
    )
    assert tight.certificate() is not None  # x + y <= 1 exactly: the strict row makes it infeasible
    loose = _Relaxation(
        [_Constraint(x + y - 1, True), _Constraint(sympy.Rational(1, 3) - x, False)], {y: (None, Fraction(3, 4))}
    )
    assert loose.certificate() is None


def test_bilinear_ranges_prove_products(game):
    """delta > 1/2 and F > 4 imply delta*F > 2 (McCormick on the box), so Cg < 2 makes the government stay."""
    result = gk.check(game, "trap", ["delta > 0.5", "F > 4", "Cg < 2", "Cp > B + F + S", "Cc > K"])
    assert result.holds and result.method == "exact"
    assert not gk.check(game, "trap", ["delta > 0.5", "F > 3", "Cg < 2", "Cp > B + F + S", "Cc > K"]).holds


# -- random claims: every verdict checked independently -----------------------------------------------------

PROFILES = list(itertools.product(*STRATEGIES))


def condition_texts(profile) -> list[str]:
    """The stability conditions of ``profile`` from the hand-written table: ``-gain > 0``."""
    out = []
    for g in gains(SYMS, profile):
        g = sympy.expand(g)
        if not g.is_number:
            out.append(f"{-g} > 0")
    return out


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(PROFILES), st.data())
def test_random_claims_are_decided_soundly(game, profile, data):
    conds = condition_texts(profile)
    if not conds:
        return
    chosen = data.draw(st.lists(st.sampled_from(conds), unique=True, max_size=len(conds)))
    result = gk.check(game, ", ".join(profile), chosen)
    if set(chosen) == set(conds):
        assert result.holds and result.method == "exact"
    if not result.holds:
        p = exact_point(result)
        values = {SYMS[n]: sympy.Rational(v.numerator, v.denominator) for n, v in p.items()}
        assert in_bounds(p)
        assert all(gk.expr.parse_condition(c, SYMS).subs(values) is sympy.true for c in chosen)
        assert not stable(p, profile)
    elif not result.contradictory:
        rng = random.Random(2)
        for _ in range(400):
            p = {n: Fraction(rng.randint(0, 100), 100 if n in ("delta", "theta") else 1) for n in NAMES}
            values = {SYMS[n]: sympy.Rational(v.numerator, v.denominator) for n, v in p.items()}
            if all(gk.expr.parse_condition(c, SYMS).subs(values) is sympy.true for c in chosen):
                assert stable(p, profile), (p, chosen)


# -- the command line --------------------------------------------------------------------------------------


def _args(model_file, state, when, *extra):
    return ["check", model_file, "--state", state, *[a for c in when for a in ("--when", c)], *extra]


def test_cli_facts(model_file, capsys):
    assert main(_args(model_file, "regulate, evade, accept", TRAP_FULL)) == 0
    assert "proved" in capsys.readouterr().out
    assert main(_args(model_file, "regulate, evade, accept", TRAP_SHORT, "--json")) == 1
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["holds", "method", "counterexample", "stable_there", "missing", "checked"]
    assert out["holds"] is False and out["method"] == "exact"
    p = {n: Fraction(str(v)) for n, v in out["counterexample"].items()}
    assert in_bounds(p) and all(holds(p, c) for c in TRAP_SHORT) and not stable(p, TRAP)
    assert {tuple(s.split(", ")) for s in out["stable_there"]} == stable_profiles(p)
    assert main(_args(model_file, "meta-goal", META_SHORT, "--json")) == 1
    capsys.readouterr()
    assert main(_args(model_file, "meta-goal", META_FULL)) == 0
    capsys.readouterr()
    assert main(_args(model_file, "meta-goal", META_FULL, "--unique", "--json")) == 1
    out = json.loads(capsys.readouterr().out)
    p = {n: Fraction(str(v)) for n, v in out["counterexample"].items()}
    assert all(holds(p, c) for c in META_FULL) and META in stable_profiles(p) and len(stable_profiles(p)) >= 2
    assert main(_args(model_file, "lag", LAG_FULL, "--json")) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {
        "holds": True,
        "method": "exact",
        "counterexample": None,
        "stable_there": [],
        "missing": [],
        "checked": out["checked"],
    }


def test_cli_interior_state(capsys):
    assert main(["check", "hawk-dove", "--state", "V/C", "--when", "V < C", "--when", "V > 0", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["holds"] is True and out["method"] == "search" and out["checked"] > 0
    assert main(["check", "hawk-dove", "--state", "1/2", "--when", "V < C", "--when", "V > 0"]) == 1
    assert "not a rest point" in capsys.readouterr().out


def test_cli_bound_option_replaces_the_models_bounds(capsys):
    bounds = [a for n in NAMES for a in ("--bound", f"{n}={BOUNDS[n][0]},{BOUNDS[n][1]}")]
    assert main(_args("platform-insurance", "trap", ["delta*F > 100 + Cg"], *bounds)) == 0
    assert "the conditions are contradictory" in capsys.readouterr().out
    assert main(_args("platform-insurance", "trap", TRAP_SHORT, *bounds, "--json")) == 1
    p = {n: Fraction(str(v)) for n, v in json.loads(capsys.readouterr().out)["counterexample"].items()}
    assert in_bounds(p) and not stable(p, TRAP)


@pytest.mark.parametrize(
    "extra",
    [
        ["--state", "trap", "--when", "delta*F = Cg"],
        ["--state", "trap", "--when", "delta*Q > Cg"],
        ["--state", "nowhere", "--when", "delta*F > Cg"],
        ["--state", "trap", "--bound", "F=1"],
        ["--state", "trap", "--bound", "F=a,2"],
        ["--when", "delta*F > Cg"],
    ],
)
def test_cli_bad_input_is_one_line_exit_2(extra, capsys):
    try:
        status = main(["check", "platform-insurance", *extra])
    except SystemExit as stop:  # argparse's own errors (a missing --state) exit from inside
        status = stop.code
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("gamekit: error: ") and err.count("\n") == 1 and "Traceback" not in err


def _primal_feasible(rows: list[tuple[list[int], int, bool]], n: int) -> bool | None:
    """Independent oracle: maximise t subject to a.y <= b (non-strict), a.y + t <= b (strict), t <= 1."""
    import numpy as np
    from scipy.optimize import linprog

    a_ub = np.array([[*a, 1.0 if strict else 0.0] for a, _, strict in rows] + [[0.0] * n + [1.0]])
    b_ub = np.array([float(b) for _, b, _ in rows] + [1.0])
    res = linprog(np.r_[np.zeros(n), -1.0], A_ub=a_ub, b_ub=b_ub, bounds=[(None, None)] * (n + 1), method="highs")
    if res.status == 2:
        return False
    if res.status != 0:
        return None
    t = -res.fun
    return True if t > 1e-7 else (False if t <= 1e-12 else None)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 3).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(
                st.tuples(st.lists(st.integers(-3, 3), min_size=n, max_size=n), st.integers(-5, 5), st.booleans()),
                min_size=1,
                max_size=6,
            ),
        )
    )
)
def test_certificates_agree_with_an_independent_lp(system):
    """A certificate is found exactly when the system {a.y <= b, strict rows a.y < b} has no solution."""
    n, rows = system
    ys = sympy.symbols(f"y0:{n}")
    # a.y <= b  is  b - a.y >= 0
    constraints = [_Constraint(b - sum(c * y for c, y in zip(a, ys)), strict) for a, b, strict in rows]
    rel = _Relaxation(constraints, {})
    w = rel.certificate()
    feasible = _primal_feasible(rows, n)
    if w is not None:
        assert rel.verify(w) and feasible is not True
    elif feasible is False:
        pytest.fail(f"no certificate for an infeasible system {rows}")
