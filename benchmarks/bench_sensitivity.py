"""How long the sensitivity figure takes, against the loops it replaces (measured after a warm-up call).

    python benchmarks/bench_sensitivity.py

1. ``gk.sensitivity`` on the platform model (``trap``, F in five values, start (1/2, 1/2, 1/2), t = 50, 401
   output times): one batch of the compiled kernel; against a loop of ``gk.simulate`` calls, one per value, and
   against a loop of ``scipy.integrate.solve_ivp`` (DOP853 at the same tolerances) on the replicator field written
   out in numpy -- what a paper's ``for F in ...: ode45(...)`` does.
2. ``gk.sensitivity_map``: the insure share at t = 50 over a 40 x 40 grid of (F, Cp), one batch of 1,600 orbits;
   against 1,600 ``solve_ivp`` calls, estimated from 40 of them.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.integrate import solve_ivp

import gamekit as gk

TRAP = gk.models.platform_insurance().scenario("trap")
P = {k: float(v) for k, v in TRAP.parameters.items()}
VALUES = [5.0, 7.5, 10.0, 12.5, 15.0]
T_EVAL = np.linspace(0, 50, 401)
TOL = {"rtol": 1e-8, "atol": 1e-10}


def timed(fn, repeat=3):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def field(p):
    def f(t, s):
        x, y, z = s
        gx = y * (p["R"] - p["S"]) - p["Cg"] + (1 - y) * (z * p["F"] + (1 - z) * p["delta"] * p["F"] + z * p["A"])
        gy = p["B"] - p["Cp"] + x * p["S"] + x * (z * (p["F"] + p["K"]) + (1 - z) * p["delta"] * p["F"])
        gy += (1 - x) * z * p["theta"] * p["K"]
        gz = y * (p["V"] - p["Cw"]) + (1 - y) * (x * p["K"] + (1 - x) * p["theta"] * p["K"] - p["Cc"])
        return [x * (1 - x) * gx, y * (1 - y) * gy, z * (1 - z) * gz]

    return f


def main():
    start = [0.5, 0.5, 0.5]
    batch = lambda: gk.sensitivity(TRAP, "F", VALUES, initial=start, t_end=50, **TOL)  # noqa: E731
    loop = lambda: [  # noqa: E731
        gk.simulate(TRAP.with_parameters(F=v), [start], 50, t_eval=T_EVAL, **TOL) for v in VALUES
    ]
    scipy_loop = lambda: [  # noqa: E731
        solve_ivp(field({**P, "F": v}), (0, 50), start, method="DOP853", t_eval=T_EVAL, **TOL) for v in VALUES
    ]
    batch()
    loop()
    print(f"1. sensitivity, 5 values x 401 times: gk.sensitivity {timed(batch) * 1e3:.0f} ms; "
          f"loop of gk.simulate {timed(loop) * 1e3:.0f} ms; loop of solve_ivp {timed(scipy_loop) * 1e3:.0f} ms")  # fmt: skip

    grid = {"F": np.linspace(2, 20, 40), "Cp": np.linspace(4, 12, 40)}
    one_map = lambda: gk.sensitivity_map(TRAP, grid, share="platform.insure", initial=start, t_end=50, **TOL)  # noqa: E731
    one_map()
    some = [(f, c) for f in grid["F"] for c in grid["Cp"][:1]]
    per_call = timed(
        lambda: [solve_ivp(field({**P, "F": f, "Cp": c}), (0, 50), start, method="DOP853", **TOL) for f, c in some],
        repeat=1,
    ) / len(some)
    print(f"2. share map 40 x 40: gk.sensitivity_map {timed(one_map) * 1e3:.0f} ms; "
          f"1,600 solve_ivp calls ~{per_call * 1600:.1f} s (from {len(some)})")  # fmt: skip


if __name__ == "__main__":
    main()
