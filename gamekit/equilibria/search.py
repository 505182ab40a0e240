"""The driver of :func:`gamekit.equilibria`: every face to the solver that fits it."""

from __future__ import annotations

import dataclasses
import sys
import time
from fractions import Fraction

import numpy as np

from .. import _validate
from ..dynamics import PayoffValues, check_game, payoff_values, tangent_jacobians
from ..errors import AnalysisError
from ..game import Game
from ..protocols import Dynamics, parse_dynamics
from ..stability import ZERO_TOL, _linearise, check_zero_tol
from . import exact as exact_faces
from . import general
from .faces import LinearFaces, RawContinuum, RawPoint, face_count, may_hold_rest_point, mixing, supports
from .numeric import Uncertain, group_key, solve_faces
from .result import Continuum, Equilibria

PROGRESS_FACES = 20_000  # with progress=None, a progress bar is shown from this many faces on,
PROGRESS_POLYNOMIAL = 1_000  # or from this many polynomial faces to search
MAX_EXACT_EIGEN_UNKNOWNS = 3  # exact eigenvalues of irrational rest points only up to this dimension
EIGEN_BUDGET = 2.0  # seconds of sympy for one irrational rest point's exact eigenvalues


def _face_key(support):
    return tuple((len(s), s) for s in support)


def _names(game: Game, support):
    return tuple(tuple(pop.strategies[i] for i in sup) for pop, sup in zip(game.populations, support))


def equilibria(
    game: Game,
    *,
    zero_tol: float = ZERO_TOL,
    exact: bool | str = "auto",
    time_budget: float = 10.0,
    max_exact_unknowns: int = 3,
    max_exact_faces: int = 512,
    starts: int = 24,
    rng: int | np.random.Generator | None = 0,
    progress: bool | None = None,
    dynamics: str | Dynamics | None = None,
) -> Equilibria:
    """Every rest point of ``game``'s replicator dynamics (or of ``dynamics``), at its parameter values.

    Games that are not multilinear (shares in payoffs, symmetric and group games: ``game.multilinear``
    false) are solved by :mod:`gamekit.equilibria.general`, with the same arguments and the same result.

    Parameters
    ----------
    game
        Any game gamekit supports, every parameter with a value.
    zero_tol
        A real part of an eigenvalue counts as zero when ``|Re| <= zero_tol * s``, ``s`` the
        larger of the payoff scale (the largest switch gain) and the largest ``|eigenvalue|``:
        a *relative* tolerance, in ``(0, 1e-2]``.  Exact eigenvalues are decided exactly.
    exact
        ``True``: faces where at most two populations mix are solved exactly (when the payoffs
        are small rationals), and sympy solves polynomial faces with at most ``max_exact_unknowns``
        unknowns within ``time_budget``; ``"auto"`` (default): the same, but polynomial faces go
        to sympy only in games with at most ``max_exact_faces`` faces; ``False``: everything in
        floating point (linear faces by linear algebra, the rest by Newton).
    max_exact_unknowns, max_exact_faces
        Limits of the exact work: the most unknowns of a polynomial face sent to sympy, and (``exact="auto"``)
        the most faces a game may have for its polynomial faces to go to sympy.
    time_budget
        Seconds of sympy work in all (sympy runs in a separate process and is stopped, never
        interrupted, when the budget is spent; its faces are then searched numerically and the
        result's ``notes`` say so).
    starts, rng
        Newton starting points per polynomial face, and their seed.
    progress
        Show a progress bar over the faces on stderr: ``None`` (default) when the work is long (at
        least ``PROGRESS_FACES`` faces, or ``PROGRESS_POLYNOMIAL`` polynomial faces to search).
    dynamics
        The revision protocol (:mod:`gamekit.protocols`): ``None`` or ``"replicator"`` (default: the
        replicator, as above), ``"logit:ETA"`` (the logit QRE, found numerically by
        :mod:`gamekit.equilibria.smooth`, ``complete`` always False), ``"replicator-mutator:MU"`` (likewise;
        ``MU = 0`` is the replicator), ``"smith"`` or ``"bnn"`` (the Nash equilibria among the replicator's
        rest points, :mod:`gamekit.equilibria.nash`), or a :class:`~gamekit.protocols.Dynamics`.  For
        logit and the mutator ``starts`` scales the number of random Newton starts and ``exact``,
        ``time_budget``, ``max_exact_*`` and ``progress`` do not apply (every rest point is interior and
        numeric); Smith and BNN pass them to the replicator's search.  ``ETA`` below
        ``gamekit.protocols.ETA_FLOOR`` times the payoff scale is refused (the QRE are then Nash
        equilibria to double precision).  The result's ``dynamics`` names the dynamics.

    Returns
    -------
    Equilibria
        Every rest point found, each an :class:`Equilibrium` with its eigenvalues and stability label (or a
        :class:`Continuum`), with ``complete`` (whether the search is proved complete) and ``notes``.

    Examples
    --------
    >>> import gamekit as gk
    >>> print(gk.equilibria(gk.load("hawk-dove")))
    (hawk) [all-hawk]: unstable; eigenvalues 1
    (dove) [all-dove]: unstable; eigenvalues 1
    (1/2): asymptotically stable; eigenvalues -0.5
    """
    check_game(game)
    dyn = parse_dynamics(dynamics)
    if dyn.kind != "replicator":
        return _other_dynamics(
            game,
            dyn,
            zero_tol=zero_tol,
            exact=exact,
            time_budget=time_budget,
            max_exact_unknowns=max_exact_unknowns,
            max_exact_faces=max_exact_faces,
            starts=starts,
            rng=rng,
            progress=progress,
        )
    zero_tol = check_zero_tol(zero_tol)
    if not isinstance(exact, bool):
        _validate.choice("exact", exact, [True, False, "auto"])
    time_budget = _validate.real("time_budget", time_budget, low=0.0)
    max_exact_unknowns = _validate.integer("max_exact_unknowns", max_exact_unknowns, minimum=0)
    max_exact_faces = _validate.integer("max_exact_faces", max_exact_faces, minimum=0)
    starts = _validate.integer("starts", starts, minimum=1, maximum=10_000)
    rng = _validate.generator(rng)
    if progress is not None:
        progress = _validate.flag("progress", progress)
    if not game.multilinear:  # shares in payoffs, symmetric and group games
        return general.equilibria(
            game,
            zero_tol=zero_tol,
            exact=exact,
            time_budget=time_budget,
            max_exact_unknowns=max_exact_unknowns,
            max_exact_faces=max_exact_faces,
            starts=starts,
            rng=rng,
            progress=progress,
        )

    pv = payoff_values(game, exact=exact is not False)
    notes = []
    if exact is not False and pv.rational is None:
        notes.append("the payoffs are not small rationals: every face was solved in floating point")
    faces = face_count(game.shape)
    polynomial, trivial = [], 0  # faces where three or more populations mix; faces where none or one does
    for s in supports(game.shape):  # one pass (a million faces on 2 x 10)
        m = len(mixing(s))
        if m >= 3:
            polynomial.append(s)
        elif m < 2:
            trivial += 1
    held = [s for s in polynomial if may_hold_rest_point(pv.unit, s)]
    long = faces >= PROGRESS_FACES or len(held) >= PROGRESS_POLYNOMIAL
    show = progress if progress is not None else long
    bar = None
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(total=faces, desc="faces", unit="face", file=sys.stderr, leave=False)
    try:
        use_sympy = pv.rational is not None and (exact is True or (exact == "auto" and faces <= max_exact_faces))
        if use_sympy and time_budget > 0 and any(sum(len(s) - 1 for s in f) <= max_exact_unknowns for f in held):
            exact_faces.worker.prestart()  # its start overlaps the linear faces
        linear = LinearFaces(pv, progress=bar).solve()
        points = list(linear.points)
        raw_continua = list(linear.continua)
        if bar is not None:
            bar.update(trivial + len(polynomial) - len(held))
        polynomial = held
        deadline = time.monotonic() + time_budget
        numeric: dict[tuple[int, ...], list] = {}
        spent = failed = 0
        for support in polynomial:
            unknowns = sum(len(s) - 1 for s in support)
            solved = None
            if use_sympy and unknowns <= max_exact_unknowns:
                remaining = deadline - time.monotonic()
                if remaining > 0:
                    solved = _sympy_face(pv, game.shape, support, deadline, int(rng.integers(2**31)))
                if solved is False:
                    failed, solved = failed + 1, None
                spent += solved is None and deadline - time.monotonic() <= 0
            if solved is None:
                numeric.setdefault(group_key(support), []).append(support)
                continue
            pts, conts = solved
            points += pts
            raw_continua += conts
            if bar is not None:
                bar.update(1)
        if spent:
            notes.append(
                f"sympy's time budget ({time_budget:g} s) ran out: {spent} polynomial faces were searched numerically"
                " (raise time_budget, or pass exact=False / --numeric to skip sympy)"
            )
        if failed:
            notes.append(f"sympy could not solve {failed} polynomial faces: they were searched numerically")
        uncertain = []
        numeric_faces = 0
        for group in numeric.values():
            pts, conts, unc = solve_faces(pv.unit, game.shape, group, starts, rng)
            points += pts
            raw_continua += conts
            uncertain += unc
            numeric_faces += len(group)
            if bar is not None:
                bar.update(len(group))
    finally:
        if bar is not None:
            bar.close()

    points.sort(key=lambda r: (_face_key(r.support), tuple(np.concatenate(r.rows))))
    raw_continua.sort(key=lambda c: _face_key(c.support))
    jacobians = _jacobians(pv, points)
    results = [_point(game, pv, r, zero_tol, J) for r, J in zip(points, jacobians)]
    continua = [
        Continuum(_names(game, c.support), c.symbols, c.equations, c.dimension, c.example) for c in raw_continua
    ]
    unc = [Uncertain(_names(game, s), rows, res) for s, rows, res in uncertain]
    return Equilibria(
        points=tuple(results),
        continua=tuple(continua),
        complete=numeric_faces == 0,
        numeric_faces=numeric_faces,
        uncertain=tuple(unc),
        notes=tuple(notes),
        game=game,
    )


def _other_dynamics(game: Game, dyn: Dynamics, *, zero_tol, starts, rng, **replicator_options) -> Equilibria:
    """Rest points and labels under a dynamics other than the replicator (see ``dynamics`` above)."""
    zero_tol = check_zero_tol(zero_tol)
    starts = _validate.integer("starts", starts, minimum=1, maximum=10_000)
    rng = _validate.generator(rng)
    if dyn.kind == "replicator-mutator" and dyn.mu == 0.0:  # the replicator itself: its exact search
        result = equilibria(game, zero_tol=zero_tol, starts=starts, rng=rng, **replicator_options)
        note = f"dynamics {dyn}: with no mutation this is the replicator, solved face by face"
        return dataclasses.replace(result, notes=(note, *result.notes), dynamics=dyn)
    if dyn.smooth:
        from . import smooth

        return dataclasses.replace(
            smooth.rest_points(game, dyn, zero_tol=zero_tol, starts=starts, rng=rng), dynamics=dyn
        )
    from . import nash

    replicator = equilibria(game, zero_tol=zero_tol, starts=starts, rng=rng, **replicator_options)
    return dataclasses.replace(nash.rest_points(game, dyn, replicator, zero_tol=zero_tol), dynamics=dyn)


def _jacobians(pv: PayoffValues, points, batch: int = 4096):
    """The tangent Jacobians (of the scaled tensors) at every point, computed in batches."""
    out = []
    for a in range(0, len(points), batch):
        chunk = points[a : a + batch]
        rows = [np.stack([r.rows[p] for r in chunk]) for p in range(len(pv.shape))]
        out += list(tangent_jacobians(list(pv.unit), rows))
    return out


def _point(game: Game, pv: PayoffValues, r: RawPoint, zero_tol: float, J: np.ndarray):
    return _linearise(
        game,
        pv,
        r.rows,
        zero_tol=zero_tol,
        support=r.support,
        exact_rows=r.exact_rows,
        exact_eigenvalues=r.exact_eigenvalues,
        jacobian=J,
    )


def _sympy_face(pv: PayoffValues, shape, support, deadline: float, seed: int):
    """The face solved by sympy in its worker process; None when the budget ran out, False when sympy failed."""
    w = exact_faces.worker
    try:
        found, conts = w.call(exact_faces.solve_face, (pv.rational, shape, support, seed), deadline - time.monotonic())
    except exact_faces.BudgetSpent:
        return None
    except RuntimeError:
        return False
    points = []
    for state, numeric_rows in found:
        rows = [np.array(r, dtype=float) for r in numeric_rows]
        if not all(np.all(np.isfinite(r)) for r in rows):
            raise AnalysisError("a rest point found by sympy is not a finite number; try exact=False (--numeric)")
        eig = None
        rational = all(v.is_Rational for row in state for v in row)
        d = sum(n - 1 for n in shape)
        remaining = min(deadline - time.monotonic(), EIGEN_BUDGET)
        if not rational and d <= MAX_EXACT_EIGEN_UNKNOWNS and remaining > 0:
            try:
                eig, _ = w.call(exact_faces.eigenvalues, (pv.rational, state), remaining) or (None, None)
            except (exact_faces.BudgetSpent, RuntimeError, TypeError):
                eig = None
        exact_rows = [[_fraction(v) if v.is_Rational else v for v in row] for row in state]
        points.append(RawPoint(support, rows, exact_rows, eig))
    conts = [RawContinuum(support, syms, eqs, dim, example) for syms, eqs, dim, example in conts]
    return points, conts


def _fraction(v) -> Fraction:
    return Fraction(int(v.p), int(v.q))
