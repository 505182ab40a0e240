"""The ``gamekit`` command: analyse model files from a terminal.

    gamekit analyze MODEL [--scenario NAME] [--set P=V ...] [--json]
    gamekit simulate MODEL [--scenario NAME] [--set P=V ...] [--orbits N] [--t-end T] [--seed S] [--json]
    gamekit thresholds MODEL [--scenario NAME] [--set P=V ...] --target "regulate, insure, claim" [--json]

MODEL is a TOML model file or a shipped model's name (``platform-insurance``).
Bad input prints one line ``gamekit: error: ...`` and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys

from .errors import GamekitError, ParameterError

__all__ = ["main"]


def _parse_set(items) -> dict[str, float]:
    out = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ParameterError(f"--set {item!r}: expected NAME=VALUE")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ParameterError(f"--set {item!r}: {value!r} is not a number") from None
    return out


def _game(args):
    from .game import load

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


def _analyze(args) -> int:
    from .dynamics import replicator
    from .equilibria import equilibria

    game = _game(args)
    eqs = equilibria(game, tol=args.tol)
    params = {k: float(v) for k, v in game.parameters.items()}
    if args.json:
        out = {"model": game.name, "parameters": params, "equilibria": [e.to_json() for e in eqs]}
        if eqs.continua:
            out["continua"] = [c.to_json() for c in eqs.continua]
        print(json.dumps(out))
        return 0
    print(f"{game.name}" + (f" -- scenario {args.scenario}" if args.scenario else ""))
    print("parameters: " + ", ".join(f"{k}={v:g}" for k, v in params.items()))
    print()
    print(replicator(game))
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
    if not stable:
        print("No asymptotically stable rest point: orbits cycle or wander (simulate to see where they go).")
    else:
        what = "; ".join(
            (f"{e.name} " if e.name else "") + (f"({', '.join(e.profile)})" if e.profile else e.describe_state())
            for e in stable
        )
        head = (
            "The unique asymptotically stable state"
            if len(stable) == 1
            else f"{len(stable)} asymptotically stable states"
        )
        print(f"{head}: {what}")
    if any(e.stability == "non-hyperbolic" for e in eqs):
        print("Non-hyperbolic rest points: linearisation cannot decide their stability (centres, zero eigenvalues).")
    if not eqs.complete:
        print("Some faces were solved numerically; a rest point there may be missing.")
    return 0


def _simulate(args) -> int:
    from .simulate import basins

    game = _game(args)
    if args.orbits < 1:
        raise ParameterError(f"--orbits must be at least 1, got {args.orbits}")
    frame = basins(game, args.orbits, rng=args.seed, t_end=args.t_end, progress=not args.json and args.orbits > 50_000)
    params = {k: float(v) for k, v in game.parameters.items()}
    if args.json:
        out = {
            "model": game.name,
            "parameters": params,
            "orbits": args.orbits,
            "t_end": args.t_end,
            "seed": args.seed,
            "basins": [
                {
                    "outcome": r.outcome,
                    "share": r.share,
                    "ci_low": r.ci_low,
                    "ci_high": r.ci_high,
                    "orbits": int(r.orbits),
                }
                for r in frame.itertuples()
            ],
        }
        print(json.dumps(out))
        return 0
    print(f"{game.name}" + (f" -- scenario {args.scenario}" if args.scenario else ""))
    print(f"{args.orbits} orbits from uniform random starts (seed {args.seed}), integrated to t = {args.t_end:g}")
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


def _thresholds(args) -> int:
    from .policy import thresholds

    game = _game(args)
    result = thresholds(game, dict(game.parameters), args.target)
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        print(result)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gamekit", description="Evolutionary game theory for economists.")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p):
        p.add_argument("model", help="a TOML model file, or a shipped model (platform-insurance, ...)")
        p.add_argument("--scenario", help="a named scenario of the model")
        p.add_argument("--set", action="append", metavar="P=V", help="set a parameter (repeatable)")
        p.add_argument("--json", action="store_true", help="print one JSON object")

    a = sub.add_parser("analyze", help="every rest point, its eigenvalues and stability")
    common(a)
    a.add_argument("--tol", type=float, default=1e-9, help="real parts within TOL of zero count as zero")
    a.set_defaults(func=_analyze)

    s = sub.add_parser("simulate", help="basins of attraction: where orbits from random starts end up")
    common(s)
    s.add_argument("--orbits", type=int, default=10_000, help="number of orbits (default 10000)")
    s.add_argument("--t-end", type=float, default=300.0, help="integration time (default 300)")
    s.add_argument("--seed", type=int, default=0, help="seed of the random starting states")
    s.set_defaults(func=_simulate)

    t = sub.add_parser("thresholds", help="exact parameter ranges that make a target state asymptotically stable")
    common(t)
    t.add_argument("--target", required=True, help='a pure profile ("regulate, insure, claim") or a state name')
    t.set_defaults(func=_thresholds)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except GamekitError as err:
        print(f"gamekit: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
