"""Normalization layers in the CS231n style: batch, layer, spatial batch and group norm.

Every layer standardizes its input over some axes, xhat = (x - mean) / sqrt(var + eps)
with the biased variance (divided by the number of values averaged), then applies a
per-feature (or per-channel) scale gamma and shift beta. The staged standardization and
its backward pass are shared by all of them.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _standardize(x: np.ndarray, axes: tuple[int, ...], eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """
    Standardizes x over ``axes``, in named stages for the backward pass.

    Inputs:
    - x: A numpy array of any shape.
    - axes: The axes the mean and variance are taken over.
    - eps: Constant added to the variance for numeric stability.

    Returns a tuple of:
    - xhat: A numpy array of the same shape as x.
    - mu, var: The mean and biased variance, of x's shape with size 1 along
      ``axes``.
    - stages: (xmu, ivar, std, axes), what _standardize_backward needs.
    """
    mu = x.mean(axis=axes, keepdims=True)  # stage 1
    xmu = x - mu  # stage 2
    sq = xmu**2  # stage 3
    var = sq.mean(axis=axes, keepdims=True)  # stage 4
    std = np.sqrt(var + eps)  # stage 5
    ivar = 1 / std  # stage 6
    xhat = xmu * ivar  # stage 7
    return xhat, mu, var, (xmu, ivar, std, axes)


def _standardize_backward(dxhat: np.ndarray, stages: Any) -> np.ndarray:
    """
    Backward pass of _standardize: walks its stages in reverse.

    Inputs:
    - dxhat: Upstream derivative, of the shape of x.
    - stages: The stages returned by _standardize.

    Returns:
    - dx: Gradient with respect to x, of the shape of x.
    """
    xmu, ivar, std, axes = stages
    m = xmu.size // ivar.size  # values averaged per mean
    # stage 7: xhat = xmu * ivar (ivar is shared by every value of its group)
    divar = np.sum(dxhat * xmu, axis=axes, keepdims=True)
    dxmu1 = dxhat * ivar
    # stage 6: ivar = 1 / std
    dstd = -divar / std**2
    # stage 5: std = sqrt(var + eps)
    dvar = 0.5 * dstd / std
    # stage 4: var = mean(sq)
    dsq = np.ones_like(xmu) * (dvar / m)
    # stage 3: sq = xmu ** 2
    dxmu2 = 2 * xmu * dsq
    # stage 2: xmu = x - mu, and mu depends on x again
    dxmu = dxmu1 + dxmu2
    dmu = -np.sum(dxmu, axis=axes, keepdims=True)
    # stage 1: mu = mean(x)
    dx = dxmu + np.ones_like(xmu) * (dmu / m)
    return dx


def batchnorm_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, bn_param: dict[str, Any]
) -> tuple[np.ndarray, Any]:
    """
    Forward pass for batch normalization.

    During training the sample mean and (uncorrected, divided by N) sample
    variance are computed from minibatch statistics and used to normalize the
    incoming data. During training we also keep an exponentially decaying
    running mean of the mean and variance of each feature, and these averages
    are used to normalize data at test-time:

    running_mean = momentum * running_mean + (1 - momentum) * sample_mean
    running_var = momentum * running_var + (1 - momentum) * sample_var

    Input:
    - x: Data of shape (N, D)
    - gamma: Scale parameter of shape (D,)
    - beta: Shift parameter of shape (D,)
    - bn_param: Dictionary with the following keys:
      - mode: 'train' or 'test'; required
      - eps: Constant for numeric stability (default 1e-5)
      - momentum: Constant for running mean / variance (default 0.9)
      - running_mean: Array of shape (D,) giving running mean of features
        (default zeros); replaced by the updated one after a train step
      - running_var: Array of shape (D,) giving running variance of features
        (default zeros); replaced by the updated one after a train step

    Returns a tuple of:
    - out: of shape (N, D)
    - cache: A tuple of values needed in the backward pass
    """
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))

    if mode == "train":
        xhat, sample_mean, sample_var, stages = _standardize(x, (0,), eps)
        out = gamma * xhat + beta
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * sample_mean[0]
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * sample_var[0]
        cache = (xhat, gamma, stages)
    elif mode == "test":
        # the running statistics may be stored in another precision than x
        mean = np.asarray(running_mean).astype(x.dtype, copy=False)
        std = np.sqrt(np.asarray(running_var).astype(x.dtype, copy=False) + eps)
        xhat = (x - mean) / std
        out = gamma * xhat + beta
        cache = (xhat, gamma, None)
    else:
        raise ValueError(f'Invalid forward batchnorm mode "{mode}"')
    return out, cache


def batchnorm_backward(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Backward pass for batch normalization, through the computation graph of
    the forward pass (stage by stage).

    As in the course, the backward pass is defined for a train-mode forward
    pass (at test time the layer is a fixed affine map).

    Inputs:
    - dout: Upstream derivatives, of shape (N, D)
    - cache: Variable of intermediates from batchnorm_forward (train mode).

    Returns a tuple of:
    - dx: Gradient with respect to inputs x, of shape (N, D)
    - dgamma: Gradient with respect to scale parameter gamma, of shape (D,)
    - dbeta: Gradient with respect to shift parameter beta, of shape (D,)
    """
    xhat, gamma, stages = cache
    # out = gamma * xhat + beta
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    # xhat = standardize(x) over the batch
    dx = _standardize_backward(dxhat, stages)
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Alternative backward pass for batch normalization: the gradient with
    respect to x simplified on paper into a single expression,

    dx = gamma / (N * std) * (N * dout - sum(dout) - xhat * sum(dout * xhat)).

    Inputs / outputs: Same as batchnorm_backward
    """
    xhat, gamma, stages = cache
    _, ivar, _, _ = stages
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dx = (gamma * ivar / N) * (N * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta


def layernorm_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, ln_param: dict[str, Any]
) -> tuple[np.ndarray, Any]:
    """
    Forward pass for layer normalization.

    During both training and test-time, the incoming data is normalized per
    data-point (each row over its D features), before being scaled by gamma
    and beta parameters identical to that of batch normalization. No running
    averages are kept.

    Input:
    - x: Data of shape (N, D)
    - gamma: Scale parameter of shape (D,)
    - beta: Shift parameter of shape (D,)
    - ln_param: Dictionary with the following keys:
        - eps: Constant for numeric stability (default 1e-5)

    Returns a tuple of:
    - out: of shape (N, D)
    - cache: A tuple of values needed in the backward pass
    """
    eps = ln_param.get("eps", 1e-5)
    xhat, _, _, stages = _standardize(x, (1,), eps)
    out = gamma * xhat + beta
    return out, (xhat, gamma, stages)


def layernorm_backward(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Backward pass for layer normalization.

    Inputs:
    - dout: Upstream derivatives, of shape (N, D)
    - cache: Variable of intermediates from layernorm_forward.

    Returns a tuple of:
    - dx: Gradient with respect to inputs x, of shape (N, D)
    - dgamma: Gradient with respect to scale parameter gamma, of shape (D,)
    - dbeta: Gradient with respect to shift parameter beta, of shape (D,)
    """
    xhat, gamma, stages = cache
    # out = gamma * xhat + beta: gamma and beta are shared by the rows
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    # xhat = standardize(x) over each row
    dx = _standardize_backward(dxhat, stages)
    return dx, dgamma, dbeta


def spatial_batchnorm_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, bn_param: dict[str, Any]
) -> tuple[np.ndarray, Any]:
    """
    Computes the forward pass for spatial batch normalization.

    Inputs:
    - x: Input data of shape (N, C, H, W)
    - gamma: Scale parameter, of shape (C,)
    - beta: Shift parameter, of shape (C,)
    - bn_param: Dictionary with the following keys:
      - mode: 'train' or 'test'; required
      - eps: Constant for numeric stability
      - momentum: Constant for running mean / variance. momentum=0 means that
        old information is discarded completely at every time step, while
        momentum=1 means that new information is never incorporated.
      - running_mean: Array of shape (C,) giving running mean of features
      - running_var Array of shape (C,) giving running variance of features

    Returns a tuple of:
    - out: Output data, of shape (N, C, H, W)
    - cache: Values needed for the backward pass
    """
    N, C, H, W = x.shape
    # every (n, h, w) position is one example of C features
    x_rows = x.transpose(0, 2, 3, 1).reshape(-1, C)
    out_rows, cache = batchnorm_forward(x_rows, gamma, beta, bn_param)
    out = out_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    return out, cache


def spatial_batchnorm_backward(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Computes the backward pass for spatial batch normalization.

    Inputs:
    - dout: Upstream derivatives, of shape (N, C, H, W)
    - cache: Values from the forward pass

    Returns a tuple of:
    - dx: Gradient with respect to inputs, of shape (N, C, H, W)
    - dgamma: Gradient with respect to scale parameter, of shape (C,)
    - dbeta: Gradient with respect to shift parameter, of shape (C,)
    """
    N, C, H, W = dout.shape
    # out = out_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    dout_rows = dout.transpose(0, 2, 3, 1).reshape(-1, C)
    # out_rows = batchnorm(x_rows)
    dx_rows, dgamma, dbeta = batchnorm_backward(dout_rows, cache)
    # x_rows = x.transpose(0, 2, 3, 1).reshape(-1, C)
    dx = dx_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    return dx, dgamma, dbeta


def spatial_groupnorm_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, G: int, gn_param: dict[str, Any]
) -> tuple[np.ndarray, Any]:
    """
    Computes the forward pass for spatial group normalization.

    In contrast to layer normalization, group normalization splits each entry
    in the data into G contiguous pieces (channels c * C/G .. (c + 1) * C/G - 1),
    which it then normalizes independently, over the piece's channels and all
    spatial positions. Per-channel shifting and scaling are then applied.

    Inputs:
    - x: Input data of shape (N, C, H, W)
    - gamma: Scale parameter, of shape (1, C, 1, 1)
    - beta: Shift parameter, of shape (1, C, 1, 1)
    - G: Integer number of groups to split into, should be a divisor of C
    - gn_param: Dictionary with the following keys:
      - eps: Constant for numeric stability

    Returns a tuple of:
    - out: Output data, of shape (N, C, H, W)
    - cache: Values needed for the backward pass
    """
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    x_groups = x.reshape(N, G, C // G, H, W)
    xhat_groups, _, _, stages = _standardize(x_groups, (2, 3, 4), eps)
    xhat = xhat_groups.reshape(N, C, H, W)
    out = gamma * xhat + beta
    return out, (xhat, gamma, stages)


def spatial_groupnorm_backward(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Computes the backward pass for spatial group normalization.

    Inputs:
    - dout: Upstream derivatives, of shape (N, C, H, W)
    - cache: Values from the forward pass

    Returns a tuple of:
    - dx: Gradient with respect to inputs, of shape (N, C, H, W)
    - dgamma: Gradient with respect to scale parameter, of shape (1, C, 1, 1)
    - dbeta: Gradient with respect to shift parameter, of shape (1, C, 1, 1)
    """
    xhat, gamma, stages = cache
    xmu = stages[0]
    # out = gamma * xhat + beta, gamma and beta broadcast over N, H and W
    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)
    dgamma = np.sum(dout * xhat, axis=(0, 2, 3), keepdims=True)
    dxhat = dout * gamma
    # xhat = standardize(x_groups).reshape(N, C, H, W)
    dx_groups = _standardize_backward(dxhat.reshape(xmu.shape), stages)
    # x_groups = x.reshape(N, G, C // G, H, W)
    dx = dx_groups.reshape(dout.shape)
    return dx, dgamma, dbeta
