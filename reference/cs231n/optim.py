"""The course's update rules as torch trajectories: the weights after each of several steps,
and the course's state after the last one.

Which side states each rule:

- ``sgd``: ``torch.optim.SGD(lr)``; its step ``w - lr * dw`` is the course's.
- ``sgd_momentum``: ``torch.optim.SGD(lr, momentum=mu)`` for the trajectory, which
  coincides with the course's for a constant learning rate. Its state does not: torch keeps
  the buffer ``b = mu * b + dw`` and steps ``w - lr * b``, the course keeps the velocity
  ``v = mu * v - lr * dw`` and steps ``w + v``. So the course's velocity is reported as
  ``-lr * b`` (and a given velocity enters torch as ``b = -v / lr``): an identity, up to
  rounding, because the learning rate does not change between steps.
- ``rmsprop``: ``torch.optim.RMSprop(lr, alpha=decay_rate, eps=epsilon)`` (no momentum, not
  centered); its ``square_avg`` is the course's ``cache`` and epsilon is added to the root,
  as in the course.
- ``adam``: ``torch.optim.Adam(lr, betas=(beta1, beta2), eps=epsilon)``; ``exp_avg``,
  ``exp_avg_sq`` and ``step`` are the course's ``m``, ``v`` and ``t``, with ``t`` counted
  before the bias correction as in the course. torch divides sqrt(v) by
  sqrt(1 - beta2^t) and then adds epsilon, which is the course's sqrt(v_t) + epsilon.

Each rule is written out here as the tensor operations of torch.optim's own single-tensor
step for CPU tensors (``torch/optim/sgd.py``, ``rmsprop.py``, ``adam.py``: the same ops in the
same order, hence the same bits), not by calling ``torch.optim``: its first use imports
torch._dynamo, which costs seconds of start-up for a few microseconds of arithmetic. A test
(tests/test_optim_reference.py) runs ``torch.optim`` itself next to these functions and
requires equal trajectories and state. Nothing is differentiated. ``config`` is read, never
written; missing hyperparameters take the course's defaults, and cached values in it
(``velocity``, ``cache``, ``m``, ``v``, ``t``) become the optimizer's initial state.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

DEFAULTS: dict[str, dict[str, float]] = {
    "sgd": {"learning_rate": 1e-2},
    "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
    "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
}
"""The course's default hyperparameters of each rule."""


def _settings(rule: str, config: dict[str, Any] | None) -> dict[str, Any]:
    return {**DEFAULTS[rule], **(config or {})}


def _tensor(value: Any, like: Tensor) -> Tensor:
    return torch.as_tensor(value, dtype=like.dtype).clone()


def _weights(w: Tensor) -> Tensor:
    """A fresh copy of ``w`` to update (the sample's tensor stays)."""
    return w.detach().clone()


def sgd(w: Tensor, dws: Tensor, config: dict[str, Any] | None = None) -> dict[str, Tensor]:
    """
    Inputs:
    - w: A tensor of any shape, the initial weights.
    - dws: A tensor of shape (steps, *w.shape), one gradient per step.
    - config: The course's config dict (learning_rate), or None.

    Returns a dict of:
    - trajectory: A tensor of shape (steps, *w.shape), the weights after each step.
    """
    lr, p, steps = _settings("sgd", config)["learning_rate"], _weights(w), []
    for grad in dws:
        p.add_(grad, alpha=-lr)  # torch.optim.SGD without momentum
        steps.append(p.clone())
    return {"trajectory": torch.stack(steps)}


def sgd_momentum(w: Tensor, dws: Tensor, config: dict[str, Any] | None = None) -> dict[str, Tensor]:
    """
    Inputs: as in ``sgd``; config may hold learning_rate, momentum and velocity.

    Returns a dict of:
    - trajectory: A tensor of shape (steps, *w.shape).
    - velocity: A tensor of shape w.shape, the course's velocity after the last step.
    """
    s = _settings("sgd_momentum", config)
    lr, momentum, p, steps = s["learning_rate"], s["momentum"], _weights(w), []
    buf = -_tensor(s["velocity"], p) / lr if "velocity" in s else None
    for grad in dws:
        # torch.optim.SGD(momentum, dampening=0): the buffer starts as the first gradient
        buf = grad.detach().clone() if buf is None else buf.mul_(momentum).add_(grad, alpha=1.0)
        p.add_(buf, alpha=-lr)
        steps.append(p.clone())
    return {"trajectory": torch.stack(steps), "velocity": -lr * buf}


def rmsprop(w: Tensor, dws: Tensor, config: dict[str, Any] | None = None) -> dict[str, Tensor]:
    """
    Inputs: as in ``sgd``; config may hold learning_rate, decay_rate, epsilon and cache.

    Returns a dict of:
    - trajectory: A tensor of shape (steps, *w.shape).
    - cache: A tensor of shape w.shape, the moving average of squared gradients.
    """
    s = _settings("rmsprop", config)
    lr, alpha, eps, p, steps = s["learning_rate"], s["decay_rate"], s["epsilon"], _weights(w), []
    square_avg = _tensor(s["cache"], p) if "cache" in s else torch.zeros_like(p)
    for grad in dws:
        # torch.optim.RMSprop, not centered, no momentum
        square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
        avg = square_avg.sqrt().add_(eps)
        p.addcdiv_(grad, avg, value=-lr)
        steps.append(p.clone())
    return {"trajectory": torch.stack(steps), "cache": square_avg}


def adam(w: Tensor, dws: Tensor, config: dict[str, Any] | None = None) -> dict[str, Tensor]:
    """
    Inputs: as in ``sgd``; config may hold learning_rate, beta1, beta2, epsilon and the
    state m, v (arrays of w's shape) and t (the number of steps taken).

    Returns a dict of:
    - trajectory: A tensor of shape (steps, *w.shape).
    - m, v: Tensors of shape w.shape, the moving averages of the gradient and its square.
    - t: A 0-d tensor, the number of steps taken.
    """
    s = _settings("adam", config)
    lr, beta1, beta2, eps, p, steps = s["learning_rate"], s["beta1"], s["beta2"], s["epsilon"], _weights(w), []
    exp_avg = _tensor(s["m"], p) if "m" in s else torch.zeros_like(p)
    exp_avg_sq = _tensor(s["v"], p) if "v" in s else torch.zeros_like(p)
    # torch.optim keeps the step count as a float32 tensor and reads it back as a float
    step_t = torch.tensor(float(s.get("t", 0)), dtype=torch.float32)
    for grad in dws:
        # torch.optim.Adam, not amsgrad, no weight decay, neither capturable nor differentiable
        step_t += 1
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        step = step_t.item()
        step_size = lr / (1 - beta1**step)
        denom = (exp_avg_sq.sqrt() / (1 - beta2**step) ** 0.5).add_(eps)
        p.addcdiv_(exp_avg, denom, value=-step_size)
        steps.append(p.clone())
    return {"trajectory": torch.stack(steps), "m": exp_avg, "v": exp_avg_sq, "t": step_t.clone()}


def rmsprop_eps_under_root(w: Tensor, dws: Tensor, config: dict[str, Any] | None = None) -> dict[str, Tensor]:
    """RMSProp with epsilon under the square root, ``w - lr * dw / sqrt(cache + epsilon)``
    (a lookalike of the course's ``sqrt(cache) + epsilon``). Returns what ``rmsprop`` returns."""
    s = _settings("rmsprop", config)
    lr, alpha, eps, p, steps = s["learning_rate"], s["decay_rate"], s["epsilon"], _weights(w), []
    cache = _tensor(s["cache"], p) if "cache" in s else torch.zeros_like(p)
    for dw in dws:
        cache = alpha * cache + (1 - alpha) * dw * dw
        p = p - lr * dw / (cache + eps).sqrt()
        steps.append(p.clone())
    return {"trajectory": torch.stack(steps), "cache": cache}


def adam_variant(
    w: Tensor,
    dws: Tensor,
    config: dict[str, Any] | None = None,
    *,
    bias_correction: bool = True,
    eps_under_root: bool = False,
) -> dict[str, Tensor]:
    """Adam as other course code writes it, for conventions and lookalike bugs (not the
    default reference, which is torch's own ``Adam``): with ``bias_correction`` the step is
    the course-provided assignment-3 form ``lr * sqrt(1 - beta2^t) / (1 - beta1^t) *
    m / (sqrt(v) + epsilon)``, epsilon added to the uncorrected root (2016-2024 A3
    ``optim.py``); without it the moments are used uncorrected, ``lr * m / (sqrt(v) + eps)``.
    With ``eps_under_root`` the corrected moments meet epsilon under the root instead,
    ``lr * m_hat / sqrt(v_hat + epsilon)``. Returns what ``adam`` returns."""
    s = _settings("adam", config)
    b1, b2, eps, lr = s["beta1"], s["beta2"], s["epsilon"], s["learning_rate"]
    p = w.detach().clone()
    m = _tensor(s["m"], p) if "m" in s else torch.zeros_like(p)
    v = _tensor(s["v"], p) if "v" in s else torch.zeros_like(p)
    t = float(s.get("t", 0))
    steps = []
    for dw in dws:
        m = b1 * m + (1 - b1) * dw
        v = b2 * v + (1 - b2) * dw * dw
        t += 1
        if eps_under_root:
            p = p - lr * (m / (1 - b1**t)) / (v / (1 - b2**t) + eps).sqrt()
        else:
            alpha = lr * (1 - b2**t) ** 0.5 / (1 - b1**t) if bias_correction else lr
            p = p - alpha * m / (v.sqrt() + eps)
        steps.append(p.clone())
    return {"trajectory": torch.stack(steps), "m": m, "v": v, "t": torch.tensor(t)}
