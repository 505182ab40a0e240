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
