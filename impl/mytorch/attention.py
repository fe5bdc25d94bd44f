"""
CMU 11-785 MyTorch attention (HW4P1, S25 handout): answer key.

ScaledDotProductAttention:
- Q: (N, ..., H, L, E), K: (N, ..., H, S, E), V: (N, ..., H, S, Ev) -> (N, ..., H, L, Ev).
- mask: boolean, broadcastable to (N, ..., H, L, S), True = do not attend. Masked scores get
  -eps added before the softmax, eps = 1e10 (the handout first shipped 1e-4, then 1e10).
MultiHeadAttention(embed_dim, num_heads), batch-first like torch.nn.MultiheadAttention:
- query (N, L, E), key and value (N, S, E); key_padding_mask (N, S), attn_mask (L, S),
  True = ignore; backward returns (d_query, d_key, d_value), one per input even when they
  are the same array (self-attention callers add them up).
Softmax is the generic HW4P1 Softmax(dim) of activation.py, re-exported here.
"""

from __future__ import annotations

import numpy as np

from .activation import Softmax
from .linear import Linear

__all__ = ["Softmax", "ScaledDotProductAttention", "MultiHeadAttention"]


class ScaledDotProductAttention:
    def __init__(self):
        self.eps = 1e10
        self.softmax = Softmax(dim=-1)  # over S, the keys

    def forward(self, Q: np.ndarray, K: np.ndarray, V: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """
        softmax(Q K^T / sqrt(E) - eps * mask) V.

        Inputs: Q (N, ..., H, L, E); K (N, ..., H, S, E); V (N, ..., H, S, Ev);
        mask (N, ..., H, L, S) or broadcastable, or None.

        Returns:
        - output: (N, ..., H, L, Ev). Stores Q, K, V and attention_scores (N, ..., H, L, S),
          the softmax output.
        """
        self.Q, self.K, self.V = Q, K, V
        scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
        if mask is not None:
            # a large finite penalty rather than -inf: a fully masked row stays finite (uniform)
            scores = scores - self.eps * mask
        self.attention_scores = self.softmax.forward(scores)
        return self.attention_scores @ V

    def backward(self, d_output: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """
        Inputs:
        - d_output: (N, ..., H, L, Ev).

        Returns a tuple of:
        - d_Q: (N, ..., H, L, E); d_K: (N, ..., H, S, E); d_V: (N, ..., H, S, Ev).
        The mask is a constant, so it needs no gradient of its own.
        """
        A = self.attention_scores
        d_V = np.swapaxes(A, -1, -2) @ d_output
        d_A = d_output @ np.swapaxes(self.V, -1, -2)
        d_scores = self.softmax.backward(d_A) / np.sqrt(self.Q.shape[-1])
        d_Q = d_scores @ self.K
        d_K = np.swapaxes(d_scores, -1, -2) @ self.Q
        return d_Q, d_K, d_V


class MultiHeadAttention:
    """
    Four Linear(embed_dim, embed_dim, flat_bias=True) projections q_proj, k_proj, v_proj,
    out_proj (weights (E, E), biases (E,)) around ScaledDotProductAttention; head dimension
    E / num_heads.
    """

    def __init__(self, embed_dim: int, num_heads: int):
        if embed_dim % num_heads != 0:
            raise ValueError("embed_dim must be divisible by num_heads")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.attention = ScaledDotProductAttention()
        self.q_proj = Linear(embed_dim, embed_dim, flat_bias=True)
        self.k_proj = Linear(embed_dim, embed_dim, flat_bias=True)
        self.v_proj = Linear(embed_dim, embed_dim, flat_bias=True)
        self.out_proj = Linear(embed_dim, embed_dim, flat_bias=True)

    def init_weights(
        self,
        Wq: np.ndarray,
        bq: np.ndarray,
        Wk: np.ndarray,
        bk: np.ndarray,
        Wv: np.ndarray,
        bv: np.ndarray,
        Wo: np.ndarray,
        bo: np.ndarray,
    ) -> None:
        """Each W (E, E), each b (E,), in the handout's order."""
        self.q_proj.init_weights(Wq, bq)
        self.k_proj.init_weights(Wk, bk)
        self.v_proj.init_weights(Wv, bv)
        self.out_proj.init_weights(Wo, bo)

    def forward(
        self,
        query: np.ndarray,
        key: np.ndarray,
        value: np.ndarray,
        key_padding_mask: np.ndarray | None = None,
        attn_mask: np.ndarray | None = None,
    ) -> np.ndarray:
        """
        Inputs:
        - query: (N, L, E); key, value: (N, S, E).
        - key_padding_mask: (N, S) or None; attn_mask: (L, S) or None; True = ignore.

        Returns:
        - output: (N, L, E).
        """
        q = self._split_heads(self.q_proj.forward(query))  # (N, heads, L, E / heads)
        k = self._split_heads(self.k_proj.forward(key))  # (N, heads, S, E / heads)
        v = self._split_heads(self.v_proj.forward(value))
        mask = self._merge_masks(key_padding_mask, attn_mask)
        heads = self.attention.forward(q, k, v, mask=mask)
        return self.out_proj.forward(self._concat_heads(heads))

    def backward(self, d_output: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """
        Inputs:
        - d_output: (N, L, E).

        Returns a tuple of d_query (N, L, E), d_key (N, S, E), d_value (N, S, E).
        The four Linear layers hold dLdW (E, E) and dLdb (E,).
        """
        d_heads = self._split_heads(self.out_proj.backward(d_output))
        d_q, d_k, d_v = self.attention.backward(d_heads)
        return (
            self.q_proj.backward(self._concat_heads(d_q)),
            self.k_proj.backward(self._concat_heads(d_k)),
            self.v_proj.backward(self._concat_heads(d_v)),
        )

    def _merge_masks(self, key_padding_mask: np.ndarray | None, attn_mask: np.ndarray | None) -> np.ndarray | None:
        """(N, S) and (L, S) -> boolean (N, 1, L, S) or (N, 1, 1, S) or (1, 1, L, S), or None."""
        # the handout's version indexes both masks unconditionally, so it needs both of them
        mask = None
        if key_padding_mask is not None:
            mask = np.asarray(key_padding_mask, dtype=bool)[:, None, None, :]
        if attn_mask is not None:
            am = np.asarray(attn_mask, dtype=bool)[None, None, :, :]
            mask = am if mask is None else (mask | am)
        return mask

    def _split_heads(self, x: np.ndarray) -> np.ndarray:
        """(N, T, E) -> (N, heads, T, E / heads)."""
        N, T, _ = x.shape
        return x.reshape(N, T, self.num_heads, -1).transpose(0, 2, 1, 3)

    def _concat_heads(self, x: np.ndarray) -> np.ndarray:
        """(N, heads, T, E / heads) -> (N, T, E)."""
        N, _, T, _ = x.shape
        return x.transpose(0, 2, 1, 3).reshape(N, T, -1)
