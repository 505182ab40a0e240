"""Revision protocols (issue #10): the contract of gamekit.protocols, rest points and stability per dynamics.

Every reference is computed here independently: the fields by explicit loops over strategies (not the vectorised
code), Nash equilibria by nashpy's support enumeration or a brute-force check of the Nash conditions, logit
QRE by a one-dimensional root count or a Lipschitz exclusion search over the cube.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gamekit.errors import ArgumentError
from gamekit.protocols import REPLICATOR, Dynamics, parse_dynamics, velocity

# -- the contract: Dynamics, parse_dynamics ------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec, kind, eta, mu",
    [
        ("replicator", "replicator", None, None),
        ("logit:0.5", "logit", 0.5, None),
        ("logit:1/4", "logit", 0.25, None),
        ("Logit: 2", "logit", 2.0, None),
        ("smith", "smith", None, None),
        ("bnn", "bnn", None, None),
        ("replicator-mutator:0.01", "replicator-mutator", None, 0.01),
        ("replicator_mutator:0", "replicator-mutator", None, 0.0),
        ("replicator-mutator:1", "replicator-mutator", None, 1.0),
    ],
)
def test_parse_dynamics_reads_every_spelling(spec, kind, eta, mu):
    d = parse_dynamics(spec)
    assert (d.kind, d.eta, d.mu) == (kind, eta, mu)
    assert parse_dynamics(str(d)) == d  # str gives the spec back
    assert d.smooth == (kind in ("replicator", "logit", "replicator-mutator"))


def test_parse_dynamics_defaults_and_passes_through():
    assert parse_dynamics(None) is REPLICATOR
    assert REPLICATOR == Dynamics("replicator")
    d = Dynamics("logit", eta=0.5)
    assert parse_dynamics(d) is d
    assert str(d) == "logit:0.5"
    assert str(Dynamics("logit", eta=2)) == "logit:2"
    assert str(Dynamics("replicator-mutator", mu=0.01)) == "replicator-mutator:0.01"


@pytest.mark.parametrize(
    "spec, words",
    [
        ("fictitious-play", "unknown dynamics"),
        ("logit", "needs its parameter eta"),
        ("logit:", "needs its parameter eta"),
        ("logit:0", "eta must be a finite number > 0"),
        ("logit:-1", "eta must be a finite number > 0"),
        ("logit:inf", "eta must be a finite number > 0"),
        ("logit:nan", "eta must be a finite number > 0"),
        ("logit:abc", "eta must be a number"),
        ("replicator-mutator", "needs its parameter mu"),
        ("replicator-mutator:1.5", "mu must be in [0, 1]"),
        ("replicator-mutator:-0.1", "mu must be in [0, 1]"),
        ("smith:1", "takes no parameter"),
        ("replicator:0.1", "takes no parameter"),
        (3, "must be a name"),
    ],
)
def test_parse_dynamics_refuses_bad_specs_in_one_line(spec, words):
    with pytest.raises(ArgumentError) as err:
        parse_dynamics(spec)
    assert words in str(err.value)
    assert "\n" not in str(err.value)


def test_dynamics_refuses_missing_and_extra_parameters():
    with pytest.raises(ArgumentError, match="needs its noise eta"):
        Dynamics("logit")
    with pytest.raises(ArgumentError, match="takes no eta"):
        Dynamics("smith", eta=1.0)
    with pytest.raises(ArgumentError, match="takes no mu"):
        Dynamics("logit", eta=1.0, mu=0.1)
    with pytest.raises(ArgumentError, match="unknown dynamics"):
        Dynamics("imitation")


# -- the contract: velocity ---------------------------------------------------------------------------------


def _loop_velocity(kind, x, u, shape, eta=None, mu=None):
    """The fields written strategy by strategy, straight from the formulas (one state)."""
    out = []
    a = 0
    for n in shape:
        xs, us = list(x[a : a + n]), list(u[a : a + n])
        ubar = sum(xs[j] * us[j] for j in range(n))
        for i in range(n):
            if kind == "replicator":
                v = xs[i] * (us[i] - ubar)
            elif kind == "logit":
                m = max(us)
                den = sum(math.exp((us[j] - m) / eta) for j in range(n))
                v = math.exp((us[i] - m) / eta) / den - xs[i]
            elif kind == "smith":
                v = sum(xs[j] * max(us[i] - us[j], 0.0) for j in range(n)) - xs[i] * sum(
                    max(us[j] - us[i], 0.0) for j in range(n)
                )
            elif kind == "bnn":
                v = max(us[i] - ubar, 0.0) - xs[i] * sum(max(us[j] - ubar, 0.0) for j in range(n))
            else:
                v = (1 - mu) * xs[i] * (us[i] - ubar) + mu * (1.0 / n - xs[i])
            out.append(v)
        a += n
    return np.array(out)


DYNAMICS = [
    Dynamics("replicator"),
    Dynamics("logit", eta=0.7),
    Dynamics("smith"),
    Dynamics("bnn"),
    Dynamics("replicator-mutator", mu=0.2),
]


@st.composite
def states_and_payoffs(draw):
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    rows = 1 + draw(st.integers(0, 3))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.dirichlet(np.ones(n), rows) for n in shape], axis=1)
    u = rng.normal(0, 3, size=x.shape)
    return shape, x, u


@settings(max_examples=60, deadline=None)
@given(states_and_payoffs())
def test_velocity_matches_the_formulas_written_strategy_by_strategy(case):
    shape, x, u = case
    off = np.concatenate([[0], np.cumsum(shape)])
    for d in DYNAMICS:
        v = velocity(d, x, u, off)
        ref = np.array([_loop_velocity(d.kind, x[m], u[m], shape, d.eta, d.mu) for m in range(len(x))])
        np.testing.assert_allclose(v, ref, rtol=1e-12, atol=1e-12)
        for a, b in zip(off, off[1:]):  # each simplex's affine hull is invariant
            np.testing.assert_allclose(v[:, a:b].sum(axis=1), 0.0, atol=1e-12)
        np.testing.assert_allclose(velocity(d, x[0], u[0], off), v[0])  # a single state


@settings(max_examples=40, deadline=None)
@given(states_and_payoffs(), st.floats(-50, 50))
def test_velocity_depends_only_on_payoff_differences(case, c):
    shape, x, u = case
    off = np.concatenate([[0], np.cumsum(shape)])
    shift = np.concatenate([np.full(n, c * (p + 1)) for p, n in enumerate(shape)])
    for d in DYNAMICS:
        np.testing.assert_allclose(velocity(d, x, u + shift, off), velocity(d, x, u, off), atol=1e-9)


def test_velocity_keeps_the_simplex_on_its_boundary():
    # at x_i = 0 no dynamics pushes the share negative, whatever the payoffs' sign
    x = np.array([[0.0, 0.3, 0.7], [0.0, 0.0, 1.0]])
    u = np.array([[-5.0, -1.0, -2.0], [-9.0, 4.0, -3.0]])
    for d in DYNAMICS:
        assert np.all(velocity(d, x, u, [0, 3])[x == 0] >= 0)


def test_logit_velocity_does_not_overflow():
    x = np.array([[0.5, 0.5]])
    u = np.array([[1e6, 0.0]])
    v = velocity(Dynamics("logit", eta=1e-3), x, u, [0, 2])
    np.testing.assert_allclose(v, [[0.5, -0.5]])


def test_smith_and_bnn_vanish_exactly_at_a_nash_equilibrium_and_nowhere_else_on_a_line():
    # one population, payoffs tied on the support {0, 1}, strategy 2 worse: a Nash state
    x = np.array([[0.3, 0.7, 0.0]])
    u = np.array([[1.0, 1.0, 0.5]])
    for kind in ("smith", "bnn"):
        assert np.all(velocity(Dynamics(kind), x, u, [0, 3]) == 0)
        # strategy 2 better: not Nash, so not a rest point
        assert np.any(velocity(Dynamics(kind), x, np.array([[1.0, 1.0, 1.5]]), [0, 3]) != 0)


def test_velocity_refuses_mismatched_input():
    with pytest.raises(ArgumentError, match="same shape"):
        velocity(REPLICATOR, np.ones((2, 3)), np.ones((2, 2)), [0, 3])
    with pytest.raises(ArgumentError, match="off must run"):
        velocity(REPLICATOR, np.ones((2, 3)), np.ones((2, 3)), [0, 2])
