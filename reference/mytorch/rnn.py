"""Torch forward references for the MyTorch RNN and GRU cells."""

from __future__ import annotations

import torch
from torch import Tensor


def rnn_cell(x: Tensor, h_prev_t: Tensor, W_ih: Tensor, W_hh: Tensor, b_ih: Tensor, b_hh: Tensor) -> Tensor:
    """x (N, H_in), h_prev_t (N, H), W_ih (H, H_in), W_hh (H, H), b_ih, b_hh (H,) -> h_t (N, H)."""
    return torch.tanh(x @ W_ih.T + b_ih + h_prev_t @ W_hh.T + b_hh)


def gru_cell(
    x: Tensor,
    h_prev_t: Tensor,
    Wrx: Tensor,
    Wzx: Tensor,
    Wnx: Tensor,
    Wrh: Tensor,
    Wzh: Tensor,
    Wnh: Tensor,
    brx: Tensor,
    bzx: Tensor,
    bnx: Tensor,
    brh: Tensor,
    bzh: Tensor,
    bnh: Tensor,
) -> Tensor:
    """x (H_in,), h_prev_t (H,), W*x (H, H_in), W*h (H, H), b* (H,) -> h_t (H,); torch.nn.GRUCell's equations."""
    r = torch.sigmoid(Wrx @ x + brx + Wrh @ h_prev_t + brh)
    z = torch.sigmoid(Wzx @ x + bzx + Wzh @ h_prev_t + bzh)
    n = torch.tanh(Wnx @ x + bnx + r * (Wnh @ h_prev_t + bnh))
    return (1 - z) * n + z * h_prev_t
