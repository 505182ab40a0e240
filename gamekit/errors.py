"""The exceptions gamekit raises for bad input.

Every one is a :class:`ValueError`, so ``except ValueError`` still works, and
every message names the problem in the user's own words (population,
strategy, parameter, file and line).
"""

from __future__ import annotations

__all__ = [
    "GamekitError",
    "ModelError",
    "ExpressionError",
    "ParameterError",
    "StateError",
    "ArgumentError",
    "AnalysisError",
]


class GamekitError(ValueError):
    """Base class of every error gamekit raises for bad input."""


class ModelError(GamekitError):
    """A game or model file is malformed (profiles, strategies, populations)."""


class ExpressionError(GamekitError):
    """A payoff expression cannot be parsed or uses an undeclared symbol."""


class ParameterError(GamekitError):
    """A parameter is unknown, has no value, or its value is not a finite number."""


class StateError(GamekitError):
    """A state is outside the state space, of the wrong width, or not finite."""


class ArgumentError(GamekitError):
    """An argument of a public function has the wrong type or a value outside its range."""


class AnalysisError(GamekitError):
    """An analysis cannot go on: a value overflowed or is not real, or a work budget ran out.

    The message names the problem and the option that helps (``exact=False`` /
    ``--numeric``, a smaller model, other parameter values).
    """
