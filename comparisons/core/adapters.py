"""Adapters: the API styles of hand-written code, each turned into one pure call.

Every adapter answers two questions about an implementation on one sample:
``run(sample, upstream)`` gives its named outputs and named gradients, and
``forward(sample)`` gives the outputs alone (what finite differences need). Gradients are
keyed by the name of the input they belong to (``W``, ``x``, ...). The same adapters wrap the
built-in ``impl/`` code and a user's own functions.
"""

from __future__ import annotations

import copy
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from gradverify.core.sampling import Sample


class Fault(Exception):
    """A failure of the implementation that becomes an ``error`` record with ``code`` as its
    diagnosis (``timeout``, ``worker_died``, ``import_error``, ...)."""

    code = "exception"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


BACKWARD_RAISED = "backward_raised"
"""The code of a backward pass that raised (reported as an ``exception`` of the backward)."""


def _last_line(e: BaseException) -> str:
    try:
        lines = traceback.format_exception_only(type(e), e)
        return lines[-1].strip() if lines else type(e).__name__
    except Exception:  # noqa: BLE001 - a hostile __str__
        return type(e).__name__


class BadReturn(Fault):
    """The implementation returned something of the wrong kind or arity."""

    code = "bad_return"


@dataclass
class Outcome:
    """What one implementation call produced."""

    outputs: dict[str, Any]
    grads: dict[str, Any]


class Adapter(Protocol):
    """One API style; see the module docstring."""

    def run(self, sample: Sample, upstream: Mapping[str, np.ndarray]) -> Outcome: ...

    def forward(self, sample: Sample) -> dict[str, Any]: ...

    def function_for(self, quantity: str) -> str:
        """The name of the implementation function that produced ``quantity``."""
        ...

    def code(self) -> dict[str, Callable]:
        """The implementation code the adapter calls, by field: what selection by function
        name and shipping specs to other processes need to know."""
        ...

    @property
    def primary(self) -> str:
        """The name a user types to select this implementation."""
        ...


def _name(fn: Callable) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", repr(fn))


def _call(fn: Callable, sample: Sample, args: tuple[str, ...], kwargs: tuple[str, ...]) -> Any:
    return fn(*(sample[a] for a in args), **{k: sample[k] for k in kwargs})


class NotImplementedYet(BadReturn):
    """The implementation is still the course's template stub: it returned None (a bare
    ``pass``, or the template's ``out = None``) where values were due."""

    code = "not_implemented"


def _stub(result: Any) -> bool:
    return result is None or (isinstance(result, tuple) and bool(result) and all(r is None for r in result))


def _pair(result: Any, fn: Callable, what: str) -> tuple[Any, Any]:
    if _stub(result) or (isinstance(result, tuple) and len(result) == 2 and result[0] is None):
        raise NotImplementedYet(f"{_name(fn)} returned {_short(result)}: not implemented yet (the template's stub)")
    if not isinstance(result, tuple) or len(result) != 2:
        got = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
        raise BadReturn(f"{_name(fn)} must return {what}, got {got}")
    return result


def model_grads(
    owner: str, loss: Any, grads: Mapping, keys: Mapping[str, Any], absent: Callable[[list[str]], Fault]
) -> dict[str, Any]:
    """Each parameter's gradient, found in ``grads`` under its key in ``keys`` (None: none).

    The template's ``grads = {}`` never filled is ``NotImplementedYet`` when the loss is the
    template's 0 as well; otherwise every gradient is None (the loss is still compared, each
    gradient judged incomplete). A key simply absent beside found ones (an option such as
    layernorm never implemented) is None too; when ``grads`` holds other keys instead, the
    gradients are named otherwise and ``absent(params)`` is raised."""
    if not grads:
        if isinstance(loss, (int, float, np.number)) and not isinstance(loss, bool) and float(loss) == 0.0:
            raise NotImplementedYet(
                f"{owner} returned (0, {{}}): not implemented yet (the template's loss, grads = 0, {{}})"
            )
        return dict.fromkeys(keys)
    found = {p: k if k is not None and k in grads else None for p, k in keys.items()}
    missing = [p for p, k in found.items() if k is None]
    if missing and set(grads) - set(found.values()):
        raise absent(missing)
    return {p: None if k is None else grads[k] for p, k in found.items()}


def _short(result: Any) -> str:
    return "None" if result is None else f"({', '.join('None' if r is None else type(r).__name__ for r in result)})"


def _grads(result: Any, names: tuple[str, ...], fn: Callable) -> dict[str, Any]:
    """Match a returned gradient (or tuple of gradients) to the input names, in order."""
    if _stub(result):
        raise NotImplementedYet(f"{_name(fn)} returned {_short(result)}: not implemented yet (the template's stub)")
    if len(names) == 1 and not isinstance(result, tuple):
        return {names[0]: result}
    if not isinstance(result, tuple) or len(result) != len(names):
        got = f"{len(result)} values" if isinstance(result, tuple) else type(result).__name__
        raise BadReturn(
            f"{_name(fn)} must return {len(names)} gradients ({', '.join('d' + n for n in names)}), got {got}"
        )
    return dict(zip(names, result, strict=False))


@dataclass(frozen=True)
class LossGrad:
    """``fn(*args) -> (loss, grad)``, e.g. ``svm_loss_vectorized(W, X, y, reg) -> (loss, dW)``.

    The gradient is of the loss itself (upstream 1). ``wrt`` names the inputs whose gradients
    ``fn`` returns, in the order it returns them.
    """

    fn: Callable
    args: tuple[str, ...]
    wrt: tuple[str, ...]
    kwargs: tuple[str, ...] = ()
    output: str = "loss"

    def run(self, sample: Sample, upstream: Mapping[str, np.ndarray]) -> Outcome:
        loss, grad = _pair(_call(self.fn, sample, self.args, self.kwargs), self.fn, "(loss, gradient)")
        return Outcome({self.output: loss}, _grads(grad, self.wrt, self.fn))

    def forward(self, sample: Sample) -> dict[str, Any]:
        loss, _ = _pair(_call(self.fn, sample, self.args, self.kwargs), self.fn, "(loss, gradient)")
        return {self.output: loss}

    def code(self) -> dict[str, Callable]:
        return {"fn": self.fn}

    def function_for(self, quantity: str) -> str:
        return _name(self.fn)

    @property
    def primary(self) -> str:
        return _name(self.fn)


@dataclass(frozen=True)
class ForwardBackward:
    """``forward(*args) -> (out, cache)`` and ``backward(dout, cache) -> grads``.

    ``backward`` returns one gradient per name in ``wrt``, in that order (a bare array when
    there is one), e.g. ``affine_backward(dout, cache) -> (dx, dw, db)``. A forward with
    several outputs names them all in ``output``: ``lstm_step_forward -> (next_h, next_c,
    cache)`` pairs with ``lstm_step_backward(dnext_h, dnext_c, cache)``. ``state`` names
    outputs that the forward leaves in a param dict, as ``{output: (dict argument, key)}``
    (``bn_param["running_mean"]``). Without a ``backward_fn`` the op is checked forward only
    (test-mode batchnorm, or a user's forward whose backward is missing).
    """

    forward_fn: Callable
    backward_fn: Callable | None
    args: tuple[str, ...]
    wrt: tuple[str, ...]
    kwargs: tuple[str, ...] = ()
    output: str | tuple[str, ...] = "out"
    state: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def outputs(self) -> tuple[str, ...]:
        return (self.output,) if isinstance(self.output, str) else tuple(self.output)

    def _forward(self, sample: Sample) -> tuple[dict[str, Any], Any]:
        result = _call(self.forward_fn, sample, self.args, self.kwargs)
        n = len(self.outputs) + 1
        if _stub(result) or (isinstance(result, tuple) and len(result) == n and all(r is None for r in result[:-1])):
            raise NotImplementedYet(
                f"{_name(self.forward_fn)} returned {_short(result)}: not implemented yet (the template's stub)"
            )
        if not isinstance(result, tuple) or len(result) != n:
            got = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
            raise BadReturn(f"{_name(self.forward_fn)} must return ({', '.join(self.outputs)}, cache), got {got}")
        outputs = dict(zip(self.outputs, result[:-1], strict=True))
        for name, (holder, key) in self.state.items():
            params = sample[holder]
            if not isinstance(params, Mapping) or key not in params:
                raise BadReturn(f"{_name(self.forward_fn)} did not store {holder}[{key!r}]")
            outputs[name] = params[key]
        return outputs, result[-1]

    def run(self, sample: Sample, upstream: Mapping[str, np.ndarray]) -> Outcome:
        outputs, cache = self._forward(sample)
        if self.backward_fn is None:
            return Outcome(outputs, {})
        douts = [upstream[name] for name in self.outputs]
        try:
            result = self.backward_fn(*douts, cache)
        except Exception as e:  # noqa: BLE001 - named as the backward's, not the forward's
            raise Fault(f"{_name(self.backward_fn)} raised {_last_line(e)}", code=BACKWARD_RAISED) from None
        grads = _grads(result, self.wrt, self.backward_fn)
        return Outcome(outputs, grads)

    def forward(self, sample: Sample) -> dict[str, Any]:
        return self._forward(sample)[0]

    def code(self) -> dict[str, Callable]:
        return {k: v for k, v in (("forward_fn", self.forward_fn), ("backward_fn", self.backward_fn)) if v is not None}

    def function_for(self, quantity: str) -> str:
        forward = quantity in self.outputs or quantity in self.state or self.backward_fn is None
        return _name(self.forward_fn if forward else self.backward_fn)

    @property
    def primary(self) -> str:
        return _name(self.forward_fn)


@dataclass(frozen=True)
class ModelLoss:
    """A model class: ``cls(**init(sample))``, ``model.params`` set from the sample, then
    ``model.loss(X, y) -> (loss, grads)`` at training time and ``model.loss(X) -> scores``,
    with ``X`` and ``y`` the inputs ``data`` names.

    ``grad_keys`` maps a parameter name to the key its gradient has in the returned dict when
    the two differ (code that returns ``dW1`` for ``W1``). ``prepare(model, sample)`` runs
    after the parameters are set, for state the constructor cannot take (running averages).
    ``loss_kwargs`` are passed to ``loss`` (2016-2020 ``neural_net.TwoLayerNet.loss(X, y, reg)``).
    """

    cls: Callable
    init: Callable[[Sample], dict[str, Any]]
    params: tuple[str, ...]
    data: tuple[str, str]  # the inputs passed to ``loss``: data and labels
    grad_keys: Mapping[str, str] = field(default_factory=dict)
    prepare: Callable[[Any, Sample], None] | None = None
    loss_kwargs: tuple[str, ...] = ()  # sample entries passed to loss by keyword (the old API's reg)

    def _model(self, sample: Sample) -> Any:
        model = self.cls(**self.init(sample))
        for name in self.params:
            model.params[name] = sample[name]
        if self.prepare is not None:
            self.prepare(model, sample)
        return model

    def _train_loss(self, sample: Sample) -> tuple[Any, Any]:
        model = self._model(sample)
        x, y = (sample[d] for d in self.data)
        extra = {k: sample[k] for k in self.loss_kwargs}
        return _pair(model.loss(x, y, **extra), model.loss, "(loss, grads) when given labels")

    def run(self, sample: Sample, upstream: Mapping[str, np.ndarray]) -> Outcome:
        loss, grads = self._train_loss(sample)
        if not isinstance(grads, Mapping):
            raise BadReturn(f"{self.primary}.loss must return grads as a dict, got {type(grads).__name__}")
        keys = {p: self.grad_keys.get(p, p) for p in self.params}

        def absent(params: list[str]) -> BadReturn:
            return BadReturn(f"{self.primary}.loss returned no gradient for {', '.join(keys[p] for p in params)}")

        found = model_grads(f"{self.primary}.loss", loss, grads, keys, absent)
        scores = self._model(sample).loss(sample[self.data[0]])
        return Outcome({"loss": loss, "scores": scores}, found)

    def forward(self, sample: Sample) -> dict[str, Any]:
        return {"loss": self._train_loss(sample)[0]}

    def function_for(self, quantity: str) -> str:
        return f"{self.primary}.loss"

    def code(self) -> dict[str, Callable]:
        return {"cls": self.cls}

    @property
    def primary(self) -> str:
        return _name(self.cls)


@dataclass(frozen=True)
class UpdateRule:
    """``rule(w, dw, config) -> (next_w, config)``, e.g. ``adam``, applied for as many steps
    as the sample has gradients: ``grads`` holds them stacked, shape (steps, *w.shape).

    Outputs: ``trajectory`` (steps, *w.shape), the weights after each step, and the entries
    of the final config named in ``state`` (``m``, ``v``, ``t`` for Adam). Nothing is
    differentiated.
    """

    fn: Callable
    state: tuple[str, ...] = ()
    w: str = "w"
    grads: str = "dws"
    config: str = "config"

    def run(self, sample: Sample, upstream: Mapping[str, np.ndarray]) -> Outcome:
        return Outcome(self.forward(sample), {})

    def forward(self, sample: Sample) -> dict[str, Any]:
        # the course's own sgd updates w in place (``w -= lr * dw``) and returns the same array:
        # the rule gets its own copies, and each step is copied before the next can change it
        w, config, steps = np.array(sample[self.w], copy=True), copy.deepcopy(sample[self.config]), []
        for dw in sample[self.grads]:
            w, config = _pair(self.fn(w, np.array(dw, copy=True), config), self.fn, "(next_w, config)")
            if w is None:
                raise NotImplementedYet(
                    f"{_name(self.fn)} returned None as next_w: not implemented yet (the template's stub)"
                )
            if not isinstance(config, Mapping):
                raise BadReturn(f"{_name(self.fn)} must return its config dict, got {type(config).__name__}")
            steps.append(np.array(w, copy=True))
        missing = [k for k in self.state if k not in config]
        if missing:
            raise BadReturn(f"{_name(self.fn)} left no {', '.join(missing)} in its config")
        try:
            # keep the rule's own dtype: a float32 rule that drifts to float64 is worth seeing
            trajectory = np.stack([np.asarray(s) for s in steps])
        except (TypeError, ValueError) as e:
            raise BadReturn(f"{_name(self.fn)} returned weights that do not stack: {e}") from None
        return {"trajectory": trajectory, **{k: copy.deepcopy(config[k]) for k in self.state}}

    def function_for(self, quantity: str) -> str:
        return _name(self.fn)

    def code(self) -> dict[str, Callable]:
        return {"fn": self.fn}

    @property
    def primary(self) -> str:
        return _name(self.fn)
