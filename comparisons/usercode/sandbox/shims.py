"""Worker side: what course code imports but a checking environment may lack.

CS231n's templates import ``past.builtins.xrange`` and ``future.standard_library`` (the
``future`` package, 2017-2024), ``matplotlib.pyplot`` (``neural_net.py``) and the compiled
``im2col_cython`` that nobody commits; ``layer_utils.py`` imports the course's
``fast_layers.py``, which some never committed and which 2016 wrote in Python 2. None of them
matters to a gradient the student wrote, so when the real module cannot be imported a
stand-in is registered instead, and the 2016 templates' ``xrange`` is given to Python 3. Only
modules that are really missing (or, for ``fast_layers.py``, not Python 3) are replaced; the
stand-ins installed are listed in ``INSTALLED``, and a replaced course file is reported as not
checked.
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


def install(package: str | None, folder: Path | None = None) -> dict[str, str]:
    """Stand-ins for missing libraries; for a course ``package`` loaded from ``folder`` whose
    compiled ``im2col_cython`` is absent, the NumPy one, and whose ``fast_layers.py`` is
    absent or Python 2, the NumPy fast layers. Returns why each course file was replaced, by
    module name (what the parent reports as not checked)."""
    if not hasattr(builtins, "xrange"):
        builtins.xrange = range  # the 2016 templates' loops (Python 2)
    _library_stand_ins()
    if package is None or folder is None:
        return {}
    if not _compiled(folder, "im2col_cython"):
        from gradverify.usercode.sandbox import im2col_numpy

        for name in (f"{package}.im2col_cython", "im2col_cython"):
            if name not in sys.modules:
                _register(name, im2col_numpy)
    replaced = {}
    why = _unusable(folder / "fast_layers.py") if _mentions(folder, "fast_layers") else None
    if why and not _compiled(folder, "fast_layers") and f"{package}.fast_layers" not in sys.modules:
        from gradverify.usercode.sandbox import fast_layers_numpy

        _register(f"{package}.fast_layers", fast_layers_numpy)
        replaced[f"{package}.fast_layers"] = f"{why}; gradverify's NumPy fast layers stand in for it"
    return replaced


def _mentions(folder: Path, name: str, limit: int = 500) -> bool:
    """Whether any Python file of ``folder`` names ``name`` (an import of it, presumably)."""
    for path in sorted(folder.rglob("*.py"))[:limit]:
        try:
            if name in path.read_text(encoding="utf-8", errors="replace") and path.stem != name:
                return True
        except OSError:
            continue
    return False


def _unusable(path: Path) -> str | None:
    """Why a course file cannot be imported by this Python (absent, or Python 2), or None."""
    try:
        source = path.read_bytes()
    except FileNotFoundError:
        return f"{path.name} was not committed"
    except OSError as e:
        return f"{path.name} cannot be read ({e.strerror})"
    try:
        compile(source, str(path), "exec")
    except SyntaxError as e:
        return f"{path.name} is not Python 3 (SyntaxError: {e.msg}, line {e.lineno})"
    except ValueError:
        return f"{path.name} is not Python source"
    return None
