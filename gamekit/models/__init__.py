"""Shipped games: the platform social-insurance model and textbook classics.

Each is a TOML model file in this folder, read by :mod:`gamekit.modelfile`;
``available()`` lists them by the name the command line takes
(``platform-insurance``), and each has a function here that returns the
:class:`~gamekit.Game`.  Names are looked up with ``-`` and ``_`` alike.
"""

from __future__ import annotations

from ..game import Game
from ..modelfile import load_shipped, shipped

__all__ = [
    "available",
    "load_shipped",
    "platform_insurance",
    "matching_pennies",
    "battle_of_the_sexes",
    "hawk_dove",
    "jordan",
    "rock_paper_scissors",
]


def available() -> list[str]:
    """Names of the shipped models, as the command line takes them."""
    return shipped()


def platform_insurance() -> Game:
    """Government x platform x workers; scenarios and states ``lag``, ``trap``, ``meta-goal``."""
    return load_shipped("platform_insurance")


def matching_pennies() -> Game:
    return load_shipped("matching_pennies")


def battle_of_the_sexes() -> Game:
    return load_shipped("battle_of_the_sexes")


def hawk_dove() -> Game:
    return load_shipped("hawk_dove")


def jordan() -> Game:
    return load_shipped("jordan")


def rock_paper_scissors() -> Game:
    return load_shipped("rock_paper_scissors")
