"""Paths per second of the stochastic replicator dynamics against Euler-Maruyama loops in numpy, side by side.

    python benchmarks/bench_noise.py [--paths 2000] [--loop-paths 10] [--t-end 50] [--dt 0.01] [--repeats 3]

The platform model (trap values) with Fudenberg-Harris noise on each population's first strategy
(government.regulate 0.3, platform.insure 0.5, workers.claim 0.2), from uniform random starts to t = 50 with
steps of 0.01, each run also recording whether and when a path comes within 0.05 of the trap (the
probability that the trap is reached by t_end comes from that):

* ``gamekit``: ``gk.simulate(trap, initial, t_end, noise=gk.Noise(...), rng=seed)`` watching the trap only,
  and with its default watch list (all eight pure profiles);
* ``numpy, vectorised``: the equations written out by hand (each population's payoff gap, as in a paper's
  MATLAB code) in log-ratio coordinates ``Y = ln(x / (1 - x))``, one Euler-Maruyama step of all paths at
  once per time step (numpy's normals) -- the best a user does in numpy;
* ``numpy, per path``: the same step for one path at a time, the loop one writes first (run on
  ``--loop-paths`` paths: its cost per path does not depend on how many).

Same dt, same number of steps, same watch of the trap.  Prints paths per second of each and the ratios,
each side run ``--repeats`` times interleaved with the others (best kept), the reached probabilities of
the gamekit and vectorised runs (the same law from different random numbers: they must agree within their
intervals) and the load average.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

import numpy as np

import gamekit as gk
from gamekit.basins import wilson_interval

sys.path.insert(0, str(Path(__file__).parent))
from bench_simulate import payoff_gaps, side_by_side  # noqa: E402

SIGMA = {"government.regulate": 0.3, "platform.insure": 0.5, "workers.claim": 0.2}
RADIUS = 0.05


def numpy_vectorised(game, initial, t_end, dt, seed):
    """Every path at once: Y_p += (gap_p - sigma_p^2 / 2) dt + sigma_p dW_p; the first time within RADIUS of
    the trap (regulate, evade, accept: x = 1, y = 0, z = 0), inf if never."""
    gaps = payoff_gaps(game)
    sig = np.array([SIGMA["government.regulate"], SIGMA["platform.insure"], SIGMA["workers.claim"]])[:, None]
    rng = np.random.default_rng(seed)
    x = initial.T.copy()
    y = np.log(x / (1 - x))
    steps = round(t_end / dt)
    hit = np.full(x.shape[1], np.inf)
    for j in range(steps + 1):
        s = 1.0 / (1.0 + np.exp(-y))
        near = (1 - s[0] <= RADIUS) & (s[1] <= RADIUS) & (s[2] <= RADIUS)
        hit = np.where(near & np.isinf(hit), j * dt, hit)
        if j == steps:
            break
        g = np.array(gaps(s[0], s[1], s[2]))
        y += (g - sig**2 / 2) * dt + sig * math.sqrt(dt) * rng.standard_normal(y.shape)
    return hit


def numpy_per_path(game, initial, t_end, dt, seed):
    """The same step, one path at a time."""
    gaps = payoff_gaps(game)
    sig = np.array([SIGMA["government.regulate"], SIGMA["platform.insure"], SIGMA["workers.claim"]])
    rng = np.random.default_rng(seed)
    steps = round(t_end / dt)
    hit = np.full(initial.shape[0], np.inf)
    for n, x0 in enumerate(initial):
        y = np.log(x0 / (1 - x0))
        for j in range(steps + 1):
            s = 1.0 / (1.0 + np.exp(-y))
            if np.isinf(hit[n]) and 1 - s[0] <= RADIUS and s[1] <= RADIUS and s[2] <= RADIUS:
                hit[n] = j * dt
            if j == steps:
                break
            g = np.array(gaps(s[0], s[1], s[2]))
            y = y + (g - sig**2 / 2) * dt + sig * math.sqrt(dt) * rng.standard_normal(3)
    return hit


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--paths", type=int, default=2000)
    ap.add_argument("--loop-paths", type=int, default=10)
    ap.add_argument("--t-end", type=float, default=50.0)
    ap.add_argument("--dt", type=float, default=0.01)
    ap.add_argument("--repeats", type=int, default=3, help="interleaved repetitions; the best of each is kept")
    args = ap.parse_args()
    trap = gk.load("platform-insurance")
    initial = np.random.default_rng(0).uniform(0.02, 0.98, (args.paths, 3))
    noise = gk.Noise(SIGMA, dt=args.dt)
    gk.simulate(trap, initial[:10], 1.0, noise=noise, rng=1)  # compile or load the cached kernel
    results = {}

    def gamekit_trap():
        results["gamekit"] = gk.stochastic.simulate_noisy(
            trap, initial, args.t_end, noise=noise, rng=1, targets="trap"
        ).hitting_probability("trap")

    def gamekit_all():
        gk.simulate(trap, initial, args.t_end, noise=noise, rng=1)

    def vectorised():
        results["numpy"] = numpy_vectorised(trap, initial, args.t_end, args.dt, 1)

    runs = {
        "gamekit (trap watched)": (gamekit_trap, args.paths),
        "gamekit (8 profiles watched)": (gamekit_all, args.paths),
        "numpy, vectorised": (vectorised, args.paths),
        "numpy, per path": (lambda: numpy_per_path(trap, initial[: args.loop_paths], args.t_end, args.dt, 1),
                            args.loop_paths),
    }  # fmt: skip
    cost = side_by_side(runs, args.repeats)
    steps = round(args.t_end / args.dt)
    print(
        f"platform model (trap values), Fudenberg-Harris noise {SIGMA}, t_end = {args.t_end:g}, dt = {args.dt:g} "
        f"({steps} steps), {args.paths} paths ({args.loop_paths} for the per-path loop), "
        f"{os.cpu_count()} cores, best of {args.repeats}"
    )
    base = cost["gamekit (trap watched)"]
    for name, c in cost.items():
        ratio = "" if c == base else f"   {c / base:8.1f} x gamekit's time"
        print(f"  {name:30s} {1 / c:12.1f} paths/s  {c * 1e6 / steps * 1e3:9.1f} ns per path-step{ratio}")
    g = results["gamekit"]
    k = int(np.sum(np.isfinite(results["numpy"])))
    lo, hi = wilson_interval(k, args.paths)
    print(
        f"P(trap reached by t = {args.t_end:g}): gamekit {g.probability:.3f} [{g.ci_low:.3f}, {g.ci_high:.3f}], "
        f"numpy {k / args.paths:.3f} [{lo:.3f}, {hi:.3f}]"
    )
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
