"""
CMU 11-785 MyTorch recurrent cells (HW3P1): answer key.

RNNCell is batched, x (N, H_in), h (N, H); h_t = tanh(W_ih x + b_ih + W_hh h_prev_t + b_hh).
Its backward ADDS to the stored parameter gradients (the cell is reused at every time step)
and divides them by the batch size; dx and dh_prev_t are not divided (handout, 2.2).

GRUCell is unbatched, x (H_in,), h (H,), like torch.nn.GRUCell with gates r, z, n:
    r = sigmoid(Wrx x + brx + Wrh h + brh)      z = sigmoid(Wzx x + bzx + Wzh h + bzh)
    n = tanh(Wnx x + bnx + r * (Wnh h + bnh))   h_t = (1 - z) * n + z * h
Its backward OVERWRITES the parameter gradients. It returns dx (H_in,) and dh_prev_t (H,)
as the S24 handout asserts; the F22 handout asserted shapes (1, H_in) and (1, H).
"""

from __future__ import annotations

import numpy as np


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0, -x))


class RNNCell:
    """
    Weights: W_ih (H, H_in), W_hh (H, H), b_ih (H,), b_hh (H,), random normal at construction.
    Gradients: dW_ih, dW_hh, db_ih, db_hh of the same shapes, accumulated across calls.
    """

    def __init__(self, input_size: int, hidden_size: int):
        self.input_size, self.hidden_size = input_size, hidden_size
        h, d = hidden_size, input_size
        self.W_ih = np.random.randn(h, d)
        self.W_hh = np.random.randn(h, h)
        self.b_ih = np.random.randn(h)
        self.b_hh = np.random.randn(h)
        self.zero_grad()

    def init_weights(self, W_ih: np.ndarray, W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray) -> None:
        """W_ih (H, H_in), W_hh (H, H), b_ih (H,), b_hh (H,)."""
        self.W_ih, self.W_hh, self.b_ih, self.b_hh = W_ih, W_hh, b_ih, b_hh

    def zero_grad(self) -> None:
        h, d = self.hidden_size, self.input_size
        self.dW_ih = np.zeros((h, d))
        self.dW_hh = np.zeros((h, h))
        self.db_ih = np.zeros(h)
        self.db_hh = np.zeros(h)

    def __call__(self, x: np.ndarray, h_prev_t: np.ndarray) -> np.ndarray:
        return self.forward(x, h_prev_t)

    def forward(self, x: np.ndarray, h_prev_t: np.ndarray) -> np.ndarray:
        """
        Inputs:
        - x: (N, H_in), input at this time step (or the layer below's hidden state).
        - h_prev_t: (N, H), this layer's hidden state at the previous step.

        Returns:
        - h_t: (N, H). Nothing is stored: backward receives the states it needs.
        """
        return np.tanh(x @ self.W_ih.T + self.b_ih + h_prev_t @ self.W_hh.T + self.b_hh)

    def backward(
        self, delta: np.ndarray, h_t: np.ndarray, h_prev_l: np.ndarray, h_prev_t: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """
        Inputs:
        - delta: (N, H), dL/dh_t.
        - h_t: (N, H), the output of forward.
        - h_prev_l: (N, H_in), the x given to forward.
        - h_prev_t: (N, H), the h_prev_t given to forward.

        Returns a tuple of:
        - dx: (N, H_in).
        - dh_prev_t: (N, H).
        Adds the batch-averaged parameter gradients to dW_ih, dW_hh, db_ih, db_hh.
        """
        N = delta.shape[0]
        dz = delta * (1 - h_t**2)  # tanh' from the stored output
        self.dW_ih += dz.T @ h_prev_l / N
        self.dW_hh += dz.T @ h_prev_t / N
        self.db_ih += dz.sum(axis=0) / N
        self.db_hh += dz.sum(axis=0) / N
        return dz @ self.W_ih, dz @ self.W_hh


class GRUCell:
    """
    Weights: Wrx, Wzx, Wnx (H, H_in); Wrh, Wzh, Wnh (H, H); brx, bzx, bnx, brh, bzh, bnh (H,),
    random normal at construction. Gradients dWrx ... dbnh of the same shapes.
    """

    _NAMES = ("Wrx", "Wzx", "Wnx", "Wrh", "Wzh", "Wnh", "brx", "bzx", "bnx", "brh", "bzh", "bnh")

    def __init__(self, input_size: int, hidden_size: int):
        self.d, self.h = input_size, hidden_size
        h, d = hidden_size, input_size
        shapes = [(h, d)] * 3 + [(h, h)] * 3 + [(h,)] * 6
        for name, shape in zip(self._NAMES, shapes, strict=True):
            setattr(self, name, np.random.randn(*shape))
            setattr(self, "d" + name, np.zeros(shape))

    def init_weights(
        self,
        Wrx: np.ndarray,
        Wzx: np.ndarray,
        Wnx: np.ndarray,
        Wrh: np.ndarray,
        Wzh: np.ndarray,
        Wnh: np.ndarray,
        brx: np.ndarray,
        bzx: np.ndarray,
        bnx: np.ndarray,
        brh: np.ndarray,
        bzh: np.ndarray,
        bnh: np.ndarray,
    ) -> None:
        """Arguments in the handout's order, shapes as in the class docstring."""
        for name, value in zip(self._NAMES, (Wrx, Wzx, Wnx, Wrh, Wzh, Wnh, brx, bzx, bnx, brh, bzh, bnh), strict=True):
            setattr(self, name, value)

    def __call__(self, x: np.ndarray, h_prev_t: np.ndarray) -> np.ndarray:
        return self.forward(x, h_prev_t)

    def forward(self, x: np.ndarray, h_prev_t: np.ndarray) -> np.ndarray:
        """
        Inputs:
        - x: (H_in,).
        - h_prev_t: (H,).

        Returns:
        - h_t: (H,). Stores x, hidden, r, z, n (and the pre-gate term Wnh h + bnh).
        """
        self.x, self.hidden = x, h_prev_t
        self.r = _sigmoid(self.Wrx @ x + self.brx + self.Wrh @ h_prev_t + self.brh)
        self.z = _sigmoid(self.Wzx @ x + self.bzx + self.Wzh @ h_prev_t + self.bzh)
        self.hn = self.Wnh @ h_prev_t + self.bnh  # gated by r, so backward needs it separately
        self.n = np.tanh(self.Wnx @ x + self.bnx + self.r * self.hn)
        return (1 - self.z) * self.n + self.z * h_prev_t

    def backward(self, delta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """
        Inputs:
        - delta: (H,), dL/dh_t (the sum of the gradients from the layer above and the next step).

        Returns a tuple of:
        - dx: (H_in,).
        - dh_prev_t: (H,).
        Sets dWrx ... dbnh.
        """
        x, h = self.x, self.hidden
        # pre-activation gradients of the three gates
        dn = delta * (1 - self.z) * (1 - self.n**2)
        dz = delta * (h - self.n) * self.z * (1 - self.z)
        dr = dn * self.hn * self.r * (1 - self.r)
        dhn = dn * self.r

        self.dWnx, self.dbnx = np.outer(dn, x), dn
        self.dWnh, self.dbnh = np.outer(dhn, h), dhn
        self.dWzx, self.dbzx = np.outer(dz, x), dz
        self.dWzh, self.dbzh = np.outer(dz, h), dz
        self.dWrx, self.dbrx = np.outer(dr, x), dr
        self.dWrh, self.dbrh = np.outer(dr, h), dr

        dx = dn @ self.Wnx + dz @ self.Wzx + dr @ self.Wrx
        dh_prev_t = delta * self.z + dhn @ self.Wnh + dz @ self.Wzh + dr @ self.Wrh
        return dx, dh_prev_t
