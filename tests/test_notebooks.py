"""The notebooks: each executes from top to bottom and shows a figure; they are stored without outputs.

Executing them is slow (marked ``slow``; ``-m "not slow"`` skips it); the checks of the stored files are fast.
"""

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
