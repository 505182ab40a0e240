"""A game between several populations, with symbolic payoffs: validated frozen data.

A game has populations ``p = 0, ..., k-1``; population ``p`` has strategies
``0, ..., n_p - 1`` (two or more, named).  A pure strategy profile is
``s = (s_0, ..., s_{k-1})`` and ``A_p[s]`` is population ``p``'s payoff at
``s``: a sympy expression in the declared parameters.  The tensor ``A_p`` has
shape ``(n_0, ..., n_{k-1})``; ``Game.payoffs[p]`` holds its entries flat, in
the lexicographic order of profiles (``Game.profiles()``).

**Kinds of games** (``Game.kind``):

* ``"populations"`` -- the above: ``k`` populations, each payoff a function of the parameters
  (or of the state, below);
* ``"symmetric"`` -- one population playing itself by random pairwise matching: a profile is
  ``(mine, the opponent's)`` and ``A[i, j]`` is my payoff, a tensor of shape ``(n, n)``; the
  expected payoff of strategy ``i`` is ``u(i) = sum_j A[i, j] sigma[j]``;
* ``"group"`` -- one population with two strategies playing in groups of ``N = group.size``
  drawn at random; ``pi_i(k)`` is the payoff of strategy ``i`` when ``k`` of the other ``N - 1``
  members play the first strategy (``k`` is the symbol named ``group.count``), a tensor of shape
  ``(2,)``, and ``u(i) = sum_{k=0}^{N-1} C(N-1, k) x^k (1 - x)^(N-1-k) pi_i(k)``, ``x`` the
  first strategy's share.

**Shares in payoffs.**  ``shares`` names strategies' shares (``{"y": ("platform", "insure")}``);
a payoff may use these names, meaning that share in the current state (a fine ``F*(1 - y)``).
``Game.multilinear`` is true when the expected payoffs are multilinear in the other populations'
shares -- kind ``"populations"`` and no share in a payoff -- the class where strict Nash
equilibria are exactly the asymptotically stable states; analyses use their exact fast paths
there and general ones elsewhere (:mod:`gamekit.dynamics` computes ``u`` for every kind).

A ``Game`` describes payoffs and nothing else: dynamics, equilibria and
stability are functions that take a game, and model files are read and
written by :mod:`gamekit.modelfile`.  It is immutable, compares and hashes by
value (two games read from the same model file are equal), pickles as plain
data, and ``with_parameters`` is ``dataclasses.replace`` with other values.
Every field is checked once, in ``__post_init__``, by the module functions
below it.

>>> import gamekit as gk
>>> game = gk.models.platform_insurance()
>>> game == gk.load("platform-insurance"), game.scenario("meta_goal") == game.scenario("meta-goal")
(True, True)
>>> game.with_parameters(F=12).parameters["F"], game.parameters["F"]
(12, 10)
>>> game.payoff("trap", "government")
-Cg + F*delta
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field, replace

import numpy as np
import sympy

from ._frozen import FrozenMap, NameMap, check_name, normalized
from ._validate import printable
from .errors import AnalysisError, ExpressionError, ModelError, ParameterError
from .expr import (
    MAX_MAGNITUDE,
    NAME_PATTERN,
    exact,
    float_value,
    make_symbol,
    number,
    parse_expression,
    payoff_text,
    substitute,
)
from .schedule import Schedule

__all__ = ["Game", "Population", "Group", "EXACT_BITS_LIMIT", "MAX_GROUP_SIZE"]

Profile = tuple[str, ...]

MAX_GROUP_SIZE = 200
"""Largest group size of a group game (its expected payoffs are binomial sums of ``size`` terms)."""
KINDS = ("populations", "symmetric", "group")

EXACT_BITS_LIMIT = 256
"""Largest numerator or denominator, in bits, of a payoff that ``exact_payoffs_rational`` returns."""


@dataclass(frozen=True)
class Population:
    """A population and its named strategies, in order."""

    name: str
    strategies: tuple[str, ...]

    def __post_init__(self):
        if not isinstance(self.name, str):
            raise ModelError(f"a population's name must be a string, got {type(self.name).__name__}")
        strategies = self.strategies
        if isinstance(strategies, (str, bytes)) or not isinstance(strategies, Sequence):
            raise ModelError(f"population {self.name!r}: strategies must be a sequence of names")
        if len(strategies) < 2 or not all(isinstance(x, str) for x in strategies):
            raise ModelError(f"population {self.name!r}: needs at least two strategies, each a name")
        if len(set(strategies)) != len(strategies):
            raise ModelError(f"population {self.name!r} names a strategy twice")
        object.__setattr__(self, "strategies", tuple(strategies))

    def index(self, strategy: str) -> int:
        try:
            return self.strategies.index(strategy)
        except ValueError:
            known = ", ".join(self.strategies)
            raise ModelError(
                f"{printable(repr(strategy))} is not a strategy of population {self.name!r} (its strategies: {known})"
            ) from None


@dataclass(frozen=True)
class Group:
    """Group play: groups of ``size`` members; ``count`` names the number of the other ``size - 1``
    members that play the population's first strategy (a symbol of the payoffs)."""

    size: int
    count: str = "k"

    def __post_init__(self):
        size = self.size
        if isinstance(size, float) and size.is_integer():
            size = int(size)
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 2 <= size <= MAX_GROUP_SIZE:
            raise ModelError(
                f"the group size must be a whole number from 2 to {MAX_GROUP_SIZE} (MAX_GROUP_SIZE), "
                f"got {printable(repr(self.size), 60)}"
            )
        object.__setattr__(self, "size", int(size))
        check_name("group count", self.count, ModelError)
        if not NAME_PATTERN.match(self.count):
            raise ModelError(f"the group count {self.count!r} is not a valid name (a letter, then letters, digits, _)")


@dataclass(frozen=True, repr=False)
class Game:
    """A normal-form game between populations, with payoffs in named parameters.

    Parameters
    ----------
    populations
        ``{population: [strategy, ...]}`` in order (or a sequence of pairs).
    payoffs
        ``{profile: [payoff of each population]}``, one entry for every pure
        profile.  A profile is ``"regulate, insure, claim"`` or a tuple of
        strategy names; a payoff is a string in the restricted grammar of
        :mod:`gamekit.expr`, a number, or a sympy expression.  (Also accepted:
        the stored form, one flat sequence of payoffs per population.)
    parameters
        ``{name: default value}``; ``None`` declares a parameter without a value
        (symbolic work only).  Every name used in a payoff must be declared.
    scenarios
        Named parameter sets, each a partial ``{name: value}`` over the defaults.
    states
        Named pure profiles, e.g. ``{"trap": "regulate, evade, accept"}``.
    bounds
        ``{name: (low, high)}``: the range a parameter may take (``None`` for an
        open end); used by policy analysis.
    schedules
        ``{name: schedule}``, each in a form :meth:`Schedule.parse` reads.
    shares
        ``{name: "population.strategy"}`` (or ``(population, strategy)`` pairs): names a payoff
        may use for strategies' shares in the current state.
    group
        :class:`Group` (or ``{"size": N, "count": "k"}``): a group game; ``payoffs`` then maps
        each of the population's two strategies to one payoff in the count symbol.

    Notes
    -----
    A one-population game whose payoff profiles name two strategies (``"hawk, dove"``), each
    with one payoff, is symmetric (played within the population; see the module docstring).

    Names of scenarios, states and schedules are looked up with ``-`` and
    ``_`` alike (``game.scenario("meta-goal")`` finds ``meta_goal``).

    After construction every field holds its checked, immutable form:
    ``payoffs`` one flat tuple per population (profiles in ``profiles()``
    order), mappings as read-only hashable mappings, ``schedules`` as
    :class:`Schedule` objects.  ``sources`` keeps the payoff texts as written
    (for model files) and, like the derived ``payoff_tensors``, takes no part
    in equality or the hash.
    """

    populations: tuple[Population, ...]
    payoffs: tuple[tuple[sympy.Expr, ...], ...]
    parameters: Mapping[str, float | None] = FrozenMap()
    _: KW_ONLY
    name: str = ""
    scenarios: Mapping[str, Mapping[str, float]] = NameMap()
    states: Mapping[str, Profile] = NameMap()
    bounds: Mapping[str, tuple[float | None, float | None]] = FrozenMap()
    schedules: Mapping[str, Schedule] = NameMap()
    shares: Mapping[str, tuple[str, str]] = FrozenMap()
    group: Group | None = None
    sources: Mapping[Profile, tuple[str, ...]] = field(default=FrozenMap(), compare=False)
    payoff_tensors: tuple[np.ndarray, ...] = field(init=False, compare=False)
    kind: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        pops = _populations(self.populations)
        params = _parameters(self.parameters)
        shares = _shares(self.shares, pops, params)
        group = _group(self.group, pops, params, shares)
        symbols = {n: make_symbol(n) for n in (*params, *shares, *([group.count] if group else []))}
        sources = _sources(self.sources)
        kind = _kind(self.payoffs, pops, group)
        from_table = isinstance(self.payoffs, Mapping)
        tensor_shape = _tensor_shape(kind, pops)
        if isinstance(self.payoffs, Mapping):
            flat, sources = _payoffs_from_profiles(self.payoffs, pops, symbols, kind)
        else:
            flat = _payoffs_stored(self.payoffs, tensor_shape, symbols, len(pops) if kind == "populations" else 1)
        set_(self, "populations", pops)
        set_(self, "parameters", FrozenMap(params))
        set_(self, "shares", shares)
        set_(self, "group", group)
        set_(self, "kind", kind)
        set_(self, "payoffs", flat)
        set_(self, "sources", sources)
        set_(self, "payoff_tensors", _tensors(flat, tensor_shape))
        if not isinstance(self.name, str) or printable(self.name, len(self.name) + 1) != self.name:
            raise ModelError(f"the game's name must be a printable string, got {printable(repr(self.name), 60)}")
        set_(self, "scenarios", _scenarios(self.scenarios, params))
        set_(self, "states", _states(self.states, pops))
        set_(self, "bounds", _bounds(self.bounds, params))
        set_(self, "schedules", _schedules(self.schedules, params, self.scenarios))
        if kind == "group" and from_table:  # (once, when written; with_parameters passes the stored form)
            _check_group_payoffs(self)

    # -- description -----------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        """Number of strategies of each population."""
        return tuple(len(p.strategies) for p in self.populations)

    @property
    def symbols(self) -> dict[str, sympy.Symbol]:
        """The parameter symbols, by name."""
        return {n: make_symbol(n) for n in self.parameters}

    @property
    def share_symbols(self) -> dict[str, sympy.Symbol]:
        """The symbols of the named shares (``shares``), by name."""
        return {n: make_symbol(n) for n in self.shares}

    @property
    def count_symbol(self) -> sympy.Symbol | None:
        """The symbol of a group game's count ``k`` (``None`` for other games)."""
        return make_symbol(self.group.count) if self.group is not None else None

    def share_index(self, name: str) -> tuple[int, int]:
        """``(population, strategy)`` indices of a named share."""
        pname, sname = self.shares[name]
        p = next(i for i, pop in enumerate(self.populations) if pop.name == pname)
        return p, self.populations[p].index(sname)

    @property
    def multilinear(self) -> bool:
        """Whether expected payoffs are multilinear in the other populations' shares (see the module docstring)."""
        if self.kind != "populations" or not self.shares:
            return self.kind == "populations"
        state = set(self.share_symbols.values())
        return not any(e.free_symbols & state for row in self.payoffs for e in row)

    def payoff_profiles(self) -> Iterator[tuple[int, ...]]:
        """The index of every payoff entry: pure profiles, ``(mine, theirs)`` pairs, or a group game's strategies."""
        return np.ndindex(*self.payoff_tensors[0].shape)

    def population(self, name: str) -> Population:
        for p in self.populations:
            if isinstance(name, str) and p.name == name:
                return p
        raise ModelError(f"no population named {printable(repr(name))}")

    def profiles(self) -> Iterator[tuple[int, ...]]:
        """Every pure profile, as strategy indices, in lexicographic order."""
        return itertools.product(*(range(n) for n in self.shape))

    def profile_names(self, idx: Sequence[int]) -> Profile:
        """Strategy names of a profile given as indices."""
        return tuple(p.strategies[i] for p, i in zip(self.populations, _indices(idx, self.shape)))

    def profile_index(self, profile: str | Sequence[str]) -> tuple[int, ...]:
        """Strategy indices of a profile given as names (``"a, b"`` or a tuple) or a state name."""
        if isinstance(profile, str) and profile in self.states:
            profile = self.states[profile]
        return _profile(profile, self.populations)

    def state_name(self, idx: Sequence[int]) -> str | None:
        """The name of a pure profile if the game names it (e.g. ``"trap"``)."""
        names = self.profile_names(idx)
        return next((sname for sname, profile in self.states.items() if profile == names), None)

    def payoff(self, profile: str | Sequence, population: int | str = 0) -> sympy.Expr:
        """Population's payoff at a pure profile (names or indices); of a symmetric game at ``"mine, theirs"``,
        of a group game at a strategy (an expression in the count)."""
        numeric = isinstance(profile, Sequence) and all(isinstance(i, (int, np.integer)) for i in profile)
        if self.kind != "populations":
            shape = self.payoff_tensors[0].shape
            if numeric:
                idx = _indices(profile, shape)
            else:
                names = tuple(x.strip() for x in profile.split(",")) if isinstance(profile, str) else tuple(profile)
                if len(names) != len(shape):
                    raise ModelError(
                        f"a payoff of this {self.kind} game is at {len(shape)} strategy name(s), "
                        f"got {printable(repr(profile), 60)}"
                    )
                idx = tuple(self.populations[0].index(x) for x in names)
            return self.payoff_tensors[0][idx]
        idx = _indices(profile, self.shape) if numeric else self.profile_index(profile)
        if isinstance(population, (int, np.integer)) and not isinstance(population, bool):
            p = _indices((population,), (len(self.populations),))[0]
        else:
            p = self.populations.index(self.population(population))
        return self.payoff_tensors[p][idx]

    # -- parameter values ------------------------------------------------------------

    def with_parameters(self, values: Mapping[str, float] | None = None, /, **kwargs: float) -> Game:
        """A copy of the game with other parameter values (a scenario, or ``F=12``)."""
        if values is not None and not isinstance(values, Mapping):
            raise ParameterError(f"with_parameters takes {{parameter: value}}, got {printable(repr(values), 60)}")
        values = {**(values or {}), **kwargs}
        for pname in values:
            if pname not in self.parameters:
                known = ", ".join(self.parameters)
                raise ParameterError(
                    f"{printable(repr(pname))} is not a parameter of this game (its parameters: {known})"
                )
        return replace(self, parameters={**self.parameters, **values})

    def scenario(self, name: str) -> Game:
        """The game under a named scenario."""
        if name not in self.scenarios:
            known = ", ".join(self.scenarios) or "none"
            raise ParameterError(f"no scenario named {printable(repr(name))} (scenarios: {known})")
        return self.with_parameters(self.scenarios[name])

    def schedule(self, name: str) -> Schedule:
        """A named schedule (see :class:`~gamekit.schedule.Schedule`; ``.as_pairs()`` for simulate)."""
        if name not in self.schedules:
            known = ", ".join(self.schedules) or "none"
            raise ParameterError(f"no schedule named {printable(repr(name))} (schedules: {known})")
        return self.schedules[name]

    def values(self, exact_values: bool = True) -> dict[sympy.Symbol, sympy.Expr]:
        """Substitution of every parameter's value; raises if one has none."""
        missing = [n for n, v in self.parameters.items() if v is None]
        if missing:
            raise ParameterError(
                f"parameter {missing[0]!r} has no value; give one with with_parameters({missing[0]}=...)"
            )
        return {make_symbol(n): (exact(v) if exact_values else sympy.Float(v)) for n, v in self.parameters.items()}

    def exact_payoffs(self) -> tuple[np.ndarray, ...]:
        """The payoff tensors as object arrays of exact sympy numbers at the current parameter values.

        Raises :class:`AnalysisError` when an exact power would be too large
        (see :mod:`gamekit.expr`); ``exact_payoffs_rational`` says so with ``None``.
        """
        self._fixed_table("exact_payoffs")
        subs = self.values()
        out = []
        for t in self.payoff_tensors:
            arr = np.empty(t.shape, dtype=object)
            for idx in np.ndindex(t.shape):
                try:
                    v = substitute(t[idx], subs)
                except AnalysisError as err:
                    raise AnalysisError(
                        f"payoff at ({', '.join(self.profile_names(idx))}): {err}; "
                        "analyse in floating point (exact=False, --numeric)"
                    ) from None
                arr[idx] = sympy.nsimplify(v) if v.has(sympy.Float) else v
            out.append(arr)
        return tuple(out)

    def exact_payoffs_rational(self, max_bits: int = EXACT_BITS_LIMIT) -> tuple[np.ndarray, ...] | None:
        """The exact payoffs if every one is a rational with numerator and denominator of at most
        ``max_bits`` bits (object arrays of ``sympy.Rational``), else ``None``: then exact
        arithmetic would be slow or impossible (irrational or huge entries), and callers
        should work in floating point.
        """
        try:
            tensors = self.exact_payoffs()
        except AnalysisError:
            return None
        for arr in tensors:
            for v in arr.flat:
                if not v.is_Rational or max(abs(int(v.p)).bit_length(), int(v.q).bit_length()) > max_bits:
                    return None
        return tensors

    def numeric_payoffs(self) -> tuple[np.ndarray, ...]:
        """The payoff tensors as float arrays at the current parameter values.

        Each entry is evaluated exactly and rounded once; where an exact power
        would be too large, in floating point.  An entry that is not a finite
        real number of magnitude at most ``MAX_MAGNITUDE`` raises
        :class:`ParameterError`.
        """
        self._fixed_table("numeric_payoffs")
        subs = self.values()
        floats = None
        out = []
        for pop, t in enumerate(self.payoff_tensors):
            arr = np.empty(t.shape)
            for idx in np.ndindex(t.shape):
                try:
                    v = substitute(t[idx], subs)
                    value = float(v) if v.is_number and v.is_extended_real else math.nan
                except OverflowError:
                    value = math.inf
                except AnalysisError:  # an exact power too large: IEEE floats, which cannot take long
                    floats = floats or {make_symbol(n): float(x) for n, x in self.parameters.items()}
                    value = v = float_value(t[idx], floats)
                if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
                    raise ParameterError(self._bad_payoff(pop, idx, v, value))
                arr[idx] = value
            out.append(arr)
        return tuple(out)

    def _bad_payoff(self, pop: int, idx: tuple[int, ...], v, value: float) -> str:
        """One line: whose payoff, which expression, at which profile, what is wrong with it, at which values."""
        expr = self.payoff_tensors[pop][idx]
        names = {sym: name for name, sym in self.symbols.items()}
        used = sorted((names[s] for s in expr.free_symbols if s in names), key=list(self.parameters).index)
        at = ", ".join(f"{n} = {self.parameters[n]:g}" for n in used)
        if isinstance(v, sympy.Expr) and v.has(sympy.nan):
            what = "it is undefined (0/0 or infinity minus infinity?)"
        elif isinstance(v, sympy.Expr) and v.is_number and v.is_extended_real is False and v.is_finite:
            what = f"it is complex ({printable(v, 40)})"
        elif not isinstance(v, sympy.Expr) or v.is_finite:  # an exact number beyond the limit, or a float overflow
            shown = sympy.sstr(sympy.N(v, 3)) if isinstance(v, sympy.Expr) else "beyond the floating-point range"
            what = f"it is {shown}, too large to analyse (the limit is {MAX_MAGNITUDE:g} in magnitude)"
        else:
            denominator = sympy.fraction(sympy.together(expr))[1]
            if denominator.free_symbols and substitute(denominator, self.values()) == 0:
                what = "it is infinite (division by zero)"
            else:
                what = "it is infinite (the log of 0?)" if expr.has(sympy.log) else "it is infinite"
        owner = f" to {self.populations[pop].name}" if pop < len(self.populations) else ""
        if len(idx) == len(self.shape):
            label = ", ".join(self.profile_names(idx))
        else:  # one population playing itself: (mine, the opponents')
            label = ", ".join(self.populations[0].strategies[i] for i in idx)
        return (
            f"payoff at ({label}){owner}, {printable(payoff_text(expr), 60)}, is not a finite real number: "
            f"{what}{' at ' + at if at else ''}"
        )

    def _fixed_table(self, what: str) -> None:
        state = {*self.share_symbols.values(), *([self.count_symbol] if self.group else [])}
        if any(e.free_symbols & state for row in self.payoffs for e in row):
            raise AnalysisError(
                f"{what}: the payoffs depend on the state (shares or the group count), so they have no fixed "
                "table; use gamekit.dynamics.expected_payoffs or general_field"
            )

    # -- model files (gamekit.modelfile does the work) -----------------------------------

    def to_toml(self) -> str:
        """The game as a model file; ``gk.load`` reads it back (``gamekit.modelfile.dumps``)."""
        from .modelfile import dumps

        return dumps(self)

    def save(self, path: str | os.PathLike) -> None:
        """Write the game as a model file (``gamekit.modelfile.save``)."""
        from .modelfile import save

        save(self, path)

    # -- display ---------------------------------------------------------------------

    def __repr__(self) -> str:
        pops = "; ".join(f"{p.name}: {', '.join(p.strategies)}" for p in self.populations)
        kind = {"populations": "", "symmetric": "symmetric; "}.get(
            self.kind, f"groups of {self.group.size}; " if self.group else ""
        )
        return f"Game({self.name or 'unnamed'!r}; {kind}{pops}; {len(self.parameters)} parameters)"

    def _repr_markdown_(self) -> str:
        if self.kind != "populations":
            pop = self.populations[0]
            head = (
                ["mine", "opponent's"]
                if self.kind == "symmetric"
                else [f"strategy ({self.group.count} others play {pop.strategies[0]})"]
            )
            lines = ["| " + " | ".join(head + ["payoff"]) + " |", "|" + "---|" * (len(head) + 1)]
            for idx in self.payoff_profiles():
                cells = [pop.strategies[i] for i in idx] + [f"`{self.payoff_tensors[0][idx]}`"]
                lines.append("| " + " | ".join(cells) + " |")
            return f"**{self.name or 'Game'}** ({self.kind})\n\n" + "\n".join(lines)
        head = [p.name for p in self.populations]
        lines = ["| " + " | ".join(head + [f"payoff to {h}" for h in head]) + " |"]
        lines.append("|" + "---|" * (2 * len(head)))
        for idx in self.profiles():
            cells = list(self.profile_names(idx)) + [f"`{t[idx]}`" for t in self.payoff_tensors]
            lines.append("| " + " | ".join(cells) + " |")
        return f"**{self.name or 'Game'}**\n\n" + "\n".join(lines)


# -- validation of each field (called once, from Game.__post_init__) ---------------------


def _populations(populations) -> tuple[Population, ...]:
    if isinstance(populations, Mapping):
        items = list(populations.items())
    elif isinstance(populations, Sequence) and not isinstance(populations, (str, bytes)):
        items = [(p.name, p.strategies) if isinstance(p, Population) else p for p in populations]
    else:
        raise ModelError(f"populations must map names to lists of strategies, got {type(populations).__name__}")
    pops, seen = [], set()
    for entry in items:
        try:
            pname, strategies = entry
        except (TypeError, ValueError):
            raise ModelError(f"population entry {printable(repr(entry), 60)} is not (name, [strategies])") from None
        check_name("population", pname, ModelError)
        if pname in seen:
            raise ModelError(f"population {pname!r} is declared twice")
        seen.add(pname)
        if isinstance(strategies, (str, bytes)) or not isinstance(strategies, Sequence):
            raise ModelError(f"population {pname!r}: strategies must be a list of names")
        for s in strategies:
            check_name(f"population {pname!r}: strategy", s, ModelError)
            if "," in s:
                raise ModelError(f"population {pname!r}: strategy name {s!r} has a comma")
        strategies = tuple(s.strip() for s in strategies)
        if len(strategies) < 2:
            raise ModelError(f"population {pname!r} has {len(strategies)} strategy; it needs at least two")
        dup = sorted({s for s in strategies if strategies.count(s) > 1})
        if dup:
            raise ModelError(f"population {pname!r} names strategy {dup[0]!r} twice")
        pops.append(Population(pname, strategies))
    if not pops:
        raise ModelError("the game has no populations")
    return tuple(pops)


def _parameters(parameters) -> dict[str, float | None]:
    if parameters is None:
        return {}
    if not isinstance(parameters, Mapping):
        if isinstance(parameters, (str, bytes)) or not isinstance(parameters, (Sequence, set, frozenset)):
            raise ParameterError(f"parameters must map names to values, got {type(parameters).__name__}")
        for pname in parameters:
            check_name("parameter", pname, ParameterError)
        parameters = dict.fromkeys(parameters)
    out = {}
    for pname, value in parameters.items():
        check_name("parameter", pname, ParameterError)
        if not NAME_PATTERN.match(pname):
            raise ParameterError(f"parameter name {pname!r} is not a valid name (a letter, then letters, digits, _)")
        out[pname] = None if value is None else number(f"parameter {pname!r}", value)
    return out


def _indices(idx: object, shape: tuple[int, ...]) -> tuple[int, ...]:
    """``idx`` as a profile of strategy indices within ``shape``, or a ModelError."""
    if isinstance(idx, np.ndarray):
        idx = idx.tolist() if idx.ndim == 1 else None
    ok = isinstance(idx, Sequence) and not isinstance(idx, (str, bytes)) and len(idx) == len(shape)
    ok = ok and all(
        isinstance(i, (int, np.integer)) and not isinstance(i, bool) and 0 <= i < n for i, n in zip(idx, shape)
    )
    if not ok:
        raise ModelError(f"profile {printable(repr(idx), 60)} is not {len(shape)} strategy indices within {shape}")
    return tuple(int(i) for i in idx)


def _profile(key, populations: Sequence[Population]) -> tuple[int, ...]:
    if isinstance(key, str):
        names = tuple(part.strip() for part in key.split(","))
    elif isinstance(key, Sequence):
        names = tuple(key)
    else:
        raise ModelError(f"profile {printable(repr(key), 60)} is not strategy names (a string or a tuple)")
    if len(names) != len(populations):
        raise ModelError(
            f"profile {printable(repr(key), 60)} names {len(names)} strategies, but the game has "
            f"{len(populations)} populations ({', '.join(p.name for p in populations)})"
        )
    return tuple(pop.index(s) for pop, s in zip(populations, names))


def _key_names(key) -> tuple[str, ...]:
    if isinstance(key, str):
        return tuple(part.strip() for part in key.split(","))
    if isinstance(key, Sequence):
        return tuple(key)
    raise ModelError(f"profile {printable(repr(key), 60)} is not strategy names (a string or a tuple)")


def _kind(payoffs, pops, group) -> str:
    """``"group"`` when ``group`` is given; ``"symmetric"`` for one population whose profiles name two strategies
    (or whose stored table has ``n * n`` entries); else ``"populations"``."""
    if group is not None:
        return "group"
    if len(pops) != 1:
        return "populations"
    n = len(pops[0].strategies)
    if isinstance(payoffs, Mapping):
        lengths = {len(_key_names(key)) for key in payoffs}
        if lengths == {2}:
            return "symmetric"
        if len(lengths) > 1:
            raise ModelError(
                "a one-population game's profiles name either one strategy each (a game against nature) or two "
                "('mine, the opponent's': a symmetric game played within the population), not a mixture"
            )
        return "populations"
    ok = isinstance(payoffs, Sequence) and len(payoffs) == 1 and isinstance(payoffs[0], Sequence)
    return "symmetric" if ok and len(payoffs[0]) == n * n else "populations"


def _tensor_shape(kind: str, pops) -> tuple[int, ...]:
    n = len(pops[0].strategies)
    return {"symmetric": (n, n), "group": (n,)}.get(kind) or tuple(len(p.strategies) for p in pops)


def _payoffs_from_profiles(payoffs: Mapping, pops, symbols, kind: str = "populations"):
    """``{profile: [payoff per population]}`` -> flat payoffs per population, and the source texts.

    Symmetric games: ``{"mine, theirs": payoff}``; group games: ``{strategy: payoff}`` (one payoff each,
    alone or in a one-element list).
    """
    if kind == "populations":
        positions, k, what = list(pops), len(pops), "profile"
    else:
        width = 2 if kind == "symmetric" else 1
        positions, k, what = [pops[0]] * width, 1, "profile" if kind == "symmetric" else "strategy"
    entries: dict[tuple[int, ...], list[sympy.Expr]] = {}
    sources = {}
    for key, values in payoffs.items():
        names = _key_names(key)
        if len(names) != len(positions):
            if kind == "populations":
                raise ModelError(
                    f"profile {printable(repr(key), 60)} names {len(names)} strategies, but the game has "
                    f"{len(pops)} populations ({', '.join(p.name for p in pops)})"
                )
            expected = (
                "two strategies ('mine, the opponent's') in a symmetric one-population game"
                if kind == "symmetric"
                else "one strategy in a group game (its payoff in the count)"
            )
            raise ModelError(
                f"payoff key {printable(repr(key), 60)} names {len(names)} strategies; expected {expected}"
            )
        idx = tuple(pop.index(x) for pop, x in zip(positions, names))
        profile = tuple(p.strategies[i] for p, i in zip(positions, idx))
        label = ", ".join(profile)
        if idx in entries:
            raise ModelError(f"{what} ({label}) is given twice")
        if isinstance(values, np.ndarray):
            values = values.tolist()
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
            values = [values]
        if len(values) != k:
            if kind != "populations":
                raise ModelError(f"{what} ({label}) has {len(values)} payoffs; a {kind} game has one (mine)")
            raise ModelError(
                f"profile ({label}) has {len(values)} payoffs; it needs one for each of the "
                f"{k} populations ({', '.join(p.name for p in pops)})"
            )
        row = []
        for p, value in enumerate(values):
            try:
                row.append(parse_expression(value, symbols))
            except ExpressionError as err:
                raise ExpressionError(f"{what} ({label}), {positions[p].name}: {err}") from None
        entries[idx] = row
        sources[profile] = tuple(v if isinstance(v, str) else payoff_text(e) for v, e in zip(values, row))
    total = math.prod(len(p.strategies) for p in positions)  # never list the profiles: 50^12 of them do not fit
    if len(entries) < total:
        order = itertools.product(*(range(len(p.strategies)) for p in positions))
        missing = next(idx for idx in order if idx not in entries)
        label = ", ".join(p.strategies[i] for p, i in zip(positions, missing))
        raise ModelError(f"no payoffs for {what} ({label}): every {what} needs one ({len(entries)} of {total} given)")
    rows = [entries[idx] for idx in itertools.product(*(range(len(p.strategies)) for p in positions))]
    return tuple(tuple(r[p] for r in rows) for p in range(k)), FrozenMap(sources)


def _payoffs_stored(payoffs, shape: tuple[int, ...], symbols, tables: int) -> tuple[tuple[sympy.Expr, ...], ...]:
    """The stored form (``tables`` flat sequences of ``prod(shape)`` payoffs), checked for shape and symbols."""
    size = math.prod(shape)
    ok = isinstance(payoffs, Sequence) and not isinstance(payoffs, (str, bytes)) and len(payoffs) == tables
    if ok:
        payoffs = tuple(tuple(row) if isinstance(row, Sequence) else () for row in payoffs)
        ok = all(len(row) == size for row in payoffs)
    if not ok:
        raise ModelError(
            "payoffs must map each strategy profile to a list of payoffs "
            f"(or be {tables} flat sequences of {size} payoffs each)"
        )
    declared = set(symbols.values())
    for row in payoffs:
        for e in row:
            if not isinstance(e, sympy.Expr) or not e.free_symbols <= declared:
                return tuple(tuple(parse_expression(e, symbols) for e in row) for row in payoffs)
    return payoffs


def _shares(shares, pops, params) -> FrozenMap:
    """``{name: (population, strategy)}`` from ``"population.strategy"`` texts or pairs, checked."""
    shares = {} if shares is None else shares
    if not isinstance(shares, Mapping):
        raise ModelError(f"shares must map names to 'population.strategy', got {type(shares).__name__}")
    out = {}
    for name, target in shares.items():
        check_name("share", name, ModelError)
        if not NAME_PATTERN.match(name):
            raise ModelError(f"share name {name!r} is not a valid name (a letter, then letters, digits, _)")
        if name in params:
            raise ModelError(f"share {name!r} has the name of a parameter; rename one of them")
        if isinstance(target, str):
            pname, dot, sname = target.partition(".")
            if not dot:
                raise ModelError(f"share {name!r} is {printable(repr(target), 60)}; write it as 'population.strategy'")
        elif isinstance(target, Sequence) and len(target) == 2 and all(isinstance(t, str) for t in target):
            pname, sname = target
        else:
            raise ModelError(f"share {name!r} must be 'population.strategy', got {printable(repr(target), 60)}")
        pname, sname = pname.strip(), sname.strip()
        pop = next((p for p in pops if p.name == pname), None)
        if pop is None:
            known = ", ".join(p.name for p in pops)
            raise ModelError(f"share {name!r}: {printable(repr(pname))} is not a population (populations: {known})")
        try:
            pop.index(sname)
        except ModelError as err:
            raise ModelError(f"share {name!r}: {err}") from None
        out[name] = (pname, sname)
    return FrozenMap(out)


def _group(group, pops, params, shares) -> Group | None:
    if group is None:
        return None
    if isinstance(group, Mapping):
        unknown = sorted(set(group) - {"size", "count"})
        if unknown:
            raise ModelError(f"group has unknown key {printable(repr(unknown[0]))} (keys: size, count)")
        if "size" not in group:
            raise ModelError("group needs a size (the number of members of each group)")
        group = Group(group["size"], group.get("count", "k"))
    elif not isinstance(group, Group):
        raise ModelError(f"group must be a Group or {{'size': N, 'count': 'k'}}, got {printable(repr(group), 60)}")
    if group.count in params:
        raise ModelError(f"the group count {group.count!r} has the name of a parameter; rename one of them")
    if group.count in shares:
        raise ModelError(f"the group count {group.count!r} has the name of a share; rename one of them")
    if len(pops) != 1 or len(pops[0].strategies) != 2:
        raise ModelError(
            "a group game has one population with two strategies (the count is of members playing the first); "
            f"this one has {len(pops)} populations with {', '.join(str(len(p.strategies)) for p in pops)} strategies"
        )
    return group


def _check_group_payoffs(game: Game) -> None:
    """Every ``pi_i(k)``, ``k = 0 .. size - 1``, is a finite real number (at the parameter values when all have
    one): ``1/k`` or ``log(k)`` is refused when the game is written, not at its first analysis."""
    from .dynamics import group_payoff

    values = game.values() if all(v is not None for v in game.parameters.values()) else None
    for i in range(len(game.populations[0].strategies)):
        for j in range(game.group.size):
            group_payoff(game, i, j, values)


def _sources(sources) -> FrozenMap:
    if not isinstance(sources, Mapping):
        raise ModelError("sources must map profiles to payoff texts")
    return sources if isinstance(sources, FrozenMap) else FrozenMap(sources)


def _tensors(flat, shape) -> tuple[np.ndarray, ...]:
    out = []
    for row in flat:
        arr = np.empty(len(row), dtype=object)
        arr[:] = row
        arr = arr.reshape(shape)
        arr.flags.writeable = False
        out.append(arr)
    return tuple(out)


def _or_empty(items: object) -> object:
    return {} if items is None else items


def _named(kind: str, items, error: type[Exception]) -> dict:
    """Check the names of a mapping of named things; two may not differ only in ``-`` against ``_``."""
    if not isinstance(items, Mapping):
        raise error(f"{kind}s must map names to values, got {type(items).__name__}")
    seen: dict[str, str] = {}
    for key in items:
        check_name(kind, key, error)
        other = seen.setdefault(normalized(key), key)
        if other != key:
            raise error(f"{kind}s {other!r} and {key!r} differ only in '-' against '_'; rename one")
    return dict(items)


def _scenarios(scenarios, params) -> NameMap:
    out = {}
    for sname, values in _named("scenario", _or_empty(scenarios), ModelError).items():
        if not isinstance(values, Mapping):
            raise ModelError(f"scenario {sname!r} must map parameters to values")
        for pname in values:
            if pname not in params:
                raise ParameterError(f"scenario {sname!r} sets {printable(repr(pname))}, which is not a parameter")
        out[sname] = FrozenMap({k: number(f"scenario {sname!r}: {k}", v) for k, v in values.items()})
    return NameMap(out)


def _states(states, pops) -> NameMap:
    out = {}
    for sname, profile in _named("state", _or_empty(states), ModelError).items():
        idx = _profile(profile, pops)
        out[sname] = tuple(p.strategies[i] for p, i in zip(pops, idx))
    return NameMap(out)


def _bounds(bounds, params) -> FrozenMap:
    bounds = _or_empty(bounds)
    if not isinstance(bounds, Mapping):
        raise ParameterError(f"bounds must map parameters to (low, high), got {type(bounds).__name__}")
    out = {}
    for pname, pair in bounds.items():
        if pname not in params:
            raise ParameterError(f"bounds given for {printable(repr(pname))}, which is not a parameter")
        if isinstance(pair, (str, bytes)) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise ParameterError(f"bounds of {pname!r} must be [low, high], got {printable(repr(pair), 60)}")
        low, high = (None if v is None else number(f"bounds of {pname!r}", v) for v in pair)
        if low is not None and high is not None and low > high:
            raise ParameterError(f"bounds of {pname!r}: low {low} is above high {high}")
        out[pname] = (low, high)
    return FrozenMap(out)


def _schedules(schedules, params, scenarios) -> NameMap:
    named = _named("schedule", _or_empty(schedules), ModelError)
    return NameMap(
        {
            sname: Schedule.parse(spec, parameters=params, scenarios=scenarios, name=sname)
            for sname, spec in named.items()
        }
    )


def __getattr__(name: str):
    # ``from gamekit.game import load, from_toml`` predates gamekit.modelfile; read lazily so that
    # this module imports nothing from modelfile (models/ -> modelfile -> game, one direction).
    if name in ("load", "from_toml"):
        from . import modelfile

        return getattr(modelfile, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
