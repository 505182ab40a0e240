"""Shipped games: the platform social-insurance model and textbook classics.

Each is a TOML model file in this folder; ``available()`` lists them by the
name the command line takes (``platform-insurance``), and each has a function
here that returns the :class:`~gamekit.Game`.
"""

from __future__ import annotations

from importlib import resources

from ..errors import ModelError

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
    files = resources.files(__name__).iterdir()
    return sorted(f.name[: -len(".toml")].replace("_", "-") for f in files if f.name.endswith(".toml"))


def load_shipped(name: str):
    """A shipped model by name (``platform-insurance`` or ``platform_insurance``)."""
    from ..game import from_toml

    key = name.replace("-", "_")
    path = resources.files(__name__) / f"{key}.toml"
    if not path.is_file():
        raise ModelError(f"no shipped model named {name!r} (shipped: {', '.join(available())})")
    return from_toml(path.read_text(encoding="utf-8"), f"{key.replace('_', '-')} (shipped)")


def platform_insurance():
    """Government x platform x workers; scenarios ``lag``, ``trap``, ``meta_goal``; states lag, trap, meta-goal."""
    return load_shipped("platform_insurance")


def matching_pennies():
    return load_shipped("matching_pennies")


def battle_of_the_sexes():
    return load_shipped("battle_of_the_sexes")


def hawk_dove():
    return load_shipped("hawk_dove")


def jordan():
    return load_shipped("jordan")


def rock_paper_scissors():
    return load_shipped("rock_paper_scissors")
