"""The constants of splitmix64 (Steele, Lea & Flood 2014), the per-run generator of the finite-population kernels.

A leaf module without numba, shared by the compiled kernel (``fixation_numba``) and its numpy twin
(``gamekit.finite.splitmix_uniforms``), so that both draw the same numbers from the same seeds::

    s += GOLDEN;  z = s;  z = (z ^ z >> 30) * MIX1;  z = (z ^ z >> 27) * MIX2;  z ^= z >> 31;  u = (z >> 11) * 2^-53
"""

from __future__ import annotations

import numpy as np

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)
S30 = np.uint64(30)
S27 = np.uint64(27)
S31 = np.uint64(31)
S11 = np.uint64(11)
UNIT = 2.0**-53
