"""Arguments shared by the policy analyses: the game, the base values, a target profile, a parameter name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sympy

from .._validate import game as check_game  # noqa: F401 - the policy modules take it from here
from .._validate import printable
from ..errors import ArgumentError, GamekitError, ParameterError
from ..expr import exact
from ..game import Game

BaseValues = str | Mapping[str, float] | None
"""A scenario name, a ``{parameter: value}`` mapping over the game's values, or ``None`` (the game's values)."""

Target = str | Sequence[str]
"""A pure profile, ``"regulate, insure, claim"`` or ``("regulate", "insure", "claim")``, or a state name."""


def base_values(game: Game, base, name: str = "base", free: Sequence[str] = ()) -> dict[str, float]:
    """Every parameter's value under ``base``; each must have one (except those in ``free``)."""
    if base is None:
        values = dict(game.parameters)
    elif isinstance(base, str):
        if base not in game.scenarios:
            known = ", ".join(printable(s) for s in game.scenarios) or "none"
            raise ParameterError(f"{name}: no scenario named {printable(repr(base))} (scenarios: {known})")
        values = dict(game.scenario(base).parameters)
    elif isinstance(base, Mapping):
        try:
            values = dict(game.with_parameters(dict(base)).parameters)
        except GamekitError as err:
            raise ParameterError(f"{name}: {err}") from None
    else:
        raise ArgumentError(
            f"{name} must be a scenario name or a {{parameter: value}} mapping, got {type(base).__name__}"
        )
    missing = [k for k, v in values.items() if v is None and k not in free]
    if missing:
        raise ParameterError(f"{name}: parameter {printable(repr(missing[0]))} has no base value")
    return values


def profile(game: Game, target, name: str = "target") -> tuple[int, ...]:
    """The strategy indices of a pure profile given by names or by a state name."""
    if target is None:
        raise ArgumentError(f"{name} is required: a pure profile such as 'regulate, insure, claim' or a state name")
    ok = isinstance(target, str) or (isinstance(target, Sequence) and all(isinstance(s, str) for s in target))
    if not ok:
        raise ArgumentError(
            f"{name} must be a profile ('a, b, c' or a tuple of strategy names) or a state name, "
            f"got {printable(repr(target), 60)}"
        )
    try:
        return tuple(game.profile_index(target))
    except GamekitError as err:
        raise ArgumentError(f"{name}: {err}") from None


def parameter(game: Game, value, name: str) -> str:
    """A parameter name of ``game``."""
    if not isinstance(value, str):
        raise ArgumentError(f"{name} must be a parameter name (a string), got {printable(repr(value), 60)}")
    if value not in game.parameters:
        known = ", ".join(game.parameters) or "none"
        raise ParameterError(
            f"{name}: {printable(repr(value))} is not a parameter of this game (its parameters: {printable(known)})"
        )
    return value


def domain(game: Game, name: str) -> sympy.Set:
    """The parameter's declared bounds as a closed interval (the whole line where none are declared)."""
    low, high = game.bounds.get(name, (None, None))
    lo = -sympy.oo if low is None else exact(low)
    hi = sympy.oo if high is None else exact(high)
    return sympy.Interval(lo, hi)


def substitutions(game: Game, values: Mapping[str, float], skip: Sequence[str] = ()) -> dict[sympy.Symbol, sympy.Expr]:
    """Exact values of every parameter except those in ``skip``, keyed by the game's symbols."""
    symbols = game.symbols
    return {symbols[k]: exact(v) for k, v in values.items() if k not in skip}
