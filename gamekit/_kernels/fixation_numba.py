"""The compiled run loop of the finite-population processes (numba); see ``gamekit.finite`` for the mathematics.

Each run owns a splitmix64 stream seeded by its own 64-bit seed (``gamekit.finite.splitmix_uniforms`` is the numpy
twin of the generator), so a run's path depends on its seed only: not on the chunk it is in, the thread that runs it,
how its steps are split over calls (a call resumes from the generator state, count and steps the last one left), or
the backend (the numpy twin in ``gamekit.finite`` draws the same numbers and takes the same decisions).

Per step, with ``j`` mutants:

* Moran (``moran = True``): a uniform ``u1 < birth[j]`` picks a mutant to reproduce, ``u2 < death[j]`` a mutant to
  die; ``j`` goes up when a mutant reproduces and a resident dies, down in the opposite case.
* Fermi (``moran = False``): ``u1 < focal[j]`` picks a resident as the focal individual (else a mutant); ``u2`` below
  ``model_r[j]`` (focal resident) or ``model_m[j]`` (focal mutant) picks a model of the other type; ``u3`` below
  ``adopt_up[j]`` or ``adopt_down[j]`` makes the focal individual imitate it.

Imported only when first used, so that ``import gamekit`` does not import numba.
"""

from __future__ import annotations

import numpy as np

from .cache import njit
from .splitmix import GOLDEN, MIX1, MIX2, S11, S27, S30, S31, UNIT

__all__ = ["run_moran", "run_fermi"]


@njit(nogil=True)
def _uniform(state):
    s = state[0] + GOLDEN
    state[0] = s
    z = (s ^ (s >> S30)) * MIX1
    z = (z ^ (z >> S27)) * MIX2
    z = z ^ (z >> S31)
    return np.float64(z >> S11) * UNIT


@njit(nogil=True)
def run_moran(states, counts, steps, size, birth, death, max_steps):  # pragma: no cover - compiled
    """Advance each run ``r`` (its generator state ``states[r]``, mutants ``counts[r]``, steps taken ``steps[r]``)
    until it fixes, is lost, or has taken ``max_steps`` steps; in place, so that a later call with a larger
    ``max_steps`` carries on exactly where this one stopped."""
    state = np.empty(1, dtype=np.uint64)
    for r in range(states.size):
        state[0] = states[r]
        j = counts[r]
        n = steps[r]
        while 0 < j < size and n < max_steps:
            born = _uniform(state) < birth[j]
            dies = _uniform(state) < death[j]
            if born and not dies:
                j += 1
            elif dies and not born:
                j -= 1
            n += 1
        states[r] = state[0]
        counts[r] = j
        steps[r] = n


@njit(nogil=True)
def run_fermi(
    states, counts, steps, size, focal, model_r, model_m, adopt_up, adopt_down, max_steps
):  # pragma: no cover - compiled
    """As :func:`run_moran`, for the Fermi process."""
    state = np.empty(1, dtype=np.uint64)
    for r in range(states.size):
        state[0] = states[r]
        j = counts[r]
        n = steps[r]
        while 0 < j < size and n < max_steps:
            resident = _uniform(state) < focal[j]
            other = _uniform(state) < (model_r[j] if resident else model_m[j])
            adopt = _uniform(state) < (adopt_up[j] if resident else adopt_down[j])
            if other and adopt:
                j += 1 if resident else -1
            n += 1
        states[r] = state[0]
        counts[r] = j
        steps[r] = n
