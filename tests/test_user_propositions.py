"""A paper's propositions as a user's property tests, with the public gamekit.testing API only.

The platform paper's Proposition 1: under (1) delta*F > Cg, (2) Cp > B + delta*F + S, (3) Cc > K,
E4 = (regulate, evade, accept), the regulate-evade-endure trap, is an ESS (asymptotically stable).
Every parameter is bounded to [0, 100], delta and theta to [0, 1].  The stronger claim that the trap
is then the *unique* stable state is wrong: the meta-goal (regulate, insure, claim) can be stable at the
same time; the property test finds such a parameter set, and adding the meta-goal's missing instability
condition Cp > B + S + F + K makes the claim true.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings

import gamekit as gk
from gamekit.testing import assert_stable, assert_unique_stable, parameters

game = gk.load("platform-insurance")
bounds = {name: (0, 100) for name in game.parameters} | {"delta": (0, 1), "theta": (0, 1)}
PROPOSITION_1 = ["delta*F > Cg", "Cp > B + delta*F + S", "Cc > K"]


@settings(max_examples=150, deadline=None)
@given(parameters(game, where=PROPOSITION_1, bounds=bounds))
def test_proposition_1_the_trap_is_stable(values):
    assert_stable(game.with_parameters(values), "trap")


@settings(max_examples=100, deadline=None)
@given(parameters(game, where=[*PROPOSITION_1, "Cp > B + S + F + K"], bounds=bounds))
def test_proposition_1_with_the_missing_condition_the_trap_is_the_unique_stable_state(values):
    assert_unique_stable(game.with_parameters(values), "trap")


def test_proposition_1_as_a_uniqueness_claim_is_refuted():
    @settings(max_examples=150, deadline=None, database=None)
    @given(parameters(game, where=PROPOSITION_1, bounds=bounds))
    def the_trap_is_the_unique_stable_state(values):
        assert_unique_stable(game.with_parameters(values), "trap")

    with pytest.raises(AssertionError, match=r"\[meta-goal\] is asymptotically stable too"):
        the_trap_is_the_unique_stable_state()


@settings(max_examples=100, deadline=None)
@given(parameters(game, where=["delta*F < Cg", "B < Cp", "theta*K < Cc"], bounds=bounds))
def test_the_lag_is_stable_when_regulation_does_not_pay(values):
    assert_stable(game.with_parameters(values), "lag")
