"""gk.continuation: branches of rest points in one parameter and their bifurcation points (issue #11).

Every reference is computed here, independently of gamekit's continuation: closed forms from the payoff tables
(sympy on the model's own payoff expressions), scipy's bounded minimiser for the stag hunt's fold, a finite-difference
Jacobian of a field written out in numpy, and gk.equilibria (a different algorithm: face by face at one value).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp
from scipy.optimize import minimize_scalar
from scipy.stats import binom

import gamekit as gk
from gamekit.cli import main

TRAP_R = (0, 8)


@pytest.fixture(scope="module")
def trap():
    return gk.load("platform-insurance").scenario("trap")


@pytest.fixture(scope="module")
def trap_r(trap):
    return gk.continuation(trap, "R", TRAP_R)


def _flat(state) -> np.ndarray:
    return np.concatenate([np.asarray(s, float) for s in state])


def _at(result, value, state, kind=None, tol=1e-9):
    """The bifurcation points of ``result`` at ``value`` and ``state`` (first shares), of ``kind`` if given."""
    out = []
    for b in result.bifurcations:
        firsts = np.array([s[0] for s in b.state])
        if abs(float(b.value) - value) <= tol and np.max(np.abs(firsts - np.asarray(state))) <= 1e-6:
            if kind is None or b.kind == kind:
                out.append(b)
    return out


def _branch(result, support):
    return [b for b in result.branches if b.support == support]


# -- platform model, trap values, R from 0 to 8 ------------------------------------------------------------------


def test_trap_meta_goal_turns_stable_at_R_equal_Cg_plus_S(trap, trap_r):
    p = trap.parameters
    switch = p["Cg"] + p["S"]  # the government's gain of relaxing at (insure, claim) is Cg + S - R
    assert switch == 3
    (meta,) = _branch(trap_r, (("regulate",), ("insure",), ("claim",)))
    for pt in meta.points:
        # eigenvalues = switch gains read off the payoff table: government Cg + S - R, platform, workers
        gains = [
            trap.payoff("relax, insure, claim", 0) - trap.payoff("regulate, insure, claim", 0),
            trap.payoff("regulate, evade, claim", 1) - trap.payoff("regulate, insure, claim", 1),
            trap.payoff("regulate, insure, accept", 2) - trap.payoff("regulate, insure, claim", 2),
        ]
        values = {trap.symbols[k]: v for k, v in trap.parameters.items()}
        values[trap.symbols["R"]] = pt.value
        expected = sorted(float(g.subs(values)) for g in gains)
        assert np.allclose(sorted(z.real for z in pt.eigenvalues), expected, atol=1e-12)
        if pt.value < switch:
            assert pt.stability is gk.Stability.SADDLE
        elif pt.value > switch:
            assert pt.stability is gk.Stability.ASYMPTOTICALLY_STABLE
    (bif,) = _at(trap_r, 3.0, (1, 1, 1))
    assert bif.exact and bif.value == sympy.Integer(3) and str(bif).startswith(f"{bif.kind} at 3,")


def test_a_wide_interval_gives_the_same_bifurcations_and_none_outside_it(trap):
    # Hostile finding 6: over R in (0, 1e12) the zero band (relative to the payoff scale, which grows with R) widened
    # until the R-independent eigenvalues at the y = 0 vertices fell in it (four spurious points near 5e9), and the
    # crossing at R = -13 slipped in through a tolerance proportional to the interval.  Oracle: the eigenvalues at a
    # pure profile are its switch gains read off the payoff table; at the y = 0 vertices they do not involve R.
    wide = gk.continuation(trap, "R", (0, 10**12))
    values = {trap.symbols[k]: v for k, v in trap.parameters.items() if k != "R"}
    for b in wide.bifurcations:
        assert 0 <= float(b.value) <= 1e12
    assert {float(b.value) for b in wide.bifurcations} == {3.0}
    for profile in ("regulate, evade, claim", "relax, evade, accept", "regulate, evade, accept", "relax, evade, claim"):
        idx = trap.profile_index(profile)
        gains = []
        for pop in range(3):
            other = list(idx)
            other[pop] = 1 - idx[pop]
            gain = trap.payoff(tuple(other), pop) - trap.payoff(tuple(idx), pop)
            assert trap.symbols["R"] not in gain.free_symbols
            gains.append(float(gain.subs(values)))
        support = tuple((trap.populations[p].strategies[i],) for p, i in enumerate(idx))
        (branch,) = _branch(wide, support)
        for pt in branch.points:
            assert np.allclose(sorted(z.real for z in pt.eigenvalues), sorted(gains), atol=1e-9)


def test_trap_face_centre_reaches_the_edge_exactly_at_3(trap, trap_r):
    # the face centre from the payoff table: government and platform indifferent with workers claiming
    x, y, R = sympy.symbols("x y R")
    vals = {trap.symbols[k]: sympy.Rational(str(v)) for k, v in trap.parameters.items() if k != "R"}
    vals[trap.symbols["R"]] = R

    def u(p, profile_fn):
        return sympy.expand(sum(w * trap.payoff(prof, p).xreplace(vals) for w, prof in profile_fn))

    gov = u(0, [(y, "regulate, insure, claim"), (1 - y, "regulate, evade, claim")]) - u(
        0, [(y, "relax, insure, claim"), (1 - y, "relax, evade, claim")]
    )
    plat = u(1, [(x, "regulate, insure, claim"), (1 - x, "relax, insure, claim")]) - u(
        1, [(x, "regulate, evade, claim"), (1 - x, "relax, evade, claim")]
    )
    sol = sympy.solve([gov, plat], [x, y], dict=True)[0]
    assert sol[x] == sympy.Rational(11, 21) and sympy.simplify(sol[y] - 10 / (13 - R)) == 0
    support = (("regulate", "relax"), ("insure", "evade"), ("claim",))
    (centre,) = _branch(trap_r, support)
    assert sympy.simplify(centre.exact[1][0] - sol[y].subs(R, trap.symbols["R"])) == 0
    for pt in centre.points:
        assert pt.state[0][0] == pytest.approx(11 / 21, abs=1e-12)
        assert pt.state[1][0] == pytest.approx(10 / (13 - pt.value), abs=1e-12)
    assert max(pt.value for pt in centre.points) == 3.0  # it ends where y reaches 1
    (meets,) = _at(trap_r, 3.0, (11 / 21, 1, 1), kind="transcritical")
    assert meets.exact and meets.value == 3


def test_trap_edge_is_a_line_of_rest_points_at_3(trap, trap_r):
    lines = [
        b for b in _at(trap_r, 3.0, (0.5, 1, 1), kind="degenerate", tol=0) if b.state[1][0] == 1 and b.state[2][0] == 1
    ]
    assert lines and lines[0].value == 3 and "line of rest points" in lines[0].note
    # gk.equilibria at R = 3 (face by face, a different algorithm) finds the same continuum
    at3 = gk.equilibria(trap.with_parameters(R=3))
    assert any(c.support == (("regulate", "relax"), ("insure",), ("claim",)) for c in at3.continua)
    at2 = gk.equilibria(trap.with_parameters(R=2.5))
    assert not any(c.support == (("regulate", "relax"), ("insure",), ("claim",)) for c in at2.continua)


def test_trap_labels_agree_with_equilibria(trap, trap_r):
    for br in trap_r.branches:
        for pt in br.points[:: max(1, len(br.points) // 4)]:
            eqs = gk.equilibria(trap.with_parameters(R=pt.value), exact=False)
            same = [e for e in eqs if np.max(np.abs(_flat(e.state) - _flat(pt.state))) <= 1e-7]
            assert len(same) == 1 and same[0].stability is pt.stability


def test_trap_through_the_cli_json(capsys):
    code = main(["continue", "platform-insurance", "--scenario", "trap", "--parameter", "R", "--from", "0", "--to", "8",
                 "--json"])  # fmt: skip
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"model", "parameter", "branches", "bifurcations"} and out["parameter"] == "R"
    assert all(set(b) == {"points"} for b in out["branches"])
    pt = out["branches"][0]["points"][0]
    assert set(pt) == {"value", "state", "eigenvalues", "stability"}
    assert all(len(z) == 2 for z in pt["eigenvalues"])  # [re, im] pairs, as gamekit analyze --json
    assert all(set(b) == {"kind", "value", "state"} for b in out["bifurcations"])
    at3 = [b for b in out["bifurcations"] if b["value"] == 3.0]
    states = {(b["kind"], tuple(round(s[0], 9) for s in b["state"])) for b in at3}
    assert ("transcritical", (round(11 / 21, 9), 1.0, 1.0)) in states
    assert any(k == "degenerate" and s[1:] == (1.0, 1.0) and 0 < s[0] < 1 for k, s in states)
    assert any(s == (1.0, 1.0, 1.0) for _, s in states)


# -- hawk-dove, C = 4, V from 0.5 to 8 ----------------------------------------------------------------------------


def test_hawk_dove_interior_meets_pure_hawk_at_V_equal_C():
    game = gk.load("hawk-dove").with_parameters(C=4)
    res = gk.continuation(game, "V", (0.5, 8))
    (mixed,) = _branch(res, (("hawk", "dove"),))
    C = 4.0
    for pt in mixed.points:
        assert pt.state[0][0] == pytest.approx(pt.value / C, abs=1e-12)  # the closed form x = V/C
        # the eigenvalue of x (1 - x)(V - C x)/2 at x = V/C, differentiated by hand
        assert pt.eigenvalues[0].real == pytest.approx(-pt.value * (C - pt.value) / (2 * C), abs=1e-12)
    (bif,) = _at(res, 4.0, (1.0,))
    assert bif.kind == "transcritical" and bif.exact and bif.value == 4
    (hawk,) = _branch(res, (("hawk",),))
    for pt in hawk.points:  # eigenvalue at x = 1: (C - V)/2
        assert pt.eigenvalues[0].real == pytest.approx((C - pt.value) / 2, abs=1e-12)
        if pt.value != 4:
            assert (pt.stability is gk.Stability.ASYMPTOTICALLY_STABLE) == (pt.value > 4)


def test_hawk_dove_through_the_cli(capsys):
    assert (
        main(["continue", "hawk-dove", "--set", "C=4", "--parameter", "V", "--from", "0.5", "--to", "8", "--json"]) == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert [(b["kind"], b["value"], b["state"]) for b in out["bifurcations"]] == [("transcritical", 4.0, [[1.0, 0.0]])]


# -- ten-person stag hunt, M = 5, c = 1, F from 4 to 8 -------------------------------------------------------------


def _stag_fold() -> tuple[float, float]:
    """F* = c / max_x g(x), g(x) = P(K = 4)/2 + P(K >= 5)/10, K ~ Binomial(9, x): u(coop) - u(defect) = F g(x) - c."""

    def g(x):
        return binom.pmf(4, 9, x) / 2 + binom.sf(4, 9, x) / 10

    res = minimize_scalar(lambda x: -g(x), bounds=(0, 1), method="bounded", options={"xatol": 1e-12})
    return 1.0 / g(res.x), res.x


def test_stag_hunt_fold():
    f_star, x_star = _stag_fold()
    assert f_star == pytest.approx(5.778781, abs=1e-6)
    game = gk.load("stag-hunt").with_parameters(M=5, c=1)
    res = gk.continuation(game, "F", (4, 8))
    folds = [b for b in res.bifurcations if b.kind == "fold"]
    assert len(folds) == 1
    assert float(folds[0].value) == pytest.approx(f_star, abs=1e-8)
    assert folds[0].state[0][0] == pytest.approx(x_star, abs=1e-5)
    assert folds[0].state[0][0] == pytest.approx(0.5, abs=1e-6)
    (interior,) = _branch(res, (("cooperate", "defect"),))
    assert min(p.value for p in interior.points) == pytest.approx(f_star, abs=1e-6)
    # at F = 8 the two interior points of the model's docstring: 0.346798 (unstable) and 0.706795 (stable)
    ends = sorted((p.state[0][0], p.stability) for p in interior.points if p.value == 8)
    assert [round(x, 6) for x, _ in ends] == [0.346798, 0.706795]
    assert [s for _, s in ends] == [gk.Stability.UNSTABLE, gk.Stability.ASYMPTOTICALLY_STABLE]
    for p in interior.points:  # rest points of the closed form: F g(x) = c
        x = p.state[0][0]
        assert abs(p.value * (binom.pmf(4, 9, x) / 2 + binom.sf(4, 9, x) / 10) - 1) < 1e-9


def test_stag_hunt_fold_through_the_cli(capsys):
    assert main(["continue", "stag-hunt", "--parameter", "F", "--from", "4", "--to", "8", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    folds = [b for b in out["bifurcations"] if b["kind"] == "fold"]
    assert len(folds) == 1 and folds[0]["value"] == pytest.approx(_stag_fold()[0], abs=1e-8)


# -- inspection game with the fine F (dyn y + 1 - dyn), dyn from -0.5 to 1 ---------------------------------------

INSPECTION = """
name = "Inspection game, fine between static and dynamic"
[populations]
inspector = ["inspect", "ignore"]
firm = ["violate", "comply"]
[parameters]
c = 1
F = 4
g = 1
dyn = 1
[shares]
y = "firm.violate"
[payoffs]
"inspect, violate" = ["F*(dyn*y + 1 - dyn) - c", "g - F*(dyn*y + 1 - dyn)"]
"inspect, comply" = ["-c", "0"]
"ignore, violate" = ["0", "g"]
"ignore, comply" = ["0", "0"]
"""


def _inspection_field(xy, dyn, c=1.0, F=4.0, g=1.0):
    x, y = xy
    fine = F * (dyn * y + 1 - dyn)
    return np.array([x * (1 - x) * (y * fine - c), y * (1 - y) * (g - x * fine)])


def _fd_jacobian(f, z, h=1e-6):
    z = np.asarray(z, float)
    return np.column_stack([(f(z + h * e) - f(z - h * e)) / (2 * h) for e in np.eye(len(z))])


@pytest.fixture(scope="module")
def inspection(tmp_path_factory):
    path = tmp_path_factory.mktemp("models") / "inspection_dyn.toml"
    path.write_text(INSPECTION)
    return gk.load(str(path)), str(path)


def test_inspection_hopf_at_dyn_zero(inspection):
    game, _ = inspection
    res = gk.continuation(game, "dyn", (-0.5, 1))
    hopf = [b for b in res.bifurcations if b.kind == "hopf"]
    assert len(hopf) == 1
    assert abs(float(hopf[0].value)) < 1e-9
    assert [s[0] for s in hopf[0].state] == pytest.approx([0.25, 0.25], abs=1e-9)
    # the static game's Jacobian at (c/F, g/F), by finite differences of the field written out above
    J = _fd_jacobian(lambda z: _inspection_field(z, 0.0), [0.25, 0.25])
    ref = np.sort_complex(np.linalg.eigvals(J))
    assert np.allclose(ref, [-0.75j, 0.75j], atol=1e-8)
    assert np.allclose(np.sort_complex(np.array(hopf[0].eigenvalues)), ref, atol=1e-8)
    assert "degenerate" in hopf[0].note  # a centre surrounded by closed orbits at dyn = 0
    (interior,) = _branch(res, (("inspect", "ignore"), ("violate", "comply")))
    for pt in interior.points:
        J = _fd_jacobian(lambda z, d=pt.value: _inspection_field(z, d), [s[0] for s in pt.state])
        re = np.linalg.eigvals(J).real
        assert np.max(np.abs(_inspection_field([s[0] for s in pt.state], pt.value))) < 1e-12
        if abs(pt.value) > 1e-3:
            assert (pt.stability is gk.Stability.ASYMPTOTICALLY_STABLE) == bool(np.all(re < 0))
            assert (pt.value > 0) == bool(np.all(re < 0))


def test_inspection_through_the_cli(inspection, capsys):
    _, path = inspection
    assert main(["continue", path, "--parameter", "dyn", "--from", "-0.5", "--to", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    (hopf,) = [b for b in out["bifurcations"] if b["kind"] == "hopf"]
    assert abs(hopf["value"]) < 1e-9 and [s[0] for s in hopf["state"]] == pytest.approx([0.25, 0.25], abs=1e-9)


@pytest.mark.parametrize("b", [4, -4])
def test_hopf_side_from_the_first_lyapunov_coefficient_matches_simulation(tmp_path, b):
    """Fine F (1 + a (y - 1/4) + b (y - 1/4)^2): the interior stays at (1/4, 1/4) and turns at a = 0.  The sign of
    the first Lyapunov coefficient says whether a small stable cycle surrounds the point on its unstable side
    (a < 0); DOP853 on the field written out here says the same."""
    fine = f"F*(1 + a*(y - 1/4) + {b}*(y - 1/4)^2)"
    path = tmp_path / "hopf.toml"
    path.write_text(INSPECTION.replace("F*(dyn*y + 1 - dyn)", fine).replace("dyn = 1", "a = 0"))
    res = gk.continuation(gk.load(str(path)), "a", (-1, 1))
    (hopf,) = [h for h in res.bifurcations if h.kind == "hopf"]
    assert abs(float(hopf.value)) < 1e-9 and [s[0] for s in hopf.state] == pytest.approx([0.25, 0.25], abs=1e-9)

    def field(t, z, a=-0.05):
        x, y = z
        phi = 4 * (1 + a * (y - 0.25) + b * (y - 0.25) ** 2)
        return [x * (1 - x) * (y * phi - 1), y * (1 - y) * (1 - x * phi)]

    sol = solve_ivp(field, (0, 1500), [0.26, 0.25], method="DOP853", rtol=1e-10, atol=1e-12, dense_output=True)
    late = sol.sol(np.linspace(1000, 1500, 4000))
    amplitude = np.max(np.hypot(late[0] - 0.25, late[1] - 0.25))
    if "supercritical" in hopf.note:  # a small stable cycle: the orbit settles on it
        assert amplitude < 0.2
    else:
        assert "subcritical" in hopf.note and amplitude > 0.5  # no small stable cycle: it runs away


def test_branch_born_between_seeds_is_found_where_it_is_born():
    """Dynamic fine, trap, F from 2 to 30, seeded only at the ends: the face where the platform and the workers mix
    under regulation holds rest points only for F in (5, 25); it is found from the transcritical points where the
    smaller faces' branches change stability, and each of its points is the rest point gk.equilibria finds there."""
    game = gk.load("platform-insurance-dynamic-fine").scenario("trap")
    res = gk.continuation(game, "F", (2, 30), seeds=2)
    (inner,) = _branch(res, (("regulate",), ("insure", "evade"), ("claim", "accept")))
    assert min(inner.values) == pytest.approx(5, abs=1e-9) and max(inner.values) == pytest.approx(25, abs=1e-6)
    for pt in inner.points[5::20]:
        eqs = gk.equilibria(game.with_parameters(F=pt.value), exact=False)
        same = [e for e in eqs if e.support == inner.support]
        assert len(same) == 1 and np.max(np.abs(_flat(same[0].state) - _flat(pt.state))) < 1e-9
        assert same[0].stability is pt.stability
    for end in (5, 25):
        assert any(
            b.kind == "transcritical" and float(b.value) == pytest.approx(end, abs=1e-6) for b in res.bifurcations
        )


# -- one population: rock-paper-scissors, w from 0.5 to 3 (l = 1) --------------------------------------------------


def _rps_field(x3, w, loss=1.0):
    A = np.array([[0, -loss, w], [w, 0, -loss], [-loss, w, 0]], float)
    u = A @ x3
    return x3 * (u - x3 @ u)


def test_rock_paper_scissors_hopf_at_w_equal_l():
    game = gk.load("rock-paper-scissors").with_parameters(l=1)
    res = gk.continuation(game, "w", (0.5, 3))
    (hopf,) = [b for b in res.bifurcations if b.kind == "hopf"]
    assert hopf.exact and hopf.value == 1  # the centre's trace (l - w)/3 vanishes: exact on this linear face
    assert hopf.state[0] == pytest.approx((1 / 3, 1 / 3, 1 / 3), abs=1e-12)
    assert "degenerate" in hopf.note  # zero-sum: closed orbits around the centre
    (centre,) = _branch(res, (("rock", "paper", "scissors"),))
    for pt in centre.points[::10]:
        # tangent Jacobian by finite differences in (rock, paper), scissors eliminated
        def f(z, w=pt.value):
            return _rps_field(np.array([z[0], z[1], 1 - z[0] - z[1]]), w)[:2]

        ref = np.sort_complex(np.linalg.eigvals(_fd_jacobian(f, [1 / 3, 1 / 3])))
        assert np.allclose(np.sort_complex(np.array(pt.eigenvalues)), ref, atol=1e-7)
        if abs(pt.value - 1) > 1e-6:
            assert (pt.stability is gk.Stability.ASYMPTOTICALLY_STABLE) == (pt.value > 1)


# -- a payoff with an infinite derivative at the boundary -----------------------------------------------------------


def test_infinite_derivative_at_a_vertex_is_labelled_as_equilibria(tmp_path):
    path = tmp_path / "sqrt.toml"
    path.write_text(INSPECTION.replace("F*(dyn*y + 1 - dyn)", "F*sqrt(y)"))
    game = gk.load(str(path))
    res = gk.continuation(game, "F", (2, 6))
    json.dumps(res.to_json(), allow_nan=False)  # no NaN anywhere
    for br in res.branches:
        pt = br.points[len(br.points) // 2]
        eqs = gk.equilibria(game.with_parameters(F=pt.value), exact=False)
        same = [e for e in eqs if np.max(np.abs(_flat(e.state) - _flat(pt.state))) <= 1e-7]
        assert len(same) == 1 and same[0].stability is pt.stability


# -- property: every branch point is a rest point, labelled as gk.equilibria labels it ------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    a=st.lists(st.integers(-4, 4), min_size=4, max_size=4),
    b=st.lists(st.integers(-4, 4), min_size=4, max_size=4),
    where=st.integers(0, 7),
)
def test_branch_points_are_rest_points_labelled_as_equilibria(a, b, where):
    tables = [[str(v) for v in a], [str(v) for v in b]]
    pop, entry = divmod(where, 4)
    tables[pop][entry] = f"{tables[pop][entry]} + lam"
    profiles = ["s, l", "s, r", "t, l", "t, r"]
    game = gk.Game(
        populations={"row": ["s", "t"], "col": ["l", "r"]},
        payoffs={p: [tables[0][k], tables[1][k]] for k, p in enumerate(profiles)},
        parameters={"lam": 0},
    )
    res = gk.continuation(game, "lam", (-3, 3), points=41)
    A = np.array(a, float).reshape(2, 2)
    B = np.array(b, float).reshape(2, 2)
    for br in res.branches:
        for pt in br.points[:: max(1, len(br.points) // 5)]:
            Al, Bl = A.copy(), B.copy()
            (Al if pop == 0 else Bl)[divmod(entry, 2)] += pt.value
            x, y = pt.state[0][0], pt.state[1][0]
            ur, uc = Al @ [y, 1 - y], Bl.T @ [x, 1 - x]  # row's payoffs of s, t; col's of l, r
            field = [x * (1 - x) * (ur[0] - ur[1]), y * (1 - y) * (uc[0] - uc[1])]
            scale = max(1.0, np.max(np.abs(Al)), np.max(np.abs(Bl)))
            assert np.max(np.abs(field)) < 1e-9 * scale
            eqs = gk.equilibria(game.with_parameters(lam=pt.value), exact=False)
            same = [e for e in eqs if np.max(np.abs(_flat(e.state) - _flat(pt.state))) <= 1e-7]
            if not same:  # not isolated there: gk.equilibria lists a continuum through it
                assert eqs.continua
                continue
            assert same[0].stability is pt.stability
    # and, the other way round, every isolated rest point gk.equilibria finds at a value lies on a branch there
    lam = game.symbols["lam"]
    for v in (-2.5, 0.5, 1.75):
        for e in gk.equilibria(game.with_parameters(lam=v), exact=False):
            on = [
                br
                for br in res.branches
                if br.exact is not None
                and min(br.values) <= v <= max(br.values)
                and np.allclose([float(x.subs(lam, v)) for row in br.exact for x in row], _flat(e.state), atol=1e-9)
            ]
            assert on, f"{e} at lam = {v} is on no branch"


# -- the diagram ----------------------------------------------------------------------------------------------------


def test_plot_draws_stable_solid_unstable_dashed_and_marks_bifurcations(trap_r):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    before = dict(matplotlib.rcParams)
    fig, ax = plt.subplots()
    out = trap_r.plot(share="government", ax=ax)
    assert out is fig
    styles = {line.get_linestyle() for line in ax.lines if line.get_marker() in ("None", "", None)}
    assert "-" in styles and "--" in styles
    markers = [line for line in ax.lines if line.get_linestyle() == "None"]
    assert len(markers) == len(trap_r.bifurcations)
    assert {m.get_marker() for m in markers} == {"o", "X"}  # transcritical and degenerate points at R = 3
    assert ax.texts and all(t.get_text().endswith("R = 3") for t in ax.texts)
    assert ax.get_xlabel() == "R" and ax.get_ylabel() == "government.regulate"
    assert ax.get_xlim() == (0.0, 8.0)
    assert dict(matplotlib.rcParams) == before
    plt.close("all")
    assert ax.get_legend() is not None
    fig2 = trap_r.plot(share="platform.insure")  # a figure of its own without ax
    assert fig2.axes[0].get_ylabel() == "platform.insure"
    _, bare = plt.subplots()
    trap_r.plot(ax=bare, labels=False, legend=False)
    assert bare.get_legend() is None and not bare.texts
    plt.close("all")
    with pytest.raises(gk.ArgumentError, match="not a share"):
        trap_r.plot(share="nobody")


def test_result_prints_and_tabulates(trap_r):
    text = str(trap_r)
    assert "continuation in R from 0 to 8" in text and "transcritical at 3" in text
    assert repr(trap_r).startswith("Continuation(R:")
    frame = trap_r.to_frame()
    assert {"branch", "R", "government.regulate", "stability"} <= set(frame.columns)
    assert len(frame) == sum(len(b.points) for b in trap_r.branches)
    assert "| transcritical | 3 |" in trap_r._repr_markdown_()


# -- bad input: one line ------------------------------------------------------------------------------------------


def test_bad_input(trap):
    with pytest.raises(gk.ParameterError, match="'W' is not a parameter"):
        gk.continuation(trap, "W", (0, 1))
    with pytest.raises(gk.ArgumentError, match="lo must be below hi"):
        gk.continuation(trap, "R", (3, 3))
    with pytest.raises(gk.ParameterError, match="outside delta's declared bounds"):
        gk.continuation(trap, "delta", (0.5, 1.5))
    with pytest.raises(gk.ArgumentError, match="finite"):
        gk.continuation(trap, "R", (0, math.inf))
    with pytest.raises(gk.ArgumentError, match=r"interval must be \(lo, hi\)"):
        gk.continuation(trap, "R", (0, 1, 2))
    with pytest.raises(gk.ArgumentError, match="points must be an integer >= 3"):
        gk.continuation(trap, "R", (0, 1), points=2)
    with pytest.raises(gk.ArgumentError, match="zero_tol"):
        gk.continuation(trap, "R", (0, 1), zero_tol=0)
    with pytest.raises(gk.ArgumentError, match="game must be a gamekit Game"):
        gk.continuation("platform-insurance", "R", (0, 1))


def test_cli_writes_the_diagram(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    path = tmp_path / "diagram.png"
    args = ["continue", "hawk-dove", "--set", "C=4", "--parameter", "V", "--from", "0.5", "--to", "8"]
    assert main([*args, "--figure", str(path), "--share", "players.hawk"]) == 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"figure written to {path}" in capsys.readouterr().out
    assert main([*args, "--share", "players.hawk"]) == 2
    assert "give --figure" in capsys.readouterr().err
    assert main([*args, "--figure", str(path), "--share", "nobody"]) == 2
    assert capsys.readouterr().err.startswith("gamekit: error: share 'nobody' is not a share")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--parameter", "W", "--from", "0", "--to", "1"], "'W' is not a parameter"),
        (["--parameter", "R", "--from", "5", "--to", "1"], "lo must be below hi"),
        (["--parameter", "delta", "--from", "0", "--to", "2"], "outside delta's declared bounds"),
        (["--parameter", "R", "--from", "x", "--to", "1"], "invalid float value"),
        # hostile finding 10: "-inf" after a numeric option is its value, not an option ("expected one argument")
        (["--parameter", "R", "--from", "-inf", "--to", "3"], "must be a finite number"),
        (["--parameter", "R", "--from", "0", "--to", "-nan"], "must be a finite number"),
    ],
)
def test_cli_bad_input_one_line_exit_2(args, message, capsys):
    try:
        code = main(["continue", "platform-insurance", *args])
    except SystemExit as exit:  # argparse's own usage errors
        code = exit.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("gamekit: error:") and message in err


def test_cli_reads_a_value_in_exponent_form_that_starts_with_a_minus(capsys):
    # hostile finding 10: "--from -1e3" is the interval's start (argparse alone reads "-1e3" as an option)
    args = ["continue", "hawk-dove", "--set", "C=4", "--parameter", "V", "--json"]
    assert main([*args, "--from", "-1e-1", "--to", "8"]) == 0
    out = json.loads(capsys.readouterr().out)
    values = [pt["value"] for b in out["branches"] for pt in b["points"]]
    assert min(values) == -0.1 and max(values) == 8.0
