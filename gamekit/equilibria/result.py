"""The result of :func:`gamekit.equilibria`: isolated rest points, continua, and what was not certain."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from .._frozen import normalized
from ..errors import ArgumentError
from ..game import Game
from ..protocols import REPLICATOR, Dynamics
from ..stability import Equilibrium, Stability
from .numeric import Uncertain

__all__ = ["Continuum", "Equilibria", "Uncertain"]


def _fmt(v: float) -> str:
    return f"{v:.6g}"


@dataclass(frozen=True)
class Continuum:
    """A connected set of rest points of positive dimension on one face.

    ``equations`` define it (in the shares ``symbols`` of the face's mixing
    populations, each population's last share eliminated); ``dimension`` is its
    dimension; ``example`` is one point of it inside the face (each population's
    mixed strategy).  Found by the numeric search (a root where the system is
    singular), it has no equations and ``dimension`` is ``None``: rest points
    there are not isolated.
    """

    support: tuple[tuple[str, ...], ...]
    symbols: tuple[sympy.Symbol, ...]
    equations: tuple[sympy.Expr, ...]
    dimension: int | None
    example: tuple[tuple[float, ...], ...]

    def __str__(self) -> str:
        face = "; ".join("{" + ", ".join(s) + "}" for s in self.support)
        if self.dimension is None:
            point = "; ".join("(" + ", ".join(_fmt(x) for x in s) + ")" for s in self.example)
            return f"rest points that are not isolated (found numerically) on the face {face}, e.g. at {point}"
        eqs = ", ".join(f"{sympy.sstr(e)} = 0" for e in self.equations) or "every point of the face"
        return f"continuum of rest points (dimension {self.dimension}) on the face {face}: {eqs}"

    def to_json(self) -> dict:
        return {
            "support": [list(s) for s in self.support],
            "dimension": self.dimension,
            "equations": [f"{sympy.sstr(e)} = 0" for e in self.equations],
            "example": [list(map(float, s)) for s in self.example],
        }


@dataclass(frozen=True)
class Equilibria:
    """Every rest point of a game: iterate, index or ``len`` it like a tuple of :class:`Equilibrium`.

    ``points`` are the isolated rest points, each listed once; ``continua`` the sets of rest
    points that are not isolated; ``complete`` is False when some face was searched numerically
    (Newton from random starts: a rest point there may be missing); ``numeric_faces`` counts those
    faces and ``uncertain`` holds numeric candidates whose verification did not converge (not rest
    points, not counted).  ``notes`` say what else the analysis had to do (a budget spent, payoffs
    too large for exact arithmetic).  ``dynamics`` is the dynamics whose rest points these are
    (:func:`gamekit.equilibria`'s ``dynamics``; shown when it is not the replicator).
    """

    points: tuple[Equilibrium, ...]
    continua: tuple[Continuum, ...] = ()
    complete: bool = True
    numeric_faces: int = 0
    uncertain: tuple[Uncertain, ...] = ()
    notes: tuple[str, ...] = ()
    dynamics: Dynamics = REPLICATOR
    game: Game | None = field(default=None, repr=False, compare=False)

    def __iter__(self):
        return iter(self.points)

    def __len__(self) -> int:
        return len(self.points)

    def __getitem__(self, key):
        return self.points[key]

    def __bool__(self) -> bool:
        return bool(self.points)

    def stable(self) -> list[Equilibrium]:
        """The asymptotically stable rest points."""
        return [e for e in self.points if e.stability is Stability.ASYMPTOTICALLY_STABLE]

    def named(self, name: str) -> Equilibrium:
        """The rest point the game names ``name`` (``-`` and ``_`` alike, as everywhere)."""
        if not isinstance(name, str):
            raise ArgumentError(f"name must be a state name (a string), got {type(name).__name__}")
        for e in self.points:
            if e.name is not None and normalized(e.name) == normalized(name):
                return e
        raise KeyError(name)

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(
            {
                "state": [e.describe_state() for e in self.points],
                "profile": [", ".join(e.profile) if e.profile else "" for e in self.points],
                "name": [e.name or "" for e in self.points],
                "eigenvalues": [e.describe_eigenvalues() for e in self.points],
                "stability": [str(e.stability) for e in self.points],
                "exact": [e.exact for e in self.points],
            }
        )

    @property
    def _face_search(self) -> bool:
        """Whether the rest points come from the replicator's face-by-face search (the replicator, Smith and BNN,
        the mutator at ``MU = 0``), not from the interior search of a smooth dynamics (whose note says how)."""
        kind, mu = self.dynamics.kind, self.dynamics.mu
        return not (kind == "logit" or (kind == "replicator-mutator" and mu))

    def _tail(self) -> list[str]:
        lines = [str(c) for c in self.continua] + [str(u) for u in self.uncertain]
        if not self.complete and self.numeric_faces and self._face_search:
            faces = "1 face was" if self.numeric_faces == 1 else f"{self.numeric_faces} faces were"
            lines.append(f"({faces} searched numerically: rest points there may be missing)")
        return lines + [f"({n})" for n in self.notes]

    @staticmethod
    def _line(e: Equilibrium) -> str:
        """The point's line, with its note where its label has one (a not-linearised point prints its own)."""
        if e.note and e.stability is not Stability.NOT_LINEARISED:
            return f"{e}; {e.note}"
        return str(e)

    def __str__(self) -> str:
        head = [] if self.dynamics == REPLICATOR else [f"dynamics {self.dynamics}:"]
        return "\n".join(head + [self._line(e) for e in self.points] + self._tail())

    def __repr__(self) -> str:
        extra = f", {len(self.uncertain)} uncertain" if self.uncertain else ""
        dyn = "" if self.dynamics == REPLICATOR else f", dynamics={self.dynamics}"
        return (
            f"Equilibria({len(self.points)} rest points, {len(self.continua)} continua{extra}, "
            f"complete={self.complete}{dyn})"
        )

    def _repr_markdown_(self) -> str:
        lines = ["| state | profile | name | eigenvalues | stability |", "|---|---|---|---|---|"]
        for e in self.points:
            lines.append(
                f"| {e.describe_state()} | {', '.join(e.profile) if e.profile else ''} | {e.name or ''} "
                f"| {e.describe_eigenvalues()} | {e.stability}{'' if e.exact else ' (numeric)'}"
                f"{f' ({e.note})' if e.note else ''} |"
            )
        return "\n".join(lines + [f"\n{t}" for t in self._tail()])
