"""Reference of neural_net.py (CS231n 2016-2020 assignment 1): the two-layer net under the
``reg * sum(W^2)`` convention of its 2017-2020 notebooks, written with the fc_net references
(which use ``0.5 * reg``, so the strength is doubled)."""

from __future__ import annotations

from torch import Tensor

from gradverify.reference.cs231n.fc_net import fc_net_loss, fc_net_scores


def two_layer_net(params: dict[str, Tensor], X: Tensor, y: Tensor, reg: float) -> dict[str, Tensor]:
    """``loss``: mean softmax cross-entropy plus reg * (sum(W1**2) + sum(W2**2)); ``scores``: (N, C)."""
    return {"loss": fc_net_loss(params, X, y, 2 * reg), "scores": fc_net_scores(params, X)}
