"""Torch forward references for the MyTorch (HW4P1) attention layers."""

from __future__ import annotations

import math

import torch
from torch import Tensor


def softmax(Z: Tensor, dim: int = -1) -> Tensor:
    """Z any shape -> softmax along dim."""
    return torch.softmax(Z, dim=dim)


def scaled_dot_product_attention(
    Q: Tensor, K: Tensor, V: Tensor, mask: Tensor | None = None, eps: float = 1e10
) -> Tensor:
    """
    Q (N, ..., H, L, E), K (N, ..., H, S, E), V (N, ..., H, S, Ev), mask broadcastable to
    (N, ..., H, L, S) with True = ignore -> (N, ..., H, L, Ev). Masked scores get -eps, as
    in the handout (not -inf), so fully masked rows stay finite.
    """
    scores = Q @ K.transpose(-1, -2) / math.sqrt(Q.shape[-1])
    if mask is not None:
        scores = scores - eps * mask.to(scores.dtype)
    return torch.softmax(scores, dim=-1) @ V


def multi_head_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    Wq: Tensor,
    bq: Tensor,
    Wk: Tensor,
    bk: Tensor,
    Wv: Tensor,
    bv: Tensor,
    Wo: Tensor,
    bo: Tensor,
    num_heads: int,
    key_padding_mask: Tensor | None = None,
    attn_mask: Tensor | None = None,
) -> Tensor:
    """
    query (N, L, E), key and value (N, S, E), W* (E, E), b* (E,), key_padding_mask (N, S),
    attn_mask (L, S), True = ignore -> (N, L, E).
    """
    N, L, E = query.shape
    S = key.shape[1]

    def split(x: Tensor, T: int) -> Tensor:  # (N, T, E) -> (N, heads, T, E / heads)
        return x.reshape(N, T, num_heads, E // num_heads).transpose(1, 2)

    q, k, v = split(query @ Wq.T + bq, L), split(key @ Wk.T + bk, S), split(value @ Wv.T + bv, S)
    mask = None
    if key_padding_mask is not None:
        mask = key_padding_mask.bool()[:, None, None, :]
    if attn_mask is not None:
        am = attn_mask.bool()[None, None]
        mask = am if mask is None else mask | am
    heads = scaled_dot_product_attention(q, k, v, mask)
    return heads.transpose(1, 2).reshape(N, L, E) @ Wo.T + bo
