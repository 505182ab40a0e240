"""Simulation: accuracy against scipy's DOP853, invariance, honest outcomes, schedules, both backends."""

import importlib
import itertools
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

import gamekit as gk
from gamekit.basins import wilson_interval
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


@pytest.mark.parametrize(
    "model", ["hawk_dove_two_roles", "platform_insurance", "rock_paper_scissors_two_roles", "jordan"]
)
def test_generic_and_generated_right_hand_sides_agree(model, monkeypatch):
    """Large games use the generic compiled RHS: force it on small ones and compare with the generated code."""
    pytest.importorskip("numba")
    from gamekit._kernels import rhs_codegen

    game = gk.models.load_shipped(model)
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
    from gamekit._kernels.primitives import exp_neg

    @numba.njit
    def many(x):
        out = np.empty_like(x)
        for i in range(x.size):
            out[i] = exp_neg(x[i])
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
    result = gk.basins(PLATFORM.scenario(scenario), 1500, rng=11, t_end=150)
    frame = result.to_frame()
    shares = dict(zip(result.outcomes, result.shares))
    assert set(shares) == {stable, "cycling on workers=claim"}
    assert abs(shares["cycling on workers=claim"] - cycling_share) < 0.04
    row = frame.set_index("outcome").loc[stable]
    assert row.ci_low < row.share < row.ci_high
    assert abs(frame.share.sum() - 1) < 1e-12


def test_meta_goal_attracts_everything():
    result = gk.basins(PLATFORM.scenario("meta_goal"), 2000, rng=0, t_end=60)
    assert result.outcomes == ("regulate, insure, claim",) and result.shares[0] == 1.0


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
    game = gk.models.load_shipped("rock_paper_scissors_two_roles")  # two populations: the interior is a centre
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
        (dict(t_end=0), "t_end must be in"),
        (dict(t_end=-3), "t_end must be in"),
        (dict(schedule=[(30, {"F": 1}), (10, {"F": 2})]), "must increase"),
        (dict(schedule=[(30, {"Q": 1})]), "'Q', which is not a parameter"),
        (dict(schedule=[(30, "nope")]), "scenario 'nope'"),
        (dict(parameters={"Q": [1.0]}), "'Q' is not a parameter"),
        (dict(parameters={"F": [1.0, 2.0]}), "expected 1 values"),
        (dict(t_eval=[5, 1]), "t_eval"),
        (dict(schedule=[(150, {"F": 1})]), "not before t_end"),
        (dict(backend="gpu"), "backend must be one of"),
    ],
)
def test_bad_input(kwargs, message):
    args = dict(initial=[[0.5, 0.5, 0.5]], t_end=100)
    args.update(kwargs)
    with pytest.raises(gk.GamekitError, match=message):
        gk.simulate(PLATFORM.scenario("trap"), args.pop("initial"), args.pop("t_end"), **args)


def test_wilson_interval_known_values():

    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0
    lo, hi = wilson_interval(39, 100)
    # textbook Wilson 95% interval for 39/100
    assert abs(lo - 0.3003) < 5e-4 and abs(hi - 0.4875) < 5e-4


def test_basins_on_a_grid():
    result = gk.basins(PLATFORM.scenario("meta_goal"), grid=5, t_end=60)
    assert result.orbits.sum() == 125 == result.n and result.outcomes == ("regulate, insure, claim",)
    rps = gk.basins(gk.models.load_shipped("rock_paper_scissors_two_roles"), grid=3, t_end=40)
    assert rps.orbits.sum() == 6 * 6  # 6 interior grid points on each 2-simplex
    assert all(o.startswith("cycling") for o in rps.outcomes)


# ----------------------------------------------------------------------------- convergence certificate


def unanimity(k: int = 4, B: float = 1.6, C: float = 1.0) -> gk.Game:
    """k two-strategy populations: "join" pays B if every other population joins, else 0; "stay" pays C.

    The gain of joining is D_p = B prod_{q != p} x_q - C: all-join and all-stay are strict equilibria, and
    all-join attracts at the rate B - C.
    """
    pops = {f"P{p}": ["join", "stay"] for p in range(k)}
    pay = {}
    for idx in itertools.product((0, 1), repeat=k):
        row = []
        for p in range(k):
            others_join = all(idx[q] == 0 for q in range(k) if q != p)
            row.append(("B" if others_join else "0") if idx[p] == 0 else "C")
        pay[", ".join("join" if i == 0 else "stay" for i in idx)] = row
    return gk.Game(pops, pay, {"B": B, "C": C}, name="unanimity")


def test_orbit_at_a_strict_corner_by_t20_is_converged_whatever_the_window(monkeypatch):
    """Issue #8: a four-population orbit that ends at (1, 1, 1, 1) to 6 decimals at t = 20 is converged."""
    game = unanimity()
    traj = gk.simulate(game, [[0.96] * 4], 20, t_eval=[10.0, 20.0])
    gap = 1 - traj.states[0, :, 0]
    assert gap[1] < 5e-7  # at (1, 1, 1, 1) to 6 decimals at t = 20 ...
    assert gap[0] > 1e-4  # ... but not within converge_tol = 1e-4 over the last half: the window alone fails
    assert traj.converged[0] and traj.outcome[0] == "join, join, join, join"
    # the certificate by hand (module docstring): s = all join, eps_q = gap, Delta_pj[j'] = C - B [j' = all join]
    B, C = 1.6, 1.0
    eps = gap[1] + 0.0
    bound = (C - B) + (C - (C - B)) * (1 - (1 - eps) ** 3)
    assert bound < 0
    # and without the certificate the same orbit would be unresolved: the window criterion alone fails
    sim = importlib.import_module("gamekit.simulate")

    def never(final, pay, shape, alive):
        return np.zeros(final.shape[0], dtype=bool), np.zeros(final.shape[0], dtype=np.int64)

    monkeypatch.setattr(sim, "certify", never)
    window_only = gk.simulate(game, [[0.96] * 4], 20)
    assert not window_only.converged[0] and window_only.outcome[0] == "unresolved"


def test_certificate_boxes_are_forward_invariant_and_converge():
    """Start inside a certified box: the orbit never leaves it and converges to its corner (the theorem)."""
    from gamekit.simulate import certify

    game = unanimity(3, B=2.0, C=1.0)
    pay = np.array([[t.ravel() for t in game.numeric_payoffs()]])
    rng = np.random.default_rng(0)
    space = StateSpace(game.shape)
    starts = 1 - rng.uniform(0, 0.5, size=(400, 3))  # towards all-join
    ok, profile = certify(space.full(starts), pay, game.shape, np.ones((400, 6), dtype=bool))
    assert 20 < ok.sum() < 400  # some boxes certify, some do not: the test sees both sides
    assert np.all(profile[ok] == 0)
    traj = gk.simulate(game, starts[ok], 60, t_eval=np.linspace(0, 60, 241))
    eps = 1 - starts[ok]
    assert np.all(traj.states.min(axis=1) >= 1 - eps - 1e-9)  # every share of "join" stays in the box
    assert np.all(traj.final > 1 - 1e-9) and traj.converged.all()
    # the orbits the certificate rejects include some that leave for all-stay: it is not vacuous
    rejected = gk.simulate(game, starts[~ok], 60)
    assert np.any(rejected.final < 0.5)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(games(max_pops=3, max_strategies=3), st.integers(0, 2**32 - 1))
def test_certified_orbits_converge_where_the_certificate_says(game, seed):
    """Never a certificate for an orbit that then goes elsewhere: certified at t = 4, checked at t = 80."""
    from gamekit.simulate import certify

    space = StateSpace(game.shape)
    init = space.sample(60, np.random.default_rng(seed))
    short = gk.simulate(game, init, 4.0, converge_tol=1e-12)
    pay = np.array([t.ravel() for t in game.numeric_payoffs()])[None]
    ok, profile = certify(space.full(short.final), pay, game.shape, space.full(init) > 0)
    long = gk.simulate(game, init, 80.0)
    labels = [", ".join(game.profile_names(idx)) for idx in np.ndindex(*game.shape)]
    for r in np.flatnonzero(ok):
        assert long.outcome[r] == labels[profile[r]] == short.outcome[r]
        assert long.converged[r]


def test_certificate_ignores_the_payoff_scale():
    from gamekit.simulate import certify

    game = unanimity(3, B=2.0, C=1.0)
    pay = np.array([t.ravel() for t in game.numeric_payoffs()])[None]
    space = StateSpace(game.shape)
    states = space.full(np.random.default_rng(1).uniform(0.7, 1.0, size=(500, 3)))
    alive = np.ones_like(states, dtype=bool)
    base = certify(states, pay, game.shape, alive)
    for scale in (1e-9, 1e9):
        scaled = certify(states, pay * scale, game.shape, alive)
        assert np.array_equal(base[0], scaled[0]) and np.array_equal(base[1], scaled[1])


@pytest.mark.parametrize("shape", [(2, 2, 2), (3, 2), (2, 3, 4), (4,), (3, 3)])
def test_certificate_table_lookup_equals_the_general_loop(shape, monkeypatch):
    """One payoff table and every strategy alive: the certificate reads gains from a table per pure profile;
    it decides exactly as the loop over opponents' profiles does (which faces and per-orbit payoffs use)."""
    sim = importlib.import_module("gamekit.simulate")
    rng = np.random.default_rng(sum(shape))
    certified = 0
    for _ in range(10):
        pay = rng.normal(size=(1, len(shape), int(np.prod(shape)))).round(1)
        final = np.concatenate([rng.dirichlet(np.full(n, 0.05), 400) for n in shape], axis=1)
        alive = np.ones(final.shape, dtype=bool)
        fast = sim.certify(final, pay, shape, alive)
        with monkeypatch.context() as m:
            m.setattr(sim, "MAX_SWITCH_TABLE", -1)
            loop = sim.certify(final, pay, shape, alive)
        assert np.array_equal(fast[0], loop[0]) and np.array_equal(fast[1], loop[1])
        certified += int(fast[0].sum())
    assert 0 < certified < 4000


def test_certificate_never_holds_at_a_non_strict_profile():
    from gamekit.simulate import certify

    # matching pennies between two populations: no strict equilibrium anywhere
    game = gk.models.matching_pennies()
    space = StateSpace(game.shape)
    pay = np.array([t.ravel() for t in game.numeric_payoffs()])[None]
    corners = space.full([[1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [0.999999, 0.999999]])
    ok, _ = certify(corners, pay, game.shape, np.ones_like(corners, dtype=bool))
    assert not ok.any()


# ----------------------------------------------------------------------------- cycles and spirals


def saddle_focus(eps: float = 0.5) -> gk.Game:
    """Three two-strategy populations with gains D_p = 4 sum_q J[p, q] (x_q - 1/2), J = [[0, 1, 0], [-1, 0, e], [e, 0, 0]].

    At the centre the Jacobian is J: one real eigenvalue r > 0 and a pair -r/2 +- i w.  Orbits near the
    pair's (stable) manifold spiral in, with decaying amplitude, before they leave for the face z = 1,
    where populations 0 and 1 play matching pennies (closed cycles).
    """
    J = [[0, 1, 0], [-1, 0, eps], [eps, 0, 0]]
    pops = {f"P{p}": [f"a{p}", f"b{p}"] for p in range(3)}
    pay = {}
    for idx in itertools.product((0, 1), repeat=3):
        row = [
            sum(4 * J[p][q] * ((1 if idx[q] == 0 else 0) - 0.5) for q in range(3) if q != p) if idx[p] == 0 else 0
            for p in range(3)
        ]
        pay[", ".join(f"{'ab'[i]}{p}" for p, i in enumerate(idx))] = row
    return gk.Game(pops, pay, name="saddle-focus")


def test_a_decaying_spiral_is_not_cycling_and_a_persistent_cycle_is():
    game = saddle_focus(0.5)
    jac = np.array([[0, 1, 0], [-1, 0, 0.5], [0.5, 0, 0]])
    w, vecs = np.linalg.eig(jac)
    pair = np.argmax(np.abs(w.imag))
    assert w[pair].real < 0 < np.max(w.real)  # a saddle-focus, stable spiral
    v = vecs[:, pair].real / np.abs(vecs[:, pair].real).max()
    start = [0.5 + 0.2 * v]
    t_end = 30.0
    traj = gk.simulate(game, start, t_end, t_eval=np.linspace(15, 30, 601))
    s = traj.states[0]
    first, second = np.ptp(s[:301], axis=0), np.ptp(s[300:], axis=0)
    assert np.all(second < 0.5 * first)  # the oscillation decays over the window ...
    assert first.max() > 0.1  # ... from an amplitude far above cycle_amplitude
    assert traj.outcome[0] == "unresolved" and not traj.converged[0]
    # later the orbit reaches the face z = 1, where matching pennies cycles for ever: cycling
    later = gk.simulate(game, start, 80.0)
    assert later.outcome[0].startswith("cycling")


def test_classifier_on_window_statistics():
    """The cycling rule alone: persistent oscillation is cycling, a decaying one is unresolved."""
    from gamekit.simulate import CYCLE_PERSISTENCE, _Classifier

    game = gk.models.matching_pennies()
    space = StateSpace(game.shape)
    classify = _Classifier(game, space, 1e-4, 1e-3, 1e-6)

    def stats(range1, range2, turns2):
        box = np.zeros((1, 6, 4))  # (the two halves' lows and highs, then the whole window's, as the kernels write)
        box[0, 0], box[0, 1] = 0.5 - range1 / 2, 0.5 + range1 / 2
        box[0, 2], box[0, 3] = 0.5 - range2 / 2, 0.5 + range2 / 2
        box[0, 4], box[0, 5] = np.minimum(box[0, 0], box[0, 2]), np.maximum(box[0, 1], box[0, 3])
        turns = np.array([[[4.0] * 4, [turns2] * 4]])
        return box, turns

    strict = np.zeros((1, 4), dtype=bool)
    final = space.full([[0.5, 0.5]])
    pay = np.array([[t.ravel() for t in game.numeric_payoffs()]])
    outcome = {}
    for name, (r1, r2, t2) in {
        "same": (0.4, 0.4, 2),
        "just persistent": (0.4, CYCLE_PERSISTENCE * 0.4 * 1.01, 2),
        "decaying": (0.4, CYCLE_PERSISTENCE * 0.4 * 0.99, 2),
        "decaying, no turn in the second half": (0.4, 0.01, 0),
        "growing": (0.1, 0.4, 3),
    }.items():
        box, turns = stats(r1, r2, t2)
        codes, _ = classify(box, turns, strict, final, pay, final > 0)
        outcome[name] = classify.labels[codes[0]]
    assert outcome == {
        "same": "cycling (interior)",
        "just persistent": "cycling (interior)",
        "decaying": "unresolved",
        "decaying, no turn in the second half": "cycling (interior)",
        "growing": "cycling (interior)",
    }


def test_window_halves_agree_between_backends():
    numba = pytest.importorskip("numba")  # noqa: F841
    from gamekit._kernels import dopri
    from gamekit._kernels.layout import tables

    game = PLATFORM.scenario("trap")
    full = StateSpace(game.shape).sample(50, np.random.default_rng(9))
    pay = np.array([[[t.ravel() for t in game.numeric_payoffs()]]])
    off, _, others, flat, nq = tables(game.shape)
    args = (off, others, flat, nq, np.array([0.0, 40.0]), np.zeros(0), 20.0, 1e-8, 1e-10, 10**6)
    a = dopri.integrate_numba(full, pay, *args)
    b = dopri.integrate_numpy(full, pay, *args)
    assert np.allclose(a[1], b[1], atol=1e-9) and np.array_equal(a[2], b[2])
    box, turns = a[1], a[2]
    assert np.all(box[:, 0] <= box[:, 1]) and np.all(box[:, 2] <= box[:, 3])
    assert np.all(turns[:, 1] <= turns[:, 0])


# ----------------------------------------------------------------------------- cache folder


@pytest.fixture
def fresh_cache(monkeypatch, tmp_path):
    """A private temporary cache folder for one test, with the module's fallback forgotten."""
    from gamekit._kernels import cache

    folder = tmp_path / "cache"
    monkeypatch.setenv("GAMEKIT_CACHE_DIR", str(folder))
    monkeypatch.setattr(cache, "_fallback", None)
    return folder


def test_cache_folder_is_created_private(fresh_cache):
    from gamekit._kernels import cache

    nested = fresh_cache / "a" / "b"
    os.environ["GAMEKIT_CACHE_DIR"] = str(nested)  # (restored by monkeypatch)
    got = cache.folder()
    assert got == nested.resolve()
    for part in (fresh_cache, fresh_cache / "a", nested):
        st_ = os.lstat(part)
        assert st_.st_uid == os.getuid() and st_.st_mode & 0o077 == 0


def test_a_group_writable_cache_folder_is_refused(fresh_cache):
    from gamekit._kernels import cache

    fresh_cache.mkdir(mode=0o700)
    os.chmod(fresh_cache, 0o775)
    with pytest.raises(gk.GamekitError, match="writable by group or others") as err:
        cache.folder()
    assert str(fresh_cache) in str(err.value) and "GAMEKIT_CACHE_DIR" in str(err.value)
    with pytest.raises(gk.GamekitError, match="refusing the cache folder"):
        gk.simulate(PLATFORM.scenario("trap"), [[0.5, 0.5, 0.5]], 5, backend="numba")
    os.chmod(fresh_cache, 0o700)
    assert cache.folder() == fresh_cache.resolve()


def test_a_cache_folder_inside_a_foreign_writable_folder_is_refused(fresh_cache, tmp_path):
    from gamekit._kernels import cache

    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)  # world-writable without the sticky bit: anyone could swap our folder
    os.environ["GAMEKIT_CACHE_DIR"] = str(shared / "mine")
    with pytest.raises(gk.GamekitError, match="above the cache"):
        cache.folder()
    os.chmod(shared, 0o1777)  # with the sticky bit (like /tmp) only the owner may rename what is inside
    assert cache.folder() == (shared / "mine").resolve()


def _foreign_folder(tmp_path):
    """A folder owned by another user: made and handed over when we are root, else an existing one."""
    if os.getuid() == 0:
        other = tmp_path / "other"
        other.mkdir(mode=0o700)
        os.chown(other, 65534, 65534)
        return other
    return "/"  # owned by root, not by us


def test_a_symbolic_link_to_a_foreign_folder_is_refused(fresh_cache, tmp_path):
    from gamekit._kernels import cache

    link = tmp_path / "link"
    link.symlink_to(_foreign_folder(tmp_path))
    os.environ["GAMEKIT_CACHE_DIR"] = str(link)
    with pytest.raises(gk.GamekitError, match="owned by user id"):
        cache.folder()


@pytest.mark.skipif(os.getuid() != 0, reason="only root can hand a symbolic link to another user")
def test_a_symbolic_link_owned_by_another_user_is_refused(fresh_cache, tmp_path):
    from gamekit._kernels import cache

    mine = tmp_path / "mine"
    mine.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(mine)
    os.lchown(link, 65534, 65534)
    os.environ["GAMEKIT_CACHE_DIR"] = str(link)
    with pytest.raises(gk.GamekitError, match="symbolic link owned by user id 65534"):
        cache.folder()
    os.lchown(link, os.getuid(), os.getgid())
    assert cache.folder() == mine.resolve()


def test_an_unsafe_default_cache_falls_back_to_a_private_temporary_folder(monkeypatch, tmp_path):
    import tempfile

    from gamekit._kernels import cache

    monkeypatch.delenv("GAMEKIT_CACHE_DIR", raising=False)
    monkeypatch.setattr(cache, "_fallback", None)
    home = tmp_path / "xdg"
    (home / "gamekit").mkdir(parents=True)
    os.chmod(home / "gamekit", 0o777)  # planted, or carelessly shared
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    with pytest.warns(RuntimeWarning, match="not usable"):
        got = cache.folder()
    assert got != (home / "gamekit").resolve()
    assert got.parent == os.path.realpath(tempfile.gettempdir()) or str(got).startswith(tempfile.gettempdir())
    assert got.name.startswith("gamekit-") and got.name != f"gamekit-{os.getuid()}"  # not a predictable name
    st_ = os.lstat(got)
    assert st_.st_uid == os.getuid() and st_.st_mode & 0o077 == 0
    assert cache.folder() == got  # one private folder per process
    import shutil

    shutil.rmtree(got)


def test_compiled_caches_live_in_the_checked_folder():
    """numba's index and data files for gamekit's kernels go to <cache>/numba, not next to the module."""
    pytest.importorskip("numba")
    from gamekit._kernels import cache, dopri_numba

    gk.simulate(PLATFORM.scenario("trap"), [[0.5, 0.5, 0.5]], 5, backend="numba")
    where = dopri_numba._run_range._cache._cache_path
    assert where.startswith(str(cache.subfolder("numba")))
    assert any(name.endswith(".nbi") for name in os.listdir(where))


def test_index_tables_are_fresh_arrays_on_every_call():
    """``layout.tables`` builds a shape's tables once; each call returns copies, so a caller that writes into its
    arrays changes nobody else's."""
    from gamekit._kernels.layout import tables

    first = tables((2, 3, 2))
    for a in first:
        a[...] = -7
    again = tables([2, 3, 2])
    assert all(np.all(a != -7) for a in again)
    assert list(again[0]) == [0, 2, 5, 7] and again[3].shape == (7, 6) and list(again[4]) == [6, 4, 6]


def test_kernel_modules_import_in_one_direction():
    """The leaf modules import nothing of gamekit; nothing imports the modules that use it (no cycles)."""
    import ast
    from pathlib import Path

    folder = Path(gk.__file__).parent / "_kernels"
    imports = {}
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text())
        found = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:  # (level 2: gamekit.errors, outside)
                found.add((node.module or "").split(".")[0] or ".")
        imports[path.stem] = found
    assert imports["tableau"] == set() and imports["layout"] == set()
    assert imports["splitmix"] == set() and imports["pool"] == set() and imports["settle"] == set()
    order = ["tableau", "layout", "splitmix", "pool", "settle", "cache", "primitives", "rhs_codegen", "rhs_field"]
    order += ["flow_stage", "rhs_generic", "dopri_numba", "flow_numba", "sde_numba", "fixation_numba", "warm"]
    order += ["dopri", "flow"]
    unplaced = set(imports) - set(order) - {"__init__"}
    assert not unplaced, f"kernel modules missing from the import order: {sorted(unplaced)}"
    rank = {m: i for i, m in enumerate(order)}
    for module, deps in imports.items():
        for dep in deps - {"."}:
            assert rank[dep] < rank[module], f"{module} imports {dep}"


# ----------------------------------------------------------------------------- validation and results


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(chunk=0), "ArgumentError", "chunk must be an integer >= 1"),
        (dict(chunk=2.5), "ArgumentError", "chunk must be an integer"),
        (dict(initial=[[0.5, 0.5, 0.5], [0.5, 0.5]]), "StateError", "every row of the same length"),
        (dict(initial="abc"), "StateError", "initial must be an"),
        (dict(initial=[]), "StateError", "N >= 1"),
        (dict(rtol=10), "ArgumentError", "rtol must be in"),
        (dict(rtol=0.0), "ArgumentError", "rtol must be in"),
        (dict(rtol=float("nan")), "ArgumentError", "rtol must be a finite number"),
        (dict(atol=-1e-9), "ArgumentError", "atol must be in"),
        (dict(converge_tol=-1), "ArgumentError", "converge_tol must be in"),
        (dict(converge_tol=0.5), "ArgumentError", "converge_tol must be in"),
        (dict(window=0), "ArgumentError", "window must be in"),
        (dict(window=1.5), "ArgumentError", "window must be in"),
        (dict(cycle_amplitude=0), "ArgumentError", "cycle_amplitude"),
        (dict(face_tol=2.0), "ArgumentError", "face_tol"),
        (dict(max_steps=0), "ArgumentError", "max_steps"),
        (dict(max_steps=1e6), "ArgumentError", "max_steps must be an integer"),
        (dict(t_eval=[[1.0, 2.0], [3.0, 4.0]]), "ArgumentError", "t_eval"),
        (dict(t_eval="soon"), "ArgumentError", "t_eval"),
        (dict(backend="gpu"), "ArgumentError", "backend must be one of"),
        (dict(progress="yes"), "ArgumentError", "progress must be True or False"),
        (dict(parameters={"F": "high"}), "ParameterError", "expected numbers"),
        (dict(parameters=[1.0]), "ParameterError", "must map parameter names"),
        (dict(parameters={"F": [1e200]}), "ParameterError", "'F'"),
        (dict(initial=[[0.5] * 3] * 2, parameters={"F": [1.0, 1e200]}), "ParameterError", "would overflow"),
        (dict(t_end="10"), "ArgumentError", "t_end"),
        (dict(t_end=float("inf")), "ArgumentError", "t_end"),
        (dict(max_steps=3), "AnalysisError", "max_steps=3"),
    ],
)
def test_every_argument_is_checked_at_entry(kwargs, error, message):
    args = dict(initial=[[0.5, 0.5, 0.5]], t_end=20)
    args.update(kwargs)
    with pytest.raises(getattr(gk.errors, error), match=message):
        gk.simulate(PLATFORM.scenario("trap"), args.pop("initial"), args.pop("t_end"), **args)


def test_overflowing_payoffs_are_a_parameter_error():
    with pytest.raises(gk.errors.ParameterError, match="'F'"):
        gk.simulate(PLATFORM.scenario("trap").with_parameters(F=1e300), [[0.5, 0.5, 0.5]], 10)
    game = gk.Game(
        {"a": ["x", "y"], "b": ["x", "y"]},
        {"x, x": ["exp(k)", "1"], "x, y": ["0", "0"], "y, x": ["0", "0"], "y, y": ["1", "exp(k)"]},
        {"k": 1.0},
    )
    assert gk.simulate(game, [[0.9, 0.9]], 10).converged[0]
    with pytest.raises(gk.GamekitError):
        gk.simulate(game.with_parameters(k=1000.0), [[0.5, 0.5]], 10)
    with pytest.raises(gk.GamekitError):
        gk.simulate(game, [[0.5, 0.5], [0.4, 0.4]], 10, parameters={"k": [1.0, 1000.0]})


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n=0), "n must be an integer >= 1"),
        (dict(n=2.5), "n must be an integer"),
        (dict(rng="seed"), "rng must be a non-negative integer seed"),
        (dict(rng=-1), "rng must be"),
        (dict(grid=0), "grid must be an integer >= 1"),
        (dict(grid=10**5), "starting states, more than"),
        (dict(converge_tol=0.7), "converge_tol"),
    ],
)
def test_basins_arguments_are_checked(kwargs, message):
    with pytest.raises(gk.errors.ArgumentError, match=message):
        gk.basins(PLATFORM.scenario("trap"), **{"t_end": 10, **kwargs})


def test_state_space_arguments_are_checked():
    space = StateSpace((2, 3))
    with pytest.raises(gk.errors.ArgumentError, match="n must be"):
        space.sample(0)
    with pytest.raises(gk.errors.ArgumentError, match="rng"):
        space.sample(3, "seed")
    with pytest.raises(gk.errors.ArgumentError, match="grid"):
        space.grid(-1)
    with pytest.raises(gk.errors.ArgumentError, match="shape"):
        StateSpace((2, 0))
    with pytest.raises(gk.errors.StateError, match="same length"):
        space.full([[0.5, 0.5, 1.0, 0.0, 0.0], [0.5]])


def test_basins_result_prints_pickles_and_converts():
    import pickle

    result = gk.basins(PLATFORM.scenario("trap"), 300, rng=2, t_end=80)
    assert isinstance(result, gk.Basins)
    frame = result.to_frame()
    assert list(frame.columns) == ["outcome", "share", "ci_low", "ci_high", "orbits"]
    assert list(frame.outcome) == list(result.outcomes) and frame.orbits.sum() == result.n == 300
    assert np.allclose(frame.share, frame.orbits / 300) and frame.attrs["t_end"] == 80
    for o, k, lo, hi in zip(result.outcomes, result.orbits, result.ci_low, result.ci_high):
        assert (lo, hi) == wilson_interval(int(k), 300)
        assert result.share(o) == k / 300
    text = repr(result)
    assert text.startswith("Basins(Platform social insurance: 300 orbits to t=80: ") and len(text) < 200
    assert "<table>" in result._repr_html_()
    back = pickle.loads(pickle.dumps(result))
    assert back.outcomes == result.outcomes and np.array_equal(back.shares, result.shares)
    assert back.n == result.n and back.game == result.game


def test_trajectory_pickles():
    import pickle

    traj = gk.simulate(PLATFORM.scenario("trap"), [[0.5, 0.5, 0.5], [0.9, 0.1, 0.1]], 30, t_eval=[0.0, 30.0])
    back = pickle.loads(pickle.dumps(traj))
    assert np.array_equal(back.final, traj.final) and np.array_equal(back.states, traj.states)
    assert list(back.outcome) == list(traj.outcome) and back.game == traj.game


def test_plot_basins_takes_the_result_or_its_frame():
    import matplotlib

    matplotlib.use("Agg")
    from gamekit import plot

    result = gk.basins(PLATFORM.scenario("trap"), 200, rng=0, t_end=60)
    a = plot.basins(result)
    b = plot.basins(result.to_frame())
    labels = [[t.get_text() for t in fig.axes[0].get_yticklabels()] for fig in (a, b)]
    assert labels[0] == labels[1] == list(result.outcomes)
    matplotlib.pyplot.close("all")


def test_first_use_compiles_the_driver_beside_the_right_hand_side(monkeypatch):
    """Once the driver is recorded as compiled (its marker file), no child process is started, and once this
    process has run it no marker is looked for."""
    pytest.importorskip("numba")
    from gamekit._kernels import cache, dopri_numba

    gk.simulate(PLATFORM.scenario("trap"), [[0.5, 0.5, 0.5]], 5, backend="numba")  # compiled or loaded now
    assert dopri_numba._run_range.overloads
    assert dopri_numba._driver_in_background() is None
    assert "replicator" in cache._loaded
    monkeypatch.setattr(cache, "_loaded", set())  # (as in a process that has not run it: the marker decides)
    marker = cache.driver_marker()
    dopri_numba.compile_driver()  # in-process: records the driver (it is cached already)
    assert marker.exists() and marker.parent == cache.numba_folder()
    assert cache.compile_driver_in_background() is None and "replicator" not in cache._children
    assert not (marker.parent / "driver.lock").exists()


def test_compiled_caches_are_keyed_by_every_kernel_source(monkeypatch):
    """numba checks only the defining file's stamp; a change to any kernel source (a tableau constant) must start a
    fresh cache folder, so that no machine code compiled from the old constants is loaded."""
    from gamekit._kernels import cache

    before = cache.kernels_digest()
    monkeypatch.setattr(cache, "_digest", [])
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: real(self) + (b"#" if self.name == "tableau.py" else b""))
    changed = cache.kernels_digest()
    assert changed != before
    assert cache.numba_folder().name == changed and cache.driver_marker().parent.name == changed


# ----------------------------------------------------------------------------- the noise dispatch


def _better_worse():
    return gk.Game(
        populations={"pop": ["better", "worse"]}, payoffs={"better": ["a"], "worse": ["1"]}, parameters={"a": 1.0}
    )


def test_noisy_simulate_follows_the_schedule():
    """gk.simulate(noise=...) passes the schedule on: with payoff a = 1 until the grid time 2.01 and a = 2 after,
    the log-odds Y = log(x / (1 - x)) of Fudenberg-Harris noise on "better" is exactly
    Y_T = (1 - 1 - 1/2) 2.01 + (2 - 1 - 1/2) (T - 2.01) + W_T (Ito: drift u_better - u_worse - sigma^2 / 2)."""
    from gamekit.stochastic import Noise

    noise = Noise({"pop.better": 1.0}, dt=0.01)
    paths = gk.simulate(_better_worse(), np.full((50, 1), 0.5), 5.0, noise=noise, rng=3,
                        schedule=[(2.005, {"a": 2.0})])  # fmt: skip
    y = np.log(paths.final[:, 0] / (1.0 - paths.final[:, 0]))
    want = -0.5 * 2.01 + 0.5 * (5.0 - 2.01) + paths.wiener[:, 0]
    assert np.max(np.abs(y - want)) < 1e-9
    # without the schedule the drift stays -1/2 throughout: the orbits differ by 0.5 (T - 2.01) in log-odds
    still = gk.simulate(_better_worse(), np.full((50, 1), 0.5), 5.0, noise=noise, rng=3)
    y0 = np.log(still.final[:, 0] / (1.0 - still.final[:, 0]))
    assert np.allclose(y - y0, 5.0 - 2.01, atol=1e-9)


@pytest.mark.parametrize(
    "option, value",
    [("rtol", 1e-6), ("atol", 1e-8), ("window", 0.3), ("converge_tol", 1e-3), ("cycle_amplitude", 1e-2),
     ("face_tol", 1e-4), ("max_steps", 10), ("backend", "numpy")],
)  # fmt: skip
def test_noisy_simulate_refuses_options_it_would_ignore(option, value):
    game = _better_worse()
    with pytest.raises(gk.errors.ArgumentError, match=f"^{option} control the deterministic") as err:
        gk.simulate(game, [[0.5]], 1.0, noise={"pop.better": 0.5}, rng=1, **{option: value})
    assert "\n" not in str(err.value)
    # the default value, given explicitly, is accepted (it changes nothing)
    default = gk.simulate.__kwdefaults__[option]
    paths = gk.simulate(game, [[0.5]], 1.0, noise={"pop.better": 0.5}, rng=1, **{option: default})
    again = gk.simulate(game, [[0.5]], 1.0, noise={"pop.better": 0.5}, rng=1)
    assert np.array_equal(paths.final, again.final)


def test_noisy_simulate_names_every_ignored_option():
    with pytest.raises(gk.errors.ArgumentError, match="^rtol, backend control"):
        gk.simulate(_better_worse(), [[0.5]], 1.0, noise={"pop.better": 0.5}, rng=1, rtol=1e-6, backend="numpy")
