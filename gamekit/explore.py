r"""A live explorer of a game in Jupyter: sliders for the parameters, the rest points and orbits redrawn as they move.

``gk.explore(game)`` returns an :class:`Explorer`, which displays as an ipywidgets box (in JupyterLab, the classic
notebook and Voilà) and can be driven and read without a browser::

    ex = gk.explore(gk.models.platform_insurance(), scenario="trap")
    ex.set(R=4.0)           # moves the R slider and redraws, synchronously
    ex.stable_states        # the asymptotically stable rest points at the current values
    ex.set(scenario="meta-goal"); ex.set(dynamics="logit:0.5")

**Controls.**  One slider per parameter, a scenario menu (``game.scenarios``; "custom" once a slider leaves every
scenario's values) and a dynamics menu (:mod:`gamekit.protocols`: replicator, logit with its noise ``eta``, Smith,
BNN, replicator-mutator with its rate ``mu``; the "logit η" or "mutation μ" slider shows when it applies, labelled
apart from a model parameter called ``eta`` or ``mu``).  A slider's range
is the parameter's declared bounds (``[bounds]`` of the model file, ``game.bounds``).  Where a parameter has no
bound (or one open end) the explorer chooses the range from the values the model gives it -- its default and its
value in every scenario, ``v_min <= v_max``, ``m = max(|v_min|, |v_max|)`` (1 if every value is 0):

    ``[0, 2 m]``  when every value is ``>= 0``,  else  ``[-2 m, 2 m]``,

so every scenario lies on its slider with room on both sides (the platform model's ``R``, 2 in ``trap`` and 6 in
``meta-goal``, gets ``[0, 12]``, across the meta-goal's threshold ``R = Cg + S = 3``).  A declared end replaces the
chosen one.  ``ranges={"R": (0, 20)}`` sets any range (within the declared bounds) that holds the starting values
(the scenario's, when one is given); :meth:`Explorer.set` refuses a value outside its slider, and the scenario menu
refuses (in the status line, going back to where it was) a scenario whose values lie off the sliders.  The step is a round ``10^k`` giving 100 to 1,000 steps.

**Views** (all recomputed on every change, from public functions only):

* the stable states: ``gk.equilibria(g, dynamics=d).stable()`` at the current values ``g`` -- the rest points
  labelled asymptotically stable (for the smooth dynamics: every eigenvalue on the tangent space has a negative real
  part, :mod:`gamekit.stability`; for Smith and BNN, what :mod:`gamekit.protocols` says is known).  Below them,
  the notes (``Explorer.notes``) on every rest point linearisation leaves undecided (not linearised, or
  non-hyperbolic): gk.equilibria's own note -- under Smith and BNN in a stable game, that the set of Nash equilibria
  is globally asymptotically stable although no point is labelled so -- and what the basin orbits do, so that an
  empty list beside a 100% basin bar is explained, not contradicted;
* the rest-point table (every rest point, its eigenvalues, label and gk.equilibria's note) and the replicator's stability table
  (``gk.stability_table(g)``: each pure profile's switch gains ``u_p(j) - u_p(s_p)``, the conditions that make them
  all negative, and the label at the current values);
* orbits from a fixed sample of starting states (``gk.simulate(..., t_eval=...)``), drawn by ``gk.plot``: in the
  cube for three two-strategy populations (:func:`gamekit.plot.orbits3d`), on the face for two two-strategy
  populations (:func:`gamekit.plot.phase_portrait`), on the simplex for one three-strategy population
  (:func:`gamekit.plot.simplex`), as shares over time otherwise (:func:`gamekit.plot.trajectories`).  The face and
  simplex portraits draw the current dynamics' field, nullclines and rest points (their ``dynamics=``; closed orbits
  are searched under the replicator only); a portrait function that took no ``dynamics=`` would get a caption
  saying its arrows are the replicator's;
* basin shares of a quick batch of orbits (``gk.basins(g, n, rng=seed, dynamics=d)``, the same seed on every
  redraw, so a change of the bars is a change of the game, not of the sample), with their Wilson 95% intervals
  (:func:`gamekit.plot.basins`; the axis is widened where a share's text would cross its edge).

A view that cannot be drawn (an error of gk.plot, say) is left empty and named in the status line; the other
views are drawn.

**Speed.**  Moving a slider changes numbers, never the structure of the model: the compiled integrator depends on
the game's shape (and, for payoffs that use shares, on its symbolic payoffs, :func:`gamekit.simulate.field_of`),
the parameter values enter as data, so no slider move compiles anything.  Only the first redraw of a session may
compile (once per machine, cached on disk).  Sliders send their value when released (``continuous_update=False``),
so a drag is one redraw.  ``Explorer.timings`` holds the seconds each part of the last redraw took.

ipywidgets is imported when :func:`explore` is called, never by ``import gamekit``.

>>> import gamekit as gk
>>> ex = gk.explore(gk.models.platform_insurance(), scenario="trap")
>>> print(*ex.stable_states, sep="\n")
(regulate, evade, accept) [trap]: asymptotically stable; eigenvalues -1, -3, -1
>>> ex.set(R=4.0)
>>> [e.name for e in ex.stable_states]
['meta-goal', 'trap']
>>> ex.parameters["R"], ex.scenario
(4.0, None)
"""

from __future__ import annotations

import functools
import html
import inspect
import io
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import _validate as check
from .errors import ArgumentError, GamekitError
from .game import Game
from .protocols import KINDS, Dynamics, parse_dynamics
from .stability import Stability

__all__ = ["explore", "Explorer"]

RANGE_FACTOR = 2.0
"""A parameter without declared bounds gets ``[0, RANGE_FACTOR m]`` (or ``[-RANGE_FACTOR m, RANGE_FACTOR m]``)."""
MIN_STEPS = 100
"""A slider has at least this many steps (its step is a power of ten, so at most ten times as many)."""
ETA_RANGE = (1e-3, 1e2)
"""The logit noise slider's range (a logarithmic slider)."""
ETA_DEFAULT = 0.5
"""The eta slider's value until the logit dynamics is chosen with another."""
MU_DEFAULT = 0.05
"""The mu slider's value until the replicator-mutator is chosen with another."""
MU_STEP = 0.001
ETA_LABEL = "logit η"
"""The logit noise slider's label (not "eta" alone: a model may have a parameter called eta, air-pollution does)."""
MU_LABEL = "mutation μ"
"""The replicator-mutator's rate slider's label (not "mu" alone, for the same reason)."""
ORBITS = 16
"""Orbits drawn in the orbit view (from a fixed sample of starting states)."""
BASIN_ORBITS = 200
"""Orbits of the quick basin estimate (Wilson intervals about +-7 points at a share of one half)."""
T_END = 100.0
"""How long orbits and basin orbits run (``t_end`` of gk.simulate and gk.basins)."""
TIME_POINTS = 200
"""Recorded times per drawn orbit."""
FIGURE_DPI = 80
"""Pixels per inch of the figures' PNG images (the encoding is a fifth of a redraw; more pixels cost more)."""
CUBE_FIGSIZE = (5.6, 5.0)
"""Inches of the cube's figure (the other views keep the size gk.plot gives their figure)."""
CUBE_MARGIN = 0.03
"""Room below the cube's key, as a fraction of the figure's height."""
CUBE_MAX_KEY = 0.4
"""The largest share of the cube's figure its key may take below the axes."""
FACE_RESOLUTION = 41
"""Grid points per axis of the face's field and nullclines (gk.plot.phase_portrait's resolution)."""
SIMPLEX_RESOLUTION = 12
"""Arrows per side of the simplex (gk.plot.simplex's resolution)."""
BASIN_FIGSIZE = (5.0, 2.6)
"""Inches of the basin bars' figure."""
FIT_PASSES = 3
"""Passes that widen the basin axes until its share texts fit (the layout moves a little after each)."""
FIT_PAD = 3.0
"""Pixels between a share text and the basin axes' right edge."""
CUSTOM = "(custom)"
"""The scenario menu's entry when the values match no scenario."""
UNDECIDED = (Stability.NOT_LINEARISED, Stability.NON_HYPERBOLIC)
"""Labels under which linearisation decides nothing (the explorer's notes say what is known instead)."""
STABLE_CLASS = "gamekit-stable-states"
"""CSS class of the stable-states widget (a stable hook for tests and for styling)."""


def _nice_step(low: float, high: float) -> float:
    """A power of ten that cuts ``[low, high]`` into at least MIN_STEPS (and fewer than 10 MIN_STEPS) steps."""
    return 10.0 ** math.floor(math.log10((high - low) / MIN_STEPS))


def default_range(game: Game, name: str) -> tuple[float, float]:
    """The slider range of parameter ``name`` (module docstring): its declared bounds, completed from its values."""
    low, high = game.bounds.get(name, (None, None))
    values = [game.parameters[name]] + [s[name] for s in game.scenarios.values() if name in s]
    values = [float(v) for v in values if v is not None]
    m = max((abs(v) for v in values), default=0.0) or 1.0
    lo = 0.0 if min(values, default=0.0) >= 0 else -RANGE_FACTOR * m
    hi = RANGE_FACTOR * m
    lo = float(low) if low is not None else lo
    hi = float(high) if high is not None else hi
    if hi <= lo:  # a declared end beyond the chosen other one: a span as wide as the declared end's size
        if high is None:
            hi = lo + max(1.0, abs(lo))
        else:
            lo = hi - max(1.0, abs(hi))
    return lo, hi


def _ranges(game: Game, ranges) -> dict[str, tuple[float, float]]:
    out = {name: default_range(game, name) for name in game.parameters}
    if ranges is None:
        return out
    if not isinstance(ranges, Mapping):
        raise ArgumentError(f"ranges must map parameters to (low, high), got {type(ranges).__name__}")
    for name, pair in ranges.items():
        if name not in game.parameters:
            raise ArgumentError(
                f"ranges: {check.printable(repr(name))} is not a parameter (parameters: {', '.join(game.parameters)})"
            )
        if isinstance(pair, (str, bytes)) or not isinstance(pair, (Sequence, np.ndarray)) or len(pair) != 2:
            raise ArgumentError(f"ranges[{name!r}] must be a pair (low, high), got {check.printable(repr(pair), 60)}")
        lo = check.real(f"ranges[{name!r}] low", pair[0])
        hi = check.real(f"ranges[{name!r}] high", pair[1])
        if not lo < hi:
            raise ArgumentError(f"ranges[{name!r}]: low {lo:g} must be below high {hi:g}")
        b_lo, b_hi = game.bounds.get(name, (None, None))
        if (b_lo is not None and lo < b_lo) or (b_hi is not None and hi > b_hi):
            raise ArgumentError(
                f"ranges[{name!r}] = ({lo:g}, {hi:g}) leaves the declared bounds {_interval(b_lo, b_hi)}"
            )
        out[name] = (lo, hi)
    return out


def _interval(low: float | None, high: float | None) -> str:
    return f"[{'-inf' if low is None else f'{low:g}'}, {'inf' if high is None else f'{high:g}'}]"


def _check_scenario(game: Game, scenario: object) -> None:
    if not isinstance(scenario, str) or scenario not in game.scenarios:
        known = ", ".join(game.scenarios) or "none"
        raise ArgumentError(f"no scenario named {check.printable(repr(scenario))} (scenarios: {known})")


def _dynamics(dynamics: object) -> Dynamics:
    """The parsed dynamics, refused when its noise is off the explorer's logit slider."""
    dyn = parse_dynamics(dynamics)
    if dyn.kind == "logit" and not ETA_RANGE[0] <= dyn.eta <= ETA_RANGE[1]:
        raise ArgumentError(f"{dyn}: the explorer's logit eta slider spans [{ETA_RANGE[0]:g}, {ETA_RANGE[1]:g}]")
    return dyn


def _state_text(e) -> str:
    """An equilibrium's state in one line: its profile (or shares) and its name."""
    what = f"({', '.join(e.profile)})" if e.profile else e.describe_state()
    return what + (f" [{e.name}]" if e.name else "")


def _notes(undecided, shares) -> tuple[str, ...]:
    """Explorer.notes: each rest point linearisation does not decide, with gk.equilibria's note, then what the basin
    orbits do (the headline lists only gk.equilibria's asymptotically stable states; this says why it may be
    short)."""
    out = []
    for e in undecided:
        why = e.note or "an eigenvalue with zero real part: linearisation decides nothing here"
        out.append(f"{_state_text(e)}: {e.stability}: {why}")
    if out and shares is not None:
        ends = ", ".join(f"{o} {s:.1%}" for o, s in zip(shares.outcomes, shares.shares))
        out.append(f"simulation (gk.basins, {shares.n} orbits to t = {shares.t_end:g}): {ends}")
    return tuple(out)


def _takes_dynamics(draw) -> bool:
    """Whether a gk.plot function takes ``dynamics=`` (draws that dynamics' field, not the replicator's)."""
    try:
        return "dynamics" in inspect.signature(draw).parameters
    except (TypeError, ValueError):
        return False


def _one_line(exc: BaseException) -> str:
    """An error's message in one line (its first), with its type when it is not a gamekit error."""
    text = (str(exc).strip().splitlines() or [""])[0]
    if isinstance(exc, GamekitError):
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _widen_for_texts(fig, ax) -> bool:
    """Widen the x-axis until every text of ``ax`` (the share labels, placed a few points right of their bar) ends
    inside the axes, as the figure was last laid out; the ticks stay those of [0, 1].  Whether it widened."""
    renderer = fig.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    x0, x1 = ax.get_xlim()
    need = x1
    for text in ax.texts:
        right = text.get_window_extent(renderer).x1
        if right <= box.x1 - FIT_PAD:
            continue
        anchor = text.xy[0] if hasattr(text, "xy") else text.get_position()[0]
        beyond = right - ax.transData.transform((anchor, 0))[0]  # the text's reach right of its anchor, in pixels
        room = box.width - beyond - FIT_PAD
        if room <= 0:  # the axes are narrower than the text itself: nothing to widen
            return False
        need = max(need, x0 + (anchor - x0) * box.width / room)
    if need <= x1:
        return False
    ticks = [t for t in ax.get_xticks() if x0 <= t <= 1 + 1e-12]
    ax.set_xlim(x0, need)
    ax.set_xticks(ticks)
    return True


def _table(head: list[str], rows: list[list[str]], strong: list[bool] | None = None) -> str:
    """An HTML table of already-escaped cells; rows with ``strong`` set are bold."""
    strong = strong or [False] * len(rows)
    cell = "padding:2px 8px;text-align:left;vertical-align:top;border-bottom:1px solid #ddd"
    out = ["<table style='border-collapse:collapse;font-size:90%'><tr>"]
    out += [f"<th style='{cell}'>{h}</th>" for h in head]
    out.append("</tr>")
    for row, bold in zip(rows, strong):
        style = cell + (";font-weight:bold" if bold else "")
        out.append("<tr>" + "".join(f"<td style='{style}'>{c}</td>" for c in row) + "</tr>")
    return "".join(out) + "</table>"


def _image_layout(w, figsize: tuple[float, float]):
    """An Image widget's layout at the figure's own size in pixels (a flex box would stretch or shrink it)."""
    width, height = (round(v * FIGURE_DPI) for v in figsize)
    return w.Layout(width=f"{width}px", height=f"{height}px", min_width=f"{width}px", object_fit="contain")


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=FIGURE_DPI)
    return buf.getvalue()


class Explorer:
    """The live explorer of one game: controls, views and their state (made by :func:`explore`).

    Attributes
    ----------
    game
        The game as given (its parameter values are the defaults a scenario is laid over).
    widget
        The ipywidgets box that displays it (Jupyter displays the Explorer itself the same way).
    sliders
        ``{parameter: FloatSlider}``; their ``min`` and ``max`` are the ranges of the module docstring.
    scenario_menu, dynamics_menu, eta_slider, mu_slider
        The other controls (moving any of them redraws, as a user's click does).
    stable_view, notes_view, status_view
        The HTML widgets of the stable states (CSS class ``gamekit-stable-states``), of the notes (``notes``, CSS
        class ``gamekit-notes``) and of the status line (the redraw's time, or the error met).
    orbit_figure, basin_figure
        The matplotlib Figures of the orbit and basin views, as last drawn (shown as PNG images).
    equilibria
        ``gk.equilibria`` of the current game under the current dynamics (after the last redraw).
    orbits, basin_shares
        The drawn orbits (a :class:`~gamekit.Trajectory`) and the quick :class:`~gamekit.Basins`.
    timings
        Seconds each part of the last redraw took (``equilibria``, ``tables``, ``orbits``, ``basins``,
        ``drawing``, ``total``).
    notes
        What is known of the rest points linearisation does not decide (labelled not linearised or non-hyperbolic
        by gk.equilibria), one line each with gk.equilibria's note (under Smith and BNN in a stable game: the set of
        Nash equilibria is globally asymptotically stable), then what the basin orbits do; empty when every rest
        point is decided.  ``stable_states`` stays ``gk.equilibria(...).stable()``: these points are not in it.
    error
        The message of the error the last redraw met (shown in the status line, one line), or None.  A scenario
        chosen in the menu whose values lie off the sliders is refused here too, and the menu goes back.
    """

    def __init__(
        self,
        game: Game,
        *,
        scenario: str | None,
        dynamics: str | Dynamics | None,
        ranges: Mapping[str, tuple[float, float]] | None,
        orbits: int,
        basin_orbits: int,
        t_end: float,
        rng: int,
    ):
        import ipywidgets as w

        self.game = game
        self._ranges = _ranges(game, ranges)
        self._n_orbits = orbits
        self._n_basins = basin_orbits
        self._t_end = t_end
        self._seed = rng
        if scenario is not None:
            _check_scenario(game, scenario)
        start = dict(game.parameters if scenario is None else game.scenario(scenario).parameters)
        for name, value in start.items():
            self._check_on_slider(
                name, value, f"in scenario {scenario!r}" if scenario is not None else "the game's value"
            )
        self._values: dict[str, float] = start
        self._dynamics = _dynamics(dynamics)
        self._quiet = False
        self.equilibria = None
        self.orbits = None
        self.basin_shares = None
        self.timings: dict[str, float] = {}
        self.error: str | None = None
        self.notes: tuple[str, ...] = ()
        self._undecided: tuple = ()
        from .space import StateSpace

        space = StateSpace(game.shape, tuple(p.name for p in game.populations))
        self._initial = space.sample(orbits, rng)
        self._view = self._choose_view()

        # -- controls ---------------------------------------------------------------------------------------------
        self.sliders: dict[str, Any] = {}
        for name, value in self._values.items():
            lo, hi = self._ranges[name]
            s = w.FloatSlider(
                value=float(value),
                min=lo,
                max=hi,
                step=_nice_step(lo, hi),
                description=name,
                continuous_update=False,
                readout_format=".4",
                layout=w.Layout(width="320px"),
                style={"description_width": "60px"},
            )
            s.add_class(f"gamekit-parameter-{name}")
            s.observe(functools.partial(self._on_slider, name), names="value")
            self.sliders[name] = s
        self.scenario_menu = w.Dropdown(
            options=[CUSTOM, *game.scenarios], description="scenario", layout=w.Layout(width="320px")
        )
        self.scenario_menu.add_class("gamekit-scenario")
        self.scenario_menu.observe(self._on_scenario, names="value")
        self.dynamics_menu = w.Dropdown(options=list(KINDS), description="dynamics", layout=w.Layout(width="320px"))
        self.dynamics_menu.add_class("gamekit-dynamics")
        self.eta_slider = w.FloatLogSlider(
            value=ETA_DEFAULT,
            base=10,
            min=math.log10(ETA_RANGE[0]),
            max=math.log10(ETA_RANGE[1]),
            step=0.01,
            description=ETA_LABEL,
            style={"description_width": "80px"},
            continuous_update=False,
            readout_format=".3g",
            layout=w.Layout(width="320px"),
        )
        self.mu_slider = w.FloatSlider(
            value=MU_DEFAULT,
            min=0.0,
            max=1.0,
            step=MU_STEP,
            description=MU_LABEL,
            style={"description_width": "80px"},
            continuous_update=False,
            readout_format=".3f",
            layout=w.Layout(width="320px"),
        )
        for control in (self.dynamics_menu, self.eta_slider, self.mu_slider):
            control.observe(self._on_dynamics, names="value")

        # -- views ------------------------------------------------------------------------------------------------
        self.stable_view = w.HTML()
        self.stable_view.add_class(STABLE_CLASS)
        self.notes_view = w.HTML()
        self.notes_view.add_class("gamekit-notes")
        self.status_view = w.HTML()
        self.status_view.add_class("gamekit-status")
        self._rest_table = w.HTML()
        self._rest_table.add_class("gamekit-rest-points")
        self._conditions = w.HTML()
        self._conditions.add_class("gamekit-stability-table")
        self._orbit_image = w.Image(format="png", layout=_image_layout(w, CUBE_FIGSIZE))
        self._orbit_image.add_class("gamekit-orbits")
        self._basin_image = w.Image(format="png", layout=_image_layout(w, BASIN_FIGSIZE))
        self._basin_image.add_class("gamekit-basins")
        self._caption = w.HTML()
        tables = w.Tab(children=[self._rest_table, self._conditions])
        tables.set_title(0, "rest points")
        tables.set_title(1, "stability table")
        title = w.HTML(f"<b>{html.escape(game.name or 'Game')}</b> &mdash; {html.escape(self._view_text())}")
        controls = w.VBox(
            [self.scenario_menu, self.dynamics_menu, self.eta_slider, self.mu_slider, *self.sliders.values()],
            layout=w.Layout(min_width="330px"),
        )
        figures = w.HBox(
            [w.VBox([self._orbit_image, self._caption]), self._basin_image], layout=w.Layout(flex_flow="row wrap")
        )
        views = w.VBox([self.stable_view, self.notes_view, self.status_view, figures, tables])
        self.widget = w.VBox([title, w.HBox([controls, views])])
        self.widget.add_class("gamekit-explorer")

        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.orbit_figure = Figure(figsize=CUBE_FIGSIZE)  # (the cube's; the other views draw a figure of their own)
        self.basin_figure = Figure(figsize=BASIN_FIGSIZE, layout="constrained")
        FigureCanvasAgg(self.orbit_figure)
        FigureCanvasAgg(self.basin_figure)

        self._show_dynamics(self._dynamics)
        self._sync_scenario(scenario)
        self._redraw()

    # -- what the explorer shows -----------------------------------------------------------------------------------

    @property
    def parameters(self) -> dict[str, float]:
        """The current parameter values, ``{name: value}``."""
        return dict(self._values)

    @property
    def scenario(self) -> str | None:
        """The scenario whose values the parameters hold now (None when they match no scenario)."""
        v = self.scenario_menu.value
        return None if v == CUSTOM else v

    @property
    def dynamics(self) -> Dynamics:
        """The current dynamics."""
        return self._dynamics

    @property
    def current_game(self) -> Game:
        """The game at the current parameter values."""
        return self.game.with_parameters(self._values)

    @property
    def stable_states(self) -> tuple:
        """The asymptotically stable rest points at the current values, under the current dynamics
        (:class:`~gamekit.Equilibrium` objects, as ``gk.equilibria(ex.current_game, dynamics=ex.dynamics).stable()``).
        """
        return () if self.equilibria is None else tuple(self.equilibria.stable())

    # -- moving the controls -----------------------------------------------------------------------------------------

    def _check_on_slider(self, name: str, value: float, whose: str = "") -> None:
        """An ArgumentError unless ``value`` lies on ``name``'s slider, naming what can be done about it: a value
        outside the model's declared bounds cannot be reached (ranges= stays within them), any other can with
        ranges=."""
        lo, hi = self._ranges[name]
        if lo <= value <= hi:
            return
        b_lo, b_hi = self.game.bounds.get(name, (None, None))
        what = f"{name} = {value:g}" + (f" ({whose})" if whose else "")
        if (b_lo is not None and value < b_lo) or (b_hi is not None and value > b_hi):
            raise ArgumentError(
                f"{what} is outside its declared bounds {_interval(b_lo, b_hi)} (the model's [bounds]); the "
                "explorer's sliders stay within them"
            )
        raise ArgumentError(
            f"{what} is off its slider [{lo:g}, {hi:g}] (gk.explore(game, ranges={{{name!r}: (low, high)}}) widens it)"
        )

    def set(
        self,
        values: Mapping[str, float] | None = None,
        /,
        *,
        scenario: str | None = None,
        dynamics: str | Dynamics | None = None,
        **parameters: float,
    ) -> None:
        """Move the controls and redraw (synchronously): a scenario, the dynamics, then parameter values.

        Parameters
        ----------
        values
            ``{parameter: value}`` (for a parameter whose name is ``scenario`` or ``dynamics``, say).
        scenario
            A scenario's name: every parameter takes the game's default overlaid with the scenario's values.
        dynamics
            ``"replicator"``, ``"logit:ETA"``, ``"smith"``, ``"bnn"``, ``"replicator-mutator:MU"`` or a
            :class:`~gamekit.Dynamics`; ``ETA`` must lie on the eta slider (``ETA_RANGE``).
        **parameters
            Parameter values, each within its slider's range.

        Everything is checked before any control moves: an unknown name or a value off its slider raises an
        :class:`~gamekit.ArgumentError` and changes nothing (a value outside the model's declared bounds is said to
        be so: no slider reaches it).  An error of the analysis itself (a gamekit error of gk.equilibria,
        gk.simulate or gk.basins at the new values) is shown in the status line and raised.  An error met while
        drawing a view (a figure of gk.plot, a table) is not raised: that view is left empty, the others are drawn,
        and the status line and ``ex.error`` say which view failed and why, in one line.
        """
        self._apply(values, scenario, dynamics, parameters, raise_errors=True)

    def _apply(self, values, scenario, dynamics, parameters, raise_errors: bool) -> None:
        """set()'s work: check everything, move the controls without their callbacks, redraw once."""
        if values is not None and not isinstance(values, Mapping):
            raise ArgumentError(f"set takes {{parameter: value}} and keywords, got {check.printable(repr(values), 60)}")
        given = {**(values or {}), **parameters}
        new = dict(self._values)
        if scenario is not None:
            _check_scenario(self.game, scenario)
            new = dict(self.game.scenario(scenario).parameters)
        dyn = self._dynamics if dynamics is None else _dynamics(dynamics)
        for name, value in given.items():
            if name not in self.game.parameters:
                known = ", ".join(self.game.parameters)
                raise ArgumentError(
                    f"{check.printable(repr(name))} is not a parameter of this game (parameters: {known})"
                )
            new[name] = check.real(name, value)
        for name, value in new.items():
            self._check_on_slider(
                name, value, f"in scenario {scenario!r}" if scenario is not None and name not in given else ""
            )
        self._quiet = True
        try:
            self._values = new
            for name, value in new.items():
                self.sliders[name].value = float(value)
            self._show_dynamics(dyn)
            self._dynamics = dyn
            self._sync_scenario(scenario if not given else None)
        finally:
            self._quiet = False
        self._redraw(raise_errors=raise_errors)

    def _show_dynamics(self, dyn: Dynamics) -> None:
        """The dynamics controls showing ``dyn`` (the eta or mu slider visible only where it applies)."""
        quiet, self._quiet = self._quiet, True
        try:
            self.dynamics_menu.value = dyn.kind
            if dyn.kind == "logit":
                self.eta_slider.value = dyn.eta
            if dyn.kind == "replicator-mutator":
                self.mu_slider.value = dyn.mu
        finally:
            self._quiet = quiet
        self.eta_slider.layout.display = None if dyn.kind == "logit" else "none"
        self.mu_slider.layout.display = None if dyn.kind == "replicator-mutator" else "none"

    def _sync_scenario(self, chosen: str | None = None) -> None:
        """The scenario menu showing ``chosen``, else the scenario whose values the parameters hold, else custom."""
        if chosen is None:
            for name in self.game.scenarios:
                if dict(self.game.scenario(name).parameters) == self._values:
                    chosen = name
                    break
        quiet, self._quiet = self._quiet, True
        try:
            self.scenario_menu.value = CUSTOM if chosen is None else self.game.scenarios.key(chosen)
        finally:
            self._quiet = quiet

    # -- widget callbacks (the browser's path; set() is the programmatic one) -------------------------------------

    def _on_slider(self, name: str, change) -> None:
        if self._quiet:
            return
        self._values[name] = change["new"]
        self._sync_scenario()
        self._redraw()

    def _on_scenario(self, change) -> None:
        if self._quiet:
            return
        if change["new"] == CUSTOM:  # not a choice: the menu goes back to the scenario the values hold, if any
            self._sync_scenario()
            return
        try:
            self._apply(None, change["new"], None, {}, raise_errors=False)
        except GamekitError as exc:  # a scenario off the sliders: refused in the status line, nothing applied
            self._sync_scenario()  # the menu back on the scenario the values hold (or custom)
            self._show_error(f"scenario {change['new']!r} not applied: {exc}")

    def _on_dynamics(self, change) -> None:
        if self._quiet:
            return
        kind = self.dynamics_menu.value
        dyn = Dynamics(kind, eta=self.eta_slider.value if kind == "logit" else None,
                       mu=self.mu_slider.value if kind == "replicator-mutator" else None)  # fmt: skip
        self._show_dynamics(dyn)
        self._dynamics = dyn
        self._redraw()

    # -- redrawing ---------------------------------------------------------------------------------------------------

    def _show_error(self, message: str) -> None:
        self.error = message
        self.status_view.value = f"<span style='color:#D55E00'>{html.escape(message)}</span>"

    def _choose_view(self) -> str:
        g = self.game
        if g.kind == "populations" and g.shape == (2, 2, 2):
            return "cube"
        if g.kind == "populations" and g.shape == (2, 2):
            return "face"
        if len(g.shape) == 1 and g.shape[0] == 3:
            return "simplex"
        return "time"

    def _view_text(self) -> str:
        return {
            "cube": "orbits in the cube",
            "face": "the phase portrait",
            "simplex": "the simplex",
            "time": "shares over time",
        }[self._view]

    def _redraw(self, raise_errors: bool = False) -> None:
        """Recompute every view at the current values and dynamics; a gamekit error goes to the status line."""
        from . import plot
        from .basins import basins
        from .equilibria import equilibria
        from .simulate import simulate
        from .stability import stability_table

        start = time.perf_counter()
        timings: dict[str, float] = {}

        def lap(name: str, t0: float) -> float:
            now = time.perf_counter()
            timings[name] = now - t0
            return now

        dyn = self._dynamics
        try:
            game = self.current_game
            t = time.perf_counter()
            eqs = equilibria(game, dynamics=dyn, progress=False)
            t = lap("equilibria", t)
            table = stability_table(game)
            t = lap("tables", t)
            te = np.linspace(0.0, self._t_end, TIME_POINTS)
            traj = simulate(game, self._initial, self._t_end, t_eval=te, dynamics=dyn, progress=False)
            t = lap("orbits", t)
            shares = basins(game, self._n_basins, rng=self._seed, t_end=self._t_end, dynamics=dyn, progress=False)
            t = lap("basins", t)
        except GamekitError as exc:
            self.equilibria = self.orbits = self.basin_shares = None
            self.notes, self._undecided, self.notes_view.value = (), (), ""
            self._show_error(str(exc))
            self.stable_view.value = "<b>Asymptotically stable states:</b> (not computed)"
            if raise_errors:
                raise
            return
        self.error = None
        self.equilibria, self.orbits, self.basin_shares = eqs, traj, shares

        stable = eqs.stable()
        self._undecided = tuple(e for e in eqs if e.stability in UNDECIDED)
        self.notes = _notes(self._undecided, shares)
        under = "" if dyn.kind == "replicator" else f" under {html.escape(str(dyn))}"
        none = "none decided by linearisation (see the notes below)" if self._undecided else "none"
        items = "".join(f"<li>{html.escape(_state_text(e))}</li>" for e in stable) or f"<li>{none}</li>"
        self.stable_view.value = f"<b>Asymptotically stable states{under}:</b><ul style='margin:2px 0'>{items}</ul>"
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        self.notes_view.value = (
            f"<small><b>Not decided by linearisation</b> (what gk.equilibria says, and what the basin orbits do):"
            f"<ul style='margin:2px 0'>{notes}</ul></small>"
            if notes
            else ""
        )

        failed = []  # a view that cannot be drawn is said in the status line; the others are still drawn
        for view, draw in (
            ("tables", lambda: self._draw_tables(eqs, table)),
            ("orbit view", lambda: self._draw_orbits(plot, game, eqs, traj)),
            ("basin view", lambda: self._draw_basins(plot, shares)),
        ):
            try:
                draw()
            except Exception as exc:  # noqa: BLE001 -- whatever a view meets, the explorer and its other views live on
                failed.append(f"{view} not drawn: {_one_line(exc)}")
                self._blank(view)
        t = lap("drawing", t)
        timings["total"] = t - start
        self.timings = timings
        if failed:
            self._show_error("; ".join(failed))
        else:
            self.status_view.value = f"<span style='color:#555'>redrawn in {timings['total']:.2f} s</span>"

    def _draw_tables(self, eqs, table) -> None:
        self._rest_table.value = self._rest_points_html(eqs)
        self._conditions.value = self._stability_html(table)

    def _draw_basins(self, plot, shares) -> None:
        """The basin bars, their share texts kept inside the axes (a long outcome name narrows them)."""
        fig = self.basin_figure
        fig.clear()
        ax = fig.add_subplot()
        plot.basins(shares, ax=ax)
        ax.set_title(f"basins: {self._n_basins} orbits to t = {self._t_end:g}", fontsize="medium")
        png = _png(fig)  # (lays the figure out; a text found beyond the edge then widens the axis, and it is redrawn)
        for _ in range(FIT_PASSES):
            if not _widen_for_texts(fig, ax):
                break
            png = _png(fig)
        self._basin_image.value = png

    def _blank(self, view: str) -> None:
        """A view that could not be drawn shows nothing (not the picture of other values)."""
        if view == "tables":
            self._rest_table.value = self._conditions.value = "<p>(not drawn: see the status line)</p>"
        elif view == "orbit view":
            self._orbit_image.value = b""
            self._caption.value = "<small>(the orbit view could not be drawn: see the status line)</small>"
        else:
            self._basin_image.value = b""

    def _draw_orbits(self, plot, game: Game, eqs, traj) -> None:
        """The orbit view: gk.plot's figure for the game's shape, rendered into the orbit image."""
        caption = ""
        if self._view == "cube":
            self._draw_cube(plot, eqs, traj)
        else:
            # a figure of gk.plot's own: its constrained layout places the key beside an equal-aspect face or
            # simplex (an axes legend there could be cut off); pyplot forgets it once it is rendered
            import matplotlib.pyplot as plt

            other = self._dynamics.kind != "replicator"
            if self._view in ("face", "simplex"):
                draw = plot.phase_portrait if self._view == "face" else plot.simplex
                resolution = FACE_RESOLUTION if self._view == "face" else SIMPLEX_RESOLUTION
                # a gk.plot that draws another dynamics' field is given it (then the caption has nothing to add)
                field = {"dynamics": self._dynamics} if other and _takes_dynamics(draw) else {}
                fig = draw(game, orbits=traj, rest_points=eqs, resolution=resolution, **field)
                other = other and not field
            else:
                fig = plot.trajectories(traj)
            plt.close(fig)
            self.orbit_figure = fig
            if other and self._view in ("face", "simplex"):
                caption = (
                    "arrows, nullclines and closed orbits: the replicator's; the orbits from the sample and the rest "
                    f"points: {html.escape(str(self._dynamics))}"
                )
        self._orbit_image.value = _png(self.orbit_figure)
        width, height = (f"{round(v * FIGURE_DPI)}px" for v in self.orbit_figure.get_size_inches())
        self._orbit_image.layout.width, self._orbit_image.layout.height = width, height
        self._orbit_image.layout.min_width = width
        self._caption.value = f"<small>{caption}</small>" if caption else ""

    def _draw_cube(self, plot, eqs, traj) -> None:
        """Orbits and rest points in the cube, on the same 3-D axes every time (emptied of what gk.plot drew): a new
        one (its ticks, panes and grid) would cost about a quarter of a redraw, and so would a constrained layout;
        the axes are placed by hand above the key instead (orbits3d sets the labels and limits again)."""
        fig = self.orbit_figure
        if not fig.axes:
            fig.add_subplot(projection="3d")
        (ax,) = fig.axes
        for artist in [*ax.lines, *ax.collections, *ax.texts, *ax.patches, *ax.images]:
            artist.remove()
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        plot.orbits3d(traj, ax=ax, rest_points=eqs)
        key = ax.get_legend()
        below = 0.0 if key is None else key.get_window_extent(fig.canvas.get_renderer()).height / fig.bbox.height
        bottom = min(CUBE_MAX_KEY, below + CUBE_MARGIN)
        ax.set_position([0.0, bottom, 0.92, 1.0 - bottom])

    @staticmethod
    def _rest_points_html(eqs) -> str:
        rows, strong = [], []
        for e in eqs:
            rows.append([
                html.escape(e.describe_state()),
                html.escape(", ".join(e.profile) if e.profile else ""),
                html.escape(e.name or ""),
                html.escape(e.describe_eigenvalues()),
                html.escape(str(e.stability) + ("" if e.exact else " (numeric)"))
                + (f"<br><small>{html.escape(e.note)}</small>" if e.note else ""),
            ])  # fmt: skip
            strong.append(e in eqs.stable())
        tail = "".join(f"<p><small>{html.escape(t)}</small></p>" for t in eqs._tail())
        head = (
            f"<p><small>The rest points under the {html.escape(str(eqs.dynamics))} dynamics (gk.equilibria); the "
            "asymptotically stable in bold.</small></p>"
        )
        return head + _table(["state", "profile", "name", "eigenvalues", "stability"], rows, strong) + tail

    @staticmethod
    def _stability_html(table) -> str:
        from .expr import payoff_text
        from .stability import NOT_ONLY_PURE

        rows, strong = [], []
        for r in table:
            rows.append([
                html.escape(f"({', '.join(r.profile)})"),
                html.escape(r.name or ""),
                "<br>".join(html.escape(payoff_text(g.gain)) for g in r.eigenvalues),
                html.escape(r.conditions_text()),
                html.escape(str(r.stability) if r.stability else ""),
            ])  # fmt: skip
            strong.append(str(r.stability) == "asymptotically stable")
        head = ["profile", "name", "eigenvalues (switch gains)", "asymptotically stable iff", "at current values"]
        note = "" if table.game.multilinear else f"<p><small>{html.escape(NOT_ONLY_PURE)}</small></p>"
        intro = (
            "<p><small>The replicator dynamics at each pure profile (gk.stability_table): the eigenvalues are "
            "the switch gains, symbolic; the last column is their label at the current values.</small></p>"
        )
        return intro + _table(head, rows, strong) + note

    # -- display -----------------------------------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        stable = "; ".join(_state_text(e) for e in self.stable_states) or "none"
        if self._undecided and not self.stable_states:
            stable += " by linearisation; undecided: " + "; ".join(_state_text(e) for e in self._undecided)
        where = f"scenario {self.scenario}" if self.scenario else "custom values"
        return f"Explorer({self.game.name or 'unnamed'!r}; {where}; {self._dynamics}; stable: {stable})"


def explore(
    game: Game,
    *,
    scenario: str | None = None,
    dynamics: str | Dynamics | None = None,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    orbits: int = ORBITS,
    basin_orbits: int = BASIN_ORBITS,
    t_end: float = T_END,
    rng: int = 0,
) -> Explorer:
    """A live explorer of ``game`` in Jupyter: parameter sliders, scenario and dynamics menus, and the views.

    Parameters
    ----------
    game
        Any game whose parameters all have values.
    scenario
        A scenario to start from (default: the game's own values).
    dynamics
        The dynamics to start with (default: the replicator); see :func:`gamekit.parse_dynamics`.
    ranges
        ``{parameter: (low, high)}``: slider ranges instead of the chosen ones (module docstring), within the
        declared bounds and holding the starting values (the scenario's, when ``scenario`` is given).
    orbits
        Orbits drawn in the orbit view (1 to 200).
    basin_orbits
        Orbits of the quick basin estimate (10 to 100,000).
    t_end
        How long drawn and basin orbits run (> 0).
    rng
        Seed of the starting states of both (the same on every redraw).

    Returns
    -------
    Explorer
        Displays as its widget; ``ex.set(R=4.0)``, ``ex.stable_states``, ``ex.parameters`` without a browser.
        Bad arguments raise an ArgumentError; an error of the analysis or of a view at the starting values does not
        (the explorer shows it in its status line and ``ex.error``, so that a slider can move away from it).
    """
    game = check.game(game)
    missing = [n for n, v in game.parameters.items() if v is None]
    if missing:
        raise ArgumentError(
            f"parameter {missing[0]!r} has no value; explore game.with_parameters({missing[0]}=...) instead"
        )
    orbits = check.integer("orbits", orbits, minimum=1, maximum=200)
    basin_orbits = check.integer("basin_orbits", basin_orbits, minimum=10, maximum=100_000)
    t_end = check.real("t_end", t_end, low=0.0, low_open=True)
    rng = check.integer("rng", rng, minimum=0)
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        raise ArgumentError(
            "gk.explore needs ipywidgets: pip install ipywidgets (or pip install 'gamekit[notebooks]')"
        ) from None
    return Explorer(
        game, scenario=scenario, dynamics=dynamics, ranges=ranges, orbits=orbits, basin_orbits=basin_orbits,
        t_end=t_end, rng=rng,
    )  # fmt: skip
