"""
Torch forward references for Course 5, week 1 (time last: x (n_x, m, T_x)).

RNN parameters Wax (n_a, n_x), Waa (n_a, n_a), Wya (n_y, n_a), ba (n_a, 1), by (n_y, 1).
LSTM parameters Wf, Wi, Wc, Wo (n_a, n_a + n_x) on [a_prev; xt], bf, bi, bc, bo (n_a, 1),
Wy (n_y, n_a), by (n_y, 1). Softmax is over the class axis 0.
"""

from __future__ import annotations

import torch
from torch import Tensor

Params = dict[str, Tensor]


def rnn_cell_forward(xt: Tensor, a_prev: Tensor, parameters: Params) -> tuple[Tensor, Tensor]:
    """xt (n_x, m), a_prev (n_a, m) -> (a_next (n_a, m), yt_pred (n_y, m))."""
    p = parameters
    a_next = torch.tanh(p["Waa"] @ a_prev + p["Wax"] @ xt + p["ba"])
    return a_next, torch.softmax(p["Wya"] @ a_next + p["by"], dim=0)


def rnn_forward(x: Tensor, a0: Tensor, parameters: Params) -> tuple[Tensor, Tensor]:
    """x (n_x, m, T_x), a0 (n_a, m) -> (a (n_a, m, T_x), y_pred (n_y, m, T_x))."""
    a_t, hs, ys = a0, [], []
    for t in range(x.shape[2]):
        a_t, y_t = rnn_cell_forward(x[:, :, t], a_t, parameters)
        hs.append(a_t)
        ys.append(y_t)
    return torch.stack(hs, dim=2), torch.stack(ys, dim=2)


def lstm_cell_forward(xt: Tensor, a_prev: Tensor, c_prev: Tensor, parameters: Params) -> tuple[Tensor, Tensor, Tensor]:
    """xt (n_x, m), a_prev, c_prev (n_a, m) -> (a_next (n_a, m), c_next (n_a, m), yt_pred (n_y, m))."""
    p = parameters
    concat = torch.cat([a_prev, xt], dim=0)
    ft = torch.sigmoid(p["Wf"] @ concat + p["bf"])
    it = torch.sigmoid(p["Wi"] @ concat + p["bi"])
    cct = torch.tanh(p["Wc"] @ concat + p["bc"])
    ot = torch.sigmoid(p["Wo"] @ concat + p["bo"])
    c_next = ft * c_prev + it * cct
    a_next = ot * torch.tanh(c_next)
    return a_next, c_next, torch.softmax(p["Wy"] @ a_next + p["by"], dim=0)


def lstm_forward(x: Tensor, a0: Tensor, parameters: Params) -> tuple[Tensor, Tensor, Tensor]:
    """x (n_x, m, T_x), a0 (n_a, m), c0 = 0 -> (a (n_a, m, T_x), y (n_y, m, T_x), c (n_a, m, T_x))."""
    a_t, c_t = a0, torch.zeros_like(a0)
    hs, ys, cs = [], [], []
    for t in range(x.shape[2]):
        a_t, c_t, y_t = lstm_cell_forward(x[:, :, t], a_t, c_t, parameters)
        hs.append(a_t)
        ys.append(y_t)
        cs.append(c_t)
    return torch.stack(hs, dim=2), torch.stack(ys, dim=2), torch.stack(cs, dim=2)
