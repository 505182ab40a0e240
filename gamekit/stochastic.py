r"""Stochastic replicator dynamics: many noisy paths at once, and the probabilities they give.

**Fudenberg and Harris (1992): aggregate shocks to payoffs.**  In population
``p`` the absolute size ``z_i`` of the subpopulation playing strategy ``i`` grows
at the rate of its payoff ``u_i = u_p(i)(x)``, hit by a shock of size
``sigma_i`` (Ito; ``W_i`` independent standard Wiener processes, one per noised
strategy)::

    dz_i = z_i (u_i dt + sigma_i dW_i),          x_i = z_i / sum_{j in p} z_j.

By Ito's formula ``d ln z_i = (u_i - sigma_i^2 / 2) dt + sigma_i dW_i``, so in
the log-ratio coordinates ``V_i = ln(x_i / x_r) = ln z_i - ln z_r`` to a
reference strategy ``r`` of the population::

    dV_i = [(u_i - sigma_i^2 / 2) - (u_r - sigma_r^2 / 2)] dt + sigma_i dW_i - sigma_r dW_r,

and the shares are ``x_p = softmax(V_p)``.  (In the shares themselves this is
``dx_i = x_i [u_i - ubar_p - sigma_i^2 x_i + sum_j sigma_j^2 x_j^2] dt + x_i
[sigma_i dW_i - sum_j sigma_j x_j dW_j]``, Hofbauer and Imhof 2009.)  In ``V``
the noise is *additive* -- its coefficients are constants -- so the Milstein
correction ``1/2 g g'`` vanishes and Euler-Maruyama has strong order 1 (it is
exact when the payoffs are constant); and every ``V`` gives a point of the
simplex, so paths stay exactly in the simplex: they never reach a face in finite
time, nothing is clipped.  (A share below ``exp(-700)`` is reported as exactly 0,
as in :func:`gamekit.simulate`; its coordinate ``V`` carries on.)  The Ito
correction matters: with two strategies, fixed payoffs ``a > b`` and noise
``sigma`` on the first, ``Y = ln(x / (1 - x))`` is a Brownian motion with drift
``a - b - sigma^2 / 2``, normal with mean ``Y_0 + (a - b - sigma^2 / 2) t`` and
variance ``sigma^2 t``: for ``a - b = 0.1``, ``sigma = 1`` the better strategy
dies out, because of its own noise.  Reference strategy: each population's
largest initial share in each path (any alive strategy gives the same paths up
to rounding); a strategy whose initial share is exactly zero stays extinct.

**The additive and multiplicative forms** that many tripartite papers write, for
populations with two strategies, on the first strategy's share ``x`` of each
population (``F`` the replicator field, ``F(x) = x (1 - x) (u_first -
u_second)``)::

    additive:        dx = F(x) dt + sigma dW          (g(x) = sigma)
    multiplicative:  dx = F(x) dt + sigma x dW        (g(x) = sigma x)

with noise on the second strategy's share ``1 - x`` meaning ``g(x) = -sigma``
and ``g(x) = -sigma (1 - x)``; at most one noised strategy per population.
Euler-Maruyama steps ``x + F dt + g dW``; Milstein adds ``1/2 g g' (dW^2 -
dt)`` (the same step for the additive form, where ``g' = 0``).  **Boundary.**
Neither equation keeps ``[0, 1]``: additive noise pushes past both ends, and so
does a discrete step of the multiplicative one.  Here a step that would end
outside ``[0, 1]`` (or on its boundary) puts ``x`` at the boundary value -- the
step is clipped -- and **the boundary is absorbing**: the population stays
there for the rest of the path (a strategy that died out stays extinct, one
that took over stays, as on the invariant faces of the replicator dynamics).
Each absorption is recorded with its time (:attr:`NoisyPaths.absorbed`) and
counted in the result's summary, so a figure that depends on it says so.
Populations without noise follow ``dx = F dt`` on the same grid, with the same
rule at the boundary.

**Steps.**  Every path uses the grid ``t_j = j h``, ``h = t_end / ceil(t_end /
dt)`` (``dt`` rounded down so that the grid ends at ``t_end``).  States at
``t_eval`` are those at the nearest grid times (``NoisyPaths.t`` gives them).
Parameters may change at the times of a schedule, as in :func:`gamekit.simulate`:
the step from ``t_j`` uses the phase in force at ``t_j`` (a phase that starts
between two grid times takes effect at the next one).

**Random numbers.**  The normal increment of noise source ``s`` of path ``n``
in step ``j`` is ``sqrt(h)`` times a standard normal computed from ``(seed,
path_offset + n, j, s)`` alone -- Philox4x32-10, a counter-based generator, and
Box-Muller (``gamekit._kernels.sde_numba``) -- so a path is the same, bit for
bit, whether it is computed alone or in a batch of a million, in any chunk, on
any number of threads, however the grid is split over calls of the kernel (the work goes to it in
pieces of ``CALL_WORK`` path-steps, each resuming from the state the last one left, so that progress shows and
Ctrl-C works; more than ``MAX_WORK`` path-steps in one call are refused).  ``rng`` gives the seed (an integer; a numpy Generator
or SeedSequence draws one; ``None`` draws one from the operating system, and
the result keeps it so that the run can be repeated).

**Probabilities.**  The stepper watches neighbourhoods ``{x : max_i |x_i -
target_i| <= radius}`` (max-norm over all shares) of *targets*: by default every
pure profile.  Per path and target it records the first grid time the path is
inside (``entered``) and outside (``exited``).  So for any ``T <= t_end``,
:meth:`NoisyPaths.hitting_probability` is the share of paths that reached the
neighbourhood by ``T`` and :meth:`NoisyPaths.leaving_probability` the share of
paths starting inside it that left by ``T``, each with its Wilson 95% interval
(:func:`gamekit.basins.wilson_interval`).  The neighbourhood is checked at the
grid times only, so an excursion between two of them is missed (the probability
of reaching a neighbourhood is underestimated by ``O(sqrt(h))``).  A path's
*outcome* is the first target whose neighbourhood holds its state at ``t_end``,
else ``"elsewhere"``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import _validate as check
from ._frozen import FrozenMap
from .basins import wilson_interval
from .errors import AnalysisError, ArgumentError, StateError
from .game import Game
from .schedule import Schedule
from .space import StateSpace

__all__ = ["Noise", "NoisyPaths", "HittingProbability", "simulate_noisy", "hitting_probability"]

FORMS = ("fudenberg-harris", "additive", "multiplicative")
SCHEMES = ("euler", "milstein")
DEFAULT_DT = 0.01
DEFAULT_RADIUS = 0.05
ELSEWHERE = "elsewhere"  # the outcome of a path whose final state is in no watched neighbourhood
MAX_STEPS = 2**48  # the generator's counter holds the step in 48 bits
MAX_T_END = 1e9
MAX_SEED = 2**64
MAX_TARGETS = 256  # pure profiles watched by default (beyond, name the targets)
MAX_PATHS = 10**8
MAX_WORK = 2 * 10**10
"""Most path-steps (paths times grid steps) of one call: about 10-30 minutes of computing on two cores.  Above it
the call is refused (:class:`~gamekit.errors.ArgumentError`): use fewer paths, a shorter ``t_end`` or a larger
``dt``, or split the paths over calls with ``path_offset``."""
CALL_WORK = 2**22
"""Path-steps per call of the compiled kernel (about 0.1-0.5 s): the work is split over paths and over time in
pieces of this size, so that the progress bar moves and Ctrl-C (KeyboardInterrupt) stops the run between two of
them.  The paths do not depend on it (module docstring, Random numbers)."""
PROGRESS_DELAY = 2.0
"""Seconds after which :func:`simulate_noisy` shows a progress bar unless told (``progress``)."""
# Grid times are j * h; a time T counts as reached at a grid time t <= T * (1 + TIME_SLACK) (rounding of j * h)
TIME_SLACK = 1e-12


def _noise_key(key: object) -> str:
    if not isinstance(key, str) or "." not in key:
        raise ArgumentError(f"noise keys must be 'population.strategy' strings, got {check.printable(repr(key), 60)}")
    return key


@dataclass(frozen=True)
class Noise:
    """Noise on the replicator dynamics (module docstring).

    Parameters
    ----------
    sigma
        ``{"population.strategy": sigma}``: each noised strategy and its noise size (finite, >= 0).
    form
        ``"fudenberg-harris"`` (aggregate shocks to payoffs, in log-ratio coordinates), ``"additive"``
        (``dx = F dt + sigma dW``) or ``"multiplicative"`` (``dx = F dt + sigma x dW``), the last two on the
        first share of two-strategy populations, absorbing at 0 and 1.
    scheme
        ``"euler"`` (Euler-Maruyama) or ``"milstein"``.
    dt
        Largest time step (> 0); the grid is ``t_end / ceil(t_end / dt)``.
    """

    sigma: Mapping[str, float]
    form: str = "fudenberg-harris"
    scheme: str = "euler"
    dt: float = DEFAULT_DT

    def __post_init__(self):
        if not isinstance(self.sigma, Mapping):
            raise ArgumentError(
                "noise must map 'population.strategy' to a noise size, e.g. {'platform.insure': 0.5}; got "
                f"{check.printable(repr(self.sigma), 60)}"
            )
        if not self.sigma:
            raise ArgumentError("noise names no strategy: give at least one 'population.strategy': sigma")
        sigma = {}
        for key, value in self.sigma.items():
            key = _noise_key(key)
            sigma[key] = check.real(f"the noise on {check.printable(key)}", value, low=0.0)
        object.__setattr__(self, "sigma", FrozenMap(sigma))
        object.__setattr__(self, "form", check.choice("noise form", self.form, FORMS))
        object.__setattr__(self, "scheme", check.choice("noise scheme", self.scheme, SCHEMES))
        object.__setattr__(self, "dt", check.real("dt", self.dt, low=0.0, low_open=True, high=MAX_T_END))

    @classmethod
    def of(cls, noise: Noise | Mapping[str, float]) -> Noise:
        """``noise`` itself, or Fudenberg-Harris noise with the default step from a mapping."""
        return noise if isinstance(noise, Noise) else cls(noise)

    def describe(self, step: float | None = None) -> str:
        """One line: ``"Fudenberg-Harris noise (platform.insure 0.5), Euler-Maruyama, dt = 0.01"``.

        Parameters
        ----------
        step
            The grid's step actually used (``t_end / ceil(t_end / dt)``), stated with ``dt`` where they differ
            visibly (``"dt = 5 (asked 100)"``, for ``dt`` beyond ``t_end``).
        """
        form = {"fudenberg-harris": "Fudenberg-Harris", "additive": "additive", "multiplicative": "multiplicative"}
        sizes = ", ".join(f"{check.printable(k)} {v:g}" for k, v in self.sigma.items())
        scheme = "Euler-Maruyama" if self.scheme == "euler" else "Milstein"
        dt = f"{self.dt:g}" if step is None or f"{step:g}" == f"{self.dt:g}" else f"{step:g} (asked {self.dt:g})"
        return f"{form[self.form]} noise ({sizes}), {scheme}, dt = {dt}"

    def to_json(self) -> dict:
        """``{"form", "scheme", "dt", "sigma": {key: sigma}}``."""
        return {"form": self.form, "scheme": self.scheme, "dt": self.dt, "sigma": dict(self.sigma)}


def _bind(game: Game, noise: Noise) -> tuple[np.ndarray, np.ndarray]:
    """Each strategy's noise size and source index (-1: none), over the game's D strategies; checked."""
    offsets = np.concatenate([[0], np.cumsum(game.shape)]).astype(int)
    sigma = np.zeros(int(offsets[-1]))
    source = np.full(int(offsets[-1]), -1, dtype=np.int64)
    names = {
        f"{pop.name}.{s}": int(offsets[p]) + i
        for p, pop in enumerate(game.populations)
        for i, s in enumerate(pop.strategies)
    }
    for key, value in noise.sigma.items():
        if key not in names:
            known = ", ".join(names)
            raise ArgumentError(
                f"noise on {check.printable(repr(key))}: no such strategy in this game (its strategies: {known})"
            )
        sigma[names[key]] = value
    if noise.form != "fudenberg-harris":
        if any(n != 2 for n in game.shape):
            raise ArgumentError(
                f"the {noise.form} form is for populations with two strategies (on the first one's share); "
                "this game has a population with more: use form='fudenberg-harris'"
            )
        for p, pop in enumerate(game.populations):
            a = int(offsets[p])
            if sigma[a] > 0 and sigma[a + 1] > 0:
                raise ArgumentError(
                    f"the {noise.form} form takes one noise per population, on one of its two strategies; "
                    f"{check.printable(pop.name)} has noise on both"
                )
    noised = np.flatnonzero(sigma > 0)
    source[noised] = np.arange(noised.size)
    return sigma, source


def _seed(rng) -> int:
    """The generator's 64-bit key from ``rng`` (module docstring)."""
    if rng is None:
        return int(np.random.SeedSequence().entropy) % MAX_SEED
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(0, MAX_SEED, dtype=np.uint64))
    if isinstance(rng, np.random.SeedSequence):
        return int(rng.generate_state(1, dtype=np.uint64)[0])
    return check.integer("rng", rng, minimum=0, maximum=MAX_SEED - 1)


def _grid(t_end: float, dt: float) -> tuple[int, float]:
    """Steps and step size of the grid ``t_end / ceil(t_end / dt)`` (a ratio within rounding of a whole number
    is that number)."""
    ratio = t_end / dt
    n = round(ratio)
    if abs(ratio - n) > 1e-9 * max(ratio, 1.0) or n == 0:
        n = math.ceil(ratio)
    if n > MAX_STEPS:
        raise ArgumentError(f"t_end / dt = {ratio:.3g} steps is more than {MAX_STEPS:.3g}: use a larger dt")
    return max(int(n), 1), t_end / max(int(n), 1)


def _targets(game: Game, space: StateSpace, targets) -> tuple[tuple[str, ...], np.ndarray]:
    """Names and full states of the watched targets: every pure profile by default, else ``targets`` (a state
    name or pure profile string, or ``{name: state}``)."""
    if targets is None:
        count = int(np.prod(game.shape))
        if count > MAX_TARGETS:
            return (), np.zeros((0, space.full_width))
        names, rows = [], []
        for idx in game.profiles():
            names.append(", ".join(game.profile_names(idx)))
            rows.append(np.concatenate([np.eye(n)[i] for n, i in zip(game.shape, idx)]))
        return tuple(names), np.array(rows)
    if isinstance(targets, str):
        targets = [targets]
    if not isinstance(targets, Mapping):
        items = []
        for t in targets if isinstance(targets, Sequence) else [targets]:
            if not isinstance(t, str):
                raise ArgumentError("targets must be state names, pure profiles, or a mapping {name: state}")
            items.append((t, t))
        targets = dict(items)
    names, rows = [], []
    for name, state in targets.items():
        if not isinstance(name, str):
            raise ArgumentError(f"target names must be strings, got {check.printable(repr(name), 60)}")
        if isinstance(state, str):
            try:
                idx = game.profile_index(state)
            except Exception:  # noqa: BLE001 - any failure to read the name is the same user error
                raise StateError(
                    f"target {check.printable(repr(state))} is neither a state name of this game nor a pure profile"
                ) from None
            row = np.concatenate([np.eye(n)[i] for n, i in zip(game.shape, idx)])
        else:
            row = space.one(state, name=f"target {check.printable(name)}")
        names.append(name)
        rows.append(row)
    if not names:
        raise ArgumentError("targets is empty: name at least one state (or leave targets=None)")
    return tuple(names), np.array(rows)


@dataclass(frozen=True)
class HittingProbability:
    """The probability of an event of noisy paths by a time, with its Wilson 95% interval.

    Attributes
    ----------
    event
        ``"reach"`` (a path comes within ``radius`` of ``target``) or ``"leave"`` (a path that started within
        it goes beyond it).
    target, by, radius
        The target's name, the time and the neighbourhood's radius (max-norm over the shares).
    paths, n
        Paths in which the event happened, and paths counted (for ``"leave"``: those that started inside).
    probability, ci_low, ci_high
        ``paths / n`` and its Wilson 95% interval.
    """

    event: str
    target: str
    by: float
    radius: float
    paths: int
    n: int
    probability: float
    ci_low: float
    ci_high: float

    def __str__(self) -> str:
        what = "reach" if self.event == "reach" else "leave"
        return (
            f"P({what} {check.printable(self.target)} (radius {self.radius:g}) by t = {self.by:g}) = "
            f"{self.probability:.3f} [{self.ci_low:.3f}, {self.ci_high:.3f}] ({self.paths} of {self.n} paths)"
        )

    def to_json(self) -> dict:
        """The fields as a JSON-ready dict."""
        return {
            "event": self.event,
            "target": self.target,
            "by": self.by,
            "radius": self.radius,
            "paths": self.paths,
            "n": self.n,
            "probability": self.probability,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
        }


@dataclass(frozen=True, eq=False)
class NoisyPaths:
    """The result of :func:`simulate_noisy` (``gk.simulate(..., noise=...)``).

    Attributes
    ----------
    t
        Output times (grid times nearest ``t_eval``), else ``[t_end]``.
    states
        Shares at ``t``, shape ``(N, len(t), d)``, in the game's coordinates; ``None`` without ``t_eval``.
    final
        Shares at ``t_end``, ``(N, d)``.
    noise, seed, path_offset
        The noise, the generator's seed and the index of the first path (a path is reproduced by the same
        seed and index).
    dt, steps
        The grid's step and its number of steps.
    wiener
        ``(N, S)``: each noise source's Wiener process at ``t_end`` (sources in the order of ``noise.sigma``
        with sigma > 0).
    target_names, targets, radius
        The watched states (full shares, ``(W, D)``) and the neighbourhoods' radius.
    entered, exited
        ``(N, W)``: first grid time within / beyond ``radius`` of each target (``inf``: never).
    absorbed
        ``(N, k)``: the time a population's share was absorbed at 0 or 1 (additive and multiplicative forms;
        ``inf``: never, always for Fudenberg-Harris noise).
    """

    game: Game = field(repr=False)
    t: np.ndarray = field(repr=False)
    states: np.ndarray | None = field(repr=False)
    final: np.ndarray = field(repr=False)
    noise: Noise = field(repr=False)
    seed: int = 0
    path_offset: int = 0
    t_end: float = 0.0
    dt: float = 0.0
    steps: int = 0
    wiener: np.ndarray = field(default=None, repr=False)
    target_names: tuple[str, ...] = field(default=(), repr=False)
    targets: np.ndarray = field(default=None, repr=False)
    radius: float = DEFAULT_RADIUS
    entered: np.ndarray = field(default=None, repr=False)
    exited: np.ndarray = field(default=None, repr=False)
    absorbed: np.ndarray = field(default=None, repr=False)
    final_full: np.ndarray = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return self.final.shape[0]

    @property
    def outcome(self) -> np.ndarray:
        """Per path: the first target whose neighbourhood holds its state at ``t_end``, else ``"elsewhere"``."""
        labels = np.array(list(self.target_names) + [ELSEWHERE], dtype=object)
        return labels[self._codes()]

    def _codes(self) -> np.ndarray:
        w = len(self.target_names)
        if w == 0:
            return np.zeros(self.n, dtype=np.int64)
        dist = np.max(np.abs(self.final_full[:, None, :] - self.targets[None, :, :]), axis=2)  # (N, W)
        inside = dist <= self.radius
        return np.where(inside.any(axis=1), np.argmax(inside, axis=1), w)

    def shares(self) -> dict[str, float]:
        """Share of paths per outcome at ``t_end``, largest first."""
        labels = list(self.target_names) + [ELSEWHERE]
        counts = np.bincount(self._codes(), minlength=len(labels))
        order = np.argsort(-counts, kind="stable")
        return {labels[i]: counts[i] / self.n for i in order if counts[i]}

    def to_frame(self):
        """A DataFrame of the outcomes at ``t_end``: ``outcome, paths, share, ci_low, ci_high`` (Wilson 95%)."""
        import pandas as pd

        rows = []
        for label, share in self.shares().items():
            k = int(round(share * self.n))
            lo, hi = wilson_interval(k, self.n)
            rows.append({"outcome": label, "paths": k, "share": share, "ci_low": lo, "ci_high": hi})
        frame = pd.DataFrame(rows, columns=["outcome", "paths", "share", "ci_low", "ci_high"])
        frame.attrs["t_end"] = self.t_end
        frame.attrs["n"] = self.n
        return frame

    def _target(self, target: str) -> int:
        if isinstance(target, str):
            if target in self.target_names:
                return self.target_names.index(target)
            if target in self.game.states:  # a state name: its pure profile
                label = ", ".join(self.game.states[target])
                if label in self.target_names:
                    return self.target_names.index(label)
        known = "; ".join(check.printable(n) for n in self.target_names) or "none"
        named = [s for s, prof in self.game.states.items() if ", ".join(prof) in self.target_names]
        by_name = f" or a state name of one of them ({', '.join(check.printable(s) for s in named)})" if named else ""
        raise ArgumentError(
            f"{check.printable(repr(target))} is not a watched target of these paths (watched: {known}): pass one "
            f"of these{by_name}; to watch another state (a state name or a pure profile of the game), simulate "
            "with gamekit.stochastic.simulate_noisy(..., targets=[...])"
        )

    def _by(self, by: float | None) -> float:
        if by is None:
            return self.t_end
        return check.real("by", by, low=0.0, high=self.t_end)

    def hitting_probability(self, target: str, by: float | None = None) -> HittingProbability:
        """The probability that a path comes within ``radius`` of ``target`` by time ``by`` (default ``t_end``).

        Parameters
        ----------
        target
            A watched target: a pure profile (``"regulate, evade, accept"``), a state name (``"trap"``) or a
            name given in ``targets``.
        by
            The time (``0 <= by <= t_end``).
        """
        w = self._target(target)
        by = self._by(by)
        hit = self.entered[:, w] <= by * (1 + TIME_SLACK)
        return self._probability("reach", w, by, int(hit.sum()), self.n)

    def leaving_probability(self, target: str, by: float | None = None) -> HittingProbability:
        """The probability that a path that starts within ``radius`` of ``target`` is beyond it at some grid
        time by ``by`` (default ``t_end``); counted over the paths that start inside.

        Parameters
        ----------
        target
            A watched target (see :meth:`hitting_probability`).
        by
            The time (``0 <= by <= t_end``).
        """
        w = self._target(target)
        by = self._by(by)
        inside = self.entered[:, w] == 0.0
        if not inside.any():
            raise ArgumentError(
                f"no path starts within radius {self.radius:g} of {check.printable(self.target_names[w])}: "
                "nothing can leave it"
            )
        left = inside & (self.exited[:, w] <= by * (1 + TIME_SLACK))
        return self._probability("leave", w, by, int(left.sum()), int(inside.sum()))

    def _probability(self, event: str, w: int, by: float, k: int, n: int) -> HittingProbability:
        lo, hi = wilson_interval(k, n)
        return HittingProbability(event, self.target_names[w], by, self.radius, k, n, k / n, lo, hi)

    def probability_curve(self, target: str, times: Sequence[float] | np.ndarray | None = None, *, leave: bool = False):
        """A DataFrame ``t, probability, ci_low, ci_high, paths, n``: the probability of reaching ``target`` (or,
        with ``leave=True``, of leaving it) by each time, as :meth:`hitting_probability` gives it.

        Parameters
        ----------
        target
            A watched target (see :meth:`hitting_probability`).
        times
            Increasing times within ``[0, t_end]`` (default: 101 evenly spaced).
        leave
            Leaving instead of reaching (over the paths that start inside).
        """
        import pandas as pd

        leave = check.flag("leave", leave)
        times = np.linspace(0.0, self.t_end, 101) if times is None else _curve_times(times, self.t_end)
        rows = [(self.leaving_probability(target, t) if leave else self.hitting_probability(target, t)) for t in times]
        frame = pd.DataFrame(
            {
                "t": times,
                "probability": [r.probability for r in rows],
                "ci_low": [r.ci_low for r in rows],
                "ci_high": [r.ci_high for r in rows],
                "paths": [r.paths for r in rows],
                "n": [r.n for r in rows],
            }
        )
        frame.attrs["target"] = rows[0].target if rows else target
        frame.attrs["event"] = "leave" if leave else "reach"
        return frame

    def plot_probability(
        self, target: str, *, leave: bool = False, times: Sequence[float] | np.ndarray | None = None,
        ax: object | None = None,
    ):  # fmt: skip
        """Draw :meth:`probability_curve` (the probability and its Wilson 95% band against time) with
        :func:`gamekit.plot.hitting_probability`; returns the matplotlib Figure.

        Parameters
        ----------
        target, leave, times
            As for :meth:`probability_curve`.
        ax
            A matplotlib Axes to draw on (default: a new figure).
        """
        from . import plot

        return plot.hitting_probability(self, target, leave=leave, times=times, ax=ax)

    def reached(self, by: float | None = None):
        """A DataFrame: for every watched target, the probability of reaching it by ``by`` (default ``t_end``):
        ``target, paths, probability, ci_low, ci_high``.

        Parameters
        ----------
        by
            The time (``0 <= by <= t_end``).
        """
        import pandas as pd

        rows = [self.hitting_probability(name, by).to_json() for name in self.target_names]
        frame = pd.DataFrame(rows, columns=["target", "paths", "probability", "ci_low", "ci_high"])
        frame.attrs["by"] = self._by(by)
        return frame

    @property
    def absorptions(self) -> dict[str, int]:
        """Per population: the paths in which its share was absorbed at 0 or 1 (additive and multiplicative
        forms; none for Fudenberg-Harris noise)."""
        hit = np.isfinite(self.absorbed)
        return {pop.name: int(hit[:, p].sum()) for p, pop in enumerate(self.game.populations)}

    def to_json(self) -> dict:
        """Outcomes at ``t_end``, probabilities of reaching each target by ``t_end``, absorptions."""
        frame = self.to_frame()
        return {
            "noise": self.noise.to_json(),
            "seed": self.seed,
            "paths": self.n,
            "t_end": self.t_end,
            "dt": self.dt,
            "radius": self.radius,
            "outcomes": [
                {
                    "outcome": r.outcome,
                    "share": float(r.share),
                    "ci_low": float(r.ci_low),
                    "ci_high": float(r.ci_high),
                    "paths": int(r.paths),
                }
                for r in frame.itertuples()
            ],
            "reached": [
                {
                    k: v
                    for k, v in self.hitting_probability(name).to_json().items()
                    if k not in ("event", "radius", "by")
                }
                for name in self.target_names
            ],
            "absorbed": self.absorptions,
        }

    def __repr__(self) -> str:
        parts = ", ".join(f"{s:.1%} {check.printable(k)}" for k, s in self.shares().items())
        absorbed = sum(self.absorptions.values())
        tail = f"; {absorbed} absorptions at the boundary" if self.noise.form != "fudenberg-harris" else ""
        return (
            f"NoisyPaths({self.n} paths to t={self.t_end:g}, {self.noise.describe(self.dt)}, seed {self.seed}: "
            f"{parts}{tail})"
        )

    def _repr_html_(self) -> str:
        import html

        head = f"<p>{html.escape(repr(self))}</p>"
        return head + self.to_frame().to_html(index=False)


def _curve_times(times, t_end: float) -> np.ndarray:
    arr = check.floats(times, "times must be increasing times within [0, t_end]")
    if arr.ndim != 1 or arr.size == 0 or np.any(~np.isfinite(arr)) or np.any(np.diff(arr) <= 0):
        raise ArgumentError("times must be a non-empty sequence of increasing times within [0, t_end]")
    if arr[0] < 0 or arr[-1] > t_end:
        raise ArgumentError(f"times must lie within [0, t_end = {t_end:g}]")
    return arr


def _rhs(game: Game, values: np.ndarray):
    """The compiled right-hand side for ``game`` and the (S, R, k, P) array it reads (parameter rows ``values``
    (S, R, J) of S segments)."""
    from ._kernels import cache, rhs_codegen
    from ._kernels.primitives import LANES
    from .simulate import _field_rows, _payoff_rows, field_of

    cache.folder()  # raises for an unsafe $GAMEKIT_CACHE_DIR, before anything is imported from it
    if game.multilinear:
        pay = _payoff_rows(game, values)
        rhs = rhs_codegen.load(game.shape, LANES)
        if rhs is None:
            from ._kernels.rhs_generic import rhs_generic as rhs
        return rhs, pay
    fld = field_of(game)
    pay = _field_rows(game, fld, values)
    rhs = fld.load(LANES)
    if rhs is None:
        raise AnalysisError(
            "this model's payoffs are too large to compile (rhs_field.MAX_OPERATIONS): noisy paths need the "
            "compiled kernel"
        )
    return rhs, pay


def simulate_noisy(
    game: Game,
    initial: np.ndarray | Sequence[Sequence[float]],
    t_end: float,
    *,
    noise: Noise | Mapping[str, float],
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
    t_eval: np.ndarray | Sequence[float] | None = None,
    parameters: Mapping[str, Sequence[float] | np.ndarray | float] | None = None,
    progress: bool | None = None,
    schedule: Schedule | str | Sequence | Mapping | None = None,
    targets: str | Sequence[str] | Mapping[str, object] | None = None,
    radius: float = DEFAULT_RADIUS,
    path_offset: int = 0,
    chunk: int = 100_000,
    threads: int | None = None,
) -> NoisyPaths:
    """Noisy paths of the replicator dynamics from every row of ``initial`` (module docstring).

    Parameters
    ----------
    game
        The game (every parameter with a value, here or in ``parameters``).
    initial
        ``(N, d)`` states, as for :func:`gamekit.simulate`; one path per row.
    t_end
        Final time (> 0).
    noise
        ``{"population.strategy": sigma}`` (Fudenberg-Harris noise, ``dt = 0.01``) or a :class:`Noise`.
    rng
        The seed: an integer in ``[0, 2^64)``, a numpy Generator or SeedSequence (draws one), or ``None``
        (a fresh one; kept in the result).
    t_eval
        Times at which to store the states (increasing, within ``[0, t_end]``; the nearest grid times).
    parameters
        ``{param: array of N values}``: parameters that vary per path.
    progress
        Show a progress bar (in path-steps): ``True``, ``False``, or ``None`` (default) once the run has taken
        ``PROGRESS_DELAY`` seconds.  The work goes to the compiled kernel in pieces of ``CALL_WORK`` path-steps,
        so the bar moves and Ctrl-C stops the run between two of them; more than ``MAX_WORK`` path-steps (paths
        times ``ceil(t_end / dt)``) are refused.
    schedule
        Parameter changes at increasing times, as for :func:`gamekit.simulate`; a phase that starts at ``s``
        takes effect from the first grid time at or after ``s``.
    targets
        The states whose neighbourhoods are watched: a state name or pure profile, a list of them, or
        ``{name: state}``; default every pure profile (at most ``MAX_TARGETS``).
    radius
        The neighbourhoods' radius, max-norm over the shares (in ``(0, 1)``).
    path_offset
        The index of the first path (its random numbers are those of path ``path_offset + n``): computing
        ``initial[537:538]`` with ``path_offset=537`` reproduces path 537 of the whole batch.
    chunk
        Paths advanced together (memory; results do not depend on it); they go to the kernel in pieces of
        ``CALL_WORK`` path-steps over time.
    threads
        Threads (default: every core; results do not depend on it).

    Returns
    -------
    NoisyPaths
        The paths' final states (and states at ``t_eval``), the watched targets' entry and exit times, the
        absorptions, the seed: outcome shares and hitting probabilities with Wilson intervals.
    """
    from ._kernels.layout import tables
    from .simulate import _segments, _times

    check.game(game)
    noise = Noise.of(noise)
    space = StateSpace(game.shape, tuple(p.name for p in game.populations))
    full = space.full(initial, name="initial")
    n = full.shape[0]
    if n > MAX_PATHS:
        raise ArgumentError(f"at most {MAX_PATHS} paths in one call, got {n}")
    t_end = check.real("t_end", t_end, low=0.0, high=MAX_T_END, low_open=True)
    sigma, source = _bind(game, noise)
    seed = _seed(rng)
    radius = check.real("radius", radius, low=0.0, high=1.0, low_open=True, high_open=True)
    path_offset = check.integer("path_offset", path_offset, minimum=0, maximum=2**62)
    chunk = check.integer("chunk", chunk, minimum=1)
    if threads is not None:
        threads = check.integer("threads", threads, minimum=1)
    if progress is not None:
        progress = check.flag("progress", progress)
    n_steps, h = _grid(t_end, noise.dt)
    if n * n_steps > MAX_WORK:
        raise ArgumentError(
            f"{n} paths x {n_steps:.3g} steps (t_end / dt) = {n * n_steps:.3g} path-steps is more than the work "
            f"budget MAX_WORK = {MAX_WORK:.3g}: use fewer paths, a shorter t_end or a larger dt"
        )
    te = _times(t_eval, t_end)
    out_steps = np.minimum(np.round(te / h).astype(np.int64), n_steps)
    names, tgt = _targets(game, space, targets)
    bounds, values = _segments(game, t_end, schedule, parameters, n)
    rhs, pay = _rhs(game, values)
    off, _, others, flat, nq = tables(game.shape)
    from ._kernels import sde_numba

    form = FORMS.index(noise.form)
    scheme = SCHEMES.index(noise.scheme)
    final = np.empty((n, space.full_width))
    states = np.empty((n, te.size, space.full_width))
    n_source = int(np.sum(source >= 0))
    wiener = np.empty((n, n_source))
    entered = np.empty((n, len(names)))
    exited = np.empty((n, len(names)))
    absorbed = np.empty((n, len(game.shape)))
    per_path = pay.shape[1] > 1
    bar = None
    if progress is not False:  # None: shown once the run has taken PROGRESS_DELAY seconds
        from tqdm.auto import tqdm

        bar = tqdm(
            total=n * (n_steps + 1), desc="noisy paths", unit="step", unit_scale=True,
            delay=0 if progress else PROGRESS_DELAY,
        )  # fmt: skip
    try:
        for a in range(0, n, chunk):
            b = min(a + chunk, n)
            x0 = np.ascontiguousarray(full[a:b])
            p_chunk = np.ascontiguousarray(pay[:, a:b] if per_path else pay)
            span = max(1, CALL_WORK // (b - a))  # grid times per kernel call
            buffers = None
            for j0 in range(0, n_steps + 1, span):
                j1 = min(j0 + span, n_steps + 1)
                with np.errstate(all="ignore"):
                    buffers = sde_numba.integrate(
                        rhs, x0, p_chunk, bounds, off, others, flat, nq,
                        seed=np.uint64(seed), path_offset=path_offset + a, form=form, scheme=scheme, sigma=sigma,
                        source=source, n_steps=n_steps, t_end=t_end, out_steps=out_steps, targets=tgt,
                        radius=radius, threads=threads, j_start=j0, j_stop=j1, buffers=buffers,
                    )  # fmt: skip
                if bar is not None:
                    bar.update((b - a) * (j1 - j0))
            final[a:b], states[a:b], wiener[a:b], entered[a:b], exited[a:b], absorbed[a:b] = buffers[:6]
    finally:
        if bar is not None:
            bar.close()
    if not np.all(np.isfinite(final)):
        raise AnalysisError(
            "a path produced a share that is not a finite number (payoffs too large for double precision, or "
            "undefined where a path went?); rescale the payoffs or use a smaller dt"
        )
    return NoisyPaths(
        game=game,
        t=out_steps * h if te.size else np.array([t_end]),
        states=space.coordinates(states) if te.size else None,
        final=space.coordinates(final),
        noise=noise,
        seed=seed,
        path_offset=path_offset,
        t_end=t_end,
        dt=h,
        steps=n_steps,
        wiener=wiener,
        target_names=names,
        targets=tgt,
        radius=radius,
        entered=entered,
        exited=exited,
        absorbed=absorbed,
        final_full=final,
    )


def hitting_probability(
    game: Game,
    initial: np.ndarray | Sequence[Sequence[float]],
    t_end: float,
    target: str | Mapping[str, object],
    *,
    noise: Noise | Mapping[str, float],
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
    by: float | None = None,
    leave: bool = False,
    radius: float = DEFAULT_RADIUS,
    parameters: Mapping[str, Sequence[float] | np.ndarray | float] | None = None,
    progress: bool | None = None,
    schedule: Schedule | str | Sequence | Mapping | None = None,
) -> HittingProbability:
    """The probability that noisy paths from ``initial`` reach ``target``'s neighbourhood by ``by`` (or, with
    ``leave=True``, that paths starting inside it leave it), with a Wilson 95% interval.

    Parameters
    ----------
    game, initial, t_end, noise, rng, radius, parameters, progress, schedule
        As for :func:`simulate_noisy`.
    target
        A state name (``"trap"``), a pure profile, or ``{name: state}`` with one entry.
    by
        The time (default ``t_end``).
    leave
        The probability of leaving instead of reaching.

    Returns
    -------
    HittingProbability
        The probability, its Wilson 95% interval, and the counts of paths behind it.
    """
    leave = check.flag("leave", leave)
    if not isinstance(target, (str, Mapping)) or (isinstance(target, Mapping) and len(target) != 1):
        raise ArgumentError("target must be one state: a state name, a pure profile, or {name: state}")
    paths = simulate_noisy(
        game, initial, t_end, noise=noise, rng=rng, parameters=parameters, progress=progress, schedule=schedule,
        targets=target, radius=radius,
    )  # fmt: skip
    name = paths.target_names[0]
    return paths.leaving_probability(name, by) if leave else paths.hitting_probability(name, by)
