"""Parameter sweeps: the analytic stable set and simulated basins at every grid point.

For every parameter combination ``theta`` of a grid:

* **analytic** -- the asymptotically stable rest points are exactly the strict
  Nash equilibria (pure profiles whose every switch gain is negative), read off
  the payoff tables at ``theta``; no simulation involved;
* **simulated** -- ``n`` orbits from uniform starts (seeded by ``rng`` and the
  combination's index, so every combination's sample is fixed whatever the
  back end), integrated by :func:`gamekit.simulate`, and the share of orbits
  per outcome with a Wilson 95% interval.

Locally, all orbits of a batch of combinations are one call of the compiled
kernel (its threads use every core).  Given a ``dask.distributed.Client``, the
batches are tasks on the cluster.  Orbits are integrated independently of one
another, so both give the same numbers.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np

from .dynamics import compile_payoffs
from .errors import GamekitError, ParameterError
from .game import Game
from .simulate import simulate, wilson_interval
from .space import StateSpace
from .stability import strict_profiles

__all__ = ["sweep", "grid_points"]


def grid_points(game: Game, grid) -> tuple[list[str], list[dict[str, float]], list[str] | None]:
    """The combinations of a grid: (swept parameter names, combinations, scenario labels or None)."""
    if isinstance(grid, Mapping):
        names = list(grid)
        for name in names:
            if name not in game.parameters:
                raise ParameterError(f"cannot sweep {name!r}: it is not a parameter of this game")
        axes = []
        for name in names:
            values = np.atleast_1d(np.asarray(grid[name], dtype=float))
            if values.size == 0 or not np.all(np.isfinite(values)):
                raise ParameterError(f"sweep values of {name!r} must be finite numbers (and at least one)")
            axes.append(values)
        combos = [dict(zip(names, map(float, c))) for c in itertools.product(*axes)]
        return names, combos, None
    if isinstance(grid, Sequence) and not isinstance(grid, str):
        combos, labels = [], []
        for i, item in enumerate(grid):
            if isinstance(item, str):
                if item not in game.scenarios:
                    raise ParameterError(f"no scenario named {item!r} (scenarios: {', '.join(game.scenarios)})")
                combos.append(dict(game.scenarios[item]))
                labels.append(item)
            elif isinstance(item, Mapping):
                for name in item:
                    if name not in game.parameters:
                        raise ParameterError(f"cannot sweep {name!r}: it is not a parameter of this game")
                combos.append({k: float(v) for k, v in item.items()})
                labels.append(f"#{i}")
            else:
                raise ParameterError(f"sweep entry {item!r} is neither a scenario name nor a parameter dict")
        names = sorted({k for c in combos for k in c}, key=list(game.parameters).index)
        return names, combos, labels
    raise ParameterError("grid must be {parameter: values} or a list of scenario names / parameter dicts")


def _stable_sets(game: Game, combos) -> list[str]:
    """The asymptotically stable profiles at each combination, as text (state names where the game has them)."""
    compiled = compile_payoffs(game)
    names = list(game.parameters)
    rows = np.array([[c.get(k, game.parameters[k]) for k in names] for c in combos], dtype=float)
    strict = strict_profiles(compiled(rows), game.shape)
    profiles = list(np.ndindex(*game.shape))
    out = []
    for row in strict:
        labels = [
            game.state_name(profiles[j]) or ", ".join(game.profile_names(profiles[j])) for j in np.nonzero(row)[0]
        ]
        out.append("; ".join(labels) if labels else "none")
    return out


def _simulate_batch(game: Game, combos, indices, n, seed, t_end, kwargs):
    """Outcome counts for a batch of combinations: list of {outcome: count}."""
    space = StateSpace(game.shape, tuple(p.name for p in game.populations))
    starts = np.concatenate([space.sample(n, np.random.default_rng([seed, i])) for i in indices])
    params = {
        k: np.repeat([combos[j].get(k, game.parameters[k]) for j in range(len(indices))], n) for k in game.parameters
    }
    traj = simulate(game, starts, t_end, parameters=params, progress=False, **kwargs)
    out = []
    for j in range(len(indices)):
        codes = traj.codes[j * n : (j + 1) * n]
        counts = np.bincount(codes, minlength=len(traj.labels))
        out.append({traj.labels[c]: int(counts[c]) for c in np.nonzero(counts)[0]})
    return out


def sweep(
    game: Game,
    grid,
    *,
    n: int = 1000,
    rng: int = 0,
    t_end: float = 200.0,
    client=None,
    batch_orbits: int = 20_000,
    progress: bool | None = None,
    **simulate_kwargs,
):
    """Stable states (analytic) and basin shares (simulated) at every point of ``grid``.

    Parameters
    ----------
    grid
        ``{param: values}`` (one parameter: a 1-D sweep; two: the full 2-D grid; more: their
        product), or a list of scenario names and/or ``{param: value}`` dicts.
    n
        Orbits per combination (0: analytic only).
    rng
        Integer seed; combination ``i`` draws its starts from ``default_rng([rng, i])``.
    client
        A ``dask.distributed.Client``: run batches of combinations as tasks on its cluster.
    batch_orbits
        About how many orbits one batch (one task) integrates.
    progress
        Show a progress bar (default: when there is more than one batch).

    Returns a tidy DataFrame: the swept parameters (and ``scenario`` for a list), ``stable``
    (the asymptotically stable states, analytically), then ``outcome, share, ci_low, ci_high,
    orbits`` -- one row per combination and outcome (a single row with empty outcome when ``n=0``).
    """
    import pandas as pd

    names, combos, labels = grid_points(game, grid)
    if not isinstance(rng, (int, np.integer)):
        raise GamekitError("sweep needs an integer seed rng, so that every combination's sample is reproducible")
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise GamekitError(f"n must be a non-negative number of orbits per combination, got {n!r}")
    stable = _stable_sets(game, combos)
    per_batch = max(1, batch_orbits // max(n, 1))
    batches = [list(range(i, min(i + per_batch, len(combos)))) for i in range(0, len(combos), per_batch)]
    counts: list[dict[str, int]] = [{} for _ in combos]
    if n > 0:
        show = progress if progress is not None else len(batches) > 1
        bar = None
        if show:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(combos), desc="sweep", unit="point")
        if client is None:
            for idx in batches:
                res = _simulate_batch(game, [combos[i] for i in idx], idx, n, int(rng), t_end, simulate_kwargs)
                for i, c in zip(idx, res):
                    counts[i] = c
                if bar is not None:
                    bar.update(len(idx))
        else:
            from dask.distributed import as_completed

            futures = {
                client.submit(
                    _simulate_batch,
                    game,
                    [combos[i] for i in idx],
                    idx,
                    n,
                    int(rng),
                    t_end,
                    simulate_kwargs,
                    pure=False,
                ): idx
                for idx in batches
            }
            for fut in as_completed(futures):
                idx = futures[fut]
                for i, c in zip(idx, fut.result()):
                    counts[i] = c
                if bar is not None:
                    bar.update(len(idx))
        if bar is not None:
            bar.close()
    rows = []
    for i, combo in enumerate(combos):
        base = {k: combo.get(k, game.parameters[k]) for k in names}
        if labels is not None:
            base = {"scenario": labels[i], **base}
        base["stable"] = stable[i]
        if n == 0:
            rows.append({**base, "outcome": "", "share": np.nan, "ci_low": np.nan, "ci_high": np.nan, "orbits": 0})
            continue
        for outcome, k in sorted(counts[i].items(), key=lambda kv: -kv[1]):
            lo, hi = wilson_interval(k, n)
            rows.append({**base, "outcome": outcome, "share": k / n, "ci_low": lo, "ci_high": hi, "orbits": k})
    return pd.DataFrame(rows)
