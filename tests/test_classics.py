"""Textbook games with known answers."""

import numpy as np
import sympy

import gamekit as gk


def by_profile(eqs):
    return {e.profile: e for e in eqs if e.profile}


def test_matching_pennies_interior_centre():
    eqs = gk.equilibria(gk.models.matching_pennies())
    assert all(e.stability is gk.Stability.SADDLE for e in eqs if e.profile)
    (c,) = [e for e in eqs if not e.profile]
    assert c.exact_state == ((sympy.Rational(1, 2), sympy.Rational(1, 2)),) * 2
    assert c.stability is gk.Stability.NON_HYPERBOLIC
    assert set(c.exact_eigenvalues) == {sympy.I, -sympy.I}


def test_battle_of_the_sexes():
    eqs = gk.equilibria(gk.models.battle_of_the_sexes())
    stable = {e.profile for e in eqs.stable()}
    assert stable == {("opera", "opera"), ("football", "football")}
    (m,) = [e for e in eqs if not e.profile]
    assert m.exact_state[0][0] == sympy.Rational(2, 3) and m.exact_state[1][0] == sympy.Rational(1, 3)
    assert m.stability is gk.Stability.SADDLE


def test_hawk_dove_two_roles():
    eqs = gk.equilibria(gk.models.hawk_dove_two_roles())
    assert {e.profile for e in eqs.stable()} == {("hawk", "dove"), ("dove", "hawk")}
    (m,) = [e for e in eqs if not e.profile]
    assert np.allclose(m.coordinates, [0.5, 0.5])  # V/C
    assert m.stability is gk.Stability.SADDLE


def test_jordan_has_no_stable_state():
    eqs = gk.equilibria(gk.models.jordan())
    assert not eqs.stable()
    assert by_profile(eqs)[("heads", "heads", "heads")].stability is gk.Stability.SADDLE


def test_rock_paper_scissors_centre_is_non_hyperbolic():
    eqs = gk.equilibria(gk.models.rock_paper_scissors_two_roles())
    (c,) = [e for e in eqs if e.is_interior]
    assert np.allclose(c.coordinates, 1 / 3)
    assert c.stability is gk.Stability.NON_HYPERBOLIC
    assert np.allclose(np.real(c.eigenvalues), 0)


def test_continuum_is_reported_not_sampled():
    # the row population is indifferent everywhere: every point of an edge is a rest point
    g = gk.Game(
        {"row": ["a", "b"], "col": ["c", "d"]}, {"a, c": [0, 1], "a, d": [0, 0], "b, c": [0, 1], "b, d": [0, 0]}
    )
    eqs = gk.equilibria(g)
    assert len(eqs.continua) == 2
    assert {c.support for c in eqs.continua} == {(("a", "b"), ("c",)), (("a", "b"), ("d",))}
    assert all(c.dimension == 1 for c in eqs.continua)
    assert all(e.profile for e in eqs)  # no mixed point sampled off the continuum


def test_symbolic_table_without_values():
    g = gk.Game(
        {"r": ["u", "d"], "c": ["l", "r"]},
        {"u, l": ["a", "a"], "u, r": [0, 0], "d, l": [0, 0], "d, r": ["b", "b"]},
        ["a", "b"],
    )
    t = gk.stability_table(g)
    a, b = sympy.Symbol("a", real=True), sympy.Symbol("b", real=True)
    assert [sympy.expand(c.gts - c.lts) for c in t["u, l"].conditions] == [a]
    assert [sympy.expand(c.gts - c.lts) for c in t["d, r"].conditions] == [b]
    assert t["u, l"].stability is None


def test_numeric_mode_agrees_with_exact_mode():
    game = gk.models.platform_insurance().scenario("trap")
    exact = gk.equilibria(game)
    numeric = gk.equilibria(game, exact=False)
    assert not any(e.exact for e in numeric) and not numeric.complete
    key = lambda eqs: sorted((tuple(np.round(e.coordinates, 7)), e.stability.value) for e in eqs)  # noqa: E731
    assert key(exact) == key(numeric)
