"""How long the exact analysis takes, measured after import.

    python benchmarks/bench_analyze.py

1. ``gk.equilibria`` on the platform model under each scenario (exact: sympy solves every face),
   plus the symbolic stability table.
2. A random 4-population game with 3 strategies each (2,401 faces; numeric Newton where exact
   solving would not finish), seeded.
"""

from __future__ import annotations

import itertools
import time

import numpy as np

import gamekit as gk


def timed(fn, repeat=3):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def random_game(shape, seed):
    rng = np.random.default_rng(seed)
    pops = {f"P{p}": [f"s{p}{i}" for i in range(n)] for p, n in enumerate(shape)}
    payoffs = {
        ", ".join(f"s{p}{i}" for p, i in enumerate(idx)): [int(v) for v in rng.integers(-5, 6, size=len(shape))]
        for idx in itertools.product(*(range(n) for n in shape))
    }
    return gk.Game(pops, payoffs, name=f"random {shape}")


def main():
    game = gk.models.platform_insurance()
    for scenario in game.scenarios:
        g = game.scenario(scenario)
        t, eqs = timed(lambda g=g: gk.equilibria(g))
        print(
            f"platform model, {scenario:9s}: equilibria {t:.3f} s ({len(eqs)} rest points, all exact: {all(e.exact for e in eqs)})"
        )
    import contextlib
    import io

    from gamekit.cli import main as cli

    def run_cli():
        with contextlib.redirect_stdout(io.StringIO()):
            cli(["analyze", "platform-insurance", "--scenario", "trap"])

    t, _ = timed(run_cli)
    print(f"gamekit analyze platform-insurance --scenario trap, after import: {t:.3f} s")
    t, _ = timed(lambda: gk.stability_table(game))
    print(f"platform model: symbolic stability table {t:.3f} s")
    g4 = random_game((3, 3, 3, 3), seed=1)
    t, eqs = timed(lambda: gk.equilibria(g4), repeat=1)
    print(
        f"random 4-population game, 3 strategies each (2,401 faces), default exact='auto' -> numeric: "
        f"{t:.2f} s ({len(eqs)} rest points, {len(eqs.continua)} continua)"
    )
    t, eqs = timed(lambda: gk.equilibria(g4, exact=True), repeat=1)
    exact = sum(e.exact for e in eqs)
    print(
        f"  same game, exact=True: {t:.2f} s "
        f"({len(eqs)} rest points, {exact} exact, {len(eqs) - exact} numeric, {len(eqs.continua)} continua)"
    )
    g2 = random_game((2, 2, 2, 2), seed=1)
    t, eqs = timed(lambda: gk.equilibria(g2), repeat=1)
    print(
        f"random 4-population game, 2 strategies each: equilibria {t:.2f} s ({len(eqs)} rest points, all exact: {all(e.exact for e in eqs)})"
    )


if __name__ == "__main__":
    main()
