"""Worker side: rebuild a variant's adapter around the user's callables.

The parent describes an adapter as the name of its class and its fields. A field that names
user code is ``{"$target": expr}`` and is resolved in the worker; a field that is a function
of the sample (``ModelLoss.init``) arrives already evaluated by the parent as
``{"$value": ...}``; every other field is static data. The adapter class is named as ``module:qualname``
and is the registry's own (``gradverify.core.adapters:LossGrad``, or a spec's subclass), so the
user's code is called exactly as in-process; so are helper functions an adapter holds
(``{"$function": "module:qualname"}``). Two bridges serve model classes whose API differs
from the course's:

- ``FlexibleModel``: ``ModelLoss`` for a class whose constructor takes other arguments or
  whose ``loss`` needs labels (no test-time scores), with gradient keys looked up as
  ``grad_keys[p]``, then ``p``, then ``"d" + p``;
- ``ModelAsForwardBackward``: a class standing for a forward/backward op with one scalar
  output, e.g. the seeds' matrix-example ``TwolayerNet`` for ``matrix_example``: ``loss(X)``
  returns ``(loss, grads)``, and the gradient under an upstream ``u`` is ``u * grads``.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradverify.core.adapters import BadReturn, Fault, ModelLoss, Outcome, model_grads
from gradverify.core.sampling import Sample
from gradverify.usercode.sandbox import grading
from gradverify.usercode.sandbox.protocol import decode_static


def accepted(fn: Callable, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of ``kwargs`` that ``fn`` takes (all of them if it has ``**kwargs``)."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return dict(kwargs)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return dict(kwargs)
    names = {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return {k: v for k, v in kwargs.items() if k in names}


def grad_key(name: str, grads: Mapping, explicit: Mapping[str, str]) -> str | None:
    """The key under which ``grads`` holds the gradient of parameter ``name``."""
    for key in (explicit.get(name), name, f"d{name}"):
        if key is not None and key in grads:
            return key
    return None


def _missing(owner: str, names: list[str], grads: Mapping) -> BadReturn:
    keys = ", ".join(sorted(str(k) for k in grads)[:20])
    return BadReturn(
        f"{owner} returned no gradient for {', '.join(names)} (its keys: {keys}); map them with --grad-keys NAME=KEY"
    )


def _params_of(model: Any, owner: str) -> MutableMapping:
    params = getattr(model, "params", None)
    if not isinstance(params, MutableMapping):
        raise BadReturn(f"{owner}() has no params dict")
    return params


@dataclass(frozen=True)
class FlexibleModel(ModelLoss):
    """``ModelLoss`` that adapts to the constructor and ``loss`` the class really has."""

    scores: bool = True

    def _model(self, sample: Sample) -> Any:
        model = self.cls(**accepted(self.cls, self.init(sample)))
        params = _params_of(model, self.primary)
        for name in self.params:
            params[name] = sample[name]
        prepare = getattr(self, "prepare", None)  # ModelLoss.prepare: state the constructor cannot set
        if prepare is not None:
            prepare(model, sample)
        return model

    def run(self, sample: Sample, upstream: Mapping[str, np.ndarray]) -> Outcome:
        loss, grads = self._train_loss(sample)
        if not isinstance(grads, Mapping):
            raise BadReturn(f"{self.primary}.loss must return grads as a dict, got {type(grads).__name__}")
        owner = f"{self.primary}.loss"
        keys = {p: grad_key(p, grads, self.grad_keys) for p in self.params}
        found = model_grads(owner, loss, grads, keys, lambda params: _missing(owner, params, grads))
        outputs = {"loss": loss}
        if self.scores:
            outputs["scores"] = self._model(sample).loss(sample[self.data[0]])
        return Outcome(outputs, found)


@dataclass(frozen=True)
class ModelAsForwardBackward:
    """A model class for an op with inputs ``args`` and one scalar output: the inputs that are
    keys of ``model.params`` are set there, the others are passed to ``loss`` in order."""

    cls: Callable
    args: tuple[str, ...]
    wrt: tuple[str, ...]
    kwargs: tuple[str, ...] = ()
    output: str = "loss"
    grad_keys: Mapping[str, str] = field(default_factory=dict)

    def _loss(self, sample: Sample) -> tuple[Any, Any]:
        model = self.cls()
        params = _params_of(model, self.primary)
        data = []
        for name in self.args:
            if name in params:
                params[name] = sample[name]
            else:
                data.append(sample[name])
        result = model.loss(*data, **{k: sample[k] for k in self.kwargs})
        if not isinstance(result, tuple) or len(result) != 2:
            raise BadReturn(f"{self.primary}.loss must return (loss, grads), got {type(result).__name__}")
        return result

    def run(self, sample: Sample, upstream: Mapping[str, np.ndarray]) -> Outcome:
        loss, grads = self._loss(sample)
        if not isinstance(grads, Mapping):
            raise BadReturn(f"{self.primary}.loss must return grads as a dict, got {type(grads).__name__}")
        u = np.asarray(upstream[self.output])
        if u.ndim != 0:
            raise BadReturn(f"{self.primary} can stand only for an op whose output is a scalar")
        keys = {w: grad_key(w, grads, self.grad_keys) for w in self.wrt}
        missing = [w for w, k in keys.items() if k is None]
        if missing:
            raise _missing(f"{self.primary}.loss", missing, grads)
        # the class returns gradients of its loss itself (upstream 1): scale by the upstream
        return Outcome({self.output: loss}, {w: _scaled(grads[k], u) for w, k in keys.items()})

    def forward(self, sample: Sample) -> dict[str, Any]:
        return {self.output: self._loss(sample)[0]}

    def function_for(self, quantity: str) -> str:
        return f"{self.primary}.loss"

    @property
    def primary(self) -> str:
        return getattr(self.cls, "__qualname__", None) or type(self.cls).__name__


def _scaled(grad: Any, u: np.ndarray) -> Any:
    if isinstance(grad, np.ndarray) and grad.dtype.kind in "iuf":
        return grad * u.astype(grad.dtype if grad.dtype.kind == "f" else np.float64)
    return grad  # not an array: passed on as is, so the parent reports it


def import_ref(ref: str) -> Any:
    """The object ``module:qualname`` names, from a ``gradverify`` module that does not need
    torch (the worker never imports it: in grading mode the user could then reach it)."""
    module_name, _, qualname = str(ref).partition(":")
    own_solutions = module_name.startswith(("gradverify.impl", "gradverify.reference"))
    if not module_name.startswith("gradverify.") or own_solutions or not qualname:
        raise Fault(f"{ref!r} is not a gradverify adapter or helper", code="internal_error")
    try:
        with grading.no_torch():
            obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except Exception as e:  # noqa: BLE001 - reported to the parent as an internal error
        raise Fault(
            f"gradverify cannot use {ref} in the sandbox worker ({type(e).__name__}: {e}); a spec's adapter "
            f"classes and helper functions must live in modules that do not import torch",
            code="internal_error",
        ) from None
    return obj


def build(description: Mapping[str, Any], arrays: dict[str, np.ndarray], resolve: Callable[[str], Any]) -> Any:
    """The adapter the parent described, with user code resolved by ``resolve(expr)``."""
    cls = import_ref(description["class"])
    fields: dict[str, Any] = {}
    for name, value in description["fields"].items():
        if isinstance(value, dict) and "$target" in value:
            fields[name] = resolve(value["$target"])
        elif isinstance(value, dict) and "$value" in value:
            evaluated = decode_static(value["$value"], arrays)
            fields[name] = lambda sample, evaluated=evaluated: evaluated
        elif isinstance(value, dict) and "$function" in value:
            fields[name] = import_ref(value["$function"])
        else:
            fields[name] = decode_static(value, arrays)
    return cls(**fields)
