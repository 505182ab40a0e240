"""The one scheduler of the compiled drivers (replicator, other dynamics): one call per core, all taking their
orbits one at a time from one shared counter (``primitives.take_next``).

The compiled integrators release the GIL, so Python threads run them in parallel.  A lane that finishes an orbit
takes the next one left, so lanes idle only at the very end, not at the end of every range of orbits (as they did
when each call owned a range: 16 ranges of 20,000 trap orbits cost 3% more kernel time under logit than one, 7%
under Smith).  Every orbit's result depends only on its own inputs, never on the lane or thread that took it.
"""

from __future__ import annotations

import os
from collections.abc import Callable

__all__ = ["run_shared"]


def run_shared(run: Callable[[], None], n: int, lanes: int) -> None:
    """Call ``run()`` once on each of up to one thread per core (no more than ``n`` orbits fill lanes of): the calls
    share the orbits ``0 .. n-1`` through a counter of their own."""
    from concurrent.futures import ThreadPoolExecutor

    workers = _workers(n, lanes)
    if workers == 1:
        run()
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda _: run(), range(workers)))


def _workers(n: int, lanes: int) -> int:
    """One worker per core, and no more than ``n`` orbits fill lanes of."""
    return max(1, min(os.cpu_count() or 1, (n + lanes - 1) // lanes))
