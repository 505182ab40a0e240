"""The papers' tables and the figures."""

import inspect
import shutil
import subprocess

import numpy as np
import pytest

import gamekit as gk

GAME = gk.models.platform_insurance()


def test_report_tables_use_the_users_names():
    rep = gk.report(GAME.scenario("trap"))
    assert list(rep.payoffs.columns[:3]) == ["government", "platform", "workers"]
    assert rep.payoffs.iloc[3].tolist()[:3] == ["regulate", "evade", "accept"]
    assert rep.payoffs.iloc[3, 3] == "-Cg + F*delta"
    row = rep.stability.set_index("name").loc["trap"]
    assert row["asymptotically stable iff"] == "F*delta > Cg, Cp > B + F*delta + S, Cc > K"
    assert row["at the values"] == "asymptotically stable"
    assert rep.jacobian.shape == (3, 4)
    md = rep.to_markdown()
    assert "### Payoff matrix" in md and "| regulate | evade | accept |" in md


def _kinds(name):
    """A game of each kind: the platform, hawk-dove within one population, a 10-person stag hunt, a dynamic fine."""
    if name == "platform":
        return GAME.scenario("trap")
    if name == "symmetric":
        payoffs = {"hawk, hawk": "(V - C)/2", "hawk, dove": "V", "dove, hawk": "0", "dove, dove": "V/2"}
        return gk.Game({"players": ["hawk", "dove"]}, payoffs, {"V": 2, "C": 4})
    if name == "group":
        payoffs = {"cooperate": "(k + 1)*F*c/10*step(k + 1 - M) - c", "defect": "k*F*c/10*step(k - M)"}
        return gk.Game({"players": ["cooperate", "defect"]}, payoffs, {"F": 8, "c": 1, "M": 5}, group={"size": 10})
    payoffs = {", ".join(k): [v.replace("F", "F*(1 - y)") for v in vals] for k, vals in GAME.sources.items()}
    pops = {p.name: list(p.strategies) for p in GAME.populations}
    return gk.Game(pops, payoffs, dict(GAME.parameters), shares={"y": "platform.insure"})


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
@pytest.mark.parametrize("kind", ["platform", "symmetric", "group", "shares"])
def test_latex_compiles(tmp_path, kind):
    body = gk.report(_kinds(kind)).to_latex()
    doc = (
        "\\documentclass{article}\n\\usepackage{booktabs}\n\\usepackage[margin=1cm,landscape]{geometry}\n\\begin{document}\n"
        + body
        + "\\end{document}\n"
    )
    (tmp_path / "r.tex").write_text(doc)
    proc = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "r.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert (tmp_path / "r.pdf").stat().st_size > 1000


def test_latex_escapes_names():
    g = gk.Game(
        {"gov_1": ["a&b", "c"], "firm%": ["x", "y"]},
        {"a&b, x": [1, 2], "a&b, y": [0, 0], "c, x": [0, 0], "c, y": [2, 1]},
    )
    tex = gk.report(g).to_latex()
    assert "gov\\_1" in tex and "a\\&b" in tex and "firm\\%" in tex


def test_figures_draw_what_they_are_given():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from gamekit import plot

    m = gk.regime_map(GAME, ("R", 0, 8), ("K", 0, 8), base="trap", resolution=41)
    fig = m.plot()
    ax = fig.axes[0]
    assert ax.get_xlabel() == "R" and ax.get_ylabel() == "K"
    keys = {t.get_text() for t in fig.legends[0].get_texts()}
    assert keys == set(m.regimes) | {plot.BOUNDARY_LABEL}  # the key beside the map
    traj = gk.simulate(
        GAME.scenario("trap"), np.random.default_rng(0).uniform(size=(5, 3)), 30, t_eval=np.linspace(0, 30, 61)
    )
    fig = plot.orbits3d(traj)
    assert len(fig.axes[0].lines) == 5
    fig = plot.trajectories(traj)
    assert len(fig.axes[0].lines) == 15
    frame = gk.basins(GAME.scenario("meta_goal"), 200, rng=0, t_end=60)
    fig = plot.basins(frame)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["regulate, insure, claim"]
    with pytest.raises(gk.GamekitError, match="t_eval"):
        plot.trajectories(gk.simulate(GAME.scenario("trap"), [[0.5, 0.5, 0.5]], 10))
    matplotlib.pyplot.close("all")


def test_report_pickles_and_prints_briefly():
    import pickle

    rep = gk.report(GAME.scenario("trap"))
    assert repr(rep) == "Report('Platform social insurance': payoffs, equations, jacobian, stability)"
    again = pickle.loads(pickle.dumps(rep))
    assert again.to_markdown() == rep.to_markdown() and again.to_frame("payoffs").equals(rep.payoffs)
    assert rep.to_frame().equals(rep.stability)
    assert str(rep) == rep.to_markdown()  # nothing to escape in ordinary names


def test_path_plot_marks_the_phases():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    path = gk.follow(GAME, "phased", [[0.95, 0.05, 0.05]], 60, "meta-goal", points=121)
    fig = path.plot()
    ax = fig.axes[0]
    starts = [t for t, _ in path.phases]
    vertical = [line for line in ax.lines if len(set(line.get_xdata())) == 1]
    assert sorted(line.get_xdata()[0] for line in vertical) == sorted(starts)
    assert {t.get_text() for t in ax.texts} == {name for _, name in path.phases}
    matplotlib.pyplot.close("all")


def test_report_of_a_symmetric_game():
    game = gk.Game(
        {"players": ["hawk", "dove"]},
        {"hawk, hawk": "(V - C)/2", "hawk, dove": "V", "dove, hawk": "0", "dove, dove": "V/2"},
        {"V": 2, "C": 4},
        name="Hawk-dove",
    )
    rep = gk.report(game)
    assert list(rep.payoffs.columns) == ["mine", "opponent's", "my payoff"]
    assert rep.payoffs.values.tolist()[1] == ["hawk", "dove", "V"]
    assert rep.equations.values.tolist() == [["x", "players (hawk)", "x*(1 - x)*(-x*C/2 + V/2)"]]
    assert rep.jacobian.shape == (1, 2)
    rows = rep.stability.set_index("profile")
    assert rows.loc["hawk", "eigenvalues"] == "C/2 - V/2" and rows.loc["dove", "eigenvalues"] == "V/2"
    assert set(rows["at the values"]) == {"unstable"}
    md, tex = rep.to_markdown(), rep.to_latex()
    assert "| mine | opponent's | my payoff |" in md and "| hawk | dove | `V` |" in md
    assert tex.count(r"\begin{tabular}") == 4 and r"\frac{V}{2}" in tex


def test_report_of_a_group_game_writes_payoffs_in_the_count_and_step_as_step():
    game = gk.Game(
        {"players": ["cooperate", "defect"]},
        {"cooperate": "(k + 1)*F*c/10*step(k + 1 - M) - c", "defect": "k*F*c/10*step(k - M)"},
        {"F": 8, "c": 1, "M": 5},
        group={"size": 10},
        name="Stag hunt",
    )
    rep = gk.report(game)
    assert rep.payoffs.columns[1].startswith("payoff in k") and "other 9" in rep.payoffs.columns[1]
    assert rep.payoffs.values.tolist()[1] == ["defect", "F*c*k*step(-M + k)/10"]
    rows = rep.stability.set_index("profile")
    assert rows.loc["defect", "at the values"] == "asymptotically stable"
    assert rows.loc["cooperate", "at the values"] == "unstable"
    md, tex = rep.to_markdown(), rep.to_latex()
    assert "Heaviside" not in md and "step(" in md
    assert r"\mathrm{step}" in tex and r"\theta" not in tex


def test_report_of_a_game_with_shares_in_payoffs():
    payoffs = {", ".join(k): [v.replace("F", "F*(1 - y)") for v in vals] for k, vals in GAME.sources.items()}
    game = gk.Game(
        {p.name: list(p.strategies) for p in GAME.populations},
        payoffs,
        dict(GAME.scenario("trap").parameters),
        shares={"y": "platform.insure"},
        states=dict(GAME.states),
    )
    rep = gk.report(game)
    assert rep.payoffs.iloc[3, 3] == "-Cg + F*delta*(1 - y)"
    row = rep.stability.set_index("name").loc["trap"]
    assert row["asymptotically stable iff"] == "F*delta > Cg, Cp > B + F*delta + S, Cc > K"
    assert row["at the values"] == "asymptotically stable"
    meta = rep.stability.set_index("name").loc["meta-goal"]
    assert meta["eigenvalues"] == "Cg - R + S, -B + Cp - K - S, Cw - V"  # no fine at y = 1
    assert rep.jacobian.shape == (3, 4) and "y**2" in rep.jacobian.iloc[0, 1]


# -- the propositions table (issue #12) ------------------------------------------------------------------------

BOUNDS = {**{n: (0, 100) for n in GAME.parameters}, "delta": (0, 1), "theta": (0, 1)}
CLAIMS = [
    ("trap", ["delta*F > Cg", "Cp > B + delta*F + S", "Cc > K"]),
    ("trap", ["delta*F > Cg", "Cc > K"]),
    {"state": "meta-goal", "when": ["R > Cg + S", "B + S + F + K > Cp", "V > Cw"], "unique": True},
    ("lag", ["delta*F < Cg", "B < Cp", "theta*K < Cc"]),
]


def _gains_at(values, profile):
    """Switch gains of the platform model at a pure profile, from its payoff table written out here."""
    v = {k: float(x) for k, x in values.items()}
    Cg, F, d, S, R, A, Cp, B, K, th, Cc, V, Cw = (v[k] for k in "Cg F delta S R A Cp B K theta Cc V Cw".split())
    table = {
        ("regulate", "insure", "claim"): (R - Cg - S, B + S - Cp, V - Cw),
        ("regulate", "insure", "accept"): (R - Cg - S, B + S - Cp, 0),
        ("regulate", "evade", "claim"): (F - Cg, -F - K, K - Cc),
        ("regulate", "evade", "accept"): (d * F - Cg, -d * F, 0),
        ("relax", "insure", "claim"): (0, B - Cp, V - Cw),
        ("relax", "insure", "accept"): (0, B - Cp, 0),
        ("relax", "evade", "claim"): (-A, -th * K, th * K - Cc),
        ("relax", "evade", "accept"): (0, 0, 0),
    }
    names = [("regulate", "relax"), ("insure", "evade"), ("claim", "accept")]
    out = []
    for p, (a, b) in enumerate(names):
        other = list(profile)
        other[p] = b if profile[p] == a else a
        out.append(table[tuple(other)][p] - table[tuple(profile)][p])
    return out


def test_propositions_table_verdicts_and_counterexamples():
    props = gk.report(GAME).propositions(CLAIMS, bounds=BOUNDS)
    assert [r.verdict() for r in props.results] == ["proved", "refuted", "refuted", "proved"]
    frame = props.to_frame()
    assert frame["verdict"].tolist() == ["proved", "refuted", "refuted", "proved"]
    assert frame["also needs"][1] == "Cp > B + F*delta + S"
    # the refutation of claim 2: the conditions hold there and the trap has a gain >= 0 (checked independently)
    cx = props.results[1].counterexample
    assert float(cx["delta"]) * float(cx["F"]) > float(cx["Cg"]) and float(cx["Cc"]) > float(cx["K"])
    assert max(_gains_at(cx, ("regulate", "evade", "accept"))) >= 0
    # claim 3: the meta-goal is stable there, and so is another pure profile
    cx = props.results[2].counterexample
    stable = [
        p
        for p in [(a, b, c) for a in ("regulate", "relax") for b in ("insure", "evade") for c in ("claim", "accept")]
        if max(_gains_at(cx, p)) < 0
    ]
    assert ("regulate", "insure", "claim") in stable and len(stable) >= 2
    md = props.to_markdown()
    assert md.count("\n") == 2 + len(CLAIMS) and "`delta*F > Cg`" in md
    tex = props.to_latex()
    assert "\\toprule" in tex and "$F \\delta > Cg$" in tex


def test_propositions_bad_claims_are_one_line_errors():
    rep = gk.report(GAME)
    with pytest.raises(gk.GamekitError, match="claim"):
        rep.propositions("trap")
    with pytest.raises(gk.GamekitError, match="claim"):
        rep.propositions([("trap",)])
    with pytest.raises(gk.GamekitError, match="keys"):
        rep.propositions([{"state": "trap", "if": []}])


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_propositions_latex_compiles(tmp_path):
    body = gk.report(GAME).propositions(CLAIMS, bounds=BOUNDS).to_latex()
    doc = "\\documentclass{article}\n\\usepackage{booktabs}\n\\usepackage[margin=1cm,landscape]{geometry}\n"
    (tmp_path / "p.tex").write_text(doc + "\\begin{document}\n\\tiny\n" + body + "\\end{document}\n")
    proc = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "p.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-2000:]


def test_report_of_a_large_group_game_keeps_the_binomial_form():
    # a group of 200: the Jacobian stays a derivative of the binomial sum (expanding it took minutes); its value
    # at a state equals the general field's Jacobian there
    payoffs = {"cooperate": "(k + 1)*F*c/200 - c", "defect": "k*F*c/200"}
    game = gk.Game({"players": ["cooperate", "defect"]}, payoffs, {"F": 8, "c": 1}, group={"size": 200})
    rep = gk.report(game)
    assert rep.jacobian.shape == (1, 2)
    dyn = gk.replicator(game)
    (x,) = dyn.coordinates
    value = float(dyn.jacobian[0, 0].subs({x: 0.3, **game.values()}))
    # public good, linear: d = c(F/200 - 1) constant, so d/dx [x(1-x)d] = (1 - 2x) d
    assert value == pytest.approx((1 - 2 * 0.3) * (8 / 200 - 1), rel=1e-9)


def test_results_plot_methods_are_the_gk_plot_functions(monkeypatch):
    """One piece of code per figure: each result's .plot() hands itself and its arguments to gamekit.plot."""
    from gamekit import plot

    trap = GAME.scenario("trap")
    results = {
        "regime_map": (gk.regime_map(GAME, ("R", 0, 8), ("K", 0, 8), base="trap", resolution=5), "plot", {}),
        "path": (gk.follow(GAME, "phased", [[0.95, 0.05, 0.05]], 60, "meta-goal", points=11), "plot", {}),
        "sensitivity": (
            gk.sensitivity(trap, "F", [5, 15], t_end=1, t_eval=[0, 1]),
            "plot",
            {"starts": [0]},
        ),
        "sensitivity_map": (
            gk.sensitivity_map(trap, {"F": [5, 10], "R": [1, 2]}, share="platform.insure", t_end=1),
            "plot",
            {},
        ),
        "bifurcation": (
            gk.continuation(gk.load("hawk-dove"), "V", (0.5, 3)),
            "plot",
            {"share": "players.hawk", "labels": False, "legend": False},
        ),
        "sweep": (gk.sweep(trap, {"R": [1, 4]}, n=5, t_end=1, progress=False), "plot", {"outcome": "trap"}),
        "hitting_probability": (
            gk.simulate(trap, [[0.7, 0.3, 0.3]] * 10, 2, noise={"platform.insure": 0.5}, rng=1),
            "plot_probability",
            {"target": "trap", "leave": False, "times": None},
        ),
    }
    for name, (result, method, kwargs) in results.items():
        real = inspect.signature(getattr(plot, name))
        calls = []
        monkeypatch.setattr(plot, name, lambda *a, _calls=calls, **k: _calls.append((a, k)) or "figure")
        assert getattr(result, method)(ax=None, **kwargs) == "figure", name
        ((args, kw),) = calls
        bound = real.bind(*args, **kw).arguments
        first = next(iter(real.parameters))
        assert bound[first] is result and bound.get("ax") is None, name
        assert {k: bound[k] for k in kwargs} == kwargs, name
