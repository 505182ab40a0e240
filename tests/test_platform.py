"""The platform social-insurance model reproduces its specification exactly."""

import numpy as np
import pytest
import sympy

import gamekit as gk
from gamekit.expr import make_symbol

GAME = gk.models.platform_insurance()
P = {n: make_symbol(n) for n in GAME.parameters}
Cg, F, delta, S, R, A, Cp, B, K, theta, Cc, V, Cw = (P[n] for n in "Cg F delta S R A Cp B K theta Cc V Cw".split())


def test_equations_equal_the_spec():
    dyn = gk.replicator(GAME)
    x, y, z = dyn.coordinates
    spec = [
        x * (1 - x) * (y * (R - S) - Cg + (1 - y) * (z * F + (1 - z) * delta * F + z * A)),
        y * (1 - y) * (B - Cp + x * S + x * (z + (1 - z) * delta) * F + z * K * (x + (1 - x) * theta)),
        z * (1 - z) * (y * (V - Cw) + (1 - y) * (x * K + (1 - x) * theta * K - Cc)),
    ]
    for ours, theirs in zip(dyn.equations, spec):
        assert sympy.expand(ours - theirs) == 0


def conditions(profile):
    return set(gk.stability_table(GAME)[profile].conditions)


def positive_parts(relations):
    """Each strict inequality as the expression that must be positive."""
    return {sympy.expand(r.gts - r.lts) for r in relations}


def test_named_corner_conditions():
    assert positive_parts(conditions("lag")) == positive_parts({delta * F < Cg, B < Cp, theta * K < Cc})
    assert positive_parts(conditions("trap")) == positive_parts({delta * F > Cg, B + S + delta * F < Cp, K < Cc})
    assert positive_parts(conditions("meta-goal")) == positive_parts({R > Cg + S, B + S + F + K > Cp, V > Cw})


@pytest.mark.parametrize(
    "scenario, stable, eigenvalues",
    [
        ("lag", "lag", None),
        ("trap", "trap", (-1, -3, -1)),
        ("meta_goal", "meta-goal", (-1, -13, -4)),
    ],
)
def test_unique_stable_corner(scenario, stable, eigenvalues):
    eqs = gk.equilibria(GAME.scenario(scenario))
    st = eqs.stable()
    assert [e.name for e in st] == [stable]
    assert st[0].exact and st[0].exact_eigenvalues is not None
    if eigenvalues:
        assert np.allclose(np.real(st[0].eigenvalues), eigenvalues)
        assert sorted(st[0].exact_eigenvalues) == sorted(sympy.Integer(v) for v in eigenvalues)
    # the corner's conditions hold exactly at the scenario's values
    subs = GAME.scenario(scenario).values()
    assert all(c.xreplace(subs) == sympy.true for c in conditions(stable))


@pytest.mark.parametrize(
    "scenario, centre",
    [
        ("lag", (sympy.Rational(3, 5), sympy.Rational(3, 5), 1)),
        ("trap", (sympy.Rational(11, 21), sympy.Rational(10, 11), 1)),
    ],
)
def test_regulation_cycle_centre_on_claim_face(scenario, centre):
    eqs = gk.equilibria(GAME.scenario(scenario))
    (c,) = [e for e in eqs if e.exact_state and tuple(s[0] for s in e.exact_state) == centre]
    assert c.stability is gk.Stability.NON_HYPERBOLIC
    re = sorted(sympy.re(v) for v in c.exact_eigenvalues)
    assert re[0] < 0 and re[1] == 0 and re[2] == 0  # centre on the face, attracting across it
    assert all(sympy.im(v) != 0 for v in c.exact_eigenvalues if sympy.re(v) == 0)


def test_meta_goal_unstable_only_through_government_under_trap():
    meta = gk.equilibria(GAME.scenario("trap")).named("meta-goal")
    assert meta.stability is gk.Stability.SADDLE
    assert np.allclose(np.real(meta.eigenvalues), (1, -6, -4))  # government: R - Cg - S = +1
