r"""Linear stability of rest points on the product of simplices.

The replicator field is written in the tangent coordinates of
:mod:`gamekit.dynamics` (each population's last share eliminated), so its
Jacobian ``J`` there is the linearisation on the tangent space of the simplex
product; eigenvalues ``lambda_1, ..., lambda_d`` of ``J`` decide the label, with
``tol`` deciding when a real part counts as zero:

* ``asymptotically stable`` -- every ``Re lambda < -tol``;
* ``saddle``                -- some ``Re lambda > tol`` and some ``< -tol``;
* ``unstable``              -- some ``Re lambda > tol``, none ``< -tol``;
* ``non-hyperbolic``        -- none ``> tol`` and some ``|Re lambda| <= tol``:
  linearisation cannot decide.

When the eigenvalues are known exactly (sympy), their signs are decided
exactly and ``tol`` is not needed.

**Pure profiles.**  At a pure profile ``s`` the Jacobian is block diagonal and
its eigenvalues are the payoff gains of unilateral switches::

    lambda_{p, j} = A_p[j, s_{-p}] - A_p[s_p, s_{-p}],   j != s_p,

so ``s`` is asymptotically stable iff every gain is negative, i.e. iff ``s`` is a
strict Nash equilibrium (Ritzberger & Weibull 1995).  :func:`stability_table`
prints these gains symbolically with the conditions ``lambda < 0`` -- the
"equilibrium / eigenvalues / conditions / stability" table of the papers.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np
import sympy

from .game import Game

__all__ = [
    "Stability",
    "classify",
    "classify_exact",
    "switch_gains",
    "is_strict_nash",
    "strict_profiles",
    "is_nash",
    "negative",
    "ProfileStability",
    "StabilityTable",
    "stability_table",
]


class Stability(str, enum.Enum):
    """The label of a rest point, from the real parts of its eigenvalues."""

    ASYMPTOTICALLY_STABLE = "asymptotically stable"
    SADDLE = "saddle"
    UNSTABLE = "unstable"
    NON_HYPERBOLIC = "non-hyperbolic"

    def __str__(self) -> str:
        return self.value


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


def classify(eigenvalues, tol: float = 1e-9) -> Stability:
    """Label from numeric eigenvalues; ``|Re| <= tol`` counts as zero."""
    re = np.real(np.asarray(eigenvalues, dtype=complex))
    return _label(np.where(re > tol, 1, np.where(re < -tol, -1, 0)))


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
        return f"{self.population}: {self.alternative} instead of {self.current}: {self.gain}"


def switch_gains(game: Game, idx) -> list[SwitchGain]:
    """Symbolic eigenvalues at a pure profile: every unilateral switch's payoff gain."""
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


def is_strict_nash(game: Game, idx) -> bool:
    """Every unilateral switch strictly loses (at the game's parameter values)."""
    j = int(np.ravel_multi_index(tuple(idx), game.shape))
    return bool(strict_profiles(_flat_payoffs(game), game.shape)[0, j])


def is_nash(game: Game, idx, tol: float = 1e-9) -> bool:
    """No unilateral switch gains more than ``tol`` (at the game's parameter values)."""
    return bool(np.all(_numeric_gains(game, idx) <= tol))


def negative(expr: sympy.Expr):
    """``expr < 0`` written as ``positive terms < negative terms`` (``delta*F > Cg``, not ``Cg - F*delta < 0``)."""
    expr = sympy.expand(expr)
    if expr.is_number:
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
        return ", ".join(sympy.sstr(c) for c in conds) or "always"


@dataclass(frozen=True)
class StabilityTable:
    """Eigenvalues and stability conditions of every pure profile (symbolic)."""

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
                "eigenvalues": ["; ".join(sympy.sstr(g.gain) for g in r.eigenvalues) for r in self.rows],
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
                f"    {g.population}: {g.alternative} instead of {g.current}:  {sympy.sstr(g.gain)}"
                for g in r.eigenvalues
            ]
            out.append(f"    asymptotically stable iff: {r.conditions_text()}")
        return "\n".join(out)

    def _repr_markdown_(self) -> str:
        lines = [
            "| profile | name | eigenvalues | asymptotically stable iff | at current values |",
            "|---|---|---|---|---|",
        ]
        for r in self.rows:
            eig = "<br>".join(f"`{sympy.sstr(g.gain)}`" for g in r.eigenvalues)
            lines.append(
                f"| ({', '.join(r.profile)}) | {r.name or ''} | {eig} | {r.conditions_text()} | {r.stability or ''} |"
            )
        return "\n".join(lines)


def stability_table(game: Game) -> StabilityTable:
    """For every pure profile: eigenvalues (switch gains), conditions for asymptotic stability.

    If every parameter has a value, each row also carries its label at those values.
    """
    numeric = all(v is not None for v in game.parameters.values())
    payoffs = game.numeric_payoffs() if numeric else None
    rows = []
    for idx in game.profiles():
        gains = switch_gains(game, idx)
        conditions = tuple(dict.fromkeys(negative(g.gain) for g in gains))
        label = classify(_numeric_gains(game, idx, payoffs), 0.0) if numeric else None
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
