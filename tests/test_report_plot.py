"""The papers' tables and the figures."""

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


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_latex_compiles(tmp_path):
    body = gk.report(GAME.scenario("trap")).to_latex()
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
    assert {t.get_text() for t in ax.get_legend().get_texts()} == set(m.regimes)
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
