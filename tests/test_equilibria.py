"""Rest points: scale invariance, verified numeric points, exact linear faces, budgets, the result type."""

from __future__ import annotations

import importlib
import itertools
import pickle
import time
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gamekit as gk
from gamekit.dynamics import strategy_payoffs
from gamekit.errors import GamekitError
from gamekit.expr import make_symbol
from gamekit.modelfile import from_toml

from .strategies import games, shifted

SLOW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def random_game(shape, seed, suffix="", lo=-5, hi=5):
    """A seeded random game with integer payoffs; ``suffix`` scales them exactly (``"e9"``, ``"e-9"``)."""
    rng = np.random.default_rng(seed)
    pops = {f"P{p}": [f"s{p}{i}" for i in range(n)] for p, n in enumerate(shape)}
    payoffs = {
        ", ".join(f"s{p}{i}" for p, i in enumerate(idx)): [
            f"{int(v)}{suffix}" for v in rng.integers(lo, hi + 1, len(shape))
        ]
        for idx in itertools.product(*(range(n) for n in shape))
    }
    return gk.Game(pops, payoffs, name=f"random {shape}")


def scaled(game: gk.Game, suffix: str) -> gk.Game:
    """Every payoff (at the game's values) times 10^k, written exactly (``"(3/2)*1e9"``)."""
    tensors = game.exact_payoffs()
    payoffs = {
        ", ".join(game.profile_names(idx)): [f"({sympy.sstr(t[idx])})*1{suffix}" for t in tensors]
        for idx in game.profiles()
    }
    return gk.Game({p.name: list(p.strategies) for p in game.populations}, payoffs)


def signature(eqs):
    points = sorted((tuple(np.round(e.coordinates, 7)), e.stability.value) for e in eqs)
    return points, sorted(c.support for c in eqs.continua)


def check_points(game, eqs):
    """Each point once, a rest point to rounding (relative to the payoff scale), positive on its support only.

    "Once" and "positive" with margins that a stall of Newton near a face's boundary fails (such stalls
    came in clusters of copies 1e-7 to 1e-6 apart, with a share below 1e-6): integer games with payoffs
    in [-5, 5] have no rest points that close together or that close to a boundary.
    """
    tensors = game.numeric_payoffs()
    scale = max(float(np.max(np.ptp(t, axis=p))) for p, t in enumerate(tensors)) or 1.0
    seen = []
    for e in eqs:
        rows = [np.array(s) for s in e.state]
        for pop, row, sup in zip(game.populations, rows, e.support):
            inside = [pop.strategies.index(s) for s in sup]
            assert np.all(row[inside] > 1e-6), (e, "a share on the support is not clearly positive")
            outside = [i for i in range(len(row)) if i not in inside]
            assert np.all(row[outside] == 0)
        for p, u in enumerate(strategy_payoffs(tensors, rows)):
            used = u[[game.populations[p].strategies.index(s) for s in e.support[p]]]
            assert np.ptp(used) <= 1e-9 * scale, (e, "not a rest point")
        flat = np.concatenate(rows)
        assert all(np.max(np.abs(flat - other)) > 1e-5 for other in seen), (e, "listed twice")
        seen.append(flat)


# -- scale and shift invariance --------------------------------------------------------------------------


@SLOW
@given(games(max_pops=3, max_total=4), st.sampled_from(["e9", "e-9"]), st.booleans())
def test_scaling_every_payoff_changes_no_rest_point_and_no_label(game, suffix, exact):
    ours = gk.equilibria(game, exact=exact)
    theirs = gk.equilibria(scaled(game, suffix), exact=exact)
    assert signature(ours) == signature(theirs)


@SLOW
@given(games(max_pops=3, max_total=4), st.data(), st.booleans())
def test_shifts_by_the_others_strategies_change_no_label_and_no_count(game, data, exact):
    other = shifted(game, lambda: data.draw(st.integers(-7, 7)))
    ours, theirs = gk.equilibria(game, exact=exact), gk.equilibria(other, exact=exact)
    assert signature(ours) == signature(theirs)
    assert len(ours.uncertain) == len(theirs.uncertain)


def test_a_centre_at_payoff_scale_1e9_is_not_called_stable():
    for suffix in ("", "e9", "e-9"):
        game = scaled(gk.models.matching_pennies(), suffix)
        for exact in (True, False):
            (centre,) = [e for e in gk.equilibria(game, exact=exact) if e.is_interior]
            assert centre.stability is gk.Stability.NON_HYPERBOLIC, (suffix, exact)


def test_random_4x3_game_is_scale_invariant_numerically():
    base = random_game((3, 3, 3, 3), 1)
    ref = signature(gk.equilibria(base))
    assert ref == signature(gk.equilibria(random_game((3, 3, 3, 3), 1, "e9")))
    assert ref == signature(gk.equilibria(random_game((3, 3, 3, 3), 1, "e-9")))


# -- numeric rest points are verified and listed once ------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_random_4x3_games_list_each_verified_point_once(seed):
    game = random_game((3, 3, 3, 3), seed)
    eqs = gk.equilibria(game)
    check_points(game, eqs)
    assert all(e.stability is not gk.Stability.ASYMPTOTICALLY_STABLE for e in eqs if e.is_interior)


@pytest.mark.parametrize("seed, lo, hi", [(720, -5, 5), (320, -1, 1)])
def test_near_singular_points_are_listed_once(seed, lo, hi):
    """Found by a hostile campaign: copies 3e-8 to 5e-8 apart of one near-singular rest point, both listed."""
    rng = np.random.default_rng(seed)
    values = rng.integers(lo, hi + 1, size=(81, 4))
    pops = {f"P{i}": [f"s{i}{j}" for j in range(3)] for i in range(4)}
    profiles = itertools.product(*pops.values())
    game = gk.Game(pops, {", ".join(p): [str(v) for v in values[k]] for k, p in enumerate(profiles)}, {})
    check_points(game, gk.equilibria(game))


@SLOW
@given(games(min_pops=2, max_pops=4, max_total=5))
def test_random_games_list_each_verified_point_once(game):
    check_points(game, gk.equilibria(game))
    check_points(game, gk.equilibria(game, exact=False))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games(min_pops=3, max_pops=3, max_strategies=2))
def test_numeric_points_match_sympys_on_small_polynomial_faces(game):
    exact = gk.equilibria(game, exact=True)
    numeric = gk.equilibria(game, exact=False)
    assert exact.complete  # the interior face (3 unknowns) was solved by sympy
    interior = lambda eqs: sorted(tuple(np.round(e.coordinates, 7)) for e in eqs if e.is_interior)  # noqa: E731
    if not any(c.support == tuple(tuple(p.strategies) for p in game.populations) for c in exact.continua):
        assert interior(numeric) == interior(exact)
    assert signature(numeric)[0] == signature(exact)[0] or numeric.continua or exact.continua


# -- exact linear faces, however many --------------------------------------------------------------------


def test_two_populations_with_seven_strategies_are_solved_exactly_and_fast():
    game = random_game((7, 7), 3)
    t0 = time.monotonic()
    eqs = gk.equilibria(game)
    assert time.monotonic() - t0 < 30
    assert eqs.complete and all(e.exact for e in eqs)
    A, B = game.exact_payoffs()
    for e in eqs:  # exact: the strategies in use earn exactly the same
        x, y = (np.array([Fraction(int(v.p), int(v.q)) for v in s], dtype=object) for s in e.exact_state)
        for u, row in ((A @ y, x), (x @ B, y)):
            assert len({u[i] for i in range(len(row)) if row[i] > 0}) == 1
    check_points(game, eqs)


def test_linear_faces_match_a_brute_force_over_supports():
    """Every (support pair) of a 2 x 4 game solved independently with sympy's linsolve."""
    game = random_game((4, 4), 5, lo=-2, hi=2)
    A, B = (np.array(t, dtype=object) for t in game.exact_payoffs())
    expected = set()
    for Sp in (c for r in range(1, 5) for c in itertools.combinations(range(4), r)):
        for Sq in (c for r in range(1, 5) for c in itertools.combinations(range(4), r)):
            x = sympy.symbols(f"x0:{len(Sp)}", real=True)
            y = sympy.symbols(f"y0:{len(Sq)}", real=True)
            eqs = [sum(x) - 1, sum(y) - 1]
            eqs += [
                sum(A[i, m] * y[j] for j, m in enumerate(Sq)) - sum(A[Sp[-1], m] * y[j] for j, m in enumerate(Sq))
                for i in Sp[:-1]
            ]
            eqs += [
                sum(B[m, i] * x[j] for j, m in enumerate(Sp)) - sum(B[m, Sq[-1]] * x[j] for j, m in enumerate(Sp))
                for i in Sq[:-1]
            ]
            for sol in sympy.linsolve(eqs, list(x) + list(y)):
                if sol.free_symbols:
                    continue
                if all(v > 0 for v in sol):
                    state = [[0] * 4, [0] * 4]
                    for j, m in enumerate(Sp):
                        state[0][m] = sol[j]
                    for j, m in enumerate(Sq):
                        state[1][m] = sol[len(Sp) + j]
                    expected.add(tuple(sympy.Rational(v) for row in state for v in row))
    ours = {tuple(v for row in e.exact_state for v in row) for e in gk.equilibria(game)}
    assert ours == expected


# -- budgets and hostile payoffs -------------------------------------------------------------------------


def test_sympy_budget_spent_falls_back_to_numeric_and_says_so():
    game = gk.models.platform_insurance().scenario("trap")
    eqs = gk.equilibria(game, exact=True, time_budget=0)
    assert not eqs.complete and eqs.numeric_faces == 1
    assert any("time budget" in n for n in eqs.notes)
    assert signature(eqs) == signature(gk.equilibria(game))


def test_a_killed_sympy_worker_is_replaced():
    game = random_game((3, 3, 3), 2)
    eqs = gk.equilibria(game, exact=True, time_budget=0.01)
    assert any("time budget" in n for n in eqs.notes)
    again = gk.equilibria(game, exact=True)
    assert signature(again)[0] == signature(eqs)[0]


@pytest.mark.parametrize("payoff", ["S*delta^0.95", "S*(1 - delta^1000)", "S*sqrt(delta)"])
def test_irrational_or_huge_payoffs_finish_in_floating_point(payoff):
    base = gk.models.platform_insurance()
    text = base.to_toml().replace('"R - Cg - S"', f'"R - Cg - {payoff}"')
    game = from_toml(text)
    t0 = time.monotonic()
    eqs = gk.equilibria(game.scenario("trap"))
    assert time.monotonic() - t0 < 60
    assert any("floating point" in n for n in eqs.notes)
    assert [e.name for e in eqs.stable()] == ["trap"]


def test_large_payoffs_give_finite_eigenvalues_or_a_gamekit_error():
    g = gk.Game(
        {"a": ["x", "y"], "b": ["u", "v"]},
        {"x, u": ["1e99", "-1e99"], "x, v": [0, 1], "y, u": ["-1e99", 2], "y, v": [3, "1e99"]},
    )
    eqs = gk.equilibria(g)
    assert all(np.all(np.isfinite(e.eigenvalues)) for e in eqs)


# -- private coordinates --------------------------------------------------------------------------------


def test_parameters_named_like_coordinates_stay_parameters():
    names = ["x", "y", "s_x", "s_y", "x_1", "x1", "y1"]
    plain = ["a", "b", "c", "d", "e", "f", "g"]
    pops = {"row": ["u", "d"], "col": ["l", "m", "r"]}

    def game(ps):
        pay = {}
        for k, (i, j) in enumerate(itertools.product(range(2), range(3))):
            pay[f"{pops['row'][i]}, {pops['col'][j]}"] = [
                f"{ps[k % 7]} + {k}",
                f"{ps[(k + 3) % 7]} * {ps[(k + 1) % 7]}",
            ]
        return gk.Game(pops, pay, dict.fromkeys(ps, 1.0))

    tricky, renamed = gk.replicator(game(names)), gk.replicator(game(plain))
    assert not {str(c) for c in tricky.coordinates} & set(names)
    values = {n: v for n, v in zip(names, [2, 3, 5, 7, 11, 13, 17])}
    subs_t = {make_symbol(n): v for n, v in values.items()}
    subs_r = {make_symbol(p): values[n] for p, n in zip(plain, names)}
    swap = dict(zip(renamed.coordinates, tricky.coordinates))
    for a, b in zip(tricky.equations, renamed.equations):
        assert sympy.expand(a.xreplace(subs_t) - b.xreplace(subs_r).xreplace(swap)) == 0
    assert (tricky.jacobian.xreplace(subs_t) - renamed.jacobian.xreplace(subs_r).xreplace(swap)).applyfunc(
        sympy.expand
    ) == sympy.zeros(3, 3)
    # every free symbol left after substituting the parameters is a coordinate
    assert set().union(*(e.xreplace(subs_t).free_symbols for e in tricky.equations)) <= set(tricky.coordinates)


# -- the result type and validation -------------------------------------------------------------------------


def test_equilibria_is_a_frozen_container_that_pickles_and_prints():
    eqs = gk.equilibria(gk.models.platform_insurance().scenario("trap"))
    assert not isinstance(eqs, tuple)
    assert len(eqs) == len(eqs.points) and eqs[0] is eqs.points[0] and list(eqs) == list(eqs.points)
    back = pickle.loads(pickle.dumps(eqs))
    assert back == eqs and back.points == eqs.points
    assert repr(eqs).startswith("Equilibria(10 rest points")
    assert len(eqs.to_frame()) == len(eqs)
    with pytest.raises(AttributeError):
        eqs.complete = False  # frozen
    cont = gk.equilibria(
        gk.Game(
            {"row": ["a", "b"], "col": ["c", "d"]}, {"a, c": [0, 1], "a, d": [0, 0], "b, c": [0, 1], "b, d": [0, 0]}
        )
    )
    assert pickle.loads(pickle.dumps(cont)).continua == cont.continua


@pytest.mark.parametrize(
    "kwargs",
    [
        {"zero_tol": 0.5},
        {"zero_tol": float("nan")},
        {"zero_tol": -1e-9},
        {"zero_tol": "1e-9"},
        {"exact": "yes"},
        {"starts": 0},
        {"time_budget": -1},
        {"time_budget": float("inf")},
        {"rng": "seed"},
        {"progress": "no"},
    ],
)
def test_bad_arguments_are_gamekit_errors(kwargs):
    with pytest.raises(GamekitError):
        gk.equilibria(gk.models.matching_pennies(), **kwargs)


@pytest.mark.parametrize("kwargs", [{"zero_tol": 0.5}, {"residual_tol": float("nan")}, {"exact": 1}])
def test_bad_linearize_arguments_are_gamekit_errors(kwargs):
    with pytest.raises(GamekitError):
        gk.linearize(gk.models.matching_pennies(), [0.5, 0.5], **kwargs)


def test_linearize_decides_rest_points_relative_to_the_payoff_scale():
    for suffix in ("", "e9", "e-9"):
        game = scaled(gk.models.battle_of_the_sexes(), suffix)
        mixed = gk.linearize(game, [2 / 3, 1 / 3])
        assert mixed.exact and mixed.stability is gk.Stability.SADDLE
        with pytest.raises(gk.StateError):
            gk.linearize(game, [0.6, 0.3])


def test_a_sympy_worker_that_cannot_start_leaves_faces_to_newton(monkeypatch):
    worker = importlib.import_module("gamekit.equilibria.exact").worker
    worker.kill()
    monkeypatch.setattr("sys.executable", "/nonexistent/python")
    game = gk.models.platform_insurance().scenario("trap")
    eqs = gk.equilibria(game, exact=True)
    assert not eqs.complete and any("could not solve" in n for n in eqs.notes)
    monkeypatch.undo()
    assert signature(eqs) == signature(gk.equilibria(game, exact=True))
