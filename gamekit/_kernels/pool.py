"""Ranges of orbits on a thread pool: the one scheduler of the compiled drivers (replicator, other dynamics).

The compiled range integrators release the GIL, so Python threads run them in parallel.  ``n`` orbits are cut
into up to ``8 * workers`` contiguous ranges of at least one lane's worth each (so that a range of long, cycling
orbits does not hold the pool back at the end), with one worker per core and no more workers than ranges of a
lane.  Every orbit's result depends only on its own inputs, never on the range it fell in.
"""

from __future__ import annotations

import os
from collections.abc import Callable

__all__ = ["run_ranges"]


def run_ranges(run: Callable[[int, int], None], n: int, lanes: int) -> None:
    """Call ``run(start, stop)`` over ranges covering orbits ``0 .. n-1``, on one thread per core."""
    from concurrent.futures import ThreadPoolExecutor

    blocks = (n + lanes - 1) // lanes
    workers = max(1, min(os.cpu_count() or 1, blocks))
    parts = max(1, min(8 * workers, blocks))
    ranges = [((n * i) // parts, (n * (i + 1)) // parts) for i in range(parts)]
    if workers == 1:
        for start, stop in ranges:
            run(start, stop)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(lambda r: run(*r), ranges))
