"""A user's op as data: ``declare(...)`` and the ``@op(...)`` decorator.

A ``Declaration`` holds what ``gradverify.verify`` takes (the implementation, a torch
reference of the same positional inputs, an ``inputs`` description) and becomes the same
``OpSpec`` the built-in ops are, so every check, report and command works on it.

The implementation may be given as callables or by name: ``"mylayers:swish_forward"`` (module
and function) or ``"swish_forward"`` (looked up in the declaring module). Names let a
declaration live in a file that never imports the code it checks, which is what
``gradverify check`` needs: there the functions are looked up in the user's submission, inside
the sandboxed worker, while the reference and the samplers run in the parent.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from gradverify.core.declare import floating_inputs
from gradverify.core.declare import op as declare_op
from gradverify.core.roles import Roles
from gradverify.core.sampling import RANDOM, TIES, Sample
from gradverify.core.spec import OpSpec
from gradverify.core.tolerances import COMPARE, SUPPORTED_DTYPES, Tolerance
from gradverify.ownops.inputs import InputSampler, sampler

Code = Callable[..., Any] | str
"""An implementation function, or its name (``"module:function"`` or ``"function"``)."""

DEFAULT_VARIANT = "own"
"""The variant name of a declared op (``--ops swish:own``)."""

F = TypeVar("F", bound=Callable[..., Any])


class DeclarationError(ValueError):
    """A declaration that cannot be checked; the message names the op and the problem."""


def function_name(code: Code) -> str:
    """The bare name of an implementation: ``swish_forward`` for ``"mylayers:swish_forward"``."""
    if isinstance(code, str):
        return code.rpartition(":")[2].rpartition(".")[2]
    return getattr(code, "__name__", None) or type(code).__name__


def resolve_in_process(code: Code | None, module: str | None) -> Callable[..., Any] | None:
    """The callable ``code`` names, imported in this process."""
    if code is None or callable(code):
        return code
    module_name, sep, attr = code.rpartition(":")
    if not sep:
        module_name, attr = module or "", code
    if not module_name:
        raise DeclarationError(f"{code!r} names no module: write 'module:{code}'")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as e:
        raise DeclarationError(f"cannot find {code!r}: {type(e).__name__}: {e}") from None
    if not callable(obj):
        raise DeclarationError(f"{code!r} is not callable")
    return obj


@dataclass(frozen=True)
class Positional:
    """A torch reference called with the sample's inputs in declaration order."""

    fn: Callable[..., Any]
    names: tuple[str, ...]

    def __call__(self, sample: Sample) -> Any:
        return self.fn(*(sample[n] for n in self.names))


@dataclass(frozen=True)
class KinkMarks:
    """A user's ``kinks(*inputs[, band=...])`` as the engine's ``kinks(sample, band)``: a dict
    of boolean masks by input name, or one mask when one input is differentiated."""

    fn: Callable[..., Any]
    names: tuple[str, ...]
    wrt: tuple[str, ...]
    op: str

    def __call__(self, sample: Sample, band: float) -> dict[str, np.ndarray]:
        inputs = [sample[n] for n in self.names]
        try:
            takes_band = "band" in inspect.signature(self.fn).parameters
        except (TypeError, ValueError):
            takes_band = False
        marks = self.fn(*inputs, band=band) if takes_band else self.fn(*inputs)
        if not isinstance(marks, Mapping):
            if len(self.wrt) != 1:
                raise DeclarationError(f"{self.op}: kinks must return a dict of masks by input name")
            marks = {self.wrt[0]: marks}
        out = {}
        for name, m in marks.items():
            m = np.asarray(m, dtype=bool)
            if name not in self.wrt or m.shape != sample[name].shape:
                raise DeclarationError(
                    f"{self.op}: kinks gave a mask for {name!r} of shape {m.shape}; expected one of "
                    f"{', '.join(self.wrt)} with that input's shape"
                )
            out[name] = m
        return out


def tolerance(dtype: str, value: Any) -> Tolerance:
    """A ``tolerances`` entry: a ``Tolerance``, ``(rtol, atol)`` or ``rtol``."""
    if isinstance(value, Tolerance):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):  # rtol; atol stays the dtype's
        return Tolerance(float(value), COMPARE[dtype].atol, "declared with the op")
    if isinstance(value, tuple) and len(value) == 2:
        return Tolerance(float(value[0]), float(value[1]), "declared with the op")
    raise DeclarationError(f"tolerances[{dtype!r}] must be a Tolerance, (rtol, atol) or rtol, got {value!r}")


@dataclass(frozen=True)
class Declaration:
    """One user op; see ``declare``."""

    name: str
    reference: Callable[..., Any]
    inputs: Mapping[str, Any]
    forward: Code | None = None
    backward: Code | None = None
    loss: Code | None = None
    wrt: tuple[str, ...] | None = None
    kinks: Callable[..., Any] | None = None
    tolerances: Mapping[str, Any] = field(default_factory=dict)
    sizes: Mapping[str, tuple[int, int]] | None = None
    roles: Roles = field(default_factory=Roles)
    family: str = "declared"
    description: str = ""
    module: str | None = None  # where bare function names resolve in-process

    @property
    def style(self) -> str:
        """``pair`` (forward and backward), ``forward`` (forward alone) or ``loss``."""
        if self.loss is not None:
            return "loss"
        return "pair" if self.backward is not None else "forward"

    def code(self) -> dict[str, Code]:
        """The implementation functions by role (``forward``, ``backward``, ``loss``)."""
        return {k: v for k, v in (("forward", self.forward), ("backward", self.backward), ("loss", self.loss)) if v}

    def sampler(self) -> InputSampler:
        try:
            return sampler(self.inputs, self.sizes)
        except ValueError as e:
            raise DeclarationError(f"{self.name}: {e}") from None

    def spec(self, resolve: Callable[[Code | None], Callable[..., Any] | None] | None = None) -> OpSpec:
        """The op as an ``OpSpec``; ``resolve`` turns each implementation (callable or name)
        into the callable the adapter holds (default: import it in this process)."""
        resolve = resolve or (lambda code: resolve_in_process(code, self.module))
        draw = self.sampler()
        names = draw.names
        wrt = self._wrt(draw)
        fields: dict[str, Any] = dict(
            name=self.name,
            family=self.family,
            sample=draw,
            reference=Positional(self.reference, names),
            by_sample=True,
            args=names,
            wrt=wrt,
            variant=DEFAULT_VARIANT,
            edge_cases=(*draw.edge_cases, *((TIES,) if self.kinks else ())),
            tolerances={d: tolerance(d, v) for d, v in self.tolerances.items()},
            description=self.description or f"declared {self.style} op {self.name}",
            roles=self.roles,
        )
        if self.kinks is not None:
            fields["kinks"] = KinkMarks(self.kinks, names, wrt, self.name)
        if self.style == "loss":
            return declare_op(loss=resolve(self.loss), **fields)
        return declare_op(forward=resolve(self.forward), backward=resolve(self.backward), **fields)

    def _wrt(self, draw: InputSampler) -> tuple[str, ...]:
        if self.style == "forward":
            if self.wrt:
                raise DeclarationError(f"{self.name}: wrt needs a backward (a forward alone has no gradients)")
            return ()
        one = draw(np.random.default_rng(0), RANDOM)
        floating = floating_inputs(one, draw.names)
        if self.wrt is None:
            if not floating:
                raise DeclarationError(f"{self.name}: no input is a floating-point array, so nothing to differentiate")
            return floating
        wrt = (self.wrt,) if isinstance(self.wrt, str) else tuple(self.wrt)
        wrong = [w for w in wrt if w not in floating]
        if wrong or not wrt:
            raise DeclarationError(
                f"{self.name}: wrt must name floating-point array inputs ({', '.join(floating) or 'none'}), "
                f"got {', '.join(wrong) or 'nothing'}"
            )
        return wrt


def declare(
    name: str,
    *,
    reference: Callable[..., Any],
    inputs: Mapping[str, Any],
    forward: Code | None = None,
    backward: Code | None = None,
    loss: Code | None = None,
    wrt: tuple[str, ...] | str | None = None,
    kinks: Callable[..., Any] | None = None,
    tolerances: Mapping[str, Any] | None = None,
    sizes: Mapping[str, tuple[int, int]] | None = None,
    roles: Roles | None = None,
    family: str | None = None,
    description: str = "",
    module: str | None = None,
) -> Declaration:
    """Declare an op: ``forward(*inputs) -> (out, cache)`` with ``backward(dout, cache) ->
    grads in wrt order`` (or without a backward: the forward alone is checked), or ``loss(*inputs)
    -> (loss, grads in wrt order)``. ``reference`` is a torch function of the same positional
    inputs; ``inputs`` describes them (see ``gradverify.ownops.inputs``). Raises
    ``DeclarationError`` for a declaration that cannot be checked."""
    if not isinstance(name, str) or not name.isidentifier():
        raise DeclarationError(f"an op name is an identifier, got {name!r}")
    if (forward is None) == (loss is None):
        raise DeclarationError(f"{name}: give forward (with or without backward) or loss, not both or neither")
    if loss is not None and backward is not None:
        raise DeclarationError(f"{name}: a loss returns its gradients itself; backward goes with forward")
    for role, code in (("forward", forward), ("backward", backward), ("loss", loss)):
        if code is not None and not callable(code) and not (isinstance(code, str) and function_name(code)):
            raise DeclarationError(f"{name}: {role} must be a function or its name, got {code!r}")
    if not callable(reference):
        raise DeclarationError(f"{name}: reference must be a torch function of the inputs, got {reference!r}")
    if not isinstance(inputs, Mapping):
        raise DeclarationError(f"{name}: inputs must map argument names to shapes or values, in call order")
    unknown = sorted(set(tolerances or {}) - set(SUPPORTED_DTYPES))
    if unknown:
        raise DeclarationError(f"{name}: tolerances for unknown dtype {', '.join(unknown)}")
    declaration = Declaration(
        name=name,
        reference=reference,
        inputs=dict(inputs),
        forward=forward,
        backward=backward,
        loss=loss,
        wrt=(wrt,) if isinstance(wrt, str) else (tuple(wrt) if wrt is not None else None),
        kinks=kinks,
        tolerances=dict(tolerances or {}),
        sizes=dict(sizes) if sizes else None,
        roles=roles or Roles(),
        family=family or module or "declared",
        description=description,
        module=module,
    )
    declaration._wrt(declaration.sampler())  # bad inputs or wrt fail here, not at the first case
    return declaration


def op(
    name: str | None = None,
    /,
    *,
    reference: Callable[..., Any],
    inputs: Mapping[str, Any],
    forward: Code | None = None,
    backward: Code | None = None,
    loss: Code | bool | None = None,
    **options: Any,
) -> Any:
    """Declare a user's op, in one of two forms.

    As a decorator beside the code, ``@op(reference=..., inputs=..., backward=...)`` on a
    forward (``backward`` the function, or its name in the same module, or none for a forward
    alone), or ``@op(..., loss=True)`` on a loss returning its gradients; the function is
    returned unchanged. The op's name (``@op("name", ...)``) defaults to the function's
    without ``_forward``.

    As data, ``op("glu", forward="glu:glu_forward", backward="glu:glu_backward", reference=...,
    inputs=...)`` (or ``loss=...``) returns a ``Declaration`` for a ``GRADVERIFY_OPS`` list.

    ``gradverify run --module``, ``list --module``, ``explain`` and ``check --declarations``
    find both; ``options`` are ``declare``'s (``wrt``, ``kinks``, ``tolerances``, ...)."""
    name = name or options.pop("name", None)
    if forward is not None or (loss is not None and not isinstance(loss, bool)):
        if name is None:
            name = function_name(forward if forward is not None else loss).removesuffix("_forward")
        code = {"forward": forward, "backward": backward} if forward is not None else {"loss": loss}
        return declare(name, reference=reference, inputs=inputs, **code, **options)

    def decorate(fn: F) -> F:
        module = getattr(fn, "__module__", None)
        role = {"loss": fn} if loss else {"forward": fn, "backward": backward}
        options.setdefault("family", module)
        op_name = name or fn.__name__.removesuffix("_forward")
        declaration = declare(op_name, reference=reference, inputs=inputs, module=module, **role, **options)
        fn.__gradverify__ = (*getattr(fn, "__gradverify__", ()), declaration)  # type: ignore[attr-defined]
        return fn

    return decorate
