"""Sweeps: analytic stable sets match the equilibrium analysis; local and Dask runs give the same numbers."""

import dataclasses

import numpy as np
import pytest

import gamekit as gk

TRAP = gk.models.platform_insurance().scenario("trap")


def test_analytic_stable_set_matches_equilibria():
    frame = gk.sweep(TRAP, {"R": [2.0, 3.5], "delta": [0.1, 0.3, 0.7]}, n=0).to_frame()
    assert len(frame) == 6
    for row in frame.itertuples():
        eqs = gk.equilibria(TRAP.with_parameters(R=row.R, delta=row.delta))
        names = sorted(e.name or ", ".join(e.profile) for e in eqs.stable())
        assert sorted(row.stable.split("; ")) == (names or ["none"])


def test_one_dimensional_sweep_shares_sum_to_one_and_follow_the_threshold():
    frame = gk.sweep(TRAP, {"R": [2.0, 4.0]}, n=200, t_end=150, rng=3).to_frame()
    for _, group in frame.groupby("R"):
        assert abs(group.share.sum() - 1) < 1e-12
        assert (group.ci_low <= group.share).all() and (group.share <= group.ci_high).all()
    at4 = frame[frame.R == 4.0]
    # R > Cg + S = 3 makes the meta-goal stable: the cycling orbits now reach it
    assert "meta-goal" in at4.stable.iloc[0]
    assert "cycling on workers=claim" not in set(at4.outcome)
    assert "regulate, insure, claim" in set(at4.outcome)


def test_scenario_list():
    frame = gk.sweep(gk.models.platform_insurance(), ["trap", "meta_goal"], n=100, t_end=100).to_frame()
    assert list(frame.scenario.unique()) == ["trap", "meta_goal"]
    meta = frame[frame.scenario == "meta_goal"]
    assert list(meta.outcome) == ["regulate, insure, claim"] and meta.stable.iloc[0] == "meta-goal"


@pytest.mark.slow
def test_same_numbers_on_a_dask_local_cluster():
    distributed = pytest.importorskip("dask.distributed")
    grid = {"R": [2.0, 4.0], "K": [1.0, 2.5]}
    local = gk.sweep(TRAP, grid, n=60, t_end=80, rng=5)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            remote = gk.sweep(TRAP, grid, n=60, t_end=80, rng=5, client=client, batch_orbits=60, progress=False)
    assert remote.to_frame().equals(local.to_frame())
    assert remote.counts == local.counts


def test_sweep_bad_input():
    with pytest.raises(gk.ParameterError, match="cannot sweep 'Q'"):
        gk.sweep(TRAP, {"Q": [1, 2]})
    with pytest.raises(gk.ParameterError, match="finite"):
        gk.sweep(TRAP, {"R": [1, np.nan]})
    with pytest.raises(gk.ParameterError, match="no scenario named 'x'"):
        gk.sweep(TRAP, ["x"])


def test_sweep_result_is_typed_pickles_and_prints_briefly():
    import pickle

    result = gk.sweep(TRAP, {"R": [2.0, 4.0]}, n=50, t_end=80, rng=7)
    assert isinstance(result, gk.SweepResult) and len(result) == 2
    assert result.parameters == ("R",) and result.n == 50 and result.rng == 7
    assert repr(result) == "SweepResult(2 points over R; 50 orbits each to t=80, seed 7)"
    assert "<table" in result._repr_html_()
    again = pickle.loads(pickle.dumps(result))
    assert again.counts == result.counts and again.stable == result.stable
    assert again.to_frame().equals(result.to_frame())
    frame = result.to_frame()
    for i, point in enumerate(result.points):
        rows = frame[frame.R == point["R"]]
        assert dict(zip(rows.outcome, rows.share)) == result.shares(i)
        assert sum(k for _, k in result.counts[i]) == 50
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.n = 3


def test_analytic_only_sweep_has_one_row_per_point():
    result = gk.sweep(TRAP, ["trap", "meta-goal", {"R": 4.0}], n=0)
    frame = result.to_frame()
    assert list(frame.scenario) == ["trap", "meta-goal", "#2"] and frame.share.isna().all()
    assert result.shares(0) == {} and repr(result).endswith("analytic only)")
