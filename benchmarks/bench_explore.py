"""How long one slider move of gk.explore takes, end to end, on the platform model (compiled kernel).

    python benchmarks/bench_explore.py [--moves N]

``ex.set(R=...)`` is what a slider move does in the browser, minus the widget messages: check the value, move the
slider, then redraw every view synchronously (gk.equilibria, gk.stability_table, 16 orbits with gk.simulate,
200 basin orbits with gk.basins, both figures drawn by gk.plot and encoded as PNG).  After a warm-up (the first
redraw imports matplotlib and may compile the integrator, once per machine), R moves back and forth across the
meta-goal's threshold R = 3 and through the trap's cycling regime.  Printed: the median and the spread of the
moves' wall time, the median of the process's CPU time (which a busy machine inflates less), the parts of the
redraw (``ex.timings``, medians) and the load average; also a scenario change and, for comparison, moves under
the Smith and logit dynamics.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import gamekit as gk

R_VALUES = (2.0, 4.0, 2.5, 5.0, 3.5, 1.0, 6.0, 2.9, 3.1, 8.0)


def moves(ex, values, key="R"):
    """Wall and CPU seconds of ``ex.set(key=v)`` for each value, and the parts of each redraw."""
    totals, cpu, parts = [], [], []
    for v in values:
        t0, c0 = time.perf_counter(), time.process_time()
        ex.set(**{key: v})
        totals.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        parts.append(dict(ex.timings))
    return totals, cpu, parts


def summary(label, totals, cpu, parts):
    med = statistics.median(totals)
    names = [k for k in parts[0] if k != "total"]
    split = ", ".join(f"{k} {statistics.median(p[k] for p in parts) * 1e3:.0f}" for k in names)
    print(
        f"{label}: median {med:.3f} s wall, {statistics.median(cpu):.3f} s CPU over {len(totals)} moves "
        f"(wall min {min(totals):.3f}, max {max(totals):.3f}); wall ms: {split}"
    )
    return med


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=len(R_VALUES), help="slider moves to time (default 10)")
    args = parser.parse_args(argv)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    game = gk.models.platform_insurance()
    t0 = time.perf_counter()
    ex = gk.explore(game, scenario="trap")
    print(f"first display (imports, and a compile on a new machine): {time.perf_counter() - t0:.2f} s")
    moves(ex, (3.0, 2.0))  # warm-up
    values = [R_VALUES[i % len(R_VALUES)] for i in range(args.moves)]
    summary("replicator, ex.set(R=...)", *moves(ex, values))
    t0 = time.perf_counter()
    ex.set(scenario="meta-goal")
    print(f"ex.set(scenario='meta-goal'): {time.perf_counter() - t0:.3f} s")
    ex.set(scenario="trap")
    for dyn in ("smith", "logit:0.5"):
        ex.set(dynamics=dyn)  # (warm-up: compiles the other dynamics' kernel on a new machine)
        summary(f"{dyn}, ex.set(R=...)", *moves(ex, values[:4]))
    ex.set(dynamics="replicator")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
