r"""Policy analysis from the exact stability conditions: thresholds, levers, regime maps.

A pure profile ``s`` is asymptotically stable iff every unilateral switch loses
(:mod:`gamekit.stability`)::

    g_{p,j}(theta) = A_p[j, s_{-p}](theta) - A_p[s](theta) < 0     for every p and j != s_p.

**Thresholds.**  Fix every parameter at its base value except one, ``theta_i``.
Each condition becomes an inequality in ``theta_i`` alone, and the set of values
where ``s`` is stable is the intersection of their solution sets (sympy's
``solveset`` over the reals) with the parameter's declared bounds -- a finite
union of intervals, computed exactly: ``delta`` in ``(1/5, 3/5)``, not "about 0.2
to 0.6".

**Regime maps.**  Over two parameters, every point of the plane has a set of
asymptotically stable profiles; the boundaries between regimes lie on the
curves ``g_{p,j}(theta_x, theta_y) = 0`` (others at base).  The map is evaluated
from the conditions on a grid (no simulation).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import sympy

from .errors import GamekitError, ParameterError
from .expr import exact, make_symbol
from .game import Game
from .stability import negative, switch_gains

__all__ = ["Lever", "Thresholds", "thresholds", "RegimeMap", "regime_map"]


def _base_values(game: Game, base) -> dict[str, float]:
    if base is None:
        values = dict(game.parameters)
    elif isinstance(base, str):
        values = dict(game.scenario(base).parameters)
    elif isinstance(base, Mapping):
        values = dict(game.with_parameters(base).parameters)
    else:
        raise ParameterError("base must be a scenario name or a {parameter: value} mapping")
    missing = [k for k, v in values.items() if v is None]
    if missing:
        raise ParameterError(f"parameter {missing[0]!r} has no base value")
    return values


def _domain(game: Game, name: str) -> sympy.Set:
    low, high = game.bounds.get(name, (None, None))
    lo = -sympy.oo if low is None else exact(low)
    hi = sympy.oo if high is None else exact(high)
    return sympy.Interval(lo, hi)


def _intervals(s: sympy.Set) -> list[tuple[float | None, float | None]]:
    """A finite union of intervals as (low, high) pairs, None for an infinite end."""
    if s is sympy.S.EmptySet:
        return []
    parts = s.args if isinstance(s, sympy.Union) else (s,)
    out = []
    for part in parts:
        if isinstance(part, sympy.FiniteSet):  # isolated points: a measure-zero set of values
            out += [(float(v), float(v)) for v in part]
            continue
        if not isinstance(part, sympy.Interval):
            raise GamekitError(f"cannot express {part} as intervals")
        lo = None if part.start == -sympy.oo else float(part.start)
        hi = None if part.end == sympy.oo else float(part.end)
        out.append((lo, hi))
    return sorted(out, key=lambda iv: -np.inf if iv[0] is None else iv[0])


def _describe_set(s: sympy.Set) -> str:
    """``(1/5, 3/5)``, ``(-inf, 3)``, ``[0, 1]``, joined by ``or``."""
    parts = s.args if isinstance(s, sympy.Union) else (s,)
    out = []
    for part in parts:
        if isinstance(part, sympy.Interval):
            lo = "-inf" if part.start == -sympy.oo else sympy.sstr(part.start)
            hi = "inf" if part.end == sympy.oo else sympy.sstr(part.end)
            out.append(f"{'(' if part.left_open else '['}{lo}, {hi}{')' if part.right_open else ']'}")
        else:
            out.append(sympy.sstr(part))
    return " or ".join(out)


@dataclass(frozen=True)
class Lever:
    """One parameter moved alone: where the target is asymptotically stable."""

    parameter: str
    value: float
    stable_set: sympy.Set = field(repr=False)

    @property
    def stable_for(self) -> list[tuple[float | None, float | None]]:
        return _intervals(self.stable_set)

    @property
    def works(self) -> bool:
        """Whether some value of this parameter alone makes the target stable."""
        return self.stable_set is not sympy.S.EmptySet

    def describe(self) -> str:
        if not self.works:
            return "no value"
        if self.stable_set == sympy.S.Reals:
            return "any value"
        return _describe_set(self.stable_set)

    def to_json(self) -> dict:
        return {"parameter": self.parameter, "value": self.value, "stable_for": [list(iv) for iv in self.stable_for]}


@dataclass(frozen=True)
class Thresholds:
    """The result of :func:`thresholds`."""

    game: Game = field(repr=False)
    target: tuple[str, ...]
    base: Mapping[str, float] = field(repr=False)
    stable: bool
    conditions: tuple = field(repr=False)
    levers: tuple[Lever, ...] = field(repr=False)

    def lever(self, name: str) -> Lever:
        for lv in self.levers:
            if lv.parameter == name:
                return lv
        raise KeyError(name)

    def to_json(self) -> dict:
        return {
            "target": list(self.target),
            "stable": self.stable,
            "conditions": [sympy.sstr(c) for c in self.conditions],
            "levers": [lv.to_json() for lv in self.levers],
        }

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(
            {
                "parameter": [lv.parameter for lv in self.levers],
                "value": [lv.value for lv in self.levers],
                "stable for": [lv.describe() for lv in self.levers],
            }
        )

    def __str__(self) -> str:
        name = self.game.state_name(self.game.profile_index(self.target))
        head = f"({', '.join(self.target)})" + (f" [{name}]" if name else "")
        lines = [
            f"{head} is {'' if self.stable else 'not '}asymptotically stable at the base values.",
            "Asymptotically stable iff: " + ", ".join(sympy.sstr(c) for c in self.conditions),
            "Each parameter alone (the others at base):",
        ]
        width = max(len(lv.parameter) for lv in self.levers) if self.levers else 0
        lines += [f"  {lv.parameter.ljust(width)} = {lv.value:<8g} stable for {lv.describe()}" for lv in self.levers]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return "```\n" + str(self) + "\n```"


def thresholds(game: Game, base=None, target=None) -> Thresholds:
    """Where ``target`` (a pure profile or state name) is asymptotically stable, one parameter at a time.

    ``base`` is a scenario name or ``{parameter: value}`` (default: the game's values).
    """
    if target is None:
        raise GamekitError("thresholds needs a target profile, e.g. target='regulate, insure, claim'")
    idx = game.profile_index(target)
    values = _base_values(game, base)
    gains = [g.gain for g in switch_gains(game, idx)]
    conditions = tuple(dict.fromkeys(negative(g) for g in gains))
    subs_all = {make_symbol(k): exact(v) for k, v in values.items()}
    stable = all(bool(sympy.simplify(g.xreplace(subs_all)) < 0) for g in gains)
    levers = []
    for name in game.parameters:
        sym = make_symbol(name)
        others = {s: v for s, v in subs_all.items() if s != sym}
        allowed = _domain(game, name)
        for g in gains:
            allowed = allowed.intersect(sympy.solveset(sympy.StrictLessThan(g.xreplace(others), 0), sym, sympy.S.Reals))
            if allowed is sympy.S.EmptySet:
                break
        levers.append(Lever(name, float(values[name]), allowed))
    return Thresholds(game, game.profile_names(idx), values, stable, conditions, tuple(levers))


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
        i = int(np.argmin(np.abs(self.ys - yv)))
        j = int(np.argmin(np.abs(self.xs - xv)))
        return self.regimes[self.codes[i, j]]

    def shares(self) -> dict[str, float]:
        counts = np.bincount(self.codes.ravel(), minlength=len(self.regimes))
        return {r: c / self.codes.size for r, c in zip(self.regimes, counts) if c}

    def plot(self, ax=None):
        from . import plot

        return plot.regime_map(self, ax=ax)

    def __str__(self) -> str:
        lines = [f"Regime map over {self.x} x {self.y} ({len(self.xs)} x {len(self.ys)} grid):"]
        lines += [f"  {share:6.1%}  {r}" for r, share in self.shares().items()]
        lines.append("Boundaries: " + "; ".join(f"{sympy.sstr(b)} = 0" for b in self.boundaries))
        return "\n".join(lines)


def regime_map(game: Game, x: tuple, y: tuple, base=None, resolution: int = 201) -> RegimeMap:
    """The partition of the (x, y) plane by the set of asymptotically stable profiles.

    ``x`` and ``y`` are ``(parameter, low, high)``; the other parameters stay at
    ``base``.  Evaluated exactly from the stability conditions at every grid point.
    """
    values = _base_values(game, base)
    (xn, x0, x1), (yn, y0, y1) = x, y
    for n in (xn, yn):
        if n not in game.parameters:
            raise ParameterError(f"{n!r} is not a parameter of this game")
    xs = np.linspace(float(x0), float(x1), int(resolution))
    ys = np.linspace(float(y0), float(y1), int(resolution))
    X, Y = np.meshgrid(xs, ys)
    sx, sy = make_symbol(xn), make_symbol(yn)
    others = {make_symbol(k): exact(v) for k, v in values.items() if k not in (xn, yn)}
    stable_masks, labels, curves = [], [], []
    for idx in game.profiles():
        mask = np.ones(X.shape, dtype=bool)
        for g in switch_gains(game, idx):
            expr = sympy.expand(g.gain.xreplace(others))
            if expr.free_symbols:
                curves.append(expr)
            fn = sympy.lambdify((sx, sy), expr, "numpy")
            mask &= np.broadcast_to(np.asarray(fn(X, Y), dtype=float), X.shape) < 0
        stable_masks.append(mask)
        labels.append(game.state_name(idx) or ", ".join(game.profile_names(idx)))
    stack = np.stack(stable_masks, axis=-1)
    keys, codes = np.unique(stack.reshape(-1, stack.shape[-1]), axis=0, return_inverse=True)
    regimes = tuple(" + ".join(lab for lab, on in zip(labels, key) if on) or "none" for key in keys)
    boundaries = []
    for c in curves:  # each curve once (g and -g are the same curve), and only if it crosses the map
        c = sympy.factor(c)
        lead = sympy.Poly(sympy.expand(c), sx, sy).coeffs()[0] if c.is_polynomial(sx, sy) else 1
        c = -c if lead.is_number and lead < 0 else c
        fn = sympy.lambdify((sx, sy), c, "numpy")
        vals = np.broadcast_to(np.asarray(fn(X, Y), dtype=float), X.shape)
        if np.nanmin(vals) < 0 < np.nanmax(vals) and c not in boundaries:
            boundaries.append(c)
    boundaries = tuple(boundaries)
    return RegimeMap(game, xn, yn, xs, ys, np.ravel(codes).reshape(X.shape), regimes, boundaries)
