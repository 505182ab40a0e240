"""Per-orbit cost of gamekit.simulate against the loops economists write today, side by side in one run.

    python benchmarks/bench_simulate.py [--orbits 20000] [--baseline-orbits 200] [--repeats 3] [--million]
                                        [--first-run [--first-run-rounds N] [--first-run-only]]

1. Platform model, scenario meta_goal, orbits to t = 50 at rtol 1e-6:
   gamekit.simulate (numba, and numpy) against a Python loop of
   scipy.integrate.solve_ivp (RK45, rtol 1e-6, atol 1e-9) over the raw share field.
2. Two-population game (hawk-dove), the same orbits: gamekit.simulate against
   nashpy's asymmetric_replicator_dynamics per orbit (timepoints 0..50).

Prints seconds per orbit and the ratio; the ratio is the figure that matters on
a shared, noisy machine.  Each side runs ``--repeats`` times, interleaved with the
other, and keeps its best time.  Also times a second process's first call (numba's
on-disk cache: compilation is paid once per machine and game shape), next to
numba's own start-up in a new process, which no code of ours can shorten.

3. With ``--first-run``: the whole command ``gamekit simulate platform-insurance
   --scenario trap`` on a fresh install (fresh, empty ``GAMEKIT_CACHE_DIR`` and
   ``NUMBA_CACHE_DIR``: numba compiles the driver and the game's right-hand
   side), then twice more with those caches warm; prints wall times and the
   ratio first / best warm (the target is at most 3), and the load average (the
   figure depends on it: compilation competes with everything else running).
   ``--first-run-rounds N`` repeats this with fresh caches each time;
   ``--first-run-only`` skips everything else (items 1, 2 and the new process).

4. With ``--kernel-vs PATH``: the compiled kernel alone (``dopri_numba.integrate``
   on the same 20,000 meta_goal orbits to t = 50, its inputs captured from this
   checkout's ``simulate``) in fresh processes of this checkout and of the one at
   PATH (for example ``git worktree add /tmp/old 22531c2``), alternating,
   ``--kernel-rounds`` times; each process keeps its best of 7 calls.  Same
   inputs, so the same integration work; prints wall time per orbit and CPU time
   per orbit summed over the threads (steadier on a busy machine).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import warnings

import numpy as np
from scipy.integrate import solve_ivp

import gamekit as gk


def payoff_gaps(game):
    """The platform model's payoff gaps u(first) - u(second) of each population, written out by hand, as in a
    paper's MATLAB code (the benchmarks of other dynamics and of noise build their equations on them too)."""
    p = {k: float(v) for k, v in game.parameters.items()}
    Cg, F, delta, S, R, A, Cp, B, K, theta, Cc, V, Cw = (p[k] for k in "Cg F delta S R A Cp B K theta Cc V Cw".split())

    def gaps(x, y, z):
        return (
            y * (R - S) - Cg + (1 - y) * (z * F + (1 - z) * delta * F + z * A),
            B - Cp + x * S + x * (z + (1 - z) * delta) * F + z * K * (x + (1 - x) * theta),
            y * (V - Cw) + (1 - y) * (x * K + (1 - x) * theta * K - Cc),
        )

    return gaps


def field(game):
    """The platform model's replicator equations written out by hand: x (1 - x) times each population's gap."""
    gaps = payoff_gaps(game)

    def f(t, s):
        return [a * (1 - a) * g for a, g in zip(s, gaps(*s))]

    return f


def side_by_side(runs, repeats):
    """Seconds per orbit of each ``name: (fn, orbits)``, the runs interleaved and the best of ``repeats`` kept
    (the machine is shared: the minimum is the least disturbed measurement of each)."""
    best = {name: float("inf") for name in runs}
    for _ in range(repeats):
        for name, (fn, n) in runs.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], (time.perf_counter() - t0) / n)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--orbits", type=int, default=20_000)
    ap.add_argument("--baseline-orbits", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3, help="interleaved repetitions; the best of each is kept")
    ap.add_argument("--million", action="store_true", help="also integrate 1,000,000 orbits and report peak memory")
    ap.add_argument("--first-run", action="store_true", help="also time the CLI with empty caches, then warm")
    ap.add_argument("--first-run-rounds", type=int, default=1, help="first-run measurements, each with fresh caches")
    ap.add_argument("--first-run-only", action="store_true", help="with --first-run: nothing else")
    ap.add_argument("--kernel-vs", metavar="PATH", help="also time the kernel against the checkout at PATH")
    ap.add_argument("--kernel-rounds", type=int, default=4, help="alternating rounds of --kernel-vs")
    args = ap.parse_args()
    if args.first_run and args.first_run_only:
        for _ in range(args.first_run_rounds):
            first_run()
        return
    rng = np.random.default_rng(0)

    game = gk.models.platform_insurance().scenario("meta_goal")
    init = rng.uniform(size=(args.orbits, 3))
    gk.simulate(game, init[:10], 50, rtol=1e-6)  # compile or load the cached kernel
    n_np = min(args.orbits, 5000)
    f = field(game)
    nb = args.baseline_orbits
    cost = side_by_side(
        {
            "ours": (lambda: gk.simulate(game, init, 50, rtol=1e-6), args.orbits),
            "numpy": (lambda: gk.simulate(game, init[:n_np], 50, rtol=1e-6, backend="numpy"), n_np),
            "scipy": (lambda: [solve_ivp(f, (0, 50), x0, rtol=1e-6, atol=1e-9) for x0 in init[:nb]], nb),
        },
        args.repeats,
    )
    ours, ours_np, scipy_cost = cost["ours"], cost["numpy"], cost["scipy"]
    print("platform model, meta_goal, t_end=50, rtol=1e-6")
    print(f"  gamekit (numba):  {ours * 1e6:10.2f} us/orbit  ({args.orbits} orbits)")
    print(f"  gamekit (numpy):  {ours_np * 1e6:10.2f} us/orbit  ({n_np} orbits)")
    print(f"  solve_ivp loop:   {scipy_cost * 1e6:10.2f} us/orbit  ({nb} orbits)")
    print(f"  ratio solve_ivp / gamekit (numba): {scipy_cost / ours:8.0f}x")
    print(f"  ratio solve_ivp / gamekit (numpy): {scipy_cost / ours_np:8.0f}x")

    import nashpy

    hd = gk.models.hawk_dove_two_roles()  # (two populations, as nashpy's asymmetric replicator dynamics)
    A, B = hd.numeric_payoffs()
    ng = nashpy.Game(A, B)
    init2 = rng.uniform(size=(args.orbits, 2))
    gk.simulate(hd, init2[:10], 50, rtol=1e-6)
    timepoints = np.linspace(0, 50, 1000)

    def nash_loop():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for x, y in init2[:nb]:
                ng.asymmetric_replicator_dynamics(
                    x0=np.array([x, 1 - x]), y0=np.array([y, 1 - y]), timepoints=timepoints
                )

    cost = side_by_side(
        {"ours": (lambda: gk.simulate(hd, init2, 50, rtol=1e-6), args.orbits), "nashpy": (nash_loop, nb)},
        args.repeats,
    )
    ours2, nash_cost = cost["ours"], cost["nashpy"]
    print("hawk-dove (two populations), t_end=50")
    print(f"  gamekit (numba):  {ours2 * 1e6:10.2f} us/orbit")
    print(f"  nashpy loop:      {nash_cost * 1e6:10.2f} us/orbit")
    print(f"  ratio nashpy / gamekit: {nash_cost / ours2:8.0f}x")

    if args.million:
        import resource

        n = 1_000_000
        big = np.random.default_rng(1).uniform(size=(n, 3))
        t0 = time.perf_counter()
        traj = gk.simulate(game, big, 50, rtol=1e-6, progress=False)
        dt = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
        print(
            f"1,000,000 orbits (meta_goal, t=50): {dt:.1f} s, {dt / n * 1e6:.2f} us/orbit; final states {traj.final.nbytes / 2**20:.0f} MiB; peak RSS of the process {peak:.0f} MiB"
        )

    if args.first_run:
        for _ in range(args.first_run_rounds):
            first_run()

    if args.kernel_vs:
        kernel_vs(args.kernel_vs, args.kernel_rounds, args.orbits)

    first = _fresh_process(
        "import time, numpy as np, gamekit as gk; g = gk.models.platform_insurance().scenario('meta_goal');"
        "t = time.perf_counter(); gk.simulate(g, np.full((1, 3), 0.5), 50); print(time.perf_counter() - t)"
    )
    floor = _fresh_process(
        "import time; t = time.perf_counter(); import numba; from numba.core.registry import cpu_target;"
        "cpu_target.typing_context.refresh(); cpu_target.target_context.refresh(); print(time.perf_counter() - t)"
    )
    print(f"first simulate() call in a new process (kernels cached on disk): {first:.2f} s")
    print(f"  of which numba's own start-up (import and type registries, none of our code), alone: {floor:.2f} s")


def first_run():
    """The CLI's main simulation with empty caches, then warm (module docstring, item 3)."""
    import os
    import shutil
    import tempfile

    load = os.getloadavg()[0]
    root = tempfile.mkdtemp(prefix="gamekit-first-run-")
    env = {
        **os.environ,
        "GAMEKIT_CACHE_DIR": os.path.join(root, "gamekit"),
        "NUMBA_CACHE_DIR": os.path.join(root, "numba"),
    }
    command = [sys.executable, "-m", "gamekit", "simulate", "platform-insurance", "--scenario", "trap"]
    times = []
    try:
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run(command, env=env, capture_output=True, check=True)
            times.append(time.perf_counter() - t0)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    warm = min(times[1:])
    print("gamekit simulate platform-insurance --scenario trap (10,000 orbits to t = 300), whole command:")
    print(f"  first run, empty caches: {times[0]:.1f} s;  warm: {', '.join(f'{t:.1f}' for t in times[1:])} s")
    print(
        f"  ratio first / warm: {times[0] / warm:.2f}x  (load average {load:.1f} before, {os.getloadavg()[0]:.1f} after)"
    )


_KERNEL_TIMER = """
import sys, time, numpy as np
import gamekit
from gamekit._kernels import dopri_numba
z = np.load(sys.argv[1])
args = [z[k] for k in "x0 pay off others flat nq bounds t_eval".split()]
args += [float(z["tw"]), float(z["rtol"]), float(z["atol"]), int(z["max_steps"])]
dopri_numba.integrate(args[0][:64], *args[1:])  # compile or load
wall = cpu = float("inf")
for _ in range(7):
    t0, c0 = time.perf_counter(), time.process_time()
    dopri_numba.integrate(*args)
    wall, cpu = min(wall, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
print(wall / len(args[0]), cpu / len(args[0]), gamekit.__file__)
"""


def kernel_vs(other: str, rounds: int, orbits: int):
    """The compiled kernel of this checkout and of the one at ``other`` on the same inputs (docstring, item 4)."""
    import os
    import tempfile
    from pathlib import Path

    from gamekit._kernels import dopri

    game = gk.models.platform_insurance().scenario("meta_goal")
    init = np.random.default_rng(0).uniform(0.01, 0.99, size=(orbits, 3))
    captured = []

    class Captured(Exception):
        pass

    def capture(*args, **kwargs):
        captured.append(args)
        raise Captured

    saved, dopri.integrate_numba = dopri.integrate_numba, capture
    try:
        gk.simulate(game, init, 50, rtol=1e-6, atol=1e-9, chunk=orbits)
    except Captured:
        pass
    finally:
        dopri.integrate_numba = saved
    names = "x0 pay off others flat nq bounds t_eval tw rtol atol max_steps".split()
    here = str(Path(gk.__file__).resolve().parent.parent)
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "inputs.npz")
        np.savez(data, **dict(zip(names, captured[0])))
        found = {"this": [], "other": []}
        print(
            f"kernel alone, meta_goal, {orbits} orbits to t = 50, best of 7 per process (load {os.getloadavg()[0]:.1f}):"
        )
        for _ in range(rounds):
            for label, root in (("this", here), ("other", other)):
                env = {**os.environ, "PYTHONPATH": root}
                run = subprocess.run(  # (from the temporary folder: no checkout in the working folder shadows root)
                    [sys.executable, "-c", _KERNEL_TIMER, data], env=env, cwd=tmp, capture_output=True, text=True
                )
                if run.returncode:
                    raise SystemExit(f"{label} ({root}) failed:\n{run.stderr}")
                wall, cpu, where = run.stdout.split()
                found[label].append((float(wall) * 1e6, float(cpu) * 1e6))
                print(
                    f"  {label:5s} {float(wall) * 1e6:6.3f} us/orbit, CPU {float(cpu) * 1e6:6.3f} us/orbit  ({where})"
                )
    for label, values in found.items():
        wall, cpu = zip(*values)
        print(
            f"  {label}: {min(wall):.3f}-{max(wall):.3f} us/orbit, CPU time (all threads) {min(cpu):.3f}-{max(cpu):.3f}"
            f" us/orbit, over {rounds} processes"
        )


def _fresh_process(code: str) -> float:
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


if __name__ == "__main__":
    main()
