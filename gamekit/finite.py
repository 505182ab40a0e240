r"""Finite populations: fixation probabilities, simulated fixation, and the small-mutation stationary distribution.

A population of ``N`` individuals (``size``) plays a one-population game: a symmetric game (``game.kind ==
"symmetric"``, my payoff ``A[mine, theirs]`` against one opponent) or a group game (``"group"``, groups of ``n``).
In a population of ``j`` mutants (strategy ``M``) and ``N - j`` residents (``R``), every individual meets *all the
others* and never itself.

**Payoffs in state j** (``1 <= j <= N - 1``).  Symmetric game, with ``a = A[M, M], b = A[M, R], c = A[R, M],
d = A[R, R]`` (Nowak, Sasaki, Taylor & Fudenberg 2004)::

    pi_M(j) = (a (j - 1) + b (N - j)) / (N - 1)
    pi_R(j) = (c j       + d (N - j - 1)) / (N - 1)

Group game with ``pi_s(k)`` the payoff of strategy ``s`` when ``k`` of the other ``n - 1`` group members play the
first strategy, and ``i`` first-strategy players in the population: the other members are drawn *without
replacement* from the other ``N - 1`` individuals (Hauert, Traulsen, Brandt, Nowak & Sigmund 2007; Pacheco, Santos,
Souza & Skyrms 2009), so ``k`` is hypergeometric::

    pi_first(i)  = sum_k C(i - 1, k) C(N - i, n - 1 - k) / C(N - 1, n - 1) * pi_first(k)
    pi_second(i) = sum_k C(i, k) C(N - 1 - i, n - 1 - k) / C(N - 1, n - 1) * pi_second(k)

(``N >= n``); ``i = j`` when the mutant plays the first strategy, ``N - j`` otherwise.  A named share in a payoff
(``game.shares``) takes the value of the population's composition, the focal individual included: ``j/N`` for the
mutant's strategy, ``(N - j)/N`` for the resident's, ``0`` for every other.

**Processes.**  Both are birth-death chains on ``j`` with absorbing ``0`` and ``N``; only the ratio
``gamma_j = T^-(j) / T^+(j)`` of the probabilities of going down and up matters for fixation.

* ``"moran"`` (frequency-dependent Moran process, Nowak et al. 2004): fitness ``f = 1 - w + w pi`` at selection
  intensity ``w``; an individual is chosen to reproduce with probability proportional to fitness, one dies at random,
  and the offspring replaces it::

      T^+(j) = j f_M / (j f_M + (N - j) f_R) * (N - j)/N,   T^-(j) = (N - j) f_R / (j f_M + (N - j) f_R) * j/N,
      gamma_j = f_R(j) / f_M(j)

  Every fitness must be positive; ``w`` may exceed 1 where the payoffs allow it.
* ``"fermi"`` (pairwise comparison, Traulsen, Nowak & Pacheco 2006; Traulsen, Pacheco & Nowak 2007): a random
  focal individual compares itself with a random other one and imitates it with probability
  ``1 / (1 + exp(-w (pi_model - pi_focal)))``::

      gamma_j = exp(-w (pi_M(j) - pi_R(j)))

**Fixation probability** of ``i`` mutants (``initial``; one by default) in a population of residents::

    rho_i = sum_{k=0}^{i-1} P_k / sum_{k=0}^{N-1} P_k,    P_0 = 1,   P_k = prod_{j=1}^{k} gamma_j,

so ``rho = rho_1 = 1 / (1 + sum_{k=1}^{N-1} prod_{j=1}^{k} gamma_j)``.  At ``w = 0`` every ``gamma_j = 1`` and
``rho_i = i/N``.  Two facts the tests use: for constant fitness ``f_M = r, f_R = 1`` (``a = b = r``, ``c = d = 1``,
``w = 1``) ``rho = (1 - 1/r) / (1 - 1/r^N)``; and ``rho_{M,R} / rho_{R,M} = 1 / prod_{j=1}^{N-1} gamma_j`` (the
resident invading the mutant walks the same chain backwards).

*Exact and floating point.*  ``exact=True`` computes the Moran probability as a :class:`fractions.Fraction` (the
payoffs at the game's values must be rational; ``w`` is read from its shortest decimal form, ``0.1 = 1/10``), and the
Fermi one as a sympy expression (a sum of exponentials of rationals).  Otherwise the sums run in log space,
``log rho_i = logsumexp(L_0..L_{i-1}) - logsumexp(L_0..L_{N-1})`` with ``L_k = sum_{j <= k} log gamma_j`` and
``log gamma_j = log1p(w (pi_R - 1)) - log1p(w (pi_M - 1))`` (Moran): nothing overflows for any ``N`` and ``w``, and
a probability below the smallest float is ``0.0`` while its log (``log_fixation_probability``) stays exact.

**Time to fixation** (:func:`fixation_time`): the mean number of steps until ``initial`` mutants take over,
conditional on their doing so (Antal & Scheuring 2006; Traulsen & Hauert 2009), from the chain conditioned on
fixation, whose steps go up with probability ``T^+(j) rho_{j+1} / rho_j`` and down with ``T^-(j) rho_{j-1} / rho_j``.

**Simulated fixation** (:func:`simulate_fixation`) runs the processes themselves, individual draws and all (the
steps where nothing changes included), for many independent runs, each with its own random stream seeded from
``rng``: the counts do not depend on the chunking, the threads, or the backend (a numba kernel and a numpy twin that
draw the same numbers).  The fraction of runs that fix comes with a Wilson 95% interval.

**Small-mutation limit** (:func:`stationary_distribution`; Fudenberg & Imhof 2006, as EGTtools computes it): when
mutations are rare the population is almost always monomorphic, and moves from all-``i`` to all-``j`` at rate
``rho_{j,i} / (n - 1)`` (a random one of the ``n - 1`` other strategies mutates in, ``rho_{j,i}`` the fixation
probability of one ``j`` among residents ``i``).  The stationary vector of this ``n``-state chain is the long-run
share of time spent in each pure state.  It is computed by the GTH algorithm (Grassmann, Taksar & Heyman 1985), in
log space (floats) or in Fractions (``exact=True``, Moran): GTH never subtracts, so tiny fixation probabilities
lose no accuracy.
"""

from __future__ import annotations

import math
import numbers
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

import numpy as np
import sympy
from scipy.special import expit, logsumexp

from . import _validate as check
from .basins import wilson_interval
from .errors import AnalysisError, ArgumentError, ParameterError
from .expr import MAX_MAGNITUDE, float_value, substitute
from .expr import exact as exact_number
from .game import Game

__all__ = [
    "PROCESSES",
    "fixation_probability",
    "log_fixation_probability",
    "fixation_time",
    "simulate_fixation",
    "SimulatedFixation",
    "stationary_distribution",
    "StationaryDistribution",
    "splitmix_uniforms",
]

Process = Literal["moran", "fermi"]
PROCESSES = ("moran", "fermi")
BACKENDS = ("auto", "numba", "numpy")
CHUNK = 4096
"""Runs per chunk of :func:`simulate_fixation` (a unit of progress and of work for a thread)."""
PROGRESS_DELAY = 2.0
"""Seconds after which :func:`simulate_fixation` shows a progress bar unless told (``progress``)."""
MAX_SIZE = 10_000_000
"""Largest population size (the computations hold a few arrays of ``N`` floats)."""
MAX_EXACT_SIZE = 20_000
"""Largest population size with ``exact=True`` (the exact sums grow with ``N``: about 5 s at this size)."""
MAX_RUNS = 10_000_000
"""Most runs of one :func:`simulate_fixation` call (three arrays of ``runs`` 64-bit numbers)."""
STEPS_PER_SQUARED_SIZE = 200
"""Default step budget of a run: ``STEPS_PER_SQUARED_SIZE * N**2`` steps (the neutral Moran process fixes in
``N (N - 1)`` steps on average, conditional on fixation), at most ``MAX_WORK // runs``."""
MAX_WORK = 10**11
"""Most steps of one :func:`simulate_fixation` call, ``runs * max_steps`` (about 10-20 minutes on two cores): a
larger ``max_steps`` is refused (:class:`~gamekit.errors.ArgumentError`), and the default ``max_steps`` is capped so
that it stays within it."""
CALL_WORK = 2**22
"""Steps per call of the compiled kernel (about 0.05-0.2 s): each chunk of runs is advanced in slices of about this
many steps, so that the progress bar moves and Ctrl-C (KeyboardInterrupt) stops the run between two of them.  The
counts do not depend on it (a run resumes from its generator's state)."""


# ----------------------------------------------------------------------------------------------- arguments and payoffs


@dataclass(frozen=True)
class _Setup:
    game: Game
    mutant: int
    resident: int
    size: int
    selection: float
    process: str
    exact_selection: Fraction | None = None

    @property
    def names(self) -> tuple[str, str]:
        strategies = self.game.populations[0].strategies
        return strategies[self.mutant], strategies[self.resident]


def _one_population(game: Game, what: str) -> Game:
    game = check.game(game)
    if game.kind not in ("symmetric", "group"):
        pops = ", ".join(p.name for p in game.populations)
        raise ArgumentError(
            f"{what} needs a game played within one population (kind 'symmetric' or 'group'); "
            f"{game.name or 'this game'!r} is a game between {len(game.populations)} population(s) ({pops})"
        )
    return game


def _strategy(game: Game, name: str, what: str) -> int:
    pop = game.populations[0]
    if not isinstance(name, str) or name not in pop.strategies:
        raise ArgumentError(
            f"{what} must be a strategy of {pop.name!r} ({', '.join(pop.strategies)}), got {check.printable(repr(name))}"
        )
    return pop.strategies.index(name)


def _size(game: Game, size: int) -> int:
    size = check.integer("size", size, minimum=2, maximum=MAX_SIZE)
    if game.kind == "group" and size < game.group.size:
        raise ArgumentError(
            f"size must be at least the group size {game.group.size} (groups are drawn from the population), got {size}"
        )
    return size


def _setup(game, mutant, resident, size, selection, process, what) -> _Setup:
    game = _one_population(game, what)
    m = _strategy(game, mutant, "mutant")
    r = _strategy(game, resident, "resident")
    if m == r:
        raise ArgumentError(f"mutant and resident must be different strategies, both are {mutant!r}")
    size = _size(game, size)
    w = check.real("selection", selection, low=0.0)
    check.choice("process", process, PROCESSES)
    return _Setup(game, m, r, size, w, process, _exact_selection(selection))


def _exact_selection(selection) -> Fraction:
    """``w`` as a Fraction: exactly when it is a rational type (int, Fraction, sympy Rational), else from its
    shortest decimal form (``0.1`` is 1/10)."""
    if isinstance(selection, numbers.Rational):
        return Fraction(int(selection.numerator), int(selection.denominator))
    if isinstance(selection, sympy.Basic) and selection.is_Rational:
        return Fraction(int(selection.p), int(selection.q))
    return _as_fraction(exact_number(float(selection)), "selection")


def _as_fraction(value: sympy.Expr, what: str) -> Fraction:
    if not (isinstance(value, sympy.Basic) and value.is_Rational):
        raise ArgumentError(
            f"exact=True needs rational payoffs and selection; {what} is {check.printable(value, 60)} (use exact=False)"
        )
    return Fraction(int(value.p), int(value.q))


def _number(value, what: str, exact: bool):
    """A payoff value (sympy number or float) as a Fraction (exact) or a checked float."""
    if exact:
        return _as_fraction(value, what)
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        v = math.nan
    if not math.isfinite(v) or abs(v) > MAX_MAGNITUDE:
        raise ParameterError(
            f"{what} is {check.printable(value, 60)}, not a finite real number of magnitude at most "
            f"{MAX_MAGNITUDE:g} (MAX_MAGNITUDE); check the parameter values"
        )
    return v


class _Evaluator:
    """Payoff expressions at the game's parameter values and at a population composition (shares)."""

    def __init__(self, game: Game, exact: bool):
        self.game, self.exact = game, exact
        self.values = game.values()  # ParameterError when a parameter has no value
        self.floats = {s: float(v) for s, v in self.values.items()}
        self.shares = [(sym, game.share_index(name)[1]) for name, sym in game.share_symbols.items()]

    def share_values(self, counts: dict[int, int], size: int) -> dict:
        out = {}
        for sym, i in self.shares:
            c = counts.get(i, 0)
            out[sym] = sympy.Rational(c, size) if self.exact else c / size
        return out

    def __call__(self, expr: sympy.Expr, what: str, counts: dict[int, int] | None = None, size: int = 1):
        shares = self.share_values(counts or {}, size)
        if self.exact:
            try:
                value = substitute(substitute(expr, self.values), shares)
            except AnalysisError as err:
                raise ArgumentError(f"exact=True: {what}: {err}; use exact=False") from None
            return _number(value, what, True)
        if shares:
            value = float_value(expr, {**self.floats, **shares})
        else:
            try:
                value = substitute(expr, self.values)
            except AnalysisError:  # an exact power too large: IEEE floats
                value = float_value(expr, self.floats)
        return _number(value, what, False)

    def depends_on_state(self, expr: sympy.Expr) -> bool:
        return any(expr.has(sym) for sym, _ in self.shares)


def _state_label(s: _Setup, j: int) -> str:
    mut, res = s.names
    return f"with {j} {mut} and {s.size - j} {res}"


def _payoffs(s: _Setup, exact: bool) -> tuple[list, list]:
    """``pi_M(j)`` and ``pi_R(j)`` for ``j = 1, ..., N - 1`` (Fractions when ``exact``, else float arrays)."""
    ev = _Evaluator(s.game, exact)
    if s.game.kind == "symmetric":
        return _symmetric_payoffs(s, ev)
    return _group_payoffs(s, ev)


def _symmetric_payoffs(s: _Setup, ev: _Evaluator):
    game, m, r, n = s.game, s.mutant, s.resident, s.size
    table = game.payoff_tensors[0]
    pop = game.populations[0]
    cells = [(m, m), (m, r), (r, m), (r, r)]
    exprs = [table[c] for c in cells]
    labels = [f"the payoff of {pop.strategies[x]} against {pop.strategies[y]}" for x, y in cells]
    if not any(ev.depends_on_state(e) for e in exprs):
        a, b, c, d = (ev(e, lab) for e, lab in zip(exprs, labels))
        if ev.exact:
            pim = [(a * (j - 1) + b * (n - j)) / (n - 1) for j in range(1, n)]
            pir = [(c * j + d * (n - j - 1)) / (n - 1) for j in range(1, n)]
            return pim, pir
        j = np.arange(1, n, dtype=float)
        return (a * (j - 1) + b * (n - j)) / (n - 1), (c * j + d * (n - j - 1)) / (n - 1)
    pim, pir = [], []
    for j in range(1, n):
        counts = {m: j, r: n - j}
        a, b, c, d = (ev(e, f"{lab} {_state_label(s, j)}", counts, n) for e, lab in zip(exprs, labels))
        pim.append((a * (j - 1) + b * (n - j)) / (n - 1))
        pir.append((c * j + d * (n - j - 1)) / (n - 1))
    return (pim, pir) if ev.exact else (np.array(pim, dtype=float), np.array(pir, dtype=float))


def _hypergeometric(size: int, group: int, firsts: np.ndarray, focal_first: bool, exact: bool):
    """Weights ``P(k)`` (rows: states with ``firsts`` first-strategy players; columns ``k = 0..group-1``) of ``k``
    first-strategy players among a focal individual's ``group - 1`` co-players, drawn without replacement.

    Exact: ``(numerators, denominator)``, integers ``C(s, k) C(N - 1 - s, n - 1 - k)`` over ``C(N - 1, n - 1)``
    (``s`` the first-strategy players among the other ``N - 1``).  Floats: from log-binomials (``gammaln``).
    """
    others = group - 1
    succ = firsts - 1 if focal_first else firsts
    if exact:
        rows = [[math.comb(int(s), k) * math.comb(size - 1 - int(s), others - k) for k in range(group)] for s in succ]
        return rows, math.comb(size - 1, others)
    from scipy.special import gammaln

    def log_comb(a, b):
        with np.errstate(invalid="ignore"):
            out = gammaln(a + 1.0) - gammaln(b + 1.0) - gammaln(a - b + 1.0)
        return np.where((b < 0) | (b > a), -np.inf, out)

    k = np.arange(group, dtype=float)[None, :]
    s = succ.astype(float)[:, None]
    logs = log_comb(s, k) + log_comb(size - 1.0 - s, others - k) - log_comb(float(size - 1), float(others))
    return np.exp(logs)


def _exact_average(numerators: list[int], denominator: int, values: list[Fraction]) -> Fraction:
    """``sum_k numerators[k] values[k] / denominator`` with one division (values over a common denominator)."""
    common = math.lcm(*(v.denominator for v in values))
    return Fraction(
        sum(n * (v.numerator * (common // v.denominator)) for n, v in zip(numerators, values)), denominator * common
    )


def _group_payoffs(s: _Setup, ev: _Evaluator):
    from .dynamics import group_payoff

    game, n, group = s.game, s.size, s.game.group.size
    pop = game.populations[0]
    count = game.group.count
    js = np.arange(1, n)
    firsts = js if s.mutant == 0 else n - js
    base = [[group_payoff(game, st, k) for k in range(group)] for st in (0, 1)]
    stateful = any(ev.depends_on_state(e) for row in base for e in row)
    expected = []
    for st in (0, 1):
        weights = _hypergeometric(n, group, firsts, st == 0, ev.exact)
        if not stateful:
            vals = [ev(e, f"the payoff of {pop.strategies[st]} at {count} = {k}") for k, e in enumerate(base[st])]
            if ev.exact:
                rows, total = weights
                expected.append([_exact_average(row, total, vals) for row in rows])
            else:
                expected.append(weights @ np.array(vals, dtype=float))
            continue
        column = []
        for idx, j in enumerate(js):
            i = int(firsts[idx])
            counts = {0: i, 1: n - i}
            vals = [
                ev(e, f"the payoff of {pop.strategies[st]} at {count} = {k} {_state_label(s, int(j))}", counts, n)
                for k, e in enumerate(base[st])
            ]
            if ev.exact:
                column.append(_exact_average(weights[0][idx], weights[1], vals))
            else:
                column.append(float(weights[idx] @ np.array(vals, dtype=float)))
        expected.append(column if ev.exact else np.array(column, dtype=float))
    return expected[s.mutant], expected[s.resident]


# ---------------------------------------------------------------------------------------------- fixation probabilities


def _moran_fitness_check(s: _Setup, fm, fr) -> None:
    for who, f in ((0, fm), (1, fr)):
        if isinstance(f, np.ndarray):
            bad = np.flatnonzero(~(f > 0))
        else:
            bad = [k for k, v in enumerate(f) if not v > 0]
        if len(bad):
            j = int(bad[0]) + 1
            name = s.names[who]
            raise ArgumentError(
                f"the Moran fitness 1 - w + w*payoff of {name} is {float(f[bad[0]]):.6g} <= 0 {_state_label(s, j)} "
                f"(selection {s.selection:g}); use a smaller selection or process='fermi'"
            )


def _log_gammas(s: _Setup) -> np.ndarray:
    """``log gamma_j`` for ``j = 1..N-1`` in floating point (module docstring)."""
    pim, pir = _payoffs(s, exact=False)
    w = s.selection
    with np.errstate(all="ignore"):
        if s.process == "moran":
            fm, fr = 1.0 + w * (pim - 1.0), 1.0 + w * (pir - 1.0)
            _moran_fitness_check(s, fm, fr)
            out = np.log1p(w * (pir - 1.0)) - np.log1p(w * (pim - 1.0))
        else:
            out = -w * (pim - pir)
    if not np.all(np.isfinite(out)):
        raise AnalysisError(
            f"selection {w:g} times the payoffs overflows floating point; use a smaller selection or payoffs"
        )
    return out


def _log_rho(log_gammas: np.ndarray, initial: int) -> float:
    partial = np.concatenate(([0.0], np.cumsum(log_gammas)))
    with np.errstate(all="ignore"):
        value = float(logsumexp(partial[:initial]) - logsumexp(partial))
    if math.isnan(value):
        raise AnalysisError("the fixation probability overflows floating point; use a smaller selection")
    return min(value, 0.0)


def _exact_rho(s: _Setup, initial: int):
    pim, pir = _payoffs(s, exact=True)
    w = s.exact_selection if s.exact_selection is not None else _exact_selection(s.selection)
    if s.process == "moran":
        fm = [1 - w + w * p for p in pim]
        fr = [1 - w + w * p for p in pir]
        _moran_fitness_check(s, fm, fr)
        # gamma_j = f_R(j) / f_M(j) = u_j / v_j in integers; the sums by Horner's rule without reducing on the way
        ratios = [(g.numerator * f.denominator, g.denominator * f.numerator) for g, f in zip(fr, fm)]
        num_i, den_i = _partial_sum(ratios, initial)
        num_n, den_n = _partial_sum(ratios, s.size)
        return Fraction(num_i * den_n, den_i * num_n)
    wr = sympy.Rational(w.numerator, w.denominator)
    acc, terms = Fraction(0), [sympy.Integer(1)]
    for a, b in zip(pim, pir):
        acc += a - b
        terms.append(sympy.exp(-wr * sympy.Rational(acc.numerator, acc.denominator)))
    return sympy.Add(*terms[:initial]) / sympy.Add(*terms)


def _partial_sum(ratios: list[tuple[int, int]], count: int) -> tuple[int, int]:
    """``sum_{k=0}^{count-1} prod_{j<=k} u_j/v_j`` as an unreduced ``(numerator, denominator)``: Horner's rule,
    ``T = 1 + (u_{k+1}/v_{k+1}) T`` from the last term back (one gcd at the end instead of one per term)."""
    num, den = 1, 1
    for u, v in reversed(ratios[: count - 1]):
        num, den = v * den + u * num, v * den
    return num, den


def _exact_size(size: int) -> None:
    if size > MAX_EXACT_SIZE:
        raise ArgumentError(
            f"exact=True is limited to size <= {MAX_EXACT_SIZE} (MAX_EXACT_SIZE; exact sums grow with N), got {size}; "
            "use exact=False (log space)"
        )


def _initial(initial: int, size: int) -> int:
    return check.integer("initial", initial, minimum=1, maximum=size - 1)


def fixation_probability(
    game: Game,
    mutant: str,
    resident: str,
    size: int,
    selection: float,
    process: Process = "moran",
    *,
    initial: int = 1,
    exact: bool = False,
) -> float | Fraction | sympy.Expr:
    """The probability that ``initial`` mutants take over a finite population of residents (module docstring).

    Parameters
    ----------
    game
        A one-population game (kind ``"symmetric"`` or ``"group"``) whose parameters all have values.
    mutant, resident
        Strategy names: the invading strategy and the one the rest of the population plays.
    size
        Population size ``2 <= N <= MAX_SIZE`` (at least the group size of a group game).
    selection
        Intensity of selection ``w >= 0`` (``0``: neutral drift, ``rho = initial/N``).
    process
        ``"moran"`` (fitness ``1 - w + w pi``, Nowak et al. 2004) or ``"fermi"`` (pairwise comparison, Traulsen et
        al. 2006).
    initial
        Number of mutants at the start, ``1 <= initial <= N - 1``.
    exact
        ``True``: a :class:`fractions.Fraction` (Moran; rational payoffs, ``w`` read as a decimal) or a sympy
        expression (Fermi); ``N <= MAX_EXACT_SIZE``.  ``False`` (default): a float computed in log space (no overflow for any ``N``, ``w``).

    Returns
    -------
    float or fractions.Fraction or sympy.Expr
        The fixation probability ``rho`` (a float unless ``exact``).

    Raises
    ------
    ArgumentError
        For a game of several populations, an unknown strategy, ``mutant == resident``, ``N < 2``, ``w < 0``, or
        a Moran fitness ``<= 0`` (naming the state).

    Examples
    --------
    >>> import gamekit as gk
    >>> hd = gk.load("hawk-dove")
    >>> gk.fixation_probability(hd, "hawk", "dove", size=10, selection=0, exact=True)
    Fraction(1, 10)
    >>> round(gk.fixation_probability(hd, "hawk", "dove", size=50, selection=0.1), 6)
    0.04329
    """
    s = _setup(game, mutant, resident, size, selection, process, "fixation_probability")
    initial = _initial(initial, s.size)
    if check.flag("exact", exact):
        _exact_size(s.size)
        return _exact_rho(s, initial)
    return math.exp(_log_rho(_log_gammas(s), initial))


def log_fixation_probability(
    game: Game,
    mutant: str,
    resident: str,
    size: int,
    selection: float,
    process: Process = "moran",
    *,
    initial: int = 1,
) -> float:
    """``log rho``, finite however small ``rho`` is (``fixation_probability`` underflows to ``0.0`` below ~1e-308).

    Parameters
    ----------
    game, mutant, resident, size, selection, process, initial
        As for :func:`fixation_probability`.

    Returns
    -------
    float
        ``log rho``.

    Examples
    --------
    >>> import gamekit as gk
    >>> pd = gk.Game({"players": ["cooperate", "defect"]},
    ...              {"cooperate, cooperate": [3], "cooperate, defect": [0], "defect, cooperate": [5], "defect, defect": [1]})
    >>> gk.fixation_probability(pd, "cooperate", "defect", size=10_000, selection=1, process="fermi")
    0.0
    >>> round(gk.log_fixation_probability(pd, "cooperate", "defect", size=10_000, selection=1, process="fermi"), 3)
    -15002.145
    """
    s = _setup(game, mutant, resident, size, selection, process, "log_fixation_probability")
    return _log_rho(_log_gammas(s), _initial(initial, s.size))


# ------------------------------------------------------------------------------------------------- simulated fixation


def splitmix_uniforms(states: np.ndarray) -> np.ndarray:
    """One uniform in ``[0, 1)`` per splitmix64 stream; advances ``states`` (uint64, in place).

    The numpy twin of the compiled kernel's generator (``gamekit._kernels.fixation_numba``): both give the same
    numbers from the same seeds.
    """
    from ._kernels import splitmix as c

    states += c.GOLDEN
    z = states.copy()
    z = (z ^ (z >> c.S30)) * c.MIX1
    z = (z ^ (z >> c.S27)) * c.MIX2
    z = z ^ (z >> c.S31)
    return (z >> c.S11).astype(np.float64) * c.UNIT


def _run_numpy(states, counts, steps, size, arrays, moran, max_steps):
    """The numpy twin of ``fixation_numba.run_moran`` / ``run_fermi``: advance the runs (generator ``states``, mutant
    ``counts``, ``steps`` taken) in place until each fixes, is lost, or has taken ``max_steps`` steps."""
    active = np.flatnonzero((counts > 0) & (counts < size) & (steps < max_steps))
    with np.errstate(over="ignore"):
        while active.size:
            st = states[active]
            jj = counts[active]
            if moran:
                birth, death = arrays
                born = splitmix_uniforms(st) < birth[jj]
                dies = splitmix_uniforms(st) < death[jj]
                jj = jj + (born & ~dies) - (dies & ~born)
            else:
                focal, model_r, model_m, up, down = arrays
                resident = splitmix_uniforms(st) < focal[jj]
                other = splitmix_uniforms(st) < np.where(resident, model_r[jj], model_m[jj])
                adopt = splitmix_uniforms(st) < np.where(resident, up[jj], down[jj])
                jj = jj + (other & adopt) * np.where(resident, 1, -1)
            states[active] = st
            counts[active] = jj
            steps[active] += 1
            active = active[(jj > 0) & (jj < size) & (steps[active] < max_steps)]


def _transition_arrays(s: _Setup) -> tuple[bool, tuple[np.ndarray, ...]]:
    """Per-state probabilities (index ``j = 0..N``; the ends unused) of the individual draws (kernel docstring)."""
    n = s.size
    pim, pir = _payoffs(s, exact=False)
    j = np.arange(n + 1, dtype=float)
    inner = slice(1, n)

    def full(values):
        out = np.zeros(n + 1)
        out[inner] = values
        return out

    w = s.selection
    if s.process == "moran":
        with np.errstate(all="ignore"):
            fm, fr = 1.0 + w * (pim - 1.0), 1.0 + w * (pir - 1.0)
        _moran_fitness_check(s, fm, fr)
        jm = j[inner]
        # birth of a mutant: j f_M / (j f_M + (N - j) f_R), as 1 / (1 + gamma_j (N - j)/j): no overflow
        ratio = np.exp(np.log1p(w * (pir - 1.0)) - np.log1p(w * (pim - 1.0)))
        birth = full(1.0 / (1.0 + ratio * (n - jm) / jm))
        return True, (birth, j / n)
    diff = full(pim - pir)
    focal = (n - j) / n
    return False, (focal, j / (n - 1), (n - j) / (n - 1), expit(w * diff), expit(-w * diff))


def _log_steps(s: _Setup, log_gammas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log T+(j)``, ``log T-(j)`` (``j = 1..N-1``): the probability that one step of the simulated process moves
    ``j`` up or down (its draws as in ``gamekit._kernels.fixation_numba``)."""
    n = s.size
    j = np.arange(1, n, dtype=float)
    mix = np.log(j / n) + np.log((n - j) / n)
    if s.process == "moran":  # birth of a mutant w.p. 1 / (1 + gamma_j (N - j)/j); death of one w.p. j/N
        x = log_gammas + np.log((n - j) / j)
        return -np.logaddexp(0.0, x) + np.log((n - j) / n), -np.logaddexp(0.0, -x) + np.log(j / n)
    pim, pir = _payoffs(s, exact=False)
    z = s.selection * (pim - pir)
    pick = mix + math.log(n / (n - 1))  # focal of one type (of N), model of the other (of the other N - 1)
    return pick - np.logaddexp(0.0, -z), pick - np.logaddexp(0.0, z)


def _fixation_time(s: _Setup, initial: int) -> float:
    from scipy.linalg import solve_banded

    n = s.size
    log_g = _log_gammas(s)
    log_up, log_down = _log_steps(s, log_g)
    # phi_i proportional to S_i = sum_{k<i} P_k; the conditional chain moves up w.p. T+ phi_{i+1}/phi_i, down
    # w.p. T- phi_{i-1}/phi_i (0 at i = 1): in logs, so nothing underflows before the ratio is taken
    log_s = np.logaddexp.accumulate(np.concatenate(([0.0], np.cumsum(log_g))))  # log S_1 .. log S_N
    with np.errstate(all="ignore"):
        up = np.exp(log_up + log_s[1:] - log_s[:-1])
        down = np.zeros(n - 1)
        down[1:] = np.exp(log_down[1:] + log_s[:-2] - log_s[1:-1])
        bands = np.zeros((3, n - 1))
        bands[0, 1:] = -up[:-1]
        bands[1] = up + down
        bands[2, :-1] = -down[1:]
        try:
            t = solve_banded((1, 1), bands, np.ones(n - 1))
        except (np.linalg.LinAlgError, ValueError):
            return math.inf
    value = float(t[initial - 1])
    return value if math.isfinite(value) and value > 0 else math.inf


def fixation_time(
    game: Game,
    mutant: str,
    resident: str,
    size: int,
    selection: float,
    process: Process = "moran",
    *,
    initial: int = 1,
) -> float:
    """Mean number of steps until ``initial`` mutants take over, in the runs where they do (conditional fixation time).

    A step is one update of the process that :func:`simulate_fixation` runs: a Moran birth-death event, or one
    comparison of a random focal individual with a random *other* one (Fermi).  Divide by ``N`` for generations.
    ``t_i`` solves the tridiagonal system of the process conditioned on fixation (Antal & Scheuring 2006; Traulsen
    & Hauert 2009), whose steps go up with probability ``T+(i) phi_{i+1} / phi_i`` and down with ``T-(i) phi_{i-1} /
    phi_i`` (``phi`` the fixation probabilities, in log space):
    ``(T+* + T-*) t_i - T+* t_{i+1} - T-* t_{i-1} = 1``, ``t_N = 0``.  Neutral Moran: ``t_1 = N (N - 1)``.
    ``inf`` where floating point cannot resolve the chain (a step probability below the smallest float).

    Parameters
    ----------
    game, mutant, resident, size, selection, process, initial
        As for :func:`fixation_probability`.

    Returns
    -------
    float
        The mean number of steps (``inf`` where floating point cannot resolve the chain).

    Examples
    --------
    >>> import gamekit as gk
    >>> gk.fixation_time(gk.load("hawk-dove"), "hawk", "dove", size=20, selection=0)
    380.0...
    """
    s = _setup(game, mutant, resident, size, selection, process, "fixation_time")
    return _fixation_time(s, _initial(initial, s.size))


@dataclass(frozen=True)
class SimulatedFixation:
    """The result of :func:`simulate_fixation`: how many independent runs of the process fixed the mutant.

    Attributes
    ----------
    game, mutant, resident, size, selection, process, initial
        What was simulated (the game's name; strategy names; ``N``; ``w``; ``"moran"``/``"fermi"``; mutants at the
        start).
    runs, fixed, lost, unresolved
        Runs in all; runs that ended with every individual a mutant, with none; runs still mixed after
        ``max_steps`` steps.
    share, ci_low, ci_high
        ``fixed / runs`` and its Wilson 95% interval; unresolved runs widen the interval's upper end (they may yet
        fix), so the interval stays valid.
    probability
        The exact fixation probability (:func:`fixation_probability`), for comparison.
    mean_steps
        Mean number of steps (individual updates) of the runs that fixed; ``nan`` if none did.  Divide by ``N``
        for generations.  With unresolved runs it leaves out the slowest fixations, so it is then too small.
    expected_steps
        The exact mean number of steps of the runs that fix (:func:`fixation_time`), for comparison.
    max_steps
        The step budget of a run.
    """

    game: str
    mutant: str
    resident: str
    size: int
    selection: float
    process: str
    initial: int
    runs: int
    fixed: int
    lost: int
    unresolved: int
    share: float
    ci_low: float
    ci_high: float
    probability: float
    mean_steps: float
    max_steps: int
    expected_steps: float = math.nan

    @property
    def agrees(self) -> bool:
        """Whether the exact probability lies in the 95% interval."""
        return self.ci_low <= self.probability <= self.ci_high

    def to_dict(self) -> dict:
        """The fields as a JSON-ready dict."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__} | {"agrees": self.agrees}

    def __repr__(self) -> str:
        extra = f"; {self.unresolved} unresolved after {self.max_steps} steps" if self.unresolved else ""
        return (
            f"SimulatedFixation({self.game or 'game'}: {self.initial} {self.mutant} among {self.size - self.initial} "
            f"{self.resident}, {self.process}, w={self.selection:g}: {self.fixed} of {self.runs} runs fixed, "
            f"{self.share:.2%} [{self.ci_low:.2%}, {self.ci_high:.2%}]; exact {self.probability:.2%}{extra})"
        )


def simulate_fixation(
    game: Game,
    mutant: str,
    resident: str,
    size: int,
    selection: float,
    process: Process = "moran",
    *,
    runs: int = 10_000,
    initial: int = 1,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
    max_steps: int | None = None,
    backend: str = "auto",
    progress: bool | None = None,
) -> SimulatedFixation:
    """Run the finite-population process ``runs`` times from ``initial`` mutants and count how often they fix.

    Parameters
    ----------
    game, mutant, resident, size, selection, process, initial
        As :func:`fixation_probability`.
    runs
        Number of independent runs (1 to ``MAX_RUNS``).
    rng
        Seed, ``numpy`` Generator or SeedSequence; one 64-bit seed is drawn per run, so the counts do not depend on
        chunking, threads or backend.
    max_steps
        Step budget of one run (default ``STEPS_PER_SQUARED_SIZE * N**2``, at most ``MAX_WORK // runs``); a run
        still mixed then is unresolved.  The work is at most ``runs * max_steps`` steps (about 1e8 a second per
        core compiled); above ``MAX_WORK`` it is refused.
        (Where selection favours coexistence, hawk-dove under strong selection, fixation takes a time exponential
        in ``N``.)
    backend
        ``"auto"`` (numba if installed), ``"numba"`` or ``"numpy"`` (vectorised over runs).
    progress
        Show a progress bar (in steps of the budget ``runs * max_steps``; a run that ends counts its unused steps):
        ``True``, ``False``, or ``None`` (default) once the runs have taken ``PROGRESS_DELAY`` seconds.  The runs
        advance in slices of about ``CALL_WORK`` steps, so the bar moves and Ctrl-C stops the work between two.

    Returns
    -------
    SimulatedFixation
        How many runs fixed, the fraction with its Wilson 95% interval, the unresolved runs, and whether the exact
        probability lies in the interval (``agrees``).

    Examples
    --------
    >>> import gamekit as gk
    >>> sim = gk.simulate_fixation(gk.load("hawk-dove"), "hawk", "dove", size=20, selection=0.1, runs=2000, rng=1)
    >>> sim.agrees, sim.runs
    (True, 2000)
    """
    s = _setup(game, mutant, resident, size, selection, process, "simulate_fixation")
    initial = _initial(initial, s.size)
    runs = check.integer("runs", runs, minimum=1, maximum=MAX_RUNS)
    if max_steps is None:
        max_steps = max(1, min(STEPS_PER_SQUARED_SIZE * s.size**2, MAX_WORK // runs))
    max_steps = check.integer("max_steps", max_steps, minimum=1)
    if runs * max_steps > MAX_WORK:
        raise ArgumentError(
            f"runs x max_steps = {runs} x {max_steps:.3g} = {runs * max_steps:.3g} steps is more than the work budget "
            f"MAX_WORK = {MAX_WORK:.3g}: give fewer runs or a smaller max_steps (a run still mixed then is unresolved)"
        )
    check.choice("backend", backend, BACKENDS)
    gen = check.generator(rng)
    probability = math.exp(_log_rho(_log_gammas(s), initial))
    moran, arrays = _transition_arrays(s)
    states = gen.integers(0, 2**64, size=runs, dtype=np.uint64)  # each run's generator, from its seed
    final = np.full(runs, initial, dtype=np.int64)
    steps = np.zeros(runs, dtype=np.int64)
    if progress is not None:
        progress = check.flag("progress", progress)
    use_numba = _numba(backend)
    if use_numba:
        from ._kernels import fixation_numba as kernel
    size = s.size
    limit = {a: 0 for a in range(0, runs, CHUNK)}  # the step count every unresolved run of the chunk has reached
    stop = threading.Event()

    def done(a: int, b: int) -> int:  # budget steps used: a run that ended counts all of its max_steps
        j = final[a:b]
        return int(np.where((j > 0) & (j < size), steps[a:b], max_steps).sum())

    def work(a: int) -> int:
        """Advance chunk ``a`` by one slice; returns the progress in budget steps."""
        b = min(a + CHUNK, runs)
        if stop.is_set():
            return 0
        before = done(a, b)
        active = int(np.count_nonzero((final[a:b] > 0) & (final[a:b] < size)))
        limit[a] = min(max_steps, limit[a] + max(1, CALL_WORK // max(active, 1)))
        if not use_numba:
            _run_numpy(states[a:b], final[a:b], steps[a:b], size, arrays, moran, limit[a])
        elif moran:
            kernel.run_moran(states[a:b], final[a:b], steps[a:b], size, *arrays, limit[a])
        else:
            kernel.run_fermi(states[a:b], final[a:b], steps[a:b], size, *arrays, limit[a])
        return done(a, b) - before

    def pending() -> list[int]:
        return [
            a
            for a in limit
            if limit[a] < max_steps and np.any((final[a : a + CHUNK] > 0) & (final[a : a + CHUNK] < size))
        ]

    bar = None
    if progress is not False:  # None: shown once the work has taken PROGRESS_DELAY seconds
        from tqdm.auto import tqdm

        bar = tqdm(
            total=runs * max_steps, desc="runs", unit="step", unit_scale=True,
            delay=0 if progress else PROGRESS_DELAY,
        )  # fmt: skip
    workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    workers = max(1, min(workers, len(limit))) if use_numba else 1
    pool = None
    try:
        if workers > 1:
            from concurrent.futures import ThreadPoolExecutor

            pool = ThreadPoolExecutor(max_workers=workers)
        todo = pending()
        while todo:
            for delta in pool.map(work, todo) if pool is not None else map(work, todo):
                if bar is not None:
                    bar.update(delta)
            todo = pending()
    except BaseException:  # KeyboardInterrupt above all: the slices under way end within CALL_WORK steps
        stop.set()
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if bar is not None:
            bar.close()
    fixed_mask = final == s.size
    fixed = int(fixed_mask.sum())
    lost = int((final == 0).sum())
    unresolved = runs - fixed - lost
    low, _ = wilson_interval(fixed, runs)
    _, high = wilson_interval(fixed + unresolved, runs)
    mut, res = s.names
    return SimulatedFixation(
        game=s.game.name,
        mutant=mut,
        resident=res,
        size=s.size,
        selection=s.selection,
        process=s.process,
        initial=initial,
        runs=runs,
        fixed=fixed,
        lost=lost,
        unresolved=unresolved,
        share=fixed / runs,
        ci_low=low,
        ci_high=high,
        probability=probability,
        mean_steps=float(steps[fixed_mask].mean()) if fixed else math.nan,
        max_steps=max_steps,
        expected_steps=_fixation_time(s, initial),
    )


def _numba(backend: str) -> bool:
    from ._kernels.dopri import numba_available

    if backend == "numpy" or (backend == "auto" and not numba_available()):
        return False
    if not numba_available():
        raise ArgumentError("backend='numba' needs numba installed (pip install numba), or use backend='numpy'")
    return True


# ---------------------------------------------------------------------------------- small-mutation stationary state


def _gth_log(logp: np.ndarray) -> np.ndarray:
    """Stationary vector of the chain with off-diagonal log transition probabilities ``logp`` (GTH, log space)."""
    a = np.array(logp, dtype=float)
    n = len(a)
    for k in range(n - 1, 0, -1):
        s = logsumexp(a[k, :k])
        a[:k, k] -= s
        a[:k, :k] = np.logaddexp(a[:k, :k], a[:k, k, None] + a[None, k, :k])
    log_pi = np.zeros(n)
    for k in range(1, n):
        log_pi[k] = logsumexp(log_pi[:k] + a[:k, k])
    return np.exp(log_pi - logsumexp(log_pi))


def _gth_exact(p: list[list[Fraction]]) -> list[Fraction]:
    """The same in Fractions (no subtraction anywhere, so exact and simple)."""
    a = [row[:] for row in p]
    n = len(a)
    for k in range(n - 1, 0, -1):
        s = sum(a[k][:k], Fraction(0))
        for i in range(k):
            a[i][k] /= s
        for i in range(k):
            for j in range(k):
                if i != j:
                    a[i][j] += a[i][k] * a[k][j]
    pi = [Fraction(1)]
    for k in range(1, n):
        pi.append(sum((pi[i] * a[i][k] for i in range(k)), Fraction(0)))
    total = sum(pi, Fraction(0))
    return [x / total for x in pi]


@dataclass(frozen=True, eq=False)
class StationaryDistribution:
    """The result of :func:`stationary_distribution`: long-run shares of time in each pure state when mutations
    are rare, and the pairwise fixation probabilities behind them.

    Attributes
    ----------
    game, size, selection, process
        The game's name, ``N``, ``w``, the process.
    strategies
        The pure states (the population's strategies), in order.
    distribution
        Stationary probability of each pure state (floats, or Fractions with ``exact=True``).
    fixation
        ``fixation[i][j]``: the probability that one ``strategies[j]`` mutant fixes among residents
        ``strategies[i]`` (``nan`` on the diagonal).
    log_fixation
        The natural logs of ``fixation`` (finite where ``fixation`` underflows).
    transitions
        The embedded chain: ``transitions[i][j] = fixation[i][j] / (n - 1)`` for ``j != i``, the rest on the
        diagonal.
    """

    game: str
    size: int
    selection: float
    process: str
    strategies: tuple[str, ...]
    distribution: tuple = field(repr=False)
    fixation: np.ndarray = field(repr=False)
    log_fixation: np.ndarray = field(repr=False)
    transitions: np.ndarray = field(repr=False)

    def probability(self, strategy: str) -> float | Fraction:
        """The stationary probability of one pure state."""
        if strategy not in self.strategies:
            raise ArgumentError(
                f"no strategy {check.printable(repr(strategy))} (strategies: {', '.join(self.strategies)})"
            )
        return self.distribution[self.strategies.index(strategy)]

    def to_frame(self):
        """A DataFrame, one row per pure state: ``strategy, probability`` and the fixation probability of each
        strategy as a mutant in that state (columns ``rho <mutant>``)."""
        import pandas as pd

        frame = pd.DataFrame({"strategy": list(self.strategies), "probability": [float(p) for p in self.distribution]})
        for j, name in enumerate(self.strategies):
            frame[f"rho {name}"] = np.asarray(self.fixation, dtype=float)[:, j]
        frame.attrs.update(size=self.size, selection=self.selection, process=self.process)
        return frame

    def to_dict(self) -> dict:
        """JSON-ready: the setup, ``distribution`` by strategy and ``fixation[resident][mutant]``."""
        fix = np.asarray(self.fixation, dtype=float)
        return {
            "game": self.game,
            "size": self.size,
            "selection": self.selection,
            "process": self.process,
            "distribution": {s: float(p) for s, p in zip(self.strategies, self.distribution)},
            "fixation": {
                r: {m: float(fix[i, j]) for j, m in enumerate(self.strategies) if j != i}
                for i, r in enumerate(self.strategies)
            },
        }

    def __repr__(self) -> str:
        order = sorted(range(len(self.strategies)), key=lambda i: -round(float(self.distribution[i]), 12))
        parts = ", ".join(f"{self.strategies[i]} {float(self.distribution[i]):.1%}" for i in order)
        return (
            f"StationaryDistribution({self.game or 'game'}: {self.process}, N={self.size}, "
            f"w={self.selection:g}: {parts})"
        )

    def _repr_html_(self) -> str:
        import html

        fix = np.asarray(self.fixation, dtype=float)
        head = "".join(f"<th>rho {html.escape(s)}</th>" for s in self.strategies)
        rows = "".join(
            f"<tr><td>{html.escape(s)}</td><td>{float(self.distribution[i]):.2%}</td>"
            + "".join("<td></td>" if i == j else f"<td>{fix[i, j]:.4g}</td>" for j in range(len(self.strategies)))
            + "</tr>"
            for i, s in enumerate(self.strategies)
        )
        title = html.escape(f"{self.game or 'game'}: {self.process}, N = {self.size}, w = {self.selection:g}")
        return f"<p>{title}</p><table><tr><th>state</th><th>probability</th>{head}</tr>{rows}</table>"


def stationary_distribution(
    game: Game,
    size: int,
    selection: float,
    process: Process = "moran",
    *,
    exact: bool = False,
) -> StationaryDistribution:
    """The stationary distribution over the pure states in the limit of rare mutations (module docstring).

    Parameters
    ----------
    game
        A one-population game (kind ``"symmetric"`` or ``"group"``).
    size, selection, process
        As :func:`fixation_probability`.
    exact
        ``True``: Fractions throughout (Moran only; rational payoffs).

    Returns
    -------
    StationaryDistribution
        The long-run share of time in each pure state, and the fixation probabilities between them.

    Examples
    --------
    >>> import gamekit as gk
    >>> gk.stationary_distribution(gk.load("rock-paper-scissors"), size=30, selection=0.05)
    StationaryDistribution(Rock-paper-scissors: moran, N=30, w=0.05: rock 33.3%, paper 33.3%, scissors 33.3%)
    """
    game = _one_population(game, "stationary_distribution")
    size = _size(game, size)
    w = check.real("selection", selection, low=0.0)
    check.choice("process", process, PROCESSES)
    exact = check.flag("exact", exact)
    if exact and process != "moran":
        raise ArgumentError(
            "exact=True for the stationary distribution needs process='moran' (Fermi rates are exponentials)"
        )
    if exact:
        _exact_size(size)
    strategies = game.populations[0].strategies
    n = len(strategies)
    log_fix = np.full((n, n), np.nan)
    exact_fix = [[None] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            if i != j:
                s = _Setup(game, j, i, size, w, process, _exact_selection(selection) if exact else None)
                log_fix[i, j] = _log_rho(_log_gammas(s), 1)
                if exact:
                    exact_fix[i][j] = _exact_rho(s, 1)
    log_p = log_fix - math.log(n - 1)
    np.fill_diagonal(log_p, -np.inf)
    fix = np.exp(log_fix)
    trans = np.where(np.isnan(fix), 0.0, fix) / (n - 1)
    np.fill_diagonal(trans, 0.0)
    np.fill_diagonal(trans, 1.0 - trans.sum(axis=1))
    if exact:
        p = [[exact_fix[i][j] / (n - 1) if i != j else Fraction(0) for j in range(n)] for i in range(n)]
        distribution: Sequence = tuple(_gth_exact(p))
    else:
        distribution = tuple(float(x) for x in _gth_log(log_p))
    return StationaryDistribution(
        game=game.name,
        size=size,
        selection=w,
        process=process,
        strategies=strategies,
        distribution=tuple(distribution),
        fixation=fix,
        log_fixation=log_fix,
        transitions=trans,
    )
