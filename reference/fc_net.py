"""Forward-only torch version of the fully connected nets.

The depth L is inferred from the keys W1..WL / b1..bL of the params dict;
TwoLayerNet is the L = 2 case. Regularization follows the course:
0.5 * reg * sum(W_i ** 2) over weights only.
"""

from __future__ import annotations

import torch
from torch import Tensor


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


def fc_net_scores(params: dict[str, Tensor], X: Tensor) -> Tensor:
    """
    Scores of {affine - relu} x (L - 1) - affine.

    Inputs:
    - params: Dictionary with W_i of shape (d_{i-1}, d_i) and b_i of shape
      (d_i,) for i = 1..L, d_0 = D, d_L = C.
    - X: A tensor of shape (N, d_1, ..., d_k), D = d_1 * ... * d_k.

    Returns:
    - scores: A tensor of shape (N, C).
    """
    L = _num_layers(params)
    out = X.reshape(X.shape[0], -1)
    for i in range(1, L):
        out = torch.relu(out @ params[f"W{i}"] + params[f"b{i}"])
    return out @ params[f"W{L}"] + params[f"b{L}"]


def fc_net_loss(params: dict[str, Tensor], X: Tensor, y: Tensor, reg: float) -> Tensor:
    """
    Mean softmax cross-entropy of the scores plus 0.5 * reg * sum(W_i ** 2).

    Inputs:
    - params: As fc_net_scores.
    - X: A tensor of shape (N, d_1, ..., d_k).
    - y: An int64 tensor of shape (N,), 0 <= y[i] < C.
    - reg: (float) regularization strength.

    Returns:
    - loss: A 0-d tensor.
    """
    scores = fc_net_scores(params, X)
    data_loss = -torch.log_softmax(scores, dim=1).gather(1, y.unsqueeze(1)).mean()
    L = _num_layers(params)
    reg_loss = sum((params[f"W{i}"] ** 2).sum() for i in range(1, L + 1))
    return data_loss + 0.5 * reg * reg_loss
