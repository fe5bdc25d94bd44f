"""Worker side: import a user's submission, list its callables, resolve ``--map`` targets.

A submission is a ``.py`` file, a folder (a package, or a plain folder of course files such as
``layers.py`` and ``fc_net.py``), or an importable module name. In a folder only the modules
whose source mentions a wanted name are imported, so a data loader that needs a missing
library does not break the check of ``layers.py``. Every import error is kept with the
module it belongs to.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import sys
import sysconfig
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from gradverify.usercode.sandbox import shims

MAX_FILES = 500
"""Python files looked at in one folder submission."""

TARGET = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\(\))*")
TOKEN = re.compile(r"[A-Za-z_]\w*|\(\)|\.")


class ResolveError(Exception):
    """A ``--map`` target that does not name anything in the submission."""


@dataclass
class Loaded:
    """What importing a submission produced."""

    modules: dict[str, ModuleType] = field(default_factory=dict)
    namespace: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    not_found: str | None = None  # the module name itself does not exist

    def resolve(self, expr: str) -> Any:
        """The object ``expr`` names: ``NAME``, then ``.attr`` and ``()`` steps, e.g.
        ``Multiclass_SVM().svm_loss`` (instantiate with no arguments, take the bound method)."""
        if not TARGET.fullmatch(expr):
            raise ResolveError(f"{expr!r} is not NAME(.NAME | ())*")
        tokens = TOKEN.findall(expr)
        first = tokens[0]
        if first in self.namespace:
            obj, done = self.namespace[first], first
        elif first in self.modules:
            obj, done = self.modules[first], first
        else:
            raise ResolveError(f"{first!r} is not defined in the submission")
        rest = tokens[1:]
        while rest:
            step = rest.pop(0)
            if step == "()":
                try:
                    obj = obj()
                except BaseException as e:  # noqa: BLE001 - the user's constructor failed
                    raise ResolveError(f"{done}() raised {last_line(e)}") from None
                done += "()"
            elif step == "." and rest and rest[0] not in (".", "()"):
                attr = rest.pop(0)
                try:
                    obj = getattr(obj, attr)
                except BaseException as e:  # noqa: BLE001
                    raise ResolveError(f"{done} has no attribute {attr!r} ({last_line(e)})") from None
                done += f".{attr}"
            else:
                raise ResolveError(f"{expr!r} is not NAME(.NAME | ())*")
        return obj


def last_line(e: BaseException) -> str:
    """The last line of an exception's traceback and where in the user's code it happened, e.g.
    ``ValueError: shapes ... not aligned (at layers.py:12: out = x @ w + b)``."""
    try:
        lines = traceback.format_exception_only(type(e), e)
        text = lines[-1].strip() if lines else type(e).__name__
    except BaseException:  # noqa: BLE001 - a hostile __str__
        return type(e).__name__
    try:
        return text + _location(e)
    except BaseException:  # noqa: BLE001 - the location is an aid; the message stands without it
        return text


# frames in these folders are not the user's: gradverify itself, the standard library, installed packages
_NOT_USER = tuple(
    {str(Path(__file__).resolve().parents[2])}
    | {
        str(Path(p).resolve())
        for k, p in sysconfig.get_paths().items()
        if k in ("stdlib", "platstdlib", "purelib", "platlib")
    }
)


def _location(e: BaseException) -> str:
    """`` (at FILE:LINE: SOURCE)`` of the innermost frame in the user's code, or ``""``."""
    if isinstance(e, SyntaxError) and e.filename and e.lineno:
        file, line, source = e.filename, e.lineno, (e.text or "").strip()
    else:
        frames = [f for f in traceback.extract_tb(e.__traceback__) if not _library(f.filename)]
        if not frames:
            return ""
        file, line, source = frames[-1].filename, frames[-1].lineno, (frames[-1].line or "").strip()
    return f" (at {_shown(file)}:{line}{': ' + source if source else ''})"


def _library(filename: str) -> bool:
    if filename.startswith("<"):  # <frozen importlib._bootstrap>, <string>
        return True
    path = str(Path(filename).resolve())
    return any(path == root or path.startswith(root + "/") for root in _NOT_USER)


def _shown(filename: str) -> str:
    try:
        return str(Path(filename).resolve().relative_to(Path.cwd()))
    except ValueError:
        return filename


def load(target: str, kind: str, wanted: Iterable[str], path: str | None = None) -> Loaded:
    """Import a submission: ``kind`` is ``file``, ``folder`` or ``module``; ``path`` is the one
    folder put first on ``sys.path`` (the submission's own, chosen by the parent; ``None``:
    none, e.g. a file among other students' files)."""
    loaded = Loaded()
    wanted = set(wanted)
    if path is not None:
        sys.path.insert(0, path)
    if kind == "file":
        file = Path(target).resolve()
        shims.install(None)
        _import_file(loaded, file, file.stem)
    elif kind == "folder":
        _load_folder(loaded, Path(target).resolve(), wanted)
    else:
        _load_module(loaded, target, wanted)
    _merge(loaded, wanted)
    return loaded


def _load_folder(loaded: Loaded, root: Path, wanted: set[str]) -> None:
    package = is_package(root)
    base = [root.name] if package else []
    replaced = shims.install(root.name if package else None, root if package else None)
    loaded.errors += [{"module": name, "message": why} for name, why in replaced.items()]
    if package:
        _import_name(loaded, root.name)
    for path in _mentioning(root, wanted):
        parts = [*base, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if ".".join(parts) in replaced:  # already reported, and its stand-in is not the student's
            continue
        if parts and all(p.isidentifier() for p in parts):
            _import_name(loaded, ".".join(parts), path)
        else:
            _import_file(loaded, path, "_".join(parts) or root.name)


def _load_module(loaded: Loaded, name: str, wanted: set[str]) -> None:
    shims.install(None)
    module = _import_name(loaded, name)
    if module is None:
        return
    folder = Path(getattr(module, "__file__", "") or "").parent
    if hasattr(module, "__path__") and folder.is_dir():  # a package: its submodules that matter
        for path in _mentioning(folder, wanted):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] != "__init__" and all(p.isidentifier() for p in parts):
                _import_name(loaded, ".".join([name, *parts]), path)


PACKAGE_IMPORT = r"^\s*(?:from\s+{name}\.|from\s+{name}\s+import|import\s+{name}\.)"


def is_package(root: Path) -> bool:
    """Whether ``root`` is imported as a package: it has ``__init__.py``, or its files import
    each other as the package (CS231n's ``cs231n/`` when ``__init__.py`` was never committed).
    The parent and the worker decide this the same way."""
    return root.name.isidentifier() and ((root / "__init__.py").is_file() or imports_itself(root))


def imports_itself(root: Path) -> bool:
    """Whether the files of a folder without ``__init__.py`` import each other as the package
    named like the folder (``from cs231n.layers import *``, ``from .layers import *``): the
    course's packages, committed without their ``__init__.py``."""
    by_name = re.compile(PACKAGE_IMPORT.format(name=re.escape(root.name)), re.MULTILINE)
    relative = re.compile(r"^\s*from\s+\.", re.MULTILINE)
    for path in sorted(root.rglob("*.py"))[:MAX_FILES]:
        # relative imports count only in the folder's own files: a batch folder's students
        # are packages of their own, whose relative imports say nothing about the batch
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
            if by_name.search(text) or (path.parent == root and relative.search(text)):
                return True
        except OSError:
            continue
    return False


def _mentioning(root: Path, wanted: set[str]) -> list[Path]:
    """The .py files under ``root`` whose text mentions a wanted name, in a stable order."""
    pattern = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, wanted))) + r")\b") if wanted else None
    found = []
    for path in sorted(root.rglob("*.py"))[:MAX_FILES]:
        if any(p.startswith(".") or p == "__pycache__" for p in path.relative_to(root).parts):
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if pattern is not None and pattern.search(text):
            found.append(path)
    return found


def _import_name(loaded: Loaded, name: str, path: Path | None = None) -> ModuleType | None:
    existing = sys.modules.get(name)
    if existing is not None and name not in loaded.modules and path is not None:
        # a user file named like a module the worker already imported (json.py, types.py)
        if Path(getattr(existing, "__file__", "") or "").resolve() != path.resolve():
            return _import_file(loaded, path, f"gradverify_user_{name.replace('.', '_')}")
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name is not None and (name == e.name or name.startswith(e.name + ".")) and not loaded.modules:
            loaded.not_found = name
        if path is not None and "." in name and _bare_parents(name, path):
            return _import_file(loaded, path, name)
        loaded.errors.append({"module": name, "message": last_line(e)})
        return None
    except BaseException as e:  # noqa: BLE001 - SyntaxError, SystemExit, anything at import
        if path is not None and "." in name and _failed_in_parent(e, path) and _bare_parents(name, path):
            return _import_file(loaded, path, name)
        loaded.errors.append({"module": name, "message": last_line(e)})
        return None
    loaded.modules[name] = module
    return module


def _failed_in_parent(e: BaseException, path: Path) -> bool:
    """Whether an import failed in another file than ``path`` (a package's ``__init__.py``
    importing a Python 2 neighbour, as CS231n 2016's ``classifiers/__init__.py`` does)."""
    where = getattr(e, "filename", None) if isinstance(e, SyntaxError) else None
    if where is None:
        frames = traceback.extract_tb(e.__traceback__)
        where = frames[-1].filename if frames else None
    return where is not None and Path(where).resolve() != path.resolve()


def _bare_parents(name: str, path: Path) -> bool:
    """Register the packages above ``name`` without running their ``__init__.py``, so the
    file can still be imported as ``name`` (its relative and absolute imports resolve)."""
    parts = name.split(".")
    folder = path.parent
    for depth in range(len(parts) - 1, 0, -1):
        package = ".".join(parts[:depth])
        existing = sys.modules.get(package)
        if existing is None or not hasattr(existing, "__path__"):
            bare = ModuleType(package)
            bare.__path__ = [str(folder)]
            bare.__package__ = package
            sys.modules[package] = bare
        folder = folder.parent
    return True


def _import_file(loaded: Loaded, path: Path, name: str) -> ModuleType | None:
    dotted = "." in name and all(p.isidentifier() for p in name.split(".")) and name not in sys.modules
    if not dotted and (name in sys.modules or not name.isidentifier()):
        name = "gradverify_user_" + re.sub(r"\W", "_", name)
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {path.name}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    except BaseException as e:  # noqa: BLE001 - SyntaxError, SystemExit, anything at import
        sys.modules.pop(name, None)
        loaded.errors.append({"module": path.name, "message": last_line(e)})
        return None
    loaded.modules[name] = module
    return module


def _merge(loaded: Loaded, wanted: set[str]) -> None:
    """One namespace for the submission: a name defined in a module wins over the same name
    imported into another (``fc_net.py`` doing ``from layers import *``)."""
    names = set(loaded.modules)
    for module_name, module in loaded.modules.items():
        for name, obj in list(vars(module).items()):
            if name.startswith("_") or isinstance(obj, ModuleType) or not callable(obj):
                continue
            if str(getattr(obj, "__module__", None)).startswith("gradverify."):
                continue  # a stand-in's function (conv_forward_fast) is never the student's
            defined_here = getattr(obj, "__module__", None) == module_name
            user_code = getattr(obj, "__module__", None) in names
            if defined_here or ((user_code or name in wanted) and name not in loaded.namespace):
                loaded.namespace[name] = obj


def describe(name: str, obj: Any) -> dict[str, Any]:
    """What the parent needs to match ``obj`` to an op: its kind, name and signatures."""
    info: dict[str, Any] = {
        "name": name,
        "kind": "class" if isinstance(obj, type) else "function",
        "qualname": qualname(obj),
        "params": params(obj),
    }
    if isinstance(obj, type):
        loss = inspect.getattr_static(obj, "loss", None)
        info["loss_params"] = params(loss)[1:] if inspect.isfunction(loss) and params(loss) else None
    return info


def inventory(loaded: Loaded, wanted: Iterable[str], limit: int = 2000) -> list[dict[str, Any]]:
    """``describe`` of every user-defined callable and every wanted name present."""
    wanted = set(wanted)
    out = []
    for name, obj in loaded.namespace.items():
        if name in wanted or getattr(obj, "__module__", None) in loaded.modules:
            out.append(describe(name, obj))
        if len(out) >= limit:
            break
    return out


def qualname(obj: Any) -> str:
    """The name records show for ``obj``: ``svm_loss_naive``, ``Multiclass_SVM.svm_loss``."""
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if not isinstance(name, str):
        name = type(obj).__qualname__
    return name.replace(".<locals>", "")[:120]


def params(obj: Any) -> list[list[Any]] | None:
    """``[name, kind, has_default]`` per parameter, kind one of pos, any, var, kw, varkw."""
    kinds = {
        inspect.Parameter.POSITIONAL_ONLY: "pos",
        inspect.Parameter.POSITIONAL_OR_KEYWORD: "any",
        inspect.Parameter.VAR_POSITIONAL: "var",
        inspect.Parameter.KEYWORD_ONLY: "kw",
        inspect.Parameter.VAR_KEYWORD: "varkw",
    }
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    except BaseException:  # noqa: BLE001 - a hostile __signature__
        return None
    return [[p.name, kinds[p.kind], p.default is not inspect.Parameter.empty] for p in signature.parameters.values()]
