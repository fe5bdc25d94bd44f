"""Torch references named by module and function, imported on first call.

A spec names its reference (``refs = references("gradverify.reference.cs231n.layers")``,
then ``reference=refs.affine`` or ``lambda t: refs.conv(...)``) instead of importing it, so
loading the registry (``gradverify list``, argument errors) never imports torch; the first
case that evaluates a reference does.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


class Reference:
    """The function ``name`` of module ``module``, resolved (imported) on its first call."""

    __slots__ = ("module", "name", "_fn")

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name
        self._fn: Callable[..., Any] | None = None

    def resolve(self) -> Callable[..., Any]:
        """The function itself (importing its module); an unknown name is an AttributeError
        naming both."""
        if self._fn is None:
            fn = getattr(importlib.import_module(self.module), self.name, None)
            if not callable(fn):
                raise AttributeError(f"reference module {self.module!r} has no function {self.name!r}")
            self._fn = fn
        return self._fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return (self._fn or self.resolve())(*args, **kwargs)

    @property
    def __wrapped__(self) -> Callable[..., Any]:
        # inspect.signature follows __wrapped__: a reference's signature is its function's
        return self.resolve()

    def __repr__(self) -> str:
        return f"Reference({self.module}:{self.name})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Reference) and (self.module, self.name) == (other.module, other.name)

    def __hash__(self) -> int:
        return hash((self.module, self.name))


class References:
    """The functions of one reference module, each a ``Reference`` (nothing imported yet)."""

    def __init__(self, module: str) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Reference:
        if name.startswith("__"):
            raise AttributeError(name)
        ref = Reference(self._module, name)
        setattr(self, name, ref)  # later lookups are plain attribute reads
        return ref

    def __repr__(self) -> str:
        return f"References({self._module})"


def references(module: str) -> References:
    """The reference functions of ``module`` (a dotted path), imported when first called."""
    return References(module)


def resolved(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` itself, or the function a ``Reference`` names."""
    return fn.resolve() if isinstance(fn, Reference) else fn
