"""Runs per second of gk.simulate_fixation against nashpy's Moran process, and the cost of the exact probability.

    python benchmarks/bench_finite.py [--size 20] [--runs 20000] [--baseline-runs 200] [--repeats 3]

Hawk-dove (V = 2, C = 4), one hawk among ``size - 1`` doves, Moran process at w = 0.1: gamekit's compiled kernel
(numba) and its numpy twin against nashpy's ``Game.fixation_probabilities`` (a Python loop over individuals per step,
the obvious implementation) on the fitness table ``1 - w + w A``.  Each side runs ``--repeats`` times, interleaved
with the others, and keeps its best time per run (the machine is shared: the ratio is what matters).  Then the
time of ``gk.fixation_probability`` in floating point (log space) and in exact fractions for growing N, for
hawk-dove and for the ten-person stag hunt (groups drawn without replacement).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

import gamekit as gk

sys.path.insert(0, str(Path(__file__).parent))
from bench_simulate import side_by_side  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=20)
    ap.add_argument("--runs", type=int, default=20_000)
    ap.add_argument("--baseline-runs", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    import nashpy

    game = gk.load("hawk-dove")
    w, n = 0.1, args.size
    table = 1 - w + w * np.array([[-1.0, 2.0], [0.0, 1.0]])
    population = np.array([0] + [1] * (n - 1))
    gk.simulate_fixation(game, "hawk", "dove", n, w, runs=10, backend="numba")  # compile or load the kernel

    def nash():
        nashpy.Game(table).fixation_probabilities(initial_population=population, repetitions=args.baseline_runs)

    runs = {
        "gamekit numba": (
            lambda: gk.simulate_fixation(game, "hawk", "dove", n, w, runs=args.runs, rng=1, progress=False),
            args.runs,
        ),
        "gamekit numpy": (
            lambda: gk.simulate_fixation(
                game, "hawk", "dove", n, w, runs=args.runs, rng=1, backend="numpy", progress=False
            ),
            args.runs,
        ),
        "nashpy": (nash, args.baseline_runs),
    }
    best = side_by_side(runs, args.repeats)
    print(f"load average {os.getloadavg()[0]:.2f}; hawk-dove, N = {n}, w = {w}, Moran, best of {args.repeats}")
    for name, sec in best.items():
        print(f"  {name:14s} {1 / sec:12,.0f} runs/s   ({best['nashpy'] / sec:8,.0f} x nashpy)")
    print("gk.fixation_probability (hawk into dove, w = 0.1):")
    for size in (100, 1_000, 10_000, 1_000_000):
        t0 = time.perf_counter()
        gk.fixation_probability(game, "hawk", "dove", size, w)
        t_float = time.perf_counter() - t0
        line = f"  N = {size:>9,}: float {t_float * 1e3:8.2f} ms"
        if size <= 1_000:
            t0 = time.perf_counter()
            gk.fixation_probability(game, "hawk", "dove", size, w, exact=True)
            line += f", exact {(time.perf_counter() - t0) * 1e3:9.1f} ms"
        print(line)
    stag = gk.load("stag-hunt").with_parameters(c=0.2)
    print("gk.fixation_probability (stag hunt, groups of 10, cooperate into defect, w = 0.1):")
    for size in (1_000, 100_000):
        t0 = time.perf_counter()
        gk.fixation_probability(stag, "cooperate", "defect", size, w)
        line = f"  N = {size:>9,}: float {(time.perf_counter() - t0) * 1e3:8.2f} ms"
        if size <= 1_000:
            t0 = time.perf_counter()
            gk.fixation_probability(stag, "cooperate", "defect", size, w, exact=True)
            line += f", exact {(time.perf_counter() - t0) * 1e3:9.1f} ms"
        print(line)


if __name__ == "__main__":
    main()
