"""The documentation: the site builds under ``-W`` with the notebooks executed, its reference holds every public
name, and every example in a docstring is one that the doctests run.

The build test runs ``python -m sphinx -W -b html docs OUT`` in a subprocess (as CI and a reader would) into a
temporary folder and reads the HTML it wrote.  It is slow: it executes every notebook and the pages with figures.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import os
import pkgutil
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

import gamekit as gk

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: the reference entries the issue names: the HTML must hold them
REQUIRED_ENTRIES = ("simulate", "equilibria", "thresholds", "load")


class _Page(HTMLParser):
    """The ids and the image sources of one HTML page."""

    def __init__(self, text: str):
        super().__init__()
        self.ids: set[str] = set()
        self.images: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "img" and attrs.get("src"):
            self.images.append(attrs["src"])


def _page(site: Path, name: str) -> _Page:
    path = site / name
    assert path.is_file(), f"{name} was not written"
    return _Page(path.read_text(encoding="utf-8"))


def _png_images(site: Path, name: str) -> list[Path]:
    """The PNG files a page shows, each checked to exist in the build and to be a PNG."""
    page_dir = (site / name).parent
    found = []
    for src in _page(site, name).images:
        if src.startswith(("http:", "https:", "data:")) or not src.endswith(".png"):
            continue
        image = (page_dir / src).resolve()
        assert image.is_file(), f"{name} shows {src}, which is not in the build"
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{src} is not a PNG"
        found.append(image)
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    pytest.importorskip("sphinx", reason="the docs extra is not installed: pip install -e '.[docs]'")
    pytest.importorskip("myst_nb", reason="the docs extra is not installed: pip install -e '.[docs]'")
    pytest.importorskip("pydata_sphinx_theme", reason="the docs extra is not installed: pip install -e '.[docs]'")
    out = tmp_path_factory.mktemp("site") / "html"
    env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")
    env.pop("MPLBACKEND", None)  # the notebooks' kernels draw inline
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", str(DOCS), str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    report = "\n".join((done.stdout + done.stderr).splitlines()[-60:])
    assert done.returncode == 0, f"the documentation does not build under -W:\n{report}"
    return out


@pytest.mark.slow
def test_reference_holds_the_entries_the_issue_names(site):
    for name in REQUIRED_ENTRIES:
        page = _page(site, f"reference/generated/gamekit.{name}.html")
        assert f"gamekit.{name}" in page.ids, f"no entry with id gamekit.{name}"


@pytest.mark.slow
def test_reference_has_an_entry_for_every_public_name(site):
    missing = []
    for name in gk.__all__:
        ids = _page(site, f"reference/generated/gamekit.{name}.html").ids
        if f"gamekit.{name}" not in ids and f"module-gamekit.{name}" not in ids:  # gk.models is a module
            missing.append(name)
    assert not missing, missing
    plot = _page(site, "reference/plot.html")
    figures = [n for n in gk.plot.__all__ if inspect.isfunction(getattr(gk.plot, n))]
    assert figures
    assert not [n for n in figures if f"gamekit.plot.{n}" not in plot.ids]


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_notebook_is_a_tutorial_page_with_a_figure(site, notebook):
    name = f"tutorial/notebooks/{notebook.stem}.html"
    assert _png_images(site, name), f"{name} shows no figure"
    assert name.split("/", 1)[1] in (site / "tutorial/index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_gallery_and_figure_guide_show_their_figures(site):
    assert len(_png_images(site, "gallery.html")) >= 5
    assert len(_png_images(site, "howto/paper-figure.html")) >= 5


@pytest.mark.slow
def test_explanation_pages_render_their_mathematics(site):
    for page in ("tangent-space", "log-ratio", "honest-labels"):
        text = (site / f"explanation/{page}.html").read_text(encoding="utf-8")
        assert 'class="math' in text, f"{page}: no rendered mathematics"


# -- fast: what the reference is built from --------------------------------------------------------------------


def _sections(doc: str) -> dict[str, list[str]]:
    """numpy-style sections of a docstring: header -> its lines."""
    lines = doc.splitlines()
    sections: dict[str, list[str]] = {}
    current = None
    for i, line in enumerate(lines):
        if i + 1 < len(lines) and re.fullmatch(r"-{3,}", lines[i + 1].strip()) and line.strip():
            current = line.strip()
            sections[current] = []
        elif current is not None and not re.fullmatch(r"-{3,}", line.strip()):
            sections[current].append(line)
    return sections


def _documented_parameters(lines: list[str]) -> set[str]:
    names: set[str] = set()
    for line in lines:
        if line and not line[0].isspace():
            head = line.split(" : ")[0]
            names.update(n.strip().lstrip("*") for n in head.split(","))
    return names


def _public_functions():
    for name in gk.__all__:
        obj = getattr(gk, name)
        if inspect.isfunction(obj):
            yield f"gamekit.{name}", obj
    for name in gk.plot.__all__:
        obj = getattr(gk.plot, name)
        if inspect.isfunction(obj):
            yield f"gamekit.plot.{name}", obj


FUNCTIONS = sorted(_public_functions())


@pytest.mark.parametrize("name, func", FUNCTIONS, ids=[n for n, _ in FUNCTIONS])
def test_public_function_has_numpy_parameters_and_returns(name, func):
    doc = inspect.getdoc(func)
    assert doc, f"{name} has no docstring"
    sections = _sections(doc)
    params = [p.name for p in inspect.signature(func).parameters.values()]
    if params:
        assert "Parameters" in sections, f"{name}: no numpy 'Parameters' section"
        missing = set(params) - _documented_parameters(sections["Parameters"])
        assert not missing, f"{name}: parameters not in its Parameters section: {sorted(missing)}"
    assert "Returns" in sections, f"{name}: no numpy 'Returns' section"
    assert any(line.strip() for line in sections["Returns"]), f"{name}: an empty Returns section"


def test_every_public_name_is_placed_in_the_reference():
    """The reference lists names by topic (docs/reference/index.md): a new export must be given its place."""
    text = (DOCS / "reference" / "index.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^   (\w+)$", text, flags=re.M))
    assert not set(gk.__all__) - listed, sorted(set(gk.__all__) - listed)
    assert not listed - set(gk.__all__), sorted(listed - set(gk.__all__))


def _modules():
    yield gk
    for info in pkgutil.walk_packages(gk.__path__, prefix="gamekit."):
        yield importlib.import_module(info.name)


def test_doctest_finds_every_example_in_the_package():
    """``--doctest-modules`` runs what doctest finds: an example in a docstring doctest cannot see (a function
    imported from elsewhere, a string that is not a docstring) would silently never run, and none is skipped."""
    finder = doctest.DocTestFinder()
    lost, skipped = [], []
    for module in _modules():
        source = inspect.getsource(module)
        written = len(re.findall(r"^\s*>>> ", source, flags=re.M))
        found = sum(len(t.examples) for t in finder.find(module) if t.filename == module.__file__)
        if found != written:
            lost.append(f"{module.__name__}: {written} examples written, {found} found")
        if "doctest: +SKIP" in source:
            skipped.append(module.__name__)
    assert not lost, lost
    assert not skipped, skipped
