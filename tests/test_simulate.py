"""Simulation: accuracy against scipy's DOP853, invariance, honest outcomes, schedules, both backends."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

import gamekit as gk
from gamekit.dynamics import strategy_payoffs
from gamekit.space import StateSpace

from .strategies import games

PLATFORM = gk.models.platform_insurance()


def reference_field(game):
    """The replicator field in tangent coordinates (each population's last share eliminated), for scipy.

    (On full mixed strategies the sum-to-one direction carries the eigenvalue -ubar, which makes a
    generic integrator drift off the simplex exponentially when payoffs are negative.)
    """
    tensors = game.numeric_payoffs()
    shape = game.shape

    def rows_of(x):
        rows, pos = [], 0
        for n in shape:
            head = x[pos : pos + n - 1]
            rows.append(np.append(head, 1 - head.sum()))
            pos += n - 1
        return rows

    def f(t, x):
        rows = rows_of(x)
        u = strategy_payoffs(tensors, rows)
        return np.concatenate([(r * (ui - r @ ui))[:-1] for r, ui in zip(rows, u)])

    return f, rows_of


def dop853_final(game, initial_full, t_end):
    """Final full states from scipy's DOP853 at tight tolerance."""
    f, rows_of = reference_field(game)
    space = StateSpace(game.shape)
    out = []
    for x0 in initial_full:
        reduced = np.concatenate([r[:-1] for r in space.split(x0)])
        y = solve_ivp(f, (0, t_end), reduced, method="DOP853", rtol=1e-12, atol=1e-14).y[:, -1]
        out.append(np.concatenate(rows_of(y)))
    return np.array(out)


@pytest.mark.parametrize("scenario", ["meta_goal", "trap", "lag"])
def test_converging_orbits_agree_with_dop853(scenario):
    game = PLATFORM.scenario(scenario)
    init = np.random.default_rng(1).uniform(0.05, 0.95, size=(16, 3))
    traj = gk.simulate(game, init, 20, t_eval=[20.0])
    space = StateSpace(game.shape)
    ref = space.coordinates(dop853_final(game, space.full(init), 20))
    # converging orbits: those that end within 1e-3 of a corner in the reference
    conv = np.all(np.minimum(ref, 1 - ref) < 1e-3, axis=1)
    assert conv.sum() >= 3
    assert np.max(np.abs(traj.final[conv] - ref[conv])) < 1e-5


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games(max_pops=3, max_strategies=3), st.integers(0, 2**32 - 1))
def test_random_games_agree_with_dop853_and_stay_in_the_simplex(game, seed):
    space = StateSpace(game.shape)
    init = space.sample(6, np.random.default_rng(seed))
    traj = gk.simulate(game, init, 5.0, t_eval=np.linspace(0, 5, 6))
    ref = dop853_final(game, init, 5.0)
    assert np.max(np.abs(space.full(traj.final) - ref)) < 1e-6
    s = traj.states
    assert np.all(s >= 0) and np.all(s <= 1)
    full = np.stack([space.full(s[:, i]) for i in range(s.shape[1])], axis=1)
    for a, b in zip(space.offsets[:-1], space.offsets[1:]):
        assert np.allclose(full[..., a:b].sum(axis=-1), 1.0)


def test_numba_and_numpy_backends_agree():
    game = PLATFORM.scenario("trap")
    init = np.random.default_rng(3).uniform(size=(60, 3))
    a = gk.simulate(game, init, 60, backend="numba")
    b = gk.simulate(game, init, 60, backend="numpy")
    assert np.allclose(a.final, b.final, atol=1e-9, rtol=0)
    assert list(a.outcome) == list(b.outcome)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games(max_pops=3, max_strategies=3), st.integers(0, 2**32 - 1))
def test_backends_agree_on_random_games_and_faces(game, seed):
    """The compiled kernel's two paths (two strategies, and any number) against the numpy twin, faces included."""
    space = StateSpace(game.shape)
    rng = np.random.default_rng(seed)
    full = space.full(space.sample(40, rng))
    full[rng.uniform(size=full.shape) < 0.15] = 0.0  # some strategies start extinct
    for a, b in zip(space.offsets[:-1], space.offsets[1:]):
        blk = full[:, a:b]
        blk[blk.sum(axis=1) == 0, 0] = 1.0
        full[:, a:b] = blk / blk.sum(axis=1, keepdims=True)
    init = space.coordinates(full)
    a = gk.simulate(game, init, 8.0, t_eval=[0.0, 2.5, 8.0], backend="numba")
    b = gk.simulate(game, init, 8.0, t_eval=[0.0, 2.5, 8.0], backend="numpy")
    assert np.allclose(a.final, b.final, atol=1e-8, rtol=0)
    assert np.allclose(a.states, b.states, atol=1e-8, rtol=0)
    assert np.array_equal(a.steps, b.steps)


@pytest.mark.parametrize("model", ["hawk_dove", "platform_insurance", "rock_paper_scissors", "jordan"])
def test_generic_and_generated_right_hand_sides_agree(model, monkeypatch):
    """Large games use the generic compiled RHS: force it on small ones and compare with the generated code."""
    pytest.importorskip("numba")
    from gamekit._kernels import rhs_codegen

    game = getattr(gk.models, model)()
    init = StateSpace(game.shape).sample(150, np.random.default_rng(5))
    generated = gk.simulate(game, init, 30.0, t_eval=[0.0, 3.0, 30.0], backend="numba")
    monkeypatch.setattr(rhs_codegen, "MAX_TERMS", 0)
    monkeypatch.setattr(rhs_codegen, "_loaded", {})
    assert rhs_codegen.load(game.shape, 64) is None
    generic = gk.simulate(game, init, 30.0, t_eval=[0.0, 3.0, 30.0], backend="numba")
    assert np.allclose(generated.final, generic.final, atol=1e-9, rtol=0)
    assert np.allclose(generated.states, generic.states, atol=1e-9, rtol=0)
    assert list(generated.outcome) == list(generic.outcome)


def test_without_numba_the_numpy_path_runs(monkeypatch):
    from gamekit._kernels import dopri

    monkeypatch.setattr(dopri, "numba_available", lambda: False)
    game = PLATFORM.scenario("trap")
    init = np.random.default_rng(8).uniform(size=(20, 3))
    auto = gk.simulate(game, init, 30)
    assert np.array_equal(auto.final, gk.simulate(game, init, 30, backend="numpy").final)
    with pytest.raises(gk.GamekitError, match="needs numba"):
        gk.simulate(game, init, 30, backend="numba")


def test_kernel_exponential_is_accurate_to_an_ulp():
    numba = pytest.importorskip("numba")
    from gamekit._kernels.dopri_numba import _exp

    @numba.njit
    def many(x):
        out = np.empty_like(x)
        for i in range(x.size):
            out[i] = _exp(x[i])
        return out

    x = np.concatenate(
        [np.random.default_rng(0).uniform(-745, 0, 200_000), -np.logspace(-300, 2.87, 2000), [0.0, -0.0]]
    )
    ref = np.exp(x)
    ok = ref > 1e-300  # below, subnormal results lose relative precision in any implementation
    assert np.max(np.abs(many(x)[ok] - ref[ok]) / ref[ok]) < 4.5e-16
    assert many(np.array([-745.0, -1e4, np.nan])).max() < 1e-300  # clamped: never an out-of-range table index


def test_results_do_not_depend_on_batching():
    game = PLATFORM.scenario("lag")
    init = np.random.default_rng(4).uniform(size=(50, 3))
    whole = gk.simulate(game, init, 40)
    pieces = [gk.simulate(game, init[i : i + 7], 40) for i in range(0, 50, 7)]
    assert np.array_equal(whole.final, np.concatenate([p.final for p in pieces]))
    assert np.array_equal(gk.simulate(game, init, 40, chunk=9).final, whole.final)


def test_faces_are_invariant_and_never_stuck():
    game = PLATFORM.scenario("trap")
    init = [[0.3, 0.6, 1.0], [0.0, 0.5, 0.5], [1.0, 1.0, 1.0], [0.5, 1.0, 0.5]]
    traj = gk.simulate(game, init, 100, t_eval=np.linspace(0, 100, 21))
    s = traj.states
    assert np.all(s[0, :, 2] == 1.0)  # workers stay claiming on the face z = 1
    assert np.all(s[1, :, 0] == 0.0)  # relaxed government stays relaxed
    assert np.all(s[2] == 1.0)  # a pure profile is a rest point
    assert np.all(s[3, :, 1] == 1.0)
    # an interior orbit near y = 1 keeps moving instead of sticking there
    assert traj.outcome[0] == "cycling on workers=claim"
    assert np.ptp(s[0, 10:, 0]) > 0.1
    assert traj.outcome[1] == "relax, evade, accept"  # stable within its face x = 0


def test_jordan_saddle_is_not_convergence():
    """Jordan's matching pennies: the orbit from (0.52, 0.5, 0.5) lingers near saddles, never 'converges'."""
    game = gk.models.jordan()
    for t_end in (60, 100, 400):
        traj = gk.simulate(game, [[0.52, 0.5, 0.5]], t_end)
        assert not traj.converged[0]
        assert traj.outcome[0] in ("unresolved",) or traj.outcome[0].startswith("cycling")


@pytest.mark.parametrize(
    "scenario, stable, cycling_share",
    [("trap", "regulate, evade, accept", 0.61), ("lag", "relax, evade, accept", 0.57)],
)
def test_basins_split_between_stable_corner_and_regulation_cycles(scenario, stable, cycling_share):
    frame = gk.basins(PLATFORM.scenario(scenario), 1500, rng=11, t_end=150)
    shares = dict(zip(frame.outcome, frame.share))
    assert set(shares) == {stable, "cycling on workers=claim"}
    assert abs(shares["cycling on workers=claim"] - cycling_share) < 0.04
    row = frame.set_index("outcome").loc[stable]
    assert row.ci_low < row.share < row.ci_high
    assert abs(frame.share.sum() - 1) < 1e-12


def test_meta_goal_attracts_everything():
    frame = gk.basins(PLATFORM.scenario("meta_goal"), 2000, rng=0, t_end=60)
    assert list(frame.outcome) == ["regulate, insure, claim"] and frame.share.iloc[0] == 1.0


def test_schedule_leads_from_trap_to_meta_goal():
    start = [[0.95, 0.05, 0.05]]
    stay = gk.simulate(PLATFORM.scenario("trap"), start, 100)
    assert stay.outcome[0] == "regulate, evade, accept"
    moved = gk.simulate(PLATFORM.scenario("trap"), start, 100, schedule=[(30, "meta_goal")])
    assert moved.outcome[0] == "regulate, insure, claim"
    assert np.allclose(moved.final, 1.0)
    meta = PLATFORM.scenarios["meta_goal"]
    same = gk.simulate(PLATFORM.scenario("trap"), start, 100, schedule=[(30, dict(meta))])
    assert np.array_equal(same.final, moved.final)


def test_per_orbit_parameters_match_separate_runs():
    base = PLATFORM.scenario("trap")
    init = np.random.default_rng(5).uniform(size=(8, 3))
    r_values = np.array([2.0, 4.0] * 4)
    joint = gk.simulate(base, init, 50, parameters={"R": r_values})
    for r in (2.0, 4.0):
        mask = r_values == r
        alone = gk.simulate(base.with_parameters(R=r), init[mask], 50)
        assert np.array_equal(alone.final, joint.final[mask])


def test_general_strategies_rock_paper_scissors_cycles():
    game = gk.models.rock_paper_scissors()
    init = StateSpace(game.shape).sample(20, np.random.default_rng(2))
    traj = gk.simulate(game, init, 100)
    assert traj.final.shape == (20, 6)
    assert all(o.startswith("cycling") for o in traj.outcome)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(initial=[[0.5, 0.5]]), "width 2"),
        (dict(initial=[[0.5, 1.5, 0.5]]), "outside the unit cube"),
        (dict(initial=[[np.nan, 0.5, 0.5]]), "NaN"),
        (dict(t_end=0), "positive"),
        (dict(t_end=-3), "positive"),
        (dict(schedule=[(30, {"F": 1}), (10, {"F": 2})]), "must increase"),
        (dict(schedule=[(30, {"Q": 1})]), "'Q', which is not a parameter"),
        (dict(schedule=[(30, "nope")]), "scenario 'nope'"),
        (dict(parameters={"Q": [1.0]}), "'Q' is not a parameter"),
        (dict(parameters={"F": [1.0, 2.0]}), "expected 1 values"),
        (dict(t_eval=[5, 1]), "t_eval"),
        (dict(schedule=[(150, {"F": 1})]), "not before t_end"),
        (dict(backend="gpu"), "unknown backend"),
    ],
)
def test_bad_input(kwargs, message):
    args = dict(initial=[[0.5, 0.5, 0.5]], t_end=100)
    args.update(kwargs)
    with pytest.raises(gk.GamekitError, match=message):
        gk.simulate(PLATFORM.scenario("trap"), args.pop("initial"), args.pop("t_end"), **args)


def test_wilson_interval_known_values():
    from gamekit.simulate import wilson_interval

    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0
    lo, hi = wilson_interval(39, 100)
    # textbook Wilson 95% interval for 39/100
    assert abs(lo - 0.3003) < 5e-4 and abs(hi - 0.4875) < 5e-4


def test_basins_on_a_grid():
    frame = gk.basins(PLATFORM.scenario("meta_goal"), grid=5, t_end=60)
    assert frame.orbits.sum() == 125 and list(frame.outcome) == ["regulate, insure, claim"]
    rps = gk.basins(gk.models.rock_paper_scissors(), grid=3, t_end=40)
    assert rps.orbits.sum() == 6 * 6  # 6 interior grid points on each 2-simplex
    assert all(o.startswith("cycling") for o in rps.outcome)
