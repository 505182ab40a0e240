r"""Regime maps: the plane of two parameters partitioned by the set of asymptotically stable profiles.

Over two parameters ``(theta_x, theta_y)`` (the others at their base values),
every point has a set of asymptotically stable pure profiles: those whose every
switch gain is negative (:mod:`gamekit.stability`)::

    S(theta_x, theta_y) = { s : g_{p,j}(theta_x, theta_y) < 0 for every p and j != s_p }.

The boundaries between regimes lie on the curves ``g_{p,j}(theta_x, theta_y) = 0``;
the map is evaluated from the conditions on a grid (no simulation), and a curve
is kept as a boundary only if it changes sign on the map.  Points where a gain
is not a finite real number (a payoff such as ``log(theta_x)`` outside its
domain) form the regime ``"undefined"``.

The regimes name asymptotically stable *pure* profiles.  In a multilinear game
(:attr:`Game.multilinear`) these are all the asymptotically stable states
(Ritzberger-Weibull); in any other game (shares in payoffs, symmetric and group
games) an interior or face point may be asymptotically stable as well, so the
regime without a stable pure profile is called ``"no stable pure profile"``
there, never ``"none"``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import sympy

from .. import _validate as v
from .._validate import printable
from ..errors import AnalysisError, ArgumentError
from ..expr import MAX_MAGNITUDE, payoff_text, substitute
from ..game import Game
from ..stability import switch_gains
from ._common import BaseValues, base_values, check_game, parameter, substitutions

__all__ = ["RegimeMap", "regime_map", "MAX_RESOLUTION"]

MAX_RESOLUTION = 2001
"""Largest number of grid points per axis (the map holds ``resolution**2`` points per profile)."""

MAX_CELLS = 500_000_000
"""Most evaluations (switch gains times grid points) one map may take: about a minute of work."""

UNDEFINED = "undefined"
NONE = "none"
NO_PURE = "no stable pure profile"  # the empty regime of a game that is not multilinear (module docstring)


@dataclass(frozen=True, eq=False)
class RegimeMap:
    """Which profiles are asymptotically stable at every point of a grid over two parameters."""

    game: Game = field(repr=False)
    x: str
    y: str
    xs: np.ndarray = field(repr=False)
    ys: np.ndarray = field(repr=False)
    codes: np.ndarray = field(repr=False)  # (len(ys), len(xs)) index into regimes
    regimes: tuple[str, ...]
    boundaries: tuple[sympy.Expr, ...] = field(repr=False)  # curves g(x, y) = 0 where a label can change

    def regime_at(self, xv: float, yv: float) -> str:
        """The regime at the grid point nearest to ``(xv, yv)``."""
        xv = v.real("xv", xv)
        yv = v.real("yv", yv)
        i = int(np.argmin(np.abs(self.ys - yv)))
        j = int(np.argmin(np.abs(self.xs - xv)))
        return self.regimes[self.codes[i, j]]

    def shares(self) -> dict[str, float]:
        """Share of the grid points in each regime."""
        counts = np.bincount(self.codes.ravel(), minlength=len(self.regimes))
        return {r: c / self.codes.size for r, c in zip(self.regimes, counts) if c}

    def to_frame(self):
        """One row per grid point: ``x``, ``y`` (named after the parameters) and ``regime``."""
        import pandas as pd

        X, Y = np.meshgrid(self.xs, self.ys)
        labels = np.asarray(self.regimes, dtype=object)[self.codes]
        return pd.DataFrame({self.x: X.ravel(), self.y: Y.ravel(), "regime": labels.ravel()})

    def plot(self, ax: object | None = None):
        """The map drawn by :func:`gamekit.plot.regime_map` (on ``ax`` if given)."""
        from .. import plot

        return plot.regime_map(self, ax=ax)

    def __str__(self) -> str:
        lines = [f"Regime map over {printable(self.x)} x {printable(self.y)} ({len(self.xs)} x {len(self.ys)} grid):"]
        lines += [f"  {share:6.1%}  {printable(r, 200)}" for r, share in self.shares().items()]
        lines.append("Boundaries: " + "; ".join(f"{payoff_text(b)} = 0" for b in self.boundaries))
        return "\n".join(lines)


def _axis(game: Game, spec, name: str) -> tuple[str, float, float]:
    if isinstance(spec, (str, bytes)) or not isinstance(spec, (tuple, list)) or len(spec) != 3:
        raise ArgumentError(f"{name} must be (parameter, low, high), got {printable(repr(spec), 60)}")
    pname = parameter(game, spec[0], f"{name}[0]")
    low = v.real(f"{name} low", spec[1], low=-MAX_MAGNITUDE, high=MAX_MAGNITUDE)
    high = v.real(f"{name} high", spec[2], low=-MAX_MAGNITUDE, high=MAX_MAGNITUDE)
    if not low < high:
        raise ArgumentError(f"{name} must have low < high, got low {low!r} and high {high!r}")
    return pname, low, high


def _evaluate(expr, sx, sy, X, Y) -> np.ndarray:
    fn = sympy.lambdify((sx, sy), expr, "numpy")
    with np.errstate(all="ignore"):
        out = np.asarray(fn(X, Y))
    if np.iscomplexobj(out):
        out = np.where(np.abs(out.imag) > 0, np.nan, out.real)
    return np.broadcast_to(out.astype(float), X.shape)


def regime_map(
    game: Game,
    x: tuple[str, float, float],
    y: tuple[str, float, float],
    base: BaseValues = None,
    resolution: int = 201,
) -> RegimeMap:
    """The partition of the (x, y) plane by the set of asymptotically stable profiles.

    Evaluated exactly from the stability conditions at every grid point.

    Parameters
    ----------
    game
        The game.
    x, y
        ``(parameter, low, high)`` with ``low < high``: the horizontal and the vertical axis, two different
        parameters.
    base
        The other parameters' values: a scenario name or ``{parameter: value}`` (default: the game's values).
    resolution
        Grid points per axis (2 to ``MAX_RESOLUTION``).

    Returns
    -------
    RegimeMap
        The set of asymptotically stable profiles at every grid point, and the boundaries between regimes;
        ``plot()`` draws the map.

    Examples
    --------
    >>> import gamekit as gk
    >>> m = gk.regime_map(gk.models.platform_insurance(), ("R", 0, 8), ("K", 0, 8), base="trap", resolution=81)
    >>> m.regime_at(2, 2), m.regime_at(5, 2), m.regime_at(5, 5), m.regime_at(2, 5)
    ('trap', 'meta-goal + trap', 'meta-goal', 'none')
    >>> [str(b) for b in m.boundaries]
    ['R - 3', 'K - 3']
    """
    game = check_game(game)
    xn, x0, x1 = _axis(game, x, "x")
    yn, y0, y1 = _axis(game, y, "y")
    if xn == yn:
        raise ArgumentError(f"x and y must be two different parameters, got {printable(repr(xn))} twice")
    resolution = v.integer("resolution", resolution, minimum=2, maximum=MAX_RESOLUTION)
    values = base_values(game, base, free=(xn, yn))
    n_gains = math.prod(game.shape) * sum(n - 1 for n in game.shape)
    if n_gains * resolution**2 > MAX_CELLS:
        raise AnalysisError(
            f"a {resolution} x {resolution} map of this game evaluates {n_gains} switch gains at every point, "
            f"more than {MAX_CELLS:.0e} evaluations: lower resolution"
        )
    xs = np.linspace(x0, x1, resolution)
    ys = np.linspace(y0, y1, resolution)
    X, Y = np.meshgrid(xs, ys)
    sx, sy = game.symbols[xn], game.symbols[yn]
    others = substitutions(game, {k: val for k, val in values.items() if val is not None}, skip=(xn, yn))
    stable_masks, labels, curves = [], [], []
    undefined = np.zeros(X.shape, dtype=bool)
    for idx in game.profiles():
        mask = np.ones(X.shape, dtype=bool)
        for g in switch_gains(game, idx):
            expr = sympy.expand(substitute(g.gain, others))
            if expr.free_symbols:
                curves.append(expr)
            vals = _evaluate(expr, sx, sy, X, Y)
            undefined |= ~np.isfinite(vals)
            mask &= vals < 0
        stable_masks.append(mask)
        labels.append(game.state_name(idx) or ", ".join(game.profile_names(idx)))
    stack = np.stack(stable_masks + [undefined], axis=-1)
    stack[undefined] = False
    stack[undefined, -1] = True
    keys, codes = np.unique(stack.reshape(-1, stack.shape[-1]), axis=0, return_inverse=True)
    empty = NONE if game.multilinear else NO_PURE
    regimes = tuple(
        UNDEFINED if key[-1] else (" + ".join(lab for lab, on in zip(labels, key[:-1]) if on) or empty) for key in keys
    )
    boundaries = []
    for c in curves:  # each curve once (g and -g are the same curve), and only if it crosses the map
        c = sympy.factor(c)
        lead = sympy.Poly(sympy.expand(c), sx, sy).coeffs()[0] if c.is_polynomial(sx, sy) else sympy.S.One
        c = -c if lead.is_number and lead < 0 else c
        vals = _evaluate(c, sx, sy, X, Y)
        finite = vals[np.isfinite(vals)]
        if finite.size and finite.min() < 0 < finite.max() and c not in boundaries:
            boundaries.append(c)
    return RegimeMap(game, xn, yn, xs, ys, np.ravel(codes).reshape(X.shape), regimes, tuple(boundaries))
