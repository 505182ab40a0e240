"""The child process that compiles the driver: ``python <this file>``, started by ``cache``.

On a machine where nothing is compiled yet, the first compiled simulation needs
the driver (``dopri_numba._run_range``, the vectorised loops, several seconds of
numba compilation, the same for every game), the driver's scalar passes
(``dopri_numba._PASSES``, a few seconds, also the same for every game) and the
right-hand side of the game's shape (a second or two).
``cache.compile_driver_in_background`` runs this file as a script in a child
process, which compiles the driver into gamekit's cache folder while the caller
goes on (it compiles the right-hand side and the passes);
``cache.wait_for_driver`` waits for the child, and the caller then loads the
driver from the cache.  On two or more cores the first call costs the longer of
the two halves instead of their sum; the passes are split off the driver so
that the halves are of similar length.  The result is the same compiled
code, so nothing about the simulation depends on where it was compiled.

The child is lean: it does not import the ``gamekit`` package (whose
``__init__`` imports sympy and the whole library, half a second or more), only
``gamekit._kernels``, under a stand-in for the package module whose path is
the package folder; so the compilation starts about as soon as numba is
imported.  (``python -m gamekit._kernels.warm`` works too, with the whole
package.)  The driver is compiled from its argument types alone
(``dopri_numba.compile_driver``), so the child compiles neither a right-hand
side nor a pass, which the caller compiles meanwhile.

A lock file (``driver.lock`` in the cache folder, created exclusively) keeps
concurrent first calls from compiling the driver twice in the background; a
marker file records that the driver of this version is in the cache.  Any
failure here only means the caller compiles the driver itself.
"""

from __future__ import annotations

import sys


def main() -> int:
    """Compile the driver, with ``gamekit._kernels`` imported under a stand-in package module if need be."""
    import types
    from pathlib import Path

    kernels = Path(__file__).resolve().parent
    if sys.path and Path(sys.path[0] or ".").resolve() == kernels:
        del sys.path[0]  # (run as a script: the modules of its folder are not top-level modules)
    if "gamekit" not in sys.modules:
        package = types.ModuleType("gamekit")
        package.__path__ = [str(kernels.parent)]
        sys.modules["gamekit"] = package
    if sys.argv[1:] == ["flow"]:  # the other dynamics' driver (flow_numba)
        from gamekit._kernels.flow_numba import compile_driver
    else:
        from gamekit._kernels.dopri_numba import compile_driver  # (absolute: this file may run as a script)

    compile_driver()
    return 0


if __name__ == "__main__":
    sys.exit(main())
