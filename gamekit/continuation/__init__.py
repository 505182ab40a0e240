r"""Branches of rest points in one parameter, and their bifurcation points.

The parameter ``lam`` runs over ``[lo, hi]``; every other parameter keeps the game's value.  A rest point lies on
exactly one face ``S = (S_0, ..., S_{k-1})`` (the strategies in use, :mod:`gamekit.equilibria`), where it solves
the face's ``m`` equations in its ``m`` unknowns ``v`` (each population's last share in use eliminated)::

    G(v, lam) = ( u_p(i) - u_p(l_p) )_{p, i in S_p, i != l_p} = 0,    every share in S positive,

``u`` the expected payoffs of :func:`gamekit.dynamics.expected_payoffs` (every kind of game) with ``lam``
kept as a symbol.  As ``lam`` moves, the solutions on a face trace curves: the *branches*.

**Exact branches.**  Where ``G`` is linear in ``v`` with coefficients rational in ``lam`` -- every face of a
multilinear game on which at most two populations mix, a pure profile (``m = 0``) of any game, hawk-dove's mixed
state -- it is ``A(lam) v = b(lam)``, solved by sympy: ``v = A^{-1} b`` are rational functions of ``lam``.  The
branch exists where every share is positive; it ends where a share's numerator vanishes (an exact root: the branch
*meets a smaller face*) and, where ``det A`` vanishes, the face may hold a line of rest points (``rank A(lam_0) =
rank [A | b](lam_0) < m``, checked exactly, and reported as ``degenerate``).  Faces with ``det A = 0`` identically
(a population mixing alone: its gains do not depend on its own shares) hold rest points only where every
``(r + 1)``-minor of ``[A | b]`` vanishes, ``r`` the generic rank: exact roots again.

**Numeric branches** (every other face: three or more populations mixing, shares in payoffs, group games).
Seeds are the rest points :func:`gamekit.equilibria` finds on that face at ``seeds`` values of ``lam``, and the
points where a smaller face's branch has a real eigenvalue crossing zero because the gain of a strategy not in use
does (there a branch of the face that adds the strategy passes through: it is born or dies); from each,
pseudo-arclength continuation (:mod:`._trace`) follows ``G(v, lam) = 0`` in ``X = (v, tau)``, ``tau = (lam - lo) /
(hi - lo)``, in both directions, through folds, until the branch leaves ``[lo, hi]`` or the face (a share reaches
zero, located by bisection).  A branch that exists only between two seed values and meets no smaller face (born and
dying in folds) is not found (said in ``notes``).

**Stability along a branch** is that of :mod:`gamekit.stability`: the eigenvalues of the tangent Jacobian
(:func:`gamekit.dynamics.jacobian_from`), a real part counting as zero when ``|Re| <= zero_tol * s``, ``s`` the
larger of the payoff scale at ``lam`` and the largest ``|eigenvalue|``.

**Bifurcation points.**  Between consecutive points the number ``n_+`` of eigenvalues with positive real part is
compared; where it changes, bisection along the branch locates the switch (to ``LOCATE_WIDTH``), and then

* a real eigenvalue crossing zero where the branch turns back in ``lam`` (the ``tau`` component of the tangent
  changes sign) is a ``fold``: two rest points are born or die together;
* a complex pair crossing the imaginary axis is a ``hopf`` point; its first Lyapunov coefficient ``l_1`` (Kuznetsov's
  formula, from the second and third derivatives of the field at the point) says whether the cycle born is stable
  (``l_1 < 0``), unstable (``l_1 > 0``), or the crossing is *degenerate* (``l_1 = 0``: e.g. a centre surrounded by
  closed orbits, as in every multilinear 2 x 2 game's interior);
* a real eigenvalue crossing zero elsewhere, and a branch ending on a smaller face, are ``transcritical`` (branch
  points: there a branch of a larger face meets this one -- the transverse eigenvalue of the smaller face's point
  is the gain of the strategies about to come into use);
* rest points that are not isolated at one parameter value (a line of them) are ``degenerate``, and a real crossing
  of a point on the closure of such a line is reported with it.

On exact branches a crossing's value is made exact: for a real eigenvalue the root of the numerator of
``det J(lam)`` (``J`` the tangent Jacobian along the branch, a rational function of ``lam``) inside the bracket; for
a complex pair the root of the resultant in ``w^2`` of ``A`` and ``B``, where ``det(i w - J(lam)) = A(w^2) + i w
B(w^2)`` (both vanish at a pair ``+-i w``).
"""

from __future__ import annotations

import sympy

from .. import _validate
from ..errors import ArgumentError, ParameterError
from ..game import Game
from ..policy._common import domain
from ..policy._common import parameter as check_parameter
from ..stability import ZERO_TOL, check_zero_tol
from ._run import Run
from .result import KINDS, Bifurcation, Branch, BranchPoint, Continuation

__all__ = ["continuation", "Continuation", "Branch", "BranchPoint", "Bifurcation", "KINDS"]


def continuation(
    game: Game,
    parameter: str,
    interval: tuple[float, float],
    *,
    points: int = 201,
    seeds: int = 9,
    zero_tol: float = ZERO_TOL,
    progress: bool | None = None,
) -> Continuation:
    """Every branch of rest points of ``game`` as ``parameter`` runs over ``interval = (lo, hi)``, with its
    eigenvalues and stability, and the bifurcation points on the branches (module docstring).

    Parameters
    ----------
    game
        Any game :mod:`gamekit` supports; every parameter but ``parameter`` needs a value.
    parameter
        The parameter to vary (a name of ``game.parameters``).
    interval
        ``(lo, hi)`` with ``lo < hi``, inside the parameter's declared bounds.
    points
        Points per exact branch over the whole interval (numeric branches step by arclength).
    seeds
        Parameter values at which :func:`gamekit.equilibria` seeds the faces that are followed numerically.
    zero_tol
        Relative tolerance deciding a zero real part, as in :func:`gamekit.equilibria`.
    progress
        Show a progress bar over the faces (``None``: for games with more than 64 faces).

    Returns
    -------
    Continuation
        The ``branches`` (each a curve of rest points with their eigenvalues and labels) and the ``bifurcations``;
        ``to_frame()`` is the table, ``plot()`` the bifurcation diagram.
    """
    _validate.game(game)
    parameter = check_parameter(game, parameter, "parameter")
    lo, hi = _interval(game, parameter, interval)
    points = _validate.integer("points", points, minimum=3, maximum=100_000)
    seeds = _validate.integer("seeds", seeds, minimum=2, maximum=10_000)
    zero_tol = check_zero_tol(zero_tol)
    if progress is not None:
        progress = _validate.flag("progress", progress)
    free = [k for k, v in game.parameters.items() if v is None and k != parameter]
    if free:
        raise ParameterError(f"parameter {free[0]!r} has no value; give one with with_parameters({free[0]}=...)")
    if game.parameters[parameter] is None:
        game = game.with_parameters({parameter: float(lo)})
    return Run(game, parameter, lo, hi, points, seeds, zero_tol, progress).result()


def _interval(game: Game, parameter: str, interval) -> tuple[sympy.Expr, sympy.Expr]:
    from ..expr import exact

    if isinstance(interval, (str, bytes)) or not hasattr(interval, "__len__") or len(interval) != 2:
        raise ArgumentError(f"interval must be (lo, hi), got {_validate.printable(repr(interval), 60)}")
    lo = _validate.real("interval's lo", interval[0])
    hi = _validate.real("interval's hi", interval[1])
    if lo >= hi:
        raise ArgumentError(f"interval ({lo:g}, {hi:g}) is empty: lo must be below hi")
    dom = domain(game, parameter)
    if not (dom.contains(exact(lo)) and dom.contains(exact(hi))):
        raise ParameterError(
            f"interval ({lo:g}, {hi:g}) is outside {parameter}'s declared bounds [{dom.inf}, {dom.sup}]"
        )
    return exact(lo), exact(hi)
