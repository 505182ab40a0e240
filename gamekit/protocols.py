r"""Revision protocols: the dynamics a population follows, beside the replicator.

Population ``p`` has strategies ``i, j`` in ``p`` (``n_p`` of them), shares ``x_i`` (summing to one in ``p``)
and payoffs ``u_i`` (:func:`gamekit.dynamics.expected_payoffs`); ``ubar_p = sum_{j in p} x_j u_j`` and
``[a]_+ = max(a, 0)``.  The five dynamics (:class:`Dynamics`, spelled ``"replicator"``, ``"logit:ETA"``,
``"smith"``, ``"bnn"``, ``"replicator-mutator:MU"``) are::

    replicator:             xdot_i = x_i (u_i - ubar_p)
    logit:ETA:              xdot_i = exp(u_i/ETA) / sum_j exp(u_j/ETA) - x_i
    smith:                  xdot_i = sum_j x_j [u_i - u_j]_+  -  x_i sum_j [u_j - u_i]_+
    bnn:                    xdot_i = [u_i - ubar_p]_+  -  x_i sum_j [u_j - ubar_p]_+
    replicator-mutator:MU:  xdot_i = (1 - MU) x_i (u_i - ubar_p) + MU (1/n_p - x_i)

(:func:`velocity` evaluates them on many states at once.)  In every one the components of ``xdot`` sum to
zero in each population, so each simplex's affine hull is invariant, and the simplex itself is: at
``x_i = 0`` every ``xdot_i`` is ``>= 0``.  Off the simplex (where an integrator's stages fall, by rounding)
:func:`velocity` reads the outflow terms ``x_i`` of logit, BNN and the mutation, and the mutator's and the
replicator's ``ubar_p``, at the normalised shares ``x_i / sum_{j in p} x_j`` (BNN's ``ubar_p`` is ``u_1 + sum_j
x_j (u_j - u_1)``, as the compiled stage writes it), so that the components still sum to zero and every
Runge-Kutta stage keeps each population's sum exactly.  Written with ``x_i``, logit's sum would relax at rate 1 (an eigenvalue -1 across
the simplex, and ``-ubar_p`` under BNN, the mutator and the replicator, unstable where ``ubar_p < 0``): explicit
steps stay within its stability limit, a step of about 3, however slowly the orbit itself moves.  Only payoff
*differences* within a population matter: adding to ``u_p`` a constant, or any function of the other
populations' shares, leaves every field unchanged (the logit field after the softmax's normalisation, the others
term by term).

**Replicator** (imitation of the better, Taylor & Jonker 1978): the default and the only dynamics whose
rest points are exact faces of :mod:`gamekit.equilibria`; strategies never used stay unused.

**Logit** with noise ``ETA > 0`` (a smoothed best response, Fudenberg & Levine 1998): every revising agent
picks ``i`` with probability ``exp(u_i/ETA) / sum_j exp(u_j/ETA)`` (evaluated max-shifted, so no overflow).
Its rest points are the *logit quantal response equilibria* (McKelvey & Palfrey 1995),
``x_p = softmax(u_p(x)/ETA)``; they are all interior.  In the log-ratio coordinates
``w_i = log(x_i / x_{last})`` of a population they solve ``w_i = (u_i - u_last)/ETA``, which is how
:mod:`gamekit.equilibria.smooth` finds them.  The field is smooth (analytic for analytic payoffs), so
linearisation decides stability wherever the Jacobian is hyperbolic.  As ``ETA -> infinity`` the only
rest point is the uniform state; as ``ETA -> 0`` the QRE approach Nash equilibria, and the one on the
branch connected to the uniform state (the *principal branch*) selects one of them.

**Smith** (pairwise comparison, Smith 1984) and **Brown-von Neumann-Nash** (excess payoff, Brown & von
Neumann 1950): agents switch only to strategies that earn more, at a rate proportional to the excess.
Both are *Nash stationary*: ``xdot = 0`` exactly at the Nash equilibria of the game as played at ``x``
(Hofbauer & Sandholm 2009, Sandholm 2010 ch. 5), so their rest points are the Nash equilibria.  The
fields are Lipschitz but not differentiable where two payoffs tie (Smith) or a payoff ties the average
(BNN) -- at every Nash equilibrium that is not strict -- so no eigenvalue is defined there.  What *is*
known: in a *stable game* (the payoff Jacobian ``Du(x)`` negative semidefinite on the tangent space of
the state space, at every ``x``) the set of Nash equilibria is globally asymptotically stable under
both (Hofbauer & Sandholm 2009); at a strict Nash equilibrium the Smith field is differentiable and its
linearisation is hyperbolic and stable, while the BNN field has a zero Jacobian there (the excess payoff
of the equilibrium strategy vanishes to first order) but ``1 - x_s`` of each population is a strict
Lyapunov function nearby (every unused share has ``xdot_i = -x_i sum_j [u_j - ubar_p]_+ < 0``), so it is
asymptotically stable too.  Elsewhere only simulation says what orbits do (Smith orbits of
rock-paper-scissors with a loss larger than the win approach a limit cycle).

**Replicator-mutator** with mutation rate ``MU`` in ``[0, 1]``: a share ``1 - MU`` of revisions follows the
replicator, a share ``MU`` picks a strategy uniformly at random.  This *uniform-mutation* form is written
on the payoff differences ``u_i - ubar_p``, so it keeps every simplex invariant whatever the sign of the
payoffs and is unchanged by adding a constant to a population's payoffs.  The Page-Nowak form
``xdot_i = sum_j x_j u_j Q_ji - x_i ubar_p`` (fitness ``u_j`` times mutation matrix ``Q``) is *not* used: it
needs positive payoffs (with a negative ``u_j`` the inflow ``x_j u_j Q_ji`` is negative and shares leave
``[0, 1]``) and a constant added to the payoffs changes its orbits and rest points.  ``MU = 0`` is the
replicator; for ``MU > 0`` every rest point is interior (at ``x_i = 0``, ``xdot_i = MU/n_p > 0``) and the
field is a polynomial in the shares and payoffs, so linearisation decides stability wherever hyperbolic.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ._validate import printable
from .dynamics import jacobian_from
from .errors import ArgumentError

__all__ = ["Dynamics", "REPLICATOR", "KINDS", "parse_dynamics", "velocity"]

KINDS = ("replicator", "logit", "smith", "bnn", "replicator-mutator")
_PARAMETER = {"logit": "eta", "replicator-mutator": "mu"}
_SPELLING = "replicator, logit:ETA, smith, bnn, replicator-mutator:MU"


def _number(x: float) -> str:
    """A float as the shortest text that reads back to it (``2`` rather than ``2.0``)."""
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def _check_eta(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction, np.integer, np.floating)):
        raise ArgumentError(f"the logit noise eta must be a number, got {printable(repr(value), 40)}")
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise ArgumentError(f"the logit noise eta must be a finite number > 0, got {printable(repr(value), 40)}")
    if v < sys.float_info.min:  # subnormal: u/eta overflows for any payoff difference above about 1e-16
        raise ArgumentError(f"the logit noise eta must be at least {sys.float_info.min:g}, got {_number(v)}")
    return v


ETA_FLOOR = 1e-12
"""The smallest logit noise relative to the payoff scale: below ``ETA_FLOOR * scale`` the unused shares
``exp(-Delta/ETA)`` of every QRE are 0 in double precision (so the QRE are Nash equilibria) and ``u/ETA``
leaves the range where steps in log-ratios are resolved."""


def check_logit_scale(dyn: Dynamics, scale: float) -> None:
    """Refuse (one line) a logit ``dyn`` whose noise is below ``ETA_FLOOR`` times the payoff scale ``scale``."""
    if dyn.kind != "logit" or not math.isfinite(scale) or scale <= 0:
        return
    if dyn.eta < ETA_FLOOR * scale:
        raise ArgumentError(
            f"{dyn}: eta must be at least {ETA_FLOOR:g} times the payoff scale {scale:.3g} (eta >= "
            f"{ETA_FLOOR * scale:.3g}); below it every QRE is a Nash equilibrium to double precision "
            "(dynamics='smith' or 'bnn' has the Nash equilibria as rest points)"
        )


def _check_mu(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction, np.integer, np.floating)):
        raise ArgumentError(f"the mutation rate mu must be a number, got {printable(repr(value), 40)}")
    v = float(value)
    if not math.isfinite(v) or not 0.0 <= v <= 1.0:
        raise ArgumentError(f"the mutation rate mu must be in [0, 1], got {printable(repr(value), 40)}")
    return v + 0.0  # -0.0 -> 0.0


@dataclass(frozen=True)
class Dynamics:
    """A revision protocol: ``kind`` one of :data:`KINDS`, with the logit noise ``eta`` or the mutation rate ``mu``.

    ``Dynamics("logit", eta=0.5)`` is the same as ``parse_dynamics("logit:0.5")``; ``str`` gives that spec back.
    The module docstring has the fields and what is known of their rest points and stability.

    Parameters
    ----------
    kind
        ``"replicator"``, ``"logit"``, ``"smith"``, ``"bnn"`` or ``"replicator-mutator"``.
    eta
        The logit noise, a finite number ``> 0`` (logit only).
    mu
        The mutation rate, in ``[0, 1]`` (replicator-mutator only).
    """

    kind: str = "replicator"
    eta: float | None = None
    mu: float | None = None

    def __post_init__(self):
        if not isinstance(self.kind, str) or self.kind not in KINDS:
            raise ArgumentError(f"unknown dynamics {printable(repr(self.kind), 40)} (known: {_SPELLING})")
        if self.kind == "logit":
            if self.eta is None:
                raise ArgumentError("the logit dynamics needs its noise eta, e.g. logit:0.5")
            object.__setattr__(self, "eta", _check_eta(self.eta))
        elif self.eta is not None:
            raise ArgumentError(f"eta is the logit noise; the {self.kind} dynamics takes no eta")
        if self.kind == "replicator-mutator":
            if self.mu is None:
                raise ArgumentError(
                    "the replicator-mutator dynamics needs its mutation rate mu, e.g. replicator-mutator:0.01"
                )
            object.__setattr__(self, "mu", _check_mu(self.mu))
        elif self.mu is not None:
            raise ArgumentError(f"mu is the mutation rate; the {self.kind} dynamics takes no mu")

    @property
    def smooth(self) -> bool:
        """Whether the field is smooth in the shares and payoffs (replicator, logit, replicator-mutator)."""
        return self.kind in ("replicator", "logit", "replicator-mutator")

    @property
    def interior(self) -> bool:
        """Whether every rest point is interior (logit; the replicator-mutator with ``mu > 0``): no state with a
        share exactly zero is one, however close to a face a rest point comes."""
        return self.kind == "logit" or (self.kind == "replicator-mutator" and (self.mu or 0.0) > 0.0)

    @property
    def parameter(self) -> float | None:
        """``eta`` for logit, ``mu`` for the replicator-mutator, else None."""
        return self.eta if self.kind == "logit" else self.mu if self.kind == "replicator-mutator" else None

    def __str__(self) -> str:
        p = self.parameter
        return self.kind if p is None else f"{self.kind}:{_number(p)}"


REPLICATOR = Dynamics("replicator")


_NUMBER = re.compile(r"[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|\d+/\d+|inf|infinity|nan)\Z", re.IGNORECASE)


def _parameter_value(kind: str, text: str) -> float:
    what = "the logit noise eta" if kind == "logit" else "the mutation rate mu"
    t = text.strip()
    if not _NUMBER.match(t):  # float() alone would read "1_0" as 10
        raise ArgumentError(f"{what} must be a number (a decimal or a fraction p/q), got {printable(repr(t), 40)}")
    try:
        value = Fraction(t) if "/" in t else float(t)
    except (ValueError, ZeroDivisionError):
        raise ArgumentError(f"{what} must be a number, got {printable(repr(t), 40)}") from None
    return value


def parse_dynamics(spec: str | Dynamics | None) -> Dynamics:
    """The :class:`Dynamics` named by ``spec``: ``None`` (the replicator), a :class:`Dynamics`, or text.

    Text is ``"replicator"``, ``"logit:ETA"``, ``"smith"``, ``"bnn"`` or ``"replicator-mutator:MU"`` (case and
    ``-``/``_`` do not matter; ``ETA`` and ``MU`` may be fractions such as ``1/4``).  An unknown name, a missing
    or extra parameter, ``ETA <= 0`` or not finite, and ``MU`` outside ``[0, 1]`` raise an
    :class:`~gamekit.ArgumentError` with a one-line message.

    Parameters
    ----------
    spec
        The dynamics, as above.

    Returns
    -------
    Dynamics
        The protocol, with its ``kind`` and its parameter (``eta`` or ``mu``).
    """
    if spec is None:
        return REPLICATOR
    if isinstance(spec, Dynamics):
        return spec
    if not isinstance(spec, str):
        raise ArgumentError(
            f"dynamics must be a name such as 'logit:0.5' or a gamekit Dynamics, got {type(spec).__name__}"
        )
    name, sep, param = spec.strip().partition(":")
    kind = name.strip().lower().replace("_", "-")
    if kind not in KINDS:
        raise ArgumentError(f"unknown dynamics {printable(repr(spec), 40)} (known: {_SPELLING})")
    if kind in _PARAMETER:
        if not sep or not param.strip():
            example = "logit:0.5" if kind == "logit" else "replicator-mutator:0.01"
            raise ArgumentError(f"the {kind} dynamics needs its parameter {_PARAMETER[kind]}, e.g. {example}")
        return Dynamics(kind, **{_PARAMETER[kind]: _parameter_value(kind, param)})
    if sep:
        raise ArgumentError(f"the {kind} dynamics takes no parameter, got {printable(repr(spec), 40)}")
    return Dynamics(kind)


def velocity(dyn: Dynamics, x, u, off) -> np.ndarray:
    """``xdot`` (M, D) of the dynamics ``dyn`` at full shares ``x`` (M, D) with payoffs ``u`` (M, D).

    Vectorised over rows (a single state (D,) gives (D,)); ``off`` are the population offsets
    (``k + 1`` integers, ``x[:, off[p]:off[p + 1]]`` is population ``p``).  Only payoff differences
    within a population matter.  The formulas are in the module docstring; the logit softmax is
    evaluated max-shifted, so large ``u/eta`` do not overflow.

    Parameters
    ----------
    dyn
        The dynamics (:func:`parse_dynamics` gives one from text).
    x
        Full shares, one row per state.
    u
        Each strategy's payoff at that state, same shape as ``x``.
    off
        Population offsets into the columns.
    """
    x = np.asarray(x, dtype=float)
    u = np.asarray(u, dtype=float)
    single = x.ndim == 1
    x2, u2 = np.atleast_2d(x), np.atleast_2d(u)
    if x2.shape != u2.shape:
        raise ArgumentError(f"x and u must have the same shape, got {x.shape} and {u.shape}")
    off = [int(o) for o in off]
    if off[0] != 0 or off[-1] != x2.shape[1] or any(b <= a for a, b in zip(off, off[1:])):
        raise ArgumentError(f"off must run from 0 to {x2.shape[1]} in increasing steps, got {off}")
    out = np.empty_like(x2)
    kind = dyn.kind
    for a, b in zip(off, off[1:]):
        xs, us = x2[:, a:b], u2[:, a:b]
        if kind == "smith":
            gap = us[:, :, None] - us[:, None, :]  # gap[m, i, j] = u_i - u_j
            inflow = np.einsum("mj,mij->mi", xs, np.maximum(gap, 0.0))
            outflow = xs * np.sum(np.maximum(-gap, 0.0), axis=2)
            out[:, a:b] = inflow - outflow
            continue
        xn = xs / np.sum(xs, axis=1, keepdims=True)  # (xs on the simplex; off it, every field sums to zero)
        if kind == "logit":
            z = us / dyn.eta
            z = z - np.max(z, axis=1, keepdims=True)
            e = np.exp(z)
            out[:, a:b] = e / np.sum(e, axis=1, keepdims=True) - xn
            continue
        if kind == "bnn":  # (its outflow at xn makes it sum to zero; ubar as the compiled stage has it: at xs, on
            # the differences from the first strategy's payoff)
            ubar = us[:, :1] + np.sum(xs * (us - us[:, :1]), axis=1, keepdims=True)
        else:
            ubar = np.sum(xn * us, axis=1, keepdims=True)
        if kind == "bnn":
            excess = np.maximum(us - ubar, 0.0)
            out[:, a:b] = excess - xn * np.sum(excess, axis=1, keepdims=True)
        elif kind == "replicator-mutator":
            n = b - a
            out[:, a:b] = (1.0 - dyn.mu) * xs * (us - ubar) + dyn.mu * (1.0 / n - xn)
        else:
            out[:, a:b] = xs * (us - ubar)
    return out[0] if single else out


def velocity_jacobian(dyn: Dynamics, x, u, du, off) -> np.ndarray:
    r"""The tangent Jacobian ``(M, d, d)`` of a smooth dynamics' :func:`velocity` at full shares ``x`` (M, D).

    ``u`` (M, D) are the payoffs at ``x`` and ``du`` (M, D, D) their derivatives, ``du[:, a, b] = d u_a / d x_b``
    (:func:`gamekit.dynamics.general_field`); ``off`` the population offsets, as for :func:`velocity`.  A single
    state (``x`` (D,), ``du`` (D, D)) gives ``(d, d)``.  With ``F`` the velocity and ``J_rep`` the replicator's
    derivative (:func:`gamekit.dynamics.jacobian_from`)::

        replicator-mutator:MU:  dF_a/dx_b = (1 - MU) J_rep[a, b] - MU delta_ab
        logit:ETA:              dF_a/dx_b = sum_{c in p} (s_a delta_ac - s_a s_c) / ETA * du[c, b] - delta_ab,
                                s = softmax(u_p / ETA) (max-shifted), a in population p

    (the replicator is ``MU = 0``).  The tangent Jacobian keeps each population's first ``n_p - 1`` rows and, as
    columns, ``d/dx_m - d/dx_last`` of each population (the coordinates of :func:`gamekit.dynamics.jacobian_from`;
    the ``- delta_ab`` terms become ``- I``).  Smith and BNN are not differentiable where payoffs tie, so they are
    refused (:class:`~gamekit.errors.ArgumentError`).

    Parameters
    ----------
    dyn
        A smooth dynamics (``dyn.smooth``).
    x
        Full shares, one row per state.
    u
        Each strategy's payoff at that state, same shape as ``x``.
    du
        The payoffs' derivatives, ``(M, D, D)``.
    off
        Population offsets into the columns.
    """
    if not dyn.smooth:
        raise ArgumentError(f"{dyn} is not differentiable where payoffs tie: no Jacobian")
    x, u, du = np.asarray(x, dtype=float), np.asarray(u, dtype=float), np.asarray(du, dtype=float)
    off = [int(o) for o in off]
    shape = tuple(b - a for a, b in zip(off, off[1:]))
    d = off[-1] - len(shape)
    if dyn.kind != "logit":
        mu = dyn.mu or 0.0
        return (1.0 - mu) * jacobian_from(x, u, du, shape) - mu * np.eye(d)
    full = np.empty(du.shape)
    for a, b in zip(off, off[1:]):
        z = u[..., a:b] / dyn.eta
        e = np.exp(z - np.max(z, axis=-1, keepdims=True))
        s = e / np.sum(e, axis=-1, keepdims=True)
        ds = (s[..., :, None] * np.eye(b - a) - s[..., :, None] * s[..., None, :]) / dyn.eta  # d softmax / d u
        full[..., a:b, :] = ds @ du[..., a:b, :]
    rows = [i for a, b in zip(off, off[1:]) for i in range(a, b - 1)]
    last = [b - 1 for a, b in zip(off, off[1:]) for _ in range(a, b - 1)]
    tangent = full[..., rows, :][..., :, rows] - full[..., rows, :][..., :, last]
    return tangent - np.eye(d)
