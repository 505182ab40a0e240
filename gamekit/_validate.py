"""Checks for the arguments of public functions: one place, one wording.

Every public function validates its arguments where they enter, with these
helpers, and nothing deeper re-checks them.  Each raises
:class:`~gamekit.errors.ArgumentError` (a ``ValueError``) naming the argument,
what was expected and what was given, e.g.::

    ArgumentError: chunk must be an integer >= 1, got 0
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable

import numpy as np

from .errors import ArgumentError

__all__ = [
    "printable",
    "integer",
    "real",
    "tolerance",
    "fraction",
    "flag",
    "choice",
    "generator",
    "game",
    "floats",
]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: object, limit: int = 80) -> str:
    """``text`` safe to print on a terminal: control characters escaped, long text shortened."""
    s = str(text)
    s = _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), s)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _shown(value: object) -> str:
    return printable(repr(value), 60)


def integer(name: str, value, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer (not a bool, not a float) within ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ArgumentError(f"{name} must be an integer, got {_shown(value)}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ArgumentError(f"{name} must be an integer >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ArgumentError(f"{name} must be an integer <= {maximum}, got {value}")
    return value


def real(
    name: str,
    value,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite real number within the stated range (open or closed ends)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentError(f"{name} must be a number, got {_shown(value)}")
    try:
        value = float(value)
    except OverflowError:  # an integer beyond the float range
        raise ArgumentError(
            f"{name} must be a finite number, got an integer of {int(value).bit_length()} bits"
        ) from None
    if not math.isfinite(value):
        raise ArgumentError(f"{name} must be a finite number, got {value!r}")
    bad = (low is not None and (value < low or (low_open and value == low))) or (
        high is not None and (value > high or (high_open and value == high))
    )
    if bad:
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        interval = f"{'(' if low_open or low is None else '['}{lo}, {hi}{')' if high_open or high is None else ']'}"
        raise ArgumentError(f"{name} must be in {interval}, got {value!r}")
    return value


def tolerance(name: str, value, *, high: float = 1.0) -> float:
    """A tolerance: a finite number in ``(0, high)``."""
    return real(name, value, low=0.0, high=high, low_open=True, high_open=True)


def fraction(name: str, value, *, low_open: bool = False, high_open: bool = False) -> float:
    """A number in ``[0, 1]`` (ends open as asked)."""
    return real(name, value, low=0.0, high=1.0, low_open=low_open, high_open=high_open)


def flag(name: str, value) -> bool:
    """A bool (``numpy.bool_`` too), nothing else."""
    if not isinstance(value, (bool, np.bool_)):
        raise ArgumentError(f"{name} must be True or False, got {_shown(value)}")
    return bool(value)


def choice(name: str, value, options: Iterable):
    """One of ``options`` (compared with ``==``; unhashable values are refused cleanly)."""
    options = list(options)
    try:
        ok = any(value == o and type(value) is type(o) for o in options)
    except Exception:  # noqa: BLE001 - an exotic object whose == fails is simply not one of the options
        ok = False
    if not ok:
        known = ", ".join(repr(o) for o in options)
        raise ArgumentError(f"{name} must be one of {known}; got {_shown(value)}")
    return value


def generator(value, name: str = "rng") -> np.random.Generator:
    """A numpy Generator from ``None``, a non-negative integer seed, a SeedSequence or a Generator."""
    if value is None or isinstance(value, (np.random.Generator, np.random.SeedSequence)):
        return np.random.default_rng(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 0:
        raise ArgumentError(
            f"{name} must be a non-negative integer seed, a numpy Generator or None, got {_shown(value)}"
        )
    return np.random.default_rng(int(value))


def game(value, name: str = "game"):
    """``value`` itself if it is a :class:`~gamekit.Game`, else an ArgumentError naming ``name``."""
    from .game import Game  # here, not at the top: game.py's own checks may use this module

    if not isinstance(value, Game):
        raise ArgumentError(f"{name} must be a gamekit Game (gk.load(...) or gk.Game(...)), got {type(value).__name__}")
    return value


def floats(value, expected: str, error: type[Exception] = ArgumentError) -> np.ndarray:
    """``value`` as a float array, or ``error`` saying what was ``expected`` and what came.

    Refuses what numpy cannot turn into floats (text, ragged nesting, integers beyond
    the float range) and complex numbers (numpy would drop their imaginary part with
    only a warning).  Shape and finiteness are the caller's to check.
    """
    try:
        raw = np.asarray(value)
        if np.iscomplexobj(raw):
            raise error(f"{expected}, got complex numbers")
        return raw.astype(float)
    except (TypeError, ValueError, OverflowError) as exc:
        if isinstance(exc, error):
            raise
        raise error(f"{expected}, got {_shown(value)}") from None
