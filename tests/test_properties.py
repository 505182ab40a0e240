"""Mathematical properties of the replicator dynamics that hold for every game."""

import itertools
import warnings

import nashpy
import numpy as np
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gamekit as gk

from .strategies import games, shifted

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def pure_coordinates(game, idx):
    """Tangent coordinates of a pure profile (each population's non-last shares)."""
    return [1 if i == s else 0 for n, s in zip(game.shape, idx) for i in range(n - 1)]


def pure_state(game, idx):
    return np.concatenate([np.eye(n)[s] for n, s in zip(game.shape, idx)])


def gains(game, idx):
    """Payoff gains of every unilateral switch, computed here from the payoff tables."""
    A = game.numeric_payoffs()
    out = []
    for p, n in enumerate(game.shape):
        for j in range(n):
            if j != idx[p]:
                alt = list(idx)
                alt[p] = j
                out.append(A[p][tuple(alt)] - A[p][tuple(idx)])
    return np.array(out)


@FAST
@given(games(max_pops=3))
def test_every_pure_profile_is_a_rest_point(game):
    dyn = gk.replicator(game)
    for idx in game.profiles():
        point = dict(zip(dyn.coordinates, pure_coordinates(game, idx)))
        assert all(sympy.expand(eq.xreplace(point)) == 0 for eq in dyn.equations)


@FAST
@given(games(max_pops=3))
def test_state_space_is_invariant(game):
    """On each face the field is tangent: a share at 0 stays 0, a population's shares keep summing to 1."""
    dyn = gk.replicator(game)
    pos = 0
    for n in game.shape:
        coords = dyn.coordinates[pos : pos + n - 1]
        eqs = dyn.equations[pos : pos + n - 1]
        for c, eq in zip(coords, eqs):
            assert sympy.expand(eq.xreplace({c: 0})) == 0
        # on the face where the last strategy is extinct, the other shares' rates sum to zero
        last_zero = {coords[-1]: 1 - sympy.Add(*coords[:-1])}
        assert sympy.expand(sympy.Add(*eqs).xreplace(last_zero)) == 0
        pos += n - 1


@FAST
@given(games(max_pops=4))
def test_pure_eigenvalues_are_switch_gains_and_stability_is_strict_nash(game):
    for idx in game.profiles():
        eq = gk.linearize(game, pure_state(game, idx))
        g = gains(game, idx)
        assert np.allclose(np.sort_complex(np.array(eq.eigenvalues)), np.sort_complex(g.astype(complex)))
        strict_nash = bool(np.all(g < 0))
        assert (eq.stability is gk.Stability.ASYMPTOTICALLY_STABLE) == strict_nash
        assert eq.profile == game.profile_names(idx)


def signature(eqs):
    return sorted((tuple(np.round(e.coordinates, 8)), e.stability.value) for e in eqs)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games(max_pops=3, max_total=4), st.data())
def test_labels_invariant_under_shifts_that_depend_only_on_others(game, data):
    other = shifted(game, lambda: data.draw(st.integers(-7, 7)))
    assert signature(gk.equilibria(game)) == signature(gk.equilibria(other))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games(max_pops=3, max_total=4))
def test_interior_rest_points_are_never_asymptotically_stable(game):
    for e in gk.equilibria(game):
        if e.is_interior:
            assert e.stability is not gk.Stability.ASYMPTOTICALLY_STABLE
            assert abs(sum(e.eigenvalues).real) < 1e-7  # the Jacobian's trace vanishes there


@settings(max_examples=30, deadline=None)
@given(games(min_pops=2, max_pops=2, max_strategies=3, lo=-9, hi=9))
def test_pure_nash_agree_with_nashpy(game):
    A, B = game.numeric_payoffs()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = set()
        for r, c in nashpy.Game(A, B).support_enumeration(non_degenerate=False):
            if np.count_nonzero(r) == 1 and np.count_nonzero(c) == 1:
                theirs.add((int(np.argmax(r)), int(np.argmax(c))))
    # nashpy's support enumeration lists every pure equilibrium (a pure profile is a square support)
    ours = {idx for idx in game.profiles() if np.all(gains(game, idx) <= 0)}
    assert ours == theirs
    # and gamekit's asymptotically stable pure profiles are exactly the strict ones among them
    stable = {game.profile_index(e.profile) for e in gk.equilibria(game).stable() if e.profile}
    assert stable == {idx for idx in ours if np.all(gains(game, idx) < 0)}


def test_shift_property_uses_a_real_shift():
    """Guard: the shift helper changes payoffs but not payoff differences within a population."""
    g = gk.models.battle_of_the_sexes()
    h = shifted(g, iter(itertools.count(3)).__next__)
    A, B = g.numeric_payoffs()
    A2, B2 = h.numeric_payoffs()
    assert not np.allclose(A, A2)
    assert np.allclose(A2[0] - A2[1], A[0] - A[1]) and np.allclose(B2[:, 0] - B2[:, 1], B[:, 0] - B[:, 1])


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games(max_pops=3, max_total=4))
def test_tensor_jacobian_is_the_derivative_of_the_equations(game):
    """One Jacobian formula serves symbolic, exact and numeric work: check it against sympy's own derivative."""
    dyn = gk.replicator(game)
    by_sympy = sympy.Matrix(dyn.equations).jacobian(dyn.coordinates)
    assert (dyn.jacobian - by_sympy).applyfunc(sympy.expand) == sympy.zeros(*by_sympy.shape)


def test_platform_jacobian_is_the_derivative_of_the_equations():
    dyn = gk.replicator(gk.models.platform_insurance())
    by_sympy = sympy.Matrix(dyn.equations).jacobian(dyn.coordinates)
    assert (dyn.jacobian - by_sympy).applyfunc(sympy.expand) == sympy.zeros(3, 3)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games(min_pops=2, max_pops=3, max_strategies=3), st.integers(0, 2**32 - 1))
def test_asymptotically_stable_rest_points_attract_nearby_orbits(game, seed):
    """Orbits started within 1e-3 of an asymptotically stable rest point converge to it (the definition)."""
    rng = np.random.default_rng(seed)
    for eq in gk.equilibria(game).stable():
        centre = np.concatenate([np.asarray(s) for s in eq.state])
        # 8 starts: the rest point mixed with random interior points, 1e-3 of the way
        noise = np.concatenate([rng.dirichlet(np.ones(n), size=8) for n in game.shape], axis=1)
        starts = (1 - 1e-3) * centre + 1e-3 * noise
        traj = gk.simulate(game, starts, 200.0)
        assert traj.converged.all()
        assert set(traj.outcome) == {", ".join(eq.profile)}
        final = np.atleast_2d(traj.final)
        expected = centre[0::2] if all(n == 2 for n in game.shape) else centre
        assert np.max(np.abs(final - expected)) < 1e-6
