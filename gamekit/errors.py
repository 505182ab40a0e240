"""The exceptions gamekit raises for bad input.

Every one is a :class:`ValueError`, so ``except ValueError`` still works, and
every message names the problem in the user's own words (population,
strategy, parameter, file and line).
"""

from __future__ import annotations


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
