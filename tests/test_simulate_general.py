"""Simulation of games that are not multilinear (issue #9): one-population, group and state-dependent payoffs.

The facts (from the issue, computed independently): hawk-dove (V = 2, C = 4) attracts every interior start to
x = 1/2; one-population rock-paper-scissors converges to (1/3, 1/3, 1/3) for w = 2, l = 1 and never for w = 1,
l = 2; the inspection game with the fine F*y converges to (1/2, 1/2); the platform model with the fine
F*(1 - y) has the two attractors (1, 0, 0) and (1, 3/5, 1).  Orbits are checked against scipy's DOP853 on
hand-written equations, and the classification against the eigenvalues of hand-written Jacobians.
"""

import importlib
import json

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

import gamekit as gk
from gamekit._kernels.rhs_field import Field
from gamekit.dynamics import strategy_payoffs
from gamekit.space import StateSpace

sim = importlib.import_module("gamekit.simulate")  # the module (gamekit.simulate is also the function)

# ----------------------------------------------------------------------------- the games, built directly


def hawk_dove(V=2, C=4):
    return gk.Game(
        populations={"players": ["hawk", "dove"]},
        payoffs={"hawk, hawk": ["(V - C)/2"], "hawk, dove": ["V"], "dove, hawk": ["0"], "dove, dove": ["V/2"]},
        parameters={"V": V, "C": C},
    )


def rock_paper_scissors(w, l):  # noqa: E741 (the issue's name for a loss)
    names = ["rock", "paper", "scissors"]
    beats = {"rock": "scissors", "paper": "rock", "scissors": "paper"}
    payoffs = {f"{a}, {b}": ["0" if a == b else ("w" if beats[a] == b else "-l")] for a in names for b in names}
    return gk.Game(populations={"players": names}, payoffs=payoffs, parameters={"w": w, "l": l})


def inspection(dynamic=True):
    """x = inspect, y = violate; a caught violator pays the fine F*y (F when static), the inspector pays g."""
    fine = "F*y" if dynamic else "F"
    return gk.Game(
        populations={"inspector": ["inspect", "skip"], "violator": ["violate", "comply"]},
        payoffs={
            "inspect, violate": [f"{fine} - g", f"c - {fine}"],
            "inspect, comply": ["-g", "0"],
            "skip, violate": ["0", "c"],
            "skip, comply": ["0", "0"],
        },
        parameters={"c": 1, "F": 4, "g": 1},
        shares={"y": ("violator", "violate")} if dynamic else {},
    )


PLATFORM = gk.models.platform_insurance()  # its default values are the trap scenario


def platform_dynamic():
    """The platform model with the fine F*(1 - y), y the insuring platforms' share."""
    payoffs = {}
    for idx in PLATFORM.profiles():
        names = PLATFORM.profile_names(idx)
        payoffs[", ".join(names)] = [str(PLATFORM.payoff(names, p)).replace("F", "F*(1 - y)") for p in range(3)]
    return gk.Game(
        populations={p.name: list(p.strategies) for p in PLATFORM.populations},
        payoffs=payoffs,
        parameters=dict(PLATFORM.parameters),
        shares={"y": ("platform", "insure")},
    )


def stag_hunt(F=8):
    return gk.Game(
        populations={"players": ["cooperate", "defect"]},
        payoffs={"cooperate": ["(k + 1)*F*c/10*step(k + 1 - M) - c"], "defect": ["k*F*c/10*step(k - M)"]},
        parameters={"F": F, "c": 1, "M": 5},
        group={"size": 10, "count": "k"},
    )


# ----------------------------------------------------------------------------- hand-written fields for scipy


def hand_field(name, game):
    """The replicator field in tangent coordinates (each population's last share eliminated), written out by
    hand from the model's description (not from gamekit's expected payoffs)."""
    v = {k: float(x) for k, x in game.parameters.items()}
    if name == "hawk_dove":

        def f(t, z):
            x = z[0]
            return [x * (1 - x) * ((v["V"] - v["C"]) / 2 * x + v["V"] * (1 - x) - v["V"] / 2 * (1 - x))]

    elif name == "rps":
        w, l = v["w"], v["l"]  # noqa: E741
        A = np.array([[0, -l, w], [w, 0, -l], [-l, w, 0]])  # rock, paper, scissors against each

        def f(t, z):
            s = np.array([z[0], z[1], 1 - z[0] - z[1]])
            u = A @ s
            return (s * (u - s @ u))[:2]

    elif name == "inspection":
        c, F, g = v["c"], v["F"], v["g"]

        def f(t, z):
            x, y = z
            return [x * (1 - x) * (F * y * y - g), y * (1 - y) * (c - F * x * y)]

    elif name == "platform":
        at0 = PLATFORM.with_parameters(F=0).numeric_payoffs()
        slope = [a - b for a, b in zip(PLATFORM.with_parameters(F=1).numeric_payoffs(), at0)]

        def f(t, z):
            x, y, w = z
            fine = v["F"] * (1 - y)
            tensors = [a + fine * b for a, b in zip(at0, slope)]
            u = strategy_payoffs(tensors, [np.array([x, 1 - x]), np.array([y, 1 - y]), np.array([w, 1 - w])])
            return [s * (1 - s) * (ui[0] - ui[1]) for s, ui in zip(z, u)]

    elif name == "stag_hunt":
        from math import comb

        F, c, M = v["F"], v["c"], v["M"]

        def f(t, z):
            x = z[0]
            gain = 0.0
            for k in range(10):
                weight = comb(9, k) * x**k * (1 - x) ** (9 - k)
                coop = (k + 1) * F * c / 10 * (k + 1 - M >= 0) - c
                defect = k * F * c / 10 * (k - M >= 0)
                gain += weight * (coop - defect)
            return [x * (1 - x) * gain]

    return f


GAMES = {
    "hawk_dove": hawk_dove(),
    "rps": rock_paper_scissors(2, 1),
    "inspection": inspection(),
    "platform": platform_dynamic(),
    "stag_hunt": stag_hunt(),
}


def reduced(game, full):
    return np.concatenate([b[:-1] for b in StateSpace(game.shape).split(full)])


@pytest.mark.parametrize("name", list(GAMES))
def test_orbits_agree_with_dop853_on_hand_written_equations(name):
    game = GAMES[name]
    assert not game.multilinear
    space = StateSpace(game.shape)
    init = space.sample(6, np.random.default_rng(11))
    t_eval = [0.0, 2.0, 7.5, 20.0]
    traj = gk.simulate(game, init, 20.0, t_eval=t_eval, rtol=1e-11, atol=1e-13)
    f = hand_field(name, game)
    for row, x0 in enumerate(init):
        ref = solve_ivp(f, (0, 20.0), reduced(game, x0), method="DOP853", rtol=1e-12, atol=1e-14, t_eval=t_eval).y.T
        mine = np.array([reduced(game, s) for s in space.full(traj.states[row])])
        assert np.allclose(mine, ref, atol=1e-8, rtol=0), (name, row)


@pytest.mark.parametrize("name", list(GAMES))
def test_numba_and_numpy_backends_agree(name):
    pytest.importorskip("numba")
    game = GAMES[name]
    init = StateSpace(game.shape).sample(40, np.random.default_rng(3))
    fast = gk.simulate(game, init, 60.0, t_eval=[1.0, 10.0], backend="numba")
    slow = gk.simulate(game, init, 60.0, t_eval=[1.0, 10.0], backend="numpy")
    assert np.allclose(fast.final, slow.final, atol=1e-9, rtol=0)
    assert np.allclose(fast.states, slow.states, atol=1e-9, rtol=0)
    assert list(fast.outcome) == list(slow.outcome)
    assert np.array_equal(fast.steps, slow.steps)


# ----------------------------------------------------------------------------- the facts of the issue


def test_hawk_dove_converges_to_one_half_from_every_interior_start():
    starts = np.concatenate([[1e-6, 1e-3], np.linspace(0.01, 0.99, 40), [1 - 1e-3, 1 - 1e-6]])[:, None]
    traj = gk.simulate(hawk_dove(), starts, 100.0)
    assert traj.converged.all()
    assert set(traj.outcome) == {"(0.5)"}
    assert np.allclose(traj.final, 0.5, atol=1e-6)
    assert np.allclose(traj.rest_point("(0.5)"), [0.5, 0.5], atol=1e-12)


def test_hawk_dove_pure_starts_stay_and_are_their_own_face():
    traj = gk.simulate(hawk_dove(), [[1.0], [0.0]], 50.0)
    assert list(traj.outcome) == ["hawk", "dove"]  # alone on its face, a pure state is where the orbit is
    assert traj.converged.all()


@pytest.mark.parametrize("V", [1.0, 2.0, 3.0])
def test_hawk_dove_rest_point_moves_with_the_value(V):
    """x* = V / C; the outcome names it to POINT_DIGITS decimals."""
    traj = gk.simulate(hawk_dove(V=V), np.linspace(0.05, 0.95, 10)[:, None], 120.0)
    assert traj.converged.all()
    (label,) = set(traj.outcome)
    assert float(label.strip("()")) == pytest.approx(V / 4, abs=10.0**-sim.POINT_DIGITS)


def test_rock_paper_scissors_converges_to_the_centre_when_wins_exceed_losses():
    game = rock_paper_scissors(2, 1)
    traj = gk.basins(game, n=300, rng=4, t_end=300.0)
    assert traj.outcomes == ("(0.333333, 0.333333, 0.333333)",)
    sim_ = gk.simulate(game, StateSpace((3,)).sample(20, np.random.default_rng(1)), 300.0)
    assert sim_.converged.all()
    assert np.allclose(sim_.rest_point(sim_.outcome[0]), 1 / 3, atol=1e-12)


def test_rock_paper_scissors_never_converges_when_losses_exceed_wins():
    game = rock_paper_scissors(1, 2)
    init = StateSpace((3,)).sample(200, np.random.default_rng(6))
    for t_end in (50.0, 300.0):
        traj = gk.simulate(game, init, t_end)
        assert not traj.converged.any()
        assert all(o == "unresolved" or o.startswith("cycling") for o in traj.outcome)


def test_rock_paper_scissors_centre_with_equal_wins_and_losses_is_never_converged():
    game = rock_paper_scissors(1, 1)  # a centre: eigenvalues +-i sqrt(3)/3... on closed orbits
    near = np.array([[1 / 3 + 1e-5, 1 / 3 - 1e-5, 1 / 3], [0.3, 0.3, 0.4]])
    traj = gk.simulate(game, near, 200.0)
    assert not traj.converged.any()


def test_dynamic_fine_inspection_game_converges_to_one_half():
    game = inspection()
    traj = gk.simulate(game, StateSpace(game.shape).sample(300, np.random.default_rng(2)), 300.0)
    assert traj.converged.all()
    assert set(traj.outcome) == {"(0.5, 0.5)"}
    assert np.allclose(traj.rest_point("(0.5, 0.5)"), [0.5, 0.5, 0.5, 0.5], atol=1e-12)


@pytest.mark.parametrize("t_end", [10.0, 20.0, 30.0])
def test_a_slowly_damped_focus_is_never_called_a_cycle(t_end):
    # the dynamic-fine inspection game spirals into (1/2, 1/2) at rate 1/4 with period about 9.5: through a window
    # shorter than a period the spiral looks like a cycle, but its stable focus is found and the orbit is unresolved
    starts = np.random.default_rng(0).uniform(size=(2000, 2))
    traj = gk.simulate(inspection(), starts, t_end)
    assert not any(o.startswith("cycling") for o in traj.outcome)
    assert set(traj.outcome) <= {"unresolved", "(0.5, 0.5)"}


def test_dynamic_fine_platform_model_has_two_attractors():
    game = platform_dynamic()
    traj = gk.simulate(game, StateSpace(game.shape).sample(600, np.random.default_rng(8)), 300.0)
    shares = traj.shares()
    assert set(shares) == {"regulate, evade, accept", "(1, 0.6, 1)"}
    assert min(shares.values()) > 0.2
    assert traj.converged.all()
    point = traj.rest_point("(1, 0.6, 1)")
    assert np.allclose(point, [1, 0, 0.6, 0.4, 1, 0], atol=1e-12)
    trap = traj.outcome == "regulate, evade, accept"
    assert np.allclose(traj.final[trap], [1, 0, 0], atol=1e-3)


def test_stag_hunt_splits_at_its_unstable_interior_point():
    """Threshold 10-person stag hunt, M = 5, F = 8: 0 and 0.7068 attract, 0.3468 separates them."""
    starts = np.array([[0.1], [0.3], [0.34], [0.36], [0.5], [0.9], [0.99]])
    traj = gk.simulate(stag_hunt(), starts, 300.0)
    assert traj.converged.all()
    assert list(traj.outcome[:3]) == ["defect"] * 3
    (high,) = set(traj.outcome[3:])
    assert float(high.strip("()")) == pytest.approx(0.7068, abs=1e-4)
    assert set(gk.simulate(stag_hunt(F=4), starts, 300.0).outcome) == {"defect"}


# ----------------------------------------------------------------------------- classification, independently


def jacobian_by_hand(name, game, x):
    """The Jacobian of the hand-written field by central differences (tangent coordinates)."""
    f = hand_field(name, game)
    z = reduced(game, x)
    h = 1e-6
    cols = []
    for j in range(len(z)):
        e = np.zeros(len(z))
        e[j] = h
        cols.append((np.asarray(f(0, z + e)) - np.asarray(f(0, z - e))) / (2 * h))
    return np.array(cols).T


@pytest.mark.parametrize("name", list(GAMES))
def test_converged_outcomes_are_rest_points_with_stable_jacobians(name):
    """Every rest point an orbit converged to: the hand-written field vanishes there and its Jacobian's
    eigenvalues (by finite differences, where the point is interior to the domain of the differences) have
    negative real parts."""
    game = GAMES[name]
    traj = gk.simulate(game, StateSpace(game.shape).sample(200, np.random.default_rng(5)), 300.0)
    f = hand_field(name, game)
    assert traj.converged.any()
    for label in set(traj.outcome[traj.converged]):
        point = traj.rest_point(label)
        assert np.allclose(f(0, reduced(game, point)), 0, atol=1e-10), label
        ev = np.linalg.eigvals(jacobian_by_hand(name, game, point))
        assert np.max(ev.real) < 0, (label, ev)


def test_per_orbit_parameters_and_schedules_use_the_last_phase():
    game = hawk_dove()
    starts = np.full((3, 1), 0.2)
    traj = gk.simulate(game, starts, 150.0, parameters={"V": [1.0, 2.0, 3.0]})
    assert list(traj.outcome) == ["(0.25)", "(0.5)", "(0.75)"]
    later = gk.simulate(game, starts, 150.0, schedule=[(40.0, {"V": 3.0})])
    assert set(later.outcome) == {"(0.75)"}


def test_multilinear_field_through_the_general_path_matches_the_tables(monkeypatch):
    """The per-model RHS of a multilinear game (forced through the general path) integrates the same orbits as
    the per-shape RHS, and the general classification names the same strict corners."""
    game = PLATFORM.scenario("meta_goal")
    init = StateSpace(game.shape).sample(100, np.random.default_rng(9))
    tables = gk.simulate(game, init, 60.0)
    monkeypatch.setattr(type(game), "multilinear", property(lambda self: False))
    general = gk.simulate(game, init, 60.0)
    assert np.allclose(tables.final, general.final, atol=1e-9, rtol=0)
    assert list(general.outcome) == ["regulate, insure, claim"] * 100
    assert tables.converged.all() and general.converged.all()


def test_an_undefined_payoff_is_a_parameter_error():
    game = gk.Game(
        populations={"players": ["a", "b"]},
        payoffs={"a, a": ["1/(F - 2)"], "a, b": ["0"], "b, a": ["0"], "b, b": ["1"]},
        parameters={"F": 2},
    )
    with pytest.raises(gk.errors.ParameterError, match="not a finite number"):
        gk.simulate(game, [[0.5]], 10.0)
    with pytest.raises(gk.errors.ParameterError, match="not a finite number"):
        gk.simulate(game.with_parameters(F=3), [[0.5], [0.5]], 10.0, parameters={"F": [3.0, 2.0]})


# ----------------------------------------------------------------------------- the generated code


def test_generated_code_handles_steps_powers_and_functions():
    """step (1 at zero), integer and fractional powers, exp/log/sqrt/abs/min/max: the compiled RHS, the numpy
    payoffs and sympy agree."""
    pytest.importorskip("numba")
    a, b, p = sympy.symbols("a b p", real=True)
    u0 = 3 * a**5 * b**-2 + sympy.Heaviside(a - p, 1) + sympy.sqrt(b) + sympy.exp(-a) * sympy.log(1 + b)
    u1 = sympy.Abs(a - b) + sympy.Max(a, p) - sympy.Min(b, p) + a ** sympy.Rational(3, 2)
    fld = Field([[u0, u1]], [a, b], [p], (2,))
    rng = np.random.default_rng(0)
    sig = rng.dirichlet([1, 1], 64)
    sig[0] = [0.25, 0.75]  # a - p = 0 exactly: step is 1
    theta = np.full((64, 1), 0.25)
    want = np.array([[float(e.subs({a: s[0], b: s[1], p: 0.25})) for e in (u0, u1)] for s in sig], dtype=float)
    assert np.allclose(fld.payoffs(sig, theta), want, rtol=1e-12)
    u, du = fld.derivatives(sig[1:], theta[1:])
    h = 1e-7
    num = (fld.payoffs(sig[1:] + [h, 0], theta[1:]) - fld.payoffs(sig[1:] - [h, 0], theta[1:])) / (2 * h)
    assert np.allclose(du[:, :, 0], num, rtol=1e-5, atol=1e-5)
    # the compiled RHS: out = (u - u_ref) on each lane, shares from the log-ratios
    from gamekit._kernels.primitives import LANES

    rhs = fld.load(LANES)
    v = np.ascontiguousarray(np.log(sig.T[:, :LANES]) - np.log(sig.T[0:1, :LANES]))  # ref = strategy 0
    alive = np.ones((2, LANES))
    ref = np.zeros((1, LANES), dtype=np.int64)
    pay = np.full((1, 1, LANES), 0.25)
    out_sig = np.zeros((2, LANES))
    out = np.zeros((2, LANES))
    rhs.ctypes(*(x.ctypes.data for x in (v, alive, ref, pay, out_sig, out)), 0, 0)
    assert np.allclose(out_sig.T, sig[:LANES], rtol=1e-13)
    # (lane 0 sits exactly on the step, which rounding of the shares may move: left out)
    assert np.allclose(out[1, 1:], want[1:LANES, 1] - want[1:LANES, 0], rtol=1e-11, atol=1e-12)
    assert np.all(out[0] == 0.0)


def test_derivatives_at_a_few_rows_equal_those_at_many():
    """Up to SCALAR_ROWS rows the derivatives are evaluated on Python floats: the same values as on numpy arrays
    (steps, powers, exp/log/sqrt/abs/min/max), and a row where a Python float raises (the square root of a negative
    share stepped below zero; 0 ** -2) gives what numpy gives, NaN or inf, not an exception."""
    from gamekit._kernels.rhs_field import SCALAR_ROWS

    a, b, p = sympy.symbols("a b p", real=True)
    u0 = 3 * a**5 * b**-2 + sympy.Heaviside(a - p, 1) + sympy.sqrt(b) + sympy.exp(-a) * sympy.log(1 + b)
    u1 = sympy.Abs(a - b) + sympy.Max(a, p) - sympy.Min(b, p) + a ** sympy.Rational(3, 2) - p * a * b
    fld = Field([[u0, u1]], [a, b], [p], (2,))
    sig = np.random.default_rng(3).dirichlet([1, 1], 40)
    sig[0] = [0.25, 0.75]  # on the step
    theta = np.linspace(0.1, 0.9, 40)[:, None]
    u_all, du_all = fld.derivatives(sig, theta)  # (numpy arrays: 40 rows)
    for r in range(0, 40, SCALAR_ROWS):
        u, du = fld.derivatives(sig[r : r + SCALAR_ROWS], theta[r : r + SCALAR_ROWS])
        assert np.allclose(u, u_all[r : r + SCALAR_ROWS], rtol=1e-14, atol=0)
        assert np.allclose(du, du_all[r : r + SCALAR_ROWS], rtol=1e-14, atol=0)
    assert callable(fld._scalar)  # (printed for Python floats: not fallen back to numpy arrays)
    odd = np.array([[1.2, -0.2], [1.0, 0.0]])  # sqrt(-0.2); b ** -2 at b = 0
    u, du = fld.derivatives(odd, np.full((2, 1), 0.5))
    with np.errstate(all="ignore"):
        u_np, du_np = fld.derivatives(np.repeat(odd, SCALAR_ROWS, axis=0), np.full((2 * SCALAR_ROWS, 1), 0.5))
    assert np.array_equal(u, u_np[::SCALAR_ROWS], equal_nan=True)
    assert np.array_equal(du, du_np[::SCALAR_ROWS], equal_nan=True)
    assert np.isnan(u[0, 0]) and np.isinf(u[1, 0])
    # an overflow Python floats do not raise for (inf - inf): sign(nan) would be a number there, NaN here as in numpy
    x, y, q = sympy.symbols("x y q", real=True)
    big = Field([[sympy.Abs(x * q - y * q), x * y]], [x, y], [q], (2,))
    u, du = big.derivatives(np.array([[1e200, 1e200]]), np.array([[1e200]]))
    u_np, du_np = big.derivatives(np.full((SCALAR_ROWS + 1, 2), 1e200), np.full((SCALAR_ROWS + 1, 1), 1e200))
    assert np.array_equal(u, u_np[:1], equal_nan=True) and np.array_equal(du, du_np[:1], equal_nan=True)
    assert np.isnan(du[0, 0, 0])
    # a NaN that Python's max would hide (inf * 0 inside Max(0, ...)): NaN, as on numpy arrays
    c = sympy.symbols("c0:4", real=True)
    t, w = sympy.symbols("t w", real=True)
    hidden = Field(
        [[sympy.Max(0, x - c[0] * c[1] * c[2] * c[3] * (t - w)), sympy.Integer(0)]], [x, y], [*c, t, w], (2,)
    )
    rows, theta = np.array([[0.3, 0.7]]), np.array([[1e100] * 4 + [0.5, 0.5]])
    u, _ = hidden.derivatives(rows, theta)
    u_np, _ = hidden.derivatives(np.repeat(rows, SCALAR_ROWS + 1, axis=0), np.repeat(theta, SCALAR_ROWS + 1, axis=0))
    assert np.isnan(u[0, 0]) and np.array_equal(u, u_np[:1], equal_nan=True)


def test_the_compiled_field_is_cached_by_its_text():
    pytest.importorskip("numba")
    from gamekit._kernels import cache, rhs_field

    fld = sim.field_of(hawk_dove())
    assert sim.field_of(hawk_dove(V=3)) is fld  # the parameter values do not enter the field
    fld.load(64)
    assert fld.cached(64)
    text, name = fld._name(64)
    path = cache.subfolder("kernels") / f"{name}.py"
    assert path.read_text() == text
    assert name in rhs_field._loaded


def symmetric_game(A):
    names = ["a", "b", "c", "d"][: len(A)]
    n = len(A)
    return gk.Game(
        populations={"players": names},
        payoffs={f"{names[i]}, {names[j]}": [repr(float(A[i, j]))] for i in range(n) for j in range(n)},
    )


@settings(max_examples=12, deadline=None)
@given(
    st.integers(3, 4),
    st.lists(st.floats(-3, 3, allow_nan=False), min_size=16, max_size=16),
    st.lists(st.floats(-2, 2, allow_nan=False), min_size=4, max_size=4),
    st.integers(0, 2**31),
)
def test_random_symmetric_games_converge_only_to_stable_rest_points(n, entries, shifts, seed):
    """Random 3- and 4-strategy one-population games: every converged orbit ends at a rest point whose
    hand-computed tangent Jacobian (u(i) = sum_j A[i, j] s_j) is stable; adding a constant to a column (a payoff
    that depends only on the opponent) leaves u(i) - u(j), hence orbits and outcomes, unchanged."""
    A = np.round(np.array(entries[: n * n]).reshape(n, n), 2)
    shifted = A + np.round(np.array(shifts[:n]), 2)[None, :]
    init = StateSpace((n,)).sample(30, np.random.default_rng(seed))
    traj = gk.simulate(symmetric_game(A), init, 200.0, backend="numpy")
    for label in set(traj.outcome[traj.converged]):
        s = traj.rest_point(label)
        u = A @ s
        support = s > 0
        assert np.allclose(u[support], u[support][0], atol=1e-9)
        full = np.diag(u - s @ u) + s[:, None] * (A - (s @ A)[None, :] - u[None, :])
        jac = full[: n - 1, : n - 1] - full[: n - 1, n - 1 :]
        assert np.max(np.linalg.eigvals(jac).real) < 0, (A, label)
    other = gk.simulate(symmetric_game(shifted), init, 200.0, backend="numpy")
    both = traj.converged & other.converged
    assert np.allclose(traj.final[both], other.final[both], atol=1e-6)
    # the same outcome, up to an orbit on the edge of a tolerance that rounding decides either way
    for mine, theirs in zip(traj.outcome, other.outcome):
        assert mine == theirs or "unresolved" in (mine, theirs)


# ----------------------------------------------------------------------------- basins carry the state


def test_basins_json_names_the_state_of_every_rest_point():
    result = gk.basins(platform_dynamic(), n=200, rng=1, t_end=300.0)
    entries = result.to_json()
    json.dumps(entries)
    by = {e["outcome"]: e for e in entries}
    assert by["(1, 0.6, 1)"]["state"] == {
        "government": {"regulate": 1.0, "relax": 0.0},
        "platform": {"insure": pytest.approx(0.6, abs=1e-12), "evade": pytest.approx(0.4, abs=1e-12)},
        "workers": {"claim": 1.0, "accept": 0.0},
    }
    assert by["regulate, evade, accept"]["state"]["platform"] == {"insure": 0.0, "evade": 1.0}
    assert sum(e["orbits"] for e in entries) == 200


def test_basins_json_of_a_multilinear_game_has_pure_states_and_none_for_cycles():
    result = gk.basins(PLATFORM, n=100, rng=2, t_end=200.0)
    for entry in result.to_json():
        if entry["outcome"].startswith("cycling") or entry["outcome"] == "unresolved":
            assert entry["state"] is None
        else:
            names = entry["outcome"].split(", ")
            for pop, strategy in zip(PLATFORM.populations, names):
                assert entry["state"][pop.name][strategy] == 1.0


# ----------------------------------------------------------------------------- sweeps


def test_sweep_of_a_general_game_compares_stable_points_with_simulated_outcomes():
    """The analytic column names the stable rest points as simulate names the outcomes: hawk-dove's interior
    point moves with V, and the simulated orbits all reach it."""
    result = gk.sweep(hawk_dove(), {"V": [1.0, 3.0]}, n=20, rng=0, t_end=150.0)
    assert result.stable == ("(0.25)", "(0.75)")
    assert [dict(c) for c in result.counts] == [{"(0.25)": 20}, {"(0.75)": 20}]
    stag = gk.sweep(stag_hunt(), {"F": [4.0, 8.0]}, n=0)
    assert stag.stable[0] == "defect"
    assert stag.stable[1] == "defect; (0.706795)"


# ----------------------------------------------------------------------------- limit cycles and slow spirals


def hopf(mu, K=10.0):
    """Payoff gains in the Hopf normal form around (1/2, 1/2) (shares in payoffs): for mu > 0 the centre is an
    unstable focus inside a stable limit cycle of radius about sqrt(mu / K); for mu < 0 a stable focus."""
    d1 = "mu*(x - 1/2) - (y - 1/2) - K*(x - 1/2)*((x - 1/2)^2 + (y - 1/2)^2)"
    d2 = "(x - 1/2) + mu*(y - 1/2) - K*(y - 1/2)*((x - 1/2)^2 + (y - 1/2)^2)"
    return gk.Game(
        populations={"row": ["up", "down"], "col": ["left", "right"]},
        payoffs={"up, left": [d1, d2], "up, right": [d1, "0"], "down, left": ["0", d2], "down, right": ["0", "0"]},
        parameters={"mu": mu, "K": K},
        shares={"x": ("row", "up"), "y": ("col", "left")},
    )


HOPF_STARTS = np.array([[0.5001, 0.5], [0.55, 0.5], [0.9, 0.1], [0.3, 0.7], [0.2, 0.2]])


def test_an_interior_limit_cycle_is_cycling_never_converged():
    traj = gk.simulate(hopf(0.1), HOPF_STARTS, 400.0, t_eval=np.linspace(300.0, 400.0, 101))
    assert not traj.converged.any()
    assert set(traj.outcome) == {"cycling (interior)"}
    radius = np.hypot(traj.states[:, -20:, 0] - 0.5, traj.states[:, -20:, 1] - 0.5)
    assert np.allclose(radius, 0.1, atol=0.005)  # on the cycle, from inside and from outside


def test_a_spiral_into_a_stable_focus_is_unresolved_until_it_stays_close():
    """Rate mu / 4 = -0.1, period about 8 pi: by t = 60 the spirals decay (a quarter of the amplitude per half
    window) but have not settled within converge_tol: unresolved, never cycling; by t = 300 every orbit has
    converged to the focus."""
    early = gk.simulate(hopf(-0.4), HOPF_STARTS[1:], 60.0)
    assert set(early.outcome) == {"unresolved"}
    late = gk.simulate(hopf(-0.4), HOPF_STARTS, 300.0)
    assert late.converged.all()
    assert set(late.outcome) == {"(0.5, 0.5)"}


def test_a_field_too_large_to_compile_runs_in_the_numpy_twin(monkeypatch):
    pytest.importorskip("numba")
    from gamekit._kernels import rhs_field

    game = stag_hunt()
    init = np.linspace(0.05, 0.95, 7)[:, None]
    compiled = gk.simulate(game, init, 100.0, backend="numba")
    monkeypatch.setattr(rhs_field, "MAX_OPERATIONS", 0)
    monkeypatch.setattr(sim, "_FIELDS", {})
    assert sim.field_of(game).load(64) is None
    fallback = gk.simulate(game, init, 100.0, backend="numba")
    assert np.allclose(compiled.final, fallback.final, atol=1e-9, rtol=0)
    assert list(compiled.outcome) == list(fallback.outcome)


def test_parameters_named_like_the_generated_code_s_own_variables():
    """The generated code names shares s<i>, parameters q<j>, common subexpressions c<n>; parameters keep
    their meaning whatever their names (here the code's own variable names)."""
    pytest.importorskip("numba")
    names = ["s0", "c0", "q0", "x", "e", "m", "ln", "r", "ur", "v", "al", "sig", "out", "ref", "pay", "u0", "s1"]
    extra = " + ".join(names[2:]) + f" - {len(names) - 2}"  # zero at the values below
    game = gk.Game(
        populations={"players": ["hawk", "dove"]},
        payoffs={
            "hawk, hawk": [f"(s0 - c0)/2 + ({extra})"],
            "hawk, dove": ["s0"],
            "dove, hawk": ["0"],
            "dove, dove": ["s0/2"],
        },
        parameters={"s0": 2, "c0": 4} | {k: 1 for k in names[2:]},
    )
    for backend in ("numba", "numpy"):
        traj = gk.simulate(game, [[0.2], [0.9]], 100.0, backend=backend)
        assert list(traj.outcome) == ["(0.5)", "(0.5)"]


def test_a_sliding_jump_of_a_step_is_named_when_the_steps_run_out():
    """u(hawk vs dove) = V step(1/3 - h): d(h) = -h + (1 - h)(2 step(1/3 - h) - 1) jumps from +1/3 to -1 at h = 1/3
    (no rest point there): orbits slide along the jump and the integrator's steps run out; the message names the
    step rather than blaming a cycle."""
    game = gk.Game(
        {"players": ["hawk", "dove"]},
        {"hawk, hawk": ["(V - C)/2"], "hawk, dove": ["V*step(1/3 - h)"], "dove, hawk": ["0"], "dove, dove": ["V/2"]},
        {"V": 2, "C": 4},
        shares={"h": ("players", "hawk")},
    )
    with pytest.raises(gk.AnalysisError, match=r"jump where step\(1/3 - h\) switches"):
        gk.simulate(game, [[0.1]], 200, max_steps=20_000)


@pytest.mark.parametrize("payoff", ["1/k", "step(sqrt(k - 20))"])
def test_a_group_game_with_an_undefined_payoff_is_refused_when_written(payoff):
    with pytest.raises(gk.ParameterError, match="payoff of cooperate at k = 0"):
        gk.Game({"h": ["cooperate", "defect"]}, {"cooperate": payoff, "defect": "0"}, group={"size": 10, "count": "k"})


@pytest.mark.parametrize("payoff, bad", [("1/(k - M)", 3), ("step(sqrt(k - M))", 20)])
def test_simulating_a_group_game_with_an_undefined_payoff_is_a_parameter_error(payoff, bad):
    # fine at the defaults (M = 10.5, or M = 0), undefined at k = 3 (k = 0) once M changes: simulate says so
    default = 10.5 if bad == 3 else 0
    game = gk.Game(
        {"h": ["cooperate", "defect"]},
        {"cooperate": payoff, "defect": "0"},
        {"M": default},
        group={"size": 10, "count": "k"},
    ).with_parameters(M=bad)
    k = 3 if bad == 3 else 0  # where it is undefined: k = M, or every k < M
    with pytest.raises(gk.ParameterError, match=rf"payoff of cooperate at k = {k}, .* at M={bad}$"):
        gk.simulate(game, [[0.5]], 300)
