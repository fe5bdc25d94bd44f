"""Adapters for the API styles of courses other than CS231n, each one pure call as in ``adapters``.

- ``LayerObject``: a layer object that stores its gradients as attributes (CMU 11-785
  MyTorch): ``layer.forward(A) -> Z``, ``layer.backward(dLdZ) -> dLdA``, ``layer.dLdW``;
  losses ``forward(A, Y) -> L`` with ``backward() -> dLdA``.
- ``CourseForwardBackward``: a ``forward -> (out..., cache)`` / ``backward(dout, cache)`` pair
  whose backward may return a dict with course keys (deeplearning.ai ``grads["dWax"]``) and
  whose arguments may be dicts packed from the sample (``parameters``).
- ``CostPipeline``: a network checked through three functions, forward, cost and backward
  (deeplearning.ai ``L_model_forward``, ``compute_cost``, ``L_model_backward``), gradients
  returned in a dict.
- ``DictUpdate``: an update rule on dicts of parameters and state (``update_parameters_with_adam``).

Every adapter here can declare *scaling*: a course that puts 1/m on some gradients only
(``linear_backward``'s dW and db, not its dA_prev) returns ``factor * true gradient``;
``scale(sample)`` gives those factors by input name (or output name), and the adapter divides
them out, so the reference's gradient is compared with what the course means. A forgotten 1/m
then shows as a gradient m times too large, which diagnosis names.

Implementation code sits in fields named like the course's (``cls``, ``forward_fn``, ...);
options that only some editions take (``legacy_keys=True``) are passed only to code whose
signature has them, so a student's code of any edition is called as it was written.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradverify.core.adapters import BadReturn, Outcome, _name
from gradverify.core.sampling import Sample

Scale = Callable[[Sample], Mapping[str, float]] | None


def accepted(fn: Callable, options: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of ``options`` that ``fn`` has a parameter for (all with ``**kwargs``)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return {}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return dict(options)
    names = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return {k: v for k, v in options.items() if k in names}


def _unscale(values: dict[str, Any], scale: Scale, sample: Sample) -> dict[str, Any]:
    """``values`` with each declared factor divided out (arrays of other kinds pass as they are,
    so the judge reports them)."""
    factors = scale(sample) if scale is not None else {}
    out = dict(values)
    for name, factor in factors.items():
        v = out.get(name)
        if isinstance(v, (np.ndarray, np.floating, float)) and np.asarray(v).dtype.kind == "f":
            out[name] = v / np.asarray(factor, dtype=np.asarray(v).dtype)
    return out


def _resolve(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _assign(obj: Any, path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        obj = getattr(obj, part)
    setattr(obj, last, value)


def _namespace(sample: Sample, pack: Mapping[str, tuple[str, ...]], copies: bool = False) -> dict[str, Any]:
    """The sample's values by name, plus each packed argument: a dict of sample entries
    (``parameters = {"W1": ..., "b1": ...}``; an entry ``"dW1=v_dW1"`` renames). ``copies``
    packs copies, for code that updates the dicts' arrays in place as the course's rules do."""
    values = {**sample.static, **sample.arrays}
    for arg, names in pack.items():
        packed = {}
        for entry in names:
            key, _, name = entry.partition("=")  # "dW1=v_dW1": key dW1 of the sample's v_dW1
            value = values[name or key]
            packed[key] = value.copy() if copies else value
        values[arg] = packed
    return values


def _tuple(result: Any, n: int, fn: Callable, what: str, at_least: bool = False) -> tuple:
    ok = isinstance(result, tuple) and (len(result) >= n if at_least else len(result) == n)
    if not ok:
        got = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
        raise BadReturn(f"{_name(fn)} must return {what}, got {got}")
    return result


def _from_dict(grads: Any, keys: Mapping[str, str], wrt: tuple[str, ...], fn: Callable) -> dict[str, Any]:
    if not isinstance(grads, Mapping):
        raise BadReturn(f"{_name(fn)} must return its gradients as a dict, got {type(grads).__name__}")
    missing = [keys.get(w, "d" + w) for w in wrt if keys.get(w, "d" + w) not in grads]
    if missing:
        shown = ", ".join(sorted(str(k) for k in grads)[:20])
        raise BadReturn(f"{_name(fn)} returned no {', '.join(missing)} (its keys: {shown})")
    return {w: grads[keys.get(w, "d" + w)] for w in wrt}


@dataclass(frozen=True)
class LayerObject:
    """``layer = cls(**init(sample))``, its attributes set from the sample (``params``: sample
    name -> attribute path, ``"q_proj.W"`` for nested layers), then ``layer.forward(*args)``
    and ``layer.backward(*douts, *backward_args)``.

    ``returns`` names the inputs whose gradients ``backward`` returns, in order; ``grad_attrs``
    maps the other inputs to the attribute holding their gradient (``W -> dLdW``). A loss
    (``upstream=False``) has ``backward()`` with no argument and is differentiated with
    upstream 1. ``derivative=True`` is the style whose ``backward()`` returns the elementwise
    derivative dA/dZ (MyTorch S23 activations): the gradient is upstream * derivative.
    ``state`` maps outputs to attributes read after the forward (``running_M``);
    ``forward_kwargs`` are passed to ``forward`` when it takes them (``eval=True``);
    ``backward_args`` names further inputs of ``backward`` (RNNCell's ``h_t``), from the
    outputs or the sample. Without ``differentiate`` the op is checked forward only.
    ``kwargs`` are constructor keywords the code must take (``padding``): a class without them
    implements another edition's API, and discovery leaves this op out for it.
    """

    cls: Callable
    init: Callable[[Sample], dict[str, Any]]
    args: tuple[str, ...]
    params: Mapping[str, str] = field(default_factory=dict)
    returns: tuple[str, ...] = ()
    grad_attrs: Mapping[str, str] = field(default_factory=dict)
    output: str = "out"
    forward_kwargs: Mapping[str, Any] = field(default_factory=dict)
    state: Mapping[str, str] = field(default_factory=dict)
    backward_args: tuple[str, ...] = ()
    upstream: bool = True
    derivative: bool = False
    differentiate: bool = True
    scale: Scale = None
    kwargs: tuple[str, ...] = ()

    def _layer(self, sample: Sample) -> Any:
        layer = self.cls(**accepted(self.cls, self.init(sample)))
        for name, path in self.params.items():
            _assign(layer, path, sample[name])
        return layer

    def _forward(self, sample: Sample) -> tuple[Any, dict[str, Any]]:
        layer = self._layer(sample)
        out = layer.forward(*(sample[a] for a in self.args), **accepted(layer.forward, self.forward_kwargs))
        outputs = {self.output: out}
        for name, path in self.state.items():
            try:
                outputs[name] = _resolve(layer, path)
            except AttributeError:
                raise BadReturn(f"{self.primary}.forward left no {path}") from None
        return layer, outputs

    def run(self, sample: Sample, upstream: Mapping[str, np.ndarray]) -> Outcome:
        layer, outputs = self._forward(sample)
        if not self.differentiate:
            return Outcome(_unscale(outputs, self.scale, sample), {})
        extra = [outputs[n] if n in outputs else sample[n] for n in self.backward_args]
        if self.derivative:
            result = upstream[self.output] * layer.backward()
        elif self.upstream:
            result = layer.backward(upstream[self.output], *extra)
        else:
            result = layer.backward(*extra)
        grads: dict[str, Any] = {}
        if self.returns:
            if len(self.returns) == 1 and not isinstance(result, tuple):
                result = (result,)
            returned = _tuple(result, len(self.returns), layer.backward, f"{len(self.returns)} gradients")
            grads.update(zip(self.returns, returned, strict=True))
        for name, path in self.grad_attrs.items():
            try:
                grads[name] = _resolve(layer, path)
            except AttributeError:
                raise BadReturn(f"{self.primary}.backward stored no {path}") from None
        return Outcome(_unscale(outputs, self.scale, sample), _unscale(grads, self.scale, sample))

    def forward(self, sample: Sample) -> dict[str, Any]:
        return _unscale(self._forward(sample)[1], self.scale, sample)

    def code(self) -> dict[str, Callable]:
        return {"cls": self.cls}

    def function_for(self, quantity: str) -> str:
        forward = quantity == self.output or quantity in self.state
        return f"{self.primary}.{'forward' if forward else 'backward'}"

    @property
    def primary(self) -> str:
        return _name(self.cls)


@dataclass(frozen=True)
class CourseForwardBackward:
    """``forward_fn(*args) -> (out..., cache)`` and ``backward_fn(*douts, cache) -> grads``.

    ``pack`` builds dict arguments from sample entries (``{"parameters": ("Wax", ...)}``);
    When ``backward_fn`` returns a dict, the gradient of input ``x`` is its ``"dx"`` entry or
    ``grad_keys[x]``; otherwise the gradients of ``wrt`` come in order. Only the outputs that
    have an upstream gradient are passed back (``rnn_backward(da, caches)`` ignores ``y``).
    ``options`` go to ``backward_fn`` when it takes them (an edition's switch).
    """

    forward_fn: Callable
    backward_fn: Callable | None
    args: tuple[str, ...]
    wrt: tuple[str, ...]
    output: tuple[str, ...] = ("out",)
    pack: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    grad_keys: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    scale: Scale = None

    def _forward(self, sample: Sample) -> tuple[dict[str, Any], Any]:
        values = _namespace(sample, self.pack)
        n = len(self.output)
        result = _tuple(self.forward_fn(*(values[a] for a in self.args)), n + 1, self.forward_fn,
                        f"({', '.join(self.output)}, cache)")  # fmt: skip
        return dict(zip(self.output, result[:n], strict=True)), result[n]

    def run(self, sample: Sample, upstream: Mapping[str, np.ndarray]) -> Outcome:
        outputs, cache = self._forward(sample)
        if self.backward_fn is None:
            return Outcome(_unscale(outputs, self.scale, sample), {})
        douts = [upstream[name] for name in self.output if name in upstream]
        result = self.backward_fn(*douts, cache, **accepted(self.backward_fn, self.options))
        if isinstance(result, Mapping):
            grads = _from_dict(result, self.grad_keys, self.wrt, self.backward_fn)
        else:
            if len(self.wrt) == 1 and not isinstance(result, tuple):
                result = (result,)
            grads = dict(zip(self.wrt, _tuple(result, len(self.wrt), self.backward_fn, "its gradients"), strict=True))
        return Outcome(_unscale(outputs, self.scale, sample), _unscale(grads, self.scale, sample))

    def forward(self, sample: Sample) -> dict[str, Any]:
        return _unscale(self._forward(sample)[0], self.scale, sample)

    def code(self) -> dict[str, Callable]:
        return {k: v for k, v in (("forward_fn", self.forward_fn), ("backward_fn", self.backward_fn)) if v is not None}

    def function_for(self, quantity: str) -> str:
        forward = quantity in self.output or self.backward_fn is None
        return _name(self.forward_fn if forward else self.backward_fn)

    @property
    def primary(self) -> str:
        return _name(self.forward_fn)


@dataclass(frozen=True)
class CostPipeline:
    """A network through three functions: ``forward_fn(*forward_args) -> (out, cache)``,
    ``cost_fn(*cost_args) -> cost`` and ``backward_fn(*backward_args) -> grads`` (a dict).

    Argument names resolve to the sample's values, the packed dicts (``parameters``), the
    forward's ``out`` under the name ``output`` and its cache under ``"cache"``. ``grad_keys``
    maps an input to its key in ``grads`` (``W1 -> dW1``, ``X -> dA0``); ``exposed`` names cache
    entries (by index or key) returned as extra outputs (dropout masks the reference needs).
    """

    forward_fn: Callable
    cost_fn: Callable
    backward_fn: Callable | None
    forward_args: tuple[str, ...]
    cost_args: tuple[str, ...]
    backward_args: tuple[str, ...]
    wrt: tuple[str, ...]
    grad_keys: Mapping[str, str] = field(default_factory=dict)
    pack: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    output: str = "AL"
    exposed: Mapping[str, int | str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    scale: Scale = None

    def _forward(self, sample: Sample) -> tuple[dict[str, Any], dict[str, Any]]:
        values = _namespace(sample, self.pack)
        result = _tuple(self.forward_fn(*(values[a] for a in self.forward_args)), 2, self.forward_fn,
                        f"({self.output}, cache)")  # fmt: skip
        values[self.output], values["cache"] = result
        outputs = {"cost": self.cost_fn(*(values[a] for a in self.cost_args))}
        for name, where in self.exposed.items():
            try:
                outputs[name] = values["cache"][where]
            except (IndexError, KeyError, TypeError):
                raise BadReturn(f"{_name(self.forward_fn)}'s cache has no entry {where!r} ({name})") from None
        return outputs, values

    def run(self, sample: Sample, upstream: Mapping[str, np.ndarray]) -> Outcome:
        outputs, values = self._forward(sample)
        if self.backward_fn is None:
            return Outcome(outputs, {})
        options = accepted(self.backward_fn, self.options)
        result = self.backward_fn(*(values[a] for a in self.backward_args), **options)
        grads = _from_dict(result, self.grad_keys, self.wrt, self.backward_fn)
        return Outcome(_unscale(outputs, self.scale, sample), _unscale(grads, self.scale, sample))

    def forward(self, sample: Sample) -> dict[str, Any]:
        return _unscale(self._forward(sample)[0], self.scale, sample)

    def code(self) -> dict[str, Callable]:
        fns = (("forward_fn", self.forward_fn), ("cost_fn", self.cost_fn), ("backward_fn", self.backward_fn))
        return {k: v for k, v in fns if v is not None}

    def function_for(self, quantity: str) -> str:
        if quantity == "cost":
            return _name(self.cost_fn)
        fn = self.forward_fn if quantity in self.exposed or self.backward_fn is None else self.backward_fn
        return _name(fn)

    @property
    def primary(self) -> str:
        return _name(self.forward_fn)


@dataclass(frozen=True)
class DictUpdate:
    """An update rule on dicts: ``fn(*args, **kwargs)`` returning the dicts named in ``returns``
    (``("parameters", "v", "s")``), each compared entry by entry as outputs ``"v.dW1"``.

    Arguments come from the sample or from ``pack`` (copies: the course's rules update their
    dicts in place, which is no fault here). A function may return more values than
    ``returns`` names; ``count`` requires exactly that many (Adam's 2021 5-tuple against the
    2017 3-tuple: how the edition a function follows is told apart); a lone dict is the
    parameters. ``options`` go to ``fn`` when it takes them.
    """

    fn: Callable
    args: tuple[str, ...]
    returns: tuple[str, ...]
    pack: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    kwargs: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    count: int | None = None

    def run(self, sample: Sample, upstream: Mapping[str, np.ndarray]) -> Outcome:
        return Outcome(self.forward(sample), {})

    def forward(self, sample: Sample) -> dict[str, Any]:
        values = copy.copy(_namespace(sample, self.pack, copies=True))
        result = self.fn(
            *(values[a] for a in self.args),
            **{k: values[k] for k in self.kwargs},
            **accepted(self.fn, self.options),
        )
        if len(self.returns) == 1 and isinstance(result, Mapping):
            result = (result,)
        if self.count is not None:
            result = _tuple(result, self.count, self.fn, f"a tuple of {self.count}")
        result = _tuple(result, len(self.returns), self.fn, f"({', '.join(self.returns)})", at_least=True)
        outputs = {}
        for name, value in zip(self.returns, result, strict=False):
            if not isinstance(value, Mapping):
                raise BadReturn(f"{_name(self.fn)} must return {name} as a dict, got {type(value).__name__}")
            outputs.update({f"{name}.{k}": v for k, v in value.items()})
        return outputs

    def code(self) -> dict[str, Callable]:
        return {"fn": self.fn}

    def function_for(self, quantity: str) -> str:
        return _name(self.fn)

    @property
    def primary(self) -> str:
        return _name(self.fn)
