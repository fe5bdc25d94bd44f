"""The "flat backprop" view: every intermediate of the torch reference, forward and backward.

The reference is plain torch code, so its stages are recovered without annotating it: a
``TorchFunctionMode`` records each op that produces a differentiable tensor, and autograd
fills in each intermediate's gradient under the case's upstream gradient. A student
compares these values line by line with the stages of a hand-written backward pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.overrides import TorchFunctionMode

from gradverify.core.sampling import Sample
from gradverify.core.spec import OpSpec

MAX_STAGES = 40


@dataclass
class Stage:
    """One intermediate: the op that made it, its value and the gradient reaching it."""

    op: str
    value: np.ndarray
    grad: np.ndarray | None


class _Recorder(TorchFunctionMode):
    def __init__(self) -> None:
        super().__init__()
        self.tensors: list[tuple[str, torch.Tensor]] = []

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        out = func(*args, **(kwargs or {}))
        if isinstance(out, torch.Tensor) and out.requires_grad and len(self.tensors) < MAX_STAGES:
            out.retain_grad()
            self.tensors.append((getattr(func, "__name__", str(func)), out))
        return out


def capture(spec: OpSpec, sample: Sample, upstream: dict[str, np.ndarray]) -> list[Stage]:
    """Forward values and gradients of every intermediate of ``spec.reference`` on ``sample``
    (float64), differentiated with ``upstream`` as the engine does."""
    tensors = {}
    for name, value in sample.arrays.items():
        t = torch.from_numpy(np.ascontiguousarray(value))
        tensors[name] = t.to(torch.float64).requires_grad_(name in spec.wrt) if t.is_floating_point() else t
    recorder = _Recorder()
    with recorder:
        result = spec.reference(Sample(tensors, sample.static))
    if isinstance(result, torch.Tensor):
        result = {next(iter(spec.outputs)): result}
    objective = sum((result[k] * torch.from_numpy(u)).sum() for k, u in upstream.items())
    if isinstance(objective, torch.Tensor) and objective.requires_grad:
        objective.backward()
    return [
        Stage(op, t.detach().numpy().copy(), None if t.grad is None else t.grad.numpy().copy())
        for op, t in recorder.tensors
    ]
