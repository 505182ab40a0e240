"""Orbits of the dynamics other than the replicator (issue #10 item 1): gk.simulate / basins / sweep / the CLI with
``dynamics=``.  Oracles: scipy's DOP853 on gamekit.protocols.velocity with payoffs written out here from each game's
description, closed forms (the QRE fixed point, the rock-paper-scissors centre), and Nash conditions."""

from __future__ import annotations

import importlib
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

import gamekit as gk
from gamekit.cli import main
from gamekit.protocols import KINDS, parse_dynamics, velocity
from gamekit.space import StateSpace

sim = importlib.import_module("gamekit.simulate")  # the module (gamekit.simulate is also the function)
CENTRE = "(0.333333, 0.333333, 0.333333)"
DYNAMICS = ["logit:0.5", "smith", "bnn", "replicator-mutator:0.05"]
RPS = gk.load("rock-paper-scissors")


def rps_payoffs(w, l):  # noqa: E741 (the model's name for a loss)
    """u = A x for rock, paper, scissors (the model's description)."""
    A = np.array([[0, -l, w], [w, 0, -l], [-l, w, 0]], dtype=float)
    return lambda x: A @ x


def reference(dyn, payoffs, off, x0, t_eval, rtol=1e-12):
    """DOP853 (``rtol``, ``atol = rtol / 100``) on protocols.velocity with the hand-written payoffs, each population's shares rescaled to
    sum one before the field is evaluated (on the simplex the same field; it keeps rounding from drifting off)."""
    dyn = parse_dynamics(dyn)

    def f(t, x):
        x = np.concatenate([x[a:b] / x[a:b].sum() for a, b in zip(off[:-1], off[1:])])
        return velocity(dyn, x, payoffs(x), off)

    sol = solve_ivp(f, (0.0, t_eval[-1]), x0, method="DOP853", rtol=rtol, atol=rtol / 100, t_eval=t_eval)
    assert sol.success
    return sol.y.T


def full_states(game, traj):
    """The stored states (N, T, D) in full shares."""
    space = StateSpace(game.shape)
    n, t, _ = traj.states.shape
    return space.full(traj.states.reshape(n * t, -1)).reshape(n, t, -1)


# ----------------------------------------------------------------------------- the contract with the kernels


def test_the_kernel_codes_the_protocols_in_their_order():
    pytest.importorskip("numba")
    from gamekit._kernels import flow_numba

    assert flow_numba.KINDS == KINDS
    assert sim._KIND_CODES == {k: i for i, k in enumerate(KINDS)}


@settings(max_examples=200, deadline=None)
@given(x=st.floats(1e-300, 1.0) | st.floats(0.7, 1.5))
def test_the_kernel_logarithm_is_accurate(x):
    """The driver's branch-free log (vectorised; np.log is a libm call per element) to a few ulp of math.log."""
    pytest.importorskip("numba")
    from gamekit._kernels.flow_numba import log_pos

    exact = math.log(x)
    assert abs(log_pos(x) - exact) <= 8 * np.spacing(abs(exact)) + 1e-300


def test_flow_modules_import_in_one_direction():
    """flow_numba uses the leaf kernel modules and the compiled stage; flow (the numpy twin) the numpy RHS; neither
    imports anything of gamekit outside _kernels."""
    import ast
    from pathlib import Path

    folder = Path(gk.__file__).parent / "_kernels"
    for name, allowed in {
        "flow_numba": {"cache", "layout", "pool", "primitives", "tableau", "flow_stage", "settle"},
        "flow": {"dopri", "tableau", "settle"},
    }.items():
        tree = ast.parse((folder / f"{name}.py").read_text())
        found = {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 1}
        found |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level > 1}
        assert found - {"flow_numba"} <= allowed, (name, found)


# ----------------------------------------------------------------------------- rock-paper-scissors (the facts)


def test_rps_zero_sum_cycles_under_the_replicator_and_converges_under_smith_and_bnn():
    game = RPS.with_parameters(w=1, l=1)
    starts = StateSpace(game.shape).sample(40, np.random.default_rng(3))
    rep = gk.simulate(game, starts, 300.0)
    assert set(rep.outcome) == {"cycling (interior)"} and not rep.converged.any()
    for dyn in ("smith", "bnn"):
        # near the centre of a game that is stable but not strictly, these orbits close in like 1/t
        traj = gk.simulate(game, starts, 3000.0, dynamics=dyn, converge_tol=1e-3)
        assert set(traj.outcome) == {CENTRE} and traj.converged.all(), dyn
        # closer (BNN: the default rtol's integration error stalls the orbits about 1e-4 from the centre)
        traj = gk.simulate(game, starts[:5], 20000.0, dynamics=dyn, rtol=1e-10, atol=1e-12)
        assert set(traj.outcome) == {CENTRE} and traj.converged.all(), dyn
        assert np.allclose(traj.rest_point(CENTRE), 1 / 3, atol=1e-12)
        # independently: DOP853 on the hand-written field closes in on the centre too (to 2e-3 by t = 1000)
        ref = reference(dyn, rps_payoffs(1, 1), [0, 3], starts[0], [500.0, 1000.0], rtol=1e-7)
        assert np.abs(ref[1] - 1 / 3).max() < 2e-3
        assert np.abs(ref[1] - 1 / 3).max() < 0.75 * np.abs(ref[0] - 1 / 3).max()


def test_rps_with_a_larger_loss_approaches_a_limit_cycle_under_smith_never_converged():
    game = RPS.with_parameters(w=1, l=2)
    space = StateSpace(game.shape)
    starts = np.vstack([[[0.34, 0.33, 0.33], [0.9, 0.05, 0.05]], space.sample(20, np.random.default_rng(5))])
    for t_end in (300.0, 600.0):
        traj = gk.simulate(game, starts, t_end, dynamics="smith", t_eval=np.linspace(t_end - 60, t_end, 601))
        assert not traj.converged.any()
        assert set(traj.outcome) == {"cycling (interior)"}
        # one cycle, whatever the start (from next to the centre and from near a corner): its largest rock share
        top = full_states(game, traj)[:, :, 0].max(axis=1)
        assert top.max() - top.min() < 2e-3 and top.min() > 0.4
        if t_end == 300.0:
            # independently: DOP853 from next to the centre reaches that cycle by then
            ref = reference("smith", rps_payoffs(1, 2), [0, 3], starts[0], np.linspace(240, 300, 601), rtol=1e-7)
            assert abs(ref[:, 0].max() - top.mean()) < 2e-3


@pytest.mark.parametrize("dyn, rtol", [("bnn", 1e-6), ("bnn", 1e-4), ("smith", 1e-5), ("smith", 1e-4)])
def test_an_oscillation_kept_up_by_the_integrator_is_never_a_cycle(dyn, rtol):
    """Zero-sum rock-paper-scissors is a stable game: its Smith and BNN orbits converge to the centre (Hofbauer &
    Sandholm 2009).  At a loose rtol the integration error at the kinks of the field keeps them circling about
    1e-3 from the centre; that is never reported as a cycle (the tighter run is), while the true limit cycle of
    w = 1, l = 2 still is at the same tolerance."""
    starts = StateSpace(RPS.shape).sample(8, np.random.default_rng(1))
    traj = gk.simulate(RPS.with_parameters(w=1, l=1), starts, 3000.0, dynamics=dyn, rtol=rtol, atol=rtol * 1e-2)
    assert not any(o.startswith("cycling") for o in traj.outcome), traj.outcome
    assert np.all(traj.converged == (traj.outcome == CENTRE))
    # the reported orbits end near the centre (the field's own orbits close in like 1/t: about 2e-4 by t = 3000)
    assert np.abs(StateSpace(RPS.shape).full(traj.final) - 1 / 3).max() < 2e-3
    bad = gk.simulate(RPS.with_parameters(w=1, l=2), starts, 300.0, dynamics=dyn, rtol=rtol, atol=rtol * 1e-2)
    assert set(bad.outcome) == {"cycling (interior)"} and not bad.converged.any()


def test_a_spiral_closing_in_on_a_face_equilibrium_is_not_a_cycle():
    """Trap orbits under BNN spiral in on the Nash equilibrium of the face insure = 1 (about (0.53, 0.91, 1)),
    keeping about 0.7 of their range per half window: at t = 50 that is not a cycle (unresolved), and indeed the
    same orbits oscillate far less by t = 400 (a cycle would keep its range)."""
    trap = gk.load("platform-insurance").scenario("trap")
    starts = np.random.default_rng(0).uniform(size=(40, 3))
    short = gk.simulate(trap, starts, 50.0, dynamics="bnn", t_eval=np.linspace(25.0, 50.0, 501))
    assert not any(o.startswith("cycling") for o in short.outcome)
    spiral = np.flatnonzero(short.outcome == "unresolved")
    assert spiral.size
    long = gk.simulate(trap, starts[spiral], 400.0, dynamics="bnn", t_eval=np.linspace(375.0, 400.0, 501))
    assert np.all(np.ptp(long.states, axis=1).max(axis=1) < 0.5 * np.ptp(short.states[spiral], axis=1).max(axis=1))


def test_rps_facts_through_the_cli(capsys):
    assert main(["simulate", "rock-paper-scissors", "--scenario", "bad", "--orbits", "60", "--t-end", "300",
                 "--dynamics", "smith", "--json"]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert out["dynamics"] == "smith"
    assert [b["outcome"] for b in out["basins"]] == ["cycling (interior)"]
    # (zero-sum: the orbits close in like 1/t, so the default converge_tol 1e-4 needs t near 10^4)
    assert main(["simulate", "rock-paper-scissors", "--scenario", "zero-sum", "--orbits", "30", "--t-end", "20000",
                 "--dynamics", "smith"]) == 0  # fmt: skip
    text = capsys.readouterr().out
    assert "dynamics: smith" in text
    assert CENTRE in text and "100.0%" in text and "cycling" not in text and "unresolved" not in text
    assert main(["simulate", "rock-paper-scissors", "--scenario", "zero-sum", "--orbits", "30", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dynamics"] == "replicator" and out["basins"][0]["outcome"] == "cycling (interior)"


# ----------------------------------------------------------------------------- agreement with DOP853, random games


def table_payoffs(game):
    """Expected payoffs of fixed tables, contracted here with einsum."""
    tensors = [np.asarray(t, dtype=float) for t in game.numeric_payoffs()]
    off = StateSpace(game.shape).offsets
    k = len(game.shape)
    letters = "abcdefgh"[:k]

    def u(x):
        xs = [x[a:b] for a, b in zip(off[:-1], off[1:])]
        out = []
        for p in range(k):
            spec = letters + "," + ",".join(letters[q] for q in range(k) if q != p) + "->" + letters[p]
            out.append(np.einsum(spec, tensors[p], *[xs[q] for q in range(k) if q != p]))
        return np.concatenate(out)

    return u


SYMMETRIC = gk.Game(
    populations={"players": ["a", "b", "c"]},
    payoffs={f"{i}, {j}": [f"m{i}{j}"] for i in "abc" for j in "abc"},
    parameters={f"m{i}{j}": 0 for i in "abc" for j in "abc"},
)
GROUP_SIZE = 5
GROUP = gk.Game(
    populations={"players": ["cooperate", "defect"]},
    payoffs={"cooperate": ["a0 + a1*k + a2*k**2"], "defect": ["b0 + b1*k"]},
    parameters={"a0": 0, "a1": 0, "a2": 0, "b0": 0, "b1": 0},
    group={"size": GROUP_SIZE, "count": "k"},
)


def symmetric_payoffs(values):
    m = np.array([[values[f"m{i}{j}"] for j in "abc"] for i in "abc"], dtype=float)
    return lambda x: m @ x


def group_payoffs(v):
    """k of the N - 1 co-players cooperate, binomially with the cooperators' share."""

    def u(x):
        c = d = 0.0
        for k in range(GROUP_SIZE):
            weight = math.comb(GROUP_SIZE - 1, k) * x[0] ** k * x[1] ** (GROUP_SIZE - 1 - k)
            c += weight * (v["a0"] + v["a1"] * k + v["a2"] * k * k)
            d += weight * (v["b0"] + v["b1"] * k)
        return np.array([c, d])

    return u


@st.composite
def cases(draw):
    """(game, hand-written payoffs): fixed tables of 2-3 populations, one population with a random matrix (a
    model's compiled field, its values as parameters), or a group game with payoffs polynomial in k."""
    kind = draw(st.sampled_from(["populations", "symmetric", "group"]))
    ints = st.integers(-4, 4)
    if kind == "populations":
        k = draw(st.integers(2, 3))
        shape = [draw(st.integers(2, 3)) for _ in range(k)] if k < 3 else [2, 2, 2]
        pops = {f"P{p}": [f"s{p}{i}" for i in range(n)] for p, n in enumerate(shape)}
        payoffs = {}
        for idx in np.ndindex(*shape):
            payoffs[", ".join(f"s{p}{i}" for p, i in enumerate(idx))] = [draw(ints) for _ in range(k)]
        game = gk.Game(pops, payoffs)
        return game, table_payoffs(game)
    if kind == "symmetric":
        values = {name: draw(ints) for name in SYMMETRIC.parameters}
        return SYMMETRIC.with_parameters(values), symmetric_payoffs(values)
    values = {name: draw(ints) for name in GROUP.parameters}
    return GROUP.with_parameters(values), group_payoffs(values)


@settings(max_examples=24, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(), dyn=st.sampled_from(DYNAMICS + ["logit:2", "replicator-mutator:0"]), seed=st.integers(0, 99))
def test_orbits_agree_with_dop853_on_protocols_velocity(case, dyn, seed):
    game, payoffs = case
    space = StateSpace(game.shape)
    starts = space.sample(3, np.random.default_rng(seed))
    t_eval = [0.0, 0.5, 2.0, 5.0]
    traj = gk.simulate(game, starts, 5.0, dynamics=dyn, t_eval=t_eval, rtol=1e-11, atol=1e-13)
    mine = full_states(game, traj)
    # Smith and BNN are not differentiable where payoffs tie: the step control is less sharp across those kinks
    tol = 1e-7 if parse_dynamics(dyn).smooth else 2e-6
    for row, x0 in enumerate(starts):
        ref = reference(dyn, payoffs, space.offsets, x0, t_eval)
        assert np.abs(mine[row] - ref).max() < tol, (dyn, row)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(), dyn=st.sampled_from(DYNAMICS), seed=st.integers(0, 99), face=st.booleans())
def test_the_state_space_is_invariant(case, dyn, seed, face):
    """Shares stay >= 0 and sum to one in every population, also from starts on a face (which these dynamics may
    leave)."""
    game, _ = case
    space = StateSpace(game.shape)
    starts = space.sample(8, np.random.default_rng(seed))
    if face:
        starts[:, 0] = 0.0
        for a, b in zip(space.offsets[:-1], space.offsets[1:]):
            starts[:, a:b] /= starts[:, a:b].sum(axis=1, keepdims=True)
    traj = gk.simulate(game, starts, 40.0, dynamics=dyn, t_eval=np.linspace(0, 40, 41))
    states = full_states(game, traj)
    assert states.min() >= 0.0
    for a, b in zip(space.offsets[:-1], space.offsets[1:]):
        assert np.abs(states[:, :, a:b].sum(axis=2) - 1).max() < 1e-13


# ----------------------------------------------------------------------------- what the outcomes mean


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(), eta=st.sampled_from([0.25, 1.0, 4.0]), seed=st.integers(0, 99))
def test_logit_orbits_end_at_a_logit_qre(case, eta, seed):
    """Every converged logit orbit ends at x_p = softmax(u_p(x)/eta), and its labelled point solves it to 1e-9."""
    game, payoffs = case
    space = StateSpace(game.shape)
    traj = gk.simulate(game, space.sample(20, np.random.default_rng(seed)), 200.0, dynamics=f"logit:{eta}")
    final = space.full(traj.final)

    def gap(x):
        u = payoffs(x)
        worst = 0.0
        for a, b in zip(space.offsets[:-1], space.offsets[1:]):
            z = u[a:b] / eta
            e = np.exp(z - z.max())
            worst = max(worst, np.abs(e / e.sum() - x[a:b]).max())
        return worst

    for row in np.flatnonzero(traj.converged):
        assert gap(final[row]) < 1e-4
        assert gap(traj.rest_point(traj.outcome[row])) < 1e-9
    if eta >= 4.0:  # (the logit map is a contraction when eta is large against the payoff range: orbits settle;
        # at small eta a 3-strategy population may settle slowly, or cycle, and stay unresolved honestly)
        assert traj.converged.mean() > 0.5


def test_platform_logit_rest_points_are_the_qre_gk_equilibria_lists():
    trap = gk.load("platform-insurance").scenario("trap")
    space = StateSpace(trap.shape)
    for eta in (2.0, 1.0, 0.25):
        traj = gk.simulate(trap, space.sample(300, np.random.default_rng(1)), 300.0, dynamics=f"logit:{eta}")
        assert traj.converged.all()
        qre = [np.concatenate([np.asarray(r, dtype=float) for r in e.state]) for e in
               gk.equilibria(trap, exact=False, dynamics=f"logit:{eta}", progress=False)
               if e.stability == gk.Stability.ASYMPTOTICALLY_STABLE]  # fmt: skip
        for label in set(traj.outcome):
            point = traj.rest_point(label)
            assert min(np.abs(point - q).max() for q in qre) < 1e-6, (eta, label)


def test_smith_and_bnn_converge_only_to_nash_equilibria():
    """The platform trap: converged Smith and BNN orbits end at Nash equilibria (checked on the payoff tables)."""
    trap = gk.load("platform-insurance").scenario("trap")
    u = table_payoffs(trap)
    space = StateSpace(trap.shape)
    for dyn in ("smith", "bnn"):
        traj = gk.simulate(trap, space.sample(200, np.random.default_rng(2)), 300.0, dynamics=dyn)
        for label in set(traj.outcome[traj.converged]):
            x = traj.rest_point(label)
            pay = u(x)
            for a, b in zip(space.offsets[:-1], space.offsets[1:]):
                used = x[a:b] > 0
                assert pay[a:b].max() - pay[a:b][used].min() < 1e-9, (dyn, label)


def test_mutator_rest_points_are_rest_points_of_the_field():
    game = RPS.with_parameters(w=2, l=1)
    traj = gk.simulate(game, StateSpace(game.shape).sample(30, np.random.default_rng(4)), 300.0,
                       dynamics="replicator-mutator:0.1")  # fmt: skip
    assert traj.converged.all()
    for label in set(traj.outcome):
        x = traj.rest_point(label)
        assert np.abs(velocity(parse_dynamics("replicator-mutator:0.1"), x, rps_payoffs(2, 1)(x), [0, 3])).max() < 1e-10


def test_an_unstable_logit_rest_point_is_never_converged():
    """A coordination game at low noise has three QRE; the middle one is a saddle.  An orbit started exactly on
    its stable manifold (the symmetric line) sits there but is not converged."""
    game = gk.Game({"row": ["a", "b"], "col": ["a", "b"]},
                   {"a, a": [1, 1], "a, b": [0, 0], "b, a": [0, 0], "b, b": [1, 1]})  # fmt: skip
    traj = gk.simulate(game, [[0.5, 0.5], [0.9, 0.9], [0.1, 0.1]], 100.0, dynamics="logit:0.1")
    assert list(traj.converged) == [False, True, True]
    assert traj.outcome[0] == "unresolved"


# ----------------------------------------------------------------------------- backends, basins, sweep


def test_compiled_and_numpy_backends_agree():
    pytest.importorskip("numba")
    trap = gk.load("platform-insurance").scenario("trap")
    starts = StateSpace(trap.shape).sample(12, np.random.default_rng(7))
    for dyn in DYNAMICS:
        a = gk.simulate(trap, starts, 20.0, dynamics=dyn, backend="numba")
        b = gk.simulate(trap, starts, 20.0, dynamics=dyn, backend="numpy")
        # (Smith and BNN orbits that slide along a payoff tie cross it at every step: there the two backends'
        # roundings, fused multiply-adds or not, grow to the integration's tolerance)
        assert np.abs(a.final - b.final).max() < (1e-8 if parse_dynamics(dyn).smooth else 1e-5), dyn
        assert list(a.outcome) == list(b.outcome), dyn


def test_at_a_slow_rest_point_steps_grow_as_the_orbit_slows_on_both_backends():
    """The coordination game under logit:0.5 sits at a pitchfork: the orbit from 0.6 creeps to 1/2 like t**-1/2.
    Steps grow with t on both backends, and the two agree to rounding and with scipy's DOP853 on the written-out
    one-dimensional field.  (Before each population's sum was made an invariant of the stages, the field's
    eigenvalue -1 across the simplex capped the compiled driver's steps at its stability limit: 4,009 steps to
    t = 10,000 against 140, and 12 tolerances off.)"""
    pytest.importorskip("numba")
    game = gk.Game({"players": ["a", "b"]}, {"a, a": [1], "a, b": [0], "b, a": [0], "b, b": [1]})
    eta, rtol, atol = 0.5, 1e-6, 1e-9
    for t_end in (1e3, 1e4):
        sol = solve_ivp(lambda t, y: [1.0 / (1.0 + math.exp((1.0 - 2.0 * y[0]) / eta)) - y[0]], (0.0, t_end), [0.6],
                        method="DOP853", rtol=1e-13, atol=1e-15)  # fmt: skip
        runs = [gk.simulate(game, [[0.6]], t_end, dynamics=f"logit:{eta}", rtol=rtol, atol=atol, backend=be)
                for be in ("numba", "numpy")]  # fmt: skip
        assert runs[0].steps[0] == runs[1].steps[0] < 60, t_end
        assert abs(runs[0].final[0, 0] - runs[1].final[0, 0]) < 1e-10  # (rounding: fused multiply-adds or not)
        assert abs(runs[0].final[0, 0] - sol.y[0, -1]) < atol + rtol * sol.y[0, -1], t_end


@pytest.mark.parametrize("dyn", ["smith", "bnn"])
def test_payoffs_scaled_by_a_billion_give_the_same_labels(dyn):
    """Smith and BNN fields scale with the payoffs, so payoffs times 1e9 with t_end over 1e9 is the same orbit:
    the same labels, and finals equal within the tolerance.  (Session 10's first off-simplex BNN stage stalled the
    compiled driver at a kink on two of these orbits, at 1e6 too.)"""
    pytest.importorskip("numba")
    trap = gk.load("platform-insurance").scenario("trap")
    tables = trap.numeric_payoffs()

    def scaled(c):
        return gk.Game({p.name: list(p.strategies) for p in trap.populations},
                       {", ".join(trap.profile_names(i)): [float(tables[p][i]) * c for p in range(3)]
                        for i in trap.profiles()}, {})  # fmt: skip

    starts = np.random.default_rng(4).random((300, 3))
    base = gk.simulate(scaled(1.0), starts, 40.0, dynamics=dyn, backend="numba")
    for c in (1e6, 1e9):
        big = gk.simulate(scaled(c), starts, 40.0 / c, dynamics=dyn, backend="numba")
        assert list(big.outcome) == list(base.outcome), c
        assert np.abs(big.final - base.final).max() < 1e-3, c


def test_results_do_not_depend_on_batching():
    game = RPS.with_parameters(w=1, l=2)
    starts = StateSpace(game.shape).sample(50, np.random.default_rng(8))
    whole = gk.simulate(game, starts, 50.0, dynamics="smith")
    parts = gk.simulate(game, starts, 50.0, dynamics="smith", chunk=7)
    assert np.array_equal(whole.final, parts.final) and list(whole.outcome) == list(parts.outcome)


def test_basins_and_sweep_pass_the_dynamics_on():
    game = RPS.with_parameters(w=2, l=1)
    b = gk.basins(game, 50, rng=1, dynamics="bnn")
    assert b.dynamics == "bnn" and "under bnn" in repr(b)
    assert b.outcomes == (CENTRE,) and b.states[0]["players"]["rock"] == pytest.approx(1 / 3)
    trap = gk.load("platform-insurance").scenario("trap")
    res = gk.sweep(trap, {"R": [2.0, 3.5]}, n=40, t_end=200.0, dynamics="logit:1")
    assert res.dynamics == "logit:1"
    for i in range(2):
        # the analytic column (gk.equilibria's stable QRE) names the point the orbits converge to
        assert list(res.shares(i)) == [res.stable[i]]


def test_the_replicator_is_today_s_path():
    game = RPS.with_parameters(w=2, l=1)
    starts = StateSpace(game.shape).sample(20, np.random.default_rng(9))
    a = gk.simulate(game, starts, 50.0)
    b = gk.simulate(game, starts, 50.0, dynamics="replicator")
    assert np.array_equal(a.final, b.final) and list(a.outcome) == list(b.outcome)
    assert a.dynamics == b.dynamics == "replicator" and "under" not in repr(a)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "spec, message",
    [
        ("foo", "unknown dynamics"),
        ("logit", "needs its parameter eta"),
        ("logit:0", "eta must be a finite number > 0"),
        ("logit:-1", "eta must be a finite number > 0"),
        ("logit:inf", "eta must be a finite number > 0"),
        ("smith:1", "takes no parameter"),
        ("replicator-mutator:2", "mu must be in [0, 1]"),
        ("replicator-mutator", "needs its parameter mu"),
    ],
)
def test_bad_dynamics_one_line_errors(spec, message, capsys):
    with pytest.raises(gk.ArgumentError, match=message.replace("[", r"\[").replace("]", r"\]")):
        gk.simulate(RPS, [[0.2, 0.3, 0.5]], 5.0, dynamics=spec)
    assert main(["simulate", "rock-paper-scissors", "--orbits", "5", "--dynamics", spec]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gamekit: error: ") and message in err and err.count("\n") == 1


def test_other_bad_combinations():
    with pytest.raises(gk.ArgumentError, match="rng seeds the noise"):
        gk.simulate(RPS, [[0.2, 0.3, 0.5]], 5.0, rng=1)
    with pytest.raises(gk.ArgumentError, match="cannot be combined with smith"):
        gk.simulate(RPS, [[0.2, 0.3, 0.5]], 5.0, dynamics="smith", noise={"players.rock": 0.1})
    with pytest.raises(gk.ArgumentError, match="basins integrates deterministic orbits"):
        gk.basins(RPS, 5, noise={"players.rock": 0.1})
    with pytest.raises(gk.ArgumentError, match="unexpected keyword argument 'noise'"):
        gk.sweep(RPS, {"w": [1.0]}, n=5, noise={"players.rock": 0.1})
    proc = subprocess.run(
        [sys.executable, "-m", "gamekit", "simulate", "rock-paper-scissors", "--dynamics", "smith", "--noise",
         "players.rock=0.1"], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "cannot be combined" in proc.stderr


# ----------------------------------------------------------------------------- Smith and BNN: trapping boxes


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_the_bnn_certificate_holds_on_its_whole_box(data):
    """Where certify(excess=True) accepts a state near a pure profile s, every state of the box {x_p[s_p] >= 1 -
    eps_p} has u_p(j) < u_p(s_p) and u_p(j) < ubar_p for every j != s_p (checked on random points of the box with
    payoffs contracted here)."""
    from tests.strategies import games

    game = data.draw(games(min_pops=2, max_pops=3, max_strategies=3))
    space = StateSpace(game.shape)
    off = space.offsets
    profile = [data.draw(st.integers(0, n - 1)) for n in game.shape]
    deficits = [data.draw(st.floats(1e-4, 0.2)) for _ in game.shape]
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))

    def near(eps):  # states with x_p[s_p] = 1 - eps_p, the rest spread at random
        rows = []
        for p, n in enumerate(game.shape):
            rest = rng.dirichlet(np.ones(n - 1), eps.shape[0]) * eps[:, [p]]
            rows.append(np.insert(rest, profile[p], 1 - eps[:, p], axis=1))
        return np.concatenate(rows, axis=1)

    final = near(np.array([deficits]))
    pay = np.array([[np.ravel(t) for t in game.numeric_payoffs()]], dtype=float)
    ok, flat = sim.certify(final, pay, game.shape, np.ones(final.shape, dtype=bool), excess=True, slack=0.0)
    assert flat[0] == np.ravel_multi_index(profile, game.shape)
    if not ok[0]:
        return
    u = table_payoffs(game)
    for x in near(rng.uniform(0, 1, (300, len(game.shape))) * np.array(deficits)):
        pay_x = u(x)
        for p, (a, b) in enumerate(zip(off[:-1], off[1:])):
            ubar = x[a:b] @ pay_x[a:b]
            others = [i for i in range(a, b) if i != a + profile[p]]
            assert all(pay_x[i] < pay_x[a + profile[p]] and pay_x[i] < ubar for i in others)


def test_certified_bnn_orbits_keep_closing_in():
    """Platform trap: BNN orbits certified at t = 300 (they close in only like 1/t) keep closing in on their
    profile under DOP853 on the hand-written field: every unused share decreases."""
    trap = gk.load("platform-insurance").scenario("trap")
    space = StateSpace(trap.shape)
    traj = gk.simulate(trap, space.sample(100, np.random.default_rng(6)), 300.0, dynamics="bnn")
    rows = np.flatnonzero(traj.outcome == "regulate, evade, accept")
    assert rows.size and traj.converged[rows].all()
    assert np.abs(space.full(traj.final[rows]) - traj.rest_point("regulate, evade, accept")).max() > 1e-4
    u = table_payoffs(trap)
    target = traj.rest_point("regulate, evade, accept")
    unused = np.flatnonzero(target == 0)
    for row in rows[:3]:
        x0 = space.full(traj.final[row : row + 1])[0]
        path = reference("bnn", u, space.offsets, x0, np.linspace(0, 2000, 21), rtol=1e-9)
        assert np.all(np.diff(path[:, unused], axis=0) <= 1e-12)
        assert np.abs(path[-1] - target).max() < 0.5 * np.abs(path[0] - target).max()


def test_payoffs_by_loops_integrate_as_the_written_out_ones(monkeypatch):
    """A game too large to write out takes a stage whose payoffs are loops over the index tables: forced here on the
    trap, its orbits are those of the stage written out for the shape, to rounding."""
    pytest.importorskip("numba")
    from gamekit._kernels import flow_stage

    trap = gk.load("platform-insurance").scenario("trap")
    starts = StateSpace(trap.shape).sample(40, np.random.default_rng(11))
    written = {dyn: gk.simulate(trap, starts, 20.0, dynamics=dyn) for dyn in DYNAMICS}
    monkeypatch.setattr(flow_stage, "MAX_TERMS", 0)
    assert "rhs_generic import payoffs" not in flow_stage._shape_source(trap.shape, 1, 64, False)[0]
    assert "rhs_generic import payoffs" in flow_stage._shape_source(trap.shape, 1, 64, True)[0]
    for dyn in DYNAMICS:
        loops = gk.simulate(trap, starts, 20.0, dynamics=dyn)
        assert np.abs(loops.final - written[dyn].final).max() < (1e-9 if parse_dynamics(dyn).smooth else 1e-5), dyn


# ----------------------------------------------------------------------------- classification helpers (speed)


def test_column_helpers_decide_as_numpy_row_reductions():
    """The classification's column-at-a-time helpers against the numpy row reductions they replace, on values
    with NaN, infinities and signed zeros: the same comparisons, sums, groups and nearness."""
    rng = np.random.default_rng(3)
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-300, -1e-300, 0.5])
    m = rng.choice(np.concatenate([special, rng.normal(size=8)]), size=(500, 3))
    for tol in (0.0, 0.5, np.inf):
        assert np.array_equal(sim._max_columns(np.abs(m)) <= tol, np.max(np.abs(m), axis=1) <= tol)
        assert np.array_equal(sim._min_columns(m) < tol, np.min(m, axis=1) < tol)
    x = np.abs(m[:, :2])
    total, reference_total = sim._population_sums(x, 0, 2), x.sum(axis=1, keepdims=True)
    with np.errstate(all="ignore"):
        assert np.array_equal(x / total, x / reference_total, equal_nan=True)
    assert np.array_equal(total > 0, reference_total > 0)
    cells = np.floor(rng.random((300, 3)) * 2)
    for a in (cells, np.ones((5, 3)), np.zeros((4, 0))):
        first, inverse = sim._unique_rows(a)
        assert np.array_equal(a[first[inverse]], a)
        _, ref_first, ref_inverse = np.unique(a, axis=0, return_index=True, return_inverse=True)
        assert np.array_equal(first, ref_first) and np.array_equal(inverse, np.ravel(ref_inverse))
    lo, hi = rng.random((50, 4)), rng.random((50, 4))
    rows = np.array([1, 4, 9, 30])
    point = rng.random((4, 4))
    expect = np.all(np.maximum(np.abs(lo[rows] - point), np.abs(hi[rows] - point)) <= 0.6, axis=1)
    assert np.array_equal(sim._near(lo, hi, rows, point, 0.6), expect)
    one = point[:1]
    expect = np.all(np.maximum(np.abs(lo - one), np.abs(hi - one)) <= 0.6, axis=1)
    assert np.array_equal(sim._near(lo, hi, np.arange(50), one, 0.6), expect)


def test_a_logit_qre_with_a_share_below_the_face_slack_stays_off_the_face():
    """A QRE where one strategy keeps less than FACE_SLACK (about 7e-10; ETA = 1/4; a game hypothesis found): the
    labelled point keeps that share, and solves x_p = softmax(u_p(x)/ETA) to 1e-9 with the payoffs contracted by
    einsum here (logit has no rest point on a face: snapped onto one, the point missed the QRE by 1.2e-9)."""
    pops = {"P0": ["a", "b"], "P1": ["c", "d"], "P2": ["e", "f"]}
    nonzero = {"a, c, f": [-1, 0, 1], "b, c, f": [0, 3, 0], "b, d, e": [0, -4, 0], "b, d, f": [0, -4, 2]}
    game = gk.Game(pops, {f"{i}, {j}, {k}": nonzero.get(f"{i}, {j}, {k}", [0, 0, 0]) for i in "ab" for j in "cd"
                          for k in "ef"})  # fmt: skip
    space = StateSpace(game.shape)
    traj = gk.simulate(game, space.sample(20, np.random.default_rng(0)), 200.0, dynamics="logit:0.25")
    assert traj.converged.all() and len(set(traj.outcome)) == 1
    x = space.full(traj.rest_point(traj.outcome[0])[None, :])[0]
    u = table_payoffs(game)(x) / 0.25
    for a, b in zip(space.offsets[:-1], space.offsets[1:]):
        e = np.exp(u[a:b] - u[a:b].max())
        assert np.abs(e / e.sum() - x[a:b]).max() < 1e-9
    assert 0.0 < x.min() < 1e-9
