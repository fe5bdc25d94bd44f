"""Forward-only torch versions of the normalization layers (the course's definitions).

The normalized outputs come from torch's own kernels (``batch_norm``, ``layer_norm``,
``group_norm``), independent of the NumPy code; autograd differentiates them.

Batch normalization follows the COURSE, which differs from ``torch.nn.BatchNorm1d`` in its
running statistics:

- the course updates ``running = momentum * running + (1 - momentum) * batch_stat``
  (momentum 0.9 keeps 90% of the old value), while BatchNorm1d updates
  ``running = (1 - momentum) * running + momentum * batch_stat`` (its default 0.1 means the
  same thing as the course's 0.9: the meaning of momentum is flipped);
- the course's running variance averages the biased batch variance (divided by N), the one
  it normalizes with, while BatchNorm1d averages the unbiased one (divided by N - 1).

The running statistics are therefore computed here explicitly, never read from BatchNorm1d.
Both normalize the batch with the biased variance.
"""

from __future__ import annotations

from torch import Tensor
from torch.nn import functional as F


def _batch_stats(x: Tensor, dims: tuple[int, ...]) -> tuple[Tensor, Tensor]:
    """Mean and biased variance (divided by the count) of x over ``dims``."""
    return x.mean(dim=dims), x.var(dim=dims, unbiased=False)


def batchnorm_train(
    x: Tensor,
    gamma: Tensor,
    beta: Tensor,
    running_mean: Tensor,
    running_var: Tensor,
    momentum: float = 0.9,
    eps: float = 1e-5,
) -> dict[str, Tensor]:
    """
    Train-mode batch normalization of x over its batch.

    Inputs:
    - x: A tensor of shape (N, D), N >= 2.
    - gamma, beta: Tensors of shape (D,).
    - running_mean, running_var: Tensors of shape (D,), the statistics before the step.
    - momentum, eps: As in the course's bn_param.

    Returns a dict of:
    - out: A tensor of shape (N, D).
    - running_mean, running_var: Tensors of shape (D,), the course's update.
    """
    out = F.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)
    mean, var = _batch_stats(x, (0,))
    return {
        "out": out,
        "running_mean": momentum * running_mean + (1 - momentum) * mean,
        "running_var": momentum * running_var + (1 - momentum) * var,
    }


def batchnorm_test(
    x: Tensor, gamma: Tensor, beta: Tensor, running_mean: Tensor, running_var: Tensor, eps: float = 1e-5
) -> Tensor:
    """
    Test-mode batch normalization: normalizes with the running statistics.

    Inputs:
    - x: A tensor of shape (N, D).
    - gamma, beta, running_mean, running_var: Tensors of shape (D,).
    - eps: As in the course's bn_param.

    Returns:
    - out: A tensor of shape (N, D).
    """
    return F.batch_norm(x, running_mean, running_var, gamma, beta, training=False, eps=eps)


def batchnorm_test_eps_added_to_root(
    x: Tensor, gamma: Tensor, beta: Tensor, running_mean: Tensor, running_var: Tensor, eps: float = 1e-5
) -> Tensor:
    """
    Test-mode batch normalization as lookalike code writes it, epsilon added to the root:
    ``(x - running_mean) / (sqrt(running_var) + eps)``. (Code that leaves epsilon out is
    ``batchnorm_test`` at ``eps=0``.)

    Inputs and output: as in ``batchnorm_test``.
    """
    return gamma * (x - running_mean) / (running_var.sqrt() + eps) + beta


def layernorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: float = 1e-5) -> Tensor:
    """
    Layer normalization: each row of x normalized over its D features.

    Inputs:
    - x: A tensor of shape (N, D).
    - gamma, beta: Tensors of shape (D,).
    - eps: As in the course's ln_param.

    Returns:
    - out: A tensor of shape (N, D).
    """
    return F.layer_norm(x, (x.shape[1],), gamma, beta, eps=eps)


def spatial_batchnorm_train(
    x: Tensor,
    gamma: Tensor,
    beta: Tensor,
    running_mean: Tensor,
    running_var: Tensor,
    momentum: float = 0.9,
    eps: float = 1e-5,
) -> dict[str, Tensor]:
    """
    Train-mode spatial batch normalization: each channel over N, H and W.

    Inputs:
    - x: A tensor of shape (N, C, H, W), N * H * W >= 2.
    - gamma, beta, running_mean, running_var: Tensors of shape (C,).
    - momentum, eps: As in the course's bn_param.

    Returns a dict of:
    - out: A tensor of shape (N, C, H, W).
    - running_mean, running_var: Tensors of shape (C,), the course's update.
    """
    out = F.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)
    mean, var = _batch_stats(x, (0, 2, 3))
    return {
        "out": out,
        "running_mean": momentum * running_mean + (1 - momentum) * mean,
        "running_var": momentum * running_var + (1 - momentum) * var,
    }


def spatial_groupnorm(x: Tensor, gamma: Tensor, beta: Tensor, G: int, eps: float = 1e-5) -> Tensor:
    """
    Group normalization: each example's channels split into G contiguous groups, each
    normalized over its channels and all spatial positions.

    Inputs:
    - x: A tensor of shape (N, C, H, W).
    - gamma, beta: Tensors of shape (1, C, 1, 1).
    - G: Number of groups, a divisor of C.
    - eps: As in the course's gn_param.

    Returns:
    - out: A tensor of shape (N, C, H, W).
    """
    C = x.shape[1]
    return F.group_norm(x, G, gamma.reshape(C), beta.reshape(C), eps=eps)
