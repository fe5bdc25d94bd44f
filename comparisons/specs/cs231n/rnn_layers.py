"""Specs of rnn_layers.py: vanilla RNN and LSTM (one step and a whole sequence), word
embeddings, the temporal affine layer and the masked temporal softmax loss."""

from __future__ import annotations

import numpy as np

import gradverify.impl.cs231n.rnn_layers as impl
import gradverify.reference.cs231n.rnn_layers as ref
from gradverify.core.adapters import ForwardBackward, LossGrad
from gradverify.core.sampling import D1, LARGE, N1, Sample, dims, values
from gradverify.core.spec import ONE, RANDOM_UPSTREAM, OpSpec, Variant

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
    OpSpec(
        name="rnn_step",
        family="rnn_layers",
        variants=(
            Variant(
                "vectorized",
                ForwardBackward(
                    impl.rnn_step_forward,
                    impl.rnn_step_backward,
                    ("x", "prev_h", "Wx", "Wh", "b"),
                    wrt=("x", "prev_h", "Wx", "Wh", "b"),
                    output="next_h",
                ),
            ),
        ),
        reference=lambda t: ref.rnn_step(t["x"], t["prev_h"], t["Wx"], t["Wh"], t["b"]),
        sample=lambda rng, case: _recurrent_sample(rng, case, gates=1, sequence=False, cell=False),
        outputs={"next_h": RANDOM_UPSTREAM},
        wrt=("x", "prev_h", "Wx", "Wh", "b"),
        edge_cases=(N1, D1),
        description="one vanilla RNN step next_h = tanh(x Wx + prev_h Wh + b)",
    ),
    OpSpec(
        name="rnn",
        family="rnn_layers",
        variants=(
            Variant(
                "vectorized",
                ForwardBackward(impl.rnn_forward, impl.rnn_backward, SEQUENCE_GRADS, wrt=SEQUENCE_GRADS, output="h"),
            ),
        ),
        reference=lambda t: ref.rnn(t["x"], t["h0"], t["Wx"], t["Wh"], t["b"]),
        sample=lambda rng, case: _recurrent_sample(rng, case, gates=1, sequence=True, cell=False),
        outputs={"h": RANDOM_UPSTREAM},
        wrt=SEQUENCE_GRADS,
        edge_cases=(N1, T1, D1),
        description="vanilla RNN over a sequence x (N, T, D) from h0, all hidden states (N, T, H)",
    ),
    OpSpec(
        name="word_embedding",
        family="rnn_layers",
        variants=(
            Variant(
                "vectorized",
                ForwardBackward(impl.word_embedding_forward, impl.word_embedding_backward, ("x", "W"), wrt=("W",)),
            ),
        ),
        reference=lambda t: ref.word_embedding(t["x"], t["W"]),
        sample=embedding_sample,
        outputs={"out": RANDOM_UPSTREAM},
        wrt=("W",),
        edge_cases=(N1, T1, D1, REPEATED),
        description="word vectors W[x] for integer x (N, T), with repeated words",
    ),
    OpSpec(
        name="lstm_step",
        family="rnn_layers",
        variants=(
            Variant(
                "vectorized",
                ForwardBackward(
                    impl.lstm_step_forward,
                    impl.lstm_step_backward,
                    ("x", "prev_h", "prev_c", "Wx", "Wh", "b"),
                    wrt=("x", "prev_h", "prev_c", "Wx", "Wh", "b"),
                    output=("next_h", "next_c"),
                ),
            ),
        ),
        reference=_lstm_step_reference,
        sample=lambda rng, case: _recurrent_sample(rng, case, gates=4, sequence=False, cell=True),
        outputs={"next_h": RANDOM_UPSTREAM, "next_c": RANDOM_UPSTREAM},
        wrt=("x", "prev_h", "prev_c", "Wx", "Wh", "b"),
        edge_cases=(N1, D1),
        description="one LSTM step, gates i, f, o, g in the columns of Wx (D, 4H); next_h and next_c",
    ),
    OpSpec(
        name="lstm",
        family="rnn_layers",
        variants=(
            Variant(
                "vectorized",
                ForwardBackward(impl.lstm_forward, impl.lstm_backward, SEQUENCE_GRADS, wrt=SEQUENCE_GRADS, output="h"),
            ),
        ),
        reference=lambda t: ref.lstm(t["x"], t["h0"], t["Wx"], t["Wh"], t["b"]),
        sample=lambda rng, case: _recurrent_sample(rng, case, gates=4, sequence=True, cell=False),
        outputs={"h": RANDOM_UPSTREAM},
        wrt=SEQUENCE_GRADS,
        edge_cases=(N1, T1, D1),
        description="LSTM over a sequence x (N, T, D) from h0 and c0 = 0, all hidden states (N, T, H)",
    ),
    OpSpec(
        name="temporal_affine",
        family="rnn_layers",
        variants=(
            Variant(
                "vectorized",
                ForwardBackward(
                    impl.temporal_affine_forward, impl.temporal_affine_backward, ("x", "w", "b"), wrt=("x", "w", "b")
                ),
            ),
        ),
        reference=lambda t: ref.temporal_affine(t["x"], t["w"], t["b"]),
        sample=temporal_affine_sample,
        outputs={"out": RANDOM_UPSTREAM},
        wrt=("x", "w", "b"),
        edge_cases=(N1, T1, D1),
        description="affine layer x[n, t] w + b at every timestep, x (N, T, D)",
    ),
    OpSpec(
        name="temporal_softmax_loss",
        family="rnn_layers",
        variants=(Variant("vectorized", LossGrad(impl.temporal_softmax_loss, ("x", "y", "mask"), wrt=("x",))),),
        reference=lambda t: ref.temporal_softmax_loss(t["x"], t["y"], t["mask"]),
        sample=temporal_softmax_sample,
        outputs={"loss": ONE},
        wrt=("x",),
        edge_cases=(N1, T1, MASKED_ROWS, LARGE),
        description="softmax cross-entropy at every unmasked timestep of x (N, T, V), summed, divided by N",
    ),
)
