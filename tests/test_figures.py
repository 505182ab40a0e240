"""Phase portraits on a face and ternary simplex portraits: the artists they draw, checked against the mathematics.

Oracles: the inspection game's closed-form field and nullclines (its model file's docstring), and the
rock-paper-scissors payoff matrix written out here; neither goes through gamekit's payoff code.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gamekit as gk
from gamekit.errors import ArgumentError, StateError

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from gamekit import plot  # noqa: E402

INSPECTION = gk.load("inspection-dynamic-fine")  # c = 1, F = 4, g = 1
PLATFORM = gk.load("platform-insurance").scenario("trap")
RPS = gk.load("rock-paper-scissors")  # w = 2, l = 1


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _inspection_field(x, y, c=1.0, F=4.0, g=1.0):
    return x * (1 - x) * (F * y**2 - c), y * (1 - y) * (g - F * x * y)


def _rps_field(x, w=2.0, loss=1.0):
    A = np.array([[0, -loss, w], [w, 0, -loss], [-loss, w, 0]])
    u = x @ A.T
    return x * (u - np.sum(x * u, axis=1, keepdims=True))


def _by_gid(ax, gid, kind="lines"):
    return [a for a in getattr(ax, kind) if a.get_gid() == gid]


def _png(fig, tmp_path, name):
    path = tmp_path / name
    fig.savefig(path, dpi=80)
    assert path.stat().st_size > 10_000
    return path


def _check_marker(line, label):
    assert line.get_label() == label
    if label == "asymptotically stable":
        assert (line.get_marker(), line.get_fillstyle()) == ("o", "full")
        assert matplotlib.colors.same_color(line.get_markerfacecolor(), "k")
    elif label == "unstable":
        assert (line.get_marker(), line.get_fillstyle()) == ("o", "none")
    elif label == "saddle":
        assert (line.get_marker(), line.get_fillstyle()) == ("o", "left")
    elif label == "non-hyperbolic":
        assert (line.get_marker(), line.get_fillstyle()) == ("D", "none")
    else:
        raise AssertionError(f"unexpected label {label}")


def test_inspection_portrait_marks_every_rest_point_by_its_label(tmp_path):
    eqs = gk.equilibria(INSPECTION)
    fig = plot.phase_portrait(INSPECTION, ("inspector", "firm"))
    _png(fig, tmp_path, "inspection.png")
    ax = fig.axes[0]
    marks = _by_gid(ax, "rest-point")
    assert len(marks) == len(eqs) == 6  # four corners, (1, g/F) and the interior (g/sqrt(cF), sqrt(c/F))
    where = {(round(float(m.get_xdata()[0]), 9), round(float(m.get_ydata()[0]), 9)): m for m in marks}
    for eq in eqs:
        m = where[(round(eq.state[0][0], 9), round(eq.state[1][0], 9))]
        _check_marker(m, str(eq.stability))
    # the closed form: the interior (1/2, 1/2) is a stable focus, (inspect, comply) = (1, 0) a source
    _check_marker(where[(0.5, 0.5)], "asymptotically stable")
    _check_marker(where[(1.0, 0.0)], "unstable")
    _check_marker(where[(1.0, 0.25)], "saddle")
    assert ax.get_xlabel() == "inspector: share playing inspect"
    assert ax.get_ylabel() == "firm: share playing violate"


def test_inspection_nullclines_are_the_closed_form_curves():
    fig = plot.phase_portrait(INSPECTION)
    ax = fig.axes[0]
    (ca,) = _by_gid(ax, "nullcline-a", "collections")
    (cb,) = _by_gid(ax, "nullcline-b", "collections")
    assert len(_by_gid(ax, "nullcline-a", "collections") + _by_gid(ax, "nullcline-b", "collections")) == 2
    va = np.vstack([p.vertices for p in ca.get_paths()])
    vb = np.vstack([p.vertices for p in cb.get_paths()])
    assert len(va) > 10 and len(vb) > 10
    np.testing.assert_allclose(va[:, 1], np.sqrt(1 / 4), atol=1e-3)  # xdot = 0 inside: F y^2 = c
    np.testing.assert_allclose(vb[:, 0] * vb[:, 1], 1 / 4, atol=2e-3)  # ydot = 0 inside: F x y = g
    assert vb[:, 1].min() == pytest.approx(0.25, abs=1e-2) and vb[:, 0].min() == pytest.approx(0.25, abs=1e-2)


def test_streamlines_run_along_the_field():
    fig = plot.phase_portrait(INSPECTION, density=1.0)
    (lines,) = _by_gid(fig.axes[0], "vector-field", "collections")
    segs = [np.asarray(s) for s in lines.get_segments()]
    pieces = np.vstack([np.hstack([s[:-1], s[1:]]) for s in segs if len(s) > 1])
    step = pieces[:, 2:] - pieces[:, :2]
    mid = (pieces[:, 2:] + pieces[:, :2]) / 2
    fx, fy = _inspection_field(mid[:, 0], mid[:, 1])
    speed = np.hypot(fx, fy)
    length = np.hypot(step[:, 0], step[:, 1])
    keep = (speed > 1e-2) & (length > 1e-6)
    assert keep.sum() > 500
    cos = (step[keep, 0] * fx[keep] + step[keep, 1] * fy[keep]) / (length[keep] * speed[keep])
    assert np.mean(cos > 0.9) > 0.99  # every streamline piece points the way the closed-form field does
    assert np.all(cos > 0)


def test_platform_face_with_workers_claiming(tmp_path):
    eqs = gk.equilibria(PLATFORM)
    on_face = [eq for eq in eqs if eq.state[2] == (1.0, 0.0)]  # workers claim
    t = gk.simulate(PLATFORM, np.array([[0.3, 0.6, 1.0], [0.7, 0.2, 1.0]]), 5, t_eval=np.linspace(0, 5, 50))
    fig = plot.phase_portrait(PLATFORM, ("government", "platform"), fixed={"workers": "claim"}, orbits=t)
    _png(fig, tmp_path, "platform.png")
    ax = fig.axes[0]
    marks = _by_gid(ax, "rest-point")
    assert len(marks) == len(on_face) == 5  # the four corners and the centre (11/21, 10/11)
    for m in marks:
        (eq,) = [
            e for e in on_face if np.allclose([e.state[0][0], e.state[1][0]], [m.get_xdata()[0], m.get_ydata()[0]])
        ]
        _check_marker(m, str(eq.stability))
    assert sorted(m.get_label() for m in marks).count("non-hyperbolic") == 1
    orbits = _by_gid(ax, "orbit")
    assert len(orbits) == 2
    np.testing.assert_allclose(orbits[0].get_xydata(), t.states[0][:, :2])
    assert ax.get_title() == "workers = claim"
    (ca,) = _by_gid(ax, "nullcline-a", "collections")
    np.testing.assert_allclose(np.vstack([p.vertices for p in ca.get_paths()])[:, 1], 10 / 11, atol=1e-9)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(-5, 5), min_size=8, max_size=8))
def test_random_bimatrix_game_streamlines_and_rest_points(table):
    """A random 2x2 bimatrix game (A, B): x' = x (1 - x) (A y)_1 - (A y)_2, y' = y (1 - y) (B^T x)_1 - (B^T x)_2."""
    A = np.array(table[:4], dtype=float).reshape(2, 2)
    B = np.array(table[4:], dtype=float).reshape(2, 2)
    payoffs = {f"{r}, {c}": [int(A[i, j]), int(B[i, j])] for i, r in enumerate("TB") for j, c in enumerate("LR")}
    game = gk.Game({"row": ["T", "B"], "column": ["L", "R"]}, payoffs)
    eqs = gk.equilibria(game)
    fig = plot.phase_portrait(game, rest_points=eqs)
    ax = fig.axes[0]
    assert len(_by_gid(ax, "rest-point")) == len(eqs)
    lines = _by_gid(ax, "vector-field", "collections")
    if not lines:  # no field to draw: every state is at rest
        assert not (A[0] - A[1]).any() and not (B[:, 0] - B[:, 1]).any()
        return
    segs = [np.asarray(s) for s in lines[0].get_segments() if len(s) > 1]
    pieces = np.vstack([np.hstack([s[:-1], s[1:]]) for s in segs])
    step = pieces[:, 2:] - pieces[:, :2]
    x, y = ((pieces[:, 2:] + pieces[:, :2]) / 2).T
    fx = x * (1 - x) * ((A[0, 0] - A[1, 0]) * y + (A[0, 1] - A[1, 1]) * (1 - y))
    fy = y * (1 - y) * ((B[0, 0] - B[0, 1]) * x + (B[1, 0] - B[1, 1]) * (1 - x))
    speed, length = np.hypot(fx, fy), np.hypot(step[:, 0], step[:, 1])
    keep = (speed > 0.05 * speed.max()) & (length > 1e-6)
    cos = (step[keep, 0] * fx[keep] + step[keep, 1] * fy[keep]) / (length[keep] * speed[keep])
    assert np.all(cos > 0)
    plt.close(fig)


def test_a_slice_marks_only_the_rest_points_at_its_shares():
    fig = plot.phase_portrait(PLATFORM, ("government", "platform"), fixed={"workers": 1 / 3})
    ax = fig.axes[0]
    (m,) = _by_gid(ax, "rest-point")  # (1, 1/5, 1/3): the only rest point with a third of the workers claiming
    np.testing.assert_allclose([m.get_xdata()[0], m.get_ydata()[0]], [1.0, 0.2], atol=1e-9)
    _check_marker(m, "saddle")
    assert ax.get_title() == "workers = (0.333, 0.667)"


def test_simplex_rock_paper_scissors(tmp_path):
    eqs = gk.equilibria(RPS)
    t = gk.simulate(RPS, np.array([[0.8, 0.1, 0.1]]), 10, t_eval=np.linspace(0, 10, 100))
    fig = plot.simplex(RPS, orbits=t)
    _png(fig, tmp_path, "rps.png")
    ax = fig.axes[0]
    labels = _by_gid(ax, "vertex-label", "texts")
    assert [x.get_text() for x in labels] == ["rock", "paper", "scissors"]
    assert len(_by_gid(ax, "simplex", "patches")) == 1
    marks = _by_gid(ax, "rest-point")
    assert len(marks) == len(eqs) == 4
    assert sorted(m.get_label() for m in marks) == ["asymptotically stable"] + ["saddle"] * 3
    centre = [m for m in marks if m.get_label() == "asymptotically stable"][0]
    np.testing.assert_allclose([centre.get_xdata()[0], centre.get_ydata()[0]], [0.5, np.sqrt(3) / 6], atol=1e-9)
    for m in marks:
        _check_marker(m, m.get_label())
    # the arrows: invert the ternary map, evaluate the closed-form field, map its direction back
    (q,) = _by_gid(ax, "vector-field", "collections")
    xy = q.get_offsets()
    x2 = xy[:, 1] / (np.sqrt(3) / 2)
    x1 = xy[:, 0] - x2 / 2
    bary = np.column_stack([1 - x1 - x2, x1, x2])
    assert np.all(bary > 0)
    v = _rps_field(bary)
    direction = np.column_stack([v[:, 1] + v[:, 2] / 2, v[:, 2] * np.sqrt(3) / 2])
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    np.testing.assert_allclose(np.column_stack([q.U, q.V]), direction, atol=1e-9)
    (orbit,) = _by_gid(ax, "orbit")
    np.testing.assert_allclose(orbit.get_xydata()[:, 1], t.states[0][:, 2] * np.sqrt(3) / 2, atol=1e-12)


def test_figures_draw_on_the_given_axes_and_leave_global_style_alone():
    before = dict(matplotlib.rcParams)
    fig, (a, b) = plt.subplots(1, 2)
    assert plot.phase_portrait(INSPECTION, ax=a) is fig
    assert plot.simplex(RPS, ax=b) is fig
    assert dict(matplotlib.rcParams) == before


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: plot.phase_portrait(PLATFORM, ("government", "citizens"), fixed={"workers": "claim"}), "citizens"),
        (lambda: plot.phase_portrait(PLATFORM, ("government", "platform")), "fixed must give"),
        (lambda: plot.phase_portrait(PLATFORM, ("government", "platform"), fixed={"workers": "strike"}), "strike"),
        (lambda: plot.phase_portrait(PLATFORM, ("government", "government"), fixed={"workers": 1}), "twice"),
        (lambda: plot.phase_portrait(PLATFORM, (0, 1), fixed={"workers": 1.5}), "[0, 1]"),
        (lambda: plot.phase_portrait(PLATFORM, (0, 7), fixed={"workers": 1}), "no population 7"),
        (lambda: plot.phase_portrait(RPS), "simplex"),
        (lambda: plot.phase_portrait(gk.load("rock-paper-scissors-two-roles")), "a face axis needs two"),
        (lambda: plot.phase_portrait(INSPECTION, density=0), "density"),
        (lambda: plot.phase_portrait("inspection"), "game must be"),
        (lambda: plot.simplex(gk.load("hawk-dove")), "three strategies"),
        (lambda: plot.simplex(PLATFORM), "population must name"),
        (lambda: plot.simplex(PLATFORM, "platform", fixed={"workers": "claim", "government": "relax"}), "three"),
        (lambda: plot.simplex(RPS, orbits=[1, 2]), "Trajectory"),
        (lambda: plot.simplex(RPS, resolution=2), "resolution"),
    ],
)
def test_bad_input_is_one_line(call, message):
    with pytest.raises(ArgumentError) as err:
        call()
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_orbits_need_recorded_states():
    t = gk.simulate(INSPECTION, np.array([[0.3, 0.3]]), 1)
    with pytest.raises(StateError, match="t_eval"):
        plot.phase_portrait(INSPECTION, orbits=t)
