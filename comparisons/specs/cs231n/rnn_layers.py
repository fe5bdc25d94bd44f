"""Specs of rnn_layers.py: vanilla RNN and LSTM (one step and a whole sequence), word
embeddings, the temporal affine layer and the masked temporal softmax loss."""

from __future__ import annotations

import numpy as np

import gradverify.impl.cs231n.rnn_layers as impl
from gradverify.core.declare import op
from gradverify.core.references import references
from gradverify.core.sampling import D1, LARGE, N1, Sample, dims, values

ref = references("gradverify.reference.cs231n.rnn_layers")

T1 = "T=1"
"""A sequence of one timestep: nothing flows between steps."""
REPEATED = "repeated"
"""Every word index the same, so every gradient row of the embedding lands on one row."""
MASKED_ROWS = "masked_rows"
"""Whole sequences masked out (all of them when N = 1): they add nothing to loss or dx."""

# small weights keep tanh and the gates away from saturation, where every gradient is ~0
WEIGHT_SCALE = 0.5


def _sizes(rng: np.random.Generator, case: str, **ranges: tuple[int, int]) -> dict[str, int]:
    d = dims(rng, case, **ranges)
    if case == T1 and "T" in d:
        d["T"] = 1
    return d


def _recurrent_sample(rng: np.random.Generator, case: str, gates: int, sequence: bool, cell: bool) -> Sample:
    """Inputs of an RNN (gates = 1) or LSTM (gates = 4) step or sequence."""
    d = _sizes(rng, case, N=(1, 4), T=(1, 4), D=(1, 4), H=(1, 5))
    n, h = d["N"], d["H"]
    x_shape = (n, d["T"], d["D"]) if sequence else (n, d["D"])
    arrays = {"x": values(rng, x_shape, case), ("h0" if sequence else "prev_h"): values(rng, (n, h), case)}
    if cell:
        arrays["prev_c"] = values(rng, (n, h), case)
    arrays["Wx"] = values(rng, (d["D"], gates * h), case, WEIGHT_SCALE)
    arrays["Wh"] = values(rng, (h, gates * h), case, WEIGHT_SCALE)
    arrays["b"] = values(rng, (gates * h,), case, WEIGHT_SCALE)
    return Sample(arrays)


def embedding_sample(rng: np.random.Generator, case: str) -> Sample:
    d = _sizes(rng, case, N=(1, 4), T=(1, 4), V=(1, 5), D=(1, 4))
    x = rng.integers(0, d["V"], size=(d["N"], d["T"])).astype(np.int64)
    if case == REPEATED:
        x[:] = x.flat[0]
    elif x.size > 1:
        # at least one repeated word: its gradient rows must add up
        x.flat[-1] = x.flat[0]
    return Sample({"x": x, "W": values(rng, (d["V"], d["D"]), case)})


def temporal_affine_sample(rng: np.random.Generator, case: str) -> Sample:
    d = _sizes(rng, case, N=(1, 4), T=(1, 4), D=(1, 4), M=(1, 5))
    return Sample(
        {
            "x": values(rng, (d["N"], d["T"], d["D"]), case),
            "w": values(rng, (d["D"], d["M"]), case),
            "b": values(rng, (d["M"],), case),
        }
    )


def temporal_softmax_sample(rng: np.random.Generator, case: str) -> Sample:
    d = _sizes(rng, case, N=(1, 4), T=(1, 4), V=(2, 6))
    n, t, v = d["N"], d["T"], d["V"]
    if case == LARGE:
        # each timestep offset by +-1e3, beyond what exp survives in either dtype, with a
        # spread of a few units so the softmax stays informative
        x = rng.choice([-1e3, 1e3], size=(n, t, 1)) + 2.0 * rng.standard_normal((n, t, v))
    else:
        x = values(rng, (n, t, v), case)
    mask = rng.random((n, t)) < 0.7
    if mask.size > 1 and mask.all():
        # a mask that hides nothing would not test the masking
        mask.flat[rng.integers(mask.size)] = False
    if case == MASKED_ROWS:
        mask[rng.random(n) < 0.5] = False
        mask[rng.integers(n)] = False
    return Sample({"x": x, "y": rng.integers(0, v, size=(n, t)).astype(np.int64), "mask": mask})


def _lstm_step_reference(t: Sample) -> dict:
    next_h, next_c = ref.lstm_step(t["x"], t["prev_h"], t["prev_c"], t["Wx"], t["Wh"], t["b"])
    return {"next_h": next_h, "next_c": next_c}


SEQUENCE_GRADS = ("x", "h0", "Wx", "Wh", "b")

SPECS = (
    op(
        "rnn_step",
        family="rnn_layers",
        forward=impl.rnn_step_forward,
        backward=impl.rnn_step_backward,
        output="next_h",
        reference=ref.rnn_step,
        sample=lambda rng, case: _recurrent_sample(rng, case, gates=1, sequence=False, cell=False),
        edge_cases=(N1, D1),
        description="one vanilla RNN step next_h = tanh(x Wx + prev_h Wh + b)",
    ),
    op(
        "rnn",
        family="rnn_layers",
        forward=impl.rnn_forward,
        backward=impl.rnn_backward,
        output="h",
        reference=ref.rnn,
        sample=lambda rng, case: _recurrent_sample(rng, case, gates=1, sequence=True, cell=False),
        edge_cases=(N1, T1, D1),
        description="vanilla RNN over a sequence x (N, T, D) from h0, all hidden states (N, T, H)",
    ),
    op(
        "word_embedding",
        family="rnn_layers",
        forward=impl.word_embedding_forward,
        backward=impl.word_embedding_backward,
        reference=ref.word_embedding,
        sample=embedding_sample,
        edge_cases=(N1, T1, D1, REPEATED),
        description="word vectors W[x] for integer x (N, T), with repeated words",
    ),
    op(
        "lstm_step",
        family="rnn_layers",
        forward=impl.lstm_step_forward,
        backward=impl.lstm_step_backward,
        output=("next_h", "next_c"),
        reference=_lstm_step_reference,
        by_sample=True,
        sample=lambda rng, case: _recurrent_sample(rng, case, gates=4, sequence=False, cell=True),
        edge_cases=(N1, D1),
        description="one LSTM step, gates i, f, o, g in the columns of Wx (D, 4H); next_h and next_c",
    ),
    op(
        "lstm",
        family="rnn_layers",
        forward=impl.lstm_forward,
        backward=impl.lstm_backward,
        output="h",
        reference=ref.lstm,
        sample=lambda rng, case: _recurrent_sample(rng, case, gates=4, sequence=True, cell=False),
        edge_cases=(N1, T1, D1),
        description="LSTM over a sequence x (N, T, D) from h0 and c0 = 0, all hidden states (N, T, H)",
    ),
    op(
        "temporal_affine",
        family="rnn_layers",
        forward=impl.temporal_affine_forward,
        backward=impl.temporal_affine_backward,
        reference=ref.temporal_affine,
        sample=temporal_affine_sample,
        edge_cases=(N1, T1, D1),
        description="affine layer x[n, t] w + b at every timestep, x (N, T, D)",
    ),
    op(
        "temporal_softmax_loss",
        family="rnn_layers",
        loss=impl.temporal_softmax_loss,
        args=("x", "y", "mask"),
        wrt=("x",),
        reference=ref.temporal_softmax_loss,
        sample=temporal_softmax_sample,
        edge_cases=(N1, T1, MASKED_ROWS, LARGE),
        description="softmax cross-entropy at every unmasked timestep of x (N, T, V), summed, divided by N",
    ),
)
