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


# ----------------------------------------------------------------------------------------------------------------
# Every figure of gk.plot: palette, data, the caller's axes, global style, nothing outside the figure.
# Oracles: closed forms written here (logistic growth under a dominant strategy; the first integral of a 2x2
# bimatrix game with a centre), the model's exact boundaries (R = 3, K = 3), and the results the figure draws.

HAWK_DOVE = gk.load("hawk-dove")


def _dominant_game(c=1.5, d=-0.5):
    """Row's T earns c more than B whatever column does, column's L earns d more than R: x' = c x (1 - x),
    y' = d y (1 - y), so x(t) and y(t) are logistic curves."""
    payoffs = {"T, L": [c, d], "T, R": [c, 0], "B, L": [0, d], "B, R": [0, 0]}
    return gk.Game({"row": ["T", "B"], "column": ["L", "R"]}, payoffs)


def _logistic(x0, rate, t):
    return x0 * np.exp(rate * t) / (1 - x0 + x0 * np.exp(rate * t))


def _inside(fig):
    """Every axis label, title, tick label and legend lies within the figure (nothing cut off by the canvas), and a
    legend placed outside its axes does not cover them."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    texts = []
    for ax in fig.axes:
        texts += [ax.xaxis.label, ax.yaxis.label, ax.title]
        for axis in (ax.xaxis, ax.yaxis):  # the tick labels drawn: those of ticks within the view
            lo, hi = sorted(axis.get_view_interval())
            slack = 1e-9 * (hi - lo)
            texts += [
                t.label1
                for t in axis.get_major_ticks()
                if lo - slack <= t.get_loc() <= hi + slack and t.label1.get_visible()
            ]
        legend = ax.get_legend()
        if legend is not None:
            ext = legend.get_window_extent(renderer)
            assert ext.x0 >= box.x0 - 1 and ext.x1 <= box.x1 + 1 and ext.y0 >= box.y0 - 1 and ext.y1 <= box.y1 + 1
            if legend.get_bbox_to_anchor().x0 >= ax.get_window_extent(renderer).x1:  # placed beside the axes
                assert ext.x0 >= ax.get_window_extent(renderer).x1 - 1
    for legend in fig.legends:
        ext = legend.get_window_extent(renderer)
        assert ext.y1 <= box.y1 + 1 and ext.x0 >= box.x0 - 1 and ext.x1 <= box.x1 + 1
        for ax in fig.axes:  # the key in the figure's margin covers no panel
            a = ax.get_window_extent(renderer)
            assert ext.x1 <= a.x0 + 1 or ext.x0 >= a.x1 - 1 or ext.y1 <= a.y0 + 1 or ext.y0 >= a.y1 - 1
    for t in texts:
        if not t.get_text():
            continue
        ext = t.get_window_extent(renderer)
        assert ext.x0 >= box.x0 - 1 and ext.x1 <= box.x1 + 1 and ext.y0 >= box.y0 - 1 and ext.y1 <= box.y1 + 1, (
            t.get_text()
        )


def _key(fig):
    """The figure's key: its axes legend (drawn on the caller's axes) or its figure legend (a figure of its own)."""
    keys = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None] + list(fig.legends)
    assert len(keys) == 1
    return keys[0]


def _distinct_in_grey(lines):
    """Curves of different kinds differ in dash pattern or marker, not only in colour."""
    kinds = {(str(line.get_linestyle()), line.get_marker()) for line in lines}
    assert len(kinds) == len({line.get_color() for line in lines})


def test_time_series_per_scenario_draws_each_populations_share(tmp_path):
    game = gk.load("platform-insurance")
    t = np.linspace(0, 30, 121)
    runs = {name: gk.simulate(game.scenario(name), [[0.5, 0.5, 0.5]], 30, t_eval=t) for name in game.scenarios}
    fig = plot.time_series(runs)
    _png(fig, tmp_path, "series.png")
    _inside(fig)
    assert [a.get_title() for a in fig.axes] == list(game.scenarios)
    for ax, name in zip(fig.axes, game.scenarios):
        lines = _by_gid(ax, "series")
        assert len(lines) == 3
        for k, line in enumerate(lines):
            np.testing.assert_array_equal(line.get_xdata(), runs[name].t)
            np.testing.assert_array_equal(line.get_ydata(), runs[name].states[0, :, k])
            assert line.get_color() == plot.PALETTE[k] and line.get_marker() == plot.MARKERS[k]
            assert line.get_linestyle() == matplotlib.lines.Line2D([], [], linestyle=plot.LINESTYLES[k]).get_linestyle()
        _distinct_in_grey(lines)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "government (regulate)", "platform (insure)", "workers (claim)"
    ]  # fmt: skip

    fig = plot.time_series(runs, panels="population")
    _inside(fig)
    assert [a.get_title() for a in fig.axes] == ["government (regulate)", "platform (insure)", "workers (claim)"]
    for c, ax in enumerate(fig.axes):
        lines = _by_gid(ax, "series")
        for k, (name, line) in enumerate(zip(game.scenarios, lines)):
            np.testing.assert_array_equal(line.get_ydata(), runs[name].states[0, :, c])
            assert line.get_color() == plot.PALETTE[k]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == list(game.scenarios)


def test_time_series_curves_are_the_closed_form_logistic():
    game = _dominant_game()
    t = np.linspace(0, 8, 81)
    starts = np.array([[0.1, 0.9], [0.4, 0.6]])
    fig = plot.time_series(gk.simulate(game, starts, 8, t_eval=t))
    (ax,) = fig.axes
    assert ax.get_title() == ""
    lines = _by_gid(ax, "series")
    assert len(lines) == 4  # two shares x two orbits; an orbit's curves share its share's style
    for line, (x0, rate) in zip(lines, [(0.1, 1.5), (0.4, 1.5), (0.9, -0.5), (0.6, -0.5)]):
        np.testing.assert_allclose(line.get_ydata(), _logistic(x0, rate, t), atol=1e-7)
    assert [line.get_color() for line in lines] == [plot.PALETTE[0]] * 2 + [plot.PALETTE[1]] * 2
    assert [line.get_label() for line in lines][::2] == ["row (T)", "column (L)"]


def test_time_series_of_a_three_strategy_population_and_given_axes():
    t = np.linspace(0, 5, 51)
    runs = {"w = 2": gk.simulate(RPS, [[0.6, 0.3, 0.1]], 5, t_eval=t)}
    fig, axes = plt.subplots(1, 3)
    assert plot.time_series(runs, ax=axes, panels="population") is fig
    assert [a.get_title() for a in axes] == ["players (rock)", "players (paper)", "players (scissors)"]
    for c, a in enumerate(axes):
        np.testing.assert_array_equal(_by_gid(a, "series")[0].get_ydata(), runs["w = 2"].states[0, :, c])
    assert [t.get_text() for t in axes[0].get_legend().get_texts()] == ["w = 2"]
    with pytest.raises(ArgumentError, match="3 panels, got 1 Axes"):
        plot.time_series(runs, ax=axes[0], panels="population")


@pytest.mark.parametrize(
    ("runs", "kwargs", "message"),
    [
        ("x", {}, "runs must be a Trajectory or a dict"),
        ({}, {}, "at least one"),
        ({"a": 1}, {}, "runs['a'] must be a Trajectory"),
        ({1: None}, {}, "name must be a string"),
        (None, {"panels": "time"}, "panels"),
        (None, {"orbits": [5]}, "orbits must be indices"),
    ],
)
def test_time_series_bad_input_is_one_line(runs, kwargs, message):
    traj = gk.simulate(HAWK_DOVE, [[0.3]], 1, t_eval=[0, 1])
    with pytest.raises(ArgumentError) as err:
        plot.time_series(traj if runs is None else runs, **kwargs)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_time_series_refuses_final_states_and_mixed_games():
    with pytest.raises(StateError, match="t_eval"):
        plot.time_series({"trap": gk.simulate(PLATFORM, [[0.5, 0.5, 0.5]], 1)})
    a = gk.simulate(PLATFORM, [[0.5, 0.5, 0.5]], 1, t_eval=[0, 1])
    b = gk.simulate(HAWK_DOVE, [[0.5]], 1, t_eval=[0, 1])
    with pytest.raises(ArgumentError, match="one game"):
        plot.time_series({"platform": a, "hawk-dove": b})


def _centre_game(p, q, r, s):
    """A 2x2 bimatrix game with a centre: row's gain p y - q (1 - y) rises with y, column's s (1 - x) - r x falls
    with x.  H(x, y) = s ln x + r ln(1 - x) + q ln y + p ln(1 - y) is constant along every orbit
    (dH/dt = gain_col * gain_row - gain_row * gain_col = 0)."""
    payoffs = {"T, L": [p, -r], "T, R": [-q, 0], "B, L": [0, s], "B, R": [0, 0]}
    game = gk.Game({"row": ["T", "B"], "column": ["L", "R"]}, payoffs)

    def H(x, y):
        return s * np.log(x) + r * np.log(1 - x) + q * np.log(y) + p * np.log(1 - y)

    return game, H, (s / (r + s), q / (p + q))


def _winding_number(xy, centre):
    angle = np.unwrap(np.arctan2(xy[:, 1] - centre[1], xy[:, 0] - centre[0]))
    return (angle[-1] - angle[0]) / (2 * np.pi)


@settings(max_examples=6, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=4, max_size=4))
def test_cycles_around_a_centre_are_level_sets_of_the_first_integral(pqrs):
    game, H, centre = _centre_game(*pqrs)
    fig = plot.phase_portrait(game, cycles=3)
    cycles = _by_gid(fig.axes[0], "cycle")
    assert 1 <= len(cycles) <= 3
    levels = []
    for line in cycles:
        xy = line.get_xydata()
        np.testing.assert_allclose(xy[0], xy[-1], atol=1e-4)  # closed
        assert abs(abs(_winding_number(xy, centre)) - 1) < 1e-6  # once around the centre
        h = H(xy[:, 0], xy[:, 1])
        assert np.ptp(h) < 1e-4  # on one level set of H: an orbit of the field, not a drawn ellipse
        levels.append(h.mean())
    assert len(levels) == len(set(np.round(levels, 3)))  # nested, distinct cycles
    plt.close(fig)


def test_no_cycles_around_a_focus_on_a_slice_or_when_not_asked():
    assert not _by_gid(plot.phase_portrait(INSPECTION).axes[0], "cycle")  # a stable focus: orbits spiral in
    game, _, _ = _centre_game(1, 1, 1, 1)
    assert not _by_gid(plot.phase_portrait(game, cycles=0).axes[0], "cycle")
    assert not _by_gid(
        plot.phase_portrait(PLATFORM, ("government", "platform"), fixed={"workers": 0.5}).axes[0], "cycle"
    )  # a slice is not invariant: its arrows are a projection, not orbits


def test_platform_face_cycles_wind_around_the_centre(tmp_path):
    fig = plot.phase_portrait(PLATFORM, ("government", "platform"), fixed={"workers": "claim"})
    _png(fig, tmp_path, "platform-cycles.png")
    _inside(fig)
    cycles = _by_gid(fig.axes[0], "cycle")
    assert len(cycles) == 3
    for line in cycles:
        xy = line.get_xydata()
        np.testing.assert_allclose(xy[0], xy[-1], atol=1e-4)
        assert abs(abs(_winding_number(xy, (11 / 21, 10 / 11))) - 1) < 1e-6
        assert xy.min() > 0 and xy.max() < 1
        assert line.get_color() == plot.PALETTE[0]
    assert "closed orbits" in [t.get_text() for t in _key(fig).get_texts()]


def test_regime_map_colours_hatches_and_boundaries(tmp_path):
    m = gk.regime_map(gk.load("platform-insurance"), ("R", 0, 8), ("K", 0, 8), base="trap", resolution=41)
    fig = plot.regime_map(m)
    _png(fig, tmp_path, "regimes.png")
    _inside(fig)
    ax = fig.axes[0]
    (mesh,) = _by_gid(ax, "regimes", "collections")
    np.testing.assert_array_equal(np.asarray(mesh.get_array()).reshape(m.codes.shape), m.codes)
    for i, regime in enumerate(m.regimes):
        colour = mesh.cmap(mesh.norm(i))
        if regime == "none":
            assert matplotlib.colors.same_color(colour, (0.9, 0.9, 0.9))
        else:  # a tint of the palette's i-th colour over white
            base = np.array(matplotlib.colors.to_rgb(plot.PALETTE[i]))
            np.testing.assert_allclose(colour[:3], plot.TINT * base + 1 - plot.TINT, atol=1e-6)
    patches = _key(fig).get_patches()
    assert [t.get_text() for t in _key(fig).get_texts()] == [*m.regimes, plot.BOUNDARY_LABEL]
    assert len({p.get_hatch() for p in patches}) == len(m.regimes)  # regions apart in grey print
    boundaries = _by_gid(ax, "boundary", "collections")
    vertices = [np.vstack([p.vertices for p in b.get_paths()]) for b in boundaries]
    assert any(np.allclose(v[:, 0], 3, atol=1e-9) for v in vertices)  # R = 3
    assert any(np.allclose(v[:, 1], 3, atol=1e-9) for v in vertices)  # K = 3


def test_basin_bars_are_the_shares_and_their_intervals(tmp_path):
    b = gk.basins(PLATFORM, 300, rng=0, t_end=80)
    frame = b.to_frame()
    fig = plot.basins(b)
    _png(fig, tmp_path, "basins.png")
    _inside(fig)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_gid() == "basin"]
    assert len(bars) == len(frame) >= 2
    np.testing.assert_allclose([bar.get_width() for bar in bars], frame.share)
    assert [matplotlib.colors.to_hex(bar.get_facecolor()) for bar in bars] == [
        plot.PALETTE[i].lower() for i in range(len(frame))
    ]
    assert len({bar.get_hatch() for bar in bars}) == len(bars)
    (errors,) = [c for c in ax.collections if isinstance(c, matplotlib.collections.LineCollection)]
    ends = np.array([seg[:, 0] for seg in errors.get_segments()])
    np.testing.assert_allclose(np.sort(ends, axis=1), frame[["ci_low", "ci_high"]].to_numpy(), atol=1e-12)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(frame.outcome)
    assert sum(ax.texts[i].get_text() == f"{s:.1%}" for i, s in enumerate(frame.share)) == len(frame)


def test_orbits3d_styles_orbits_by_outcome_and_marks_rest_points(tmp_path):
    eqs = gk.equilibria(PLATFORM)
    starts = np.random.default_rng(3).uniform(0.05, 0.95, size=(8, 3))
    traj = gk.simulate(PLATFORM, starts, 30, t_eval=np.linspace(0, 30, 151))
    fig = plot.orbits3d(traj, rest_points=eqs)
    _png(fig, tmp_path, "cube.png")
    ax = fig.axes[0]
    orbits = _by_gid(ax, "orbit")
    assert len(orbits) == 8
    order = list(dict.fromkeys(traj.outcome))
    for r, line in enumerate(orbits):
        xs, ys, zs = line.get_data_3d()
        np.testing.assert_array_equal(np.column_stack([xs, ys, zs]), traj.states[r])
        assert line.get_color() == plot.PALETTE[order.index(traj.outcome[r])]
    marks = _by_gid(ax, "rest-point")
    assert len(marks) == len(eqs)
    for m, eq in zip(marks, eqs):
        np.testing.assert_allclose(np.ravel(m.get_data_3d()), [s[0] for s in eq.state])
        _check_marker(m, str(eq.stability))
    legend = [t.get_text() for t in _key(fig).get_texts()]
    assert legend[: len(order)] == order


def test_bifurcation_diagram_draws_the_branches():
    diagram = gk.continuation(PLATFORM, "R", (0, 8))
    fig = plot.bifurcation(diagram, share="platform.insure")
    _inside(fig)
    ax = fig.axes[0]
    points = {(round(float(p.value), 9), round(float(np.concatenate(p.state)[2]), 9)) for b in diagram.branches
              for p in b.points}  # fmt: skip
    for line in _by_gid(ax, "branch"):
        for x, y in line.get_xydata():
            assert (round(x, 9), round(y, 9)) in points  # every vertex is a rest point of the continuation
        assert line.get_color() in (plot.PALETTE[0], plot.PALETTE[1], "#999999")
        assert (line.get_color() == plot.PALETTE[0]) == (line.get_linestyle() == "-")  # stable: solid blue
    assert len(_by_gid(ax, "bifurcation")) == len(diagram.bifurcations)


def test_hitting_probability_is_the_curve_with_its_band():
    paths = gk.simulate(PLATFORM, [[0.7, 0.3, 0.3]] * 200, 10, noise={"platform.insure": 0.5}, rng=1)
    fig = plot.hitting_probability(paths, "trap", times=np.linspace(0, 10, 21))
    curve = paths.probability_curve("trap", np.linspace(0, 10, 21))
    (line,) = fig.axes[0].lines
    np.testing.assert_array_equal(line.get_ydata(), curve.probability)
    assert line.get_color() == plot.PALETTE[0]
    (band,) = fig.axes[0].collections
    assert matplotlib.colors.same_color(band.get_facecolor()[0][:3], plot.PALETTE[0])
    with pytest.raises(ArgumentError, match="NoisyPaths"):
        plot.hitting_probability(gk.simulate(PLATFORM, [[0.5, 0.5, 0.5]], 1), "trap")


def _every_figure():
    """(name, call(ax), a 3-D axes?) for each figure function of gk.plot, on small inputs."""
    game = gk.load("platform-insurance")
    t = np.linspace(0, 10, 21)
    traj = gk.simulate(PLATFORM, [[0.3, 0.6, 0.4], [0.7, 0.2, 0.8]], 10, t_eval=t)
    sens = gk.sensitivity(PLATFORM, "F", [5, 15], initial=(0.5, 0.5, 0.5), t_end=10, t_eval=t)
    smap = gk.sensitivity_map(PLATFORM, {"F": [5, 10], "R": [1, 4]}, share="platform.insure", t_end=5)
    regimes = gk.regime_map(game, ("R", 0, 8), ("K", 0, 8), base="trap", resolution=21)
    frame = gk.basins(PLATFORM, 50, rng=0, t_end=40)
    diagram = gk.continuation(HAWK_DOVE, "V", (0.5, 3))
    noisy = gk.simulate(PLATFORM, [[0.7, 0.3, 0.3]] * 20, 5, noise={"platform.insure": 0.5}, rng=1)
    route = gk.follow(game, "phased", [[0.95, 0.05, 0.05]], 60, "meta-goal", points=61)
    line = gk.sweep(PLATFORM, {"R": [1, 4]}, n=10, t_end=20, progress=False)
    grid = gk.sweep(PLATFORM, {"R": [1, 4], "K": [2, 4]}, n=10, t_end=20, progress=False)
    protocols = {d: gk.simulate(PLATFORM, [[0.5] * 3], 10, t_eval=t, dynamics=d) for d in ("replicator", "smith")}
    return [
        ("orbits3d", lambda ax: plot.orbits3d(traj, ax=ax), True),
        ("trajectories", lambda ax: plot.trajectories(traj, ax=ax), False),
        ("time_series", lambda ax: plot.time_series({"trap": traj}, ax=ax), False),
        ("phase_portrait", lambda ax: plot.phase_portrait(INSPECTION, ax=ax), False),
        ("simplex", lambda ax: plot.simplex(RPS, ax=ax), False),
        ("sensitivity", lambda ax: plot.sensitivity(sens, ax=None if ax is None else [ax] * 3), False),
        ("sensitivity_map", lambda ax: plot.sensitivity_map(smap, ax=ax), False),
        ("regime_map", lambda ax: plot.regime_map(regimes, ax=ax), False),
        ("basins", lambda ax: plot.basins(frame, ax=ax), False),
        ("bifurcation", lambda ax: plot.bifurcation(diagram, ax=ax), False),
        ("hitting_probability", lambda ax: plot.hitting_probability(noisy, "trap", ax=ax), False),
        ("path", lambda ax: plot.path(route, ax=ax), False),
        ("sweep", lambda ax: plot.sweep(line, ax=ax), False),
        ("sweep", lambda ax: plot.sweep(grid, "trap", ax=ax), False),
        ("compare_dynamics", lambda ax: plot.compare_dynamics(protocols, ax=None if ax is None else [ax] * 3), False),
    ]


def test_every_figure_draws_on_the_given_axes_and_leaves_global_style_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("a figure called show()"))
    figures = _every_figure()
    functions = {name for name in plot.__all__ if name.islower()}
    assert {name for name, _, _ in figures} == functions  # every public figure is checked here
    before = dict(matplotlib.rcParams)
    for name, call, three_d in figures:
        fig = plt.figure()
        ax = fig.add_subplot(projection="3d" if three_d else None)
        assert call(ax) is fig, name
        assert ax.has_data() or ax.collections or ax.patches, name
        fig.savefig(tmp_path / f"{name}.png", dpi=60)
        plt.close(fig)
        own = call(None)  # a figure of its own: a new one, laid out with nothing cut off
        assert own is not fig and own.get_layout_engine() is not None, name
        if not three_d:
            _inside(own)
        plt.close(own)
    assert dict(matplotlib.rcParams) == before


def test_every_figure_function_is_documented_and_takes_ax():
    import inspect

    for name in plot.__all__:
        obj = getattr(plot, name)
        if callable(obj) and name.islower():
            assert "ax" in inspect.signature(obj).parameters, name
            doc = inspect.getdoc(obj)
            assert "Parameters" in doc and "Returns" in doc and "Figure" in doc, name
            assert getattr(gk.plot, name) is obj


def test_simplex_draws_no_arrows_where_the_field_vanishes():
    """Against a column mixing rock, paper and scissors equally, every row strategy earns the same: the row's field
    is zero on the whole slice, so no arrow (and no zero-length dot) is drawn."""
    game = gk.load("rock-paper-scissors-two-roles")
    fig = plot.simplex(game, "row", fixed={"column": [1 / 3, 1 / 3, 1 / 3]})
    (q,) = _by_gid(fig.axes[0], "vector-field", "collections")
    assert len(q.get_offsets()) == 0
    (centre,) = _by_gid(fig.axes[0], "rest-point")
    np.testing.assert_allclose([centre.get_xdata()[0], centre.get_ydata()[0]], [0.5, np.sqrt(3) / 6], atol=1e-9)


def test_basin_bars_keep_the_callers_figure_size():
    fig, ax = plt.subplots(figsize=(4.0, 5.0), layout="constrained")
    plot.basins(gk.basins(HAWK_DOVE, 50, rng=0, t_end=20), ax=ax)
    assert tuple(fig.get_size_inches()) == (4.0, 5.0)


def test_simplex_cycles_of_zero_sum_rock_paper_scissors_keep_the_product_of_shares(tmp_path):
    """With w = l the payoff matrix is antisymmetric: the mean payoff x.Ax and the sum of the payoffs vanish, so
    d/dt (x1 x2 x3) = x1 x2 x3 (sum_i u_i - 3 x.Ax) = 0: each closed orbit is a level set of the product."""
    game = RPS.with_parameters(l=2)
    fig = plot.simplex(game)
    _png(fig, tmp_path, "rps-cycles.png")
    cycles = _by_gid(fig.axes[0], "cycle")
    assert len(cycles) == 3
    products = []
    for line in cycles:
        xy = line.get_xydata()
        x3 = xy[:, 1] / (np.sqrt(3) / 2)
        x2 = xy[:, 0] - x3 / 2
        x1 = 1 - x2 - x3
        product = x1 * x2 * x3
        assert np.ptp(product) < 1e-4 * product.mean()  # relative to the level
        np.testing.assert_allclose(xy[0], xy[-1], atol=1e-5)
        assert abs(abs(_winding_number(xy, (0.5, np.sqrt(3) / 6))) - 1) < 1e-6
        products.append(product.mean())
    assert len(set(np.round(products, 4))) == 3
    assert not _by_gid(plot.simplex(RPS).axes[0], "cycle")  # w > l: a stable focus, every orbit spirals in
    assert not _by_gid(plot.simplex(game, cycles=0).axes[0], "cycle")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: plot.sensitivity("x"), "result must be a Sensitivity"),
        (lambda: plot.sensitivity_map("x"), "result must be a SensitivityMap"),
        (lambda: plot.bifurcation("x"), "result must be a Continuation"),
        (lambda: plot.hitting_probability("x", "trap"), "paths must be NoisyPaths"),
        (lambda: plot.path("x"), "result must be a Path"),
        (lambda: plot.basins("x"), "frame must be a Basins result"),
        (lambda: plot.regime_map("x"), "m must be a RegimeMap"),
        (lambda: plot.sweep("x"), "result must be a SweepResult"),
        (lambda: plot.sweep(gk.sweep(PLATFORM, ["trap", "lag"], n=0)), "list of scenarios"),
        (lambda: plot.sweep(gk.sweep(PLATFORM, {"R": [1]}, n=0)), "n=0"),
        (lambda: plot.sweep(gk.sweep(PLATFORM, {"R": [1], "K": [1], "F": [1]}, n=0)), "one or two parameters"),
        (lambda: plot.compare_dynamics("x"), "runs must be a dict"),
        (lambda: plot.compare_dynamics([1]), "runs must hold Trajectory"),
        (lambda: plot.compare_dynamics({}, panels="x"), "panels"),
        (lambda: plot.phase_portrait(INSPECTION, cycles=-1), "cycles"),
        (lambda: plot.phase_portrait(INSPECTION, cycles=11), "cycles"),
        (lambda: plot.simplex(RPS, cycles=1.5), "cycles"),
        (lambda: plot.orbits3d(gk.simulate(PLATFORM, [[0.5] * 3], 1, t_eval=[0, 1]), rest_points="x"), "rest_points"),
    ],
)
def test_every_figure_names_bad_input_in_one_line(call, message):
    with pytest.raises(ArgumentError) as err:
        call()
    assert message in str(err.value) and "\n" not in str(err.value)


# ------------------------------------------------------------------- regime boundaries, sweeps, dynamics compared


def _vertices(ax):
    return np.vstack([p.vertices for c in _by_gid(ax, "boundary", "collections") for p in c.get_paths()])


def test_regime_map_draws_a_boundary_only_where_the_stable_set_changes(tmp_path):
    """Over the fine F and the detection delta (trap values otherwise: Cg = 2, Cp - B - S = 6, K = 2 < Cc = 3): the
    lag is stable for delta F < Cg, the trap for Cg < delta F < Cp - B - S.  F = 4 is where (regulate, evade, claim)'s
    condition Cp > B + F + K + S changes sign; that state is stable on neither side (K < Cc), so no line there."""
    game = gk.load("platform-insurance")
    m = gk.regime_map(game, ("F", 0, 25), ("delta", 0, 1), base="trap", resolution=101)
    assert "F - 4" in [str(b) for b in m.boundaries]  # the condition is there, and it crosses the map
    fig = plot.regime_map(m)
    _png(fig, tmp_path, "regimes-fine.png")
    _inside(fig)
    v = _vertices(fig.axes[0])
    product = v[:, 0] * v[:, 1]
    on_curve = np.minimum(np.abs(product - 2), np.abs(product - 6))
    assert on_curve.max() < 1e-9  # every drawn vertex on delta F = 2 or delta F = 6, none on F = 4 alone
    assert np.abs(product - 2).min() < 1e-9 and np.abs(product - 6).min() < 1e-9  # both curves drawn
    low, high = [v[np.abs(product - c) < 1e-9] for c in (2, 6)]
    assert low[:, 0].min() == pytest.approx(2, abs=0.3) and low[:, 0].max() == pytest.approx(25)  # end to end
    assert plot.BOUNDARY_LABEL in [t.get_text() for t in _key(fig).get_texts()]


def _thresholds_between(game, name, low, high):
    """Where the stable set changes along ``name`` in (low, high), from gk.thresholds: the ends of every pure profile's
    stable set (a profile's membership changes there, so the set does)."""
    ends = set()
    for idx in game.profiles():
        stable_set = gk.thresholds(game, None, game.profile_names(idx)).lever(name).stable_set
        ends |= {float(e) for e in stable_set.boundary if e.is_finite and low < float(e) < high}
    return sorted(ends)


def _counts_share(result, i, label):
    return dict(result.counts[i]).get(label, 0) / result.n


def test_sweep_over_one_parameter_draws_each_outcomes_share_its_band_and_the_thresholds(tmp_path):
    result = gk.sweep(PLATFORM, {"R": [1, 2, 2.5, 4, 5, 6]}, n=120, t_end=100, progress=False)
    fig = result.plot()
    _png(fig, tmp_path, "sweep-line.png")
    _inside(fig)
    ax = fig.axes[0]
    lines = _by_gid(ax, "share")
    outcomes = {label for counts in result.counts for label, _ in counts}
    assert len(lines) == len(outcomes)
    _distinct_in_grey(lines)
    xs = [p["R"] for p in result.points]
    for k, line in enumerate(lines):
        label = line.get_label().split(" (")[0]
        target = ", ".join(PLATFORM.states[label]) if label in PLATFORM.states else line.get_label()
        np.testing.assert_array_equal(line.get_xdata(), xs)
        np.testing.assert_allclose(line.get_ydata(), [_counts_share(result, i, target) for i in range(len(xs))])
        assert line.get_color() == plot.PALETTE[k]
    for band, line in zip(_by_gid(ax, "band", "collections"), lines):  # the Wilson interval around each share
        ys = band.get_paths()[0].vertices[:, 1]
        for y, k in zip(line.get_ydata(), np.round(line.get_ydata() * result.n).astype(int)):
            lo, hi = _wilson(k, result.n)
            assert np.isclose(ys, lo).any() and np.isclose(ys, hi).any() and lo <= y <= hi
    cuts = [line.get_xdata()[0] for line in _by_gid(ax, "boundary")]
    assert _thresholds_between(PLATFORM, "R", 1, 6) == [3.0]  # R = Cg + S
    assert cuts == pytest.approx([3.0], abs=1e-12)
    named = [t.get_text() for t in ax.texts if t.get_gid() == "stable-set"]
    assert named == ["trap", "meta-goal + trap"]  # K = 2 < Cc: beyond R = 3 the meta-goal joins the trap


def _wilson(k, n, z=1.959963984540054):
    """The Wilson score interval, written out (the oracle of the bands)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (0.0 if k == 0 else centre - half), (1.0 if k == n else centre + half)


def test_sweep_over_two_parameters_is_a_heatmap_of_the_shares_with_the_exact_boundaries(tmp_path):
    F, delta = np.linspace(1, 25, 7), np.linspace(0.1, 0.9, 5)
    result = gk.sweep(PLATFORM, {"F": F, "delta": delta}, n=40, t_end=60, progress=False)
    fig = plot.sweep(result, "trap")
    _png(fig, tmp_path, "sweep-map.png")
    _inside(fig)
    ax = fig.axes[0]
    (mesh,) = _by_gid(ax, "sweep", "collections")
    cells = np.asarray(mesh.get_array()).reshape(len(delta), len(F))
    for i, point in enumerate(result.points):
        row, col = list(delta).index(point["delta"]), list(F).index(point["F"])
        assert cells[row, col] == _counts_share(result, i, "regulate, evade, accept")
    assert mesh.cmap.name == "cividis" and mesh.norm.vmin == 0 and mesh.norm.vmax == 1
    v = _vertices(ax)
    assert np.minimum(np.abs(v[:, 0] * v[:, 1] - 2), np.abs(v[:, 0] * v[:, 1] - 6)).max() < 1e-9
    for y in (0.3, 0.5):  # along a row, the curves cross F where gk.thresholds says the trap's stability changes
        near = v[np.abs(v[:, 1] - y) < 0.02]
        ends = _thresholds_between(PLATFORM.with_parameters(delta=y), "F", 0, 26)
        for x in ends:
            assert np.abs(near[:, 0] - x).min() < 0.02 * 26 / y
    assert {"lag", "trap", "none"} <= {t.get_text() for t in ax.texts if t.get_gid() == "stable-set"}


def test_sweep_of_every_outcome_and_of_a_game_without_exact_curves(tmp_path):
    """Hawk-dove (one population, V < C: the mixed ESS V/C; V > C: all hawk) is not multilinear: its boundaries sit
    between the grid points whose stable sets differ, and its mixed rest points, which move with V, are one outcome."""
    hawk_dove = gk.load("hawk-dove")  # C = 4
    result = gk.sweep(hawk_dove, {"V": [1, 2, 3, 5, 6]}, n=30, t_end=200, progress=False)
    fig = plot.sweep(result)
    _png(fig, tmp_path, "sweep-hawk-dove.png")
    ax = fig.axes[0]
    (cut,) = _by_gid(ax, "boundary")
    assert cut.get_xdata()[0] == 4.0  # between V = 3 and V = 5
    assert [t.get_text() for t in ax.texts if t.get_gid() == "stable-set"] == [plot.MIXED, "all-hawk"]
    mixed = next(line for line in _by_gid(ax, "share") if line.get_label() == plot.MIXED)
    expect = [sum(k for label, k in counts if label.startswith("(")) / result.n for counts in result.counts]
    np.testing.assert_allclose(mixed.get_ydata(), expect)
    two = gk.sweep(PLATFORM, {"R": [1, 4], "K": [2, 4]}, n=20, t_end=40, progress=False)
    fig = plot.sweep(two)  # a panel per outcome, one colour bar
    panels = [a for a in fig.axes if _by_gid(a, "sweep", "collections")]
    assert len(panels) == len({label for counts in two.counts for label, _ in counts})
    _inside(fig)


def test_compare_dynamics_draws_each_dynamics_orbit(tmp_path):
    t = np.linspace(0, 30, 121)
    specs = ["replicator", "logit:0.5", "smith", "bnn"]
    runs = {d: gk.simulate(PLATFORM, [(0.5, 0.5, 0.5)], 30, t_eval=t, dynamics=d) for d in specs}
    fig = plot.compare_dynamics(runs)
    _png(fig, tmp_path, "dynamics.png")
    _inside(fig)
    assert len(fig.axes) == 3  # a panel per population's share
    for c, ax in enumerate(fig.axes):
        lines = _by_gid(ax, "series")
        assert len(lines) == len(specs)
        _distinct_in_grey(lines)
        for line, d in zip(lines, specs):
            np.testing.assert_array_equal(line.get_ydata(), runs[d].states[0, :, c])
            end = runs[d].outcome[0]
            if end.startswith("("):  # a mixed rest point (logit), written to three digits
                shown, exact = (
                    np.array(x.strip("()").split(","), float) for x in (line.get_label().split(": ")[1], end)
                )
                np.testing.assert_allclose(shown, exact, rtol=5e-3)
            else:
                assert line.get_label() == f"{d}: {end}"
    fig = plot.compare_dynamics(list(runs.values()), panels="dynamics")  # named by each run's dynamics
    assert [ax.get_title().split(":")[0] for ax in fig.axes] == ["replicator", "logit", "smith", "bnn"]
    with pytest.raises(ArgumentError, match="other parameter values"):
        plot.compare_dynamics({"a": runs["smith"], "b": gk.simulate(PLATFORM.with_parameters(R=5), [(0.5,) * 3],
                                                                    1, t_eval=[0, 1])})  # fmt: skip
    with pytest.raises(ArgumentError, match="two runs under"):
        plot.compare_dynamics([runs["smith"], runs["smith"]])


def test_basin_share_text_stays_clear_of_the_error_bar(tmp_path):
    b = gk.basins(gk.load("platform-insurance").scenario("meta-goal"), 200, rng=0, t_end=60)
    assert b.to_frame().share.iloc[0] == 1.0
    fig = plot.basins(b)
    fig.savefig(tmp_path / "basins-full.png", dpi=80)  # a one-bar figure: a small file
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    (text,) = [t for t in ax.texts if t.get_gid() == "share-text"]
    assert text.get_text() == "100.0%"
    caps = [line for line in ax.lines if line.get_marker() == "|"]
    right = max(c.get_window_extent(renderer).x1 for c in caps)
    assert text.get_window_extent(renderer).x0 > right + 2  # pixels of white between the cap and the text
    assert text.get_window_extent(renderer).x1 < ax.get_window_extent(renderer).x1


def _segment_distance(p, segments):
    """Distance from the point p to the nearest of the line segments (each a (2, 2) array)."""
    a, b = segments[:, 0], segments[:, 1]
    ab = b - a
    t = np.clip(np.einsum("ij,ij->i", p - a, ab) / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-300), 0, 1)
    return np.min(np.linalg.norm(a + t[:, None] * ab - p, axis=1))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-2, 2), min_size=24, max_size=24))
def test_regime_map_boundaries_are_exactly_where_the_strict_equilibria_change(coefficients):
    """A 2 x 2 bimatrix game whose payoffs are c0 + c1 a + c2 b: its asymptotically stable states are its strict
    Nash equilibria, read off the table here (the oracle), and the switch gains are straight lines in (a, b).  At
    points on each line, away from the others: the figure draws the line there exactly when the set of strict
    equilibria on one side differs from the other side's."""
    c = np.array(coefficients, dtype=float).reshape(2, 2, 2, 3)  # [row, column][player] -> (c0, c1, c2)
    cells = {(i, j): c[i, j] for i in range(2) for j in range(2)}
    text = {f"{'TB'[i]}, {'LR'[j]}": [f"{u[0]:g} + {u[1]:g}*a + {u[2]:g}*b" for u in cells[i, j]] for i, j in cells}
    game = gk.Game({"row": ["T", "B"], "column": ["L", "R"]}, text, {"a": 0.0, "b": 0.0})
    m = gk.regime_map(game, ("a", -3, 3), ("b", -3, 3), resolution=61)
    fig = plot.regime_map(m)
    drawn = [np.asarray(s) for coll in _by_gid(fig.axes[0], "boundary", "collections") for s in coll.get_segments()]
    pieces = np.array([s[k : k + 2] for s in drawn for k in range(len(s) - 1)]) if drawn else np.zeros((0, 2, 2))

    def strict(a, b):
        u = {key: [v @ (1, a, b) for v in cells[key]] for key in cells}
        return frozenset(
            (i, j) for i, j in cells if u[i, j][0] > u[1 - i, j][0] and u[i, j][1] > u[i, 1 - j][1]
        )  # fmt: skip

    gains = [cells[1 - i, j][0] - cells[i, j][0] for i, j in cells] + [
        cells[i, 1 - j][1] - cells[i, j][1] for i, j in cells
    ]
    lines = []  # each geometric line once: g / |grad g|, up to sign
    for g in gains:
        if np.any(g[1:] != 0):
            g = g / np.linalg.norm(g[1:])
            if not any(np.allclose(g, e) or np.allclose(g, -e) for e in lines):
                lines.append(g)
    for k, d in enumerate(lines):
        normal = d[1:]
        foot = -d[0] * normal  # the point of the line nearest the origin
        for s in np.linspace(-4.5, 4.5, 19):
            p = foot + s * np.array([-normal[1], normal[0]])
            if np.any(np.abs(p) > 2.9):
                continue
            if any(abs(e @ (1, *p)) < 0.3 for n, e in enumerate(lines) if n != k):
                continue  # too near another line: a step across this one might cross that one too
            changes = strict(*(p + 1e-3 * normal)) != strict(*(p - 1e-3 * normal))
            near = len(pieces) > 0 and _segment_distance(p, pieces) < 1e-6
            assert near == changes, (d, p, changes)
    plt.close(fig)


# ------------------------------------------------------------------ hostile6: results of another game, axes, scales


def test_orbits_of_another_game_are_refused_in_one_line():
    """hostile6 #1: orbits (and rest points) are checked against the game drawn: populations, strategies and
    parameter values, so a picture never shows another game's orbits on this game's field."""
    t = np.linspace(0, 10, 21)
    bos = gk.models.battle_of_the_sexes()
    platform_orbits = gk.simulate(PLATFORM, [[0.5, 0.5, 0.5], [0.2, 0.8, 0.3]], 10, t_eval=t)
    bos_orbits = gk.simulate(bos, [[0.5, 0.3]], 10, t_eval=t)
    face = {"fixed": {"workers": "claim"}}
    calls = [
        (lambda: plot.phase_portrait(bos, orbits=platform_orbits), "orbits must be the Trajectory of this game"),
        (lambda: plot.simplex(RPS, orbits=bos_orbits), "orbits must be the Trajectory of this game"),
        (lambda: plot.phase_portrait(PLATFORM.with_parameters(R=5), orbits=platform_orbits, **face), "R = 2"),
        (lambda: plot.phase_portrait(PLATFORM, rest_points=gk.equilibria(PLATFORM.with_parameters(R=5)), **face),
         "rest_points were computed at other parameter values than game's: R = 5 (game: 2)"),
    ]  # fmt: skip
    for call, message in calls:
        with pytest.raises(ArgumentError) as err:
            call()
        assert message in str(err.value) and "\n" not in str(err.value)
    same = gk.load("platform-insurance").scenario("trap")  # loaded again: an equal game, not the same object
    fig = plot.phase_portrait(PLATFORM, orbits=platform_orbits, rest_points=gk.equilibria(same), **face)
    assert len(_by_gid(fig.axes[0], "orbit")) == 2


def test_flat_figures_refuse_a_3d_axes():
    """hostile6 #2, #22: a flat figure on a 3-D Axes is an ArgumentError, not a TypeError or a Figure that fails
    when saved."""
    for name, call, three_d in _every_figure():
        if three_d:
            continue
        ax = plt.figure().add_subplot(projection="3d")
        with pytest.raises(ArgumentError) as err:
            call(ax)
        assert "ax must be a 2-D Axes" in str(err.value) and "\n" not in str(err.value), name


def test_every_figure_in_a_subfigure_returns_the_figure(tmp_path):
    """hostile6 #19: an Axes inside a SubFigure (a paper's multi-panel figure) gives back the root Figure."""
    for name, call, three_d in _every_figure():
        fig = plt.figure(figsize=(10, 4), layout="constrained")
        left, _right = fig.subfigures(1, 2)
        out = call(left.add_subplot(projection="3d" if three_d else None))
        assert out is fig, name
        out.savefig(tmp_path / f"{name}.png", dpi=40)
        plt.close(fig)


@pytest.mark.parametrize("scale", [1e-9, 1e9])
def test_closed_orbits_of_a_game_with_scaled_payoffs_are_the_same_curves(scale):
    """hostile6 #21: multiplying every payoff by a constant k > 0 multiplies the replicator field by k, so the orbits
    are the same curves in state space (only time runs 1/k as fast).  At k = 1e-9 the search no longer asks
    gk.simulate for ~1e11 time units (an error about a t_end the user never gave); it draws the cycles of k = 1."""

    def cycles(fig):
        return [line.get_xydata() for line in _by_gid(fig.axes[0], "cycle")]

    pennies = gk.models.matching_pennies()
    zero_sum = RPS.with_parameters(l=2)  # w = l: closed orbits around the centre
    for figure in (
        lambda k: plot.phase_portrait(pennies.with_parameters(a=k)),
        lambda k: plot.simplex(zero_sum.with_parameters(w=2 * k, l=2 * k)),
    ):
        unscaled, scaled = cycles(figure(1.0)), cycles(figure(scale))
        assert len(unscaled) == len(scaled) == plot.CYCLES
        for a, b in zip(unscaled, scaled):
            np.testing.assert_allclose(a[0], b[0], atol=1e-12)  # the same start on the ray
            radius = lambda xy: np.hypot(*(xy - xy.mean(axis=0)).T).mean()  # noqa: E731
            assert abs(radius(a) - radius(b)) <= 1e-3 * radius(a)


def test_basin_frame_with_shares_off_the_unit_interval_is_refused_in_one_line():
    """hostile6 #7: a frame in percent, a share outside its interval or a NaN share is an ArgumentError naming the
    column and row, not bars off the axis, "nan%" or matplotlib's "'xerr' must not contain negative values"."""
    frame = gk.basins(PLATFORM, 50, rng=0, t_end=40).to_frame()
    percent = frame.copy()
    percent[["share", "ci_low", "ci_high"]] *= 100
    outside = frame.copy()
    outside.loc[0, "share"] = 0.999 if frame.loc[0, "ci_high"] < 0.999 else 0.0
    missing = frame.copy()
    missing.loc[1, "share"] = float("nan")
    for bad, message in [
        (percent, "frame: share must be a fraction in [0, 1] (not percent), got"),
        (outside, "frame: row 0 needs ci_low <= share <= ci_high"),
        (missing, "frame: share must be a fraction in [0, 1] (not percent), got nan in row 1"),
    ]:
        with pytest.raises(ArgumentError) as err:
            plot.basins(bad)
        assert message in str(err.value) and "\n" not in str(err.value)
    assert plot.basins(frame).axes[0].patches  # the frame as given by to_frame() draws


def test_orbits3d_names_the_one_thing_wrong():
    """hostile6 #8: another game's shape is an ArgumentError naming the game's populations and the figure that fits;
    final states only is a StateError (as in time_series)."""
    rps = gk.simulate(RPS, [[0.5, 0.3, 0.2]], 5, t_eval=np.linspace(0, 5, 11))
    with pytest.raises(ArgumentError) as err:
        plot.orbits3d(rps)
    assert str(err.value) == (
        "orbits3d needs three two-strategy populations; this game has 1 (players: 3 strategies) "
        "(use gamekit.plot.simplex)"
    )
    with pytest.raises(StateError, match="kept only final states"):
        plot.orbits3d(gk.simulate(PLATFORM, [[0.5] * 3], 1))
    with pytest.raises(StateError, match="kept only final states"):
        plot.trajectories(gk.simulate(PLATFORM, [[0.5] * 3], 1))


def test_time_series_draws_the_first_ten_orbits_unless_told():
    """hostile6 #9: a batch of many orbits draws the first SERIES_ORBITS of each run (as trajectories does);
    orbits= chooses others, range(n) all of them."""
    t = np.linspace(0, 5, 11)
    batch = gk.simulate(PLATFORM, np.random.default_rng(0).uniform(size=(40, 3)), 5, t_eval=t)
    curves = len(_by_gid(plot.time_series(batch).axes[0], "series"))
    assert curves == 30  # three populations' shares x ten orbits
    assert plot.SERIES_ORBITS == 10
    assert len(_by_gid(plot.time_series(batch, orbits=range(40)).axes[0], "series")) == 3 * 40
    fig = plot.time_series(batch, orbits=[39])
    np.testing.assert_array_equal(_by_gid(fig.axes[0], "series")[0].get_ydata(), batch.states[39, :, 0])


def test_sweep_heatmap_ends_at_its_cells_and_messages_name_the_users_words():
    """hostile6 #22: the heatmap's limits are its outer cell edges (no blank strip for uneven values); a bad outcome
    names outcome= (sweep's argument); compare_dynamics says "another game" and quotes the user's own key."""
    grid = gk.sweep(PLATFORM, {"R": [1, 4, 6], "K": [2, 4]}, n=4, t_end=20, progress=False)
    ax = plot.sweep(grid, "trap").axes[0]
    (mesh,) = _by_gid(ax, "sweep", "collections")
    corners = mesh.get_coordinates()
    assert ax.get_xlim() == (corners[..., 0].min(), corners[..., 0].max()) == (-0.5, 7.0)
    assert ax.get_ylim() == (corners[..., 1].min(), corners[..., 1].max()) == (1.0, 5.0)
    line = gk.sweep(PLATFORM, {"R": [1, 4]}, n=4, t_end=20, progress=False)
    t = np.linspace(0, 10, 11)
    trap = gk.simulate(PLATFORM, [[0.5] * 3], 10, t_eval=t)
    bos = gk.simulate(gk.models.battle_of_the_sexes(), [[0.5, 0.5]], 10, t_eval=t)
    for call, message in [
        (lambda: plot.sweep(line, "nope"), "outcome='nope' names no state"),
        (lambda: plot.compare_dynamics({"replicator": trap, "bos": bos}),
         "runs['bos'] is another game than the first run's (populations row:"),
        (lambda: plot.compare_dynamics({"mine": gk.simulate(PLATFORM, [[0.5] * 3], 10)}), "runs['mine'] kept only"),
    ]:  # fmt: skip
        with pytest.raises(gk.GamekitError) as err:
            call()
        assert message in str(err.value) and "\n" not in str(err.value)


def _logit_inspection_field(x, y, eta, c=1.0, F=4.0, g=1.0):
    """Logit on the inspection game written out: xdot = 1 / (1 + exp(-gain_x / eta)) - x (two strategies)."""
    return 1 / (1 + np.exp(-(F * y**2 - c) / eta)) - x, 1 / (1 + np.exp(-(g - F * x * y) / eta)) - y


def test_a_face_under_logit_draws_the_logit_field_its_nullclines_and_its_rest_points():
    eta = 0.5
    eqs = gk.equilibria(INSPECTION, dynamics=f"logit:{eta}")
    fig = plot.phase_portrait(INSPECTION, density=1.0, dynamics=f"logit:{eta}")
    ax = fig.axes[0]
    (lines,) = _by_gid(ax, "vector-field", "collections")
    segs = [np.asarray(s) for s in lines.get_segments() if len(s) > 1]
    pieces = np.vstack([np.hstack([s[:-1], s[1:]]) for s in segs])
    step = pieces[:, 2:] - pieces[:, :2]
    mid = (pieces[:, 2:] + pieces[:, :2]) / 2
    fx, fy = _logit_inspection_field(mid[:, 0], mid[:, 1], eta)
    speed, length = np.hypot(fx, fy), np.hypot(step[:, 0], step[:, 1])
    keep = (speed > 1e-2) & (length > 1e-6)
    assert keep.sum() > 300
    cos = (step[keep, 0] * fx[keep] + step[keep, 1] * fy[keep]) / (length[keep] * speed[keep])
    assert np.mean(cos > 0.9) > 0.99 and np.all(cos > 0)
    # nullclines: the zero sets of the logit velocity components, not the replicator's switch gains
    (ca,) = _by_gid(ax, "nullcline-a", "collections")
    va = np.vstack([p.vertices for p in ca.get_paths()])
    assert np.abs(_logit_inspection_field(va[:, 0], va[:, 1], eta)[0]).max() < 5e-3
    # rest points: every logit rest point (a QRE, interior) is marked, none of the replicator's corners
    marks = _by_gid(ax, "rest-point")
    assert len(marks) == len(eqs) >= 1
    for m, eq in zip(sorted(marks, key=lambda m: m.get_xdata()[0]), sorted(eqs, key=lambda e: e.state[0][0])):
        x, y = m.get_xdata()[0], m.get_ydata()[0]
        np.testing.assert_allclose([x, y], [eq.state[0][0], eq.state[1][0]], atol=1e-12)
        np.testing.assert_allclose(_logit_inspection_field(x, y, eta), 0, atol=1e-8)
        assert 0 < x < 1 and 0 < y < 1
    assert "logit:0.5" in ax.get_title()
    assert not _by_gid(ax, "cycle")


def test_a_simplex_under_smith_draws_the_smith_field():
    fig = plot.simplex(RPS, dynamics="smith")
    (q,) = _by_gid(fig.axes[0], "vector-field", "collections")
    xy = q.get_offsets()
    x2 = xy[:, 1] / (np.sqrt(3) / 2)
    x1 = xy[:, 0] - x2 / 2
    bary = np.column_stack([1 - x1 - x2, x1, x2])
    A = np.array([[0, -1.0, 2], [2, 0, -1.0], [-1.0, 2, 0]])  # w = 2, l = 1
    u = bary @ A.T
    gain = np.maximum(u[:, :, None] - u[:, None, :], 0.0)  # [u_i - u_j]_+
    v = np.einsum("mj,mij->mi", bary, gain) - bary * gain.sum(axis=1)  # Smith: inflow - outflow
    direction = np.column_stack([v[:, 1] + v[:, 2] / 2, v[:, 2] * np.sqrt(3) / 2])
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    np.testing.assert_allclose(np.column_stack([q.U, q.V]), direction, atol=1e-9)
    assert any("smith" in t.get_text() for t in fig.axes[0].texts)


def test_rest_points_of_another_dynamics_are_refused_in_one_line():
    with pytest.raises(ArgumentError, match="rest_points are those of the dynamics replicator") as info:
        plot.phase_portrait(INSPECTION, rest_points=gk.equilibria(INSPECTION), dynamics="smith")
    assert "\n" not in str(info.value)
    with pytest.raises(ArgumentError, match="eta must be a finite number > 0"):
        plot.simplex(RPS, dynamics="logit:0")
