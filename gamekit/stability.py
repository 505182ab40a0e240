r"""Linear stability of rest points on the product of simplices.

The replicator field is written in the tangent coordinates of
:mod:`gamekit.dynamics` (each population's last share eliminated), so its
Jacobian ``J`` there is the linearisation on the tangent space of the simplex
product; eigenvalues ``lambda_1, ..., lambda_d`` of ``J`` decide the label.  A real
part counts as zero when ``|Re lambda| <= zero_tol * s`` with
``s = max(scale, max_i |lambda_i|)`` -- *relative*, so that multiplying every
payoff by a constant (which multiplies ``J`` by it) changes no label;
``scale`` is the payoff scale of :func:`gamekit.dynamics.payoff_values`
(the largest switch gain) in a multilinear game, and that of
:func:`gamekit.dynamics.general_field` (the largest payoff difference over a
fixed set of states) in any other:

* ``asymptotically stable`` -- every ``Re lambda`` negative;
* ``saddle``                -- some positive and some negative;
* ``unstable``              -- some positive, none negative;
* ``non-hyperbolic``        -- none positive and some zero: linearisation
  cannot decide;
* ``not linearised``        -- (games that are not multilinear) the field is not
  differentiable at the rest point: a ``step`` (or ``abs``, ``min``, ``max``) of
  the shares switches there, or a derivative of a payoff in use is infinite
  (``F*log(y)`` at ``y = 0``).  No Jacobian exists, so no eigenvalue is given and
  ``Equilibrium.note`` says why; the point's stability is not decided (a step can
  make it semi-stable, stable from one side only).

When the eigenvalues are known exactly their signs are decided exactly and
``zero_tol`` is not needed: at a rational rest point ``J`` is a matrix of
rationals (computed with :class:`fractions.Fraction`), and its eigenvalues
are the roots of the factors of degree <= 2 of its characteristic polynomial
(only for ``d <= MAX_EXACT_EIGEN_DIM`` and entries of at most
``MAX_EXACT_EIGEN_BITS`` bits, so that factorisation stays fast).

**Linearising a given state** (:func:`linearize`).  A share at most
``SHARE_TOL`` counts as zero; the state is a rest point when, in every
population, the strategies in use earn payoffs within ``residual_tol * s`` of
each other (``s`` the payoff scale again).

**Pure profiles (every kind of game).**  At a pure profile ``s`` the rows of the unused
strategies of the Jacobian are diagonal (:mod:`gamekit.dynamics`), so its eigenvalues are the
payoff gains of unilateral switches *evaluated at that state*::

    lambda_{p, j} = u_p(j) - u_p(s_p)  at sigma = e_s,   j != s_p,

computed from :func:`gamekit.dynamics.expected_payoffs` at the vertex (:func:`switch_gains`).  So a
pure state is asymptotically stable iff every switch gain is negative there, i.e. iff it is a
strict equilibrium of the game *as played at that state* (:func:`is_strict_nash`).  In a
multilinear game (:attr:`Game.multilinear`) the gains are table entries,
``A_p[j, s_{-p}] - A_p[s_p, s_{-p}]``; in a symmetric game ``A[j, s] - A[s, s]``; in a group game
``pi_j(k) - pi_s(k)`` at ``k = 0`` (everyone plays the second strategy) or ``k = N - 1``; with shares
in the payoffs, the payoffs with the shares of the vertex.  :func:`stability_table` prints these
gains symbolically with the conditions ``lambda < 0`` -- the "equilibrium / eigenvalues /
conditions / stability" table of the papers -- for every kind of game.

**Ritzberger-Weibull holds for multilinear games only.**  There the asymptotically stable states
are exactly the strict Nash equilibria (pure profiles), and no interior or face point is
asymptotically stable (times a positive function, the field is divergence-free in the relative
interior of every face, so it preserves volume there).  In every
other game an interior or face point *can* be asymptotically stable -- hawk-dove's mixed state,
rock-paper-scissors' centre for ``w > l``, the dynamic-fine platform model's ``(1, 3/5, 1)`` -- and
it is labelled from its eigenvalues like any rest point, never "saddle" by habit.

**General games in** :func:`linearize`.  For a game that is not multilinear the Jacobian comes from
:func:`gamekit.dynamics.general_field` (``jacobian_from``); the rest-point test compares the
expected payoffs at the state, relative to that field's scale; a state of simple rationals that is
exactly a rest point gets an exact Jacobian and, where cheap, exact eigenvalues, as above.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import sympy
from numpy.typing import ArrayLike

from . import _validate
from ._validate import printable
from .dynamics import (
    GeneralField,
    PayoffValues,
    check_game,
    expected_payoffs,
    general_field,
    payoff_values,
    strategy_payoffs,
)
from .errors import AnalysisError, ArgumentError, ParameterError, StateError
from .expr import payoff_text, substitute
from .game import Game
from .space import StateSpace

__all__ = [
    "Equilibrium",
    "linearize",
    "ZERO_TOL",
    "SHARE_TOL",
    "RESIDUAL_TOL",
    "Stability",
    "classify",
    "classify_exact",
    "switch_gains",
    "vertex_payoffs",
    "is_strict_nash",
    "strict_profiles",
    "is_nash",
    "negative",
    "ProfileStability",
    "StabilityTable",
    "stability_table",
]


ZERO_TOL = 1e-9  # default zero_tol: real parts within 1e-9 of the Jacobian's scale count as zero
SHARE_TOL = 1e-9  # linearize: a share at most this counts as zero (shares are scale-free)
RESIDUAL_TOL = 1e-7  # default residual_tol of linearize, relative to the payoff scale
MAX_EXACT_EIGEN_DIM = 6  # exact eigenvalues of non-pure rest points only up to this dimension
MAX_EXACT_EIGEN_BITS = 64  # ... and for Jacobian entries of at most this many bits


def check_zero_tol(value, name: str = "zero_tol") -> float:
    """A relative zero tolerance: a finite number in (0, 1e-2]."""
    return _validate.real(name, value, low=0.0, high=1e-2, low_open=True)


class Stability(str, enum.Enum):
    """The label of a rest point, from the real parts of its eigenvalues."""

    ASYMPTOTICALLY_STABLE = "asymptotically stable"
    SADDLE = "saddle"
    UNSTABLE = "unstable"
    NON_HYPERBOLIC = "non-hyperbolic"
    NOT_LINEARISED = "not linearised"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def _missing_(cls, value: object):
        known = ", ".join(repr(m.value) for m in cls)
        raise ArgumentError(f"{printable(repr(value))} is not a stability label (labels: {known})")


def _label(signs) -> Stability:
    signs = list(signs)
    pos, neg, zero = (s > 0 for s in signs), (s < 0 for s in signs), (s == 0 for s in signs)
    has_pos, has_neg, has_zero = any(pos), any(neg), any(zero)
    if has_pos and has_neg:
        return Stability.SADDLE
    if has_pos:
        return Stability.UNSTABLE
    if has_zero or not signs:
        return Stability.NON_HYPERBOLIC
    return Stability.ASYMPTOTICALLY_STABLE


def classify(eigenvalues, zero_tol: float = ZERO_TOL, *, scale: float = 0.0) -> Stability:
    """Label from numeric eigenvalues: ``|Re| <= zero_tol * max(scale, max |lambda|)`` counts as zero."""
    zero_tol = check_zero_tol(zero_tol)
    ev = np.asarray(eigenvalues, dtype=complex)
    if not np.all(np.isfinite(ev)):
        raise AnalysisError("an eigenvalue is not a finite number (overflow); divide the payoffs by a common factor")
    bound = zero_tol * max(float(scale), float(np.max(np.abs(ev))) if ev.size else 0.0)
    re = np.real(ev)
    return _label(np.where(re > bound, 1, np.where(re < -bound, -1, 0)))


def _classify_local(J: np.ndarray, T: np.ndarray, zero_tol: float) -> Stability | None:
    """Label of a general field's rest point from its Jacobian ``J`` and the sizes ``T`` of the terms of its entries.

    A real part counts as zero when ``|Re lambda_i| <= zero_tol * |y_i|' T |x_i| / |y_i^H x_i|`` (``x_i``, ``y_i`` the
    right and left eigenvectors): the first-order change of ``lambda_i`` under an entrywise relative error of
    ``zero_tol`` in the terms of ``J`` -- local to the state, so payoffs 1e12 elsewhere in the simplex do not make a
    clear eigenvalue zero, and linear in the payoffs, so scaling them changes no label.  The bound is capped at
    ``sqrt(zero_tol) * |T|_2``, the size of the change of a double eigenvalue (whose first-order bound is
    infinite).  None if not computable.
    """
    import scipy.linalg

    if not (np.all(np.isfinite(J)) and np.all(np.isfinite(T))):
        return None
    try:
        w, vl, vr = scipy.linalg.eig(J, left=True, right=True)
    except (ValueError, np.linalg.LinAlgError):
        return None
    signs = []
    # a multiple (defective) eigenvalue has nearly parallel left and right eigenvectors, and the first-order bound
    # blows up; its actual change is at most of order (zero_tol |T|)^(1/2) |T|^(1/2) for a double one: cap there
    cap = np.sqrt(zero_tol) * float(np.linalg.norm(T, 2))
    for i in range(len(w)):
        x, y = vr[:, i], vl[:, i]
        dot = abs(np.vdot(y, x))
        size = float(np.abs(y) @ T @ np.abs(x))
        bound = min(zero_tol * size / dot, cap) if dot > 0 else cap
        re = w[i].real
        signs.append(1 if re > bound else -1 if re < -bound else 0)
    return _label(signs)


def _exact_sign(value) -> int | None:
    re = sympy.re(value)
    if re.is_zero:
        return 0
    if re.is_positive:
        return 1
    if re.is_negative:
        return -1
    return None


def classify_exact(eigenvalues) -> Stability | None:
    """Label from exact eigenvalues, or ``None`` when a sign cannot be decided exactly."""
    signs = [_exact_sign(v) for v in eigenvalues]
    if any(s is None for s in signs):
        return None
    return _label(signs)


@dataclass(frozen=True)
class SwitchGain:
    """The payoff gain of one population switching away from a pure profile."""

    population: str
    current: str
    alternative: str
    gain: sympy.Expr

    def __str__(self) -> str:
        return f"{self.population}: {self.alternative} instead of {self.current}: {payoff_text(self.gain)}"


def _profile_indices(game: Game, idx) -> tuple[int, ...]:
    """A pure profile as strategy indices (indices, or strategy names), checked; an ArgumentError otherwise."""
    from .errors import GamekitError

    try:
        if isinstance(idx, str) or (isinstance(idx, (tuple, list)) and idx and all(isinstance(i, str) for i in idx)):
            return tuple(game.profile_index(idx))
        return tuple(game.profile_index(game.profile_names(idx)))
    except GamekitError as err:
        raise ArgumentError(f"not a pure profile of this game: {err}") from None


def vertex_payoffs(game: Game, idx: tuple[int, ...] | str) -> tuple[tuple[sympy.Expr, ...], ...]:
    """``u_p(j)`` for every population and strategy at the pure profile ``idx`` (symbolic in the parameters).

    For every kind of game (:func:`gamekit.dynamics.expected_payoffs` at the vertex ``e_s``); in a
    multilinear game ``u_p(j) = A_p[j, s_{-p}]``.
    """
    idx = _profile_indices(check_game(game), idx)
    vertex = tuple(tuple(sympy.Integer(1 if i == s else 0) for i in range(n)) for n, s in zip(game.shape, idx))
    return expected_payoffs(game, vertex)


def switch_gains(game: Game, idx) -> list[SwitchGain]:
    """Symbolic eigenvalues at a pure profile: every unilateral switch's payoff gain, ``u_p(j) - u_p(s_p)`` there.

    For every kind of game (module docstring); in a multilinear game these are table entries,
    ``A_p[j, s_{-p}] - A_p[s]``.
    """
    if not game.multilinear:
        idx = _profile_indices(game, idx)
        u = vertex_payoffs(game, idx)
        return [
            SwitchGain(pop.name, pop.strategies[idx[p]], pop.strategies[j], sympy.expand(u[p][j] - u[p][idx[p]]))
            for p, pop in enumerate(game.populations)
            for j in range(len(pop.strategies))
            if j != idx[p]
        ]
    idx = tuple(idx)
    out = []
    for p, pop in enumerate(game.populations):
        tensor = game.payoff_tensors[p]
        here = tensor[idx]
        for j in range(len(pop.strategies)):
            if j == idx[p]:
                continue
            other = list(idx)
            other[p] = j
            out.append(
                SwitchGain(
                    pop.name, pop.strategies[idx[p]], pop.strategies[j], sympy.expand(tensor[tuple(other)] - here)
                )
            )
    return out


def strict_profiles(pay: np.ndarray, shape, alive: np.ndarray | None = None) -> np.ndarray:
    """(R, P) bool: whether each pure profile is a strict Nash equilibrium under each payoff row.

    Fixed payoff tables (multilinear games) only: ``pay`` is (R, k, P), the tables flattened; for other
    games use :func:`is_strict_nash`, which evaluates the payoffs at each pure state.

    With ``alive`` ((R, D), one row per orbit), only switches to strategies alive in that orbit count:
    an orbit on a face never leaves it, so stability within the face is what decides where it goes.
    """
    profiles = list(np.ndindex(*shape))
    flat = {idx: j for j, idx in enumerate(profiles)}
    off = np.concatenate([[0], np.cumsum(shape)]).astype(int)
    rows = pay.shape[0] if alive is None else alive.shape[0]
    out = np.ones((rows, len(profiles)), dtype=bool)
    for j, idx in enumerate(profiles):
        for p, n in enumerate(shape):
            for alt in range(n):
                if alt != idx[p]:
                    other = list(idx)
                    other[p] = alt
                    loses = pay[:, p, flat[tuple(other)]] < pay[:, p, j]
                    if alive is not None:
                        loses = loses | ~alive[:, off[p] + alt]
                    out[:, j] &= loses
    return out


def _numeric_gains(game: Game, idx, payoffs=None) -> np.ndarray:
    payoffs = payoffs if payoffs is not None else game.numeric_payoffs()
    idx = tuple(idx)
    gains = []
    for p, n in enumerate(game.shape):
        for j in range(n):
            if j != idx[p]:
                other = list(idx)
                other[p] = j
                gains.append(payoffs[p][tuple(other)] - payoffs[p][idx])
    return np.array(gains)


def _flat_payoffs(game: Game) -> np.ndarray:
    """(1, k, P): the payoff tables at the game's values, profiles flattened."""
    return np.array([[t.ravel() for t in game.numeric_payoffs()]])


def _general_gains(game: Game, idx, gains=None) -> tuple[np.ndarray, list[int | None], float]:
    """A game that is not multilinear, at its values: the switch gains at the pure profile ``idx`` as floats,
    their exact signs (``None`` where not decided exactly) and the field's payoff scale.  (The floats and
    the scale are computed only when some sign is not decided exactly; else zeros and 1.)

    Raises ParameterError when a payoff at the vertex is not a finite real number.
    """
    gains = switch_gains(game, idx) if gains is None else gains
    subs = game.values()
    signs: list[int | None] = []
    for g in gains:
        try:
            v = substitute(g.gain, subs)
        except AnalysisError:  # an exact power too large: decided in floating point below
            signs.append(None)
            continue
        if v.is_number and v.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            signs.append(None)
            continue
        signs.append(_exact_sign(v) if v.is_number and v.is_extended_real else None)
    if all(s is not None for s in signs):  # every sign decided exactly: no floating point needed
        return np.zeros(len(signs)), signs, 1.0
    fld = general_field(game)
    sig = np.concatenate([np.eye(n)[s] for n, s in zip(game.shape, idx)])
    u = fld.payoffs(sig[None, :])[0]
    off = np.concatenate([[0], np.cumsum(game.shape)]).astype(int)
    values = np.array(
        [u[off[p] + j] - u[off[p] + idx[p]] for p, n in enumerate(game.shape) for j in range(n) if j != idx[p]]
    )
    if not np.all(np.isfinite(values)) and any(s is None for s in signs):
        label = ", ".join(game.profile_names(idx))
        raise ParameterError(
            f"at ({label}) a payoff is not a finite real number at these parameter values; check the parameter values"
        )
    return values, signs, fld.scale


def _general_signs(game: Game, idx, gains=None, zero_tol: float = ZERO_TOL) -> list[int]:
    """Signs of the switch gains at ``idx``: exact where sympy decides them, else relative to the payoff scale."""
    values, signs, scale = _general_gains(game, idx, gains)
    bound = zero_tol * scale
    return [s if s is not None else int(np.sign(v)) if abs(v) > bound else 0 for s, v in zip(signs, values)]


def is_strict_nash(game: Game, idx) -> bool:
    """Every unilateral switch strictly loses (at the game's parameter values).

    For a game that is not multilinear: at the state ``e_idx`` itself (the payoffs with that state's
    shares), decided exactly where the values allow -- the condition for asymptotic stability.
    """
    if not check_game(game).multilinear:
        idx = _profile_indices(game, idx)
        return all(s < 0 for s in _general_signs(game, idx))
    j = int(np.ravel_multi_index(tuple(idx), game.shape))
    return bool(strict_profiles(_flat_payoffs(game), game.shape)[0, j])


def is_nash(game: Game, idx, zero_tol: float = ZERO_TOL) -> bool:
    """No unilateral switch gains more than ``zero_tol`` times the payoff scale (at the game's values).

    For a game that is not multilinear: at the state ``e_idx`` itself, the scale being that of
    :func:`gamekit.dynamics.general_field`.
    """
    zero_tol = check_zero_tol(zero_tol)
    if not check_game(game).multilinear:
        idx = _profile_indices(game, idx)
        values, signs, scale = _general_gains(game, idx)
        return all(s <= 0 if s is not None else v <= zero_tol * scale for s, v in zip(signs, values))
    scale = payoff_values(game, exact=False).scale
    return bool(np.all(_numeric_gains(game, idx) <= zero_tol * scale))


def negative(expr: sympy.Expr):
    """``expr < 0`` written as ``positive terms < negative terms`` (``delta*F > Cg``, not ``Cg - F*delta < 0``)."""
    expr = sympy.expand(expr)
    if expr.is_number:
        if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo) or expr.is_extended_real is not True:
            return sympy.false  # not a finite real number: never a negative eigenvalue
        return sympy.true if expr < 0 else sympy.false
    pos, neg = [], []
    for term in sympy.Add.make_args(expr):
        coeff, _ = term.as_coeff_Mul()
        (neg if coeff < 0 else pos).append(term)
    lhs, rhs = sympy.Add(*pos), -sympy.Add(*neg)
    if lhs == 0:
        return sympy.StrictGreaterThan(rhs, 0)
    if rhs == 0:
        return sympy.StrictLessThan(lhs, 0)
    return sympy.StrictGreaterThan(rhs, lhs)


@dataclass(frozen=True)
class ProfileStability:
    """One row of the stability table: a pure profile, its eigenvalues and conditions."""

    profile: tuple[str, ...]
    name: str | None
    eigenvalues: tuple[SwitchGain, ...]
    conditions: tuple = field(default=())
    stability: Stability | None = None  # at the game's parameter values, if it has them

    @property
    def possible(self) -> bool:
        """Whether some parameter values could make this profile asymptotically stable."""
        return sympy.false not in self.conditions

    def conditions_text(self) -> str:
        if not self.possible:
            return "never (an eigenvalue is never negative)"
        conds = [c for c in self.conditions if c is not sympy.true]
        return ", ".join(payoff_text(c) for c in conds) or "always"


NOT_ONLY_PURE = (
    "(This game is not multilinear: interior and face rest points can be asymptotically stable too; "
    "gk.equilibria lists them.)"
)


@dataclass(frozen=True)
class StabilityTable:
    """Eigenvalues and stability conditions of every pure profile (symbolic).

    For a game that is not multilinear the pure profiles are not the only candidates for asymptotic
    stability (module docstring); the printed table says so.
    """

    game: Game = field(repr=False)
    rows: tuple[ProfileStability, ...]

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, key) -> ProfileStability:
        if isinstance(key, int):
            return self.rows[key]
        target = self.game.profile_names(self.game.profile_index(key))
        for row in self.rows:
            if row.profile == target:
                return row
        raise KeyError(key)

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(
            {
                "profile": [", ".join(r.profile) for r in self.rows],
                "name": [r.name or "" for r in self.rows],
                "eigenvalues": ["; ".join(payoff_text(g.gain) for g in r.eigenvalues) for r in self.rows],
                "conditions": [r.conditions_text() for r in self.rows],
                "stability": [str(r.stability) if r.stability else "" for r in self.rows],
            }
        )

    def __str__(self) -> str:
        out = []
        for r in self.rows:
            head = f"({', '.join(r.profile)})" + (f"  [{r.name}]" if r.name else "")
            if r.stability is not None:
                head += f"  -> {r.stability}"
            out.append(head)
            out += [
                f"    {g.population}: {g.alternative} instead of {g.current}:  {payoff_text(g.gain)}"
                for g in r.eigenvalues
            ]
            out.append(f"    asymptotically stable iff: {r.conditions_text()}")
        if not self.game.multilinear:
            out.append(NOT_ONLY_PURE)
        return "\n".join(out)

    def _repr_markdown_(self) -> str:
        lines = [
            "| profile | name | eigenvalues | asymptotically stable iff | at current values |",
            "|---|---|---|---|---|",
        ]
        for r in self.rows:
            eig = "<br>".join(f"`{payoff_text(g.gain)}`" for g in r.eigenvalues)
            lines.append(
                f"| ({', '.join(r.profile)}) | {r.name or ''} | {eig} | {r.conditions_text()} | {r.stability or ''} |"
            )
        if not self.game.multilinear:
            lines += ["", NOT_ONLY_PURE]
        return "\n".join(lines)


def stability_table(game: Game) -> StabilityTable:
    """For every pure profile: eigenvalues (switch gains), conditions for asymptotic stability.

    Every kind of game: the eigenvalues are the switch gains ``u_p(j) - u_p(s_p)`` at the profile's
    own state (module docstring).  If every parameter has a value, each row also carries its label
    at those values (signs decided exactly where sympy can, else relative to the payoff scale).

    Parameters
    ----------
    game
        Any game gamekit supports; its parameters may stay symbolic.

    Returns
    -------
    StabilityTable
        One row per pure profile: its eigenvalues (switch gains), the conditions ``lambda < 0`` and, where every
        parameter has a value, its label.
    """
    check_game(game)
    numeric = all(v is not None for v in game.parameters.values())
    multilinear = game.multilinear
    payoffs = game.numeric_payoffs() if numeric and multilinear else None
    rows = []
    for idx in game.profiles():
        gains = switch_gains(game, idx)
        conditions = tuple(dict.fromkeys(negative(g.gain) for g in gains))
        if not numeric:
            label = None
        elif multilinear:
            label = _label(np.sign(_numeric_gains(game, idx, payoffs)))
        else:
            label = _label(_general_signs(game, idx, gains))
            if _kinks_at_vertex(game, idx):  # a step/abs/min/max of the shares switches here: no linear label
                label = Stability.NOT_LINEARISED
        rows.append(
            ProfileStability(
                profile=game.profile_names(idx),
                name=game.state_name(idx),
                eigenvalues=tuple(gains),
                conditions=conditions,
                stability=label,
            )
        )
    return StabilityTable(game, tuple(rows))


# -- rest points and their linearisation ------------------------------------------------------------


def _fmt(v: float) -> str:
    return f"{v:.6g}"


@dataclass(frozen=True)
class Equilibrium:
    """An isolated rest point and its linear stability.

    ``state`` holds each population's mixed strategy; ``profile`` the strategy
    names when the rest point is pure (else ``None``); ``support`` the strategies
    in use; ``eigenvalues`` those of the Jacobian on the tangent space; ``exact``
    whether the state was solved exactly (then ``exact_state`` holds it as sympy
    numbers and, where they could be written down, ``exact_eigenvalues``).
    """

    state: tuple[tuple[float, ...], ...]
    profile: tuple[str, ...] | None
    support: tuple[tuple[str, ...], ...]
    eigenvalues: tuple[complex, ...]
    stability: Stability
    exact: bool
    name: str | None = None
    exact_state: tuple[tuple[sympy.Expr, ...], ...] | None = field(default=None, repr=False)
    exact_eigenvalues: tuple[sympy.Expr, ...] | None = field(default=None, repr=False)
    note: str | None = None

    @property
    def coordinates(self) -> np.ndarray:
        """The state in the game's coordinates (first-strategy shares for two-strategy games)."""
        full = np.concatenate([np.asarray(s) for s in self.state])
        if all(len(s) == 2 for s in self.state):
            return full[0::2]
        return full

    @property
    def is_pure(self) -> bool:
        return self.profile is not None

    @property
    def is_interior(self) -> bool:
        return all(min(s) > 0 for s in self.state)

    def describe_state(self) -> str:
        if self.exact_state is not None and all(len(s) == 2 for s in self.state):
            return "(" + ", ".join(sympy.sstr(s[0]) for s in self.exact_state) + ")"
        if all(len(s) == 2 for s in self.state):
            return "(" + ", ".join(_fmt(s[0]) for s in self.state) + ")"
        return "; ".join("(" + ", ".join(_fmt(v) for v in s) + ")" for s in self.state)

    def describe_eigenvalues(self) -> str:
        def one(z: complex) -> str:
            if z.imag == 0 or abs(z.imag) <= 1e-12 * abs(z):
                return _fmt(z.real)
            return f"{_fmt(z.real)}{'+' if z.imag >= 0 else '-'}{_fmt(abs(z.imag))}i"

        return ", ".join(one(z) for z in self.eigenvalues)

    def __str__(self) -> str:
        what = f"({', '.join(self.profile)})" if self.profile else self.describe_state()
        name = f" [{self.name}]" if self.name else ""
        kind = "" if self.exact else " (numeric)"
        if self.stability is Stability.NOT_LINEARISED:
            return f"{what}{name}: {self.stability} ({self.note}){kind}"
        return f"{what}{name}: {self.stability}; eigenvalues {self.describe_eigenvalues()}{kind}"

    def __repr__(self) -> str:
        return f"Equilibrium({self})"

    def to_json(self) -> dict:
        """The object of design.md's JSON contract."""
        return {
            "state": [list(map(float, s)) for s in self.state],
            "profile": list(self.profile) if self.profile else None,
            "eigenvalues": [[float(z.real), float(z.imag)] for z in self.eigenvalues],
            "stability": str(self.stability),
        }


def _bits(x: Fraction) -> int:
    return max(x.numerator.bit_length(), x.denominator.bit_length())


def _exact_eigenvalues(J: np.ndarray):
    """Exact eigenvalues of a rational Jacobian (sympy numbers), or None when not cheap to write down.

    Only small matrices with small entries are given to sympy, and only roots of factors of
    degree <= 2 are written down.  (At a pure profile the eigenvalues are the switch gains:
    ``pure_eigenvalues`` of the field.)
    """
    d = J.shape[0]
    if d == 0:
        return ()
    if d > MAX_EXACT_EIGEN_DIM or any(_bits(x) > MAX_EXACT_EIGEN_BITS for x in J.ravel()):
        return None
    M = sympy.Matrix(d, d, [sympy.Rational(x.numerator, x.denominator) for x in J.ravel()])
    out = []
    for f, mult in sympy.factor_list(M.charpoly())[1]:
        if f.degree() > 2:
            return None
        out += list(sympy.roots(f, multiple=True)) * mult
    return tuple(out) if len(out) == d else None


def _sort_key(z: complex):
    return (round(z.real, 12), round(z.imag, 12))


def _linearise(
    game: Game,
    pv: PayoffValues | GeneralField,
    rows,
    *,
    zero_tol: float,
    support=None,
    exact_rows=None,
    exact_eigenvalues=None,
    jacobian: np.ndarray | None = None,
) -> Equilibrium:
    """The :class:`Equilibrium` at the rest point ``rows`` (float arrays, one per population).

    ``support`` (strategy indices per population) defaults to the shares above ``SHARE_TOL``.
    ``exact_rows`` are the exact shares (Fractions, or sympy numbers from the exact face solver);
    with rational payoffs and rational shares the Jacobian and, where cheap, the eigenvalues are
    exact.  ``exact_eigenvalues`` may be passed in when they were computed elsewhere, and
    ``jacobian`` (the tangent Jacobian of the scaled tensors ``pv.unit``) when it was computed in a batch.
    """
    rows = [np.asarray(r, dtype=float) for r in rows]
    if support is None:
        support = tuple(tuple(int(i) for i in np.nonzero(r > SHARE_TOL)[0]) for r in rows)
    pure = all(len(s) == 1 for s in support)
    J = np.asarray(pv.unit_jacobian(rows) if jacobian is None else jacobian, dtype=float)
    with np.errstate(all="ignore"):
        unit_eig = np.linalg.eigvals(J) if J.size else np.array([], dtype=complex)
    if not np.all(np.isfinite(unit_eig)):
        raise AnalysisError("the Jacobian's eigenvalues are not finite numbers; divide the payoffs by a common factor")
    exact_state = None
    diagonal = J.size == 0 or np.array_equal(J, np.diag(np.diag(J)))
    if exact_rows is not None:
        exact_state = tuple(
            tuple(
                sympy.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else sympy.sympify(v) for v in row
            )
            for row in exact_rows
        )
        rational = all(isinstance(v, Fraction) for row in exact_rows for v in row)
        small = pure or J.shape[0] <= MAX_EXACT_EIGEN_DIM
        if exact_eigenvalues is None and rational and small:
            if pure:
                exact_eigenvalues = pv.pure_eigenvalues(support)
            else:
                exact_J = pv.exact_jacobian(exact_rows)
                exact_eigenvalues = _exact_eigenvalues(exact_J) if exact_J is not None else None
    label = classify_exact(exact_eigenvalues) if exact_eigenvalues is not None else None
    if exact_eigenvalues is not None:
        values = np.array([complex(sympy.N(e, 30)) for e in exact_eigenvalues], dtype=complex)
    else:
        values = unit_eig * pv.scale
    if label is None and isinstance(pv, GeneralField) and J.size:
        label = _classify_local(J, pv.unit_magnitude(rows), zero_tol)
    if label is None:
        label = classify(unit_eig, zero_tol, scale=1.0)
    if not np.all(np.isfinite(values)):
        raise AnalysisError("an eigenvalue overflows floating point; divide the payoffs by a common factor")
    if pure and diagonal:
        order = list(range(len(values)))  # two-strategy populations at a pure profile: population order
    else:
        order = sorted(range(len(values)), key=lambda i: _sort_key(values[i]))
    idx = tuple(s[0] for s in support) if pure else None
    return Equilibrium(
        state=tuple(tuple(float(v) for v in row) for row in rows),
        profile=game.profile_names(idx) if pure else None,
        support=tuple(tuple(pop.strategies[i] for i in s) for pop, s in zip(game.populations, support)),
        eigenvalues=tuple(complex(values[i]) for i in order),
        stability=label,
        exact=exact_rows is not None,
        name=game.state_name(idx) if pure else None,
        exact_state=exact_state,
        exact_eigenvalues=tuple(exact_eigenvalues[i] for i in order) if exact_eigenvalues is not None else None,
    )


NOT_DIFFERENTIABLE = "not differentiable"
WRITTEN_RESIDUAL = 1e-9  # as-written rest test at a switch: payoffs in use within this times their size (see below)
WRITTEN_FLOOR = 1e-12  # ... or within this times the field's payoff scale (rounding of payoffs that nearly vanish)


def _kinks_at_vertex(game: Game, idx) -> tuple:
    """The switching ``step``/``abs``/``min``/``max`` atoms of a general game's payoffs at the pure state ``idx``."""
    from .dynamics import general_field

    fld = general_field(game)
    exact = [sympy.Integer(int(i == s)) for s, n in zip(idx, game.shape) for i in range(n)]
    return fld.kinks(np.array([float(v) for v in exact]), exact if fld.exact else None)


def _exact_flat(exact_rows):
    if exact_rows is None:
        return None
    return [sympy.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else v for r in exact_rows for v in r]


def _switch_check(fld: GeneralField, rows, support, exact_rows=None):
    """``(kinks, rest)`` at a state of a general field: the switches there (``GeneralField.kinks``) and whether the
    state is a rest point of the field AS WRITTEN (``step(0) = 1``) -- checked only where a switch is (elsewhere the
    caller's own test holds).  Rest: in each population the payoffs in use differ by at most ``WRITTEN_RESIDUAL`` times
    their largest size there, or ``WRITTEN_FLOOR`` times the payoff scale."""
    sig = np.concatenate([np.asarray(r, dtype=float) for r in rows])
    exact_state = _exact_flat(exact_rows)
    kinks = fld.kinks(sig, exact_state)
    if not any(isinstance(a, (sympy.Heaviside, sympy.sign)) for a in kinks):
        return kinks, True
    u = fld.written_payoffs(sig, kinks, exact_state)
    off = np.concatenate([[0], np.cumsum(fld.shape)]).astype(int)
    for p, sup in enumerate(support):
        used = u[off[p] : off[p + 1]][list(sup)]
        if not np.all(np.isfinite(used)):
            return kinks, False
        if np.ptp(used) > WRITTEN_RESIDUAL * float(np.max(np.abs(used))) + WRITTEN_FLOOR * fld.scale:
            return kinks, False
    return kinks, True


def _not_linearised(game: Game, rows, support, exact_rows, why: str) -> Equilibrium:
    """The :class:`Equilibrium` of a rest point where the field is not differentiable: no eigenvalue, no label."""
    pure = all(len(s) == 1 for s in support)
    idx = tuple(s[0] for s in support) if pure else None
    exact_state = None
    if exact_rows is not None:
        exact_state = tuple(
            tuple(
                sympy.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else sympy.sympify(v) for v in row
            )
            for row in exact_rows
        )
    return Equilibrium(
        state=tuple(tuple(float(v) for v in row) for row in rows),
        profile=game.profile_names(idx) if pure else None,
        support=tuple(tuple(pop.strategies[i] for i in s) for pop, s in zip(game.populations, support)),
        eigenvalues=(),
        stability=Stability.NOT_LINEARISED,
        exact=exact_rows is not None,
        name=game.state_name(idx) if pure else None,
        exact_state=exact_state,
        note=f"{NOT_DIFFERENTIABLE}: {why}",
    )


def _kink_text(fld: GeneralField, kinks) -> str:
    """The switching atoms, in the game's names."""
    shown = ", ".join(fld.display(a) for a in kinks[:3])
    return f"{shown} switches here" if kinks else ""


INFINITE_DERIVATIVE = "a payoff in use, or its derivative, is infinite or undefined here"


def linearize(
    game: Game,
    state: ArrayLike,
    *,
    zero_tol: float = ZERO_TOL,
    residual_tol: float = RESIDUAL_TOL,
    exact: bool = True,
) -> Equilibrium:
    """Linearise the dynamics at one rest point ``state`` (any accepted layout).

    Every kind of game: one that is not multilinear is linearised with :func:`gamekit.dynamics.general_field`
    (module docstring), its exact treatment asking that the expected payoffs at the rational state are exact numbers.

    Parameters
    ----------
    game
        The game, every parameter with a value.
    state
        The rest point: each population's share of its first strategy (all populations with two strategies), or
        every population's mixed strategy concatenated.
    zero_tol
        When a real part counts as zero, relative to the Jacobian's scale.
    residual_tol
        How unequal (relative to the payoff scale) the payoffs of the strategies in use may be.
    exact
        Treat exactly a state whose numbers are simple rationals (within 1e-12) and that is exactly a rest point of
        a game with rational payoffs, so a pure profile or a rational rest point gets exact eigenvalues.

    Returns
    -------
    Equilibrium
        The point with its eigenvalues and stability label.

    Raises
    ------
    StateError
        If ``state`` is not a rest point (or a payoff is undefined there).
    """
    check_game(game)
    zero_tol = check_zero_tol(zero_tol)
    residual_tol = check_zero_tol(residual_tol, "residual_tol")
    exact = _validate.flag("exact", exact)
    space = StateSpace(game.shape, tuple(p.name for p in game.populations))
    rows = space.split(space.one(state))
    if not game.multilinear:
        return _linearize_general(game, rows, zero_tol, residual_tol, exact)
    pv = payoff_values(game, exact=exact)
    for p, u in enumerate(strategy_payoffs(list(pv.unit), rows)):
        active = rows[p] > SHARE_TOL
        if np.ptp(u[active]) > residual_tol:
            raise StateError(
                f"{[r.tolist() for r in rows]} is not a rest point: {game.populations[p].name}'s strategies "
                "in use earn different payoffs"
            )
    exact_rows = _exact_rest_point(pv.rational, rows) if pv.rational is not None else None
    return _linearise(game, pv, rows, zero_tol=zero_tol, exact_rows=exact_rows)


def _simple_rationals(rows):
    """Each population's shares as Fractions of denominator at most 1e6, if within 1e-12 of ``rows`` and a mixed
    strategy (non-negative, summing to one); else None."""
    state = []
    for row in rows:
        fr = [Fraction(float(v)).limit_denominator(10**6) for v in row]
        if any(abs(float(f) - v) > 1e-12 for f, v in zip(fr, row)) or sum(fr) != 1 or min(fr) < 0:
            return None
        state.append(np.array(fr, dtype=object))
    return state


def _exact_rest_point(rational_tensors, rows):
    """The state as simple rationals, if that is within 1e-12 and exactly a rest point; else None."""
    state = _simple_rationals(rows)
    if state is None:
        return None
    for p, u in enumerate(strategy_payoffs(list(rational_tensors), state)):
        active = [u[i] for i, v in enumerate(state[p]) if v > 0]
        if any(a != active[0] for a in active):
            return None
    return state


def _linearize_general(game: Game, rows, zero_tol: float, residual_tol: float, exact: bool) -> Equilibrium:
    """:func:`linearize` for a game that is not multilinear: the field of :func:`general_field`."""
    fld = general_field(game)
    sig = np.concatenate(rows)
    u = fld.payoffs(sig[None, :])[0]
    if not np.all(np.isfinite(u)):
        raise StateError(
            f"{[r.tolist() for r in rows]}: an expected payoff is not a finite number at this state "
            "(a payoff undefined there, such as F/(1 - y) at y = 1)"
        )
    off = np.concatenate([[0], np.cumsum(game.shape)]).astype(int)
    for p in range(len(rows)):
        active = rows[p] > SHARE_TOL
        if np.ptp(u[off[p] : off[p + 1]][active]) > residual_tol * fld.scale:
            raise StateError(
                f"{[r.tolist() for r in rows]} is not a rest point: {game.populations[p].name}'s strategies "
                "in use earn different payoffs"
            )
    exact_rows = _exact_rest_point_general(fld, rows) if exact and fld.exact else None
    support = tuple(tuple(int(i) for i in np.nonzero(r > SHARE_TOL)[0]) for r in rows)
    kinks, rest = _switch_check(fld, rows, support, exact_rows)
    if not rest:
        raise StateError(
            f"{[r.tolist() for r in rows]} is not a rest point of the field as written: {_kink_text(fld, kinks)} "
            "(step(0) = 1), and there the strategies in use earn different payoffs"
        )
    if kinks:
        return _not_linearised(game, rows, support, exact_rows, _kink_text(fld, kinks))
    J = fld.unit_jacobian(rows)
    if not np.all(np.isfinite(J)):
        return _not_linearised(game, rows, support, exact_rows, INFINITE_DERIVATIVE)
    return _linearise(game, fld, rows, zero_tol=zero_tol, exact_rows=exact_rows, jacobian=J)


def _exact_rest_point_general(fld: GeneralField, rows):
    """The state as simple rationals, if within 1e-12 and exactly a rest point of the general field; else None."""
    state = _simple_rationals(rows)
    if state is None:
        return None
    subs = {
        s: sympy.Rational(v.numerator, v.denominator) for s, v in zip(fld.flat_sigma, (v for row in state for v in row))
    }
    for p, row in enumerate(fld.u):
        try:
            active = [substitute(e, subs) for e, v in zip(row, state[p]) if v > 0]
        except AnalysisError:
            return None
        if any(not (a - active[0]).is_zero for a in active):  # unequal, or undecided exactly
            return None
    return state
