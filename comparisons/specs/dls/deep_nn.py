"""Specs of Course 1 (weeks 3 and 4): activations, linear layers with the course's 1/m on dW
and db only, the L-layer network through L_model_forward / compute_cost / L_model_backward,
the week-3 planar network, and update_parameters. Column-major: examples are columns."""

from __future__ import annotations

import numpy as np

import gradverify.impl.dls.deep_nn as impl
from gradverify.core.course_adapters import CostPipeline, CourseForwardBackward, DictUpdate
from gradverify.core.references import references
from gradverify.core.sampling import D1, N1, TIES, Sample, dims, values
from gradverify.core.spec import ONE, RANDOM_UPSTREAM
from gradverify.specs.dls.common import (
    binary_labels,
    course_op,
    dense_relu_kinks,
    mlp_kinks,
    network,
    param_names,
    per_example,
    times_examples,
)
from gradverify.specs.kinks import near_zero

ref = references("gradverify.reference.dls.deep_nn")

FAMILY = "dls.deep_nn"


def z_sample(rng: np.random.Generator, case: str) -> Sample:
    d = dims(rng, case, N=(1, 6), D=(1, 5))
    return Sample({"Z": values(rng, (d["D"], d["N"]), case)})


def linear_sample(rng: np.random.Generator, case: str, activation: str | None = None) -> Sample:
    d = dims(rng, case, N=(1, 6), D=(1, 5), H=(1, 5))
    arrays = {
        "A_prev": values(rng, (d["D"], d["N"]), case),
        "W": values(rng, (d["H"], d["D"]), case),
        "b": values(rng, (d["H"], 1), case),
    }
    return Sample(arrays, {"activation": activation} if activation else {})


def l_model_sample(rng: np.random.Generator, case: str) -> Sample:
    d = dims(rng, case, N=(1, 8), D=(1, 5), H=(1, 5))
    sizes = [d["D"], d["H"], int(rng.integers(1, 5)), 1]
    return Sample({**network(rng, case, sizes, d["N"]), "Y": binary_labels(rng, d["N"])})


def planar_sample(rng: np.random.Generator, case: str) -> Sample:
    d = dims(rng, case, N=(1, 8), D=(1, 4), H=(1, 5))
    return Sample({**network(rng, case, [d["D"], d["H"], 1], d["N"]), "Y": binary_labels(rng, d["N"])})


def update_sample(rng: np.random.Generator, case: str) -> Sample:
    d = dims(rng, case, D=(1, 4), H=(1, 4))
    arrays = network(rng, case, [d["D"], d["H"], 1], 1)
    del arrays["X"]
    arrays.update({"d" + k: values(rng, v.shape, case) for k, v in list(arrays.items())})
    return Sample(arrays, {"learning_rate": float(10 ** rng.uniform(-3, -0.5))})


def relu_kinks(s: Sample, band: float) -> dict[str, np.ndarray]:
    return {"Z": near_zero(s["Z"], np.abs(s["Z"]), band)}


def linear_relu_kinks(s: Sample, band: float) -> dict[str, np.ndarray]:
    if s.static.get("activation") != "relu":
        return {}
    a, w, b = dense_relu_kinks(s["A_prev"], s["W"], s["b"], band)
    return {"A_prev": a, "W": w, "b": b}


def _pair(forward, backward, output: str, args: tuple[str, ...], wrt: tuple[str, ...], scale=None):
    return CourseForwardBackward(forward, backward, args, wrt, output=(output,), scale=scale)


EDITIONS_2017, EDITIONS_2021 = tuple(range(2017, 2021)), tuple(range(2021, 2026))
"""The notebooks before and after the Specialization's 2021 refresh (graded by public_tests)."""
L_PARAMS = param_names(3)
PLANAR_PARAMS = param_names(2)
LINEAR_WRT = ("A_prev", "W", "b")


def _l_model(legacy: bool) -> CostPipeline:
    return CostPipeline(
        forward_fn=impl.L_model_forward,
        cost_fn=impl.compute_cost,
        backward_fn=impl.L_model_backward,
        forward_args=("X", "parameters"),
        cost_args=("AL", "Y"),
        backward_args=("AL", "Y", "cache"),
        wrt=("X", *L_PARAMS),
        # the 2017 template kept the gradient of A[l-1] under "dA{l}": dX is "dA1" there
        grad_keys={"X": "dA1" if legacy else "dA0", **{p: "d" + p for p in L_PARAMS}},
        pack={"parameters": L_PARAMS},
        options={"legacy_keys": True} if legacy else {},
        scale=times_examples("X", "X"),  # dA values are m * dJ/dA; dW, db are dJ/dW, dJ/db
    )


def _planar(cost_args: tuple[str, ...]) -> CostPipeline:
    return CostPipeline(
        forward_fn=impl.forward_propagation,
        cost_fn=impl.compute_cost,
        backward_fn=impl.backward_propagation,
        forward_args=("X", "parameters"),
        cost_args=cost_args,
        backward_args=("parameters", "cache", "X", "Y"),
        wrt=PLANAR_PARAMS,
        grad_keys={p: "d" + p for p in PLANAR_PARAMS},
        pack={"parameters": PLANAR_PARAMS},
        output="A2",
    )


def _cost_reference(forward):
    def reference(t: Sample) -> dict:
        params = {k: t[k] for k in t.arrays if k[0] in "Wb"}
        return {"cost": ref.compute_cost(forward(t["X"], params), t["Y"])}

    return reference


def _update_reference(t: Sample) -> dict:
    params = {k: t[k] for k in PLANAR_PARAMS}
    grads = {"d" + k: t["d" + k] for k in PLANAR_PARAMS}
    return {f"parameters.{k}": v for k, v in ref.update_parameters(params, grads, t["learning_rate"]).items()}


SPECS = (
    course_op(
        "dls.sigmoid",
        FAMILY,
        {"vectorized": _pair(impl.sigmoid, impl.sigmoid_backward, "A", ("Z",), ("Z",))},
        lambda t: ref.sigmoid(t["Z"]),
        z_sample,
        {"A": RANDOM_UPSTREAM},
        ("Z",),
        edge_cases=(N1, D1),
        description="sigmoid(Z) -> (A, cache) and sigmoid_backward(dA, cache) -> dZ",
    ),
    course_op(
        "dls.relu",
        FAMILY,
        {"vectorized": _pair(impl.relu, impl.relu_backward, "A", ("Z",), ("Z",))},
        lambda t: ref.relu(t["Z"]),
        z_sample,
        {"A": RANDOM_UPSTREAM},
        ("Z",),
        edge_cases=(N1, D1, TIES),
        kinks=relu_kinks,
        description="relu(Z) -> (A, cache) and relu_backward(dA, cache) -> dZ",
    ),
    course_op(
        "dls.linear",
        FAMILY,
        {
            "vectorized": _pair(
                impl.linear_forward, impl.linear_backward, "Z", LINEAR_WRT, LINEAR_WRT, per_example("A_prev", "W", "b")
            )
        },
        lambda t: ref.linear_forward(t["A_prev"], t["W"], t["b"]),
        linear_sample,
        {"Z": RANDOM_UPSTREAM},
        LINEAR_WRT,
        edge_cases=(N1, D1),
        description="Z = W A_prev + b, column-major; linear_backward's dW and db carry 1/m, dA_prev does not",
    ),
    *(
        course_op(
            f"dls.linear_{activation}",
            FAMILY,
            {
                "vectorized": CourseForwardBackward(
                    impl.linear_activation_forward,
                    impl.linear_activation_backward,
                    (*LINEAR_WRT, "activation"),
                    LINEAR_WRT,
                    output=("A",),
                    options={"activation": activation},
                    scale=per_example("A_prev", "W", "b"),
                )
            },
            lambda t: ref.linear_activation_forward(t["A_prev"], t["W"], t["b"], t["activation"]),
            lambda rng, case, activation=activation: linear_sample(rng, case, activation),
            {"A": RANDOM_UPSTREAM},
            LINEAR_WRT,
            edge_cases=(N1, D1, TIES) if activation == "relu" else (N1, D1),
            kinks=linear_relu_kinks,
            description=f"LINEAR -> {activation.upper()}: linear_activation_forward/backward ({activation!r})",
        )
        for activation in ("relu", "sigmoid")
    ),
    course_op(
        "dls.L_model",
        FAMILY,
        {"2021": _l_model(legacy=False), "2017_dA_keys": _l_model(legacy=True)},
        _cost_reference(ref.L_model_forward),
        l_model_sample,
        {"cost": ONE},
        ("X", *L_PARAMS),
        editions={
            "2021": (EDITIONS_2021, 'grads["dA0"] holds the gradient of X, grads["dA{l}"] that of A[l]'),
            "2017_dA_keys": (EDITIONS_2017, 'grads["dA{l}"] holds the gradient of A[l-1] (X\'s is "dA1")'),
        },
        edge_cases=(N1, D1),
        kinks=lambda s, band: mlp_kinks(s, 2, band),
        description="[LINEAR->RELU]x2 -> LINEAR->SIGMOID: L_model_forward, compute_cost, L_model_backward "
        "(grads dW, db = dJ/d.; dA0 = m dJ/dX, 'dA1' in the 2017 edition)",
    ),
    course_op(
        "dls.planar",
        FAMILY,
        {"2021": _planar(("A2", "Y")), "2017_cost_args": _planar(("A2", "Y", "parameters"))},
        _cost_reference(ref.forward_propagation),
        planar_sample,
        {"cost": ONE},
        PLANAR_PARAMS,
        editions={
            "2021": (EDITIONS_2021, "compute_cost(A2, Y)"),
            "2017_cost_args": (EDITIONS_2017, "compute_cost(A2, Y, parameters)"),
        },
        edge_cases=(N1, D1),
        description="week 3: LINEAR->TANH->LINEAR->SIGMOID, forward_propagation, compute_cost (2017: with "
        "parameters), backward_propagation",
    ),
    course_op(
        "dls.update_parameters",
        FAMILY,
        {
            "vectorized": DictUpdate(
                impl.update_parameters,
                ("parameters", "grads", "learning_rate"),
                ("parameters",),
                pack={"parameters": PLANAR_PARAMS, "grads": tuple("d" + p for p in PLANAR_PARAMS)},
            )
        },
        _update_reference,
        update_sample,
        {f"parameters.{k}": None for k in PLANAR_PARAMS},
        (),
        description="gradient descent step on the parameters dict",
    ),
)
