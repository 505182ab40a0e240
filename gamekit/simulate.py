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
runs them in vectorised lanes on a thread pool (its right-hand side compiled
once per game shape), a numpy twin runs them in vectorised lock-step where numba
is absent.  Parameters may change at the times of a schedule; after the last
change the game is played with the last phase's values.

**Outcomes.**  Over the observation window ``[tw, t_end]``, ``tw = t_end (1 -
window)``, split at ``tm = (tw + t_end) / 2`` into two halves, the kernel
records the range of every share in each half (at the end of every step, and by
dense output at nine evenly spaced times, however long the steps) and the
turning points of the log-shares in the window and in its second half.  An
orbit has

* **converged** to a pure profile ``s`` when either

  - (window) ``s`` is asymptotically stable -- for the multilinear replicator
    dynamics: a strict Nash equilibrium; no mixed rest point is asymptotically
    stable -- and every share stayed within ``converge_tol`` of ``s`` over the
    whole window; or
  - (certificate) its final state lies in a box around ``s`` that is proved to
    be forward invariant and to converge to ``s`` (below), whatever the window
    or the horizon;

  an orbit that starts on a face never leaves it, so for it "strict" counts
  only switches to strategies alive in that orbit;
* ``cycling`` -- when it has not converged and some share keeps oscillating
  with an amplitude that does not die out: two or more turning points in the
  window, a range above ``cycle_amplitude`` over the window, and not decaying.
  A share's oscillation is *decaying* when it still turned in the second half
  of the window (a turning point there) and its range in the second half is
  below ``CYCLE_PERSISTENCE`` (one half) times its range in the first: a spiral
  that winds in towards a rest point is not a cycle.  (With fixed payoff tables
  no mixed rest point is asymptotically stable, so such a spiral winds in along
  the stable manifold of a saddle-focus and must leave it later: ``unresolved``
  is the honest answer until then.)  The label names
  the face the orbit lives on (populations whose other strategies died out);
* ``unresolved`` -- otherwise (a decaying spiral not yet certified, lingering
  near a saddle or a non-hyperbolic rest point, or still travelling):
  integrate longer to decide.

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
tables (the only kind this module integrates) and independent of the payoff
scale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import _validate as check
from ._kernels import cache, dopri
from ._kernels.layout import tables
from .dynamics import compile_payoffs
from .errors import AnalysisError, ArgumentError, GamekitError, ParameterError
from .game import Game
from .schedule import Schedule
from .space import StateSpace
from .stability import strict_profiles

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
        Per orbit: the profile it converged to (``"regulate, evade, accept"``),
        ``"cycling on workers=claim"`` (or ``"cycling (interior)"``), or ``"unresolved"``.
    steps
        Accepted and rejected steps per orbit.
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

    @property
    def outcome(self) -> np.ndarray:
        return np.asarray(self.labels, dtype=object)[self.codes]

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
        return f"Trajectory({self.n} orbits to t={self.t_end:g}: {parts})"

    def _repr_html_(self) -> str:
        return f"<p>{self.n} orbits to t = {self.t_end:g}</p>" + self.summary().to_html(index=False)


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


def _payoff_rows(game: Game, values: np.ndarray) -> np.ndarray:
    """(S, R, k, P) payoffs for the (S, R, p) parameter rows; a clear error if one is not a usable number."""
    s_count, r_count, n_par = values.shape
    names = list(game.parameters)
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
    return pay


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


def certify(final: np.ndarray, pay: np.ndarray, shape: tuple[int, ...], alive: np.ndarray):
    """The convergence certificate of the module docstring, for every orbit.

    ``final`` (N, D) final shares, ``pay`` (R, k, P) payoffs after the last schedule change (R = N or 1),
    ``alive`` (N, D) strategies alive in each orbit.  Returns ``(certified, profile)``: whether the final state
    lies in a trapping box of the pure profile ``profile`` (flat index, C order), and that profile.
    """
    n = final.shape[0]
    k = len(shape)
    off, _, others, flat, nq = tables(shape)
    rows = np.arange(n)
    strides = [int(np.prod(shape[q + 1 :])) for q in range(k)]
    masked = np.where(alive, final, -1.0)
    s = [_block_argmax(masked, off[p], off[p + 1])[0] for p in range(k)]  # (N,) local index per population
    eps = [np.clip(1.0 - final[rows, off[p] + s[p]] + CERTIFICATE_SLACK, 0.0, 1.0) for p in range(k)]
    profile = sum(strides[p] * s[p] for p in range(k))
    ok = np.ones(n, dtype=bool)
    per_orbit = pay.shape[0] != 1
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
    return ok, profile


class _Classifier:
    """Turns window statistics into outcome codes; the label table grows as faces are met."""

    def __init__(self, game: Game, space: StateSpace, converge_tol, amplitude, face_tol):
        self.game, self.space = game, space
        self.converge_tol, self.amplitude, self.face_tol = converge_tol, amplitude, face_tol
        self.labels = [", ".join(game.profile_names(idx)) for idx in np.ndindex(*game.shape)]
        self.labels.append(UNRESOLVED)
        self.index = {lab: i for i, lab in enumerate(self.labels)}
        self.strides = [int(np.prod(game.shape[p + 1 :])) for p in range(len(game.shape))]  # profile index

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

    def __call__(self, box, turns, strict, final, pay_last, alive):
        """Codes and convergence from the window boxes ``box`` (N, 4, D), turning points ``turns`` (N, 2, D),
        the strict profiles ``strict`` (R, P), and the certificate at the final shares ``final`` (N, D) under
        the last phase's payoffs ``pay_last`` (R, k, P) within the faces ``alive`` (N, D)."""
        n = box.shape[0]
        lo = np.minimum(box[:, 0], box[:, 2])
        hi = np.maximum(box[:, 1], box[:, 3])
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
        cycling = np.zeros(n, dtype=bool)
        rest = np.flatnonzero(~converged)  # cycling or unresolved
        if rest.size:
            bx, tn = box[rest], turns[rest]
            range1 = bx[:, 1] - bx[:, 0]
            range2 = bx[:, 3] - bx[:, 2]
            oscillating = (tn[:, 0] >= 2) & ((hi[rest] - lo[rest]) > self.amplitude)
            decaying = (tn[:, 1] >= 1) & (range2 < CYCLE_PERSISTENCE * range1)
            cycling[rest] = (oscillating & ~decaying).any(axis=1)
        if cycling.any():
            extinct = hi[cycling] < self.face_tol
            keys, inverse = np.unique(extinct, axis=0, return_inverse=True)
            face_codes = []
            for key in keys:
                lab = self.label_face(key)
                if lab not in self.index:
                    self.index[lab] = len(self.labels)
                    self.labels.append(lab)
                face_codes.append(self.index[lab])
            codes[cycling] = np.asarray(face_codes)[np.ravel(inverse)]
        return codes, converged


def _backend(name: str):
    """The integrator; for the compiled one, the cache folder it imports from is checked first (every call)."""
    if name == "numpy" or (name == "auto" and not dopri.numba_available()):
        return dopri.integrate_numpy
    if not dopri.numba_available():
        raise GamekitError("backend='numba' needs numba installed (pip install numba), or use backend='numpy'")
    cache.folder()  # raises for an unsafe $GAMEKIT_CACHE_DIR, before anything is imported from it
    return dopri.integrate_numba


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
) -> Trajectory:
    """Integrate the replicator dynamics from every row of ``initial`` to ``t_end``.

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
        ``converge_tol`` (in ``(0, 1/2)``) is how close to a stable profile an
        orbit must stay over the window (an orbit whose final state is
        certified converges regardless); ``cycle_amplitude`` how far a share
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
    """
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
    pay = _payoff_rows(game, values)
    r_count = pay.shape[1]
    off, _, others, flat, nq = tables(game.shape)
    integrate = _backend(backend)
    classify = _Classifier(game, space, converge_tol, cycle_amplitude, face_tol)
    tw = t_end * (1.0 - window)

    alive = full > 0
    # asymptotically stable profiles under the last phase's parameters, within each orbit's face
    on_face = not alive.all()
    strict_all = strict_profiles(pay[-1], game.shape, alive if on_face else None)
    final = np.empty((n, space.width))
    codes = np.empty(n, dtype=np.int32)
    converged = np.empty(n, dtype=bool)
    steps = np.empty(n, dtype=np.int64)
    states = np.empty((n, te.size, space.width)) if te.size else None
    starts = range(0, n, chunk)
    show = progress if progress is not None else len(starts) > 1
    if show:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc="orbits", unit="chunk", total=len(starts))
    for a in starts:
        b = min(a + chunk, n)
        p_chunk = pay[:, a:b] if r_count > 1 else pay
        with np.errstate(over="ignore", invalid="ignore"):
            sig, box, turns, out, st, status = integrate(
                np.ascontiguousarray(full[a:b]),
                np.ascontiguousarray(p_chunk),
                off, others, flat, nq, bounds, te, tw, rtol, atol, max_steps,
            )  # fmt: skip
        if np.any(status):
            raise AnalysisError(
                f"{int(np.sum(status != 0))} orbits needed more than max_steps={max_steps} steps to reach "
                f"t_end={t_end:g} (an orbit that cycles takes steps in proportion to t_end times the payoff "
                "scale); shorten t_end, loosen rtol or raise max_steps"
            )
        if not np.all(np.isfinite(sig)):
            raise AnalysisError(
                "the integration produced a value that is not a finite number (payoffs too large for double "
                "precision?); rescale the payoffs or loosen rtol"
            )
        final[a:b] = space.coordinates(sig)
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
    )
