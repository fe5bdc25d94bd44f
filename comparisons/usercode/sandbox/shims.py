"""Worker side: what course code imports but a checking environment may lack.

CS231n's templates import ``past.builtins.xrange`` and ``future.standard_library`` (the
``future`` package, 2017-2024), ``matplotlib.pyplot`` (``neural_net.py``) and the compiled
``im2col_cython`` that nobody commits. None of them matters to a gradient, so when the real
module cannot be imported a minimal stand-in is registered instead, and the 2016 templates'
``xrange`` is given to Python 3. Only modules that are really missing are replaced; the
stand-ins that were installed are listed in ``INSTALLED`` (the worker reports them).
"""

from __future__ import annotations

import builtins
import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

INSTALLED: list[str] = []


def _module(name: str, **attributes: object) -> ModuleType:
    module = ModuleType(name)
    module.__dict__.update(attributes)
    module.__gradverify_stand_in__ = True
    return module


def _missing(name: str) -> bool:
    if name in sys.modules:
        return False
    try:
        return importlib.util.find_spec(name) is None
    except (ImportError, ValueError):
        return True


def _register(name: str, module: ModuleType) -> None:
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent and parent in sys.modules:
        setattr(sys.modules[parent], child, module)
    INSTALLED.append(name)


def _library_stand_ins() -> None:
    if _missing("past"):
        _register("past", _module("past"))
        _register("past.builtins", _module("past.builtins", xrange=range, basestring=str, unicode=str))
    if _missing("future"):
        _register("future", _module("future"))
        _register("future.standard_library", _module("future.standard_library", install_aliases=lambda: None))
    if _missing("matplotlib"):

        def ignore(*args: object, **kwargs: object) -> None:
            return None

        pyplot = _module("matplotlib.pyplot")
        pyplot.__getattr__ = lambda name: ignore  # plt.plot, plt.show, ... do nothing
        _register("matplotlib", _module("matplotlib", use=ignore))
        _register("matplotlib.pyplot", pyplot)


def _compiled(folder: Path, stem: str) -> bool:
    return any((folder / (stem + suffix)).is_file() for suffix in importlib.machinery.EXTENSION_SUFFIXES)


def install(package: str | None, folder: Path | None = None) -> None:
    """Stand-ins for missing libraries; for a course ``package`` loaded from ``folder`` whose
    compiled ``im2col_cython`` is absent, the NumPy one."""
    if not hasattr(builtins, "xrange"):
        builtins.xrange = range  # the 2016 templates' loops (Python 2)
    _library_stand_ins()
    if package is None or folder is None or _compiled(folder, "im2col_cython"):
        return
    from gradverify.usercode.sandbox import im2col_numpy

    for name in (f"{package}.im2col_cython", "im2col_cython"):
        if name not in sys.modules:
            _register(name, im2col_numpy)
