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

No rule is re-stated by hand. Nothing is differentiated: the weights are leaf tensors whose
``.grad`` is set to each given gradient before ``step()``. ``config`` is read, never
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


def _leaf(w: Tensor) -> Tensor:
    """A fresh leaf copy of ``w`` for an optimizer to update (the sample's tensor stays)."""
    return w.detach().clone().requires_grad_(True)


def _trajectory(p: Tensor, optimizer: torch.optim.Optimizer, dws: Tensor) -> Tensor:
    """Step ``optimizer`` once per gradient in ``dws``; the weights ``p`` after each step."""
    steps = []
    for dw in dws:
        p.grad = dw.detach().clone()
        optimizer.step()
        steps.append(p.detach().clone())
    return torch.stack(steps)


def sgd(w: Tensor, dws: Tensor, config: dict[str, Any] | None = None) -> dict[str, Tensor]:
    """
    Inputs:
    - w: A tensor of any shape, the initial weights.
    - dws: A tensor of shape (steps, *w.shape), one gradient per step.
    - config: The course's config dict (learning_rate), or None.

    Returns a dict of:
    - trajectory: A tensor of shape (steps, *w.shape), the weights after each step.
    """
    s = _settings("sgd", config)
    p = _leaf(w)
    return {"trajectory": _trajectory(p, torch.optim.SGD([p], lr=s["learning_rate"]), dws)}


def sgd_momentum(w: Tensor, dws: Tensor, config: dict[str, Any] | None = None) -> dict[str, Tensor]:
    """
    Inputs: as in ``sgd``; config may hold learning_rate, momentum and velocity.

    Returns a dict of:
    - trajectory: A tensor of shape (steps, *w.shape).
    - velocity: A tensor of shape w.shape, the course's velocity after the last step.
    """
    s = _settings("sgd_momentum", config)
    lr, p = s["learning_rate"], _leaf(w)
    optimizer = torch.optim.SGD([p], lr=lr, momentum=s["momentum"], dampening=0.0)
    if "velocity" in s:
        optimizer.state[p] = {"momentum_buffer": -_tensor(s["velocity"], p) / lr}
    trajectory = _trajectory(p, optimizer, dws)
    return {"trajectory": trajectory, "velocity": -lr * optimizer.state[p]["momentum_buffer"]}


def rmsprop(w: Tensor, dws: Tensor, config: dict[str, Any] | None = None) -> dict[str, Tensor]:
    """
    Inputs: as in ``sgd``; config may hold learning_rate, decay_rate, epsilon and cache.

    Returns a dict of:
    - trajectory: A tensor of shape (steps, *w.shape).
    - cache: A tensor of shape w.shape, the moving average of squared gradients.
    """
    s = _settings("rmsprop", config)
    p = _leaf(w)
    optimizer = torch.optim.RMSprop([p], lr=s["learning_rate"], alpha=s["decay_rate"], eps=s["epsilon"])
    if "cache" in s:
        optimizer.state[p] = {"step": torch.tensor(0.0), "square_avg": _tensor(s["cache"], p)}
    trajectory = _trajectory(p, optimizer, dws)
    return {"trajectory": trajectory, "cache": optimizer.state[p]["square_avg"]}


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
    p = _leaf(w)
    optimizer = torch.optim.Adam([p], lr=s["learning_rate"], betas=(s["beta1"], s["beta2"]), eps=s["epsilon"])
    if {"m", "v", "t"} & set(s):
        optimizer.state[p] = {
            "step": torch.tensor(float(s.get("t", 0))),
            "exp_avg": _tensor(s["m"], p) if "m" in s else torch.zeros_like(p),
            "exp_avg_sq": _tensor(s["v"], p) if "v" in s else torch.zeros_like(p),
        }
    trajectory = _trajectory(p, optimizer, dws)
    state = optimizer.state[p]
    return {"trajectory": trajectory, "m": state["exp_avg"], "v": state["exp_avg_sq"], "t": state["step"].clone()}


def adam_variant(
    w: Tensor, dws: Tensor, config: dict[str, Any] | None = None, *, bias_correction: bool = True
) -> dict[str, Tensor]:
    """Adam as other course code writes it, for conventions and lookalike bugs (not the
    default reference, which is torch's own ``Adam``): with ``bias_correction`` the step is
    the course-provided assignment-3 form ``lr * sqrt(1 - beta2^t) / (1 - beta1^t) *
    m / (sqrt(v) + epsilon)``, epsilon added to the uncorrected root (2016-2024 A3
    ``optim.py``); without it the moments are used uncorrected, ``lr * m / (sqrt(v) + eps)``.
    Returns what ``adam`` returns."""
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
        alpha = lr * (1 - b2**t) ** 0.5 / (1 - b1**t) if bias_correction else lr
        p = p - alpha * m / (v.sqrt() + eps)
        steps.append(p.clone())
    return {"trajectory": torch.stack(steps), "m": m, "v": v, "t": torch.tensor(t)}
