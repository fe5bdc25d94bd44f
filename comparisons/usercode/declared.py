"""Ops declared in a user's own module, for ``run --module``, ``check --declarations``,
``explain`` and the pytest plugin.

A module declares ops in two ways, both found here: a module-level list
``GRADVERIFY_OPS = [gradverify.op("name", ...), ...]`` (which may also hold ``OpSpec``s made
with ``gradverify.declare``, as the built-in ops are), and functions decorated with
``@gradverify.op(...)`` (in definition order, after the list).

Two ways to run them:

- in process (``in_process_specs``): the module is the user's own trusted code, imported here
  like a test file, and its functions are called directly (``gradverify run --module``);
- sandboxed (``sandbox_specs``): the module is a declaration file that holds only references
  and samplers; the implementation is named (``"swish_forward"`` or ``"mylayers:swish_forward"``)
  and looked up in the checked submission inside the worker, exactly as course functions are.
  The parent imports the declaration file, never the submission: torch stays in the parent
  and the submission's code in the worker (``gradverify check sub.py --declarations ops.py``).
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from gradverify.core.spec import OpSpec
from gradverify.ownops.declaration import Code, Declaration, DeclarationError, function_name

LIST_NAME = "GRADVERIFY_OPS"
"""The module-level list of declarations."""


def import_module(target: str) -> ModuleType:
    """A module by name (``mylayers``, ``pkg.ops``) or by path (``ops.py``); a path's folder
    joins ``sys.path`` so that its ``"sibling:function"`` names import. Raises
    ``DeclarationError`` naming the problem."""
    path = Path(target)
    if target.endswith(".py") or path.is_file():
        if not path.is_file():
            raise DeclarationError(f"{target}: no such file")
        return _import_path(path.resolve())
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())  # module names resolve from the current folder, as python -m does
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as e:
        if e.name and (target == e.name or target.startswith(e.name + ".")):
            raise DeclarationError(f"no module named {target!r} (run from its folder, or give its .py path)") from None
        raise DeclarationError(f"{target} cannot be imported: {type(e).__name__}: {e}") from None
    except Exception as e:  # noqa: BLE001 - any error of the user's module, as one message
        raise DeclarationError(f"{target} cannot be imported: {type(e).__name__}: {e}") from None


def _import_path(path: Path) -> ModuleType:
    name = path.stem
    existing = sys.modules.get(name)
    if existing is not None and os.path.realpath(getattr(existing, "__file__", "") or "") == str(path):
        return existing
    if existing is not None or not name.isidentifier():
        name = "gradverify_declared_" + "".join(c if c.isalnum() else "_" for c in name)
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise DeclarationError(f"{path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # decorated functions and pickling find it by name
    try:
        spec.loader.exec_module(module)
    except Exception as e:  # noqa: BLE001 - any error of the user's module, as one message
        sys.modules.pop(name, None)
        raise DeclarationError(f"{path} cannot be imported: {type(e).__name__}: {e}") from None
    return module


def declarations(module: ModuleType) -> list[Declaration | OpSpec]:
    """The module's declarations: ``GRADVERIFY_OPS``, then its decorated functions. Each
    ``Declaration`` gets the module as its family and as the place its bare function names
    resolve; an ``OpSpec`` is taken as it is."""
    listed = getattr(module, LIST_NAME, [])
    if not isinstance(listed, (list, tuple)) or not all(isinstance(d, (Declaration, OpSpec)) for d in listed):
        raise DeclarationError(
            f"{module.__name__}.{LIST_NAME} must be a list of gradverify.op(...) (or gradverify.declare(...))"
        )
    found = list(listed)
    for value in vars(module).values():
        if callable(value) and getattr(value, "__module__", None) == module.__name__:
            found += [d for d in getattr(value, "__gradverify__", ()) if isinstance(d, Declaration)]
    found = [_homed(d, module.__name__) for d in found]
    names = [d.name for d in found]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise DeclarationError(f"{module.__name__} declares {', '.join(twice)} more than once")
    if not found:
        raise DeclarationError(
            f"{module.__name__} declares no op: list gradverify.declare(...) in {LIST_NAME}, "
            "or decorate a forward or loss with @gradverify.op(...)"
        )
    return found


def _homed(d: Declaration | OpSpec, module: str) -> Declaration | OpSpec:
    if isinstance(d, OpSpec):
        return d
    changes: dict[str, Any] = {}
    if d.module is None:
        changes["module"] = module
    if d.family == "declared":
        changes["family"] = module
    return dataclasses.replace(d, **changes) if changes else d


def in_process_specs(target: str) -> list[OpSpec]:
    """The specs of the ops ``target`` declares, calling its functions in this process."""
    specs = []
    for d in declarations(import_module(target)):
        if isinstance(d, OpSpec):
            specs.append(d)
            continue
        try:
            specs.append(d.spec())
        except DeclarationError:
            raise
        except Exception as e:  # noqa: BLE001 - a declaration whose sampler or wrt breaks
            raise DeclarationError(f"{d.name}: {type(e).__name__}: {e}") from None
    return specs


class UserFunction:
    """Stands for a submission's function, known here only by name: discovery binds it to the
    submission's callable of that name, which the worker calls."""

    def __init__(self, name: str) -> None:
        self.__name__ = self.__qualname__ = name
        self.__module__ = "gradverify_declared"  # not an engine module: discovery sees a slot

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"{self.__name__} runs only in the sandbox worker")

    def __repr__(self) -> str:
        return f"<declared {self.__name__}>"


def _by_name(code: Code | None) -> UserFunction | None:
    return None if code is None else UserFunction(function_name(code))


def sandbox_specs(target: str, reserved: set[str] | frozenset[str] = frozenset()) -> list[OpSpec]:
    """The specs of the ops the declaration file ``target`` declares, with each implementation
    function standing for the submission's function of the same name. ``reserved`` op names
    (the built-in ones) may not be reused."""
    module = import_module(target)
    specs = []
    for d in declarations(module):
        if d.name in reserved:
            raise DeclarationError(f"{target}: {d.name!r} is a built-in op; give the declared op another name")
        # an OpSpec's functions are matched by name in the submission, as the built-in ops' are
        specs.append(d if isinstance(d, OpSpec) else d.spec(resolve=_by_name))
    return specs
