"""A bifurcation diagram over one lever against the naive alternative, side by side.

    python benchmarks/bench_continuation.py [--parameter R --lo 0 --hi 8] [--grid 200] [--repeats 2]

The platform model (``trap`` values), one parameter over an interval:

* ``gk.continuation(trap, P, (lo, hi))``: every branch, exact where the faces are linear, and the bifurcation points
  located (R = 3 exactly for R over (0, 8));
* the naive alternative: ``gk.equilibria`` at each of ``--grid`` evenly spaced values (the default exact analysis,
  and ``exact=False``), which brackets a stability change only to the grid's spacing.

Each is timed after a warm-up call (compilation and sympy caches are not counted); runs are interleaved and the best of
``--repeats`` kept (the machine is shared).  The load average is printed with the timings.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import gamekit as gk


def best_of(runs: dict, repeats: int) -> dict:
    best = {name: float("inf") for name in runs}
    out = {}
    for _ in range(repeats):
        for name, fn in runs.items():
            t0 = time.perf_counter()
            out[name] = fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    return best, out


def grid_bracket(results, values, profile) -> tuple[float, float] | None:
    """The grid interval where the pure ``profile`` first changes its label."""
    labels = []
    for eqs in results:
        same = [e for e in eqs if e.profile == profile]
        labels.append(same[0].stability if same else None)
    for k in range(len(labels) - 1):
        if labels[k] != labels[k + 1]:
            return float(values[k]), float(values[k + 1])
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parameter", default="R")
    ap.add_argument("--lo", type=float, default=0.0)
    ap.add_argument("--hi", type=float, default=8.0)
    ap.add_argument("--grid", type=int, default=200, help="values of the naive grid (default 200)")
    ap.add_argument("--repeats", type=int, default=2, help="interleaved repetitions; the best of each is kept")
    args = ap.parse_args()
    trap = gk.models.platform_insurance().scenario("trap")
    par, lo, hi = args.parameter, args.lo, args.hi
    values = np.linspace(lo, hi, args.grid)

    def cont():
        return gk.continuation(trap, par, (lo, hi))

    def naive(exact):
        return [gk.equilibria(trap.with_parameters({par: float(v)}), exact=exact, progress=False) for v in values]

    cont()  # warm-up: lambdify, sympy caches, the equilibria worker
    naive("auto")[:1]
    runs = {"continuation": cont, f"equilibria x {args.grid}": lambda: naive("auto")}
    runs[f"equilibria x {args.grid}, exact=False"] = lambda: naive(False)
    best, out = best_of(runs, args.repeats)
    load = os.getloadavg()
    print(f"platform model (trap), {par} from {lo:g} to {hi:g}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    res = out["continuation"]
    print(
        f"  gk.continuation:                     {best['continuation']:8.3f} s  ({len(res.branches)} branches, "
        f"{sum(len(b.points) for b in res.branches)} points, {len(res.bifurcations)} bifurcation points)"
    )
    for name in list(runs)[1:]:
        print(
            f"  gk.equilibria on a grid ({name}): {best[name]:8.3f} s  ratio {best[name] / best['continuation']:.1f}x"
        )
    meta = ("regulate", "insure", "claim")
    bracket = grid_bracket(out[f"equilibria x {args.grid}"], values, meta)
    located = [b for b in res.bifurcations if b.state == ((1.0, 0.0), (1.0, 0.0), (1.0, 0.0))]
    print(f"  meta-goal's label changes: grid brackets it in {bracket}; continuation locates it at "
          f"{', '.join(str(b.value) for b in located) or 'none'}")  # fmt: skip


if __name__ == "__main__":
    main()
