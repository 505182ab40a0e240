"""The published tripartite model shipped for notebook 03: gamekit/models/greenwashing.toml.

Source: Zeng, Huang, Wu and Liu (2025), "Authentic or spurious: an evolutionary game analysis of
manufacturing enterprises' greenwashing behavior under dynamic government regulation", Humanities and
Social Sciences Communications 12, https://doi.org/10.1057/s41599-025-05630-0, Table 2 (the payoff
matrix, static regulation). The paper's printed eigenvalue table could not be read, so the oracle here is
the method that table comes from, done by hand: at a corner of the cube the Jacobian is diagonal and its
eigenvalues are the switch gains away from the corner, written below from the paper's Table 2 (not from
gamekit's model file or its derivation).
"""

from fractions import Fraction
from itertools import product

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import gamekit as gk

GAME = gk.load("greenwashing")
NAMES = [
    "alpha",
    "R1",
    "R2",
    "C1",
    "C2",
    "R3",
    "C3",
    "U1",
    "U2",
    "C4",
    "P",
    "Q",
    "F",
    "G",
    "J",
    "C5",
    "L",
    "M",
    "H",
    "I",
]


def gains(v, x, y, z):
    """Switch gains (first strategy minus second) read off the paper's Table 2 by hand."""
    enterprise_green = (
        (1 + v["alpha"]) * v["R1"]
        - v["C1"]
        - ((1 - v["alpha"]) * v["R2"] - v["C2"])
        + y * (v["P"] + v["Q"])
        + z * (v["L"] + v["M"])
    )
    government_strict = -v["C4"] + x * (v["J"] - v["P"]) + z * (v["F"] + v["G"])
    public_participate = v["M"] - v["I"] - v["C5"] - x * (v["L"] + v["M"]) + y * (v["H"] + v["I"])
    return enterprise_green, government_strict, public_participate


def corner_eigenvalues(v, corner):
    """Eigenvalues at a corner: the gain of the strategy not played there (sign flips where the first is played)."""
    return sorted((1 - 2 * c) * g for c, g in zip(corner, gains(v, *corner)))


values = st.fixed_dictionaries(
    {name: st.integers(0, 12).map(Fraction) for name in NAMES}
    | {"alpha": st.integers(0, 10).map(lambda k: Fraction(k, 10))}
)


# Table 2 at the shipped default values, worked out by hand: (1 + alpha) R1 - C1 = 3, (1 - alpha) R2 - C2 = 7
TABLE_AT_DEFAULTS = {  # (enterprise, government, public)
    "green, strict, participate": (7, 3, 3),  # 3 + P + L;  R3 - C4 + F - P;  U1 - C5 - L + H
    "green, strict, abstain": (4, 0, 5),  # 3 + P;  R3 - C4 - P;  U1
    "green, loose, participate": (6, -4, 0),  # 3 + L;  R3 - G - J;  U1 - C5 - L - I
    "green, loose, abstain": (3, 1, 5),  # 3;  R3 - J;  U1
    "wash, strict, participate": (0, -6, 9),  # 7 - Q - M;  -C3 - C4 + F;  U2 - C5 + M + H
    "wash, strict, abstain": (5, -9, 3),  # 7 - Q;  -C3 - C4;  U2
    "wash, loose, participate": (2, -9, 6),  # 7 - M;  -C3 - G;  U2 - C5 + M - I
    "wash, loose, abstain": (7, -4, 3),  # 7;  -C3;  U2
}


def test_the_payoff_table_is_the_papers():
    tensors = GAME.numeric_payoffs()
    for profile, want in TABLE_AT_DEFAULTS.items():
        index = tuple(pop.strategies.index(s) for pop, s in zip(GAME.populations, profile.split(", ")))
        assert tuple(float(t[index]) for t in tensors) == pytest.approx(want)


@settings(max_examples=25, deadline=None)
@given(values)
def test_corner_eigenvalues_are_the_hand_derived_switch_gains(v):
    eqs = gk.equilibria(GAME.with_parameters(v))
    corners = {e.profile: e for e in eqs if e.is_pure}
    assert len(corners) == 8
    for corner in product((1, 0), repeat=3):
        profile = tuple(pop.strategies[1 - c] for pop, c in zip(GAME.populations, corner))
        got = sorted(complex(ev).real for ev in corners[profile].eigenvalues)
        assert got == pytest.approx([float(e) for e in corner_eigenvalues(v, corner)], abs=1e-9)
        want_stable = all(e < 0 for e in corner_eigenvalues(v, corner))
        assert (str(corners[profile].stability) == "asymptotically stable") == want_stable


@settings(max_examples=25, deadline=None)
@given(values)
def test_no_interior_rest_point_is_ever_asymptotically_stable(v):
    # the tangent Jacobian at an interior rest point has a zero diagonal: its eigenvalues sum to 0
    for e in gk.equilibria(GAME.with_parameters(v)):
        if e.is_interior:
            assert abs(sum(e.eigenvalues)) < 1e-8
            assert str(e.stability) != "asymptotically stable"
            assert all(abs(g) < 1e-9 for g in gains(v, *map(float, e.coordinates)))


def test_the_shipped_scenarios():
    vacillation = gk.equilibria(GAME.scenario("vacillation"))
    assert vacillation.stable() == []
    interior = [e for e in vacillation if e.is_interior]
    assert [e.exact_state for e in interior] and tuple(map(float, interior[0].coordinates)) == (0.5, 1 / 3, 0.375)
    cogov = gk.equilibria(GAME.scenario("co-governance"))
    assert [e.name for e in cogov.stable()] == ["co-governance"]
    v = {k: Fraction(str(val)) for k, val in GAME.scenario("co-governance").parameters.items()}
    assert sorted(complex(x).real for x in cogov.named("co-governance").eigenvalues) == [
        float(e) for e in corner_eigenvalues(v, (1, 1, 1))
    ]


# -- Wang, Jia, He, Wang and Huang (2023): gamekit/models/air_pollution.toml ----------------------------------------
#
# Journal of Cleaner Production 418, 138074, https://doi.org/10.1016/j.jclepro.2023.138074. The payoff matrix and the
# scenario values are the authors' code (github.com/Carl723000/A-Tripartite-Evolutionary-Game-of-Enterprises-Public-
# and-Government, Evolutionary_Game.m). The oracle: the eigenvalues at A(0,0,0) that the code quotes "according to
# Table 3" of the paper, and the key conditions of its staged scenario 4, typed here as the code's comments print them.

AIR = gk.load("air-pollution")
S = AIR.symbols
TABLE_3_AT_A = {  # lambda_A1 (enterprise), lambda_A2 (public), lambda_A3 (government), as quoted
    "enterprise": "eA*(Rc - Pe*(1 - gov) - CA*(1 - gamma))",
    "public": "(CB0 + CH*lambda) + (Rp*zeta - CB1*delta)",
    "government": "G0 - CG1 + G1 + beta*(PA + Pe*(1 - eA)*(1 - gov)) - Pe*gov*kappa*eA",
}


def _quoted(text):
    """A quoted expression in the game's symbols (``lambda`` is a Python keyword, so it is renamed to parse)."""
    names = {name.replace("lambda", "lambda_"): symbol for name, symbol in S.items()}
    return sympy.sympify(text.replace("lambda", "lambda_"), locals=names)


def _gains(state):
    return {g.population: g.gain for g in gk.stability_table(AIR)[state].eigenvalues}


def test_the_eigenvalues_at_a_against_the_papers_table_3():
    gains = _gains("A")
    assert sympy.expand(gains["enterprise"] - _quoted(TABLE_3_AT_A["enterprise"])) == 0
    assert sympy.expand(gains["public"] - _quoted(TABLE_3_AT_A["public"])) == 0
    # the quoted government eigenvalue has a term the payoff matrix (and the authors' differential.m) do not give
    extra = sympy.expand(gains["government"] - _quoted(TABLE_3_AT_A["government"]))
    assert extra == sympy.expand(_quoted("Pe*gov*kappa*eA"))


def test_the_key_conditions_of_the_staged_scenario():
    P = "(PA + Pe*(1 - eA)*(1 - gov))"
    # stage 2, D(0,0,1) -> F(1,0,1): enterprises leave D when this is positive
    d_to_f = _quoted(f"(alpha + beta)*{P} + eA*Rc - eA*CA*(1 - gamma) - Pe*eA*(1 - gov)")
    assert sympy.expand(_gains("D")["enterprise"] - d_to_f) == 0
    # stage 3, F(1,0,1) -> H(1,1,1): the public participates when Rp*zeta - CB1*delta*(1 - epsilon) > -CB0
    f_to_h = _quoted("Rp*zeta - CB1*delta*(1 - epsilon) + CB0")
    assert sympy.expand(_gains("F")["public"] - f_to_h) == 0
    # stage 4, H(1,1,1) -> E(1,1,0): the government stops regulating when its gain is negative; the code's comment
    # writes (G1 + G0)*(theta + 1)*(theta + 1), the payoff matrix gives one factor (1 + theta)
    h_to_e = _quoted(f"(G1 + G0)*(theta + 1) - CG1 - alpha*{P} - CB1*delta*epsilon")
    assert sympy.expand(-_gains("H")["government"] - h_to_e) == 0


@pytest.mark.parametrize(
    ("scenario", "state"),
    [("initial", "A"), ("stage-1", "D"), ("stage-2", "F"), ("stage-3", "H"), ("stage-4", "E")],
)
def test_each_stage_has_the_papers_unique_ess(scenario, state):
    stable = gk.equilibria(AIR.scenario(scenario)).stable()
    assert [e.name for e in stable] == [state]
    want = {g.population: g.gain for g in gk.stability_table(AIR)[state].eigenvalues}
    values = {S[k]: sympy.nsimplify(v) for k, v in AIR.scenario(scenario).parameters.items()}
    assert sorted(complex(v).real for v in stable[0].eigenvalues) == pytest.approx(
        sorted(float(g.subs(values)) for g in want.values())
    )
