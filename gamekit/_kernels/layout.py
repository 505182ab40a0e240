"""Index tables of a game shape, shared by every kernel (numpy only; a leaf like ``tableau``).

For a game of shape ``(n_0, ..., n_{k-1})``: ``off`` (k + 1,) the first strategy
of each population in the concatenated strategy list; ``owner`` (D,) the
population of each strategy; ``others`` (k, Q, k-1) for population ``p`` and the
opponents' pure profile ``j'`` the global indices of the opponents' strategies
(``Q`` the largest number of opponents' profiles); ``flat`` (D, Q) the flattened
profile index (C order) of (strategy ``i``, opponents' profile ``j'``); ``nq``
(k,) the number of opponents' profiles of each population.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

__all__ = ["tables", "terms", "pack_tables"]


def tables(shape):
    """``off, owner, others, flat, nq`` for a game of this shape (module docstring); fresh arrays (the callers'
    to keep), copied from the ones built once per shape."""
    return tuple(a.copy() for a in _tables(tuple(int(n) for n in shape)))


@functools.lru_cache(maxsize=64)
def _tables(shape):
    k = len(shape)
    off = np.concatenate([[0], np.cumsum(shape)]).astype(np.int64)
    d = int(off[-1])
    owner = np.repeat(np.arange(k), shape).astype(np.int64)
    strides = [int(np.prod(shape[q + 1 :])) for q in range(k)]
    nq = np.array([int(np.prod([shape[q] for q in range(k) if q != p])) for p in range(k)], dtype=np.int64)
    qmax = int(nq.max())
    others = np.zeros((k, qmax, max(k - 1, 1)), dtype=np.int64)
    flat = np.zeros((d, qmax), dtype=np.int64)
    for p in range(k):
        opp = [q for q in range(k) if q != p]
        for jj, prof in enumerate(itertools.product(*(range(shape[q]) for q in opp))):
            for m, (q, s) in enumerate(zip(opp, prof)):
                others[p, jj, m] = off[q] + s
            base = sum(strides[q] * s for q, s in zip(opp, prof))
            for i in range(shape[p]):
                flat[off[p] + i, jj] = base + strides[p] * i
    return off, owner, others, flat, nq


def terms(shape) -> int:
    """Multiply-adds in the payoffs of one evaluation: n_p times the others' profiles, summed over p."""
    return len(shape) * int(np.prod(shape))


def pack_tables(off, others, flat, nq, n_prof: int, lanes: int):
    """The index tables as one int64 array for the generic RHS, and the size of its float64 work array."""
    k = len(nq)
    d, q = flat.shape
    tab = np.concatenate([[k, d, n_prof, q], off, nq, others.ravel(), flat.ravel()]).astype(np.int64)
    return tab, 2 * lanes + d * lanes + q * lanes
