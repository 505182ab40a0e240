"""Shipped games: the platform social-insurance model, its dynamic-fine variant, and textbook classics.

Every kind of game is here (``Game.kind``): games between populations
(``platform-insurance``, ``matching-pennies``, ``battle-of-the-sexes``,
``jordan``, ``hawk-dove-two-roles``, ``rock-paper-scissors-two-roles``), with
shares in payoffs (``platform-insurance-dynamic-fine``,
``inspection-dynamic-fine``), symmetric one-population games (``hawk-dove``,
``rock-paper-scissors``) and a group game (``stag-hunt``).  The descriptions
of these last five derive their rest points and eigenvalues by hand, and
``tests/test_models_general.py`` checks the derivations against the files.

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
    "hawk_dove_two_roles",
    "rock_paper_scissors_two_roles",
    "stag_hunt",
    "inspection_dynamic_fine",
    "platform_insurance_dynamic_fine",
    "greenwashing",
    "air_pollution",
]


def available() -> list[str]:
    """Names of the shipped models, as the command line takes them."""
    return shipped()


def platform_insurance() -> Game:
    """Government x platform x workers; scenarios and states ``lag``, ``trap``, ``meta-goal``."""
    return load_shipped("platform_insurance")


def matching_pennies() -> Game:
    """Matcher x mismatcher, stake ``a``: the interior rest point (1/2, 1/2) is a centre, never stable."""
    return load_shipped("matching_pennies")


def battle_of_the_sexes() -> Game:
    """Row x column coordinating on opera or football (``a`` > ``b``): both pure coordinations attract."""
    return load_shipped("battle_of_the_sexes")


def hawk_dove() -> Game:
    """Hawk-dove within one population (symmetric): V = 2, C = 4; the mixed state x = V/C attracts."""
    return load_shipped("hawk_dove")


def hawk_dove_two_roles() -> Game:
    """Hawk-dove between owners and intruders (two populations): the pure asymmetric profiles attract."""
    return load_shipped("hawk_dove_two_roles")


def jordan() -> Game:
    """Jordan's (1993) three-player matching pennies: no corner attracts; orbits approach a heteroclinic cycle."""
    return load_shipped("jordan")


def rock_paper_scissors() -> Game:
    """Rock-paper-scissors within one population (symmetric), win ``w``, loss ``l``; scenarios good, zero-sum, bad."""
    return load_shipped("rock_paper_scissors")


def rock_paper_scissors_two_roles() -> Game:
    """Rock-paper-scissors between two populations: the interior is a centre, never stable."""
    return load_shipped("rock_paper_scissors_two_roles")


def stag_hunt() -> Game:
    """Ten-person stag hunt (group game): threshold ``M``, factor ``F``, cost ``c``; scenarios high- and low-return."""
    return load_shipped("stag_hunt")


def inspection_dynamic_fine() -> Game:
    """Inspector x firm with the fine ``F*y``, ``y`` the violation share: the interior (1/2, 1/2) attracts."""
    return load_shipped("inspection_dynamic_fine")


def platform_insurance_dynamic_fine() -> Game:
    """The platform model with the fine ``F*(1 - y)``, ``y`` the insuring share; defaults are the trap scenario."""
    return load_shipped("platform_insurance_dynamic_fine")


def greenwashing() -> Game:
    """Enterprise x government x public (Zeng, Huang, Wu and Liu 2025, static regulation); illustrative values."""
    return load_shipped("greenwashing")


def air_pollution() -> Game:
    """Enterprise x public x government (Wang, Jia, He, Wang and Huang 2023); the authors' code's payoffs and values."""
    return load_shipped("air_pollution")
