"""gk.sensitivity and gk.sensitivity_map: orbits for several values of a parameter, final and basin shares over two.

The oracle is scipy's DOP853 at rtol 1e-12 on the equations written out here by hand (from the model files' payoff
tables and descriptions; the replicator dynamics in log-odds, see ``oracle``), never gamekit's own field.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

import gamekit as gk
from gamekit.sensitivity import LINESTYLES, OKABE_ITO

ORACLE = {"method": "DOP853", "rtol": 1e-12, "atol": 1e-14}
AGREE = 1e-5  # final (and sampled) shares against the oracle

PLATFORM = gk.models.platform_insurance()
TRAP = PLATFORM.scenario("trap")
DYNAMIC = gk.load("platform-insurance-dynamic-fine")
HAWK_DOVE = gk.load("hawk-dove")
STAG = gk.load("stag-hunt")
RPS = gk.load("rock-paper-scissors")


# ------------------------------------------------------------------------------------------- the oracles


def platform_gains(p: dict, s, dynamic: bool = False) -> np.ndarray:
    """u(regulate) - u(relax), u(insure) - u(evade), u(claim) - u(accept) at (x, y, z), from the payoff table (a
    fine F, or F (1 - y) when ``dynamic``)."""
    x, y, z = s
    fine = p["F"] * (1 - y) if dynamic else p["F"]
    gx = y * (p["R"] - p["S"]) - p["Cg"] + (1 - y) * (z * fine + (1 - z) * p["delta"] * fine + z * p["A"])
    gy = p["B"] - p["Cp"] + x * p["S"] + x * (z * (fine + p["K"]) + (1 - z) * p["delta"] * fine)
    gy += (1 - x) * z * p["theta"] * p["K"]
    gz = y * (p["V"] - p["Cw"]) + (1 - y) * (x * p["K"] + (1 - x) * p["theta"] * p["K"] - p["Cc"])
    return np.array([gx, gy, gz])


def platform_field(p: dict, dynamic: bool = False, protocol: str = "replicator"):
    """The platform game's field in (x, y, z) = (regulate, insure, claim) shares.  With two strategies and the gain
    g = u(first) - u(second), each protocol reduces to (x the first strategy's share, [a]_+ = max(a, 0)):
    replicator x (1 - x) g; logit:ETA 1 / (1 + exp(-g / ETA)) - x; smith (1 - x) [g]_+ - x [-g]_+;
    bnn (1 - x)^2 [g]_+ - x^2 [-g]_+; replicator-mutator:MU (1 - MU) x (1 - x) g + MU (1/2 - x)."""
    kind, _, arg = protocol.partition(":")

    def f(t, s):
        x = np.asarray(s, dtype=float)
        g = platform_gains(p, x, dynamic)
        pos, neg = np.maximum(g, 0.0), np.maximum(-g, 0.0)
        if kind == "replicator":
            return x * (1 - x) * g
        if kind == "logit":
            return 1.0 / (1.0 + np.exp(-g / float(arg))) - x
        if kind == "smith":
            return (1 - x) * pos - x * neg
        if kind == "bnn":
            return (1 - x) ** 2 * pos - x**2 * neg
        mu = float(arg)
        return (1 - mu) * x * (1 - x) * g + mu * (0.5 - x)

    if kind == "replicator":
        f.gain = lambda x: platform_gains(p, x, dynamic)
    return f


def hawk_dove_field(V: float, C: float):
    def f(t, s):
        return [s[0] * (1 - s[0]) * (V - C * s[0]) / 2]

    f.gain = lambda x: np.array([(V - C * x[0]) / 2])
    return f


def stag_field(F: float, c: float = 1.0, M: int = 5, size: int = 10):
    """x (1 - x) (u(cooperate) - u(defect)), expected over K ~ Binomial(size - 1, x) of the pure group payoffs."""

    def gain(s):
        x = s[0]
        out = 0.0
        for k in range(size):
            pk = math.comb(size - 1, k) * x**k * (1 - x) ** (size - 1 - k)
            cooperate = (k + 1) * F * c / size * (k + 1 >= M) - c
            defect = k * F * c / size * (k >= M)
            out += pk * (cooperate - defect)
        return np.array([out])

    def f(t, s):
        return s[0] * (1 - s[0]) * gain(s)

    f.gain = gain
    return f


def rps_field(w: float, loss: float):
    A = np.array([[0.0, -loss, w], [w, 0.0, -loss], [-loss, w, 0.0]])

    def f(t, s):
        u = A @ s
        return s * (u - s @ u)

    f.log_ratio = lambda x: (A @ x)[:-1] - (A @ x)[-1]  # d/dt ln(x_i / x_scissors) = u_i - u_scissors
    return f


def oracle(field, start, t_end, t_eval=None, t0=0.0):
    """DOP853 from ``start`` at ``t0``; states (T, d).  A replicator field is integrated in log-odds ``v = ln(x / (1 -
    x))`` (``dv/dt = g`` exactly, ``field.gain``) or log-ratios ``v_i = ln(x_i / x_n)`` (``dv_i/dt = u_i - u_n``,
    ``field.log_ratio``): in raw shares an absolute tolerance caps the relative accuracy of a share near 0 or 1,
    which the replicator dynamics amplifies (a share of 1 - 5e-12 then comes back 1.5e-5 late)."""
    start = np.asarray(start, dtype=float)
    if hasattr(field, "gain"):
        expit = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
        sol = solve_ivp(lambda t, v: field.gain(expit(v)), (t0, t_end), np.log(start / (1 - start)), t_eval=t_eval,
                        **ORACLE)  # fmt: skip
        assert sol.success
        return expit(sol.y.T)
    if hasattr(field, "log_ratio"):

        def shares(v):
            e = np.exp(np.append(v, 0.0) - max(np.max(v), 0.0))
            return e / e.sum()

        sol = solve_ivp(lambda t, v: field.log_ratio(shares(v)), (t0, t_end), np.log(start[:-1] / start[-1]),
                        t_eval=t_eval, **ORACLE)  # fmt: skip
        assert sol.success
        return np.array([shares(v) for v in sol.y.T])
    sol = solve_ivp(field, (t0, t_end), start, t_eval=t_eval, **ORACLE)
    assert sol.success
    return sol.y.T  # (T, d)


def values_of(game):
    return {k: float(v) for k, v in game.parameters.items()}


# ------------------------------------------------------------------------------------ the facts, every class


def test_platform_trap_fine_sensitivity_matches_dop853():
    s = gk.sensitivity(TRAP, "F", [5, 10, 15], initial=(0.5, 0.5, 0.5), t_end=50)
    assert s.states.shape == (3, 1, len(s.t), 3) and s.t[0] == 0 and s.t[-1] == 50
    refs = []
    for j, F in enumerate([5, 10, 15]):
        ref = oracle(platform_field({**values_of(TRAP), "F": F}), [0.5, 0.5, 0.5], 50, s.t)
        np.testing.assert_allclose(s.final[j, 0], ref[-1], rtol=0, atol=AGREE)
        np.testing.assert_allclose(s.states[j, 0], ref, rtol=0, atol=AGREE)  # the whole curve, not only its end
        refs.append(ref)
    # the outcomes say what the oracle's orbits do: F = 5 ends at the lag (0, 0, 0); F = 10, 15 reach the face
    # z = 1 and keep swinging in x over the second half (the regulation cycles)
    assert np.all(refs[0][-1] < 1e-6) and s.outcomes[0] == ("relax, evade, accept",)
    for ref, (outcome,) in zip(refs[1:], s.outcomes[1:]):
        late = ref[len(ref) // 2 :]
        assert np.all(late[:, 2] > 1 - 1e-6) and np.ptp(late[:, 0]) > 0.5
        assert outcome == "cycling on workers=claim"


@pytest.mark.parametrize("game", [TRAP, DYNAMIC], ids=["fixed fine", "dynamic fine"])
def test_numpy_twin_matches_dop853(game):
    """The numpy twin of the kernel (where numba is absent) draws the same curves."""
    s = gk.sensitivity(game, "F", [5, 15], initial=(0.5, 0.5, 0.5), t_end=20, t_eval=[0, 10, 20], backend="numpy")
    for j, F in enumerate([5, 15]):
        ref = oracle(platform_field({**values_of(game), "F": F}, dynamic=game is DYNAMIC), [0.5] * 3, 20, s.t)
        np.testing.assert_allclose(s.states[j, 0], ref, rtol=0, atol=AGREE)


@pytest.mark.parametrize("protocol", ["logit:0.5", "smith", "bnn", "replicator-mutator:0.01"])
def test_other_dynamics_match_dop853(protocol):
    s = gk.sensitivity(TRAP, "F", [5, 10, 15], initial=(0.5, 0.5, 0.5), t_end=30, dynamics=protocol)
    assert s.dynamics == protocol and f"under {protocol}" in repr(s)
    for j, F in enumerate([5, 10, 15]):
        ref = oracle(platform_field({**values_of(TRAP), "F": F}, protocol=protocol), [0.5, 0.5, 0.5], 30, s.t)
        np.testing.assert_allclose(s.states[j, 0], ref, rtol=0, atol=AGREE)


def test_state_dependent_fine_several_starts():
    starts = [(0.5, 0.5, 0.5), (0.9, 0.7, 0.6), (0.2, 0.3, 0.9)]
    s = gk.sensitivity(DYNAMIC, "F", [6, 10, 14], initial=starts, t_end=40, t_eval=np.linspace(0, 40, 81))
    assert s.states.shape == (3, 3, 81, 3)
    for j, F in enumerate([6, 10, 14]):
        for k, start in enumerate(starts):
            ref = oracle(platform_field({**values_of(DYNAMIC), "F": F}, dynamic=True), start, 40, s.t)
            np.testing.assert_allclose(s.states[j, k], ref, rtol=0, atol=AGREE)
            np.testing.assert_allclose(s.initial[k, 0::2], start)


def test_one_population_hawk_dove():
    s = gk.sensitivity(HAWK_DOVE, "V", [1, 2, 3], initial=[[0.1], [0.9]], t_end=60)
    for j, V in enumerate([1, 2, 3]):
        for k, x0 in enumerate([0.1, 0.9]):
            ref = oracle(hawk_dove_field(V, 4), [x0], 60, s.t)
            np.testing.assert_allclose(s.states[j, k], ref, rtol=0, atol=AGREE)
        # both starts settle at the mixed state V/C
        np.testing.assert_allclose(s.final[j, :, 0], V / 4, atol=1e-6)
        assert s.outcomes[j] == (f"({V / 4:g})",) * 2


def test_group_stag_hunt():
    s = gk.sensitivity(STAG, "F", [4, 8, 9], initial=[[0.5], [0.3]], t_end=40)
    for j, F in enumerate([4, 8, 9]):
        for k, x0 in enumerate([0.5, 0.3]):
            ref = oracle(stag_field(F), [x0], 40, s.t)
            np.testing.assert_allclose(s.states[j, k], ref, rtol=0, atol=AGREE)


def test_three_strategies_rock_paper_scissors():
    s = gk.sensitivity(RPS, "w", [0.5, 1.0, 2.0], initial=[0.5, 0.3, 0.2], t_end=30)
    assert s.coordinates == [("players", "rock"), ("players", "paper"), ("players", "scissors")]
    for j, w in enumerate([0.5, 1.0, 2.0]):
        ref = oracle(rps_field(w, 1.0), [0.5, 0.3, 0.2], 30, s.t)
        np.testing.assert_allclose(s.states[j, 0], ref, rtol=0, atol=AGREE)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(["F", "R", "K", "Cp", "delta"]),
    raw=st.lists(st.integers(0, 40), min_size=1, max_size=4, unique=True),
    start=st.tuples(*[st.floats(0.05, 0.95)] * 3),
)
def test_any_lever_any_values_any_start_match_dop853(name, raw, start):
    """Property: whatever the lever, its values and the start, every curve is the orbit at that value."""
    span = {"F": (0, 20), "R": (0, 8), "K": (0, 8), "Cp": (2, 12), "delta": (0, 1)}[name]
    vals = [span[0] + r / 40 * (span[1] - span[0]) for r in raw]
    s = gk.sensitivity(TRAP, name, vals, initial=start, t_end=15, t_eval=np.linspace(0, 15, 16))
    for j, v in enumerate(vals):
        ref = oracle(platform_field({**values_of(TRAP), name: v}), start, 15, s.t)
        np.testing.assert_allclose(s.states[j, 0], ref, rtol=0, atol=AGREE)


# --------------------------------------------------------------------------------------------- the result


def test_tidy_frame_holds_every_curve():
    s = gk.sensitivity(TRAP, "F", [5, 15], initial=[(0.5, 0.5, 0.5), (0.2, 0.6, 0.4)], t_end=10, t_eval=[0, 5, 10])
    df = s.to_frame()
    assert list(df.columns) == ["F", "start", "t", "population", "strategy", "share"]
    assert len(df) == 2 * 2 * 3 * 3
    assert set(df.population) == {"government", "platform", "workers"}
    assert set(zip(df.population, df.strategy)) == {
        ("government", "regulate"),
        ("platform", "insure"),
        ("workers", "claim"),
    }
    for (F, start, pop), rows in df.groupby(["F", "start", "population"]):
        j, c = [5.0, 15.0].index(F), ["government", "platform", "workers"].index(pop)
        np.testing.assert_array_equal(rows.sort_values("t").share.to_numpy(), s.states[j, start, :, c])
    one = gk.sensitivity(TRAP, "F", [5, 15], t_end=10, t_eval=[0, 10]).to_frame()
    assert "start" not in one.columns  # one start: no start column
    summary = s.summary()
    assert list(summary.columns) == [
        "F",
        "start",
        "government: regulate",
        "platform: insure",
        "workers: claim",
        "outcome",
    ]


def test_a_parameter_named_like_a_column_is_called_value():
    payoffs = {"hawk, hawk": "(t - C)/2", "hawk, dove": "t", "dove, hawk": "0", "dove, dove": "t/2"}
    game = gk.Game({"players": ["hawk", "dove"]}, payoffs, {"t": 2, "C": 4})
    df = gk.sensitivity(game, "t", [1, 2], initial=[0.3], t_end=5, t_eval=[0, 5]).to_frame()
    assert list(df.columns) == ["value", "t", "population", "strategy", "share"]
    np.testing.assert_allclose(df.t.to_numpy(), [0, 5, 0, 5])


def test_default_start_is_the_centre_and_times_cover_the_horizon():
    s = gk.sensitivity(RPS, "w", [1.5, 2.0], t_end=10)
    np.testing.assert_allclose(s.initial, [[1 / 3, 1 / 3, 1 / 3]])
    assert s.t[0] == 0 and s.t[-1] == 10 and np.all(np.diff(s.t) > 0)
    np.testing.assert_allclose(s.states[:, 0, -1], s.final[:, 0])


def test_result_is_frozen_and_prints_its_outcomes():
    s = gk.sensitivity(TRAP, "F", [5, 10], initial=(0.5, 0.5, 0.5), t_end=50, t_eval=[0, 50])
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.parameter = "R"
    text = repr(s)
    assert text.startswith("Sensitivity(F in {5, 10}, 1 start, t to 50")
    assert "F = 5: relax, evade, accept (lag)" in text and "F = 10: cycling on workers=claim" in text
    assert "\n" not in text
    assert "<table" in s._repr_html_()
    with pytest.raises(ValueError, match="read-only"):
        s.states[0, 0, 0, 0] = 1.0


def test_populations_of_different_sizes():
    """Full layout: a two-strategy population is one panel (its first share), a larger one a panel per strategy."""
    payoffs = {f"{a}, {b}": [i + j, (i * j) % 3] for i, a in enumerate(["x", "y"]) for j, b in enumerate("pqr")}
    game = gk.Game({"row": ["x", "y"], "col": ["p", "q", "r"]}, payoffs, {"c": 1.0})
    s = gk.sensitivity(game, "c", [1.0, 2.0], initial=[0.3, 0.7, 0.2, 0.3, 0.5], t_end=5, t_eval=[0, 5])
    assert s.coordinates == [("row", "x"), ("row", "y"), ("col", "p"), ("col", "q"), ("col", "r")]
    np.testing.assert_allclose(s.states[:, 0, :, :2].sum(axis=-1), 1.0)
    np.testing.assert_allclose(s.states[:, 0, :, 2:].sum(axis=-1), 1.0)
    assert len(s.to_frame()) == 2 * 2 * 5


def test_schedule_passes_through_unless_it_sets_the_parameter():
    schedule = [(0, {}), (5, {"R": 6.0})]
    s = gk.sensitivity(TRAP, "F", [5, 10], initial=(0.5, 0.5, 0.5), t_end=10, t_eval=[10], schedule=schedule)
    for j, F in enumerate([5, 10]):
        p = {**values_of(TRAP), "F": F}
        mid = oracle(platform_field(p), [0.5, 0.5, 0.5], 5)[-1]
        end = oracle(platform_field({**p, "R": 6.0}), mid, 10, t0=5)[-1]
        np.testing.assert_allclose(s.final[j, 0], end, atol=AGREE)
    with pytest.raises(gk.ArgumentError, match="schedule sets F"):
        gk.sensitivity(TRAP, "F", [5, 10], schedule="phased")


# ------------------------------------------------------------------------------------------------ figures


@pytest.fixture
def agg():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    before = dict(matplotlib.rcParams)
    show = plt.show
    plt.show = lambda *a, **k: pytest.fail("plot called show()")
    yield plt
    plt.show = show
    plt.close("all")
    assert dict(matplotlib.rcParams) == before  # no global style change


def test_figure_panels_are_populations_and_lines_are_values(agg):
    s = gk.sensitivity(TRAP, "F", [5, 10, 15], initial=(0.5, 0.5, 0.5), t_end=20, t_eval=np.linspace(0, 20, 41))
    fig = s.plot()
    assert [a.get_title() for a in fig.axes] == ["government", "platform", "workers"]
    assert [a.get_ylabel() for a in fig.axes] == ["share of regulate", "share of insure", "share of claim"]
    for c, ax in enumerate(fig.axes):
        lines = ax.get_lines()
        assert len(lines) == 3
        for j, line in enumerate(lines):
            np.testing.assert_array_equal(line.get_ydata(), s.states[j, 0, :, c])
        # colour and dash pattern both tell the values apart (colour-blind readers, grey print)
        assert (
            len({line.get_color() for line in lines}) == 3 and len({str(line.get_linestyle()) for line in lines}) == 3
        )
        assert [line.get_color() for line in lines] == list(OKABE_ITO[:3])
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["F = 5", "F = 10", "F = 15"]
    fig.canvas.draw()  # renders


def test_figure_with_several_starts_and_given_axes(agg):
    s = gk.sensitivity(TRAP, "F", [5, 15], initial=[(0.5, 0.5, 0.5), (0.3, 0.7, 0.2)], t_end=10, t_eval=[0, 5, 10])
    fig = s.plot()
    assert all(len(ax.get_lines()) == 4 for ax in fig.axes)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["F = 5", "F = 15"]  # one entry per value
    assert all(len(ax.get_lines()) == 2 for ax in s.plot(starts=[1]).axes)
    own, axes = agg.subplots(1, 3)
    assert s.plot(ax=axes) is own
    assert [t.get_text() for t in axes[0].get_legend().get_texts()] == ["F = 5", "F = 15"]
    with pytest.raises(gk.ArgumentError, match="3 panels, got 1 Axes"):
        s.plot(ax=axes[0])
    with pytest.raises(gk.ArgumentError, match="starts must be indices"):
        s.plot(starts=[2])


def test_figure_panels_of_populations_of_different_sizes(agg):
    payoffs = {f"{a}, {b}": [i - j, i * j] for i, a in enumerate(["x", "y"]) for j, b in enumerate("pqr")}
    game = gk.Game({"row": ["x", "y"], "col": ["p", "q", "r"]}, payoffs, {"c": 1.0})
    s = gk.sensitivity(game, "c", [1.0, 2.0], initial=[0.3, 0.7, 0.2, 0.3, 0.5], t_end=5, t_eval=[0, 5])
    fig = s.plot()
    assert [a.get_title() for a in fig.axes] == ["row", "col: p", "col: q", "col: r"]
    np.testing.assert_array_equal(fig.axes[0].get_lines()[1].get_ydata(), s.states[1, 0, :, 0])  # row's x share
    np.testing.assert_array_equal(fig.axes[3].get_lines()[0].get_ydata(), s.states[0, 0, :, 4])  # col's r share


def test_figure_one_population_and_three_strategies(agg):
    hd = gk.sensitivity(HAWK_DOVE, "V", [1, 2, 3], initial=[0.9], t_end=10, t_eval=[0, 10])
    fig = hd.plot()
    assert len(fig.axes) == 1 and len(fig.axes[0].get_lines()) == 3
    _, ax = agg.subplots()
    assert hd.plot(ax=ax) is ax.figure
    rps = gk.sensitivity(RPS, "w", [1.5, 2.0], initial=[0.5, 0.3, 0.2], t_end=10, t_eval=[0, 10])
    fig = rps.plot()
    assert [a.get_title() for a in fig.axes] == ["players: rock", "players: paper", "players: scissors"]
    assert all(len(a.get_lines()) == 2 for a in fig.axes)


def test_too_many_values_to_tell_apart(agg):
    s = gk.sensitivity(HAWK_DOVE, "V", np.linspace(0.5, 4, len(LINESTYLES) + 1), t_end=1, t_eval=[0, 1])
    with pytest.raises(gk.ArgumentError, match="at most 7 values"):
        s.plot()
    assert len(s.to_frame()) == 2 * (len(LINESTYLES) + 1)  # the data is all there


# ----------------------------------------------------------------------------------------- two parameters


def test_share_map_matches_dop853_at_every_point(agg):
    xs, ys = [6.0, 10.0, 14.0], [1.0, 4.0]
    m = gk.sensitivity_map(TRAP, {"F": xs, "R": ys}, share="platform.insure", initial=(0.5, 0.5, 0.5), t_end=20)
    assert m.values.shape == (2, 3) and (m.x, m.y) == ("F", "R")
    for i, F in enumerate(xs):
        for j, R in enumerate(ys):
            ref = oracle(platform_field({**values_of(TRAP), "F": F, "R": R}), [0.5, 0.5, 0.5], 20)[-1]
            assert abs(m.values[j, i] - ref[1]) < AGREE
    df = m.to_frame()
    assert list(df.columns) == ["F", "R", "share", "outcome"] and len(df) == 6
    row = df[(df.F == 14.0) & (df.R == 4.0)].iloc[0]
    assert row.share == m.values[1, 2]
    fig = m.plot()
    assert fig.axes[0].get_xlabel() == "F" and fig.axes[0].get_ylabel() == "R"
    assert fig.axes[1].get_ylabel() == "share of insure (platform) at t = 20"  # the colour bar
    assert "share of insure (platform)" in repr(m) and "3 x 2 points" in repr(m)


def test_basin_map_follows_the_exact_threshold():
    """The meta-goal (1, 1, 1) is asymptotically stable iff R > Cg + S = 3 (its switch gain for the government is
    Cg + S - R), whatever K: no orbit converges to it below, some do above."""
    m = gk.sensitivity_map(TRAP, {"R": [1.0, 2.5, 4.0, 6.0], "K": [2.0, 6.0]}, basin="meta-goal", n=60, t_end=100)
    assert m.target == "regulate, insure, claim" and "meta-goal" in m.label
    assert np.all(m.values[:, :2] == 0) and np.all(m.values[:, 2:] > 0)
    assert np.all((m.ci_low <= m.values) & (m.values <= m.ci_high))
    # the counts are the sweep's, point by point
    for i, combo in enumerate(m.sweep.points):
        ix, iy = list(m.xs).index(combo["R"]), list(m.ys).index(combo["K"])
        assert m.values[iy, ix] == m.sweep.shares(i).get("regulate, insure, claim", 0.0)
    df = m.to_frame()
    assert list(df.columns) == ["R", "K", "share", "ci_low", "ci_high", "orbits", "stable"]
    # beside the simulated share, the analytic stable set: the meta-goal among the stable states iff R > 3
    assert all(("meta-goal" in st) == (r > 3) for r, st in zip(df.R, df.stable))
    assert df.orbits.sum() == round(m.values.sum() * 60)


def test_basin_map_of_cycling_orbits():
    m = gk.sensitivity_map(TRAP, {"F": [5.0, 10.0], "R": [2.0]}, basin="cycling", n=40, t_end=60)
    counts = [sum(k for o, k in c if o.startswith("cycling")) for c in m.sweep.counts]
    assert [m.values[0, i] * 40 for i in range(2)] == counts


# ---------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"parameter": "X", "values": [1]}, gk.ParameterError, "'X' is not a parameter"),
        ({"parameter": 3, "values": [1]}, gk.ArgumentError, "parameter must be a parameter name"),
        ({"parameter": "F", "values": []}, gk.ArgumentError, "at least one value of F"),
        ({"parameter": "F", "values": [1, float("nan")]}, gk.ParameterError, "finite number"),
        ({"parameter": "F", "values": [1, float("inf")]}, gk.ParameterError, "finite number"),
        ({"parameter": "F", "values": 5}, gk.ArgumentError, "sequence of numbers"),
        ({"parameter": "F", "values": "5"}, gk.ArgumentError, "sequence of numbers"),
        ({"parameter": "F", "values": [[1, 2]]}, gk.ArgumentError, "one-dimensional"),
        ({"parameter": "F", "values": ["a"]}, gk.ParameterError, "must be numbers"),
        ({"parameter": "F", "values": [1, 1]}, gk.ArgumentError, "distinct"),
        ({"parameter": "F", "values": [True, False]}, gk.ArgumentError, "not True/False"),
        ({"parameter": "F", "values": np.array([True, False])}, gk.ArgumentError, "not True/False"),
        ({"parameter": "delta", "values": [0.5, 1.5]}, gk.ParameterError, "outside its declared bounds"),
        ({"parameter": "F", "values": [1], "initial": [0.5, 0.5]}, gk.StateError, "width 2"),
        ({"parameter": "F", "values": [1], "initial": [[[0.5]]]}, gk.StateError, "initial"),
        ({"parameter": "F", "values": [1], "initial": [0.5, 0.5, 1.5]}, gk.StateError, "unit cube"),
        ({"parameter": "F", "values": [1], "t_end": 0}, gk.ArgumentError, "t_end"),
        ({"parameter": "F", "values": [1], "t_eval": [0, 60]}, gk.ArgumentError, "t_eval"),
        ({"parameter": "F", "values": [1], "t_eval": []}, gk.ArgumentError, "at least one time"),
        ({"parameter": "F", "values": range(200), "t_eval": np.linspace(0, 50, 100_000)}, gk.ArgumentError, "fewer"),
        ({"parameter": "F", "values": [1], "noise": 0.1}, gk.ArgumentError, "unexpected keyword argument 'noise'"),
        ({"parameter": "F", "values": [1], "colour": "red"}, gk.ArgumentError, "unexpected keyword argument"),
    ],
)
def test_bad_input_one_line(kwargs, error, words):
    with pytest.raises(error, match=words) as info:
        gk.sensitivity(TRAP, **kwargs)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"grid": {"F": [1, 2]}, "share": "insure"}, gk.ArgumentError, "exactly two parameters"),
        ({"grid": {"F": [1], "X": [1]}, "share": "insure"}, gk.ParameterError, "'X' is not a parameter"),
        ({"grid": {"F": [1], "R": []}, "share": "insure"}, gk.ArgumentError, "at least one value of R"),
        ({"grid": {"F": [1], "R": [np.nan]}, "share": "insure"}, gk.ParameterError, "finite number"),
        ({"grid": {"F": [1], "R": [1]}}, gk.ArgumentError, "exactly one of them"),
        ({"grid": {"F": [1], "R": [1]}, "share": "insure", "basin": "trap"}, gk.ArgumentError, "exactly one"),
        ({"grid": {"F": [1], "R": [1]}, "share": "hawk"}, gk.ArgumentError, "names no strategy"),
        ({"grid": {"F": [1], "R": [1]}, "basin": "paradise"}, gk.ArgumentError, "names no state"),
        ({"grid": {"F": [1], "R": [1]}, "basin": "trap", "initial": [0.5] * 3}, gk.ArgumentError, "initial is for"),
        ({"grid": {"F": [1], "R": [1]}, "share": "insure", "initial": [[0.5] * 3] * 2}, gk.StateError, "ONE state"),
    ],
)
def test_bad_map_input_one_line(kwargs, error, words):
    with pytest.raises(error, match=words) as info:
        gk.sensitivity_map(TRAP, **kwargs)
    assert "\n" not in str(info.value)


# ------------------------------------------------------------------------------------------- command line


def test_json_holds_every_curve():
    s = gk.sensitivity(TRAP, "F", [5, 15], initial=[(0.5, 0.5, 0.5), (0.2, 0.6, 0.4)], t_end=10, t_eval=[0, 5, 10])
    out = json.loads(json.dumps(s.to_json()))
    assert out["parameter"] == "F" and out["values"] == [5.0, 15.0] and out["t"] == [0.0, 5.0, 10.0]
    assert out["coordinates"] == [["government", "regulate"], ["platform", "insure"], ["workers", "claim"]]
    assert [(c["value"], c["start"]) for c in out["curves"]] == [(5.0, 0), (5.0, 1), (15.0, 0), (15.0, 1)]
    for c in out["curves"]:
        j, k = [5.0, 15.0].index(c["value"]), c["start"]
        np.testing.assert_array_equal(c["states"], s.states[j, k])
        assert c["outcome"] == s.outcomes[j][k]


def test_cli_json_matches_dop853(capsys):
    from gamekit.cli import main

    args = ["sensitivity", "platform-insurance", "--scenario", "trap", "--parameter", "F", "--values", "5", "10", "15"]
    assert main([*args, "--initial", "0.5", "0.5", "0.5", "--t-end", "50", "--times", "6", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["t"] == [0.0, 10.0, 20.0, 30.0, 40.0, 50.0]
    for curve in out["curves"]:
        ref = oracle(platform_field({**values_of(TRAP), "F": curve["value"]}), [0.5] * 3, 50, out["t"])
        np.testing.assert_allclose(curve["states"], ref, rtol=0, atol=AGREE)


def test_cli_table_and_figure(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    from gamekit.cli import main

    figure = tmp_path / "fine.png"
    argv = [
        "sensitivity",
        "hawk-dove",
        "--parameter",
        "V",
        "--values",
        "1",
        "2",
        "--initial",
        "0.1",
        "--initial",
        "0.9",
    ]
    assert main([*argv, "--t-end", "60", "--figure", str(figure)]) == 0
    text = capsys.readouterr().out
    assert "V  start  players: hawk  outcome" in text and "(0.25)" in text and "(0.5)" in text
    assert figure.stat().st_size > 1000


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--parameter", "X", "--values", "1"], "'X' is not a parameter"),
        (["--parameter", "F", "--values", "1", "--times", "1"], "--times must be an integer >= 2"),
        (["--parameter", "F", "--values", "1", "--initial", "0.5", "0.5"], "width 2"),
        (["--parameter", "F", "--values", "1", "--figure", "/nonexistent/dir/x.png"], "cannot write it"),
        (["--parameter", "F", "--values", "1", "nan"], "finite number"),
        (["--parameter", "F"], "--values"),
    ],
)
def test_cli_bad_input_one_line(capsys, extra, words):
    from gamekit.cli import main

    try:
        status = main(["sensitivity", "platform-insurance", *extra])
    except SystemExit as exc:  # argparse's own usage errors
        status = exc.code
    err = capsys.readouterr().err
    assert status == 2 and err.startswith("gamekit: error:") and words in err and err.count("\n") == 1
