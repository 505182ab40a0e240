"""Hypothesis strategies for random games, shared by the property tests."""

from __future__ import annotations

import itertools

from hypothesis import strategies as st

import gamekit as gk


@st.composite
def games(draw, min_pops=2, max_pops=4, max_strategies=3, max_total=None, lo=-5, hi=5):
    """A random game with integer payoffs: 2-4 populations, 2-3 strategies each."""
    k = draw(st.integers(min_pops, max_pops))
    shape = [draw(st.integers(2, max_strategies)) for _ in range(k)]
    if max_total is not None:
        while sum(n - 1 for n in shape) > max_total:
            shape[shape.index(max(shape))] -= 1
    pops = {f"P{p}": [f"s{p}{i}" for i in range(n)] for p, n in enumerate(shape)}
    payoffs = {}
    for idx in itertools.product(*(range(n) for n in shape)):
        key = ", ".join(f"s{p}{i}" for p, i in enumerate(idx))
        payoffs[key] = [draw(st.integers(lo, hi)) for _ in range(k)]
    return gk.Game(pops, payoffs, name="random")


def shifted(game: gk.Game, draw_int) -> gk.Game:
    """The game with population p's payoff raised by c_p(s_{-p}), an amount depending only on the others."""
    k = len(game.populations)
    shifts = {}
    payoffs = {}
    for idx in game.profiles():
        row = []
        for p in range(k):
            others = tuple(i for q, i in enumerate(idx) if q != p)
            if (p, others) not in shifts:
                shifts[(p, others)] = draw_int()
            row.append(game.payoff_tensors[p][idx] + shifts[(p, others)])
        payoffs[", ".join(game.profile_names(idx))] = row
    return gk.Game({p.name: list(p.strategies) for p in game.populations}, payoffs, dict(game.parameters))
