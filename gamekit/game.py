"""A game between several populations, with symbolic payoffs.

A game has populations ``p = 0, ..., k-1``; population ``p`` has strategies
``0, ..., n_p - 1`` (two or more, named).  A pure strategy profile is
``s = (s_0, ..., s_{k-1})`` and ``A_p[s]`` is population ``p``'s payoff at
``s``: a sympy expression in the declared parameters.  The tensor ``A_p`` has
shape ``(n_0, ..., n_{k-1})``.

A ``Game`` describes payoffs and nothing else: dynamics, equilibria and
stability are functions that take a game.  It is immutable; ``with_parameters``
returns a new game with other parameter values.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np
import sympy
import tomllib

from .errors import ExpressionError, ModelError, ParameterError
from .expr import NAME_PATTERN, exact, make_symbol, parse_expression

__all__ = ["Game", "Population", "load"]

Profile = tuple[str, ...]


@dataclass(frozen=True)
class Population:
    """A population and its named strategies, in order."""

    name: str
    strategies: tuple[str, ...]

    def index(self, strategy: str) -> int:
        try:
            return self.strategies.index(strategy)
        except ValueError:
            known = ", ".join(self.strategies)
            raise ModelError(
                f"{strategy!r} is not a strategy of population {self.name!r} (its strategies: {known})"
            ) from None


def _check_value(name: str, value) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        if isinstance(value, sympy.Basic) and value.is_number and value.is_real:
            value = float(value)
        else:
            raise ParameterError(f"parameter {name!r} has value {value!r}, which is not a number")
    if not math.isfinite(float(value)):
        raise ParameterError(f"parameter {name!r} has value {value!r}, which is not a finite number")
    return float(value) if not isinstance(value, (int, np.integer)) else int(value)


def _parse_profile(key, populations: Sequence[Population]) -> tuple[int, ...]:
    if isinstance(key, str):
        names = tuple(part.strip() for part in key.split(","))
    else:
        names = tuple(key)
    if len(names) != len(populations):
        raise ModelError(
            f"profile {key!r} names {len(names)} strategies, but the game has "
            f"{len(populations)} populations ({', '.join(p.name for p in populations)})"
        )
    return tuple(pop.index(s) for pop, s in zip(populations, names))


@dataclass(frozen=True, eq=False)
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
        :mod:`gamekit.expr`, a number, or a sympy expression.
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
    """

    populations: tuple[Population, ...]
    payoff_tensors: tuple[np.ndarray, ...] = field(repr=False)
    parameters: Mapping[str, float | None]
    name: str = ""
    scenarios: Mapping[str, Mapping[str, float]] = field(default_factory=dict, repr=False)
    states: Mapping[str, Profile] = field(default_factory=dict, repr=False)
    bounds: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict, repr=False)
    schedules: Mapping[str, tuple] = field(default_factory=dict, repr=False)
    sources: Mapping[Profile, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)

    def __init__(
        self,
        populations,
        payoffs,
        parameters=None,
        *,
        name: str = "",
        scenarios=None,
        states=None,
        bounds=None,
        schedules=None,
    ):
        pops = self._build_populations(populations)
        params = self._build_parameters(parameters or {})
        symbols = {n: make_symbol(n) for n in params}
        tensors, sources = self._build_payoffs(payoffs, pops, symbols)
        set_ = object.__setattr__
        set_(self, "populations", pops)
        set_(self, "payoff_tensors", tensors)
        set_(self, "parameters", MappingProxyType(params))
        set_(self, "name", str(name))
        set_(self, "sources", MappingProxyType(sources))
        set_(self, "scenarios", MappingProxyType(self._build_scenarios(scenarios or {}, params)))
        set_(self, "states", MappingProxyType(self._build_states(states or {}, pops)))
        set_(self, "bounds", MappingProxyType(self._build_bounds(bounds or {}, params)))
        set_(self, "schedules", MappingProxyType(self._build_schedules(schedules or {}, params, self.scenarios)))

    # -- construction and validation -------------------------------------------------

    @staticmethod
    def _build_populations(populations) -> tuple[Population, ...]:
        items = populations.items() if isinstance(populations, Mapping) else populations
        pops = []
        seen = set()
        for entry in items:
            try:
                pname, strategies = entry
            except (TypeError, ValueError):
                raise ModelError(f"population entry {entry!r} is not (name, [strategies])") from None
            pname = str(pname)
            if pname in seen:
                raise ModelError(f"population {pname!r} is declared twice")
            seen.add(pname)
            if isinstance(strategies, str) or not isinstance(strategies, Sequence):
                raise ModelError(f"population {pname!r}: strategies must be a list of names")
            strategies = tuple(str(s).strip() for s in strategies)
            if len(strategies) < 2:
                raise ModelError(f"population {pname!r} has {len(strategies)} strategy; it needs at least two")
            dup = sorted({s for s in strategies if strategies.count(s) > 1})
            if dup:
                raise ModelError(f"population {pname!r} names strategy {dup[0]!r} twice")
            for s in strategies:
                if not s or "," in s:
                    raise ModelError(f"population {pname!r}: strategy name {s!r} is empty or has a comma")
            pops.append(Population(pname, strategies))
        if not pops:
            raise ModelError("the game has no populations")
        return tuple(pops)

    @staticmethod
    def _build_parameters(parameters) -> dict[str, float | None]:
        if not isinstance(parameters, Mapping):
            parameters = {str(n): None for n in parameters}
        out = {}
        for pname, value in parameters.items():
            pname = str(pname)
            if not NAME_PATTERN.match(pname):
                raise ParameterError(f"parameter name {pname!r} is not a valid name")
            out[pname] = _check_value(pname, value)
        return out

    @staticmethod
    def _build_payoffs(payoffs, pops, symbols):
        if not isinstance(payoffs, Mapping):
            raise ModelError("payoffs must map each strategy profile to a list of payoffs")
        shape = tuple(len(p.strategies) for p in pops)
        tensors = [np.empty(shape, dtype=object) for _ in pops]
        filled = np.zeros(shape, dtype=bool)
        sources = {}
        for key, values in payoffs.items():
            idx = _parse_profile(key, pops)
            profile = tuple(p.strategies[i] for p, i in zip(pops, idx))
            label = ", ".join(profile)
            if filled[idx]:
                raise ModelError(f"profile ({label}) is given twice")
            if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
                values = [values]
            if len(values) != len(pops):
                raise ModelError(
                    f"profile ({label}) has {len(values)} payoffs; it needs one for each of the "
                    f"{len(pops)} populations ({', '.join(p.name for p in pops)})"
                )
            for p, value in enumerate(values):
                try:
                    tensors[p][idx] = parse_expression(value, symbols)
                except ExpressionError as err:
                    raise ExpressionError(f"profile ({label}), {pops[p].name}: {err}") from None
            sources[profile] = tuple(str(v) for v in values)
            filled[idx] = True
        missing = [", ".join(p.strategies[i] for p, i in zip(pops, idx)) for idx in np.argwhere(~filled).tolist()]
        if missing:
            more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
            raise ModelError(f"no payoffs for profile ({missing[0]}){more}: every profile needs one")
        for t in tensors:
            t.flags.writeable = False
        return tuple(tensors), sources

    @staticmethod
    def _build_scenarios(scenarios, params):
        out = {}
        for sname, values in scenarios.items():
            if not isinstance(values, Mapping):
                raise ModelError(f"scenario {sname!r} must map parameters to values")
            for pname, value in values.items():
                if pname not in params:
                    raise ParameterError(f"scenario {sname!r} sets {pname!r}, which is not a parameter")
                _check_value(pname, value)
            out[str(sname)] = MappingProxyType({str(k): _check_value(k, v) for k, v in values.items()})
        return out

    @staticmethod
    def _build_states(states, pops):
        out = {}
        for sname, profile in states.items():
            idx = _parse_profile(profile, pops)
            out[str(sname)] = tuple(p.strategies[i] for p, i in zip(pops, idx))
        return out

    @staticmethod
    def _build_schedules(schedules, params, scenarios):
        """``{name: {phase: {"start": t, "scenario": name?, param: value, ...}}}`` -> phases in order."""
        out = {}
        for sname, phases in schedules.items():
            if not isinstance(phases, Mapping) or not phases:
                raise ModelError(f"schedule {sname!r} must map phase names to {{start = t, ...}}")
            rows, last = [], -math.inf
            for phase, spec in phases.items():
                if not isinstance(spec, Mapping) or "start" not in spec:
                    raise ModelError(f"schedule {sname!r}, phase {phase!r}: needs a start time")
                start = _check_value(f"{phase}.start", spec["start"])
                if start <= last:
                    raise ModelError(
                        f"schedule {sname!r}: phase {phase!r} starts at {start}, not after the previous phase"
                    )
                last = start
                scenario = spec.get("scenario")
                if scenario is not None and scenario not in scenarios:
                    raise ModelError(f"schedule {sname!r}, phase {phase!r}: no scenario named {scenario!r}")
                overrides = {}
                for k, v in spec.items():
                    if k in ("start", "scenario"):
                        continue
                    if k not in params:
                        raise ParameterError(
                            f"schedule {sname!r}, phase {phase!r} sets {k!r}, which is not a parameter"
                        )
                    overrides[k] = _check_value(k, v)
                rows.append((str(phase), start, scenario, MappingProxyType(overrides)))
            out[str(sname)] = tuple(rows)
        return out

    @staticmethod
    def _build_bounds(bounds, params):
        out = {}
        for pname, pair in bounds.items():
            if pname not in params:
                raise ParameterError(f"bounds given for {pname!r}, which is not a parameter")
            try:
                low, high = pair
            except (TypeError, ValueError):
                raise ParameterError(f"bounds of {pname!r} must be [low, high]") from None
            low = None if low is None else _check_value(pname, low)
            high = None if high is None else _check_value(pname, high)
            if low is not None and high is not None and low > high:
                raise ParameterError(f"bounds of {pname!r}: low {low} is above high {high}")
            out[pname] = (low, high)
        return out

    # -- pickling (dask workers, multiprocessing) -------------------------------------

    _MAPPINGS = ("parameters", "scenarios", "states", "bounds", "schedules", "sources")

    def __getstate__(self):
        state = dict(self.__dict__)
        for key in self._MAPPINGS:
            state[key] = dict(state[key])
        state["scenarios"] = {k: dict(v) for k, v in state["scenarios"].items()}
        state["schedules"] = {k: tuple((n, t, sc, dict(o)) for n, t, sc, o in v) for k, v in state["schedules"].items()}
        return state

    def __setstate__(self, state):
        for key, value in state.items():
            if key in self._MAPPINGS:
                if key == "scenarios":
                    value = {k: MappingProxyType(dict(v)) for k, v in value.items()}
                if key == "schedules":
                    value = {k: tuple((n, t, sc, MappingProxyType(o)) for n, t, sc, o in v) for k, v in value.items()}
                value = MappingProxyType(value)
            object.__setattr__(self, key, value)

    # -- description -----------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        """Number of strategies of each population."""
        return tuple(len(p.strategies) for p in self.populations)

    @property
    def symbols(self) -> dict[str, sympy.Symbol]:
        """The parameter symbols, by name."""
        return {n: make_symbol(n) for n in self.parameters}

    def population(self, name: str) -> Population:
        for p in self.populations:
            if p.name == name:
                return p
        raise ModelError(f"no population named {name!r}")

    def profiles(self) -> Iterator[tuple[int, ...]]:
        """Every pure profile, as strategy indices, in lexicographic order."""
        return itertools.product(*(range(n) for n in self.shape))

    def profile_names(self, idx: Sequence[int]) -> Profile:
        return tuple(p.strategies[i] for p, i in zip(self.populations, idx))

    def profile_index(self, profile) -> tuple[int, ...]:
        """Strategy indices of a profile given as names (``"a, b"`` or a tuple) or a state name."""
        if isinstance(profile, str) and profile in self.states:
            profile = self.states[profile]
        return _parse_profile(profile, self.populations)

    def state_name(self, idx: Sequence[int]) -> str | None:
        """The name of a pure profile if the game names it (e.g. ``"trap"``)."""
        names = self.profile_names(idx)
        for sname, profile in self.states.items():
            if profile == names:
                return sname
        return None

    def payoff(self, profile, population: int | str) -> sympy.Expr:
        """Population's payoff at a pure profile (names or indices)."""
        idx = tuple(profile) if all(isinstance(i, (int, np.integer)) for i in profile) else self.profile_index(profile)
        p = population if isinstance(population, int) else self.populations.index(self.population(population))
        return self.payoff_tensors[p][idx]

    # -- parameter values ------------------------------------------------------------

    def with_parameters(self, values: Mapping[str, float] | None = None, /, **kwargs) -> Game:
        """A copy of the game with other parameter values (a scenario, or ``F=12``)."""
        values = {**(values or {}), **kwargs}
        for pname in values:
            if pname not in self.parameters:
                known = ", ".join(self.parameters)
                raise ParameterError(f"{pname!r} is not a parameter of this game (its parameters: {known})")
        new = dict(self.parameters)
        new.update({k: _check_value(k, v) for k, v in values.items()})
        clone = object.__new__(Game)
        for f in ("populations", "payoff_tensors", "name", "scenarios", "states", "bounds", "schedules", "sources"):
            object.__setattr__(clone, f, getattr(self, f))
        object.__setattr__(clone, "parameters", MappingProxyType(new))
        return clone

    def scenario(self, name: str) -> Game:
        """The game under a named scenario."""
        if name not in self.scenarios:
            known = ", ".join(self.scenarios) or "none"
            raise ParameterError(f"no scenario named {name!r} (scenarios: {known})")
        return self.with_parameters(self.scenarios[name])

    def schedule(self, name: str) -> list[tuple[float, dict[str, float]]]:
        """A named schedule as ``[(start, {parameter: value}), ...]`` for :func:`gamekit.simulate`."""
        if name not in self.schedules:
            known = ", ".join(self.schedules) or "none"
            raise ParameterError(f"no schedule named {name!r} (schedules: {known})")
        out = []
        for _, start, scenario, overrides in self.schedules[name]:
            values = dict(self.scenarios[scenario]) if scenario else {}
            values.update(overrides)
            out.append((start, values))
        return out

    def values(self, exact_values: bool = True) -> dict[sympy.Symbol, sympy.Expr]:
        """Substitution of every parameter's value; raises if one has none."""
        missing = [n for n, v in self.parameters.items() if v is None]
        if missing:
            raise ParameterError(
                f"parameter {missing[0]!r} has no value; give one with with_parameters({missing[0]}=...)"
            )
        return {make_symbol(n): (exact(v) if exact_values else sympy.Float(v)) for n, v in self.parameters.items()}

    def exact_payoffs(self) -> tuple[np.ndarray, ...]:
        """The payoff tensors as object arrays of exact sympy numbers at the current parameter values."""
        subs = self.values()
        out = []
        for t in self.payoff_tensors:
            arr = np.empty(t.shape, dtype=object)
            for idx in np.ndindex(t.shape):
                arr[idx] = sympy.nsimplify(t[idx].xreplace(subs)) if t[idx].has(sympy.Float) else t[idx].xreplace(subs)
            out.append(arr)
        return tuple(out)

    def numeric_payoffs(self) -> tuple[np.ndarray, ...]:
        """The payoff tensors as float arrays at the current parameter values."""
        subs = self.values()
        out = []
        for t in self.payoff_tensors:
            arr = np.empty(t.shape)
            for idx in np.ndindex(t.shape):
                v = t[idx].xreplace(subs)
                if not v.is_number or not v.is_finite or not v.is_extended_real:
                    label = ", ".join(self.profile_names(idx))
                    raise ParameterError(f"payoff at ({label}) is {v}, not a finite real number")
                arr[idx] = float(v)
            out.append(arr)
        return tuple(out)

    # -- display ---------------------------------------------------------------------

    def __repr__(self) -> str:
        pops = "; ".join(f"{p.name}: {', '.join(p.strategies)}" for p in self.populations)
        return f"Game({self.name or 'unnamed'!r}; {pops}; {len(self.parameters)} parameters)"

    def _repr_markdown_(self) -> str:
        head = [p.name for p in self.populations]
        lines = ["| " + " | ".join(head + [f"payoff to {h}" for h in head]) + " |"]
        lines.append("|" + "---|" * (2 * len(head)))
        for idx in self.profiles():
            cells = list(self.profile_names(idx)) + [f"`{t[idx]}`" for t in self.payoff_tensors]
            lines.append("| " + " | ".join(cells) + " |")
        return f"**{self.name or 'Game'}**\n\n" + "\n".join(lines)

    # -- model files -----------------------------------------------------------------

    def to_toml(self) -> str:
        """The game as a model file (see design.md); ``load`` reads it back."""
        q = _toml_string
        out = []
        if self.name:
            out.append(f"name = {q(self.name)}\n")
        out.append("[populations]")
        out += [f"{_toml_key(p.name)} = [{', '.join(q(s) for s in p.strategies)}]" for p in self.populations]
        out.append("\n[parameters]")
        out += [f"{_toml_key(n)} = {_toml_number(v)}" for n, v in self.parameters.items() if v is not None]
        if self.bounds:
            out.append("\n[bounds]")
            out += [
                f"{_toml_key(n)} = [{_toml_number(lo) if lo is not None else q('-inf')}, "
                f"{_toml_number(hi) if hi is not None else q('inf')}]"
                for n, (lo, hi) in self.bounds.items()
            ]
        out.append("\n[payoffs]")
        for idx in self.profiles():
            names = self.profile_names(idx)
            cells = self.sources.get(names) or tuple(sympy.sstr(t[idx]) for t in self.payoff_tensors)
            out.append(f"{q(', '.join(names))} = [{', '.join(q(c) for c in cells)}]")
        if self.states:
            out.append("\n[states]")
            out += [f"{_toml_key(n)} = {q(', '.join(p))}" for n, p in self.states.items()]
        for sname, values in self.scenarios.items():
            out.append(f"\n[scenarios.{_toml_key(sname)}]")
            out += [f"{_toml_key(n)} = {_toml_number(v)}" for n, v in values.items()]
        for sname, phases in self.schedules.items():
            out.append(f"\n[schedules.{_toml_key(sname)}]")
            for phase, start, scenario, overrides in phases:
                items = [f"start = {_toml_number(start)}"]
                if scenario:
                    items.append(f"scenario = {q(scenario)}")
                items += [f"{_toml_key(k)} = {_toml_number(v)}" for k, v in overrides.items()]
                out.append(f"{_toml_key(phase)} = {{ {', '.join(items)} }}")
        return "\n".join(out) + "\n"

    def save(self, path) -> None:
        Path(path).write_text(self.to_toml(), encoding="utf-8")


def _toml_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_key(s: str) -> str:
    return s if NAME_PATTERN.match(s) and s.isascii() else _toml_string(s)


def _toml_number(v) -> str:
    return repr(v) if isinstance(v, float) else str(v)


def _bound(pname, value):
    if isinstance(value, str) and value.strip() in ("-inf", "inf", "+inf"):
        return None
    return value


def from_toml(text: str, source: str = "<string>") -> Game:
    """A game from the text of a model file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ModelError(f"{source}: invalid TOML: {err}") from None
    known = {
        "name",
        "populations",
        "parameters",
        "payoffs",
        "scenarios",
        "states",
        "bounds",
        "schedules",
        "description",
    }
    unknown = sorted(set(data) - known)
    if unknown:
        raise ModelError(f"{source}: unknown section {unknown[0]!r} (known: {', '.join(sorted(known))})")
    for section in ("populations", "payoffs"):
        if section not in data:
            raise ModelError(f"{source}: the model has no [{section}] section")
    bounds = {}
    for pname, pair in data.get("bounds", {}).items():
        if not isinstance(pair, list) or len(pair) != 2:
            raise ModelError(f"{source}: bounds of {pname!r} must be [low, high]")
        bounds[pname] = tuple(_bound(pname, v) for v in pair)
    try:
        return Game(
            data["populations"],
            data["payoffs"],
            data.get("parameters", {}),
            name=data.get("name", Path(source).stem),
            scenarios=data.get("scenarios", {}),
            states=data.get("states", {}),
            bounds=bounds,
            schedules=data.get("schedules", {}),
        )
    except ValueError as err:
        raise type(err)(f"{source}: {err}") from None


def load(path) -> Game:
    """Load a game from a TOML model file, or a shipped model by name (``"platform-insurance"``)."""
    from . import models

    if isinstance(path, str) and not path.endswith(".toml") and path.replace("_", "-") in models.available():
        return models.load_shipped(path)
    p = Path(path)
    if not p.is_file():
        shipped = ", ".join(models.available())
        raise ModelError(f"no model file {str(path)!r} (shipped models: {shipped})")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ModelError(f"cannot read model file {str(path)!r}: {err}") from None
    return from_toml(text, str(path))
