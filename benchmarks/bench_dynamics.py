"""Orbits per second under logit and Smith dynamics against the obvious solve_ivp loop, side by side (issue #10).

    python benchmarks/bench_dynamics.py [--orbits 20000] [--baseline-orbits 200] [--repeats 3] [--eta 1]
    python benchmarks/bench_dynamics.py --first-run [--dynamics logit:1] [--repeats 1]
    python benchmarks/bench_dynamics.py --horizons [--orbits 2000] [--repeats 3]

The platform model, trap values, orbits from uniform random starts to t = 50: ``gk.simulate(...,
dynamics="logit:ETA")`` and ``dynamics="smith"`` (the compiled share-coordinate driver, every core) against a
Python loop of scipy.integrate.solve_ivp (RK45, the same rtol 1e-6 and atol 1e-9) over the equations written out
by hand: each population's first share ``x`` and its payoff advantage ``D`` (as in a paper's code), with

    logit:  dx/dt = 1 / (1 + exp(-D/eta)) - x,        smith:  dx/dt = (1 - x) [D]_+ - x [-D]_+.

Before timing, the hand-written equations are checked against gamekit's (DOP853 at rtol 1e-11 on them, gamekit
at rtol 1e-10).  Each side runs ``--repeats`` times, interleaved with the others, and keeps its best time (the
machine is shared: the ratio is what matters).  Two ratios: wall time (gamekit on every core, the loop on one) and
CPU time summed over threads (per core, steadier on a busy machine).  Both sides' shares at t = 10 and t = 50 at the
timed tolerances are compared with DOP853 at rtol 1e-12, and the errors printed: the speed is not bought with
accuracy.  (Under logit gamekit stops an orbit once it is proved to stay within a tolerance of a stable rest point,
``gamekit/_kernels/settle.py``, and reports that rest point at every later time: fewer steps than RK45, and an error
at t = 50 no larger.  Smith's field has kinks where payoffs tie, which costs both sides steps and accuracy alike.)

``--horizons``: logit:1 orbits to t = 50, 500 and 2,000 with settled orbits stopped (the default) and with the stop
switched off (``settle.SETTLE = 0``), side by side in one process: steps per orbit and best wall time.

``--first-run``: the wall time of a whole new process (import gamekit, load the model, ``gk.simulate`` of 1,000
trap orbits to t = 50 under ``--dynamics``) on a machine where nothing is compiled yet (``GAMEKIT_CACHE_DIR`` and
``NUMBA_CACHE_DIR`` an empty folder): as gamekit does it (a child process compiles the share-coordinate driver
while the caller compiles the payoffs and the protocol), with everything compiled in the calling process (the
child switched off, as before it existed), and a warm process on the filled cache.  Each is a fresh process, run
``--repeats`` times in turn, best kept.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp

import gamekit as gk

sys.path.insert(0, str(Path(__file__).parent))
from bench_simulate import payoff_gaps  # noqa: E402

T_END = 50.0
RTOL, ATOL = 1e-6, 1e-9
ACCURACY_TIME = 10.0


def logit_field(game, eta):
    d = payoff_gaps(game)

    def f(t, s):
        return [1.0 / (1.0 + math.exp(-a / eta)) - x for x, a in zip(s, d(*s))]

    return f


def smith_field(game):
    d = payoff_gaps(game)

    def f(t, s):
        return [(1 - x) * max(a, 0.0) - x * max(-a, 0.0) for x, a in zip(s, d(*s))]

    return f


def side_by_side(runs, repeats):
    """Best wall and CPU seconds per orbit of each ``name: (fn, orbits)``, the runs interleaved."""
    wall = {name: float("inf") for name in runs}
    cpu = {name: float("inf") for name in runs}
    for _ in range(repeats):
        for name, (fn, n) in runs.items():
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            wall[name] = min(wall[name], (time.perf_counter() - w0) / n)
            cpu[name] = min(cpu[name], (time.process_time() - c0) / n)
    return wall, cpu


FIRST_RUN = """
import os, sys, time
t0 = time.perf_counter()
import numpy as np
import gamekit as gk
from gamekit._kernels import cache
if sys.argv[2] == "in-process":
    cache.compile_flow_in_background = lambda: None  # (the child off: everything compiles in this process)
trap = gk.load("platform-insurance").scenario("trap")
starts = np.random.default_rng(0).uniform(size=(1000, 3))
gk.simulate(trap, starts, 50.0, dynamics=sys.argv[1], progress=False)
print(time.perf_counter() - t0)
"""


def _timed(dyn, mode, env):
    """Wall and CPU seconds (the process and every process it waited for) of one FIRST_RUN process."""
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    w0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", FIRST_RUN, dyn, mode], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - w0
    if done.returncode:
        raise SystemExit(f"the {mode} run failed:\n{done.stderr[-2000:]}")
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)


def first_run(dyn, repeats):
    """Wall (and CPU) seconds of a whole new process on empty caches (child on, child off) and on a filled one."""
    best = {"child": (math.inf, 0.0), "in-process": (math.inf, 0.0), "warm": (math.inf, 0.0)}
    for _ in range(repeats):
        for mode in ("child", "in-process"):
            with tempfile.TemporaryDirectory(prefix="gk-first-run-") as folder:
                env = dict(os.environ, GAMEKIT_CACHE_DIR=folder, NUMBA_CACHE_DIR=os.path.join(folder, "other"))
                best[mode] = min(best[mode], _timed(dyn, mode, env))
                if mode == "child":  # the same cache, now filled: a warm process
                    best["warm"] = min(best["warm"], _timed(dyn, mode, env))
    load = os.getloadavg()
    print(f"first use of dynamics={dyn} in a new process (import, load, 1000 trap orbits to t = 50), best of "
          f"{repeats}; {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # fmt: skip
    for mode, what in (("child", "empty cache, driver compiled in a child process meanwhile"),
                       ("in-process", "empty cache, everything compiled in the calling process"),
                       ("warm", "filled cache (warm)")):  # fmt: skip
        print(f"  {what + ':':58s} {best[mode][0]:6.1f} s wall, {best[mode][1]:6.1f} s CPU")


def horizons(orbits, repeats):
    """Steps and best wall time of logit:1 trap orbits to longer and longer horizons, the stop on and off."""
    from gamekit._kernels import settle

    trap = gk.load("platform-insurance").scenario("trap")
    init = np.random.default_rng(0).uniform(size=(orbits, 3))
    on = settle.SETTLE
    load = os.getloadavg()
    print(f"platform model, trap values, logit:1, rtol={RTOL:g}, atol={ATOL:g}, {orbits} orbits; best of {repeats}; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # fmt: skip
    for t_end in (50.0, 500.0, 2000.0):
        line = []
        for name, value in (("stop off", 0.0), ("stop on", on)):
            settle.SETTLE = value
            gk.simulate(trap, init[:64], t_end, dynamics="logit:1", progress=False)  # (compiled, warm)
            best = math.inf
            for _ in range(repeats):
                w0 = time.perf_counter()
                res = gk.simulate(trap, init, t_end, dynamics="logit:1", rtol=RTOL, atol=ATOL, progress=False)
                best = min(best, time.perf_counter() - w0)
            line.append(f"{name}: {res.steps.mean():7.1f} steps per orbit, {best * 1e3:6.1f} ms")
        settle.SETTLE = on
        print(f"  t_end = {t_end:6g}   " + ";   ".join(line))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--orbits", type=int, default=None, help="default 20,000 (2,000 with --horizons)")
    ap.add_argument("--baseline-orbits", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--eta", type=float, default=1.0, help="the logit noise (default 1)")
    ap.add_argument("--first-run", action="store_true", help="time a first use on empty caches instead")
    ap.add_argument(
        "--horizons", action="store_true", help="logit:1 to t = 50, 500, 2000, settled orbits stopped or not"
    )
    ap.add_argument("--dynamics", default="logit:1", help="the dynamics of --first-run (default logit:1)")
    args = ap.parse_args()
    if args.first_run:
        first_run(args.dynamics, args.repeats)
        return
    if args.horizons:
        horizons(args.orbits or 2_000, args.repeats)
        return
    args.orbits = args.orbits or 20_000
    trap = gk.load("platform-insurance").scenario("trap")
    init = np.random.default_rng(0).uniform(size=(args.orbits, 3))
    nb = args.baseline_orbits
    cases = {f"logit:{args.eta:g}": logit_field(trap, args.eta), "smith": smith_field(trap)}
    for dyn in cases:
        gk.simulate(trap, init[:10], T_END, dynamics=dyn, rtol=RTOL, atol=ATOL)  # compile or load the kernels
    # the hand-written equations are gamekit's: check before timing
    for dyn, f in cases.items():
        ours = gk.simulate(trap, init[:5], 5.0, dynamics=dyn, rtol=1e-10, atol=1e-12).final
        ref = np.array([solve_ivp(f, (0, 5), x0, method="DOP853", rtol=1e-11, atol=1e-13).y[:, -1] for x0 in init[:5]])
        assert np.allclose(ours, ref, atol=1e-6), (dyn, ours, ref)
    errors = {}
    for dyn, f in cases.items():
        x0s, te = init[: min(nb, 50)], [ACCURACY_TIME, T_END]
        ref = np.array([solve_ivp(f, (0, T_END), x, method="DOP853", rtol=1e-12, atol=1e-14, t_eval=te).y
                        for x in x0s])  # fmt: skip
        ours = gk.simulate(trap, x0s, T_END, dynamics=dyn, rtol=RTOL, atol=ATOL, t_eval=te).states
        theirs = np.array([solve_ivp(f, (0, T_END), x, rtol=RTOL, atol=ATOL, t_eval=te).y for x in x0s])
        # (largest error of a share at each time: gamekit's states are (orbit, time, share), solve_ivp's (orbit,
        # share, time))
        errors[dyn] = [(np.max(np.abs(ours[:, j] - ref[:, :, j])), np.max(np.abs(theirs[:, :, j] - ref[:, :, j])))
                       for j in range(len(te))]  # fmt: skip
    runs, last = {}, {}  # last: each side's results of its last timed run (for the step counts)

    def run_ours(dyn):
        last[dyn] = gk.simulate(trap, init, T_END, dynamics=dyn, rtol=RTOL, atol=ATOL)

    def run_theirs(dyn, f):
        last[f"{dyn} scipy"] = [solve_ivp(f, (0, T_END), x0, rtol=RTOL, atol=ATOL) for x0 in init[:nb]]

    for dyn, f in cases.items():
        runs[dyn] = (lambda dyn=dyn: run_ours(dyn), args.orbits)
        runs[f"{dyn} scipy"] = (lambda dyn=dyn, f=f: run_theirs(dyn, f), nb)
    wall, cpu = side_by_side(runs, args.repeats)
    load = os.getloadavg()
    print(f"platform model, trap values, t_end={T_END:g}, rtol={RTOL:g}, atol={ATOL:g} (solve_ivp: RK45, the same), "
          f"{args.orbits} orbits against {nb}; best of {args.repeats} interleaved runs; {os.cpu_count()} cores, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # fmt: skip
    for dyn in cases:
        ours, base, ours_cpu, base_cpu = wall[dyn], wall[f"{dyn} scipy"], cpu[dyn], cpu[f"{dyn} scipy"]
        print(f"  {dyn + ':':10s} wall: gamekit {1 / ours:9.0f} orbits/s, solve_ivp loop {1 / base:6.0f} orbits/s, "
              f"ratio {base / ours:5.0f}x; CPU (per core): {1 / ours_cpu:9.0f} against {1 / base_cpu:6.0f} "
              f"orbits/s, ratio {base_cpu / ours_cpu:5.0f}x")  # fmt: skip
        sols = last[f"{dyn} scipy"]
        # RK45: two evaluations choose the first step, then six per attempt (first same as last)
        attempts = np.mean([(sol.nfev - 2) / 6 for sol in sols])
        accepted = np.mean([sol.t.size - 1 for sol in sols])
        steps = last[dyn].steps.mean()
        print(f"  {'':10s} steps per orbit: gamekit {steps:.1f} attempts ({ours_cpu / steps * 1e9:.0f} ns CPU per orbit-step),"
              f" solve_ivp {attempts:.1f} attempts ({accepted:.1f} accepted; gamekit's error norm covers every share,"
              f" solve_ivp's here one share per population)")  # fmt: skip
        (ours10, theirs10), (ours_end, theirs_end) = errors[dyn]
        print(f"  {'':10s} largest error of a share against DOP853 (rtol 1e-12), first {min(nb, 50)} orbits: at t = "
              f"{ACCURACY_TIME:g} gamekit {ours10:.1e}, solve_ivp {theirs10:.1e}; at t = {T_END:g} gamekit "
              f"{ours_end:.1e}, solve_ivp {theirs_end:.1e}")  # fmt: skip


if __name__ == "__main__":
    main()
