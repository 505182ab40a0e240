"""The share-coordinate driver's step-size control (gamekit._kernels.flow_numba / flow), against scipy.

The controller is scipy's RK45 rule (``SAFETY err**(-1/5)`` clipped, no growth after a rejection): its factor is
checked against ``numpy.power``, and on the benchmark's problem (platform model, trap values, rtol 1e-6) the
driver's step attempts per orbit and its error against DOP853 are compared with ``solve_ivp``'s on the same orbits,
over the equations written out by hand (``benchmarks/bench_dynamics.py``, checked there against gamekit's).  The
driver's error norm runs over every share, so ``solve_ivp`` integrates every share too (each population's first
share and its complement): with the same norm, the same tableau and the same controller, the step counts agree
but for the driver's first trial step (``H0``, grown tenfold per step) and its stop at ``t_eval``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

import gamekit as gk
from gamekit._kernels import flow
from gamekit._kernels.tableau import MAX_FACTOR, MIN_FACTOR, SAFETY

T_END = 20.0
RTOL, ATOL = 1e-6, 1e-9
CHECK_TIME = 10.0
ORBITS = 12
# step attempts per orbit at most 2% above solve_ivp's (same tableau, norm and controller; the controller before
# this one took 18% more for Smith here), plus START_STEPS: the first trial step H0 and the stop at t_eval
STEP_EXCESS, START_STEPS = 1.02, 3
ERROR_EXCESS = 3.0  # largest share error at most 3 times solve_ivp's


def _advantages(game):
    """The platform model's payoff advantage of each population's first strategy, by hand (as the benchmark)."""
    p = {k: float(v) for k, v in game.parameters.items()}
    Cg, F, delta, S, R, A, Cp, B, K, theta, Cc, V, Cw = (p[k] for k in "Cg F delta S R A Cp B K theta Cc V Cw".split())

    def d(x, y, z):
        return (
            y * (R - S) - Cg + (1 - y) * (z * F + (1 - z) * delta * F + z * A),
            B - Cp + x * S + x * (z + (1 - z) * delta) * F + z * K * (x + (1 - x) * theta),
            y * (V - Cw) + (1 - y) * (x * K + (1 - x) * theta * K - Cc),
        )

    return d


def _field(game, dyn):
    """The field in every share: each population's first share (the first three) and its complement."""
    d = _advantages(game)

    def f(t, s):
        x = s[:3]
        if dyn == "smith":
            v = [(1 - a) * max(g, 0.0) - a * max(-g, 0.0) for a, g in zip(x, d(*x))]
        else:  # logit:1
            v = [1.0 / (1.0 + math.exp(-g)) - a for a, g in zip(x, d(*x))]
        return v + [-w for w in v]

    return f


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0.0, max_value=1e6, allow_nan=False))
def test_compiled_step_factor_is_scipys_rule(err):
    pytest.importorskip("numba")
    from gamekit._kernels.flow_numba import step_factor

    exact = MAX_FACTOR if err == 0.0 else min(MAX_FACTOR, max(MIN_FACTOR, SAFETY * err**-0.2))
    assert abs(step_factor(err) - exact) <= 1e-14 * exact
    assert flow.ERROR_EXPONENT == 0.2 and flow.ERR_CLAMP == (1e-6, 1e4)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("dyn", ["logit:1", "smith"])
def test_steps_and_accuracy_match_solve_ivp(dyn, backend):
    if backend == "numba":
        pytest.importorskip("numba")
    trap = gk.load("platform-insurance").scenario("trap")
    starts = np.random.default_rng(3).uniform(size=(ORBITS, 3))
    f = _field(trap, dyn)
    ours = gk.simulate(trap, starts, T_END, dynamics=dyn, rtol=RTOL, atol=ATOL, t_eval=[CHECK_TIME], backend=backend)
    ref, rk45 = [], []
    for x0 in np.hstack([starts, 1.0 - starts]):
        ref.append(solve_ivp(f, (0, T_END), x0, method="DOP853", rtol=1e-12, atol=1e-14, t_eval=[CHECK_TIME]).y[:, 0])
        rk45.append(solve_ivp(f, (0, T_END), x0, rtol=RTOL, atol=ATOL, t_eval=[CHECK_TIME]))
    # RK45: 2 evaluations choose the first step, then 6 per attempt (first same as last)
    attempts = np.mean([(s.nfev - 2) / 6 for s in rk45])
    assert ours.steps.mean() <= STEP_EXCESS * attempts + START_STEPS, (ours.steps.mean(), attempts)
    ours_err = np.abs(ours.states[:, 0] - np.array(ref)[:, :3]).max()
    rk45_err = np.abs(np.array([s.y[:3, 0] for s in rk45]) - np.array(ref)[:, :3]).max()
    assert ours_err <= ERROR_EXCESS * max(rk45_err, RTOL * 1e-2), (ours_err, rk45_err)


# ----------------------------------------------------------------------------- the compiled stage


def _call(cfunc, *arrays):
    """Call a compiled C callback of the driver with numpy arrays by address."""
    import ctypes

    cfunc.ctypes(*(ctypes.c_void_p(a.ctypes.data) for a in arrays))


_SHAPES = st.lists(st.integers(2, 4), min_size=1, max_size=3)


def _expected_payoffs(shape, pay, x):
    """Every strategy's expected payoff (L, D) at shares ``x`` (L, D) from the payoff tables ``pay`` (k, P, L),
    population by population, contracting each table with the opponents' shares by numpy."""
    off = np.concatenate([[0], np.cumsum(shape)])
    lanes = x.shape[0]
    u = np.zeros((lanes, int(off[-1])))
    for ln in range(lanes):
        for p in range(len(shape)):
            table = pay[p, :, ln].reshape(shape)
            for q in reversed(range(len(shape))):
                if q != p:
                    table = np.tensordot(table, x[ln, off[q] : off[q + 1]], axes=([q], [0]))
            u[ln, off[p] : off[p + 1]] = table
    return u


@settings(max_examples=40, deadline=None)
@given(_SHAPES, st.sampled_from(["logit:0.3", "logit:2", "smith", "bnn", "replicator-mutator:0.1", "replicator"]),
       st.integers(0, 2**32 - 1))  # fmt: skip
def test_compiled_stages_are_the_protocols_formulas(shape, spec, seed):
    """One stage of the driver, written out for the shape (two-strategy populations by their own shortcut) and with
    its payoffs by loops over the index tables (as for games too large to write out), against the library's numpy formulas (``gamekit.protocols.velocity``) at payoffs
    contracted by numpy from random tables, on random shares, every lane; a share stepped slightly below zero
    counts as zero in the payoffs, and shares off the simplex are read as ``protocols.velocity`` reads them."""
    pytest.importorskip("numba")
    from gamekit._kernels import flow_stage
    from gamekit._kernels.layout import pack_tables, tables
    from gamekit._kernels.primitives import LANES
    from gamekit.protocols import parse_dynamics, velocity

    dyn = parse_dynamics(spec)
    off, _, others, flat, nq = tables(tuple(shape))
    d, n_prof = int(off[-1]), int(np.prod(shape))
    rng = np.random.default_rng(seed)
    x = rng.dirichlet(np.ones(d), size=LANES)  # (only each population's block is used; renormalised below)
    for a, b in zip(off[:-1], off[1:]):
        x[:, a:b] /= x[:, a:b].sum(axis=1, keepdims=True)
    # an overshoot: one share stepped below zero, its population's sum kept (every velocity sums to zero)
    ln, p = rng.integers(0, LANES), rng.integers(0, len(shape))
    x[ln, off[p]], x[ln, off[p] + 1] = -1e-9, x[ln, off[p] + 1] + x[ln, off[p]] + 1e-9
    # and another lane off the simplex (a stage's shares sum to one only up to rounding): the formulas' extension
    x[(ln + 1) % LANES, off[p] : off[p + 1]] *= 1.01
    pay = rng.normal(scale=3.0, size=(len(shape), n_prof, LANES))
    u = _expected_payoffs(tuple(shape), pay, np.maximum(x, 0.0))
    expected = velocity(dyn, x, u, off)
    kind = flow_stage.KINDS.index(dyn.kind)
    params = np.array([dyn.eta or 0.0, dyn.mu or 0.0])
    tab, n_work = pack_tables(off, others, flat, nq, n_prof, LANES)
    work = np.zeros(max(n_work, flow_stage.generic_work(d, flat.shape[1])))
    for loops in (False, True):
        stage = flow_stage.for_shape(tuple(shape), kind, loops=loops)
        out = np.zeros((d, LANES))
        _call(stage, np.ascontiguousarray(x.T), out, pay, params, tab, work)
        assert np.allclose(out.T, expected, rtol=1e-12, atol=1e-12 * (1.0 + np.abs(u).max()))


def test_the_cli_starts_the_flow_driver_before_loading_the_model(monkeypatch):
    """``gamekit simulate --dynamics SPEC`` starts the share-coordinate driver's background compilation before it
    reads the model file; the replicator's driver is not started for it (nor the flow driver with --noise)."""
    from gamekit import cli
    from gamekit._kernels import cache

    calls = []
    monkeypatch.setattr(cache, "compile_flow_in_background", lambda: calls.append("flow"))
    monkeypatch.setattr(cache, "compile_driver_in_background", lambda: calls.append("driver"))

    def stop(args):
        calls.append("model")
        raise gk.ModelError("stop here")

    monkeypatch.setattr(cli, "_game", stop)
    for spec in ("logit:0.5", "smith", "bnn", "replicator-mutator:0.1"):
        calls.clear()
        assert cli.main(["simulate", "platform-insurance", "--dynamics", spec]) == 2
        assert calls == ["flow", "model"]
    calls.clear()
    assert cli.main(["simulate", "platform-insurance", "--noise", "platform.insure=0.1"]) == 2
    assert calls == ["model"]


def test_the_flow_driver_is_compiled_once_and_recorded(monkeypatch):
    """Once the flow driver is recorded as compiled (its marker), no child process is started for it; a started
    child is waited for and its lock released; the replicator's marker is a different file."""
    pytest.importorskip("numba")
    from gamekit._kernels import cache, flow_numba

    trap = gk.load("platform-insurance").scenario("trap")
    gk.simulate(trap, [[0.5, 0.5, 0.5]], 5, dynamics="logit:1", backend="numba")
    assert "flow" in cache._loaded  # (once loaded, no later call looks for the marker)
    monkeypatch.setattr(cache, "_loaded", set())  # (as in a process that has not run it: the marker decides)
    flow_numba.compile_driver()  # in-process: records the driver (compiled or cached already)
    assert cache.flow_marker().exists() and cache.flow_marker() != cache.driver_marker()
    assert cache.compile_flow_in_background() is None
    assert not (cache.flow_marker().parent / "flow.lock").exists()


def test_the_child_script_compiles_the_flow_driver(monkeypatch):
    """``warm.py flow``, the child's script, run as a script (as ``cache.compile_flow_in_background`` starts it),
    records the flow driver in the cache folder; the first simulation then starts no child and finds it there."""
    pytest.importorskip("numba")
    import subprocess
    import sys
    from pathlib import Path

    from gamekit._kernels import cache, warm

    monkeypatch.setattr(cache, "_digest", [])  # (the sources as the child reads them, should they have changed)
    monkeypatch.setattr(cache, "_loaded", set())  # (as in a process that has not run it: the marker decides)
    marker = cache.flow_marker()
    marker.unlink(missing_ok=True)
    done = subprocess.run([sys.executable, str(Path(warm.__file__)), "flow"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert marker.exists() and marker != cache.driver_marker()
    assert cache.compile_flow_in_background() is None
    traj = gk.simulate(gk.load("rock-paper-scissors").scenario("good"), [[0.5, 0.3, 0.2]], 50.0, dynamics="smith")
    assert traj.outcome[0] == "(0.333333, 0.333333, 0.333333)"


def test_threads_sharing_the_orbits_integrate_each_once_and_alike():
    """The driver's threads take orbits one at a time from one shared counter: every orbit is integrated once, and
    its result is the one it gets alone (a lane's orbit depends on its own inputs only)."""
    pytest.importorskip("numba")
    from concurrent.futures import ThreadPoolExecutor

    from numba import njit

    from gamekit._kernels.primitives import take_next

    @njit(nogil=True)
    def take_all(counter, stop, seen):
        while True:
            r = take_next(counter)
            if r >= stop:
                return
            seen[r] += 1

    counter, seen = np.zeros(1, dtype=np.int64), np.zeros(200_000, dtype=np.int64)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: take_all(counter, seen.size, seen), range(4)))
    assert (seen == 1).all() and counter[0] >= seen.size

    trap = gk.load("platform-insurance").scenario("trap")
    starts = np.random.default_rng(5).random((700, 3))
    together = gk.simulate(trap, starts, 20.0, dynamics="logit:1")
    for part in (slice(0, 1), slice(350, 420), slice(699, 700)):
        alone = gk.simulate(trap, starts[part], 20.0, dynamics="logit:1")
        assert np.array_equal(alone.final, together.final[part]) and np.array_equal(alone.steps, together.steps[part])
