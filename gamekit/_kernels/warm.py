"""Compile the driver in a process of its own: ``python -m gamekit._kernels.warm``.

On a machine where nothing is compiled yet, the first compiled simulation needs
the driver (``dopri_numba._run_range``, several seconds of numba compilation, the
same for every game) and the right-hand side of the game's shape (a second or
two).  ``dopri_numba.integrate`` then starts this module in a child process to
compile the driver into gamekit's cache folder while it compiles the
right-hand side itself; it waits for the child and loads the driver from the
cache.  On two or more cores the first call costs the longer of the two
compilations instead of their sum.  The result is the same compiled code, so
nothing about the simulation depends on where it was compiled.

A lock file (``driver.lock`` in the cache folder, created exclusively) keeps
concurrent first calls from compiling the driver twice in the background; a
marker file records that the driver of this version is in the cache.  Any
failure here only means the caller compiles the driver itself.
"""

from __future__ import annotations

import sys


def main() -> int:
    from .dopri_numba import compile_driver

    compile_driver()
    return 0


if __name__ == "__main__":
    sys.exit(main())
