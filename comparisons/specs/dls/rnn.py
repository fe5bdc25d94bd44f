"""Specs of Course 5, week 1 (Building a Recurrent Neural Network, step by step): RNN and
LSTM cells and sequences, column-major with time last (x (n_x, m, T_x)), parameters in a dict
and gradients returned in a dict with the course's keys. The output layer (Wya/Wy, by) is not
part of the backward functions: y is compared, not differentiated."""

from __future__ import annotations

import numpy as np

import gradverify.impl.dls.rnn as impl
from gradverify.core.course_adapters import CourseForwardBackward
from gradverify.core.references import references
from gradverify.core.sampling import D1, N1, Sample, dims, values
from gradverify.core.spec import RANDOM_UPSTREAM
from gradverify.specs.dls.common import course_op

ref = references("gradverify.reference.dls.rnn")

FAMILY = "dls.rnn"
T1 = "T=1"
WEIGHT_SCALE = 0.5
RNN_PARAMS = ("Wax", "Waa", "Wya", "ba", "by")
GATES = ("f", "i", "c", "o")
LSTM_PARAMS = (*(f"W{g}" for g in GATES), *(f"b{g}" for g in GATES), "Wy", "by")
LSTM_GRADS = (*(f"W{g}" for g in GATES), *(f"b{g}" for g in GATES))


def _sample(rng: np.random.Generator, case: str, lstm: bool, sequence: bool) -> Sample:
    d = dims(rng, case, N=(1, 4), D=(1, 4), H=(1, 4), C=(2, 4), T=(1, 4))
    n_x, n_a, n_y, m, t = d["D"], d["H"], d["C"], d["N"], 1 if case == T1 else d["T"]
    x_name, a_name = ("x", "a0") if sequence else ("xt", "a_prev")
    arrays = {x_name: values(rng, (n_x, m, t) if sequence else (n_x, m), case), a_name: values(rng, (n_a, m), case)}
    if lstm and not sequence:
        arrays["c_prev"] = values(rng, (n_a, m), case)
    if lstm:
        for g in GATES:
            arrays[f"W{g}"] = values(rng, (n_a, n_a + n_x), case, WEIGHT_SCALE)
            arrays[f"b{g}"] = values(rng, (n_a, 1), case, WEIGHT_SCALE)
        arrays["Wy"] = values(rng, (n_y, n_a), case, WEIGHT_SCALE)
    else:
        arrays["Wax"] = values(rng, (n_a, n_x), case, WEIGHT_SCALE)
        arrays["Waa"] = values(rng, (n_a, n_a), case, WEIGHT_SCALE)
        arrays["Wya"] = values(rng, (n_y, n_a), case, WEIGHT_SCALE)
        arrays["ba"] = values(rng, (n_a, 1), case, WEIGHT_SCALE)
    arrays["by"] = values(rng, (n_y, 1), case, WEIGHT_SCALE)
    return Sample(arrays)


def _params(t: Sample, names: tuple[str, ...]) -> dict:
    return {k: t[k] for k in names}


def _rnn_cell_reference(t: Sample) -> dict:
    a, y = ref.rnn_cell_forward(t["xt"], t["a_prev"], _params(t, RNN_PARAMS))
    return {"a_next": a, "yt_pred": y}


def _rnn_reference(t: Sample) -> dict:
    a, y = ref.rnn_forward(t["x"], t["a0"], _params(t, RNN_PARAMS))
    return {"a": a, "y_pred": y}


def _lstm_cell_reference(t: Sample) -> dict:
    a, c, y = ref.lstm_cell_forward(t["xt"], t["a_prev"], t["c_prev"], _params(t, LSTM_PARAMS))
    return {"a_next": a, "c_next": c, "yt_pred": y}


def _lstm_reference(t: Sample) -> dict:
    a, y, c = ref.lstm_forward(t["x"], t["a0"], _params(t, LSTM_PARAMS))
    return {"a": a, "y": y, "c": c}


def _keys(names: tuple[str, ...], **renamed: str) -> dict[str, str]:
    return {**{n: "d" + n for n in names}, **renamed}


RNN_WRT = ("Wax", "Waa", "ba")

SPECS = (
    course_op(
        "dls.rnn_cell",
        FAMILY,
        {
            "vectorized": CourseForwardBackward(
                impl.rnn_cell_forward,
                impl.rnn_cell_backward,
                ("xt", "a_prev", "parameters"),
                ("xt", "a_prev", *RNN_WRT),
                output=("a_next", "yt_pred"),
                pack={"parameters": RNN_PARAMS},
                grad_keys=_keys(("xt", "a_prev", *RNN_WRT)),
            )
        },
        _rnn_cell_reference,
        lambda rng, case: _sample(rng, case, lstm=False, sequence=False),
        {"a_next": RANDOM_UPSTREAM, "yt_pred": None},
        ("xt", "a_prev", *RNN_WRT),
        edge_cases=(N1, D1),
        description="rnn_cell_forward -> (a_next, yt_pred, cache); rnn_cell_backward(da_next, cache) -> dict",
    ),
    course_op(
        "dls.rnn",
        FAMILY,
        {
            "vectorized": CourseForwardBackward(
                impl.rnn_forward,
                impl.rnn_backward,
                ("x", "a0", "parameters"),
                ("x", "a0", *RNN_WRT),
                output=("a", "y_pred"),
                pack={"parameters": RNN_PARAMS},
                grad_keys=_keys(("x", "a0", *RNN_WRT)),
            )
        },
        _rnn_reference,
        lambda rng, case: _sample(rng, case, lstm=False, sequence=True),
        {"a": RANDOM_UPSTREAM, "y_pred": None},
        ("x", "a0", *RNN_WRT),
        edge_cases=(N1, D1, T1),
        description="rnn_forward over x (n_x, m, T_x); rnn_backward(da, caches) -> dx, da0, dWax, dWaa, dba",
    ),
    course_op(
        "dls.lstm_cell",
        FAMILY,
        {
            "vectorized": CourseForwardBackward(
                impl.lstm_cell_forward,
                impl.lstm_cell_backward,
                ("xt", "a_prev", "c_prev", "parameters"),
                ("xt", "a_prev", "c_prev", *LSTM_GRADS),
                output=("a_next", "c_next", "yt_pred"),
                pack={"parameters": LSTM_PARAMS},
                grad_keys=_keys(("xt", "a_prev", "c_prev", *LSTM_GRADS)),
            )
        },
        _lstm_cell_reference,
        lambda rng, case: _sample(rng, case, lstm=True, sequence=False),
        {"a_next": RANDOM_UPSTREAM, "c_next": RANDOM_UPSTREAM, "yt_pred": None},
        ("xt", "a_prev", "c_prev", *LSTM_GRADS),
        edge_cases=(N1, D1),
        description="lstm_cell_forward -> (a_next, c_next, yt_pred, cache); "
        "lstm_cell_backward(da_next, dc_next, cache) -> dict",
    ),
    course_op(
        "dls.lstm",
        FAMILY,
        {
            "vectorized": CourseForwardBackward(
                impl.lstm_forward,
                impl.lstm_backward,
                ("x", "a0", "parameters"),
                ("x", "a0", *LSTM_GRADS),
                output=("a", "y", "c"),
                pack={"parameters": LSTM_PARAMS},
                grad_keys=_keys(("x", "a0", *LSTM_GRADS)),
            )
        },
        _lstm_reference,
        lambda rng, case: _sample(rng, case, lstm=True, sequence=True),
        {"a": RANDOM_UPSTREAM, "y": None, "c": None},
        ("x", "a0", *LSTM_GRADS),
        edge_cases=(N1, D1, T1),
        description="lstm_forward -> (a, y, c, caches); lstm_backward(da, caches) -> dict, true BPTT (the "
        "2017-2020 notebooks' no-carry loop is not a gradient and fails)",
    ),
)
