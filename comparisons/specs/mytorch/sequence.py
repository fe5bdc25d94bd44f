"""Specs of HW3P1's recurrent cells and HW4P1's attention layers.

- RNNCell: ``forward(x, h_prev_t)``, ``backward(delta, h_t, h_prev_l, h_prev_t) -> (dx,
  dh_prev_t)``; its parameter gradients are averaged over the batch (divided by N), dx and
  dh_prev_t are not: the scaling is declared.
- GRUCell: unbatched, ``backward(delta) -> (dx, dh_prev_t)``, gradients dWrx ... dbnh.
- ScaledDotProductAttention and MultiHeadAttention (four flat-bias Linear projections), with
  boolean masks (True = ignore) that always leave a key visible: a fully masked row's -eps
  scores depend on rounding."""

from __future__ import annotations

import numpy as np

import gradverify.impl.mytorch.attention as attn
import gradverify.impl.mytorch.rnn as rnn
from gradverify.core.course_adapters import LayerObject
from gradverify.core.references import references
from gradverify.core.sampling import D1, N1, Sample, dims, values
from gradverify.core.spec import RANDOM_UPSTREAM
from gradverify.specs.dls.common import course_op

ref_attn = references("gradverify.reference.mytorch.attention")
ref_rnn = references("gradverify.reference.mytorch.rnn")

WEIGHT_SCALE = 0.5
RNN_PARAMS = ("W_ih", "W_hh", "b_ih", "b_hh")
GRU_PARAMS = ("Wrx", "Wzx", "Wnx", "Wrh", "Wzh", "Wnh", "brx", "bzx", "bnx", "brh", "bzh", "bnh")
MHA_PARAMS = {
    "Wq": "q_proj.W", "bq": "q_proj.b", "Wk": "k_proj.W", "bk": "k_proj.b",
    "Wv": "v_proj.W", "bv": "v_proj.b", "Wo": "out_proj.W", "bo": "out_proj.b",
}  # fmt: skip
"""Sample name -> the projection attribute it sets, in init_weights' order."""


def rnn_sample(rng: np.random.Generator, case: str) -> Sample:
    d = dims(rng, case, N=(1, 4), D=(1, 4), H=(1, 4))
    n, i, h = d["N"], d["D"], d["H"]
    return Sample(
        {
            "x": values(rng, (n, i), case),
            "h_prev_t": values(rng, (n, h), case),
            "W_ih": values(rng, (h, i), case, WEIGHT_SCALE),
            "W_hh": values(rng, (h, h), case, WEIGHT_SCALE),
            "b_ih": values(rng, (h,), case, WEIGHT_SCALE),
            "b_hh": values(rng, (h,), case, WEIGHT_SCALE),
        }
    )


def gru_sample(rng: np.random.Generator, case: str) -> Sample:
    d = dims(rng, case, D=(1, 4), H=(1, 4))
    i, h = d["D"], d["H"]
    shapes = [(h, i)] * 3 + [(h, h)] * 3 + [(h,)] * 6
    arrays = {"x": values(rng, (i,), case), "h_prev_t": values(rng, (h,), case)}
    arrays.update({k: values(rng, s, case, WEIGHT_SCALE) for k, s in zip(GRU_PARAMS, shapes, strict=True)})
    return Sample(arrays)


def _visible_mask(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """A boolean mask (True = ignore) whose first key (last axis) is never masked."""
    mask = rng.random(shape) < 0.4
    mask[..., 0] = False
    return mask


def sdpa_sample(rng: np.random.Generator, case: str) -> Sample:
    d = dims(rng, case, N=(1, 3), D=(1, 4))
    heads, L, S, E, Ev = (int(v) for v in rng.integers(1, 4, size=5))
    lead = (d["N"], heads)
    return Sample(
        {
            "Q": values(rng, (*lead, L, d["D"]), case),
            "K": values(rng, (*lead, S, d["D"]), case),
            "V": values(rng, (*lead, S, Ev), case),
            "mask": _visible_mask(rng, (*lead, L, S)),
        }
    )


def mha_sample(rng: np.random.Generator, case: str) -> Sample:
    d = dims(rng, case, N=(1, 3))
    heads = int(rng.integers(1, 3))
    E, L, S = heads * int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
    arrays = {
        "query": values(rng, (d["N"], L, E), case),
        "key": values(rng, (d["N"], S, E), case),
        "value": values(rng, (d["N"], S, E), case),
        "key_padding_mask": _visible_mask(rng, (d["N"], S)),
        "attn_mask": _visible_mask(rng, (L, S)),
    }
    for name in MHA_PARAMS:
        arrays[name] = values(rng, (E, E) if name[0] == "W" else (E,), case, WEIGHT_SCALE)
    return Sample(arrays, {"num_heads": heads})


def _per_example(s: Sample) -> dict[str, float]:
    return dict.fromkeys(RNN_PARAMS, 1.0 / s["x"].shape[0])


RNN_CELL = LayerObject(
    rnn.RNNCell,
    lambda s: {"input_size": s["W_ih"].shape[1], "hidden_size": s["W_ih"].shape[0]},
    ("x", "h_prev_t"),
    {k: k for k in RNN_PARAMS},
    ("x", "h_prev_t"),
    {k: "d" + k for k in RNN_PARAMS},
    output="h_t",
    backward_args=("h_t", "x", "h_prev_t"),
    scale=_per_example,
)

GRU_CELL = LayerObject(
    rnn.GRUCell,
    lambda s: {"input_size": s["Wrx"].shape[1], "hidden_size": s["Wrx"].shape[0]},
    ("x", "h_prev_t"),
    {k: k for k in GRU_PARAMS},
    ("x", "h_prev_t"),
    {k: "d" + k for k in GRU_PARAMS},
    output="h_t",
)

SDPA = LayerObject(attn.ScaledDotProductAttention, lambda s: {}, ("Q", "K", "V", "mask"), returns=("Q", "K", "V"))

MHA = LayerObject(
    attn.MultiHeadAttention,
    lambda s: {"embed_dim": s["query"].shape[2], "num_heads": s["num_heads"]},
    ("query", "key", "value", "key_padding_mask", "attn_mask"),
    MHA_PARAMS,
    ("query", "key", "value"),
    {k: path.rsplit(".", 1)[0] + (".dLdW" if k[0] == "W" else ".dLdb") for k, path in MHA_PARAMS.items()},
)

SPECS = (
    course_op(
        "mytorch.rnn_cell",
        "mytorch.rnn",
        {"S24": RNN_CELL},
        lambda t: ref_rnn.rnn_cell(t["x"], t["h_prev_t"], *(t[k] for k in RNN_PARAMS)),
        rnn_sample,
        {"h_t": RANDOM_UPSTREAM},
        ("x", "h_prev_t", *RNN_PARAMS),
        edge_cases=(N1, D1),
        description="RNNCell: h_t = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh); parameter gradients averaged over N",
    ),
    course_op(
        "mytorch.gru_cell",
        "mytorch.rnn",
        {"S24": GRU_CELL},
        lambda t: ref_rnn.gru_cell(t["x"], t["h_prev_t"], *(t[k] for k in GRU_PARAMS)),
        gru_sample,
        {"h_t": RANDOM_UPSTREAM},
        ("x", "h_prev_t", *GRU_PARAMS),
        edge_cases=(D1,),
        description="GRUCell (unbatched x (H_in,), h (H,)), torch.nn.GRUCell's equations; backward(delta)",
    ),
    course_op(
        "mytorch.scaled_dot_product_attention",
        "mytorch.attention",
        {"S25": SDPA},
        lambda t: ref_attn.scaled_dot_product_attention(t["Q"], t["K"], t["V"], t["mask"]),
        sdpa_sample,
        {"out": RANDOM_UPSTREAM},
        ("Q", "K", "V"),
        edge_cases=(N1, D1),
        description="softmax(Q K^T / sqrt(E) - eps mask) V, eps 1e10, mask True = ignore; backward -> dQ, dK, dV",
    ),
    course_op(
        "mytorch.multi_head_attention",
        "mytorch.attention",
        {"S25": MHA},
        lambda t: ref_attn.multi_head_attention(
            t["query"],
            t["key"],
            t["value"],
            *(t[k] for k in MHA_PARAMS),
            t["num_heads"],
            t["key_padding_mask"],
            t["attn_mask"],
        ),  # fmt: skip
        mha_sample,
        {"out": RANDOM_UPSTREAM},
        ("query", "key", "value", *MHA_PARAMS),
        edge_cases=(N1,),
        description="MultiHeadAttention: q/k/v/out Linear projections around scaled dot-product attention, "
        "key_padding_mask and attn_mask",
    ),
)
