"""Model files: a game as TOML, read and written (the format is in design.md).

Data flows one way: ``models/`` (shipped files) -> ``modelfile`` -> ``game``.
``loads`` checks the type of every section and every value where it enters,
then hands plain Python values to :class:`~gamekit.game.Game`, which checks
what they mean (names, profiles, parameters, expressions).  Every problem is a
:class:`~gamekit.errors.GamekitError` whose message starts with the file name.

``dumps`` writes a game so that ``loads(dumps(game)) == game``: payoffs as
the text they were read from (or sympy's rendering in the payoff grammar),
parameter values exactly (``repr`` of floats), schedules phase by phase with
only the values a phase sets beyond its scenario.

>>> text = '''
... [populations]
... row = ["up", "down"]
... col = ["left", "right"]
... [parameters]
... a = 2
... [payoffs]
... "up, left" = ["a", "1"]
... "up, right" = [0, 0]
... "down, left" = [0, 0]
... "down, right" = ["1", "a"]
... '''
>>> game = loads(text, "coordination.toml")
>>> game.name, game.shape, game.numeric_payoffs()[0].tolist()
('coordination', (2, 2), [[2.0, 0.0], [0.0, 1.0]])
>>> loads(dumps(game)) == game
True
>>> loads(text.replace('"a", "1"', '"a", "2^1e10"'))
Traceback (most recent call last):
...
gamekit.errors.ExpressionError: <string>: profile (up, left), col: cannot parse payoff '2^1e10': the exponent 10000000000 is out of range (its numerator and denominator may be at most 10000, MAX_EXPONENT)

Beyond games between populations, a model file states three more kinds
(``Game.kind``).  ``[shares]`` names strategies' shares, which payoffs may use
(a fine that grows as compliance falls)::

    [shares]
    y = "platform.insure"            # name = "population.strategy"

One population whose profiles name two of its strategies is a symmetric game,
played within the population by random pairwise matching; each profile is
``"mine, the opponent's"`` with one payoff, mine::

    [populations]
    players = ["hawk", "dove"]
    [payoffs]
    "hawk, dove" = ["V"]             # or "hawk, dove" = "V"

``[group]`` makes one population of two strategies play in groups of ``size``
(an integer of at least 2); each strategy gets one payoff in ``count``, the
number of the other ``size - 1`` members who play the first strategy::

    [group]
    size = 10
    count = "k"
    [payoffs]
    cooperate = "(k + 1)*F*c/10*step(k + 1 - M) - c"
    defect = "k*F*c/10*step(k - M)"

>>> hawk_dove = loads('''
... [populations]
... players = ["hawk", "dove"]
... [parameters]
... V = 2
... C = 4
... [payoffs]
... "hawk, hawk" = ["(V - C)/2"]
... "hawk, dove" = ["V"]
... "dove, hawk" = ["0"]
... "dove, dove" = ["V/2"]
... ''', "hawk-dove.toml")
>>> hawk_dove.kind, hawk_dove.payoff("hawk, hawk")
('symmetric', -C/2 + V/2)
>>> loads(dumps(hawk_dove)) == hawk_dove
True
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import numpy as np

from ._frozen import normalized
from ._validate import printable
from .errors import ExpressionError, GamekitError, ModelError
from .expr import payoff_text
from .game import Game

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["loads", "load", "dumps", "save", "shipped", "load_shipped", "payoff_text", "MAX_FILE_BYTES"]

MAX_FILE_BYTES = 4 * 2**20
"""Largest model file read, in bytes."""

SECTIONS = (
    "name",
    "description",
    "populations",
    "parameters",
    "shares",
    "group",
    "payoffs",
    "scenarios",
    "states",
    "bounds",
    "schedules",
)
GROUP_KEYS = ("size", "count")
_UNDECLARED = re.compile(r"uses ('[^']*'), which is not a declared parameter$")
_INFINITE = {"-inf": None, "inf": None, "+inf": None}


# -- reading -----------------------------------------------------------------------------


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _kind(v: object) -> str:
    names = {
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        list: "an array",
        dict: "a table",
    }
    return names.get(type(v), f"a {type(v).__name__}")


def _table(where: str, v: object) -> dict:
    if not isinstance(v, dict):
        raise ModelError(f"{where} must be a table, got {_kind(v)}")
    return v


def _numbers(where: str, table: object) -> dict:
    for k, v in _table(where, table).items():
        if not _is_number(v):
            raise ModelError(f"{where}: {printable(k)} must be a number, got {_kind(v)} {printable(repr(v), 40)}")
    return table


def _check_sections(data: dict) -> dict:
    """Check the type of every section and value; returns the arguments for Game."""
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise ModelError(f"unknown section {printable(repr(unknown[0]))} (known: {', '.join(SECTIONS)})")
    for section in ("populations", "payoffs"):
        if section not in data:
            raise ModelError(f"the model has no [{section}] section")
    for key in ("name", "description"):
        if key in data and not isinstance(data[key], str):
            raise ModelError(f"{key} must be a string, got {_kind(data[key])}")
    for pop, strategies in _table("[populations]", data["populations"]).items():
        if not isinstance(strategies, list) or not all(isinstance(s, str) for s in strategies):
            raise ModelError(f"[populations]: {printable(repr(pop))} must be an array of strategy names (strings)")
    _numbers("[parameters]", data.get("parameters", {}))
    shares = _check_shares(data.get("shares", {}), data["populations"])
    if "group" in data:
        _check_group(data["group"])
    _check_profile_widths(data["populations"], _table("[payoffs]", data["payoffs"]), "group" in data)
    for profile, values in _table("[payoffs]", data["payoffs"]).items():
        cells = values if isinstance(values, list) else [values]
        for v in cells:
            if not (isinstance(v, str) or _is_number(v)):
                raise ModelError(
                    f"[payoffs]: profile {printable(repr(profile))} has {_kind(v)}; "
                    "a payoff is a string or a number (one per population, in an array)"
                )
    for name, values in _table("[scenarios]", data.get("scenarios", {})).items():
        _numbers(f"[scenarios.{printable(name)}]", values)
    for name, profile in _table("[states]", data.get("states", {})).items():
        if not isinstance(profile, str):
            raise ModelError(
                f'[states]: {printable(repr(name))} must be a profile such as "a, b", got {_kind(profile)}'
            )
    bounds = {}
    for name, pair in _table("[bounds]", data.get("bounds", {})).items():
        ok = isinstance(pair, list) and len(pair) == 2
        ok = ok and all(_is_number(v) or (isinstance(v, str) and v.strip() in _INFINITE) for v in pair)
        if not ok:
            raise ModelError(f'[bounds]: {printable(repr(name))} must be [low, high] with numbers or "-inf"/"inf"')
        bounds[name] = tuple(None if isinstance(v, str) else v for v in pair)
    for name, phases in _table("[schedules]", data.get("schedules", {})).items():
        where = f"[schedules.{printable(name)}]"
        for phase, body in _table(where, phases).items():
            here = f"{where}: phase {printable(repr(phase))}"
            for k, v in _table(here, body).items():
                if k == "scenario" and not isinstance(v, str):
                    raise ModelError(f"{here}: scenario must be a name (a string), got {_kind(v)}")
                if k != "scenario" and not _is_number(v):
                    raise ModelError(f"{here}: {printable(k)} must be a number, got {_kind(v)}")
    return dict(
        populations=data["populations"],
        payoffs=data["payoffs"],
        parameters=data.get("parameters", {}),
        scenarios=data.get("scenarios", {}),
        states=data.get("states", {}),
        bounds=bounds,
        schedules=data.get("schedules", {}),
        shares=shares,
        group=data.get("group"),
    )


def _check_shares(shares: object, populations: dict) -> dict:
    """``[shares]``: each value a ``"population.strategy"`` text; returns ``{name: (population, strategy)}``.

    Names may contain dots themselves (``"gov.x.regulate"``): the text is split at the one dot that leaves a
    population and one of its strategies.  A text that matches none is passed on as it is, and Game says
    what it lacks.
    """
    out: dict = {}
    for name, target in _table("[shares]", shares).items():
        shown = printable(repr(name))
        if not isinstance(target, str):
            raise ModelError(f'[shares]: {shown} must be "population.strategy" (a string), got {_kind(target)}')
        if "." not in target:
            raise ModelError(
                f"[shares]: {shown} is {printable(repr(target), 60)}, which names no strategy; "
                'write "population.strategy" (e.g. y = "platform.insure")'
            )
        splits = [(target[:i].strip(), target[i + 1 :].strip()) for i, ch in enumerate(target) if ch == "."]
        found = [(p, st) for p, st in splits if isinstance(populations.get(p), list) and st in populations[p]]
        if len(found) > 1:
            raise ModelError(
                f"[shares]: {shown} is {printable(repr(target), 60)}, which reads as "
                f"{' or as '.join(printable(f'{p} / {st}', 60) for p, st in found)}; rename a population or strategy"
            )
        out[name] = found[0] if found else target
    return out


def _check_group(group: object) -> None:
    """``[group]``: ``size``, an integer of at least 2, and ``count``, a name; nothing else."""
    _table("[group]", group)
    unknown = sorted(set(group) - set(GROUP_KEYS))
    if unknown:
        raise ModelError(f"[group]: unknown key {printable(repr(unknown[0]))} (keys: {', '.join(GROUP_KEYS)})")
    if "size" not in group:
        raise ModelError("[group] needs size = N, the number of members of each group")
    size = group["size"]
    if not isinstance(size, int) or isinstance(size, bool):
        raise ModelError(
            f"[group]: size must be an integer (the number of members of a group), "
            f"got {_kind(size)} {printable(repr(size), 40)}"
        )
    if size < 2:
        raise ModelError(f"[group]: size must be at least 2 (the member and at least one other), got {size}")
    if "count" in group and not isinstance(group["count"], str):
        raise ModelError(
            f'[group]: count must be a name (a string such as "k"), got {_kind(group["count"])} '
            f"{printable(repr(group['count']), 40)}"
        )


def _check_profile_widths(populations: dict, payoffs: dict, group: bool) -> None:
    """A one-population game's profiles name one strategy or two (``"mine, the opponent's"``)."""
    if len(populations) != 1 or group:
        return
    for profile in payoffs:
        width = len(profile.split(","))
        if width > 2:
            raise ModelError(
                f"[payoffs]: profile {printable(repr(profile), 60)} names {width} strategies; the game has one "
                'population, so a profile names two of its strategies ("mine, the opponent\'s": a symmetric game) '
                "or one (a game against nature)"
            )


def _undeclared_hint(err: GamekitError, data: dict) -> str:
    """For a payoff that uses an undeclared name: where a model file declares one."""
    found = _UNDECLARED.search(str(err)) if isinstance(err, ExpressionError) else None
    if not found:
        return ""
    name = found.group(1)
    count = ", or as the count under [group]" if "group" in data else ""
    return (
        f"; declare {name} under [parameters] (a number), or under [shares] if it is a strategy's share "
        f'({name.strip(chr(39))} = "population.strategy"){count}'
    )


def loads(text: str, source: str = "<string>") -> Game:
    """A game from the text of a model file; ``source`` names the file in error messages."""
    shown = printable(source, 200)
    if not isinstance(text, str):
        raise ModelError(f"{shown}: a model file's text must be a string, got {type(text).__name__}")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ModelError(f"{shown}: invalid TOML: {printable(err, 200)}") from None
    except RecursionError:
        raise ModelError(f"{shown}: invalid TOML: arrays or tables nested too deeply") from None
    try:
        args = _check_sections(data)
        name = data.get("name", Path(source).stem)
        return Game(args.pop("populations"), args.pop("payoffs"), args.pop("parameters"), name=name, **args)
    except GamekitError as err:
        raise type(err)(f"{shown}: {err}{_undeclared_hint(err, data)}") from None


from_toml = loads  # the name before gamekit.modelfile existed


def shipped() -> list[str]:
    """Names of the shipped models, as the command line takes them (``platform-insurance``)."""
    files = resources.files("gamekit.models").iterdir()
    return sorted(f.name[: -len(".toml")].replace("_", "-") for f in files if f.name.endswith(".toml"))


def load_shipped(name: str) -> Game:
    """A shipped model by name (``platform-insurance`` and ``platform_insurance`` alike)."""
    if not isinstance(name, str) or normalized(name).replace("_", "-") not in shipped():
        raise ModelError(f"no shipped model named {printable(repr(name))} (shipped: {', '.join(shipped())})")
    key = normalized(name)
    path = resources.files("gamekit.models") / f"{key}.toml"
    return loads(path.read_text(encoding="utf-8"), f"{key.replace('_', '-')} (shipped)")


def load(path: str | os.PathLike) -> Game:
    """Load a game from a TOML model file, or a shipped model by name (``"platform-insurance"``).

    Parameters
    ----------
    path
        A path to a ``.toml`` model file (the format: :mod:`gamekit.modelfile`), or the name of a shipped model
        (``gk.models.available()``; ``-`` and ``_`` alike).

    Returns
    -------
    Game
        The game, with the file's parameters, bounds, states, scenarios and schedules.

    Examples
    --------
    >>> import gamekit as gk
    >>> game = gk.load("hawk-dove")
    >>> game
    Game('Hawk-dove'; symmetric; players: hawk, dove; 2 parameters)
    >>> dict(game.parameters)
    {'V': 2, 'C': 4}
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ModelError(f"a model is a file path or a shipped model's name, got {printable(repr(path), 60)}")
    if isinstance(path, str) and not path.endswith(".toml") and normalized(path).replace("_", "-") in shipped():
        return load_shipped(path)
    p = Path(path)
    shown = printable(repr(str(path)))
    if not p.is_file():
        raise ModelError(f"no model file {shown} (shipped models: {', '.join(shipped())})")
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            raise ModelError(f"model file {shown} is larger than {MAX_FILE_BYTES} bytes (MAX_FILE_BYTES)")
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise ModelError(f"model file {shown} is not UTF-8 text ({err.reason} at byte {err.start})") from None
    except OSError as err:
        raise ModelError(f"cannot read model file {shown}: {printable(err.strerror or err)}") from None
    return loads(text, str(path))


# -- writing -----------------------------------------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _string(s: str) -> str:
    out = []
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _key(s: str) -> str:
    return s if _BARE_KEY.match(s) else _string(s)


def _number(v: int | float) -> str:
    return repr(float(v)) if isinstance(v, float) else str(int(v))


def dumps(game: Game) -> str:
    """The game as a model file; ``loads`` reads it back to an equal game."""
    missing = [n for n, v in game.parameters.items() if v is None]
    if missing:
        raise ModelError(
            f"parameter {missing[0]!r} has no value, and a model file cannot declare one without a value; "
            "give it one with with_parameters first"
        )
    out = [f"name = {_string(game.name)}", "", "[populations]"]
    out += [f"{_key(p.name)} = [{', '.join(_string(s) for s in p.strategies)}]" for p in game.populations]
    out += ["", "[parameters]"]
    out += [f"{_key(n)} = {_number(v)}" for n, v in game.parameters.items()]
    if game.bounds:
        out += ["", "[bounds]"]
        for n, (lo, hi) in game.bounds.items():
            low = _string("-inf") if lo is None else _number(lo)
            high = _string("inf") if hi is None else _number(hi)
            out.append(f"{_key(n)} = [{low}, {high}]")
    if game.shares:
        out += ["", "[shares]"]
        out += [f"{_key(n)} = {_string(f'{p}.{s}')}" for n, (p, s) in game.shares.items()]
    if game.group is not None:
        out += ["", "[group]", f"size = {int(game.group.size)}", f"count = {_string(game.group.count)}"]
    out += ["", "[payoffs]"]
    if game.kind == "populations":
        for idx in game.profiles():
            names = game.profile_names(idx)
            cells = game.sources.get(names) or tuple(payoff_text(t[idx]) for t in game.payoff_tensors)
            out.append(f"{_string(', '.join(names))} = [{', '.join(_string(c) for c in cells)}]")
    else:  # symmetric: "mine, theirs" = ["payoff"]; group: strategy = "payoff in the count"
        table = game.payoff_tensors[0]
        strategies = game.populations[0].strategies
        for idx in np.ndindex(*table.shape):
            names = tuple(strategies[i] for i in idx)
            cell = (game.sources.get(names) or (payoff_text(table[idx]),))[0]
            if game.kind == "group":
                out.append(f"{_key(names[0])} = {_string(cell)}")
            else:
                out.append(f"{_string(', '.join(names))} = [{_string(cell)}]")
    if game.states:
        out += ["", "[states]"]
        out += [f"{_key(n)} = {_string(', '.join(p))}" for n, p in game.states.items()]
    for sname, values in game.scenarios.items():
        out += ["", f"[scenarios.{_key(sname)}]"]
        out += [f"{_key(n)} = {_number(v)}" for n, v in values.items()]
    for sname, schedule in game.schedules.items():
        out += ["", f"[schedules.{_key(sname)}]"]
        for phase in schedule.phases:
            items = [f"start = {_number(phase.start)}"]
            base: Mapping = {}
            if phase.scenario is not None:
                items.append(f"scenario = {_string(phase.scenario)}")
                base = game.scenarios[phase.scenario]
            own = {k: v for k, v in phase.values.items() if k not in base or base[k] != v}
            items += [f"{_key(k)} = {_number(v)}" for k, v in own.items()]
            out.append(f"{_key(phase.name)} = {{ {', '.join(items)} }}")
    return "\n".join(out) + "\n"


def save(game: Game, path: str | os.PathLike) -> None:
    """Write the game as a model file at ``path``."""
    Path(path).write_text(dumps(game), encoding="utf-8")
