"""Running an op's torch reference: outputs, and gradients from autograd (never by hand)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from gradverify.core.sampling import RANDOM, Sample
from gradverify.core.spec import ONE, OpSpec


@dataclass
class ReferenceResult:
    """Reference outputs, the upstream gradients used, and the input gradients (float64)."""

    outputs: dict[str, np.ndarray]
    upstream: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]


def evaluate(spec: OpSpec, sample: Sample, rng: np.random.Generator) -> ReferenceResult:
    """Evaluate ``spec.reference`` in float64 on ``sample`` and draw the upstream gradients.

    Outputs differentiated as losses get upstream 1; the others get a standard normal
    upstream of their shape, drawn from ``rng`` so the case stays replayable.
    """
    import torch  # here, not at module load: parsing arguments and listing ops stay torch-free

    tensors = {}
    for name, value in sample.arrays.items():
        t = torch.from_numpy(np.ascontiguousarray(value))
        if t.is_floating_point():
            t = t.to(torch.float64).requires_grad_(name in spec.wrt)
        tensors[name] = t
    result = spec.reference(Sample(tensors, sample.static))
    if isinstance(result, torch.Tensor):
        result = {next(iter(spec.outputs)): result}
    outputs = {k: result[k].detach().numpy().astype(np.float64) for k in spec.outputs}

    upstream: dict[str, np.ndarray] = {}
    objective = None
    for name, how in spec.outputs.items():
        if how is None:
            continue
        u = np.ones(outputs[name].shape) if how == ONE else rng.standard_normal(outputs[name].shape)
        upstream[name] = u
        term = (result[name] * torch.from_numpy(u)).sum()
        objective = term if objective is None else objective + term

    inputs = [tensors[w] for w in spec.wrt]
    grads = torch.autograd.grad(objective, inputs, allow_unused=True) if inputs else ()
    return ReferenceResult(
        outputs,
        upstream,
        {
            w: (g.numpy().copy() if g is not None else np.zeros(tensors[w].shape))
            for w, g in zip(spec.wrt, grads, strict=False)
        },
    )


def warm_up(specs: Iterable[OpSpec]) -> None:
    """Evaluate each spec's reference once on a drawn sample: torch, the reference modules and
    torch's first-call work (autograd's engine, each op's dispatch) are then done, and every
    process forked afterwards (batch mode's one per submission) starts with them done. Only a
    preparation: a reference that fails here fails again, reported, in its case."""
    for spec in specs:
        if spec.observe is None:  # its reference needs the implementation's own forward first
            rng = np.random.default_rng(0)
            with contextlib.suppress(Exception):
                evaluate(spec, spec.sample(rng, RANDOM), rng)
