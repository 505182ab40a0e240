r"""Figures: every figure a paper on evolutionary games prints, drawn from results computed elsewhere.

=======================  ========================================================  =====================================
function                 draws                                                     from
=======================  ========================================================  =====================================
``orbits3d``             orbits in the unit cube (three two-strategy populations)  :func:`gamekit.simulate`
``trajectories``         every share against time, for some orbits                 :func:`gamekit.simulate`
``time_series``          each population's share against time, per scenario        :func:`gamekit.simulate` (a dict)
``phase_portrait``       a face: vector field, nullclines, rest points, cycles     a game (+ :func:`gamekit.equilibria`)
``simplex``              a three-strategy population's ternary portrait, cycles    a game (+ :func:`gamekit.equilibria`)
``sensitivity``          shares against time, one curve per parameter value        :func:`gamekit.sensitivity`
``sensitivity_map``      a final share or basin share over two parameters          :func:`gamekit.sensitivity_map`
``regime_map``           the plane of two parameters by the set of stable states   :func:`gamekit.regime_map`
``basins``               basin shares with their 95% intervals                     :func:`gamekit.basins`
``bifurcation``          branches of rest points against a parameter               :func:`gamekit.continuation`
``hitting_probability``  the probability a noisy path reaches a state by t         ``simulate(..., noise=...)``
``path``                 a scheduled orbit's shares with the phase starts          :func:`gamekit.follow`
``sweep``                basin shares over one or two parameters, the boundaries   :func:`gamekit.sweep`
``compare_dynamics``     one game's orbits under several dynamics                  :func:`gamekit.simulate` (a dict)
=======================  ========================================================  =====================================

The results' ``.plot()`` methods call these functions (one piece of code per figure).  Every function takes an
optional ``ax`` (an Axes; the panel figures ``time_series`` and ``sensitivity`` also take one Axes per panel), draws
there or on a new figure with constrained layout, and returns the matplotlib ``Figure``.  None calls ``show``, none
changes global style (no ``rcParams`` writes); font sizes are relative (``"small"``, ``"medium"``), so they follow the
caller's ``rcParams``.  matplotlib is imported when a function here is called, never by ``import gamekit``.

**Colours.**  One palette for the whole module, :data:`PALETTE`: the Okabe-Ito colours (Okabe and Ito 2002,
distinguishable with every common colour-vision deficiency) without the yellow, which is too light on white paper.
The k-th curve of a figure gets ``PALETTE[k]``, ``LINESTYLES[k]`` and ``MARKERS[k]`` together, so curves stay
apart in grey print too; regions of a regime map get a tint of ``PALETTE[k]`` and a hatch ``HATCHES[k]``.  Rest
points are black, marked by stability label (:data:`REST_POINT_STYLE`).

**Boundaries.**  A pure profile is asymptotically stable where each of its switch gains ``g(theta) < 0``; so the set
of stable states (in a multilinear game under the replicator, all of them) is a function of the gains' signs, and it
can change only on a curve ``g(theta) = 0``.  ``regime_map`` and ``sweep`` draw such a curve only where the set
differs on its two sides: at each piece of the curve the other gains' signs are evaluated, and the regimes of the
two sign patterns (``g < 0`` and ``g >= 0``) are looked up on the map's grid; over one parameter the candidates are
the gains' real roots, kept where the stable set differs between neighbouring roots.  A gain that changes sign where
only an unstable state's label changes is not a boundary and is not drawn.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from .errors import ArgumentError

__all__ = [
    "orbits3d",
    "trajectories",
    "time_series",
    "phase_portrait",
    "simplex",
    "sensitivity",
    "sensitivity_map",
    "regime_map",
    "basins",
    "bifurcation",
    "hitting_probability",
    "path",
    "sweep",
    "compare_dynamics",
    "PALETTE",
    "LINESTYLES",
    "MARKERS",
    "HATCHES",
    "REST_POINT_STYLE",
]

# ------------------------------------------------------------------------------------------ the palette and styles

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
"""The eight Okabe-Ito colours by name."""

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
"""The colour of the k-th curve, bar or region: Okabe-Ito (blue, vermillion, green, reddish purple, orange, sky blue,
black), without its yellow."""

LINESTYLES = ("-", "--", "-.", ":", (0, (8, 2)), (0, (4, 1.5, 1, 1.5, 1, 1.5)), (0, (1, 3)))
"""The dash pattern of the k-th curve (paired with :data:`PALETTE`): curves stay apart in grey print."""

MARKERS = ("o", "s", "^", "D", "v", "P", "X")
"""The marker of the k-th curve (paired with :data:`PALETTE`), drawn :data:`MARKS_PER_CURVE` times along it."""

HATCHES = ("", "//", "\\\\", "..", "xx", "--", "++", "oo")
"""The hatch of the k-th region of a regime map: regions stay apart in grey print."""

KEY_HANDLE_INCHES = 0.75
"""Width of a key entry's line sample and padding, in inches (a key's row holds as many entries as fit)."""

MARKS_PER_CURVE = 8
"""Markers along a curve (``markevery``), staggered from curve to curve so they do not sit on one another."""

PANEL_MIN_WIDTH = 5.0
"""Inches: the narrowest panel figure (one panel and its key above it)."""

LINE_WIDTH = 1.6
"""Width of a data curve, in points: visible when a figure is printed at column width."""

TINT = 0.45
"""Opacity of a regime map's region colours over white (the boundaries and hatches stay legible on top)."""

FIGURE_SIZE = (6.4, 4.8)
"""Inches of a new single-axes figure (matplotlib's default), with room for a key beside the axes."""

PANEL_SIZE = (3.3, 2.9)
"""Inches of one panel of a new panel figure (``time_series``, ``sensitivity``); a row holds at most four."""

CUBE_SIZE = (6.4, 6.0)
"""Inches of a new ``orbits3d`` figure: the cube and its key below it."""

MAP_SIZE = (5.0, 3.9)
"""Inches of a new ``sensitivity_map`` figure: the heatmap and its colour bar."""

DIAGRAM_SIZE = (8.0, 4.8)
"""Inches of a new ``bifurcation`` figure with its key: the key beside the axes needs the width."""

BAR_INCHES = 0.7
"""Height per bar of a new ``basins`` figure (plus 1.2 inches for the axis), at most FIGURE_SIZE's height."""

CHAR_WIDTH = 0.55
"""Mean width of a character of the key's font, in ems (to estimate how many entries fit in a row)."""

PORTRAIT_SIZE = (7.6, 5.0)
"""Inches of a new phase portrait or simplex figure: the square plot, its axis labels and its key beside it."""

FIELD_COLOR = "#8c8c8c"  # the vector field: mid grey, behind everything else
STILL = 1e-12
"""A simplex arrow is drawn where the field's speed exceeds this (times the largest speed, at least 1): none where the
field vanishes, e.g. a population whose payoffs are all equal on the slice drawn."""

ON_FACE_TOL = 1e-9  # a rest point lies on the face when its fixed populations' shares are this close to ``fixed``
SIMPLEX_VERTICES = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3.0) / 2.0]])

# The marker of a rest point by its stability label (in the whole state space): filled = asymptotically stable,
# open = unstable, half-filled = saddle, open diamond = non-hyperbolic (centres among them), cross = not linearised.
REST_POINT_STYLE = {
    "asymptotically stable": dict(marker="o", fillstyle="full", markerfacecolor="k"),
    "unstable": dict(marker="o", fillstyle="none"),
    "saddle": dict(marker="o", fillstyle="left", markerfacecolor="k", markerfacecoloralt="w"),
    "non-hyperbolic": dict(marker="D", fillstyle="none"),
    "not linearised": dict(marker="X", fillstyle="full", markerfacecolor="w"),
}
"""Marker of a rest point by its stability label (black on every background, so the label reads in grey print)."""


def _style(k: int, points: int | None = None) -> dict:
    """Colour, dash pattern and marker of the k-th curve; with ``points`` (the curve's length) staggered markers."""
    n = len(PALETTE)
    out = dict(color=PALETTE[k % n], linestyle=LINESTYLES[k % n], linewidth=LINE_WIDTH)
    if points is not None and points >= 2:
        step = max(1, points // MARKS_PER_CURVE)
        out.update(marker=MARKERS[k % n], markersize=5, markevery=(min(points - 1, (k % n) * step // n), step))
    return out


def _root(ax):
    """The Figure an Axes is drawn in, also when it sits in a SubFigure (whose ``figure`` is its parent)."""
    from matplotlib.figure import Figure

    fig = ax.figure
    while not isinstance(fig, Figure):
        fig = fig.figure
    return fig


def _two_d(ax) -> None:
    if getattr(ax, "name", "") == "3d":
        raise ArgumentError("ax must be a 2-D Axes (this figure is flat; a 3-D Axes is only for orbits3d) or None")


def _axes(ax, projection=None):
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    if ax is not None:
        if not isinstance(ax, Axes):
            raise ArgumentError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
        if projection == "3d" and getattr(ax, "name", "") != "3d":
            raise ArgumentError("ax must be a 3-D Axes (fig.add_subplot(projection='3d')) or None")
        if projection is None:
            _two_d(ax)
        return _root(ax), ax
    fig = plt.figure(figsize=FIGURE_SIZE, layout="constrained")
    return fig, fig.add_subplot(projection=projection)


def _panel_axes(ax, count: int, sharey: bool = True):
    """A figure and ``count`` Axes: new ones side by side (at most four a row), or those given."""
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    if ax is None:
        cols = min(count, 4)
        rows = math.ceil(count / cols)
        width = max(PANEL_SIZE[0] * cols, PANEL_MIN_WIDTH)
        height = PANEL_SIZE[1] * rows + 0.4  # (and the key above)
        fig, axes = plt.subplots(rows, cols, figsize=(width, height), sharey=sharey, squeeze=False)
        axes = list(axes.ravel())
        for extra in axes[count:]:
            extra.remove()
        fig.set_layout_engine("constrained")
        return fig, axes[:count]
    if isinstance(ax, Axes):
        ax = [ax]
    if isinstance(ax, np.ndarray):
        ax = list(ax.ravel())
    if not isinstance(ax, Sequence) or not all(isinstance(a, Axes) for a in ax):
        raise ArgumentError(f"ax must be a matplotlib Axes, a sequence of Axes or None, got {type(ax).__name__}")
    if len(ax) != count:
        raise ArgumentError(f"ax: this figure has {count} panels, got {len(ax)} Axes")
    for a in ax:
        _two_d(a)
    return _root(ax[0]), list(ax)


def _panel_legend(fig, axes, own: bool, columns: int) -> None:
    """The key of a panel figure: in one row above the panels of a figure of our own (clear of every curve), on the
    first panel of the caller's."""
    style = {"fontsize": "small", "frameon": False, "handlelength": 3.0}
    handles, labels = axes[0].get_legend_handles_labels()
    if not handles:
        return
    if own:
        fig.legend(handles, labels, loc="outside upper center", ncols=_key_columns(fig, labels, columns), **style)
    else:
        axes[0].legend(loc="best", **style)


def _side_key(fig, ax, handles, own: bool, below: bool = False) -> None:
    """The key beside the axes: on a figure of our own, a figure legend in the constrained layout's margin (it
    reserves the room on the first draw; an axes legend outside an equal-aspect axes could be cut off); on the
    caller's axes, an axes legend to the right of them."""
    if not handles:
        return
    style = {"fontsize": "small", "frameon": False, "handlelength": 3.0}
    if own:
        loc = "outside lower center" if below else "outside right upper"
        fig.legend(handles=handles, loc=loc, ncols=2 if below else 1, **style)
    elif below:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.02), ncols=2, **style)
    else:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **style)


def _key_columns(fig, labels: Sequence[str], columns: int) -> int:
    """Entries per row of a key above the panels: as many as fit across the figure (an estimate from the labels'
    lengths at the small font), at most ``columns``."""
    from matplotlib.font_manager import FontProperties

    points = FontProperties(size="small").get_size_in_points()
    entry = max(len(label) for label in labels) * CHAR_WIDTH * points / 72 + KEY_HANDLE_INCHES  # inches per entry
    return max(1, min(columns, int(fig.get_figwidth() // entry)))


def _share_columns(game) -> list[tuple[str, str, str, int]]:
    """(population, strategy, label, column of ``Trajectory.states``) of each share drawn against time: a
    two-strategy population's first share, every share of a population with more.  ``Trajectory.states`` holds
    one column per population when every population has two strategies, else every share."""
    out = []
    c = 0
    two = all(n == 2 for n in game.shape)
    for p in game.populations:
        if two:
            out.append((p.name, p.strategies[0], f"{p.name} ({p.strategies[0]})", c))
            c += 1
        elif len(p.strategies) == 2:
            out.append((p.name, p.strategies[0], f"{p.name} ({p.strategies[0]})", c))
            c += 2
        else:
            for s in p.strategies:
                out.append((p.name, s, f"{p.name} ({s})", c))
                c += 1
    return out


def _trajectory(traj, orbits, name: str = "traj") -> list[int] | None:
    """The orbits to draw: ``orbits`` (indices into ``traj``) or the first few; ``traj`` must be a Trajectory."""
    from .simulate import Trajectory

    if not isinstance(traj, Trajectory):
        raise ArgumentError(f"{name} must be a Trajectory (the result of gamekit.simulate), got {type(traj).__name__}")
    if orbits is None:
        return None
    if isinstance(orbits, (str, bytes)) or not isinstance(orbits, (Sequence, range, np.ndarray)):
        raise ArgumentError(f"orbits must be a sequence of orbit indices or None, got {type(orbits).__name__}")
    out = []
    for i in orbits:
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)) or not -traj.n <= i < traj.n:
            raise ArgumentError(f"orbits must be indices of orbits in 0..{traj.n - 1}, got {i!r}")
        out.append(int(i))
    return out


def _number(v: float) -> str:
    return f"{float(v):g}"


# ------------------------------------------------------------------------------------------------- regime maps


def regime_map(m: object, ax: object | None = None):
    """The (x, y) plane of two parameters by the set of asymptotically stable states, with the boundary curves.

    Parameters
    ----------
    m : RegimeMap
        The result of :func:`gamekit.regime_map`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.

    Returns
    -------
    matplotlib.figure.Figure
        Each regime a tint of its :data:`PALETTE` colour (the region called ``none``, no stable state, light grey)
        and a hatch (:data:`HATCHES`), the grid as a QuadMesh (gid ``regimes``) whose values are the regime codes,
        the boundaries ``g(x, y) = 0`` in black (gid ``boundary``) where the set of stable states changes across
        them (a condition that changes sign where only an unstable state's label changes is not drawn), and the key
        beside the axes.
    """
    import matplotlib.colors as mcolors
    import sympy
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from .policy import RegimeMap

    if not isinstance(m, RegimeMap):
        raise ArgumentError(f"m must be a RegimeMap (the result of gamekit.regime_map), got {type(m).__name__}")
    own = ax is None
    fig, ax = _axes(ax)
    colors = _regime_colors(m.regimes)
    cmap = mcolors.ListedColormap(colors)
    count = len(m.regimes)
    mesh = ax.pcolormesh(m.xs, m.ys, m.codes, cmap=cmap, vmin=-0.5, vmax=count - 0.5, shading="auto")
    mesh.set_gid("regimes")
    X, Y = np.meshgrid(m.xs, m.ys)
    hatches = [HATCHES[i % len(HATCHES)] for i in range(count)]
    if any(hatches) and count > 1:
        hatched = ax.contourf(
            X, Y, m.codes, levels=np.arange(-0.5, count), colors="none", hatches=hatches, extend="neither"
        )
        hatched.set_edgecolor("0.35")
        hatched.set_linewidth(0.0)
        hatched.set_gid("hatches")
    drawn = _boundaries(ax, m, sympy, color="k")
    ax.set_xlabel(m.x)
    ax.set_ylabel(m.y)
    ax.set_title("Asymptotically stable states", fontsize="medium")
    patches = [Patch(facecolor=colors[i], edgecolor="0.35", hatch=hatches[i], label=r) for i, r in enumerate(m.regimes)]
    if drawn:
        patches.append(Line2D([], [], color="k", linewidth=LINE_WIDTH, label=BOUNDARY_LABEL))
    _side_key(fig, ax, patches, own)
    return fig


SIDE_STEP = 0.5
"""Grid cells to either side of a boundary curve at which the regimes on its two sides are compared."""

COINCIDENT = 1e-9
"""A boundary expression vanishing on a piece of another's curve (relative to its largest value on the map) runs
along it (``b`` and ``2 b``): its sign is compared to either side of the piece with the other's."""

BOUNDARY_LABEL = "stable set changes"
"""The key's name for a boundary line of a regime map or sweep: the set of stable states differs on its two sides."""


def _regime_key(values: np.ndarray) -> list[bytes]:
    """Per point (a column of ``values``), which boundary expressions are negative, zero, positive or undefined,
    packed: a regime map's regime is a function of these signs (a state is stable where each of its switch gains is
    negative; an expression is a gain or its negative, so a zero must be told from both signs)."""
    bits = np.concatenate([values < 0, values > 0, ~np.isfinite(values)], axis=0)
    return [row.tobytes() for row in np.packbits(bits, axis=0).T]


def _boundaries(ax, m, sympy, color, **style) -> int:
    """Draw each boundary curve ``g(x, y) = 0`` of a regime map only where the stable set differs on its two sides.

    A regime is a function of the signs of the boundary expressions; the grid gives that function (sign pattern
    -> regime).  At each piece of the curve ``g_k = 0`` (its contour, piece by piece), every expression is evaluated
    at the piece, ``g_k`` taken on each side, and the regimes of the two sign patterns looked up: the piece is drawn
    when they differ (or when a pattern does not occur on the grid).  An expression that vanishes on the piece too
    (its curve coincides, ``b`` and ``2 b``) is evaluated :data:`SIDE_STEP` grid cells to either side instead.  So a curve where only the label of an
    unstable state changes is not drawn, not even where it meets a true boundary.  Returns the curves drawn."""
    import contourpy
    from matplotlib.collections import LineCollection

    X, Y = np.meshgrid(m.xs, m.ys)
    sx, sy = m.game.symbols[m.x], m.game.symbols[m.y]
    functions = [sympy.lambdify((sx, sy), b, "numpy") for b in m.boundaries]

    def values(x, y):
        with np.errstate(all="ignore"):
            return np.array([np.broadcast_to(np.asarray(f(x, y), dtype=float), np.shape(x)) for f in functions])

    if not functions:
        return 0
    grid = values(X, Y).reshape(len(functions), -1)
    cell = np.array([np.ptp(m.xs) / max(len(m.xs) - 1, 1), np.ptp(m.ys) / max(len(m.ys) - 1, 1)])
    with np.errstate(all="ignore"):
        scale = np.nan_to_num(np.nanmax(np.where(np.isfinite(grid), np.abs(grid), np.nan), axis=1, initial=0.0))
    votes: dict[bytes, dict[int, int]] = {}
    for key, code in zip(_regime_key(grid), m.codes.ravel().tolist()):
        votes.setdefault(key, {}).setdefault(code, 0)
        votes[key][code] += 1
    # a pattern's regime: its most frequent one (a gain left out of the boundaries because it only touches zero on
    # the map's edge makes that edge another regime with the same pattern)
    table = {key: max(count, key=count.get) for key, count in votes.items()}
    drawn = 0
    for k in range(len(functions)):
        Z = grid[k].reshape(X.shape)
        if not np.isfinite(Z).any():
            continue
        pieces = []
        for line in contourpy.contour_generator(X, Y, np.ma.masked_invalid(Z), line_type="Separate").lines(0.0):
            if len(line) < 2:
                continue
            mid = (line[1:] + line[:-1]) / 2
            step = np.diff(line, axis=0) / cell  # in grid cells
            normal = np.column_stack([-step[:, 1], step[:, 0]]) / np.maximum(np.hypot(*step.T), 1e-300)[:, None]
            side = SIDE_STEP * normal * cell
            here = values(mid[:, 0], mid[:, 1])
            below, above = values(*(mid - side).T), values(*(mid + side).T)
            along = np.abs(here) <= COINCIDENT * scale[:, None]  # curves through the piece: k and any it coincides with
            below, above = np.where(along, below, here), np.where(along, above, here)
            flip = np.sign(below[k]) == np.sign(above[k])  # did not cross the curve itself: put it on each side
            below[k, flip], above[k, flip] = -1.0, 1.0
            below, above = _regime_key(below), _regime_key(above)
            changes = np.array([table.get(a, -1) != table.get(b, -2) for a, b in zip(below, above)])
            changes &= np.hypot(*step.T) > 0  # (a contour through grid points can repeat a vertex)
            edges = np.diff(np.concatenate([[0], changes.astype(int), [0]]))
            for start, stop in zip(np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]):
                pieces.append(line[start : stop + 1])
        if pieces:
            ax.add_collection(LineCollection(pieces, colors=color, linewidths=LINE_WIDTH, gid="boundary", **style))
            drawn += 1
    return drawn


def _regime_colors(regimes: Sequence[str]) -> list[tuple[float, float, float, float]]:
    """A region's colour: its PALETTE colour at opacity TINT over white ("none": light grey)."""
    import matplotlib.colors as mcolors

    out = []
    for i, r in enumerate(regimes):
        if r == "none":
            out.append((0.9, 0.9, 0.9, 1.0))
            continue
        rgb = np.asarray(mcolors.to_rgb(PALETTE[i % len(PALETTE)]))
        out.append((*(TINT * rgb + (1 - TINT)), 1.0))
    return out


# --------------------------------------------------------------------------------------------- orbits over time


def trajectories(traj: object, ax: object | None = None, orbits: Sequence[int] | None = None):
    """Each coordinate's share over time for some orbits (needs ``simulate(..., t_eval=...)``).

    Parameters
    ----------
    traj : Trajectory
        The result of :func:`gamekit.simulate` with ``t_eval``.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    orbits : sequence of int, optional
        The orbits to draw (default: the first ten).

    Returns
    -------
    matplotlib.figure.Figure
        One curve per orbit and coordinate; a coordinate's curves share its colour, dash pattern and marker.
    """
    orbits = _trajectory(traj, orbits)
    if traj.states is None:
        from .errors import StateError

        raise StateError("this trajectory kept only final states: simulate with t_eval=... to plot orbits over time")
    own = ax is None
    fig, ax = _axes(ax)
    columns = _share_columns(traj.game)
    idx = range(min(traj.n, 10)) if orbits is None else orbits
    for k, (_, _, label, c) in enumerate(columns):
        for j, r in enumerate(idx):
            ax.plot(traj.t, traj.states[r, :, c], **_style(k, len(traj.t)), label=(label if j == 0 else None))
    ax.set_xlabel("t")
    ax.set_ylabel("share")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlim(traj.t[0], traj.t[-1])
    _side_key(fig, ax, ax.get_legend_handles_labels()[0], own)
    return fig


SERIES_ORBITS = 10
"""Orbits of each run :func:`time_series` draws unless ``orbits=`` says which (as :func:`trajectories`)."""


def time_series(
    runs: object,
    ax: object | None = None,
    *,
    panels: str = "scenario",
    orbits: Sequence[int] | None = None,
):
    """Shares against time, one panel per scenario (or per population): the tripartite papers' figure.

    Parameters
    ----------
    runs : Trajectory or mapping of str to Trajectory
        Orbits from :func:`gamekit.simulate` with ``t_eval``; a mapping names each run (a scenario, a parameter
        value, a dynamics: ``{"trap": simulate(game.scenario("trap"), ...), ...}``).  With several runs every game
        must have the same populations and strategies.
    ax : matplotlib Axes or sequence of Axes, optional
        One Axes per panel (an Axes when there is one panel); a new figure when None.
    panels : {"scenario", "population"}
        ``"scenario"``: a panel per run, in it a curve per share (each population's first strategy; every strategy of
        a population with more than two).  ``"population"``: a panel per share, in it a curve per run.
    orbits : sequence of int, optional
        The orbits of each run to draw (default: the first 10, ``SERIES_ORBITS``, so that a batch of thousands of
        orbits stays a readable figure; ``range(traj.n)`` draws all); an orbit's curves share its share's (or run's)
        style.

    Returns
    -------
    matplotlib.figure.Figure
        The curves (gid ``series``), the k-th kind of curve in :data:`PALETTE`, :data:`LINESTYLES` and
        :data:`MARKERS` k; the key in one row above the panels (on the first panel when ``ax`` is given).
    """
    from . import _validate
    from .simulate import Trajectory

    if isinstance(runs, Trajectory):
        named = {"": runs}
    elif isinstance(runs, Mapping):
        if not runs:
            raise ArgumentError("runs must hold at least one Trajectory")
        named = {}
        for key, traj in runs.items():
            if not isinstance(key, str):
                raise ArgumentError(f"runs: each run's name must be a string, got {_validate.printable(repr(key))}")
            if not isinstance(traj, Trajectory):
                raise ArgumentError(
                    f"runs[{_validate.printable(repr(key))}] must be a Trajectory (the result of gamekit.simulate), "
                    f"got {type(traj).__name__}"
                )
            named[key] = traj
    else:
        raise ArgumentError(
            f"runs must be a Trajectory or a dict {{name: Trajectory}} (results of gamekit.simulate), got "
            f"{type(runs).__name__}"
        )
    panels = _validate.choice("panels", panels, ("scenario", "population"))
    first = next(iter(named.values()))
    layout = [p.strategies for p in first.game.populations], [p.name for p in first.game.populations]
    chosen = {}
    for key, traj in named.items():
        if traj.states is None:
            from .errors import StateError

            where = f"runs[{_validate.printable(repr(key))}]" if key else "runs"
            raise StateError(f"{where} kept only final states: simulate with t_eval=... to draw shares over time")
        if ([p.strategies for p in traj.game.populations], [p.name for p in traj.game.populations]) != layout:
            raise ArgumentError(
                f"runs[{_validate.printable(repr(key))}] is a game with other populations or strategies than the "
                "first run's; a time series compares runs of one game"
            )
        picked = _trajectory(traj, orbits, "runs")
        chosen[key] = range(min(traj.n, SERIES_ORBITS)) if picked is None else picked
    columns = _share_columns(first.game)
    names = list(named)
    own = ax is None
    if panels == "scenario":
        fig, axes = _panel_axes(ax, len(names))
        for a, key in zip(axes, names):
            traj = named[key]
            for k, (_, _, label, c) in enumerate(columns):
                for j, r in enumerate(chosen[key]):
                    a.plot(traj.t, traj.states[r, :, c], **_style(k, len(traj.t)), gid="series",
                           label=label if j == 0 else None)  # fmt: skip
            a.set_title(key, fontsize="medium")
            a.set_ylabel("share")
        kinds = len(columns)
    else:
        fig, axes = _panel_axes(ax, len(columns))
        for a, (_, _, label, c) in zip(axes, columns):
            for k, key in enumerate(names):
                traj = named[key]
                for j, r in enumerate(chosen[key]):
                    a.plot(traj.t, traj.states[r, :, c], **_style(k, len(traj.t)), gid="series",
                           label=(key or "run") if j == 0 else None)  # fmt: skip
            a.set_title(label, fontsize="medium")
            a.set_ylabel("share")
        kinds = len(names)
    for a in axes:
        a.set_xlabel("t")
        a.set_ylim(-0.03, 1.03)
        lo = min(float(t.t[0]) for t in named.values())
        hi = max(float(t.t[-1]) for t in named.values())
        if hi > lo:
            a.set_xlim(lo, hi)
    if own and len(axes) > 1:
        for a in axes[1:]:  # the panels share the y axis: one label, on the left
            if a.get_subplotspec().colspan.start > 0:
                a.set_ylabel("")
                a.tick_params(labelleft=False)
    _panel_legend(fig, axes, own, kinds)
    return fig


# -------------------------------------------------------------------------------------------------- basin bars


SHARE_TEXT_GAP = 10.0
"""Points between a basin bar's error bar (its cap, 4 points high, at the interval's upper end) and its share."""

BASIN_XMAX = 1.16
"""Right end of a basin figure's share axis: room for "100.0%" beside a full bar."""


def _check_shares(frame) -> None:
    """An ArgumentError unless every row holds shares 0 <= ci_low <= share <= ci_high <= 1 (fractions, not percent)."""
    try:
        cols = [np.asarray(getattr(frame, c), dtype=float) for c in ("share", "ci_low", "ci_high")]
    except (TypeError, ValueError):
        raise ArgumentError("frame: share, ci_low and ci_high must be numbers") from None
    share, low, high = cols
    tol = 1e-12
    for i in range(share.size):
        s, lo, hi = share[i], low[i], high[i]
        if not all(np.isfinite(v) and -tol <= v <= 1 + tol for v in (s, lo, hi)):
            bad = next((n, v) for n, v in zip(("share", "ci_low", "ci_high"), (s, lo, hi))
                       if not (np.isfinite(v) and -tol <= v <= 1 + tol))  # fmt: skip
            raise ArgumentError(
                f"frame: {bad[0]} must be a fraction in [0, 1] (not percent), got {bad[1]:g} in row {i}"
            )
        if not lo - tol <= s <= hi + tol:
            raise ArgumentError(f"frame: row {i} needs ci_low <= share <= ci_high, got {lo:g} <= {s:g} <= {hi:g}")


def basins(frame: object, ax: object | None = None):
    """Basin shares with their 95% intervals: a :class:`gamekit.Basins`, or its ``to_frame()`` DataFrame.

    Parameters
    ----------
    frame : Basins or DataFrame
        The result of :func:`gamekit.basins` (or its ``to_frame()``: columns ``outcome, share, ci_low, ci_high``).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.

    Returns
    -------
    matplotlib.figure.Figure
        A horizontal bar per outcome (its :data:`PALETTE` colour and :data:`HATCHES` hatch), the Wilson interval as
        error bars, the share written beside each bar.
    """
    if hasattr(frame, "to_frame") and hasattr(frame, "outcomes"):  # a Basins result
        frame = frame.to_frame()
    needed = ("outcome", "share", "ci_low", "ci_high")
    if not all(hasattr(frame, c) for c in needed):
        raise ArgumentError(
            f"frame must be a Basins result or its to_frame() DataFrame (columns {', '.join(needed)}), "
            f"got {type(frame).__name__}"
        )
    _check_shares(frame)
    own = ax is None
    fig, ax = _axes(ax)
    if own:  # a bar's height does not grow with the figure: as tall as the bars need
        fig.set_size_inches(FIGURE_SIZE[0], min(FIGURE_SIZE[1], 1.2 + BAR_INCHES * max(len(frame), 1)))
    y = np.arange(len(frame))
    share = np.asarray(frame.share, dtype=float)
    err = np.vstack([share - np.asarray(frame.ci_low, dtype=float), np.asarray(frame.ci_high, dtype=float) - share])
    bars = ax.barh(
        y, share, xerr=err, height=0.6, color=[PALETTE[i % len(PALETTE)] for i in range(len(frame))],
        edgecolor="k", linewidth=0.8, capsize=4, error_kw={"elinewidth": 1.2, "ecolor": "k"},
    )  # fmt: skip
    for i, bar in enumerate(bars):
        bar.set_hatch(HATCHES[i % len(HATCHES)])
        bar.set_gid("basin")
    for yi, s, hi in zip(y, share, np.asarray(frame.ci_high, dtype=float)):  # clear of the error bar's cap
        ax.annotate(f"{s:.1%}", (min(hi, 1.0), yi), xytext=(SHARE_TEXT_GAP, 0), textcoords="offset points",
                    va="center", fontsize="small", gid="share-text")  # fmt: skip
    ax.set_yticks(y, list(frame.outcome))
    ax.set_xlim(0, BASIN_XMAX)
    ax.set_xticks(np.linspace(0, 1, 6))
    ax.set_xlabel("share of the state space")
    ax.set_ylim(len(frame) - 0.5, -0.5)
    return fig


# ------------------------------------------------------------------------------------------------ the cube


def orbits3d(
    traj: object,
    ax: object | None = None,
    orbits: Sequence[int] | None = None,
    rest_points: object | None = None,
):
    """Orbits in the unit cube for a game of three two-strategy populations.

    Parameters
    ----------
    traj : Trajectory
        The result of :func:`gamekit.simulate` with ``t_eval``.
    ax : 3-D matplotlib Axes, optional
        Where to draw (``fig.add_subplot(projection="3d")``); a new figure when None.
    orbits : sequence of int, optional
        The orbits to draw (default: the first twenty).
    rest_points : Equilibria, optional
        ``gamekit.equilibria(game)``: each rest point marked by its stability label (:data:`REST_POINT_STYLE`).

    Returns
    -------
    matplotlib.figure.Figure
        An orbit per curve (gid ``orbit``) in the style of its outcome (the state it converged to, ``cycling``,
        ``unresolved``: :data:`PALETTE` and :data:`LINESTYLES` by first appearance), its start a small black dot;
        the key of the outcomes (and rest points) below the cube.
    """
    orbits = _trajectory(traj, orbits)
    game = traj.game
    if game.shape != (2, 2, 2):
        pops = "; ".join(f"{p.name}: {len(p.strategies)} strategies" for p in game.populations)
        hint = ""
        if len(game.populations) == 1 and game.shape[0] == 3:
            hint = " (use gamekit.plot.simplex)"
        elif len(game.populations) == 2 and game.shape == (2, 2):
            hint = " (use gamekit.plot.phase_portrait)"
        raise ArgumentError(
            f"orbits3d needs three two-strategy populations; this game has {len(game.populations)} "
            f"({pops}){hint or ' (use gamekit.plot.time_series)'}"
        )
    if traj.states is None:
        from .errors import StateError

        raise StateError("this trajectory kept only final states: simulate with t_eval=... to draw orbits in 3-D")
    eqs = None if rest_points is None else _rest_points(game, rest_points)
    own = ax is None
    fig, ax = _axes(ax, projection="3d")
    if own:
        fig.set_size_inches(*CUBE_SIZE)
    idx = range(min(traj.n, 20)) if orbits is None else orbits
    from matplotlib.lines import Line2D

    outcomes: dict[str, int] = {}
    starts = []
    for r in idx:
        s = traj.states[r]
        outcome = str(traj.outcome[r])
        k = outcomes.setdefault(outcome, len(outcomes))
        style = _style(k)
        style["linewidth"] = 1.1
        ax.plot(s[:, 0], s[:, 1], s[:, 2], gid="orbit", **style)
        starts.append(s[0])
    if starts:
        ax.scatter(*np.asarray(starts).T, s=8, color="k", depthshade=False)
    handles = [Line2D([], [], label=o, **_style(k)) for o, k in outcomes.items()]
    if eqs is not None:
        labels = set()
        for eq in eqs:
            label = str(eq.stability)
            x, y, z = (eq.state[p][0] for p in range(3))
            ax.plot([x], [y], [z], linestyle="none", markersize=8, markeredgecolor="k", markeredgewidth=1.2, color="k",
                    gid="rest-point", label=label, **REST_POINT_STYLE.get(label, REST_POINT_STYLE["not linearised"]))  # fmt: skip
            labels.add(label)
        handles += _rest_point_handles(labels)
    names = [f"{p.name} ({p.strategies[0]})" for p in game.populations]
    ax.set_xlabel(names[0], fontsize="small")
    ax.set_ylabel(names[1], fontsize="small")
    ax.set_zlabel(names[2], fontsize="small")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_zlim(0, 1)
    ax.tick_params(labelsize="small")
    _side_key(fig, ax, handles, own, below=True)
    return fig


# --- phase portraits on a face and ternary simplex portraits -------------------------------------------------------
#
# The replicator field drawn by both by default (dynamics= draws another: gamekit.protocols.velocity): for population
# p with shares x_i and payoffs u_i (from gamekit.dynamics.general_field, in any game kind), xdot_i = x_i (u_i - ubar_p),
# ubar_p = sum_j x_j u_j.
# On a face spanned by two two-strategy populations a and b, with a = x_{a,1} and b = x_{b,1} (first strategies),
#     adot = a (1 - a) (u_{a,1} - u_{a,2}),   bdot = b (1 - b) (u_{b,1} - u_{b,2}),
# so the interior nullclines are the zero sets of the switch gains u_{p,1} - u_{p,2}; the edges a, b in {0, 1} are
# invariant and drawn as the frame.  The other populations stay at the shares given in ``fixed``: at a pure strategy
# the face is invariant; at an interior share it is a slice, and the arrows show the field's projection onto it.
# On the simplex of a three-strategy population, x = x_1 V_1 + x_2 V_2 + x_3 V_3 with the triangle's vertices V_i,
# and the arrow at x is xdot_1 V_1 + xdot_2 V_2 + xdot_3 V_3 (sum_i xdot_i = 0, so the map is affine).


def _population(game, key, what: str) -> int:
    """The index of a population named ``key`` (or its index); an ArgumentError naming the populations otherwise."""
    names = [p.name for p in game.populations]
    if isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_)):
        if 0 <= key < len(names):
            return int(key)
        raise ArgumentError(f"{what}: no population {int(key)} (the game has {len(names)}: {', '.join(names)})")
    if isinstance(key, str) and key in names:
        return names.index(key)
    from ._validate import printable

    raise ArgumentError(f"{what}: no population named {printable(repr(key))} (populations: {', '.join(names)})")


def _fixed_shares(game, free: tuple[int, ...], fixed) -> dict[int, np.ndarray]:
    """Full share vectors of the populations not in ``free``, from ``fixed`` {population: strategy | share | shares}."""
    from ._validate import printable

    if fixed is None:
        fixed = {}
    if not isinstance(fixed, dict):
        raise ArgumentError(
            f"fixed must be a dict {{population: strategy or shares}} or None, got {type(fixed).__name__}"
        )
    out: dict[int, np.ndarray] = {}
    for key, value in fixed.items():
        p = _population(game, key, "fixed")
        pop = game.populations[p]
        if p in free:
            raise ArgumentError(f"fixed: population {pop.name!r} spans the figure; it cannot also be fixed")
        n = len(pop.strategies)
        if isinstance(value, str):
            if value not in pop.strategies:
                raise ArgumentError(
                    f"fixed: {pop.name} has no strategy {printable(repr(value))} (strategies: {', '.join(pop.strategies)})"
                )
            vec = np.zeros(n)
            vec[pop.strategies.index(value)] = 1.0
        elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
            if n != 2:
                raise ArgumentError(f"fixed: {pop.name} has {n} strategies; give a strategy name or {n} shares")
            if not 0.0 <= float(value) <= 1.0:
                raise ArgumentError(
                    f"fixed: the share of {pop.name} playing {pop.strategies[0]} must be in [0, 1], got {value}"
                )
            vec = np.array([float(value), 1.0 - float(value)])
        else:
            from ._validate import floats

            vec = floats(value, f"fixed[{pop.name!r}]: a strategy name, a share or {n} shares")
            if vec.shape != (n,) or np.any(vec < 0) or not np.isfinite(vec).all() or abs(vec.sum() - 1.0) > 1e-9:
                raise ArgumentError(f"fixed: the shares of {pop.name} must be {n} non-negative numbers summing to 1")
        out[p] = vec
    missing = [game.populations[p].name for p in range(len(game.populations)) if p not in free and p not in out]
    if missing:
        raise ArgumentError(
            f"fixed must give a strategy or shares for {', '.join(missing)} (the populations the figure does not span)"
        )
    return out


def _offsets(game) -> np.ndarray:
    return np.concatenate([[0], np.cumsum([len(p.strategies) for p in game.populations])])


def _velocity(game, sig: np.ndarray, dyn) -> np.ndarray:
    """The field xdot (M, D) of the dynamics ``dyn`` at full shares ``sig`` (M, D), from the game's numeric payoffs
    (:func:`gamekit.protocols.velocity`; the replicator's ``x_i (u_i - ubar_p)`` included)."""
    from .dynamics import general_field
    from .protocols import velocity

    return velocity(dyn, sig, general_field(game).payoffs(sig), _offsets(game))


def _rest_points(game, rest_points, dyn=None):
    from .protocols import REPLICATOR

    dyn = REPLICATOR if dyn is None else dyn
    if rest_points is None:
        from .equilibria import equilibria

        return equilibria(game, dynamics=dyn)
    from .equilibria.result import Equilibria

    if not isinstance(rest_points, Equilibria):
        raise ArgumentError(
            f"rest_points must be the Equilibria of this game (gamekit.equilibria) or None, got {type(rest_points).__name__}"
        )
    if rest_points.game is not None:
        _same_game("rest_points", "Equilibria", game, rest_points.game)
    if rest_points.dynamics != dyn:
        raise ArgumentError(
            f"rest_points are those of the dynamics {rest_points.dynamics}, the figure draws {dyn}: pass "
            f"gamekit.equilibria(game, dynamics={str(dyn)!r}) or dynamics={str(rest_points.dynamics)!r}"
        )
    return rest_points


def _same_game(name: str, what: str, game, other) -> None:
    """An ArgumentError unless ``other`` (the game a result was computed for) is ``game``: the same populations and
    strategies, the same parameter values, the same payoffs."""
    if other is game:
        return
    layout = [(p.name, tuple(p.strategies)) for p in game.populations]
    if [(p.name, tuple(p.strategies)) for p in other.populations] != layout:
        shape = "; ".join(f"{p.name}: {len(p.strategies)} strategies" for p in other.populations)
        raise ArgumentError(
            f"{name} must be the {what} of this game; they belong to another game ({shape}) "
            "with other populations or strategies"
        )
    if dict(other.parameters) != dict(game.parameters):
        diff = [
            f"{k} = {_number(other.parameters[k]) if other.parameters.get(k) is not None else '?'} "
            f"(game: {_number(game.parameters[k]) if game.parameters.get(k) is not None else '?'})"
            for k in game.parameters
            if other.parameters.get(k) != game.parameters.get(k)
        ]
        raise ArgumentError(
            f"{name} were computed at other parameter values than game's: {', '.join(diff) or 'other parameters'}"
        )
    if other.payoffs != game.payoffs:
        raise ArgumentError(f"{name} must be the {what} of this game; they belong to a game with other payoffs")


def _on_fixed(eq, fixed: dict[int, np.ndarray]) -> bool:
    return all(np.max(np.abs(np.asarray(eq.state[p]) - vec)) <= ON_FACE_TOL for p, vec in fixed.items())


def _mark(ax, points: list[tuple[float, float, str]], zorder: float = 5) -> None:
    """One Line2D per rest point (gid ``rest-point``, label = its stability), styled by REST_POINT_STYLE."""
    for x, y, label in points:
        style = REST_POINT_STYLE.get(label, REST_POINT_STYLE["not linearised"])
        ax.plot(
            [x],
            [y],
            linestyle="none",
            markersize=9,
            markeredgecolor="k",
            markeredgewidth=1.3,
            color="k",
            zorder=zorder,
            gid="rest-point",
            label=label,
            clip_on=False,
            **style,
        )


def _rest_point_handles(labels) -> list:
    """Legend entries of the rest-point markers whose labels occur, in REST_POINT_STYLE's order."""
    from matplotlib.lines import Line2D

    return [
        Line2D([], [], linestyle="none", markersize=8, markeredgecolor="k", color="k", label=label,
               **REST_POINT_STYLE[label])
        for label in REST_POINT_STYLE
        if label in labels
    ]  # fmt: skip


def _legend(fig, ax, labels, extra=(), own: bool = False) -> None:
    _side_key(fig, ax, list(extra) + _rest_point_handles(labels), own)


def _orbit_states(traj, cols, name="orbits", game=None) -> np.ndarray:
    """The recorded states (n, T, len(cols)) of a Trajectory's orbits in the given coordinate columns; with ``game``,
    the Trajectory must be one of that game (:func:`_same_game`)."""
    from .simulate import Trajectory

    if not isinstance(traj, Trajectory):
        raise ArgumentError(
            f"{name} must be a Trajectory (the result of gamekit.simulate) or None, got {type(traj).__name__}"
        )
    if game is not None:
        _same_game(name, "Trajectory", game, traj.game)
    if traj.states is None:
        from .errors import StateError

        raise StateError(f"{name} kept only final states: simulate with t_eval=... to draw orbits")
    return traj.states[:, :, cols]


# --- closed orbits on a face or a simplex ------------------------------------------------------------------------
#
# Around a rest point p = (a*, b*) inside an invariant face (every other population at a pure strategy) whose
# linearisation winds (a complex pair of eigenvalues, angular speed omega), orbits started on the ray
# {(a* + r, b*) : r > 0} are followed with gamekit.simulate (the compiled integrator; the face is invariant, so the
# orbit stays on it) and cut by that ray: the return map r_k -> r_{k+1}.  A revolution is closed when
# |r_{k+1} - r_k| <= CYCLE_CLOSE * r_k: at once around a centre (where every revolution closes: the 2x2 face of a
# bimatrix game has the first integral H of the tests), after a few revolutions onto a limit cycle.  Orbits that
# spiral into the rest point or out to the edges close no revolution, and nothing is drawn for them.  On the simplex
# of a three-strategy population the same, in the triangle's Cartesian coordinates, from starts on the segment from
# the rest point to the second strategy's vertex (zero-sum rock-paper-scissors: x1 x2 x3 is constant on each cycle).

CYCLES = 3
"""Closed orbits :func:`phase_portrait` looks for around each winding rest point of an invariant face."""

CYCLE_CLOSE = 1e-4
"""A revolution is closed when it returns to the ray within this fraction of its distance from the rest point."""

CYCLE_PERIODS = 12
"""How long the orbits are followed: this many periods 2 pi / omega of the linearisation (outer orbits are slower)."""

CYCLE_SAMPLES = 1000
"""Output times per linear period; the crossings of the ray are interpolated linearly between them."""

MAX_CYCLES = 10
"""Most closed orbits drawn around one rest point."""

CYCLE_MIN_RADIUS = 1e-3
"""A revolution this close to the rest point is not drawn as a cycle (the orbit spiralled into it)."""


def _winding(eq) -> float:
    """The largest imaginary part of a rest point's eigenvalues (0 when it does not wind)."""
    return max((abs(complex(z).imag) for z in eq.eigenvalues), default=0.0)


CYCLE_MAX_T_END = 1e4
"""Longest time the closed-orbit search integrates for.  When CYCLE_PERIODS linear periods are longer (payoffs of
tiny magnitude, e.g. scaled by 1e-9), the search follows the game with every payoff multiplied by 1 / omega instead:
the replicator field x_i (u_i - ubar) scales by the same factor, so the orbits are the same curves, traversed in time
rescaled to angular speed 1."""


def _follow(game, x0: np.ndarray, omega: float) -> np.ndarray:
    """Orbits (n, T, width of Trajectory.states) from the full shares ``x0`` over CYCLE_PERIODS linear periods."""
    from .simulate import simulate

    if CYCLE_PERIODS * 2.0 * np.pi / omega > CYCLE_MAX_T_END:
        import dataclasses

        import sympy

        factor = sympy.Float(1.0 / omega)
        scaled = tuple(tuple(factor * e for e in row) for row in game.payoffs)
        game, omega = dataclasses.replace(game, payoffs=scaled), 1.0
    t_end = CYCLE_PERIODS * 2.0 * np.pi / omega
    t_eval = np.linspace(0.0, t_end, CYCLE_PERIODS * CYCLE_SAMPLES + 1)
    return simulate(game, x0, t_end, t_eval=t_eval, progress=False).states


def _closed(planar, centre: np.ndarray) -> list[np.ndarray]:
    """The first closed revolution of each orbit around ``centre`` (planar orbits (T, 2)), cut by the ray from the
    centre through the orbit's start (the return map of the comment above); one per distinct cycle."""
    found: list[np.ndarray] = []
    for xy in planar:
        angle = np.unwrap(np.arctan2(xy[:, 1] - centre[1], xy[:, 0] - centre[0]))
        turns = (angle - angle[0]) / (2.0 * np.pi)
        turns = turns if turns[-1] >= 0 else -turns
        cuts = [(0, xy[0])]  # (sample index before the cut, point on the ray)
        for k in range(1, int(np.floor(turns.max())) + 1):
            i = int(np.argmax(turns >= k))
            if i == 0:
                break
            f = (k - turns[i - 1]) / (turns[i] - turns[i - 1])
            cuts.append((i - 1, xy[i - 1] + f * (xy[i] - xy[i - 1])))
        for (i0, p0), (i1, p1) in zip(cuts, cuts[1:]):
            r0, r1 = np.hypot(*(p0 - centre)), np.hypot(*(p1 - centre))
            if r0 > CYCLE_MIN_RADIUS and abs(r1 - r0) <= CYCLE_CLOSE * r0:
                if not any(abs(np.hypot(*(c[0] - centre)) - r1) <= 10 * CYCLE_CLOSE * r1 for c in found):
                    found.append(np.vstack([p0, xy[i0 + 1 : i1 + 1], p1]))
                break
    return found


def _cycles(game, a: int, b: int, rest: dict[int, np.ndarray], centre, omega: float, count: int) -> list[np.ndarray]:
    """Closed orbits (each an (m, 2) array in the face's coordinates, first point = last) around ``centre``."""
    off = _offsets(game)
    ac, bc = centre
    radii = (1.0 - ac) * np.arange(1, count + 1) / (count + 1)  # starts spread along the ray to the edge a = 1
    x0 = np.empty((radii.size, off[-1]))
    for p, vec in rest.items():
        x0[:, off[p] : off[p + 1]] = vec
    x0[:, off[a]], x0[:, off[a] + 1] = ac + radii, 1.0 - ac - radii
    x0[:, off[b]], x0[:, off[b] + 1] = bc, 1.0 - bc
    two = all(n == 2 for n in game.shape)
    ca, cb = (a, b) if two else (off[a], off[b])
    return _closed((orbit[:, [ca, cb]] for orbit in _follow(game, x0, omega)), np.asarray(centre, dtype=float))


def _simplex_cycles(game, p: int, rest, centre: np.ndarray, omega: float, count: int) -> list[np.ndarray]:
    """Closed orbits on the simplex of population ``p`` (Cartesian (m, 2) arrays) around the barycentric ``centre``,
    from starts on the segment from the centre to the second strategy's vertex."""
    off = _offsets(game)
    f = np.arange(1, count + 1) / (count + 1)
    x0 = np.empty((f.size, off[-1]))
    for q, vec in rest.items():
        x0[:, off[q] : off[q + 1]] = vec
    x0[:, off[p] : off[p + 1]] = (1.0 - f)[:, None] * centre + f[:, None] * np.array([0.0, 1.0, 0.0])
    states = _follow(game, x0, omega)  # every share (a three-strategy population is in the game)
    return _closed((_ternary(orbit[:, off[p] : off[p + 1]]) for orbit in states), _ternary(centre))


def phase_portrait(
    game: object,
    face: tuple[str | int, str | int] | None = None,
    ax: object | None = None,
    fixed: dict | None = None,
    density: float = 1.2,
    orbits: object | None = None,
    rest_points: object | None = None,
    resolution: int = 101,
    cycles: int = CYCLES,
    dynamics: str | None = None,
):
    """The phase portrait on a face spanned by two two-strategy populations (the replicator's, or another dynamics').

    Parameters
    ----------
    game : Game
        A game of at least two populations (``game.kind == "populations"``).
    face : (population, population), optional
        The populations on the horizontal and vertical axes, by name or index, each with two strategies; an axis is
        the share playing the population's first strategy.  Default: the first two populations.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    fixed : dict, optional
        Every other population's state: a strategy name (a pure face, which the dynamics leaves invariant), the share
        of its first strategy, or its full shares (a slice: the arrows are the field's projection onto it).
    density : float
        The streamlines' density (matplotlib ``streamplot``), in (0, 10].
    orbits : Trajectory, optional
        Orbits from ``gamekit.simulate(..., t_eval=...)``, drawn in the face's two coordinates (start: a small dot).
    rest_points : Equilibria, optional
        ``gamekit.equilibria(game)`` if already computed; computed here when None.  Those on the face are marked by
        their stability label in the whole state space: filled circle = asymptotically stable, open circle = unstable,
        half-filled circle = saddle, open diamond = non-hyperbolic (centres), cross = not linearised.
    resolution : int
        Grid points per axis for the field and the nullclines, 11 to 1001.
    cycles : int
        Closed orbits to look for around each rest point inside the face whose eigenvalues wind (a complex pair), 0
        to 10: a centre's nested cycles, or a limit cycle (module comment above :data:`CYCLES`).  Only on an invariant
        face (every population in ``fixed`` at a pure strategy); 0 draws none.  Searched under the replicator only.
    dynamics : str or Dynamics, optional
        The dynamics whose field, nullclines and rest points are drawn (:func:`gamekit.simulate`'s ``dynamics``:
        ``"logit:ETA"``, ``"smith"``, ``"bnn"``, ``"replicator-mutator:MU"``); default the replicator.  Under
        another dynamics the nullclines are the zero contours of the face's two velocity components
        (:func:`gamekit.protocols.velocity`), ``rest_points`` must be ``gamekit.equilibria(game, dynamics=...)``
        of the same dynamics, and no closed orbits are searched for.  Under logit and the replicator-mutator no face
        is invariant (every strategy keeps being played): the arrows are then the field's projection onto the face,
        and a rest point is marked only where it lies on it.

    Returns
    -------
    matplotlib.figure.Figure
        With the field (a streamplot, gid ``vector-field``), the nullclines (the zero contours of each switch gain
        ``u_{p,1} - u_{p,2}``, gids ``nullcline-a`` and ``nullcline-b``; the edges, where the shares' product
        vanishes, are the frame; under another dynamics the zero contours of the velocity components), a Line2D per
        rest point (gid ``rest-point``), the orbits (gid ``orbit``) and the closed orbits (gid ``cycle``).
    """
    from . import _validate

    game = _validate.game(game)
    if game.kind != "populations" or len(game.populations) < 2:
        raise ArgumentError(
            f"phase_portrait needs a game of two or more populations (this one is {game.kind!r} with "
            f"{len(game.populations)} population); for a three-strategy population use gamekit.plot.simplex"
        )
    if face is None:
        face = (0, 1)
    if isinstance(face, (str, bytes)) or not isinstance(face, Sequence) or len(face) != 2:
        raise ArgumentError(
            f"face must be a pair of populations (names or indices), got {_validate.printable(repr(face))}"
        )
    a, b = (_population(game, key, "face") for key in face)
    if a == b:
        raise ArgumentError(f"face must name two different populations, got {game.populations[a].name!r} twice")
    for p in (a, b):
        if len(game.populations[p].strategies) != 2:
            pop = game.populations[p]
            raise ArgumentError(f"face: {pop.name} has {len(pop.strategies)} strategies; a face axis needs two")
    rest = _fixed_shares(game, (a, b), fixed)
    density = _validate.real("density", density, low=0.0, high=10.0, low_open=True)
    resolution = _validate.integer("resolution", resolution, minimum=11, maximum=1001)
    cycles = _validate.integer("cycles", cycles, minimum=0, maximum=MAX_CYCLES)
    from .protocols import parse_dynamics

    dyn = parse_dynamics(dynamics)
    replicator = dyn.kind == "replicator"
    eqs = _rest_points(game, rest_points, dyn)
    traj = None if orbits is None else _orbit_states(orbits, [a, b], game=game)
    if traj is not None and not all(len(p.strategies) == 2 for p in game.populations):
        raise ArgumentError("orbits on a face need a game whose populations all have two strategies")

    off = _offsets(game)
    s = np.linspace(0.0, 1.0, resolution)
    X, Y = np.meshgrid(s, s)
    sig = np.empty((X.size, off[-1]))
    for p, vec in rest.items():
        sig[:, off[p] : off[p + 1]] = vec
    sig[:, off[a]], sig[:, off[a] + 1] = X.ravel(), 1.0 - X.ravel()
    sig[:, off[b]], sig[:, off[b] + 1] = Y.ravel(), 1.0 - Y.ravel()
    from .dynamics import general_field

    u = general_field(game).payoffs(sig)
    if replicator:
        gain_a = (u[:, off[a]] - u[:, off[a] + 1]).reshape(X.shape)
        gain_b = (u[:, off[b]] - u[:, off[b] + 1]).reshape(X.shape)
        U, V = X * (1 - X) * gain_a, Y * (1 - Y) * gain_b
    else:  # no invariant edges in general: the nullclines are the zero sets of the velocity components themselves
        from .protocols import velocity

        xdot = velocity(dyn, sig, u, off)
        U, V = xdot[:, off[a]].reshape(X.shape), xdot[:, off[b]].reshape(X.shape)
        gain_a, gain_b = U, V

    own = ax is None
    fig, ax = _axes(ax)
    if own:  # a square face or triangle, its key beside it
        fig.set_size_inches(*PORTRAIT_SIZE)
    from matplotlib.lines import Line2D

    speed = np.hypot(U, V)
    if np.any(speed > 0):
        sp = ax.streamplot(
            s, s, U, V, density=density, color=FIELD_COLOR, linewidth=0.7, arrowsize=0.9, broken_streamlines=True,
            zorder=1,
        )  # fmt: skip
        sp.lines.set_gid("vector-field")
        sp.arrows.set_gid("vector-field-arrows")
    pa, pb = game.populations[a], game.populations[b]
    extra = []
    for gain, gid, color, ls, pop in (
        (gain_a, "nullcline-a", PALETTE[1], "--", pa),
        (gain_b, "nullcline-b", PALETTE[2], "-.", pb),
    ):
        if np.nanmin(gain) < 0 < np.nanmax(gain):
            cs = ax.contour(X, Y, gain, levels=[0.0], colors=[color], linestyles=[ls], linewidths=1.8, zorder=3)
            cs.set_gid(gid)
            extra.append(Line2D([], [], color=color, linestyle=ls, linewidth=1.8, label=f"{pop.name} nullcline"))

    pure = all(np.count_nonzero(vec) == 1 for vec in rest.values())
    if cycles and pure and replicator:
        closed = []
        for eq in eqs:
            centre = np.array([eq.state[a][0], eq.state[b][0]])
            if _on_fixed(eq, rest) and np.all((centre > 0) & (centre < 1)) and _winding(eq) > 0:
                closed += _cycles(game, a, b, rest, centre, _winding(eq), cycles)
        for c in closed:
            ax.plot(c[:, 0], c[:, 1], color=PALETTE[0], lw=LINE_WIDTH, zorder=3.5, gid="cycle")
        if closed:
            extra.append(Line2D([], [], color=PALETTE[0], lw=LINE_WIDTH, label="closed orbits"))

    if traj is not None:
        for orbit in traj:
            ax.plot(orbit[:, 0], orbit[:, 1], color=OKABE_ITO["black"], lw=1.1, zorder=4, gid="orbit")
            ax.plot(orbit[0, 0], orbit[0, 1], "o", color="k", markersize=3, zorder=4, gid="orbit-start")
        extra.append(Line2D([], [], color="k", lw=1.1, label="orbits"))

    on_face = [(eq.state[a][0], eq.state[b][0], str(eq.stability)) for eq in eqs if _on_fixed(eq, rest)]
    _mark(ax, on_face)
    _legend(fig, ax, {lab for *_, lab in on_face}, extra, own)

    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(0.0, 1.0)
    ax.set_aspect("equal")
    ax.set_xlabel(f"{pa.name}: share playing {pa.strategies[0]}")
    ax.set_ylabel(f"{pb.name}: share playing {pb.strategies[0]}")
    held = [f"{game.populations[p].name} = {_share_text(game.populations[p], vec)}" for p, vec in sorted(rest.items())]
    if not replicator:
        held.insert(0, f"dynamics {dyn}")
    if held:
        ax.set_title(", ".join(held), fontsize="medium")
    return fig


def _share_text(pop, vec: np.ndarray) -> str:
    hit = np.flatnonzero(vec == 1.0)
    if hit.size == 1:
        return pop.strategies[int(hit[0])]
    return "(" + ", ".join(f"{v:.3g}" for v in vec) + ")"


def _ternary(x: np.ndarray) -> np.ndarray:
    """Cartesian points (..., 2) of barycentric shares (..., 3) on the triangle SIMPLEX_VERTICES."""
    return np.asarray(x, dtype=float) @ SIMPLEX_VERTICES


def simplex(
    game: object,
    population: str | int | None = None,
    ax: object | None = None,
    fixed: dict | None = None,
    resolution: int = 16,
    orbits: object | None = None,
    rest_points: object | None = None,
    cycles: int = CYCLES,
    dynamics: str | None = None,
):
    """The portrait of a three-strategy population on its simplex (a ternary plot), under the replicator or another
    dynamics.

    Parameters
    ----------
    game : Game
        Any game kind; rock-paper-scissors (one population) is the classic case.
    population : str or int, optional
        The population drawn, by name or index; it must have three strategies.  Default: the only population of a
        one-population game.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    fixed : dict, optional
        The other populations' states, as in :func:`phase_portrait`.
    resolution : int
        Lattice steps per side for the arrows (4 to 60): an arrow at each interior point ``k / resolution``.
    orbits : Trajectory, optional
        Orbits from ``gamekit.simulate(..., t_eval=...)`` of a game whose only population is the one drawn.
    rest_points : Equilibria, optional
        ``gamekit.equilibria(game)`` if already computed; computed here when None.  Marked by stability label as in
        :func:`phase_portrait`.
    cycles : int
        Closed orbits to look for around each interior rest point whose eigenvalues wind, 0 to 10 (as in
        :func:`phase_portrait`: a centre's nested cycles, or a limit cycle); only when every population in
        ``fixed`` is at a pure strategy (the simplex is then invariant); 0 draws none.  Searched under the replicator
        only.
    dynamics : str or Dynamics, optional
        The dynamics whose field and rest points are drawn, as in :func:`phase_portrait`; default the replicator.

    Returns
    -------
    matplotlib.figure.Figure
        The triangle (gid ``simplex``), a vertex label per strategy (gid ``vertex-label``), the field as
        direction arrows of equal length whose shade grows with the speed (a quiver, gid ``vector-field``), a
        Line2D per rest point (gid ``rest-point``), the orbits (gid ``orbit``) and the closed orbits (gid
        ``cycle``).
    """
    from . import _validate

    game = _validate.game(game)
    if population is None:
        if len(game.populations) != 1:
            names = ", ".join(p.name for p in game.populations)
            raise ArgumentError(f"population must name the population to draw (populations: {names})")
        population = 0
    p = _population(game, population, "population")
    pop = game.populations[p]
    if len(pop.strategies) != 3:
        raise ArgumentError(
            f"simplex needs a population with three strategies; {pop.name} has {len(pop.strategies)}"
            + (" (use gamekit.plot.phase_portrait for two-strategy populations)" if len(pop.strategies) == 2 else "")
        )
    rest = _fixed_shares(game, (p,), fixed)
    resolution = _validate.integer("resolution", resolution, minimum=4, maximum=60)
    cycles = _validate.integer("cycles", cycles, minimum=0, maximum=MAX_CYCLES)
    from .protocols import parse_dynamics

    dyn = parse_dynamics(dynamics)
    if dyn.kind != "replicator":
        cycles = 0
    eqs = _rest_points(game, rest_points, dyn)
    traj = None
    if orbits is not None:
        if len(game.populations) != 1:
            raise ArgumentError("orbits on the simplex need a game whose only population is the one drawn")
        traj = _orbit_states(orbits, [0, 1, 2], game=game)

    n = resolution
    lattice = np.array([(i, j, n - i - j) for i in range(1, n) for j in range(1, n - i)], dtype=float) / n
    off = _offsets(game)
    sig = np.empty((len(lattice), off[-1]))
    for q, vec in rest.items():
        sig[:, off[q] : off[q + 1]] = vec
    sig[:, off[p] : off[p + 1]] = lattice
    xdot = _velocity(game, sig, dyn)[:, off[p] : off[p + 1]]
    pts, vel = _ternary(lattice), _ternary(xdot) - _ternary(np.zeros(3))
    speed = np.hypot(vel[:, 0], vel[:, 1])
    direction = np.divide(vel, speed[:, None], out=np.zeros_like(vel), where=speed[:, None] > 0)

    own = ax is None
    fig, ax = _axes(ax)
    if own:  # a square face or triangle, its key beside it
        fig.set_size_inches(*PORTRAIT_SIZE)
    import matplotlib.colors as mcolors
    from matplotlib.lines import Line2D
    from matplotlib.patches import Polygon

    ax.add_patch(
        Polygon(SIMPLEX_VERTICES, closed=True, fill=False, edgecolor="k", linewidth=1.2, gid="simplex", zorder=2)
    )
    shade = mcolors.LinearSegmentedColormap.from_list("gk-grey", ["#c8c8c8", "#3a3a3a"])
    top = speed.max() if speed.size and speed.max() > 0 else 1.0
    moving = speed > STILL * max(1.0, top)  # no arrow where the field vanishes (rounding aside): no dot either
    pts, direction, speed = pts[moving], direction[moving], speed[moving]
    q = ax.quiver(
        pts[:, 0], pts[:, 1], direction[:, 0], direction[:, 1], speed / top, cmap=shade, clim=(0.0, 1.0),
        angles="xy", scale_units="xy", scale=1.6 * n, width=0.004, headwidth=4, headlength=4.5, pivot="mid",
        zorder=1,
    )  # fmt: skip
    q.set_gid("vector-field")
    extra = []
    if traj is not None:
        for orbit in traj:
            xy = _ternary(orbit)
            ax.plot(xy[:, 0], xy[:, 1], color=OKABE_ITO["blue"], lw=1.2, zorder=4, gid="orbit")
            ax.plot(xy[0, 0], xy[0, 1], "o", color=OKABE_ITO["blue"], markersize=3, zorder=4, gid="orbit-start")
        extra.append(Line2D([], [], color=OKABE_ITO["blue"], lw=1.2, label="orbits"))

    if cycles and all(np.count_nonzero(vec) == 1 for vec in rest.values()):
        closed = []
        for eq in eqs:
            centre = np.asarray(eq.state[p], dtype=float)
            if _on_fixed(eq, rest) and np.all(centre > 0) and _winding(eq) > 0:
                closed += _simplex_cycles(game, p, rest, centre, _winding(eq), cycles)
        for c in closed:
            ax.plot(c[:, 0], c[:, 1], color=PALETTE[1], lw=LINE_WIDTH, zorder=3.5, gid="cycle")
        if closed:
            extra.append(Line2D([], [], color=PALETTE[1], lw=LINE_WIDTH, label="closed orbits"))

    marks = []
    for eq in eqs:
        if _on_fixed(eq, rest):
            xy = _ternary(np.asarray(eq.state[p]))
            marks.append((xy[0], xy[1], str(eq.stability)))
    _mark(ax, marks)
    _legend(fig, ax, {lab for *_, lab in marks}, extra, own)

    pad = 0.05
    for (vx, vy), name, ha, va, dy in zip(
        SIMPLEX_VERTICES, pop.strategies, ("right", "left", "center"), ("top", "top", "bottom"), (-pad, -pad, pad)
    ):
        ax.text(vx, vy + dy, name, ha=ha, va=va, fontsize="medium", gid="vertex-label")
    ax.set_xlim(-0.12, 1.12)
    ax.set_ylim(-0.12, SIMPLEX_VERTICES[2, 1] + 0.12)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if rest:
        held = ", ".join(
            f"{game.populations[q].name} = {_share_text(game.populations[q], v)}" for q, v in sorted(rest.items())
        )
        ax.set_title(f"{pop.name} ({held})", fontsize="medium", pad=18)
    if dyn.kind != "replicator":
        ax.text(0.5, 1.0, f"dynamics {dyn}", transform=ax.transAxes, ha="center", va="bottom", fontsize="medium")
    return fig


# ---------------------------------------------------------------------------------------------- sensitivity


def sensitivity(result: object, ax: object | None = None, *, starts: Sequence[int] | None = None):
    """The sensitivity panels: shares against time, one curve per value of the parameter.

    Parameters
    ----------
    result : Sensitivity
        The result of :func:`gamekit.sensitivity`.
    ax : matplotlib Axes or sequence of Axes, optional
        One Axes per panel (an Axes when there is one panel); a new figure when None.
    starts : sequence of int, optional
        Indices of the starts to draw (default: all); several starts are drawn in their value's style.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per population (per population and strategy when a population has more than two strategies),
        one curve per value -- colour, dash pattern and marker together (:data:`PALETTE`, :data:`LINESTYLES`,
        :data:`MARKERS`) -- and a key of the values above the panels (on the first panel when ``ax`` is given).
    """
    from ._validate import printable
    from .sensitivity import Sensitivity

    if not isinstance(result, Sensitivity):
        raise ArgumentError(
            f"result must be a Sensitivity (the result of gamekit.sensitivity), got {type(result).__name__}"
        )
    columns = _share_columns(result.game)
    if len(result.values) > len(PALETTE):
        raise ArgumentError(
            f"plot draws at most {len(PALETTE)} values apart (one colour and dash pattern each); this result has "
            f"{len(result.values)}: compute fewer values, or draw to_frame() yourself"
        )
    if starts is None:
        chosen = list(range(result.starts))
    else:
        if isinstance(starts, (str, bytes)) or not isinstance(starts, (Sequence, range, np.ndarray)):
            raise ArgumentError(f"starts must be a sequence of start indices or None, got {type(starts).__name__}")
        chosen = []
        for s in starts:
            if isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer)) or not 0 <= s < result.starts:
                raise ArgumentError(f"starts must be indices in 0..{result.starts - 1}, got {printable(repr(s), 40)}")
            chosen.append(int(s))
        if not chosen:
            raise ArgumentError("starts must name at least one start")
    own = ax is None
    fig, axes = _panel_axes(ax, len(columns))
    sizes = {p.name: len(p.strategies) for p in result.game.populations}
    for a, (pop, strategy, _, c) in zip(axes, columns):
        for j, v in enumerate(result.values):
            for k, s in enumerate(chosen):
                a.plot(result.t, result.states[j, s, :, c], **_style(j, len(result.t)),
                       label=f"{result.parameter} = {_number(v)}" if k == 0 else None)  # fmt: skip
        a.set_title(pop if sizes[pop] == 2 else f"{pop}: {strategy}", fontsize="medium")
        a.set_xlabel("t")
        a.set_ylabel(f"share of {strategy}")
        a.set_ylim(-0.03, 1.03)
        if result.t[-1] > result.t[0]:
            a.set_xlim(result.t[0], result.t[-1])
    _panel_legend(fig, axes, own, len(result.values))
    return fig


def sensitivity_map(result: object, ax: object | None = None):
    """A final share, or a basin share, over a grid of two parameters: a heatmap with a colour bar.

    Parameters
    ----------
    result : SensitivityMap
        The result of :func:`gamekit.sensitivity_map`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.

    Returns
    -------
    matplotlib.figure.Figure
        The values as a QuadMesh (gid ``sensitivity-map``; colour map ``cividis``, readable by colour-blind readers
        and in grey print, from 0 to 1) and a colour bar naming the quantity.
    """
    import matplotlib.pyplot as plt

    from .sensitivity import SensitivityMap

    if not isinstance(result, SensitivityMap):
        raise ArgumentError(
            f"result must be a SensitivityMap (the result of gamekit.sensitivity_map), got {type(result).__name__}"
        )
    if ax is None:
        fig, ax = plt.subplots(figsize=MAP_SIZE, layout="constrained")
    else:
        fig, ax = _axes(ax)
    mesh = ax.pcolormesh(result.xs, result.ys, result.values, cmap="cividis", vmin=0.0, vmax=1.0, shading="nearest")
    mesh.set_gid("sensitivity-map")
    bar = fig.colorbar(mesh, ax=ax)
    bar.set_label(result.label)
    ax.set_xlabel(result.x)
    ax.set_ylabel(result.y)
    return fig


# ------------------------------------------------------------------------------------------ bifurcation diagrams

BIFURCATION_MARKERS = {
    "transcritical": ("o", PALETTE[2]),
    "fold": ("s", PALETTE[4]),
    "hopf": ("D", PALETTE[3]),
    "degenerate": ("X", PALETTE[6]),
}
"""Marker and colour of a bifurcation point by kind."""

BRANCH_STYLE = {
    "asymptotically stable": ("-", PALETTE[0], 1.8),
    "non-hyperbolic": (":", "#999999", 1.4),
    "other": ("--", PALETTE[1], 1.4),
}
"""Dash pattern, colour and width of a branch's stretch by stability: stable solid, unstable or saddle dashed,
non-hyperbolic dotted."""


def bifurcation(
    result: object,
    share: str | None = None,
    ax: object | None = None,
    labels: bool = True,
    legend: bool = True,
):
    """The bifurcation diagram of a continuation: rest points' shares against the parameter.

    Parameters
    ----------
    result : Continuation
        The result of :func:`gamekit.continuation`.
    share : str, optional
        The share on the vertical axis: ``"population.strategy"``, a population's name (its first strategy) or a
        named share; default the first population's first strategy.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    labels : bool
        Annotate each bifurcation point with its kind and parameter value.
    legend : bool
        A key to the right of the axes (turn it off on all panels but one of a grid).

    Returns
    -------
    matplotlib.figure.Figure
        Stable stretches solid, unstable dashed, non-hyperbolic dotted (:data:`BRANCH_STYLE`); bifurcation points
        marked by kind (:data:`BIFURCATION_MARKERS`).
    """
    from matplotlib.lines import Line2D

    from ._validate import flag
    from .continuation.result import KINDS, Continuation, _share_column, _short
    from .stability import Stability

    if not isinstance(result, Continuation):
        raise ArgumentError(
            f"result must be a Continuation (the result of gamekit.continuation), got {type(result).__name__}"
        )
    labels = flag("labels", labels)
    legend = flag("legend", legend)
    column, label = _share_column(result.game, share)
    own = ax is None
    fig, ax = _axes(ax)
    if own and legend:  # room for the key on the right of a figure of our own (its constrained layout places it)
        fig.set_size_inches(*DIAGRAM_SIZE)

    def style(stability):
        if stability is Stability.ASYMPTOTICALLY_STABLE:
            return BRANCH_STYLE["asymptotically stable"]
        if stability is Stability.NON_HYPERBOLIC:
            return BRANCH_STYLE["non-hyperbolic"]
        return BRANCH_STYLE["other"]

    for b in result.branches:
        xs, ys = b.values, b.states[:, column]
        start = 0
        for i in range(1, len(b.points) + 1):
            if i == len(b.points) or b.points[i].stability is not b.points[start].stability:
                ls, colour, lw = style(b.points[start].stability)
                stop = min(i + 1, len(b.points))  # share the switching point, so the curve is unbroken
                on_top = 2.5 if ls == "-" else 2.0  # a stable stretch stays visible where branches overlap
                ax.plot(xs[start:stop], ys[start:stop], linestyle=ls, color=colour, linewidth=lw, zorder=on_top,
                        gid="branch")  # fmt: skip
                start = i
    seen: dict = {}
    for bif in result.bifurcations:
        x = float(bif.value)
        y = float(np.concatenate([np.asarray(s) for s in bif.state])[column])
        marker, colour = BIFURCATION_MARKERS[bif.kind]
        ax.plot([x], [y], linestyle="none", marker=marker, markersize=7, color=colour, markeredgecolor="black",
                zorder=3, gid="bifurcation")  # fmt: skip
        seen.setdefault((round(x, 9), round(y, 9)), []).append(bif)
    if labels:
        for (x, y), bifs in seen.items():
            kinds = [k for k in KINDS if any(b.kind == k for b in bifs)]
            text = f"{', '.join(kinds)}: {result.parameter} = {_short(bifs[0].value, result.interval)}"
            below = y > 0.85  # near the top frame: the label goes below the point
            ax.annotate(text, (x, y), xytext=(6, -14 if below else 6), textcoords="offset points", fontsize="small",
                        zorder=4, bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none", alpha=0.8))  # fmt: skip
    lo, hi = result.interval
    ax.set_xlim(lo, hi)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel(result.parameter)
    ax.set_ylabel(label)
    handles = [
        Line2D([], [], linestyle="-", color=PALETTE[0], label="asymptotically stable"),
        Line2D([], [], linestyle="--", color=PALETTE[1], label="unstable / saddle"),
    ]
    if any(p.stability is Stability.NON_HYPERBOLIC for b in result.branches for p in b.points):
        handles.append(Line2D([], [], linestyle=":", color="#999999", label="non-hyperbolic"))
    for kind in KINDS:
        if any(b.kind == kind for b in result.bifurcations):
            marker, colour = BIFURCATION_MARKERS[kind]
            handles.append(
                Line2D([], [], linestyle="none", marker=marker, color=colour, markeredgecolor="black", label=kind)
            )
    if legend:  # outside the axes: never over a branch or a label
        _side_key(fig, ax, handles, own)
    return fig


# ------------------------------------------------------------------------------------------- noise and schedules


def hitting_probability(
    paths: object,
    target: str,
    *,
    leave: bool = False,
    times: Sequence[float] | np.ndarray | None = None,
    ax: object | None = None,
):
    """The probability that a noisy path reaches (or leaves) a state by time t, with its Wilson 95% band.

    Parameters
    ----------
    paths : NoisyPaths
        The result of ``gamekit.simulate(..., noise=...)``.
    target : str
        A watched target (see ``NoisyPaths.hitting_probability``).
    leave : bool
        Leaving the target instead of reaching it (over the paths that start inside).
    times : sequence of float, optional
        Increasing times within ``[0, t_end]`` (default: 101 evenly spaced).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.

    Returns
    -------
    matplotlib.figure.Figure
        The probability (a line, :data:`PALETTE` 0) and its Wilson 95% interval (a band of the same colour).
    """
    from .stochastic import NoisyPaths

    if not isinstance(paths, NoisyPaths):
        raise ArgumentError(
            f"paths must be NoisyPaths (the result of gamekit.simulate(..., noise=...)), got {type(paths).__name__}"
        )
    frame = paths.probability_curve(target, times, leave=leave)
    fig, ax = _axes(ax)
    what = "leaves" if leave else "reaches"
    ax.plot(frame.t, frame.probability, color=PALETTE[0], linewidth=LINE_WIDTH,
            label=f"{what} {frame.attrs['target']} (radius {paths.radius:g})")  # fmt: skip
    ax.fill_between(frame.t, frame.ci_low, frame.ci_high, color=PALETTE[0], alpha=0.25, linewidth=0,
                    label="Wilson 95% interval")  # fmt: skip
    ax.set_xlabel("t")
    ax.set_ylabel(f"probability a path {what} it by t")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(frame.t.iloc[0], frame.t.iloc[-1]) if len(frame) > 1 else None
    ax.set_title(f"{paths.n} paths, {paths.noise.describe(paths.dt)}", fontsize="small")
    ax.legend(loc="best", fontsize="small")
    return fig


def path(result: object, ax: object | None = None):
    """A scheduled orbit (:func:`gamekit.follow`): each share over time, with the start of each phase marked.

    Parameters
    ----------
    result : Path
        The result of :func:`gamekit.follow`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.

    Returns
    -------
    matplotlib.figure.Figure
        :func:`trajectories` of the orbit, a dotted vertical line at each phase's start (gid ``phase``) and the
        phase's name beside it.
    """
    from .policy.follow import Path

    if not isinstance(result, Path):
        raise ArgumentError(f"result must be a Path (the result of gamekit.follow), got {type(result).__name__}")
    fig = trajectories(result.trajectory, ax=ax)
    axis = fig.axes[0] if ax is None else ax
    for t, name in result.phases:
        axis.axvline(t, color="0.4", lw=0.9, ls=":", gid="phase")
        axis.annotate(name, (t, 1.0), xycoords=("data", "axes fraction"), xytext=(3, 3), textcoords="offset points",
                      fontsize="small", va="bottom", ha="left", gid="phase-name")  # fmt: skip
    return fig


# ------------------------------------------------------------------------------------------------------- sweeps

SWEEP_BOUNDARY_RESOLUTION = 201
"""Grid points per axis of the regime map that places a two-parameter sweep's boundaries (exact curves, drawn
where the stable set changes)."""

REGION_LABEL_MIN_SHARE = 0.04
"""A two-parameter sweep names the stable set of each region holding at least this share of the map."""


MIXED = "a mixed rest point"
"""A sweep figure's name for every outcome (and stable state) that is a mixed rest point ``"(x, y, ...)"``: it moves
as the parameters move, so the figure draws its basin as one outcome and its appearance as one change."""


def _stable_kinds(text: str) -> str:
    """A sweep's stable set as the figure compares it: every mixed rest point named :data:`MIXED`."""
    parts = [MIXED if part.startswith("(") else part for part in text.split("; ")]
    return " + ".join(dict.fromkeys(parts))


def _sweep_grid(result) -> tuple[list[str], list[np.ndarray]]:
    """The swept parameters and their sorted values; refuses a list of scenarios and more than two parameters."""
    if result.scenarios is not None:
        raise ArgumentError(
            "plot draws a sweep over a grid of one or two parameters; this sweep is over a list of scenarios or "
            "parameter dicts: draw each point's basins (gk.basins(...).plot()) or to_frame() yourself"
        )
    if not 1 <= len(result.parameters) <= 2:
        raise ArgumentError(
            f"plot draws a sweep over one or two parameters; this one sweeps {len(result.parameters)} "
            f"({', '.join(result.parameters)}): draw to_frame() yourself"
        )
    names = list(result.parameters)
    values = [np.unique([float(p[name]) for p in result.points]) for name in names]
    if math.prod(len(v) for v in values) != len(result.points):
        raise ArgumentError("plot draws a sweep over a full grid of one or two parameters; this one is not a grid")
    return names, values


def _sweep_outcomes(result, outcome) -> list[tuple[str, str]]:
    """(target as simulate labels outcomes, label in the figure) of each outcome to draw: the one asked for, or every
    outcome of the sweep (the most frequent first)."""
    from ._validate import printable
    from .sensitivity import _basin_target

    if result.n == 0:
        raise ArgumentError("this sweep simulated no orbits (n=0): there are no basin shares to draw")

    def named(target: str) -> str:
        try:
            name = result.game.state_name(result.game.profile_index(target))
        except (ValueError, KeyError, TypeError):
            name = None
        return f"{name} ({target})" if name else target

    if outcome is not None:
        if not isinstance(outcome, str):
            raise ArgumentError(f"outcome must name a state or an outcome, got {printable(repr(outcome), 60)}")
        if outcome.strip() in ("mixed", MIXED):
            return [(MIXED, MIXED)]
        try:
            target = _basin_target(result.game, outcome)
        except ArgumentError as err:  # its message names sensitivity's argument, basin=
            raise ArgumentError(str(err).replace("basin=", "outcome=")) from None
        return [(target, named(target))]
    totals: dict[str, int] = {}
    for counts in result.counts:
        for label, k in counts:
            label = MIXED if label.startswith("(") else label  # a mixed rest point moves with the parameters
            totals[label] = totals.get(label, 0) + k
    order = sorted(totals, key=lambda label: -totals[label])
    if len(order) > len(PALETTE):
        raise ArgumentError(
            f"this sweep has {len(order)} outcomes, more than the {len(PALETTE)} a figure draws apart: name one "
            f"with outcome=... ({', '.join(printable(o) for o in order[:3])}, ...)"
        )
    return [(label, named(label)) for label in order]


def _sweep_shares(result, names, values, target: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Share of orbits ending in ``target`` and its Wilson 95% interval at each grid point, shaped like the grid
    (the second parameter along axis 0)."""
    from .basins import wilson_interval
    from .sensitivity import _matches

    def matches(label: str) -> bool:
        return label.startswith("(") if target == MIXED else _matches(label, target)

    shape = tuple(len(v) for v in reversed(values))
    share, low, high = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan)
    for point, counts in zip(result.points, result.counts):
        where = tuple(int(np.searchsorted(v, float(point[name]))) for name, v in zip(reversed(names), reversed(values)))
        k = sum(c for label, c in counts if matches(label))
        share[where] = k / result.n
        low[where], high[where] = wilson_interval(k, result.n)
    return share, low, high


def _exact_boundaries(result) -> bool:
    """Whether the stable set is a function of the switch gains' signs alone: a multilinear game under the
    replicator (its asymptotically stable states are the strict Nash equilibria, pure profiles)."""
    return result.dynamics == "replicator" and result.game.multilinear


def _stable_changes(result, name: str, low: float, high: float) -> tuple[list[float], list[str]]:
    """Where the set of asymptotically stable pure profiles changes as ``name`` runs over ``(low, high)`` (the other
    parameters at the sweep's values), exactly: the real roots of every switch gain there at which the stable set
    differs on the two sides; and the stable set between consecutive changes (from ``low`` to ``high``)."""
    import sympy

    from .expr import substitute
    from .policy._common import substitutions
    from .stability import switch_gains

    game = result.game
    symbol = game.symbols[name]
    others = substitutions(game, {k: v for k, v in game.parameters.items() if v is not None}, skip=(name,))
    gains, labels, roots = [], [], set()
    for idx in game.profiles():
        exprs = [sympy.expand(substitute(g.gain, others)) for g in switch_gains(game, idx)]
        gains.append([sympy.lambdify(symbol, e, "numpy") for e in exprs])
        labels.append(game.state_name(idx) or ", ".join(game.profile_names(idx)))
        for e in exprs:
            if symbol not in e.free_symbols:
                continue
            try:
                found = sympy.solveset(e, symbol, sympy.Interval.open(low, high))
            except (NotImplementedError, TypeError, ValueError):
                continue
            if isinstance(found, sympy.FiniteSet):
                roots.update(float(r) for r in found if r.is_real)

    def stable_set(x: float) -> str:
        with np.errstate(all="ignore"):
            on = [lab for lab, fs in zip(labels, gains) if all(float(f(x)) < 0 for f in fs)]
        return " + ".join(on) or "none"

    cuts = sorted(roots)
    ends = [low, *cuts, high]
    sets = [stable_set((a + b) / 2) for a, b in zip(ends[:-1], ends[1:])]
    changes, between = [], [sets[0]]
    for cut, after in zip(cuts, sets[1:]):
        if after != between[-1]:
            changes.append(cut)
            between.append(after)
    return changes, between


def sweep(result: object, outcome: str | None = None, ax: object | None = None):
    """A sweep's simulated basin shares over its grid, with the analytic stable set's boundaries.

    Parameters
    ----------
    result : SweepResult
        The result of :func:`gamekit.sweep` over one or two parameters (``{parameter: values}``), with ``n > 0``.
    outcome : str, optional
        The outcome to draw: a state name (``"trap"``), a pure profile, a mixed rest point's label, ``"mixed"``
        (every mixed rest point), ``"cycling"`` (every cycling orbit) or ``"unresolved"``.  Default: every outcome
        of the sweep, its mixed rest points (which move with the parameters) as one.
    ax : matplotlib Axes or sequence of Axes, optional
        Where to draw (for two parameters and every outcome, one Axes per outcome); a new figure when None.

    Returns
    -------
    matplotlib.figure.Figure
        **One parameter**: the share of the ``n`` orbits that end in each outcome against the parameter (gid
        ``share``; the k-th outcome in :data:`PALETTE`, :data:`LINESTYLES` and :data:`MARKERS` k) with its Wilson
        95% interval as a band (gid ``band``).  **Two parameters**: a heatmap of one outcome's share per panel
        (a QuadMesh, gid ``sweep``, colour map ``cividis`` from 0 to 1, one colour bar).  Boundaries (gid
        ``boundary``) where the analytic set of asymptotically stable states changes: exact for a multilinear game
        under the replicator (vertical lines at the roots of the switch gains; the curves of
        :func:`gamekit.regime_map`), else between the grid points whose ``stable`` sets differ.  The stable set
        between boundaries is written in the figure (for one parameter above the axes; for two in each region).

    Examples
    --------
    >>> import gamekit as gk
    >>> result = gk.sweep(gk.load("platform-insurance").scenario("trap"), {"R": [1, 2, 4, 6]}, n=50)
    >>> fig = gk.plot.sweep(result, "meta-goal")  # the meta-goal's basin against R; its boundary at R = 3
    """
    from .sweep import SweepResult

    if not isinstance(result, SweepResult):
        raise ArgumentError(f"result must be a SweepResult (the result of gamekit.sweep), got {type(result).__name__}")
    names, values = _sweep_grid(result)
    outcomes = _sweep_outcomes(result, outcome)
    if len(names) == 1:
        return _sweep_line(result, names[0], values[0], outcomes, ax)
    return _sweep_map(result, names, values, outcomes, ax)


def _sweep_line(result, name: str, xs: np.ndarray, outcomes, ax):
    from matplotlib.lines import Line2D

    own = ax is None
    fig, ax = _axes(ax)
    marks = len(xs) <= 2 * MARKS_PER_CURVE  # a coarse grid: a marker at every point
    for k, (target, label) in enumerate(outcomes):
        share, low, high = (a.ravel() for a in _sweep_shares(result, [name], [xs], target))
        style = _style(k) | dict(marker=MARKERS[k], markersize=5) if marks else _style(k, len(xs))
        ax.plot(xs, share, **style, label=label, gid="share")
        ax.fill_between(xs, low, high, color=PALETTE[k], alpha=0.2, linewidth=0, gid="band")
    handles = ax.get_legend_handles_labels()[0]
    span = (xs[0], xs[-1]) if len(xs) > 1 else (xs[0] - 0.5, xs[0] + 0.5)
    if _exact_boundaries(result):
        cuts, sets = _stable_changes(result, name, *span)
        what = BOUNDARY_LABEL
    else:
        at = {float(p[name]): _stable_kinds(text) for p, text in zip(result.points, result.stable)}
        stable = [at[float(x)] for x in xs]
        idx = [i for i in range(1, len(xs)) if stable[i] != stable[i - 1]]
        cuts, sets = [(xs[i - 1] + xs[i]) / 2 for i in idx], [stable[0]] + [stable[i] for i in idx]
        what = f"{BOUNDARY_LABEL} (between grid points)"
    for cut in cuts:
        ax.axvline(cut, color="k", linewidth=1.0, linestyle=(0, (4, 2)), gid="boundary", zorder=1)
    ends = [span[0], *cuts, span[1]]
    for a, b, text in zip(ends[:-1], ends[1:], sets):
        ax.annotate(text, ((a + b) / 2, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 3),
                    textcoords="offset points", ha="center", va="bottom", fontsize="x-small", gid="stable-set")  # fmt: skip
    if cuts:
        handles.append(Line2D([], [], color="k", linewidth=1.0, linestyle=(0, (4, 2)), label=what))
    ax.set_xlim(*span)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel(name)
    ax.set_ylabel(f"share of {result.n} starts")
    if sets:  # the row of stable sets above the axes, named to the left of it (clear of the first stretch's name)
        ax.annotate("stable states:", (0.0, 1.0), xycoords="axes fraction", xytext=(-4, 3), textcoords="offset points",
                    ha="right", va="bottom", fontsize="x-small", gid="stable-set-title")  # fmt: skip
    _sweep_key(fig, ax, handles, own)
    return fig


def _sweep_key(fig, ax, handles, own: bool) -> None:
    """A sweep's key: below the axes in the margin of a figure of our own; on the caller's axes, inside them (a key
    below the caller's axes would cover their x label)."""
    if own:
        _side_key(fig, ax, handles, own, below=True)
    elif handles:
        ax.legend(handles=handles, loc="best", fontsize="small", framealpha=0.9, handlelength=3.0)


def _region_labels(ax, m) -> None:
    """Name the stable set of each large region of a regime map at its most interior grid point."""
    coarse = max(1, len(m.xs) // 41)
    codes = m.codes[::coarse, ::coarse]
    gx, gy = np.meshgrid(np.linspace(0, 1, codes.shape[1]), np.linspace(0, 1, codes.shape[0]))
    for code, regime in enumerate(m.regimes):
        inside = codes == code
        if inside.mean() < REGION_LABEL_MIN_SHARE:
            continue
        outside = ~inside
        px, py = gx[inside], gy[inside]
        depth = np.minimum.reduce([px, 1 - px, py, 1 - py])  # distance (in axes units) to the map's edge
        if outside.any():  # and to the nearest grid point of another region
            d2 = (px[:, None] - gx[outside][None, :]) ** 2 + (py[:, None] - gy[outside][None, :]) ** 2
            depth = np.minimum(depth, np.sqrt(d2.min(axis=1)))
        best = int(np.argmax(depth))
        x = m.xs[0] + px[best] * (m.xs[-1] - m.xs[0])
        y = m.ys[0] + py[best] * (m.ys[-1] - m.ys[0])
        ax.annotate(regime, (x, y), ha="center", va="center", fontsize="x-small", gid="stable-set",
                    bbox=dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor="none", alpha=0.8))  # fmt: skip


def _sweep_map(result, names, values, outcomes, ax):
    import matplotlib.pyplot as plt
    import sympy
    from matplotlib import patheffects
    from matplotlib.lines import Line2D

    from .policy.regimes import regime_map as compute_regime_map

    x, y = names
    xs, ys = values
    own = ax is None
    if own and len(outcomes) == 1:
        fig, axes = plt.subplots(figsize=MAP_SIZE, layout="constrained")
        axes = [axes]
    elif own:
        fig, axes = _panel_axes(None, len(outcomes))
        fig.set_size_inches(fig.get_figwidth(), fig.get_figheight() + 0.5)
    else:
        fig, axes = _panel_axes(ax, len(outcomes))
    # the cells' outer edges as pcolormesh's "nearest" shading puts them: half the first and the last gap outside
    box = tuple(
        (v[0] - (v[1] - v[0]) / 2, v[-1] + (v[-1] - v[-2]) / 2) if len(v) > 1 else (v[0] - 0.5, v[0] + 0.5)
        for v in (xs, ys)
    )
    exact = _exact_boundaries(result)
    regimes = None
    if exact:
        regimes = compute_regime_map(result.game, (x, *box[0]), (y, *box[1]), resolution=SWEEP_BOUNDARY_RESOLUTION)
    outline = [patheffects.withStroke(linewidth=LINE_WIDTH + 1.6, foreground="k")]
    mesh = None
    drawn = False
    for a, (target, label) in zip(axes, outcomes):
        share, _, _ = _sweep_shares(result, names, values, target)
        mesh = a.pcolormesh(xs, ys, share, cmap="cividis", vmin=0.0, vmax=1.0, shading="nearest", gid="sweep")
        if regimes is not None:
            drawn |= bool(_boundaries(a, regimes, sympy, color="w", path_effects=outline))
            _region_labels(a, regimes)
        else:
            drawn |= _grid_boundaries(a, result, names, values, outline)
        a.set_xlim(*box[0])
        a.set_ylim(*box[1])
        a.set_xlabel(x)
        a.set_ylabel(y)
        a.set_title(label, fontsize="medium")
    bar = fig.colorbar(mesh, ax=axes)
    bar.set_label(f"share of {result.n} starts ending there" if len(outcomes) > 1 else f"share of {result.n} starts")
    if drawn:
        what = BOUNDARY_LABEL if exact else f"{BOUNDARY_LABEL} (between grid points)"
        handle = Line2D([], [], color="w", linewidth=LINE_WIDTH, path_effects=outline, label=what)
        _sweep_key(fig, axes[0], [handle], own)
    return fig


def _grid_boundaries(ax, result, names, values, outline) -> bool:
    """Cell edges between grid points whose ``stable`` sets differ (a game or dynamics without exact curves)."""
    from matplotlib.collections import LineCollection

    xs, ys = values
    stable = np.empty((len(ys), len(xs)), dtype=object)
    for point, text in zip(result.points, result.stable):
        i, j = int(np.searchsorted(ys, float(point[names[1]]))), int(np.searchsorted(xs, float(point[names[0]])))
        stable[i, j] = _stable_kinds(text)
    mid_x = np.concatenate([[xs[0] - (xs[1] - xs[0]) / 2 if len(xs) > 1 else xs[0] - 0.5], (xs[1:] + xs[:-1]) / 2,
                            [xs[-1] + (xs[-1] - xs[-2]) / 2 if len(xs) > 1 else xs[0] + 0.5]])  # fmt: skip
    mid_y = np.concatenate([[ys[0] - (ys[1] - ys[0]) / 2 if len(ys) > 1 else ys[0] - 0.5], (ys[1:] + ys[:-1]) / 2,
                            [ys[-1] + (ys[-1] - ys[-2]) / 2 if len(ys) > 1 else ys[0] + 0.5]])  # fmt: skip
    segments = []
    for i in range(len(ys)):
        for j in range(len(xs)):
            if j + 1 < len(xs) and stable[i, j] != stable[i, j + 1]:
                segments.append([(mid_x[j + 1], mid_y[i]), (mid_x[j + 1], mid_y[i + 1])])
            if i + 1 < len(ys) and stable[i, j] != stable[i + 1, j]:
                segments.append([(mid_x[j], mid_y[i + 1]), (mid_x[j + 1], mid_y[i + 1])])
    if segments:
        ax.add_collection(LineCollection(segments, colors="w", linewidths=LINE_WIDTH, path_effects=outline,
                                         gid="boundary"))  # fmt: skip
    return bool(segments)


# ------------------------------------------------------------------------------------------ dynamics compared


def compare_dynamics(
    runs: object,
    ax: object | None = None,
    *,
    panels: str = "share",
    orbits: Sequence[int] | None = None,
):
    """Orbits of one game under several dynamics, side by side: one panel per share (or per dynamics).

    Parameters
    ----------
    runs : mapping of str to Trajectory, or sequence of Trajectory
        Results of :func:`gamekit.simulate` with ``t_eval`` on one game (the same populations, strategies and
        parameter values), e.g. ``{d: gk.simulate(game, x0, 50, t_eval=t, dynamics=d) for d in ["replicator",
        "smith"]}``; a sequence is named by each run's dynamics.
    ax : matplotlib Axes or sequence of Axes, optional
        One Axes per panel (an Axes when there is one panel); a new figure when None.
    panels : {"share", "dynamics"}
        ``"share"``: a panel per share (each population's first strategy; every strategy of a population with more
        than two), in it a curve per dynamics.  ``"dynamics"``: a panel per dynamics, in it a curve per share.
    orbits : sequence of int, optional
        The orbits of each run to draw (default: all).

    Returns
    -------
    matplotlib.figure.Figure
        :func:`time_series` of the runs (curves gid ``series``, the k-th dynamics -- or share -- in
        :data:`PALETTE`, :data:`LINESTYLES` and :data:`MARKERS` k), each dynamics named with where its orbit
        ends when a run holds one orbit (``"smith: regulate, evade, accept"``).
    """
    from . import _validate
    from .simulate import Trajectory

    if isinstance(runs, Sequence) and not isinstance(runs, (str, bytes)):
        if not all(isinstance(r, Trajectory) for r in runs):
            bad = next(type(r).__name__ for r in runs if not isinstance(r, Trajectory))
            raise ArgumentError(f"runs must hold Trajectory results of gamekit.simulate, got a {bad}")
        named = {}
        for r in runs:
            if r.dynamics in named:
                raise ArgumentError(
                    f"runs holds two runs under {_validate.printable(r.dynamics)}: name them in a dict instead"
                )
            named[r.dynamics] = r
        runs = named
    if not isinstance(runs, Mapping):
        raise ArgumentError(
            "runs must be a dict {dynamics: Trajectory} or a list of Trajectory (results of gamekit.simulate under "
            f"each dynamics), got {type(runs).__name__}"
        )
    panels = _validate.choice("panels", panels, ("share", "dynamics"))
    if not runs:
        raise ArgumentError("runs must hold at least one Trajectory")
    games = [t.game for t in runs.values() if isinstance(t, Trajectory)]
    for key, traj in runs.items():
        if not isinstance(traj, Trajectory):
            continue
        layout = [(p.name, tuple(p.strategies)) for p in traj.game.populations]
        if games and layout != [(p.name, tuple(p.strategies)) for p in games[0].populations]:
            pops = "; ".join(f"{p.name}: {', '.join(p.strategies)}" for p in traj.game.populations)
            raise ArgumentError(
                f"runs[{_validate.printable(repr(key))}] is another game than the first run's (populations {pops}): "
                "compare dynamics on one game"
            )
        if traj.states is None:
            from .errors import StateError

            raise StateError(
                f"runs[{_validate.printable(repr(key))}] kept only final states: simulate with t_eval=... to draw "
                "shares over time"
            )
        if dict(traj.game.parameters) != dict(games[0].parameters):
            raise ArgumentError(
                f"runs[{_validate.printable(repr(key))}] has other parameter values than the first run: compare "
                "dynamics on one game (for several parameter values use gk.sensitivity)"
            )
    labels = {}
    for key, traj in runs.items():
        if isinstance(traj, Trajectory) and isinstance(key, str) and traj.n == 1:
            end = str(traj.outcome[0])
            if end.startswith("(") and traj.rest_point(end) is not None:  # a mixed rest point, to three digits
                end = "(" + ", ".join(f"{float(v):.3g}" for v in end.strip("()").split(",")) + ")"
            labels[key] = f"{key}: {end}"
        else:
            labels[key] = key
    renamed = {labels[key]: traj for key, traj in runs.items()}
    return time_series(renamed, ax, panels="population" if panels == "share" else "scenario", orbits=orbits)
