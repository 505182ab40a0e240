"""Stochastic replicator dynamics: each fact against a reference computed here, independently of the stepper.

References: Random123's known answers for Philox4x32-10; closed forms of Brownian motion with drift (its normal
law, its first-passage law with the Broadie-Glasserman correction for monitoring at grid times); the stationary
density of a one-dimensional diffusion by quadrature; the exact solution of geometric Brownian motion driven by
the recorded Wiener process.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

import gamekit as gk
from gamekit import cli
from gamekit.basins import wilson_interval
from gamekit.stochastic import Noise, hitting_probability, simulate_noisy

# A fixed seed's test statistic must not be in the extreme SIGNIFICANCE tail of its null distribution; a share
# must hold its reference within the Wilson interval of that coverage (z = 3.29)
SIGNIFICANCE = 1e-3
Z = float(stats.norm.ppf(1 - SIGNIFICANCE / 2))
# Broadie, Glasserman & Kou (1997): monitoring Brownian motion at steps h shifts a barrier by BGK * sigma * sqrt(h)
BGK = 0.5825971579390107  # -zeta(1/2) / sqrt(2 pi)


def two_strategies(a: float = 1.1, b: float = 1.0) -> gk.Game:
    return gk.Game(populations={"pop": ["better", "worse"]}, payoffs={"better": [str(a)], "worse": [str(b)]})


def equal_payoffs() -> gk.Game:
    return two_strategies(1.0, 1.0)


def logit(x):
    return np.log(x / (1.0 - x))


# ----------------------------------------------------------------------------- the generator


def test_philox_gives_random123_known_answers():
    from gamekit._kernels.sde_numba import philox

    u = np.uint64
    cases = [
        ([0, 0, 0, 0], [0, 0], [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]),
        ([0xFFFFFFFF] * 4, [0xFFFFFFFF] * 2, [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]),
        (
            [0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344],
            [0xA4093822, 0x299F31D0],
            [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1],
        ),
    ]
    for ctr, key, want in cases:
        got = philox.py_func(*[u(c) for c in ctr], *[u(k) for k in key])
        assert [int(x) for x in got] == want


def test_the_written_out_log_sin_and_cos_agree_with_the_c_library():
    from numba import njit

    from gamekit._kernels.sde_numba import log_unit, sincos_turn

    @njit
    def apply(u):
        out = np.empty((3, u.size))
        for i in range(u.size):
            out[0, i] = log_unit(u[i])
            out[1, i], out[2, i] = sincos_turn(u[i])
        return out

    rng = np.random.default_rng(0)
    u = np.concatenate(
        [rng.random(200_000), 1 - rng.random(1000) * 1e-12, 2.0 ** -np.arange(1, 53), np.arange(16) / 16]
    )
    u = u[u > 0]
    got = apply(u)
    ln = np.log(u)
    assert np.all(np.abs(got[0] - ln) <= 4 * np.finfo(float).eps * np.abs(ln))  # a few units in the last place
    assert np.max(np.abs(got[1] - np.sin(2 * np.pi * u))) < 2e-15
    assert np.max(np.abs(got[2] - np.cos(2 * np.pi * u))) < 2e-15


def test_normals_are_standard_normal_and_differ_between_paths_and_steps():
    from gamekit._kernels.sde_numba import normals

    z = np.concatenate([normals(7, path, step, 3) for path in range(3000) for step in range(4)])
    assert stats.kstest(z, "norm").pvalue > SIGNIFICANCE
    assert abs(z.mean()) < 4 / math.sqrt(z.size)
    # neighbouring counters are not correlated
    a = np.array([normals(7, path, 0, 1)[0] for path in range(5000)])
    b = np.array([normals(7, path, 1, 1)[0] for path in range(5000)])
    assert abs(np.corrcoef(a, b)[0, 1]) < 4 / math.sqrt(a.size)
    assert not np.array_equal(normals(7, 0, 0, 4), normals(8, 0, 0, 4))


# ----------------------------------------------------------------------------- reproducibility


@pytest.mark.parametrize(
    "noise",
    [
        {"platform.insure": 0.5, "workers.claim": 0.3, "government.regulate": 0.2},
        Noise({"platform.insure": 0.8, "workers.claim": 0.6}, form="additive", dt=0.02),
        Noise({"platform.evade": 0.9, "government.regulate": 0.7}, form="multiplicative", scheme="milstein", dt=0.02),
    ],
)
def test_paths_are_bit_identical_however_the_grid_is_split_over_kernel_calls(noise, monkeypatch):
    # Finding 4: the work goes to the kernel in pieces of CALL_WORK path-steps, over paths and over time; a piece
    # resumes from the state the last one left, so nothing recorded depends on the split (reference: one piece)
    from gamekit import stochastic

    game = gk.load("platform-insurance")
    init = np.random.default_rng(4).uniform(0.02, 0.98, (40, 3))
    kw = dict(noise=noise, rng=99, t_eval=[0.0, 0.31, 1.0, 2.0], schedule=[(0.7, {"R": 6.0})], radius=0.2)
    monkeypatch.setattr(stochastic, "CALL_WORK", 10**12)
    ref = simulate_noisy(game, init, 2.0, **kw)
    if isinstance(noise, Noise):  # the absorbing boundary is part of what must carry over between pieces
        assert np.isfinite(ref.absorbed).any() and not np.isfinite(ref.absorbed).all()
    assert np.isfinite(ref.entered).any() and np.isfinite(ref.exited).any()
    for work, chunk in ((1, 40), (37, 40), (1000, 7)):
        monkeypatch.setattr(stochastic, "CALL_WORK", work)
        got = simulate_noisy(game, init, 2.0, chunk=chunk, **kw)
        for name in ("final", "states", "wiener", "entered", "exited", "absorbed"):
            assert np.array_equal(getattr(got, name), getattr(ref, name), equal_nan=True), name


def test_a_keyboard_interrupt_stops_noisy_paths_between_two_pieces(monkeypatch):
    # Finding 4: each kernel call does at most CALL_WORK path-steps (one grid time at least), consecutive in time;
    # Ctrl-C raised between two calls ends the run
    from gamekit import stochastic
    from gamekit._kernels import sde_numba

    calls = []
    original = sde_numba.integrate

    def interrupted(*args, **kwargs):
        calls.append((kwargs["j_start"], kwargs["j_stop"], args[1].shape[0]))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(sde_numba, "integrate", interrupted)
    monkeypatch.setattr(stochastic, "CALL_WORK", 500)
    with pytest.raises(KeyboardInterrupt):
        simulate_noisy(
            gk.load("platform-insurance"), [[0.5, 0.5, 0.5]] * 50, 1e3, noise={"platform.insure": 0.5}, rng=1
        )
    assert calls == [(0, 10, 50), (10, 20, 50), (20, 30, 50)]


@pytest.mark.parametrize(
    ("t_end", "noise"),
    [
        (1e9, {"platform.insure": 0.5}),  # 1e11 steps a path
        (5.0, Noise({"platform.insure": 0.5}, dt=1e-12)),  # 5e12 steps a path
    ],
)
def test_work_above_the_budget_is_refused_in_one_line(t_end, noise):
    # Finding 4: paths x steps above MAX_WORK is refused before anything runs, naming the budget and the remedy
    from gamekit import stochastic

    with pytest.raises(gk.ArgumentError, match="MAX_WORK") as err:
        gk.simulate(gk.load("platform-insurance"), [[0.5, 0.5, 0.5]] * 50, t_end, noise=noise, rng=1)
    assert "\n" not in str(err.value) and "larger dt" in str(err.value)
    steps = stochastic.MAX_WORK // 50  # exactly at the budget is allowed: the check is on paths x steps
    assert stochastic._grid(steps * 0.01, 0.01)[0] * 50 == stochastic.MAX_WORK


def test_the_result_states_the_step_actually_used():
    # Finding 9: dt larger than t_end gives one step of t_end; the result says so
    paths = simulate_noisy(
        gk.load("platform-insurance"), [[0.5] * 3] * 5, 5.0, noise=Noise({"platform.insure": 0.5}, dt=100), rng=1
    )
    assert paths.steps == 1 and paths.dt == 5.0
    assert "dt = 5 (asked 100)" in repr(paths)
    assert "dt = 0.01," in repr(simulate_noisy(equal_payoffs(), [[0.5]], 1.0, noise={"pop.better": 0.1}, rng=1))


def test_a_path_is_bit_identical_alone_in_a_batch_in_chunks_and_on_any_number_of_threads():
    game = gk.load("platform-insurance")
    init = np.random.default_rng(0).uniform(0.05, 0.95, (1000, 3))
    noise = {"platform.insure": 0.5, "workers.claim": 0.3, "government.regulate": 0.2}
    whole = simulate_noisy(game, init, 5.0, noise=noise, rng=12345)
    alone = simulate_noisy(game, init[:1], 5.0, noise=noise, rng=12345)
    assert np.array_equal(alone.final, whole.final[:1])
    assert np.array_equal(alone.wiener, whole.wiener[:1])
    one = simulate_noisy(game, init[537:538], 5.0, noise=noise, rng=12345, path_offset=537)
    assert np.array_equal(one.final, whole.final[537:538])
    assert np.array_equal(one.entered, whole.entered[537:538])
    other = simulate_noisy(game, init, 5.0, noise=noise, rng=12345, chunk=99, threads=1)
    assert np.array_equal(other.final, whole.final)
    assert np.array_equal(other.exited, whole.exited)
    assert not np.array_equal(simulate_noisy(game, init[:5], 5.0, noise=noise, rng=1).final, whole.final[:5])
    # what is recorded does not change the paths
    watched = simulate_noisy(game, init[:70], 5.0, noise=noise, rng=12345, targets="trap", t_eval=[1.0, 2.5])
    assert np.array_equal(watched.final, whole.final[:70])


@settings(max_examples=10, deadline=None)
@given(start=st.integers(0, 150), length=st.integers(1, 70), seed=st.integers(0, 2**64 - 1))
def test_any_slice_of_a_batch_reproduces_its_paths(start, length, seed):
    game = gk.load("hawk-dove")
    init = np.linspace(0.01, 0.99, 220)[:, None]
    noise = {"players.hawk": 0.7, "players.dove": 0.2}
    whole = simulate_noisy(game, init, 1.0, noise=noise, rng=seed, t_eval=[0.5, 1.0])
    part = simulate_noisy(game, init[start : start + length], 1.0, noise=noise, rng=seed, path_offset=start)
    assert np.array_equal(part.final, whole.final[start : start + length])
    assert np.array_equal(whole.states[:, -1], whole.final)


def test_a_generator_seed_is_drawn_and_kept_so_a_run_can_be_repeated():
    game = two_strategies()
    first = simulate_noisy(game, [[0.5]] * 10, 1.0, noise={"pop.better": 1.0}, rng=np.random.default_rng(3))
    again = simulate_noisy(game, [[0.5]] * 10, 1.0, noise={"pop.better": 1.0}, rng=first.seed)
    assert np.array_equal(first.final, again.final)
    fresh = simulate_noisy(game, [[0.5]] * 10, 1.0, noise={"pop.better": 1.0})
    assert np.array_equal(simulate_noisy(game, [[0.5]] * 10, 1.0, noise={"pop.better": 1.0}, rng=fresh.seed).final,
                          fresh.final)  # fmt: skip


# ----------------------------------------------------------------------------- Fudenberg-Harris


def test_fudenberg_harris_with_fixed_payoffs_is_brownian_motion_with_the_ito_drift():
    """log(x/(1-x)) at t is normal with mean (1.1 - 1 - 1/2) t = -0.4 t and variance t."""
    t = 4.0
    paths = gk.simulate(two_strategies(), np.full((4000, 1), 0.5), t, noise={"pop.better": 1.0}, rng=2024)
    y = logit(paths.final[:, 0])
    n = y.size
    assert stats.kstest(y, stats.norm(loc=-0.4 * t, scale=math.sqrt(t)).cdf).pvalue > SIGNIFICANCE
    # the mean within its 99.9% interval, the variance within its chi-square 99.9% interval
    assert abs(y.mean() + 0.4 * t) < stats.norm.ppf(1 - SIGNIFICANCE / 2) * math.sqrt(t / n)
    lo, hi = stats.chi2.ppf([SIGNIFICANCE / 2, 1 - SIGNIFICANCE / 2], n - 1) / (n - 1) * t
    assert lo < y.var(ddof=1) < hi
    # Euler-Maruyama is exact here: the path is -0.4 t + W_t for the Wiener process it drew
    assert np.max(np.abs(y - (-0.4 * t + paths.wiener[:, 0]))) < 1e-10


def test_a_schedule_changes_the_drift_at_its_time():
    """Payoff a = 1 until t = 2 (a phase starting between grid times: at 2.005), then a = 2: Y_T = (1 - 1 - 1/2)
    2.01 + (2 - 1 - 1/2) (T - 2.01) + W_T, exactly."""
    game = gk.Game(
        populations={"pop": ["better", "worse"]}, payoffs={"better": ["a"], "worse": ["1"]}, parameters={"a": 1.0}
    )
    noise = Noise({"pop.better": 1.0}, dt=0.01)
    paths = simulate_noisy(game, np.full((200, 1), 0.5), 5.0, noise=noise, rng=3, schedule=[(2.005, {"a": 2.0})])
    want = -0.5 * 2.01 + 0.5 * (5.0 - 2.01) + paths.wiener[:, 0]
    assert np.max(np.abs(logit(paths.final[:, 0]) - want)) < 1e-10
    p = hitting_probability(game, [[0.5]] * 50, 5.0, "better", noise=noise, rng=3, schedule=[(2.005, {"a": 2.0})])
    assert p.paths == int(np.sum(simulate_noisy(game, [[0.5]] * 50, 5.0, noise=noise, rng=3,
                                                schedule=[(2.005, {"a": 2.0})]).entered[:, 0] < np.inf))  # fmt: skip


def test_the_better_strategy_dies_out_because_of_its_own_noise():
    game = two_strategies()
    noisy = simulate_noisy(game, np.full((500, 1), 0.5), 200.0, noise=Noise({"pop.better": 1.0}, dt=0.05), rng=7)
    # Y_200 ~ N(-80, 200): P(x > 1e-6) = P(Y > -13.8) ~ 1e-6 per path
    assert np.all(noisy.final[:, 0] < 1e-6)
    assert set(noisy.outcome) == {"worse"}
    assert noisy.hitting_probability("worse").probability == 1.0
    quiet = gk.simulate(game, [[0.5]], 200.0)  # without noise it takes over: x = 1 / (1 + exp(-0.1 t))
    assert abs(quiet.final[0, 0] - 1 / (1 + math.exp(-20.0))) < 1e-10


def test_shares_stay_exactly_in_the_simplex():
    game = gk.load("rock-paper-scissors")
    init = np.random.default_rng(1).dirichlet([1, 1, 1], 300)
    noise = {f"{game.populations[0].name}.{s}": 1.5 for s in game.populations[0].strategies}
    paths = simulate_noisy(game, init, 20.0, noise=noise, rng=3, t_eval=np.linspace(0, 20, 11))
    assert np.all(paths.states >= 0) and np.all(paths.states <= 1)
    assert np.max(np.abs(paths.states.sum(axis=2) - 1)) < 1e-12
    assert np.allclose(paths.states[:, 0], init, rtol=0, atol=1e-14)  # t = 0 is the start (to rounding)
    assert all(v == 0 for v in paths.absorptions.values())


def test_hawk_dove_settles_on_the_stationary_density_of_its_diffusion():
    """Y = log(x/(1-x)) has drift mu(y) = u_H - u_D (equal noises: no Ito difference) and diffusion s^2 = 0.5^2
    + 0.5^2; its stationary density is proportional to exp(2/s^2 int_0^y mu); the hawk share's CDF follows."""
    game = gk.load("hawk-dove")
    v, c = game.parameters["V"], game.parameters["C"]
    sigma_h = sigma_d = 0.5
    paths = simulate_noisy(
        game, np.full((4000, 1), 0.5), 30.0, noise={"players.hawk": sigma_h, "players.dove": sigma_d}, rng=11
    )

    def mu(y):
        x = 1.0 / (1.0 + math.exp(-y))
        u_hawk = x * (v - c) / 2 + (1 - x) * v
        u_dove = (1 - x) * v / 2
        return (u_hawk - sigma_h**2 / 2) - (u_dove - sigma_d**2 / 2)

    s2 = sigma_h**2 + sigma_d**2

    def density(y):
        return math.exp(2.0 / s2 * integrate.quad(mu, 0.0, y)[0])

    grid = np.linspace(-12, 12, 2401)
    dens = np.array([density(y) for y in grid])
    cdf = integrate.cumulative_trapezoid(dens, grid, initial=0.0)
    cdf /= cdf[-1]
    y = logit(paths.final[:, 0])
    assert stats.kstest(y, lambda q: np.interp(q, grid, cdf)).pvalue > SIGNIFICANCE
    # and the histogram of hawk shares, bin by bin, within 4 standard errors
    edges = np.linspace(0.2, 0.8, 13)
    want = np.diff(np.interp(logit(edges), grid, cdf))
    got = np.histogram(paths.final[:, 0], edges)[0] / paths.n
    assert np.all(np.abs(got - want) < 4 * np.sqrt(want * (1 - want) / paths.n) + 1e-3)


def first_passage(level: float, mu: float, t: float) -> float:
    """P(max_{s <= t} (mu s + W_s) >= level), level > 0: the reflection principle with drift."""
    s = math.sqrt(t)
    return stats.norm.cdf((mu * t - level) / s) + math.exp(2 * mu * level) * stats.norm.cdf((-mu * t - level) / s)


def test_hitting_probability_is_the_first_passage_law_of_brownian_motion_with_drift():
    """Y = -0.4 t + W_t from 0 reaches b = log(0.95/0.05) (x within 0.05 of the better strategy's vertex) by T
    with the first-passage probability of Brownian motion with drift; monitored every h, as if the barrier were
    BGK sqrt(h) further."""
    t_end, mu, dt, n = 3.0, -0.4, 0.01, 40000
    shift = BGK * math.sqrt(dt)
    paths = simulate_noisy(
        two_strategies(), np.full((n, 1), 0.5), t_end, noise=Noise({"pop.better": 1.0}, dt=dt), rng=5
    )
    for by in (1.0, 3.0):
        want = first_passage(math.log(0.95 / 0.05) + shift, mu, by)
        got = paths.hitting_probability("better", by=by)
        lo, hi = wilson_interval(got.paths, got.n, z=Z)
        assert got.n == n and lo < want < hi, (got, want)
    # leaving: paths that start inside the worse strategy's neighbourhood (Y0 = log(0.02/0.98)) and go beyond
    # log(0.05/0.95) by T: the first passage of Brownian motion with drift -0.4 up a distance a
    start = 0.02
    leave = simulate_noisy(
        two_strategies(), np.full((n, 1), start), t_end, noise=Noise({"pop.better": 1.0}, dt=dt), rng=6
    )
    a = math.log(0.05 / 0.95) - math.log(start / (1 - start))
    got = leave.leaving_probability("worse")
    lo, hi = wilson_interval(got.paths, got.n, z=Z)
    assert got.n == n and lo < first_passage(a + shift, mu, t_end) < hi, got
    assert not lo < first_passage(a, mu, t_end) < hi  # (the grid matters: not the continuous-time probability)
    with pytest.raises(gk.ArgumentError, match="no path starts within"):
        leave.leaving_probability("better")


def test_hitting_probability_function_and_state_names():
    trap = gk.load("platform-insurance")
    start = [[0.7, 0.3, 0.3]] * 400
    p = hitting_probability(trap, start, 10.0, "trap", noise={"platform.insure": 0.5}, rng=1)
    paths = simulate_noisy(trap, start, 10.0, noise={"platform.insure": 0.5}, rng=1)
    q = paths.hitting_probability("trap")
    assert (p.paths, p.n) == (q.paths, q.n) and p.target == "trap" and q.target == "regulate, evade, accept"
    assert 0 < q.probability < 1 and q.ci_low < q.probability < q.ci_high
    # by a time: monotone, and reaching by t = 0 means starting inside
    probs = [paths.hitting_probability("trap", by=t).probability for t in (0.0, 2.0, 5.0, 10.0)]
    assert probs == sorted(probs) and probs[0] == 0.0
    at_end = paths.shares()
    assert all(paths.hitting_probability(name).probability >= at_end.get(name, 0.0) for name in paths.target_names)
    curve = paths.probability_curve("trap", [0.0, 2.0, 5.0, 10.0])
    assert curve.probability.tolist() == probs and curve.attrs["target"] == "regulate, evade, accept"
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = paths.plot_probability("trap")
    assert len(fig.axes[0].lines) == 1 and np.all(np.diff(fig.axes[0].lines[0].get_ydata()) >= 0)
    plt.close(fig)
    with pytest.raises(gk.ArgumentError, match="times must"):
        paths.probability_curve("trap", [5.0, 2.0])
    frame = paths.reached()
    assert list(frame.target) == list(paths.target_names) and np.all(frame.ci_low <= frame.probability)
    assert abs(paths.to_frame().share.sum() - 1) < 1e-12


# ----------------------------------------------------------------------------- the additive and multiplicative forms


def test_multiplicative_milstein_has_strong_order_one_and_euler_one_half():
    """With equal payoffs dx = sigma x dW is geometric Brownian motion: x_T = x0 exp(-sigma^2 T/2 + sigma W_T)
    for the very Wiener process the stepper drew (NoisyPaths.wiener)."""
    sigma, x0, t_end = 0.5, 0.1, 1.0
    errors = {}
    for scheme in ("euler", "milstein"):
        for dt in (0.01, 0.0001):
            paths = simulate_noisy(
                equal_payoffs(), np.full((2000, 1), x0), t_end,
                noise=Noise({"pop.better": sigma}, form="multiplicative", scheme=scheme, dt=dt), rng=8,
            )  # fmt: skip
            assert not np.isfinite(paths.absorbed).any()  # 1 is ~ 9 standard deviations away
            exact = x0 * np.exp(-(sigma**2) * t_end / 2 + sigma * paths.wiener[:, 0])
            errors[scheme, dt] = np.mean(np.abs(paths.final[:, 0] - exact))
    # a hundredfold smaller step: the error falls about a hundredfold (order 1) or tenfold (order 1/2)
    assert 50 < errors["milstein", 0.01] / errors["milstein", 0.0001] < 200
    assert 5 < errors["euler", 0.01] / errors["euler", 0.0001] < 20


def test_additive_noise_is_clipped_and_absorbed_at_the_boundary():
    """Equal payoffs: dx = sigma dW, so a path is x0 + sigma W until it leaves [0, 1], then it stays at the
    boundary it crossed; the absorption probability is that of Brownian motion leaving the interval (method of
    images, the interval widened by BGK sigma sqrt(h) for monitoring at the grid)."""
    sigma, x0, t_end, dt = 1.0, 0.5, 0.1, 1e-4
    paths = simulate_noisy(
        equal_payoffs(), np.full((20000, 1), x0), t_end, noise=Noise({"pop.better": sigma}, form="additive", dt=dt),
        rng=9,
    )  # fmt: skip
    x = paths.final[:, 0]
    hit = np.isfinite(paths.absorbed[:, 0])
    assert np.all((x[hit] == 0.0) | (x[hit] == 1.0))
    assert np.allclose(x[~hit], x0 + sigma * paths.wiener[~hit, 0], atol=1e-12, rtol=0)
    assert paths.absorptions == {"pop": int(hit.sum())}
    assert np.all(np.abs(paths.absorbed[hit, 0] / paths.dt - np.round(paths.absorbed[hit, 0] / paths.dt)) < 1e-6)
    assert "absorptions at the boundary" in repr(paths)
    # P(BM from x0 leaves (lo, hi) by T), lo = -eps, hi = 1 + eps: the method of images
    eps = BGK * sigma * math.sqrt(dt)
    lo, hi = -eps, 1 + eps
    width, s = hi - lo, sigma * math.sqrt(t_end)
    stay = sum(
        stats.norm.cdf((hi - x0 + 2 * j * width) / s) - stats.norm.cdf((lo - x0 + 2 * j * width) / s)
        - stats.norm.cdf((hi + x0 - 2 * lo + 2 * j * width) / s) + stats.norm.cdf((lo + x0 - 2 * lo + 2 * j * width) / s)
        for j in range(-5, 6)
    )  # fmt: skip
    ci = wilson_interval(int(hit.sum()), hit.size, z=Z)
    assert ci[0] < 1 - stay < ci[1], (hit.mean(), 1 - stay)


def test_noise_on_the_second_strategy_acts_on_its_own_share():
    """Multiplicative noise on the second strategy: 1 - x is geometric Brownian motion."""
    sigma, t_end = 0.4, 1.0
    paths = simulate_noisy(
        equal_payoffs(), np.full((500, 1), 0.9), t_end,
        noise=Noise({"pop.worse": sigma}, form="multiplicative", scheme="milstein", dt=1e-4), rng=4,
    )  # fmt: skip
    exact = 0.1 * np.exp(-(sigma**2) * t_end / 2 + sigma * paths.wiener[:, 0])
    assert np.mean(np.abs((1 - paths.final[:, 0]) - exact)) < 1e-4


# ----------------------------------------------------------------------------- bad input: one line each


@pytest.mark.parametrize(
    ("noise", "message"),
    [
        ({"platform.insure": -0.5}, "must be in"),
        ({"platform.insure": float("nan")}, "finite"),
        ({"platform.insure": float("inf")}, "finite"),
        ({"platform.nothing": 0.5}, "no such strategy"),
        ({"nobody.insure": 0.5}, "no such strategy"),
        ({"insure": 0.5}, "population.strategy"),
        ({}, "names no strategy"),
        ("platform.insure=0.5", "must map"),
    ],
)
def test_bad_noise_is_a_one_line_error(noise, message):
    with pytest.raises(gk.ArgumentError, match=message) as err:
        simulate_noisy(gk.load("platform-insurance"), [[0.5, 0.5, 0.5]], 1.0, noise=noise, rng=0)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"form": "brownian"}, "noise form must be one of"),
        ({"scheme": "runge-kutta"}, "noise scheme must be one of"),
        ({"dt": 0.0}, "dt must be in"),
        ({"dt": -0.1}, "dt must be in"),
        ({"dt": float("nan")}, "dt must be a finite number"),
        ({"dt": "0.1"}, "dt must be a number"),
    ],
)
def test_bad_form_scheme_or_dt_is_a_one_line_error(kwargs, message):
    with pytest.raises(gk.ArgumentError, match=message) as err:
        Noise({"platform.insure": 0.5}, **kwargs)
    assert "\n" not in str(err.value)


def test_forms_need_two_strategies_and_one_noise_per_population():
    rps = gk.load("rock-paper-scissors")
    name = rps.populations[0].name
    with pytest.raises(gk.ArgumentError, match="two strategies"):
        simulate_noisy(rps, [[1 / 3, 1 / 3, 1 / 3]], 1.0, noise=Noise({f"{name}.rock": 0.1}, form="additive"))
    with pytest.raises(gk.ArgumentError, match="one noise per population"):
        simulate_noisy(
            equal_payoffs(), [[0.5]], 1.0, noise=Noise({"pop.better": 0.1, "pop.worse": 0.1}, form="multiplicative")
        )
    with pytest.raises(gk.ArgumentError, match="rng"):
        simulate_noisy(equal_payoffs(), [[0.5]], 1.0, noise={"pop.better": 0.1}, rng=-1)
    with pytest.raises(gk.ArgumentError, match="target must be one state"):
        hitting_probability(equal_payoffs(), [[0.5]], 1.0, ["better", "worse"], noise={"pop.better": 0.1}, rng=0)
    with pytest.raises(gk.StateError, match="neither a state name"):
        hitting_probability(equal_payoffs(), [[0.5]], 1.0, "trap", noise={"pop.better": 0.1}, rng=0)
    with pytest.raises(gk.ArgumentError, match="radius"):
        simulate_noisy(equal_payoffs(), [[0.5]], 1.0, noise={"pop.better": 0.1}, rng=0, radius=0.0)
    with pytest.raises(gk.ArgumentError, match="not a watched target"):
        simulate_noisy(equal_payoffs(), [[0.5]], 1.0, noise={"pop.better": 0.1}, rng=0).hitting_probability("trap")


# ----------------------------------------------------------------------------- command line


def test_cli_prints_outcome_probabilities(capsys):
    argv = ["simulate", "platform-insurance", "--noise", "platform.insure=0.5", "--seed", "1", "--orbits", "300",
            "--t-end", "20"]  # fmt: skip
    assert cli.main(argv + ["--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["noise"] == {
        "form": "fudenberg-harris",
        "scheme": "euler",
        "dt": 0.01,
        "sigma": {"platform.insure": 0.5},
    }
    assert abs(sum(o["share"] for o in out["outcomes"]) - 1) < 1e-12
    assert {r["target"] for r in out["reached"]} == {", ".join(p) for p in _profiles(gk.load("platform-insurance"))}
    again = _noisy_cli_repeat(capsys, argv)
    assert again == out  # the seed fixes the starts and the noise
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    assert "reached by t = 20" in text and "95% interval" in text


def _profiles(game):
    return [game.profile_names(idx) for idx in game.profiles()]


def _noisy_cli_repeat(capsys, argv):
    assert cli.main(argv + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("platform.insure=-1", "must be in"),
        ("platform.insure=x", "is not a number"),
        ("platform.nothing=0.5", "no such strategy"),
        ("platform.insure", "expected POPULATION.STRATEGY=SIGMA"),
    ],
)
def test_cli_bad_noise_is_one_line_and_status_2(capsys, option, message):
    assert cli.main(["simulate", "platform-insurance", "--noise", option, "--orbits", "5", "--t-end", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gamekit: error:") and message in err and err.count("\n") == 1


def test_cli_shows_the_better_strategy_dying_out_and_additive_absorptions(tmp_path, capsys):
    model = tmp_path / "two.toml"
    two_strategies().save(model)
    argv = ["simulate", str(model), "--noise", "pop.better=1", "--t-end", "200", "--dt", "0.05", "--orbits", "200"]
    assert cli.main(argv + ["--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(o["outcome"], o["paths"]) for o in out["outcomes"]] == [("worse", 200)]
    assert out["absorbed"] == {"pop": 0}
    argv = ["simulate", str(model), "--noise", "pop.better=1", "--noise-form", "additive", "--t-end", "5",
            "--orbits", "200"]  # fmt: skip
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    assert "additive noise (pop.better 1)" in text and "absorbed at a boundary share 0 or 1" in text


@settings(max_examples=15, deadline=None)
@given(
    sigma=st.floats(0.0, 3.0),
    form=st.sampled_from(["additive", "multiplicative"]),
    scheme=st.sampled_from(["euler", "milstein"]),
    on_second=st.booleans(),
)
def test_the_forms_stay_in_the_unit_interval_and_absorbed_paths_stay_put(sigma, form, scheme, on_second):
    game = gk.load("hawk-dove")
    key = "players.dove" if on_second else "players.hawk"
    init = np.linspace(0.0, 1.0, 64)[:, None]
    paths = simulate_noisy(
        game, init, 3.0, noise=Noise({key: sigma}, form=form, scheme=scheme, dt=0.05), rng=1, t_eval=[1.0, 2.0, 3.0]
    )
    x = paths.states[:, :, 0]
    assert np.all((x >= 0) & (x <= 1))
    when = paths.absorbed[:, 0]
    assert np.all(when[[0, -1]] == 0.0) and np.array_equal(x[[0, -1], -1], [0.0, 1.0])  # the boundary from t = 0
    for j, t in enumerate(paths.t):  # after its absorption a path no longer moves, and it sits on the boundary
        done = when <= t
        assert np.all((x[done, j] == 0.0) | (x[done, j] == 1.0))
        assert np.array_equal(x[done, j], x[done, -1])


def test_without_noise_the_steps_converge_to_the_replicator_orbit_at_order_one():
    """sigma = 0: Euler steps of the replicator field in log-ratios, against the adaptive integrator (rtol 1e-10);
    a tenfold smaller step, a tenfold smaller error."""
    trap = gk.load("platform-insurance")
    init = np.random.default_rng(4).uniform(0.1, 0.9, (20, 3))
    exact = gk.simulate(trap, init, 2.0, rtol=1e-10, atol=1e-12).final
    error = {}
    for dt in (1e-2, 1e-3):
        paths = simulate_noisy(trap, init, 2.0, noise=Noise({"platform.insure": 0.0}, dt=dt), rng=0)
        assert paths.wiener.shape == (20, 0)
        error[dt] = np.max(np.abs(paths.final - exact))
    assert error[1e-3] < 5e-3
    assert 7 < error[1e-2] / error[1e-3] < 13, error


def test_cli_noise_options_without_noise_are_refused(capsys):
    assert cli.main(["simulate", "platform-insurance", "--dt", "0.1", "--orbits", "5"]) == 2
    err = capsys.readouterr().err
    assert err == "gamekit: error: --dt is an option of noisy paths: give --noise too\n"


def test_parameters_per_path_are_those_of_each_path():
    """A sweep over F in one call gives each path the run it would have alone with that F (its own index)."""
    trap = gk.load("platform-insurance")
    fines = [4.0, 10.0, 16.0]
    start = [[0.6, 0.4, 0.5]] * 3
    noise = {"platform.insure": 0.5}
    swept = simulate_noisy(trap, start, 10.0, noise=noise, rng=2, parameters={"F": fines})
    for i, fine in enumerate(fines):
        alone = simulate_noisy(trap.with_parameters(F=fine), start[i : i + 1], 10.0, noise=noise, rng=2, path_offset=i)
        assert np.allclose(alone.final, swept.final[i : i + 1], rtol=0, atol=1e-9)
        assert np.array_equal(alone.wiener, swept.wiener[i : i + 1])


def test_an_unwatched_target_is_refused_with_advice_the_user_can_follow():
    """hostile6 #13: the watched profiles (which contain ', ') are separated by '; ', the message names the
    state names that work and a public function (with a targets= parameter) that watches other states."""
    import importlib
    import inspect
    import re

    trap = gk.models.platform_insurance().scenario("trap")
    noisy = gk.simulate(trap, np.tile([0.5, 0.5, 0.5], (4, 1)), 2.0, noise={"platform.insure": 1.0}, rng=0)
    with pytest.raises(gk.ArgumentError) as err:
        noisy.hitting_probability("nope")
    message = str(err.value)
    assert "\n" not in message
    watched = re.search(r"\(watched: (.*?)\):", message).group(1).split("; ")
    assert watched == list(noisy.target_names) == [", ".join(trap.profile_names(i)) for i in trap.profiles()]
    for name in re.search(r"state name of one of them \((.*?)\)", message).group(1).split(", "):
        assert noisy.hitting_probability(name).target == ", ".join(trap.states[name])  # the advice works
    module, function = re.search(r"(gamekit(?:\.\w+)*)\.(\w+)\(\.\.\., targets=", message).groups()
    assert "targets" in inspect.signature(getattr(importlib.import_module(module), function)).parameters
    watching = simulate_noisy(trap, [[0.5, 0.5, 0.5]], 1.0, noise={"platform.insure": 1.0}, rng=0, targets=["trap"])
    with pytest.raises(gk.ArgumentError, match=r"\(watched: trap\): pass one of these; to watch another state"):
        watching.hitting_probability("meta-goal")
