"""Forward-only torch version of the fully connected nets.

The depth L is inferred from the keys W1..WL / b1..bL of the params dict;
TwoLayerNet is the L = 2 case. Regularization follows the course:
0.5 * reg * sum(W_i ** 2) over weights only. Batch normalization follows the
course too (see reference.normalization); dropout masks are passed in, since
drawing them is the implementation's business.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F


def _num_layers(params: dict[str, Tensor]) -> int:
    """
    Inputs:
    - params: Dictionary holding W1..WL and b1..bL.

    Returns:
    - L: The number of affine layers.
    """
    L = sum(1 for k in params if k.startswith("W") and k[1:].isdigit())
    expected = {f"{p}{i}" for p in "Wb" for i in range(1, L + 1)}
    if L == 0 or not expected <= params.keys():
        raise ValueError(f"params must hold W1..WL and b1..bL, got {sorted(params)}")
    return L


def _hidden(
    i: int,
    params: dict[str, Tensor],
    h: Tensor,
    normalization: str | None,
    running: list[tuple[Tensor, Tensor]] | None,
    eps: float,
) -> Tensor:
    """relu(norm(h W_i + b_i)) of hidden layer i; batchnorm uses the batch statistics unless
    ``running`` gives the running ones."""
    a = h @ params[f"W{i}"] + params[f"b{i}"]
    if normalization == "batchnorm":
        gamma, beta = params[f"gamma{i}"], params[f"beta{i}"]
        mean, var = running[i - 1] if running is not None else (None, None)
        a = F.batch_norm(a, mean, var, gamma, beta, training=running is None, eps=eps)
    elif normalization == "layernorm":
        a = F.layer_norm(a, (a.shape[1],), params[f"gamma{i}"], params[f"beta{i}"], eps=eps)
    elif normalization is not None:
        raise ValueError(f"unknown normalization {normalization!r}")
    return torch.relu(a)


def fc_net_scores(
    params: dict[str, Tensor],
    X: Tensor,
    normalization: str | None = None,
    running: list[tuple[Tensor, Tensor]] | None = None,
    masks: list[Tensor] | None = None,
    p: float = 1.0,
    eps: float = 1e-5,
) -> Tensor:
    """
    Scores of {affine - [norm] - relu - [dropout]} x (L - 1) - affine.

    Inputs:
    - params: Dictionary with W_i of shape (d_{i-1}, d_i) and b_i of shape
      (d_i,) for i = 1..L, d_0 = D, d_L = C; with normalization also gamma_i
      and beta_i of shape (d_i,) for i = 1..L-1.
    - X: A tensor of shape (N, d_1, ..., d_k), D = d_1 * ... * d_k.
    - normalization: None, "batchnorm" or "layernorm".
    - running: For batchnorm at test time, (running_mean_i, running_var_i) of
      shape (d_i,) per hidden layer; None normalizes with the batch statistics
      (training time).
    - masks: For dropout at training time, one bool tensor of shape (N, d_i)
      per hidden layer, True where the unit is kept; None for no dropout.
    - p: The keep probability the masks were drawn with (kept units scale by 1 / p).
    - eps: The normalization layers' eps.

    Returns:
    - scores: A tensor of shape (N, C).
    """
    L = _num_layers(params)
    out = X.reshape(X.shape[0], -1)
    for i in range(1, L):
        out = _hidden(i, params, out, normalization, running, eps)
        if masks is not None:
            out = out * masks[i - 1].to(out.dtype) / p
    return out @ params[f"W{L}"] + params[f"b{L}"]


def fc_net_loss(
    params: dict[str, Tensor],
    X: Tensor,
    y: Tensor,
    reg: float,
    normalization: str | None = None,
    masks: list[Tensor] | None = None,
    p: float = 1.0,
    eps: float = 1e-5,
) -> Tensor:
    """
    Training-time loss: mean softmax cross-entropy of the scores (batchnorm with
    the batch statistics, dropout with the given masks) plus 0.5 * reg * sum(W_i ** 2).

    Inputs:
    - params, X, normalization, masks, p, eps: As fc_net_scores.
    - y: An int64 tensor of shape (N,), 0 <= y[i] < C.
    - reg: (float) regularization strength; gammas and betas are not regularized.

    Returns:
    - loss: A 0-d tensor.
    """
    scores = fc_net_scores(params, X, normalization, None, masks, p, eps)
    data_loss = -torch.log_softmax(scores, dim=1).gather(1, y.unsqueeze(1)).mean()
    L = _num_layers(params)
    reg_loss = sum((params[f"W{i}"] ** 2).sum() for i in range(1, L + 1))
    return data_loss + 0.5 * reg * reg_loss
