"""The shipped games of issue #9 say what their descriptions derive.

The oracle here shares no code with gamekit's dynamics: the replicator field is
written out by hand, as in each model file's description, and the model file's
payoff table is averaged by this module's own loop (pairwise matching, group
binomials, named shares substituted).  The two must agree symbolically, and the
hand-written field must have the rest points and eigenvalues the issue states.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy

import gamekit as gk
from gamekit.expr import make_symbol

R = sympy.Rational
x, y, z = sympy.symbols("x y z", real=True)


def p(*names: str) -> list[sympy.Symbol]:
    return [make_symbol(n) for n in names]


def table_field(game: gk.Game) -> list[sympy.Expr]:
    """dx_i/dt for the first strategies' shares x, y, z (two-strategy populations) or the one-population shares.

    Expected payoffs from the game's payoff table by a loop of this module's own: pure profiles weighted by the
    other populations' shares, ``sum_j A[i, j] s_j`` for a symmetric game, the binomial average for a group game.
    """
    tensors = game.payoff_tensors
    named = {make_symbol(n): None for n in game.shares}
    if game.kind == "symmetric":
        n = game.shape[0]
        s = list(sympy.symbols(f"s0:{n}", real=True))
        u = [sum(tensors[0][i, j] * s[j] for j in range(n)) for i in range(n)]
        mean = sum(s[i] * u[i] for i in range(n))
        return [s[i] * (u[i] - mean) for i in range(n)], s
    if game.kind == "group":
        size, k = game.group.size, make_symbol(game.group.count)
        u = [
            sum(sympy.binomial(size - 1, j) * x**j * (1 - x) ** (size - 1 - j) * pi.subs(k, j) for j in range(size))
            for pi in tensors[0]
        ]
        return [x * (1 - x) * (u[0] - u[1])], [x]
    first = [x, y, z][: len(game.populations)]
    shares = [[f, 1 - f] for f in first]
    for name, (pname, strategy) in game.shares.items():
        q = [pop.name for pop in game.populations].index(pname)
        named[make_symbol(name)] = shares[q][game.populations[q].index(strategy)]
    out = []
    for q in range(len(first)):
        gain = 0
        for idx in game.profiles():
            weight = sympy.Mul(*[shares[r][idx[r]] for r in range(len(first)) if r != q])
            gain += (1 if idx[q] == 0 else -1) * weight * tensors[q][idx]
        out.append(first[q] * (1 - first[q]) * gain.xreplace(named))
    return out, first


def at(game: gk.Game, exprs):
    values = {make_symbol(n): sympy.nsimplify(v) for n, v in game.parameters.items()}
    return [sympy.expand(e.xreplace(values)) for e in exprs]


def jacobian(field, coords, point):
    """The tangent Jacobian: in the coordinates given (a simplex drops its last share)."""
    return sympy.Matrix(field).jacobian(coords).subs(dict(zip(coords, point)))


def eigenvalues(matrix) -> list[complex]:
    return sorted((complex(sympy.N(e)) for e in matrix.eigenvals(multiple=True)), key=lambda c: (c.real, c.imag))


def close(a, b, tol=1e-9):
    return len(a) == len(b) and all(abs(complex(u) - complex(v)) < tol for u, v in zip(a, b))


# -- the model files encode the derivations in their descriptions ----------------------------


def test_hawk_dove_is_one_population_with_the_textbook_field():
    game = gk.load("hawk-dove")
    assert game.kind == "symmetric" and game.shape == (2,) and game.parameters == {"V": 2, "C": 4}
    V, C = p("V", "C")
    field, (h, d) = table_field(game)
    f = field[0].subs(d, 1 - h)  # dh/dt, h the share of hawks
    assert sympy.expand(f - h * (1 - h) * (V - C * h) / 2) == 0
    f = at(game, [f])[0]
    assert set(sympy.solve(f, h)) == {0, R(1, 2), 1}
    assert [sympy.diff(f, h).subs(h, v) for v in (0, R(1, 2), 1)] == [1, R(-1, 2), 1]


@pytest.mark.parametrize(
    "scenario, w, l, centre",
    [
        ("good", 2, 1, [complex(-1 / 6, -(3**0.5) / 2), complex(-1 / 6, 3**0.5 / 2)]),
        ("zero-sum", 1, 1, [complex(0, -(3**0.5) / 3), complex(0, 3**0.5 / 3)]),
        ("bad", 1, 2, [complex(1 / 6, -(3**0.5) / 2), complex(1 / 6, 3**0.5 / 2)]),
    ],
)
def test_rock_paper_scissors_is_one_population(scenario, w, l, centre):  # noqa: E741 (the model's loss l)
    game = gk.load("rock-paper-scissors").scenario(scenario)
    assert game.kind == "symmetric" and game.shape == (3,) and game.parameters == {"w": w, "l": l}
    # A[mine, theirs]: rock beats scissors, scissors paper, paper rock
    A = np.array([[0, -l, w], [w, 0, -l], [-l, w, 0]])
    values = {make_symbol("w"): w, make_symbol("l"): l}
    assert [[game.payoff_tensors[0][i, j].xreplace(values) for j in range(3)] for i in range(3)] == A.tolist()
    field, s = table_field(game)
    reduced = [e.subs(s[2], 1 - s[0] - s[1]) for e in at(game, field[:2])]
    third = [R(1, 3), R(1, 3)]
    assert [e.subs(dict(zip(s[:2], third))) for e in reduced] == [0, 0]
    assert close(eigenvalues(jacobian(reduced, s[:2], third)), centre)
    for corner in ([1, 0], [0, 1], [0, 0]):  # corners are saddles: eigenvalues w and -l
        assert close(eigenvalues(jacobian(reduced, s[:2], corner)), [-l, w])


def test_stag_hunt_is_a_ten_person_group_game_with_the_issue_rest_points():
    game = gk.load("stag-hunt")
    assert game.kind == "group" and game.group.size == 10 and game.group.count == "k"
    assert game.parameters == {"M": 5, "F": 8, "c": 1}
    assert {n: dict(v) for n, v in game.scenarios.items()} == {"high-return": {"F": 8}, "low-return": {"F": 4}}
    (f,), _ = table_field(game)
    # the description's closed form: only the pivotal k = M - 1 = 4 and the k >= 5 terms differ
    F, c = p("F", "c")
    b = [sympy.binomial(9, j) * x**j * (1 - x) ** (9 - j) for j in range(10)]
    gain = F * c / 2 * b[4] + F * c / 10 * sum(b[5:]) - c
    assert sympy.expand(f.xreplace({make_symbol("M"): 5}) - x * (1 - x) * gain) == 0
    for scenario, rest in {
        "high-return": [(0, -1.0), (0.346798, 1.0625), (0.706795, -0.45091), (1, 0.2)],
        "low-return": [(0, -1.0), (1, 0.6)],
    }.items():
        poly = sympy.Poly(at(game.scenario(scenario), [f])[0], x)
        roots = [r for r in poly.real_roots() if 0 <= r <= 1]
        slopes = [float(poly.diff(x).eval(r)) for r in roots]
        assert len(roots) == len(rest)
        assert all(abs(float(r) - v) < 1e-6 and abs(s - d) < 1e-4 for r, s, (v, d) in zip(roots, slopes, rest))


def test_inspection_with_a_dynamic_fine():
    game = gk.load("inspection-dynamic-fine")
    assert game.kind == "populations" and not game.multilinear and dict(game.shares) == {"y": ("firm", "violate")}
    c, F, g = p("c", "F", "g")
    field, coords = table_field(game)
    hand = [x * (1 - x) * (F * y**2 - c), y * (1 - y) * (g - F * x * y)]
    assert [sympy.expand(a - b) for a, b in zip(field, hand)] == [0, 0]
    f = at(game, field)
    rest = {(a, b) for a, b in itertools.product([0, 1], repeat=2)} | {(1, R(1, 4)), (R(1, 2), R(1, 2))}
    found = {(s[x], s[y]) for s in sympy.solve(f, [x, y], dict=True)}
    assert {pt for pt in found if all(v.is_real and 0 <= v <= 1 for v in pt)} == rest
    assert close(
        eigenvalues(jacobian(f, coords, (R(1, 2), R(1, 2)))), [complex(-1, -(7**0.5)) / 4, complex(-1, 7**0.5) / 4]
    )
    assert close(eigenvalues(jacobian(f, coords, (1, R(1, 4)))), [-0.75, 0.75])
    # the static fine F: the interior (1/4, 1/4) is a centre
    static = [x * (1 - x) * (4 * y - 1), y * (1 - y) * (1 - 4 * x)]
    assert close(eigenvalues(jacobian(static, coords, (R(1, 4), R(1, 4)))), [-0.75j, 0.75j])


def face_rest_points(game: gk.Game) -> set[tuple]:
    """Every rest point of a game of two-strategy populations: on each face, the free shares' gains vanish."""
    field, coords = table_field(game)
    gains = at(game, [sympy.cancel(f / (c * (1 - c))) for f, c in zip(field, coords)])
    rest = set()
    for fixed_coords in itertools.product([None, 0, 1], repeat=len(coords)):
        on = {c: v for c, v in zip(coords, fixed_coords) if v is not None}
        free = [c for c in coords if c not in on]
        equations = [g.subs(on) for c, g in zip(coords, gains) if c in free]
        for solution in (sympy.solve_poly_system(equations, *free) or []) if free else [()]:
            if all(v.is_real and 0 < v < 1 for v in solution):
                rest.add(tuple(on.get(c, dict(zip(free, solution)).get(c)) for c in coords))
    return rest


def test_platform_insurance_with_a_dynamic_fine():
    game = gk.load("platform-insurance-dynamic-fine")
    fixed = gk.load("platform-insurance")
    assert dict(game.shares) == {"y": ("platform", "insure")} and not game.multilinear
    assert game.parameters == fixed.parameters and game.scenarios == fixed.scenarios and game.states == fixed.states
    Cg, F, delta, S, Rw, A, Cp, B, K, theta, Cc, V, Cw = p(*"Cg F delta S R A Cp B K theta Cc V Cw".split())
    gains = [
        y * (Rw - S) - Cg + (1 - y) * ((z + (1 - z) * delta) * F * (1 - y) + z * A),
        B - Cp + x * S + x * (z + (1 - z) * delta) * F * (1 - y) + z * K * (x + (1 - x) * theta),
        y * (V - Cw) + (1 - y) * (x * K + (1 - x) * theta * K - Cc),
    ]
    field, coords = table_field(game)
    assert [sympy.expand(f - c * (1 - c) * g) for f, c, g in zip(field, coords, gains)] == [0, 0, 0]
    # payoffs differ from the fixed-fine model only where the fine is paid: F -> F*(1 - y)
    fine = fixed.payoff_tensors[0][0, 1, 0]
    assert game.payoff_tensors[0][0, 1, 0] == fine.subs(F, F * (1 - make_symbol("y")))
    f = at(game, field)  # the trap values
    rest = face_rest_points(game)
    assert rest == set(itertools.product([0, 1], repeat=3)) | {(1, R(3, 5), 1), (1, R(1, 5), R(9, 19))}
    assert close(eigenvalues(jacobian(f, coords, (1, 0, 0))), [-3, -1, -1])
    assert close(eigenvalues(jacobian(f, coords, (1, R(3, 5), 1))), [-2.4, -2, -1])
    saddle = eigenvalues(jacobian(f, coords, (1, R(1, 5), R(9, 19))))
    assert close(saddle, [-3, (-48 - 12 * 111**0.5) / 95, (-48 + 12 * 111**0.5) / 95])
    stable = [pt for pt in rest if all(e.real < 0 for e in eigenvalues(jacobian(f, coords, pt)))]
    assert sorted(stable) == [(1, 0, 0), (1, R(3, 5), 1)]


@pytest.mark.parametrize(
    "scenario, extra, attractors",
    [
        (
            "lag",  # the lag, and a spiral sink on the face z = 1
            {(R(1, 2), 0, R(14, 29)), (R(3, 4), R(1, 3), 1), (1, R(2, 3), 1)},
            {
                (0, 0, 0): [-7, -2.8, -2],
                (R(3, 4), R(1, 3), 1): [-2, complex(-0.5, -5 / 12**0.5), complex(-0.5, 5 / 12**0.5)],
            },
        ),
        ("meta-goal", {(1, R(1, 2), 0)}, {(1, 1, 1): [-4, -3, -1]}),
    ],
)
def test_platform_insurance_with_a_dynamic_fine_in_the_other_scenarios(scenario, extra, attractors):
    game = gk.load("platform-insurance-dynamic-fine").scenario(scenario)
    rest = face_rest_points(game)
    assert rest == set(itertools.product([0, 1], repeat=3)) | extra
    field, coords = table_field(game)
    f = at(game, field)
    spectra = {pt: eigenvalues(jacobian(f, coords, pt)) for pt in rest}
    stable = {pt for pt, ev in spectra.items() if all(e.real < 0 for e in ev)}
    assert stable == set(attractors)
    assert all(close(spectra[pt], ev) for pt, ev in attractors.items())


# -- gamekit's own expected payoffs agree with this module's loop ---------------------------


@pytest.mark.parametrize(
    "name",
    ["hawk-dove", "rock-paper-scissors", "stag-hunt", "inspection-dynamic-fine", "platform-insurance-dynamic-fine"],
)
def test_expected_payoffs_agree_with_the_oracle(name):
    from gamekit.dynamics import expected_payoffs

    game = gk.load(name)
    field, coords = table_field(game)
    if game.kind == "symmetric":
        shares = [coords]
    else:
        shares = [[c, 1 - c] for c in coords]
    u = expected_payoffs(game, shares)
    if game.kind == "symmetric":
        mean = sum(s * v for s, v in zip(coords, u[0]))
        mine = [s * (v - mean) for s, v in zip(coords, u[0])]
    else:
        mine = [c * (1 - c) * (row[0] - row[1]) for c, row in zip(coords, u)]
    assert all(sympy.expand(a - b) == 0 for a, b in zip(mine, field))
