"""Test-wide setup: every cache goes to a fresh temporary folder, unless the user chose one.

gamekit writes generated code and numba's compiled caches to ``$GAMEKIT_CACHE_DIR``
(see ``gamekit._kernels.cache``), and numba writes caches of other code to
``$NUMBA_CACHE_DIR``.  Pointing both at a private folder made for this run keeps
the tests from reading or writing the user's caches.  This runs at import, before
any test module imports gamekit or numba (numba reads ``NUMBA_CACHE_DIR`` once).
A ``GAMEKIT_CACHE_DIR`` set by the user is kept (to reuse compiled kernels).

Hypothesis: under CI (``CI`` set, as ``.ci/run`` runs) the ``ci`` profile is
loaded, derandomised, so a run is reproducible and a failure is the same
failure on a rerun; locally the default (random) profile keeps finding new
cases.  ``HYPOTHESIS_PROFILE=ci`` selects it by hand.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "default"))

_run_cache = None
if not os.environ.get("GAMEKIT_CACHE_DIR"):
    _run_cache = tempfile.mkdtemp(prefix="gamekit-tests-")  # mode 0o700
    os.environ["GAMEKIT_CACHE_DIR"] = _run_cache
    os.environ["NUMBA_CACHE_DIR"] = os.path.join(_run_cache, "numba-other")


def pytest_unconfigure(config):
    if _run_cache is not None:
        shutil.rmtree(_run_cache, ignore_errors=True)
