"""The per-model right-hand side (gamekit._kernels.rhs_field): sums of a whole population's shares merged.

``_shares_sum_to_one`` rewrites ``c m (s_a + ... + s_z)`` as ``c m``.  The oracle is exact arithmetic: on every
point of the simplex (rational shares that sum to one exactly) the rewritten payoff equals the payoff as written,
whatever the polynomial.  The compiled kernel is checked against the numpy payoffs of the expressions as
written (no merging there), lane by lane, faces and every reference strategy included.
"""

import importlib
import itertools

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gamekit as gk
from gamekit._kernels.rhs_field import _shares_sum_to_one

sim = importlib.import_module("gamekit.simulate")  # the module (gamekit.simulate is also the function)


def share_symbols(shape):
    groups, k = [], 0
    for n in shape:
        groups.append([sympy.Symbol(f"s{k + i}", real=True) for i in range(n)])
        k += n
    return groups


def simplex_point(groups, rng):
    """Rational shares, each population's summing to one exactly."""
    point = {}
    for g in groups:
        w = [sympy.Rational(int(x), 997) for x in rng.integers(0, 997, len(g) - 1)]
        total = sum(w)
        if total > 1:
            w = [x / (2 * total) for x in w]
        point.update(zip(g, [*w, 1 - sum(w)]))
    return point


@st.composite
def polynomial_payoffs(draw):
    """A payoff written as a sum over pure profiles (the form expected payoffs take), plus a few monomials of
    higher degree, with integer and parameter coefficients."""
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    groups = share_symbols(shape)
    q = sympy.symbols("q0:3", real=True)
    coef = st.sampled_from([0, 1, -2, 3, q[0], q[1] * q[2], q[0] - q[1], 2 * q[2] + 1])
    expr = sympy.Integer(0)
    for profile in itertools.product(*[range(n) for n in shape]):
        expr += draw(coef) * sympy.Mul(*(g[i] for g, i in zip(groups, profile)))
    for _ in range(draw(st.integers(0, 3))):
        g = draw(st.sampled_from(groups))
        expr += draw(coef) * draw(st.sampled_from(g)) ** draw(st.integers(2, 3))
    return sympy.expand(expr), groups, list(q)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(polynomial_payoffs(), st.integers(0, 2**32 - 1))
def test_merging_keeps_every_payoff_on_the_simplex(case, seed):
    expr, groups, q = case
    merged = _shares_sum_to_one(expr, groups, q)
    rng = np.random.default_rng(seed)
    for _ in range(4):
        point = simplex_point(groups, rng)
        point.update({p: sympy.Rational(int(rng.integers(-50, 50)), 7) for p in q})
        assert sympy.expand(merged.xreplace(point) - expr.xreplace(point)) == 0


def test_a_payoff_that_ignores_a_population_stops_multiplying_by_its_shares():
    (a0, a1), (b0, b1, b2) = groups = share_symbols((2, 3))
    q0, q1 = q = sympy.symbols("q0 q1", real=True)
    # the same payoff whatever the second population plays: (q0 a0 + q1 a1)(b0 + b1 + b2) written out
    expr = sympy.expand((q0 * a0 + q1 * a1) * (b0 + b1 + b2))
    assert sympy.expand(_shares_sum_to_one(expr, groups, q) - (q0 * a0 + q1 * a1)) == 0
    # a constant payoff, written over all six profiles, is the constant
    assert _shares_sum_to_one(sympy.expand(q0 * (a0 + a1) * (b0 + b1 + b2)), groups, q) == q0
    # a payoff that depends on every strategy keeps its terms
    assert _shares_sum_to_one(a0 * b0 + a1 * b1 + 2 * a1 * b2, groups, q) == a0 * b0 + a1 * b1 + 2 * a1 * b2


def test_what_is_not_a_polynomial_is_left_as_written():
    (a0, a1), (b0, b1) = groups = share_symbols((2, 2))
    q0 = sympy.Symbol("q0", real=True)
    for expr in (
        sympy.sqrt(a0) * (b0 + b1),
        sympy.Piecewise((1, a0 - q0 >= 0), (0, True)) * (b0 + b1),
        sympy.sqrt(q0) * a0 * (b0 + b1),  # a coefficient that is not a polynomial in the parameters
        a0 * b0 + a1 * b1,  # nothing to merge
    ):
        assert _shares_sum_to_one(expr, groups, [q0]) is expr


@pytest.mark.parametrize("name", ["platform-insurance-dynamic-fine", "inspection-dynamic-fine", "rock-paper-scissors"])
def test_the_compiled_field_gives_the_payoff_differences_as_written(name):
    """Lane by lane: out[i] = u_i - u_ref from the numpy payoffs of the unmerged expressions, at random states,
    on faces (a strategy extinct: out is 0 there) and with every choice of reference strategy."""
    pytest.importorskip("numba")
    from gamekit._kernels.primitives import LANES

    game = gk.load(name)
    fld = sim.field_of(game)
    rhs = fld.load(LANES)
    shape, d = game.shape, sum(game.shape)
    off = np.concatenate([[0], np.cumsum(shape)])
    rng = np.random.default_rng(7)
    sig = np.concatenate([rng.dirichlet(np.ones(n), LANES) for n in shape], axis=1)  # (L, D)
    ref = np.stack([rng.integers(off[p], off[p + 1], LANES) for p in range(len(shape))], axis=1)
    alive = np.ones((LANES, d))
    for ln in range(0, LANES, 3):  # faces: one strategy extinct (never the reference)
        p = rng.integers(len(shape))
        if shape[p] > 1:
            i = rng.choice([j for j in range(off[p], off[p + 1]) if j != ref[ln, p]])
            alive[ln, i] = 0.0
            sig[ln, i] = 0.0
            sig[ln, off[p] : off[p + 1]] /= sig[ln, off[p] : off[p + 1]].sum()
    theta = np.array([float(v) for v in game.parameters.values()])
    u = fld.payoffs(sig, theta[None, :])
    want = np.zeros((LANES, d))
    for p in range(len(shape)):
        a, z = off[p], off[p + 1]
        want[:, a:z] = np.where(alive[:, a:z] > 0, u[:, a:z] - u[np.arange(LANES), ref[:, p]][:, None], 0.0)
    with np.errstate(divide="ignore"):
        logs = np.where(alive > 0, np.log(np.where(alive > 0, sig, 1.0)), 0.0)
    owner = np.repeat(np.arange(len(shape)), shape)
    v = np.ascontiguousarray((logs - np.where(alive > 0, logs[np.arange(LANES)[:, None], ref[:, owner]], 0.0)).T)
    width = max(len(theta), 1)
    pay = np.zeros((len(shape), width, LANES))
    pay[0, : len(theta)] = theta[:, None]
    al = np.ascontiguousarray(alive.T)
    refs = np.ascontiguousarray(ref.T.astype(np.int64))
    out_sig, out = np.zeros((d, LANES)), np.zeros((d, LANES))
    rhs.ctypes(*(x.ctypes.data for x in (v, al, refs, pay, out_sig, out)), 0, 0)
    assert np.allclose(out_sig.T, sig, rtol=1e-13, atol=1e-15)
    scale = max(1.0, float(np.max(np.abs(u))))
    assert np.allclose(out.T, want, rtol=0, atol=1e-13 * scale)
    assert np.all(out.T[alive == 0] == 0.0)
