"""Finite populations (gamekit.finite): fixation probabilities, simulated fixation, small-mutation limit.

Every reference is computed here, independently of the code under test: payoffs by an explicit loop over the
individuals of the population (or over every possible group), fixation probabilities by solving the absorbing
chain's linear equations built from the transition probabilities T+ and T- themselves (not the product formula),
closed forms of the literature, nashpy's Moran process, and numpy's eigenvectors.
"""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import gamekit as gk
from gamekit import finite
from gamekit.basins import wilson_interval

Z_999 = 3.2905267314919255
"""Normal quantile of a two-sided 99.9% interval: for the comparisons with nashpy's random estimates."""
FLOAT_REL = 1e-9
"""Relative agreement of floating-point results with an exact or independently computed reference."""
SLOPE_ABS = 1e-4
"""Agreement of a finite difference at w = 1e-10 with the weak-selection slope (the next term is below 1e-5 here)."""
TIME_REL = 0.1
"""Relative agreement of a simulated mean fixation time with its exact value (its standard error is ~2% here)."""


# ------------------------------------------------------------------------------------------------- independent oracles


def matrix_game(table, name: str = "random") -> gk.Game:
    """A symmetric game with strategies s0, s1, ... and my payoff table[i][j] against j."""
    n = len(table)
    names = [f"s{i}" for i in range(n)]
    payoffs = {f"{names[i]}, {names[j]}": [str(table[i][j])] for i in range(n) for j in range(n)}
    return gk.Game({"players": names}, payoffs, name=name)


def individual_payoffs(table, mutant: int, resident: int, size: int, j: int):
    """Mean payoff of a mutant and of a resident against every *other* individual, by an explicit loop."""
    population = [mutant] * j + [resident] * (size - j)

    def payoff(me: int) -> Fraction:
        return sum((Fraction(table[population[me]][population[o]]) for o in range(size) if o != me), Fraction(0)) / (
            size - 1
        )

    return payoff(0), payoff(size - 1)  # individual 0 is a mutant, the last a resident


def absorption(up, down, size: int, initial: int):
    """Probability of reaching N from ``initial`` for the birth-death chain with T+(j) = up[j], T-(j) = down[j]:
    solves x_j (T+ + T-) = T+ x_{j+1} + T- x_{j-1}, x_0 = 0, x_N = 1 (Thomas algorithm, exact if the inputs are)."""
    # unknowns x_1..x_{N-1}; row j: -T-(j) x_{j-1} + (T+(j) + T-(j)) x_j - T+(j) x_{j+1} = 0 (x_N = 1 on the right)
    n = size - 1
    lower = [-down[j] for j in range(1, size)]
    diag = [up[j] + down[j] for j in range(1, size)]
    upper = [-up[j] for j in range(1, size)]
    rhs = [0 * up[1]] * n
    rhs[-1] = up[size - 1]
    for i in range(1, n):
        m = lower[i] / diag[i - 1]
        diag[i] = diag[i] - m * upper[i - 1]
        rhs[i] = rhs[i] - m * rhs[i - 1]
    x = [None] * n
    x[-1] = rhs[-1] / diag[-1]
    for i in range(n - 2, -1, -1):
        x[i] = (rhs[i] - upper[i] * x[i + 1]) / diag[i]
    return x[initial - 1]


def moran_reference(table, mutant, resident, size, w: Fraction, initial: int = 1) -> Fraction:
    up, down = {}, {}
    for j in range(1, size):
        pm, pr = individual_payoffs(table, mutant, resident, size, j)
        fm, fr = 1 - w + w * pm, 1 - w + w * pr
        total = j * fm + (size - j) * fr
        up[j] = j * fm / total * Fraction(size - j, size)
        down[j] = (size - j) * fr / total * Fraction(j, size)
    return absorption(up, down, size, initial)


def fermi_reference(table, mutant, resident, size, w: float, initial: int = 1) -> float:
    up, down = {}, {}
    for j in range(1, size):
        pm, pr = (float(p) for p in individual_payoffs(table, mutant, resident, size, j))
        pick = j / size * (size - j) / size
        up[j] = pick / (1 + math.exp(-w * (pm - pr)))
        down[j] = pick / (1 + math.exp(-w * (pr - pm)))
    return absorption(up, down, size, initial)


square_tables = st.integers(2, 3).flatmap(
    lambda n: st.lists(st.lists(st.integers(0, 6), min_size=n, max_size=n), min_size=n, max_size=n)
)
selections = st.fractions(min_value=0, max_value=Fraction(19, 20), max_denominator=20)  # fitness 1 - w + w pi > 0


@st.composite
def setups(draw, max_size=12):
    table = draw(square_tables)
    n = len(table)
    mutant, resident = draw(st.permutations(range(n)))[:2]
    size = draw(st.integers(2, max_size))
    initial = draw(st.integers(1, size - 1))
    return table, mutant, resident, size, initial


# ----------------------------------------------------------------------------------------------- the exact probability


@given(setups(), selections)
@settings(max_examples=60, deadline=None)
def test_moran_equals_the_absorbing_chain_solved_from_individual_payoffs(setup, w):
    table, m, r, size, initial = setup
    game = matrix_game(table)
    got = gk.fixation_probability(game, f"s{m}", f"s{r}", size, w, initial=initial, exact=True)
    assert got == moran_reference(table, m, r, size, w, initial)
    approx = gk.fixation_probability(game, f"s{m}", f"s{r}", size, float(w), initial=initial)
    assert approx == pytest.approx(float(got), rel=FLOAT_REL)


@given(setups(), st.floats(0, 3))
@settings(max_examples=60, deadline=None)
def test_fermi_equals_the_absorbing_chain_solved_from_individual_payoffs(setup, w):
    table, m, r, size, initial = setup
    game = matrix_game(table)
    got = gk.fixation_probability(game, f"s{m}", f"s{r}", size, w, "fermi", initial=initial)
    assert got == pytest.approx(fermi_reference(table, m, r, size, w, initial), rel=FLOAT_REL, abs=1e-300)


@given(setups(), st.sampled_from(finite.PROCESSES))
@settings(max_examples=40, deadline=None)
def test_neutral_selection_gives_initial_over_size(setup, process):
    table, m, r, size, initial = setup
    game = matrix_game(table)
    exact = gk.fixation_probability(game, f"s{m}", f"s{r}", size, 0, process, initial=initial, exact=True)
    assert sympy.nsimplify(exact) == sympy.Rational(initial, size)
    assert gk.fixation_probability(game, f"s{m}", f"s{r}", size, 0, process, initial=initial) == pytest.approx(
        initial / size, rel=1e-14
    )


@pytest.mark.parametrize("r", [Fraction(2), Fraction(3, 2), Fraction(1, 3), Fraction(11, 10)])
@pytest.mark.parametrize("size", [2, 5, 40])
def test_constant_fitness_gives_the_classical_moran_formula(r, size):
    # a = b = r, c = d = 1 and w = 1: the mutant's fitness is r, the resident's 1, in every state
    game = matrix_game([[r, r], [1, 1]])
    rho = gk.fixation_probability(game, "s0", "s1", size, 1, exact=True)
    assert rho == (1 - 1 / r) / (1 - 1 / r**size)


@given(setups(max_size=15), selections, st.sampled_from(["moran", "fermi"]))
@settings(max_examples=60, deadline=None)
def test_invasion_ratio_identity(setup, w, process):
    """rho_{M,R} / rho_{R,M} = prod_j T+(j)/T-(j): the ratio of fitnesses (Moran), exp(w sum Delta) (Fermi)."""
    table, m, r, size, _ = setup
    game = matrix_game(table)
    forward = gk.fixation_probability(game, f"s{m}", f"s{r}", size, w, process, exact=True)
    backward = gk.fixation_probability(game, f"s{r}", f"s{m}", size, w, process, exact=True)
    pays = [individual_payoffs(table, m, r, size, j) for j in range(1, size)]
    if process == "moran":
        product = math.prod(((1 - w + w * pm) / (1 - w + w * pr) for pm, pr in pays), start=Fraction(1))
        assert forward / backward == product
    else:
        exponent = w * sum((pm - pr for pm, pr in pays), Fraction(0))
        expected = sympy.exp(sympy.Rational(exponent.numerator, exponent.denominator))
        assert abs(sympy.N(forward / backward / expected - 1, 60)) < 1e-50  # exact expressions, 60 digits


@given(setups(max_size=40), st.floats(0, 50), st.sampled_from(finite.PROCESSES))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_probabilities_lie_in_the_unit_interval_and_grow_with_the_initial_count(setup, w, process):
    table, m, r, size, _ = setup
    game = matrix_game(table)
    if process == "moran":
        w = min(w, 1.0)  # payoffs are >= 0, so 1 - w + w*pi > 0 for w < 1; w = 1 may give fitness 0: refused
        assume(w < 1 or min(min(row) for row in table) > 0)
    values = [gk.fixation_probability(game, f"s{m}", f"s{r}", size, w, process, initial=i) for i in range(1, size)]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert all(a <= b * (1 + 1e-12) for a, b in zip(values, values[1:]))


@given(square_tables.filter(lambda t: len(t) == 2), st.integers(3, 30), st.sampled_from(finite.PROCESSES))
@settings(max_examples=40, deadline=None)
def test_weak_selection_slope_is_nowaks_one_third_rule(table, size, process):
    """Nowak et al. 2004: rho ~ 1/N + w (alpha N - beta) / (6 N) for small w, alpha = a + 2b - c - 2d,
    beta = 2a + b + c - 4d; the Fermi rule has the same slope (gamma_j = 1 - w Delta_j + O(w^2) for both)."""
    (a, b), (c, d) = table
    alpha, beta = a + 2 * b - c - 2 * d, 2 * a + b + c - 4 * d
    slope = Fraction(alpha * size - beta, 6 * size)
    w = Fraction(1, 10**10)
    game = matrix_game(table)
    rho = gk.fixation_probability(game, "s0", "s1", size, w, process, exact=True)
    rho = Fraction(rho) if process == "moran" else Fraction(str(sympy.N(rho, 50)))
    assert abs((rho - Fraction(1, size)) / w - slope) < SLOPE_ABS


def test_fermi_tends_to_neutral_as_selection_vanishes():
    game = gk.load("hawk-dove")
    gaps = [gk.fixation_probability(game, "hawk", "dove", 40, w, "fermi") - 1 / 40 for w in (1e-1, 1e-3, 1e-6)]
    assert abs(gaps[0]) > abs(gaps[1]) > abs(gaps[2])
    slope = (1 * 40 + 4) / (6 * 40)  # Nowak's slope with a, b, c, d = -1, 2, 0, 1: alpha = 1, beta = -4
    assert gaps[2] / 1e-6 == pytest.approx(slope, rel=1e-3)


# ------------------------------------------------------------------------------------------------------ shipped models


def test_hawk_dove_against_the_reference_and_both_directions():
    game = gk.load("hawk-dove")  # V = 2, C = 4
    table = [[Fraction(-1), Fraction(2)], [Fraction(0), Fraction(1)]]
    w = Fraction(1, 10)
    for m, r in ((0, 1), (1, 0)):
        names = game.populations[0].strategies
        got = gk.fixation_probability(game, names[m], names[r], 25, w, exact=True)
        assert got == moran_reference(table, m, r, 25, w)
        fermi = gk.fixation_probability(game, names[m], names[r], 25, 0.7, "fermi")
        assert fermi == pytest.approx(fermi_reference(table, m, r, 25, 0.7), rel=FLOAT_REL)


def test_hawk_dove_at_other_parameter_values():
    game = gk.load("hawk-dove").with_parameters(V=3, C=5)
    table = [[Fraction(-1), Fraction(3)], [Fraction(0), Fraction(3, 2)]]
    got = gk.fixation_probability(game, "dove", "hawk", 12, Fraction(1, 5), exact=True)
    assert got == moran_reference(table, 1, 0, 12, Fraction(1, 5))


@pytest.mark.parametrize("scenario", ["good", "zero-sum", "bad"])
def test_rock_paper_scissors_is_cyclically_symmetric(scenario):
    game = gk.load("rock-paper-scissors").scenario(scenario)
    w = Fraction(1, 10)
    cycle = [
        gk.fixation_probability(game, "paper", "rock", 20, w, exact=True),
        gk.fixation_probability(game, "scissors", "paper", 20, w, exact=True),
        gk.fixation_probability(game, "rock", "scissors", 20, w, exact=True),
    ]
    assert cycle[0] == cycle[1] == cycle[2]
    wl = {"good": (2, 1), "zero-sum": (1, 1), "bad": (1, 2)}[scenario]
    table = [[0, -wl[1], wl[0]], [wl[0], 0, -wl[1]], [-wl[1], wl[0], 0]]
    assert cycle[0] == moran_reference(table, 1, 0, 20, w)
    sd = gk.stationary_distribution(game, 20, w, exact=True)
    assert sd.distribution == (Fraction(1, 3),) * 3


# ---------------------------------------------------------------------------------------------------------- group games


def group_reference_payoffs(pi, group: int, size: int, firsts: int):
    """Mean payoff of a first- and a second-strategy player over every possible group of co-players (enumerated)."""
    population = [0] * firsts + [1] * (size - firsts)
    out = []
    for me in (0, size - 1):  # individual 0 plays the first strategy, the last the second
        if not (population[me] == 0 if me == 0 else population[me] == 1):
            out.append(None)
            continue
        others = [o for o in range(size) if o != me]
        total, count = Fraction(0), 0
        for co in itertools.combinations(others, group - 1):
            k = sum(1 for o in co if population[o] == 0)
            total += pi[population[me]](k)
            count += 1
        out.append(total / count)
    return out


def group_moran_reference(pi, group, size, mutant_first: bool, w: Fraction, initial=1) -> Fraction:
    up, down = {}, {}
    for j in range(1, size):
        firsts = j if mutant_first else size - j
        p_first, p_second = group_reference_payoffs(pi, group, size, firsts)
        pm, pr = (p_first, p_second) if mutant_first else (p_second, p_first)
        fm, fr = 1 - w + w * pm, 1 - w + w * pr
        total = j * fm + (size - j) * fr
        up[j] = j * fm / total * Fraction(size - j, size)
        down[j] = (size - j) * fr / total * Fraction(j, size)
    return absorption(up, down, size, initial)


def stag_hunt_payoffs(F, M, c, n):
    return (
        lambda k: Fraction(k + 1) * F * c / n * (1 if k + 1 >= M else 0) - c,
        lambda k: Fraction(k) * F * c / n * (1 if k >= M else 0),
    )


@pytest.mark.parametrize("size", [10, 11, 13])
@pytest.mark.parametrize("mutant_first", [True, False])
def test_stag_hunt_groups_drawn_without_replacement(size, mutant_first):
    game = gk.load("stag-hunt").with_parameters(c=0.2)  # a cooperator's fitness stays positive
    pi = stag_hunt_payoffs(Fraction(8), 5, Fraction(1, 5), 10)
    w = Fraction(1, 2)
    names = ("cooperate", "defect") if mutant_first else ("defect", "cooperate")
    got = gk.fixation_probability(game, *names, size, w, initial=2, exact=True)
    assert got == group_moran_reference(pi, 10, size, mutant_first, w, initial=2)
    approx = gk.fixation_probability(game, *names, size, float(w), initial=2)
    assert approx == pytest.approx(float(got), rel=FLOAT_REL)


@given(
    st.lists(st.integers(0, 6), min_size=4, max_size=4),
    st.integers(2, 9),
    selections,
)
@settings(max_examples=30, deadline=None)
def test_a_group_of_two_is_the_symmetric_game(entries, size, w):
    a, b, c, d = entries
    group = gk.Game(
        {"players": ["A", "B"]}, {"A": f"{a}*k + {b}*(1 - k)", "B": f"{c}*k + {d}*(1 - k)"}, group={"size": 2}
    )
    pair = matrix_game([[a, b], [c, d]])
    for names, pnames in ((("A", "B"), ("s0", "s1")), (("B", "A"), ("s1", "s0"))):
        assert gk.fixation_probability(group, *names, size, w, exact=True) == gk.fixation_probability(
            pair, *pnames, size, w, exact=True
        )


def test_group_as_large_as_the_population_plays_with_everyone_else():
    # N = n: a cooperator's co-players are the other j - 1 cooperators and all defectors, so pi_C = pi_C(k = j - 1)
    game = gk.load("stag-hunt").with_parameters(c=0.2)
    size, w = 10, Fraction(1, 3)
    pi = stag_hunt_payoffs(Fraction(8), 5, Fraction(1, 5), 10)
    up, down = {}, {}
    for j in range(1, size):
        fm, fr = 1 - w + w * pi[0](j - 1), 1 - w + w * pi[1](j)
        total = j * fm + (size - j) * fr
        up[j], down[j] = j * fm / total * Fraction(size - j, size), (size - j) * fr / total * Fraction(j, size)
    assert gk.fixation_probability(game, "cooperate", "defect", size, w, exact=True) == absorption(up, down, size, 1)


# -------------------------------------------------------------------------------------------------- shares in payoffs


def test_a_named_share_takes_the_population_composition():
    # hawk-dove whose cost of a fight grows with the share of hawks y: C = 2 + 4 y
    game = gk.Game(
        {"players": ["hawk", "dove"]},
        {"hawk, hawk": ["(V - (2 + 4*y))/2"], "hawk, dove": ["V"], "dove, hawk": ["0"], "dove, dove": ["V/2"]},
        {"V": 2},
        shares={"y": "players.hawk"},
    )
    size, w = 15, Fraction(1, 10)
    for m, r, hawks in ((0, 1, lambda j: j), (1, 0, lambda j: size - j)):
        up, down = {}, {}
        for j in range(1, size):
            y = Fraction(hawks(j), size)
            table = [[(2 - (2 + 4 * y)) / 2, Fraction(2)], [Fraction(0), Fraction(1)]]
            pm, pr = individual_payoffs(table, m, r, size, j)
            fm, fr = 1 - w + w * pm, 1 - w + w * pr
            total = j * fm + (size - j) * fr
            up[j], down[j] = j * fm / total * Fraction(size - j, size), (size - j) * fr / total * Fraction(j, size)
        names = ("hawk", "dove") if m == 0 else ("dove", "hawk")
        got = gk.fixation_probability(game, *names, size, w, exact=True)
        assert got == absorption(up, down, size, 1)
        assert gk.fixation_probability(game, *names, size, 0.1) == pytest.approx(float(got), rel=FLOAT_REL)


def test_a_named_share_in_a_group_game_takes_the_population_composition():
    # a public good whose return grows with the share x of cooperators in the whole population
    game = gk.Game(
        {"players": ["give", "keep"]},
        {"give": "(k + 1)*(2 + x)/4 - 1", "keep": "k*(2 + x)/4"},
        group={"size": 4},
        shares={"x": "players.give"},
    )
    size, w = 9, Fraction(1, 4)
    for mutant_first in (True, False):
        up, down = {}, {}
        for j in range(1, size):
            firsts = j if mutant_first else size - j
            x = Fraction(firsts, size)
            pi = (lambda k, x=x: (k + 1) * (2 + x) / 4 - 1, lambda k, x=x: k * (2 + x) / 4)
            p_first, p_second = group_reference_payoffs(pi, 4, size, firsts)
            pm, pr = (p_first, p_second) if mutant_first else (p_second, p_first)
            fm, fr = 1 - w + w * pm, 1 - w + w * pr
            total = j * fm + (size - j) * fr
            up[j], down[j] = j * fm / total * Fraction(size - j, size), (size - j) * fr / total * Fraction(j, size)
        names = ("give", "keep") if mutant_first else ("keep", "give")
        got = gk.fixation_probability(game, *names, size, w, exact=True)
        assert got == absorption(up, down, size, 1)
        assert gk.fixation_probability(game, *names, size, 0.25) == pytest.approx(float(got), rel=FLOAT_REL)


# -------------------------------------------------------------------------------------------------------- large N, w


@pytest.mark.parametrize("w", [1.0, 100.0, 1e6])
def test_fermi_without_overflow_for_large_populations_and_selection(w):
    pd = matrix_game([[3, 0], [5, 1]], name="Prisoner's dilemma")
    log_c = gk.log_fixation_probability(pd, "s0", "s1", 10_000, w, "fermi")
    log_d = gk.log_fixation_probability(pd, "s1", "s0", 10_000, w, "fermi")
    assert math.isfinite(log_c) and log_c < -1000  # cooperation is dominated: astronomically unlikely
    assert log_c < log_d <= 0
    # rho_C / rho_D = exp(-w sum_j (pi_D(j) - pi_C(j))), the ratio identity, with payoffs from the table
    size = 10_000
    delta = sum(float(pr - pm) for pm, pr in (individual_payoffs_fast(j, size) for j in range(1, size)))
    assert log_c - log_d == pytest.approx(-w * delta, rel=1e-9)
    assert gk.fixation_probability(pd, "s0", "s1", 10_000, w, "fermi") == 0.0


def individual_payoffs_fast(j: int, size: int):
    """Prisoner's dilemma (3, 0; 5, 1) with j cooperators: the loop of individual_payoffs in closed form."""
    pc = (3 * (j - 1) + 0 * (size - j)) / (size - 1)
    pd = (5 * j + 1 * (size - j - 1)) / (size - 1)
    return pc, pd


def test_moran_log_space_matches_exact_fractions_at_large_size():
    game = matrix_game([[3, 1], [2, 2]])
    size, w = 400, Fraction(9, 10)
    exact = gk.fixation_probability(game, "s1", "s0", size, w, exact=True)
    log_exact = math.log(exact.numerator) - math.log(exact.denominator)
    assert gk.log_fixation_probability(game, "s1", "s0", size, 0.9) == pytest.approx(log_exact, rel=1e-10)


# ------------------------------------------------------------------------------------------------ stationary distribution


@given(square_tables.filter(lambda t: len(t) == 2), st.integers(2, 20), selections)
@settings(max_examples=30, deadline=None)
def test_two_strategies_stationary_odds_are_the_fixation_odds(table, size, w):
    game = matrix_game(table)
    sd = gk.stationary_distribution(game, size, w, exact=True)
    forward = moran_reference(table, 0, 1, size, w)
    backward = moran_reference(table, 1, 0, size, w)
    assert sd.distribution[0] / sd.distribution[1] == forward / backward
    assert sum(sd.distribution) == 1


@given(
    st.lists(st.lists(st.integers(0, 6), min_size=3, max_size=3), min_size=3, max_size=3),
    st.integers(2, 25),
    st.floats(0, 5),
    st.sampled_from(finite.PROCESSES),
)
@settings(max_examples=40, deadline=None)
def test_stationary_distribution_is_the_left_eigenvector(table, size, w, process):
    if process == "moran":
        w = min(w, 0.9)
    game = matrix_game(table)
    names = ["s0", "s1", "s2"]
    rates = np.zeros((3, 3))
    for i, j in itertools.permutations(range(3), 2):
        rates[i, j] = gk.fixation_probability(game, names[j], names[i], size, w, process) / 2
    chain = rates + np.diag(1 - rates.sum(axis=1))
    values, vectors = np.linalg.eig(chain.T)
    v = np.real(vectors[:, np.argmin(abs(values - 1))])
    v = v / v.sum()
    sd = gk.stationary_distribution(game, size, w, process)
    assume(np.min(rates[rates > 0]) > 1e-12)  # numpy's eigenvector is not accurate for nearly reducible chains
    assert np.allclose(sd.distribution, v, atol=1e-8)
    assert np.allclose(sd.transitions, chain, atol=1e-15)


@given(st.integers(2, 6).flatmap(lambda n: st.lists(st.floats(-700, 0), min_size=n * n, max_size=n * n)))
@settings(max_examples=60, deadline=None)
def test_gth_in_log_space_solves_the_balance_equations(logs):
    n = int(round(math.sqrt(len(logs))))
    logp = np.array(logs).reshape(n, n) - math.log(n)  # rows sum to at most 1
    np.fill_diagonal(logp, -np.inf)
    pi = finite._gth_log(logp)
    p = np.exp(logp)
    # balance: pi_i sum_j p_ij = sum_j pi_j p_ji, checked relative to the flows involved
    out_flow, in_flow = pi * p.sum(axis=1), pi @ p
    assert np.allclose(out_flow, in_flow, rtol=1e-9, atol=0)
    assert pi.sum() == pytest.approx(1.0)
    exact = finite._gth_exact(
        [[Fraction(float(x)) if i != j else Fraction(0) for j, x in enumerate(row)] for i, row in enumerate(p)]
    )
    assert np.allclose([float(x) for x in exact], pi, rtol=1e-9, atol=0)


def test_stationary_distribution_result_prints_and_tabulates():
    sd = gk.stationary_distribution(gk.load("hawk-dove"), 30, 0.05)
    text = repr(sd)
    assert text.startswith("StationaryDistribution(Hawk-dove: moran, N=30, w=0.05: ")
    frame = sd.to_frame()
    assert list(frame.columns) == ["strategy", "probability", "rho hawk", "rho dove"]
    assert frame["probability"].sum() == pytest.approx(1.0)
    assert frame.loc[1, "rho hawk"] == pytest.approx(
        gk.fixation_probability(gk.load("hawk-dove"), "hawk", "dove", 30, 0.05)
    )
    assert sd.probability("hawk") == sd.distribution[0]
    assert "<table>" in sd._repr_html_()
    assert sd.to_dict()["fixation"]["dove"]["hawk"] == frame.loc[1, "rho hawk"]
    with pytest.raises(gk.ArgumentError, match="no strategy 'eagle'"):
        sd.probability("eagle")


# ------------------------------------------------------------------------------------------------------- simulation


@pytest.mark.parametrize("process", finite.PROCESSES)
def test_backends_draw_the_same_numbers_and_chunks_do_not_matter(process, monkeypatch):
    game = gk.load("hawk-dove")
    kw = dict(runs=3000, rng=7, initial=3)
    a = gk.simulate_fixation(game, "hawk", "dove", 16, 0.3, process, backend="numba", **kw)
    b = gk.simulate_fixation(game, "hawk", "dove", 16, 0.3, process, backend="numpy", **kw)
    monkeypatch.setattr(finite, "CHUNK", 257)
    c = gk.simulate_fixation(game, "hawk", "dove", 16, 0.3, process, backend="numba", **kw)
    assert (a.fixed, a.lost, a.mean_steps) == (b.fixed, b.lost, b.mean_steps) == (c.fixed, c.lost, c.mean_steps)
    assert a.fixed + a.lost == 3000 and a.unresolved == 0


@pytest.mark.parametrize(
    "model, mutant, resident, size, w, process, initial",
    [
        ("hawk-dove", "hawk", "dove", 20, 0.2, "moran", 1),
        ("hawk-dove", "dove", "hawk", 20, 0.2, "fermi", 2),
        ("stag-hunt", "cooperate", "defect", 12, 0.3, "moran", 4),
        ("stag-hunt", "cooperate", "defect", 12, 2.0, "fermi", 6),
        ("rock-paper-scissors", "paper", "rock", 15, 0.1, "moran", 1),
    ],
)
def test_simulation_agrees_with_the_exact_probability(model, mutant, resident, size, w, process, initial):
    game = gk.load(model)
    if model == "stag-hunt":
        game = game.with_parameters(c=0.2)
    sim = gk.simulate_fixation(game, mutant, resident, size, w, process, runs=20_000, initial=initial, rng=11)
    exact = gk.fixation_probability(game, mutant, resident, size, w, process, initial=initial)
    assert sim.probability == pytest.approx(exact)
    assert sim.unresolved == 0
    assert sim.ci_low <= exact <= sim.ci_high
    assert sim.agrees
    expected_time = gk.fixation_time(game, mutant, resident, size, w, process, initial=initial)
    assert sim.expected_steps == pytest.approx(expected_time)
    assert sim.mean_steps == pytest.approx(expected_time, rel=TIME_REL)


def traulsen_hauert_time(up, down, phi, size):
    """t_1 = sum_{k=1}^{N-1} sum_{l=1}^{k} (phi_l / T+(l)) prod_{m=l+1}^{k} T-(m)/T+(m) (Traulsen & Hauert 2009)."""
    total = 0 * up[1]
    for k in range(1, size):
        for start in range(1, k + 1):
            term = phi[start] / up[start]
            for m in range(start + 1, k + 1):
                term *= down[m] / up[m]
            total += term
    return total


@given(setups(max_size=12), selections, st.sampled_from(finite.PROCESSES))
@settings(max_examples=40, deadline=None)
def test_fixation_time_is_the_traulsen_hauert_double_sum(setup, w, process):
    table, m, r, size, _ = setup
    game = matrix_game(table)
    up, down = {}, {}
    for j in range(1, size):
        pm, pr = individual_payoffs(table, m, r, size, j)
        if process == "moran":  # birth-death: T+ = j f_M/(j f_M + (N-j) f_R) (N-j)/N
            fm, fr = 1 - w + w * pm, 1 - w + w * pr
            total = j * fm + (size - j) * fr
            up[j] = j * fm / total * Fraction(size - j, size)
            down[j] = (size - j) * fr / total * Fraction(j, size)
        else:  # a random focal individual, a random other one as its model
            pick = Fraction(size - j, size) * Fraction(j, size - 1)
            up[j] = float(pick) / (1 + math.exp(-float(w) * float(pm - pr)))
            down[j] = float(pick) / (1 + math.exp(float(w) * float(pm - pr)))
    phi = {i: absorption(up, down, size, i) for i in range(1, size)}
    expected = traulsen_hauert_time(up, down, phi, size)
    got = gk.fixation_time(game, f"s{m}", f"s{r}", size, w, process)
    assert got == pytest.approx(float(expected), rel=FLOAT_REL)


def test_neutral_moran_fixes_in_n_times_n_minus_one_steps_on_average():
    # Conditional on fixation, a single neutral mutant takes N (N - 1) steps on average (Ewens 2004; Antal &
    # Scheuring 2006): about 1000 of 20000 runs fix, the time's sd is about its mean, so its error is ~3%.
    game = gk.load("hawk-dove")
    size = 20
    sim = gk.simulate_fixation(game, "hawk", "dove", size, 0, runs=20_000, rng=3)
    assert sim.mean_steps == pytest.approx(size * (size - 1), rel=TIME_REL)
    assert gk.fixation_time(game, "hawk", "dove", size, 0) == pytest.approx(size * (size - 1), rel=1e-12)
    low, high = wilson_interval(sim.fixed, sim.runs)
    assert low <= 1 / size <= high


@pytest.mark.parametrize("initial, w", [(1, 0.5), (2, 0.2)])
def test_nashpy_moran_process_agrees(initial, w):
    """nashpy's Moran process (birth proportional to the total payoff against every other individual, death
    uniform) on the fitness table 1 - w + w A is the Moran process here: its estimate's 99.9% interval holds rho."""
    nash = pytest.importorskip("nashpy")
    table = np.array([[-1.0, 2.0], [0.0, 1.0]])  # hawk-dove, V = 2, C = 4
    size = 6
    fitness = 1 - w + w * table
    population = np.array([0] * initial + [1] * (size - initial))
    np.random.seed(2026)  # nashpy draws from numpy's global generator
    reps = 1500
    counts = nash.Game(fitness).fixation_probabilities(initial_population=population, repetitions=reps)
    hawks = counts.get(tuple([0] * size), 0.0)
    low, high = wilson_interval(round(hawks * reps), reps, z=Z_999)
    rho = gk.fixation_probability(gk.load("hawk-dove"), "hawk", "dove", size, w, initial=initial)
    assert low <= rho <= high


@pytest.mark.parametrize("process", finite.PROCESSES)
@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_runs_are_the_same_however_their_steps_are_sliced(process, backend, monkeypatch):
    # Finding 5: the steps go to the kernel in slices of about CALL_WORK; a run resumes from its generator's state,
    # so the counts (reference: one slice, every run to its end or max_steps) do not depend on the slicing
    game = gk.load("hawk-dove")
    w = 2.0 if process == "fermi" else 0.5  # (the Moran fitness 1 - w + w * payoff must stay positive)
    kw = dict(runs=300, rng=3, initial=2, backend=backend, max_steps=600)
    monkeypatch.setattr(finite, "CALL_WORK", 10**12)
    reference = gk.simulate_fixation(game, "hawk", "dove", 24, w, process, **kw)
    # strong selection to the mixed state: some runs use the whole budget, which the comparison covers too
    assert reference.unresolved > 0 and reference.fixed + reference.lost > 0
    for work, chunk in ((1, finite.CHUNK), (37, 64), (1000, 7)):
        monkeypatch.setattr(finite, "CALL_WORK", work)
        monkeypatch.setattr(finite, "CHUNK", chunk)
        sim = gk.simulate_fixation(game, "hawk", "dove", 24, w, process, **kw)
        assert (sim.fixed, sim.lost, sim.unresolved, sim.mean_steps) == (
            reference.fixed, reference.lost, reference.unresolved, reference.mean_steps
        )  # fmt: skip


def test_a_keyboard_interrupt_stops_the_runs_between_two_slices(monkeypatch):
    # Finding 5: the work goes to the kernel in slices of at most CALL_WORK steps each (1 run here: CALL_WORK
    # steps a call, however large max_steps), and Ctrl-C is honoured between two slices
    calls = []
    original = finite._run_numpy

    def interrupted(states, counts, steps, size, arrays, moran, max_steps):
        calls.append(max_steps)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(states, counts, steps, size, arrays, moran, max_steps)

    monkeypatch.setattr(finite, "_run_numpy", interrupted)
    monkeypatch.setattr(finite, "CALL_WORK", 100)
    with pytest.raises(KeyboardInterrupt):
        gk.simulate_fixation(
            gk.load("hawk-dove"), "hawk", "dove", 60, 5.0, "fermi", runs=1, initial=30, backend="numpy", rng=0
        )
    assert calls == [100, 200, 300]


def test_work_above_the_budget_is_refused_in_one_line_and_the_default_stays_within_it(monkeypatch):
    # Finding 5: runs * max_steps above MAX_WORK is refused; the default 200 N**2 per run is capped at MAX_WORK // runs
    hawk_dove = gk.load("hawk-dove")
    with pytest.raises(gk.ArgumentError, match="MAX_WORK") as err:
        gk.simulate_fixation(hawk_dove, "hawk", "dove", 10**6, 1.0, "fermi", runs=10, max_steps=10**18, rng=0)
    assert "\n" not in str(err.value) and "max_steps" in str(err.value)
    with pytest.raises(gk.ArgumentError, match="MAX_WORK"):
        gk.simulate_fixation(hawk_dove, "hawk", "dove", 100, 1.0, runs=1000, max_steps=finite.MAX_WORK // 999)
    small = gk.simulate_fixation(hawk_dove, "hawk", "dove", 10, 0.1, runs=5, rng=0, initial=5)
    assert small.max_steps == finite.STEPS_PER_SQUARED_SIZE * 10**2
    monkeypatch.setattr(finite, "MAX_WORK", 10**5)
    capped = gk.simulate_fixation(hawk_dove, "hawk", "dove", 1000, 0.1, runs=10, rng=0)
    assert capped.max_steps == 10**4 < finite.STEPS_PER_SQUARED_SIZE * 1000**2


def test_simulation_reports_unresolved_runs_honestly():
    # hawk-dove under strong Fermi selection holds the population near half hawks for a time exponential in N
    sim = gk.simulate_fixation(gk.load("hawk-dove"), "hawk", "dove", 60, 5.0, "fermi", runs=50, rng=0, max_steps=2000)
    assert sim.unresolved > 0
    assert sim.ci_high >= wilson_interval(sim.fixed + sim.unresolved, sim.runs)[1]
    assert "unresolved after 2000 steps" in repr(sim)


def test_simulated_fixation_result_prints():
    sim = gk.simulate_fixation(gk.load("hawk-dove"), "hawk", "dove", 10, 0.1, runs=500, rng=5)
    text = repr(sim)
    assert text.startswith("SimulatedFixation(Hawk-dove: 1 hawk among 9 dove, moran, w=0.1: ")
    assert f"{sim.fixed} of 500 runs fixed" in text
    d = sim.to_dict()
    assert d["fixed"] == sim.fixed and d["agrees"] == sim.agrees


# ------------------------------------------------------------------------------------------------------------- errors


def _platform():
    return gk.load("platform-insurance")


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: gk.fixation_probability(_platform(), "regulate", "relax", 10, 0.1),
            "needs a game played within one population .* between 3 population",
        ),
        (lambda: gk.stationary_distribution(_platform(), 10, 0.1), "needs a game played within one population"),
        (lambda: gk.simulate_fixation(_platform(), "insure", "evade", 10, 0.1), "within one population"),
        (
            lambda: gk.fixation_probability(gk.load("hawk-dove"), "eagle", "dove", 10, 0.1),
            r"mutant must be a strategy of 'players' \(hawk, dove\), got 'eagle'",
        ),
        (lambda: gk.fixation_probability(gk.load("hawk-dove"), "hawk", 3, 10, 0.1), "resident must be a strategy"),
        (lambda: gk.fixation_probability(gk.load("hawk-dove"), "hawk", "hawk", 10, 0.1), "must be different"),
        (lambda: gk.fixation_probability(gk.load("hawk-dove"), "hawk", "dove", 1, 0.1), "size must be an integer >= 2"),
        (lambda: gk.fixation_probability(gk.load("hawk-dove"), "hawk", "dove", 10.0, 0.1), "size must be an integer"),
        (lambda: gk.fixation_probability(gk.load("hawk-dove"), "hawk", "dove", 10, -0.1), r"selection must be in \[0"),
        (
            lambda: gk.fixation_probability(gk.load("hawk-dove"), "hawk", "dove", 10, math.nan),
            "selection must be a fin",
        ),
        (
            lambda: gk.fixation_probability(gk.load("hawk-dove"), "hawk", "dove", 10, 0.1, "wright-fisher"),
            "process must be one of 'moran', 'fermi'",
        ),
        (
            lambda: gk.fixation_probability(gk.load("hawk-dove"), "hawk", "dove", 10, 0.9),
            r"Moran fitness 1 - w \+ w\*payoff of hawk is -0\.2 <= 0 with 8 hawk and 2 dove \(selection 0\.9\)",
        ),
        (
            lambda: gk.fixation_probability(gk.load("hawk-dove"), "hawk", "dove", 10, 0.1, initial=10),
            "initial must be an integer <= 9",
        ),
        (
            lambda: gk.fixation_probability(gk.load("stag-hunt"), "cooperate", "defect", 9, 0.1),
            "size must be at least the group size 10",
        ),
        (
            lambda: gk.fixation_probability(matrix_game([["sqrt(2)", 1], [1, 1]]), "s0", "s1", 10, 0.1, exact=True),
            r"exact=True needs rational payoffs and selection; the payoff of s0 against s0 is sqrt\(2\)",
        ),
        (
            lambda: gk.stationary_distribution(gk.load("hawk-dove"), 10, 0.1, "fermi", exact=True),
            "needs process='moran'",
        ),
        (
            lambda: gk.simulate_fixation(gk.load("hawk-dove"), "hawk", "dove", 10, 0.1, runs=0),
            "runs must be an integer",
        ),
        (lambda: gk.simulate_fixation(gk.load("hawk-dove"), "hawk", "dove", 10, 0.1, backend="gpu"), "backend must be"),
        (lambda: gk.simulate_fixation(gk.load("hawk-dove"), "hawk", "dove", 10, 0.1, rng=-1), "rng must be"),
        (lambda: gk.fixation_probability("hawk-dove", "hawk", "dove", 10, 0.1), "game must be a gamekit Game"),
        (
            lambda: gk.fixation_probability(gk.load("hawk-dove"), "hawk", "dove", finite.MAX_SIZE + 1, 0.1),
            f"size must be an integer <= {finite.MAX_SIZE}",
        ),
        (
            lambda: gk.fixation_probability(
                gk.load("hawk-dove"), "hawk", "dove", finite.MAX_EXACT_SIZE + 1, 0.1, exact=True
            ),
            f"exact=True is limited to size <= {finite.MAX_EXACT_SIZE}",
        ),
        (
            lambda: gk.stationary_distribution(gk.load("hawk-dove"), finite.MAX_EXACT_SIZE + 1, 0.1, exact=True),
            "exact=True is limited to size",
        ),
        (
            lambda: gk.simulate_fixation(gk.load("hawk-dove"), "hawk", "dove", 10, 0.1, runs=finite.MAX_RUNS + 1),
            f"runs must be an integer <= {finite.MAX_RUNS}",
        ),
        (
            lambda: gk.simulate_fixation(gk.load("hawk-dove"), "hawk", "dove", 10, 0.1, progress="yes"),
            "progress must be True or False",
        ),
        (
            lambda: gk.fixation_probability(gk.load("hawk-dove").with_parameters(V=None), "hawk", "dove", 10, 0.1),
            "parameter 'V' has no value",
        ),
    ],
)
def test_bad_input_gives_one_line_errors(call, message):
    with pytest.raises(gk.GamekitError, match=message) as info:
        call()
    assert "\n" not in str(info.value)


# ---------------------------------------------------------------------------------------------------------------- CLI


def test_cli_fixation_json_matches_the_api(capsys):
    from gamekit.cli import main

    args = ["fixation", "hawk-dove", "--mutant", "hawk", "--resident", "dove", "--size", "20", "--selection", "0.1"]
    assert main([*args, "--exact", "--simulate", "4000", "--seed", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    game = gk.load("hawk-dove")
    assert out["fixation_probability"] == gk.fixation_probability(game, "hawk", "dove", 20, 0.1)
    assert Fraction(out["exact"]) == moran_reference([[-1, 2], [0, 1]], 0, 1, 20, Fraction(1, 10))
    assert out["fixation_time_steps"] == gk.fixation_time(game, "hawk", "dove", 20, 0.1)
    sim = out["simulation"]
    assert sim["runs"] == 4000 and sim["fixed"] + sim["lost"] + sim["unresolved"] == 4000
    assert sim["ci_low"] <= out["fixation_probability"] <= sim["ci_high"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "fixation probability of 1 hawk among 19 dove: 0.0723123" in text


def test_cli_fermi_matches_the_absorbing_chain(capsys):
    from gamekit.cli import main

    args = ["fixation", "hawk-dove", "--mutant", "dove", "--resident", "hawk", "--size", "15", "--selection", "0.8"]
    assert main([*args, "--process", "fermi", "--exact", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    reference = fermi_reference([[-1, 2], [0, 1]], 1, 0, 15, 0.8)
    assert out["fixation_probability"] == pytest.approx(reference, rel=FLOAT_REL)
    assert float(out["exact"]) == pytest.approx(reference, rel=FLOAT_REL)


def test_cli_fixation_one_strategy_named_in_a_two_strategy_game(capsys):
    from gamekit.cli import main

    assert (
        main(
            [
                "fixation",
                "stag-hunt",
                "--resident",
                "defect",
                "--size",
                "12",
                "--selection",
                "1",
                "--process",
                "fermi",
                "--initial",
                "3",
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert (out["mutant"], out["resident"], out["initial"]) == ("cooperate", "defect", 3)
    expected = gk.fixation_probability(gk.load("stag-hunt"), "cooperate", "defect", 12, 1, "fermi", initial=3)
    assert out["fixation_probability"] == expected


def test_cli_stationary_distribution(capsys):
    from gamekit.cli import main

    assert (
        main(["fixation", "rock-paper-scissors", "--scenario", "bad", "--size", "30", "--selection", "0.2", "--json"])
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    game = gk.load("rock-paper-scissors").scenario("bad")
    sd = gk.stationary_distribution(game, 30, 0.2)
    assert out["distribution"] == dict(zip(sd.strategies, sd.distribution))
    assert out["fixation"]["rock"]["paper"] == gk.fixation_probability(game, "paper", "rock", 30, 0.2)
    assert main(["fixation", "hawk-dove", "--size", "30", "--selection", "0.05"]) == 0
    text = capsys.readouterr().out
    assert "stationary distribution when mutations are rare" in text and "rho hawk" in text


@pytest.mark.parametrize(
    "args, message",
    [
        (["platform-insurance", "--size", "10", "--selection", "0.1"], "needs a game played within one population"),
        (
            ["platform-insurance", "--mutant", "insure", "--resident", "evade", "--size", "10", "--selection", "0.1"],
            "within one population",
        ),
        (["hawk-dove", "--mutant", "hawk", "--size", "10", "--selection", "0.9"], "Moran fitness"),
        (
            ["hawk-dove", "--mutant", "eagle", "--resident", "dove", "--size", "10", "--selection", "0.1"],
            "mutant must be a strategy",
        ),
        (["hawk-dove", "--mutant", "hawk", "--size", "1", "--selection", "0.1"], "size must be an integer >= 2"),
        (["hawk-dove", "--mutant", "hawk", "--size", "10", "--selection", "-1"], "selection must be in"),
        (["hawk-dove", "--size", "10", "--selection", "0.1", "--simulate", "10"], "need --mutant and --resident"),
        (["rock-paper-scissors", "--mutant", "rock", "--size", "10", "--selection", "0.1"], "give both --mutant"),
        (
            ["hawk-dove", "--mutant", "hawk", "--size", "10", "--selection", "0.1", "--simulate", "10", "--seed", "-2"],
            "--seed must be an integer >= 0",
        ),
        (["hawk-dove", "--size", "ten", "--selection", "0.1"], "invalid int value"),
    ],
)
def test_cli_fixation_bad_input_one_line_exit_2(args, message):
    proc = subprocess.run(
        [sys.executable, "-m", "gamekit", "fixation", *args], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gamekit: error: ") and message in lines[0]


# ----------------------------------------------------------------------------------------- EGTtools, where installed


def _egttools():
    return pytest.importorskip("egttools.analytical", reason="EGTtools is not a dependency; installed, it is an oracle")


@pytest.mark.parametrize(
    "model, scenario, size, beta",
    [("rock-paper-scissors", "bad", 30, 0.2), ("hawk-dove", None, 50, 1.0), ("hawk-dove", None, 40, 0.05)],
)
def test_egttools_pairwise_comparison_agrees(model, scenario, size, beta):
    """EGTtools' StochDynamics (Fermi rule, pairs): its fixation probabilities and its stationary distribution of
    the rare-mutation chain (``calculate_stationary_distribution`` of its column-stochastic matrix)."""
    analytical = _egttools()
    from egttools.utils import calculate_stationary_distribution

    game = gk.load(model)
    game = game.scenario(scenario) if scenario else game
    table = game.numeric_payoffs()[0]
    names = game.populations[0].strategies
    dyn = analytical.StochDynamics(len(names), table, size)
    for i, j in itertools.permutations(range(len(names)), 2):
        theirs = dyn.fixation_probability(j, i, beta)
        assert gk.fixation_probability(game, names[j], names[i], size, beta, "fermi") == pytest.approx(
            theirs, rel=1e-12
        )
    transitions, _ = dyn.transition_and_fixation_matrix(beta)
    theirs = calculate_stationary_distribution(transitions)
    assert gk.stationary_distribution(game, size, beta, "fermi").distribution == pytest.approx(theirs, rel=1e-9)


def test_egttools_group_fermi_agrees():
    """EGTtools' group version: payoffs[i, j](count of i in the group with the focal, group size)."""
    analytical = _egttools()
    game = gk.load("stag-hunt")
    pi = stag_hunt_payoffs(Fraction(8), 5, Fraction(1), 10)
    payoffs = np.empty((2, 2), dtype=object)
    payoffs[0, 1] = lambda cooperators, n: float(pi[0](cooperators - 1))
    payoffs[1, 0] = lambda defectors, n: float(pi[1](n - defectors))
    dyn = analytical.StochDynamics(2, payoffs, 30, group_size=10)
    for m, r in ((0, 1), (1, 0)):
        names = game.populations[0].strategies
        theirs = dyn.fixation_probability(m, r, 0.5)
        assert gk.fixation_probability(game, names[m], names[r], 30, 0.5, "fermi") == pytest.approx(theirs, rel=1e-9)
