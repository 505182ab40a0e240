"""The compiled kernel in two halves (``gamekit._kernels.dopri_numba``): the driver's vectorised loops, and its scalar
per-lane passes compiled apart from it and called through their addresses.

The passes load orbits and parameter segments into lanes, take the first stage of a loaded lane, sample the
observation window by dense output, and write out output times, finished orbits and refills.  One case below
exercises all of them at once (more orbits than lanes, three parameter segments, per-orbit payoffs, orbits on
faces, output times at the start, at a segment boundary and at the end, a window, a step limit some orbits hit);
the oracle is the numpy twin ``integrate_numpy``, which shares none of the compiled code.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import gamekit as gk
from gamekit.space import StateSpace

numba = pytest.importorskip("numba")

PLATFORM = gk.load("platform-insurance")
AGREE = 1e-7  # the two backends agree to rounding, amplified along an orbit at rtol 1e-8


def _case(max_steps: int):
    from gamekit._kernels.layout import tables

    game = PLATFORM.scenario("trap")
    rng = np.random.default_rng(3)
    n = 150  # more than two batches of lanes: finished orbits hand their lanes to the next ones
    full = StateSpace(game.shape).sample(n, rng)
    full[::7, 0], full[::7, 1] = 0.0, 1.0  # a face: the first population's first strategy extinct
    base = np.array([t.ravel() for t in game.numeric_payoffs()])
    scale = rng.uniform(0.5, 2.0, size=(3, n, 1, 1))  # three segments, payoffs per orbit
    pay = scale * base[None, None]
    off, _, others, flat, nq = tables(game.shape)
    bounds = np.array([0.0, 7.5, 20.0, 40.0])
    t_eval = np.array([0.0, 3.0, 7.5, 33.0, 40.0])
    return full, pay, (off, others, flat, nq, bounds, t_eval, 20.0, 1e-8, 1e-10, max_steps)


@pytest.mark.parametrize("max_steps", [10**6, 120])
def test_every_pass_against_the_numpy_twin(max_steps):
    """Final states, window boxes and turning points, stored states, step counts and statuses of both kernels."""
    from gamekit._kernels import dopri

    full, pay, args = _case(max_steps)
    sig, box, turns, out, steps, status = dopri.integrate_numba(full, pay, *args)
    want = dopri.integrate_numpy(full, pay, *args)
    assert np.array_equal(status, want[5]) and np.array_equal(steps, want[4])
    if max_steps == 120:
        assert 0 < status.sum() < len(status)  # some orbits stopped at the limit, the others finished
    done = status == 0
    assert np.allclose(sig, want[0], rtol=0, atol=AGREE)
    assert np.allclose(box[done], want[1][done], rtol=0, atol=AGREE) and np.array_equal(turns[done], want[2][done])
    stored = ~np.isnan(want[3])
    assert stored.all() or max_steps == 120  # (an orbit stopped early has no state after it stopped)
    assert np.allclose(out[stored], want[3][stored], rtol=0, atol=AGREE)
    assert np.allclose(out[:, 0], full)  # t = 0: the initial state, written by the pass that starts a lane


def test_non_contiguous_inputs_give_the_same_results():
    """The passes read the caller's arrays by address: a strided view is copied to C order first, not misread."""
    from gamekit._kernels import dopri

    full, pay, args = _case(10**6)
    wide = np.zeros((full.shape[0], 2 * full.shape[1]))
    wide[:, ::2] = full
    a = dopri.integrate_numba(full, pay, *args)
    b = dopri.integrate_numba(wide[:, ::2], np.asfortranarray(pay), *args)
    for x, y in zip(a, b):
        assert np.array_equal(x, y, equal_nan=True)


def test_the_child_compiles_the_driver_alone(tmp_path):
    """``warm`` (the child process of a first run) compiles the driver from the signatures alone: its cache folder
    then holds the driver and no pass and no right-hand side, which the calling process compiles meanwhile."""
    from gamekit._kernels import warm

    env = {**os.environ, "GAMEKIT_CACHE_DIR": str(tmp_path / "cache"), "NUMBA_CACHE_DIR": str(tmp_path / "other")}
    subprocess.run([sys.executable, warm.__file__], env=env, check=True, timeout=600)
    numba_folder = tmp_path / "cache" / "numba"
    indexes = [p.name for p in numba_folder.rglob("*.nbi")]
    assert any("_run_range" in name for name in indexes)
    assert not any(name for name in indexes if "_lanes" in name or "_window_samples" in name or "rhs" in name)
    assert [p.name for p in numba_folder.rglob("driver.ok")] == ["driver.ok"]


def test_the_cli_starts_the_driver_before_loading_the_model(monkeypatch):
    """``gamekit simulate`` starts the background compilation before it reads the model file (once it is sure to
    run the replicator's compiled kernel), and not for a run with noise or other dynamics."""
    from gamekit import cli
    from gamekit._kernels import cache

    calls = []
    monkeypatch.setattr(cache, "compile_driver_in_background", lambda: calls.append("driver"))

    def stop(args):
        calls.append("model")
        raise gk.ModelError("stop here")

    monkeypatch.setattr(cli, "_game", stop)
    assert cli.main(["simulate", "platform-insurance", "--scenario", "trap"]) == 2
    assert calls == ["driver", "model"]
    for other in (["--noise", "platform.insure=0.1"], ["--dynamics", "logit:0.5"]):  # (other kernels)
        calls.clear()
        assert cli.main(["simulate", "platform-insurance", *other]) == 2
        assert calls == ["model"]


def test_threads_sharing_the_orbits_give_each_orbit_its_result_alone():
    """The replicator's driver, like the other dynamics', runs one call per core taking orbits one at a time from a
    shared counter: an orbit's result (final state, steps, window boxes) is the one it gets alone, whichever lane
    and thread took it, for fixed payoff tables with one parameter row per orbit and for a model's own RHS."""
    trap = PLATFORM.scenario("trap")
    starts = np.random.default_rng(11).random((700, 3))
    rows = {"R": np.linspace(2.0, 30.0, 700)}
    fine = gk.load("platform-insurance-dynamic-fine").scenario("trap")
    for game, extra in ((trap, {"parameters": rows}), (fine, {})):
        together = gk.simulate(game, starts, 30.0, backend="numba", **extra)
        for part in (slice(0, 1), slice(300, 390), slice(699, 700)):
            sub = {k: {n: v[part] for n, v in val.items()} for k, val in extra.items()}
            alone = gk.simulate(game, starts[part], 30.0, backend="numba", **sub)
            assert np.array_equal(alone.final, together.final[part])
            assert np.array_equal(alone.steps, together.steps[part])
            assert list(alone.outcome) == list(together.outcome[part])
