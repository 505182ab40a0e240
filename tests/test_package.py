"""The package as a user meets it: what importing it costs, what it promises to type checkers."""

from __future__ import annotations

import inspect
import subprocess
import sys
from importlib import resources

import gamekit as gk


def test_import_pulls_in_neither_matplotlib_nor_numba():
    code = "import sys, gamekit; print(sorted(m for m in ('matplotlib', 'numba', 'pandas') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_py_typed_marker_is_shipped():
    assert resources.files("gamekit").joinpath("py.typed").is_file()


def _public_callables():
    for name in gk.__all__:
        obj = getattr(gk, name)
        if inspect.isfunction(obj):
            yield name, obj
        elif inspect.isclass(obj) and not issubclass(obj, BaseException):
            for meth_name, meth in vars(obj).items():
                if inspect.isfunction(meth) and not meth_name.startswith("_"):
                    yield f"{name}.{meth_name}", meth


def test_every_public_parameter_is_annotated():
    missing = []
    for name, func in _public_callables():
        for param in inspect.signature(func).parameters.values():
            if param.name in ("self", "cls"):
                continue
            if param.annotation is inspect.Parameter.empty:
                missing.append(f"{name}({param.name})")
    assert not missing, f"{len(missing)} public parameters without annotation: {', '.join(missing)}"


def test_every_public_name_is_documented():
    undocumented = [n for n in gk.__all__ if not inspect.getdoc(getattr(gk, n))]
    assert not undocumented, undocumented
