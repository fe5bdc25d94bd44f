"""Declaring an op in a few lines: defaults read off the functions and one drawn sample.

``op(...)`` builds an ``OpSpec`` the way a person would describe it: the implementation
(a ``forward``/``backward`` pair, or a ``loss`` returning its gradients), a torch
``reference`` whose parameters are named like the inputs, and a sampler. What can be
derived is derived:

- ``args``: the implementation's required parameters, in order;
- ``wrt``: the floating-point arrays among ``args`` in a drawn sample;
- ``outputs``: ``out`` with a random upstream for a layer, ``loss`` with upstream 1 for a loss;
- the reference is called with the sample's values by parameter name.

The built-in specs and ``gradverify.verify`` declare their ops through it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from gradverify.core.adapters import Adapter, ForwardBackward, LossGrad
from gradverify.core.references import Reference, resolved
from gradverify.core.sampling import RANDOM, Sample
from gradverify.core.spec import ONE, RANDOM_UPSTREAM, OpSpec, Variant

Sampler = Callable[[np.random.Generator, str], Sample]


def required_parameters(fn: Callable) -> tuple[str, ...]:
    """The parameters a caller must pass, in order (``self`` of a bound method excluded)."""
    params = inspect.signature(fn).parameters.values()
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return tuple(p.name for p in params if p.kind in kinds and p.default is inspect.Parameter.empty)


def by_name(reference: Callable) -> Callable[[Sample], Any]:
    """``reference`` called with the sample's values for the parameters it names; parameters
    the sample lacks keep their defaults."""
    names: tuple[str, ...] | None = None  # read on the first call: a Reference imports then

    def call(sample: Sample) -> Any:
        nonlocal names
        if names is None:
            names = tuple(inspect.signature(resolved(reference)).parameters)
        present = {**sample.static, **sample.arrays}
        return reference(**{n: present[n] for n in names if n in present})

    call.__qualname__ = (
        reference.name if isinstance(reference, Reference) else getattr(reference, "__qualname__", "reference")
    )
    return call


def floating_inputs(sample: Sample, names: tuple[str, ...]) -> tuple[str, ...]:
    """The names among ``names`` that are floating-point arrays of ``sample``."""
    return tuple(n for n in names if n in sample.arrays and np.issubdtype(sample.arrays[n].dtype, np.floating))


def op(
    name: str,
    *,
    family: str,
    sample: Sampler,
    reference: Callable,
    forward: Callable | None = None,
    backward: Callable | None = None,
    loss: Callable | None = None,
    args: tuple[str, ...] | None = None,
    kwargs: tuple[str, ...] = (),
    wrt: tuple[str, ...] | None = None,
    outputs: Mapping[str, str | None] | None = None,
    output: str | tuple[str, ...] = "out",
    variant: str = "vectorized",
    alternatives: Mapping[str, Adapter] | None = None,
    by_sample: bool = False,
    **fields: Any,
) -> OpSpec:
    """An ``OpSpec`` from a ``forward`` (with or without a ``backward``) or a ``loss``.

    ``output`` names what the forward returns before its cache (several for
    ``lstm_step_forward -> (next_h, next_c, cache)``). ``kwargs`` names inputs passed by
    keyword. ``alternatives`` adds further variants (``{"naive": LossGrad(...)}``) beside
    ``variant``. ``by_sample=True`` passes the whole sample to ``reference`` (for references
    that read nested settings such as ``conv_param``). Any other ``OpSpec`` field may be given."""
    if (forward is None) == (loss is None):
        raise ValueError(f"op {name!r}: give either forward (and backward) or loss")
    fn = forward if forward is not None else loss
    assert fn is not None
    args = args if args is not None else required_parameters(fn)
    if wrt is None:
        wrt = (
            ()
            if forward is not None and backward is None
            else floating_inputs(sample(np.random.default_rng(0), RANDOM), args)
        )
    adapter: Adapter
    if forward is not None:
        adapter = ForwardBackward(forward, backward, args, wrt=wrt, kwargs=kwargs, output=output)
        names = (output,) if isinstance(output, str) else output
        outputs = outputs or dict.fromkeys(names, RANDOM_UPSTREAM)
    else:
        adapter = LossGrad(fn, args, wrt=wrt, kwargs=kwargs)
        outputs = outputs or {"loss": ONE}
    variants = (Variant(variant, adapter), *(Variant(k, a) for k, a in (alternatives or {}).items()))
    return OpSpec(
        name=name,
        family=family,
        variants=variants,
        reference=reference if by_sample else by_name(reference),
        sample=sample,
        outputs=outputs,
        wrt=wrt,
        **fields,
    )
