r"""Many orbits of the replicator dynamics at once; where each one goes.

**Coordinates.**  Orbits are integrated in log-shares ``v_p[i] = ln sigma_p[i]``
with ``sigma_p = softmax(v_p)``; the replicator equation becomes::

    dv_p[i]/dt = u_p(i) - ubar_p(sigma),

so an interior orbit stays interior exactly (a share near 1 - 1e-16 never
rounds onto the face and sticks).  A share that starts at exactly zero is
masked out and stays zero, as it does in the replicator dynamics.

**Integrator.**  Dormand-Prince 5(4) with a step-size controller per orbit
(error norm as in ``scipy.integrate.solve_ivp``, tolerances ``rtol``, ``atol``
on the log-shares, i.e. relative accuracy of every share).  Orbits are
independent, so results do not depend on how orbits are batched: a numba kernel
runs them in vectorised lanes on a thread pool, a numpy twin runs them in
vectorised lock-step where numba is absent.  The kernel's right-hand side is
compiled once per game *shape* for multilinear games (``game.multilinear``: the
payoffs are fixed tables, ``u_p(i)`` a contraction with the others' shares), and
once per *model* for every other game (payoffs that use shares, one-population
and group games: ``u_p(i)`` is whatever :func:`gamekit.dynamics.expected_payoffs`
says, written out as code with the parameters as inputs; ``_kernels.rhs_field``).
Parameters may change at the times of a schedule; after the last change the game
is played with the last phase's values.

**Outcomes.**  Over the observation window ``[tw, t_end]``, ``tw = t_end (1 -
window)``, split at ``tm = (tw + t_end) / 2`` into two halves, the kernel
records the range ``[lo_i, hi_i]`` of every share in each half (at the end of
every step, and by dense output at nine evenly spaced times, however long the
steps) and the turning points of the log-shares in the window and in its second
half.  What may attract depends on the class of the game:

* *multilinear games*: a pure profile is asymptotically stable iff it is a strict
  Nash equilibrium, and no mixed rest point is asymptotically stable (a
  population's payoffs do not depend on its own shares, so at a rest point the
  diagonal blocks of the tangent Jacobian vanish on the point's face: its
  eigenvalues there sum to zero, and at least one has a real part >= 0);
* *every other game*: interior and face points can be asymptotically stable
  (hawk-dove in one population attracts the interior to ``x = V / C``; a fine
  that grows with the violation share turns the inspection game's centre into a
  stable focus), and a pure profile is asymptotically stable when every switch
  gain ``u_p(j) - u_p(s_p)`` *at that profile* is negative and unstable when one
  is positive (near the vertex, in the coordinates ``sigma_p[j]``, ``j != s_p``,
  the linearisation is diagonal with these gains: ``d sigma_p[j]/dt = sigma_p[j]
  (u_p(j) - u_p(s_p)) + O(|sigma|^2)``).

An orbit has

* **converged** -- in a multilinear game, to a pure profile ``s``, when either

  - (window) ``s`` is a strict Nash equilibrium and every share stayed within
    ``converge_tol`` of ``s`` over the whole window; or
  - (certificate) its final state lies in a box around ``s`` that is proved to
    be forward invariant and to converge to ``s`` (below), whatever the window
    or the horizon;

  in any other game, to a rest point ``s*`` (pure or mixed), when every share
  stayed within ``converge_tol`` of ``s*`` over the whole window and ``s*`` is
  asymptotically stable.  ``s*`` is found from the orbit: its support is the set
  of alive strategies whose share reached ``converge_tol`` in the window (a
  rest point with a share below ``converge_tol`` is therefore not recognised:
  the orbit stays unresolved); on that face, with population ``p``'s last
  supported strategy ``l_p`` eliminated, Newton's method solves ``u_p(a) =
  u_p(l_p)`` for the supported ``a`` from the final state, using ``du_a / d
  sigma_b`` (at most ``NEWTON_STEPS`` steps, until every difference is below
  ``NEWTON_TOL`` times the field's scale, and the point must stay on the face).
  Orbits whose final states share a cell of width ``converge_tol`` (and their
  parameters) share one polished point; an orbit whose window is not within
  ``converge_tol`` of it is polished from its own final state.
  Then ``s*`` is asymptotically stable when every eigenvalue of the tangent
  Jacobian (:func:`gamekit.dynamics.jacobian_from`) has real part below ``-ZERO_TOL``
  times the larger of the field's scale (the largest ``|u_p(i) - u_p(j)|`` over
  fixed probe states, at the last phase's parameters of that orbit) and the
  largest eigenvalue's modulus.  A centre, a saddle, or a point that attracts
  only within a face the orbit is not on never counts; a spiral out towards the
  boundary (rock-paper-scissors with ``w < l``) or an interior limit cycle never
  stays within ``converge_tol`` of a stable rest point, so it is never converged;

  an orbit that starts on a face never leaves it, so stability is decided within
  that face (only switches to strategies alive in the orbit, and the Jacobian of
  the face's own coordinates);
* **cycling** -- when it has not converged and some share keeps oscillating
  with an amplitude that does not die out: two or more turning points in the
  window, a range above ``cycle_amplitude`` over the window, and not decaying.
  A share's oscillation is *decaying* when it still turned in the second half
  of the window (a turning point there) and its range in the second half is
  below ``CYCLE_PERSISTENCE`` (one half) times its range in the first: a spiral
  that winds in towards a rest point is not a cycle.  In a game that is not
  multilinear, neither is an oscillation around an asymptotically stable rest
  point (polished from the final state as below) that lies within the window's
  box widened by its range on every side: a slowly damped focus seen through a
  window shorter than its period looks the same as a cycle, so the orbit stays
  ``unresolved`` until it converges (a stable cycle around a stable focus, which
  needs an unstable cycle between them, is then ``unresolved`` too: honest, if
  less informative).  (In a multilinear game no
  mixed rest point is asymptotically stable, so such a spiral winds in along
  the stable manifold of a saddle-focus and must leave it later: ``unresolved``
  is the honest answer until then; in other games it may wind into a stable
  focus, and converges once it stays within ``converge_tol``.)  The label names
  the face the orbit lives on (populations whose other strategies died out);
* ``unresolved`` -- otherwise (a decaying spiral not yet converged, lingering
  near a saddle or a non-hyperbolic rest point, or still travelling):
  integrate longer to decide.

**Outcome labels.**  A pure profile is named by its strategies (``"regulate,
evade, accept"``, ``"hawk"``); a mixed rest point by its coordinates in the
game's layout (each population's first share when all have two strategies,
else every share), rounded to ``POINT_DIGITS`` decimals after polishing, so that
orbits to one point share one label: ``"(0.5, 0.5)"``, ``"(1, 0.6, 1)"``.
:meth:`Trajectory.rest_point` gives the state an outcome names.

**The convergence certificate (a trapping box).**  Let ``s`` be a pure profile
(in each population the strategy with the largest final share) and, for
population ``p`` and a strategy ``j != s_p`` alive in the orbit, ``r_pj =
sigma_p[j] / sigma_p[s_p]``.  Along the replicator dynamics::

    d/dt ln r_pj = u_p(j) - u_p(s_p) = sum_{j'} Delta_pj[j'] W_p[j'] =: D_pj(sigma_{-p}),
    Delta_pj[j'] = A_p[j, j'] - A_p[s_p, j'],       W_p[j'] = prod_{q != p} sigma_q[j'_q],

with ``j'`` over the other populations' pure profiles (those of strategies alive
in the orbit: ``W_p[j'] = 0`` for the others) and ``W_p`` a probability
distribution over them.  The weight of ``s_{-p}`` is ``prod_{q != p} (1 -
eps_q)`` with the deficits ``eps_q = 1 - sigma_q[s_q]``; so with the switch
gain ``g_pj = Delta_pj[s_{-p}]`` and ``M_pj = max_{j'} Delta_pj[j'] >= g_pj``::

    D_pj <= g_pj + (M_pj - g_pj) * c_p(eps),     c_p(eps) = 1 - prod_{q != p} (1 - eps_q).

On the box ``B(eps) = {sigma : sigma_q[s_q] >= 1 - eps_q for all q}`` the
right side is at most its value at ``eps`` (``c_p`` grows with every
``eps_q``).  If it is negative for every ``p`` and alive ``j != s_p`` (so in
particular every ``g_pj < 0``: ``s`` is a strict equilibrium within the orbit's
face), then on ``B(eps)`` every ratio ``r_pj`` decreases at an exponential rate
of at least ``|bound|``, hence every ``sigma_p[s_p] = 1 / (1 + sum_j r_pj)``
increases: the orbit never leaves ``B(eps)``, the bound holds for all later
times, and ``r_pj -> 0``, i.e. the orbit converges to ``s``.  This is checked
at the final state with the last phase's payoffs (one row per orbit when
parameters vary per orbit), the deficits enlarged by ``CERTIFICATE_SLACK`` for
the integration error, vectorised over orbits.  It is exact for fixed payoff
tables (multilinear games, the only ones it is used for) and independent of the
payoff scale.

**Other dynamics** (``dynamics="logit:ETA"``, ``"smith"``, ``"bnn"``,
``"replicator-mutator:MU"``; :mod:`gamekit.protocols` has the fields).  These
do not keep faces of the simplex invariant, so orbits are integrated in the
shares themselves (``_kernels.flow``: the same Dormand-Prince method, error
control and window statistics, on the compiled kernel with the game's compiled
payoffs; the shares are clipped at zero and rescaled after every step, so they
stay in the state space exactly).  No strategy is dead from the start: every
strategy counts as alive in every orbit.  An orbit has

* **converged** to a rest point ``x*`` of *that* dynamics when every share
  stayed within ``converge_tol`` of ``x*`` over the window and ``x*`` is known to
  be asymptotically stable:

  - *logit, replicator-mutator* (smooth fields): ``x*`` is polished by Newton's
    method on the field itself, ``F(x) = 0`` on the product of simplices (each
    population's last share carries one minus the others; at most
    ``NEWTON_STEPS`` steps, until ``max |F|`` is below ``NEWTON_TOL`` times the
    field's scale: 1 for logit, whose field is a difference of shares,
    ``(1 - MU)`` times the payoff scale plus ``MU`` for the mutator), and it is
    asymptotically stable when every eigenvalue of the field's tangent Jacobian
    (``J = D softmax(u/ETA) Du - I`` for logit, ``(1 - MU) J_replicator - MU I``
    for the mutator) has real part below ``-ZERO_TOL`` times the larger of that
    scale and the largest eigenvalue's modulus;
  - *Smith, BNN* (Lipschitz fields, not differentiable where payoffs tie, which
    they do at every Nash equilibrium that is not strict): the rest points are
    exactly the Nash equilibria, so ``x*`` is polished as an equilibrium (equal
    payoffs on the support the window shows, Newton as for the replicator) and
    must be one: no strategy earns more than the support by more than
    ``NASH_TOL`` times the payoff scale.  A *strict* pure equilibrium is
    asymptotically stable under both (Sandholm 2010; :mod:`gamekit.protocols`),
    so the window decides as for the replicator.  At any other equilibrium no
    linearisation exists, and the orbit converged only if, besides, the window
    shows it settling: its largest distance from ``x*`` over the second half of
    the window is at most ``NONSMOOTH_RATIO`` (0.9) times that over the first
    half, or below ``REST_FACTOR`` times ``rtol + atol`` (at rest to the
    integration's accuracy: near such a point the field is as small as the
    error the step control allows, and the numerical orbit jitters there).  (Not
    a halving: in a game that is stable but not strictly, like zero-sum
    rock-paper-scissors, orbits close in on the equilibrium only like ``1/t``.)  This is
    evidence, not a proof: an orbit that creeps along the stable set of an
    unstable equilibrium for a whole window would pass it (integrate longer, or
    from other starts, to see it leave).  In a multilinear game an orbit has
    also converged when its final state lies in a trapping box of a strict
    equilibrium ``s`` (the certificate below, its deficits enlarged by
    ``REST_FACTOR (rtol + atol)`` for the integration error): on the box every
    ``u_p(j) < u_p(s_p)``, so under Smith every ``dx_p[s_p]/dt = sum_j x_j
    (u_p(s_p) - u_p(j)) > 0`` -- the box is forward invariant and ``1 -
    x_p[s_p]`` decays exponentially; under BNN, whose orbits close in on a
    strict equilibrium only like ``1/t`` (the field's Jacobian vanishes there),
    the box must also keep every ``u_p(j)`` below the mean payoff ``ubar_p``,
    checked as ``bound_pj + eps_p max_j L_pj < 0`` with ``L_pj`` the box's upper
    bound of ``u_p(s_p) - u_p(j)`` (from the smallest ``Delta_pj``, as the largest
    gives ``bound_pj``), since ``u_p(j) - ubar_p = (u_p(j) - u_p(s_p)) + sum_{j' !=
    s_p} x_p[j'] (u_p(s_p) - u_p(j'))``; then every ``dx_p[j]/dt = -x_p[j] sum_i
    [u_p(i) - ubar_p]_+ <= 0`` and ``1 - x_p[s_p]`` decreases to zero;

* **cycling** as for the replicator: a share keeps oscillating with an amplitude
  that does not die out (its range in the second half of the window at least
  ``CYCLE_PERSISTENCE`` times the first half's).  An oscillation around an
  asymptotically stable rest point of a smooth dynamics (within the window's
  box widened by its range) is ``unresolved`` as for the replicator; around a
  Nash equilibrium under Smith or BNN it is ``unresolved`` unless its range in
  the second half is at least ``NONSMOOTH_RATIO`` times the first half's: a
  spiral that loses a tenth of its amplitude per half window is not called a
  cycle there, since no linearisation says whether that equilibrium attracts;
  under Smith and BNN that holds for every cycle, found equilibrium or not (an
  orbit of the trap closing in on a Nash equilibrium on a face spirals in with
  about 0.7 of its range per half window: unresolved, not a cycle).
  Under Smith and BNN a cycle must also survive a tighter integration: every
  orbit that looks like one is integrated again at ``RECHECK_FACTOR`` (1/100)
  times ``rtol`` and ``atol``, and if its range over the second half falls below
  ``RECHECK_RATIO`` (1/2) of what it was, the oscillation was the integrator's
  (at the kinks of the field, where payoffs tie, the local error is of low
  order and can keep an orbit of a stable game circling a Nash equilibrium:
  zero-sum rock-paper-scissors under BNN at ``rtol=1e-6`` stalls about 1e-3 from
  the centre, at 1e-8 it keeps closing in like 1/t); the tighter run is then
  reported, and never as a cycle.  A true limit cycle keeps its range (``w = 1,
  l = 2``: 0.17 under Smith at every ``rtol`` from 1e-4 to 1e-8); its check
  costs about twice the first integration (once, for the orbits that cycle);
* **unresolved** otherwise.

Rock-paper-scissors in one population shows the difference: with ``w = l``
orbits cycle under the replicator (closed orbits around the centre) but
converge to the centre under Smith and BNN (a zero-sum game is a stable game:
Hofbauer & Sandholm 2009); with ``w = 1``, ``l = 2`` Smith orbits approach a
limit cycle around the centre and are ``cycling``, never converged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import sympy

from . import _validate as check
from ._kernels import cache, dopri
from ._kernels.layout import tables
from ._kernels.rhs_field import Field
from ._kernels.settle import RESOLUTION
from .dynamics import compile_payoffs, expected_payoffs, jacobian_from
from .errors import AnalysisError, ArgumentError, GamekitError, ParameterError
from .game import Game
from .protocols import REPLICATOR, Dynamics, check_logit_scale, parse_dynamics, velocity, velocity_jacobian
from .schedule import Schedule
from .space import StateSpace
from .stability import ZERO_TOL, strict_profiles

if TYPE_CHECKING:  # (stochastic imports basins, which imports this module)
    from .stochastic import Noise, NoisyPaths

__all__ = ["simulate", "Trajectory"]

UNRESOLVED = "unresolved"
# An oscillation persists (a cycle) unless its range in the second half of the window is below this fraction of
# its range in the first half while it still turns there; then it decays (a spiral winding in).
CYCLE_PERSISTENCE = 0.5
# Added to every deficit eps_q before the certificate is checked: it covers the integration error in the final
# shares (relative accuracy rtol on log-shares), so a certified box holds the exact orbit's final state too.
CERTIFICATE_SLACK = 1e-9
# Payoffs larger than this in magnitude could overflow in the payoff sums of the kernel (sum of P products).
PAYOFF_LIMIT = 1e150
# Below about a hundred times the machine epsilon a relative tolerance cannot be met in double precision.
MIN_RTOL = 100 * np.finfo(float).eps
BACKENDS = ("auto", "numba", "numpy")
MAX_T_END = 1e9  # beyond, a cycling orbit cannot be integrated and a converging one is decided long before
MAX_STEPS = 2**40  # the kernel counts steps in 64-bit integers; far beyond any feasible run
# Games that are not multilinear: a rest point is polished by at most NEWTON_STEPS Newton steps on its face, until
# every payoff difference there is below NEWTON_TOL times the field's scale; its shares are rounded to POINT_DIGITS
# decimals in its outcome label (the polished point is accurate to about 1e-12, so orbits to one point share a label)
NEWTON_STEPS = 30
NEWTON_TOL = 1e-11
POINT_DIGITS = 6
# A polished rest point lies on its face: no share below -FACE_SLACK; shares within FACE_SLACK of zero are zero
FACE_SLACK = 1e-9
# The field's scale is the largest payoff difference within a population over the centre, the states with one
# population at a vertex and the others at the centre, and up to SCALE_PROFILES pure profiles
SCALE_PROFILES = 64
# Smith and BNN (module docstring): a point is a Nash equilibrium when no strategy earns more than its population's
# support by more than NASH_TOL times the payoff scale (and a strict one when every other strategy earns less by
# more than that).  At an equilibrium that is not strict an orbit settles when its distance from it over the
# window's second half is below NONSMOOTH_RATIO times that over the first half (or below REST_FACTOR times the
# integration's tolerance rtol + atol: the integrator resolves a non-smooth field no finer), and an
# oscillation around it is a cycle only if its range over the second half is at least NONSMOOTH_RATIO times that
# over the first.  (Not CYCLE_PERSISTENCE: near an equilibrium of a game that is stable but not strictly, such as
# zero-sum rock-paper-scissors, Smith and BNN orbits close in like 1/t, which loses a third per half window.)
NASH_TOL = 1e-9
NONSMOOTH_RATIO = 0.9
REST_FACTOR = 100.0
# Smith and BNN (module docstring): an orbit that cycles is integrated again at RECHECK_FACTOR times rtol and atol;
# if its range over the window's second half falls below RECHECK_RATIO times what it was, the oscillation was the
# integrator's (its error at the kinks of the field keeps it up) and the tighter run is reported, never as a cycle
RECHECK_FACTOR = 1e-2
RECHECK_RATIO = 0.5


@dataclass(frozen=True, eq=False)
class Trajectory:
    """The result of :func:`simulate`.

    Attributes
    ----------
    t
        Output times: ``t_eval`` if given, else ``[t_end]``.
    states
        Shares at ``t``, shape ``(N, len(t), d)`` -- orbit, time, coordinate --
        in the game's coordinates; ``None`` unless ``t_eval`` was given.
    final
        Shares at ``t_end``, shape ``(N, d)``.
    converged
        Per orbit, whether it converged to an asymptotically stable rest point.
    outcome
        Per orbit: the profile it converged to (``"regulate, evade, accept"``), in a game
        that is not multilinear the mixed rest point it converged to (``"(0.5, 0.5)"``,
        see :meth:`rest_point`), ``"cycling on workers=claim"`` (or ``"cycling (interior)"``),
        or ``"unresolved"``.
    steps
        Accepted and rejected steps per orbit.
    dynamics
        The dynamics integrated (``"replicator"``, ``"logit:0.5"``, ``"smith"``, ...).
    """

    game: Game = field(repr=False)
    t: np.ndarray = field(repr=False)
    states: np.ndarray | None = field(repr=False)
    final: np.ndarray = field(repr=False)
    converged: np.ndarray = field(repr=False)
    codes: np.ndarray = field(repr=False)
    labels: tuple[str, ...] = field(repr=False)
    steps: np.ndarray = field(repr=False)
    t_end: float = 0.0
    points: Mapping[str, np.ndarray] = field(default_factory=dict, repr=False)
    dynamics: str = "replicator"

    @property
    def outcome(self) -> np.ndarray:
        return np.asarray(self.labels, dtype=object)[self.codes]

    def rest_point(self, outcome: str) -> np.ndarray | None:
        """The full shares (every population's mixed strategy, concatenated) of the rest point an outcome
        names: a pure profile, or a mixed rest point of a game that is not multilinear; ``None`` for
        ``"cycling ..."`` and ``"unresolved"``."""
        if outcome in self.points:
            return np.array(self.points[outcome], dtype=float)
        shape = self.game.shape
        try:
            code = self.labels.index(outcome)
        except ValueError:
            return None
        if code >= int(np.prod(shape)):
            return None
        idx = np.unravel_index(code, shape)
        return np.concatenate([np.eye(n)[i] for n, i in zip(shape, idx)])

    @property
    def n(self) -> int:
        return len(self.codes)

    def shares(self) -> dict[str, float]:
        """Share of orbits per outcome, largest first."""
        counts = np.bincount(self.codes, minlength=len(self.labels))
        order = np.argsort(-counts, kind="stable")
        return {self.labels[i]: counts[i] / self.n for i in order if counts[i]}

    def summary(self):
        """A DataFrame: outcome, orbits, share, ci_low, ci_high (Wilson 95%); see :class:`gamekit.Basins`."""
        from .basins import Basins

        return Basins.of(self).to_frame()[["outcome", "orbits", "share", "ci_low", "ci_high"]]

    def __repr__(self) -> str:
        parts = ", ".join(f"{s:.1%} {check.printable(k)}" for k, s in self.shares().items())
        under = "" if self.dynamics == "replicator" else f" under {self.dynamics}"
        return f"Trajectory({self.n} orbits to t={self.t_end:g}{under}: {parts})"

    def _repr_html_(self) -> str:
        under = "" if self.dynamics == "replicator" else f" under {self.dynamics}"
        return f"<p>{self.n} orbits to t = {self.t_end:g}{under}</p>" + self.summary().to_html(index=False)


def _per_orbit(game: Game, parameters, n: int) -> dict[str, np.ndarray]:
    if parameters is None:
        return {}
    if not isinstance(parameters, Mapping):
        raise ParameterError("parameters must map parameter names to values or arrays of length N")
    out = {}
    for k, v in parameters.items():
        if k not in game.parameters:
            known = ", ".join(game.parameters)
            raise ParameterError(
                f"{check.printable(repr(k))} is not a parameter of this game (its parameters: {known})"
            )
        arr = check.floats(v, f"parameter {k!r}: expected numbers (one per orbit)", ParameterError)
        if arr.ndim == 0:
            arr = np.full(n, float(arr))
        if arr.shape != (n,):
            raise ParameterError(f"parameter {k!r}: expected {n} values (one per orbit), got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ParameterError(f"parameter {k!r} has a value that is not a finite number")
        out[k] = arr
    return out


def _segments(game: Game, t_end: float, schedule, parameters, n: int):
    """Segment start times and an (S, R, p) array of parameter rows (R = n or 1).

    Segment 0 is the game's own values from t = 0; each phase of the schedule then sets its values over the
    game's own values (:class:`~gamekit.schedule.Schedule`).
    """
    names = list(game.parameters)
    per_orbit = _per_orbit(game, parameters, n)
    phases: list[tuple[float, dict]] = [(0.0, {})]
    if schedule is not None:
        if isinstance(schedule, str):
            schedule = game.schedule(schedule)
        parsed = Schedule.parse(schedule, parameters=game.parameters, scenarios=game.scenarios)
        for start, values in parsed.as_pairs():
            if start >= t_end:
                raise ParameterError(f"schedule time {start:g} is not before t_end = {t_end:g}")
            if start <= 0.0:
                phases = []
            phases.append((start, dict(values)))
    missing = [k for k, v in game.parameters.items() if v is None and k not in per_orbit]
    missing = [k for k in missing if not all(k in vals for _, vals in phases)]
    if missing:
        raise ParameterError(f"parameter {missing[0]!r} has no value; give one with with_parameters({missing[0]}=...)")
    rows_per = n if per_orbit else 1
    values = np.empty((len(phases), rows_per, len(names)))
    for s, (_, overrides) in enumerate(phases):
        current = {**game.parameters, **overrides}
        for j, k in enumerate(names):
            if k in overrides or k not in per_orbit:
                values[s, :, j] = float(current[k])
            else:
                values[s, :, j] = per_orbit[k]
    bounds = np.array([t for t, _ in phases] + [t_end], dtype=float)
    return bounds, values


_PAYOFF_TABLES: dict[tuple, np.ndarray] = {}
_MAX_PAYOFF_TABLES = 64  # games (structure and parameter values) whose exact payoff tables are kept per process


def _payoff_rows(game: Game, values: np.ndarray) -> np.ndarray:
    """(S, R, k, P) payoffs for the (S, R, p) parameter rows; a clear error if one is not a usable number.  With
    one row per phase the tables are evaluated exactly (``Game.numeric_payoffs``, about 1.5 ms for the platform
    model), once per process for a game's structure (:func:`_structure`) and parameter values."""
    s_count, r_count, n_par = values.shape
    names = list(game.parameters)
    if r_count == 1:
        key = (_structure(game), values.dtype.str, values.shape, values.tobytes())
        if key in _PAYOFF_TABLES:
            return _PAYOFF_TABLES[key].copy()
    try:
        if r_count == 1:  # the same parameters for every orbit: substitute them (no code generation needed)
            tables_ = [game.with_parameters(dict(zip(names, row[0]))).numeric_payoffs() for row in values]
            pay = np.array([[[t.ravel() for t in phase]] for phase in tables_], dtype=float)
        else:
            compiled = compile_payoffs(game)
            pay = compiled(values.reshape(s_count * r_count, n_par)).reshape(s_count, r_count, len(game.shape), -1)
    except (OverflowError, ZeroDivisionError) as err:
        raise ParameterError(f"a payoff cannot be evaluated at these parameter values ({err})") from None
    if not np.all(np.isfinite(pay)):
        raise ParameterError("a payoff is not a finite number at these parameter values")
    big = float(np.max(np.abs(pay))) if pay.size else 0.0
    if big > PAYOFF_LIMIT:
        raise ParameterError(
            f"a payoff is {big:.3g} at these parameter values; payoffs beyond {PAYOFF_LIMIT:g} in magnitude "
            "would overflow in the integrator (rescale the payoffs: the dynamics only change their time scale)"
        )
    if r_count == 1:
        if len(_PAYOFF_TABLES) >= _MAX_PAYOFF_TABLES:
            _PAYOFF_TABLES.pop(next(iter(_PAYOFF_TABLES)))
        _PAYOFF_TABLES[key] = pay.copy()
    return pay


def _unique_rows(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first row of each distinct row of ``a`` (M, K) and each row's group: ``(first, inverse)`` with
    ``a[first[inverse]] == a``.  (A lexicographic sort: ``np.unique(axis=0)`` sorts rows as opaque bytes,
    which is several times slower.)"""
    if a.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if all(np.all(col == col[0]) for col in a.T):  # one row repeated (as the sort would find, without it)
        return np.zeros(1, dtype=np.int64), np.zeros(a.shape[0], dtype=np.int64)
    order = np.lexsort(a.T[::-1]) if a.shape[1] else np.arange(a.shape[0])
    new = np.zeros(a.shape[0], dtype=bool)
    new[0] = True
    for col in a.T:  # a column at a time: a row of a few entries per call of the comparison is slow
        srt = col.take(order)
        new[1:] |= srt[1:] != srt[:-1]
    group = np.cumsum(new) - 1
    inverse = np.empty(a.shape[0], dtype=np.int64)
    inverse[order] = group
    return order[new], inverse


def _all_columns(m: np.ndarray) -> np.ndarray:
    """``np.all(m, axis=1)`` for a boolean (N, D) array, a column at a time (``axis=1`` over a few columns
    costs a call per row)."""
    out = np.ones(m.shape[0], dtype=bool)
    for j in range(m.shape[1]):
        out &= m[:, j]
    return out


def _any_columns(m: np.ndarray) -> np.ndarray:
    """``np.any(m, axis=1)`` for a boolean (N, D) array, a column at a time."""
    out = np.zeros(m.shape[0], dtype=bool)
    for j in range(m.shape[1]):
        out |= m[:, j]
    return out


def _max_columns(m: np.ndarray) -> np.ndarray:
    """``np.max(m, axis=1)`` for an (N, K) array, K >= 1, a column at a time; NaN propagates alike.  (Of equal
    values it may return 0.0 where ``np.max`` returns -0.0: for comparisons, where these are the same.)"""
    out = m[:, 0].copy()
    for j in range(1, m.shape[1]):
        np.maximum(out, m[:, j], out=out)
    return out


def _min_columns(m: np.ndarray) -> np.ndarray:
    """``np.min(m, axis=1)``, as :func:`_max_columns`."""
    out = m[:, 0].copy()
    for j in range(1, m.shape[1]):
        np.minimum(out, m[:, j], out=out)
    return out


def _population_sums(x: np.ndarray, a: int, b: int) -> np.ndarray:
    """``x[:, a:b].sum(axis=1, keepdims=True)`` for a population's columns; two columns added column-wise (numpy
    would run its loop once per row).  The sum of two numbers is the same either way, but for the sign of a zero
    sum of two negative zeros, which divides a zero to the same NaN and is not ``> 0`` either."""
    if b - a == 2:
        return (x[:, a] + x[:, a + 1])[:, None]
    return x[:, a:b].sum(axis=1, keepdims=True)


PACKED_PATTERN_BITS = 62  # (alive, support) patterns of up to this many strategies grouped by one int64 key


def _support_groups(alive: np.ndarray, hi: np.ndarray, rows: np.ndarray, tol: float):
    """``rows`` grouped by their pattern (the alive strategies, then those alive whose share exceeded ``tol``):
    ``(first, inverse, pattern)`` as :func:`_unique_rows` of the patterns, ``pattern(i)`` the pattern of
    ``rows[i]``.  (Up to ``PACKED_PATTERN_BITS`` entries a pattern is one integer, its first entry the most
    significant bit: the same order as the rows' lexicographic one, computed on whole columns.)"""

    def pattern(i):
        r = rows[i]
        return np.concatenate([alive[r], (hi[r] > tol) & alive[r]])

    d = alive.shape[1]
    if 2 * d > PACKED_PATTERN_BITS:
        support = (hi[rows] > tol) & alive[rows]
        first, inverse = _unique_rows(np.concatenate([alive[rows], support], axis=1))
        return first, inverse, pattern
    few = rows.size < alive.shape[0] // 4  # few rows: copy them out; many: whole columns, then pick
    a, h, pick = (alive[rows], hi[rows], slice(None)) if few else (alive, hi, rows)
    # (a column at a time: no (N, D) temporaries; up to 16 bits a key numpy sorts by radix)
    key = np.zeros(a.shape[0], dtype=np.uint8 if 2 * d <= 8 else np.uint16 if 2 * d <= 16 else np.int64)
    for j in range(d):
        key <<= 1
        key |= a[:, j]
    for j in range(d):
        key <<= 1
        key |= (h[:, j] > tol) & a[:, j]
    key = key[pick]
    # (np.unique sorts stably with return_index: each group's first row, as _unique_rows)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return first, np.ravel(inverse), pattern


def _near(lo: np.ndarray, hi: np.ndarray, rows: np.ndarray, point: np.ndarray, tol: float) -> np.ndarray:
    """Per row ``r`` of ``rows`` (sorted, distinct), whether ``max(|lo[r] - p|, |hi[r] - p|) <= tol`` in every
    column, ``p`` its row of ``point`` (one per row of ``rows``, or one for all); a column at a time (no N x D
    temporaries: fresh ones cost page faults, more than the arithmetic)."""
    out = np.ones(len(rows), dtype=bool)
    every = len(rows) == lo.shape[0]  # (then rows is every row, in order)
    for j in range(lo.shape[1]):
        p = point[:, j] if point.shape[0] > 1 else point[0, j]
        a = np.subtract(lo[:, j] if every else lo[rows, j], p)
        np.abs(a, out=a)
        b = np.subtract(hi[:, j] if every else hi[rows, j], p)
        np.abs(b, out=b)
        np.maximum(a, b, out=a)
        out &= a <= tol
    return out


def _block_argmax(x: np.ndarray, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the first index of the largest of the columns ``a..b-1`` (relative to ``a``) and that value.

    (``np.argmax(x[:, a:b], axis=1)`` costs a call per row; a population has few strategies, so a pass per
    strategy, vectorised over rows, is much faster.)
    """
    best = x[:, a].copy()
    index = np.zeros(x.shape[0], dtype=np.int64)
    for i in range(a + 1, b):
        better = x[:, i] > best
        best = np.where(better, x[:, i], best)
        index[better] = i - a
    return index, best


def certify(
    final: np.ndarray,
    pay: np.ndarray,
    shape: tuple[int, ...],
    alive: np.ndarray,
    excess: bool = False,
    slack: float = CERTIFICATE_SLACK,
):
    """The convergence certificate of the module docstring, for every orbit.

    ``final`` (N, D) final shares, ``pay`` (R, k, P) payoffs after the last schedule change (R = N or 1),
    ``alive`` (N, D) strategies alive in each orbit.  Returns ``(certified, profile)``: whether the final state
    lies in a trapping box of the pure profile ``profile`` (flat index, C order), and that profile.  The same box
    traps Smith orbits; with ``excess`` the stronger condition for BNN orbits (module docstring) is checked.
    ``slack`` is added to every deficit (the integration error of the final shares).
    """
    n = final.shape[0]
    k = len(shape)
    off, _, others, flat, nq = tables(shape)
    rows = np.arange(n)
    strides = [int(np.prod(shape[q + 1 :])) for q in range(k)]
    masked = np.where(alive, final, -1.0)
    s = [_block_argmax(masked, off[p], off[p + 1])[0] for p in range(k)]  # (N,) local index per population
    eps = [np.clip(1.0 - final[rows, off[p] + s[p]] + slack, 0.0, 1.0) for p in range(k)]
    profile = sum(strides[p] * s[p] for p in range(k))
    ok = np.ones(n, dtype=bool)
    per_orbit = pay.shape[0] != 1
    if not excess and not per_orbit and alive.all() and _switch_table_size(shape) <= MAX_SWITCH_TABLE:
        # one payoff table, every strategy alive: gains and worst cases per pure profile, looked up per orbit
        # (the same numbers, by the same operations, as the general loop below)
        gain_t, worst_t = _switch_table(pay[0], shape)
        for p in range(k):
            opp = [q for q in range(k) if q != p]
            c = 1.0 - np.prod([1.0 - eps[q] for q in opp], axis=0) if opp else np.zeros(n)
            for j in range(shape[p]):
                gain = gain_t[profile, off[p] + j]
                bound = gain + (worst_t[profile, off[p] + j] - gain) * c
                ok &= (s[p] == j) | (bound < 0.0)
        return ok, profile
    for p in range(k):
        opp = [q for q in range(k) if q != p]
        q_count = int(nq[p])
        c = 1.0 - np.prod([1.0 - eps[q] for q in opp], axis=0) if opp else np.zeros(n)
        # the opponents' profile s_{-p}: its index among the opponents' profiles (first opponent most significant)
        star = np.zeros(n, dtype=np.int64)
        for q in opp:
            star = star * shape[q] + s[q]
        # opponents' profiles with every strategy alive in the orbit (the others have weight zero)
        live = np.ones((n, q_count), dtype=bool)
        for col in range(len(opp)):
            live &= alive[:, others[p, :q_count, col]]
        pay_p = pay[:, p, :]
        best_flat = flat[off[p] + s[p], :q_count]  # (N, Q): profile index of (s_p, j')
        base = np.take_along_axis(pay_p, best_flat, axis=1) if per_orbit else pay_p[0][best_flat]
        bounds, lead = [], np.zeros(n)  # (BNN: the largest bound of u_p(s_p) - u_p(j) over the box)
        for j in range(shape[p]):
            considered = (s[p] != j) & alive[:, off[p] + j]
            if not considered.any():
                continue
            alt = flat[off[p] + j, :q_count]
            delta = (pay_p[:, alt] if per_orbit else pay_p[0][alt][None, :]) - base
            gain = delta[rows, star]
            worst = np.max(np.where(live, delta, -np.inf), axis=1)
            bound = gain + (worst - gain) * c
            ok &= ~considered | (bound < 0.0)
            if excess:
                least = np.min(np.where(live, delta, np.inf), axis=1)
                lead = np.maximum(lead, np.where(considered, -(gain + (least - gain) * c), 0.0))
                bounds.append((considered, bound))
        for considered, bound in bounds:  # u_p(j) - ubar_p <= bound + eps_p * lead on the box
            ok &= ~considered | (bound + eps[p] * lead < 0.0)
    return ok, profile


MAX_SWITCH_TABLE = 4_000_000  # entries (profiles x strategies x opponents' profiles) of the certificate's table


def _switch_table_size(shape: tuple[int, ...]) -> int:
    n_prof = int(np.prod(shape))
    return n_prof * sum(shape) * (n_prof // min(shape))


def _switch_table(pay: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """For every pure profile ``s`` (flat index) and strategy ``j`` of population ``p`` (global index): the switch
    gain ``g_pj = Delta_pj[s_{-p}]`` and ``M_pj = max_{j'} Delta_pj[j']`` of the certificate (module docstring),
    from one payoff table ``pay`` (k, P); entries of ``j = s_p`` are not used."""
    k = len(shape)
    off, _, others, flat, nq = tables(shape)
    profiles = np.array(list(np.ndindex(*shape)), dtype=np.int64).reshape(-1, k)  # (P, k), C order
    n_prof = profiles.shape[0]
    gain = np.zeros((n_prof, int(off[-1])))
    worst = np.zeros((n_prof, int(off[-1])))
    for p in range(k):
        opp = [q for q in range(k) if q != p]
        q_count = int(nq[p])
        star = np.zeros(n_prof, dtype=np.int64)
        for q in opp:
            star = star * shape[q] + profiles[:, q]
        base = pay[p][flat[off[p] + profiles[:, p], :q_count]]  # (P, Q)
        for j in range(shape[p]):
            delta = pay[p][flat[off[p] + j, :q_count]][None, :] - base
            gain[:, off[p] + j] = delta[np.arange(n_prof), star]
            worst[:, off[p] + j] = np.max(delta, axis=1)
    return gain, worst


class _Classifier:
    """Turns window statistics into outcome codes; the label table grows as faces and rest points are met.

    ``points[label]`` is the full state of each rest point met that is not a pure profile (pure profiles
    are codes ``0 .. P-1``, in C order of the shape).
    """

    def __init__(self, game: Game, space: StateSpace, converge_tol, amplitude, face_tol, dyn: Dynamics = REPLICATOR):
        self.game, self.space, self.dyn = game, space, dyn
        self.rest_floor = 0.0  # Smith, BNN: a distance from an equilibrium that counts as at rest (_settling)
        self.converge_tol, self.amplitude, self.face_tol = converge_tol, amplitude, face_tol
        self.labels = [", ".join(game.profile_names(idx)) for idx in np.ndindex(*game.shape)]
        self.labels.append(UNRESOLVED)
        self.index = {lab: i for i, lab in enumerate(self.labels)}
        self.strides = [int(np.prod(game.shape[p + 1 :])) for p in range(len(game.shape))]  # profile index
        self.points: dict[str, np.ndarray] = {}

    def label_face(self, extinct_row: np.ndarray) -> str:
        fixed, partial = [], []
        for p, pop in enumerate(self.game.populations):
            a, b = self.space.offsets[p], self.space.offsets[p + 1]
            dead = extinct_row[a:b]
            alive = [s for s, d in zip(pop.strategies, dead) if not d]
            if len(alive) == 1:
                fixed.append(f"{pop.name}={alive[0]}")
            elif dead.any():
                partial.append(f"{pop.name} without {', '.join(s for s, d in zip(pop.strategies, dead) if d)}")
        where = "; ".join(fixed + partial)
        return f"cycling on {where}" if where else "cycling (interior)"

    def _code(self, label: str) -> int:
        if label not in self.index:
            self.index[label] = len(self.labels)
            self.labels.append(label)
        return self.index[label]

    @staticmethod
    def _window(box):
        """The window's lowest and highest share (N, D): views of the boxes (N, 6, D), where the kernels write
        them (``_kernels.dopri``)."""
        return box[:, 4], box[:, 5]

    def __call__(self, box, turns, strict, final, pay_last, alive):
        """Codes and convergence from the window boxes ``box`` (N, 6, D), turning points ``turns`` (N, 2, D),
        the strict profiles ``strict`` (R, P), and the certificate at the final shares ``final`` (N, D) under
        the last phase's payoffs ``pay_last`` (R, k, P) within the faces ``alive`` (N, D)."""
        n = box.shape[0]
        lo = box[:, 4]
        codes = np.full(n, self.index[UNRESOLVED], dtype=np.int32)
        # near a pure profile over the whole window: in every population one strategy kept a share of at
        # least 1 - converge_tol (at most one can, as converge_tol < 1/2); converged if that profile is strict
        held = np.ones(n, dtype=bool)
        profile = np.zeros(n, dtype=np.int64)
        for a, b, stride in zip(self.space.offsets[:-1], self.space.offsets[1:], self.strides):
            j, top = _block_argmax(lo, a, b)
            held &= top >= 1.0 - self.converge_tol
            profile += stride * j
        by_window = held & strict[np.arange(n) if strict.shape[0] > 1 else 0, profile]
        converged = by_window.copy()
        rest = np.flatnonzero(~by_window)  # the certificate decides the others
        if rest.size:
            rows = pay_last[rest] if pay_last.shape[0] > 1 else pay_last
            certified, cert_profile = certify(final[rest], rows, self.game.shape, alive[rest])
            converged[rest] = certified
            profile[rest] = cert_profile
        codes[converged] = profile[converged]
        self._cycling(box, turns, lo, None, converged, codes)
        return codes, converged

    def general(self, box, turns, final, theta, alive, fld: Field, scale):
        """Codes and convergence for a game that is not multilinear (module docstring): ``theta`` (R, J) the
        last phase's parameter rows (R = N or 1), ``scale`` (R,) the field's scale at each row."""
        n, d = final.shape
        lo, hi = self._window(box)
        codes = np.full(n, self.index[UNRESOLVED], dtype=np.int32)
        converged = np.zeros(n, dtype=bool)
        tol = self.converge_tol
        width = hi - lo
        # candidates: every share kept within a band of width 2 converge_tol over the window
        cand = np.flatnonzero(_all_columns(width <= 2.0 * tol))
        if cand.size:
            # the rest point's support: the alive strategies whose share reached converge_tol in the window
            first, inverse, pattern = _support_groups(alive, hi, cand, tol)
            for g, i in enumerate(first):
                key = pattern(i)
                rows = cand[inverse == g]
                # one Newton polish per cell of width converge_tol (and parameter row) of the final states; an
                # orbit whose window is not within converge_tol of its cell's point is polished on its own
                cells = final.copy() if rows.size == n else final[rows]  # floor(final / tol), in place (a copy)
                np.floor(np.divide(cells, tol, out=cells), out=cells)
                if theta.shape[0] > 1:
                    cells = np.concatenate([cells, theta[rows]], axis=1)
                reps, cell_of = _unique_rows(cells)
                point, ok = self._rest_points(fld, rows[reps], final, theta, scale, key)
                near = _near(lo, hi, rows, point if reps.size == 1 else point[cell_of], tol)
                ok = ok[cell_of]
                retry = np.flatnonzero(~(near & (ok >= 0)))
                # each row's point (one cell, nothing to retry: that point for every row, not copied)
                point = point[cell_of] if reps.size > 1 or retry.size else np.broadcast_to(point, (rows.size, d))
                if retry.size:
                    own, own_ok = self._rest_points(fld, rows[retry], final, theta, scale, key)
                    point[retry], ok[retry] = own, own_ok
                    near[retry] = _near(lo, hi, rows[retry], own, tol)
                # 1: asymptotically stable; 2 (Smith, BNN): an equilibrium that is not strict, if the orbit settles
                done = near & (ok == 1)
                other = np.flatnonzero(near & (ok == 2))  # (Smith, BNN only: the replicator never gives 2)
                if other.size:
                    done[other] = _settling(box[rows[other]], point[other], self.rest_floor)
                # (the rows of a cell share its point: each distinct point once, in the order first met)
                source = cell_of.copy()
                source[retry] = reps.size + np.arange(retry.size)
                codes[rows[done]] = self._rest_codes_once(point, np.flatnonzero(done), source)
                converged[rows[done]] = True
        oscillating = (turns[:, 0] >= 2) & (width > self.amplitude)  # (_oscillating, shared by the next two)
        spiral = self._into_stable_focus(box, turns, lo, hi, converged, final, theta, alive, fld, scale, oscillating)
        self._cycling(box, turns, lo, hi, converged | spiral, codes, oscillating)
        return codes, converged

    def _into_stable_focus(
        self, box, turns, lo, hi, converged, final, theta, alive, fld, scale, oscillating=None
    ) -> np.ndarray:
        """Orbits that oscillate around an asymptotically stable rest point, polished from their final state
        within the window's box widened by its range: possibly still winding in (a slowly damped focus seen
        through a window shorter than its period), so not called cycling (module docstring)."""
        if oscillating is None:
            oscillating = self._oscillating(turns, lo, hi)
        rows = np.flatnonzero(_any_columns(oscillating) & ~converged)
        out = np.zeros(len(converged), dtype=bool)
        if rows.size == 0:
            return out
        first, inverse, pattern = _support_groups(alive, hi, rows, self.converge_tol)
        for g, i in enumerate(first):
            group = rows[inverse == g]
            point, ok = self._rest_points(fld, group, final, theta, scale, pattern(i))
            # near: within the window's box widened by its own range on every side (a short window sees an arc)
            width = hi[group] - lo[group] + self.converge_tol
            inside = _all_columns((point >= lo[group] - width) & (point <= hi[group] + width))
            out[group] = (ok > 0) & inside
            if not self.dyn.smooth:  # Smith, BNN: a persisting oscillation around an equilibrium is a cycle
                keeps = (box[group, 3] - box[group, 2]) >= NONSMOOTH_RATIO * (box[group, 1] - box[group, 0])
                out[group] &= ~_any_columns(oscillating[group] & keeps)
        return out

    def _rest_points(self, fld, rows, final, theta, scale, key):
        """Rest points polished from the final states of ``rows`` on the face ``key[d:]`` and their status:
        1 asymptotically stable within the orbits' face ``key[:d]``, 0 a rest point that is not, -1 no rest
        point found (Newton failed or left the face); under Smith and BNN (module docstring) 1 for a strict
        equilibrium, 2 for another equilibrium, -1 for a point that is not an equilibrium."""
        d = final.shape[1]
        th = theta[rows] if theta.shape[0] > 1 else theta
        sc = scale[rows] if scale.shape[0] > 1 else np.broadcast_to(scale, rows.shape)
        if self.dyn.kind != "replicator":
            if self.dyn.smooth:
                point, found = _polish_field(self.dyn, fld, self.space, final[rows], th, sc)
                stable = _stable_under(self.dyn, fld, self.space, point, th, sc)
                return point, np.where(found, stable.astype(np.int64), -1)
            point, found = _polish(fld, self.space, final[rows], th, key[d:], sc)
            nash, strict = _nash(fld, self.space, point, th, sc)
            return point, np.where(found & nash, np.where(strict, 1, 2), -1)
        point, found = _polish(fld, self.space, final[rows], th, key[d:], sc)
        stable = _asymptotically_stable(fld, self.space, point, th, key[:d], sc)
        return point, np.where(found, stable.astype(np.int64), -1)

    def _rest_codes_once(self, point: np.ndarray, which: np.ndarray, source: np.ndarray) -> np.ndarray:
        """``_rest_codes(point[which])``, where rows of ``point`` with the same ``source`` are the same point:
        the codes of each distinct point once, taken in the order of the rows (the same labels, codes and
        ``points`` as the row-by-row call: its first row of each label is the first of its source)."""
        if which.size == 0:
            return self._rest_codes(point[which])
        if np.all(source[which] == source[which[0]]):  # one point (as np.unique would find)
            return np.repeat(self._rest_codes(point[which[:1]]), which.size)
        _, first, inverse = np.unique(source[which], return_index=True, return_inverse=True)
        order = np.argsort(first)
        rank = np.empty(order.size, dtype=np.int64)
        rank[order] = np.arange(order.size)
        return self._rest_codes(point[which[first[order]]])[rank[np.ravel(inverse)]]

    def _rest_codes(self, x: np.ndarray) -> np.ndarray:
        """Codes of the rest points ``x`` (M, D): a pure profile's, or a label per distinct rounded mixed point
        (``point_label``; the first point met of each label is kept in ``points``).  Under a dynamics whose rest
        points are all interior (``Dynamics.interior``) none is a pure profile, even where its other shares round
        to zero and its top share to exactly 1.0 (a logit QRE at small ETA): the label would otherwise depend on
        that rounding."""
        m = x.shape[0]
        pure = np.full(m, not self.dyn.interior)
        profile = np.zeros(m, dtype=np.int64)
        for a, b, stride in zip(self.space.offsets[:-1], self.space.offsets[1:], self.strides):
            j, top = _block_argmax(x, a, b)
            pure &= top == 1.0
            profile += stride * j
        codes = profile.astype(np.int32)
        mixed = np.flatnonzero(~pure)
        if mixed.size:
            rounded = np.round(x[mixed], POINT_DIGITS)
            first, inverse = _unique_rows(rounded)
            found = []
            for i in first:
                label = point_label(self.space, x[mixed[i]])
                self.points.setdefault(label, x[mixed[i]].copy())
                found.append(self._code(label))
            codes[mixed] = np.asarray(found, dtype=np.int32)[np.ravel(inverse)]
        return codes

    def _oscillating(self, turns, lo, hi) -> np.ndarray:
        """(N, D): shares that turned twice or more in the window with a range above ``cycle_amplitude``."""
        return (turns[:, 0] >= 2) & ((hi - lo) > self.amplitude)

    def _cycling(self, box, turns, lo, hi, converged, codes, oscillating=None):
        """Label the orbits that did not converge and keep oscillating (module docstring) as cycling."""
        if converged.all():
            return
        if hi is None:
            hi = box[:, 5]
        # on every row (cheaper than copying out the rows that did not converge), then masked
        if oscillating is None:
            oscillating = self._oscillating(turns, lo, hi)
        decaying = (turns[:, 1] >= 1) & ((box[:, 3] - box[:, 2]) < CYCLE_PERSISTENCE * (box[:, 1] - box[:, 0]))
        cycling = _any_columns(oscillating & ~decaying) & ~converged
        if cycling.any():
            extinct = hi[cycling] < self.face_tol
            first, inverse = _unique_rows(extinct)
            face_codes = [self._code(self.label_face(extinct[i])) for i in first]
            codes[cycling] = np.asarray(face_codes)[inverse]


def point_label(space: StateSpace, x: np.ndarray) -> str:
    """A mixed rest point's outcome label: its coordinates in the game's layout, rounded to ``POINT_DIGITS``
    decimals (``"(0.5, 0.5)"``); ``x`` is the full state."""
    coords = np.round(space.coordinates(np.asarray(x, dtype=float)[None, :])[0], POINT_DIGITS) + 0.0  # no "-0"
    return "(" + ", ".join(f"{c:.{POINT_DIGITS}g}" for c in coords) + ")"


# ----------------------------------------------------------------------------- games that are not multilinear

_FIELDS: dict[tuple, Field] = {}
_MAX_FIELDS = 32  # fields kept per process (each holds its expressions and compiled functions)


def _structure(game: Game) -> tuple:
    """What a game's payoffs are made of, without the parameter values: its kind, shape, payoff expressions,
    parameter names, shares and group."""
    return (
        game.kind,
        game.shape,
        tuple(e for t in game.payoff_tensors for e in np.ravel(t)),  # (not str: 199**10000 has no decimal string)
        tuple(game.parameters),
        tuple(sorted(game.shares.items())),
        game.group,
    )


def field_of(game: Game) -> Field:
    """The expected payoffs of ``game`` as a :class:`~gamekit._kernels.rhs_field.Field` in the full shares and
    the parameter symbols (in ``game.parameters`` order); one per structure (the parameter values do not enter)."""
    key = _structure(game)
    if key in _FIELDS:
        return _FIELDS[key]
    sigma = [[sympy.Dummy(f"sigma{p}_{i}", real=True) for i in range(n)] for p, n in enumerate(game.shape)]
    payoffs = expected_payoffs(game, sigma)
    symbols = game.symbols
    fld = Field(payoffs, [s for row in sigma for s in row], [symbols[k] for k in game.parameters], game.shape)
    if len(_FIELDS) >= _MAX_FIELDS:
        _FIELDS.pop(next(iter(_FIELDS)))
    _FIELDS[key] = fld
    return fld


def _share_steps(game: Game) -> str:
    """The ``step(...)`` terms of the shares in ``game``'s expected payoffs, in its names (for messages); "" if none."""
    if game.multilinear:
        return ""
    from .dynamics import general_field

    try:
        fld = general_field(game)
    except Exception:  # noqa: BLE001 - only for a message
        return ""
    state = set(fld.flat_sigma)
    steps = {a for e in fld.flat_u for a in e.atoms(sympy.Heaviside) if a.free_symbols & state}
    return ", ".join(fld.display(a) for a in sorted(steps, key=sympy.default_sort_key)[:3])


def _probe_states(shape: tuple[int, ...]) -> np.ndarray:
    """The states over which the field's scale is taken (see ``SCALE_PROFILES``), full layout."""
    centre = [np.full(n, 1.0 / n) for n in shape]
    states = [np.concatenate(centre)]
    for p, n in enumerate(shape):
        for i in range(n):
            states.append(np.concatenate([np.eye(n)[i] if q == p else centre[q] for q in range(len(shape))]))
    for count, idx in enumerate(np.ndindex(*shape)):
        if count >= SCALE_PROFILES:
            break
        states.append(np.concatenate([np.eye(n)[i] for n, i in zip(shape, idx)]))
    return np.array(states)


_SCALES: dict[tuple, tuple[Field, np.ndarray]] = {}
_MAX_SCALES = 64  # (field, parameter rows) whose scales are kept per process


def field_scale(fld: Field, shape: tuple[int, ...], theta: np.ndarray) -> np.ndarray:
    """The field's scale at each parameter row of ``theta`` (R, J): the largest ``|u_p(i) - u_p(j)|`` over the
    probe states (1 where every difference is zero); a clear error where a payoff is not a usable number.  Kept
    per process for a field and its rows (about 0.6 ms for the platform model: repeated calls only)."""
    theta = np.asarray(theta, dtype=float)
    key = (id(fld), tuple(shape), theta.shape, theta.tobytes())
    if key in _SCALES and _SCALES[key][0] is fld:  # (the field is kept with its entry: its id is not reused)
        return _SCALES[key][1].copy()
    scale = _field_scale(fld, shape, theta)
    if len(_SCALES) >= _MAX_SCALES:
        _SCALES.pop(next(iter(_SCALES)))
    _SCALES[key] = (fld, scale.copy())
    return scale


def _field_scale(fld: Field, shape: tuple[int, ...], theta: np.ndarray) -> np.ndarray:
    """:func:`field_scale`, computed."""
    states = _probe_states(shape)
    m, r = len(states), theta.shape[0]
    # (from the derivatives' function, which classification needs anyway: one lambdify fewer per process)
    u = fld.derivatives(np.tile(states, (r, 1)), np.repeat(theta, m, axis=0))[0].reshape(r, m, -1)
    off = np.concatenate([[0], np.cumsum(shape)]).astype(int)
    if not np.all(np.isfinite(u[:, 0])):  # the centre: every payoff must be defined there
        raise ParameterError("a payoff is not a finite number at these parameter values")
    big = float(np.nanmax(np.where(np.isfinite(u), np.abs(u), 0.0))) if u.size else 0.0
    if big > PAYOFF_LIMIT:
        raise ParameterError(
            f"a payoff is {big:.3g} at these parameter values; payoffs beyond {PAYOFF_LIMIT:g} in magnitude "
            "would overflow in the integrator (rescale the payoffs: the dynamics only change their time scale)"
        )
    with np.errstate(invalid="ignore"):
        spread = np.zeros(r)
        for a, b in zip(off[:-1], off[1:]):
            block = np.where(np.isfinite(u[:, :, a:b]), u[:, :, a:b], np.nan)
            gap = np.nanmax(block, axis=2) - np.nanmin(block, axis=2)
            spread = np.maximum(spread, np.nan_to_num(np.nanmax(gap, axis=1), nan=0.0))
    return np.where(spread > 0, spread, 1.0)


def _field_rows(game: Game, fld: Field, values: np.ndarray) -> np.ndarray:
    """The kernel's (S, R, k, max(J, 1)) array for a field: parameter values in population 0's slot; checked."""
    s_count, r_count, n_par = values.shape
    pay = np.zeros((s_count, r_count, len(game.shape), max(n_par, 1)))
    pay[:, :, 0, :n_par] = values
    distinct = np.unique(values.reshape(-1, n_par), axis=0) if n_par else np.zeros((1, 0))
    if game.kind == "group":
        _check_group_rows(game, distinct)
    field_scale(fld, game.shape, distinct)
    return pay


def _check_integration(game: Game, sig: np.ndarray, status: np.ndarray, max_steps: int, t_end: float) -> None:
    """An AnalysisError if some orbit reached the step limit (``status``) or a final state ``sig`` is not finite."""
    if np.any(status):
        jumps = _share_steps(game)
        cause = (
            f"the payoffs jump where {jumps} switches: an orbit that reaches a jump the field points into from "
            "both sides slides along it, and no step size is small enough"
            if jumps
            else "an orbit that cycles takes steps in proportion to t_end times the payoff scale"
        )
        raise AnalysisError(
            f"{int(np.sum(status != 0))} orbits needed more than max_steps={max_steps} steps to reach "
            f"t_end={t_end:g} ({cause}); shorten t_end, loosen rtol or raise max_steps"
        )
    if not np.all(np.isfinite(sig)):
        raise AnalysisError(
            "the integration produced a value that is not a finite number (payoffs too large for double "
            "precision?); rescale the payoffs or loosen rtol"
        )


def _check_group_rows(game: Game, rows: np.ndarray) -> None:
    """Every ``pi_i(k)``, ``k = 0 .. size - 1``, is a finite real number at every parameter row ``rows`` (M, J)
    (``1/(k - M)`` at ``M = 3``, ``step(sqrt(k - M))`` at ``M = 20``), else a ParameterError naming it."""
    import sympy

    names = list(game.parameters)
    count = game.count_symbol
    symbols = [count] + [game.symbols[n] for n in names]
    ks = np.arange(game.group.size, dtype=float)
    for i, pi in enumerate(game.payoff_tensors[0]):
        # step(u) as a select; a non-real argument (sqrt of a negative number) is NaN, never a silent 0 or 1
        expr = pi.replace(lambda e: isinstance(e, sympy.Heaviside), lambda e: sympy.Piecewise(
            (sympy.nan, sympy.Ne(sympy.im(e.args[0]), 0)), (1, e.args[0] >= 0), (0, True)))  # fmt: skip
        f = sympy.lambdify(symbols, expr, modules=[{"sqrt": lambda x: np.sqrt(x + 0j)}, "numpy"])
        with np.errstate(all="ignore"):
            cols = [rows[:, j][:, None] for j in range(len(names))]
            value = np.broadcast_to(np.asarray(f(ks[None, :], *cols), dtype=complex), (rows.shape[0], ks.size))
        bad = ~np.isfinite(value) | (np.abs(value.imag) > 0)
        if bad.any():
            r, k = np.argwhere(bad)[0]
            where = ", ".join(f"{n}={rows[r, j]:g}" for j, n in enumerate(names))
            strategy = game.populations[0].strategies[i]
            raise ParameterError(
                f"the payoff of {strategy} at {count} = {k}, {check.printable(str(pi), 80)}, is not a finite real "
                f"number at {where}"
            )


def _columns_first(a):
    """``a`` (M, K) with each column contiguous in memory (a column-major copy; a broadcast or one-row ``a`` as is):
    the field's generated code reads the shares and parameters a column at a time, and on the columns of a
    row-major array (strided) it costs about half as much again.  The values are the same, element by element."""
    if a.ndim != 2 or a.shape[0] <= 1 or a.strides[0] == 0:
        return a
    return np.asfortranarray(a)


FIELD_BLOCK = 2048  # rows at a time through the field's generated code and what is made of its values


def _by_blocks(evaluate, x: np.ndarray, theta, terms, *per_row) -> tuple[np.ndarray, ...]:
    """``terms(x_b, *evaluate(x_b, theta_b), *per_row_b)`` over blocks ``x_b`` of at most ``FIELD_BLOCK`` rows of
    ``x`` (M, D) (``evaluate`` is ``fld.derivatives`` or ``fld.payoffs``; ``theta`` (M, J) or (1, J); ``per_row``
    arrays of M rows), each output of ``terms`` (a tuple of arrays, a row per row of ``x_b``) joined over the
    blocks.  The generated code makes an array per operation, and ``du`` is (M, D, D): on a large M that is fresh
    memory, whose page faults cost more than the arithmetic, while on blocks it stays small and is reused.  Row
    by row the values are the same."""
    theta = np.asarray(theta, dtype=float)
    parts = []
    for a in range(0, max(x.shape[0], 1), FIELD_BLOCK):
        r = slice(a, a + FIELD_BLOCK)
        values = evaluate(_columns_first(x[r]), _columns_first(theta[r] if theta.shape[0] > 1 else theta))
        parts.append(terms(x[r], *(values if isinstance(values, tuple) else (values,)), *(v[r] for v in per_row)))
    return parts[0] if len(parts) == 1 else tuple(np.concatenate(p) for p in zip(*parts))


def _polish(fld: Field, space: StateSpace, start: np.ndarray, theta, support: np.ndarray, scale):
    """Newton's method for the rest point on the face ``support`` (D,) from ``start`` (M, D).

    On the face, population ``p``'s last supported strategy ``l_p`` carries ``1 - sum`` of the others, and the
    unknowns are the other supported shares ``z``; the equations are ``g = u_p(a) - u_p(l_p) = 0`` for the
    supported ``a != l_p``, with ``dg/dz_b = (du[a, b] - du[a, l_q]) - (du[l_p, b] - du[l_p, l_q])``.  Returns
    the points (M, D) and whether each converged onto the face.
    """
    m = start.shape[0]
    off = space.offsets
    x = np.where(support, start, 0.0)
    free, last, owner_free = [], [], []
    for p, (a, b) in enumerate(zip(off[:-1], off[1:])):
        x[:, a:b] /= _population_sums(x, a, b)
        idx = [i for i in range(a, b) if support[i]]
        last.append(idx[-1])
        free += idx[:-1]
        owner_free += [p] * (len(idx) - 1)
    free = np.array(free, dtype=np.int64)
    lp = np.array([last[p] for p in owner_free], dtype=np.int64)
    ok = np.ones(m, dtype=bool)
    if free.size == 0:
        return x, ok
    done = np.zeros(m, dtype=bool)

    # g, and its Jacobian: rows d g / d sigma_b = du[a, b] - du[l_p, b], columns d/dz_b = d/d sigma_b - d/d sigma_{l_q}
    # (the four entries of du that each entry takes, gathered from du's rows flattened: (f, f) index tables)
    d = start.shape[1]
    a_b, l_b = free[:, None] * d + free[None, :], lp[:, None] * d + free[None, :]
    a_l, l_l = free[:, None] * d + lp[None, :], lp[:, None] * d + lp[None, :]

    def equations(xb, u, du):
        flat = du.reshape(du.shape[0], d * d)
        return u[:, free] - u[:, lp], (flat[:, a_b] - flat[:, l_b]) - (flat[:, a_l] - flat[:, l_l])

    for _ in range(NEWTON_STEPS):
        g, jac = _by_blocks(fld.derivatives, x, theta, equations)
        small = _max_columns(np.abs(g)) <= NEWTON_TOL * scale
        done |= small
        if done.all():
            break
        _newton_update(x, jac, g, done, free, lp)
    else:  # (after a break x is where g was last evaluated: no evaluation again)
        (g,) = _by_blocks(fld.derivatives, x, theta, lambda xb, u, du: (u[:, free] - u[:, lp],))
    ok &= _all_columns(np.isfinite(x)) & (_max_columns(np.abs(g)) <= NEWTON_TOL * scale)
    ok &= _all_columns(x >= -FACE_SLACK)
    return _onto_faces(x, off), ok


def _newton_update(x: np.ndarray, jac: np.ndarray, g: np.ndarray, done: np.ndarray, free, last) -> None:
    """One Newton step ``jac step = -g`` on the shares ``free`` of ``x`` (in place), none for the rows ``done`` or
    where the step is not finite (a singular batch by the pseudo-inverse); each population's last share
    ``last[k]`` takes minus the step of ``free[k]``, in order.  (Shared by :func:`_polish` and
    :func:`_polish_field`.)"""
    with np.errstate(all="ignore"):
        try:
            step = np.linalg.solve(jac, -g[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            step = (np.linalg.pinv(jac) @ -g[:, :, None])[:, :, 0]
    step = np.where(done[:, None] | ~np.isfinite(step), 0.0, step)
    x[:, free] += step
    for k, last_k in enumerate(last):
        x[:, last_k] -= step[:, k]


def _onto_faces(x: np.ndarray, off, slack: float = FACE_SLACK) -> np.ndarray:
    """Newton's points made shares: within ``slack`` of zero exactly zero (a point that lands on a smaller face is
    that face's point), none above one, each population rescaled to sum one."""
    x = np.where(x <= slack, 0.0, np.minimum(x, 1.0))
    for a, b in zip(off[:-1], off[1:]):
        total = _population_sums(x, a, b)
        x[:, a:b] /= np.where(total > 0, total, 1.0)
    return x


def _asymptotically_stable(fld: Field, space: StateSpace, point, theta, alive, scale) -> np.ndarray:
    """Whether every eigenvalue of the tangent Jacobian at ``point`` (M, D), on the face of the strategies
    ``alive`` (D,), has real part below ``-ZERO_TOL`` times the larger of the field's scale and the largest
    eigenvalue's modulus (``gamekit.dynamics.jacobian_from``)."""
    keep = np.flatnonzero(alive)
    shape = tuple(int(alive[a:b].sum()) for a, b in zip(space.offsets[:-1], space.offsets[1:]))
    if sum(shape) - len(shape) == 0:  # every population has one strategy alive: the orbit is that point
        return np.ones(point.shape[0], dtype=bool)
    (jac,) = _by_blocks(
        fld.derivatives,
        point,
        theta,
        lambda xb, u, du: (jacobian_from(xb[:, keep], u[:, keep], du[:, keep][:, :, keep], shape),),
    )
    finite = np.all(np.isfinite(jac), axis=(1, 2))  # (a payoff undefined at the point: not a stable point)
    stable = np.zeros(point.shape[0], dtype=bool)
    if finite.any():
        ev = np.linalg.eigvals(jac[finite])
        top = np.maximum(scale[finite], np.max(np.abs(ev), axis=1))
        stable[finite] = np.max(ev.real, axis=1) < -ZERO_TOL * top
    return stable


def _backend(name: str):
    """The integrator; for the compiled one, the cache folder it imports from is checked first (every call)."""
    if name == "numpy" or (name == "auto" and not dopri.numba_available()):
        return dopri.integrate_numpy
    if not dopri.numba_available():
        raise GamekitError("backend='numba' needs numba installed (pip install numba), or use backend='numpy'")
    cache.folder()  # raises for an unsafe $GAMEKIT_CACHE_DIR, before anything is imported from it
    # on a new machine the driver's compilation (seconds) starts now, in a child process, so that it overlaps
    # this process's work before integrating (the game's RHS, its code generation); nothing once compiled
    cache.compile_driver_in_background()
    return dopri.integrate_numba


def _field_backend(integrate, fld: Field):
    """``integrate`` with the model's field: its compiled RHS for the numba kernel (the numpy twin when the
    field is too large to compile), its numpy payoffs for the numpy twin."""
    if integrate is dopri.integrate_numba:
        from ._kernels.primitives import LANES

        rhs = fld.load(LANES)
        if rhs is not None:
            return lambda *args: dopri.integrate_numba(*args, rhs=rhs)
    return lambda *args: dopri.integrate_numpy(*args, field=fld.payoffs)


def _outputs(n: int, width: int, n_times: int):
    """The arrays every orbit writes: final states, outcome codes, converged flags, steps, and states at t_eval."""
    final = np.empty((n, width))
    codes = np.empty(n, dtype=np.int32)
    converged = np.empty(n, dtype=bool)
    steps = np.empty(n, dtype=np.int64)
    states = np.empty((n, n_times, width)) if n_times else None
    return final, codes, converged, steps, states


def _chunks(n: int, chunk: int, progress: bool | None):
    """``(a, b)`` ranges of ``chunk`` orbits covering ``0 .. n-1``, with a progress bar when asked (by default:
    when there is more than one chunk)."""
    ranges = [(a, min(a + chunk, n)) for a in range(0, n, chunk)]
    if progress if progress is not None else len(ranges) > 1:
        from tqdm.auto import tqdm

        return tqdm(ranges, desc="orbits", unit="chunk", total=len(ranges))
    return ranges


def _times(t_eval, t_end: float) -> np.ndarray:
    if t_eval is None:
        return np.zeros(0)
    te = check.floats(t_eval, "t_eval must be increasing times within [0, t_end]")
    if te.ndim > 1:
        raise ArgumentError(f"t_eval must be a one-dimensional sequence of times, got shape {te.shape}")
    te = te.ravel()
    if te.size and (np.any(~np.isfinite(te)) or np.any(np.diff(te) <= 0) or te[0] < 0 or te[-1] > t_end):
        raise ArgumentError("t_eval must be increasing times within [0, t_end]")
    return te


def simulate(
    game: Game,
    initial: np.ndarray | Sequence[Sequence[float]],
    t_end: float,
    *,
    rtol: float = 1e-8,
    atol: float = 1e-10,
    t_eval: np.ndarray | Sequence[float] | None = None,
    schedule: Schedule | str | Sequence | Mapping | None = None,
    parameters: Mapping[str, Sequence[float] | np.ndarray | float] | None = None,
    window: float = 0.5,
    converge_tol: float = 1e-4,
    cycle_amplitude: float = 1e-3,
    face_tol: float = 1e-6,
    max_steps: int = 1_000_000,
    chunk: int = 50_000,
    backend: str = "auto",
    progress: bool | None = None,
    dynamics: str | Dynamics | None = None,
    noise: Noise | Mapping[str, float] | None = None,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
) -> Trajectory | NoisyPaths:
    """Integrate the replicator dynamics (or another, ``dynamics``) from every row of ``initial`` to ``t_end``.

    Any kind of game: fixed payoff tables, payoffs that use shares, one-population
    and group games (module docstring).

    Parameters
    ----------
    game
        The game (its parameters must all have values, here or in ``parameters``).
    initial
        ``(N, d)`` states: each population's share of its first strategy when
        every population has two strategies, or every population's mixed
        strategy concatenated (always accepted).
    t_end
        Final time (> 0).
    rtol, atol
        Tolerances of the error control (on log-shares): ``rtol`` in
        ``[MIN_RTOL, 1)``, ``atol`` in ``(0, 1]``.
    t_eval
        Times at which to store the states (increasing, within ``[0, t_end]``);
        without it only the final states are kept.
    schedule
        ``[(t0, {param: value}), (t1, "scenario name"), ...]``: parameter
        changes taking effect at increasing times (the paper's phased policy),
        a :class:`~gamekit.schedule.Schedule`, or the name of a schedule the
        model file declares.  Each phase's values hold over the game's own.
    parameters
        ``{param: array of N values}``: parameters that vary per orbit (sweeps).
    window, converge_tol, cycle_amplitude, face_tol
        How outcomes are decided (module docstring): the last ``window``
        fraction of ``[0, t_end]`` is observed (in ``(0, 1]``);
        ``converge_tol`` (in ``(0, 1/2)``) is how close to a stable profile (or,
        in a game that is not multilinear, a stable rest point) an orbit must
        stay over the window (an orbit whose final state is certified converges
        regardless); ``cycle_amplitude`` how far a share
        must swing to count as oscillating; a strategy whose share stayed below
        ``face_tol`` has died out.
    max_steps
        Steps allowed per orbit (a clear error when an orbit needs more).
    chunk
        Orbits integrated per call of the kernel (memory: final states only).
    backend
        ``"auto"`` (numba if installed), ``"numba"`` or ``"numpy"``.
    progress
        Show a progress bar (default: when there is more than one chunk).
    dynamics
        The revision protocol: ``None`` or ``"replicator"`` (the default), ``"logit:ETA"``, ``"smith"``,
        ``"bnn"``, ``"replicator-mutator:MU"``, or a :class:`gamekit.protocols.Dynamics` (module docstring:
        how their orbits are integrated and their outcomes decided).  ``ETA`` below
        ``gamekit.protocols.ETA_FLOOR`` times the payoff scale is refused.
    noise
        ``{"population.strategy": sigma}`` or a :class:`gamekit.stochastic.Noise`: the stochastic
        replicator dynamics instead (:func:`gamekit.stochastic.simulate_noisy`, which says what it
        returns).  It takes ``initial``, ``t_end``, ``t_eval``, ``schedule``, ``parameters``, ``chunk``
        and ``progress``; ``rtol``, ``atol``, ``window``, ``converge_tol``, ``cycle_amplitude``,
        ``face_tol``, ``max_steps`` and ``backend`` control the deterministic integration only, and
        are refused (:class:`~gamekit.errors.ArgumentError`) with ``noise`` unless left at their defaults.
    rng
        Seed of the noise (with ``noise`` only).

    Returns
    -------
    Trajectory or NoisyPaths
        A :class:`Trajectory`: per orbit the final state (and the states at ``t_eval``), its ``outcome`` and whether
        it ``converged``; with ``noise``, the :class:`NoisyPaths` of :func:`gamekit.stochastic.simulate_noisy`.

    Examples
    --------
    >>> import gamekit as gk
    >>> trap = gk.load("platform-insurance").scenario("trap")
    >>> orbits = gk.simulate(trap, [[0.95, 0.05, 0.05], [0.5, 0.5, 0.5]], 300)
    >>> orbits
    Trajectory(2 orbits to t=300: 50.0% regulate, evade, accept, 50.0% cycling on workers=claim)
    >>> orbits.final.shape, orbits.converged.tolist()
    ((2, 3), [True, False])
    """
    dyn = parse_dynamics(dynamics)
    if noise is not None:
        if dyn.kind != "replicator":
            raise ArgumentError(f"noise is the stochastic replicator dynamics; it cannot be combined with {dyn}")
        given = {"rtol": rtol, "atol": atol, "window": window, "converge_tol": converge_tol}
        given |= {"cycle_amplitude": cycle_amplitude, "face_tol": face_tol, "max_steps": max_steps, "backend": backend}
        ignored = [name for name, value in given.items() if _differs(value, simulate.__kwdefaults__[name])]
        if ignored:
            raise ArgumentError(f"{', '.join(ignored)} control the deterministic integration; not used with noise")
        from .stochastic import simulate_noisy

        return simulate_noisy(
            game, initial, t_end, noise=noise, rng=rng, t_eval=t_eval, parameters=parameters, progress=progress,
            schedule=schedule, chunk=chunk,
        )  # fmt: skip
    if rng is not None:
        raise ArgumentError("rng seeds the noise; without noise the dynamics are deterministic (give noise=...)")
    check.game(game)
    space = StateSpace(game.shape, tuple(p.name for p in game.populations))
    full = space.full(initial, name="initial")
    n = full.shape[0]
    t_end = check.real("t_end", t_end, low=0.0, high=MAX_T_END, low_open=True)
    rtol = check.real("rtol", rtol, low=MIN_RTOL, high=1.0, high_open=True)
    atol = check.real("atol", atol, low=0.0, high=1.0, low_open=True)
    window = check.fraction("window", window, low_open=True)
    converge_tol = check.tolerance("converge_tol", converge_tol, high=0.5)
    cycle_amplitude = check.tolerance("cycle_amplitude", cycle_amplitude)
    face_tol = check.tolerance("face_tol", face_tol)
    max_steps = check.integer("max_steps", max_steps, minimum=1, maximum=MAX_STEPS)
    chunk = check.integer("chunk", chunk, minimum=1)
    backend = check.choice("backend", backend, BACKENDS)
    if progress is not None:
        progress = check.flag("progress", progress)
    te = _times(t_eval, t_end)
    bounds, values = _segments(game, t_end, schedule, parameters, n)
    if dyn.kind != "replicator":
        if backend != "numpy" and dopri.numba_available():
            # on a new machine the share-coordinate driver compiles in a child process from now on, beside the
            # game's payoffs and the protocol (``_kernels.flow_numba``); nothing once compiled
            cache.folder()  # raises for an unsafe $GAMEKIT_CACHE_DIR, before anything is imported from it
            cache.compile_flow_in_background()
        classify = _Classifier(game, space, converge_tol, cycle_amplitude, face_tol, dyn)
        classify.rest_floor = REST_FACTOR * (rtol + atol)
        return _simulate_flow(
            game, full, te, bounds, values, dyn, classify, (rtol, atol, t_end * (1.0 - window), max_steps),
            chunk, backend, progress,
        )  # fmt: skip
    general = not game.multilinear
    integrate = _backend(backend)
    if general:  # payoffs depend on the state: a right-hand side generated for this model
        fld = field_of(game)
        pay = _field_rows(game, fld, values)
        integrate = _field_backend(integrate, fld)
        theta_all = values[-1]  # (R, J): the last phase's parameters
        distinct, where = np.unique(theta_all, axis=0, return_inverse=True)
        scale_all = field_scale(fld, game.shape, distinct)[np.ravel(where)]
    else:
        pay = _payoff_rows(game, values)
    r_count = pay.shape[1]
    off, _, others, flat, nq = tables(game.shape)
    classify = _Classifier(game, space, converge_tol, cycle_amplitude, face_tol)
    tw = t_end * (1.0 - window)

    alive = full > 0
    if not general:
        # asymptotically stable profiles under the last phase's parameters, within each orbit's face
        on_face = not alive.all()
        strict_all = strict_profiles(pay[-1], game.shape, alive if on_face else None)
    final, codes, converged, steps, states = _outputs(n, space.width, te.size)
    for a, b in _chunks(n, chunk, progress):
        p_chunk = pay[:, a:b] if r_count > 1 else pay
        with np.errstate(over="ignore", invalid="ignore"):
            sig, box, turns, out, st, status = integrate(
                np.ascontiguousarray(full[a:b]),
                np.ascontiguousarray(p_chunk),
                off, others, flat, nq, bounds, te, tw, rtol, atol, max_steps,
            )  # fmt: skip
        _check_integration(game, sig, status, max_steps, t_end)
        final[a:b] = space.coordinates(sig)
        if general:
            theta = theta_all[a:b] if r_count > 1 else theta_all
            scale = scale_all[a:b] if r_count > 1 else scale_all
            codes[a:b], converged[a:b] = classify.general(box, turns, sig, theta, alive[a:b], fld, scale)
        else:
            strict = strict_all[a:b] if strict_all.shape[0] > 1 else strict_all
            pay_last = pay[-1, a:b] if r_count > 1 else pay[-1]
            codes[a:b], converged[a:b] = classify(box, turns, strict, sig, pay_last, alive[a:b])
        steps[a:b] = st
        if states is not None:
            states[a:b] = space.coordinates(out)
    return Trajectory(
        game=game,
        t=te if te.size else np.array([t_end]),
        states=states,
        final=final,
        converged=converged,
        codes=codes,
        labels=tuple(classify.labels),
        steps=steps,
        t_end=t_end,
        points=dict(classify.points),
    )


def _differs(value, default) -> bool:
    """Whether an argument was given a value other than its default (an array always differs)."""
    if value is default:
        return False
    try:
        return not bool(value == default)
    except (TypeError, ValueError):  # an array, or something not comparable
        return True


# ----------------------------------------------------------------------------- dynamics other than the replicator


def _simulate_flow(game, full, te, bounds, values, dyn: Dynamics, classify, control, chunk, backend, progress):
    """:func:`simulate` under a dynamics other than the replicator (module docstring): orbits in the shares
    (``_kernels.flow``), every strategy alive, outcomes by ``classify`` (``_Classifier`` of that dynamics)."""
    rtol, atol, tw, max_steps = control
    space = classify.space
    n = full.shape[0]
    fld = field_of(game)  # the payoffs and their derivatives (polishing, linearisation; a model's RHS)
    theta_all = values[-1]  # (R, J): the last phase's parameters
    if theta_all.shape[0] == 1:  # (what np.unique gives for one row, without its cost: 0.2 ms)
        distinct, where = theta_all.copy(), np.zeros(1, dtype=np.int64)
    elif theta_all.shape[1]:
        distinct, where = np.unique(theta_all, axis=0, return_inverse=True)
    else:
        distinct, where = np.zeros((1, 0)), np.zeros(theta_all.shape[0], dtype=np.int64)
    scale_all = field_scale(fld, game.shape, distinct)[np.ravel(where)]
    if scale_all.size:
        check_logit_scale(dyn, float(np.max(scale_all)))  # a tiny eta: u/eta beyond what the steps resolve
    pay = _payoff_rows(game, values) if game.multilinear else _field_rows(game, fld, values)
    # (settled orbits stop only where a tolerance is well below what the classification resolves: settle.py)
    fine = atol + rtol <= RESOLUTION * classify.converge_tol
    integrate = _flow_backend(game, fld, dyn, backend, stop=fine)
    r_count = pay.shape[1]
    off, _, others, flat, nq = tables(game.shape)
    final, codes, converged, steps, states = _outputs(n, space.width, te.size)

    def run(x0, p_rows, r_tol, a_tol):
        with np.errstate(over="ignore", invalid="ignore"):
            res = integrate(np.ascontiguousarray(x0), np.ascontiguousarray(p_rows), off, others, flat, nq, bounds, te,
                            tw, r_tol, a_tol, max_steps)  # fmt: skip
        _check_integration(game, res[0], res[5], max_steps, bounds[-1])
        return res[:5]

    def judge(sig, box, turns, theta, scale, last_rows, tol):
        alive = np.ones(sig.shape, dtype=bool)  # no strategy is dead from the start under these dynamics
        classify.rest_floor = REST_FACTOR * tol
        cd, conv = classify.general(box, turns, sig, theta, alive, fld, scale)
        rest = np.flatnonzero(~conv)
        if not dyn.smooth and game.multilinear and rest.size:  # Smith, BNN: the trapping box of a strict equilibrium
            rows = last_rows[rest] if last_rows.shape[0] > 1 else last_rows
            certified, profile = certify(sig[rest], rows, game.shape, alive[rest], dyn.kind == "bnn", REST_FACTOR * tol)
            cd[rest[certified]] = profile[certified]
            conv[rest[certified]] = True
        cyc = np.flatnonzero(cycling(cd)) if not dyn.smooth else ()
        if len(cyc):  # Smith, BNN: a cycle keeps NONSMOOTH_RATIO of its range (module docstring)
            bx = box[cyc]
            lo, hi = classify._window(bx)
            keeps = (bx[:, 3] - bx[:, 2]) >= NONSMOOTH_RATIO * (bx[:, 1] - bx[:, 0])
            fading = ~np.any(classify._oscillating(turns[cyc], lo, hi) & keeps, axis=1)
            cd[cyc[fading]] = classify.index[UNRESOLVED]
        return cd, conv

    def cycling(cd):  # (a flag per label, then per orbit)
        return np.array([label.startswith("cycling") for label in classify.labels])[cd]

    tight = (max(rtol * RECHECK_FACTOR, MIN_RTOL), atol * RECHECK_FACTOR)
    for a, b in _chunks(n, chunk, progress):
        p_chunk = pay[:, a:b] if r_count > 1 else pay
        theta = theta_all[a:b] if r_count > 1 else theta_all
        scale = scale_all[a:b] if r_count > 1 else scale_all
        sig, box, turns, out, st = run(full[a:b], p_chunk, rtol, atol)
        cd, conv = judge(sig, box, turns, theta, scale, p_chunk[-1], rtol + atol)
        cyc = np.flatnonzero(cycling(cd)) if not dyn.smooth and tight[0] < rtol else np.zeros(0, dtype=np.int64)
        if cyc.size:
            # Smith, BNN: a cycle must keep its range at a tighter tolerance (module docstring), else the
            # oscillation is kept up by the integration error at the kinks of the field, not by the dynamics
            res = run(full[a:b][cyc], p_chunk[:, cyc] if r_count > 1 else p_chunk, *tight)
            numerical = np.max(res[1][:, 3] - res[1][:, 2], axis=1) < RECHECK_RATIO * np.max(
                box[cyc, 3] - box[cyc, 2], axis=1
            )
            if numerical.any():
                w, m = cyc[numerical], np.flatnonzero(numerical)
                sel = w if r_count > 1 else slice(None)
                t_cd, t_conv = judge(*(v[m] for v in res[:3]), theta[sel], scale[sel], p_chunk[-1][sel], sum(tight))
                t_cd[cycling(t_cd)] = classify.index[UNRESOLVED]  # (a range that shrinks with the tolerance)
                sig[w], out[w], st[w] = res[0][m], res[3][m], res[4][m]
                cd[w], conv[w] = t_cd, t_conv
        final[a:b] = space.coordinates(sig)
        codes[a:b], converged[a:b] = cd, conv
        steps[a:b] = st
        if states is not None:
            states[a:b] = space.coordinates(out)
    return Trajectory(
        game=game,
        t=te if te.size else np.array([bounds[-1]]),
        states=states,
        final=final,
        converged=converged,
        codes=codes,
        labels=tuple(classify.labels),
        steps=steps,
        t_end=float(bounds[-1]),
        points=dict(classify.points),
        dynamics=str(dyn),
    )


def _flow_backend(game: Game, fld: Field, dyn: Dynamics, name: str, stop: bool = True):
    """The share-coordinate integrator (``_kernels.flow``) for ``dyn``: compiled with the game's compiled payoffs,
    or the numpy twin with :func:`gamekit.protocols.velocity` (numba absent, or a model too large to compile).
    ``stop``: whether orbits settled at a stable rest point may stop (smooth fields only; ``_kernels.settle``)."""
    from ._kernels import flow
    from ._kernels.settle import SETTLE

    settle = SETTLE if dyn.smooth and stop else 0.0
    if name == "numba" and not dopri.numba_available():
        raise GamekitError("backend='numba' needs numba installed (pip install numba), or use backend='numpy'")
    if name == "numba" or (name == "auto" and dopri.numba_available()):
        # (the cache folder was checked by the caller, simulate, before anything is imported from it)
        if game.multilinear or fld.compilable():
            code, eta, mu = _KIND_CODES[dyn.kind], dyn.eta or 0.0, dyn.mu or 0.0
            field_ = None if game.multilinear else fld
            return lambda *args: flow.integrate_numba(*args, code, eta, mu, field=field_, settle=settle)
    off = StateSpace(game.shape).offsets
    field_ = None if game.multilinear else fld.payoffs
    return lambda *args: flow.integrate_numpy(*args, lambda x, g: velocity(dyn, x, g, off), field=field_,
                                              settle=settle)  # fmt: skip


# the compiled kernel's code of each protocol (flow_numba.KINDS, in the order of gamekit.protocols.KINDS)
_KIND_CODES = {"replicator": 0, "logit": 1, "smith": 2, "bnn": 3, "replicator-mutator": 4}


def _flow_scale(dyn: Dynamics, scale: np.ndarray) -> np.ndarray:
    """The scale of the field of a smooth ``dyn`` at payoff scale ``scale``: 1 for logit (a difference of shares),
    ``(1 - MU) scale + MU`` for the replicator-mutator (module docstring)."""
    if dyn.kind == "logit":
        return np.ones_like(scale)
    mu = dyn.mu or 0.0
    return (1.0 - mu) * scale + mu


def _polish_field(dyn: Dynamics, fld: Field, space: StateSpace, start: np.ndarray, theta, scale):
    """Newton's method for ``F(x) = 0`` of a smooth ``dyn`` on the product of simplices from ``start`` (M, D): each
    population's last share carries one minus the others.  Returns the points (M, D) and whether each converged
    (``max |F|`` at most ``NEWTON_TOL`` times the field's scale, in the state space)."""
    off = space.offsets
    x = np.array(start, dtype=float)
    free = np.array([i for a, b in zip(off[:-1], off[1:]) for i in range(a, b - 1)], dtype=np.int64)
    last = np.array([b - 1 for a, b in zip(off[:-1], off[1:]) for _ in range(a, b - 1)], dtype=np.int64)
    tol = NEWTON_TOL * _flow_scale(dyn, np.asarray(scale, dtype=float))
    m = x.shape[0]
    done = np.zeros(m, dtype=bool)
    if free.size == 0:
        return x, np.ones(m, dtype=bool)

    def field_terms(xb, u, du):  # (the Jacobian also on the last pass, which does not use it: one pass a step)
        return velocity(dyn, xb, u, off), velocity_jacobian(dyn, xb, u, du, off)

    with np.errstate(all="ignore"):
        for _ in range(NEWTON_STEPS):
            v, jac = _by_blocks(fld.derivatives, x, theta, field_terms)
            g = v[:, free]
            done |= _max_columns(np.abs(g)) <= tol
            if done.all():
                break
            _newton_update(x, jac, g, done, free, last)
        else:  # (after a break x is where the field was last evaluated: no evaluation again)
            (v,) = _by_blocks(fld.derivatives, x, theta, lambda xb, u, du: (velocity(dyn, xb, u, off),))
    # (the test that ended the iteration: on the free shares, each population's last carrying minus their sum)
    ok = _all_columns(np.isfinite(x)) & (_max_columns(np.abs(v[:, free])) <= tol) & _all_columns(x >= -FACE_SLACK)
    # logit and the mutator with MU > 0 have no rest point on a face: a share below FACE_SLACK is small, not zero
    # (a logit QRE at ETA = 1/4 may give a strategy 1.2e-9; snapped to zero, the point missed the QRE by as much)
    return _onto_faces(x, off, 0.0 if dyn.interior else FACE_SLACK), ok


def _stable_under(dyn: Dynamics, fld: Field, space: StateSpace, point, theta, scale) -> np.ndarray:
    """Whether every eigenvalue of a smooth ``dyn``'s tangent Jacobian at ``point`` (M, D) has real part below
    ``-ZERO_TOL`` times the larger of the field's scale and the largest eigenvalue's modulus."""
    off = space.offsets
    shape = tuple(int(b - a) for a, b in zip(off[:-1], off[1:]))
    if sum(shape) == len(shape):
        return np.ones(point.shape[0], dtype=bool)
    (jac,) = _by_blocks(fld.derivatives, point, theta, lambda xb, u, du: (velocity_jacobian(dyn, xb, u, du, off),))
    finite = np.all(np.isfinite(jac), axis=(1, 2))
    stable = np.zeros(point.shape[0], dtype=bool)
    if finite.any():
        ev = np.linalg.eigvals(jac[finite])
        top = np.maximum(_flow_scale(dyn, np.broadcast_to(scale, finite.shape)[finite]), np.max(np.abs(ev), axis=1))
        stable[finite] = np.max(ev.real, axis=1) < -ZERO_TOL * top
    return stable


def _nash(fld: Field, space: StateSpace, point, theta, scale) -> tuple[np.ndarray, np.ndarray]:
    """Whether each point (M, D) is a Nash equilibrium (no strategy earns more than its population's support by more
    than ``NASH_TOL`` times the payoff scale), and whether a strict one (pure, every other strategy earning less
    by more than that)."""

    def conditions(xb, u, slack):
        nash = _all_columns(np.isfinite(u))
        strict = nash.copy()
        for a, b in zip(space.offsets[:-1], space.offsets[1:]):  # (row-wise reductions a column at a time)
            used = xb[:, a:b] > 0
            us = u[:, a:b]
            low = _min_columns(np.where(used, us, np.inf))
            nash &= _max_columns(us) - low <= slack
            other = _max_columns(np.where(used, -np.inf, us))
            single = used[:, 0].astype(np.int64)
            for j in range(1, b - a):
                single += used[:, j]
            strict &= (single == 1) & (other < low - slack)
        return nash, strict & nash

    slack = NASH_TOL * np.broadcast_to(np.asarray(scale, dtype=float), point.shape[:1])
    return _by_blocks(fld.payoffs, point, theta, conditions, slack)


def _settling(box: np.ndarray, point: np.ndarray, floor: float) -> np.ndarray:
    """Whether an orbit's distance from ``point`` (M, D) over the window's second half (``box`` (M, 6, D)) is at
    most ``NONSMOOTH_RATIO`` times that over the first half, or below ``floor``."""
    first = np.max(np.maximum(np.abs(box[:, 0] - point), np.abs(box[:, 1] - point)), axis=1)
    second = np.max(np.maximum(np.abs(box[:, 2] - point), np.abs(box[:, 3] - point)), axis=1)
    return (second <= NONSMOOTH_RATIO * first) | (second <= floor)
