"""Schedules: parameter values that change at given times, in named phases.

A schedule is a sequence of phases ``(name_i, t_i, scenario_i, v_i)`` with
start times ``0 <= t_1 < t_2 < ...`` (finite).  From ``t_i`` until
``t_{i+1}`` the game is played with the parameter values ``v_i`` over the
game's own values.  Phases are cumulative, as a policy is: ``v_i`` is the
previous phase's values ``v_{i-1}``, then the values of scenario
``scenario_i`` (if the phase names one), then the values the phase sets
itself, each later one winning.  Before ``t_1`` the game's own values hold.

One parser, :meth:`Schedule.parse`, reads both written forms:

* the model-file form, phases by name::

      [schedules.phased]
      lag = { start = 0, scenario = "trap" }
      emergence = { start = 20, delta = 0.6, K = 6 }

  i.e. ``{"lag": {"start": 0, "scenario": "trap"}, "emergence": {...}}``;

* the Python form, phases in order (named ``phase 1``, ``phase 2``, ...)::

      [(0, "trap"), (20, {"delta": 0.6, "K": 6})]

Scenario names are looked up with ``-`` and ``_`` alike.

>>> import gamekit as gk
>>> game = gk.models.platform_insurance()
>>> plan = Schedule.parse([(0, "trap"), (20, {"delta": 0.6})], parameters=game.parameters, scenarios=game.scenarios)
>>> [(p.name, p.start, p.scenario) for p in plan.phases]
[('phase 1', 0.0, 'trap'), ('phase 2', 20.0, None)]
>>> plan.as_pairs()[1][1]["delta"], plan.as_pairs()[1][1]["F"]   # delta set here, F carried over from "trap"
(0.6, 10)
>>> game.schedule("phased").phases[2].scenario
'meta-goal'
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ._frozen import FrozenMap, NameMap, check_name, normalized
from .errors import ModelError, ParameterError
from .expr import number

__all__ = ["Phase", "Schedule"]


@dataclass(frozen=True)
class Phase:
    """One phase of a schedule: from ``start`` on, the parameters take ``values``.

    ``values`` is complete for the phase: the previous phase's values, then the
    named scenario's, then the ones the phase sets itself.
    """

    name: str
    start: float
    scenario: str | None
    values: Mapping[str, float]

    def __post_init__(self):
        if not isinstance(self.name, str):
            raise ModelError(f"a phase's name must be a string, got {type(self.name).__name__}")
        here = f"phase {self.name!r}"
        start = float(number(f"{here}: start", self.start))
        if start < 0:
            raise ModelError(f"{here} starts at {start:g}; start times must be >= 0")
        if self.scenario is not None and not isinstance(self.scenario, str):
            raise ModelError(f"{here}: scenario must be a name or None, got {type(self.scenario).__name__}")
        if not isinstance(self.values, Mapping) or not all(isinstance(k, str) for k in self.values):
            raise ModelError(f"{here}: values must map parameter names to numbers")
        values = FrozenMap({k: number(f"{here}: {k}", v) for k, v in self.values.items()})
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "values", values)


@dataclass(frozen=True)
class Schedule:
    """Phases in order of their start times (strictly increasing, finite, >= 0)."""

    phases: tuple[Phase, ...]

    def __post_init__(self):
        phases = self.phases
        if isinstance(phases, (str, bytes, Mapping)) or not isinstance(phases, Sequence):
            raise ModelError(f"a schedule's phases must be a sequence of Phase, got {type(phases).__name__}")
        bad = [p for p in phases if not isinstance(p, Phase)]
        if bad:
            raise ModelError(f"a schedule's phases must be Phase objects, got {type(bad[0]).__name__}")
        if not phases:
            raise ModelError("a schedule needs at least one phase")
        for a, b in zip(phases, phases[1:]):
            if b.start <= a.start:
                raise ModelError(f"phase {b.name!r} starts at {b.start:g}, not after phase {a.name!r} ({a.start:g})")
        object.__setattr__(self, "phases", tuple(phases))

    @classmethod
    def parse(
        cls,
        spec: Schedule | Mapping | Sequence,
        *,
        parameters: Mapping[str, float | None],
        scenarios: Mapping[str, Mapping[str, float]],
        name: str = "schedule",
    ) -> Schedule:
        """Read a schedule in the model-file or the Python form (module docstring).

        ``parameters`` are the game's parameters (only their names are used),
        ``scenarios`` its named scenarios.  A bad structure or time order
        raises :class:`ModelError`; an unknown parameter or scenario, or a value
        that is not a finite number, :class:`ParameterError`; both name the
        schedule and the phase.
        """
        where = f"schedule {name!r}"
        if isinstance(spec, Schedule) and _still_valid(spec, parameters, scenarios):
            return spec
        if isinstance(spec, Schedule):
            rows = [(p.name, p.start, p.scenario, p.values) for p in spec.phases]
        elif isinstance(spec, Mapping):
            rows = _model_file_rows(spec, where)
        elif isinstance(spec, Sequence) and not isinstance(spec, (str, bytes)):
            rows = _python_rows(spec, where)
        else:
            raise ModelError(
                f"{where} must map phase names to {{start = t, ...}} or be a list of (time, values) pairs, "
                f"got {type(spec).__name__}"
            )
        if not rows:
            raise ModelError(f"{where} has no phases")
        phases = []
        last = -math.inf
        carried: dict[str, float] = {}  # phases are cumulative: each starts from the previous one's values
        for phase, start, scenario, explicit in rows:
            check_name("phase", phase, ModelError)
            here = f"{where}, phase {phase!r}"
            start = float(number(f"{here}: start", start))
            if start < 0:
                raise ModelError(f"{here} starts at {start:g}; start times must be >= 0")
            if start <= last:
                raise ModelError(
                    f"{here} starts at {start:g}, not after the previous phase (times must increase: "
                    f"{start:g} follows {last:g})"
                )
            last = start
            values: dict[str, float] = dict(carried)
            if scenario is not None:
                stored = _lookup(scenarios, scenario)
                if stored is None:
                    known = ", ".join(scenarios) or "none"
                    raise ParameterError(
                        f"{here} names scenario {scenario!r}, which the game does not have (scenarios: {known})"
                    )
                scenario = stored
                values.update(scenarios[stored])
            if not isinstance(explicit, Mapping):
                raise ModelError(f"{here}: values must map parameter names to numbers")
            for key, value in explicit.items():
                if key not in parameters:
                    raise ParameterError(f"{here} sets {key!r}, which is not a parameter of this game")
                values[key] = number(f"{here}: {key}", value)
            carried = values
            phases.append(Phase(phase, start, scenario, FrozenMap(values)))
        return cls(tuple(phases))

    def as_pairs(self) -> list[tuple[float, dict[str, float]]]:
        """``[(start, {parameter: value}), ...]``: each phase's start time and complete values."""
        return [(p.start, dict(p.values)) for p in self.phases]

    def phase_at(self, t: float) -> Phase | None:
        """The phase in force at time ``t`` (``None`` before the first)."""
        current = None
        for p in self.phases:
            if p.start <= t:
                current = p
        return current


def _still_valid(schedule: Schedule, parameters: Mapping, scenarios: Mapping) -> bool:
    """Whether a parsed schedule fits a game as it is (the same parameters and scenarios)."""
    return all(
        all(k in parameters for k in p.values)
        and (p.scenario is None or (p.scenario in scenarios and _lookup(scenarios, p.scenario) == p.scenario))
        for p in schedule.phases
    )


def _lookup(scenarios: Mapping, name: object) -> str | None:
    if not isinstance(name, str):
        return None
    if isinstance(scenarios, NameMap):
        return scenarios.key(name)
    if name in scenarios:
        return name
    return next((k for k in scenarios if normalized(k) == normalized(name)), None)


def _model_file_rows(spec: Mapping, where: str) -> list:
    rows = []
    for phase, body in spec.items():
        if not isinstance(body, Mapping) or "start" not in body:
            raise ModelError(f"{where}, phase {phase!r}: needs a table {{start = t, ...}} with a start time")
        scenario = body.get("scenario")
        if scenario is not None and not isinstance(scenario, str):
            raise ModelError(f"{where}, phase {phase!r}: scenario must be a name, got {scenario!r}")
        explicit = {k: v for k, v in body.items() if k not in ("start", "scenario")}
        rows.append((phase, body["start"], scenario, explicit))
    return rows


def _python_rows(spec: Sequence, where: str) -> list:
    rows = []
    for i, entry in enumerate(spec):
        try:
            start, values = entry
        except (TypeError, ValueError):
            raise ModelError(f"{where}: entry {i + 1} is not a (time, values) pair") from None
        if isinstance(values, str):
            rows.append((f"phase {i + 1}", start, values, {}))
        elif isinstance(values, Mapping):
            rows.append((f"phase {i + 1}", start, None, values))
        else:
            raise ModelError(
                f"{where}: entry {i + 1} gives {type(values).__name__}; expected a scenario name or {{parameter: value}}"
            )
    return rows
