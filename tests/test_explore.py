"""gk.explore without a browser: the controls move, and the stable states follow what gk.equilibria says.

Oracles the explorer does not share: an independent ``gk.equilibria`` call at the same values, the strict Nash
profiles of the platform model's payoff table written out here by hand (in a game whose payoffs are fixed tables
the asymptotically stable states are exactly the strict Nash profiles), the threshold of ``gk.thresholds``, and the
closed form of rock-paper-scissors (its centre is asymptotically stable iff the win ``w`` exceeds the loss ``l``).
"""

from __future__ import annotations

import functools
import itertools
import re
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import gamekit as gk
from gamekit.errors import ArgumentError

pytest.importorskip("ipywidgets")

PLATFORM = gk.models.platform_insurance()
PROFILES = list(itertools.product(("regulate", "relax"), ("insure", "evade"), ("claim", "accept")))


def platform_payoffs(p: dict, profile: tuple[str, str, str]) -> tuple[float, float, float]:
    """The platform model's payoff table (gamekit/models/platform_insurance.toml), typed in again by hand."""
    table = {
        ("regulate", "insure", "claim"): (p["R"] - p["Cg"] - p["S"], p["B"] + p["S"] - p["Cp"], p["V"] - p["Cw"]),
        ("regulate", "insure", "accept"): (p["R"] - p["Cg"] - p["S"], p["B"] + p["S"] - p["Cp"], 0.0),
        ("regulate", "evade", "claim"): (p["F"] - p["Cg"], -p["F"] - p["K"], p["K"] - p["Cc"]),
        ("regulate", "evade", "accept"): (p["delta"] * p["F"] - p["Cg"], -p["delta"] * p["F"], 0.0),
        ("relax", "insure", "claim"): (0.0, p["B"] - p["Cp"], p["V"] - p["Cw"]),
        ("relax", "insure", "accept"): (0.0, p["B"] - p["Cp"], 0.0),
        ("relax", "evade", "claim"): (-p["A"], -p["theta"] * p["K"], p["theta"] * p["K"] - p["Cc"]),
        ("relax", "evade", "accept"): (0.0, 0.0, 0.0),
    }
    return table[profile]


def switch_gains(p: dict, profile) -> list[float]:
    """What each population gains by switching alone (negative everywhere: a strict Nash profile)."""
    strategies = (("regulate", "relax"), ("insure", "evade"), ("claim", "accept"))
    out = []
    for i, pair in enumerate(strategies):
        other = list(profile)
        other[i] = pair[1 - pair.index(profile[i])]
        out.append(platform_payoffs(p, tuple(other))[i] - platform_payoffs(p, profile)[i])
    return out


def strict_nash(p: dict) -> set[tuple[str, ...]]:
    return {prof for prof in PROFILES if all(g < 0 for g in switch_gains(p, prof))}


def keys(states) -> set:
    """Stable states comparable across two calls: the profile when pure, else the rounded shares, with the label."""
    return {
        (e.profile or tuple(round(v, 6) for s in e.state for v in s), str(e.stability), e.name) for e in states
    }  # fmt: skip


@functools.lru_cache(maxsize=1)
def shared_explorer():
    """One explorer for the property test (hypothesis runs many examples on it)."""
    return gk.explore(PLATFORM, scenario="trap")


def test_trap_then_the_meta_goal_scenario():
    ex = gk.explore(PLATFORM, scenario="trap")
    trap = PLATFORM.scenario("trap")
    assert keys(ex.stable_states) == keys(gk.equilibria(trap).stable())
    assert {e.profile for e in ex.stable_states} == strict_nash(dict(trap.parameters)) == {PROFILES[3]}
    assert ex.scenario == "trap" and ex.parameters == dict(trap.parameters)
    assert "(regulate, evade, accept) [trap]" in ex.stable_view.value

    ex.set(scenario="meta-goal")
    meta = PLATFORM.scenario("meta-goal")
    assert ex.parameters == dict(meta.parameters)
    assert ex.scenario == "meta-goal"
    assert keys(ex.stable_states) == keys(gk.equilibria(meta).stable())
    assert {e.profile for e in ex.stable_states} == strict_nash(dict(meta.parameters)) == {PROFILES[0]}
    assert "(regulate, insure, claim) [meta-goal]" in ex.stable_view.value
    assert "[trap]" not in ex.stable_view.value
    for name, slider in ex.sliders.items():  # the controls moved with it
        assert slider.value == pytest.approx(meta.parameters[name])


def test_the_meta_goal_appears_where_gk_thresholds_puts_the_reward_threshold():
    th = gk.thresholds(PLATFORM, "trap", "meta-goal")
    ((low, high),) = th.lever("R").stable_for
    trap = PLATFORM.scenario("trap").parameters
    assert high is None and low == pytest.approx(trap["Cg"] + trap["S"])  # the model's own R > Cg + S
    ex = gk.explore(PLATFORM, scenario="trap")
    for R, meta_stable in ((low - 0.5, False), (low + 0.5, True), (low + 4.0, True)):
        ex.set(R=R)
        names = {e.name for e in ex.stable_states}
        assert ("meta-goal" in names) is meta_stable
        assert keys(ex.stable_states) == keys(gk.equilibria(PLATFORM.scenario("trap").with_parameters(R=R)).stable())
        assert ex.scenario is None and ex.parameters["R"] == R
    ex.set(scenario="trap")
    assert ex.scenario == "trap" and {e.name for e in ex.stable_states} == {"trap"}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    R=st.floats(0, 12),
    Cg=st.floats(0, 8),
    S=st.floats(0, 6),
    K=st.floats(0, 12),
    Cc=st.floats(0, 6),
    delta=st.floats(0, 1),
    F=st.floats(0, 20),
)
def test_stable_states_are_the_strict_nash_profiles_of_the_payoff_table(R, Cg, S, K, Cc, delta, F):
    ex = shared_explorer()
    values = {**PLATFORM.scenario("trap").parameters, "R": R, "Cg": Cg, "S": S, "K": K, "Cc": Cc}
    values |= {"delta": delta, "F": F}
    assume(all(abs(g) > 1e-6 for prof in PROFILES for g in switch_gains(values, prof)))
    ex.set(scenario="trap", R=R, Cg=Cg, S=S, K=K, Cc=Cc, delta=delta, F=F)
    assert ex.parameters == pytest.approx(values)
    assert {e.profile for e in ex.stable_states} == strict_nash(values)
    assert keys(ex.stable_states) == keys(gk.equilibria(PLATFORM.with_parameters(values)).stable())


def test_a_slider_moved_as_the_browser_moves_it_redraws():
    ex = gk.explore(PLATFORM, scenario="trap")
    ex.sliders["R"].value = 4.0  # what a widget message from the page does
    assert ex.parameters["R"] == 4.0 and ex.scenario is None
    expected = gk.equilibria(PLATFORM.scenario("trap").with_parameters(R=4.0)).stable()
    assert keys(ex.stable_states) == keys(expected) and {e.name for e in expected} == {"trap", "meta-goal"}
    assert "[meta-goal]" in ex.stable_view.value
    ex.scenario_menu.value = "meta-goal"
    assert ex.parameters == dict(PLATFORM.scenario("meta-goal").parameters)
    assert {e.name for e in ex.stable_states} == {"meta-goal"}


def test_sliders_span_the_declared_bounds_and_every_scenario():
    ex = gk.explore(PLATFORM)
    for name, (low, high) in PLATFORM.bounds.items():
        assert (ex.sliders[name].min, ex.sliders[name].max) == (low, high)
    for name, slider in ex.sliders.items():
        values = [PLATFORM.parameters[name]] + [s[name] for s in PLATFORM.scenarios.values()]
        assert slider.min <= min(values) and max(values) <= slider.max
        assert slider.min < slider.max and (slider.max - slider.min) / slider.step >= 100
    ex = gk.explore(PLATFORM, ranges={"R": (1, 20)})
    assert (ex.sliders["R"].min, ex.sliders["R"].max) == (1, 20)
    ex.set(R=15)
    assert ex.parameters["R"] == 15


def test_the_views_are_the_cube_its_orbits_and_the_basin_bars():
    ex = gk.explore(PLATFORM, scenario="trap")
    (ax,) = ex.orbit_figure.axes
    assert ax.name == "3d" and len([ln for ln in ax.get_lines() if ln.get_gid() == "orbit"]) == ex.orbits.n
    bars = ex.basin_figure.axes[0]
    assert [t.get_text() for t in bars.get_yticklabels()] == list(ex.basin_shares.outcomes)
    assert ex.basin_shares.outcomes and abs(sum(ex.basin_shares.shares) - 1) < 1e-12
    for image in (ex._orbit_image, ex._basin_image):
        assert bytes(image.value[:8]) == b"\x89PNG\r\n\x1a\n"
    assert "asymptotically stable iff" in ex._conditions.value and "R &gt; Cg + S" in ex._conditions.value
    assert ex.timings["total"] > 0 and ex.error is None


def test_one_population_shows_the_simplex_and_the_centre_follows_w_against_l():
    game = gk.models.rock_paper_scissors()
    ex = gk.explore(game, scenario="good")
    (ax,) = ex.orbit_figure.axes
    assert any(p.get_gid() == "simplex" for p in ax.patches)
    assert sorted(t.get_text() for t in ax.texts if t.get_gid() == "vertex-label") == ["paper", "rock", "scissors"]
    for win, loss in ((2.0, 1.0), (1.0, 2.0), (1.5, 0.5)):
        ex.set(w=win, l=loss)
        centre = [e for e in ex.stable_states if e.profile is None]
        assert bool(centre) is (win > loss)  # closed form: eigenvalues (l - w)/6 +- i sqrt(3)(w + l)/6 at the centre
        if centre:
            assert centre[0].state[0] == pytest.approx((1 / 3, 1 / 3, 1 / 3))
        assert keys(ex.stable_states) == keys(gk.equilibria(game.with_parameters(w=win, l=loss)).stable())


def test_two_populations_show_the_face():
    ex = gk.explore(gk.models.matching_pennies())
    (ax, *_) = ex.orbit_figure.axes
    assert any(ln.get_gid() == "orbit" for ln in ax.get_lines())
    assert any(ln.get_gid() == "rest-point" for ln in ax.get_lines())


def test_another_dynamics():
    ex = gk.explore(PLATFORM, scenario="meta-goal")
    ex.set(dynamics="logit:0.5")
    assert str(ex.dynamics) == "logit:0.5" and ex.dynamics_menu.value == "logit"
    assert ex.eta_slider.value == pytest.approx(0.5) and ex.eta_slider.layout.display is None
    oracle = gk.equilibria(PLATFORM.scenario("meta-goal"), dynamics="logit:0.5").stable()
    assert keys(ex.stable_states) == keys(oracle)
    assert "under logit:0.5" in ex.stable_view.value
    ex.set(dynamics="replicator")
    assert ex.eta_slider.layout.display == "none"
    assert {e.name for e in ex.stable_states} == {"meta-goal"}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"Q": 1.0}, "'Q' is not a parameter of this game"),
        ({"R": "four"}, "R must be a number"),
        ({"R": 100.0}, "R = 100 is off its slider [0, 12]"),
        ({"delta": 1.5}, "delta = 1.5 is outside its declared bounds [0, 1]"),
        ({"scenario": "nowhere"}, "no scenario named 'nowhere' (scenarios: lag, trap, meta-goal)"),
        ({"dynamics": "nonsense"}, "unknown dynamics 'nonsense'"),
        ({"dynamics": "logit:1e-9"}, "the explorer's logit eta slider spans"),
    ],
)
def test_a_bad_set_raises_one_line_and_changes_nothing(kwargs, message):
    ex = shared_explorer()
    ex.set(scenario="trap", dynamics="replicator")
    before = (ex.parameters, ex.scenario, ex.dynamics, ex.stable_states)
    with pytest.raises(ArgumentError) as err:
        ex.set(**kwargs)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert (ex.parameters, ex.scenario, ex.dynamics, ex.stable_states) == before


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: gk.explore("platform-insurance"), "game must be a gamekit Game"),
        (lambda: gk.explore(PLATFORM, ranges={"R": (5, 1)}), "low 5 must be below high 1"),
        (lambda: gk.explore(PLATFORM, ranges={"delta": (0, 2)}), "leaves the declared bounds [0, 1]"),
        (lambda: gk.explore(PLATFORM, ranges={"R": (3, 4)}), "R = 2 (the game's value) is off its slider [3, 4]"),
        (lambda: gk.explore(PLATFORM, scenario="trap", ranges={"R": (5, 10)}), "R = 2 (in scenario 'trap') is off"),
        (lambda: gk.explore(PLATFORM, dynamics="logit:1e-9"), "the explorer's logit eta slider spans"),
        (lambda: gk.explore(PLATFORM, orbits=0), "orbits must be an integer >= 1"),
        (lambda: gk.explore(PLATFORM.with_parameters(R=None)), "parameter 'R' has no value"),
    ],
)
def test_bad_arguments_to_explore(call, message):
    with pytest.raises(ArgumentError) as err:
        call()
    assert message in str(err.value) and "\n" not in str(err.value)


def test_without_ipywidgets_the_message_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets now raises ImportError
    with pytest.raises(ArgumentError, match=r"gk.explore needs ipywidgets: pip install ipywidgets"):
        gk.explore(PLATFORM)


def test_import_gamekit_does_not_import_ipywidgets():
    code = "import sys, gamekit; print('ipywidgets' in sys.modules, 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_repr_and_display():
    ex = gk.explore(PLATFORM, scenario="trap")
    assert repr(ex) == (
        "Explorer('Platform social insurance'; scenario trap; replicator; stable: (regulate, evade, accept) [trap])"
    )
    bundle = ex._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == ex.widget.model_id
    assert "gamekit-stable-states" in ex.stable_view._dom_classes


def test_hawk_dove_the_stable_state_is_the_closed_form_one():
    game = gk.models.hawk_dove()  # dx/dt = x (1 - x) (V - C x)/2 (the model's description)
    ex = gk.explore(game)
    assert ex.orbit_figure.axes[0].get_xlabel() == "t"  # one two-strategy population: shares over time
    for V, C in ((2.0, 4.0), (1.0, 5.0), (3.0, 2.0)):
        ex.set(V=V, C=C)
        (stable,) = ex.stable_states
        hawks = min(V / C, 1.0)  # the mixed state V/C for V < C, else all hawks
        assert stable.state[0] == pytest.approx((hawks, 1 - hawks))
        assert keys(ex.stable_states) == keys(gk.equilibria(game.with_parameters(V=V, C=C)).stable())


def test_default_ranges_follow_the_rule_of_the_module_docstring():
    game = gk.Game(
        {"row": ["a", "b"], "column": ["c", "d"]},
        {"a, c": ["p", "q"], "a, d": ["0", "0"], "b, c": ["0", "0"], "b, d": ["r", "s"]},
        {"p": 3, "q": -1.5, "r": 0, "s": 0.5},
        bounds={"s": (0.25, None), "r": (None, 4)},
        scenarios={"big": {"p": 5, "q": 2}},
    )
    ex = gk.explore(game)
    spans = {name: (s.min, s.max) for name, s in ex.sliders.items()}
    assert spans["p"] == (0, 10)  # values 3 and 5, all >= 0: [0, 2 * 5]
    assert spans["q"] == (-4, 4)  # values -1.5 and 2: [-2 * 2, 2 * 2]
    assert spans["r"] == (0, 4)  # every value 0 (m = 1): [0, 2], whose high end the declared 4 replaces
    assert spans["s"] == (0.25, 1)  # the declared low end replaces 0
    # a power of ten giving 100 to 1,000 steps: 0.1 on [0, 10], 0.01 on [-4, 4]
    assert ex.sliders["p"].step == pytest.approx(0.1) and ex.sliders["q"].step == pytest.approx(0.01)


def test_an_error_of_the_analysis_goes_to_the_status_line(monkeypatch):
    ex = gk.explore(PLATFORM, scenario="trap")
    search = sys.modules["gamekit.equilibria"]

    def failing(game, **kwargs):
        raise gk.AnalysisError("the search failed (a test)")

    monkeypatch.setattr(search, "equilibria", failing)
    ex.sliders["R"].value = 5.0  # the page's path: nothing raised, the message shown
    assert ex.error == "the search failed (a test)" and "the search failed (a test)" in ex.status_view.value
    assert ex.stable_states == () and "not computed" in ex.stable_view.value
    with pytest.raises(gk.AnalysisError, match="the search failed"):  # the programmatic path raises it
        ex.set(R=4.0)
    monkeypatch.undo()
    ex.set(R=4.0)
    assert ex.error is None and {e.name for e in ex.stable_states} == {"trap", "meta-goal"}


def test_under_another_dynamics_the_simplex_draws_that_dynamics_field():
    ex = gk.explore(gk.models.rock_paper_scissors(), scenario="good", dynamics="smith")
    assert ex._caption.value == "" and ex.error is None  # gk.plot.simplex draws Smith's own field: nothing to add
    assert any("dynamics smith" in t.get_text() for t in ex.orbit_figure.axes[0].texts)
    oracle = gk.equilibria(gk.models.rock_paper_scissors().scenario("good"), dynamics="smith").stable()
    assert keys(ex.stable_states) == keys(oracle)
    ex.set(dynamics="replicator")
    assert ex._caption.value == ""
    assert not any("dynamics" in t.get_text() for t in ex.orbit_figure.axes[0].texts)


def test_choosing_custom_in_the_menu_changes_nothing():
    ex = gk.explore(PLATFORM, scenario="trap")
    ex.scenario_menu.value = "(custom)"  # not a set of values: the menu tells which scenario the values are
    assert ex.scenario == "trap" and ex.parameters == dict(PLATFORM.scenario("trap").parameters)


def shown(widget) -> str:
    """What a user reads in an HTML widget: its text without tags, entities decoded, spaces collapsed."""
    import html

    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", widget.value)).split())


@pytest.mark.parametrize(
    "game, dynamics",
    [
        (gk.models.hawk_dove(), "smith"),
        (gk.models.hawk_dove(), "bnn"),
        (gk.models.rock_paper_scissors().scenario("good"), "smith"),
        (gk.models.matching_pennies(), "bnn"),
    ],
)
def test_under_smith_and_bnn_a_stable_game_says_what_gk_equilibria_knows(game, dynamics):
    """Finding 10: no point is labelled asymptotically stable, yet the Nash set is globally asymptotically stable
    (a stable game, Hofbauer & Sandholm 2009) and every basin orbit ends there: the explorer must not say 'none'
    beside a 100% bar without saying why."""
    ex = gk.explore(game, dynamics=dynamics)
    oracle = gk.equilibria(game, dynamics=dynamics)
    assert keys(ex.stable_states) == keys(oracle.stable()) == set()  # the semantics of stable_states are unchanged
    (nash,) = list(oracle)  # the one Nash equilibrium, interior
    assert nash.note and "globally asymptotically stable" in nash.note
    headline, notes = shown(ex.stable_view), shown(ex.notes_view)
    assert "none decided by linearisation" in headline and not headline.endswith(": none")
    assert nash.note in notes and "globally asymptotically stable" in notes
    assert ex.notes[0] == f"{nash.describe_state()}: not linearised: {nash.note}"
    # what the simulation shows: every basin orbit ends at the Nash equilibrium (the centre, x = V / C = 1/2, ...)
    assert list(ex.basin_shares.shares) == [1.0]
    assert ex.notes[-1].startswith(f"simulation (gk.basins, {ex.basin_shares.n} orbits to t = 100): ")
    assert ex.notes[-1].endswith(f"{ex.basin_shares.outcomes[0]} 100.0%")
    assert nash.note in shown(ex._rest_table)  # the rest-point table shows the reason too
    assert repr(ex).endswith(f"stable: none by linearisation; undecided: {nash.describe_state()})")


def test_notes_are_empty_where_linearisation_decides_every_rest_point():
    ex = gk.explore(PLATFORM, scenario="meta-goal")
    oracle = gk.equilibria(PLATFORM.scenario("meta-goal"))
    assert all(str(e.stability) not in ("not linearised", "non-hyperbolic") for e in oracle)
    assert ex.notes == () and ex.notes_view.value == ""
    ex.set(scenario="trap")  # the trap has a non-hyperbolic rest point: named, with the basin orbits' ends
    undecided = [e for e in gk.equilibria(PLATFORM.scenario("trap")) if str(e.stability) == "non-hyperbolic"]
    assert [n.split(":")[0] for n in ex.notes[:-1]] == [e.describe_state() for e in undecided]
    assert keys(ex.stable_states) == keys(gk.equilibria(PLATFORM.scenario("trap")).stable())
    assert "(regulate, evade, accept) [trap]" in shown(ex.stable_view) and "none" not in shown(ex.stable_view)


def test_a_scenario_off_the_sliders_picked_in_the_menu_is_refused_and_the_menu_goes_back():
    """Finding 11: the menu, ex.scenario, repr and the values must agree after a refused pick."""
    ex = gk.explore(PLATFORM, scenario="trap", ranges={"R": (0, 5)})
    trap = dict(PLATFORM.scenario("trap").parameters)
    ex.scenario_menu.value = "meta-goal"  # what a click does; the meta-goal's R = 6 is off the slider [0, 5]
    assert ex.scenario_menu.value == "trap" and ex.scenario == "trap" and ex.parameters == trap
    assert ex.sliders["R"].value == trap["R"]
    assert "scenario trap" in repr(ex) and "meta-goal" not in repr(ex)
    assert keys(ex.stable_states) == keys(gk.equilibria(PLATFORM.scenario("trap")).stable())
    status = shown(ex.status_view)
    assert status == ex.error and "\n" not in status
    assert status.startswith("scenario 'meta-goal' not applied: R = 6 (in scenario 'meta-goal') is off its slider")
    ex.set(R=3.5)  # from custom values the refused pick goes back to custom
    ex.scenario_menu.value = "meta-goal"
    assert ex.scenario_menu.value == "(custom)" and ex.scenario is None and ex.parameters["R"] == 3.5


def test_the_dynamics_sliders_are_labelled_apart_from_a_model_parameter_called_eta():
    """Finding 14: air-pollution has a parameter eta; the logit noise slider must not be labelled the same."""
    game = gk.models.air_pollution()
    ex = gk.explore(game, dynamics="logit:0.5")
    controls = ex.widget.children[1].children[0].children
    visible = [c.description for c in controls if getattr(c, "description", None) and c.layout.display != "none"]
    assert len(visible) == len(set(visible)) and visible.count("eta") == 1
    assert ex.eta_slider.description == "logit η" and ex.mu_slider.description == "mutation μ"
    assert ex.sliders["eta"].description == "eta" and ex.sliders["eta"].value == game.parameters["eta"]
    ex.eta_slider.value = 2.0  # the noise moves, the model's eta stays
    assert str(ex.dynamics) == "logit:2" and ex.parameters["eta"] == game.parameters["eta"]
    ex.sliders["eta"].value = 0.15  # the model's eta moves, the noise stays
    assert ex.parameters["eta"] == 0.15 and str(ex.dynamics) == "logit:2"
    oracle = gk.equilibria(game.with_parameters(eta=0.15), dynamics="logit:2").stable()
    assert keys(ex.stable_states) == keys(oracle)


def test_ranges_that_hold_the_scenarios_values_are_accepted():
    """Finding 15: the check is of the starting values (the scenario's), not of the game's defaults."""
    ex = gk.explore(PLATFORM, scenario="meta-goal", ranges={"R": (5, 10)})
    assert (ex.sliders["R"].min, ex.sliders["R"].max, ex.sliders["R"].value) == (5, 10, 6)
    assert ex.scenario == "meta-goal" and ex.parameters == dict(PLATFORM.scenario("meta-goal").parameters)
    assert keys(ex.stable_states) == keys(gk.equilibria(PLATFORM.scenario("meta-goal")).stable())
    assert {e.profile for e in ex.stable_states} == strict_nash(dict(PLATFORM.scenario("meta-goal").parameters))


def test_a_value_outside_the_declared_bounds_is_said_to_be_so_not_widen_it():
    """Finding 20: ranges= cannot leave the declared bounds, so its hint is given only where it helps."""
    game = gk.models.air_pollution()
    assert game.bounds["eA"] == (0, 1)
    with pytest.raises(ArgumentError) as err:
        gk.explore(game.with_parameters(eA=2.0))
    message = str(err.value)
    assert message.startswith("eA = 2 (the game's value) is outside its declared bounds [0, 1] (the model's [bounds])")
    assert "ranges" not in message and "\n" not in message
    ex = gk.explore(game)
    with pytest.raises(ArgumentError) as err:
        ex.set(eA=1.5)
    assert str(err.value).startswith("eA = 1.5 is outside its declared bounds [0, 1]") and "ranges" not in str(
        err.value
    )
    with pytest.raises(ArgumentError, match=r"ranges=\{'PA': \(low, high\)\}\) widens it"):  # no bound: the hint helps
        ex.set(PA=1000.0)
    ex = gk.explore(game, ranges={"PA": (0, 2000)})  # ... and following it works
    ex.set(PA=1000.0)
    assert ex.parameters["PA"] == 1000.0
    assert keys(ex.stable_states) == keys(gk.equilibria(game.with_parameters(PA=1000.0)).stable())


@pytest.mark.parametrize("dynamics", ["logit:0.2", "replicator"])
def test_the_basin_share_texts_end_inside_the_axes(dynamics):
    """Finding 16: a long outcome name narrows the basin axes; the '100.0%' text must not cross their edge."""
    ex = gk.explore(gk.models.rock_paper_scissors(), dynamics=dynamics)
    fig = ex.basin_figure
    (ax,) = fig.axes
    renderer = fig.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    texts = [t for t in ax.texts if t.get_text().endswith("%")]
    assert [t.get_text() for t in texts] == [f"{s:.1%}" for s in ex.basin_shares.shares]
    for t in texts:
        extent = t.get_window_extent(renderer)
        assert box.x0 <= extent.x0 and extent.x1 <= box.x1
    assert max(ax.get_xticks()) <= 1.0  # the ticks are still those of a share
    assert bytes(ex._basin_image.value[:8]) == b"\x89PNG\r\n\x1a\n"


def test_a_view_that_cannot_be_drawn_is_said_in_the_status_line_and_the_others_are_drawn(monkeypatch):
    """Finding 21: an error of a drawing (here gk.plot.phase_portrait's) must not escape the constructor, set() or a
    slider's callback; the status line says it in one line and the other views are drawn."""
    game = gk.models.matching_pennies()

    def failing(*args, **kwargs):
        raise ValueError("cannot draw (a test)\nsecond line")

    monkeypatch.setattr(gk.plot, "phase_portrait", failing)
    ex = gk.explore(game)
    assert ex.error == "orbit view not drawn: ValueError: cannot draw (a test)" == shown(ex.status_view)
    assert keys(ex.stable_states) == keys(gk.equilibria(game).stable())
    assert bytes(ex._basin_image.value[:8]) == b"\x89PNG\r\n\x1a\n" and ex._orbit_image.value == b""
    assert "rest points under the replicator" in ex._rest_table.value
    ex.sliders["a"].value = 1.5  # the page's path
    ex.set(a=0.5)  # the programmatic path: a drawing error is not raised
    assert ex.parameters["a"] == 0.5 and ex.error.startswith("orbit view not drawn")
    monkeypatch.undo()
    ex.set(a=1.0)
    assert ex.error is None and bytes(ex._orbit_image.value[:8]) == b"\x89PNG\r\n\x1a\n"


def test_payoffs_scaled_by_1e_minus_9_never_raise_out_of_the_explorer():
    """Finding 21 as found: whatever gk.plot makes of tiny payoffs, the explorer shows it and keeps going."""
    game = gk.models.matching_pennies()
    ex = gk.explore(game.with_parameters(a=1e-9))
    assert ex.error is None or "\n" not in ex.error
    assert keys(ex.stable_states) == keys(gk.equilibria(game.with_parameters(a=1e-9)).stable())
    ex = gk.explore(game)
    ex.sliders["a"].value = 1e-9
    ex.set(a=2e-9)
    assert ex.parameters["a"] == 2e-9 and (ex.error is None or "\n" not in ex.error)
    assert bytes(ex._basin_image.value[:8]) == b"\x89PNG\r\n\x1a\n"


def test_a_portrait_that_takes_dynamics_is_given_it_and_the_caption_goes(monkeypatch):
    """gk.plot.simplex takes dynamics= (drawing that dynamics' field): the explorer passes the current one."""
    calls = []
    real = gk.plot.simplex

    def simplex(game, *, dynamics=None, **kwargs):
        calls.append(None if dynamics is None else str(dynamics))
        return real(game, dynamics=dynamics, **kwargs)

    monkeypatch.setattr(gk.plot, "simplex", simplex)
    ex = gk.explore(gk.models.rock_paper_scissors(), scenario="good", dynamics="smith")
    assert calls == ["smith"] and ex._caption.value == "" and ex.error is None
    ex.set(dynamics="replicator")
    assert calls == ["smith", None]
