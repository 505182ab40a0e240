"""Per-orbit cost of gamekit.simulate on a state-dependent field against a naive solve_ivp loop (issue #9).

    python benchmarks/bench_general.py [--orbits 20000] [--baseline-orbits 200] [--repeats 3]

The platform model with the dynamic fine ``F*(1 - y)`` (``y`` the platforms' insure share; model
``platform-insurance-dynamic-fine``, trap values), orbits to t = 50 at rtol 1e-6: gamekit.simulate (its
right-hand side generated from the model) against a Python loop of scipy.integrate.solve_ivp (RK45, rtol
1e-6, atol 1e-9) over the equations written out by hand, as in a paper's MATLAB code.  The fixed-fine model
runs beside it, the same way, so the two ratios come from one run.  Each side runs ``--repeats`` times,
interleaved with the others, and keeps its best time (the machine is shared: the ratio is what matters).

Two ratios per model: wall time (gamekit uses every core, as a user's call does; the loop one) and CPU time
over all threads, i.e. per core, which a busy machine disturbs less.  Before timing, the hand-written
equations are checked against the model's (DOP853, rtol 1e-11), and both sides' shares at t = 10 at the timed
tolerances are compared with DOP853 at rtol 1e-12 on the baseline's orbits (the error of each is printed: the
speed is not bought with accuracy).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp

import gamekit as gk

sys.path.insert(0, str(Path(__file__).parent))
from bench_simulate import field as fixed_field  # noqa: E402 - the fixed-fine equations, written out by hand
from bench_simulate import side_by_side  # noqa: E402

ACCURACY_TIME = 10.0  # where both sides' shares are compared with a DOP853 reference


def dynamic_field(game):
    """The dynamic-fine platform model's replicator equations written out by hand: every F becomes F*(1 - y)."""
    p = {k: float(v) for k, v in game.parameters.items()}
    Cg, F, delta, S, R, A, Cp, B, K, theta, Cc, V, Cw = (p[k] for k in "Cg F delta S R A Cp B K theta Cc V Cw".split())

    def f(t, s):
        x, y, z = s
        fine = F * (1 - y)
        return [
            x * (1 - x) * (y * (R - S) - Cg + (1 - y) * (z * fine + (1 - z) * delta * fine + z * A)),
            y * (1 - y) * (B - Cp + x * S + x * (z + (1 - z) * delta) * fine + z * K * (x + (1 - x) * theta)),
            z * (1 - z) * (y * (V - Cw) + (1 - y) * (x * K + (1 - x) * theta * K - Cc)),
        ]

    return f


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--orbits", type=int, default=20_000)
    ap.add_argument("--baseline-orbits", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    init = np.random.default_rng(0).uniform(size=(args.orbits, 3))
    dynamic = gk.load("platform-insurance-dynamic-fine")
    fixed = gk.load("platform-insurance").scenario("trap")
    for g in (dynamic, fixed):
        gk.simulate(g, init[:10], 50, rtol=1e-6)  # compile or load the kernels
    # the hand-written equations are the model's: check before timing
    for g, f in ((dynamic, dynamic_field(dynamic)), (fixed, fixed_field(fixed))):
        ours = gk.simulate(g, init[:5], 5, rtol=1e-10, atol=1e-12).final
        ref = np.array([solve_ivp(f, (0, 5), x0, method="DOP853", rtol=1e-11, atol=1e-13).y[:, -1] for x0 in init[:5]])
        assert np.allclose(ours, ref, atol=1e-7), (g.name, ours, ref)
    nb = args.baseline_orbits
    fd, ff = dynamic_field(dynamic), fixed_field(fixed)
    # accuracy at the timed tolerances, on the baseline's orbits: both sides against DOP853 at rtol 1e-12, at
    # t = ACCURACY_TIME (by t = 50 the fixed model's cycles near the boundary have lost their phase on both sides)
    errors = {}
    for kind, g, f in (("dynamic", dynamic, fd), ("fixed", fixed, ff)):
        x0s, te = init[: min(nb, 50)], [ACCURACY_TIME]
        ref = np.array(
            [solve_ivp(f, (0, 50), x, method="DOP853", rtol=1e-12, atol=1e-14, t_eval=te).y[:, 0] for x in x0s]
        )
        ours = gk.simulate(g, x0s, 50, rtol=1e-6, t_eval=te).states[:, 0]
        theirs = np.array([solve_ivp(f, (0, 50), x, rtol=1e-6, atol=1e-9, t_eval=te).y[:, 0] for x in x0s])
        errors[kind] = (np.max(np.abs(ours - ref)), np.max(np.abs(theirs - ref)))
    runs = {
        "dynamic": (lambda: gk.simulate(dynamic, init, 50, rtol=1e-6), args.orbits),
        "dynamic scipy": (lambda: [solve_ivp(fd, (0, 50), x0, rtol=1e-6, atol=1e-9) for x0 in init[:nb]], nb),
        "fixed": (lambda: gk.simulate(fixed, init, 50, rtol=1e-6), args.orbits),
        "fixed scipy": (lambda: [solve_ivp(ff, (0, 50), x0, rtol=1e-6, atol=1e-9) for x0 in init[:nb]], nb),
    }
    cpu = {name: float("inf") for name in runs}

    def cpu_timed(name, fn, n):
        def run():
            t0 = time.process_time()  # CPU time of every thread of this process
            fn()
            cpu[name] = min(cpu[name], (time.process_time() - t0) / n)

        return run

    cost = side_by_side({name: (cpu_timed(name, fn, n), n) for name, (fn, n) in runs.items()}, args.repeats)
    print(f"platform model, trap values, t_end=50, rtol=1e-6 (solve_ivp: RK45, rtol=1e-6, atol=1e-9), {args.orbits} "
          f"orbits against {nb}; best of {args.repeats} interleaved runs")  # fmt: skip
    for kind in ("dynamic", "fixed"):
        ours, base = cost[kind], cost[f"{kind} scipy"]
        ours_cpu, base_cpu = cpu[kind], cpu[f"{kind} scipy"]
        print(f"  {kind + ' fine:':14s} wall: gamekit {ours * 1e6:6.2f} us/orbit, solve_ivp loop {base * 1e6:8.1f} "
              f"us/orbit, ratio {base / ours:5.0f}x; CPU (per core): {ours_cpu * 1e6:6.2f} against "
              f"{base_cpu * 1e6:8.1f} us/orbit, ratio {base_cpu / ours_cpu:5.0f}x")  # fmt: skip
        print(f"  {'':14s} largest error of a share at t = {ACCURACY_TIME:g} against DOP853 (rtol 1e-12), first "
              f"{min(nb, 50)} orbits: gamekit {errors[kind][0]:.1e}, solve_ivp {errors[kind][1]:.1e}")  # fmt: skip


if __name__ == "__main__":
    main()
