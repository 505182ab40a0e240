"""The Dormand-Prince 5(4) method as data: tableau, dense output, step-size control, named tolerances.

A leaf module (numpy only, nothing from gamekit): the numpy twin (``dopri``), the
compiled driver (``dopri_numba``) and the generated right-hand sides
(``rhs_codegen``) all read their constants from here, so data flows one way.

Stages ``K_s = f(v + h sum_{j<s} A[s, j] K_j)``; row 6 of ``A`` is ``B`` (first
same as last: ``K_6`` is the next step's ``K_0``); the fifth-order solution is
``v + h sum_s B[s] K_s``; the error estimate ``h sum_s E[s] K_s`` with
``E = B - B*``.  The nodes ``c`` are not needed: the replicator field does not
depend on time within a parameter segment.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "A",
    "B",
    "E",
    "DENSE",
    "WINDOW_SAMPLES",
    "SAFETY",
    "MIN_FACTOR",
    "MAX_FACTOR",
    "H0",
    "UNDERFLOW",
    "TIME_RTOL",
]

A = np.array(
    [
        [0, 0, 0, 0, 0, 0],
        [1 / 5, 0, 0, 0, 0, 0],
        [3 / 40, 9 / 40, 0, 0, 0, 0],
        [44 / 45, -56 / 15, 32 / 9, 0, 0, 0],
        [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729, 0, 0],
        [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656, 0],
        [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
    ]
)
B = np.array([35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0])
E = np.array([71 / 57600, 0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40])

# Dense output (Shampine's 4th-order interpolant of Dormand-Prince, as in scipy's RK45):
# v(t + theta h) = v + h * sum_s K_s * sum_m DENSE[s, m] * theta**(m + 1).
DENSE = np.array(
    [
        [1, -8048581381 / 2820520608, 8663915743 / 2820520608, -12715105075 / 11282082432],
        [0, 0, 0, 0],
        [0, 131558114200 / 32700410799, -68118460800 / 10900136933, 87487479700 / 32700410799],
        [0, -1754552775 / 470086768, 14199869525 / 1410260304, -10690763975 / 1880347072],
        [0, 127303824393 / 49829197408, -318862633887 / 49829197408, 701980252875 / 199316789632],
        [0, -282668133 / 205662961, 2019193451 / 616988883, -1453857185 / 822651844],
        [0, 40617522 / 29380423, -110615467 / 29380423, 69997945 / 29380423],
    ]
)

# The observation window is sampled by dense output at WINDOW_SAMPLES + 1 evenly spaced times (an even
# number of intervals, so that the middle of the window, where its second half begins, is one of them).
WINDOW_SAMPLES = 8

# Step-size control: h_new = h * clip(SAFETY * err**(-1/4), MIN_FACTOR, MAX_FACTOR), err the RMS of the
# local error over atol + rtol |v|.  (The exponent 1/4, rather than the textbook 1/5, is two square roots
# instead of a pow call, which cost a tenth of the kernel's time.)
SAFETY, MIN_FACTOR, MAX_FACTOR = 0.9, 0.2, 10.0
H0 = 1e-3  # first trial step; the controller adapts it within a few steps

# A share below exp(UNDERFLOW / (k - 1)) counts as exactly zero in the payoffs: a product of k - 1 such
# shares would be a subnormal number (slow arithmetic), and cannot change an O(1) payoff in double precision.
UNDERFLOW = -700.0

# Two times closer than TIME_RTOL * max(1, t_end) are the same time (a step that lands on a segment
# boundary, an output time or a window sample by floating-point sums of step sizes).
TIME_RTOL = 1e-12
