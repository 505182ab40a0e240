"""Figures.  Every function draws an object computed elsewhere, with one exception: ``phase_portrait`` and
``simplex`` evaluate the replicator field on their grid, and call :func:`gamekit.equilibria` when they are not
given ``rest_points`` (pass them to compute once and draw many times).

matplotlib is imported when a function here is called, never by ``import gamekit``.
Each function takes an optional ``ax`` and returns the matplotlib ``Figure``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import ArgumentError

__all__ = ["regime_map", "trajectories", "basins", "orbits3d", "phase_portrait", "simplex"]


def _axes(ax, projection=None):
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    if ax is not None:
        if not isinstance(ax, Axes):
            raise ArgumentError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
        if projection == "3d" and getattr(ax, "name", "") != "3d":
            raise ArgumentError("ax must be a 3-D Axes (fig.add_subplot(projection='3d')) or None")
        return ax.figure, ax
    fig = plt.figure(figsize=(6.4, 4.8), layout="constrained")  # (room for a legend beside the axes)
    return fig, fig.add_subplot(projection=projection)


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


def regime_map(m: object, ax: object | None = None):
    """The (x, y) plane coloured by the set of asymptotically stable states, with the boundary curves."""
    import matplotlib.colors as mcolors
    import sympy
    from matplotlib.patches import Patch

    from .policy import RegimeMap

    if not isinstance(m, RegimeMap):
        raise ArgumentError(f"m must be a RegimeMap (the result of gamekit.regime_map), got {type(m).__name__}")
    fig, ax = _axes(ax)
    colors = [
        mcolors.to_rgba(c, 0.75)
        for c in ("#d9d9d9", "#fdae61", "#a6d96a", "#74add1", "#f46d43", "#fee090", "#abd9e9", "#66bd63")
    ]
    cmap = mcolors.ListedColormap([colors[i % len(colors)] for i in range(len(m.regimes))])
    ax.pcolormesh(m.xs, m.ys, m.codes, cmap=cmap, vmin=-0.5, vmax=len(m.regimes) - 0.5, shading="auto")
    X, Y = np.meshgrid(m.xs, m.ys)
    sx, sy = m.game.symbols[m.x], m.game.symbols[m.y]
    for b in m.boundaries:
        fn = sympy.lambdify((sx, sy), b, "numpy")
        with np.errstate(all="ignore"):
            Z = np.broadcast_to(np.asarray(fn(X, Y), dtype=float), X.shape)
        ax.contour(X, Y, Z, levels=[0], colors="k", linewidths=1.0)
    ax.set_xlabel(m.x)
    ax.set_ylabel(m.y)
    ax.set_title("Asymptotically stable states")
    ax.legend(handles=[Patch(color=cmap(i), label=r) for i, r in enumerate(m.regimes)], loc="best", fontsize="small")
    return fig


def trajectories(traj: object, ax: object | None = None, orbits: Sequence[int] | None = None):
    """Each coordinate's share over time for some orbits (needs ``simulate(..., t_eval=...)``)."""
    orbits = _trajectory(traj, orbits)
    if traj.states is None:
        from .errors import GamekitError

        raise GamekitError("this trajectory kept only final states: simulate with t_eval=... to plot orbits over time")
    fig, ax = _axes(ax)
    from .dynamics import replicator

    labels = replicator(traj.game).labels() if all(n == 2 for n in traj.game.shape) else None
    idx = range(min(traj.n, 10)) if orbits is None else orbits
    styles = ["-", "--", ":", "-."]
    for c in range(traj.states.shape[2]):
        for k, r in enumerate(idx):
            ax.plot(
                traj.t,
                traj.states[r, :, c],
                styles[c % 4],
                color=f"C{c}",
                lw=1.2,
                label=(labels[c] if labels and k == 0 else None),
            )
    ax.set_xlabel("t")
    ax.set_ylabel("share")
    ax.set_ylim(-0.02, 1.02)
    if labels:
        ax.legend(fontsize="small")
    return fig


def basins(frame, ax=None):
    """Basin shares with their 95% intervals: a :class:`gamekit.Basins`, or its ``to_frame()`` DataFrame."""
    if hasattr(frame, "to_frame") and hasattr(frame, "outcomes"):  # a Basins result
        frame = frame.to_frame()
    fig, ax = _axes(ax)
    y = np.arange(len(frame))
    err = np.vstack([frame.share - frame.ci_low, frame.ci_high - frame.share])
    ax.barh(y, frame.share, xerr=err, color=[f"C{i}" for i in range(len(frame))], capsize=4)
    ax.set_yticks(y, frame.outcome)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the state space")
    ax.invert_yaxis()
    return fig


def orbits3d(traj: object, ax: object | None = None, orbits: Sequence[int] | None = None):
    """Orbits in the unit cube for a game of three two-strategy populations."""
    orbits = _trajectory(traj, orbits)
    game = traj.game
    if traj.states is None or game.shape != (2, 2, 2):
        from .errors import GamekitError

        raise GamekitError("orbits3d needs three two-strategy populations and simulate(..., t_eval=...)")
    fig, ax = _axes(ax, projection="3d")
    idx = range(min(traj.n, 20)) if orbits is None else orbits
    for r in idx:
        s = traj.states[r]
        ax.plot(s[:, 0], s[:, 1], s[:, 2], lw=0.8)
        ax.scatter(*s[0], s=8, color="k")
    names = [f"{p.name} ({p.strategies[0]})" for p in game.populations]
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_zlabel(names[2])
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_zlim(0, 1)
    return fig


# --- phase portraits on a face and ternary simplex portraits -------------------------------------------------------
#
# The replicator field drawn by both: for population p with shares x_i and payoffs u_i (from
# gamekit.dynamics.general_field, in any game kind), xdot_i = x_i (u_i - ubar_p), ubar_p = sum_j x_j u_j.
# On a face spanned by two two-strategy populations a and b, with a = x_{a,1} and b = x_{b,1} (first strategies),
#     adot = a (1 - a) (u_{a,1} - u_{a,2}),   bdot = b (1 - b) (u_{b,1} - u_{b,2}),
# so the interior nullclines are the zero sets of the switch gains u_{p,1} - u_{p,2}; the edges a, b in {0, 1} are
# invariant and drawn as the frame.  The other populations stay at the shares given in ``fixed``: at a pure strategy
# the face is invariant; at an interior share it is a slice, and the arrows show the field's projection onto it.
# On the simplex of a three-strategy population, x = x_1 V_1 + x_2 V_2 + x_3 V_3 with the triangle's vertices V_i,
# and the arrow at x is xdot_1 V_1 + xdot_2 V_2 + xdot_3 V_3 (sum_i xdot_i = 0, so the map is affine).

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
FIELD_COLOR = "#8c8c8c"  # the vector field: mid grey, behind everything else
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


def _velocity(game, sig: np.ndarray) -> np.ndarray:
    """The replicator field xdot (M, D) at full shares ``sig`` (M, D), from the game's numeric payoffs."""
    from .dynamics import general_field

    u = general_field(game).payoffs(sig)
    off = _offsets(game)
    out = np.empty_like(sig)
    for p in range(len(off) - 1):
        s = slice(off[p], off[p + 1])
        ubar = np.sum(sig[:, s] * u[:, s], axis=1, keepdims=True)
        out[:, s] = sig[:, s] * (u[:, s] - ubar)
    return out


def _rest_points(game, rest_points):
    if rest_points is None:
        from .equilibria import equilibria

        return equilibria(game)
    from .equilibria.result import Equilibria

    if not isinstance(rest_points, Equilibria):
        raise ArgumentError(
            f"rest_points must be the Equilibria of this game (gamekit.equilibria) or None, got {type(rest_points).__name__}"
        )
    if rest_points.game is not None and rest_points.game is not game:
        if [p.strategies for p in rest_points.game.populations] != [p.strategies for p in game.populations]:
            raise ArgumentError("rest_points belong to a game with other populations or strategies than game")
    return rest_points


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


def _legend(ax, labels, extra=()) -> None:
    from matplotlib.lines import Line2D

    handles = list(extra)
    for label in REST_POINT_STYLE:
        if label in labels:
            handles.append(
                Line2D([], [], linestyle="none", markersize=8, markeredgecolor="k", color="k", label=label,
                       **REST_POINT_STYLE[label])
            )  # fmt: skip
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small", frameon=False,
                  borderaxespad=0.0)  # fmt: skip


def _orbit_states(traj, cols, name="orbits") -> np.ndarray:
    """The recorded states (n, T, len(cols)) of a Trajectory's orbits in the given coordinate columns."""
    from .simulate import Trajectory

    if not isinstance(traj, Trajectory):
        raise ArgumentError(
            f"{name} must be a Trajectory (the result of gamekit.simulate) or None, got {type(traj).__name__}"
        )
    if traj.states is None:
        from .errors import StateError

        raise StateError(f"{name} kept only final states: simulate with t_eval=... to draw orbits")
    return traj.states[:, :, cols]


def phase_portrait(
    game: object,
    face: tuple[str | int, str | int] | None = None,
    ax: object | None = None,
    fixed: dict | None = None,
    density: float = 1.2,
    orbits: object | None = None,
    rest_points: object | None = None,
    resolution: int = 101,
):
    """The replicator phase portrait on a face spanned by two two-strategy populations.

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

    Returns
    -------
    matplotlib.figure.Figure
        With the field (a streamplot, gid ``vector-field``), the nullclines (the zero contours of each switch gain
        ``u_{p,1} - u_{p,2}``, gids ``nullcline-a`` and ``nullcline-b``; the edges, where the shares' product
        vanishes, are the frame), a Line2D per rest point (gid ``rest-point``) and the orbits (gid ``orbit``).
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
    eqs = _rest_points(game, rest_points)
    traj = None if orbits is None else _orbit_states(orbits, [a, b])
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
    gain_a = (u[:, off[a]] - u[:, off[a] + 1]).reshape(X.shape)
    gain_b = (u[:, off[b]] - u[:, off[b] + 1]).reshape(X.shape)
    U, V = X * (1 - X) * gain_a, Y * (1 - Y) * gain_b

    fig, ax = _axes(ax)
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
        (gain_a, "nullcline-a", OKABE_ITO["vermillion"], "--", pa),
        (gain_b, "nullcline-b", OKABE_ITO["blue"], "-.", pb),
    ):
        if np.nanmin(gain) < 0 < np.nanmax(gain):
            cs = ax.contour(X, Y, gain, levels=[0.0], colors=[color], linestyles=[ls], linewidths=1.8, zorder=3)
            cs.set_gid(gid)
            extra.append(Line2D([], [], color=color, linestyle=ls, linewidth=1.8, label=f"{pop.name} nullcline"))

    if traj is not None:
        for orbit in traj:
            ax.plot(orbit[:, 0], orbit[:, 1], color=OKABE_ITO["black"], lw=1.1, zorder=4, gid="orbit")
            ax.plot(orbit[0, 0], orbit[0, 1], "o", color="k", markersize=3, zorder=4, gid="orbit-start")
        extra.append(Line2D([], [], color="k", lw=1.1, label="orbits"))

    on_face = [(eq.state[a][0], eq.state[b][0], str(eq.stability)) for eq in eqs if _on_fixed(eq, rest)]
    _mark(ax, on_face)
    _legend(ax, {lab for *_, lab in on_face}, extra)

    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(0.0, 1.0)
    ax.set_aspect("equal")
    ax.set_xlabel(f"{pa.name}: share playing {pa.strategies[0]}")
    ax.set_ylabel(f"{pb.name}: share playing {pb.strategies[0]}")
    held = [f"{game.populations[p].name} = {_share_text(game.populations[p], vec)}" for p, vec in sorted(rest.items())]
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
):
    """The replicator portrait of a three-strategy population on its simplex (a ternary plot).

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

    Returns
    -------
    matplotlib.figure.Figure
        The triangle (gid ``simplex``), a vertex label per strategy (gid ``vertex-label``), the field as
        direction arrows of equal length whose shade grows with the speed (a quiver, gid ``vector-field``), a
        Line2D per rest point (gid ``rest-point``) and the orbits (gid ``orbit``).
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
    eqs = _rest_points(game, rest_points)
    traj = None
    if orbits is not None:
        if len(game.populations) != 1:
            raise ArgumentError("orbits on the simplex need a game whose only population is the one drawn")
        traj = _orbit_states(orbits, [0, 1, 2])

    n = resolution
    lattice = np.array([(i, j, n - i - j) for i in range(1, n) for j in range(1, n - i)], dtype=float) / n
    off = _offsets(game)
    sig = np.empty((len(lattice), off[-1]))
    for q, vec in rest.items():
        sig[:, off[q] : off[q + 1]] = vec
    sig[:, off[p] : off[p + 1]] = lattice
    xdot = _velocity(game, sig)[:, off[p] : off[p + 1]]
    pts, vel = _ternary(lattice), _ternary(xdot) - _ternary(np.zeros(3))
    speed = np.hypot(vel[:, 0], vel[:, 1])
    direction = np.divide(vel, speed[:, None], out=np.zeros_like(vel), where=speed[:, None] > 0)

    fig, ax = _axes(ax)
    import matplotlib.colors as mcolors
    from matplotlib.lines import Line2D
    from matplotlib.patches import Polygon

    ax.add_patch(
        Polygon(SIMPLEX_VERTICES, closed=True, fill=False, edgecolor="k", linewidth=1.2, gid="simplex", zorder=2)
    )
    shade = mcolors.LinearSegmentedColormap.from_list("gk-grey", ["#c8c8c8", "#3a3a3a"])
    top = speed.max() if speed.size and speed.max() > 0 else 1.0
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

    marks = []
    for eq in eqs:
        if _on_fixed(eq, rest):
            xy = _ternary(np.asarray(eq.state[p]))
            marks.append((xy[0], xy[1], str(eq.stability)))
    _mark(ax, marks)
    _legend(ax, {lab for *_, lab in marks}, extra)

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
    return fig
