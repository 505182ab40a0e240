"""The notebooks: each executes from top to bottom and shows a figure; they are stored without outputs.

Executing them is slow (marked ``slow``; ``-m "not slow"`` skips it); the checks of the stored files are fast.
"""

import re
from pathlib import Path

import pytest

FOLDER = Path(__file__).parent.parent / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))
QUICKSTART = FOLDER / "01-quickstart.ipynb"
QUICKSTART_MAX_LINES = 20
EXPECTED = [
    "01-quickstart.ipynb",
    "02-platform-insurance.ipynb",
    "03-your-own-game.ipynb",
    "04-sensitivity-and-regimes.ipynb",
]


def _read(path):
    nbformat = pytest.importorskip("nbformat")
    return nbformat.read(path, as_version=4)


def _code_lines(nb):
    """Non-blank lines of code cells that are not comments."""
    return [
        line
        for cell in nb.cells
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
@pytest.mark.slow
def test_notebook_runs_and_shows_a_figure(path, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = _read(path)
    nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), f"{path.name} shows no figure"


def test_the_tutorial_notebooks_are_there():
    names = {p.name for p in NOTEBOOKS}
    assert set(EXPECTED) <= names
    assert "platform_insurance.ipynb" not in names  # replaced by 02-platform-insurance.ipynb


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path):
    nb = _read(path)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.get("outputs") == [] and cell.get("execution_count") is None, (path.name, cell.source[:60])


def test_the_quickstart_is_under_twenty_lines_of_code():
    lines = _code_lines(_read(QUICKSTART))
    assert 0 < len(lines) < QUICKSTART_MAX_LINES, lines


def test_code_lines_are_counted_without_blanks_and_comments():
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("import gamekit as gk\n\n# a comment\n   # indented comment\nx = 1  # trailing"),
            nbformat.v4.new_markdown_cell("not code\nat all"),
        ]
    )
    assert _code_lines(nb) == ["import gamekit as gk", "x = 1  # trailing"]


def _markdown(name):
    return [c.source for c in _read(FOLDER / name).cells if c.cell_type == "markdown"]


def _latex_to_sympy(text, symbols):
    """A LaTeX sum such as 'C_g + S - R' or '2 + 1 - 2' as a sympy expression in the model's parameters."""
    import sympy

    return sympy.sympify(re.sub(r"([A-Za-z])_\{?(\w+)\}?", r"\1\2", text), locals=dict(symbols))


def test_notebook_02_states_the_meta_goals_government_eigenvalue_with_its_sign():
    """hostile6 #3: the eigenvalue away from the meta-goal in the government's direction, as the prose writes it
    (symbolically and at the trap's values), is u(relax) - u(regulate) read off the payoff table."""
    import sympy

    import gamekit as gk

    game = gk.models.platform_insurance()
    flat = {idx: i for i, idx in enumerate(game.profiles())}
    government = game.payoffs[0]
    oracle = government[flat[(1, 0, 0)]] - government[flat[(0, 0, 0)]]  # relax vs regulate, platforms insure, claim
    at_trap = oracle.subs({game.symbols[k]: sympy.nsimplify(v) for k, v in game.scenario("trap").parameters.items()})
    claims = [
        m for text in _markdown("02-platform-insurance.ipynb") for m in re.findall(r"eigenvalue[^$]*\$([^$]+)\$", text)
    ]
    claims = [c for c in claims if "C_g" in c]
    assert len(claims) == 2, claims
    for claim in claims:
        symbolic, *numbers = (part.strip() for part in claim.split("="))
        assert sympy.expand(_latex_to_sympy(symbolic, game.symbols) - oracle) == 0, claim
        assert numbers and all(_latex_to_sympy(n, {}) == at_trap == 1 for n in numbers), claim


def test_notebook_02_calls_the_printed_infimum_a_boundary_where_nothing_is_stable():
    """hostile6 #4: the prose presents the policy's second line as a bound at which the target is not stable."""
    import gamekit as gk

    text = next(t for t in _markdown("02-platform-insurance.ipynb") if "cheapest combined policy" in t)
    assert "infimum" in text and "not yet asymptotically stable" in text
    boundary = dict(re.findall(r"\$(R|K) = (\d+)\$", text.split("boundary", 1)[1]))
    game = gk.models.platform_insurance()
    policy = gk.cheapest_policy(game, "trap", "meta-goal", {"R": 1.0, "K": 1.0, "delta": 10.0}, margin=0.5)
    assert {k: int(v) for k, v in boundary.items()} == {k: policy.exact[k] for k in ("R", "K")}
    assert (
        gk.equilibria(game.scenario("trap").with_parameters({k: float(v) for k, v in boundary.items()})).stable() == []
    )
    margin = re.search(r"margin of \$([\d.]+)\$", text)
    assert margin and float(margin.group(1)) == policy.margin


def test_notebook_03_says_for_which_games_an_interior_point_cannot_be_stable():
    """hostile6 #6: 'never asymptotically stable' holds for games between separate populations, not for one
    population playing itself (hawk-dove's mixed state is asymptotically stable)."""
    import gamekit as gk

    claims = [
        sentence
        for text in _markdown("03-your-own-game.ipynb")
        for sentence in re.split(r"(?<=[.)])\s+|\n", text)
        if "never" in sentence and "asymptotically stable" in sentence
    ]
    assert claims and all("separate populations" in c for c in claims), claims
    interior = [e for e in gk.equilibria(gk.models.hawk_dove()).stable() if e.is_interior]
    assert interior  # the counterexample the qualification is for
    assert not [e for e in gk.equilibria(gk.load("greenwashing")).stable() if e.is_interior]
