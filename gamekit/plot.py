"""Figures.  Every function draws an object computed elsewhere; none computes equilibria itself.

matplotlib is imported when a function here is called, never by ``import gamekit``.
Each function takes an optional ``ax`` and returns the matplotlib ``Figure``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import ArgumentError

__all__ = ["regime_map", "trajectories", "basins", "orbits3d"]


def _axes(ax, projection=None):
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    if ax is not None:
        if not isinstance(ax, Axes):
            raise ArgumentError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
        if projection == "3d" and getattr(ax, "name", "") != "3d":
            raise ArgumentError("ax must be a 3-D Axes (fig.add_subplot(projection='3d')) or None")
        return ax.figure, ax
    fig = plt.figure(figsize=(6.4, 4.8))
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
    fig.tight_layout()
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
