"""Forward-only torch versions of the recurrent layers; autograd gives every gradient.

The recurrences are written out with torch ops instead of ``torch.nn.RNN``/``torch.nn.LSTM``:
those keep two bias vectors (``b_ih`` and ``b_hh``), store weights transposed as
(gates * H, D), and order the LSTM gates i, f, g, o, while the course has one bias and
weights of shape (D, 4H) whose columns hold i, f, o, g. Mapping one layout onto the other
would be a second thing to get right; the recurrence itself is a few lines.
"""

from __future__ import annotations

import torch
from torch import Tensor


def rnn_step(x: Tensor, prev_h: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor) -> Tensor:
    """
    Inputs:
    - x: A tensor of shape (N, D).
    - prev_h: A tensor of shape (N, H).
    - Wx: A tensor of shape (D, H).
    - Wh: A tensor of shape (H, H).
    - b: A tensor of shape (H,).

    Returns:
    - next_h: A tensor of shape (N, H), tanh(x Wx + prev_h Wh + b).
    """
    return torch.tanh(x @ Wx + prev_h @ Wh + b)


def rnn(x: Tensor, h0: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor) -> Tensor:
    """
    Inputs:
    - x: A tensor of shape (N, T, D).
    - h0: A tensor of shape (N, H).
    - Wx, Wh, b: as in ``rnn_step``.

    Returns:
    - h: A tensor of shape (N, T, H), the hidden state after each timestep.
    """
    h, states = h0, []
    for t in range(x.shape[1]):
        h = rnn_step(x[:, t], h, Wx, Wh, b)
        states.append(h)
    return torch.stack(states, dim=1)


def word_embedding(x: Tensor, W: Tensor) -> Tensor:
    """
    Inputs:
    - x: An int64 tensor of shape (N, T), 0 <= x[n, t] < V.
    - W: A tensor of shape (V, D).

    Returns:
    - out: A tensor of shape (N, T, D), out[n, t] = W[x[n, t]].
    """
    return W[x]


def lstm_step(x: Tensor, prev_h: Tensor, prev_c: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """
    Inputs:
    - x: A tensor of shape (N, D).
    - prev_h, prev_c: Tensors of shape (N, H).
    - Wx: A tensor of shape (D, 4H); Wh: (H, 4H); b: (4H,). The 4H columns hold the
      gates i, f, o, g, in that order.

    Returns a tuple of:
    - next_h: A tensor of shape (N, H), o * tanh(next_c).
    - next_c: A tensor of shape (N, H), f * prev_c + i * g.
    """
    a_i, a_f, a_o, a_g = (x @ Wx + prev_h @ Wh + b).chunk(4, dim=1)
    next_c = torch.sigmoid(a_f) * prev_c + torch.sigmoid(a_i) * torch.tanh(a_g)
    next_h = torch.sigmoid(a_o) * torch.tanh(next_c)
    return next_h, next_c


def lstm(x: Tensor, h0: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor) -> Tensor:
    """
    Inputs:
    - x: A tensor of shape (N, T, D).
    - h0: A tensor of shape (N, H); the initial cell state is zero.
    - Wx, Wh, b: as in ``lstm_step``.

    Returns:
    - h: A tensor of shape (N, T, H), the hidden state after each timestep.
    """
    h, c, states = h0, torch.zeros_like(h0), []
    for t in range(x.shape[1]):
        h, c = lstm_step(x[:, t], h, c, Wx, Wh, b)
        states.append(h)
    return torch.stack(states, dim=1)


def temporal_affine(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """
    Inputs:
    - x: A tensor of shape (N, T, D).
    - w: A tensor of shape (D, M).
    - b: A tensor of shape (M,).

    Returns:
    - out: A tensor of shape (N, T, M), x[n, t] w + b at every timestep.
    """
    return x @ w + b


def temporal_softmax_loss(x: Tensor, y: Tensor, mask: Tensor) -> Tensor:
    """
    Inputs:
    - x: A tensor of shape (N, T, V) of scores.
    - y: An int64 tensor of shape (N, T), 0 <= y[n, t] < V.
    - mask: A bool tensor of shape (N, T); False entries do not count.

    Returns:
    - loss: A 0-d tensor, -sum(mask * log softmax(x)[y]) / N (divided by the number of
      sequences N, not by the number of unmasked timesteps).
    """
    log_p = torch.log_softmax(x, dim=2).gather(2, y.unsqueeze(2)).squeeze(2)
    return -(log_p * mask).sum() / x.shape[0]
