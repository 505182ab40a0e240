"""The ``gamekit`` command: analyse model files from a terminal.

    gamekit analyze MODEL [--scenario NAME] [--set P=V ...] [--tol TOL] [--numeric] [--time-budget S] [--dynamics SPEC] [--json]
    gamekit simulate MODEL [--scenario NAME] [--set P=V ...] [--orbits N] [--t-end T] [--seed S] [--dynamics SPEC]
                     [--json]
                     [--noise POP.STRATEGY=SIGMA ...] [--noise-form F] [--noise-scheme S] [--dt DT] [--radius R]
    gamekit fixation MODEL [--scenario NAME] [--set P=V ...] --size N --selection W [--process moran|fermi]
                     [--mutant S --resident S [--initial K] [--exact] [--simulate RUNS] [--seed S]] [--json]
    gamekit thresholds MODEL [--scenario NAME] [--set P=V ...] --target "regulate, insure, claim"
                       [--time-budget S] [--json]
    gamekit check MODEL --state "regulate, evade, accept" --when "delta*F > Cg" [--when ...] [--unique]
                  [--bound P=LOW,HIGH ...] [--json]
    gamekit check MODEL --no-stable-state --when ... [--bound P=LOW,HIGH ...] [--json]
    gamekit sensitivity MODEL [--scenario NAME] [--set P=V ...] --parameter P --values V [V ...]
                        [--initial X [X ...]] [--t-end T] [--times N] [--figure FILE] [--json]
    gamekit continue MODEL [--scenario NAME] [--set P=V ...] --parameter P --from LO --to HI
                     [--share POPULATION.STRATEGY] [--figure FILE] [--json]

``check`` exits 0 when the claim holds (proved, held in a search, or vacuously: contradictory conditions),
1 when it is refuted (a verified counterexample), 2 on bad input.

MODEL is a TOML model file or a shipped model's name (``platform-insurance``).
Bad input prints one line ``gamekit: error: ...`` and exits with status 2; an
interrupted run exits with status 130.  Whatever a model file or an option
holds, the output never carries a raw control character (names are escaped).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

from . import _validate as check
from ._validate import printable
from .basins import MAX_ORBITS  # most orbits gamekit simulate integrates in one run, as gk.basins
from .errors import AnalysisError, ArgumentError, GamekitError, ParameterError

__all__ = ["main", "build_parser"]


MAX_TOL = 1e-3
"""Largest ``--tol``: beyond it a clearly non-zero eigenvalue would count as zero (and a mixed
point could take a pure profile's name)."""

MAX_T_END = 1e6
"""Largest ``--t-end``: far beyond it every cycling orbit runs out of integration steps anyway."""

MAX_TIMES = 100_000
"""Most output times ``gamekit sensitivity --times`` keeps."""

MAX_TIME_BUDGET = 86_400.0
"""Largest ``--time-budget`` in seconds (a day)."""

_MESSAGE_LIMIT = 2000
"""Longest error line printed (a longer message is shortened)."""


def _parse_set(items) -> dict[str, float]:
    out = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ParameterError(f"--set {printable(repr(item))}: expected NAME=VALUE")
        try:
            number = float(value)
        except ValueError:
            raise ParameterError(f"--set {printable(repr(item))}: {printable(repr(value))} is not a number") from None
        if not math.isfinite(number):
            raise ParameterError(f"--set {printable(repr(item))}: {printable(repr(value))} is not a finite number")
        out[name.strip()] = number
    return out


def _game(args):
    from .modelfile import load

    game = load(args.model)
    if args.scenario:
        game = game.scenario(args.scenario)
    overrides = _parse_set(args.set)
    if overrides:
        game = game.with_parameters(overrides)
    return game


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def _equilibria_options(args) -> dict:
    """Keyword arguments of :func:`gamekit.equilibria` for the options given."""
    # on a terminal, equilibria shows progress when the analysis is long (progress=None); never with --json
    out = {"progress": None if not args.json and sys.stderr.isatty() else False}
    if args.tol is not None:
        out["zero_tol"] = args.tol
    if args.numeric:
        out["exact"] = False
    if args.time_budget is not None:
        out["time_budget"] = args.time_budget
    return out


def _analyze(args) -> int:
    from .dynamics import replicator
    from .equilibria import equilibria
    from .protocols import parse_dynamics

    dyn = parse_dynamics(args.dynamics)  # a bad spec: one line, before any work
    game = _game(args)
    eqs = equilibria(game, **_equilibria_options(args), dynamics=dyn)
    params = {k: float(v) for k, v in game.parameters.items()}
    if args.json:
        out = {"model": game.name, "parameters": params, "equilibria": [e.to_json() for e in eqs]}
        if eqs.continua:
            out["continua"] = [c.to_json() for c in eqs.continua]
        if args.dynamics is not None:  # named only when asked for: the replicator's JSON stays as it was
            out["dynamics"] = str(dyn)
            out["complete"] = eqs.complete
            out["notes"] = list(eqs.notes)
            for row, e in zip(out["equilibria"], eqs):
                row["note"] = e.note
        print(json.dumps(out))
        return 0
    print(f"{game.name}" + (f" -- scenario {args.scenario}" if args.scenario else ""))
    print("parameters: " + ", ".join(f"{k}={v:g}" for k, v in params.items()))
    print()
    if dyn.kind == "replicator":
        print(replicator(game))
    else:
        print(f"dynamics: {dyn}")
    print()
    coords = ", ".join(p.name for p in game.populations)
    rows = [
        [
            e.describe_state(),
            ", ".join(e.profile) if e.profile else "(mixed)",
            e.name or "",
            e.describe_eigenvalues(),
            str(e.stability) + ("" if e.exact else " (numeric)"),
        ]
        for e in eqs
    ]
    print(_table(rows, [f"state ({coords})", "profile", "name", "eigenvalues", "stability"]))
    for c in eqs.continua:
        print(f"\n{c}")
    stable = eqs.stable()
    print()
    if not stable and not eqs.complete:
        print("No asymptotically stable rest point found, but the search was incomplete (see below).")
    elif not stable:
        print("No asymptotically stable rest point: orbits cycle or wander (simulate to see where they go).")
    else:
        what = "; ".join(
            (f"{e.name} " if e.name else "") + (f"({', '.join(e.profile)})" if e.profile else e.describe_state())
            for e in stable
        )
        undecided = any(e.stability == "not linearised" for e in eqs)
        unique = len(stable) == 1 and eqs.complete and not undecided
        head = (
            "The unique asymptotically stable state"
            if unique
            else f"{len(stable)} asymptotically stable state{'s' if len(stable) > 1 else ''}"
            + ("" if eqs.complete else " found")
        )
        print(f"{head}: {what}")
    if any(e.stability == "non-hyperbolic" for e in eqs):
        print("Non-hyperbolic rest points: linearisation cannot decide their stability (centres, zero eigenvalues).")
    if any(e.stability == "not linearised" for e in eqs):
        if dyn.kind in ("smith", "bnn"):
            for e in eqs:
                if e.stability == "not linearised":
                    print(f"{e.describe_state()}: not linearised: {e.note}")
        else:
            print(
                "Rest points not linearised: a payoff is not differentiable there (a step, abs, min or max that "
                "switches, or an infinite derivative); simulate to see whether they attract."
            )
    if dyn.kind != "replicator":
        for note in eqs.notes:
            print(f"({note})")
    elif not eqs.complete:
        print("Some faces were solved numerically; a rest point there may be missing.")
    return 0


def _parse_noise(items) -> dict[str, float]:
    """``--noise POPULATION.STRATEGY=SIGMA`` options as ``{"population.strategy": sigma}`` (sigma checked later)."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or "." not in key or not key.strip():
            raise ArgumentError(f"--noise {printable(repr(item))}: expected POPULATION.STRATEGY=SIGMA")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            raise ArgumentError(f"--noise {printable(repr(item))}: {printable(repr(value))} is not a number") from None
    return out


NOISY_PATHS = 1000
"""Default ``--orbits`` of ``gamekit simulate --noise`` (noisy paths take a step per ``--dt``)."""

NOISY_T_END = 50.0
"""Default ``--t-end`` of ``gamekit simulate --noise``."""


def _simulate_noisy(args, game) -> int:
    from .space import StateSpace
    from .stochastic import DEFAULT_DT, DEFAULT_RADIUS, Noise, simulate_noisy

    noise = Noise(
        _parse_noise(args.noise),
        form=args.noise_form or "fudenberg-harris",
        scheme=args.noise_scheme or "euler",
        dt=DEFAULT_DT if args.dt is None else args.dt,
    )
    n = NOISY_PATHS if args.orbits is None else args.orbits
    t_end = NOISY_T_END if args.t_end is None else args.t_end
    space = StateSpace(game.shape, tuple(p.name for p in game.populations))
    initial = space.sample(n, args.seed)
    paths = simulate_noisy(
        game,
        initial,
        t_end,
        noise=noise,
        rng=args.seed,
        radius=DEFAULT_RADIUS if args.radius is None else args.radius,
        progress=not args.json and n > 50_000,
    )
    if args.json:
        params = {k: float(v) for k, v in game.parameters.items()}
        print(json.dumps({"model": game.name, "parameters": params} | paths.to_json()))
        return 0
    print(f"{game.name}" + (f" -- scenario {args.scenario}" if args.scenario else ""))
    print(f"{n} noisy paths from uniform random starts (seed {args.seed}), to t = {t_end:g}")
    print(noise.describe() + (f" (steps of {paths.dt:g})" if paths.dt != noise.dt else ""))
    print(f"\nwhere the paths are at t = {t_end:g} (within {paths.radius:g} of a pure profile, largest share gap):")
    rows = [
        [r.outcome, f"{r.share:.1%}", f"[{r.ci_low:.1%}, {r.ci_high:.1%}]", str(int(r.paths))]
        for r in paths.to_frame().itertuples()
    ]
    print(_table(rows, ["outcome", "share", "95% interval", "paths"]))
    print(f"\nreached by t = {t_end:g} (within {paths.radius:g} at some step):")
    rows = [
        [r.target, f"{r.probability:.1%}", f"[{r.ci_low:.1%}, {r.ci_high:.1%}]", str(int(r.paths))]
        for r in paths.reached().itertuples()
    ]
    print(_table(rows, ["target", "probability", "95% interval", "paths"]))
    if noise.form != "fudenberg-harris":
        absorbed = ", ".join(f"{k}: {v}" for k, v in paths.absorptions.items())
        print(f"\nabsorbed at a boundary share 0 or 1 (paths per population): {absorbed}")
    return 0


def _simulate(args) -> int:
    from .basins import basins

    dyn = _simulate_dynamics(args)
    if not args.noise and dyn.kind == "replicator":
        _compile_driver_early()
    elif not args.noise:
        _compile_driver_early(flow=True)
    game = _game(args)
    if args.noise:
        return _simulate_noisy(args, game)
    for option in ("noise_form", "noise_scheme", "dt", "radius"):
        if getattr(args, option) is not None:
            raise ArgumentError(f"--{option.replace('_', '-')} is an option of noisy paths: give --noise too")
    args.orbits = 10_000 if args.orbits is None else args.orbits
    args.t_end = 300.0 if args.t_end is None else args.t_end
    try:
        result = basins(
            game,
            args.orbits,
            rng=args.seed,
            t_end=args.t_end,
            progress=not args.json and args.orbits > 50_000,
            dynamics=dyn,
        )
    except AnalysisError as err:
        if "max_steps" not in str(err):
            raise
        message = str(err).split("; shorten t_end")[0]
        raise AnalysisError(f"{message}; try a smaller --t-end") from None
    frame = result.to_frame()
    params = {k: float(v) for k, v in game.parameters.items()}
    if args.json:
        out = {
            "model": game.name,
            "parameters": params,
            "orbits": args.orbits,
            "t_end": args.t_end,
            "seed": args.seed,
            "dynamics": str(dyn),
            "basins": result.to_json(),  # each entry: outcome, share, ci_low, ci_high, orbits, state
        }
        print(json.dumps(out))
        return 0
    print(f"{game.name}" + (f" -- scenario {args.scenario}" if args.scenario else ""))
    print(f"{args.orbits} orbits from uniform random starts (seed {args.seed}), integrated to t = {args.t_end:g}")
    print(f"dynamics: {dyn}")
    print()
    rows = [
        [r.outcome, f"{r.share:.1%}", f"[{r.ci_low:.1%}, {r.ci_high:.1%}]", str(int(r.orbits))]
        for r in frame.itertuples()
    ]
    print(_table(rows, ["outcome", "share", "95% interval", "orbits"]))
    if "unresolved" in set(frame.outcome):
        print(
            "\nunresolved: near a saddle or non-hyperbolic rest point, or still moving at t_end; try a larger --t-end."
        )
    return 0


_EXACT_SHOWN = 200
"""Longest exact fixation probability printed in full by ``gamekit fixation --exact`` (JSON always has it all)."""


def _fixation(args) -> int:
    """``gamekit fixation``: one mutant's fixation probability, or the small-mutation stationary distribution."""
    from fractions import Fraction

    import sympy

    from .finite import fixation_probability, fixation_time, simulate_fixation, stationary_distribution

    game = _game(args)
    params = {k: float(v) for k, v in game.parameters.items()}
    head = {"model": game.name, "parameters": params, "size": args.size, "selection": args.selection}
    head["process"] = args.process
    title = f"{game.name}" + (f" -- scenario {args.scenario}" if args.scenario else "")
    setting = f"{args.process} process, population {args.size}, selection {args.selection:g}"
    if args.mutant is None and args.resident is None:
        if args.simulate is not None or args.initial != 1:
            raise ParameterError("--simulate and --initial need --mutant and --resident")
        sd = stationary_distribution(game, args.size, args.selection, args.process, exact=args.exact)
        if args.json:
            print(json.dumps(head | sd.to_dict()))
            return 0
        print(f"{title}\n{setting}\n\nstationary distribution when mutations are rare:")
        names = sd.strategies
        rows = [
            [s, f"{float(p):.4%}"] + ["" if i == j else f"{sd.fixation[i, j]:.6g}" for j in range(len(names))]
            for i, (s, p) in enumerate(zip(names, sd.distribution))
        ]
        print(_table(rows, ["resident", "share of time"] + [f"rho {m}" for m in names]))
        print(f"\nrho m: fixation probability of one mutant m among the residents (neutral: 1/N = {1 / args.size:.6g})")
        return 0
    strategies = game.populations[0].strategies
    mutant, resident = args.mutant, args.resident
    if (mutant is None or resident is None) and len(strategies) == 2:
        known = mutant if mutant is not None else resident
        other = [s for s in strategies if s != known]
        mutant, resident = (known, other[0]) if args.mutant is not None else (other[0], known)
    if mutant is None or resident is None:
        raise ParameterError("give both --mutant and --resident (the game has more than two strategies)")
    rho = fixation_probability(game, mutant, resident, args.size, args.selection, args.process, initial=args.initial)
    out = head | {"mutant": mutant, "resident": resident, "initial": args.initial, "fixation_probability": rho}
    out["neutral"] = args.initial / args.size
    steps = fixation_time(game, mutant, resident, args.size, args.selection, args.process, initial=args.initial)
    out["fixation_time_steps"] = steps if math.isfinite(steps) else None
    exact_text = None
    if args.exact:
        value = fixation_probability(
            game, mutant, resident, args.size, args.selection, args.process, initial=args.initial, exact=True
        )
        if isinstance(value, Fraction):
            exact_text = f"{value.numerator}/{value.denominator}" if value.denominator != 1 else str(value.numerator)
        else:
            exact_text = str(sympy.N(value, 30))
        out["exact"] = exact_text
    sim = None
    if args.simulate is not None:
        sim = simulate_fixation(
            game,
            mutant,
            resident,
            args.size,
            args.selection,
            args.process,
            runs=args.simulate,
            initial=args.initial,
            rng=args.seed,
            progress=False if args.json else None,
        )
        out["simulation"] = {
            k: v
            for k, v in sim.to_dict().items()
            if k in ("runs", "fixed", "lost", "unresolved", "share", "ci_low", "ci_high", "mean_steps", "agrees")
        } | {"seed": args.seed}
    if args.json:
        print(json.dumps(out))
        return 0
    start = f"{args.initial} {mutant} among {args.size - args.initial} {resident}"
    print(f"{title}\n{setting}\n")
    print(
        f"fixation probability of {start}: {rho:.6g}  (neutral {args.initial}/{args.size} = {out['neutral']:.6g}; "
        f"ratio {rho / out['neutral']:.4g})"
    )
    if exact_text is not None:
        shown = exact_text if len(exact_text) <= _EXACT_SHOWN else f"{exact_text[:_EXACT_SHOWN]}... (see --json)"
        print(f"exact: {shown}" + ("" if args.process == "moran" else " (30 digits)"))
    if math.isfinite(steps):
        print(f"mean time to fixation, when it happens: {steps:.6g} steps = {steps / args.size:.6g} generations")
    else:
        print("mean time to fixation, when it happens: beyond floating point")
    if sim is not None:
        print(
            f"simulated: {sim.fixed} of {sim.runs} runs fixed (seed {args.seed}): {sim.share:.4%} "
            f"[{sim.ci_low:.4%}, {sim.ci_high:.4%}]" + (f"; {sim.unresolved} unresolved" if sim.unresolved else "")
        )
        if sim.fixed:
            print(f"simulated mean time to fixation: {sim.mean_steps:.6g} steps")
    return 0


DYNAMICS_SPECS = "replicator, logit:ETA, smith, bnn, replicator-mutator:MU"


def _compile_driver_early(flow: bool = False) -> None:
    """On a machine where the compiled kernel's driver is not compiled yet, start its compilation in a child process
    now, beside the model's loading (``gk.simulate`` would start it later, when it picks the backend); a check of
    one marker file when it is compiled.  ``flow``: the driver of the other dynamics (``--dynamics``)."""
    import importlib.util

    if importlib.util.find_spec("numba") is not None:
        from ._kernels import cache

        if flow:
            cache.compile_flow_in_background()
        else:
            cache.compile_driver_in_background()


def _simulate_dynamics(args):
    """The dynamics of ``gamekit simulate --dynamics SPEC`` (one-line error for a bad spec, or with --noise)."""
    from .protocols import parse_dynamics

    dyn = parse_dynamics(args.dynamics)
    if getattr(args, "noise", None) and dyn.kind != "replicator":
        raise ArgumentError(
            f"--noise is the stochastic replicator dynamics; it cannot be combined with --dynamics {dyn}"
        )
    return dyn


def _thresholds(args) -> int:
    from .policy import thresholds

    game = _game(args)
    budget = {} if args.time_budget is None else {"time_budget": args.time_budget}
    result = thresholds(game, dict(game.parameters), args.target, **budget)
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        print(result)
    return 0


def _parse_bounds(items) -> dict[str, tuple[float | None, float | None]]:
    out = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        low, comma, high = value.partition(",")
        if not sep or not comma or not name.strip():
            raise ParameterError(f"--bound {printable(repr(item))}: expected NAME=LOW,HIGH (an empty side is open)")
        ends = []
        for end in (low.strip(), high.strip()):
            if not end:
                ends.append(None)
                continue
            try:
                number = float(end)
            except ValueError:
                raise ParameterError(
                    f"--bound {printable(repr(item))}: {printable(repr(end))} is not a number"
                ) from None
            if not math.isfinite(number):
                raise ParameterError(f"--bound {printable(repr(item))}: {printable(repr(end))} is not finite")
            ends.append(number)
        out[name.strip()] = tuple(ends)
    return out


def _check(args) -> int:
    from .check import check
    from .expr import NAME_PATTERN

    game = _game(args)
    state = args.state
    if state is not None:
        parts = [part.strip() for part in state.split(",")]
        strategies = {name for pop in game.populations for name in pop.strategies}
        named = state in game.states or all(part in strategies for part in parts)
        if not named and not all(NAME_PATTERN.match(part) for part in parts):  # shares: "1, 3/5, 1", "V/C"
            state = parts
    result = check(game, state, args.when or [], unique=args.unique, bounds=_parse_bounds(args.bound) or None)
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        print(result)
    return 0 if result.holds else 1


def _check_figure(path: str) -> None:
    """A figure file can be written: its folder exists and is writable, and its suffix is a format matplotlib writes."""
    import pathlib

    target = pathlib.Path(path)
    folder = target.parent if str(target.parent) else pathlib.Path(".")
    what = f"--figure {printable(repr(path))}: cannot write it"
    if not folder.is_dir():
        raise ArgumentError(f"{what} (no folder {printable(str(folder))})")
    if not os.access(folder, os.W_OK):
        raise ArgumentError(f"{what} (the folder {printable(str(folder))} is not writable)")
    formats = ("png", "pdf", "svg", "eps", "ps", "jpg", "jpeg", "tif", "tiff", "webp", "pgf")
    if target.suffix.lower().lstrip(".") not in formats:
        raise ArgumentError(f"{what} (the name must end in one of .{', .'.join(formats)})")


def _save_figure(draw, path: str) -> None:
    """Draw (``draw()`` returns the figure) and save to ``path``, on the Agg backend: a file, never a window."""
    import matplotlib

    matplotlib.use("Agg")
    figure = draw()  # (its own errors are its own: a share that is not one, ...)
    try:
        figure.savefig(path, bbox_inches="tight")
    except (OSError, ValueError) as err:
        raise ArgumentError(f"--figure {printable(repr(path))}: cannot write it ({err})") from None


def _sensitivity(args) -> int:
    from .sensitivity import sensitivity

    game = _game(args)
    if args.figure:
        _check_figure(args.figure)  # before the work, not after it
    times = check.integer("--times", args.times, minimum=2, maximum=MAX_TIMES)
    initial = args.initial if args.initial is None or len(args.initial) > 1 else args.initial[0]
    result = sensitivity(
        game,
        args.parameter,
        args.values,
        initial=initial,
        t_end=args.t_end,
        t_eval=[args.t_end * i / (times - 1) for i in range(times)],
        progress=False,
    )
    if args.figure:
        _save_figure(result.plot, args.figure)
    if args.json:
        print(json.dumps(result.to_json()))
        return 0
    print(f"{game.name}" + (f" -- scenario {args.scenario}" if args.scenario else ""))
    print(f"{args.parameter} in {{{', '.join(f'{v:g}' for v in result.values)}}}, integrated to t = {args.t_end:g}")
    print()
    names = [f"{p}: {s}" for p, s in result.coordinates]
    several = result.starts > 1
    rows = [
        [f"{v:g}"] + ([str(k)] if several else []) + [f"{x:.6g}" for x in result.final[j, k]] + [result.outcomes[j][k]]
        for j, v in enumerate(result.values)
        for k in range(result.starts)
    ]
    print(_table(rows, [args.parameter] + (["start"] if several else []) + names + ["outcome"]))
    if args.figure:
        print(f"\nfigure written to {args.figure}")
    return 0


def _continue(args) -> int:
    from .continuation import continuation

    game = _game(args)
    if args.share and not args.figure:
        raise ArgumentError("--share is an option of the diagram: give --figure FILE too")
    if args.figure:
        _check_figure(args.figure)  # before the work, not after it
    progress = None if not args.json and sys.stderr.isatty() else False
    result = continuation(game, args.parameter, (args.lo, args.hi), progress=progress)
    if args.figure:
        _save_figure(lambda: result.plot(share=args.share), args.figure)
    print(json.dumps(result.to_json()) if args.json else result)
    if args.figure and not args.json:
        print(f"\nfigure written to {args.figure}")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line ``gamekit: error: ...`` (status 2) like every other error."""

    def error(self, message: str):
        hint = f" (see '{self.prog} --help')"
        self.exit(2, f"gamekit: error: {printable(message, 300)}{hint}\n")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(prog="gamekit", description="Evolutionary game theory for economists.")
    parser.add_argument("--version", action="version", version=f"gamekit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def common(p):
        p.add_argument("model", help="a TOML model file, or a shipped model (platform-insurance, ...)")
        p.add_argument("--scenario", help="a named scenario of the model")
        p.add_argument("--set", action="append", metavar="P=V", help="set a parameter (repeatable)")
        p.add_argument("--json", action="store_true", help="print one JSON object")

    a = sub.add_parser("analyze", help="every rest point, its eigenvalues and stability")
    common(a)
    a.add_argument(
        "--tol",
        "--zero-tol",
        dest="tol",
        type=float,
        default=None,
        help=f"relative: a real part within TOL times the payoff scale counts as zero (0 < TOL <= {MAX_TOL:g})",
    )
    a.add_argument(
        "--time-budget", type=float, default=None, metavar="SECONDS", help="time for exact solving (default 10)"
    )
    a.add_argument(
        "--numeric", action="store_true", help="numeric rest points only (no exact solving): fast on large games"
    )
    a.add_argument("--dynamics", metavar="SPEC", help=f"the revision protocol: {DYNAMICS_SPECS} (default replicator)")
    a.set_defaults(func=_analyze)

    s = sub.add_parser("simulate", help="basins of attraction: where orbits from random starts end up")
    common(s)
    s.add_argument(
        "--orbits", type=int, default=None, help=f"number of orbits (default 10000; {NOISY_PATHS} with --noise)"
    )
    s.add_argument(
        "--t-end", type=float, default=None, help=f"integration time (default 300; {NOISY_T_END:g} with --noise)"
    )
    s.add_argument("--seed", type=int, default=0, help="seed of the random starting states (an integer >= 0)")
    s.add_argument(
        "--noise",
        action="append",
        metavar="POP.STRATEGY=SIGMA",
        help="stochastic replicator dynamics: noise on a strategy (repeatable; --seed seeds the noise too)",
    )
    s.add_argument(
        "--noise-form",
        help="fudenberg-harris (default), additive or multiplicative (two-strategy populations, absorbing)",
    )
    s.add_argument("--noise-scheme", help="euler (default) or milstein")
    s.add_argument("--dt", type=float, help="time step of the noisy paths (default 0.01)")
    s.add_argument("--radius", type=float, help="a path is at a pure profile within this largest share gap (0.05)")
    s.set_defaults(func=_simulate)
    s.add_argument("--dynamics", metavar="SPEC", help=f"the revision protocol: {DYNAMICS_SPECS} (default replicator)")

    f = sub.add_parser("fixation", help="finite populations: fixation probabilities, rare-mutation stationary state")
    common(f)
    f.add_argument("--size", type=int, required=True, help="population size N (>= 2)")
    f.add_argument("--selection", type=float, required=True, help="intensity of selection w (>= 0)")
    f.add_argument("--process", choices=("moran", "fermi"), default="moran", help="update rule (default moran)")
    f.add_argument("--mutant", help="the invading strategy (without --mutant/--resident: every pair, stationary state)")
    f.add_argument("--resident", help="the strategy the rest of the population plays")
    f.add_argument("--initial", type=int, default=1, help="mutants at the start (default 1)")
    f.add_argument("--exact", action="store_true", help="exact arithmetic (fractions for the Moran process)")
    f.add_argument("--simulate", type=int, default=None, metavar="RUNS", help="also run the process RUNS times")
    f.add_argument("--seed", type=int, default=0, help="seed of the simulated runs (an integer >= 0)")
    f.set_defaults(func=_fixation)

    t = sub.add_parser("thresholds", help="exact parameter ranges that make a target state asymptotically stable")
    common(t)
    t.add_argument("--target", required=True, help='a pure profile ("regulate, insure, claim") or a state name')
    t.add_argument(
        "--time-budget", type=float, default=None, metavar="SECONDS", help="time for exact solving (default 10)"
    )
    t.set_defaults(func=_thresholds)

    c = sub.add_parser(
        "check", help="prove or refute a claim: 'when CONDITIONS, STATE is (the unique) asymptotically stable state'"
    )
    common(c)
    claim = c.add_mutually_exclusive_group(required=True)
    claim.add_argument(
        "--state",
        help='a pure profile ("regulate, evade, accept"), a state name, or shares ("1, 3/5, 1", "V/C")',
    )
    claim.add_argument(
        "--no-stable-state", action="store_true", help="claim instead that no state is asymptotically stable"
    )
    c.add_argument(
        "--when", action="append", metavar="CONDITION", help='an inequality, e.g. "delta*F > Cg" (repeatable)'
    )
    c.add_argument("--unique", action="store_true", help="also claim no other state is asymptotically stable there")
    c.add_argument(
        "--bound", action="append", metavar="P=LOW,HIGH", help="bound a parameter (replaces the model's; repeatable)"
    )
    c.set_defaults(func=_check)

    e = sub.add_parser("sensitivity", help="orbits from the same start for several values of one parameter")
    common(e)
    e.add_argument("--parameter", required=True, help="the parameter to vary")
    e.add_argument("--values", required=True, type=float, nargs="+", metavar="V", help="its values (e.g. 5 10 15)")
    e.add_argument(
        "--initial", type=float, nargs="+", action="append", metavar="X", help="a start (repeatable; default centre)"
    )
    e.add_argument("--t-end", type=float, default=50.0, help="integration time (default 50)")
    e.add_argument("--times", type=int, default=101, help="output times from 0 to t-end (default 101)")
    e.add_argument("--figure", metavar="FILE", help="also write the figure (png, pdf, svg: by the extension)")
    e.set_defaults(func=_sensitivity)

    n = sub.add_parser("continue", help="every branch of rest points as one parameter moves, and the bifurcations")
    common(n)
    n.add_argument("--parameter", required=True, help="the parameter to vary")
    n.add_argument("--from", dest="lo", type=float, required=True, metavar="LO", help="start of the interval")
    n.add_argument("--to", dest="hi", type=float, required=True, metavar="HI", help="end of the interval")
    n.add_argument("--share", help="the share on the diagram's y axis (population.strategy; default the first)")
    n.add_argument("--figure", metavar="FILE", help="also write the bifurcation diagram (png, pdf, svg)")
    n.set_defaults(func=_continue)
    return parser


def _check_options(args) -> None:
    """Every numeric option in its range, before any work (one line and status 2 otherwise)."""
    if getattr(args, "tol", None) is not None:
        args.tol = check.real("--tol", args.tol, low=0.0, high=MAX_TOL, low_open=True)
    if getattr(args, "orbits", None) is not None:
        args.orbits = check.integer("--orbits", args.orbits, minimum=1, maximum=MAX_ORBITS)
    if getattr(args, "t_end", None) is not None:
        args.t_end = check.real("--t-end", args.t_end, low=0.0, high=MAX_T_END, low_open=True)
    if getattr(args, "seed", None) is not None:
        args.seed = check.integer("--seed", args.seed, minimum=0)
    if getattr(args, "time_budget", None) is not None:
        args.time_budget = check.real("--time-budget", args.time_budget, low=0.0, high=MAX_TIME_BUDGET)


class _EscapedStream:
    """A text stream that escapes control characters (all but the newline) on their way to the terminal."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write("\n".join(printable(line, limit=sys.maxsize) for line in text.split("\n")))
        return len(text)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _one_line(err: BaseException) -> str:
    text = " ".join(part.strip() for part in str(err).splitlines() if part.strip()) or type(err).__name__
    return printable(text, _MESSAGE_LIMIT)


def _fail(message: str) -> None:
    print(message, file=sys.stderr)


def _signed_values(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """``--from -inf`` as ``--from=-inf``: a numeric option's value that starts with ``-`` but is not a plain negative
    number (``-inf``, ``-1e3``) is otherwise read by argparse as an option ("expected one argument")."""
    numeric = set()
    stack = [parser]
    while stack:
        p = stack.pop()
        for action in p._actions:
            if action.type in (float, int) and action.nargs is None:
                numeric.update(o for o in action.option_strings if o.startswith("--"))
            if isinstance(action, argparse._SubParsersAction):
                stack.extend(action.choices.values())
    out, i = [], 0
    while i < len(argv):
        token = argv[i]
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        if token in numeric and nxt is not None and nxt.startswith("-") and _is_number(nxt):
            out.append(f"{token}={nxt}")
            i += 2
            continue
        out.append(token)
        i += 1
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


REPEAT_INTERRUPT = 0.5  # seconds between repeats of a Ctrl-C that has not yet ended the command


class _CtrlC:
    """Ctrl-C that always ends the command.  Python drops an exception raised where it cannot propagate (a weakref
    callback or ``__del__`` that runs during garbage collection), so a ``KeyboardInterrupt`` raised there is printed
    as "Exception ignored" and the run goes on.  Once Ctrl-C is pressed, a daemon thread sends SIGINT to the main
    thread again every :data:`REPEAT_INTERRUPT` seconds until :func:`main` has caught a ``KeyboardInterrupt``; after
    that the handler does nothing, and a dropped one prints no "Exception ignored" traceback.  Installed only where SIGINT has Python's default handler (a shell
    runs background jobs with SIGINT ignored, and that choice is kept)."""

    def __init__(self) -> None:
        import threading

        self.caught = threading.Event()
        self.pressed = threading.Event()

    def install(self) -> None:
        import signal
        import threading

        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, self._handler)
            self._hook = sys.unraisablehook
            sys.unraisablehook = self._unraisable

    def uninstall(self) -> None:
        import signal

        if signal.getsignal(signal.SIGINT) == self._handler:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            sys.unraisablehook = self._hook

    def _unraisable(self, unraisable) -> None:
        """A dropped ``KeyboardInterrupt`` is raised again by the repeat: no "Exception ignored" traceback."""
        if not issubclass(unraisable.exc_type, KeyboardInterrupt):
            self._hook(unraisable)

    def _handler(self, signum, frame) -> None:
        if self.caught.is_set():
            return
        if not self.pressed.is_set():
            import threading

            self.pressed.set()
            threading.Thread(target=self._repeat, name="gamekit-ctrl-c", daemon=True).start()
        raise KeyboardInterrupt

    def _repeat(self) -> None:
        import _thread
        import signal
        import threading

        main_thread = threading.main_thread().ident
        while not self.caught.wait(REPEAT_INTERRUPT):
            if hasattr(signal, "pthread_kill"):  # a real signal also wakes a main thread blocked in a wait
                signal.pthread_kill(main_thread, signal.SIGINT)
            else:
                _thread.interrupt_main()


def main(argv: list[str] | None = None) -> int:
    """Run the ``gamekit`` command; returns the exit status (0, 2 for bad input or a failure, 130 if interrupted)."""
    parser = build_parser()
    args = parser.parse_args(_signed_values(parser, sys.argv[1:] if argv is None else list(argv)))
    stdout = sys.stdout
    sys.stdout = _EscapedStream(stdout)
    ctrl_c = _CtrlC()
    ctrl_c.install()
    try:
        _check_options(args)
        return args.func(args)
    except GamekitError as err:
        _fail(f"gamekit: error: {_one_line(err)}")
        return 2
    except BrokenPipeError:
        try:  # the reader went away: say nothing more, and let the interpreter's final flush write nowhere
            os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return 0
    except KeyboardInterrupt:
        ctrl_c.caught.set()
        _fail("gamekit: error: interrupted")
        return 130
    except RecursionError:
        _fail("gamekit: error: an expression is nested too deeply to analyse (recursion limit reached)")
        return 2
    except MemoryError:
        _fail("gamekit: error: out of memory: try a smaller model, fewer --orbits, or --numeric")
        return 2
    except OverflowError as err:
        _fail(f"gamekit: error: a number overflowed ({_one_line(err)}): try other parameter values or --numeric")
        return 2
    except Exception as err:  # noqa: BLE001 - the last resort: one line, never a traceback
        _fail(f"gamekit: internal error: {type(err).__name__}: {_one_line(err)} (please report)")
        return 2
    finally:
        ctrl_c.caught.set()
        ctrl_c.uninstall()
        sys.stdout = stdout


if __name__ == "__main__":
    sys.exit(main())
