"""Ranges of orbits on a thread pool: the one scheduler of the compiled drivers (replicator, other dynamics).

The compiled range integrators release the GIL, so Python threads run them in parallel.  ``n`` orbits are cut
into up to ``8 * workers`` contiguous ranges of at least one lane's worth each (so that a range of long, cycling
orbits does not hold the pool back at the end), with one worker per core and no more workers than ranges of a
lane.  Every orbit's result depends only on its own inputs, never on the range it fell in.

``run_shared`` instead starts one call per worker, all taking their orbits one at a time from one shared counter
(``primitives.take_next``): a lane that finishes an orbit takes the next one left, so lanes idle only at the very
end, not at the end of every range (16 ranges of 20,000 trap orbits cost 3% more kernel time under logit than one,
7% under Smith).
"""

from __future__ import annotations

import os
from collections.abc import Callable

__all__ = ["run_ranges", "run_shared"]


def run_ranges(run: Callable[[int, int], None], n: int, lanes: int) -> None:
    """Call ``run(start, stop)`` over ranges covering orbits ``0 .. n-1``, on one thread per core."""
    from concurrent.futures import ThreadPoolExecutor

    blocks = (n + lanes - 1) // lanes
    workers = _workers(n, lanes)
    parts = max(1, min(8 * workers, blocks))
    ranges = [((n * i) // parts, (n * (i + 1)) // parts) for i in range(parts)]
    if workers == 1:
        for start, stop in ranges:
            run(start, stop)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(lambda r: run(*r), ranges))


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
