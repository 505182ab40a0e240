"""Stopping an orbit settled at a stable rest point (gamekit._kernels.settle, used by flow and flow_numba).

The certificate's linear algebra is checked against scipy (the Lyapunov equation, eigenvalues) and its bound against
the exact solution of linear fields (the matrix exponential); the integrators are checked against orbits integrated
to ``t_end`` at a far tighter tolerance with the stop switched off: the same labels, every output within the
tolerance, fewer steps, and the same results from the compiled driver and the numpy twin, alone or batched.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

import gamekit as gk
from gamekit._kernels import settle
from gamekit.space import StateSpace

RTOL, ATOL = 1e-6, 1e-9


def _scratch(m):
    return (np.zeros((m, m)), np.zeros((settle.UNKNOWNS, settle.UNKNOWNS)), np.zeros(settle.UNKNOWNS),
            np.zeros((m, m)), np.zeros(settle.NORMS))  # fmt: skip


_MATRICES = st.tuples(st.integers(1, settle.MAX_DIM), st.integers(0, 2**32 - 1), st.floats(-1.0, 3.0))


def _groups(rng, m):
    """Each tangent coordinate's population, by its reference share (coordinates with the same one: a population)."""
    return np.sort(rng.integers(0, 3, size=m)) + 100


@settings(max_examples=300, deadline=None)
@given(_MATRICES)
def test_linearise_is_the_lyapunov_equation_and_says_hurwitz(case):
    """P solves M~^T P + P M~ = -I (scipy), linearise says True exactly for Hurwitz M (numpy's eigenvalues),
    lam_hi bounds P's largest eigenvalue, and spread and radius are what P^-1 (numpy's inverse) gives."""
    m, seed, shift = case
    rng = np.random.default_rng(seed)
    M0 = rng.normal(size=(m, m)) - shift * np.eye(m)
    w = 10.0 ** rng.uniform(-9, -6, size=m)
    ref = _groups(rng, m)
    F0 = rng.normal(size=m) * 1e-9
    F1 = F0[:, None] + settle.FD_STEP * M0
    M, A, b, P, norms = _scratch(m)
    ok = settle.linearise(F0, F1, w, ref, m, M, A, b, P, norms)
    assert np.allclose(M, M0, rtol=1e-5, atol=1e-6 * np.abs(M0).max())
    spectral = np.linalg.eigvals(M0).real.max()
    if abs(spectral) < 1e-3:  # (differencing can move an eigenvalue this close to the axis either way)
        return
    assert ok == (spectral < 0)
    if ok:
        scaled = M / w[:, None] * w[None, :]
        ref_p = scipy.linalg.solve_continuous_lyapunov(scaled.T, -np.eye(m))
        assert np.allclose(P, ref_p, rtol=1e-6, atol=1e-9 * np.abs(ref_p).max())
        assert norms[1] >= np.linalg.eigvalsh(ref_p)[-1] * (1 - 1e-9)
        q = np.sqrt(np.diag(np.linalg.inv(ref_p)))
        spread = max(q[ref == r].sum() for r in ref)
        assert norms[2] == pytest.approx(spread, rel=1e-6)
        assert norms[3] == pytest.approx(np.sqrt(np.sum(q**2 * w**2)), rel=1e-6)


@settings(max_examples=150, deadline=None)
@given(_MATRICES, st.floats(0.0, 5.0))
def test_the_bound_holds_for_the_exact_linear_flow(case, later):
    """For dx/dt = M (x - x*), certify's rho and rate bound every coordinate's distance from x* (in tolerances), and
    each population's sum of them (its reference share's, whose tolerance is at least each of theirs), at every
    later time, by the matrix exponential; and its Newton step lands on x*."""
    m, seed, shift = case
    rng = np.random.default_rng(seed)
    M0 = rng.normal(size=(m, m)) - (abs(shift) + 1.0) * np.eye(m)
    if np.linalg.eigvals(M0).real.max() >= -1e-2:
        return
    w = 10.0 ** rng.uniform(-9, -6, size=m)
    ref = _groups(rng, m)
    d0 = rng.normal(size=m) * w * 10.0 ** rng.uniform(-1, 2)  # (the state's distance from x*, in shares)
    F0 = M0 @ d0
    F1 = F0[:, None] + settle.FD_STEP * M0
    M, A, b, P, norms = _scratch(m)
    assert settle.linearise(F0, F1, w, ref, m, M, A, b, P, norms)
    delta = np.zeros(m)
    assert settle.newton(F0, M, m, A, b, delta)
    assert np.allclose(delta, -d0, rtol=1e-5, atol=1e-6 * np.abs(d0).max())
    rho, rate, near = settle.certify(delta, M0 @ (d0 + delta), M, w, w, 0.0, norms, m, A, b)
    assert rho < 0 or near < 1e-3  # (a linear field: the Newton point is the rest point)
    if rho < 0:  # (not certified: nothing claimed)
        return
    for s in (0.0, later / 4, later / 2, later):
        d = scipy.linalg.expm(M0 * s) @ d0
        allowed = settle.bound(rho, rate, 0.0, 0.0, s) * (1 + 1e-6) + 1e-9
        assert np.abs(d / w).max() <= allowed
        for r in set(ref):  # (the reference share: minus the population's sum, its tolerance the largest)
            assert abs(d[ref == r].sum()) / w[ref == r].max() <= allowed


def test_certify_refuses_a_marginal_rest_point():
    """A centre with a differencing error that makes it look stable (eigenvalues -1e-9 +- i) is not certified."""
    m = 2
    M0 = np.array([[-1e-9, 1.0], [-1.0, -1e-9]])
    w = np.full(m, 1e-7)
    F0 = M0 @ (1e-9 * np.ones(m))
    F1 = F0[:, None] + settle.FD_STEP * M0
    M, A, b, P, norms = _scratch(m)
    if settle.linearise(F0, F1, w, np.zeros(m, dtype=int), m, M, A, b, P, norms):
        delta = np.zeros(m)
        assert settle.newton(F0, M, m, A, b, delta)
        rho, _, _ = settle.certify(delta, M0 @ (1e-9 * np.ones(m) + delta), M, w, w, 0.0, norms, m, A, b)
        assert rho < 0


def test_certify_refuses_where_the_newton_point_shows_curvature():
    """f(y) = -y**3 at y = 0.01 (a pitchfork's centre): the Jacobian there says stable (-3e-4), but the field at
    the Newton point y - y / 3 is 30% of the field at y: not the linear regime, not certified."""
    m, y = 1, 0.01
    F0, F1 = np.array([-(y**3)]), np.array([[-((y + settle.FD_STEP) ** 3)]])
    w = np.array([5e-7])
    M, A, b, P, norms = _scratch(m)
    assert settle.linearise(F0, F1, w, np.zeros(m, dtype=int), m, M, A, b, P, norms)
    delta = np.zeros(m)
    assert settle.newton(F0, M, m, A, b, delta)
    rho, _, _ = settle.certify(delta, np.array([-((y + delta[0]) ** 3)]), M, w, w, 0.0, norms, m, A, b)
    assert rho < 0


def test_first_output_and_bound():
    t_eval = np.array([3.0, 30.0])
    assert settle.first_output(5.0, 25.0, t_eval, 1) == 25.0  # the window's start before the next output
    assert settle.first_output(5.0, 40.0, t_eval, 1) == 30.0
    assert settle.first_output(26.0, 25.0, t_eval, 1) == 26.0  # inside the window: now
    assert settle.bound(-1.0, 1.0, 0.0, 0.0, 1.0) == -1.0
    assert settle.bound(2.0, 0.5, 0.0, 1.0, 3.0) == pytest.approx(2.0 * np.exp(-1.0))
    assert settle.bound(2.0, 0.5, 0.25, 1.0, 3.0) == pytest.approx(2.0 * np.exp(-1.0) + 0.25)
    assert settle.bound(-1.0, 1.0, 0.25, 0.0, 1.0) == -1.0  # (not certified: near is not added)


# ----------------------------------------------------------------------------- through gk.simulate


def _without_stop(monkeypatch, fn):
    monkeypatch.setattr(settle, "SETTLE", 0.0)
    try:
        return fn()
    finally:
        monkeypatch.undo()


@pytest.mark.parametrize("dyn", ["logit:1", "logit:0.25", "replicator-mutator:0.05"])
@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_stopped_orbits_keep_their_labels_and_accuracy(dyn, backend, monkeypatch):
    """Trap orbits: with the stop, the same labels as without, every output (t_eval states and final) within the
    tolerance of orbits integrated to t_end at rtol 1e-12 -- no further off than without the stop, plus one
    tolerance -- and, under logit:1, about two thirds of the steps."""
    if backend == "numba":
        pytest.importorskip("numba")
    trap = gk.load("platform-insurance").scenario("trap")
    starts = np.random.default_rng(5).uniform(size=(40, 3))
    te = [10.0, 27.0, 40.0, 50.0]

    def run(**kw):
        return gk.simulate(trap, starts, 50.0, dynamics=dyn, t_eval=te, backend=backend, **kw)

    ref = _without_stop(monkeypatch, lambda: run(rtol=1e-12, atol=1e-14))
    plain = _without_stop(monkeypatch, lambda: run(rtol=RTOL, atol=ATOL))
    ours = run(rtol=RTOL, atol=ATOL)
    assert list(ours.outcome) == list(plain.outcome) == list(ref.outcome)
    assert np.array_equal(ours.converged, plain.converged)
    tol = ATOL + RTOL * np.abs(ref.states)
    plain_err = np.abs(plain.states - ref.states) / tol
    ours_err = np.abs(ours.states - ref.states) / tol
    assert ours_err.max() <= plain_err.max() + settle.SETTLE, (ours_err.max(), plain_err.max())
    assert np.allclose(ours.final, ours.states[:, -1], rtol=0, atol=1e-15)
    if dyn == "logit:1":  # (0.64: nearly every orbit certified at its first check; 0.70 with session 9's bounds)
        assert ours.steps.mean() < 0.67 * plain.steps.mean(), (ours.steps.mean(), plain.steps.mean())


def test_compiled_and_numpy_stop_alike():
    pytest.importorskip("numba")
    trap = gk.load("platform-insurance").scenario("trap")
    starts = StateSpace(trap.shape).sample(30, np.random.default_rng(11))
    a = gk.simulate(trap, starts, 50.0, dynamics="logit:1", t_eval=[20.0, 45.0], backend="numba")
    b = gk.simulate(trap, starts, 50.0, dynamics="logit:1", t_eval=[20.0, 45.0], backend="numpy")
    assert list(a.outcome) == list(b.outcome)
    assert np.abs(a.states - b.states).max() < 1e-8
    assert np.abs(a.steps - b.steps).max() <= 1  # (a decision at the margin may fall a step apart)


def test_a_stopped_orbit_does_not_depend_on_its_batch():
    """The stop is decided from the orbit alone: alone or among others, in chunks, the same states and steps."""
    pytest.importorskip("numba")
    trap = gk.load("platform-insurance").scenario("trap")
    starts = np.random.default_rng(2).uniform(size=(150, 3))
    whole = gk.simulate(trap, starts, 50.0, dynamics="logit:1", t_eval=[30.0])
    parts = gk.simulate(trap, starts, 50.0, dynamics="logit:1", t_eval=[30.0], chunk=7)
    alone = gk.simulate(trap, starts[17:18], 50.0, dynamics="logit:1", t_eval=[30.0])
    assert np.array_equal(whole.states, parts.states) and np.array_equal(whole.steps, parts.steps)
    assert np.array_equal(whole.states[17], alone.states[0]) and whole.steps[17] == alone.steps[0]


def test_long_horizons_cost_little_more_than_short_ones():
    """Once settled, an orbit stops: to t = 2000 costs about what it costs to t = 50 (without the stop, 40 times
    the steps in the tail)."""
    trap = gk.load("platform-insurance").scenario("trap")
    starts = np.random.default_rng(4).uniform(size=(20, 3))
    short = gk.simulate(trap, starts, 50.0, dynamics="logit:1")
    long = gk.simulate(trap, starts, 2000.0, dynamics="logit:1")
    assert list(short.outcome) == list(long.outcome)
    assert long.steps.mean() < 1.5 * short.steps.mean(), (long.steps.mean(), short.steps.mean())


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_a_share_heading_for_a_face_is_held_to_its_tolerance_there(backend, monkeypatch):
    """Third review: b beats a by 5e-6 under replicator-mutator:1e-14, so x_a creeps down to x* = 1e-9 (the root
    of the quadratic field, written here).  At the check x_a is still 5e-7, where a tolerance is 50 times the one
    at x*; measured there, the stop wrote a point 23-45 tolerances from x*.  The certificate now holds the outputs
    to the tolerances at the Newton point."""
    if backend == "numba":
        pytest.importorskip("numba")
    eps, mu, rt, at = 5e-6, 1e-14, 1e-6, 1e-14
    game = gk.Game({"players": ["a", "b"]}, {"a, a": [0.0], "a, b": [0.0], "b, a": [eps], "b, b": [eps]})
    a2, b1, c0 = (1 - mu) * eps, -((1 - mu) * eps + mu), mu / 2  # x_a' = a2 x^2 + b1 x + c0
    root = c0 / (a2 * (-b1 + np.sqrt(b1 * b1 - 4 * a2 * c0)) / (2 * a2))
    kw = dict(dynamics=f"replicator-mutator:{mu}", window=0.001, t_eval=[5e6], rtol=rt, atol=at, backend=backend)
    for x0 in (2e-7, 5e-7, 7e-7):
        ours = gk.simulate(game, [[x0]], 1e7, **kw)
        plain = _without_stop(monkeypatch, lambda: gk.simulate(game, [[x0]], 1e7, **kw))  # noqa: B023
        tol = at + rt * root
        for got, off in ((ours.final[0, 0], plain.final[0, 0]), (ours.states[0, 0, 0], plain.states[0, 0, 0])):
            assert abs(got - root) / tol <= abs(off - root) / tol + settle.SETTLE, (x0, got, off, root)
        assert ours.steps[0] < plain.steps[0] and ours.outcome[0] == plain.outcome[0]


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_a_qre_a_hair_from_a_vertex_keeps_its_label_when_stopped(backend, monkeypatch):
    """Third review: under logit:0.003 the stable QRE of this 4-strategy game is 1e-13 or less from the vertex a.
    Stopped, its top share rounds to exactly 1.0, and the orbit was labelled with the pure profile 'a' where the
    same orbit integrated to the end gets '(1, 0, 0, 0)'.  A logit QRE is interior, so it is never a pure profile's
    label (``Dynamics.interior``)."""
    if backend == "numba":
        pytest.importorskip("numba")
    A = [[1.3856470744961586, 0.8219243366604353, 0.6273764788355353, 0.4017070914409699],
         [0.955669564448635, -1.3319798395431022, 0.6139296582498643, 0.6027768335334479],
         [-1.7677185771429749, 0.34703010205437973, -0.2504213467099684, 0.7815226960616993],
         [-0.4390621876376686, -0.01824085764910033, 0.3428515173176555, -0.8762616887442077]]  # fmt: skip
    names = "abcd"
    game = gk.Game({"players": list(names)}, {f"{names[i]}, {names[j]}": [A[i][j]] for i in range(4) for j in range(4)})
    starts = [[0.3724, 0.0914, 0.3092, 0.2270], [0.6022, 0.0843, 0.0659, 0.2476], [0.1540, 0.4681, 0.2457, 0.1322]]
    kw = dict(dynamics="logit:0.003", window=0.001, rtol=1e-8, atol=1e-12, backend=backend)
    ours = gk.simulate(game, starts, 2000.0, **kw)
    plain = _without_stop(monkeypatch, lambda: gk.simulate(game, starts, 2000.0, **kw))
    assert list(ours.outcome) == list(plain.outcome) == ["(1, 0, 0, 0)"] * 3
    assert ours.steps.max() < plain.steps.min()


def test_a_saddle_is_not_stopped():
    """An orbit at the saddle QRE of a coordination game (logit:0.1) is not stopped there (its linearisation is not
    stable) and not called converged; the orbits beside it reach the stable QREs, stopped or not, alike."""
    game = gk.Game({"row": ["a", "b"], "col": ["a", "b"]},
                   {"a, a": [1, 1], "a, b": [0, 0], "b, a": [0, 0], "b, b": [1, 1]})  # fmt: skip
    starts = [[0.5, 0.5], [0.9, 0.9], [0.1, 0.1], [0.6, 0.3]]
    for backend in ("numba", "numpy"):
        traj = gk.simulate(game, starts, 100.0, dynamics="logit:0.1", backend=backend)
        assert list(traj.converged) == [False, True, True, True]
        assert traj.outcome[0] == "unresolved"
        assert np.allclose(traj.final[0], [0.5, 0.5], atol=1e-12)


def test_no_orbit_stops_before_the_last_phase_of_a_schedule(monkeypatch):
    """Trap values until t = 40, then the meta-goal's: orbits settled at the trap's QRE by t = 25 move on to the
    meta-goal's, as orbits integrated without the stop at rtol 1e-12 do."""
    platform = gk.load("platform-insurance")
    starts = np.random.default_rng(9).uniform(size=(12, 3))

    def run(**kw):
        return gk.simulate(platform.scenario("trap"), starts, 80.0, dynamics="logit:1", t_eval=[30.0],
                           schedule=[(40.0, "meta_goal")], **kw)  # fmt: skip

    ref = _without_stop(monkeypatch, lambda: run(rtol=1e-12, atol=1e-14))
    ours = run(rtol=RTOL, atol=ATOL)
    trap_only = gk.simulate(platform.scenario("trap"), starts, 80.0, dynamics="logit:1")
    assert list(ours.outcome) == list(ref.outcome) and set(ours.outcome).isdisjoint(trap_only.outcome)
    assert np.abs(ours.final - ref.final).max() < 10 * RTOL
    assert np.abs(ours.states - ref.states).max() < 10 * RTOL


# ----------------------------------------------------------------------------- found by a hostile review


_COORDINATION = {"a, a": [1], "a, b": [0], "b, a": [0], "b, b": [1]}


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize(
    "case",
    [
        # a pitchfork (logit:0.5): the centre is not hyperbolic, orbits creep in like 1 / sqrt(t); a linearisation off
        # the centre looks stable, and the window is far away -- the field at the Newton point shows the curvature
        ("coordination", "logit:0.5", 1e5, dict(window=0.01)),
        ("coordination", "logit:0.5001", 1e5, dict(window=0.01)),
        # a slow rest point, the window far away: the Newton point itself must be within the tolerance
        ("coordination", "logit:0.501", 1e4, dict(window=0.001)),
        # slow along the simplex, fast off it: the field at the check must be taken on the simplex (a step's last
        # stage is not: with it the Newton step was 1,000 times too short)
        ("coordination", "logit:0.51", 1e3, {}),
        # a stable focus: the stopped state lands within 1e-10 of it, where the polish must still call it a rest point
        ("rps", "replicator-mutator:0.2", 2e3, dict(t_eval=[100.0, 1000.0, 2000.0])),
    ],
)
def test_the_stop_changes_no_label_and_no_output_beyond_a_tolerance(case, backend, monkeypatch):
    if backend == "numba":
        pytest.importorskip("numba")
    name, dyn, t_end, extra = case
    if name == "coordination":
        game, starts = gk.Game({"players": ["a", "b"]}, _COORDINATION), np.array([[0.6], [0.45]])
    else:
        game = gk.load("rock-paper-scissors").scenario("bad")
        starts = StateSpace(game.shape).sample(20, np.random.default_rng(2))

    def run(**kw):
        return gk.simulate(game, starts, t_end, dynamics=dyn, backend=backend, **extra, **kw)

    ref = _without_stop(monkeypatch, lambda: run(rtol=1e-12, atol=1e-14))
    plain = _without_stop(monkeypatch, lambda: run(rtol=RTOL, atol=ATOL))
    ours = run(rtol=RTOL, atol=ATOL)
    assert list(ours.outcome) == list(plain.outcome) and np.array_equal(ours.converged, plain.converged)
    tol = ATOL + RTOL * np.abs(ref.final)
    assert (np.abs(ours.final - ref.final) / tol).max() <= (np.abs(plain.final - ref.final) / tol).max() + 1.0


def test_no_stop_where_a_tolerance_is_coarser_than_the_classification():
    """atol 1e-3 against converge_tol 1e-4: a stop within one tolerance could show a window the exact orbit does not
    (a second review: 'unresolved' orbits called converged), so orbits are integrated to the end."""
    game = gk.Game({"players": ["a", "b"]}, _COORDINATION)
    starts = np.linspace(0.05, 0.95, 7)[:, None]
    for backend in ("numba", "numpy"):
        ours = gk.simulate(game, starts, 1e3, dynamics="logit:0.4999", rtol=1e-8, atol=1e-3, backend=backend)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(settle, "SETTLE", 0.0)
            plain = gk.simulate(game, starts, 1e3, dynamics="logit:0.4999", rtol=1e-8, atol=1e-3, backend=backend)
        assert np.array_equal(ours.steps, plain.steps) and list(ours.outcome) == list(plain.outcome)
